// Tests for src/config: manifest substitution, file merging, path resolution,
// the typed view, and loading every example config shipped with pointsim.
#include <gtest/gtest.h>
#include <unistd.h>

#include <fstream>
#include <random>
#include <regex>
#include <string>

#include "common/error.hpp"
#include "config/config.hpp"

namespace fs = std::filesystem;
using pointsim::SortOrder;
using pointsim::config::Json;
using pointsim::config::load;
using pointsim::config::resolve_file;
using pointsim::config::SimulationConfig;
using pointsim::config::substitute_manifest;

namespace {

// The message of the pointsim config error `f` throws; a test failure if none.
template <class F>
std::string error_of(F&& f) {
    try {
        f();
    } catch (const pointsim::Error& e) {
        EXPECT_EQ(e.kind(), pointsim::ErrorKind::Config);
        const std::string msg = e.what();
        EXPECT_EQ(msg.find('\n'), std::string::npos) << "message is not one line: " << msg;
        return msg;
    }
    ADD_FAILURE() << "expected a pointsim::Error";
    return "";
}

#define EXPECT_HAS(haystack, needle) EXPECT_NE(std::string(haystack).find(needle), std::string::npos) \
    << "\"" << (haystack) << "\" does not contain \"" << (needle) << "\""

// Smallest network section load() accepts.
const std::string kNetworks = R"("networks": {"nodes": [{"nodes_file": "n.h5", "node_types_file": "n.csv"}]})";

class ConfigTest : public ::testing::Test {
protected:
    void SetUp() override {
        const auto* info = ::testing::UnitTest::GetInstance()->current_test_info();
        dir_ = fs::temp_directory_path() / ("pointsim_config_" + std::string(info->name()) + "_" +
                                            std::to_string(::getpid()) + "_" + std::to_string(std::random_device{}()));
        fs::create_directories(dir_);
        dir_ = fs::canonical(dir_);
    }
    void TearDown() override { fs::remove_all(dir_); }

    fs::path write(const std::string& rel, const std::string& text) const {
        const fs::path p = dir_ / rel;
        fs::create_directories(p.parent_path());
        std::ofstream(p) << text;
        return p;
    }

    // A config holding `body` plus a minimal network and run section.
    fs::path write_config(const std::string& body, const std::string& name = "config.json") const {
        return write(name, "{" + kNetworks + R"(, "run": {"dt": 0.1, "tstop": 10.0})" +
                               (body.empty() ? "" : ", " + body) + "}");
    }

    std::string p(const std::string& rel) const { return (dir_ / rel).lexically_normal().string(); }

    fs::path dir_;
};

// ---- manifest ----------------------------------------------------------------

TEST_F(ConfigTest, DollarAndBraceFormsAreEquivalent) {
    auto cfg = write("c.json", R"({
        "manifest": {"$A": "/a", "B": "b", "$C": "c"},
        "x": "$A/${B}/$C-${A}",
        "list": ["$B", {"deep": "${B}$B"}],
        "num": 3
    })");
    Json doc = resolve_file(cfg);
    EXPECT_EQ(doc["x"], "/a/b/c-/a");
    EXPECT_EQ(doc["list"][0], "b");
    EXPECT_EQ(doc["list"][1]["deep"], "bb");
    EXPECT_EQ(doc["num"], 3);
    EXPECT_FALSE(doc.contains("manifest"));
}

TEST_F(ConfigTest, NestedManifestResolvedInAnyOrder) {
    auto cfg = write("c.json", R"({
        "manifest": {"$DEEP": "$NET/deep", "$NET": "$BASE/network", "$BASE": "/root"},
        "x": "$DEEP/f.h5"
    })");
    EXPECT_EQ(resolve_file(cfg)["x"], "/root/network/deep/f.h5");
}

TEST_F(ConfigTest, BuiltinVariables) {
    auto cfg = write("sub/c.json", R"({
        "d": "${configdir}", "f": "$configfname", "w": "${workingdir}",
        "t": "$time", "day": "$date", "dt": "${datetime}"
    })");
    Json doc = resolve_file(cfg);
    EXPECT_EQ(doc["d"], p("sub"));
    EXPECT_EQ(doc["f"], p("sub/c.json"));
    EXPECT_EQ(doc["w"], fs::current_path().string());
    EXPECT_TRUE(std::regex_match(doc["t"].get<std::string>(), std::regex(R"(\d\d-\d\d-\d\d)")));
    EXPECT_TRUE(std::regex_match(doc["day"].get<std::string>(), std::regex(R"(\d{4}-\d\d-\d\d)")));
    EXPECT_TRUE(std::regex_match(doc["dt"].get<std::string>(), std::regex(R"(\d{4}-\d\d-\d\d_\d\d-\d\d-\d\d)")));
}

TEST_F(ConfigTest, ConfigdirInManifestGivesAbsolutePaths) {
    auto cfg = write_config(R"("manifest": {"$BASE_DIR": "${configdir}", "$OUT": "$BASE_DIR/out"},
                               "output": {"output_dir": "$OUT"})");
    EXPECT_EQ(load(cfg).output.output_dir, p("out"));
}

TEST_F(ConfigTest, ManifestEntryShadowsBuiltin) {
    auto cfg = write("c.json", R"({"manifest": {"configdir": "/elsewhere"}, "x": "$configdir"})");
    EXPECT_EQ(resolve_file(cfg)["x"], "/elsewhere");
}

TEST_F(ConfigTest, ManifestCycleIsAnError) {
    auto cfg = write("c.json", R"({"manifest": {"$A": "$B/x", "$B": "${A}/y", "$OK": "/ok"}, "x": "$OK"})");
    std::string msg = error_of([&] { resolve_file(cfg); });
    EXPECT_EQ(msg.rfind(cfg.string() + ": ", 0), 0u) << msg;
    EXPECT_HAS(msg, "unable to resolve manifest variables");
    EXPECT_HAS(msg, "$A");
    EXPECT_HAS(msg, "$B");
    EXPECT_HAS(msg, "cycle");
    EXPECT_EQ(msg.find("$OK"), std::string::npos) << msg;
}

TEST_F(ConfigTest, ManifestUndefinedNameIsAnError) {
    auto cfg = write("c.json", R"({"manifest": {"$A": "$NOPE/x", "$B": "$A/y"}})");
    std::string msg = error_of([&] { resolve_file(cfg); });
    EXPECT_HAS(msg, cfg.string());
    EXPECT_HAS(msg, "undefined: $NOPE");
    EXPECT_HAS(msg, "$A, $B");
}

// std::regex (libstdc++) recursed once per character of a reference and
// overflowed the stack on this (a segmentation fault); RE2 does not recurse.
TEST_F(ConfigTest, VeryLongReferenceIsAnErrorNotACrash) {
    const std::string name(200000, 'a');
    auto cfg = write("c.json", R"({"manifest": {"$A": "/x"}, "x": "$)" + name + R"(/y", "y": "$A/${A}z"})");
    std::string msg = error_of([&] { resolve_file(cfg); });
    EXPECT_HAS(msg, cfg.string());
    EXPECT_HAS(msg, "$aaaa");
    auto ok = write("d.json", R"({"manifest": {"$A": "/x"}, "y": "$A/${A}z$A"})");
    EXPECT_EQ(resolve_file(ok)["y"], "/x//xz/x");
}

TEST_F(ConfigTest, ManifestValueMustBeAString) {
    auto cfg = write("c.json", R"({"manifest": {"$A": 3}})");
    std::string msg = error_of([&] { resolve_file(cfg); });
    EXPECT_HAS(msg, "manifest.$A must be a string, got 3");
}

TEST_F(ConfigTest, ManifestKeyDefinedTwice) {
    auto cfg = write("c.json", R"({"manifest": {"$A": "x", "A": "y"}})");
    EXPECT_HAS(error_of([&] { resolve_file(cfg); }), "defines A twice");
}

TEST_F(ConfigTest, UndefinedVariableOutsideManifestNamesVariableFileAndKey) {
    auto cfg = write_config(R"("inputs": {"LGN_spikes": {"module": "sonata", "input_type": "spikes",
                                                         "input_file": "$MISSING/x.h5"}})");
    std::string msg = error_of([&] { load(cfg); });
    EXPECT_EQ(msg.rfind(cfg.string() + ": ", 0), 0u) << msg;
    EXPECT_HAS(msg, "$MISSING");
    EXPECT_HAS(msg, "inputs.LGN_spikes.input_file");
}

TEST_F(ConfigTest, SubstituteManifestDirectly) {
    Json doc = Json::parse(R"({"manifest": {"$X": "$y"}, "a": ["k", "$X/$y"], "b": {"c": "${y}"}})");
    Json out = substitute_manifest(doc, {{"y", "Y"}}, "f.json");
    EXPECT_EQ(out["a"][1], "Y/Y");
    EXPECT_EQ(out["b"]["c"], "Y");
    EXPECT_EQ(out["manifest"], doc["manifest"]);  // left as written

    std::string msg = error_of([&] { substitute_manifest(Json::parse(R"({"a": [1, {"b": "$Q"}]})"), {}, "f.json"); });
    EXPECT_EQ(msg.rfind("f.json: ", 0), 0u) << msg;
    EXPECT_HAS(msg, "a[1].b");
    EXPECT_HAS(msg, "$Q");
}

// ---- files, merging, paths ---------------------------------------------------

TEST_F(ConfigTest, NetworkAndSimulationSplitAndChildWins) {
    write("circuit/circuit_config.json", R"({
        "manifest": {"$NET": "./network"},
        "networks": {"nodes": [{"nodes_file": "$NET/v1.h5", "node_types_file": "$NET/v1.csv"}],
                     "edges": [{"edges_file": "../shared/e.h5", "edge_types_file": "/abs/e.csv"}]},
        "components": {"point_neuron_models_dir": "models"},
        "target_simulator": "from_network",
        "metadata": {"only": "network"}
    })");
    write("sim/simulation_config.json", R"({
        "run": {"dt": 0.25, "tstop": 100.0},
        "output": {"output_dir": "output", "log_file": "log.txt"},
        "target_simulator": "from_simulation"
    })");
    auto root = write("config.json", R"({
        "manifest": {"$BASE": "${configdir}"},
        "network": "circuit/circuit_config.json",
        "simulation": "$BASE/sim/simulation_config.json",
        "run": {"dt": 1.0, "tstop": 10},
        "conditions": {"celsius": 34.0}
    })");
    Json doc = resolve_file(root);
    EXPECT_EQ(doc["run"]["dt"], 0.25);                          // child wins, whole "run" replaced
    EXPECT_FALSE(doc["run"].contains("overwrite_output_dir"));  // shallow merge
    EXPECT_EQ(doc["target_simulator"], "from_simulation");      // simulation merged after network
    EXPECT_EQ(doc["conditions"]["celsius"], 34.0);   // root only
    EXPECT_EQ(doc["metadata"]["only"], "network");  // network only
    EXPECT_EQ(doc["network"], p("circuit/circuit_config.json"));
    EXPECT_EQ(doc["simulation"], p("sim/simulation_config.json"));
    EXPECT_FALSE(doc.contains("manifest"));

    SimulationConfig cfg = load(root);
    EXPECT_EQ(cfg.config_path, p("config.json"));
    ASSERT_EQ(cfg.nodes.size(), 1u);
    EXPECT_EQ(cfg.nodes[0].nodes_file, p("circuit/network/v1.h5"));
    EXPECT_EQ(cfg.nodes[0].node_types_file, p("circuit/network/v1.csv"));
    ASSERT_EQ(cfg.edges.size(), 1u);
    EXPECT_EQ(cfg.edges[0].edges_file, p("shared/e.h5"));
    EXPECT_EQ(cfg.edges[0].edge_types_file, "/abs/e.csv");
    EXPECT_EQ(cfg.components.at("point_neuron_models_dir"), p("circuit/models"));
    EXPECT_EQ(cfg.output.output_dir, p("sim/output"));
    EXPECT_EQ(cfg.output.log_file, fs::path(p("sim/output/log.txt")));
    EXPECT_EQ(cfg.run.dt, 0.25);
    EXPECT_EQ(cfg.run.tstop, 100.0);
}

TEST_F(ConfigTest, NestedIncludeFromSimulationFile) {
    write("sub/circuit.json", R"({"networks": {"nodes": [{"nodes_file": "a.h5", "node_types_file": "a.csv"}]}})");
    auto sim = write("sub/simulation.json", R"({"network": "circuit.json", "run": {"dt": 0.1, "tstop": 10}})");
    SimulationConfig cfg = load(sim);
    EXPECT_EQ(cfg.nodes.at(0).nodes_file, p("sub/a.h5"));
}

TEST_F(ConfigTest, ErrorsNameTheFileThatHoldsTheKey) {
    auto circuit = write("net/circuit.json",
                         R"({"networks": {"nodes": [{"nodes_file": "a.h5", "node_types_file": "a.csv"},
                                                   {"nodes_file": "b.h5"}]}})");
    auto root = write("config.json", R"({"network": "net/circuit.json", "run": {"dt": 0.1, "tstop": 10}})");
    std::string msg = error_of([&] { load(root); });
    EXPECT_EQ(msg, circuit.string() + ": networks.nodes[1].node_types_file is missing (required)");
}

TEST_F(ConfigTest, IncludeCycleIsAnError) {
    write("b.json", R"({"simulation": "a.json"})");
    auto a = write("a.json", R"({"network": "b.json"})");
    std::string msg = error_of([&] { resolve_file(a); });
    EXPECT_HAS(msg, "include cycle");
    EXPECT_HAS(msg, p("a.json") + " -> " + p("b.json") + " -> " + p("a.json"));

    auto self = write("self.json", R"({"network": "${configfname}"})");
    EXPECT_HAS(error_of([&] { resolve_file(self); }), "include cycle");
}

TEST_F(ConfigTest, SameChildTwiceIsNotACycle) {
    write("both.json", R"({"x": 1})");
    auto root = write("config.json", R"({"network": "both.json", "simulation": "both.json"})");
    EXPECT_EQ(resolve_file(root)["x"], 1);
}

TEST_F(ConfigTest, MissingChildFileNamesPathAndReferrer) {
    auto root = write("config.json", R"({"network": "nope/circuit.json"})");
    std::string msg = error_of([&] { resolve_file(root); });
    EXPECT_EQ(msg.rfind(p("nope/circuit.json") + ": file not found", 0), 0u) << msg;
    EXPECT_HAS(msg, "\"network\" in " + root.string());
}

TEST_F(ConfigTest, PathKeysResolvedAgainstOwnDirectoryAndNormalised) {
    auto cfg = write("deep/er/c.json", R"({
        "inputs": {"clamp": {"module": "IClamp", "input_type": "csv", "file": "./in/../in/a.csv"},
                   "s": {"input_file": "/abs/x.h5"}},
        "components": {"anything": "comp", "not_a_path": 3},
        "node_sets_file": "../sets.json",
        "output": {"output_dir": "out/", "log_file": "log.txt", "spikes_file": "s.h5"},
        "reports": {"r": {"cells": {"file": "attr"}, "file_name": "v.h5"}},
        "tag": "relative/untouched"
    })");
    Json doc = resolve_file(cfg);
    EXPECT_EQ(doc["inputs"]["clamp"]["file"], p("deep/er/in/a.csv"));
    EXPECT_EQ(doc["inputs"]["s"]["input_file"], "/abs/x.h5");
    EXPECT_EQ(doc["components"]["anything"], p("deep/er/comp"));
    EXPECT_EQ(doc["components"]["not_a_path"], 3);
    EXPECT_EQ(doc["node_sets_file"], p("deep/sets.json"));
    EXPECT_EQ(doc["output"]["output_dir"], p("deep/er/out"));
    EXPECT_EQ(doc["output"]["log_file"], "log.txt");  // relative to output_dir, done by load()
    EXPECT_EQ(doc["reports"]["r"]["cells"]["file"], "attr");  // node-set filter, not a path
    EXPECT_EQ(doc["reports"]["r"]["file_name"], "v.h5");
    EXPECT_EQ(doc["tag"], "relative/untouched");
}

TEST_F(ConfigTest, RelativePathsDoNotDependOnWorkingDirectory) {
    auto cfg = write_config(R"("output": {"output_dir": "./output"})", "sub/config.json");
    const fs::path before = fs::current_path();
    fs::current_path(dir_);
    SimulationConfig a = load("sub/config.json");
    fs::current_path(dir_ / "sub");
    SimulationConfig b = load("config.json");
    fs::current_path(before);
    EXPECT_EQ(a.config_path, cfg);
    EXPECT_EQ(a.output.output_dir, p("sub/output"));
    EXPECT_EQ(b.output.output_dir, p("sub/output"));
    EXPECT_EQ(a.nodes.at(0).nodes_file, p("sub/n.h5"));
}

TEST_F(ConfigTest, BadJsonNamesFileLineAndColumn) {
    auto cfg = write("bad.json", "{\n  \"run\": {\"dt\": 0.1,}\n}\n");
    std::string msg = error_of([&] { resolve_file(cfg); });
    EXPECT_EQ(msg.rfind(cfg.string() + ": invalid JSON", 0), 0u) << msg;
    EXPECT_HAS(msg, "line 2");
    EXPECT_HAS(msg, "column");
    EXPECT_EQ(msg.find("[json.exception"), std::string::npos) << msg;
}

TEST_F(ConfigTest, NumberTooLargeIsInvalidJsonNotACrash) {
    // Found by fuzz_config: nlohmann reports a number it cannot hold (1e999)
    // with out_of_range, not parse_error; it escaped read_json as an internal error.
    auto cfg = write("big.json", "{\"run\": {\"dt\": 1e999}}");
    std::string msg = error_of([&] { resolve_file(cfg); });
    EXPECT_EQ(msg.rfind(cfg.string() + ": invalid JSON", 0), 0u) << msg;
    EXPECT_HAS(msg, "1e999");
    EXPECT_EQ(msg.find("[json.exception"), std::string::npos) << msg;
}

TEST_F(ConfigTest, MissingFileNamesAbsolutePath) {
    const fs::path before = fs::current_path();
    fs::current_path(dir_);
    std::string msg = error_of([&] { load("missing.json"); });
    fs::current_path(before);
    EXPECT_EQ(msg, p("missing.json") + ": file not found");
}

TEST_F(ConfigTest, TopLevelMustBeAnObject) {
    auto cfg = write("c.json", "[1, 2]");
    EXPECT_HAS(error_of([&] { resolve_file(cfg); }), "top level must be a JSON object");
}

// ---- typed view --------------------------------------------------------------

TEST_F(ConfigTest, DurationWinsOverTstop) {
    auto both = write("both.json", "{" + kNetworks + R"(, "run": {"dt": 0.1, "tstop": 10, "duration": 20}})");
    EXPECT_EQ(load(both).run.tstop, 20.0);
    auto tstop = write("tstop.json", "{" + kNetworks + R"(, "run": {"dt": 0.1, "tstop": 10}})");
    EXPECT_EQ(load(tstop).run.tstop, 10.0);
}

TEST_F(ConfigTest, TstopOrDurationIsRequired) {
    // SONATA requires it; without it a run would simulate 0 ms and replace the outputs with empty ones.
    auto neither = write("neither.json", "{" + kNetworks + R"(, "run": {"dt": 0.1}})");
    EXPECT_EQ(error_of([&] { load(neither); }),
              neither.string() + ": run.tstop is missing (required: the simulated time in ms, or run.duration)");
    auto zero = write("zero.json", "{" + kNetworks + R"(, "run": {"dt": 0.1, "tstop": 0}})");
    EXPECT_EQ(load(zero).run.tstop, 0.0);  // given, so allowed (nothing to simulate)
    auto negative = write("neg.json", "{" + kNetworks + R"(, "run": {"dt": 0.1, "duration": -1}})");
    EXPECT_HAS(error_of([&] { load(negative); }), "run.duration must not be negative");
}

TEST_F(ConfigTest, DtIsRequiredAndTyped) {
    auto missing = write("m.json", "{" + kNetworks + R"(, "run": {"tstop": 10}})");
    EXPECT_EQ(error_of([&] { load(missing); }), missing.string() + ": run.dt is missing (required)");
    auto no_run = write("n.json", "{" + kNetworks + "}");
    EXPECT_EQ(error_of([&] { load(no_run); }), no_run.string() + ": run.dt is missing (required)");
    auto text = write("t.json", "{" + kNetworks + R"(, "run": {"dt": "0.1"}})");
    EXPECT_EQ(error_of([&] { load(text); }), text.string() + ": run.dt must be a number, got \"0.1\"");
    auto zero = write("z.json", "{" + kNetworks + R"(, "run": {"dt": 0}})");
    EXPECT_HAS(error_of([&] { load(zero); }), "run.dt must be positive");
    auto bad_stop = write("s.json", "{" + kNetworks + R"(, "run": {"dt": 0.1, "tstop": true}})");
    EXPECT_HAS(error_of([&] { load(bad_stop); }), "run.tstop must be a number, got true");
    auto run_list = write("r.json", "{" + kNetworks + R"(, "run": [1]})");
    EXPECT_HAS(error_of([&] { load(run_list); }), "run must be an object, got [1]");
}

TEST_F(ConfigTest, NThreadIsAWholeNumberOfThreads) {
    auto none = write("none.json", "{" + kNetworks + R"(, "run": {"dt": 0.1, "tstop": 10}})");
    EXPECT_FALSE(load(none).run.n_thread.has_value());
    auto four = write("four.json", "{" + kNetworks + R"(, "run": {"dt": 0.1, "tstop": 10, "n_thread": 4}})");
    EXPECT_EQ(load(four).run.n_thread, 4);
    for (const char* bad : {"0", "-2", "1.5", "5000"}) {
        auto f = write("bad.json", "{" + kNetworks + R"(, "run": {"dt": 0.1, "tstop": 10, "n_thread": )" + bad + "}}");
        EXPECT_EQ(error_of([&] { load(f); }),
                  f.string() + ": run.n_thread must be a whole number of threads from 1 to 4096, got " + bad);
    }
    auto text = write("t.json", "{" + kNetworks + R"(, "run": {"dt": 0.1, "tstop": 10, "n_thread": "2"}})");
    EXPECT_EQ(error_of([&] { load(text); }), text.string() + ": run.n_thread must be a number, got \"2\"");
}

TEST_F(ConfigTest, NetworksRequired) {
    auto none = write("none.json", R"({"run": {"dt": 0.1, "tstop": 10}})");
    std::string msg = error_of([&] { load(none); });
    EXPECT_EQ(msg.rfind(none.string() + ": ", 0), 0u) << msg;
    EXPECT_HAS(msg, "could not find any network files");
    auto empty = write("empty.json", R"({"run": {"dt": 0.1, "tstop": 10}, "networks": {"nodes": []}})");
    EXPECT_HAS(error_of([&] { load(empty); }), "could not find any network files");
    auto not_list = write("nl.json", R"({"run": {"dt": 0.1, "tstop": 10}, "networks": {"nodes": {"a": 1}}})");
    EXPECT_HAS(error_of([&] { load(not_list); }), "networks.nodes must be a list, got {\"a\":1}");
    auto bad_file = write("bf.json", R"({"run": {"dt": 0.1, "tstop": 10},
        "networks": {"nodes": [{"nodes_file": 5, "node_types_file": "x"}]}})");
    EXPECT_HAS(error_of([&] { load(bad_file); }), "networks.nodes[0].nodes_file must be a string, got 5");
}

TEST_F(ConfigTest, DisabledEdgesAreKept) {
    auto cfg = write("c.json", R"({"run": {"dt": 0.1, "tstop": 10}, "networks": {
        "nodes": [{"nodes_file": "n.h5", "node_types_file": "n.csv"}],
        "edges": [{"edges_file": "a.h5", "edge_types_file": "a.csv", "enabled": false},
                  {"edges_file": "b.h5", "edge_types_file": "b.csv", "enabled": true},
                  {"edges_file": "c.h5", "edge_types_file": "c.csv"}]}})");
    SimulationConfig c = load(cfg);
    ASSERT_EQ(c.edges.size(), 3u);
    EXPECT_FALSE(c.edges[0].enabled);
    EXPECT_TRUE(c.edges[1].enabled);
    EXPECT_TRUE(c.edges[2].enabled);
    EXPECT_EQ(c.edges[1].edges_file, p("b.h5"));

    auto missing = write("m.json", R"({"run": {"dt": 0.1, "tstop": 10}, "networks": {
        "nodes": [{"nodes_file": "n.h5", "node_types_file": "n.csv"}], "edges": [{"edges_file": "a.h5"}]}})");
    EXPECT_HAS(error_of([&] { load(missing); }), "networks.edges[0].edge_types_file is missing (required)");
}

TEST_F(ConfigTest, InputsAndReportsKeepFileOrderAndSkipDisabled) {
    auto cfg = write_config(R"(
        "inputs": {
            "zeta": {"module": "sonata", "input_type": "spikes", "input_file": "z.h5", "node_set": "v"},
            "alpha": {"module": "IClamp", "input_type": "current_clamp", "enabled": false},
            "mid": {"module": "IClamp", "input_type": "csv", "file": "i.csv", "enabled": true},
            "beta": {"module": "csv", "input_type": "spikes", "input_file": "b.csv"}
        },
        "reports": {
            "z_report": {"module": "multimeter_report", "variable_name": "V_m"},
            "off": {"enabled": false},
            "a_report": {"module": "weight_recorder"}
        })");
    SimulationConfig c = load(cfg);
    ASSERT_EQ(c.inputs.size(), 3u);
    EXPECT_EQ(c.inputs[0].name, "zeta");
    EXPECT_EQ(c.inputs[1].name, "mid");
    EXPECT_EQ(c.inputs[2].name, "beta");
    EXPECT_EQ(c.inputs[0].params["input_file"], p("z.h5"));
    EXPECT_EQ(c.inputs[0].params["node_set"], "v");
    EXPECT_EQ(c.inputs[1].params["file"], p("i.csv"));
    ASSERT_EQ(c.reports.size(), 2u);
    EXPECT_EQ(c.reports[0].name, "z_report");
    EXPECT_EQ(c.reports[1].name, "a_report");
    EXPECT_EQ(c.reports[0].params["variable_name"], "V_m");
}

TEST_F(ConfigTest, InputsAndReportsRequireModule) {
    auto no_type = write_config(R"("inputs": {"LGN": {"module": "sonata"}})");
    EXPECT_EQ(error_of([&] { load(no_type); }),
              no_type.string() + ": inputs.LGN does not specify \"input_type\" (required)");
    auto no_module = write_config(R"("inputs": {"LGN": {"input_type": "spikes"}})");
    EXPECT_HAS(error_of([&] { load(no_module); }), "inputs.LGN does not specify \"module\"");
    auto report = write_config(R"("reports": {"v": {"variable_name": "V_m"}})");
    EXPECT_HAS(error_of([&] { load(report); }), "reports.v does not specify \"module\"");
    auto typed = write_config(R"("inputs": {"LGN": {"module": 1, "input_type": "spikes"}})");
    EXPECT_HAS(error_of([&] { load(typed); }), "inputs.LGN.module must be a string, got 1");
    auto enabled = write_config(R"("inputs": {"LGN": {"module": "h5", "input_type": "spikes", "enabled": "no"}})");
    EXPECT_HAS(error_of([&] { load(enabled); }), "inputs.LGN.enabled must be true or false, got \"no\"");
    auto not_object = write_config(R"("inputs": {"LGN": "spikes.h5"})");
    EXPECT_HAS(error_of([&] { load(not_object); }), "inputs.LGN must be an object");
}

TEST_F(ConfigTest, SortOrderParsing) {
    const std::pair<const char*, SortOrder> cases[] = {
        {"by_time", SortOrder::ByTime}, {"time", SortOrder::ByTime}, {"by_id", SortOrder::ById},
        {"id", SortOrder::ById},        {"node_id", SortOrder::ById}, {"gid", SortOrder::ById},
        {"none", SortOrder::None},      {"na", SortOrder::None}};
    for (const auto& [text, order] : cases) {
        auto cfg = write_config(std::string(R"("output": {"spikes_sort_order": ")") + text + "\"}");
        EXPECT_EQ(load(cfg).output.spikes_sort_order, order) << text;
    }
    EXPECT_EQ(load(write_config("")).output.spikes_sort_order, SortOrder::None);
    auto bad = write_config(R"("output": {"spikes_sort_order": "by_gid"})");
    std::string msg = error_of([&] { load(bad); });
    EXPECT_HAS(msg, "output.spikes_sort_order must be one of");
    EXPECT_HAS(msg, "\"by_gid\"");
}

TEST_F(ConfigTest, OutputFilesUnderOutputDir) {
    auto cfg = write_config(R"("output": {"output_dir": "results", "log_file": "logs/log.txt",
                                          "spikes_file": "/elsewhere/s.h5", "spikes_file_csv": "s.csv"})");
    SimulationConfig c = load(cfg);
    EXPECT_EQ(c.output.output_dir, p("results"));
    EXPECT_EQ(c.output.log_file, fs::path(p("results/logs/log.txt")));
    EXPECT_EQ(c.output.spikes_file, fs::path("/elsewhere/s.h5"));
    EXPECT_EQ(c.output.spikes_file_csv, fs::path(p("results/s.csv")));
}

TEST_F(ConfigTest, OutputFilesAlreadyUnderOutputDirAreNotDoubled) {
    // Old BMTK configs write "$OUTPUT_DIR/log.txt" with "$OUTPUT_DIR": "./output".
    auto cfg = write_config(R"("manifest": {"$OUTPUT_DIR": "./output"},
        "output": {"output_dir": "$OUTPUT_DIR", "log_file": "$OUTPUT_DIR/log.txt", "spikes_file": "output/s.h5",
                   "spikes_file_csv": "outputs.csv"})");
    SimulationConfig c = load(cfg);
    EXPECT_EQ(c.output.output_dir, p("output"));
    EXPECT_EQ(c.output.log_file, fs::path(p("output/log.txt")));
    EXPECT_EQ(c.output.spikes_file, fs::path(p("output/s.h5")));
    EXPECT_EQ(c.output.spikes_file_csv, fs::path(p("output/outputs.csv")));  // a name, not a prefix
}

TEST_F(ConfigTest, OutputDefaults) {
    SimulationConfig c = load(write_config(""));
    EXPECT_EQ(c.output.output_dir, p("output"));
    EXPECT_FALSE(c.output.log_file);
    EXPECT_FALSE(c.output.spikes_file);
    EXPECT_FALSE(c.output.spikes_file_csv);
    EXPECT_TRUE(c.output.overwrite_output_dir);
    EXPECT_TRUE(c.inputs.empty());
    EXPECT_TRUE(c.reports.empty());
    EXPECT_TRUE(c.components.empty());
    EXPECT_EQ(c.node_sets, Json::object());
}

TEST_F(ConfigTest, OverwriteOutputDirInOutputOrRun) {
    auto in_run = write("r.json", "{" + kNetworks + R"(, "run": {"dt": 0.1, "tstop": 10, "overwrite_output_dir": false}})");
    EXPECT_FALSE(load(in_run).output.overwrite_output_dir);
    auto in_output = write_config(R"("output": {"overwrite_output_dir": false})");
    EXPECT_FALSE(load(in_output).output.overwrite_output_dir);
    auto both = write("b.json", "{" + kNetworks + R"(, "run": {"dt": 0.1, "tstop": 10, "overwrite_output_dir": false},
                                                     "output": {"overwrite_output_dir": true}})");
    EXPECT_TRUE(load(both).output.overwrite_output_dir);
    auto bad = write_config(R"("output": {"overwrite_output_dir": "yes"})");
    EXPECT_HAS(error_of([&] { load(bad); }), "output.overwrite_output_dir must be true or false");
}

TEST_F(ConfigTest, NodeSetsFromFileOrInline) {
    write("sets/node_sets.json", R"({"LGN": {"population": "lgn"}, "few": {"node_id": [1, 2]}})");
    auto from_file = write_config(R"("manifest": {"$B": "${configdir}"}, "node_sets_file": "$B/sets/node_sets.json")");
    SimulationConfig c = load(from_file);
    EXPECT_EQ(c.node_sets["LGN"]["population"], "lgn");
    EXPECT_EQ(c.node_sets["few"]["node_id"], Json::parse("[1, 2]"));

    auto inline_wins = write_config(R"("node_sets": {"x": {"population": "p"}}, "node_sets_file": "sets/node_sets.json")");
    EXPECT_EQ(load(inline_wins).node_sets, Json::parse(R"({"x": {"population": "p"}})"));

    auto missing = write_config(R"("node_sets_file": "nope.json")");
    std::string msg = error_of([&] { load(missing); });
    EXPECT_EQ(msg.rfind(p("nope.json") + ": file not found", 0), 0u) << msg;
    EXPECT_HAS(msg, "node_sets_file in " + missing.string());

    write("bad_sets.json", "{\"a\": }");
    auto bad = write_config(R"("node_sets_file": "bad_sets.json")");
    EXPECT_HAS(error_of([&] { load(bad); }), p("bad_sets.json") + ": invalid JSON");

    write("list_sets.json", "[]");
    auto list = write_config(R"("node_sets_file": "list_sets.json")");
    EXPECT_HAS(error_of([&] { load(list); }), "node sets must be a JSON object");
}

TEST_F(ConfigTest, ComponentsAndResolvedDocument) {
    auto cfg = write_config(R"("components": {"point_neuron_models_dir": "models/cells", "synaptic_models_dir": "/syn",
                                              "flag": false}, "metadata": {"k": 1})");
    SimulationConfig c = load(cfg);
    EXPECT_EQ(c.components.size(), 2u);
    EXPECT_EQ(c.components.at("point_neuron_models_dir"), p("models/cells"));
    EXPECT_EQ(c.components.at("synaptic_models_dir"), "/syn");
    EXPECT_EQ(c.resolved["metadata"]["k"], 1);  // kept in the resolved document
    EXPECT_EQ(c.resolved["networks"]["nodes"][0]["nodes_file"], p("n.h5"));
}

// ---- example configs ---------------------------------------------------------

struct ExampleCase {
    const char* config;
    double dt;
    double tstop;
    std::size_t inputs;
};

class ExampleConfigs : public ::testing::TestWithParam<ExampleCase> {};

TEST_P(ExampleConfigs, LoadsWithExistingFiles) {
    const ExampleCase& ex = GetParam();
    const fs::path path = fs::path(POINTSIM_EXAMPLES_DIR) / ex.config;
    SimulationConfig c = load(path);
    EXPECT_TRUE(c.config_path.is_absolute());
    EXPECT_EQ(c.run.dt, ex.dt);
    EXPECT_EQ(c.run.tstop, ex.tstop);
    ASSERT_FALSE(c.nodes.empty());
    for (const auto& n : c.nodes) {
        EXPECT_TRUE(fs::exists(n.nodes_file)) << n.nodes_file;
        EXPECT_TRUE(fs::exists(n.node_types_file)) << n.node_types_file;
    }
    for (const auto& e : c.edges) {
        EXPECT_TRUE(fs::exists(e.edges_file)) << e.edges_file;
        EXPECT_TRUE(fs::exists(e.edge_types_file)) << e.edge_types_file;
    }
    for (const char* key : {"point_neuron_models_dir", "synaptic_models_dir"})
        EXPECT_TRUE(fs::is_directory(c.components.at(key))) << c.components.at(key);
    EXPECT_TRUE(c.output.output_dir.is_absolute());
    EXPECT_EQ(c.output.output_dir.parent_path(), c.config_path.parent_path());
    ASSERT_EQ(c.inputs.size(), ex.inputs);
    for (const auto& in : c.inputs) {
        for (const char* key : {"input_file", "file"}) {
            if (in.params.contains(key)) {
                EXPECT_TRUE(fs::exists(in.params[key].get<std::string>())) << in.name << " " << in.params[key];
            }
        }
    }
    EXPECT_FALSE(c.resolved.contains("manifest"));
}

INSTANTIATE_TEST_SUITE_P(
    Examples, ExampleConfigs,
    ::testing::Values(ExampleCase{"tutorial_ch05/config.json", 0.01, 3000.0, 1},
                      ExampleCase{"tutorial_ch05_converted/simulation_config.json", 0.001, 3000.0, 1},
                      ExampleCase{"point_120cells/config.simulation.json", 0.001, 3000.0, 1},
                      ExampleCase{"point_120cells/config.simulation_iclamp.json", 0.01, 4000.0, 3},
                      ExampleCase{"point_120cells/config.simulation_iclamp.aslist.json", 0.01, 4000.0, 1},
                      ExampleCase{"point_120cells/config.simulation_iclamp.csv.json", 0.01, 4000.0, 1},
                      ExampleCase{"point_120cells/config.simulation_perturbations.json", 0.001, 3000.0, 3},
                      ExampleCase{"point_450cells/config.simulation.json", 0.001, 3000.0, 1},
                      ExampleCase{"sonata_300/simulation_config.json", 0.01, 1500.0, 1},
                      ExampleCase{"point_stdp/config.simulation_iclamp.json", 0.01, 5000.0, 2},
                      ExampleCase{"point_stdp/config.simulation_virtual.json", 0.01, 5000.0, 1},
                      ExampleCase{"point_450glifs/config.simulation.json", 0.001, 3000.0, 1}),
    [](const ::testing::TestParamInfo<ExampleCase>& info) {
        std::string name = info.param.config;
        for (char& ch : name)
            if (!std::isalnum(static_cast<unsigned char>(ch))) ch = '_';
        return name;
    });

TEST(ExampleConfigDetails, TutorialCh05) {
    SimulationConfig c = load(fs::path(POINTSIM_EXAMPLES_DIR) / "tutorial_ch05/config.json");
    const fs::path dir = fs::path(POINTSIM_EXAMPLES_DIR).lexically_normal() / "tutorial_ch05";
    EXPECT_EQ(c.output.output_dir, dir / "output");
    EXPECT_EQ(c.output.log_file, dir / "output/log.txt");
    EXPECT_EQ(c.output.spikes_file, dir / "output/spikes.h5");
    EXPECT_EQ(c.output.spikes_file_csv, dir / "output/spikes.csv");
    EXPECT_EQ(c.nodes.at(0).nodes_file, dir / "network/V1_nodes.h5");
    EXPECT_EQ(c.inputs.at(0).params["node_set"], "LGN");
    ASSERT_EQ(c.reports.size(), 1u);
    EXPECT_EQ(c.reports[0].params["module"], "multimeter_report");
    EXPECT_EQ(c.node_sets["point_nodes"]["model_type"], "point_process");
}

TEST(ExampleConfigDetails, Sonata300) {
    SimulationConfig c = load(fs::path(POINTSIM_EXAMPLES_DIR) / "sonata_300/simulation_config.json");
    EXPECT_EQ(c.output.spikes_sort_order, SortOrder::ByTime);
    EXPECT_EQ(c.node_sets["recorded_cells"]["population"], "internal");
    EXPECT_EQ(c.reports.at(0).params["cells"], "recorded_cells");
    EXPECT_EQ(c.resolved["conditions"]["celsius"], 34.0);
}

TEST(ExampleConfigDetails, ClampCsvFileResolvedAgainstConfigDir) {
    SimulationConfig c = load(fs::path(POINTSIM_EXAMPLES_DIR) / "point_120cells/config.simulation_iclamp.csv.json");
    const fs::path dir = fs::path(POINTSIM_EXAMPLES_DIR).lexically_normal() / "point_120cells";
    EXPECT_EQ(c.inputs.at(0).params["file"], (dir / "inputs/iclamp_inputs_1.csv").string());
    EXPECT_EQ(c.inputs.at(0).params["node_set"]["population"], "cortex");
}

TEST(ExampleConfigDetails, DisabledFlagsAndOrderInStdp) {
    SimulationConfig c = load(fs::path(POINTSIM_EXAMPLES_DIR) / "point_stdp/config.simulation_iclamp.json");
    ASSERT_EQ(c.inputs.size(), 2u);
    EXPECT_EQ(c.inputs[0].name, "current_clamp_steps");
    EXPECT_EQ(c.inputs[1].name, "current_clamp_1");
    ASSERT_EQ(c.reports.size(), 2u);
    EXPECT_EQ(c.reports[0].name, "membrane_potential");
    EXPECT_EQ(c.reports[1].name, "weight_recorder_1");
    EXPECT_EQ(c.output.output_dir.filename(), "output_iclamp");
}

}  // namespace
