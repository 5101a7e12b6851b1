#pragma once
// Writes Results to one HDF5 file, laid out as docs/output-format.md says.
// The file is written under a temporary name in the target directory and
// renamed into place only once complete: a failed run never leaves a
// truncated file under the requested name.

#include <array>
#include <filesystem>

#include "output/results.hpp"
#include "sim/scenario/scenario.hpp"

namespace cascade {

// Major bumps when a dataset is renamed or changes meaning; minor when one is added.
inline constexpr std::array<int, 2> kFormatVersion = {1, 7};

// Checks, before any simulation, that `path` can be written: its directory
// exists and is writable, and it is not a directory. Throws InputError.
void check_output_path(const std::filesystem::path& path);

// Checks that a results file of up to `bytes` (estimate_output_bytes) fits
// the `available` bytes of the file system `path` is on. Throws InputError
// naming the file, both sizes and the ways out.
void check_output_space(const std::filesystem::path& path, std::uint64_t bytes,
                        std::uint64_t available);

void write_results(const std::filesystem::path& path, const Results& results,
                   const Scenario& scenario);

}  // namespace cascade
