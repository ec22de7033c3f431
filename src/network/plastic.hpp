#pragma once
// stdp_synapse connections onto this process's neurons (NEST's stdp_synapse
// with the dendritic delay equal to the full delay, semantics.md 5.7). They
// are few next to static synapses, so they are kept apart with their
// mutable weight and presynaptic trace, in rows keyed by source gid.
#include <cstdint>
#include <string>
#include <vector>

#include "common/time.hpp"

namespace pointsim::network {

struct StdpParams {
    double tau_plus = 20.0, lambda = 0.01, alpha = 1.0, mu_plus = 1.0, mu_minus = 1.0, Wmax = 100.0, Kplus = 0.0;
};

struct PlasticSynapses {
    std::vector<std::uint64_t> row_begin;  // size n_gids + 1 (empty when there are none)
    std::vector<std::uint32_t> target;     // flat neuron index
    std::vector<std::int32_t> receptor;
    std::vector<Step> delay;               // steps
    std::vector<double> weight;            // changes as the simulation runs
    std::vector<double> Kplus;             // presynaptic trace
    std::vector<double> t_last;            // time of the last presynaptic spike (ms)
    std::vector<std::uint32_t> params;     // index into `param_sets`
    std::vector<std::int32_t> recorder;    // weight_recorder report index, -1 if none
    std::vector<std::uint64_t> order_key;  // creation order within the source (for recorder ports)
    std::vector<StdpParams> param_sets;
    std::vector<std::string> recorder_names;  // report names, by index

    std::size_t size() const { return target.size(); }
    bool empty() const { return target.empty(); }
};

// One transmission through a recorded synapse (NEST weight_recorder).
struct WeightEvent {
    std::uint64_t source_gid;
    std::uint64_t target_gid;
    std::int64_t stamp_tics;  // time of the presynaptic spike, in tics
    double weight;            // after the update, as transmitted
    std::int32_t receptor;
    std::int32_t recorder;
    std::uint64_t order_key;
};

}  // namespace pointsim::network
