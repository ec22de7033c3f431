// nest::iaf_cond_alpha (NEST 3.x models/iaf_cond_alpha.cpp), bit for bit:
// GSL's (old gsl_odeiv API) RKF45 with the y-control (eps_abs 1e-3, eps_rel 0),
// the same state layout, the same derivative expressions in the same order, a
// per-neuron integration step carried over between simulation steps, and the
// same order of integrate, refractoriness/threshold, spike input, current.
#include <algorithm>
#include <array>
#include <memory>
#include <string>

#include "models/gsl_solver.hpp"
#include "models/model_impl.hpp"
#include "models/parameters.hpp"

namespace pointsim::models {

namespace {

// NEST's State_::StateVecElems.
enum { V_M = 0, DG_EXC, G_EXC, DG_INH, G_INH, STATE_VEC_SIZE };

struct CondAlphaParams {
    double V_th = -55.0, V_reset = -60.0, t_ref = 2.0, g_L = 16.6667, C_m = 250.0, E_ex = 0.0, E_in = -85.0,
           E_L = -70.0, tau_synE = 0.2, tau_synI = 2.0, I_e = 0.0;
    // Variables_
    double PSConInit_E = 0.0, PSConInit_I = 0.0;
    Step RefractoryCounts = 0;
};

// What iaf_cond_alpha_dynamics reads from the node besides y[].
struct DynamicsContext {
    const CondAlphaParams* P = nullptr;
    bool is_refractory = false;  // node.S_.r > 0
    double I_stim = 0.0;         // node.B_.I_stim_
};

// nest::iaf_cond_alpha_dynamics, expression for expression.
int iaf_cond_alpha_dynamics(double, const double y[], double f[], void* pnode) {
    const DynamicsContext& node = *static_cast<const DynamicsContext*>(pnode);
    const CondAlphaParams& P = *node.P;
    const bool is_refractory = node.is_refractory;

    const double V = is_refractory ? P.V_reset : std::min(y[V_M], P.V_th);

    const double I_syn_exc = y[G_EXC] * (V - P.E_ex);
    const double I_syn_inh = y[G_INH] * (V - P.E_in);
    const double I_leak = P.g_L * (V - P.E_L);

    f[0] = is_refractory ? 0.0 : (-I_leak - I_syn_exc - I_syn_inh + node.I_stim + P.I_e) / P.C_m;

    f[1] = -y[DG_EXC] / P.tau_synE;
    f[2] = y[DG_EXC] - (y[G_EXC] / P.tau_synE);

    f[3] = -y[DG_INH] / P.tau_synI;
    f[4] = y[DG_INH] - (y[G_INH] / P.tau_synI);

    return GSL_SUCCESS;
}

class IafCondAlpha final : public NeuronGroup {
public:
    IafCondAlpha(const std::vector<ParameterSet>& sets, const std::vector<std::uint32_t>& set_of_neuron,
                 const TimeGrid& grid)
        : step_(grid.resolution_ms()) {  // Time::get_resolution().get_ms()
        std::vector<std::array<double, STATE_VEC_SIZE>> y_init;
        for (const auto& set : sets) {
            ParamReader r(set);
            CondAlphaParams p;
            // Parameters_::set
            r.number("V_th", p.V_th);
            r.number("V_reset", p.V_reset);
            r.number("t_ref", p.t_ref);
            r.number("E_L", p.E_L);
            r.number("E_ex", p.E_ex);
            r.number("E_in", p.E_in);
            r.number("C_m", p.C_m);
            r.number("g_L", p.g_L);
            r.number("tau_syn_ex", p.tau_synE);
            r.number("tau_syn_in", p.tau_synI);
            r.number("I_e", p.I_e);
            // State_::set: V starts at the *default* E_L (State_(P_) runs before
            // any SetStatus), so a given E_L does not move it.
            std::array<double, STATE_VEC_SIZE> y{};
            y[V_M] = -70.0;
            r.number("V_m", y[V_M]);
            r.number("g_ex", y[G_EXC]);
            r.number("dg_ex", y[DG_EXC]);
            r.number("g_in", y[G_INH]);
            r.number("dg_in", y[DG_INH]);
            r.finish(model_name);
            if (p.V_reset >= p.V_th) r.fail(model_name, "Reset potential must be smaller than threshold (V_reset < V_th).");
            if (p.C_m <= 0) r.fail(model_name, "Capacitance must be strictly positive (C_m > 0).");
            if (p.t_ref < 0) r.fail(model_name, "Refractory time cannot be negative (t_ref >= 0).");
            if (p.tau_synE <= 0 || p.tau_synI <= 0)
                r.fail(model_name, "All time constants must be strictly positive (tau_syn_ex, tau_syn_in).");
            // pre_run_hook
            p.PSConInit_E = 1.0 * kE / p.tau_synE;
            p.PSConInit_I = 1.0 * kE / p.tau_synI;
            p.RefractoryCounts = grid.ms_to_steps_ceil(p.t_ref);
            props_.push_back(p);
            y_init.push_back(y);
        }
        const std::size_t n = set_of_neuron.size();
        type_.assign(set_of_neuron.begin(), set_of_neuron.end());
        y_.resize(n * STATE_VEC_SIZE);
        for (std::size_t i = 0; i < n; ++i) std::copy(y_init[type_[i]].begin(), y_init[type_[i]].end(), &y_[i * STATE_VEC_SIZE]);
        r_.assign(n, 0);
        I_stim_.assign(n, 0.0);
        integration_step_.assign(n, step_);

        // One stepper/control/evolve for the whole group (gsl_solver.hpp says why).
        s_ = gsl::rkf45(STATE_VEC_SIZE);
        c_ = gsl::y_control(1e-3, 0.0);
        e_ = gsl::evolve(STATE_VEC_SIZE);
        sys_.function = iaf_cond_alpha_dynamics;
        sys_.jacobian = nullptr;
        sys_.dimension = STATE_VEC_SIZE;
        sys_.params = &ctx_;
    }

    IafCondAlpha(const IafCondAlpha&) = delete;  // sys_.params points into this object
    IafCondAlpha& operator=(const IafCondAlpha&) = delete;

    static constexpr const char* model_name = "iaf_cond_alpha";
    const char* model() const override { return model_name; }
    std::size_t size() const override { return type_.size(); }
    int spike_channels() const override { return 2; }
    int channel(double weight, int receptor) const override {
        check_receptor(model_name, receptor, 0, 0);
        return weight > 0.0 ? 0 : 1;  // NEST: weight > 0 ? spike_exc_ : spike_inh_ (-weight)
    }

    void update(const double* const* spike_in, const double* current_in, std::vector<std::uint32_t>& fired) override {
        const double* w_ex = spike_in[0];
        const double* w_in = spike_in[1];
        const std::size_t n = size();
        for (std::size_t i = 0; i < n; ++i) {
            const CondAlphaParams& P = props_[type_[i]];
            double* y = &y_[i * STATE_VEC_SIZE];
            ctx_.P = &P;
            ctx_.is_refractory = r_[i] > 0;
            ctx_.I_stim = I_stim_[i];

            double t = 0.0;
            while (t < step_) {
                gsl::apply(e_.get(), c_.get(), s_.get(), &sys_, &t, step_, &integration_step_[i], y, model_name, i);
            }

            if (r_[i]) {
                --r_[i];
                y[V_M] = P.V_reset;
            } else if (y[V_M] >= P.V_th) {
                r_[i] = P.RefractoryCounts;
                y[V_M] = P.V_reset;
                fired.push_back(static_cast<std::uint32_t>(i));
            }

            // spike_inh_ holds -weight (summing negated weights equals negating the sum exactly)
            y[DG_EXC] += w_ex[i] * P.PSConInit_E;
            y[DG_INH] += -w_in[i] * P.PSConInit_I;

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
        static const std::vector<std::string> names{"V_m", "g_ex", "g_in", "t_ref_remaining"};
        return names;
    }
    std::string units(std::size_t which) const override {
        switch (which) {
            case 0: return "mV";
            case 1:
            case 2: return "nS";
            default: return "ms";
        }
    }
    double get(std::size_t which, std::size_t i) const override {
        switch (which) {
            case 0: return y_[i * STATE_VEC_SIZE + V_M];
            case 1: return y_[i * STATE_VEC_SIZE + G_EXC];
            case 2: return y_[i * STATE_VEC_SIZE + G_INH];
            default: return step_ * static_cast<double>(r_[i]);  // get_r_(): resolution ms * r
        }
    }

private:
    double step_;  // B_.step_
    std::vector<CondAlphaParams> props_;
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

std::unique_ptr<NeuronGroup> make_iaf_cond_alpha(const std::vector<ParameterSet>& sets,
                                                 const std::vector<std::uint32_t>& set_of_neuron, const TimeGrid& grid) {
    return std::make_unique<IafCondAlpha>(sets, set_of_neuron, grid);
}

}  // namespace pointsim::models
