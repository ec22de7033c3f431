// pointsim: command line. Parses arguments, calls the library, maps errors to
// exit codes (docs/errors.md). One line on stderr for any error (rank 0 only
// under MPI, where every rank stops with the same error).
#include <malloc.h>

#include <iostream>
#include <memory>

#include <CLI/CLI.hpp>

#include "builder/builder.hpp"
#include "comm/communicator.hpp"
#include "common/error.hpp"
#include "common/interrupt.hpp"
#include "common/logging.hpp"
#include "generate/generate.hpp"
#include "plot/plot.hpp"
#include "workflow/workflow.hpp"
#include "pointsim/run.hpp"
#include "pointsim/version.hpp"

namespace {
constexpr int kUsageError = 2;
constexpr int kInternalError = 1;
}  // namespace

int main(int argc, char** argv) {
    // Edge tables are read in chunks of a few MB that are freed and allocated
    // again and again: keep them in the heap instead of mmap/munmap each time
    // (glibc; measured: 15% of the load time went to page faults).
    mallopt(M_MMAP_THRESHOLD, 32 << 20);
    mallopt(M_TRIM_THRESHOLD, 64 << 20);

    CLI::App app{"pointsim: simulate SONATA point-neuron networks (BMTK PointNet configs) with NEST-identical results.\n"
                 "Example: pointsim run examples/tutorial_ch05/config.json\n"
                 "         mpirun -np 4 pointsim run config.json"};
    app.set_version_flag("--version", std::string("pointsim ") + pointsim::kVersion);
    app.require_subcommand(1);

    pointsim::RunOptions options;
    std::string output_dir;
    bool quiet = false;
    auto* run = app.add_subcommand("run", "Run the simulation a config describes and write its outputs\n"
                                          "where the config says (as BMTK PointNet does).\n"
                                          "Example: pointsim run config.json --output-dir /tmp/out");
    run->add_option("config", options.config, "config.json (or simulation config) to run")->required();
    run->add_option("--output-dir", output_dir, "write outputs here instead of output.output_dir");
    run->add_flag("-q,--quiet", quiet, "log warnings and errors only on the console");
    run->add_option("--threads", options.threads,
                    "threads per process (default: the config's run.n_thread, else 1); the spikes are the same for any")
        ->check(CLI::Range(1, 4096));
    std::string checkpoint_dir, resume_dir, save_state, restore_state;
    run->add_option("--checkpoint-every", options.checkpoint_every_ms,
                    "write a checkpoint every T ms of biological time (and on SIGTERM/SIGUSR1; docs/cluster.md)")
        ->check(CLI::PositiveNumber);
    run->add_option("--checkpoint-dir", checkpoint_dir,
                    "where checkpoints go (default: <output dir>/checkpoints, or the --resume folder)");
    run->add_option("--resume", resume_dir,
                    "continue from the newest checkpoint in this folder (same config, processes and threads)");
    run->add_option("--save-state", save_state, "write the simulation state at the end of the run to this file");
    run->add_option("--restore-state", restore_state,
                    "start from a state saved by --save-state (same circuit; runs from its time to run.tstop)");

    pointsim::builder::BuildOptions build_options;
    std::int64_t build_seed = 0;
    auto* build = app.add_subcommand(
        "build", "Build a SONATA network from a recipe (JSON: networks, node groups, edge groups with connection\n"
                 "rules), as BMTK's NetworkBuilder does; files in BMTK's layout (docs/building.md).\n"
                 "Example: pointsim build examples/tutorial_ch05/build.json --output network");
    build->add_option("recipe", build_options.recipe, "recipe file (JSON)")->required();
    build->add_option("-o,--output", build_options.output_dir, "folder to write the network to")->required();
    auto* build_seed_option = build->add_option("--seed", build_seed, "random seed (default: the recipe's \"seed\", else 0)")
                                  ->check(CLI::Validator(
                                      [](std::string& v) {
                                          return !v.empty() && v[0] == '-' ? "the seed must be >= 0, got " + v : std::string();
                                      },
                                      "SEED >= 0"));
    build->add_option("--threads", build_options.threads, "threads to connect with (0: all cores); the network is the same for any")
        ->capture_default_str();

    pointsim::generate::Options gen;
    auto* generate = app.add_subcommand(
        "generate", "Write a random balanced network (SONATA circuit, Poisson input, configs) for benchmarks\n"
                    "and tests; deterministic from --seed.\n"
                    "Example: pointsim generate /tmp/net --neurons 20000 --indegree 1000 && pointsim run /tmp/net/config.json");
    generate->add_option("out_dir", gen.out_dir, "folder to write the circuit to")->required();
    generate->add_option("--neurons", gen.n_neurons, "number of iaf_psc_alpha neurons (80% excitatory)")->capture_default_str();
    generate->add_option("--indegree", gen.indegree, "recurrent inputs per neuron (80% from excitatory cells)")->capture_default_str();
    generate->add_option("--seed", gen.seed, "random seed")->capture_default_str();
    generate->add_option("--tstop", gen.tstop, "simulated time in ms")->capture_default_str();
    generate->add_option("--dt", gen.dt, "time step in ms")->capture_default_str();
    generate->add_option("--input-rate", gen.input_rate_hz, "Poisson rate of the virtual inputs in Hz")->capture_default_str();
    generate->add_option("--inputs-per-neuron", gen.inputs_per_neuron, "virtual inputs per neuron")->capture_default_str();
    generate->add_option("--input-weight", gen.input_weight, "weight of a virtual input in pA")->capture_default_str();

    pointsim::workflow::InitOptions init_options;
    std::string init_spikes;
    std::vector<std::string> init_iclamps;
    auto* init = app.add_subcommand(
        "init", "Set up a simulation folder for a SONATA network, as BMTK's sim_setup does for PointNet:\n"
                "config.json, circuit_config.json, simulation_config.json and the components folders.\n"
                "Example: pointsim init sim --network network --tstop 3000 --dt 0.1 \\\n"
                "           --spikes-input inputs/lgn_spikes.h5 --input-node-set LGN");
    init->add_option("dir", init_options.dir, "folder to create the simulation in")->required();
    init->add_option("--network", init_options.network_dir, "folder with *_nodes.h5, *_edges.h5 and their type CSVs")->required();
    init->add_option("--tstop", init_options.tstop, "simulated time in ms")->capture_default_str();
    init->add_option("--dt", init_options.dt, "time step in ms")->capture_default_str();
    init->add_option("--spikes-input", init_spikes, "spike file driving virtual nodes (.h5, .csv or .nwb)");
    init->add_option("--input-node-set", init_options.input_node_set, "node set (population) the spike file drives");
    init->add_option("--iclamp", init_iclamps, "current clamp NODESET:AMP_pA:DELAY_ms:DURATION_ms (repeatable)");
    init->add_flag("--force", init_options.force, "overwrite existing files");

    std::string check_config_path, inspect_config_path;
    auto* check = app.add_subcommand(
        "check", "Load and validate everything a run would use, without simulating, and list every problem found.\n"
                 "Exit code 0 only if a run would start.\nExample: pointsim check config.json");
    check->add_option("config", check_config_path, "config.json to check")->required();
    auto* inspect = app.add_subcommand(
        "inspect", "Describe a simulation: populations, node types and models, edges with weight and delay ranges,\n"
                   "inputs, reports, outputs and the memory a run needs.\nExample: pointsim inspect config.json");
    inspect->add_option("config", inspect_config_path, "config.json to describe")->required();

    pointsim::plot::Options plot_options;
    std::string plot_kind, plot_output_dir;
    auto* plot = app.add_subcommand(
        "plot", "Plot a finished run's outputs: spike raster, population rates or V_m traces (PNG, SVG or PDF by\n"
                "the file extension).\n"
                "Example: pointsim plot raster examples/tutorial_ch05/config.json --group-by pop_name -o raster.png");
    plot->add_option("kind", plot_kind, "raster, rates or traces")->required()->check(CLI::IsMember({"raster", "rates", "traces"}));
    plot->add_option("config", plot_options.config, "the config.json of the run")->required();
    plot->add_option("-o,--output", plot_options.out, "image file to write (.png, .svg, .pdf)")->required();
    plot->add_option("--output-dir", plot_output_dir, "where the run wrote its outputs, if not output.output_dir");
    plot->add_option("--group-by", plot_options.group_by, "node attribute that groups and colours cells (or 'population')")
        ->capture_default_str();
    plot->add_option("--bin-ms", plot_options.bin_ms, "rates: bin width in ms")->capture_default_str();
    plot->add_option("--report", plot_options.report, "traces: report name (default: the first V_m report)");
    plot->add_option("--node-ids", plot_options.node_ids, "traces: node ids to draw (default: up to 10)");
    plot->add_option("--width", plot_options.width, "image width in pixels")->capture_default_str();
    plot->add_option("--height", plot_options.height, "image height in pixels")->capture_default_str();

    try {
        app.parse(argc, argv);
    } catch (const CLI::ParseError& e) {
        const int code = app.exit(e);
        return code == 0 ? 0 : kUsageError;
    }

    if (build->parsed()) {
        // Under mpirun the ranks share the connecting; rank 0 writes and reports.
        std::unique_ptr<pointsim::comm::Communicator> build_comm;
        if (pointsim::comm::launched_by_mpi()) build_comm = pointsim::comm::make_mpi_communicator(&argc, &argv);
        build_options.comm = build_comm.get();
        const bool root = !build_comm || build_comm->rank() == 0;
        try {
            if (build_seed_option->count() > 0) build_options.seed = static_cast<std::uint64_t>(build_seed);
            const auto s = pointsim::builder::build_network(build_options);
            if (!root) return 0;
            std::cout << "pointsim: wrote " << build_options.output_dir.string() << ":";
            for (const auto& n : s.networks) std::cout << " " << n.name << " " << n.nodes << " nodes;";
            for (const auto& e : s.edge_files) std::cout << " " << e.population << " " << e.edges << " edges (" << e.synapses << " synapses);";
            for (const auto& f : s.spike_files) std::cout << " " << f.file << " " << f.spikes << " spikes (" << f.trains << " trains);";
            std::cout << " " << s.candidate_pairs << " candidate pairs; " << s.seconds_connect << " s to connect, "
                      << s.seconds_write << " s to write" << std::endl;
            return 0;
        } catch (const pointsim::Error& e) {
            if (root) std::cerr << "pointsim: error: " << e.what() << std::endl;
            return e.exit_code();
        } catch (const std::bad_alloc&) {
            std::cerr << "pointsim: error: out of memory while building " << build_options.recipe.string() << std::endl;
            if (build_comm) pointsim::comm::abort_all(*build_comm, kInternalError);
            return kInternalError;
        } catch (const std::exception& e) {
            std::cerr << "pointsim: internal error: " << e.what() << std::endl;
            if (build_comm) pointsim::comm::abort_all(*build_comm, kInternalError);
            return kInternalError;
        }
    }

    if (generate->parsed()) {
        try {
            const auto s = pointsim::generate::generate_circuit(gen);
            std::cout << "pointsim: wrote " << gen.out_dir.string() << ": " << s.n_neurons << " neurons, " << s.n_virtual
                      << " virtual nodes, " << s.n_edges_recurrent << " recurrent + " << s.n_edges_input
                      << " input synapses, " << s.n_input_spikes << " input spikes" << std::endl;
            return 0;
        } catch (const pointsim::Error& e) {
            std::cerr << "pointsim: error: " << e.what() << std::endl;
            return e.exit_code();
        }
    }

    if (init->parsed() || check->parsed() || inspect->parsed()) {
        // Loaders log what they read at info level: keep the console to warnings.
        pointsim::logging::set_level(spdlog::level::warn);
        try {
            if (init->parsed()) {
                if (!init_spikes.empty()) init_options.spikes_input = init_spikes;
                for (const auto& spec : init_iclamps) init_options.iclamps.push_back(pointsim::workflow::parse_iclamp(spec));
                pointsim::workflow::init_simulation(init_options);
                std::cout << "pointsim: wrote " << (init_options.dir / "config.json").string()
                          << "; run it with: pointsim run " << (init_options.dir / "config.json").string() << std::endl;
                return 0;
            }
            if (inspect->parsed()) {
                std::cout << pointsim::workflow::inspect_config(inspect_config_path);
                return 0;
            }
            const auto problems = pointsim::workflow::check_config(check_config_path);
            for (const auto& p : problems) std::cout << "pointsim: error: " << p.message << "\n";
            if (problems.empty()) {
                std::cout << "pointsim: " << check_config_path << ": no problems found; a run would start" << std::endl;
                return 0;
            }
            std::cout << "pointsim: " << problems.size() << " problem" << (problems.size() == 1 ? "" : "s") << " found in "
                      << check_config_path << std::endl;
            return static_cast<int>(problems.front().kind);
        } catch (const pointsim::Error& e) {
            std::cerr << "pointsim: error: " << e.what() << std::endl;
            return e.exit_code();
        }
    }

    if (plot->parsed()) {
        try {
            plot_options.kind = *pointsim::plot::kind_from_name(plot_kind);
            if (!plot_output_dir.empty()) plot_options.output_dir = plot_output_dir;
            const auto s = pointsim::plot::plot(plot_options);
            std::cout << "pointsim: wrote " << plot_options.out.string() << " (" << s.n_spikes << " spikes, " << s.n_groups
                      << " groups, " << s.n_series << " series)" << std::endl;
            return 0;
        } catch (const pointsim::Error& e) {
            std::cerr << "pointsim: error: " << e.what() << std::endl;
            return e.exit_code();
        }
    }

    // MPI only when started by mpirun/srun: a plain run stays a plain process.
    std::unique_ptr<pointsim::comm::Communicator> comm;
    if (pointsim::comm::launched_by_mpi()) comm = pointsim::comm::make_mpi_communicator(&argc, &argv);
    else comm = std::make_unique<pointsim::comm::LocalCommunicator>();
    const bool root = comm->rank() == 0;

    if (quiet || !root) pointsim::logging::set_level(spdlog::level::warn);
    pointsim::interrupt::install_handlers();
    if (!output_dir.empty()) options.output_dir = output_dir;
    if (!checkpoint_dir.empty()) options.checkpoint_dir = checkpoint_dir;
    if (!resume_dir.empty()) options.resume = resume_dir;
    if (!save_state.empty()) options.save_state = save_state;
    if (!restore_state.empty()) options.restore_state = restore_state;
    options.show_progress = !quiet;
    int code = 0;
    try {
        pointsim::run(options, *comm);
    } catch (const pointsim::Error& e) {
        if (root) std::cerr << "pointsim: error: " << e.what() << std::endl;
        code = e.exit_code();
        // Stopped by a signal: the shell convention 128 + signal number (130 SIGINT, 143 SIGTERM).
        if (e.kind() == pointsim::ErrorKind::Interrupted && pointsim::interrupt::requested())
            code = 128 + pointsim::interrupt::requested();
    } catch (const std::exception& e) {
        if (root) std::cerr << "pointsim: internal error: " << e.what() << std::endl;
        code = kInternalError;
    }
    return code;  // ~Communicator finalises MPI
}
