// Tests for models::convert_allen_glif: Allen Cell Types Database GLIF
// neuron_config files -> NEST glif_psc parameters as BMTK 1.0.8's
// glif_utils.py converter_builtin computes them (semantics.md 3.2). Expected
// values are the doubles Python computes with BMTK's expressions.
#include <algorithm>
#include <functional>
#include <memory>
#include <set>
#include <string>
#include <vector>

#include <gtest/gtest.h>
#include <nlohmann/json.hpp>

#include "common/error.hpp"
#include "common/time.hpp"
#include "models/allen_glif.hpp"
#include "models/neuron_group.hpp"

namespace pointsim::models {
namespace {

using Json = nlohmann::json;

#define EXPECT_CONTAINS(haystack, needle) \
    EXPECT_NE(std::string(haystack).find(needle), std::string::npos) << "message: " << (haystack)

// A GLIF5 (LIF-R-ASC-A) neuron_config as the Allen Cell Types Database
// serves it (specimen 637930677, the model BMTK's own glif_utils test uses).
Json glif5_config() {
    return Json::parse(R"({
      "El_reference": -0.07139990234375,
      "C": 8.587009771685807e-11,
      "asc_amp_array": [-7.383464366961142e-11, -4.496828542736005e-10],
      "init_threshold": 0.023089253057717987,
      "threshold_reset_method": {"params": {"a_spike": 0.0019193415026425237, "b_spike": 102.99935176846839},
                                 "name": "three_components"},
      "th_inf": 0.023089253057717987,
      "spike_cut_length": 134,
      "init_AScurrents": [0.0, 0.0],
      "init_voltage": 0.0,
      "threshold_dynamics_method": {"params": {"b_voltage": 34.344467877141945, "a_spike": 0.0019193415026425237,
                                               "b_spike": 102.99935176846839, "a_voltage": 9.244321037622335},
                                    "name": "three_components_exact"},
      "voltage_reset_method": {"params": {"a": 0.3987646006290668, "b": 0.004055590135223554}, "name": "v_before"},
      "extrapolation_method_name": "endpoints",
      "dt": 5e-05,
      "voltage_dynamics_method": {"params": {}, "name": "linear_forward_euler"},
      "El": 0.0,
      "asc_tau_array": [0.03333333333333334, 0.0033333333333333335],
      "R_input": 340045253.17350113,
      "AScurrent_dynamics_method": {"params": {}, "name": "exp"},
      "AScurrent_reset_method": {"params": {"r": [1.0, 1.0]}, "name": "sum"},
      "dt_multiplier": 10,
      "th_adapt": null,
      "coeffs": {"a": 1, "C": 1, "b": 1, "G": 1, "th_inf": 0.779961232412684, "asc_amp_array": [1.0, 1.0]},
      "type": "GLIF"
    })");
}

// The same file reduced to another variant: the method names say which.
Json variant(const std::string& threshold, const std::string& asc, const std::string& reset) {
    Json c = glif5_config();
    c["threshold_dynamics_method"]["name"] = threshold;
    c["AScurrent_dynamics_method"]["name"] = asc;
    c["voltage_reset_method"]["name"] = reset;
    return c;
}

std::set<std::string> keys(const Json& j) {
    std::set<std::string> out;
    for (auto it = j.begin(); it != j.end(); ++it) out.insert(it.key());
    return out;
}

const std::set<std::string> kCommon = {"V_m", "E_L", "V_th", "g", "C_m", "t_ref", "tau_syn",
                                       "spike_dependent_threshold", "after_spike_currents", "adapting_threshold"};

std::set<std::string> with(std::set<std::string> base, const std::set<std::string>& more) {
    base.insert(more.begin(), more.end());
    return base;
}

std::vector<double> doubles(const Json& j) { return j.get<std::vector<double>>(); }

std::string model_error_of(const std::function<void()>& f) {
    try {
        f();
    } catch (const Error& e) {
        EXPECT_EQ(e.kind(), ErrorKind::Model) << e.what();
        return e.what();
    } catch (const std::exception& e) {
        ADD_FAILURE() << "unexpected exception type: " << e.what();
        return {};
    }
    ADD_FAILURE() << "no exception thrown";
    return {};
}

TEST(AllenGlif, Glif5ValuesAreBmtksBitForBit) {
    const Json p = convert_allen_glif(glif5_config(), "637930677_lif_r_asc_a.json");
    EXPECT_EQ(keys(p), with(kCommon, {"th_spike_add", "th_spike_decay", "voltage_reset_fraction", "voltage_reset_add",
                                      "th_voltage_index", "th_voltage_decay", "asc_init", "asc_decay", "asc_amps",
                                      "asc_r"}));
    EXPECT_EQ(p["V_m"].get<double>(), -71.39990234375);
    EXPECT_EQ(p["E_L"].get<double>(), -71.39990234375);
    EXPECT_EQ(p["V_th"].get<double>(), -53.39118007336394);
    EXPECT_EQ(p["g"].get<double>(), 2.9407850592455422);
    EXPECT_EQ(p["C_m"].get<double>(), 85.87009771685807);
    EXPECT_EQ(p["t_ref"].get<double>(), 6.7);
    EXPECT_EQ(p["th_spike_add"].get<double>(), 1.9193415026425238);
    EXPECT_EQ(p["th_spike_decay"].get<double>(), 0.10299935176846839);
    EXPECT_EQ(p["th_voltage_index"].get<double>(), 0.009244321037622336);
    EXPECT_EQ(p["th_voltage_decay"].get<double>(), 0.034344467877141946);
    EXPECT_EQ(p["voltage_reset_fraction"].get<double>(), 0.3987646006290668);
    EXPECT_EQ(p["voltage_reset_add"].get<double>(), 4.055590135223554);
    EXPECT_EQ(doubles(p["asc_init"]), (std::vector<double>{0.0, 0.0}));
    EXPECT_EQ(doubles(p["asc_decay"]), (std::vector<double>{0.029999999999999992, 0.3}));
    EXPECT_EQ(doubles(p["asc_amps"]), (std::vector<double>{-73.83464366961142, -449.68285427360047}));
    EXPECT_EQ(doubles(p["asc_r"]), (std::vector<double>{1.0, 1.0}));
    EXPECT_EQ(doubles(p["tau_syn"]), (std::vector<double>{5.5, 8.5, 2.8, 5.8}));
    EXPECT_EQ(p["spike_dependent_threshold"], true);
    EXPECT_EQ(p["after_spike_currents"], true);
    EXPECT_EQ(p["adapting_threshold"], true);
}

TEST(AllenGlif, Glif3UnitsAndKeys) {
    // LIF-ASC with values chosen so that every unit factor shows.
    const Json allen = Json::parse(R"({
      "type": "GLIF", "El_reference": -0.07, "El": 0.001, "th_inf": 0.02, "C": 1e-10, "R_input": 3.3e8,
      "spike_cut_length": 30, "dt": 5e-05,
      "init_AScurrents": [1.5e-12, -2.5e-12], "asc_tau_array": [0.02, 0.005], "asc_amp_array": [-1e-10, -3e-10],
      "coeffs": {"th_inf": 0.9, "C": 1.1, "G": 1, "a": 1, "b": 1, "asc_amp_array": [0.8, 1.2]},
      "threshold_dynamics_method": {"name": "inf", "params": {}},
      "AScurrent_dynamics_method": {"name": "exp", "params": {}},
      "voltage_reset_method": {"name": "zero", "params": {}}
    })");
    const Json p = convert_allen_glif(allen, "lif_asc.json");
    EXPECT_EQ(keys(p), with(kCommon, {"V_reset", "asc_init", "asc_decay", "asc_amps"}));  // no asc_r (BMTK)
    EXPECT_EQ(p["V_m"].get<double>(), -69.0);       // (El + El_reference) V -> mV
    EXPECT_EQ(p["E_L"].get<double>(), -69.0);
    EXPECT_EQ(p["V_reset"].get<double>(), -70.0);   // El_reference
    EXPECT_EQ(p["V_th"].get<double>(), -52.0);      // coeffs.th_inf * th_inf + El_reference
    EXPECT_EQ(p["g"].get<double>(), 3.0303030303030303);   // coeffs.G / R_input, S -> nS
    EXPECT_EQ(p["C_m"].get<double>(), 110.00000000000001); // coeffs.C * C, F -> pF
    EXPECT_EQ(p["t_ref"].get<double>(), 1.5);              // spike_cut_length * dt, s -> ms
    EXPECT_EQ(doubles(p["asc_init"]), (std::vector<double>{1.5, -2.5}));  // A -> pA
    EXPECT_EQ(doubles(p["asc_decay"]), (std::vector<double>{0.05, 0.2}));  // 1/tau, 1/s -> 1/ms
    EXPECT_EQ(doubles(p["asc_amps"]), (std::vector<double>{-80.00000000000001, -360.0}));
    EXPECT_EQ(p["spike_dependent_threshold"], false);
    EXPECT_EQ(p["after_spike_currents"], true);
    EXPECT_EQ(p["adapting_threshold"], false);
}

TEST(AllenGlif, VariantsFromMethodNames) {
    struct Case {
        const char* threshold;
        const char* asc;
        const char* reset;
        bool R, ASC, A;
        std::set<std::string> extra;
    };
    const std::set<std::string> r_keys = {"th_spike_add", "th_spike_decay", "voltage_reset_fraction",
                                          "voltage_reset_add"};
    const std::set<std::string> asc_keys = {"asc_init", "asc_decay", "asc_amps"};
    const std::vector<Case> cases = {
        {"inf", "none", "zero", false, false, false, {"V_reset"}},                                         // GLIF1
        {"spike_component", "none", "v_before", true, false, false, r_keys},                               // GLIF2
        {"inf", "exp", "zero", false, true, false, with(asc_keys, {"V_reset"})},                          // GLIF3
        {"spike_component", "exp", "v_before", true, true, false, with(with(r_keys, asc_keys), {"asc_r"})}, // GLIF4
        {"three_components_exact", "exp", "v_before", true, true, true,
         with(with(r_keys, asc_keys), {"asc_r", "th_voltage_index", "th_voltage_decay"})},                 // GLIF5
        {"three_components_forward", "exp", "v_before", true, true, true,
         with(with(r_keys, asc_keys), {"asc_r", "th_voltage_index", "th_voltage_decay"})},
    };
    for (const auto& c : cases) {
        SCOPED_TRACE(std::string(c.threshold) + " " + c.asc + " " + c.reset);
        const Json p = convert_allen_glif(variant(c.threshold, c.asc, c.reset), "x.json");
        EXPECT_EQ(keys(p), with(kCommon, c.extra));
        EXPECT_EQ(p["spike_dependent_threshold"], c.R);
        EXPECT_EQ(p["after_spike_currents"], c.ASC);
        EXPECT_EQ(p["adapting_threshold"], c.A);
        // The common values do not depend on the variant.
        EXPECT_EQ(p["V_th"].get<double>(), -53.39118007336394);
        // glif_psc accepts every one of them.
        const TimeGrid grid = TimeGrid::make(0.1, 10.0, "test");
        const auto group = create_group("glif_psc", {ParameterSet{p, "x.json (converted)"}}, {0, 0}, grid);
        ASSERT_TRUE(group);
        EXPECT_EQ(group->size(), 2u);
        EXPECT_EQ(group->spike_channels(), 4);  // one per tau_syn
        EXPECT_DOUBLE_EQ(group->get(0, 0), -71.39990234375);  // V_m starts at the converted V_m
    }
}

// BMTK's glif_utils test (test_glif_utils.py): six weight-100 spikes into
// receptor 1 (delay 1 ms, dt 0.001 ms) make this GLIF5 cell fire once, at
// 13.704 ms in BMTK's expectation (tolerance 1 ms there).
TEST(AllenGlif, ConvertedGlif5FiresLikeBmtksTest) {
    const Json p = convert_allen_glif(glif5_config(), "637930677_lif_r_asc_a.json");
    const TimeGrid grid = TimeGrid::make(0.001, 50.0, "test");
    auto group = create_group("glif_psc", {ParameterSet{p, "637930677"}}, {0}, grid);
    const int channel = group->channel(100.0, 1);
    std::set<Step> arrivals;
    for (double t : {5.0, 7.0, 8.0, 9.0, 10.0, 12.0}) arrivals.insert(grid.spike_time_to_stamp(t) + grid.delay_to_steps(1.0) - 1);

    std::vector<std::vector<double>> channels(group->spike_channels(), std::vector<double>(1, 0.0));
    std::vector<const double*> ptrs;
    for (auto& c : channels) ptrs.push_back(c.data());
    const double current = 0.0;
    std::vector<std::uint32_t> fired;
    std::vector<double> spikes;
    for (Step n = 0; n < grid.n_steps; ++n) {
        channels[static_cast<std::size_t>(channel)][0] = arrivals.count(n) ? 100.0 : 0.0;
        fired.clear();
        group->update(ptrs.data(), &current, fired);
        if (!fired.empty()) spikes.push_back(grid.step_to_ms(n + 1));
    }
    ASSERT_EQ(spikes.size(), 1u);
    // On the 0.001 ms grid pointsim gives 13.707 ms; BMTK allows 1 ms, we allow 0.05.
    EXPECT_NEAR(spikes[0], 13.70442843, 0.05);
}

TEST(AllenGlif, ErrorsNameTheSourceAndKey) {
    Json c = glif5_config();
    c["coeffs"].erase("th_inf");
    std::string msg = model_error_of([&] { convert_allen_glif(c, "/cells/637930677.json"); });
    EXPECT_CONTAINS(msg, "/cells/637930677.json");
    EXPECT_CONTAINS(msg, "missing key 'coeffs.th_inf'");

    for (const char* key : {"El_reference", "El", "th_inf", "C", "R_input", "spike_cut_length", "dt", "coeffs",
                            "init_AScurrents", "asc_tau_array", "asc_amp_array", "threshold_dynamics_method"}) {
        c = glif5_config();
        c.erase(key);
        EXPECT_CONTAINS(model_error_of([&] { convert_allen_glif(c, "f.json"); }), "missing key '" + std::string(key));
    }
    c = glif5_config();
    c["threshold_dynamics_method"]["params"].erase("a_voltage");
    EXPECT_CONTAINS(model_error_of([&] { convert_allen_glif(c, "f.json"); }),
                    "missing key 'threshold_dynamics_method.params.a_voltage'");
    c = glif5_config();
    c["voltage_reset_method"]["params"].erase("b");
    EXPECT_CONTAINS(model_error_of([&] { convert_allen_glif(c, "f.json"); }),
                    "missing key 'voltage_reset_method.params.b'");
    // GLIF1 needs none of the R / A / ASC keys.
    c = variant("inf", "none", "zero");
    c.erase("asc_tau_array");
    c["threshold_dynamics_method"].erase("params");
    c["voltage_reset_method"].erase("params");
    EXPECT_NO_THROW(convert_allen_glif(c, "f.json"));

    // Wrong types.
    c = glif5_config();
    c["R_input"] = "big";
    EXPECT_CONTAINS(model_error_of([&] { convert_allen_glif(c, "f.json"); }), "'R_input' must be a number");
    c = glif5_config();
    c["asc_tau_array"] = Json::array({0.1, "x"});
    EXPECT_CONTAINS(model_error_of([&] { convert_allen_glif(c, "f.json"); }), "'asc_tau_array' must be a list");
    EXPECT_CONTAINS(model_error_of([&] { convert_allen_glif(Json::array(), "f.json"); }), "f.json");
}

TEST(AllenGlif, UnknownOrInconsistentModelsAreErrors) {
    std::string msg = model_error_of([&] { convert_allen_glif(variant("fixed", "none", "zero"), "f.json"); });
    EXPECT_CONTAINS(msg, "f.json");
    EXPECT_CONTAINS(msg, "threshold_dynamics_method.name 'fixed'");
    EXPECT_CONTAINS(model_error_of([&] { convert_allen_glif(variant("inf", "linear", "zero"), "f.json"); }),
                    "AScurrent_dynamics_method.name 'linear'");
    // The voltage reset must go with the threshold (glif_psc ties them).
    EXPECT_CONTAINS(model_error_of([&] { convert_allen_glif(variant("inf", "none", "v_before"), "f.json"); }),
                    "voltage_reset_method.name 'v_before'");
    EXPECT_CONTAINS(model_error_of([&] { convert_allen_glif(variant("spike_component", "exp", "zero"), "f.json"); }),
                    "voltage_reset_method.name 'zero'");
    // An adapting threshold without after-spike currents is no GLIF1..5.
    EXPECT_CONTAINS(model_error_of([&] {
                        convert_allen_glif(variant("three_components_exact", "none", "v_before"), "f.json");
                    }),
                    "needs after-spike currents");
    Json c = glif5_config();
    c["asc_amp_array"] = Json::array({-1e-10});
    EXPECT_CONTAINS(model_error_of([&] { convert_allen_glif(c, "f.json"); }), "same length");
}

// glif_psc updates a group in vectorised phases over runs of neurons that
// share a parameter set: neurons in one big group (runs of two sets with
// different receptor ports, different inputs per neuron) must evolve
// exactly as neurons in groups of their own, spikes and resets included.
TEST(AllenGlif, NeuronsInABigGroupMatchSeparateGroupsBitForBit) {
    const TimeGrid grid = TimeGrid::make(0.1, 300.0, "test");
    Json glif3 = convert_allen_glif(variant("inf", "exp", "zero"), "lif_asc.json");
    glif3["tau_syn"] = Json::array({2.0, 4.0});  // two ports where the GLIF5 has four
    const std::vector<ParameterSet> sets{ParameterSet{convert_allen_glif(glif5_config(), "glif5.json"), "glif5"},
                                         ParameterSet{glif3, "glif3"}};
    // Runs: [0, 1300) GLIF5, [1300, 2100) GLIF3, [2100, 2500) GLIF5.
    const std::size_t n = 2500;
    std::vector<std::uint32_t> set_of_neuron(n, 0);
    std::fill(set_of_neuron.begin() + 1300, set_of_neuron.begin() + 2100, 1u);
    auto big = create_group("glif_psc", sets, set_of_neuron, grid);
    ASSERT_EQ(big->spike_channels(), 4);
    // The runs' edges, powers of two (where a loop's vector part ends), and a few inside.
    const std::vector<std::size_t> checked{0, 1, 255, 256, 257, 700, 1023, 1024, 1025, 1299, 1300, 1301, 2099, 2100, 2304, 2499};
    std::vector<std::unique_ptr<NeuronGroup>> alone;
    for (std::size_t i : checked) alone.push_back(create_group("glif_psc", {sets[set_of_neuron[i]]}, {0}, grid));

    // Inputs: a spike now and then into a port of the neuron's own (weights
    // and times differ by neuron) and a current that makes most of them fire.
    auto n_ports = [&](std::size_t i) { return set_of_neuron[i] == 0 ? 4u : 2u; };
    auto spike = [&](std::size_t i, std::size_t port, Step k) {
        return port == (i + static_cast<std::size_t>(k) / 97) % n_ports(i) && (static_cast<std::size_t>(k) + i) % 13 == 0
                   ? 20.0 + static_cast<double>(i % 7) * 15.0
                   : 0.0;
    };
    auto current = [](std::size_t i, Step k) { return k > 200 ? 80.0 + static_cast<double>(i % 50) * 4.0 : 0.0; };
    std::vector<std::vector<double>> channels(4, std::vector<double>(n, 0.0));
    std::vector<const double*> ptrs;
    for (auto& c : channels) ptrs.push_back(c.data());
    std::vector<double> currents(n, 0.0);
    std::vector<std::uint32_t> fired;
    std::size_t spikes_checked = 0;
    for (Step k = 0; k < grid.n_steps; ++k) {
        for (std::size_t i = 0; i < n; ++i) {
            for (std::size_t port = 0; port < 4; ++port) channels[port][i] = spike(i, port, k);
            currents[i] = current(i, k);
        }
        fired.clear();
        big->update(ptrs.data(), currents.data(), fired);
        ASSERT_TRUE(std::is_sorted(fired.begin(), fired.end()));
        for (std::size_t c = 0; c < checked.size(); ++c) {
            const std::size_t i = checked[c];
            double in[4];
            const double* in_ptrs[4];
            for (std::size_t port = 0; port < 4; ++port) {
                in[port] = spike(i, port, k);
                in_ptrs[port] = &in[port];
            }
            const double cur = current(i, k);
            std::vector<std::uint32_t> fired_alone;
            alone[c]->update(in_ptrs, &cur, fired_alone);
            const bool fired_in_big = std::binary_search(fired.begin(), fired.end(), static_cast<std::uint32_t>(i));
            ASSERT_EQ(fired_in_big, !fired_alone.empty()) << "neuron " << i << ", step " << k;
            spikes_checked += fired_alone.size();
            for (std::size_t r = 0; r < big->recordables().size(); ++r)
                ASSERT_EQ(big->get(r, i), alone[c]->get(r, 0)) << "neuron " << i << ", step " << k << ", " << big->recordables()[r];
        }
    }
    EXPECT_GT(spikes_checked, 10 * checked.size());  // the resets and after-spike currents were exercised
}

}  // namespace
}  // namespace pointsim::models
