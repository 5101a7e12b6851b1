#pragma once
// `cascade inspect`: what a results file holds, without Python.

#include <cstdio>
#include <filesystem>

namespace cascade {

// Prints the run's provenance, the metrics with their intervals, and every
// dataset with its shape, type and units. Throws InputError for a file that
// is missing, not HDF5 (or truncated), not a cascade results file, or of an
// unsupported major format version.
void inspect_results(const std::filesystem::path& file, std::FILE* out);

}  // namespace cascade
