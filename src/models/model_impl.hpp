#pragma once
// Internal to models/: constructors of each model and shared checks.
#include <memory>
#include <string>
#include <vector>

#include "common/error.hpp"
#include "models/neuron_group.hpp"

namespace pointsim::models {

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

}  // namespace pointsim::models
