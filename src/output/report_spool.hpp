#pragma once
// A report's sample rows on disk while the run goes on, so that memory does
// not grow with simulated time (docs/performance.md): rank 0 appends each
// batch of gathered rows (every column) to a hidden temporary file in the
// output directory, and the report writer reads them back a block of rows
// at a time (ReportPopulation::read_rows).
#include <cstdint>
#include <cstdio>
#include <filesystem>
#include <optional>
#include <string>
#include <vector>

#include "common/state_io.hpp"

namespace pointsim::output {

class ReportSpool {
public:
    // `name` tells the temporary files of several reports apart.
    ReportSpool(const std::filesystem::path& dir, const std::string& name, std::size_t n_cols);
    ~ReportSpool();  // removes its file
    ReportSpool(const ReportSpool&) = delete;
    ReportSpool& operator=(const ReportSpool&) = delete;

    // n_rows rows of n_cols values. A write error is kept; finish() reports it.
    void append(const double* rows, std::size_t n_rows);
    // Checkpoints: save() copies the rows so far into `dir` (<name>.spool)
    // and their count into `meta`; restore() on a new spool starts from them.
    void save(const std::filesystem::path& dir, StateWriter& meta);
    void restore(const std::filesystem::path& dir, StateReader& meta);
    // Flushes the file for reading. Throws Error(Output) naming the file.
    void finish();

    std::size_t rows() const { return rows_; }
    std::size_t cols() const { return cols_; }
    // Columns [col, col + n_cols_out) of rows [first, first + n) into out (row-major).
    void read(std::size_t first, std::size_t n, std::size_t col, std::size_t n_cols_out, std::vector<double>& out) const;

private:
    std::string name_;
    std::filesystem::path file_;
    std::FILE* out_ = nullptr;
    std::size_t cols_;
    std::size_t rows_ = 0;
    std::optional<std::string> error_;
};

}  // namespace pointsim::output
