#pragma once
// GSL's adaptive RKF45 (the old gsl_odeiv API) as NEST's GSL models drive
// it: owned stepper, control and evolve objects, and the one call each model
// makes per substep. Internal to models/ (iaf_cond_*, aeif_*, hh_psc_alpha,
// glif_cond).
//
// A group shares one stepper and one evolve per state size: NEST allocates
// them per node, but neither carries state from one gsl_odeiv_evolve_apply to
// the next (their arrays are scratch, evolve's counters statistics) and a
// control holds only its constants. What does carry over, the adaptive step
// size (NEST's B_.IntegrationStep_), each model keeps per neuron.
#include <cstddef>
#include <memory>
#include <mutex>
#include <new>
#include <string>

#include <gsl/gsl_errno.h>
#include <gsl/gsl_odeiv.h>

#include "common/error.hpp"

namespace pointsim::models::gsl {

struct StepFree { void operator()(gsl_odeiv_step* p) const { gsl_odeiv_step_free(p); } };
struct ControlFree { void operator()(gsl_odeiv_control* p) const { gsl_odeiv_control_free(p); } };
struct EvolveFree { void operator()(gsl_odeiv_evolve* p) const { gsl_odeiv_evolve_free(p); } };
using Step = std::unique_ptr<gsl_odeiv_step, StepFree>;
using Control = std::unique_ptr<gsl_odeiv_control, ControlFree>;
using Evolve = std::unique_ptr<gsl_odeiv_evolve, EvolveFree>;

// GSL's default error handler calls abort(); every status is checked instead.
inline void turn_off_abort_handler() {
    static std::once_flag once;
    std::call_once(once, [] { gsl_set_error_handler_off(); });
}

template <class Owner, class T>
Owner checked(T* p) {
    if (!p) throw std::bad_alloc();
    return Owner(p);
}

inline Step rkf45(std::size_t dimension) {
    turn_off_abort_handler();
    return checked<Step>(gsl_odeiv_step_alloc(gsl_odeiv_step_rkf45, dimension));
}
inline Evolve evolve(std::size_t dimension) { return checked<Evolve>(gsl_odeiv_evolve_alloc(dimension)); }
// gsl_odeiv_control_y_new: the error of y alone (iaf_cond_*, hh_psc_alpha, glif_cond).
inline Control y_control(double eps_abs, double eps_rel) {
    return checked<Control>(gsl_odeiv_control_y_new(eps_abs, eps_rel));
}
// gsl_odeiv_control_yp_new: y and dy/dt (the aeif models).
inline Control yp_control(double eps_abs, double eps_rel) {
    return checked<Control>(gsl_odeiv_control_yp_new(eps_abs, eps_rel));
}

// One gsl_odeiv_evolve_apply from *t towards t1 with the neuron's step size
// *h, as NEST's update loop `while (t < B_.step_)` does; a GSL failure stops
// the run naming the model and the neuron.
inline void apply(gsl_odeiv_evolve* e, gsl_odeiv_control* c, gsl_odeiv_step* s, const gsl_odeiv_system* sys,
                  double* t, double t1, double* h, double* y, const char* model, std::size_t neuron) {
    const int status = gsl_odeiv_evolve_apply(e, c, s, sys, t, t1, h, y);
    if (status != GSL_SUCCESS)
        throw model_error(std::string(model) + ": GSL solver failure (status " + std::to_string(status) + ", " +
                          gsl_strerror(status) + ") for neuron " + std::to_string(neuron));
}

}  // namespace pointsim::models::gsl
