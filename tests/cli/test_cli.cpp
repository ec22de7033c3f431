// Black-box tests of the pointsim executable (docs/errors.md): every bad input
// ends with a non-zero exit code of its kind (3 config, 4 input, 5 model,
// 6 output; 2 usage), exactly one "pointsim: error:" line on stderr naming the
// file and the key, dataset, row or value at fault, and no output written.
// Each test works on copies of the examples in a fresh temporary directory
// (kept if the test fails). POINTSIM_CLI_SHOW=1 prints every error line seen.
#include <sched.h>
#include <sys/wait.h>

#include <algorithm>
#include <cmath>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <functional>
#include <initializer_list>
#include <limits>
#include <sstream>
#include <string>
#include <vector>

#include <H5Cpp.h>
#include <gtest/gtest.h>
#include <nlohmann/json.hpp>

#include "test_files.hpp"

namespace fs = std::filesystem;
namespace testing_files = pointsim::testing_files;
using OJson = nlohmann::ordered_json;

namespace {

const fs::path kExamples = POINTSIM_EXAMPLES_DIR;
const std::string kExe = POINTSIM_EXE;

using testing_files::lines_of;
using testing_files::read_text;
using testing_files::write_text;
using testing_files::quoted;
using Result = testing_files::RunResult;

class CliTest : public ::testing::Test {
protected:
    void SetUp() override {
        std::string pattern = (fs::temp_directory_path() / "pointsim-cli-XXXXXX").string();
        ASSERT_NE(mkdtemp(pattern.data()), nullptr) << "mkdtemp failed";
        dir_ = pattern;
    }

    void TearDown() override {
        if (HasFailure()) {
            std::cerr << "test directory kept: " << dir_ << '\n';
            return;
        }
        std::error_code ec;
        fs::remove_all(dir_, ec);
    }

    // Copies examples/<name> to <dir>/<name> and returns the copy.
    fs::path copy_example(const std::string& name) {
        const fs::path to = dir_ / name;
        fs::copy(kExamples / name, to, fs::copy_options::recursive);
        return to;
    }

    // point_120cells and the ../point_components it refers to.
    fs::path copy_point_120cells() {
        copy_example("point_components");
        return copy_example("point_120cells");
    }

public:
    // Runs pointsim with `args` (already quoted) from the test directory.
    Result pointsim(const std::string& args) { return testing_files::run_in(dir_, quoted(kExe) + " " + args); }
    // With environment variables set first ("NAME=value ...").
    Result pointsim_with_env(const std::string& env, const std::string& args) {
        return testing_files::run_in(dir_, env + " " + quoted(kExe) + " " + args);
    }

    // `pointsim run -q <config>`: -q leaves only warnings and errors on stderr.
    Result run_quiet(const fs::path& config) { return pointsim("run -q " + quoted(config.string())); }

    const fs::path& dir() const { return dir_; }

private:
    fs::path dir_;
};

void edit_json(const fs::path& file, const std::function<void(OJson&)>& edit) {
    OJson doc = OJson::parse(read_text(file));
    edit(doc);
    write_text(file, doc.dump(2));
}

// Replaces the one occurrence of `from` in the file.
void replace_once(const fs::path& file, const std::string& from, const std::string& to) {
    std::string text = read_text(file);
    const auto at = text.find(from);
    ASSERT_NE(at, std::string::npos) << "'" << from << "' not in " << file;
    ASSERT_EQ(text.find(from, at + 1), std::string::npos) << "'" << from << "' twice in " << file;
    text.replace(at, from.size(), to);
    write_text(file, text);
}

// Removes the one line that starts with `prefix` (any line ending).
void remove_line(const fs::path& file, const std::string& prefix) {
    std::string text = read_text(file);
    const auto at = text.find("\n" + prefix);
    ASSERT_NE(at, std::string::npos) << "no line starting with '" << prefix << "' in " << file;
    const auto end = text.find('\n', at + 1);
    text.erase(at + 1, end == std::string::npos ? std::string::npos : end - at);
    write_text(file, text);
}

// The error contract: exit code of the kind, one stderr line, naming what it must.
void expect_error(const Result& r, int code, std::initializer_list<std::string> mentions) {
    EXPECT_EQ(r.code, code) << "stderr:\n" << r.err;
    const auto lines = lines_of(r.err);
    ASSERT_EQ(lines.size(), 1u) << "expected exactly one line on stderr, got:\n" << r.err;
    EXPECT_EQ(lines[0].rfind("pointsim: error: ", 0), 0u) << lines[0];
    if (std::getenv("POINTSIM_CLI_SHOW")) std::cout << "    " << lines[0] << "\n";
    for (const auto& m : mentions) EXPECT_NE(lines[0].find(m), std::string::npos) << "'" << m << "' not in: " << lines[0];
}

bool has_temp_file(const fs::path& root) {
    for (const auto& e : fs::recursive_directory_iterator(root))
        if (e.path().filename().string().find("pointsim-tmp") != std::string::npos) return true;
    return false;
}

// Nothing half-written: no output file, no staged temporary.
void expect_no_outputs(const fs::path& root, const fs::path& output_dir) {
    if (fs::exists(output_dir)) {
        for (const char* f : {"spikes.h5", "spikes.csv", "log.txt", "membrane_potential.h5"})
            EXPECT_FALSE(fs::exists(output_dir / f)) << (output_dir / f) << " was written";
    }
    EXPECT_FALSE(fs::exists(output_dir)) << output_dir << " was created";
    EXPECT_FALSE(has_temp_file(root)) << "a *.pointsim-tmp file was left in " << root;
}

// ------------------------------------------------------------ h5 fixtures

void write_dataset(H5::Group& g, const std::string& name, const std::vector<double>& v) {
    const hsize_t n = v.size();
    H5::DataSet ds = g.createDataSet(name, H5::PredType::IEEE_F64LE, H5::DataSpace(1, &n));
    ds.write(v.data(), H5::PredType::NATIVE_DOUBLE);
}

void write_dataset(H5::Group& g, const std::string& name, const std::vector<std::uint64_t>& v) {
    const hsize_t n = v.size();
    H5::DataSet ds = g.createDataSet(name, H5::PredType::STD_U64LE, H5::DataSpace(1, &n));
    ds.write(v.data(), H5::PredType::NATIVE_UINT64);
}

struct SpikePopulation {
    std::string name;
    std::vector<double> timestamps;
    std::vector<std::uint64_t> node_ids;
};

// A SONATA spike file: /spikes/<population>/{timestamps,node_ids}.
void write_spikes_h5(const fs::path& file, const std::vector<SpikePopulation>& pops) {
    H5::H5File f(file.string(), H5F_ACC_TRUNC);
    H5::Group spikes = f.createGroup("/spikes");
    for (const auto& p : pops) {
        H5::Group g = spikes.createGroup(p.name);
        write_dataset(g, "timestamps", p.timestamps);
        write_dataset(g, "node_ids", p.node_ids);
    }
}

// ------------------------------------------------------------ configs

// point_120cells' current-clamp run, shortened: bad-input tests must fail
// before simulating, and if one did not it should still end quickly.
fs::path short_iclamp_config(const fs::path& example) {
    const fs::path cfg = example / "config.simulation_iclamp.json";
    edit_json(cfg, [](OJson& j) { j["run"]["tstop"] = 50.0; });
    return cfg;
}

// point_120cells driven by the thalamus spike file, shortened likewise.
fs::path short_spikes_config(const fs::path& example) {
    const fs::path cfg = example / "config.simulation.json";
    edit_json(cfg, [](OJson& j) { j["run"]["tstop"] = 50.0; });
    return cfg;
}

// ============================================================ usage

TEST_F(CliTest, VersionPrintsVersionAndExitsZero) {
    const Result r = pointsim("--version");
    EXPECT_EQ(r.code, 0) << r.err;
    EXPECT_NE(r.out.find("pointsim 0.1.0"), std::string::npos) << r.out;
}

TEST_F(CliTest, HelpMentionsRunAndExitsZero) {
    const Result r = pointsim("--help");
    EXPECT_EQ(r.code, 0) << r.err;
    EXPECT_NE(r.out.find("run"), std::string::npos) << r.out;
}

TEST_F(CliTest, NoSubcommandIsAUsageError) {
    const Result r = pointsim("");
    EXPECT_EQ(r.code, 2) << r.out << r.err;
}

TEST_F(CliTest, UnknownSubcommandIsAUsageError) {
    const Result r = pointsim("simulate config.json");
    EXPECT_EQ(r.code, 2) << r.out << r.err;
}

TEST_F(CliTest, RunWithoutConfigIsAUsageError) {
    const Result r = pointsim("run");
    EXPECT_EQ(r.code, 2) << r.out << r.err;
}

// ============================================================ good runs

void expect_complete_outputs(const fs::path& out) {
    for (const char* f : {"spikes.h5", "spikes.csv", "log.txt", "membrane_potential.h5", "config.simulation_iclamp.json"})
        EXPECT_TRUE(fs::is_regular_file(out / f)) << (out / f) << " missing";
}

// The outputs are whole: the h5 files open, the log ends the run, the config
// copy is JSON. (This current-clamp run makes no spikes, as in NEST.)
void expect_readable_outputs(const fs::path& out) {
    H5::Exception::dontPrint();
    try {
        H5::H5File spikes((out / "spikes.h5").string(), H5F_ACC_RDONLY);
        EXPECT_NO_THROW((void)spikes.openGroup("/spikes"));
        H5::H5File report((out / "membrane_potential.h5").string(), H5F_ACC_RDONLY);
        const H5::DataSet data = report.openDataSet("/report/cortex/data");
        hsize_t dims[2] = {0, 0};
        ASSERT_EQ(data.getSpace().getSimpleExtentNdims(), 2);
        data.getSpace().getSimpleExtentDims(dims);
        EXPECT_EQ(dims[1], 5u);  // node_id [0, 20, 60, 80, 100]
        EXPECT_GT(dims[0], 0u);
    } catch (const H5::Exception& e) {
        ADD_FAILURE() << "cannot read the h5 outputs in " << out << ": " << e.getDetailMsg();
    }
    const std::string log = read_text(out / "log.txt");
    EXPECT_NE(log.find("Starting simulation"), std::string::npos) << "log.txt:\n" << log;
    EXPECT_NE(log.find("Done."), std::string::npos) << "log.txt:\n" << log;
    EXPECT_TRUE(OJson::parse(read_text(out / "config.simulation_iclamp.json")).is_object());
    EXPECT_EQ(lines_of(read_text(out / "spikes.csv")).at(0), "timestamps population node_ids");
}

TEST_F(CliTest, GoodRunWritesAllOutputs) {
    const fs::path ex = copy_point_120cells();
    const Result r = pointsim("run point_120cells/config.simulation_iclamp.json");
    ASSERT_EQ(r.code, 0) << r.err;
    EXPECT_EQ(r.err.find("error"), std::string::npos) << r.err;
    EXPECT_NE(r.err.find("Done."), std::string::npos) << "the log goes to stderr too:\n" << r.err;
    EXPECT_TRUE(r.out.empty()) << "stdout should stay clean:\n" << r.out;
    const fs::path out = ex / "output";
    expect_complete_outputs(out);
    expect_readable_outputs(out);
    EXPECT_FALSE(has_temp_file(dir())) << "a *.pointsim-tmp file was left";
}

TEST_F(CliTest, QuietRunStillWritesTheFullLogFile) {
    const fs::path ex = copy_point_120cells();
    const Result r = run_quiet(short_iclamp_config(ex));
    ASSERT_EQ(r.code, 0) << r.err;
    EXPECT_TRUE(r.err.empty()) << "-q should print no info lines:\n" << r.err;
    expect_complete_outputs(ex / "output");
    expect_readable_outputs(ex / "output");
}

// More threads than cores: one warning that says why the run may be slow,
// and the run still completes. --threads overrides run.n_thread.
TEST_F(CliTest, ThreadsBeyondTheCoresWarnOnce) {
    const fs::path ex = copy_point_120cells();
    const fs::path config = short_iclamp_config(ex);
    cpu_set_t allowed;  // the cores this process may use, as pointsim counts them
    CPU_ZERO(&allowed);
    ASSERT_EQ(sched_getaffinity(0, sizeof allowed, &allowed), 0);
    const int cores = CPU_COUNT(&allowed);
    edit_json(config, [&](OJson& j) { j["run"]["n_thread"] = 1; });
    const Result r = pointsim("run -q " + quoted(config.string()) + " --threads " + std::to_string(cores + 1));
    ASSERT_EQ(r.code, 0) << r.err;
    EXPECT_EQ(lines_of(r.err).size(), 1u) << r.err;
    EXPECT_NE(r.err.find(std::to_string(cores + 1) + " threads"), std::string::npos) << r.err;
    EXPECT_NE(r.err.find(" on " + std::to_string(cores) + " core"), std::string::npos) << r.err;
    EXPECT_NE(r.err.find("OMP_WAIT_POLICY=passive"), std::string::npos) << r.err;
    const std::string log = read_text(ex / "output" / "log.txt");
    EXPECT_NE(log.find("x " + std::to_string(cores + 1) + " threads (--threads)"), std::string::npos) << log;
    // Within the cores: no warning, and the config's value is used.
    edit_json(config, [&](OJson& j) { j["run"]["n_thread"] = cores; });
    const Result fits = run_quiet(config);
    ASSERT_EQ(fits.code, 0) << fits.err;
    EXPECT_TRUE(fits.err.empty()) << fits.err;
    EXPECT_NE(read_text(ex / "output" / "log.txt").find("(run.n_thread)"), std::string::npos);
}

TEST_F(CliTest, RunningTwiceOverwritesByDefault) {
    const fs::path ex = copy_point_120cells();
    const fs::path cfg = ex / "config.simulation_iclamp.json";
    ASSERT_EQ(run_quiet(cfg).code, 0);
    const std::string first = read_text(ex / "output" / "spikes.csv");
    const Result r = run_quiet(cfg);
    ASSERT_EQ(r.code, 0) << r.err;
    expect_complete_outputs(ex / "output");
    EXPECT_EQ(read_text(ex / "output" / "spikes.csv"), first) << "the same run gave different spikes";
    EXPECT_FALSE(has_temp_file(dir()));
}

TEST_F(CliTest, OutputDirOptionRedirectsOutputs) {
    const fs::path ex = copy_point_120cells();
    const fs::path cfg = short_iclamp_config(ex);
    const Result r = pointsim("run -q " + quoted(cfg.string()) + " --output-dir elsewhere");
    ASSERT_EQ(r.code, 0) << r.err;
    expect_complete_outputs(dir() / "elsewhere");
    EXPECT_FALSE(fs::exists(ex / "output"));
}

TEST_F(CliTest, ExistingOutputWithoutOverwriteFailsAndKeepsIt) {
    const fs::path ex = copy_point_120cells();
    const fs::path cfg = short_iclamp_config(ex);
    edit_json(cfg, [](OJson& j) { j["output"]["overwrite_output_dir"] = false; });
    const fs::path out = ex / "output";
    fs::create_directories(out);
    const std::string old_bytes = "spikes of an earlier run\n";
    write_text(out / "spikes.h5", old_bytes);

    const Result r = run_quiet(cfg);
    expect_error(r, 6, {cfg.string(), (out / "spikes.h5").string(), "overwrite_output_dir"});
    EXPECT_EQ(read_text(out / "spikes.h5"), old_bytes);
    for (const char* f : {"spikes.csv", "log.txt", "membrane_potential.h5"}) EXPECT_FALSE(fs::exists(out / f)) << f;
    EXPECT_FALSE(has_temp_file(dir()));
}

// ============================================================ config errors (3)

TEST_F(CliTest, MissingConfigFile) {
    const Result r = pointsim("run -q no_such_config.json");
    expect_error(r, 3, {(dir() / "no_such_config.json").string(), "not found"});
}

TEST_F(CliTest, BadJsonSyntaxNamesFileAndLine) {
    const fs::path ex = copy_point_120cells();
    const fs::path cfg = ex / "config.simulation_iclamp.json";
    // Drop the comma after "tstop": the parser fails on the next line ("dt").
    auto lines = lines_of(read_text(cfg));
    std::size_t tstop = 0;
    while (tstop < lines.size() && lines[tstop].find("\"tstop\": 4000.0,") == std::string::npos) ++tstop;
    ASSERT_LT(tstop + 1, lines.size());
    ASSERT_NE(lines[tstop + 1].find("\"dt\""), std::string::npos) << lines[tstop + 1];
    replace_once(cfg, "\"tstop\": 4000.0,", "\"tstop\": 4000.0");
    const Result r = run_quiet(cfg);
    expect_error(r, 3, {cfg.string(), "invalid JSON", "line " + std::to_string(tstop + 2)});
    expect_no_outputs(dir(), ex / "output");
}

TEST_F(CliTest, UndefinedManifestVariableIsNamed) {
    const fs::path ex = copy_point_120cells();
    const fs::path cfg = short_iclamp_config(ex);
    edit_json(cfg, [](OJson& j) { j["output"]["output_dir"] = "$OUTPUT_DIRECTORY"; });
    const Result r = run_quiet(cfg);
    expect_error(r, 3, {cfg.string(), "$OUTPUT_DIRECTORY", "output.output_dir"});
    expect_no_outputs(dir(), ex / "output");
    EXPECT_FALSE(fs::exists(ex / "$OUTPUT_DIRECTORY"));
}

TEST_F(CliTest, MissingRunDt) {
    const fs::path ex = copy_point_120cells();
    const fs::path cfg = short_iclamp_config(ex);
    edit_json(cfg, [](OJson& j) { j["run"].erase("dt"); });
    const Result r = run_quiet(cfg);
    expect_error(r, 3, {cfg.string(), "run.dt", "missing"});
    expect_no_outputs(dir(), ex / "output");
}

TEST_F(CliTest, DtNotOnTheTimeGrid) {
    const fs::path ex = copy_point_120cells();
    const fs::path cfg = short_iclamp_config(ex);
    edit_json(cfg, [](OJson& j) { j["run"]["dt"] = 0.0015; });
    const Result r = run_quiet(cfg);
    expect_error(r, 3, {cfg.string(), "run.dt", "0.0015", "0.001"});
    expect_no_outputs(dir(), ex / "output");
}

TEST_F(CliTest, UnknownReportModule) {
    const fs::path ex = copy_point_120cells();
    const fs::path cfg = short_iclamp_config(ex);
    edit_json(cfg, [](OJson& j) { j["reports"]["membrane_potential"]["module"] = "voltage_report"; });
    const Result r = run_quiet(cfg);
    expect_error(r, 3, {cfg.string(), "reports.membrane_potential.module", "voltage_report", "multimeter_report"});
    expect_no_outputs(dir(), ex / "output");
}

// ============================================================ input errors (4)

TEST_F(CliTest, MissingNodesFile) {
    const fs::path ex = copy_point_120cells();
    const fs::path cfg = short_iclamp_config(ex);
    fs::remove(ex / "network" / "cortex_nodes.h5");
    const Result r = run_quiet(cfg);
    expect_error(r, 4, {(ex / "network" / "cortex_nodes.h5").string(), "not found"});
    expect_no_outputs(dir(), ex / "output");
}

TEST_F(CliTest, MissingEdgesFile) {
    const fs::path ex = copy_point_120cells();
    const fs::path cfg = short_iclamp_config(ex);
    fs::remove(ex / "network" / "thalamus_cortex_edges.h5");
    const Result r = run_quiet(cfg);
    expect_error(r, 4, {(ex / "network" / "thalamus_cortex_edges.h5").string(), "not found"});
    expect_no_outputs(dir(), ex / "output");
}

TEST_F(CliTest, MissingEdgeDataset) {
    const fs::path ex = copy_point_120cells();
    const fs::path cfg = short_iclamp_config(ex);
    const fs::path edges = ex / "network" / "cortex_cortex_edges.h5";
    {
        H5::H5File f(edges.string(), H5F_ACC_RDWR);
        f.unlink("/edges/cortex_to_cortex/target_node_id");
    }
    const Result r = run_quiet(cfg);
    expect_error(r, 4, {edges.string(), "/edges/cortex_to_cortex/target_node_id", "missing"});
    expect_no_outputs(dir(), ex / "output");
}

TEST_F(CliTest, NodeTypeMissingFromNodeTypesCsv) {
    const fs::path ex = copy_point_120cells();
    const fs::path cfg = short_iclamp_config(ex);
    const fs::path csv = ex / "network" / "cortex_node_types.csv";
    remove_line(csv, "101 ");
    const Result r = run_quiet(cfg);
    expect_error(r, 4, {(ex / "network" / "cortex_nodes.h5").string(), "/nodes/cortex/node_type_id[", "= 101",
                        csv.string()});
    expect_no_outputs(dir(), ex / "output");
}

TEST_F(CliTest, DelayBelowDt) {
    const fs::path ex = copy_point_120cells();
    const fs::path cfg = short_iclamp_config(ex);  // dt = 0.01 ms
    replace_once(ex / "network" / "thalamus_cortex_edge_types.csv", "100 * * 4.2 1.5 ", "100 * * 4.2 0.0001 ");
    const Result r = run_quiet(cfg);
    expect_error(r, 4, {(ex / "network" / "thalamus_cortex_edges.h5").string(), "delay 0.0001 ms", "dt = 0.01 ms"});
    expect_no_outputs(dir(), ex / "output");
}

TEST_F(CliTest, NanSynWeightInEdgesH5) {
    const fs::path ex = copy_point_120cells();
    const fs::path cfg = short_iclamp_config(ex);
    const fs::path edges = ex / "network" / "cortex_cortex_edges.h5";
    {
        // A per-edge syn_weight column, NaN for edge 7 (group 0 row 7).
        H5::H5File f(edges.string(), H5F_ACC_RDWR);
        H5::Group g = f.openGroup("/edges/cortex_to_cortex/0");
        hsize_t n = 0;
        g.openDataSet("nsyns").getSpace().getSimpleExtentDims(&n);
        std::vector<double> w(n, 1.0);
        w.at(7) = std::numeric_limits<double>::quiet_NaN();
        write_dataset(g, "syn_weight", w);
    }
    const Result r = run_quiet(cfg);
    expect_error(r, 4, {edges.string(), "/edges/cortex_to_cortex", "[7]", "nan", "syn_weight"});
    expect_no_outputs(dir(), ex / "output");
}

TEST_F(CliTest, NanSynWeightInEdgeTypesCsv) {
    const fs::path ex = copy_point_120cells();
    const fs::path cfg = short_iclamp_config(ex);
    const fs::path csv = ex / "network" / "thalamus_cortex_edge_types.csv";
    replace_once(csv, "100 * * 4.2 1.5 ", "100 * * NaN 1.5 ");
    const Result r = run_quiet(cfg);
    expect_error(r, 4, {(ex / "network" / "thalamus_cortex_edges.h5").string(), "/edges/thalamus_to_cortex[0]",
                        "syn_weight", csv.string(), "edge_type_id 100", "NaN"});
    expect_no_outputs(dir(), ex / "output");
}

TEST_F(CliTest, SpikeFileWithoutTheInputPopulation) {
    const fs::path ex = copy_point_120cells();
    const fs::path cfg = short_spikes_config(ex);
    const fs::path spikes = ex / "inputs" / "thalamus_spikes.h5";
    write_spikes_h5(spikes, {{"lgn", {10.0, 20.0}, {0, 1}}, {"retina", {5.0}, {2}}});
    const Result r = run_quiet(cfg);
    expect_error(r, 4, {spikes.string(), "'thalamus'", "2 populations"});
    expect_no_outputs(dir(), ex / "output");
}

TEST_F(CliTest, SpikeNodeIdOutOfRange) {
    const fs::path ex = copy_point_120cells();
    const fs::path cfg = short_spikes_config(ex);
    const fs::path spikes = ex / "inputs" / "thalamus_spikes.h5";
    write_spikes_h5(spikes, {{"thalamus", {10.0, 20.0, 30.0}, {0, 1, 100}}});  // thalamus has nodes 0..99
    const Result r = run_quiet(cfg);
    expect_error(r, 4, {spikes.string(), "spike 2", "node_id 100", "'thalamus'"});
    expect_no_outputs(dir(), ex / "output");
}

TEST_F(CliTest, NegativeSpikeTime) {
    const fs::path ex = copy_point_120cells();
    const fs::path cfg = short_spikes_config(ex);
    const fs::path spikes = ex / "inputs" / "thalamus_spikes.h5";
    write_spikes_h5(spikes, {{"thalamus", {10.0, -1.5}, {3, 4}}});
    const Result r = run_quiet(cfg);
    expect_error(r, 4, {spikes.string(), "spike 1", "node 4", "-1.5", "> 0"});
    expect_no_outputs(dir(), ex / "output");
}

TEST_F(CliTest, ZeroSpikeTimeInCsv) {
    const fs::path ex = copy_point_120cells();
    const fs::path cfg = short_spikes_config(ex);
    const fs::path spikes = ex / "inputs" / "thalamus_spikes.csv";
    write_text(spikes, "timestamps population node_ids\n12.5 thalamus 1\n0.0 thalamus 2\n");
    edit_json(cfg, [&](OJson& j) {
        j["inputs"]["thalamus_spikes"]["module"] = "csv";
        j["inputs"]["thalamus_spikes"]["input_file"] = "$INPUT_DIR/thalamus_spikes.csv";
    });
    const Result r = run_quiet(cfg);
    expect_error(r, 4, {spikes.string(), "spike 1", "node 2", "time 0", "> 0"});
    expect_no_outputs(dir(), ex / "output");
}

// ============================================================ model errors (5)

TEST_F(CliTest, UnknownModelTemplateListsSupportedModels) {
    const fs::path ex = copy_point_120cells();
    const fs::path cfg = short_iclamp_config(ex);
    const fs::path csv = ex / "network" / "cortex_node_types.csv";
    replace_once(csv, "point_neuron nest:iaf_psc_delta LIF_inh", "point_neuron nest:iaf_psc_glif LIF_inh");
    const Result r = run_quiet(cfg);
    expect_error(r, 5, {csv.string(), "node_type_id 101", "nest:iaf_psc_glif", "nest:iaf_psc_alpha",
                        "nest:iaf_psc_delta", "nest:iaf_psc_exp"});
    expect_no_outputs(dir(), ex / "output");
}

TEST_F(CliTest, UnknownCellParameter) {
    const fs::path ex = copy_point_120cells();
    const fs::path cfg = short_iclamp_config(ex);
    const fs::path params = dir() / "point_components" / "cell_models" / "iaf_psc_delta_exc.json";
    edit_json(params, [](OJson& j) { j["tau_bogus"] = 3.0; });
    const Result r = run_quiet(cfg);
    expect_error(r, 5, {params.string(), "tau_bogus", "iaf_psc_delta"});
    expect_no_outputs(dir(), ex / "output");
}

// ============================================================ saved states and checkpoints (docs/cluster.md)

// A copy of `config` (in its example folder) running `tstop` ms, outputs in <example>/<out>.
fs::path config_copy(const fs::path& config, double tstop, const std::string& out) {
    const fs::path cfg = config.parent_path() / ("config_" + out + ".json");
    fs::copy_file(config, cfg);
    edit_json(cfg, [&](OJson& j) {
        j["run"]["tstop"] = tstop;
        j["manifest"]["$OUTPUT_DIR"] = "$BASE_DIR/" + out;
    });
    return cfg;
}

// point_stdp driven by its virtual spikes (stdp_synapse, V_m report, weight recorder).
fs::path stdp_config(const fs::path& example, double tstop, const std::string& out) {
    return config_copy(example / "config.simulation_virtual.json", tstop, out);
}

// The data lines of a spikes.csv, sorted (the header dropped).
std::vector<std::string> spike_lines(const fs::path& csv) {
    auto lines = lines_of(read_text(csv));
    if (!lines.empty()) lines.erase(lines.begin());
    std::sort(lines.begin(), lines.end());
    return lines;
}

std::vector<double> report_data(const fs::path& h5, const std::string& population) {
    H5::H5File f(h5.string(), H5F_ACC_RDONLY);
    const H5::DataSet d = f.openDataSet("/report/" + population + "/data");
    hsize_t dims[2] = {0, 0};
    d.getSpace().getSimpleExtentDims(dims);
    std::vector<double> v(dims[0] * dims[1]);
    d.read(v.data(), H5::PredType::NATIVE_DOUBLE);
    return v;
}

// Warm up once (to `saved` ms), continue from the saved state (to `end`
// ms): the two runs together give what one long run gives, spike for spike
// and sample for sample.
// save_env: environment variables of the saving run only.
void expect_state_continues_like_one_run(CliTest& t, const fs::path& config, double saved, double end,
                                         const std::string& report_population, const std::string& save_env = "") {
    const fs::path ex = config.parent_path();
    ASSERT_EQ(t.run_quiet(config_copy(config, end, "long")).code, 0);
    const fs::path state = t.dir() / "warm.state";
    Result r = t.pointsim_with_env(save_env, "run -q " + quoted(config_copy(config, saved, "warm").string()) +
                                                 " --save-state " + quoted(state.string()));
    ASSERT_EQ(r.code, 0) << r.err;
    ASSERT_TRUE(fs::exists(state));
    r = t.pointsim("run -q " + quoted(config_copy(config, end, "trial").string()) + " --restore-state " + quoted(state.string()));
    ASSERT_EQ(r.code, 0) << r.err;

    const auto whole = spike_lines(ex / "long" / "spikes.csv");
    auto parts = spike_lines(ex / "warm" / "spikes.csv");
    const auto trial = spike_lines(ex / "trial" / "spikes.csv");
    ASSERT_GT(trial.size(), 10u) << "the trial should spike";
    parts.insert(parts.end(), trial.begin(), trial.end());
    std::sort(parts.begin(), parts.end());
    EXPECT_EQ(parts, whole);

    // The trial's report starts after the saved time: its rows are the long run's last ones.
    const auto long_vm = report_data(ex / "long" / "membrane_potential.h5", report_population);
    const auto trial_vm = report_data(ex / "trial" / "membrane_potential.h5", report_population);
    ASSERT_FALSE(trial_vm.empty());
    ASSERT_LT(trial_vm.size(), long_vm.size());
    EXPECT_TRUE(std::equal(trial_vm.begin(), trial_vm.end(), long_vm.end() - static_cast<std::ptrdiff_t>(trial_vm.size())));
}

TEST_F(CliTest, SavedStateContinuesLikeOneLongRunWithStdp) {
    const fs::path ex = copy_example("point_stdp");
    expect_state_continues_like_one_run(*this, ex / "config.simulation_virtual.json", 300.0, 600.0, "sources");
}

// Static synapses and a dense input: spikes are in flight at the saved time.
TEST_F(CliTest, SavedStateContinuesLikeOneLongRunWithSpikesInFlight) {
    const fs::path ex = copy_point_120cells();
    expect_state_continues_like_one_run(*this, ex / "config.simulation.json", 100.0, 200.0, "cortex");
}

// The state holds the synapses' fields, not their packed words: saved with
// 64-bit words, it continues with the 32-bit ones this circuit gets.
TEST_F(CliTest, SavedStateOfWideSynapseWordsContinuesWithNarrowOnes) {
    const fs::path ex = copy_point_120cells();
    expect_state_continues_like_one_run(*this, ex / "config.simulation.json", 100.0, 200.0, "cortex",
                                        "POINTSIM_SYNAPSE_WORDS=64");
    EXPECT_NE(read_text(ex / "warm" / "log.txt").find("in 64-bit words"), std::string::npos);
    EXPECT_NE(read_text(ex / "trial" / "log.txt").find("in 32-bit words"), std::string::npos);
}

// The same populations with other synapses: the state belongs to another
// network, which the fingerprint of each process's synapses tells.
TEST_F(CliTest, StateOfOtherSynapsesIsRefused) {
    const fs::path ex = copy_point_120cells();
    const fs::path config = ex / "config.simulation.json";
    const fs::path state = dir() / "warm.state";
    Result r = pointsim("run -q " + quoted(config_copy(config, 100.0, "warm").string()) + " --save-state " + quoted(state.string()));
    ASSERT_EQ(r.code, 0) << r.err;
    replace_once(ex / "network" / "cortex_cortex_edge_types.csv", "-1.5 1.5", "-1.25 1.5");  // one weight
    r = pointsim("run -q " + quoted(config_copy(config, 200.0, "trial").string()) + " --restore-state " + quoted(state.string()));
    expect_error(r, 4, {state.string(), "the synapses or neuron groups of process 0 differ"});
    expect_no_outputs(dir(), ex / "trial");
}

class StateFileTest : public CliTest {
protected:
    // A state saved at 100 ms by point_stdp.
    fs::path saved_state() {
        ex_ = copy_example("point_stdp");
        const fs::path state = dir() / "warm.state";
        const Result r = pointsim("run -q " + quoted(stdp_config(ex_, 100.0, "warm").string()) + " --save-state " +
                                  quoted(state.string()));
        EXPECT_EQ(r.code, 0) << r.err;
        return state;
    }
    Result restore(const fs::path& state) {
        return pointsim("run -q " + quoted(stdp_config(ex_, 200.0, "trial").string()) + " --restore-state " +
                        quoted(state.string()));
    }
    fs::path ex_;
};

TEST_F(StateFileTest, CorruptedStateIsRefused) {
    const fs::path state = saved_state();
    std::string bytes = read_text(state);
    bytes[bytes.size() / 2] = static_cast<char>(bytes[bytes.size() / 2] ^ 0x10);
    write_text(state, bytes);
    expect_error(restore(state), 4, {state.string(), "corrupted", "checksum"});
    expect_no_outputs(dir(), ex_ / "trial");
}

TEST_F(StateFileTest, TruncatedStateIsRefused) {
    const fs::path state = saved_state();
    fs::resize_file(state, fs::file_size(state) - 100);
    expect_error(restore(state), 4, {state.string(), "truncated"});
    expect_no_outputs(dir(), ex_ / "trial");
}

TEST_F(StateFileTest, NotAStateFileIsRefused) {
    saved_state();
    const fs::path bogus = ex_ / "inputs" / "virtual_spikes.h5";
    expect_error(restore(bogus), 4, {bogus.string(), "not a pointsim state file"});
    expect_no_outputs(dir(), ex_ / "trial");
}

TEST_F(StateFileTest, StateOfAnotherCircuitIsRefused) {
    saved_state();
    const fs::path ex = copy_point_120cells();
    const fs::path foreign = dir() / "cells120.state";
    ASSERT_EQ(pointsim("run -q " + quoted(short_iclamp_config(ex).string()) + " --save-state " + quoted(foreign.string())).code, 0);
    expect_error(restore(foreign), 4, {foreign.string(), "another circuit", "population"});
    expect_no_outputs(dir(), ex_ / "trial");
}

TEST_F(StateFileTest, StateFromAfterTstopIsRefused) {
    const fs::path state = saved_state();
    const fs::path cfg = stdp_config(ex_, 100.0, "early");
    const Result r = pointsim("run -q " + quoted(cfg.string()) + " --restore-state " + quoted(state.string()));
    expect_error(r, 3, {cfg.string(), "run.tstop", "100"});
    expect_no_outputs(dir(), ex_ / "early");
}

TEST_F(StateFileTest, ResumeNeedsACheckpointOfThisRun) {
    const fs::path state = saved_state();
    const fs::path cfg = stdp_config(ex_, 200.0, "trial");
    const fs::path ckpt = dir() / "ckpt";
    fs::create_directories(ckpt);
    Result r = pointsim("run -q " + quoted(cfg.string()) + " --resume " + quoted(ckpt.string()));
    expect_error(r, 4, {ckpt.string(), "no checkpoint"});
    // A saved state where a checkpoint should be.
    fs::create_directories(ckpt / "checkpoint-10000");
    fs::copy_file(state, ckpt / "checkpoint-10000" / "rank-0.state");
    r = pointsim("run -q " + quoted(cfg.string()) + " --resume " + quoted(ckpt.string()));
    expect_error(r, 4, {(ckpt / "checkpoint-10000" / "rank-0.state").string(), "not a checkpoint"});
    expect_no_outputs(dir(), ex_ / "trial");
}

}  // namespace
