// pointsim::run: config -> network -> inputs -> engine -> outputs.
#include "pointsim/run.hpp"

#include <chrono>
#include <fstream>
#include <map>
#include <sstream>

#include <spdlog/sinks/ostream_sink.h>

#include "app/reports.hpp"
#include "comm/communicator.hpp"
#include "common/error.hpp"
#include "common/logging.hpp"
#include "config/config.hpp"
#include "engine/simulation.hpp"
#include "inputs/inputs.hpp"
#include "network/network.hpp"
#include "output/staged_files.hpp"
#include "output/writers.hpp"
#include "pointsim/version.hpp"

namespace pointsim {

namespace fs = std::filesystem;

namespace {

using clock_type = std::chrono::steady_clock;

double seconds_since(clock_type::time_point t) {
    return std::chrono::duration<double>(clock_type::now() - t).count();
}

// Keeps the run's log lines in memory until the log file can be written with
// the other outputs (nothing goes to the output folder before success).
class LogCapture {
public:
    LogCapture() : sink_(std::make_shared<spdlog::sinks::ostream_sink_mt>(buffer_)) {
        sink_->set_pattern("%Y-%m-%d %H:%M:%S,%e [%l] %v");
        logging::get()->sinks().push_back(sink_);
    }
    ~LogCapture() {
        auto& sinks = logging::get()->sinks();
        sinks.erase(std::remove(sinks.begin(), sinks.end(), sink_), sinks.end());
    }
    std::string text() const { return buffer_.str(); }

private:
    std::ostringstream buffer_;
    std::shared_ptr<spdlog::sinks::ostream_sink_mt> sink_;
};

// Moves every output path under a new output directory (the --output-dir option).
void redirect_outputs(config::SimulationConfig& cfg, const fs::path& new_dir) {
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

std::vector<output::PopulationSpikes> spikes_by_population(const std::vector<comm::Spike>& spikes,
                                                           const network::Network& net, const TimeGrid& grid) {
    std::map<const network::Population*, output::PopulationSpikes> by_pop;
    for (const auto& s : spikes) {
        const auto& pop = net.population_of(s.gid);
        auto& out = by_pop[&pop];
        out.population = pop.name;
        out.node_ids.push_back(pop.nodes.node_ids[s.gid - pop.first_gid]);
        out.timestamps.push_back(grid.step_to_ms(s.stamp));
    }
    std::vector<output::PopulationSpikes> out;
    for (const auto& pop : net.populations)  // config order
        if (auto it = by_pop.find(&pop); it != by_pop.end()) out.push_back(std::move(it->second));
    return out;
}

void prepare_output_dir(const config::SimulationConfig& cfg, const std::vector<fs::path>& outputs) {
    const fs::path& dir = cfg.output.output_dir;
    std::error_code ec;
    if (fs::exists(dir, ec) && !fs::is_directory(dir, ec))
        throw output_error(cfg.config_path.string() + ": output.output_dir " + dir.string() + " exists and is not a directory");
    if (!cfg.output.overwrite_output_dir) {
        for (const auto& f : outputs)
            if (fs::exists(f, ec))
                throw output_error(cfg.config_path.string() + ": output " + f.string() +
                                   " exists and overwrite_output_dir is false");
    }
    fs::create_directories(dir, ec);
    if (ec) throw output_error("cannot create output directory " + dir.string() + ": " + ec.message());
    for (const auto& f : outputs) {
        fs::create_directories(f.parent_path(), ec);
        if (ec) throw output_error("cannot create directory " + f.parent_path().string() + ": " + ec.message());
    }
}

}  // namespace

RunSummary run(const RunOptions& options) {
    LogCapture capture;
    auto log = logging::get();
    RunSummary summary;
    const auto t_load = clock_type::now();

    log->info("pointsim {} reading {}", kVersion, options.config.string());
    config::SimulationConfig cfg = config::load(options.config);
    if (options.output_dir) redirect_outputs(cfg, fs::absolute(*options.output_dir).lexically_normal());
    const TimeGrid grid = TimeGrid::make(cfg.run.dt, cfg.run.tstop, cfg.config_path.string());
    log->info("Run: tstop {} ms, dt {} ms, {} steps", cfg.run.tstop, grid.dt_ms, grid.n_steps);

    network::Network net = network::build(cfg, grid);
    for (const auto& p : net.populations)
        log->info("Population {}: {} {} nodes ({})", p.name, p.size(), p.is_virtual ? "virtual" : "simulated",
                  p.nodes.file.string());
    for (const auto& g : net.groups) log->info("Model {}: {} neurons", g->model(), g->size());
    log->info("Edges: {} synapses, delays {} to {} steps ({} to {} ms)", net.n_edges, net.connectivity.min_delay,
              net.connectivity.max_delay, grid.step_to_ms(net.connectivity.min_delay),
              grid.step_to_ms(net.connectivity.max_delay));

    auto virtual_spikes = inputs::load_spike_inputs(cfg, net, grid);
    auto clamps = inputs::load_current_clamps(cfg, net, grid);
    auto reports = app::plan_reports(cfg, net, grid);

    // Every file this run will write, to check before simulating.
    std::vector<fs::path> outputs;
    if (cfg.output.spikes_file) outputs.push_back(*cfg.output.spikes_file);
    if (cfg.output.spikes_file_csv) outputs.push_back(*cfg.output.spikes_file_csv);
    if (cfg.output.log_file) outputs.push_back(*cfg.output.log_file);
    for (const auto& r : reports) outputs.push_back(r.file);
    const fs::path config_copy = cfg.output.output_dir / cfg.config_path.filename();
    outputs.push_back(config_copy);
    prepare_output_dir(cfg, outputs);

    summary.n_nodes = net.n_gids();
    summary.n_neurons = net.n_neurons();
    summary.n_edges = net.n_edges;
    summary.load_seconds = seconds_since(t_load);
    log->info("Network built in {:.3f} s", summary.load_seconds);

    comm::LocalCommunicator comm;
    std::vector<engine::Recorder> recorders;
    for (auto& r : reports) recorders.push_back(std::move(r.recorder));
    engine::Simulation sim(net, std::move(virtual_spikes), std::move(clamps), grid, comm);
    log->info("Starting simulation");
    const engine::Result result = sim.run(recorders);
    summary.simulate_seconds = result.simulate_seconds;
    summary.n_spikes = result.spikes.size();
    log->info("Simulation finished in {:.3f} s: {} spikes", result.simulate_seconds, result.spikes.size());

    const auto t_write = clock_type::now();
    output::StagedFiles staged;
    auto spikes = spikes_by_population(result.spikes, net, grid);
    for (const auto& p : spikes)
        log->info("Spikes {}: {} ({:.2f} Hz mean)", p.population, p.timestamps.size(),
                  static_cast<double>(p.timestamps.size()) / static_cast<double>(net.find_population(p.population)->size()) /
                      (grid.step_to_ms(grid.n_steps) / 1000.0));
    if (cfg.output.spikes_file)
        output::write_spikes_h5(staged.stage(*cfg.output.spikes_file), spikes, cfg.output.spikes_sort_order);
    if (cfg.output.spikes_file_csv)
        output::write_spikes_csv(staged.stage(*cfg.output.spikes_file_csv), spikes, cfg.output.spikes_sort_order);
    for (std::size_t k = 0; k < reports.size(); ++k) {
        reports[k].recorder = std::move(recorders[k]);
        output::write_report_h5(staged.stage(reports[k].file), app::report_populations(reports[k], net, grid));
    }
    {
        const fs::path tmp = staged.stage(config_copy);
        std::ofstream out(tmp);
        out << cfg.resolved.dump(2) << '\n';
        if (!out) throw output_error("cannot write " + tmp.string());
    }
    summary.write_seconds = seconds_since(t_write);
    log->info("Outputs written in {:.3f} s to {}", summary.write_seconds, cfg.output.output_dir.string());
    log->info("Done.");
    if (cfg.output.log_file) {
        const fs::path tmp = staged.stage(*cfg.output.log_file);
        std::ofstream out(tmp);
        out << capture.text();
        if (!out) throw output_error("cannot write " + tmp.string());
    }
    staged.commit();
    return summary;
}

}  // namespace pointsim
