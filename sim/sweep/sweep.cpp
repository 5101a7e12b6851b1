#include "sim/sweep/sweep.hpp"

#include <chrono>

#include <fmt/format.h>
#include <tbb/parallel_for.h>
#include <tbb/task_arena.h>

#include "sim/errors.hpp"
#include "sim/metric_catalog.hpp"
#include "sim/run.hpp"

namespace cascade {
const char* unsweepable_reason(const std::string& pointer) {
    const auto under = [&](std::string_view prefix) {
        return pointer == prefix || pointer.starts_with(std::string(prefix) + "/");
    };
    if (under("/simulation/seed")) {
        return "every grid point must use the same seed (common random numbers)";
    }
    if (under("/simulation/paths")) {
        return "every grid point runs the same paths; use --paths";
    }
    if (under("/simulation/threads")) {
        return "the thread count changes no result; use --threads";
    }
    if (under("/output")) {
        return "a sweep records metrics only; /output does not apply";
    }
    return nullptr;
}

ScenarioSource read_scenario_source(const std::filesystem::path& file,
                                    std::vector<Override> overrides) {
    return {read_scenario_text(file), file.string(), std::move(overrides)};
}

std::vector<Scenario> grid_scenarios(const ScenarioSource& source, const Grid& grid) {
    std::vector<Diagnostic> problems;
    for (const GridAxis& axis : grid.axes) {
        if (const char* why = unsweepable_reason(axis.pointer)) {
            problems.push_back({fmt::format("--grid {}", axis.text), "",
                                fmt::format("cannot sweep {}: {}", axis.pointer, why)});
        }
    }
    if (!problems.empty()) {
        throw InputError(std::move(problems));
    }
    std::vector<Scenario> scenarios;
    for (std::size_t point = 0; point < grid.points(); ++point) {
        std::vector<Override> overrides = source.overrides;
        const std::vector<Override> own = grid.overrides(point);
        overrides.insert(overrides.end(), own.begin(), own.end());
        try {
            Scenario scenario = parse_scenario(source.text, source.name, overrides);
            // Metrics only: no per-step bands, no sample paths.
            scenario.output.series.clear();
            scenario.output.sample_paths = 0;
            scenarios.push_back(std::move(scenario));
        } catch (const InputError& e) {
            for (Diagnostic d : e.diagnostics()) {
                d.message += fmt::format(" (grid point {})", grid.describe(point));
                problems.push_back(std::move(d));
            }
        }
    }
    if (!problems.empty()) {
        throw InputError(std::move(problems));
    }
    return scenarios;
}

SweepResults run_sweep(const std::vector<Scenario>& scenarios, const Grid& grid,
                       const SweepOptions& options) {
    const auto start = std::chrono::steady_clock::now();
    const std::size_t points = grid.points();
    if (scenarios.size() != points || points == 0) {
        throw std::invalid_argument("run_sweep: one scenario per grid point");
    }
    if (options.baseline >= points) {
        throw InputError(fmt::format("the baseline point {} is outside the grid of {} points",
                                     options.baseline, points));
    }
    SweepResults out;
    out.grid = grid;
    out.baseline = options.baseline;
    out.seed = scenarios.front().simulation.seed;
    out.paths = scenarios.front().simulation.paths;
    out.engine = options.engine == EngineKind::cursor ? "cursor" : "reference";

    // The points one after the other, each parallel over its path blocks: the
    // same work, in the same order, as `cascade run` of that point.
    std::vector<Results> results;
    results.reserve(points);
    RunOptions run_options;
    run_options.engine = options.engine;
    run_options.stop = options.stop;
    for (std::size_t point = 0; point < points; ++point) {
        results.push_back(run_simulation(scenarios[point], run_options));
        if (results.back().run.paths_completed < out.paths) {
            throw std::runtime_error(
                fmt::format("sweep stopped at grid point {} of {}", point + 1, points));
        }
        out.threads = results.back().run.threads;
        out.max_ledger_imbalance =
            std::max(out.max_ledger_imbalance, results.back().run.max_ledger_imbalance);
        if (options.on_point) {
            options.on_point(point + 1);
        }
    }

    const auto& catalog = metric_catalog();
    for (const MetricDefinition& definition : catalog) {
        SweptMetric metric;
        metric.info = definition.info;
        for (auto* v :
             {&metric.value, &metric.standard_error, &metric.ci_low, &metric.ci_high, &metric.sum,
              &metric.sum_squares, &metric.difference, &metric.difference_standard_error}) {
            v->resize(points);
        }
        out.metrics.push_back(std::move(metric));
    }
    const Results& base = results[options.baseline];
    tbb::task_arena arena(static_cast<int>(out.threads));
    arena.execute([&] {
        tbb::parallel_for(std::size_t{0}, points, [&](std::size_t point) {
            const Results& r = results[point];
            for (std::size_t m = 0; m < catalog.size(); ++m) {
                const Metric& metric = r.metrics[m];
                SweptMetric& swept = out.metrics[m];
                swept.value[point] = metric.value;
                swept.standard_error[point] = metric.standard_error;
                swept.ci_low[point] = metric.ci_low;
                swept.ci_high[point] = metric.ci_high;
                swept.sum[point] = metric.sum;
                swept.sum_squares[point] = metric.sum_squares;
                const std::string column(catalog[m].column);
                const PairedDifference d =
                    paired_difference(catalog[m], r.path_column(column).values,
                                      base.path_column(column).values, out.seed, point);
                swept.difference[point] = d.value;
                swept.difference_standard_error[point] =
                    point == options.baseline ? 0.0 : d.standard_error;
            }
        });
    });

    for (std::size_t point = 0; point < points; ++point) {
        out.max_leverage.push_back(scenarios[point].venue.max_leverage());
        std::uint64_t admitted = 0;
        std::uint64_t all = 0;
        for (const CohortRow& c : results[point].cohorts) {
            admitted += c.accounts - c.clipped;
            all += c.accounts + c.excluded;
        }
        out.admitted_share.push_back(
            all == 0 ? 1.0 : static_cast<double>(admitted) / static_cast<double>(all));
    }
    out.seconds = std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
    return out;
}

}  // namespace cascade
