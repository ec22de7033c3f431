#pragma once
// The run's checkpoints and saved states (docs/cluster.md): restoring the
// engine and the outputs spooled so far at the start (--resume,
// --restore-state), the engine's Boundary that writes checkpoints every T
// ms and stops on SIGTERM/SIGUSR1 after writing one (--checkpoint-every),
// and the state saved at the end (--save-state). The files themselves are
// app/state_file.hpp, the folders app/checkpoints.hpp.
#include <cstdint>
#include <filesystem>
#include <memory>
#include <optional>
#include <vector>

#include <nlohmann/json.hpp>

#include "common/time.hpp"
#include "engine/simulation.hpp"

namespace pointsim {
namespace config { struct SimulationConfig; }
namespace output {
class SpikeSpool;
class ReportSpool;
}  // namespace output
}  // namespace pointsim

namespace pointsim::app {

// The command line's say in it (RunOptions' fields of the same names).
struct StateOptions {
    double checkpoint_every_ms = 0.0;
    std::optional<std::filesystem::path> checkpoint_dir, resume, save_state, restore_state;
    std::filesystem::path config;  // as given, for the resume hint
};

class RunState {
public:
    // Rank 0's spooled outputs (null / empty on the other ranks).
    struct Spools {
        output::SpikeSpool* spikes = nullptr;
        std::vector<std::unique_ptr<output::ReportSpool>>* reports = nullptr;
    };

    RunState(StateOptions options, const config::SimulationConfig& cfg, const TimeGrid& grid,
             const network::Network& net, comm::Communicator& comm, int threads, std::uint64_t total_synapses);

    // Checkpoints on: --checkpoint-every, --checkpoint-dir or --resume.
    bool checkpointing() const { return checkpointing_; }

    // Every rank, before anything touches the output folder: the engine
    // (and, resuming, the recorders) from --resume or --restore-state.
    // Throws Error naming the file for a state that does not fit the run;
    // the caller agrees on errors between ranks.
    void restore(engine::Simulation& sim, std::vector<engine::Recorder>& recorders);
    // Rank 0, once the output folder exists, resuming: the outputs spooled
    // up to the checkpoint (and the spool files the killed run left removed).
    void restore_outputs(const Spools& spools);

    // The engine's Boundary (null without checkpoints). The references must
    // outlive the run.
    engine::Simulation::Boundary boundary(engine::Simulation& sim, const std::vector<engine::Recorder>& recorders,
                                          const Spools& spools);
    // After run(): throws Error(Checkpointed) if a signal stopped it.
    void throw_if_stopped(const engine::Result& result) const;

    // Every rank after a complete run, with --save-state: the state's parts
    // gathered to rank 0; then rank 0 writes them to `file` (a staged name).
    void gather_saved_state(engine::Simulation& sim, const std::vector<engine::Recorder>& recorders);
    void write_saved_state(const std::filesystem::path& file) const;

    // Rank 0 after the outputs are committed: the checkpoints are of no more use.
    void remove_checkpoints() const;

private:
    nlohmann::json header(const char* kind, Step step) const;
    std::vector<char> engine_state(engine::Simulation& sim, const std::vector<engine::Recorder>& recorders) const;
    void write_checkpoint(engine::Simulation& sim, const std::vector<engine::Recorder>& recorders, const Spools& spools,
                          Step step);

    StateOptions options_;
    const config::SimulationConfig& cfg_;
    const TimeGrid& grid_;
    comm::Communicator& comm_;
    int threads_;
    bool checkpointing_;
    std::filesystem::path checkpoint_dir_;
    nlohmann::json circuit_;
    std::uint32_t local_print_ = 0;  // this rank's synapses and groups
    std::uint32_t config_print_ = 0;
    std::optional<std::filesystem::path> resumed_from_;  // the checkpoint folder
    std::size_t resumed_parts_ = 0;
    Step every_ = 0;                                     // checkpoint interval in steps (0: only on signals)
    Step last_checkpoint_ = -1;
    int stopped_by_ = 0;
    std::vector<std::vector<char>> saved_parts_;
};

}  // namespace pointsim::app
