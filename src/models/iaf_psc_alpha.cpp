// nest::iaf_psc_alpha (NEST 3.x models/iaf_psc_alpha.cpp), bit for bit:
// same propagators, same update order, same rounding of t_ref.
#include <cmath>

#include "models/iaf_common.hpp"
#include "models/iaf_propagator.hpp"
#include "models/model_impl.hpp"

namespace pointsim::models {

namespace {

constexpr double kE = 2.718281828459045;  // numerics::e

struct AlphaProps {
    // parameters (potentials relative to E_L)
    double E_L, I_e, Theta, V_reset, LowerBound;
    // propagators
    double P11_ex, P21_ex, P22_ex, P31_ex, P32_ex;
    double P11_in, P21_in, P22_in, P31_in, P32_in;
    double P30, expm1_tau_m, EPSCInit, IPSCInit;
    Step refractory_counts;
};

class IafPscAlpha final : public NeuronGroup {
public:
    IafPscAlpha(const std::vector<ParameterSet>& sets, const std::vector<std::uint32_t>& set_of_neuron,
                const TimeGrid& grid) {
        std::vector<double> y3_init;
        for (const auto& set : sets) {
            ParamReader r(set);
            IafPotentials pot;
            double C = 250.0, tau_m = 10.0, t_ref = 2.0, tau_ex = 2.0, tau_in = 2.0, I_e = 0.0;
            pot.apply(r, /*has_v_min=*/true);
            r.number("I_e", I_e);
            r.number("C_m", C);
            r.number("tau_m", tau_m);
            r.number("tau_syn_ex", tau_ex);
            r.number("tau_syn_in", tau_in);
            r.number("t_ref", t_ref);
            r.finish(model_name);
            if (pot.V_reset >= pot.Theta) r.fail(model_name, "Reset potential must be smaller than threshold (V_reset < V_th).");
            if (C <= 0) r.fail(model_name, "Capacitance must be strictly positive (C_m > 0).");
            if (tau_m <= 0 || tau_ex <= 0 || tau_in <= 0) r.fail(model_name, "All time constants must be strictly positive (tau_m, tau_syn_ex, tau_syn_in).");
            if (t_ref < 0) r.fail(model_name, "Refractory time must not be negative (t_ref >= 0).");

            const double h = grid.ms_per_step();
            AlphaProps p{};
            p.E_L = pot.E_L; p.I_e = I_e; p.Theta = pot.Theta; p.V_reset = pot.V_reset; p.LowerBound = pot.LowerBound;
            p.P11_ex = p.P22_ex = std::exp(-h / tau_ex);
            p.P11_in = p.P22_in = std::exp(-h / tau_in);
            p.expm1_tau_m = std::expm1(-h / tau_m);
            p.P30 = -tau_m / C * std::expm1(-h / tau_m);
            p.P21_ex = h * p.P11_ex;
            p.P21_in = h * p.P11_in;
            const AlphaPropagator ex = iaf_propagator_alpha(tau_ex, tau_m, C, h);
            const AlphaPropagator in = iaf_propagator_alpha(tau_in, tau_m, C, h);
            p.P31_ex = ex.p31; p.P32_ex = ex.p32; p.P31_in = in.p31; p.P32_in = in.p32;
            p.EPSCInit = 1.0 * kE / tau_ex;
            p.IPSCInit = 1.0 * kE / tau_in;
            p.refractory_counts = grid.ms_to_steps_ceil(t_ref);
            props_.push_back(p);
            y3_init.push_back(pot.y3);
        }
        const std::size_t n = set_of_neuron.size();
        type_.assign(set_of_neuron.begin(), set_of_neuron.end());
        y3_.resize(n); y0_.assign(n, 0.0);
        I_ex_.assign(n, 0.0); dI_ex_.assign(n, 0.0); I_in_.assign(n, 0.0); dI_in_.assign(n, 0.0);
        r_.assign(n, 0);
        for (std::size_t i = 0; i < n; ++i) y3_[i] = y3_init[type_[i]];
    }

    static constexpr const char* model_name = "iaf_psc_alpha";
    const char* model() const override { return model_name; }
    std::size_t size() const override { return type_.size(); }
    int spike_channels() const override { return 2; }
    int channel(double weight, int receptor) const override {
        check_receptor(model_name, receptor, 0, 0);
        return weight > 0 ? 0 : 1;  // NEST: s > 0 ? SYN_EX : SYN_IN
    }

    void update(const double* const* spike_in, const double* current_in, std::vector<std::uint32_t>& fired) override {
        const double* w_ex = spike_in[0];
        const double* w_in = spike_in[1];
        const std::size_t n = size();
        for (std::size_t i = 0; i < n; ++i) {
            const AlphaProps& p = props_[type_[i]];
            if (r_[i] == 0) {
                double y3 = y3_[i];
                y3 = p.P30 * (y0_[i] + p.I_e) + p.P31_ex * dI_ex_[i] + p.P32_ex * I_ex_[i] + p.P31_in * dI_in_[i] +
                     p.P32_in * I_in_[i] + p.expm1_tau_m * y3 + y3;
                y3_[i] = (y3 < p.LowerBound ? p.LowerBound : y3);
            } else {
                --r_[i];
            }
            I_ex_[i] = p.P21_ex * dI_ex_[i] + p.P22_ex * I_ex_[i];
            dI_ex_[i] *= p.P11_ex;
            dI_ex_[i] += p.EPSCInit * w_ex[i];
            I_in_[i] = p.P21_in * dI_in_[i] + p.P22_in * I_in_[i];
            dI_in_[i] *= p.P11_in;
            dI_in_[i] += p.IPSCInit * w_in[i];
            if (y3_[i] >= p.Theta) {
                r_[i] = p.refractory_counts;
                y3_[i] = p.V_reset;
                fired.push_back(static_cast<std::uint32_t>(i));
            }
            y0_[i] = current_in[i];
        }
    }

    const std::vector<std::string>& recordables() const override {
        static const std::vector<std::string> names{"V_m", "I_syn_ex", "I_syn_in"};
        return names;
    }
    std::string units(std::size_t which) const override { return which == 0 ? "mV" : "pA"; }
    double get(std::size_t which, std::size_t i) const override {
        switch (which) {
            case 0: return y3_[i] + props_[type_[i]].E_L;
            case 1: return I_ex_[i];
            default: return I_in_[i];
        }
    }

private:
    std::vector<AlphaProps> props_;
    std::vector<std::uint32_t> type_;
    std::vector<double> y3_, y0_, I_ex_, dI_ex_, I_in_, dI_in_;
    std::vector<Step> r_;
};

}  // namespace

std::unique_ptr<NeuronGroup> make_iaf_psc_alpha(const std::vector<ParameterSet>& sets,
                                                const std::vector<std::uint32_t>& set_of_neuron, const TimeGrid& grid) {
    return std::make_unique<IafPscAlpha>(sets, set_of_neuron, grid);
}

}  // namespace pointsim::models
