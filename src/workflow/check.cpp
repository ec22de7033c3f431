// pointsim check: every problem a run would meet, not just the first. Each
// independent part of the config is validated on its own, by the very
// functions a run uses, on a copy of the config restricted to that part.
#include <unistd.h>

#include <algorithm>
#include <set>

#include "app/reports.hpp"
#include "app/weight_recorder.hpp"
#include "common/error.hpp"
#include "common/time.hpp"
#include "config/config.hpp"
#include "inputs/inputs.hpp"
#include "network/network.hpp"
#include "sonata/sonata.hpp"
#include "workflow/workflow.hpp"

namespace pointsim::workflow {

namespace {

class Collector {
public:
    // Runs f; a pointsim::Error becomes a problem. True if f succeeded.
    template <class F>
    bool attempt(F&& f) {
        try {
            f();
            return true;
        } catch (const Error& e) {
            add(e.what(), e.kind());
            return false;
        }
    }
    void add(const std::string& message, ErrorKind kind) {
        if (seen_.insert(message).second) problems_.push_back({message, kind});
    }
    std::vector<Problem> take() { return std::move(problems_); }

private:
    std::vector<Problem> problems_;
    std::set<std::string> seen_;
};

// The config with no nodes, edges, inputs or reports: parts are put back one at a time.
config::SimulationConfig skeleton(const config::SimulationConfig& cfg) {
    config::SimulationConfig s = cfg;
    s.nodes.clear();
    s.edges.clear();
    s.inputs.clear();
    s.reports.clear();
    return s;
}

// Maximal runs [begin, end) of rows with one node type, as gid ranges.
std::vector<std::pair<network::Gid, network::Gid>> type_runs(const network::Population& pop) {
    std::vector<std::pair<network::Gid, network::Gid>> runs;
    const auto& types = pop.nodes.node_type_ids;
    std::size_t row = 0;
    while (row < types.size()) {
        std::size_t end = row + 1;
        while (end < types.size() && types[end] == types[row]) ++end;
        runs.emplace_back(pop.gid_of_row(row), pop.gid_of_row(end));
        row = end;
    }
    return runs;
}

// More runs than this in a population: one neuron-group check for all of it.
constexpr std::size_t kMaxRunsPerPopulation = 256;

// The file that holds the node sets, for messages.
std::string node_sets_origin(const config::SimulationConfig& cfg) {
    if (!cfg.resolved.contains("node_sets")) {
        auto it = cfg.resolved.find("node_sets_file");
        if (it != cfg.resolved.end() && it->is_string()) return it->get<std::string>();
    }
    return cfg.config_path.string();
}

// The closest existing ancestor of a path that does not exist.
fs::path existing_ancestor(fs::path p) {
    std::error_code ec;
    while (!p.empty() && !fs::exists(p, ec)) {
        if (p == p.parent_path()) break;
        p = p.parent_path();
    }
    return p;
}

}  // namespace

std::vector<Problem> check_config(const fs::path& path) {
    Collector c;
    config::SimulationConfig cfg;
    if (!c.attempt([&] { cfg = config::load(path); })) return c.take();
    const std::string config_file = cfg.config_path.string();

    std::optional<TimeGrid> grid;
    c.attempt([&] { grid = TimeGrid::make(cfg.run.dt, cfg.run.tstop, config_file); });

    // ---------------------------------------------------------------- nodes
    // Each entry alone (h5, types CSV, model types), then all the readable
    // ones together (populations defined twice).
    std::vector<config::NodeFiles> good_nodes;
    bool nodes_complete = true;
    if (cfg.nodes.size() > 1) {
        for (const auto& entry : cfg.nodes) {
            auto sub = skeleton(cfg);
            sub.nodes = {entry};
            if (c.attempt([&] { network::read_nodes(sub); })) good_nodes.push_back(entry);
            else nodes_complete = false;
        }
    } else {
        good_nodes = cfg.nodes;
    }
    network::Network net;
    bool have_net = false;
    if (!good_nodes.empty()) {
        auto sub = skeleton(cfg);
        sub.nodes = good_nodes;
        have_net = c.attempt([&] { net = network::read_nodes(sub); });
        if (!have_net) nodes_complete = false;
    }

    // ---------------------------------------------------------------- neuron models and parameters
    // One group check per run of rows of one node type, so that every bad
    // node type is reported; groups accumulate in `net` for the edge checks.
    if (have_net && grid) {
        for (const auto& pop : net.populations) {
            if (pop.is_virtual || pop.size() == 0) continue;
            auto runs = type_runs(pop);
            if (runs.size() > kMaxRunsPerPopulation) runs = {{pop.first_gid, pop.first_gid + pop.size()}};
            for (const auto& run : runs) {
                // run.first/second, not a structured binding: clang 14 cannot capture those.
                if (!c.attempt([&] { network::create_neuron_groups(cfg, *grid, net, run.first, run.second); }))
                    net.group_offset.resize(net.groups.size());  // a failed call may leave one extra offset
            }
        }
    }

    // ---------------------------------------------------------------- edges
    if (have_net && grid) {
        for (std::size_t i = 0; i < cfg.edges.size(); ++i) {
            const auto& entry = cfg.edges[i];
            if (!entry.enabled) continue;
            if (!nodes_complete) {
                // Edges touching a population that could not be read would only repeat that problem.
                bool endpoints_known = true;
                const bool readable = c.attempt([&] {
                    for (const auto& name : sonata::EdgeReader::populations(entry.edges_file)) {
                        const sonata::EdgeReader reader(entry.edges_file, name);
                        endpoints_known = endpoints_known && net.find_population(reader.source_population()) &&
                                          net.find_population(reader.target_population());
                    }
                });
                if (!readable || !endpoints_known) continue;
            }
            auto sub = skeleton(cfg);
            sub.edges = {entry};
            sub.reports = cfg.reports;  // weight_recorder reports rename synapse models
            c.attempt([&] { network::read_edges(sub, *grid, net); });
            net.connectivity = network::Connectivity{};
            net.plastic = network::PlasticSynapses{};
        }
    }

    // ---------------------------------------------------------------- node sets
    const bool network_usable = have_net && nodes_complete;
    if (network_usable && cfg.node_sets.is_object()) {
        const std::string origin = node_sets_origin(cfg);
        for (auto it = cfg.node_sets.begin(); it != cfg.node_sets.end(); ++it)
            c.attempt([&] { network::resolve_node_set(it.value(), cfg.node_sets, net, origin + ": node_sets." + it.key()); });
    }

    // ---------------------------------------------------------------- inputs
    if (network_usable && grid) {
        for (const auto& section : cfg.inputs) {
            auto sub = skeleton(cfg);
            sub.inputs = {section};
            c.attempt([&] {
                inputs::load_spike_inputs(sub, net, *grid);
                inputs::load_current_clamps(sub, net, *grid);
            });
        }
    }

    // ---------------------------------------------------------------- reports
    std::vector<fs::path> outputs;
    if (network_usable && grid) {
        for (const auto& section : cfg.reports) {
            auto sub = skeleton(cfg);
            sub.reports = {section};
            c.attempt([&] {
                for (const auto& plan : app::plan_reports(sub, net, *grid)) outputs.push_back(plan.file);
                for (const auto& plan : app::plan_weight_recorders(sub)) outputs.push_back(plan.file);
            });
        }
    }

    // ---------------------------------------------------------------- output folder
    const fs::path& out_dir = cfg.output.output_dir;
    std::error_code ec;
    if (fs::exists(out_dir, ec) && !fs::is_directory(out_dir, ec)) {
        c.add(config_file + ": output.output_dir " + out_dir.string() + " exists and is not a directory", ErrorKind::Output);
    } else {
        const fs::path base = fs::exists(out_dir, ec) ? out_dir : existing_ancestor(out_dir);
        if (!base.empty() && (!fs::is_directory(base, ec) || ::access(base.c_str(), W_OK | X_OK) != 0))
            c.add(config_file + ": output.output_dir " + out_dir.string() + " cannot be written (" + base.string() +
                      (fs::is_directory(base, ec) ? " is not writable)" : " is not a directory)"),
                  ErrorKind::Output);
    }
    if (!cfg.output.overwrite_output_dir) {
        for (const auto& f : {cfg.output.spikes_file, cfg.output.spikes_file_csv, cfg.output.log_file})
            if (f) outputs.push_back(*f);
        outputs.push_back(out_dir / cfg.config_path.filename());
        for (const auto& f : outputs)
            if (fs::exists(f, ec))
                c.add(config_file + ": output " + f.string() + " exists and overwrite_output_dir is false", ErrorKind::Output);
    }
    return c.take();
}

}  // namespace pointsim::workflow
