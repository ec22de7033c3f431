// Config reading, merging and the typed view (BMTK sonata_config.py
// ConfigParser.parse and _post_process; semantics.md section 2). Unlike BMTK,
// relative paths are resolved against the directory of the file that holds them.
#include <algorithm>
#include <cmath>
#include <ctime>
#include <fstream>
#include <initializer_list>
#include <optional>
#include <set>
#include <utility>

#include "common/error.hpp"
#include "config/config.hpp"

namespace pointsim::config {
namespace {

using OJson = nlohmann::ordered_json;
using Vars = std::map<std::string, std::string>;

[[noreturn]] void fail(const fs::path& file, const std::string& msg) {
    throw config_error(file.string() + ": " + msg);
}

// A value as it appears in the file, shortened so messages stay one line.
std::string shown(const OJson& v) {
    std::string s = v.dump();
    return s.size() > 80 ? s.substr(0, 77) + "..." : s;
}

// Lexically normal, without a trailing separator ("dir/" and "dir" are one directory).
fs::path normalise(const fs::path& p) {
    fs::path n = p.lexically_normal();
    if (!n.has_filename() && n.has_relative_path()) n = n.parent_path();
    return n;
}

fs::path absolute_normal(const fs::path& p) { return normalise(fs::absolute(p)); }

std::string resolve_against(const fs::path& base, const std::string& value) {
    if (value.empty()) return value;
    fs::path p(value);
    return normalise(p.is_relative() ? base / p : p).string();
}

// `context` says who named the file, for files other than the root config.
OJson read_json(const fs::path& file, const std::string& context) {
    const std::string suffix = context.empty() ? "" : " (" + context + ")";
    std::error_code ec;
    if (!fs::exists(file, ec)) fail(file, "file not found" + suffix);
    if (fs::is_directory(file, ec)) fail(file, "is a directory, not a JSON file" + suffix);
    std::ifstream in(file);
    if (!in) fail(file, "cannot be opened for reading" + suffix);
    try {
        return OJson::parse(in);
    } catch (const OJson::exception& e) {  // parse_error, and out_of_range for a number too large (1e999)
        // Drop nlohmann's "[json.exception.parse_error.101] " tag; keep line and column.
        std::string what = e.what();
        auto tag_end = what.find("] ");
        if (tag_end != std::string::npos) what.erase(0, tag_end + 2);
        fail(file, "invalid JSON: " + what + suffix);
    }
}

struct Clock {
    std::string time, date, datetime;
};

Clock now() {
    const std::time_t t = std::time(nullptr);
    std::tm tm{};
    localtime_r(&t, &tm);
    auto format = [&tm](const char* f) {
        char buf[32];
        return std::string(buf, std::strftime(buf, sizeof buf, f, &tm));
    };
    return {format("%H-%M-%S"), format("%Y-%m-%d"), format("%Y-%m-%d_%H-%M-%S")};
}

Vars builtin_variables(const fs::path& file, const Clock& clock) {
    return {{"configdir", file.parent_path().string()},
            {"configfname", file.string()},
            {"workingdir", fs::current_path().string()},
            {"time", clock.time},
            {"date", clock.date},
            {"datetime", clock.datetime}};
}

const std::set<std::string> kPathKeys = {"nodes_file", "node_types_file", "edges_file", "edge_types_file",
                                         "input_file", "file",           "node_sets_file", "output_dir",
                                         "network",    "simulation"};
// Node-set filters use node attribute names as keys, which may collide with the path keys.
const std::set<std::string> kNodeSetKeys = {"node_sets", "node_set", "cells"};

void resolve_paths(OJson& node, const fs::path& base) {
    if (node.is_object()) {
        for (auto it = node.begin(); it != node.end(); ++it) {
            if (it.value().is_string() && kPathKeys.count(it.key()))
                it.value() = resolve_against(base, it.value().get<std::string>());
            else if (!kNodeSetKeys.count(it.key()))
                resolve_paths(it.value(), base);
        }
    } else if (node.is_array()) {
        for (auto& item : node) resolve_paths(item, base);
    }
}

bool has_prefix(const fs::path& p, const fs::path& prefix) {
    auto pi = p.begin();
    for (const auto& part : prefix) {
        if (pi == p.end() || *pi != part) return false;
        ++pi;
    }
    return true;
}

// BMTK joins log_file and spikes_file* with output_dir unless they already
// start with it (_post_process). Such values are relative to the config like
// output_dir itself, so anchor them here before load() joins the others.
void anchor_output_files(OJson& doc, const fs::path& base) {
    auto out = doc.find("output");
    if (out == doc.end() || !out->is_object()) return;
    auto dir = out->find("output_dir");
    if (dir == out->end() || !dir->is_string() || dir->get_ref<const std::string&>().empty()) return;
    const fs::path out_dir = normalise(dir->get<std::string>());
    if (out_dir.is_absolute() || out_dir == ".") return;
    for (auto it = out->begin(); it != out->end(); ++it) {
        const bool output_file = it.key() == "log_file" || it.key().rfind("spikes_file", 0) == 0;
        if (!output_file || !it.value().is_string()) continue;
        const fs::path p(it.value().get<std::string>());
        if (p.is_relative() && has_prefix(normalise(p), out_dir)) it.value() = normalise(base / p).string();
    }
}


// ------------------------------------------------------------ unknown keys
// A key pointsim does not know is an error with a did-you-mean hint: a typo
// such as "tstp" would otherwise be silently ignored. BMTK, the SONATA spec and
// libsonata configs carry many keys that PointNet ignores (semantics.md
// section 2, the configs under examples/); those are accepted and ignored.
struct KnownKeys {
    std::vector<const char*> used;     // read by pointsim (listed in messages)
    std::vector<const char*> ignored;  // accepted for compatibility, no effect
};

const KnownKeys kTopKeys{
    {"manifest", "network", "simulation", "networks", "components", "run", "inputs", "reports", "output",
     "node_sets", "node_sets_file"},
    {"target_simulator", "target_simulator_version", "conditions", "config_path", "config_dir", "version",
     "metadata", "beta_features", "connection_overrides", "node_set", "recXelectrode"}};
const KnownKeys kRunKeys{
    {"dt", "tstop", "duration", "overwrite_output_dir", "n_thread"},
    {"tstart", "print_time", "block_run", "block_size", "nsteps_block", "tsteps_block",
     "precise_times", "allow_offgrid_spikes", "spike_threshold", "dL", "save_state", "random_seed",
     "integration_method", "stimulus_seed", "ionchannel_seed", "minis_seed", "synapse_seed", "electrodes_file"}};
const KnownKeys kOutputKeys{
    {"output_dir", "log_file", "spikes_file", "spikes_file_csv", "spikes_sort_order", "overwrite_output_dir"},
    {"spikes_file_nwb", "compression", "cache_to_disk", "log_level", "log_format", "log_to_console",
     "quiet_simulator", "tmp_dir"}};
const KnownKeys kNetworksKeys{{"nodes", "edges"}, {"gap_juncs"}};
const KnownKeys kNodesEntryKeys{{"nodes_file", "node_types_file"}, {"populations"}};
const KnownKeys kEdgesEntryKeys{{"edges_file", "edge_types_file", "enabled"}, {"populations"}};
// Entries of the input modules pointsim runs (spike files and IClamp).
const KnownKeys kInputKeys{
    {"input_type", "module", "node_set", "enabled", "input_file", "sep", "trial", "amp", "delay", "duration", "file",
     "separator", "timestamps_column", "amplitudes_column", "sweep_id", "downsample", "sweep_window"},
    {"population", "populations", "default_population", "section_name",
     "section_index", "section_dist", "gids", "random_seed", "electrode_file"}};
// Entries of the report modules pointsim runs (multimeters, weight recorders).
const KnownKeys kReportKeys{
    {"module", "enabled", "cells", "variable_name", "file_name", "tstart", "tstop", "interval", "start_time",
     "end_time", "dt", "nest_model", "model_template"},
    {"sections", "buffer", "transform", "to_h5", "delete_dat", "unit", "format", "type", "scaling",
     "compartments"}};

const std::set<std::string> kSpikeModules = {"sonata", "h5", "hdf5", "csv", "nwb"};
const std::set<std::string> kReportModulesChecked = {"membrane_report", "multimeter", "multimeter_report",
                                                     "netcon_report", "weight_recorder"};

// Optimal string alignment distance: edits, with a swap of neighbours as one.
std::size_t edit_distance(const std::string& a, const std::string& b) {
    std::vector<std::vector<std::size_t>> d(a.size() + 1, std::vector<std::size_t>(b.size() + 1, 0));
    for (std::size_t i = 0; i <= a.size(); ++i) d[i][0] = i;
    for (std::size_t j = 0; j <= b.size(); ++j) d[0][j] = j;
    for (std::size_t i = 1; i <= a.size(); ++i)
        for (std::size_t j = 1; j <= b.size(); ++j) {
            const std::size_t cost = a[i - 1] == b[j - 1] ? 0 : 1;
            d[i][j] = std::min({d[i - 1][j] + 1, d[i][j - 1] + 1, d[i - 1][j - 1] + cost});
            if (i > 1 && j > 1 && a[i - 1] == b[j - 2] && a[i - 2] == b[j - 1])
                d[i][j] = std::min(d[i][j], d[i - 2][j - 2] + 1);
        }
    return d[a.size()][b.size()];
}

// The nearest known key, if near enough to be a typo of it.
std::optional<std::string> closest_key(const std::string& key, const KnownKeys& known) {
    const std::size_t limit = key.size() <= 3 ? 1 : key.size() <= 6 ? 2 : 3;
    std::optional<std::string> best;
    std::size_t best_d = limit + 1;
    for (const auto* list : {&known.used, &known.ignored})
        for (const char* k : *list) {
            const std::size_t d = edit_distance(key, k);
            if (d < best_d) best_d = d, best = k;
        }
    return best;
}

struct Resolved {
    OJson doc;
    std::map<std::string, fs::path> origin;  // top-level key -> file that provided it
};

fs::path identity(const fs::path& file) {
    std::error_code ec;
    fs::path c = fs::canonical(file, ec);
    return ec ? file : c;
}

Resolved resolve_recursive(const fs::path& file, const Clock& clock, std::vector<fs::path>& chain,
                           const std::string& context) {
    OJson doc = read_json(file, context);
    if (!doc.is_object()) fail(file, "the top level must be a JSON object, got " + shown(doc));
    doc = detail::substitute_manifest(doc, builtin_variables(file, clock), file.string());
    doc.erase("manifest");

    const fs::path base = file.parent_path();
    anchor_output_files(doc, base);
    resolve_paths(doc, base);
    auto components = doc.find("components");
    if (components != doc.end() && components->is_object())
        for (auto& value : *components)
            if (value.is_string()) value = resolve_against(base, value.get<std::string>());

    Resolved r{std::move(doc), {}};
    for (auto it = r.doc.begin(); it != r.doc.end(); ++it) r.origin[it.key()] = file;

    chain.push_back(identity(file));
    // Shallow merge, child wins, "network" before "simulation" (as BMTK's dict.update).
    for (const char* key : {"network", "simulation"}) {
        auto child_ref = r.doc.find(key);
        if (child_ref == r.doc.end() || !child_ref->is_string()) continue;
        const fs::path child = child_ref->get<std::string>();
        if (std::find(chain.begin(), chain.end(), identity(child)) != chain.end()) {
            std::string cycle;
            for (const auto& f : chain) cycle += f.string() + " -> ";
            fail(file, std::string("\"") + key + "\" includes a file already being read (include cycle: " +
                           cycle + child.string() + ")");
        }
        Resolved sub = resolve_recursive(child, clock, chain, "named by \"" + std::string(key) + "\" in " +
                                                                  file.string());
        for (auto it = sub.doc.begin(); it != sub.doc.end(); ++it) {
            r.doc[it.key()] = it.value();
            r.origin[it.key()] = sub.origin[it.key()];
        }
    }
    chain.pop_back();
    return r;
}

Resolved resolve(const fs::path& root) {
    std::vector<fs::path> chain;
    return resolve_recursive(root, now(), chain, "");
}

// Typed access to the merged document; errors name the file that provided the key.
class Reader {
public:
    Reader(const Resolved& r, fs::path root) : r_(r), root_(std::move(root)) {}

    const OJson& doc() const { return r_.doc; }
    const fs::path& root() const { return root_; }

    fs::path file_of(const std::string& key_path) const {
        auto found = r_.origin.find(key_path.substr(0, key_path.find_first_of(".[")));
        return found == r_.origin.end() ? root_ : found->second;
    }

    [[noreturn]] void fail(const std::string& key_path, const std::string& what) const {
        config::fail(file_of(key_path), key_path + " " + what);
    }

    void expect(bool ok, const OJson& v, const std::string& key_path, const char* expected) const {
        if (!ok) fail(key_path, std::string("must be ") + expected + ", got " + shown(v));
    }

    static const OJson* member(const OJson& obj, const std::string& key) {
        auto it = obj.find(key);
        return it == obj.end() ? nullptr : &*it;
    }

    const OJson* object(const OJson& obj, const std::string& key, const std::string& key_path) const {
        const OJson* v = member(obj, key);
        if (v) expect(v->is_object(), *v, key_path, "an object");
        return v;
    }

    std::optional<std::string> string(const OJson& obj, const std::string& key,
                                      const std::string& key_path) const {
        const OJson* v = member(obj, key);
        if (!v) return std::nullopt;
        expect(v->is_string(), *v, key_path, "a string");
        return v->get<std::string>();
    }

    std::string required_string(const OJson& obj, const std::string& key, const std::string& key_path) const {
        auto v = string(obj, key, key_path);
        if (!v) fail(key_path, "is missing (required)");
        return *v;
    }

    std::optional<double> number(const OJson& obj, const std::string& key,
                                 const std::string& key_path) const {
        const OJson* v = member(obj, key);
        if (!v) return std::nullopt;
        expect(v->is_number(), *v, key_path, "a number");
        return v->get<double>();
    }

    std::optional<bool> boolean(const OJson& obj, const std::string& key, const std::string& key_path) const {
        const OJson* v = member(obj, key);
        if (!v) return std::nullopt;
        expect(v->is_boolean(), *v, key_path, "true or false");
        return v->get<bool>();
    }

    // Fails on the first key of `obj` that is neither used nor ignored.
    // `where` names the object in messages ("run", "inputs.spikes", or "" for the top level).
    void check_keys(const OJson& obj, const std::string& where, const KnownKeys& known) const {
        for (auto it = obj.begin(); it != obj.end(); ++it) {
            const std::string& key = it.key();
            bool ok = false;
            for (const auto* list : {&known.used, &known.ignored})
                for (const char* k : *list) ok = ok || key == k;
            if (ok) continue;
            std::string msg = "unknown key '" + key + "' " + (where.empty() ? "at the top level" : "in " + where);
            if (auto hint = closest_key(key, known)) {
                msg += " (did you mean '" + *hint + "'?)";
            } else {
                std::string list;
                for (const char* k : known.used) list += (list.empty() ? "" : ", ") + std::string(k);
                msg += " (pointsim reads " + list + ")";
            }
            config::fail(file_of(where.empty() ? key : where), msg);
        }
    }

private:
    const Resolved& r_;
    fs::path root_;
};

std::map<std::string, fs::path> read_components(const Reader& in) {
    std::map<std::string, fs::path> out;
    if (const OJson* comps = in.object(in.doc(), "components", "components"))
        for (auto it = comps->begin(); it != comps->end(); ++it)
            if (it.value().is_string()) out[it.key()] = it.value().get<std::string>();
    return out;
}

void read_networks(const Reader& in, SimulationConfig& cfg) {
    const OJson* nets = in.object(in.doc(), "networks", "networks");
    const OJson* nodes = nets ? Reader::member(*nets, "nodes") : nullptr;
    if (!nodes || (nodes->is_array() && nodes->empty()))
        in.fail("networks.nodes",
                "is missing or empty: could not find any network files, unable to build the network");
    in.check_keys(*nets, "networks", kNetworksKeys);
    in.expect(nodes->is_array(), *nodes, "networks.nodes", "a list");
    for (std::size_t i = 0; i < nodes->size(); ++i) {
        const std::string at = "networks.nodes[" + std::to_string(i) + "]";
        const OJson& entry = (*nodes)[i];
        in.expect(entry.is_object(), entry, at, "an object");
        in.check_keys(entry, at, kNodesEntryKeys);
        cfg.nodes.push_back({in.required_string(entry, "nodes_file", at + ".nodes_file"),
                             in.required_string(entry, "node_types_file", at + ".node_types_file")});
    }

    const OJson* edges = Reader::member(*nets, "edges");
    if (!edges) return;
    in.expect(edges->is_array(), *edges, "networks.edges", "a list");
    for (std::size_t i = 0; i < edges->size(); ++i) {
        const std::string at = "networks.edges[" + std::to_string(i) + "]";
        const OJson& entry = (*edges)[i];
        in.expect(entry.is_object(), entry, at, "an object");
        in.check_keys(entry, at, kEdgesEntryKeys);
        cfg.edges.push_back({in.required_string(entry, "edges_file", at + ".edges_file"),
                             in.required_string(entry, "edge_types_file", at + ".edge_types_file"),
                             in.boolean(entry, "enabled", at + ".enabled").value_or(true)});
    }
}

RunParams read_run(const Reader& in) {
    static const OJson kEmpty = OJson::object();
    const OJson* run = in.object(in.doc(), "run", "run");
    if (!run) run = &kEmpty;
    in.check_keys(*run, "run", kRunKeys);
    RunParams p;
    auto dt = in.number(*run, "dt", "run.dt");
    if (!dt) in.fail("run.dt", "is missing (required)");
    if (*dt <= 0) in.fail("run.dt", "must be positive, got " + shown(run->at("dt")));
    p.dt = *dt;

    // "duration" wins over "tstop" (BMTK PointSimulator.from_config).
    const char* key = Reader::member(*run, "duration") ? "duration" : "tstop";
    // SONATA requires it; running 0 ms instead would replace the outputs with empty ones.
    const auto t = in.number(*run, key, std::string("run.") + key);
    if (!t) in.fail("run.tstop", "is missing (required: the simulated time in ms, or run.duration)");
    if (*t < 0) in.fail(std::string("run.") + key, "must not be negative, got " + shown(run->at(key)));
    p.tstop = *t;
    if (auto n = in.number(*run, "n_thread", "run.n_thread")) {
        if (!(*n >= 1 && *n <= 4096 && *n == std::floor(*n)))
            in.fail("run.n_thread", "must be a whole number of threads from 1 to 4096, got " + shown(run->at("n_thread")));
        p.n_thread = static_cast<int>(*n);
    }
    return p;
}

// Enabled entries of "inputs" or "reports", in file order.
std::vector<Section> read_sections(const Reader& in, const std::string& top,
                                   std::initializer_list<const char*> required) {
    std::vector<Section> out;
    const OJson* sections = in.object(in.doc(), top, top);
    if (!sections) return out;
    for (auto it = sections->begin(); it != sections->end(); ++it) {
        const std::string at = top + "." + it.key();
        const OJson& entry = it.value();
        in.expect(entry.is_object(), entry, at, "an object");
        if (!in.boolean(entry, "enabled", at + ".enabled").value_or(true)) continue;
        for (const char* key : required) {
            if (!Reader::member(entry, key))
                in.fail(at, std::string("does not specify \"") + key + "\" (required)");
            in.string(entry, key, at + "." + key);
        }
        // Keys are checked for the modules pointsim runs; others fail later
        // with a message that names the module.
        const std::string module = entry.at("module").get<std::string>();
        if (top == "inputs" && (module == "IClamp" || kSpikeModules.count(module)))
            in.check_keys(entry, at, kInputKeys);
        if (top == "reports" && kReportModulesChecked.count(module)) in.check_keys(entry, at, kReportKeys);
        out.push_back({it.key(), Json(entry)});
    }
    return out;
}

SortOrder parse_sort_order(const Reader& in, const std::string& value) {
    // Spellings from bmtk/utils/reports/spike_trains/core.py sort_order_lu.
    if (value == "by_time" || value == "time") return SortOrder::ByTime;
    if (value == "by_id" || value == "id" || value == "node_id" || value == "gid") return SortOrder::ById;
    if (value == "none" || value == "na") return SortOrder::None;
    in.fail("output.spikes_sort_order",
            "must be one of by_time, time, by_id, id, node_id, gid, none, na; got \"" + value + "\"");
}

OutputParams read_output(const Reader& in) {
    static const OJson kEmpty = OJson::object();
    const OJson* out = in.object(in.doc(), "output", "output");
    if (!out) out = &kEmpty;
    in.check_keys(*out, "output", kOutputKeys);
    OutputParams p;
    auto dir = in.string(*out, "output_dir", "output.output_dir");
    if (dir && dir->empty()) in.fail("output.output_dir", "must not be empty");
    // PointNet needs output_dir; pointsim defaults it instead of failing.
    p.output_dir = dir ? fs::path(*dir) : in.root().parent_path() / "output";

    auto under_output = [&](const char* key) -> std::optional<fs::path> {
        auto v = in.string(*out, key, std::string("output.") + key);
        if (!v) return std::nullopt;
        return normalise(p.output_dir / *v);  // an absolute value replaces output_dir
    };
    p.log_file = under_output("log_file");
    p.spikes_file = under_output("spikes_file");
    p.spikes_file_csv = under_output("spikes_file_csv");

    if (auto order = in.string(*out, "spikes_sort_order", "output.spikes_sort_order"))
        p.spikes_sort_order = parse_sort_order(in, *order);

    // Accepted in "output" (spec) or "run" (PointNet); "output" wins when both are set.
    auto overwrite = in.boolean(*out, "overwrite_output_dir", "output.overwrite_output_dir");
    const OJson* run = in.object(in.doc(), "run", "run");
    if (!overwrite && run) overwrite = in.boolean(*run, "overwrite_output_dir", "run.overwrite_output_dir");
    p.overwrite_output_dir = overwrite.value_or(true);
    return p;
}

Json read_node_sets(const Reader& in) {
    if (const OJson* sets = in.object(in.doc(), "node_sets", "node_sets")) return Json(*sets);
    auto file = in.string(in.doc(), "node_sets_file", "node_sets_file");
    if (!file) return Json::object();
    const fs::path path(*file);
    OJson sets = read_json(path, "node_sets_file in " + in.file_of("node_sets_file").string());
    if (!sets.is_object()) fail(path, "node sets must be a JSON object, got " + shown(sets));
    return Json(sets);
}

}  // namespace

Json resolve_file(const fs::path& path) { return Json(resolve(absolute_normal(path)).doc); }

SimulationConfig load(const fs::path& path) {
    SimulationConfig cfg;
    cfg.config_path = absolute_normal(path);
    const Resolved resolved = resolve(cfg.config_path);
    const Reader in(resolved, cfg.config_path);

    cfg.resolved = Json(resolved.doc);
    in.check_keys(resolved.doc, "", kTopKeys);
    cfg.components = read_components(in);
    read_networks(in, cfg);
    cfg.run = read_run(in);
    cfg.inputs = read_sections(in, "inputs", {"module", "input_type"});
    cfg.reports = read_sections(in, "reports", {"module"});
    cfg.output = read_output(in);
    cfg.node_sets = read_node_sets(in);
    return cfg;
}

}  // namespace pointsim::config
