#pragma once
// Shared by the fuzz targets (docs/reliability.md): a scratch directory for
// the files the parsers read, and the one rule every target follows: a
// pointsim::Error is the expected answer to bad input; any other exception,
// and any crash or sanitizer report, is a finding.
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <exception>
#include <filesystem>
#include <fstream>
#include <string>
#include <typeinfo>

#include <unistd.h>

#include "common/error.hpp"

namespace pointsim::fuzz {

namespace fs = std::filesystem;

// One scratch directory per process under $TMPDIR (.ci/fuzz.sh points it
// into the build directory), created on first use.
inline const fs::path& scratch_dir() {
    static const fs::path dir = [] {
        const char* tmp = std::getenv("TMPDIR");
        fs::path base = tmp && *tmp ? fs::path(tmp) : fs::temp_directory_path();
        fs::create_directories(base);
        fs::path d = base / ("pointsim-fuzz-" + std::to_string(::getpid()));
        fs::create_directories(d);
        return d;
    }();
    return dir;
}

// Writes the fuzz input to scratch_dir()/name, replacing what was there.
inline fs::path write_input(const std::string& name, const std::uint8_t* data, std::size_t size) {
    const fs::path path = scratch_dir() / name;
    std::ofstream out(path, std::ios::binary | std::ios::trunc);
    out.write(reinterpret_cast<const char*>(data), static_cast<std::streamsize>(size));
    out.close();
    if (!out) {
        std::fprintf(stderr, "fuzz: cannot write %s\n", path.c_str());
        std::abort();
    }
    return path;
}

// Runs f; a pointsim::Error is expected, any other exception aborts (a finding).
template <class F>
void expect_only_pointsim_errors(F&& f) {
    try {
        f();
    } catch (const pointsim::Error&) {
        // bad input, reported the documented way
    } catch (const std::exception& e) {
        std::fprintf(stderr, "fuzz: FINDING: unexpected exception %s: %s\n", typeid(e).name(), e.what());
        std::abort();
    } catch (...) {
        std::fprintf(stderr, "fuzz: FINDING: unexpected non-std exception\n");
        std::abort();
    }
}

}  // namespace pointsim::fuzz
