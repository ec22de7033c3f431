#pragma once
// Parameter handling shared by NEST's iaf_psc_* models: potentials are stored
// relative to E_L, and a SetStatus that changes E_L without giving V_m,
// V_reset, V_th or V_min keeps their *absolute* values (semantics.md 3.3).
#include <cmath>
#include <limits>

#include "models/parameters.hpp"

namespace pointsim::models {

struct IafPotentials {
    double E_L = -70.0;
    double V_reset = -70.0 - (-70.0);  // relative to E_L
    double Theta = -55.0 - (-70.0);    // V_th relative to E_L
    double LowerBound = -std::numeric_limits<double>::infinity();  // V_min relative to E_L
    double y3 = 0.0;                   // initial V_m relative to E_L

    // Applies E_L, V_reset, V_th, V_min and V_m from the reader, as NEST's
    // Parameters_::set followed by State_::set does.
    void apply(ParamReader& r, bool has_v_min) {
        const double el_old = E_L;
        r.number("E_L", E_L);
        const double delta_el = E_L - el_old;
        double v;
        if (r.number("V_reset", v)) V_reset = v - E_L; else V_reset -= delta_el;
        if (r.number("V_th", v)) Theta = v - E_L; else Theta -= delta_el;
        if (has_v_min) {
            if (r.number("V_min", v)) LowerBound = v - E_L; else LowerBound -= delta_el;
        }
        if (r.number("V_m", v)) y3 = v - E_L; else y3 -= delta_el;
    }
};

}  // namespace pointsim::models
