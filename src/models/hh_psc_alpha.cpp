// nest::hh_psc_alpha (NEST 3.x models/hh_psc_alpha.cpp), bit for bit:
// Hodgkin-Huxley Na/K/leak currents with alpha-shaped synaptic currents,
// integrated with GSL's (old gsl_odeiv API) RKF45 and y-control (eps_abs
// 1e-3, eps_rel 0) as NEST does, the same state layout, the same derivative
// expressions in the same order, a per-neuron integration step carried over
// between simulation steps. A spike is emitted at the peak of the action
// potential: not refractory, V >= 0 mV and V smaller than before the step.
// There is no reset: t_ref only suppresses further spikes.
#include <algorithm>
#include <array>
#include <cmath>
#include <memory>
#include <string>

#include "models/gsl_solver.hpp"
#include "models/model_impl.hpp"
#include "models/parameters.hpp"

namespace pointsim::models {

namespace {

// NEST's State_::StateVecElems.
enum { V_M = 0, HH_M, HH_H, HH_N, DI_EXC, I_EXC, DI_INH, I_INH, STATE_VEC_SIZE };

struct HhParams {
    double t_ref = 2.0, g_Na = 12000.0, g_K = 3600.0, g_L = 30.0, C_m = 100.0, E_Na = 50.0, E_K = -77.0,
           E_L = -54.402, tau_synE = 0.2, tau_synI = 2.0, I_e = 0.0;
    // Variables_
    double PSCurrInit_E = 0.0, PSCurrInit_I = 0.0;
    Step RefractoryCounts = 0;
};

// What hh_psc_alpha_dynamics reads from the node besides y[].
struct DynamicsContext {
    const HhParams* P = nullptr;
    double I_stim = 0.0;  // node.B_.I_stim_
};

// nest::hh_psc_alpha_dynamics, expression for expression.
int hh_psc_alpha_dynamics(double, const double y[], double f[], void* pnode) {
    const DynamicsContext& node = *static_cast<const DynamicsContext*>(pnode);
    const HhParams& P = *node.P;

    const double V = y[V_M];
    const double m = y[HH_M];
    const double h = y[HH_H];
    const double n = y[HH_N];
    const double dI_ex = y[DI_EXC];
    const double I_ex = y[I_EXC];
    const double dI_in = y[DI_INH];
    const double I_in = y[I_INH];

    const double alpha_n = (0.01 * (V + 55.)) / (1. - std::exp(-(V + 55.) / 10.));
    const double beta_n = 0.125 * std::exp(-(V + 65.) / 80.);
    const double alpha_m = (0.1 * (V + 40.)) / (1. - std::exp(-(V + 40.) / 10.));
    const double beta_m = 4. * std::exp(-(V + 65.) / 18.);
    const double alpha_h = 0.07 * std::exp(-(V + 65.) / 20.);
    const double beta_h = 1. / (1. + std::exp(-(V + 35.) / 10.));

    const double I_Na = P.g_Na * m * m * m * h * (V - P.E_Na);
    const double I_K = P.g_K * n * n * n * n * (V - P.E_K);
    const double I_L = P.g_L * (V - P.E_L);

    // the inhibitory current is negative (it keeps the sign of the weight)
    f[V_M] = (-(I_Na + I_K + I_L) + node.I_stim + P.I_e + I_ex + I_in) / P.C_m;

    f[HH_M] = alpha_m * (1 - y[HH_M]) - beta_m * y[HH_M];
    f[HH_H] = alpha_h * (1 - y[HH_H]) - beta_h * y[HH_H];
    f[HH_N] = alpha_n * (1 - y[HH_N]) - beta_n * y[HH_N];

    f[DI_EXC] = -dI_ex / P.tau_synE;
    f[I_EXC] = dI_ex - (I_ex / P.tau_synE);
    f[DI_INH] = -dI_in / P.tau_synI;
    f[I_INH] = dI_in - (I_in / P.tau_synI);

    return GSL_SUCCESS;
}

// NEST's State_(const Parameters_&): V_m = -65 mV (not E_L) and the gating
// variables at their equilibrium for that V, whatever parameters follow.
std::array<double, STATE_VEC_SIZE> default_state() {
    std::array<double, STATE_VEC_SIZE> y{};
    y[V_M] = -65;
    const double V = y[V_M];
    const double alpha_n = (0.01 * (V + 55.)) / (1. - std::exp(-(V + 55.) / 10.));
    const double beta_n = 0.125 * std::exp(-(V + 65.) / 80.);
    const double alpha_m = (0.1 * (V + 40.)) / (1. - std::exp(-(V + 40.) / 10.));
    const double beta_m = 4. * std::exp(-(V + 65.) / 18.);
    const double alpha_h = 0.07 * std::exp(-(V + 65.) / 20.);
    const double beta_h = 1. / (1. + std::exp(-(V + 35.) / 10.));
    y[HH_H] = alpha_h / (alpha_h + beta_h);
    y[HH_N] = alpha_n / (alpha_n + beta_n);
    y[HH_M] = alpha_m / (alpha_m + beta_m);
    return y;
}

class HhPscAlpha final : public NeuronGroup {
public:
    HhPscAlpha(const std::vector<ParameterSet>& sets, const std::vector<std::uint32_t>& set_of_neuron,
               const TimeGrid& grid)
        : step_(grid.resolution_ms()) {  // Time::get_resolution().get_ms()
        std::vector<std::array<double, STATE_VEC_SIZE>> y_init;
        for (const auto& set : sets) {
            ParamReader r(set);
            HhParams p;
            // Parameters_::set
            r.number("t_ref", p.t_ref);
            r.number("C_m", p.C_m);
            r.number("g_Na", p.g_Na);
            r.number("E_Na", p.E_Na);
            r.number("g_K", p.g_K);
            r.number("E_K", p.E_K);
            r.number("g_L", p.g_L);
            r.number("E_L", p.E_L);
            r.number("tau_syn_ex", p.tau_synE);
            r.number("tau_syn_in", p.tau_synI);
            r.number("I_e", p.I_e);
            // State_::set (NEST 3.x names: Act_m, Inact_h, Act_n)
            std::array<double, STATE_VEC_SIZE> y = default_state();
            r.number("V_m", y[V_M]);
            r.number("Act_m", y[HH_M]);
            r.number("Inact_h", y[HH_H]);
            r.number("Act_n", y[HH_N]);
            r.finish(model_name);
            if (p.C_m <= 0) r.fail(model_name, "Capacitance must be strictly positive (C_m > 0).");
            if (p.t_ref < 0) r.fail(model_name, "Refractory time cannot be negative (t_ref >= 0).");
            if (p.tau_synE <= 0 || p.tau_synI <= 0)
                r.fail(model_name, "All time constants must be strictly positive (tau_syn_ex, tau_syn_in > 0).");
            if (p.g_K < 0 || p.g_Na < 0 || p.g_L < 0)
                r.fail(model_name, "All conductances must be non-negative (g_Na, g_K, g_L >= 0).");
            if (y[HH_M] < 0 || y[HH_H] < 0 || y[HH_N] < 0)
                r.fail(model_name, "All (in)activation variables must be non-negative (Act_m, Inact_h, Act_n >= 0).");
            // pre_run_hook
            p.PSCurrInit_E = 1.0 * kE / p.tau_synE;
            p.PSCurrInit_I = 1.0 * kE / p.tau_synI;
            p.RefractoryCounts = grid.ms_to_steps_ceil(p.t_ref);
            props_.push_back(p);
            y_init.push_back(y);
        }
        const std::size_t n = set_of_neuron.size();
        type_.assign(set_of_neuron.begin(), set_of_neuron.end());
        y_.resize(n * STATE_VEC_SIZE);
        for (std::size_t i = 0; i < n; ++i)
            std::copy(y_init[type_[i]].begin(), y_init[type_[i]].end(), &y_[i * STATE_VEC_SIZE]);
        r_.assign(n, 0);
        I_stim_.assign(n, 0.0);
        integration_step_.assign(n, step_);

        // One stepper/control/evolve for the whole group (gsl_solver.hpp says why).
        s_ = gsl::rkf45(STATE_VEC_SIZE);
        c_ = gsl::y_control(1e-3, 0.0);
        e_ = gsl::evolve(STATE_VEC_SIZE);
        sys_.function = hh_psc_alpha_dynamics;
        sys_.jacobian = nullptr;
        sys_.dimension = STATE_VEC_SIZE;
        sys_.params = &ctx_;
    }

    HhPscAlpha(const HhPscAlpha&) = delete;  // sys_.params points into this object
    HhPscAlpha& operator=(const HhPscAlpha&) = delete;

    static constexpr const char* model_name = "hh_psc_alpha";
    const char* model() const override { return model_name; }
    std::size_t size() const override { return type_.size(); }
    int spike_channels() const override { return 2; }
    int channel(double weight, int receptor) const override {
        check_receptor(model_name, receptor, 0, 0);
        return weight > 0.0 ? 0 : 1;  // NEST: weight > 0 ? spike_exc_ : spike_inh_ (keeping the sign)
    }

    void update(const double* const* spike_in, const double* current_in, std::vector<std::uint32_t>& fired) override {
        const double* w_ex = spike_in[0];
        const double* w_in = spike_in[1];
        const std::size_t n = size();
        for (std::size_t i = 0; i < n; ++i) {
            const HhParams& P = props_[type_[i]];
            double* y = &y_[i * STATE_VEC_SIZE];
            ctx_.P = &P;
            ctx_.I_stim = I_stim_[i];

            double t = 0.0;
            const double U_old = y[V_M];
            while (t < step_) {
                gsl::apply(e_.get(), c_.get(), s_.get(), &sys_, &t, step_, &integration_step_[i], y, model_name, i);
            }

            y[DI_EXC] += w_ex[i] * P.PSCurrInit_E;
            y[DI_INH] += w_in[i] * P.PSCurrInit_I;

            if (r_[i] > 0) {
                --r_[i];
            } else if (y[V_M] >= 0 && U_old > y[V_M]) {  // above 0 mV and past the peak
                r_[i] = P.RefractoryCounts;
                fired.push_back(static_cast<std::uint32_t>(i));
            }

            I_stim_[i] = current_in[i];
        }
    }

    void state_fields(StateFields& fields) override {
        fields.add("y", y_);
        fields.add("r", r_);
        fields.add("I_stim", I_stim_);
        fields.add("integration_step", integration_step_);
    }

    const std::vector<std::string>& recordables() const override {
        static const std::vector<std::string> names{"V_m", "I_syn_ex", "I_syn_in", "Act_m", "Inact_h", "Act_n"};
        return names;
    }
    std::string units(std::size_t which) const override {
        switch (which) {
            case 0: return "mV";
            case 1:
            case 2: return "pA";
            default: return "";  // gating variables are dimensionless
        }
    }
    double get(std::size_t which, std::size_t i) const override {
        static constexpr int element[] = {V_M, I_EXC, I_INH, HH_M, HH_H, HH_N};
        return y_[i * STATE_VEC_SIZE + static_cast<std::size_t>(element[which])];
    }

private:
    double step_;  // B_.step_
    std::vector<HhParams> props_;
    std::vector<std::uint32_t> type_;
    std::vector<double> y_;  // STATE_VEC_SIZE per neuron, NEST's layout
    std::vector<Step> r_;
    std::vector<double> I_stim_;
    std::vector<double> integration_step_;  // B_.IntegrationStep_

    DynamicsContext ctx_;
    gsl::Step s_;
    gsl::Control c_;
    gsl::Evolve e_;
    gsl_odeiv_system sys_{};
};

}  // namespace

std::unique_ptr<NeuronGroup> make_hh_psc_alpha(const std::vector<ParameterSet>& sets,
                                               const std::vector<std::uint32_t>& set_of_neuron, const TimeGrid& grid) {
    return std::make_unique<HhPscAlpha>(sets, set_of_neuron, grid);
}

}  // namespace pointsim::models
