#pragma once
// `pointsim generate`: writes a synthetic, Brunel-style balanced E/I point
// network as a complete BMTK PointNet / SONATA circuit directory, at any size
// (1e8 edges in bounded memory). Depends on common only in its interface;
// HDF5 and nlohmann/json are private.
//
// The circuit (out_dir/...):
//   network/internal_nodes.h5, internal_node_types.csv
//       N nest:iaf_psc_alpha neurons, population "internal". Nodes
//       0 .. N_E-1 are excitatory (node_type_id 100), N_E .. N-1 inhibitory
//       (101), N_E = round(0.8 N) (half up).
//   network/external_nodes.h5, external_node_types.csv
//       population "external", max(1, N/4) virtual nodes (node_type_id 200).
//   network/internal_internal_edges.h5, internal_internal_edge_types.csv
//       population "internal_to_internal": every neuron gets exactly K edges,
//       K_E = round(0.8 K) (half up) from E sources (edge_type_id 100,
//       syn_weight J = 60*200/K pA) and K - K_E from I sources (101, -5 J).
//       Sources are uniform with replacement: autapses and multapses are
//       allowed (as in NEST's brunel examples with fixed_indegree). Per-edge
//       delay uniform on {1.0, 1.1, ..., 3.0} ms in group "0" dataset delay.
//   network/external_internal_edges.h5, external_internal_edge_types.csv
//       population "external_to_internal": inputs_per_neuron edges per neuron
//       from uniform external nodes (with replacement), edge_type_id 200,
//       syn_weight input_weight, delay 1.0 ms (CSV); group "0" is empty.
//   inputs/external_spikes.h5
//       /spikes/external/{timestamps (ms), node_ids}: a Poisson train per
//       external node at input_rate_hz, each spike moved up to the run's dt
//       grid (the step NEST would deliver it in), 0 < t < tstop, sorted by
//       (time, node id). Two spikes of one node may share a time.
//   components/cell_models/iaf_psc_alpha_{exc,inh}.json,
//   components/synaptic_models/static.json,
//   circuit_config.json, simulation_config.json, config.json.
//
// Edge files: sorted by target then source; indices/target_to_source holds
// one range per target (node_id_to_range [N,2], range_to_edge_id [R,2]), so
// a rank can read just the edges of its targets. No source_to_target index.
// Existing files of the same names are overwritten.
//
// Determinism: the files depend only on the Options (not on the platform,
// block size or standard library): std::mt19937_64 streams seeded from
// `seed` through splitmix64, Lemire's bounded integers, and exponential
// intervals -log(1-u)/rate, with u a 53-bit fraction.
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
