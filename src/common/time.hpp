#pragma once
// Time is kept as integer steps everywhere; milliseconds appear only when
// reading inputs and writing outputs. NEST's grid: 1 tic = 0.001 ms, and
// dt must be a whole number of tics (nest_time.h).
#include <cmath>
#include <cstdint>
#include <string>

namespace pointsim {

using Step = std::int64_t;
using Tic = std::int64_t;

inline constexpr double kTicsPerMs = 1000.0;

struct TimeGrid {
    double dt_ms = 0.1;    // resolution
    Tic tics_per_step = 100;
    Step n_steps = 0;      // steps simulated: 0 .. n_steps-1

    // Builds the grid; throws if dt is not a positive multiple of 0.001 ms, or
    // if tstop is positive but shorter than one step.
    static TimeGrid make(double dt_ms, double tstop_ms, const std::string& where);

    // NEST's MS_PER_STEP: tics_per_step / tics_per_ms as a double.
    double ms_per_step() const { return static_cast<double>(tics_per_step) / kTicsPerMs; }
    // NEST's Time::get_resolution().get_ms(), MS_PER_TIC * tics: the step h
    // that models integrate over. It is not always ms_per_step(): for 9 tics
    // (dt 0.009 ms) the two differ by one ulp.
    double resolution_ms() const { return (1.0 / kTicsPerMs) * static_cast<double>(tics_per_step); }
    double step_to_ms(Step s) const { return static_cast<double>(s * tics_per_step) / kTicsPerMs; }

    // ms -> tics, rounded to the nearest tic (NEST Time(ms)).
    static Tic ms_to_tics(double ms);
    // ms -> steps rounded up (NEST Time::get_steps after tic rounding): used for t_ref and tstop.
    Step ms_to_steps_ceil(double ms) const;
    // NEST's STEPS_PER_MS, 1 / MS_PER_STEP.
    double steps_per_ms() const { return 1.0 / ms_per_step(); }
    // Delay ms -> steps rounded to the nearest step (NEST delay_ms_to_steps, floor(x + 0.5)).
    Step delay_to_steps(double ms) const { return delay_to_steps(ms, steps_per_ms()); }
    // The same with steps_per_ms() computed once by a caller converting many delays.
    static Step delay_to_steps(double ms, double steps_per_ms) {
        const double x = ms * steps_per_ms + 0.5;
        // For x >= 0 truncation is floor, without a call into libm (built
        // for plain x86-64, std::floor is not inlined): once per edge row.
        return x >= 0 ? static_cast<Step>(x) : static_cast<Step>(std::floor(x));
    }
    // Spike time ms -> stamp step for precise_times spike generators: the first
    // grid point not before t, after truncating t to tics (NEST Time::fromstamp path).
    Step spike_time_to_stamp(double ms) const;
    // Exact grid point? (within half a tic)
    bool on_grid(double ms) const;
};

}  // namespace pointsim
