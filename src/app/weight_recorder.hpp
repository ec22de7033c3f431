#pragma once
// BMTK's weight_recorder report: one CSV row per transmission through a
// recorded stdp synapse, as PointNet writes it (semantics.md 3.9).
#include <filesystem>
#include <vector>

#include "comm/communicator.hpp"
#include "config/config.hpp"
#include "network/network.hpp"

namespace pointsim::app {

struct WeightRecorderPlan {
    std::string name;
    std::filesystem::path file;  // final path
};

// One plan per weight_recorder report: file_name (default <report>.csv) under output_dir.
std::vector<WeightRecorderPlan> plan_weight_recorders(const config::SimulationConfig& cfg);

// Collects every rank's events on rank 0 and returns the CSV text of each
// recorder there (empty strings on other ranks). Columns: source_node_id
// source_population target_node_id target_population time_ms weights
// receptors ports; rows by (time, port). A port is the connection's index
// among all connections of its synapse model, ordered by source gid and
// creation order, as NEST numbers them on one thread.
std::vector<std::string> weight_recorder_csv(const std::vector<WeightRecorderPlan>& plans,
                                             const std::vector<network::WeightEvent>& events,
                                             const network::Network& net, comm::Communicator& comm);

}  // namespace pointsim::app
