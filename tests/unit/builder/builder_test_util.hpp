#pragma once
// Shared by the builder tests: build a recipe held in memory, in process.
#include <filesystem>
#include <memory>
#include <string>
#include <vector>

#include "builder/builder.hpp"
#include "builder/model.hpp"
#include "builder/random.hpp"
#include "test_files.hpp"

namespace pointsim::builder::test {

namespace fs = std::filesystem;
namespace testing_files = pointsim::testing_files;

inline const fs::path kExamples = POINTSIM_EXAMPLES_DIR;
// Statistical checks accept a count within this many standard deviations of
// its expectation (a false alarm about once in 150,000 checks).
inline constexpr double kSigmas = 4.5;

struct InMemory {
    std::unique_ptr<Recipe> recipe;
    std::vector<BuiltNetwork> nets;
    const BuiltNetwork& net(const std::string& name) const {
        for (const auto& n : nets)
            if (n.spec->name == name) return n;
        throw std::runtime_error("no network " + name);
    }
    // Edge group i of network `owner`, connected as build_network would.
    BuiltEdges edges(const std::string& owner, std::size_t i, unsigned threads = 1) const {
        for (std::size_t k = 0; k < recipe->networks.size(); ++k) {
            const NetworkSpec& n = recipe->networks[k];
            if (n.name != owner) continue;
            const EdgeGroupSpec& e = n.edges.at(i);
            return connect(e, 100 + static_cast<std::uint32_t>(i), hash_keys(recipe->seed, 0xED6E, k, i),
                           net(e.source.network), net(e.target.network), *recipe, threads);
        }
        throw std::runtime_error("no network " + owner);
    }
};

inline InMemory build_in_memory(const Json& doc, std::uint64_t seed) {
    InMemory m;
    m.recipe = std::make_unique<Recipe>(parse_recipe(doc, "test.json"));
    m.recipe->seed = seed;
    for (std::size_t k = 0; k < m.recipe->networks.size(); ++k)
        m.nets.push_back(build_nodes(m.recipe->networks[k], k, seed, "test.json"));
    return m;
}

// `pointsim build RECIPE --output OUT --seed SEED --threads THREADS`, in process.
inline BuildSummary build(const fs::path& recipe, const fs::path& out, std::uint64_t seed, unsigned threads = 1) {
    BuildOptions o;
    o.recipe = recipe;
    o.output_dir = out;
    o.seed = seed;
    o.threads = threads;
    return build_network(o);
}

struct TempDir : testing_files::TempDir {
    TempDir() : testing_files::TempDir("pointsim_builder") {}
};

}  // namespace pointsim::builder::test
