// Reads /edges/<pop> tables (semantics.md 1.3). The indices group is not
// needed to build a network and is skipped like any non-numbered child.
#include <utility>

#include "h5_util.hpp"
#include "sonata/sonata.hpp"

namespace pointsim::sonata {

namespace {

// The node population an id column refers to lives only in this attribute.
std::string node_population(const h5::Dataset& ds) {
    auto name = ds.string_attribute("node_population");
    if (!name) ds.fail("missing the node_population attribute");
    if (name->empty()) ds.fail("the node_population attribute is empty");
    return std::move(*name);
}

EdgePopulation read_population(const h5::GroupRef& pop, const std::string& name) {
    EdgePopulation out;
    out.name = name;
    out.file = pop.file();

    const h5::Dataset source_ds = pop.require_dataset("source_node_id");
    const h5::Dataset target_ds = pop.require_dataset("target_node_id");
    const h5::Dataset type_ds = pop.require_dataset("edge_type_id");
    out.source_population = node_population(source_ds);
    out.target_population = node_population(target_ds);

    // Check shapes before the bulk reads so a bad file fails fast.
    const std::size_t rows = source_ds.rows();
    h5::check_rows(source_ds, rows, source_ds.path());
    h5::check_rows(target_ds, rows, source_ds.path());
    h5::check_rows(type_ds, rows, source_ds.path());

    out.source_ids = source_ds.read_uint64();
    out.target_ids = target_ds.read_uint64();
    out.edge_type_ids = type_ds.read_int64();

    h5::GroupedRows grouped =
        h5::read_grouped_rows(pop, rows, source_ds.path(), "edge_group_id", "edge_group_index");
    out.group_ids = std::move(grouped.group_ids);
    out.group_indices = std::move(grouped.group_indices);
    out.groups = std::move(grouped.groups);
    return out;
}

}  // namespace

std::vector<EdgePopulation> read_edge_populations(const fs::path& file) {
    const h5::GroupRef root = h5::open_file(file);
    const auto edges = root.group("edges");
    if (!edges) h5::fail(file, "/edges", "required group is missing");
    std::vector<EdgePopulation> out;
    for (const std::string& name : edges->children())
        if (edges->kind(name) == h5::Kind::group) out.push_back(read_population(*edges->group(name), name));
    return out;
}

}  // namespace pointsim::sonata
