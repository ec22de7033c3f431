// Fuzz target: the node/edge type CSV reader (sonata::TypeTable::read) on a
// temporary file, then every lookup the network builder makes on the table
// (get and get_number for every type id and column).
#include <cstddef>
#include <cstdint>
#include <string>

#include "fuzz_util.hpp"
#include "sonata/sonata.hpp"

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
    using namespace pointsim;
    const auto path = fuzz::write_input("types.csv", data, size);
    for (const char* id_column : {"node_type_id", "edge_type_id"}) {
        fuzz::expect_only_pointsim_errors([&] {
            const sonata::TypeTable table = sonata::TypeTable::read(path, id_column);
            for (const std::int64_t id : table.type_ids()) {
                for (const std::string& column : table.columns()) {
                    if (!table.has_column(column) || !table.has_type(id)) std::abort();
                    table.get(id, column);
                    fuzz::expect_only_pointsim_errors([&] { table.get_number(id, column); });
                }
                table.get(id, "no such column");
            }
        });
    }
    return 0;
}
