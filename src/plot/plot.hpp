#pragma once
// pointsim plot (issue #6 item 4): figures of a finished run, drawn with cairo
// from the outputs where the run's config puts them. Depends on config,
// sonata and network (node attributes), HDF5 C++ (reports) and cairo, the
// last two privately.
//
//   Raster  one tick per spike; x = time (ms), y = cells stacked by group
//           (groups in order of first appearance in node order: populations
//           in config order, rows in h5 order), coloured per group; legend
//           "name (cells, spikes)".
//   Rates   mean firing rate per cell of each group (Hz) in bins of bin_ms,
//           one line through the bin centres per group.
//   Traces  one membrane-potential line per cell from a SONATA report file
//           (/report/<pop>/{data, mapping/node_ids, mapping/time}), read in
//           blocks of rows; traces longer than 2 x width samples are reduced
//           while read to the min and max of `width` equal runs of samples
//           (about one pixel column each), so peaks stay visible, memory
//           stays flat and files stay small.
//
// Cells of a raster or rate plot: every node of the simulated (non-virtual)
// populations, plus any population the spikes file holds spikes of.
//
// Output format by extension (case-insensitive): .png (image surface),
// .svg, .pdf. The file is written under a temporary name and renamed when
// complete. Output is deterministic: the same inputs give the same bytes
// (no dates in the PDF; cairo's per-process surface ids are normalised in
// the SVG).
//
// What an SVG holds, for tests and scripts (cairo draws text as glyph
// outlines, so names are not searchable as text):
//   - right after the <svg> start tag, one comment
//       <!-- pointsim-plot kind=raster spikes=N groups=G series=S -->
//     then one comment per legend entry, in legend order:
//       <!-- pointsim-plot legend: LABEL -->
//     (any "--" in a label is written "- -").
//   - every data series is exactly one <path> element, and these are the only
//     paths whose style has "stroke-linejoin:round": a raster draws one such
//     path per group with one subpath ("M x y L x y") per spike; rates and
//     traces draw one polyline (one "M") per group or cell. Axes, ticks,
//     grid lines and legend swatches use other styles.
#include <cstddef>
#include <cstdint>
#include <filesystem>
#include <optional>
#include <string>
#include <vector>

namespace pointsim::plot {

enum class Kind { Raster, Rates, Traces };

// "raster", "rates", "traces" <-> Kind (for the CLI).
const char* kind_name(Kind kind);
std::optional<Kind> kind_from_name(const std::string& name);

struct Options {
    Kind kind = Kind::Raster;
    std::filesystem::path config;                     // the run's config.json: outputs are found where it says
                                                      // (output_dir, spikes_file or spikes_file_csv, reports)
    std::optional<std::filesystem::path> output_dir;  // like `run --output-dir`
    std::string group_by = "pop_name";  // node attribute for raster colours / rate groups: an h5 group
                                        // attribute, a node-types CSV column or node_type_id (h5 wins over
                                        // CSV); "population" groups by population name. Nodes without a
                                        // value form the group "(none)".
    std::filesystem::path out;          // .png, .svg or .pdf (by extension)
    double bin_ms = 50.0;               // rates: bin width
    std::string report;                 // traces: report name (default: the first report recording V_m)
    std::vector<std::uint64_t> node_ids;  // traces: these node ids (default: the first 10 in the report)
    int width = 1000, height = 600;     // pixels (PNG, SVG) or points (PDF), 200..20000 x 150..20000
};

// What was drawn. Raster: n_spikes ticks in n_groups groups, n_series data
// paths (the groups with at least one spike). Rates: n_spikes counted in bins, one line per group
// (n_series = n_groups). Traces: n_spikes = 0, one line and one legend entry
// per cell (n_series = n_groups = cells).
struct Summary {
    std::size_t n_spikes = 0;
    std::size_t n_groups = 0;
    std::size_t n_series = 0;
};

// Throws pointsim::Error: Config for a bad config or option (unknown group_by
// attribute, unknown report, bad bin width or size, node id not in the
// report), Input for missing or bad outputs of the run (naming the file),
// Output for an unknown extension or a file that cannot be written.
Summary plot(const Options& options);

}  // namespace pointsim::plot
