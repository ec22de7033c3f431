// Tests for src/inputs: spike inputs for virtual nodes (semantics.md 2.8,
// 3.5) and current clamps (2.8, 3.6), on small circuits written into a
// temporary directory and on the real examples.
#include <algorithm>
#include <cstdint>
#include <limits>
#include <random>
#include <string>
#include <vector>

#include <gtest/gtest.h>

#include "../network/test_circuit.hpp"
#include "inputs/inputs.hpp"
#include "nwb_files.hpp"

namespace fs = std::filesystem;
using namespace ptest;
using pointsim::ErrorKind;
using pointsim::Step;
using pointsim::inputs::AmplitudeChange;
using pointsim::inputs::CurrentClamp;
using pointsim::inputs::StampedSpike;
using pointsim::network::Gid;
using pointsim::network::Network;
using pointsim::testing_files::NwbSweep;
using pointsim::testing_files::write_nwb_sweeps;

namespace {

// Spikes as (stamp, gid) pairs for readable comparisons.
using Pairs = std::vector<std::pair<Step, Gid>>;
Pairs pairs(const std::vector<StampedSpike>& s) {
    Pairs out;
    for (const auto& x : s) out.emplace_back(x.stamp, x.gid);
    return out;
}

using Changes = std::vector<std::pair<Step, double>>;
Changes changes(const CurrentClamp& c) {
    Changes out;
    for (const auto& x : c.changes) out.emplace_back(x.step, x.amplitude);
    return out;
}

// /spikes/<pop>/{timestamps,node_ids} for each entry.
struct SpikePop {
    std::string name;
    std::vector<std::uint64_t> ids;
    std::vector<double> times;
};

void write_spikes_h5(const fs::path& file, const std::vector<SpikePop>& pops) {
    H5::H5File f(file.string(), H5F_ACC_TRUNC);
    H5::Group spikes = f.createGroup("/spikes");
    for (const auto& p : pops) {
        H5::Group g = spikes.createGroup(p.name);
        write_dataset(g, "timestamps", p.times);
        write_dataset(g, "node_ids", p.ids);
    }
}

// Legacy flat layout /spikes/{gids,timestamps}.
void write_legacy_spikes_h5(const fs::path& file, const std::vector<std::uint64_t>& ids,
                            const std::vector<double>& times) {
    H5::H5File f(file.string(), H5F_ACC_TRUNC);
    H5::Group spikes = f.createGroup("/spikes");
    write_dataset(spikes, "gids", ids);
    write_dataset(spikes, "timestamps", times);
}

class InputsTest : public CircuitTest {
protected:
    // dt 0.1 ms, tstop 100 ms (1000 steps); the given inputs.
    pointsim::config::SimulationConfig config_with(const Json& inputs, const Json& extra = Json::object()) const {
        Json more = extra;
        more["inputs"] = inputs;
        return load(base_config({"cortex", "lgn"}, {}, more));
    }

    Json spike_input(const fs::path& file, const Json& node_set = "lgn", const std::string& module = "sonata") const {
        return {{"input_type", "spikes"}, {"module", module}, {"input_file", file.string()}, {"node_set", node_set}};
    }

    std::vector<StampedSpike> spikes(const Json& inputs) const {
        const auto cfg = config_with(inputs);
        const auto grid = grid_of(cfg);
        const Network net = pointsim::network::build(cfg, grid);
        return pointsim::inputs::load_spike_inputs(cfg, net, grid);
    }

    std::vector<CurrentClamp> clamps(const Json& inputs) const {
        const auto cfg = config_with(inputs);
        const auto grid = grid_of(cfg);
        const Network net = pointsim::network::build(cfg, grid);
        return pointsim::inputs::load_current_clamps(cfg, net, grid);
    }

    static Json clamp(const Json& amp, const Json& delay, const Json& duration, const Json& node_set = "cortex") {
        return {{"input_type", "current_clamp"}, {"module", "IClamp"}, {"node_set", node_set},
                {"amp", amp},                    {"delay", delay},    {"duration", duration}};
    }
};

// ================================================================ spike inputs

TEST_F(InputsTest, SpikeTimesRoundUpToTheGridAndLateSpikesAreDropped) {
    // lgn node ids 10, 11, 12 are gids 5, 6, 7; tstop 100 ms = 1000 steps of 0.1 ms.
    write_spikes_h5(path("s.h5"), {SpikePop{"lgn",
                                            {10, 11, 12, 10, 11, 12, 10, 12},
                                            {10.01, 1.0004, 5.0, 100.0, 100.05, 250.0, 0.3, 0.0001}}});
    const auto s = spikes({{"in", spike_input(path("s.h5"))}});
    // 10.01 -> 101 (ceil); 1.0004 -> 11 (tics truncated, then ceil); on-grid times keep their step;
    // 100.0 = tstop -> 1000 (kept); 100.05 -> 1001 and 250 -> 2500 are after tstop; 0.0001 -> 1.
    EXPECT_EQ(pairs(s), (Pairs{{1, 7}, {3, 5}, {11, 6}, {50, 7}, {101, 5}, {1000, 5}}));
}

TEST_F(InputsTest, HugeAndInfiniteSpikeTimesAreDroppedLikeOtherLateSpikes) {
    // Found in the sanitizer/fuzzing work (the readers accept these values):
    // 1e300 or inf ms overflowed the conversion to a time stamp into a
    // negative step, whose delivery wrote before the start of the ring
    // buffer. Such spikes come after tstop and are dropped like the others.
    write_spikes_h5(path("s.h5"), {SpikePop{"lgn", {10, 11, 12, 10}, {1e300, std::numeric_limits<double>::infinity(),
                                                                     1e19, 100.0}}});
    EXPECT_EQ(pairs(spikes({{"in", spike_input(path("s.h5"))}})), (Pairs{{1000, 5}}));
    text_file("s.csv", "timestamps population node_ids\n1e300 lgn 10\ninf lgn 11\n2.0 lgn 12\n");
    EXPECT_EQ(pairs(spikes({{"in", spike_input(path("s.csv"), "lgn", "csv")}})), (Pairs{{20, 7}}));
}

TEST_F(InputsTest, SpikesAreSortedByStampThenGidAndDuplicatesKept) {
    write_spikes_h5(path("s.h5"), {SpikePop{"lgn", {12, 10, 11, 12, 10}, {2.0, 2.0, 1.0, 2.0, 1.95}}});
    const auto s = spikes({{"in", spike_input(path("s.h5"))}});
    EXPECT_EQ(pairs(s), (Pairs{{10, 6}, {20, 5}, {20, 5}, {20, 7}, {20, 7}}));
}

TEST_F(InputsTest, NonPositiveSpikeTimeIsAnError) {
    write_spikes_h5(path("zero.h5"), {SpikePop{"lgn", {10, 11}, {1.0, 0.0}}});
    const std::string msg = error_of([&] { spikes({{"in", spike_input(path("zero.h5"))}}); }, ErrorKind::Input);
    EXPECT_CONTAINS(msg, "zero.h5");
    EXPECT_CONTAINS(msg, "> 0");
    EXPECT_CONTAINS(msg, "node 11");

    write_spikes_h5(path("neg.h5"), {SpikePop{"lgn", {12}, {-3.0}}});
    EXPECT_CONTAINS(error_of([&] { spikes({{"in", spike_input(path("neg.h5"))}}); }, ErrorKind::Input), "neg.h5");
}

TEST_F(InputsTest, UnknownNodeIdIsAnErrorNamingTheFile) {
    write_spikes_h5(path("s.h5"), {SpikePop{"lgn", {10, 13}, {1.0, 2.0}}});
    const std::string msg = error_of([&] { spikes({{"in", spike_input(path("s.h5"))}}); }, ErrorKind::Input);
    EXPECT_CONTAINS(msg, "s.h5");
    EXPECT_CONTAINS(msg, "node_id 13");
    EXPECT_CONTAINS(msg, "lgn");
}

// Long inputs are read a piece at a time and kept as sorted runs in a
// temporary file, merged as the simulation takes them: the engine must see
// exactly what one sort of everything gives, interval by interval.
TEST(SpikeInputRuns, MergedRunsGiveTheSortedSpikesIntervalByInterval) {
    std::mt19937 rng(3);
    std::uniform_int_distribution<Step> stamp(1, 400);
    std::uniform_int_distribution<Gid> gid(0, 30);
    std::vector<StampedSpike> all;
    for (int i = 0; i < 2000; ++i) all.push_back({stamp(rng), gid(rng)});  // duplicates included
    std::vector<StampedSpike> sorted = all;
    std::sort(sorted.begin(), sorted.end());
    for (std::size_t run_size : {std::size_t{1}, std::size_t{7}, std::size_t{500}, std::size_t{1} << 20}) {
        pointsim::inputs::SpikeInputs in(run_size);
        for (const auto& s : all) in.add(s);
        in.seal();
        pointsim::inputs::SpikeInputs moved = std::move(in);  // the engine takes it by value
        EXPECT_EQ(moved.size(), all.size());
        std::vector<StampedSpike> taken;
        for (Step until = 0; until <= 420; until += 13) {
            const std::size_t before = taken.size();
            moved.take_until(until, taken);
            for (std::size_t k = before; k < taken.size(); ++k) EXPECT_LE(taken[k].stamp, until);
            EXPECT_EQ(taken.size(), static_cast<std::size_t>(std::upper_bound(sorted.begin(), sorted.end(),
                                                                               StampedSpike{until, ~Gid{0}}) -
                                                             sorted.begin()))
                << "run size " << run_size << ", until " << until;
        }
        EXPECT_EQ(pairs(taken), pairs(sorted)) << "run size " << run_size;
    }
}

TEST_F(InputsTest, ASpikeFileReadInPiecesGivesTheSameSpikes) {
    std::vector<std::uint64_t> ids;
    std::vector<double> times;
    for (int i = 0; i < 300; ++i) {
        ids.push_back(10 + static_cast<std::uint64_t>(i * 7 % 3));
        times.push_back(0.1 + static_cast<double>((i * 37) % 990) * 0.1);
    }
    write_spikes_h5(path("s.h5"), {SpikePop{"lgn", ids, times}});
    const auto cfg = config_with({{"in", spike_input(path("s.h5"))}});
    const auto grid = grid_of(cfg);
    const Network net = pointsim::network::build(cfg, grid);
    const auto whole = pointsim::inputs::load_spike_inputs(cfg, net, grid);
    ASSERT_EQ(whole.size(), 300u);
    auto stream = pointsim::inputs::load_spike_input_stream(cfg, net, grid, 16);
    std::vector<StampedSpike> pieces;
    stream.take_until(grid.n_steps, pieces);
    EXPECT_EQ(pairs(pieces), pairs(whole));

    // A bad row far into the file is named by its row, not its row in the piece.
    times[123] = -1.0;
    write_spikes_h5(path("bad.h5"), {SpikePop{"lgn", ids, times}});
    const auto bad = config_with({{"in", spike_input(path("bad.h5"))}});
    const std::string msg = error_of([&] { pointsim::inputs::load_spike_input_stream(bad, net, grid, 16); }, ErrorKind::Input);
    EXPECT_CONTAINS(msg, "spike 123 ");
}

TEST_F(InputsTest, LegacyGidsTimestampsLayout) {
    write_legacy_spikes_h5(path("legacy.h5"), {11, 10}, {3.0, 4.01});
    const auto s = spikes({{"in", spike_input(path("legacy.h5"), "lgn", "h5")}});
    EXPECT_EQ(pairs(s), (Pairs{{30, 6}, {41, 5}}));
}

TEST_F(InputsTest, CsvSpikeModule) {
    text_file("s.csv", "timestamps population node_ids\n10.01 lgn 10\n1.0004 lgn 11\n200.0 lgn 12\n");
    EXPECT_EQ(pairs(spikes({{"in", spike_input(path("s.csv"), "lgn", "csv")}})), (Pairs{{11, 6}, {101, 5}}));

    // Another separator, and no population column: rows belong to the input's population.
    text_file("c.csv", "node_ids,timestamps\n12,5.0\n10,0.25\n");
    Json in = spike_input(path("c.csv"), "lgn", "csv");
    in["sep"] = ",";
    EXPECT_EQ(pairs(spikes({{"in", in}})), (Pairs{{3, 5}, {50, 7}}));
}

TEST_F(InputsTest, SpikePopulationMatchedByName) {
    // Two populations in the file: the one named like the node population is used.
    write_spikes_h5(path("s.h5"), {SpikePop{"aaa", {10}, {1.0}}, SpikePop{"lgn", {11}, {2.0}}});
    EXPECT_EQ(pairs(spikes({{"in", spike_input(path("s.h5"))}})), (Pairs{{20, 6}}));
}

TEST_F(InputsTest, SpikePopulationFallsBackToTheOnlyOne) {
    write_spikes_h5(path("s.h5"), {SpikePop{"thalamus", {12}, {7.0}}});
    EXPECT_EQ(pairs(spikes({{"in", spike_input(path("s.h5"))}})), (Pairs{{70, 7}}));
}

TEST_F(InputsTest, SeveralSpikePopulationsNoneMatchingIsAnError) {
    write_spikes_h5(path("s.h5"), {SpikePop{"aaa", {10}, {1.0}}, SpikePop{"bbb", {11}, {2.0}}});
    const std::string msg = error_of([&] { spikes({{"in", spike_input(path("s.h5"))}}); }, ErrorKind::Input);
    EXPECT_CONTAINS(msg, "s.h5");
    EXPECT_CONTAINS(msg, "lgn");
}

TEST_F(InputsTest, SpikeInputNamingNonVirtualPopulationIsAnError) {
    write_spikes_h5(path("s.h5"), {SpikePop{"lgn", {10}, {1.0}}});
    const std::string msg =
        error_of([&] { spikes({{"in", spike_input(path("s.h5"), "cortex")}}); }, ErrorKind::Config);
    EXPECT_CONTAINS(msg, "cortex");
    EXPECT_CONTAINS(msg, "virtual");
    EXPECT_CONTAINS(msg, "inputs.in");
    // "all" includes the simulated cortex too.
    EXPECT_CONTAINS(error_of([&] { spikes({{"in", spike_input(path("s.h5"), "all")}}); }, ErrorKind::Config),
                    "cortex");
}

TEST_F(InputsTest, OnlyThePopulationPartOfTheNodeSetMatters) {
    // BMTK add_spike_trains: the filter picks the population; all its nodes get their spikes.
    write_spikes_h5(path("s.h5"), {SpikePop{"lgn", {10, 11}, {1.0, 2.0}}});
    const auto s = spikes({{"in", spike_input(path("s.h5"), Json{{"population", "lgn"}, {"node_id", Json::array({10})}})}});
    EXPECT_EQ(pairs(s), (Pairs{{10, 5}, {20, 6}}));
}

TEST_F(InputsTest, SeveralSpikeInputsAreMergedAndSorted) {
    // A second virtual population in its own file.
    write_nodes_h5(path("ret_nodes.h5"), {NodePop{"retina", {300, 300}, {0, 1}, {}, {}}});
    text_file("ret_node_types.csv", "node_type_id model_type\n300 virtual\n");
    Json cfg = base_config({"cortex", "lgn", "ret"});
    write_spikes_h5(path("a.h5"), {SpikePop{"lgn", {10, 12}, {5.0, 1.0}}});
    write_spikes_h5(path("b.h5"), {SpikePop{"retina", {1, 0}, {1.0, 3.0}}});
    cfg["inputs"] = {{"a", spike_input(path("a.h5"))}, {"b", spike_input(path("b.h5"), "retina")}};
    const auto c = load(cfg);
    const auto grid = grid_of(c);
    const Network net = pointsim::network::build(c, grid);
    // retina gids 8, 9
    EXPECT_EQ(pairs(pointsim::inputs::load_spike_inputs(c, net, grid)), (Pairs{{10, 7}, {10, 9}, {30, 8}, {50, 5}}));
}

TEST_F(InputsTest, DisabledAndClampInputsAreIgnoredBySpikeLoader) {
    Json in = spike_input(path("missing.h5"));
    in["enabled"] = false;
    EXPECT_TRUE(spikes({{"off", in}, {"c", clamp(1.0, 10.0, 5.0)}}).empty());
}

TEST_F(InputsTest, UnsupportedSpikeModuleIsAnError) {
    write_spikes_h5(path("s.h5"), {SpikePop{"lgn", {10}, {1.0}}});
    EXPECT_CONTAINS(error_of([&] { spikes({{"in", spike_input(path("s.h5"), "lgn", "movie")}}); }, ErrorKind::Config),
                    "movie");
    Json poisson = {{"input_type", "poisson"}, {"module", "pyfunction"}, {"node_set", "lgn"}};
    EXPECT_CONTAINS(error_of([&] { spikes({{"in", poisson}}); }, ErrorKind::Config), "poisson");
}

// ================================================================ NWB 1 spike files

namespace {

// /processing/<trial>/spike_train/<node_id>/data for each (trial, node, times).
struct NwbTrain {
    std::string trial;
    std::uint64_t node;
    std::vector<double> times;
};

void write_nwb(const fs::path& file, const std::vector<NwbTrain>& trains) {
    H5::H5File f(file.string(), H5F_ACC_TRUNC);
    f.createGroup("/processing");
    f.createGroup("/acquisition");
    for (const auto& t : trains) {
        const std::string trial = "/processing/" + t.trial;
        if (!f.nameExists(trial)) f.createGroup(trial);
        if (!f.nameExists(trial + "/spike_train")) f.createGroup(trial + "/spike_train");
        write_dataset(f.createGroup(trial + "/spike_train/" + std::to_string(t.node)), "data", t.times);
    }
}

}  // namespace

TEST_F(InputsTest, NwbSpikeFile) {
    // lgn node ids 10, 11, 12 are gids 5, 6, 7; dt 0.1 ms.
    write_nwb(path("s.nwb"), {{"trial_0", 12, {0.5}}, {"trial_0", 10, {2.5, 1.0}}});
    const auto s = spikes({{"in", spike_input(path("s.nwb"), "lgn", "nwb")}});
    EXPECT_EQ(pairs(s), (Pairs{{5, 7}, {10, 5}, {25, 5}}));
    // Times are ms and rounded up to the grid like any spike input.
    write_nwb(path("r.nwb"), {{"t", 11, {0.42}}});
    EXPECT_EQ(pairs(spikes({{"in", spike_input(path("r.nwb"), "lgn", "nwb")}})), (Pairs{{5, 6}}));
}

TEST_F(InputsTest, NwbTrialSelection) {
    write_nwb(path("s.nwb"), {{"a", 10, {1.0}}, {"b", 11, {2.0}}, {"b", 12, {3.0}}});
    Json in = spike_input(path("s.nwb"), "lgn", "nwb");
    in["trial"] = "b";
    EXPECT_EQ(pairs(spikes({{"in", in}})), (Pairs{{20, 6}, {30, 7}}));
    in["trial"] = "a";
    EXPECT_EQ(pairs(spikes({{"in", in}})), (Pairs{{10, 5}}));

    // Several trials and none chosen: an input error naming the file and the trials.
    std::string msg = error_of([&] { spikes({{"in", spike_input(path("s.nwb"), "lgn", "nwb")}}); }, ErrorKind::Input);
    EXPECT_CONTAINS(msg, "s.nwb");
    EXPECT_CONTAINS(msg, "'a', 'b'");
    in["trial"] = "c";
    EXPECT_CONTAINS(error_of([&] { spikes({{"in", in}}); }, ErrorKind::Input), "/processing/c");
    in["trial"] = 2;
    EXPECT_CONTAINS(error_of([&] { spikes({{"in", in}}); }, ErrorKind::Config), "inputs.in.trial");
}

TEST_F(InputsTest, NwbSpikeErrors) {
    // A node id that is not in the population, a time <= 0, a SONATA file given as NWB.
    write_nwb(path("u.nwb"), {{"t", 99, {1.0}}});
    EXPECT_CONTAINS(error_of([&] { spikes({{"in", spike_input(path("u.nwb"), "lgn", "nwb")}}); }, ErrorKind::Input),
                    "node_id 99");
    write_nwb(path("z.nwb"), {{"t", 10, {0.0}}});
    EXPECT_CONTAINS(error_of([&] { spikes({{"in", spike_input(path("z.nwb"), "lgn", "nwb")}}); }, ErrorKind::Input),
                    "must be > 0");
    write_spikes_h5(path("s.h5"), {SpikePop{"lgn", {10}, {1.0}}});
    EXPECT_CONTAINS(error_of([&] { spikes({{"in", spike_input(path("s.h5"), "lgn", "nwb")}}); }, ErrorKind::Input),
                    "s.h5: /processing");
}

// ================================================================ current clamps

TEST_F(InputsTest, ScalarClamp) {
    const auto c = clamps({{"c", clamp(5.0, 10.0, 20.0)}});
    ASSERT_EQ(c.size(), 1u);
    EXPECT_EQ(c[0].name, "c");
    EXPECT_EQ(changes(c[0]), (Changes{{100, 5.0}, {300, 0.0}}));
}

TEST_F(InputsTest, ListClampWithSwitchOffsAndAbuttingPulsesMerged) {
    // Pulse 0 ends at 20 before pulse 1 starts at 30: switch-off kept.
    // Pulse 1 ends at 50 exactly when pulse 2 starts: merged, no switch-off entry.
    const auto c = clamps({{"c", clamp(Json::array({1.0, 2.0, 3.0}), Json::array({10.0, 30.0, 50.0}),
                                       Json::array({10.0, 20.0, 5.0}))}});
    ASSERT_EQ(c.size(), 1u);
    EXPECT_EQ(changes(c[0]), (Changes{{100, 1.0}, {200, 0.0}, {300, 2.0}, {500, 3.0}, {550, 0.0}}));
}

TEST_F(InputsTest, OverlappingPulsesReplaceTheAmplitude) {
    const auto c = clamps({{"c", clamp(Json::array({1.0, -2.0}), Json::array({10.0, 15.0}), Json::array({10.0, 10.0}))}});
    EXPECT_EQ(changes(c[0]), (Changes{{100, 1.0}, {150, -2.0}, {250, 0.0}}));
}

TEST_F(InputsTest, OnsetAtOrBeforeDtIsDroppedWithItsSwitchOff) {
    // BMTK skips the whole entry, switch-off included, when delay <= dt (semantics.md 3.6).
    const auto c = clamps({{"c", clamp(Json::array({7.0, 8.0, 9.0}), Json::array({0.0, 0.1, 10.0}),
                                       Json::array({5.0, 2.0, 10.0}))}});
    EXPECT_EQ(changes(c[0]), (Changes{{100, 9.0}, {200, 0.0}}));
    // Its switch-off need not be on the grid either, as it is never used.
    const auto off = clamps({{"c", clamp(Json::array({7.0, 9.0}), Json::array({0.05, 10.0}), Json::array({5.0, 1.0}))}});
    EXPECT_EQ(changes(off[0]), (Changes{{100, 9.0}, {110, 0.0}}));
    // Just after dt is kept.
    const auto kept = clamps({{"c", clamp(2.0, 0.2, 1.0)}});
    EXPECT_EQ(changes(kept[0]), (Changes{{2, 2.0}, {12, 0.0}}));
}

TEST_F(InputsTest, OffGridClampTimeIsAnError) {
    const std::string msg = error_of([&] { clamps({{"c", clamp(1.0, 10.05, 5.0)}}); }, ErrorKind::Config);
    EXPECT_CONTAINS(msg, "10.05");
    EXPECT_CONTAINS(msg, "inputs.c");
    // The switch-off time too.
    EXPECT_CONTAINS(error_of([&] { clamps({{"c", clamp(1.0, 10.0, 5.03)}}); }, ErrorKind::Config), "15.03");
}

TEST_F(InputsTest, ClampParametersOfDifferentLengthsAreAnError) {
    const std::string msg = error_of(
        [&] { clamps({{"c", clamp(Json::array({1.0, 2.0}), Json::array({10.0, 20.0}), 5.0)}}); }, ErrorKind::Config);
    EXPECT_CONTAINS(msg, "same length");
    EXPECT_CONTAINS(msg, "inputs.c");
}

TEST_F(InputsTest, MissingOrBadClampParameterIsAnError) {
    Json c = clamp(1.0, 10.0, 5.0);
    c.erase("duration");
    EXPECT_CONTAINS(error_of([&] { clamps({{"c", c}}); }, ErrorKind::Config), "duration");
    EXPECT_CONTAINS(error_of([&] { clamps({{"c", clamp("big", 10.0, 5.0)}}); }, ErrorKind::Config), "amp");
    Json bad_type = clamp(1.0, 10.0, 5.0);
    bad_type["input_type"] = "ramp";
    const std::string msg = error_of([&] { clamps({{"c", bad_type}}); }, ErrorKind::Config);
    EXPECT_CONTAINS(msg, "'ramp'");
    EXPECT_CONTAINS(msg, "current_clamp, csv, file, nwb, allen");
}

TEST_F(InputsTest, DecreasingClampTimesAreAnError) {
    EXPECT_CONTAINS(error_of([&] { clamps({{"c", clamp(Json::array({1.0, 2.0}), Json::array({50.0, 20.0}),
                                                        Json::array({5.0, 5.0}))}}); },
                             ErrorKind::Config),
                    "strictly increasing");
}

TEST_F(InputsTest, CsvClamp) {
    text_file("amps.csv", "timestamps amps\n0.05 4.0\n10.0 1.5\n20.5 0.0\n30 -2\n");
    const Json in = {{"input_type", "csv"}, {"module", "IClamp"}, {"node_set", "cortex"}, {"file", path("amps.csv").string()}};
    const auto c = clamps({{"c", in}});
    // 0.05 <= dt dropped; no automatic switch-off.
    EXPECT_EQ(changes(c[0]), (Changes{{100, 1.5}, {205, 0.0}, {300, -2.0}}));

    text_file("amps2.csv", "t;a;other\n10.0;1.5;x\n20;0;y\n");
    Json custom = {{"input_type", "file"},      {"module", "IClamp"},          {"node_set", "cortex"},
                   {"file", path("amps2.csv").string()}, {"separator", ";"}, {"timestamps_column", "t"},
                   {"amplitudes_column", "a"}};
    EXPECT_EQ(changes(clamps({{"c", custom}})[0]), (Changes{{100, 1.5}, {200, 0.0}}));
}

TEST_F(InputsTest, CsvClampErrors) {
    auto csv_input = [&](const std::string& name) {
        return Json{{"input_type", "csv"}, {"module", "IClamp"}, {"file", path(name).string()}};
    };
    text_file("one.csv", "timestamps amps\n10.0 1.5\n");
    EXPECT_CONTAINS(error_of([&] { clamps({{"c", csv_input("one.csv")}}); }, ErrorKind::Input), "at least 2 rows");
    text_file("nocol.csv", "time amps\n10.0 1.5\n20 0\n");
    EXPECT_CONTAINS(error_of([&] { clamps({{"c", csv_input("nocol.csv")}}); }, ErrorKind::Input), "timestamps");
    text_file("bad.csv", "timestamps amps\n10.0 1.5\n20 zero\n");
    const std::string msg = error_of([&] { clamps({{"c", csv_input("bad.csv")}}); }, ErrorKind::Input);
    EXPECT_CONTAINS(msg, "bad.csv");
    EXPECT_CONTAINS(msg, "line 3");
    EXPECT_CONTAINS(error_of([&] { clamps({{"c", csv_input("absent.csv")}}); }, ErrorKind::Input), "absent.csv");
}

TEST_F(InputsTest, ClampTargetsAreFlatIndicesOfSimulatedNodesOnly) {
    // Flat numbering: gids 0, 1, 2, 4 (alpha) -> 0..3, gid 3 (delta) -> 4.
    const Json in = {{"cortex", clamp(1.0, 10.0, 5.0, "cortex")},
                     {"pv", clamp(1.0, 10.0, 5.0, Json{{"pop_name", "PV"}})},
                     {"delta", clamp(1.0, 10.0, 5.0, Json{{"population", "cortex"}, {"node_id", 3}})},
                     {"lgn", clamp(1.0, 10.0, 5.0, "lgn")}};
    Json dflt = clamp(1.0, 10.0, 5.0);
    dflt.erase("node_set");  // defaults to "all"
    Json all_in = in;
    all_in["dflt"] = dflt;
    const auto c = clamps(all_in);
    ASSERT_EQ(c.size(), 5u);
    auto targets_of = [&](const std::string& name) {
        for (const auto& x : c)
            if (x.name == name) return x.targets;
        ADD_FAILURE() << "no clamp " << name;
        return std::vector<std::uint32_t>{};
    };
    EXPECT_EQ(targets_of("cortex"), (std::vector<std::uint32_t>{0, 1, 2, 4, 3}));
    EXPECT_EQ(targets_of("pv"), (std::vector<std::uint32_t>{1, 3}));
    EXPECT_EQ(targets_of("delta"), (std::vector<std::uint32_t>{4}));
    EXPECT_TRUE(targets_of("lgn").empty());
    EXPECT_EQ(targets_of("dflt"), (std::vector<std::uint32_t>{0, 1, 2, 4, 3}));
}

TEST_F(InputsTest, SpikeInputsAreIgnoredByClampLoader) {
    write_spikes_h5(path("s.h5"), {SpikePop{"lgn", {10}, {1.0}}});
    const auto c = clamps({{"in", spike_input(path("s.h5"))}, {"c", clamp(1.0, 10.0, 5.0)}});
    ASSERT_EQ(c.size(), 1u);
    EXPECT_EQ(c[0].name, "c");
}

// ================================================================ NWB current clamps
// (BMTK's NWBReader + PointNet's IClamp module; the files are written by
// tests/tools/nwb_files.hpp in the Allen ephys NWB 1 layout.)

namespace {

Json nwb_clamp(const fs::path& file, const Json& sweep_id, const Json& extra = Json::object()) {
    Json in = {{"input_type", "nwb"}, {"module", "IClamp"}, {"node_set", "cortex"}, {"file", file.string()},
               {"sweep_id", sweep_id}};
    in.update(extra);
    return in;
}

// What numpy makes of float32 samples x 1.0e9: a float32 product.
double f32_times_1e9(double amperes) { return static_cast<double>(static_cast<float>(amperes) * 1.0e9f); }

}  // namespace

TEST_F(InputsTest, NwbClampAmperesTimes1e9AtSampleTimesFromTheRate) {
    // 10 kHz: one sample every 0.1 ms = dt. Samples 0 and 1 (t = 0, 0.1 <= dt) are dropped.
    const std::vector<double> a = {1e-9, 2e-9, 7e-7, -1.5e-10, 3.3e-8};
    write_nwb_sweeps(path("s.nwb"), {NwbSweep{"Sweep_7", a}});
    const auto c = clamps({{"c", nwb_clamp(path("s.nwb"), 7)}});
    ASSERT_EQ(c.size(), 1u);
    EXPECT_EQ(c[0].targets.size(), 5u);
    EXPECT_EQ(changes(c[0]), (Changes{{2, f32_times_1e9(7e-7)}, {3, f32_times_1e9(-1.5e-10)}, {4, f32_times_1e9(3.3e-8)}}));
    // The float32 product is not the double one: this test tells them apart.
    EXPECT_NE(f32_times_1e9(7e-7), static_cast<double>(static_cast<float>(7e-7)) * 1e9);
    EXPECT_NEAR(c[0].changes[0].amplitude, 700.0, 1e-3);  // "nA" values, which NEST reads as pA

    // float64 samples are scaled in double precision.
    NwbSweep f64{"Sweep_7", a};
    f64.float32 = false;
    write_nwb_sweeps(path("d.nwb"), {f64});
    EXPECT_EQ(changes(clamps({{"c", nwb_clamp(path("d.nwb"), 7)}})[0]),
              (Changes{{2, 7e-7 * 1e9}, {3, -1.5e-10 * 1e9}, {4, 3.3e-8 * 1e9}}));

    // 5 kHz: a sample every 0.2 ms; 1 kHz: every 1 ms (sample 0 alone is dropped).
    NwbSweep slow{"Sweep_7", {1e-9, 2e-9, 3e-9}, 5000.0};
    write_nwb_sweeps(path("slow.nwb"), {slow});
    EXPECT_EQ(changes(clamps({{"c", nwb_clamp(path("slow.nwb"), 7)}})[0]),
              (Changes{{2, f32_times_1e9(2e-9)}, {4, f32_times_1e9(3e-9)}}));
    slow.rate = 1000.0;
    write_nwb_sweeps(path("slower.nwb"), {slow});
    EXPECT_EQ(changes(clamps({{"c", nwb_clamp(path("slower.nwb"), 7)}})[0]),
              (Changes{{10, f32_times_1e9(2e-9)}, {20, f32_times_1e9(3e-9)}}));
}

TEST_F(InputsTest, NwbClampAllenInputTypeIsTheSameReader) {
    write_nwb_sweeps(path("s.nwb"), {NwbSweep{"Sweep_7", {0.0, 1e-9, 2e-9, 3e-9}}});
    Json allen = nwb_clamp(path("s.nwb"), 7);
    allen["input_type"] = "allen";
    EXPECT_EQ(changes(clamps({{"c", allen}})[0]), changes(clamps({{"c", nwb_clamp(path("s.nwb"), 7)}})[0]));
}

TEST_F(InputsTest, NwbClampDownsampleKeepsEveryNthSample) {
    // 1 kHz (1 ms per sample), samples i x 1e-9 A.
    std::vector<double> a;
    for (int i = 0; i < 12; ++i) a.push_back(i * 1e-9);
    write_nwb_sweeps(path("s.nwb"), {NwbSweep{"Sweep_1", a, 1000.0}});
    auto steps_of = [&](const Json& extra) {
        std::vector<Step> out;
        const auto c = clamps({{"c", nwb_clamp(path("s.nwb"), 1, extra)}});
        for (const auto& ch : c.at(0).changes) out.push_back(ch.step);
        return out;
    };
    // downsample 3 ms: every 3rd sample, at its own time (0 ms is dropped).
    EXPECT_EQ(steps_of({{"downsample", 3.0}}), (std::vector<Step>{30, 60, 90}));
    const auto c = clamps({{"c", nwb_clamp(path("s.nwb"), 1, {{"downsample", 3.0}})}});
    EXPECT_EQ(c[0].changes[1].amplitude, f32_times_1e9(6e-9));
    // round(downsample / interval) as numpy rounds: 2.5 -> 2 (half to even), 3.5 -> 4.
    EXPECT_EQ(steps_of({{"downsample", 2.5}}), (std::vector<Step>{20, 40, 60, 80, 100}));
    EXPECT_EQ(steps_of({{"downsample", 3.5}}), (std::vector<Step>{40, 80}));
    // Not larger than the sample interval: every sample.
    const std::vector<Step> every{10, 20, 30, 40, 50, 60, 70, 80, 90, 100, 110};
    EXPECT_EQ(steps_of({{"downsample", 1.0}}), every);
    EXPECT_EQ(steps_of({{"downsample", 0.3}}), every);
    EXPECT_EQ(steps_of(Json::object()), every);
}

TEST_F(InputsTest, NwbClampSweepWindowThenDelay) {
    std::vector<double> a;
    for (int i = 0; i < 12; ++i) a.push_back(i * 1e-9);
    write_nwb_sweeps(path("s.nwb"), {NwbSweep{"Sweep_1", a, 1000.0}});
    // Samples with 3 <= t <= 6 ms keep their sample times (no shift to 0).
    EXPECT_EQ(changes(clamps({{"c", nwb_clamp(path("s.nwb"), 1, {{"sweep_window", {3.0, 6.0}}})}})[0]),
              (Changes{{30, f32_times_1e9(3e-9)}, {40, f32_times_1e9(4e-9)}, {50, f32_times_1e9(5e-9)},
                       {60, f32_times_1e9(6e-9)}}));
    // downsample first, then the window on sample times, then the delay.
    const auto c = clamps({{"c", nwb_clamp(path("s.nwb"), 1,
                                           {{"downsample", 2.0}, {"sweep_window", {3.0, 8.0}}, {"delay", 10.0}})}});
    EXPECT_EQ(changes(c[0]), (Changes{{140, f32_times_1e9(4e-9)}, {160, f32_times_1e9(6e-9)}, {180, f32_times_1e9(8e-9)}}));
    // The delay alone shifts every sample: sample 0 (0 ms) now lands at 2.5 ms and is kept.
    const auto d = clamps({{"c", nwb_clamp(path("s.nwb"), 1, {{"delay", 2.5}, {"sweep_window", {0, 1}}})}});
    EXPECT_EQ(changes(d[0]), (Changes{{25, 0.0}, {35, f32_times_1e9(1e-9)}}));
}

TEST_F(InputsTest, NwbClampSweepIdRule) {
    // An integer, or a value Python's int() reads as one, names Sweep_<n>; other strings are the group name.
    write_nwb_sweeps(path("s.nwb"), {NwbSweep{"Sweep_7", {0.0, 0.0, 1e-9}}, NwbSweep{"Sweep_70", {0.0, 0.0, 2e-9}},
                                     NwbSweep{"ramp", {0.0, 0.0, 3e-9}}, NwbSweep{"Sweep_0", {0.0, 0.0, 4e-9}}});
    auto amp_of = [&](const Json& id) { return clamps({{"c", nwb_clamp(path("s.nwb"), id)}})[0].changes.at(0).amplitude; };
    for (const Json& id : {Json(7), Json("7"), Json(" +007 "), Json(7.0), Json("Sweep_7")})
        EXPECT_EQ(amp_of(id), f32_times_1e9(1e-9)) << id.dump();
    EXPECT_EQ(amp_of(70), f32_times_1e9(2e-9));
    EXPECT_EQ(amp_of("7_0"), f32_times_1e9(2e-9));  // int("7_0") == 70
    EXPECT_EQ(amp_of("ramp"), f32_times_1e9(3e-9));
    EXPECT_EQ(amp_of("-0"), f32_times_1e9(4e-9));

    // A missing sweep names the file, the group and the sweeps there are.
    const std::string msg = error_of([&] { clamps({{"c", nwb_clamp(path("s.nwb"), 8)}}); }, ErrorKind::Input);
    EXPECT_CONTAINS(msg, "s.nwb");
    EXPECT_CONTAINS(msg, "/epochs/Sweep_8");
    EXPECT_CONTAINS(msg, "'Sweep_0', 'Sweep_7', 'Sweep_70', 'ramp'");
    EXPECT_CONTAINS(error_of([&] { clamps({{"c", nwb_clamp(path("s.nwb"), "7.0")}}); }, ErrorKind::Input),
                    "/epochs/7.0");  // int("7.0") fails in Python too
    // Not a whole number, or not a number or string: the config is wrong.
    EXPECT_CONTAINS(error_of([&] { clamps({{"c", nwb_clamp(path("s.nwb"), 7.5)}}); }, ErrorKind::Config),
                    "inputs.c.sweep_id");
    EXPECT_CONTAINS(error_of([&] { clamps({{"c", nwb_clamp(path("s.nwb"), true)}}); }, ErrorKind::Config),
                    "inputs.c.sweep_id");
    Json no_id = nwb_clamp(path("s.nwb"), 7);
    no_id.erase("sweep_id");
    EXPECT_CONTAINS(error_of([&] { clamps({{"c", no_id}}); }, ErrorKind::Config), "inputs.c.sweep_id is missing");
}

TEST_F(InputsTest, NwbClampBadParameters) {
    write_nwb_sweeps(path("s.nwb"), {NwbSweep{"Sweep_1", {0.0, 1e-9, 2e-9}}});
    auto config_msg = [&](const Json& extra) {
        return error_of([&] { clamps({{"c", nwb_clamp(path("s.nwb"), 1, extra)}}); }, ErrorKind::Config);
    };
    for (const Json& d : {Json(0.0), Json(-1.0), Json("fast")}) {
        const std::string msg = config_msg({{"downsample", d}});
        EXPECT_CONTAINS(msg, "inputs.c.downsample");
        EXPECT_CONTAINS(msg, d.dump());
    }
    for (const Json& w : {Json::array({5.0, 2.0}), Json::array({3.0, 3.0}), Json::array({-1.0, 2.0}),
                          Json::array({1.0}), Json("all"), Json::array({1.0, "end"})}) {
        const std::string msg = config_msg({{"sweep_window", w}});
        EXPECT_CONTAINS(msg, "inputs.c.sweep_window");
        EXPECT_CONTAINS(msg, "0 <= start_time < stop_time");
    }
    EXPECT_CONTAINS(config_msg({{"delay", "late"}}), "inputs.c.delay");
    // A missing file: an input error naming the file and the key.
    const std::string msg =
        error_of([&] { clamps({{"c", nwb_clamp(path("absent.nwb"), 1)}}); }, ErrorKind::Input);
    EXPECT_CONTAINS(msg, "absent.nwb: file not found");
    EXPECT_CONTAINS(msg, "inputs.c.file");
}

TEST_F(InputsTest, NwbClampBadFiles) {
    auto input_msg = [&](const std::string& name) {
        return error_of([&] { clamps({{"c", nwb_clamp(path(name), 1)}}); }, ErrorKind::Input);
    };
    const std::string data = "/epochs/Sweep_1/stimulus/timeseries/data";
    const std::string start = "/epochs/Sweep_1/stimulus/timeseries/starting_time";
    // rate missing, zero, negative.
    NwbSweep s{"Sweep_1", {0.0, 1e-9}};
    s.rate.reset();
    write_nwb_sweeps(path("norate.nwb"), {s});
    std::string msg = input_msg("norate.nwb");
    EXPECT_CONTAINS(msg, "norate.nwb: " + start);
    EXPECT_CONTAINS(msg, "'rate'");
    for (double r : {0.0, -10000.0}) {
        s.rate = r;
        write_nwb_sweeps(path("badrate.nwb"), {s});
        msg = input_msg("badrate.nwb");
        EXPECT_CONTAINS(msg, "badrate.nwb: " + start);
        EXPECT_CONTAINS(msg, "must be a positive number");
    }
    // The stimulus as a 2-D dataset, or as strings.
    write_nwb_sweeps(path("rank.nwb"), {NwbSweep{"Sweep_1", {0.0}}});
    {
        H5::H5File f(path("rank.nwb").string(), H5F_ACC_RDWR);
        f.unlink("/stimulus/presentation/Sweep_1/data");
        const hsize_t dims[2] = {2, 2};
        f.createDataSet("/stimulus/presentation/Sweep_1/data", H5::PredType::IEEE_F32LE, H5::DataSpace(2, dims));
    }
    msg = input_msg("rank.nwb");
    EXPECT_CONTAINS(msg, "rank.nwb: " + data);
    EXPECT_CONTAINS(msg, "rank 2");
    write_nwb_sweeps(path("text.nwb"), {NwbSweep{"Sweep_1", {0.0}}});
    {
        H5::H5File f(path("text.nwb").string(), H5F_ACC_RDWR);
        f.unlink("/stimulus/presentation/Sweep_1/data");
        write_strings(f.openGroup("/stimulus/presentation/Sweep_1"), "data", {"1e-9", "2e-9"});
    }
    msg = input_msg("text.nwb");
    EXPECT_CONTAINS(msg, "text.nwb: " + data);
    EXPECT_CONTAINS(msg, "integer or float");
    // No /epochs at all (e.g. an NWB 2 file); a file that is not HDF5.
    write_spikes_h5(path("spikes.nwb"), {SpikePop{"lgn", {10}, {1.0}}});
    EXPECT_CONTAINS(input_msg("spikes.nwb"), "spikes.nwb: /epochs");
    text_file("plain.nwb", "not hdf5\n");
    EXPECT_CONTAINS(input_msg("plain.nwb"), "plain.nwb");
}

TEST_F(InputsTest, NwbClampSamplesOffTheGridAreAnError) {
    // 50 kHz = 0.02 ms per sample, dt 0.1: NEST refuses such amplitude times;
    // the message says how the file samples and that downsample helps.
    write_nwb_sweeps(path("fast.nwb"), {NwbSweep{"Sweep_1", std::vector<double>(20, 1e-9), 50000.0}});
    const std::string msg = error_of([&] { clamps({{"c", nwb_clamp(path("fast.nwb"), 1)}}); }, ErrorKind::Config);
    EXPECT_CONTAINS(msg, "inputs.c");
    EXPECT_CONTAINS(msg, "not a multiple of dt");
    EXPECT_CONTAINS(msg, "fast.nwb Sweep_1 has one sample every 0.02 ms");
    EXPECT_CONTAINS(msg, "downsample");
    // downsample 0.1 keeps every 5th sample, on the grid.
    const auto c = clamps({{"c", nwb_clamp(path("fast.nwb"), 1, {{"downsample", 0.1}})}});
    EXPECT_EQ(changes(c[0]), (Changes{{2, f32_times_1e9(1e-9)}, {3, f32_times_1e9(1e-9)}}));
}

// ================================================================ real examples

struct Loaded {
    pointsim::config::SimulationConfig cfg;
    pointsim::TimeGrid grid;
    Network net;
};

Loaded load_example(const std::string& rel) {
    pointsim::logging::set_level(spdlog::level::err);
    Loaded l{pointsim::config::load(example(rel)), {}, {}};
    l.grid = pointsim::TimeGrid::make(l.cfg.run.dt, l.cfg.run.tstop, "test");
    l.net = pointsim::network::build(l.cfg, l.grid);
    return l;
}

TEST(ExampleInputs, Sonata300LegacySpikeFile) {
    const Loaded l = load_example("sonata_300/simulation_config.json");
    const auto s = pointsim::inputs::load_spike_inputs(l.cfg, l.net, l.grid);
    EXPECT_GT(s.size(), 1000u);
    EXPECT_LE(s.size(), 4334u);
    EXPECT_TRUE(std::is_sorted(s.begin(), s.end()));
    for (const auto& x : s) {
        ASSERT_GE(x.gid, 300u);  // external population only
        ASSERT_LT(x.gid, 400u);
        ASSERT_GE(x.stamp, 1);
        ASSERT_LE(x.stamp, l.grid.n_steps);
    }
    EXPECT_TRUE(pointsim::inputs::load_current_clamps(l.cfg, l.net, l.grid).empty());
}

TEST(ExampleInputs, Point120CellsH5AndCsvSpikesAgree) {
    const Loaded h5 = load_example("point_120cells/config.simulation.json");
    const auto a = pointsim::inputs::load_spike_inputs(h5.cfg, h5.net, h5.grid);
    EXPECT_EQ(a.size(), 3024u);
    for (const auto& x : a) ASSERT_GE(x.gid, 120u);
    const Loaded csv = load_example("point_120cells/config.simulation_perturbations.json");
    const auto b = pointsim::inputs::load_spike_inputs(csv.cfg, csv.net, csv.grid);
    EXPECT_EQ(pairs(a), pairs(b));
}

TEST(ExampleInputs, Point120CellsClampForms) {
    const Loaded scalar = load_example("point_120cells/config.simulation_iclamp.json");
    const auto s = pointsim::inputs::load_current_clamps(scalar.cfg, scalar.net, scalar.grid);
    ASSERT_EQ(s.size(), 3u);
    EXPECT_EQ(changes(s[0]), (Changes{{50000, 0.15}, {100000, 0.0}}));
    EXPECT_EQ(changes(s[2]), (Changes{{250000, 0.2}, {300000, 0.0}}));
    EXPECT_EQ(s[0].targets.size(), 120u);

    const Changes expected{{50000, 0.15}, {100000, 0.0}, {150000, 0.175}, {200000, 0.0}, {250000, 0.2}, {300000, 0.0}};
    const Loaded list = load_example("point_120cells/config.simulation_iclamp.aslist.json");
    const auto l = pointsim::inputs::load_current_clamps(list.cfg, list.net, list.grid);
    ASSERT_EQ(l.size(), 1u);
    EXPECT_EQ(changes(l[0]), expected);

    const Loaded csv = load_example("point_120cells/config.simulation_iclamp.csv.json");
    const auto c = pointsim::inputs::load_current_clamps(csv.cfg, csv.net, csv.grid);
    ASSERT_EQ(c.size(), 1u);
    const Changes csv_expected{{80000, 0.15}, {130000, 0.0}, {180000, 0.175}, {230000, 0.0}, {280000, 0.2}, {330000, 0.0}};
    EXPECT_EQ(changes(c[0]), csv_expected);
    EXPECT_EQ(c[0].targets.size(), 120u);
}

TEST(ExampleInputs, PointIclampNwbSweep55) {
    // 8000 float32 samples at 10 kHz, downsample 0.5 ms: every 5th sample,
    // the first (t = 0) dropped; 700 "pA" from 100 ms on.
    const Loaded l = load_example("point_iclamp_nwb/config.simulation_iclamp.nwb.json");
    const auto c = pointsim::inputs::load_current_clamps(l.cfg, l.net, l.grid);
    ASSERT_EQ(c.size(), 1u);
    EXPECT_EQ(c[0].targets.size(), l.net.n_neurons());
    ASSERT_EQ(c[0].changes.size(), 1599u);
    for (std::size_t k = 0; k < c[0].changes.size(); ++k) ASSERT_EQ(c[0].changes[k].step, 5 * static_cast<Step>(k + 1));
    EXPECT_EQ(c[0].changes[198].amplitude, 0.0);  // 99.5 ms
    EXPECT_EQ(c[0].changes[199].step, 1000);
    EXPECT_EQ(c[0].changes[199].amplitude, static_cast<double>(static_cast<float>(7e-7) * 1e9f));
}

TEST(ExampleInputs, Point120CellsPerturbations) {
    const Loaded l = load_example("point_120cells/config.simulation_perturbations.json");
    const auto c = pointsim::inputs::load_current_clamps(l.cfg, l.net, l.grid);
    ASSERT_EQ(c.size(), 2u);
    EXPECT_EQ(c[0].name, "exc_perturbation");
    EXPECT_EQ(changes(c[0]), (Changes{{1000, 230.0}, {3001000, 0.0}}));
    EXPECT_EQ(changes(c[1]), (Changes{{1000, -230.0}, {3001000, 0.0}}));
    ASSERT_EQ(c[0].targets.size(), 20u);
    ASSERT_EQ(c[1].targets.size(), 10u);
    for (std::size_t i = 0; i < 20; ++i) EXPECT_EQ(l.net.gid_of_flat[c[0].targets[i]], 20 + i);
    for (std::size_t i = 0; i < 10; ++i) EXPECT_EQ(l.net.gid_of_flat[c[1].targets[i]], 40 + i);
}

}  // namespace
