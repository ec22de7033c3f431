// node_types.csv / edge_types.csv (semantics.md 1.4). The format follows the
// SONATA spec and NEST (runs of whitespace, double quotes) rather than BMTK's
// single-space pandas call, which it accepts as a special case.
#include <algorithm>
#include <charconv>
#include <fstream>
#include <sstream>
#include <string_view>

#include "common/error.hpp"
#include "sonata/sonata.hpp"

namespace pointsim::sonata {

namespace {

[[noreturn]] void fail_line(const fs::path& file, std::size_t line, const std::string& what) {
    throw input_error(file.string() + ": line " + std::to_string(line) + ": " + what);
}

// NONE (BMTK's na_values) plus pandas' default NA strings (pandas 2 also
// lists "None"). As in pandas, quoting a field does not stop it being missing.
bool is_missing(const std::string& s) {
    static const char* const kMissing[] = {
        "",       "NONE",    "None",     "#N/A", "#N/A N/A", "#NA", "N/A",  "n/a",  "NA",     "<NA>", "NULL",
        "null",   "NaN",     "-NaN",     "nan",  "-nan",     "1.#IND", "-1.#IND", "1.#QNAN", "-1.#QNAN"};
    return std::any_of(std::begin(kMissing), std::end(kMissing), [&](const char* m) { return s == m; });
}

bool is_space(char c) { return c == ' ' || c == '\t'; }

// Splits a line on runs of whitespace; "..." groups a field that may hold
// spaces, and "" inside quotes is a literal quote.
std::vector<std::string> split_fields(std::string_view line, const fs::path& file, std::size_t line_no) {
    std::vector<std::string> fields;
    std::size_t i = 0;
    while (true) {
        while (i < line.size() && is_space(line[i])) ++i;
        if (i == line.size()) break;
        std::string field;
        while (i < line.size() && !is_space(line[i])) {
            if (line[i] != '"') {
                field += line[i++];
                continue;
            }
            ++i;  // opening quote
            while (true) {
                if (i == line.size()) fail_line(file, line_no, "unterminated double quote");
                if (line[i] == '"') {
                    if (i + 1 < line.size() && line[i + 1] == '"') {
                        field += '"';
                        i += 2;
                        continue;
                    }
                    ++i;  // closing quote
                    break;
                }
                field += line[i++];
            }
        }
        fields.push_back(std::move(field));
    }
    return fields;
}

bool parse_int64(const std::string& s, std::int64_t& out) {
    const char* end = s.data() + s.size();
    auto [ptr, ec] = std::from_chars(s.data(), end, out);
    return ec == std::errc() && ptr == end;
}

bool parse_double(std::string_view s, double& out) {
    if (!s.empty() && s.front() == '+') s.remove_prefix(1);  // from_chars rejects a leading '+'
    if (s.empty()) return false;
    const char* end = s.data() + s.size();
    auto [ptr, ec] = std::from_chars(s.data(), end, out);
    return ec == std::errc() && ptr == end;
}

}  // namespace

TypeTable TypeTable::read(const fs::path& file, const std::string& id_column) {
    std::ifstream in(file, std::ios::binary);
    if (!in) {
        std::error_code ec;
        throw input_error(file.string() + ": " + (fs::exists(file, ec) ? "cannot be read" : "file not found"));
    }
    std::ostringstream buffer;
    buffer << in.rdbuf();
    const std::string text = buffer.str();

    TypeTable table;
    table.file_ = file;
    table.id_column_ = id_column;
    std::size_t id_index = 0;
    bool have_header = false;
    std::map<std::int64_t, std::size_t> id_lines;  // for the duplicate-id message

    std::size_t line_no = 0;
    for (std::size_t pos = 0; pos < text.size();) {
        std::size_t eol = text.find('\n', pos);
        if (eol == std::string::npos) eol = text.size();
        std::string_view line(text.data() + pos, eol - pos);
        pos = eol + 1;
        ++line_no;
        if (!line.empty() && line.back() == '\r') line.remove_suffix(1);  // files written on Windows
        if (line_no == 1 && line.substr(0, 3) == "\xEF\xBB\xBF") line.remove_prefix(3);  // UTF-8 BOM
        std::vector<std::string> fields = split_fields(line, file, line_no);
        if (fields.empty()) continue;

        if (!have_header) {
            have_header = true;
            table.columns_ = std::move(fields);
            for (std::size_t c = 0; c < table.columns_.size(); ++c)
                for (std::size_t d = 0; d < c; ++d)
                    if (table.columns_[c] == table.columns_[d])
                        fail_line(file, line_no, "column '" + table.columns_[c] + "' appears twice in the header");
            const auto it = std::find(table.columns_.begin(), table.columns_.end(), id_column);
            if (it == table.columns_.end()) fail_line(file, line_no, "the header has no '" + id_column + "' column");
            id_index = static_cast<std::size_t>(it - table.columns_.begin());
            continue;
        }

        if (fields.size() != table.columns_.size())
            fail_line(file, line_no,
                      std::to_string(fields.size()) + " fields, but the header has " +
                          std::to_string(table.columns_.size()) + " columns");
        std::int64_t id = 0;
        if (!parse_int64(fields[id_index], id))
            fail_line(file, line_no, id_column + " '" + fields[id_index] + "' is not an integer");
        if (const auto seen = id_lines.find(id); seen != id_lines.end())
            fail_line(file, line_no,
                      id_column + " " + std::to_string(id) + " already defined on line " +
                          std::to_string(seen->second));
        id_lines.emplace(id, line_no);

        std::vector<std::optional<std::string>> row;
        row.reserve(fields.size());
        for (std::string& f : fields) {
            if (is_missing(f))
                row.emplace_back(std::nullopt);
            else
                row.emplace_back(std::move(f));
        }
        table.rows_.emplace(id, std::move(row));
    }
    if (!have_header) throw input_error(file.string() + ": empty file, expected a header line with " + id_column);
    return table;
}

bool TypeTable::has_column(const std::string& name) const {
    return std::find(columns_.begin(), columns_.end(), name) != columns_.end();
}

std::vector<std::int64_t> TypeTable::type_ids() const {
    std::vector<std::int64_t> ids;
    ids.reserve(rows_.size());
    for (const auto& [id, row] : rows_) ids.push_back(id);
    return ids;
}

std::optional<std::string> TypeTable::get(std::int64_t type_id, const std::string& column) const {
    const auto row = rows_.find(type_id);
    if (row == rows_.end())
        throw input_error(file_.string() + ": " + id_column_ + " " + std::to_string(type_id) + " not found");
    const auto col = std::find(columns_.begin(), columns_.end(), column);
    if (col == columns_.end()) return std::nullopt;
    return row->second[static_cast<std::size_t>(col - columns_.begin())];
}

std::optional<double> TypeTable::get_number(std::int64_t type_id, const std::string& column) const {
    const std::optional<std::string> text = get(type_id, column);
    if (!text) return std::nullopt;
    double value = 0;
    if (!parse_double(*text, value))
        throw input_error(file_.string() + ": " + id_column_ + " " + std::to_string(type_id) + ", column " +
                          column + ": '" + *text + "' is not a number");
    return value;
}

}  // namespace pointsim::sonata
