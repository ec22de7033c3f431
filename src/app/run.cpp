// pointsim::run: config -> network -> inputs -> engine -> outputs, on one
// process or on every rank of an MPI job. Building happens in phases; after
// each one the ranks agree on errors (Communicator::agree), so a bad input
// found by any rank stops every rank with the same message and nobody hangs.
#include "pointsim/run.hpp"

#include <sched.h>
#include <sys/resource.h>
#include <unistd.h>

#include <algorithm>
#include <chrono>
#include <cstdlib>
#include <fstream>
#include <map>
#include <memory>
#include <optional>
#include <sstream>
#include <thread>

#include <spdlog/sinks/ostream_sink.h>

#include "app/phase.hpp"
#include "app/progress.hpp"
#include "app/reports.hpp"
#include "app/run_state.hpp"
#include "app/weight_recorder.hpp"
#include "comm/communicator.hpp"
#include "common/error.hpp"
#include "common/logging.hpp"
#include "config/config.hpp"
#include "engine/simulation.hpp"
#include "inputs/inputs.hpp"
#include "network/network.hpp"
#include "output/report_spool.hpp"
#include "output/spike_spool.hpp"
#include "output/staged_files.hpp"
#include "output/writers.hpp"
#include "pointsim/version.hpp"

namespace pointsim {

namespace fs = std::filesystem;
using app::phase;

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

// Rank 0 gets every column of `rows` sample rows of a report: ranks own
// contiguous gid blocks in rank order, so their columns concatenate into the
// plan's gid order.
std::vector<double> gather_rows(comm::Communicator& comm, const engine::Recorder& r, std::size_t rows,
                                std::size_t n_cols) {
    const auto parts = comm.gather(r.data);
    std::vector<double> full;
    if (comm.rank() != 0) return full;
    full.resize(rows * n_cols);
    std::size_t offset = 0;
    for (const auto& part : parts) {
        const std::size_t n_local = rows == 0 ? 0 : part.size() / rows;
        for (std::size_t s = 0; s < rows; ++s)
            std::copy_n(part.begin() + static_cast<std::ptrdiff_t>(s * n_local), n_local,
                        full.begin() + static_cast<std::ptrdiff_t>(s * n_cols + offset));
        offset += n_local;
    }
    return full;
}

void log_summary(const RunSummary& s, const output::SpikeSource& spikes, const network::Network& net,
                 const TimeGrid& grid, int n_ranks) {
    auto log = logging::get();
    const double sim = std::max(s.simulate_seconds, 1e-9);
    const double t_s = grid.step_to_ms(grid.n_steps) / 1000.0;
    log->info("Summary ({} process{}):", n_ranks, n_ranks == 1 ? "" : "es");
    log->info("  {:<28}{:>10.3f} s", "config", s.config_seconds);
    log->info("  {:<28}{:>10.3f} s", "read nodes", s.nodes_seconds);
    if (n_ranks > 1) log->info("  {:<28}{:>10.3f} s", "partition", s.partition_seconds);
    log->info("  {:<28}{:>10.3f} s", "read edges, connectivity", s.edges_seconds);
    log->info("  {:<28}{:>10.3f} s", "neurons, inputs, reports", s.inputs_seconds);
    log->info("  {:<28}{:>10.3f} s  ({:.3g} synaptic events/s, {:.3g} neuron updates/s)", "simulate",
              s.simulate_seconds, static_cast<double>(s.synaptic_events) / sim,
              static_cast<double>(s.n_neurons) * static_cast<double>(grid.n_steps) / sim);
    log->info("  {:<28}{:>10.3f} s", "write", s.write_seconds);
    log->info("  {:<28}{:>10.1f} MB{}", "peak memory", static_cast<double>(s.peak_rss_bytes) / 1e6,
              n_ranks > 1 ? " (largest rank)" : "");
    for (std::size_t i = 0; i < spikes.n_populations(); ++i)
        if (const std::uint64_t n = spikes.count(i))
            log->info("  spikes {:<21}{:>10}  ({:.2f} Hz mean)", spikes.population(i), n,
                      static_cast<double>(n) / static_cast<double>(net.find_population(spikes.population(i))->size()) / t_s);
}

// Threads of all ranks on this machine beyond the cores this process may
// use make every exchange wait for a descheduled thread: with OpenMP's
// default spin-waiting, runs become many times slower. Say so once.
void warn_if_oversubscribed(int threads) {
    cpu_set_t allowed;
    CPU_ZERO(&allowed);
    if (sched_getaffinity(0, sizeof allowed, &allowed) != 0) return;
    const int cores = CPU_COUNT(&allowed);
    int local_ranks = 1;  // processes of this job on this machine (Open MPI, MPICH)
    for (const char* var : {"OMPI_COMM_WORLD_LOCAL_SIZE", "MPI_LOCALNRANKS"})
        if (const char* v = std::getenv(var)) local_ranks = std::max(1, std::atoi(v));
    // With a binding (Open MPI's default), a rank may use only its own cores.
    const bool bound = cores < static_cast<int>(std::thread::hardware_concurrency());
    const int wanted = bound ? threads : threads * local_ranks;
    if (wanted <= cores) return;
    logging::get()->warn("{} thread{}{} on {} core{}: the threads wait for each other at every spike exchange and "
                         "the run may be many times slower (use fewer threads, or set OMP_WAIT_POLICY=passive)",
                         wanted, wanted == 1 ? "" : "s",
                         bound ? " of this process" : local_ranks > 1 ? " in " + std::to_string(local_ranks) + " processes" : "",
                         cores, cores == 1 ? "" : "s");
}

}  // namespace

RunSummary run(const RunOptions& options) {
    comm::LocalCommunicator local;
    return run(options, local);
}

RunSummary run(const RunOptions& options, comm::Communicator& comm) {
    const bool root = comm.rank() == 0;
    std::optional<LogCapture> capture;
    if (root) capture.emplace();
    auto log = logging::get();
    RunSummary summary;
    auto t_phase = clock_type::now();
    // Seconds since the previous call: the phase timers of the summary.
    auto lap = [&t_phase] {
        const double s = seconds_since(t_phase);
        t_phase = clock_type::now();
        return s;
    };

    config::SimulationConfig cfg;
    TimeGrid grid;
    network::Network net;
    int threads = 1;
    phase(comm, [&] {
        log->info("pointsim {} reading {}", kVersion, options.config.string());
        cfg = config::load(options.config);
        if (options.output_dir) redirect_outputs(cfg, fs::absolute(*options.output_dir).lexically_normal());
        grid = TimeGrid::make(cfg.run.dt, cfg.run.tstop, cfg.config_path.string());
        threads = options.threads.value_or(cfg.run.n_thread.value_or(1));
        log->info("Run: tstop {} ms, dt {} ms, {} steps, {} process{} x {} thread{} ({})", cfg.run.tstop, grid.dt_ms,
                  grid.n_steps, comm.size(), comm.size() == 1 ? "" : "es", threads, threads == 1 ? "" : "s",
                  options.threads ? "--threads" : cfg.run.n_thread ? "run.n_thread" : "default");
        if (root) warn_if_oversubscribed(threads);
        summary.config_seconds = lap();
        net = network::read_nodes(cfg);
        summary.nodes_seconds = lap();
    });

    // Partition simulated nodes over ranks, balanced by incoming synapses.
    std::vector<std::uint64_t> incoming;
    if (comm.size() > 1) {
        phase(comm, [&] { incoming = network::count_incoming(cfg, net, comm.rank(), comm.size()); });
        comm.all_reduce_sum(incoming);
    }
    const auto bounds = network::partition(net, incoming, comm.size());
    summary.partition_seconds = lap();

    inputs::SpikeInputs virtual_spikes;
    std::vector<inputs::CurrentClamp> clamps;
    std::vector<app::ReportPlan> reports;
    std::vector<app::WeightRecorderPlan> weight_recorders;
    std::vector<fs::path> outputs;
    const fs::path config_copy_name = cfg.config_path.filename();
    phase(comm, [&] {
        const network::Gid begin = bounds[static_cast<std::size_t>(comm.rank())];
        const network::Gid end = bounds[static_cast<std::size_t>(comm.rank()) + 1];
        const std::size_t blocks = network::create_neuron_groups_in_thread_blocks(cfg, grid, net, begin, end, threads,
                                                                                  options.max_block_neurons, incoming);
        if (blocks != static_cast<std::size_t>(threads))
            log->info("Thread blocks: {} per process (about {} neurons each, for the cache)", blocks,
                      (net.n_neurons() + blocks - 1) / blocks);
        network::read_edges(cfg, grid, net, threads);
        summary.edges_seconds = lap();
        for (const auto& p : net.populations)
            log->info("Population {}: {} {} nodes ({})", p.name, p.size(), p.is_virtual ? "virtual" : "simulated",
                      p.nodes.file.string());
        {
            // One group per model and thread block: log the totals per model.
            std::map<std::string, std::size_t> per_model;
            for (const auto& g : net.groups) per_model[g->model()] += g->size();
            for (const auto& [model, n] : per_model) log->info("Model {}: {} neurons", model, n);
        }
        virtual_spikes = inputs::load_spike_input_stream(cfg, net, grid);
        clamps = inputs::load_current_clamps(cfg, net, grid);
        reports = app::plan_reports(cfg, net, grid);
        weight_recorders = app::plan_weight_recorders(cfg);
        // Every file this run will write, checked before simulating.
        if (cfg.output.spikes_file) outputs.push_back(*cfg.output.spikes_file);
        if (cfg.output.spikes_file_csv) outputs.push_back(*cfg.output.spikes_file_csv);
        if (cfg.output.log_file) outputs.push_back(*cfg.output.log_file);
        for (const auto& r : reports) outputs.push_back(r.file);
        for (const auto& w : weight_recorders) outputs.push_back(w.file);
        outputs.push_back(cfg.output.output_dir / config_copy_name);
        summary.inputs_seconds = lap();
    });
    // What each rank holds: every rank learns every rank's numbers (an
    // all-gather through a sum over disjoint slots), for the log and for the
    // global delay range that fixes the exchange interval.
    constexpr std::size_t kFields = 6;
    std::vector<std::uint64_t> held(kFields * static_cast<std::size_t>(comm.size()), 0);
    const std::size_t mine = kFields * static_cast<std::size_t>(comm.rank());
    held[mine + 0] = net.n_neurons();
    held[mine + 1] = net.n_edges;
    held[mine + 2] = net.n_edge_rows_read;
    held[mine + 3] = static_cast<std::uint64_t>(net.connectivity.min_delay);
    held[mine + 4] = static_cast<std::uint64_t>(net.connectivity.max_delay);
    held[mine + 5] = net.connectivity.narrow ? 32 : 64;
    comm.all_reduce_sum(held);
    std::uint64_t total_edges = 0, min_delay = ~0ULL, max_delay = 0;
    std::uint64_t word_bits_seen = 0;  // bit 0: some rank has 32-bit words, bit 1: 64-bit
    for (int r = 0; r < comm.size(); ++r) {
        const std::uint64_t* h = &held[kFields * static_cast<std::size_t>(r)];
        if (comm.size() > 1) log->info("Rank {}: {} neurons, {} synapses ({} edge rows read)", r, h[0], h[1], h[2]);
        total_edges += h[1];
        if (h[1]) min_delay = std::min(min_delay, h[3]);
        max_delay = std::max(max_delay, h[4]);
        if (h[1]) word_bits_seen |= h[5] == 32 ? 1 : 2;
    }
    if (total_edges)
        log->info("Edges: {} synapses, delays {} to {} steps ({} to {} ms), in {}-bit words", total_edges, min_delay,
                  max_delay, grid.step_to_ms(static_cast<Step>(min_delay)), grid.step_to_ms(static_cast<Step>(max_delay)),
                  word_bits_seen == 1 ? "32" : word_bits_seen == 2 ? "64" : "32/64");

    summary.n_nodes = net.n_gids();
    summary.n_edges = total_edges;
    for (int r = 0; r < comm.size(); ++r) summary.n_neurons += held[kFields * static_cast<std::size_t>(r)];
    summary.inputs_seconds += lap();
    log->info("Network built in {:.3f} s", summary.load_seconds());

    // Report rows are gathered to rank 0 about every 4 MiB (of all columns)
    // and spooled to disk there, so they do not pile up in memory either.
    constexpr std::size_t kReportFlushBytes = std::size_t{4} << 20;
    std::vector<engine::Recorder> recorders;
    std::vector<std::unique_ptr<output::ReportSpool>> report_rows;
    for (std::size_t k = 0; k < reports.size(); ++k) {
        auto& r = reports[k];
        r.recorder.flush_rows = std::max<std::size_t>(1, kReportFlushBytes / (sizeof(double) * std::max<std::size_t>(1, r.gids.size())));
        recorders.push_back(std::move(r.recorder));
        if (root)
            report_rows.push_back(std::make_unique<output::ReportSpool>(cfg.output.output_dir, "report-" + std::to_string(k),
                                                                        r.gids.size()));
    }
    const auto to_report_spool = [&](std::size_t k, const engine::Recorder& r, std::size_t rows) {
        const std::vector<double> full = gather_rows(comm, r, rows, reports[k].gids.size());
        if (root) report_rows[k]->append(full.data(), rows);
    };
    // Every rank must use the same exchange interval: the global minimum delay.
    engine::Simulation sim(net, std::move(virtual_spikes), std::move(clamps), grid, comm,
                           total_edges ? static_cast<Step>(min_delay) : 1, threads);
    // The spikes go to disk as they come (on the rank that writes the
    // outputs), so that memory does not grow with simulated time; every rank
    // passes a sink, so none keeps them all in memory.
    std::optional<output::SpikeSpool> spool;
    if (root) {
        std::vector<output::SpikeSpool::Population> pops;
        for (const auto& p : net.populations) pops.push_back({p.name, p.size()});
        const bool spike_files = cfg.output.spikes_file || cfg.output.spikes_file_csv;
        spool.emplace(spike_files ? std::optional<fs::path>(cfg.output.output_dir) : std::nullopt, std::move(pops),
                      cfg.output.spikes_sort_order);
    }

    // Checkpoints and saved states (docs/cluster.md): the engine restored
    // before the output folder is touched, the spooled outputs after.
    app::RunState state({options.checkpoint_every_ms, options.checkpoint_dir, options.resume, options.save_state,
                         options.restore_state, options.config},
                        cfg, grid, net, comm, threads, total_edges);
    const app::RunState::Spools spools{spool ? &*spool : nullptr, root ? &report_rows : nullptr};
    phase(comm, [&] { state.restore(sim, recorders); });
    // Only once every rank has built its part does anything touch the output folder.
    phase(comm, [&] {
        if (root) prepare_output_dir(cfg, outputs);
    });
    phase(comm, [&] { state.restore_outputs(spools); });

    const auto to_spool = [&](const std::vector<comm::Spike>& spikes) {
        if (!spool) return;
        for (const auto& s : spikes) {
            const network::Population& pop = net.population_of(s.gid);
            const auto row = static_cast<std::size_t>(s.gid - pop.first_gid);
            spool->add(static_cast<std::size_t>(&pop - net.populations.data()), row, pop.nodes.node_ids[row],
                       grid.step_to_ms(s.stamp));
        }
        spool->end_interval();
    };
    log->info("Starting simulation");
    engine::Result result;
    {
        // A bar on a terminal; log lines otherwise (and never with --quiet on a terminal).
        const bool terminal = isatty(fileno(stderr)) != 0;
        app::ProgressReporter progress(grid, root && (!terminal || options.show_progress), terminal && options.show_progress);
        result = sim.run(recorders, [&progress](Step done, Step total) { progress(done, total); }, to_spool,
                         to_report_spool, state.boundary(sim, recorders, spools));
    }
    state.throw_if_stopped(result);
    state.gather_saved_state(sim, recorders);
    summary.simulate_seconds = result.simulate_seconds;
    summary.n_spikes = result.n_spikes;
    if (options.collect_synapse_state) {
        const auto& p = net.plastic;
        for (std::size_t source = 0; source + 1 < p.row_begin.size(); ++source) {
            for (auto k = p.row_begin[source]; k < p.row_begin[source + 1]; ++k) {
                const network::Gid target = net.gid_of_flat[p.target[k]];
                summary.synapses.push_back({network::synapse_model_name(p.kind[k]), net.population_of(source).name,
                                            net.population_of(target).name, net.node_id_of(source),
                                            net.node_id_of(target), p.state_of(k)});
            }
        }
    }
    std::vector<std::uint64_t> events{result.synaptic_events, result.stdp_history_entries};
    comm.all_reduce_sum(events);
    summary.synaptic_events = events[0];
    summary.stdp_history_entries = events[1];
    log->info("Simulation finished in {:.3f} s: {} spikes", result.simulate_seconds, result.n_spikes);

    // Peak memory of every rank, for the summary (Linux: ru_maxrss in KiB).
    rusage usage{};
    getrusage(RUSAGE_SELF, &usage);
    std::vector<std::uint64_t> rss(static_cast<std::size_t>(comm.size()), 0);
    rss[static_cast<std::size_t>(comm.rank())] = static_cast<std::uint64_t>(usage.ru_maxrss) * 1024;
    comm.all_reduce_sum(rss);
    summary.peak_rss_bytes = *std::max_element(rss.begin(), rss.end());

    const auto weight_csv = app::weight_recorder_csv(weight_recorders, result.weight_events, net, comm);

    phase(comm, [&] {
        if (!root) return;
        const auto t_write = clock_type::now();
        output::StagedFiles staged;
        spool->finish();
        if (cfg.output.spikes_file)
            output::write_spikes_h5_from(staged.stage(*cfg.output.spikes_file), *spool, cfg.output.spikes_sort_order);
        if (cfg.output.spikes_file_csv)
            output::write_spikes_csv_from(staged.stage(*cfg.output.spikes_file_csv), *spool, cfg.output.spikes_sort_order);
        for (std::size_t k = 0; k < reports.size(); ++k) {
            reports[k].recorder = std::move(recorders[k]);
            report_rows[k]->finish();
            output::write_report_h5(staged.stage(reports[k].file),
                                    app::report_populations(reports[k], *report_rows[k], net, grid));
        }
        for (std::size_t k = 0; k < weight_recorders.size(); ++k) {
            const fs::path tmp = staged.stage(weight_recorders[k].file);
            std::ofstream out(tmp);
            out << weight_csv[k];
            if (!out) throw output_error("cannot write " + tmp.string());
        }
        const auto& plastic = net.plastic;
        if (const std::size_t n = plastic.count(network::SynapseKind::stdp)) {
            double sum = 0.0;
            for (std::size_t k = 0; k < plastic.size(); ++k)
                if (plastic.kind[k] == network::SynapseKind::stdp) sum += plastic.weight[k];
            log->info("stdp_synapse: {} synapses on rank 0, mean final weight {:.6g}; {} postsynaptic spikes kept",
                      n, sum / static_cast<double>(n), summary.stdp_history_entries);
        }
        for (auto kind : {network::SynapseKind::tsodyks2, network::SynapseKind::tsodyks})
            if (const std::size_t n = plastic.count(kind))
                log->info("{}: {} synapses on rank 0", network::synapse_model_name(kind), n);
        {
            const fs::path tmp = staged.stage(cfg.output.output_dir / config_copy_name);
            std::ofstream out(tmp);
            out << cfg.resolved.dump(2) << '\n';
            if (!out) throw output_error("cannot write " + tmp.string());
        }
        if (options.save_state) state.write_saved_state(staged.stage(*options.save_state));
        summary.write_seconds = seconds_since(t_write);
        log->info("Outputs written in {:.3f} s to {}", summary.write_seconds, cfg.output.output_dir.string());
        log_summary(summary, *spool, net, grid, comm.size());
        log->info("Done.");
        if (cfg.output.log_file) {
            const fs::path tmp = staged.stage(*cfg.output.log_file);
            std::ofstream out(tmp);
            out << capture->text();
            if (!out) throw output_error("cannot write " + tmp.string());
        }
        staged.commit();
        state.remove_checkpoints();
    });
    return summary;
}

}  // namespace pointsim
