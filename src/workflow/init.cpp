// pointsim init: a PointNet simulation folder for an existing SONATA network,
// laid out as BMTK's environment builder (bmtk.utils.create_environment,
// PointNetEnvBuilder) lays it out with split configs: config.json naming
// circuit_config.json and simulation_config.json, components/ with
// point_neuron_models and synaptic_models, outputs under output/.
#include <algorithm>
#include <cerrno>
#include <cmath>
#include <cstdlib>
#include <fstream>
#include <map>
#include <set>
#include <sstream>

#include <nlohmann/json.hpp>

#include "common/error.hpp"
#include "common/text.hpp"
#include "common/logging.hpp"
#include "common/time.hpp"
#include "output/staged_files.hpp"
#include "sonata/sonata.hpp"
#include "workflow/workflow.hpp"

namespace pointsim::workflow {

namespace {

using OJson = nlohmann::ordered_json;

bool ends_with(const std::string& s, const std::string& suffix) {
    return s.size() > suffix.size() && s.compare(s.size() - suffix.size(), suffix.size(), suffix) == 0;
}

// One nodes or edges pair of the network folder, by prefix.
struct FilePair {
    std::optional<fs::path> h5;
    std::optional<fs::path> types;
};

struct NetworkFiles {
    std::map<std::string, FilePair> nodes, edges;  // prefix -> files (map: name order)
};

NetworkFiles scan_network(const fs::path& dir) {
    NetworkFiles out;
    std::vector<fs::path> files;
    std::error_code ec;
    for (fs::directory_iterator it(dir, ec), end; !ec && it != end; it.increment(ec))
        if (it->is_regular_file(ec) && it->path().filename().string().rfind('.', 0) != 0) files.push_back(it->path());
    if (ec) throw input_error(dir.string() + ": cannot list the network folder: " + ec.message());
    std::sort(files.begin(), files.end());
    for (const auto& f : files) {
        const std::string name = f.filename().string();
        auto prefix = [&](const char* suffix) { return name.substr(0, name.size() - std::string(suffix).size()); };
        if (ends_with(name, "_nodes.h5")) out.nodes[prefix("_nodes.h5")].h5 = f;
        else if (ends_with(name, "_node_types.csv")) out.nodes[prefix("_node_types.csv")].types = f;
        else if (ends_with(name, "_edges.h5")) out.edges[prefix("_edges.h5")].h5 = f;
        else if (ends_with(name, "_edge_types.csv")) out.edges[prefix("_edge_types.csv")].types = f;
    }
    for (const auto& [prefix, p] : out.nodes) {
        if (p.h5 && !p.types)
            throw input_error(p.h5->string() + ": no node types file " + prefix + "_node_types.csv next to it");
        if (!p.h5) logging::get()->warn("{}: no {}_nodes.h5 next to it; not listed", p.types->string(), prefix);
    }
    for (const auto& [prefix, p] : out.edges) {
        if (p.h5 && !p.types)
            throw input_error(p.h5->string() + ": no edge types file " + prefix + "_edge_types.csv next to it");
        if (!p.h5) logging::get()->warn("{}: no {}_edges.h5 next to it; not listed", p.types->string(), prefix);
    }
    const bool any_nodes = std::any_of(out.nodes.begin(), out.nodes.end(), [](const auto& kv) { return kv.second.h5.has_value(); });
    if (!any_nodes) throw input_error(dir.string() + ": no *_nodes.h5 file in the network folder");
    return out;
}

// The dynamics_params file names a set of type CSVs (and node h5 groups) refer to.
std::set<std::string> dynamics_params_of(const std::vector<FilePair>& pairs, const char* id_column, bool nodes) {
    std::set<std::string> names;
    for (const auto& p : pairs) {
        if (!p.h5) continue;
        const auto table = sonata::TypeTable::read(*p.types, id_column);
        for (auto id : table.type_ids())
            if (auto v = table.get(id, "dynamics_params")) names.insert(*v);
        if (!nodes) continue;
        // Node groups may name their own file per node (h5 wins over the CSV).
        try {
            for (const auto& pop : sonata::read_node_populations(*p.h5))
                for (const auto& [gid, group] : pop.groups)
                    if (auto it = group.attributes.find("dynamics_params");
                        it != group.attributes.end() && it->second.is_string)
                        names.insert(it->second.strings.begin(), it->second.strings.end());
        } catch (const Error& e) {
            logging::get()->warn("{} (its dynamics_params files are not looked for; `pointsim check` will report it)", e.what());
        }
    }
    return names;
}

// Where a component file of that name is, next to the network: NETDIR,
// NETDIR/components and NETDIR/../components (recursively); within a root,
// a folder whose name suits the kind (cell/neuron/point or syn) wins, then
// path order. nullopt if nowhere.
std::optional<fs::path> find_component(const std::string& name, const fs::path& network_dir, bool neuron) {
    const fs::path rel(name);
    if (rel.is_absolute() || name.empty()) return std::nullopt;
    std::vector<fs::path> roots{network_dir, network_dir / "components", network_dir.parent_path() / "components"};
    auto suits = [&](const fs::path& file) {
        std::string dir = file.parent_path().string();
        std::transform(dir.begin(), dir.end(), dir.begin(), [](unsigned char c) { return static_cast<char>(std::tolower(c)); });
        if (neuron) return dir.find("cell") != std::string::npos || dir.find("neuron") != std::string::npos || dir.find("point") != std::string::npos;
        return dir.find("syn") != std::string::npos;
    };
    std::error_code ec;
    for (std::size_t r = 0; r < roots.size(); ++r) {
        const fs::path& root = roots[r];
        if (!fs::is_directory(root, ec)) continue;
        std::vector<fs::path> found;
        if (fs::is_regular_file(root / rel, ec)) found.push_back(root / rel);
        if (r > 0) {  // components folders: any depth
            for (fs::recursive_directory_iterator it(root, ec), end; !ec && it != end; it.increment(ec)) {
                if (!it->is_regular_file(ec)) continue;
                const fs::path p = it->path();
                // the file's path ends with `rel`
                auto pi = std::distance(p.begin(), p.end());
                auto ri = std::distance(rel.begin(), rel.end());
                if (pi < ri) continue;
                auto start = p.begin();
                std::advance(start, pi - ri);
                if (std::equal(start, p.end(), rel.begin(), rel.end())) found.push_back(p);
            }
        }
        if (found.empty()) continue;
        std::sort(found.begin(), found.end());
        found.erase(std::unique(found.begin(), found.end()), found.end());
        auto best = std::find_if(found.begin(), found.end(), suits);
        return best != found.end() ? *best : found.front();
    }
    return std::nullopt;
}

fs::path absolute_normal(const fs::path& p) {
    std::error_code ec;
    fs::path c = fs::weakly_canonical(fs::absolute(p), ec);
    return ec ? fs::absolute(p).lexically_normal() : c;
}

// `path` as "$VAR/relative" when it lies under `base`, else absolute.
std::string under(const fs::path& path, const fs::path& base, const std::string& var) {
    const fs::path rel = path.lexically_relative(base);
    if (rel.empty() || *rel.begin() == ".." ) return path.string();
    if (rel == ".") return var;
    return var + "/" + rel.generic_string();
}

void write_json(output::StagedFiles& staged, const fs::path& file, const OJson& doc) {
    const fs::path tmp = staged.stage(file);
    std::ofstream out(tmp);
    out << doc.dump(2) << '\n';
    out.close();
    if (!out) throw output_error("cannot write " + tmp.string());
}

}  // namespace

IClampSpec parse_iclamp(const std::string& spec) {
    const std::string where = "--iclamp '" + spec + "'";
    std::vector<std::string> fields;
    std::string rest = spec;
    for (int k = 0; k < 3; ++k) {
        const auto colon = rest.rfind(':');
        if (colon == std::string::npos)
            throw config_error(where + ": expected NODESET:AMP:DELAY:DURATION (e.g. cortex:150:500:1000)");
        fields.insert(fields.begin(), rest.substr(colon + 1));
        rest.erase(colon);
    }
    if (rest.empty()) throw config_error(where + ": the node set (before AMP:DELAY:DURATION) is empty");
    const char* names[] = {"AMP", "DELAY", "DURATION"};
    double values[3];
    for (int k = 0; k < 3; ++k) {
        const std::string& f = fields[static_cast<std::size_t>(k)];
        char* end = nullptr;
        errno = 0;
        values[k] = std::strtod(f.c_str(), &end);
        if (f.empty() || end != f.c_str() + f.size() || errno == ERANGE || !std::isfinite(values[k]))
            throw config_error(where + ": " + names[k] + " '" + f + "' is not a number");
    }
    if (values[1] < 0) throw config_error(where + ": DELAY " + fields[1] + " ms must not be negative");
    if (values[2] < 0) throw config_error(where + ": DURATION " + fields[2] + " ms must not be negative");
    return {rest, values[0], values[1], values[2]};
}

void init_simulation(const InitOptions& o) {
    auto log = logging::get();
    if (o.dir.empty()) throw config_error("init: the simulation folder (DIR) is empty");
    if (o.network_dir.empty()) throw config_error("init: --network NETDIR is required");
    std::error_code ec;
    const fs::path dir = absolute_normal(o.dir);
    const fs::path net_dir = absolute_normal(o.network_dir);
    if (!fs::is_directory(net_dir, ec)) throw input_error(net_dir.string() + ": --network folder not found");
    if (fs::exists(dir, ec) && !fs::is_directory(dir, ec))
        throw output_error(dir.string() + ": exists and is not a directory");
    if (!std::isfinite(o.tstop) || o.tstop < 0)
        throw config_error("--tstop " + number_text(o.tstop) + ": must be a non-negative number of ms");
    TimeGrid::make(o.dt, o.tstop, "--dt");  // dt on the 0.001 ms grid

    OJson spikes_input;
    std::string spikes_name;
    if (o.spikes_input) {
        if (o.input_node_set.empty())
            throw config_error("--spikes-input " + o.spikes_input->string() +
                               ": --input-node-set is required (the node set, usually the virtual population, it drives)");
        std::string ext = o.spikes_input->extension().string();
        std::transform(ext.begin(), ext.end(), ext.begin(), [](unsigned char c) { return static_cast<char>(std::tolower(c)); });
        std::string module;
        if (ext == ".h5" || ext == ".hdf5") module = "sonata";
        else if (ext == ".csv") module = "csv";
        else if (ext == ".nwb") module = "nwb";
        else
            throw config_error("--spikes-input " + o.spikes_input->string() + ": unknown spike file type '" + ext +
                               "' (.h5 or .hdf5: SONATA, .csv: BMTK csv, .nwb: NWB 1)");
        const fs::path file = absolute_normal(*o.spikes_input);
        if (!fs::exists(file, ec))
            log->warn("--spikes-input {}: file not found (the config names it anyway)", file.string());
        spikes_name = o.input_node_set + "_spikes";
        spikes_input = OJson::object();
        spikes_input["input_type"] = "spikes";
        spikes_input["module"] = module;
        spikes_input["input_file"] = under(file, dir, "$BASE_DIR");
        spikes_input["node_set"] = o.input_node_set;
    } else if (!o.input_node_set.empty()) {
        throw config_error("--input-node-set " + o.input_node_set + ": given without --spikes-input");
    }

    const NetworkFiles files = scan_network(net_dir);

    // ------------------------------------------------ circuit_config.json
    const std::string net_var = under(net_dir, dir, "$BASE_DIR");
    auto in_net = [&](const fs::path& f) { return "$NETWORK_DIR/" + f.filename().string(); };
    OJson circuit = OJson::object();
    circuit["manifest"] = {{"$BASE_DIR", "${configdir}"}, {"$NETWORK_DIR", net_var}, {"$COMPONENTS_DIR", "$BASE_DIR/components"}};
    circuit["components"] = {{"point_neuron_models_dir", "$COMPONENTS_DIR/point_neuron_models"},
                             {"synaptic_models_dir", "$COMPONENTS_DIR/synaptic_models"}};
    OJson nodes = OJson::array(), edges = OJson::array();
    std::vector<FilePair> node_pairs, edge_pairs;
    for (const auto& [prefix, p] : files.nodes) {
        if (!p.h5) continue;
        nodes.push_back({{"nodes_file", in_net(*p.h5)}, {"node_types_file", in_net(*p.types)}});
        node_pairs.push_back(p);
    }
    for (const auto& [prefix, p] : files.edges) {
        if (!p.h5) continue;
        edges.push_back({{"edges_file", in_net(*p.h5)}, {"edge_types_file", in_net(*p.types)}});
        edge_pairs.push_back(p);
    }
    circuit["networks"] = {{"nodes", nodes}, {"edges", edges}, {"gap_juncs", OJson::array()}};

    // ------------------------------------------------ simulation_config.json
    OJson sim = OJson::object();
    sim["manifest"] = {{"$BASE_DIR", "${configdir}"}, {"$OUTPUT_DIR", "$BASE_DIR/output"}};
    sim["target_simulator"] = "NEST";
    sim["run"] = {{"tstart", 0.0}, {"tstop", o.tstop}, {"dt", o.dt}};
    OJson inputs = OJson::object();
    if (o.spikes_input) inputs[spikes_name] = spikes_input;
    for (std::size_t k = 0; k < o.iclamps.size(); ++k) {
        const auto& c = o.iclamps[k];
        if (c.node_set.empty()) throw config_error("--iclamp: empty node set");
        const std::string name = o.iclamps.size() == 1 ? "current_clamp" : "current_clamp_" + std::to_string(k + 1);
        inputs[name] = {{"input_type", "current_clamp"}, {"module", "IClamp"}, {"node_set", c.node_set},
                        {"amp", c.amp},       {"delay", c.delay},   {"duration", c.duration}};
    }
    if (!inputs.empty()) sim["inputs"] = inputs;
    sim["output"] = {{"log_file", "log.txt"},           {"output_dir", "$OUTPUT_DIR"},
                     {"spikes_file", "spikes.h5"},      {"spikes_file_csv", "spikes.csv"},
                     {"quiet_simulator", true}};

    const OJson root = {{"network", "${configdir}/circuit_config.json"},
                        {"simulation", "${configdir}/simulation_config.json"}};

    // ------------------------------------------------ components
    const fs::path neuron_dir = dir / "components" / "point_neuron_models";
    const fs::path synapse_dir = dir / "components" / "synaptic_models";
    std::vector<std::pair<fs::path, fs::path>> copies;  // source, destination
    std::vector<std::string> missing_neuron, missing_synapse;
    for (const auto& name : dynamics_params_of(node_pairs, "node_type_id", true)) {
        if (fs::path(name).is_absolute()) continue;  // used where it is
        if (auto src = find_component(name, net_dir, true)) copies.emplace_back(*src, neuron_dir / name);
        else missing_neuron.push_back(name);
    }
    for (const auto& name : dynamics_params_of(edge_pairs, "edge_type_id", false)) {
        if (fs::path(name).is_absolute()) continue;
        if (auto src = find_component(name, net_dir, false)) copies.emplace_back(*src, synapse_dir / name);
        else missing_synapse.push_back(name);
    }

    // ------------------------------------------------ refuse to overwrite, then write
    // A file already in place (the network's own components folder is DIR/components) stays as it is.
    copies.erase(std::remove_if(copies.begin(), copies.end(),
                                [&](const auto& c) { return fs::exists(c.second, ec) && fs::equivalent(c.first, c.second, ec); }),
                 copies.end());
    std::vector<fs::path> targets{dir / "config.json", dir / "circuit_config.json", dir / "simulation_config.json"};
    for (const auto& [src, dst] : copies) targets.push_back(dst);
    if (!o.force) {
        std::vector<fs::path> existing;
        for (const auto& t : targets)
            if (fs::exists(t, ec)) existing.push_back(t);
        if (!existing.empty())
            throw output_error(existing.front().string() + " already exists" +
                               (existing.size() > 1 ? " (and " + std::to_string(existing.size() - 1) + " other files init would write)" : "") +
                               "; use --force to overwrite");
    }
    for (const auto& d : {dir, neuron_dir, synapse_dir}) {
        fs::create_directories(d, ec);
        if (ec) throw output_error("cannot create directory " + d.string() + ": " + ec.message());
    }
    output::StagedFiles staged;
    for (const auto& [src, dst] : copies) {
        fs::create_directories(dst.parent_path(), ec);
        if (ec) throw output_error("cannot create directory " + dst.parent_path().string() + ": " + ec.message());
        const fs::path tmp = staged.stage(dst);
        fs::copy_file(src, tmp, fs::copy_options::overwrite_existing, ec);
        if (ec) throw output_error("cannot copy " + src.string() + " to " + tmp.string() + ": " + ec.message());
    }
    write_json(staged, dir / "circuit_config.json", circuit);
    write_json(staged, dir / "simulation_config.json", sim);
    write_json(staged, dir / "config.json", root);
    staged.commit();

    log->info("init: {} nodes and {} edges files from {}", node_pairs.size(), edge_pairs.size(), net_dir.string());
    if (!copies.empty()) log->info("init: copied {} dynamics_params files into {}", copies.size(), (dir / "components").string());
    auto report_missing = [&](const std::vector<std::string>& names, const fs::path& folder) {
        if (names.empty()) return;
        std::string list;
        for (std::size_t k = 0; k < names.size() && k < 5; ++k) list += (k ? ", " : "") + names[k];
        if (names.size() > 5) list += ", ... (" + std::to_string(names.size()) + " in all)";
        log->warn("init: dynamics_params files not found next to {}: {}; copy them into {} before running",
                  net_dir.string(), list, folder.string());
    };
    report_missing(missing_neuron, neuron_dir);
    report_missing(missing_synapse, synapse_dir);
}

}  // namespace pointsim::workflow
