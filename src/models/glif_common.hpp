#pragma once
// Internal to models/: what NEST's glif_psc and glif_cond share, the Allen
// Institute's GLIF1..GLIF5 mechanisms: the parameters with NEST's defaults
// and checks, the initial state, the decay rates of pre_run_hook and the
// threshold and after-spike-current arithmetic of update(). The membrane and
// its synapses (exact alpha PSCs, GSL-integrated conductances) are each
// model's own. Potentials are relative to E_L, as in NEST.
#include <cstddef>
#include <vector>

#include "models/parameters.hpp"

namespace pointsim::models::glif {

// NEST's Parameters_ (defaults of glif_psc and glif_cond alike).
struct Params {
    double G = 9.43;         // membrane conductance, nS: key "g" (glif_psc) or "g_m" (glif_cond)
    double E_L = -78.85;     // mV
    double th_inf = -51.68 - E_L;  // instantaneous threshold, mV relative to E_L
    double C_m = 58.72;      // pF
    double t_ref = 3.75;     // ms
    double V_reset = 0.0;    // mV relative to E_L
    double th_spike_add = 0.37;           // mV
    double th_spike_decay = 0.009;        // 1/ms
    double voltage_reset_fraction = 0.20;
    double voltage_reset_add = 18.51;     // mV
    double th_voltage_index = 0.005;      // 1/ms
    double th_voltage_decay = 0.09;       // 1/ms
    std::vector<double> asc_init{0.0, 0.0};         // pA
    std::vector<double> asc_decay{0.003, 0.1};      // 1/ms
    std::vector<double> asc_amps{-9.18, -198.94};   // pA
    std::vector<double> asc_r{1.0, 1.0};
    bool has_theta_spike = false;    // spike_dependent_threshold (R)
    bool has_asc = false;            // after_spike_currents (ASC)
    bool has_theta_voltage = false;  // adapting_threshold (A)
};

// The GLIF variant NEST's three flags select: 1 (none), 2 (R), 3 (ASC),
// 4 (R+ASC), 5 (R+ASC+A); 0 for a combination NEST refuses.
int variant(bool spike_dependent_threshold, bool after_spike_currents, bool adapting_threshold);

// Reads the keys of Parameters_::set that both models have, in NEST's order:
// E_L (V_reset and V_th keep their absolute values when not given), V_reset,
// V_th, the membrane conductance `g_key`, C_m, t_ref, the R and A constants,
// asc_init, asc_decay, asc_amps, asc_r and the three flags. Returns delta_EL
// (the change of E_L from the default), for the initial V. No checks.
double read_params(ParamReader& r, const char* g_key, Params& p);

// Parameters_::set's checks, with NEST's messages; each model calls them in
// its NEST model's order (glif_psc and glif_cond differ).
void check_mechanisms(const ParamReader& r, const char* model, const Params& p);      // the variant
void check_membrane(const ParamReader& r, const char* model, const char* g_key, const Params& p);  // V_reset < V_th, C_m, G, t_ref
void check_theta_spike(const ParamReader& r, const char* model, const Params& p);     // with R
void check_asc(const ParamReader& r, const char* model, const Params& p);             // with ASC
void check_theta_voltage(const ParamReader& r, const char* model, const Params& p);   // with A

// NEST's State_ as the node starts: built from the *default* parameters
// (U = 0 relative to the default E_L, ASCurrents = the default asc_init's two
// zeros, their sum 0), then State_::set.
struct State {
    double U = 0.0;  // V_m relative to E_L
    std::vector<double> ASCurrents{0.0, 0.0};
    double ASCurrents_sum = 0.0;
    double threshold_spike = 0.0, threshold_voltage = 0.0;
};

// State_::set: V_m (else the default's absolute value), ASCurrents,
// threshold_spike, threshold_voltage, with NEST's checks.
State read_state(ParamReader& r, const char* model, const Params& p, double delta_el);

// pointsim's rule after ParamReader::finish: with ASC, the initial currents
// must have one entry per asc_decay (NEST would index its rates with the
// default's two entries; asc_init never sets them).
void check_asc_count(const ParamReader& r, const char* model, const Params& p, const State& s);

// pre_run_hook's constants of the three mechanisms for step h (ms).
struct Rates {
    double theta_spike_decay_rate = 0.0, theta_spike_refractory_decay_rate = 0.0;
    std::vector<double> asc_decay_rates, asc_stable_coeff, asc_refractory_decay_rates;
    double potential_decay_rate = 0.0, theta_voltage_decay_rate_inverse = 0.0, phi = 0.0,
           abpara_ratio_voltage = 0.0;
};
Rates rates(const Params& p, double h);

// ----------------------------------------------------------------- update()

// An after-spike current over one step: adds its exact mean over the step to
// `sum`, then decays it to the step's end.
inline void advance_asc(double stable_coeff, double decay_rate, double& asc, double& sum) {
    sum += stable_coeff * asc;
    asc = asc * decay_rate;
}

inline double threshold(const Params& p, double threshold_spike, double threshold_voltage) {
    return threshold_spike + threshold_voltage + p.th_inf;
}

// The exact voltage component of the threshold (A) after one step, from the V
// before the step, the step's current I and after-spike current sum.
inline double next_threshold_voltage(const Params& p, const Rates& k, double threshold_voltage, double v_old,
                                     double I, double asc_sum) {
    const double beta = (I + asc_sum) / p.G;
    return k.phi * (v_old - beta) * k.potential_decay_rate +
           k.theta_voltage_decay_rate_inverse *
               (threshold_voltage - k.phi * (v_old - beta) - k.abpara_ratio_voltage * beta) +
           k.abpara_ratio_voltage * beta;
}

// NEST's update of a neuron that is not refractory, once the new V is known
// and the after-spike currents have advanced (their step sum is asc_sum): the
// voltage threshold component (A), the threshold, the test V > threshold
// (strictly) and on a spike the resets: each after-spike current (asc(a)
// gives a reference to current a), V (V_reset without R, else a fraction of
// the V before the step plus a constant) and, with R, the spike component.
// Returns true on a spike; the caller starts the refractory count.
template <class AscAt>
inline bool threshold_and_reset(const Params& p, const Rates& k, double v_old, double I, double asc_sum,
                                std::size_t n_asc, AscAt&& asc, double& v, double& threshold_now,
                                double& threshold_spike, double& threshold_voltage) {
    if (p.has_theta_voltage)
        threshold_voltage = next_threshold_voltage(p, k, threshold_voltage, v_old, I, asc_sum);
    threshold_now = threshold(p, threshold_spike, threshold_voltage);
    if (!(v > threshold_now)) return false;
    for (std::size_t a = 0; a < n_asc; ++a) {
        double& c = asc(a);
        c = p.asc_amps[a] + c * k.asc_refractory_decay_rates[a];
    }
    if (!p.has_theta_spike) {
        v = p.V_reset;
    } else {
        v = p.voltage_reset_fraction * v_old + p.voltage_reset_add;
        threshold_spike = threshold_spike * k.theta_spike_refractory_decay_rate + p.th_spike_add;
        threshold_now = threshold(p, threshold_spike, threshold_voltage);
    }
    return true;
}

}  // namespace pointsim::models::glif
