// Fuzz target: the config reader. The input is written to a temporary
// config.json and read by config::resolve_file (JSON parse, manifest
// substitution, "network"/"simulation" merging, path resolution) and, when
// that succeeds, config::load (the typed view); when the input is JSON it
// also goes through config::substitute_manifest directly.
#include <cstddef>
#include <cstdint>
#include <map>
#include <string>

#include <nlohmann/json.hpp>

#include "config/config.hpp"
#include "fuzz_util.hpp"

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
    using namespace pointsim;
    const auto path = fuzz::write_input("config.json", data, size);
    fuzz::expect_only_pointsim_errors([&] {
        config::resolve_file(path);
        config::load(path);
    });

    const config::Json doc = config::Json::parse(data, data + size, nullptr, /*allow_exceptions=*/false);
    if (doc.is_discarded()) return 0;
    static const std::map<std::string, std::string> builtins = {
        {"configdir", "/fuzz"}, {"configfname", "/fuzz/config.json"}, {"workingdir", "/work"},
        {"time", "12-00-00"},   {"date", "2024-01-01"},               {"datetime", "2024-01-01_12-00-00"}};
    fuzz::expect_only_pointsim_errors([&] { config::substitute_manifest(doc, builtins, "fuzz.json"); });
    return 0;
}
