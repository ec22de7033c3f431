// nest::aeif_cond_alpha, aeif_cond_exp, aeif_psc_alpha and aeif_psc_exp
// (NEST 3.x models/aeif_*.cpp), bit for bit: the adaptive exponential
// integrate-and-fire neuron of Brette & Gerstner (2005) with four kinds of
// synapse. GSL's (old gsl_odeiv API) RKF45 with the yp-control
// (eps_abs = eps_rel = gsl_error_tol), NEST's state layout and derivative
// expressions in NEST's operation order, a per-neuron integration step carried
// over between simulation steps (starting at dt), and spikes,
// reset, w += b and the refractory clamp handled inside the integration loop,
// after every GSL step, as NEST does.
#include <algorithm>
#include <cmath>
#include <limits>
#include <memory>
#include <sstream>
#include <string>
#include <utility>
#include <vector>

#include "models/gsl_solver.hpp"
#include "models/model_impl.hpp"
#include "models/parameters.hpp"

namespace pointsim::models {

namespace {

// NEST's Parameters_ (the same defaults in all four models; E_ex and E_in
// exist in the conductance-based ones only) and Variables_.
struct AeifParams {
    double V_peak = 0.0, V_reset = -60.0, t_ref = 0.0, g_L = 30.0, C_m = 281.0, E_ex = 0.0, E_in = -85.0,
           E_L = -70.6, Delta_T = 2.0, tau_w = 144.0, a = 4.0, b = 80.5, V_th = -50.4, tau_syn_ex = 0.2,
           tau_syn_in = 2.0, I_e = 0.0, gsl_error_tol = 1e-6;
    // Variables_ (pre_run_hook)
    double V_spike = 0.0;      // V_.V_peak: the spike detection threshold, V_peak, or V_th when Delta_T == 0
    double jump_ex = 0.0;      // V_.g0_ex_ / V_.i0_ex_ = e / tau_syn_ex (alpha synapses)
    double jump_in = 0.0;      // V_.g0_in_ / V_.i0_in_ = e / tau_syn_in (alpha synapses)
    Step refractory_counts = 0;
};

// What the dynamics functions read from the node besides y[].
struct DynamicsContext {
    const AeifParams* P = nullptr;
    bool is_refractory = false;  // node.S_.r_ > 0
    double I_stim = 0.0;         // node.B_.I_stim_
};

// The V the right-hand sides see: V_reset while refractory, otherwise V
// bounded by the V_peak *parameter* (not V_spike, which is V_th when Delta_T == 0).
inline double effective_V(const DynamicsContext& node, double V_m) {
    return node.is_refractory ? node.P->V_reset : std::min(V_m, node.P->V_peak);
}

// The exponential spike-initiation current; none when Delta_T == 0.
inline double spike_current(const AeifParams& P, double V) {
    return P.Delta_T == 0. ? 0. : (P.g_L * P.Delta_T * std::exp((V - P.V_th) / P.Delta_T));
}

// ---------------------------------------------------------------- the four right-hand sides

namespace cond_alpha {
enum { V_M = 0, DG_EXC, G_EXC, DG_INH, G_INH, W, STATE_VEC_SIZE };

// nest::aeif_cond_alpha_dynamics, expression for expression.
int dynamics(double, const double y[], double f[], void* pnode) {
    const DynamicsContext& node = *static_cast<const DynamicsContext*>(pnode);
    const AeifParams& P = *node.P;
    const double V = effective_V(node, y[V_M]);
    const double& dg_ex = y[DG_EXC];
    const double& g_ex = y[G_EXC];
    const double& dg_in = y[DG_INH];
    const double& g_in = y[G_INH];
    const double& w = y[W];

    const double I_syn_exc = g_ex * (V - P.E_ex);
    const double I_syn_inh = g_in * (V - P.E_in);
    const double I_spike = spike_current(P, V);

    f[V_M] = node.is_refractory
                 ? 0.
                 : (-P.g_L * (V - P.E_L) + I_spike - I_syn_exc - I_syn_inh - w + P.I_e + node.I_stim) / P.C_m;
    f[DG_EXC] = -dg_ex / P.tau_syn_ex;
    f[G_EXC] = dg_ex - g_ex / P.tau_syn_ex;
    f[DG_INH] = -dg_in / P.tau_syn_in;
    f[G_INH] = dg_in - g_in / P.tau_syn_in;
    f[W] = (P.a * (V - P.E_L) - w) / P.tau_w;
    return GSL_SUCCESS;
}
}  // namespace cond_alpha

namespace cond_exp {
enum { V_M = 0, G_EXC, G_INH, W, STATE_VEC_SIZE };

// nest::aeif_cond_exp_dynamics.
int dynamics(double, const double y[], double f[], void* pnode) {
    const DynamicsContext& node = *static_cast<const DynamicsContext*>(pnode);
    const AeifParams& P = *node.P;
    const double V = effective_V(node, y[V_M]);
    const double& g_ex = y[G_EXC];
    const double& g_in = y[G_INH];
    const double& w = y[W];

    const double I_syn_exc = g_ex * (V - P.E_ex);
    const double I_syn_inh = g_in * (V - P.E_in);
    const double I_spike = spike_current(P, V);

    f[V_M] = node.is_refractory
                 ? 0.
                 : (-P.g_L * (V - P.E_L) + I_spike - I_syn_exc - I_syn_inh - w + P.I_e + node.I_stim) / P.C_m;
    f[G_EXC] = -g_ex / P.tau_syn_ex;
    f[G_INH] = -g_in / P.tau_syn_in;
    f[W] = (P.a * (V - P.E_L) - w) / P.tau_w;
    return GSL_SUCCESS;
}
}  // namespace cond_exp

namespace psc_alpha {
enum { V_M = 0, DI_EXC, I_EXC, DI_INH, I_INH, W, STATE_VEC_SIZE };

// nest::aeif_psc_alpha_dynamics: I_syn_in is positive and subtracted.
int dynamics(double, const double y[], double f[], void* pnode) {
    const DynamicsContext& node = *static_cast<const DynamicsContext*>(pnode);
    const AeifParams& P = *node.P;
    const double V = effective_V(node, y[V_M]);
    const double& dI_syn_ex = y[DI_EXC];
    const double& I_syn_ex = y[I_EXC];
    const double& dI_syn_in = y[DI_INH];
    const double& I_syn_in = y[I_INH];
    const double& w = y[W];

    const double I_spike = spike_current(P, V);

    f[V_M] = node.is_refractory
                 ? 0.
                 : (-P.g_L * (V - P.E_L) + I_spike + I_syn_ex - I_syn_in - w + P.I_e + node.I_stim) / P.C_m;
    f[DI_EXC] = -dI_syn_ex / P.tau_syn_ex;
    f[I_EXC] = dI_syn_ex - I_syn_ex / P.tau_syn_ex;
    f[DI_INH] = -dI_syn_in / P.tau_syn_in;
    f[I_INH] = dI_syn_in - I_syn_in / P.tau_syn_in;
    f[W] = (P.a * (V - P.E_L) - w) / P.tau_w;
    return GSL_SUCCESS;
}
}  // namespace psc_alpha

namespace psc_exp {
enum { V_M = 0, I_EXC, I_INH, W, STATE_VEC_SIZE };

// nest::aeif_psc_exp_dynamics.
int dynamics(double, const double y[], double f[], void* pnode) {
    const DynamicsContext& node = *static_cast<const DynamicsContext*>(pnode);
    const AeifParams& P = *node.P;
    const double V = effective_V(node, y[V_M]);
    const double& I_syn_ex = y[I_EXC];
    const double& I_syn_in = y[I_INH];
    const double& w = y[W];

    const double I_spike = spike_current(P, V);

    f[V_M] = node.is_refractory
                 ? 0.
                 : (-P.g_L * (V - P.E_L) + I_spike + I_syn_ex - I_syn_in - w + P.I_e + node.I_stim) / P.C_m;
    f[I_EXC] = -I_syn_ex / P.tau_syn_ex;
    f[I_INH] = -I_syn_in / P.tau_syn_in;
    f[W] = (P.a * (V - P.E_L) - w) / P.tau_w;
    return GSL_SUCCESS;
}
}  // namespace psc_exp

// ---------------------------------------------------------------- what differs between the four

struct Recordable {
    const char* name;
    const char* unit;
    int index;  // in the state vector
};

// The texts of the checks whose wording differs between the four NEST files
// (with the parameter a text does not name added in brackets).
struct Messages {
    const char* reset;  // V_reset < V_peak
    const char* C_m;
    const char* t_ref;
    bool v_peak_first;  // aeif_cond_exp checks V_peak >= V_th before Delta_T and V_reset
};

struct Variant {
    const char* name;
    int size;  // State_::STATE_VEC_SIZE
    int (*dynamics)(double, const double[], double[], void*);
    bool conductance;  // has E_ex, E_in
    bool alpha;        // a spike's weight goes to the derivative, scaled by e / tau_syn
    int spike_ex, spike_in;  // the state element a spike's weight is added to
    int w;                   // State_::W
    std::vector<std::pair<const char*, int>> state_keys;  // State_::set, key -> element
    std::vector<Recordable> recordables;                  // NEST's recordablesMap_, in its order
    Messages messages;
};

const Variant& cond_alpha_variant() {
    using namespace cond_alpha;
    static const Variant v{"aeif_cond_alpha", STATE_VEC_SIZE, dynamics, true, true, DG_EXC, DG_INH, W,
                           {{"V_m", V_M}, {"g_ex", G_EXC}, {"dg_ex", DG_EXC}, {"g_in", G_INH}, {"dg_in", DG_INH}, {"w", W}},
                           {{"V_m", "mV", V_M}, {"g_ex", "nS", G_EXC}, {"g_in", "nS", G_INH}, {"w", "pA", W}},
                           {"Ensure that: V_reset < V_peak .", "Capacitance must be strictly positive. (C_m > 0)",
                            "Refractory time cannot be negative. (t_ref >= 0)", false}};
    return v;
}

const Variant& cond_exp_variant() {
    using namespace cond_exp;
    static const Variant v{"aeif_cond_exp", STATE_VEC_SIZE, dynamics, true, false, G_EXC, G_INH, W,
                           {{"V_m", V_M}, {"g_ex", G_EXC}, {"g_in", G_INH}, {"w", W}},
                           {{"V_m", "mV", V_M}, {"g_ex", "nS", G_EXC}, {"g_in", "nS", G_INH}, {"w", "pA", W}},
                           {"Ensure that: V_reset < V_peak .", "Ensure that C_m >0",
                            "Refractory time cannot be negative. (t_ref >= 0)", true}};
    return v;
}

const Variant& psc_alpha_variant() {
    using namespace psc_alpha;
    static const Variant v{
        "aeif_psc_alpha", STATE_VEC_SIZE, dynamics, false, true, DI_EXC, DI_INH, W,
        {{"V_m", V_M}, {"I_syn_ex", I_EXC}, {"dI_syn_ex", DI_EXC}, {"I_syn_in", I_INH}, {"dI_syn_in", DI_INH}, {"w", W}},
        {{"V_m", "mV", V_M}, {"I_syn_ex", "pA", I_EXC}, {"I_syn_in", "pA", I_INH}, {"w", "pA", W}},
        {"Ensure that V_reset < V_peak .", "Capacitance must be strictly positive. (C_m > 0)",
         "Refractory time cannot be negative. (t_ref >= 0)", false}};
    return v;
}

const Variant& psc_exp_variant() {
    using namespace psc_exp;
    static const Variant v{"aeif_psc_exp", STATE_VEC_SIZE, dynamics, false, false, I_EXC, I_INH, W,
                           {{"V_m", V_M}, {"I_syn_ex", I_EXC}, {"I_syn_in", I_INH}, {"w", W}},
                           {{"V_m", "mV", V_M}, {"I_syn_ex", "pA", I_EXC}, {"I_syn_in", "pA", I_INH}, {"w", "pA", W}},
                           {"Ensure that V_reset < V_peak .", "Ensure that C_m > 0", "Ensure that t_ref >= 0", false}};
    return v;
}

constexpr int V_M = 0;  // first in every layout

// NEST's Parameters_::set checks, in the model's order and words.
void check(const AeifParams& p, const Variant& v, const ParamReader& r) {
    const Messages& m = v.messages;
    auto v_peak = [&] {
        if (p.V_peak < p.V_th) r.fail(v.name, "V_peak >= V_th required.");
    };
    if (m.v_peak_first) v_peak();
    if (!m.v_peak_first && p.V_reset >= p.V_peak) r.fail(v.name, m.reset);
    if (p.Delta_T < 0.) {
        r.fail(v.name, "Delta_T must be positive.");
    } else if (p.Delta_T > 0.) {
        // exp((V_peak - V_th) / Delta_T) must stay 1e20 below the largest double.
        const double max_exp_arg = std::log(std::numeric_limits<double>::max() / 1e20);
        if ((p.V_peak - p.V_th) / p.Delta_T >= max_exp_arg)
            // NEST's text (its string pieces are joined there without the spaces between them).
            r.fail(v.name,
                   "The current combination of V_peak, V_th and Delta_T will lead to numerical overflow at spike "
                   "time; try for instance to increase Delta_T or to reduce V_peak to avoid this problem.");
    }
    if (m.v_peak_first && p.V_reset >= p.V_peak) r.fail(v.name, m.reset);
    if (!m.v_peak_first) v_peak();
    if (p.C_m <= 0) r.fail(v.name, m.C_m);
    if (p.t_ref < 0) r.fail(v.name, m.t_ref);
    if (p.tau_syn_ex <= 0 || p.tau_syn_in <= 0 || p.tau_w <= 0)
        r.fail(v.name, "All time constants must be strictly positive. (tau_syn_ex, tau_syn_in, tau_w > 0)");
    if (p.gsl_error_tol <= 0.) r.fail(v.name, "The gsl_error_tol must be strictly positive.");
}

class AeifGroup final : public NeuronGroup {
public:
    AeifGroup(const Variant& variant, const std::vector<ParameterSet>& sets,
              const std::vector<std::uint32_t>& set_of_neuron, const TimeGrid& grid)
        : v_(variant), n_(static_cast<std::size_t>(variant.size)),
          step_(grid.resolution_ms()) {  // Time::get_resolution().get_ms()
        std::vector<std::vector<double>> y_init;
        for (const auto& set : sets) {
            ParamReader r(set);
            AeifParams p;
            // Parameters_::set: every potential is absolute, so a given E_L
            // moves none of the others.
            r.number("V_th", p.V_th);
            r.number("V_peak", p.V_peak);
            r.number("t_ref", p.t_ref);
            r.number("E_L", p.E_L);
            r.number("V_reset", p.V_reset);
            if (v_.conductance) {
                r.number("E_ex", p.E_ex);
                r.number("E_in", p.E_in);
            }
            r.number("C_m", p.C_m);
            r.number("g_L", p.g_L);
            r.number("tau_syn_ex", p.tau_syn_ex);
            r.number("tau_syn_in", p.tau_syn_in);
            r.number("a", p.a);
            r.number("b", p.b);
            r.number("Delta_T", p.Delta_T);
            r.number("tau_w", p.tau_w);
            r.number("I_e", p.I_e);
            r.number("gsl_error_tol", p.gsl_error_tol);
            // State_::set on State_(P_) of the *default* parameters: V_m
            // starts at the default E_L (-70.6 mV) whatever E_L is given.
            std::vector<double> y(n_, 0.0);
            y[V_M] = -70.6;
            for (const auto& [key, index] : v_.state_keys) r.number(key, y[static_cast<std::size_t>(index)]);
            r.finish(v_.name);
            check(p, v_, r);
            // State_::set: the synaptic state (recordables 1 and 2: g_ex, g_in
            // or I_syn_ex, I_syn_in) must not be negative.
            const Recordable& ex = v_.recordables[1];
            const Recordable& in = v_.recordables[2];
            if (y[static_cast<std::size_t>(ex.index)] < 0 || y[static_cast<std::size_t>(in.index)] < 0)
                r.fail(v_.name, std::string("Conductances must not be negative. (") + ex.name + ", " + in.name + " >= 0)");
            // pre_run_hook
            p.V_spike = p.Delta_T > 0. ? p.V_peak : p.V_th;
            p.jump_ex = 1.0 * kE / p.tau_syn_ex;
            p.jump_in = 1.0 * kE / p.tau_syn_in;
            p.refractory_counts = grid.ms_to_steps_ceil(p.t_ref);
            props_.push_back(p);
            y_init.push_back(std::move(y));
            // init_buffers_: NEST's control per node; one per parameter set here.
            controls_.push_back(gsl::yp_control(p.gsl_error_tol, p.gsl_error_tol));
        }
        const std::size_t n = set_of_neuron.size();
        type_.assign(set_of_neuron.begin(), set_of_neuron.end());
        y_.resize(n * n_);
        for (std::size_t i = 0; i < n; ++i) std::copy(y_init[type_[i]].begin(), y_init[type_[i]].end(), &y_[i * n_]);
        r_.assign(n, 0);
        I_stim_.assign(n, 0.0);
        // B_.IntegrationStep_ starts at the resolution in NEST 3.10 (older
        // releases started at min(0.01 ms, dt); the reference traces tell them
        // apart from the first step on).
        integration_step_.assign(n, step_);

        // One stepper and one evolve for the whole group (gsl_solver.hpp says why).
        s_ = gsl::rkf45(n_);
        e_ = gsl::evolve(n_);
        sys_.function = v_.dynamics;
        sys_.jacobian = nullptr;
        sys_.dimension = n_;
        sys_.params = &ctx_;
    }

    AeifGroup(const AeifGroup&) = delete;  // sys_.params points into this object
    AeifGroup& operator=(const AeifGroup&) = delete;

    const char* model() const override { return v_.name; }
    std::size_t size() const override { return type_.size(); }
    int spike_channels() const override { return 2; }
    int channel(double weight, int receptor) const override {
        check_receptor(v_.name, receptor, 0, 0);
        return weight > 0.0 ? 0 : 1;  // NEST: weight > 0 ? spike_exc_ : spike_inh_ (-weight)
    }

    // NEST's update() for one lag. A neuron without refractory time can fire
    // more than once in a step: NEST then sends one spike per crossing, and so
    // `fired` holds its index once per crossing.
    void update(const double* const* spike_in, const double* current_in, std::vector<std::uint32_t>& fired) override {
        const double* w_ex = spike_in[0];
        const double* w_in = spike_in[1];
        const std::size_t W = static_cast<std::size_t>(v_.w);
        for (std::size_t i = 0; i < size(); ++i) {
            const AeifParams& P = props_[type_[i]];
            gsl_odeiv_control* control = controls_[type_[i]].get();
            double* y = &y_[i * n_];
            ctx_.P = &P;
            ctx_.I_stim = I_stim_[i];

            double t = 0.0;
            while (t < step_) {
                ctx_.is_refractory = r_[i] > 0;  // may change inside the loop at a spike
                gsl::apply(e_.get(), control, s_.get(), &sys_, &t, step_, &integration_step_[i], y, v_.name, i);
                // NEST's NumericalInstability check (V_m may explode upwards).
                if (y[V_M] < -1e3 || y[W] < -1e6 || y[W] > 1e6) {
                    std::ostringstream msg;
                    msg << v_.name << ": numerical instability for neuron " << i << " (V_m = " << y[V_M]
                        << " mV, w = " << y[W] << " pA; NEST stops when V_m < -1e3 mV or |w| > 1e6 pA)";
                    throw model_error(msg.str());
                }
                if (r_[i] > 0) {
                    y[V_M] = P.V_reset;
                } else if (y[V_M] >= P.V_spike) {
                    y[V_M] = P.V_reset;
                    y[W] += P.b;  // spike-driven adaptation
                    // + 1 for the count-down right after the loop; 0 without
                    // refractory time, so that the rest of this step is not clamped.
                    r_[i] = P.refractory_counts > 0 ? P.refractory_counts + 1 : 0;
                    fired.push_back(static_cast<std::uint32_t>(i));
                }
            }
            if (r_[i] > 0) --r_[i];

            // spike_inh_ holds -weight (summing negated weights equals negating the sum exactly)
            const double spike_exc = w_ex[i];
            const double spike_inh = -w_in[i];
            if (v_.alpha) {
                y[v_.spike_ex] += spike_exc * P.jump_ex;
                y[v_.spike_in] += spike_inh * P.jump_in;
            } else {
                y[v_.spike_ex] += spike_exc;
                y[v_.spike_in] += spike_inh;
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

    const std::vector<std::string>& recordables() const override { return names_; }
    std::string units(std::size_t which) const override { return v_.recordables[which].unit; }
    double get(std::size_t which, std::size_t i) const override {
        return y_[i * n_ + static_cast<std::size_t>(v_.recordables[which].index)];
    }

private:
    const Variant& v_;
    std::size_t n_;  // STATE_VEC_SIZE
    double step_;    // B_.step_
    std::vector<std::string> names_ = [this] {
        std::vector<std::string> out;
        for (const auto& rec : v_.recordables) out.emplace_back(rec.name);
        return out;
    }();
    std::vector<AeifParams> props_;
    std::vector<gsl::Control> controls_;  // per parameter set
    std::vector<std::uint32_t> type_;
    std::vector<double> y_;  // n_ per neuron, NEST's layout
    std::vector<Step> r_;
    std::vector<double> I_stim_;
    std::vector<double> integration_step_;  // B_.IntegrationStep_

    DynamicsContext ctx_;
    gsl::Step s_;
    gsl::Evolve e_;
    gsl_odeiv_system sys_{};
};

}  // namespace

std::unique_ptr<NeuronGroup> make_aeif_cond_alpha(const std::vector<ParameterSet>& sets,
                                                  const std::vector<std::uint32_t>& set_of_neuron, const TimeGrid& grid) {
    return std::make_unique<AeifGroup>(cond_alpha_variant(), sets, set_of_neuron, grid);
}
std::unique_ptr<NeuronGroup> make_aeif_cond_exp(const std::vector<ParameterSet>& sets,
                                                const std::vector<std::uint32_t>& set_of_neuron, const TimeGrid& grid) {
    return std::make_unique<AeifGroup>(cond_exp_variant(), sets, set_of_neuron, grid);
}
std::unique_ptr<NeuronGroup> make_aeif_psc_alpha(const std::vector<ParameterSet>& sets,
                                                 const std::vector<std::uint32_t>& set_of_neuron, const TimeGrid& grid) {
    return std::make_unique<AeifGroup>(psc_alpha_variant(), sets, set_of_neuron, grid);
}
std::unique_ptr<NeuronGroup> make_aeif_psc_exp(const std::vector<ParameterSet>& sets,
                                               const std::vector<std::uint32_t>& set_of_neuron, const TimeGrid& grid) {
    return std::make_unique<AeifGroup>(psc_exp_variant(), sets, set_of_neuron, grid);
}

}  // namespace pointsim::models
