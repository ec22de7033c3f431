#pragma once
// Synapses with state onto this process's neurons: NEST's stdp_synapse (with
// the dendritic delay equal to the full delay, semantics.md 5.7),
// tsodyks2_synapse and tsodyks_synapse (short-term plasticity). They are few
// next to static synapses, so they are kept apart, in rows keyed by source
// gid. Columns every kind has (target, delay, weight, time of the last
// presynaptic spike, ...) are per synapse; each kind's state and parameter
// sets live in their own table, which `slot` indexes.
#include <cstdint>
#include <map>
#include <string>
#include <utility>
#include <variant>
#include <vector>

#include "common/time.hpp"

namespace pointsim::network {

enum class SynapseKind : std::uint8_t { stdp, tsodyks2, tsodyks };

// NEST's model name of a kind ("stdp_synapse", ...).
const char* synapse_model_name(SynapseKind kind);

// Parameters (NEST's defaults). Equal sets are shared between synapses.
struct StdpParams {
    double tau_plus = 20.0, lambda = 0.01, alpha = 1.0, mu_plus = 1.0, mu_minus = 1.0, Wmax = 100.0;
    bool operator==(const StdpParams& o) const {
        return tau_plus == o.tau_plus && lambda == o.lambda && alpha == o.alpha && mu_plus == o.mu_plus &&
               mu_minus == o.mu_minus && Wmax == o.Wmax;
    }
};
struct Tsodyks2Params {
    double U = 0.5, tau_rec = 800.0, tau_fac = 0.0;  // tau in ms
    bool operator==(const Tsodyks2Params& o) const { return U == o.U && tau_rec == o.tau_rec && tau_fac == o.tau_fac; }
};
struct TsodyksParams {
    double U = 0.5, tau_psc = 3.0, tau_fac = 0.0, tau_rec = 800.0;  // tau in ms
    bool operator==(const TsodyksParams& o) const {
        return U == o.U && tau_psc == o.tau_psc && tau_fac == o.tau_fac && tau_rec == o.tau_rec;
    }
};

// Per-synapse state, with the index of its parameter set. The initial values
// are NEST's defaults (tsodyks2: u = 0.5 whatever U is, as NEST's constructor
// sets it before the connection's parameters are applied).
struct StdpState {
    double Kplus = 0.0;  // presynaptic trace
    std::uint32_t params = 0;
};
struct Tsodyks2State {
    double x = 1.0, u = 0.5;
    std::uint32_t params = 0;
};
struct TsodyksState {
    double x = 1.0, y = 0.0, u = 0.0;
    std::uint32_t params = 0;
};

struct PlasticSynapses {
    std::vector<std::uint64_t> row_begin;  // size n_gids + 1 (empty when there are none)
    std::vector<std::uint32_t> target;     // flat neuron index
    std::vector<std::int32_t> receptor;
    std::vector<Step> delay;               // steps
    std::vector<double> weight;            // stdp: changes as the simulation runs
    std::vector<double> t_last;            // time of the last presynaptic spike (ms), NEST's t_lastspike_ (-1: none, tsodyks2)
    std::vector<SynapseKind> kind;
    std::vector<std::uint32_t> slot;       // index into the kind's state table
    std::vector<std::int32_t> recorder;    // weight_recorder report index, -1 if none
    std::vector<std::uint64_t> order_key;  // creation order within the source (for recorder ports)

    std::vector<StdpState> stdp;
    std::vector<Tsodyks2State> tsodyks2;
    std::vector<TsodyksState> tsodyks;
    std::vector<StdpParams> stdp_params;
    std::vector<Tsodyks2Params> tsodyks2_params;
    std::vector<TsodyksParams> tsodyks_params;

    std::vector<std::string> recorder_names;  // report names, by index

    std::size_t size() const { return target.size(); }
    bool empty() const { return target.empty(); }
    std::size_t count(SynapseKind k) const;

    const StdpParams& stdp_params_of(std::size_t k) const { return stdp_params[stdp[slot[k]].params]; }
    const Tsodyks2Params& tsodyks2_params_of(std::size_t k) const { return tsodyks2_params[tsodyks2[slot[k]].params]; }
    const TsodyksParams& tsodyks_params_of(std::size_t k) const { return tsodyks_params[tsodyks[slot[k]].params]; }

    // Synapse k's weight and state variables under NEST's names (stdp:
    // weight, Kplus; tsodyks2: weight, x, u; tsodyks: weight, x, y, u).
    std::vector<std::pair<std::string, double>> state_of(std::size_t k) const;
};

// ---------------------------------------------------------------- building
// What one synapse starts with: its kind's parameters and initial state.
struct StdpSetup {
    StdpParams params;
    double Kplus = 0.0;
};
struct Tsodyks2Setup {
    Tsodyks2Params params;
    Tsodyks2State state;
};
struct TsodyksSetup {
    TsodyksParams params;
    TsodyksState state;
};
using PlasticSetup = std::variant<StdpSetup, Tsodyks2Setup, TsodyksSetup>;  // index = SynapseKind

// The parameter names a kind takes in dynamics_params (besides weight,
// delay and receptor_type), in NEST's order.
const std::vector<std::string>& synapse_parameter_names(SynapseKind kind);

// The given values over NEST's defaults, applied and checked in the order of
// NEST's set_status, with its messages. Keys must be among
// synapse_parameter_names(kind). Throws Error(Model) "<source>: <model>:
// <NEST's rule> (given: <key> = <value>)".
PlasticSetup make_setup(SynapseKind kind, const std::map<std::string, double>& given, const std::string& source);

// One transmission through a recorded synapse (NEST weight_recorder).
struct WeightEvent {
    std::uint64_t source_gid;
    std::uint64_t target_gid;
    std::int64_t stamp_tics;  // time of the presynaptic spike, in tics
    double weight;            // as transmitted (stdp: after the update; tsodyks: the PSC amplitude)
    std::int32_t receptor;
    std::int32_t recorder;
    std::uint64_t order_key;
};

}  // namespace pointsim::network
