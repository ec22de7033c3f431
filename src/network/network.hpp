#pragma once
// Turns SONATA tables into simulation objects: a global index (gid) for every
// node, neuron groups per model with their parameters, and the connectivity
// store (synapses by source gid). Also resolves node sets.
#include <cstdint>
#include <map>
#include <memory>
#include <optional>
#include <string>
#include <unordered_map>
#include <vector>

#include "common/time.hpp"
#include "config/config.hpp"
#include "models/neuron_group.hpp"
#include "network/connectivity.hpp"
#include "network/plastic.hpp"
#include "sonata/sonata.hpp"

namespace pointsim::network {

using Gid = std::uint64_t;

// node_id -> row of a population: no table at all when the ids are the rows
// (0..N-1 in order, as BMTK writes them), a flat table when ids are dense, a
// hash map otherwise. Lookups are on the per-edge path, where a table's
// random reads would miss the cache.
class NodeIdIndex {
public:
    void build(const std::vector<std::uint64_t>& node_ids);
    static constexpr std::size_t kNoRow = ~std::size_t{0};
    std::optional<std::size_t> row_of(std::uint64_t node_id) const {
        const std::size_t row = row_or_none(node_id);
        return row == kNoRow ? std::nullopt : std::optional<std::size_t>(row);
    }
    // The same as a plain number, kNoRow for no node: for the per-edge
    // loops, where GCC kept the optional on the stack and stopped inlining.
    std::size_t row_or_none(std::uint64_t node_id) const {
        if (identity_) return node_id < n_identity_ ? static_cast<std::size_t>(node_id) : kNoRow;
        if (!dense_.empty() || sparse_.empty()) return node_id < dense_.size() ? dense_[node_id] : kNoRow;
        return sparse_row_or_none(node_id);
    }

private:
    // Out of line: the hash lookup would keep row_or_none() from being
    // inlined into the per-edge loops, which the usual ids (dense) need.
    std::size_t sparse_row_or_none(std::uint64_t node_id) const;
    bool identity_ = false;  // node_id == row for every row
    std::size_t n_identity_ = 0;
    std::vector<std::size_t> dense_;  // kNoRow: not a node
    std::unordered_map<std::uint64_t, std::size_t> sparse_;
};

// One node population as the simulation sees it.
struct Population {
    std::string name;
    bool is_virtual = false;
    Gid first_gid = 0;  // gid of row 0; rows are numbered in h5 order
    sonata::NodePopulation nodes;                       // the h5 tables
    std::shared_ptr<const sonata::TypeTable> types;     // its node types CSV
    NodeIdIndex rows;  // node_id -> row

    std::size_t size() const { return nodes.size(); }
    Gid gid_of_row(std::size_t row) const { return first_gid + row; }
};

// Where a simulated gid lives: its neuron group and index there, plus its
// position in this process's flat neuron numbering. group is -1 for virtual
// nodes and for neurons another rank owns.
struct NeuronLocation {
    std::int32_t group = -1;
    std::uint32_t index = 0;
    std::uint32_t flat = 0;
};

struct Network {
    std::vector<Population> populations;       // in config order
    std::vector<std::unique_ptr<models::NeuronGroup>> groups;  // one per model, local neurons only
    std::vector<std::uint32_t> group_offset;   // flat index of each group's first neuron
    std::vector<Gid> gid_of_flat;              // flat (local) neuron index -> gid
    std::vector<NeuronLocation> location;      // per gid
    std::vector<bool> simulated;               // per gid: a neuron (not a virtual node)
    std::vector<std::string> model_names;      // NEST models present, in first-seen order
    std::vector<std::uint8_t> model_of_gid;    // per gid: index into model_names (kNoModel if virtual)
    static constexpr std::uint8_t kNoModel = 0xff;
    Gid local_begin = 0, local_end = 0;        // this rank owns the simulated gids in [begin, end)
    // The rank's neurons in thread blocks: block b holds the flat indices
    // [block_flat_begin[b], block_flat_begin[b + 1]) and the groups
    // [block_group_begin[b], block_group_begin[b + 1]) (a model present in
    // several blocks has one group in each). A block is worked on by one
    // thread at a time, and only it touches its neurons' state and inputs.
    std::vector<std::uint32_t> block_flat_begin{0, 0};
    std::vector<std::size_t> block_group_begin{0, 0};
    Connectivity connectivity;                 // static synapses onto local neurons, by source gid
    PlasticSynapses plastic;                   // stdp_synapse connections onto local neurons
    std::size_t n_edges = 0;                   // synapses onto local neurons
    std::size_t n_edge_rows_read = 0;          // edge rows this process read from the files

    std::size_t n_gids() const { return location.size(); }
    std::size_t n_neurons() const { return gid_of_flat.size(); }
    std::size_t n_blocks() const { return block_flat_begin.size() - 1; }
    bool is_local(Gid gid) const { return location[gid].group >= 0; }
    const Population& population_of(Gid gid) const;
    std::uint64_t node_id_of(Gid gid) const;
    const Population* find_population(const std::string& name) const;
};

// Building happens in phases so that a distributed run can agree on errors
// between them (every rank must reach the same collective calls):

// 1. Every rank reads the node tables and types; gids are assigned
//    (populations in config order, rows in h5 order), virtual nodes marked.
Network read_nodes(const config::SimulationConfig& cfg);

// 2. Incoming synapses per gid, counted over this rank's share of the edge
//    rows (share r of n_ranks); summed over ranks it is the full in-degree.
std::vector<std::uint64_t> count_incoming(const config::SimulationConfig& cfg, const Network& net, int rank,
                                          int n_ranks);

// 3. Contiguous blocks of gids, one per rank, balanced by (incoming + 1) over
//    simulated nodes: returns n_ranks + 1 boundaries. Deterministic.
std::vector<Gid> partition(const Network& net, const std::vector<std::uint64_t>& incoming, int n_ranks);
// The same over the gids [begin, end) only: n_parts + 1 boundaries from begin to end.
std::vector<Gid> partition(const Network& net, const std::vector<std::uint64_t>& incoming, std::size_t n_parts, Gid begin,
                           Gid end);

// How many thread blocks a process with `n_local_neurons` and `threads`
// threads uses: one per thread, or more (a multiple of the threads) so that
// no block has more than `max_block_neurons` neurons.
std::size_t thread_blocks(std::size_t n_local_neurons, int threads, std::size_t max_block_neurons);

// The most bytes a block's neurons take of one ring-buffer slot (all spike
// channels). Delivery writes at random into the block's part of the arrival
// step's slot while it brings in the part of the next step's (the engine's
// prefetch is on up to this size): two parts about fit the core's L2 (512
// KiB on the machine of docs/performance.md), and the writes stay in cache.
// At N = 20,000 (2 channels: one block of 320 KB) the prefetch made the
// simulate phase 0.87x as long; at N = 100,000, 5 blocks of 320 KB with it
// took 0.84x as long as 4 of 400 KB without it (4 blocks took 0.5-0.7x as
// long as 1). More blocks than that cost: each walks every spike.
inline constexpr std::size_t kMaxBlockSlotBytes = 320 * 1024;
// The most neurons in a block for `spike_channels` channels of 8 bytes.
std::size_t block_neuron_limit(int spike_channels, std::size_t max_slot_bytes = kMaxBlockSlotBytes);

// 4. Neuron groups for the simulated gids in [begin, end), split into
//    n_blocks thread blocks of contiguous gids (partition() over the range;
//    `incoming` as there). Flat indices run block by block, within a block
//    model by model.
void create_neuron_groups(const config::SimulationConfig& cfg, const TimeGrid& grid, Network& net, Gid begin, Gid end,
                          std::size_t n_blocks = 1, const std::vector<std::uint64_t>& incoming = {});
// The same with the number of blocks chosen for the cache: thread_blocks()
// with block_neuron_limit() of the local models' spike channels and
// `max_slot_bytes`, or with `max_block_neurons` when it is > 0 (tests: many
// blocks on few threads). Returns the number of blocks.
std::size_t create_neuron_groups_in_thread_blocks(const config::SimulationConfig& cfg, const TimeGrid& grid, Network& net,
                                                  Gid begin, Gid end, int threads, std::size_t max_block_neurons,
                                                  const std::vector<std::uint64_t>& incoming,
                                                  std::size_t max_slot_bytes = kMaxBlockSlotBytes);

// 5. The synapses onto local neurons: only their rows are read when the
//    files have indices/target_to_source, else the files are streamed in
//    chunks and other rows dropped. Memory does not grow with the edge count.
//    With threads > 1, each chunk is turned into synapses by tasks on
//    `threads` threads while the next is read (the same synapses either way).
void read_edges(const config::SimulationConfig& cfg, const TimeGrid& grid, Network& net, int threads = 1);

// All phases for one process.
Network build(const config::SimulationConfig& cfg, const TimeGrid& grid, std::size_t n_blocks = 1);

// Resolves a node-set reference (a name, an inline object, or a list of
// names = union) against the config's node_sets. Result: sorted unique gids.
// `what` names the referring key for messages (e.g. "inputs.clamp.node_set").
std::vector<Gid> resolve_node_set(const nlohmann::json& ref, const nlohmann::json& node_sets, const Network& net,
                                  const std::string& what);

}  // namespace pointsim::network
