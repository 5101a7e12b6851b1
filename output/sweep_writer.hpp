#pragma once
// Writes sweep and tune results to HDF5 (filetype "cascade-sweep" and
// "cascade-tune"), laid out as docs/output-format.md says; written under a
// temporary name and renamed into place, like a run's results.

#include <array>
#include <filesystem>

#include "sim/scenario/scenario.hpp"
#include "sim/sweep/sweep.hpp"
#include "sim/sweep/tune.hpp"

namespace cascade {

inline constexpr std::array<int, 2> kSweepFormatVersion = {1, 0};

// `baseline_scenario`: the resolved scenario of the baseline point.
void write_sweep(const std::filesystem::path& path, const SweepResults& sweep,
                 const Scenario& baseline_scenario);

// `scenario`: the resolved scenario at the answer (or at the range's end that
// was tested last when there is none).
void write_tune(const std::filesystem::path& path, const TuneResult& tune,
                const TuneOptions& options, const Scenario& scenario);

}  // namespace cascade
