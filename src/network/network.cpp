#include "network/network.hpp"

#include <algorithm>
#include <cmath>
#include <fstream>
#include <numeric>
#include <sstream>

#include "common/error.hpp"
#include "common/logging.hpp"

namespace pointsim::network {

namespace fs = std::filesystem;
using Json = nlohmann::json;

namespace {

std::string fmt_double(double v) {
    std::ostringstream s;
    s << v;
    return s.str();
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
        } catch (const Json::parse_error& e) {
            throw input_error(file.string() + ": invalid JSON: " + e.what());
        }
        if (!doc.is_object()) throw input_error(file.string() + ": dynamics_params must be a JSON object");
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

// Value of a per-row attribute: the node group's h5 dataset wins over the types CSV (SONATA).
std::optional<std::string> type_value(const sonata::TypeTable& types, std::int64_t type_id, const std::string& col) {
    return types.get(type_id, col);
}

struct NodeTypeModel {
    bool is_virtual = false;
    std::string model;      // NEST model name
    std::uint32_t set = 0;  // parameter set index within its model
};

void read_nodes(const config::SimulationConfig& cfg, Network& net) {
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
                p.row_of_node_id[pop.node_ids[row]] = row;
            }
            p.nodes = std::move(pop);
            net.location.resize(net.location.size() + p.size());
            net.populations.push_back(std::move(p));
        }
    }
    if (net.populations.empty()) throw input_error(cfg.config_path.string() + ": the networks hold no node population");
}

// Decides model and parameters per node, creates one neuron group per model.
void create_neuron_groups(const config::SimulationConfig& cfg, const TimeGrid& grid, Network& net) {
    ComponentCache components;
    struct GroupBuild {
        std::vector<models::ParameterSet> sets;
        std::map<std::string, std::uint32_t> set_of_key;  // type+file -> set index
        std::vector<std::uint32_t> set_of_neuron;
        std::vector<Gid> gids;
    };
    std::map<std::string, GroupBuild> builds;  // model -> build (map: deterministic order)

    for (auto& pop : net.populations) {
        const auto& types = *pop.types;
        const std::string where = pop.nodes.file.string() + ": population '" + pop.name + "'";
        std::size_t n_virtual = 0;
        for (std::size_t row = 0; row < pop.size(); ++row) {
            const std::int64_t type_id = pop.nodes.node_type_ids[row];
            const auto& group = pop.nodes.groups.at(pop.nodes.group_ids[row]);
            const std::uint64_t grow = pop.nodes.group_indices[row];
            auto attr = [&](const std::string& name) -> std::optional<std::string> {
                auto it = group.attributes.find(name);
                if (it != group.attributes.end() && it->second.is_string) return it->second.strings[grow];
                return type_value(types, type_id, name);
            };
            const auto model_type = attr("model_type");
            if (!model_type)
                throw input_error(where + ": node type " + std::to_string(type_id) + " has no model_type (" +
                                  types.file().string() + ")");
            if (*model_type == "virtual") {
                ++n_virtual;
                continue;
            }
            const std::string type_where = types.file().string() + ": node_type_id " + std::to_string(type_id);
            const auto model_template = attr("model_template");
            if (!model_template) throw input_error(type_where + ": model_template is missing");
            const std::string model = nest_model_name(*model_template, type_where);
            if (!models::is_supported(model)) {
                std::string list;
                for (const auto& m : models::supported_models()) list += (list.empty() ? "" : ", ") + ("nest:" + m);
                throw model_error(type_where + ": unknown model_template '" + *model_template + "' (supported: " + list + ")");
            }
            const auto params_file = attr("dynamics_params");
            std::string key = std::to_string(type_id) + "|" + pop.name + "|" + params_file.value_or("");
            Json params = Json::object();
            std::string source = type_where;
            if (params_file) {
                const fs::path file = component_dir(cfg, "point_neuron_models_dir", type_where) / *params_file;
                params = components.load(file, type_where);
                source = file.string() + " (node_type_id " + std::to_string(type_id) + ")";
            }
            // Per-node dynamics_params in h5 override the JSON (SONATA spec; BMTK ignores them).
            if (!group.dynamics_params.empty()) {
                for (const auto& [name, column] : group.dynamics_params) {
                    if (column.is_string) params[name] = column.strings[grow];
                    else params[name] = column.numbers[grow];
                }
                key += "|row" + std::to_string(row);
                source += ", overridden by " + pop.nodes.file.string() + " /nodes/" + pop.name + " dynamics_params row " +
                          std::to_string(row);
            }
            auto& b = builds[model];
            auto [it, inserted] = b.set_of_key.emplace(key, static_cast<std::uint32_t>(b.sets.size()));
            if (inserted) b.sets.push_back(models::ParameterSet{params, source});
            b.set_of_neuron.push_back(it->second);
            b.gids.push_back(pop.gid_of_row(row));
        }
        pop.is_virtual = n_virtual == pop.size() && pop.size() > 0;
        if (n_virtual != 0 && n_virtual != pop.size())
            throw input_error(where + " mixes virtual and simulated nodes, which pointsim does not support");
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
}

// Edge-type information resolved once per type.
struct EdgeType {
    std::optional<double> syn_weight, nsyns, delay;  // from the CSV
    std::optional<double> json_delay;
    bool has_weight_function = false;
    int receptor = 0;
};

const std::vector<std::string>& known_weight_functions() {
    static const std::vector<std::string> names{"wmax", "default_weight_fnc", "set_syn_weight"};
    return names;
}

EdgeType resolve_edge_type(const config::SimulationConfig& cfg, const sonata::TypeTable& types, std::int64_t type_id,
                           ComponentCache& components) {
    const std::string where = types.file().string() + ": edge_type_id " + std::to_string(type_id);
    EdgeType t;
    const auto model_template = types.get(type_id, "model_template");
    if (!model_template) throw input_error(where + ": model_template is missing");
    std::string synapse = *model_template;
    if (synapse.rfind("nest:", 0) == 0) synapse = synapse.substr(5);
    if (synapse != "static_synapse")
        throw model_error(where + ": synapse model '" + *model_template + "' is not supported (supported: static_synapse)");
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
            } else {
                throw model_error(path.string() + ": unknown parameter '" + it.key() + "' for static_synapse");
            }
        }
    }
    return t;
}

struct PendingSynapse {
    Gid source;
    std::uint32_t target;
    std::uint8_t channel;
    double weight;
    std::uint32_t delay;
};

const sonata::Column* find_column(const sonata::Group& g, const char* name) {
    auto it = g.attributes.find(name);
    if (it == g.attributes.end() || it->second.is_string) return nullptr;
    return &it->second;
}

void read_edges(const config::SimulationConfig& cfg, const TimeGrid& grid, Network& net) {
    ComponentCache components;
    std::vector<PendingSynapse> synapses;
    Step min_delay = std::numeric_limits<Step>::max(), max_delay = 1;
    for (const auto& files : cfg.edges) {
        if (!files.enabled) continue;
        const auto types = sonata::TypeTable::read(files.edge_types_file, "edge_type_id");
        std::map<std::int64_t, EdgeType> edge_types;
        for (const auto& pop : sonata::read_edge_populations(files.edges_file)) {
            const std::string where = files.edges_file.string() + ": /edges/" + pop.name;
            const Population* src = net.find_population(pop.source_population);
            const Population* tgt = net.find_population(pop.target_population);
            if (!src)
                throw input_error(where + "/source_node_id: node_population '" + pop.source_population + "' is not in the network");
            if (!tgt)
                throw input_error(where + "/target_node_id: node_population '" + pop.target_population + "' is not in the network");
            if (tgt->is_virtual)
                throw input_error(where + ": target population '" + tgt->name + "' consists of virtual nodes");
            for (std::size_t e = 0; e < pop.size(); ++e) {
                const std::string row = "[" + std::to_string(e) + "]";
                auto s = src->row_of_node_id.find(pop.source_ids[e]);
                if (s == src->row_of_node_id.end())
                    throw input_error(where + "/source_node_id" + row + " = " + std::to_string(pop.source_ids[e]) +
                                      " is not a node of population '" + src->name + "'");
                auto t = tgt->row_of_node_id.find(pop.target_ids[e]);
                if (t == tgt->row_of_node_id.end())
                    throw input_error(where + "/target_node_id" + row + " = " + std::to_string(pop.target_ids[e]) +
                                      " is not a node of population '" + tgt->name + "'");
                const std::int64_t type_id = pop.edge_type_ids[e];
                auto et = edge_types.find(type_id);
                if (et == edge_types.end()) {
                    if (!types.has_type(type_id))
                        throw input_error(where + "/edge_type_id" + row + " = " + std::to_string(type_id) + " is not in " +
                                          files.edge_types_file.string());
                    et = edge_types.emplace(type_id, resolve_edge_type(cfg, types, type_id, components)).first;
                }
                const EdgeType& type = et->second;
                const auto& group = pop.groups.at(pop.group_ids[e]);
                const std::uint64_t gi = pop.group_indices[e];
                auto value = [&](const char* name, const std::optional<double>& fallback) -> std::optional<double> {
                    if (const auto* c = find_column(group, name)) return c->numbers[gi];
                    return fallback;
                };
                // BMTK PointEdgeAdaptor: weight = syn_weight x nsyns, h5 before CSV, nsyns defaults to 1.
                const auto syn_weight = value("syn_weight", type.syn_weight);
                if (!syn_weight)
                    throw input_error(where + row + ": no syn_weight in the h5 group or in " + files.edge_types_file.string() +
                                      " (edge_type_id " + std::to_string(type_id) + ")");
                const double weight = *syn_weight * value("nsyns", type.nsyns).value_or(1.0);
                if (!std::isfinite(weight))
                    throw input_error(where + row + ": synaptic weight is " + fmt_double(weight) + " (syn_weight x nsyns)");
                const double delay_ms = value("delay", type.delay).value_or(type.json_delay.value_or(1.0));  // NEST default 1 ms
                if (!std::isfinite(delay_ms))
                    throw input_error(where + row + ": delay is " + fmt_double(delay_ms));
                const Step d = grid.delay_to_steps(delay_ms);
                if (d < 1)
                    throw input_error(where + row + ": delay " + fmt_double(delay_ms) + " ms is below the resolution dt = " +
                                      fmt_double(grid.dt_ms) + " ms");
                const NeuronLocation& loc = net.location[tgt->gid_of_row(t->second)];
                const int channel = net.groups[static_cast<std::size_t>(loc.group)]->channel(weight, type.receptor);
                synapses.push_back({src->gid_of_row(s->second), loc.flat, static_cast<std::uint8_t>(channel), weight,
                                    static_cast<std::uint32_t>(d)});
                min_delay = std::min(min_delay, d);
                max_delay = std::max(max_delay, d);
            }
            net.n_edges += pop.size();
        }
    }
    // Counting sort by source gid keeps the file order within each row.
    Connectivity& c = net.connectivity;
    c.row_begin.assign(net.n_gids() + 1, 0);
    for (const auto& s : synapses) ++c.row_begin[s.source + 1];
    std::partial_sum(c.row_begin.begin(), c.row_begin.end(), c.row_begin.begin());
    std::vector<std::uint64_t> next(c.row_begin.begin(), c.row_begin.end() - 1);
    c.target.resize(synapses.size());
    c.channel.resize(synapses.size());
    c.weight.resize(synapses.size());
    c.delay.resize(synapses.size());
    for (const auto& s : synapses) {
        const auto k = next[s.source]++;
        c.target[k] = s.target;
        c.channel[k] = s.channel;
        c.weight[k] = s.weight;
        c.delay[k] = s.delay;
    }
    c.min_delay = synapses.empty() ? 1 : min_delay;
    c.max_delay = max_delay;
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

Network build(const config::SimulationConfig& cfg, const TimeGrid& grid) {
    Network net;
    read_nodes(cfg, net);
    create_neuron_groups(cfg, grid, net);
    read_edges(cfg, grid, net);
    return net;
}

}  // namespace pointsim::network
