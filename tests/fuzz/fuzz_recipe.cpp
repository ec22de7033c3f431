// Fuzz target: the `pointsim build` recipe (builder::parse_recipe), and, for
// small recipes that pass, the network it describes, built in memory (nodes,
// every edge group's rule and per-edge values). Input that is not JSON goes
// through load_recipe's file path once; the rest is checked as JSON.
// Limits keep one input fast: at most 2,000 nodes per network and rules that
// ask for at most 20,000 connections (fixed degrees times nodes, N).
#include <cstddef>
#include <cstdint>
#include <vector>

#include "builder/model.hpp"
#include "builder/random.hpp"
#include "fuzz_util.hpp"

namespace {

using namespace pointsim;
using namespace pointsim::builder;

bool small_enough(const Recipe& r) {
    for (const auto& net : r.networks) {
        std::uint64_t n = 0;
        for (const auto& g : net.nodes) n += g.n;
        if (n > 2000) return false;
    }
    for (const auto& net : r.networks)
        for (const auto& e : net.edges) {
            if (e.rule.count > 10) return false;  // degrees and N, times up to 2,000 nodes
            if (e.rule.nsyn_max > 1000 || e.rule.nsources_max > 2000) return false;
        }
    return true;
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
    const Json doc = Json::parse(data, data + size, nullptr, /*allow_exceptions=*/false);
    if (doc.is_discarded()) {
        const auto path = fuzz::write_input("recipe.json", data, size);
        fuzz::expect_only_pointsim_errors([&] { load_recipe(path); });
        return 0;
    }
    fuzz::expect_only_pointsim_errors([&] {
        const Recipe recipe = parse_recipe(doc, "fuzz.json");
        if (!small_enough(recipe)) return;
        std::vector<BuiltNetwork> nets;
        for (std::size_t k = 0; k < recipe.networks.size(); ++k)
            nets.push_back(build_nodes(recipe.networks[k], k, recipe.seed, "fuzz.json"));
        auto named = [&](const std::string& name) -> const BuiltNetwork& {
            for (const auto& n : nets)
                if (n.spec->name == name) return n;
            std::abort();  // parse_recipe checked every name
        };
        for (std::size_t k = 0; k < recipe.networks.size(); ++k)
            for (std::size_t i = 0; i < recipe.networks[k].edges.size(); ++i) {
                const EdgeGroupSpec& e = recipe.networks[k].edges[i];
                connect(e, 100, hash_keys(recipe.seed, k, i), named(e.source.network), named(e.target.network), recipe, 1);
            }
    });
    return 0;
}
