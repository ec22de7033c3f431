#pragma once
// The run's spikes on disk while it runs, so that memory does not grow with
// simulated time (docs/performance.md, "Memory flat in simulated time").
// After every exchange interval the rank that writes the outputs appends
// that interval's spikes, population by population, to temporary files in
// the output directory; at the end the spike writers read them back in
// bounded chunks in the order the files need:
// - none: as recorded (by step, then gid);
// - by_time: as recorded, each interval sorted by (time, node_id) when it is
//   appended (intervals do not overlap in time, so the whole is sorted);
// - by_id: sorted by finish() in two passes (spikes dealt into a bucket file
//   per node-id range of about `chunk` spikes, from the per-node counts kept
//   in memory; each bucket sorted in memory).
// The result is the same as sort_spikes on all the spikes at once.
#include <cstdint>
#include <cstdio>
#include <filesystem>
#include <optional>
#include <string>
#include <vector>

#include "common/state_io.hpp"
#include "common/types.hpp"
#include "output/writers.hpp"

namespace pointsim::output {

class SpikeSpool final : public SpikeSource {
public:
    struct Population {
        std::string name;
        std::size_t size = 0;  // nodes (rows)
    };
    // Spikes read back per chunk: 256 Ki spikes, 4 MiB (and as much again for the chunk handed over).
    static constexpr std::size_t kDefaultChunk = std::size_t{1} << 18;

    // dir: where the temporary files go (removed by the destructor); without
    // one, only the counts are kept (a run that writes no spike file).
    // `order` is the order the writers will ask for.
    SpikeSpool(std::optional<std::filesystem::path> dir, std::vector<Population> populations, SortOrder order,
               std::size_t chunk = kDefaultChunk);
    ~SpikeSpool() override;
    SpikeSpool(const SpikeSpool&) = delete;
    SpikeSpool& operator=(const SpikeSpool&) = delete;

    // One spike of population `pop`, node row `row`: add() an interval's
    // spikes in recorded order, then end_interval(). A write error is kept
    // and the spool stops writing; finish() reports it.
    void add(std::size_t pop, std::size_t row, std::uint64_t node_id, double t_ms);
    void end_interval();
    // Checkpoints (app/checkpoints.hpp), between intervals: save() copies
    // the spikes so far into `dir` (spikes-<population>.spool) and their
    // counts into `meta`; restore() on a new spool of the same populations
    // starts it from them. Throw Error(Output) / Error(Input) naming the file.
    void save(const std::filesystem::path& dir, StateWriter& meta);
    void restore(const std::filesystem::path& dir, StateReader& meta);
    // Flushes the files for reading (and sorts them for by_id). Throws
    // Error(Output) naming the file that could not be written.
    void finish();

    std::size_t n_populations() const override { return pops_.size(); }
    const std::string& population(std::size_t i) const override { return pops_[i].name; }
    std::uint64_t count(std::size_t i) const override { return pops_[i].count; }
    void for_each_chunk(std::size_t i, SortOrder order,
                        const std::function<void(const PopulationSpikes&)>& chunk) const override;

private:
    struct Record {
        double t;
        std::uint64_t node_id;
    };
    struct Pop {
        std::string name;
        std::filesystem::path file;
        std::FILE* out = nullptr;
        std::uint64_t count = 0;
        std::vector<std::uint32_t> count_of_row;  // for by_id ranges
        std::vector<std::uint64_t> id_of_row;
        std::vector<Record> pending;  // the current interval's spikes
    };
    // Calls f(records, n) for consecutive pieces of population i's file.
    template <class F>
    void read_all(const Pop& p, F&& f) const;
    void sort_by_id(Pop& p);
    static constexpr std::uint64_t kMaxBuckets = 256;
    void fail(const Pop& p, const std::string& what);

    std::optional<std::filesystem::path> dir_;
    std::vector<Pop> pops_;
    SortOrder order_;
    std::size_t chunk_;
    std::optional<std::string> error_;
};

}  // namespace pointsim::output
