// pointsim plot: raster, rates and traces of a finished run (see plot.hpp).
#include "plot/plot.hpp"

#include <algorithm>
#include <cerrno>
#include <cmath>
#include <cstdio>
#include <cstring>
#include <fstream>
#include <limits>

#include "common/error.hpp"
#include "network/network.hpp"
#include "plot/data.hpp"
#include "plot/figure.hpp"

namespace pointsim::plot {

namespace fs = std::filesystem;
using namespace detail;

namespace {

constexpr std::size_t kMaxBins = 1000000;

std::string fixed(double v, int decimals) {
    char buf[64];
    std::snprintf(buf, sizeof buf, "%.*f", decimals, v);
    return buf;
}

std::string plural(std::size_t n, const char* word) {
    return std::to_string(n) + " " + word + (n == 1 ? "" : "s");
}

// "<folder>/<file>" of the config, for titles.
std::string config_label(const config::SimulationConfig& cfg) {
    const auto dir = cfg.config_path.parent_path().filename().string();
    return (dir.empty() ? "" : dir + "/") + cfg.config_path.filename().string();
}

// The duration on the x axis: the run's tstop, else the last spike.
double duration(const config::SimulationConfig& cfg, const Spikes& spikes) {
    if (cfg.run.tstop > 0) return cfg.run.tstop;
    double t = 0;
    for (const auto& s : spikes.spikes) t = std::max(t, s.t);
    return t > 0 ? t : 1.0;
}

std::string header(Kind kind, const Summary& s) {
    return std::string("pointsim-plot kind=") + kind_name(kind) + " spikes=" + std::to_string(s.n_spikes) +
           " groups=" + std::to_string(s.n_groups) + " series=" + std::to_string(s.n_series);
}

std::vector<std::string> comments(Kind kind, const Summary& s, const std::vector<LegendEntry>& legend) {
    std::vector<std::string> out{header(kind, s)};
    for (const auto& e : legend) out.push_back("pointsim-plot legend: " + e.label);
    return out;
}

// Written under a temporary name, renamed when complete.
void write_file(const fs::path& out, const std::string& bytes) {
    const std::string where = "cannot write plot '" + out.string() + "': ";
    std::error_code ec;
    if (fs::is_directory(out, ec)) throw output_error(where + "it is a directory");
    fs::path tmp = out;
    tmp += ".pointsim-tmp";
    {
        std::ofstream f(tmp, std::ios::binary | std::ios::trunc);
        if (!f) throw output_error(where + std::strerror(errno));
        f.write(bytes.data(), static_cast<std::streamsize>(bytes.size()));
        f.close();
        if (!f) {
            const std::string why = std::strerror(errno);
            fs::remove(tmp, ec);
            throw output_error(where + why);
        }
    }
    fs::rename(tmp, out, ec);
    if (ec) {
        std::error_code ignored;
        fs::remove(tmp, ignored);
        throw output_error(where + ec.message());
    }
}

Summary raster(const Options& o, const config::SimulationConfig& cfg, Format format, std::string& bytes) {
    const auto net = network::read_nodes(cfg);
    Cells cells;
    const Spikes spikes = read_spikes(cfg, net, o.group_by, cells);
    const std::size_t n_groups = cells.group_names.size();
    std::vector<std::vector<std::size_t>> by_group(n_groups);
    for (std::size_t i = 0; i < spikes.spikes.size(); ++i) by_group[spikes.spikes[i].group].push_back(i);

    std::vector<LegendEntry> legend;
    Summary s;
    s.n_spikes = spikes.spikes.size();
    s.n_groups = n_groups;
    for (std::size_t g = 0; g < n_groups; ++g) {
        legend.push_back({cells.group_names[g] + " (" + plural(cells.group_size[g], "cell") + ", " +
                              plural(by_group[g].size(), "spike") + ")",
                          palette(g)});
        if (!by_group[g].empty()) ++s.n_series;
    }
    const double tstop = duration(cfg, spikes);
    Figure fig(format, o.width, o.height, "Spike raster - " + config_label(cfg), {0, tstop, "time (ms)"},
               {0, static_cast<double>(std::max<std::size_t>(cells.n_cells, 1)), "cell"}, legend);
    std::vector<double> bounds;
    for (std::size_t g = 1; g < n_groups; ++g) bounds.push_back(static_cast<double>(cells.group_first[g]));
    fig.hlines(bounds);

    // One vertical tick per spike, most of a cell's row high.
    const double row = fig.plot_height() / static_cast<double>(std::max<std::size_t>(cells.n_cells, 1));
    const double half = std::clamp(0.4 * row, 0.5, 8.0);
    for (std::size_t g = 0; g < n_groups; ++g) {
        if (by_group[g].empty()) continue;
        fig.begin_data(palette(g), 1.0);
        cairo_t* cr = fig.cr();
        for (auto i : by_group[g]) {
            const auto& sp = spikes.spikes[i];
            const double x = fig.mark_x(sp.t), y = fig.py(sp.y + 0.5);
            cairo_move_to(cr, x, y - half);
            cairo_line_to(cr, x, y + half);
        }
        cairo_stroke(cr);
        fig.end_data();
    }
    bytes = fig.finish(comments(Kind::Raster, s, legend));
    return s;
}

Summary rates(const Options& o, const config::SimulationConfig& cfg, Format format, std::string& bytes) {
    if (!(o.bin_ms > 0) || !std::isfinite(o.bin_ms))
        throw config_error("plot: the bin width must be a positive number of ms, got " + std::to_string(o.bin_ms));
    const auto net = network::read_nodes(cfg);
    Cells cells;
    const Spikes spikes = read_spikes(cfg, net, o.group_by, cells);
    const double tstop = duration(cfg, spikes);
    const double n_bins_real = std::ceil(tstop / o.bin_ms - 1e-9);
    if (n_bins_real > static_cast<double>(kMaxBins))
        throw config_error("plot: a bin width of " + std::to_string(o.bin_ms) + " ms over " + std::to_string(tstop) +
                           " ms gives more than " + std::to_string(kMaxBins) + " bins");
    const auto n_bins = static_cast<std::size_t>(std::max(1.0, n_bins_real));
    const std::size_t n_groups = cells.group_names.size();

    Summary s;
    s.n_groups = n_groups;
    s.n_series = n_groups;
    std::vector<std::vector<double>> counts(n_groups, std::vector<double>(n_bins, 0.0));
    std::vector<std::size_t> total(n_groups, 0);
    for (const auto& sp : spikes.spikes) {
        if (!(sp.t >= 0 && sp.t <= tstop)) continue;
        const auto k = std::min(n_bins - 1, static_cast<std::size_t>(sp.t / o.bin_ms));
        counts[sp.group][k] += 1;
        ++total[sp.group];
        ++s.n_spikes;
    }
    auto bin_start = [&](std::size_t k) { return static_cast<double>(k) * o.bin_ms; };
    auto bin_end = [&](std::size_t k) { return std::min(tstop, static_cast<double>(k + 1) * o.bin_ms); };
    double max_rate = 0;
    for (std::size_t g = 0; g < n_groups; ++g)
        for (std::size_t k = 0; k < n_bins; ++k) {
            const double width_s = (bin_end(k) - bin_start(k)) / 1000.0;
            counts[g][k] = width_s > 0 ? counts[g][k] / (static_cast<double>(cells.group_size[g]) * width_s) : 0.0;
            max_rate = std::max(max_rate, counts[g][k]);
        }

    std::vector<LegendEntry> legend;
    for (std::size_t g = 0; g < n_groups; ++g) {
        const double mean = static_cast<double>(total[g]) / static_cast<double>(cells.group_size[g]) / (tstop / 1000.0);
        legend.push_back({cells.group_names[g] + " (" + plural(cells.group_size[g], "cell") + ", " + fixed(mean, 2) +
                              " Hz)",
                          palette(g)});
    }
    char bin_text[64];
    std::snprintf(bin_text, sizeof bin_text, "%g", o.bin_ms);
    Figure fig(format, o.width, o.height,
               "Mean firing rate (" + std::string(bin_text) + " ms bins) - " + config_label(cfg),
               {0, tstop, "time (ms)"}, {0, max_rate > 0 ? max_rate * 1.08 : 1.0, "rate (Hz)"}, legend);
    for (std::size_t g = 0; g < n_groups; ++g) {
        fig.begin_data(palette(g), 1.8);
        cairo_t* cr = fig.cr();
        if (n_bins == 1) {
            cairo_move_to(cr, fig.px(0), fig.py(counts[g][0]));
            cairo_line_to(cr, fig.px(tstop), fig.py(counts[g][0]));
        } else {
            for (std::size_t k = 0; k < n_bins; ++k) {
                const double x = fig.px((bin_start(k) + bin_end(k)) / 2), y = fig.py(counts[g][k]);
                if (k == 0) cairo_move_to(cr, x, y);
                else cairo_line_to(cr, x, y);
            }
        }
        cairo_stroke(cr);
        fig.end_data();
    }
    bytes = fig.finish(comments(Kind::Rates, s, legend));
    return s;
}

Summary traces(const Options& o, const config::SimulationConfig& cfg, Format format, std::string& bytes) {
    // Reduced while read to the min and max of about one pixel column each
    // (the canvas is wider than the plot area), so peaks stay visible.
    const Report rep = read_report(cfg, o.report, o.node_ids, static_cast<std::size_t>(o.width));
    double t0 = std::numeric_limits<double>::infinity(), t1 = -t0;
    double v0 = std::numeric_limits<double>::infinity(), v1 = -v0;
    for (const auto& t : rep.traces) {
        if (t.times.empty()) continue;
        t0 = std::min(t0, t.times.front());
        t1 = std::max(t1, t.times.back());
        for (double v : t.values)
            if (std::isfinite(v)) {
                v0 = std::min(v0, v);
                v1 = std::max(v1, v);
            }
    }
    if (!std::isfinite(t0)) t0 = 0, t1 = 1;
    if (t0 > 0 && t0 <= 0.02 * (t1 - t0)) t0 = 0;  // samples start one interval in: show the axis from 0
    if (!(t1 > t0)) t1 = t0 + 1;
    if (!std::isfinite(v0)) v0 = 0, v1 = 1;
    const double pad = v1 > v0 ? 0.05 * (v1 - v0) : 1.0;

    Summary s;
    s.n_groups = rep.traces.size();
    std::vector<LegendEntry> legend;
    for (std::size_t i = 0; i < rep.traces.size(); ++i) {
        const auto& t = rep.traces[i];
        legend.push_back({(rep.several_populations ? t.population + " " : "") + "node " + std::to_string(t.node_id),
                          palette(i)});
    }
    const std::string ylabel = rep.variable + (rep.units.empty() ? "" : " (" + rep.units + ")");
    Figure fig(format, o.width, o.height, "Membrane potential (" + rep.name + ") - " + config_label(cfg),
               {t0, t1, "time (ms)"}, {v0 - pad, v1 + pad, ylabel}, legend);
    for (std::size_t i = 0; i < rep.traces.size(); ++i) {
        const auto& t = rep.traces[i];
        if (t.times.empty()) continue;
        fig.begin_data(palette(i), 1.2);
        cairo_t* cr = fig.cr();
        cairo_move_to(cr, fig.px(t.times[0]), fig.py(t.values[0]));
        for (std::size_t k = 1; k < t.times.size(); ++k) cairo_line_to(cr, fig.px(t.times[k]), fig.py(t.values[k]));
        if (t.times.size() == 1) cairo_line_to(cr, fig.px(t1), fig.py(t.values[0]));
        cairo_stroke(cr);
        fig.end_data();
        ++s.n_series;
    }
    bytes = fig.finish(comments(Kind::Traces, s, legend));
    return s;
}

}  // namespace

const char* kind_name(Kind kind) {
    switch (kind) {
        case Kind::Raster: return "raster";
        case Kind::Rates: return "rates";
        case Kind::Traces: return "traces";
    }
    return "?";
}

std::optional<Kind> kind_from_name(const std::string& name) {
    for (Kind k : {Kind::Raster, Kind::Rates, Kind::Traces})
        if (name == kind_name(k)) return k;
    return std::nullopt;
}

Summary plot(const Options& options) {
    const Format format = format_of(options.out);
    if (options.width < 200 || options.width > 20000 || options.height < 150 || options.height > 20000)
        throw config_error("plot: the size must be 200..20000 x 150..20000, got " + std::to_string(options.width) +
                           "x" + std::to_string(options.height));
    const auto cfg = load_config(options.config, options.output_dir);
    std::string bytes;
    Summary s;
    switch (options.kind) {
        case Kind::Raster: s = raster(options, cfg, format, bytes); break;
        case Kind::Rates: s = rates(options, cfg, format, bytes); break;
        case Kind::Traces: s = traces(options, cfg, format, bytes); break;
    }
    write_file(options.out, bytes);
    return s;
}

}  // namespace pointsim::plot
