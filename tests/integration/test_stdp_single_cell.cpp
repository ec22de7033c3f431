// stdp_synapse against NEST 3.10's single-synapse traces
// (tests/reference/single_cell/stdp_*.json): a parrot neuron re-emits a
// spike train into one stdp_synapse onto an iaf_psc_alpha cell that a second
// train drives. Here both trains come from virtual nodes (the parrot's
// spikes are the train shifted by its 1 ms input delay), the synapse is
// recorded by a weight_recorder, and the whole run goes through pointsim::run.
// Expected: the same postsynaptic spike steps and, at every presynaptic
// transmission, the same weight to 1e-9 relative.
#include <cmath>
#include <fstream>
#include <sstream>

#include <gtest/gtest.h>

#include "../unit/network/test_circuit.hpp"
#include "pointsim/run.hpp"

namespace ptest {
namespace {

void write_spikes(const fs::path& file, const std::map<std::string, std::vector<double>>& trains) {
    H5::H5File f(file.string(), H5F_ACC_TRUNC);
    H5::Group spikes = f.createGroup("/spikes");
    for (const auto& [pop, times] : trains) {
        H5::Group g = spikes.createGroup(pop);
        write_dataset(g, "timestamps", times);
        write_dataset(g, "node_ids", std::vector<std::uint64_t>(times.size(), 0));
    }
}

class StdpSingleCell : public CircuitTest, public ::testing::WithParamInterface<std::string> {};

TEST_P(StdpSingleCell, MatchesNestWeightTrace) {
    std::ifstream in(fs::path(POINTSIM_REFERENCE_DIR) / "single_cell" / (GetParam() + ".json"));
    ASSERT_TRUE(in);
    const Json ref = Json::parse(in);
    const Json syn = ref["syn_params"];
    const Json post = ref["post_neuron"];

    write_nodes_h5(path("post_nodes.h5"), {NodePop{"post", {1}, {0}, {}, {}}});
    text_file("post_node_types.csv", "node_type_id model_type model_template dynamics_params\n1 point_neuron nest:iaf_psc_alpha post.json\n");
    text_file("cell_models/post.json", post["params"].dump());
    write_nodes_h5(path("pre_nodes.h5"), {NodePop{"pre", {2}, {0}, {}, {}}, NodePop{"drive", {2}, {0}, {}, {}}});
    text_file("pre_node_types.csv", "node_type_id model_type\n2 virtual\n");

    Json stdp = Json::object();
    for (auto it = syn.begin(); it != syn.end(); ++it)
        if (it.key() != "weight" && it.key() != "delay") stdp[it.key()] = it.value();
    text_file("synaptic_models/stdp.json", stdp.dump());
    text_file("synaptic_models/static.json", "{}");
    write_edges_h5(path("pre_post_edges.h5"), {EdgePop{"pre_to_post", "pre", "post", {0}, {0}, {10}, {}},
                                                EdgePop{"drive_to_post", "drive", "post", {0}, {0}, {20}, {}}});
    std::ostringstream types;
    types << "edge_type_id model_template syn_weight delay dynamics_params\n"
          << "10 stdp_synapse_recorder " << syn["weight"].get<double>() << " " << syn["delay"].get<double>() << " stdp.json\n"
          << "20 static_synapse " << post["drive"]["weight"].get<double>() << " " << post["drive"]["delay"].get<double>()
          << " static.json\n";
    text_file("pre_post_edge_types.csv", types.str());

    // The parrot re-emits each spike after its 1 ms input connection.
    std::vector<double> parrot, drive;
    for (const auto& t : ref["pre_spike_times_into_parrot"]) parrot.push_back(std::round((t.get<double>() + 1.0) * 1e6) / 1e6);
    for (const auto& t : ref["post_drive_times"]) drive.push_back(t.get<double>());
    write_spikes(path("inputs.h5"), {{"pre", parrot}, {"drive", drive}});

    Json cfg = {
        {"run", {{"dt", ref["dt"]}, {"tstop", ref["tstop"]}}},
        {"components", {{"synaptic_models_dir", path("synaptic_models").string()},
                        {"point_neuron_models_dir", path("cell_models").string()}}},
        {"networks", {{"nodes", {node_entry("post"), node_entry("pre")}},
                      {"edges", {{{"edges_file", path("pre_post_edges.h5").string()},
                                  {"edge_types_file", path("pre_post_edge_types.csv").string()}}}}}},
        {"inputs", {{"spikes", {{"input_type", "spikes"}, {"module", "sonata"}, {"input_file", path("inputs.h5").string()},
                                {"node_set", Json::array({"pre", "drive"})}}}}},
        {"reports", {{"weights", {{"module", "weight_recorder"}, {"nest_model", "stdp_synapse"},
                                  {"model_template", "stdp_synapse_recorder"}, {"file_name", "weights.csv"}}}}},
        {"output", {{"output_dir", path("out").string()}, {"spikes_file_csv", "spikes.csv"}}}};
    text_file("config.json", cfg.dump(2));
    pointsim::RunOptions options;
    options.config = path("config.json");
    options.show_progress = false;
    const pointsim::RunSummary summary = pointsim::run(options);

    // Postsynaptic spikes, as steps.
    std::vector<long long> ours, nest;
    std::ifstream spikes(path("out") / "spikes.csv");
    std::string line;
    std::getline(spikes, line);
    while (std::getline(spikes, line)) {
        std::istringstream f(line);
        double t;
        std::string pop;
        f >> t >> pop;
        if (pop == "post") ours.push_back(std::llround(t * 10));
    }
    std::sort(ours.begin(), ours.end());
    for (const auto& t : ref["post_spike_times"]) nest.push_back(std::llround(t.get<double>() * 10));
    EXPECT_EQ(ours, nest);
    // NEST drops a postsynaptic spike from the history once the synapse has
    // read it and no later read can reach it: what is left at the end is the
    // spikes since about the last presynaptic spike, not all of them.
    ASSERT_GT(nest.size(), 30u);
    EXPECT_GE(summary.stdp_history_entries, 1u);
    EXPECT_LT(summary.stdp_history_entries, nest.size() / 2) << "the spike history was not pruned";

    // Weight trace: one row per transmission.
    std::ifstream weights(path("out") / "weights.csv");
    std::getline(weights, line);
    std::vector<double> times, values;
    while (std::getline(weights, line)) {
        std::istringstream f(line);
        std::string a, b, c, d;
        double t, w;
        f >> a >> b >> c >> d >> t >> w;
        times.push_back(t);
        values.push_back(w);
    }
    const auto& trace = ref["weight_trace"];
    ASSERT_EQ(values.size(), trace["weights"].size());
    for (std::size_t i = 0; i < values.size(); ++i) {
        EXPECT_NEAR(times[i], trace["times"][i].get<double>(), 1e-9) << i;
        const double want = trace["weights"][i].get<double>();
        EXPECT_LE(std::abs(values[i] - want), 1e-9 * std::abs(want)) << "transmission " << i << ": " << values[i] << " vs " << want;
    }
    EXPECT_LE(std::abs(values.back() - ref["final_weight"].get<double>()), 1e-9 * ref["final_weight"].get<double>());
}

INSTANTIATE_TEST_SUITE_P(Nest, StdpSingleCell, ::testing::Values("stdp_default", "stdp_params"));

}  // namespace
}  // namespace ptest
