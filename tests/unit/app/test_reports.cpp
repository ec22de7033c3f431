// Membrane / multimeter report plans (src/app/reports.cpp): which cells,
// which variables, sample times, file names, and the errors.
#include <gtest/gtest.h>

#include "../network/test_circuit.hpp"
#include "app/reports.hpp"

namespace ptest {
namespace {

using pointsim::ErrorKind;
using pointsim::app::plan_reports;

class ReportsTest : public CircuitTest {
protected:
    std::vector<pointsim::app::ReportPlan> plans(const Json& reports, double dt = 0.1) {
        Json cfg = base_config({"cortex", "lgn"}, {}, {{"reports", reports}});
        cfg["run"]["dt"] = dt;
        cfg["output"] = {{"output_dir", path("out").string()}};
        cfg_ = load(cfg);
        grid_ = grid_of(cfg_);
        net_ = pointsim::network::build(cfg_, grid_);
        return plan_reports(cfg_, net_, grid_);
    }
    pointsim::config::SimulationConfig cfg_;
    pointsim::TimeGrid grid_;
    pointsim::network::Network net_;
};

TEST_F(ReportsTest, OneVariableRecordsTheSimulatedCellsOfTheNodeSetEveryStep) {
    const auto p = plans({{"membrane_potential",
                           {{"module", "membrane_report"}, {"variable_name", "V_m"},
                            {"cells", {{"population", "cortex"}, {"node_id", {0, 3, 4}}}}}}});
    ASSERT_EQ(p.size(), 1u);
    EXPECT_EQ(p[0].variable, "V_m");
    EXPECT_EQ(p[0].file, path("out") / "membrane_potential.h5");
    EXPECT_EQ(p[0].gids, (std::vector<pointsim::network::Gid>{0, 3, 4}));
    EXPECT_EQ(p[0].recorder.flat.size(), 3u);
    EXPECT_EQ(p[0].recorder.interval, 1);
    EXPECT_EQ(p[0].recorder.start, 0);
    EXPECT_EQ(p[0].recorder.stop, 1000);
}

TEST_F(ReportsTest, SeveralVariablesGiveOneFilePerVariable) {
    const auto p = plans({{"mm",
                           {{"module", "multimeter_report"}, {"variable_name", {"V_m", "I_syn_ex"}},
                            {"cells", {{"population", "cortex"}, {"node_id", {0, 1}}}}, {"file_name", "mm.h5"}}}});
    ASSERT_EQ(p.size(), 2u);
    EXPECT_EQ(p[0].file.filename(), "mm_V_m.h5");
    EXPECT_EQ(p[1].file.filename(), "mm_I_syn_ex.h5");
    EXPECT_EQ(p[1].variable, "I_syn_ex");
}

TEST_F(ReportsTest, SpecAndBmtkTimeKeysBothWork) {
    auto p = plans({{"a", {{"module", "membrane_report"}, {"variable_name", "V_m"}, {"cells", "cortex"},
                           {"tstart", 10.0}, {"tstop", 50.0}, {"interval", 0.5}}}});
    EXPECT_EQ(p[0].recorder.start, 100);
    EXPECT_EQ(p[0].recorder.stop, 500);
    EXPECT_EQ(p[0].recorder.interval, 5);
    p = plans({{"b", {{"module", "membrane_report"}, {"variable_name", "V_m"}, {"cells", "cortex"},
                      {"start_time", 10.0}, {"end_time", 50.0}, {"dt", 0.5}}}});
    EXPECT_EQ(p[0].recorder.start, 100);
    EXPECT_EQ(p[0].recorder.stop, 500);
    EXPECT_EQ(p[0].recorder.interval, 5);
}

TEST_F(ReportsTest, VirtualNodesAreNotRecorded) {
    const auto p = plans({{"r", {{"module", "membrane_report"}, {"variable_name", "V_m"}, {"cells", "all"}}}});
    EXPECT_EQ(p[0].gids.size(), 5u);  // the 5 cortex cells, not the 3 lgn virtual nodes
}

TEST_F(ReportsTest, Errors) {
    // A variable the model does not record: the message lists the recordables.
    std::string msg = error_of([&] {
        plans({{"r", {{"module", "membrane_report"}, {"variable_name", "I_syn_ex"},
                      {"cells", {{"population", "cortex"}, {"node_id", 3}}}}}});  // iaf_psc_delta
    }, ErrorKind::Config);
    EXPECT_CONTAINS(msg, "reports.r.variable_name");
    EXPECT_CONTAINS(msg, "iaf_psc_delta");
    EXPECT_CONTAINS(msg, "recordables: V_m");
    msg = error_of([&] { plans({{"r", {{"module", "membrane_report"}, {"variable_name", "V_m"}}}}); }, ErrorKind::Config);
    EXPECT_CONTAINS(msg, "reports.r.cells is missing");
    msg = error_of([&] { plans({{"r", {{"module", "membrane_report"}, {"cells", "cortex"}}}}); }, ErrorKind::Config);
    EXPECT_CONTAINS(msg, "variable_name is missing");
    msg = error_of([&] { plans({{"r", {{"module", "clamp_report"}, {"variable_name", "V_m"}, {"cells", "cortex"}}}}); },
                   ErrorKind::Config);
    EXPECT_CONTAINS(msg, "unknown report type 'clamp_report'");
    msg = error_of([&] {
        plans({{"r", {{"module", "membrane_report"}, {"variable_name", "V_m"}, {"cells", "cortex"}, {"interval", 0.25}}}});
    }, ErrorKind::Config);
    EXPECT_CONTAINS(msg, "not a multiple of dt");
    msg = error_of([&] { plans({{"r", {{"module", "membrane_report"}, {"variable_name", "V_m"}, {"cells", "lgn"}}}}); },
                   ErrorKind::Config);
    EXPECT_CONTAINS(msg, "selects no simulated neuron");
}

TEST_F(ReportsTest, PopulationsSplitTheColumnsAndSampleTimesAreStamped) {
    auto p = plans({{"r", {{"module", "membrane_report"}, {"variable_name", "V_m"}, {"cells", "cortex"},
                           {"tstart", 10.0}, {"interval", 0.5}}}});
    const std::size_t n_samples = 3;
    std::vector<double> data(n_samples * p[0].gids.size());
    for (std::size_t i = 0; i < data.size(); ++i) data[i] = static_cast<double>(i);
    p[0].recorder.n_samples = n_samples;
    const auto pops = pointsim::app::report_populations(p[0], data, net_, grid_);
    ASSERT_EQ(pops.size(), 1u);
    EXPECT_EQ(pops[0].population, "cortex");
    EXPECT_EQ(pops[0].units, "mV");
    EXPECT_DOUBLE_EQ(pops[0].t_start, 10.5);  // first sample after tstart
    EXPECT_DOUBLE_EQ(pops[0].t_stop, 11.5);
    EXPECT_DOUBLE_EQ(pops[0].interval, 0.5);
    EXPECT_EQ(pops[0].node_ids, (std::vector<std::uint64_t>{0, 1, 2, 3, 4}));
    EXPECT_EQ(pops[0].data, data);
}

}  // namespace
}  // namespace ptest
