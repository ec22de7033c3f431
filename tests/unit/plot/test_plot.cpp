// pointsim plot (src/plot): raster, rates and traces of real runs in PNG, SVG
// and PDF, and the errors. The runs (point_120cells and tutorial_ch05, about
// a second each) are made once for the suite by the CTest fixture
// plot.example_runs, which names its folder in POINTSIM_PLOT_RUNS
// (tests/unit/plot/CMakeLists.txt); without it, as when the binary is run by
// hand, each process runs them itself into its temporary folder. The figures
// go to that folder; set POINTSIM_KEEP_PLOTS=1 to keep it and look at them.
//
// How SVGs are counted (see src/plot/plot.hpp): a header comment
// "pointsim-plot kind=... spikes=N groups=G series=S", one comment
// "pointsim-plot legend: LABEL" per legend entry, and every data series is
// one <path> whose style has "stroke-linejoin:round" (nothing else has):
// one per raster group with one "M" per spike, one polyline per rate group
// or trace.
#include <gtest/gtest.h>

#include <H5Cpp.h>
#include <cairo.h>
#include <unistd.h>

#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <sstream>

#include "common/error.hpp"
#include "plot/plot.hpp"
#include "pointsim/run.hpp"

namespace {

namespace fs = std::filesystem;
using pointsim::Error;
using pointsim::ErrorKind;
using pointsim::plot::Kind;
using pointsim::plot::Options;

const fs::path kExamples = POINTSIM_EXAMPLES_DIR;

std::string slurp(const fs::path& file) {
    std::ifstream f(file, std::ios::binary);
    std::stringstream s;
    s << f.rdbuf();
    return s.str();
}

std::size_t count(const std::string& text, const std::string& what) {
    std::size_t n = 0;
    for (auto at = text.find(what); at != std::string::npos; at = text.find(what, at + what.size())) ++n;
    return n;
}

// The data paths of an SVG (see the comment at the top), as their d="..." strings.
std::vector<std::string> data_paths(const std::string& svg) {
    std::vector<std::string> out;
    for (auto at = svg.find("<path"); at != std::string::npos; at = svg.find("<path", at + 1)) {
        const auto end = svg.find("/>", at);
        const std::string element = svg.substr(at, end - at);
        if (element.find("stroke-linejoin:round") == std::string::npos) continue;
        const auto d = element.find(" d=\"");
        out.push_back(element.substr(d + 4, element.find('"', d + 4) - (d + 4)));
    }
    return out;
}

std::vector<std::string> legend(const std::string& svg) {
    std::vector<std::string> out;
    const std::string key = "<!-- pointsim-plot legend: ";
    for (auto at = svg.find(key); at != std::string::npos; at = svg.find(key, at + 1)) {
        const auto start = at + key.size();
        out.push_back(svg.substr(start, svg.find(" -->", start) - start));
    }
    return out;
}

class PlotTest : public ::testing::Test {
protected:
    static void SetUpTestSuite() {
        std::string pattern = (fs::temp_directory_path() / "pointsim-plot-XXXXXX").string();
        ASSERT_NE(::mkdtemp(pattern.data()), nullptr);
        tmp_ = new fs::path(pattern);
    }
    // Where the runs' outputs are: the fixture's folder, or this process's own.
    static fs::path runs() {
        const char* shared = std::getenv("POINTSIM_PLOT_RUNS");
        return shared != nullptr ? fs::path(shared) : *tmp_;
    }
    // The number of spikes of a run, made here once per process if no fixture
    // made it; otherwise counted from its spikes.h5 (node_ids of every
    // population) with HDF5 directly, not sonata::read_spikes_h5, which the
    // plot itself reads with: the expected count stays independent of it.
    static std::size_t spikes_of(const fs::path& config, const std::string& name) {
        if (std::getenv("POINTSIM_PLOT_RUNS") == nullptr) {
            pointsim::RunOptions options;
            options.config = config;
            options.output_dir = *tmp_ / name;
            return pointsim::run(options).n_spikes;
        }
        H5::H5File f((runs() / name / "spikes.h5").string(), H5F_ACC_RDONLY);
        const H5::Group spikes = f.openGroup("spikes");
        std::size_t n = 0;
        for (hsize_t i = 0; i < spikes.getNumObjs(); ++i) {
            hsize_t size = 0;
            spikes.openGroup(spikes.getObjnameByIdx(i)).openDataSet("node_ids").getSpace().getSimpleExtentDims(&size);
            n += size;
        }
        return n;
    }
    static std::size_t p120_run() {
        static const std::size_t n = spikes_of(kExamples / "point_120cells" / "config.simulation.json", "p120");
        return n;
    }
    static std::size_t ch05_run() {
        static const std::size_t n = spikes_of(kExamples / "tutorial_ch05" / "config.json", "ch05");
        return n;
    }
    static void TearDownTestSuite() {
        std::error_code ec;
        if (std::getenv("POINTSIM_KEEP_PLOTS") == nullptr) fs::remove_all(*tmp_, ec);
        delete tmp_;
        tmp_ = nullptr;
    }

    static Options p120(Kind kind, const std::string& out) {
        Options o;
        o.kind = kind;
        o.config = kExamples / "point_120cells" / "config.simulation.json";
        o.output_dir = runs() / "p120";
        o.out = *tmp_ / out;
        return o;
    }
    static Options ch05(Kind kind, const std::string& out) {
        Options o = p120(kind, out);
        o.config = kExamples / "tutorial_ch05" / "config.json";
        o.output_dir = runs() / "ch05";
        return o;
    }

    // Checks a PNG file: signature, a real size, and its dimensions as cairo reads them.
    static void expect_png(const fs::path& file, int width, int height) {
        const std::string bytes = slurp(file);
        ASSERT_GT(bytes.size(), 8u);
        EXPECT_EQ(bytes.substr(0, 8), std::string("\x89PNG\r\n\x1a\n", 8));
        EXPECT_GT(bytes.size(), 10000u);
        cairo_surface_t* s = cairo_image_surface_create_from_png(file.c_str());
        ASSERT_EQ(cairo_surface_status(s), CAIRO_STATUS_SUCCESS);
        EXPECT_EQ(cairo_image_surface_get_width(s), width);
        EXPECT_EQ(cairo_image_surface_get_height(s), height);
        cairo_surface_destroy(s);
    }

    // Pixels of the image close to the colour (r, g, b) (0..255).
    static std::size_t pixels_of(const fs::path& file, int r, int g, int b) {
        cairo_surface_t* s = cairo_image_surface_create_from_png(file.c_str());
        cairo_surface_flush(s);
        const int w = cairo_image_surface_get_width(s), h = cairo_image_surface_get_height(s);
        const int stride = cairo_image_surface_get_stride(s);
        const unsigned char* data = cairo_image_surface_get_data(s);
        std::size_t n = 0;
        for (int y = 0; y < h; ++y)
            for (int x = 0; x < w; ++x) {
                const auto px = *reinterpret_cast<const std::uint32_t*>(data + y * stride + x * 4);
                const int pr = (px >> 16) & 0xff, pg = (px >> 8) & 0xff, pb = px & 0xff;
                if (std::abs(pr - r) < 12 && std::abs(pg - g) < 12 && std::abs(pb - b) < 12) ++n;
            }
        cairo_surface_destroy(s);
        return n;
    }

    template <class F>
    static Error error_of(F&& f) {
        try {
            f();
        } catch (const Error& e) {
            return e;
        }
        ADD_FAILURE() << "no pointsim::Error thrown";
        return Error(ErrorKind::Config, "");
    }

    static fs::path* tmp_;
};

fs::path* PlotTest::tmp_ = nullptr;

TEST_F(PlotTest, KindNames) {
    EXPECT_EQ(pointsim::plot::kind_from_name("raster"), Kind::Raster);
    EXPECT_EQ(pointsim::plot::kind_from_name("rates"), Kind::Rates);
    EXPECT_EQ(pointsim::plot::kind_from_name("traces"), Kind::Traces);
    EXPECT_FALSE(pointsim::plot::kind_from_name("histogram"));
    EXPECT_STREQ(pointsim::plot::kind_name(Kind::Traces), "traces");
}

TEST_F(PlotTest, RasterPngHasEverySpikeInTheGroupColours) {
    ASSERT_EQ(p120_run(), 1197u);
    const auto o = p120(Kind::Raster, "raster.png");
    const auto s = pointsim::plot::plot(o);
    EXPECT_EQ(s.n_spikes, 1197u);
    EXPECT_EQ(s.n_groups, 2u);  // pop_name: LIF_exc, LIF_inh
    EXPECT_EQ(s.n_series, 2u);
    expect_png(o.out, 1000, 600);
    EXPECT_GT(pixels_of(o.out, 0x1f, 0x77, 0xb4), 500u);  // first group's colour
    EXPECT_GT(pixels_of(o.out, 0xff, 0x7f, 0x0e), 100u);  // second group's colour
    EXPECT_FALSE(fs::exists(o.out.string() + ".pointsim-tmp"));
}

TEST_F(PlotTest, RasterSvgHasOnePathPerGroupAndOneMarkPerSpike) {
    p120_run();
    const auto o = p120(Kind::Raster, "raster.svg");
    pointsim::plot::plot(o);
    const std::string svg = slurp(o.out);
    EXPECT_EQ(svg.rfind("<?xml", 0), 0u);
    EXPECT_NE(svg.find("<!-- pointsim-plot kind=raster spikes=1197 groups=2 series=2 -->"), std::string::npos);
    const auto names = legend(svg);
    ASSERT_EQ(names.size(), 2u);
    EXPECT_EQ(names[0].rfind("LIF_exc (", 0), 0u) << names[0];
    EXPECT_EQ(names[1].rfind("LIF_inh (", 0), 0u) << names[1];
    const auto paths = data_paths(svg);
    ASSERT_EQ(paths.size(), 2u);
    EXPECT_EQ(count(paths[0], "M") + count(paths[1], "M"), 1197u);
    // The legend counts add up to the spikes and the 120 simulated cortex cells.
    std::size_t cells = 0, spikes = 0;
    for (const auto& n : names) {
        std::size_t c = 0, sp = 0;
        ASSERT_EQ(std::sscanf(n.substr(n.find('(')).c_str(), "(%zu cells, %zu spikes)", &c, &sp), 2) << n;
        cells += c;
        spikes += sp;
    }
    EXPECT_EQ(spikes, 1197u);
    EXPECT_EQ(cells, 120u);
}

TEST_F(PlotTest, RasterGroupsByAnyAttribute) {
    const std::size_t spikes = ch05_run();
    auto o = ch05(Kind::Raster, "ch05.svg");
    auto s = pointsim::plot::plot(o);  // pop_name: Scnn1a, PV, LIF_exc, LIF_inh (LGN is virtual)
    EXPECT_EQ(s.n_spikes, spikes);
    EXPECT_EQ(s.n_groups, 4u);
    std::string svg = slurp(o.out);
    EXPECT_EQ(legend(svg).size(), 4u);
    EXPECT_EQ(data_paths(svg).size(), 4u);

    o.out = *tmp_ / "ch05_raster.png";
    EXPECT_EQ(pointsim::plot::plot(o).n_spikes, spikes);
    expect_png(o.out, 1000, 600);

    o.out = *tmp_ / "ch05.svg";
    o.group_by = "ei";
    s = pointsim::plot::plot(o);
    EXPECT_EQ(s.n_groups, 2u);
    svg = slurp(o.out);
    EXPECT_EQ(legend(svg).size(), 2u);
    std::size_t marks = 0;
    for (const auto& p : data_paths(svg)) marks += count(p, "M");
    EXPECT_EQ(marks, spikes);

    o.group_by = "population";
    s = pointsim::plot::plot(o);
    EXPECT_EQ(s.n_groups, 1u);
    EXPECT_EQ(legend(slurp(o.out)), (std::vector<std::string>{"V1 (400 cells, " + std::to_string(spikes) + " spikes)"}));

    o.group_by = "node_type_id";
    EXPECT_EQ(pointsim::plot::plot(o).n_groups, 4u);
}

TEST_F(PlotTest, PdfAndDeterminism) {
    p120_run();
    for (const char* ext : {"pdf", "svg", "png"}) {
        auto o = p120(Kind::Raster, std::string("det1.") + ext);
        pointsim::plot::plot(o);
        const std::string first = slurp(o.out);
        o.out = *tmp_ / (std::string("det2.") + ext);
        pointsim::plot::plot(o);
        EXPECT_EQ(first, slurp(o.out)) << ext;
        if (std::string(ext) == "pdf") {
            EXPECT_EQ(first.rfind("%PDF", 0), 0u);
            EXPECT_GT(first.size(), 5000u);
            EXPECT_EQ(first.find("CreationDate"), std::string::npos);
        }
    }
    // Upper-case extensions work too.
    auto o = p120(Kind::Rates, "rates.PDF");
    pointsim::plot::plot(o);
    EXPECT_EQ(slurp(o.out).rfind("%PDF", 0), 0u);
}

TEST_F(PlotTest, RatesHaveOneLinePerGroupThroughEveryBin) {
    p120_run();
    ch05_run();
    auto o = p120(Kind::Rates, "rates.svg");
    auto s = pointsim::plot::plot(o);
    EXPECT_EQ(s.n_spikes, 1197u);
    EXPECT_EQ(s.n_groups, 2u);
    EXPECT_EQ(s.n_series, 2u);
    std::string svg = slurp(o.out);
    EXPECT_EQ(legend(svg).size(), 2u);
    auto paths = data_paths(svg);
    ASSERT_EQ(paths.size(), 2u);
    // 3000 ms / 50 ms bins = 60 points; cairo merges collinear segments, so at most 59 "L".
    for (const auto& p : paths) {
        EXPECT_EQ(count(p, "M"), 1u);
        EXPECT_LE(count(p, "L"), 59u);
        EXPECT_GE(count(p, "L"), 40u);
    }

    o.bin_ms = 100;
    o.out = *tmp_ / "rates.png";
    o.width = 800;
    o.height = 500;
    pointsim::plot::plot(o);
    expect_png(o.out, 800, 500);

    o = ch05(Kind::Rates, "ch05_rates.svg");
    o.group_by = "ei";
    o.bin_ms = 70;  // 3000 / 70: 43 bins, the last one shorter
    s = pointsim::plot::plot(o);
    EXPECT_EQ(s.n_groups, 2u);
    paths = data_paths(slurp(o.out));
    ASSERT_EQ(paths.size(), 2u);
    EXPECT_LE(count(paths[0], "L"), 42u);
    EXPECT_GE(count(paths[0], "L"), 30u);
}

TEST_F(PlotTest, TracesHaveOneLinePerCell) {
    p120_run();
    ch05_run();
    auto o = p120(Kind::Traces, "traces.svg");
    auto s = pointsim::plot::plot(o);
    EXPECT_EQ(s.n_spikes, 0u);
    EXPECT_EQ(s.n_series, 5u);
    EXPECT_EQ(s.n_groups, 5u);
    std::string svg = slurp(o.out);
    EXPECT_EQ(legend(svg), (std::vector<std::string>{"node 0", "node 20", "node 60", "node 80", "node 100"}));
    auto paths = data_paths(svg);
    ASSERT_EQ(paths.size(), 5u);
    for (const auto& p : paths) {
        EXPECT_EQ(count(p, "M"), 1u);
        EXPECT_GT(count(p, "L"), 500u);   // 3,000,000 samples reduced to min/max per pixel column
        EXPECT_LT(count(p, "L"), 2000u);
    }

    o.node_ids = {80, 20};
    o.report = "membrane_potential";
    s = pointsim::plot::plot(o);
    EXPECT_EQ(s.n_series, 2u);
    EXPECT_EQ(legend(slurp(o.out)), (std::vector<std::string>{"node 80", "node 20"}));

    o = ch05(Kind::Traces, "traces.png");
    s = pointsim::plot::plot(o);
    EXPECT_EQ(s.n_series, 5u);
    expect_png(o.out, 1000, 600);
    o.out = *tmp_ / "traces.pdf";
    pointsim::plot::plot(o);
    EXPECT_EQ(slurp(o.out).rfind("%PDF", 0), 0u);
}

TEST_F(PlotTest, MissingSpikesFileIsAnInputErrorNamingIt) {
    p120_run();
    fs::create_directories(*tmp_ / "empty");
    auto o = p120(Kind::Raster, "none.png");
    o.output_dir = *tmp_ / "empty";
    auto e = error_of([&] { pointsim::plot::plot(o); });
    EXPECT_EQ(e.kind(), ErrorKind::Input);
    EXPECT_NE(std::string(e.what()).find((*tmp_ / "empty" / "spikes.h5").string()), std::string::npos) << e.what();
    EXPECT_FALSE(fs::exists(o.out));

    o.kind = Kind::Traces;
    e = error_of([&] { pointsim::plot::plot(o); });
    EXPECT_EQ(e.kind(), ErrorKind::Input);
    EXPECT_NE(std::string(e.what()).find((*tmp_ / "empty" / "membrane_potential.h5").string()), std::string::npos)
        << e.what();
}

TEST_F(PlotTest, UnknownGroupByIsAnError) {
    p120_run();
    auto o = p120(Kind::Raster, "bad.png");
    o.group_by = "colour";
    auto e = error_of([&] { pointsim::plot::plot(o); });
    EXPECT_EQ(e.kind(), ErrorKind::Config);
    EXPECT_NE(std::string(e.what()).find("'colour'"), std::string::npos) << e.what();
    EXPECT_NE(std::string(e.what()).find("pop_name"), std::string::npos) << e.what();  // lists what exists
    o.kind = Kind::Rates;
    EXPECT_EQ(error_of([&] { pointsim::plot::plot(o); }).kind(), ErrorKind::Config);
    EXPECT_FALSE(fs::exists(o.out));
}

TEST_F(PlotTest, UnknownExtensionIsAnOutputError) {
    auto o = p120(Kind::Raster, "raster.jpg");
    auto e = error_of([&] { pointsim::plot::plot(o); });
    EXPECT_EQ(e.kind(), ErrorKind::Output);
    EXPECT_NE(std::string(e.what()).find("raster.jpg"), std::string::npos) << e.what();
    o.out = *tmp_ / "raster";
    EXPECT_EQ(error_of([&] { pointsim::plot::plot(o); }).kind(), ErrorKind::Output);
}

TEST_F(PlotTest, UnwritableOutputIsAnOutputError) {
    p120_run();
    auto o = p120(Kind::Raster, "no/such/dir/raster.png");
    auto e = error_of([&] { pointsim::plot::plot(o); });
    EXPECT_EQ(e.kind(), ErrorKind::Output);
    EXPECT_NE(std::string(e.what()).find("raster.png"), std::string::npos) << e.what();
}

TEST_F(PlotTest, BadOptionsAreConfigErrors) {
    p120_run();
    auto o = p120(Kind::Traces, "t.svg");
    o.node_ids = {7};
    auto e = error_of([&] { pointsim::plot::plot(o); });
    EXPECT_EQ(e.kind(), ErrorKind::Config);
    EXPECT_NE(std::string(e.what()).find("node id 7"), std::string::npos) << e.what();
    o.node_ids.clear();
    o.report = "calcium";
    e = error_of([&] { pointsim::plot::plot(o); });
    EXPECT_EQ(e.kind(), ErrorKind::Config);
    EXPECT_NE(std::string(e.what()).find("membrane_potential"), std::string::npos) << e.what();  // lists reports
    o = p120(Kind::Rates, "r.svg");
    o.bin_ms = 0;
    EXPECT_EQ(error_of([&] { pointsim::plot::plot(o); }).kind(), ErrorKind::Config);
    o = p120(Kind::Raster, "r.svg");
    o.width = 10;
    EXPECT_EQ(error_of([&] { pointsim::plot::plot(o); }).kind(), ErrorKind::Config);
}

}  // namespace
