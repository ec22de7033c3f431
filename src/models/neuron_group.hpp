#pragma once
// Neuron models: numerics only, no I/O. A NeuronGroup holds every local
// neuron of one model in structure-of-arrays form; parameters are lowered to
// propagators once per distinct parameter set (usually one per node type).
#include <cstdint>
#include <memory>
#include <string>
#include <type_traits>
#include <utility>
#include <vector>

#include <nlohmann/json.hpp>

#include "common/time.hpp"

namespace pointsim::models {

using Json = nlohmann::json;

// One distinct parameter set: the dynamics_params JSON and where it came from
// (for error messages).
struct ParameterSet {
    Json params = Json::object();
    std::string source;  // e.g. "/abs/472363762_point.json (node type 100)"
};

// The arrays a group's state lives in, named, for checkpoints and saved
// states (engine::Simulation::save_state): everything update() changes and
// reads again (membrane and synaptic state, refractory counters, adaptive
// step sizes, the current of the next step), not parameters or propagators,
// which the circuit gives again, and not per-step scratch. Each array keeps
// its size for the whole run, so the spans stay valid.
struct StateFields {
    struct Field {
        std::string name;
        void* data;
        std::size_t bytes;
    };
    std::vector<Field> fields;
    template <class T>
    void add(std::string name, std::vector<T>& values) {
        static_assert(std::is_trivially_copyable_v<T>);
        fields.push_back({std::move(name), values.data(), values.size() * sizeof(T)});
    }
};

class NeuronGroup {
public:
    virtual ~NeuronGroup() = default;

    virtual const char* model() const = 0;
    virtual std::size_t size() const = 0;

    // Spike input channels per neuron in the engine's input buffers.
    virtual int spike_channels() const = 0;
    // The channel a synapse of this weight and receptor port feeds, as NEST's
    // handle(SpikeEvent&) picks it. Throws Error(Model) for a port the model lacks.
    virtual int channel(double weight, int receptor) const = 0;
    // The same for one neuron, for models whose neurons differ in their
    // number of receptor ports (glif_psc's tau_syn per parameter set).
    // Both may depend on the weight only through whether it is negative,
    // zero or positive: the edge reader keeps the answer per target by that.
    virtual int channel_for(double weight, int receptor, std::size_t /*neuron*/) const {
        return channel(weight, receptor);
    }

    // Advances every neuron by one step (NEST's update() for one lag).
    // spike_in[c][i]: summed weights arriving for neuron i on channel c in this
    // step. current_in[i]: summed step-current input handled in this step; it
    // acts on V from the next step on. Appends the indices of neurons that fired.
    virtual void update(const double* const* spike_in, const double* current_in,
                        std::vector<std::uint32_t>& fired) = 0;

    // Lists the group's state arrays (see StateFields).
    virtual void state_fields(StateFields& fields) = 0;

    // Names NEST gives the model's recordables, and their units.
    virtual const std::vector<std::string>& recordables() const = 0;
    virtual std::string units(std::size_t recordable) const = 0;
    // Current value of recordable `which` for neuron i.
    virtual double get(std::size_t which, std::size_t i) const = 0;

    // NEST's ArchivingNode parameter of every neuron: the time constant of
    // the postsynaptic trace that stdp_synapse reads (ms, default 20).
    double tau_minus(std::size_t i) const { return tau_minus_.empty() ? 20.0 : tau_minus_[i]; }
    void set_tau_minus(std::vector<double> per_neuron) { tau_minus_ = std::move(per_neuron); }

private:
    std::vector<double> tau_minus_;
};

// Recordables of a model and their units, e.g. {"V_m", "mV"} (known without
// creating a group, for processes that hold none of its neurons).
const std::vector<std::pair<std::string, std::string>>& model_recordables(const std::string& model);

// Supported NEST models, for messages.
const std::vector<std::string>& supported_models();
bool is_supported(const std::string& model);

// Builds a group of neurons of `model` ("iaf_psc_alpha", ...). Neuron i uses
// parameter_sets[set_of_neuron[i]]. Parameters follow NEST's SetStatus rules
// (V_m, V_th, V_reset, V_min kept absolute when E_L changes and they are not
// given). Throws Error(Model) naming the source and key for an unknown
// parameter, a value of the wrong type or an invalid combination.
std::unique_ptr<NeuronGroup> create_group(const std::string& model, const std::vector<ParameterSet>& parameter_sets,
                                          const std::vector<std::uint32_t>& set_of_neuron, const TimeGrid& grid);

}  // namespace pointsim::models
