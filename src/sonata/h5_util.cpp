#include "h5_util.hpp"

#include <algorithm>
#include <cerrno>
#include <cmath>
#include <cstring>
#include <limits>
#include <numeric>
#include <system_error>
#include <type_traits>
#include <utility>

#include <fcntl.h>
#include <unistd.h>

#include "common/error.hpp"

namespace pointsim::sonata::h5 {

void fail(const fs::path& file, const std::string& object, const std::string& what) {
    throw input_error(file.string() + ": " + (object.empty() ? "" : object + ": ") + what);
}

namespace {

// H5Ewalk callback: entry 0 of an upward walk is the innermost failure.
herr_t keep_innermost(unsigned n, const H5E_error2_t* err, void* out) {
    if (n == 0 && err->desc) *static_cast<std::string*>(out) = err->desc;
    return 0;
}

std::string class_name(H5T_class_t c) {
    switch (c) {
        case H5T_INTEGER: return "integer";
        case H5T_FLOAT: return "float";
        case H5T_STRING: return "string";
        case H5T_ENUM: return "enum";
        case H5T_COMPOUND: return "compound";
        case H5T_ARRAY: return "array";
        case H5T_VLEN: return "vlen";
        case H5T_REFERENCE: return "reference";
        case H5T_OPAQUE: return "opaque";
        case H5T_BITFIELD: return "bitfield";
        case H5T_TIME: return "time";
        default: return "unknown";
    }
}

// Reads n strings of `file_type` through `read(buffer, memory_type)`, a
// guarded DataSet or Attribute read. Shared so that datasets and attributes
// accept the same variants: variable or fixed length, ASCII or UTF-8, any padding.
template <class Read>
std::vector<std::string> read_string_values(const H5::StrType& file_type, std::size_t n, Read&& read) {
    std::vector<std::string> out(n);
    if (n == 0) return out;
    if (file_type.isVariableStr()) {
        H5::StrType mem(H5::PredType::C_S1, H5T_VARIABLE);
        mem.setCset(file_type.getCset());  // same charset: no conversion path needed
        std::vector<char*> buf(n, nullptr);
        read(buf.data(), mem);
        for (std::size_t i = 0; i < n; ++i)
            if (buf[i]) out[i] = buf[i];
        const hsize_t dims[1] = {n};
        H5::DataSet::vlenReclaim(buf.data(), mem, H5::DataSpace(1, dims));
    } else {
        const std::size_t size = file_type.getSize();
        // NULLPAD in memory: HDF5 strips SPACEPAD padding and, unlike NULLTERM,
        // does not sacrifice the last character of a full-width string.
        H5::StrType mem(H5::PredType::C_S1, size);
        mem.setCset(file_type.getCset());
        mem.setStrpad(H5T_STR_NULLPAD);
        std::vector<char> buf(n * size);
        read(buf.data(), mem);
        for (std::size_t i = 0; i < n; ++i) {
            const char* s = buf.data() + i * size;
            out[i].assign(s, strnlen(s, size));
        }
    }
    return out;
}

bool all_digits(const std::string& s) {
    return !s.empty() && std::all_of(s.begin(), s.end(), [](unsigned char c) { return c >= '0' && c <= '9'; });
}

}  // namespace

std::string describe(const H5::Exception& e) {
    // The C error stack still holds the failure as long as no HDF5 call ran
    // since the throw: hence the tight guards around reads.
    std::string innermost;
    H5Ewalk2(H5E_DEFAULT, H5E_WALK_UPWARD, keep_innermost, &innermost);
    std::string msg = e.getDetailMsg();
    if (!innermost.empty() && innermost != msg) msg += " (" + innermost + ")";
    return msg;
}

// ---------------------------------------------------------------- Dataset

Dataset::Dataset(H5::DataSet ds, fs::path file, std::string path)
    : ds_(std::move(ds)), file_(std::move(file)), path_(std::move(path)) {
    guard(file_, path_, [&] {
        const H5::DataSpace space = ds_.getSpace();
        dims_.resize(static_cast<std::size_t>(space.getSimpleExtentNdims()));
        if (!dims_.empty()) space.getSimpleExtentDims(dims_.data());
        class_ = ds_.getTypeClass();
        type_size_ = ds_.getDataType().getSize();
        if (class_ == H5T_INTEGER) {
            const H5::IntType type = ds_.getIntType();
            signed_ = type.getSign() != H5T_SGN_NONE;
            size_ = type.getSize();
            if (type.getOrder() == H5::PredType::NATIVE_INT32.getOrder()) {
                if (size_ == 1) stored_ = signed_ ? Stored::i8 : Stored::u8;
                if (size_ == 2) stored_ = signed_ ? Stored::i16 : Stored::u16;
                if (size_ == 4) stored_ = signed_ ? Stored::i32 : Stored::u32;
                if (size_ == 8) stored_ = signed_ ? Stored::i64 : Stored::u64;
            }
        } else if (class_ == H5T_FLOAT) {
            // Only IEEE binary32/64 in native order: HDF5 compares every field.
            const H5::FloatType type = ds_.getFloatType();
            if (type == H5::PredType::NATIVE_FLOAT) stored_ = Stored::f32;
            if (type == H5::PredType::NATIVE_DOUBLE) stored_ = Stored::f64;
        }
    });
}

namespace {

// out[i] = Wide(narrow[i]) for i from count - 1 down to 0, where `narrow`
// is the front of `out`: element i's bytes lie at or before out[i]'s, so
// going backwards never overwrites an element not yet widened. (A C cast,
// as HDF5's conversions; of the same size too, e.g. int64 to double.)
template <class NarrowT, class Wide>
void widen_in_place(Wide* out, std::size_t count) {
    static_assert(sizeof(NarrowT) <= sizeof(Wide));
    if constexpr (std::is_same_v<NarrowT, Wide>) return;
    const auto* bytes = reinterpret_cast<const unsigned char*>(out);
    for (std::size_t i = count; i-- > 0;) {
        NarrowT v;
        std::memcpy(&v, bytes + i * sizeof(NarrowT), sizeof v);
        out[i] = static_cast<Wide>(v);
    }
}

}  // namespace

struct Dataset::FileDescriptor {
    int fd = -1;
    FileDescriptor() = default;
    FileDescriptor(const FileDescriptor&) = delete;
    FileDescriptor& operator=(const FileDescriptor&) = delete;
    ~FileDescriptor() {
        if (fd >= 0) ::close(fd);
    }
};

bool Dataset::enable_direct_reads() {
    if (direct_) return true;
    if (rank() != 1 || stored_ == Stored::other) return false;
    haddr_t offset = HADDR_UNDEF;
    const bool contiguous = guard(file_, path_, [&] {
        const H5::DSetCreatPropList dcpl = ds_.getCreatePlist();
        if (dcpl.getLayout() != H5D_CONTIGUOUS || dcpl.getNfilters() != 0 || dcpl.getExternalCount() != 0) return false;
        offset = H5Dget_offset(ds_.getId());  // from the file's first byte (a user block included)
        return offset != HADDR_UNDEF && ds_.getStorageSize() >= rows() * type_size_;
    });
    if (!contiguous) return false;
    auto file = std::make_shared<FileDescriptor>();
    file->fd = ::open(file_.c_str(), O_RDONLY | O_CLOEXEC);
    if (file->fd < 0) return false;  // HDF5 reads it instead
    direct_ = std::move(file);
    direct_offset_ = offset;
    return true;
}

template <class Wide>
bool Dataset::read_direct(std::size_t begin, std::size_t count, Wide* out) const {
    static_assert(sizeof(Wide) == 8);
    if (!direct_) return false;
    if (begin + count > rows())
        fail("rows " + std::to_string(begin) + ".." + std::to_string(begin + count) + " are beyond its " +
             std::to_string(rows()) + " rows");
    auto* bytes = reinterpret_cast<char*>(out);
    const std::size_t want = count * type_size_;
    const std::uint64_t at = direct_offset_ + static_cast<std::uint64_t>(begin) * type_size_;
    for (std::size_t done = 0; done < want;) {
        const ssize_t n = ::pread(direct_->fd, bytes + done, want - done, static_cast<off_t>(at + done));
        if (n < 0 && errno == EINTR) continue;
        if (n <= 0) {
            const std::string reading = "reading rows " + std::to_string(begin) + ".." + std::to_string(begin + count);
            if (n < 0) fail(reading + ": " + std::error_code(errno, std::generic_category()).message());
            fail(reading + ": the file ends inside the dataset's data (truncated?)");
        }
        done += static_cast<std::size_t>(n);
    }
    switch (stored_) {
        case Stored::other: return false;  // not reached: enable_direct_reads() refuses it
        case Stored::u8: widen_in_place<std::uint8_t>(out, count); break;
        case Stored::i8: widen_in_place<std::int8_t>(out, count); break;
        case Stored::u16: widen_in_place<std::uint16_t>(out, count); break;
        case Stored::i16: widen_in_place<std::int16_t>(out, count); break;
        case Stored::u32: widen_in_place<std::uint32_t>(out, count); break;
        case Stored::i32: widen_in_place<std::int32_t>(out, count); break;
        case Stored::u64: widen_in_place<std::uint64_t>(out, count); break;
        case Stored::i64: widen_in_place<std::int64_t>(out, count); break;
        case Stored::f32: widen_in_place<float>(out, count); break;
        case Stored::f64: widen_in_place<double>(out, count); break;
    }
    return true;
}

template <class Wide>
bool Dataset::read_widened(std::size_t begin, std::size_t count, Wide* out) const {
    static_assert(sizeof(Wide) == 8);
    switch (stored_) {
        case Stored::other:
        case Stored::u64:
        case Stored::i64:
        case Stored::f64: return false;  // other: HDF5 converts it; 8 bytes: nothing to widen
        case Stored::u8: read_raw(out, H5::PredType::NATIVE_UINT8, begin, count); widen_in_place<std::uint8_t>(out, count); break;
        case Stored::i8: read_raw(out, H5::PredType::NATIVE_INT8, begin, count); widen_in_place<std::int8_t>(out, count); break;
        case Stored::u16: read_raw(out, H5::PredType::NATIVE_UINT16, begin, count); widen_in_place<std::uint16_t>(out, count); break;
        case Stored::i16: read_raw(out, H5::PredType::NATIVE_INT16, begin, count); widen_in_place<std::int16_t>(out, count); break;
        case Stored::u32: read_raw(out, H5::PredType::NATIVE_UINT32, begin, count); widen_in_place<std::uint32_t>(out, count); break;
        case Stored::i32: read_raw(out, H5::PredType::NATIVE_INT32, begin, count); widen_in_place<std::int32_t>(out, count); break;
        case Stored::f32: read_raw(out, H5::PredType::NATIVE_FLOAT, begin, count); widen_in_place<float>(out, count); break;
    }
    return true;
}

void Dataset::require_1d() const {
    if (rank() != 1) fail("expected a 1-D dataset, found rank " + std::to_string(rank()));
}

void Dataset::require_integer() const {
    if (class_ != H5T_INTEGER) fail("expected an integer dataset, found " + class_name(class_));
}

// Only the H5Dread call is guarded, with no HDF5 object local to it: an
// object destroyed during unwinding would clear the error stack that
// describe() reports.
void Dataset::read_raw(void* buf, const H5::DataType& mem) const {
    guard(file_, path_, [&] { ds_.read(buf, mem); });
}

// Rows [begin, begin + count) of a 1-D dataset, one hyperslab read.
void Dataset::read_raw(void* buf, const H5::DataType& mem, std::size_t begin, std::size_t count) const {
    if (begin + count > rows())
        fail("rows " + std::to_string(begin) + ".." + std::to_string(begin + count) + " are beyond its " +
             std::to_string(rows()) + " rows");
    H5::DataSpace file_space = guard(file_, path_, [&] { return ds_.getSpace(); });
    const hsize_t start = begin, n = count;
    guard(file_, path_, [&] { file_space.selectHyperslab(H5S_SELECT_SET, &n, &start); });
    const H5::DataSpace mem_space(1, &n);
    guard(file_, path_, [&] { ds_.read(buf, mem, mem_space, file_space); });
}

std::vector<std::uint64_t> Dataset::read_uint64() const {
    require_1d();
    return read_uint64(0, rows());
}

std::vector<std::uint64_t> Dataset::read_uint64(std::size_t begin, std::size_t count) const {
    std::vector<std::uint64_t> out;
    read_uint64(begin, count, out);
    return out;
}

void Dataset::read_uint64(std::size_t begin, std::size_t count, std::vector<std::uint64_t>& out) const {
    require_1d();
    require_integer();
    out.resize(count);
    if (out.empty()) return;
    if (!signed_) {
        if (!read_direct(begin, count, out.data()) && !read_widened(begin, count, out.data()))
            read_raw(out.data(), H5::PredType::NATIVE_UINT64, begin, count);
        return;
    }
    // Signed source: HDF5 would clip negatives to 0 silently, so read
    // signed (the same 8 bytes) and reject negatives ourselves.
    auto* as_signed = reinterpret_cast<std::int64_t*>(out.data());
    if (!read_direct(begin, count, as_signed) && !read_widened(begin, count, as_signed))
        read_raw(out.data(), H5::PredType::NATIVE_INT64, begin, count);
    for (std::size_t i = 0; i < count; ++i) {
        const auto value = static_cast<std::int64_t>(out[i]);
        if (value < 0) fail("row " + std::to_string(begin + i) + ": negative value " + std::to_string(value));
    }
}

std::vector<std::int64_t> Dataset::read_int64() const {
    require_1d();
    return read_int64(0, rows());
}

std::vector<std::int64_t> Dataset::read_int64(std::size_t begin, std::size_t count) const {
    std::vector<std::int64_t> out;
    read_int64(begin, count, out);
    return out;
}

void Dataset::read_int64(std::size_t begin, std::size_t count, std::vector<std::int64_t>& out) const {
    require_1d();
    require_integer();
    out.resize(count);
    if (out.empty()) return;
    if (signed_ || size_ < 8) {
        if (!read_direct(begin, count, out.data()) && !read_widened(begin, count, out.data()))
            read_raw(out.data(), H5::PredType::NATIVE_INT64, begin, count);
        return;
    }
    // uint64 source: values above INT64_MAX would be clipped silently, so
    // read unsigned (the same 8 bytes) and reject them ourselves.
    if (!read_direct(begin, count, out.data())) read_raw(out.data(), H5::PredType::NATIVE_UINT64, begin, count);
    for (std::size_t i = 0; i < count; ++i) {
        const auto value = static_cast<std::uint64_t>(out[i]);
        if (value > static_cast<std::uint64_t>(std::numeric_limits<std::int64_t>::max()))
            fail("row " + std::to_string(begin + i) + ": value " + std::to_string(value) + " is too large");
    }
}

std::vector<double> Dataset::read_double() const {
    require_1d();
    return read_double(0, rows());
}

std::vector<double> Dataset::read_double(std::size_t begin, std::size_t count) const {
    std::vector<double> out;
    read_double(begin, count, out);
    return out;
}

void Dataset::read_double(std::size_t begin, std::size_t count, std::vector<double>& out) const {
    require_1d();
    if (!is_numeric()) fail("expected a numeric dataset, found " + class_name(class_));
    out.resize(count);
    if (out.empty()) return;
    if (class_ != H5T_ENUM) {
        if (!read_direct(begin, count, out.data()) && !read_widened(begin, count, out.data()))
            read_raw(out.data(), H5::PredType::NATIVE_DOUBLE, begin, count);
        return;
    }
    // h5py stores bool as an int8 enum, which HDF5 will not convert to a
    // float: read the raw values, then convert them from the base type in
    // place (the buffer has 8 bytes per element, enough for both).
    const H5::EnumType type = guard(file_, path_, [&] { return ds_.getEnumType(); });
    const H5::DataType base = guard(file_, path_, [&] { return type.getSuper(); });
    read_raw(out.data(), type, begin, count);
    guard(file_, path_, [&] { base.convert(H5::PredType::NATIVE_DOUBLE, out.size(), out.data(), nullptr); });
}

std::vector<std::string> Dataset::read_strings() const {
    require_1d();
    if (!is_string()) fail("expected a string dataset, found " + class_name(class_));
    const H5::StrType type = guard(file_, path_, [&] { return ds_.getStrType(); });
    return guard(file_, path_, [&] {
        return read_string_values(type, rows(), [&](void* buf, const H5::DataType& mem) { read_raw(buf, mem); });
    });
}

std::optional<std::string> Dataset::string_attribute(const std::string& name) const {
    const std::string where = path_ + " attribute " + name;
    if (!guard(file_, where, [&] { return ds_.attrExists(name); })) return std::nullopt;
    const H5::Attribute attr = guard(file_, where, [&] { return ds_.openAttribute(name); });
    const H5T_class_t cls = guard(file_, where, [&] { return attr.getTypeClass(); });
    if (cls != H5T_STRING) h5::fail(file_, where, "expected a string, found " + class_name(cls));
    const hssize_t n = guard(file_, where, [&] { return attr.getSpace().getSimpleExtentNpoints(); });
    if (n != 1) h5::fail(file_, where, "expected one string, found " + std::to_string(n));
    const H5::StrType type = guard(file_, where, [&] { return attr.getStrType(); });
    return guard(file_, where, [&] {
        return read_string_values(type, 1, [&](void* buf, const H5::DataType& mem) {
            guard(file_, where, [&] { attr.read(mem, buf); });
        });
    }).front();
}

std::optional<double> Dataset::number_attribute(const std::string& name) const {
    const std::string where = path_ + " attribute " + name;
    if (!guard(file_, where, [&] { return ds_.attrExists(name); })) return std::nullopt;
    const H5::Attribute attr = guard(file_, where, [&] { return ds_.openAttribute(name); });
    const H5T_class_t cls = guard(file_, where, [&] { return attr.getTypeClass(); });
    if (cls != H5T_INTEGER && cls != H5T_FLOAT) h5::fail(file_, where, "expected a number, found " + class_name(cls));
    const hssize_t n = guard(file_, where, [&] { return attr.getSpace().getSimpleExtentNpoints(); });
    if (n != 1) h5::fail(file_, where, "expected one number, found " + std::to_string(n));
    double value = 0.0;
    guard(file_, where, [&] { attr.read(H5::PredType::NATIVE_DOUBLE, &value); });
    return value;
}

// ---------------------------------------------------------------- GroupRef

GroupRef::GroupRef(H5::Group g, fs::path file, std::string path)
    : g_(std::move(g)), file_(std::move(file)), path_(std::move(path)) {}

std::string GroupRef::child_path(const std::string& name) const {
    return path_ == "/" ? "/" + name : path_ + "/" + name;
}

std::vector<std::string> GroupRef::children() const {
    return guard(file_, path_, [&] {
        std::vector<std::string> names(g_.getNumObjs());
        for (std::size_t i = 0; i < names.size(); ++i) names[i] = g_.getObjnameByIdx(i);
        return names;
    });
}

Kind GroupRef::kind(const std::string& name) const {
    if (!guard(file_, path_, [&] { return g_.nameExists(name); })) return Kind::missing;
    try {
        switch (g_.childObjType(name)) {
            case H5O_TYPE_GROUP: return Kind::group;
            case H5O_TYPE_DATASET: return Kind::dataset;
            default: return Kind::other;
        }
    } catch (const H5::Exception&) {
        return Kind::missing;  // a dangling soft or external link
    }
}

std::optional<GroupRef> GroupRef::group(const std::string& name) const {
    const std::string path = child_path(name);
    switch (kind(name)) {
        case Kind::missing: return std::nullopt;
        case Kind::group: break;
        default: h5::fail(file_, path, "expected a group");
    }
    return GroupRef(guard(file_, path, [&] { return g_.openGroup(name); }), file_, path);
}

std::optional<Dataset> GroupRef::dataset(const std::string& name) const {
    const std::string path = child_path(name);
    switch (kind(name)) {
        case Kind::missing: return std::nullopt;
        case Kind::dataset: break;
        default: h5::fail(file_, path, "expected a dataset");
    }
    return Dataset(guard(file_, path, [&] { return g_.openDataSet(name); }), file_, path);
}

Dataset GroupRef::require_dataset(const std::string& name) const {
    auto ds = dataset(name);
    if (!ds) h5::fail(file_, child_path(name), "required dataset is missing");
    return std::move(*ds);
}

GroupRef open_file(const fs::path& file) {
    // Our own messages carry the context; HDF5's stack dump on stderr would
    // only confuse (it prints even for errors we handle).
    H5::Exception::dontPrint();
    std::error_code ec;
    if (!fs::exists(file, ec)) fail(file, "", "file not found");
    if (fs::is_directory(file, ec)) fail(file, "", "is a directory, not an HDF5 file");
    try {
        const H5::H5File f(file.string(), H5F_ACC_RDONLY);
        // The root group keeps the file open after `f` closes (weak close degree).
        return GroupRef(f.openGroup("/"), file, "/");
    } catch (const H5::Exception& e) {
        fail(file, "", "cannot open as an HDF5 file: " + describe(e));
    }
}

// ---------------------------------------------------------- SONATA tables

void check_rows(const Dataset& ds, std::size_t rows, const std::string& reference) {
    if (ds.rank() != 1) ds.fail("expected a 1-D dataset, found rank " + std::to_string(ds.rank()));
    if (ds.rows() != rows)
        ds.fail("has " + std::to_string(ds.rows()) + " rows but " + reference + " has " + std::to_string(rows));
}

namespace {

// Per-row attributes are 1-D numeric or string datasets; anything else
// (positions [N,3], compound types) is not a scalar property and is skipped.
std::optional<Column> read_column(const Dataset& ds) {
    if (ds.rank() != 1) return std::nullopt;
    Column c;
    if (ds.is_string()) {
        c.is_string = true;
        c.strings = ds.read_strings();
    } else if (ds.is_numeric()) {
        c.numbers = ds.read_double();
    } else {
        return std::nullopt;
    }
    return c;
}

// Tracks the row count of a group: every dataset in it (skipped ones too)
// must have the same first dimension.
struct GroupSize {
    std::optional<std::size_t> rows;
    std::string first;
    void add(const Dataset& ds) {
        if (ds.rank() == 0) return;
        if (!rows) {
            rows = ds.rows();
            first = ds.path();
        } else if (*rows != ds.rows()) {
            ds.fail("has " + std::to_string(ds.rows()) + " rows but " + first + " has " + std::to_string(*rows));
        }
    }
};

void read_columns(const GroupRef& g, std::map<std::string, Column>& out, GroupSize& size) {
    for (const std::string& name : g.children()) {
        if (g.kind(name) != Kind::dataset) continue;
        const Dataset ds = *g.dataset(name);
        size.add(ds);
        if (auto col = read_column(ds)) out.emplace(name, std::move(*col));
    }
}

// @library/<attr> is a string table for an enum-coded integer attribute
// (SONATA spec): replace the codes by the strings.
void apply_library(const GroupRef& g, const GroupRef& lib, std::map<std::string, Column>& attributes) {
    for (const std::string& name : lib.children()) {
        auto it = attributes.find(name);
        if (it == attributes.end() || it->second.is_string || lib.kind(name) != Kind::dataset) continue;
        const Dataset ds = *lib.dataset(name);
        const std::vector<std::string> table = ds.read_strings();
        Column decoded;
        decoded.is_string = true;
        decoded.strings.reserve(it->second.numbers.size());
        for (std::size_t r = 0; r < it->second.numbers.size(); ++r) {
            const double code = it->second.numbers[r];
            if (!(code >= 0 && code < static_cast<double>(table.size()) && code == std::floor(code)))
                h5::fail(g.file(), g.child_path(name),
                         "row " + std::to_string(r) + ": code " + std::to_string(code) + " is not an index into " +
                             ds.path() + " (" + std::to_string(table.size()) + " entries)");
            decoded.strings.push_back(table[static_cast<std::size_t>(code)]);
        }
        it->second = std::move(decoded);
    }
}

std::pair<Group, std::optional<std::size_t>> read_group(const GroupRef& g) {
    Group group;
    GroupSize size;
    read_columns(g, group.attributes, size);
    if (g.kind("dynamics_params") == Kind::group) read_columns(*g.group("dynamics_params"), group.dynamics_params, size);
    if (g.kind("@library") == Kind::group) apply_library(g, *g.group("@library"), group.attributes);
    return {std::move(group), size.rows};
}

}  // namespace

GroupedRows read_grouped_rows(const GroupRef& pop, std::size_t rows, const std::string& reference,
                              const std::string& group_id_name, const std::string& group_index_name) {
    GroupedRows out;

    const auto id_ds = pop.dataset(group_id_name);
    if (id_ds) {
        check_rows(*id_ds, rows, reference);
        const std::vector<std::uint64_t> ids = id_ds->read_uint64();
        out.group_ids.resize(rows);
        for (std::size_t r = 0; r < rows; ++r) {
            if (ids[r] > std::numeric_limits<std::uint32_t>::max())
                id_ds->fail("row " + std::to_string(r) + ": group id " + std::to_string(ids[r]) + " is too large");
            out.group_ids[r] = static_cast<std::uint32_t>(ids[r]);
        }
    } else {
        out.group_ids.assign(rows, 0);
    }

    const auto index_ds = pop.dataset(group_index_name);
    if (index_ds) {
        check_rows(*index_ds, rows, reference);
        out.group_indices = index_ds->read_uint64();
    } else {
        out.group_indices.resize(rows);
        std::iota(out.group_indices.begin(), out.group_indices.end(), std::uint64_t{0});
    }

    std::map<std::uint32_t, std::optional<std::size_t>> sizes;
    for (const std::string& name : pop.children()) {
        if (!all_digits(name) || pop.kind(name) != Kind::group) continue;  // e.g. "indices"
        const unsigned long long id = name.size() > 10 ? ~0ULL : std::stoull(name);
        if (id > std::numeric_limits<std::uint32_t>::max())
            h5::fail(pop.file(), pop.child_path(name), "group id is too large");
        const auto gid = static_cast<std::uint32_t>(id);
        if (out.groups.count(gid))
            h5::fail(pop.file(), pop.child_path(name), "another group has the same number");
        auto [group, size] = read_group(*pop.group(name));
        out.groups.emplace(gid, std::move(group));
        sizes.emplace(gid, size);
    }
    // Without a group-id dataset every row is in group 0; a file that has no
    // per-row attributes need not store an empty "0" group for that.
    if (!id_ds && !out.groups.count(0)) {
        out.groups.emplace(0, Group{});
        sizes.emplace(0, std::nullopt);
    }

    const std::string id_path = pop.child_path(group_id_name);
    const std::string index_path =
        index_ds ? index_ds->path() : pop.child_path(group_index_name) + " (absent: row index used)";
    // Rows of one group are usually contiguous: cache the last lookup.
    std::uint32_t last_gid = 0;
    const std::optional<std::size_t>* last_size = nullptr;
    for (std::size_t r = 0; r < rows; ++r) {
        const std::uint32_t gid = out.group_ids[r];
        if (!last_size || gid != last_gid) {
            const auto it = sizes.find(gid);
            if (it == sizes.end())
                h5::fail(pop.file(), id_path,
                         "row " + std::to_string(r) + ": group " + std::to_string(gid) + " does not exist in " +
                             pop.path());
            last_gid = gid;
            last_size = &it->second;
        }
        // A group without datasets has no rows to index into, so any index is harmless.
        if (*last_size && out.group_indices[r] >= **last_size)
            h5::fail(pop.file(), index_path,
                     "row " + std::to_string(r) + ": index " + std::to_string(out.group_indices[r]) +
                         " is out of range for group " + pop.child_path(std::to_string(gid)) + " with " +
                         std::to_string(**last_size) + " rows");
    }
    return out;
}

}  // namespace pointsim::sonata::h5
