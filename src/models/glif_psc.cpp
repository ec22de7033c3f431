// nest::glif_psc (NEST 3.x models/glif_psc.cpp): the Allen Institute's
// generalized LIF models GLIF1..GLIF5, chosen by three flags, with alpha
// PSCs on receptor ports 1..n (one per tau_syn), bit for bit.
#include <cmath>

#include "models/iaf_propagator.hpp"
#include "models/model_impl.hpp"
#include "models/parameters.hpp"

namespace pointsim::models {

namespace {

constexpr double kE = 2.718281828459045;  // numerics::e

struct GlifProps {
    // parameters (potentials relative to E_L)
    double G, E_L, th_inf, C_m, t_ref, V_reset;
    double th_spike_add, th_spike_decay, voltage_reset_fraction, voltage_reset_add;
    double th_voltage_index, th_voltage_decay;
    std::vector<double> asc_amps;
    bool has_theta_spike, has_asc, has_theta_voltage;
    // propagators
    double theta_spike_decay_rate = 0, theta_spike_refractory_decay_rate = 0;
    std::vector<double> asc_decay_rates, asc_stable_coeff, asc_refractory_decay_rates;
    double potential_decay_rate = 0, theta_voltage_decay_rate_inverse = 0, phi = 0, abpara_ratio_voltage = 0;
    double P33, P30;
    std::vector<double> P11, P21, P22, P31, P32, PSCInit;
    Step refractory_counts;
    std::size_t n_receptors() const { return P11.size(); }
};

struct GlifState {
    double U = 0, threshold = 0, threshold_spike = 0, threshold_voltage = 0, I = 0, I_syn = 0, ASCurrents_sum = 0;
    std::vector<double> ASCurrents, y1, y2;
    Step refractory_steps = 0;
};

class GlifPsc final : public NeuronGroup {
public:
    static constexpr const char* model_name = "glif_psc";

    GlifPsc(const std::vector<ParameterSet>& sets, const std::vector<std::uint32_t>& set_of_neuron, const TimeGrid& grid) {
        std::vector<GlifState> initial;
        for (const auto& set : sets) {
            auto [props, state] = lower(set, grid);
            max_receptors_ = std::max(max_receptors_, props.n_receptors());
            props_.push_back(std::move(props));
            initial.push_back(std::move(state));
        }
        type_.assign(set_of_neuron.begin(), set_of_neuron.end());
        for (auto t : type_) state_.push_back(initial[t]);
    }

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

    void update(const double* const* spike_in, const double* current_in, std::vector<std::uint32_t>& fired) override {
        const std::size_t n = size();
        for (std::size_t i = 0; i < n; ++i) {
            const GlifProps& p = props_[type_[i]];
            GlifState& s = state_[i];
            const double v_old = s.U;
            if (s.refractory_steps == 0) {
                if (p.has_theta_spike) s.threshold_spike = s.threshold_spike * p.theta_spike_decay_rate;
                s.ASCurrents_sum = 0.0;
                if (p.has_asc) {
                    for (std::size_t a = 0; a < s.ASCurrents.size(); ++a) {
                        s.ASCurrents_sum += (p.asc_stable_coeff[a] * s.ASCurrents[a]);
                        s.ASCurrents[a] = s.ASCurrents[a] * p.asc_decay_rates[a];
                    }
                }
                s.U = v_old * p.P33 + (s.I + s.ASCurrents_sum) * p.P30;
                s.I_syn = 0.0;
                for (std::size_t r = 0; r < p.n_receptors(); ++r) {
                    s.U += p.P31[r] * s.y1[r] + p.P32[r] * s.y2[r];
                    s.I_syn += s.y2[r];
                }
                if (p.has_theta_voltage) {
                    const double beta = (s.I + s.ASCurrents_sum) / p.G;
                    s.threshold_voltage =
                        p.phi * (v_old - beta) * p.potential_decay_rate +
                        p.theta_voltage_decay_rate_inverse * (s.threshold_voltage - p.phi * (v_old - beta) - p.abpara_ratio_voltage * beta) +
                        p.abpara_ratio_voltage * beta;
                }
                s.threshold = s.threshold_spike + s.threshold_voltage + p.th_inf;
                if (s.U > s.threshold) {  // strictly greater, unlike the iaf models
                    s.refractory_steps = p.refractory_counts;
                    if (p.has_asc) {
                        for (std::size_t a = 0; a < s.ASCurrents.size(); ++a)
                            s.ASCurrents[a] = p.asc_amps[a] + s.ASCurrents[a] * p.asc_refractory_decay_rates[a];
                    }
                    if (!p.has_theta_spike) {
                        s.U = p.V_reset;
                    } else {
                        s.U = p.voltage_reset_fraction * v_old + p.voltage_reset_add;
                        s.threshold_spike = s.threshold_spike * p.theta_spike_refractory_decay_rate + p.th_spike_add;
                        s.threshold = s.threshold_spike + s.threshold_voltage + p.th_inf;
                    }
                    fired.push_back(static_cast<std::uint32_t>(i));
                }
            } else {
                --s.refractory_steps;
                s.U = v_old;
                s.threshold = s.threshold_spike + s.threshold_voltage + p.th_inf;
            }
            for (std::size_t r = 0; r < p.n_receptors(); ++r) {
                s.y2[r] = p.P21[r] * s.y1[r] + p.P22[r] * s.y2[r];
                s.y1[r] *= p.P11[r];
                s.y1[r] += p.PSCInit[r] * spike_in[r][i];
            }
            s.I = current_in[i];
        }
    }

    const std::vector<std::string>& recordables() const override {
        static const std::vector<std::string> names{"V_m",       "ASCurrents_sum",  "I",
                                                    "I_syn",     "threshold",       "threshold_spike",
                                                    "threshold_voltage"};
        return names;
    }
    std::string units(std::size_t which) const override {
        return which == 0 || which >= 4 ? "mV" : "pA";
    }
    double get(std::size_t which, std::size_t i) const override {
        const GlifState& s = state_[i];
        const GlifProps& p = props_[type_[i]];
        switch (which) {
            case 0: return s.U + p.E_L;
            case 1: return s.ASCurrents_sum;
            case 2: return s.I;
            case 3: return s.I_syn;
            case 4: return s.threshold + p.E_L;
            case 5: return s.threshold_spike;
            default: return s.threshold_voltage;
        }
    }

private:
    static std::pair<GlifProps, GlifState> lower(const ParameterSet& set, const TimeGrid& grid) {
        ParamReader r(set);
        GlifProps p{};
        // NEST defaults (glif_psc::Parameters_::Parameters_), potentials relative to E_L.
        p.G = 9.43;
        p.E_L = -78.85;
        p.th_inf = -51.68 - p.E_L;
        p.C_m = 58.72;
        p.t_ref = 3.75;
        p.V_reset = 0.0;
        p.th_spike_add = 0.37;
        p.th_spike_decay = 0.009;
        p.voltage_reset_fraction = 0.20;
        p.voltage_reset_add = 18.51;
        p.th_voltage_index = 0.005;
        p.th_voltage_decay = 0.09;
        std::vector<double> asc_init{0.0, 0.0}, asc_decay{0.003, 0.1}, asc_r{1.0, 1.0}, tau_syn{2.0};
        p.asc_amps = {-9.18, -198.94};
        p.has_theta_spike = p.has_asc = p.has_theta_voltage = false;

        // Parameters_::set
        const double el_old = p.E_L;
        r.number("E_L", p.E_L);
        const double delta_el = p.E_L - el_old;
        double v;
        if (r.number("V_reset", v)) p.V_reset = v - p.E_L; else p.V_reset -= delta_el;
        if (r.number("V_th", v)) p.th_inf = v - p.E_L; else p.th_inf -= delta_el;
        r.number("g", p.G);
        r.number("C_m", p.C_m);
        r.number("t_ref", p.t_ref);
        r.number("th_spike_add", p.th_spike_add);
        r.number("th_spike_decay", p.th_spike_decay);
        r.number("voltage_reset_fraction", p.voltage_reset_fraction);
        r.number("voltage_reset_add", p.voltage_reset_add);
        r.number("th_voltage_index", p.th_voltage_index);
        r.number("th_voltage_decay", p.th_voltage_decay);
        r.numbers("asc_init", asc_init);
        r.numbers("asc_decay", asc_decay);
        r.numbers("asc_amps", p.asc_amps);
        r.numbers("asc_r", asc_r);
        r.boolean("spike_dependent_threshold", p.has_theta_spike);
        r.boolean("after_spike_currents", p.has_asc);
        r.boolean("adapting_threshold", p.has_theta_voltage);
        const bool R = p.has_theta_spike, ASC = p.has_asc, A = p.has_theta_voltage;
        if (!((!R && !ASC && !A) || (R && !ASC && !A) || (!R && ASC && !A) || (R && ASC && !A) || (R && ASC && A)))
            r.fail(model_name, "incorrect combination of spike_dependent_threshold, after_spike_currents and "
                               "adapting_threshold (valid: GLIF1 none, GLIF2 R, GLIF3 ASC, GLIF4 R+ASC, GLIF5 R+ASC+A)");
        if (ASC) {
            const std::size_t n = asc_decay.size();
            if (asc_init.size() != n || p.asc_amps.size() != n || asc_r.size() != n)
                r.fail(model_name, "asc_init, asc_decay, asc_amps and asc_r must have the same size");
            for (std::size_t a = 0; a < n; ++a) {
                if (asc_decay[a] <= 0.0) r.fail(model_name, "After-spike current time constant must be strictly positive (asc_decay).");
                if (asc_r[a] < 0.0 || asc_r[a] > 1.0) r.fail(model_name, "asc_r must be within [0.0, 1.0].");
            }
        }
        if (p.V_reset >= p.th_inf) r.fail(model_name, "Reset potential must be smaller than threshold (V_reset < V_th).");
        if (p.C_m <= 0.0) r.fail(model_name, "Capacitance must be strictly positive (C_m).");
        if (p.G <= 0.0) r.fail(model_name, "Membrane conductance must be strictly positive (g).");
        if (p.t_ref <= 0.0) r.fail(model_name, "Refractory time constant must be strictly positive (t_ref).");
        if (A && p.th_voltage_decay <= 0.0) r.fail(model_name, "th_voltage_decay must be strictly positive.");
        if (R) {
            if (p.th_spike_decay <= 0.0) r.fail(model_name, "th_spike_decay must be strictly positive.");
            if (p.voltage_reset_fraction < 0.0 || p.voltage_reset_fraction > 1.0)
                r.fail(model_name, "voltage_reset_fraction must be within [0.0, 1.0].");
        }
        if (r.numbers("tau_syn", tau_syn)) {
            for (double t : tau_syn)
                if (t <= 0) r.fail(model_name, "All synaptic time constants must be strictly positive (tau_syn).");
        }

        // State_: U = 0 and ASCurrents from the *default* asc_init (the node is
        // built before the parameters are set), then State_::set.
        GlifState s;
        s.U = 0.0;
        s.ASCurrents.assign(2, 0.0);
        if (r.number("V_m", v)) s.U = v - p.E_L; else s.U -= delta_el;
        std::vector<double> asc_now;
        if (r.numbers("ASCurrents", asc_now)) {
            if (!ASC) r.fail(model_name, "ASCurrents can only be set with after_spike_currents.");
            if (asc_now.size() != asc_decay.size()) r.fail(model_name, "ASCurrents must have the size of asc_decay.");
            s.ASCurrents = asc_now;
        }
        if (r.number("threshold_spike", s.threshold_spike) && !R)
            r.fail(model_name, "threshold_spike can only be set with spike_dependent_threshold.");
        if (r.number("threshold_voltage", s.threshold_voltage) && !A)
            r.fail(model_name, "threshold_voltage can only be set with adapting_threshold.");
        r.finish(model_name);
        if (ASC && s.ASCurrents.size() != asc_decay.size())
            r.fail(model_name, "asc_decay must have 2 entries unless ASCurrents gives the initial currents.");

        // pre_run_hook
        const double h = grid.ms_per_step();
        if (R) {
            p.theta_spike_decay_rate = std::exp(-p.th_spike_decay * h);
            p.theta_spike_refractory_decay_rate = std::exp(-p.th_spike_decay * p.t_ref);
        }
        if (ASC) {
            for (std::size_t a = 0; a < asc_decay.size(); ++a) {
                p.asc_decay_rates.push_back(std::exp(-asc_decay[a] * h));
                p.asc_stable_coeff.push_back(((1.0 / asc_decay[a]) / h) * (1.0 - p.asc_decay_rates[a]));
                p.asc_refractory_decay_rates.push_back(asc_r[a] * std::exp(-asc_decay[a] * p.t_ref));
            }
        }
        if (A) {
            p.potential_decay_rate = std::exp(-p.G * h / p.C_m);
            p.theta_voltage_decay_rate_inverse = 1 / (std::exp(p.th_voltage_decay * h));
            p.phi = p.th_voltage_index / (p.th_voltage_decay - p.G / p.C_m);
            p.abpara_ratio_voltage = p.th_voltage_index / p.th_voltage_decay;
        }
        const double tau = p.C_m / p.G;
        p.P33 = std::exp(-h / tau);
        p.P30 = 1 / p.C_m * (1 - p.P33) * tau;
        for (double ts : tau_syn) {
            const double P11 = std::exp(-h / ts);
            p.P11.push_back(P11);
            p.P22.push_back(P11);
            p.P21.push_back(h * P11);
            const AlphaPropagator prop = iaf_propagator_alpha(ts, tau, p.C_m, h);
            p.P31.push_back(prop.p31);
            p.P32.push_back(prop.p32);
            p.PSCInit.push_back(1.0 * kE / ts);
        }
        p.refractory_counts = grid.ms_to_steps_ceil(p.t_ref);
        s.threshold = p.th_inf;
        s.ASCurrents_sum = 0.0;
        for (double a : s.ASCurrents) s.ASCurrents_sum += a;
        s.y1.assign(tau_syn.size(), 0.0);
        s.y2.assign(tau_syn.size(), 0.0);
        return {std::move(p), std::move(s)};
    }

    std::vector<GlifProps> props_;
    std::vector<std::uint32_t> type_;
    std::vector<GlifState> state_;
    std::size_t max_receptors_ = 0;
};

}  // namespace

std::unique_ptr<NeuronGroup> make_glif_psc(const std::vector<ParameterSet>& sets,
                                           const std::vector<std::uint32_t>& set_of_neuron, const TimeGrid& grid) {
    return std::make_unique<GlifPsc>(sets, set_of_neuron, grid);
}

}  // namespace pointsim::models
