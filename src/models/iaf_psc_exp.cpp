// nest::iaf_psc_exp (NEST 3.x models/iaf_psc_exp.cpp), deterministic
// threshold only (delta = 0): a spike of weight w jumps the current by w pA.
#include <cmath>

#include "models/iaf_common.hpp"
#include "models/iaf_propagator.hpp"
#include "models/model_impl.hpp"

namespace pointsim::models {

namespace {

struct ExpProps {
    double E_L, I_e, Theta, V_reset;  // relative to E_L
    double P11_ex, P11_in, P21_ex, P21_in, P22, P20;
    Step refractory_counts;
};

class IafPscExp final : public NeuronGroup {
public:
    IafPscExp(const std::vector<ParameterSet>& sets, const std::vector<std::uint32_t>& set_of_neuron,
              const TimeGrid& grid) {
        std::vector<double> v_init;
        for (const auto& set : sets) {
            ParamReader r(set);
            IafPotentials pot;
            double C = 250.0, tau_m = 10.0, t_ref = 2.0, tau_ex = 2.0, tau_in = 2.0, I_e = 0.0;
            double rho = 0.01, delta = 0.0;
            pot.apply(r, /*has_v_min=*/false);
            r.number("I_e", I_e);
            r.number("C_m", C);
            r.number("tau_m", tau_m);
            r.number("tau_syn_ex", tau_ex);
            r.number("tau_syn_in", tau_in);
            r.number("t_ref", t_ref);
            r.number("rho", rho);
            r.number("delta", delta);
            r.finish(model_name);
            if (pot.V_reset >= pot.Theta) r.fail(model_name, "Reset potential must be smaller than threshold (V_reset < V_th).");
            if (C <= 0) r.fail(model_name, "Capacitance must be strictly positive (C_m > 0).");
            if (tau_m <= 0 || tau_ex <= 0 || tau_in <= 0) r.fail(model_name, "Membrane and synapse time constants must be strictly positive.");
            if (t_ref < 0) r.fail(model_name, "Refractory time must not be negative (t_ref >= 0).");
            if (rho < 0) r.fail(model_name, "Stochastic firing intensity must not be negative (rho >= 0).");
            if (delta < 0) r.fail(model_name, "Width of threshold region must not be negative (delta >= 0).");
            if (delta > 1e-10) r.fail(model_name, "the stochastic threshold (delta > 0) is not supported by pointsim.");

            const double h = grid.resolution_ms();
            ExpProps p{};
            p.E_L = pot.E_L; p.I_e = I_e; p.Theta = pot.Theta; p.V_reset = pot.V_reset;
            p.P11_ex = std::exp(-h / tau_ex);
            p.P11_in = std::exp(-h / tau_in);
            p.P22 = std::exp(-h / tau_m);
            p.P21_ex = iaf_propagator_exp(tau_ex, tau_m, C, h);
            p.P21_in = iaf_propagator_exp(tau_in, tau_m, C, h);
            p.P20 = tau_m / C * (1.0 - p.P22);
            p.refractory_counts = grid.ms_to_steps_ceil(t_ref);
            props_.push_back(p);
            v_init.push_back(pot.y3);
        }
        const std::size_t n = set_of_neuron.size();
        type_.assign(set_of_neuron.begin(), set_of_neuron.end());
        V_.resize(n); i_0_.assign(n, 0.0); i_ex_.assign(n, 0.0); i_in_.assign(n, 0.0);
        r_.assign(n, 0);
        for (std::size_t i = 0; i < n; ++i) V_[i] = v_init[type_[i]];
    }

    static constexpr const char* model_name = "iaf_psc_exp";
    const char* model() const override { return model_name; }
    std::size_t size() const override { return type_.size(); }
    int spike_channels() const override { return 2; }
    int channel(double weight, int receptor) const override {
        check_receptor(model_name, receptor, 0, 0);
        return weight > 0 ? 0 : 1;
    }

    void update(const double* const* spike_in, const double* current_in, std::vector<std::uint32_t>& fired) override {
        const double* w_ex = spike_in[0];
        const double* w_in = spike_in[1];
        const std::size_t n = size();
        for (std::size_t i = 0; i < n; ++i) {
            const ExpProps& p = props_[type_[i]];
            if (r_[i] == 0) {
                V_[i] = V_[i] * p.P22 + i_ex_[i] * p.P21_ex + i_in_[i] * p.P21_in + (p.I_e + i_0_[i]) * p.P20;
            } else {
                --r_[i];
            }
            i_ex_[i] *= p.P11_ex;
            i_in_[i] *= p.P11_in;
            // NEST also adds (1 - P11_ex) * i_1 here: current on receptor 1, which pointsim does not connect.
            i_ex_[i] += w_ex[i];
            i_in_[i] += w_in[i];
            if (V_[i] >= p.Theta) {
                r_[i] = p.refractory_counts;
                V_[i] = p.V_reset;
                fired.push_back(static_cast<std::uint32_t>(i));
            }
            i_0_[i] = current_in[i];
        }
    }

    void state_fields(StateFields& fields) override {
        fields.add("V", V_);
        fields.add("i_0", i_0_);
        fields.add("i_ex", i_ex_);
        fields.add("i_in", i_in_);
        fields.add("r", r_);
    }

    const std::vector<std::string>& recordables() const override {
        static const std::vector<std::string> names{"V_m", "I_syn_ex", "I_syn_in"};
        return names;
    }
    std::string units(std::size_t which) const override { return which == 0 ? "mV" : "pA"; }
    double get(std::size_t which, std::size_t i) const override {
        switch (which) {
            case 0: return V_[i] + props_[type_[i]].E_L;
            case 1: return i_ex_[i];
            default: return i_in_[i];
        }
    }

private:
    std::vector<ExpProps> props_;
    std::vector<std::uint32_t> type_;
    std::vector<double> V_, i_0_, i_ex_, i_in_;
    std::vector<Step> r_;
};

}  // namespace

std::unique_ptr<NeuronGroup> make_iaf_psc_exp(const std::vector<ParameterSet>& sets,
                                              const std::vector<std::uint32_t>& set_of_neuron, const TimeGrid& grid) {
    return std::make_unique<IafPscExp>(sets, set_of_neuron, grid);
}

}  // namespace pointsim::models
