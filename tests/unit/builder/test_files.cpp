// The files `pointsim build` writes: BMTK's layout (against the network
// BMTK's builder wrote from the tutorial's code), consistent indices, several
// HDF5 groups, byte-identical output for any thread count, nothing left
// behind by a failed build.
#include <fstream>
#include <map>
#include <set>
#include <sstream>

#include <H5Cpp.h>
#include <gtest/gtest.h>

#include "builder/builder.hpp"
#include "builder_test_util.hpp"
#include "common/error.hpp"
#include "sonata/sonata.hpp"

namespace pointsim::builder::test {
namespace {

const fs::path kBmtk = kExamples / "tutorial_ch05_notebook" / "network";
const fs::path kTutorialRecipe = kExamples / "tutorial_ch05" / "build.json";
const char* const kFiles[] = {"V1_nodes.h5",     "V1_node_types.csv",     "LGN_nodes.h5",         "LGN_node_types.csv",
                              "V1_V1_edges.h5", "V1_V1_edge_types.csv", "LGN_V1_edges.h5", "LGN_V1_edge_types.csv"};

// Every object of an HDF5 file: path -> a description of its kind, type,
// shape (rank and columns) and attribute names.
std::map<std::string, std::string> layout(const fs::path& file) {
    H5::H5File f(file.string(), H5F_ACC_RDONLY);
    std::vector<std::string> names{"/"};
    H5Lvisit(f.getId(), H5_INDEX_NAME, H5_ITER_INC,
             [](hid_t, const char* name, const H5L_info_t*, void* data) -> herr_t {
                 static_cast<std::vector<std::string>*>(data)->push_back(std::string("/") + name);
                 return 0;
             },
             &names);
    auto attrs = [](const H5::H5Object& o) {
        std::set<std::string> a;
        for (int i = 0; i < o.getNumAttrs(); ++i) a.insert(o.openAttribute(static_cast<unsigned>(i)).getName());
        std::string s;
        for (const auto& n : a) s += " @" + n;
        return s;
    };
    std::map<std::string, std::string> out;
    for (const auto& n : names) {
        if (n == "/") {
            out[n] = "group" + attrs(f.openGroup("/"));
        } else if (f.childObjType(n) == H5O_TYPE_GROUP) {
            out[n] = "group" + attrs(f.openGroup(n));
        } else {
            H5::DataSet ds = f.openDataSet(n);
            const H5::DataType t = ds.getDataType();
            std::string kind = t.getClass() == H5T_INTEGER ? (ds.getIntType().getSign() == H5T_SGN_NONE ? "u" : "i")
                               : t.getClass() == H5T_FLOAT ? "f"
                               : t.getClass() == H5T_STRING ? "s"
                                                            : "?";
            hsize_t dims[2] = {0, 0};
            const int rank = ds.getSpace().getSimpleExtentDims(dims);
            out[n] = "dataset " + kind + std::to_string(t.getSize() * 8) + " rank " + std::to_string(rank) +
                     (rank == 2 ? " x" + std::to_string(dims[1]) : "") + attrs(ds);
        }
    }
    return out;
}

// A types CSV as rows of column -> value (column order is not meaningful:
// BMTK's follows Python dict/set order).
std::vector<std::map<std::string, std::string>> csv_rows(const fs::path& file) {
    std::ifstream in(file);
    std::string line;
    std::getline(in, line);
    std::vector<std::string> header;
    std::istringstream h(line);
    for (std::string w; h >> w;) header.push_back(w);
    std::vector<std::map<std::string, std::string>> rows;
    while (std::getline(in, line)) {
        std::istringstream r(line);
        std::map<std::string, std::string> row;
        for (const auto& c : header) r >> row[c];
        rows.push_back(row);
    }
    return rows;
}

class TutorialBuild : public ::testing::Test {
protected:
    static void SetUpTestSuite() {
        dir_ = new TempDir;
        build(kTutorialRecipe, dir_->path(), 0);
    }
    static void TearDownTestSuite() { delete dir_; }
    static TempDir* dir_;
};
TempDir* TutorialBuild::dir_ = nullptr;

TEST_F(TutorialBuild, HdfFilesHaveBmtksLayout) {
    for (const char* name : kFiles) {
        if (fs::path(name).extension() != ".h5") continue;
        SCOPED_TRACE(name);
        const auto theirs = layout(kBmtk / name), ours = layout(dir_->path() / name);
        for (const auto& [path, what] : theirs) {
            ASSERT_TRUE(ours.count(path)) << "missing " << path << " (" << what << ")";
            EXPECT_EQ(ours.at(path), what) << path;
        }
        for (const auto& [path, what] : ours) EXPECT_TRUE(theirs.count(path)) << "extra " << path << " (" << what << ")";
    }
}

TEST_F(TutorialBuild, TypeTablesHoldBmtksRows) {
    for (const char* name : kFiles) {
        if (fs::path(name).extension() != ".csv") continue;
        SCOPED_TRACE(name);
        EXPECT_EQ(csv_rows(dir_->path() / name), csv_rows(kBmtk / name));
    }
}

TEST_F(TutorialBuild, NodeAttributesAndPopulationsMatch) {
    const auto ours = sonata::read_node_populations(dir_->path() / "V1_nodes.h5").at(0);
    const auto theirs = sonata::read_node_populations(kBmtk / "V1_nodes.h5").at(0);
    EXPECT_EQ(ours.node_ids, theirs.node_ids);
    EXPECT_EQ(ours.node_type_ids, theirs.node_type_ids);
    EXPECT_EQ(ours.group_ids, theirs.group_ids);
    EXPECT_EQ(ours.group_indices, theirs.group_indices);
    const auto edges = sonata::read_edge_populations(dir_->path() / "LGN_V1_edges.h5").at(0);
    EXPECT_EQ(edges.name, "LGN_to_V1");
    EXPECT_EQ(edges.source_population, "LGN");
    EXPECT_EQ(edges.target_population, "V1");
}

// Rows by target then source; both indices list exactly each node's rows.
TEST_F(TutorialBuild, EdgeRowsAreSortedAndBothIndicesAreExact) {
    for (const char* name : {"V1_V1_edges.h5", "LGN_V1_edges.h5"}) {
        SCOPED_TRACE(name);
        const auto e = sonata::read_edge_populations(dir_->path() / name).at(0);
        for (std::size_t k = 1; k < e.size(); ++k)
            ASSERT_TRUE(e.target_ids[k - 1] < e.target_ids[k] ||
                        (e.target_ids[k - 1] == e.target_ids[k] && e.source_ids[k - 1] <= e.source_ids[k]));
        H5::H5File f((dir_->path() / name).string(), H5F_ACC_RDONLY);
        const std::string pop = "/edges/" + e.name + "/indices/";
        for (const char* dir : {"target_to_source", "source_to_target"}) {
            const bool by_target = std::string(dir) == "target_to_source";
            const auto& ids = by_target ? e.target_ids : e.source_ids;
            auto read2 = [&](const std::string& ds) {
                H5::DataSet d = f.openDataSet(pop + dir + "/" + ds);
                hsize_t dims[2];
                d.getSpace().getSimpleExtentDims(dims);
                std::vector<std::uint64_t> v(dims[0] * 2);
                if (!v.empty()) d.read(v.data(), H5::PredType::NATIVE_UINT64);
                return v;
            };
            const auto node_to_range = read2("node_id_to_range"), range_to_edge = read2("range_to_edge_id");
            std::vector<std::uint64_t> seen(e.size(), 0);
            for (std::size_t node = 0; node < node_to_range.size() / 2; ++node)
                for (auto r = node_to_range[2 * node]; r < node_to_range[2 * node + 1]; ++r)
                    for (auto row = range_to_edge[2 * r]; row < range_to_edge[2 * r + 1]; ++row) {
                        ASSERT_EQ(ids[row], node) << dir << " row " << row;
                        ++seen[row];
                    }
            for (std::size_t row = 0; row < e.size(); ++row) ASSERT_EQ(seen[row], 1u) << dir << " row " << row;
        }
    }
}

TEST(Determinism, SameBytesForAnyThreadCountAndFromRunToRun) {
    TempDir dir;
    build(kTutorialRecipe, dir.path() / "t1", 5, 1);
    build(kTutorialRecipe, dir.path() / "t2", 5, 2);
    build(kTutorialRecipe, dir.path() / "t3", 5, 3);
    build(kTutorialRecipe, dir.path() / "t1again", 5, 1);
    build(kTutorialRecipe, dir.path() / "seed6", 6, 1);
    for (const char* name : kFiles) {
        const std::string a = testing_files::read_text(dir.path() / "t1" / name);
        ASSERT_FALSE(a.empty()) << name;
        EXPECT_EQ(a, testing_files::read_text(dir.path() / "t2" / name)) << name;
        EXPECT_EQ(a, testing_files::read_text(dir.path() / "t3" / name)) << name;
        EXPECT_EQ(a, testing_files::read_text(dir.path() / "t1again" / name)) << name;
    }
    EXPECT_NE(testing_files::read_text(dir.path() / "t1" / "V1_V1_edges.h5"), testing_files::read_text(dir.path() / "seed6" / "V1_V1_edges.h5"));
    EXPECT_NE(testing_files::read_text(dir.path() / "t1" / "V1_nodes.h5"), testing_files::read_text(dir.path() / "seed6" / "V1_nodes.h5"));
}

TEST(Files, EdgeGroupsWithDifferentPerEdgeColumnsGetTheirOwnHdfGroups) {
    TempDir dir;
    std::ofstream(dir.path() / "r.json") << R"({"networks": {"A": {
        "nodes": [{"N": 20, "properties": {"ei": "e", "model_type": "virtual"}},
                  {"N": 10, "properties": {"ei": "i", "model_type": "virtual"}}],
        "edges": [
          {"source": {"ei": "e"}, "connection_rule": "fixed_indegree", "connection_params": {"indegree": 3},
           "properties": {"syn_weight": {"distribution": "uniform", "low": 1, "high": 2}, "delay": 1.5}},
          {"source": {"ei": "i"}, "connection_rule": "fixed_indegree", "connection_params": {"indegree": 2},
           "properties": {"syn_weight": -4.0, "delay": 1.0}}]}}})";
    const auto s = build(dir.path() / "r.json", dir.path() / "net", 1);
    ASSERT_EQ(s.edge_files.size(), 1u);
    EXPECT_EQ(s.edge_files[0].edges, 30u * 5u);
    const auto e = sonata::read_edge_populations(dir.path() / "net" / "A_A_edges.h5").at(0);
    ASSERT_EQ(e.groups.size(), 2u);
    EXPECT_TRUE(e.groups.at(0).attributes.count("syn_weight"));
    EXPECT_FALSE(e.groups.at(1).attributes.count("syn_weight"));
    EXPECT_EQ(e.groups.at(0).attributes.at("nsyns").size(), 90u);
    EXPECT_EQ(e.groups.at(1).attributes.at("nsyns").size(), 60u);
    for (std::size_t k = 0; k < e.size(); ++k) {
        ASSERT_EQ(e.group_ids[k], e.edge_type_ids[k] == 100 ? 0u : 1u);
        if (e.group_ids[k] == 0) {
            const double w = e.groups.at(0).attributes.at("syn_weight").numbers[e.group_indices[k]];
            ASSERT_GE(w, 1.0);
            ASSERT_LT(w, 2.0);
        }
    }
    const auto types = csv_rows(dir.path() / "net" / "A_A_edge_types.csv");
    ASSERT_EQ(types.size(), 2u);
    EXPECT_EQ(types[0].at("syn_weight"), "NULL") << "per-edge in h5, so missing in the CSV";
    EXPECT_EQ(types[1].at("syn_weight"), "-4.0");
    EXPECT_EQ(types[0].at("source_query"), "ei=='e'");
}

// Two edge groups listing the same per-edge properties in other orders share
// an HDF5 group: each value must land in its own column.
TEST(Files, PerEdgeColumnsAreMatchedByName) {
    TempDir dir;
    std::ofstream(dir.path() / "r.json") << R"({"networks": {"n": {
        "nodes": [{"N": 2, "properties": {"k": "s"}}, {"N": 1, "properties": {"k": "t"}}],
        "edges": [
          {"source": {"k": "s"}, "target": {"k": "t"}, "connection_rule": 1, "properties": {"a": {"formula": "1"}, "b": {"formula": "2"}}},
          {"source": {"k": "t"}, "target": {"k": "s"}, "connection_rule": 1, "properties": {"b": {"formula": "2"}, "a": {"formula": "1"}}}]}}})";
    build(dir.path() / "r.json", dir.path() / "net", 1);
    const auto e = sonata::read_edge_populations(dir.path() / "net" / "n_n_edges.h5").at(0);
    ASSERT_EQ(e.groups.size(), 1u);
    ASSERT_EQ(e.size(), 4u);
    for (std::size_t k = 0; k < e.size(); ++k) {
        EXPECT_EQ(e.groups.at(0).attributes.at("a").numbers[e.group_indices[k]], 1.0) << "row " << k;
        EXPECT_EQ(e.groups.at(0).attributes.at("b").numbers[e.group_indices[k]], 2.0) << "row " << k;
    }
}

TEST(Files, AFailedBuildLeavesTheFolderAsItWas) {
    TempDir dir;
    build(kTutorialRecipe, dir.path() / "net", 1);
    const std::string before = testing_files::read_text(dir.path() / "net" / "V1_V1_edges.h5");
    // The recipe parses, but the second edge file's rule fails while connecting.
    std::ifstream in(kTutorialRecipe);
    Json doc = Json::parse(in);
    doc["networks"]["LGN"]["edges"][3]["connection_params"] = {{"nsources_min", 600}, {"nsources_max", 700}};
    std::ofstream(dir.path() / "bad.json") << doc.dump();
    try {
        build(dir.path() / "bad.json", dir.path() / "net", 1);
        FAIL() << "600 sources out of 500 must fail";
    } catch (const Error& e) {
        EXPECT_EQ(e.kind(), ErrorKind::Config);
        EXPECT_NE(std::string(e.what()).find("networks.LGN.edges[3].connection_params.nsources_max"), std::string::npos) << e.what();
    }
    std::size_t n = 0;
    for (const auto& entry : fs::directory_iterator(dir.path() / "net")) {
        ++n;
        EXPECT_EQ(entry.path().filename().string().find(".pointsim-tmp"), std::string::npos) << entry.path();
    }
    EXPECT_EQ(n, 8u);
    EXPECT_EQ(testing_files::read_text(dir.path() / "net" / "V1_V1_edges.h5"), before);
}

}  // namespace
}  // namespace pointsim::builder::test
