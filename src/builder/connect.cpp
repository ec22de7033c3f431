// Connection rules: which (source, target) pairs get an edge, with how many
// synapses, and the per-edge property values (docs/building.md lists the
// rules with their BMTK and NEST equivalents).
//
// Target-driven rules run in blocks of targets on several threads; every
// random draw is keyed by (edge group, target, source) or comes from a
// stream keyed by the target (or source), so the edges never depend on the
// thread count or on the order in which candidates are visited: the spatial
// grid only skips pairs that cannot connect.
#include <algorithm>
#include <cmath>
#include <numeric>
#include <unordered_set>

#include "builder/formula.hpp"
#include "builder/model.hpp"
#include "builder/parallel.hpp"
#include "builder/random.hpp"
#include "comm/communicator.hpp"
#include "common/error.hpp"

namespace pointsim::builder {

namespace {

using K = RuleSpec::Kind;
constexpr std::size_t kTargetsPerBlock = 256;
enum Purpose : std::uint64_t { kAccept = 1, kNsyns = 2, kTargetStream = 3, kSourceStream = 4, kTotalStream = 5, kValues = 100 };

double distance(const std::array<double, 3>& a, const std::array<double, 3>& b) {
    const double dx = a[0] - b[0], dy = a[1] - b[1], dz = a[2] - b[2];
    return std::sqrt(dx * dx + dy * dy + dz * dz);
}

// Uniform integer in [0, n) from hash bits (n is small: synapse counts).
std::uint64_t bounded(std::uint64_t bits, std::uint64_t n) {
    std::uint64_t lo;
    return mul_hi_lo(bits, n, lo);
}

// The keyed draws of one target: hash_keys(key, t, s, purpose) with the
// first two rounds (key, t) done once per target and the third (s) once per
// pair, so the accept and nsyns draws of a pair cost two rounds each. The
// same bits as hash_keys (builder/random.hpp).
class PairDraws {
public:
    PairDraws(std::uint64_t key, std::uint64_t target) : prefix_(splitmix64(splitmix64(key) ^ target)) {}
    void source(std::uint64_t s) { pair_ = splitmix64(prefix_ ^ s); }
    std::uint64_t bits(std::uint64_t purpose) const { return splitmix64(splitmix64(pair_ ^ purpose) ^ 0); }

private:
    std::uint64_t prefix_, pair_ = 0;
};

// Uniform grid over the sources' positions, cells at least radius / 2 wide
// (a query visits about 5 x 5 cells in a layer thinner than the radius), the
// members' positions stored in cell order next to their ids.
class SpatialGrid {
public:
    SpatialGrid(const BuiltNetwork& net, const std::vector<std::uint64_t>& ids, double radius) : radius_(radius) {
        std::array<double, 3> lo{}, hi{};
        lo.fill(std::numeric_limits<double>::infinity());
        hi.fill(-std::numeric_limits<double>::infinity());
        for (auto id : ids)
            for (int k = 0; k < 3; ++k) {
                lo[k] = std::min(lo[k], net.position(id)[k]);
                hi[k] = std::max(hi[k], net.position(id)[k]);
            }
        // At most ~2 cells per source: a larger grid only costs memory.
        // Positions so far apart that the extent overflows get one cell.
        double cell = radius / 2;
        const double budget = std::max(1.0, 2.0 * static_cast<double>(ids.size()));
        bool finite = true;
        for (int k = 0; k < 3; ++k) finite = finite && std::isfinite(hi[k] - lo[k]);
        for (int round = 0; finite && round < 4000; ++round) {
            double cells = 1.0;
            for (int k = 0; k < 3; ++k) cells *= std::floor((hi[k] - lo[k]) / cell) + 1.0;
            if (cells <= budget) break;
            cell *= 1.25;
        }
        cell_ = cell;
        lo_ = lo;
        for (int k = 0; k < 3; ++k) dims_[k] = finite ? cell_coordinate((hi[k] - lo[k]) / cell, INT64_MAX / 4) + 1 : 1;
        const auto n_cells = static_cast<std::size_t>(dims_[0] * dims_[1] * dims_[2]);
        start_.assign(n_cells + 1, 0);
        std::vector<std::size_t> cell_of(ids.size());
        for (std::size_t i = 0; i < ids.size(); ++i) {
            cell_of[i] = cell_index(net.position(ids[i]));
            ++start_[cell_of[i] + 1];
        }
        std::partial_sum(start_.begin(), start_.end(), start_.begin());
        members_.resize(ids.size());
        member_pos_.resize(ids.size());
        std::vector<std::size_t> fill(start_.begin(), start_.end() - 1);
        for (std::size_t i = 0; i < ids.size(); ++i) {
            const std::size_t at = fill[cell_of[i]]++;
            members_[at] = ids[i];
            member_pos_[at] = net.position(ids[i]);
        }
        // Squared distances above this are surely beyond the radius (the
        // margin covers rounding); the rest take the exact test below.
        radius2_margin_ = radius * radius * (1.0 + 1e-9);
    }

    // f(source id, distance) for every source within the radius of p.
    template <class F>
    std::uint64_t for_each_within(const std::array<double, 3>& p, F&& f) const {
        std::int64_t from[3], to[3];
        for (int k = 0; k < 3; ++k) {
            from[k] = cell_coordinate((p[k] - radius_ - lo_[k]) / cell_, dims_[k] - 1);
            to[k] = cell_coordinate((p[k] + radius_ - lo_[k]) / cell_, dims_[k] - 1);
        }
        std::uint64_t visited = 0;
        for (std::int64_t i = from[0]; i <= to[0]; ++i)
            for (std::int64_t j = from[1]; j <= to[1]; ++j)
                for (std::int64_t k = from[2]; k <= to[2]; ++k) {
                    const auto c = static_cast<std::size_t>((i * dims_[1] + j) * dims_[2] + k);
                    visited += start_[c + 1] - start_[c];
                    for (std::size_t m = start_[c]; m < start_[c + 1]; ++m) {
                        const auto& a = member_pos_[m];
                        const double dx = a[0] - p[0], dy = a[1] - p[1], dz = a[2] - p[2];
                        const double d2 = dx * dx + dy * dy + dz * dz;
                        if (d2 > radius2_margin_) continue;
                        const double d = std::sqrt(d2);  // == distance(a, p), bit for bit
                        if (d <= radius_) f(members_[m], d);
                    }
                }
        return visited;
    }

private:
    // floor(x) clamped to [0, last] in floating point first (x may be
    // huge, infinite or NaN for far-out positions), then converted.
    static std::int64_t cell_coordinate(double x, std::int64_t last) {
        double f = std::floor(x);
        if (!(f >= 0.0)) f = 0.0;
        if (f > static_cast<double>(last)) f = static_cast<double>(last);
        return static_cast<std::int64_t>(f);
    }

    std::size_t cell_index(const std::array<double, 3>& p) const {
        std::int64_t c[3];
        for (int k = 0; k < 3; ++k) c[k] = cell_coordinate((p[k] - lo_[k]) / cell_, dims_[k] - 1);
        return static_cast<std::size_t>((c[0] * dims_[1] + c[1]) * dims_[2] + c[2]);
    }

    double radius_, cell_ = 1.0, radius2_margin_ = 0.0;
    std::array<double, 3> lo_{};
    std::int64_t dims_[3] = {1, 1, 1};
    std::vector<std::size_t> start_;
    std::vector<std::uint64_t> members_;
    std::vector<std::array<double, 3>> member_pos_;
};

// The values a pair formula reads, bound to an Evaluator's slots.
class PairVars {
public:
    PairVars(const Formula& f, const BuiltNetwork& source, const BuiltNetwork& target) {
        for (std::size_t i = 0; i < f.names().size(); ++i) {
            const std::string& name = f.names()[i];
            if (!f.uses(name)) continue;
            Binding b;
            b.slot = i;
            if (name == "distance") {
                b.kind = Binding::Distance;
            } else if (name == "nsyns") {
                b.kind = Binding::Nsyns;
            } else if (name.rfind("source_", 0) == 0) {
                b.kind = Binding::Source;
                columns_.push_back(source.numeric(name.substr(7)));
            } else {
                b.kind = Binding::Target;
                columns_.push_back(target.numeric(name.substr(7)));
            }
            bindings_.push_back(b);
        }
        std::size_t c = 0;
        for (auto& b : bindings_)
            if (b.kind == Binding::Source || b.kind == Binding::Target) b.column = columns_[c++].data();
    }
    void set(double* slots, std::uint64_t s, std::uint64_t t, double dist, double nsyns) const {
        for (const auto& b : bindings_) {
            switch (b.kind) {
            case Binding::Distance: slots[b.slot] = dist; break;
            case Binding::Nsyns: slots[b.slot] = nsyns; break;
            case Binding::Source: slots[b.slot] = b.column[s]; break;
            case Binding::Target: slots[b.slot] = b.column[t]; break;
            }
        }
    }
    bool uses_distance() const {
        return std::any_of(bindings_.begin(), bindings_.end(), [](const Binding& b) { return b.kind == Binding::Distance; });
    }

private:
    struct Binding {
        enum Kind { Distance, Nsyns, Source, Target } kind = Distance;
        std::size_t slot = 0;
        const double* column = nullptr;
    };
    std::vector<Binding> bindings_;
    std::vector<std::vector<double>> columns_;
};

// The edges of one block of targets.
struct Block {
    std::vector<std::uint64_t> count;  // per target of the block
    std::vector<std::uint64_t> source;
    std::vector<std::uint32_t> nsyns;
    std::uint64_t candidates = 0;
};

// Chooses k distinct values of [0, n) (Robert Floyd's algorithm), ascending.
std::vector<std::uint64_t> sample_without_replacement(Stream& rng, std::uint64_t n, std::uint64_t k) {
    std::unordered_set<std::uint64_t> chosen;
    std::vector<std::uint64_t> out;
    out.reserve(k);
    for (std::uint64_t j = n - k; j < n; ++j) {
        const std::uint64_t r = rng.below(j + 1);
        const std::uint64_t pick = chosen.insert(r).second ? r : j;
        if (pick == j) chosen.insert(j);
        out.push_back(pick);
    }
    std::sort(out.begin(), out.end());
    return out;
}

class Connector {
public:
    Connector(const EdgeGroupSpec& spec, std::uint64_t key, const BuiltNetwork& source, const BuiltNetwork& target,
              const Recipe& recipe)
        : spec_(spec), rule_(spec.rule), key_(key), source_(source), target_(target), file_(recipe.file.string()),
          same_(&source == &target) {
        sources_ = select_nodes(source, spec.source, file_);
        targets_ = select_nodes(target, spec.target, file_);
        if (rule_.kind == K::pairwise_bernoulli && rule_.p.kind == ProbabilitySpec::Kind::formula) {
            p_formula_.emplace(rule_.p.formula, pair_formula_names(*source.spec, *target.spec, false), file_ + ": " + spec.path);
            p_vars_.emplace(*p_formula_, source, target);
        }
        const bool distances = rule_.kind == K::distance_connector ||
                               (rule_.kind == K::pairwise_bernoulli && (rule_.p.uses_distance() || std::isfinite(rule_.d_max))) ||
                               (p_vars_ && p_vars_->uses_distance());
        if (distances) {
            require_positions(source, sources_, spec.source.path);
            require_positions(target, targets_, spec.target.path);
            if (std::isfinite(rule_.d_max)) grid_.emplace(source, sources_, rule_.d_max);
        }
        if (rule_.kind == K::one_to_one && sources_.size() != targets_.size())
            fail(".connection_rule", "one_to_one needs as many sources as targets, got " + std::to_string(sources_.size()) +
                                         " and " + std::to_string(targets_.size()));
    }

    const std::vector<std::uint64_t>& targets() const { return targets_; }
    bool target_driven() const { return rule_.kind != K::fixed_outdegree && rule_.kind != K::fixed_total_number; }

    // The edges of targets_[first, last) into `out`.
    void connect_targets(std::size_t first, std::size_t last, Block& out) const {
        std::unique_ptr<Evaluator> ev;
        if (p_formula_) ev = std::make_unique<Evaluator>(*p_formula_);
        std::vector<std::pair<std::uint64_t, std::uint32_t>> edges;  // (source, nsyns) of one target
        for (std::size_t ti = first; ti < last; ++ti) {
            const std::uint64_t t = targets_[ti];
            edges.clear();
            out.candidates += connect_one(ti, t, edges, ev.get());
            std::stable_sort(edges.begin(), edges.end(), [](const auto& a, const auto& b) { return a.first < b.first; });
            out.count.push_back(edges.size());
            for (const auto& [s, n] : edges) {
                out.source.push_back(s);
                out.nsyns.push_back(n);
            }
        }
    }

    // Source-driven rules: every (target, source, nsyns), sorted by target then source.
    std::vector<std::array<std::uint64_t, 2>> connect_by_source() const {
        std::vector<std::array<std::uint64_t, 2>> pairs;  // (target, source)
        const std::uint64_t n_s = sources_.size(), n_t = targets_.size();
        if (rule_.kind == K::fixed_outdegree) {
            for (std::uint64_t si = 0; si < n_s; ++si) {
                const std::uint64_t s = sources_[si];
                Stream rng(hash_keys(key_, s, kSourceStream));
                for (std::uint64_t t : draw_partners(rng, targets_, s, rule_.count, ".connection_params.outdegree"))
                    pairs.push_back({t, s});
            }
        } else {  // fixed_total_number
            const std::uint64_t self = same_ && !rule_.allow_autapses ? count_common() : 0;
            const long double possible = static_cast<long double>(n_s) * n_t - self;
            if (!rule_.allow_multapses && static_cast<long double>(rule_.count) > possible)
                fail(".connection_params.N", "N = " + std::to_string(rule_.count) + " edges without multapses, but only " +
                                                 std::to_string(static_cast<std::uint64_t>(possible)) + " pairs exist");
            if (rule_.count > 0 && possible <= 0) fail(".connection_params.N", "no pair can connect");
            Stream rng(hash_keys(key_, kTotalStream));
            std::unordered_set<std::uint64_t> seen;  // index pairs, without multapses
            while (pairs.size() < rule_.count) {
                const std::uint64_t si = rng.below(n_s), ti = rng.below(n_t);
                const std::uint64_t s = sources_[si], t = targets_[ti];
                if (same_ && !rule_.allow_autapses && s == t) continue;
                if (!rule_.allow_multapses && !seen.insert(si * n_t + ti).second) continue;
                pairs.push_back({t, s});
            }
        }
        std::stable_sort(pairs.begin(), pairs.end());
        return pairs;
    }

private:
    [[noreturn]] void fail(const std::string& sub, const std::string& what) const {
        throw config_error(file_ + ": " + spec_.path + sub + ": " + what);
    }

    void require_positions(const BuiltNetwork& net, const std::vector<std::uint64_t>& ids, const std::string& path) const {
        for (auto id : ids)
            if (!net.has_positions(id))
                throw config_error(file_ + ": " + path + ": '" + rule_.name + "' needs distances, but node " + std::to_string(id) +
                                   " of network '" + net.spec->name + "' (" + net.groups[net.group_of[id]].spec->path +
                                   ") has no positions");
    }

    std::uint64_t count_common() const {
        std::uint64_t n = 0;
        std::size_t i = 0, j = 0;
        while (i < sources_.size() && j < targets_.size()) {
            if (sources_[i] == targets_[j]) ++n, ++i, ++j;
            else if (sources_[i] < targets_[j]) ++i;
            else ++j;
        }
        return n;
    }

    // `count` partners of `self` drawn from `pool` (fixed in/out-degree).
    std::vector<std::uint64_t> draw_partners(Stream& rng, const std::vector<std::uint64_t>& pool, std::uint64_t self,
                                             std::uint64_t count, const char* param) const {
        // Without autapses, the pool skips `self` (index `skip`).
        std::uint64_t skip = pool.size();
        if (same_ && !rule_.allow_autapses) {
            auto it = std::lower_bound(pool.begin(), pool.end(), self);
            if (it != pool.end() && *it == self) skip = static_cast<std::uint64_t>(it - pool.begin());
        }
        const std::uint64_t n = pool.size() - (skip < pool.size() ? 1 : 0);
        std::vector<std::uint64_t> out;
        if (count == 0) return out;
        if (n == 0) fail(param, "node " + std::to_string(self) + " has no possible partner");
        auto at = [&](std::uint64_t i) { return pool[i >= skip ? i + 1 : i]; };
        if (rule_.allow_multapses) {
            for (std::uint64_t k = 0; k < count; ++k) out.push_back(at(rng.below(n)));
        } else {
            if (count > n)
                fail(param, std::to_string(count) + " distinct partners asked (allow_multapses is false), but node " +
                                std::to_string(self) + " has only " + std::to_string(n));
            for (std::uint64_t i : sample_without_replacement(rng, n, count)) out.push_back(at(i));
        }
        return out;
    }

    double probability(std::uint64_t s, std::uint64_t t, double d, Evaluator* ev) const {
        const ProbabilitySpec& p = rule_.p;
        switch (p.kind) {
        case ProbabilitySpec::Kind::constant: return p.p;
        case ProbabilitySpec::Kind::linear: return p.p * (1.0 - d / rule_.d_max);
        case ProbabilitySpec::Kind::gaussian: return p.p * std::exp(-d * d / (2.0 * p.sigma * p.sigma));
        case ProbabilitySpec::Kind::exponential: return p.p * std::exp(-d / p.tau);
        case ProbabilitySpec::Kind::formula: {
            p_vars_->set(ev->vars(), s, t, d, 0.0);
            const double v = ev->eval();
            if (!(v >= 0.0 && v <= 1.0))
                fail(".connection_params.p", "formula '" + p.formula + "' gives " + std::to_string(v) + " for source " +
                                                 std::to_string(s) + ", target " + std::to_string(t) +
                                                 ": a probability must lie in [0, 1]");
            return v;
        }
        }
        return 0.0;
    }

    std::uint32_t fixed_nsyns() const { return static_cast<std::uint32_t>(rule_.nsyn_min); }

    // Candidates visited; the target's edges (source, nsyns) appended to `edges`.
    std::uint64_t connect_one(std::size_t ti, std::uint64_t t, std::vector<std::pair<std::uint64_t, std::uint32_t>>& edges,
                              Evaluator* ev) const {
        const bool no_self = same_ && !rule_.allow_autapses;
        std::uint64_t visited = 0;
        auto each_candidate = [&](auto&& f) {
            if (grid_) {
                visited += grid_->for_each_within(target_.position(t), f);
            } else {
                const bool with_d = p_vars_ ? p_vars_->uses_distance() : rule_.p.uses_distance();
                for (std::uint64_t s : sources_) f(s, with_d ? distance(source_.position(s), target_.position(t)) : 0.0);
                visited += sources_.size();
            }
        };
        PairDraws draws(key_, t);
        switch (rule_.kind) {
        case K::distance_connector: {
            const std::uint64_t range = static_cast<std::uint64_t>(rule_.nsyn_max - rule_.nsyn_min + 1);
            each_candidate([&](std::uint64_t s, double r) {
                if (same_ && s == t) return;  // BMTK: no self-connection
                double dw = 0.0;
                if (r <= rule_.d_max) {
                    const double x = r / rule_.d_max;
                    dw = rule_.d_weight_max * (1.0 - x) + rule_.d_weight_min * x;
                }
                if (dw <= 0.0) return;
                draws.source(s);
                if (unit(draws.bits(kAccept)) > dw) return;  // BMTK: random.random() > dw drops the pair
                edges.emplace_back(s, static_cast<std::uint32_t>(rule_.nsyn_min) +
                                          static_cast<std::uint32_t>(bounded(draws.bits(kNsyns), range)));
            });
            break;
        }
        case K::pairwise_bernoulli: {
            // No distance profile exceeds its p_center (sigma, tau > 0, d >= 0):
            // a draw at or above it rejects the pair without evaluating the
            // profile's exp, with the same outcome. (A formula may reach 1,
            // and is always evaluated, so its range check still runs.)
            const double p_max = rule_.p.kind == ProbabilitySpec::Kind::formula ? 1.0 : rule_.p.p;
            each_candidate([&](std::uint64_t s, double r) {
                if (no_self && s == t) return;
                draws.source(s);
                const double u = unit(draws.bits(kAccept));
                if (u >= p_max) return;
                if (u < probability(s, t, r, ev)) edges.emplace_back(s, fixed_nsyns());
            });
            break;
        }
        case K::constant:
        case K::all_to_all:
            for (std::uint64_t s : sources_)
                if (!(no_self && s == t)) edges.emplace_back(s, fixed_nsyns());
            visited += sources_.size();
            break;
        case K::connect_random: {
            const std::uint64_t range = static_cast<std::uint64_t>(rule_.nsyn_max - rule_.nsyn_min);
            for (std::uint64_t s : sources_) {
                draws.source(s);
                const auto n = static_cast<std::uint32_t>(rule_.nsyn_min) +
                               static_cast<std::uint32_t>(bounded(draws.bits(kNsyns), range));
                if (n > 0) edges.emplace_back(s, n);  // BMTK: 0 synapses means no edge
            }
            visited += sources_.size();
            break;
        }
        case K::one_to_one:
            if (!(no_self && sources_[ti] == t)) edges.emplace_back(sources_[ti], fixed_nsyns());
            visited += 1;
            break;
        case K::select_source_cells: {
            Stream rng(hash_keys(key_, t, kTargetStream));
            const auto n = static_cast<std::uint64_t>(rule_.nsources_min) +
                           rng.below(static_cast<std::uint64_t>(rule_.nsources_max - rule_.nsources_min));
            if (n > sources_.size())
                fail(".connection_params.nsources_max", "target " + std::to_string(t) + " drew " + std::to_string(n) +
                                                            " sources, but the source selection has only " +
                                                            std::to_string(sources_.size()) + " nodes");
            for (std::uint64_t i : sample_without_replacement(rng, sources_.size(), n))
                edges.emplace_back(sources_[i], static_cast<std::uint32_t>(rng.between(rule_.nsyn_min, rule_.nsyn_max - 1)));
            visited += n;  // sources drawn, not the pool
            break;
        }
        case K::fixed_indegree: {
            Stream rng(hash_keys(key_, t, kTargetStream));
            for (std::uint64_t s : draw_partners(rng, sources_, t, rule_.count, ".connection_params.indegree"))
                edges.emplace_back(s, fixed_nsyns());
            visited += rule_.count;
            break;
        }
        case K::fixed_outdegree:
        case K::fixed_total_number: break;  // connect_by_source
        }
        return visited;
    }

    const EdgeGroupSpec& spec_;
    const RuleSpec& rule_;
    std::uint64_t key_;
    const BuiltNetwork& source_;
    const BuiltNetwork& target_;
    std::string file_;
    bool same_;
    std::vector<std::uint64_t> sources_, targets_;
    std::optional<SpatialGrid> grid_;
    std::optional<Formula> p_formula_;
    std::optional<PairVars> p_vars_;
};

// Per-edge property values, per block of targets, into edges.values.
void fill_values(BuiltEdges& edges, const EdgeGroupSpec& spec, std::uint64_t key, const BuiltNetwork& source,
                 const BuiltNetwork& target, const std::string& file, unsigned threads) {
    std::vector<std::size_t> props;
    for (std::size_t i = 0; i < spec.properties.size(); ++i)
        if (spec.properties[i].per_item()) props.push_back(i);
    if (props.empty()) return;
    const std::uint64_t n_edges = edges.source.size();
    std::vector<std::optional<Formula>> formulas(props.size());
    std::vector<std::unique_ptr<PairVars>> vars(props.size());
    for (std::size_t k = 0; k < props.size(); ++k) {
        const PropertySpec& p = spec.properties[props[k]];
        edges.value_specs.push_back(&p);
        edges.values.emplace_back(n_edges);
        if (p.kind == PropertySpec::Kind::formula) {
            formulas[k].emplace(p.formula, pair_formula_names(*source.spec, *target.spec, true), file + ": " + p.path);
            vars[k] = std::make_unique<PairVars>(*formulas[k], source, target);
        }
    }
    const std::uint64_t n_targets = target.n;
    const std::size_t n_blocks = (n_targets + kTargetsPerBlock - 1) / kTargetsPerBlock;
    parallel_blocks(n_blocks, threads, [&](std::size_t b) {
        std::vector<std::unique_ptr<Evaluator>> ev(props.size());
        for (std::size_t k = 0; k < props.size(); ++k)
            if (formulas[k]) ev[k] = std::make_unique<Evaluator>(*formulas[k]);
        const std::uint64_t t_end = std::min<std::uint64_t>(n_targets, (b + 1) * kTargetsPerBlock);
        for (std::uint64_t t = b * kTargetsPerBlock; t < t_end; ++t) {
            const std::uint64_t e0 = edges.offsets[t], e1 = edges.offsets[t + 1];
            if (e0 == e1) continue;
            for (std::size_t k = 0; k < props.size(); ++k) {
                const PropertySpec& p = *edges.value_specs[k];
                double* out = edges.values[k].data();
                if (p.kind == PropertySpec::Kind::distribution) {
                    Stream rng(hash_keys(key, t, kValues + props[k]));
                    for (std::uint64_t e = e0; e < e1; ++e) out[e] = draw(p.distribution, rng);
                } else {
                    for (std::uint64_t e = e0; e < e1; ++e) {
                        const std::uint64_t s = edges.source[e];
                        double d = 0.0;
                        if (vars[k]->uses_distance()) {
                            if (!source.has_positions(s) || !target.has_positions(t))
                                throw config_error(file + ": " + p.path + ": formula '" + p.formula +
                                                   "' reads distance, but node " +
                                                   std::to_string(source.has_positions(s) ? t : s) + " of network '" +
                                                   (source.has_positions(s) ? target : source).spec->name +
                                                   "' has no positions");
                            d = distance(source.position(s), target.position(t));
                        }
                        vars[k]->set(ev[k]->vars(), s, t, d, static_cast<double>(edges.nsyns[e]));
                        out[e] = ev[k]->eval();
                        if (!std::isfinite(out[e]))
                            throw config_error(file + ": " + p.path + ": formula '" + p.formula + "' gives " +
                                               std::to_string(out[e]) + " for the edge from node " + std::to_string(s) +
                                               " to node " + std::to_string(t));
                    }
                }
            }
        }
    });
}

// Blocks travel to rank 0 as one vector of words per rank:
// [block, n_targets, counts..., n_edges, sources..., nsyns..., candidates]...
std::vector<std::uint64_t> pack(const std::vector<Block>& blocks, const std::vector<std::size_t>& mine) {
    std::vector<std::uint64_t> out;
    for (std::size_t b : mine) {
        const Block& k = blocks[b];
        out.push_back(b);
        out.push_back(k.count.size());
        out.insert(out.end(), k.count.begin(), k.count.end());
        out.push_back(k.source.size());
        out.insert(out.end(), k.source.begin(), k.source.end());
        out.insert(out.end(), k.nsyns.begin(), k.nsyns.end());
        out.push_back(k.candidates);
    }
    return out;
}

void unpack(const std::vector<std::uint64_t>& in, std::vector<Block>& blocks) {
    for (std::size_t i = 0; i < in.size();) {
        Block& k = blocks.at(in[i++]);
        const auto n_t = static_cast<std::ptrdiff_t>(in[i++]);
        k.count.assign(in.begin() + static_cast<std::ptrdiff_t>(i), in.begin() + static_cast<std::ptrdiff_t>(i) + n_t);
        i += static_cast<std::size_t>(n_t);
        const auto n_e = static_cast<std::ptrdiff_t>(in[i++]);
        k.source.assign(in.begin() + static_cast<std::ptrdiff_t>(i), in.begin() + static_cast<std::ptrdiff_t>(i) + n_e);
        i += static_cast<std::size_t>(n_e);
        k.nsyns.assign(in.begin() + static_cast<std::ptrdiff_t>(i), in.begin() + static_cast<std::ptrdiff_t>(i) + n_e);
        i += static_cast<std::size_t>(n_e);
        k.candidates = in[i++];
    }
}

// Every rank stops with the lowest failing rank's error, or none does.
void agree_or_throw(comm::Communicator* comm, const std::optional<comm::ErrorReport>& local) {
    const auto agreed = comm ? comm->agree(local) : local;
    if (agreed) throw Error(static_cast<ErrorKind>(agreed->kind), agreed->message);
}

}  // namespace

BuiltEdges connect(const EdgeGroupSpec& spec, std::uint32_t type_id, std::uint64_t group_key, const BuiltNetwork& source,
                   const BuiltNetwork& target, const Recipe& recipe, unsigned threads, comm::Communicator* comm) {
    const Connector connector(spec, group_key, source, target, recipe);  // fails alike on every rank
    const int rank = comm ? comm->rank() : 0, size = comm ? comm->size() : 1;
    BuiltEdges edges;
    edges.spec = &spec;
    edges.type_id = type_id;
    edges.offsets.assign(target.n + 1, 0);
    if (connector.target_driven()) {
        const auto& targets = connector.targets();
        const std::size_t n_blocks = (targets.size() + kTargetsPerBlock - 1) / kTargetsPerBlock;
        std::vector<Block> blocks(n_blocks);
        std::vector<std::size_t> mine;  // this rank's blocks: every size-th
        for (std::size_t b = static_cast<std::size_t>(rank); b < n_blocks; b += static_cast<std::size_t>(size)) mine.push_back(b);
        std::optional<comm::ErrorReport> failure;
        try {
            parallel_blocks(mine.size(), threads, [&](std::size_t i) {
                const std::size_t b = mine[i];
                connector.connect_targets(b * kTargetsPerBlock, std::min(targets.size(), (b + 1) * kTargetsPerBlock), blocks[b]);
            });
        } catch (const Error& e) {
            if (size == 1) throw;
            failure = comm::ErrorReport{static_cast<int>(e.kind()), e.what()};
        }
        if (size > 1) {
            agree_or_throw(comm, failure);
            const auto gathered = comm->gather(pack(blocks, mine));
            if (rank != 0) return edges;  // rank 0 holds and writes the network
            for (int r = 1; r < size; ++r) unpack(gathered[static_cast<std::size_t>(r)], blocks);
        }
        std::uint64_t total = 0;
        for (const auto& b : blocks) total += b.source.size();
        edges.source.reserve(total);
        edges.nsyns.reserve(total);
        for (std::size_t b = 0; b < n_blocks; ++b) {
            for (std::size_t i = 0; i < blocks[b].count.size(); ++i)
                edges.offsets[targets[b * kTargetsPerBlock + i] + 1] = blocks[b].count[i];
            edges.source.insert(edges.source.end(), blocks[b].source.begin(), blocks[b].source.end());
            edges.nsyns.insert(edges.nsyns.end(), blocks[b].nsyns.begin(), blocks[b].nsyns.end());
            edges.candidate_pairs += blocks[b].candidates;
            blocks[b] = Block();  // free as we go
        }
    } else {
        if (rank != 0) return edges;  // one sequence of draws: rank 0 alone
        const auto pairs = connector.connect_by_source();
        edges.source.reserve(pairs.size());
        for (const auto& [t, s] : pairs) {
            ++edges.offsets[t + 1];
            edges.source.push_back(s);
        }
        edges.nsyns.assign(pairs.size(), static_cast<std::uint32_t>(spec.rule.nsyn_min));
        edges.candidate_pairs = pairs.size();
    }
    std::partial_sum(edges.offsets.begin(), edges.offsets.end(), edges.offsets.begin());
    fill_values(edges, spec, group_key, source, target, recipe.file.string(), threads);
    return edges;
}

}  // namespace pointsim::builder
