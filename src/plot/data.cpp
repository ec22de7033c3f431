// Spikes of a run placed on its cells, stacked by a node attribute.
#include <algorithm>
#include <cmath>
#include <cstdio>
#include <map>
#include <set>

#include "common/error.hpp"
#include "plot/data.hpp"
#include "sonata/sonata.hpp"

namespace pointsim::plot::detail {

namespace {

std::string number_text(double v) {
    char buf[64];
    if (std::isfinite(v) && v == std::floor(v) && std::abs(v) < 1e15) std::snprintf(buf, sizeof buf, "%.0f", v);
    else std::snprintf(buf, sizeof buf, "%g", v);
    return buf;
}

// Per row, the value of attribute `name` (nullopt where a row has none);
// `has` says whether the population has the attribute at all. h5 group
// attributes win over node-types CSV columns (SONATA).
std::vector<std::optional<std::string>> attribute(const network::Population& p, const std::string& name, bool& has) {
    const auto& nodes = p.nodes;
    const std::size_t n = nodes.size();
    std::vector<std::optional<std::string>> out(n);
    has = false;
    if (name == "population") {
        has = true;
        std::fill(out.begin(), out.end(), p.name);
        return out;
    }
    if (name == "node_type_id") {
        has = true;
        for (std::size_t r = 0; r < n; ++r) out[r] = std::to_string(nodes.node_type_ids[r]);
        return out;
    }
    for (const auto& [gid, group] : nodes.groups)
        if (group.attributes.count(name)) has = true;
    const bool in_csv = p.types && p.types->has_column(name);
    has = has || in_csv;
    if (!has) return out;
    for (std::size_t r = 0; r < n; ++r) {
        if (auto g = nodes.groups.find(nodes.group_ids[r]); g != nodes.groups.end()) {
            if (auto c = g->second.attributes.find(name); c != g->second.attributes.end()) {
                const std::size_t i = nodes.group_indices[r];
                if (i < c->second.size()) {
                    out[r] = c->second.is_string ? c->second.strings[i] : number_text(c->second.numbers[i]);
                    continue;
                }
            }
        }
        if (in_csv) out[r] = p.types->get(nodes.node_type_ids[r], name);
    }
    return out;
}

std::set<std::string> attribute_names(const network::Population& p) {
    std::set<std::string> names = {"population", "node_type_id"};
    for (const auto& [gid, group] : p.nodes.groups)
        for (const auto& [name, col] : group.attributes) names.insert(name);
    if (p.types)
        for (const auto& c : p.types->columns()) names.insert(c);
    return names;
}

Cells stack_cells(const network::Network& net, const std::vector<bool>& plotted, const std::string& group_by,
                  const std::string& config) {
    Cells cells;
    cells.plotted = plotted;
    const std::size_t n_pops = net.populations.size();
    cells.group_of_row.resize(n_pops);
    cells.y_of_row.resize(n_pops);
    std::map<std::string, std::uint32_t> index;
    bool found = false;
    std::set<std::string> available;
    for (std::size_t p = 0; p < n_pops; ++p) {
        if (!plotted[p]) continue;
        const auto& pop = net.populations[p];
        bool has = false;
        const auto values = attribute(pop, group_by, has);
        found = found || has;
        const auto names = attribute_names(pop);
        available.insert(names.begin(), names.end());
        auto& groups = cells.group_of_row[p];
        groups.resize(pop.size());
        for (std::size_t r = 0; r < pop.size(); ++r) {
            const std::string key = values[r] ? *values[r] : "(none)";
            auto [it, added] = index.emplace(key, static_cast<std::uint32_t>(cells.group_names.size()));
            if (added) {
                cells.group_names.push_back(key);
                cells.group_size.push_back(0);
            }
            groups[r] = it->second;
            ++cells.group_size[it->second];
        }
    }
    if (!found && cells.group_names.size() > 0) {
        std::string list;
        for (const auto& a : available) list += (list.empty() ? "" : ", ") + a;
        throw config_error("plot: group_by '" + group_by + "' is not a node attribute of the plotted populations of " +
                           config + " (attributes: " + list + ")");
    }
    std::size_t first = 0;
    for (std::size_t size : cells.group_size) {
        cells.group_first.push_back(first);
        first += size;
    }
    cells.n_cells = first;
    std::vector<std::size_t> next = cells.group_first;
    for (std::size_t p = 0; p < n_pops; ++p) {
        if (!plotted[p]) continue;
        auto& ys = cells.y_of_row[p];
        ys.resize(cells.group_of_row[p].size());
        for (std::size_t r = 0; r < ys.size(); ++r) ys[r] = static_cast<std::uint32_t>(next[cells.group_of_row[p][r]]++);
    }
    return cells;
}

}  // namespace

config::SimulationConfig load_config(const fs::path& config, const std::optional<fs::path>& output_dir) {
    auto cfg = config::load(config);
    if (output_dir) {  // as `run --output-dir` (src/app/run.cpp redirect_outputs)
        const fs::path new_dir = fs::absolute(*output_dir).lexically_normal();
        const fs::path old_dir = cfg.output.output_dir;
        auto move = [&](std::optional<fs::path>& p) {
            if (!p) return;
            const fs::path rel = p->lexically_relative(old_dir);
            *p = new_dir / (rel.empty() || *rel.begin() == ".." ? p->filename() : rel);
        };
        move(cfg.output.log_file);
        move(cfg.output.spikes_file);
        move(cfg.output.spikes_file_csv);
        cfg.output.output_dir = new_dir;
    }
    return cfg;
}

Spikes read_spikes(const config::SimulationConfig& cfg, const network::Network& net, const std::string& group_by,
                   Cells& cells) {
    const std::string config = cfg.config_path.string();
    Spikes out;
    sonata::SpikesByPopulation by_pop;
    auto require = [&](const fs::path& file, const char* key) {
        if (!fs::exists(file))
            throw input_error(file.string() + ": spikes file not found (output." + key + " of " + config +
                              "; has the simulation been run?)");
    };
    if (cfg.output.spikes_file) {
        out.file = *cfg.output.spikes_file;
        require(out.file, "spikes_file");
        by_pop = sonata::read_spikes_h5(out.file);
    } else if (cfg.output.spikes_file_csv) {
        out.file = *cfg.output.spikes_file_csv;
        require(out.file, "spikes_file_csv");
        by_pop = sonata::read_spikes_csv(out.file, "");
    } else {
        throw config_error(config + ": output has neither spikes_file nor spikes_file_csv: no spikes to plot");
    }

    // Populations: the simulated ones, and any the spikes file names.
    std::vector<bool> plotted(net.populations.size(), false);
    std::vector<std::size_t> simulated;
    for (std::size_t p = 0; p < net.populations.size(); ++p)
        if (!net.populations[p].is_virtual) {
            plotted[p] = true;
            simulated.push_back(p);
        }
    std::vector<std::pair<std::size_t, const sonata::SpikeList*>> lists;
    for (const auto& [name, list] : by_pop) {
        std::size_t p = 0;
        if (name.empty()) {  // legacy layout without populations
            if (simulated.size() != 1)
                throw input_error(out.file.string() + ": spikes without a population, but the circuit of " + config +
                                  " has " + std::to_string(simulated.size()) + " simulated populations");
            p = simulated[0];
        } else {
            const auto* pop = net.find_population(name);
            if (!pop)
                throw input_error(out.file.string() + ": population '" + name + "' is not in the circuit of " + config);
            p = static_cast<std::size_t>(pop - net.populations.data());
        }
        plotted[p] = true;
        lists.emplace_back(p, &list);
    }
    std::sort(lists.begin(), lists.end(), [](const auto& a, const auto& b) { return a.first < b.first; });

    cells = stack_cells(net, plotted, group_by, config);
    for (const auto& [p, list] : lists) {
        const auto& pop = net.populations[p];
        for (std::size_t i = 0; i < list->node_ids.size(); ++i) {
            const auto row = pop.rows.row_of(list->node_ids[i]);
            if (!row)
                throw input_error(out.file.string() + ": spike " + std::to_string(i) + " of population '" + pop.name +
                                  "': node id " + std::to_string(list->node_ids[i]) + " is not in " +
                                  pop.nodes.file.string());
            out.spikes.push_back({list->timestamps[i], cells.group_of_row[p][*row], cells.y_of_row[p][*row]});
        }
    }
    return out;
}

}  // namespace pointsim::plot::detail
