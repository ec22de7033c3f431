// Fuzz target: BMTK's CSV spike-file reader (sonata::read_spikes_csv) on a
// temporary file, with the space separator (runs of blanks) and with ','.
#include <cstddef>
#include <cstdint>

#include "fuzz_util.hpp"
#include "sonata/sonata.hpp"

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
    using namespace pointsim;
    const auto path = fuzz::write_input("spikes.csv", data, size);
    for (const char sep : {' ', ','}) {
        fuzz::expect_only_pointsim_errors([&] {
            const sonata::SpikesByPopulation spikes = sonata::read_spikes_csv(path, "default", sep);
            for (const auto& [population, list] : spikes)
                if (list.node_ids.size() != list.timestamps.size()) std::abort();
        });
    }
    return 0;
}
