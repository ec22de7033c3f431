#pragma once
// SONATA circuit and spike-file readers. Knows nothing of simulation: it turns
// files into plain tables. Depends on HDF5 (C++ API) only; no JSON here.
// Layouts: ../shared/docs/semantics.md sections 1 and 2.8.
#include <cstdint>
#include <filesystem>
#include <functional>
#include <map>
#include <memory>
#include <optional>
#include <string>
#include <vector>

namespace pointsim::sonata {

namespace fs = std::filesystem;

// ---------------------------------------------------------------- type CSVs
// A node_types.csv / edge_types.csv file: columns separated by runs of
// whitespace, fields may be "quoted" ("" escapes a quote). NONE and pandas'
// NA strings (empty, NA, NaN, nan, NULL, null, N/A, ...) are missing values.
class TypeTable {
public:
    // Reads the file; id_column is "node_type_id" or "edge_type_id".
    // Throws Error(Input) naming file and line for: missing file, missing id
    // column, ragged row, non-integer or duplicate id.
    static TypeTable read(const fs::path& file, const std::string& id_column);

    const fs::path& file() const { return file_; }
    const std::string& id_column() const { return id_column_; }
    const std::vector<std::string>& columns() const { return columns_; }
    bool has_column(const std::string& name) const;
    bool has_type(std::int64_t type_id) const { return rows_.count(type_id) != 0; }
    std::vector<std::int64_t> type_ids() const;
    // The value, or nullopt when the column is absent or the value is missing.
    // A type id not in the table throws Error(Input) naming file and id.
    std::optional<std::string> get(std::int64_t type_id, const std::string& column) const;
    // Numeric value; throws Error(Input) naming file, type id and column if not a number.
    std::optional<double> get_number(std::int64_t type_id, const std::string& column) const;

private:
    fs::path file_;
    std::string id_column_;
    std::vector<std::string> columns_;
    std::map<std::int64_t, std::vector<std::optional<std::string>>> rows_;
};

// ---------------------------------------------------------------- h5 columns
// One per-node or per-edge attribute from an h5 group. Numeric datasets of
// any integer or float width are read as double; string datasets as strings.
// 2-D datasets (e.g. positions [N,3]) are not kept.
struct Column {
    std::vector<double> numbers;
    std::vector<std::string> strings;
    bool is_string = false;
    std::size_t size() const { return is_string ? strings.size() : numbers.size(); }
};

struct Group {
    std::map<std::string, Column> attributes;       // <pop>/<gid>/<attr>
    std::map<std::string, Column> dynamics_params;  // <pop>/<gid>/dynamics_params/<p>
};

// ---------------------------------------------------------------- nodes
struct NodePopulation {
    std::string name;
    fs::path file;
    std::vector<std::uint64_t> node_ids;       // per row: "node_id" dataset, else the row index
    std::vector<std::int64_t> node_type_ids;   // per row
    std::vector<std::uint32_t> group_ids;      // per row ("node_group_id", 0 when absent)
    std::vector<std::uint64_t> group_indices;  // per row ("node_group_index", row when absent)
    std::map<std::uint32_t, Group> groups;     // child groups named by a decimal integer
    std::size_t size() const { return node_type_ids.size(); }
};

// Reads every population under /nodes. Throws Error(Input) naming file and
// dataset for a missing file, a missing /nodes or node_type_id, datasets of
// different lengths, duplicate node ids, a group index out of range.
std::vector<NodePopulation> read_node_populations(const fs::path& file);

// ---------------------------------------------------------------- edges
struct EdgePopulation {
    std::string name;
    fs::path file;
    std::string source_population;  // "node_population" attribute of source_node_id
    std::string target_population;  // "node_population" attribute of target_node_id
    std::vector<std::uint64_t> source_ids;
    std::vector<std::uint64_t> target_ids;
    std::vector<std::int64_t> edge_type_ids;
    std::vector<std::uint32_t> group_ids;      // "edge_group_id", 0 when absent
    std::vector<std::uint64_t> group_indices;  // "edge_group_index", row when absent
    std::map<std::uint32_t, Group> groups;
    std::size_t size() const { return source_ids.size(); }
};

// Reads every population under /edges (the indices group is ignored).
// Throws Error(Input) naming file and dataset for a missing file, a missing
// source/target/type dataset or node_population attribute, mismatched lengths,
// a group index out of range.
std::vector<EdgePopulation> read_edge_populations(const fs::path& file);

// Reads one edge population in row ranges, so that a process can read only
// the edges of its own targets (via indices/target_to_source) or stream a
// file too large to hold at once. Memory is bounded by the rows asked for.
struct EdgeBlock {
    std::size_t first_row = 0;
    std::vector<std::uint64_t> source_ids;
    std::vector<std::uint64_t> target_ids;
    std::vector<std::int64_t> edge_type_ids;
    std::vector<std::uint64_t> group_ids;      // edge_group_id (0 when the file has none)
    std::vector<std::uint64_t> group_indices;  // edge_group_index (the row itself when the file has none)
    // Per requested numeric group attribute: the value of each row, and
    // whether the row's group has that dataset at all (else the CSV applies).
    // values[i] means something only where present[i] is 1.
    std::map<std::string, std::vector<double>> values;
    std::map<std::string, std::vector<std::uint8_t>> present;
    std::size_t size() const { return source_ids.size(); }
};

class EdgeReader {
public:
    // Names of the populations under /edges of a file, in name order.
    static std::vector<std::string> populations(const fs::path& file);

    EdgeReader(const fs::path& file, const std::string& population);
    ~EdgeReader();
    EdgeReader(EdgeReader&&) noexcept;
    EdgeReader& operator=(EdgeReader&&) noexcept;

    const fs::path& file() const;
    const std::string& name() const;
    const std::string& source_population() const;
    const std::string& target_population() const;
    std::size_t size() const;  // edge rows

    // target_node_id / source_node_id of rows [begin, begin + count), into
    // `out` (resized; a buffer reused chunk after chunk is not zero-filled).
    void target_ids(std::size_t begin, std::size_t count, std::vector<std::uint64_t>& out) const;
    void source_ids(std::size_t begin, std::size_t count, std::vector<std::uint64_t>& out) const;

    // Row ranges [begin, end), ascending and merged, holding every edge whose
    // target node id is in `target_node_ids` (sorted), taken from
    // indices/target_to_source (or BMTK's "indicies"); nullopt if the file has
    // no such index. Throws Error(Input) for an inconsistent index.
    std::optional<std::vector<std::pair<std::uint64_t, std::uint64_t>>> target_ranges(
        const std::vector<std::uint64_t>& target_node_ids) const;

    // Names of the datasets in the groups' dynamics_params subgroups (per-edge
    // parameter values), sorted, without duplicates.
    std::vector<std::string> dynamics_param_names() const;

    // Rows [begin, begin + count) with the named numeric group attributes;
    // "dynamics_params/<p>" names a dataset of a group's dynamics_params.
    // Throws Error(Input) naming file, dataset and row for a bad group id or index.
    // Reads into `into`, whose buffers are reused: read chunk after chunk
    // into the same block, nothing is reallocated or zero-filled first.
    void read(std::size_t begin, std::size_t count, const std::vector<std::string>& attributes, EdgeBlock& into) const;
    // Opens the datasets that read() with these attributes reads, once, and
    // switches them to direct reads (h5::Dataset::enable_direct_reads). If
    // every one could be, true: read() with these attributes, source_ids()
    // and target_ids() may then run on several threads at once (each into
    // its own block); read() with other attributes is then a logic_error.
    // Else false, and reads stay on one thread at a time.
    bool prepare_concurrent_reads(const std::vector<std::string>& attributes);

private:
    struct Impl;
    std::unique_ptr<Impl> impl_;
};

// ---------------------------------------------------------------- spike files
struct SpikeList {
    std::vector<std::uint64_t> node_ids;
    std::vector<double> timestamps;  // ms, as stored
};

// Spikes by population name. The legacy flat layout /spikes/{gids|node_ids,
// timestamps} gives one entry with the empty name "".
using SpikesByPopulation = std::map<std::string, SpikeList>;

// SONATA spike file: /spikes/<pop>/{timestamps,node_ids}, or the legacy layout.
// Throws Error(Input) naming file and dataset.
SpikesByPopulation read_spikes_h5(const fs::path& file);
// The population names of a spike file, in the file's order ("" for the legacy layout).
std::vector<std::string> spike_populations_h5(const fs::path& file);
// One population of the file, a piece of at most `chunk` spikes at a time
// (0: whole), so that a long input need not be held whole; first_row is the
// piece's first row in the datasets. The same checks and messages.
void read_spikes_h5(const fs::path& file, const std::string& population, std::size_t chunk,
                    const std::function<void(const SpikeList& piece, std::size_t first_row)>& piece);

// BMTK's NWB 1 spike file: /processing/<trial>/spike_train/<node_id>/data,
// one group per node named by its decimal node id, `data` its spike times.
// Times are read as float64 and taken as ms, as BMTK takes them (it applies
// no unit conversion). `trial` names the /processing group; empty means the
// file's only trial (an error listing the trials if there are several). All
// spikes go to one entry named `population` (NWB 1 files have none), ordered
// by node id, then as stored. Throws Error(Input) naming file and path.
SpikesByPopulation read_spikes_nwb(const fs::path& file, const std::string& trial, const std::string& population);

// ------------------------------------------------------ NWB 1 stimulus sweeps
// The stimulus of one sweep of an Allen Cell Types ephys file (NWB 1.0.x, as
// AllenSDK's NwbDataSet reads it and BMTK's IClamp NWBReader after it):
// /epochs/<sweep>/stimulus/timeseries/data (the samples, 1-D, in amperes) and
// the "rate" attribute (samples per second) of .../timeseries/starting_time.
// Nothing else in the file is read; starting_time's value and the "unit" and
// "conversion" attributes are ignored, as BMTK ignores them.
struct NwbStimulus {
    std::vector<double> data;        // as stored (integer or float), exactly
    bool single_precision = false;   // stored as float32: BMTK scales it in float32
    double rate = 0.0;               // Hz, finite and > 0
};

// Throws Error(Input) naming the file and the group, dataset or attribute:
// no /epochs, no such sweep (listing the sweeps there are), data not a 1-D
// integer or float dataset, rate missing, not a number, or not > 0.
NwbStimulus read_nwb_stimulus(const fs::path& file, const std::string& sweep);

// BMTK's CSV spike file: header "timestamps population node_ids" (any order),
// `sep` between fields (default one space; runs of spaces are accepted). Rows
// without a population column go to `default_population`.
// Throws Error(Input) naming file and line.
SpikesByPopulation read_spikes_csv(const fs::path& file, const std::string& default_population,
                                   char sep = ' ');

}  // namespace pointsim::sonata
