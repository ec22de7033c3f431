// The least a one-thread load of a BMTK edge file sorted by target can do:
// read the columns pointsim needs (source, target, edge type, delay, nsyns)
// with HDF5, turn each row into a packed 64-bit word and put the words into
// rows by source, as pointsim's connectivity has them. No checks beyond
// ranges, no sort within rows, no second population: a floor to compare
// pointsim's "read edges" phase with, not a loader (docs/performance.md,
// "How far the load is from the host's floor").
//
//   g++ -O2 -I/usr/include/hdf5/serial bench/load_floor/load_floor.cpp -L/usr/lib/x86_64-linux-gnu/hdf5/serial -lhdf5 -o /tmp/load_floor
//   /tmp/load_floor DIR/network/internal_internal_edges.h5 internal_to_internal 20000 MODE
//
// MODE: sequential (words in file order: reading and converting only),
//       direct (each word straight into its row), two-level (words staged,
//       partitioned by 128-row bucket, then put into their rows), grouped
//       (words staged, grouped by row, each row's run copied into place: what
//       pointsim's ConnectivityBuilder::flush_staged does).
#include <hdf5.h>

#include <algorithm>
#include <chrono>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <numeric>
#include <string>
#include <vector>

#include <sys/mman.h>

namespace {

using Clock = std::chrono::steady_clock;
double seconds_since(Clock::time_point t) { return std::chrono::duration<double>(Clock::now() - t).count(); }

template <class T>
void read_rows(hid_t dataset, hid_t type, std::size_t first, std::size_t n, std::vector<T>& out) {
    out.resize(n);
    hsize_t start = first, count = n;
    const hid_t file_space = H5Dget_space(dataset);
    H5Sselect_hyperslab(file_space, H5S_SELECT_SET, &start, nullptr, &count, nullptr);
    const hid_t memory_space = H5Screate_simple(1, &count, nullptr);
    if (H5Dread(dataset, type, memory_space, file_space, H5P_DEFAULT, out.data()) < 0) std::exit(2);
    H5Sclose(memory_space);
    H5Sclose(file_space);
}

}  // namespace

int main(int argc, char** argv) {
    if (argc != 5) {
        std::fprintf(stderr, "usage: %s EDGES_H5 POPULATION N_NODES sequential|direct|two-level|grouped\n", argv[0]);
        return 2;
    }
    const std::string population = std::string("/edges/") + argv[2] + "/";
    const std::size_t n_nodes = std::strtoull(argv[3], nullptr, 10);
    const std::string mode = argv[4];
    const auto start = Clock::now();
    const hid_t file = H5Fopen(argv[1], H5F_ACC_RDONLY, H5P_DEFAULT);
    if (file < 0) return 2;
    auto open = [&](const char* name) { return H5Dopen(file, (population + name).c_str(), H5P_DEFAULT); };
    const hid_t source_ds = open("source_node_id"), target_ds = open("target_node_id"), type_ds = open("edge_type_id"),
                delay_ds = open("0/delay"), nsyns_ds = open("0/nsyns");
    hsize_t n_edges = 0;
    H5Sget_simple_extent_dims(H5Dget_space(source_ds), &n_edges, nullptr);
    constexpr std::size_t kChunk = std::size_t{1} << 18;  // rows per read, as pointsim
    std::vector<std::uint64_t> source, target;
    std::vector<std::uint32_t> type, nsyns;
    std::vector<double> delay;

    // Pass 1: the size of every row.
    std::vector<std::uint64_t> row_begin(n_nodes + 1, 0);
    for (std::size_t first = 0; first < n_edges; first += kChunk) {
        const std::size_t n = std::min<std::size_t>(kChunk, n_edges - first);
        read_rows(source_ds, H5T_NATIVE_UINT64, first, n, source);
        for (std::size_t i = 0; i < n; ++i) {
            if (source[i] >= n_nodes) return 3;
            ++row_begin[source[i] + 1];
        }
    }
    std::partial_sum(row_begin.begin(), row_begin.end(), row_begin.begin());
    const double pass1 = seconds_since(start);

    // Pass 2: words into rows.
    const auto pass2_start = Clock::now();
    std::vector<std::uint64_t> words;
    words.reserve(n_edges);
    madvise(words.data(), n_edges * sizeof(std::uint64_t), MADV_HUGEPAGE);  // as pointsim
    words.resize(n_edges);
    std::vector<std::uint64_t> next(row_begin.begin(), row_begin.end() - 1);
    constexpr std::size_t kStage = std::size_t{1} << 19;
    constexpr unsigned kBucketShift = 7;  // 128 rows per bucket
    std::vector<std::uint64_t> staged_words(kStage), bucket_words(kStage);
    std::vector<std::uint32_t> staged_rows(kStage), bucket_rows(kStage), bucket_begin((n_nodes >> kBucketShift) + 2);
    std::size_t n_staged = 0;
    auto flush = [&] {
        std::fill(bucket_begin.begin(), bucket_begin.end(), 0);
        for (std::size_t j = 0; j < n_staged; ++j) ++bucket_begin[(staged_rows[j] >> kBucketShift) + 1];
        std::partial_sum(bucket_begin.begin(), bucket_begin.end(), bucket_begin.begin());
        for (std::size_t j = 0; j < n_staged; ++j) {
            const std::uint32_t at = bucket_begin[staged_rows[j] >> kBucketShift]++;
            bucket_words[at] = staged_words[j];
            bucket_rows[at] = staged_rows[j];
        }
        for (std::size_t j = 0; j < n_staged; ++j) words[next[bucket_rows[j]]++] = bucket_words[j];
        n_staged = 0;
    };
    std::vector<std::uint32_t> row_count(n_nodes, 0), touched;
    auto flush_grouped = [&] {
        touched.clear();
        for (std::size_t j = 0; j < n_staged; ++j)
            if (row_count[staged_rows[j]]++ == 0) touched.push_back(staged_rows[j]);
        std::uint32_t offset = 0;
        for (const std::uint32_t r : touched) {
            const std::uint32_t n = row_count[r];
            row_count[r] = offset;
            offset += n;
        }
        for (std::size_t j = 0; j < n_staged; ++j) bucket_words[row_count[staged_rows[j]]++] = staged_words[j];
        std::uint32_t begin = 0;
        for (const std::uint32_t r : touched) {
            const std::uint32_t end = row_count[r];
            row_count[r] = 0;
            std::copy(bucket_words.begin() + begin, bucket_words.begin() + end, words.begin() + static_cast<std::ptrdiff_t>(next[r]));
            next[r] += end - begin;
            begin = end;
        }
        n_staged = 0;
    };
    const int how = mode == "sequential" ? 0 : mode == "direct" ? 1 : mode == "two-level" ? 2 : 3;
    double reading = 0;
    std::uint64_t kind = 0, last_weight_bits = ~std::uint64_t{0};
    std::vector<double> kinds;
    for (std::size_t first = 0; first < n_edges; first += kChunk) {
        const std::size_t n = std::min<std::size_t>(kChunk, n_edges - first);
        const auto read_start = Clock::now();
        read_rows(source_ds, H5T_NATIVE_UINT64, first, n, source);
        read_rows(target_ds, H5T_NATIVE_UINT64, first, n, target);
        read_rows(type_ds, H5T_NATIVE_UINT32, first, n, type);
        read_rows(delay_ds, H5T_NATIVE_DOUBLE, first, n, delay);
        read_rows(nsyns_ds, H5T_NATIVE_UINT32, first, n, nsyns);
        reading += seconds_since(read_start);
        for (std::size_t i = 0; i < n; ++i) {
            if (target[i] >= n_nodes) return 3;
            const double weight = ((type[i] & 1) ? -1.0 : 1.0) * nsyns[i];  // a weight per type, times nsyns
            const double steps = delay[i] * 10.0 + 0.5;                    // dt = 0.1 ms, NEST's rounding
            if (!(steps >= 1.0 && steps < 1048576.0)) return 3;
            std::uint64_t bits;
            std::memcpy(&bits, &weight, sizeof bits);
            if (bits != last_weight_bits) {  // the weight's index among those met
                kind = std::find(kinds.begin(), kinds.end(), weight) - kinds.begin();
                if (kind == kinds.size()) kinds.push_back(weight);
                last_weight_bits = bits;
            }
            const std::uint64_t word = (static_cast<std::uint64_t>(steps) << 44) | (target[i] << 8) | kind;
            if (how == 0) {
                words[first + i] = word;
            } else if (how == 1) {
                words[next[source[i]]++] = word;
            } else {
                staged_words[n_staged] = word;
                staged_rows[n_staged] = static_cast<std::uint32_t>(source[i]);
                if (++n_staged == kStage) how == 2 ? flush() : flush_grouped();
            }
        }
    }
    if (n_staged > 0) how == 2 ? flush() : flush_grouped();
    const double pass2 = seconds_since(pass2_start);
    std::uint64_t check = 0;  // keeps the words live
    for (std::size_t i = 0; i < n_edges; i += 4097) check = check * 31 + words[i];
    std::printf("%s: %llu edges: pass 1 %.3f s, pass 2 %.3f s (HDF5 reads %.3f s), total %.3f s [%016llx]\n",
                mode.c_str(), static_cast<unsigned long long>(n_edges), pass1, pass2, reading, seconds_since(start),
                static_cast<unsigned long long>(check));
    return 0;
}
