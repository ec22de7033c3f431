#include "builder/recipe.hpp"

#include <algorithm>
#include <cmath>
#include <cstdlib>
#include <fstream>
#include <set>
#include <sstream>

#include "builder/formula.hpp"
#include "common/error.hpp"

namespace pointsim::builder {

namespace fs = std::filesystem;

namespace {

// A JSON value and its path in the recipe, so that every message can say
// where the problem is.
class At {
public:
    At(const Json& value, std::string path, const fs::path& file) : v_(value), path_(std::move(path)), file_(file) {}

    const Json& json() const { return v_; }
    const std::string& path() const { return path_; }
    const fs::path& file() const { return file_; }

    [[noreturn]] void fail(const std::string& what) const {
        throw config_error(file_.string() + ": " + (path_.empty() ? std::string("top level") : path_) + ": " + what);
    }
    At key(const std::string& k) const {
        if (!has(k)) fail("missing key '" + k + "'");
        return At(v_.at(k), path_.empty() ? k : path_ + "." + k, file_);
    }
    At index(std::size_t i) const { return At(v_.at(i), path_ + "[" + std::to_string(i) + "]", file_); }
    bool has(const std::string& k) const { return v_.is_object() && v_.contains(k); }

    void expect_object() const {
        if (!v_.is_object()) fail("expected an object, got " + describe());
    }
    void expect_array() const {
        if (!v_.is_array()) fail("expected a list, got " + describe());
    }
    // Every key must be one of `allowed`; suggests the closest when not.
    void only_keys(std::initializer_list<const char*> allowed) const {
        for (const auto& item : v_.items()) {
            bool ok = false;
            for (const char* a : allowed) ok = ok || item.key() == a;
            if (!ok) {
                std::string list;
                for (const char* a : allowed) list += std::string(list.empty() ? "" : ", ") + a;
                At(item.value(), path_.empty() ? item.key() : path_ + "." + item.key(), file_)
                    .fail("unknown key '" + item.key() + "' (" + (list.empty() ? std::string("no key is allowed here") : "known here: " + list) + ")");
            }
        }
    }
    double number() const {
        if (!v_.is_number()) fail("expected a number, got " + describe());
        const double d = v_.get<double>();
        if (!std::isfinite(d)) fail("expected a finite number, got " + describe());
        return d;
    }
    std::int64_t integer() const {
        if (v_.is_number_integer()) return v_.get<std::int64_t>();
        if (v_.is_number_float()) {
            const double d = v_.get<double>();
            if (std::isfinite(d) && d == std::floor(d) && std::fabs(d) < 9.0e15) return static_cast<std::int64_t>(d);
        }
        fail("expected a whole number, got " + describe());
    }
    std::string string() const {
        if (!v_.is_string()) fail("expected a string, got " + describe());
        return v_.get<std::string>();
    }
    bool boolean() const {
        if (!v_.is_boolean()) fail("expected true or false, got " + describe());
        return v_.get<bool>();
    }
    std::string describe() const {
        std::string s = v_.dump();
        if (s.size() > 60) s = s.substr(0, 57) + "...";
        return s;
    }

private:
    const Json& v_;
    std::string path_;
    fs::path file_;
};

double number_at(const At& obj, const char* k, double fallback) { return obj.has(k) ? obj.key(k).number() : fallback; }

std::array<double, 3> vec3(const At& at) {
    at.expect_array();
    if (at.json().size() != 3) at.fail("expected [x, y, z], got " + at.describe());
    return {at.index(0).number(), at.index(1).number(), at.index(2).number()};
}

// ------------------------------------------------------------------ properties
Distribution parse_distribution(const At& at) {
    Distribution d;
    const std::string kind = at.key("distribution").string();
    auto need = [&](const char* k) { return at.key(k).number(); };
    if (kind == "uniform") {
        at.only_keys({"distribution", "low", "high"});
        d.kind = Distribution::Kind::uniform;
        d.a = need("low");
        d.b = need("high");
        if (!(d.a <= d.b)) at.key("high").fail("high = " + at.key("high").describe() + " must not be below low = " + at.key("low").describe());
    } else if (kind == "normal") {
        at.only_keys({"distribution", "mean", "sd"});
        d.kind = Distribution::Kind::normal;
        d.a = need("mean");
        d.b = need("sd");
        if (d.b < 0) at.key("sd").fail("sd must be >= 0, got " + at.key("sd").describe());
    } else if (kind == "lognormal") {
        at.only_keys({"distribution", "mean", "sigma"});
        d.kind = Distribution::Kind::lognormal;
        d.a = need("mean");
        d.b = need("sigma");
        if (d.b < 0) at.key("sigma").fail("sigma must be >= 0, got " + at.key("sigma").describe());
    } else if (kind == "exponential") {
        at.only_keys({"distribution", "mean"});
        d.kind = Distribution::Kind::exponential;
        d.a = need("mean");
        if (!(d.a > 0)) at.key("mean").fail("mean must be > 0");
    } else if (kind == "uniform_int") {
        at.only_keys({"distribution", "low", "high"});
        d.kind = Distribution::Kind::uniform_int;
        constexpr std::int64_t kExact = std::int64_t{1} << 53;  // stored as doubles: whole numbers up to 2^53 are exact
        for (const char* k : {"low", "high"})
            if (std::llabs(at.key(k).integer()) > kExact) at.key(k).fail(std::string(k) + " must lie within +-2^53");
        d.a = static_cast<double>(at.key("low").integer());
        d.b = static_cast<double>(at.key("high").integer());
        if (!(d.a <= d.b)) at.key("high").fail("high must not be below low (both are included)");
    } else if (kind == "choice") {
        at.only_keys({"distribution", "values"});
        d.kind = Distribution::Kind::choice;
        const At values = at.key("values");
        values.expect_array();
        if (values.json().empty()) values.fail("needs at least one value");
        for (std::size_t i = 0; i < values.json().size(); ++i) d.values.push_back(values.index(i).number());
    } else {
        at.key("distribution").fail("unknown distribution '" + kind +
                                    "' (known: uniform, normal, lognormal, exponential, uniform_int, choice)");
    }
    return d;
}

// `n_items` is the group's N for nodes (lists must have that length), 0 for edges.
PropertySpec parse_property(const At& at, const std::string& name, bool nodes, std::uint64_t n_items) {
    PropertySpec p;
    p.name = name;
    p.path = at.path();
    const Json& v = at.json();
    if (name.empty() || name.find_first_of(" \t\"'") != std::string::npos)
        at.fail("property names may not be empty or hold spaces or quotes");
    if (v.is_string() || v.is_number() || v.is_boolean()) {
        if (v.is_number()) at.number();  // rejects NaN/inf
        p.kind = PropertySpec::Kind::constant;
        p.constant = v;
        return p;
    }
    if (v.is_array()) {
        if (!nodes) at.fail("per-edge values cannot be listed (the edges do not exist yet): use a distribution or a formula");
        if (v.size() != n_items)
            at.fail("a list of per-node values must have N = " + std::to_string(n_items) + " entries, got " +
                    std::to_string(v.size()));
        const bool strings = !v.empty() && v[0].is_string();
        bool all_int = true;
        for (std::size_t i = 0; i < v.size(); ++i) {
            const At item = at.index(i);
            if (strings) {
                item.string();
            } else {
                item.number();
                all_int = all_int && item.json().is_number_integer();
            }
        }
        p.kind = PropertySpec::Kind::list;
        p.list = v;
        p.integer = !strings && all_int;
        return p;
    }
    if (v.is_object()) {
        if (at.has("distribution")) {
            p.kind = PropertySpec::Kind::distribution;
            p.distribution = parse_distribution(at);
            p.integer = p.distribution.kind == Distribution::Kind::uniform_int;
            return p;
        }
        if (at.has("formula")) {
            at.only_keys({"formula"});
            p.kind = PropertySpec::Kind::formula;
            p.formula = at.key("formula").string();
            return p;
        }
        at.fail("a property object needs \"distribution\" or \"formula\"");
    }
    at.fail("expected a value, a list, {\"distribution\": ...} or {\"formula\": ...}, got " + at.describe());
}

// ------------------------------------------------------------------ nodes
PositionsSpec parse_positions(const At& at, std::uint64_t n) {
    PositionsSpec s;
    if (at.json().is_array()) {
        s.kind = PositionsSpec::Kind::list;
        if (at.json().size() != n)
            at.fail("a list of positions must have N = " + std::to_string(n) + " entries, got " +
                    std::to_string(at.json().size()));
        for (std::size_t i = 0; i < at.json().size(); ++i) s.list.push_back(vec3(at.index(i)));
        return s;
    }
    at.expect_object();
    const std::string gen = at.key("generator").string();
    if (gen == "columinar" || gen == "columnar") {
        at.only_keys({"generator", "center", "min_radius", "max_radius", "height"});
        s.kind = PositionsSpec::Kind::columinar;
        if (at.has("center")) s.center = vec3(at.key("center"));
        s.min_radius = number_at(at, "min_radius", 0.0);
        s.max_radius = number_at(at, "max_radius", 1.0);
        s.height = number_at(at, "height", 100.0);
        if (s.min_radius < 0) at.key("min_radius").fail("must be >= 0");
        if (s.max_radius < s.min_radius)
            at.key("max_radius").fail("max_radius = " + at.key("max_radius").describe() + " must not be below min_radius = " +
                                      (at.has("min_radius") ? at.key("min_radius").describe() : std::string("0")));
        if (s.height < 0) at.key("height").fail("must be >= 0");
    } else if (gen == "cuboid") {
        at.only_keys({"generator", "center", "size"});
        s.kind = PositionsSpec::Kind::cuboid;
        s.center = {0.0, 0.0, 0.0};
        if (at.has("center")) s.center = vec3(at.key("center"));
        s.size = vec3(at.key("size"));
        for (double d : s.size)
            if (d < 0) at.key("size").fail("side lengths must be >= 0");
    } else {
        at.key("generator").fail("unknown positions generator '" + gen + "' (known: columinar, cuboid; or a list of [x, y, z])");
    }
    return s;
}

NodeGroupSpec parse_node_group(const At& at) {
    at.expect_object();
    at.only_keys({"N", "positions", "properties"});
    NodeGroupSpec g;
    g.path = at.path();
    if (!at.has("N")) at.fail("missing key 'N' (the number of nodes)");
    const std::int64_t n = at.key("N").integer();
    if (n <= 0) at.key("N").fail("N must be at least 1, got " + std::to_string(n));
    // Far above any network that fits in memory, far below overflow.
    constexpr std::int64_t kMaxNodes = std::int64_t{1} << 40;
    if (n > kMaxNodes) at.key("N").fail("N = " + std::to_string(n) + " is more nodes than pointsim can build (at most 2^40)");
    g.n = static_cast<std::uint64_t>(n);
    if (at.has("positions")) g.positions = parse_positions(at.key("positions"), g.n);
    if (at.has("properties")) {
        const At props = at.key("properties");
        props.expect_object();
        for (const auto& item : props.json().items()) {
            if (item.key() == "positions") props.key("positions").fail("give positions beside properties, as \"positions\"");
            if (g.positions && (item.key() == "x" || item.key() == "y" || item.key() == "z"))
                props.key(item.key()).fail("a node group with positions cannot also have a property '" + item.key() +
                                           "': formulas read the position as " + item.key());
            if (item.key() == "node_id" || item.key() == "node_type_id")
                props.key(item.key()).fail("'" + item.key() + "' is assigned by the builder");
            g.properties.push_back(parse_property(props.key(item.key()), item.key(), true, g.n));
        }
    }
    return g;
}

// ------------------------------------------------------------------ edges
SelectionSpec parse_selection(const At& at, const std::string& owner) {
    SelectionSpec s;
    s.path = at.path();
    s.network = owner;
    at.expect_object();
    for (const auto& item : at.json().items()) {
        const At v = at.key(item.key());
        if (item.key() == "network") {
            s.network = v.string();
            continue;
        }
        SelectionSpec::Condition c;
        c.property = item.key();
        if (v.json().is_array()) {
            if (v.json().empty()) v.fail("an empty list matches nothing");
            for (std::size_t i = 0; i < v.json().size(); ++i) {
                const At e = v.index(i);
                if (!(e.json().is_string() || e.json().is_number() || e.json().is_boolean()))
                    e.fail("expected a value, got " + e.describe());
                c.any_of.push_back(e.json());
            }
        } else if (v.json().is_string() || v.json().is_number() || v.json().is_boolean()) {
            c.any_of.push_back(v.json());
        } else {
            v.fail("expected a value or a list of values, got " + v.describe());
        }
        s.conditions.push_back(std::move(c));
    }
    return s;
}

double probability_at(const At& at) {
    const double p = at.number();
    if (p < 0 || p > 1) at.fail("a probability must lie in [0, 1], got " + at.describe());
    return p;
}

ProbabilitySpec parse_probability(const At& at) {
    ProbabilitySpec p;
    const Json& v = at.json();
    if (v.is_number()) {
        p.kind = ProbabilitySpec::Kind::constant;
        p.p = probability_at(at);
        return p;
    }
    if (v.is_string()) {
        p.kind = ProbabilitySpec::Kind::formula;
        p.formula = v.get<std::string>();
        return p;
    }
    at.expect_object();
    const std::string profile = at.key("profile").string();
    if (profile == "linear") {
        at.only_keys({"profile", "p_center"});
        p.kind = ProbabilitySpec::Kind::linear;
    } else if (profile == "gaussian") {
        at.only_keys({"profile", "p_center", "sigma"});
        p.kind = ProbabilitySpec::Kind::gaussian;
        p.sigma = at.key("sigma").number();
        if (!(p.sigma > 0)) at.key("sigma").fail("sigma must be > 0");
    } else if (profile == "exponential") {
        at.only_keys({"profile", "p_center", "tau"});
        p.kind = ProbabilitySpec::Kind::exponential;
        p.tau = at.key("tau").number();
        if (!(p.tau > 0)) at.key("tau").fail("tau must be > 0");
    } else {
        at.key("profile").fail("unknown distance profile '" + profile + "' (known: linear, gaussian, exponential)");
    }
    p.p = at.has("p_center") ? probability_at(at.key("p_center")) : 1.0;
    return p;
}

const char* const kRuleNames[] = {"distance_connector", "select_source_cells", "constant", "connect_random",
                                  "pairwise_bernoulli", "fixed_indegree",     "fixed_outdegree", "fixed_total_number",
                                  "all_to_all",         "one_to_one"};

RuleSpec parse_rule(const At& edge) {
    using K = RuleSpec::Kind;
    RuleSpec r;
    if (!edge.has("connection_rule")) edge.fail("missing key 'connection_rule'");
    const At rule_at = edge.key("connection_rule");
    const Json none = Json::object();
    const At params = edge.has("connection_params") ? edge.key("connection_params") : At(none, edge.path() + ".connection_params", edge.file());
    params.expect_object();
    auto need_int = [&](const char* k) {
        if (!params.has(k)) params.fail(std::string("missing key '") + k + "' for " + r.name);
        return params.key(k).integer();
    };
    auto opt_int = [&](const char* k, std::int64_t fallback) { return params.has(k) ? params.key(k).integer() : fallback; };
    auto need_num = [&](const char* k) {
        if (!params.has(k)) params.fail(std::string("missing key '") + k + "' for " + r.name);
        return params.key(k).number();
    };
    auto opt_bool = [&](const char* k, bool fallback) { return params.has(k) ? params.key(k).boolean() : fallback; };
    auto positive_nsyns = [&](const char* k, std::int64_t v) {
        if (v < 1) params.key(k).fail(std::string(k) + " must be at least 1");
    };
    // nsyns is stored as uint32 (BMTK's dtype); counts of nodes are far below.
    constexpr std::int64_t kMaxCount = std::int64_t{1} << 31;
    for (const char* k : {"nsyn_min", "nsyn_max", "nsyns_min", "nsyns_max", "nsyns", "nsources_min", "nsources_max"})
        if (params.has(k) && params.key(k).json().is_number() && std::fabs(params.key(k).json().get<double>()) > kMaxCount)
            params.key(k).fail(std::string(k) + " = " + params.key(k).describe() + " is too large (at most 2^31)");

    if (rule_at.json().is_number()) {  // BMTK: an integer rule gives every pair that many synapses
        r.kind = K::constant;
        r.name = "constant";
        r.nsyn_min = r.nsyn_max = rule_at.integer();
        if (r.nsyn_min < 1 || r.nsyn_min > (std::int64_t{1} << 31))
            rule_at.fail("an integer connection_rule (synapses per pair) must lie in [1, 2^31], got " + rule_at.describe());
        params.only_keys({});
        return r;
    }
    r.name = rule_at.string();
    const auto* found = std::find(std::begin(kRuleNames), std::end(kRuleNames), r.name);
    if (found == std::end(kRuleNames)) {
        std::string list;
        for (const char* n : kRuleNames) list += std::string(list.empty() ? "" : ", ") + n;
        rule_at.fail("unknown connection rule '" + r.name + "' (known: " + list + ", or an integer)");
    }
    r.kind = static_cast<K>(found - std::begin(kRuleNames));

    switch (r.kind) {
    case K::distance_connector:
        params.only_keys({"d_weight_min", "d_weight_max", "d_max", "nsyn_min", "nsyn_max"});
        r.d_weight_min = need_num("d_weight_min");
        r.d_weight_max = need_num("d_weight_max");
        r.d_max = need_num("d_max");
        if (!(r.d_max > 0)) params.key("d_max").fail("d_max must be > 0, got " + params.key("d_max").describe());
        r.nsyn_min = need_int("nsyn_min");
        r.nsyn_max = need_int("nsyn_max");
        positive_nsyns("nsyn_min", r.nsyn_min);
        if (r.nsyn_max < r.nsyn_min) params.key("nsyn_max").fail("nsyn_max must not be below nsyn_min (both are included)");
        r.allow_autapses = false;
        break;
    case K::select_source_cells:
        params.only_keys({"nsources_min", "nsources_max", "nsyns_min", "nsyns_max"});
        r.nsources_min = opt_int("nsources_min", 10);
        r.nsources_max = opt_int("nsources_max", 30);
        r.nsyn_min = opt_int("nsyns_min", 3);
        r.nsyn_max = opt_int("nsyns_max", 12);
        if (r.nsources_min < 0) params.key("nsources_min").fail("must be >= 0");
        if (r.nsources_max <= r.nsources_min)
            (params.has("nsources_max") ? params.key("nsources_max") : params)
                .fail("nsources_max = " + std::to_string(r.nsources_max) + " must exceed nsources_min = " +
                      std::to_string(r.nsources_min) + " (numpy randint: min <= n < max)");
        if (r.nsyn_min < 1) (params.has("nsyns_min") ? params.key("nsyns_min") : params).fail("nsyns_min must be at least 1");
        if (r.nsyn_max <= r.nsyn_min)
            (params.has("nsyns_max") ? params.key("nsyns_max") : params)
                .fail("nsyns_max = " + std::to_string(r.nsyn_max) + " must exceed nsyns_min = " + std::to_string(r.nsyn_min) +
                      " (numpy randint: min <= n < max)");
        if (edge.has("iterator") && edge.key("iterator").string() != "all_to_one")
            edge.key("iterator").fail("select_source_cells chooses sources per target: its iterator is 'all_to_one'");
        break;
    case K::constant:
        params.only_keys({"nsyns"});
        r.nsyn_min = r.nsyn_max = opt_int("nsyns", 1);
        positive_nsyns("nsyns", r.nsyn_min);
        break;
    case K::connect_random:
        params.only_keys({"nsyn_min", "nsyn_max"});
        r.nsyn_min = opt_int("nsyn_min", 0);
        r.nsyn_max = opt_int("nsyn_max", 10);
        if (r.nsyn_min < 0) params.key("nsyn_min").fail("must be >= 0");
        if (r.nsyn_max <= r.nsyn_min)
            (params.has("nsyn_max") ? params.key("nsyn_max") : params)
                .fail("nsyn_max = " + std::to_string(r.nsyn_max) + " must exceed nsyn_min = " + std::to_string(r.nsyn_min) +
                      " (numpy randint: min <= n < max)");
        break;
    case K::pairwise_bernoulli:
        params.only_keys({"p", "d_max", "nsyns", "allow_autapses"});
        if (!params.has("p")) params.fail("missing key 'p' (a probability, a distance profile or a formula)");
        r.p = parse_probability(params.key("p"));
        if (params.has("d_max")) {
            r.d_max = params.key("d_max").number();
            if (!(r.d_max > 0)) params.key("d_max").fail("d_max must be > 0");
        }
        if (r.p.kind == ProbabilitySpec::Kind::linear && !std::isfinite(r.d_max))
            params.fail("a linear profile falls to 0 at d_max: give d_max");
        r.nsyn_min = r.nsyn_max = opt_int("nsyns", 1);
        positive_nsyns("nsyns", r.nsyn_min);
        r.allow_autapses = opt_bool("allow_autapses", true);
        break;
    case K::fixed_indegree:
    case K::fixed_outdegree:
    case K::fixed_total_number: {
        const char* key = r.kind == K::fixed_indegree ? "indegree" : r.kind == K::fixed_outdegree ? "outdegree" : "N";
        params.only_keys({key, "nsyns", "allow_autapses", "allow_multapses"});
        const std::int64_t c = need_int(key);
        if (c < 0) params.key(key).fail(std::string(key) + " must be >= 0");
        r.count = static_cast<std::uint64_t>(c);
        r.nsyn_min = r.nsyn_max = opt_int("nsyns", 1);
        positive_nsyns("nsyns", r.nsyn_min);
        r.allow_autapses = opt_bool("allow_autapses", true);
        r.allow_multapses = opt_bool("allow_multapses", true);
        break;
    }
    case K::all_to_all:
    case K::one_to_one:
        params.only_keys({"nsyns", "allow_autapses"});
        r.nsyn_min = r.nsyn_max = opt_int("nsyns", 1);
        positive_nsyns("nsyns", r.nsyn_min);
        r.allow_autapses = opt_bool("allow_autapses", true);
        break;
    }
    if (edge.has("iterator")) {
        const std::string it = edge.key("iterator").string();
        if (it != "one_to_one" && it != "one_to_all" && it != "all_to_one")
            edge.key("iterator").fail("unknown iterator '" + it + "' (known: one_to_one, one_to_all, all_to_one)");
    }
    return r;
}

EdgeGroupSpec parse_edge_group(const At& at, const std::string& owner) {
    at.expect_object();
    at.only_keys({"source", "target", "connection_rule", "connection_params", "iterator", "properties"});
    EdgeGroupSpec e;
    e.path = at.path();
    const Json all = Json::object();
    e.source = at.has("source") ? parse_selection(at.key("source"), owner) : parse_selection(At(all, at.path() + ".source", at.file()), owner);
    e.target = at.has("target") ? parse_selection(at.key("target"), owner) : parse_selection(At(all, at.path() + ".target", at.file()), owner);
    e.rule = parse_rule(at);
    if (at.has("properties")) {
        const At props = at.key("properties");
        props.expect_object();
        for (const auto& item : props.json().items()) {
            static const char* const kReserved[] = {"source_node_id", "target_node_id", "edge_type_id", "nsyns",
                                                    "edge_group_id",  "edge_group_index", "target_query", "source_query"};
            for (const char* r : kReserved)
                if (item.key() == r) props.key(item.key()).fail("'" + item.key() + "' is written by the builder");
            e.properties.push_back(parse_property(props.key(item.key()), item.key(), false, 0));
        }
    }
    return e;
}

// ------------------------------------------------------------------ spike trains
const char* const kSortNames[] = {"by_id", "by_time", "none"};

// `files` are the names the networks' files take: a spike file may not
// replace one of them.
SpikeTrainSpec parse_spike_train(const At& at, const std::vector<NetworkSpec>& networks, const std::set<std::string>& files) {
    at.expect_object();
    at.only_keys({"network", "rate_hz", "start_ms", "stop_ms", "file", "node_ids", "nodes", "sort"});
    SpikeTrainSpec t;
    t.path = at.path();
    t.network = at.key("network").string();
    const NetworkSpec* net = nullptr;
    for (const auto& n : networks)
        if (n.name == t.network) net = &n;
    if (!net) at.key("network").fail("network '" + t.network + "' is not defined in this recipe");
    t.rate_hz = at.key("rate_hz").number();
    if (t.rate_hz < 0) at.key("rate_hz").fail("rate_hz must be >= 0, got " + at.key("rate_hz").describe());
    t.start_ms = number_at(at, "start_ms", 0.0);
    if (t.start_ms < 0) at.key("start_ms").fail("start_ms must be >= 0, got " + at.key("start_ms").describe());
    t.stop_ms = at.key("stop_ms").number();
    if (!(t.stop_ms > t.start_ms))
        at.key("stop_ms").fail("stop_ms = " + at.key("stop_ms").describe() + " must exceed start_ms = " +
                               (at.has("start_ms") ? at.key("start_ms").describe() : std::string("0")));
    t.file = at.key("file").string();
    if (t.file.empty() || t.file.find_first_of("/\\") != std::string::npos || t.file[0] == '.')
        at.key("file").fail("expected a file name in the output folder (no folder, not starting with '.'), got " +
                            at.key("file").describe());
    if (t.file.size() < 4 || t.file.compare(t.file.size() - 3, 3, ".h5") != 0)
        at.key("file").fail("the spikes are written as a SONATA HDF5 file: give a name ending in .h5, got " +
                            at.key("file").describe());
    if (files.count(t.file)) at.key("file").fail("'" + t.file + "' is the name of a network file this recipe writes");
    if (at.has("node_ids") && at.has("nodes")) at.fail("give node_ids or nodes, not both");
    if (at.has("node_ids")) {
        const At ids = at.key("node_ids");
        ids.expect_array();
        if (ids.json().empty()) ids.fail("an empty list selects no node");
        std::uint64_t n = 0;
        for (const auto& g : net->nodes) n += g.n;
        std::set<std::uint64_t> seen;
        for (std::size_t i = 0; i < ids.json().size(); ++i) {
            const At id = ids.index(i);
            const std::int64_t v = id.integer();
            if (v < 0 || static_cast<std::uint64_t>(v) >= n)
                id.fail("node id " + std::to_string(v) + " is not a node of network '" + t.network + "' (ids 0 to " +
                        std::to_string(n - 1) + ")");
            if (!seen.insert(static_cast<std::uint64_t>(v)).second) id.fail("node id " + std::to_string(v) + " is listed twice");
        }
        t.nodes = SpikeTrainSpec::Nodes::ids;
        t.node_ids.assign(seen.begin(), seen.end());
    } else if (at.has("nodes")) {
        const At sel = at.key("nodes");
        if (sel.has("network")) sel.key("network").fail("the network is the spike train's \"network\"");
        t.nodes = SpikeTrainSpec::Nodes::selection;
        t.selection = parse_selection(sel, t.network);
    }
    if (at.has("sort")) {
        const std::string sort = at.key("sort").string();
        const auto* found = std::find(std::begin(kSortNames), std::end(kSortNames), sort);
        if (found == std::end(kSortNames)) at.key("sort").fail("unknown sort order '" + sort + "' (known: by_id, by_time, none)");
        t.sort = static_cast<SpikeTrainSpec::Sort>(found - std::begin(kSortNames));
    }
    return t;
}

std::vector<SpikeTrainSpec> parse_spike_trains(const At& at, const Recipe& r) {
    at.expect_array();
    std::set<std::string> files;
    for (const auto& n : r.networks) {
        files.insert(n.name + "_nodes.h5");
        for (const auto& e : n.edges) files.insert(e.source.network + "_" + e.target.network + "_edges.h5");
    }
    std::vector<SpikeTrainSpec> trains;
    for (std::size_t i = 0; i < at.json().size(); ++i) {
        trains.push_back(parse_spike_train(at.index(i), r.networks, files));
        // One file holds one sort order.
        for (std::size_t j = 0; j + 1 < trains.size(); ++j) {
            const SpikeTrainSpec& a = trains[j];
            const SpikeTrainSpec& b = trains.back();
            if (a.file != b.file) continue;
            if (a.sort != b.sort)
                at.index(i).key(at.index(i).has("sort") ? "sort" : "file")
                    .fail("spike_trains[" + std::to_string(j) + "] writes '" + a.file + "' sorted " +
                          kSortNames[static_cast<int>(a.sort)] + ", this one " + kSortNames[static_cast<int>(b.sort)] +
                          " (one file has one sort order)");
        }
    }
    return trains;
}

// ------------------------------------------------------------------ cross checks
// Names a formula may read, per network: numeric properties of any node group
// (constant or per node) and x, y, z when some group has positions.
struct NetworkNames {
    std::set<std::string> numeric;
    bool positions = false;
};

NetworkNames names_of(const NetworkSpec& net) {
    NetworkNames n;
    for (const auto& g : net.nodes) {
        n.positions = n.positions || g.positions.has_value();
        for (const auto& p : g.properties) {
            const bool numeric = (p.kind == PropertySpec::Kind::constant && (p.constant.is_number() || p.constant.is_boolean())) ||
                                 (p.kind == PropertySpec::Kind::list && !p.list.empty() && p.list[0].is_number()) ||
                                 p.kind == PropertySpec::Kind::distribution || p.kind == PropertySpec::Kind::formula;
            if (numeric) n.numeric.insert(p.name);
        }
    }
    return n;
}

}  // namespace

std::vector<std::string> node_formula_names(bool positions) {
    std::vector<std::string> names{"index"};
    if (positions) names.insert(names.end(), {"x", "y", "z"});
    return names;
}

std::vector<std::string> pair_formula_names(const NetworkSpec& source, const NetworkSpec& target, bool with_nsyns) {
    std::vector<std::string> names;
    const NetworkNames s = names_of(source), t = names_of(target);
    if (s.positions && t.positions) names.push_back("distance");
    for (const auto& [prefix, nn] : {std::pair<std::string, const NetworkNames*>{"source_", &s}, {"target_", &t}}) {
        std::set<std::string> own = nn->numeric;  // a property x of groups without positions shares source_x
        if (nn->positions) own.insert({"x", "y", "z"});
        for (const auto& p : own) names.push_back(prefix + p);
    }
    if (with_nsyns) names.push_back("nsyns");
    return names;
}

const NetworkSpec* Recipe::find(const std::string& name) const {
    for (const auto& n : networks)
        if (n.name == name) return &n;
    return nullptr;
}

Recipe parse_recipe(const Json& doc, const fs::path& file) {
    Recipe r;
    r.file = file;
    const At top(doc, "", file);
    top.expect_object();
    top.only_keys({"seed", "networks", "spike_trains", "description"});
    if (top.has("seed")) {
        const std::int64_t s = top.key("seed").integer();
        if (s < 0) top.key("seed").fail("the seed must be >= 0, got " + std::to_string(s));
        r.seed = static_cast<std::uint64_t>(s);
    }
    if (!top.has("networks")) top.fail("missing key 'networks'");
    const At nets = top.key("networks");
    nets.expect_object();
    if (nets.json().empty()) nets.fail("no network defined");
    for (const auto& item : nets.json().items()) {
        const At net = nets.key(item.key());
        net.expect_object();
        net.only_keys({"nodes", "edges"});
        if (item.key().empty() || item.key().find_first_of(" \t/\\\"'") != std::string::npos)
            net.fail("network names may not be empty or hold spaces, slashes or quotes");
        NetworkSpec n;
        n.name = item.key();
        n.path = net.path();
        if (!net.has("nodes")) net.fail("missing key 'nodes' (a list of node groups)");
        const At nodes = net.key("nodes");
        nodes.expect_array();
        if (nodes.json().empty()) nodes.fail("a network needs at least one node group");
        for (std::size_t i = 0; i < nodes.json().size(); ++i) n.nodes.push_back(parse_node_group(nodes.index(i)));
        // Node formulas see the group's index and, with positions, x y z.
        for (const auto& g : n.nodes)
            for (const auto& p : g.properties)
                if (p.kind == PropertySpec::Kind::formula)
                    Formula(p.formula, node_formula_names(g.positions.has_value()), file.string() + ": " + p.path);
        r.networks.push_back(std::move(n));
        if (net.has("edges")) {
            const At edges = net.key("edges");
            edges.expect_array();
            for (std::size_t i = 0; i < edges.json().size(); ++i)
                r.networks.back().edges.push_back(parse_edge_group(edges.index(i), item.key()));
        }
    }

    // Networks an edge group names must be defined by then (BMTK builds a
    // network before another one's edges can select its nodes); every edge
    // file (source network, target network) comes from one network's list.
    std::vector<std::pair<std::string, std::string>> pair_owner;  // "src>trg" -> owner
    for (std::size_t k = 0; k < r.networks.size(); ++k) {
        const NetworkSpec& net = r.networks[k];
        auto defined_by_now = [&](const SelectionSpec& s) -> const NetworkSpec* {
            for (std::size_t j = 0; j <= k; ++j)
                if (r.networks[j].name == s.network) return &r.networks[j];
            const bool later = r.find(s.network) != nullptr;
            throw config_error(file.string() + ": " + s.path + ".network: network '" + s.network + "' " +
                               (later ? "is used before it is defined (define it earlier in \"networks\")"
                                      : "is not defined in this recipe"));
        };
        for (const auto& e : net.edges) {
            const NetworkSpec* src = defined_by_now(e.source);
            const NetworkSpec* trg = defined_by_now(e.target);
            const std::string key = src->name + ">" + trg->name;
            for (const auto& [k2, owner] : pair_owner)
                if (k2 == key && owner != net.name)
                    throw config_error(file.string() + ": " + e.path + ": edges from '" + src->name + "' to '" + trg->name +
                                       "' are already defined under networks." + owner +
                                       ".edges (one network's list holds all edges of one edge file)");
            pair_owner.emplace_back(key, net.name);
            const bool positions_both = names_of(*src).positions && names_of(*trg).positions;
            if ((e.rule.kind == RuleSpec::Kind::distance_connector ||
                 (e.rule.kind == RuleSpec::Kind::pairwise_bernoulli && (e.rule.p.kind == ProbabilitySpec::Kind::linear ||
                                                                        e.rule.p.kind == ProbabilitySpec::Kind::gaussian ||
                                                                        e.rule.p.kind == ProbabilitySpec::Kind::exponential)) ||
                 (std::isfinite(e.rule.d_max) && e.rule.kind == RuleSpec::Kind::pairwise_bernoulli)) &&
                !positions_both)
                throw config_error(file.string() + ": " + e.path + ".connection_rule: '" + e.rule.name +
                                   "' with distances needs positions in both networks ('" + src->name + "' and '" +
                                   trg->name + "')");
            if (e.rule.kind == RuleSpec::Kind::pairwise_bernoulli && e.rule.p.kind == ProbabilitySpec::Kind::formula)
                Formula(e.rule.p.formula, pair_formula_names(*src, *trg, false),
                        file.string() + ": " + e.path + ".connection_params.p");
            for (const auto& p : e.properties)
                if (p.kind == PropertySpec::Kind::formula)
                    Formula(p.formula, pair_formula_names(*src, *trg, true), file.string() + ": " + p.path);
        }
    }
    if (top.has("spike_trains")) r.spike_trains = parse_spike_trains(top.key("spike_trains"), r);
    return r;
}

Recipe load_recipe(const fs::path& file) {
    if (fs::is_directory(file)) throw input_error(file.string() + ": cannot read the recipe file (it is a directory)");
    std::ifstream in(file, std::ios::binary);
    if (!in) throw input_error(file.string() + ": cannot read the recipe file (" + (fs::exists(file) ? "permission denied" : "no such file") + ")");
    std::stringstream text;
    text << in.rdbuf();
    Json doc;
    try {
        doc = Json::parse(text.str());
    } catch (const Json::exception& e) {  // parse_error, and out_of_range for a number too large (1e999)
        // Drop nlohmann's "[json.exception.parse_error.101] " tag; keep line and column.
        std::string what = e.what();
        if (const auto tag_end = what.find("] "); tag_end != std::string::npos) what.erase(0, tag_end + 2);
        throw config_error(file.string() + ": not valid JSON: " + what);
    }
    return parse_recipe(doc, file);
}

}  // namespace pointsim::builder
