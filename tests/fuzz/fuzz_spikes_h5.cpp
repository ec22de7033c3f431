// Fuzz target: the HDF5 spike-file readers. The input bytes are written to a
// temporary .h5 file and read as a SONATA spike file (sonata::read_spikes_h5),
// as BMTK's NWB 1 spike file (sonata::read_spikes_nwb) and as an Allen ephys
// NWB 1 stimulus sweep (sonata::read_nwb_stimulus, the IClamp nwb input).
// Garbage must give a pointsim::Error (HDF5 errors are wrapped), never a crash.
#include <cstddef>
#include <cstdint>

#include "fuzz_util.hpp"
#include "sonata/sonata.hpp"

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
    using namespace pointsim;
    const auto path = fuzz::write_input("spikes.h5", data, size);
    auto check = [](const sonata::SpikesByPopulation& spikes) {
        for (const auto& [population, list] : spikes)
            if (list.node_ids.size() != list.timestamps.size()) std::abort();
    };
    fuzz::expect_only_pointsim_errors([&] { check(sonata::read_spikes_h5(path)); });
    fuzz::expect_only_pointsim_errors([&] { check(sonata::read_spikes_nwb(path, "", "lgn")); });
    fuzz::expect_only_pointsim_errors([&] {
        const auto stim = sonata::read_nwb_stimulus(path, "Sweep_1");
        if (!(stim.rate > 0)) std::abort();
    });
    return 0;
}
