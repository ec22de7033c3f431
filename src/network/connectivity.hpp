#pragma once
// Synapses of this process's neurons, in compressed rows keyed by source gid.
// Row order is the edge files' order, which fixes the order in which weights
// are summed, so results are deterministic.
#include <cstdint>
#include <vector>

#include "common/time.hpp"

namespace pointsim::network {

struct Connectivity {
    std::vector<std::uint64_t> row_begin;  // size n_gids + 1: synapses of source s are [row_begin[s], row_begin[s+1])
    std::vector<std::uint32_t> target;     // flat neuron index
    std::vector<std::uint8_t> channel;     // input channel of the target's model
    std::vector<double> weight;            // syn_weight * nsyns
    std::vector<std::uint32_t> delay;      // steps, >= 1
    Step min_delay = 1;
    Step max_delay = 1;

    std::size_t size() const { return target.size(); }
};

}  // namespace pointsim::network
