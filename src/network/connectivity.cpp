#include "network/connectivity.hpp"

#include <algorithm>
#include <cstdint>
#include <cstring>
#include <limits>
#include <numeric>
#include <stdexcept>
#include <string>
#include <tuple>

#include "common/error.hpp"
#include "common/huge_pages.hpp"

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
      staged_limit_(staged_limit(n_gids)),
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
    assign_on_huge_pages(counts_, n_gids * n_blocks + 1, std::uint64_t{0});  // becomes the row index
    c_.n_gids = n_gids;
}

void ConnectivityBuilder::allocate() {
    std::partial_sum(counts_.begin(), counts_.end(), counts_.begin());
    // Unfilled: each page is first touched where pass 2 writes it, on the
    // threads that add the stages' parts, rather than by one zero-fill here.
    resize_unfilled_on_huge_pages(words_, counts_.back());
    next_.assign(counts_.begin(), counts_.end() - 1);
    staged_words_.reserve(staged_limit_);
    staged_rows_.reserve(staged_limit_);
    allocated_ = true;
}

std::size_t ConnectivityBuilder::staged_limit(std::size_t n_gids) {
    // Measured (docs/performance.md): at N = 100,000, 2^20 then 2^21 against
    // 2^18 cut the load by a fifth and then an eighth; at N = 20,000 a
    // larger stage gained nothing.
    constexpr std::size_t lo = std::size_t{1} << 18, hi = std::size_t{1} << 21;
    std::size_t limit = lo;
    while (limit < hi && limit < 16 * n_gids) limit *= 2;
    return limit;
}

// Writes the staged words into their rows: a stable counting sort of the
// stage by row (it fits in cache), then one copy per row that has any. Only
// the rows the stage touches are visited, so a flush costs O(stage), not
// O(rows) (blocks x gids rows can be millions).
void ConnectivityBuilder::flush_staged() {
    if (staged_count_.size() != next_.size()) staged_count_.assign(next_.size(), 0);  // zero between flushes
    touched_.clear();
    for (const std::uint32_t r : staged_rows_)
        if (staged_count_[r]++ == 0) touched_.push_back(r);
    // Each touched row's run in `grouped_`, in order of first appearance.
    std::uint32_t offset = 0;
    for (const std::uint32_t r : touched_) {
        const std::uint32_t n = staged_count_[r];
        staged_count_[r] = offset;  // now the row's write position in grouped_
        offset += n;
    }
    grouped_.resize(staged_words_.size());
    for (std::size_t i = 0; i < staged_words_.size(); ++i) grouped_[staged_count_[staged_rows_[i]]++] = staged_words_[i];
    std::uint32_t begin = 0;
    for (const std::uint32_t r : touched_) {
        const std::uint32_t end = staged_count_[r];
        staged_count_[r] = 0;
        if (next_[r] + (end - begin) > counts_[r + 1])
            throw std::logic_error("ConnectivityBuilder::add: more synapses in row " + std::to_string(r) +
                                   " than were counted before allocate()");
        std::copy(grouped_.begin() + begin, grouped_.begin() + end, words_.begin() + static_cast<std::ptrdiff_t>(next_[r]));
        next_[r] += end - begin;
        begin = end;
    }
    staged_words_.clear();
    staged_rows_.clear();
}

void ConnectivityBuilder::fail_delay_too_long(Step delay) {
    throw input_error("a delay of " + std::to_string(delay) + " steps is longer than pointsim supports (" +
                      std::to_string((1 << Connectivity::kDelayBits) - 1) + " steps)");
}

void ConnectivityBuilder::fail_not_allocated(const char* caller) {
    throw std::logic_error(std::string(caller) + " before allocate()");
}

void ConnectivityBuilder::look_up_kind(KindCache& cache, const KindKey& key, double weight) {
    // (Fibonacci hashing: the high bits of the product mix every bit of the weight.)
    const std::uint64_t mixed = (key.weight_bits ^ key.channel) * 0x9E3779B97F4A7C15ull;
    KindCache::Recent& recent = cache.recent[mixed >> 58];
    if (recent.key == key) {
        cache.last_kind = recent.kind;
    } else {
        const std::lock_guard<std::mutex> lock(kinds_mutex_);
        auto [it, inserted] = kinds_.emplace(key, static_cast<std::uint32_t>(c_.kind_weight.size()));
        if (inserted) {
            if (c_.kind_weight.size() > c_.kind_mask)
                throw input_error("more than " + std::to_string(c_.kind_mask + 1) +
                                  " distinct synaptic weights on one process; run on more MPI ranks");
            c_.kind_weight.push_back(weight);
            c_.kind_channel.push_back(key.channel);
        }
        cache.last_kind = it->second;
        recent = {key, cache.last_kind};
    }
    cache.last_key = key;
}

std::size_t ConnectivityBuilder::Stage::size() const {
    std::size_t n = 0;
    for (const auto& rows : rows_) n += rows.size();
    return n;
}

void ConnectivityBuilder::Stage::clear() {
    for (auto& rows : rows_) rows.clear();
    for (auto& words : words_) words.clear();
    min_delay_ = std::numeric_limits<Step>::max();
    max_delay_ = 1;
}

void ConnectivityBuilder::add_counts(const std::vector<Counter>& counters) {
    for (const Counter& counter : counters)
        for (std::size_t r = 0; r < counter.counts_.size(); ++r) counts_[r + 1] += counter.counts_[r];
}

void ConnectivityBuilder::add_stages_part(const std::vector<Stage>& stages, std::size_t part) {
    if (!staged_words_.empty())
        throw std::logic_error("ConnectivityBuilder::add_stages_part after add(): the added synapses would come later");
    // Each row gets its synapses in the order of the stages, as from add().
    for (const Stage& stage : stages) {
        if (part >= stage.rows_.size()) throw std::logic_error("ConnectivityBuilder::add_stages_part: no such part");
        const auto& rows = stage.rows_[part];
        const auto& words = stage.words_[part];
        for (std::size_t i = 0; i < rows.size(); ++i) {
            const std::uint32_t r = rows[i];
            if (next_[r] == counts_[r + 1]) overfull_ = true;
            else words_[next_[r]++] = words[i];
        }
    }
}

void ConnectivityBuilder::end_add_stages(std::vector<Stage>& stages) {
    if (overfull_)
        throw std::logic_error("ConnectivityBuilder::end_add_stages: more synapses in a row than were counted before allocate()");
    for (Stage& stage : stages) {
        n_added_ += stage.size();
        min_delay_ = std::min(min_delay_, stage.min_delay_);
        max_delay_ = std::max(max_delay_, stage.max_delay_);
        stage.clear();
    }
}

// Rows counted larger than filled (edges that turned out to be plastic, or
// counted and then not added) keep their words at the front of their room:
// move them together so that each row starts where the previous one ends.
void ConnectivityBuilder::close_up_rows() {
    const std::size_t n_rows = next_.size();
    std::uint64_t write = 0;
    for (std::size_t r = 0; r < n_rows; ++r) {
        const std::uint64_t begin = counts_[r], end = next_[r];
        if (write != begin) std::copy(words_.begin() + static_cast<std::ptrdiff_t>(begin),
                                      words_.begin() + static_cast<std::ptrdiff_t>(end),
                                      words_.begin() + static_cast<std::ptrdiff_t>(write));
        counts_[r] = write;
        write += end - begin;
    }
    counts_[n_rows] = write;
    words_.resize(write);
    if (write < words_.capacity() / 4 * 3) words_.shrink_to_fit();
}

namespace {

// Insertion sort that gives up after `budget` element moves: true if it
// sorted [first, last). For rows that are sorted but for a few ties.
bool insertion_sort_within(std::uint64_t* first, std::uint64_t* last, std::size_t budget) {
    for (std::uint64_t* i = first + 1; i < last; ++i) {
        const std::uint64_t v = *i;
        std::uint64_t* j = i;
        while (j > first && *(j - 1) > v) {
            *j = *(j - 1);
            --j;
            if (budget-- == 0) {
                *j = v;  // keep the elements a permutation: the caller sorts them again
                return false;
            }
        }
        *j = v;
    }
    return true;
}

// Sorts one row of packed words ([delay | target | kind]). A row filled in
// edge-file order is sorted by target when the file is (BMTK's and pointsim's
// files are): a stable counting sort by delay then leaves only ties of
// (delay, target) out of order. Any other row gets std::sort.
void sort_row(std::uint64_t* first, std::uint64_t* last, std::vector<std::uint64_t>& scratch,
              std::vector<std::uint32_t>& at) {
    const auto n = static_cast<std::size_t>(last - first);
    if (n < 2 || std::is_sorted(first, last)) return;
    constexpr unsigned kShift = 64 - Connectivity::kDelayBits;
    std::uint64_t lo = first[0] >> kShift, hi = lo;
    for (const std::uint64_t* w = first; w < last; ++w) {
        lo = std::min(lo, *w >> kShift);
        hi = std::max(hi, *w >> kShift);
    }
    if (hi - lo >= n) {  // delays spread wider than the row: counting would cost more than it saves
        std::sort(first, last);
        return;
    }
    at.assign(hi - lo + 2, 0);
    for (const std::uint64_t* w = first; w < last; ++w) ++at[(*w >> kShift) - lo + 1];
    std::partial_sum(at.begin(), at.end(), at.begin());
    scratch.resize(n);
    for (const std::uint64_t* w = first; w < last; ++w) scratch[at[(*w >> kShift) - lo]++] = *w;
    std::copy(scratch.begin(), scratch.end(), first);
    if (!insertion_sort_within(first, last, n)) std::sort(first, last);
}

}  // namespace

Connectivity ConnectivityBuilder::finish() {
    if (!allocated_) allocate();
    flush_staged();
    std::vector<std::uint64_t>().swap(staged_words_);
    std::vector<std::uint32_t>().swap(staged_rows_);
    std::vector<std::uint64_t>().swap(grouped_);
    std::vector<std::uint32_t>().swap(staged_count_);
    std::vector<std::uint32_t>().swap(touched_);
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
    kinds_.clear();
    kind_cache_ = KindCache{};

    if (n_added_ != words_.size()) close_up_rows();
    std::vector<std::uint64_t>().swap(next_);
    c_.row_begin = std::move(counts_);
    // Renumber the kinds and sort every row into its canonical order (rows
    // are disjoint: the result does not depend on which thread sorts which).
    const std::uint64_t kind_mask = c_.kind_mask;
    const auto n_rows = static_cast<std::int64_t>(c_.row_begin.size() - 1);
#pragma omp parallel num_threads(threads_) if (threads_ > 1)
    {
        std::vector<std::uint64_t> scratch;
        std::vector<std::uint32_t> at;
#pragma omp for schedule(dynamic, 1024)
        for (std::int64_t row = 0; row < n_rows; ++row) {
            std::uint64_t* first = words_.data() + c_.row_begin[static_cast<std::size_t>(row)];
            std::uint64_t* last = words_.data() + c_.row_begin[static_cast<std::size_t>(row) + 1];
            for (std::uint64_t* w = first; w < last; ++w) *w = (*w & ~kind_mask) | new_id[*w & kind_mask];
            sort_row(first, last, scratch, at);
        }
    }
    c_.min_delay = words_.empty() ? 1 : min_delay_;
    c_.max_delay = max_delay_;
    if (allow_narrow_) narrow_words();
    if (!c_.narrow) c_.wide_words = std::move(words_);
    return std::move(c_);
}

// 32-bit words if [delay | target | kind] fits: the same fields, in the same
// order, so each row stays sorted. The wide words are released 2 MiB at a
// time as they are read, so that the two arrays never need both their sizes.
void ConnectivityBuilder::narrow_words() {
    const unsigned kind_bits = bits_for(std::max<std::size_t>(1, c_.kind_weight.size()));
    const unsigned target_bits = bits_for(c_.target_mask + 1);
    const unsigned delay_bits = bits_for(static_cast<std::uint64_t>(max_delay_) + 1);
    if (kind_bits + target_bits + delay_bits > 32) return;
    const unsigned old_target_shift = c_.target_shift;
    const unsigned old_delay_shift = c_.delay_shift;
    const std::uint64_t target_mask = c_.target_mask, old_kind_mask = c_.kind_mask;
    c_.narrow = true;
    c_.target_shift = kind_bits;
    c_.delay_shift = kind_bits + target_bits;
    c_.kind_mask = (std::uint64_t{1} << kind_bits) - 1;
    const unsigned target_shift = c_.target_shift, delay_shift = c_.delay_shift;
    const std::size_t n = words_.size();
    resize_unfilled_on_huge_pages(c_.narrow_words, n);
    // Chunks end on 2 MiB boundaries of the wide array's addresses (the first
    // is shorter), so each chunk's whole pages are its own.
    constexpr std::size_t kPage = std::size_t{2} << 20, kChunk = kPage / sizeof(std::uint64_t);
    const std::size_t first_end = (kPage - reinterpret_cast<std::uintptr_t>(words_.data()) % kPage) % kPage / sizeof(std::uint64_t);
    const auto n_chunks = static_cast<std::int64_t>(1 + (n > first_end ? (n - first_end + kChunk - 1) / kChunk : 0));
    const std::uint64_t* wide = words_.data();
    std::uint32_t* narrow = c_.narrow_words.data();
#pragma omp parallel for schedule(static) num_threads(threads_) if (threads_ > 1)
    for (std::int64_t chunk = 0; chunk < n_chunks; ++chunk) {
        const std::size_t begin = chunk == 0 ? 0 : std::min(n, first_end + static_cast<std::size_t>(chunk - 1) * kChunk);
        const std::size_t end = std::min(n, first_end + static_cast<std::size_t>(chunk) * kChunk);
        for (std::size_t k = begin; k < end; ++k) {
            const std::uint64_t w = wide[k];
            narrow[k] = static_cast<std::uint32_t>(((w >> old_delay_shift) << delay_shift) |
                                                   (((w >> old_target_shift) & target_mask) << target_shift) |
                                                   (w & old_kind_mask));
        }
        release_pages(words_.data() + begin, (end - begin) * sizeof(std::uint64_t));
    }
    UnfilledVector<std::uint64_t>().swap(words_);
}

}  // namespace pointsim::network
