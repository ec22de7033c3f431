// Poisson spike trains for virtual nodes (the recipe's "spike_trains"): what
// BMTK users write with PoissonSpikeGenerator(...).add(node_ids, firing_rate,
// times=(start, stop)) and to_sonata(path). For a fixed rate BMTK draws, per
// node, intervals -log(1 - u) / rate from start and keeps the spike times up
// to stop; so does this, with u from the node's own stream.
#include <algorithm>

#include "builder/model.hpp"
#include "builder/parallel.hpp"
#include "builder/random.hpp"

namespace pointsim::builder {

namespace {

constexpr std::uint64_t kSpikeStream = 0x5B1CE;
constexpr std::size_t kNodesPerBlock = 1024;

}  // namespace

std::vector<std::uint64_t> spike_train_nodes(const SpikeTrainSpec& spec, const BuiltNetwork& net, const std::string& file) {
    switch (spec.nodes) {
    case SpikeTrainSpec::Nodes::ids: return spec.node_ids;
    case SpikeTrainSpec::Nodes::selection: return select_nodes(net, spec.selection, file);
    case SpikeTrainSpec::Nodes::all: break;
    }
    std::vector<std::uint64_t> all(net.n);
    for (std::uint64_t i = 0; i < net.n; ++i) all[i] = i;
    return all;
}

TrainSpikes draw_spike_train(const SpikeTrainSpec& spec, std::size_t index, const std::vector<std::uint64_t>& nodes,
                             std::uint64_t seed, unsigned threads) {
    TrainSpikes out;
    if (spec.rate_hz == 0.0) return out;
    const double mean_interval_ms = 1000.0 / spec.rate_hz;
    const std::size_t n_blocks = (nodes.size() + kNodesPerBlock - 1) / kNodesPerBlock;
    std::vector<TrainSpikes> blocks(n_blocks);
    parallel_blocks(n_blocks, threads, [&](std::size_t b) {
        TrainSpikes& s = blocks[b];
        const std::size_t end = std::min(nodes.size(), (b + 1) * kNodesPerBlock);
        for (std::size_t i = b * kNodesPerBlock; i < end; ++i) {
            Stream rng(hash_keys(seed, kSpikeStream, index, nodes[i]));
            for (double t = spec.start_ms;;) {
                t += rng.exponential() * mean_interval_ms;
                if (t > spec.stop_ms) break;
                s.node_ids.push_back(nodes[i]);
                s.times_ms.push_back(t);
            }
        }
    });
    std::size_t total = 0;
    for (const auto& s : blocks) total += s.node_ids.size();
    out.node_ids.reserve(total);
    out.times_ms.reserve(total);
    for (auto& s : blocks) {
        out.node_ids.insert(out.node_ids.end(), s.node_ids.begin(), s.node_ids.end());
        out.times_ms.insert(out.times_ms.end(), s.times_ms.begin(), s.times_ms.end());
    }
    return out;
}

}  // namespace pointsim::builder
