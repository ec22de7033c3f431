#include "app/run_state.hpp"

#include <algorithm>
#include <chrono>
#include <csignal>
#include <cstdlib>
#include <cstring>
#include <string>
#include <thread>
#include <utility>

#include "app/checkpoints.hpp"
#include "app/phase.hpp"
#include "app/state_file.hpp"
#include "common/error.hpp"
#include "common/text.hpp"
#include "common/interrupt.hpp"
#include "common/logging.hpp"
#include "common/state_io.hpp"
#include "config/config.hpp"
#include "network/network.hpp"
#include "output/report_spool.hpp"
#include "output/spike_spool.hpp"
#include "pointsim/version.hpp"

namespace pointsim::app {

namespace fs = std::filesystem;
using Json = nlohmann::json;

RunState::RunState(StateOptions options, const config::SimulationConfig& cfg, const TimeGrid& grid,
                   const network::Network& net, comm::Communicator& comm, int threads, std::uint64_t total_synapses)
    : options_(std::move(options)),
      cfg_(cfg),
      grid_(grid),
      comm_(comm),
      threads_(threads),
      checkpointing_(options_.checkpoint_every_ms > 0.0 || options_.checkpoint_dir || options_.resume),
      checkpoint_dir_(options_.checkpoint_dir ? fs::absolute(*options_.checkpoint_dir)
                      : options_.resume       ? fs::absolute(*options_.resume)
                                              : cfg.output.output_dir / "checkpoints"),
      circuit_(circuit_fingerprint(net, grid.dt_ms, total_synapses)),
      config_print_(config_fingerprint(cfg)),
      every_(options_.checkpoint_every_ms > 0.0 ? std::max<Step>(1, grid.ms_to_steps_ceil(options_.checkpoint_every_ms)) : 0) {
    if (checkpointing_ || options_.save_state || options_.restore_state) local_print_ = local_fingerprint(net);
    if (checkpointing_)
        logging::get()->info("Checkpoints: {}on SIGTERM/SIGUSR1, in {}",
                             every_ ? "every " + number_text(grid.step_to_ms(every_)) + " ms and " : "", checkpoint_dir_.string());
}

void RunState::restore(engine::Simulation& sim, std::vector<engine::Recorder>& recorders) {
    if (options_.resume && options_.restore_state)
        throw config_error("--resume and --restore-state cannot be used together: a checkpoint already holds the state");
    if (!options_.resume && !options_.restore_state) return;
    const bool resume = options_.resume.has_value();
    fs::path file;
    if (resume) {
        resumed_from_ = newest_checkpoint(*options_.resume);
        if (!resumed_from_)
            throw input_error(options_.resume->string() + ": no checkpoint to resume from (no checkpoint-<step> folder)");
        file = rank_state_file(*resumed_from_, comm_.rank());
    } else {
        file = *options_.restore_state;
    }
    // A checkpoint has a file per rank; a saved state one part per rank.
    const StatePart part = read_state_part(file, resume ? 0 : static_cast<std::size_t>(comm_.rank()));
    resumed_parts_ = part.n_parts;
    const Json& h = part.header;
    const std::string kind = resume ? "checkpoint" : "state";
    if (h.value("kind", "") != kind)
        throw input_error(file.string() + ": a " + h.value("kind", std::string("unknown")) + " file, not a " + kind + " file" +
                          (resume ? "" : " (a checkpoint is resumed with --resume)"));
    check_same_circuit(file, h.value("circuit", Json()), circuit_);
    const int ranks = h.value("processes", 0);
    if (ranks != comm_.size())
        throw input_error(file.string() + ": saved by " + std::to_string(ranks) + " process(es); this run has " +
                          std::to_string(comm_.size()) + " (use the same number)");
    if (resume && h.value("config", 0u) != config_print_)
        throw input_error(file.string() + ": written by a run of another config (" + h.value("config_file", std::string()) +
                          "); a checkpoint resumes only the run that wrote it");
    const Step step = h.value("step", Step{0});
    if (!resume && step >= grid_.n_steps)
        throw config_error(cfg_.config_path.string() + ": run.tstop (" + number_text(cfg_.run.tstop) +
                           " ms) is not after the time of the saved state " + file.string() + " (" +
                           number_text(grid_.step_to_ms(step)) + " ms)");
    StateReader in(part.bytes.data(), part.bytes.size(), file.string());
    in.section("process");
    if (in.get<std::uint32_t>() != local_print_)
        throw in.mismatch("the synapses or neuron groups of process " + std::to_string(comm_.rank()) + " differ");
    if (!resume)  // a new run from the state: no samples before its time
        for (auto& r : recorders) r.start = std::max(r.start, step);
    sim.restore_state(in, recorders, resume);
    logging::get()->info("{} from {} at t = {} ms", resume ? "Resuming" : "Starting", file.string(), grid_.step_to_ms(step));
}

void RunState::restore_outputs(const Spools& spools) {
    if (!resumed_from_ || !spools.spikes) return;
    remove_stale_spools(cfg_.output.output_dir);
    const fs::path file = rank_state_file(*resumed_from_, 0);
    if (resumed_parts_ < 2) throw input_error(file.string() + ": the checkpoint has no outputs part (not written by rank 0)");
    const StatePart part = read_state_part(file, 1);
    StateReader in(part.bytes.data(), part.bytes.size(), file.string());
    in.section("outputs");
    spools.spikes->restore(*resumed_from_, in);
    for (auto& r : *spools.reports) r->restore(*resumed_from_, in);
    if (!in.at_end()) throw in.mismatch("bytes left after the outputs");
}

Json RunState::header(const char* kind, Step step) const {
    return Json{{"kind", kind},
                {"step", step},
                {"t_ms", grid_.step_to_ms(step)},
                {"processes", comm_.size()},
                {"threads", threads_},
                {"circuit", circuit_},
                {"config", config_print_},
                {"config_file", cfg_.config_path.string()},
                {"pointsim", kVersion}};
}

std::vector<char> RunState::engine_state(engine::Simulation& sim, const std::vector<engine::Recorder>& recorders) const {
    StateWriter w;
    w.section("process");
    w.put(local_print_);
    sim.save_state(w, recorders);
    return w.take();
}

void RunState::write_checkpoint(engine::Simulation& sim, const std::vector<engine::Recorder>& recorders,
                                const Spools& spools, Step step) {
    const auto started = std::chrono::steady_clock::now();
    const bool root = comm_.rank() == 0;
    phase(comm_, [&] {
        if (root) start_checkpoint(checkpoint_dir_, step);
    });
    phase(comm_, [&] {
        const fs::path folder = partial_checkpoint_folder(checkpoint_dir_, step);
        std::vector<std::vector<char>> parts{engine_state(sim, recorders), {}};
        if (root) {
            StateWriter o;
            o.section("outputs");
            spools.spikes->save(folder, o);
            for (auto& r : *spools.reports) r->save(folder, o);
            parts[1] = o.take();
        }
        write_state_file(rank_state_file(folder, comm_.rank()), header("checkpoint", step), parts);
    });
    phase(comm_, [&] {
        if (root) commit_checkpoint(checkpoint_dir_, step);
    });
    last_checkpoint_ = step;
    logging::get()->info("Checkpoint at t = {} ms written to {} in {:.3f} s", grid_.step_to_ms(step),
                         checkpoint_folder(checkpoint_dir_, step).string(),
                         std::chrono::duration<double>(std::chrono::steady_clock::now() - started).count());
    // Test hook (tests/cli/checkpoint.sh, docs/reliability.md): hold the run
    // here for up to this many ms, or until a signal, so that a test can
    // kill it at a known point however fast the circuit runs.
    if (const char* hold = std::getenv("POINTSIM_TEST_HOLD_AFTER_CHECKPOINT_MS")) {
        const auto until = std::chrono::steady_clock::now() + std::chrono::milliseconds(std::atol(hold));
        while (std::chrono::steady_clock::now() < until && !interrupt::requested())
            std::this_thread::sleep_for(std::chrono::milliseconds(5));
    }
}

engine::Simulation::Boundary RunState::boundary(engine::Simulation& sim, const std::vector<engine::Recorder>& recorders,
                                                const Spools& spools) {
    if (!checkpointing_) return {};
    return [this, &sim, &recorders, spools, next = every_ ? (sim.start_step() / every_ + 1) * every_ : Step{0}](
               Step done, int signal) mutable {
        if (done >= grid_.n_steps) return false;  // the run is complete: its outputs follow
        if (signal) {
            if (last_checkpoint_ != done) write_checkpoint(sim, recorders, spools, done);
            stopped_by_ = signal;
            return true;
        }
        if (every_ && done >= next) {
            write_checkpoint(sim, recorders, spools, done);
            next = (done / every_ + 1) * every_;
        }
        return false;
    };
}

void RunState::throw_if_stopped(const engine::Result& result) const {
    if (result.stopped_at < 0) return;
    const char* name = stopped_by_ == SIGTERM ? "SIGTERM" : stopped_by_ == SIGUSR1 ? "SIGUSR1" : "SIGINT";
    throw Error(ErrorKind::Checkpointed,
                std::string("stopped by ") + name + " at t = " + number_text(grid_.step_to_ms(result.stopped_at)) +
                    " ms; checkpoint written to " + checkpoint_folder(checkpoint_dir_, result.stopped_at).string() +
                    "; continue with: pointsim run " + options_.config.string() + " --resume " + checkpoint_dir_.string());
}

void RunState::gather_saved_state(engine::Simulation& sim, const std::vector<engine::Recorder>& recorders) {
    if (!options_.save_state) return;
    // The communicator gathers words: each part goes as its size and its bytes.
    const std::vector<char> mine = engine_state(sim, recorders);
    std::vector<std::uint64_t> words(1 + (mine.size() + 7) / 8, 0);
    words[0] = mine.size();
    std::memcpy(words.data() + 1, mine.data(), mine.size());
    auto parts = comm_.gather(words);
    if (comm_.rank() != 0) return;
    for (const auto& part : parts) {
        std::vector<char> bytes(static_cast<std::size_t>(part[0]));
        std::memcpy(bytes.data(), part.data() + 1, bytes.size());
        saved_parts_.push_back(std::move(bytes));
    }
}

void RunState::write_saved_state(const fs::path& file) const {
    write_state_file(file, header("state", grid_.n_steps), saved_parts_);
}

void RunState::remove_checkpoints() const {
    if (checkpointing_) app::remove_checkpoints(checkpoint_dir_);
}

}  // namespace pointsim::app
