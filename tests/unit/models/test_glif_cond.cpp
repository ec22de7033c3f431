// glif_cond against NEST's parameter rules (glif_cond::Parameters_::set and
// State_::set), its receptor ports, its recordables and a few properties of
// its dynamics (the NEST traces are in test_single_cell.cpp).
#include <algorithm>
#include <cmath>

#include <gtest/gtest.h>

#include "common/error.hpp"
#include "common/time.hpp"
#include "models/neuron_group.hpp"

namespace pointsim::models {
namespace {

using Json = nlohmann::json;

const TimeGrid kGrid = TimeGrid::make(0.1, 100.0, "test");

std::unique_ptr<NeuronGroup> glif_cond(Json params) {
    return create_group("glif_cond", {ParameterSet{std::move(params), "test.json"}}, {0}, kGrid);
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

// The message glif_cond gives for these parameters ("" if accepted).
std::string rule(Json params) {
    return error_of([&] { glif_cond(std::move(params)); });
}

// One step of a one-neuron group; spikes[c] on channel c (port c + 1).
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

Json glif5() { return {{"spike_dependent_threshold", true}, {"after_spike_currents", true}, {"adapting_threshold", true}}; }

// ------------------------------------------------------- parameter rules

struct Case {
    Json params;
    const char* nest_rule;  // NEST's message (its start)
    const char* key;        // the key the message names
};

TEST(GlifCondParameters, EachBadValueIsRejectedWithNestsRule) {
    const Json R = {{"spike_dependent_threshold", true}};
    const Json ASC = {{"after_spike_currents", true}};
    auto with = [](Json base, const Json& more) {
        base.update(more);
        return base;
    };
    const std::vector<Case> cases{
        {{{"V_reset", -51.68}}, "Reset potential must be smaller than threshold", "V_reset < V_th"},
        {{{"V_th", -80.0}}, "Reset potential must be smaller than threshold", "V_reset < V_th"},
        {{{"C_m", 0.0}}, "Capacitance must be strictly positive", "C_m > 0"},
        {{{"g_m", -1.0}}, "Membrane conductance must be strictly positive", "g_m > 0"},
        {{{"t_ref", 0.0}}, "Refractory time constant must be strictly positive", "t_ref > 0"},
        {with(R, {{"th_spike_decay", 0.0}}), "Spike induced threshold time constant must be strictly positive",
         "th_spike_decay > 0"},
        {with(R, {{"voltage_reset_fraction", 1.5}}), "Voltage fraction coefficient following spike must be within [0.0, 1.0]",
         "voltage_reset_fraction"},
        {with(R, {{"voltage_reset_fraction", -0.1}}), "Voltage fraction coefficient following spike must be within [0.0, 1.0]",
         "voltage_reset_fraction"},
        {with(ASC, {{"asc_amps", {1.0}}}), "All after spike current parameters (i.e., asc_init, k, asc_amps, r) must have the same size",
         "asc_amps 1"},
        {with(ASC, {{"asc_init", {0.0, 0.0, 0.0}}}), "All after spike current parameters", "asc_init 3"},
        {with(ASC, {{"asc_r", {1.0}}}), "All after spike current parameters", "asc_r 1"},
        {with(ASC, {{"asc_decay", {0.003, 0.0}}}), "After-spike current time constant must be strictly positive",
         "asc_decay > 0"},
        {with(ASC, {{"asc_r", {1.0, 1.1}}}), "After spike current fraction following spike coefficients r must be within [0.0, 1.0]",
         "asc_r"},
        {with(glif5(), {{"th_voltage_decay", -0.09}}), "Voltage-induced threshold time constant must be strictly positive",
         "th_voltage_decay > 0"},
        {{{"tau_syn", {0.2, 2.0, 1.0}}}, "The reversal potential and synaptic time constant arrays, i.e., E_rev (2) and tau_syn (3), must have the same size",
         "E_rev"},
        {{{"E_rev", {0.0}}}, "The reversal potential and synaptic time constant arrays, i.e., E_rev (1) and tau_syn (2), must have the same size",
         "tau_syn"},
        {{{"tau_syn", {0.2, 0.0}}, {"E_rev", {0.0, -85.0}}}, "All synaptic time constants must be strictly positive",
         "tau_syn > 0"},
        {{{"ASCurrents", {1.0, 2.0}}}, "After spike currents are not supported or settable in the current model mechanisms",
         "ASCurrents needs after_spike_currents"},
        {with(ASC, {{"ASCurrents", {1.0}}}), "After spike current values must have the same size (2)", "ASCurrents"},
        {{{"threshold_spike", 1.0}}, "Threshold spike component is not supported or settable in the current model mechanisms",
         "threshold_spike needs spike_dependent_threshold"},
        {with(R, {{"threshold_voltage", 1.0}}), "Threshold voltage component is not supported or settable in the current model mechanisms",
         "threshold_voltage needs adapting_threshold"},
        {with(ASC, {{"asc_decay", {0.003, 0.1, 0.2}}, {"asc_init", {0, 0, 0}}, {"asc_amps", {1, 2, 3}}, {"asc_r", {1, 1, 1}}}),
         "asc_decay must have 2 entries unless ASCurrents gives the initial currents", "asc_decay"},
    };
    for (const Case& c : cases) {
        const std::string msg = rule(c.params);
        EXPECT_NE(msg.find(c.nest_rule), std::string::npos) << c.params.dump() << ": " << msg;
        EXPECT_NE(msg.find(c.key), std::string::npos) << c.params.dump() << ": " << msg;
        EXPECT_NE(msg.find("test.json: glif_cond: "), std::string::npos) << msg;
    }
}

TEST(GlifCondParameters, TheRulesOfAMechanismApplyOnlyWhenItIsOn) {
    // As NEST: the R, ASC and A constants are checked only in variants that use them.
    EXPECT_EQ(rule({{"th_spike_decay", 0.0}, {"voltage_reset_fraction", 2.0}}), "");
    EXPECT_EQ(rule({{"asc_decay", {-1.0}}, {"asc_r", {5.0, 1.0, 1.0}}}), "");
    EXPECT_EQ(rule({{"th_voltage_decay", 0.0}, {"spike_dependent_threshold", true}, {"after_spike_currents", true}}), "");
    // ASCurrents sets the initial currents (any count matching asc_decay).
    Json three = glif5();
    three.update({{"asc_decay", {0.003, 0.1, 0.2}}, {"asc_init", {0, 0, 0}}, {"asc_amps", {1, 2, 3}}, {"asc_r", {1, 1, 1}},
                  {"ASCurrents", {1.0, 2.0, 3.0}}});
    EXPECT_EQ(rule(three), "");
    // E_rev and tau_syn given together with equal lengths, also both empty (no ports).
    EXPECT_EQ(rule({{"tau_syn", {1.0, 2.0, 3.0}}, {"E_rev", {0.0, -85.0, -70.0}}}), "");
    EXPECT_EQ(rule({{"tau_syn", Json::array()}, {"E_rev", Json::array()}}), "");
}

TEST(GlifCondParameters, GlifPscsNameForTheConductanceAndUnknownKeysAreErrors) {
    EXPECT_NE(rule({{"g", 9.43}}).find("unknown parameter 'g' for model glif_cond"), std::string::npos);
    EXPECT_NE(rule({{"I_e", 1.0}}).find("unknown parameter 'I_e'"), std::string::npos);
    EXPECT_NE(rule({{"has_connections", true}}).find("unknown parameter 'has_connections'"), std::string::npos);
    EXPECT_NE(rule({{"g_m", "9"}}).find("parameter 'g_m' must be a number"), std::string::npos);
    EXPECT_NE(rule({{"E_rev", 0.0}}).find("parameter 'E_rev' must be a list of numbers"), std::string::npos);
}

TEST(GlifCondParameters, OnlyTheFiveGlifVariantsAreAccepted) {
    int accepted = 0;
    for (int bits = 0; bits < 8; ++bits) {
        const bool R = bits & 1, ASC = bits & 2, A = bits & 4;
        const std::string msg =
            rule({{"spike_dependent_threshold", R}, {"after_spike_currents", ASC}, {"adapting_threshold", A}});
        const bool nest_accepts = (!A) || (R && ASC);  // GLIF1..GLIF4 have no A; GLIF5 is R+ASC+A
        if (nest_accepts) {
            EXPECT_EQ(msg, "") << R << ASC << A;
            ++accepted;
        } else {
            EXPECT_NE(msg.find("Incorrect model mechanism combination setting"), std::string::npos) << msg;
            EXPECT_NE(msg.find("adapting_threshold = true"), std::string::npos) << msg;
        }
    }
    EXPECT_EQ(accepted, 5);
}

// ----------------------------------------------------------------- ports

TEST(GlifCondPorts, ReceptorPortsAreOneToTheNumberOfTauSyn) {
    auto g = glif_cond({{"tau_syn", {0.2, 2.0, 1.0}}, {"E_rev", {0.0, -85.0, 0.0}}});
    EXPECT_EQ(g->spike_channels(), 3);
    EXPECT_EQ(g->channel(1.0, 1), 0);
    EXPECT_EQ(g->channel(-1.0, 3), 2);
    for (int bad : {0, 4, -1}) {
        const std::string msg = error_of([&] { g->channel(1.0, bad); });
        EXPECT_NE(msg.find("glif_cond has no receptor_type " + std::to_string(bad)), std::string::npos) << msg;
        EXPECT_NE(msg.find("valid: 1..3"), std::string::npos) << msg;
    }
    // Port 0 is refused also with the default two ports.
    EXPECT_THROW(glif_cond(Json::object())->channel(1.0, 0), Error);
    EXPECT_THROW(glif_cond(Json::object())->channel(1.0, 3), Error);
}

TEST(GlifCondPorts, EachNeuronHasItsOwnParameterSetsPorts) {
    auto g = create_group("glif_cond",
                          {ParameterSet{{{"tau_syn", {1.0}}, {"E_rev", {0.0}}}, "a.json"},
                           ParameterSet{{{"tau_syn", {1.0, 2.0, 3.0}}, {"E_rev", {0.0, -85.0, 0.0}}}, "b.json"}},
                          {0, 1}, kGrid);
    EXPECT_EQ(g->spike_channels(), 3);
    EXPECT_EQ(g->channel_for(1.0, 3, 1), 2);
    EXPECT_THROW(g->channel_for(1.0, 2, 0), Error);
    EXPECT_NO_THROW(g->channel_for(1.0, 1, 0));
}

// ---------------------------------------------------- state and dynamics

TEST(GlifCondState, RecordablesAreNestsAndVmKeepsItsDefaultWhenELChanges) {
    auto g = glif_cond({{"E_L", -70.0}});
    const auto& names = g->recordables();
    ASSERT_GE(names.size(), 8u);
    EXPECT_EQ(std::vector<std::string>(names.begin(), names.begin() + 8),
              (std::vector<std::string>{"V_m", "I", "ASCurrents_sum", "threshold", "threshold_spike",
                                        "threshold_voltage", "g_1", "g_2"}));
    EXPECT_EQ(g->units(index_of(*g, "g_1")), "nS");
    EXPECT_EQ(g->units(index_of(*g, "threshold")), "mV");
    // V_m, V_th, V_reset are absolute and keep their defaults when only E_L is given.
    EXPECT_DOUBLE_EQ(g->get(index_of(*g, "V_m"), 0), -78.85);
    EXPECT_DOUBLE_EQ(g->get(index_of(*g, "threshold"), 0), -51.68);
    EXPECT_EQ(glif_cond({{"V_m", -60.0}})->get(0, 0), -60.0);
}

TEST(GlifCondState, AtRestNothingMovesAndAPortsConductanceIsAnAlphaPeakingAtTheWeight) {
    auto g = glif_cond({{"tau_syn", {2.0, 1.0}}, {"E_rev", {0.0, -85.0}}});
    const std::size_t v = index_of(*g, "V_m"), g1 = index_of(*g, "g_1"), g2 = index_of(*g, "g_2"),
                      g3 = index_of(*g, "g_3");
    step(*g);
    EXPECT_EQ(g->get(v, 0), -78.85);
    // A weight of 3 on port 1 in step 0 (added after the step's integration):
    // g_1 = 3 (t/tau) e^(1 - t/tau), peaking at 3 nS at t = tau_syn = 2 ms.
    step(*g, {3.0, 0.0});
    EXPECT_EQ(g->get(g1, 0), 0.0);
    double peak = 0.0;
    for (int n = 1; n <= 60; ++n) {
        step(*g);
        const double t = 0.1 * n, expected = 3.0 * (t / 2.0) * std::exp(1.0 - t / 2.0);
        EXPECT_NEAR(g->get(g1, 0), expected, 1e-3) << t;
        peak = std::max(peak, g->get(g1, 0));
    }
    EXPECT_NEAR(peak, 3.0, 1e-3);
    EXPECT_EQ(g->get(g2, 0), 0.0);
    EXPECT_EQ(g->get(g3, 0), 0.0);  // no port 3: reads 0
    EXPECT_GT(g->get(v, 0), -78.85);  // E_rev 0 depolarises
}

TEST(GlifCondState, Glif1ChargesTowardsIOverGAndResetsToVReset) {
    // A step current handled in step 0 acts from step 1 on: V -> E_L + I / g_m.
    auto g = glif_cond({{"V_th", 0.0}, {"V_reset", -80.0}});
    const std::size_t v = index_of(*g, "V_m"), I = index_of(*g, "I");
    step(*g, {}, 94.3);
    EXPECT_EQ(g->get(v, 0), -78.85);
    EXPECT_EQ(g->get(I, 0), 94.3);
    for (int n = 1; n <= 200; ++n) step(*g, {}, 94.3);
    const double tau = 58.72 / 9.43, expected = -78.85 + 10.0 * (1.0 - std::exp(-20.0 / tau));
    EXPECT_NEAR(g->get(v, 0), expected, 1e-3);

    // Above threshold (V > th, strictly): one spike, V to V_reset, held for t_ref = 3.75 ms -> 38 steps.
    auto h = glif_cond({{"V_th", -70.0}, {"V_reset", -75.0}});
    int steps_to_spike = 0;
    while (!step(*h, {}, 500.0)) ASSERT_LT(++steps_to_spike, 1000);
    const double reset = h->get(v, 0);
    EXPECT_DOUBLE_EQ(reset, -75.0);
    int held = 0;
    for (;;) {
        ASSERT_FALSE(step(*h, {}, 500.0));
        if (h->get(v, 0) != reset) break;
        ++held;
    }
    EXPECT_EQ(held, 38);
}

}  // namespace
}  // namespace pointsim::models
