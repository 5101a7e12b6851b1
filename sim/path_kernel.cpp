#include "sim/path_kernel.hpp"

#include <cmath>

namespace cascade {
namespace {

// The hot loop, instantiated once per price process: no dispatch per step.
template <class Process>
void run_price_path(const Process& process, PathRandom& random, std::span<double> log_return) {
    auto state = process.start(random);
    double x = 0.0;
    log_return[0] = x;
    for (std::size_t k = 0; k + 1 < log_return.size(); ++k) {
        x += process.log_return(state, random, k);
        log_return[k + 1] = x;
    }
}

}  // namespace

PathKernel::PathKernel(const Scenario& scenario)
    : seed_(scenario.simulation.seed),
      steps_(scenario.simulation.grid.steps),
      process_(make_price_process(scenario.market.price_model, scenario.simulation.grid,
                                  ShockSchedule(scenario.simulation.grid, scenario.shocks))) {}

void PathKernel::simulate(std::uint64_t path, const PathTrace& trace) const {
    PathRandom random{normal_, make_stream(seed_, path, StreamPurpose::price_diffusion),
                      make_stream(seed_, path, StreamPurpose::price_jumps)};
    std::visit(
        [&](const auto& process) { run_price_path(process, random, trace.cumulative_log_return); },
        process_);
}

}  // namespace cascade
