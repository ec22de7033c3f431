// The recipe's "spike_trains": Poisson spike trains written as SONATA spike
// files beside the network (BMTK's PoissonSpikeGenerator). Statistics of the
// trains against a homogeneous Poisson process, determinism (threads, runs,
// seeds), node selections and the file layout.
#include <algorithm>
#include <cmath>
#include <fstream>
#include <map>

#include <H5Cpp.h>
#include <gtest/gtest.h>

#include "builder/builder.hpp"
#include "builder_test_util.hpp"
#include "common/error.hpp"
#include "sonata/sonata.hpp"

namespace pointsim::builder::test {
namespace {

// A recipe of one virtual network "LGN" (three node groups: tON 600, tOFF
// 300, sON 100) and the given spike_trains.
Json recipe_with(const Json& trains) {
    Json doc = Json::parse(R"({"networks": {"LGN": {"nodes": [
        {"N": 600, "properties": {"pop_name": "tON", "model_type": "virtual"}},
        {"N": 300, "properties": {"pop_name": "tOFF", "model_type": "virtual"}},
        {"N": 100, "properties": {"pop_name": "sON", "model_type": "virtual"}}]}}})");
    doc["spike_trains"] = trains;
    return doc;
}

TrainSpikes draw(const InMemory& b, std::size_t i, unsigned threads = 1) {
    const SpikeTrainSpec& t = b.recipe->spike_trains.at(i);
    return draw_spike_train(t, i, spike_train_nodes(t, b.nets.at(0), "test.json"), b.recipe->seed, threads);
}

// Per node: its spike times, in file order.
std::map<std::uint64_t, std::vector<double>> by_node(const std::vector<std::uint64_t>& ids, const std::vector<double>& times) {
    std::map<std::uint64_t, std::vector<double>> out;
    for (std::size_t k = 0; k < ids.size(); ++k) out[ids[k]].push_back(times[k]);
    return out;
}


TEST(SpikeTrains, CountsIntervalsAndWindowMatchAPoissonProcess) {
    // 1000 nodes at 20 Hz over (200, 1200] ms: 20,000 spikes expected.
    const InMemory b = build_in_memory(recipe_with(Json::parse(
                                 R"([{"network": "LGN", "rate_hz": 20, "start_ms": 200, "stop_ms": 1200, "file": "s.h5"}])")),
                             3);
    const TrainSpikes s = draw(b, 0);
    ASSERT_EQ(s.node_ids.size(), s.times_ms.size());
    const double n = static_cast<double>(s.node_ids.size());
    EXPECT_LT(std::fabs(n - 20000.0), 5.0 * std::sqrt(20000.0)) << n << " spikes";

    const auto trains = by_node(s.node_ids, s.times_ms);
    EXPECT_GT(trains.size(), 990u) << "P(no spike in 1 s at 20 Hz) = e^-20 per node";
    // Per-node counts are Poisson: variance = mean (Fano factor 1).
    double sum = 0, sum2 = 0;
    for (std::uint64_t id = 0; id < 1000; ++id) {
        const auto it = trains.find(id);
        const double c = it == trains.end() ? 0.0 : static_cast<double>(it->second.size());
        sum += c;
        sum2 += c * c;
    }
    const double mean = sum / 1000, fano = (sum2 / 1000 - mean * mean) / mean;
    EXPECT_NEAR(fano, 1.0, 0.15);

    // Intervals are exponential with mean 50 ms: mean and coefficient of
    // variation 1; the time from start to the first spike too.
    std::vector<double> isi;
    double first = 0;
    std::uint64_t last_node = 0;
    bool have_last = false;
    for (const auto& [id, times] : trains) {
        if (have_last) {
            ASSERT_LT(last_node, id) << "nodes in ascending order";
        }
        last_node = id;
        have_last = true;
        ASSERT_FALSE(times.empty());
        first += times.front() - 200.0;
        for (std::size_t k = 0; k < times.size(); ++k) {
            ASSERT_GT(times[k], 200.0);
            ASSERT_LE(times[k], 1200.0);
            if (k) {
                ASSERT_GT(times[k], times[k - 1]) << "node " << id;
                isi.push_back(times[k] - times[k - 1]);
            }
        }
    }
    double m = 0, v = 0;
    for (double d : isi) m += d;
    m /= static_cast<double>(isi.size());
    for (double d : isi) v += (d - m) * (d - m);
    v /= static_cast<double>(isi.size());
    // Inside a finite window the intervals between a node's first and last
    // spike sum to about T - 2/rate = 900 ms, over about rate x T - 1 = 19
    // intervals: a mean of 900 / 19 = 47.4 ms rather than 50.
    EXPECT_NEAR(m, 900.0 / 19.0, 1.5);
    EXPECT_NEAR(std::sqrt(v) / m, 1.0, 0.05);
    EXPECT_NEAR(first / static_cast<double>(trains.size()), 50.0, 2.5);
    // The spike times are spread evenly over the window (10 bins of 100 ms).
    std::vector<int> bins(10, 0);
    for (double t : s.times_ms) ++bins[std::min<std::size_t>(9, static_cast<std::size_t>((t - 200.0) / 100.0))];
    for (int c : bins) EXPECT_NEAR(c, 2000, 5.0 * std::sqrt(2000.0));
}

TEST(SpikeTrains, RateZeroGivesNoSpikes) {
    const InMemory b = build_in_memory(recipe_with(Json::parse(R"([{"network": "LGN", "rate_hz": 0, "stop_ms": 1000, "file": "s.h5"}])")), 1);
    EXPECT_TRUE(draw(b, 0).node_ids.empty());
}

TEST(SpikeTrains, SameSpikesForAnyThreadCountAndOtherSpikesForAnotherSeedOrEntry) {
    const Json trains = Json::parse(R"([{"network": "LGN", "rate_hz": 15, "stop_ms": 500, "file": "s.h5"},
                                        {"network": "LGN", "rate_hz": 15, "stop_ms": 500, "file": "t.h5"}])");
    const InMemory b = build_in_memory(recipe_with(trains), 7);
    const TrainSpikes one = draw(b, 0, 1);
    for (unsigned threads : {2u, 3u, 8u}) {
        const TrainSpikes many = draw(b, 0, threads);
        EXPECT_EQ(one.node_ids, many.node_ids) << threads << " threads";
        EXPECT_EQ(one.times_ms, many.times_ms) << threads << " threads";
    }
    const TrainSpikes again = draw(build_in_memory(recipe_with(trains), 7), 0, 1);
    EXPECT_EQ(one.times_ms, again.times_ms);
    const TrainSpikes other_seed = draw(build_in_memory(recipe_with(trains), 8), 0, 1);
    EXPECT_NE(one.times_ms, other_seed.times_ms);
    const TrainSpikes other_entry = draw(b, 1, 1);
    EXPECT_NE(one.times_ms, other_entry.times_ms);
}

// A node's train depends on the seed, the entry and the node id only: a
// subset of the nodes gets exactly the spikes those nodes get in the full set.
TEST(SpikeTrains, ANodesTrainDoesNotDependOnTheOtherNodes) {
    const InMemory all = build_in_memory(recipe_with(Json::parse(R"([{"network": "LGN", "rate_hz": 10, "stop_ms": 1000, "file": "s.h5"}])")), 2);
    const InMemory some = build_in_memory(
        recipe_with(Json::parse(R"([{"network": "LGN", "rate_hz": 10, "stop_ms": 1000, "file": "s.h5", "node_ids": [999, 5, 640]}])")), 2);
    const TrainSpikes s_all = draw(all, 0), s_some = draw(some, 0);
    const auto a = by_node(s_all.node_ids, s_all.times_ms), b = by_node(s_some.node_ids, s_some.times_ms);
    ASSERT_FALSE(b.empty());
    for (const auto& [id, times] : b) {
        EXPECT_TRUE(id == 5 || id == 640 || id == 999) << id;
        EXPECT_EQ(times, a.at(id)) << "node " << id;
    }
}

TEST(SpikeTrains, NodeIdsAndSelectionsChooseTheNodes) {
    const InMemory b = build_in_memory(recipe_with(Json::parse(R"([
        {"network": "LGN", "rate_hz": 10, "stop_ms": 100, "file": "s.h5", "node_ids": [7, 3, 950]},
        {"network": "LGN", "rate_hz": 10, "stop_ms": 100, "file": "s.h5", "nodes": {"pop_name": ["tOFF", "sON"]}},
        {"network": "LGN", "rate_hz": 10, "stop_ms": 100, "file": "s.h5"}])")),
                             1);
    EXPECT_EQ(spike_train_nodes(b.recipe->spike_trains[0], b.nets[0], "test.json"), (std::vector<std::uint64_t>{3, 7, 950}));
    const auto sel = spike_train_nodes(b.recipe->spike_trains[1], b.nets[0], "test.json");
    ASSERT_EQ(sel.size(), 400u);
    EXPECT_EQ(sel.front(), 600u);
    EXPECT_EQ(sel.back(), 999u);
    EXPECT_EQ(spike_train_nodes(b.recipe->spike_trains[2], b.nets[0], "test.json").size(), 1000u);
}

TEST(SpikeTrains, ASelectionMatchingNoNodeIsAnError) {
    const InMemory b = build_in_memory(recipe_with(Json::parse(
                                 R"([{"network": "LGN", "rate_hz": 10, "stop_ms": 100, "file": "s.h5", "nodes": {"pop_name": "sOFF"}}])")),
                             1);
    try {
        spike_train_nodes(b.recipe->spike_trains[0], b.nets[0], "test.json");
        FAIL() << "no error";
    } catch (const Error& e) {
        EXPECT_NE(std::string(e.what()).find("spike_trains[0].nodes"), std::string::npos) << e.what();
        EXPECT_NE(std::string(e.what()).find("matches no node"), std::string::npos) << e.what();
    }
}

// The files: SONATA layout, one population per network, trains of one file
// merged, the same bytes for any thread count, other bytes for another seed.
TEST(SpikeTrains, FilesHoldEachPopulationOnceAndAreTheSameForAnyThreadCount) {
    TempDir dir;
    Json doc = recipe_with(Json::parse(R"([
        {"network": "LGN", "rate_hz": 20, "stop_ms": 300, "file": "lgn.h5", "nodes": {"pop_name": "tON"}},
        {"network": "LGN", "rate_hz": 5, "stop_ms": 300, "file": "lgn.h5", "nodes": {"pop_name": ["tOFF", "sON"]}},
        {"network": "BKG", "rate_hz": 100, "start_ms": 100, "stop_ms": 200, "file": "lgn.h5"},
        {"network": "BKG", "rate_hz": 50, "stop_ms": 50, "file": "bkg.h5", "sort": "by_time"}])"));
    doc["networks"]["BKG"] = Json::parse(R"({"nodes": [{"N": 10, "properties": {"model_type": "virtual"}}]})");
    std::ofstream(dir.path() / "r.json") << doc.dump();
    const BuildSummary s1 = build(dir.path() / "r.json", dir.path() / "t1", 4, 1);
    build(dir.path() / "r.json", dir.path() / "t3", 4, 3);
    build(dir.path() / "r.json", dir.path() / "seed5", 5, 1);
    for (const char* f : {"lgn.h5", "bkg.h5"}) {
        const std::string bytes = testing_files::read_text(dir.path() / "t1" / f);
        ASSERT_FALSE(bytes.empty()) << f;
        EXPECT_EQ(bytes, testing_files::read_text(dir.path() / "t3" / f)) << f;
        EXPECT_NE(bytes, testing_files::read_text(dir.path() / "seed5" / f)) << f;
    }
    ASSERT_EQ(s1.spike_files.size(), 2u);
    EXPECT_EQ(s1.spike_files[0].file, "lgn.h5");
    EXPECT_EQ(s1.spike_files[0].trains, 1010u);
    EXPECT_EQ(s1.spike_files[1].trains, 10u);

    const auto lgn = sonata::read_spikes_h5(dir.path() / "t1" / "lgn.h5");
    ASSERT_EQ(lgn.size(), 2u);
    const auto& l = lgn.at("LGN");
    const auto& k = lgn.at("BKG");
    EXPECT_EQ(s1.spike_files[0].spikes, l.node_ids.size() + k.node_ids.size());
    // LGN: sorted by node id, then time; tON at 20 Hz, the rest at 5 Hz.
    std::size_t ton = 0;
    for (std::size_t i = 0; i < l.node_ids.size(); ++i) {
        if (i) {
            ASSERT_TRUE(l.node_ids[i - 1] < l.node_ids[i] ||
                        (l.node_ids[i - 1] == l.node_ids[i] && l.timestamps[i - 1] < l.timestamps[i]));
        }
        ASSERT_GT(l.timestamps[i], 0.0);
        ASSERT_LE(l.timestamps[i], 300.0);
        ton += l.node_ids[i] < 600;
    }
    EXPECT_NEAR(static_cast<double>(ton), 3600.0, 5 * 60.0);
    EXPECT_NEAR(static_cast<double>(l.node_ids.size() - ton), 600.0, 5 * 25.0);
    for (std::size_t i = 0; i < k.node_ids.size(); ++i) {
        ASSERT_LT(k.node_ids[i], 10u);
        ASSERT_GT(k.timestamps[i], 100.0);
        ASSERT_LE(k.timestamps[i], 200.0);
    }
    const auto bkg = sonata::read_spikes_h5(dir.path() / "t1" / "bkg.h5").at("BKG");
    EXPECT_TRUE(std::is_sorted(bkg.timestamps.begin(), bkg.timestamps.end()));

    // The attributes BMTK's readers look at.
    H5::H5File f((dir.path() / "t1" / "bkg.h5").string(), H5F_ACC_RDONLY);
    std::string sorting, units;
    H5::Attribute a = f.openGroup("/spikes/BKG").openAttribute("sorting");
    a.read(a.getStrType(), sorting);
    H5::Attribute u = f.openDataSet("/spikes/BKG/timestamps").openAttribute("units");
    u.read(u.getStrType(), units);
    EXPECT_EQ(sorting, "by_time");
    EXPECT_EQ(units, "ms");
}

}  // namespace
}  // namespace pointsim::builder::test
