// The bad-input corpus (docs/errors.md). Each case copies point_120cells and
// point_components into a fresh temporary directory, writes one run config
// (bad.json: spike input, current clamp, V_m report), introduces exactly one
// defect, and runs the real `pointsim run -q`. Every case asserts
//   - the exit code of the error's kind (3 config, 4 input files, 5 model),
//   - exactly one line on stderr, starting "pointsim: error:",
//   - that this line names the file and the key, dataset, row or value,
//   - that nothing was written: no output folder, no staged temporary.
// The unmutated circuit runs cleanly (BaselineRunsCleanly), so each failure is
// the defect's. POINTSIM_CLI_SHOW=1 prints every error line; a failing case
// keeps its directory.
#include <sys/wait.h>

#include <cmath>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <functional>
#include <iostream>
#include <limits>
#include <optional>
#include <sstream>
#include <string>
#include <vector>

#include <H5Cpp.h>
#include <gtest/gtest.h>
#include <nlohmann/json.hpp>

#include "nwb_files.hpp"
#include "test_files.hpp"

namespace fs = std::filesystem;
namespace testing_files = pointsim::testing_files;
using OJson = nlohmann::ordered_json;

namespace {

const fs::path kExamples = POINTSIM_EXAMPLES_DIR;
const std::string kExe = POINTSIM_EXE;

// ------------------------------------------------------------ files

using testing_files::line_of;
using testing_files::lines_of;
using testing_files::read_text;
using testing_files::replace_once;
using testing_files::write_text;
void edit_json(const fs::path& file, const std::function<void(OJson&)>& edit) { testing_files::edit_json<OJson>(file, edit); }

// ------------------------------------------------------------ h5 edits

std::vector<std::uint64_t> read_u64(const fs::path& file, const std::string& path) {
    H5::H5File f(file.string(), H5F_ACC_RDONLY);
    H5::DataSet ds = f.openDataSet(path);
    hsize_t n = 0;
    ds.getSpace().getSimpleExtentDims(&n);
    std::vector<std::uint64_t> v(n);
    if (n) ds.read(v.data(), H5::PredType::NATIVE_UINT64);
    return v;
}

std::size_t length_of(const fs::path& file, const std::string& path) { return read_u64(file, path).size(); }

// Writes into the existing dataset: its file type, size and attributes stay.
void overwrite_u64(const fs::path& file, const std::string& path, const std::vector<std::uint64_t>& v) {
    H5::H5File f(file.string(), H5F_ACC_RDWR);
    f.openDataSet(path).write(v.data(), H5::PredType::NATIVE_UINT64);
}

// Sets element `row` of an integer dataset, keeping everything else.
void set_u64(const fs::path& file, const std::string& path, std::size_t row, std::uint64_t value) {
    auto v = read_u64(file, path);
    v.at(row) = value;
    overwrite_u64(file, path, v);
}

void unlink_h5(const fs::path& file, const std::string& path) {
    H5::H5File f(file.string(), H5F_ACC_RDWR);
    f.unlink(path);
}

// Replaces a dataset by a new one (its attributes are lost).
void recreate_u64(const fs::path& file, const std::string& path, const std::vector<std::uint64_t>& v) {
    H5::H5File f(file.string(), H5F_ACC_RDWR);
    f.unlink(path);
    const hsize_t n = v.size();
    f.createDataSet(path, H5::PredType::STD_U64LE, H5::DataSpace(1, &n)).write(v.data(), H5::PredType::NATIVE_UINT64);
}

void recreate_f64(const fs::path& file, const std::string& path, const std::vector<double>& v) {
    H5::H5File f(file.string(), H5F_ACC_RDWR);
    if (f.nameExists(path)) f.unlink(path);
    const hsize_t n = v.size();
    f.createDataSet(path, H5::PredType::IEEE_F64LE, H5::DataSpace(1, &n)).write(v.data(), H5::PredType::NATIVE_DOUBLE);
}

void set_string_attr(const fs::path& file, const std::string& path, const std::string& name, const std::string& value) {
    H5::H5File f(file.string(), H5F_ACC_RDWR);
    H5::DataSet ds = f.openDataSet(path);
    if (ds.attrExists(name)) ds.removeAttr(name);
    H5::StrType t(H5::PredType::C_S1, H5T_VARIABLE);
    const char* p = value.c_str();
    ds.createAttribute(name, t, H5::DataSpace(H5S_SCALAR)).write(t, &p);
}

void remove_attr(const fs::path& file, const std::string& path, const std::string& name) {
    H5::H5File f(file.string(), H5F_ACC_RDWR);
    f.openDataSet(path).removeAttr(name);
}

// /spikes/<population>/{timestamps,node_ids}
void write_spikes_h5(const fs::path& file, const std::string& population, const std::vector<double>& times,
                     const std::vector<std::uint64_t>& ids) {
    H5::H5File f(file.string(), H5F_ACC_TRUNC);
    f.createGroup("/spikes");
    H5::Group g = f.createGroup("/spikes/" + population);
    hsize_t n = times.size();
    g.createDataSet("timestamps", H5::PredType::IEEE_F64LE, H5::DataSpace(1, &n))
        .write(times.data(), H5::PredType::NATIVE_DOUBLE);
    n = ids.size();
    g.createDataSet("node_ids", H5::PredType::STD_U64LE, H5::DataSpace(1, &n)).write(ids.data(), H5::PredType::NATIVE_UINT64);
}

// ------------------------------------------------------------ the cases

// Where a case works. `cfg` is the config run; a mutation may replace it,
// set `env` (VAR=value, put before the command) or add expected substrings
// known only once the files exist (`mentions`).
struct Ctx {
    fs::path root;   // the temporary directory
    fs::path ex;     // root/point_120cells
    fs::path comps;  // root/point_components
    fs::path cfg;    // ex/bad.json
    std::string env;
    std::vector<std::string> mentions;

    fs::path net(const std::string& f) const { return ex / "network" / f; }
    fs::path input(const std::string& f) const { return ex / "inputs" / f; }
    fs::path cell(const std::string& f) const { return comps / "cell_models" / f; }
    fs::path synapse(const std::string& f) const { return comps / "synaptic_models" / f; }
    fs::path circuit() const { return ex / "config.circuit.json"; }
};

struct Case {
    std::string name;
    std::function<void(Ctx&)> mutate;
    int code;
    std::vector<std::string> mentions;
};

std::ostream& operator<<(std::ostream& os, const Case& c) { return os << c.name; }

// The run config every case starts from: point_120cells driven by its
// thalamus spike file and a current clamp, recording V_m, 20 ms at dt 0.01.
OJson base_config() {
    return OJson::parse(R"({
  "manifest": {
    "$BASE_DIR": "${configdir}",
    "$INPUT_DIR": "$BASE_DIR/inputs",
    "$OUTPUT_DIR": "$BASE_DIR/output"
  },
  "target_simulator": "NEST",
  "run": {
    "tstop": 20.0,
    "dt": 0.01
  },
  "inputs": {
    "thalamus_spikes": {
      "input_type": "spikes",
      "module": "sonata",
      "input_file": "$INPUT_DIR/thalamus_spikes.h5",
      "node_set": "thalamus"
    },
    "current_clamp": {
      "input_type": "current_clamp",
      "module": "IClamp",
      "node_set": {"population": "cortex"},
      "amp": 0.15,
      "delay": 5.0,
      "duration": 10.0
    }
  },
  "reports": {
    "membrane_potential": {
      "cells": {"population": "cortex", "node_id": [0, 20]},
      "variable_name": "V_m",
      "module": "multimeter_report"
    }
  },
  "output": {
    "log_file": "log.txt",
    "spikes_file": "spikes.h5",
    "spikes_file_csv": "spikes.csv",
    "output_dir": "$OUTPUT_DIR"
  },
  "network": "config.circuit.json"
})");
}

// Shorthands for the table.
using Edit = std::function<void(OJson&)>;
std::function<void(Ctx&)> config_edit(Edit e) {
    return [e](Ctx& c) { edit_json(c.cfg, e); };
}
std::function<void(Ctx&)> circuit_edit(Edit e) {
    return [e](Ctx& c) { edit_json(c.circuit(), e); };
}
std::function<void(Ctx&)> cell_edit(Edit e) {
    return [e](Ctx& c) { edit_json(c.cell("iaf_psc_delta_exc.json"), e); };
}
std::function<void(Ctx&)> clamp_csv(const std::string& text) {
    return [text](Ctx& c) {
        write_text(c.input("clamp.csv"), text);
        edit_json(c.cfg, [](OJson& j) {
            auto& cl = j["inputs"]["current_clamp"];
            cl = {{"input_type", "csv"}, {"module", "IClamp"}, {"node_set", {{"population", "cortex"}}},
                  {"file", "$INPUT_DIR/clamp.csv"}};
        });
    };
}
std::function<void(Ctx&)> spikes_csv(const std::string& text) {
    return [text](Ctx& c) {
        write_text(c.input("spikes.csv"), text);
        edit_json(c.cfg, [](OJson& j) {
            j["inputs"]["thalamus_spikes"]["module"] = "csv";
            j["inputs"]["thalamus_spikes"]["input_file"] = "$INPUT_DIR/spikes.csv";
        });
    };
}

// The current clamp read from an NWB sweep instead: inputs/clamp.nwb (the
// Allen ephys NWB 1 layout, tests/tools/nwb_files.hpp) with `sweep`, then
// `after` for a defect in the file or the config.
testing_files::NwbSweep good_sweep() {
    // 100 kHz = one sample every 0.01 ms = dt; 0.15 "pA" from 5 ms to 15 ms.
    std::vector<double> amperes(2000, 0.0);
    for (std::size_t i = 500; i < 1500; ++i) amperes[i] = 0.15e-9;
    return {"Sweep_3", amperes, 1e5};
}
std::function<void(Ctx&)> clamp_nwb(testing_files::NwbSweep sweep, std::function<void(Ctx&)> after = nullptr) {
    return [sweep, after](Ctx& c) {
        testing_files::write_nwb_sweeps(c.input("clamp.nwb"), {sweep});
        edit_json(c.cfg, [](OJson& j) {
            auto& cl = j["inputs"]["current_clamp"];
            cl = {{"input_type", "nwb"}, {"module", "IClamp"}, {"node_set", {{"population", "cortex"}}},
                  {"file", "$INPUT_DIR/clamp.nwb"}, {"sweep_id", 3}};
        });
        if (after) after(c);
    };
}
std::function<void(Ctx&)> clamp_nwb_edit(Edit e) {
    return clamp_nwb(good_sweep(), [e](Ctx& c) { edit_json(c.cfg, [&](OJson& j) { e(j["inputs"]["current_clamp"]); }); });
}
testing_files::NwbSweep with_rate(std::optional<double> rate) {
    auto s = good_sweep();
    s.rate = rate;
    return s;
}

const std::string kCortexNodes = "network/cortex_nodes.h5";
const std::string kCortexTypes = "network/cortex_node_types.csv";
const std::string kCCEdges = "network/cortex_cortex_edges.h5";
const std::string kCCTypes = "network/cortex_cortex_edge_types.csv";
const std::string kTCEdges = "network/thalamus_cortex_edges.h5";
const std::string kTCTypes = "network/thalamus_cortex_edge_types.csv";
const std::string kSpikesH5 = "inputs/thalamus_spikes.h5";
const std::string kExcCell = "cell_models/iaf_psc_delta_exc.json";

std::vector<Case> make_cases() {
    std::vector<Case> cs;
    auto add = [&cs](std::string name, std::function<void(Ctx&)> m, int code, std::vector<std::string> mentions) {
        cs.push_back({std::move(name), std::move(m), code, std::move(mentions)});
    };

    // ================================================ config JSON: syntax and types (3)
    add("ConfigJsonMissingComma",
        [](Ctx& c) {
            // The parser stops on the line after the missing comma.
            c.mentions.push_back("line " + std::to_string(line_of(c.cfg, "\"dt\"")));
            replace_once(c.cfg, "\"tstop\": 20.0,", "\"tstop\": 20.0");
        },
        3, {"bad.json", "invalid JSON"});
    add("ConfigJsonTruncated",
        [](Ctx& c) {
            // Cut after the run section's dt: the file ends inside an object.
            const std::string text = read_text(c.cfg);
            const std::string dt = "\"dt\": 0.01";
            write_text(c.cfg, text.substr(0, text.find(dt) + dt.size()));
        },
        3, {"bad.json", "invalid JSON", "unexpected end of input"});
    add("ConfigTopLevelNotObject", [](Ctx& c) { write_text(c.cfg, "[\"run\", \"inputs\"]\n"); }, 3,
        {"bad.json", "top level must be a JSON object"});
    add("RunDtIsAString", config_edit([](OJson& j) { j["run"]["dt"] = "0.01"; }), 3,
        {"bad.json", "run.dt", "must be a number", "\"0.01\""});
    add("RunTstopIsAList", config_edit([](OJson& j) { j["run"]["tstop"] = {20.0}; }), 3,
        {"bad.json", "run.tstop", "must be a number", "[20.0]"});
    add("RunIsAList", config_edit([](OJson& j) { j["run"] = OJson::array(); }), 3,
        {"bad.json", "run", "must be an object"});
    add("OverwriteOutputDirIsAString", config_edit([](OJson& j) { j["output"]["overwrite_output_dir"] = "yes"; }), 3,
        {"bad.json", "output.overwrite_output_dir", "true or false", "\"yes\""});
    add("OutputDirIsANumber", config_edit([](OJson& j) { j["output"]["output_dir"] = 7; }), 3,
        {"bad.json", "output.output_dir", "must be a string", "7"});
    add("InputEntryIsAString", config_edit([](OJson& j) { j["inputs"]["current_clamp"] = "IClamp"; }), 3,
        {"bad.json", "inputs.current_clamp", "must be an object", "\"IClamp\""});
    add("SpikesSortOrderUnknown", config_edit([](OJson& j) { j["output"]["spikes_sort_order"] = "by_name"; }), 3,
        {"bad.json", "output.spikes_sort_order", "\"by_name\"", "by_time"});
    add("NetworksNodesNotAList", circuit_edit([](OJson& j) { j["networks"]["nodes"] = {{"nodes_file", "x.h5"}}; }), 3,
        {"config.circuit.json", "networks.nodes", "must be a list"});

    // ================================================ config JSON: unknown keys (3)
    add("UnknownTopLevelKey", config_edit([](OJson& j) { j["reprots"] = OJson::object(); }), 3,
        {"bad.json", "unknown key 'reprots' at the top level", "(did you mean 'reports'?)"});
    add("UnknownRunKey",
        config_edit([](OJson& j) {
            j["run"].erase("tstop");
            j["run"]["tstp"] = 20.0;
        }),
        3, {"bad.json", "unknown key 'tstp' in run (did you mean 'tstop'?)"});
    add("UnknownRunKeyWithoutSuggestion", config_edit([](OJson& j) { j["run"]["wibble"] = 1; }), 3,
        {"bad.json", "unknown key 'wibble' in run", "pointsim reads dt, tstop"});
    add("UnknownOutputKey", config_edit([](OJson& j) { j["output"]["spike_file"] = "s.h5"; }), 3,
        {"bad.json", "unknown key 'spike_file' in output (did you mean 'spikes_file'?)"});
    add("UnknownInputKey", config_edit([](OJson& j) { j["inputs"]["current_clamp"]["durration"] = 5.0; }), 3,
        {"bad.json", "unknown key 'durration' in inputs.current_clamp (did you mean 'duration'?)"});
    add("UnknownSpikeInputKey", config_edit([](OJson& j) { j["inputs"]["thalamus_spikes"]["node_sets"] = "x"; }), 3,
        {"bad.json", "unknown key 'node_sets' in inputs.thalamus_spikes (did you mean 'node_set'?)"});
    add("UnknownReportKey",
        config_edit([](OJson& j) { j["reports"]["membrane_potential"]["file_nmae"] = "v.h5"; }), 3,
        {"bad.json", "unknown key 'file_nmae' in reports.membrane_potential (did you mean 'file_name'?)"});
    add("UnknownNetworksKey",
        circuit_edit([](OJson& j) {
            j["networks"]["edgs"] = j["networks"]["edges"];
            j["networks"].erase("edges");
        }),
        3, {"config.circuit.json", "unknown key 'edgs' in networks (did you mean 'edges'?)"});
    add("UnknownNodesEntryKey",
        circuit_edit([](OJson& j) {
            auto& n = j["networks"]["nodes"][1];
            n["node_type_file"] = n["node_types_file"];
            n.erase("node_types_file");
        }),
        3, {"config.circuit.json", "unknown key 'node_type_file' in networks.nodes[1] (did you mean 'node_types_file'?)"});
    add("UnknownEdgesEntryKey", circuit_edit([](OJson& j) { j["networks"]["edges"][0]["enable"] = false; }), 3,
        {"config.circuit.json", "unknown key 'enable' in networks.edges[0] (did you mean 'enabled'?)"});

    // ================================================ config JSON: missing required keys (3)
    add("MissingRunDt", config_edit([](OJson& j) { j["run"].erase("dt"); }), 3, {"bad.json", "run.dt", "missing"});
    add("MissingRunSection", config_edit([](OJson& j) { j.erase("run"); }), 3, {"bad.json", "run.dt", "missing"});
    // Without tstop (or duration) a run would simulate 0 ms and replace the outputs.
    add("MissingRunTstop", config_edit([](OJson& j) { j["run"].erase("tstop"); }), 3,
        {"bad.json", "run.tstop is missing", "run.duration"});
    add("MissingNetworksNodes", circuit_edit([](OJson& j) { j["networks"].erase("nodes"); }), 3,
        {"config.circuit.json", "networks.nodes", "missing or empty"});
    add("MissingNodeTypesFile", circuit_edit([](OJson& j) { j["networks"]["nodes"][1].erase("node_types_file"); }), 3,
        {"config.circuit.json", "networks.nodes[1].node_types_file", "missing"});
    add("MissingInputType", config_edit([](OJson& j) { j["inputs"]["thalamus_spikes"].erase("input_type"); }), 3,
        {"bad.json", "inputs.thalamus_spikes", "\"input_type\"", "required"});
    add("MissingSpikeInputFile", config_edit([](OJson& j) { j["inputs"]["thalamus_spikes"].erase("input_file"); }), 3,
        {"bad.json", "inputs.thalamus_spikes.input_file", "missing"});
    add("MissingSpikeNodeSet", config_edit([](OJson& j) { j["inputs"]["thalamus_spikes"].erase("node_set"); }), 3,
        {"bad.json", "inputs.thalamus_spikes.node_set", "missing"});
    add("MissingClampDuration", config_edit([](OJson& j) { j["inputs"]["current_clamp"].erase("duration"); }), 3,
        {"bad.json", "inputs.current_clamp", "'duration'"});
    add("MissingReportCells", config_edit([](OJson& j) { j["reports"]["membrane_potential"].erase("cells"); }), 3,
        {"bad.json", "reports.membrane_potential.cells", "missing"});
    add("MissingReportVariableName",
        config_edit([](OJson& j) { j["reports"]["membrane_potential"].erase("variable_name"); }), 3,
        {"bad.json", "reports.membrane_potential.variable_name", "missing"});
    add("MissingSynapticModelsDir", circuit_edit([](OJson& j) { j["components"].erase("synaptic_models_dir"); }), 3,
        {"bad.json", "components.synaptic_models_dir", "missing", kCCTypes, "edge_type_id 100"});

    // ================================================ manifest and included files (3)
    add("ManifestCycle",
        config_edit([](OJson& j) {
            j["manifest"]["$A_DIR"] = "$B_DIR/a";
            j["manifest"]["$B_DIR"] = "$A_DIR/b";
            j["output"]["output_dir"] = "$A_DIR";
        }),
        3, {"bad.json", "manifest", "$A_DIR", "$B_DIR"});
    add("ManifestUndefinedVariable", config_edit([](OJson& j) { j["manifest"]["$OUTPUT_DIR"] = "$BASEDIR/output"; }), 3,
        {"bad.json", "manifest", "$BASEDIR"});
    add("UndefinedVariableInValue",
        config_edit([](OJson& j) { j["inputs"]["thalamus_spikes"]["input_file"] = "$INPUTS_DIR/thalamus_spikes.h5"; }),
        3, {"bad.json", "$INPUTS_DIR", "inputs.thalamus_spikes.input_file"});
    add("ManifestValueNotAString", config_edit([](OJson& j) { j["manifest"]["$N"] = 3; }), 3,
        {"bad.json", "manifest", "$N"});
    add("IncludedConfigMissing", config_edit([](OJson& j) { j["network"] = "config.circut.json"; }), 3,
        {"config.circut.json", "not found", "bad.json"});
    add("IncludeCycle", circuit_edit([](OJson& j) { j["simulation"] = "bad.json"; }), 3,
        {"config.circuit.json", "include cycle", "bad.json"});

    // ================================================ type CSVs (4, 5)
    add("NodeTypesMissingIdColumn", [](Ctx& c) { replace_once(c.net("cortex_node_types.csv"), "node_type_id ei", "type_id ei"); },
        4, {kCortexTypes, "node_type_id"});
    add("NodeTypesRaggedRow",
        [](Ctx& c) { replace_once(c.net("cortex_node_types.csv"), "nest:iaf_psc_delta LIF_inh", "nest:iaf_psc_delta"); }, 4,
        {kCortexTypes, "line 3", "5 fields", "6 columns"});
    add("NodeTypesDuplicateId",
        [](Ctx& c) { replace_once(c.net("cortex_node_types.csv"), "101 i iaf_psc_delta_inh.json", "100 i iaf_psc_delta_inh.json"); },
        4, {kCortexTypes, "node_type_id", "100"});
    add("NodeTypesModelTemplateNone",
        [](Ctx& c) { replace_once(c.net("cortex_node_types.csv"), "point_neuron nest:iaf_psc_delta LIF_inh", "point_neuron NONE LIF_inh"); },
        4, {kCortexTypes, "node_type_id 101", "model_template is missing"});
    add("NodeTypesIdNotANumber",
        [](Ctx& c) { replace_once(c.net("cortex_node_types.csv"), "101 i iaf_psc_delta_inh.json", "1o1 i iaf_psc_delta_inh.json"); },
        4, {kCortexTypes, "node_type_id", "1o1"});
    add("NodeTypesFileMissing", [](Ctx& c) { fs::remove(c.net("thalamus_node_types.csv")); }, 4,
        {"network/thalamus_node_types.csv", "not found"});
    add("EdgeTypesRaggedRow",
        [](Ctx& c) { replace_once(c.net("thalamus_cortex_edge_types.csv"), "ExcToExc.json static_synapse", "ExcToExc.json static_synapse 7"); },
        4, {kTCTypes, "line 2", "8 fields", "7 columns"});
    add("EdgeTypesDuplicateId",
        [](Ctx& c) { replace_once(c.net("cortex_cortex_edge_types.csv"), "101 * ei=='i'", "100 * ei=='i'"); }, 4,
        {kCCTypes, "edge_type_id", "100"});
    add("EdgeTypesModelTemplateNone",
        [](Ctx& c) { replace_once(c.net("thalamus_cortex_edge_types.csv"), "ExcToExc.json static_synapse", "ExcToExc.json NONE"); },
        4, {kTCTypes, "edge_type_id 100", "model_template is missing"});
    add("EdgeTypesSynWeightNotANumber",
        [](Ctx& c) { replace_once(c.net("thalamus_cortex_edge_types.csv"), "100 * * 4.2 1.5", "100 * * heavy 1.5"); }, 4,
        {kTCTypes, "edge_type_id 100", "syn_weight", "heavy"});
    add("EdgeTypeIdNotInCsv", [](Ctx& c) { set_u64(c.net("thalamus_cortex_edges.h5"), "/edges/thalamus_to_cortex/edge_type_id", 3, 999); },
        4, {kTCEdges, "/edges/thalamus_to_cortex/edge_type_id[3] = 999", kTCTypes});
    add("UnknownNodeModelTemplate",
        [](Ctx& c) { replace_once(c.net("cortex_node_types.csv"), "nest:iaf_psc_delta LIF_exc", "nest:iaf_psc_foo LIF_exc"); }, 5,
        {kCortexTypes, "node_type_id 100", "nest:iaf_psc_foo", "nest:iaf_psc_alpha"});
    add("NodeModelTemplateWithoutPrefix",
        [](Ctx& c) { replace_once(c.net("cortex_node_types.csv"), "nest:iaf_psc_delta LIF_exc", "iaf_psc_delta LIF_exc"); }, 5,
        {kCortexTypes, "node_type_id 100", "iaf_psc_delta", "nest:"});
    add("UnknownSynapseModel",
        [](Ctx& c) { replace_once(c.net("thalamus_cortex_edge_types.csv"), "static_synapse", "tsodyks3_synapse"); }, 5,
        {kTCTypes, "edge_type_id 100", "tsodyks3_synapse"});
    add("NodeDynamicsParamsFileMissing", [](Ctx& c) { fs::remove(c.cell("iaf_psc_delta_inh.json")); }, 4,
        {"cell_models/iaf_psc_delta_inh.json", "not found", "node_type_id 101"});
    add("EdgeDynamicsParamsFileMissing", [](Ctx& c) { fs::remove(c.synapse("ExcToExc.json")); }, 4,
        {"synaptic_models/ExcToExc.json", "not found", "edge_type_id 100"});

    // ================================================ nodes HDF5 (4)
    add("NodesMissingNodeTypeId", [](Ctx& c) { unlink_h5(c.net("cortex_nodes.h5"), "/nodes/cortex/node_type_id"); }, 4,
        {kCortexNodes, "/nodes/cortex/node_type_id", "missing"});
    add("NodesMismatchedLengths",
        [](Ctx& c) {
            auto v = read_u64(c.net("cortex_nodes.h5"), "/nodes/cortex/node_group_index");
            v.pop_back();
            recreate_u64(c.net("cortex_nodes.h5"), "/nodes/cortex/node_group_index", v);
        },
        4, {kCortexNodes, "/nodes/cortex/node_group_index", "119", "120"});
    add("NodesFloatNodeTypeId",
        [](Ctx& c) {
            const auto ids = read_u64(c.net("cortex_nodes.h5"), "/nodes/cortex/node_type_id");
            recreate_f64(c.net("cortex_nodes.h5"), "/nodes/cortex/node_type_id", std::vector<double>(ids.begin(), ids.end()));
        },
        4, {kCortexNodes, "/nodes/cortex/node_type_id", "integer"});
    add("NodesDuplicateNodeId", [](Ctx& c) { set_u64(c.net("cortex_nodes.h5"), "/nodes/cortex/node_id", 5, 4); }, 4,
        {kCortexNodes, "/nodes/cortex/node_id", "4"});
    add("NodesWithoutNodesGroup",
        [](Ctx& c) {
            H5::H5File f(c.net("thalamus_nodes.h5").string(), H5F_ACC_TRUNC);
            f.createGroup("/neurons");
        },
        4, {"network/thalamus_nodes.h5", "/nodes"});
    add("NodesGroupIdWithoutGroup",
        [](Ctx& c) {
            const fs::path f = c.net("cortex_nodes.h5");
            set_u64(f, "/nodes/cortex/node_group_id", 9, 1);
        },
        4, {kCortexNodes, "/nodes/cortex/node_group_id: row 9: group 1 does not exist"});
    add("NodesGroupIndexOutOfRange", [](Ctx& c) { set_u64(c.net("cortex_nodes.h5"), "/nodes/cortex/node_group_index", 7, 500); },
        4, {kCortexNodes, "/nodes/cortex/node_group_index: row 7: index 500 is out of range", "/nodes/cortex/0"});
    add("NodesNotHdf5", [](Ctx& c) { write_text(c.net("cortex_nodes.h5"), "node_id node_type_id\n0 100\n"); }, 4,
        {kCortexNodes, "HDF5"});
    add("NodeTypeIdNotInCsv", [](Ctx& c) { set_u64(c.net("cortex_nodes.h5"), "/nodes/cortex/node_type_id", 11, 7); }, 4,
        {kCortexNodes, "/nodes/cortex/node_type_id[11] = 7", kCortexTypes});

    // ================================================ edges HDF5 (4)
    add("EdgesMissingSourceNodeId", [](Ctx& c) { unlink_h5(c.net("cortex_cortex_edges.h5"), "/edges/cortex_to_cortex/source_node_id"); },
        4, {kCCEdges, "/edges/cortex_to_cortex/source_node_id", "missing"});
    add("EdgesMismatchedLengths",
        [](Ctx& c) {
            const fs::path f = c.net("cortex_cortex_edges.h5");
            auto v = read_u64(f, "/edges/cortex_to_cortex/edge_type_id");
            v.resize(v.size() - 10);
            recreate_u64(f, "/edges/cortex_to_cortex/edge_type_id", v);
            c.mentions.push_back(std::to_string(v.size()));
        },
        4, {kCCEdges, "/edges/cortex_to_cortex/edge_type_id"});
    add("EdgesSourceIdOutOfRange", [](Ctx& c) { set_u64(c.net("thalamus_cortex_edges.h5"), "/edges/thalamus_to_cortex/source_node_id", 10, 5000); },
        4, {kTCEdges, "/edges/thalamus_to_cortex/source_node_id[10] = 5000", "'thalamus'"});
    add("EdgesTargetIdOutOfRange", [](Ctx& c) { set_u64(c.net("cortex_cortex_edges.h5"), "/edges/cortex_to_cortex/target_node_id", 3, 120); },
        4, {kCCEdges, "/edges/cortex_to_cortex/target_node_id[3] = 120", "'cortex'"});
    add("EdgesUnknownSourcePopulation",
        [](Ctx& c) { set_string_attr(c.net("thalamus_cortex_edges.h5"), "/edges/thalamus_to_cortex/source_node_id", "node_population", "thalamos"); },
        4, {kTCEdges, "thalamos"});
    add("EdgesMissingNodePopulationAttribute",
        [](Ctx& c) { remove_attr(c.net("thalamus_cortex_edges.h5"), "/edges/thalamus_to_cortex/target_node_id", "node_population"); },
        4, {kTCEdges, "/edges/thalamus_to_cortex/target_node_id", "node_population"});
    add("EdgesFloatEdgeTypeId",
        [](Ctx& c) {
            const fs::path f = c.net("thalamus_cortex_edges.h5");
            const auto ids = read_u64(f, "/edges/thalamus_to_cortex/edge_type_id");
            recreate_f64(f, "/edges/thalamus_to_cortex/edge_type_id", std::vector<double>(ids.begin(), ids.end()));
        },
        4, {kTCEdges, "/edges/thalamus_to_cortex/edge_type_id", "integer"});
    add("EdgesGroupIdWithoutGroup",
        [](Ctx& c) {
            const fs::path f = c.net("cortex_cortex_edges.h5");
            set_u64(f, "/edges/cortex_to_cortex/edge_group_id", 4, 3);
        },
        4, {kCCEdges, "/edges/cortex_to_cortex/edge_group_id: row 4: group 3 does not exist"});
    add("EdgesGroupIndexOutOfRange",
        [](Ctx& c) { set_u64(c.net("cortex_cortex_edges.h5"), "/edges/cortex_to_cortex/edge_group_index", 2, 100000); }, 4,
        {kCCEdges, "/edges/cortex_to_cortex/edge_group_index: row 2: index 100000 is beyond", "/edges/cortex_to_cortex/0/nsyns"});
    add("EdgesNsynsTooShort",
        [](Ctx& c) { recreate_u64(c.net("cortex_cortex_edges.h5"), "/edges/cortex_to_cortex/0/nsyns", std::vector<std::uint64_t>(100, 1)); },
        4, {kCCEdges, "edge_group_index: row 100: index 100 is beyond the 100 rows of /edges/cortex_to_cortex/0/nsyns"});
    add("EdgesWithoutEdgesGroup",
        [](Ctx& c) {
            H5::H5File f(c.net("thalamus_cortex_edges.h5").string(), H5F_ACC_TRUNC);
            f.createGroup("/connections");
        },
        4, {kTCEdges, "/edges"});

    // ================================================ component JSON (4, 5)
    add("CellUnknownParameter", cell_edit([](OJson& j) { j["tau_mm"] = 10.0; }), 5, {kExcCell, "tau_mm", "iaf_psc_delta"});
    add("CellNegativeTauM", cell_edit([](OJson& j) { j["tau_m"] = -10.0; }), 5, {kExcCell, "(tau_m)", "given: tau_m = -10.0"});
    add("CellVResetAboveVTh",
        cell_edit([](OJson& j) {
            j["V_th"] = -55.0;
            j["V_reset"] = -50.0;
        }),
        5, {kExcCell, "V_reset < V_th", "V_reset = -50.0", "V_th = -55.0"});
    add("CellZeroCapacitance", cell_edit([](OJson& j) { j["C_m"] = 0.0; }), 5, {kExcCell, "C_m", "0"});
    add("CellNegativeRefractoryTime", cell_edit([](OJson& j) { j["t_ref"] = -2.0; }), 5, {kExcCell, "(t_ref)", "given: t_ref = -2.0"});
    add("CellParameterIsAString", cell_edit([](OJson& j) { j["C_m"] = "250"; }), 5, {kExcCell, "C_m", "\"250\""});
    add("CellJsonSyntaxError", [](Ctx& c) { write_text(c.cell("iaf_psc_delta_exc.json"), "{ \"tau_m\": 10.0, }\n"); }, 4,
        {kExcCell, "invalid JSON: parse error at line 1, column 18"});
    add("CellJsonNotAnObject", [](Ctx& c) { write_text(c.cell("iaf_psc_delta_exc.json"), "[10.0]\n"); }, 4,
        {kExcCell, "must be a JSON object, got [10.0]"});
    add("SynapseUnknownParameter", [](Ctx& c) { write_text(c.synapse("ExcToExc.json"), "{\"tau_plus\": 20.0}\n"); }, 5,
        {"synaptic_models/ExcToExc.json", "tau_plus", "static_synapse"});
    // The excitatory cells become another NEST model with bad parameters:
    // NEST's rule is named, with the file and the value.
    auto cell_model = [](const std::string& model, const std::string& json) {
        return [model, json](Ctx& c) {
            write_text(c.cell("iaf_psc_delta_exc.json"), json);
            replace_once(c.net("cortex_node_types.csv"), "nest:iaf_psc_delta LIF_exc", "nest:" + model + " LIF_exc");
        };
    };
    add("CellAeifVpeakBelowVth", cell_model("aeif_cond_alpha", "{\"V_peak\": -55.0}\n"), 5,
        {kExcCell, "aeif_cond_alpha", "V_peak >= V_th required.", "V_peak = -55.0"});
    add("CellAeifNegativeDeltaT", cell_model("aeif_psc_exp", "{\"Delta_T\": -1.0}\n"), 5,
        {kExcCell, "aeif_psc_exp", "Delta_T must be positive.", "Delta_T = -1.0"});
    add("CellHhNegativeCapacitance", cell_model("hh_psc_alpha", "{\"C_m\": -1.0}\n"), 5,
        {kExcCell, "hh_psc_alpha", "Capacitance must be strictly positive (C_m > 0)", "C_m = -1.0"});
    add("CellGlifCondPortListsDiffer", cell_model("glif_cond", "{\"tau_syn\": [0.2, 2.0, 1.0]}\n"), 5,
        {kExcCell, "glif_cond", "E_rev (2) and tau_syn (3), must have the same size"});
    add("CellMat2SameTimeConstants", cell_model("mat2_psc_exp", "{\"tau_m\": 1.0, \"tau_syn_ex\": 1.0}\n"), 5,
        {kExcCell, "mat2_psc_exp", "Membrane and synapse time constant(s) must differ"});
    // The thalamic edge type becomes a short-term plastic synapse with tsodyks.json.
    auto tsodyks = [](const std::string& model, const std::string& json) {
        return [model, json](Ctx& c) {
            write_text(c.synapse("tsodyks.json"), json);
            replace_once(c.net("thalamus_cortex_edge_types.csv"), "ExcToExc.json static_synapse", "tsodyks.json " + model);
        };
    };
    add("SynapseTsodyksUAboveOne", tsodyks("tsodyks2_synapse", "{\"U\": 1.5, \"tau_rec\": 100.0}\n"), 5,
        {"synaptic_models/tsodyks.json", "tsodyks2_synapse", "U must be in [0,1].", "U = 1.5"});
    add("SynapseTsodyksZeroTauRec", tsodyks("tsodyks_synapse", "{\"U\": 0.5, \"tau_rec\": 0}\n"), 5,
        {"synaptic_models/tsodyks.json", "tsodyks_synapse", "tau_rec must be > 0.", "tau_rec = 0"});
    add("SynapseTsodyksUnknownParameter", tsodyks("tsodyks2_synapse", "{\"U\": 0.5, \"tau_psc\": 3.0}\n"), 5,
        {"synaptic_models/tsodyks.json", "unknown parameter 'tau_psc'", "tsodyks2_synapse"});

    // ================================================ spike inputs (3, 4)
    add("SpikesUnknownNodeSet", config_edit([](OJson& j) { j["inputs"]["thalamus_spikes"]["node_set"] = "thalamos"; }), 3,
        {"bad.json", "inputs.thalamus_spikes.node_set", "thalamos"});
    add("SpikesNodeSetNotVirtual", config_edit([](OJson& j) { j["inputs"]["thalamus_spikes"]["node_set"] = "cortex"; }), 3,
        {"bad.json", "inputs.thalamus_spikes.node_set", "'cortex'", "not virtual"});
    add("SpikesUnsupportedModule", config_edit([](OJson& j) { j["inputs"]["thalamus_spikes"]["module"] = "poisson"; }), 3,
        {"bad.json", "inputs.thalamus_spikes", "poisson"});
    add("SpikesFileMissing", [](Ctx& c) { fs::remove(c.input("thalamus_spikes.h5")); }, 4, {kSpikesH5, "not found"});
    add("SpikesFileNotHdf5", [](Ctx& c) { write_text(c.input("thalamus_spikes.h5"), "timestamps node_ids\n1.0 0\n"); }, 4,
        {kSpikesH5, "HDF5"});
    add("SpikesUnknownPopulation",
        [](Ctx& c) {
            H5::H5File f(c.input("thalamus_spikes.h5").string(), H5F_ACC_RDWR);
            f.link(H5L_TYPE_HARD, "/spikes/thalamus", "/spikes/lgn");
            f.move("/spikes/thalamus", "/spikes/retina");
        },
        4, {kSpikesH5, "'thalamus'", "2 populations"});
    add("SpikesMissingTimestamps", [](Ctx& c) { unlink_h5(c.input("thalamus_spikes.h5"), "/spikes/thalamus/timestamps"); }, 4,
        {kSpikesH5, "/spikes/thalamus/timestamps", "missing"});
    add("SpikesLengthMismatch",
        [](Ctx& c) { write_spikes_h5(c.input("thalamus_spikes.h5"), "thalamus", {1.0, 2.0, 3.0}, {0, 1}); }, 4,
        {kSpikesH5, "/spikes/thalamus", "3", "2"});
    add("SpikesNegativeTime",
        [](Ctx& c) { write_spikes_h5(c.input("thalamus_spikes.h5"), "thalamus", {1.0, -2.5, 3.0}, {0, 1, 2}); }, 4,
        {kSpikesH5, "spike 1", "node 1", "-2.5", "> 0"});
    add("SpikesNanTime",
        [](Ctx& c) {
            write_spikes_h5(c.input("thalamus_spikes.h5"), "thalamus", {1.0, std::numeric_limits<double>::quiet_NaN()}, {0, 1});
        },
        4, {kSpikesH5, "spike 1", "nan"});
    add("SpikesNodeIdOutOfRange",
        [](Ctx& c) { write_spikes_h5(c.input("thalamus_spikes.h5"), "thalamus", {1.0, 2.0}, {0, 100}); }, 4,
        {kSpikesH5, "spike 1", "node_id 100", "'thalamus'"});
    add("SpikesCsvTimeNotANumber", spikes_csv("timestamps population node_ids\n1.5 thalamus 0\nabc thalamus 1\n"), 4,
        {"inputs/spikes.csv", "line 3", "abc"});
    add("SpikesCsvRaggedRow", spikes_csv("timestamps population node_ids\n1.5 thalamus 0\n2.5 thalamus\n"), 4,
        {"inputs/spikes.csv", "line 3"});
    add("SpikesCsvMissingColumn", spikes_csv("timestamps population\n1.5 thalamus\n"), 4,
        {"inputs/spikes.csv", "node_ids"});

    // ================================================ current clamps (3, 4)
    add("ClampAmpListWrongLength",
        config_edit([](OJson& j) {
            auto& cl = j["inputs"]["current_clamp"];
            cl["amp"] = {0.1, 0.2, 0.3};
            cl["delay"] = {2.0, 8.0};
            cl["duration"] = {1.0, 1.0};
        }),
        3, {"bad.json", "inputs.current_clamp", "amp has 3", "delay 2", "duration 2"});
    add("ClampAmpNotANumber", config_edit([](OJson& j) { j["inputs"]["current_clamp"]["amp"] = "strong"; }), 3,
        {"bad.json", "inputs.current_clamp.amp", "\"strong\""});
    add("ClampUnknownInputType", config_edit([](OJson& j) { j["inputs"]["current_clamp"]["input_type"] = "ramp"; }), 3,
        {"bad.json", "inputs.current_clamp", "ramp"});
    add("ClampUnknownNodeSet", config_edit([](OJson& j) { j["inputs"]["current_clamp"]["node_set"] = "cortx"; }), 3,
        {"bad.json", "inputs.current_clamp.node_set", "cortx"});
    add("ClampCsvFileMissing",
        [](Ctx& c) {
            clamp_csv("timestamps amps\n5.0 0.1\n")(c);
            fs::remove(c.input("clamp.csv"));
        },
        4, {"inputs/clamp.csv", "not found"});
    add("ClampCsvMissingAmpsColumn", clamp_csv("timestamps amplitude\n5.0 0.1\n10.0 0.0\n"), 4,
        {"inputs/clamp.csv", "amps"});
    add("ClampCsvAmpNotANumber", clamp_csv("timestamps amps\n5.0 0.1\n10.0 zero\n"), 4,
        {"inputs/clamp.csv", "zero"});

    // ------------------------------------------------ current clamps from an NWB sweep (3, 4)
    const std::string kNwbData = "/epochs/Sweep_3/stimulus/timeseries/data";
    const std::string kNwbStart = "/epochs/Sweep_3/stimulus/timeseries/starting_time";
    add("ClampNwbFileMissing", clamp_nwb(good_sweep(), [](Ctx& c) { fs::remove(c.input("clamp.nwb")); }), 4,
        {"inputs/clamp.nwb", "file not found", "bad.json: inputs.current_clamp.file"});
    add("ClampNwbSweepMissing", clamp_nwb_edit([](OJson& cl) { cl["sweep_id"] = 4; }), 4,
        {"inputs/clamp.nwb", "/epochs/Sweep_4", "no such sweep", "'Sweep_3'"});
    add("ClampNwbDataRank2",
        clamp_nwb(good_sweep(),
                  [](Ctx& c) {
                      H5::H5File f(c.input("clamp.nwb").string(), H5F_ACC_RDWR);
                      f.unlink("/stimulus/presentation/Sweep_3/data");
                      const hsize_t dims[2] = {1000, 2};
                      f.createDataSet("/stimulus/presentation/Sweep_3/data", H5::PredType::IEEE_F32LE,
                                      H5::DataSpace(2, dims));
                  }),
        4, {"inputs/clamp.nwb", kNwbData, "1-D", "rank 2"});
    add("ClampNwbDataStrings",
        clamp_nwb(good_sweep(),
                  [](Ctx& c) {
                      H5::H5File f(c.input("clamp.nwb").string(), H5F_ACC_RDWR);
                      f.unlink("/stimulus/presentation/Sweep_3/data");
                      H5::StrType t(H5::PredType::C_S1, 8);
                      const hsize_t n = 2;
                      char text[16] = "1.5e-10";  // and "" in the second row
                      f.createDataSet("/stimulus/presentation/Sweep_3/data", t, H5::DataSpace(1, &n)).write(text, t);
                  }),
        4, {"inputs/clamp.nwb", kNwbData, "integer or float"});
    add("ClampNwbRateMissing", clamp_nwb(with_rate(std::nullopt)), 4,
        {"inputs/clamp.nwb", kNwbStart, "'rate'", "missing"});
    add("ClampNwbRateZero", clamp_nwb(with_rate(0.0)), 4, {"inputs/clamp.nwb", kNwbStart, "'rate' = 0", "positive"});
    add("ClampNwbRateNegative", clamp_nwb(with_rate(-1e5)), 4,
        {"inputs/clamp.nwb", kNwbStart, "'rate' = -100000", "positive"});
    add("ClampNwbDownsampleZero", clamp_nwb_edit([](OJson& cl) { cl["downsample"] = 0; }), 3,
        {"bad.json", "inputs.current_clamp.downsample", "0 ms", "positive"});
    add("ClampNwbDownsampleNotANumber", clamp_nwb_edit([](OJson& cl) { cl["downsample"] = "0.5 ms"; }), 3,
        {"bad.json", "inputs.current_clamp.downsample", "\"0.5 ms\""});
    add("ClampNwbSweepWindowReversed", clamp_nwb_edit([](OJson& cl) { cl["sweep_window"] = {15.0, 5.0}; }), 3,
        {"bad.json", "inputs.current_clamp.sweep_window", "[15.0,5.0]", "0 <= start_time < stop_time"});
    add("ClampNwbSamplesOffTheGrid", clamp_nwb(with_rate(3e5)), 3,
        {"bad.json", "inputs.current_clamp", "not a multiple of dt", "clamp.nwb Sweep_3", "downsample"});

    // ================================================ reports (3)
    add("ReportUnknownVariable", config_edit([](OJson& j) { j["reports"]["membrane_potential"]["variable_name"] = "V_x"; }), 3,
        {"bad.json", "reports.membrane_potential.variable_name", "'V_x'", "V_m"});
    add("ReportIntervalOffGrid", config_edit([](OJson& j) { j["reports"]["membrane_potential"]["interval"] = 0.015; }), 3,
        {"bad.json", "reports.membrane_potential.interval", "0.015", "dt"});
    add("ReportCellsOnlyVirtual",
        config_edit([](OJson& j) { j["reports"]["membrane_potential"]["cells"] = {{"population", "thalamus"}}; }), 3,
        {"bad.json", "reports.membrane_potential.cells", "no simulated neuron"});

    // ================================================ numerics (3, 4)
    add("DtNotOnTheTicGrid", config_edit([](OJson& j) { j["run"]["dt"] = 0.0015; }), 3, {"bad.json", "run.dt", "0.0015", "0.001"});
    add("NThreadZero", config_edit([](OJson& j) { j["run"]["n_thread"] = 0; }), 3,
        {"bad.json", "run.n_thread", "whole number", "got 0"});
    add("NThreadNotWhole", config_edit([](OJson& j) { j["run"]["n_thread"] = 2.5; }), 3,
        {"bad.json", "run.n_thread", "whole number", "2.5"});
    add("DtZero", config_edit([](OJson& j) { j["run"]["dt"] = 0.0; }), 3, {"bad.json", "run.dt", "positive"});
    add("DtNegative", config_edit([](OJson& j) { j["run"]["dt"] = -0.1; }), 3, {"bad.json", "run.dt", "-0.1", "positive"});
    add("TstopShorterThanDt", config_edit([](OJson& j) { j["run"]["tstop"] = 0.005; }), 3,
        {"bad.json", "run.tstop = 0.005 ms is shorter than dt = 0.01 ms"});
    add("TstopNegative", config_edit([](OJson& j) { j["run"]["tstop"] = -5.0; }), 3, {"bad.json", "run.tstop", "-5"});
    add("DelayBelowHalfDt",
        [](Ctx& c) { replace_once(c.net("thalamus_cortex_edge_types.csv"), "100 * * 4.2 1.5 ", "100 * * 4.2 0.004 "); }, 4,
        {kTCEdges, "delay 0.004 ms", "dt = 0.01 ms"});
    add("DelayNegativeInH5",
        [](Ctx& c) {
            const fs::path f = c.net("cortex_cortex_edges.h5");
            std::vector<double> d(length_of(f, "/edges/cortex_to_cortex/0/nsyns"), 1.5);
            d.at(12) = -1.0;
            recreate_f64(f, "/edges/cortex_to_cortex/0/delay", d);
        },
        4, {kCCEdges, "/edges/cortex_to_cortex[12]", "delay -1 ms"});
    add("DelayTooLongForTheGrid",
        [](Ctx& c) { replace_once(c.net("thalamus_cortex_edge_types.csv"), "100 * * 4.2 1.5 ", "100 * * 4.2 20000 "); }, 4,
        {kTCEdges, "/edges/thalamus_to_cortex[0]: delay 20000 ms is 2000000 steps", "1048575 steps"});
    add("DelayNanInH5",
        [](Ctx& c) {
            const fs::path f = c.net("cortex_cortex_edges.h5");
            std::vector<double> d(length_of(f, "/edges/cortex_to_cortex/0/nsyns"), 1.5);
            d.at(3) = std::numeric_limits<double>::quiet_NaN();
            recreate_f64(f, "/edges/cortex_to_cortex/0/delay", d);
        },
        4, {kCCEdges, "/edges/cortex_to_cortex[3]", "delay", "nan"});
    add("WeightInfInH5",
        [](Ctx& c) {
            const fs::path f = c.net("cortex_cortex_edges.h5");
            std::vector<double> w(length_of(f, "/edges/cortex_to_cortex/0/nsyns"), 1.0);
            w.at(9) = std::numeric_limits<double>::infinity();
            recreate_f64(f, "/edges/cortex_to_cortex/0/syn_weight", w);
        },
        4, {kCCEdges, "/edges/cortex_to_cortex[9]", "syn_weight", "inf"});
    add("WeightInfInCsv",
        [](Ctx& c) { replace_once(c.net("cortex_cortex_edge_types.csv"), "101 * ei=='i' -1.5", "101 * ei=='i' -inf"); }, 4,
        {kCCEdges, "synaptic weight is -inf", "syn_weight -inf from edge_type_id 101 in", kCCTypes});
    add("WeightNanInCsv",
        [](Ctx& c) { replace_once(c.net("thalamus_cortex_edge_types.csv"), "100 * * 4.2 1.5 ", "100 * * NaN 1.5 "); }, 4,
        {kTCEdges, "/edges/thalamus_to_cortex[0]", "syn_weight", kTCTypes, "edge_type_id 100"});

    // ================================================ resource limits (3, 4)
    add("MemoryLimitConnectivity",
        [](Ctx& c) {
            c.env = "POINTSIM_MEMORY_LIMIT_BYTES=1000";
            // 8 bytes per edge row: every row of both edge files.
            const std::size_t rows = length_of(c.net("cortex_cortex_edges.h5"), "/edges/cortex_to_cortex/edge_type_id") +
                                     length_of(c.net("thalamus_cortex_edges.h5"), "/edges/thalamus_to_cortex/edge_type_id");
            c.mentions.push_back("the connectivity (" + std::to_string(rows) + " edge rows x 8 bytes");
        },
        4, {"bad.json", "networks.edges", "needs about", "but only 1.0 kB of memory are available",
            "POINTSIM_MEMORY_LIMIT_BYTES = 1000", "use more MPI ranks"});
    add("MemoryLimitRingBuffer",
        // The connectivity (about 37 kB) fits; 151 slots (1.5 ms at dt 0.01) x 120 neurons do not.
        [](Ctx& c) { c.env = "POINTSIM_MEMORY_LIMIT_BYTES=60000"; }, 4,
        {"bad.json", "networks.edges", "the input ring buffer (151 slots for delays up to 1.5 ms", "120 neurons",
         "needs about 145.0 kB", "POINTSIM_MEMORY_LIMIT_BYTES = 60000"});
    add("MemoryLimitNotANumber", [](Ctx& c) { c.env = "POINTSIM_MEMORY_LIMIT_BYTES=8GB"; }, 3,
        {"POINTSIM_MEMORY_LIMIT_BYTES", "'8GB'", "whole number of bytes"});
    add("SynapseWordsNeither32Nor64", [](Ctx& c) { c.env = "POINTSIM_SYNAPSE_WORDS=48"; }, 3,
        {"POINTSIM_SYNAPSE_WORDS", "'48'", "neither 32 nor 64"});

    return cs;
}

const std::vector<Case>& cases() {
    static const std::vector<Case> all = make_cases();
    return all;
}

// ------------------------------------------------------------ running

using Result = testing_files::RunResult;
using testing_files::quoted;

class Fixture {
public:
    Fixture() {
        std::string pattern = (fs::temp_directory_path() / "pointsim-bad-XXXXXX").string();
        if (!mkdtemp(pattern.data())) throw std::runtime_error("mkdtemp failed");
        ctx.root = pattern;
        ctx.comps = ctx.root / "point_components";
        ctx.ex = ctx.root / "point_120cells";
        fs::copy(kExamples / "point_components", ctx.comps, fs::copy_options::recursive);
        fs::copy(kExamples / "point_120cells", ctx.ex, fs::copy_options::recursive);
        ctx.cfg = ctx.ex / "bad.json";
        write_text(ctx.cfg, base_config().dump(2));
    }

    Result run(const std::string& options = "") {
        return testing_files::run_in(ctx.root, (ctx.env.empty() ? "" : ctx.env + " ") + quoted(kExe) + " run -q " +
                                                   quoted(ctx.cfg.string()) + options);
    }

    // Removes the directory unless the test failed.
    void finish(bool failed) {
        if (failed) {
            std::cerr << "test directory kept: " << ctx.root << '\n';
            return;
        }
        std::error_code ec;
        fs::remove_all(ctx.root, ec);
    }

    Ctx ctx;
};

bool has_temp_file(const fs::path& root) {
    for (const auto& e : fs::recursive_directory_iterator(root))
        if (e.path().filename().string().find("pointsim-tmp") != std::string::npos) return true;
    return false;
}

class BadInput : public ::testing::TestWithParam<Case> {};

TEST_P(BadInput, FailsWithOneClearLineAndWritesNothing) {
    const Case& c = GetParam();
    Fixture fx;
    try {
        c.mutate(fx.ctx);
    } catch (const std::exception& e) {
        FAIL() << "the mutation failed: " << e.what();
    }
    const Result r = fx.run();
    EXPECT_EQ(r.code, c.code) << "stderr:\n" << r.err;
    EXPECT_TRUE(r.out.empty()) << "stdout:\n" << r.out;
    const auto lines = lines_of(r.err);
    EXPECT_EQ(lines.size(), 1u) << "expected exactly one line on stderr, got:\n" << r.err;
    if (!lines.empty()) {
        const std::string& line = lines.back();
        if (std::getenv("POINTSIM_CLI_SHOW")) std::cout << "    " << line << "\n";
        EXPECT_EQ(line.rfind("pointsim: error: ", 0), 0u) << line;
        std::vector<std::string> mentions = c.mentions;
        mentions.insert(mentions.end(), fx.ctx.mentions.begin(), fx.ctx.mentions.end());
        for (const auto& m : mentions) EXPECT_NE(line.find(m), std::string::npos) << "'" << m << "' not in: " << line;
    }
    EXPECT_FALSE(fs::exists(fx.ctx.ex / "output")) << "the output folder was created";
    EXPECT_FALSE(has_temp_file(fx.ctx.root)) << "a *.pointsim-tmp file was left";
    // Two threads (the edge rows are then turned into synapses on both) name
    // the same row. (Only the error lines: on one core a warning comes too.)
    const Result threaded = fx.run(" --threads 2");
    EXPECT_EQ(threaded.code, r.code) << "with --threads 2, stderr:\n" << threaded.err;
    auto error_lines = [](const std::string& err) {
        std::vector<std::string> errors;
        for (const auto& line : lines_of(err))
            if (line.find("[warning]") == std::string::npos) errors.push_back(line);
        return errors;
    };
    // (The memory a run needs grows with its threads: those lines differ.)
    if (c.name.rfind("MemoryLimit", 0) != 0) {
        EXPECT_EQ(error_lines(threaded.err), lines) << "with --threads 2";
    }
    EXPECT_FALSE(fs::exists(fx.ctx.ex / "output")) << "the output folder was created with --threads 2";
    fx.finish(HasFailure());
}

INSTANTIATE_TEST_SUITE_P(Corpus, BadInput, ::testing::ValuesIn(cases()),
                         [](const ::testing::TestParamInfo<Case>& info) { return info.param.name; });

// The same circuit and config without a defect runs and writes its outputs:
// every case above fails because of its one defect.
TEST(BadInputBaseline, BaselineRunsCleanly) {
    Fixture fx;
    const Result r = fx.run();
    EXPECT_EQ(r.code, 0) << r.err;
    EXPECT_TRUE(r.err.empty()) << r.err;
    for (const char* f : {"spikes.h5", "spikes.csv", "log.txt", "membrane_potential.h5", "bad.json"})
        EXPECT_TRUE(fs::is_regular_file(fx.ctx.ex / "output" / f)) << f << " missing";
    fx.finish(HasFailure());
}

// The NWB form of the current clamp, without a defect, runs too: the
// ClampNwb* cases fail because of their defect.
TEST(BadInputBaseline, NwbClampRunsCleanly) {
    Fixture fx;
    clamp_nwb(good_sweep())(fx.ctx);
    const Result r = fx.run();
    EXPECT_EQ(r.code, 0) << r.err;
    // No warning: a sweep always starts at 0 ms, so dropping the samples at 0
    // and 0.01 ms (<= dt, as PointNet does) is only noted in the log.
    EXPECT_TRUE(r.err.empty()) << r.err;
    EXPECT_TRUE(fs::is_regular_file(fx.ctx.ex / "output" / "spikes.h5"));
    EXPECT_NE(read_text(fx.ctx.ex / "output" / "log.txt").find("2 clamp entries with onset <= dt were skipped"),
              std::string::npos);
    fx.finish(HasFailure());
}

// Every config shipped under examples/ passes `pointsim check`: the BMTK keys
// they carry (target_simulator, conditions, block_run, sections, ...) are
// accepted, not reported as unknown.
TEST(BadInputBaseline, ExampleConfigsHaveNoUnknownKeys) {
    int checked = 0;
    for (const auto& e : fs::recursive_directory_iterator(kExamples)) {
        const std::string name = e.path().filename().string();
        if (e.path().extension() != ".json" || name.find("config") == std::string::npos) continue;
        const OJson doc = OJson::parse(read_text(e.path()));
        // Root configs only: those with a run section or that include others.
        if (!doc.contains("run") && !doc.contains("simulation")) continue;
        const std::string cmd = quoted(kExe) + " check " + quoted(e.path().string()) + " >/dev/null 2>&1";
        const int status = std::system(cmd.c_str());
        const bool complete = doc.contains("network") || doc.contains("networks");
        if (complete) {
            EXPECT_TRUE(WIFEXITED(status) && WEXITSTATUS(status) == 0) << "pointsim check " << e.path() << " failed";
            ++checked;
        }
    }
    EXPECT_GE(checked, 10);
}

// Unsorted spike times are not a defect: pointsim sorts them (as BMTK does).
TEST(BadInputBaseline, UnsortedSpikeTimesAreAccepted) {
    Fixture fx;
    write_spikes_h5(fx.ctx.input("thalamus_spikes.h5"), "thalamus", {9.5, 1.25, 4.0, 1.25}, {3, 0, 7, 2});
    const Result r = fx.run();
    EXPECT_EQ(r.code, 0) << r.err;
    EXPECT_TRUE(r.err.empty()) << r.err;
    EXPECT_TRUE(fs::is_regular_file(fx.ctx.ex / "output" / "spikes.h5"));
    fx.finish(HasFailure());
}

// The size of the corpus, printed after the cases (a parameterized suite
// defined after BadInput runs after it).
class BadInputCorpus : public ::testing::TestWithParam<int> {};

TEST_P(BadInputCorpus, SizeIsAtLeastFifty) {
    std::cout << "bad-input corpus: " << cases().size() << " cases\n";
    EXPECT_GE(cases().size(), 50u);
}

INSTANTIATE_TEST_SUITE_P(Summary, BadInputCorpus, ::testing::Values(0));

}  // namespace
