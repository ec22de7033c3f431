// The table of supported NEST models: adding a model is one entry here, one
// source file, and its single-cell reference test.
#include <algorithm>

#include "common/error.hpp"
#include "models/model_impl.hpp"

namespace pointsim::models {

namespace {

using Factory = std::unique_ptr<NeuronGroup> (*)(const std::vector<ParameterSet>&, const std::vector<std::uint32_t>&,
                                                 const TimeGrid&);
using Recordables = std::vector<std::pair<std::string, std::string>>;

struct ModelEntry {
    std::string name;
    Factory make;
    Recordables recordables;  // NEST's names and units
};

// V_m, I_syn (sum of the PSCs) and I_syn_<k> of port k, as NEST names them;
// NEST has one I_syn_<k> per port, pointsim lists ports 1..16.
Recordables multisynapse_recordables() {
    Recordables r{{"V_m", "mV"}, {"I_syn", "pA"}};
    for (int k = 1; k <= 16; ++k) r.emplace_back("I_syn_" + std::to_string(k), "pA");
    return r;
}

// glif_cond: NEST's fixed recordables, then g_<k> of port k (nS); NEST has
// one g_<k> per port, pointsim lists ports 1..16.
Recordables glif_cond_recordables() {
    Recordables r{{"V_m", "mV"}, {"I", "pA"}, {"ASCurrents_sum", "pA"},
                  {"threshold", "mV"}, {"threshold_spike", "mV"}, {"threshold_voltage", "mV"}};
    for (int k = 1; k <= 16; ++k) r.emplace_back("g_" + std::to_string(k), "nS");
    return r;
}

const std::vector<ModelEntry>& entries() {
    static const std::vector<ModelEntry> table{
        {"iaf_psc_alpha", make_iaf_psc_alpha, {{"V_m", "mV"}, {"I_syn_ex", "pA"}, {"I_syn_in", "pA"}}},
        {"iaf_psc_delta", make_iaf_psc_delta, {{"V_m", "mV"}}},
        {"iaf_psc_exp", make_iaf_psc_exp, {{"V_m", "mV"}, {"I_syn_ex", "pA"}, {"I_syn_in", "pA"}}},
        {"iaf_cond_alpha", make_iaf_cond_alpha, {{"V_m", "mV"}, {"g_ex", "nS"}, {"g_in", "nS"}, {"t_ref_remaining", "ms"}}},
        {"iaf_cond_exp", make_iaf_cond_exp, {{"V_m", "mV"}, {"g_ex", "nS"}, {"g_in", "nS"}}},
        {"glif_psc", make_glif_psc,
         {{"V_m", "mV"}, {"ASCurrents_sum", "pA"}, {"I", "pA"}, {"I_syn", "pA"}, {"threshold", "mV"},
          {"threshold_spike", "mV"}, {"threshold_voltage", "mV"}}},
        {"izhikevich", make_izhikevich, {{"V_m", "mV"}, {"U_m", "mV"}}},
        {"iaf_psc_alpha_multisynapse", make_iaf_psc_alpha_multisynapse, multisynapse_recordables()},
        {"iaf_psc_exp_multisynapse", make_iaf_psc_exp_multisynapse, multisynapse_recordables()},
        {"mat2_psc_exp", make_mat2_psc_exp, {{"V_m", "mV"}, {"V_th", "mV"}}},
        {"amat2_psc_exp", make_amat2_psc_exp,
         {{"V_m", "mV"}, {"V_th", "mV"}, {"V_th_v", "mV"}, {"I_syn_ex", "pA"}, {"I_syn_in", "pA"}}},
        {"hh_psc_alpha", make_hh_psc_alpha,
         {{"V_m", "mV"}, {"I_syn_ex", "pA"}, {"I_syn_in", "pA"}, {"Act_m", ""}, {"Inact_h", ""}, {"Act_n", ""}}},
        {"glif_cond", make_glif_cond, glif_cond_recordables()},
        {"aeif_cond_alpha", make_aeif_cond_alpha, {{"V_m", "mV"}, {"g_ex", "nS"}, {"g_in", "nS"}, {"w", "pA"}}},
        {"aeif_cond_exp", make_aeif_cond_exp, {{"V_m", "mV"}, {"g_ex", "nS"}, {"g_in", "nS"}, {"w", "pA"}}},
        {"aeif_psc_alpha", make_aeif_psc_alpha, {{"V_m", "mV"}, {"I_syn_ex", "pA"}, {"I_syn_in", "pA"}, {"w", "pA"}}},
        {"aeif_psc_exp", make_aeif_psc_exp, {{"V_m", "mV"}, {"I_syn_ex", "pA"}, {"I_syn_in", "pA"}, {"w", "pA"}}},
    };
    return table;
}

const ModelEntry* find(const std::string& model) {
    for (const auto& e : entries())
        if (e.name == model) return &e;
    return nullptr;
}

}  // namespace

const std::vector<std::string>& supported_models() {
    static const std::vector<std::string> names = [] {
        std::vector<std::string> out;
        for (const auto& e : entries()) out.push_back(e.name);
        return out;
    }();
    return names;
}

const std::vector<std::pair<std::string, std::string>>& model_recordables(const std::string& model) {
    static const Recordables none;
    const ModelEntry* e = find(model);
    return e ? e->recordables : none;
}

bool is_supported(const std::string& model) { return find(model) != nullptr; }

std::unique_ptr<NeuronGroup> create_group(const std::string& model, const std::vector<ParameterSet>& parameter_sets,
                                          const std::vector<std::uint32_t>& set_of_neuron, const TimeGrid& grid) {
    for (std::uint32_t s : set_of_neuron)
        if (s >= parameter_sets.size()) throw std::logic_error("create_group: parameter set index out of range");
    if (const ModelEntry* e = find(model)) {
        auto group = e->make(parameter_sets, set_of_neuron, grid);
        std::vector<double> per_set;
        for (const auto& set : parameter_sets) {
            double tau_minus = 20.0;
            if (auto it = set.params.find("tau_minus"); it != set.params.end()) {
                if (!it->is_number() || it->get<double>() <= 0)
                    throw model_error(set.source + ": parameter 'tau_minus' must be a number > 0, got " + it->dump());
                tau_minus = it->get<double>();
            }
            per_set.push_back(tau_minus);
        }
        std::vector<double> per_neuron;
        for (auto s : set_of_neuron) per_neuron.push_back(per_set[s]);
        group->set_tau_minus(std::move(per_neuron));
        return group;
    }
    std::string list;
    for (const auto& m : supported_models()) list += (list.empty() ? "" : ", ") + std::string("nest:") + m;
    throw model_error("unknown model 'nest:" + model + "' (supported: " + list + ")");
}

}  // namespace pointsim::models
