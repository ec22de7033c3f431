#include "app/reports.hpp"

#include <cmath>

#include "common/error.hpp"
#include "common/logging.hpp"

namespace pointsim::app {

namespace {

using Json = nlohmann::json;

const char* kReportModules[] = {"membrane_report", "multimeter", "multimeter_report", "netcon_report"};

double number_or(const Json& params, std::initializer_list<const char*> keys, double fallback, const std::string& where) {
    for (const char* key : keys) {
        auto it = params.find(key);
        if (it == params.end()) continue;
        if (!it->is_number()) throw config_error(where + "." + key + " must be a number, got " + it->dump());
        return it->get<double>();
    }
    return fallback;
}

Step to_steps_exact(double ms, const TimeGrid& grid, const std::string& what) {
    if (!grid.on_grid(ms)) throw config_error(what + " = " + std::to_string(ms) + " ms is not a multiple of dt = " + std::to_string(grid.dt_ms) + " ms");
    return grid.ms_to_steps_ceil(ms);
}

}  // namespace

std::vector<ReportPlan> plan_reports(const config::SimulationConfig& cfg, const network::Network& net,
                                     const TimeGrid& grid) {
    std::vector<ReportPlan> plans;
    for (const auto& rep : cfg.reports) {
        const std::string where = cfg.config_path.string() + ": reports." + rep.name;
        const std::string module = rep.params.value("module", "");
        if (module == "weight_recorder") continue;  // app/weight_recorder: synapses, not cells
        bool known = false;
        for (const char* m : kReportModules) known = known || module == m;
        if (!known)
            throw config_error(where + ".module: unknown report type '" + module +
                               "' (supported: membrane_report, multimeter_report, multimeter, netcon_report, weight_recorder)");
        std::vector<std::string> variables;
        const auto vit = rep.params.find("variable_name");
        if (vit == rep.params.end()) throw config_error(where + ".variable_name is missing");
        if (vit->is_string()) variables.push_back(vit->get<std::string>());
        else if (vit->is_array())
            for (const auto& v : *vit) {
                if (!v.is_string()) throw config_error(where + ".variable_name: expected names, got " + v.dump());
                variables.push_back(v.get<std::string>());
            }
        else throw config_error(where + ".variable_name must be a name or a list of names");
        const auto cit = rep.params.find("cells");
        if (cit == rep.params.end()) throw config_error(where + ".cells is missing (the node set to record)");

        std::vector<network::Gid> gids;
        for (auto g : network::resolve_node_set(*cit, cfg.node_sets, net, where + ".cells"))
            if (net.simulated[g]) gids.push_back(g);
        if (gids.empty()) throw config_error(where + ".cells selects no simulated neuron");

        const double interval_ms = number_or(rep.params, {"interval", "dt"}, grid.dt_ms, where);
        const double start_ms = number_or(rep.params, {"tstart", "start_time"}, 0.0, where);
        const double stop_ms = number_or(rep.params, {"tstop", "end_time"}, grid.step_to_ms(grid.n_steps), where);
        const Step interval = to_steps_exact(interval_ms, grid, where + ".interval");
        if (interval < 1) throw config_error(where + ".interval must be at least dt");

        std::string file = rep.params.value("file_name", rep.name);
        const bool has_ext = [&] {
            for (const char* ext : {".h5", ".hdf", ".hdf5"})
                if (file.size() > std::strlen(ext) && file.compare(file.size() - std::strlen(ext), std::strlen(ext), ext) == 0)
                    return true;
            return false;
        }();
        const std::string stem = has_ext ? file.substr(0, file.rfind('.')) : file;
        const std::string ext = has_ext ? file.substr(file.rfind('.')) : ".h5";

        for (const auto& var : variables) {
            ReportPlan plan;
            plan.name = rep.name;
            plan.variable = var;
            // One file per variable when a report lists several (BMTK would mix them in one column).
            const std::string name = variables.size() == 1 ? stem + ext : stem + "_" + var + ext;
            plan.file = std::filesystem::path(name).is_absolute() ? std::filesystem::path(name) : cfg.output.output_dir / name;
            plan.gids = gids;
            auto& r = plan.recorder;
            r.interval = interval;
            r.start = grid.ms_to_steps_ceil(start_ms);
            r.stop = std::min(grid.n_steps, grid.ms_to_steps_ceil(stop_ms));
            for (auto g : gids) {
                const std::string& model = net.model_names[net.model_of_gid[g]];
                const auto& names = models::model_recordables(model);
                auto it = std::find_if(names.begin(), names.end(), [&](const auto& n) { return n.first == var; });
                if (it == names.end()) {
                    std::string list;
                    for (const auto& n : names) list += (list.empty() ? "" : ", ") + n.first;
                    throw config_error(where + ".variable_name: '" + var + "' is not a recordable of " + model +
                                       " (recordables: " + list + ")");
                }
                if (!net.is_local(g)) continue;  // recorded by the rank that owns it
                const auto& loc = net.location[g];
                const auto& own = net.groups[static_cast<std::size_t>(loc.group)]->recordables();
                r.flat.push_back(loc.flat);
                r.recordable.push_back(static_cast<std::size_t>(std::find(own.begin(), own.end(), var) - own.begin()));
            }
            plans.push_back(std::move(plan));
        }
    }
    return plans;
}

namespace {

// One ReportPopulation per run of columns of one population (gids are
// sorted, so each population's columns are contiguous); fill(p, j, end) gives
// p its values of columns [j, end).
template <class Fill>
std::vector<output::ReportPopulation> split_by_population(const ReportPlan& plan, std::size_t n_samples,
                                                          const network::Network& net, const TimeGrid& grid,
                                                          Fill&& fill) {
    std::vector<output::ReportPopulation> out;
    const auto& r = plan.recorder;
    const std::size_t n_cols = plan.gids.size();
    std::size_t j = 0;
    while (j < n_cols) {
        const auto& pop = net.population_of(plan.gids[j]);
        std::size_t end = j;
        while (end < n_cols && &net.population_of(plan.gids[end]) == &pop) ++end;
        output::ReportPopulation p;
        p.population = pop.name;
        p.variable = plan.variable;
        for (const auto& [name, units] : models::model_recordables(net.model_names[net.model_of_gid[plan.gids[j]]]))
            if (name == plan.variable) p.units = units;
        for (std::size_t k = j; k < end; ++k) p.node_ids.push_back(net.node_id_of(plan.gids[k]));
        p.n_samples = n_samples;
        p.interval = grid.step_to_ms(r.interval);
        const Step first = (r.start / r.interval + 1) * r.interval;
        p.t_start = grid.step_to_ms(first);
        p.t_stop = grid.step_to_ms(first + static_cast<Step>(n_samples == 0 ? 0 : n_samples - 1) * r.interval);
        fill(p, j, end);
        out.push_back(std::move(p));
        j = end;
    }
    return out;
}

}  // namespace

std::vector<output::ReportPopulation> report_populations(const ReportPlan& plan, const std::vector<double>& data,
                                                         const network::Network& net, const TimeGrid& grid) {
    const std::size_t n_cols = plan.gids.size();
    const std::size_t n_samples = n_cols == 0 ? 0 : data.size() / n_cols;
    return split_by_population(plan, n_samples, net, grid, [&](output::ReportPopulation& p, std::size_t j, std::size_t end) {
        p.data.reserve(n_samples * (end - j));
        for (std::size_t s = 0; s < n_samples; ++s)
            for (std::size_t k = j; k < end; ++k) p.data.push_back(data[s * n_cols + k]);
    });
}

std::vector<output::ReportPopulation> report_populations(const ReportPlan& plan, const output::ReportSpool& rows,
                                                         const network::Network& net, const TimeGrid& grid) {
    return split_by_population(plan, rows.rows(), net, grid, [&](output::ReportPopulation& p, std::size_t j, std::size_t end) {
        p.read_rows = [&rows, j, end](std::size_t first, std::size_t n, std::vector<double>& out) {
            rows.read(first, n, j, end - j, out);
        };
    });
}

}  // namespace pointsim::app
