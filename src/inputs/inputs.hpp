#pragma once
// Stimuli: spike trains for virtual nodes (spike files) and current clamps
// (IClamp), turned into step-indexed events with NEST's timing rules
// (semantics.md 3.5 and 3.6).
#include <cstdint>
#include <string>
#include <vector>

#include "common/time.hpp"
#include "config/config.hpp"
#include "network/network.hpp"

namespace pointsim::inputs {

// A virtual node's spike with its NEST stamp: emitted during step stamp - 1,
// so through a delay of d steps it is read by the target in step stamp + d - 1.
struct StampedSpike {
    Step stamp;
    network::Gid gid;
    bool operator<(const StampedSpike& o) const { return stamp != o.stamp ? stamp < o.stamp : gid < o.gid; }
};

// Every enabled "spikes" input. Times are rounded up to the grid
// (precise_times), must be > 0; spikes after tstop are dropped. Sorted.
std::vector<StampedSpike> load_spike_inputs(const config::SimulationConfig& cfg, const network::Network& net,
                                            const TimeGrid& grid);

// One current clamp (a NEST step_current_generator connected with a delay of
// one step): the amplitude changes to `amplitude` in step `step`, i.e. the new
// current is handled by the neuron in that step and acts on V from the next.
struct AmplitudeChange {
    Step step;
    double amplitude;  // pA
};

struct CurrentClamp {
    std::string name;
    std::vector<std::uint32_t> targets;  // flat neuron indices
    std::vector<AmplitudeChange> changes;  // strictly increasing steps
};

// Every enabled IClamp input (current_clamp with scalar or list amp/delay/
// duration, csv/file, or nwb/allen: a sweep of an Allen ephys NWB 1 file).
// Onsets <= dt are dropped as BMTK does.
std::vector<CurrentClamp> load_current_clamps(const config::SimulationConfig& cfg, const network::Network& net,
                                              const TimeGrid& grid);

}  // namespace pointsim::inputs
