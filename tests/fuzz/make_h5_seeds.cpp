// Writes the seed corpus of fuzz_spikes_h5 (corpus/fuzz_spikes_h5/*.h5):
// small spike files in each layout the readers accept and an NWB stimulus sweep, with compact
// datasets so that the files stay a few KB and the fuzzer mutates mostly
// structure. Run by hand when the readers learn a new layout:
//   cmake --build build --target make_h5_seeds
//   build/tests/fuzz/make_h5_seeds tests/fuzz/corpus/fuzz_spikes_h5
#include <cstdint>
#include <cstdio>
#include <string>
#include <vector>

#include <hdf5.h>

namespace {

template <class T>
void dataset(hid_t parent, const char* name, hid_t type, const std::vector<T>& v) {
    const hsize_t dims[1] = {v.size()};
    const hid_t space = H5Screate_simple(1, dims, nullptr);
    const hid_t dcpl = H5Pcreate(H5P_DATASET_CREATE);
    H5Pset_layout(dcpl, H5D_COMPACT);
    const hid_t ds = H5Dcreate2(parent, name, type, space, H5P_DEFAULT, dcpl, H5P_DEFAULT);
    H5Dwrite(ds, type, H5S_ALL, H5S_ALL, H5P_DEFAULT, v.data());
    H5Dclose(ds);
    H5Pclose(dcpl);
    H5Sclose(space);
}

void string_attribute(hid_t obj, const char* name, const char* value) {
    const hid_t type = H5Tcopy(H5T_C_S1);
    H5Tset_size(type, H5T_VARIABLE);
    const hid_t space = H5Screate(H5S_SCALAR);
    const hid_t a = H5Acreate2(obj, name, type, space, H5P_DEFAULT, H5P_DEFAULT);
    H5Awrite(a, type, &value);
    H5Aclose(a);
    H5Sclose(space);
    H5Tclose(type);
}

hid_t create(const std::string& path) {
    const hid_t fapl = H5Pcreate(H5P_FILE_ACCESS);
    H5Pset_libver_bounds(fapl, H5F_LIBVER_LATEST, H5F_LIBVER_LATEST);  // smaller metadata
    const hid_t f = H5Fcreate(path.c_str(), H5F_ACC_TRUNC, H5P_DEFAULT, fapl);
    H5Pclose(fapl);
    return f;
}

hid_t group(hid_t parent, const char* name) { return H5Gcreate2(parent, name, H5P_DEFAULT, H5P_DEFAULT, H5P_DEFAULT); }

}  // namespace

int main(int argc, char** argv) {
    if (argc != 2) {
        std::fprintf(stderr, "usage: %s OUTPUT_DIR\n", argv[0]);
        return 2;
    }
    const std::string dir = argv[1];
    {  // SONATA: /spikes/<population>/{timestamps, node_ids}
        const hid_t f = create(dir + "/sonata_one_population.h5");
        const hid_t s = group(f, "spikes");
        string_attribute(s, "sorting", "by_time");
        const hid_t p = group(s, "lgn");
        dataset<double>(p, "timestamps", H5T_NATIVE_DOUBLE, {0.5, 1.25, 3.0, 3.0});
        dataset<std::uint64_t>(p, "node_ids", H5T_NATIVE_UINT64, {0, 2, 1, 0});
        string_attribute(p, "units", "ms");
        H5Gclose(p);
        H5Gclose(s);
        H5Fclose(f);
    }
    {  // two populations, 32-bit ids and float times
        const hid_t f = create(dir + "/sonata_two_populations.h5");
        const hid_t s = group(f, "spikes");
        for (const char* name : {"a", "b"}) {
            const hid_t p = group(s, name);
            dataset<float>(p, "timestamps", H5T_NATIVE_FLOAT, {1.0f, 2.5f});
            dataset<std::int32_t>(p, "node_ids", H5T_NATIVE_INT32, {7, 3});
            H5Gclose(p);
        }
        H5Gclose(s);
        H5Fclose(f);
    }
    {  // legacy flat layout: /spikes/{gids, timestamps}
        const hid_t f = create(dir + "/legacy_gids.h5");
        const hid_t s = group(f, "spikes");
        dataset<std::uint32_t>(s, "gids", H5T_NATIVE_UINT32, {0, 1, 1});
        dataset<double>(s, "timestamps", H5T_NATIVE_DOUBLE, {0.1, 0.2, 0.3});
        H5Gclose(s);
        H5Fclose(f);
    }
    {  // BMTK NWB 1: /processing/<trial>/spike_train/<node_id>/data
        const hid_t f = create(dir + "/nwb_one_trial.h5");
        const hid_t proc = group(f, "processing");
        const hid_t trial = group(proc, "trial_0");
        const hid_t trains = group(trial, "spike_train");
        for (const char* node : {"0", "12"}) {
            const hid_t n = group(trains, node);
            dataset<double>(n, "data", H5T_NATIVE_DOUBLE, {5.0, 17.5});
            H5Gclose(n);
        }
        H5Gclose(trains);
        H5Gclose(trial);
        H5Gclose(proc);
        H5Fclose(f);
    }
    {  // Allen ephys NWB 1 stimulus sweep: /epochs/Sweep_1/stimulus/timeseries/{data, starting_time@rate}
        const hid_t f = create(dir + "/nwb_stimulus_sweep.h5");
        const hid_t epochs = group(f, "epochs");
        const hid_t sweep = group(epochs, "Sweep_1");
        const hid_t stimulus = group(sweep, "stimulus");
        const hid_t series = group(stimulus, "timeseries");
        dataset<float>(series, "data", H5T_NATIVE_FLOAT, {0.0f, 1e-10f, 2e-10f});
        dataset<double>(series, "starting_time", H5T_NATIVE_DOUBLE, {0.0});
        const hid_t start = H5Dopen2(series, "starting_time", H5P_DEFAULT);
        const hid_t space = H5Screate(H5S_SCALAR);
        const hid_t rate = H5Acreate2(start, "rate", H5T_IEEE_F32LE, space, H5P_DEFAULT, H5P_DEFAULT);
        const float hz = 10000.0f;
        H5Awrite(rate, H5T_NATIVE_FLOAT, &hz);
        H5Aclose(rate);
        H5Sclose(space);
        H5Dclose(start);
        for (hid_t g : {series, stimulus, sweep, epochs}) H5Gclose(g);
        H5Fclose(f);
    }
    return 0;
}
