#pragma once
// Synapses onto this process's neurons, in compressed rows keyed by (thread
// block of the target, source gid): a thread delivers a spike through its
// block's row only. Each synapse is one 64-bit word, [delay | target | kind] from the high
// bits down, and each row is sorted by that word: one spike's deliveries walk
// the ring buffer slot by slot and target by target, and the order in which
// weights are added to a target is canonical (by delay, then weight value),
// so it is the same whatever the partition over ranks. A "kind" is one
// distinct (weight, channel) pair; weights stay exact doubles, stored once.
#include <cstdint>
#include <unordered_map>
#include <vector>

#include "common/time.hpp"

namespace pointsim::network {

struct Connectivity {
    static constexpr unsigned kDelayBits = 20;  // up to 1,048,575 steps

    std::vector<std::uint64_t> row_begin;  // size n_blocks x n_gids + 1: row (block, gid) is block x n_gids + gid
    std::size_t n_gids = 0;
    std::vector<std::uint64_t> synapse;    // packed words, rows sorted
    std::vector<double> kind_weight;       // syn_weight x nsyns
    std::vector<std::uint8_t> kind_channel;
    unsigned target_shift = 0;             // = kind bits
    std::uint64_t target_mask = 0, kind_mask = 0;
    Step min_delay = 1;
    Step max_delay = 1;

    std::size_t size() const { return synapse.size(); }
    // The rows of one block, indexed by source gid (n_gids + 1 entries).
    const std::uint64_t* rows_of_block(std::size_t block) const { return row_begin.data() + block * n_gids; }
    Step delay(std::size_t k) const { return static_cast<Step>(synapse[k] >> (64 - kDelayBits)); }
    std::uint32_t target(std::size_t k) const { return static_cast<std::uint32_t>((synapse[k] >> target_shift) & target_mask); }
    std::uint32_t kind(std::size_t k) const { return static_cast<std::uint32_t>(synapse[k] & kind_mask); }
    double weight(std::size_t k) const { return kind_weight[kind(k)]; }
    std::uint8_t channel(std::size_t k) const { return kind_channel[kind(k)]; }
};

// Collects synapses in any order with 12 bytes each (the packed word and the
// source), then sorts them into rows in place.
class ConnectivityBuilder {
public:
    // block_flat_begin: the thread blocks' first flat indices, and n_local_neurons last
    // (Network::block_flat_begin); empty: one block.
    ConnectivityBuilder(std::size_t n_gids, std::size_t n_local_neurons, std::vector<std::uint32_t> block_flat_begin = {});
    // Throws Error(Input) if the delay or the number of distinct weights
    // does not fit the packed word (the message says which limit).
    void add(std::uint64_t source, std::uint32_t target, int channel, double weight, Step delay);
    std::size_t size() const { return words_.size(); }
    // Room for n synapses, so that growth never copies the arrays.
    void reserve(std::size_t n);
    Connectivity finish();

private:
    void bucket_by_source(std::uint64_t lo, std::uint64_t hi, int shift);

    struct KindKey {
        std::uint64_t weight_bits;
        std::uint8_t channel;
        bool operator==(const KindKey& o) const { return weight_bits == o.weight_bits && channel == o.channel; }
    };
    struct KindHash {
        std::size_t operator()(const KindKey& k) const { return std::hash<std::uint64_t>()(k.weight_bits * 31 + k.channel); }
    };

    Connectivity c_;
    std::vector<std::uint64_t> words_;
    std::vector<std::uint32_t> sources_;  // row keys: block x n_gids + source
    std::vector<std::uint64_t> counts_;   // per row
    std::vector<std::uint32_t> block_flat_begin_;
    std::size_t n_gids_;
    int threads_ = 1;  // one per thread block: they sort in finish()
    std::unordered_map<KindKey, std::uint32_t, KindHash> kinds_;
    KindKey last_key_{~std::uint64_t{0}, 0xff};  // consecutive edges mostly share a type
    std::uint32_t last_kind_ = 0;
    Step min_delay_, max_delay_ = 1;
};

}  // namespace pointsim::network
