// Synapses with state (src/network/plastic.hpp): how tsodyks2_synapse and
// tsodyks_synapse edges become synapses, with their parameters from the
// edge type's JSON and the edges h5's dynamics_params, checked as NEST's
// set_status checks them (its order and messages).
#include <gtest/gtest.h>

#include "network/plastic.hpp"
#include "test_circuit.hpp"

namespace fs = std::filesystem;
using namespace ptest;
using pointsim::ErrorKind;
using pointsim::network::Network;
using pointsim::network::SynapseKind;

namespace {

const char* kTypes = "edge_type_id model_template syn_weight delay dynamics_params\n";

// Two edges cortex 0 -> 1 and 0 -> 2 of edge type 1 (`model` with `json`).
class PlasticEdges : public CircuitTest {
protected:
    Network build_model(const std::string& model, const std::string& json,
                        const std::map<std::string, std::vector<double>>& per_edge = {}) {
        text_file("synaptic_models/syn.json", json);
        text_file("e_edge_types.csv", std::string(kTypes) + "1 " + model + " 4.0 1.5 syn.json\n");
        write_edges_h5(path("e_edges.h5"), {EdgePop{"e", "cortex", "cortex", {0, 0}, {1, 2}, {1, 1}, {}}});
        if (!per_edge.empty()) {
            H5::H5File f(path("e_edges.h5").string(), H5F_ACC_RDWR);
            H5::Group g = f.openGroup("/edges/e/0").createGroup("dynamics_params");
            for (const auto& [name, values] : per_edge) write_dataset(g, name, values);
        }
        return build(base_config({"cortex", "lgn"}, {{"e_edges.h5", "e_edge_types.csv"}}));
    }
    std::string error(const std::string& model, const std::string& json,
                      const std::map<std::string, std::vector<double>>& per_edge = {}) {
        return error_of([&] { build_model(model, json, per_edge); }, ErrorKind::Model);
    }
};

TEST_F(PlasticEdges, Tsodyks2TakesTheJsonOverNestDefaults) {
    const Network net = build_model("tsodyks2_synapse", R"({"U": 0.2, "tau_rec": 300.0, "receptor_type": 0})");
    EXPECT_EQ(net.connectivity.size(), 0u);
    ASSERT_EQ(net.plastic.size(), 2u);
    for (std::size_t k = 0; k < 2; ++k) {
        EXPECT_EQ(net.plastic.kind[k], SynapseKind::tsodyks2);
        EXPECT_DOUBLE_EQ(net.plastic.weight[k], 4.0);
        EXPECT_EQ(net.plastic.delay[k], 15);
        const auto& q = net.plastic.tsodyks2_params_of(k);
        EXPECT_DOUBLE_EQ(q.U, 0.2);
        EXPECT_DOUBLE_EQ(q.tau_rec, 300.0);
        EXPECT_DOUBLE_EQ(q.tau_fac, 0.0);  // NEST's default
        // NEST's defaults x = 1 and u = 0.5: u does not follow a given U.
        const auto& s = net.plastic.tsodyks2[net.plastic.slot[k]];
        EXPECT_DOUBLE_EQ(s.x, 1.0);
        EXPECT_DOUBLE_EQ(s.u, 0.5);
        EXPECT_DOUBLE_EQ(net.plastic.t_last[k], -1.0);  // no spike yet
    }
    EXPECT_EQ(net.plastic.tsodyks2_params.size(), 1u);  // one shared parameter set
    EXPECT_EQ(net.connectivity.min_delay, 15);
}

TEST_F(PlasticEdges, TsodyksTakesTheJsonOverNestDefaults) {
    const Network net =
        build_model("nest:tsodyks_synapse", R"({"U": 0.3, "tau_psc": 2.0, "tau_fac": 10.0, "x": 0.8, "y": 0.1, "u": 0.2})");
    ASSERT_EQ(net.plastic.size(), 2u);
    EXPECT_EQ(net.plastic.kind[0], SynapseKind::tsodyks);
    const auto& q = net.plastic.tsodyks_params_of(0);
    EXPECT_DOUBLE_EQ(q.U, 0.3);
    EXPECT_DOUBLE_EQ(q.tau_psc, 2.0);
    EXPECT_DOUBLE_EQ(q.tau_fac, 10.0);
    EXPECT_DOUBLE_EQ(q.tau_rec, 800.0);  // NEST's default
    const auto state = net.plastic.state_of(0);
    ASSERT_EQ(state.size(), 4u);
    EXPECT_EQ(state[1], std::make_pair(std::string("x"), 0.8));
    EXPECT_EQ(state[2], std::make_pair(std::string("y"), 0.1));
    EXPECT_EQ(state[3], std::make_pair(std::string("u"), 0.2));
    EXPECT_DOUBLE_EQ(net.plastic.t_last[0], 0.0);
}

TEST_F(PlasticEdges, Tsodyks2RulesAreNests) {
    struct Case {
        const char* json;
        const char* rule;
    };
    for (const Case& c : {Case{R"({"U": 1.5})", "tsodyks2_synapse: U must be in [0,1]. (given: U = 1.5)"},
                          Case{R"({"U": -0.1})", "U must be in [0,1]."},
                          Case{R"({"u": 1.01})", "tsodyks2_synapse: u must be in [0,1]. (given: u = 1.01)"},
                          Case{R"({"tau_rec": 0})", "tsodyks2_synapse: tau_rec must be > 0. (given: tau_rec = 0)"},
                          Case{R"({"tau_fac": -1})", "tsodyks2_synapse: tau_fac must be >= 0. (given: tau_fac = -1)"},
                          // NEST checks U before tau_rec.
                          Case{R"({"tau_rec": 0, "U": 2})", "U must be in [0,1]."}}) {
        const std::string msg = error("tsodyks2_synapse", c.json);
        EXPECT_CONTAINS(msg, c.rule);
        EXPECT_CONTAINS(msg, "syn.json");
    }
    // NEST does not range-check x of tsodyks2_synapse.
    EXPECT_DOUBLE_EQ(build_model("tsodyks2_synapse", R"({"x": 1.5})").plastic.tsodyks2[0].x, 1.5);
}

TEST_F(PlasticEdges, TsodyksRulesAreNests) {
    struct Case {
        const char* json;
        const char* rule;
    };
    for (const Case& c : {Case{R"({"x": 0.7, "y": 0.4})", "tsodyks_synapse: x + y must be <= 1.0. (given: x = 0.7, y = 0.4)"},
                          Case{R"({"y": 0.1})", "x + y must be <= 1.0. (given: y = 0.1)"},  // x = 1 by default
                          Case{R"({"U": 1.5})", "tsodyks_synapse: U must be in [0,1]. (given: U = 1.5)"},
                          Case{R"({"tau_psc": 0})", "tsodyks_synapse: tau_psc must be > 0."},
                          Case{R"({"tau_rec": -3})", "tsodyks_synapse: tau_rec must be > 0."},
                          Case{R"({"tau_fac": -1})", "tsodyks_synapse: tau_fac must be >= 0."},
                          // NEST checks x + y before anything else.
                          Case{R"({"U": 7, "x": 0.9, "y": 0.2})", "x + y must be <= 1.0."}}) {
        const std::string msg = error("tsodyks_synapse", c.json);
        EXPECT_CONTAINS(msg, c.rule);
        EXPECT_CONTAINS(msg, "syn.json");
    }
}

TEST_F(PlasticEdges, UnknownOrMistypedKeysAreErrors) {
    std::string msg = error("tsodyks2_synapse", R"({"U": 0.2, "tau_psc": 3.0})");  // tau_psc is tsodyks_synapse's
    EXPECT_CONTAINS(msg, "syn.json");
    EXPECT_CONTAINS(msg, "unknown parameter 'tau_psc' for tsodyks2_synapse");
    msg = error("tsodyks_synapse", R"({"Wmax": 3.0})");
    EXPECT_CONTAINS(msg, "unknown parameter 'Wmax' for tsodyks_synapse");
    msg = error("tsodyks_synapse", R"({"U": "half"})");
    EXPECT_CONTAINS(msg, "'U' must be a number");
}

TEST_F(PlasticEdges, PerEdgeH5ValuesOverrideTheJson) {
    const Network net = build_model("tsodyks2_synapse", R"({"U": 0.2, "tau_rec": 300.0})", {{"U", {0.3, 0.7}}, {"x", {0.9, 0.8}}});
    ASSERT_EQ(net.plastic.size(), 2u);
    EXPECT_DOUBLE_EQ(net.plastic.tsodyks2_params_of(0).U, 0.3);
    EXPECT_DOUBLE_EQ(net.plastic.tsodyks2_params_of(1).U, 0.7);
    EXPECT_DOUBLE_EQ(net.plastic.tsodyks2_params_of(1).tau_rec, 300.0);  // from the JSON
    EXPECT_DOUBLE_EQ(net.plastic.tsodyks2[net.plastic.slot[0]].x, 0.9);
    EXPECT_DOUBLE_EQ(net.plastic.tsodyks2[net.plastic.slot[1]].x, 0.8);

    // A bad per-edge value names the dataset and the row.
    std::string msg = error("tsodyks2_synapse", R"({"U": 0.2})", {{"tau_rec", {100.0, 0.0}}});
    EXPECT_CONTAINS(msg, "e_edges.h5: /edges/e/0/dynamics_params/tau_rec[1]");
    EXPECT_CONTAINS(msg, "tau_rec must be > 0. (given: tau_rec = 0)");
    msg = error("tsodyks_synapse", "{}", {{"tau_plus", {1.0, 2.0}}});
    EXPECT_CONTAINS(msg, "e_edges.h5: /edges/e/0/dynamics_params/tau_plus: unknown parameter 'tau_plus' for tsodyks_synapse");
}

TEST_F(PlasticEdges, StdpIgnoresPerEdgeH5ValuesAsBefore) {
    // stdp_synapse keeps BMTK's behaviour: the edge type's values only.
    const Network net = build_model("stdp_synapse", R"({"tau_plus": 15.0})", {{"tau_plus", {-1.0, -1.0}}});
    ASSERT_EQ(net.plastic.size(), 2u);
    EXPECT_EQ(net.plastic.kind[0], SynapseKind::stdp);
    EXPECT_DOUBLE_EQ(net.plastic.stdp_params_of(1).tau_plus, 15.0);
}

TEST_F(PlasticEdges, KindsMixInOneStore) {
    text_file("synaptic_models/t2.json", R"({"U": 0.2})");
    text_file("synaptic_models/t1.json", R"({"U": 0.4})");
    text_file("synaptic_models/st.json", "{}");
    text_file("e_edge_types.csv", std::string(kTypes) + "1 tsodyks2_synapse 1.0 1.0 t2.json\n2 tsodyks_synapse 2.0 1.0 t1.json\n" +
                                      "3 stdp_synapse 3.0 1.0 st.json\n4 static_synapse 4.0 1.0 st.json\n");
    write_edges_h5(path("e_edges.h5"), {EdgePop{"e", "cortex", "cortex", {0, 0, 0, 0}, {1, 2, 1, 4}, {1, 2, 3, 4}, {}}});
    const Network net = build(base_config({"cortex", "lgn"}, {{"e_edges.h5", "e_edge_types.csv"}}));
    EXPECT_EQ(net.connectivity.size(), 1u);
    ASSERT_EQ(net.plastic.size(), 3u);
    // Creation order within the source: edge type, then row.
    EXPECT_EQ(net.plastic.kind[0], SynapseKind::tsodyks2);
    EXPECT_EQ(net.plastic.kind[1], SynapseKind::tsodyks);
    EXPECT_EQ(net.plastic.kind[2], SynapseKind::stdp);
    EXPECT_EQ(net.plastic.count(SynapseKind::tsodyks), 1u);
    EXPECT_DOUBLE_EQ(net.plastic.tsodyks_params_of(1).U, 0.4);
    EXPECT_DOUBLE_EQ(net.plastic.weight[2], 3.0);
}

}  // namespace
