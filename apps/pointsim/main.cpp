// pointsim: command line. Parses arguments, calls the library, maps errors to
// exit codes (docs/errors.md). One line on stderr for any error.
#include <iostream>

#include <CLI/CLI.hpp>

#include "common/error.hpp"
#include "common/logging.hpp"
#include "pointsim/run.hpp"
#include "pointsim/version.hpp"

namespace {
constexpr int kUsageError = 2;
constexpr int kInternalError = 1;
}  // namespace

int main(int argc, char** argv) {
    CLI::App app{"pointsim: simulate SONATA point-neuron networks (BMTK PointNet configs) with NEST-identical results.\n"
                 "Example: pointsim run examples/tutorial_ch05/config.json"};
    app.set_version_flag("--version", std::string("pointsim ") + pointsim::kVersion);
    app.require_subcommand(1);

    pointsim::RunOptions options;
    std::string output_dir;
    bool quiet = false;
    auto* run = app.add_subcommand("run", "Run the simulation a config describes and write its outputs.\n"
                                          "Example: pointsim run config.json");
    run->add_option("config", options.config, "config.json (or simulation config) to run")->required();
    run->add_option("--output-dir", output_dir, "write outputs here instead of output.output_dir");
    run->add_flag("-q,--quiet", quiet, "log warnings and errors only");

    try {
        app.parse(argc, argv);
    } catch (const CLI::ParseError& e) {
        const int code = app.exit(e);
        return code == 0 ? 0 : kUsageError;
    }

    if (quiet) pointsim::logging::set_level(spdlog::level::warn);
    if (!output_dir.empty()) options.output_dir = output_dir;
    try {
        pointsim::run(options);
        return 0;
    } catch (const pointsim::Error& e) {
        std::cerr << "pointsim: error: " << e.what() << std::endl;
        return e.exit_code();
    } catch (const std::exception& e) {
        std::cerr << "pointsim: internal error: " << e.what() << std::endl;
        return kInternalError;
    }
}
