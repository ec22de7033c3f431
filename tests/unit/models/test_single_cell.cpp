// Single neurons against NEST 3.10's full-precision traces
// (tests/reference/single_cell, copied from ../shared/reference/single_cell):
// spike steps exactly, every recordable to 1e-9 relative, at every step.
#include <cmath>
#include <fstream>
#include <iterator>
#include <map>
#include <sstream>

#include <gtest/gtest.h>
#include <nlohmann/json.hpp>

#include "common/time.hpp"
#include "models/neuron_group.hpp"

namespace pointsim::models {
namespace {

struct Trace {
    std::vector<std::string> columns;        // time, then recordables
    std::vector<std::vector<double>> rows;
};

Trace read_trace(const std::string& path) {
    std::ifstream in(path);
    Trace t;
    std::string line;
    std::getline(in, line);
    std::istringstream header(line);
    for (std::string c; header >> c;) t.columns.push_back(c);
    while (std::getline(in, line)) {
        std::istringstream row(line);
        std::vector<double> v;
        for (double x; row >> x;) v.push_back(x);
        if (!v.empty()) t.rows.push_back(v);
    }
    return t;
}

bool close(double a, double b) {
    const double diff = std::abs(a - b);
    return diff <= 1e-9 * std::max(std::abs(a), std::abs(b)) || diff < 1e-12;
}

class SingleCell : public ::testing::TestWithParam<std::string> {};

TEST_P(SingleCell, MatchesNestTrace) {
    const std::string base = std::string(POINTSIM_REFERENCE_DIR) + "/single_cell/" + GetParam();
    std::ifstream jf(base + ".json");
    ASSERT_TRUE(jf) << base << ".json";
    // The files were written by Python's json, which spells infinities -Infinity.
    std::string text((std::istreambuf_iterator<char>(jf)), std::istreambuf_iterator<char>());
    for (const std::string bad : {"-Infinity", "Infinity", "NaN"})
        for (auto pos = text.find(bad); pos != std::string::npos; pos = text.find(bad)) text.replace(pos, bad.size(), "null");
    const auto ref = nlohmann::json::parse(text);
    const Trace trace = read_trace(base + ".csv");

    const TimeGrid grid = TimeGrid::make(ref["dt"].get<double>(), ref["tstop"].get<double>(), "test");
    ParameterSet params{ref["params_given"], GetParam()};
    auto group = create_group(ref["model"].get<std::string>(), {params}, {0}, grid);

    // Spike inputs go through spike generators (precise_times: stamp rounded up
    // to the grid) and a connection of `delay`; they are read in step stamp + d - 1.
    std::map<Step, std::vector<double>> arriving;  // step -> per channel
    for (const auto& input : ref["spike_inputs"]) {
        const double w = input["weight"].get<double>();
        const Step d = grid.delay_to_steps(input["delay"].get<double>());
        const int receptor = input.value("receptor_type", 0);
        const int channel = group->channel(w, receptor);
        for (const auto& t : input["times"]) {
            auto& slot = arriving[grid.spike_time_to_stamp(t.get<double>()) + d - 1];
            slot.resize(group->spike_channels(), 0.0);
            slot[channel] += w;
        }
    }
    // Step currents: the amplitude set at T is handled in step T/dt (one-step delay).
    std::map<Step, double> current_changes;
    if (ref["current_steps"].is_object()) {
        const auto& cs = ref["current_steps"];
        for (std::size_t k = 0; k < cs["times"].size(); ++k)
            current_changes[grid.ms_to_steps_ceil(cs["times"][k].get<double>())] = cs["amplitudes"][k].get<double>();
    }

    std::vector<std::size_t> column_of;  // trace column -> recordable index
    const auto& names = group->recordables();
    for (std::size_t c = 1; c < trace.columns.size(); ++c) {
        auto it = std::find(names.begin(), names.end(), trace.columns[c]);
        ASSERT_NE(it, names.end()) << "recordable " << trace.columns[c];
        column_of.push_back(static_cast<std::size_t>(it - names.begin()));
    }
    // NEST stops recording one min-delay before tstop (reference README): compare the rows it has.
    ASSERT_LE(trace.rows.size(), static_cast<std::size_t>(grid.n_steps));
    ASSERT_GE(trace.rows.size() + 100, static_cast<std::size_t>(grid.n_steps));

    std::vector<Step> expected_spikes;
    for (const auto& t : ref["spike_times"]) expected_spikes.push_back(std::llround(t.get<double>() / grid.dt_ms));

    std::vector<std::vector<double>> channels(group->spike_channels(), std::vector<double>(1, 0.0));
    std::vector<const double*> channel_ptrs(channels.size());
    double current = 0.0;
    std::vector<std::uint32_t> fired;
    std::vector<Step> spikes;
    int mismatches = 0;
    for (Step n = 0; n < grid.n_steps; ++n) {
        auto it = arriving.find(n);
        for (std::size_t c = 0; c < channels.size(); ++c) {
            channels[c][0] = it != arriving.end() ? it->second[c] : 0.0;
            channel_ptrs[c] = channels[c].data();
        }
        if (auto ci = current_changes.find(n); ci != current_changes.end()) current = ci->second;
        fired.clear();
        group->update(channel_ptrs.data(), &current, fired);
        if (!fired.empty()) spikes.push_back(n + 1);
        if (static_cast<std::size_t>(n) >= trace.rows.size()) continue;
        const auto& row = trace.rows[static_cast<std::size_t>(n)];
        ASSERT_NEAR(row[0], grid.step_to_ms(n + 1), 1e-9);
        for (std::size_t c = 0; c < column_of.size(); ++c) {
            const double ours = group->get(column_of[c], 0);
            if (!close(ours, row[c + 1]) && mismatches++ < 5)
                ADD_FAILURE() << GetParam() << " t=" << row[0] << " " << trace.columns[c + 1] << ": pointsim "
                              << ours << " NEST " << row[c + 1];
        }
    }
    EXPECT_EQ(mismatches, 0);
    EXPECT_EQ(spikes, expected_spikes);
}

INSTANTIATE_TEST_SUITE_P(Nest, SingleCell,
                         ::testing::Values("alpha_default_steps", "alpha_dt_001", "alpha_near_singular",
                                           "alpha_singular_tau", "alpha_tutorial_472363762", "alpha_vmin_tref_round",
                                           "delta_default", "delta_refractory_input", "exp_default", "exp_singular", "glif1_psc", "glif2_psc",
                                           "glif3_psc", "glif4_psc", "glif5_psc",
                                           "cond_alpha_default", "cond_exp_default", "izhikevich_chattering",
                                           "izhikevich_rs_consistent", "izhikevich_rs_published",
                                           "iaf_psc_alpha_multisynapse", "iaf_psc_exp_multisynapse",
                                           "mat2_psc_exp_default", "amat2_psc_exp_default",
                                           "hh_psc_alpha_default",
                                           "glif1_cond", "glif2_cond", "glif3_cond", "glif4_cond", "glif5_cond",
                                           "aeif_cond_alpha_default", "aeif_cond_alpha_bursting",
                                           "aeif_cond_alpha_delta_t0", "aeif_cond_alpha_dt001",
                                           "aeif_cond_exp_default", "aeif_psc_alpha_default",
                                           "aeif_psc_exp_default"));

}  // namespace
}  // namespace pointsim::models
