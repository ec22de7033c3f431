// aeif_cond_alpha, aeif_cond_exp, aeif_psc_alpha and aeif_psc_exp: NEST's
// parameter rules (each with the words of that model's NEST file), ports,
// channels and the loop's spike, refractory and instability handling (the
// NEST traces are in test_single_cell.cpp).
#include <algorithm>
#include <cmath>
#include <limits>

#include <gtest/gtest.h>

#include "common/error.hpp"
#include "common/time.hpp"
#include "models/neuron_group.hpp"

namespace pointsim::models {
namespace {

const TimeGrid kGrid = TimeGrid::make(0.1, 100.0, "test");
const std::vector<std::string> kModels{"aeif_cond_alpha", "aeif_cond_exp", "aeif_psc_alpha", "aeif_psc_exp"};

std::unique_ptr<NeuronGroup> one(const std::string& model, nlohmann::json params) {
    return create_group(model, {ParameterSet{std::move(params), "test.json"}}, {0}, kGrid);
}

// One step; spikes[c] on channel c. Returns how many spikes the neuron sent.
std::size_t step(NeuronGroup& g, std::vector<double> spikes = {}, double current = 0.0) {
    spikes.resize(static_cast<std::size_t>(g.spike_channels()), 0.0);
    std::vector<const double*> ch;
    for (const double& s : spikes) ch.push_back(&s);
    std::vector<std::uint32_t> fired;
    g.update(ch.data(), &current, fired);
    return fired.size();
}

double get(const NeuronGroup& g, const std::string& name) {
    const auto& names = g.recordables();
    const auto it = std::find(names.begin(), names.end(), name);
    if (it == names.end()) throw std::logic_error("no recordable " + name);
    return g.get(static_cast<std::size_t>(it - names.begin()), 0);
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

std::string creation_error(const std::string& model, nlohmann::json params) {
    return error_of([&] { one(model, std::move(params)); });
}

bool is_conductance(const std::string& model) { return model.rfind("aeif_cond", 0) == 0; }

// ---------------------------------------------------------------- parameters

TEST(Aeif, RecordablesAndInitialStateAreNests) {
    for (const auto& m : kModels) {
        auto g = one(m, nlohmann::json::object());
        const std::vector<std::string> expected =
            is_conductance(m) ? std::vector<std::string>{"V_m", "g_ex", "g_in", "w"}
                              : std::vector<std::string>{"V_m", "I_syn_ex", "I_syn_in", "w"};
        EXPECT_EQ(g->recordables(), expected) << m;
        EXPECT_EQ(g->units(0), "mV");
        EXPECT_EQ(g->units(1), is_conductance(m) ? "nS" : "pA");
        EXPECT_EQ(g->units(3), "pA");
        EXPECT_EQ(get(*g, "V_m"), -70.6) << m;
        EXPECT_EQ(get(*g, "w"), 0.0) << m;
        // Potentials are absolute: V_m stays at the default E_L when E_L is given.
        EXPECT_EQ(get(*one(m, {{"E_L", -65.0}}), "V_m"), -70.6) << m;
        EXPECT_EQ(get(*one(m, {{"V_m", -60.0}, {"w", 5.0}}), "w"), 5.0) << m;
    }
}

TEST(Aeif, EachParameterRuleIsRejectedWithNestsWords) {
    struct Rule {
        nlohmann::json params;
        std::string cond_alpha, cond_exp, psc_alpha, psc_exp;  // NEST's text in each model
    };
    const std::string overflow =
        "The current combination of V_peak, V_th and Delta_T will lead to numerical overflow at spike time";
    const std::vector<Rule> rules{
        {{{"C_m", 0.0}}, "Capacitance must be strictly positive.", "Ensure that C_m >0",
         "Capacitance must be strictly positive.", "Ensure that C_m > 0"},
        {{{"Delta_T", -1.0}}, "Delta_T must be positive.", "Delta_T must be positive.", "Delta_T must be positive.",
         "Delta_T must be positive."},
        {{{"V_peak", -55.0}}, "V_peak >= V_th required.", "V_peak >= V_th required.", "V_peak >= V_th required.",
         "V_peak >= V_th required."},
        {{{"V_reset", 0.0}}, "Ensure that: V_reset < V_peak .", "Ensure that: V_reset < V_peak .",
         "Ensure that V_reset < V_peak .", "Ensure that V_reset < V_peak ."},
        {{{"t_ref", -0.1}}, "Refractory time cannot be negative.", "Refractory time cannot be negative.",
         "Refractory time cannot be negative.", "Ensure that t_ref >= 0"},
        {{{"tau_w", 0.0}}, "All time constants must be strictly positive.",
         "All time constants must be strictly positive.", "All time constants must be strictly positive.",
         "All time constants must be strictly positive."},
        {{{"tau_syn_ex", -1.0}}, "All time constants must be strictly positive.",
         "All time constants must be strictly positive.", "All time constants must be strictly positive.",
         "All time constants must be strictly positive."},
        {{{"tau_syn_in", 0.0}}, "All time constants must be strictly positive.",
         "All time constants must be strictly positive.", "All time constants must be strictly positive.",
         "All time constants must be strictly positive."},
        {{{"gsl_error_tol", 0.0}}, "The gsl_error_tol must be strictly positive.",
         "The gsl_error_tol must be strictly positive.", "The gsl_error_tol must be strictly positive.",
         "The gsl_error_tol must be strictly positive."},
        // (V_peak - V_th) / Delta_T = 5040 >= log(DBL_MAX / 1e20) = 663.7
        {{{"Delta_T", 0.01}}, overflow, overflow, overflow, overflow},
    };
    for (const auto& rule : rules) {
        for (std::size_t k = 0; k < kModels.size(); ++k) {
            const std::string expected = std::vector<std::string>{rule.cond_alpha, rule.cond_exp, rule.psc_alpha,
                                                                   rule.psc_exp}[k];
            const std::string msg = creation_error(kModels[k], rule.params);
            EXPECT_NE(msg.find("test.json: " + kModels[k] + ": " + expected), std::string::npos)
                << kModels[k] << " " << rule.params.dump() << ": " << msg;
            // The given value is named.
            EXPECT_NE(msg.find(rule.params.begin().key() + " = "), std::string::npos) << msg;
        }
    }
}

TEST(Aeif, OverflowGuardSitsAtNestsBoundAndOnlyForPositiveDeltaT) {
    const double max_exp_arg = std::log(std::numeric_limits<double>::max() / 1e20);
    for (const auto& m : kModels) {
        // (V_peak - V_th) / Delta_T just below the bound: accepted; just above: rejected.
        const double at_bound = 50.4 / max_exp_arg;
        EXPECT_EQ(creation_error(m, {{"Delta_T", at_bound * 1.001}}), "") << m;
        EXPECT_NE(creation_error(m, {{"Delta_T", at_bound * 0.999}}).find("numerical overflow"), std::string::npos)
            << m;
        // Delta_T = 0 has no exponential term and no guard.
        EXPECT_EQ(creation_error(m, {{"Delta_T", 0.0}}), "") << m;
    }
}

TEST(Aeif, NestsCheckOrderPicksTheMessage) {
    // V_peak below V_th and V_reset above V_peak: aeif_cond_exp checks
    // V_peak >= V_th first, the others V_reset < V_peak.
    const nlohmann::json both{{"V_peak", -55.0}, {"V_reset", -50.0}};
    EXPECT_NE(creation_error("aeif_cond_exp", both).find("V_peak >= V_th required."), std::string::npos);
    EXPECT_NE(creation_error("aeif_cond_alpha", both).find("Ensure that: V_reset < V_peak ."), std::string::npos);
    EXPECT_NE(creation_error("aeif_psc_exp", both).find("Ensure that V_reset < V_peak ."), std::string::npos);
}

TEST(Aeif, NegativeSynapticStateAndUnknownKeysAreRejected) {
    EXPECT_NE(creation_error("aeif_cond_alpha", {{"g_in", -1.0}}).find("Conductances must not be negative."),
              std::string::npos);
    EXPECT_NE(creation_error("aeif_cond_exp", {{"g_ex", -1.0}}).find("Conductances must not be negative."),
              std::string::npos);
    EXPECT_NE(creation_error("aeif_psc_alpha", {{"I_syn_ex", -1.0}}).find("Conductances must not be negative."),
              std::string::npos);
    EXPECT_NE(creation_error("aeif_psc_exp", {{"I_syn_in", -1.0}}).find("Conductances must not be negative."),
              std::string::npos);
    // The derivatives of the alpha models may be negative.
    EXPECT_EQ(creation_error("aeif_cond_alpha", {{"dg_ex", -1.0}}), "");
    EXPECT_EQ(creation_error("aeif_psc_alpha", {{"dI_syn_in", -1.0}}), "");
    // Keys of another variant are unknown, as in NEST.
    EXPECT_NE(creation_error("aeif_psc_alpha", {{"E_ex", 0.0}}).find("unknown parameter 'E_ex'"), std::string::npos);
    EXPECT_NE(creation_error("aeif_cond_exp", {{"dg_ex", 0.0}}).find("unknown parameter 'dg_ex'"), std::string::npos);
    EXPECT_NE(creation_error("aeif_psc_exp", {{"dI_syn_ex", 0.0}}).find("unknown parameter 'dI_syn_ex'"),
              std::string::npos);
    EXPECT_NE(creation_error("aeif_cond_alpha", {{"tau_m", 10.0}}).find("unknown parameter 'tau_m'"),
              std::string::npos);
    EXPECT_NE(creation_error("aeif_cond_alpha", {{"a", "4"}}).find("'a' must be a number"), std::string::npos);
}

// ---------------------------------------------------------------- ports and channels

TEST(Aeif, OnlyReceptorPortZeroAndTheSignPicksTheChannel) {
    for (const auto& m : kModels) {
        auto g = one(m, nlohmann::json::object());
        EXPECT_EQ(g->spike_channels(), 2);
        EXPECT_EQ(g->channel(2.0, 0), 0) << m;
        EXPECT_EQ(g->channel(-2.0, 0), 1) << m;
        EXPECT_EQ(g->channel(0.0, 0), 1) << m;  // NEST: weight > 0 is excitatory, anything else inhibitory
        const std::string msg = error_of([&] { g->channel(2.0, 1); });
        EXPECT_NE(msg.find(m + " has no receptor_type 1"), std::string::npos) << msg;
        EXPECT_NE(error_of([&] { g->channel(-2.0, -1); }), "");
    }
}

TEST(Aeif, ASpikeOfNegativeWeightFeedsTheInhibitorySynapseWithItsMagnitude) {
    for (const auto& m : kModels) {
        auto g = one(m, nlohmann::json::object());
        const std::string ex = is_conductance(m) ? "g_ex" : "I_syn_ex";
        const std::string in = is_conductance(m) ? "g_in" : "I_syn_in";
        step(*g, {0.0, -3.0});  // what channel(-3, 0) == 1 receives
        const bool alpha = m.find("alpha") != std::string::npos;
        if (alpha) {
            EXPECT_EQ(get(*g, in), 0.0) << m;  // the derivative jumped; the PSC rises from the next step
            step(*g);
        } else {
            EXPECT_EQ(get(*g, in), 3.0) << m;  // -weight, as NEST's spike_inh_ holds it
        }
        EXPECT_GT(get(*g, in), 0.0) << m;
        EXPECT_EQ(get(*g, ex), 0.0) << m;
        step(*g);
        // Inhibition: V ends below where it would be without the spike (E_in and
        // the subtracted I_syn_in are below the rest).
        auto quiet = one(m, nlohmann::json::object());
        for (int k = 0; k < (alpha ? 3 : 2); ++k) step(*quiet);
        EXPECT_LT(get(*g, "V_m"), get(*quiet, "V_m")) << m;
    }
}

TEST(Aeif, AnAlphaSpikeOfWeightWPeaksAtWAfterTauSyn) {
    // tau_syn_ex = 0.2 ms, dt = 0.1 ms: the peak is two steps after the jump.
    auto g = one("aeif_psc_alpha", nlohmann::json::object());
    step(*g, {5.0, 0.0});
    step(*g);
    step(*g);
    EXPECT_NEAR(get(*g, "I_syn_ex"), 5.0, 1e-4);
    auto c = one("aeif_cond_alpha", nlohmann::json::object());
    step(*c, {5.0, 0.0});
    step(*c);
    step(*c);
    EXPECT_NEAR(get(*c, "g_ex"), 5.0, 1e-4);
}

// ---------------------------------------------------------------- the integration loop

TEST(Aeif, ASpikeResetsVAddsBAndHoldsVAtResetWhileRefractory) {
    for (const auto& m : kModels) {
        auto g = one(m, {{"I_e", 1000.0}, {"t_ref", 0.5}, {"b", 10.0}});
        int n = 0;
        while (step(*g) == 0) ASSERT_LT(++n, 1000) << m;
        EXPECT_EQ(get(*g, "V_m"), -60.0) << m;
        const double w_after = get(*g, "w");
        EXPECT_GT(w_after, 10.0) << m;
        // t_ref 0.5 ms = 5 steps: V held at V_reset, with dV/dt = 0 in the ODE.
        for (int k = 0; k < 5; ++k) {
            EXPECT_EQ(step(*g), 0u) << m;
            EXPECT_EQ(get(*g, "V_m"), -60.0) << m << " step " << k;
        }
        step(*g);
        EXPECT_GT(get(*g, "V_m"), -60.0) << m;
    }
}

TEST(Aeif, WithDeltaTZeroTheThresholdIsVth) {
    for (const auto& m : kModels) {
        auto g = one(m, {{"Delta_T", 0.0}, {"I_e", 1000.0}, {"a", 0.0}});
        double v_max = -1e9;
        std::size_t spikes = 0;
        for (int k = 0; k < 500 && spikes == 0; ++k) {
            spikes = step(*g);
            if (spikes == 0) v_max = std::max(v_max, get(*g, "V_m"));
        }
        EXPECT_EQ(spikes, 1u) << m;
        EXPECT_LT(v_max, -50.4) << m;  // never reached V_th without spiking, far from V_peak = 0
        EXPECT_EQ(get(*g, "V_m"), -60.0) << m;
    }
}

TEST(Aeif, WithoutRefractoryTimeANeuronMayFireMoreThanOnceInAStep) {
    // A strong drive and no adaptation: two or three crossings per 1 ms
    // step, each one a spike of its own (NEST sends one per crossing).
    const TimeGrid coarse = TimeGrid::make(1.0, 100.0, "test");
    auto g = create_group("aeif_psc_exp",
                          {ParameterSet{{{"V_reset", -55.0}, {"I_e", 1e4}, {"b", 0.0}, {"a", 0.0}}, "test.json"}}, {0},
                          coarse);
    std::size_t most = 0;
    for (int k = 0; k < 5; ++k) most = std::max(most, step(*g));
    EXPECT_GT(most, 1u);
}

TEST(Aeif, NumericalInstabilityStopsTheRunNamingTheNeuron) {
    for (const auto& m : kModels) {
        auto g = one(m, {{"V_m", -2000.0}});
        const std::string msg = error_of([&] { step(*g); });
        EXPECT_NE(msg.find(m + ": numerical instability for neuron 0"), std::string::npos) << msg;
        auto h = one(m, {{"w", 2e6}});
        EXPECT_NE(error_of([&] { step(*h); }).find("numerical instability"), std::string::npos) << m;
        auto k = one(m, {{"w", -2e6}});
        EXPECT_NE(error_of([&] { step(*k); }).find("numerical instability"), std::string::npos) << m;
    }
}

TEST(Aeif, AStepCurrentActsFromTheNextStep) {
    for (const auto& m : kModels) {
        auto g = one(m, nlohmann::json::object());
        auto quiet = one(m, nlohmann::json::object());
        step(*g, {}, 500.0);
        step(*quiet);
        EXPECT_EQ(get(*g, "V_m"), get(*quiet, "V_m")) << m;
        step(*g);
        step(*quiet);
        EXPECT_GT(get(*g, "V_m"), get(*quiet, "V_m")) << m;
    }
}

TEST(Aeif, ParameterSetsKeepTheirOwnToleranceAndState) {
    // Spiking, where the step control matters: the looser tolerance of set b
    // takes other steps than set a.
    auto g = create_group("aeif_cond_exp",
                          {ParameterSet{{{"I_e", 1000.0}}, "a.json"},
                           ParameterSet{{{"I_e", 1000.0}, {"gsl_error_tol", 1e-2}}, "b.json"}},
                          {0, 1, 0}, kGrid);
    auto alone = one("aeif_cond_exp", {{"I_e", 1000.0}});
    std::vector<double> none(3, 0.0), current(3, 0.0);
    const double* ch[2] = {none.data(), none.data()};
    std::vector<std::uint32_t> fired;
    std::size_t spikes = 0;
    for (int k = 0; k < 300; ++k) {
        g->update(ch, current.data(), fired);
        spikes += step(*alone);
    }
    EXPECT_GT(spikes, 0u);
    EXPECT_EQ(g->get(0, 0), get(*alone, "V_m"));
    EXPECT_EQ(g->get(0, 2), get(*alone, "V_m"));
    EXPECT_EQ(g->get(3, 2), get(*alone, "w"));
    EXPECT_NE(g->get(3, 1), get(*alone, "w"));
}

}  // namespace
}  // namespace pointsim::models
