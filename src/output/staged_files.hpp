#pragma once
// Outputs are written under temporary names and renamed into place only when
// every file is complete, so a failed or interrupted run never leaves a file
// that looks complete, and never destroys the previous run's outputs first.
#include <filesystem>
#include <vector>

namespace pointsim::output {

class StagedFiles {
public:
    StagedFiles() = default;
    StagedFiles(const StagedFiles&) = delete;
    StagedFiles& operator=(const StagedFiles&) = delete;
    ~StagedFiles();  // removes the temporary files of an uncommitted run

    // The temporary path to write `final_path` to ("<dir>/.<name>.pointsim-tmp").
    std::filesystem::path stage(const std::filesystem::path& final_path);
    // Renames every staged file to its final name. Throws Error(Output).
    void commit();

private:
    std::vector<std::pair<std::filesystem::path, std::filesystem::path>> files_;  // tmp, final
    bool committed_ = false;
};

}  // namespace pointsim::output
