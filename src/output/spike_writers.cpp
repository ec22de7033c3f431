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
#include <stdexcept>
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

// The populations that will be written (those with spikes) must have names
// that fit both formats, once each.
void validate(const fs::path& file, const SpikeSource& spikes) {
    std::set<std::string> seen;
    for (std::size_t i = 0; i < spikes.n_populations(); ++i) {
        if (spikes.count(i) == 0) continue;
        const std::string& name = spikes.population(i);
        const std::string where = "cannot write spike file '" + file.string() + "': ";
        if (name.empty() || name.find_first_of("/ \t\r\n") != std::string::npos)
            throw output_error(where + "invalid population name '" + name + "'");
        if (!seen.insert(name).second) throw output_error(where + "population '" + name + "' given twice");
    }
}

// Spikes held in memory, each population sorted once and handed over whole.
class SortedVectors final : public SpikeSource {
public:
    SortedVectors(std::vector<PopulationSpikes> spikes, SortOrder order) : spikes_(std::move(spikes)), order_(order) {
        for (auto& s : spikes_) sort_spikes(s, order);
    }
    std::size_t n_populations() const override { return spikes_.size(); }
    const std::string& population(std::size_t i) const override { return spikes_[i].population; }
    std::uint64_t count(std::size_t i) const override { return spikes_[i].node_ids.size(); }
    void for_each_chunk(std::size_t i, SortOrder order,
                        const std::function<void(const PopulationSpikes&)>& chunk) const override {
        if (order != order_) throw std::logic_error("SortedVectors: spikes sorted in another order");
        if (!spikes_[i].node_ids.empty()) chunk(spikes_[i]);
    }

private:
    std::vector<PopulationSpikes> spikes_;
    SortOrder order_;
};

// Writes population i's column (timestamps or node ids) chunk by chunk into
// its contiguous dataset of count(i) values: the same bytes as one write.
template <class Column>
void write_column(const SpikeSource& spikes, std::size_t i, SortOrder order, H5::DataSet& ds,
                  const H5::PredType& mem_type, Column column) {
    std::uint64_t offset = 0;
    spikes.for_each_chunk(i, order, [&](const PopulationSpikes& c) {
        const auto& values = column(c);
        detail::write_1d_slab(ds, mem_type, values.data(), offset, values.size());
        offset += values.size();
    });
    if (offset != spikes.count(i))
        throw std::logic_error("spike source gave " + std::to_string(offset) + " spikes of " +
                               std::to_string(spikes.count(i)) + " for population " + spikes.population(i));
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
    write_spikes_h5_from(file, SortedVectors(std::move(spikes), order), order);
}

void write_spikes_h5_from(const fs::path& file, const SpikeSource& spikes, SortOrder order) {
    validate(file, spikes);
    detail::with_h5_errors(file, "spike file", [&] {
        H5::H5File h5 = detail::create_file(file.string());
        detail::write_sonata_root_attrs(h5);
        // BMTK's readers look for /spikes even when nothing fired.
        H5::Group root = detail::create_group(h5.openGroup("/"), "spikes");
        for (std::size_t i = 0; i < spikes.n_populations(); ++i) {
            const std::uint64_t n = spikes.count(i);
            if (n == 0) continue;  // as BMTK: no group without spikes
            H5::Group pop = detail::create_group(root, spikes.population(i));
            detail::write_string_attr(pop, "sorting", sorting_name(order));
            // Contiguous and uncompressed: simple, fast and byte-deterministic.
            // Each dataset is filled before the next object is created, so the
            // file's layout does not depend on how the spikes are chunked.
            H5::DataSet ts = detail::create_1d(pop, "timestamps", H5::PredType::IEEE_F64LE, n);
            write_column(spikes, i, order, ts, H5::PredType::NATIVE_DOUBLE,
                         [](const PopulationSpikes& c) -> const std::vector<double>& { return c.timestamps; });
            detail::write_string_attr(ts, "units", "ms");
            H5::DataSet ids = detail::create_1d(pop, "node_ids", H5::PredType::STD_U64LE, n);
            write_column(spikes, i, order, ids, H5::PredType::NATIVE_UINT64,
                         [](const PopulationSpikes& c) -> const std::vector<std::uint64_t>& { return c.node_ids; });
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
    write_spikes_csv_from(file, SortedVectors(std::move(spikes), order), order);
}

void write_spikes_csv_from(const fs::path& file, const SpikeSource& spikes, SortOrder order) {
    validate(file, spikes);
    errno = 0;
    std::ofstream out(file, std::ios::binary | std::ios::trunc);
    if (!out) {
        const std::string reason = errno != 0 ? std::strerror(errno) : "cannot open";
        throw output_error("cannot write spike file '" + file.string() + "': " + reason);
    }
    out << "timestamps population node_ids\n";
    std::string text;  // one chunk's lines
    for (std::size_t i = 0; i < spikes.n_populations(); ++i) {
        const std::string& name = spikes.population(i);
        spikes.for_each_chunk(i, order, [&](const PopulationSpikes& c) {
            text.clear();
            for (std::size_t k = 0; k < c.node_ids.size(); ++k) {
                text += format_float_repr(c.timestamps[k]);
                text += ' ';
                text += name;
                text += ' ';
                text += std::to_string(c.node_ids[k]);
                text += '\n';
            }
            out.write(text.data(), static_cast<std::streamsize>(text.size()));
        });
    }
    out.close();
    // A partial file is left to the caller, which writes under a temporary name (StagedFiles).
    if (!out) throw output_error("cannot write spike file '" + file.string() + "': write failed");
}

}  // namespace pointsim::output
