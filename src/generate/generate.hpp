#pragma once
// `pointsim generate`: writes a synthetic, Brunel-style balanced E/I point
// network as a complete BMTK PointNet / SONATA circuit directory, at any size.
// The network itself is a `pointsim build` recipe (out_dir/recipe.json),
// built by src/builder: one builder in the code. Depends on common only in
// its interface.
//
// The circuit (out_dir/...):
//   recipe.json: networks "internal" then "external" (below).
//   network/internal_nodes.h5, internal_node_types.csv
//       N nest:iaf_psc_alpha neurons, population "internal". Nodes
//       0 .. N_E-1 are excitatory (node_type_id 100, ei e), N_E .. N-1
//       inhibitory (101, ei i), N_E = round(0.8 N) (half up).
//   network/external_nodes.h5, external_node_types.csv
//       population "external", max(1, N/4) virtual nodes (node_type_id 100).
//   network/internal_internal_edges.h5, internal_internal_edge_types.csv
//       population "internal_to_internal", rule fixed_indegree: every neuron
//       gets K_E = round(0.8 K) (half up) edges from E sources (edge_type_id
//       100, syn_weight J = 60*200/K pA) and K - K_E from I sources (101,
//       -5 J); autapses and multapses allowed (as in NEST's brunel examples).
//       Per-edge delay uniform on {1.0, 1.1, ..., 3.0} ms (group "0" dataset
//       delay).
//   network/external_internal_edges.h5, external_internal_edge_types.csv
//       population "external_to_internal": inputs_per_neuron edges per neuron
//       from uniform external nodes (fixed_indegree), edge_type_id 100,
//       syn_weight input_weight, delay 1.0 ms (CSV).
//   inputs/external_spikes.h5
//       /spikes/external/{timestamps (ms), node_ids}: a Poisson train per
//       external node at input_rate_hz, each spike moved up to the run's dt
//       grid (the step NEST would deliver it in), 0 < t < tstop, sorted by
//       (time, node id). Two spikes of one node may share a time.
//   components/cell_models/iaf_psc_alpha_{exc,inh}.json,
//   components/synaptic_models/static.json,
//   circuit_config.json, simulation_config.json, config.json.
//
// Edge files are in BMTK's builder layout (docs/building.md): sorted by
// target then source, nsyns 1, both indices. Existing files of the same names
// are overwritten. The builder holds the edges in memory (about 36 bytes per
// edge while writing).
//
// Determinism: the files depend only on the Options (builder/random.hpp:
// keyed streams, no implementation-defined distributions), not on the
// platform or the number of threads.
#include <cstdint>
#include <filesystem>

namespace pointsim::generate {

struct Options {
    std::filesystem::path out_dir;
    std::uint64_t n_neurons = 2000;  // N
    std::uint64_t indegree = 100;    // K recurrent inputs per neuron (80% from E)
    std::uint64_t seed = 1;
    double tstop = 1000.0;  // ms
    double dt = 0.1;        // ms
    double input_rate_hz = 8.0;  // virtual population Poisson rate
    std::uint64_t inputs_per_neuron = 50;
    double input_weight = 340.0;  // pA
};

struct Summary {
    std::uint64_t n_neurons = 0, n_virtual = 0, n_edges_recurrent = 0, n_edges_input = 0, n_input_spikes = 0;
};

// Writes the circuit into options.out_dir (created if needed). Throws
// pointsim::Error: config_error for invalid options (e.g. N = 0, an
// inhibitory indegree with no inhibitory neuron, a dt not on the 0.001 ms
// grid), output_error naming the file when something cannot be written.
Summary generate_circuit(const Options& options);

}  // namespace pointsim::generate
