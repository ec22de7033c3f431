#include <cmath>
#include <filesystem>
#include <fstream>
#include <sstream>

#include "common/error.hpp"
#include "common/logging.hpp"
#include "inputs/inputs.hpp"

namespace pointsim::inputs {

namespace {

using Json = nlohmann::json;

std::vector<double> number_list(const Json& params, const char* key, const std::string& where) {
    auto it = params.find(key);
    if (it == params.end()) throw config_error(where + ": missing current-clamp parameter '" + key + "'");
    std::vector<double> out;
    if (it->is_number()) {
        out.push_back(it->get<double>());
    } else if (it->is_array()) {
        for (const auto& v : *it) {
            if (!v.is_number()) throw config_error(where + "." + key + ": expected numbers, got " + v.dump());
            out.push_back(v.get<double>());
        }
    } else {
        throw config_error(where + "." + key + ": expected a number or a list of numbers, got " + it->dump());
    }
    for (double v : out)
        if (!std::isfinite(v)) throw config_error(where + "." + key + ": value " + std::to_string(v) + " is not finite");
    return out;
}

struct TimedAmplitude {
    double time;
    double amplitude;
};

// BMTK AmpsReader + PointNet IClamp module: (delay, amp) and the switch-off
// (delay + duration, 0) unless the next pulse starts before it ends.
std::vector<TimedAmplitude> pulses(const Json& params, const std::string& where, double dt_ms) {
    const auto amp = number_list(params, "amp", where);
    const auto delay = number_list(params, "delay", where);
    const auto duration = number_list(params, "duration", where);
    if (amp.size() != delay.size() || amp.size() != duration.size())
        throw config_error(where + ": current clamp parameters amp, delay, duration must be same length (amp has " +
                           std::to_string(amp.size()) + ", delay " + std::to_string(delay.size()) + ", duration " +
                           std::to_string(duration.size()) + ")");
    std::vector<TimedAmplitude> out;
    for (std::size_t i = 0; i < amp.size(); ++i) {
        out.push_back({delay[i], amp[i]});
        // BMTK skips an entry whose onset is <= dt together with its switch-off;
        // the caller drops (and counts) the onset itself.
        if (delay[i] <= dt_ms) continue;
        const double off = delay[i] + duration[i];
        // Equal switch-off and next onset: NEST would reject the repeated time;
        // pointsim merges the two pulses (the next amplitude replaces this one).
        if (i + 1 == amp.size() || off < delay[i + 1]) out.push_back({off, 0.0});
    }
    return out;
}

// BMTK CSVAmpReader: each row sets the amplitude from its time on.
std::vector<TimedAmplitude> csv_amplitudes(const Json& params, const std::string& where) {
    auto it = params.find("file");
    if (it == params.end() || !it->is_string()) throw config_error(where + ".file is missing (IClamp csv input)");
    const std::string file = it->get<std::string>();
    const std::string sep = params.value("separator", " ");
    const std::string t_col = params.value("timestamps_column", "timestamps");
    const std::string a_col = params.value("amplitudes_column", "amps");
    std::error_code ec;
    if (!std::filesystem::exists(file, ec)) throw input_error(file + ": file not found (" + where + ".file)");
    std::ifstream in(file);
    if (!in) throw input_error(file + ": cannot open IClamp csv file (" + where + ".file)");
    auto split = [&](const std::string& line) {
        std::vector<std::string> out;
        if (sep == " ") {
            std::istringstream s(line);
            for (std::string f; s >> f;) out.push_back(f);
        } else {
            std::string cur;
            for (char c : line) {
                if (sep.find(c) != std::string::npos) { out.push_back(cur); cur.clear(); }
                else if (c != '\r') cur += c;
            }
            out.push_back(cur);
        }
        return out;
    };
    std::string line;
    if (!std::getline(in, line)) throw input_error(file + ": empty IClamp csv file");
    const auto header = split(line);
    auto col = [&](const std::string& name) {
        for (std::size_t i = 0; i < header.size(); ++i)
            if (header[i] == name) return i;
        throw input_error(file + ": line 1: no column '" + name + "'");
    };
    const std::size_t ti = col(t_col), ai = col(a_col);
    std::vector<TimedAmplitude> out;
    for (std::size_t lineno = 2; std::getline(in, line); ++lineno) {
        if (line.find_first_not_of(" \t\r") == std::string::npos) continue;
        const auto f = split(line);
        if (f.size() != header.size())
            throw input_error(file + ": line " + std::to_string(lineno) + ": expected " + std::to_string(header.size()) +
                              " fields, found " + std::to_string(f.size()));
        try {
            std::size_t used_t = 0, used_a = 0;
            const double t = std::stod(f[ti], &used_t), a = std::stod(f[ai], &used_a);
            if (used_t != f[ti].size() || used_a != f[ai].size()) throw std::invalid_argument("trailing");
            out.push_back({t, a});
        } catch (const std::exception&) {
            throw input_error(file + ": line " + std::to_string(lineno) + ": '" + line + "' is not two numbers");
        }
    }
    if (out.size() < 2) throw input_error(file + ": an IClamp csv file needs at least 2 rows");
    return out;
}

}  // namespace

std::vector<CurrentClamp> load_current_clamps(const config::SimulationConfig& cfg, const network::Network& net,
                                              const TimeGrid& grid) {
    std::vector<CurrentClamp> clamps;
    for (const auto& in : cfg.inputs) {
        if (in.params.value("module", "") != "IClamp") continue;
        const std::string where = cfg.config_path.string() + ": inputs." + in.name;
        const std::string type = in.params.value("input_type", "");
        std::vector<TimedAmplitude> timed;
        if (type == "current_clamp") timed = pulses(in.params, where, grid.dt_ms);
        else if (type == "csv" || type == "file") timed = csv_amplitudes(in.params, where);
        else throw config_error(where + ".input_type: '" + type + "' is not supported for IClamp (current_clamp, csv, file)");

        CurrentClamp clamp;
        clamp.name = in.name;
        Step last = 0;
        std::size_t skipped = 0;
        for (const auto& [t, a] : timed) {
            // BMTK drops every entry whose onset is <= dt ("IClamp Stimulus has onset (delay) skipping values...").
            if (t <= grid.dt_ms) {
                ++skipped;
                continue;
            }
            if (!grid.on_grid(t))
                throw config_error(where + ": clamp time " + std::to_string(t) + " ms is not a multiple of dt = " +
                                   std::to_string(grid.dt_ms) + " ms");
            const Step s = grid.ms_to_steps_ceil(t);
            if (s <= last)
                throw config_error(where + ": clamp times must be strictly increasing (" + std::to_string(t) + " ms)");
            last = s;
            clamp.changes.push_back({s, a});
        }
        if (skipped) logging::get()->warn("inputs.{}: {} clamp entries with onset <= dt were skipped, as PointNet does", in.name, skipped);
        const auto gids = network::resolve_node_set(in.params.value("node_set", Json("all")), cfg.node_sets, net,
                                                    where + ".node_set");
        for (auto g : gids) {
            const auto& loc = net.location[g];
            if (loc.group >= 0) clamp.targets.push_back(loc.flat);
        }
        logging::get()->info("Input {}: current clamp on {} cells, {} amplitude changes", in.name, clamp.targets.size(),
                             clamp.changes.size());
        clamps.push_back(std::move(clamp));
    }
    return clamps;
}

}  // namespace pointsim::inputs
