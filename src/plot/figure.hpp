#pragma once
// Internal to src/plot: one figure on a cairo surface (PNG, SVG or PDF) with
// a title, a plot area with linear axes, ticks and labels, and a legend to
// the right of the plot area. Data are drawn in data coordinates between
// begin_data() and end_data(), clipped to the plot area.
#include <cmath>
#include <filesystem>
#include <string>
#include <vector>

#include <cairo.h>

namespace pointsim::plot::detail {

enum class Format { Png, Svg, Pdf };

// The format named by the file's extension (case-insensitive); throws
// Error(Output) naming the file for anything else.
Format format_of(const std::filesystem::path& file);

struct Rgb {
    double r = 0, g = 0, b = 0;
};

// Tableau's 10 colours, repeated after the tenth.
Rgb palette(std::size_t i);

struct Axis {
    double lo = 0, hi = 1;
    std::string label;
};

// Tick positions at 1, 2 or 5 x 10^k, about `target` of them, inside [lo, hi].
std::vector<double> nice_ticks(double lo, double hi, int target = 6);
// A tick label with as many decimals as the step needs ("-0" printed as "0").
std::string tick_label(double value, double step);

struct LegendEntry {
    std::string label;
    Rgb colour;
};

class Figure {
public:
    Figure(Format format, int width, int height, std::string title, Axis x, Axis y,
           std::vector<LegendEntry> legend);
    ~Figure();
    Figure(const Figure&) = delete;
    Figure& operator=(const Figure&) = delete;

    // Device coordinates of a data point.
    double px(double x) const { return x0_ + (x - x_.lo) / (x_.hi - x_.lo) * (x1_ - x0_); }
    double py(double y) const { return y1_ - (y - y_.lo) / (y_.hi - y_.lo) * (y1_ - y0_); }
    // x of a vertical mark: on a pixel centre in a PNG, so 1-unit lines stay crisp.
    double mark_x(double x) const { return format_ == Format::Png ? std::floor(px(x)) + 0.5 : px(x); }
    double plot_width() const { return x1_ - x0_; }
    double plot_height() const { return y1_ - y0_; }

    cairo_t* cr() { return cr_; }

    // Faint horizontal lines across the plot area at these data y values.
    void hlines(const std::vector<double>& ys);

    // Clips to the plot area and sets the data stroke style (round joins,
    // the marker of data paths in the SVG); end_data restores.
    void begin_data(Rgb colour, double line_width);
    void end_data();

    // Draws axes, ticks, labels, legend and title, finishes the surface and
    // returns the file's bytes. For SVG, `comments` are inserted after the
    // <svg> start tag. Throws Error(Output) if cairo fails.
    std::string finish(const std::vector<std::string>& comments);

private:
    void draw_axes();
    void draw_legend();
    void draw_title();
    double text_width(const std::string& s, double size, bool bold);
    void text(const std::string& s, double x, double y, double size, bool bold, double align_x, double align_y);

    Format format_;
    int width_, height_;
    std::string title_;
    Axis x_, y_;
    std::vector<LegendEntry> legend_;
    std::string buffer_;  // SVG / PDF stream
    cairo_surface_t* surface_ = nullptr;
    cairo_t* cr_ = nullptr;
    double x0_ = 0, x1_ = 0, y0_ = 0, y1_ = 0;  // plot area, device units
    double legend_x_ = 0, legend_w_ = 0;
};

}  // namespace pointsim::plot::detail
