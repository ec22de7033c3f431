// One stimulus sweep of an Allen Cell Types ephys file (NWB 1.0.x), the
// layout BMTK's IClamp NWBReader reads (bmtk/simulator/core/modules/
// iclamp.py; semantics.md 2.8): /epochs/<sweep>/stimulus/timeseries/
// {data, starting_time@rate}. In the Allen files `timeseries` is a link to
// /stimulus/presentation/<sweep>; HDF5 follows it.
#include <algorithm>
#include <cmath>
#include <sstream>

#include "common/error.hpp"
#include "h5_util.hpp"
#include "sonata/sonata.hpp"

namespace pointsim::sonata {

namespace {

std::string listed(const std::vector<std::string>& names) {
    if (names.empty()) return "none";
    std::string out;
    const std::size_t shown = std::min<std::size_t>(names.size(), 10);
    for (std::size_t i = 0; i < shown; ++i) out += (i ? ", '" : "'") + names[i] + "'";
    if (shown < names.size()) out += ", ... (" + std::to_string(names.size()) + " in all)";
    return out;
}

}  // namespace

NwbStimulus read_nwb_stimulus(const fs::path& file, const std::string& sweep) {
    const h5::GroupRef root = h5::open_file(file);
    const auto epochs = root.group("epochs");
    if (!epochs) h5::fail(file, "/epochs", "required group is missing (not an NWB 1 ephys file with sweeps)");
    const auto sweep_group = epochs->group(sweep);
    if (!sweep_group) {
        std::vector<std::string> sweeps;
        for (const auto& name : epochs->children())
            if (epochs->kind(name) == h5::Kind::group) sweeps.push_back(name);
        h5::fail(file, epochs->child_path(sweep), "no such sweep (the file has " + listed(sweeps) + ")");
    }
    const auto stimulus = sweep_group->group("stimulus");
    if (!stimulus) h5::fail(file, sweep_group->child_path("stimulus"), "required group is missing");
    const auto series = stimulus->group("timeseries");
    if (!series) h5::fail(file, stimulus->child_path("timeseries"), "required group is missing");

    NwbStimulus out;
    const h5::Dataset data = series->require_dataset("data");
    if (data.rank() != 1) data.fail("expected a 1-D stimulus dataset, found rank " + std::to_string(data.rank()));
    if (data.type_class() != H5T_INTEGER && data.type_class() != H5T_FLOAT)
        data.fail("expected an integer or float stimulus dataset (amperes), found another type");
    out.single_precision = data.type_class() == H5T_FLOAT && data.type_size() <= 4;
    out.data = data.read_double();
    for (std::size_t i = 0; i < out.data.size(); ++i)
        if (!std::isfinite(out.data[i])) {
            std::ostringstream v;
            v << out.data[i];
            data.fail("sample " + std::to_string(i) + " is " + v.str() + ", not a finite number");
        }

    const h5::Dataset start = series->require_dataset("starting_time");
    const auto rate = start.number_attribute("rate");
    if (!rate) start.fail("attribute 'rate' (samples per second) is missing");
    if (!std::isfinite(*rate) || *rate <= 0) {
        std::ostringstream v;
        v << *rate;
        start.fail("attribute 'rate' = " + v.str() + ": the sampling rate must be a positive number (Hz)");
    }
    out.rate = *rate;
    return out;
}

}  // namespace pointsim::sonata
