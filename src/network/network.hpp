#pragma once
// Turns SONATA tables into simulation objects: a global index (gid) for every
// node, neuron groups per model with their parameters, and the connectivity
// store (synapses by source gid). Also resolves node sets.
#include <cstdint>
#include <map>
#include <memory>
#include <string>
#include <vector>

#include "common/time.hpp"
#include "config/config.hpp"
#include "models/neuron_group.hpp"
#include "network/connectivity.hpp"
#include "sonata/sonata.hpp"

namespace pointsim::network {

using Gid = std::uint64_t;

// One node population as the simulation sees it.
struct Population {
    std::string name;
    bool is_virtual = false;
    Gid first_gid = 0;  // gid of row 0; rows are numbered in h5 order
    sonata::NodePopulation nodes;                       // the h5 tables
    std::shared_ptr<const sonata::TypeTable> types;     // its node types CSV
    std::map<std::uint64_t, std::size_t> row_of_node_id;

    std::size_t size() const { return nodes.size(); }
    Gid gid_of_row(std::size_t row) const { return first_gid + row; }
};

// Where a simulated gid lives: its neuron group and index there, plus its
// position in the engine's flat neuron numbering.
struct NeuronLocation {
    std::int32_t group = -1;  // -1 for virtual nodes
    std::uint32_t index = 0;
    std::uint32_t flat = 0;
};

struct Network {
    std::vector<Population> populations;       // in config order
    std::vector<std::unique_ptr<models::NeuronGroup>> groups;  // one per model
    std::vector<std::uint32_t> group_offset;   // flat index of each group's first neuron
    std::vector<Gid> gid_of_flat;              // flat neuron index -> gid
    std::vector<NeuronLocation> location;      // per gid
    Connectivity connectivity;                 // synapses by source gid
    std::size_t n_edges = 0;

    std::size_t n_gids() const { return location.size(); }
    std::size_t n_neurons() const { return gid_of_flat.size(); }
    const Population& population_of(Gid gid) const;
    std::uint64_t node_id_of(Gid gid) const;
    const Population* find_population(const std::string& name) const;
};

// Reads every nodes/edges file of the config and builds the network.
// Throws pointsim::Error naming the file, dataset/column and row for bad input.
Network build(const config::SimulationConfig& cfg, const TimeGrid& grid);

// Resolves a node-set reference (a name, an inline object, or a list of
// names = union) against the config's node_sets. Result: sorted unique gids.
// `what` names the referring key for messages (e.g. "inputs.clamp.node_set").
std::vector<Gid> resolve_node_set(const nlohmann::json& ref, const nlohmann::json& node_sets, const Network& net,
                                  const std::string& what);

}  // namespace pointsim::network
