#pragma once
// Shared by the test suites that prepare input files and run the binary (tests/bad_inputs,
// tests/bad_recipes, tests/cli, tests/unit/*): a temporary folder, and the
// text and JSON edits that mutate a copied input. Header-only, test code only.
#include <atomic>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <functional>
#include <sstream>
#include <stdexcept>
#include <string>
#include <system_error>
#include <vector>

#include <sys/wait.h>
#include <unistd.h>

namespace pointsim::testing_files {

namespace fs = std::filesystem;

// A fresh folder under the system's temporary directory, removed with its
// contents when the object goes away.
class TempDir {
public:
    explicit TempDir(const std::string& prefix = "pointsim_test") {
        static std::atomic<int> counter{0};
        path_ = fs::temp_directory_path() / (prefix + "_" + std::to_string(::getpid()) + "_" + std::to_string(counter++));
        fs::remove_all(path_);
        fs::create_directories(path_);
    }
    ~TempDir() {
        std::error_code ec;
        fs::remove_all(path_, ec);
    }
    TempDir(const TempDir&) = delete;
    TempDir& operator=(const TempDir&) = delete;
    const fs::path& path() const { return path_; }

private:
    fs::path path_;
};

inline std::string read_text(const fs::path& file) {
    std::ifstream in(file, std::ios::binary);
    std::ostringstream s;
    s << in.rdbuf();
    return s.str();
}

inline void write_text(const fs::path& file, const std::string& text) {
    std::ofstream out(file, std::ios::binary | std::ios::trunc);
    out << text;
    if (!out.good()) throw std::runtime_error("cannot write " + file.string());
}

inline std::vector<std::string> lines_of(const std::string& text) {
    std::vector<std::string> lines;
    std::istringstream in(text);
    for (std::string line; std::getline(in, line);) lines.push_back(line);
    return lines;
}

// Parses `file` as Json (nlohmann::json or ordered_json), edits it, writes it back.
template <class Json>
void edit_json(const fs::path& file, const std::function<void(Json&)>& edit) {
    Json doc = Json::parse(read_text(file));
    edit(doc);
    write_text(file, doc.dump(2));
}

// Replaces the one occurrence of `from`; throws if it is missing or repeated
// (a mutation that silently did nothing would make a case meaningless).
inline void replace_once(const fs::path& file, const std::string& from, const std::string& to) {
    std::string text = read_text(file);
    const auto at = text.find(from);
    if (at == std::string::npos) throw std::runtime_error("'" + from + "' not in " + file.string());
    if (text.find(from, at + 1) != std::string::npos) throw std::runtime_error("'" + from + "' twice in " + file.string());
    text.replace(at, from.size(), to);
    write_text(file, text);
}

// 1-based number of the first line holding `needle`.
inline int line_of(const fs::path& file, const std::string& needle) {
    const auto lines = lines_of(read_text(file));
    for (std::size_t i = 0; i < lines.size(); ++i)
        if (lines[i].find(needle) != std::string::npos) return static_cast<int>(i) + 1;
    throw std::runtime_error("'" + needle + "' not in " + file.string());
}

// A word for /bin/sh in single quotes (test paths hold no quote characters).
inline std::string quoted(const std::string& s) { return "'" + s + "'"; }

struct RunResult {
    int code = -1;  // exit code, or 128 + signal number
    std::string out, err;
};

// Runs a shell command line (its words already quoted) from `dir` and
// captures its exit code, stdout and stderr (through files in `dir`).
inline RunResult run_in(const fs::path& dir, const std::string& command) {
    const fs::path out = dir / "run.stdout", err = dir / "run.stderr";
    const std::string cmd = "cd " + quoted(dir.string()) + " && " + command + " >" + quoted(out.string()) + " 2>" +
                            quoted(err.string());
    const int status = std::system(cmd.c_str());
    RunResult r;
    r.code = WIFEXITED(status) ? WEXITSTATUS(status) : 128 + (WIFSIGNALED(status) ? WTERMSIG(status) : 0);
    r.out = read_text(out);
    r.err = read_text(err);
    fs::remove(out);
    fs::remove(err);
    return r;
}

}  // namespace pointsim::testing_files
