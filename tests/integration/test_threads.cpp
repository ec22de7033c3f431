// Threads inside one process (`--threads`, run.n_thread): every output file
// of a run with several thread blocks is byte-identical to the one-thread
// run's, on example circuits that exercise each part of the engine the
// blocks split: static and stdp synapses with a weight_recorder, current
// clamps (CSV and NWB), iaf_psc_delta, glif_psc and membrane reports.
// More threads than neurons of a model, or than neurons, leave blocks with
// few or no neurons; they must work too. (tests/mpi runs the ranks x threads
// matrix through mpirun.)
#include <algorithm>
#include <string>
#include <vector>

#include <gtest/gtest.h>

#include "common/logging.hpp"
#include "pointsim/run.hpp"
#include "test_files.hpp"

namespace fs = std::filesystem;

namespace {

const fs::path kExamples = POINTSIM_EXAMPLES_DIR;

struct Case {
    std::string config;  // under examples/
    int threads;
    std::size_t max_block_neurons = 0;  // > 0: more blocks than threads (RunOptions::max_block_neurons)
};

std::ostream& operator<<(std::ostream& os, const Case& c) {
    return os << c.config << " x" << c.threads << (c.max_block_neurons ? " blocks of " : "")
              << (c.max_block_neurons ? std::to_string(c.max_block_neurons) : "");
}

class ThreadsGiveTheSameOutputs : public ::testing::TestWithParam<Case> {
protected:
    void SetUp() override {
        pointsim::logging::set_level(spdlog::level::err);
        // The name of a parameterised test is "ByteForByte/N": one folder, not a folder in a folder
        // (TearDown removes dir_ only).
        std::string name = ::testing::UnitTest::GetInstance()->current_test_info()->name();
        std::replace(name.begin(), name.end(), '/', '_');
        dir_ = fs::temp_directory_path() / ("pointsim_test_threads_" + std::to_string(::getpid()) + "_" + name);
        fs::remove_all(dir_);
    }
    void TearDown() override { fs::remove_all(dir_); }
    fs::path dir_;
};

TEST_P(ThreadsGiveTheSameOutputs, ByteForByte) {
    const Case& c = GetParam();
    pointsim::RunOptions one;
    one.config = kExamples / c.config;
    one.output_dir = dir_ / "one";
    one.show_progress = false;
    one.threads = 1;
    pointsim::RunOptions many = one;
    many.output_dir = dir_ / "many";
    many.threads = c.threads;
    many.max_block_neurons = c.max_block_neurons;
    const auto a = pointsim::run(one);
    const auto b = pointsim::run(many);
    ASSERT_GT(a.n_spikes, 0u);
    EXPECT_EQ(a.n_spikes, b.n_spikes);
    EXPECT_EQ(a.synaptic_events, b.synaptic_events);
    std::size_t compared = 0;
    for (const auto& entry : fs::directory_iterator(dir_ / "one")) {
        const std::string name = entry.path().filename().string();
        if (name == "log.txt" || entry.path().extension() == ".json") continue;  // timings; the config copy
        ASSERT_TRUE(fs::exists(dir_ / "many" / name)) << name;
        EXPECT_TRUE(pointsim::testing_files::read_text(entry.path()) == pointsim::testing_files::read_text(dir_ / "many" / name)) << name << " differs";
        ++compared;
    }
    EXPECT_GE(compared, 2u);  // at least the spikes in h5 and csv
    // The log says what was used.
    const std::string log = pointsim::testing_files::read_text(dir_ / "many" / "log.txt");
    EXPECT_NE(log.find("x " + std::to_string(c.threads) + (c.threads == 1 ? " thread" : " threads") + " (--threads)"),
              std::string::npos);
    if (c.max_block_neurons) {
        EXPECT_NE(log.find("neurons each, for the cache"), std::string::npos) << "no 'Thread blocks' line";
    }
}

INSTANTIATE_TEST_SUITE_P(Examples, ThreadsGiveTheSameOutputs,
                         ::testing::Values(Case{"tutorial_ch05/config.json", 2}, Case{"tutorial_ch05/config.json", 7},
                                           Case{"point_stdp/config.simulation_iclamp.json", 3},
                                           Case{"point_stdp/config.simulation_virtual.json", 2},
                                           Case{"point_120cells/config.simulation.json", 4},
                                           Case{"point_iclamp_nwb/config.simulation_iclamp.nwb.json", 2},
                                           Case{"sonata_300/simulation_config.json", 3},
                                           // More thread blocks than threads (large networks get them
                                           // for the cache): one thread walking 11 blocks, two walking a
                                           // block per neuron, two walking 3 blocks each.
                                           Case{"tutorial_ch05/config.json", 1, 37},
                                           Case{"point_stdp/config.simulation_virtual.json", 2, 1},
                                           Case{"point_120cells/config.simulation.json", 2, 25}));

}  // namespace
