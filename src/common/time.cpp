#include "common/time.hpp"

#include <cmath>
#include <sstream>

#include "common/error.hpp"

namespace pointsim {

Tic TimeGrid::ms_to_tics(double ms) { return static_cast<Tic>(std::llround(ms * kTicsPerMs)); }

TimeGrid TimeGrid::make(double dt_ms, double tstop_ms, const std::string& where) {
    std::ostringstream msg;
    if (!std::isfinite(dt_ms) || dt_ms <= 0) {
        msg << where << ": run.dt = " << dt_ms << " ms must be a positive number";
        throw config_error(msg.str());
    }
    const double tics = dt_ms * kTicsPerMs;
    const Tic rounded = static_cast<Tic>(std::llround(tics));
    if (rounded < 1 || std::abs(tics - static_cast<double>(rounded)) > 1e-6) {
        msg << where << ": run.dt = " << dt_ms << " ms is not a multiple of the 0.001 ms time grid";
        throw config_error(msg.str());
    }
    if (!std::isfinite(tstop_ms) || tstop_ms < 0) {
        msg << where << ": run.tstop = " << tstop_ms << " ms must be a non-negative number";
        throw config_error(msg.str());
    }
    // NEST would simulate ceil(tstop / dt) = 1 step; pointsim refuses a
    // positive tstop below one step instead (docs/errors.md).
    const Tic tstop_tics = ms_to_tics(tstop_ms);
    if (tstop_ms > 0 && tstop_tics < rounded) {
        msg << where << ": run.tstop = " << tstop_ms << " ms is shorter than dt = " << dt_ms << " ms";
        throw config_error(msg.str());
    }
    TimeGrid g;
    g.dt_ms = dt_ms;
    g.tics_per_step = rounded;
    g.n_steps = g.ms_to_steps_ceil(tstop_ms);
    return g;
}

Step TimeGrid::ms_to_steps_ceil(double ms) const {
    const Tic t = ms_to_tics(ms);
    // ceil for non-negative, like NEST's Time::get_steps (tics + tics_per_step - 1) / tics_per_step
    if (t >= 0) return (t + tics_per_step - 1) / tics_per_step;
    return -((-t) / tics_per_step);
}

Step TimeGrid::spike_time_to_stamp(double ms) const {
    // nest::Time(Time::ms_stamp(t)): truncate to tics, round down to the step,
    // and add one step if that grid time is still before t.
    const Tic tics = static_cast<Tic>(ms * kTicsPerMs);  // trunc
    Step s = tics / tics_per_step;
    const double grid_ms = static_cast<double>(s) * ms_per_step();
    if (grid_ms < ms) ++s;
    return s;
}

bool TimeGrid::on_grid(double ms) const {
    const double steps = ms * kTicsPerMs / static_cast<double>(tics_per_step);
    return std::abs(steps - std::round(steps)) * static_cast<double>(tics_per_step) < 0.5;
}

}  // namespace pointsim
