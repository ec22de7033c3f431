#pragma once
// The small HDF5 pieces shared by every writer of SONATA files: the spike and
// report writers here, and the network builder (src/builder) and
// `pointsim generate`, which link pointsim_output for them. Not installed.
#include <H5Cpp.h>

#include <cstdint>
#include <filesystem>
#include <string>
#include <utility>

#include "common/error.hpp"

namespace pointsim::output::detail {

// The innermost HDF5 error message (e.g. the OS reason for a failed open).
// HDF5 keeps the error stack until the next library call, so this is only
// useful right at the catch site; otherwise the exception's own text is used.
inline std::string h5_reason(const H5::Exception& e) {
    std::string reason;
    auto take_first = [](unsigned, const H5E_error2_t* err, void* out) -> herr_t {
        auto* s = static_cast<std::string*>(out);
        if (s->empty() && err->desc != nullptr) *s = err->desc;
        return 0;
    };
    H5Ewalk2(H5E_DEFAULT, H5E_WALK_UPWARD, take_first, &reason);
    // File-driver messages embed "error message = '<strerror>'": keep just that.
    const std::string key = "error message = '";
    if (auto p = reason.find(key); p != std::string::npos) {
        auto start = p + key.size();
        auto end = reason.find('\'', start);
        if (end != std::string::npos) return reason.substr(start, end - start);
    }
    if (!reason.empty()) return reason;
    return e.getFuncName() + ": " + e.getDetailMsg();
}

// Runs `body` and turns any HDF5 failure into Error(Output) naming the file.
template <class Body>
void with_h5_errors(const std::filesystem::path& file, const char* what, Body&& body) {
    H5::Exception::dontPrint();  // we report errors ourselves, once
    try {
        std::forward<Body>(body)();
    } catch (const H5::Exception& e) {
        throw output_error(std::string("cannot write ") + what + " '" + file.string() +
                           "': " + h5_reason(e));
    }
}

// Scalar variable-length UTF-8 string attribute, as h5py/BMTK write them.
inline void write_string_attr(const H5::H5Object& obj, const std::string& name,
                              const std::string& value) {
    H5::StrType type(H5::PredType::C_S1, H5T_VARIABLE);
    type.setCset(H5T_CSET_UTF8);
    H5::Attribute attr = obj.createAttribute(name, type, H5::DataSpace(H5S_SCALAR));
    attr.write(type, value);
}

// SONATA root attributes: magic (uint32 0x0A7A) and version (uint32[2] {0,1}).
inline void write_sonata_root_attrs(const H5::H5File& file) {
    const std::uint32_t magic = 0x0A7A;
    H5::Attribute m = file.createAttribute("magic", H5::PredType::STD_U32LE,
                                           H5::DataSpace(H5S_SCALAR));
    m.write(H5::PredType::NATIVE_UINT32, &magic);

    const std::uint32_t version[2] = {0, 1};
    const hsize_t dims[1] = {2};
    H5::Attribute v = file.createAttribute("version", H5::PredType::STD_U32LE,
                                           H5::DataSpace(1, dims));
    v.write(H5::PredType::NATIVE_UINT32, version);
}

// HDF5 stamps every object with its creation time unless told not to: the
// same results must give the same bytes (any run, any number of ranks).
inline H5::H5File create_file(const std::string& path) {
    // One property list for the process: closing it after a failed create
    // would clear the error stack that with_h5_errors reports.
    static const hid_t fcpl = [] {
        const hid_t p = H5Pcreate(H5P_FILE_CREATE);
        H5Pset_obj_track_times(p, false);  // the root group
        return p;
    }();
    const hid_t id = H5Fcreate(path.c_str(), H5F_ACC_TRUNC, fcpl, H5P_DEFAULT);
    if (id < 0) throw H5::FileIException("H5File constructor", "H5Fcreate failed");
    H5::H5File file(id);
    H5Fclose(id);  // H5File(id) holds its own reference
    return file;
}

inline H5::Group create_group(const H5::Group& parent, const std::string& name) {
    const hid_t gcpl = H5Pcreate(H5P_GROUP_CREATE);
    H5Pset_obj_track_times(gcpl, false);
    const hid_t id = H5Gcreate2(parent.getId(), name.c_str(), H5P_DEFAULT, gcpl, H5P_DEFAULT);
    H5Pclose(gcpl);
    if (id < 0) throw H5::GroupIException("create_group", "cannot create group " + name);
    H5::Group g(id);
    H5Gclose(id);  // H5::Group(id) took its own reference
    return g;
}

inline H5::DSetCreatPropList untimed_dataset_props() {
    H5::DSetCreatPropList props;
    H5Pset_obj_track_times(props.getId(), false);
    return props;
}

// Contiguous 1-D dataset; an empty one is created but not written (HDF5
// rejects null buffers on some paths, and there is nothing to write).
inline H5::DataSet write_1d(const H5::Group& group, const std::string& name,
                            const H5::PredType& file_type, const H5::PredType& mem_type,
                            const void* data, std::size_t n) {
    const hsize_t dims[1] = {static_cast<hsize_t>(n)};
    H5::DataSet ds = group.createDataSet(name, file_type, H5::DataSpace(1, dims), untimed_dataset_props());
    if (n > 0) ds.write(data, mem_type);
    return ds;
}

// An empty contiguous 1-D dataset of n values, to be filled by write_1d_slab.
inline H5::DataSet create_1d(const H5::Group& group, const std::string& name, const H5::PredType& file_type,
                             std::uint64_t n) {
    const hsize_t dims[1] = {static_cast<hsize_t>(n)};
    return group.createDataSet(name, file_type, H5::DataSpace(1, dims), untimed_dataset_props());
}

// Writes n values at [offset, offset + n) of a 1-D dataset.
inline void write_1d_slab(const H5::DataSet& ds, const H5::PredType& mem_type, const void* data,
                          std::uint64_t offset, std::size_t n) {
    if (n == 0) return;
    const hsize_t count[1] = {static_cast<hsize_t>(n)};
    const hsize_t start[1] = {static_cast<hsize_t>(offset)};
    H5::DataSpace file_space = ds.getSpace();
    file_space.selectHyperslab(H5S_SELECT_SET, count, start);
    ds.write(data, mem_type, H5::DataSpace(1, count), file_space);
}

}  // namespace pointsim::output::detail
