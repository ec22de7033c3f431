#pragma once
// Errors the user can act on. Every message names the file, the key or
// dataset, and the row or value at fault; apps/pointsim maps the kind to an
// exit code (docs/errors.md).
#include <stdexcept>
#include <string>

namespace pointsim {

enum class ErrorKind {
    Config = 3,   // config JSON: syntax, missing or invalid keys, manifest
    Input = 4,    // circuit and input files: CSV, HDF5, spike files, components
    Model = 5,    // model or parameter not supported or invalid
    Output = 6,   // output directory or files cannot be written
    Checkpointed = 75,  // SIGTERM/SIGUSR1 with checkpoints: checkpoint written, resume with --resume (EX_TEMPFAIL)
    Interrupted = 130,  // SIGINT/SIGTERM: the run stopped cleanly, nothing written (128 + SIGINT)
};

class Error : public std::runtime_error {
public:
    Error(ErrorKind kind, const std::string& message) : std::runtime_error(message), kind_(kind) {}
    ErrorKind kind() const { return kind_; }
    int exit_code() const { return static_cast<int>(kind_); }

private:
    ErrorKind kind_;
};

inline Error config_error(const std::string& m) { return Error(ErrorKind::Config, m); }
inline Error input_error(const std::string& m) { return Error(ErrorKind::Input, m); }
inline Error model_error(const std::string& m) { return Error(ErrorKind::Model, m); }
inline Error output_error(const std::string& m) { return Error(ErrorKind::Output, m); }

}  // namespace pointsim
