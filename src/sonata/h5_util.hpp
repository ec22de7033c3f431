#pragma once
// Internal to src/sonata: thin HDF5 C++ API wrappers. Every read is one bulk
// H5Dread into a native buffer (HDF5 converts integer widths), or, for a
// dataset switched to direct reads (Dataset::enable_direct_reads), one
// pread() at its offset in the file that threads may do at once; every
// failure becomes pointsim::input_error "<file>: <object>: <what>" so that no
// H5::Exception leaves this module.
#include <cstdint>
#include <filesystem>
#include <map>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include <H5Cpp.h>

#include "sonata/sonata.hpp"

namespace pointsim::sonata::h5 {

namespace fs = std::filesystem;

// "<file>: <object>: <what>", the one message format of this module.
[[noreturn]] void fail(const fs::path& file, const std::string& object, const std::string& what);

// The failing C++ API call and the innermost HDF5 library message, which
// says what actually went wrong (e.g. "file signature not found").
std::string describe(const H5::Exception& e);

// Runs f(); an H5::Exception becomes an input error naming file and object.
template <class F>
auto guard(const fs::path& file, const std::string& object, F&& f) -> decltype(f()) {
    try {
        return f();
    } catch (const H5::Exception& e) {
        fail(file, object, "HDF5 error: " + describe(e));
    }
}

// A 1-D (or, for group attributes, N-D) dataset with the names used in messages.
class Dataset {
public:
    Dataset(H5::DataSet ds, fs::path file, std::string path);

    const fs::path& file() const { return file_; }
    const std::string& path() const { return path_; }
    [[noreturn]] void fail(const std::string& what) const { h5::fail(file_, path_, what); }

    int rank() const { return static_cast<int>(dims_.size()); }
    // Length of the first dimension (1 for a scalar).
    std::size_t rows() const { return dims_.empty() ? 1 : static_cast<std::size_t>(dims_[0]); }
    H5T_class_t type_class() const { return class_; }
    bool is_string() const { return class_ == H5T_STRING; }
    bool is_numeric() const { return class_ == H5T_INTEGER || class_ == H5T_FLOAT || class_ == H5T_ENUM; }
    // Bytes per element as stored (e.g. 4 for float32).
    std::size_t type_size() const { return type_size_; }

    // The whole dataset, which must be 1-D. Integer readers require an integer
    // dataset and reject values that do not fit (negative ids, > INT64_MAX).
    std::vector<std::uint64_t> read_uint64() const;
    std::vector<std::int64_t> read_int64() const;
    std::vector<double> read_double() const;  // integer, float or enum (h5py bool)
    std::vector<std::string> read_strings() const;
    // Rows [begin, begin + count) only: one hyperslab read.
    std::vector<std::uint64_t> read_uint64(std::size_t begin, std::size_t count) const;
    std::vector<std::int64_t> read_int64(std::size_t begin, std::size_t count) const;
    std::vector<double> read_double(std::size_t begin, std::size_t count) const;
    // The same into `out` (resized to count): a buffer reused chunk after
    // chunk is neither reallocated nor zero-filled first.
    void read_uint64(std::size_t begin, std::size_t count, std::vector<std::uint64_t>& out) const;
    void read_int64(std::size_t begin, std::size_t count, std::vector<std::int64_t>& out) const;
    void read_double(std::size_t begin, std::size_t count, std::vector<double>& out) const;

    // Reads rows from then on with pread() at the data's offset in the file,
    // bypassing HDF5 (which is not thread-safe): read_uint64, read_int64 and
    // read_double of rows may then run on several threads at once. Possible
    // for a 1-D dataset stored contiguously in the file (HDF5's default, and
    // h5py's unless chunked or compressed) whose integer or IEEE float type
    // is in the machine's byte order. False, and nothing changed, otherwise.
    // Converts as HDF5 would (a C cast to the wider type).
    bool enable_direct_reads();
    bool reads_directly() const { return direct_ != nullptr; }

    // A string attribute (scalar or one element, fixed or variable length, any
    // charset); nullopt if absent.
    std::optional<std::string> string_attribute(const std::string& name) const;
    // A numeric attribute (integer or float, scalar or one element) as a
    // double; nullopt if absent.
    std::optional<double> number_attribute(const std::string& name) const;

private:
    void require_1d() const;
    void require_integer() const;
    void read_raw(void* buf, const H5::DataType& mem) const;
    void read_raw(void* buf, const H5::DataType& mem, std::size_t begin, std::size_t count) const;
    // Reads rows [begin, begin + count) of a narrower stored type (integers
    // of 1, 2 or 4 bytes and float32, see Stored) as they are stored into
    // the front of `out`, then widens them in place: HDF5 then reads
    // straight into `out`, instead of into its conversion buffer,
    // converting there and copying out.
    // False, having read nothing, if the stored type is not one of them.
    template <class Wide>
    bool read_widened(std::size_t begin, std::size_t count, Wide* out) const;
    // Rows [begin, begin + count) by pread() into the front of `out`, then
    // converted in place to Wide; false, having read nothing, unless
    // enable_direct_reads() succeeded.
    template <class Wide>
    bool read_direct(std::size_t begin, std::size_t count, Wide* out) const;
    H5::DataSet ds_;
    fs::path file_;
    std::string path_;
    std::vector<hsize_t> dims_;
    H5T_class_t class_ = H5T_NO_CLASS;
    bool signed_ = false;    // integer datasets only
    std::size_t size_ = 0;   // integer datasets only, bytes
    std::size_t type_size_ = 0;
    // The stored type when it is one of these, in the machine's byte order
    // (read_widened and direct reads convert from it).
    enum class Stored { other, u8, i8, u16, i16, u32, i32, u64, i64, f32, f64 };
    Stored stored_ = Stored::other;
    struct FileDescriptor;
    std::shared_ptr<const FileDescriptor> direct_;  // set by enable_direct_reads()
    std::uint64_t direct_offset_ = 0;               // of row 0 in the file
};

enum class Kind { missing, group, dataset, other };

// An open group with the names used in messages.
class GroupRef {
public:
    GroupRef(H5::Group g, fs::path file, std::string path);

    const fs::path& file() const { return file_; }
    const std::string& path() const { return path_; }
    std::string child_path(const std::string& name) const;
    [[noreturn]] void fail(const std::string& what) const { h5::fail(file_, path_, what); }

    std::vector<std::string> children() const;  // link names, in name order
    Kind kind(const std::string& name) const;   // missing for dangling links too
    std::optional<GroupRef> group(const std::string& name) const;      // error if not a group
    std::optional<Dataset> dataset(const std::string& name) const;     // error if not a dataset
    Dataset require_dataset(const std::string& name) const;            // error naming it if absent

private:
    H5::Group g_;
    fs::path file_;
    std::string path_;
};

// Opens a file read-only and returns its root group. Switches off HDF5's
// automatic error printing: errors are reported through exceptions only.
GroupRef open_file(const fs::path& file);

// ---------------------------------------------------------- SONATA tables
// What node and edge populations share: the per-row group id/index columns
// and the numbered attribute groups.
struct GroupedRows {
    std::vector<std::uint32_t> group_ids;
    std::vector<std::uint64_t> group_indices;
    std::map<std::uint32_t, Group> groups;
};

// Error unless `ds` has `rows` rows; `reference` names the dataset that set it.
void check_rows(const Dataset& ds, std::size_t rows, const std::string& reference);

// Reads <pop>/<group_id_name>, <pop>/<group_index_name> (defaults: 0 and the
// row) and the child groups named by decimal integers, then checks that every
// row refers to an existing group and to a row inside it.
GroupedRows read_grouped_rows(const GroupRef& pop, std::size_t rows, const std::string& reference,
                              const std::string& group_id_name, const std::string& group_index_name);

}  // namespace pointsim::sonata::h5
