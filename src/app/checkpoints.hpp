#pragma once
// Checkpoint folders (--checkpoint-every, --resume; docs/cluster.md). A
// checkpoint of step N is the folder DIR/checkpoint-N holding every rank's
// state (rank-<r>.state, app/state_file.hpp) and, from rank 0, the outputs
// spooled so far (spikes-<i>.spool, report-<k>.spool). It is written as
// DIR/.checkpoint-N.partial and renamed once every rank has finished, so a
// job killed while writing leaves the previous checkpoint whole; older
// checkpoints are removed after the rename.
#include <filesystem>
#include <optional>

#include "common/time.hpp"

namespace pointsim::app {

std::filesystem::path checkpoint_folder(const std::filesystem::path& dir, Step step);
std::filesystem::path partial_checkpoint_folder(const std::filesystem::path& dir, Step step);
std::filesystem::path rank_state_file(const std::filesystem::path& folder, int rank);

// The checkpoint with the highest step in `dir`, if any (partial ones are ignored).
std::optional<std::filesystem::path> newest_checkpoint(const std::filesystem::path& dir);

// Rank 0, before the ranks write: a fresh, empty partial folder.
// Throws Error(Output) naming the folder.
void start_checkpoint(const std::filesystem::path& dir, Step step);
// Rank 0, after every rank wrote its part: renames the partial folder and
// removes the older checkpoints. Throws Error(Output).
void commit_checkpoint(const std::filesystem::path& dir, Step step);
// On resume: the spool files a killed run left in the output folder
// (".spikes-<i>-<pid>.pointsim-tmp", ".report-<k>-<pid>.rows.pointsim-tmp"
// of another process id); the checkpoint holds what they held.
void remove_stale_spools(const std::filesystem::path& output_dir);
// After a completed run: every checkpoint in `dir`, and `dir` if left empty.
void remove_checkpoints(const std::filesystem::path& dir);

}  // namespace pointsim::app
