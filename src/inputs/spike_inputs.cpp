#include <algorithm>
#include <limits>
#include <sstream>

#include "common/error.hpp"
#include "common/logging.hpp"
#include "inputs/inputs.hpp"

namespace pointsim::inputs {

namespace {

using Json = nlohmann::json;

std::string require_string(const config::Section& in, const char* key, const std::string& where) {
    auto it = in.params.find(key);
    if (it == in.params.end()) throw config_error(where + "." + key + " is missing");
    if (!it->is_string()) throw config_error(where + "." + key + " must be a string, got " + it->dump());
    return it->get<std::string>();
}

// Populations a spike input drives: only the population part of the node set
// matters (BMTK add_spike_trains); each must be virtual.
std::vector<const network::Population*> target_populations(const config::Section& in, const config::SimulationConfig& cfg,
                                                           const network::Network& net, const std::string& where) {
    auto it = in.params.find("node_set");
    if (it == in.params.end()) throw config_error(where + ".node_set is missing");
    const auto gids = network::resolve_node_set(*it, cfg.node_sets, net, where + ".node_set");
    std::vector<const network::Population*> pops;
    for (auto g : gids) {
        const auto* p = &net.population_of(g);
        if (pops.empty() || pops.back() != p) pops.push_back(p);
    }
    for (const auto* p : pops)
        if (!p->is_virtual)
            throw config_error(where + ".node_set selects population '" + p->name +
                               "', which is not virtual: spike inputs drive virtual nodes only");
    if (pops.empty()) throw config_error(where + ".node_set selects no nodes");
    return pops;
}

}  // namespace

SpikeInputs load_spike_input_stream(const config::SimulationConfig& cfg, const network::Network& net,
                                    const TimeGrid& grid, std::size_t run_size) {
    SpikeInputs spikes(run_size);
    for (const auto& in : cfg.inputs) {
        const std::string where = cfg.config_path.string() + ": inputs." + in.name;
        const std::string input_type = in.params.value("input_type", "");
        const std::string module = in.params.value("module", "");
        if (module == "IClamp") continue;
        if (input_type != "spikes")
            throw config_error(where + ": input_type '" + input_type + "' with module '" + module +
                               "' is not supported (spike inputs: input_type spikes; current clamps: module IClamp)");
        const auto pops = target_populations(in, cfg, net, where);
        const std::string file = require_string(in, "input_file", where);
        // The spikes of one file population for one node population; first_row numbers them in messages.
        auto add = [&](const network::Population& pop, const sonata::SpikeList& list, std::size_t first_row) {
            for (std::size_t i = 0; i < list.node_ids.size(); ++i) {
                const std::size_t k = first_row + i;
                const double t = list.timestamps[i];
                const auto row = pop.rows.row_of(list.node_ids[i]);
                if (!row)
                    throw input_error(file + ": spike " + std::to_string(k) + ": node_id " + std::to_string(list.node_ids[i]) +
                                      " is not a node of population '" + pop.name + "'");
                if (!(t > 0.0))
                    throw input_error(file + ": spike " + std::to_string(k) + " of node " +
                                      std::to_string(list.node_ids[i]) + " has time " + std::to_string(t) +
                                      " ms; spike times must be > 0");
                // Later than one step past tstop: never emitted. Checked before the conversion,
                // which overflows for huge times (1e300, inf) into a negative stamp, i.e. a
                // write before the start of the ring buffer.
                if (t > grid.step_to_ms(grid.n_steps + 1)) continue;
                const Step stamp = grid.spike_time_to_stamp(t);
                if (stamp > grid.n_steps) continue;  // never emitted before tstop
                spikes.add({stamp, pop.gid_of_row(*row)});
            }
        };
        // The file's population with the node population's name; else its only population.
        auto pick = [&](const std::vector<std::string>& names, const network::Population& pop) -> const std::string* {
            if (auto it = std::find(names.begin(), names.end(), pop.name); it != names.end()) return &*it;
            if (names.size() == 1) return &names.front();
            if (names.empty()) return nullptr;
            throw input_error(file + ": no spikes for population '" + pop.name + "' (the file has " +
                              std::to_string(names.size()) + " populations, none of that name)");
        };
        if (module == "sonata" || module == "h5" || module == "hdf5") {
            // Piece by piece: a long input is never held whole.
            const std::vector<std::string> names = sonata::spike_populations_h5(file);
            for (const auto* pop : pops)
                if (const std::string* name = pick(names, *pop))
                    sonata::read_spikes_h5(file, *name, run_size, [&](const sonata::SpikeList& piece, std::size_t first_row) {
                        add(*pop, piece, first_row);
                    });
        } else {
            sonata::SpikesByPopulation table;
            if (module == "csv") {
                const std::string sep = in.params.value("sep", " ");
                table = sonata::read_spikes_csv(file, pops.front()->name, sep.empty() ? ' ' : sep[0]);
            } else if (module == "nwb") {
                // BMTK's NWB 1 layout; "trial" picks /processing/<trial>, required
                // when the file has several. The file names no population: its
                // spikes drive the node set's population(s).
                std::string trial;
                if (auto it = in.params.find("trial"); it != in.params.end()) {
                    if (!it->is_string()) throw config_error(where + ".trial must be a string, got " + it->dump());
                    trial = it->get<std::string>();
                    if (trial.empty()) throw config_error(where + ".trial must not be empty");
                }
                table = sonata::read_spikes_nwb(file, trial, pops.front()->name);
            } else {
                throw config_error(where + ".module: '" + module +
                                   "' is not supported for spikes (sonata, h5, hdf5, csv, nwb)");
            }
            std::vector<std::string> names;
            for (const auto& entry : table) names.push_back(entry.first);
            for (const auto* pop : pops)
                if (const std::string* name = pick(names, *pop)) add(*pop, table.at(*name), 0);
        }
        logging::get()->info("Input {}: {} spikes for {} from {}", in.name, spikes.size(), pops.front()->name, file);
    }
    spikes.seal();
    return spikes;
}

std::vector<StampedSpike> load_spike_inputs(const config::SimulationConfig& cfg, const network::Network& net,
                                            const TimeGrid& grid) {
    SpikeInputs stream = load_spike_input_stream(cfg, net, grid);
    std::vector<StampedSpike> spikes;
    spikes.reserve(stream.size());
    stream.take_until(std::numeric_limits<Step>::max(), spikes);
    return spikes;
}

}  // namespace pointsim::inputs
