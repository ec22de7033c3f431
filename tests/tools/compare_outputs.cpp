// compare_outputs DIR_A DIR_B [REFERENCE_SPIKES_H5]
// Exits 0 when two pointsim output folders hold the same results: every
// spikes dataset equal element by element (same order), spikes.csv equal
// byte for byte, every report's mapping and data equal bit for bit; and,
// if a NEST reference spikes.h5 is given, the same (population, node, time)
// set as it. Used by the MPI tests (1 process against N ranks).
#include <cmath>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <iostream>
#include <set>
#include <sstream>
#include <string>
#include <tuple>
#include <vector>

#include <H5Cpp.h>

namespace fs = std::filesystem;

namespace {

int failures = 0;

void fail(const std::string& what) {
    std::cerr << "compare_outputs: " << what << "\n";
    ++failures;
}

std::vector<std::string> children(const H5::Group& g) {
    std::vector<std::string> out;
    for (hsize_t i = 0; i < g.getNumObjs(); ++i) out.push_back(g.getObjnameByIdx(i));
    return out;
}

template <class T>
std::vector<T> read_all(const H5::DataSet& ds, const H5::PredType& type) {
    const hssize_t n = ds.getSpace().getSimpleExtentNpoints();
    std::vector<T> out(static_cast<std::size_t>(n));
    if (n > 0) ds.read(out.data(), type);
    return out;
}

// Compares every dataset under `path` in both files, recursively, as doubles
// (uint64 ids are exact in a double up to 2^53) or as raw uint64.
void compare_tree(const H5::H5File& a, const H5::H5File& b, const std::string& path, const std::string& label) {
    const H5::Group ga = a.openGroup(path), gb = b.openGroup(path);
    const auto ca = children(ga), cb = children(gb);
    if (ca != cb) {
        fail(label + ": " + path + " has different members");
        return;
    }
    for (const auto& name : ca) {
        const std::string child = path == "/" ? "/" + name : path + "/" + name;
        if (ga.childObjType(name) == H5O_TYPE_GROUP) {
            compare_tree(a, b, child, label);
            continue;
        }
        const H5::DataSet da = a.openDataSet(child), db = b.openDataSet(child);
        if (da.getTypeClass() != db.getTypeClass()) fail(label + ": " + child + " types differ");
        if (da.getTypeClass() == H5T_INTEGER) {
            if (read_all<std::uint64_t>(da, H5::PredType::NATIVE_UINT64) !=
                read_all<std::uint64_t>(db, H5::PredType::NATIVE_UINT64))
                fail(label + ": " + child + " differs");
        } else if (da.getTypeClass() == H5T_FLOAT) {
            const auto va = read_all<double>(da, H5::PredType::NATIVE_DOUBLE);
            const auto vb = read_all<double>(db, H5::PredType::NATIVE_DOUBLE);
            if (va.size() != vb.size()) {
                fail(label + ": " + child + " sizes differ (" + std::to_string(va.size()) + " vs " +
                     std::to_string(vb.size()) + ")");
                continue;
            }
            for (std::size_t i = 0; i < va.size(); ++i) {
                if (std::memcmp(&va[i], &vb[i], sizeof(double)) != 0) {
                    std::ostringstream m;
                    m.precision(17);
                    m << label << ": " << child << "[" << i << "] " << va[i] << " vs " << vb[i];
                    fail(m.str());
                    break;
                }
            }
        }
    }
}

using SpikeKey = std::tuple<std::string, std::uint64_t, long long>;

std::set<SpikeKey> spike_set(const fs::path& file) {
    std::set<SpikeKey> out;
    const H5::H5File f(file.string(), H5F_ACC_RDONLY);
    const H5::Group spikes = f.openGroup("/spikes");
    for (const auto& pop : children(spikes)) {
        const auto ids = read_all<std::uint64_t>(f.openDataSet("/spikes/" + pop + "/node_ids"), H5::PredType::NATIVE_UINT64);
        const auto ts = read_all<double>(f.openDataSet("/spikes/" + pop + "/timestamps"), H5::PredType::NATIVE_DOUBLE);
        for (std::size_t i = 0; i < ids.size(); ++i) out.emplace(pop, ids[i], std::llround(ts[i] * 1000.0));
    }
    return out;
}

std::string slurp(const fs::path& p) {
    std::ifstream in(p, std::ios::binary);
    return {std::istreambuf_iterator<char>(in), std::istreambuf_iterator<char>()};
}

}  // namespace

int main(int argc, char** argv) {
    if (argc < 3 || argc > 4) {
        std::cerr << "usage: compare_outputs DIR_A DIR_B [REFERENCE_SPIKES_H5]\n";
        return 2;
    }
    const fs::path a = argv[1], b = argv[2];
    H5::Exception::dontPrint();
    try {
        std::size_t files = 0;
        for (const auto& entry : fs::directory_iterator(a)) {
            if (entry.path().extension() != ".h5") continue;
            const fs::path other = b / entry.path().filename();
            if (!fs::exists(other)) {
                fail(other.string() + " is missing");
                continue;
            }
            compare_tree(H5::H5File(entry.path().string(), H5F_ACC_RDONLY), H5::H5File(other.string(), H5F_ACC_RDONLY), "/",
                         entry.path().filename().string());
            ++files;
        }
        if (files == 0) fail(a.string() + " holds no .h5 output");
        if (fs::exists(a / "spikes.csv") && slurp(a / "spikes.csv") != slurp(b / "spikes.csv")) fail("spikes.csv differs");
        if (argc == 4) {
            const auto ours = spike_set(a / "spikes.h5"), ref = spike_set(argv[3]);
            if (ours != ref) fail("spikes differ from the reference " + std::string(argv[3]));
        }
        if (failures == 0) std::cout << "compare_outputs: " << files << " files identical\n";
    } catch (const H5::Exception& e) {
        fail("HDF5: " + e.getDetailMsg());
    } catch (const std::exception& e) {
        fail(e.what());
    }
    return failures == 0 ? 0 : 1;
}
