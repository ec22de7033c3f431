#include "output/spike_spool.hpp"

#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <cstring>
#include <memory>
#include <stdexcept>
#include <system_error>
#include <utility>

#include "common/error.hpp"

namespace pointsim::output {

namespace fs = std::filesystem;

namespace {

struct FileCloser {
    void operator()(std::FILE* f) const { std::fclose(f); }
};

}  // namespace

SpikeSpool::SpikeSpool(std::optional<fs::path> dir, std::vector<Population> populations, SortOrder order,
                       std::size_t chunk)
    : dir_(std::move(dir)), order_(order), chunk_(std::max<std::size_t>(chunk, 1)) {
    pops_.resize(populations.size());
    for (std::size_t i = 0; i < populations.size(); ++i) {
        Pop& p = pops_[i];
        p.name = std::move(populations[i].name);
        if (dir_) {
            // Hidden and named like the staged outputs, so that nothing that
            // looks like a result is ever left behind (a killed run leaves a
            // ".pointsim-tmp" file at most).
            p.file = *dir_ / (".spikes-" + std::to_string(i) + "-" + std::to_string(::getpid()) + ".pointsim-tmp");
            if (order_ == SortOrder::ById) {
                p.count_of_row.assign(populations[i].size, 0);
                p.id_of_row.assign(populations[i].size, 0);
            }
        }
    }
}

SpikeSpool::~SpikeSpool() {
    for (auto& p : pops_) {
        if (p.out) std::fclose(p.out);
        std::error_code ec;
        if (!p.file.empty()) fs::remove(p.file, ec);  // best effort: nothing to report from a destructor
    }
}

void SpikeSpool::fail(const Pop& p, const std::string& what) {
    if (!error_) error_ = "cannot write the spike spool '" + p.file.string() + "': " + what;
}

void SpikeSpool::add(std::size_t pop, std::size_t row, std::uint64_t node_id, double t_ms) {
    Pop& p = pops_[pop];
    ++p.count;
    if (!dir_ || error_) return;
    if (!p.count_of_row.empty()) {
        ++p.count_of_row[row];
        p.id_of_row[row] = node_id;
    }
    p.pending.push_back({t_ms, node_id});
}

void SpikeSpool::end_interval() {
    if (!dir_) return;
    for (auto& p : pops_) {
        if (p.pending.empty()) continue;
        if (error_) {
            p.pending.clear();
            continue;
        }
        if (order_ == SortOrder::ByTime)  // sort_spikes' order; the intervals follow each other in time
            std::stable_sort(p.pending.begin(), p.pending.end(), [](const Record& a, const Record& b) {
                return a.t < b.t || (a.t == b.t && a.node_id < b.node_id);
            });
        if (!p.out) {
            errno = 0;
            p.out = std::fopen(p.file.c_str(), "wb");
            if (!p.out) {
                fail(p, errno ? std::strerror(errno) : "cannot open");
                p.pending.clear();
                continue;
            }
        }
        errno = 0;
        if (std::fwrite(p.pending.data(), sizeof(Record), p.pending.size(), p.out) != p.pending.size())
            fail(p, errno ? std::strerror(errno) : "write failed");
        p.pending.clear();
    }
}

void SpikeSpool::save(const fs::path& dir, StateWriter& meta) {
    end_interval();
    if (error_) throw output_error(*error_);
    for (std::size_t i = 0; i < pops_.size(); ++i) {
        Pop& p = pops_[i];
        meta.put(p.count);
        meta.put_vector(p.count_of_row);
        meta.put_vector(p.id_of_row);
        meta.put<std::uint8_t>(p.out != nullptr);
        if (!p.out) continue;
        if (std::fflush(p.out) != 0) fail(p, std::strerror(errno));
        if (error_) throw output_error(*error_);
        const fs::path copy = dir / ("spikes-" + std::to_string(i) + ".spool");
        std::error_code ec;
        fs::copy_file(p.file, copy, fs::copy_options::overwrite_existing, ec);
        if (ec) throw output_error("cannot copy " + p.file.string() + " to " + copy.string() + ": " + ec.message());
    }
}

void SpikeSpool::restore(const fs::path& dir, StateReader& meta) {
    for (std::size_t i = 0; i < pops_.size(); ++i) {
        Pop& p = pops_[i];
        p.count = meta.get<std::uint64_t>();
        const std::size_t rows = p.count_of_row.size();
        meta.get_vector(p.count_of_row);
        meta.get_vector(p.id_of_row);
        if (p.count_of_row.size() != rows || p.id_of_row.size() != rows)
            throw meta.mismatch("the spikes of population " + p.name + " are counted for another number of nodes");
        if (!meta.get<std::uint8_t>()) continue;
        const fs::path saved = dir / ("spikes-" + std::to_string(i) + ".spool");
        std::error_code ec;
        if (!dir_ || fs::file_size(saved, ec) != p.count * sizeof(Record) || ec)
            throw input_error(saved.string() + ": missing or not the " + std::to_string(p.count) + " spikes of population " + p.name);
        fs::copy_file(saved, p.file, fs::copy_options::overwrite_existing, ec);
        if (ec) throw output_error("cannot copy " + saved.string() + " to " + p.file.string() + ": " + ec.message());
        errno = 0;
        if (!(p.out = std::fopen(p.file.c_str(), "ab")))
            throw output_error("cannot write the spike spool '" + p.file.string() + "': " + std::strerror(errno));
    }
}

void SpikeSpool::finish() {
    end_interval();
    for (auto& p : pops_) {
        if (!p.out) continue;
        errno = 0;
        if (std::fclose(p.out) != 0) fail(p, errno ? std::strerror(errno) : "close failed");
        p.out = nullptr;
    }
    if (error_) throw output_error(*error_);
    if (order_ == SortOrder::ById)
        for (auto& p : pops_)
            if (p.count) sort_by_id(p);
}

// By node id, stably (ties keep the recorded order: the result of one
// stable sort of everything), with bounded memory: the node ids are cut
// into ranges of about `capacity` spikes (from the per-node counts; a node
// never spans two), one pass deals the spikes into a bucket file per range,
// and each bucket is sorted in memory and appended to the sorted file,
// which then replaces the spool.
void SpikeSpool::sort_by_id(Pop& p) {
    std::vector<std::pair<std::uint64_t, std::uint32_t>> counts;  // (node id, spikes)
    for (std::size_t row = 0; row < p.count_of_row.size(); ++row)
        if (p.count_of_row[row]) counts.emplace_back(p.id_of_row[row], p.count_of_row[row]);
    std::sort(counts.begin(), counts.end());
    // At most kMaxBuckets open files: ranges grow beyond chunk_ for huge runs.
    const std::uint64_t capacity = std::max<std::uint64_t>(chunk_, (p.count + kMaxBuckets - 1) / kMaxBuckets);
    std::vector<std::uint64_t> range_lo;  // first node id of each range
    std::uint64_t in_range = 0;
    for (std::size_t k = 0; k < counts.size(); ++k) {
        const bool same_node = k > 0 && counts[k].first == counts[k - 1].first;
        if (range_lo.empty() || (!same_node && in_range + counts[k].second > capacity)) {
            range_lo.push_back(counts[k].first);
            in_range = 0;
        }
        in_range += counts[k].second;
    }

    auto fail_io = [](const fs::path& f, const char* what) {
        throw output_error("cannot sort the spike spool '" + f.string() + "' by node id: " +
                           (errno ? std::strerror(errno) : what));
    };
    auto open = [&](const fs::path& f, const char* mode) {
        errno = 0;
        std::unique_ptr<std::FILE, FileCloser> file(std::fopen(f.c_str(), mode));
        if (!file) fail_io(f, "cannot open");
        return file;
    };
    const fs::path sorted_file = p.file.string() + ".sorted";
    auto bucket_file = [&](std::size_t b) { return fs::path(p.file.string() + "." + std::to_string(b)); };
    struct Remove {  // the bucket and sorted files go on any error
        std::vector<fs::path> files;
        ~Remove() {
            std::error_code ec;
            for (const auto& f : files) fs::remove(f, ec);
        }
    } remove;
    remove.files.push_back(sorted_file);

    std::vector<std::unique_ptr<std::FILE, FileCloser>> buckets;
    if (range_lo.size() > 1) {
        for (std::size_t b = 0; b < range_lo.size(); ++b) {
            remove.files.push_back(bucket_file(b));
            buckets.push_back(open(bucket_file(b), "wb"));
        }
        read_all(p, [&](const Record* r, std::size_t n) {
            for (std::size_t k = 0; k < n; ++k) {
                const auto b = static_cast<std::size_t>(
                    std::upper_bound(range_lo.begin(), range_lo.end(), r[k].node_id) - range_lo.begin() - 1);
                errno = 0;
                if (std::fwrite(&r[k], sizeof(Record), 1, buckets[b].get()) != 1) fail_io(bucket_file(b), "write failed");
            }
        });
        for (std::size_t b = 0; b < buckets.size(); ++b) {
            errno = 0;
            if (std::fclose(buckets[b].release()) != 0) fail_io(bucket_file(b), "close failed");
        }
    }

    auto out = open(sorted_file, "wb");
    std::vector<Record> records;
    auto sort_and_write = [&](const fs::path& from) {
        std::stable_sort(records.begin(), records.end(), [](const Record& a, const Record& b) {
            return a.node_id < b.node_id || (a.node_id == b.node_id && a.t < b.t);  // sort_spikes' by_id order
        });
        errno = 0;
        if (std::fwrite(records.data(), sizeof(Record), records.size(), out.get()) != records.size())
            fail_io(from, "write failed");
    };
    if (range_lo.size() <= 1) {
        read_all(p, [&](const Record* r, std::size_t n) { records.insert(records.end(), r, r + n); });
        sort_and_write(sorted_file);
    } else {
        for (std::size_t b = 0; b < range_lo.size(); ++b) {
            const fs::path f = bucket_file(b);
            std::error_code ec;
            records.resize(static_cast<std::size_t>(fs::file_size(f, ec) / sizeof(Record)));
            auto in = open(f, "rb");
            errno = 0;
            if (std::fread(records.data(), sizeof(Record), records.size(), in.get()) != records.size())
                fail_io(f, "the file is shorter than written");
            sort_and_write(f);
            fs::remove(f, ec);
        }
    }
    errno = 0;
    if (std::fclose(out.release()) != 0) fail_io(sorted_file, "close failed");
    std::error_code ec;
    fs::rename(sorted_file, p.file, ec);
    if (ec) throw output_error("cannot sort the spike spool '" + p.file.string() + "' by node id: " + ec.message());
}

template <class F>
void SpikeSpool::read_all(const Pop& p, F&& f) const {
    errno = 0;
    std::unique_ptr<std::FILE, FileCloser> in(std::fopen(p.file.c_str(), "rb"));
    auto fail_read = [&](const char* what) {
        throw output_error("cannot read the spike spool '" + p.file.string() + "': " +
                           (errno ? std::strerror(errno) : what));
    };
    if (!in) fail_read("cannot open");
    std::vector<Record> buffer(std::min<std::uint64_t>(chunk_, p.count));
    std::uint64_t left = p.count;
    while (left > 0) {
        const std::size_t n = static_cast<std::size_t>(std::min<std::uint64_t>(buffer.size(), left));
        if (std::fread(buffer.data(), sizeof(Record), n, in.get()) != n) fail_read("the file is shorter than written");
        f(buffer.data(), n);
        left -= n;
    }
}

void SpikeSpool::for_each_chunk(std::size_t i, SortOrder order,
                                const std::function<void(const PopulationSpikes&)>& chunk) const {
    if (!dir_) throw std::logic_error("SpikeSpool: counts only, no spikes kept");
    if (order != order_) throw std::logic_error("SpikeSpool: spikes spooled for another order");
    if (pops_[i].out) throw std::logic_error("SpikeSpool: read before finish()");
    const Pop& p = pops_[i];
    if (p.count == 0) return;
    PopulationSpikes piece;
    piece.population = p.name;

    // finish() left the file in the order asked for.
    read_all(p, [&](const Record* r, std::size_t n) {
        piece.timestamps.resize(n);
        piece.node_ids.resize(n);
        for (std::size_t k = 0; k < n; ++k) {
            piece.timestamps[k] = r[k].t;
            piece.node_ids[k] = r[k].node_id;
        }
        chunk(piece);
    });
}

}  // namespace pointsim::output
