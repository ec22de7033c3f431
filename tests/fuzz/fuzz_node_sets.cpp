// Fuzz target: node-set resolution (network::resolve_node_set) on a small
// fixed network. The input is JSON: used as an inline node-set reference
// against fixed node_sets, and, when it is an object, as the node_sets
// themselves, every name of which is resolved. Input that is not JSON is
// skipped (the config reader, fuzzed by fuzz_config, parses the JSON).
//
// The network, built in memory: population "V1" (6 nodes, node ids 0..5, two
// h5 groups with numeric and string attributes, a types CSV with numbers,
// strings and missing values) and "LGN" (4 virtual nodes, sparse node ids).
#include <cstddef>
#include <cstdint>
#include <memory>
#include <string>

#include <nlohmann/json.hpp>

#include "fuzz_util.hpp"
#include "network/network.hpp"

namespace {

using namespace pointsim;
using Json = nlohmann::json;

sonata::Column numbers(std::vector<double> v) {
    sonata::Column c;
    c.numbers = std::move(v);
    return c;
}

sonata::Column strings(std::vector<std::string> v) {
    sonata::Column c;
    c.strings = std::move(v);
    c.is_string = true;
    return c;
}

std::shared_ptr<const sonata::TypeTable> types(const std::string& name, const std::string& csv) {
    const auto path = fuzz::write_input(name, reinterpret_cast<const std::uint8_t*>(csv.data()), csv.size());
    return std::make_shared<const sonata::TypeTable>(sonata::TypeTable::read(path, "node_type_id"));
}

const network::Network& fixed_network() {
    static const network::Network net = [] {
        network::Network n;
        network::Population v1;
        v1.name = "V1";
        v1.first_gid = 0;
        v1.nodes.name = "V1";
        v1.nodes.file = "/fuzz/v1_nodes.h5";
        v1.nodes.node_ids = {0, 1, 2, 3, 4, 5};
        v1.nodes.node_type_ids = {100, 101, 100, 102, 101, 100};
        v1.nodes.group_ids = {0, 0, 1, 0, 1, 1};
        v1.nodes.group_indices = {0, 1, 0, 2, 1, 2};
        v1.nodes.groups[0].attributes = {{"x", numbers({1.5, -2.0, 3.25})},
                                         {"model_name", strings({"Scnn1a", "PV", ""})}};
        v1.nodes.groups[1].attributes = {{"tuning_angle", numbers({0.0, 90.0, 180.0})},
                                         {"ei", strings({"e", "i", "e"})}};
        v1.types = types("v1_node_types.csv",
                         "node_type_id ei pop_name model_type tuning_angle location\n"
                         "100 e Scnn1a point_process 10.5 VisL4\n"
                         "101 i PV point_process NONE VisL4\n"
                         "102 e \"L 4\" point_process abc \"\"\n");
        v1.rows.build(v1.nodes.node_ids);

        network::Population lgn;
        lgn.name = "LGN";
        lgn.is_virtual = true;
        lgn.first_gid = 6;
        lgn.nodes.name = "LGN";
        lgn.nodes.file = "/fuzz/lgn_nodes.h5";
        lgn.nodes.node_ids = {10, 20, 30, 1000};
        lgn.nodes.node_type_ids = {200, 200, 200, 200};
        lgn.nodes.group_ids = {0, 0, 0, 0};
        lgn.nodes.group_indices = {0, 1, 2, 3};
        lgn.nodes.groups[0];
        lgn.types = types("lgn_node_types.csv", "node_type_id model_type pop_name ei\n200 virtual tON e\n");
        lgn.rows.build(lgn.nodes.node_ids);

        n.populations.push_back(std::move(v1));
        n.populations.push_back(std::move(lgn));
        n.location.resize(10);
        n.simulated = {true, true, true, true, true, true, false, false, false, false};
        return n;
    }();
    return net;
}

void check(const std::vector<network::Gid>& gids, const network::Network& net) {
    for (std::size_t i = 0; i < gids.size(); ++i)
        if (gids[i] >= net.n_gids() || (i > 0 && gids[i - 1] >= gids[i])) std::abort();  // sorted, unique, in range
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
    const network::Network& net = fixed_network();
    const Json doc = Json::parse(data, data + size, nullptr, /*allow_exceptions=*/false);
    if (doc.is_discarded()) return 0;

    static const Json fixed_sets = {{"exc", {{"ei", "e"}}},
                                    {"lgn", {{"population", "LGN"}}},
                                    {"both", {"exc", "lgn"}},
                                    {"angles", {{"tuning_angle", {{"$gte", 0}, {"$lt", 100}}}}}};
    fuzz::expect_only_pointsim_errors([&] { check(network::resolve_node_set(doc, fixed_sets, net, "fuzz"), net); });
    if (doc.is_object()) {
        for (auto it = doc.begin(); it != doc.end(); ++it) {
            fuzz::expect_only_pointsim_errors(
                [&] { check(network::resolve_node_set(Json(it.key()), doc, net, "fuzz.node_set"), net); });
        }
    }
    return 0;
}
