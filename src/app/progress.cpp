#include "app/progress.hpp"

#include <cmath>
#include <string>

#include "common/logging.hpp"

namespace pointsim::app {

ProgressReporter::ProgressReporter(const TimeGrid& grid, bool enabled, bool terminal)
    : grid_(grid), enabled_(enabled), terminal_(terminal), start_(std::chrono::steady_clock::now()), last_draw_(start_) {}

ProgressReporter::~ProgressReporter() {
    if (drawn_) std::fputc('\n', stderr);
}

void ProgressReporter::operator()(Step done, Step total) {
    if (!enabled_ || total <= 0) return;
    const auto now = std::chrono::steady_clock::now();
    const double elapsed = std::chrono::duration<double>(now - start_).count();
    const double fraction = static_cast<double>(done) / static_cast<double>(total);
    const double sim_ms = grid_.step_to_ms(done);
    // Real-time factor: simulated seconds per wall second.
    const double rtf = elapsed > 0 ? sim_ms / 1000.0 / elapsed : 0.0;
    const double eta = fraction > 0 ? elapsed * (1.0 - fraction) / fraction : 0.0;
    if (terminal_) {
        // Redraw at most 10 times a second, and at the end.
        if (done != total && std::chrono::duration<double>(now - last_draw_).count() < 0.1) return;
        last_draw_ = now;
        constexpr int width = 30;
        const int filled = static_cast<int>(std::lround(fraction * width));
        std::string bar(static_cast<std::size_t>(filled), '#');
        bar.resize(width, '-');
        std::fprintf(stderr, "\r[%s] %5.1f%%  %.1f / %.1f ms  %.3gx real time  ETA %.0f s   ", bar.c_str(),
                     100.0 * fraction, sim_ms, grid_.step_to_ms(total), rtf, eta);
        std::fflush(stderr);
        drawn_ = true;
        return;
    }
    const int decile = static_cast<int>(std::floor(fraction * 10.0 + 1e-9));
    if (decile <= last_decile_) return;
    last_decile_ = decile;
    logging::get()->info("Simulated {:.1f} of {:.1f} ms ({:.0f}%), {:.3g}x real time, ETA {:.0f} s", sim_ms,
                         grid_.step_to_ms(total), 100.0 * fraction, rtf, eta);
}

}  // namespace pointsim::app
