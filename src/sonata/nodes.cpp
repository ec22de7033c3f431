// Reads /nodes/<pop> tables (semantics.md 1.2).
#include <algorithm>
#include <numeric>
#include <utility>

#include "h5_util.hpp"
#include "sonata/sonata.hpp"

namespace pointsim::sonata {

namespace {

// Node ids must be unique because they are the population's keys. Builder
// files store them sorted, so check that in O(N) before sorting a copy.
void check_unique_ids(const h5::Dataset& ds, const std::vector<std::uint64_t>& ids) {
    bool increasing = true;
    for (std::size_t r = 1; r < ids.size() && increasing; ++r) increasing = ids[r - 1] < ids[r];
    if (increasing) return;
    std::vector<std::size_t> order(ids.size());
    std::iota(order.begin(), order.end(), std::size_t{0});
    std::stable_sort(order.begin(), order.end(), [&](std::size_t a, std::size_t b) { return ids[a] < ids[b]; });
    for (std::size_t k = 1; k < order.size(); ++k)
        if (ids[order[k - 1]] == ids[order[k]])
            ds.fail("row " + std::to_string(order[k]) + ": node id " + std::to_string(ids[order[k]]) +
                    " already used in row " + std::to_string(order[k - 1]));
}

NodePopulation read_population(const h5::GroupRef& pop, const std::string& name) {
    NodePopulation out;
    out.name = name;
    out.file = pop.file();

    const h5::Dataset type_ds = pop.require_dataset("node_type_id");
    out.node_type_ids = type_ds.read_int64();
    const std::size_t rows = out.node_type_ids.size();

    if (auto id_ds = pop.dataset("node_id")) {
        h5::check_rows(*id_ds, rows, type_ds.path());
        out.node_ids = id_ds->read_uint64();
        check_unique_ids(*id_ds, out.node_ids);
    } else {
        // SONATA: without node_id the row index is the id (libsonata, NEST).
        out.node_ids.resize(rows);
        std::iota(out.node_ids.begin(), out.node_ids.end(), std::uint64_t{0});
    }

    h5::GroupedRows grouped =
        h5::read_grouped_rows(pop, rows, type_ds.path(), "node_group_id", "node_group_index");
    out.group_ids = std::move(grouped.group_ids);
    out.group_indices = std::move(grouped.group_indices);
    out.groups = std::move(grouped.groups);
    return out;
}

}  // namespace

std::vector<NodePopulation> read_node_populations(const fs::path& file) {
    const h5::GroupRef root = h5::open_file(file);
    const auto nodes = root.group("nodes");
    if (!nodes) h5::fail(file, "/nodes", "required group is missing");
    std::vector<NodePopulation> out;
    for (const std::string& name : nodes->children())
        if (nodes->kind(name) == h5::Kind::group) out.push_back(read_population(*nodes->group(name), name));
    return out;
}

}  // namespace pointsim::sonata
