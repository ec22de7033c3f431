#pragma once
// Reads a PointNet/SONATA config: manifest variables, "network"/"simulation"
// file merging, path resolution, then a typed view of what pointsim uses.
// Depends on nlohmann/json only. See ../shared/docs/semantics.md section 2.
#include <filesystem>
#include <map>
#include <optional>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

#include "common/types.hpp"

namespace pointsim::config {

namespace fs = std::filesystem;
using Json = nlohmann::json;

struct NodeFiles {
    fs::path nodes_file;
    fs::path node_types_file;
};

struct EdgeFiles {
    fs::path edges_file;
    fs::path edge_types_file;
    bool enabled = true;
};

struct RunParams {
    double tstop = 0.0;  // "duration" wins over "tstop" (BMTK); one of them is required
    double dt = 0.0;     // required
    std::optional<int> n_thread;  // threads per process (BMTK's run.n_thread), a whole number >= 1
};

// One entry of "inputs" or "reports": its name and its JSON object, with every
// path inside already absolute. Interpretation is left to inputs/ and output/.
struct Section {
    std::string name;
    Json params;
};

struct OutputParams {
    fs::path output_dir;           // absolute
    std::optional<fs::path> log_file;         // absolute, under output_dir when relative
    std::optional<fs::path> spikes_file;      // absolute
    std::optional<fs::path> spikes_file_csv;  // absolute
    SortOrder spikes_sort_order = SortOrder::None;
    bool overwrite_output_dir = true;
};

struct SimulationConfig {
    fs::path config_path;      // absolute path of the root config
    Json resolved;             // the merged document after substitution (no "manifest")
    std::map<std::string, fs::path> components;  // e.g. point_neuron_models_dir -> absolute dir
    std::vector<NodeFiles> nodes;
    std::vector<EdgeFiles> edges;
    RunParams run;
    std::vector<Section> inputs;   // enabled ones only, in file order
    std::vector<Section> reports;  // enabled ones only, in file order
    OutputParams output;
    Json node_sets = Json::object();  // "node_sets", or the content of "node_sets_file"
};

// Reads, substitutes and merges a config file and the files it names under
// "network" and "simulation". Relative paths are made absolute against the
// directory of the file that holds them. Throws pointsim::Error (Config).
Json resolve_file(const fs::path& path);

// resolve_file + the typed view. Throws pointsim::Error naming file and key.
SimulationConfig load(const fs::path& path);

// Substitutes manifest variables in one JSON document (exposed for tests).
// `builtins` holds configdir, configfname, workingdir, time, date, datetime.
Json substitute_manifest(const Json& doc, const std::map<std::string, std::string>& builtins,
                         const std::string& file_for_errors);

namespace detail {
// The same on a document that keeps the file's key order: load() needs
// "inputs" and "reports" in file order, which Json (sorted keys) loses.
nlohmann::ordered_json substitute_manifest(const nlohmann::ordered_json& doc,
                                           const std::map<std::string, std::string>& builtins,
                                           const std::string& file_for_errors);
}  // namespace detail

}  // namespace pointsim::config
