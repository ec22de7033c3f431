// Tests for src/workflow: `pointsim init` (a simulation folder for the
// sonata_300 network, copied to a temporary directory), `pointsim check`
// (every problem of a config, not just the first) and `pointsim inspect`.
#include <atomic>
#include <filesystem>
#include <fstream>
#include <functional>
#include <optional>
#include <string>
#include <vector>

#include <gtest/gtest.h>
#include <nlohmann/json.hpp>
#include <unistd.h>

#include "common/error.hpp"
#include "common/time.hpp"
#include "config/config.hpp"
#include "inputs/inputs.hpp"
#include "network/network.hpp"
#include "pointsim/run.hpp"
#include "workflow/workflow.hpp"
#include "test_files.hpp"

namespace fs = std::filesystem;
namespace testing_files = pointsim::testing_files;
using namespace pointsim;
using Json = nlohmann::json;

namespace {

#define EXPECT_CONTAINS(haystack, needle) \
    EXPECT_NE(std::string(haystack).find(needle), std::string::npos) << "text: " << (haystack)

const fs::path kExamples = POINTSIM_EXAMPLES_DIR;

struct TempDir : testing_files::TempDir {
    TempDir() : testing_files::TempDir("pointsim_workflow") {}
};

Json read_json(const fs::path& file) {
    std::ifstream in(file);
    EXPECT_TRUE(in.good()) << file;
    return Json::parse(in);
}

void write_json(const fs::path& file, const Json& doc) {
    std::ofstream out(file);
    out << doc.dump(2);
}

std::string read_text(const fs::path& file) {
    std::ifstream in(file);
    return std::string(std::istreambuf_iterator<char>(in), {});
}

// The pointsim::Error f throws, its kind checked.
std::string error_of(const std::function<void()>& f, ErrorKind kind) {
    try {
        f();
    } catch (const Error& e) {
        EXPECT_EQ(static_cast<int>(e.kind()), static_cast<int>(kind)) << e.what();
        return e.what();
    }
    ADD_FAILURE() << "no pointsim::Error thrown";
    return {};
}

// sonata_300's network and components under root/net/{network,components}.
fs::path copy_sonata_300(const fs::path& root, bool with_components = true) {
    const fs::path net = root / "net";
    fs::create_directories(net);
    fs::copy(kExamples / "sonata_300" / "network", net / "network", fs::copy_options::recursive);
    if (with_components) fs::copy(kExamples / "sonata_300" / "components", net / "components", fs::copy_options::recursive);
    return net / "network";
}

workflow::InitOptions init_options(const fs::path& dir, const fs::path& network) {
    workflow::InitOptions o;
    o.dir = dir;
    o.network_dir = network;
    o.tstop = 100.0;
    o.dt = 0.1;
    return o;
}

std::string all_messages(const std::vector<workflow::Problem>& problems) {
    std::string s;
    for (const auto& p : problems) s += p.message + "\n";
    return s;
}

// ---------------------------------------------------------------- init

TEST(Init, WritesASimulationFolderThatLoadsBuildsAndChecks) {
    TempDir tmp;
    const fs::path network = copy_sonata_300(tmp.path());
    const fs::path sim = tmp.path() / "sim";
    auto o = init_options(sim, network);
    o.spikes_input = kExamples / "sonata_300" / "inputs" / "external_spike_trains.h5";
    o.input_node_set = "external";
    o.iclamps = {workflow::parse_iclamp("internal:120:10:50")};
    workflow::init_simulation(o);

    for (const char* f : {"config.json", "circuit_config.json", "simulation_config.json"})
        EXPECT_TRUE(fs::is_regular_file(sim / f)) << f;
    EXPECT_TRUE(fs::is_regular_file(sim / "components/point_neuron_models/472363762_point.json"));
    EXPECT_TRUE(fs::is_regular_file(sim / "components/synaptic_models/ExcToExc.json"));
    EXPECT_TRUE(fs::is_regular_file(sim / "components/synaptic_models/InhToInh.json"));

    const Json root = read_json(sim / "config.json");
    EXPECT_EQ(root["network"], "${configdir}/circuit_config.json");
    EXPECT_EQ(root["simulation"], "${configdir}/simulation_config.json");
    const Json circuit = read_json(sim / "circuit_config.json");
    EXPECT_EQ(circuit["manifest"]["$BASE_DIR"], "${configdir}");
    EXPECT_EQ(circuit["components"]["point_neuron_models_dir"], "$COMPONENTS_DIR/point_neuron_models");
    EXPECT_EQ(circuit["components"]["synaptic_models_dir"], "$COMPONENTS_DIR/synaptic_models");
    ASSERT_EQ(circuit["networks"]["nodes"].size(), 2u);  // external, internal (name order)
    EXPECT_EQ(circuit["networks"]["nodes"][0]["nodes_file"], "$NETWORK_DIR/external_nodes.h5");
    EXPECT_EQ(circuit["networks"]["nodes"][0]["node_types_file"], "$NETWORK_DIR/external_node_types.csv");
    ASSERT_EQ(circuit["networks"]["edges"].size(), 2u);
    EXPECT_EQ(circuit["networks"]["edges"][1]["edges_file"], "$NETWORK_DIR/internal_internal_edges.h5");
    EXPECT_EQ(circuit["networks"]["edges"][1]["edge_types_file"], "$NETWORK_DIR/internal_internal_edge_types.csv");
    const Json simulation = read_json(sim / "simulation_config.json");
    EXPECT_EQ(simulation["run"]["tstop"], 100.0);
    EXPECT_EQ(simulation["run"]["dt"], 0.1);
    EXPECT_EQ(simulation["output"]["output_dir"], "$OUTPUT_DIR");
    EXPECT_EQ(simulation["output"]["log_file"], "log.txt");
    EXPECT_EQ(simulation["output"]["spikes_file"], "spikes.h5");
    EXPECT_EQ(simulation["output"]["spikes_file_csv"], "spikes.csv");
    EXPECT_EQ(simulation["inputs"]["external_spikes"]["module"], "sonata");
    EXPECT_EQ(simulation["inputs"]["external_spikes"]["node_set"], "external");
    EXPECT_EQ(simulation["inputs"]["current_clamp"]["module"], "IClamp");
    EXPECT_EQ(simulation["inputs"]["current_clamp"]["amp"], 120.0);
    EXPECT_EQ(simulation["inputs"]["current_clamp"]["delay"], 10.0);
    EXPECT_EQ(simulation["inputs"]["current_clamp"]["duration"], 50.0);

    const auto cfg = config::load(sim / "config.json");
    EXPECT_EQ(cfg.output.output_dir, fs::weakly_canonical(sim) / "output");
    const auto grid = TimeGrid::make(cfg.run.dt, cfg.run.tstop, "test");
    const auto net = network::build(cfg, grid);
    EXPECT_EQ(net.n_gids(), 400u);
    EXPECT_EQ(net.n_neurons(), 300u);
    EXPECT_EQ(net.n_edges, 27588u + 20844u);
    EXPECT_FALSE(inputs::load_spike_inputs(cfg, net, grid).empty());
    const auto clamps = inputs::load_current_clamps(cfg, net, grid);
    ASSERT_EQ(clamps.size(), 1u);
    EXPECT_EQ(clamps[0].targets.size(), 300u);

    EXPECT_TRUE(workflow::check_config(sim / "config.json").empty())
        << all_messages(workflow::check_config(sim / "config.json"));

    // And it runs, writing where the config says.
    RunOptions run_options;
    run_options.config = sim / "config.json";
    const auto summary = pointsim::run(run_options);
    EXPECT_GT(summary.n_spikes, 0u);
    for (const char* f : {"spikes.h5", "spikes.csv", "log.txt", "config.json"})
        EXPECT_TRUE(fs::is_regular_file(sim / "output" / f)) << f;
}

TEST(Init, NetworkInsideTheFolderIsNamedRelativeToIt) {
    TempDir tmp;
    const fs::path sim = tmp.path() / "sim";
    fs::create_directories(sim);
    fs::copy(kExamples / "sonata_300" / "network", sim / "network", fs::copy_options::recursive);
    fs::copy(kExamples / "sonata_300" / "components", sim / "components", fs::copy_options::recursive);
    workflow::init_simulation(init_options(sim, sim / "network"));
    const Json circuit = read_json(sim / "circuit_config.json");
    EXPECT_EQ(circuit["manifest"]["$NETWORK_DIR"], "$BASE_DIR/network");
    // The components found under the simulation folder itself are copied to the standard folders.
    EXPECT_TRUE(fs::is_regular_file(sim / "components/point_neuron_models/473862421_point.json"));
    // The folder can move: everything is relative to ${configdir}.
    const fs::path moved = tmp.path() / "moved";
    fs::rename(sim, moved);
    const auto cfg = config::load(moved / "config.json");
    const auto net = network::build(cfg, TimeGrid::make(cfg.run.dt, cfg.run.tstop, "test"));
    EXPECT_EQ(net.n_gids(), 400u);
}

TEST(Init, RefusesToOverwriteExistingFilesUnlessForced) {
    TempDir tmp;
    const fs::path network = copy_sonata_300(tmp.path());
    const fs::path sim = tmp.path() / "sim";
    fs::create_directories(sim);
    write_json(sim / "simulation_config.json", Json{{"mine", true}});
    const auto o = init_options(sim, network);
    const std::string msg = error_of([&] { workflow::init_simulation(o); }, ErrorKind::Output);
    EXPECT_CONTAINS(msg, (sim / "simulation_config.json").string());
    EXPECT_CONTAINS(msg, "--force");
    // Nothing written, the existing file untouched.
    EXPECT_FALSE(fs::exists(sim / "config.json"));
    EXPECT_FALSE(fs::exists(sim / "circuit_config.json"));
    EXPECT_EQ(read_json(sim / "simulation_config.json"), (Json{{"mine", true}}));

    auto forced = o;
    forced.force = true;
    workflow::init_simulation(forced);
    EXPECT_TRUE(read_json(sim / "simulation_config.json").contains("run"));

    // A second init over a complete folder is refused too (config.json first).
    const std::string again = error_of([&] { workflow::init_simulation(o); }, ErrorKind::Output);
    EXPECT_CONTAINS(again, "config.json already exists");
}

TEST(Init, NodesOrEdgesFileWithoutItsTypesFileIsAnError) {
    TempDir tmp;
    const fs::path network = copy_sonata_300(tmp.path());
    fs::remove(network / "internal_node_types.csv");
    std::string msg = error_of([&] { workflow::init_simulation(init_options(tmp.path() / "sim", network)); },
                               ErrorKind::Input);
    EXPECT_CONTAINS(msg, (network / "internal_nodes.h5").string());
    EXPECT_CONTAINS(msg, "internal_node_types.csv");
    EXPECT_FALSE(fs::exists(tmp.path() / "sim" / "config.json"));

    fs::copy_file(kExamples / "sonata_300/network/internal_node_types.csv", network / "internal_node_types.csv");
    fs::rename(network / "external_internal_edge_types.csv", network / "other_edge_types.csv");
    msg = error_of([&] { workflow::init_simulation(init_options(tmp.path() / "sim", network)); }, ErrorKind::Input);
    EXPECT_CONTAINS(msg, "external_internal_edges.h5");
    EXPECT_CONTAINS(msg, "external_internal_edge_types.csv");
}

TEST(Init, EmptyNetworkFolderIsAnError) {
    TempDir tmp;
    fs::create_directories(tmp.path() / "empty");
    const std::string msg = error_of(
        [&] { workflow::init_simulation(init_options(tmp.path() / "sim", tmp.path() / "empty")); }, ErrorKind::Input);
    EXPECT_CONTAINS(msg, "no *_nodes.h5");
    error_of([&] { workflow::init_simulation(init_options(tmp.path() / "sim", tmp.path() / "nowhere")); },
             ErrorKind::Input);
}

TEST(Init, ComponentsNotFoundLeaveTheFoldersEmpty) {
    TempDir tmp;
    const fs::path network = copy_sonata_300(tmp.path(), /*with_components=*/false);
    const fs::path sim = tmp.path() / "sim";
    workflow::init_simulation(init_options(sim, network));
    EXPECT_TRUE(fs::is_directory(sim / "components/point_neuron_models"));
    EXPECT_TRUE(fs::is_directory(sim / "components/synaptic_models"));
    EXPECT_TRUE(fs::is_empty(sim / "components/point_neuron_models"));
    EXPECT_TRUE(fs::is_empty(sim / "components/synaptic_models"));
    // check then names the missing component files.
    const auto problems = workflow::check_config(sim / "config.json");
    ASSERT_FALSE(problems.empty());
    EXPECT_CONTAINS(all_messages(problems), "dynamics_params file not found");
}

TEST(Init, BadOptionsAreConfigErrors) {
    TempDir tmp;
    const fs::path network = copy_sonata_300(tmp.path());
    auto o = init_options(tmp.path() / "sim", network);
    o.dt = 0.0005;
    EXPECT_CONTAINS(error_of([&] { workflow::init_simulation(o); }, ErrorKind::Config), "0.001 ms");
    o = init_options(tmp.path() / "sim", network);
    o.spikes_input = tmp.path() / "spikes.txt";
    o.input_node_set = "external";
    EXPECT_CONTAINS(error_of([&] { workflow::init_simulation(o); }, ErrorKind::Config), "unknown spike file type '.txt'");
    o.spikes_input = tmp.path() / "spikes.csv";
    o.input_node_set.clear();
    EXPECT_CONTAINS(error_of([&] { workflow::init_simulation(o); }, ErrorKind::Config), "--input-node-set");
    EXPECT_FALSE(fs::exists(tmp.path() / "sim" / "config.json"));

    // A csv spike file gives module csv.
    o.input_node_set = "external";
    workflow::init_simulation(o);
    const Json simulation = read_json(tmp.path() / "sim" / "simulation_config.json");
    EXPECT_EQ(simulation["inputs"]["external_spikes"]["module"], "csv");
}

TEST(Init, ParseIClamp) {
    auto c = workflow::parse_iclamp("cortex:150.5:500:1000");
    EXPECT_EQ(c.node_set, "cortex");
    EXPECT_EQ(c.amp, 150.5);
    EXPECT_EQ(c.delay, 500.0);
    EXPECT_EQ(c.duration, 1000.0);
    c = workflow::parse_iclamp("a:b:-20:1:2");  // the node set keeps its colons
    EXPECT_EQ(c.node_set, "a:b");
    EXPECT_EQ(c.amp, -20.0);
    EXPECT_CONTAINS(error_of([] { workflow::parse_iclamp("cortex:1:2"); }, ErrorKind::Config),
                    "NODESET:AMP:DELAY:DURATION");
    EXPECT_CONTAINS(error_of([] { workflow::parse_iclamp("cortex:x:2:3"); }, ErrorKind::Config), "AMP 'x'");
    EXPECT_CONTAINS(error_of([] { workflow::parse_iclamp(":1:2:3"); }, ErrorKind::Config), "node set");
    EXPECT_CONTAINS(error_of([] { workflow::parse_iclamp("c:1:2:-3"); }, ErrorKind::Config), "DURATION");
}

// ---------------------------------------------------------------- check

// sonata_300 copied to root/s300 (configs included), for configs to break.
fs::path copy_sonata_300_all(const fs::path& root) {
    const fs::path dir = root / "s300";
    fs::copy(kExamples / "sonata_300", dir, fs::copy_options::recursive);
    fs::remove_all(dir / "output");
    return dir;
}

TEST(Check, GoodExampleConfigsHaveNoProblem) {
    for (const char* config : {"sonata_300/simulation_config.json", "tutorial_ch05/config.json"}) {
        const auto problems = workflow::check_config(kExamples / config);
        EXPECT_TRUE(problems.empty()) << config << ":\n" << all_messages(problems);
    }
}

TEST(Check, ReportsEveryProblemNotJustTheFirst) {
    TempDir tmp;
    const fs::path dir = copy_sonata_300_all(tmp.path());
    Json circuit = read_json(dir / "circuit_config.json");
    circuit["networks"]["edges"][0]["edges_file"] = "$NETWORK_DIR/missing_edges.h5";
    write_json(dir / "circuit_config.json", circuit);
    Json sim = read_json(dir / "simulation_config.json");
    sim["inputs"]["external_spike_trains"]["module"] = "bogus_module";
    sim["reports"]["membrane_potential"]["variable_name"] = "V_bogus";
    write_json(dir / "simulation_config.json", sim);

    const auto problems = workflow::check_config(dir / "simulation_config.json");
    ASSERT_EQ(problems.size(), 3u) << all_messages(problems);
    // Stable order: edges, inputs, reports.
    EXPECT_CONTAINS(problems[0].message, "missing_edges.h5");
    EXPECT_EQ(problems[0].kind, ErrorKind::Input);
    EXPECT_CONTAINS(problems[1].message, "inputs.external_spike_trains");
    EXPECT_CONTAINS(problems[1].message, "bogus_module");
    EXPECT_EQ(problems[1].kind, ErrorKind::Config);
    EXPECT_CONTAINS(problems[2].message, "reports.membrane_potential");
    EXPECT_CONTAINS(problems[2].message, "V_bogus");
    EXPECT_EQ(problems[2].kind, ErrorKind::Config);
    for (const auto& p : problems) EXPECT_EQ(p.message.find('\n'), std::string::npos) << p.message;
    // The same answer every time.
    const auto again = workflow::check_config(dir / "simulation_config.json");
    ASSERT_EQ(again.size(), problems.size());
    for (std::size_t k = 0; k < again.size(); ++k) EXPECT_EQ(again[k].message, problems[k].message);
}

TEST(Check, EveryBadNodeTypeIsReported) {
    TempDir tmp;
    const fs::path dir = copy_sonata_300_all(tmp.path());
    // Two node types of one population with missing parameter files.
    std::string csv = read_text(dir / "network/internal_node_types.csv");
    for (const char* name : {"472363762_point.json", "473862421_point.json"}) {
        const auto at = csv.find(name);
        ASSERT_NE(at, std::string::npos);
        csv.replace(at, std::string(name).size(), std::string("no_") + name);
    }
    std::ofstream(dir / "network/internal_node_types.csv") << csv;
    const auto problems = workflow::check_config(dir / "simulation_config.json");
    ASSERT_EQ(problems.size(), 2u) << all_messages(problems);
    const std::string all = all_messages(problems);
    EXPECT_CONTAINS(all, "no_472363762_point.json");
    EXPECT_CONTAINS(all, "no_473862421_point.json");
}

TEST(Check, AnUnreadableConfigIsTheOnlyProblem) {
    TempDir tmp;
    std::ofstream(tmp.path() / "config.json") << "{ \"run\": ";
    auto problems = workflow::check_config(tmp.path() / "config.json");
    ASSERT_EQ(problems.size(), 1u);
    EXPECT_EQ(problems[0].kind, ErrorKind::Config);
    EXPECT_CONTAINS(problems[0].message, "invalid JSON");
    problems = workflow::check_config(tmp.path() / "nowhere.json");
    ASSERT_EQ(problems.size(), 1u);
    EXPECT_CONTAINS(problems[0].message, "file not found");
}

TEST(Check, AFailedNodesFileDoesNotCascade) {
    TempDir tmp;
    const fs::path dir = copy_sonata_300_all(tmp.path());
    Json circuit = read_json(dir / "circuit_config.json");
    circuit["networks"]["nodes"][1]["node_types_file"] = "$NETWORK_DIR/missing_node_types.csv";  // external
    write_json(dir / "circuit_config.json", circuit);
    Json sim = read_json(dir / "simulation_config.json");
    sim["run"]["dt"] = 0.025;  // fine
    sim["reports"]["membrane_potential"]["variable_name"] = "V_bogus";  // skipped: needs the whole network
    write_json(dir / "simulation_config.json", sim);
    const auto problems = workflow::check_config(dir / "simulation_config.json");
    ASSERT_EQ(problems.size(), 1u) << all_messages(problems);
    EXPECT_CONTAINS(problems[0].message, "missing_node_types.csv");
    EXPECT_EQ(problems[0].kind, ErrorKind::Input);
}

TEST(Check, BadDtAndOutputProblemsAreReportedTogether) {
    TempDir tmp;
    const fs::path dir = copy_sonata_300_all(tmp.path());
    Json sim = read_json(dir / "simulation_config.json");
    sim["run"]["dt"] = 0.0005;
    sim["output"]["output_dir"] = "$BASE_DIR/out_file";
    write_json(dir / "simulation_config.json", sim);
    std::ofstream(dir / "out_file") << "not a folder";
    const auto problems = workflow::check_config(dir / "simulation_config.json");
    ASSERT_EQ(problems.size(), 2u) << all_messages(problems);
    EXPECT_CONTAINS(problems[0].message, "run.dt");
    EXPECT_EQ(problems[0].kind, ErrorKind::Config);
    EXPECT_CONTAINS(problems[1].message, "is not a directory");
    EXPECT_EQ(problems[1].kind, ErrorKind::Output);
}

// ---------------------------------------------------------------- inspect

TEST(Inspect, CountsMatchTheSonata300Circuit) {
    const std::string text = workflow::inspect_config(kExamples / "sonata_300/simulation_config.json");
    EXPECT_CONTAINS(text, "internal: 300 simulated nodes");
    EXPECT_CONTAINS(text, "external: 100 virtual nodes");
    EXPECT_CONTAINS(text, "total: 400 nodes, 300 simulated, 100 virtual");
    EXPECT_CONTAINS(text, "iaf_psc_alpha: 300 neurons");
    EXPECT_CONTAINS(text, "27588 edges");
    EXPECT_CONTAINS(text, "20844 edges");
    EXPECT_CONTAINS(text, "total: 48432 synapses");
    EXPECT_CONTAINS(text, "delays 2 to 2 ms (200 to 200 steps)");  // internal_internal: 2.0 ms from the CSV
    EXPECT_CONTAINS(text, "Estimated memory");
    EXPECT_CONTAINS(text, "8 B x 48432 static synapses");
    EXPECT_CONTAINS(text, "external_spike_trains:");
    EXPECT_CONTAINS(text, "membrane_potential: V_m of 5 cells");
    // node types add up to the population
    EXPECT_CONTAINS(text, "node_type_id 100:");
}

TEST(Inspect, BadConfigThrowsAsRunDoes) {
    TempDir tmp;
    std::ofstream(tmp.path() / "config.json") << "{}";
    error_of([&] { workflow::inspect_config(tmp.path() / "config.json"); }, ErrorKind::Config);
}

}  // namespace
