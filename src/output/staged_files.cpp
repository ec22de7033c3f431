#include "output/staged_files.hpp"

#include <system_error>

#include "common/error.hpp"

namespace pointsim::output {

namespace fs = std::filesystem;

StagedFiles::~StagedFiles() {
    if (committed_) return;
    for (const auto& [tmp, final_path] : files_) {
        std::error_code ec;
        fs::remove(tmp, ec);  // best effort: nothing to report from a destructor
    }
}

fs::path StagedFiles::stage(const fs::path& final_path) {
    fs::path tmp = final_path.parent_path() / ("." + final_path.filename().string() + ".pointsim-tmp");
    files_.emplace_back(tmp, final_path);
    return tmp;
}

void StagedFiles::commit() {
    for (const auto& [tmp, final_path] : files_) {
        std::error_code ec;
        fs::rename(tmp, final_path, ec);
        if (ec) throw output_error("cannot move " + tmp.string() + " to " + final_path.string() + ": " + ec.message());
    }
    committed_ = true;
}

}  // namespace pointsim::output
