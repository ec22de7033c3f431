// ConnectivityBuilder on its own: whatever order synapses are added in, and
// however their rows were counted, every row ends up holding exactly its
// synapses, sorted by packed word (the canonical order delivery relies on).
// The orders below exercise each way finish() sorts a row: rows that arrive
// sorted by target (counting sort by delay), ties of (delay, target) with
// different weights (the insertion pass), shuffled rows (std::sort), delays
// spread wider than the row, and rows counted larger than filled. Every
// build is made twice, with the words narrowed to 32 bits where they fit and
// kept 64 bits wide, and the two must hold the same fields.
#include <algorithm>
#include <cstdint>
#include <random>
#include <set>
#include <stdexcept>
#include <string>
#include <thread>
#include <tuple>
#include <vector>

#include <gtest/gtest.h>

#include "common/error.hpp"
#include "common/huge_pages.hpp"
#include "network/connectivity.hpp"

namespace pointsim::network {
namespace {

struct Synapse {
    std::uint64_t source;
    std::uint32_t target;
    int channel;
    double weight;
    Step delay;
};

// The synapses of one (block, source) row as (delay, target, channel, weight), sorted.
using Entry = std::tuple<Step, std::uint32_t, int, double>;

std::vector<std::uint32_t> blocks_of(std::uint32_t n_neurons, int n_blocks) {
    std::vector<std::uint32_t> b;
    for (int i = 0; i <= n_blocks; ++i) b.push_back(static_cast<std::uint32_t>(n_neurons * i / n_blocks));
    return b;
}

unsigned bits_to_hold(std::uint64_t n_values) {  // at least 1
    unsigned b = 1;
    while ((std::uint64_t{1} << b) < n_values) ++b;
    return b;
}

// Builds with the two passes and checks every row against the synapses
// given; *narrow: whether the words were narrowed to 32 bits.
void build_and_check(const std::vector<Synapse>& synapses, std::size_t n_gids, std::uint32_t n_neurons, int n_blocks,
                     std::size_t extra_counted = 0, bool* narrow = nullptr) {
    const auto block_begin = blocks_of(n_neurons, n_blocks);
    auto build = [&](bool allow_narrow) {
        ConnectivityBuilder builder(n_gids, n_neurons, block_begin);
        EXPECT_EQ(builder.n_blocks(), static_cast<std::size_t>(n_blocks));
        builder.allow_narrow(allow_narrow);
        for (const auto& s : synapses) builder.count(s.source, s.target);
        for (std::size_t i = 0; i < extra_counted; ++i) builder.count(i % n_gids, static_cast<std::uint32_t>(i % n_neurons));
        builder.allocate();
        for (const auto& s : synapses) builder.add(s.source, s.target, s.channel, s.weight, s.delay);
        EXPECT_EQ(builder.size(), synapses.size());
        return builder.finish();
    };
    const Connectivity c = build(true);
    const Connectivity wide = build(false);
    if (narrow) *narrow = c.narrow;
    ASSERT_EQ(c.size(), synapses.size());
    // Narrow exactly when the longest delay, the targets and the kinds fit 32 bits.
    std::set<std::pair<int, double>> kinds;
    Step max_delay = 1;
    for (const auto& s : synapses) {
        kinds.emplace(s.channel, s.weight);
        max_delay = std::max(max_delay, s.delay);
    }
    const unsigned bits = bits_to_hold(static_cast<std::uint64_t>(max_delay) + 1) + bits_to_hold(n_neurons) +
                          bits_to_hold(std::max<std::size_t>(1, kinds.size()));
    EXPECT_EQ(c.narrow, bits <= 32) << bits << " bits";
    EXPECT_TRUE(c.narrow ? c.wide_words.empty() : c.narrow_words.empty());
    EXPECT_FALSE(wide.narrow);
    EXPECT_EQ(wide.row_begin, c.row_begin);
    EXPECT_EQ(wide.kind_weight, c.kind_weight);
    EXPECT_EQ(wide.size(), c.size());
    for (std::size_t k = 0; k < c.size() && k < wide.size(); ++k) {
        ASSERT_EQ(c.delay(k), wide.delay(k)) << k;
        ASSERT_EQ(c.target(k), wide.target(k)) << k;
        ASSERT_EQ(c.kind(k), wide.kind(k)) << k;
    }
    ASSERT_EQ(c.row_begin.size(), n_gids * static_cast<std::size_t>(n_blocks) + 1);

    auto block_of = [&](std::uint32_t target) {
        std::size_t b = 0;
        while (b + 1 < static_cast<std::size_t>(n_blocks) && target >= block_begin[b + 1]) ++b;
        return b;
    };
    std::vector<std::vector<Entry>> expected(n_gids * static_cast<std::size_t>(n_blocks));
    for (const auto& s : synapses)
        expected[block_of(s.target) * n_gids + s.source].emplace_back(s.delay, s.target, s.channel, s.weight);
    for (std::size_t row = 0; row < expected.size(); ++row) {
        std::vector<Entry> got;
        for (auto k = c.row_begin[row]; k < c.row_begin[row + 1]; ++k)
            got.emplace_back(c.delay(k), c.target(k), c.channel(k), c.weight(k));
        std::sort(expected[row].begin(), expected[row].end());
        // The same synapses...
        std::vector<Entry> got_sorted = got;
        std::sort(got_sorted.begin(), got_sorted.end());
        ASSERT_EQ(got_sorted, expected[row]) << "row " << row;
        // ...in word order: by delay, then target, then kind.
        for (auto k = c.row_begin[row]; k + 1 < c.row_begin[row + 1]; ++k) ASSERT_LE(c.word(k), c.word(k + 1)) << "row " << row;
    }
}

// build_and_check(), then whether the words were narrowed to 32 bits.
bool narrowed(const std::vector<Synapse>& synapses, std::size_t n_gids, std::uint32_t n_neurons, int n_blocks) {
    bool narrow = false;
    build_and_check(synapses, n_gids, n_neurons, n_blocks, 0, &narrow);
    return narrow;
}

// Synapses as an edge file sorted by target lists them: for each target, its sources.
std::vector<Synapse> target_sorted(std::size_t n_gids, std::uint32_t n_neurons, int indegree, Step max_delay,
                                   int n_weights, std::uint32_t seed) {
    std::mt19937 rng(seed);
    std::uniform_int_distribution<std::uint64_t> source(0, n_gids - 1);
    std::uniform_int_distribution<Step> delay(1, max_delay);
    std::uniform_int_distribution<int> w(0, n_weights - 1);
    std::vector<Synapse> out;
    for (std::uint32_t t = 0; t < n_neurons; ++t)
        for (int k = 0; k < indegree; ++k) {
            const int wi = w(rng);
            out.push_back({source(rng), t, wi % 2, 0.5 + wi, delay(rng)});
        }
    return out;
}

// The synapse words, the row index and the ring buffer are allocated this
// way: advice on fresh memory, then the values, whether the vector grows,
// is reused with room to spare, or is too small for a huge page.
TEST(HugePagesTest, AssignGivesTheValuesWhateverTheCapacity) {
    std::vector<std::uint64_t> v{1, 2, 3};
    const std::size_t big = (std::size_t{6} << 20) / sizeof(std::uint64_t) + 3;  // 6 MiB and a bit: unaligned
    pointsim::assign_on_huge_pages(v, big, std::uint64_t{7});
    ASSERT_EQ(v.size(), big);
    EXPECT_EQ(std::count(v.begin(), v.end(), 7u), static_cast<std::ptrdiff_t>(big));
    v[big / 2] = 8;
    pointsim::assign_on_huge_pages(v, big / 3, std::uint64_t{0});  // fits: reused, every value reset
    ASSERT_EQ(v.size(), big / 3);
    EXPECT_EQ(std::count(v.begin(), v.end(), 0u), static_cast<std::ptrdiff_t>(big / 3));
    std::vector<double> small;
    pointsim::assign_on_huge_pages(small, 5, 0.5);
    EXPECT_EQ(small, std::vector<double>(5, 0.5));
    pointsim::advise_huge_pages(nullptr, big);  // advice only: nothing to check but that it returns
    pointsim::advise_huge_pages(v.data(), 1);
}

TEST(HugePagesTest, UnfilledResizeKeepsTheValuesBeforeIt) {
    pointsim::UnfilledVector<std::uint64_t> v{1, 2, 3};
    const std::size_t big = (std::size_t{6} << 20) / sizeof(std::uint64_t) + 3;  // 6 MiB and a bit: reallocated
    pointsim::resize_unfilled_on_huge_pages(v, big);
    ASSERT_EQ(v.size(), big);
    EXPECT_EQ(v[0], 1u);
    EXPECT_EQ(v[1], 2u);
    EXPECT_EQ(v[2], 3u);
    for (std::size_t i = 3; i < big; ++i) v[i] = i;  // the new elements are there to be written
    pointsim::resize_unfilled_on_huge_pages(v, big / 3);  // fits: the first big / 3 stay
    ASSERT_EQ(v.size(), big / 3);
    EXPECT_EQ(v[big / 3 - 1], big / 3 - 1);
    pointsim::resize_unfilled_on_huge_pages(v, big / 3 + 10);  // grows within the capacity: the prefix stays
    EXPECT_EQ(v[big / 3 - 1], big / 3 - 1);
    const std::vector<std::uint64_t> copy(v.begin(), v.begin() + 3);
    EXPECT_EQ(copy, (std::vector<std::uint64_t>{1, 2, 3}));
}

TEST(ConnectivityBuilderTest, TargetSortedInputGivesSortedRows) {
    build_and_check(target_sorted(300, 200, 40, 15, 3, 1), 300, 200, 1);
}

TEST(ConnectivityBuilderTest, MultapsesWithDifferentWeightsAreOrderedByKind) {
    // Few sources and one delay: many (delay, target) ties whose weights
    // arrive in random order.
    build_and_check(target_sorted(5, 100, 30, 1, 6, 2), 5, 100, 1);
}

TEST(ConnectivityBuilderTest, ShuffledInputGivesSortedRows) {
    auto s = target_sorted(300, 200, 40, 15, 3, 3);
    std::shuffle(s.begin(), s.end(), std::mt19937(4));
    build_and_check(s, 300, 200, 1);
}

TEST(ConnectivityBuilderTest, DelaysSpreadWiderThanTheRows) {
    auto s = target_sorted(400, 50, 8, 100000, 2, 5);
    EXPECT_TRUE(narrowed(s, 400, 50, 1));  // 17 + 6 + 1 bits
    std::reverse(s.begin(), s.end());
    build_and_check(s, 400, 50, 1);
}

// The narrow words take all 32 bits or none: delays of up to 2^20 - 1 steps
// (20 bits) onto 333 neurons (9 bits), with 8 kinds (3 bits) fit, with 9 not.
TEST(ConnectivityBuilderTest, WordsAreNarrowExactlyWhenTheFieldsFit) {
    auto s = target_sorted(60, 333, 6, 20, 8, 13);
    s.push_back({59, 332, 1, 7.5, (Step{1} << Connectivity::kDelayBits) - 1});  // weight 7.5 on channel 1: one of the 8 kinds
    EXPECT_TRUE(narrowed(s, 60, 333, 1));
    EXPECT_TRUE(narrowed(s, 60, 333, 3));
    s.push_back({3, 5, 0, 99.0, 1});  // a ninth kind
    EXPECT_FALSE(narrowed(s, 60, 333, 1));
    EXPECT_FALSE(narrowed(s, 60, 333, 3));
    s.pop_back();
    s.back().delay = Step{1} << 19;  // 20 bits still: narrow
    EXPECT_TRUE(narrowed(s, 60, 333, 2));
    s.back().delay = (Step{1} << 19) - 1;  // 19 bits: room for a ninth kind (4 bits)
    s.push_back({3, 5, 0, 99.0, 1});
    EXPECT_TRUE(narrowed(s, 60, 333, 1));
}

TEST(ConnectivityBuilderTest, ThreadBlocksGetTheirOwnRows) {
    auto s = target_sorted(250, 333, 20, 12, 4, 6);
    for (int blocks : {2, 3, 7}) build_and_check(s, 250, 333, blocks);
    std::shuffle(s.begin(), s.end(), std::mt19937(7));
    build_and_check(s, 250, 333, 3);
}

TEST(ConnectivityBuilderTest, RowsCountedLargerThanFilledAreClosedUp) {
    // Counted rows that pass 2 leaves (partly) empty, e.g. plastic edges.
    build_and_check(target_sorted(300, 200, 10, 9, 3, 8), 300, 200, 1, 5000);
    build_and_check(target_sorted(300, 200, 10, 9, 3, 9), 300, 200, 2, 5000);
    build_and_check({}, 10, 10, 1, 37);
}

TEST(ConnectivityBuilderTest, MoreThanOneStageOfSynapses) {
    // More synapses than one staging buffer holds (256 K with 1,000 gids):
    // rows are filled in several flushes.
    ASSERT_EQ(ConnectivityBuilder::staged_limit(1000), std::size_t{1} << 18);
    build_and_check(target_sorted(1000, 600, 500, 20, 5, 10), 1000, 600, 2);
}

TEST(ConnectivityBuilderTest, StageGrowsWithTheGidsWithinItsBounds) {
    EXPECT_EQ(ConnectivityBuilder::staged_limit(0), std::size_t{1} << 18);
    EXPECT_EQ(ConnectivityBuilder::staged_limit(16384), std::size_t{1} << 18);  // 16 per gid exactly
    EXPECT_EQ(ConnectivityBuilder::staged_limit(16385), std::size_t{1} << 19);
    EXPECT_EQ(ConnectivityBuilder::staged_limit(100000), std::size_t{1} << 21);
    EXPECT_EQ(ConnectivityBuilder::staged_limit(250000), std::size_t{1} << 21);  // capped
}

// Builds with count() and add(), or on `n_stages` threads: pass 1 with a
// Counter per thread, pass 2 with as many Stages filled at the same time
// (each a contiguous share of every chunk), then put into the rows in as
// many parts, also from as many threads.
Connectivity build(const std::vector<Synapse>& synapses, std::size_t n_gids, std::uint32_t n_neurons, int n_blocks,
                   int n_stages, std::size_t chunk) {
    using Stage = ConnectivityBuilder::Stage;
    using Counter = ConnectivityBuilder::Counter;
    ConnectivityBuilder builder(n_gids, n_neurons, blocks_of(n_neurons, n_blocks));
    const auto n_parts = static_cast<std::size_t>(n_stages);
    std::vector<Stage> stages(n_parts, Stage(builder, n_parts));
    std::vector<Counter> counters(n_parts, Counter(builder));
    // f(p) for every stage index p, each on its own thread.
    auto on_threads = [&](auto&& f) {
        std::vector<std::thread> threads;
        for (std::size_t p = 0; p < stages.size(); ++p) threads.emplace_back([&, p] { f(p); });
        for (auto& t : threads) t.join();
    };
    // Chunk by chunk: share p of the chunk through to_stage(stages[p], synapse),
    // then begin_add_stages(), put_part(part) for every part, then end().
    auto in_chunks = [&](auto&& to_stage, auto&& put_part, auto&& end) {
        for (std::size_t first = 0; first < synapses.size(); first += chunk) {
            const std::size_t n = std::min(chunk, synapses.size() - first);
            on_threads([&](std::size_t p) {
                for (std::size_t i = first + n * p / stages.size(); i < first + n * (p + 1) / stages.size(); ++i)
                    to_stage(stages[p], synapses[i]);
            });
            std::size_t staged = 0;
            for (const auto& stage : stages) staged += stage.size();
            EXPECT_EQ(staged, n);
            builder.begin_add_stages(stages);
            on_threads(put_part);
            end();
            for (const auto& stage : stages) EXPECT_EQ(stage.size(), 0u);
        }
    };
    if (n_stages == 0) {
        for (const auto& s : synapses) builder.count(s.source, s.target);
        builder.allocate();
        for (const auto& s : synapses) builder.add(s.source, s.target, s.channel, s.weight, s.delay);
    } else {
        // Pass 1: thread p counts the shares p of every chunk.
        on_threads([&](std::size_t p) {
            for (std::size_t first = 0; first < synapses.size(); first += chunk) {
                const std::size_t n = std::min(chunk, synapses.size() - first);
                for (std::size_t i = first + n * p / n_parts; i < first + n * (p + 1) / n_parts; ++i)
                    counters[p].count(synapses[i].source, synapses[i].target);
            }
        });
        builder.add_counts(counters);
        builder.allocate();
        in_chunks([](Stage& stage, const Synapse& s) { stage.add(s.source, s.target, s.channel, s.weight, s.delay); },
                  [&](std::size_t part) { builder.add_stages_part(stages, part); },
                  [&] { builder.end_add_stages(stages); });
    }
    EXPECT_EQ(builder.size(), synapses.size());
    return builder.finish();
}

void expect_same(const Connectivity& a, const Connectivity& b) {
    EXPECT_EQ(a.row_begin, b.row_begin);
    EXPECT_EQ(a.narrow, b.narrow);
    EXPECT_EQ(a.wide_words, b.wide_words);
    EXPECT_EQ(a.narrow_words, b.narrow_words);
    EXPECT_EQ(a.kind_weight, b.kind_weight);
    EXPECT_EQ(a.kind_channel, b.kind_channel);
    EXPECT_EQ(a.min_delay, b.min_delay);
    EXPECT_EQ(a.max_delay, b.max_delay);
}

// Both passes on threads (Stages) give the very rows count() and add() give,
// for rows that arrive sorted by target and for shuffled ones.
TEST(ConnectivityBuilderTest, StagesOnThreadsGiveTheSameRowsAsAdd) {
    auto s = target_sorted(700, 300, 60, 25, 40, 11);
    for (int pass = 0; pass < 2; ++pass) {
        for (int blocks : {1, 3}) {
            const Connectivity one = build(s, 700, 300, blocks, 0, 5000);
            ASSERT_EQ(one.size(), s.size());
            for (int stages : {1, 2, 5}) {
                SCOPED_TRACE("pass " + std::to_string(pass) + ", blocks " + std::to_string(blocks) + ", stages " +
                             std::to_string(stages));
                expect_same(build(s, 700, 300, blocks, stages, 5000), one);
            }
        }
        std::shuffle(s.begin(), s.end(), std::mt19937(12));
    }
}

// The last tenth of `s` (after the first flush or chunk, when words are
// already in the rows) with delay `late_delay` and `late_kinds` new weights.
std::vector<Synapse> with_late(std::vector<Synapse> s, Step late_delay, int late_kinds) {
    for (std::size_t i = s.size() - s.size() / 10; i < s.size(); ++i) {
        if (i % 2 == 0) s[i].delay = late_delay;
        s[i].channel = 0;
        s[i].weight = 1000.5 + static_cast<double>(i % static_cast<std::size_t>(late_kinds));
    }
    return s;
}

// The rows start narrow with the bits beside the targets split evenly
// between delay and kind (600 targets: 10 bits, then 11 and 11). Delays
// and kinds that come late move the split (the rows written so far are
// re-encoded) or, when the two no longer fit beside the targets, widen the
// rows to 64 bits; either way the fields are those of the wide build.
TEST(ConnectivityBuilderTest, LateDelaysAndKindsMoveTheSplitOrWidenTheRows) {
    const auto base = target_sorted(1000, 600, 500, 20, 5, 14);  // 300,000 synapses, 5 kinds: two flushes
    EXPECT_TRUE(narrowed(with_late(base, 100000, 3), 1000, 600, 1));              // 17 + 10 + 3 bits
    EXPECT_TRUE(narrowed(with_late(base, 20, 3000), 1000, 600, 2));               // 5 + 10 + 12 bits
    EXPECT_FALSE(narrowed(with_late(base, (Step{1} << 20) - 1, 3), 1000, 600, 1));  // 20 + 10 + 3: wide
    // The same with the stages on threads, fitted chunk by chunk.
    for (const auto& late : {with_late(base, 100000, 3), with_late(base, 20, 3000), with_late(base, (Step{1} << 20) - 1, 3)}) {
        const Connectivity one = build(late, 1000, 600, 2, 0, 20000);
        expect_same(build(late, 1000, 600, 2, 3, 20000), one);
    }
}

TEST(ConnectivityBuilderTest, StagesWithMoreThanCountedAreALogicError) {
    ConnectivityBuilder b(4, 4);
    b.count(1, 0);
    b.allocate();
    std::vector<ConnectivityBuilder::Stage> stages(2, ConnectivityBuilder::Stage(b, 2));
    stages[0].add(1, 0, 0, 1.0, 1);
    stages[1].add(1, 3, 0, 1.0, 1);
    EXPECT_THROW(b.add_stages_part(stages, 0), std::logic_error);  // not begun
    b.begin_add_stages(stages);
    for (std::size_t part = 0; part < 2; ++part) b.add_stages_part(stages, part);
    EXPECT_THROW(b.add_stages_part(stages, 2), std::logic_error);  // stages of 2 parts: no part 2
    EXPECT_THROW(b.end_add_stages(stages), std::logic_error);
    ConnectivityBuilder before_allocate(4, 4);
    EXPECT_THROW(ConnectivityBuilder::Stage(before_allocate, 1).add(0, 0, 0, 1.0, 1), std::logic_error);
}

TEST(ConnectivityBuilderTest, TheWidthIsChosenBeforeAllocate) {
    ConnectivityBuilder b(4, 4);
    b.allow_narrow(false);
    b.count(1, 0);
    b.allocate();
    EXPECT_THROW(b.allow_narrow(true), std::logic_error);
    b.add(1, 0, 0, 1.0, 1);
    EXPECT_FALSE(b.finish().narrow);
}

TEST(ConnectivityBuilderTest, AddingMoreThanCountedIsALogicError) {
    ConnectivityBuilder b(4, 4);
    b.count(1, 0);
    b.allocate();
    b.add(1, 0, 0, 1.0, 1);
    b.add(1, 2, 0, 1.0, 1);  // staged: found when the stage is written into the rows
    EXPECT_THROW(b.finish(), std::logic_error);
    ConnectivityBuilder before_allocate(4, 4);
    EXPECT_THROW(before_allocate.add(0, 0, 0, 1.0, 1), std::logic_error);
    // After finish() the stage is released: add() refuses rather than write into it.
    ConnectivityBuilder finished(4, 4);
    finished.count(1, 0);
    finished.allocate();
    finished.add(1, 0, 0, 1.0, 1);
    EXPECT_EQ(finished.finish().row_begin.back(), 1u);
    EXPECT_THROW(finished.add(1, 0, 0, 1.0, 1), std::logic_error);
}

TEST(ConnectivityBuilderTest, DelayBeyondThePackedWordIsAnInputError) {
    ConnectivityBuilder b(4, 4);
    b.count(0, 0);
    b.allocate();
    try {
        b.add(0, 0, 0, 1.0, Step{1} << Connectivity::kDelayBits);
        FAIL() << "no error";
    } catch (const Error& e) {
        EXPECT_NE(std::string(e.what()).find("longer than pointsim supports"), std::string::npos) << e.what();
    }
}

}  // namespace
}  // namespace pointsim::network
