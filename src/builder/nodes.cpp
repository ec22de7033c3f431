// Nodes: ids, type ids, positions and per-node properties of each network,
// and node selections (BMTK's net.nodes(**props)).
#include <cmath>
#include <limits>

#include "builder/formula.hpp"
#include "builder/model.hpp"
#include "builder/random.hpp"
#include "common/error.hpp"

namespace pointsim::builder {

namespace {

constexpr std::uint64_t kNodeStream = 0x40DE5;
constexpr std::uint64_t kFirstTypeId = 100;  // BMTK numbers node and edge types from 100 per network

std::vector<std::array<double, 3>> make_positions(const PositionsSpec& p, std::uint64_t n, Stream& rng) {
    std::vector<std::array<double, 3>> out(n);
    switch (p.kind) {
    case PositionsSpec::Kind::columinar:
        // BMTK's positions_columinar: uniform over the ring's area (x-z plane),
        // uniform in y over [center - height/2, center + height/2).
        for (auto& xyz : out) {
            const double phi = 2.0 * M_PI * rng.unit();
            const double r = std::sqrt((p.min_radius * p.min_radius - p.max_radius * p.max_radius) * rng.unit() +
                                       p.max_radius * p.max_radius);
            const double y = p.center[1] + p.height * (rng.unit() - 0.5);
            xyz = {p.center[0] + r * std::cos(phi), y, p.center[2] + r * std::sin(phi)};
        }
        break;
    case PositionsSpec::Kind::cuboid:
        for (auto& xyz : out)
            for (int k = 0; k < 3; ++k) xyz[k] = p.center[k] + p.size[k] * (rng.unit() - 0.5);
        break;
    case PositionsSpec::Kind::list:
        out = p.list;
        break;
    }
    return out;
}

bool value_matches(const Json& want, const Json& have) {
    if (want.is_number() && have.is_number()) return want.get<double>() == have.get<double>();
    return want == have;
}

}  // namespace

double draw(const Distribution& d, Stream& rng) {
    switch (d.kind) {
    case Distribution::Kind::uniform: return d.a + (d.b - d.a) * rng.unit();
    case Distribution::Kind::normal: return d.a + d.b * rng.normal();
    case Distribution::Kind::lognormal: return std::exp(d.a + d.b * rng.normal());
    case Distribution::Kind::exponential: return d.a * rng.exponential();
    case Distribution::Kind::uniform_int:
        return static_cast<double>(rng.between(static_cast<std::int64_t>(d.a), static_cast<std::int64_t>(d.b)));
    case Distribution::Kind::choice: return d.values[rng.below(d.values.size())];
    }
    return 0.0;
}

const PropertySpec* BuiltNodeGroup::constant(const std::string& name) const {
    for (const auto& p : spec->properties)
        if (p.name == name && p.kind == PropertySpec::Kind::constant) return &p;
    return nullptr;
}

const NodeColumn* BuiltNodeGroup::column(const std::string& name) const {
    for (const auto& c : columns)
        if (c.name == name) return &c;
    return nullptr;
}

std::vector<double> BuiltNetwork::numeric(const std::string& name) const {
    std::vector<double> out(n, std::numeric_limits<double>::quiet_NaN());
    const int axis = name == "x" ? 0 : name == "y" ? 1 : name == "z" ? 2 : -1;
    for (const auto& g : groups) {
        double* o = out.data() + g.first_id;
        if (axis >= 0 && !g.positions.empty()) {
            for (std::uint64_t i = 0; i < g.positions.size(); ++i) o[i] = g.positions[i][static_cast<std::size_t>(axis)];
        } else if (const auto* c = g.column(name); c && !c->is_string) {
            std::copy(c->numbers.begin(), c->numbers.end(), o);
        } else if (const auto* p = g.constant(name); p && (p->constant.is_number() || p->constant.is_boolean())) {
            const double v = p->constant.is_boolean() ? (p->constant.get<bool>() ? 1.0 : 0.0) : p->constant.get<double>();
            std::fill(o, o + g.n, v);
        }
    }
    return out;
}

BuiltNetwork build_nodes(const NetworkSpec& spec, std::size_t index, std::uint64_t seed, const std::string& file) {
    BuiltNetwork net;
    net.spec = &spec;
    net.index = index;
    for (std::size_t gi = 0; gi < spec.nodes.size(); ++gi) {
        const NodeGroupSpec& gs = spec.nodes[gi];
        BuiltNodeGroup g;
        g.spec = &gs;
        g.first_id = net.n;
        g.n = gs.n;
        g.type_id = kFirstTypeId + gi;
        if (gs.positions) {
            Stream rng(hash_keys(seed, kNodeStream, index, gi, 0));
            g.positions = make_positions(*gs.positions, gs.n, rng);
        }
        for (std::size_t pi = 0; pi < gs.properties.size(); ++pi) {
            const PropertySpec& p = gs.properties[pi];
            if (!p.per_item()) continue;
            NodeColumn c;
            c.name = p.name;
            c.integer = p.integer;
            switch (p.kind) {
            case PropertySpec::Kind::list:
                c.is_string = p.list[0].is_string();
                for (const auto& v : p.list) {
                    if (c.is_string) c.strings.push_back(v.get<std::string>());
                    else c.numbers.push_back(v.get<double>());
                }
                break;
            case PropertySpec::Kind::distribution: {
                Stream rng(hash_keys(seed, kNodeStream, index, gi, pi + 1));
                c.numbers.resize(gs.n);
                for (auto& v : c.numbers) v = draw(p.distribution, rng);
                break;
            }
            case PropertySpec::Kind::formula: {
                const Formula f(p.formula, node_formula_names(gs.positions.has_value()), file + ": " + p.path);
                Evaluator ev(f);
                c.numbers.resize(gs.n);
                for (std::uint64_t i = 0; i < gs.n; ++i) {
                    ev.vars()[0] = static_cast<double>(i);
                    if (gs.positions)
                        for (int k = 0; k < 3; ++k) ev.vars()[1 + k] = g.positions[i][static_cast<std::size_t>(k)];
                    c.numbers[i] = ev.eval();
                    if (!std::isfinite(c.numbers[i]))
                        throw config_error(file + ": " + p.path + ": formula '" + p.formula + "' gives " + std::to_string(c.numbers[i]) +
                                           " for node " + std::to_string(g.first_id + i) + " of network " + spec.name);
                }
                break;
            }
            case PropertySpec::Kind::constant: break;
            }
            g.columns.push_back(std::move(c));
        }
        net.n += gs.n;
        net.groups.push_back(std::move(g));
    }
    net.group_of.resize(net.n);
    for (std::uint32_t gi = 0; gi < net.groups.size(); ++gi)
        std::fill_n(net.group_of.begin() + static_cast<std::ptrdiff_t>(net.groups[gi].first_id), net.groups[gi].n, gi);
    return net;
}

std::vector<std::uint64_t> select_nodes(const BuiltNetwork& net, const SelectionSpec& sel, const std::string& file) {
    for (const auto& c : sel.conditions) {
        bool known = false;
        for (const auto& g : net.groups) known = known || g.constant(c.property) || g.column(c.property);
        if (!known)
            throw config_error(file + ": " + sel.path + "." + c.property + ": no node group of network '" +
                               net.spec->name + "' has the property '" + c.property + "'");
    }
    std::vector<std::uint64_t> ids;
    for (const auto& g : net.groups) {
        // Per group: a condition on a constant decides for every node at once.
        std::vector<const NodeColumn*> per_node;
        std::vector<const SelectionSpec::Condition*> per_node_cond;
        bool group_ok = true;
        for (const auto& c : sel.conditions) {
            if (const auto* p = g.constant(c.property)) {
                bool any = false;
                for (const auto& want : c.any_of) any = any || value_matches(want, p->constant);
                group_ok = group_ok && any;
            } else if (const auto* col = g.column(c.property)) {
                per_node.push_back(col);
                per_node_cond.push_back(&c);
            } else {
                group_ok = false;  // BMTK: a node without the property does not match
            }
        }
        if (!group_ok) continue;
        for (std::uint64_t i = 0; i < g.n; ++i) {
            bool ok = true;
            for (std::size_t k = 0; k < per_node.size() && ok; ++k) {
                bool any = false;
                for (const auto& want : per_node_cond[k]->any_of) {
                    if (per_node[k]->is_string) any = any || (want.is_string() && want.get<std::string>() == per_node[k]->strings[i]);
                    else any = any || (want.is_number() && want.get<double>() == per_node[k]->numbers[i]);
                }
                ok = any;
            }
            if (ok) ids.push_back(g.first_id + i);
        }
    }
    if (ids.empty()) {
        std::string what;
        for (const auto& c : sel.conditions) {
            what += (what.empty() ? "" : ", ") + c.property + " = ";
            for (std::size_t k = 0; k < c.any_of.size(); ++k) what += (k ? "|" : "") + c.any_of[k].dump();
        }
        throw config_error(file + ": " + sel.path + ": the selection (" + (what.empty() ? "all nodes" : what) +
                           ") matches no node of network '" + net.spec->name + "'");
    }
    return ids;
}

}  // namespace pointsim::builder
