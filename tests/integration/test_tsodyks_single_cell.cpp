// tsodyks2_synapse and tsodyks_synapse through the whole pipeline (pointsim::run).
//
// Against NEST 3.10 (tests/reference/single_cell/tsodyks{,2}_*.json + .csv):
// a spike generator drives a parrot neuron that re-emits the train into one
// synapse onto one cell. Here the train comes from a virtual node whose spike
// times are the parrot's: each generator time + 1 ms, the delay of the
// generator -> parrot connection (NEST's default; the postsynaptic traces put
// the first PSC at t + 1 ms + the synaptic delay). The edge's model_template is the
// synapse model, and the cell is recorded by a membrane report. Expected: the
// same postsynaptic spike steps, every recordable within 1e-9 relative at
// every sample, and NEST's final synapse state (x, u, y).
//
// Against hand-derived values: tsodyks_synapse on a short train, with the
// state propagated between spikes by the closed-form solution of the Tsodyks
// (2000) equations (written here independently of the engine's propagators),
// a parameter given per edge in the h5 dynamics_params, and the transmitted
// PSC amplitudes read back from a weight_recorder.
#include <cmath>
#include <fstream>
#include <sstream>

#include <gtest/gtest.h>

#include "../unit/network/test_circuit.hpp"
#include "pointsim/run.hpp"

namespace ptest {
namespace {

bool close(double a, double b, double rel) {
    const double diff = std::abs(a - b);
    return diff <= rel * std::max(std::abs(a), std::abs(b)) || diff < 1e-12;
}

void write_spikes(const fs::path& file, const std::string& pop, const std::vector<double>& times) {
    H5::H5File f(file.string(), H5F_ACC_TRUNC);
    H5::Group g = f.createGroup("/spikes").createGroup(pop);
    write_dataset(g, "timestamps", times);
    write_dataset(g, "node_ids", std::vector<std::uint64_t>(times.size(), 0));
}

// One report variable of one cell: (time, value) per sample.
std::vector<std::pair<double, double>> read_trace(const fs::path& file, const std::string& pop) {
    H5::H5File f(file.string(), H5F_ACC_RDONLY);
    std::vector<double> time(3);
    f.openDataSet("/report/" + pop + "/mapping/time").read(time.data(), H5::PredType::NATIVE_DOUBLE);
    auto data = f.openDataSet("/report/" + pop + "/data");
    hsize_t dims[2] = {0, 0};
    data.getSpace().getSimpleExtentDims(dims);
    std::vector<double> values(dims[0] * dims[1]);
    data.read(values.data(), H5::PredType::NATIVE_DOUBLE);
    std::vector<std::pair<double, double>> out;
    for (hsize_t i = 0; i < dims[0]; ++i) out.emplace_back(time[0] + static_cast<double>(i) * time[2], values[i * dims[1]]);
    return out;
}

std::vector<long long> post_spike_steps(const fs::path& csv, double dt) {
    std::vector<long long> out;
    std::ifstream in(csv);
    std::string line;
    std::getline(in, line);
    while (std::getline(in, line)) {
        std::istringstream f(line);
        double t;
        std::string pop;
        f >> t >> pop;
        if (pop == "post") out.push_back(std::llround(t / dt));
    }
    std::sort(out.begin(), out.end());
    return out;
}

double value_of(const pointsim::SynapseState& s, const std::string& name) {
    for (const auto& [key, v] : s.values)
        if (key == name) return v;
    ADD_FAILURE() << "no state variable " << name << " for " << s.model;
    return std::nan("");
}

class ShortTermCircuit : public CircuitTest {
protected:
    // One virtual node "pre" (spiking at `pre_times`) -> one `post_model` cell,
    // through one edge of `model_template` with `syn_params` in its JSON.
    // `extra_config` is merged into the config (reports...).
    pointsim::RunSummary run_circuit(const std::string& post_model, const Json& post_params, const std::string& model_template,
                                     const Json& syn_params, double weight, double delay,
                                     const std::vector<double>& pre_times, double dt, double tstop,
                                     const Json& extra_config = Json::object(),
                                     const std::function<void()>& edit_edges = {}) {
        write_nodes_h5(path("post_nodes.h5"), {NodePop{"post", {1}, {0}, {}, {}}});
        text_file("post_node_types.csv", "node_type_id model_type model_template dynamics_params\n1 point_neuron nest:" +
                                             post_model + " post.json\n");
        text_file("cell_models/post.json", post_params.dump());
        write_nodes_h5(path("pre_nodes.h5"), {NodePop{"pre", {2}, {0}, {}, {}}});
        text_file("pre_node_types.csv", "node_type_id model_type\n2 virtual\n");
        text_file("synaptic_models/syn.json", syn_params.dump());
        write_edges_h5(path("pre_post_edges.h5"), {EdgePop{"pre_to_post", "pre", "post", {0}, {0}, {10}, {}}});
        if (edit_edges) edit_edges();
        std::ostringstream types;
        types.precision(17);
        types << "edge_type_id model_template syn_weight delay dynamics_params\n"
              << "10 " << model_template << " " << weight << " " << delay << " syn.json\n";
        text_file("pre_post_edge_types.csv", types.str());
        write_spikes(path("inputs.h5"), "pre", pre_times);

        Json cfg = {
            {"run", {{"dt", dt}, {"tstop", tstop}}},
            {"components", {{"synaptic_models_dir", path("synaptic_models").string()},
                            {"point_neuron_models_dir", path("cell_models").string()}}},
            {"networks", {{"nodes", {node_entry("post"), node_entry("pre")}},
                          {"edges", {{{"edges_file", path("pre_post_edges.h5").string()},
                                      {"edge_types_file", path("pre_post_edge_types.csv").string()}}}}}},
            {"inputs", {{"spikes", {{"input_type", "spikes"}, {"module", "sonata"}, {"input_file", path("inputs.h5").string()},
                                    {"node_set", "pre"}}}}},
            {"output", {{"output_dir", path("out").string()}, {"spikes_file_csv", "spikes.csv"}}}};
        for (auto it = extra_config.begin(); it != extra_config.end(); ++it) cfg[it.key()] = it.value();
        text_file("config.json", cfg.dump(2));
        pointsim::RunOptions options;
        options.config = path("config.json");
        options.show_progress = false;
        options.collect_synapse_state = true;
        return pointsim::run(options);
    }
};

// ---------------------------------------------------------------- NEST references

class ShortTermNest : public ShortTermCircuit, public ::testing::WithParamInterface<std::string> {};

TEST_P(ShortTermNest, MatchesNestTraceAndFinalState) {
    std::ifstream in(fs::path(POINTSIM_REFERENCE_DIR) / "single_cell" / (GetParam() + ".json"));
    ASSERT_TRUE(in);
    const Json ref = Json::parse(in);
    const std::string model = ref["model"];
    const double dt = ref["dt"];
    Json syn = Json::object();
    for (auto it = ref["syn_params"].begin(); it != ref["syn_params"].end(); ++it)
        if (it.key() != "weight" && it.key() != "delay") syn[it.key()] = it.value();

    // The parrot emits each spike when it receives it, 1 ms after the generator.
    std::vector<double> parrot;
    for (const auto& t : ref["pre_spike_times_into_parrot"]) parrot.push_back(std::round((t.get<double>() + 1.0) * 1e6) / 1e6);
    Json reports = {{"trace", {{"module", "membrane_report"}, {"cells", "post"},
                               {"variable_name", ref["recordables"]}, {"file_name", "trace.h5"}}}};
    // tsodyks2: the edge type names a weight_recorder's copy of the model.
    const bool recorded = model == "tsodyks2_synapse";
    if (recorded)
        reports["weights"] = {{"module", "weight_recorder"}, {"nest_model", model}, {"model_template", "tsodyks2_recorded"},
                              {"file_name", "weights.csv"}};
    const auto summary = run_circuit(ref["post_neuron"]["model"], ref["post_neuron"]["params"],
                                     recorded ? "tsodyks2_recorded" : model, syn,
                                     ref["syn_params"]["weight"], ref["syn_params"]["delay"], parrot, dt, ref["tstop"],
                                     {{"reports", reports}});

    std::vector<long long> nest;
    for (const auto& t : ref["post_spike_times"]) nest.push_back(std::llround(t.get<double>() / dt));
    EXPECT_EQ(post_spike_steps(path("out") / "spikes.csv", dt), nest);

    // The trace: every recordable at every sample NEST wrote (it stops before tstop).
    std::ifstream csv(fs::path(POINTSIM_REFERENCE_DIR) / "single_cell" / (GetParam() + ".csv"));
    std::string line;
    std::getline(csv, line);
    std::vector<std::string> columns;
    {
        std::istringstream header(line);
        for (std::string c; header >> c;) columns.push_back(c);
    }
    std::map<std::string, std::vector<std::pair<double, double>>> ours;
    for (std::size_t c = 1; c < columns.size(); ++c)
        ours[columns[c]] = read_trace(path("out") / ("trace_" + columns[c] + ".h5"), "post");
    std::size_t row = 0, bad = 0;
    for (; std::getline(csv, line); ++row) {
        std::istringstream f(line);
        double t;
        f >> t;
        for (std::size_t c = 1; c < columns.size(); ++c) {
            double want;
            f >> want;
            const auto& trace = ours[columns[c]];
            ASSERT_LT(row, trace.size());
            ASSERT_NEAR(trace[row].first, t, 1e-9);
            if (!close(trace[row].second, want, 1e-9) && bad++ < 5)
                ADD_FAILURE() << columns[c] << " at t = " << t << ": " << trace[row].second << " vs NEST " << want;
        }
    }
    EXPECT_EQ(bad, 0u);
    EXPECT_GT(row, 9000u);

    // NEST's synapse state after the run, bit for bit.
    ASSERT_EQ(summary.synapses.size(), 1u);
    const auto& s = summary.synapses[0];
    EXPECT_EQ(s.model, model);
    const Json& final_state = ref["final_synapse_state"];
    std::vector<std::string> names{"x", "u", "weight"};
    if (model == "tsodyks_synapse") names.push_back("y");
    for (const auto& name : names) {
        const double want = final_state[name];
        EXPECT_EQ(value_of(s, name), want) << name;
    }

    if (recorded) {
        // One row per transmission, x u w: the first with the initial x and u
        // (NEST 3.10 leaves them alone at the first spike), the last with the
        // final state (each spike updates x and u before transmitting).
        std::ifstream rows(path("out") / "weights.csv");
        std::getline(rows, line);
        std::vector<double> weights;
        while (std::getline(rows, line)) {
            std::istringstream f(line);
            std::string a, b, c, d;
            double t, w;
            f >> a >> b >> c >> d >> t >> w;
            weights.push_back(w);
        }
        const double w = ref["syn_params"]["weight"];
        ASSERT_EQ(weights.size(), parrot.size());
        EXPECT_EQ(weights.front(), ref["syn_params"]["x"].get<double>() * ref["syn_params"]["u"].get<double>() * w);
        EXPECT_EQ(weights.back(), final_state["x"].get<double>() * final_state["u"].get<double>() * w);
    }
}

INSTANTIATE_TEST_SUITE_P(Nest, ShortTermNest,
                         ::testing::Values("tsodyks2_depressing", "tsodyks2_facilitating", "tsodyks_depressing",
                                           "tsodyks_facilitating"));

// ---------------------------------------------------------------- hand-derived

// tsodyks_synapse (Tsodyks, Uziel, Markram 2000): between spikes
//   dy/dt = -y/tau_psc,  dz/dt = y/tau_psc - z/tau_rec,  x = 1 - y - z,  du/dt = -u/tau_fac,
// solved in closed form over an interval h:
//   y(h) = y e^(-h/tau_psc)
//   z(h) = z e^(-h/tau_rec) + y tau_rec/(tau_psc - tau_rec) (e^(-h/tau_psc) - e^(-h/tau_rec))
//   u(h) = u e^(-h/tau_fac)  (0 when tau_fac = 0)
// at a spike: u += U (1 - u), then the fraction u x moves from x to y and the
// synapse transmits u x w. The first interval runs from t = 0 (NEST's t_lastspike_).
struct TsodyksHand {
    double U, tau_psc, tau_rec, tau_fac;
    double x, y, u;
    double t_last = 0.0;
    double spike(double t, double w) {
        const double h = t - t_last;
        const double z = 1.0 - x - y;
        const double z_new = z * std::exp(-h / tau_rec) +
                             y * tau_rec / (tau_psc - tau_rec) * (std::exp(-h / tau_psc) - std::exp(-h / tau_rec));
        y = y * std::exp(-h / tau_psc);
        x = 1.0 - y - z_new;
        u = tau_fac == 0.0 ? 0.0 : u * std::exp(-h / tau_fac);
        u = u + U * (1.0 - u);
        const double released = u * x;
        x -= released;
        y += released;
        t_last = t;
        return released * w;
    }
};

TEST_F(ShortTermCircuit, TsodyksMatchesHandDerivedValues) {
    // x != 1 at the start, so the first interval (from t = 0) matters.
    const Json syn = {{"U", 0.3}, {"tau_psc", 3.0}, {"tau_rec", 120.0}, {"tau_fac", 40.0}, {"x", 0.9}, {"y", 0.05}, {"u", 0.1}};
    const double U_per_edge = 0.45;  // the edges h5 overrides the JSON's U
    const double w = 150.0;
    const std::vector<double> times{10.0, 12.5, 30.0, 30.1, 95.0, 400.0};
    const Json reports = {{"weights", {{"module", "weight_recorder"}, {"nest_model", "tsodyks_synapse"},
                                       {"model_template", "tsodyks_recorded"}, {"file_name", "weights.csv"}}}};
    const auto summary = run_circuit("iaf_psc_exp", Json::object(), "tsodyks_recorded", syn, w, 1.0, times, 0.1, 500.0,
                                     {{"reports", reports}}, [&] {
                                         H5::H5File f(path("pre_post_edges.h5").string(), H5F_ACC_RDWR);
                                         H5::Group g = f.openGroup("/edges/pre_to_post/0").createGroup("dynamics_params");
                                         write_dataset(g, "U", std::vector<double>{U_per_edge});
                                     });

    TsodyksHand hand{U_per_edge, 3.0, 120.0, 40.0, 0.9, 0.05, 0.1};
    std::vector<double> expected;
    for (double t : times) expected.push_back(hand.spike(t, w));

    // Each transmission: the presynaptic stamp and u x w.
    std::ifstream in(path("out") / "weights.csv");
    std::string line;
    std::getline(in, line);
    std::vector<double> stamps, weights;
    while (std::getline(in, line)) {
        std::istringstream f(line);
        std::string a, b, c, d;
        double t, value;
        f >> a >> b >> c >> d >> t >> value;
        stamps.push_back(t);
        weights.push_back(value);
    }
    ASSERT_EQ(weights.size(), times.size());
    for (std::size_t i = 0; i < times.size(); ++i) {
        EXPECT_NEAR(stamps[i], times[i], 1e-9);
        EXPECT_TRUE(close(weights[i], expected[i], 1e-12)) << "spike " << i << ": " << weights[i] << " vs " << expected[i];
    }
    // A depressing train: the second spike 2.5 ms after the first releases less.
    EXPECT_LT(expected[1], expected[0]);

    ASSERT_EQ(summary.synapses.size(), 1u);
    const auto& s = summary.synapses[0];
    EXPECT_EQ(s.model, "tsodyks_synapse");
    EXPECT_TRUE(close(value_of(s, "x"), hand.x, 1e-12)) << value_of(s, "x") << " vs " << hand.x;
    EXPECT_TRUE(close(value_of(s, "y"), hand.y, 1e-12)) << value_of(s, "y") << " vs " << hand.y;
    EXPECT_TRUE(close(value_of(s, "u"), hand.u, 1e-12)) << value_of(s, "u") << " vs " << hand.u;
    EXPECT_DOUBLE_EQ(value_of(s, "weight"), w);
}

}  // namespace
}  // namespace ptest
