// hh_psc_alpha: NEST's parameter rules, initial state, ports and channels
// (the NEST trace is in test_single_cell.cpp).
#include <cmath>

#include <gtest/gtest.h>

#include "common/error.hpp"
#include "common/time.hpp"
#include "models/neuron_group.hpp"

namespace pointsim::models {
namespace {

const TimeGrid kGrid = TimeGrid::make(0.1, 100.0, "test");

std::unique_ptr<NeuronGroup> hh(nlohmann::json params, const TimeGrid& grid = kGrid) {
    return create_group("hh_psc_alpha", {ParameterSet{std::move(params), "test.json"}}, {0}, grid);
}

// One step; spikes on the excitatory (0) and inhibitory (1) channel.
bool step(NeuronGroup& g, double w_ex = 0.0, double w_in = 0.0, double current = 0.0) {
    const double* ch[2] = {&w_ex, &w_in};
    std::vector<std::uint32_t> fired;
    g.update(ch, &current, fired);
    return !fired.empty();
}

std::size_t index_of(const NeuronGroup& g, const std::string& name) {
    const auto& names = g.recordables();
    return static_cast<std::size_t>(std::find(names.begin(), names.end(), name) - names.begin());
}

std::string error_of(nlohmann::json params) {
    try {
        hh(std::move(params));
    } catch (const Error& e) {
        return e.what();
    }
    return "";
}

TEST(HhPscAlpha, RecordablesAsNestNamesThem) {
    auto g = hh(nlohmann::json::object());
    EXPECT_EQ(g->recordables(),
              (std::vector<std::string>{"V_m", "I_syn_ex", "I_syn_in", "Act_m", "Inact_h", "Act_n"}));
    EXPECT_EQ(g->units(0), "mV");
    EXPECT_EQ(g->units(1), "pA");
    ASSERT_EQ(model_recordables("hh_psc_alpha").size(), 6u);
    for (std::size_t k = 0; k < 6; ++k) {
        EXPECT_EQ(model_recordables("hh_psc_alpha")[k].first, g->recordables()[k]);
        EXPECT_EQ(model_recordables("hh_psc_alpha")[k].second, g->units(k));
    }
}

// NEST's State_ constructor: V_m = -65 mV and the gating variables at their
// equilibrium there, computed before (and so independently of) any parameter.
TEST(HhPscAlpha, StartsAtTheRestingEquilibriumOfMinus65MilliVolts) {
    const double V = -65.0;
    const double a_n = (0.01 * (V + 55.)) / (1. - std::exp(-(V + 55.) / 10.)), b_n = 0.125 * std::exp(-(V + 65.) / 80.);
    const double a_m = (0.1 * (V + 40.)) / (1. - std::exp(-(V + 40.) / 10.)), b_m = 4. * std::exp(-(V + 65.) / 18.);
    const double a_h = 0.07 * std::exp(-(V + 65.) / 20.), b_h = 1. / (1. + std::exp(-(V + 35.) / 10.));
    for (const nlohmann::json& params : {nlohmann::json::object(), nlohmann::json{{"E_L", -70.0}, {"V_m", -60.0}}}) {
        auto g = hh(params);
        EXPECT_EQ(g->get(index_of(*g, "V_m"), 0), params.value("V_m", -65.0));
        EXPECT_EQ(g->get(index_of(*g, "Act_m"), 0), a_m / (a_m + b_m));
        EXPECT_EQ(g->get(index_of(*g, "Inact_h"), 0), a_h / (a_h + b_h));
        EXPECT_EQ(g->get(index_of(*g, "Act_n"), 0), a_n / (a_n + b_n));
        EXPECT_EQ(g->get(index_of(*g, "I_syn_ex"), 0), 0.0);
    }
    auto g = hh({{"Act_m", 0.1}, {"Inact_h", 0.2}, {"Act_n", 0.3}});
    EXPECT_EQ(g->get(index_of(*g, "Act_m"), 0), 0.1);
    EXPECT_EQ(g->get(index_of(*g, "Inact_h"), 0), 0.2);
    EXPECT_EQ(g->get(index_of(*g, "Act_n"), 0), 0.3);
}

TEST(HhPscAlpha, RejectsWhatNestRejectsNamingTheRule) {
    auto rule = [](nlohmann::json params) { return error_of(std::move(params)); };
    EXPECT_NE(rule({{"C_m", 0.0}}).find("Capacitance must be strictly positive (C_m > 0)"), std::string::npos);
    EXPECT_NE(rule({{"C_m", -1.0}}).find("(given: C_m = -1.0)"), std::string::npos);
    EXPECT_NE(rule({{"t_ref", -0.1}}).find("Refractory time cannot be negative (t_ref >= 0)"), std::string::npos);
    EXPECT_NE(rule({{"tau_syn_ex", 0.0}}).find("All time constants must be strictly positive"), std::string::npos);
    EXPECT_NE(rule({{"tau_syn_in", -2.0}}).find("All time constants must be strictly positive"), std::string::npos);
    EXPECT_NE(rule({{"tau_syn_in", -2.0}}).find("(given: tau_syn_in = -2.0)"), std::string::npos);
    for (const char* g : {"g_Na", "g_K", "g_L"}) {
        const std::string msg = rule({{g, -1e-3}});
        EXPECT_NE(msg.find("All conductances must be non-negative"), std::string::npos) << g << ": " << msg;
        EXPECT_NE(msg.find(std::string("given: ") + g), std::string::npos) << msg;
    }
    for (const char* x : {"Act_m", "Inact_h", "Act_n"}) {
        const std::string msg = rule({{x, -0.01}});
        EXPECT_NE(msg.find("All (in)activation variables must be non-negative"), std::string::npos) << x << ": " << msg;
    }
    EXPECT_NE(rule({{"C_m", 0.0}}).find("test.json: hh_psc_alpha: "), std::string::npos);
    // Parameters_::set runs before State_::set: a bad parameter is reported first.
    EXPECT_NE(rule({{"C_m", 0.0}, {"Act_m", -1.0}}).find("Capacitance"), std::string::npos);
    // NEST 2's state names and keys of other models are unknown.
    for (const char* key : {"Act_h", "Inact_n", "V_th", "tau_m", "E_ex"})
        EXPECT_NE(rule({{key, 1.0}}).find(std::string("unknown parameter '") + key + "'"), std::string::npos) << key;
    EXPECT_NE(rule({{"g_Na", "many"}}).find("g_Na"), std::string::npos);
    // The boundaries NEST accepts.
    EXPECT_NO_THROW(hh({{"t_ref", 0.0}, {"g_Na", 0.0}, {"g_K", 0.0}, {"g_L", 0.0}, {"Act_m", 0.0}, {"Inact_h", 0.0},
                        {"Act_n", 0.0}, {"E_Na", 55.0}, {"E_K", -80.0}, {"E_L", -60.0}, {"I_e", 10.0}}));
}

TEST(HhPscAlpha, PortZeroOnlyAndTheSignOfTheWeightPicksTheChannel) {
    auto g = hh(nlohmann::json::object());
    EXPECT_EQ(g->spike_channels(), 2);
    EXPECT_EQ(g->channel(5.0, 0), 0);
    EXPECT_EQ(g->channel(-5.0, 0), 1);
    EXPECT_EQ(g->channel(0.0, 0), 1);  // NEST: weight > 0 is excitatory, anything else inhibitory
    for (int port : {1, 2, -1}) {
        try {
            g->channel(5.0, port);
            FAIL() << port;
        } catch (const Error& e) {
            EXPECT_NE(std::string(e.what()).find("receptor_type " + std::to_string(port)), std::string::npos) << e.what();
        }
    }
}

// A weight w gives an alpha current peaking at w pA tau_syn after the spike;
// the inhibitory current keeps the (negative) sign of the weight.
TEST(HhPscAlpha, NegativeWeightDrivesANegativeAlphaCurrentOnTheInhibitoryChannel) {
    auto g = hh({{"tau_syn_in", 2.0}});
    auto quiet = hh({{"tau_syn_in", 2.0}});
    const std::size_t ex = index_of(*g, "I_syn_ex"), in = index_of(*g, "I_syn_in");
    step(*g, 0.0, -120.0);
    step(*quiet);
    EXPECT_EQ(g->get(in, 0), 0.0);  // the input sets dI_in after this step's integration
    EXPECT_EQ(g->get(0, 0), quiet->get(0, 0));
    double peak = 0.0;
    for (int k = 1; k <= 40; ++k) {
        step(*g);
        step(*quiet);
        EXPECT_EQ(g->get(ex, 0), 0.0);
        const double t = k * 0.1;
        EXPECT_NEAR(g->get(in, 0), -120.0 * t / 2.0 * std::exp(1.0 - t / 2.0), 1e-3 * 120.0) << "t=" << t;
        EXPECT_LT(g->get(0, 0), quiet->get(0, 0)) << "t=" << t;  // hyperpolarised
        peak = std::min(peak, g->get(in, 0));
    }
    EXPECT_NEAR(peak, -120.0, 1e-3 * 120.0);
}

// The same for an excitatory weight, with tau_syn_ex.
TEST(HhPscAlpha, PositiveWeightDrivesAPositiveAlphaCurrentOnTheExcitatoryChannel) {
    auto g = hh({{"tau_syn_ex", 0.5}});
    const std::size_t ex = index_of(*g, "I_syn_ex"), in = index_of(*g, "I_syn_in");
    step(*g, 50.0, 0.0);
    for (int k = 1; k <= 20; ++k) {
        step(*g);
        const double t = k * 0.1;
        EXPECT_NEAR(g->get(ex, 0), 50.0 * t / 0.5 * std::exp(1.0 - t / 0.5), 1e-3 * 50.0) << "t=" << t;
        EXPECT_EQ(g->get(in, 0), 0.0);
    }
}

// No threshold: a spike is the first step of the action potential's fall
// above 0 mV (1000 pA fires the default cell at about 70 Hz).
TEST(HhPscAlpha, SpikesOnceAtEachPeak) {
    auto g = hh({{"I_e", 1000.0}});
    std::vector<int> spikes;
    double prev = g->get(0, 0);
    for (int k = 0; k < 2000; ++k) {
        const double before = g->get(0, 0);
        if (step(*g)) {
            spikes.push_back(k);
            EXPECT_GE(g->get(0, 0), 0.0);
            EXPECT_LT(g->get(0, 0), before);  // just past the peak
            EXPECT_GE(before, prev);          // and the step before was still rising
        }
        prev = before;
    }
    ASSERT_GE(spikes.size(), 10u);
    for (std::size_t s = 1; s < spikes.size(); ++s) EXPECT_GT(spikes[s] - spikes[s - 1], 100);
}

// t_ref suppresses spikes but does not touch V: with t_ref longer than the
// interspike interval every other peak is skipped; with t_ref 0 every step
// of the fall above 0 mV is a spike, as in NEST.
TEST(HhPscAlpha, TRefOnlySuppressesSpikes) {
    auto normal = hh({{"I_e", 1000.0}, {"t_ref", 2.0}});
    auto slow = hh({{"I_e", 1000.0}, {"t_ref", 20.0}});
    auto none = hh({{"I_e", 1000.0}, {"t_ref", 0.0}});
    int n_normal = 0, n_slow = 0, n_none = 0;
    for (int k = 0; k < 2000; ++k) {
        n_normal += step(*normal);
        n_slow += step(*slow);
        n_none += step(*none);
        ASSERT_EQ(normal->get(0, 0), slow->get(0, 0)) << k;  // the same trajectory
        ASSERT_EQ(normal->get(0, 0), none->get(0, 0)) << k;
    }
    EXPECT_GE(n_normal, 10);
    EXPECT_LE(n_slow, n_normal / 2 + 1);
    EXPECT_GT(n_slow, 0);
    EXPECT_GT(n_none, n_normal);
}

// The group shares one GSL stepper/control/evolve: neurons in one group must
// evolve exactly as neurons in groups of their own.
TEST(HhPscAlpha, NeuronsInOneGroupMatchSeparateGroupsBitForBit) {
    std::vector<ParameterSet> sets{ParameterSet{{{"I_e", 300.0}}, "a"}, ParameterSet{{{"tau_syn_ex", 1.0}}, "b"}};
    auto both = create_group("hh_psc_alpha", sets, {0, 1}, kGrid);
    auto a = create_group("hh_psc_alpha", {sets[0]}, {0}, kGrid);
    auto b = create_group("hh_psc_alpha", {sets[1]}, {0}, kGrid);
    std::vector<std::uint32_t> fired;
    for (int k = 0; k < 1000; ++k) {
        const double wa = k % 7 == 0 ? 20.0 : 0.0, wb = k % 5 == 0 ? 300.0 : 0.0, ib = k % 3 == 0 ? -50.0 : 0.0;
        const double ca = k > 500 ? 200.0 : 0.0;
        double ex2[2] = {wa, wb}, in2[2] = {0.0, ib}, cur2[2] = {ca, 0.0};
        const double* ch2[2] = {ex2, in2};
        fired.clear();
        both->update(ch2, cur2, fired);
        const bool fa = step(*a, wa, 0.0, ca), fb = step(*b, wb, ib, 0.0);
        ASSERT_EQ(fa + fb, static_cast<int>(fired.size())) << k;
        for (std::size_t r = 0; r < both->recordables().size(); ++r) {
            ASSERT_EQ(both->get(r, 0), a->get(r, 0)) << " k=" << k << " r=" << r;
            ASSERT_EQ(both->get(r, 1), b->get(r, 0)) << " k=" << k << " r=" << r;
        }
    }
}

// A step current handled in step n acts on V from step n+1 on.
TEST(HhPscAlpha, StepCurrentActsFromTheNextStep) {
    auto g = hh(nlohmann::json::object());
    auto ref = hh(nlohmann::json::object());
    step(*g, 0.0, 0.0, 100.0);
    step(*ref);
    EXPECT_EQ(g->get(0, 0), ref->get(0, 0));
    step(*g);
    step(*ref);
    EXPECT_GT(g->get(0, 0), ref->get(0, 0));
}

}  // namespace
}  // namespace pointsim::models
