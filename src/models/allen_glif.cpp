// Allen GLIF neuron_config -> NEST glif_psc, following BMTK 1.0.8's
// converter_builtin term by term. Every expression keeps Python's evaluation
// order (left to right) so the doubles are the ones BMTK hands to NEST.
#include "models/allen_glif.hpp"

#include <cstddef>
#include <initializer_list>
#include <vector>

#include "common/error.hpp"

namespace pointsim::models {

namespace {

using Json = nlohmann::json;

class AllenReader {
public:
    AllenReader(const Json& root, const std::string& source) : root_(root), source_(source) {}

    [[noreturn]] void fail(const std::string& message) const {
        throw model_error(source_ + ": Allen GLIF parameters: " + message);
    }

    const Json& at(std::initializer_list<const char*> path) const {
        const Json* node = &root_;
        std::string walked;
        for (const char* key : path) {
            walked += (walked.empty() ? "" : ".") + std::string(key);
            if (!node->is_object() || !node->contains(key)) fail("missing key '" + walked + "'");
            node = &node->at(key);
        }
        return *node;
    }

    double number(std::initializer_list<const char*> path) const {
        const Json& v = at(path);
        if (!v.is_number()) fail("'" + name(path) + "' must be a number, got " + v.dump());
        return v.get<double>();
    }

    std::vector<double> numbers(std::initializer_list<const char*> path) const {
        const Json& v = at(path);
        if (!v.is_array()) fail("'" + name(path) + "' must be a list of numbers, got " + v.dump());
        std::vector<double> out;
        for (const auto& x : v) {
            if (!x.is_number()) fail("'" + name(path) + "' must be a list of numbers, got " + v.dump());
            out.push_back(x.get<double>());
        }
        return out;
    }

    std::string text(std::initializer_list<const char*> path) const {
        const Json& v = at(path);
        if (!v.is_string()) fail("'" + name(path) + "' must be a string, got " + v.dump());
        return v.get<std::string>();
    }

    static std::string name(std::initializer_list<const char*> path) {
        std::string out;
        for (const char* key : path) out += (out.empty() ? "" : ".") + std::string(key);
        return out;
    }

private:
    const Json& root_;
    const std::string& source_;
};

}  // namespace

Json convert_allen_glif(const Json& allen, const std::string& source) {
    const AllenReader r(allen, source);
    if (!allen.is_object()) r.fail("expected a JSON object, got " + allen.dump());

    // The variant, from the method names (BMTK: from the model_template).
    const std::string threshold = r.text({"threshold_dynamics_method", "name"});
    const std::string asc_method = r.text({"AScurrent_dynamics_method", "name"});
    const std::string reset = r.text({"voltage_reset_method", "name"});
    bool R = false, A = false, ASC = false;
    if (threshold == "inf") {
    } else if (threshold == "spike_component") {
        R = true;
    } else if (threshold == "three_components_exact" || threshold == "three_components_forward") {
        R = A = true;
    } else {
        r.fail("threshold_dynamics_method.name '" + threshold +
               "' is not one of inf, spike_component, three_components_exact, three_components_forward");
    }
    if (asc_method == "exp") ASC = true;
    else if (asc_method != "none")
        r.fail("AScurrent_dynamics_method.name '" + asc_method + "' is not one of none, exp");
    const char* expected_reset = R ? "v_before" : "zero";
    if (reset != expected_reset)
        r.fail("voltage_reset_method.name '" + reset + "' does not go with threshold_dynamics_method.name '" +
               threshold + "' (glif_psc resets V with " + expected_reset + " there)");
    if (A && !ASC)
        r.fail("threshold_dynamics_method.name '" + threshold +
               "' needs after-spike currents (AScurrent_dynamics_method.name exp): glif_psc has GLIF1..GLIF5 only");

    const double El_reference = r.number({"El_reference"});
    const double El = r.number({"El"});
    Json out = Json::object();
    out["V_m"] = El * 1.0e03 + El_reference * 1.0e03;
    out["V_th"] = r.number({"coeffs", "th_inf"}) * r.number({"th_inf"}) * 1.0e03 + El_reference * 1.0e03;
    out["g"] = r.number({"coeffs", "G"}) / r.number({"R_input"}) * 1.0e09;
    out["E_L"] = El * 1.0e03 + El_reference * 1.0e03;
    out["C_m"] = r.number({"coeffs", "C"}) * r.number({"C"}) * 1.0e12;
    out["t_ref"] = r.number({"spike_cut_length"}) * r.number({"dt"}) * 1.0e03;
    if (!R) out["V_reset"] = El_reference * 1.0e03;
    if (R) {
        out["th_spike_add"] = r.number({"threshold_dynamics_method", "params", "a_spike"}) * 1.0e03;
        out["th_spike_decay"] = r.number({"threshold_dynamics_method", "params", "b_spike"}) * 1.0e-03;
        out["voltage_reset_fraction"] = r.number({"voltage_reset_method", "params", "a"});
        out["voltage_reset_add"] = r.number({"voltage_reset_method", "params", "b"}) * 1.0e03;
    }
    if (A) {
        out["th_voltage_index"] =
            r.number({"threshold_dynamics_method", "params", "a_voltage"}) * r.number({"coeffs", "a"}) * 1.0e-03;
        out["th_voltage_decay"] =
            r.number({"threshold_dynamics_method", "params", "b_voltage"}) * r.number({"coeffs", "b"}) * 1.0e-03;
    }
    if (ASC) {
        const std::vector<double> init = r.numbers({"init_AScurrents"});
        const std::vector<double> tau = r.numbers({"asc_tau_array"});
        const std::vector<double> amp = r.numbers({"asc_amp_array"});
        const std::vector<double> amp_coeff = r.numbers({"coeffs", "asc_amp_array"});
        const std::size_t n = tau.size();
        if (init.size() != n || amp.size() != n || amp_coeff.size() != n)
            r.fail("init_AScurrents, asc_tau_array, asc_amp_array and coeffs.asc_amp_array must have the same length "
                   "(they have " + std::to_string(init.size()) + ", " + std::to_string(tau.size()) + ", " +
                   std::to_string(amp.size()) + ", " + std::to_string(amp_coeff.size()) + ")");
        Json asc_init = Json::array(), asc_decay = Json::array(), asc_amps = Json::array();
        for (std::size_t a = 0; a < n; ++a) {
            asc_init.push_back(init[a] * 1.0e12);
            asc_decay.push_back(1.0 / tau[a] * 1.0e-03);
            asc_amps.push_back(amp[a] * amp_coeff[a] * 1.0e12);
        }
        out["asc_init"] = asc_init;
        out["asc_decay"] = asc_decay;
        out["asc_amps"] = asc_amps;
        // BMTK sets asc_r = (1.0, 1.0) for GLIF4 and GLIF5 (NEST's default for GLIF3).
        if (R) out["asc_r"] = Json(std::vector<double>(n, 1.0));
    }
    out["tau_syn"] = Json::array({5.5, 8.5, 2.8, 5.8});
    out["spike_dependent_threshold"] = R;
    out["after_spike_currents"] = ASC;
    out["adapting_threshold"] = A;
    return out;
}

}  // namespace pointsim::models
