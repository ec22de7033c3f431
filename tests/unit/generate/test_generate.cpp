// Tests for src/generate: a small circuit is generated into a temporary
// directory and read back with the sonata readers (and HDF5 for the indices).
#include <algorithm>
#include <atomic>
#include <cmath>
#include <cstdint>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <functional>
#include <map>
#include <string>
#include <vector>

#include <H5Cpp.h>
#include <gtest/gtest.h>
#include <nlohmann/json.hpp>
#include <unistd.h>

#include "common/error.hpp"
#include "generate/generate.hpp"
#include "sonata/sonata.hpp"
#include "test_files.hpp"

namespace fs = std::filesystem;
namespace testing_files = pointsim::testing_files;
using namespace pointsim;
using Json = nlohmann::json;

namespace {

struct TempDir : testing_files::TempDir {
    TempDir() : testing_files::TempDir("pointsim_generate") {}
};

generate::Options small_options(const fs::path& dir, std::uint64_t seed = 1) {
    generate::Options o;
    o.out_dir = dir;
    o.n_neurons = 200;
    o.indegree = 20;
    o.seed = seed;
    return o;
}

Json read_json(const fs::path& file) {
    std::ifstream in(file);
    EXPECT_TRUE(in.good()) << file;
    return Json::parse(in);
}

std::vector<std::uint64_t> read_u64_2d(const fs::path& file, const std::string& path, hsize_t& rows) {
    H5::H5File h5(file.string(), H5F_ACC_RDONLY);
    H5::DataSet ds = h5.openDataSet(path);
    H5::DataSpace space = ds.getSpace();
    EXPECT_EQ(space.getSimpleExtentNdims(), 2) << path;
    hsize_t dims[2] = {0, 0};
    space.getSimpleExtentDims(dims);
    EXPECT_EQ(dims[1], 2u) << path;
    rows = dims[0];
    std::vector<std::uint64_t> v(dims[0] * dims[1]);
    if (!v.empty()) ds.read(v.data(), H5::PredType::NATIVE_UINT64);
    return v;
}

const sonata::EdgePopulation& only_edges(const std::vector<sonata::EdgePopulation>& pops) {
    EXPECT_EQ(pops.size(), 1u);
    return pops.at(0);
}

// Every target 0..n_targets-1 owns the ranges node_id_to_range gives it, and
// those ranges cover exactly its edges; together they cover every edge once.
void check_index(const fs::path& file, const std::string& pop, const sonata::EdgePopulation& e,
                 std::uint64_t n_targets) {
    hsize_t n_rows = 0, n_ranges = 0;
    const auto id_to_range = read_u64_2d(file, "/edges/" + pop + "/indices/target_to_source/node_id_to_range", n_rows);
    const auto range_to_edge = read_u64_2d(file, "/edges/" + pop + "/indices/target_to_source/range_to_edge_id", n_ranges);
    ASSERT_EQ(n_rows, n_targets);
    std::vector<int> covered(e.size(), 0);
    for (std::uint64_t t = 0; t < n_targets; ++t) {
        const auto r0 = id_to_range[2 * t], r1 = id_to_range[2 * t + 1];
        ASSERT_LE(r0, r1);
        ASSERT_LE(r1, n_ranges);
        for (auto r = r0; r < r1; ++r) {
            const auto e0 = range_to_edge[2 * r], e1 = range_to_edge[2 * r + 1];
            ASSERT_LE(e0, e1);
            ASSERT_LE(e1, e.size());
            for (auto k = e0; k < e1; ++k) {
                EXPECT_EQ(e.target_ids[k], t) << pop << " edge " << k;
                ++covered[k];
            }
        }
    }
    EXPECT_TRUE(std::all_of(covered.begin(), covered.end(), [](int c) { return c == 1; })) << pop;
}

void expect_sorted_by_target_then_source(const sonata::EdgePopulation& e) {
    for (std::size_t i = 1; i < e.size(); ++i) {
        const bool ok = e.target_ids[i - 1] < e.target_ids[i] ||
                        (e.target_ids[i - 1] == e.target_ids[i] && e.source_ids[i - 1] <= e.source_ids[i]);
        ASSERT_TRUE(ok) << e.name << " row " << i;
    }
}

std::map<std::uint64_t, std::uint64_t> count_by_target(const sonata::EdgePopulation& e) {
    std::map<std::uint64_t, std::uint64_t> c;
    for (auto t : e.target_ids) ++c[t];
    return c;
}

// --------------------------------------------------------------- the circuit

TEST(Generate, SmallCircuitReadsBack) {
    TempDir tmp;
    const auto o = small_options(tmp.path());
    const auto s = generate::generate_circuit(o);
    EXPECT_EQ(s.n_neurons, 200u);
    EXPECT_EQ(s.n_virtual, 50u);
    EXPECT_EQ(s.n_edges_recurrent, 200u * 20u);
    EXPECT_EQ(s.n_edges_input, 200u * 50u);

    const fs::path net = tmp.path() / "network";

    // Nodes: 160 excitatory then 40 inhibitory iaf_psc_alpha, 50 virtual.
    const auto internal = sonata::read_node_populations(net / "internal_nodes.h5");
    ASSERT_EQ(internal.size(), 1u);
    const auto& in = internal[0];
    EXPECT_EQ(in.name, "internal");
    ASSERT_EQ(in.size(), 200u);
    for (std::size_t r = 0; r < in.size(); ++r) {
        EXPECT_EQ(in.node_ids[r], r);
        EXPECT_EQ(in.node_type_ids[r], r < 160 ? 100 : 101) << r;
        EXPECT_EQ(in.group_ids[r], 0u);
    }
    const auto itypes = sonata::TypeTable::read(net / "internal_node_types.csv", "node_type_id");
    const fs::path cells = tmp.path() / "components" / "cell_models";
    for (std::int64_t t : {100, 101}) {
        EXPECT_EQ(itypes.get(t, "model_template"), "nest:iaf_psc_alpha");
        EXPECT_EQ(itypes.get(t, "model_type"), "point_process");
        const Json p = read_json(cells / *itypes.get(t, "dynamics_params"));
        EXPECT_EQ(p.at("tau_m").get<double>(), t == 100 ? 20.0 : 10.0);
        EXPECT_EQ(p.at("t_ref").get<double>(), t == 100 ? 2.0 : 1.0);
        EXPECT_EQ(p.at("C_m").get<double>(), 250.0);
        EXPECT_EQ(p.at("E_L").get<double>(), -70.0);
        EXPECT_EQ(p.at("V_th").get<double>(), -55.0);
        EXPECT_EQ(p.at("V_reset").get<double>(), -70.0);
        EXPECT_EQ(p.at("V_m").get<double>(), -70.0);
        EXPECT_EQ(p.at("tau_syn_ex").get<double>(), 0.5);
        EXPECT_EQ(p.at("tau_syn_in").get<double>(), 0.5);
    }
    const auto external = sonata::read_node_populations(net / "external_nodes.h5");
    ASSERT_EQ(external.size(), 1u);
    EXPECT_EQ(external[0].name, "external");
    ASSERT_EQ(external[0].size(), 50u);
    const auto etypes = sonata::TypeTable::read(net / "external_node_types.csv", "node_type_id");
    for (auto t : external[0].node_type_ids) EXPECT_EQ(etypes.get(t, "model_type"), "virtual");

    // Recurrent edges: exactly 16 E (type 100) and 4 I (type 101) per target.
    const auto rec_pops = sonata::read_edge_populations(net / "internal_internal_edges.h5");
    const auto& rec = only_edges(rec_pops);
    EXPECT_EQ(rec.name, "internal_to_internal");
    EXPECT_EQ(rec.source_population, "internal");
    EXPECT_EQ(rec.target_population, "internal");
    ASSERT_EQ(rec.size(), 4000u);
    expect_sorted_by_target_then_source(rec);
    const auto rec_counts = count_by_target(rec);
    ASSERT_EQ(rec_counts.size(), 200u);
    for (const auto& [t, c] : rec_counts) EXPECT_EQ(c, 20u) << "target " << t;
    std::map<std::uint64_t, int> n_exc_in;
    for (std::size_t i = 0; i < rec.size(); ++i) {
        ASSERT_LT(rec.source_ids[i], 200u);
        const bool exc = rec.source_ids[i] < 160;
        EXPECT_EQ(rec.edge_type_ids[i], exc ? 100 : 101) << i;
        if (exc) ++n_exc_in[rec.target_ids[i]];
    }
    for (const auto& [t, c] : n_exc_in) EXPECT_EQ(c, 16) << "target " << t;
    EXPECT_EQ(n_exc_in.size(), 200u);

    // Delays in group 0, on the 0.1 ms grid in [1, 3], both ends reached.
    ASSERT_TRUE(rec.groups.count(0));
    const auto& delay = rec.groups.at(0).attributes.at("delay");
    ASSERT_FALSE(delay.is_string);
    ASSERT_EQ(delay.size(), rec.size());
    std::vector<int> seen(31, 0);
    for (std::size_t i = 0; i < rec.size(); ++i) {
        const double d = delay.numbers[rec.group_indices[i]];
        ASSERT_GE(d, 1.0);
        ASSERT_LE(d, 3.0);
        const double tenths = std::round(d * 10.0);
        ASSERT_EQ(d, tenths / 10.0) << "delay " << d << " is not the double nearest to a 0.1 ms grid point";
        ++seen[static_cast<std::size_t>(tenths)];
    }
    for (int k = 10; k <= 30; ++k) EXPECT_GT(seen[static_cast<std::size_t>(k)], 0) << "delay " << k / 10.0;

    const auto rtypes = sonata::TypeTable::read(net / "internal_internal_edge_types.csv", "edge_type_id");
    EXPECT_EQ(rtypes.get_number(100, "syn_weight"), 600.0);  // 60 * 200 / 20
    EXPECT_EQ(rtypes.get_number(101, "syn_weight"), -3000.0);
    for (std::int64_t t : {100, 101}) {
        EXPECT_EQ(rtypes.get(t, "model_template"), "static_synapse");
        EXPECT_EQ(rtypes.get(t, "dynamics_params"), "static.json");
    }
    EXPECT_EQ(read_json(tmp.path() / "components" / "synaptic_models" / "static.json"), Json::object());
    check_index(net / "internal_internal_edges.h5", "internal_to_internal", rec, 200);

    // Input edges: 50 per target from the 50 virtual nodes.
    const auto inp_pops = sonata::read_edge_populations(net / "external_internal_edges.h5");
    const auto& inp = only_edges(inp_pops);
    EXPECT_EQ(inp.name, "external_to_internal");
    EXPECT_EQ(inp.source_population, "external");
    EXPECT_EQ(inp.target_population, "internal");
    ASSERT_EQ(inp.size(), 10000u);
    expect_sorted_by_target_then_source(inp);
    const auto inp_counts = count_by_target(inp);
    ASSERT_EQ(inp_counts.size(), 200u);
    for (const auto& [t, c] : inp_counts) EXPECT_EQ(c, 50u) << "target " << t;
    for (std::size_t i = 0; i < inp.size(); ++i) {
        ASSERT_LT(inp.source_ids[i], 50u);
        ASSERT_EQ(inp.edge_type_ids[i], 100);  // the first edge type of network "external"
    }
    const auto xtypes = sonata::TypeTable::read(net / "external_internal_edge_types.csv", "edge_type_id");
    EXPECT_EQ(xtypes.get_number(100, "syn_weight"), 340.0);
    EXPECT_EQ(xtypes.get_number(100, "delay"), 1.0);
    EXPECT_EQ(xtypes.get(100, "model_template"), "static_synapse");
    check_index(net / "external_internal_edges.h5", "external_to_internal", inp, 200);

    // Input spikes: sorted by time, 0 < t < tstop, on the dt grid, ~ 50 x 8 Hz x 1 s.
    const auto spikes = sonata::read_spikes_h5(tmp.path() / "inputs" / "external_spikes.h5");
    ASSERT_EQ(spikes.size(), 1u);
    ASSERT_TRUE(spikes.count("external"));
    const auto& sp = spikes.at("external");
    ASSERT_EQ(sp.timestamps.size(), sp.node_ids.size());
    EXPECT_EQ(sp.timestamps.size(), s.n_input_spikes);
    EXPECT_GT(sp.timestamps.size(), 300u);
    EXPECT_LT(sp.timestamps.size(), 500u);
    std::vector<int> per_node(50, 0);
    for (std::size_t i = 0; i < sp.timestamps.size(); ++i) {
        const double t = sp.timestamps[i];
        ASSERT_GT(t, 0.0);
        ASSERT_LT(t, o.tstop);
        ASSERT_EQ(t, std::round(t * 10.0) / 10.0) << t;
        if (i > 0) {
            ASSERT_LE(sp.timestamps[i - 1], t);
        }
        ASSERT_LT(sp.node_ids[i], 50u);
        ++per_node[sp.node_ids[i]];
    }
    EXPECT_TRUE(std::all_of(per_node.begin(), per_node.end(), [](int c) { return c > 0; }));

    // Configs.
    const Json cfg = read_json(tmp.path() / "config.json");
    EXPECT_EQ(cfg.at("network"), "${configdir}/circuit_config.json");
    EXPECT_EQ(cfg.at("simulation"), "${configdir}/simulation_config.json");
    const Json sim = read_json(tmp.path() / "simulation_config.json");
    EXPECT_EQ(sim.at("run").at("tstop").get<double>(), 1000.0);
    EXPECT_EQ(sim.at("run").at("dt").get<double>(), 0.1);
    const Json& input = sim.at("inputs").at("external_spikes");
    EXPECT_EQ(input.at("input_type"), "spikes");
    EXPECT_EQ(input.at("node_set"), "external");
    EXPECT_EQ(input.at("input_file"), "$INPUT_DIR/external_spikes.h5");
    EXPECT_EQ(sim.at("manifest").at("$INPUT_DIR"), "$BASE_DIR/inputs");
    EXPECT_EQ(sim.at("output").at("output_dir"), "$BASE_DIR/output");
    EXPECT_EQ(sim.at("output").at("spikes_file"), "spikes.h5");
    EXPECT_EQ(sim.at("output").at("log_file"), "log.txt");
    EXPECT_EQ(sim.at("output").at("spikes_sort_order"), "by_id");
    const Json circuit = read_json(tmp.path() / "circuit_config.json");
    EXPECT_EQ(circuit.at("manifest").at("$BASE_DIR"), "${configdir}");
    ASSERT_EQ(circuit.at("networks").at("nodes").size(), 2u);
    ASSERT_EQ(circuit.at("networks").at("edges").size(), 2u);
    for (const auto& n : circuit.at("networks").at("nodes")) {
        const std::string f = n.at("nodes_file");
        EXPECT_TRUE(fs::exists(net / fs::path(f).filename())) << f;
    }
    for (const auto& e : circuit.at("networks").at("edges")) {
        const std::string f = e.at("edges_file");
        EXPECT_TRUE(fs::exists(net / fs::path(f).filename())) << f;
    }
}

// --------------------------------------------------------------- determinism

struct Snapshot {
    std::vector<std::uint64_t> rec_src, inp_src;
    std::vector<double> delays, spike_times;
    std::vector<std::uint64_t> spike_ids;
};

Snapshot snapshot(const fs::path& dir) {
    Snapshot s;
    const fs::path net = dir / "network";
    auto rec = sonata::read_edge_populations(net / "internal_internal_edges.h5").at(0);
    s.rec_src = rec.source_ids;
    s.delays = rec.groups.at(0).attributes.at("delay").numbers;
    s.inp_src = sonata::read_edge_populations(net / "external_internal_edges.h5").at(0).source_ids;
    auto sp = sonata::read_spikes_h5(dir / "inputs" / "external_spikes.h5").at("external");
    s.spike_times = sp.timestamps;
    s.spike_ids = sp.node_ids;
    return s;
}

TEST(Generate, SameSeedSameCircuitDifferentSeedDifferentCircuit) {
    TempDir a, b, c;
    generate::generate_circuit(small_options(a.path(), 7));
    generate::generate_circuit(small_options(b.path(), 7));
    generate::generate_circuit(small_options(c.path(), 8));
    const auto sa = snapshot(a.path()), sb = snapshot(b.path()), sc = snapshot(c.path());
    EXPECT_EQ(sa.rec_src, sb.rec_src);
    EXPECT_EQ(sa.delays, sb.delays);
    EXPECT_EQ(sa.inp_src, sb.inp_src);
    EXPECT_EQ(sa.spike_times, sb.spike_times);
    EXPECT_EQ(sa.spike_ids, sb.spike_ids);
    EXPECT_NE(sa.rec_src, sc.rec_src);
    EXPECT_NE(sa.delays, sc.delays);
    EXPECT_NE(sa.inp_src, sc.inp_src);
    EXPECT_NE(sa.spike_times, sc.spike_times);
}

// The streams are independent: changing the input options leaves the
// recurrent edges alone.
TEST(Generate, RecurrentEdgesDoNotDependOnInputOptions) {
    TempDir a, b;
    auto oa = small_options(a.path(), 3);
    auto ob = small_options(b.path(), 3);
    ob.inputs_per_neuron = 7;
    ob.input_rate_hz = 20.0;
    generate::generate_circuit(oa);
    generate::generate_circuit(ob);
    const auto sa = snapshot(a.path()), sb = snapshot(b.path());
    EXPECT_EQ(sa.rec_src, sb.rec_src);
    EXPECT_EQ(sa.delays, sb.delays);
}

// Pins the generator's output for seed 1, so that a platform, library or code
// change that alters the streams is noticed (the files must not depend on
// the platform).
TEST(Generate, GoldenValuesForSeedOne) {
    TempDir tmp;
    generate::generate_circuit(small_options(tmp.path(), 1));
    const auto s = snapshot(tmp.path());
    std::uint64_t h = 1469598103934665603ULL;  // FNV-1a over the ids and the delays in tenths
    auto mix = [&](std::uint64_t v) { h = (h ^ v) * 1099511628211ULL; };
    for (auto v : s.rec_src) mix(v);
    for (auto d : s.delays) mix(static_cast<std::uint64_t>(std::llround(d * 10)));
    for (auto v : s.inp_src) mix(v);
    for (auto t : s.spike_times) mix(static_cast<std::uint64_t>(std::llround(t * 10)));
    for (auto v : s.spike_ids) mix(v);
    const char* print = std::getenv("POINTSIM_PRINT_GOLDEN");
    if (print) std::printf("golden hash: 0x%016llxULL, spikes %zu\n", static_cast<unsigned long long>(h), s.spike_times.size());
    EXPECT_EQ(h, 0x9495b67ea35ee4f8ULL) << "set POINTSIM_PRINT_GOLDEN=1 to print the new value";
    EXPECT_EQ(s.spike_times.size(), 375u);
}

// --------------------------------------------------------------- options and errors

ErrorKind kind_of(const std::function<void()>& f) {
    try {
        f();
    } catch (const Error& e) {
        return e.kind();
    }
    ADD_FAILURE() << "no pointsim::Error thrown";
    return ErrorKind::Input;
}

TEST(Generate, RejectsInvalidOptions) {
    TempDir tmp;
    auto o = small_options(tmp.path());
    o.n_neurons = 0;
    EXPECT_EQ(kind_of([&] { generate::generate_circuit(o); }), ErrorKind::Config);
    o = small_options(tmp.path());
    o.n_neurons = 2;  // both excitatory, but 4 inhibitory inputs wanted
    EXPECT_EQ(kind_of([&] { generate::generate_circuit(o); }), ErrorKind::Config);
    o = small_options(tmp.path());
    o.dt = 0.0005;
    EXPECT_EQ(kind_of([&] { generate::generate_circuit(o); }), ErrorKind::Config);
    o = small_options(tmp.path());
    o.input_rate_hz = -1;
    EXPECT_EQ(kind_of([&] { generate::generate_circuit(o); }), ErrorKind::Config);
}

TEST(Generate, OutputErrorWhenDirectoryIsAFile) {
    TempDir tmp;
    const fs::path file = tmp.path() / "not_a_dir";
    std::ofstream(file) << "x";
    auto o = small_options(file);
    EXPECT_EQ(kind_of([&] { generate::generate_circuit(o); }), ErrorKind::Output);
}

TEST(Generate, ZeroIndegreeAndNoInputRate) {
    TempDir tmp;
    auto o = small_options(tmp.path());
    o.n_neurons = 1;
    o.indegree = 0;
    o.input_rate_hz = 0;
    const auto s = generate::generate_circuit(o);
    EXPECT_EQ(s.n_virtual, 1u);
    EXPECT_EQ(s.n_edges_recurrent, 0u);
    EXPECT_EQ(s.n_input_spikes, 0u);
    const auto rec = sonata::read_edge_populations(tmp.path() / "network" / "internal_internal_edges.h5");
    EXPECT_EQ(rec.at(0).size(), 0u);
    const auto sp = sonata::read_spikes_h5(tmp.path() / "inputs" / "external_spikes.h5");
    EXPECT_EQ(sp.at("external").timestamps.size(), 0u);
}

}  // namespace
