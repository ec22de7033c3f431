#pragma once
// Allen Cell Types Database GLIF models ("neuron_config" JSON files, marked
// "type": "GLIF") converted to NEST glif_psc parameters exactly as BMTK 1.0.8
// does (bmtk/simulator/pointnet/glif_utils.py, converter_builtin; semantics.md
// 3.2). Units: potentials V -> mV (x1e3), C F -> pF (x coeffs.C x1e12),
// g = coeffs.G / R_input S -> nS (x1e9), t_ref = spike_cut_length x dt s ->
// ms, rates 1/s -> 1/ms (x1e-3), currents A -> pA (x1e12); tau_syn is BMTK's
// fixed [5.5, 8.5, 2.8, 5.8] ms.
#include <string>

#include <nlohmann/json.hpp>

namespace pointsim::models {

// Returns only glif_psc keys: V_m, E_L, V_th, g, C_m, t_ref, tau_syn, the three
// flags, and per variant V_reset (GLIF1, 3), th_spike_add, th_spike_decay,
// voltage_reset_fraction, voltage_reset_add (GLIF2, 4, 5), asc_init,
// asc_decay, asc_amps (GLIF3, 4, 5), asc_r (GLIF4, 5), th_voltage_index,
// th_voltage_decay (GLIF5).
//
// BMTK picks the variant from the model_template (nest:glif_lif_psc ...
// nest:glif_lif_r_asc_a_psc); here it comes from the file's own method names,
// which say the same thing:
//   threshold_dynamics_method.name  inf -> -, spike_component -> R,
//                                   three_components_exact|_forward -> R + A
//   AScurrent_dynamics_method.name  none -> -, exp -> ASC
//   voltage_reset_method.name       zero without R, v_before with R
// giving GLIF1 (-), GLIF2 (R), GLIF3 (ASC), GLIF4 (R+ASC), GLIF5 (R+ASC+A).
//
// Throws Error(Model) "<source>: Allen GLIF parameters: ..." naming the key
// path for a missing key, a value of the wrong type, an unknown method name,
// an inconsistent combination or asc arrays of different lengths.
nlohmann::json convert_allen_glif(const nlohmann::json& allen, const std::string& source);

}  // namespace pointsim::models
