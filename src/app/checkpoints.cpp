#include "app/checkpoints.hpp"

#include <fcntl.h>
#include <unistd.h>

#include <string>
#include <system_error>
#include <vector>

#include "common/error.hpp"

namespace pointsim::app {

namespace fs = std::filesystem;

namespace {

constexpr const char* kPrefix = "checkpoint-";

// The step of a "checkpoint-<step>" folder name, or -1.
Step step_of(const std::string& name) {
    const std::string prefix = kPrefix;
    if (name.compare(0, prefix.size(), prefix) != 0 || name.size() == prefix.size()) return -1;
    Step step = 0;
    for (std::size_t i = prefix.size(); i < name.size(); ++i) {
        if (name[i] < '0' || name[i] > '9' || step > (Step{1} << 58)) return -1;
        step = step * 10 + (name[i] - '0');
    }
    return step;
}

// Makes a rename in `dir` durable (POSIX: fsync of the directory).
void sync_folder(const fs::path& dir) {
    const int fd = ::open(dir.c_str(), O_RDONLY | O_DIRECTORY);
    if (fd < 0) return;
    ::fsync(fd);
    ::close(fd);
}

// Every checkpoint folder in `dir` but checkpoint-<keep>, and every
// partial one (best effort: what cannot be removed stays).
void remove_checkpoint_folders(const fs::path& dir, Step keep) {
    std::error_code ec;
    std::vector<fs::path> old;
    for (fs::directory_iterator it(dir, ec), end; !ec && it != end; it.increment(ec)) {
        const std::string name = it->path().filename().string();
        const Step s = step_of(name);
        if ((s >= 0 && s != keep) || name.rfind("." + std::string(kPrefix), 0) == 0) old.push_back(it->path());
    }
    for (const auto& p : old) fs::remove_all(p, ec);
}

}  // namespace

fs::path checkpoint_folder(const fs::path& dir, Step step) { return dir / (kPrefix + std::to_string(step)); }
fs::path partial_checkpoint_folder(const fs::path& dir, Step step) {
    return dir / ("." + std::string(kPrefix) + std::to_string(step) + ".partial");
}
fs::path rank_state_file(const fs::path& folder, int rank) { return folder / ("rank-" + std::to_string(rank) + ".state"); }

std::optional<fs::path> newest_checkpoint(const fs::path& dir) {
    std::error_code ec;
    std::optional<fs::path> best;
    Step best_step = -1;
    for (fs::directory_iterator it(dir, ec), end; !ec && it != end; it.increment(ec)) {
        const Step step = step_of(it->path().filename().string());
        if (step > best_step && it->is_directory(ec)) {
            best_step = step;
            best = it->path();
        }
    }
    return best;
}

void start_checkpoint(const fs::path& dir, Step step) {
    const fs::path partial = partial_checkpoint_folder(dir, step);
    std::error_code ec;
    fs::remove_all(partial, ec);
    fs::create_directories(partial, ec);
    if (ec) throw output_error("cannot create the checkpoint folder " + partial.string() + ": " + ec.message());
}

void commit_checkpoint(const fs::path& dir, Step step) {
    const fs::path partial = partial_checkpoint_folder(dir, step);
    const fs::path final_folder = checkpoint_folder(dir, step);
    std::error_code ec;
    fs::remove_all(final_folder, ec);
    fs::rename(partial, final_folder, ec);
    if (ec) throw output_error("cannot rename " + partial.string() + " to " + final_folder.string() + ": " + ec.message());
    sync_folder(dir);
    // The new checkpoint is in place: the older ones (and any partial
    // folder a killed job left) can go.
    remove_checkpoint_folders(dir, step);
}

void remove_stale_spools(const fs::path& output_dir) {
    const std::string mine = "-" + std::to_string(::getpid()) + ".";
    const std::string suffix = ".pointsim-tmp";
    std::error_code ec;
    std::vector<fs::path> stale;
    for (fs::directory_iterator it(output_dir, ec), end; !ec && it != end; it.increment(ec)) {
        const std::string name = it->path().filename().string();
        const bool spool = name.rfind(".spikes-", 0) == 0 || name.rfind(".report-", 0) == 0;
        const bool tmp = name.size() > suffix.size() && name.compare(name.size() - suffix.size(), suffix.size(), suffix) == 0;
        if (spool && tmp && name.find(mine) == std::string::npos) stale.push_back(it->path());
    }
    for (const auto& p : stale) fs::remove(p, ec);
}

void remove_checkpoints(const fs::path& dir) {
    remove_checkpoint_folders(dir, -1);
    std::error_code ec;
    fs::remove(dir, ec);  // only if empty
}

}  // namespace pointsim::app
