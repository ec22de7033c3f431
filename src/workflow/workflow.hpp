#pragma once
// The workflow commands of issue #6, around a run: `pointsim init` writes a
// PointNet simulation folder for an existing SONATA network, `pointsim check`
// validates everything a run would read and reports every problem found,
// `pointsim inspect` describes what a config would simulate. Library side
// only: apps/pointsim parses the flags below and calls these functions.
//
// Intended command lines (apps/pointsim wires them):
//
//   pointsim init DIR --network NETDIR [--tstop T] [--dt DT]
//                 [--spikes-input FILE --input-node-set NODESET]
//                 [--iclamp NODESET:AMP:DELAY:DURATION]... [--force]
//       DIR                 simulation folder to write (created if needed)      -> InitOptions::dir
//       --network NETDIR    folder holding the *_nodes.h5/*_node_types.csv and
//                           *_edges.h5/*_edge_types.csv files (required)        -> network_dir
//       --tstop T           simulated time in ms (default 1000)                 -> tstop
//       --dt DT             time step in ms, a multiple of 0.001 (default 0.1)  -> dt
//       --spikes-input FILE spike trains for virtual nodes (.h5/.hdf5: module
//                           sonata, .csv: csv, .nwb: nwb)                       -> spikes_input
//       --input-node-set NS node set (usually the virtual population) the spike
//                           file drives; required with --spikes-input           -> input_node_set
//       --iclamp SPEC       a current clamp, repeatable: node set, amplitude as
//                           PointNet passes it to NEST (pA), onset and duration
//                           in ms, e.g. --iclamp cortex:150:500:1000            -> iclamps (parse_iclamp)
//       --force             overwrite existing config / component files         -> force
//       On success: one line naming DIR/config.json; warnings (logger) name the
//       dynamics_params files that could not be found next to the network.
//
//   pointsim check CONFIG
//       Prints each problem of check_config() on its own line,
//       "pointsim: error: <message>", then "pointsim: N problem(s) in CONFIG"
//       or "pointsim: CONFIG is ready to run". Exit code: 0 when there is no
//       problem, else the exit code of the first problem's kind.
//
//   pointsim inspect CONFIG
//       Prints inspect_config() on stdout. Exit code as for `run` when the
//       config cannot be loaded.
#include <filesystem>
#include <optional>
#include <string>
#include <vector>

#include "common/error.hpp"

namespace pointsim::workflow {

namespace fs = std::filesystem;

// ---------------------------------------------------------------- init

// One --iclamp: an IClamp input {"input_type": "current_clamp", "module":
// "IClamp", node_set, amp, delay, duration}.
struct IClampSpec {
    std::string node_set;
    double amp = 0.0;       // as written into the config's "amp" (NEST: pA)
    double delay = 0.0;     // ms, onset
    double duration = 0.0;  // ms
};

// "NODESET:AMP:DELAY:DURATION"; the node set is everything before the last
// three fields (so it may itself hold colons). Throws Error(Config) naming
// the option and the value for a malformed spec or a negative duration.
IClampSpec parse_iclamp(const std::string& spec);

struct InitOptions {
    fs::path dir;          // the simulation folder
    fs::path network_dir;  // the SONATA network folder
    double tstop = 1000.0;  // ms
    double dt = 0.1;        // ms
    std::optional<fs::path> spikes_input;
    std::string input_node_set;
    std::vector<IClampSpec> iclamps;
    bool force = false;
};

// Writes DIR/config.json ({"network": circuit_config.json, "simulation":
// simulation_config.json}), DIR/circuit_config.json (manifest $BASE_DIR =
// ${configdir}, $NETWORK_DIR, $COMPONENTS_DIR; components
// point_neuron_models_dir and synaptic_models_dir; every *_nodes.h5 /
// *_node_types.csv and *_edges.h5 / *_edge_types.csv pair of NETDIR, paired
// by prefix, in name order), DIR/simulation_config.json (run tstart/tstop/dt,
// inputs, output: output_dir $BASE_DIR/output, log.txt, spikes.h5,
// spikes.csv), and DIR/components/{point_neuron_models,synaptic_models}/
// holding copies of the dynamics_params files the type CSVs (and node h5
// groups) name, looked up in NETDIR, NETDIR/components and
// NETDIR/../components; those not found are logged (warning) and the folders
// may stay empty. Files are written under temporary names and renamed at the end.
// Throws Error: Input for a missing NETDIR, no nodes file, a nodes or edges
// file without its types file, a types CSV that cannot be read; Config for bad options (dt, tstop, a spike file
// of unknown type, --spikes-input without --input-node-set); Output when a
// file to write exists and !force, or when DIR cannot be written.
void init_simulation(const InitOptions& options);

// ---------------------------------------------------------------- check

struct Problem {
    std::string message;  // one line, naming file, key or dataset and row, as pointsim::Error does
    ErrorKind kind;
};

// Loads and validates everything `pointsim run` would, on one process, and
// returns every problem found (empty: the config is ready to run). Each
// independent part is checked on its own and checking goes on after a
// failure: the time grid, each networks.nodes entry (h5, types CSV, model
// types), the neuron models and parameters (per run of rows of one node type),
// each enabled networks.edges entry (types, synapse models, ids, weights,
// delays), each node_sets entry, each input, each report, the output folder.
// A config that cannot be read or resolved gives that one problem. Checks
// that need what failed are skipped rather than reported again: without a
// valid dt nothing that needs the time grid runs; when a nodes entry fails,
// node sets, inputs, reports and edges touching populations that could not be
// read are skipped. Order: the order above, entries in config order; identical
// messages are reported once.
std::vector<Problem> check_config(const fs::path& config);

// ---------------------------------------------------------------- inspect

// A human-readable description of what `pointsim run CONFIG` would simulate:
// run parameters; node populations (simulated or virtual, file, node counts
// per node type with model_type, model_template and dynamics_params); neuron
// models; edge populations (source -> target, edge count), and per edges
// entry the synapse count, weight range (pA or nS as the model takes them)
// and delay range in ms and steps; the memory estimate (with how it is
// estimated); inputs (spike count per spike input, clamped cells and
// amplitude changes per clamp); reports (cells, variable, interval, file);
// outputs. Builds the network as a run would (one process). Throws
// pointsim::Error as `run` does when the config or a file is bad.
std::string inspect_config(const fs::path& config);

}  // namespace pointsim::workflow
