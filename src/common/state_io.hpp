#pragma once
// Bytes of a simulation's state (checkpoints and saved states, see
// docs/cluster.md): a StateWriter appends named sections of plain values and
// arrays; a StateReader reads them back in the same order and checks each
// section's name and every array's length, so a state from another network
// or version is refused with the name of the first thing that differs
// rather than read into the wrong arrays. The container around these bytes
// (file, fingerprint, checksum) is app/state_file.
#include <cstdint>
#include <cstring>
#include <string>
#include <type_traits>
#include <utility>
#include <vector>

#include "common/error.hpp"

namespace pointsim {

class StateWriter {
public:
    void section(const std::string& name) { put_string(name); }
    template <class T>
    void put(const T& value) {
        static_assert(std::is_trivially_copyable_v<T>);
        put_bytes(&value, sizeof(T));
    }
    template <class T>
    void put_vector(const std::vector<T>& values) {
        static_assert(std::is_trivially_copyable_v<T>);
        put<std::uint64_t>(values.size());
        put_bytes(values.data(), values.size() * sizeof(T));
    }
    // An array of `bytes` bytes that the reader fills into storage of the same size.
    void put_span(const void* data, std::size_t bytes) {
        put<std::uint64_t>(bytes);
        put_bytes(data, bytes);
    }
    void put_string(const std::string& s) {
        put<std::uint64_t>(s.size());
        put_bytes(s.data(), s.size());
    }
    const std::vector<char>& bytes() const { return bytes_; }
    std::vector<char> take() { return std::move(bytes_); }

private:
    void put_bytes(const void* p, std::size_t n) {
        const auto* c = static_cast<const char*>(p);
        bytes_.insert(bytes_.end(), c, c + n);
    }
    std::vector<char> bytes_;
};

class StateReader {
public:
    // `source` names the state in messages (the file).
    StateReader(const char* data, std::size_t size, std::string source)
        : p_(data), end_(data + size), source_(std::move(source)) {}

    // Throws unless the next section is `name`.
    void section(const std::string& name) {
        const std::string found = get_string();
        if (found != name)
            throw mismatch("expected section '" + name + "', found '" + found + "'");
        section_ = name;
    }
    template <class T>
    T get() {
        static_assert(std::is_trivially_copyable_v<T>);
        T value;
        get_bytes(&value, sizeof(T));
        return value;
    }
    template <class T>
    void get_vector(std::vector<T>& values) {
        static_assert(std::is_trivially_copyable_v<T>);
        const auto n = get<std::uint64_t>();
        if (n > static_cast<std::uint64_t>(end_ - p_) / sizeof(T)) throw truncated();
        values.resize(n);
        get_bytes(values.data(), n * sizeof(T));
    }
    // An array whose size this network fixes: a different size is a state of another network.
    // (written by put_vector).
    template <class T>
    void get_same_size(std::vector<T>& values, const std::string& what) {
        static_assert(std::is_trivially_copyable_v<T>);
        const auto n = get<std::uint64_t>();
        if (n != values.size())
            throw mismatch(what + ": " + std::to_string(n) + " values there, " + std::to_string(values.size()) + " in this run");
        get_bytes(values.data(), n * sizeof(T));
    }
    void get_span(void* data, std::size_t bytes, const std::string& what) {
        const auto n = get<std::uint64_t>();
        if (n != bytes)
            throw mismatch(what + " has " + std::to_string(n) + " bytes there, " + std::to_string(bytes) + " in this run");
        get_bytes(data, bytes);
    }
    std::string get_string() {
        const auto n = get<std::uint64_t>();
        if (n > static_cast<std::uint64_t>(end_ - p_)) throw truncated();
        std::string s(p_, n);
        p_ += n;
        return s;
    }
    bool at_end() const { return p_ == end_; }
    // Error(Input) "<source>: state of another network or run: <what>".
    Error mismatch(const std::string& what) const {
        return input_error(source_ + ": the saved state does not fit this run" +
                           (section_.empty() ? std::string() : " (in " + section_ + ")") + ": " + what);
    }

private:
    Error truncated() const { return input_error(source_ + ": the saved state ends early (in " + section_ + ")"); }
    void get_bytes(void* out, std::size_t n) {
        if (n > static_cast<std::size_t>(end_ - p_)) throw truncated();
        if (n) std::memcpy(out, p_, n);
        p_ += n;
    }
    const char* p_;
    const char* end_;
    std::string source_;
    std::string section_;
};

}  // namespace pointsim
