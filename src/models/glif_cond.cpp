// nest::glif_cond (NEST 3.10 models/glif_cond.cpp), bit for bit: the Allen
// GLIF1..GLIF5 mechanisms of glif_psc (glif_common.hpp) with alpha-shaped
// conductances on receptor ports 1..n (one per tau_syn and E_rev). V and the
// conductances are integrated by GSL's RKF45 (old gsl_odeiv API, y-control
// eps_abs 1e-3, eps_rel 0) with a per-neuron step carried over between
// simulation steps; then the threshold components and after-spike currents
// are advanced and the spike test and resets done, in NEST's order.
#include <algorithm>
#include <map>
#include <memory>
#include <string>

#include "models/glif_common.hpp"
#include "models/gsl_solver.hpp"
#include "models/model_impl.hpp"
#include "models/parameters.hpp"

namespace pointsim::models {

namespace {

// NEST's state vector y_: V (relative to E_L), then dg and g of each port.
constexpr std::size_t kV = 0;
constexpr std::size_t dg_index(std::size_t port) { return 1 + 2 * port; }
constexpr std::size_t g_index(std::size_t port) { return 2 + 2 * port; }

// Parameters_ (the GLIF part shared with glif_psc, the ports' tau_syn and
// E_rev) and pre_run_hook's Variables_.
struct CondProps : glif::Params, glif::Rates {
    std::vector<double> tau_syn{0.2, 2.0};  // ms
    std::vector<double> E_rev{0.0, -85.0};  // mV, absolute
    std::vector<double> CondInitialValues;  // e / tau_syn: a weight w peaks at w nS after tau_syn
    Step refractory_counts = 0;
    std::size_t n_asc = 0;    // after-spike currents advanced per step (0 without ASC)
    std::size_t solver = 0;   // the GSL stepper for this state size
    std::size_t n_receptors() const { return tau_syn.size(); }
    std::size_t dimension() const { return 1 + 2 * n_receptors(); }
};

// What glif_cond_dynamics reads from the node besides y[].
struct DynamicsContext {
    const CondProps* P = nullptr;
    bool is_refractory = false;  // node.S_.refractory_steps_ > 0
    double I = 0.0;              // node.B_.I_
    double ASCurrents_sum = 0.0; // node.S_.ASCurrents_sum_ (of the last step that was not refractory)
};

// nest::glif_cond_dynamics, expression for expression.
int glif_cond_dynamics(double, const double y[], double f[], void* pnode) {
    const DynamicsContext& node = *static_cast<const DynamicsContext*>(pnode);
    const CondProps& P = *node.P;
    const bool is_refractory = node.is_refractory;

    const double V = is_refractory ? P.V_reset : y[kV];

    double I_syn = 0.0;
    for (std::size_t i = 0; i < P.n_receptors(); ++i) I_syn += y[g_index(i)] * (V + P.E_L - P.E_rev[i]);

    const double I_leak = P.G * V;

    f[kV] = is_refractory ? 0.0 : (-I_leak - I_syn + node.I + node.ASCurrents_sum) / P.C_m;

    for (std::size_t i = 0; i < P.n_receptors(); ++i) {
        f[dg_index(i)] = -y[dg_index(i)] / P.tau_syn[i];
        f[g_index(i)] = y[dg_index(i)] - (y[g_index(i)] / P.tau_syn[i]);
    }
    return GSL_SUCCESS;
}

// A stepper and an evolve of one state size (shared by the neurons with that
// many ports: gsl_solver.hpp says why that is NEST's result).
struct Solver {
    gsl::Step step;
    gsl::Evolve evolve;
};

class GlifCond final : public NeuronGroup {
public:
    static constexpr const char* model_name = "glif_cond";

    GlifCond(const std::vector<ParameterSet>& sets, const std::vector<std::uint32_t>& set_of_neuron,
             const TimeGrid& grid)
        : step_(grid.resolution_ms()) {  // Time::get_resolution().get_ms()
        std::vector<glif::State> initial;
        std::map<std::size_t, std::size_t> solver_of_dimension;
        for (const auto& set : sets) {
            auto [props, state] = lower(set, grid, step_);
            auto [it, added] = solver_of_dimension.emplace(props.dimension(), solvers_.size());
            if (added) {
                solvers_.push_back({gsl::rkf45(props.dimension()), gsl::evolve(props.dimension())});
            }
            props.solver = it->second;
            max_receptors_ = std::max(max_receptors_, props.n_receptors());
            max_asc_ = std::max(max_asc_, props.n_asc);
            props_.push_back(std::move(props));
            initial.push_back(std::move(state));
        }
        c_ = gsl::y_control(1e-3, 0.0);
        sys_.function = glif_cond_dynamics;
        sys_.jacobian = nullptr;
        sys_.params = &ctx_;

        for (const auto& [name, unit] : model_recordables(model_name)) {
            names_.push_back(name);
            units_.push_back(unit);
        }

        type_.assign(set_of_neuron.begin(), set_of_neuron.end());
        const std::size_t n = type_.size();
        offset_.resize(n);
        std::size_t total = 0;
        for (std::size_t i = 0; i < n; ++i) {
            offset_[i] = total;
            total += props_[type_[i]].dimension();
        }
        y_.assign(total, 0.0);  // pre_run_hook: the conductances start at 0
        for (auto* v : {&threshold_, &threshold_spike_, &threshold_voltage_, &ASCurrents_sum_, &I_})
            v->assign(n, 0.0);
        refractory_.assign(n, 0);
        integration_step_.assign(n, step_);
        ASCurrents_.assign(max_asc_, std::vector<double>(n, 0.0));
        for (std::size_t i = 0; i < n; ++i) {
            const CondProps& p = props_[type_[i]];
            const glif::State& s = initial[type_[i]];
            y_[offset_[i] + kV] = s.U;
            threshold_[i] = p.th_inf;
            threshold_spike_[i] = s.threshold_spike;
            threshold_voltage_[i] = s.threshold_voltage;
            ASCurrents_sum_[i] = s.ASCurrents_sum;
            for (std::size_t a = 0; a < p.n_asc; ++a) ASCurrents_[a][i] = s.ASCurrents[a];
        }
    }

    GlifCond(const GlifCond&) = delete;  // sys_.params points into this object
    GlifCond& operator=(const GlifCond&) = delete;

    const char* model() const override { return model_name; }
    std::size_t size() const override { return type_.size(); }
    int spike_channels() const override { return static_cast<int>(std::max<std::size_t>(max_receptors_, 1)); }
    int channel(double, int receptor) const override {
        // NEST: rport 1..n_receptors, 0 is rejected (handles_test_event).
        check_receptor(model_name, receptor, 1, static_cast<int>(max_receptors_));
        return receptor - 1;
    }
    int channel_for(double, int receptor, std::size_t neuron) const override {
        check_receptor(model_name, receptor, 1, static_cast<int>(props_[type_[neuron]].n_receptors()));
        return receptor - 1;
    }

    // NEST's glif_cond::update for one lag: integrate, then (not refractory)
    // the spike threshold component's decay, the after-spike currents, the
    // threshold and spike test with the resets, or (refractory) V held at its
    // value before the step; then the spikes of the step and the current.
    void update(const double* const* spike_in, const double* current_in, std::vector<std::uint32_t>& fired) override {
        const std::size_t n = size();
        for (std::size_t i = 0; i < n; ++i) {
            const CondProps& P = props_[type_[i]];
            double* y = &y_[offset_[i]];
            const double v_old = y[kV];

            ctx_.P = &P;
            ctx_.is_refractory = refractory_[i] > 0;
            ctx_.I = I_[i];
            ctx_.ASCurrents_sum = ASCurrents_sum_[i];
            sys_.dimension = P.dimension();
            Solver& solver = solvers_[P.solver];
            double t = 0.0;
            while (t < step_) {
                gsl::apply(solver.evolve.get(), c_.get(), solver.step.get(), &sys_, &t, step_, &integration_step_[i], y,
                           model_name, i);
            }

            if (refractory_[i] == 0) {
                if (P.has_theta_spike) threshold_spike_[i] = threshold_spike_[i] * P.theta_spike_decay_rate;
                double asc_sum = 0.0;
                for (std::size_t a = 0; a < P.n_asc; ++a)
                    glif::advance_asc(P.asc_stable_coeff[a], P.asc_decay_rates[a], ASCurrents_[a][i], asc_sum);
                ASCurrents_sum_[i] = asc_sum;
                double v = y[kV];
                if (glif::threshold_and_reset(P, P, v_old, I_[i], asc_sum, P.n_asc,
                                              [&](std::size_t a) -> double& { return ASCurrents_[a][i]; }, v,
                                              threshold_[i], threshold_spike_[i], threshold_voltage_[i])) {
                    refractory_[i] = P.refractory_counts;
                    fired.push_back(static_cast<std::uint32_t>(i));
                }
                y[kV] = v;
            } else {
                --refractory_[i];
                y[kV] = v_old;
                threshold_[i] = glif::threshold(P, threshold_spike_[i], threshold_voltage_[i]);
            }

            for (std::size_t r = 0; r < P.n_receptors(); ++r) y[dg_index(r)] += spike_in[r][i] * P.CondInitialValues[r];
            I_[i] = current_in[i];
        }
    }

    void state_fields(StateFields& fields) override {
        fields.add("y", y_);
        fields.add("threshold", threshold_);
        fields.add("threshold_spike", threshold_spike_);
        fields.add("threshold_voltage", threshold_voltage_);
        fields.add("ASCurrents_sum", ASCurrents_sum_);
        for (std::size_t a = 0; a < ASCurrents_.size(); ++a)
            fields.add("ASCurrents[" + std::to_string(a) + "]", ASCurrents_[a]);
        fields.add("refractory", refractory_);
        fields.add("I", I_);
        fields.add("integration_step", integration_step_);
    }

    // The registry's table (src/models/registry.cpp): NEST's V_m, I,
    // ASCurrents_sum, threshold, threshold_spike, threshold_voltage, then
    // g_1, g_2, ... for a fixed number of ports (NEST names one per port).
    const std::vector<std::string>& recordables() const override { return names_; }
    std::string units(std::size_t which) const override { return units_[which]; }
    double get(std::size_t which, std::size_t i) const override {
        const CondProps& P = props_[type_[i]];
        switch (which) {
            case 0: return y_[offset_[i] + kV] + P.E_L;
            case 1: return I_[i];
            case 2: return ASCurrents_sum_[i];
            case 3: return threshold_[i] + P.E_L;
            case 4: return threshold_spike_[i];
            case 5: return threshold_voltage_[i];
            default: {
                // g_k of a neuron without port k: 0 (NEST has no such recordable for it).
                const std::size_t port = which - 6;
                return port < P.n_receptors() ? y_[offset_[i] + g_index(port)] : 0.0;
            }
        }
    }

private:
    static std::pair<CondProps, glif::State> lower(const ParameterSet& set, const TimeGrid& grid, double h) {
        ParamReader r(set);
        CondProps p;
        // Parameters_::set: its checks in glif_cond's order, then the ports.
        const double delta_el = glif::read_params(r, "g_m", p);
        glif::check_mechanisms(r, model_name, p);
        glif::check_membrane(r, model_name, "g_m", p);
        glif::check_theta_spike(r, model_name, p);
        glif::check_asc(r, model_name, p);
        glif::check_theta_voltage(r, model_name, p);
        const bool tau_given = r.numbers("tau_syn", p.tau_syn);
        const bool E_rev_given = r.numbers("E_rev", p.E_rev);
        if (tau_given || E_rev_given) {
            if (p.E_rev.size() != p.tau_syn.size())
                r.fail(model_name, "The reversal potential and synaptic time constant arrays, i.e., E_rev (" +
                                       std::to_string(p.E_rev.size()) + ") and tau_syn (" +
                                       std::to_string(p.tau_syn.size()) + "), must have the same size.");
            for (double t : p.tau_syn)
                if (t <= 0) r.fail(model_name, "All synaptic time constants must be strictly positive (tau_syn > 0).");
        }
        // State_::set
        const glif::State s = glif::read_state(r, model_name, p, delta_el);
        r.finish(model_name);
        glif::check_asc_count(r, model_name, p, s);

        // pre_run_hook
        static_cast<glif::Rates&>(p) = glif::rates(p, h);
        p.n_asc = p.has_asc ? p.asc_decay_rates.size() : 0;
        for (double tau : p.tau_syn) p.CondInitialValues.push_back(1.0 * kE / tau);
        p.refractory_counts = grid.ms_to_steps_ceil(p.t_ref);
        return {std::move(p), s};
    }

    double step_;  // B_.step_ (and pre_run_hook's h)
    std::vector<CondProps> props_;
    std::vector<std::uint32_t> type_;
    std::vector<std::string> names_, units_;
    // NEST's State_ per neuron: y_ (V, dg, g per port) at offset_[i], the rest as arrays.
    std::vector<std::size_t> offset_;
    std::vector<double> y_;
    std::vector<double> threshold_, threshold_spike_, threshold_voltage_, ASCurrents_sum_;
    std::vector<std::vector<double>> ASCurrents_;  // [current a][neuron]
    std::vector<Step> refractory_;                 // steps left
    std::vector<double> I_;                        // B_.I_: the step current of the next step
    std::vector<double> integration_step_;         // B_.IntegrationStep_
    std::size_t max_receptors_ = 0;
    std::size_t max_asc_ = 0;

    DynamicsContext ctx_;
    std::vector<Solver> solvers_;
    gsl::Control c_;
    gsl_odeiv_system sys_{};
};

}  // namespace

std::unique_ptr<NeuronGroup> make_glif_cond(const std::vector<ParameterSet>& sets,
                                            const std::vector<std::uint32_t>& set_of_neuron, const TimeGrid& grid) {
    return std::make_unique<GlifCond>(sets, set_of_neuron, grid);
}

}  // namespace pointsim::models
