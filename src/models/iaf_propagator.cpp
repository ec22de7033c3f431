#include "models/iaf_propagator.hpp"

#include <cmath>
#include <limits>

namespace pointsim::models {

namespace {

// Below h_min_regular the regular formula for P31 loses all precision.
constexpr double kNumericalStabilityFactor = 1e-7;

struct Constants {
    double h_min_regular, beta, gamma, inv_tau_syn, inv_tau_m, inv_c_m, inv_beta;
    Constants(double tau_syn, double tau_m, double c_m)
        : h_min_regular(kNumericalStabilityFactor * tau_m * tau_m / std::abs(tau_m - tau_syn)),
          beta(tau_syn * tau_m / (tau_m - tau_syn)),  // inf when tau_m == tau_syn, handled below
          gamma(beta / c_m),
          inv_tau_syn(1 / tau_syn),
          inv_tau_m(1 / tau_m),
          inv_c_m(1 / c_m),
          inv_beta((tau_m - tau_syn) / (tau_syn * tau_m)) {}
};

struct P32Result {
    double p32, exp_h_tau_syn, expm1_h_tau, exp_h_tau;  // exp_h_tau is NaN unless computed
};

P32Result evaluate_p32(const Constants& c, double h) {
    const double exp_h_tau_syn = std::exp(-h * c.inv_tau_syn);
    const double expm1_h_tau = std::expm1(h * c.inv_beta);
    const double p32 = c.gamma * exp_h_tau_syn * expm1_h_tau;
    if (std::isnormal(p32) && p32 > 0) return {p32, exp_h_tau_syn, expm1_h_tau, std::numeric_limits<double>::quiet_NaN()};
    const double exp_h_tau = std::exp(-h * c.inv_tau_m);
    return {h * c.inv_c_m * exp_h_tau, exp_h_tau_syn, expm1_h_tau, exp_h_tau};
}

}  // namespace

AlphaPropagator iaf_propagator_alpha(double tau_syn, double tau_m, double c_m, double h) {
    const Constants c(tau_syn, tau_m, c_m);
    P32Result r = evaluate_p32(c, h);
    if (h > c.h_min_regular) return {c.gamma * r.exp_h_tau_syn * (c.beta * r.expm1_h_tau - h), r.p32};
    if (std::isnan(r.exp_h_tau)) r.exp_h_tau = std::exp(-h * c.inv_tau_m);
    return {0.5 * h * h * c.inv_c_m * r.exp_h_tau, r.p32};
}

double iaf_propagator_exp(double tau_syn, double tau_m, double c_m, double h) {
    return evaluate_p32(Constants(tau_syn, tau_m, c_m), h).p32;
}

}  // namespace pointsim::models
