#pragma once
// Internal to src/plot: the outputs of a run, read back for plotting.
#include <cstdint>
#include <filesystem>
#include <optional>
#include <string>
#include <vector>

#include "config/config.hpp"
#include "network/network.hpp"

namespace pointsim::plot::detail {

namespace fs = std::filesystem;

// The config as `pointsim run` sees it, with --output-dir applied the way
// run applies it (log and spike files move under the new directory).
config::SimulationConfig load_config(const fs::path& config, const std::optional<fs::path>& output_dir);

// The cells of a raster or rate plot, stacked by group.
struct Cells {
    std::vector<std::string> group_names;  // in order of first appearance in node order
    std::vector<std::size_t> group_size;   // cells per group
    std::vector<std::size_t> group_first;  // y of the group's first cell (groups stacked from 0 up)
    std::size_t n_cells = 0;
    // Per population of the network (config order): whether it is plotted,
    // and per row its group and its y position.
    std::vector<bool> plotted;
    std::vector<std::vector<std::uint32_t>> group_of_row;
    std::vector<std::vector<std::uint32_t>> y_of_row;
};

// One spike placed on the plot.
struct PlacedSpike {
    double t;
    std::uint32_t group;
    std::uint32_t y;
};

struct Spikes {
    fs::path file;
    std::vector<PlacedSpike> spikes;  // in file order, population by population
};

// The spikes of the run (spikes_file, else spikes_file_csv) placed on the
// cells stacked by `group_by`. Throws Error(Input) naming the file if it is
// missing or names cells the circuit lacks, Error(Config) for an unknown
// attribute or a config without a spikes file.
Spikes read_spikes(const config::SimulationConfig& cfg, const network::Network& net, const std::string& group_by,
                   Cells& cells);

// One trace of a report.
// One trace of a report: every sample, or for long traces the min and max
// of each of `buckets` equal runs of samples, in time order.
struct Trace {
    std::string population;
    std::uint64_t node_id = 0;
    std::size_t n_samples = 0;  // in the file
    std::vector<double> times;  // ms
    std::vector<double> values;
};

struct Report {
    std::string name;
    fs::path file;
    std::string variable;
    std::string units;                 // of the first trace's population ("" if not stored)
    bool several_populations = false;  // the file holds more than one population
    std::vector<Trace> traces;
};

// The V_m traces of report `name` (empty: the first report recording V_m),
// for `node_ids` (empty: the first 10 cells in the file), read in blocks of
// rows and reduced on the fly to at most 2 x `buckets` points per trace
// (memory does not grow with the report's length). Throws Error(Config) for
// an unknown report or node id, Error(Input) naming the file for a missing or
// malformed report file.
Report read_report(const config::SimulationConfig& cfg, const std::string& name,
                   const std::vector<std::uint64_t>& node_ids, std::size_t buckets);

}  // namespace pointsim::plot::detail
