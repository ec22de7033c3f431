#pragma once
// SONATA output files: spikes (h5 and csv) and frame-oriented reports.
// Writers write exactly the path they are given; the app writes to temporary
// names and renames them when the run is complete (output/output_dir.hpp).
// Layouts: ../shared/docs/semantics.md sections 4.1 to 4.3, "Decisions" 7.
#include <cstdint>
#include <filesystem>
#include <functional>
#include <string>
#include <vector>

#include "common/types.hpp"

namespace pointsim::output {

namespace fs = std::filesystem;

struct PopulationSpikes {
    std::string population;
    std::vector<std::uint64_t> node_ids;
    std::vector<double> timestamps;  // ms
};

// Sorts in place. ByTime: by (time, node_id); ById: by (node_id, time);
// None: left as recorded (the engine records by step, then node order, which
// is already deterministic).
void sort_spikes(PopulationSpikes& spikes, SortOrder order);

// The spikes of several populations, handed to a writer in bounded chunks:
// held in memory (the vector overloads below) or spooled to disk during the
// run (output/spike_spool.hpp), so that writing needs no copy of them all.
class SpikeSource {
public:
    virtual ~SpikeSource() = default;
    virtual std::size_t n_populations() const = 0;
    virtual const std::string& population(std::size_t i) const = 0;
    virtual std::uint64_t count(std::size_t i) const = 0;
    // Calls `chunk` with population i's spikes in consecutive pieces whose
    // concatenation is sorted by `order` (as sort_spikes would sort them all).
    virtual void for_each_chunk(std::size_t i, SortOrder order,
                                const std::function<void(const PopulationSpikes&)>& chunk) const = 0;
};

// /spikes/<pop>/timestamps (float64, attr units="ms"), /spikes/<pop>/node_ids
// (uint64), attr sorting on /spikes/<pop> ("none" | "by_time" | "by_id"),
// root attrs magic=0x0A7A and version=[0,1]. /spikes exists even with no
// spikes; only populations with spikes get a group (as BMTK). Populations are
// written in the order given; spikes are sorted by `order` first.
// Throws Error(Output) naming the file.
void write_spikes_h5(const fs::path& file, std::vector<PopulationSpikes> spikes, SortOrder order);
void write_spikes_h5_from(const fs::path& file, const SpikeSource& spikes, SortOrder order);

// BMTK's CSV: header "timestamps population node_ids", one space between
// fields, times printed with the shortest representation that round-trips
// (e.g. 12.345), sorted by `order` within each population.
void write_spikes_csv(const fs::path& file, std::vector<PopulationSpikes> spikes, SortOrder order);
void write_spikes_csv_from(const fs::path& file, const SpikeSource& spikes, SortOrder order);

// A double as Python's repr prints it (and so pandas' CSV): the shortest
// digits that round-trip, "12.0" for integral values, exponent form below
// 1e-4 or from 1e16 on ("1e-05", "1.5e+16"); "nan", "inf", "-inf".
std::string format_float_repr(double value);

// The `sorting` attribute value for an order: "none", "by_time", "by_id".
const char* sorting_name(SortOrder order);

// One population of a membrane/multimeter report for one variable.
struct ReportPopulation {
    std::string population;
    std::vector<std::uint64_t> node_ids;  // column order of `data`
    double t_start = 0.0;     // time of the first sample (ms)
    double t_stop = 0.0;      // time of the last sample (ms), inclusive as BMTK writes it
    double interval = 0.0;    // ms between samples
    std::size_t n_samples = 0;
    std::vector<double> data;  // n_samples x node_ids.size(), row-major (one row per sample)
    // Instead of `data` (for long runs): rows [first, first + n) into `out`,
    // row-major; the writer asks for blocks of whole HDF5 chunks, in order,
    // of about block_rows rows (0: about 4 MiB).
    std::function<void(std::size_t first, std::size_t n, std::vector<double>& out)> read_rows;
    std::size_t block_rows = 0;
    std::string variable;      // e.g. "V_m"
    std::string units;         // e.g. "mV"
};

// /report/<pop>/data [T, C] float64 with attrs variable and units;
// /report/<pop>/mapping/{node_ids uint64 [C], element_ids uint64 [C] (0),
// element_pos float64 [C] (0.0), index_pointer uint64 [C+1] (0..C),
// index_pointers (the same data, for libsonata), time float64 [3] =
// [t_start, t_stop, interval] with attr units="ms"}; root magic/version.
void write_report_h5(const fs::path& file, const std::vector<ReportPopulation>& populations);

}  // namespace pointsim::output
