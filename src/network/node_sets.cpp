// Node-set resolution: SONATA spec / libsonata semantics (a name, an inline
// filter object, or a list = union) plus BMTK's aliases node_ids and
// populations. Keys are ANDed, list values ORed; an unknown key is an error.
#include <algorithm>
#include <cmath>
#include <set>

#include "common/error.hpp"
#include "network/network.hpp"

namespace pointsim::network {

namespace {

using Json = nlohmann::json;

// Does one attribute value (number or string) match one JSON scalar?
bool scalar_matches(const Json& want, const std::optional<double>& number, const std::optional<std::string>& text) {
    if (want.is_number() || want.is_boolean()) {
        const double w = want.is_boolean() ? (want.get<bool>() ? 1.0 : 0.0) : want.get<double>();
        if (number) return *number == w;
        if (text) {
            char* end = nullptr;
            const double v = std::strtod(text->c_str(), &end);
            return end != text->c_str() && *end == '\0' && v == w;
        }
        return false;
    }
    if (want.is_string()) {
        if (text) return *text == want.get<std::string>();
        return false;
    }
    return false;
}

bool value_matches(const Json& want, const std::optional<double>& number, const std::optional<std::string>& text) {
    if (want.is_array()) {
        for (const auto& w : want)
            if (scalar_matches(w, number, text)) return true;
        return false;
    }
    return scalar_matches(want, number, text);
}

void check_value_type(const Json& v, const std::string& what, const std::string& key) {
    auto ok = [](const Json& x) { return x.is_number() || x.is_string() || x.is_boolean(); };
    if (v.is_array()) {
        for (const auto& x : v)
            if (!ok(x)) throw config_error(what + "." + key + ": list entries must be numbers or strings, got " + x.dump());
    } else if (!ok(v)) {
        throw config_error(what + "." + key + ": value must be a number, a string or a list, got " + v.dump());
    }
}

std::vector<const Population*> select_populations(const Json& filter, const Network& net, const std::string& what) {
    std::vector<const Population*> out;
    const Json* sel = nullptr;
    for (const char* key : {"population", "populations"})
        if (filter.contains(key)) sel = &filter.at(key);
    if (!sel) {
        for (const auto& p : net.populations) out.push_back(&p);
        return out;
    }
    std::vector<std::string> names;
    if (sel->is_string()) names.push_back(sel->get<std::string>());
    else if (sel->is_array())
        for (const auto& n : *sel) {
            if (!n.is_string()) throw config_error(what + ".population: expected a name, got " + n.dump());
            names.push_back(n.get<std::string>());
        }
    else throw config_error(what + ".population: expected a name or a list of names, got " + sel->dump());
    for (const auto& n : names) {
        const Population* p = net.find_population(n);
        if (!p) throw config_error(what + ".population: unknown population '" + n + "'");
        out.push_back(p);
    }
    return out;
}

void resolve_filter(const Json& filter, const Network& net, const std::string& what, std::set<Gid>& out) {
    const auto pops = select_populations(filter, net, what);
    for (auto it = filter.begin(); it != filter.end(); ++it) {
        const std::string& key = it.key();
        if (key == "population" || key == "populations") continue;
        check_value_type(*it, what, key);
        if (key == "node_id" || key == "node_ids" || key == "node_type_id") continue;
        bool known = false;
        for (const auto* p : pops) {
            if (p->types->has_column(key)) known = true;
            for (const auto& [gid, g] : p->nodes.groups)
                if (g.attributes.count(key)) known = true;
        }
        if (!known) throw config_error(what + ": unknown node attribute '" + key + "' (not in the h5 groups or the node types CSV)");
    }
    for (const auto* p : pops) {
        for (std::size_t row = 0; row < p->size(); ++row) {
            const std::int64_t type_id = p->nodes.node_type_ids[row];
            const auto& group = p->nodes.groups.at(p->nodes.group_ids[row]);
            const std::uint64_t grow = p->nodes.group_indices[row];
            bool match = true;
            for (auto it = filter.begin(); match && it != filter.end(); ++it) {
                const std::string& key = it.key();
                if (key == "population" || key == "populations") continue;
                if (key == "node_id" || key == "node_ids") {
                    match = value_matches(*it, static_cast<double>(p->nodes.node_ids[row]), std::nullopt);
                } else if (key == "node_type_id") {
                    match = value_matches(*it, static_cast<double>(type_id), std::nullopt);
                } else if (auto a = group.attributes.find(key); a != group.attributes.end()) {
                    const auto& col = a->second;
                    match = col.is_string ? value_matches(*it, std::nullopt, col.strings[grow])
                                          : value_matches(*it, col.numbers[grow], std::nullopt);
                } else {
                    match = value_matches(*it, std::nullopt, p->types->get(type_id, key));
                }
            }
            if (match) out.insert(p->gid_of_row(row));
        }
    }
}

void resolve(const Json& ref, const Json& node_sets, const Network& net, const std::string& what, int depth,
             std::set<Gid>& out) {
    if (depth > 32) throw config_error(what + ": node set references nest too deeply (a cycle?)");
    if (ref.is_string()) {
        const std::string name = ref.get<std::string>();
        if (node_sets.is_object() && node_sets.contains(name)) {
            resolve(node_sets.at(name), node_sets, net, "node_sets." + name, depth + 1, out);
        } else if (const Population* p = net.find_population(name)) {
            for (std::size_t row = 0; row < p->size(); ++row) out.insert(p->gid_of_row(row));
        } else if (name == "all") {
            for (Gid g = 0; g < net.n_gids(); ++g) out.insert(g);
        } else {
            throw config_error(what + ": unknown node set '" + name + "' (not in node_sets and not a population)");
        }
    } else if (ref.is_array()) {
        for (const auto& r : ref) resolve(r, node_sets, net, what, depth + 1, out);
    } else if (ref.is_object()) {
        resolve_filter(ref, net, what, out);
    } else {
        throw config_error(what + ": a node set must be a name, an object or a list, got " + ref.dump());
    }
}

}  // namespace

std::vector<Gid> resolve_node_set(const Json& ref, const Json& node_sets, const Network& net, const std::string& what) {
    std::set<Gid> out;
    resolve(ref, node_sets, net, what, 0, out);
    return {out.begin(), out.end()};
}

}  // namespace pointsim::network
