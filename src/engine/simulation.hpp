#pragma once
// The time loop. Per step: apply current-clamp changes, update every neuron
// group from its input-buffer slot, record spikes and samples. Every
// min-delay interval: exchange spikes through the Communicator and deliver
// them, sorted by (stamp, gid), into the ring buffers at stamp + delay - 1.
// The fixed delivery order makes every floating-point sum, and so every
// spike, independent of how the work is split.
//
// Threads: the rank's neurons are split into thread blocks
// (Network::block_flat_begin). Within an exchange interval no neuron's
// input depends on another's output, so each block runs the interval's
// steps on its own; then the blocks' spikes are exchanged, and each block
// delivers every spike through its own synapse rows into its own neurons'
// buffers. A target's inputs are therefore summed in the same order for any
// number of blocks, threads and ranks.
#include <cstdint>
#include <exception>
#include <functional>
#include <string>
#include <vector>

#include "comm/communicator.hpp"
#include "common/state_io.hpp"
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
    // With a RowSink: the sample rows are handed over, and dropped, whenever
    // at least flush_rows of them are held after an exchange interval (and
    // after the last); `data` then holds samples [first_row, ...). The same
    // flush_rows on every rank makes the hand-overs collective.
    std::size_t flush_rows = 0;
    std::size_t first_row = 0;
};

struct Result {
    std::vector<comm::Spike> spikes;  // of the simulated neurons, by (stamp, gid); empty with a SpikeSink
    std::uint64_t n_spikes = 0;       // of the simulated neurons, all ranks
    std::uint64_t stdp_history_entries = 0;  // kept at the end on this rank (see History)
    std::uint64_t synaptic_events = 0;  // deliveries onto this rank's synapses
    std::vector<network::WeightEvent> weight_events;  // transmissions through recorded synapses with state
    double build_seconds = 0.0;
    double simulate_seconds = 0.0;
    Step stopped_at = -1;  // the step a Boundary stopped the run at; -1 if it ran to the end
};

class Simulation {
public:
    // n_threads: OpenMP threads that work on the network's thread blocks
    // (at most one per block; the results do not depend on it).
    Simulation(network::Network& net, inputs::SpikeInputs virtual_spikes,
               std::vector<inputs::CurrentClamp> clamps, const TimeGrid& grid, comm::Communicator& comm,
               Step exchange_interval, int n_threads = 1);

    // Called after each exchange interval with the steps done (on every rank).
    using Progress = std::function<void(Step done, Step total)>;

    // Receives the simulated neurons' spikes of each exchange interval (all
    // ranks'), sorted by (stamp, gid), as the interval ends; intervals come in
    // time order. With one, Result::spikes stays empty (memory flat in time).
    using SpikeSink = std::function<void(const std::vector<comm::Spike>&)>;
    // Receives recorder k's rows [first_row, first_row + rows) (data holds
    // them); called on every rank at the same intervals.
    using RowSink = std::function<void(std::size_t k, const Recorder& r, std::size_t rows)>;

    // Called on every rank at the end of each exchange interval, once its
    // spikes are delivered (the state is then complete at step `done`:
    // save_state may be called), with the signal any rank received (SIGINT,
    // SIGTERM, SIGUSR1; 0 if none). Returning true stops the run there:
    // run() returns with Result::stopped_at = done. Without one, a signal
    // stops the run with Error(Interrupted).
    using Boundary = std::function<bool(Step done, int signal)>;

    // Runs the steps from the start (0, or the restored state's step) to the
    // grid's end; recorders are filled in place (or handed to row_sink).
    Result run(std::vector<Recorder>& recorders, const Progress& progress = {}, const SpikeSink& sink = {},
               const RowSink& row_sink = {}, const Boundary& boundary = {});

    // The state at an exchange boundary, inside or after run(): neurons,
    // input buffers in flight, synapses with state and the stdp histories,
    // the recorders' rows not handed over yet, and the counts behind
    // Result. Inputs and clamps are not saved: they are read again and
    // wound forward to the step.
    void save_state(StateWriter& out, const std::vector<Recorder>& recorders) const;
    // Before run(): continue from a saved state. with_recorders: the state
    // is this run's own checkpoint (same config), so its recorders' rows are
    // restored too; otherwise (a saved state started with a new config) the
    // recorders start empty and must not sample before the state's step.
    // Throws Error(Input) naming the first array that does not fit.
    void restore_state(StateReader& in, std::vector<Recorder>& recorders, bool with_recorders);
    Step start_step() const { return start_step_; }

private:
    // What one thread block keeps between and within its tasks.
    struct Block {
        std::uint32_t flat_begin = 0, flat_end = 0;
        std::size_t group_begin = 0, group_end = 0;
        std::vector<std::uint32_t> fired;
        std::vector<const double*> channels;
        std::vector<comm::Spike> local;  // spikes of the current interval
        std::vector<double> clamp_amp;   // every clamp's amplitude, as this block has applied them
        std::size_t next_clamp_event = 0;
        std::vector<std::vector<std::size_t>> recorder_columns;  // per recorder: its columns in this block
        std::vector<network::WeightEvent> weight_events;
        std::vector<double*> slot_of_delay;  // delivery: the ring slot of each delay for one stamp
        struct PendingRow {                  // delivery by arrival step: what is left of a spike's row
            std::uint64_t next, end;
            Step stamp;
        };
        std::vector<PendingRow> pending;
        std::uint64_t events = 0;
        std::exception_ptr error;
    };
    // Runs task(block) for every block on up to n_threads_ threads, then
    // rethrows the error of the lowest failing block (deterministic).
    template <class Task>
    void for_each_block(Task&& task);
    // Applies the clamp changes due by step n (inclusive) to the block's neurons.
    void apply_clamps(Block& b, Step n);
    // Steps [t0, t1) of one block's neurons: clamps, updates, recorders.
    void advance(Block& b, Step t0, Step t1, std::vector<Recorder>& recorders);
    // Delivery of the sorted spikes onto one block's neurons.
    void deliver(Block& b, const std::vector<comm::Spike>& spikes);
    // The two kernels, for the synapse words of either width (Word:
    // std::uint32_t or std::uint64_t, network::Connectivity):
    // spike after spike...
    template <class Word>
    void deliver_spike_by_spike(Block& b, const std::vector<comm::Spike>& spikes, const Word* synapse);
    // ...and for static synapses only, one arrival step (ring slot) at a
    // time; false (and nothing done) when that would cost more than spike by spike.
    template <class Word>
    bool deliver_by_arrival(Block& b, const std::vector<comm::Spike>& spikes, const Word* synapse);
    // Transmission of one presynaptic spike through the synapses with state
    // onto the block's neurons (NEST's send() of stdp_synapse, tsodyks2_synapse, tsodyks_synapse).
    void deliver_plastic(Block& b, const comm::Spike& spike);
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
    inputs::SpikeInputs virtual_spikes_;
    std::vector<inputs::StampedSpike> virtual_due_;  // the current interval's
    std::vector<inputs::CurrentClamp> clamps_;
    TimeGrid grid_;
    comm::Communicator& comm_;
    Step exchange_interval_;  // the global minimum delay, the same on every rank
    std::size_t n_neurons_;
    int n_channels_;
    Step n_slots_;
    std::vector<double> ring_;  // [slot][channel][neuron]
    std::vector<std::size_t> group_of_flat_, index_of_flat_;
    int n_threads_;
    std::vector<Block> blocks_;
    Step start_step_ = 0;             // where run() begins (restore_state)
    Step done_ = 0;                   // steps done: the state's step at a boundary
    bool recorders_restored_ = false;
    std::uint64_t n_spikes_ = 0;      // spikes of the simulated neurons so far, all ranks

    // Current clamps: amplitude changes of all clamps by (step, clamp); a
    // neuron's input is the sum over its clamps in clamp order.
    struct ClampEvent {
        Step step;
        std::size_t clamp;
        double amplitude;
    };
    std::vector<ClampEvent> clamp_events_;
    std::vector<std::vector<std::size_t>> clamps_of_;  // per flat neuron
    std::vector<double> current_;                      // per flat neuron

    // Postsynaptic spike history of neurons with stdp inputs (NEST's
    // ArchivingNode): (time ms, K-, how many synapse reads it has had).
    // Entries every synapse has read and that no later read can reach are
    // dropped from the front as new spikes come, as NEST does, so the
    // history does not grow with simulated time.
    struct HistoryEntry {
        double t;
        double Kminus;
        std::uint32_t access_counter = 0;
    };
    struct History {
        std::vector<HistoryEntry> entries;  // [first, end) is the history
        std::size_t first = 0;
        std::size_t size() const { return entries.size() - first; }
        HistoryEntry& operator[](std::size_t i) { return entries[first + i]; }
        const HistoryEntry& operator[](std::size_t i) const { return entries[first + i]; }
    };
    std::vector<std::uint32_t> n_stdp_in_;   // per neuron: stdp synapses onto it (NEST n_incoming_)
    std::vector<double> max_stdp_delay_ms_;  // per neuron: their longest delay (NEST max_delay_)
    std::vector<History> history_;
    std::vector<double> Kminus_, last_spike_;
};

}  // namespace pointsim::engine
