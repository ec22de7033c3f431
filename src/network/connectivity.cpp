#include "network/connectivity.hpp"

#include <algorithm>
#include <cstring>
#include <limits>
#include <numeric>
#include <tuple>

#include "common/error.hpp"

namespace pointsim::network {

namespace {

unsigned bits_for(std::uint64_t n) {  // bits to hold 0 .. n-1
    unsigned b = 1;
    while (b < 64 && (std::uint64_t{1} << b) < n) ++b;
    return b;
}

}  // namespace

ConnectivityBuilder::ConnectivityBuilder(std::size_t n_gids, std::size_t n_local_neurons,
                                         std::vector<std::uint32_t> block_flat_begin)
    : block_flat_begin_(std::move(block_flat_begin)),
      n_gids_(n_gids),
      min_delay_(std::numeric_limits<Step>::max()) {
    if (block_flat_begin_.size() < 2) block_flat_begin_ = {0, static_cast<std::uint32_t>(n_local_neurons)};
    const std::size_t n_blocks = block_flat_begin_.size() - 1;
    threads_ = static_cast<int>(n_blocks);
    if (n_gids >= std::numeric_limits<std::uint32_t>::max())
        throw input_error("the network has " + std::to_string(n_gids) + " nodes; pointsim supports fewer than 2^32");
    if (n_gids * n_blocks >= std::numeric_limits<std::uint32_t>::max())
        throw input_error("the network has " + std::to_string(n_gids) + " nodes: with " + std::to_string(n_blocks) +
                          " threads per process pointsim supports fewer than 2^32 / " + std::to_string(n_blocks) +
                          "; use fewer threads");
    const unsigned target_bits = bits_for(n_local_neurons);
    const unsigned kind_bits = 64 - Connectivity::kDelayBits - target_bits;
    c_.target_shift = kind_bits;
    c_.target_mask = (std::uint64_t{1} << target_bits) - 1;
    c_.kind_mask = (std::uint64_t{1} << kind_bits) - 1;
    counts_.assign(n_gids * n_blocks + 1, 0);
    c_.n_gids = n_gids;
}

void ConnectivityBuilder::reserve(std::size_t n) {
    words_.reserve(n);
    sources_.reserve(n);
}

// In-place MSD radix sort of [lo, hi) by source, one byte at a time from
// `shift` down (American flag sort). Each pass writes to 256 sequential
// streams, which keeps it cache friendly where one pass over all sources
// would jump at random.
void ConnectivityBuilder::bucket_by_source(std::uint64_t lo, std::uint64_t hi, int shift) {
    if (hi - lo < 2) return;
    std::uint64_t begin[257] = {0};
    for (std::uint64_t i = lo; i < hi; ++i) ++begin[((sources_[i] >> shift) & 0xff) + 1];
    begin[0] = lo;
    for (int b = 0; b < 256; ++b) begin[b + 1] += begin[b];
    std::uint64_t next[256];
    std::copy(begin, begin + 256, next);
    for (int b = 0; b < 256; ++b) {
        while (next[b] < begin[b + 1]) {
            const std::uint64_t i = next[b];
            unsigned d = (sources_[i] >> shift) & 0xff;
            while (d != static_cast<unsigned>(b)) {  // carry the element home, displacing another
                const std::uint64_t j = next[d]++;
                std::swap(words_[i], words_[j]);
                std::swap(sources_[i], sources_[j]);
                d = (sources_[i] >> shift) & 0xff;
            }
            ++next[b];
        }
    }
    if (shift == 0) return;
    // The buckets are disjoint: sort them on the builder's threads (the
    // result is the same whichever thread sorts which bucket).
#pragma omp parallel for schedule(dynamic, 1) num_threads(threads_) if (threads_ > 1 && hi - lo > (1u << 16))
    for (int b = 0; b < 256; ++b) bucket_by_source(begin[b], begin[b + 1], shift - 8);
}

void ConnectivityBuilder::add(std::uint64_t source, std::uint32_t target, int channel, double weight, Step delay) {
    if (delay >= (Step{1} << Connectivity::kDelayBits))
        throw input_error("a delay of " + std::to_string(delay) + " steps is longer than pointsim supports (" +
                          std::to_string((1 << Connectivity::kDelayBits) - 1) + " steps)");
    KindKey key{0, static_cast<std::uint8_t>(channel)};
    std::memcpy(&key.weight_bits, &weight, sizeof weight);
    if (!(key == last_key_)) {
        auto [it, inserted] = kinds_.emplace(key, static_cast<std::uint32_t>(c_.kind_weight.size()));
        if (inserted) {
            if (c_.kind_weight.size() > c_.kind_mask)
                throw input_error("more than " + std::to_string(c_.kind_mask + 1) +
                                  " distinct synaptic weights on one process; run on more MPI ranks");
            c_.kind_weight.push_back(weight);
            c_.kind_channel.push_back(static_cast<std::uint8_t>(channel));
        }
        last_key_ = key;
        last_kind_ = it->second;
    }
    words_.push_back((static_cast<std::uint64_t>(delay) << (64 - Connectivity::kDelayBits)) |
                     (static_cast<std::uint64_t>(target) << c_.target_shift) | last_kind_);
    // The target's block: blocks are few and contiguous, a short scan.
    std::size_t block = 0;
    while (block + 2 < block_flat_begin_.size() && target >= block_flat_begin_[block + 1]) ++block;
    const std::uint64_t row = block * n_gids_ + source;
    sources_.push_back(static_cast<std::uint32_t>(row));
    ++counts_[row + 1];
    min_delay_ = std::min(min_delay_, delay);
    max_delay_ = std::max(max_delay_, delay);
}

Connectivity ConnectivityBuilder::finish() {
    // Renumber kinds by (channel, weight) so the order within a row depends
    // on values only, not on the order in which this rank met them.
    const std::size_t n_kinds = c_.kind_weight.size();
    std::vector<std::uint32_t> order(n_kinds);
    std::iota(order.begin(), order.end(), 0u);
    std::sort(order.begin(), order.end(), [&](std::uint32_t a, std::uint32_t b) {
        return std::make_tuple(c_.kind_channel[a], c_.kind_weight[a]) < std::make_tuple(c_.kind_channel[b], c_.kind_weight[b]);
    });
    std::vector<std::uint32_t> new_id(n_kinds);
    std::vector<double> weights(n_kinds);
    std::vector<std::uint8_t> channels(n_kinds);
    for (std::uint32_t i = 0; i < n_kinds; ++i) {
        new_id[order[i]] = i;
        weights[i] = c_.kind_weight[order[i]];
        channels[i] = c_.kind_channel[order[i]];
    }
    c_.kind_weight = std::move(weights);
    c_.kind_channel = std::move(channels);
    for (auto& w : words_) w = (w & ~c_.kind_mask) | new_id[w & c_.kind_mask];
    kinds_.clear();
    last_key_ = KindKey{~std::uint64_t{0}, 0xff};

    // Bucket by row (block, source) in place, then sort every row.
    std::partial_sum(counts_.begin(), counts_.end(), counts_.begin());
    c_.row_begin = counts_;
    const std::size_t n_rows = counts_.size() - 1;
    int top_shift = 0;
    while (top_shift + 8 < 32 && (std::uint64_t{1} << (top_shift + 8)) < n_rows) top_shift += 8;
    bucket_by_source(0, words_.size(), top_shift);
    std::vector<std::uint32_t>().swap(sources_);
    std::vector<std::uint64_t>().swap(counts_);
    // The radix pass is not stable: sort every row into its canonical order.
    const auto n_rows_signed = static_cast<std::int64_t>(n_rows);
#pragma omp parallel for schedule(dynamic, 4096) num_threads(threads_) if (threads_ > 1)
    for (std::int64_t row = 0; row < n_rows_signed; ++row)
        std::sort(words_.begin() + static_cast<std::ptrdiff_t>(c_.row_begin[static_cast<std::size_t>(row)]),
                  words_.begin() + static_cast<std::ptrdiff_t>(c_.row_begin[static_cast<std::size_t>(row) + 1]));
    c_.synapse = std::move(words_);
    c_.min_delay = c_.synapse.empty() ? 1 : min_delay_;
    c_.max_delay = max_delay_;
    return std::move(c_);
}

}  // namespace pointsim::network
