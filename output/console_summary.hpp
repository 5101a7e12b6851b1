#pragma once
// The short report printed at the end of `cascade run`.

#include <cstdio>
#include <filesystem>

#include "output/results.hpp"
#include "sim/scenario/scenario.hpp"

namespace cascade {

struct Timings {
    double simulation_seconds = 0.0;
    double reduction_seconds = 0.0;
    double write_seconds = 0.0;
    double wall_seconds = 0.0;
};

void print_summary(std::FILE* stream, const Scenario& scenario, const Results& results,
                   const Timings& timings, const std::filesystem::path& output);

}  // namespace cascade
