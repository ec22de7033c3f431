// Tests for src/inputs: spike inputs for virtual nodes (semantics.md 2.8,
// 3.5) and current clamps (2.8, 3.6), on small circuits written into a
// temporary directory and on the real examples.
#include <algorithm>
#include <cstdint>
#include <limits>
#include <string>
#include <vector>

#include <gtest/gtest.h>

#include "../network/test_circuit.hpp"
#include "inputs/inputs.hpp"

namespace fs = std::filesystem;
using namespace ptest;
using pointsim::ErrorKind;
using pointsim::Step;
using pointsim::inputs::AmplitudeChange;
using pointsim::inputs::CurrentClamp;
using pointsim::inputs::StampedSpike;
using pointsim::network::Gid;
using pointsim::network::Network;

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
    bad_type["input_type"] = "nwb";
    EXPECT_CONTAINS(error_of([&] { clamps({{"c", bad_type}}); }, ErrorKind::Config), "nwb");
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
