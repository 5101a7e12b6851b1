#include "sim/cli/cli.hpp"

#include <signal.h>

#include <atomic>
#include <chrono>
#include <cstdio>
#include <iostream>
#include <string>
#include <vector>

#include <fmt/format.h>
#include <CLI/CLI.hpp>
#include <nlohmann/json.hpp>

#include "output/console_summary.hpp"
#include "output/results_inspector.hpp"
#include "output/results_writer.hpp"
#include "output/resume_state.hpp"
#include "sim/build_info.hpp"
#include "sim/cli/progress.hpp"
#include "sim/cli/report_runner.hpp"
#include "sim/errors.hpp"
#include "sim/run.hpp"
#include "sim/scenario/scenario.hpp"

namespace cascade {
namespace {

// The one piece of global state in cascade, because a signal handler can reach
// nothing else: the first SIGINT/SIGTERM received, 0 while none. Lock-free, so
// the handler may store to it.
std::atomic<int> stop_signal{0};
static_assert(std::atomic<int>::is_always_lock_free);

extern "C" void record_stop_signal(int signal) {
    stop_signal.store(signal);
}

// Installs, for the lifetime of a run, handlers that ask the run to stop at the
// next block boundary. SA_RESETHAND puts the default action back after the
// first signal, so a second one ends the process at once (a results file is
// only ever renamed into place complete, so nothing truncated is left under
// the requested name).
class StopOnSignals {
  public:
    StopOnSignals() {
        struct sigaction action {};
        action.sa_handler = record_stop_signal;
        sigemptyset(&action.sa_mask);
        action.sa_flags = SA_RESETHAND;
        sigaction(SIGINT, &action, &previous_int_);
        sigaction(SIGTERM, &action, &previous_term_);
    }
    ~StopOnSignals() {
        sigaction(SIGINT, &previous_int_, nullptr);
        sigaction(SIGTERM, &previous_term_, nullptr);
    }
    StopOnSignals(const StopOnSignals&) = delete;
    StopOnSignals& operator=(const StopOnSignals&) = delete;

  private:
    struct sigaction previous_int_ {};
    struct sigaction previous_term_ {};
};

struct ScenarioArguments {
    std::string file;
    std::vector<std::string> sets;
};

void add_scenario_arguments(CLI::App& command, ScenarioArguments& arguments,
                            bool required = true) {
    command.add_option("scenario", arguments.file, "Scenario file (JSON)")->required(required);
    command
        .add_option("--set", arguments.sets,
                    "Override a scenario value: /json/pointer=VALUE (VALUE is JSON, or a "
                    "plain string); repeatable")
        ->type_name("/PTR=VALUE")
        ->take_all();
}

struct RunArguments {
    ScenarioArguments scenario;
    std::string output;
    // Shortcuts for --set, kept as text so the scenario validation judges them.
    std::optional<std::string> paths;
    std::optional<std::string> seed;
    std::optional<std::string> threads;
    bool quiet = false;
    std::string engine = "cursor";
    std::string report;  // HTML report to build after the run, if any
    std::string resume;  // a stopped run's results file to finish, if any
};

Scenario load(const ScenarioArguments& arguments, std::vector<Override> overrides = {}) {
    std::vector<Override> all;
    for (const std::string& text : arguments.sets) {
        all.push_back(parse_override(text));
    }
    // Command-line shortcuts go last, so they win over --set.
    all.insert(all.end(), overrides.begin(), overrides.end());
    return load_scenario(arguments.file, all);
}

int command_validate(const ScenarioArguments& arguments) {
    const Scenario scenario = load(arguments);
    std::cout << scenario.resolved_json << '\n';
    return kExitSuccess;
}

// What to run: a scenario from its file, or a stopped run read back from its
// results file (--resume).
struct RunPlan {
    Scenario scenario;
    EngineKind engine = EngineKind::cursor;
    std::filesystem::path output;
    std::optional<ResumeState> resume;
};

RunPlan plan_fresh_run(const RunArguments& arguments) {
    std::vector<Override> shortcuts;
    const auto shortcut = [&](const char* option, const char* pointer,
                              const std::optional<std::string>& value) {
        if (value) {
            shortcuts.push_back({pointer, *value, fmt::format("{} {}", option, *value)});
        }
    };
    shortcut("--paths", "/simulation/paths", arguments.paths);
    shortcut("--seed", "/simulation/seed", arguments.seed);
    shortcut("--threads", "/simulation/threads", arguments.threads);
    RunPlan plan;
    plan.scenario = load(arguments.scenario, shortcuts);
    plan.engine = arguments.engine == "reference" ? EngineKind::reference_scan : EngineKind::cursor;
    plan.output =
        arguments.output.empty()
            ? std::filesystem::path(std::filesystem::path(arguments.scenario.file).stem().string() +
                                    ".h5")
            : std::filesystem::path(arguments.output);
    return plan;
}

// --resume FILE: the scenario, seed and engine are the stopped run's own; only
// the thread count (which changes no result) and the output name may differ.
RunPlan plan_resumed_run(const RunArguments& arguments) {
    ResumeState state = read_resume_state(arguments.resume);
    if (state.cascade_version != cascade_version() || state.git_revision != git_revision()) {
        throw InputError({Diagnostic{
            arguments.resume, "",
            fmt::format("written by cascade {} ({}), and this is cascade {} ({}): another build "
                        "may simulate differently, so the resumed file could not be identical "
                        "to an uninterrupted run; rerun the scenario (its resolved form is the "
                        "file's \"scenario\" attribute) with this build",
                        state.cascade_version, state.git_revision, cascade_version(),
                        git_revision())}});
    }
    std::vector<Override> overrides;
    if (arguments.threads) {
        overrides.push_back({"/simulation/threads", *arguments.threads,
                             fmt::format("--threads {}", *arguments.threads)});
    }
    RunPlan plan;
    plan.scenario = parse_scenario(
        state.scenario_json, fmt::format("{} (attribute \"scenario\")", arguments.resume),
        overrides);
    plan.engine = state.engine == "reference" ? EngineKind::reference_scan : EngineKind::cursor;
    plan.output = arguments.output.empty() ? std::filesystem::path(arguments.resume)
                                           : std::filesystem::path(arguments.output);
    plan.resume = std::move(state);
    return plan;
}

int command_run(const RunArguments& arguments, const char* executable) {
    const auto started = std::chrono::steady_clock::now();
    if (arguments.resume.empty() && arguments.scenario.file.empty()) {
        throw InputError({Diagnostic{"", "", "run: give a scenario file, or --resume OUT.h5"}});
    }
    const RunPlan plan =
        arguments.resume.empty() ? plan_fresh_run(arguments) : plan_resumed_run(arguments);
    const Scenario& scenario = plan.scenario;
    const std::filesystem::path& output = plan.output;
    check_output_path(output);

    ProgressReporter progress(scenario.simulation.paths,
                              ProgressReporter::mode_for(arguments.quiet));
    const StopOnSignals stop_on_signals;
    RunOptions options;
    options.stop = &stop_signal;
    options.engine = plan.engine;
    options.resume = plan.resume ? &*plan.resume : nullptr;
    options.on_progress = [&](std::uint64_t done) { progress.update(done); };
    const Results results = run_simulation(scenario, options);
    progress.finish();

    const auto write_start = std::chrono::steady_clock::now();
    write_results(output, results, scenario);
    const auto finished = std::chrono::steady_clock::now();
    if (results.run.paths_completed < results.run.paths) {
        // Stopped by a signal: what was done is saved, marked incomplete.
        const int signal = stop_signal.load();
        fmt::print(stderr,
                   "interrupted ({}): {} of {} paths written to {}, marked complete = 0; "
                   "finish it with: cascade run --resume {}\n",
                   signal == SIGTERM ? "SIGTERM" : "SIGINT", results.run.paths_completed,
                   results.run.paths, output.string(), output.string());
        return 128 + (signal != 0 ? signal : SIGINT);
    }

    if (!arguments.report.empty()) {
        build_report(output, arguments.report, executable);
        if (!arguments.quiet) {
            fmt::print(stderr, "report written to {}\n", arguments.report);
        }
    }
    if (!arguments.quiet) {
        Timings timings;
        timings.simulation_seconds = results.run.simulation_seconds;
        timings.reduction_seconds = results.run.reduction_seconds;
        timings.write_seconds = std::chrono::duration<double>(finished - write_start).count();
        timings.wall_seconds = std::chrono::duration<double>(finished - started).count();
        print_summary(stdout, scenario, results, timings, output);
    }
    return kExitSuccess;
}

}  // namespace

int run_cli(int argc, char** argv) {
    CLI::App app{
        "cascade: Monte Carlo stress testing of leveraged venues and their "
        "liquidation cascades"};
    app.set_version_flag("--version",
                         fmt::format("cascade {} ({})", cascade_version(), git_revision()));
    app.require_subcommand(1);

    RunArguments run;
    CLI::App* run_command =
        app.add_subcommand("run", "Simulate a scenario and write the results to HDF5");
    add_scenario_arguments(*run_command, run.scenario, /*required=*/false);
    run_command
        ->add_option("-o,--output", run.output,
                     "Results file (default: the scenario's file name with .h5, here)")
        ->type_name("OUT.h5");
    run_command->add_option("--paths", run.paths, "Number of paths (overrides /simulation/paths)")
        ->type_name("N");
    run_command->add_option("--seed", run.seed, "Master seed (overrides /simulation/seed)")
        ->type_name("S");
    run_command
        ->add_option("--threads", run.threads,
                     "Worker threads, 0 = all cores (overrides /simulation/threads); "
                     "results are identical for any value")
        ->type_name("T");
    run_command->add_flag("-q,--quiet", run.quiet, "No progress and no summary");
    run_command
        ->add_option("--engine", run.engine,
                     "cursor (default): sorted liquidation cursors, O(accounts liquidated) per "
                     "step; reference: tests every account every round, O(accounts), for checking")
        ->check(CLI::IsMember({"cursor", "reference"}));
    run_command
        ->add_option("--report", run.report,
                     "Also build an HTML report (scripts/report.py, needs Debian's "
                     "python3-h5py and python3-matplotlib)")
        ->type_name("REPORT.html");
    CLI::Option* resume_option =
        run_command
            ->add_option("--resume", run.resume,
                         "Finish a run stopped by SIGINT/SIGTERM (its file has complete = 0): "
                         "same scenario, seed and engine, read from the file; the finished file "
                         "(written over it, or to -o) is identical to an uninterrupted run's")
            ->type_name("OUT.h5");
    for (const char* fixed : {"scenario", "--set", "--paths", "--seed", "--engine"}) {
        resume_option->excludes(run_command->get_option(fixed));
    }

    std::string inspected;
    CLI::App* inspect_command = app.add_subcommand(
        "inspect", "Print a results file's provenance, metrics and datasets (no Python needed)");
    inspect_command->add_option("results", inspected, "Results file (HDF5)")->required();

    ScenarioArguments validate;
    CLI::App* validate_command = app.add_subcommand(
        "validate", "Check a scenario and print it resolved, with every default filled in");
    add_scenario_arguments(*validate_command, validate);

    try {
        app.parse(argc, argv);
    } catch (const CLI::ParseError& e) {
        const int code = app.exit(e);
        return code == 0 ? kExitSuccess : kExitBadInput;
    }

    try {
        if (*run_command) {
            return command_run(run, argv[0]);
        }
        if (*inspect_command) {
            inspect_results(inspected, stdout);
            return kExitSuccess;
        }
        return command_validate(validate);
    } catch (const InputError& e) {
        for (const Diagnostic& d : e.diagnostics()) {
            fmt::print(stderr, "error: {}\n", d.to_string());
        }
        return kExitBadInput;
    } catch (const std::exception& e) {
        fmt::print(stderr, "error: {}\n", e.what());
        return kExitRuntimeFailure;
    }
}

}  // namespace cascade
