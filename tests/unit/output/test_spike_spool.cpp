// The spike spool (output/spike_spool.hpp): spikes appended interval by
// interval and read back in small chunks must give the same bytes, in every
// sort order, as writing all of them from memory at once; and it must leave
// nothing behind.
#include <gtest/gtest.h>
#include <unistd.h>

#include <algorithm>
#include <fstream>
#include <random>
#include <sstream>
#include <string>
#include <vector>

#include "common/error.hpp"
#include "output/spike_spool.hpp"
#include "output/writers.hpp"

namespace fs = std::filesystem;
using pointsim::Error;
using pointsim::ErrorKind;
using pointsim::SortOrder;
using namespace pointsim::output;

namespace {

std::string read_bytes(const fs::path& p) {
    std::ifstream in(p, std::ios::binary);
    std::stringstream ss;
    ss << in.rdbuf();
    return ss.str();
}

// A spike as the engine records it: step, then population and row.
struct Recorded {
    long stamp;
    std::size_t pop, row;
};

// Three populations (the third never fires); node ids out of row order in
// the first, as a SONATA node table may have them; several spikes per node
// and many in the same step, over 40 exchange intervals of 5 steps.
struct RecordedRun {
    std::vector<SpikeSpool::Population> pops{{"cortex", 50}, {"thalamus", 7}, {"silent", 4}};
    std::vector<std::vector<std::uint64_t>> node_ids;
    std::vector<std::vector<Recorded>> intervals;
    double t_of(long stamp) const { return 0.1 * static_cast<double>(stamp); }

    RecordedRun() {
        node_ids.resize(3);
        for (std::uint64_t r = 0; r < 50; ++r) node_ids[0].push_back(r * 3 + 5);
        std::mt19937 rng(7);
        std::shuffle(node_ids[0].begin(), node_ids[0].end(), rng);
        for (std::uint64_t r = 0; r < 7; ++r) node_ids[1].push_back(r);
        for (std::uint64_t r = 0; r < 4; ++r) node_ids[2].push_back(100 + r);
        std::uniform_int_distribution<int> fires(0, 5);
        for (long k = 0; k < 40; ++k) {
            std::vector<Recorded> spikes;
            for (long stamp = 5 * k; stamp < 5 * k + 5; ++stamp)  // by (stamp, gid): pop 0's rows, then pop 1's
                for (std::size_t pop = 0; pop < 2; ++pop)
                    for (std::size_t row = 0; row < pops[pop].size; ++row)
                        if (fires(rng) == 0) spikes.push_back({stamp, pop, row});
            intervals.push_back(std::move(spikes));
        }
    }
    // What the run did before the spool: every spike in memory, populations with spikes only.
    std::vector<PopulationSpikes> in_memory() const {
        std::vector<PopulationSpikes> out;
        for (std::size_t pop = 0; pop < pops.size(); ++pop) {
            PopulationSpikes p;
            p.population = pops[pop].name;
            for (const auto& interval : intervals)
                for (const auto& s : interval)
                    if (s.pop == pop) {
                        p.node_ids.push_back(node_ids[pop][s.row]);
                        p.timestamps.push_back(t_of(s.stamp));
                    }
            if (!p.node_ids.empty()) out.push_back(std::move(p));
        }
        return out;
    }
    void spool_into(SpikeSpool& spool) const {
        for (const auto& interval : intervals) {
            for (const auto& s : interval) spool.add(s.pop, s.row, node_ids[s.pop][s.row], t_of(s.stamp));
            spool.end_interval();
        }
        spool.finish();
    }
};

class SpikeSpoolTest : public ::testing::Test {
protected:
    void SetUp() override {
        std::string tmpl = (fs::temp_directory_path() / "pointsim_test_spool_XXXXXX").string();
        ASSERT_NE(::mkdtemp(tmpl.data()), nullptr);
        dir_ = tmpl;
        fs::create_directory(dir_ / "spool");
    }
    void TearDown() override {
        std::error_code ec;
        fs::remove_all(dir_, ec);
    }
    fs::path dir_;
};

struct OrderCase {
    SortOrder order;
    std::size_t chunk;
};

class SpikeSpoolOrders : public SpikeSpoolTest, public ::testing::WithParamInterface<OrderCase> {};

TEST_P(SpikeSpoolOrders, SameBytesAsWritingFromMemory) {
    const auto [order, chunk] = GetParam();
    const RecordedRun run;
    write_spikes_h5(dir_ / "memory.h5", run.in_memory(), order);
    write_spikes_csv(dir_ / "memory.csv", run.in_memory(), order);
    {
        SpikeSpool spool(dir_ / "spool", run.pops, order, chunk);
        run.spool_into(spool);
        EXPECT_EQ(spool.count(0) + spool.count(1), run.in_memory()[0].node_ids.size() + run.in_memory()[1].node_ids.size());
        EXPECT_EQ(spool.count(2), 0u);
        // A chunk holds at most `chunk` spikes; by id, a node's spikes are never split.
        std::size_t bound = chunk;
        if (order == SortOrder::ById) {
            auto ids = run.in_memory()[0].node_ids;
            std::sort(ids.begin(), ids.end());
            for (auto at = ids.begin(); at != ids.end();) {
                const auto next = std::upper_bound(at, ids.end(), *at);
                bound = std::max<std::size_t>(bound, static_cast<std::size_t>(next - at));
                at = next;
            }
        }
        std::size_t chunks = 0;
        spool.for_each_chunk(0, order, [&](const PopulationSpikes& c) {
            ++chunks;
            EXPECT_LE(c.node_ids.size(), bound);
        });
        if (chunk < 1000) {
            EXPECT_GT(chunks, 1u) << "the chunked paths must be exercised";
        }
        write_spikes_h5_from(dir_ / "spooled.h5", spool, order);
        write_spikes_csv_from(dir_ / "spooled.csv", spool, order);
    }
    const std::string memory_csv = read_bytes(dir_ / "memory.csv");
    EXPECT_GT(memory_csv.size(), 1000u);
    EXPECT_EQ(read_bytes(dir_ / "spooled.csv"), memory_csv);
    EXPECT_EQ(read_bytes(dir_ / "spooled.h5"), read_bytes(dir_ / "memory.h5"));
    EXPECT_TRUE(fs::is_empty(dir_ / "spool")) << "the spool's files must be removed";
}

INSTANTIATE_TEST_SUITE_P(Orders, SpikeSpoolOrders,
                         ::testing::Values(OrderCase{SortOrder::None, 1000000}, OrderCase{SortOrder::None, 7},
                                           OrderCase{SortOrder::ByTime, 1000000}, OrderCase{SortOrder::ByTime, 7},
                                           OrderCase{SortOrder::ById, 1000000}, OrderCase{SortOrder::ById, 100},
                                           OrderCase{SortOrder::ById, 1}));

TEST_F(SpikeSpoolTest, CountsOnlyKeepsNoFiles) {
    const RecordedRun run;
    SpikeSpool spool(std::nullopt, run.pops, SortOrder::ByTime);
    run.spool_into(spool);
    EXPECT_EQ(spool.count(0), run.in_memory()[0].node_ids.size());
    EXPECT_EQ(spool.count(1), run.in_memory()[1].node_ids.size());
    EXPECT_THROW(spool.for_each_chunk(0, SortOrder::ByTime, [](const PopulationSpikes&) {}), std::logic_error);
}

TEST_F(SpikeSpoolTest, UnwritableSpoolIsAnOutputErrorNamingItsFile) {
    const RecordedRun run;
    SpikeSpool spool(dir_ / "missing", run.pops, SortOrder::None);
    try {
        run.spool_into(spool);
        FAIL() << "no error";
    } catch (const Error& e) {
        EXPECT_EQ(e.kind(), ErrorKind::Output);
        const std::string what = e.what();
        EXPECT_NE(what.find((dir_ / "missing" / ".spikes-0-").string()), std::string::npos) << what;
        EXPECT_NE(what.find("No such file or directory"), std::string::npos) << what;
    }
}

TEST_F(SpikeSpoolTest, FilesGoWhenTheRunFails) {
    const RecordedRun run;
    {
        SpikeSpool spool(dir_ / "spool", run.pops, SortOrder::None);
        for (const auto& s : run.intervals[0]) spool.add(s.pop, s.row, run.node_ids[s.pop][s.row], run.t_of(s.stamp));
        spool.end_interval();
        EXPECT_FALSE(fs::is_empty(dir_ / "spool"));
        // no finish(): the run stopped with an error
    }
    EXPECT_TRUE(fs::is_empty(dir_ / "spool"));
}

}  // namespace
