#include "network/plastic.hpp"

#include <cmath>

#include "common/error.hpp"
#include "common/text.hpp"

namespace pointsim::network {

namespace {

// Applies `given` in NEST's set_status order: read(key, field) takes a value
// when given, check(ok, key, rule) raises NEST's BadProperty message.
class Setter {
public:
    Setter(const std::map<std::string, double>& given, const char* model, const std::string& source)
        : given_(given), model_(model), source_(source) {}
    void read(const char* key, double& field) const {
        auto it = given_.find(key);
        if (it == given_.end()) return;
        if (std::isnan(it->second)) throw model_error(source_ + ": parameter '" + key + "' is NaN");
        field = it->second;
    }
    // `keys`: the values the rule is about, shown when they were given.
    void check(bool ok, std::initializer_list<const char*> keys, const char* rule) const {
        if (ok) return;
        std::string shown;
        for (const char* key : keys) {
            auto it = given_.find(key);
            if (it == given_.end()) continue;
            shown += (shown.empty() ? "" : ", ") + std::string(key) + " = " + number_text(it->second);
        }
        throw model_error(source_ + ": " + model_ + ": " + rule + (shown.empty() ? "" : " (given: " + shown + ")"));
    }

private:
    const std::map<std::string, double>& given_;
    const char* model_;
    const std::string& source_;
};

}  // namespace

const char* synapse_model_name(SynapseKind kind) {
    switch (kind) {
        case SynapseKind::stdp: return "stdp_synapse";
        case SynapseKind::tsodyks2: return "tsodyks2_synapse";
        case SynapseKind::tsodyks: return "tsodyks_synapse";
    }
    return "?";
}

const std::vector<std::string>& synapse_parameter_names(SynapseKind kind) {
    static const std::vector<std::string> stdp{"tau_plus", "lambda", "alpha", "mu_plus", "mu_minus", "Wmax", "Kplus"};
    static const std::vector<std::string> tsodyks2{"U", "u", "tau_rec", "tau_fac", "x"};
    static const std::vector<std::string> tsodyks{"x", "y", "U", "tau_psc", "tau_rec", "tau_fac", "u"};
    switch (kind) {
        case SynapseKind::stdp: return stdp;
        case SynapseKind::tsodyks2: return tsodyks2;
        case SynapseKind::tsodyks: return tsodyks;
    }
    return stdp;
}

PlasticSetup make_setup(SynapseKind kind, const std::map<std::string, double>& given, const std::string& source) {
    const Setter set(given, synapse_model_name(kind), source);
    switch (kind) {
        case SynapseKind::stdp: {
            StdpSetup s;
            set.read("tau_plus", s.params.tau_plus);
            set.read("lambda", s.params.lambda);
            set.read("alpha", s.params.alpha);
            set.read("mu_plus", s.params.mu_plus);
            set.read("mu_minus", s.params.mu_minus);
            set.read("Wmax", s.params.Wmax);
            set.read("Kplus", s.Kplus);
            set.check(s.params.tau_plus > 0, {"tau_plus"}, "tau_plus must be > 0");
            return s;
        }
        case SynapseKind::tsodyks2: {
            // tsodyks2_synapse::set_status
            Tsodyks2Setup s;
            set.read("U", s.params.U);
            set.check(!(s.params.U > 1.0 || s.params.U < 0.0), {"U"}, "U must be in [0,1].");
            set.read("u", s.state.u);
            set.check(!(s.state.u > 1.0 || s.state.u < 0.0), {"u"}, "u must be in [0,1].");
            set.read("tau_rec", s.params.tau_rec);
            set.check(!(s.params.tau_rec <= 0.0), {"tau_rec"}, "tau_rec must be > 0.");
            set.read("tau_fac", s.params.tau_fac);
            set.check(!(s.params.tau_fac < 0.0), {"tau_fac"}, "tau_fac must be >= 0.");
            set.read("x", s.state.x);
            return s;
        }
        case SynapseKind::tsodyks: {
            // tsodyks_synapse::set_status: x and y first, then the parameters.
            TsodyksSetup s;
            set.read("x", s.state.x);
            set.read("y", s.state.y);
            set.check(!(s.state.x + s.state.y > 1.0), {"x", "y"}, "x + y must be <= 1.0.");
            set.read("U", s.params.U);
            set.check(!(s.params.U > 1.0 || s.params.U < 0.0), {"U"}, "U must be in [0,1].");
            set.read("tau_psc", s.params.tau_psc);
            set.check(!(s.params.tau_psc <= 0.0), {"tau_psc"}, "tau_psc must be > 0.");
            set.read("tau_rec", s.params.tau_rec);
            set.check(!(s.params.tau_rec <= 0.0), {"tau_rec"}, "tau_rec must be > 0.");
            set.read("tau_fac", s.params.tau_fac);
            set.check(!(s.params.tau_fac < 0.0), {"tau_fac"}, "tau_fac must be >= 0.");
            set.read("u", s.state.u);
            return s;
        }
    }
    throw model_error(source + ": unknown synapse kind");
}

std::size_t PlasticSynapses::count(SynapseKind k) const {
    std::size_t n = 0;
    for (auto c : kind) n += c == k;
    return n;
}

std::vector<std::pair<std::string, double>> PlasticSynapses::state_of(std::size_t k) const {
    switch (kind[k]) {
        case SynapseKind::stdp: return {{"weight", weight[k]}, {"Kplus", stdp[slot[k]].Kplus}};
        case SynapseKind::tsodyks2: {
            const auto& s = tsodyks2[slot[k]];
            return {{"weight", weight[k]}, {"x", s.x}, {"u", s.u}};
        }
        case SynapseKind::tsodyks: {
            const auto& s = tsodyks[slot[k]];
            return {{"weight", weight[k]}, {"x", s.x}, {"y", s.y}, {"u", s.u}};
        }
    }
    return {};
}

}  // namespace pointsim::network
