// SONATA report files (src/output/report_writer.cpp writes them) read back
// for trace plots: /report/<pop>/data [samples x cells], mapping/node_ids,
// mapping/time = [first sample, last sample, interval] (ms).
#include <H5Cpp.h>

#include <algorithm>
#include <cstring>
#include <set>

#include "common/error.hpp"
#include "plot/data.hpp"

namespace pointsim::plot::detail {

namespace {

constexpr std::size_t kDefaultTraces = 10;
constexpr std::size_t kBlockBytes = std::size_t{1} << 22;

std::vector<std::string> variables_of(const nlohmann::json& params) {
    std::vector<std::string> out;
    const auto it = params.find("variable_name");
    if (it == params.end()) return out;
    if (it->is_string()) out.push_back(it->get<std::string>());
    else if (it->is_array())
        for (const auto& v : *it)
            if (v.is_string()) out.push_back(v.get<std::string>());
    return out;
}

bool has_suffix(const std::string& s, const std::string& suffix) {
    return s.size() > suffix.size() && s.compare(s.size() - suffix.size(), suffix.size(), suffix) == 0;
}

// The file a report's variable is written to, as src/app/reports.cpp names it.
fs::path report_file(const config::SimulationConfig& cfg, const config::Section& rep, const std::string& variable,
                     std::size_t n_variables) {
    const std::string file = rep.params.value("file_name", rep.name);
    bool has_ext = false;
    for (const char* ext : {".h5", ".hdf", ".hdf5"}) has_ext = has_ext || has_suffix(file, ext);
    const std::string stem = has_ext ? file.substr(0, file.rfind('.')) : file;
    const std::string ext = has_ext ? file.substr(file.rfind('.')) : ".h5";
    const std::string name = n_variables == 1 ? stem + ext : stem + "_" + variable + ext;
    return fs::path(name).is_absolute() ? fs::path(name) : cfg.output.output_dir / name;
}

struct PopulationData {
    std::string name;
    std::vector<std::uint64_t> node_ids;
    double t_start = 0, interval = 1;
    std::size_t n_samples = 0;
    std::string units;
};

std::string string_attribute(const H5::DataSet& ds, const char* name) {
    if (!ds.attrExists(name)) return {};
    H5::Attribute a = ds.openAttribute(name);
    H5::DataType type = a.getDataType();
    if (type.getClass() != H5T_STRING) return {};
    std::string value;
    a.read(a.getStrType(), value);
    return value;
}

// Keeps every sample of a short trace; of a long one, the min and max of
// each bucket of consecutive samples, in sample order.
class Reducer {
public:
    Reducer(std::size_t n, std::size_t buckets, double t_start, double interval, Trace& out)
        : n_(n), buckets_(std::max<std::size_t>(1, buckets)), t0_(t_start), dt_(interval), out_(out) {
        const std::size_t expected = std::min(n_, 2 * buckets_);
        out_.times.reserve(expected);
        out_.values.reserve(expected);
    }
    void add(std::size_t i, double v) {
        if (n_ <= 2 * buckets_) return emit(i, v);
        // Monotonic in i (rounding cannot reorder), which is all the buckets need.
        const auto b = static_cast<std::size_t>(static_cast<double>(i) * static_cast<double>(buckets_) / static_cast<double>(n_));
        if (b != bucket_) {
            flush();
            bucket_ = b;
            lo_ = hi_ = {i, v};
            return;
        }
        if (v < lo_.second) lo_ = {i, v};
        if (v > hi_.second) hi_ = {i, v};
    }
    void flush() {
        if (bucket_ == kNone) return;
        const auto& first = lo_.first <= hi_.first ? lo_ : hi_;
        const auto& second = lo_.first <= hi_.first ? hi_ : lo_;
        emit(first.first, first.second);
        if (second.first != first.first) emit(second.first, second.second);
        bucket_ = kNone;
    }

private:
    void emit(std::size_t i, double v) {
        out_.times.push_back(t0_ + static_cast<double>(i) * dt_);
        out_.values.push_back(v);
    }
    static constexpr std::size_t kNone = ~std::size_t{0};
    std::size_t n_, buckets_;
    double t0_, dt_;
    Trace& out_;
    std::size_t bucket_ = kNone;
    std::pair<std::size_t, double> lo_, hi_;
};

}  // namespace

Report read_report(const config::SimulationConfig& cfg, const std::string& name,
                   const std::vector<std::uint64_t>& node_ids, std::size_t buckets) {
    const std::string config = cfg.config_path.string();
    const std::string variable = "V_m";
    const config::Section* rep = nullptr;
    if (!name.empty()) {
        std::string names;
        for (const auto& r : cfg.reports) {
            if (r.name == name) rep = &r;
            names += (names.empty() ? "" : ", ") + r.name;
        }
        if (!rep)
            throw config_error("plot: " + config + " has no enabled report named '" + name + "' (reports: " +
                               (names.empty() ? "none" : names) + ")");
        const auto vars = variables_of(rep->params);
        if (std::find(vars.begin(), vars.end(), variable) == vars.end())
            throw config_error("plot: " + config + ": reports." + name + " does not record " + variable);
    } else {
        for (const auto& r : cfg.reports) {
            const auto vars = variables_of(r.params);
            if (r.params.value("module", "") != "weight_recorder" &&
                std::find(vars.begin(), vars.end(), variable) != vars.end()) {
                rep = &r;
                break;
            }
        }
        if (!rep) throw config_error("plot: " + config + " has no report recording " + variable + ": no traces to plot");
    }

    Report out;
    out.name = rep->name;
    out.variable = variable;
    out.file = report_file(cfg, *rep, variable, variables_of(rep->params).size());
    const std::string file = out.file.string();
    if (!fs::exists(out.file))
        throw input_error(file + ": report file not found (reports." + rep->name + " of " + config +
                          "; has the simulation been run?)");

    std::string where = "/report";
    try {
        H5::Exception::dontPrint();
        H5::H5File h5(file, H5F_ACC_RDONLY);
        if (!h5.nameExists("report")) throw input_error(file + ": /report: required group is missing");
        H5::Group report = h5.openGroup("report");
        std::vector<PopulationData> pops;
        for (hsize_t i = 0; i < report.getNumObjs(); ++i) {
            PopulationData p;
            p.name = report.getObjnameByIdx(i);
            where = "/report/" + p.name;
            if (report.childObjType(p.name) != H5O_TYPE_GROUP) continue;
            H5::Group g = report.openGroup(p.name);
            for (const char* required : {"data", "mapping/node_ids", "mapping/time"})
                if (!g.nameExists("mapping") || !g.nameExists(required))
                    throw input_error(file + ": " + where + "/" + required + ": required dataset is missing");
            where = "/report/" + p.name + "/mapping/node_ids";
            H5::DataSet ids = g.openDataSet("mapping/node_ids");
            const hssize_t n_ids = ids.getSpace().getSimpleExtentNpoints();
            if (ids.getSpace().getSimpleExtentNdims() != 1 || ids.getTypeClass() != H5T_INTEGER)
                throw input_error(file + ": " + where + ": expected a 1-D integer dataset");
            p.node_ids.resize(static_cast<std::size_t>(n_ids));
            if (n_ids > 0) ids.read(p.node_ids.data(), H5::PredType::NATIVE_UINT64);
            where = "/report/" + p.name + "/mapping/time";
            H5::DataSet time = g.openDataSet("mapping/time");
            if (time.getSpace().getSimpleExtentNpoints() != 3 || time.getTypeClass() != H5T_FLOAT)
                throw input_error(file + ": " + where + ": expected [start, stop, interval] in ms");
            double t[3];
            time.read(t, H5::PredType::NATIVE_DOUBLE);
            if (!(t[2] > 0)) throw input_error(file + ": " + where + ": the interval must be positive");
            p.t_start = t[0];
            p.interval = t[2];
            where = "/report/" + p.name + "/data";
            H5::DataSet data = g.openDataSet("data");
            H5::DataSpace space = data.getSpace();
            hsize_t dims[2] = {0, 0};
            if (space.getSimpleExtentNdims() != 2 ||
                (data.getTypeClass() != H5T_FLOAT && data.getTypeClass() != H5T_INTEGER))
                throw input_error(file + ": " + where + ": expected a 2-D numeric dataset [samples x cells]");
            space.getSimpleExtentDims(dims);
            if (dims[1] != p.node_ids.size())
                throw input_error(file + ": " + where + ": " + std::to_string(dims[1]) + " columns but " +
                                  std::to_string(p.node_ids.size()) + " node ids in mapping/node_ids");
            p.n_samples = static_cast<std::size_t>(dims[0]);
            p.units = string_attribute(data, "units");
            pops.push_back(std::move(p));
        }
        if (pops.empty()) throw input_error(file + ": /report: no population in the report");
        out.several_populations = pops.size() > 1;
        out.units = pops[0].units;

        // The columns to plot, per population.
        std::vector<std::vector<std::size_t>> columns(pops.size());  // wanted columns per population
        std::vector<std::pair<std::size_t, std::size_t>> order;  // (population, column) in plot order
        if (node_ids.empty()) {
            for (std::size_t p = 0; p < pops.size(); ++p)
                for (std::size_t c = 0; c < pops[p].node_ids.size() && order.size() < kDefaultTraces; ++c)
                    order.emplace_back(p, c);
        } else {
            std::set<std::pair<std::size_t, std::size_t>> seen;
            for (auto id : node_ids) {
                bool found = false;
                for (std::size_t p = 0; p < pops.size(); ++p)
                    for (std::size_t c = 0; c < pops[p].node_ids.size(); ++c)
                        if (pops[p].node_ids[c] == id) {
                            found = true;
                            if (seen.insert({p, c}).second) order.emplace_back(p, c);
                        }
                if (!found) {
                    std::string list;
                    std::size_t listed = 0;
                    for (const auto& pop : pops)
                        for (auto n : pop.node_ids)
                            if (listed++ < 20) list += (list.empty() ? "" : ", ") + std::to_string(n);
                    if (listed > 20) list += ", ...";
                    throw config_error("plot: node id " + std::to_string(id) + " is not in report file " + file +
                                       " (it records node ids " + list + ")");
                }
            }
        }
        for (const auto& [p, c] : order) columns[p].push_back(c);

        // Read whole-row blocks (the file is chunked by rows) and reduce the wanted columns.
        out.traces.resize(order.size());
        for (std::size_t p = 0; p < pops.size(); ++p) {
            if (columns[p].empty()) continue;
            std::vector<std::pair<std::size_t, Reducer>> reducers;  // (column, its reducer)
            for (std::size_t k = 0; k < order.size(); ++k) {
                if (order[k].first != p) continue;
                Trace& t = out.traces[k];
                t.population = pops[p].name;
                t.node_id = pops[p].node_ids[order[k].second];
                t.n_samples = pops[p].n_samples;
                reducers.emplace_back(order[k].second,
                                      Reducer(pops[p].n_samples, buckets, pops[p].t_start, pops[p].interval, t));
            }
            where = "/report/" + pops[p].name + "/data";
            H5::DataSet data = report.openDataSet(pops[p].name + "/data");
            H5::DataSpace file_space = data.getSpace();
            const std::size_t n_cols = pops[p].node_ids.size();
            const std::size_t rows = pops[p].n_samples;
            const std::size_t block = std::max<std::size_t>(1, kBlockBytes / (n_cols * sizeof(double)));
            std::vector<double> buf;
            for (std::size_t r0 = 0; r0 < rows; r0 += block) {
                const std::size_t nb = std::min(block, rows - r0);
                const hsize_t start[2] = {r0, 0}, count[2] = {nb, n_cols};
                file_space.selectHyperslab(H5S_SELECT_SET, count, start);
                H5::DataSpace mem(2, count);
                buf.resize(nb * n_cols);
                data.read(buf.data(), H5::PredType::NATIVE_DOUBLE, mem, file_space);
                for (auto& [c, reducer] : reducers)
                    for (std::size_t r = 0; r < nb; ++r) reducer.add(r0 + r, buf[r * n_cols + c]);
            }
            for (auto& [c, reducer] : reducers) reducer.flush();
        }
    } catch (const H5::Exception& e) {
        throw input_error(file + ": " + where + ": HDF5 error in " + e.getFuncName() + ": " + e.getDetailMsg());
    }
    return out;
}

}  // namespace pointsim::plot::detail
