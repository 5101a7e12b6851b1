#include "output/console_summary.hpp"

#include <algorithm>
#include <vector>

#include <fmt/format.h>

#include "sim/statistics.hpp"

namespace cascade {
namespace {

std::string grouped(std::uint64_t n) {
    std::string digits = std::to_string(n);
    for (int i = static_cast<int>(digits.size()) - 3; i > 0; i -= 3) {
        digits.insert(static_cast<std::size_t>(i), ",");
    }
    return digits;
}

// The waterfall's and the profit floor's metrics are all 0 on a venue
// without them: not printed there.
bool shown(const Metric& m, const VenueConfig& venue) {
    if (m.info.name == "p_adl" || m.info.name == "adl_notional_mean") {
        return venue.loss_waterfall.adl != LossWaterfall::Adl::off;
    }
    if (m.info.name == "socialised_loss_mean") {
        return venue.loss_waterfall.socialised_loss;
    }
    if (m.info.name == "p_passed_over_deficit" || m.info.name == "passed_over_deficit_mean") {
        return venue.liquidators.profit_floor;
    }
    return true;
}

}  // namespace

void print_summary(std::FILE* stream, const Scenario& scenario, const Results& results,
                   const Timings& timings, const std::filesystem::path& output) {
    const auto& run = results.run;
    const double path_steps = static_cast<double>(run.paths) * run.steps;
    fmt::print(stream, "\n{} ({}), seed {}\n", scenario.name, scenario.market.asset, run.seed);
    fmt::print(stream, "  paths        {} x {} steps of {:g} s, {} threads\n", grouped(run.paths),
               grouped(run.steps), scenario.simulation.grid.step_seconds(), run.threads);
    fmt::print(stream, "  wall time    {:.3f} s (simulate {:.3f}, reduce {:.3f}, write {:.3f})\n",
               timings.wall_seconds, timings.simulation_seconds, timings.reduction_seconds,
               timings.write_seconds);
    fmt::print(stream, "  throughput   {:.3g} path-steps/s\n",
               timings.simulation_seconds > 0 ? path_steps / timings.simulation_seconds : 0.0);
    fmt::print(stream, "  results      {}\n", output.string());
    if (results.truncated_event_paths > 0) {
        fmt::print(stream,
                   "  events       {} sample paths kept only their first {} liquidations "
                   "(/output/max_events_per_path)\n",
                   grouped(results.truncated_event_paths), grouped(results.max_events_per_path));
    }
    fmt::print(stream, "  ledger       conserved to {:.1e} of the money involved ({} engine)\n\n",
               run.max_ledger_imbalance, run.engine);

    if (!results.cohorts.empty()) {
        fmt::print(stream, "  {:<24} {:>5} {:>10} {:>14} {:>22}\n", "cohort", "side", "accounts",
                   "notional", "liquidated per path");
        for (const CohortRow& c : results.cohorts) {
            fmt::print(stream, "  {:<24} {:>5} {:>10} {:>14.4g} {:>22.4g}\n", c.name,
                       c.side > 0 ? "long" : "short", grouped(c.accounts), c.notional,
                       c.liquidated_accounts_mean);
            if (c.excluded > 0 || c.clipped > 0) {
                fmt::print(stream,
                           "  {:<24} ({} already liquidatable at the start, excluded; {} "
                           "clipped to the maximum leverage)\n",
                           "", grouped(c.excluded), grouped(c.clipped));
            }
        }
        fmt::print(stream, "\n");
    }

    fmt::print(stream, "  {:<34} {:>14}  {:>29}\n", "metric", "estimate",
               "95% confidence interval");
    for (const Metric& m : results.metrics) {
        if (!shown(m, scenario.venue)) {
            continue;
        }
        fmt::print(stream, "  {:<34} {:>14.6g}  [{:>12.6g}, {:>12.6g}]\n", m.info.name, m.value,
                   m.ci_low, m.ci_high);
    }

    std::vector<double> final_prices = results.path_column("final_price").values;
    const std::vector<double> levels = {0.01, 0.05, 0.5, 0.95, 0.99};
    const auto q = quantiles_type7(final_prices, levels);
    fmt::print(stream, "\n  final price quantiles  ");
    for (std::size_t i = 0; i < levels.size(); ++i) {
        fmt::print(stream, "{}{:g}%: {:.6g}", i == 0 ? "" : "   ", 100 * levels[i], q[i]);
    }
    fmt::print(stream, "\n");
}

}  // namespace cascade
