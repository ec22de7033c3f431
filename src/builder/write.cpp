// SONATA files in BMTK NetworkBuilder's layout (compare
// ../shared/examples/tutorial_ch05_notebook/network, written by BMTK):
// dataset names, types (node_id u64, node_group_id u32, edge_group_id u16,
// edge_group_index u32, nsyns u32, ...), the node_population attributes, and
// both edge indices. Rows are in a fixed order (nodes by id; edges by target,
// then source, then edge type), and HDF5 object times are not stored, so the
// same network gives the same bytes.
#include <algorithm>
#include <future>
#include <map>

#include "builder/model.hpp"
#include "output/h5_util.hpp"
#include "output/writers.hpp"

namespace pointsim::builder {

namespace {

namespace h5 = pointsim::output::detail;

constexpr std::uint64_t kBlockRows = std::uint64_t{1} << 20;

template <class T> const H5::PredType& native();
template <> const H5::PredType& native<std::uint64_t>() { return H5::PredType::NATIVE_UINT64; }
template <> const H5::PredType& native<std::int64_t>() { return H5::PredType::NATIVE_INT64; }
template <> const H5::PredType& native<std::uint32_t>() { return H5::PredType::NATIVE_UINT32; }
template <> const H5::PredType& native<std::uint16_t>() { return H5::PredType::NATIVE_UINT16; }
template <> const H5::PredType& native<double>() { return H5::PredType::NATIVE_DOUBLE; }

H5::DataSet create(const H5::Group& g, const std::string& name, const H5::DataType& type, std::uint64_t rows,
                   std::uint64_t cols = 0) {
    const hsize_t dims[2] = {static_cast<hsize_t>(rows), static_cast<hsize_t>(cols)};
    return g.createDataSet(name, type, H5::DataSpace(cols ? 2 : 1, dims), h5::untimed_dataset_props());
}

// Writes consecutive rows of a dataset, block by block.
template <class T>
class Appender {
public:
    Appender(H5::DataSet ds, std::uint64_t cols = 0) : ds_(std::move(ds)), cols_(cols) {}
    void append(const T* data, std::uint64_t rows) {
        if (rows == 0) return;
        H5::DataSpace file = ds_.getSpace();
        const hsize_t start[2] = {static_cast<hsize_t>(next_), 0};
        const hsize_t count[2] = {static_cast<hsize_t>(rows), static_cast<hsize_t>(cols_)};
        file.selectHyperslab(H5S_SELECT_SET, count, start);
        H5::DataSpace mem(cols_ ? 2 : 1, count);
        ds_.write(data, native<T>(), mem, file);
        next_ += rows;
    }
    void append(const std::vector<T>& v) { append(v.data(), cols_ ? v.size() / cols_ : v.size()); }

private:
    H5::DataSet ds_;
    std::uint64_t cols_;
    std::uint64_t next_ = 0;
};

H5::StrType vlen_utf8() {
    H5::StrType type(H5::PredType::C_S1, H5T_VARIABLE);
    type.setCset(H5T_CSET_UTF8);
    return type;
}

// ------------------------------------------------------------------ CSV text
std::string csv_field(const std::string& s) {
    if (!s.empty() && s.find_first_of(" \t\"") == std::string::npos) return s;
    std::string q = "\"";
    for (char c : s) q += c == '"' ? std::string("\"\"") : std::string(1, c);
    return q + "\"";
}

// A constant as pandas writes it: 3.0, -3, True, text.
std::string csv_value(const Json& v) {
    if (v.is_string()) return csv_field(v.get<std::string>());
    if (v.is_boolean()) return v.get<bool>() ? "True" : "False";
    if (v.is_number_integer()) return v.dump();
    return output::format_float_repr(v.get<double>());
}

// BMTK's query string: "ei=='e'&pop_name=='PV'", or "*" for all nodes.
std::string query_string(const SelectionSpec& sel) {
    if (sel.conditions.empty()) return "*";
    std::string q;
    auto literal = [](const Json& v) {
        return "'" + (v.is_string() ? v.get<std::string>() : csv_value(v)) + "'";
    };
    for (const auto& c : sel.conditions) {
        if (!q.empty()) q += "&";
        if (c.any_of.size() == 1) {
            q += c.property + "==" + literal(c.any_of[0]);
        } else {
            q += c.property + " in [";
            for (std::size_t i = 0; i < c.any_of.size(); ++i) q += (i ? ", " : "") + literal(c.any_of[i]);
            q += "]";
        }
    }
    return q;
}

// Columns: the id column, then every constant's name in order of first use.
template <class Rows>
std::string types_table(const std::string& id_column, const std::vector<std::string>& leading, const Rows& rows) {
    std::vector<std::string> columns = leading;
    for (const auto& [id, fixed, props] : rows)
        for (const PropertySpec& p : *props)
            if (!p.per_item() && std::find(columns.begin(), columns.end(), p.name) == columns.end()) columns.push_back(p.name);
    std::string out = id_column;
    for (const auto& c : columns) out += " " + c;
    out += "\n";
    for (const auto& [id, fixed, props] : rows) {
        out += std::to_string(id);
        for (std::size_t c = 0; c < columns.size(); ++c) {
            if (c < fixed.size()) {
                out += " " + csv_field(fixed[c]);
                continue;
            }
            std::string value = "NULL";  // BMTK's na_rep
            for (const PropertySpec& p : *props)
                if (!p.per_item() && p.name == columns[c]) value = csv_value(p.constant);
            out += " " + value;
        }
        out += "\n";
    }
    return out;
}

struct TypeRow {
    std::uint64_t id;
    std::vector<std::string> fixed;
    const std::vector<PropertySpec>* props;
};

// An HDF5 group id per distinct set of per-item columns, in order of first use.
template <class Key>
std::vector<std::uint32_t> group_ids(const std::vector<Key>& keys) {
    std::vector<Key> seen;
    std::vector<std::uint32_t> ids;
    for (const auto& k : keys) {
        auto it = std::find(seen.begin(), seen.end(), k);
        if (it == seen.end()) {
            seen.push_back(k);
            it = seen.end() - 1;
        }
        ids.push_back(static_cast<std::uint32_t>(it - seen.begin()));
    }
    return ids;
}

}  // namespace

// ------------------------------------------------------------------ nodes
std::string node_types_csv(const BuiltNetwork& net) {
    std::vector<TypeRow> rows;
    for (const auto& g : net.groups) rows.push_back({g.type_id, {}, &g.spec->properties});
    return types_table("node_type_id", {}, rows);
}

void write_nodes_h5(const std::string& path, const BuiltNetwork& net) {
    // Node groups with the same per-node columns (name and kind) share an HDF5 group.
    std::vector<std::vector<std::string>> keys;
    for (const auto& g : net.groups) {
        std::vector<std::string> key;
        if (!g.positions.empty()) key.push_back("positions");
        for (const auto& c : g.columns) key.push_back(c.name + (c.is_string ? ":s" : c.integer ? ":i" : ":f"));
        std::sort(key.begin(), key.end());
        keys.push_back(std::move(key));
    }
    const std::vector<std::uint32_t> gid = group_ids(keys);
    const std::uint32_t n_h5_groups = gid.empty() ? 0 : *std::max_element(gid.begin(), gid.end()) + 1;

    h5::with_h5_errors(path, "nodes file", [&] {
        H5::H5File file = h5::create_file(path);
        h5::write_sonata_root_attrs(file);
        H5::Group pop = h5::create_group(h5::create_group(file, "nodes"), net.spec->name);
        const std::uint64_t n = net.n;
        std::vector<std::uint64_t> ids(n), types(n), index(n);
        std::vector<std::uint32_t> groups(n);
        std::vector<std::uint64_t> size(n_h5_groups, 0);
        for (std::size_t k = 0; k < net.groups.size(); ++k) {
            const auto& g = net.groups[k];
            for (std::uint64_t i = 0; i < g.n; ++i) {
                const std::uint64_t id = g.first_id + i;
                ids[id] = id;
                types[id] = g.type_id;
                groups[id] = gid[k];
                index[id] = size[gid[k]]++;
            }
        }
        h5::write_1d(pop, "node_group_id", H5::PredType::STD_U32LE, H5::PredType::NATIVE_UINT32, groups.data(), n);
        h5::write_1d(pop, "node_group_index", H5::PredType::STD_U64LE, H5::PredType::NATIVE_UINT64, index.data(), n);
        h5::write_1d(pop, "node_id", H5::PredType::STD_U64LE, H5::PredType::NATIVE_UINT64, ids.data(), n);
        h5::write_1d(pop, "node_type_id", H5::PredType::STD_U64LE, H5::PredType::NATIVE_UINT64, types.data(), n);

        for (std::uint32_t h = 0; h < n_h5_groups; ++h) {
            H5::Group grp = h5::create_group(pop, std::to_string(h));
            std::size_t first = 0;
            while (gid[first] != h) ++first;
            const BuiltNodeGroup& proto = net.groups[first];
            if (!proto.positions.empty()) {
                std::vector<double> xyz;
                for (std::size_t k = 0; k < net.groups.size(); ++k)
                    if (gid[k] == h)
                        for (const auto& p : net.groups[k].positions) xyz.insert(xyz.end(), p.begin(), p.end());
                Appender<double>(create(grp, "positions", H5::PredType::IEEE_F64LE, size[h], 3), 3).append(xyz);
            }
            for (const auto& col : proto.columns) {
                std::vector<double> nums;
                std::vector<const char*> strs;
                for (std::size_t k = 0; k < net.groups.size(); ++k) {
                    if (gid[k] != h) continue;
                    const NodeColumn* c = net.groups[k].column(col.name);
                    if (col.is_string)
                        for (const auto& s : c->strings) strs.push_back(s.c_str());
                    else
                        nums.insert(nums.end(), c->numbers.begin(), c->numbers.end());
                }
                if (col.is_string) {
                    const H5::StrType t = vlen_utf8();
                    H5::DataSet ds = create(grp, col.name, t, strs.size());
                    if (!strs.empty()) ds.write(strs.data(), t);
                } else if (col.integer) {
                    std::vector<std::int64_t> ints(nums.begin(), nums.end());
                    Appender<std::int64_t>(create(grp, col.name, H5::PredType::STD_I64LE, ints.size())).append(ints);
                } else {
                    Appender<double>(create(grp, col.name, H5::PredType::IEEE_F64LE, nums.size())).append(nums);
                }
            }
        }
        file.close();
    });
}

// ------------------------------------------------------------------ edges
std::string edge_types_csv(const EdgeFile& f) {
    std::vector<TypeRow> rows;
    for (const BuiltEdges* e : f.groups)
        rows.push_back({e->type_id, {query_string(e->spec->target), query_string(e->spec->source)}, &e->spec->properties});
    return types_table("edge_type_id", {"target_query", "source_query"}, rows);
}

void write_edges_h5(const std::string& path, const EdgeFile& f, bool overlap) {
    const std::size_t n_groups = f.groups.size();
    // HDF5 edge groups: one per distinct set of per-edge columns.
    std::vector<std::vector<std::string>> keys;
    for (const BuiltEdges* e : f.groups) {
        std::vector<std::string> key;
        for (const PropertySpec* p : e->value_specs) key.push_back(p->name + (p->integer ? ":i" : ":f"));
        std::sort(key.begin(), key.end());
        keys.push_back(std::move(key));
    }
    const std::vector<std::uint32_t> gid = group_ids(keys);
    const std::uint32_t n_h5_groups = gid.empty() ? 0 : *std::max_element(gid.begin(), gid.end()) + 1;
    std::vector<std::uint64_t> h5_rows(n_h5_groups, 0);
    std::uint64_t n_edges = 0;
    for (std::size_t k = 0; k < n_groups; ++k) {
        h5_rows[gid[k]] += f.groups[k]->source.size();
        n_edges += f.groups[k]->source.size();
    }
    const std::uint64_t n_targets = f.target->n, n_sources = f.source->n;

    // Row order: by target, then source, then edge type (groups are in type
    // order; stable sorting keeps multapses in the order they were drawn).
    struct Row {
        std::uint64_t source;
        std::uint32_t group;
        std::uint64_t edge;
    };
    std::vector<Row> rows;
    auto rows_of = [&](std::uint64_t t) {
        rows.clear();
        // Each group's slice is sorted by source: merge them in group order
        // (std::inplace_merge is stable, so the earlier group comes first).
        for (std::size_t k = 0; k < n_groups; ++k) {
            const auto middle = static_cast<std::ptrdiff_t>(rows.size());
            for (std::uint64_t e = f.groups[k]->offsets[t]; e < f.groups[k]->offsets[t + 1]; ++e)
                rows.push_back({f.groups[k]->source[e], static_cast<std::uint32_t>(k), e});
            if (middle > 0 && middle < static_cast<std::ptrdiff_t>(rows.size()) && rows[middle].source < rows[middle - 1].source)
                std::inplace_merge(rows.begin(), rows.begin() + middle, rows.end(),
                                   [](const Row& a, const Row& b) { return a.source < b.source; });
        }
    };

    // source_to_target: runs of consecutive rows with one source. Pass 1
    // counts each source's runs, pass 2 (while writing) places them.
    std::vector<std::uint64_t> run_start(n_sources + 1, 0);
    {
        std::uint64_t last = UINT64_MAX;
        for (std::uint64_t t = 0; t < n_targets; ++t) {
            rows_of(t);
            for (const Row& r : rows) {
                if (r.source != last) ++run_start[r.source + 1];
                last = r.source;
            }
        }
    }
    for (std::uint64_t s = 0; s < n_sources; ++s) run_start[s + 1] += run_start[s];
    std::vector<std::uint64_t> run_fill(run_start.begin(), run_start.end() - 1);
    std::vector<std::uint64_t> runs(2 * run_start[n_sources]);

    h5::with_h5_errors(path, "edges file", [&] {
        H5::H5File file = h5::create_file(path);
        h5::write_sonata_root_attrs(file);
        const std::string pop_name = f.source->spec->name + "_to_" + f.target->spec->name;
        H5::Group pop = h5::create_group(h5::create_group(file, "edges"), pop_name);

        // The h5 groups with nsyns and the per-edge columns of their first edge group.
        std::vector<H5::Group> grp;
        std::vector<Appender<std::uint32_t>> nsyns;
        std::vector<std::vector<Appender<double>>> dcols;
        std::vector<std::vector<Appender<std::int64_t>>> icols;
        for (std::uint32_t h = 0; h < n_h5_groups; ++h) {
            grp.push_back(h5::create_group(pop, std::to_string(h)));
            nsyns.emplace_back(create(grp[h], "nsyns", H5::PredType::STD_U32LE, h5_rows[h]));
            std::size_t first = 0;
            while (gid[first] != h) ++first;
            dcols.emplace_back();
            icols.emplace_back();
            for (const PropertySpec* p : f.groups[first]->value_specs) {
                if (p->integer) icols[h].emplace_back(create(grp[h], p->name, H5::PredType::STD_I64LE, h5_rows[h]));
                else dcols[h].emplace_back(create(grp[h], p->name, H5::PredType::IEEE_F64LE, h5_rows[h]));
            }
        }
        // Which of each edge group's values go to which column of its HDF5
        // group (edge groups may list the same properties in another order).
        struct ColumnOrder {
            std::vector<std::size_t> dcols, icols;
        };
        std::vector<ColumnOrder> column_of(n_groups);
        for (std::size_t k = 0; k < n_groups; ++k) {
            std::size_t first = 0;
            while (gid[first] != gid[k]) ++first;
            const auto& mine = f.groups[k]->value_specs;
            for (const PropertySpec* p : f.groups[first]->value_specs) {
                std::size_t j = 0;
                while (mine[j]->name != p->name) ++j;
                (p->integer ? column_of[k].icols : column_of[k].dcols).push_back(j);
            }
        }
        const bool wide_index = *std::max_element(h5_rows.begin(), h5_rows.end()) > UINT32_MAX;
        // BMTK writes edge_group_index as u32; past 2^32 rows in a group it must be u64.
        H5::DataSet gidx_ds = create(pop, "edge_group_index", wide_index ? H5::PredType::STD_U64LE : H5::PredType::STD_U32LE, n_edges);
        Appender<std::uint16_t> group_id(create(pop, "edge_group_id", H5::PredType::STD_U16LE, n_edges));
        Appender<std::uint32_t> type_id(create(pop, "edge_type_id", H5::PredType::STD_U32LE, n_edges));
        H5::DataSet src_ds = create(pop, "source_node_id", H5::PredType::STD_U64LE, n_edges);
        h5::write_string_attr(src_ds, "node_population", f.source->spec->name);
        H5::DataSet trg_ds = create(pop, "target_node_id", H5::PredType::STD_U64LE, n_edges);
        h5::write_string_attr(trg_ds, "node_population", f.target->spec->name);
        Appender<std::uint64_t> src(src_ds), trg(trg_ds);

        // The edge rows go out a block of about kBlockRows at a time: fill()
        // computes the next block's columns (and the index tables) while
        // write() hands the previous one to HDF5, on this thread only (the
        // serial HDF5 library is not thread-safe).
        struct RowBlock {
            std::vector<std::uint64_t> src, trg, gidx64;
            std::vector<std::uint32_t> type, gidx;
            std::vector<std::uint16_t> gid;
            std::vector<std::vector<std::uint32_t>> nsyns;
            std::vector<std::vector<std::vector<double>>> d;         // [h5 group][column]
            std::vector<std::vector<std::vector<std::int64_t>>> i;   // [h5 group][column]
        };
        auto make_block = [&] {
            RowBlock b;
            b.nsyns.resize(n_h5_groups);
            b.d.resize(n_h5_groups);
            b.i.resize(n_h5_groups);
            for (std::uint32_t h = 0; h < n_h5_groups; ++h) {
                b.d[h].resize(dcols[h].size());
                b.i[h].resize(icols[h].size());
            }
            return b;
        };
        std::uint64_t gidx_written = 0;
        auto write = [&](const RowBlock& b) {
            src.append(b.src);
            trg.append(b.trg);
            type_id.append(b.type);
            group_id.append(b.gid);
            if (!b.gid.empty()) {
                H5::DataSpace fs = gidx_ds.getSpace();
                const hsize_t start[1] = {gidx_written}, count[1] = {b.gid.size()};
                fs.selectHyperslab(H5S_SELECT_SET, count, start);
                H5::DataSpace ms(1, count);
                if (wide_index) gidx_ds.write(b.gidx64.data(), H5::PredType::NATIVE_UINT64, ms, fs);
                else gidx_ds.write(b.gidx.data(), H5::PredType::NATIVE_UINT32, ms, fs);
                gidx_written += b.gid.size();
            }
            for (std::uint32_t h = 0; h < n_h5_groups; ++h) {
                nsyns[h].append(b.nsyns[h]);
                for (std::size_t c = 0; c < dcols[h].size(); ++c) dcols[h][c].append(b.d[h][c]);
                for (std::size_t c = 0; c < icols[h].size(); ++c) icols[h][c].append(b.i[h][c]);
            }
        };

        std::vector<std::uint64_t> next_index(n_h5_groups, 0);
        std::vector<std::uint64_t> t2s_node(2 * n_targets, 0), t2s_range;
        std::uint64_t row = 0, last = UINT64_MAX, next_target = 0;
        // The rows of the next targets, up to about kBlockRows, into b.
        auto fill = [&](RowBlock& b) {
            b.src.clear(), b.trg.clear(), b.type.clear(), b.gid.clear(), b.gidx.clear(), b.gidx64.clear();
            for (std::uint32_t h = 0; h < n_h5_groups; ++h) {
                b.nsyns[h].clear();
                for (auto& c : b.d[h]) c.clear();
                for (auto& c : b.i[h]) c.clear();
            }
            for (; next_target < n_targets && b.src.size() < kBlockRows; ++next_target) {
                const std::uint64_t t = next_target;
                rows_of(t);
                if (!rows.empty()) {
                    const std::uint64_t r = t2s_range.size() / 2;
                    t2s_node[2 * t] = r;
                    t2s_node[2 * t + 1] = r + 1;
                    t2s_range.push_back(row);
                    t2s_range.push_back(row + rows.size());
                }
                for (const Row& r : rows) {
                    const BuiltEdges& e = *f.groups[r.group];
                    const std::uint32_t h = gid[r.group];
                    if (r.source != last) {
                        const std::uint64_t k = run_fill[r.source]++;
                        runs[2 * k] = row;
                    }
                    runs[2 * (run_fill[r.source] - 1) + 1] = row + 1;
                    last = r.source;
                    b.src.push_back(r.source);
                    b.trg.push_back(t);
                    b.type.push_back(e.type_id);
                    b.gid.push_back(static_cast<std::uint16_t>(h));
                    if (wide_index) b.gidx64.push_back(next_index[h]++);
                    else b.gidx.push_back(static_cast<std::uint32_t>(next_index[h]++));
                    b.nsyns[h].push_back(e.nsyns[r.edge]);
                    const auto& order = column_of[r.group];
                    for (std::size_t c = 0; c < order.dcols.size(); ++c) b.d[h][c].push_back(e.values[order.dcols[c]][r.edge]);
                    for (std::size_t c = 0; c < order.icols.size(); ++c)
                        b.i[h][c].push_back(static_cast<std::int64_t>(e.values[order.icols[c]][r.edge]));
                    ++row;
                }
            }
        };
        RowBlock current = make_block(), next = make_block();
        fill(current);
        while (true) {
            const bool more = next_target < n_targets;
            std::future<void> filled;
            if (more) filled = std::async(overlap ? std::launch::async : std::launch::deferred, [&] { fill(next); });
            write(current);
            if (!more) break;
            filled.get();
            std::swap(current, next);
        }

        H5::Group indices = h5::create_group(pop, "indices");
        H5::Group t2s = h5::create_group(indices, "target_to_source");
        Appender<std::uint64_t>(create(t2s, "node_id_to_range", H5::PredType::STD_U64LE, n_targets, 2), 2).append(t2s_node);
        Appender<std::uint64_t>(create(t2s, "range_to_edge_id", H5::PredType::STD_U64LE, t2s_range.size() / 2, 2), 2)
            .append(t2s_range);
        H5::Group s2t = h5::create_group(indices, "source_to_target");
        std::vector<std::uint64_t> s2t_node(2 * n_sources, 0);
        for (std::uint64_t s = 0; s < n_sources; ++s)
            if (run_start[s + 1] > run_start[s]) {
                s2t_node[2 * s] = run_start[s];
                s2t_node[2 * s + 1] = run_start[s + 1];
            }
        Appender<std::uint64_t>(create(s2t, "node_id_to_range", H5::PredType::STD_U64LE, n_sources, 2), 2).append(s2t_node);
        Appender<std::uint64_t>(create(s2t, "range_to_edge_id", H5::PredType::STD_U64LE, runs.size() / 2, 2), 2).append(runs);
        file.close();
    });
}

}  // namespace pointsim::builder
