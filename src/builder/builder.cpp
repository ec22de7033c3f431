#include "builder/builder.hpp"

#include <algorithm>
#include <chrono>
#include <malloc.h>
#include <fstream>
#include <system_error>
#include <thread>

#include "builder/model.hpp"
#include "builder/random.hpp"
#include "comm/communicator.hpp"
#include "common/error.hpp"
#include "output/staged_files.hpp"
#include "output/writers.hpp"

namespace pointsim::builder {

namespace fs = std::filesystem;

namespace {

constexpr std::uint64_t kEdgeStream = 0xED6E;
constexpr std::uint32_t kFirstEdgeTypeId = 100;

void write_text(const fs::path& file, const std::string& text) {
    std::ofstream out(file, std::ios::binary | std::ios::trunc);
    if (out) out << text;
    if (out) out.close();
    if (!out) throw output_error("cannot write '" + file.string() + "'");
}

// Runs body on every rank; if it fails on any, every rank throws the error
// of the lowest failing rank (so all stop alike, none waits forever).
template <class Body>
void on_all_ranks(comm::Communicator* comm, Body&& body) {
    const bool many = comm && comm->size() > 1;
    std::optional<comm::ErrorReport> failure;
    try {
        body();
    } catch (const Error& e) {
        if (!many) throw;
        failure = comm::ErrorReport{static_cast<int>(e.kind()), e.what()};
    }
    if (many)
        if (const auto agreed = comm->agree(failure)) throw Error(static_cast<ErrorKind>(agreed->kind), agreed->message);
}

// The recipe's spike trains, one SONATA spikes file per "file": populations
// in order of first appearance, trains of one population merged.
void write_spike_files(const fs::path& dir, const Recipe& recipe, const std::vector<std::vector<std::uint64_t>>& train_nodes,
                       unsigned threads, output::StagedFiles& staged, BuildSummary& summary) {
    std::vector<std::string> names;  // in order of first appearance
    for (const auto& t : recipe.spike_trains)
        if (std::find(names.begin(), names.end(), t.file) == names.end()) names.push_back(t.file);
    for (const auto& name : names) {
        std::vector<output::PopulationSpikes> pops;
        SortOrder order = SortOrder::ById;
        BuildSummary::SpikeFileCount count;
        count.file = name;
        for (std::size_t i = 0; i < recipe.spike_trains.size(); ++i) {
            const SpikeTrainSpec& t = recipe.spike_trains[i];
            if (t.file != name) continue;
            order = t.sort == SpikeTrainSpec::Sort::by_id ? SortOrder::ById
                    : t.sort == SpikeTrainSpec::Sort::by_time ? SortOrder::ByTime
                                                               : SortOrder::None;
            TrainSpikes s = draw_spike_train(t, i, train_nodes[i], recipe.seed, threads);
            count.spikes += s.node_ids.size();
            count.trains += train_nodes[i].size();
            auto pop = std::find_if(pops.begin(), pops.end(), [&](const auto& p) { return p.population == t.network; });
            if (pop == pops.end()) {
                pops.push_back({t.network, {}, {}});
                pop = pops.end() - 1;
            }
            pop->node_ids.insert(pop->node_ids.end(), s.node_ids.begin(), s.node_ids.end());
            pop->timestamps.insert(pop->timestamps.end(), s.times_ms.begin(), s.times_ms.end());
        }
        const fs::path path = dir / name;
        output::write_spikes_h5(staged.stage(path), std::move(pops), order);
        summary.files.push_back(path);
        summary.spike_files.push_back(count);
    }
}

double seconds_since(std::chrono::steady_clock::time_point t0) {
    return std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();
}

}  // namespace

void write_files(const fs::path& dir, const std::vector<BuiltNetwork>& nets, const std::vector<EdgeFile>& files,
                 const Recipe& recipe, const std::vector<std::vector<std::uint64_t>>& train_nodes, unsigned threads,
                 BuildSummary& summary);

BuildSummary build_network(const BuildOptions& options) {
    Recipe recipe = load_recipe(options.recipe);
    if (options.seed) recipe.seed = *options.seed;
    if (options.output_dir.empty()) throw config_error("build: no output directory given (--output)");
    const unsigned threads = options.threads == 0 ? std::max(1u, std::thread::hardware_concurrency()) : options.threads;
    BuildSummary summary;
    const auto t0 = std::chrono::steady_clock::now();

    // Nodes, network by network (positions and per-node values are drawn from
    // streams keyed by network, node group and property).
    std::vector<BuiltNetwork> nets;
    nets.reserve(recipe.networks.size());
    for (std::size_t k = 0; k < recipe.networks.size(); ++k) nets.push_back(build_nodes(recipe.networks[k], k, recipe.seed, recipe.file.string()));
    auto net_named = [&](const std::string& name) -> const BuiltNetwork& {
        for (const auto& n : nets)
            if (n.spec->name == name) return n;
        throw std::logic_error("network checked by parse_recipe");
    };
    // The nodes of each spike train, before any connecting: a selection that
    // matches nothing stops the build early.
    std::vector<std::vector<std::uint64_t>> train_nodes;
    for (const auto& t : recipe.spike_trains)
        train_nodes.push_back(spike_train_nodes(t, net_named(t.network), recipe.file.string()));

    // Edges, edge group by edge group; one edge file per (source, target) pair.
    std::vector<std::unique_ptr<BuiltEdges>> built;
    std::vector<EdgeFile> files;
    for (std::size_t k = 0; k < recipe.networks.size(); ++k) {
        const NetworkSpec& net = recipe.networks[k];
        for (std::size_t i = 0; i < net.edges.size(); ++i) {
            const EdgeGroupSpec& e = net.edges[i];
            const BuiltNetwork& src = net_named(e.source.network);
            const BuiltNetwork& trg = net_named(e.target.network);
            on_all_ranks(options.comm, [&] {
                built.push_back(std::make_unique<BuiltEdges>(connect(e, kFirstEdgeTypeId + static_cast<std::uint32_t>(i),
                                                                     hash_keys(recipe.seed, kEdgeStream, k, i), src, trg,
                                                                     recipe, threads, options.comm)));
            });
            summary.candidate_pairs += built.back()->candidate_pairs;
            EdgeFile* file = nullptr;
            for (auto& f : files)
                if (f.source == &src && f.target == &trg) file = &f;
            if (!file) {
                files.push_back({&src, &trg, {}});
                file = &files.back();
            }
            file->groups.push_back(built.back().get());
        }
    }
    summary.seconds_connect = seconds_since(t0);
    // Worker threads' freed blocks stay in their glibc arenas: give them back
    // before the writer's index tables are allocated (lowers the peak RSS).
    malloc_trim(0);

    // Files (rank 0): under temporary names, renamed when every one is complete.
    const auto t1 = std::chrono::steady_clock::now();
    on_all_ranks(options.comm, [&] {
        if (options.comm && options.comm->rank() != 0) return;
        write_files(options.output_dir, nets, files, recipe, train_nodes, threads, summary);
    });
    summary.seconds_write = seconds_since(t1);
    return summary;
}

void write_files(const fs::path& dir, const std::vector<BuiltNetwork>& nets, const std::vector<EdgeFile>& files,
                 const Recipe& recipe, const std::vector<std::vector<std::uint64_t>>& train_nodes, unsigned threads,
                 BuildSummary& summary) {
    std::error_code ec;
    fs::create_directories(dir, ec);
    if (ec || !fs::is_directory(dir))
        throw output_error("cannot create the output directory '" + dir.string() + "': " +
                           (ec ? ec.message() : std::string("a file of that name exists")));
    output::StagedFiles staged;
    for (const auto& n : nets) {
        const fs::path h5 = dir / (n.spec->name + "_nodes.h5"), csv = dir / (n.spec->name + "_node_types.csv");
        write_nodes_h5(staged.stage(h5).string(), n);
        write_text(staged.stage(csv), node_types_csv(n));
        summary.files.insert(summary.files.end(), {h5, csv});
        summary.networks.push_back({n.spec->name, n.n});
    }
    for (const auto& f : files) {
        const std::string stem = f.source->spec->name + "_" + f.target->spec->name;
        const fs::path h5 = dir / (stem + "_edges.h5"), csv = dir / (stem + "_edge_types.csv");
        write_edges_h5(staged.stage(h5).string(), f, /*overlap=*/threads > 1);
        write_text(staged.stage(csv), edge_types_csv(f));
        summary.files.insert(summary.files.end(), {h5, csv});
        BuildSummary::EdgeFileCount c;
        c.population = f.source->spec->name + "_to_" + f.target->spec->name;
        for (const BuiltEdges* g : f.groups) {
            c.edges += g->source.size();
            for (auto n : g->nsyns) c.synapses += n;
        }
        summary.edge_files.push_back(c);
    }
    write_spike_files(dir, recipe, train_nodes, threads, staged, summary);
    staged.commit();
}

}  // namespace pointsim::builder
