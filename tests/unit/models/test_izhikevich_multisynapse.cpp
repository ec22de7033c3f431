// izhikevich, iaf_psc_alpha_multisynapse and iaf_psc_exp_multisynapse against
// hand-computed values and NEST's parameter rules (the NEST traces are in
// test_single_cell.cpp).
#include <cmath>

#include <gtest/gtest.h>

#include "common/error.hpp"
#include "common/time.hpp"
#include "models/neuron_group.hpp"

namespace pointsim::models {
namespace {

const TimeGrid kGrid = TimeGrid::make(0.1, 100.0, "test");

std::unique_ptr<NeuronGroup> one(const std::string& model, nlohmann::json params) {
    return create_group(model, {ParameterSet{std::move(params), "test.json"}}, {0}, kGrid);
}

// One step of a one-neuron group with `channels` spike channels; spikes[c] on channel c.
bool step(NeuronGroup& g, std::vector<double> spikes = {}, double current = 0.0) {
    spikes.resize(static_cast<std::size_t>(g.spike_channels()), 0.0);
    std::vector<const double*> ch;
    for (const double& s : spikes) ch.push_back(&s);
    std::vector<std::uint32_t> fired;
    g.update(ch.data(), &current, fired);
    return !fired.empty();
}

std::size_t index_of(const NeuronGroup& g, const std::string& name) {
    const auto& names = g.recordables();
    return static_cast<std::size_t>(std::find(names.begin(), names.end(), name) - names.begin());
}

// The message of the Error that f throws ("" if none).
template <class F>
std::string error_of(F f) {
    try {
        f();
    } catch (const Error& e) {
        return e.what();
    }
    return "";
}

// ---------------------------------------------------------------- izhikevich

TEST(Izhikevich, StartsAtNestsDefaultStateWhateverBAndVmAre) {
    auto g = one("izhikevich", nlohmann::json::object());
    EXPECT_EQ(g->recordables(), (std::vector<std::string>{"V_m", "U_m"}));
    EXPECT_EQ(g->get(0, 0), -65.0);
    EXPECT_EQ(g->get(1, 0), -13.0);  // b * V_m at the defaults: the node exists before SetStatus
    auto h = one("izhikevich", {{"V_m", -70.0}, {"b", 0.25}});
    EXPECT_EQ(h->get(0, 0), -70.0);
    EXPECT_EQ(h->get(1, 0), -13.0);
    EXPECT_EQ(one("izhikevich", {{"U_m", -14.0}})->get(1, 0), -14.0);
}

TEST(Izhikevich, ConsistentIntegrationIsForwardEulerWithTheSpikeAddedToV) {
    auto g = one("izhikevich", {{"I_e", 10.0}});
    step(*g, {1.5});
    const double h = 0.1, v0 = -65.0, u0 = -13.0;
    const double v1 = v0 + (h * (0.04 * v0 * v0 + 5.0 * v0 + 140.0 - u0 + 0.0 + 10.0) + 1.5);
    const double u1 = u0 + h * 0.02 * (0.2 * v0 - u0);
    EXPECT_EQ(g->get(0, 0), v1);
    EXPECT_EQ(g->get(1, 0), u1);
    // A step current acts from the next step on.
    step(*g, {}, 4.0);
    const double v2 = v1 + h * (0.04 * v1 * v1 + 5.0 * v1 + 140.0 - u1 + 0.0 + 10.0);
    EXPECT_EQ(g->get(0, 0), v2);
    step(*g);
    const double u2 = u1 + h * 0.02 * (0.2 * v1 - u1);
    EXPECT_EQ(g->get(0, 0), v2 + h * (0.04 * v2 * v2 + 5.0 * v2 + 140.0 - u2 + 4.0 + 10.0));
}

TEST(Izhikevich, PublishedNumericsUseTwoHalfStepsAndTheNewV) {
    auto g = one("izhikevich", {{"consistent_integration", false}, {"I_e", 6.0}});
    step(*g, {2.0});
    const double h = 0.1, u0 = -13.0;
    double v = -65.0;
    v += h * 0.5 * (0.04 * v * v + 5.0 * v + 140.0 - u0 + 0.0 + 6.0 + 2.0);
    v += h * 0.5 * (0.04 * v * v + 5.0 * v + 140.0 - u0 + 0.0 + 6.0 + 2.0);
    EXPECT_EQ(g->get(0, 0), v);
    EXPECT_EQ(g->get(1, 0), u0 + h * 0.02 * (0.2 * v - u0));
}

TEST(Izhikevich, SpikeResetsVToCAndAddsDToU) {
    auto g = one("izhikevich", {{"c", -50.0}, {"d", 2.0}});
    double u_before = g->get(1, 0);
    ASSERT_TRUE(step(*g, {200.0}));  // V >= V_th = 30 in this step
    EXPECT_EQ(g->get(0, 0), -50.0);
    EXPECT_EQ(g->get(1, 0), u_before + 0.1 * 0.02 * (0.2 * -65.0 - u_before) + 2.0);
    EXPECT_FALSE(step(*g));  // never refractory, but far below threshold now
}

TEST(Izhikevich, VMinBoundsV) {
    auto g = one("izhikevich", {{"V_min", -80.0}});
    step(*g, {-100.0});
    EXPECT_EQ(g->get(0, 0), -80.0);
}

TEST(Izhikevich, PortZeroOnlyAndNestsParameterRules) {
    auto g = one("izhikevich", nlohmann::json::object());
    EXPECT_EQ(g->channel(-3.0, 0), 0);  // one channel, either sign
    EXPECT_THROW(g->channel(1.0, 1), Error);
    // NEST's izhikevich checks no values: any numbers are accepted.
    EXPECT_NO_THROW(one("izhikevich", {{"a", -1.0}, {"b", 0.0}, {"c", 40.0}, {"d", -2.0}, {"V_th", -100.0},
                                       {"V_min", 0.0}, {"consistent_integration", 0}, {"tau_minus", 30.0}}));
    // Keys NEST does not know (E_L, tau_m, the state I) are errors, as are wrong types.
    for (const char* key : {"E_L", "tau_m", "I", "t_ref"}) {
        const std::string msg = error_of([&] { one("izhikevich", {{key, 1.0}}); });
        EXPECT_NE(msg.find(std::string("unknown parameter '") + key + "'"), std::string::npos) << msg;
        EXPECT_NE(msg.find("test.json"), std::string::npos) << msg;
    }
    EXPECT_THROW(one("izhikevich", {{"consistent_integration", "yes"}}), Error);
    EXPECT_THROW(one("izhikevich", {{"a", "fast"}}), Error);
}

// -------------------------------------------------------- multisynapse models

TEST(Multisynapse, ReceptorPortsAreOneToNPerNeuron) {
    for (const char* model : {"iaf_psc_alpha_multisynapse", "iaf_psc_exp_multisynapse"}) {
        std::vector<ParameterSet> sets{ParameterSet{{{"tau_syn", {1.0, 2.0, 3.0}}}, "a"},
                                       ParameterSet{nlohmann::json::object(), "b"}};  // default: one port, 2 ms
        auto g = create_group(model, sets, {0, 1}, kGrid);
        EXPECT_EQ(g->spike_channels(), 3) << model;
        EXPECT_EQ(g->channel(-5.0, 3), 2) << model;  // the port, whatever the sign
        EXPECT_EQ(g->channel_for(5.0, 3, 0), 2) << model;
        EXPECT_EQ(g->channel_for(5.0, 1, 1), 0) << model;
        const std::string msg = error_of([&] { g->channel_for(5.0, 2, 1); });
        EXPECT_NE(msg.find("no receptor_type 2"), std::string::npos) << msg;
        EXPECT_THROW(g->channel(5.0, 0), Error) << model;  // NEST: port 0 is not a receptor
        EXPECT_THROW(g->channel(5.0, 4), Error) << model;
        // Recordables as NEST names them; a port the neuron lacks reads 0.
        EXPECT_EQ(index_of(*g, "V_m"), 0u);
        EXPECT_EQ(index_of(*g, "I_syn"), 1u);
        EXPECT_EQ(index_of(*g, "I_syn_3"), 4u);
        EXPECT_EQ(g->get(index_of(*g, "I_syn_3"), 1), 0.0);
        EXPECT_EQ(g->get(0, 0), -70.0);
        // No ports at all is allowed (NEST: n_synapses 0).
        auto none = one(model, {{"tau_syn", nlohmann::json::array()}});
        EXPECT_THROW(none->channel(1.0, 1), Error) << model;
        step(*none);
    }
}

TEST(Multisynapse, AlphaPscOfEachPortPeaksAtItsWeightAfterItsTauSyn) {
    auto g = one("iaf_psc_alpha_multisynapse", {{"tau_syn", {1.0, 4.0}}, {"V_th", 1000.0}});
    step(*g, {30.0, -20.0});  // arrive in step 0: I_k(t0 + j h) = w e j h / tau e^{-j h / tau}
    for (int j = 1; j <= 60; ++j) {
        step(*g);
        const double t = j * 0.1;
        const double i1 = 30.0 * std::exp(1.0) * t / 1.0 * std::exp(-t / 1.0);
        const double i2 = -20.0 * std::exp(1.0) * t / 4.0 * std::exp(-t / 4.0);
        ASSERT_NEAR(g->get(index_of(*g, "I_syn_1"), 0), i1, 1e-10) << j;
        ASSERT_NEAR(g->get(index_of(*g, "I_syn_2"), 0), i2, 1e-10) << j;
        // I_syn: the sum of the ports' currents after this step (NEST 3.10's recordable).
        ASSERT_EQ(g->get(1, 0), 0.0 + g->get(index_of(*g, "I_syn_1"), 0) + g->get(index_of(*g, "I_syn_2"), 0));
    }
    EXPECT_NEAR(g->get(index_of(*g, "I_syn_1"), 0), 30.0 * std::exp(1.0) * 6.0 * std::exp(-6.0), 1e-10);
}

TEST(Multisynapse, ExpPscOfEachPortJumpsByItsWeightThenDecays) {
    auto g = one("iaf_psc_exp_multisynapse", {{"tau_syn", {1.0, 4.0}}, {"V_th", 1000.0}});
    step(*g, {30.0, -20.0});
    EXPECT_EQ(g->get(index_of(*g, "I_syn_1"), 0), 30.0);
    EXPECT_EQ(g->get(index_of(*g, "I_syn_2"), 0), -20.0);
    EXPECT_EQ(g->get(1, 0), 10.0);
    EXPECT_EQ(g->get(0, 0), -70.0);  // the current acts on V from the next step
    step(*g);
    EXPECT_DOUBLE_EQ(g->get(index_of(*g, "I_syn_1"), 0), 30.0 * std::exp(-0.1 / 1.0));
    EXPECT_DOUBLE_EQ(g->get(index_of(*g, "I_syn_2"), 0), -20.0 * std::exp(-0.1 / 4.0));
    EXPECT_GT(g->get(0, 0), -70.0);
}

TEST(Multisynapse, DcInputAndRefractorinessAsTheSingleSynapseModels) {
    for (const char* model : {"iaf_psc_alpha_multisynapse", "iaf_psc_exp_multisynapse"}) {
        auto g = one(model, {{"I_e", 100.0}, {"V_th", 1000.0}});
        for (int k = 1; k <= 100; ++k) {
            step(*g);
            const double expected = -70.0 + 100.0 * 10.0 / 250.0 * (1 - std::exp(-k * 0.1 / 10.0));
            ASSERT_NEAR(g->get(0, 0), expected, 1e-12) << model << " k=" << k;
        }
        auto f = one(model, {{"I_e", 1000.0}, {"t_ref", 2.05}});  // 21 steps
        int k = 0;
        while (!step(*f)) ASSERT_LT(++k, 1000);
        // Samples at t*, t*+h, ..., t*+t_ref (22 samples for 21 refractory steps) all show V_reset.
        for (int r = 0; r <= 21; ++r) {
            EXPECT_EQ(f->get(0, 0), -70.0) << model << " " << r;
            if (r < 21) step(*f);
        }
        step(*f);
        EXPECT_GT(f->get(0, 0), -70.0) << model;  // integration resumes
    }
}

TEST(Multisynapse, ELRuleAndVMin) {
    for (const char* model : {"iaf_psc_alpha_multisynapse", "iaf_psc_exp_multisynapse"}) {
        EXPECT_EQ(one(model, {{"E_L", -78.0}})->get(0, 0), -70.0) << model;  // V_m stays absolute
        EXPECT_EQ(one(model, {{"E_L", -78.0}, {"V_m", -60.0}})->get(0, 0), -60.0) << model;
        // V_th and V_reset keep their absolute defaults (-55, -70) when only E_L moves.
        auto g = one(model, {{"E_L", -50.0}, {"I_e", 1000.0}});
        int k = 0;
        while (g->get(0, 0) < -55.5) {
            ASSERT_FALSE(step(*g)) << model;
            ASSERT_LT(++k, 1000);
        }
        while (!step(*g)) ASSERT_LT(++k, 1000);
        EXPECT_EQ(g->get(0, 0), -70.0) << model;
    }
    auto g = one("iaf_psc_alpha_multisynapse", {{"V_min", -72.0}, {"tau_syn", {2.0}}});
    step(*g, {-5000.0});
    for (int k = 0; k < 30; ++k) step(*g);
    EXPECT_EQ(g->get(0, 0), -72.0);
    // iaf_psc_exp_multisynapse has no V_min in NEST.
    EXPECT_NE(error_of([] { one("iaf_psc_exp_multisynapse", {{"V_min", -80.0}}); }).find("unknown parameter 'V_min'"),
              std::string::npos);
}

TEST(Multisynapse, RejectsWhatNestRejects) {
    for (const char* model : {"iaf_psc_alpha_multisynapse", "iaf_psc_exp_multisynapse"}) {
        auto rule = [&](nlohmann::json params) { return error_of([&] { one(model, std::move(params)); }); };
        EXPECT_NE(rule({{"C_m", 0.0}}).find("C_m"), std::string::npos) << model;
        EXPECT_NE(rule({{"tau_m", 0.0}}).find("tau_m > 0"), std::string::npos) << model;
        EXPECT_NE(rule({{"tau_syn", {2.0, 0.0}}}).find("tau_syn > 0"), std::string::npos) << model;
        EXPECT_NE(rule({{"tau_syn", {-1.0}}}).find("(given: tau_syn = [-1.0])"), std::string::npos) << model;
        EXPECT_NE(rule({{"t_ref", -0.1}}).find("t_ref >= 0"), std::string::npos) << model;
        EXPECT_NE(rule({{"V_reset", -55.0}}).find("V_reset < V_th"), std::string::npos) << model;
        EXPECT_NE(rule({{"V_th", -71.0}}).find("V_reset < V_th"), std::string::npos) << model;
        EXPECT_NE(rule({{"tau_syn_ex", 2.0}}).find("unknown parameter 'tau_syn_ex'"), std::string::npos) << model;
        EXPECT_NE(rule({{"n_synapses", 3}}).find("unknown parameter 'n_synapses'"), std::string::npos) << model;
        EXPECT_NE(rule({{"tau_syn", 2.0}}).find("list of numbers"), std::string::npos) << model;
        EXPECT_NE(rule({{"tau_syn", {2.0, "x"}}}).find("list of numbers"), std::string::npos) << model;
        EXPECT_NE(rule({{"C_m", 0.0}}).find("test.json"), std::string::npos) << model;
        // tau_syn == tau_m is accepted: the propagators take the singular limit.
        EXPECT_NO_THROW(one(model, {{"tau_syn", {10.0, 0.5}}, {"tau_m", 10.0}, {"I_e", 1.0}})) << model;
    }
}

TEST(Registry, UnknownModelListsTheSupportedOnes) {
    const std::string msg = error_of([] { one("ht_neuron", nlohmann::json::object()); });
    EXPECT_NE(msg.find("unknown model 'nest:ht_neuron'"), std::string::npos) << msg;
    for (const char* m : {"nest:iaf_psc_alpha,", "nest:glif_psc", "nest:izhikevich", "nest:iaf_psc_alpha_multisynapse",
                          "nest:iaf_psc_exp_multisynapse"})
        EXPECT_NE(msg.find(m), std::string::npos) << m << " in " << msg;
    for (const char* m : {"izhikevich", "iaf_psc_alpha_multisynapse", "iaf_psc_exp_multisynapse"}) {
        EXPECT_TRUE(is_supported(m)) << m;
        EXPECT_EQ(model_recordables(m).front(), (std::pair<std::string, std::string>{"V_m", "mV"})) << m;
    }
    EXPECT_EQ(model_recordables("izhikevich").size(), 2u);
    EXPECT_EQ(model_recordables("iaf_psc_exp_multisynapse")[3].first, "I_syn_2");
}

}  // namespace
}  // namespace pointsim::models
