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

// The virtual nodes' spikes in (stamp, gid) order, taken by the engine
// interval by interval. Up to run_size of them are held in memory; beyond
// that, each run_size of them is sorted and written to an anonymous
// temporary file (in TMPDIR, gone when the process ends), and the runs are
// merged as the simulation takes them: memory does not grow with the
// length of the inputs (docs/performance.md).
class SpikeInputs {
public:
    static constexpr std::size_t kRunSize = std::size_t{1} << 18;  // 4 MiB of spikes

    explicit SpikeInputs(std::size_t run_size = kRunSize);
    ~SpikeInputs();
    SpikeInputs(SpikeInputs&& other) noexcept;
    SpikeInputs& operator=(SpikeInputs&& other) noexcept;

    void add(StampedSpike spike);  // loading, in any order
    void seal();                   // loading done: sort the last run, start the merge
    std::uint64_t size() const { return size_; }
    // Appends the spikes with stamp <= until not taken before, in order.
    // Throws Error(Input) if the temporary file cannot be written or read.
    void take_until(Step until, std::vector<StampedSpike>& out);

private:
    struct Run {
        std::uint64_t offset = 0, length = 0;  // spikes in the file
        std::uint64_t next = 0;                 // spikes of it read into `buffer`
        std::vector<StampedSpike> buffer;
        std::size_t pos = 0;
    };
    void write_run();
    bool refill(Run& r);
    bool run_after(std::size_t a, std::size_t b) const;  // run a's next spike comes after run b's
    std::size_t run_size_;
    std::uint64_t size_ = 0;
    std::vector<StampedSpike> pending_;  // the run being filled; with one run only, the whole input
    std::size_t pending_pos_ = 0;        // taken from pending_ (one run only)
    int fd_ = -1;                        // the runs, when there is more than one
    std::vector<Run> runs_;
    std::vector<std::size_t> heap_;      // runs by their next spike (min-heap)
    bool sealed_ = false;
};

// Every enabled "spikes" input. Times are rounded up to the grid
// (precise_times), must be > 0; spikes after tstop are dropped. SONATA h5
// files are read run_size spikes at a time.
SpikeInputs load_spike_input_stream(const config::SimulationConfig& cfg, const network::Network& net,
                                    const TimeGrid& grid, std::size_t run_size = SpikeInputs::kRunSize);
// All of them at once, sorted (check, inspect and tests).
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
