#pragma once
// Internal to models/: constructors of each model and shared checks.
#include <cstdint>
#include <cstring>
#include <memory>
#include <string>
#include <vector>

#include "common/error.hpp"
#include "models/neuron_group.hpp"

namespace pointsim::models {

// NEST's numerics::e, the alpha functions' normalisation (e / tau).
inline constexpr double kE = 2.718281828459045;

// Marks a vectorisable update loop to be compiled twice, for the baseline
// x86-64 (SSE2: two doubles an instruction) and for AVX2 (four); the loader
// picks the second on CPUs that have it. Lane by lane the operations are the
// same IEEE multiplies and adds (no FMA: -ffp-contract=off,
// src/models/CMakeLists.txt), so results do not change. (Other CPUs and
// compilers without target_clones get the one version. AVX-512 was no faster
// for iaf_psc_alpha at 100,000 neurons: the loop is then memory-bound.)
#if defined(__x86_64__) && defined(__has_attribute)
#if __has_attribute(target_clones)
#define POINTSIM_SIMD_CLONES __attribute__((target_clones("avx2", "default")))
#endif
#endif
#ifndef POINTSIM_SIMD_CLONES
#define POINTSIM_SIMD_CLONES
#endif

// A run of consecutive neurons [begin, end) that share parameter set `type`.
// BMTK numbers nodes type by type, so a group is usually a few long runs, and
// the vectorised update loops go run by run with the parameters hoisted.
struct TypeRun {
    std::size_t begin, end;
    std::uint32_t type;
};

inline std::vector<TypeRun> type_runs(const std::vector<std::uint32_t>& type_of_neuron) {
    std::vector<TypeRun> runs;
    for (std::size_t i = 0; i < type_of_neuron.size(); ++i) {
        if (runs.empty() || runs.back().type != type_of_neuron[i]) runs.push_back({i, i, type_of_neuron[i]});
        runs.back().end = i + 1;
    }
    return runs;
}

// Appends the neurons whose spiked[] flag (1.0 or +0.0, set by a branch-free
// update loop) is on, in index order; n_spiked: how many are on. Few are in
// a step, so the flags are tested 8 at a time by OR-ing their bits (+0.0 is
// all zero bits), and the scan stops at the last one.
inline void append_spiked(const std::vector<double>& spiked, double n_spiked, std::vector<std::uint32_t>& fired) {
    auto left = static_cast<std::size_t>(n_spiked);
    auto take = [&](std::size_t from, std::size_t to) {  // the fired neurons of [from, to)
        for (std::size_t k = from; k < to; ++k)
            if (spiked[k] != 0.0) {
                fired.push_back(static_cast<std::uint32_t>(k));
                --left;
            }
    };
    const std::size_t n = spiked.size();
    std::size_t i = 0;
    for (; left > 0 && i + 8 <= n; i += 8) {
        std::uint64_t bits = 0;
        for (std::size_t k = 0; k < 8; ++k) {
            std::uint64_t b;
            std::memcpy(&b, &spiked[i + k], sizeof b);
            bits |= b;
        }
        if (bits != 0) take(i, i + 8);
    }
    if (left > 0) take(i, n);
}

inline void check_receptor(const char* model, int receptor, int lo, int hi) {
    if (receptor < lo || receptor > hi)
        throw model_error(std::string(model) + " has no receptor_type " + std::to_string(receptor) +
                          " for spikes (valid: " + std::to_string(lo) +
                          (hi > lo ? ".." + std::to_string(hi) : std::string()) + ")");
}

std::unique_ptr<NeuronGroup> make_iaf_psc_alpha(const std::vector<ParameterSet>&, const std::vector<std::uint32_t>&, const TimeGrid&);
std::unique_ptr<NeuronGroup> make_iaf_psc_delta(const std::vector<ParameterSet>&, const std::vector<std::uint32_t>&, const TimeGrid&);
std::unique_ptr<NeuronGroup> make_iaf_psc_exp(const std::vector<ParameterSet>&, const std::vector<std::uint32_t>&, const TimeGrid&);
std::unique_ptr<NeuronGroup> make_glif_psc(const std::vector<ParameterSet>&, const std::vector<std::uint32_t>&, const TimeGrid&);
std::unique_ptr<NeuronGroup> make_iaf_cond_alpha(const std::vector<ParameterSet>&, const std::vector<std::uint32_t>&, const TimeGrid&);
std::unique_ptr<NeuronGroup> make_iaf_cond_exp(const std::vector<ParameterSet>&, const std::vector<std::uint32_t>&, const TimeGrid&);
std::unique_ptr<NeuronGroup> make_iaf_psc_alpha_multisynapse(const std::vector<ParameterSet>&, const std::vector<std::uint32_t>&, const TimeGrid&);
std::unique_ptr<NeuronGroup> make_iaf_psc_exp_multisynapse(const std::vector<ParameterSet>&, const std::vector<std::uint32_t>&, const TimeGrid&);
std::unique_ptr<NeuronGroup> make_glif_cond(const std::vector<ParameterSet>&, const std::vector<std::uint32_t>&, const TimeGrid&);
std::unique_ptr<NeuronGroup> make_izhikevich(const std::vector<ParameterSet>&, const std::vector<std::uint32_t>&, const TimeGrid&);
std::unique_ptr<NeuronGroup> make_mat2_psc_exp(const std::vector<ParameterSet>&, const std::vector<std::uint32_t>&, const TimeGrid&);
std::unique_ptr<NeuronGroup> make_amat2_psc_exp(const std::vector<ParameterSet>&, const std::vector<std::uint32_t>&, const TimeGrid&);
std::unique_ptr<NeuronGroup> make_hh_psc_alpha(const std::vector<ParameterSet>&, const std::vector<std::uint32_t>&, const TimeGrid&);
std::unique_ptr<NeuronGroup> make_aeif_cond_alpha(const std::vector<ParameterSet>&, const std::vector<std::uint32_t>&, const TimeGrid&);
std::unique_ptr<NeuronGroup> make_aeif_cond_exp(const std::vector<ParameterSet>&, const std::vector<std::uint32_t>&, const TimeGrid&);
std::unique_ptr<NeuronGroup> make_aeif_psc_alpha(const std::vector<ParameterSet>&, const std::vector<std::uint32_t>&, const TimeGrid&);
std::unique_ptr<NeuronGroup> make_aeif_psc_exp(const std::vector<ParameterSet>&, const std::vector<std::uint32_t>&, const TimeGrid&);

}  // namespace pointsim::models
