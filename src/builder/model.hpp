#pragma once
// Internal to pointsim_builder: the network as built in memory, between the
// recipe and the files.
#include <array>
#include <cstdint>
#include <string>
#include <vector>

#include "builder/recipe.hpp"

namespace pointsim::comm {
class Communicator;
}

namespace pointsim::builder {

// Per-node values of one property in one node group.
struct NodeColumn {
    std::string name;
    bool is_string = false, integer = false;
    std::vector<double> numbers;
    std::vector<std::string> strings;
};

struct BuiltNodeGroup {
    const NodeGroupSpec* spec = nullptr;
    std::uint64_t first_id = 0, n = 0, type_id = 0;
    std::vector<std::array<double, 3>> positions;  // empty: none
    std::vector<NodeColumn> columns;               // per-node properties, in recipe order
    const PropertySpec* constant(const std::string& name) const;
    const NodeColumn* column(const std::string& name) const;
};

struct BuiltNetwork {
    const NetworkSpec* spec = nullptr;
    std::size_t index = 0;  // in the recipe
    std::uint64_t n = 0;
    std::vector<BuiltNodeGroup> groups;
    std::vector<std::uint32_t> group_of;  // node id -> group
    // A numeric property for every node (NaN where a group lacks it); x y z
    // from positions. Filled for the names formulas use.
    std::vector<double> numeric(const std::string& name) const;
    bool has_positions(std::uint64_t node) const { return !groups[group_of[node]].positions.empty(); }
    const std::array<double, 3>& position(std::uint64_t node) const {
        const auto& g = groups[group_of[node]];
        return g.positions[node - g.first_id];
    }
};

// One edge group's edges, CSR by target node id (of the target network).
struct BuiltEdges {
    const EdgeGroupSpec* spec = nullptr;
    std::uint32_t type_id = 0;
    std::vector<std::uint64_t> offsets;  // n_targets + 1
    std::vector<std::uint64_t> source;
    std::vector<std::uint32_t> nsyns;
    std::vector<std::vector<double>> values;  // per per-edge property (recipe order), per edge
    std::vector<const PropertySpec*> value_specs;
    std::uint64_t candidate_pairs = 0;
};

// nodes.cpp
// `file` (the recipe) names messages.
BuiltNetwork build_nodes(const NetworkSpec& spec, std::size_t index, std::uint64_t seed, const std::string& file);
// Node ids of `net` that a selection matches, ascending (throws when none).
std::vector<std::uint64_t> select_nodes(const BuiltNetwork& net, const SelectionSpec& sel, const std::string& file);

// connect.cpp
// With `comm` (several ranks), each rank connects every size-th block of
// targets and rank 0 gathers them; other ranks return no edges. Collective.
BuiltEdges connect(const EdgeGroupSpec& spec, std::uint32_t type_id, std::uint64_t group_key, const BuiltNetwork& source,
                   const BuiltNetwork& target, const Recipe& recipe, unsigned threads,
                   comm::Communicator* comm = nullptr);

// write.cpp
struct EdgeFile {
    const BuiltNetwork* source = nullptr;
    const BuiltNetwork* target = nullptr;
    std::vector<const BuiltEdges*> groups;  // in recipe order (edge type ids ascending)
};
void write_nodes_h5(const std::string& path, const BuiltNetwork& net);
std::string node_types_csv(const BuiltNetwork& net);
// overlap: compute each block of rows on a second thread while the previous
// one is written (the bytes are the same either way).
void write_edges_h5(const std::string& path, const EdgeFile& edges, bool overlap = false);
std::string edge_types_csv(const EdgeFile& edges);

}  // namespace pointsim::builder

namespace pointsim::builder {
// spikes.cpp
// The node ids a spike train covers, ascending (throws when a selection matches none).
std::vector<std::uint64_t> spike_train_nodes(const SpikeTrainSpec& spec, const BuiltNetwork& net, const std::string& file);
// One train's spikes, node by node (ascending), each node's times ascending
// in ms: BMTK's PoissonSpikeGenerator for a fixed rate, every node drawing
// from its own stream keyed by (seed, train index, node id), so the spikes
// depend on neither the thread count nor the other nodes.
struct TrainSpikes {
    std::vector<std::uint64_t> node_ids;
    std::vector<double> times_ms;
};
TrainSpikes draw_spike_train(const SpikeTrainSpec& spec, std::size_t index, const std::vector<std::uint64_t>& nodes,
                             std::uint64_t seed, unsigned threads);
}  // namespace pointsim::builder

namespace pointsim::builder {
class Stream;
// One value of a distribution (nodes.cpp).
double draw(const Distribution& d, Stream& rng);
}  // namespace pointsim::builder
