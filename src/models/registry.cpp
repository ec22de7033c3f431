#include <algorithm>

#include "common/error.hpp"
#include "models/model_impl.hpp"

namespace pointsim::models {

const std::vector<std::string>& supported_models() {
    static const std::vector<std::string> names{"iaf_psc_alpha", "iaf_psc_delta", "iaf_psc_exp"};
    return names;
}

const std::vector<std::pair<std::string, std::string>>& model_recordables(const std::string& model) {
    static const std::vector<std::pair<std::string, std::string>> psc{{"V_m", "mV"}, {"I_syn_ex", "pA"}, {"I_syn_in", "pA"}};
    static const std::vector<std::pair<std::string, std::string>> delta{{"V_m", "mV"}};
    static const std::vector<std::pair<std::string, std::string>> none;
    if (model == "iaf_psc_alpha" || model == "iaf_psc_exp") return psc;
    if (model == "iaf_psc_delta") return delta;
    return none;
}

bool is_supported(const std::string& model) {
    const auto& names = supported_models();
    return std::find(names.begin(), names.end(), model) != names.end();
}

std::unique_ptr<NeuronGroup> create_group(const std::string& model, const std::vector<ParameterSet>& parameter_sets,
                                          const std::vector<std::uint32_t>& set_of_neuron, const TimeGrid& grid) {
    for (std::uint32_t s : set_of_neuron)
        if (s >= parameter_sets.size()) throw std::logic_error("create_group: parameter set index out of range");
    if (model == "iaf_psc_alpha") return make_iaf_psc_alpha(parameter_sets, set_of_neuron, grid);
    if (model == "iaf_psc_delta") return make_iaf_psc_delta(parameter_sets, set_of_neuron, grid);
    if (model == "iaf_psc_exp") return make_iaf_psc_exp(parameter_sets, set_of_neuron, grid);
    std::string list;
    for (const auto& m : supported_models()) list += (list.empty() ? "" : ", ") + std::string("nest:") + m;
    throw model_error("unknown model 'nest:" + model + "' (supported: " + list + ")");
}

}  // namespace pointsim::models
