#include "output/report_spool.hpp"

#include <unistd.h>

#include <cerrno>
#include <cstring>
#include <memory>
#include <stdexcept>
#include <system_error>

#include "common/error.hpp"

namespace pointsim::output {

namespace fs = std::filesystem;

ReportSpool::ReportSpool(const fs::path& dir, const std::string& name, std::size_t n_cols)
    // Hidden and named like the staged outputs: a killed run leaves a ".pointsim-tmp" file at most.
    : name_(name), file_(dir / ("." + name + "-" + std::to_string(::getpid()) + ".rows.pointsim-tmp")), cols_(n_cols) {}

ReportSpool::~ReportSpool() {
    if (out_) std::fclose(out_);
    std::error_code ec;
    fs::remove(file_, ec);  // best effort: nothing to report from a destructor
}

void ReportSpool::append(const double* rows, std::size_t n_rows) {
    if (error_ || n_rows == 0) return;
    rows_ += n_rows;
    if (cols_ == 0) return;
    errno = 0;
    if (!out_ && !(out_ = std::fopen(file_.c_str(), "wb"))) {
        error_ = std::string(errno ? std::strerror(errno) : "cannot open");
        return;
    }
    errno = 0;
    if (std::fwrite(rows, sizeof(double) * cols_, n_rows, out_) != n_rows)
        error_ = std::string(errno ? std::strerror(errno) : "write failed");
}

void ReportSpool::save(const fs::path& dir, StateWriter& meta) {
    if (error_) throw output_error("cannot write the report spool '" + file_.string() + "': " + *error_);
    meta.put<std::uint64_t>(rows_);
    meta.put<std::uint64_t>(cols_);
    meta.put<std::uint8_t>(out_ != nullptr);
    if (!out_) return;
    if (std::fflush(out_) != 0) throw output_error("cannot write the report spool '" + file_.string() + "': " + std::strerror(errno));
    std::error_code ec;
    fs::copy_file(file_, dir / (name_ + ".spool"), fs::copy_options::overwrite_existing, ec);
    if (ec) throw output_error("cannot copy " + file_.string() + " to " + (dir / (name_ + ".spool")).string() + ": " + ec.message());
}

void ReportSpool::restore(const fs::path& dir, StateReader& meta) {
    rows_ = meta.get<std::uint64_t>();
    if (const auto cols = meta.get<std::uint64_t>(); cols != cols_)
        throw meta.mismatch("report " + name_ + " has " + std::to_string(cols) + " columns there, " + std::to_string(cols_) + " here");
    if (!meta.get<std::uint8_t>()) return;
    const fs::path saved = dir / (name_ + ".spool");
    std::error_code ec;
    if (fs::file_size(saved, ec) != rows_ * cols_ * sizeof(double) || ec)
        throw input_error(saved.string() + ": missing or not " + std::to_string(rows_) + " rows of the report");
    fs::copy_file(saved, file_, fs::copy_options::overwrite_existing, ec);
    if (ec) throw output_error("cannot copy " + saved.string() + " to " + file_.string() + ": " + ec.message());
    errno = 0;
    if (!(out_ = std::fopen(file_.c_str(), "ab")))
        throw output_error("cannot write the report spool '" + file_.string() + "': " + std::strerror(errno));
}

void ReportSpool::finish() {
    if (out_) {
        errno = 0;
        if (std::fclose(out_) != 0 && !error_) error_ = std::string(errno ? std::strerror(errno) : "close failed");
        out_ = nullptr;
    }
    if (error_) throw output_error("cannot write the report spool '" + file_.string() + "': " + *error_);
}

void ReportSpool::read(std::size_t first, std::size_t n, std::size_t col, std::size_t n_cols_out,
                       std::vector<double>& out) const {
    if (out_) throw std::logic_error("ReportSpool: read before finish()");
    if (first + n > rows_ || col + n_cols_out > cols_) throw std::logic_error("ReportSpool: read past the end");
    out.resize(n * n_cols_out);
    if (n == 0 || n_cols_out == 0) return;
    struct Closer {
        void operator()(std::FILE* f) const { std::fclose(f); }
    };
    errno = 0;
    std::unique_ptr<std::FILE, Closer> in(std::fopen(file_.c_str(), "rb"));
    auto fail = [&](const char* what) {
        throw output_error("cannot read the report spool '" + file_.string() + "': " +
                           (errno ? std::strerror(errno) : what));
    };
    if (!in) fail("cannot open");
    if (std::fseek(in.get(), static_cast<long>(first * cols_ * sizeof(double)), SEEK_SET) != 0) fail("cannot seek");
    std::vector<double> row(cols_);
    for (std::size_t r = 0; r < n; ++r) {
        if (std::fread(row.data(), sizeof(double), cols_, in.get()) != cols_) fail("the file is shorter than written");
        std::memcpy(out.data() + r * n_cols_out, row.data() + col, n_cols_out * sizeof(double));
    }
}

}  // namespace pointsim::output
