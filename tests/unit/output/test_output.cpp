// Output writers: files are written to a fresh temp dir and read back with the
// HDF5 C++ API, checking the layout BMTK, h5py and libsonata expect.
#include <H5Cpp.h>
#include <gtest/gtest.h>
#include <unistd.h>

#include <cmath>
#include <cstdlib>
#include <fstream>
#include <functional>
#include <limits>
#include <random>
#include <sstream>
#include <string>
#include <vector>

#include "common/error.hpp"
#include "output/report_spool.hpp"
#include "output/writers.hpp"

namespace fs = std::filesystem;
using pointsim::Error;
using pointsim::ErrorKind;
using pointsim::SortOrder;
using namespace pointsim::output;

namespace {

class OutputTest : public ::testing::Test {
protected:
    void SetUp() override {
        H5::Exception::dontPrint();
        std::string tmpl = (fs::temp_directory_path() / "pointsim_test_output_XXXXXX").string();
        ASSERT_NE(::mkdtemp(tmpl.data()), nullptr);
        dir_ = tmpl;
    }
    void TearDown() override {
        std::error_code ec;
        fs::remove_all(dir_, ec);
    }
    fs::path dir_;
};

std::string read_text(const fs::path& p) {
    std::ifstream in(p, std::ios::binary);
    std::stringstream ss;
    ss << in.rdbuf();
    return ss.str();
}

// A vlen UTF-8 scalar string attribute, checking its type on the way.
std::string string_attr(const H5::H5Object& obj, const std::string& name) {
    H5::Attribute a = obj.openAttribute(name);
    H5::StrType t = a.getStrType();
    EXPECT_TRUE(t.isVariableStr()) << name;
    EXPECT_EQ(t.getCset(), H5T_CSET_UTF8) << name;
    EXPECT_EQ(a.getSpace().getSimpleExtentType(), H5S_SCALAR) << name;
    std::string value;
    a.read(t, value);
    return value;
}

std::vector<hsize_t> shape(const H5::DataSet& ds) {
    H5::DataSpace sp = ds.getSpace();
    std::vector<hsize_t> dims(static_cast<std::size_t>(sp.getSimpleExtentNdims()));
    if (!dims.empty()) sp.getSimpleExtentDims(dims.data());
    return dims;
}

std::vector<std::uint64_t> read_u64(const H5::Group& g, const std::string& name) {
    H5::DataSet ds = g.openDataSet(name);
    EXPECT_EQ(ds.getTypeClass(), H5T_INTEGER) << name;
    H5::IntType t = ds.getIntType();
    EXPECT_EQ(t.getSize(), 8u) << name;
    EXPECT_EQ(t.getSign(), H5T_SGN_NONE) << name;
    std::vector<std::uint64_t> v(static_cast<std::size_t>(ds.getSpace().getSimpleExtentNpoints()));
    if (!v.empty()) ds.read(v.data(), H5::PredType::NATIVE_UINT64);
    return v;
}

std::vector<double> read_f64(const H5::Group& g, const std::string& name) {
    H5::DataSet ds = g.openDataSet(name);
    EXPECT_EQ(ds.getTypeClass(), H5T_FLOAT) << name;
    EXPECT_EQ(ds.getFloatType().getSize(), 8u) << name;
    std::vector<double> v(static_cast<std::size_t>(ds.getSpace().getSimpleExtentNpoints()));
    if (!v.empty()) ds.read(v.data(), H5::PredType::NATIVE_DOUBLE);
    return v;
}

void expect_sonata_root(const H5::H5File& f) {
    H5::Attribute magic = f.openAttribute("magic");
    EXPECT_EQ(magic.getTypeClass(), H5T_INTEGER);
    EXPECT_EQ(magic.getIntType().getSize(), 4u);
    EXPECT_EQ(magic.getIntType().getSign(), H5T_SGN_NONE);
    EXPECT_EQ(magic.getSpace().getSimpleExtentType(), H5S_SCALAR);
    std::uint32_t m = 0;
    magic.read(H5::PredType::NATIVE_UINT32, &m);
    EXPECT_EQ(m, 0x0A7Au);

    H5::Attribute version = f.openAttribute("version");
    EXPECT_EQ(version.getIntType().getSize(), 4u);
    EXPECT_EQ(version.getIntType().getSign(), H5T_SGN_NONE);
    EXPECT_EQ(version.getSpace().getSimpleExtentNpoints(), 2);
    std::uint32_t v[2] = {9, 9};
    version.read(H5::PredType::NATIVE_UINT32, v);
    EXPECT_EQ(v[0], 0u);
    EXPECT_EQ(v[1], 1u);
}

// Ties on time (t=1.0 for ids 7, 3, 3) and on id (id 3 at 2.0, 1.0, 1.0).
PopulationSpikes tied_spikes() {
    return {"cortex", {7, 3, 5, 3, 3}, {1.0, 2.0, 0.5, 1.0, 1.0}};
}

void expect_output_error(const std::function<void()>& f, const fs::path& file) {
    try {
        f();
        FAIL() << "no exception for " << file;
    } catch (const Error& e) {
        EXPECT_EQ(e.kind(), ErrorKind::Output);
        EXPECT_NE(std::string(e.what()).find(file.string()), std::string::npos) << e.what();
    } catch (const std::exception& e) {
        FAIL() << "wrong exception type: " << e.what();
    }
}

}  // namespace

// --- sorting ---------------------------------------------------------------

TEST(SortSpikes, ByTimeBreaksTiesByNodeId) {
    PopulationSpikes s = tied_spikes();
    sort_spikes(s, SortOrder::ByTime);
    EXPECT_EQ(s.timestamps, (std::vector<double>{0.5, 1.0, 1.0, 1.0, 2.0}));
    EXPECT_EQ(s.node_ids, (std::vector<std::uint64_t>{5, 3, 3, 7, 3}));
}

TEST(SortSpikes, ByIdBreaksTiesByTime) {
    PopulationSpikes s = tied_spikes();
    sort_spikes(s, SortOrder::ById);
    EXPECT_EQ(s.node_ids, (std::vector<std::uint64_t>{3, 3, 3, 5, 7}));
    EXPECT_EQ(s.timestamps, (std::vector<double>{1.0, 1.0, 2.0, 0.5, 1.0}));
}

TEST(SortSpikes, NoneKeepsRecordedOrder) {
    PopulationSpikes s = tied_spikes();
    sort_spikes(s, SortOrder::None);
    EXPECT_EQ(s.node_ids, tied_spikes().node_ids);
    EXPECT_EQ(s.timestamps, tied_spikes().timestamps);
}

TEST(SortSpikes, MismatchedLengthsAreAnOutputError) {
    PopulationSpikes s{"cortex", {1, 2}, {1.0}};
    try {
        sort_spikes(s, SortOrder::ByTime);
        FAIL();
    } catch (const Error& e) {
        EXPECT_EQ(e.kind(), ErrorKind::Output);
    }
}

// --- spikes.h5 -------------------------------------------------------------

TEST_F(OutputTest, SpikesH5LayoutTypesAndAttributes) {
    const fs::path file = dir_ / "spikes.h5";
    write_spikes_h5(file, {tied_spikes()}, SortOrder::ByTime);

    H5::H5File f(file.string(), H5F_ACC_RDONLY);
    expect_sonata_root(f);
    H5::Group spikes = f.openGroup("spikes");
    ASSERT_EQ(spikes.getNumObjs(), 1u);
    EXPECT_EQ(spikes.getObjnameByIdx(0), "cortex");
    H5::Group pop = spikes.openGroup("cortex");
    EXPECT_EQ(string_attr(pop, "sorting"), "by_time");
    ASSERT_EQ(pop.getNumObjs(), 2u);

    H5::DataSet ts = pop.openDataSet("timestamps");
    EXPECT_EQ(string_attr(ts, "units"), "ms");
    EXPECT_EQ(shape(ts), (std::vector<hsize_t>{5}));
    EXPECT_EQ(ts.getCreatePlist().getLayout(), H5D_CONTIGUOUS);
    EXPECT_EQ(read_f64(pop, "timestamps"), (std::vector<double>{0.5, 1.0, 1.0, 1.0, 2.0}));
    EXPECT_EQ(read_u64(pop, "node_ids"), (std::vector<std::uint64_t>{5, 3, 3, 7, 3}));
}

TEST_F(OutputTest, SpikesH5EachSortOrder) {
    struct Case {
        SortOrder order;
        const char* name;
        std::vector<std::uint64_t> ids;
        std::vector<double> times;
    };
    const std::vector<Case> cases = {
        {SortOrder::None, "none", {7, 3, 5, 3, 3}, {1.0, 2.0, 0.5, 1.0, 1.0}},
        {SortOrder::ByTime, "by_time", {5, 3, 3, 7, 3}, {0.5, 1.0, 1.0, 1.0, 2.0}},
        {SortOrder::ById, "by_id", {3, 3, 3, 5, 7}, {1.0, 1.0, 2.0, 0.5, 1.0}},
    };
    for (const auto& c : cases) {
        SCOPED_TRACE(c.name);
        const fs::path file = dir_ / (std::string(c.name) + ".h5");
        write_spikes_h5(file, {tied_spikes()}, c.order);
        H5::H5File f(file.string(), H5F_ACC_RDONLY);
        H5::Group pop = f.openGroup("spikes/cortex");
        EXPECT_EQ(string_attr(pop, "sorting"), c.name);
        EXPECT_EQ(read_u64(pop, "node_ids"), c.ids);
        EXPECT_EQ(read_f64(pop, "timestamps"), c.times);
    }
}

TEST_F(OutputTest, SpikesH5EmptyHasSpikesGroupOnly) {
    for (const auto& input : {std::vector<PopulationSpikes>{},
                              std::vector<PopulationSpikes>{{"cortex", {}, {}}}}) {
        const fs::path file = dir_ / "empty.h5";
        write_spikes_h5(file, input, SortOrder::ByTime);
        H5::H5File f(file.string(), H5F_ACC_RDONLY);
        expect_sonata_root(f);
        H5::Group spikes = f.openGroup("spikes");
        EXPECT_EQ(spikes.getNumObjs(), 0u);
    }
}

TEST_F(OutputTest, SpikesH5TwoPopulations) {
    const fs::path file = dir_ / "two.h5";
    write_spikes_h5(file,
                    {{"thalamus", {2, 1}, {3.0, 3.0}},
                     {"empty", {}, {}},
                     {"cortex", {0, 4, 0}, {9.5, 0.25, 1.0}}},
                    SortOrder::ById);
    H5::H5File f(file.string(), H5F_ACC_RDONLY);
    H5::Group spikes = f.openGroup("spikes");
    EXPECT_EQ(spikes.getNumObjs(), 2u);
    EXPECT_FALSE(spikes.nameExists("empty"));

    H5::Group th = spikes.openGroup("thalamus");
    EXPECT_EQ(string_attr(th, "sorting"), "by_id");
    EXPECT_EQ(read_u64(th, "node_ids"), (std::vector<std::uint64_t>{1, 2}));
    EXPECT_EQ(read_f64(th, "timestamps"), (std::vector<double>{3.0, 3.0}));

    H5::Group cx = spikes.openGroup("cortex");
    EXPECT_EQ(string_attr(cx, "sorting"), "by_id");
    EXPECT_EQ(read_u64(cx, "node_ids"), (std::vector<std::uint64_t>{0, 0, 4}));
    EXPECT_EQ(read_f64(cx, "timestamps"), (std::vector<double>{1.0, 9.5, 0.25}));
}

TEST_F(OutputTest, SpikesH5LargeNodeIdsSurvive) {
    const std::uint64_t big = std::numeric_limits<std::uint64_t>::max();
    const fs::path file = dir_ / "big.h5";
    write_spikes_h5(file, {{"p", {big, 0}, {1.0, 2.0}}}, SortOrder::None);
    H5::H5File f(file.string(), H5F_ACC_RDONLY);
    EXPECT_EQ(read_u64(f.openGroup("spikes/p"), "node_ids"), (std::vector<std::uint64_t>{big, 0}));
}

TEST_F(OutputTest, SpikesH5OverwritesExistingFile) {
    const fs::path file = dir_ / "spikes.h5";
    write_spikes_h5(file, {{"old", {1}, {1.0}}}, SortOrder::None);
    write_spikes_h5(file, {{"new", {2}, {2.0}}}, SortOrder::None);
    H5::H5File f(file.string(), H5F_ACC_RDONLY);
    H5::Group spikes = f.openGroup("spikes");
    EXPECT_FALSE(spikes.nameExists("old"));
    EXPECT_TRUE(spikes.nameExists("new"));
}

// --- spikes.csv ------------------------------------------------------------

TEST_F(OutputTest, SpikesCsvExactText) {
    const fs::path file = dir_ / "spikes.csv";
    write_spikes_csv(file,
                     {{"thalamus", {4, 2, 3}, {12.0, 0.1, 0.1}},
                      {"none", {}, {}},
                      {"cortex", {0, 1}, {554.27, 3.0000000000000004}}},
                     SortOrder::ByTime);
    EXPECT_EQ(read_text(file),
              "timestamps population node_ids\n"
              "0.1 thalamus 2\n"
              "0.1 thalamus 3\n"
              "12.0 thalamus 4\n"
              "3.0000000000000004 cortex 1\n"
              "554.27 cortex 0\n");
}

TEST_F(OutputTest, SpikesCsvHonoursEachOrder) {
    const fs::path file = dir_ / "spikes.csv";
    write_spikes_csv(file, {tied_spikes()}, SortOrder::ById);
    EXPECT_EQ(read_text(file),
              "timestamps population node_ids\n"
              "1.0 cortex 3\n1.0 cortex 3\n2.0 cortex 3\n0.5 cortex 5\n1.0 cortex 7\n");
    write_spikes_csv(file, {tied_spikes()}, SortOrder::None);
    EXPECT_EQ(read_text(file),
              "timestamps population node_ids\n"
              "1.0 cortex 7\n2.0 cortex 3\n0.5 cortex 5\n1.0 cortex 3\n1.0 cortex 3\n");
}

TEST_F(OutputTest, SpikesCsvEmptyHasHeaderOnly) {
    const fs::path file = dir_ / "spikes.csv";
    write_spikes_csv(file, {}, SortOrder::ByTime);
    EXPECT_EQ(read_text(file), "timestamps population node_ids\n");
}

TEST(FormatFloatRepr, MatchesPythonRepr) {
    const std::vector<std::pair<double, std::string>> cases = {
        {12.0, "12.0"},
        {0.1, "0.1"},
        {554.27, "554.27"},
        {12.345, "12.345"},
        {0.0, "0.0"},
        {-0.0, "-0.0"},
        {-3.5, "-3.5"},
        {1000.0, "1000.0"},
        {0.30000000000000004, "0.30000000000000004"},
        {0.0001, "0.0001"},
        {0.00012, "0.00012"},
        {1e-05, "1e-05"},
        {1.5e-07, "1.5e-07"},
        {1e15, "1000000000000000.0"},
        {1e16, "1e+16"},
        {1.5e16, "1.5e+16"},
        {1e100, "1e+100"},
        {5e-324, "5e-324"},
        {std::numeric_limits<double>::infinity(), "inf"},
        {-std::numeric_limits<double>::infinity(), "-inf"},
        {std::nan(""), "nan"},
    };
    for (const auto& [v, s] : cases) EXPECT_EQ(format_float_repr(v), s);
}

TEST(FormatFloatRepr, RoundTrips) {
    std::mt19937_64 rng(42);
    std::uniform_real_distribution<double> ms(0.0, 1e5);
    for (int i = 0; i < 20000; ++i) {
        // Mix arbitrary doubles with values on a 0.1 ms grid, as spike times are.
        const double v = i % 2 ? ms(rng) : std::round(ms(rng) * 10.0) * 0.1;
        const std::string s = format_float_repr(v);
        EXPECT_EQ(std::strtod(s.c_str(), nullptr), v) << s;
    }
}

// --- reports ---------------------------------------------------------------

TEST_F(OutputTest, ReportLayout) {
    ReportPopulation p;
    p.population = "cortex";
    p.node_ids = {10, 3};
    p.t_start = 0.1;
    p.t_stop = 0.3;
    p.interval = 0.1;
    p.n_samples = 3;
    p.data = {-70.0, -65.0, -69.5, -64.5, -69.0, -64.0};
    p.variable = "V_m";
    p.units = "mV";
    const fs::path file = dir_ / "membrane_potential.h5";
    write_report_h5(file, {p});

    H5::H5File f(file.string(), H5F_ACC_RDONLY);
    expect_sonata_root(f);
    H5::Group report = f.openGroup("report");
    ASSERT_EQ(report.getNumObjs(), 1u);
    H5::Group pop = report.openGroup("cortex");

    H5::DataSet data = pop.openDataSet("data");
    EXPECT_EQ(shape(data), (std::vector<hsize_t>{3, 2}));
    EXPECT_EQ(string_attr(data, "variable"), "V_m");
    EXPECT_EQ(string_attr(data, "units"), "mV");
    H5::DSetCreatPropList props = data.getCreatePlist();
    ASSERT_EQ(props.getLayout(), H5D_CHUNKED);
    hsize_t chunk[2] = {0, 0};
    props.getChunk(2, chunk);
    EXPECT_EQ(chunk[0], 3u);
    EXPECT_EQ(chunk[1], 2u);
    EXPECT_EQ(read_f64(pop, "data"), p.data);  // row-major: one row per sample

    H5::Group mapping = pop.openGroup("mapping");
    EXPECT_EQ(read_u64(mapping, "node_ids"), (std::vector<std::uint64_t>{10, 3}));
    EXPECT_EQ(read_u64(mapping, "element_ids"), (std::vector<std::uint64_t>{0, 0}));
    EXPECT_EQ(read_f64(mapping, "element_pos"), (std::vector<double>{0.0, 0.0}));
    EXPECT_EQ(read_u64(mapping, "index_pointer"), (std::vector<std::uint64_t>{0, 1, 2}));
    EXPECT_EQ(read_u64(mapping, "index_pointers"), (std::vector<std::uint64_t>{0, 1, 2}));
    EXPECT_EQ(read_f64(mapping, "time"), (std::vector<double>{0.1, 0.3, 0.1}));
    EXPECT_EQ(string_attr(mapping.openDataSet("time"), "units"), "ms");
}

TEST_F(OutputTest, ReportLongRunIsChunkedByRows) {
    ReportPopulation p;
    p.population = "cortex";
    p.node_ids = {0, 1, 2};
    p.t_start = 1.0;
    p.interval = 1.0;
    p.n_samples = 10000;
    p.t_stop = 10000.0;
    p.variable = "V_m";
    p.units = "mV";
    for (std::size_t i = 0; i < p.n_samples * 3; ++i) p.data.push_back(static_cast<double>(i));
    const fs::path file = dir_ / "long.h5";
    write_report_h5(file, {p});

    H5::H5File f(file.string(), H5F_ACC_RDONLY);
    H5::Group pop = f.openGroup("report/cortex");
    H5::DataSet data = pop.openDataSet("data");
    hsize_t chunk[2] = {0, 0};
    data.getCreatePlist().getChunk(2, chunk);
    EXPECT_EQ(chunk[0], 4096u);
    EXPECT_EQ(chunk[1], 3u);
    EXPECT_EQ(read_f64(pop, "data"), p.data);
}

// A long run's rows come from the report spool, a block of whole chunks at a
// time (the last one partial): the file must be the same bytes as one write.
TEST_F(OutputTest, ReportFromSpooledRowsIsTheSameFile) {
    ReportPopulation p;
    p.population = "cortex";
    p.node_ids = {0, 1, 2};
    p.t_start = 1.0;
    p.interval = 1.0;
    p.n_samples = 10000;  // chunks of 4096 rows: 3 blocks of one chunk, the last partial
    p.t_stop = 10000.0;
    p.variable = "V_m";
    p.units = "mV";
    for (std::size_t i = 0; i < p.n_samples * 5; ++i) p.data.push_back(0.25 * static_cast<double>(i));

    // All five columns spooled; the population reads three of them (1..3).
    ReportSpool spool(dir_, "r", 5);
    for (std::size_t first = 0; first < p.n_samples; first += 777)
        spool.append(p.data.data() + first * 5, std::min<std::size_t>(777, p.n_samples - first));
    spool.finish();
    EXPECT_EQ(spool.rows(), p.n_samples);
    ReportPopulation from_rows = p;
    std::vector<double> columns;
    for (std::size_t r = 0; r < p.n_samples; ++r)
        for (std::size_t c = 1; c < 4; ++c) columns.push_back(p.data[r * 5 + c]);
    p.data = columns;
    write_report_h5(dir_ / "memory.h5", {p});
    from_rows.data.clear();
    from_rows.block_rows = 1;  // rounded up to one chunk
    std::size_t blocks = 0;
    from_rows.read_rows = [&](std::size_t first, std::size_t n, std::vector<double>& out) {
        ++blocks;
        spool.read(first, n, 1, 3, out);
    };
    write_report_h5(dir_ / "spooled.h5", {from_rows});
    EXPECT_EQ(blocks, 3u);
    EXPECT_EQ(read_text(dir_ / "spooled.h5"), read_text(dir_ / "memory.h5"));
    H5::H5File f((dir_ / "spooled.h5").string(), H5F_ACC_RDONLY);
    EXPECT_EQ(read_f64(f.openGroup("report/cortex"), "data"), columns);
}

TEST_F(OutputTest, UnwritableReportSpoolIsAnOutputErrorNamingItsFile) {
    ReportSpool spool(dir_ / "missing", "r", 2);
    const double row[2] = {1.0, 2.0};
    spool.append(row, 1);
    try {
        spool.finish();
        FAIL() << "no error";
    } catch (const Error& e) {
        EXPECT_EQ(e.kind(), ErrorKind::Output);
        EXPECT_NE(std::string(e.what()).find((dir_ / "missing" / ".r-").string()), std::string::npos) << e.what();
    }
}

TEST_F(OutputTest, ReportTwoPopulationsAndEmptyOne) {
    ReportPopulation a;
    a.population = "a";
    a.node_ids = {1};
    a.n_samples = 2;
    a.data = {1.5, 2.5};
    a.t_start = 0.5;
    a.t_stop = 1.0;
    a.interval = 0.5;
    a.variable = "I_syn_ex";
    a.units = "pA";
    ReportPopulation b;  // no samples (e.g. tstop < interval)
    b.population = "b";
    b.node_ids = {4, 5};
    b.variable = "V_m";
    b.units = "mV";
    const fs::path file = dir_ / "report.h5";
    write_report_h5(file, {a, b});

    H5::H5File f(file.string(), H5F_ACC_RDONLY);
    H5::Group ga = f.openGroup("report/a");
    EXPECT_EQ(read_f64(ga, "data"), a.data);
    EXPECT_EQ(string_attr(ga.openDataSet("data"), "units"), "pA");
    H5::Group gb = f.openGroup("report/b");
    EXPECT_EQ(shape(gb.openDataSet("data")), (std::vector<hsize_t>{0, 2}));
    EXPECT_EQ(read_u64(gb.openGroup("mapping"), "index_pointers"),
              (std::vector<std::uint64_t>{0, 1, 2}));
}

// --- errors ----------------------------------------------------------------

TEST_F(OutputTest, UnwritablePathIsAnOutputErrorNamingTheFile) {
    const fs::path missing = dir_ / "no_such_dir" / "out";
    expect_output_error(
        [&] { write_spikes_h5(missing, {tied_spikes()}, SortOrder::None); }, missing);
    expect_output_error(
        [&] { write_spikes_csv(missing, {tied_spikes()}, SortOrder::None); }, missing);
    expect_output_error([&] { write_report_h5(missing, {}); }, missing);
    // A directory where the file should go.
    expect_output_error([&] { write_spikes_h5(dir_, {}, SortOrder::None); }, dir_);
    expect_output_error([&] { write_spikes_csv(dir_, {}, SortOrder::None); }, dir_);
}

TEST_F(OutputTest, UnwritablePathMessageGivesTheReason) {
    const fs::path missing = dir_ / "no_such_dir" / "spikes.h5";
    try {
        write_spikes_h5(missing, {}, SortOrder::None);
        FAIL();
    } catch (const Error& e) {
        EXPECT_NE(std::string(e.what()).find("No such file or directory"), std::string::npos)
            << e.what();
    }
}

TEST_F(OutputTest, InvalidInputIsAnOutputErrorAndLeavesTheFile) {
    const fs::path file = dir_ / "spikes.h5";
    write_spikes_h5(file, {tied_spikes()}, SortOrder::None);
    const auto before = fs::file_size(file);

    expect_output_error(
        [&] { write_spikes_h5(file, {{"p", {1, 2}, {1.0}}}, SortOrder::None); }, file);
    expect_output_error(
        [&] { write_spikes_h5(file, {{"p", {1}, {1.0}}, {"p", {2}, {2.0}}}, SortOrder::None); },
        file);
    expect_output_error([&] { write_spikes_csv(file, {{"a b", {1}, {1.0}}}, SortOrder::None); },
                        file);
    ReportPopulation bad;
    bad.population = "p";
    bad.node_ids = {1, 2};
    bad.n_samples = 2;
    bad.data = {1.0, 2.0, 3.0};
    expect_output_error([&] { write_report_h5(file, {bad}); }, file);

    EXPECT_EQ(fs::file_size(file), before);  // validation runs before truncation
}
