// mat2_psc_exp and amat2_psc_exp: NEST's parameter rules, ports and channels,
// the non-resetting membrane with its adaptive threshold, and amat2's
// voltage-dependent threshold against an independent integration of its ODEs
// (the NEST traces, with beta = 0, are in test_single_cell.cpp).
#include <array>
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

// One step of a one-neuron group; spikes[c] on channel c. True if it fired.
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
    const auto it = std::find(names.begin(), names.end(), name);
    if (it == names.end()) throw std::logic_error("no recordable " + name);
    return static_cast<std::size_t>(it - names.begin());
}

template <class F>
std::string error_of(F f) {
    try {
        f();
    } catch (const Error& e) {
        return e.what();
    }
    return "";
}

const char* const kModels[] = {"mat2_psc_exp", "amat2_psc_exp"};

TEST(Mat2, RecordablesAndDefaults) {
    auto m = one("mat2_psc_exp", nlohmann::json::object());
    EXPECT_EQ(m->recordables(), (std::vector<std::string>{"V_m", "V_th"}));
    EXPECT_EQ(m->get(0, 0), -70.0);
    EXPECT_EQ(m->get(1, 0), -51.0);  // omega: E_L + 19
    auto a = one("amat2_psc_exp", nlohmann::json::object());
    EXPECT_EQ(a->recordables(), (std::vector<std::string>{"V_m", "V_th", "V_th_v", "I_syn_ex", "I_syn_in"}));
    EXPECT_EQ(a->get(0, 0), -70.0);
    EXPECT_EQ(a->get(1, 0), -65.0);  // omega: E_L + 5
    EXPECT_EQ(a->units(index_of(*a, "V_th_v")), "mV");
    EXPECT_EQ(a->units(index_of(*a, "I_syn_in")), "pA");
    for (const char* model : kModels) {
        EXPECT_EQ(model_recordables(model).size(), one(model, nlohmann::json::object())->recordables().size());
    }
}

TEST(Mat2, OmegaAndVmKeepTheirAbsoluteValuesWhenOnlyELChanges) {
    for (const char* model : kModels) {
        const double omega = std::string(model) == "mat2_psc_exp" ? -51.0 : -65.0;
        auto g = one(model, {{"E_L", -60.0}});
        EXPECT_EQ(g->get(0, 0), -70.0) << model;
        EXPECT_EQ(g->get(1, 0), omega) << model;
        auto h = one(model, {{"E_L", -60.0}, {"omega", -40.0}, {"V_m", -65.0}});
        EXPECT_EQ(h->get(0, 0), -65.0) << model;
        EXPECT_EQ(h->get(1, 0), -40.0) << model;
        // The threshold components are state, not relative to E_L.
        auto k = one(model, {{"E_L", -60.0}, {"V_th_alpha_1", 3.0}, {"V_th_alpha_2", 0.5}});
        EXPECT_EQ(k->get(1, 0), -60.0 + (omega + 60.0) + 3.0 + 0.5) << model;
    }
    EXPECT_EQ(one("amat2_psc_exp", {{"V_th_v", 2.0}})->get(2, 0), 2.0);
}

TEST(Mat2, RejectsWhatNestRejects) {
    for (const char* model : kModels) {
        auto rule = [&](nlohmann::json params) { return error_of([&] { one(model, std::move(params)); }); };
        auto expect = [&](nlohmann::json params, const std::string& text) {
            const std::string msg = rule(params);
            EXPECT_NE(msg.find(text), std::string::npos) << model << " " << params.dump() << ": " << msg;
            EXPECT_NE(msg.find("test.json"), std::string::npos) << msg;
        };
        expect({{"C_m", 0.0}}, "Capacitance must be strictly positive (C_m > 0). (given: C_m = 0.0)");
        expect({{"C_m", -1.0}}, "Capacitance must be strictly positive");
        for (const char* key : {"tau_m", "tau_syn_ex", "tau_syn_in", "t_ref", "tau_1", "tau_2"}) {
            expect({{key, 0.0}}, "All time constants must be strictly positive");
            expect({{key, -1.0}}, std::string("given: ") + key + " = -1.0");
        }
        // t_ref > 0 that rounds to no step (0.0004 ms is 0 tics).
        expect({{"t_ref", 0.0004}}, "Total refractory time must be at least one time step");
        EXPECT_EQ(rule({{"t_ref", 0.001}}), "");  // one tic: rounded up to one step
        // Keys NEST does not let one set.
        expect({{"V_th", -50.0}}, "unknown parameter 'V_th'");
        expect({{"V_reset", -70.0}}, "unknown parameter 'V_reset'");
        expect({{"t_spike", 1.0}}, "unknown parameter 't_spike'");
        expect({{"C_m", "x"}}, "must be a number");
    }
    auto mat2 = [](nlohmann::json params) { return error_of([&] { one("mat2_psc_exp", std::move(params)); }); };
    const std::string differ = "Membrane and synapse time constant(s) must differ";
    EXPECT_NE(mat2({{"tau_syn_ex", 5.0}}).find(differ), std::string::npos);
    EXPECT_NE(mat2({{"tau_m", 3.0}}).find(differ), std::string::npos);  // == tau_syn_in
    EXPECT_NE(mat2({{"beta", 1.0}}).find("unknown parameter 'beta'"), std::string::npos);
    EXPECT_NE(mat2({{"tau_v", 1.0}}).find("unknown parameter 'tau_v'"), std::string::npos);
    EXPECT_NE(mat2({{"V_th_v", 1.0}}).find("unknown parameter 'V_th_v'"), std::string::npos);

    auto amat2 = [](nlohmann::json params) { return error_of([&] { one("amat2_psc_exp", std::move(params)); }); };
    EXPECT_NE(amat2({{"tau_v", 0.0}}).find("All time constants must be strictly positive"), std::string::npos);
    const std::string m_differs = "tau_m must differ from tau_syn_ex, tau_syn_in and tau_v.";
    EXPECT_NE(amat2({{"tau_syn_ex", 10.0}}).find(m_differs), std::string::npos);
    EXPECT_NE(amat2({{"tau_syn_in", 10.0}}).find(m_differs), std::string::npos);
    EXPECT_NE(amat2({{"tau_v", 10.0}}).find(m_differs), std::string::npos);
    const std::string v_differs = "tau_v must differ from tau_syn_ex, tau_syn_in and tau_m.";
    EXPECT_NE(amat2({{"tau_v", 1.0}}).find(v_differs), std::string::npos);
    EXPECT_NE(amat2({{"tau_v", 3.0}}).find(v_differs), std::string::npos);
    // NEST checks the time constants' signs before their differences.
    EXPECT_NE(amat2({{"tau_v", 10.0}, {"tau_1", 0.0}}).find("strictly positive"), std::string::npos);
    EXPECT_EQ(amat2({{"beta", -1.0}, {"alpha_1", -2.0}, {"I_e", 5.0}}), "");  // no rule on these
}

TEST(Mat2, PortZeroOnlyAndTheWeightsSignPicksTheChannel) {
    for (const char* model : kModels) {
        auto g = one(model, nlohmann::json::object());
        EXPECT_EQ(g->spike_channels(), 2);
        EXPECT_EQ(g->channel(5.0, 0), 0);
        EXPECT_EQ(g->channel(0.0, 0), 0);  // NEST: weight >= 0 is excitatory
        EXPECT_EQ(g->channel(-5.0, 0), 1);
        const std::string msg = error_of([&] { g->channel(5.0, 1); });
        EXPECT_NE(msg.find(std::string(model) + " has no receptor_type 1"), std::string::npos) << msg;
    }
    // A negative weight lands in I_syn_in, signed, in the step it arrives.
    auto a = one("amat2_psc_exp", nlohmann::json::object());
    step(*a, {0.0, -150.0});
    EXPECT_EQ(a->get(index_of(*a, "I_syn_in"), 0), -150.0);
    EXPECT_EQ(a->get(index_of(*a, "I_syn_ex"), 0), 0.0);
    EXPECT_EQ(a->get(0, 0), -70.0);  // acts on V from the next step on
    step(*a);
    EXPECT_LT(a->get(0, 0), -70.0);
    EXPECT_EQ(a->get(index_of(*a, "I_syn_in"), 0), -150.0 * std::exp(-0.1 / 3.0));
}

TEST(Mat2, MembraneIsNotResetAndTheThresholdJumpsByAlpha) {
    auto g = one("mat2_psc_exp", {{"I_e", 2000.0}});
    int n = 0;
    double v_before = 0.0;
    for (; n < 1000; ++n) {
        v_before = g->get(0, 0);
        if (step(*g)) break;
    }
    ASSERT_LT(n, 1000);
    EXPECT_GE(g->get(0, 0), -51.0);
    EXPECT_GT(g->get(0, 0), v_before);                  // still rising: no reset
    EXPECT_EQ(g->get(1, 0), -70.0 + 19.0 + 37.0 + 2.0);  // both components were 0 before the first spike
}

TEST(Mat2, RefractoryForTRefStepsThenAllowedAgain) {
    // With no threshold jumps and V held above omega, the cell fires whenever
    // it is not refractory: t_ref = 2 ms blocks the 20 steps after a spike.
    for (const char* model : kModels) {
        auto g = one(model, {{"alpha_1", 0.0}, {"alpha_2", 0.0}, {"V_m", -20.0}, {"omega", -60.0}, {"I_e", 5000.0}});
        std::vector<int> fired_at;
        for (int n = 0; n < 70; ++n)
            if (step(*g)) fired_at.push_back(n);
        EXPECT_EQ(fired_at, (std::vector<int>{0, 21, 42, 63})) << model;
    }
}

TEST(Mat2, StepCurrentActsFromTheNextStep) {
    for (const char* model : kModels) {
        auto g = one(model, nlohmann::json::object());
        step(*g, {}, 100.0);
        EXPECT_EQ(g->get(0, 0), -70.0) << model;
        step(*g);
        EXPECT_GT(g->get(0, 0), -70.0) << model;
    }
}

// amat2's voltage-dependent threshold (the reference trace has beta = 0):
// the propagators must solve
//   dI_ex/dt = -I_ex/tau_syn_ex, dI_in/dt = -I_in/tau_syn_in,
//   dV/dt = -V/tau_m + (I_e + I_ex + I_in)/C_m          (V relative to E_L),
//   dD/dt = -D/tau_v + beta dV/dt,  dV_th_v/dt = -V_th_v/tau_v + D,
// checked against classical RK4 with 1000 substeps per step.
TEST(Amat2, VoltageDependentThresholdSolvesItsOdes) {
    const double C = 200.0, tau_m = 10.0, tau_ex = 1.0, tau_in = 3.0, tau_v = 5.0, beta = 0.7, I_e = 150.0;
    auto g = one("amat2_psc_exp", {{"beta", beta}, {"tau_v", tau_v}, {"I_e", I_e}, {"omega", 1000.0}, {"V_m", -66.0}});
    using S = std::array<double, 5>;  // I_ex, I_in, V, D, V_th_v
    auto rhs = [&](const S& s) {
        const double dv = -s[2] / tau_m + (I_e + s[0] + s[1]) / C;
        return S{-s[0] / tau_ex, -s[1] / tau_in, dv, -s[3] / tau_v + beta * dv, -s[4] / tau_v + s[3]};
    };
    S s{0.0, 0.0, 4.0, 0.0, 0.0};
    const double h = 0.1 / 1000;
    auto close = [](double a, double b) { return std::abs(a - b) <= 1e-9 * std::max(1.0, std::abs(b)); };
    for (int n = 0; n < 300; ++n) {
        for (int k = 0; k < 1000; ++k) {
            auto add = [](const S& a, const S& b, double f) {
                S r;
                for (std::size_t i = 0; i < r.size(); ++i) r[i] = a[i] + f * b[i];
                return r;
            };
            const S k1 = rhs(s), k2 = rhs(add(s, k1, h / 2)), k3 = rhs(add(s, k2, h / 2)), k4 = rhs(add(s, k3, h));
            for (std::size_t i = 0; i < s.size(); ++i) s[i] += h / 6 * (k1[i] + 2 * k2[i] + 2 * k3[i] + k4[i]);
        }
        // Spikes arriving in a step jump the currents at its end.
        const double w_ex = n == 0 || n == 120 ? 300.0 : 0.0, w_in = n == 50 ? -400.0 : 0.0;
        ASSERT_FALSE(step(*g, {w_ex, w_in}));
        s[0] += w_ex;
        s[1] += w_in;
        ASSERT_TRUE(close(g->get(0, 0), s[2] - 70.0)) << n << ": V_m " << g->get(0, 0) << " vs " << s[2] - 70.0;
        ASSERT_TRUE(close(g->get(2, 0), s[4])) << n << ": V_th_v " << g->get(2, 0) << " vs " << s[4];
        ASSERT_TRUE(close(g->get(3, 0), s[0])) << n;
        ASSERT_TRUE(close(g->get(4, 0), s[1])) << n;
        ASSERT_EQ(g->get(1, 0), -70.0 + 1070.0 + 0.0 + 0.0 + g->get(2, 0)) << n;
    }
    EXPECT_GT(std::abs(s[4]), 0.1);  // the component did move
}

}  // namespace
}  // namespace pointsim::models
