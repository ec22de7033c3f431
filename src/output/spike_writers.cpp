// Spike outputs: SONATA spikes.h5 and BMTK's space-separated spikes.csv.
#include <algorithm>
#include <cerrno>
#include <charconv>
#include <cmath>
#include <cstdlib>
#include <cstring>
#include <fstream>
#include <numeric>
#include <set>
#include <string>
#include <system_error>

#include "common/error.hpp"
#include "output/h5_util.hpp"
#include "output/writers.hpp"

namespace pointsim::output {

namespace {

std::string sizes_message(const PopulationSpikes& s) {
    return "spike population '" + s.population + "' has " + std::to_string(s.node_ids.size()) +
           " node ids but " + std::to_string(s.timestamps.size()) + " timestamps";
}

// Checked before the file is created so that bad input never truncates it.
void validate(const fs::path& file, const std::vector<PopulationSpikes>& spikes) {
    std::set<std::string> seen;
    for (const auto& s : spikes) {
        const std::string where = "cannot write spike file '" + file.string() + "': ";
        if (s.node_ids.size() != s.timestamps.size()) throw output_error(where + sizes_message(s));
        // '/' would nest HDF5 groups and whitespace would break the CSV columns.
        if (s.population.empty() ||
            s.population.find_first_of("/ \t\r\n") != std::string::npos)
            throw output_error(where + "invalid population name '" + s.population + "'");
        if (!seen.insert(s.population).second)
            throw output_error(where + "population '" + s.population + "' given twice");
    }
}

}  // namespace

const char* sorting_name(SortOrder order) {
    switch (order) {
        case SortOrder::ByTime: return "by_time";
        case SortOrder::ById: return "by_id";
        case SortOrder::None: break;
    }
    return "none";
}

void sort_spikes(PopulationSpikes& spikes, SortOrder order) {
    if (spikes.node_ids.size() != spikes.timestamps.size())
        throw output_error(sizes_message(spikes));
    if (order == SortOrder::None) return;

    const auto& t = spikes.timestamps;
    const auto& id = spikes.node_ids;
    std::vector<std::size_t> perm(t.size());
    std::iota(perm.begin(), perm.end(), std::size_t{0});
    // Stable, with the other column as secondary key, so that output does not
    // depend on the sort implementation (the spec leaves ties open).
    if (order == SortOrder::ByTime) {
        std::stable_sort(perm.begin(), perm.end(), [&](std::size_t a, std::size_t b) {
            return t[a] < t[b] || (t[a] == t[b] && id[a] < id[b]);
        });
    } else {
        std::stable_sort(perm.begin(), perm.end(), [&](std::size_t a, std::size_t b) {
            return id[a] < id[b] || (id[a] == id[b] && t[a] < t[b]);
        });
    }

    std::vector<std::uint64_t> ids(perm.size());
    std::vector<double> times(perm.size());
    for (std::size_t i = 0; i < perm.size(); ++i) {
        ids[i] = id[perm[i]];
        times[i] = t[perm[i]];
    }
    spikes.node_ids = std::move(ids);
    spikes.timestamps = std::move(times);
}

void write_spikes_h5(const fs::path& file, std::vector<PopulationSpikes> spikes, SortOrder order) {
    validate(file, spikes);
    for (auto& s : spikes) sort_spikes(s, order);

    detail::with_h5_errors(file, "spike file", [&] {
        H5::H5File h5 = detail::create_file(file.string());
        detail::write_sonata_root_attrs(h5);
        // BMTK's readers look for /spikes even when nothing fired.
        H5::Group root = detail::create_group(h5.openGroup("/"), "spikes");
        for (const auto& s : spikes) {
            if (s.node_ids.empty()) continue;  // as BMTK: no group without spikes
            H5::Group pop = detail::create_group(root, s.population);
            detail::write_string_attr(pop, "sorting", sorting_name(order));
            // Contiguous and uncompressed: simple, fast and byte-deterministic.
            H5::DataSet ts = detail::write_1d(pop, "timestamps", H5::PredType::IEEE_F64LE,
                                              H5::PredType::NATIVE_DOUBLE, s.timestamps.data(),
                                              s.timestamps.size());
            detail::write_string_attr(ts, "units", "ms");
            detail::write_1d(pop, "node_ids", H5::PredType::STD_U64LE,
                             H5::PredType::NATIVE_UINT64, s.node_ids.data(), s.node_ids.size());
        }
        h5.close();  // explicit, so that a failing final flush is reported
    });
}

std::string format_float_repr(double value) {
    if (std::isnan(value)) return "nan";
    if (std::isinf(value)) return value > 0 ? "inf" : "-inf";

    // Shortest round-trip digits in scientific form, e.g. "-1.2345e+01".
    char buf[64];
    auto res = std::to_chars(buf, buf + sizeof buf, value, std::chars_format::scientific);
    const std::string sci(buf, res.ptr);

    std::string out;
    std::size_t pos = 0;
    if (sci[0] == '-') {
        out += '-';
        pos = 1;
    }
    const std::size_t e = sci.find('e');
    std::string digits;
    for (std::size_t i = pos; i < e; ++i)
        if (sci[i] != '.') digits += sci[i];
    const int exp10 = std::atoi(sci.c_str() + e + 1);
    const int ndigits = static_cast<int>(digits.size());

    // Python's float_repr rule: positional for 1e-4 <= |x| < 1e16.
    if (exp10 < -4 || exp10 >= 16) {
        out += digits[0];
        if (ndigits > 1) out += "." + digits.substr(1);
        out += exp10 < 0 ? "e-" : "e+";
        const int a = std::abs(exp10);
        if (a < 10) out += '0';
        out += std::to_string(a);
        return out;
    }
    const int point = exp10 + 1;  // digits before the decimal point
    if (point <= 0) {
        out += "0." + std::string(static_cast<std::size_t>(-point), '0') + digits;
    } else if (point >= ndigits) {
        out += digits + std::string(static_cast<std::size_t>(point - ndigits), '0') + ".0";
    } else {
        out += digits.substr(0, static_cast<std::size_t>(point)) + "." +
               digits.substr(static_cast<std::size_t>(point));
    }
    return out;
}

void write_spikes_csv(const fs::path& file, std::vector<PopulationSpikes> spikes, SortOrder order) {
    validate(file, spikes);

    // Build in memory, then write once: one error check and no partial rows.
    std::string text = "timestamps population node_ids\n";
    for (auto& s : spikes) {
        sort_spikes(s, order);
        for (std::size_t i = 0; i < s.node_ids.size(); ++i) {
            text += format_float_repr(s.timestamps[i]);
            text += ' ';
            text += s.population;
            text += ' ';
            text += std::to_string(s.node_ids[i]);
            text += '\n';
        }
    }

    errno = 0;
    std::ofstream out(file, std::ios::binary | std::ios::trunc);
    if (!out) {
        const std::string reason = errno != 0 ? std::strerror(errno) : "cannot open";
        throw output_error("cannot write spike file '" + file.string() + "': " + reason);
    }
    out.write(text.data(), static_cast<std::streamsize>(text.size()));
    out.close();
    if (!out) throw output_error("cannot write spike file '" + file.string() + "': write failed");
}

}  // namespace pointsim::output
