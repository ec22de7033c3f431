#pragma once
// `pointsim build`: a recipe (builder/recipe.hpp, docs/building.md) in, a
// SONATA network directory out, in BMTK NetworkBuilder's layout:
//   <net>_nodes.h5, <net>_node_types.csv              one per network
//   <src>_<trg>_edges.h5, <src>_<trg>_edge_types.csv  one per pair with edges
//   the files of "spike_trains"                        SONATA spikes (Poisson inputs)
//
// Deterministic: the files depend only on the recipe and the seed, not on
// the number of threads (every random draw is keyed by what it decides:
// builder/random.hpp). Files are written under temporary names and renamed
// when all are complete: a failed build leaves nothing new in the folder.
#include <cstdint>
#include <filesystem>
#include <optional>
#include <string>
#include <vector>

namespace pointsim::comm {
class Communicator;
}

namespace pointsim::builder {

struct BuildOptions {
    std::filesystem::path recipe;
    std::filesystem::path output_dir;
    std::optional<std::uint64_t> seed;  // overrides the recipe's "seed"
    unsigned threads = 1;               // 0: one per hardware thread
    // Under mpirun: every rank connects its share of the targets, rank 0
    // gathers them and writes the files (the same bytes for any rank count).
    // Null: one process.
    comm::Communicator* comm = nullptr;
};

struct BuildSummary {
    struct NetworkCount {
        std::string name;
        std::uint64_t nodes = 0;
    };
    struct EdgeFileCount {
        std::string population;  // "<src>_to_<trg>"
        std::uint64_t edges = 0, synapses = 0;
    };
    struct SpikeFileCount {
        std::string file;  // the name in the output folder
        std::uint64_t spikes = 0, trains = 0;  // trains: one per node and spike_trains entry
    };
    std::vector<NetworkCount> networks;
    std::vector<EdgeFileCount> edge_files;
    std::vector<SpikeFileCount> spike_files;  // the recipe's "spike_trains", one per file
    std::vector<std::filesystem::path> files;  // every file written
    std::uint64_t candidate_pairs = 0;          // pairs a pairwise rule looked at
    double seconds_connect = 0.0, seconds_write = 0.0;
};

// Collective when options.comm is set: every rank throws the same Error.
// The summary's counts are complete on rank 0 only.
// Throws pointsim::Error: config_error for recipe problems (naming the
// recipe file and the path inside it), output_error when a file cannot be
// written.
BuildSummary build_network(const BuildOptions& options);

}  // namespace pointsim::builder
