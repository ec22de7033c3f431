// Parameters, checks, initial state and pre_run_hook constants shared by
// glif_psc and glif_cond (NEST 3.10 models/glif_psc.cpp, glif_cond.cpp).
#include "models/glif_common.hpp"

#include <cmath>
#include <string>

namespace pointsim::models::glif {

int variant(bool R, bool ASC, bool A) {
    if (!R && !ASC && !A) return 1;
    if (R && !ASC && !A) return 2;
    if (!R && ASC && !A) return 3;
    if (R && ASC && !A) return 4;
    if (R && ASC && A) return 5;
    return 0;
}

double read_params(ParamReader& r, const char* g_key, Params& p) {
    const double el_old = p.E_L;
    r.number("E_L", p.E_L);
    const double delta_el = p.E_L - el_old;
    double v;
    if (r.number("V_reset", v)) p.V_reset = v - p.E_L; else p.V_reset -= delta_el;
    if (r.number("V_th", v)) p.th_inf = v - p.E_L; else p.th_inf -= delta_el;
    r.number(g_key, p.G);
    r.number("C_m", p.C_m);
    r.number("t_ref", p.t_ref);
    r.number("th_spike_add", p.th_spike_add);
    r.number("th_spike_decay", p.th_spike_decay);
    r.number("voltage_reset_fraction", p.voltage_reset_fraction);
    r.number("voltage_reset_add", p.voltage_reset_add);
    r.number("th_voltage_index", p.th_voltage_index);
    r.number("th_voltage_decay", p.th_voltage_decay);
    r.numbers("asc_init", p.asc_init);
    r.numbers("asc_decay", p.asc_decay);
    r.numbers("asc_amps", p.asc_amps);
    r.numbers("asc_r", p.asc_r);
    r.boolean("spike_dependent_threshold", p.has_theta_spike);
    r.boolean("after_spike_currents", p.has_asc);
    r.boolean("adapting_threshold", p.has_theta_voltage);
    return delta_el;
}

void check_mechanisms(const ParamReader& r, const char* model, const Params& p) {
    if (variant(p.has_theta_spike, p.has_asc, p.has_theta_voltage) == 0)
        r.fail(model, "Incorrect model mechanism combination setting of spike_dependent_threshold, "
                      "after_spike_currents, adapting_threshold (valid: GLIF1 none, GLIF2 R, GLIF3 ASC, "
                      "GLIF4 R+ASC, GLIF5 R+ASC+A).");
}

void check_membrane(const ParamReader& r, const char* model, const char* g_key, const Params& p) {
    if (p.V_reset >= p.th_inf) r.fail(model, "Reset potential must be smaller than threshold (V_reset < V_th).");
    if (p.C_m <= 0.0) r.fail(model, "Capacitance must be strictly positive (C_m > 0).");
    if (p.G <= 0.0) r.fail(model, "Membrane conductance must be strictly positive (" + std::string(g_key) + " > 0).");
    if (p.t_ref <= 0.0) r.fail(model, "Refractory time constant must be strictly positive (t_ref > 0).");
}

void check_theta_spike(const ParamReader& r, const char* model, const Params& p) {
    if (!p.has_theta_spike) return;
    if (p.th_spike_decay <= 0.0)
        r.fail(model, "Spike induced threshold time constant must be strictly positive (th_spike_decay > 0).");
    if (p.voltage_reset_fraction < 0.0 || p.voltage_reset_fraction > 1.0)
        r.fail(model, "Voltage fraction coefficient following spike must be within [0.0, 1.0] "
                      "(voltage_reset_fraction).");
}

void check_asc(const ParamReader& r, const char* model, const Params& p) {
    if (!p.has_asc) return;
    const std::size_t n = p.asc_decay.size();
    if (p.asc_init.size() != n || p.asc_amps.size() != n || p.asc_r.size() != n)
        r.fail(model, "All after spike current parameters (i.e., asc_init, k, asc_amps, r) must have the same size "
                      "(asc_init " + std::to_string(p.asc_init.size()) + ", asc_decay " + std::to_string(n) +
                      ", asc_amps " + std::to_string(p.asc_amps.size()) + ", asc_r " +
                      std::to_string(p.asc_r.size()) + ").");
    for (std::size_t a = 0; a < n; ++a) {
        if (p.asc_decay[a] <= 0.0)
            r.fail(model, "After-spike current time constant must be strictly positive (asc_decay > 0).");
        if (p.asc_r[a] < 0.0 || p.asc_r[a] > 1.0)
            r.fail(model, "After spike current fraction following spike coefficients r must be within [0.0, 1.0] "
                          "(asc_r).");
    }
}

void check_theta_voltage(const ParamReader& r, const char* model, const Params& p) {
    if (p.has_theta_voltage && p.th_voltage_decay <= 0.0)
        r.fail(model, "Voltage-induced threshold time constant must be strictly positive (th_voltage_decay > 0).");
}

State read_state(ParamReader& r, const char* model, const Params& p, double delta_el) {
    State s;
    double v;
    if (r.number("V_m", v)) s.U = v - p.E_L; else s.U -= delta_el;
    std::vector<double> asc_now;
    if (r.numbers("ASCurrents", asc_now)) {
        if (!p.has_asc)
            r.fail(model, "After spike currents are not supported or settable in the current model mechanisms "
                          "(ASCurrents needs after_spike_currents).");
        if (asc_now.size() != p.asc_decay.size())
            r.fail(model, "After spike current values must have the same size (" +
                              std::to_string(p.asc_decay.size()) +
                              ") as their parameters (i.e., asc_init, k, asc_amps, r) (ASCurrents, asc_decay).");
        s.ASCurrents = asc_now;
    }
    if (r.number("threshold_spike", s.threshold_spike) && !p.has_theta_spike)
        r.fail(model, "Threshold spike component is not supported or settable in the current model mechanisms "
                      "(threshold_spike needs spike_dependent_threshold).");
    if (r.number("threshold_voltage", s.threshold_voltage) && !p.has_theta_voltage)
        r.fail(model, "Threshold voltage component is not supported or settable in the current model mechanisms "
                      "(threshold_voltage needs adapting_threshold).");
    return s;
}

void check_asc_count(const ParamReader& r, const char* model, const Params& p, const State& s) {
    if (p.has_asc && s.ASCurrents.size() != p.asc_decay.size())
        r.fail(model, "asc_decay must have 2 entries unless ASCurrents gives the initial currents (NEST starts "
                      "from the default asc_init's 2 zeros whatever asc_init is).");
}

Rates rates(const Params& p, double h) {
    Rates k;
    if (p.has_theta_spike) {
        k.theta_spike_decay_rate = std::exp(-p.th_spike_decay * h);
        k.theta_spike_refractory_decay_rate = std::exp(-p.th_spike_decay * p.t_ref);
    }
    if (p.has_asc) {
        for (std::size_t a = 0; a < p.asc_decay.size(); ++a) {
            k.asc_decay_rates.push_back(std::exp(-p.asc_decay[a] * h));
            k.asc_stable_coeff.push_back(((1.0 / p.asc_decay[a]) / h) * (1.0 - k.asc_decay_rates[a]));
            k.asc_refractory_decay_rates.push_back(p.asc_r[a] * std::exp(-p.asc_decay[a] * p.t_ref));
        }
    }
    if (p.has_theta_voltage) {
        k.potential_decay_rate = std::exp(-p.G * h / p.C_m);
        k.theta_voltage_decay_rate_inverse = 1 / (std::exp(p.th_voltage_decay * h));
        k.phi = p.th_voltage_index / (p.th_voltage_decay - p.G / p.C_m);
        k.abpara_ratio_voltage = p.th_voltage_index / p.th_voltage_decay;
    }
    return k;
}

}  // namespace pointsim::models::glif
