#pragma once
// The recipe of `pointsim build`: BMTK NetworkBuilder calls as JSON
// (docs/building.md has the full reference and the tutorial side by side).
//
//   {
//     "seed": 0,
//     "networks": {                                  // built in this order
//       "V1": {                                      // NetworkBuilder("V1")
//         "nodes": [                                 // one add_nodes call each
//           {"N": 80,
//            "positions": {"generator": "columinar", "center": [0, 50, 0],
//                          "min_radius": 0, "max_radius": 30, "height": 100},
//            "properties": {"pop_name": "Scnn1a", "ei": "e",      // constants -> node types CSV
//                           "tuning_angle": {"distribution": "uniform", "low": 0, "high": 360}}}  // per node -> h5
//         ],
//         "edges": [                                 // one add_edges call each
//           {"source": {"ei": "e"}, "target": {"pop_name": "Scnn1a"},
//            "connection_rule": "distance_connector",
//            "connection_params": {"d_weight_min": 0, "d_weight_max": 0.34, "d_max": 300,
//                                  "nsyn_min": 3, "nsyn_max": 7},
//            "properties": {"syn_weight": 3.0, "delay": 2.0,          // constants -> edge types CSV
//                           "model_template": "static_synapse", "dynamics_params": "ExcToExc.json"}}
//         ]
//       },
//       "LGN": {"nodes": [...], "edges": [{"target": {"network": "V1", "pop_name": "PV"}, ...}]}
//     },
//     "spike_trains": [                              // optional: Poisson inputs, as BMTK's
//       {"network": "LGN", "rate_hz": 10,             // PoissonSpikeGenerator.add + to_sonata
//        "start_ms": 0, "stop_ms": 3000, "file": "lgn_spikes.h5"}
//     ]
//   }
//
// parse_recipe checks everything that can be checked without drawing a
// random number (names, types, ranges, formulas, networks referenced before
// they are defined) and throws config_error naming the recipe file and the
// path inside it, e.g. "networks.V1.edges[3].connection_params.d_max".
#include <array>
#include <cstdint>
#include <filesystem>
#include <limits>
#include <optional>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

namespace pointsim::builder {

using Json = nlohmann::ordered_json;

// A random distribution for per-node or per-edge values.
struct Distribution {
    enum class Kind { uniform, normal, lognormal, exponential, uniform_int, choice };
    Kind kind = Kind::uniform;
    double a = 0.0, b = 0.0;      // uniform low/high, normal mean/sd, lognormal mean/sigma, exponential mean,
                                  // uniform_int low/high (inclusive)
    std::vector<double> values;   // choice
};

// How a property gets its value(s).
struct PropertySpec {
    enum class Kind {
        constant,      // one value for the whole group -> the types CSV
        list,          // one value per node, given (nodes only) -> h5
        distribution,  // one random value per node/edge -> h5
        formula,       // one computed value per node/edge -> h5
    };
    std::string name;
    std::string path;  // where it is in the recipe, for messages
    Kind kind = Kind::constant;
    Json constant;            // number, string or boolean
    Json list;                // array of numbers or of strings
    Distribution distribution;
    std::string formula;
    bool integer = false;     // per-item values stored as int64 (uniform_int, integer lists)
    bool per_item() const { return kind != Kind::constant; }
};

struct PositionsSpec {
    enum class Kind { columinar, cuboid, list };
    Kind kind = Kind::columinar;
    std::array<double, 3> center{0.0, 50.0, 0.0};
    double min_radius = 0.0, max_radius = 1.0, height = 100.0;  // columinar (BMTK defaults)
    std::array<double, 3> size{100.0, 100.0, 100.0};           // cuboid: full side lengths x, y, z
    std::vector<std::array<double, 3>> list;                    // list
};

struct NodeGroupSpec {
    std::string path;
    std::uint64_t n = 0;
    std::optional<PositionsSpec> positions;
    std::vector<PropertySpec> properties;
};

// A selection of nodes (BMTK's net.nodes(**props)): every condition must
// hold; a condition's value list means "any of".
struct SelectionSpec {
    std::string path;
    std::string network;  // resolved: the owning network when not given
    struct Condition {
        std::string property;
        std::vector<Json> any_of;
    };
    std::vector<Condition> conditions;
};

// A connection probability: a number, a distance profile or a formula.
struct ProbabilitySpec {
    enum class Kind { constant, linear, gaussian, exponential, formula };
    Kind kind = Kind::constant;
    double p = 1.0;  // constant, or the profile's value at distance 0 (p_center)
    double sigma = 0.0, tau = 0.0;
    std::string formula;
    // The distance profiles; a formula reads distance if it names it.
    bool uses_distance() const { return kind == Kind::linear || kind == Kind::gaussian || kind == Kind::exponential; }
};

struct RuleSpec {
    enum class Kind {
        distance_connector,   // BMTK auxi.edge_connectors.distance_connector
        select_source_cells,  // the PointNet tutorial's all_to_one rule
        constant,             // BMTK integer connection_rule: nsyns for every pair
        connect_random,       // BMTK auxi.edge_connectors.connect_random
        pairwise_bernoulli,   // NEST rules from here on
        fixed_indegree,
        fixed_outdegree,
        fixed_total_number,
        all_to_all,
        one_to_one,
    };
    Kind kind = Kind::all_to_all;
    std::string name;
    // distance_connector
    double d_weight_min = 0.0, d_weight_max = 1.0;
    // distance_connector, and the mask of pairwise_bernoulli (infinite: none)
    double d_max = std::numeric_limits<double>::infinity();
    // nsyns ranges: distance_connector [nsyn_min, nsyn_max] inclusive (Python
    // random.randint); connect_random and select_source_cells [min, max)
    // (numpy randint); constant and NEST rules use nsyn_min only.
    std::int64_t nsyn_min = 1, nsyn_max = 1;
    std::int64_t nsources_min = 10, nsources_max = 30;  // select_source_cells, [min, max)
    ProbabilitySpec p;                                  // pairwise_bernoulli
    std::uint64_t count = 0;  // indegree, outdegree or total N
    bool allow_autapses = true, allow_multapses = true;
};

struct EdgeGroupSpec {
    std::string path;
    SelectionSpec source, target;
    RuleSpec rule;
    std::vector<PropertySpec> properties;
};

struct NetworkSpec {
    std::string name;
    std::string path;
    std::vector<NodeGroupSpec> nodes;
    std::vector<EdgeGroupSpec> edges;
};

// Poisson spike trains for the nodes of one network, written as a SONATA
// spikes file beside the network (BMTK's PoissonSpikeGenerator: exponential
// intervals per node from start, spikes in (start, stop]).
struct SpikeTrainSpec {
    std::string path;     // "spike_trains[0]", for messages
    std::string network;  // the population
    double rate_hz = 0.0;
    double start_ms = 0.0, stop_ms = 0.0;
    std::string file;     // a file name in the output folder
    enum class Nodes { all, ids, selection };
    Nodes nodes = Nodes::all;
    std::vector<std::uint64_t> node_ids;  // Nodes::ids, ascending
    SelectionSpec selection;              // Nodes::selection
    enum class Sort { by_id, by_time, none };
    Sort sort = Sort::by_id;
};

struct Recipe {
    std::filesystem::path file;
    std::uint64_t seed = 0;
    std::vector<NetworkSpec> networks;  // in recipe order
    std::vector<SpikeTrainSpec> spike_trains;  // in recipe order
    const NetworkSpec* find(const std::string& name) const;
};

// The names a formula may read. Node properties: index (0-based in the
// group) and, with positions, x y z. Pairs (a probability, a per-edge value):
// distance (when both networks have positions), source_x .. target_z, and
// source_<p> / target_<p> for every numeric node property p of the network;
// per-edge values also see nsyns.
std::vector<std::string> node_formula_names(bool positions);
std::vector<std::string> pair_formula_names(const NetworkSpec& source, const NetworkSpec& target, bool with_nsyns);

// Reads and checks a recipe file (throws config_error, or input_error when
// the file cannot be read).
Recipe load_recipe(const std::filesystem::path& file);
// Checks a recipe given as JSON; `file` names it in messages.
Recipe parse_recipe(const Json& doc, const std::filesystem::path& file);

}  // namespace pointsim::builder
