// pointsim: command line. Parses arguments, calls the library, maps errors to
// exit codes (docs/errors.md). One line on stderr for any error (rank 0 only
// under MPI, where every rank stops with the same error).
#include <malloc.h>

#include <iostream>
#include <memory>

#include <CLI/CLI.hpp>

#include "comm/communicator.hpp"
#include "common/error.hpp"
#include "common/interrupt.hpp"
#include "common/logging.hpp"
#include "generate/generate.hpp"
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

    try {
        app.parse(argc, argv);
    } catch (const CLI::ParseError& e) {
        const int code = app.exit(e);
        return code == 0 ? 0 : kUsageError;
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

    // MPI only when started by mpirun/srun: a plain run stays a plain process.
    std::unique_ptr<pointsim::comm::Communicator> comm;
    if (pointsim::comm::launched_by_mpi()) comm = pointsim::comm::make_mpi_communicator(&argc, &argv);
    else comm = std::make_unique<pointsim::comm::LocalCommunicator>();
    const bool root = comm->rank() == 0;

    if (quiet || !root) pointsim::logging::set_level(spdlog::level::warn);
    pointsim::interrupt::install_handlers();
    if (!output_dir.empty()) options.output_dir = output_dir;
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
