// Nodes: ids and type ids as BMTK assigns them, position generators,
// per-node values, and selections.
#include <cmath>

#include <gtest/gtest.h>

#include "builder_test_util.hpp"
#include "common/error.hpp"

namespace pointsim::builder::test {
namespace {

TEST(Nodes, IdsAndTypeIdsFollowBmtk) {
    const InMemory m = build_in_memory(Json::parse(R"({"networks": {
        "A": {"nodes": [{"N": 3, "properties": {"pop_name": "x"}}, {"N": 2, "properties": {"pop_name": "y"}}]},
        "B": {"nodes": [{"N": 4}]}}})"), 0);
    const BuiltNetwork& a = m.net("A");
    ASSERT_EQ(a.n, 5u);
    EXPECT_EQ(a.groups[0].first_id, 0u);
    EXPECT_EQ(a.groups[1].first_id, 3u);
    EXPECT_EQ(a.groups[0].type_id, 100u);  // one node type per add_nodes, from 100 in each network
    EXPECT_EQ(a.groups[1].type_id, 101u);
    EXPECT_EQ(m.net("B").groups[0].type_id, 100u);
    EXPECT_EQ(m.net("B").n, 4u);
}

TEST(Positions, ColuminarFillsTheRingUniformlyByArea) {
    const InMemory m = build_in_memory(Json::parse(R"({"networks": {"A": {"nodes": [
        {"N": 20000, "positions": {"generator": "columinar", "center": [10, 50, -5], "min_radius": 30,
                                   "max_radius": 60, "height": 100}}]}}})"), 4);
    const auto& p = m.net("A").groups[0].positions;
    ASSERT_EQ(p.size(), 20000u);
    double r2_mean = 0, y_mean = 0;
    for (const auto& xyz : p) {
        const double r = std::hypot(xyz[0] - 10, xyz[2] + 5);
        ASSERT_GE(r, 30 - 1e-9);
        ASSERT_LE(r, 60 + 1e-9);
        ASSERT_GE(xyz[1], 0.0);
        ASSERT_LT(xyz[1], 100.0);
        r2_mean += r * r / 20000;
        y_mean += xyz[1] / 20000;
    }
    // Uniform by area: r^2 uniform on [30^2, 60^2].
    const double a = 900, b = 3600;
    EXPECT_LE(std::fabs(r2_mean - (a + b) / 2), kSigmas * (b - a) / std::sqrt(12.0 * 20000));
    EXPECT_LE(std::fabs(y_mean - 50), kSigmas * 100 / std::sqrt(12.0 * 20000));
}

TEST(Positions, CuboidAndList) {
    const InMemory m = build_in_memory(Json::parse(R"({"networks": {"A": {"nodes": [
        {"N": 1000, "positions": {"generator": "cuboid", "center": [1, 2, 3], "size": [10, 20, 30]}},
        {"N": 2, "positions": [[1, 2, 3], [4, 5, 6.5]]}]}}})"), 4);
    for (const auto& xyz : m.net("A").groups[0].positions) {
        ASSERT_GE(xyz[0], -4.0);
        ASSERT_LT(xyz[0], 6.0);
        ASSERT_GE(xyz[1], -8.0);
        ASSERT_LT(xyz[1], 12.0);
        ASSERT_GE(xyz[2], -12.0);
        ASSERT_LT(xyz[2], 18.0);
    }
    const auto& l = m.net("A").groups[1].positions;
    EXPECT_EQ(l[1][2], 6.5);
    EXPECT_EQ(m.net("A").position(1001)[0], 4.0);
}

TEST(NodeProperties, ListsDistributionsAndFormulas) {
    const InMemory m = build_in_memory(Json::parse(R"({"networks": {"A": {"nodes": [
        {"N": 4000, "positions": {"generator": "cuboid", "size": [10, 10, 10]},
         "properties": {"tuning_angle": {"distribution": "uniform", "low": 0, "high": 360},
                        "depth": {"formula": "y * 2 + index"},
                        "pop_name": "E"}},
        {"N": 3, "properties": {"label": ["a", "b", "c"], "layer": [4, 5, 6]}}]}}})"), 8);
    const BuiltNetwork& a = m.net("A");
    const NodeColumn* angle = a.groups[0].column("tuning_angle");
    ASSERT_NE(angle, nullptr);
    double mean = 0;
    for (double v : angle->numbers) {
        ASSERT_GE(v, 0.0);
        ASSERT_LT(v, 360.0);
        mean += v / 4000;
    }
    EXPECT_LE(std::fabs(mean - 180), kSigmas * 360 / std::sqrt(12.0 * 4000));
    const NodeColumn* depth = a.groups[0].column("depth");
    for (std::uint64_t i = 0; i < 4000; ++i) ASSERT_DOUBLE_EQ(depth->numbers[i], a.groups[0].positions[i][1] * 2 + static_cast<double>(i));
    EXPECT_EQ(a.groups[0].column("pop_name"), nullptr) << "a constant is a node-type property";
    ASSERT_NE(a.groups[0].constant("pop_name"), nullptr);
    EXPECT_EQ(a.groups[1].column("label")->strings[2], "c");
    EXPECT_TRUE(a.groups[1].column("layer")->integer);
    const auto layer = a.numeric("layer");
    EXPECT_TRUE(std::isnan(layer[0]));
    EXPECT_EQ(layer[4001], 5.0);
}

TEST(Selections, ValuesListsAndPerNodeColumns) {
    const InMemory m = build_in_memory(Json::parse(R"({"networks": {"A": {"nodes": [
        {"N": 3, "properties": {"pop_name": "PV", "ei": "i"}},
        {"N": 2, "properties": {"pop_name": "SST", "ei": "i"}},
        {"N": 4, "properties": {"pop_name": "E", "ei": "e", "layer": [2, 4, 4, 5]}}]}}})"), 0);
    const BuiltNetwork& a = m.net("A");
    auto sel = [&](const char* text) {
        SelectionSpec s;
        s.network = "A";
        s.path = "sel";
        const Json doc = Json::parse(text);  // items() refers to it: keep it alive
        for (const auto& item : doc.items()) {
            SelectionSpec::Condition c;
            c.property = item.key();
            if (item.value().is_array())
                for (const auto& v : item.value()) c.any_of.push_back(v);
            else
                c.any_of.push_back(item.value());
            s.conditions.push_back(c);
        }
        return select_nodes(a, s, "r.json");
    };
    EXPECT_EQ(sel(R"({"ei": "i"})"), (std::vector<std::uint64_t>{0, 1, 2, 3, 4}));
    EXPECT_EQ(sel(R"({"pop_name": ["SST", "E"], "ei": "e"})"), (std::vector<std::uint64_t>{5, 6, 7, 8}));
    EXPECT_EQ(sel(R"({"layer": 4})"), (std::vector<std::uint64_t>{6, 7}));
    EXPECT_EQ(sel(R"({})").size(), 9u);
    EXPECT_THROW(sel(R"({"pop_name": "VIP"})"), Error);
    try {
        sel(R"({"pop_nam": "PV"})");
        FAIL();
    } catch (const Error& e) {
        EXPECT_NE(std::string(e.what()).find("no node group of network 'A' has the property 'pop_nam'"), std::string::npos)
            << e.what();
    }
}

}  // namespace
}  // namespace pointsim::builder::test
