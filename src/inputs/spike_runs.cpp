// SpikeInputs: the virtual nodes' spikes as sorted runs, merged as the
// simulation goes (inputs.hpp).
#include <fcntl.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <cstring>
#include <filesystem>
#include <limits>
#include <string>
#include <type_traits>
#include <utility>

#include "common/error.hpp"
#include "inputs/inputs.hpp"

namespace pointsim::inputs {

namespace {

constexpr std::size_t kReadAhead = 4096;  // spikes read at a time from each run (64 KiB)

[[noreturn]] void fail_tmp(const std::string& what) {
    std::error_code ec;
    throw input_error("spike inputs: cannot " + what + " the temporary file in " +
                      std::filesystem::temp_directory_path(ec).string() + " (TMPDIR): " + std::strerror(errno));
}

// All `bytes` through pread or pwrite at `at`, whatever the partial
// transfers and interruptions; else the message names the temporary file.
template <class Transfer, class Buffer>
void transfer_all(Transfer transfer, int fd, Buffer* data, std::size_t bytes, off_t at, const char* what) {
    auto* p = reinterpret_cast<std::conditional_t<std::is_const_v<Buffer>, const char, char>*>(data);
    while (bytes > 0) {
        const ssize_t n = transfer(fd, p, bytes, at);
        if (n < 0 && errno == EINTR) continue;
        if (n <= 0) fail_tmp(what);
        p += n;
        at += n;
        bytes -= static_cast<std::size_t>(n);
    }
}

}  // namespace

SpikeInputs::SpikeInputs(std::size_t run_size) : run_size_(std::max<std::size_t>(run_size, 1)) {}

SpikeInputs::~SpikeInputs() {
    if (fd_ >= 0) ::close(fd_);
}

SpikeInputs::SpikeInputs(SpikeInputs&& other) noexcept { *this = std::move(other); }

SpikeInputs& SpikeInputs::operator=(SpikeInputs&& other) noexcept {
    if (this == &other) return *this;
    if (fd_ >= 0) ::close(fd_);
    run_size_ = other.run_size_;
    size_ = other.size_;
    pending_ = std::move(other.pending_);
    pending_pos_ = other.pending_pos_;
    fd_ = std::exchange(other.fd_, -1);
    runs_ = std::move(other.runs_);
    heap_ = std::move(other.heap_);
    sealed_ = other.sealed_;
    return *this;
}

void SpikeInputs::add(StampedSpike spike) {
    pending_.push_back(spike);
    ++size_;
    if (pending_.size() >= run_size_) write_run();
}

void SpikeInputs::write_run() {
    std::sort(pending_.begin(), pending_.end());
    if (fd_ < 0) {
        // Unlinked at once: the file goes when the process ends, however it ends.
        std::error_code ec;
        std::string path = (std::filesystem::temp_directory_path(ec) / "pointsim-inputs-XXXXXX").string();
        fd_ = ::mkstemp(path.data());
        if (fd_ < 0) fail_tmp("create");
        ::unlink(path.c_str());
    }
    Run r;
    r.offset = runs_.empty() ? 0 : runs_.back().offset + runs_.back().length;
    r.length = pending_.size();
    transfer_all(::pwrite, fd_, pending_.data(), pending_.size() * sizeof(StampedSpike),
                 static_cast<off_t>(r.offset * sizeof(StampedSpike)), "write");
    runs_.push_back(std::move(r));
    pending_.clear();
}

bool SpikeInputs::refill(Run& r) {
    const auto n = static_cast<std::size_t>(std::min<std::uint64_t>(kReadAhead, r.length - r.next));
    r.buffer.resize(n);
    r.pos = 0;
    transfer_all(::pread, fd_, r.buffer.data(), n * sizeof(StampedSpike),
                 static_cast<off_t>((r.offset + r.next) * sizeof(StampedSpike)), "read");
    r.next += n;
    return n > 0;
}

void SpikeInputs::seal() {
    if (sealed_) return;
    sealed_ = true;
    if (runs_.empty()) {  // everything fits in one run: keep it in memory
        std::sort(pending_.begin(), pending_.end());
        return;
    }
    if (!pending_.empty()) write_run();
    std::vector<StampedSpike>().swap(pending_);  // give the memory back
    for (std::size_t i = 0; i < runs_.size(); ++i)
        if (refill(runs_[i])) heap_.push_back(i);
    std::make_heap(heap_.begin(), heap_.end(), [this](std::size_t a, std::size_t b) { return run_after(a, b); });
}

bool SpikeInputs::run_after(std::size_t a, std::size_t b) const {
    const StampedSpike& x = runs_[a].buffer[runs_[a].pos];
    const StampedSpike& y = runs_[b].buffer[runs_[b].pos];
    return y < x || (!(x < y) && b < a);  // for a min-heap; equal spikes by run, one fixed order
}

void SpikeInputs::take_until(Step until, std::vector<StampedSpike>& out) {
    if (!sealed_) seal();
    if (runs_.empty()) {
        for (; pending_pos_ < pending_.size() && pending_[pending_pos_].stamp <= until; ++pending_pos_)
            out.push_back(pending_[pending_pos_]);
        return;
    }
    const auto later = [this](std::size_t a, std::size_t b) { return run_after(a, b); };
    while (!heap_.empty()) {
        Run& r = runs_[heap_.front()];
        if (r.buffer[r.pos].stamp > until) break;
        out.push_back(r.buffer[r.pos]);
        std::pop_heap(heap_.begin(), heap_.end(), later);
        const std::size_t i = heap_.back();
        heap_.pop_back();
        if (++r.pos < r.buffer.size() || refill(r)) {
            heap_.push_back(i);
            std::push_heap(heap_.begin(), heap_.end(), later);
        }
    }
}

}  // namespace pointsim::inputs
