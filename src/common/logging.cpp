#include "common/logging.hpp"

#include <algorithm>

#include <spdlog/sinks/basic_file_sink.h>
#include <spdlog/sinks/stdout_color_sinks.h>

#include "common/error.hpp"

namespace pointsim::logging {

std::shared_ptr<spdlog::logger> get() {
    static std::shared_ptr<spdlog::logger> logger = [] {
        auto console = std::make_shared<spdlog::sinks::stderr_color_sink_mt>();
        auto l = std::make_shared<spdlog::logger>("pointsim", console);
        l->set_pattern("%Y-%m-%d %H:%M:%S,%e [%l] %v");  // PointNet's "%(asctime)s [%(levelname)s] %(message)s"
        l->set_level(spdlog::level::info);
        l->flush_on(spdlog::level::info);
        return l;
    }();
    return logger;
}

void add_file_sink(const std::filesystem::path& file) {
    try {
        auto sink = std::make_shared<spdlog::sinks::basic_file_sink_mt>(file.string(), true);
        sink->set_pattern("%Y-%m-%d %H:%M:%S,%e [%l] %v");
        get()->sinks().push_back(sink);
    } catch (const spdlog::spdlog_ex& e) {
        throw output_error("cannot open log file " + file.string() + ": " + e.what());
    }
}

void remove_file_sinks() {
    auto& sinks = get()->sinks();
    sinks.erase(std::remove_if(sinks.begin(), sinks.end(),
                               [](const spdlog::sink_ptr& s) {
                                   return std::dynamic_pointer_cast<spdlog::sinks::basic_file_sink_mt>(s) != nullptr;
                               }),
                sinks.end());
}

// The console sink (the first) gets `level`; the logger lets info through so the
// log file stays complete under --quiet.
void set_level(spdlog::level::level_enum level) {
    auto l = get();
    l->sinks().front()->set_level(level);
    l->set_level(std::min(level, spdlog::level::info));
}

}  // namespace pointsim::logging
