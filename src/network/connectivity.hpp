#pragma once
#include <algorithm>
#include <array>
#include <atomic>
#include <cstdint>
#include <cstring>
#include <limits>
#include <mutex>
#include <stdexcept>
#include <unordered_map>
#include <vector>

#include "common/huge_pages.hpp"
#include "common/time.hpp"

namespace pointsim::network {

// Synapses onto this process's neurons, in compressed rows keyed by (thread
// block of the target, source gid): a thread delivers a spike through its
// block's row only. Each synapse is one packed word, [delay | target | kind]
// from the high bits down, and each row is sorted by that word: a spike's
// words of one delay (one ring slot) lie together, in target order, and the
// order in which weights are added to a target is canonical (by delay, then
// weight value), so it is the same whatever the partition over ranks. A
// "kind" is one distinct (weight, channel) pair; weights stay exact doubles,
// stored once.
//
// Words are 32 bits wide when the three fields fit (the longest delay, the
// local neurons and the kinds: 5 + 17 + 10 bits at N = 100,000), which halves
// the bytes a spike's row is read from and the synapses' memory; else 64
// bits, with kDelayBits for the delay. The fields mean the same in both:
// delay(), target() and kind() read either, and the engine's kernels take
// the words of the width in use.
struct Connectivity {
    static constexpr unsigned kDelayBits = 20;  // of a 64-bit word: up to 1,048,575 steps

    std::vector<std::uint64_t> row_begin;  // size n_blocks x n_gids + 1: row (block, gid) is block x n_gids + gid
    std::size_t n_gids = 0;
    bool narrow = false;                   // the words are narrow_words (else wide_words; the other is empty)
    UnfilledVector<std::uint64_t> wide_words;
    UnfilledVector<std::uint32_t> narrow_words;
    std::vector<double> kind_weight;       // syn_weight x nsyns
    std::vector<std::uint8_t> kind_channel;
    unsigned delay_shift = 64 - kDelayBits;
    unsigned target_shift = 0;             // = kind bits
    std::uint64_t target_mask = 0, kind_mask = 0;
    Step min_delay = 1;
    Step max_delay = 1;

    std::size_t size() const { return narrow ? narrow_words.size() : wide_words.size(); }
    std::uint64_t word(std::size_t k) const { return narrow ? narrow_words[k] : wide_words[k]; }
    // The rows of one block, indexed by source gid (n_gids + 1 entries).
    const std::uint64_t* rows_of_block(std::size_t block) const { return row_begin.data() + block * n_gids; }
    Step delay(std::size_t k) const { return static_cast<Step>(word(k) >> delay_shift); }
    std::uint32_t target(std::size_t k) const { return static_cast<std::uint32_t>((word(k) >> target_shift) & target_mask); }
    std::uint32_t kind(std::size_t k) const { return static_cast<std::uint32_t>(word(k) & kind_mask); }
    double weight(std::size_t k) const { return kind_weight[kind(k)]; }
    std::uint8_t channel(std::size_t k) const { return kind_channel[kind(k)]; }
};

// Builds the rows in two passes over the edges, with 4 bytes per synapse
// where the words fit 32 bits (8 where they do not):
//  1. count(source, target) for every synapse that add() may add later (more
//     is allowed: rows are closed up in finish()), then allocate();
//  2. add() each synapse: it goes into its row, in the order added (staged
//     and grouped by row a few hundred thousand at a time, so that each row
//     is written a run at a time rather than one random word at a time).
//     On several threads, pass 1 counts into a Counter per thread, and
//     pass 2 adds each share of a chunk of edges into its own Stage, which
//     the add_stages_part() calls put into the rows, in order.
// finish() then puts every row into its canonical order (edge files are
// mostly sorted by target, so a row arrives sorted by target and a stable
// counting sort by delay usually finishes it; a general sort otherwise).
// The rows are 32-bit words from the start (unless allow_narrow(false)),
// with the bits left by the targets split between delay and kind: before
// words go into the rows (a flush of add()'s stage, begin_add_stages()),
// the split is moved if the longest delay or the kinds so far outgrow it
// (the words already in the rows re-encoded), and the rows are widened to
// 64 bits, once, if the two no longer fit together.
class ConnectivityBuilder {
    struct KindKey {
        std::uint64_t weight_bits;
        std::uint8_t channel;
        bool operator==(const KindKey& o) const { return weight_bits == o.weight_bits && channel == o.channel; }
    };
    struct KindHash {
        std::size_t operator()(const KindKey& k) const { return std::hash<std::uint64_t>()(k.weight_bits * 31 + k.channel); }
    };
    // The kinds one adder met last, before the shared hash map: consecutive
    // edges mostly share a type, and per-edge nsyns or weights make them
    // alternate between a handful of kinds.
    struct KindCache {
        struct Recent {
            KindKey key{~std::uint64_t{0}, 0xff};  // no weight has these bits with this channel
            std::uint32_t kind = 0;
        };
        KindKey last_key{~std::uint64_t{0}, 0xff};
        std::uint32_t last_kind = 0;
        std::array<Recent, 64> recent{};  // indexed by 6 bits of a hash
    };

public:
    // block_flat_begin: the thread blocks' first flat indices, and n_local_neurons last
    // (Network::block_flat_begin); empty: one block.
    ConnectivityBuilder(std::size_t n_gids, std::size_t n_local_neurons, std::vector<std::uint32_t> block_flat_begin = {});
    std::size_t n_blocks() const { return block_flat_begin_.size() - 1; }
    // Pass 1. With one block the target does not matter (any value).
    void count(std::uint64_t source, std::uint32_t target) { ++counts_[row_of(source, target) + 1]; }
    // Between the passes: every row gets room for its count.
    void allocate();
    // Pass 2. Throws Error(Input) if the delay or the number of distinct
    // weights does not fit the packed word (the message says which limit);
    // std::logic_error if the synapse's row is already full (not counted).
    void add(std::uint64_t source, std::uint32_t target, int channel, double weight, Step delay) {
        bool given = false;  // a run of one synapse
        add_run(target, channel, [&](std::uint64_t& s, double& w, Step& d) {
            if (given) return false;
            s = source;
            w = weight;
            d = delay;
            return given = true;
        });
    }
    // Adds each synapse next(source, weight, delay) gives until it returns
    // false, all to `target` on `channel` (a run of one target's edges), as
    // add() would one by one (add() is the run of one). The builder's
    // counters stay in locals for the run: the stores into the stage could
    // alias them, so a loop of single adds stored and reloaded them per synapse.
    template <class Next>
    void add_run(std::uint32_t target, int channel, Next&& next) {
        if (!allocated_) fail_not_allocated("ConnectivityBuilder::add");
        // Written by index into the stage allocate() sized: push_back was
        // not inlined, a call per synapse (6% of the one-thread load).
        const std::uint64_t row_base = row_of(0, target);
        std::size_t n = n_staged_, added = 0;
        Step lo = min_delay_, hi = max_delay_;
        std::uint64_t source = 0;
        double weight = 0;
        Step delay = 0;
        while (next(source, weight, delay)) {
            staged_words_[n] = word(kind_cache_, target, channel, weight, delay);
            staged_rows_[n] = static_cast<std::uint32_t>(row_base + source);
            ++added;
            lo = std::min(lo, delay);
            hi = std::max(hi, delay);
            if (++n == staged_limit_) {
                n_staged_ = n;
                min_delay_ = lo;
                max_delay_ = hi;
                flush_staged();  // fits the rows to max_delay_
                n = 0;
            }
        }
        n_staged_ = n;
        n_added_ += added;
        min_delay_ = lo;
        max_delay_ = hi;
    }
    std::size_t size() const { return n_added_; }
    // Whether the words may be 32 bits wide (default: yes); before
    // allocate(). The results do not depend on it; the wide words can be
    // asked for to check that (POINTSIM_SYNAPSE_WORDS=64, network::build).
    void allow_narrow(bool allowed) {
        if (allocated_) throw std::logic_error("ConnectivityBuilder::allow_narrow after allocate()");
        allow_narrow_ = allowed;
    }
    Connectivity finish();
    // Synapses add() stages per flush: about 16 per source gid, so that a
    // flush writes each row a run of words rather than one or two (a chunk
    // of a file sorted by target has sources of every kind); at least 2^18
    // (3 MB, which stays in cache while grouped), at most 2^21 (24 MB with
    // the grouping buffer).
    static std::size_t staged_limit(std::size_t n_gids);

    // Pass 1 on several threads: each thread count()s into its own Counter
    // (counting commutes: the order does not matter), then add_counts().
    class Counter {
    public:
        explicit Counter(const ConnectivityBuilder& builder) : builder_(&builder), counts_(builder.counts_.size() - 1, 0) {}
        void count(std::uint64_t source, std::uint32_t target) { ++counts_[builder_->row_of(source, target)]; }

    private:
        friend class ConnectivityBuilder;
        const ConnectivityBuilder* builder_;
        std::vector<std::uint64_t> counts_;  // per row
    };
    void add_counts(const std::vector<Counter>& counters);

    // Pass 2 on several threads: each share of a chunk of edges is add()ed
    // into its own Stage (the same checks as ConnectivityBuilder::add; Stages
    // of one builder may work at the same time), which sorts its synapses
    // into `parts` parts by row (runs of 64 rows, spread by a hash); then
    // begin_add_stages() (on one thread: it may re-encode the rows), then
    // add_stages_part() for every part of [0, parts), on as many threads at
    // once (the parts own disjoint rows), puts them into the rows as if
    // add()ed in the order of the stages, then of each stage; then
    // end_add_stages(), which clears the stages. Not mixed with add()
    // (logic_error).
    class Stage {
    public:
        Stage(ConnectivityBuilder& builder, std::size_t parts)
            : builder_(&builder), rows_(std::max<std::size_t>(1, parts)), words_(std::max<std::size_t>(1, parts)) {}
        void add(std::uint64_t source, std::uint32_t target, int channel, double weight, Step delay) {
            if (!builder_->allocated_) fail_not_allocated("ConnectivityBuilder::Stage::add");
            const std::uint64_t word = builder_->word(kinds_, target, channel, weight, delay);
            const auto row = static_cast<std::uint32_t>(builder_->row_of(source, target));
            const std::size_t part = part_of(row, rows_.size());
            rows_[part].push_back(row);
            words_[part].push_back(word);
            min_delay_ = std::min(min_delay_, delay);
            max_delay_ = std::max(max_delay_, delay);
        }
        // As ConnectivityBuilder::add_run.
        template <class Next>
        void add_run(std::uint32_t target, int channel, Next&& next) {
            std::uint64_t source = 0;
            double weight = 0;
            Step delay = 0;
            while (next(source, weight, delay)) add(source, target, channel, weight, delay);
        }
        std::size_t size() const;  // synapses added
        void clear();  // (keeps the memory)
        // Room for about `synapses` synapses over the parts, so that the
        // parts do not grow (copy and touch fresh pages) while filled.
        void reserve(std::size_t synapses);

    private:
        friend class ConnectivityBuilder;
        ConnectivityBuilder* builder_;
        KindCache kinds_;
        std::vector<std::vector<std::uint32_t>> rows_;   // per part
        std::vector<std::vector<std::uint64_t>> words_;  // per part
        Step min_delay_ = std::numeric_limits<Step>::max(), max_delay_ = 1;
    };
    void begin_add_stages(const std::vector<Stage>& stages);
    void add_stages_part(const std::vector<Stage>& stages, std::size_t part);
    void end_add_stages(std::vector<Stage>& stages);

private:
    std::uint64_t row_of(std::uint64_t source, std::uint32_t target) const {
        // The target's block: blocks are few and contiguous, a short scan.
        std::size_t block = 0;
        while (block + 2 < block_flat_begin_.size() && target >= block_flat_begin_[block + 1]) ++block;
        return block * n_gids_ + source;
    }
    // The part of `parts` that owns a row: runs of 64 rows, not halves, since
    // a chunk of an edge file sorted by target feeds few blocks' rows but
    // sources of every kind. A multiplicative hash of the run's index, scaled
    // to [0, parts) by a multiply and a shift (a modulo per row costs more).
    static std::size_t part_of(std::uint32_t row, std::size_t parts) {
        const std::uint32_t mixed = (row >> 6) * 0x9E3779B9u;
        return static_cast<std::size_t>((mixed * std::uint64_t{parts}) >> 32);
    }

    // The packed word of a synapse, its kind looked up through `cache`
    // (thread-safe: a new kind is added under a lock). Inline: once per edge.
    std::uint64_t word(KindCache& cache, std::uint32_t target, int channel, double weight, Step delay) {
        if (delay >= (Step{1} << Connectivity::kDelayBits)) fail_delay_too_long(delay);
        KindKey key{0, static_cast<std::uint8_t>(channel)};
        std::memcpy(&key.weight_bits, &weight, sizeof weight);
        if (!(key == cache.last_key)) look_up_kind(cache, key, weight);
        return (static_cast<std::uint64_t>(delay) << (64 - Connectivity::kDelayBits)) |
               (static_cast<std::uint64_t>(target) << c_.target_shift) | cache.last_kind;
    }
    // Sets cache.last_key and last_kind to `key`'s kind, a new one if needed.
    void look_up_kind(KindCache& cache, const KindKey& key, double weight);
    [[noreturn]] static void fail_delay_too_long(Step delay);
    [[noreturn]] static void fail_not_allocated(const char* caller);
    void flush_staged();
    // Makes the rows' layout hold delays up to max_delay and every kind met
    // so far: moves the narrow split or widens the rows (re-encoding the
    // words already in them).
    void fit_rows(Step max_delay);
    // Wide words to narrow ones with the current split. A copy is taken
    // into a local before a loop: the loop's stores of 32-bit words could
    // otherwise alias the builder's members, which would be read again after
    // every store.
    struct Narrowing {
        unsigned wide_target_shift, target_shift, delay_shift;
        std::uint64_t target_mask, wide_kind_mask;
        std::uint32_t operator()(std::uint64_t w) const {
            const std::uint64_t delay = w >> (64 - Connectivity::kDelayBits);
            const std::uint64_t target = (w >> wide_target_shift) & target_mask;
            return static_cast<std::uint32_t>((delay << delay_shift) | (target << target_shift) | (w & wide_kind_mask));
        }
    };
    Narrowing narrowing() const {
        return {c_.target_shift, narrow_kind_bits_, narrow_kind_bits_ + target_bits_, c_.target_mask, c_.kind_mask};
    }
    void close_up_rows();

    Connectivity c_;
    // The rows: 64-bit words_, or narrow_rows_ [delay | target | kind] of
    // 32 bits with narrow_kind_bits_ of kind. Not filled: pass 2 writes every
    // word kept (close_up_rows).
    UnfilledVector<std::uint64_t> words_;
    UnfilledVector<std::uint32_t> narrow_rows_;
    bool narrow_ = false;
    unsigned target_bits_ = 0, narrow_kind_bits_ = 0;
    std::vector<std::uint64_t> counts_;   // pass 1: per row (shifted by one); then the rows' first words
    std::vector<std::uint64_t> next_;     // pass 2: where each row's next word goes
    UnfilledVector<std::uint64_t> staged_words_;  // [0, n_staged_): added, not yet in their rows
    UnfilledVector<std::uint32_t> staged_rows_;
    std::size_t n_staged_ = 0;
    std::vector<std::uint64_t> grouped_;       // flush_staged(): staged words grouped by row
    std::vector<std::uint32_t> grouped_narrow_;  // the same, narrowed (narrow rows)
    std::vector<std::uint32_t> staged_count_;  // flush_staged(): per row, zero between flushes
    std::vector<std::uint32_t> touched_;       // flush_staged(): rows of the stage, first appearance order
    std::vector<std::uint32_t> block_flat_begin_;
    std::size_t n_gids_;
    std::size_t staged_limit_;
    std::size_t n_added_ = 0;
    bool allocated_ = false;
    bool allow_narrow_ = true;
    bool stages_begun_ = false;  // begin_add_stages() fitted the rows to the stages
    int threads_ = 1;  // one per thread block: they sort in finish()
    std::mutex kinds_mutex_;  // Stages add kinds from several threads
    std::atomic<bool> overfull_{false};  // add_stages_part: a row had more synapses than counted
    std::unordered_map<KindKey, std::uint32_t, KindHash> kinds_;
    KindCache kind_cache_;  // add()'s
    Step min_delay_, max_delay_ = 1;
};

}  // namespace pointsim::network
