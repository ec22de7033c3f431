#include "app/weight_recorder.hpp"

#include <algorithm>
#include <map>
#include <sstream>

#include "common/error.hpp"
#include "output/writers.hpp"

namespace pointsim::app {

std::vector<WeightRecorderPlan> plan_weight_recorders(const config::SimulationConfig& cfg) {
    std::vector<WeightRecorderPlan> out;
    for (const auto& rep : cfg.reports) {
        if (rep.params.value("module", "") != "weight_recorder") continue;
        std::string file = rep.name + ".csv";
        if (auto it = rep.params.find("file_name"); it != rep.params.end()) {
            if (!it->is_string())
                throw config_error(cfg.config_path.string() + ": reports." + rep.name + ".file_name must be a string");
            file = it->get<std::string>();
        }
        const std::filesystem::path p(file);
        out.push_back({rep.name, p.is_absolute() ? p : cfg.output.output_dir / p});
    }
    return out;
}

std::vector<std::string> weight_recorder_csv(const std::vector<WeightRecorderPlan>& plans,
                                             const std::vector<network::WeightEvent>& events,
                                             const network::Network& net, comm::Communicator& comm) {
    // Ports need every rank's synapse counts per source, per recorder.
    const std::size_t n_rec = plans.size(), n_gids = net.n_gids();
    std::vector<std::uint64_t> counts(n_rec * n_gids, 0);
    const auto& p = net.plastic;
    for (std::size_t s = 0; s + 1 < p.row_begin.size(); ++s)
        for (auto k = p.row_begin[s]; k < p.row_begin[s + 1]; ++k)
            if (p.recorder[k] >= 0) ++counts[static_cast<std::size_t>(p.recorder[k]) * n_gids + s];
    comm.all_reduce_sum(counts);

    // Events travel as doubles: gids, tics and keys are far below 2^53.
    std::vector<double> packed;
    for (const auto& e : events) {
        packed.insert(packed.end(), {static_cast<double>(e.source_gid), static_cast<double>(e.target_gid),
                                     static_cast<double>(e.stamp_tics), e.weight, static_cast<double>(e.receptor),
                                     static_cast<double>(e.recorder), static_cast<double>(e.order_key >> 32),
                                     static_cast<double>(e.order_key & 0xffffffffULL)});
    }
    const auto parts = comm.gather(packed);
    std::vector<std::string> out(n_rec);
    if (comm.rank() != 0) return out;

    std::vector<network::WeightEvent> all;
    for (const auto& part : parts)
        for (std::size_t i = 0; i + 8 <= part.size(); i += 8)
            all.push_back({static_cast<std::uint64_t>(part[i]), static_cast<std::uint64_t>(part[i + 1]),
                           static_cast<std::int64_t>(part[i + 2]), part[i + 3], static_cast<std::int32_t>(part[i + 4]),
                           static_cast<std::int32_t>(part[i + 5]),
                           (static_cast<std::uint64_t>(part[i + 6]) << 32) | static_cast<std::uint64_t>(part[i + 7])});

    for (std::size_t r = 0; r < n_rec; ++r) {
        // Port of each synapse: synapses of lower sources, then creation order within the source.
        std::vector<std::uint64_t> offset(n_gids + 1, 0);
        for (std::size_t s = 0; s < n_gids; ++s) offset[s + 1] = offset[s] + counts[r * n_gids + s];
        std::map<std::uint64_t, std::vector<std::uint64_t>> keys_of_source;
        for (const auto& e : all)
            if (e.recorder == static_cast<std::int32_t>(r)) keys_of_source[e.source_gid].push_back(e.order_key);
        for (auto& [s, keys] : keys_of_source) {
            std::sort(keys.begin(), keys.end());
            keys.erase(std::unique(keys.begin(), keys.end()), keys.end());
        }
        struct Row {
            std::int64_t tics;
            std::uint64_t port;
            const network::WeightEvent* e;
        };
        std::vector<Row> rows;
        for (const auto& e : all) {
            if (e.recorder != static_cast<std::int32_t>(r)) continue;
            const auto& keys = keys_of_source[e.source_gid];
            const auto within = static_cast<std::uint64_t>(std::lower_bound(keys.begin(), keys.end(), e.order_key) - keys.begin());
            rows.push_back({e.stamp_tics, offset[e.source_gid] + within, &e});
        }
        std::sort(rows.begin(), rows.end(), [](const Row& a, const Row& b) {
            return a.tics != b.tics ? a.tics < b.tics : a.port < b.port;
        });
        std::ostringstream csv;
        csv << "source_node_id source_population target_node_id target_population time_ms weights receptors ports\n";
        for (const auto& row : rows) {
            const auto& e = *row.e;
            csv << net.node_id_of(e.source_gid) << ' ' << net.population_of(e.source_gid).name << ' '
                << net.node_id_of(e.target_gid) << ' ' << net.population_of(e.target_gid).name << ' '
                << output::format_float_repr(static_cast<double>(e.stamp_tics) * (1.0 / 1000.0)) << ' '
                << output::format_float_repr(e.weight) << ' ' << e.receptor << ' ' << row.port << '\n';
        }
        out[r] = csv.str();
    }
    return out;
}

}  // namespace pointsim::app
