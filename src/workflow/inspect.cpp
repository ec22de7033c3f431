// pointsim inspect: what a config would simulate, built as a run builds it
// (one process), described in plain text.
#include <algorithm>
#include <cmath>
#include <iomanip>
#include <limits>
#include <map>
#include <sstream>

#include "app/reports.hpp"
#include "app/weight_recorder.hpp"
#include "common/error.hpp"
#include "common/text.hpp"
#include "common/time.hpp"
#include "config/config.hpp"
#include "inputs/inputs.hpp"
#include "network/network.hpp"
#include "sonata/sonata.hpp"
#include "workflow/workflow.hpp"

namespace pointsim::workflow {

namespace {

std::string bytes(double b) {
    std::ostringstream s;
    s << std::fixed << std::setprecision(1);
    if (b >= 1e9) s << b / 1e9 << " GB";
    else if (b >= 1e6) s << b / 1e6 << " MB";
    else if (b >= 1e3) s << b / 1e3 << " kB";
    else s << std::setprecision(0) << b << " B";
    return s.str();
}

struct Range {
    double lo = std::numeric_limits<double>::infinity();
    double hi = -std::numeric_limits<double>::infinity();
    void add(double v) {
        lo = std::min(lo, v);
        hi = std::max(hi, v);
    }
    bool empty() const { return lo > hi; }
};

// The config with its nodes only (no edges, inputs or reports).
config::SimulationConfig nodes_only(const config::SimulationConfig& cfg) {
    config::SimulationConfig s = cfg;
    s.edges.clear();
    s.inputs.clear();
    s.reports.clear();
    return s;
}

// Per-neuron memory of a model's state, approximately: its recordables and
// about five more values (other state, parameter-set index, refractory count).
constexpr double kStateExtraValues = 5.0;
// The engine's per-neuron bookkeeping (flat -> group/index, stdp traces, spike history header).
constexpr double kEngineBytesPerNeuron = 64.0;
// Node tables per node: node id, type id, group id and index (8 B each), location (12 B), flags.
constexpr double kNodeBytes = 48.0;
// One synapse with state (stdp, tsodyks2, tsodyks): target, receptor, delay, weight, last spike,
// kind, slot, recorder, order, and its state (1 to 3 values) with a parameter-set index.
constexpr double kPlasticBytes = 72.0;
// One virtual input spike: stamp and gid.
constexpr double kInputSpikeBytes = 16.0;

}  // namespace

std::string inspect_config(const fs::path& path) {
    const config::SimulationConfig cfg = config::load(path);
    const TimeGrid grid = TimeGrid::make(cfg.run.dt, cfg.run.tstop, cfg.config_path.string());
    std::ostringstream out;
    out << "Config " << cfg.config_path.string() << "\n";
    out << "Run: tstop " << number_text(cfg.run.tstop) << " ms, dt " << number_text(grid.dt_ms) << " ms, " << grid.n_steps << " steps\n";

    network::Network net = network::read_nodes(cfg);
    network::create_neuron_groups(cfg, grid, net, 0, net.n_gids());

    // ---------------------------------------------------------------- nodes
    std::size_t n_simulated = 0, n_virtual = 0;
    out << "\nNode populations:\n";
    for (const auto& pop : net.populations) {
        out << "  " << pop.name << ": " << pop.size() << (pop.is_virtual ? " virtual" : " simulated") << " nodes ("
            << pop.nodes.file.string() << ")\n";
        (pop.is_virtual ? n_virtual : n_simulated) += pop.size();
        // (node type, model) -> count; the model from the network (h5 may override the CSV).
        std::map<std::pair<std::int64_t, std::string>, std::size_t> counts;
        for (std::size_t row = 0; row < pop.size(); ++row) {
            const auto gid = pop.gid_of_row(row);
            const std::string model = net.simulated[gid] ? "nest:" + net.model_names[net.model_of_gid[gid]] : "virtual";
            ++counts[{pop.nodes.node_type_ids[row], model}];
        }
        for (const auto& [key, n] : counts) {
            const auto& [type_id, model] = key;
            out << "    node_type_id " << type_id << ": " << n << " nodes, ";
            if (model == "virtual") out << "virtual";
            else out << pop.types->get(type_id, "model_type").value_or("?") << " " << model;
            if (auto params = pop.types->get(type_id, "dynamics_params")) out << ", " << *params;
            if (auto name = pop.types->get(type_id, "model_name")) out << " (" << *name << ")";
            else if (auto name2 = pop.types->get(type_id, "pop_name")) out << " (" << *name2 << ")";
            out << "\n";
        }
    }
    out << "  total: " << net.n_gids() << " nodes, " << n_simulated << " simulated, " << n_virtual << " virtual\n";
    int channels = 1;
    double state_bytes = 0.0;
    out << "Neuron models:\n";
    for (const auto& g : net.groups) {
        out << "  " << g->model() << ": " << g->size() << " neurons, " << g->spike_channels() << " input channel"
            << (g->spike_channels() == 1 ? "" : "s") << "\n";
        channels = std::max(channels, g->spike_channels());
        state_bytes += static_cast<double>(g->size()) * (static_cast<double>(g->recordables().size()) + kStateExtraValues) * 8.0;
    }

    // ---------------------------------------------------------------- edges
    out << "\nEdge populations:\n";
    std::size_t n_static = 0, n_plastic = 0;
    Step max_delay = 1;
    Step min_delay = std::numeric_limits<Step>::max();
    for (const auto& entry : cfg.edges) {
        out << "  " << entry.edges_file.string() << (entry.enabled ? "" : " (disabled: not simulated)") << "\n";
        if (!entry.enabled) continue;
        for (const auto& name : sonata::EdgeReader::populations(entry.edges_file)) {
            const sonata::EdgeReader reader(entry.edges_file, name);
            out << "    " << name << ": " << reader.source_population() << " -> " << reader.target_population() << ", "
                << reader.size() << " edges\n";
        }
        auto sub = nodes_only(cfg);
        sub.edges = {entry};
        sub.reports = cfg.reports;  // weight_recorder reports rename synapse models
        net.n_edges = 0;
        network::read_edges(sub, grid, net);
        const auto& cn = net.connectivity;
        const auto& pl = net.plastic;
        Range weights, delays;
        for (std::size_t k = 0; k < cn.kind_weight.size(); ++k) weights.add(cn.kind_weight[k]);
        for (double w : pl.weight) weights.add(w);
        if (cn.size()) {
            delays.add(static_cast<double>(cn.min_delay));
            delays.add(static_cast<double>(cn.max_delay));
        }
        for (Step d : pl.delay) delays.add(static_cast<double>(d));
        n_static += cn.size();
        n_plastic += pl.size();
        out << "    " << net.n_edges << " synapses";
        std::string kinds;  // e.g. " (40 stdp_synapse, 12 tsodyks_synapse)"
        for (auto kind : {network::SynapseKind::stdp, network::SynapseKind::tsodyks2, network::SynapseKind::tsodyks})
            if (const auto n = pl.count(kind))
                kinds += (kinds.empty() ? " (" : ", ") + std::to_string(n) + " " + network::synapse_model_name(kind);
        if (!kinds.empty()) out << kinds << ")";
        if (!weights.empty()) out << ", weights " << number_text(weights.lo) << " to " << number_text(weights.hi);
        if (!delays.empty()) {
            const auto lo = static_cast<Step>(delays.lo), hi = static_cast<Step>(delays.hi);
            out << ", delays " << number_text(grid.step_to_ms(lo)) << " to " << number_text(grid.step_to_ms(hi)) << " ms (" << lo << " to "
                << hi << " steps)";
            max_delay = std::max(max_delay, hi);
            min_delay = std::min(min_delay, lo);
        }
        out << "\n";
        net.connectivity = network::Connectivity{};
        net.plastic = network::PlasticSynapses{};
    }
    out << "  total: " << n_static + n_plastic << " synapses";
    if (min_delay != std::numeric_limits<Step>::max())
        out << ", delays " << min_delay << " to " << max_delay << " steps (spikes are exchanged every " << min_delay
            << " steps)";
    out << "\n";

    // ---------------------------------------------------------------- inputs
    out << "\nInputs:\n";
    double input_spikes = 0.0;
    if (cfg.inputs.empty()) out << "  none\n";
    for (const auto& section : cfg.inputs) {
        auto sub = nodes_only(cfg);
        sub.inputs = {section};
        const std::string module = section.params.value("module", "");
        if (module == "IClamp") {
            for (const auto& clamp : inputs::load_current_clamps(sub, net, grid)) {
                out << "  " << section.name << ": IClamp on " << clamp.targets.size() << " cells, "
                    << clamp.changes.size() << " amplitude changes";
                for (const char* key : {"amp", "delay", "duration"})
                    if (auto it = section.params.find(key); it != section.params.end()) out << ", " << key << " " << it->dump();
                if (auto it = section.params.find("file"); it != section.params.end() && it->is_string())
                    out << ", file " << it->get<std::string>();
                out << "\n";
            }
        } else {
            const auto spikes = inputs::load_spike_inputs(sub, net, grid);
            input_spikes += static_cast<double>(spikes.size());
            out << "  " << section.name << ": " << spikes.size() << " spikes (up to tstop) from "
                << section.params.value("input_file", std::string("?")) << " (module " << module << ") to node set "
                << section.params.value("node_set", nlohmann::json("?")).dump() << "\n";
        }
    }

    // ---------------------------------------------------------------- reports
    out << "\nReports:\n";
    double report_bytes = 0.0;
    const auto reports = app::plan_reports(cfg, net, grid);
    const auto recorders = app::plan_weight_recorders(cfg);
    if (reports.empty() && recorders.empty()) out << "  none\n";
    for (const auto& r : reports) {
        const auto& rec = r.recorder;
        const Step samples = rec.interval > 0 ? std::max<Step>(0, rec.stop / rec.interval - rec.start / rec.interval) : 0;
        report_bytes += static_cast<double>(samples) * static_cast<double>(r.gids.size()) * 8.0;
        out << "  " << r.name << ": " << r.variable << " of " << r.gids.size() << " cells every "
            << number_text(grid.step_to_ms(rec.interval)) << " ms, " << samples << " samples -> " << r.file.string() << "\n";
    }
    for (const auto& w : recorders) out << "  " << w.name << ": weight_recorder -> " << w.file.string() << "\n";

    // ---------------------------------------------------------------- outputs
    out << "\nOutputs in " << cfg.output.output_dir.string() << ":";
    for (const auto& f : {cfg.output.spikes_file, cfg.output.spikes_file_csv, cfg.output.log_file})
        if (f) out << " " << f->filename().string();
    out << " " << cfg.config_path.filename().string() << "\n";

    // ---------------------------------------------------------------- memory
    const double n_neurons = static_cast<double>(net.n_neurons());
    const double n_gids = static_cast<double>(net.n_gids());
    const double slots = static_cast<double>(max_delay + 1);
    const double syn = 8.0 * static_cast<double>(n_static);
    const double stdp = kPlasticBytes * static_cast<double>(n_plastic);
    const double rows = 8.0 * (n_gids + 1);
    const double ring = slots * channels * n_neurons * 8.0;
    const double neurons = state_bytes + kEngineBytesPerNeuron * n_neurons;
    const double nodes = kNodeBytes * n_gids;
    const double in_spikes = kInputSpikeBytes * input_spikes;
    const double total = syn + stdp + rows + ring + neurons + nodes + in_spikes + report_bytes;
    out << "\nEstimated memory for the run (one process): " << bytes(total) << "\n";
    out << "  synapses           " << std::setw(10) << bytes(syn) << "  8 B x " << n_static << " static synapses\n";
    if (n_plastic)
        out << "  plastic synapses   " << std::setw(10) << bytes(stdp) << "  about " << kPlasticBytes << " B x " << n_plastic
            << " (weight, state, delay, target, parameters)\n";
    out << "  synapse rows       " << std::setw(10) << bytes(rows) << "  8 B x (" << net.n_gids() << " nodes + 1)\n";
    out << "  ring buffer        " << std::setw(10) << bytes(ring) << "  " << max_delay + 1 << " slots (max delay + 1) x "
        << channels << " channels x " << net.n_neurons() << " neurons x 8 B\n";
    out << "  neuron state       " << std::setw(10) << bytes(neurons) << "  per neuron (recordables + "
        << kStateExtraValues << ") x 8 B + " << kEngineBytesPerNeuron << " B of engine bookkeeping (approximate)\n";
    out << "  node tables        " << std::setw(10) << bytes(nodes) << "  about " << kNodeBytes << " B x " << net.n_gids()
        << " nodes\n";
    out << "  input spikes       " << std::setw(10) << bytes(in_spikes) << "  " << kInputSpikeBytes << " B x "
        << static_cast<std::uint64_t>(input_spikes) << " spikes\n";
    out << "  report samples     " << std::setw(10) << bytes(report_bytes) << "  samples x cells x 8 B\n";
    out << "  not counted: output spikes (16 B each, not known in advance); while the edges are read, 4 B more per\n"
           "  synapse (12 B each until sorted). With N MPI processes, synapses, ring buffer and neuron state are\n"
           "  split about N ways; node tables are held by every process.\n";
    return out.str();
}

}  // namespace pointsim::workflow
