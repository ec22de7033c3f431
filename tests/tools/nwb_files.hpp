#pragma once
// Writes small NWB 1 ephys files for the tests of the IClamp nwb input
// (tests/unit/inputs, tests/unit/sonata, tests/bad_inputs), in the layout of
// the Allen Cell Types ephys files that BMTK's IClamp NWBReader reads. That
// layout is the NWB 1.0.x format (NeurodataWithoutBorders
// specification_nwbn_1_0_x, "File organization": /epochs/<epoch>/<series>/
// timeseries links into /stimulus/presentation) as AllenSDK's NwbDataSet
// (allensdk/core/nwb_data_set.py, get_sweep) reads it:
//
//   /                                         attribute nwb_version "NWB-1.0.5"
//   /stimulus/presentation/<sweep>/data       the samples, float32, amperes
//                                             (attributes unit "Amps", conversion 1.0)
//   /stimulus/presentation/<sweep>/starting_time  0.0 (float64), attribute rate (float32, Hz)
//   /epochs/<sweep>/stimulus/timeseries       a hard link to /stimulus/presentation/<sweep>
//
// (The shared example examples/point_iclamp_nwb/inputs/synthetic_ephys.nwb
// stores the series under /epochs directly; both read the same.)
// Header-only, test code only.
#include <filesystem>
#include <optional>
#include <stdexcept>
#include <string>
#include <vector>

#include <H5Cpp.h>

namespace pointsim::testing_files {

struct NwbSweep {
    std::string name;                  // e.g. "Sweep_7"
    std::vector<double> amperes;       // the stimulus samples
    std::optional<double> rate = 1e4;  // Hz; nullopt leaves the attribute out
    bool float32 = true;               // the Allen files store float32; false: float64
};

namespace nwb_detail {

inline void string_attribute(const H5::H5Object& obj, const std::string& name, const std::string& value) {
    H5::StrType t(H5::PredType::C_S1, H5T_VARIABLE);
    const char* p = value.c_str();
    obj.createAttribute(name, t, H5::DataSpace(H5S_SCALAR)).write(t, &p);
}

}  // namespace nwb_detail

// Writes `file` (replacing it) with the given sweeps.
inline void write_nwb_sweeps(const std::filesystem::path& file, const std::vector<NwbSweep>& sweeps) {
    H5::H5File f(file.string(), H5F_ACC_TRUNC);
    nwb_detail::string_attribute(f.openGroup("/"), "nwb_version", "NWB-1.0.5");
    f.createGroup("/stimulus");
    H5::Group presentation = f.createGroup("/stimulus/presentation");
    H5::Group epochs = f.createGroup("/epochs");
    for (const auto& s : sweeps) {
        H5::Group series = presentation.createGroup(s.name);
        const hsize_t n = s.amperes.size();
        H5::DataSet data = series.createDataSet(
            "data", s.float32 ? H5::PredType::IEEE_F32LE : H5::PredType::IEEE_F64LE, H5::DataSpace(1, &n));
        if (n) data.write(s.amperes.data(), H5::PredType::NATIVE_DOUBLE);  // HDF5 rounds to float32
        nwb_detail::string_attribute(data, "unit", "Amps");
        const float conversion = 1.0f;
        data.createAttribute("conversion", H5::PredType::IEEE_F32LE, H5::DataSpace(H5S_SCALAR))
            .write(H5::PredType::NATIVE_FLOAT, &conversion);
        const double zero = 0.0;
        H5::DataSet start = series.createDataSet("starting_time", H5::PredType::IEEE_F64LE, H5::DataSpace(H5S_SCALAR));
        start.write(&zero, H5::PredType::NATIVE_DOUBLE);
        if (s.rate) {
            const float rate = static_cast<float>(*s.rate);
            start.createAttribute("rate", H5::PredType::IEEE_F32LE, H5::DataSpace(H5S_SCALAR))
                .write(H5::PredType::NATIVE_FLOAT, &rate);
        }
        nwb_detail::string_attribute(start, "unit", "Seconds");
        H5::Group epoch = epochs.createGroup(s.name);
        H5::Group stimulus = epoch.createGroup("stimulus");
        const std::string target = "/stimulus/presentation/" + s.name;
        if (H5Lcreate_hard(f.getId(), target.c_str(), stimulus.getId(), "timeseries", H5P_DEFAULT, H5P_DEFAULT) < 0)
            throw std::runtime_error("cannot link " + target);
    }
}

}  // namespace pointsim::testing_files
