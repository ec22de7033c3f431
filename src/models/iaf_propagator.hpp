#pragma once
// Exact-integration propagators for a current-based LIF neuron with alpha or
// exponential PSCs, computed exactly as NEST's libnestutil/iaf_propagator.cpp
// so that results are bit-identical, including the tau_m == tau_syn case.

namespace pointsim::models {

struct AlphaPropagator {
    double p31;  // dI -> V
    double p32;  // I -> V
};

// Returns P31, P32 for time step h (NEST IAFPropagatorAlpha::evaluate).
AlphaPropagator iaf_propagator_alpha(double tau_syn, double tau_m, double c_m, double h);

// Returns P21 (I -> V) for exponential PSCs (NEST IAFPropagatorExp::evaluate).
double iaf_propagator_exp(double tau_syn, double tau_m, double c_m, double h);

}  // namespace pointsim::models
