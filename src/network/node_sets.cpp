// Node-set resolution: SONATA spec / libsonata semantics (a name, an inline
// filter object, or a list = union) plus BMTK's aliases node_ids and
// populations. Keys are ANDed, list values ORed; an unknown key is an error.
//
// libsonata's operators on a key: {"$gt": x}, {"$lt": x}, {"$gte": x},
// {"$lte": x} (numbers) and {"$regex": "pattern"} (whole-string match);
// several operators in one object are ANDed. libsonata uses std::regex
// (ECMAScript); pointsim uses RE2, whose syntax agrees for everything but
// backreferences and lookaround (rejected with a message) and whose matching
// takes linear time: std::regex backtracks exponentially on patterns such as
// "(a*)*b" and recurses once per character, so a user's pattern could hang
// or crash a run (found by fuzz_node_sets). Numeric
// operators need numbers (h5 numeric datasets, node_id, node_type_id, or CSV
// values that read as numbers; a missing CSV value never matches), $regex
// needs strings (h5 string datasets or CSV values as written). As in
// libsonata, node_id / node_type_id values must be integers (node_id >= 0)
// and an empty list matches nothing.
#include <algorithm>
#include <cmath>
#include <cstdlib>
#include <memory>
#include <set>

#include <re2/re2.h>

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

enum class Cmp { gt, lt, gte, lte };

bool compare(Cmp c, double v, double w) {
    switch (c) {
        case Cmp::gt: return v > w;
        case Cmp::lt: return v < w;
        case Cmp::gte: return v >= w;
        case Cmp::lte: return v <= w;
    }
    return false;
}

// One key of a filter object, parsed and checked once.
struct Clause {
    enum class Target { node_id, node_type_id, attribute };
    std::string key;
    std::string path;  // "<what>.<key>", for messages
    Target target = Target::attribute;
    const Json* equals = nullptr;  // scalar or list (equality); null for an operator object
    std::vector<std::pair<Cmp, double>> comparisons;
    std::string first_comparison;  // its operator name, for messages
    std::shared_ptr<const re2::RE2> regex;  // shared: RE2 cannot be copied
};

void check_value_type(const Json& v, const std::string& path) {
    auto ok = [](const Json& x) { return x.is_number() || x.is_string() || x.is_boolean(); };
    if (v.is_array()) {
        for (const auto& x : v)
            if (!ok(x)) throw config_error(path + ": list entries must be numbers or strings, got " + x.dump());
    } else if (!ok(v)) {
        throw config_error(path + ": value must be a number, a string, a list or an operator object, got " + v.dump());
    }
}

// node_id / node_type_id take integers only (libsonata rejects floats); node ids are >= 0.
void check_integer_value(const Json& v, const std::string& path, bool non_negative) {
    const char* need = non_negative ? "a non-negative integer" : "an integer";
    auto check = [&](const Json& x) {
        if (!x.is_number_integer())
            throw config_error(path + ": must be " + std::string(need) + " or a list of them, got " + x.dump());
        if (non_negative && x.is_number_integer() && !x.is_number_unsigned() && x.get<std::int64_t>() < 0)
            throw config_error(path + ": must be " + std::string(need) + " or a list of them, got " + x.dump());
    };
    if (v.is_array()) {
        for (const auto& x : v) check(x);
    } else {
        check(v);
    }
}

Clause parse_clause(const std::string& key, const Json& value, const std::string& what) {
    Clause c;
    c.key = key;
    c.path = what + "." + key;
    if (key == "node_id" || key == "node_ids") c.target = Clause::Target::node_id;
    else if (key == "node_type_id") c.target = Clause::Target::node_type_id;

    if (!value.is_object()) {
        check_value_type(value, c.path);
        if (c.target != Clause::Target::attribute)
            check_integer_value(value, c.path, c.target == Clause::Target::node_id);
        c.equals = &value;
        return c;
    }
    if (value.empty())
        throw config_error(c.path + ": an operator object needs at least one of $gt, $lt, $gte, $lte, $regex");
    for (auto it = value.begin(); it != value.end(); ++it) {
        const std::string& op = it.key();
        const std::string op_path = c.path + "." + op;
        if (op == "$regex") {
            if (!it->is_string()) throw config_error(op_path + ": must be a string (a regular expression), got " + it->dump());
            if (c.target != Clause::Target::attribute)
                throw config_error(op_path + ": $regex applies to string attributes; " + key + " is an integer");
            const std::string pattern = it->get<std::string>();
            re2::RE2::Options options;
            options.set_log_errors(false);  // the message below says it once
            auto regex = std::make_shared<const re2::RE2>(pattern, options);
            if (!regex->ok())
                throw config_error(op_path + ": invalid regular expression '" + pattern + "': " + regex->error());
            c.regex = std::move(regex);
            continue;
        }
        Cmp cmp;
        if (op == "$gt") cmp = Cmp::gt;
        else if (op == "$lt") cmp = Cmp::lt;
        else if (op == "$gte") cmp = Cmp::gte;
        else if (op == "$lte") cmp = Cmp::lte;
        else
            throw config_error(c.path + ": unknown operator '" + op + "' (known: $gt, $lt, $gte, $lte, $regex)");
        if (!it->is_number()) throw config_error(op_path + ": must be a number, got " + it->dump());
        if (c.comparisons.empty()) c.first_comparison = op;
        c.comparisons.emplace_back(cmp, it->get<double>());
    }
    return c;
}

// Where a CSV value came from, for the message when it must be a number.
struct CsvOrigin {
    const Population* pop;
    std::int64_t type_id;
};

// Does this row's value of the key satisfy the clause? `csv` is set when the
// value comes from the node types CSV.
bool clause_matches(const Clause& c, const std::optional<double>& number, const std::optional<std::string>& text,
                    const CsvOrigin* csv = nullptr) {
    if (c.equals) return value_matches(*c.equals, number, text);
    if (c.regex) {
        if (!text || !re2::RE2::FullMatch(*text, *c.regex)) return false;
    }
    if (!c.comparisons.empty()) {
        double v = 0;
        if (number) {
            v = *number;
        } else if (text) {
            char* end = nullptr;
            v = std::strtod(text->c_str(), &end);
            if (end == text->c_str() || *end != '\0')
                throw config_error(c.path + "." + c.first_comparison + ": needs numbers, but " +
                                   (csv ? "node type " + std::to_string(csv->type_id) + " in " +
                                              csv->pop->types->file().string()
                                        : std::string("a node")) +
                                   " has " + c.key + " = '" + *text + "'");
        } else {
            return false;  // missing value
        }
        for (const auto& [cmp, w] : c.comparisons)
            if (!compare(cmp, v, w)) return false;
    }
    return true;
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
    std::vector<Clause> clauses;
    for (auto it = filter.begin(); it != filter.end(); ++it) {
        const std::string& key = it.key();
        if (key == "population" || key == "populations") continue;
        Clause c = parse_clause(key, *it, what);
        if (c.target == Clause::Target::attribute) {
            bool known = false;
            for (const auto* p : pops) {
                if (p->types->has_column(key)) known = true;
                for (const auto& [gid, g] : p->nodes.groups) {
                    auto a = g.attributes.find(key);
                    if (a == g.attributes.end()) continue;
                    known = true;
                    const std::string where = "'" + key + "' of population '" + p->name + "' (h5 group " +
                                              std::to_string(gid) + " of " + p->nodes.file.string() + ")";
                    if (c.regex && !a->second.is_string)
                        throw config_error(c.path + ".$regex: needs strings, but " + where + " holds numbers");
                    if (!c.comparisons.empty() && a->second.is_string)
                        throw config_error(c.path + "." + c.first_comparison + ": needs numbers, but " + where +
                                           " holds strings");
                }
            }
            if (!known)
                throw config_error(what + ": unknown node attribute '" + key +
                                   "' (not in the h5 groups or the node types CSV)");
        }
        clauses.push_back(std::move(c));
    }
    for (const auto* p : pops) {
        for (std::size_t row = 0; row < p->size(); ++row) {
            const std::int64_t type_id = p->nodes.node_type_ids[row];
            const auto& group = p->nodes.groups.at(p->nodes.group_ids[row]);
            const std::uint64_t grow = p->nodes.group_indices[row];
            bool match = true;
            for (auto it = clauses.begin(); match && it != clauses.end(); ++it) {
                const Clause& c = *it;
                switch (c.target) {
                    case Clause::Target::node_id:
                        match = clause_matches(c, static_cast<double>(p->nodes.node_ids[row]), std::nullopt);
                        break;
                    case Clause::Target::node_type_id:
                        match = clause_matches(c, static_cast<double>(type_id), std::nullopt);
                        break;
                    case Clause::Target::attribute:
                        if (auto a = group.attributes.find(c.key); a != group.attributes.end()) {
                            const auto& col = a->second;
                            match = col.is_string ? clause_matches(c, std::nullopt, col.strings[grow])
                                                  : clause_matches(c, col.numbers[grow], std::nullopt);
                        } else {
                            const CsvOrigin origin{p, type_id};
                            match = clause_matches(c, std::nullopt, p->types->get(type_id, c.key), &origin);
                        }
                        break;
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
