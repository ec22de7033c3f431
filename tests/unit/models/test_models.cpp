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
}

}  // namespace
}  // namespace pointsim::models
