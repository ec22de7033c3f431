#pragma once
// The library façade used by apps/pointsim and the integration tests.
#include <cstddef>
#include <filesystem>
#include <optional>

namespace pointsim {

namespace comm {
class Communicator;
}

struct RunOptions {
    std::filesystem::path config;                       // config.json (root of the config tree)
    std::optional<std::filesystem::path> output_dir;    // overrides output.output_dir
};

struct RunSummary {
    std::size_t n_nodes = 0;
    std::size_t n_neurons = 0;
    std::size_t n_edges = 0;
    std::size_t n_spikes = 0;
    double load_seconds = 0.0;
    double simulate_seconds = 0.0;
    double write_seconds = 0.0;
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
