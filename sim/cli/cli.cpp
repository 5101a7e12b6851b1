#include "sim/cli/cli.hpp"

#include <signal.h>

#include <atomic>
#include <chrono>
#include <cstdio>
#include <filesystem>
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
#include "sim/cli/scenario_options.hpp"
#include "sim/cli/signals.hpp"
#include "sim/cli/sweep_commands.hpp"
#include "sim/errors.hpp"
#include "sim/run.hpp"
#include "sim/scenario/scenario.hpp"

namespace cascade {
namespace {

struct RunArguments {
    ScenarioOptions scenario;
    std::string output;
    bool quiet = false;
    std::string engine = "cursor";
    std::string report;              // HTML report to build after the run, if any
    std::string resume;              // a stopped run's results file to finish, if any
    std::uint64_t memory_limit = 0;  // bytes; 0: the default
    bool no_space_check = false;     // write even if the file may not fit the disk
};

int command_validate(const ScenarioOptions& arguments) {
    const Scenario scenario = arguments.load();
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
    RunPlan plan;
    plan.scenario = arguments.scenario.load();
    plan.engine = engine_kind(arguments.engine);
    plan.output = arguments.output.empty()
                      ? std::filesystem::path(
                            std::filesystem::path(arguments.scenario.file).stem().string() + ".h5")
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
    if (const auto& threads = arguments.scenario.threads) {
        overrides.push_back(
            {"/simulation/threads", *threads, fmt::format("--threads {}", *threads)});
    }
    RunPlan plan;
    plan.scenario =
        parse_scenario(state.scenario_json,
                       fmt::format("{} (attribute \"scenario\")", arguments.resume), overrides);
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
    if (!arguments.no_space_check) {
        std::error_code unknown;
        const std::filesystem::space_info space = std::filesystem::space(
            output.has_parent_path() ? output.parent_path() : std::filesystem::path("."), unknown);
        if (!unknown) {
            check_output_space(output, estimate_output_bytes(scenario), space.available);
        }
    }

    ProgressReporter progress(scenario.simulation.paths,
                              ProgressReporter::mode_for(arguments.quiet));
    const StopOnSignals stop_on_signals;
    RunOptions options;
    options.stop = &stop_signal();
    options.engine = plan.engine;
    options.resume = plan.resume ? &*plan.resume : nullptr;
    options.memory_limit_bytes = arguments.memory_limit;
    options.on_progress = [&](std::uint64_t done) { progress.update(done); };
    // The sample paths' events are stored while the run goes on.
    ResultsFile file(output, scenario);
    options.events = &file.events();
    const Results results = run_simulation(scenario, options);
    progress.finish();

    const auto write_start = std::chrono::steady_clock::now();
    file.commit(results);
    const auto finished = std::chrono::steady_clock::now();
    if (results.run.paths_completed < results.run.paths) {
        // Stopped by a signal: what was done is saved, marked incomplete.
        const int signal = stop_signal().load();
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
    run.scenario.add_to(*run_command, /*required=*/false, /*shortcuts=*/true);
    run_command
        ->add_option("-o,--output", run.output,
                     "Results file (default: the scenario's file name with .h5, here)")
        ->type_name("OUT.h5");
    run_command->add_flag("-q,--quiet", run.quiet, "No progress and no summary");
    add_engine_option(*run_command, run.engine);
    run_command
        ->add_option("--report", run.report,
                     "Also build an HTML report (scripts/report.py, needs Debian's "
                     "python3-h5py and python3-matplotlib)")
        ->type_name("REPORT.html");
    run_command
        ->add_option("--memory-limit", run.memory_limit,
                     "Most memory the run may plan to hold, e.g. 20GiB (default: 80 % of the "
                     "machine's memory); a run estimated above it is refused before it starts")
        ->transform(CLI::AsSizeValue(false))
        ->type_name("SIZE");
    run_command->add_flag("--no-space-check", run.no_space_check,
                          "Run even when the results file, at its largest (uncompressed), may "
                          "not fit the free space of its file system");
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

    SweepCommands sweep_commands(app);

    ScenarioOptions validate;
    CLI::App* validate_command = app.add_subcommand(
        "validate", "Check a scenario and print it resolved, with every default filled in");
    validate.add_to(*validate_command, /*required=*/true, /*shortcuts=*/false);

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
        if (const std::optional<int> code = sweep_commands.run_chosen()) {
            return *code;
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
