// A sweep against the separate runs it replaces, on the default scenario
// (scenarios/flash-crash.json): an N x N grid of maintenance margin x
// liquidation penalty, once as `cascade sweep` does it (run_sweep: every
// point on the same paths, metrics only), once as N^2 runs would
// (run_simulation with the scenario's outputs, then write_results), timed
// alternately; the ratio is sweep / separate runs. Process start-up, which
// separate `cascade run`s also pay, is not counted, so the ratio is if
// anything flattering to the separate runs.

#include <cstdio>
#include <filesystem>
#include <string>
#include <vector>

#include <unistd.h>

#include "bench/harness.hpp"
#include "output/results_writer.hpp"
#include "sim/run.hpp"
#include "sim/sweep/grid.hpp"
#include "sim/sweep/sweep.hpp"

namespace {

namespace fs = std::filesystem;

constexpr const char* kUsage =
    "usage: bench_sweep [--quick] [--tsv] [PATHS]\n"
    "  a 3 x 3 sweep (2 x 2 with --quick) of the default scenario with PATHS paths per point\n"
    "  (default 2000; 500 with --quick) against the separate runs of its points\n";

}  // namespace

int main(int argc, char** argv) {
    const cascade::bench::Options options = cascade::bench::parse_options(argc, argv, kUsage);
    const std::uint64_t paths = options.number(0, options.quick ? 500 : 2000);
    const int repetitions = options.quick ? 2 : 3;
    const fs::path file = fs::path(CASCADE_SOURCE_DIR) / "scenarios/flash-crash.json";

    cascade::Grid grid;
    grid.axes.push_back(
        cascade::parse_grid_axis(options.quick ? "/venue/maintenance_margin=0.006,0.01"
                                               : "/venue/maintenance_margin=0.006,0.008,0.01"));
    grid.axes.push_back(
        cascade::parse_grid_axis(options.quick ? "/venue/liquidation_penalty=0.005,0.015"
                                               : "/venue/liquidation_penalty=0.005,0.01,0.015"));
    const cascade::ScenarioSource source = cascade::read_scenario_source(
        file, {{"/simulation/paths", std::to_string(paths), "bench"}});
    const std::vector<cascade::Scenario> lean = cascade::grid_scenarios(source, grid);
    std::vector<cascade::Scenario> full;
    for (std::size_t p = 0; p < grid.points(); ++p) {
        std::vector<cascade::Override> overrides = source.overrides;
        for (const cascade::Override& o : grid.overrides(p)) {
            overrides.push_back(o);
        }
        full.push_back(cascade::parse_scenario(source.text, source.name, overrides));
    }
    const fs::path out =
        fs::temp_directory_path() / ("cascade-bench-sweep-" + std::to_string(::getpid()) + ".h5");

    std::vector<double> sweep_seconds;
    std::vector<double> run_seconds;
    std::vector<double> ratios;
    for (int r = 0; r < repetitions; ++r) {
        sweep_seconds.push_back(
            cascade::bench::wall_seconds([&] { cascade::run_sweep(lean, grid); }));
        run_seconds.push_back(cascade::bench::wall_seconds([&] {
            for (const cascade::Scenario& scenario : full) {
                cascade::write_results(out, cascade::run_simulation(scenario), scenario);
            }
        }));
        ratios.push_back(sweep_seconds.back() / run_seconds.back());
    }
    fs::remove(out);

    cascade::bench::Report report(options.tsv);
    report.section("sweep vs separate runs (default scenario, wall time, all threads)");
    const std::string shape = std::to_string(grid.axes[0].values.size()) + " x " +
                              std::to_string(grid.axes[1].values.size());
    report.row(shape + " sweep, " + std::to_string(paths) + " paths a point",
               cascade::bench::median(sweep_seconds), "s",
               cascade::bench::median(std::move(ratios)), "separate runs",
               "run + write of each point: " +
                   cascade::bench::Report::format(cascade::bench::median(run_seconds)) + " s");
    return 0;
}
