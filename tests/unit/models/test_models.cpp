// Model updates against hand-computed values and NEST's parameter rules.
#include <cmath>

#include <Eigen/Dense>
#include <unsupported/Eigen/MatrixFunctions>
#include <gtest/gtest.h>

#include "common/error.hpp"
#include "common/time.hpp"
#include "models/iaf_propagator.hpp"
#include "models/neuron_group.hpp"

namespace pointsim::models {
namespace {

const TimeGrid kGrid = TimeGrid::make(0.1, 100.0, "test");

std::unique_ptr<NeuronGroup> one(const std::string& model, nlohmann::json params) {
    return create_group(model, {ParameterSet{std::move(params), "test.json"}}, {0}, kGrid);
}

// Runs one step with the given inputs; returns whether the neuron fired.
bool step(NeuronGroup& g, double w_ex = 0, double w_in = 0, double current = 0) {
    double ex = w_ex, in = w_in;
    const double* ch[2] = {&ex, &in};
    std::vector<std::uint32_t> fired;
    g.update(ch, &current, fired);
    return !fired.empty();
}

TEST(IafPscAlpha, DcInputFollowsTheExactSolution) {
    auto g = one("iaf_psc_alpha", {{"I_e", 100.0}, {"V_th", 1000.0}});
    for (int k = 1; k <= 200; ++k) {
        step(*g);
        const double t = k * 0.1;
        const double expected = -70.0 + 100.0 * 10.0 / 250.0 * (1 - std::exp(-t / 10.0));
        ASSERT_NEAR(g->get(0, 0), expected, 1e-12) << "t=" << t;
    }
}

TEST(IafPscAlpha, OnePscHasTheAlphaShapeAndPeaksAtTauSyn) {
    auto g = one("iaf_psc_alpha", {{"tau_syn_ex", 2.0}});
    step(*g, 50.0);  // arrives in step 0: I_ex(t0 + k h) = w e k h / tau e^{-k h / tau}
    for (int k = 1; k <= 100; ++k) {
        step(*g);
        const double t = k * 0.1;
        ASSERT_NEAR(g->get(1, 0), 50.0 * std::exp(1.0) * t / 2.0 * std::exp(-t / 2.0), 1e-10) << "k=" << k;
    }
    // Peak equals the weight at t = tau_syn: sample 20 of the run above was at t = 2.0.
}

TEST(IafPscAlpha, NegativeWeightGoesToTheInhibitoryChannel) {
    auto g = one("iaf_psc_alpha", nlohmann::json::object());
    EXPECT_EQ(g->channel(3.0, 0), 0);
    EXPECT_EQ(g->channel(-3.0, 0), 1);
    EXPECT_EQ(g->channel(0.0, 0), 1);  // NEST: s > 0 ? SYN_EX : SYN_IN
    EXPECT_THROW(g->channel(1.0, 1), Error);
}

TEST(IafPscAlpha, RefractoryPeriodHoldsVAtResetForTrefSteps) {
    auto g = one("iaf_psc_alpha", {{"I_e", 1000.0}, {"t_ref", 2.0}});
    int k = 0;
    while (!step(*g)) ASSERT_LT(++k, 1000);
    // Samples at t*, t*+h, ..., t*+t_ref (21 samples for 20 refractory steps) all show V_reset.
    for (int r = 0; r <= 20; ++r) {
        EXPECT_EQ(g->get(0, 0), -70.0) << r;
        if (r < 20) step(*g);
    }
    step(*g);
    EXPECT_GT(g->get(0, 0), -70.0);  // integration resumes
}

TEST(IafPscAlpha, InitialVmStaysAbsoluteWhenOnlyELChanges) {
    auto g = one("iaf_psc_alpha", {{"E_L", -78.0}, {"V_th", -43.0}, {"V_reset", -55.0}});
    EXPECT_EQ(g->get(0, 0), -70.0);  // semantics.md 3.3
    auto h = one("iaf_psc_alpha", {{"E_L", -78.0}, {"V_m", -60.0}});
    EXPECT_EQ(h->get(0, 0), -60.0);
}

TEST(IafPscAlpha, RejectsUnknownAndInvalidParameters) {
    try {
        one("iaf_psc_alpha", {{"tau_mem", 3.0}});
        FAIL();
    } catch (const Error& e) {
        EXPECT_NE(std::string(e.what()).find("tau_mem"), std::string::npos);
        EXPECT_NE(std::string(e.what()).find("test.json"), std::string::npos);
    }
    EXPECT_THROW(one("iaf_psc_alpha", {{"V_reset", -50.0}, {"V_th", -55.0}}), Error);
    EXPECT_THROW(one("iaf_psc_alpha", {{"tau_m", -1.0}}), Error);
    EXPECT_THROW(one("iaf_psc_alpha", {{"C_m", "big"}}), Error);
    EXPECT_THROW(one("iaf_psc_glif", nlohmann::json::object()), Error);
}

// P31, P32 from the closed forms equal the matrix exponential of the
// linear system [dI, I, V] (Eigen), away from the singular case.
TEST(IafPropagator, AlphaMatchesMatrixExponential) {
    const double tau_s = 2.0, tau_m = 10.0, C = 250.0, h = 0.1;
    Eigen::Matrix3d A;
    A << -1 / tau_s, 0, 0,
         1, -1 / tau_s, 0,
         0, 1 / C, -1 / tau_m;
    const Eigen::Matrix3d P = (A * h).exp();
    const AlphaPropagator p = iaf_propagator_alpha(tau_s, tau_m, C, h);
    EXPECT_NEAR(p.p31, P(2, 0), 1e-15);
    EXPECT_NEAR(p.p32, P(2, 1), 1e-15);
}

TEST(IafPropagator, SingularCaseUsesTheLimit) {
    const double tau = 5.0, C = 100.0, h = 0.1;
    const AlphaPropagator p = iaf_propagator_alpha(tau, tau, C, h);
    EXPECT_DOUBLE_EQ(p.p32, h / C * std::exp(-h / tau));
    EXPECT_DOUBLE_EQ(p.p31, 0.5 * h * h / C * std::exp(-h / tau));
    Eigen::Matrix3d A;
    A << -1 / tau, 0, 0, 1, -1 / tau, 0, 0, 1 / C, -1 / tau;
    const Eigen::Matrix3d P = (A * h).exp();
    EXPECT_NEAR(p.p31, P(2, 0), 1e-15);
    EXPECT_NEAR(p.p32, P(2, 1), 1e-15);
}

TEST(IafPscDelta, SpikeJumpsVByItsWeightInTheSameStep) {
    auto g = one("iaf_psc_delta", nlohmann::json::object());
    step(*g, 2.5);
    EXPECT_DOUBLE_EQ(g->get(0, 0), -70.0 + 2.5);
    step(*g);
    EXPECT_DOUBLE_EQ(g->get(0, 0), -70.0 + 2.5 * std::exp(-0.1 / 10.0));
}

TEST(IafPscExp, SpikeJumpsTheCurrentByItsWeight) {
    auto g = one("iaf_psc_exp", nlohmann::json::object());
    step(*g, 80.0);
    EXPECT_DOUBLE_EQ(g->get(1, 0), 80.0);
    step(*g);
    EXPECT_DOUBLE_EQ(g->get(1, 0), 80.0 * std::exp(-0.1 / 2.0));
}

TEST(IafCond, RestingNeuronStaysAtELAndVmIgnoresAGivenEL) {
    for (const char* model : {"iaf_cond_alpha", "iaf_cond_exp"}) {
        auto g = one(model, nlohmann::json::object());
        for (int k = 0; k < 100; ++k) ASSERT_FALSE(step(*g));
        EXPECT_EQ(g->get(0, 0), -70.0) << model;  // V - E_L = 0, g = 0: dV/dt is exactly 0
        EXPECT_EQ(g->get(1, 0), 0.0) << model;
        // V is stored absolutely and starts at the default E_L (semantics.md 3.3), then relaxes to E_L.
        auto h = one(model, {{"E_L", -65.0}});
        EXPECT_EQ(h->get(0, 0), -70.0) << model;
        for (int k = 0; k < 2000; ++k) step(*h);  // 200 ms = 13 tau_m (C_m / g_L = 15 ms)
        EXPECT_NEAR(h->get(0, 0), -65.0, 1e-4) << model;
        EXPECT_EQ(one(model, {{"V_m", -62.5}})->get(0, 0), -62.5) << model;
    }
}

TEST(IafCondAlpha, OneSpikeGivesAnAlphaConductancePeakingAtTheWeight) {
    // g_ex(t) = w t/tau e^{1 - t/tau}: peak w nS at t = tau_syn_ex. RKF45 with
    // absolute tolerance 1e-3 on a smooth curve is far more accurate than that.
    const double w = 3.0, tau = 2.0;
    auto g = one("iaf_cond_alpha", {{"tau_syn_ex", tau}, {"V_th", 1000.0}});
    step(*g, w);  // added at the end of step 0: t = 0 for the conductance
    double peak = 0.0;
    for (int k = 1; k <= 60; ++k) {
        step(*g);
        const double t = k * 0.1;
        ASSERT_NEAR(g->get(1, 0), w * t / tau * std::exp(1.0 - t / tau), 1e-6) << "k=" << k;
        peak = std::max(peak, g->get(1, 0));
        if (k == 20) {
            EXPECT_NEAR(g->get(1, 0), w, 1e-6);  // t = tau_syn_ex
        }
    }
    EXPECT_NEAR(peak, w, 1e-6);
    EXPECT_EQ(g->get(2, 0), 0.0);
    EXPECT_GT(g->get(0, 0), -70.0);  // depolarised towards E_ex
    // Inhibitory input: a negative weight feeds g_in with -weight.
    EXPECT_EQ(g->channel(-4.0, 0), 1);
    EXPECT_EQ(g->channel(0.0, 0), 1);
    EXPECT_EQ(g->channel(4.0, 0), 0);
    EXPECT_THROW(g->channel(4.0, 1), Error);
    auto h = one("iaf_cond_alpha", nlohmann::json::object());
    step(*h, 0.0, -4.0);
    for (int k = 1; k <= 20; ++k) step(*h);  // tau_syn_in = 2 ms: peak after 20 steps
    EXPECT_NEAR(h->get(2, 0), 4.0, 1e-6);
    EXPECT_LT(h->get(0, 0), -70.0);  // hyperpolarised towards E_in
}

TEST(IafCondExp, SpikeJumpsTheConductanceByItsWeightThenDecays) {
    auto g = one("iaf_cond_exp", {{"tau_syn_ex", 2.0}});
    step(*g, 5.0, -7.0);
    EXPECT_EQ(g->get(1, 0), 5.0);  // added after the integration, in the same step
    EXPECT_EQ(g->get(2, 0), 7.0);
    for (int k = 1; k <= 50; ++k) {
        step(*g);
        ASSERT_NEAR(g->get(1, 0), 5.0 * std::exp(-k * 0.1 / 2.0), 1e-7) << k;
        ASSERT_NEAR(g->get(2, 0), 7.0 * std::exp(-k * 0.1 / 2.0), 1e-7) << k;
    }
}

TEST(IafCondAlpha, RefractoryClampsVAndCountsDownTRefRemaining) {
    auto g = one("iaf_cond_alpha", {{"I_e", 1000.0}, {"t_ref", 2.0}});
    int k = 0;
    while (!step(*g)) ASSERT_LT(++k, 1000);
    for (int r = 20; r >= 1; --r) {
        EXPECT_EQ(g->get(0, 0), -60.0) << r;  // V_reset
        EXPECT_NEAR(g->get(3, 0), 0.1 * r, 1e-12) << r;
        step(*g);
    }
    EXPECT_EQ(g->get(3, 0), 0.0);
    EXPECT_EQ(g->get(0, 0), -60.0);  // last clamp
    step(*g);
    EXPECT_GT(g->get(0, 0), -60.0);  // integration resumes
}

// The group shares one GSL stepper/control/evolve: neurons with different
// inputs in one group must evolve exactly as neurons in groups of their own.
TEST(IafCond, NeuronsInOneGroupMatchSeparateGroupsBitForBit) {
    for (const char* model : {"iaf_cond_alpha", "iaf_cond_exp"}) {
        std::vector<ParameterSet> sets{ParameterSet{{{"I_e", 300.0}}, "a"}, ParameterSet{{{"tau_syn_ex", 1.0}}, "b"}};
        auto both = create_group(model, sets, {0, 1}, kGrid);
        auto a = create_group(model, {sets[0]}, {0}, kGrid);
        auto b = create_group(model, {sets[1]}, {0}, kGrid);
        std::vector<std::uint32_t> fired;
        for (int k = 0; k < 1000; ++k) {
            const double wa = k % 7 == 0 ? 2.0 : 0.0, wb = k % 5 == 0 ? 30.0 : 0.0, ib = k % 3 == 0 ? -5.0 : 0.0;
            const double ca = k > 500 ? 200.0 : 0.0, cb = 0.0;
            double ex2[2] = {wa, wb}, in2[2] = {0.0, ib}, cur2[2] = {ca, cb};
            const double* ch2[2] = {ex2, in2};
            fired.clear();
            both->update(ch2, cur2, fired);
            const bool fa = step(*a, wa, 0.0, ca), fb = step(*b, wb, ib, cb);
            ASSERT_EQ(fa || fb, !fired.empty());
            for (std::size_t r = 0; r < both->recordables().size(); ++r) {
                ASSERT_EQ(both->get(r, 0), a->get(r, 0)) << model << " k=" << k << " r=" << r;
                ASSERT_EQ(both->get(r, 1), b->get(r, 0)) << model << " k=" << k << " r=" << r;
            }
        }
    }
}

TEST(IafCond, RejectsUnknownAndInvalidParameters) {
    for (const char* model : {"iaf_cond_alpha", "iaf_cond_exp"}) {
        try {
            one(model, {{"tau_m", 10.0}});  // not a parameter of the conductance models
            FAIL() << model;
        } catch (const Error& e) {
            EXPECT_NE(std::string(e.what()).find("tau_m"), std::string::npos);
            EXPECT_NE(std::string(e.what()).find("test.json"), std::string::npos);
        }
        EXPECT_THROW(one(model, {{"V_reset", -55.0}}), Error) << model;  // V_reset >= V_th
        EXPECT_THROW(one(model, {{"C_m", 0.0}}), Error) << model;
        EXPECT_THROW(one(model, {{"t_ref", -0.1}}), Error) << model;
        EXPECT_THROW(one(model, {{"tau_syn_in", 0.0}}), Error) << model;
        EXPECT_THROW(one(model, {{"g_L", "leaky"}}), Error) << model;
        EXPECT_NO_THROW(one(model, {{"g_L", 10.0}, {"E_ex", 10.0}, {"E_in", -90.0}, {"g_ex", 1.0}, {"g_in", 0.5}}));
    }
    EXPECT_NO_THROW(one("iaf_cond_alpha", {{"dg_ex", 1.0}, {"dg_in", 1.0}}));
    EXPECT_THROW(one("iaf_cond_exp", {{"dg_ex", 1.0}}), Error);
}

TEST(TimeGrid, NestRoundingRules) {
    EXPECT_EQ(kGrid.n_steps, 1000);
    EXPECT_EQ(kGrid.ms_to_steps_ceil(2.05), 21);       // t_ref rounds up
    EXPECT_EQ(kGrid.delay_to_steps(0.37), 4);          // delays round to nearest
    EXPECT_EQ(kGrid.delay_to_steps(0.04), 0);
    EXPECT_EQ(kGrid.spike_time_to_stamp(10.0), 100);   // on grid
    EXPECT_EQ(kGrid.spike_time_to_stamp(10.01), 101);  // rounded up
    EXPECT_EQ(kGrid.spike_time_to_stamp(1.0004), 11);  // tic truncation still rounds up
    EXPECT_THROW(TimeGrid::make(0.0005, 10.0, "x"), Error);
    EXPECT_THROW(TimeGrid::make(-0.1, 10.0, "x"), Error);
    // Models integrate over NEST's get_resolution().get_ms() = 0.001 * tics,
    // delays use MS_PER_STEP = tics / 1000.0: one ulp apart at 9 tics.
    const TimeGrid odd = TimeGrid::make(0.009, 1.0, "x");
    EXPECT_EQ(odd.resolution_ms(), 0.001 * 9.0);
    EXPECT_EQ(odd.ms_per_step(), 9.0 / 1000.0);
    EXPECT_NE(odd.resolution_ms(), odd.ms_per_step());
}

}  // namespace
}  // namespace pointsim::models
