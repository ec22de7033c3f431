#pragma once
// Small SONATA circuits written into a temporary directory for the network
// and inputs tests: nodes/edges h5 files (HDF5 C++ API), type CSVs, JSON
// components and a config, then config::load + network::build.
#include <atomic>
#include <cstdint>
#include <filesystem>
#include <fstream>
#include <functional>
#include <map>
#include <optional>
#include <string>
#include <vector>

#include <H5Cpp.h>
#include <gtest/gtest.h>
#include <nlohmann/json.hpp>
#include <unistd.h>

#include "common/error.hpp"
#include "common/logging.hpp"
#include "common/time.hpp"
#include "config/config.hpp"
#include "network/network.hpp"

namespace ptest {

namespace fs = std::filesystem;
using Json = nlohmann::json;

inline fs::path example(const std::string& rel) { return fs::path(POINTSIM_EXAMPLES_DIR) / rel; }

// The pointsim::Error that f throws (kind checked when given); a test failure otherwise.
inline std::string error_of(const std::function<void()>& f, std::optional<pointsim::ErrorKind> kind = std::nullopt) {
    try {
        f();
    } catch (const pointsim::Error& e) {
        if (kind) {
            EXPECT_EQ(static_cast<int>(e.kind()), static_cast<int>(*kind)) << e.what();
        }
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

// ---------------------------------------------------------------- h5 writing

template <class T>
const H5::PredType& native();
template <> inline const H5::PredType& native<std::uint64_t>() { return H5::PredType::NATIVE_UINT64; }
template <> inline const H5::PredType& native<std::int64_t>() { return H5::PredType::NATIVE_INT64; }
template <> inline const H5::PredType& native<std::uint32_t>() { return H5::PredType::NATIVE_UINT32; }
template <> inline const H5::PredType& native<double>() { return H5::PredType::NATIVE_DOUBLE; }

template <class T>
void write_dataset(const H5::Group& g, const std::string& name, const std::vector<T>& v) {
    const hsize_t dims[1] = {v.size()};
    H5::DataSet ds = g.createDataSet(name, native<T>(), H5::DataSpace(1, dims));
    if (!v.empty()) ds.write(v.data(), native<T>());
}

inline void write_strings(const H5::Group& g, const std::string& name, const std::vector<std::string>& v) {
    const hsize_t dims[1] = {v.size()};
    H5::StrType t(H5::PredType::C_S1, H5T_VARIABLE);
    std::vector<const char*> p;
    for (const auto& s : v) p.push_back(s.c_str());
    g.createDataSet(name, t, H5::DataSpace(1, dims)).write(p.data(), t);
}

inline void string_attr(const H5::H5Object& obj, const std::string& name, const std::string& value) {
    H5::StrType t(H5::PredType::C_S1, H5T_VARIABLE);
    const char* p = value.c_str();
    obj.createAttribute(name, t, H5::DataSpace(H5S_SCALAR)).write(t, &p);
}

struct NodePop {
    std::string name;
    std::vector<std::int64_t> type_ids;
    std::vector<std::uint64_t> node_ids;  // empty: no node_id dataset (row index is the id)
    std::map<std::string, std::vector<double>> numbers;        // group 0 attributes
    std::map<std::string, std::vector<std::string>> strings;   // group 0 attributes
    std::map<std::string, std::vector<double>> params = {};    // group 0 dynamics_params (per node)
};

struct EdgePop {
    std::string name, source, target;
    std::vector<std::uint64_t> src, tgt;
    std::vector<std::int64_t> type_ids;
    std::map<std::string, std::vector<double>> numbers;  // group 0 attributes (syn_weight, nsyns, delay)
};

inline void write_nodes_h5(const fs::path& file, const std::vector<NodePop>& pops) {
    H5::H5File f(file.string(), H5F_ACC_TRUNC);
    H5::Group nodes = f.createGroup("/nodes");
    for (const auto& p : pops) {
        H5::Group g = nodes.createGroup(p.name);
        const std::size_t n = p.type_ids.size();
        write_dataset(g, "node_type_id", p.type_ids);
        if (!p.node_ids.empty()) write_dataset(g, "node_id", p.node_ids);
        std::vector<std::uint64_t> index(n);
        for (std::size_t i = 0; i < n; ++i) index[i] = i;
        write_dataset(g, "node_group_id", std::vector<std::uint32_t>(n, 0));
        write_dataset(g, "node_group_index", index);
        H5::Group g0 = g.createGroup("0");
        for (const auto& [name, v] : p.numbers) write_dataset(g0, name, v);
        for (const auto& [name, v] : p.strings) write_strings(g0, name, v);
        if (!p.params.empty()) {
            H5::Group dp = g0.createGroup("dynamics_params");
            for (const auto& [name, v] : p.params) write_dataset(dp, name, v);
        }
    }
}

inline void write_edges_h5(const fs::path& file, const std::vector<EdgePop>& pops) {
    H5::H5File f(file.string(), H5F_ACC_TRUNC);
    H5::Group edges = f.createGroup("/edges");
    for (const auto& p : pops) {
        H5::Group g = edges.createGroup(p.name);
        const std::size_t n = p.src.size();
        write_dataset(g, "source_node_id", p.src);
        string_attr(g.openDataSet("source_node_id"), "node_population", p.source);
        write_dataset(g, "target_node_id", p.tgt);
        string_attr(g.openDataSet("target_node_id"), "node_population", p.target);
        write_dataset(g, "edge_type_id", p.type_ids);
        std::vector<std::uint64_t> index(n);
        for (std::size_t i = 0; i < n; ++i) index[i] = i;
        write_dataset(g, "edge_group_id", std::vector<std::uint32_t>(n, 0));
        write_dataset(g, "edge_group_index", index);
        H5::Group g0 = g.createGroup("0");
        for (const auto& [name, v] : p.numbers) write_dataset(g0, name, v);
    }
}

// ---------------------------------------------------------------- fixture

// A temporary directory holding a small circuit:
//   cortex (cortex_nodes.h5): node ids 0..4, simulated
//     row:        0      1     2      3       4
//     node_type:  100    101   100    102     101
//     model:      alpha  alpha alpha  delta   alpha
//     ei:         e      i     e      e       i
//     pop_name:   Scnn1a PV    Scnn1a Delta   PV
//     layer (h5): L4     L2    L4     L5      L2
//     x (h5):     0      10    20     30      40
//   lgn (lgn_nodes.h5): node ids 10, 11, 12, virtual (type 200, ei e, pop_name tON)
// In config order cortex, lgn: gids 0..4 are cortex, 5..7 lgn.
class CircuitTest : public ::testing::Test {
protected:
    void SetUp() override {
        pointsim::logging::set_level(spdlog::level::err);
        static std::atomic<int> counter{0};
        dir_ = fs::temp_directory_path() /
               ("pointsim_test_circuit_" + std::to_string(::getpid()) + "_" + std::to_string(counter++));
        fs::remove_all(dir_);
        fs::create_directories(dir_ / "synaptic_models");
        fs::create_directories(dir_ / "cell_models");
        write_default_nodes();
    }
    void TearDown() override { fs::remove_all(dir_); }

    fs::path path(const std::string& name) const { return dir_ / name; }
    fs::path text_file(const std::string& name, const std::string& content) const {
        std::ofstream(path(name), std::ios::binary) << content;
        return path(name);
    }

    void write_default_nodes() {
        NodePop cortex{"cortex", {100, 101, 100, 102, 101}, {0, 1, 2, 3, 4}, {{"x", {0, 10, 20, 30, 40}}},
                       {{"layer", {"L4", "L2", "L4", "L5", "L2"}}}};
        write_nodes_h5(path("cortex_nodes.h5"), {cortex});
        text_file("cortex_node_types.csv",
                  "node_type_id model_type model_template ei pop_name\n"
                  "100 point_process nest:iaf_psc_alpha e Scnn1a\n"
                  "101 point_process nest:iaf_psc_alpha i PV\n"
                  "102 point_process nest:iaf_psc_delta e Delta\n");
        NodePop lgn{"lgn", {200, 200, 200}, {10, 11, 12}, {}, {}};
        write_nodes_h5(path("lgn_nodes.h5"), {lgn});
        text_file("lgn_node_types.csv", "node_type_id model_type ei pop_name\n200 virtual e tON\n");
    }

    Json node_entry(const std::string& prefix) const {
        return {{"nodes_file", path(prefix + "_nodes.h5").string()},
                {"node_types_file", path(prefix + "_node_types.csv").string()}};
    }

    // Edge file entries: {edges h5 name, edge types csv name}.
    using EdgeFileNames = std::vector<std::pair<std::string, std::string>>;

    // Config with the node files in `node_order` and the given edge files;
    // `extra` keys are merged into the top level (inputs, node_sets, run...).
    Json base_config(const std::vector<std::string>& node_order = {"cortex", "lgn"}, const EdgeFileNames& edges = {},
                     const Json& extra = Json::object()) const {
        Json nodes = Json::array();
        for (const auto& p : node_order) nodes.push_back(node_entry(p));
        Json e = Json::array();
        for (const auto& [h5, csv] : edges)
            e.push_back({{"edges_file", path(h5).string()}, {"edge_types_file", path(csv).string()}});
        Json cfg = {{"run", {{"dt", 0.1}, {"tstop", 100.0}}},
                    {"components",
                     {{"synaptic_models_dir", path("synaptic_models").string()},
                      {"point_neuron_models_dir", path("cell_models").string()}}},
                    {"networks", {{"nodes", nodes}, {"edges", e}}}};
        for (auto it = extra.begin(); it != extra.end(); ++it) cfg[it.key()] = it.value();
        return cfg;
    }

    pointsim::config::SimulationConfig load(const Json& cfg, const std::string& name = "config.json") const {
        text_file(name, cfg.dump(2));
        return pointsim::config::load(path(name));
    }

    static pointsim::TimeGrid grid_of(const pointsim::config::SimulationConfig& cfg) {
        return pointsim::TimeGrid::make(cfg.run.dt, cfg.run.tstop, "test");
    }

    pointsim::network::Network build(const Json& cfg) const {
        const auto c = load(cfg);
        return pointsim::network::build(c, grid_of(c));
    }

    // A network with one cortex->cortex edge population "e" from `edge_types_csv`.
    pointsim::network::Network build_edges(const std::string& edge_types_csv, const EdgePop& pop,
                                           double dt = 0.1) const {
        text_file("e_edge_types.csv", edge_types_csv);
        write_edges_h5(path("e_edges.h5"), {pop});
        Json cfg = base_config({"cortex", "lgn"}, {{"e_edges.h5", "e_edge_types.csv"}});
        cfg["run"]["dt"] = dt;
        return build(cfg);
    }

    fs::path dir_;
};

}  // namespace ptest
