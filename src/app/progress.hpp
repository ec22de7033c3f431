#pragma once
// Progress of the simulation phase: a one-line bar on a terminal (simulated
// ms, percent, real-time factor, ETA), plain log lines every 10% otherwise
// (batch jobs, CI, files). Only rank 0 reports.
#include <chrono>
#include <cstdio>

#include "common/time.hpp"

namespace pointsim::app {

class ProgressReporter {
public:
    ProgressReporter(const TimeGrid& grid, bool enabled, bool terminal);
    ~ProgressReporter();  // ends the bar's line
    void operator()(Step done, Step total);

private:
    TimeGrid grid_;
    bool enabled_, terminal_;
    std::chrono::steady_clock::time_point start_, last_draw_;
    int last_decile_ = 0;
    bool drawn_ = false;
};

}  // namespace pointsim::app
