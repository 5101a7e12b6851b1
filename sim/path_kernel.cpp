#include "sim/path_kernel.hpp"

#include <cmath>

namespace cascade {
namespace {

// The hot loop, instantiated once per price process: no dispatch per step.
template <class Process>
void run_price_path(const Process& process, PathRandom& random, double initial_price,
                    std::span<double> price) {
    auto state = process.start(random);
    const double log_initial = std::log(initial_price);
    double log_price = log_initial;
    price[0] = initial_price;
    for (std::size_t k = 0; k + 1 < price.size(); ++k) {
        log_price += process.log_return(state, random, k);
        price[k + 1] = std::exp(log_price);
    }
}

}  // namespace

PathKernel::PathKernel(const Scenario& scenario)
    : seed_(scenario.simulation.seed),
      steps_(scenario.simulation.grid.steps),
      initial_price_(scenario.market.initial_price),
      process_(make_price_process(scenario.market.price_model, scenario.simulation.grid,
                                  ShockSchedule(scenario.simulation.grid, scenario.shocks))) {}

void PathKernel::simulate(std::uint64_t path, const PathTrace& trace) const {
    PathRandom random{normal_, make_stream(seed_, path, StreamPurpose::price_diffusion),
                      make_stream(seed_, path, StreamPurpose::price_jumps)};
    std::visit(
        [&](const auto& process) { run_price_path(process, random, initial_price_, trace.price); },
        process_);
}

}  // namespace cascade
