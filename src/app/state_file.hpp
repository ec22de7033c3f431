#pragma once
// State files: checkpoints (one file per rank in a checkpoint folder) and
// saved states (--save-state: one file with every rank's part). A file is
//   "pointsim state\n\0" (16 bytes), then
//   u64 length + JSON header (kind, step, dt, ranks, the circuit's fingerprint, ...),
//   u64 number of parts, per part u64 size + u32 CRC-32,
//   u32 CRC-32 of everything above after the magic,
//   the parts (each rank's engine state, common/state_io.hpp).
// Reading checks the magic, both checksums and the sizes, so a truncated or
// corrupted file is refused with its name before anything is restored.
#include <cstdint>
#include <filesystem>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

namespace pointsim {
namespace config { struct SimulationConfig; }
namespace network { struct Network; }
}  // namespace pointsim

namespace pointsim::app {

using Json = nlohmann::json;

// Writes `file` whole (a temporary name renamed into place once complete
// and flushed). Throws Error(Output) naming the file.
void write_state_file(const std::filesystem::path& file, const Json& header, const std::vector<std::vector<char>>& parts);

// The header of `file` and its part `index` (checksum verified). Throws
// Error(Input) naming the file: missing, not a state file, truncated,
// corrupted (checksum), or without part `index`.
struct StatePart {
    Json header;
    std::size_t n_parts = 0;
    std::vector<char> bytes;
};
StatePart read_state_part(const std::filesystem::path& file, std::size_t index);

// What identifies a circuit on every rank alike: populations (name, size,
// virtual), the neuron models, the time step and the synapse count. The
// synapses themselves differ by rank: local_fingerprint() is a CRC-32 of
// this rank's connectivity (each synapse's fields, not its packed word, so
// the word width does not matter), kept in its part.
Json circuit_fingerprint(const network::Network& net, double dt_ms, std::uint64_t total_synapses);
std::uint32_t local_fingerprint(const network::Network& net);
// CRC-32 of the merged config: a checkpoint resumes only the same run.
std::uint32_t config_fingerprint(const config::SimulationConfig& cfg);

// Throws Error(Input) "<file>: ... another circuit: <first difference>"
// unless `saved` (a header's "circuit") equals `here`.
void check_same_circuit(const std::filesystem::path& file, const Json& saved, const Json& here);

}  // namespace pointsim::app
