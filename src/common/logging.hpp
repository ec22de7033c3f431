#pragma once
// The one shared service: a named spdlog logger ("pointsim") that writes to the
// console and, once the output directory is known, to the configured log file.
#include <filesystem>
#include <memory>

#include <spdlog/spdlog.h>

namespace pointsim::logging {

// Creates (or returns) the logger. Console output goes to stderr so that
// stdout stays clean for scripts.
std::shared_ptr<spdlog::logger> get();

// Adds a file sink (PointNet's log_file). Returns false if it cannot be opened.
void add_file_sink(const std::filesystem::path& file);

// Drops the file sink (the file is closed) so it can be renamed.
void remove_file_sinks();

// Console verbosity (--quiet: warn). The log file still gets info and above.
void set_level(spdlog::level::level_enum level);

}  // namespace pointsim::logging
