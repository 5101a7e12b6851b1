#pragma once
// `cascade run --report`: builds the HTML report by calling scripts/report.py
// with Debian's Python, after checking that its modules are there.

#include <filesystem>

namespace cascade {

// Writes `report` from `results`. Throws std::runtime_error, with how to get
// what is missing, when Python, its modules or the script cannot be found, or
// when the script fails.
void build_report(const std::filesystem::path& results, const std::filesystem::path& report,
                  const std::filesystem::path& executable);

}  // namespace cascade
