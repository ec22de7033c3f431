// The shared example circuits against NEST 3.10 + BMTK PointNet
// (tests/reference, copied from ../shared/reference; see PROVENANCE.md):
// the same (population, node_id, time) spike set, not one spike missing or
// extra, and V_m within 1e-6 mV on the sample times both files have.
#include <cmath>
#include <fstream>
#include <sstream>
#include <set>
#include <tuple>

#include <H5Cpp.h>
#include <gtest/gtest.h>

#include "pointsim/run.hpp"
#include "sonata/sonata.hpp"

namespace fs = std::filesystem;

namespace {

struct Case {
    std::string example;  // folder under examples/
    std::string config;   // config file name without .json
    bool has_report;      // the reference kept membrane_potential.h5
    bool has_weights = false;  // the reference has stdp_weights.csv (weight_recorder)
};

std::ostream& operator<<(std::ostream& os, const Case& c) { return os << c.example << "/" << c.config; }

using SpikeKey = std::tuple<std::string, std::uint64_t, long long>;  // population, node, time in microseconds

std::set<SpikeKey> spike_set(const fs::path& file, std::size_t& count) {
    std::set<SpikeKey> out;
    count = 0;
    for (const auto& [pop, list] : pointsim::sonata::read_spikes_h5(file)) {
        for (std::size_t k = 0; k < list.node_ids.size(); ++k)
            out.emplace(pop, list.node_ids[k], std::llround(list.timestamps[k] * 1000.0));
        count += list.node_ids.size();
    }
    return out;
}

struct Report {
    std::vector<std::uint64_t> node_ids;
    std::vector<double> time;  // [start, stop, interval]
    std::vector<double> data;  // rows x columns
    std::size_t rows = 0, cols = 0;
};

Report read_report(const fs::path& file, const std::string& pop) {
    H5::Exception::dontPrint();
    H5::H5File f(file.string(), H5F_ACC_RDONLY);
    Report r;
    auto ids = f.openDataSet("/report/" + pop + "/mapping/node_ids");
    hsize_t n = 0;
    ids.getSpace().getSimpleExtentDims(&n);
    r.node_ids.resize(n);
    ids.read(r.node_ids.data(), H5::PredType::NATIVE_UINT64);
    auto time = f.openDataSet("/report/" + pop + "/mapping/time");
    r.time.resize(3);
    time.read(r.time.data(), H5::PredType::NATIVE_DOUBLE);
    auto data = f.openDataSet("/report/" + pop + "/data");
    hsize_t dims[2] = {0, 0};
    data.getSpace().getSimpleExtentDims(dims);
    r.rows = dims[0];
    r.cols = dims[1];
    r.data.resize(r.rows * r.cols);
    data.read(r.data.data(), H5::PredType::NATIVE_DOUBLE);
    return r;
}

std::vector<std::string> report_populations(const fs::path& file) {
    H5::H5File f(file.string(), H5F_ACC_RDONLY);
    auto g = f.openGroup("/report");
    std::vector<std::string> out;
    for (hsize_t i = 0; i < g.getNumObjs(); ++i) out.push_back(g.getObjnameByIdx(i));
    return out;
}

class ReferenceCircuit : public ::testing::TestWithParam<Case> {};

TEST_P(ReferenceCircuit, SameSpikesAndVoltagesAsNest) {
    const Case& c = GetParam();
    const fs::path config = fs::path(POINTSIM_EXAMPLES_DIR) / c.example / (c.config + ".json");
    const fs::path reference = fs::path(POINTSIM_REFERENCE_DIR) / c.example / c.config;
    const fs::path out = fs::temp_directory_path() / ("pointsim-it-" + c.example + "-" + c.config + "-" +
                                                      std::to_string(::getpid()));
    fs::remove_all(out);

    pointsim::RunOptions options;
    options.config = config;
    options.output_dir = out;
    pointsim::run(options);

    std::size_t n_ours = 0, n_ref = 0;
    const auto ours = spike_set(out / "spikes.h5", n_ours);
    const auto ref = spike_set(reference / "spikes.h5", n_ref);
    EXPECT_EQ(n_ours, n_ref);
    std::vector<SpikeKey> missing, extra;
    std::set_difference(ref.begin(), ref.end(), ours.begin(), ours.end(), std::back_inserter(missing));
    std::set_difference(ours.begin(), ours.end(), ref.begin(), ref.end(), std::back_inserter(extra));
    EXPECT_TRUE(missing.empty()) << missing.size() << " NEST spikes missing, first: " << std::get<0>(missing[0]) << " node "
                                 << std::get<1>(missing[0]) << " t=" << std::get<2>(missing[0]) / 1000.0;
    EXPECT_TRUE(extra.empty()) << extra.size() << " extra spikes, first: " << std::get<0>(extra[0]) << " node "
                               << std::get<1>(extra[0]) << " t=" << std::get<2>(extra[0]) / 1000.0;

    if (c.has_report) {
        const fs::path ref_file = reference / "membrane_potential.h5";
        const fs::path our_file = out / "membrane_potential.h5";
        ASSERT_TRUE(fs::exists(our_file));
        for (const auto& pop : report_populations(ref_file)) {
            const Report a = read_report(our_file, pop), b = read_report(ref_file, pop);
            ASSERT_EQ(a.time[2], b.time[2]) << "interval";
            ASSERT_NEAR(a.time[0], b.time[0], 1e-9) << "first sample";
            // NEST stops recording one min-delay before tstop: compare the rows it has.
            ASSERT_GE(a.rows, b.rows);
            ASSERT_GT(b.rows, 0u);
            std::size_t compared = 0;
            double worst = 0.0;
            for (std::size_t jb = 0; jb < b.cols; ++jb) {
                const auto it = std::find(a.node_ids.begin(), a.node_ids.end(), b.node_ids[jb]);
                ASSERT_NE(it, a.node_ids.end()) << "node " << b.node_ids[jb] << " not recorded";
                const std::size_t ja = static_cast<std::size_t>(it - a.node_ids.begin());
                for (std::size_t row = 0; row < b.rows; ++row) {
                    const double diff = std::abs(a.data[row * a.cols + ja] - b.data[row * b.cols + jb]);
                    worst = std::max(worst, diff);
                    ++compared;
                }
            }
            EXPECT_LE(worst, 1e-6) << pop << ": largest |V_m difference| over " << compared << " samples";
        }
    }
    if (c.has_weights) {
        // Every transmission through a recorded stdp synapse: the same rows
        // (ids, populations, time, receptor, port) and weights to 1e-9 relative.
        auto read_rows = [](const fs::path& file) {
            std::ifstream in(file);
            std::vector<std::vector<std::string>> rows;
            for (std::string line; std::getline(in, line);) {
                std::istringstream fields(line);
                std::vector<std::string> row;
                for (std::string f; fields >> f;) row.push_back(f);
                if (!row.empty()) rows.push_back(row);
            }
            return rows;
        };
        const auto a = read_rows(out / "stdp_weights.csv"), b = read_rows(reference / "stdp_weights.csv");
        ASSERT_EQ(a.size(), b.size());
        ASSERT_GT(b.size(), 1u);
        EXPECT_EQ(a[0], b[0]) << "header";
        int bad = 0;
        for (std::size_t i = 1; i < a.size() && bad < 5; ++i) {
            ASSERT_EQ(a[i].size(), 8u);
            const double wa = std::stod(a[i][5]), wb = std::stod(b[i][5]);
            const double ta = std::stod(a[i][4]), tb = std::stod(b[i][4]);
            auto others = [](std::vector<std::string> r) { r.erase(r.begin() + 4, r.begin() + 6); return r; };
            if (others(a[i]) != others(b[i]) || std::abs(ta - tb) > 1e-9 ||
                std::abs(wa - wb) > 1e-9 * std::max(std::abs(wa), std::abs(wb))) {
                ADD_FAILURE() << "weight row " << i << ": pointsim '" << a[i][0] << " " << a[i][2] << " " << a[i][4]
                              << " " << a[i][5] << " port " << a[i][7] << "' NEST '" << b[i][0] << " " << b[i][2] << " "
                              << b[i][4] << " " << b[i][5] << " port " << b[i][7] << "'";
                ++bad;
            }
        }
    }
    fs::remove_all(out);
}

INSTANTIATE_TEST_SUITE_P(
    Nest, ReferenceCircuit,
    ::testing::Values(Case{"tutorial_ch05", "config", true}, Case{"tutorial_ch05_converted", "simulation_config", false},
                      Case{"point_120cells", "config.simulation", false},
                      Case{"point_120cells", "config.simulation_iclamp", true},
                      Case{"point_120cells", "config.simulation_iclamp.aslist", true},
                      Case{"point_120cells", "config.simulation_iclamp.csv", true},
                      Case{"point_120cells", "config.simulation_perturbations", false},
                      Case{"point_450cells", "config.simulation", false},
                      Case{"point_450glifs", "config.simulation", false},
                      Case{"point_iclamp_nwb", "config.simulation_iclamp.nwb", true},
                      Case{"point_stdp", "config.simulation_iclamp", true, true},
                      Case{"point_stdp", "config.simulation_virtual", true, true},
                      Case{"sonata_300", "simulation_config", true}),
    [](const ::testing::TestParamInfo<Case>& info) {
        std::string name = info.param.example + "_" + info.param.config;
        for (char& ch : name)
            if (!std::isalnum(static_cast<unsigned char>(ch))) ch = '_';
        return name;
    });

}  // namespace
