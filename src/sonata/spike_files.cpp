// Spike input files: SONATA h5 (current and legacy layouts) and BMTK's CSV
// (semantics.md 2.8 and 4.1-4.2).
#include <algorithm>
#include <charconv>
#include <fstream>
#include <functional>
#include <sstream>
#include <string_view>

#include "common/error.hpp"
#include "h5_util.hpp"
#include "sonata/sonata.hpp"

namespace pointsim::sonata {

namespace {

// ---------------------------------------------------------------- h5

// One population's spikes, `chunk` rows at a time (the whole group when chunk is 0).
void read_spike_group(const h5::GroupRef& g, std::size_t chunk,
                      const std::function<void(const SpikeList& piece, std::size_t first_row)>& piece) {
    const h5::Dataset times = g.require_dataset("timestamps");
    // Current files say node_ids; legacy ones (before SONATA 1.0) gids.
    std::optional<h5::Dataset> ids = g.dataset("node_ids");
    if (!ids) ids = g.dataset("gids");
    if (!ids) h5::fail(g.file(), g.child_path("node_ids"), "required dataset is missing (nor is there gids)");
    h5::check_rows(times, times.rows(), times.path());
    h5::check_rows(*ids, times.rows(), times.path());
    SpikeList out;
    if (chunk == 0) {
        out.timestamps = times.read_double();
        out.node_ids = ids->read_uint64();
        piece(out, 0);
        return;
    }
    for (std::size_t begin = 0; begin < times.rows(); begin += chunk) {
        const std::size_t n = std::min(chunk, times.rows() - begin);
        out.timestamps = times.read_double(begin, n);
        out.node_ids = ids->read_uint64(begin, n);
        piece(out, begin);
    }
}

// ---------------------------------------------------------------- csv

[[noreturn]] void fail_line(const fs::path& file, std::size_t line, const std::string& what) {
    throw input_error(file.string() + ": line " + std::to_string(line) + ": " + what);
}

// With a space separator, runs of spaces/tabs count as one (hand-edited
// files); any other separator splits exactly and the fields are trimmed.
std::vector<std::string_view> split(std::string_view line, char sep) {
    std::vector<std::string_view> out;
    auto blank = [](char c) { return c == ' ' || c == '\t'; };
    if (sep == ' ' || sep == '\t') {
        std::size_t i = 0;
        while (true) {
            while (i < line.size() && blank(line[i])) ++i;
            if (i == line.size()) break;
            const std::size_t start = i;
            while (i < line.size() && !blank(line[i])) ++i;
            out.push_back(line.substr(start, i - start));
        }
        return out;
    }
    std::size_t start = 0;
    while (true) {
        const std::size_t end = std::min(line.find(sep, start), line.size());
        std::string_view f = line.substr(start, end - start);
        while (!f.empty() && blank(f.front())) f.remove_prefix(1);
        while (!f.empty() && blank(f.back())) f.remove_suffix(1);
        out.push_back(f);
        if (end == line.size()) break;
        start = end + 1;
    }
    return out;
}

template <class T>
bool parse(std::string_view s, T& out) {
    if (!s.empty() && s.front() == '+') s.remove_prefix(1);
    if (s.empty()) return false;
    const char* end = s.data() + s.size();
    auto [ptr, ec] = std::from_chars(s.data(), end, out);
    return ec == std::errc() && ptr == end;
}

bool is_blank(std::string_view line) {
    return std::all_of(line.begin(), line.end(), [](char c) { return c == ' ' || c == '\t'; });
}

}  // namespace

namespace {

// The spike groups of a file by population name ("" for the legacy flat layout), in the file's order.
std::vector<std::pair<std::string, h5::GroupRef>> spike_groups(const fs::path& file) {
    const h5::GroupRef root = h5::open_file(file);
    const auto spikes = root.group("spikes");
    if (!spikes) h5::fail(file, "/spikes", "required group is missing");
    std::vector<std::pair<std::string, h5::GroupRef>> out;
    // Legacy flat layout: the datasets sit directly in /spikes.
    if (spikes->kind("timestamps") == h5::Kind::dataset || spikes->kind("node_ids") == h5::Kind::dataset ||
        spikes->kind("gids") == h5::Kind::dataset)
        out.emplace_back("", *spikes);
    for (const std::string& name : spikes->children())
        if (spikes->kind(name) == h5::Kind::group) out.emplace_back(name, *spikes->group(name));
    return out;
}

}  // namespace

std::vector<std::string> spike_populations_h5(const fs::path& file) {
    std::vector<std::string> names;
    for (const auto& [name, group] : spike_groups(file)) names.push_back(name);
    return names;
}

void read_spikes_h5(const fs::path& file, const std::string& population, std::size_t chunk,
                    const std::function<void(const SpikeList& piece, std::size_t first_row)>& piece) {
    for (const auto& [name, group] : spike_groups(file))
        if (name == population) return read_spike_group(group, chunk, piece);
    h5::fail(file, population.empty() ? "/spikes" : "/spikes/" + population, "no such spike population");
}

SpikesByPopulation read_spikes_h5(const fs::path& file) {
    SpikesByPopulation out;
    for (const auto& [name, group] : spike_groups(file))
        read_spike_group(group, 0, [&, name = name](const SpikeList& piece, std::size_t) { out.emplace(name, piece); });
    return out;
}

SpikesByPopulation read_spikes_csv(const fs::path& file, const std::string& default_population, char sep) {
    std::ifstream in(file, std::ios::binary);
    if (!in) {
        std::error_code ec;
        throw input_error(file.string() + ": " + (fs::exists(file, ec) ? "cannot be read" : "file not found"));
    }
    std::ostringstream buffer;
    buffer << in.rdbuf();
    const std::string text = buffer.str();

    // Without a header BMTK takes the columns to be "timestamps node_ids".
    std::size_t time_col = 0, id_col = 1;
    std::optional<std::size_t> pop_col;
    std::size_t min_fields = 2;
    bool first = true;

    SpikesByPopulation out;
    SpikeList* list = nullptr;  // rows of one population come in runs: avoid a map lookup per row
    std::string list_pop;

    std::size_t line_no = 0;
    for (std::size_t pos = 0; pos < text.size();) {
        std::size_t eol = text.find('\n', pos);
        if (eol == std::string::npos) eol = text.size();
        std::string_view line(text.data() + pos, eol - pos);
        pos = eol + 1;
        ++line_no;
        if (!line.empty() && line.back() == '\r') line.remove_suffix(1);
        if (line_no == 1 && line.substr(0, 3) == "\xEF\xBB\xBF") line.remove_prefix(3);  // UTF-8 BOM
        if (is_blank(line)) continue;
        const std::vector<std::string_view> fields = split(line, sep);

        if (first) {
            first = false;
            const auto find = [&](std::string_view name) -> std::optional<std::size_t> {
                const auto it = std::find(fields.begin(), fields.end(), name);
                if (it == fields.end()) return std::nullopt;
                return static_cast<std::size_t>(it - fields.begin());
            };
            const auto t = find("timestamps"), p = find("population"), n = find("node_ids");
            if (t || p || n) {  // a header: any recognised name makes it one
                if (!t) fail_line(file, line_no, "the header has no 'timestamps' column");
                if (!n) fail_line(file, line_no, "the header has no 'node_ids' column");
                time_col = *t;
                id_col = *n;
                pop_col = p;
                min_fields = std::max({time_col, id_col, pop_col.value_or(0)}) + 1;
                continue;
            }
        }

        if (fields.size() < min_fields)
            fail_line(file, line_no,
                      std::to_string(fields.size()) + " fields, expected at least " + std::to_string(min_fields));
        double t = 0;
        if (!parse(fields[time_col], t))
            fail_line(file, line_no, "timestamps '" + std::string(fields[time_col]) + "' is not a number");
        std::uint64_t id = 0;
        if (!parse(fields[id_col], id))
            fail_line(file, line_no, "node_ids '" + std::string(fields[id_col]) + "' is not a non-negative integer");
        const std::string_view pop = pop_col ? fields[*pop_col] : std::string_view(default_population);
        if (!list || pop != list_pop) {
            list_pop = std::string(pop);
            list = &out[list_pop];
        }
        list->timestamps.push_back(t);
        list->node_ids.push_back(id);
    }
    return out;
}

}  // namespace pointsim::sonata
