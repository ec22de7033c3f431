#pragma once
// Internal to pointsim_output (not installed, not for other modules): the small
// HDF5 pieces shared by the spike and report writers.
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

// Contiguous 1-D dataset; an empty one is created but not written (HDF5
// rejects null buffers on some paths, and there is nothing to write).
inline H5::DataSet write_1d(const H5::Group& group, const std::string& name,
                            const H5::PredType& file_type, const H5::PredType& mem_type,
                            const void* data, std::size_t n) {
    const hsize_t dims[1] = {static_cast<hsize_t>(n)};
    H5::DataSet ds = group.createDataSet(name, file_type, H5::DataSpace(1, dims));
    if (n > 0) ds.write(data, mem_type);
    return ds;
}

}  // namespace pointsim::output::detail
