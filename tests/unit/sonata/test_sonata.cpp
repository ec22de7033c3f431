// Tests for src/sonata: the real example circuits, then small HDF5/CSV
// fixtures written into a temporary directory (one defect per error test).
#include <algorithm>
#include <cmath>
#include <atomic>
#include <cstdint>
#include <filesystem>
#include <fstream>
#include <functional>
#include <limits>
#include <set>
#include <string>
#include <thread>
#include <cstring>
#include <vector>

#include <H5Cpp.h>
#include <gtest/gtest.h>
#include <unistd.h>

#include "common/error.hpp"
#include "nwb_files.hpp"
#include "sonata/h5_util.hpp"
#include "sonata/sonata.hpp"

namespace fs = std::filesystem;
using namespace pointsim::sonata;

namespace {

// ---------------------------------------------------------------- helpers

fs::path example(const std::string& rel) { return fs::path(POINTSIM_EXAMPLES_DIR) / rel; }

// The message of the Error(Input) that f throws; a test failure otherwise.
std::string input_error_of(const std::function<void()>& f) {
    try {
        f();
    } catch (const pointsim::Error& e) {
        EXPECT_EQ(e.kind(), pointsim::ErrorKind::Input) << e.what();
        return e.what();
    } catch (const std::exception& e) {
        ADD_FAILURE() << "unexpected exception type: " << e.what();
        return {};
    }
    ADD_FAILURE() << "no exception thrown";
    return {};
}

#define EXPECT_CONTAINS(haystack, needle) \
    EXPECT_NE(std::string(haystack).find(needle), std::string::npos) << "message: " << (haystack)

template <class T>
const H5::PredType& native();
template <> const H5::PredType& native<std::uint64_t>() { return H5::PredType::NATIVE_UINT64; }
template <> const H5::PredType& native<std::int64_t>() { return H5::PredType::NATIVE_INT64; }
template <> const H5::PredType& native<std::uint32_t>() { return H5::PredType::NATIVE_UINT32; }
template <> const H5::PredType& native<std::int32_t>() { return H5::PredType::NATIVE_INT32; }
template <> const H5::PredType& native<std::uint16_t>() { return H5::PredType::NATIVE_UINT16; }
template <> const H5::PredType& native<std::int16_t>() { return H5::PredType::NATIVE_INT16; }
template <> const H5::PredType& native<std::uint8_t>() { return H5::PredType::NATIVE_UINT8; }
template <> const H5::PredType& native<std::int8_t>() { return H5::PredType::NATIVE_INT8; }
template <> const H5::PredType& native<double>() { return H5::PredType::NATIVE_DOUBLE; }
template <> const H5::PredType& native<float>() { return H5::PredType::NATIVE_FLOAT; }

// Writes a 1-D dataset stored as `file_type`, converted from T by HDF5.
template <class T>
H5::DataSet write(const H5::Group& g, const std::string& name, const std::vector<T>& v,
                  const H5::DataType& file_type = native<T>()) {
    const hsize_t dims[1] = {v.size()};
    H5::DataSet ds = g.createDataSet(name, file_type, H5::DataSpace(1, dims));
    if (!v.empty()) ds.write(v.data(), native<T>());
    return ds;
}

void write_strings(const H5::Group& g, const std::string& name, const std::vector<std::string>& v, bool vlen) {
    const hsize_t dims[1] = {v.size()};
    if (vlen) {
        H5::StrType t(H5::PredType::C_S1, H5T_VARIABLE);
        std::vector<const char*> p;
        for (const auto& s : v) p.push_back(s.c_str());
        g.createDataSet(name, t, H5::DataSpace(1, dims)).write(p.data(), t);
    } else {
        std::size_t size = 1;
        for (const auto& s : v) size = std::max(size, s.size());
        H5::StrType t(H5::PredType::C_S1, size);
        t.setStrpad(H5T_STR_NULLPAD);
        std::vector<char> buf(v.size() * size, '\0');
        for (std::size_t i = 0; i < v.size(); ++i) std::copy(v[i].begin(), v[i].end(), buf.begin() + i * size);
        g.createDataSet(name, t, H5::DataSpace(1, dims)).write(buf.data(), t);
    }
}

enum class Str { vlen, fixed_nullterm, fixed_spacepad };

void string_attr(const H5::H5Object& obj, const std::string& name, const std::string& value, Str kind = Str::vlen,
                 H5T_cset_t cset = H5T_CSET_ASCII) {
    const H5::DataSpace scalar(H5S_SCALAR);
    if (kind == Str::vlen) {
        H5::StrType t(H5::PredType::C_S1, H5T_VARIABLE);
        t.setCset(cset);
        const char* p = value.c_str();
        obj.createAttribute(name, t, scalar).write(t, &p);
        return;
    }
    // Exactly as wide as the value (no terminating NUL), plus padding for SPACEPAD.
    std::string stored = kind == Str::fixed_spacepad ? value + "   " : value;
    H5::StrType t(H5::PredType::C_S1, stored.size());
    t.setCset(cset);
    t.setStrpad(kind == Str::fixed_spacepad ? H5T_STR_SPACEPAD : H5T_STR_NULLTERM);
    obj.createAttribute(name, t, scalar).write(t, stored.data());
}

// Opens or creates every group on `path`.
H5::Group mkgroup(const H5::H5File& f, const std::string& path) {
    std::string cur;
    std::size_t start = 1;
    H5::Group g = f.openGroup("/");
    while (start <= path.size()) {
        const std::size_t end = std::min(path.find('/', start), path.size());
        cur += "/" + path.substr(start, end - start);
        g = f.nameExists(cur) ? f.openGroup(cur) : f.createGroup(cur);
        start = end + 1;
    }
    return g;
}

class TempDir : public ::testing::Test {
protected:
    void SetUp() override {
        static std::atomic<int> counter{0};
        dir_ = fs::temp_directory_path() /
               ("pointsim_test_sonata_" + std::to_string(::getpid()) + "_" + std::to_string(counter++));
        fs::remove_all(dir_);
        fs::create_directories(dir_);
    }
    void TearDown() override { fs::remove_all(dir_); }
    fs::path path(const std::string& name) const { return dir_ / name; }
    fs::path text_file(const std::string& name, const std::string& content) const {
        std::ofstream(path(name), std::ios::binary) << content;
        return path(name);
    }
    fs::path dir_;
};

// A valid population /nodes/<pop> with n nodes in group 0 (attribute x = 10*i).
void simple_nodes(const H5::H5File& f, const std::string& pop, std::size_t n) {
    const H5::Group g = mkgroup(f, "/nodes/" + pop);
    std::vector<std::uint64_t> ids(n), zeros(n, 0);
    std::vector<double> x(n);
    for (std::size_t i = 0; i < n; ++i) {
        ids[i] = i;
        x[i] = 10.0 * static_cast<double>(i);
    }
    write(g, "node_id", ids);
    write(g, "node_type_id", std::vector<std::uint64_t>(n, 100));
    write(g, "node_group_id", std::vector<std::uint32_t>(n, 0));
    write(g, "node_group_index", ids);
    write(mkgroup(f, "/nodes/" + pop + "/0"), "x", x);
}

// A valid /edges/<pop> with the given rows, all in group 0 (syn_weight = 0.5*row).
void simple_edges(const H5::H5File& f, const std::string& pop, const std::vector<std::uint64_t>& src,
                  const std::vector<std::uint64_t>& tgt) {
    const H5::Group g = mkgroup(f, "/edges/" + pop);
    const std::size_t n = src.size();
    std::vector<std::uint64_t> rows(n);
    std::vector<double> w(n);
    for (std::size_t i = 0; i < n; ++i) {
        rows[i] = i;
        w[i] = 0.5 * static_cast<double>(i);
    }
    string_attr(write(g, "source_node_id", src), "node_population", "src");
    string_attr(write(g, "target_node_id", tgt), "node_population", "tgt");
    write(g, "edge_type_id", std::vector<std::uint32_t>(n, 100));
    write(g, "edge_group_id", std::vector<std::uint16_t>(n, 0));
    write(g, "edge_group_index", rows);
    write(mkgroup(f, "/edges/" + pop + "/0"), "syn_weight", w);
}

const NodePopulation& population(const std::vector<NodePopulation>& pops, const std::string& name) {
    for (const auto& p : pops)
        if (p.name == name) return p;
    throw std::runtime_error("no population " + name);
}

}  // namespace

// =================================================================== real example files

TEST(ExampleCircuits, Sonata300Nodes) {
    const auto internal = read_node_populations(example("sonata_300/network/internal_nodes.h5"));
    ASSERT_EQ(internal.size(), 1u);
    const NodePopulation& p = internal[0];
    EXPECT_EQ(p.name, "internal");
    EXPECT_EQ(p.size(), 300u);
    EXPECT_EQ(p.node_ids.size(), 300u);
    EXPECT_EQ(p.node_ids.front(), 0u);
    EXPECT_EQ(p.node_ids.back(), 299u);
    ASSERT_EQ(p.groups.size(), 1u);
    const Group& g0 = p.groups.at(0);
    for (const char* attr : {"x", "y", "z", "rotation_angle_yaxis"}) {
        ASSERT_TRUE(g0.attributes.count(attr)) << attr;
        EXPECT_FALSE(g0.attributes.at(attr).is_string);
        EXPECT_EQ(g0.attributes.at(attr).size(), 300u);
    }
    EXPECT_TRUE(g0.dynamics_params.empty());

    const auto external = read_node_populations(example("sonata_300/network/external_nodes.h5"));
    ASSERT_EQ(external.size(), 1u);
    EXPECT_EQ(external[0].name, "external");
    EXPECT_EQ(external[0].size(), 100u);
}

TEST(ExampleCircuits, Sonata300Edges) {
    const auto pops = read_edge_populations(example("sonata_300/network/internal_internal_edges.h5"));
    ASSERT_EQ(pops.size(), 1u);
    const EdgePopulation& e = pops[0];
    EXPECT_EQ(e.name, "internal_to_internal");
    EXPECT_EQ(e.source_population, "internal");
    EXPECT_EQ(e.target_population, "internal");
    EXPECT_EQ(e.size(), 27588u);
    EXPECT_EQ(e.target_ids.size(), 27588u);
    EXPECT_EQ(e.edge_type_ids.size(), 27588u);
    ASSERT_TRUE(e.groups.at(0).attributes.count("syn_weight"));
    const Column& w = e.groups.at(0).attributes.at("syn_weight");
    EXPECT_FALSE(w.is_string);
    EXPECT_EQ(w.size(), 27588u);
    EXPECT_TRUE(std::any_of(w.numbers.begin(), w.numbers.end(), [](double v) { return v != 0.0; }));
    EXPECT_LT(*std::max_element(e.source_ids.begin(), e.source_ids.end()), 300u);
    EXPECT_LT(*std::max_element(e.target_ids.begin(), e.target_ids.end()), 300u);

    const auto ext = read_edge_populations(example("sonata_300/network/external_internal_edges.h5"));
    ASSERT_EQ(ext.size(), 1u);
    EXPECT_EQ(ext[0].source_population, "external");
    EXPECT_EQ(ext[0].target_population, "internal");
    EXPECT_EQ(ext[0].size(), 20844u);
}

TEST(ExampleCircuits, Point120CellsEdgesHaveNsyns) {
    const auto cc = read_edge_populations(example("point_120cells/network/cortex_cortex_edges.h5"));
    ASSERT_EQ(cc.size(), 1u);
    EXPECT_EQ(cc[0].name, "cortex_to_cortex");
    EXPECT_EQ(cc[0].size(), 1469u);
    EXPECT_EQ(cc[0].source_population, "cortex");  // UTF-8 attribute in this file
    const Column& nsyns = cc[0].groups.at(0).attributes.at("nsyns");  // uint32 in the file
    ASSERT_EQ(nsyns.size(), 1469u);
    for (double v : nsyns.numbers) {
        EXPECT_GE(v, 1.0);
        EXPECT_EQ(v, static_cast<double>(static_cast<std::uint64_t>(v)));
    }

    const auto tc = read_edge_populations(example("point_120cells/network/thalamus_cortex_edges.h5"));
    ASSERT_EQ(tc.size(), 1u);
    EXPECT_EQ(tc[0].size(), 1192u);
    EXPECT_EQ(tc[0].source_population, "thalamus");
    EXPECT_EQ(tc[0].target_population, "cortex");

    // Group "0" of the thalamus exists but is empty.
    const auto th = read_node_populations(example("point_120cells/network/thalamus_nodes.h5"));
    ASSERT_EQ(th.size(), 1u);
    EXPECT_EQ(th[0].size(), 100u);
    EXPECT_TRUE(th[0].groups.at(0).attributes.empty());
}

TEST(ExampleCircuits, TutorialConvertedHasFourNodeGroups) {
    const auto pops = read_node_populations(example("tutorial_ch05_converted/network/V1_nodes.h5"));
    ASSERT_EQ(pops.size(), 1u);
    const NodePopulation& v1 = pops[0];
    EXPECT_EQ(v1.size(), 400u);
    ASSERT_EQ(v1.groups.size(), 4u);
    EXPECT_EQ(v1.groups.at(0).attributes.at("tuning_angle").size(), 80u);
    EXPECT_EQ(v1.groups.at(1).attributes.at("rotation_angle_yaxis").size(), 20u);
    EXPECT_EQ(v1.groups.at(2).attributes.at("tuning_angle").size(), 200u);
    EXPECT_TRUE(v1.groups.at(3).attributes.empty());  // only positions [100,3], which is skipped
    EXPECT_FALSE(v1.groups.at(0).attributes.count("positions"));
    EXPECT_EQ(v1.group_ids[0], 0u);
    EXPECT_EQ(v1.group_ids[80], 1u);
    EXPECT_EQ(v1.group_indices[80], 0u);
    EXPECT_EQ(v1.group_ids[100], 2u);
}

// Every example network file reads, and every type id it uses is in its CSV.
TEST(ExampleCircuits, AllNetworksReadAndTypesResolve) {
    std::size_t node_files = 0, edge_files = 0;
    for (const auto& dir : fs::directory_iterator(POINTSIM_EXAMPLES_DIR)) {
        const fs::path net = dir.path() / "network";
        if (!fs::is_directory(net)) continue;
        for (const auto& entry : fs::directory_iterator(net)) {
            const std::string name = entry.path().filename().string();
            const auto ends_with = [&](const std::string& s) {
                return name.size() > s.size() && name.compare(name.size() - s.size(), s.size(), s) == 0;
            };
            SCOPED_TRACE(entry.path().string());
            if (ends_with("_nodes.h5")) {
                ++node_files;
                const auto types = TypeTable::read(
                    net / (name.substr(0, name.size() - 9) + "_node_types.csv"), "node_type_id");
                for (const auto& pop : read_node_populations(entry.path())) {
                    EXPECT_GT(pop.size(), 0u);
                    for (std::int64_t t : std::set<std::int64_t>(pop.node_type_ids.begin(), pop.node_type_ids.end()))
                        EXPECT_TRUE(types.has_type(t)) << t;
                    for (std::size_t r = 0; r < pop.size(); ++r)
                        for (const auto& [attr, col] : pop.groups.at(pop.group_ids[r]).attributes)
                            ASSERT_LT(pop.group_indices[r], col.size()) << attr;
                }
            } else if (ends_with("_edges.h5")) {
                ++edge_files;
                const auto types = TypeTable::read(
                    net / (name.substr(0, name.size() - 9) + "_edge_types.csv"), "edge_type_id");
                for (const auto& pop : read_edge_populations(entry.path())) {
                    EXPECT_GT(pop.size(), 0u);
                    EXPECT_FALSE(pop.source_population.empty());
                    for (std::int64_t t : std::set<std::int64_t>(pop.edge_type_ids.begin(), pop.edge_type_ids.end()))
                        EXPECT_TRUE(types.has_type(t)) << t;
                }
            }
        }
    }
    EXPECT_GE(node_files, 15u);
    EXPECT_GE(edge_files, 12u);
}

TEST(ExampleCircuits, TypeTables) {
    // Written with \r\n line endings.
    const auto cortex = TypeTable::read(example("point_120cells/network/cortex_node_types.csv"), "node_type_id");
    EXPECT_EQ(cortex.type_ids(), (std::vector<std::int64_t>{100, 101}));
    EXPECT_EQ(cortex.get(100, "pop_name"), "LIF_exc");
    EXPECT_EQ(cortex.get(101, "model_template"), "nest:iaf_psc_delta");
    EXPECT_EQ(cortex.get(100, "no_such_column"), std::nullopt);
    EXPECT_EQ(cortex.id_column(), "node_type_id");

    const auto conv = TypeTable::read(example("tutorial_ch05_converted/network/V1_node_types.csv"), "node_type_id");
    EXPECT_TRUE(conv.has_column("model_processing"));
    EXPECT_EQ(conv.get(100, "model_processing"), std::nullopt);  // NULL
    const auto vv = TypeTable::read(example("tutorial_ch05_converted/network/V1_V1_edge_types.csv"), "edge_type_id");
    EXPECT_EQ(vv.get_number(100, "weight_sigma"), 50.0);
    EXPECT_EQ(vv.get_number(102, "weight_sigma"), std::nullopt);  // NULL
    EXPECT_EQ(vv.get_number(100, "syn_weight"), 2.0);

    const auto ii = TypeTable::read(example("sonata_300/network/internal_node_types.csv"), "node_type_id");
    EXPECT_TRUE(ii.has_type(104));
    EXPECT_EQ(ii.get(104, "model_name"), "PV2");
}

TEST(ExampleSpikes, CurrentAndLegacyH5AndCsv) {
    const auto th = read_spikes_h5(example("point_120cells/inputs/thalamus_spikes.h5"));  // uint32 node ids
    ASSERT_EQ(th.size(), 1u);
    ASSERT_TRUE(th.count("thalamus"));
    EXPECT_EQ(th.at("thalamus").node_ids.size(), 3024u);
    EXPECT_EQ(th.at("thalamus").timestamps.size(), 3024u);

    const auto legacy = read_spikes_h5(example("sonata_300/inputs/external_spike_trains.h5"));
    ASSERT_EQ(legacy.size(), 1u);
    ASSERT_TRUE(legacy.count(""));
    EXPECT_EQ(legacy.at("").node_ids.size(), 4334u);
    EXPECT_NEAR(legacy.at("").timestamps[1], 40.4637, 1e-4);

    const auto csv = read_spikes_csv(example("point_120cells/thalamus_spikes.csv"), "unused");
    ASSERT_EQ(csv.size(), 1u);
    const SpikeList& s = csv.at("thalamus");
    EXPECT_EQ(s.node_ids.size(), 3024u);
    EXPECT_DOUBLE_EQ(s.timestamps[0], 215.158052061581);
    EXPECT_EQ(s.node_ids[0], 0u);
}

// =================================================================== h5 fixtures: nodes and edges

using Fixture = TempDir;

TEST_F(Fixture, IntegerWidthsAreConverted) {
    const fs::path file = path("widths.h5");
    {
        H5::H5File f(file.string(), H5F_ACC_TRUNC);
        const H5::Group a = mkgroup(f, "/nodes/a");
        write(a, "node_id", std::vector<std::int64_t>{5, 7, 9}, H5::PredType::STD_I64BE);  // big-endian too
        write(a, "node_type_id", std::vector<std::uint16_t>{1, 2, 3}, H5::PredType::STD_U16LE);
        write(a, "node_group_id", std::vector<std::uint16_t>{0, 0, 0}, H5::PredType::STD_U8LE);
        write(a, "node_group_index", std::vector<std::uint32_t>{2, 1, 0}, H5::PredType::STD_U32LE);
        const H5::Group g0 = mkgroup(f, "/nodes/a/0");
        write(g0, "count", std::vector<std::int32_t>{-1, 0, 1}, H5::PredType::STD_I16LE);
        write(g0, "tau", std::vector<float>{1.5f, 2.5f, 3.5f}, H5::PredType::IEEE_F32LE);

        const H5::Group e = mkgroup(f, "/edges/e");
        string_attr(write(e, "source_node_id", std::vector<std::uint32_t>{5, 7}, H5::PredType::STD_U32LE),
                    "node_population", "a");
        string_attr(write(e, "target_node_id", std::vector<std::int64_t>{9, 5}, H5::PredType::STD_I64LE),
                    "node_population", "a");
        write(e, "edge_type_id", std::vector<std::int64_t>{-3, 4000000000}, H5::PredType::STD_I64LE);
        write(e, "edge_group_id", std::vector<std::uint16_t>{0, 0}, H5::PredType::STD_U16LE);
        write(e, "edge_group_index", std::vector<std::uint16_t>{0, 1}, H5::PredType::STD_U16LE);
        write(mkgroup(f, "/edges/e/0"), "nsyns", std::vector<std::uint32_t>{3, 4}, H5::PredType::STD_U32LE);
    }
    const auto nodes = read_node_populations(file);
    ASSERT_EQ(nodes.size(), 1u);
    EXPECT_EQ(nodes[0].node_ids, (std::vector<std::uint64_t>{5, 7, 9}));
    EXPECT_EQ(nodes[0].node_type_ids, (std::vector<std::int64_t>{1, 2, 3}));
    EXPECT_EQ(nodes[0].group_indices, (std::vector<std::uint64_t>{2, 1, 0}));
    EXPECT_EQ(nodes[0].groups.at(0).attributes.at("count").numbers, (std::vector<double>{-1, 0, 1}));
    EXPECT_EQ(nodes[0].groups.at(0).attributes.at("tau").numbers, (std::vector<double>{1.5, 2.5, 3.5}));

    const auto edges = read_edge_populations(file);
    ASSERT_EQ(edges.size(), 1u);
    EXPECT_EQ(edges[0].source_ids, (std::vector<std::uint64_t>{5, 7}));
    EXPECT_EQ(edges[0].target_ids, (std::vector<std::uint64_t>{9, 5}));
    EXPECT_EQ(edges[0].edge_type_ids, (std::vector<std::int64_t>{-3, 4000000000}));
    EXPECT_EQ(edges[0].groups.at(0).attributes.at("nsyns").numbers, (std::vector<double>{3, 4}));
}

// Datasets of 1, 2 or 4 bytes (and float32) in the machine's byte order are
// read as stored and widened by pointsim; others are converted by HDF5. Both
// give the same values, at the ends of each type's range, for a range that
// starts inside the dataset.
TEST_F(Fixture, NarrowTypesAreWidenedExactly) {
    const fs::path file = path("narrow.h5");
    const std::vector<std::int64_t> i8{7, -128, 127, -1, 0};
    const std::vector<std::int64_t> u8{7, 0, 255, 1, 128};
    const std::vector<std::int64_t> i16{7, -32768, 32767, -1, 0};
    const std::vector<std::int64_t> u16{7, 0, 65535, 1, 32768};
    const std::vector<std::int64_t> i32{7, -2147483648LL, 2147483647LL, -1, 0};
    const std::vector<std::int64_t> u32{7, 0, 4294967295LL, 1, 2147483648LL};
    const std::vector<float> f32{7.0f, -1.5f, 3.4028235e38f, 1e-45f, 0.1f};
    auto as = [](const std::vector<std::int64_t>& v, auto zero) {
        return std::vector<decltype(zero)>(v.begin(), v.end());
    };
    {
        H5::H5File f(file.string(), H5F_ACC_TRUNC);
        const H5::Group g = mkgroup(f, "/d");
        for (const char* order : {"le", "be"}) {
            const bool le = std::string(order) == "le";
            const std::string o = std::string("_") + order;
            write(g, "i8" + o, as(i8, std::int8_t{}), le ? H5::PredType::STD_I8LE : H5::PredType::STD_I8BE);
            write(g, "u8" + o, as(u8, std::uint8_t{}), le ? H5::PredType::STD_U8LE : H5::PredType::STD_U8BE);
            write(g, "i16" + o, as(i16, std::int16_t{}), le ? H5::PredType::STD_I16LE : H5::PredType::STD_I16BE);
            write(g, "u16" + o, as(u16, std::uint16_t{}), le ? H5::PredType::STD_U16LE : H5::PredType::STD_U16BE);
            write(g, "i32" + o, as(i32, std::int32_t{}), le ? H5::PredType::STD_I32LE : H5::PredType::STD_I32BE);
            write(g, "u32" + o, as(u32, std::uint32_t{}), le ? H5::PredType::STD_U32LE : H5::PredType::STD_U32BE);
            write(g, "f32" + o, f32, le ? H5::PredType::IEEE_F32LE : H5::PredType::IEEE_F32BE);
        }
    }
    const auto root = h5::open_file(file);
    const auto g = root.group("d");
    ASSERT_TRUE(g);
    const std::pair<const char*, const std::vector<std::int64_t>*> integers[] = {
        {"i8", &i8}, {"u8", &u8}, {"i16", &i16}, {"u16", &u16}, {"i32", &i32}, {"u32", &u32}};
    for (const char* order : {"_le", "_be"}) {
        for (const auto& [name, values] : integers) {
            SCOPED_TRACE(std::string(name) + order);
            const auto ds = g->require_dataset(std::string(name) + order);
            std::vector<std::int64_t> i64(9, 99);  // a reused buffer: longer than the read, not zero
            ds.read_int64(1, 4, i64);
            EXPECT_EQ(i64, std::vector<std::int64_t>(values->begin() + 1, values->end()));
            std::vector<double> d;
            ds.read_double(1, 4, d);
            EXPECT_EQ(d, std::vector<double>(values->begin() + 1, values->end()));
            EXPECT_EQ(ds.read_int64(), *values);
            const bool has_negative = std::any_of(values->begin(), values->end(), [](std::int64_t v) { return v < 0; });
            if (has_negative) {
                const std::string msg = input_error_of([&] { ds.read_uint64(); });
                EXPECT_CONTAINS(msg, "row 1: negative value " + std::to_string((*values)[1]));
            } else {
                std::vector<std::uint64_t> u(2, 99);
                ds.read_uint64(2, 3, u);
                EXPECT_EQ(u, std::vector<std::uint64_t>(values->begin() + 2, values->end()));
            }
        }
        SCOPED_TRACE(std::string("f32") + order);
        std::vector<double> d;
        g->require_dataset(std::string("f32") + order).read_double(1, 4, d);
        EXPECT_EQ(d, std::vector<double>(f32.begin() + 1, f32.end()));
    }
}

TEST_F(Fixture, NoNodeIdDatasetUsesRowIndex) {
    const fs::path file = path("noid.h5");
    {
        H5::H5File f(file.string(), H5F_ACC_TRUNC);
        write(mkgroup(f, "/nodes/a"), "node_type_id", std::vector<std::uint64_t>{100, 100, 101, 101});
        // Population b: no node_id, no group id/index and no group at all.
        write(mkgroup(f, "/nodes/b"), "node_type_id", std::vector<std::uint64_t>{7, 8});
        write(mkgroup(f, "/nodes/a/0"), "x", std::vector<double>{1, 2, 3, 4});
    }
    const auto pops = read_node_populations(file);
    ASSERT_EQ(pops.size(), 2u);
    const NodePopulation& a = population(pops, "a");
    EXPECT_EQ(a.node_ids, (std::vector<std::uint64_t>{0, 1, 2, 3}));
    EXPECT_EQ(a.group_ids, (std::vector<std::uint32_t>{0, 0, 0, 0}));
    EXPECT_EQ(a.group_indices, (std::vector<std::uint64_t>{0, 1, 2, 3}));
    EXPECT_EQ(a.groups.at(0).attributes.at("x").numbers[3], 4.0);
    const NodePopulation& b = population(pops, "b");
    EXPECT_EQ(b.node_ids, (std::vector<std::uint64_t>{0, 1}));
    ASSERT_EQ(b.groups.size(), 1u);  // an empty group 0 stands in for the missing one
    EXPECT_TRUE(b.groups.at(0).attributes.empty());
}

TEST_F(Fixture, TwoPopulationsInOneFile) {
    const fs::path file = path("two.h5");
    {
        H5::H5File f(file.string(), H5F_ACC_TRUNC);
        simple_nodes(f, "lgn", 3);
        simple_nodes(f, "v1", 5);
        write(mkgroup(f, "/nodes"), "not_a_population", std::vector<double>{1.0});  // ignored
        simple_edges(f, "lgn_to_v1", {0, 1, 2}, {4, 4, 3});
        simple_edges(f, "v1_to_v1", {0}, {1});
    }
    const auto nodes = read_node_populations(file);
    ASSERT_EQ(nodes.size(), 2u);
    EXPECT_EQ(nodes[0].name, "lgn");  // name order
    EXPECT_EQ(nodes[0].size(), 3u);
    EXPECT_EQ(nodes[1].name, "v1");
    EXPECT_EQ(nodes[1].size(), 5u);
    EXPECT_EQ(nodes[1].file, file);
    const auto edges = read_edge_populations(file);
    ASSERT_EQ(edges.size(), 2u);
    EXPECT_EQ(edges[0].name, "lgn_to_v1");
    EXPECT_EQ(edges[0].target_ids, (std::vector<std::uint64_t>{4, 4, 3}));
    EXPECT_EQ(edges[1].name, "v1_to_v1");
    EXPECT_EQ(edges[1].size(), 1u);
}

TEST_F(Fixture, TwoNodeGroupsWithStringsDynamicsParamsAndSkippedData) {
    const fs::path file = path("groups.h5");
    {
        H5::H5File f(file.string(), H5F_ACC_TRUNC);
        const H5::Group a = mkgroup(f, "/nodes/a");
        write(a, "node_id", std::vector<std::uint64_t>{0, 1, 2, 3, 4});
        write(a, "node_type_id", std::vector<std::uint64_t>{1, 2, 1, 2, 1});
        write(a, "node_group_id", std::vector<std::uint32_t>{0, 1, 0, 1, 0});
        write(a, "node_group_index", std::vector<std::uint64_t>{0, 0, 1, 1, 2});
        const H5::Group g0 = mkgroup(f, "/nodes/a/0");
        write(g0, "tau_m", std::vector<double>{10, 11, 12});
        write_strings(g0, "label", {"alpha", "beta gamma", "δ"}, true);
        const hsize_t dims[2] = {3, 3};
        g0.createDataSet("positions", H5::PredType::NATIVE_DOUBLE, H5::DataSpace(2, dims));
        write(mkgroup(f, "/nodes/a/0/dynamics_params"), "V_th", std::vector<double>{-50, -51, -52});
        const H5::Group g1 = mkgroup(f, "/nodes/a/1");
        write_strings(g1, "label", {"fixed", "width12345"}, false);
        write(mkgroup(f, "/nodes/a/1/dynamics_params"), "C_m", std::vector<double>{250, 260});
        mkgroup(f, "/nodes/a/extra");  // non-numbered group: ignored
    }
    const auto pops = read_node_populations(file);
    ASSERT_EQ(pops.size(), 1u);
    const NodePopulation& a = pops[0];
    ASSERT_EQ(a.groups.size(), 2u);
    const Group& g0 = a.groups.at(0);
    EXPECT_EQ(g0.attributes.at("tau_m").numbers, (std::vector<double>{10, 11, 12}));
    ASSERT_TRUE(g0.attributes.at("label").is_string);
    EXPECT_EQ(g0.attributes.at("label").strings, (std::vector<std::string>{"alpha", "beta gamma", "δ"}));
    EXPECT_FALSE(g0.attributes.count("positions"));
    EXPECT_EQ(g0.dynamics_params.at("V_th").numbers, (std::vector<double>{-50, -51, -52}));
    const Group& g1 = a.groups.at(1);
    EXPECT_EQ(g1.attributes.at("label").strings, (std::vector<std::string>{"fixed", "width12345"}));
    EXPECT_EQ(g1.dynamics_params.at("C_m").numbers, (std::vector<double>{250, 260}));
    // Row 3 is the second row of group 1.
    EXPECT_EQ(g1.dynamics_params.at("C_m").numbers[a.group_indices[3]], 260.0);
}

TEST_F(Fixture, EdgeGroupIndexNotInRowOrder) {
    const fs::path file = path("order.h5");
    {
        H5::H5File f(file.string(), H5F_ACC_TRUNC);
        const H5::Group e = mkgroup(f, "/edges/e");
        string_attr(write(e, "source_node_id", std::vector<std::uint64_t>{0, 1, 2, 3}), "node_population", "n");
        string_attr(write(e, "target_node_id", std::vector<std::uint64_t>{4, 4, 4, 4}), "node_population", "n");
        write(e, "edge_type_id", std::vector<std::uint64_t>{1, 1, 2, 2});
        write(e, "edge_group_id", std::vector<std::uint16_t>{1, 0, 1, 0});
        write(e, "edge_group_index", std::vector<std::uint64_t>{1, 1, 0, 0});
        write(mkgroup(f, "/edges/e/0"), "syn_weight", std::vector<double>{30, 10});
        write(mkgroup(f, "/edges/e/1"), "syn_weight", std::vector<double>{20, 0});
        write(mkgroup(f, "/edges/e/indices/source_to_target"), "node_id_to_range", std::vector<std::uint64_t>{0});
    }
    const auto pops = read_edge_populations(file);
    ASSERT_EQ(pops.size(), 1u);
    const EdgePopulation& e = pops[0];
    EXPECT_EQ(e.groups.size(), 2u);
    std::vector<double> weight;
    for (std::size_t r = 0; r < e.size(); ++r)
        weight.push_back(e.groups.at(e.group_ids[r]).attributes.at("syn_weight").numbers[e.group_indices[r]]);
    EXPECT_EQ(weight, (std::vector<double>{0, 10, 20, 30}));
}

TEST_F(Fixture, NodePopulationAttributeVariants) {
    const fs::path file = path("attrs.h5");
    {
        H5::H5File f(file.string(), H5F_ACC_TRUNC);
        const H5::Group fixed = mkgroup(f, "/edges/fixed");
        string_attr(write(fixed, "source_node_id", std::vector<std::uint64_t>{0}), "node_population", "lgn",
                    Str::fixed_nullterm);
        string_attr(write(fixed, "target_node_id", std::vector<std::uint64_t>{0}), "node_population", "v1",
                    Str::fixed_spacepad, H5T_CSET_UTF8);
        write(fixed, "edge_type_id", std::vector<std::uint64_t>{1});
        const H5::Group utf = mkgroup(f, "/edges/utf8");
        string_attr(write(utf, "source_node_id", std::vector<std::uint64_t>{0}), "node_population", "lgn",
                    Str::vlen, H5T_CSET_UTF8);
        string_attr(write(utf, "target_node_id", std::vector<std::uint64_t>{0}), "node_population", "v1");
        write(utf, "edge_type_id", std::vector<std::uint64_t>{1});
    }
    const auto pops = read_edge_populations(file);
    ASSERT_EQ(pops.size(), 2u);
    for (const auto& p : pops) {
        EXPECT_EQ(p.source_population, "lgn") << p.name;
        EXPECT_EQ(p.target_population, "v1") << p.name;
        EXPECT_EQ(p.group_ids, (std::vector<std::uint32_t>{0}));
    }
}

TEST_F(Fixture, LibraryAndEnumBoolColumns) {
    const fs::path file = path("lib.h5");
    {
        H5::H5File f(file.string(), H5F_ACC_TRUNC);
        const H5::Group a = mkgroup(f, "/nodes/a");
        write(a, "node_type_id", std::vector<std::uint64_t>{1, 1, 1});
        const H5::Group g0 = mkgroup(f, "/nodes/a/0");
        write(g0, "model", std::vector<std::uint32_t>{1, 0, 1});
        write_strings(mkgroup(f, "/nodes/a/0/@library"), "model", {"exc", "inh"}, true);
        // h5py's bool: an int8 enum {FALSE = 0, TRUE = 1}.
        H5::EnumType boolean(H5::PredType::NATIVE_INT8);
        std::int8_t v = 0;
        boolean.insert("FALSE", &v);
        v = 1;
        boolean.insert("TRUE", &v);
        const std::vector<std::int8_t> flags{1, 0, 1};
        const hsize_t dims[1] = {3};
        g0.createDataSet("flag", boolean, H5::DataSpace(1, dims)).write(flags.data(), boolean);
    }
    const auto pops = read_node_populations(file);
    const Group& g0 = pops.at(0).groups.at(0);
    EXPECT_EQ(g0.attributes.at("model").strings, (std::vector<std::string>{"inh", "exc", "inh"}));
    EXPECT_EQ(g0.attributes.at("flag").numbers, (std::vector<double>{1, 0, 1}));
}

// =================================================================== h5 fixtures: errors

TEST_F(Fixture, MissingFileAndNotHdf5) {
    const fs::path missing = path("nope.h5");
    std::string msg = input_error_of([&] { read_node_populations(missing); });
    EXPECT_CONTAINS(msg, missing.string());
    EXPECT_CONTAINS(msg, "not found");
    EXPECT_CONTAINS(input_error_of([&] { read_edge_populations(missing); }), "nope.h5");
    EXPECT_CONTAINS(input_error_of([&] { read_spikes_h5(missing); }), "nope.h5");

    const fs::path text = text_file("text.h5", "not hdf5\n");
    msg = input_error_of([&] { read_node_populations(text); });
    EXPECT_CONTAINS(msg, "text.h5");
    EXPECT_CONTAINS(msg, "cannot open");
}

TEST_F(Fixture, MissingNodesGroupOrTypeId) {
    const fs::path file = path("bad.h5");
    {
        H5::H5File f(file.string(), H5F_ACC_TRUNC);
        write(mkgroup(f, "/nodes/a"), "node_id", std::vector<std::uint64_t>{0, 1});
    }
    const std::string msg = input_error_of([&] { read_node_populations(file); });
    EXPECT_CONTAINS(msg, "bad.h5");
    EXPECT_CONTAINS(msg, "/nodes/a/node_type_id");
    EXPECT_CONTAINS(msg, "missing");
    EXPECT_CONTAINS(input_error_of([&] { read_edge_populations(file); }), "/edges");
}

TEST_F(Fixture, MissingEdgeDatasets) {
    for (const std::string missing : {"source_node_id", "target_node_id", "edge_type_id"}) {
        const fs::path file = path("e_" + missing + ".h5");
        {
            H5::H5File f(file.string(), H5F_ACC_TRUNC);
            const H5::Group e = mkgroup(f, "/edges/e");
            for (const std::string ds : {"source_node_id", "target_node_id", "edge_type_id"})
                if (ds != missing) string_attr(write(e, ds, std::vector<std::uint64_t>{0}), "node_population", "n");
        }
        const std::string msg = input_error_of([&] { read_edge_populations(file); });
        EXPECT_CONTAINS(msg, file.string());
        EXPECT_CONTAINS(msg, "/edges/e/" + missing);
    }
}

TEST_F(Fixture, MismatchedLengths) {
    const fs::path nodes = path("len_nodes.h5");
    {
        H5::H5File f(nodes.string(), H5F_ACC_TRUNC);
        simple_nodes(f, "a", 3);
        f.unlink("/nodes/a/node_group_index");
        write(f.openGroup("/nodes/a"), "node_group_index", std::vector<std::uint64_t>{0, 1});
    }
    std::string msg = input_error_of([&] { read_node_populations(nodes); });
    EXPECT_CONTAINS(msg, "/nodes/a/node_group_index");
    EXPECT_CONTAINS(msg, "2 rows");
    EXPECT_CONTAINS(msg, "/nodes/a/node_type_id has 3");

    const fs::path edges = path("len_edges.h5");
    {
        H5::H5File f(edges.string(), H5F_ACC_TRUNC);
        simple_edges(f, "e", {0, 1, 2}, {0, 1, 2});
        f.unlink("/edges/e/target_node_id");
        string_attr(write(f.openGroup("/edges/e"), "target_node_id", std::vector<std::uint64_t>{0, 1, 2, 3}),
                    "node_population", "n");
    }
    msg = input_error_of([&] { read_edge_populations(edges); });
    EXPECT_CONTAINS(msg, "/edges/e/target_node_id");
    EXPECT_CONTAINS(msg, "4 rows");

    // Datasets of one group must agree too.
    const fs::path group = path("len_group.h5");
    {
        H5::H5File f(group.string(), H5F_ACC_TRUNC);
        simple_nodes(f, "a", 3);
        write(f.openGroup("/nodes/a/0"), "y", std::vector<double>{1, 2});
    }
    msg = input_error_of([&] { read_node_populations(group); });
    EXPECT_CONTAINS(msg, "/nodes/a/0/");
    EXPECT_CONTAINS(msg, "rows");
}

TEST_F(Fixture, GroupReferencesOutOfRange) {
    const fs::path index = path("index.h5");
    {
        H5::H5File f(index.string(), H5F_ACC_TRUNC);
        simple_nodes(f, "a", 3);
        f.unlink("/nodes/a/node_group_index");
        write(f.openGroup("/nodes/a"), "node_group_index", std::vector<std::uint64_t>{0, 1, 3});
    }
    std::string msg = input_error_of([&] { read_node_populations(index); });
    EXPECT_CONTAINS(msg, "index.h5: /nodes/a/node_group_index: row 2: index 3");
    EXPECT_CONTAINS(msg, "/nodes/a/0 with 3 rows");

    const fs::path gid = path("gid.h5");
    {
        H5::H5File f(gid.string(), H5F_ACC_TRUNC);
        simple_edges(f, "e", {0, 1}, {1, 0});
        f.unlink("/edges/e/edge_group_id");
        write(f.openGroup("/edges/e"), "edge_group_id", std::vector<std::uint16_t>{0, 2});
    }
    msg = input_error_of([&] { read_edge_populations(gid); });
    EXPECT_CONTAINS(msg, "/edges/e/edge_group_id: row 1: group 2 does not exist");

    // No group-index dataset: the row index is used and checked.
    const fs::path rowidx = path("rowidx.h5");
    {
        H5::H5File f(rowidx.string(), H5F_ACC_TRUNC);
        const H5::Group a = mkgroup(f, "/nodes/a");
        write(a, "node_type_id", std::vector<std::uint64_t>{1, 1, 1});
        write(mkgroup(f, "/nodes/a/0"), "x", std::vector<double>{1, 2});
    }
    msg = input_error_of([&] { read_node_populations(rowidx); });
    EXPECT_CONTAINS(msg, "node_group_index (absent");
    EXPECT_CONTAINS(msg, "row 2");
}

TEST_F(Fixture, MissingNodePopulationAttribute) {
    const fs::path file = path("noattr.h5");
    {
        H5::H5File f(file.string(), H5F_ACC_TRUNC);
        const H5::Group e = mkgroup(f, "/edges/e");
        string_attr(write(e, "source_node_id", std::vector<std::uint64_t>{0}), "node_population", "n");
        write(e, "target_node_id", std::vector<std::uint64_t>{0});
        write(e, "edge_type_id", std::vector<std::uint64_t>{0});
    }
    const std::string msg = input_error_of([&] { read_edge_populations(file); });
    EXPECT_CONTAINS(msg, "noattr.h5: /edges/e/target_node_id");
    EXPECT_CONTAINS(msg, "node_population");
}

TEST_F(Fixture, BadIdValues) {
    const fs::path dup = path("dup.h5");
    {
        H5::H5File f(dup.string(), H5F_ACC_TRUNC);
        const H5::Group a = mkgroup(f, "/nodes/a");
        write(a, "node_id", std::vector<std::uint64_t>{4, 9, 4});
        write(a, "node_type_id", std::vector<std::uint64_t>{1, 1, 1});
    }
    std::string msg = input_error_of([&] { read_node_populations(dup); });
    EXPECT_CONTAINS(msg, "/nodes/a/node_id: row 2: node id 4 already used in row 0");

    const fs::path neg = path("neg.h5");
    {
        H5::H5File f(neg.string(), H5F_ACC_TRUNC);
        const H5::Group a = mkgroup(f, "/nodes/a");
        write(a, "node_id", std::vector<std::int64_t>{0, -1});
        write(a, "node_type_id", std::vector<std::uint64_t>{1, 1});
    }
    msg = input_error_of([&] { read_node_populations(neg); });
    EXPECT_CONTAINS(msg, "/nodes/a/node_id: row 1: negative value -1");

    const fs::path flt = path("float.h5");
    {
        H5::H5File f(flt.string(), H5F_ACC_TRUNC);
        write(mkgroup(f, "/nodes/a"), "node_type_id", std::vector<double>{1.0});
    }
    msg = input_error_of([&] { read_node_populations(flt); });
    EXPECT_CONTAINS(msg, "/nodes/a/node_type_id: expected an integer dataset, found float");
}

// =================================================================== type CSV

TEST_F(Fixture, CsvWhitespaceQuotesAndMissing) {
    const fs::path file = text_file("types.csv",
                                    "\n"
                                    "node_type_id   model_type\tdynamics_params  pop_name  note  \r\n"
                                    "100 point_neuron   \"exc params.json\"  \"say \"\"hi\"\"\"  NONE\r\n"
                                    "   \n"
                                    "101\tvirtual NaN \"\" NA  \n"
                                    "-2 x null \"quoted NULL\" nan\n"
                                    "7 \"\" N/A n/a <NA>");
    const auto t = TypeTable::read(file, "node_type_id");
    EXPECT_EQ(t.columns(), (std::vector<std::string>{"node_type_id", "model_type", "dynamics_params", "pop_name",
                                                     "note"}));
    EXPECT_EQ(t.type_ids(), (std::vector<std::int64_t>{-2, 7, 100, 101}));
    EXPECT_EQ(t.get(100, "model_type"), "point_neuron");
    EXPECT_EQ(t.get(100, "dynamics_params"), "exc params.json");
    EXPECT_EQ(t.get(100, "pop_name"), "say \"hi\"");
    EXPECT_EQ(t.get(100, "note"), std::nullopt);
    EXPECT_EQ(t.get(101, "model_type"), "virtual");
    EXPECT_EQ(t.get(101, "dynamics_params"), std::nullopt);
    EXPECT_EQ(t.get(101, "pop_name"), std::nullopt);  // "" is missing, as in pandas
    EXPECT_EQ(t.get(-2, "pop_name"), "quoted NULL");
    EXPECT_EQ(t.get(-2, "note"), std::nullopt);
    for (const char* c : {"model_type", "dynamics_params", "pop_name", "note"})
        EXPECT_EQ(t.get(7, c), std::nullopt) << c;
    EXPECT_EQ(t.get_number(7, "note"), std::nullopt);
    EXPECT_FALSE(t.has_type(8));
    EXPECT_TRUE(t.has_column("note"));
}

TEST_F(Fixture, CsvNumbers) {
    const fs::path file = text_file("edges.csv", "edge_type_id syn_weight delay nsyns name\n"
                                                 "1 -1.5 2 +3 abc\n"
                                                 "2 1e-3 NONE 4.0 x\n");
    const auto t = TypeTable::read(file, "edge_type_id");
    EXPECT_EQ(t.get_number(1, "syn_weight"), -1.5);
    EXPECT_EQ(t.get_number(1, "nsyns"), 3.0);
    EXPECT_EQ(t.get_number(2, "syn_weight"), 1e-3);
    EXPECT_EQ(t.get_number(2, "delay"), std::nullopt);
    EXPECT_EQ(t.get_number(2, "absent_column"), std::nullopt);
    std::string msg = input_error_of([&] { t.get_number(1, "name"); });
    EXPECT_CONTAINS(msg, "edges.csv: edge_type_id 1, column name: 'abc' is not a number");
    msg = input_error_of([&] { t.get(3, "name"); });
    EXPECT_CONTAINS(msg, "edges.csv: edge_type_id 3 not found");
}

TEST_F(Fixture, CsvErrors) {
    std::string msg = input_error_of([&] { TypeTable::read(path("absent.csv"), "node_type_id"); });
    EXPECT_CONTAINS(msg, "absent.csv");
    EXPECT_CONTAINS(msg, "not found");

    const auto error_for = [&](const std::string& content) {
        const fs::path f = text_file("bad.csv", content);
        return input_error_of([&] { TypeTable::read(f, "node_type_id"); });
    };
    msg = error_for("node_type_id a b\n1 x y\n\n2 x\n");
    EXPECT_CONTAINS(msg, "bad.csv: line 4: 2 fields, but the header has 3 columns");
    msg = error_for("node_type_id a\n1 x\n2 y\n1 z\n");
    EXPECT_CONTAINS(msg, "bad.csv: line 4: node_type_id 1 already defined on line 2");
    msg = error_for("edge_type_id a\n1 x\n");
    EXPECT_CONTAINS(msg, "bad.csv: line 1: the header has no 'node_type_id' column");
    msg = error_for("node_type_id a\n1.5 x\n");
    EXPECT_CONTAINS(msg, "bad.csv: line 2: node_type_id '1.5' is not an integer");
    msg = error_for("node_type_id a\nNONE x\n");
    EXPECT_CONTAINS(msg, "line 2: node_type_id 'NONE' is not an integer");
    msg = error_for("node_type_id a\n1 \"open\n");
    EXPECT_CONTAINS(msg, "line 2: unterminated double quote");
    msg = error_for("node_type_id a a\n");
    EXPECT_CONTAINS(msg, "line 1: column 'a' appears twice");
    msg = error_for("\n  \n");
    EXPECT_CONTAINS(msg, "bad.csv: empty file");
}

// =================================================================== spike files

TEST_F(Fixture, SpikesH5Layouts) {
    const fs::path current = path("current.h5");
    {
        H5::H5File f(current.string(), H5F_ACC_TRUNC);
        const H5::Group a = mkgroup(f, "/spikes/a");
        write(a, "node_ids", std::vector<std::int64_t>{3, 1});
        write(a, "timestamps", std::vector<float>{1.5f, 0.25f}, H5::PredType::IEEE_F32LE);
        const H5::Group b = mkgroup(f, "/spikes/b");
        write(b, "node_ids", std::vector<std::uint16_t>{}, H5::PredType::STD_U16LE);
        write(b, "timestamps", std::vector<double>{});
    }
    auto s = read_spikes_h5(current);
    ASSERT_EQ(s.size(), 2u);
    EXPECT_EQ(s.at("a").node_ids, (std::vector<std::uint64_t>{3, 1}));
    EXPECT_EQ(s.at("a").timestamps, (std::vector<double>{1.5, 0.25}));
    EXPECT_TRUE(s.at("b").node_ids.empty());

    const fs::path legacy = path("legacy.h5");
    {
        H5::H5File f(legacy.string(), H5F_ACC_TRUNC);
        const H5::Group g = mkgroup(f, "/spikes");
        write(g, "node_ids", std::vector<std::uint32_t>{7});
        write(g, "timestamps", std::vector<double>{2.0});
    }
    s = read_spikes_h5(legacy);
    ASSERT_EQ(s.size(), 1u);
    EXPECT_EQ(s.at("").node_ids, (std::vector<std::uint64_t>{7}));

    const fs::path empty = path("empty.h5");
    {
        H5::H5File f(empty.string(), H5F_ACC_TRUNC);
        mkgroup(f, "/spikes");
    }
    EXPECT_TRUE(read_spikes_h5(empty).empty());
}

TEST_F(Fixture, SpikesH5Errors) {
    const auto error_for = [&](const std::function<void(const H5::H5File&)>& build) {
        const fs::path file = path("bad_spikes.h5");
        {
            H5::H5File f(file.string(), H5F_ACC_TRUNC);
            build(f);
        }
        return input_error_of([&] { read_spikes_h5(file); });
    };
    std::string msg = error_for([](const H5::H5File& f) {
        write(mkgroup(f, "/spikes/pop"), "node_ids", std::vector<std::uint64_t>{1});
    });
    EXPECT_CONTAINS(msg, "bad_spikes.h5: /spikes/pop/timestamps: required dataset is missing");
    msg = error_for([](const H5::H5File& f) {
        write(mkgroup(f, "/spikes/pop"), "timestamps", std::vector<double>{1});
    });
    EXPECT_CONTAINS(msg, "/spikes/pop/node_ids: required dataset is missing");
    msg = error_for([](const H5::H5File& f) {
        const H5::Group g = mkgroup(f, "/spikes/pop");
        write(g, "timestamps", std::vector<double>{1, 2, 3});
        write(g, "node_ids", std::vector<std::uint64_t>{1, 2});
    });
    EXPECT_CONTAINS(msg, "/spikes/pop/node_ids: has 2 rows but /spikes/pop/timestamps has 3");
    msg = error_for([](const H5::H5File& f) { write(mkgroup(f, "/spikes"), "gids", std::vector<std::uint64_t>{1}); });
    EXPECT_CONTAINS(msg, "/spikes/timestamps");
    msg = error_for([](const H5::H5File& f) { mkgroup(f, "/other"); });
    EXPECT_CONTAINS(msg, "/spikes: required group is missing");
}

TEST_F(Fixture, SpikesCsv) {
    // Header in another order, an extra column, blank lines, runs of spaces, \r\n.
    auto s = read_spikes_csv(text_file("h.csv", "node_ids extra population timestamps\r\n"
                                                "3 x a 1.5\r\n"
                                                "\r\n"
                                                "4   y  b   2e1\n"
                                                "5 z a 0.125\n"),
                             "dflt");
    ASSERT_EQ(s.size(), 2u);
    EXPECT_EQ(s.at("a").node_ids, (std::vector<std::uint64_t>{3, 5}));
    EXPECT_EQ(s.at("a").timestamps, (std::vector<double>{1.5, 0.125}));
    EXPECT_EQ(s.at("b").timestamps, (std::vector<double>{20.0}));

    // Header without population: rows go to the default population.
    s = read_spikes_csv(text_file("np.csv", "timestamps node_ids\n0.5 2\n"), "dflt");
    EXPECT_EQ(s.at("dflt").node_ids, (std::vector<std::uint64_t>{2}));

    // No header: "timestamps node_ids".
    s = read_spikes_csv(text_file("nh.csv", "1.0 7\n\n2.0 8\n"), "v1");
    ASSERT_EQ(s.size(), 1u);
    EXPECT_EQ(s.at("v1").node_ids, (std::vector<std::uint64_t>{7, 8}));
    EXPECT_EQ(s.at("v1").timestamps, (std::vector<double>{1.0, 2.0}));

    // Another separator.
    s = read_spikes_csv(text_file("comma.csv", "timestamps,population,node_ids\n1.25, p ,9\n"), "", ',');
    EXPECT_EQ(s.at("p").node_ids, (std::vector<std::uint64_t>{9}));

    // Header only: no spikes.
    EXPECT_TRUE(read_spikes_csv(text_file("ho.csv", "timestamps population node_ids\n"), "x").empty());
}

TEST_F(Fixture, SpikesCsvErrors) {
    std::string msg = input_error_of([&] { read_spikes_csv(path("absent.csv"), "p"); });
    EXPECT_CONTAINS(msg, "absent.csv: file not found");
    msg = input_error_of(
        [&] { read_spikes_csv(text_file("b1.csv", "timestamps node_ids\n1.0 2\n\n1.x 3\n"), "p"); });
    EXPECT_CONTAINS(msg, "b1.csv: line 4: timestamps '1.x' is not a number");
    msg = input_error_of([&] { read_spikes_csv(text_file("b2.csv", "1.0 2\n2.0 -3\n"), "p"); });
    EXPECT_CONTAINS(msg, "b2.csv: line 2: node_ids '-3' is not a non-negative integer");
    msg = input_error_of([&] { read_spikes_csv(text_file("b3.csv", "timestamps population\n1.0 p\n"), "p"); });
    EXPECT_CONTAINS(msg, "b3.csv: line 1: the header has no 'node_ids' column");
    msg = input_error_of([&] { read_spikes_csv(text_file("b4.csv", "timestamps population node_ids\n1.0 p\n"), "p"); });
    EXPECT_CONTAINS(msg, "b4.csv: line 2: 2 fields, expected at least 3");
    // An unrecognised header is read as data and fails on line 1.
    msg = input_error_of([&] { read_spikes_csv(text_file("b5.csv", "time gid\n1.0 2\n"), "p"); });
    EXPECT_CONTAINS(msg, "b5.csv: line 1: timestamps 'time' is not a number");
}

// =================================================================== NWB 1 spike files

namespace {

// An NWB 1 file as BMTK writes/reads it: /processing/<trial>/spike_train/<node_id>/data,
// plus the NWB top-level clutter a reader must ignore.
void nwb_node(const H5::H5File& f, const std::string& trial, const std::string& node, const std::vector<double>& t) {
    write(mkgroup(f, "/processing/" + trial + "/spike_train/" + node), "data", t);
}

void nwb_clutter(const H5::H5File& f) {
    mkgroup(f, "/acquisition/timeseries");
    mkgroup(f, "/stimulus/presentation");
    write(f.openGroup("/"), "file_create_date", std::vector<double>{0.0});
    string_attr(f.openGroup("/"), "nwb_version", "NWB-1.0.5");
}

}  // namespace

TEST_F(Fixture, NwbSpikesOneTrial) {
    const fs::path file = path("one.nwb");
    {
        H5::H5File f(file.string(), H5F_ACC_TRUNC);
        nwb_clutter(f);
        nwb_node(f, "trial_0", "10", {3.5, 1.25, 7.0});  // stored order is kept within a node
        nwb_node(f, "trial_0", "2", {0.5});
        nwb_node(f, "trial_0", "0", {});
        // float32 data is converted.
        write(mkgroup(f, "/processing/trial_0/spike_train/7"), "data", std::vector<float>{2.5f}, H5::PredType::IEEE_F32LE);
        string_attr(f.openGroup("/processing/trial_0/spike_train/7"), "unit", "ms");
    }
    for (const std::string trial : {"", "trial_0"}) {
        const auto s = read_spikes_nwb(file, trial, "lgn");
        ASSERT_EQ(s.size(), 1u);
        const SpikeList& l = s.at("lgn");
        // Node-id order (numeric, not the name order "0" "10" "2" "7").
        EXPECT_EQ(l.node_ids, (std::vector<std::uint64_t>{2, 7, 10, 10, 10}));
        EXPECT_EQ(l.timestamps, (std::vector<double>{0.5, 2.5, 3.5, 1.25, 7.0}));
    }
}

TEST_F(Fixture, NwbSpikesTrialIsRequiredWithSeveral) {
    const fs::path file = path("two.nwb");
    {
        H5::H5File f(file.string(), H5F_ACC_TRUNC);
        nwb_node(f, "a", "1", {1.0});
        nwb_node(f, "b", "1", {2.0, 3.0});
        nwb_node(f, "b", "4", {4.0});
    }
    const auto b = read_spikes_nwb(file, "b", "p");
    EXPECT_EQ(b.at("p").node_ids, (std::vector<std::uint64_t>{1, 1, 4}));
    EXPECT_EQ(b.at("p").timestamps, (std::vector<double>{2.0, 3.0, 4.0}));
    EXPECT_EQ(read_spikes_nwb(file, "a", "p").at("p").timestamps, (std::vector<double>{1.0}));

    std::string msg = input_error_of([&] { read_spikes_nwb(file, "", "p"); });
    EXPECT_CONTAINS(msg, "two.nwb: /processing: 2 trials ('a', 'b')");
    EXPECT_CONTAINS(msg, "\"trial\"");
    msg = input_error_of([&] { read_spikes_nwb(file, "c", "p"); });
    EXPECT_CONTAINS(msg, "two.nwb: /processing/c: no such trial (the file has 'a', 'b')");
}

TEST_F(Fixture, NwbSpikesErrors) {
    const auto error_for = [&](const std::function<void(const H5::H5File&)>& build, const std::string& trial = "") {
        const fs::path file = path("bad.nwb");
        {
            H5::H5File f(file.string(), H5F_ACC_TRUNC);
            build(f);
        }
        return input_error_of([&] { read_spikes_nwb(file, trial, "p"); });
    };
    EXPECT_CONTAINS(input_error_of([&] { read_spikes_nwb(path("absent.nwb"), "", "p"); }), "absent.nwb: file not found");
    EXPECT_CONTAINS(error_for([](const H5::H5File& f) { mkgroup(f, "/spikes"); }),
                    "bad.nwb: /processing: required group is missing");
    EXPECT_CONTAINS(error_for([](const H5::H5File& f) { mkgroup(f, "/processing"); }),
                    "bad.nwb: /processing: holds no trial groups");
    EXPECT_CONTAINS(error_for([](const H5::H5File& f) { mkgroup(f, "/processing/t/other"); }),
                    "bad.nwb: /processing/t/spike_train: required group is missing");
    EXPECT_CONTAINS(error_for([](const H5::H5File& f) { mkgroup(f, "/processing/t/spike_train/3"); }),
                    "bad.nwb: /processing/t/spike_train/3/data: required dataset is missing");
    EXPECT_CONTAINS(error_for([](const H5::H5File& f) { nwb_node(f, "t", "cell_3", {1.0}); }),
                    "bad.nwb: /processing/t/spike_train/cell_3: expected a group named by a node id");
    EXPECT_CONTAINS(error_for([](const H5::H5File& f) { nwb_node(f, "t", "03", {1.0}); }),
                    "/processing/t/spike_train/03: expected a group named by a node id");
    EXPECT_CONTAINS(error_for([](const H5::H5File& f) { nwb_node(f, "t", "-1", {1.0}); }),
                    "/processing/t/spike_train/-1: expected a group named by a node id");
    EXPECT_CONTAINS(error_for([](const H5::H5File& f) {
                        write(mkgroup(f, "/processing/t/spike_train"), "5", std::vector<double>{1.0});
                    }),
                    "/processing/t/spike_train/5: expected a group");
    EXPECT_CONTAINS(error_for([](const H5::H5File& f) {
                        write_strings(mkgroup(f, "/processing/t/spike_train/5"), "data", {"1.0"}, true);
                    }),
                    "/processing/t/spike_train/5/data: expected a numeric dataset");
    // A trial that is not a group.
    EXPECT_CONTAINS(error_for([](const H5::H5File& f) {
                        write(mkgroup(f, "/processing"), "t", std::vector<double>{1.0});
                        nwb_node(f, "u", "1", {1.0});
                    }, "t"),
                    "/processing/t: no such trial (the file has 'u')");
}

// =================================================================== NWB 1 stimulus sweeps

TEST_F(Fixture, NwbStimulusSamplesRateAndPrecision) {
    // tests/tools/nwb_files.hpp: the Allen layout, /epochs/<sweep>/stimulus/timeseries a hard link.
    using pointsim::testing_files::NwbSweep;
    NwbSweep f64{"Sweep_2", {0.0, -2.5e-10, 1e-9}, 20000.0};
    f64.float32 = false;
    pointsim::testing_files::write_nwb_sweeps(path("s.nwb"), {NwbSweep{"Sweep_1", {0.0, 7e-7, 1.5e-10}, 1e4}, f64});
    const NwbStimulus a = read_nwb_stimulus(path("s.nwb"), "Sweep_1");
    EXPECT_TRUE(a.single_precision);
    EXPECT_EQ(a.rate, 10000.0);
    // float32 values, exactly.
    EXPECT_EQ(a.data, (std::vector<double>{0.0, static_cast<float>(7e-7), static_cast<float>(1.5e-10)}));
    const NwbStimulus b = read_nwb_stimulus(path("s.nwb"), "Sweep_2");
    EXPECT_FALSE(b.single_precision);
    EXPECT_EQ(b.rate, 20000.0);
    EXPECT_EQ(b.data, (std::vector<double>{0.0, -2.5e-10, 1e-9}));

    // A soft link, integer samples and a float64 rate read the same way.
    {
        H5::H5File f(path("soft.nwb").string(), H5F_ACC_TRUNC);
        const H5::Group series = mkgroup(f, "/stimulus/presentation/s");
        write(series, "data", std::vector<std::int32_t>{0, 3, -4}, H5::PredType::STD_I16LE);
        H5::DataSet start = series.createDataSet("starting_time", H5::PredType::IEEE_F64LE, H5::DataSpace(H5S_SCALAR));
        const double rate = 2000.0;
        start.createAttribute("rate", H5::PredType::IEEE_F64LE, H5::DataSpace(H5S_SCALAR))
            .write(H5::PredType::NATIVE_DOUBLE, &rate);
        const H5::Group stim = mkgroup(f, "/epochs/s/stimulus");
        ASSERT_GE(H5Lcreate_soft("/stimulus/presentation/s", stim.getId(), "timeseries", H5P_DEFAULT, H5P_DEFAULT), 0);
    }
    const NwbStimulus c = read_nwb_stimulus(path("soft.nwb"), "s");
    EXPECT_FALSE(c.single_precision);
    EXPECT_EQ(c.rate, 2000.0);
    EXPECT_EQ(c.data, (std::vector<double>{0.0, 3.0, -4.0}));
}

TEST_F(Fixture, NwbStimulusOfTheSharedExample) {
    const fs::path file = fs::path(POINTSIM_EXAMPLES_DIR) / "point_iclamp_nwb/inputs/synthetic_ephys.nwb";
    const NwbStimulus s = read_nwb_stimulus(file, "Sweep_55");
    EXPECT_TRUE(s.single_precision);
    EXPECT_EQ(s.rate, 10000.0);
    ASSERT_EQ(s.data.size(), 8000u);
    EXPECT_EQ(s.data[999], 0.0);
    EXPECT_EQ(s.data[1000], static_cast<double>(static_cast<float>(7e-7)));
    EXPECT_EQ(read_nwb_stimulus(file, "Sweep_56").data.size(), 100u);
}

TEST_F(Fixture, NwbStimulusErrors) {
    const auto error_for = [&](const std::function<void(const H5::H5File&)>& build, const std::string& sweep = "S") {
        const fs::path file = path("bad.nwb");
        {
            H5::H5File f(file.string(), H5F_ACC_TRUNC);
            build(f);
        }
        return input_error_of([&] { read_nwb_stimulus(file, sweep); });
    };
    auto series = [](const H5::H5File& f) { return mkgroup(f, "/epochs/S/stimulus/timeseries"); };
    auto rate = [](const H5::Group& g, double r) {
        H5::DataSet start = g.createDataSet("starting_time", H5::PredType::IEEE_F64LE, H5::DataSpace(H5S_SCALAR));
        start.createAttribute("rate", H5::PredType::IEEE_F32LE, H5::DataSpace(H5S_SCALAR))
            .write(H5::PredType::NATIVE_DOUBLE, &r);
    };
    EXPECT_CONTAINS(input_error_of([&] { read_nwb_stimulus(path("absent.nwb"), "S"); }), "absent.nwb: file not found");
    EXPECT_CONTAINS(error_for([](const H5::H5File& f) { mkgroup(f, "/processing"); }),
                    "bad.nwb: /epochs: required group is missing");
    EXPECT_CONTAINS(error_for([](const H5::H5File& f) {
                        mkgroup(f, "/epochs/Sweep_1");
                        mkgroup(f, "/epochs/Sweep_2");
                    }),
                    "bad.nwb: /epochs/S: no such sweep (the file has 'Sweep_1', 'Sweep_2')");
    EXPECT_CONTAINS(error_for([](const H5::H5File& f) { mkgroup(f, "/epochs/S/response"); }),
                    "bad.nwb: /epochs/S/stimulus: required group is missing");
    EXPECT_CONTAINS(error_for([](const H5::H5File& f) { mkgroup(f, "/epochs/S/stimulus"); }),
                    "bad.nwb: /epochs/S/stimulus/timeseries: required group is missing");
    EXPECT_CONTAINS(error_for([&](const H5::H5File& f) { rate(series(f), 1e4); }),
                    "bad.nwb: /epochs/S/stimulus/timeseries/data: required dataset is missing");
    EXPECT_CONTAINS(error_for([&](const H5::H5File& f) {
                        const H5::Group g = series(f);
                        const hsize_t dims[2] = {3, 2};
                        g.createDataSet("data", H5::PredType::IEEE_F32LE, H5::DataSpace(2, dims));
                        rate(g, 1e4);
                    }),
                    "/epochs/S/stimulus/timeseries/data: expected a 1-D stimulus dataset, found rank 2");
    EXPECT_CONTAINS(error_for([&](const H5::H5File& f) {
                        const H5::Group g = series(f);
                        write_strings(g, "data", {"1e-9"}, true);
                        rate(g, 1e4);
                    }),
                    "/epochs/S/stimulus/timeseries/data: expected an integer or float stimulus dataset");
    EXPECT_CONTAINS(error_for([&](const H5::H5File& f) {
                        const H5::Group g = series(f);
                        write(g, "data", std::vector<double>{0.0, std::nan("")});
                        rate(g, 1e4);
                    }),
                    "/epochs/S/stimulus/timeseries/data: sample 1 is nan, not a finite number");
    EXPECT_CONTAINS(error_for([&](const H5::H5File& f) { write(series(f), "data", std::vector<double>{0.0}); }),
                    "/epochs/S/stimulus/timeseries/starting_time: required dataset is missing");
    for (double r : {0.0, -5.0, std::numeric_limits<double>::infinity()})
        EXPECT_CONTAINS(error_for([&](const H5::H5File& f) {
                            const H5::Group g = series(f);
                            write(g, "data", std::vector<double>{0.0});
                            rate(g, r);
                        }),
                        "/epochs/S/stimulus/timeseries/starting_time: attribute 'rate' = ");
    EXPECT_CONTAINS(error_for([&](const H5::H5File& f) {
                        const H5::Group g = series(f);
                        write(g, "data", std::vector<double>{0.0});
                        H5::DataSet start = g.createDataSet("starting_time", H5::PredType::IEEE_F64LE,
                                                            H5::DataSpace(H5S_SCALAR));
                        H5::StrType t(H5::PredType::C_S1, H5T_VARIABLE);
                        const char* v = "10 kHz";
                        start.createAttribute("rate", t, H5::DataSpace(H5S_SCALAR)).write(t, &v);
                    }),
                    "/epochs/S/stimulus/timeseries/starting_time attribute rate: expected a number, found string");
}

// =================================================================== direct reads

namespace {

// What a dataset gives through each reader: the values, or the error message.
struct Reads {
    std::vector<std::uint64_t> u64;
    std::vector<std::int64_t> i64;
    std::vector<double> f64;
    std::string u64_error, i64_error;
};

Reads reads_of(const h5::Dataset& ds, std::size_t begin, std::size_t count) {
    Reads r;
    auto message = [](const std::function<void()>& f) {
        try {
            f();
        } catch (const std::exception& e) {
            return std::string(e.what());
        }
        return std::string();
    };
    ds.read_double(begin, count, r.f64);
    if (ds.type_class() == H5T_INTEGER) {
        r.u64_error = message([&] { ds.read_uint64(begin, count, r.u64); });
        r.i64_error = message([&] { ds.read_int64(begin, count, r.i64); });
        if (!r.u64_error.empty()) r.u64.clear();
        if (!r.i64_error.empty()) r.i64.clear();
    }
    return r;
}

void expect_same_reads(const Reads& direct, const Reads& hdf5) {
    EXPECT_EQ(direct.u64, hdf5.u64);
    EXPECT_EQ(direct.i64, hdf5.i64);
    EXPECT_EQ(direct.u64_error, hdf5.u64_error);
    EXPECT_EQ(direct.i64_error, hdf5.i64_error);
    ASSERT_EQ(direct.f64.size(), hdf5.f64.size());
    for (std::size_t i = 0; i < direct.f64.size(); ++i)
        EXPECT_EQ(std::memcmp(&direct.f64[i], &hdf5.f64[i], sizeof(double)), 0) << "row " << i << ": " << direct.f64[i]
                                                                                << " read directly, " << hdf5.f64[i];
}

}  // namespace

// Reads that bypass HDF5 (pread at the data's offset, for reads from several
// threads) give what HDF5 gives for every stored type, converting as it
// does, and find the data after a user block too.
TEST_F(Fixture, DirectReadsGiveWhatHdf5Gives) {
    const std::vector<std::int64_t> small{-128, -1, 0, 1, 127, 5};
    const std::vector<std::int64_t> wide{std::numeric_limits<std::int64_t>::min(), -3, 0, (std::int64_t{1} << 53) + 1,
                                         std::numeric_limits<std::int64_t>::max(), 42};
    const std::vector<std::uint64_t> huge{0, 1, (std::uint64_t{1} << 63) + 5, std::numeric_limits<std::uint64_t>::max(), 9, 10};
    auto as = [](const std::vector<std::int64_t>& v, auto t) {
        std::vector<decltype(t)> out;
        for (auto x : v) out.push_back(static_cast<decltype(t)>(x));
        return out;
    };
    const std::vector<std::string> names{"i8", "u8", "i16", "u16", "i32", "u32", "i64", "u64", "f32", "f64"};
    for (const hsize_t user_block : {hsize_t{0}, hsize_t{512}}) {
        SCOPED_TRACE("user block of " + std::to_string(user_block) + " bytes");
        const fs::path file = path("direct" + std::to_string(user_block) + ".h5");
        {
            H5::FileCreatPropList fcpl;
            if (user_block) fcpl.setUserblock(user_block);
            H5::H5File f(file.string(), H5F_ACC_TRUNC, fcpl);
            const H5::Group g = mkgroup(f, "/d");
            write(g, "i8", as(small, std::int8_t{}));
            write(g, "u8", as(small, std::uint8_t{}));
            write(g, "i16", as(wide, std::int16_t{}));
            write(g, "u16", as(wide, std::uint16_t{}));
            write(g, "i32", as(wide, std::int32_t{}));
            write(g, "u32", as(wide, std::uint32_t{}));
            write(g, "i64", wide);
            write(g, "u64", huge);
            write(g, "f32", std::vector<float>{-1.5f, 0.1f, 3e38f, -0.0f, 7.0f, 1e-40f});
            write(g, "f64", std::vector<double>{-1.5, 0.1, 1e300, -0.0, std::numeric_limits<double>::infinity(), 5e-324});
        }
        const auto root = h5::open_file(file);
        for (const auto& name : names) {
            SCOPED_TRACE(name);
            const h5::Dataset hdf5 = root.require_dataset("d/" + name);
            h5::Dataset direct = root.require_dataset("d/" + name);
            ASSERT_TRUE(direct.enable_direct_reads());
            EXPECT_TRUE(direct.reads_directly());
            EXPECT_FALSE(hdf5.reads_directly());
            expect_same_reads(reads_of(direct, 0, 6), reads_of(hdf5, 0, 6));
            expect_same_reads(reads_of(direct, 2, 3), reads_of(hdf5, 2, 3));
            const std::string beyond = input_error_of([&] { std::vector<double> v; direct.read_double(4, 3, v); });
            EXPECT_CONTAINS(beyond, "/d/" + name + ": rows 4..7 are beyond its 6 rows");
        }
    }
}

// Where the data is not one contiguous run of native numbers in the file,
// HDF5 keeps reading it (and the reads stay on one thread).
TEST_F(Fixture, DirectReadsAreRefusedWhereOnlyHdf5CanRead) {
    const fs::path file = path("layouts.h5");
    const std::vector<double> values{1, 2, 3, 4, 5, 6, 7, 8};
    const hsize_t dims[1] = {values.size()};
    {
        H5::H5File f(file.string(), H5F_ACC_TRUNC);
        const H5::Group g = mkgroup(f, "/d");
        const hsize_t chunk[1] = {3};
        H5::DSetCreatPropList chunked;
        chunked.setChunk(1, chunk);
        g.createDataSet("chunked", H5::PredType::NATIVE_DOUBLE, H5::DataSpace(1, dims), chunked)
            .write(values.data(), H5::PredType::NATIVE_DOUBLE);
        H5::DSetCreatPropList compressed;
        compressed.setChunk(1, chunk);
        compressed.setDeflate(4);
        g.createDataSet("compressed", H5::PredType::NATIVE_DOUBLE, H5::DataSpace(1, dims), compressed)
            .write(values.data(), H5::PredType::NATIVE_DOUBLE);
        H5::DSetCreatPropList compact;
        compact.setLayout(H5D_COMPACT);
        g.createDataSet("compact", H5::PredType::NATIVE_DOUBLE, H5::DataSpace(1, dims), compact)
            .write(values.data(), H5::PredType::NATIVE_DOUBLE);
        write(g, "big_endian", values, H5::PredType::IEEE_F64BE);
        g.createDataSet("never_written", H5::PredType::NATIVE_DOUBLE, H5::DataSpace(1, dims));
        const hsize_t square[2] = {2, 4};
        g.createDataSet("two_d", H5::PredType::NATIVE_DOUBLE, H5::DataSpace(2, square))
            .write(values.data(), H5::PredType::NATIVE_DOUBLE);
    }
    const auto root = h5::open_file(file);
    for (const char* name : {"chunked", "compressed", "compact", "big_endian"}) {
        SCOPED_TRACE(name);
        h5::Dataset ds = root.require_dataset(std::string("d/") + name);
        EXPECT_FALSE(ds.enable_direct_reads());
        EXPECT_FALSE(ds.reads_directly());
        EXPECT_EQ(ds.read_double(), values);
    }
    h5::Dataset never_written = root.require_dataset("d/never_written");
    EXPECT_FALSE(never_written.enable_direct_reads());
    EXPECT_EQ(never_written.read_double(), std::vector<double>(values.size(), 0.0));  // the fill value
    EXPECT_FALSE(root.require_dataset("d/two_d").enable_direct_reads());
}

// A file cut short under a direct read is an input error naming the
// dataset and rows, not a read of garbage.
TEST_F(Fixture, DirectReadOfATruncatedFileNamesTheDatasetAndRows) {
    const fs::path file = path("cut.h5");
    {
        H5::H5File f(file.string(), H5F_ACC_TRUNC);
        write(mkgroup(f, "/d"), "ids", std::vector<std::uint64_t>(100000, 7));
    }
    const auto root = h5::open_file(file);
    h5::Dataset ds = root.require_dataset("d/ids");
    ASSERT_TRUE(ds.enable_direct_reads());
    fs::resize_file(file, fs::file_size(file) / 2);
    std::vector<std::uint64_t> out;
    const std::string msg = input_error_of([&] { ds.read_uint64(0, 100000, out); });
    EXPECT_CONTAINS(msg, "cut.h5: /d/ids: reading rows 0..100000: the file ends inside the dataset's data");
}

// An edge population prepared for concurrent reads gives, on several
// threads at once, the blocks one thread reads through HDF5: rows of two
// groups, interleaved and out of order, with a dynamics_params column.
TEST_F(Fixture, ConcurrentEdgeReadsGiveTheBlocksOfOneThread) {
    const fs::path file = path("edges.h5");
    const std::size_t n = 5000;
    {
        H5::H5File f(file.string(), H5F_ACC_TRUNC);
        const H5::Group e = mkgroup(f, "/edges/e");
        std::vector<std::uint64_t> src(n), tgt(n), index(n);
        std::vector<std::uint16_t> group(n);
        std::vector<std::uint32_t> type(n);
        std::vector<double> w0(n), w1(n), tau(n);
        for (std::size_t i = 0; i < n; ++i) {
            src[i] = (i * 7919) % 1000;
            tgt[i] = i / 5;
            type[i] = 100 + i % 3;
            group[i] = i % 4 == 3 ? 1 : 0;
            index[i] = n - 1 - i;  // reversed within each group
            w0[i] = 0.25 * static_cast<double>(i);
            w1[i] = -static_cast<double>(i);
            tau[i] = 1.0 + static_cast<double>(i % 11);
        }
        string_attr(write(e, "source_node_id", src), "node_population", "a");
        string_attr(write(e, "target_node_id", tgt), "node_population", "b");
        write(e, "edge_type_id", type);
        write(e, "edge_group_id", group);
        write(e, "edge_group_index", index);
        write(mkgroup(f, "/edges/e/0"), "syn_weight", w0);
        write(mkgroup(f, "/edges/e/0"), "delay", std::vector<float>(n, 1.5f));
        write(mkgroup(f, "/edges/e/1"), "syn_weight", w1);
        write(mkgroup(f, "/edges/e/1/dynamics_params"), "tau_psc", tau);
    }
    const std::vector<std::string> attributes{"syn_weight", "nsyns", "delay", "dynamics_params/tau_psc"};
    {
        const EdgeReader one_thread(file, "e");
        EdgeReader concurrent(file, "e");
        ASSERT_TRUE(concurrent.prepare_concurrent_reads(attributes));
        const std::size_t parts = 4, rows = n / parts;
        std::vector<EdgeBlock> expected(parts), got(parts);
        for (std::size_t p = 0; p < parts; ++p) one_thread.read(p * rows, rows, attributes, expected[p]);
        std::vector<std::thread> threads;
        std::vector<std::string> errors(parts);
        for (std::size_t p = 0; p < parts; ++p)
            threads.emplace_back([&, p] {
                try {
                    for (int round = 0; round < 20; ++round) concurrent.read(p * rows, rows, attributes, got[p]);
                } catch (const std::exception& e) {
                    errors[p] = e.what();
                }
            });
        for (auto& t : threads) t.join();
        for (std::size_t p = 0; p < parts; ++p) {
            SCOPED_TRACE("part " + std::to_string(p));
            EXPECT_EQ(errors[p], "");
            EXPECT_EQ(got[p].first_row, expected[p].first_row);
            EXPECT_EQ(got[p].source_ids, expected[p].source_ids);
            EXPECT_EQ(got[p].target_ids, expected[p].target_ids);
            EXPECT_EQ(got[p].edge_type_ids, expected[p].edge_type_ids);
            EXPECT_EQ(got[p].group_ids, expected[p].group_ids);
            EXPECT_EQ(got[p].group_indices, expected[p].group_indices);
            EXPECT_EQ(got[p].present, expected[p].present);
            for (const auto& [name, values] : expected[p].values)
                for (std::size_t i = 0; i < rows; ++i)
                    if (expected[p].present.at(name)[i]) {
                        EXPECT_EQ(got[p].values.at(name)[i], values[i]) << name << " row " << i;
                    }
        }
        // Any other attribute would need an HDF5 call, perhaps on several threads: refused.
        EdgeBlock other;
        EXPECT_THROW(concurrent.read(0, 10, {"syn_weight", "dynamics_params/tau_syn"}, other), std::logic_error);
    }  // the readers close the file
    // A column HDF5 must read (chunked) keeps the reads on one thread.
    {
        H5::H5File f(file.string(), H5F_ACC_RDWR);
        H5::Group g = f.openGroup("/edges/e/1");
        g.unlink("syn_weight");
        H5::DSetCreatPropList chunked;
        const hsize_t chunk[1] = {64}, dims[1] = {n};
        chunked.setChunk(1, chunk);
        const std::vector<double> w(n, 2.0);
        g.createDataSet("syn_weight", H5::PredType::NATIVE_DOUBLE, H5::DataSpace(1, dims), chunked)
            .write(w.data(), H5::PredType::NATIVE_DOUBLE);
    }
    EdgeReader with_chunked(file, "e");
    EXPECT_FALSE(with_chunked.prepare_concurrent_reads(attributes));
}
