#pragma once
// Small vocabulary types shared by several modules.
#include <cstdint>

namespace pointsim {

// Order of spikes in output files (PointNet's output.spikes_sort_order).
enum class SortOrder { None, ByTime, ById };

}  // namespace pointsim
