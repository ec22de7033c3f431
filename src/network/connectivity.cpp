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
    target_bits_ = target_bits;
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
    // Narrow rows start with the bits beside the target shared out evenly
    // (fit_rows() moves the split as delays and kinds come).
    narrow_ = allow_narrow_ && target_bits_ + 2 <= 32;
    if (narrow_) {
        narrow_kind_bits_ = 1 + (32 - target_bits_ - 2) / 2;
        resize_unfilled_on_huge_pages(narrow_rows_, counts_.back());
    } else {
        resize_unfilled_on_huge_pages(words_, counts_.back());
    }
    next_.assign(counts_.begin(), counts_.end() - 1);
    staged_words_.resize(staged_limit_);
    staged_rows_.resize(staged_limit_);
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
    fit_rows(max_delay_);
    if (staged_count_.size() != next_.size()) staged_count_.assign(next_.size(), 0);  // zero between flushes
    touched_.clear();
    for (std::size_t i = 0; i < n_staged_; ++i)
        if (staged_count_[staged_rows_[i]]++ == 0) touched_.push_back(staged_rows_[i]);
    // Each touched row's run in `grouped_`, in order of first appearance.
    std::uint32_t offset = 0;
    for (const std::uint32_t r : touched_) {
        const std::uint32_t n = staged_count_[r];
        staged_count_[r] = offset;  // now the row's write position in grouped_
        offset += n;
    }
    // Grouped into `grouped`, then a copy per row into `rows`; narrow rows
    // get their words narrowed as they are grouped.
    auto group_and_put = [&](auto& grouped, auto& rows, auto convert) {
        grouped.resize(n_staged_);
        for (std::size_t i = 0; i < n_staged_; ++i) grouped[staged_count_[staged_rows_[i]]++] = convert(staged_words_[i]);
        std::uint32_t begin = 0;
        for (const std::uint32_t r : touched_) {
            const std::uint32_t end = staged_count_[r];
            staged_count_[r] = 0;
            if (next_[r] + (end - begin) > counts_[r + 1])
                throw std::logic_error("ConnectivityBuilder::add: more synapses in row " + std::to_string(r) +
                                       " than were counted before allocate()");
            std::copy(grouped.begin() + begin, grouped.begin() + end, rows.begin() + static_cast<std::ptrdiff_t>(next_[r]));
            next_[r] += end - begin;
            begin = end;
        }
    };
    if (narrow_) group_and_put(grouped_narrow_, narrow_rows_, narrowing());
    else group_and_put(grouped_, words_, [](std::uint64_t w) { return w; });
    n_staged_ = 0;
}

void ConnectivityBuilder::fail_delay_too_long(Step delay) {
    throw input_error("a delay of " + std::to_string(delay) + " steps is longer than pointsim supports (" +
                      std::to_string((1 << Connectivity::kDelayBits) - 1) + " steps)");
}

void ConnectivityBuilder::fail_not_allocated(const char* caller) {
    throw std::logic_error(std::string(caller) + " before allocate() or after finish()");
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

void ConnectivityBuilder::Stage::reserve(std::size_t synapses) {
    // Rows go to parts by a hash: each part gets about its share, and a
    // little more.
    const std::size_t per_part = synapses / rows_.size() + synapses / (8 * rows_.size()) + 64;
    for (auto& rows : rows_) rows.reserve(per_part);
    for (auto& words : words_) words.reserve(per_part);
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

void ConnectivityBuilder::begin_add_stages(const std::vector<Stage>& stages) {
    if (n_staged_ != 0)
        throw std::logic_error("ConnectivityBuilder::begin_add_stages after add(): the added synapses would come later");
    Step max_delay = max_delay_;
    for (const Stage& stage : stages) max_delay = std::max(max_delay, stage.max_delay_);
    fit_rows(max_delay);
    stages_begun_ = true;
}

void ConnectivityBuilder::add_stages_part(const std::vector<Stage>& stages, std::size_t part) {
    if (!stages_begun_) throw std::logic_error("ConnectivityBuilder::add_stages_part without begin_add_stages()");
    // Each row gets its synapses in the order of the stages, as from add().
    const Narrowing narrow = narrowing();
    for (const Stage& stage : stages) {
        if (part >= stage.rows_.size()) throw std::logic_error("ConnectivityBuilder::add_stages_part: no such part");
        const auto& rows = stage.rows_[part];
        const auto& words = stage.words_[part];
        for (std::size_t i = 0; i < rows.size(); ++i) {
            const std::uint32_t r = rows[i];
            if (next_[r] == counts_[r + 1]) overfull_ = true;
            else if (narrow_) narrow_rows_[next_[r]++] = narrow(words[i]);
            else words_[next_[r]++] = words[i];
        }
    }
}

void ConnectivityBuilder::end_add_stages(std::vector<Stage>& stages) {
    stages_begun_ = false;
    if (overfull_)
        throw std::logic_error("ConnectivityBuilder::end_add_stages: more synapses in a row than were counted before allocate()");
    for (Stage& stage : stages) {
        n_added_ += stage.size();
        min_delay_ = std::min(min_delay_, stage.min_delay_);
        max_delay_ = std::max(max_delay_, stage.max_delay_);
        stage.clear();
    }
}

void ConnectivityBuilder::fit_rows(Step max_delay) {
    if (!narrow_) return;
    const unsigned need_delay = bits_for(static_cast<std::uint64_t>(max_delay) + 1);
    const unsigned need_kind = bits_for(std::max<std::size_t>(1, c_.kind_weight.size()));
    if (need_kind <= narrow_kind_bits_ && need_delay <= 32 - target_bits_ - narrow_kind_bits_) return;
    // The words in the rows so far, [counts_[r], next_[r]) of each row r, as
    // wide words (their fields do not depend on the split).
    const unsigned old_kind_bits = narrow_kind_bits_;
    const std::uint64_t old_kind_mask = (std::uint64_t{1} << old_kind_bits) - 1;
    auto wide_word = [&](std::uint32_t n) {
        const std::uint64_t delay = n >> (target_bits_ + old_kind_bits);
        const std::uint64_t target = (n >> old_kind_bits) & c_.target_mask;
        return (delay << (64 - Connectivity::kDelayBits)) | (target << c_.target_shift) | (n & old_kind_mask);
    };
    const std::size_t n_rows = next_.size();
    if (need_delay + target_bits_ + need_kind > 32) {  // for good: delays and kinds only grow
        resize_unfilled_on_huge_pages(words_, narrow_rows_.size());
        for (std::size_t r = 0; r < n_rows; ++r)
            for (std::uint64_t k = counts_[r]; k < next_[r]; ++k) words_[k] = wide_word(narrow_rows_[k]);
        UnfilledVector<std::uint32_t>().swap(narrow_rows_);
        narrow_ = false;
        return;
    }
    narrow_kind_bits_ = need_kind + (32 - target_bits_ - need_delay - need_kind) / 2;
    const Narrowing narrow = narrowing();
    for (std::size_t r = 0; r < n_rows; ++r)
        for (std::uint64_t k = counts_[r]; k < next_[r]; ++k) narrow_rows_[k] = narrow(wide_word(narrow_rows_[k]));
}

// Rows counted larger than filled (edges that turned out to be plastic, or
// counted and then not added) keep their words at the front of their room:
// move them together so that each row starts where the previous one ends.
void ConnectivityBuilder::close_up_rows() {
    auto close_up = [this](auto& words) {
        const std::size_t n_rows = next_.size();
        std::uint64_t write = 0;
        for (std::size_t r = 0; r < n_rows; ++r) {
            const std::uint64_t begin = counts_[r], end = next_[r];
            if (write != begin) std::copy(words.begin() + static_cast<std::ptrdiff_t>(begin),
                                          words.begin() + static_cast<std::ptrdiff_t>(end),
                                          words.begin() + static_cast<std::ptrdiff_t>(write));
            counts_[r] = write;
            write += end - begin;
        }
        counts_[n_rows] = write;
        words.resize(write);
        if (write < words.capacity() / 4 * 3) words.shrink_to_fit();
    };
    if (narrow_) close_up(narrow_rows_);
    else close_up(words_);
}

namespace {

// Insertion sort that gives up after `budget` element moves: true if it
// sorted [first, last). For rows that are sorted but for a few ties.
template <class Word>
bool insertion_sort_within(Word* first, Word* last, std::size_t budget) {
    for (Word* i = first + 1; i < last; ++i) {
        const Word v = *i;
        Word* j = i;
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

// Renumbers the kinds of one row of packed words ([delay | target | kind])
// by new_id and sorts the row. A row filled in edge-file order is sorted by
// target when the file is (BMTK's and pointsim's files are): a stable
// counting sort by delay then leaves only ties of (delay, target) out of
// order. Rows shorter than the delays' range [lo, hi] (every row's delays
// are in it) get std::sort. The renumbering and the count are one pass.
// kShift: the delay's shift in a word.
template <class Word>
void renumber_and_sort_row(Word* first, Word* last, unsigned kShift, Word kind_mask, const std::uint32_t* new_id,
                           Word lo, Word hi, std::vector<Word>& scratch, std::vector<std::uint32_t>& at) {
    const auto n = static_cast<std::size_t>(last - first);
    auto renumber = [&](Word w) { return static_cast<Word>((w & ~kind_mask) | new_id[w & kind_mask]); };
    // The words from `from` on renumbered, then std::sort if not sorted.
    auto renumber_rest_and_sort = [&](Word* from) {
        for (; from < last; ++from) *from = renumber(*from);
        if (!std::is_sorted(first, last)) std::sort(first, last);
    };
    const Word span = hi - lo;
    if (span >= n) {  // delays spread wider than the row: counting would cost more than it saves
        renumber_rest_and_sort(first);
        return;
    }
    at.assign(span + 2, 0);
    Word* w = first;
    for (; w < last; ++w) {
        *w = renumber(*w);
        const Word d = (*w >> kShift) - lo;
        if (d > span) break;  // (a delay outside [lo, hi]: a bug elsewhere; the row is still sorted right)
        ++at[d + 1];
    }
    if (w != last) {
        renumber_rest_and_sort(w + 1);
        return;
    }
    if (std::is_sorted(first, last)) return;
    std::partial_sum(at.begin(), at.end(), at.begin());
    scratch.resize(n);
    for (const Word* w = first; w < last; ++w) scratch[at[(*w >> kShift) - lo]++] = *w;
    std::copy(scratch.begin(), scratch.end(), first);
    if (!insertion_sort_within(first, last, n)) std::sort(first, last);
}

}  // namespace

Connectivity ConnectivityBuilder::finish() {
    if (!allocated_) allocate();
    flush_staged();
    UnfilledVector<std::uint64_t>().swap(staged_words_);
    UnfilledVector<std::uint32_t>().swap(staged_rows_);
    std::vector<std::uint64_t>().swap(grouped_);
    std::vector<std::uint32_t>().swap(grouped_narrow_);
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

    if (n_added_ != (narrow_ ? narrow_rows_.size() : words_.size())) close_up_rows();  // now they hold n_added_
    std::vector<std::uint64_t>().swap(next_);
    c_.row_begin = std::move(counts_);
    // Renumber the kinds and sort every row into its canonical order (rows
    // are disjoint: the result does not depend on which thread sorts which).
    const auto n_rows = static_cast<std::int64_t>(c_.row_begin.size() - 1);
    auto sort_rows = [&](auto& words, unsigned delay_shift, std::uint64_t kind_mask) {
        using Word = typename std::decay_t<decltype(words)>::value_type;
        const auto lo = static_cast<Word>(c_.min_delay), hi = static_cast<Word>(c_.max_delay);
#pragma omp parallel num_threads(threads_) if (threads_ > 1)
        {
            std::vector<Word> scratch;
            std::vector<std::uint32_t> at;
#pragma omp for schedule(dynamic, 1024)
            for (std::int64_t row = 0; row < n_rows; ++row) {
                Word* first = words.data() + c_.row_begin[static_cast<std::size_t>(row)];
                Word* last = words.data() + c_.row_begin[static_cast<std::size_t>(row) + 1];
                renumber_and_sort_row(first, last, delay_shift, static_cast<Word>(kind_mask), new_id.data(), lo, hi,
                                      scratch, at);
            }
        }
    };
    c_.min_delay = n_added_ == 0 ? 1 : min_delay_;
    c_.max_delay = max_delay_;
    if (narrow_) {
        c_.narrow = true;
        c_.target_shift = narrow_kind_bits_;
        c_.delay_shift = narrow_kind_bits_ + target_bits_;
        c_.kind_mask = (std::uint64_t{1} << narrow_kind_bits_) - 1;
        sort_rows(narrow_rows_, c_.delay_shift, c_.kind_mask);
        c_.narrow_words = std::move(narrow_rows_);
    } else {
        sort_rows(words_, c_.delay_shift, c_.kind_mask);
        c_.wide_words = std::move(words_);
    }
    allocated_ = false;  // add() now refuses, instead of writing into the released stage
    return std::move(c_);
}

}  // namespace pointsim::network
