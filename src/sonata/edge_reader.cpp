// Range reads of one edge population (see EdgeReader in sonata.hpp).
#include <algorithm>
#include <limits>
#include <stdexcept>

#include "h5_util.hpp"
#include "sonata/sonata.hpp"

namespace pointsim::sonata {

namespace {

bool is_number(const std::string& s) {
    return !s.empty() && std::all_of(s.begin(), s.end(), [](unsigned char c) { return std::isdigit(c); });
}

std::string required_population(const h5::Dataset& ds) {
    auto name = ds.string_attribute("node_population");
    if (!name || name->empty()) ds.fail("missing the node_population attribute");
    return *name;
}

// Dataset `name` of an edge group, or "dynamics_params/<p>" of its
// dynamics_params subgroup; nullopt when the group does not have it.
std::optional<h5::Dataset> numeric_attribute(const h5::GroupRef& group, const std::string& name) {
    const auto slash = name.find('/');
    if (slash == std::string::npos) return group.kind(name) == h5::Kind::dataset ? group.dataset(name) : std::nullopt;
    const std::string sub = name.substr(0, slash), rest = name.substr(slash + 1);
    if (group.kind(sub) != h5::Kind::group) return std::nullopt;
    const auto g = group.group(sub);
    return g->kind(rest) == h5::Kind::dataset ? g->dataset(rest) : std::nullopt;
}

}  // namespace

struct EdgeReader::Impl {
    h5::GroupRef pop;
    std::string name, source_population, target_population;
    std::size_t rows = 0;
    h5::Dataset source, target, type;
    std::optional<h5::Dataset> group_id, group_index;
    std::map<std::uint32_t, h5::GroupRef> groups;  // numbered attribute groups
    std::optional<h5::GroupRef> target_index;       // indices/target_to_source
    // prepare_concurrent_reads(): per group, its dataset of each attribute
    // (nullopt: the group has none), opened once.
    std::map<std::uint32_t, std::map<std::string, std::optional<h5::Dataset>>> prepared;
    bool concurrent = false;  // prepare_concurrent_reads() succeeded: no HDF5 call may follow

    // The dataset of attribute `name` in group `id` (which exists), or null:
    // prepared, else opened into `opened`.
    const h5::Dataset* attribute(std::uint32_t id, const std::string& name, std::optional<h5::Dataset>& opened) const {
        if (const auto g = prepared.find(id); g != prepared.end())
            if (const auto c = g->second.find(name); c != g->second.end()) return c->second ? &*c->second : nullptr;
        // Opening it would be an HDF5 call, perhaps on several threads at once.
        if (concurrent) throw std::logic_error("EdgeReader::read: attribute '" + name + "' was not prepared for concurrent reads");
        opened = numeric_attribute(groups.at(id), name);
        return opened ? &*opened : nullptr;
    }

    Impl(h5::GroupRef p, std::string n)
        : pop(std::move(p)),
          name(std::move(n)),
          source(pop.require_dataset("source_node_id")),
          target(pop.require_dataset("target_node_id")),
          type(pop.require_dataset("edge_type_id")) {
        source_population = required_population(source);
        target_population = required_population(target);
        rows = source.rows();
        h5::check_rows(source, rows, source.path());
        h5::check_rows(target, rows, source.path());
        h5::check_rows(type, rows, source.path());
        group_id = pop.dataset("edge_group_id");
        group_index = pop.dataset("edge_group_index");
        if (group_id) h5::check_rows(*group_id, rows, source.path());
        if (group_index) h5::check_rows(*group_index, rows, source.path());
        for (const auto& child : pop.children()) {
            if (!is_number(child) || pop.kind(child) != h5::Kind::group) continue;
            groups.emplace(static_cast<std::uint32_t>(std::stoul(child)), *pop.group(child));
        }
        for (const char* indices : {"indices", "indicies"}) {  // BMTK accepts its old misspelling
            if (pop.kind(indices) != h5::Kind::group) continue;
            const auto g = pop.group(indices);
            if (g->kind("target_to_source") == h5::Kind::group) target_index = g->group("target_to_source");
            break;
        }
    }
};

std::vector<std::string> EdgeReader::populations(const fs::path& file) {
    const h5::GroupRef root = h5::open_file(file);
    const auto edges = root.group("edges");
    if (!edges) h5::fail(file, "/edges", "required group is missing");
    std::vector<std::string> out;
    for (const auto& name : edges->children())
        if (edges->kind(name) == h5::Kind::group) out.push_back(name);
    return out;
}

EdgeReader::EdgeReader(const fs::path& file, const std::string& population) {
    const h5::GroupRef root = h5::open_file(file);
    const auto edges = root.group("edges");
    if (!edges) h5::fail(file, "/edges", "required group is missing");
    const auto pop = edges->group(population);
    if (!pop) h5::fail(file, "/edges/" + population, "no such edge population");
    impl_ = std::make_unique<Impl>(*pop, population);
}

EdgeReader::~EdgeReader() = default;
EdgeReader::EdgeReader(EdgeReader&&) noexcept = default;
EdgeReader& EdgeReader::operator=(EdgeReader&&) noexcept = default;

const fs::path& EdgeReader::file() const { return impl_->pop.file(); }
const std::string& EdgeReader::name() const { return impl_->name; }
const std::string& EdgeReader::source_population() const { return impl_->source_population; }
const std::string& EdgeReader::target_population() const { return impl_->target_population; }
std::size_t EdgeReader::size() const { return impl_->rows; }

void EdgeReader::target_ids(std::size_t begin, std::size_t count, std::vector<std::uint64_t>& out) const {
    impl_->target.read_uint64(begin, count, out);
}

void EdgeReader::source_ids(std::size_t begin, std::size_t count, std::vector<std::uint64_t>& out) const {
    impl_->source.read_uint64(begin, count, out);
}

std::optional<std::vector<std::pair<std::uint64_t, std::uint64_t>>> EdgeReader::target_ranges(
    const std::vector<std::uint64_t>& target_node_ids) const {
    if (!impl_->target_index) return std::nullopt;
    const auto& idx = *impl_->target_index;
    // BMTK writes node_id_to_range (singular); the spec and libsonata say node_id_to_ranges.
    std::optional<h5::Dataset> n2r = idx.dataset("node_id_to_range");
    if (!n2r) n2r = idx.dataset("node_id_to_ranges");
    const auto r2e = idx.dataset("range_to_edge_id");
    if (!n2r || !r2e) return std::nullopt;
    // Both tables are [n, 2]; read them as flat uint64 pairs. They are small
    // next to the edge table (one row per target node and per contiguous run).
    auto read_pairs = [](const h5::Dataset& ds) {
        H5::DataSet raw = h5::guard(ds.file(), ds.path(), [&] {
            return H5::H5File(ds.file().string(), H5F_ACC_RDONLY).openDataSet(ds.path());
        });
        hsize_t dims[2] = {0, 0};
        const int rank = h5::guard(ds.file(), ds.path(), [&] { return raw.getSpace().getSimpleExtentNdims(); });
        if (rank != 2) ds.fail("expected an [n, 2] dataset");
        h5::guard(ds.file(), ds.path(), [&] { raw.getSpace().getSimpleExtentDims(dims); });
        if (dims[1] != 2) ds.fail("expected an [n, 2] dataset");
        std::vector<std::int64_t> flat(dims[0] * 2);
        if (!flat.empty()) h5::guard(ds.file(), ds.path(), [&] { raw.read(flat.data(), H5::PredType::NATIVE_INT64); });
        return flat;
    };
    const auto node_ranges = read_pairs(*n2r);
    const auto edge_ranges = read_pairs(*r2e);
    const std::size_t n_nodes = node_ranges.size() / 2, n_ranges = edge_ranges.size() / 2;
    std::vector<std::pair<std::uint64_t, std::uint64_t>> out;
    for (std::uint64_t node : target_node_ids) {
        if (node >= n_nodes) continue;  // no edges for this node
        const std::int64_t rb = node_ranges[2 * node], re = node_ranges[2 * node + 1];
        if (rb < 0 || re <= rb) continue;  // negative or empty: no edges
        if (static_cast<std::size_t>(re) > n_ranges)
            n2r->fail("row " + std::to_string(node) + ": range " + std::to_string(re) + " is beyond range_to_edge_id");
        for (std::int64_t r = rb; r < re; ++r) {
            const std::int64_t eb = edge_ranges[2 * r], ee = edge_ranges[2 * r + 1];
            if (eb < 0 || ee <= eb) continue;
            if (static_cast<std::size_t>(ee) > impl_->rows)
                r2e->fail("row " + std::to_string(r) + ": edge " + std::to_string(ee) + " is beyond the " +
                          std::to_string(impl_->rows) + " edges");
            out.emplace_back(static_cast<std::uint64_t>(eb), static_cast<std::uint64_t>(ee));
        }
    }
    // Merge adjacent and overlapping ranges into few large reads.
    std::sort(out.begin(), out.end());
    std::vector<std::pair<std::uint64_t, std::uint64_t>> merged;
    for (const auto& r : out) {
        if (!merged.empty() && r.first <= merged.back().second) merged.back().second = std::max(merged.back().second, r.second);
        else merged.push_back(r);
    }
    return merged;
}

bool EdgeReader::prepare_concurrent_reads(const std::vector<std::string>& attributes) {
    Impl& m = *impl_;
    bool direct = m.source.enable_direct_reads();
    direct = m.target.enable_direct_reads() && direct;
    direct = m.type.enable_direct_reads() && direct;
    if (m.group_id) direct = m.group_id->enable_direct_reads() && direct;
    if (m.group_index) direct = m.group_index->enable_direct_reads() && direct;
    for (const auto& [id, group] : m.groups) {
        for (const auto& name : attributes) {
            auto ds = numeric_attribute(group, name);
            // read() skips datasets of another shape or type: they need no direct reads.
            if (ds && ds->is_numeric() && ds->rank() == 1) direct = ds->enable_direct_reads() && direct;
            m.prepared[id].insert_or_assign(name, std::move(ds));
        }
    }
    m.concurrent = direct;
    return direct;
}

std::vector<std::string> EdgeReader::dynamics_param_names() const {
    std::vector<std::string> names;
    for (const auto& [id, group] : impl_->groups) {
        if (group.kind("dynamics_params") != h5::Kind::group) continue;
        const auto params = group.group("dynamics_params");
        for (const auto& child : params->children())
            if (params->kind(child) == h5::Kind::dataset) names.push_back(child);
    }
    std::sort(names.begin(), names.end());
    names.erase(std::unique(names.begin(), names.end()), names.end());
    return names;
}

void EdgeReader::read(std::size_t begin, std::size_t count, const std::vector<std::string>& attributes,
                      EdgeBlock& b) const {
    const Impl& m = *impl_;
    b.first_row = begin;
    m.source.read_uint64(begin, count, b.source_ids);
    m.target.read_uint64(begin, count, b.target_ids);
    m.type.read_int64(begin, count, b.edge_type_ids);
    if (m.group_id) m.group_id->read_uint64(begin, count, b.group_ids);
    else b.group_ids.assign(count, 0);
    const auto& gids = b.group_ids;
    auto& gidx = b.group_indices;
    if (m.group_index) {
        m.group_index->read_uint64(begin, count, gidx);
    } else {
        gidx.resize(count);
        for (std::size_t i = 0; i < count; ++i) gidx[i] = begin + i;
    }
    // A reused block may hold columns of other attributes: drop them.
    for (auto it = b.values.begin(); it != b.values.end();) {
        if (std::find(attributes.begin(), attributes.end(), it->first) == attributes.end()) {
            b.present.erase(it->first);
            it = b.values.erase(it);
        } else {
            ++it;
        }
    }
    for (const auto& a : attributes) {
        b.values[a].resize(count);  // only read where present
        b.present[a].assign(count, 0);
    }
    // The common layout: one group, whose rows are the block's rows in
    // order. Its columns are then read straight into the block. (Tested
    // without an early exit, so that the compiler vectorises the loop.)
    bool one_run = count > 0 && gidx[0] <= std::numeric_limits<std::uint64_t>::max() - (count - 1);  // no wrap
    if (one_run) {
        std::uint64_t differ = 0;
        for (std::size_t i = 0; i < count; ++i) differ |= (gids[i] ^ gids[0]) | (gidx[i] ^ (gidx[0] + i));
        one_run = differ == 0;
    }
    // Per group: read the span of group rows this block needs, once per attribute.
    std::map<std::uint64_t, std::pair<std::uint64_t, std::uint64_t>> span;  // group -> [min, max]
    if (one_run) {
        span.emplace(gids[0], std::make_pair(gidx[0], gidx[0] + count - 1));
    } else {
        auto at = span.end();  // the previous row's group: rows of one group mostly come together
        for (std::size_t i = 0; i < count; ++i) {
            if (at == span.end() || at->first != gids[i]) at = span.try_emplace(gids[i], gidx[i], gidx[i]).first;
            at->second.first = std::min(at->second.first, gidx[i]);
            at->second.second = std::max(at->second.second, gidx[i]);
        }
    }
    std::vector<double> data;
    for (const auto& [group, range] : span) {
        const auto g = m.groups.find(static_cast<std::uint32_t>(group));
        if (group > std::numeric_limits<std::uint32_t>::max() || g == m.groups.end()) {
            const auto row = static_cast<std::size_t>(std::find(gids.begin(), gids.end(), group) - gids.begin());
            h5::fail(m.pop.file(), m.pop.child_path("edge_group_id"),
                     "row " + std::to_string(begin + row) + ": group " + std::to_string(group) + " does not exist in " +
                         m.pop.path());
        }
        for (const auto& a : attributes) {
            std::optional<h5::Dataset> opened;
            const h5::Dataset* ds = m.attribute(g->first, a, opened);
            if (!ds || !ds->is_numeric() || ds->rank() != 1) continue;
            if (range.second >= ds->rows()) {
                // Name the first edge row whose index is out of range.
                std::size_t row = 0;
                while (row + 1 < count && (gids[row] != group || gidx[row] < ds->rows())) ++row;
                h5::fail(m.pop.file(), m.pop.child_path("edge_group_index"),
                         "row " + std::to_string(begin + row) + ": index " + std::to_string(gidx[row]) +
                             " is beyond the " + std::to_string(ds->rows()) + " rows of " + ds->path());
            }
            auto& values = b.values[a];
            auto& present = b.present[a];
            if (one_run) {
                ds->read_double(range.first, count, values);
                present.assign(count, 1);
                continue;
            }
            ds->read_double(range.first, range.second - range.first + 1, data);
            for (std::size_t i = 0; i < count; ++i) {
                if (gids[i] != group) continue;
                values[i] = data[gidx[i] - range.first];
                present[i] = 1;
            }
        }
    }
}

}  // namespace pointsim::sonata
