// Frame-oriented SONATA reports (membrane potential and other multimeter
// variables), laid out as BMTK writes them plus what libsonata needs.
#include <algorithm>
#include <numeric>
#include <set>
#include <stdexcept>
#include <string>

#include "common/error.hpp"
#include "output/h5_util.hpp"
#include "output/writers.hpp"

namespace pointsim::output {

namespace {

// Chunks of whole rows (one sample of every cell) up to ~1 MiB, HDF5's default
// chunk cache size: appending by time and reading a time window stay cheap.
constexpr hsize_t kChunkBytes = hsize_t{1} << 20;
constexpr hsize_t kMaxChunkRows = 4096;

// Checked before the file is created so that bad input never truncates it.
void validate(const fs::path& file, const std::vector<ReportPopulation>& populations) {
    std::set<std::string> seen;
    for (const auto& p : populations) {
        const std::string where = "cannot write report file '" + file.string() + "': ";
        if (p.population.empty() || p.population.find('/') != std::string::npos)
            throw output_error(where + "invalid population name '" + p.population + "'");
        if (!seen.insert(p.population).second)
            throw output_error(where + "population '" + p.population + "' given twice");
        if (!p.read_rows && p.data.size() != p.n_samples * p.node_ids.size())
            throw output_error(where + "population '" + p.population + "' has " +
                               std::to_string(p.data.size()) + " values, expected " +
                               std::to_string(p.n_samples) + " samples x " +
                               std::to_string(p.node_ids.size()) + " nodes");
    }
}

void write_population(const H5::Group& report, const ReportPopulation& p) {
    H5::Group pop = detail::create_group(report, p.population);
    const hsize_t rows = p.n_samples;
    const hsize_t cols = p.node_ids.size();

    const hsize_t dims[2] = {rows, cols};
    H5::DSetCreatPropList props = detail::untimed_dataset_props();
    hsize_t chunk_rows = 1;
    if (rows > 0 && cols > 0) {  // HDF5 rejects zero-sized chunk dimensions
        const hsize_t fit = std::max<hsize_t>(1, kChunkBytes / (cols * sizeof(double)));
        chunk_rows = std::min({rows, kMaxChunkRows, fit});
        const hsize_t chunk[2] = {chunk_rows, cols};
        props.setChunk(2, chunk);
    }
    H5::DataSet data =
        pop.createDataSet("data", H5::PredType::IEEE_F64LE, H5::DataSpace(2, dims), props);
    if (p.read_rows && rows > 0 && cols > 0) {
        // Whole chunks at a time, in order, filled before anything else is
        // created: the same bytes as one write of every row.
        const hsize_t wanted = p.block_rows ? p.block_rows : std::max<hsize_t>(1, 4 * kChunkBytes / (cols * sizeof(double)));
        const hsize_t block = std::max<hsize_t>(1, wanted / chunk_rows) * chunk_rows;
        std::vector<double> values;
        for (hsize_t first = 0; first < rows; first += block) {
            const hsize_t n = std::min(block, rows - first);
            p.read_rows(first, n, values);
            if (values.size() != n * cols) throw std::logic_error("ReportPopulation::read_rows gave a wrong size");
            const hsize_t start[2] = {first, 0}, count[2] = {n, cols};
            H5::DataSpace file_space = data.getSpace();
            file_space.selectHyperslab(H5S_SELECT_SET, count, start);
            data.write(values.data(), H5::PredType::NATIVE_DOUBLE, H5::DataSpace(2, count), file_space);
        }
    } else if (!p.data.empty()) {
        data.write(p.data.data(), H5::PredType::NATIVE_DOUBLE);
    }
    detail::write_string_attr(data, "variable", p.variable);
    detail::write_string_attr(data, "units", p.units);

    H5::Group mapping = detail::create_group(pop, "mapping");
    const std::size_t n = p.node_ids.size();
    detail::write_1d(mapping, "node_ids", H5::PredType::STD_U64LE, H5::PredType::NATIVE_UINT64,
                     p.node_ids.data(), n);
    // Point neurons have a single element per node: id 0 at position 0.0, as BMTK.
    const std::vector<std::uint64_t> element_ids(n, 0);
    detail::write_1d(mapping, "element_ids", H5::PredType::STD_U64LE,
                     H5::PredType::NATIVE_UINT64, element_ids.data(), n);
    const std::vector<double> element_pos(n, 0.0);
    detail::write_1d(mapping, "element_pos", H5::PredType::IEEE_F64LE,
                     H5::PredType::NATIVE_DOUBLE, element_pos.data(), n);
    // Column j holds node j's only element, so the pointers are 0..C. BMTK
    // reads the singular name, the spec and libsonata the plural.
    std::vector<std::uint64_t> pointers(n + 1);
    std::iota(pointers.begin(), pointers.end(), std::uint64_t{0});
    for (const char* name : {"index_pointer", "index_pointers"})
        detail::write_1d(mapping, name, H5::PredType::STD_U64LE, H5::PredType::NATIVE_UINT64,
                         pointers.data(), pointers.size());
    // BMTK's [first sample, last sample (inclusive), interval].
    const double time[3] = {p.t_start, p.t_stop, p.interval};
    H5::DataSet t = detail::write_1d(mapping, "time", H5::PredType::IEEE_F64LE,
                                     H5::PredType::NATIVE_DOUBLE, time, 3);
    detail::write_string_attr(t, "units", "ms");
}

}  // namespace

void write_report_h5(const fs::path& file, const std::vector<ReportPopulation>& populations) {
    validate(file, populations);
    detail::with_h5_errors(file, "report file", [&] {
        H5::H5File h5 = detail::create_file(file.string());
        detail::write_sonata_root_attrs(h5);
        H5::Group report = detail::create_group(h5.openGroup("/"), "report");
        for (const auto& p : populations) write_population(report, p);
        h5.close();  // explicit, so that a failing final flush is reported
    });
}

}  // namespace pointsim::output
