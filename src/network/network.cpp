#include "network/network.hpp"

#include <algorithm>
#include <array>
#include <cmath>
#include <cstdlib>
#include <exception>
#include <fstream>
#include <iterator>
#include <mutex>
#include <numeric>
#include <optional>
#include <sstream>

#include <omp.h>

#include "common/error.hpp"
#include "common/text.hpp"
#include "common/logging.hpp"
#include "models/allen_glif.hpp"

namespace pointsim::network {

namespace fs = std::filesystem;
using Json = nlohmann::json;

namespace {


// POINTSIM_SYNAPSE_WORDS = 64 keeps the synapse words 64 bits wide where
// 32 would do (network::Connectivity): the results must not change, and the
// tests check that they do not; unset or 32, the narrow words where they fit.
bool wide_synapse_words_asked() {
    const char* env = std::getenv("POINTSIM_SYNAPSE_WORDS");
    if (!env || !*env || std::string(env) == "32") return false;
    if (std::string(env) == "64") return true;
    throw config_error("environment variable POINTSIM_SYNAPSE_WORDS = '" + std::string(env) + "' is neither 32 nor 64");
}

// ------------------------------------------------------------ memory
// Memory the run may use: POINTSIM_MEMORY_LIMIT_BYTES when set (tests, and
// capping a run on a shared machine), else MemAvailable from /proc/meminfo;
// nothing when neither can be read (then there is no check). `source` says
// which, for messages.
std::optional<std::uint64_t> available_memory(std::string& source) {
    if (const char* env = std::getenv("POINTSIM_MEMORY_LIMIT_BYTES"); env && *env) {
        const std::string text(env);
        std::size_t used = 0;
        unsigned long long v = 0;
        try {
            v = std::stoull(text, &used);
        } catch (const std::exception&) {
            used = 0;
        }
        if (used != text.size() || text[0] == '-')
            throw config_error("environment variable POINTSIM_MEMORY_LIMIT_BYTES = '" + text +
                               "' is not a whole number of bytes");
        source = "POINTSIM_MEMORY_LIMIT_BYTES = " + text;
        return v;
    }
    std::ifstream in("/proc/meminfo");
    for (std::string line; std::getline(in, line);) {
        if (line.rfind("MemAvailable:", 0) != 0) continue;
        std::istringstream fields(line.substr(13));
        unsigned long long kb = 0;
        std::string unit;
        if (!(fields >> kb >> unit) || unit != "kB") return std::nullopt;
        source = "MemAvailable in /proc/meminfo";
        return static_cast<std::uint64_t>(kb) * 1024;
    }
    return std::nullopt;
}

std::string fmt_bytes(double b) {
    std::ostringstream s;
    s.setf(std::ios::fixed);
    s.precision(1);
    if (b >= 1e9) s << b / 1e9 << " GB";
    else if (b >= 1e6) s << b / 1e6 << " MB";
    else if (b >= 1e3) s << b / 1e3 << " kB";
    else s << b << " bytes";
    return s.str();
}

// Refuses, before allocating, what would not fit in memory: better one clear
// line than the kernel's OOM killer midway through reading the edges.
// `held`: bytes this process allocated since the first check, which
// MemAvailable already accounts for but a fixed limit does not.
void check_memory(const config::SimulationConfig& cfg, std::uint64_t needed, const std::string& what,
                  std::uint64_t held = 0) {
    std::string source;
    auto available = available_memory(source);
    if (available && held > 0 && source.rfind("POINTSIM_MEMORY_LIMIT_BYTES", 0) == 0) {
        available = *available > held ? *available - held : 0;
        source += ", less " + fmt_bytes(static_cast<double>(held)) + " for the connectivity";
    }
    if (!available || needed <= *available) return;
    throw input_error(cfg.config_path.string() + ": networks.edges: " + what + " needs about " +
                      fmt_bytes(static_cast<double>(needed)) + " but only " + fmt_bytes(static_cast<double>(*available)) +
                      " of memory are available (" + source +
                      "); use more MPI ranks or a machine with more memory");
}

std::uint64_t spike_channels(const Network& net) {
    int channels = 1;
    for (const auto& g : net.groups) channels = std::max(channels, g->spike_channels());
    return static_cast<std::uint64_t>(channels);
}

// dynamics_params files are read once per file.
class ComponentCache {
public:
    const Json& load(const fs::path& file, const std::string& referrer) {
        auto it = cache_.find(file.string());
        if (it != cache_.end()) return it->second;
        std::ifstream in(file);
        if (!in) throw input_error(referrer + ": dynamics_params file not found: " + file.string());
        Json doc;
        try {
            doc = Json::parse(in);
        } catch (const Json::exception& e) {  // parse_error, and out_of_range for a number too large (1e999)
            // Drop nlohmann's "[json.exception.parse_error.101] " tag; keep line and column.
            std::string what = e.what();
            if (const auto tag_end = what.find("] "); tag_end != std::string::npos) what.erase(0, tag_end + 2);
            throw input_error(file.string() + ": invalid JSON: " + what);
        }
        if (!doc.is_object()) {
            std::string got = doc.dump();
            if (got.size() > 80) got = got.substr(0, 77) + "...";
            throw input_error(file.string() + ": dynamics_params must be a JSON object, got " + got);
        }
        return cache_.emplace(file.string(), std::move(doc)).first->second;
    }

private:
    std::map<std::string, Json> cache_;
};

fs::path component_dir(const config::SimulationConfig& cfg, const std::string& key, const std::string& referrer) {
    auto it = cfg.components.find(key);
    if (it == cfg.components.end())
        throw config_error(cfg.config_path.string() + ": components." + key + " is missing (needed by " + referrer + ")");
    return it->second;
}

// "nest:iaf_psc_alpha" -> "iaf_psc_alpha" (BMTK splits at the first colon).
std::string nest_model_name(const std::string& model_template, const std::string& where) {
    const auto colon = model_template.find(':');
    if (colon == std::string::npos)
        throw model_error(where + ": model_template '" + model_template + "' has no 'nest:' prefix");
    const std::string prefix = model_template.substr(0, colon);
    if (prefix != "nest")
        throw model_error(where + ": model_template '" + model_template + "' is not a NEST model (expected nest:<model>)");
    return model_template.substr(colon + 1);
}



// Attribute of a node row: the node group's h5 string dataset wins over the types CSV (SONATA).
std::optional<std::string> node_attribute(const Population& pop, std::size_t row, const std::string& name) {
    const auto& group = pop.nodes.groups.at(pop.nodes.group_ids[row]);
    auto it = group.attributes.find(name);
    if (it != group.attributes.end() && it->second.is_string) return it->second.strings[pop.nodes.group_indices[row]];
    return pop.types->get(pop.nodes.node_type_ids[row], name);
}

// The NEST model of a simulated node type, checked up front on every rank.
std::string node_model(const Population& pop, std::size_t row) {
    const std::int64_t type_id = pop.nodes.node_type_ids[row];
    const std::string where = pop.types->file().string() + ": node_type_id " + std::to_string(type_id);
    const auto model_template = node_attribute(pop, row, "model_template");
    if (!model_template) throw input_error(where + ": model_template is missing");
    const std::string model = nest_model_name(*model_template, where);
    if (!models::is_supported(model)) {
        std::string list;
        for (const auto& m : models::supported_models()) list += (list.empty() ? "" : ", ") + ("nest:" + m);
        throw model_error(where + ": unknown model_template '" + *model_template + "' (supported: " + list + ")");
    }
    return model;
}

}  // namespace

std::size_t NodeIdIndex::sparse_row_or_none(std::uint64_t node_id) const {
    const auto it = sparse_.find(node_id);
    return it == sparse_.end() ? kNoRow : it->second;
}

void NodeIdIndex::build(const std::vector<std::uint64_t>& node_ids) {
    dense_.clear();
    sparse_.clear();
    std::size_t row = 0;
    while (row < node_ids.size() && node_ids[row] == row) ++row;
    identity_ = !node_ids.empty() && row == node_ids.size();
    n_identity_ = identity_ ? node_ids.size() : 0;
    if (identity_) return;
    std::uint64_t max_id = 0;
    for (auto id : node_ids) max_id = std::max(max_id, id);
    if (node_ids.empty() || max_id < 4 * node_ids.size() + 1024) {
        dense_.assign(node_ids.empty() ? 0 : max_id + 1, kNoRow);
        for (std::size_t row = 0; row < node_ids.size(); ++row) dense_[node_ids[row]] = row;
    } else {
        for (std::size_t row = 0; row < node_ids.size(); ++row) sparse_.emplace(node_ids[row], row);
    }
}

Network read_nodes(const config::SimulationConfig& cfg) {
    Network net;
    std::map<std::string, std::string> seen;  // population -> file
    for (const auto& files : cfg.nodes) {
        auto types = std::make_shared<const sonata::TypeTable>(
            sonata::TypeTable::read(files.node_types_file, "node_type_id"));
        for (auto& pop : sonata::read_node_populations(files.nodes_file)) {
            if (auto it = seen.find(pop.name); it != seen.end())
                throw input_error(files.nodes_file.string() + ": node population '" + pop.name +
                                  "' is also defined in " + it->second);
            seen[pop.name] = files.nodes_file.string();
            Population p;
            p.name = pop.name;
            p.types = types;
            p.first_gid = net.location.size();
            for (std::size_t row = 0; row < pop.size(); ++row) {
                if (!types->has_type(pop.node_type_ids[row]))
                    throw input_error(files.nodes_file.string() + ": /nodes/" + pop.name + "/node_type_id[" +
                                      std::to_string(row) + "] = " + std::to_string(pop.node_type_ids[row]) +
                                      " is not in " + files.node_types_file.string());
            }
            p.rows.build(pop.node_ids);
            p.nodes = std::move(pop);
            net.location.resize(net.location.size() + p.size());
            net.simulated.resize(net.location.size(), false);
            net.model_of_gid.resize(net.location.size(), Network::kNoModel);
            // Virtual or simulated, per row: model_type from h5 or the CSV (required).
            std::size_t n_virtual = 0;
            for (std::size_t row = 0; row < p.size(); ++row) {
                const auto model_type = node_attribute(p, row, "model_type");
                if (!model_type)
                    throw input_error(types->file().string() + ": node_type_id " + std::to_string(p.nodes.node_type_ids[row]) +
                                      " has no model_type (population '" + p.name + "')");
                if (*model_type == "virtual") {
                    ++n_virtual;
                } else {
                    const std::string model = node_model(p, row);
                    auto it = std::find(net.model_names.begin(), net.model_names.end(), model);
                    if (it == net.model_names.end()) it = net.model_names.insert(net.model_names.end(), model);
                    net.model_of_gid[p.gid_of_row(row)] = static_cast<std::uint8_t>(it - net.model_names.begin());
                    net.simulated[p.gid_of_row(row)] = true;
                }
            }
            if (n_virtual != 0 && n_virtual != p.size())
                throw input_error(files.nodes_file.string() + ": population '" + p.name +
                                  "' mixes virtual and simulated nodes, which pointsim does not support");
            p.is_virtual = n_virtual == p.size() && p.size() > 0;
            net.populations.push_back(std::move(p));
        }
    }
    if (net.populations.empty()) throw input_error(cfg.config_path.string() + ": the networks hold no node population");
    return net;
}

namespace {

// The model and parameter set of every simulated gid in [begin, end): sets
// are numbered per model in order of first use, one per node type, params
// file and (with per-node dynamics_params in h5) row.
struct ResolvedNeurons {
    struct ModelSets {
        std::vector<models::ParameterSet> sets;
        std::vector<Gid> last_gid;                        // per set: the last neuron that uses it
        std::map<std::string, std::uint32_t> set_of_key;  // type+file -> set index
    };
    std::map<std::string, ModelSets> models;  // (map: deterministic order)
    struct Neuron {
        Gid gid;
        const std::string* model;  // a key of `models`
        std::uint32_t set;
    };
    std::vector<Neuron> neurons;  // in gid order
};

ResolvedNeurons resolve_neurons(const config::SimulationConfig& cfg, const Network& net, Gid begin, Gid end) {
    ResolvedNeurons resolved;
    ComponentCache components;
    for (const auto& pop : net.populations) {
        if (pop.is_virtual || pop.size() == 0) continue;
        // Rows are gids in order: visit only the range's.
        const Gid first = std::max(begin, pop.gid_of_row(0)), last = std::min(end, pop.gid_of_row(pop.size()));
        // A row of the same node type and group as the one before it gets
        // the same model and set, unless its group gives model_template,
        // dynamics_params or parameters per row: the lookups, strings and
        // JSON copy below cost microseconds a neuron (V1: 230,000 of them).
        // (No std::optional: GCC then warns of members maybe used uninitialized.)
        struct Previous {
            bool valid = false;
            std::int64_t type_id = 0;
            std::uint32_t group_id = 0;
            ResolvedNeurons::Neuron neuron{};
            ResolvedNeurons::ModelSets* sets = nullptr;  // of neuron.model
        } previous;
        auto varies_per_row = [](const sonata::Group& group) {
            auto string_column = [&group](const char* name) {
                const auto it = group.attributes.find(name);
                return it != group.attributes.end() && it->second.is_string;
            };
            return !group.dynamics_params.empty() || string_column("model_template") || string_column("dynamics_params");
        };
        for (Gid gid = first; gid < last; ++gid) {
            const std::size_t row = static_cast<std::size_t>(gid - pop.first_gid);
            const std::int64_t type_id = pop.nodes.node_type_ids[row];
            const std::uint32_t group_id = pop.nodes.group_ids[row];
            if (previous.valid && previous.type_id == type_id && previous.group_id == group_id) {
                previous.sets->last_gid[previous.neuron.set] = gid;
                resolved.neurons.push_back({gid, previous.neuron.model, previous.neuron.set});
                continue;
            }
            const std::string type_where = pop.types->file().string() + ": node_type_id " + std::to_string(type_id);
            const std::string model = node_model(pop, row);
            const auto params_file = node_attribute(pop, row, "dynamics_params");
            std::string key = std::to_string(type_id) + "|" + pop.name + "|" + params_file.value_or("");
            Json params = Json::object();
            std::string source = type_where;
            if (params_file) {
                const fs::path file = component_dir(cfg, "point_neuron_models_dir", type_where) / *params_file;
                params = components.load(file, type_where);
                source = file.string() + " (node_type_id " + std::to_string(type_id) + ")";
                // Allen Cell Types Database GLIF files are converted as BMTK does (glif_utils.py).
                if (model == "glif_psc" && params.is_object() && params.value("type", "") == "GLIF")
                    params = models::convert_allen_glif(params, source);
            }
            // Per-node dynamics_params in h5 override the JSON (SONATA spec; BMTK ignores them).
            const auto& group = pop.nodes.groups.at(pop.nodes.group_ids[row]);
            if (!group.dynamics_params.empty()) {
                const std::uint64_t grow = pop.nodes.group_indices[row];
                for (const auto& [name, column] : group.dynamics_params) {
                    if (column.is_string) params[name] = column.strings[grow];
                    else params[name] = column.numbers[grow];
                }
                key += "|row" + std::to_string(row);
                source += ", overridden by " + pop.nodes.file.string() + " /nodes/" + pop.name + " dynamics_params row " +
                          std::to_string(row);
            }
            const auto m = resolved.models.try_emplace(model).first;
            auto& b = m->second;
            auto [it, inserted] = b.set_of_key.emplace(key, static_cast<std::uint32_t>(b.sets.size()));
            if (inserted) {
                b.sets.push_back(models::ParameterSet{params, source});
                b.last_gid.push_back(gid);
            }
            b.last_gid[it->second] = gid;
            resolved.neurons.push_back({gid, &m->first, it->second});
            previous = {!varies_per_row(group), type_id, group_id, resolved.neurons.back(), &b};
        }
    }
    return resolved;
}

// The neuron groups of `resolved`, split into n_blocks blocks of contiguous
// gids. A set is moved into the last block that uses it (with per-node
// dynamics_params in h5 every neuron has its own), copied into the others.
void create_groups_in_blocks(ResolvedNeurons&& resolved, const TimeGrid& grid, Network& net, Gid begin, Gid end,
                             std::size_t n_blocks, const std::vector<std::uint64_t>& incoming) {
    net.local_begin = begin;
    net.local_end = end;
    n_blocks = std::max<std::size_t>(1, n_blocks);
    const std::vector<Gid> block_bounds = partition(net, incoming, n_blocks, begin, end);
    net.block_flat_begin.assign(1, 0);
    net.block_group_begin.assign(1, 0);
    // A block's groups hold only the parameter sets its neurons use, in order of first use.
    struct GroupBuild {
        std::vector<models::ParameterSet> sets;
        std::map<std::uint32_t, std::uint32_t> set_of_resolved;  // resolved set -> index in `sets`
        std::vector<std::uint32_t> set_of_neuron;
        std::vector<Gid> gids;
    };
    auto neuron = resolved.neurons.begin();
    for (std::size_t block = 0; block < n_blocks; ++block) {
        std::map<std::string, GroupBuild> builds;  // model -> build (map: deterministic order)
        for (; neuron != resolved.neurons.end() && neuron->gid < block_bounds[block + 1]; ++neuron) {
            auto& b = builds[*neuron->model];
            auto [it, inserted] = b.set_of_resolved.emplace(neuron->set, static_cast<std::uint32_t>(b.sets.size()));
            if (inserted) {
                auto& m = resolved.models.at(*neuron->model);
                auto& set = m.sets[neuron->set];
                if (m.last_gid[neuron->set] < block_bounds[block + 1]) b.sets.push_back(std::move(set));
                else b.sets.push_back(set);
            }
            b.set_of_neuron.push_back(it->second);
            b.gids.push_back(neuron->gid);
        }
        for (auto& [model, b] : builds) {
            const auto g = static_cast<std::int32_t>(net.groups.size());
            net.group_offset.push_back(static_cast<std::uint32_t>(net.gid_of_flat.size()));
            net.groups.push_back(models::create_group(model, b.sets, b.set_of_neuron, grid));
            for (std::size_t i = 0; i < b.gids.size(); ++i) {
                auto& loc = net.location[b.gids[i]];
                loc.group = g;
                loc.index = static_cast<std::uint32_t>(i);
                loc.flat = static_cast<std::uint32_t>(net.gid_of_flat.size());
                net.gid_of_flat.push_back(b.gids[i]);
            }
        }
        net.block_flat_begin.push_back(static_cast<std::uint32_t>(net.gid_of_flat.size()));
        net.block_group_begin.push_back(net.groups.size());
    }
}

}  // namespace

void create_neuron_groups(const config::SimulationConfig& cfg, const TimeGrid& grid, Network& net, Gid begin, Gid end,
                          std::size_t n_blocks, const std::vector<std::uint64_t>& incoming) {
    create_groups_in_blocks(resolve_neurons(cfg, net, begin, end), grid, net, begin, end, n_blocks, incoming);
}

std::size_t create_neuron_groups_in_thread_blocks(const config::SimulationConfig& cfg, const TimeGrid& grid, Network& net,
                                                  Gid begin, Gid end, int threads, std::size_t max_block_neurons,
                                                  const std::vector<std::uint64_t>& incoming, std::size_t max_slot_bytes) {
    ResolvedNeurons resolved = resolve_neurons(cfg, net, begin, end);
    if (max_block_neurons == 0) {
        // The ring buffer has as many channels as the local model with the
        // most: ask each model's group, made with all its sets and no neurons.
        int channels = 1;
        for (const auto& [model, m] : resolved.models)
            channels = std::max(channels, models::create_group(model, m.sets, {}, grid)->spike_channels());
        max_block_neurons = block_neuron_limit(channels, max_slot_bytes);
    }
    const std::size_t n_blocks = thread_blocks(resolved.neurons.size(), threads, max_block_neurons);
    create_groups_in_blocks(std::move(resolved), grid, net, begin, end, n_blocks, incoming);
    return n_blocks;
}

namespace {

// Edge-type information resolved once per type.
struct EdgeType {
    std::optional<double> syn_weight, nsyns, delay;  // from the CSV
    std::optional<double> json_delay;
    bool has_weight_function = false;
    int receptor = 0;
    std::optional<PlasticSetup> plastic;  // none: static_synapse
    std::map<std::string, double> given;  // the synapse's parameters in the JSON (plastic only)
    std::string params_source;            // where they come from, for messages
    std::int32_t recorder = -1;  // weight_recorder report recording it
};

// BMTK's weight_recorder reports copy a NEST synapse model under a new name
// (CopyModel(nest_model, model_template, {weight_recorder: ...})): edge types
// that use that name are recorded.
struct RecorderModel {
    std::string name;         // report name
    std::string nest_model;   // e.g. stdp_synapse
    std::string model_template;
};

std::vector<RecorderModel> recorder_models(const config::SimulationConfig& cfg) {
    std::vector<RecorderModel> out;
    for (const auto& rep : cfg.reports) {
        if (rep.params.value("module", "") != "weight_recorder") continue;
        const std::string where = cfg.config_path.string() + ": reports." + rep.name;
        auto text = [&](const char* key, const std::string& fallback) {
            auto it = rep.params.find(key);
            if (it == rep.params.end()) return fallback;
            if (!it->is_string()) throw config_error(where + "." + key + " must be a string, got " + it->dump());
            return it->get<std::string>();
        };
        RecorderModel m{rep.name, text("nest_model", "stdp_synapse"), text("model_template", "")};
        if (m.model_template.empty()) throw config_error(where + ".model_template is missing (the synapse model name edges use)");
        if (m.nest_model.rfind("nest:", 0) == 0) m.nest_model = m.nest_model.substr(5);
        out.push_back(m);
    }
    return out;
}

const std::vector<std::string>& known_weight_functions() {
    static const std::vector<std::string> names{"wmax", "default_weight_fnc", "set_syn_weight"};
    return names;
}

// Synapse models with state, by NEST name.
std::optional<SynapseKind> plastic_kind(const std::string& synapse) {
    for (auto k : {SynapseKind::stdp, SynapseKind::tsodyks2, SynapseKind::tsodyks})
        if (synapse == synapse_model_name(k)) return k;
    return std::nullopt;
}

bool is_parameter_of(SynapseKind kind, const std::string& key) {
    const auto& names = synapse_parameter_names(kind);
    return std::find(names.begin(), names.end(), key) != names.end();
}

EdgeType resolve_edge_type(const config::SimulationConfig& cfg, const sonata::TypeTable& types, std::int64_t type_id,
                           ComponentCache& components) {
    const std::string where = types.file().string() + ": edge_type_id " + std::to_string(type_id);
    EdgeType t;
    const auto model_template = types.get(type_id, "model_template");
    if (!model_template) throw input_error(where + ": model_template is missing");
    std::string synapse = *model_template;
    if (synapse.rfind("nest:", 0) == 0) synapse = synapse.substr(5);
    const auto recorders = recorder_models(cfg);
    for (std::size_t r = 0; r < recorders.size(); ++r) {
        if (recorders[r].model_template != synapse) continue;
        t.recorder = static_cast<std::int32_t>(r);
        synapse = recorders[r].nest_model;
    }
    const std::optional<SynapseKind> kind = plastic_kind(synapse);
    if (!kind && synapse != "static_synapse")
        throw model_error(where + ": synapse model '" + *model_template +
                          "' is not supported (supported: static_synapse, stdp_synapse, tsodyks2_synapse, tsodyks_synapse)");
    t.syn_weight = types.get_number(type_id, "syn_weight");
    t.nsyns = types.get_number(type_id, "nsyns");
    t.delay = types.get_number(type_id, "delay");
    if (const auto wf = types.get(type_id, "weight_function")) {
        const auto& known = known_weight_functions();
        if (std::find(known.begin(), known.end(), *wf) == known.end())
            throw model_error(where + ": weight_function '" + *wf +
                              "' is not supported (supported: wmax, default_weight_fnc, set_syn_weight, all syn_weight x nsyns)");
        t.has_weight_function = true;
    }
    if (const auto file = types.get(type_id, "dynamics_params")) {
        const fs::path path = component_dir(cfg, "synaptic_models_dir", where) / *file;
        const Json& params = components.load(path, where);
        for (auto it = params.begin(); it != params.end(); ++it) {
            const std::string src = path.string() + ": '" + it.key() + "'";
            if (it.key() == "receptor_type") {
                if (!it->is_number_integer()) throw model_error(src + " must be an integer, got " + it->dump());
                t.receptor = it->get<int>();
            } else if (it.key() == "delay") {
                if (!it->is_number()) throw model_error(src + " must be a number, got " + it->dump());
                t.json_delay = it->get<double>();
            } else if (it.key() == "weight") {
                if (!it->is_number()) throw model_error(src + " must be a number, got " + it->dump());
                // BMTK overwrites the JSON weight with syn_weight x nsyns.
            } else if (kind && is_parameter_of(*kind, it.key())) {
                if (!it->is_number()) throw model_error(src + " must be a number, got " + it->dump());
                t.given[it.key()] = it->get<double>();
            } else {
                throw model_error(path.string() + ": unknown parameter '" + it.key() + "' for " + synapse);
            }
        }
        t.params_source = path.string();
    } else {
        t.params_source = where;
    }
    if (kind) t.plastic = make_setup(*kind, t.given, t.params_source);
    return t;
}


// Edge rows per HDF5 read: large enough for bulk I/O, small enough that
// memory does not grow with the size of the file.
constexpr std::size_t kChunkRows = std::size_t{1} << 18;

// Edge rows per direct read (columns read without HDF5, by pread): few
// enough that a block of them (about 60 bytes a row, widened: 1 MB) stays
// near a core's L2 between being read and being turned into synapses.
// Measured at N = 20,000: 2^14 against 2^18 (HDF5's reads) 0.91 of the
// one-thread load; 2^12 and 2^13 slower than 2^14 (more reads), as was 2^15.
constexpr std::size_t kDirectReadRows = std::size_t{1} << 14;

// With threads that each read their own rows (direct reads): the rows of a
// chunk, whose synapses go into the rows together (many, so that each
// part brings most rows a run of words, not one or two).
constexpr std::size_t kConcurrentChunkRows = std::size_t{1} << 20;

// Calls f(first, count) for the rows [begin, end) in chunks of `rows`.
template <class F>
void for_each_chunk(std::uint64_t begin, std::uint64_t end, F&& f, std::size_t rows = kChunkRows) {
    for (std::uint64_t first = begin; first < end; first += rows)
        f(static_cast<std::size_t>(first), static_cast<std::size_t>(std::min<std::uint64_t>(rows, end - first)));
}

struct EdgeFileContext {
    const config::EdgeFiles& files;
    const sonata::TypeTable& types;
    std::map<std::int64_t, EdgeType>& edge_types;
    ComponentCache& components;
    std::uint64_t plan_index;  // which edge population, in reading order (for creation order keys)
    std::mutex edge_types_mutex{};  // add_block on several threads: edge_types and components
};

const std::string kDynamicsParams = "dynamics_params/";  // prefix of per-edge parameter columns in an EdgeBlock

struct PendingPlastic {
    Gid source;
    std::uint64_t order_key;
    std::uint32_t target;
    std::int32_t receptor;
    Step delay;
    double weight;
    PlasticSetup setup;
    std::int32_t recorder;
};

// Per-edge dynamics_params columns of a block (SONATA: they override the
// edge type's JSON). BMTK ignores them; pointsim applies them to the synapse
// models with state.
struct EdgeParamColumn {
    std::string name;  // parameter
    const std::vector<double>* values;
    const std::vector<std::uint8_t>* present;
};

// Turns the rows [from, to) of one block that target local neurons into
// synapses, added to `out` (a ConnectivityBuilder or one of its Stages).
template <class Synapses>
void add_block(const config::SimulationConfig& cfg, const TimeGrid& grid, const Network& net, EdgeFileContext& ctx,
               const sonata::EdgeReader& reader, const Population& src, const Population& tgt,
               const sonata::EdgeBlock& block, std::size_t from, std::size_t to, Synapses& out,
               std::vector<PendingPlastic>& plastic) {
    const std::string where = reader.file().string() + ": /edges/" + reader.name();
    std::vector<EdgeParamColumn> params;
    for (const auto& [name, values] : block.values)
        if (name.rfind(kDynamicsParams, 0) == 0)
            params.push_back({name.substr(kDynamicsParams.size()), &values, &block.present.at(name)});
    const auto& w_h5 = block.values.at("syn_weight");
    const auto& w_has = block.present.at("syn_weight");
    const auto& n_h5 = block.values.at("nsyns");
    const auto& n_has = block.present.at("nsyns");
    const auto& d_h5 = block.values.at("delay");
    const auto& d_has = block.present.at("delay");
    const double steps_per_ms = grid.steps_per_ms();
    // The edge types met so far, without the shared map's lock: types come
    // in runs, but a file sorted by target alternates between a few of them
    // (one per source class). std::map: the pointers stay valid as types are added.
    std::array<std::pair<std::int64_t, const EdgeType*>, 8> recent_types{};
    std::size_t n_recent_types = 0;
    const EdgeType* last_type = nullptr;
    std::int64_t last_type_id = 0;
    // Rows of one target come together in files sorted by target.
    std::uint64_t last_target_id = 0;
    const NeuronLocation* last_loc = nullptr;
    // The target's channel for the last receptor and sign of the weight
    // (models choose by nothing else: NeuronGroup::channel_for), kept while
    // the target stays: a virtual call per target and type, not per edge.
    struct ChannelOf {
        int receptor = 0, sign = 0, channel = -1;  // channel -1: none yet for this target
    } last_channel;
    // A column given on every row or on none of [from, to) (the usual case:
    // one group, or none of the column): the run loop below then needs no
    // per-row test of where a value comes from.
    enum class Given { all, none, mixed };
    auto given_in = [from, to](const std::vector<std::uint8_t>& has) {
        if (from == to) return Given::none;
        const auto first = has.begin() + static_cast<std::ptrdiff_t>(from);
        const auto last = has.begin() + static_cast<std::ptrdiff_t>(to);
        if (std::find(first, last, std::uint8_t{0}) == last) return Given::all;
        if (std::find(first, last, std::uint8_t{1}) == last) return Given::none;
        return Given::mixed;
    };
    const Given w_given = given_in(w_has), n_given = given_in(n_has), d_given = given_in(d_has);
    // Models choose a channel by the weight's sign: negative, zero or positive.
    auto sign_of = [](double weight) { return (weight > 0) - (weight < 0); };
    const bool runs_possible = w_given != Given::mixed && n_given != Given::mixed && d_given != Given::mixed;
    for (std::size_t i = from; i < to; ++i) {
        const std::size_t e = block.first_row + i;
        if (!last_loc || block.target_ids[i] != last_target_id) {
            last_channel.channel = -1;
            const auto t = tgt.rows.row_of(block.target_ids[i]);
            if (!t)
                throw input_error(where + "/target_node_id[" + std::to_string(e) + "] = " +
                                  std::to_string(block.target_ids[i]) + " is not a node of population '" + tgt.name + "'");
            last_loc = &net.location[tgt.gid_of_row(*t)];
            last_target_id = block.target_ids[i];
        }
        const NeuronLocation& loc = *last_loc;
        if (loc.group < 0) continue;  // another rank's target
        auto row_label = [e] { return "[" + std::to_string(e) + "]"; };  // for messages only
        const auto s = src.rows.row_of(block.source_ids[i]);
        if (!s)
            throw input_error(where + "/source_node_id" + row_label() + " = " + std::to_string(block.source_ids[i]) +
                              " is not a node of population '" + src.name + "'");
        const std::int64_t type_id = block.edge_type_ids[i];
        if (!last_type || type_id != last_type_id) {
            last_type = nullptr;
            for (std::size_t k = 0; k < std::min(n_recent_types, recent_types.size()) && !last_type; ++k)
                if (recent_types[k].first == type_id) last_type = recent_types[k].second;
            if (!last_type) {
                const std::lock_guard<std::mutex> lock(ctx.edge_types_mutex);
                auto et = ctx.edge_types.find(type_id);
                if (et == ctx.edge_types.end()) {
                    if (!ctx.types.has_type(type_id))
                        throw input_error(where + "/edge_type_id" + row_label() + " = " + std::to_string(type_id) +
                                          " is not in " + ctx.files.edge_types_file.string());
                    et = ctx.edge_types.emplace(type_id, resolve_edge_type(cfg, ctx.types, type_id, ctx.components)).first;
                }
                last_type = &et->second;
                recent_types[n_recent_types % recent_types.size()] = {type_id, last_type};
                ++n_recent_types;
            }
            last_type_id = type_id;
        }
        const EdgeType& type = *last_type;
        // BMTK PointEdgeAdaptor: weight = syn_weight x nsyns, h5 before CSV, nsyns defaults to 1.
        const std::optional<double> syn_weight = w_has[i] ? std::optional<double>(w_h5[i]) : type.syn_weight;
        if (!syn_weight)
            throw input_error(where + row_label() + ": no syn_weight in the h5 group or in " + ctx.files.edge_types_file.string() +
                              " (edge_type_id " + std::to_string(type_id) + "; empty, NONE and NaN count as missing)");
        const double nsyns = n_has[i] ? n_h5[i] : type.nsyns.value_or(1.0);
        const double weight = *syn_weight * nsyns;
        if (!std::isfinite(weight)) {
            // Say where each factor came from: the h5 group or the edge type.
            const std::string from_type = " from edge_type_id " + std::to_string(type_id) + " in " +
                                          ctx.files.edge_types_file.string();
            throw input_error(where + row_label() + ": synaptic weight is " + number_text(weight) + " (syn_weight " +
                              number_text(*syn_weight) + (w_has[i] ? " from the h5 group" : from_type) + " x nsyns " +
                              number_text(nsyns) + (n_has[i] ? " from the h5 group" : type.nsyns ? from_type : " by default") +
                              ")");
        }
        // h5, else CSV, else the synapse JSON, else NEST's default of 1 ms.
        const double delay_ms = d_has[i] ? d_h5[i] : type.delay.value_or(type.json_delay.value_or(1.0));
        if (!std::isfinite(delay_ms)) throw input_error(where + row_label() + ": delay is " + number_text(delay_ms));
        const Step d = TimeGrid::delay_to_steps(delay_ms, steps_per_ms);
        if (d < 1)
            throw input_error(where + row_label() + ": delay " + number_text(delay_ms) + " ms is below the resolution dt = " +
                              number_text(grid.dt_ms) + " ms");
        if (d >= (Step{1} << Connectivity::kDelayBits))
            throw input_error(where + row_label() + ": delay " + number_text(delay_ms) + " ms is " + std::to_string(d) +
                              " steps of dt = " + number_text(grid.dt_ms) + " ms, longer than pointsim supports (" +
                              std::to_string((Step{1} << Connectivity::kDelayBits) - 1) + " steps)");
        const int sign = sign_of(weight);
        if (last_channel.channel < 0 || last_channel.receptor != type.receptor || last_channel.sign != sign)
            last_channel = {type.receptor, sign,
                            net.groups[static_cast<std::size_t>(loc.group)]->channel_for(weight, type.receptor, loc.index)};
        const int channel = last_channel.channel;
        if (type.plastic) {
            const auto kind = static_cast<SynapseKind>(type.plastic->index());
            PlasticSetup setup = *type.plastic;
            // Per-edge values in the h5 group's dynamics_params, over the JSON's.
            // (stdp_synapse: the edge type's values only, as BMTK.)
            std::map<std::string, double> given;
            std::string overridden;
            for (const auto& column : params) {
                if (kind == SynapseKind::stdp || !(*column.present)[i]) continue;
                const std::string dataset = where + "/" + std::to_string(block.group_ids[i]) + "/dynamics_params/" + column.name;
                if (!is_parameter_of(kind, column.name))
                    throw model_error(dataset + ": unknown parameter '" + column.name + "' for " + synapse_model_name(kind));
                if (given.empty()) given = type.given;
                given[column.name] = (*column.values)[i];
                overridden += (overridden.empty() ? "" : ", ") + dataset + row_label();
            }
            if (!overridden.empty()) setup = make_setup(kind, given, type.params_source + ", overridden by " + overridden);
            if (kind == SynapseKind::stdp) {
                const double Wmax = std::get<StdpSetup>(setup).params.Wmax;
                if ((weight >= 0) != (Wmax >= 0))
                    throw model_error(where + row_label() + ": stdp_synapse weight " + number_text(weight) + " and Wmax " +
                                      number_text(Wmax) + " must have the same sign");
            }
            // Creation order as BMTK makes connections: edge population, edge type, row.
            const std::uint64_t key = (ctx.plan_index << 56) | ((static_cast<std::uint64_t>(type_id) & 0xffff) << 40) |
                                      (static_cast<std::uint64_t>(e) & ((std::uint64_t{1} << 40) - 1));
            plastic.push_back({src.gid_of_row(*s), key, loc.flat, type.receptor, d, weight, std::move(setup), type.recorder});
            continue;
        }
        out.add(src.gid_of_row(*s), loc.flat, channel, weight, d);
        if (!runs_possible) continue;
        // The rest of this row's run of (target, edge type), without what is
        // the same for all of it: the target's location and channel, the edge
        // type, where each value comes from. The checks that stay are the
        // ones above; a row that fails one, or changes the channel, ends the
        // run and goes through the loop above, which names it.
        const double run_syn_weight = *syn_weight, run_nsyns = nsyns;
        const bool w_column = w_given == Given::all, n_column = n_given == Given::all, d_column = d_given == Given::all;
        std::size_t j = i + 1;
        out.add_run(loc.flat, channel, [&](std::uint64_t& source, double& w_j, Step& d_j) {
            if (j == to || block.target_ids[j] != last_target_id || block.edge_type_ids[j] != type_id) return false;
            const std::size_t s_j = src.rows.row_or_none(block.source_ids[j]);
            if (s_j == NodeIdIndex::kNoRow) return false;
            w_j = (w_column ? w_h5[j] : run_syn_weight) * (n_column ? n_h5[j] : run_nsyns);
            if (!std::isfinite(w_j) || sign_of(w_j) != sign) return false;
            d_j = d;
            if (d_column) {
                if (!std::isfinite(d_h5[j])) return false;
                d_j = TimeGrid::delay_to_steps(d_h5[j], steps_per_ms);
                if (d_j < 1 || d_j >= (Step{1} << Connectivity::kDelayBits)) return false;
            }
            source = src.gid_of_row(s_j);
            ++j;
            return true;
        });
        i = j - 1;
    }
}

// The rows [begin, end) chunk by chunk on a team of `threads` threads (one
// thread reads: HDF5 is not thread-safe). read(first, count, block) fills
// one of the two `blocks`, in turn, so their buffers are reused. For each
// chunk, convert(block, share) runs as a task for each of `n_shares` shares
// while the reader reads the next chunk into the other block and then joins
// in; then apply(block, count) on the reading thread (it may run tasks of
// its own, run_tasks). A chunk's error (from apply) comes before a read
// error of the next chunk.
template <class Block, class Read, class Convert, class Apply>
void read_and_process_on_team(std::uint64_t begin, std::uint64_t end, int threads, std::size_t n_shares,
                              std::array<Block, 2>& blocks, Read&& read, Convert&& convert, Apply&& apply) {
    auto rows_from = [end](std::uint64_t first) {
        return static_cast<std::size_t>(first < end ? std::min<std::uint64_t>(kChunkRows, end - first) : 0);
    };
    std::exception_ptr error;
#pragma omp parallel num_threads(threads)
#pragma omp single
    try {
        std::size_t current = 0;  // which block holds the chunk being converted
        std::uint64_t first = begin;
        std::size_t count = rows_from(first);
        if (count > 0) read(static_cast<std::size_t>(first), count, blocks[current]);
        while (count > 0) {
            const Block& block = blocks[current];
            for (std::size_t share = 0; share < n_shares; ++share) {
#pragma omp task firstprivate(share) shared(block, convert)
                convert(block, share);  // catches its own errors
            }
            const std::uint64_t next_first = first + count;
            const std::size_t next_count = rows_from(next_first);
            std::exception_ptr read_error;
            try {
                if (next_count > 0) read(static_cast<std::size_t>(next_first), next_count, blocks[1 - current]);
            } catch (...) {
                read_error = std::current_exception();
            }
#pragma omp taskwait
            apply(block, count);
            if (read_error) std::rethrow_exception(read_error);
            current = 1 - current;
            first = next_first;
            count = next_count;
        }
    } catch (...) {
        error = std::current_exception();
    }
    if (error) std::rethrow_exception(error);
}

// The rows [begin, end) chunk by chunk on a team of `threads` threads when
// the edge reader may be read from several threads at once: for each chunk,
// read_and_convert(first, count, share) runs as a task for each of `n_shares`
// shares (each reads its own rows), then apply(first, count, failed) on one
// thread, `failed` saying whether a share threw (apply then does the chunk
// again on one thread, which throws the first error in row order).
template <class ReadAndConvert, class Apply>
void read_concurrently_on_team(std::uint64_t begin, std::uint64_t end, int threads, std::size_t n_shares,
                               ReadAndConvert&& read_and_convert, Apply&& apply) {
    std::exception_ptr error;
#pragma omp parallel num_threads(threads)
#pragma omp single
    try {
        std::vector<std::uint8_t> failed(n_shares, 0);
        for_each_chunk(begin, end, [&](std::size_t first, std::size_t count) {
            std::fill(failed.begin(), failed.end(), std::uint8_t{0});
            for (std::size_t share = 0; share < n_shares; ++share) {
#pragma omp task firstprivate(share) shared(failed, read_and_convert)
                try {
                    read_and_convert(first, count, share);
                } catch (...) {
                    failed[share] = 1;
                }
            }
#pragma omp taskwait
            apply(first, count, std::find(failed.begin(), failed.end(), 1) != failed.end());
        }, kConcurrentChunkRows);
    } catch (...) {
        error = std::current_exception();
    }
    if (error) std::rethrow_exception(error);
}

// f(part) for every part of [0, parts) as tasks of the current team; waits for them.
template <class F>
void run_tasks(std::size_t parts, F&& f) {
    for (std::size_t part = 0; part < parts; ++part) {
#pragma omp task firstprivate(part) shared(f)
        f(part);
    }
#pragma omp taskwait
}

// Share `share` of `n_shares` contiguous shares of [0, n).
std::pair<std::size_t, std::size_t> share_of(std::size_t n, std::size_t share, std::size_t n_shares) {
    return {n * share / n_shares, n * (share + 1) / n_shares};
}

// Index of `value` in `sets`, appended if new. A linear search from the
// most recent set: synapses of one edge type come together, and sets are few
// unless the edges h5 gives per-edge values.
template <class Params>
std::uint32_t intern(std::vector<Params>& sets, const Params& value) {
    for (auto i = sets.size(); i-- > 0 && i + 64 >= sets.size();)
        if (sets[i] == value) return static_cast<std::uint32_t>(i);
    sets.push_back(value);
    return static_cast<std::uint32_t>(sets.size() - 1);
}

// Rows by source gid, each in creation order; parameter sets deduplicated.
PlasticSynapses build_plastic(std::vector<PendingPlastic> pending, std::size_t n_gids,
                              const std::vector<RecorderModel>& recorders) {
    PlasticSynapses p;
    for (const auto& r : recorders) p.recorder_names.push_back(r.name);
    if (pending.empty()) return p;
    std::sort(pending.begin(), pending.end(), [](const PendingPlastic& a, const PendingPlastic& b) {
        return a.source != b.source ? a.source < b.source : a.order_key < b.order_key;
    });
    p.row_begin.assign(n_gids + 1, 0);
    for (const auto& s : pending) {
        ++p.row_begin[s.source + 1];
        p.target.push_back(s.target);
        p.receptor.push_back(s.receptor);
        p.delay.push_back(s.delay);
        p.weight.push_back(s.weight);
        p.kind.push_back(static_cast<SynapseKind>(s.setup.index()));
        // NEST's t_lastspike_: 0 at the start; tsodyks2_synapse marks "no spike yet" by -1.
        p.t_last.push_back(p.kind.back() == SynapseKind::tsodyks2 ? -1.0 : 0.0);
        if (const auto* stdp = std::get_if<StdpSetup>(&s.setup)) {
            p.slot.push_back(static_cast<std::uint32_t>(p.stdp.size()));
            p.stdp.push_back({stdp->Kplus, intern(p.stdp_params, stdp->params)});
        } else if (const auto* t2 = std::get_if<Tsodyks2Setup>(&s.setup)) {
            p.slot.push_back(static_cast<std::uint32_t>(p.tsodyks2.size()));
            Tsodyks2State state = t2->state;
            state.params = intern(p.tsodyks2_params, t2->params);
            p.tsodyks2.push_back(state);
        } else {
            const auto& t1 = std::get<TsodyksSetup>(s.setup);
            p.slot.push_back(static_cast<std::uint32_t>(p.tsodyks.size()));
            TsodyksState state = t1.state;
            state.params = intern(p.tsodyks_params, t1.params);
            p.tsodyks.push_back(state);
        }
        p.recorder.push_back(s.recorder);
        p.order_key.push_back(s.order_key);
    }
    std::partial_sum(p.row_begin.begin(), p.row_begin.end(), p.row_begin.begin());
    return p;
}

// The populations an edge population connects, checked.
std::pair<const Population*, const Population*> endpoints(const Network& net, const sonata::EdgeReader& reader) {
    const std::string where = reader.file().string() + ": /edges/" + reader.name();
    const Population* src = net.find_population(reader.source_population());
    const Population* tgt = net.find_population(reader.target_population());
    if (!src)
        throw input_error(where + "/source_node_id: node_population '" + reader.source_population() + "' is not in the network");
    if (!tgt)
        throw input_error(where + "/target_node_id: node_population '" + reader.target_population() + "' is not in the network");
    if (tgt->is_virtual) throw input_error(where + ": target population '" + tgt->name + "' consists of virtual nodes");
    return {src, tgt};
}

}  // namespace

const Population& Network::population_of(Gid gid) const {
    auto it = std::upper_bound(populations.begin(), populations.end(), gid,
                               [](Gid g, const Population& p) { return g < p.first_gid; });
    return *(it - 1);
}

std::uint64_t Network::node_id_of(Gid gid) const {
    const Population& p = population_of(gid);
    return p.nodes.node_ids[gid - p.first_gid];
}

const Population* Network::find_population(const std::string& name) const {
    for (const auto& p : populations)
        if (p.name == name) return &p;
    return nullptr;
}

std::vector<std::uint64_t> count_incoming(const config::SimulationConfig& cfg, const Network& net, int rank,
                                          int n_ranks) {
    std::vector<std::uint64_t> incoming(net.n_gids(), 0);
    for (const auto& files : cfg.edges) {
        if (!files.enabled) continue;
        for (const auto& name : sonata::EdgeReader::populations(files.edges_file)) {
            const sonata::EdgeReader reader(files.edges_file, name);
            const Population* tgt = endpoints(net, reader).second;
            // This rank's contiguous share of the rows.
            const std::size_t n = reader.size();
            const std::size_t begin = n * static_cast<std::size_t>(rank) / static_cast<std::size_t>(n_ranks);
            const std::size_t end = n * static_cast<std::size_t>(rank + 1) / static_cast<std::size_t>(n_ranks);
            std::vector<std::uint64_t> ids;
            for_each_chunk(begin, end, [&](std::size_t first, std::size_t count) {
                reader.target_ids(first, count, ids);
                for (std::size_t i = 0; i < count; ++i) {
                    const auto t = tgt->rows.row_of(ids[i]);
                    if (!t)
                        throw input_error(files.edges_file.string() + ": /edges/" + name + "/target_node_id[" +
                                          std::to_string(first + i) + "] = " + std::to_string(ids[i]) +
                                          " is not a node of population '" + tgt->name + "'");
                    ++incoming[tgt->gid_of_row(*t)];
                }
            });
        }
    }
    return incoming;
}

std::vector<Gid> partition(const Network& net, const std::vector<std::uint64_t>& incoming, std::size_t n_parts, Gid begin,
                           Gid end) {
    // Cost of a neuron: one update per step plus its incoming synapses.
    const std::size_t n = static_cast<std::size_t>(end - begin);
    std::vector<std::uint64_t> prefix(n + 1, 0);
    for (std::size_t i = 0; i < n; ++i) {
        const Gid g = begin + i;
        prefix[i + 1] = prefix[i] + (net.simulated[g] ? 1 + (incoming.empty() ? 0 : incoming[g]) : 0);
    }
    std::vector<Gid> bounds(n_parts + 1, end);
    bounds[0] = begin;
    for (std::size_t r = 1; r < n_parts; ++r) {
        // First gid whose cumulative cost reaches r/n of the total (integer arithmetic: deterministic).
        const std::uint64_t target = (prefix.back() * r + n_parts - 1) / n_parts;
        const auto b = begin + static_cast<Gid>(std::lower_bound(prefix.begin(), prefix.end(), target) - prefix.begin());
        bounds[r] = std::max(b, bounds[r - 1]);
    }
    return bounds;
}

std::size_t block_neuron_limit(int spike_channels, std::size_t max_slot_bytes) {
    const auto bytes_per_neuron = static_cast<std::size_t>(std::max(1, spike_channels)) * sizeof(double);
    return std::max<std::size_t>(1, max_slot_bytes / bytes_per_neuron);
}

std::size_t thread_blocks(std::size_t n_local_neurons, int threads, std::size_t max_block_neurons) {
    const auto t = static_cast<std::size_t>(std::max(1, threads));
    const std::size_t most = std::max<std::size_t>(1, max_block_neurons);
    const std::size_t per_thread = (n_local_neurons + t - 1) / t;
    return t * std::max<std::size_t>(1, (per_thread + most - 1) / most);
}

std::vector<Gid> partition(const Network& net, const std::vector<std::uint64_t>& incoming, int n_ranks) {
    return partition(net, incoming, static_cast<std::size_t>(n_ranks), 0, net.n_gids());
}

void read_edges(const config::SimulationConfig& cfg, const TimeGrid& grid, Network& net, int threads) {
    // First decide which rows of which population to read, so that the
    // synapse arrays are allocated once, at their final size.
    struct Plan {
        const config::EdgeFiles* files;
        sonata::EdgeReader reader;
        const Population* src;
        const Population* tgt;
        std::vector<std::pair<std::uint64_t, std::uint64_t>> ranges;
        bool all_local;  // every target of the population is on this rank
        std::vector<std::string> attributes;  // read per edge row
        bool direct;  // its columns are read without HDF5, from any thread (prepare_concurrent_reads)
        std::size_t rows_per_read() const { return direct ? kDirectReadRows : kChunkRows; }  // on one thread
    };
    const std::vector<std::string> core_attributes{"syn_weight", "nsyns", "delay"};
    std::vector<Plan> plans;
    std::uint64_t rows_to_read = 0;
    for (const auto& files : cfg.edges) {
        if (!files.enabled) continue;
        for (const auto& name : sonata::EdgeReader::populations(files.edges_file)) {
            sonata::EdgeReader reader(files.edges_file, name);
            const auto [src, tgt] = endpoints(net, reader);
            // All rows when every target is local, else the local targets'
            // ranges from the index when the file has one.
            std::vector<std::pair<std::uint64_t, std::uint64_t>> ranges{{0, reader.size()}};
            bool all_local = true;
            std::vector<std::uint64_t> local_node_ids;
            for (std::size_t row = 0; row < tgt->size(); ++row) {
                if (net.is_local(tgt->gid_of_row(row))) local_node_ids.push_back(tgt->nodes.node_ids[row]);
                else all_local = false;
            }
            if (!all_local) {
                std::sort(local_node_ids.begin(), local_node_ids.end());
                if (auto indexed = reader.target_ranges(local_node_ids)) ranges = std::move(*indexed);
            }
            for (const auto& [begin, end] : ranges) rows_to_read += end - begin;
            std::vector<std::string> attributes = core_attributes;
            for (const auto& param : reader.dynamics_param_names()) attributes.push_back(kDynamicsParams + param);
            // Columns that can be read without HDF5 (contiguous datasets) are:
            // each thread then reads its own rows; else one thread reads.
            const bool direct = reader.prepare_concurrent_reads(attributes);
            plans.push_back({&files, std::move(reader), src, tgt, std::move(ranges), all_local, std::move(attributes),
                             direct});
        }
    }

    {
        // 8 bytes per synapse, the row index and the rows' write positions,
        // pass 1's row counts per thread (with threads), and the input ring
        // buffer with its fewest slots (the delays are not known yet:
        // checked again below).
        const std::uint64_t ring = 2 * spike_channels(net) * net.n_neurons() * sizeof(double);
        const std::uint64_t n_rows = static_cast<std::uint64_t>(net.n_gids()) * std::max<std::size_t>(1, net.n_blocks());
        const std::uint64_t counters = threads > 1 ? 8 * n_rows * static_cast<std::uint64_t>(threads) : 0;
        const std::uint64_t needed = 8 * rows_to_read + 16 * n_rows + counters + ring;
        check_memory(cfg, needed,
                     "the connectivity (" + std::to_string(rows_to_read) + " edge rows x 8 bytes, " +
                         "plus input buffers of at least " + fmt_bytes(static_cast<double>(ring)) + ")");
    }

    ComponentCache components;
    ConnectivityBuilder synapses(net.n_gids(), net.n_neurons(), net.block_flat_begin);
    synapses.allow_narrow(!wide_synapse_words_asked());
    // Two threads or more, in both passes: each chunk of rows is cut into
    // shares, each done by a task of the team while the next chunk is read.
    // Pass 1 counts into a Counter per thread; pass 2 stages each share,
    // then the stages go into the rows in `n_parts` parts.
    const auto n_parts = static_cast<std::size_t>(std::max(1, threads));
    std::vector<ConnectivityBuilder::Stage> stages;
    std::vector<ConnectivityBuilder::Counter> counters;
    if (threads > 1) {
        stages.assign(4 * n_parts, ConnectivityBuilder::Stage(synapses, n_parts));
        // A share of the largest chunk (direct reads' or HDF5's) per stage.
        for (auto& stage : stages) stage.reserve(std::max(kConcurrentChunkRows, kChunkRows) / stages.size());
        counters.assign(n_parts, ConnectivityBuilder::Counter(synapses));
    }
    // Pass 1: the size of every row, from the node ids alone, so that pass 2
    // writes each synapse into its row's final place (no sort by source).
    // Rows that pass 2 will reject are skipped here: add_block names them.
    using Ids = std::pair<std::vector<std::uint64_t>, std::vector<std::uint64_t>>;  // sources, targets
    std::array<Ids, 2> ids;  // read buffers, reused chunk after chunk
    std::vector<Ids> share_ids(stages.size());  // the same per share, for concurrent reads
    for (const auto& plan : plans) {
        const bool source_is_enough = plan.all_local && synapses.n_blocks() == 1;
        const std::size_t read_rows = plan.rows_per_read();
        for (const auto& [begin, end] : plan.ranges) {
            auto read_ids = [&](std::size_t first, std::size_t count, Ids& ids) {
                plan.reader.source_ids(first, count, ids.first);
                if (!source_is_enough) plan.reader.target_ids(first, count, ids.second);
            };
            // The rows [from, to) of a chunk, counted into `out` (the builder or a Counter).
            auto count_rows = [&](const Ids& ids, std::size_t from, std::size_t to, auto& out) {
                const auto& [sources, targets] = ids;
                const NodeIdIndex& src_rows = plan.src->rows;
                const NodeIdIndex& tgt_rows = plan.tgt->rows;
                for (std::size_t i = from; i < to; ++i) {
                    const std::size_t s = src_rows.row_or_none(sources[i]);
                    if (s == NodeIdIndex::kNoRow) continue;
                    std::uint32_t flat = 0;
                    if (!source_is_enough) {
                        const std::size_t t = tgt_rows.row_or_none(targets[i]);
                        if (t == NodeIdIndex::kNoRow) continue;
                        const NeuronLocation& loc = net.location[plan.tgt->gid_of_row(t)];
                        if (loc.group < 0) continue;
                        flat = loc.flat;
                    }
                    out.count(plan.src->gid_of_row(s), flat);
                }
            };
            if (stages.empty()) {
                for_each_chunk(begin, end, [&](std::size_t first, std::size_t count) {
                    read_ids(first, count, ids[0]);
                    count_rows(ids[0], 0, count, synapses);
                }, read_rows);
                continue;
            }
            if (plan.direct) {
                read_concurrently_on_team(
                    begin, end, threads, stages.size(),
                    [&](std::size_t first, std::size_t count, std::size_t share) {
                        const auto [from, to] = share_of(count, share, stages.size());
                        Ids& mine = share_ids[share];
                        for_each_chunk(first + from, first + to, [&](std::size_t piece, std::size_t rows) {
                            read_ids(piece, rows, mine);
                            count_rows(mine, 0, rows, counters[static_cast<std::size_t>(omp_get_thread_num())]);
                        }, kDirectReadRows);
                    },
                    [&](std::size_t first, std::size_t count, bool failed) {
                        if (!failed) return;
                        // In the pieces one thread reads: the same first error.
                        for_each_chunk(first, first + count, [&](std::size_t piece, std::size_t rows) { read_ids(piece, rows, ids[0]); },
                                       read_rows);
                        throw std::logic_error("read_edges: a read that failed on a thread did not fail again");
                    });
                continue;
            }
            read_and_process_on_team(
                begin, end, threads, stages.size(), ids, read_ids,
                [&](const Ids& ids, std::size_t share) {
                    const auto [from, to] = share_of(ids.first.size(), share, stages.size());
                    // A task runs on one thread from start to end (tied).
                    count_rows(ids, from, to, counters[static_cast<std::size_t>(omp_get_thread_num())]);
                },
                [&](const Ids&, std::size_t) {});
        }
    }
    synapses.add_counts(counters);
    std::vector<ConnectivityBuilder::Counter>().swap(counters);
    synapses.allocate();
    std::vector<PendingPlastic> plastic;
    const config::EdgeFiles* types_of = nullptr;
    std::optional<sonata::TypeTable> types;
    std::map<std::int64_t, EdgeType> edge_types;
    for (const auto& plan : plans) {
        if (plan.files != types_of) {  // one edge types CSV per edges file entry
            types_of = plan.files;
            types = sonata::TypeTable::read(plan.files->edge_types_file, "edge_type_id");
            edge_types.clear();
        }
        EdgeFileContext ctx{*plan.files, *types, edge_types, components,
                            static_cast<std::uint64_t>(&plan - plans.data())};
        const std::vector<std::string>& attributes = plan.attributes;
        const std::size_t read_rows = plan.rows_per_read();
        std::array<sonata::EdgeBlock, 2> blocks;  // read buffers, reused chunk after chunk
        for (const auto& [begin, end] : plan.ranges) {
            auto read = [&](std::size_t first, std::size_t count, sonata::EdgeBlock& block) {
                plan.reader.read(first, count, attributes, block);
            };
            // Rows [first, first + count) read into `block`, then turned into synapses in `out`.
            auto read_and_add = [&](std::size_t first, std::size_t count, sonata::EdgeBlock& block, auto& out,
                                    std::vector<PendingPlastic>& out_plastic) {
                read(first, count, block);
                add_block(cfg, grid, net, ctx, plan.reader, *plan.src, *plan.tgt, block, 0, count, out, out_plastic);
            };
            if (stages.empty()) {
                for_each_chunk(begin, end, [&](std::size_t first, std::size_t count) {
                    const std::size_t before = synapses.size() + plastic.size();
                    read_and_add(first, count, blocks[0], synapses, plastic);
                    net.n_edge_rows_read += count;
                    net.n_edges += synapses.size() + plastic.size() - before;
                }, read_rows);
                continue;
            }
            // Each share into its own stage; if any share fails, the chunk is
            // done again on one thread, which throws the first bad row's error.
            std::vector<std::vector<PendingPlastic>> share_plastic(stages.size());
            std::vector<std::uint8_t> failed(stages.size(), 0);
            auto clear_shares = [&] {
                for (std::size_t share = 0; share < stages.size(); ++share) {
                    stages[share].clear();
                    share_plastic[share].clear();
                    failed[share] = 0;
                }
            };
            // The chunk's stages into the rows, its plastic synapses after the earlier ones.
            auto put_stages = [&](std::size_t count) {
                const std::size_t before = synapses.size() + plastic.size();
                synapses.begin_add_stages(stages);
                run_tasks(n_parts, [&](std::size_t part) { synapses.add_stages_part(stages, part); });
                synapses.end_add_stages(stages);
                for (auto& share : share_plastic) {
                    plastic.insert(plastic.end(), std::make_move_iterator(share.begin()), std::make_move_iterator(share.end()));
                    share.clear();
                }
                net.n_edge_rows_read += count;
                net.n_edges += synapses.size() + plastic.size() - before;
            };
            if (plan.direct) {
                std::vector<sonata::EdgeBlock> share_blocks(stages.size());  // each share reads its own rows
                read_concurrently_on_team(
                    begin, end, threads, stages.size(),
                    [&](std::size_t first, std::size_t count, std::size_t share) {
                        const auto [from, to] = share_of(count, share, stages.size());
                        for_each_chunk(first + from, first + to, [&](std::size_t piece, std::size_t rows) {
                            read_and_add(piece, rows, share_blocks[share], stages[share], share_plastic[share]);
                        }, kDirectReadRows);
                    },
                    [&](std::size_t first, std::size_t count, bool any_failed) {
                        if (any_failed) {
                            // Again in the pieces one thread reads and converts: the same first error.
                            clear_shares();
                            for_each_chunk(first, first + count, [&](std::size_t piece, std::size_t rows) {
                                read_and_add(piece, rows, blocks[0], stages[0], share_plastic[0]);
                            }, read_rows);
                        }
                        put_stages(count);
                    });
                continue;
            }
            read_and_process_on_team(
                begin, end, threads, stages.size(), blocks, read,
                [&](const sonata::EdgeBlock& block, std::size_t share) {
                    const auto [from, to] = share_of(block.size(), share, stages.size());
                    try {
                        add_block(cfg, grid, net, ctx, plan.reader, *plan.src, *plan.tgt, block, from, to, stages[share],
                                  share_plastic[share]);
                    } catch (...) {
                        failed[share] = 1;
                    }
                },
                [&](const sonata::EdgeBlock& block, std::size_t count) {
                    if (std::find(failed.begin(), failed.end(), 1) != failed.end()) {
                        clear_shares();
                        add_block(cfg, grid, net, ctx, plan.reader, *plan.src, *plan.tgt, block, 0, count, stages[0],
                                  share_plastic[0]);
                    }
                    put_stages(count);
                });
        }
    }
    net.connectivity = synapses.finish();
    net.plastic = build_plastic(std::move(plastic), net.n_gids(), recorder_models(cfg));
    // Plastic synapses share the exchange interval and ring buffer with static ones.
    if (!net.plastic.empty()) {
        const auto [lo, hi] = std::minmax_element(net.plastic.delay.begin(), net.plastic.delay.end());
        auto& c = net.connectivity;
        c.min_delay = c.size() ? std::min(c.min_delay, *lo) : *lo;
        c.max_delay = std::max(c.max_delay, *hi);
    }
    // The engine's ring buffer: one slot per step of the longest delay.
    const auto slots = static_cast<std::uint64_t>(net.connectivity.max_delay) + 1;
    const std::uint64_t channels = spike_channels(net);
    check_memory(cfg, slots * channels * net.n_neurons() * sizeof(double),
                 "the input ring buffer (" + std::to_string(slots) + " slots for delays up to " +
                     number_text(grid.step_to_ms(net.connectivity.max_delay)) + " ms x " + std::to_string(channels) +
                     " channels x " + std::to_string(net.n_neurons()) + " neurons x 8 bytes)",
                 (net.connectivity.narrow ? 4 : 8) * static_cast<std::uint64_t>(net.connectivity.size()) +
                     16 * static_cast<std::uint64_t>(net.n_gids()));
}

Network build(const config::SimulationConfig& cfg, const TimeGrid& grid, std::size_t n_blocks) {
    Network net = read_nodes(cfg);
    create_neuron_groups(cfg, grid, net, 0, net.n_gids(), n_blocks);
    read_edges(cfg, grid, net);
    return net;
}

}  // namespace pointsim::network
