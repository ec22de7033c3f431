#include <algorithm>
#include <cctype>
#include <cmath>
#include <filesystem>
#include <fstream>
#include <optional>
#include <sstream>
#include <utility>

#include "common/error.hpp"
#include "common/logging.hpp"
#include "inputs/inputs.hpp"
#include "sonata/sonata.hpp"

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

std::string shown(double v) {
    std::ostringstream s;
    s.precision(12);
    s << v;
    return s.str();
}

// BMTK's sweep_id rule: a value Python's int() accepts (6, 6.0, "6", " +06 ")
// names the group Sweep_<int>, as the Allen files name their sweeps; any
// other string is the group name itself.
std::string sweep_name(const Json& id, const std::string& where) {
    if (id.is_number_integer()) return "Sweep_" + id.dump();
    if (id.is_number_float()) {
        const double v = id.get<double>();
        // BMTK's int() would truncate 6.5 to 6; pointsim refuses to guess.
        if (!std::isfinite(v) || v != std::trunc(v) || std::abs(v) > 9e15)
            throw config_error(where + ".sweep_id: " + id.dump() + " is not a whole number");
        return "Sweep_" + std::to_string(static_cast<long long>(v));
    }
    if (!id.is_string()) throw config_error(where + ".sweep_id: expected an integer or a string, got " + id.dump());
    const std::string text = id.get<std::string>();
    // Python int(str): surrounding whitespace, an optional sign, digits with
    // single underscores between them.
    std::size_t b = 0, e = text.size();
    while (b < e && std::isspace(static_cast<unsigned char>(text[b]))) ++b;
    while (e > b && std::isspace(static_cast<unsigned char>(text[e - 1]))) --e;
    std::string sign, digits;
    std::size_t i = b;
    if (i < e && (text[i] == '+' || text[i] == '-')) sign = text[i++] == '-' ? "-" : "";
    bool ok = i < e;
    for (bool after_digit = false; ok && i < e; ++i) {
        const char c = text[i];
        if (c >= '0' && c <= '9') {
            digits += c;
            after_digit = true;
        } else if (c == '_' && after_digit && i + 1 < e) {
            after_digit = false;
        } else {
            ok = false;
        }
    }
    if (!ok || digits.empty()) return text;
    digits.erase(0, std::min(digits.find_first_not_of('0'), digits.size() - 1));
    return "Sweep_" + (digits == "0" ? "" : sign) + digits;
}

std::optional<double> optional_number(const Json& params, const char* key, const std::string& where) {
    auto it = params.find(key);
    if (it == params.end() || it->is_null()) return std::nullopt;
    if (!it->is_number() || !std::isfinite(it->get<double>()))
        throw config_error(where + "." + key + ": expected a number, got " + it->dump());
    return it->get<double>();
}

// BMTK NWBReader: one amplitude per sample of the sweep's stimulus, amperes
// x 1e9 (which PointNet hands to NEST as pA), at time index x 1000 / rate ms;
// `downsample` (ms) keeps every round(downsample / interval)-th sample,
// `sweep_window` [t0, t1] (ms, sample time) keeps t0 <= t <= t1, and `delay`
// (ms) is added last. Times are left as they fall; the caller checks the grid.
std::vector<TimedAmplitude> nwb_amplitudes(const Json& params, const std::string& where, std::string& sampling) {
    auto it = params.find("file");
    if (it == params.end() || !it->is_string()) throw config_error(where + ".file is missing (IClamp nwb input)");
    const std::string file = it->get<std::string>();
    const auto id = params.find("sweep_id");
    if (id == params.end()) throw config_error(where + ".sweep_id is missing (IClamp nwb input)");
    const std::string sweep = sweep_name(*id, where);

    const auto downsample = optional_number(params, "downsample", where);
    if (downsample && *downsample <= 0)
        throw config_error(where + ".downsample: " + params.at("downsample").dump() + " ms must be a positive number");
    std::optional<std::pair<double, double>> window;
    if (auto w = params.find("sweep_window"); w != params.end() && !w->is_null()) {
        const bool pair = w->is_array() && w->size() == 2 && (*w)[0].is_number() && (*w)[1].is_number();
        if (!pair || !((*w)[0].get<double>() >= 0) || !((*w)[0].get<double>() < (*w)[1].get<double>()))
            throw config_error(where + ".sweep_window: " + w->dump() +
                               " must be [start_time, stop_time] with 0 <= start_time < stop_time (ms)");
        window = std::make_pair((*w)[0].get<double>(), (*w)[1].get<double>());
    }
    const double offset = optional_number(params, "delay", where).value_or(0.0);

    std::error_code ec;
    if (!std::filesystem::exists(file, ec)) throw input_error(file + ": file not found (" + where + ".file)");
    const sonata::NwbStimulus stim = sonata::read_nwb_stimulus(file, sweep);

    const double interval = 1000.0 / stim.rate;  // ms between samples
    std::size_t stride = 1;
    // np.round: halves to even, as nearbyint in the default rounding mode.
    if (downsample && *downsample > interval) stride = static_cast<std::size_t>(std::nearbyint(*downsample / interval));
    sampling = file + " " + sweep + " has one sample every " + shown(interval * static_cast<double>(stride)) + " ms";

    std::vector<TimedAmplitude> out;
    out.reserve(stim.data.size() / stride + 1);
    for (std::size_t i = 0; i < stim.data.size(); i += stride) {
        const double t = static_cast<double>(i) * interval;
        if (window && (t < window->first || t > window->second)) continue;
        // numpy keeps float32 data in float32 when scaling by 1e9.
        const double amp = stim.single_precision ? static_cast<double>(static_cast<float>(stim.data[i]) * 1.0e9f)
                                                 : stim.data[i] * 1.0e9;
        out.push_back({t + offset, amp});
    }
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
        std::string sampling;  // for the off-grid message of sampled inputs
        if (type == "current_clamp") timed = pulses(in.params, where, grid.dt_ms);
        else if (type == "csv" || type == "file") timed = csv_amplitudes(in.params, where);
        else if (type == "nwb" || type == "allen") timed = nwb_amplitudes(in.params, where, sampling);
        else
            throw config_error(where + ".input_type: '" + type +
                               "' is not supported for IClamp (current_clamp, csv, file, nwb, allen)");

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
                throw config_error(where + ": clamp time " + shown(t) + " ms is not a multiple of dt = " +
                                   shown(grid.dt_ms) + " ms" +
                                   (sampling.empty() ? "" : " (" + sampling + "; set \"downsample\" to a multiple of dt)"));
            const Step s = grid.ms_to_steps_ceil(t);
            if (s <= last)
                throw config_error(where + ": clamp times must be strictly increasing (" + std::to_string(t) + " ms)");
            last = s;
            clamp.changes.push_back({s, a});
        }
        // A sampled sweep always starts at 0 ms, so dropping its first samples is
        // expected there (info); a pulse or csv entry that early is likely a mistake.
        if (skipped)
            logging::get()->log(sampling.empty() ? spdlog::level::warn : spdlog::level::info,
                                "inputs.{}: {} clamp entries with onset <= dt were skipped, as PointNet does", in.name,
                                skipped);
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
