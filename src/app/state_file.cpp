#include "app/state_file.hpp"

#include <unistd.h>
#include <zlib.h>

#include <cerrno>
#include <cstdio>
#include <cstring>
#include <fstream>
#include <map>
#include <system_error>

#include "common/error.hpp"
#include "config/config.hpp"
#include "network/network.hpp"

namespace pointsim::app {

namespace fs = std::filesystem;

namespace {

constexpr char kMagic[16] = "pointsim state\n";  // 15 characters and a NUL
constexpr std::uint64_t kMaxHeader = std::uint64_t{1} << 26;

std::uint32_t crc(std::uint32_t c, const void* data, std::size_t n) {
    // Nothing to add: zlib would return its initial value (0) for the null
    // data() of an empty vector, forgetting everything added before.
    if (n == 0) return c;
    return static_cast<std::uint32_t>(crc32_z(c, static_cast<const Bytef*>(data), n));
}

template <class T>
void append(std::string& out, const T& v) {
    out.append(reinterpret_cast<const char*>(&v), sizeof(T));
}

}  // namespace

void write_state_file(const fs::path& file, const Json& header, const std::vector<std::vector<char>>& parts) {
    std::string head;  // everything the header checksum covers
    const std::string text = header.dump();
    append<std::uint64_t>(head, text.size());
    head += text;
    append<std::uint64_t>(head, parts.size());
    for (const auto& p : parts) {
        append<std::uint64_t>(head, p.size());
        append<std::uint32_t>(head, crc(0, p.data(), p.size()));
    }
    const std::uint32_t head_crc = crc(0, head.data(), head.size());

    const fs::path tmp = file.string() + ".partial-" + std::to_string(::getpid());
    std::FILE* out = std::fopen(tmp.c_str(), "wb");
    if (!out) throw output_error("cannot write " + tmp.string() + ": " + std::strerror(errno));
    bool ok = std::fwrite(kMagic, 1, sizeof kMagic, out) == sizeof kMagic &&
              std::fwrite(head.data(), 1, head.size(), out) == head.size() &&
              std::fwrite(&head_crc, sizeof head_crc, 1, out) == 1;
    for (const auto& p : parts) ok = ok && std::fwrite(p.data(), 1, p.size(), out) == p.size();
    const int saved_errno = errno;
    // Flushed to the disk before it takes the final name: a crash after the
    // rename must not leave a name with partial contents.
    ok = std::fflush(out) == 0 && ok && ::fsync(fileno(out)) == 0;
    ok = std::fclose(out) == 0 && ok;
    std::error_code ec;
    if (!ok) {
        fs::remove(tmp, ec);
        throw output_error("cannot write " + tmp.string() + ": " + std::strerror(saved_errno ? saved_errno : errno));
    }
    fs::rename(tmp, file, ec);
    if (ec) {
        fs::remove(tmp, ec);
        throw output_error("cannot write " + file.string() + ": " + ec.message());
    }
}

StatePart read_state_part(const fs::path& file, std::size_t index) {
    const std::string name = file.string();
    std::ifstream in(file, std::ios::binary);
    if (!in) throw input_error(name + ": cannot open the state file");
    auto bad = [&](const std::string& what) { return input_error(name + ": " + what); };
    char magic[sizeof kMagic];
    if (!in.read(magic, sizeof magic) || std::memcmp(magic, kMagic, sizeof magic) != 0)
        throw bad("not a pointsim state file");
    std::string head;
    auto read_into_head = [&](std::size_t n) {
        const std::size_t at = head.size();
        head.resize(at + n);
        if (!in.read(head.data() + at, static_cast<std::streamsize>(n))) throw bad("the state file ends early (truncated)");
        return head.data() + at;
    };
    std::uint64_t text_size;
    std::memcpy(&text_size, read_into_head(sizeof text_size), sizeof text_size);
    if (text_size > kMaxHeader) throw bad("corrupted state file (header size " + std::to_string(text_size) + ")");
    const char* text = read_into_head(text_size);
    const std::string header_text(text, text_size);
    std::uint64_t n_parts;
    std::memcpy(&n_parts, read_into_head(sizeof n_parts), sizeof n_parts);
    if (n_parts > 1u << 20) throw bad("corrupted state file (" + std::to_string(n_parts) + " parts)");
    std::vector<std::uint64_t> sizes(n_parts);
    std::vector<std::uint32_t> crcs(n_parts);
    for (std::uint64_t i = 0; i < n_parts; ++i) {
        std::memcpy(&sizes[i], read_into_head(sizeof sizes[i]), sizeof sizes[i]);
        std::memcpy(&crcs[i], read_into_head(sizeof crcs[i]), sizeof crcs[i]);
    }
    std::uint32_t head_crc;
    if (!in.read(reinterpret_cast<char*>(&head_crc), sizeof head_crc)) throw bad("the state file ends early (truncated)");
    if (head_crc != crc(0, head.data(), head.size())) throw bad("corrupted state file (header checksum)");

    StatePart part;
    try {
        part.header = Json::parse(header_text);
    } catch (const Json::exception&) {
        throw bad("corrupted state file (header)");
    }
    part.n_parts = n_parts;
    if (index >= n_parts)
        throw bad("the state file holds " + std::to_string(n_parts) + " part(s), for as many processes; this run has more");
    std::uint64_t offset = 0;
    for (std::size_t i = 0; i < index; ++i) offset += sizes[i];
    in.seekg(static_cast<std::streamoff>(offset), std::ios::cur);
    part.bytes.resize(sizes[index]);
    if (!in || !in.read(part.bytes.data(), static_cast<std::streamsize>(part.bytes.size())))
        throw bad("the state file ends early (truncated)");
    if (crc(0, part.bytes.data(), part.bytes.size()) != crcs[index])
        throw bad("corrupted state file (checksum of part " + std::to_string(index) + ")");
    return part;
}

Json circuit_fingerprint(const network::Network& net, double dt_ms, std::uint64_t total_synapses) {
    Json pops = Json::array();
    for (const auto& p : net.populations) pops.push_back({{"name", p.name}, {"size", p.size()}, {"virtual", p.is_virtual}});
    return {{"populations", pops}, {"dt", dt_ms}, {"synapses", total_synapses}};
}

std::uint32_t local_fingerprint(const network::Network& net) {
    const auto& c = net.connectivity;
    const auto& p = net.plastic;
    std::uint32_t h = 0;
    auto add = [&h](const auto& v) { h = crc(h, v.data(), v.size() * sizeof(v[0])); };
    add(c.row_begin);
    // The synapses by their fields, not their words: a state saved with
    // 64-bit words restores with 32-bit ones (network::Connectivity).
    std::vector<std::uint32_t> fields;
    fields.reserve(3 * 4096);
    for (std::size_t k = 0; k < c.size(); ++k) {
        fields.insert(fields.end(), {static_cast<std::uint32_t>(c.delay(k)), c.target(k), c.kind(k)});
        if (fields.size() == fields.capacity() || k + 1 == c.size()) {
            add(fields);
            fields.clear();
        }
    }
    add(c.kind_weight);
    add(c.kind_channel);
    add(p.row_begin);
    add(p.target);
    add(p.delay);
    add(p.receptor);
    add(p.kind);
    for (const auto& g : net.groups) {
        const std::string m = g->model();
        h = crc(h, m.data(), m.size());
        const std::uint64_t n = g->size();
        h = crc(h, &n, sizeof n);
    }
    return h;
}

std::uint32_t config_fingerprint(const config::SimulationConfig& cfg) {
    const std::string text = cfg.resolved.dump();
    return crc(0, text.data(), text.size());
}

void check_same_circuit(const fs::path& file, const Json& saved, const Json& here) {
    if (saved == here) return;
    std::string difference = "its circuit differs";
    if (saved.value("dt", 0.0) != here.value("dt", 0.0)) {
        difference = "dt " + saved.value("dt", Json()).dump() + " ms there, " + here["dt"].dump() + " ms here";
    } else if (saved.value("populations", Json()) != here["populations"]) {
        std::map<std::string, Json> there;
        for (const auto& p : saved.value("populations", Json::array())) there[p.value("name", "")] = p;
        for (const auto& p : here["populations"]) {
            const auto it = there.find(p["name"].get<std::string>());
            if (it == there.end()) {
                difference = "population " + p["name"].dump() + " is not in it";
                break;
            }
            if (it->second != p) {
                difference = "population " + p["name"].dump() + " has " + it->second.value("size", Json()).dump() +
                             " nodes there, " + p["size"].dump() + " here";
                break;
            }
        }
    } else if (saved.value("synapses", Json()) != here["synapses"]) {
        difference = saved.value("synapses", Json()).dump() + " synapses there, " + here["synapses"].dump() + " here";
    }
    throw input_error(file.string() + ": saved from another circuit: " + difference);
}

}  // namespace pointsim::app
