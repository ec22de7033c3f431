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

void SpikeSpool::finish() {
    end_interval();
    for (auto& p : pops_) {
        if (!p.out) continue;
        errno = 0;
        if (std::fclose(p.out) != 0) fail(p, errno ? std::strerror(errno) : "close failed");
        p.out = nullptr;
    }
    if (error_) throw output_error(*error_);
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

    if (order != SortOrder::ById) {  // the file is in the order asked for
        read_all(p, [&](const Record* r, std::size_t n) {
            piece.timestamps.resize(n);
            piece.node_ids.resize(n);
            for (std::size_t k = 0; k < n; ++k) {
                piece.timestamps[k] = r[k].t;
                piece.node_ids[k] = r[k].node_id;
            }
            chunk(piece);
        });
        return;
    }

    // by_id: node-id ranges [lo, hi] of at most chunk_ spikes each (a node
    // with more forms a range alone), one pass over the file per range.
    std::vector<std::pair<std::uint64_t, std::uint32_t>> counts;  // (node id, spikes)
    for (std::size_t row = 0; row < p.count_of_row.size(); ++row)
        if (p.count_of_row[row]) counts.emplace_back(p.id_of_row[row], p.count_of_row[row]);
    std::sort(counts.begin(), counts.end());
    std::size_t first = 0;
    while (first < counts.size()) {
        std::uint64_t in_range = counts[first].second;
        std::size_t last = first;
        while (last + 1 < counts.size() &&
               (counts[last + 1].first == counts[last].first || in_range + counts[last + 1].second <= chunk_))
            in_range += counts[++last].second;
        const std::uint64_t lo = counts[first].first, hi = counts[last].first;
        piece.timestamps.clear();
        piece.node_ids.clear();
        read_all(p, [&](const Record* r, std::size_t n) {
            for (std::size_t k = 0; k < n; ++k)
                if (r[k].node_id >= lo && r[k].node_id <= hi) {
                    piece.timestamps.push_back(r[k].t);
                    piece.node_ids.push_back(r[k].node_id);
                }
        });
        sort_spikes(piece, SortOrder::ById);  // stable: ties keep the recorded order, as one sort of all
        chunk(piece);
        first = last + 1;
    }
}

}  // namespace pointsim::output
