#include "plot/figure.hpp"

#include <cairo-pdf.h>
#include <cairo-svg.h>

#include <algorithm>
#include <cctype>
#include <cmath>
#include <cstdio>
#include <utility>

#include "common/error.hpp"

namespace pointsim::plot::detail {

namespace {

constexpr double kTitleSize = 16;
constexpr double kLabelSize = 14;
constexpr double kTickSize = 12;
constexpr double kLegendSize = 13;
constexpr double kLegendRow = 20;
constexpr double kLegendPad = 10;
constexpr double kSwatch = 14;
constexpr double kTickLength = 5;
const char* const kFont = "sans-serif";
constexpr double kPi = 3.14159265358979323846;

cairo_status_t append(void* closure, const unsigned char* data, unsigned int length) {
    static_cast<std::string*>(closure)->append(reinterpret_cast<const char*>(data), length);
    return CAIRO_STATUS_SUCCESS;
}

// Pixel-aligned coordinate for a 1-unit line (crisp in PNG).
double crisp(double v) { return std::floor(v) + 0.5; }

// XML comments may not contain "--".
std::string comment_safe(std::string s) {
    std::size_t at;
    while ((at = s.find("--")) != std::string::npos) s.replace(at, 2, "- -");
    return s;
}

// The SVG with `comments` after its start tag and cairo's per-process page
// surface id ("surface<N>", a global counter) replaced by "surface1".
std::string post_process_svg(std::string svg, const std::vector<std::string>& comments) {
    const std::string key = "<g id=\"surface";
    if (auto at = svg.find(key); at != std::string::npos) {
        const std::size_t digits = at + key.size();
        std::size_t end = digits;
        while (end < svg.size() && std::isdigit(static_cast<unsigned char>(svg[end]))) ++end;
        if (end > digits) svg.replace(digits, end - digits, "1");
    }
    const auto svg_tag = svg.find("<svg");
    const auto tag_end = svg_tag == std::string::npos ? std::string::npos : svg.find('>', svg_tag);
    if (tag_end == std::string::npos) throw output_error("cairo wrote an SVG without an <svg> element");
    std::string text;
    for (const auto& c : comments) text += "\n<!-- " + comment_safe(c) + " -->";
    svg.insert(tag_end + 1, text);
    return svg;
}

void set_colour(cairo_t* cr, Rgb c) { cairo_set_source_rgb(cr, c.r, c.g, c.b); }

}  // namespace

Format format_of(const std::filesystem::path& file) {
    std::string ext = file.extension().string();
    std::transform(ext.begin(), ext.end(), ext.begin(), [](unsigned char c) { return std::tolower(c); });
    if (ext == ".png") return Format::Png;
    if (ext == ".svg") return Format::Svg;
    if (ext == ".pdf") return Format::Pdf;
    throw output_error("cannot write plot '" + file.string() + "': unknown format '" + file.extension().string() +
                       "' (the file name must end in .png, .svg or .pdf)");
}

Rgb palette(std::size_t i) {
    static const Rgb colours[] = {
        {0x1f / 255.0, 0x77 / 255.0, 0xb4 / 255.0}, {0xff / 255.0, 0x7f / 255.0, 0x0e / 255.0},
        {0x2c / 255.0, 0xa0 / 255.0, 0x2c / 255.0}, {0xd6 / 255.0, 0x27 / 255.0, 0x28 / 255.0},
        {0x94 / 255.0, 0x67 / 255.0, 0xbd / 255.0}, {0x8c / 255.0, 0x56 / 255.0, 0x4b / 255.0},
        {0xe3 / 255.0, 0x77 / 255.0, 0xc2 / 255.0}, {0x7f / 255.0, 0x7f / 255.0, 0x7f / 255.0},
        {0xbc / 255.0, 0xbd / 255.0, 0x22 / 255.0}, {0x17 / 255.0, 0xbe / 255.0, 0xcf / 255.0},
    };
    return colours[i % 10];
}

std::vector<double> nice_ticks(double lo, double hi, int target) {
    std::vector<double> ticks;
    const double range = hi - lo;
    if (!(range > 0) || !std::isfinite(range)) return ticks;
    const double raw = range / std::max(1, target);
    const double mag = std::pow(10.0, std::floor(std::log10(raw)));
    const double norm = raw / mag;
    const double step = (norm < 1.5 ? 1.0 : norm < 3.0 ? 2.0 : norm < 7.0 ? 5.0 : 10.0) * mag;
    const double first = std::ceil(lo / step - 1e-9);
    for (double k = first;; k += 1.0) {
        const double v = k * step;
        if (v > hi + step * 1e-9) break;
        ticks.push_back(std::abs(v) < step * 1e-9 ? 0.0 : v);
    }
    return ticks;
}

std::string tick_label(double value, double step) {
    const int decimals = step >= 1 ? 0 : static_cast<int>(std::ceil(-std::log10(step) - 1e-9));
    char buf[64];
    std::snprintf(buf, sizeof buf, "%.*f", std::clamp(decimals, 0, 12), value);
    std::string s = buf;
    if (s[0] == '-' && s.find_first_not_of("-0.") == std::string::npos) s.erase(0, 1);
    return s;
}

Figure::Figure(Format format, int width, int height, std::string title, Axis x, Axis y,
               std::vector<LegendEntry> legend)
    : format_(format), width_(width), height_(height), title_(std::move(title)), x_(std::move(x)), y_(std::move(y)),
      legend_(std::move(legend)) {
    if (!(x_.hi > x_.lo)) x_.hi = x_.lo + 1;
    if (!(y_.hi > y_.lo)) y_.hi = y_.lo + 1;
    switch (format_) {
        case Format::Png:
            surface_ = cairo_image_surface_create(CAIRO_FORMAT_ARGB32, width_, height_);
            break;
        case Format::Svg:
            surface_ = cairo_svg_surface_create_for_stream(append, &buffer_, width_, height_);
#if CAIRO_VERSION >= CAIRO_VERSION_ENCODE(1, 15, 10)
            cairo_svg_surface_set_document_unit(surface_, CAIRO_SVG_UNIT_PX);
#endif
            break;
        case Format::Pdf:
            surface_ = cairo_pdf_surface_create_for_stream(append, &buffer_, width_, height_);
            // An empty creation date leaves it out: the same figure gives the same bytes.
            cairo_pdf_surface_set_metadata(surface_, CAIRO_PDF_METADATA_CREATE_DATE, "");
            cairo_pdf_surface_set_metadata(surface_, CAIRO_PDF_METADATA_TITLE, title_.c_str());
            cairo_pdf_surface_set_metadata(surface_, CAIRO_PDF_METADATA_CREATOR, "pointsim plot");
            break;
    }
    cr_ = cairo_create(surface_);
    if (cairo_surface_status(surface_) != CAIRO_STATUS_SUCCESS || cairo_status(cr_) != CAIRO_STATUS_SUCCESS)
        throw output_error("cannot create a " + std::to_string(width_) + "x" + std::to_string(height_) +
                           " drawing surface: " + cairo_status_to_string(cairo_surface_status(surface_)));

    // Layout: the y tick labels and label on the left, the legend on the right.
    const auto yt = nice_ticks(y_.lo, y_.hi);
    const double ystep = yt.size() > 1 ? yt[1] - yt[0] : 1;
    double tick_w = 0;
    for (double v : yt) tick_w = std::max(tick_w, text_width(tick_label(v, ystep), kTickSize, false));
    const double left = std::max(60.0, std::ceil(tick_w + kTickLength + 6 + kLabelSize + 16));
    double text_w = 0;
    for (const auto& e : legend_) text_w = std::max(text_w, text_width(e.label, kLegendSize, false));
    text_w = std::min(text_w, 0.3 * width_);
    legend_w_ = legend_.empty() ? 0 : std::ceil(kLegendPad + kSwatch + 6 + text_w + kLegendPad);
    const double right = legend_.empty() ? 24 : legend_w_ + 24;
    x0_ = left;
    x1_ = std::max(left + 20, width_ - right);
    y0_ = 40;
    y1_ = std::max(y0_ + 20, height_ - 56.0);
    legend_x_ = x1_ + 12;

    // Background and grid, under the data.
    cairo_set_source_rgb(cr_, 1, 1, 1);
    cairo_paint(cr_);
    cairo_set_line_width(cr_, 1);
    cairo_set_source_rgb(cr_, 0.92, 0.92, 0.92);
    for (double v : nice_ticks(x_.lo, x_.hi)) {
        cairo_move_to(cr_, crisp(px(v)), y0_);
        cairo_line_to(cr_, crisp(px(v)), y1_);
    }
    for (double v : yt) {
        cairo_move_to(cr_, x0_, crisp(py(v)));
        cairo_line_to(cr_, x1_, crisp(py(v)));
    }
    cairo_stroke(cr_);
}

Figure::~Figure() {
    if (cr_) cairo_destroy(cr_);
    if (surface_) cairo_surface_destroy(surface_);
}

void Figure::hlines(const std::vector<double>& ys) {
    if (ys.empty()) return;
    cairo_save(cr_);
    cairo_set_line_width(cr_, 1);
    cairo_set_source_rgb(cr_, 0.75, 0.75, 0.75);
    for (double y : ys) {
        cairo_move_to(cr_, x0_, crisp(py(y)));
        cairo_line_to(cr_, x1_, crisp(py(y)));
    }
    cairo_stroke(cr_);
    cairo_restore(cr_);
}

void Figure::begin_data(Rgb colour, double line_width) {
    cairo_save(cr_);
    cairo_rectangle(cr_, x0_, y0_, x1_ - x0_, y1_ - y0_);
    cairo_clip(cr_);
    set_colour(cr_, colour);
    cairo_set_line_width(cr_, line_width);
    cairo_set_line_cap(cr_, CAIRO_LINE_CAP_BUTT);
    cairo_set_line_join(cr_, CAIRO_LINE_JOIN_ROUND);  // data paths only (see plot.hpp)
}

void Figure::end_data() { cairo_restore(cr_); }

double Figure::text_width(const std::string& s, double size, bool bold) {
    cairo_select_font_face(cr_, kFont, CAIRO_FONT_SLANT_NORMAL, bold ? CAIRO_FONT_WEIGHT_BOLD : CAIRO_FONT_WEIGHT_NORMAL);
    cairo_set_font_size(cr_, size);
    cairo_text_extents_t e;
    cairo_text_extents(cr_, s.c_str(), &e);
    return e.x_advance;
}

// Draws s with (align_x, align_y) of its box at (x, y): 0 = left/top, 1 = right/bottom.
void Figure::text(const std::string& s, double x, double y, double size, bool bold, double align_x,
                  double align_y) {
    const double w = text_width(s, size, bold);
    cairo_font_extents_t fe;
    cairo_font_extents(cr_, &fe);
    cairo_move_to(cr_, x - align_x * w, y + fe.ascent - align_y * (fe.ascent + fe.descent));
    cairo_show_text(cr_, s.c_str());
}

void Figure::draw_axes() {
    cairo_save(cr_);
    cairo_set_source_rgb(cr_, 0.15, 0.15, 0.15);
    cairo_set_line_width(cr_, 1);
    cairo_rectangle(cr_, crisp(x0_), crisp(y0_), std::round(x1_ - x0_) - 1, std::round(y1_ - y0_) - 1);
    const auto xt = nice_ticks(x_.lo, x_.hi);
    const auto yt = nice_ticks(y_.lo, y_.hi);
    for (double v : xt) {
        cairo_move_to(cr_, crisp(px(v)), y1_);
        cairo_line_to(cr_, crisp(px(v)), y1_ + kTickLength);
    }
    for (double v : yt) {
        cairo_move_to(cr_, x0_, crisp(py(v)));
        cairo_line_to(cr_, x0_ - kTickLength, crisp(py(v)));
    }
    cairo_stroke(cr_);

    const double xstep = xt.size() > 1 ? xt[1] - xt[0] : 1;
    const double ystep = yt.size() > 1 ? yt[1] - yt[0] : 1;
    for (double v : xt) text(tick_label(v, xstep), px(v), y1_ + kTickLength + 3, kTickSize, false, 0.5, 0);
    for (double v : yt) text(tick_label(v, ystep), x0_ - kTickLength - 4, py(v), kTickSize, false, 1, 0.5);
    text(x_.label, (x0_ + x1_) / 2, height_ - 6.0, kLabelSize, false, 0.5, 1);
    cairo_save(cr_);
    cairo_translate(cr_, 8, (y0_ + y1_) / 2);
    cairo_rotate(cr_, -kPi / 2);
    text(y_.label, 0, 0, kLabelSize, false, 0.5, 0);
    cairo_restore(cr_);
    cairo_restore(cr_);
}

void Figure::draw_legend() {
    if (legend_.empty()) return;
    const double max_text = legend_w_ - (kLegendPad + kSwatch + 6 + kLegendPad);
    const auto rows_fit = static_cast<std::size_t>(std::max(1.0, std::floor((y1_ - y0_ - 2 * kLegendPad) / kLegendRow)));
    std::vector<std::pair<std::string, const Rgb*>> rows;
    const bool all = legend_.size() <= rows_fit;
    const std::size_t shown = all ? legend_.size() : rows_fit - 1;
    for (std::size_t i = 0; i < shown; ++i) {
        std::string label = legend_[i].label;
        if (text_width(label, kLegendSize, false) > max_text + 0.5) {  // cut at a UTF-8 character start
            while (!label.empty() && text_width(label + "...", kLegendSize, false) > max_text) {
                label.pop_back();
                while (!label.empty() && (static_cast<unsigned char>(label.back()) & 0xC0) == 0x80) label.pop_back();
                if (!label.empty() && (static_cast<unsigned char>(label.back()) & 0x80)) label.pop_back();
            }
            label += "...";
        }
        rows.emplace_back(label, &legend_[i].colour);
    }
    if (!all) rows.emplace_back("... " + std::to_string(legend_.size() - shown) + " more", nullptr);

    cairo_save(cr_);
    const double h = 2 * kLegendPad + kLegendRow * static_cast<double>(rows.size()) - (kLegendRow - kSwatch);
    cairo_rectangle(cr_, crisp(legend_x_), crisp(y0_), std::round(legend_w_), std::round(h));
    cairo_set_source_rgb(cr_, 1, 1, 1);
    cairo_fill_preserve(cr_);
    cairo_set_source_rgb(cr_, 0.6, 0.6, 0.6);
    cairo_set_line_width(cr_, 1);
    cairo_stroke(cr_);
    double y = y0_ + kLegendPad;
    for (const auto& [label, colour] : rows) {
        if (colour) {
            set_colour(cr_, *colour);
            cairo_rectangle(cr_, legend_x_ + kLegendPad, y + 2, kSwatch, kSwatch - 4);
            cairo_fill(cr_);
        }
        cairo_set_source_rgb(cr_, 0.1, 0.1, 0.1);
        text(label, legend_x_ + kLegendPad + kSwatch + 6, y + kSwatch / 2, kLegendSize, false, 0, 0.5);
        y += kLegendRow;
    }
    cairo_restore(cr_);
}

void Figure::draw_title() {
    cairo_save(cr_);
    cairo_set_source_rgb(cr_, 0, 0, 0);
    // Centred over the plot area if it fits there, else over the figure, smaller if need be.
    const double room = width_ - 16.0;
    double size = kTitleSize;
    double w = text_width(title_, size, true);
    if (w > room) {
        size = std::max(8.0, size * room / w);
        w = text_width(title_, size, true);
    }
    const double centre = std::clamp((x0_ + x1_) / 2, 8 + w / 2, std::max(8 + w / 2, width_ - 8 - w / 2));
    text(title_, centre, y0_ / 2, size, true, 0.5, 0.5);
    cairo_restore(cr_);
}

std::string Figure::finish(const std::vector<std::string>& comments) {
    draw_axes();
    draw_legend();
    draw_title();
    if (cairo_status(cr_) != CAIRO_STATUS_SUCCESS)
        throw output_error(std::string("drawing the plot failed: ") + cairo_status_to_string(cairo_status(cr_)));
    cairo_destroy(cr_);
    cr_ = nullptr;
    std::string bytes;
    if (format_ == Format::Png) {
        cairo_surface_flush(surface_);
        const cairo_status_t st = cairo_surface_write_to_png_stream(surface_, append, &bytes);
        if (st != CAIRO_STATUS_SUCCESS)
            throw output_error(std::string("encoding the PNG failed: ") + cairo_status_to_string(st));
        return bytes;
    }
    cairo_surface_finish(surface_);
    if (cairo_surface_status(surface_) != CAIRO_STATUS_SUCCESS)
        throw output_error(std::string("writing the plot failed: ") +
                           cairo_status_to_string(cairo_surface_status(surface_)));
    bytes.swap(buffer_);
    return format_ == Format::Svg ? post_process_svg(std::move(bytes), comments) : bytes;
}

}  // namespace pointsim::plot::detail
