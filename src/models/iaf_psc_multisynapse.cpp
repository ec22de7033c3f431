// nest::iaf_psc_alpha_multisynapse and nest::iaf_psc_exp_multisynapse
// (NEST 3.x models/iaf_psc_{alpha,exp}_multisynapse.cpp), bit for bit: the
// LIF of iaf_psc_alpha / iaf_psc_exp with one PSC per receptor port 1..n,
// port k having time constant tau_syn[k-1]. A spike of weight w on port k
// adds w (signed) to that port's PSC: alpha PSCs peak at w pA after tau_syn,
// exponential ones jump by w pA.
#include <algorithm>
#include <cmath>
#include <string>

#include "models/iaf_common.hpp"
#include "models/iaf_propagator.hpp"
#include "models/model_impl.hpp"

namespace pointsim::models {

namespace {

// What both models share: NEST's Parameters_::set and State_::set.
struct MultiParams {
    IafPotentials pot;
    double C = 250.0, tau_m = 10.0, t_ref = 2.0, I_e = 0.0;
    std::vector<double> tau_syn{2.0};
};

// The two models word the C_m check differently.
MultiParams read_multisynapse(const ParameterSet& set, const char* model, bool has_v_min,
                              const char* capacitance_message) {
    ParamReader r(set);
    MultiParams p;
    p.pot.apply(r, has_v_min);
    r.number("I_e", p.I_e);
    r.number("C_m", p.C);
    r.number("tau_m", p.tau_m);
    r.number("t_ref", p.t_ref);
    const bool has_tau_syn = r.numbers("tau_syn", p.tau_syn);
    r.finish(model);
    // NEST's checks, in NEST's order.
    if (p.C <= 0) r.fail(model, capacitance_message);
    if (p.tau_m <= 0) r.fail(model, "Membrane time constant must be strictly positive (tau_m > 0).");
    if (has_tau_syn)
        for (double t : p.tau_syn)
            if (t <= 0) r.fail(model, "All synaptic time constants must be strictly positive (tau_syn > 0).");
    if (p.t_ref < 0) r.fail(model, "Refractory time must not be negative (t_ref >= 0).");
    if (p.pot.V_reset >= p.pot.Theta) r.fail(model, "Reset potential must be smaller than threshold (V_reset < V_th).");
    return p;
}

// Receptor ports 1..n of each neuron's parameter set, as glif_psc has them.
class MultisynapseGroup : public NeuronGroup {
public:
    std::size_t size() const override { return type_.size(); }
    int spike_channels() const override { return static_cast<int>(std::max<std::size_t>(max_ports_, 1)); }
    int channel(double, int receptor) const override {
        // NEST: rport 1..n_receptors, 0 is rejected (handles_test_event).
        check_receptor(model(), receptor, 1, static_cast<int>(max_ports_));
        return receptor - 1;
    }
    int channel_for(double, int receptor, std::size_t neuron) const override {
        check_receptor(model(), receptor, 1, static_cast<int>(ports_[type_[neuron]]));
        return receptor - 1;
    }
    // The registry's table (src/models/registry.cpp): V_m, I_syn, then
    // I_syn_1, I_syn_2, ... for a fixed number of ports (NEST names one per port).
    const std::vector<std::string>& recordables() const override { return names_; }
    std::string units(std::size_t which) const override { return units_[which]; }

protected:
    // The state every neuron has (the subclass has filled ports_ and adds its PSCs).
    void init_common(const char* model, const std::vector<std::uint32_t>& set_of_neuron,
                     const std::vector<double>& v_init) {
        for (const auto& [name, unit] : model_recordables(model)) {
            names_.push_back(name);
            units_.push_back(unit);
        }
        type_.assign(set_of_neuron.begin(), set_of_neuron.end());
        const std::size_t n = type_.size();
        V_.resize(n);
        I_const_.assign(n, 0.0);
        current_.assign(n, 0.0);
        r_.assign(n, 0);
        for (std::size_t i = 0; i < n; ++i) V_[i] = v_init[type_[i]];
        for (std::size_t p : ports_) max_ports_ = std::max(max_ports_, p);
    }
    // How both models end a neuron's step: I_syn, the threshold test, the
    // refractory count and reset, the state and the next step's current.
    void end_step(std::size_t i, double V, double current, double theta, double v_reset, Step refractory_counts,
                  const double* current_in, std::vector<std::uint32_t>& fired) {
        current_[i] = current;
        if (V >= theta) {
            r_[i] = refractory_counts;
            V = v_reset;
            fired.push_back(static_cast<std::uint32_t>(i));
        }
        V_[i] = V;
        I_const_[i] = current_in[i];
    }
    // The state arrays every neuron has; each model's state_fields adds its PSCs.
    void common_state_fields(StateFields& fields) {
        fields.add("V", V_);
        fields.add("I_const", I_const_);
        fields.add("current", current_);
        fields.add("r", r_);
    }
    // Recordable `which` (V_m, I_syn, I_syn_1, ...) of neuron i, whose ports'
    // currents are psc[port - 1][i]. I_syn_k of a neuron without port k: 0
    // (NEST has no such recordable for it).
    double recorded(std::size_t which, std::size_t i, double E_L, const std::vector<std::vector<double>>& psc) const {
        if (which == 0) return V_[i] + E_L;
        if (which == 1) return current_[i];
        const std::size_t port = which - 2;
        return port < ports_[type_[i]] ? psc[port][i] : 0.0;
    }

    std::vector<std::string> names_, units_;
    std::vector<std::size_t> ports_;  // per parameter set
    std::size_t max_ports_ = 0;
    std::vector<std::uint32_t> type_;
    std::vector<double> V_, I_const_, current_;  // V relative to E_L; current_: the PSCs' sum after the step (I_syn)
    std::vector<Step> r_;
};

struct AlphaMultiProps {
    double E_L, I_e, Theta, V_reset, LowerBound, P33, P30;
    std::vector<double> P11, P21, P22, P31, P32, PSCInit;
    Step refractory_counts;
};

class IafPscAlphaMultisynapse final : public MultisynapseGroup {
public:
    static constexpr const char* model_name = "iaf_psc_alpha_multisynapse";

    IafPscAlphaMultisynapse(const std::vector<ParameterSet>& sets, const std::vector<std::uint32_t>& set_of_neuron,
                            const TimeGrid& grid) {
        std::vector<double> v_init;
        const double h = grid.resolution_ms();
        for (const auto& set : sets) {
            const MultiParams m = read_multisynapse(set, model_name, /*has_v_min=*/true,
                                                    "Capacitance must be strictly positive (C_m > 0).");
            AlphaMultiProps p{};
            p.E_L = m.pot.E_L; p.I_e = m.I_e; p.Theta = m.pot.Theta; p.V_reset = m.pot.V_reset;
            p.LowerBound = m.pot.LowerBound;
            // pre_run_hook
            p.P33 = std::exp(-h / m.tau_m);
            p.P30 = 1 / m.C * (1 - p.P33) * m.tau_m;
            for (double ts : m.tau_syn) {
                const double P11 = std::exp(-h / ts);
                p.P11.push_back(P11);
                p.P22.push_back(P11);
                p.P21.push_back(h * P11);
                const AlphaPropagator prop = iaf_propagator_alpha(ts, m.tau_m, m.C, h);
                p.P31.push_back(prop.p31);
                p.P32.push_back(prop.p32);
                p.PSCInit.push_back(1.0 * kE / ts);
            }
            p.refractory_counts = grid.ms_to_steps_ceil(m.t_ref);
            ports_.push_back(m.tau_syn.size());
            props_.push_back(std::move(p));
            v_init.push_back(m.pot.y3);
        }
        init_common(model_name, set_of_neuron, v_init);
        y1_.assign(max_ports_, std::vector<double>(size(), 0.0));
        y2_.assign(max_ports_, std::vector<double>(size(), 0.0));
    }

    const char* model() const override { return model_name; }

    // NEST's update for one lag, neuron by neuron, ports in increasing order.
    void update(const double* const* spike_in, const double* current_in, std::vector<std::uint32_t>& fired) override {
        const std::size_t n = size();
        for (std::size_t i = 0; i < n; ++i) {
            const AlphaMultiProps& p = props_[type_[i]];
            const std::size_t n_ports = ports_[type_[i]];
            double V = V_[i];
            if (r_[i] == 0) {
                V = p.P30 * (I_const_[i] + p.I_e) + p.P33 * V;
                for (std::size_t k = 0; k < n_ports; ++k) V += p.P31[k] * y1_[k][i] + p.P32[k] * y2_[k][i];
                V = (V < p.LowerBound ? p.LowerBound : V);
            } else {
                --r_[i];
            }
            double current = 0.0;
            for (std::size_t k = 0; k < n_ports; ++k) {
                const double y1 = y1_[k][i];
                const double y2 = p.P21[k] * y1 + p.P22[k] * y2_[k][i];
                y2_[k][i] = y2;
                double y1_new = y1 * p.P11[k];
                y1_new += p.PSCInit[k] * spike_in[k][i];
                y1_[k][i] = y1_new;
                current += y2;
            }
            end_step(i, V, current, p.Theta, p.V_reset, p.refractory_counts, current_in, fired);
        }
    }

    double get(std::size_t which, std::size_t i) const override {
        return recorded(which, i, props_[type_[i]].E_L, y2_);
    }

    void state_fields(StateFields& fields) override {
        common_state_fields(fields);
        for (std::size_t k = 0; k < y1_.size(); ++k) {
            fields.add("y1[" + std::to_string(k) + "]", y1_[k]);
            fields.add("y2[" + std::to_string(k) + "]", y2_[k]);
        }
    }

private:
    std::vector<AlphaMultiProps> props_;
    std::vector<std::vector<double>> y1_, y2_;  // [port - 1][neuron]: dI and I of each alpha PSC
};

struct ExpMultiProps {
    double E_L, I_e, Theta, V_reset, P22, P20;
    std::vector<double> P11, P21;
    Step refractory_counts;
};

class IafPscExpMultisynapse final : public MultisynapseGroup {
public:
    static constexpr const char* model_name = "iaf_psc_exp_multisynapse";

    IafPscExpMultisynapse(const std::vector<ParameterSet>& sets, const std::vector<std::uint32_t>& set_of_neuron,
                          const TimeGrid& grid) {
        std::vector<double> v_init;
        const double h = grid.resolution_ms();
        for (const auto& set : sets) {
            // No V_min: NEST's iaf_psc_exp_multisynapse has none (an unknown key).
            const MultiParams m = read_multisynapse(set, model_name, /*has_v_min=*/false,
                                                    "Capacitance must be > 0 (C_m).");
            ExpMultiProps p{};
            p.E_L = m.pot.E_L; p.I_e = m.I_e; p.Theta = m.pot.Theta; p.V_reset = m.pot.V_reset;
            // pre_run_hook
            p.P22 = std::exp(-h / m.tau_m);
            p.P20 = m.tau_m / m.C * (1.0 - p.P22);
            for (double ts : m.tau_syn) {
                p.P11.push_back(std::exp(-h / ts));
                p.P21.push_back(iaf_propagator_exp(ts, m.tau_m, m.C, h));
            }
            p.refractory_counts = grid.ms_to_steps_ceil(m.t_ref);
            ports_.push_back(m.tau_syn.size());
            props_.push_back(std::move(p));
            v_init.push_back(m.pot.y3);
        }
        init_common(model_name, set_of_neuron, v_init);
        i_syn_.assign(max_ports_, std::vector<double>(size(), 0.0));
    }

    const char* model() const override { return model_name; }

    void update(const double* const* spike_in, const double* current_in, std::vector<std::uint32_t>& fired) override {
        const std::size_t n = size();
        for (std::size_t i = 0; i < n; ++i) {
            const ExpMultiProps& p = props_[type_[i]];
            const std::size_t n_ports = ports_[type_[i]];
            double V = V_[i];
            if (r_[i] == 0) {
                V = V * p.P22 + (p.I_e + I_const_[i]) * p.P20;
                for (std::size_t k = 0; k < n_ports; ++k) V += p.P21[k] * i_syn_[k][i];
            } else {
                --r_[i];
            }
            double current = 0.0;
            for (std::size_t k = 0; k < n_ports; ++k) {
                double s = i_syn_[k][i] * p.P11[k];
                s += spike_in[k][i];
                i_syn_[k][i] = s;
                current += s;
            }
            end_step(i, V, current, p.Theta, p.V_reset, p.refractory_counts, current_in, fired);
        }
    }

    double get(std::size_t which, std::size_t i) const override {
        return recorded(which, i, props_[type_[i]].E_L, i_syn_);
    }

    void state_fields(StateFields& fields) override {
        common_state_fields(fields);
        for (std::size_t k = 0; k < i_syn_.size(); ++k) fields.add("i_syn[" + std::to_string(k) + "]", i_syn_[k]);
    }

private:
    std::vector<ExpMultiProps> props_;
    std::vector<std::vector<double>> i_syn_;  // [port - 1][neuron]
};

}  // namespace

std::unique_ptr<NeuronGroup> make_iaf_psc_alpha_multisynapse(const std::vector<ParameterSet>& sets,
                                                             const std::vector<std::uint32_t>& set_of_neuron,
                                                             const TimeGrid& grid) {
    return std::make_unique<IafPscAlphaMultisynapse>(sets, set_of_neuron, grid);
}

std::unique_ptr<NeuronGroup> make_iaf_psc_exp_multisynapse(const std::vector<ParameterSet>& sets,
                                                           const std::vector<std::uint32_t>& set_of_neuron,
                                                           const TimeGrid& grid) {
    return std::make_unique<IafPscExpMultisynapse>(sets, set_of_neuron, grid);
}

}  // namespace pointsim::models
