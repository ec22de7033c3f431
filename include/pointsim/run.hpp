#pragma once
// The library façade used by apps/pointsim and the integration tests.
#include <cstddef>
#include <cstdint>
#include <filesystem>
#include <optional>
#include <string>
#include <utility>
#include <vector>

namespace pointsim {

namespace comm {
class Communicator;
}

struct RunOptions {
    std::filesystem::path config;                       // config.json (root of the config tree)
    std::optional<std::filesystem::path> output_dir;    // overrides output.output_dir
    bool show_progress = true;                          // progress bar when stderr is a terminal
    bool collect_synapse_state = false;                 // fill RunSummary::synapses
    std::optional<int> threads = std::nullopt;          // per process; overrides run.n_thread (default 1)
    // Most neurons in one thread block (network::thread_blocks); 0: as many
    // as fit the cache (network::block_neuron_limit of the models' spike
    // channels). Tests set it small to run many blocks on few threads.
    std::size_t max_block_neurons = 0;
    // Checkpoints (docs/cluster.md): the whole state written every
    // checkpoint_every_ms of biological time (0: never) to checkpoint_dir
    // (default: <output dir>/checkpoints, or the resume folder), and on
    // SIGTERM/SIGUSR1 at the next exchange boundary (the run then stops
    // with ErrorKind::Checkpointed). resume: a folder of checkpoints to
    // continue from (its newest), with the same config, processes and threads.
    double checkpoint_every_ms = 0.0;
    std::optional<std::filesystem::path> checkpoint_dir;
    std::optional<std::filesystem::path> resume;
    // Saved states: the state at the end of the run written to save_state;
    // a run of the same circuit started from restore_state continues the
    // biological clock from its time up to run.tstop, with its own inputs and reports.
    std::optional<std::filesystem::path> save_state;
    std::optional<std::filesystem::path> restore_state;
};

// The state of one synapse model with state (stdp_synapse, tsodyks2_synapse,
// tsodyks_synapse) at the end of the run, under NEST's names: weight, and
// Kplus (stdp) or x, u (tsodyks2) or x, y, u (tsodyks).
struct SynapseState {
    std::string model;  // NEST synapse model
    std::string source_population, target_population;
    std::uint64_t source_node_id = 0, target_node_id = 0;
    std::vector<std::pair<std::string, double>> values;
};

// Figures of one run (for this process; spikes, synapses and events are
// totals over all ranks).
struct RunSummary {
    std::size_t n_nodes = 0;
    std::size_t n_neurons = 0;        // simulated neurons, all ranks
    std::size_t n_edges = 0;          // synapses, all ranks
    std::size_t n_spikes = 0;
    std::uint64_t synaptic_events = 0;  // spike deliveries to synapses, all ranks
    // Postsynaptic spikes kept for stdp_synapse at the end, all ranks: those
    // a later read can still reach (NEST's pruning), not every spike of the run.
    std::uint64_t stdp_history_entries = 0;
    // Wall time per phase, seconds.
    double config_seconds = 0.0;      // read and resolve the config
    double nodes_seconds = 0.0;       // node tables and types
    double partition_seconds = 0.0;   // in-degree count and partition (MPI only)
    double edges_seconds = 0.0;       // edge tables and connectivity
    double inputs_seconds = 0.0;      // neuron parameters, inputs, report plans
    double simulate_seconds = 0.0;
    double write_seconds = 0.0;
    double load_seconds() const { return config_seconds + nodes_seconds + partition_seconds + edges_seconds + inputs_seconds; }
    std::size_t peak_rss_bytes = 0;   // largest over ranks
    // With RunOptions::collect_synapse_state: the synapses with state onto
    // this process's neurons, by source then creation order.
    std::vector<SynapseState> synapses;
};

// Loads, simulates and writes every output. Throws pointsim::Error
// (src/common/error.hpp) for bad input; nothing is left in the output
// directory unless the run completes.
RunSummary run(const RunOptions& options);

// The same on every process of a job (mpirun): each rank owns a share of the
// neurons and reads only their edges; rank 0 writes the outputs. Every rank
// must call it; a bad input found anywhere throws the same Error on all ranks.
RunSummary run(const RunOptions& options, comm::Communicator& comm);

}  // namespace pointsim
