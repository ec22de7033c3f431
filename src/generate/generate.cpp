#include "generate/generate.hpp"

#include <algorithm>
#include <array>
#include <charconv>
#include <cmath>
#include <fstream>
#include <limits>
#include <optional>
#include <random>
#include <string>
#include <system_error>
#include <utility>
#include <vector>

#include <H5Cpp.h>
#include <nlohmann/json.hpp>

#include "common/error.hpp"
#include "common/time.hpp"

namespace pointsim::generate {

namespace fs = std::filesystem;
using Json = nlohmann::ordered_json;

namespace {

// ------------------------------------------------------------------ layout
constexpr std::int64_t kExcType = 100, kInhType = 101, kVirtualType = 200;
constexpr std::uint32_t kExcEdgeType = 100, kInhEdgeType = 101, kInputEdgeType = 200;
constexpr const char* kInternal = "internal";
constexpr const char* kExternal = "external";
// Rows generated and written per HDF5 call: ~80 MB of edge buffers.
constexpr std::uint64_t kBlockRows = std::uint64_t{1} << 21;
// Delays 1.0, 1.1, ..., 3.0 ms: k / 10.0 is the double nearest to the decimal.
constexpr std::uint64_t kDelayLo = 10, kDelayHi = 30;  // in 0.1 ms

// round(0.8 n), halves up, without floating point.
std::uint64_t eighty_percent(std::uint64_t n) { return n / 5 * 4 + (n % 5 * 4 + 2) / 5; }

// ------------------------------------------------------------------ random
// Everything below is specified bit for bit (no implementation-defined
// distributions), so a seed gives the same circuit on every platform.
std::uint64_t splitmix64(std::uint64_t x) {
    x += 0x9E3779B97F4A7C15ULL;
    x = (x ^ (x >> 30)) * 0xBF58476D1CE4E5B9ULL;
    x = (x ^ (x >> 27)) * 0x94D049BB133111EBULL;
    return x ^ (x >> 31);
}

// One independent engine per purpose, so adding draws to one stream never
// shifts another.
enum class Stream : std::uint64_t { recurrent = 1, input = 2, spikes = 3 };
std::mt19937_64 make_engine(std::uint64_t seed, Stream s) {
    return std::mt19937_64(splitmix64(splitmix64(seed) ^ static_cast<std::uint64_t>(s)));
}

// High and low words of a 64 x 64 -> 128-bit product.
inline std::uint64_t mul_hi_lo(std::uint64_t a, std::uint64_t b, std::uint64_t& lo) {
#if defined(__SIZEOF_INT128__)
    __extension__ typedef unsigned __int128 u128;  // GCC/Clang; __extension__ keeps -Wpedantic quiet
    const u128 m = static_cast<u128>(a) * b;
    lo = static_cast<std::uint64_t>(m);
    return static_cast<std::uint64_t>(m >> 64);
#else
    const std::uint64_t a0 = a & 0xFFFFFFFFu, a1 = a >> 32, b0 = b & 0xFFFFFFFFu, b1 = b >> 32;
    const std::uint64_t p00 = a0 * b0, p01 = a0 * b1, p10 = a1 * b0, p11 = a1 * b1;
    const std::uint64_t mid = (p00 >> 32) + (p01 & 0xFFFFFFFFu) + (p10 & 0xFFFFFFFFu);
    lo = (mid << 32) | (p00 & 0xFFFFFFFFu);
    return p11 + (p01 >> 32) + (p10 >> 32) + (mid >> 32);
#endif
}

// Uniform integer in [0, n), n >= 1: Lemire's nearly divisionless method.
inline std::uint64_t uniform_below(std::mt19937_64& rng, std::uint64_t n) {
    std::uint64_t lo;
    std::uint64_t hi = mul_hi_lo(rng(), n, lo);
    if (lo < n) {
        const std::uint64_t threshold = (0 - n) % n;
        while (lo < threshold) hi = mul_hi_lo(rng(), n, lo);
    }
    return hi;
}

// Uniform in [0, 1) with 53 random bits.
inline double uniform01(std::mt19937_64& rng) { return static_cast<double>(rng() >> 11) * 0x1.0p-53; }

// Exponential interval with the given rate (1 - u is exact, never 0).
inline double exponential(std::mt19937_64& rng, double rate) { return -std::log(1.0 - uniform01(rng)) / rate; }

// ------------------------------------------------------------------ text files
// Shortest text that reads back as the same double; integers keep a ".0".
std::string fmt(double v) {
    char buf[64];
    const auto r = std::to_chars(buf, buf + sizeof buf, v);
    std::string s(buf, r.ptr);
    if (std::isfinite(v) && s.find_first_of(".e") == std::string::npos) s += ".0";
    return s;
}

void make_dir(const fs::path& dir) {
    std::error_code ec;
    fs::create_directories(dir, ec);
    if (ec || !fs::is_directory(dir))
        throw output_error("cannot create directory '" + dir.string() + "': " +
                           (ec ? ec.message() : std::string("a file of that name exists")));
}

void write_text(const fs::path& file, const std::string& text) {
    std::ofstream out(file, std::ios::binary | std::ios::trunc);
    if (out) out << text;
    if (out) out.close();
    if (!out) throw output_error("cannot write '" + file.string() + "'");
}

void write_json(const fs::path& file, const Json& doc) { write_text(file, doc.dump(2) + "\n"); }

// ------------------------------------------------------------------ HDF5
// The innermost HDF5 message (the OS reason for a failed create, say).
std::string h5_reason(const H5::Exception& e) {
    std::string reason;
    auto take_first = [](unsigned, const H5E_error2_t* err, void* out) -> herr_t {
        auto* s = static_cast<std::string*>(out);
        if (s->empty() && err->desc != nullptr) *s = err->desc;
        return 0;
    };
    H5Ewalk2(H5E_DEFAULT, H5E_WALK_UPWARD, take_first, &reason);
    const std::string key = "error message = '";
    if (auto p = reason.find(key); p != std::string::npos) {
        const auto start = p + key.size();
        if (auto end = reason.find('\'', start); end != std::string::npos) return reason.substr(start, end - start);
    }
    if (!reason.empty()) return reason;
    return e.getFuncName() + ": " + e.getDetailMsg();
}

// Runs body(); an HDF5 failure becomes Error(Output) naming the file.
template <class Body>
void with_h5_errors(const fs::path& file, Body&& body) {
    H5::Exception::dontPrint();
    try {
        std::forward<Body>(body)();
    } catch (const H5::Exception& e) {
        throw output_error("cannot write '" + file.string() + "': " + h5_reason(e));
    }
}

// Scalar variable-length UTF-8 string attribute, as h5py writes them.
void write_string_attr(const H5::H5Object& obj, const std::string& name, const std::string& value) {
    H5::StrType type(H5::PredType::C_S1, H5T_VARIABLE);
    type.setCset(H5T_CSET_UTF8);
    H5::Attribute attr = obj.createAttribute(name, type, H5::DataSpace(H5S_SCALAR));
    attr.write(type, value);
}

// SONATA root attributes: magic 0x0A7A and version {0, 1}.
void write_root_attrs(const H5::H5File& file) {
    const std::uint32_t magic = 0x0A7A;
    file.createAttribute("magic", H5::PredType::STD_U32LE, H5::DataSpace(H5S_SCALAR))
        .write(H5::PredType::NATIVE_UINT32, &magic);
    const std::uint32_t version[2] = {0, 1};
    const hsize_t dims[1] = {2};
    file.createAttribute("version", H5::PredType::STD_U32LE, H5::DataSpace(1, dims))
        .write(H5::PredType::NATIVE_UINT32, version);
}

template <class T> const H5::PredType& native();
template <> const H5::PredType& native<std::uint64_t>() { return H5::PredType::NATIVE_UINT64; }
template <> const H5::PredType& native<std::uint32_t>() { return H5::PredType::NATIVE_UINT32; }
template <> const H5::PredType& native<std::uint16_t>() { return H5::PredType::NATIVE_UINT16; }
template <> const H5::PredType& native<double>() { return H5::PredType::NATIVE_DOUBLE; }

// A contiguous dataset of `rows` x `cols` (cols 0: 1-D), filled later by
// hyperslab writes; no fill value is ever written.
H5::DataSet create_dataset(const H5::Group& g, const std::string& name, const H5::PredType& file_type,
                           std::uint64_t rows, std::uint64_t cols = 0) {
    const hsize_t dims[2] = {static_cast<hsize_t>(rows), static_cast<hsize_t>(cols)};
    H5::DSetCreatPropList props;
    props.setFillTime(H5D_FILL_TIME_NEVER);
    return g.createDataSet(name, file_type, H5::DataSpace(cols ? 2 : 1, dims), props);
}

// Writes rows [first, first + n) of a dataset from `data` (row-major).
template <class T>
void write_rows(const H5::DataSet& ds, const T* data, std::uint64_t first, std::uint64_t n) {
    if (n == 0) return;
    H5::DataSpace file_space = ds.getSpace();
    const int rank = file_space.getSimpleExtentNdims();
    hsize_t dims[2] = {0, 0};
    file_space.getSimpleExtentDims(dims);
    const hsize_t start[2] = {static_cast<hsize_t>(first), 0};
    const hsize_t count[2] = {static_cast<hsize_t>(n), dims[1]};
    file_space.selectHyperslab(H5S_SELECT_SET, count, start);
    H5::DataSpace mem_space(rank, count);
    ds.write(data, native<T>(), mem_space, file_space);
}

// A 1-D dataset whose row r holds value(r), written block by block.
template <class T, class Value>
void write_generated(const H5::Group& g, const std::string& name, const H5::PredType& file_type,
                     std::uint64_t rows, Value&& value) {
    const H5::DataSet ds = create_dataset(g, name, file_type, rows);
    std::vector<T> buf(static_cast<std::size_t>(std::min(rows, kBlockRows)));
    for (std::uint64_t first = 0; first < rows; first += kBlockRows) {
        const std::uint64_t n = std::min(kBlockRows, rows - first);
        for (std::uint64_t i = 0; i < n; ++i) buf[i] = value(first + i);
        write_rows(ds, buf.data(), first, n);
    }
}

// ------------------------------------------------------------------ nodes
// /nodes/<pop>/{node_id, node_type_id, node_group_id, node_group_index} and
// an empty group "0": every attribute comes from the node types CSV.
template <class TypeOf>
void write_nodes(const fs::path& file, const std::string& pop, std::uint64_t n, TypeOf&& type_of) {
    with_h5_errors(file, [&] {
        H5::H5File h5(file.string(), H5F_ACC_TRUNC);
        write_root_attrs(h5);
        H5::Group nodes = h5.createGroup("nodes");
        H5::Group p = nodes.createGroup(pop);
        p.createGroup("0");
        write_generated<std::uint64_t>(p, "node_id", H5::PredType::STD_U64LE, n, [](std::uint64_t r) { return r; });
        write_generated<std::uint64_t>(p, "node_type_id", H5::PredType::STD_U64LE, n, type_of);
        write_generated<std::uint32_t>(p, "node_group_id", H5::PredType::STD_U32LE, n,
                                       [](std::uint64_t) { return std::uint32_t{0}; });
        write_generated<std::uint64_t>(p, "node_group_index", H5::PredType::STD_U64LE, n,
                                       [](std::uint64_t r) { return r; });
        h5.close();
    });
}

// ------------------------------------------------------------------ edges
// The edges of one target, as `fill` produces them, sorted by source.
struct TargetEdges {
    std::uint64_t* source;
    std::uint32_t* type;
    double* delay;  // null when the file stores no delays
};

// Writes /edges/<pop> with `per_target` edges for each of `n_targets`
// targets (rows target-major), generated and written block by block.
// fill(target, TargetEdges) writes one target's sources, types and delays.
template <class Fill>
void write_edges(const fs::path& file, const std::string& pop, const std::string& source_pop,
                 const std::string& target_pop, std::uint64_t n_targets, std::uint64_t per_target,
                 bool with_delay, Fill&& fill) {
    with_h5_errors(file, [&] {
        const std::uint64_t n_edges = n_targets * per_target;
        H5::H5File h5(file.string(), H5F_ACC_TRUNC);
        write_root_attrs(h5);
        H5::Group edges = h5.createGroup("edges");
        H5::Group p = edges.createGroup(pop);
        H5::Group g0 = p.createGroup("0");

        H5::DataSet src = create_dataset(p, "source_node_id", H5::PredType::STD_U64LE, n_edges);
        write_string_attr(src, "node_population", source_pop);
        H5::DataSet tgt = create_dataset(p, "target_node_id", H5::PredType::STD_U64LE, n_edges);
        write_string_attr(tgt, "node_population", target_pop);
        H5::DataSet type = create_dataset(p, "edge_type_id", H5::PredType::STD_U32LE, n_edges);
        H5::DataSet gid = create_dataset(p, "edge_group_id", H5::PredType::STD_U16LE, n_edges);
        H5::DataSet gidx = create_dataset(p, "edge_group_index", H5::PredType::STD_U64LE, n_edges);
        std::optional<H5::DataSet> delay;
        if (with_delay) delay = create_dataset(g0, "delay", H5::PredType::IEEE_F64LE, n_edges);

        if (n_edges > 0) {
            const std::uint64_t targets_per_block = std::max<std::uint64_t>(1, kBlockRows / per_target);
            const auto cap = static_cast<std::size_t>(std::min(n_targets, targets_per_block) * per_target);
            std::vector<std::uint64_t> b_src(cap), b_tgt(cap), b_idx(cap);
            std::vector<std::uint32_t> b_type(cap);
            std::vector<std::uint16_t> b_gid(cap, 0);
            std::vector<double> b_delay(with_delay ? cap : 0);
            for (std::uint64_t t0 = 0; t0 < n_targets; t0 += targets_per_block) {
                const std::uint64_t nt = std::min(targets_per_block, n_targets - t0);
                const std::uint64_t first = t0 * per_target, n = nt * per_target;
                for (std::uint64_t i = 0; i < nt; ++i) {
                    const std::size_t at = static_cast<std::size_t>(i * per_target);
                    fill(t0 + i, TargetEdges{b_src.data() + at, b_type.data() + at,
                                             with_delay ? b_delay.data() + at : nullptr});
                    std::fill_n(b_tgt.begin() + static_cast<std::ptrdiff_t>(at), per_target, t0 + i);
                }
                for (std::uint64_t i = 0; i < n; ++i) b_idx[i] = first + i;
                write_rows(src, b_src.data(), first, n);
                write_rows(tgt, b_tgt.data(), first, n);
                write_rows(type, b_type.data(), first, n);
                write_rows(gid, b_gid.data(), first, n);
                write_rows(gidx, b_idx.data(), first, n);
                if (delay) write_rows(*delay, b_delay.data(), first, n);
            }
        }

        // One contiguous range of edges per target.
        H5::Group indices = p.createGroup("indices");
        H5::Group t2s = indices.createGroup("target_to_source");
        const std::uint64_t n_ranges = per_target > 0 ? n_targets : 0;
        H5::DataSet id_to_range = create_dataset(t2s, "node_id_to_range", H5::PredType::STD_U64LE, n_targets, 2);
        H5::DataSet range_to_edge = create_dataset(t2s, "range_to_edge_id", H5::PredType::STD_U64LE, n_ranges, 2);
        std::vector<std::uint64_t> a(static_cast<std::size_t>(2 * std::min(n_targets, kBlockRows)));
        std::vector<std::uint64_t> b(a.size());
        for (std::uint64_t t0 = 0; t0 < n_targets; t0 += kBlockRows) {
            const std::uint64_t nt = std::min(kBlockRows, n_targets - t0);
            for (std::uint64_t i = 0; i < nt; ++i) {
                const std::uint64_t t = t0 + i;
                a[2 * i] = per_target > 0 ? t : 0;
                a[2 * i + 1] = per_target > 0 ? t + 1 : 0;
                b[2 * i] = t * per_target;
                b[2 * i + 1] = (t + 1) * per_target;
            }
            write_rows(id_to_range, a.data(), t0, nt);
            if (n_ranges > 0) write_rows(range_to_edge, b.data(), t0, nt);
        }
        h5.close();
    });
}

// ------------------------------------------------------------------ spikes
struct Spike {
    std::uint64_t step, node;
    bool operator<(const Spike& o) const { return step != o.step ? step < o.step : node < o.node; }
};

// Poisson trains of the virtual nodes, moved up to the dt grid, sorted by (time, node).
std::vector<Spike> poisson_spikes(std::uint64_t seed, std::uint64_t n_nodes, double rate_hz, double tstop,
                                  const TimeGrid& grid) {
    std::vector<Spike> spikes;
    if (rate_hz <= 0.0) return spikes;
    const double rate = rate_hz / 1000.0;  // per ms
    const double step_ms = grid.ms_per_step();
    auto rng = make_engine(seed, Stream::spikes);
    const double expected = static_cast<double>(n_nodes) * rate * tstop;
    if (expected < 1e9) spikes.reserve(static_cast<std::size_t>(expected * 1.05 + 16));
    for (std::uint64_t node = 0; node < n_nodes; ++node) {
        double t = 0.0;
        for (;;) {
            t += exponential(rng, rate);
            if (!(t < tstop)) break;
            // The first grid point not before t (NEST's stamp for a precise time).
            auto step = static_cast<std::uint64_t>(std::ceil(t / step_ms));
            if (step == 0) step = 1;
            if (!(grid.step_to_ms(static_cast<Step>(step)) < tstop)) break;
            spikes.push_back({step, node});
        }
    }
    std::sort(spikes.begin(), spikes.end());
    return spikes;
}

void write_spikes(const fs::path& file, const std::string& pop, const std::vector<Spike>& spikes,
                  const TimeGrid& grid) {
    with_h5_errors(file, [&] {
        H5::H5File h5(file.string(), H5F_ACC_TRUNC);
        H5::Group root = h5.createGroup("spikes");
        H5::Group p = root.createGroup(pop);
        write_string_attr(p, "sorting", "by_time");
        const auto n = static_cast<std::uint64_t>(spikes.size());
        write_generated<double>(p, "timestamps", H5::PredType::IEEE_F64LE, n, [&](std::uint64_t i) {
            return grid.step_to_ms(static_cast<Step>(spikes[static_cast<std::size_t>(i)].step));
        });
        write_string_attr(p.openDataSet("timestamps"), "units", "ms");
        write_generated<std::uint64_t>(p, "node_ids", H5::PredType::STD_U64LE, n,
                                       [&](std::uint64_t i) { return spikes[static_cast<std::size_t>(i)].node; });
        h5.close();
    });
}

// ------------------------------------------------------------------ components and configs
void write_components(const fs::path& out) {
    const fs::path cells = out / "components" / "cell_models";
    const fs::path synapses = out / "components" / "synaptic_models";
    make_dir(cells);
    make_dir(synapses);
    auto cell = [](double tau_m, double t_ref) {
        Json j;
        j["tau_m"] = tau_m;
        j["C_m"] = 250.0;
        j["t_ref"] = t_ref;
        j["E_L"] = -70.0;
        j["V_th"] = -55.0;
        j["V_reset"] = -70.0;
        j["V_m"] = -70.0;
        j["tau_syn_ex"] = 0.5;
        j["tau_syn_in"] = 0.5;
        return j;
    };
    write_json(cells / "iaf_psc_alpha_exc.json", cell(20.0, 2.0));
    write_json(cells / "iaf_psc_alpha_inh.json", cell(10.0, 1.0));
    write_json(synapses / "static.json", Json::object());
}

void write_type_tables(const fs::path& net, const Options& o) {
    write_text(net / "internal_node_types.csv",
               "node_type_id model_type model_template dynamics_params ei pop_name\n" + std::to_string(kExcType) +
                   " point_process nest:iaf_psc_alpha iaf_psc_alpha_exc.json e exc\n" + std::to_string(kInhType) +
                   " point_process nest:iaf_psc_alpha iaf_psc_alpha_inh.json i inh\n");
    write_text(net / "external_node_types.csv",
               "node_type_id model_type ei pop_name\n" + std::to_string(kVirtualType) + " virtual e external\n");
    const double j_exc = 60.0 * 200.0 / static_cast<double>(o.indegree == 0 ? 1 : o.indegree);
    write_text(net / "internal_internal_edge_types.csv",
               "edge_type_id target_query source_query syn_weight dynamics_params model_template\n" +
                   std::to_string(kExcEdgeType) + " * ei=='e' " + fmt(j_exc) + " static.json static_synapse\n" +
                   std::to_string(kInhEdgeType) + " * ei=='i' " + fmt(-5.0 * j_exc) + " static.json static_synapse\n");
    write_text(net / "external_internal_edge_types.csv",
               "edge_type_id target_query source_query syn_weight delay dynamics_params model_template\n" +
                   std::to_string(kInputEdgeType) + " * * " + fmt(o.input_weight) +
                   " 1.0 static.json static_synapse\n");
}

void write_configs(const fs::path& out, const Options& o) {
    Json circuit;
    circuit["manifest"] = {{"$BASE_DIR", "${configdir}"},
                           {"$NETWORK_DIR", "$BASE_DIR/network"},
                           {"$COMPONENTS_DIR", "$BASE_DIR/components"}};
    circuit["components"] = {{"point_neuron_models_dir", "$COMPONENTS_DIR/cell_models"},
                             {"synaptic_models_dir", "$COMPONENTS_DIR/synaptic_models"}};
    auto nodes = [](const std::string& pop) {
        return Json{{"nodes_file", "$NETWORK_DIR/" + pop + "_nodes.h5"},
                    {"node_types_file", "$NETWORK_DIR/" + pop + "_node_types.csv"}};
    };
    auto edges = [](const std::string& src, const std::string& tgt) {
        return Json{{"edges_file", "$NETWORK_DIR/" + src + "_" + tgt + "_edges.h5"},
                    {"edge_types_file", "$NETWORK_DIR/" + src + "_" + tgt + "_edge_types.csv"}};
    };
    circuit["networks"] = {{"nodes", Json::array({nodes(kInternal), nodes(kExternal)})},
                           {"edges", Json::array({edges(kInternal, kInternal), edges(kExternal, kInternal)})}};
    write_json(out / "circuit_config.json", circuit);

    Json sim;
    sim["manifest"] = {{"$BASE_DIR", "${configdir}"}, {"$INPUT_DIR", "$BASE_DIR/inputs"}};
    sim["target_simulator"] = "NEST";
    sim["run"] = {{"tstart", 0.0}, {"tstop", o.tstop}, {"dt", o.dt}};
    sim["inputs"] = {{"external_spikes",
                      {{"input_type", "spikes"},
                       {"module", "sonata"},
                       {"input_file", "$INPUT_DIR/external_spikes.h5"},
                       {"node_set", kExternal}}}};
    sim["output"] = {{"output_dir", "$BASE_DIR/output"},
                     {"log_file", "log.txt"},
                     {"spikes_file", "spikes.h5"},
                     {"spikes_sort_order", "by_id"}};
    // V_m of five cells spread over the population (and so over MPI ranks).
    Json cells = Json::array();
    for (std::uint64_t k = 0; k < 5; ++k) {
        const std::uint64_t id = k * (o.n_neurons - 1) / 4;
        if (cells.empty() || cells.back().get<std::uint64_t>() != id) cells.push_back(id);
    }
    sim["reports"] = {{"membrane_potential",
                       {{"module", "membrane_report"},
                        {"variable_name", "V_m"},
                        {"cells", {{"population", kInternal}, {"node_id", cells}}}}}};
    write_json(out / "simulation_config.json", sim);

    write_json(out / "config.json", Json{{"network", "${configdir}/circuit_config.json"},
                                         {"simulation", "${configdir}/simulation_config.json"}});
}

// ------------------------------------------------------------------ checks
TimeGrid check_options(const Options& o) {
    const std::string where = "generate";
    if (o.out_dir.empty()) throw config_error(where + ": no output directory given");
    if (o.n_neurons == 0) throw config_error(where + ": the number of neurons must be at least 1");
    if (!std::isfinite(o.tstop) || o.tstop <= 0)
        throw config_error(where + ": tstop = " + fmt(o.tstop) + " ms must be a positive number");
    TimeGrid grid = TimeGrid::make(o.dt, o.tstop, where);
    if (!std::isfinite(o.input_rate_hz) || o.input_rate_hz < 0)
        throw config_error(where + ": input rate " + fmt(o.input_rate_hz) + " Hz must be a non-negative number");
    if (!std::isfinite(o.input_weight))
        throw config_error(where + ": input weight " + fmt(o.input_weight) + " pA must be a finite number");
    const std::uint64_t max = std::numeric_limits<std::uint64_t>::max() / 64;
    if ((o.indegree != 0 && o.n_neurons > max / o.indegree) ||
        (o.inputs_per_neuron != 0 && o.n_neurons > max / o.inputs_per_neuron))
        throw config_error(where + ": too many edges (" + std::to_string(o.n_neurons) + " neurons)");
    const std::uint64_t n_exc = eighty_percent(o.n_neurons), k_exc = eighty_percent(o.indegree);
    if (k_exc > 0 && n_exc == 0)
        throw config_error(where + ": " + std::to_string(k_exc) +
                           " excitatory inputs per neuron, but the network has no excitatory neuron");
    if (o.indegree - k_exc > 0 && o.n_neurons - n_exc == 0)
        throw config_error(where + ": " + std::to_string(o.indegree - k_exc) + " inhibitory inputs per neuron, but " +
                           std::to_string(o.n_neurons) + " neuron(s) are all excitatory (need at least 3)");
    return grid;
}

}  // namespace

Summary generate_circuit(const Options& o) {
    const TimeGrid grid = check_options(o);
    const std::uint64_t n = o.n_neurons, n_exc = eighty_percent(n), n_inh = n - n_exc;
    const std::uint64_t k = o.indegree, k_exc = eighty_percent(k);
    const std::uint64_t n_virtual = std::max<std::uint64_t>(1, n / 4);

    const fs::path& out = o.out_dir;
    const fs::path net = out / "network", inputs = out / "inputs";
    make_dir(net);
    make_dir(inputs);
    write_components(out);
    write_type_tables(net, o);

    write_nodes(net / "internal_nodes.h5", kInternal, n,
                [&](std::uint64_t r) { return static_cast<std::uint64_t>(r < n_exc ? kExcType : kInhType); });
    write_nodes(net / "external_nodes.h5", kExternal, n_virtual,
                [](std::uint64_t) { return static_cast<std::uint64_t>(kVirtualType); });

    // Recurrent: per target, k_exc E sources then k - k_exc I sources (each
    // part sorted, E ids < I ids), then one delay per edge in that order.
    {
        auto rng = make_engine(o.seed, Stream::recurrent);
        std::array<double, kDelayHi - kDelayLo + 1> delays{};
        for (std::uint64_t i = 0; i < delays.size(); ++i) delays[i] = static_cast<double>(kDelayLo + i) / 10.0;
        write_edges(net / "internal_internal_edges.h5", "internal_to_internal", kInternal, kInternal, n, k, true,
                    [&](std::uint64_t, TargetEdges e) {
                        for (std::uint64_t i = 0; i < k_exc; ++i) e.source[i] = uniform_below(rng, n_exc);
                        for (std::uint64_t i = k_exc; i < k; ++i) e.source[i] = n_exc + uniform_below(rng, n_inh);
                        std::sort(e.source, e.source + k_exc);
                        std::sort(e.source + k_exc, e.source + k);
                        std::fill(e.type, e.type + k_exc, kExcEdgeType);
                        std::fill(e.type + k_exc, e.type + k, kInhEdgeType);
                        for (std::uint64_t i = 0; i < k; ++i) e.delay[i] = delays[uniform_below(rng, delays.size())];
                    });
    }
    {
        auto rng = make_engine(o.seed, Stream::input);
        const std::uint64_t p = o.inputs_per_neuron;
        write_edges(net / "external_internal_edges.h5", "external_to_internal", kExternal, kInternal, n, p, false,
                    [&](std::uint64_t, TargetEdges e) {
                        for (std::uint64_t i = 0; i < p; ++i) e.source[i] = uniform_below(rng, n_virtual);
                        std::sort(e.source, e.source + p);
                        std::fill(e.type, e.type + p, kInputEdgeType);
                    });
    }

    const auto spikes = poisson_spikes(o.seed, n_virtual, o.input_rate_hz, o.tstop, grid);
    write_spikes(inputs / "external_spikes.h5", kExternal, spikes, grid);

    write_configs(out, o);

    Summary s;
    s.n_neurons = n;
    s.n_virtual = n_virtual;
    s.n_edges_recurrent = n * k;
    s.n_edges_input = n * o.inputs_per_neuron;
    s.n_input_spikes = spikes.size();
    return s;
}

}  // namespace pointsim::generate
