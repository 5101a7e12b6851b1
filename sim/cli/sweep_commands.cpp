#include "sim/cli/sweep_commands.hpp"

#include <cmath>
#include <filesystem>
#include <string>
#include <vector>

#include <fmt/format.h>

#include "output/results_writer.hpp"
#include "output/sweep_writer.hpp"
#include "sim/cli/cli.hpp"
#include "sim/cli/scenario_options.hpp"
#include "sim/cli/signals.hpp"
#include "sim/errors.hpp"
#include "sim/metric_catalog.hpp"
#include "sim/sweep/sweep.hpp"
#include "sim/sweep/tune.hpp"

namespace cascade {

struct SweepCommands::Arguments {
    ScenarioOptions scenario;
    std::string output;
    std::string engine = "cursor";
    bool quiet = false;
    // sweep
    std::vector<std::string> grids;
    std::size_t baseline = 0;
    std::string show = "p_bad_debt,bad_debt_mean,bad_debt_es99,liquidated_notional_mean";
    // tune
    std::string parameter;
    std::string range;
    std::string target;
    std::string prefer = "low";
    double tolerance = 0.0;
    std::uint64_t max_paths = 0;
    double precision = 0.0;
};

namespace {

std::filesystem::path default_output(const ScenarioOptions& scenario, const std::string& output,
                                     const char* suffix) {
    if (!output.empty()) {
        return output;
    }
    return std::filesystem::path(scenario.file).stem().string() + suffix;
}

// The SIGINT / SIGTERM exit code when a stop was asked for, else rethrows.
int stopped_or_rethrow(const char* what) {
    const int signal = stop_signal().load();
    if (signal == 0) {
        throw;
    }
    fmt::print(stderr, "{} stopped by {}; nothing written\n", what,
               signal == SIGTERM ? "SIGTERM" : "SIGINT");
    return 128 + signal;
}

std::vector<const MetricDefinition*> shown_metrics(const std::string& list) {
    std::vector<const MetricDefinition*> shown;
    std::size_t start = 0;
    while (start <= list.size()) {
        const std::size_t end = std::min(list.find(',', start), list.size());
        const std::string name = list.substr(start, end - start);
        const MetricDefinition* d = find_metric(name);
        if (d == nullptr) {
            throw InputError(
                {Diagnostic{"--show", "", fmt::format("unknown metric \"{}\"", name)}});
        }
        shown.push_back(d);
        start = end + 1;
    }
    return shown;
}

void print_sweep(const SweepResults& sweep, const std::vector<const MetricDefinition*>& shown) {
    const Grid& grid = sweep.grid;
    std::string header = fmt::format("{:>5}", "point");
    for (const GridAxis& axis : grid.axes) {
        header += fmt::format("  {:>14}", axis.pointer.substr(axis.pointer.rfind('/') + 1));
    }
    header += fmt::format("  {:>8}", "max_lev");
    for (const MetricDefinition* d : shown) {
        header += fmt::format("  {:>24}  {:>22}", d->info.name, "diff vs baseline");
    }
    fmt::print("{}\n", header);
    for (std::size_t point = 0; point < grid.points(); ++point) {
        std::string line = fmt::format("{:>5}", point);
        const std::vector<std::size_t> index = grid.coordinates(point);
        for (std::size_t a = 0; a < grid.axes.size(); ++a) {
            line += fmt::format("  {:>14.6g}", grid.axes[a].values[index[a]]);
        }
        line += fmt::format("  {:>8.4g}", sweep.max_leverage[point]);
        for (const MetricDefinition* d : shown) {
            const auto m = static_cast<std::size_t>(d - metric_catalog().data());
            const SweptMetric& metric = sweep.metrics[m];
            line += fmt::format("  {:>11.4g} ± {:<10.3g}", metric.value[point],
                                metric.standard_error[point]);
            line += point == sweep.baseline
                        ? fmt::format("  {:>22}", "(baseline)")
                        : fmt::format("  {:>+10.4g} ± {:<9.3g}", metric.difference[point],
                                      metric.difference_standard_error[point]);
        }
        fmt::print("{}\n", line);
    }
    fmt::print("± one standard error; differences from paired paths (common random numbers)\n");
}

int command_sweep(const SweepCommands::Arguments& arguments) {
    Grid grid;
    for (const std::string& text : arguments.grids) {
        grid.axes.push_back(parse_grid_axis(text));
    }
    const std::vector<const MetricDefinition*> shown = shown_metrics(arguments.show);
    const ScenarioSource source =
        read_scenario_source(arguments.scenario.file, arguments.scenario.overrides());
    const std::vector<Scenario> scenarios = grid_scenarios(source, grid);
    const std::filesystem::path output =
        default_output(arguments.scenario, arguments.output, "-sweep.h5");
    check_output_path(output);

    SweepOptions options;
    options.engine = engine_kind(arguments.engine);
    options.baseline = arguments.baseline;
    options.stop = &stop_signal();
    if (!arguments.quiet) {
        options.on_point = [&](std::size_t done) {
            fmt::print(stderr, "point {}/{} done: {}\n", done, grid.points(),
                       grid.describe(done - 1));
        };
    }
    const StopOnSignals stop_on_signals;
    SweepResults sweep;
    try {
        sweep = run_sweep(scenarios, grid, options);
    } catch (const std::runtime_error&) {
        return stopped_or_rethrow("sweep");
    }
    write_sweep(output, sweep, scenarios[sweep.baseline]);
    if (!arguments.quiet) {
        print_sweep(sweep, shown);
        fmt::print("{} points x {} paths in {:.3g} s; results in {}\n", grid.points(), sweep.paths,
                   sweep.seconds, output.string());
    }
    return kExitSuccess;
}

int command_tune(const SweepCommands::Arguments& arguments) {
    TuneOptions options;
    options.parameter = arguments.parameter;
    const std::size_t colon = arguments.range.find(':');
    const auto number = [&](const std::string& text) {
        std::size_t used = 0;
        double value = std::nan("");
        try {
            value = std::stod(text, &used);
        } catch (const std::exception&) {
            used = 0;
        }
        if (used != text.size() || text.empty()) {
            throw InputError({Diagnostic{
                "--range", "", fmt::format("expected LOW:HIGH, got \"{}\"", arguments.range)}});
        }
        return value;
    };
    if (colon == std::string::npos) {
        throw InputError({Diagnostic{
            "--range", "", fmt::format("expected LOW:HIGH, got \"{}\"", arguments.range)}});
    }
    options.low = number(arguments.range.substr(0, colon));
    options.high = number(arguments.range.substr(colon + 1));
    options.prefer_high = arguments.prefer == "high";
    options.target = parse_target(arguments.target);
    options.tolerance = arguments.tolerance;
    options.max_paths = arguments.max_paths;
    options.precision = arguments.precision;
    options.engine = engine_kind(arguments.engine);
    options.stop = &stop_signal();
    if (!arguments.quiet) {
        options.on_evaluation = [](const std::string& line) { fmt::print(stderr, "{}\n", line); };
    }
    const ScenarioSource source =
        read_scenario_source(arguments.scenario.file, arguments.scenario.overrides());
    const std::filesystem::path output =
        default_output(arguments.scenario, arguments.output, "-tune.h5");
    check_output_path(output);

    const StopOnSignals stop_on_signals;
    TuneResult tune;
    try {
        tune = run_tune(source, options);
    } catch (const std::runtime_error&) {
        return stopped_or_rethrow("tune");
    }
    // The scenario at the answer (or at the dear end when there is none).
    std::vector<Override> overrides = source.overrides;
    const double at =
        std::isnan(tune.value) ? (options.prefer_high ? options.low : options.high) : tune.value;
    overrides.push_back({options.parameter, exact_json_number(at), "tune"});
    write_tune(output, tune, options, parse_scenario(source.text, source.name, overrides));
    fmt::print("{}\n", tune.sentence);
    if (!arguments.quiet) {
        fmt::print("search trace in {}\n", output.string());
    }
    return tune.status == TuneStatus::cannot_be_met ? kExitTargetUnreachable : kExitSuccess;
}

}  // namespace

SweepCommands::SweepCommands(CLI::App& app) : arguments_(std::make_unique<Arguments>()) {
    Arguments& a = *arguments_;
    sweep_ = app.add_subcommand(
        "sweep",
        "Run a scenario over a parameter grid on common random numbers; write every metric per "
        "grid point, with error bars and paired differences against a baseline point");
    tune_ = app.add_subcommand(
        "tune",
        "Find the cheapest value of one parameter that meets a risk target, with a 95 % "
        "confidence interval");
    for (CLI::App* command : {sweep_, tune_}) {
        a.scenario.add_to(*command, /*required=*/true, /*shortcuts=*/true);
        add_engine_option(*command, a.engine);
        command
            ->add_option("-o,--output", a.output,
                         command == sweep_ ? "Sweep file (default: SCENARIO-sweep.h5, here)"
                                           : "Tune file (default: SCENARIO-tune.h5, here)")
            ->type_name("OUT.h5");
        command->add_flag("-q,--quiet", a.quiet, "No progress and no table");
    }
    sweep_
        ->add_option("--grid", a.grids,
                     "An axis: /json/pointer=start:stop:step (stop included), "
                     "=log:start:stop:count, or =a,b,c; repeat for a Cartesian product")
        ->type_name("/PTR=VALUES")
        ->required();
    sweep_
        ->add_option("--baseline", a.baseline,
                     "Grid point (row-major index, the last axis fastest) that differences are "
                     "taken against (default 0)")
        ->type_name("I");
    sweep_->add_option("--show", a.show, "Metrics to print, comma-separated (all are written)")
        ->type_name("M1,M2");

    tune_->add_option("--param", a.parameter, "JSON pointer of the value to tune")
        ->type_name("/PTR")
        ->required();
    tune_->add_option("--range", a.range, "Values searched, LOW:HIGH")
        ->type_name("LOW:HIGH")
        ->required();
    tune_
        ->add_option("--target", a.target,
                     "\"METRIC <= BOUND\" (or <, >=, >); BOUND a number, a JSON pointer into the "
                     "scenario, or a venue field such as insurance_fund")
        ->type_name("\"M <= B\"")
        ->required();
    tune_
        ->add_option("--prefer", a.prefer,
                     "low (default): the smallest value that meets the target; high: the largest")
        ->check(CLI::IsMember({"low", "high"}));
    tune_
        ->add_option("--tolerance", a.tolerance,
                     "Stop bisecting below this bracket width (default: 1/1000 of the range)")
        ->type_name("X")
        ->check(CLI::PositiveNumber);
    tune_
        ->add_option("--precision", a.precision,
                     "Double the paths while the 95 % interval of the answer is wider than "
                     "this (up to --max-paths)")
        ->type_name("W")
        ->check(CLI::PositiveNumber);
    tune_->add_option("--max-paths", a.max_paths, "Most paths per setting when refining")
        ->type_name("N");
}

SweepCommands::~SweepCommands() = default;

std::optional<int> SweepCommands::run_chosen() {
    if (*sweep_) {
        return command_sweep(*arguments_);
    }
    if (*tune_) {
        return command_tune(*arguments_);
    }
    return std::nullopt;
}

}  // namespace cascade
