#pragma once
#include <string_view>

namespace cascade {
// Semantic version of this build (CMake's project version).
std::string_view cascade_version();
// Short git revision the build came from, "-dirty" if the tree had changes, or "unknown".
std::string_view git_revision();
}  // namespace cascade
