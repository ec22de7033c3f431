#pragma once
// The time loop. Per step: apply current-clamp changes, update every neuron
// group from its input-buffer slot, record spikes and samples. Every
// min-delay interval: exchange spikes through the Communicator and deliver
// them, sorted by (stamp, gid), into the ring buffers at stamp + delay - 1.
// The fixed delivery order makes every floating-point sum, and so every
// spike, independent of how the work is split.
#include <cstdint>
#include <functional>
#include <string>
#include <vector>

#include "comm/communicator.hpp"
#include "common/time.hpp"
#include "inputs/inputs.hpp"
#include "network/network.hpp"

namespace pointsim::engine {

// What one report records: `variable` of the neurons `flat` (in column
// order), sampled after steps k with (k+1) % interval == 0 and
// start < (k+1) <= stop (NEST multimeter rules, in steps).
struct Recorder {
    std::vector<std::uint32_t> flat;
    std::vector<std::size_t> recordable;  // per neuron: index into its group's recordables
    Step interval = 1;
    Step start = 0;
    Step stop = 0;
    std::vector<double> data;  // filled by the run: one row of flat.size() values per sample
    std::size_t n_samples = 0;
};

struct Result {
    std::vector<comm::Spike> spikes;  // of the simulated neurons, by (stamp, gid)
    std::uint64_t synaptic_events = 0;  // deliveries onto this rank's synapses
    std::vector<network::WeightEvent> weight_events;  // transmissions through recorded synapses with state
    double build_seconds = 0.0;
    double simulate_seconds = 0.0;
};

class Simulation {
public:
    Simulation(network::Network& net, std::vector<inputs::StampedSpike> virtual_spikes,
               std::vector<inputs::CurrentClamp> clamps, const TimeGrid& grid, comm::Communicator& comm,
               Step exchange_interval);

    // Called after each exchange interval with the steps done (on every rank).
    using Progress = std::function<void(Step done, Step total)>;

    // Runs all steps; recorders are filled in place.
    Result run(std::vector<Recorder>& recorders, const Progress& progress = {});

private:
    std::uint64_t deliver(const std::vector<comm::Spike>& spikes, Result& result);
    // Transmission of one presynaptic spike through the synapses with state
    // (NEST's send() of stdp_synapse, tsodyks2_synapse, tsodyks_synapse).
    void deliver_plastic(const comm::Spike& spike, Result& result);
    // Synapse k's state update at a spike at t_spike (ms); returns the weight to transmit.
    double send_stdp(std::size_t k, double t_spike);
    double send_tsodyks2(std::size_t k, double t_spike);
    double send_tsodyks(std::size_t k, double t_spike);
    // A postsynaptic spike enters the neuron's trace history (NEST ArchivingNode::set_spiketime).
    void archive_spike(std::uint32_t flat, Step stamp);
    double k_minus(std::uint32_t flat, double t) const;
    // data() + offset, not &ring_[offset]: a rank may own no neurons, and the ring is then empty.
    double* slot(Step step, int channel) { return ring_.data() + ((step % n_slots_) * n_channels_ + channel) * n_neurons_; }

    network::Network& net_;
    std::vector<inputs::StampedSpike> virtual_spikes_;
    std::vector<inputs::CurrentClamp> clamps_;
    TimeGrid grid_;
    comm::Communicator& comm_;
    Step exchange_interval_;  // the global minimum delay, the same on every rank
    std::size_t n_neurons_;
    int n_channels_;
    Step n_slots_;
    std::vector<double> ring_;  // [slot][channel][neuron]
    std::vector<std::size_t> group_of_flat_, index_of_flat_;

    // Postsynaptic spike history of neurons with stdp inputs: (time ms, K-).
    struct HistoryEntry {
        double t;
        double Kminus;
    };
    std::vector<std::uint8_t> has_plastic_input_;
    std::vector<std::vector<HistoryEntry>> history_;
    std::vector<double> Kminus_, last_spike_;
};

}  // namespace pointsim::engine
