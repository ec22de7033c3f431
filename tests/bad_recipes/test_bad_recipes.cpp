// The bad-recipe corpus (docs/errors.md). Each case copies the PointNet
// tutorial's recipe (examples/tutorial_ch05/build.json: V1 with positions, 8
// distance_connector edge groups; LGN without positions, 4 select_source_cells
// edge groups onto V1) into a fresh temporary directory, introduces exactly
// one defect, and runs the real `pointsim build RECIPE --output DIR`. Every
// case asserts
//   - the exit code of the error's kind (3 recipe, 4 recipe file unreadable),
//   - nothing on stdout and exactly one line on stderr, "pointsim: error: ...",
//   - that this line names the recipe file, the path inside the recipe
//     (networks.V1.edges[3].connection_params.d_max) and, where the message
//     is about one, the offending value or name,
//   - that nothing was written: DIR does not exist or holds no file at all,
//     and no staged temporary (*.pointsim-tmp) is left anywhere.
// The unmodified recipe builds its 8 files (BadRecipeBaseline), so each
// failure is the defect's; a failing build leaves an earlier build's files
// byte for byte as they were. POINTSIM_CLI_SHOW=1 prints every error line; a
// failing case keeps its directory.
#include <sys/wait.h>

#include <cmath>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <functional>
#include <iostream>
#include <map>
#include <sstream>
#include <string>
#include <vector>

#include <gtest/gtest.h>
#include <nlohmann/json.hpp>

#include "test_files.hpp"

namespace fs = std::filesystem;
namespace testing_files = pointsim::testing_files;
using OJson = nlohmann::ordered_json;

namespace {

const fs::path kRecipe = fs::path(POINTSIM_EXAMPLES_DIR) / "tutorial_ch05" / "build.json";
const std::string kExe = POINTSIM_EXE;

// The files the tutorial's recipe builds.
const std::vector<std::string> kBuiltFiles = {"V1_nodes.h5",      "V1_node_types.csv",     "LGN_nodes.h5",
                                              "LGN_node_types.csv", "V1_V1_edges.h5",        "V1_V1_edge_types.csv",
                                              "LGN_V1_edges.h5",  "LGN_V1_edge_types.csv"};

// ------------------------------------------------------------ files

using testing_files::line_of;
using testing_files::lines_of;
using testing_files::read_text;
using testing_files::replace_once;
using testing_files::write_text;
void edit_json(const fs::path& file, const std::function<void(OJson&)>& edit) { testing_files::edit_json<OJson>(file, edit); }

// "line L, column C", as nlohmann reports where `file` stops being JSON.
std::string nlohmann_position(const fs::path& file) {
    try {
        const OJson doc = OJson::parse(read_text(file));
        if (!doc.is_discarded()) throw std::runtime_error(file.string() + " is valid JSON");
    } catch (const nlohmann::json::parse_error& e) {
        const std::string what = e.what();
        const auto from = what.find("line ");
        const auto to = what.find(':', from);
        if (from == std::string::npos || to == std::string::npos) throw std::runtime_error("no position in: " + what);
        return what.substr(from, to - from);
    }
    return {};
}

// Every regular file under `dir` (hidden ones too), by relative path, with its bytes.
std::map<std::string, std::string> snapshot(const fs::path& dir) {
    std::map<std::string, std::string> files;
    if (!fs::exists(dir)) return files;
    for (const auto& e : fs::recursive_directory_iterator(dir))
        if (!e.is_directory()) files[fs::relative(e.path(), dir).string()] = read_text(e.path());
    return files;
}

std::string names_of(const std::map<std::string, std::string>& files) {
    std::string s;
    for (const auto& [name, bytes] : files) s += (s.empty() ? "" : ", ") + name;
    return s.empty() ? "(none)" : s;
}

bool has_temp_file(const fs::path& root) {
    for (const auto& e : fs::recursive_directory_iterator(root))
        if (e.path().filename().string().find("pointsim-tmp") != std::string::npos) return true;
    return false;
}

// ------------------------------------------------------------ the cases

// Where a case works. A mutation edits `recipe` (or points it elsewhere) and
// may add expected substrings known only once the files exist (`mentions`).
struct Ctx {
    fs::path root;    // the temporary directory
    fs::path recipe;  // root/build.json, a copy of the tutorial's recipe
    fs::path out;     // root/out, the --output folder
    std::vector<std::string> mentions;
};

struct Case {
    std::string name;
    std::function<void(Ctx&)> mutate;
    int code;
    std::vector<std::string> mentions;  // besides the recipe's path, which every line must name
};

std::ostream& operator<<(std::ostream& os, const Case& c) { return os << c.name; }

// Shorthands for the table. They use at(), so that an edit of something the
// recipe does not hold throws instead of silently adding it.
using Edit = std::function<void(OJson&)>;
std::function<void(Ctx&)> recipe_edit(Edit e) {
    return [e](Ctx& c) { edit_json(c.recipe, e); };
}
OJson& network(OJson& j, const char* name) { return j.at("networks").at(name); }
OJson& v1_nodes(OJson& j, std::size_t i) { return network(j, "V1").at("nodes").at(i); }
OJson& lgn_nodes(OJson& j, std::size_t i) { return network(j, "LGN").at("nodes").at(i); }
OJson& v1_edges(OJson& j, std::size_t i) { return network(j, "V1").at("edges").at(i); }
OJson& lgn_edges(OJson& j, std::size_t i) { return network(j, "LGN").at("edges").at(i); }

// An edge group's rule and parameters replaced (and its iterator dropped).
void set_rule(OJson& edge, const OJson& rule, const OJson& params) {
    edge.at("connection_rule") = rule;
    edge["connection_params"] = params;
    edge.erase("iterator");
}

// Renames a key in place (same position in the object).
void rename_key(OJson& obj, const std::string& from, const std::string& to) {
    OJson renamed = OJson::object();
    bool found = false;
    for (auto it = obj.begin(); it != obj.end(); ++it) {
        found = found || it.key() == from;
        renamed[it.key() == from ? to : it.key()] = it.value();
    }
    if (!found) throw std::runtime_error("no key '" + from + "' to rename");
    obj = renamed;
}

// A per-node property on V1's first node group (Scnn1a, N = 80, positions).
std::function<void(Ctx&)> v1_property(const std::string& name, const OJson& value) {
    return recipe_edit([name, value](OJson& j) { v1_nodes(j, 0).at("properties")[name] = value; });
}

std::vector<Case> make_cases() {
    std::vector<Case> cs;
    auto add = [&cs](std::string name, std::function<void(Ctx&)> m, int code, std::vector<std::string> mentions) {
        cs.push_back({std::move(name), std::move(m), code, std::move(mentions)});
    };
    const std::string tuning = "networks.V1.nodes[0].properties.tuning_angle";

    // ================================================ the recipe file (4) and its JSON (3)
    add("RecipeFileMissing", [](Ctx& c) { c.recipe = c.root / "missing.json"; }, 4,
        {"missing.json", "cannot read the recipe file", "no such file"});
    add("RecipeIsADirectory",
        [](Ctx& c) {
            c.recipe = c.root / "recipe.d";
            fs::create_directory(c.recipe);
        },
        4, {"recipe.d"});
    add("JsonMissingComma",
        [](Ctx& c) {
            // The parser stops at "networks", the key after the missing comma.
            const int line = line_of(c.recipe, "\"networks\"");
            replace_once(c.recipe, "\"seed\": 0,", "\"seed\": 0");
            c.mentions.push_back(nlohmann_position(c.recipe));
            c.mentions.push_back("line " + std::to_string(line) + ", column ");
        },
        3, {"not valid JSON"});
    add("JsonTruncated",
        [](Ctx& c) {
            const std::string text = read_text(c.recipe);
            const std::string cut = "\"min_radius\": 30.0,";
            write_text(c.recipe, text.substr(0, text.find(cut) + cut.size()));
            c.mentions.push_back(nlohmann_position(c.recipe));
        },
        3, {"not valid JSON", "unexpected end of input"});
    add("JsonWithComment",
        [](Ctx& c) {
            replace_once(c.recipe, "\"seed\": 0,", "\"seed\": 0,  // the tutorial's seed");
            c.mentions.push_back(nlohmann_position(c.recipe));
            c.mentions.push_back("line " + std::to_string(line_of(c.recipe, "\"seed\"")) + ", column ");
        },
        3, {"not valid JSON"});
    // nlohmann reports a number beyond double's range as out_of_range, not parse_error (a fuzz finding).
    add("JsonNumberTooLarge", [](Ctx& c) { replace_once(c.recipe, "\"seed\": 0,", "\"seed\": 1e999,"); }, 3,
        {"not valid JSON", "number overflow", "1e999"});
    add("EmptyFile", [](Ctx& c) { write_text(c.recipe, ""); }, 3, {"not valid JSON", "line 1, column 1"});
    add("TopLevelIsAList", [](Ctx& c) { write_text(c.recipe, "[{\"networks\": {}}]\n"); }, 3,
        {"top level", "expected an object"});

    // ================================================ top level (3)
    add("UnknownTopLevelKey", recipe_edit([](OJson& j) { rename_key(j, "seed", "sede"); }), 3,
        {": sede: ", "unknown key 'sede'"});
    add("MissingNetworks", recipe_edit([](OJson& j) { j.erase("networks"); }), 3, {"top level", "missing key 'networks'"});
    add("NetworksEmpty", recipe_edit([](OJson& j) { j.at("networks") = OJson::object(); }), 3,
        {": networks: ", "no network defined"});
    add("NetworksIsAList", recipe_edit([](OJson& j) { j.at("networks") = OJson::array({"V1", "LGN"}); }), 3,
        {": networks: ", "expected an object"});
    add("SeedNegative", recipe_edit([](OJson& j) { j.at("seed") = -1; }), 3, {": seed: ", "must be >= 0"});
    add("SeedNotWhole", recipe_edit([](OJson& j) { j.at("seed") = 1.5; }), 3, {": seed: ", "whole number", "1.5"});
    add("SeedIsAString", recipe_edit([](OJson& j) { j.at("seed") = "0"; }), 3, {": seed: ", "whole number", "\"0\""});

    // ================================================ networks (3)
    add("NetworkWithoutNodes", recipe_edit([](OJson& j) { network(j, "LGN").erase("nodes"); }), 3,
        {"networks.LGN: ", "missing key 'nodes'"});
    add("NetworkNodesEmpty", recipe_edit([](OJson& j) { network(j, "LGN").at("nodes") = OJson::array(); }), 3,
        {"networks.LGN.nodes: ", "at least one node group"});
    add("NetworkNodesIsAnObject", recipe_edit([](OJson& j) { network(j, "LGN").at("nodes") = lgn_nodes(j, 0); }), 3,
        {"networks.LGN.nodes: ", "expected a list"});
    add("NetworkUnknownKey", recipe_edit([](OJson& j) { rename_key(network(j, "LGN"), "edges", "edge"); }), 3,
        {"networks.LGN.edge: ", "unknown key 'edge'"});
    add("NetworkIsAList", recipe_edit([](OJson& j) { network(j, "LGN") = OJson::array(); }), 3,
        {"networks.LGN: ", "expected an object"});
    add("NetworkNameWithSlash", recipe_edit([](OJson& j) { rename_key(j.at("networks"), "LGN", "LGN/tON"); }), 3,
        {"networks.LGN/tON: ", "network names may not"});
    add("NetworkUsedBeforeDefined", recipe_edit([](OJson& j) { v1_edges(j, 0).at("target") = {{"network", "LGN"}}; }), 3,
        {"networks.V1.edges[0].target.network: ", "'LGN'", "used before it is defined"});
    add("NetworkNotDefined", recipe_edit([](OJson& j) { lgn_edges(j, 2).at("target").at("network") = "V2"; }), 3,
        {"networks.LGN.edges[2].target.network: ", "'V2'", "not defined"});
    add("NetworkNameIsANumber", recipe_edit([](OJson& j) { lgn_edges(j, 0).at("target").at("network") = 1; }), 3,
        {"networks.LGN.edges[0].target.network: ", "expected a string"});
    add("EdgeFileInTwoNetworksLists",
        recipe_edit([](OJson& j) {
            // V1 -> V1 edges belong in V1's list, where 8 groups already are.
            OJson e = v1_edges(j, 0);
            e.at("source")["network"] = "V1";
            e.at("target")["network"] = "V1";
            network(j, "LGN").at("edges").push_back(e);
        }),
        3, {"networks.LGN.edges[4]: ", "already defined under networks.V1.edges"});

    // ================================================ node groups (3)
    add("NodeCountZero", recipe_edit([](OJson& j) { v1_nodes(j, 0).at("N") = 0; }), 3,
        {"networks.V1.nodes[0].N: ", "at least 1", "got 0"});
    add("NodeCountNegative", recipe_edit([](OJson& j) { lgn_nodes(j, 0).at("N") = -5; }), 3,
        {"networks.LGN.nodes[0].N: ", "at least 1", "-5"});
    add("NodeCountNotWhole", recipe_edit([](OJson& j) { v1_nodes(j, 1).at("N") = 20.5; }), 3,
        {"networks.V1.nodes[1].N: ", "whole number", "20.5"});
    add("NodeCountIsAString", recipe_edit([](OJson& j) { v1_nodes(j, 0).at("N") = "80"; }), 3,
        {"networks.V1.nodes[0].N: ", "whole number", "\"80\""});
    add("NodeCountMissing", recipe_edit([](OJson& j) { v1_nodes(j, 3).erase("N"); }), 3,
        {"networks.V1.nodes[3]: ", "missing key 'N'"});
    // 2^62 nodes cannot be built: a clear recipe error, not a crash.
    add("NodeCountHuge", recipe_edit([](OJson& j) { v1_nodes(j, 0).at("N") = std::int64_t{1} << 62; }), 3,
        {"networks.V1.nodes[0].N"});
    add("NodeGroupMisspelledKey", recipe_edit([](OJson& j) { rename_key(v1_nodes(j, 2), "properties", "propertys"); }), 3,
        {"networks.V1.nodes[2].propertys: ", "unknown key 'propertys'"});
    add("NodeGroupIsAString", recipe_edit([](OJson& j) { v1_nodes(j, 1) = "PV"; }), 3,
        {"networks.V1.nodes[1]: ", "expected an object", "\"PV\""});
    add("NodePropertiesIsAList",
        recipe_edit([](OJson& j) { v1_nodes(j, 0).at("properties") = OJson::array({"pop_name", "Scnn1a"}); }), 3,
        {"networks.V1.nodes[0].properties: ", "expected an object"});
    add("NodePropertyNodeId", v1_property("node_id", 5), 3,
        {"networks.V1.nodes[0].properties.node_id: ", "'node_id'", "assigned by the builder"});
    add("NodePropertyNodeTypeId",
        recipe_edit([](OJson& j) { lgn_nodes(j, 0).at("properties")["node_type_id"] = 100; }), 3,
        {"networks.LGN.nodes[0].properties.node_type_id: ", "'node_type_id'", "assigned by the builder"});
    add("NodePropertyIsNull", recipe_edit([](OJson& j) { v1_nodes(j, 0).at("properties").at("location") = nullptr; }), 3,
        {"networks.V1.nodes[0].properties.location: ", "null"});
    add("NodePropertyObjectWithoutKind", v1_property("tuning_angle", {{"value", 3}}), 3,
        {tuning + ": ", "\"distribution\" or \"formula\""});
    add("PerNodeListWrongLength",
        recipe_edit([](OJson& j) { lgn_nodes(j, 0).at("properties")["tuning_angle"] = OJson::array({0, 90, 180}); }), 3,
        {"networks.LGN.nodes[0].properties.tuning_angle: ", "N = 500", "got 3"});
    add("PerNodeListMixedTypes",
        recipe_edit([](OJson& j) {
            OJson layers = OJson::array();
            for (int i = 0; i < 20; ++i) layers.push_back(i == 7 ? OJson(4) : OJson("L4"));
            v1_nodes(j, 1).at("properties")["layer"] = layers;
        }),
        3, {"networks.V1.nodes[1].properties.layer[7]: ", "expected a string", "4"});

    // ================================================ positions (3)
    add("PositionsListWrongLength",
        recipe_edit([](OJson& j) {
            OJson list = OJson::array();
            for (int i = 0; i < 19; ++i) list.push_back({0.0, 50.0, 0.0});
            v1_nodes(j, 1).at("positions") = list;
        }),
        3, {"networks.V1.nodes[1].positions: ", "N = 20", "got 19"});
    add("PositionsEntryNotXYZ",
        recipe_edit([](OJson& j) {
            OJson list = OJson::array();
            for (int i = 0; i < 20; ++i) list.push_back(i == 5 ? OJson({1.0, 2.0}) : OJson({0.0, 50.0, 0.0}));
            v1_nodes(j, 1).at("positions") = list;
        }),
        3, {"networks.V1.nodes[1].positions[5]: ", "expected [x, y, z]", "[1.0,2.0]"});
    add("PositionsUnknownGenerator", recipe_edit([](OJson& j) { v1_nodes(j, 0).at("positions").at("generator") = "spherical"; }),
        3, {"networks.V1.nodes[0].positions.generator: ", "unknown positions generator 'spherical'"});
    add("PositionsMissingGenerator", recipe_edit([](OJson& j) { v1_nodes(j, 0).at("positions").erase("generator"); }), 3,
        {"networks.V1.nodes[0].positions", "generator"});
    add("PositionsUnknownKey", recipe_edit([](OJson& j) { rename_key(v1_nodes(j, 0).at("positions"), "max_radius", "radius"); }),
        3, {"networks.V1.nodes[0].positions.radius: ", "unknown key 'radius'"});
    add("PositionsMaxRadiusBelowMin", recipe_edit([](OJson& j) { v1_nodes(j, 2).at("positions").at("max_radius") = 10.0; }),
        3, {"networks.V1.nodes[2].positions.max_radius: ", "min_radius"});
    add("PositionsCenterNotXYZ",
        recipe_edit([](OJson& j) { v1_nodes(j, 3).at("positions").at("center") = OJson::array({0.0, 50.0}); }), 3,
        {"networks.V1.nodes[3].positions.center: ", "expected [x, y, z]"});
    add("PositionsCuboidWithoutSize", recipe_edit([](OJson& j) { v1_nodes(j, 0).at("positions") = {{"generator", "cuboid"}}; }),
        3, {"networks.V1.nodes[0].positions", "size"});
    add("PositionsIsANumber", recipe_edit([](OJson& j) { v1_nodes(j, 0).at("positions") = 30; }), 3,
        {"networks.V1.nodes[0].positions: ", "expected an object"});

    // ================================================ per-node distributions (3)
    add("DistributionUnknown", v1_property("tuning_angle", {{"distribution", "gamma"}, {"shape", 2.0}}), 3,
        {tuning + ".distribution: ", "unknown distribution 'gamma'"});
    add("DistributionUniformHighBelowLow", v1_property("tuning_angle", {{"distribution", "uniform"}, {"low", 360}, {"high", 0}}),
        3, {tuning + ".high: ", "must not be below low"});
    add("DistributionNormalNegativeSd", v1_property("tuning_angle", {{"distribution", "normal"}, {"mean", 90}, {"sd", -5}}), 3,
        {tuning + ".sd: ", "sd must be >= 0"});
    add("DistributionMissingParameter", v1_property("tuning_angle", {{"distribution", "uniform"}, {"low", 0}}), 3,
        {tuning, "high"});
    add("DistributionUnknownKey", v1_property("tuning_angle", {{"distribution", "uniform"}, {"low", 0}, {"high", 360}, {"mean", 180}}),
        3, {tuning + ".mean: ", "unknown key 'mean'"});
    add("DistributionExponentialMeanZero", v1_property("tuning_angle", {{"distribution", "exponential"}, {"mean", 0}}), 3,
        {tuning + ".mean: ", "mean must be > 0"});
    add("DistributionChoiceEmpty", v1_property("tuning_angle", {{"distribution", "choice"}, {"values", OJson::array()}}), 3,
        {tuning + ".values: ", "at least one value"});
    add("DistributionUniformIntNotWhole", v1_property("tuning_angle", {{"distribution", "uniform_int"}, {"low", 0.5}, {"high", 4}}),
        3, {tuning + ".low: ", "whole number", "0.5"});

    // ================================================ per-node formulas (3)
    const std::string depth = "networks.V1.nodes[0].properties.depth";
    add("NodeFormulaDoesNotParse", v1_property("depth", {{"formula", "index *"}}), 3, {depth + ": ", "formula 'index *'"});
    add("NodeFormulaUnknownName", v1_property("depth", {{"formula", "0.1 * dist"}}), 3,
        {depth + ": ", "formula '0.1 * dist'", "unknown name 'dist'"});
    add("NodeFormulaPositionsWithoutPositions",
        recipe_edit([](OJson& j) { lgn_nodes(j, 0).at("properties")["depth"] = {{"formula", "y + 1"}}; }), 3,
        {"networks.LGN.nodes[0].properties.depth: ", "unknown name 'y'"});
    // log(0) = -inf for the first node: found while building.
    add("NodeFormulaNotFinite", v1_property("depth", {{"formula", "log(index)"}}), 3,
        {depth + ": ", "formula 'log(index)'", "-inf", "node 0"});

    // ================================================ edge groups: keys and rules (3)
    add("ConnectionRuleUnknown", recipe_edit([](OJson& j) { v1_edges(j, 0).at("connection_rule") = "distance_conector"; }), 3,
        {"networks.V1.edges[0].connection_rule: ", "unknown connection rule 'distance_conector'"});
    add("ConnectionRuleMissing", recipe_edit([](OJson& j) { v1_edges(j, 5).erase("connection_rule"); }), 3,
        {"networks.V1.edges[5]: ", "missing key 'connection_rule'"});
    add("ConnectionRuleIntegerZero", recipe_edit([](OJson& j) { set_rule(v1_edges(j, 4), 0, OJson::object()); }), 3,
        {"networks.V1.edges[4].connection_rule: ", "must lie in [1, 2^31], got 0"});
    add("NsynMaxTooLarge",
        recipe_edit([](OJson& j) { v1_edges(j, 6).at("connection_params").at("nsyn_max") = std::int64_t{1} << 40; }), 3,
        {"networks.V1.edges[6].connection_params.nsyn_max: ", "is too large (at most 2^31)"});
    add("UniformIntBeyondDoublePrecision",
        v1_property("tag", {{"distribution", "uniform_int"}, {"low", 0}, {"high", std::int64_t{1} << 60}}), 3,
        {"networks.V1.nodes[0].properties.tag.high: ", "must lie within +-2^53"});
    add("ConnectionRuleIsAList", recipe_edit([](OJson& j) { v1_edges(j, 4).at("connection_rule") = OJson::array({"all_to_all"}); }),
        3, {"networks.V1.edges[4].connection_rule: ", "expected a string"});
    add("ConnectionParamUnknown", recipe_edit([](OJson& j) { v1_edges(j, 3).at("connection_params")["d_maxx"] = 160.0; }), 3,
        {"networks.V1.edges[3].connection_params.d_maxx: ", "unknown key 'd_maxx'"});
    add("ConnectionParamOfAnotherRule",
        recipe_edit([](OJson& j) { lgn_edges(j, 1).at("connection_params")["nsyn_max"] = 12; }), 3,
        {"networks.LGN.edges[1].connection_params.nsyn_max: ", "unknown key 'nsyn_max'"});
    add("ConnectionParamsIsAList", recipe_edit([](OJson& j) { v1_edges(j, 0).at("connection_params") = OJson::array({300.0}); }),
        3, {"networks.V1.edges[0].connection_params: ", "expected an object"});
    add("EdgeGroupMisspelledKey", recipe_edit([](OJson& j) { rename_key(v1_edges(j, 1), "properties", "propreties"); }), 3,
        {"networks.V1.edges[1].propreties: ", "unknown key 'propreties'"});
    add("EdgesIsAnObject", recipe_edit([](OJson& j) { network(j, "V1").at("edges") = v1_edges(j, 0); }), 3,
        {"networks.V1.edges: ", "expected a list"});
    add("IteratorUnknown", recipe_edit([](OJson& j) { v1_edges(j, 0)["iterator"] = "one_to_many"; }), 3,
        {"networks.V1.edges[0].iterator: ", "unknown iterator 'one_to_many'"});
    add("SelectSourceCellsIteratorOneToOne", recipe_edit([](OJson& j) { lgn_edges(j, 2).at("iterator") = "one_to_one"; }), 3,
        {"networks.LGN.edges[2].iterator: ", "'all_to_one'"});

    // ================================================ distance_connector (3)
    add("DMaxZero", recipe_edit([](OJson& j) { v1_edges(j, 3).at("connection_params").at("d_max") = 0; }), 3,
        {"networks.V1.edges[3].connection_params.d_max: ", "d_max must be > 0", "got 0"});
    add("DMaxNegative", recipe_edit([](OJson& j) { v1_edges(j, 6).at("connection_params").at("d_max") = -50.0; }), 3,
        {"networks.V1.edges[6].connection_params.d_max: ", "d_max must be > 0", "-50"});
    add("DMaxIsAString", recipe_edit([](OJson& j) { v1_edges(j, 0).at("connection_params").at("d_max") = "300"; }), 3,
        {"networks.V1.edges[0].connection_params.d_max: ", "expected a number", "\"300\""});
    add("DMaxMissing", recipe_edit([](OJson& j) { v1_edges(j, 0).at("connection_params").erase("d_max"); }), 3,
        {"networks.V1.edges[0].connection_params: ", "missing key 'd_max'"});
    add("NsynMaxBelowMin", recipe_edit([](OJson& j) { v1_edges(j, 6).at("connection_params").at("nsyn_max") = 2; }), 3,
        {"networks.V1.edges[6].connection_params.nsyn_max: ", "nsyn_max must not be below nsyn_min"});
    add("NsynMinZero", recipe_edit([](OJson& j) { v1_edges(j, 0).at("connection_params").at("nsyn_min") = 0; }), 3,
        {"networks.V1.edges[0].connection_params.nsyn_min: ", "at least 1"});
    add("DistanceConnectorWithoutPositions",
        recipe_edit([](OJson& j) {
            set_rule(lgn_edges(j, 0), "distance_connector",
                     {{"d_weight_min", 0.0}, {"d_weight_max", 0.34}, {"d_max", 300.0}, {"nsyn_min", 3}, {"nsyn_max", 7}});
        }),
        3, {"networks.LGN.edges[0].connection_rule: ", "'distance_connector'", "positions", "'LGN'"});
    add("DistanceConnectorNodeGroupWithoutPositions", recipe_edit([](OJson& j) { v1_nodes(j, 3).erase("positions"); }), 3,
        {"networks.V1.edges[2].source: ", "node 300", "networks.V1.nodes[3]", "no positions"});

    // ================================================ select_source_cells (3)
    add("NsourcesMaxEqualsMin", recipe_edit([](OJson& j) { lgn_edges(j, 0).at("connection_params").at("nsources_max") = 10; }),
        3, {"networks.LGN.edges[0].connection_params.nsources_max: ", "nsources_max = 10 must exceed nsources_min = 10"});
    add("NsourcesMaxBelowMin", recipe_edit([](OJson& j) { lgn_edges(j, 1).at("connection_params").at("nsources_max") = 5; }), 3,
        {"networks.LGN.edges[1].connection_params.nsources_max: ", "nsources_max = 5 must exceed nsources_min = 15"});
    add("NsourcesBeyondSourcePool",
        recipe_edit([](OJson& j) { lgn_edges(j, 3).at("connection_params") = {{"nsources_min", 600}, {"nsources_max", 700}}; }),
        3, {"networks.LGN.edges[3].connection_params.nsources_max: ", "only 500"});
    add("NsourcesMinNegative", recipe_edit([](OJson& j) { lgn_edges(j, 2).at("connection_params").at("nsources_min") = -1; }), 3,
        {"networks.LGN.edges[2].connection_params.nsources_min: ", ">= 0"});

    // ================================================ pairwise_bernoulli (3)
    const std::string p0 = "networks.V1.edges[0].connection_params.p";
    auto bernoulli = [](std::size_t i, OJson params) {
        return recipe_edit([i, params](OJson& j) { set_rule(v1_edges(j, i), "pairwise_bernoulli", params); });
    };
    add("ProbabilityAboveOne", bernoulli(0, {{"p", 1.5}}), 3, {p0 + ": ", "[0, 1]", "1.5"});
    add("ProbabilityNegative", bernoulli(0, {{"p", -0.1}}), 3, {p0 + ": ", "[0, 1]", "-0.1"});
    add("ProbabilityCenterTwo", bernoulli(0, {{"p", {{"profile", "gaussian"}, {"p_center", 2}, {"sigma", 50.0}}}}), 3,
        {p0 + ".p_center: ", "[0, 1]", "got 2"});
    add("ProbabilityMissing", bernoulli(0, OJson::object()), 3, {"networks.V1.edges[0].connection_params: ", "missing key 'p'"});
    add("ProbabilityProfileUnknown", bernoulli(0, {{"p", {{"profile", "cosine"}, {"p_center", 0.5}}}}), 3,
        {p0 + ".profile: ", "unknown distance profile 'cosine'"});
    add("ProbabilityProfileMissing", bernoulli(0, {{"p", {{"p_center", 0.5}}}}), 3, {p0, "profile"});
    add("ProbabilityGaussianSigmaZero", bernoulli(0, {{"p", {{"profile", "gaussian"}, {"sigma", 0}}}}), 3,
        {p0 + ".sigma: ", "sigma must be > 0"});
    add("ProbabilityGaussianSigmaMissing", bernoulli(0, {{"p", {{"profile", "gaussian"}, {"p_center", 0.5}}}}), 3,
        {p0, "sigma"});
    add("ProbabilityLinearWithoutDMax", bernoulli(0, {{"p", {{"profile", "linear"}, {"p_center", 0.5}}}}), 3,
        {"networks.V1.edges[0].connection_params: ", "give d_max"});
    add("ProbabilityFormulaDoesNotParse", bernoulli(0, {{"p", "distance *"}}), 3, {p0 + ": ", "formula 'distance *'"});
    add("ProbabilityFormulaUnknownName", bernoulli(0, {{"p", "0.1 * dist"}}), 3,
        {p0 + ": ", "formula '0.1 * dist'", "unknown name 'dist'"});
    // Parses, but above 1 for pairs more than 10 um apart: found while connecting.
    add("ProbabilityFormulaOutOfRange", bernoulli(0, {{"p", "distance / 10"}}), 3,
        {p0 + ": ", "formula 'distance / 10'", "[0, 1]"});
    add("ProbabilityFormulaDistanceWithoutPositions",
        recipe_edit([](OJson& j) { set_rule(lgn_edges(j, 0), "pairwise_bernoulli", {{"p", "0.5 * exp(-distance / 100)"}}); }), 3,
        {"networks.LGN.edges[0].connection_params.p: ", "unknown name 'distance'"});
    add("ProbabilityDMaxWithoutPositions",
        recipe_edit([](OJson& j) { set_rule(lgn_edges(j, 0), "pairwise_bernoulli", {{"p", 0.1}, {"d_max", 100.0}}); }), 3,
        {"networks.LGN.edges[0].connection_rule: ", "positions", "'LGN'"});
    add("AllowAutapsesIsAString", bernoulli(2, {{"p", 0.1}, {"allow_autapses", "no"}}), 3,
        {"networks.V1.edges[2].connection_params.allow_autapses: ", "true or false", "\"no\""});

    // ================================================ NEST rules (3)
    add("OneToOneUnequalSizes", recipe_edit([](OJson& j) { set_rule(v1_edges(j, 0), "one_to_one", OJson::object()); }), 3,
        {"networks.V1.edges[0].connection_rule: ", "280", "80"});
    // LGN.edges[1]: 500 LGN sources onto the 20 PV cells.
    add("FixedIndegreeBeyondPoolWithoutMultapses",
        recipe_edit([](OJson& j) {
            set_rule(lgn_edges(j, 1), "fixed_indegree", {{"indegree", 501}, {"allow_multapses", false}});
        }),
        3, {"networks.LGN.edges[1].connection_params.indegree: ", "501", "only 500"});
    add("FixedOutdegreeBeyondPoolWithoutMultapses",
        recipe_edit([](OJson& j) {
            set_rule(lgn_edges(j, 1), "fixed_outdegree", {{"outdegree", 21}, {"allow_multapses", false}});
        }),
        3, {"networks.LGN.edges[1].connection_params.outdegree: ", "21", "only 20"});
    add("FixedTotalNumberBeyondPairsWithoutMultapses",
        recipe_edit([](OJson& j) {
            set_rule(lgn_edges(j, 1), "fixed_total_number", {{"N", 10001}, {"allow_multapses", false}});
        }),
        3, {"networks.LGN.edges[1].connection_params.N: ", "10001", "10000"});
    add("FixedIndegreeMissing", recipe_edit([](OJson& j) { set_rule(lgn_edges(j, 1), "fixed_indegree", OJson::object()); }), 3,
        {"networks.LGN.edges[1].connection_params: ", "missing key 'indegree'"});
    add("FixedIndegreeNegative", recipe_edit([](OJson& j) { set_rule(lgn_edges(j, 1), "fixed_indegree", {{"indegree", -1}}); }),
        3, {"networks.LGN.edges[1].connection_params.indegree: ", ">= 0"});
    add("IntegerRuleWithParams", recipe_edit([](OJson& j) { v1_edges(j, 0).at("connection_rule") = 2; }), 3,
        {"networks.V1.edges[0].connection_params.d_weight_min: ", "unknown key 'd_weight_min'"});

    // ================================================ selections (3)
    add("SelectionMatchesNoNode", recipe_edit([](OJson& j) { v1_edges(j, 0).at("target").at("pop_name") = "Nope"; }), 3,
        {"networks.V1.edges[0].target: ", "\"Nope\"", "matches no node"});
    add("SelectionUnknownProperty", recipe_edit([](OJson& j) { rename_key(v1_edges(j, 2).at("target"), "pop_name", "pop_nam"); }),
        3, {"networks.V1.edges[2].target.pop_nam: ", "'pop_nam'", "'V1'"});
    // "potential" is a property of LGN's nodes, not of V1's.
    add("SelectionPropertyOfAnotherNetwork", recipe_edit([](OJson& j) { lgn_edges(j, 0).at("target")["potential"] = "exc"; }), 3,
        {"networks.LGN.edges[0].target.potential: ", "'potential'", "'V1'"});
    add("SelectionEmptyList", recipe_edit([](OJson& j) { v1_edges(j, 0).at("source").at("ei") = OJson::array(); }), 3,
        {"networks.V1.edges[0].source.ei: ", "empty list"});
    add("SelectionValueIsAnObject",
        recipe_edit([](OJson& j) { v1_edges(j, 1).at("target").at("pop_name") = {{"in", {"LIF_exc", "PV"}}}; }), 3,
        {"networks.V1.edges[1].target.pop_name: ", "expected a value or a list"});
    add("SelectionIsAString", recipe_edit([](OJson& j) { v1_edges(j, 0).at("source") = "e"; }), 3,
        {"networks.V1.edges[0].source: ", "expected an object", "\"e\""});

    // ================================================ edge properties (3)
    add("EdgePropertyNsynsReserved", recipe_edit([](OJson& j) { v1_edges(j, 0).at("properties")["nsyns"] = 3; }), 3,
        {"networks.V1.edges[0].properties.nsyns: ", "'nsyns'", "written by the builder"});
    add("EdgePropertySourceNodeIdReserved",
        recipe_edit([](OJson& j) { lgn_edges(j, 0).at("properties")["source_node_id"] = 0; }), 3,
        {"networks.LGN.edges[0].properties.source_node_id: ", "'source_node_id'", "written by the builder"});
    add("EdgePropertyList", recipe_edit([](OJson& j) { v1_edges(j, 0).at("properties").at("syn_weight") = {3.0, 2.0}; }), 3,
        {"networks.V1.edges[0].properties.syn_weight: ", "cannot be listed"});
    add("EdgePropertyIsNull", recipe_edit([](OJson& j) { v1_edges(j, 7).at("properties").at("delay") = nullptr; }), 3,
        {"networks.V1.edges[7].properties.delay: ", "null"});
    add("EdgePropertyNegativeSd",
        recipe_edit([](OJson& j) {
            v1_edges(j, 7).at("properties").at("syn_weight") = {{"distribution", "normal"}, {"mean", 3.0}, {"sd", -1.0}};
        }),
        3, {"networks.V1.edges[7].properties.syn_weight.sd: ", "sd must be >= 0"});
    add("EdgePropertyFormulaDoesNotParse",
        recipe_edit([](OJson& j) { v1_edges(j, 4).at("properties").at("delay") = {{"formula", "1 + distance /"}}; }), 3,
        {"networks.V1.edges[4].properties.delay: ", "formula '1 + distance /'"});
    add("EdgePropertyFormulaDistanceWithoutPositions",
        recipe_edit([](OJson& j) { lgn_edges(j, 0).at("properties").at("delay") = {{"formula", "1 + distance / 300"}}; }), 3,
        {"networks.LGN.edges[0].properties.delay: ", "unknown name 'distance'"});
    // nsyns is 3..7 here: 1 / (nsyns - 3) is infinite for the 3-synapse edges.
    add("EdgePropertyFormulaNotFinite",
        recipe_edit([](OJson& j) { v1_edges(j, 0).at("properties").at("syn_weight") = {{"formula", "1 / (nsyns - 3)"}}; }), 3,
        {"networks.V1.edges[0].properties.syn_weight: ", "formula '1 / (nsyns - 3)'", "inf"});

    // ================================================ spike_trains (3)
    // One valid train (LGN's 500 nodes at 10 Hz over 3 s) with one defect.
    auto train = [](std::function<void(OJson&)> defect) {
        return recipe_edit([defect](OJson& j) {
            OJson t = {{"network", "LGN"}, {"rate_hz", 10}, {"start_ms", 0}, {"stop_ms", 3000}, {"file", "lgn_spikes.h5"}};
            defect(t);
            j["spike_trains"] = OJson::array({t});
        });
    };
    const std::string st = "spike_trains[0]";
    add("SpikeTrainsIsAnObject",
        recipe_edit([](OJson& j) { j["spike_trains"] = {{"network", "LGN"}, {"rate_hz", 10}, {"stop_ms", 3000}, {"file", "s.h5"}}; }),
        3, {": spike_trains: ", "expected a list"});
    add("SpikeTrainIsANumber", recipe_edit([](OJson& j) { j["spike_trains"] = OJson::array({10}); }), 3,
        {st + ": ", "expected an object", "10"});
    add("SpikeTrainRateNegative", train([](OJson& t) { t.at("rate_hz") = -5; }), 3, {st + ".rate_hz: ", "must be >= 0", "-5"});
    add("SpikeTrainRateIsAString", train([](OJson& t) { t.at("rate_hz") = "10"; }), 3,
        {st + ".rate_hz: ", "expected a number", "\"10\""});
    add("SpikeTrainRateMissing", train([](OJson& t) { t.erase("rate_hz"); }), 3, {st + ": ", "missing key 'rate_hz'"});
    add("SpikeTrainUnknownNetwork", train([](OJson& t) { t.at("network") = "LGM"; }), 3,
        {st + ".network: ", "'LGM'", "not defined"});
    add("SpikeTrainNetworkIsAList", train([](OJson& t) { t.at("network") = OJson::array({"LGN"}); }), 3,
        {st + ".network: ", "expected a string"});
    add("SpikeTrainUnknownKey", train([](OJson& t) { rename_key(t, "rate_hz", "rate"); }), 3, {st + ".rate: ", "unknown key 'rate'"});
    add("SpikeTrainStopNotAfterStart", train([](OJson& t) { t.at("start_ms") = 500; t.at("stop_ms") = 100; }), 3,
        {st + ".stop_ms: ", "stop_ms = 100 must exceed start_ms = 500"});
    add("SpikeTrainStartNegative", train([](OJson& t) { t.at("start_ms") = -1.5; }), 3, {st + ".start_ms: ", ">= 0", "-1.5"});
    add("SpikeTrainStopMissing", train([](OJson& t) { t.erase("stop_ms"); }), 3, {st + ": ", "missing key 'stop_ms'"});
    add("SpikeTrainFileInAFolder", train([](OJson& t) { t.at("file") = "inputs/lgn_spikes.h5"; }), 3,
        {st + ".file: ", "file name in the output folder", "inputs/lgn_spikes.h5"});
    add("SpikeTrainFileNotH5", train([](OJson& t) { t.at("file") = "lgn_spikes.csv"; }), 3,
        {st + ".file: ", "ending in .h5", "lgn_spikes.csv"});
    add("SpikeTrainFileIsANetworkFile", train([](OJson& t) { t.at("file") = "LGN_V1_edges.h5"; }), 3,
        {st + ".file: ", "'LGN_V1_edges.h5'", "network file"});
    add("SpikeTrainNodeIdBeyondNetwork", train([](OJson& t) { t["node_ids"] = OJson::array({0, 500}); }), 3,
        {st + ".node_ids[1]: ", "node id 500", "'LGN'", "0 to 499"});
    add("SpikeTrainNodeIdNotWhole", train([](OJson& t) { t["node_ids"] = OJson::array({0, 2.5}); }), 3,
        {st + ".node_ids[1]: ", "whole number", "2.5"});
    add("SpikeTrainNodeIdTwice", train([](OJson& t) { t["node_ids"] = OJson::array({4, 9, 4}); }), 3,
        {st + ".node_ids[2]: ", "node id 4", "twice"});
    add("SpikeTrainNodeIdsAndNodes",
        train([](OJson& t) {
            t["node_ids"] = OJson::array({0});
            t["nodes"] = {{"pop_name", "tON"}};
        }),
        3, {st + ": ", "not both"});
    // Parses; found once the nodes exist, before any connecting.
    add("SpikeTrainSelectionMatchesNoNode", train([](OJson& t) { t["nodes"] = {{"pop_name", "tOFF"}}; }), 3,
        {st + ".nodes: ", "\"tOFF\"", "matches no node", "'LGN'"});
    add("SpikeTrainSelectionUnknownProperty", train([](OJson& t) { t["nodes"] = {{"ei", "e"}}; }), 3,
        {st + ".nodes.ei: ", "'ei'", "'LGN'"});
    add("SpikeTrainSortUnknown", train([](OJson& t) { t["sort"] = "by_node"; }), 3,
        {st + ".sort: ", "unknown sort order 'by_node'"});
    add("SpikeTrainsTwoSortOrdersInOneFile",
        recipe_edit([](OJson& j) {
            OJson t = {{"network", "LGN"}, {"rate_hz", 10}, {"stop_ms", 3000}, {"file", "s.h5"}};
            OJson u = t;
            u["network"] = "V1";
            u["sort"] = "by_time";
            j["spike_trains"] = OJson::array({t, u});
        }),
        3, {"spike_trains[1].sort: ", "'s.h5'", "one sort order"});

    return cs;
}

const std::vector<Case>& cases() {
    static const std::vector<Case> all = make_cases();
    return all;
}

// ------------------------------------------------------------ running

using Result = testing_files::RunResult;
using testing_files::quoted;

class Fixture {
public:
    Fixture() {
        std::string pattern = (fs::temp_directory_path() / "pointsim-bad-recipe-XXXXXX").string();
        if (!mkdtemp(pattern.data())) throw std::runtime_error("mkdtemp failed");
        ctx.root = pattern;
        ctx.recipe = ctx.root / "build.json";
        ctx.out = ctx.root / "out";
        fs::copy_file(kRecipe, ctx.recipe);
    }

    Result run() {
        return testing_files::run_in(ctx.root, quoted(kExe) + " build " + quoted(ctx.recipe.string()) + " --output " +
                                                   quoted(ctx.out.string()));
    }

    // Removes the directory unless the test failed.
    void finish(bool failed) {
        if (failed) {
            std::cerr << "test directory kept: " << ctx.root << '\n';
            return;
        }
        std::error_code ec;
        fs::remove_all(ctx.root, ec);
    }

    Ctx ctx;
};

// The one error line: its prefix, and every expected mention.
void expect_one_error_line(const Result& r, int code, const std::vector<std::string>& mentions) {
    EXPECT_EQ(r.code, code) << "stderr:\n" << r.err;
    EXPECT_TRUE(r.out.empty()) << "stdout:\n" << r.out;
    const auto lines = lines_of(r.err);
    EXPECT_EQ(lines.size(), 1u) << "expected exactly one line on stderr, got:\n" << r.err;
    if (lines.empty()) return;
    const std::string& line = lines.front();
    if (std::getenv("POINTSIM_CLI_SHOW")) std::cout << "    " << line << "\n";
    EXPECT_EQ(line.rfind("pointsim: error: ", 0), 0u) << line;
    for (const auto& m : mentions) EXPECT_NE(line.find(m), std::string::npos) << "'" << m << "' not in: " << line;
}

class BadRecipe : public ::testing::TestWithParam<Case> {};

TEST_P(BadRecipe, FailsWithOneClearLineAndWritesNothing) {
    const Case& c = GetParam();
    Fixture fx;
    try {
        c.mutate(fx.ctx);
    } catch (const std::exception& e) {
        FAIL() << "the mutation failed: " << e.what();
    }
    const Result r = fx.run();
    std::vector<std::string> mentions{fx.ctx.recipe.string() + ": "};
    mentions.insert(mentions.end(), c.mentions.begin(), c.mentions.end());
    mentions.insert(mentions.end(), fx.ctx.mentions.begin(), fx.ctx.mentions.end());
    expect_one_error_line(r, c.code, mentions);
    const auto written = snapshot(fx.ctx.out);
    EXPECT_TRUE(written.empty()) << "written into " << fx.ctx.out << ": " << names_of(written);
    EXPECT_FALSE(has_temp_file(fx.ctx.root)) << "a *.pointsim-tmp file was left";
    fx.finish(HasFailure());
}

INSTANTIATE_TEST_SUITE_P(Corpus, BadRecipe, ::testing::ValuesIn(cases()),
                         [](const ::testing::TestParamInfo<Case>& info) { return info.param.name; });

// The unmodified recipe builds its 8 files: every case above fails because of
// its one defect.
TEST(BadRecipeBaseline, BaselineBuildsCleanly) {
    Fixture fx;
    const Result r = fx.run();
    EXPECT_EQ(r.code, 0) << r.err;
    EXPECT_TRUE(r.err.empty()) << r.err;
    EXPECT_NE(r.out.find("V1 400 nodes"), std::string::npos) << r.out;
    EXPECT_NE(r.out.find("LGN 500 nodes"), std::string::npos) << r.out;
    const auto written = snapshot(fx.ctx.out);
    EXPECT_EQ(written.size(), kBuiltFiles.size()) << names_of(written);
    for (const auto& f : kBuiltFiles) {
        const auto it = written.find(f);
        EXPECT_TRUE(it != written.end() && !it->second.empty()) << f << " missing or empty";
    }
    fx.finish(HasFailure());
}

// A build that fails leaves an earlier build's files in --output as they
// were, byte for byte, and adds nothing. The defect is found as late as a
// build can fail: in the per-edge values of the last edge group.
TEST(BadRecipeBaseline, FailedBuildLeavesEarlierOutputsUnchanged) {
    Fixture fx;
    const Result first = fx.run();
    ASSERT_EQ(first.code, 0) << first.err;
    const auto before = snapshot(fx.ctx.out);
    ASSERT_EQ(before.size(), kBuiltFiles.size()) << names_of(before);
    // LGN -> V1 nsyns are 3..11: 1 / (nsyns - 3) is infinite for 3 synapses.
    edit_json(fx.ctx.recipe, [](OJson& j) {
        lgn_edges(j, 3).at("properties").at("syn_weight") = {{"formula", "1 / (nsyns - 3)"}};
    });
    const Result r = fx.run();
    expect_one_error_line(r, 3,
                          {fx.ctx.recipe.string() + ": ", "networks.LGN.edges[3].properties.syn_weight: ",
                           "formula '1 / (nsyns - 3)'"});
    const auto after = snapshot(fx.ctx.out);
    EXPECT_EQ(names_of(after), names_of(before));
    for (const auto& [name, bytes] : before) {
        const auto it = after.find(name);
        EXPECT_TRUE(it != after.end() && it->second == bytes) << name << " changed";
    }
    EXPECT_FALSE(has_temp_file(fx.ctx.root)) << "a *.pointsim-tmp file was left";
    fx.finish(HasFailure());
}

// --output naming an existing file: an output error (6), the file untouched.
TEST(BadRecipeBaseline, OutputPathIsAFile) {
    Fixture fx;
    write_text(fx.ctx.out, "not a folder\n");
    const Result r = fx.run();
    expect_one_error_line(r, 6, {fx.ctx.out.string()});
    EXPECT_TRUE(fs::is_regular_file(fx.ctx.out));
    EXPECT_EQ(read_text(fx.ctx.out), "not a folder\n");
    EXPECT_FALSE(has_temp_file(fx.ctx.root)) << "a *.pointsim-tmp file was left";
    fx.finish(HasFailure());
}

// The size of the corpus (scripts/test.sh prints this line from the CTest log).
TEST(BadRecipeCorpus, SizeIsAtLeastThirtyFive) {
    std::cout << "bad-recipe corpus: " << cases().size() << " cases\n";
    EXPECT_GE(cases().size(), 35u);
}

}  // namespace
