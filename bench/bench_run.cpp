// The run driver on the default scenario (scenarios/flash-crash.json):
//  - thread scaling: run_simulation on 1, 2, 4, ... threads (up to
//    tbb::info::default_concurrency()), as a speed-up over 1 thread, next to
//    the speed-up of an embarrassingly parallel loop of PCG64 draws: what the
//    machine offers at that moment (other users' work shares its cores);
//  - the time split of a default run: population build, simulation,
//    reduction, the rest of run_simulation and the HDF5 write, as fractions of
//    the whole;
//  - the same run with sketched instead of exact quantile bands;
//  - memory, measured in child processes (peak and resident set size): bytes
//    per account of the population and bytes per path of a run, against the
//    books' vector capacities and estimate_run_memory, with exact and with
//    sketched quantile bands.
// Wall time for the runs, medians of repeated runs, alternating thread counts.

#include <malloc.h>
#include <sys/resource.h>
#include <sys/wait.h>
#include <unistd.h>

#include <atomic>
#include <cmath>
#include <cstdint>
#include <cstdio>
#include <cstring>
#include <filesystem>
#include <string>
#include <vector>

#include <tbb/info.h>
#include <tbb/parallel_for.h>
#include <tbb/task_arena.h>
#include <nlohmann/json.hpp>

#include "bench/harness.hpp"
#include "output/results_writer.hpp"
#include "sim/random/streams.hpp"
#include "sim/run.hpp"
#include "sim/scenario/scenario.hpp"

namespace {

using cascade::bench::kNone;
namespace fs = std::filesystem;

constexpr const char* kUsage =
    "usage: bench_run [--quick] [--tsv] [SCENARIO]\n"
    "  thread scaling, time split and memory of runs of SCENARIO\n"
    "  (default scenarios/flash-crash.json)\n";

// ---- Scenarios ------------------------------------------------------------------

// The scenario with its population (and its book's depth, so that a crash
// liquidates about the same share) scaled by `factor`, and `paths` paths.
cascade::Scenario variant(const fs::path& file, double factor, std::uint64_t paths,
                          unsigned threads, const std::string& bands = "auto") {
    const cascade::Scenario original = cascade::load_scenario(file);
    auto doc = nlohmann::json::parse(original.resolved_json);
    for (auto& cohort : doc["population"]["cohorts"]) {
        cohort["accounts"] =
            std::llround(static_cast<double>(cohort["accounts"].get<std::uint64_t>()) * factor);
    }
    if (doc["market"]["impact"].contains("depth_2pct")) {
        doc["market"]["impact"]["depth_2pct"] =
            doc["market"]["impact"]["depth_2pct"].get<double>() * factor;
    }
    doc["simulation"]["paths"] = paths;
    doc["simulation"]["threads"] = threads;
    doc["output"]["band_method"] = bands;
    return cascade::parse_scenario(doc.dump(), file.string());
}

// `s` with its quantile bands computed by `bands` ("exact" or "sketch").
cascade::Scenario with_bands(const cascade::Scenario& s, const std::string& bands) {
    auto doc = nlohmann::json::parse(s.resolved_json);
    doc["output"]["band_method"] = bands;
    return cascade::parse_scenario(doc.dump(), s.name);
}

std::uint64_t accounts(const cascade::Scenario& s) {
    std::uint64_t n = 0;
    for (const auto& cohort : s.population.cohorts) {
        n += cohort.accounts;
    }
    return n;
}

// ---- Memory, in child processes ------------------------------------------------

// "VmRSS" or "VmHWM" (the peak since the process started or since
// reset_peak()), in bytes, from /proc/self/status.
std::uint64_t status_bytes(const char* key) {
    std::uint64_t kilobytes = 0;
    if (FILE* f = std::fopen("/proc/self/status", "r")) {
        char line[256];
        const std::size_t length = std::strlen(key);
        while (std::fgets(line, sizeof line, f) != nullptr) {
            if (std::strncmp(line, key, length) == 0 && line[length] == ':') {
                kilobytes = std::strtoull(line + length + 1, nullptr, 10);
            }
        }
        std::fclose(f);
    }
    return kilobytes * 1024;
}
std::uint64_t resident_bytes() {
    return status_bytes("VmRSS");
}
std::uint64_t peak_bytes() {
    return status_bytes("VmHWM");
}

// Sets the peak to the present resident set size (Linux 4.0 and later), so
// that a later peak_bytes() sees only what came after.
void reset_peak() {
    if (FILE* f = std::fopen("/proc/self/clear_refs", "w")) {
        std::fputs("5", f);
        std::fclose(f);
    }
}

std::uint64_t capacity_bytes(const cascade::SideBook& b) {
    return (b.log_trigger.capacity() + b.size.capacity() + b.entry.capacity() +
            b.collateral.capacity()) *
               sizeof(double) +
           b.cohort.capacity() * sizeof(std::uint32_t) +
           b.account.capacity() * sizeof(std::uint64_t);
}

// Child: builds the scenario's population scaled to about `target` accounts.
int child_population(const fs::path& file, std::uint64_t target) {
    const auto base = cascade::load_scenario(file);
    const auto s =
        variant(file, static_cast<double>(target) / static_cast<double>(accounts(base)), 1, 1);
    reset_peak();
    const std::uint64_t before = resident_bytes();
    const double seconds = cascade::bench::wall_seconds([&] {
        const auto population = cascade::build_population(
            s.population, s.venue, s.market.initial_price, s.simulation.seed);
        malloc_trim(0);  // what the build freed goes back to the system
        std::printf(
            "accounts=%llu booked=%llu capacity=%llu resident=%llu",
            static_cast<unsigned long long>(population.accounts_built),
            static_cast<unsigned long long>(population.longs.count() + population.shorts.count()),
            static_cast<unsigned long long>(capacity_bytes(population.longs) +
                                            capacity_bytes(population.shorts)),
            static_cast<unsigned long long>(resident_bytes() - before));
    });
    std::printf(" peak=%llu seconds=%g\n", static_cast<unsigned long long>(peak_bytes() - before),
                seconds);
    return 0;
}

// Child: one run of the scenario, population scaled by `factor`, `paths`
// paths; the peak from the second block's merge on: the population is built
// by then, and the first block (which holds the sample paths) has handed its
// events over and been freed, so that neither the build's peak nor that
// block's hides the run's.
int child_run(const fs::path& file, double factor, std::uint64_t paths, const std::string& bands) {
    // Blocks of 1 MiB and more from mmap, and back to the system when freed:
    // otherwise the run's buffers reuse memory the population build freed but
    // malloc kept, and the difference between two path counts disappears.
    mallopt(M_MMAP_THRESHOLD, 1 << 20);  // NOLINT(concurrency-mt-unsafe): before any thread
    const auto s = variant(file, factor, paths, 2, bands);
    cascade::RunOptions options;
    int merged = 0;
    options.on_progress = [&](std::uint64_t) {
        if (++merged == 2) {
            reset_peak();
        }
    };
    const auto results = cascade::run_simulation(s, options);
    std::printf("peak=%llu estimate=%llu events=%llu accounts=%llu\n",
                static_cast<unsigned long long>(peak_bytes()),
                static_cast<unsigned long long>(cascade::estimate_run_memory(s)),
                static_cast<unsigned long long>(results.events.capacity() *
                                                sizeof(cascade::LiquidationEvent)),
                static_cast<unsigned long long>(accounts(s)));
    return 0;
}

// Runs this program again (the same file, even if a rebuild has replaced it
// since) with `arguments`, and returns what it printed.
std::string child(const std::vector<std::string>& arguments) {
    std::vector<char*> argv{const_cast<char*>("bench_run")};
    for (const std::string& a : arguments) {
        argv.push_back(const_cast<char*>(a.c_str()));
    }
    argv.push_back(nullptr);
    int out[2];
    std::string text;
    int status = -1;
    if (pipe(out) == 0) {
        std::fflush(stdout);
        const pid_t pid = fork();
        if (pid == 0) {
            dup2(out[1], STDOUT_FILENO);
            close(out[0]);
            close(out[1]);
            execv("/proc/self/exe", argv.data());
            _exit(127);
        }
        close(out[1]);
        char buffer[512];
        ssize_t n = 0;
        while ((n = read(out[0], buffer, sizeof buffer)) > 0) {
            text.append(buffer, static_cast<std::size_t>(n));
        }
        close(out[0]);
        if (pid > 0) {
            waitpid(pid, &status, 0);
        }
    }
    if (status != 0 || text.empty()) {
        std::string joined;
        for (const std::string& a : arguments) {
            joined += " " + a;
        }
        std::fprintf(stderr, "bench_run: child%s failed\n", joined.c_str());
        std::exit(1);  // NOLINT(concurrency-mt-unsafe): no other thread calls exit
    }
    return text;
}

// The value of `key=` in a child's line.
double field(const std::string& line, const std::string& key) {
    const auto at = line.find(key + "=");
    return at == std::string::npos ? kNone
                                   : std::strtod(line.c_str() + at + key.size() + 1, nullptr);
}

// ---- Thread scaling ---------------------------------------------------------------

// User and system CPU seconds of every thread of this process so far.
double process_cpu_seconds() {
    rusage usage{};
    getrusage(RUSAGE_SELF, &usage);
    const auto seconds = [](const timeval& t) {
        return static_cast<double>(t.tv_sec) + 1e-6 * static_cast<double>(t.tv_usec);
    };
    return seconds(usage.ru_utime) + seconds(usage.ru_stime);
}

// An embarrassingly parallel loop: `chunks` independent streams of PCG64
// draws on `threads` threads; no memory traffic, no synchronisation but the
// loop's end. Its speed-up is the parallelism the machine offers right now.
double parallel_draws(unsigned threads, std::uint64_t chunks) {
    static std::atomic<std::uint64_t> sink{0};
    tbb::task_arena arena(static_cast<int>(threads));
    return cascade::bench::wall_seconds([&] {
        arena.execute([&] {
            tbb::parallel_for(std::uint64_t{0}, chunks, [&](std::uint64_t chunk) {
                auto rng = cascade::make_stream(1, chunk, cascade::StreamPurpose::price_diffusion);
                std::uint64_t sum = 0;
                for (int i = 0; i < 1'000'000; ++i) {
                    sum += rng();
                }
                sink += sum;
            });
        });
    });
}

void thread_scaling(const fs::path& file, const cascade::bench::Options& options,
                    cascade::bench::Report& report) {
    const unsigned available = static_cast<unsigned>(tbb::info::default_concurrency());
    std::vector<unsigned> counts;
    for (unsigned t = 1; t < available; t *= 2) {
        counts.push_back(t);
    }
    counts.push_back(available);
    const std::uint64_t paths = options.quick ? 1024 : 4096;
    const int repetitions = options.quick ? 3 : 9;

    std::vector<cascade::Scenario> scenarios;
    for (unsigned t : counts) {
        scenarios.push_back(variant(file, 1.0, paths, t));
    }
    // [thread count][repetition]
    std::vector<std::vector<double>> total(counts.size());
    std::vector<std::vector<double>> simulation(counts.size());
    std::vector<std::vector<double>> loop(counts.size());
    std::vector<std::vector<double>> cores(counts.size());  // process CPU seconds / wall
    for (int r = 0; r < repetitions; ++r) {
        for (std::size_t i = 0; i < counts.size(); ++i) {
            loop[i].push_back(parallel_draws(counts[i], options.quick ? 32 : 64));
            double simulated = 0.0;
            const double cpu = process_cpu_seconds();
            total[i].push_back(cascade::bench::wall_seconds(
                [&] { simulated = cascade::run_simulation(scenarios[i]).run.simulation_seconds; }));
            cores[i].push_back((process_cpu_seconds() - cpu) / total[i].back());
            simulation[i].push_back(simulated);
        }
    }
    const auto speedup = [&](const std::vector<std::vector<double>>& t, std::size_t i) {
        std::vector<double> ratios;
        for (int r = 0; r < repetitions; ++r) {
            ratios.push_back(t[0][r] / t[i][r]);
        }
        return cascade::bench::median(ratios);
    };

    report.section("thread scaling, run_simulation, " + file.filename().string() + ", " +
                   std::to_string(paths) + " paths, wall time");
    report.row("tbb::info::default_concurrency()", available, "threads", kNone, "",
               "thread counts measured: 1, 2, 4, ... up to it");
    report.row("run_simulation, 1 thread (baseline)", cascade::bench::median(total[0]), "s", 1.0,
               "1 thread");
    for (std::size_t i = 1; i < counts.size(); ++i) {
        const std::string t = std::to_string(counts[i]) + " threads";
        const double run = speedup(total, i);
        const double machine = speedup(loop, i);
        report.row("run_simulation, " + t, cascade::bench::median(total[i]), "s", run,
                   "speed-up over 1 thread", counts[i] == 2 ? "target >= 1.8" : "");
        report.row("simulation phase, " + t, cascade::bench::median(simulation[i]), "s",
                   speedup(simulation, i), "speed-up over 1 thread");
        report.row("parallel PCG64 loop, " + t, cascade::bench::median(loop[i]), "s", machine,
                   "speed-up over 1 thread", "what the machine offered");
        report.row("cores run_simulation got, " + t, cascade::bench::median(cores[i]), "cores",
                   cascade::bench::median(cores[i]) / counts[i], "threads asked for",
                   "process CPU time / wall time");
        report.row("run_simulation vs the parallel loop, " + t, kNone, "", run / machine,
                   "ratio of their speed-ups");
    }
}

// ---- Time split of a default run ----------------------------------------------------

void time_split(const fs::path& file, const cascade::bench::Options& options,
                cascade::bench::Report& report) {
    const cascade::Scenario s = cascade::load_scenario(file);
    const fs::path out =
        fs::temp_directory_path() / ("cascade-bench-" + std::to_string(getpid()) + ".h5");
    enum { population, simulation, reduction, rest, write, total, write_no_events, parts };
    std::vector<double> seconds[parts];
    std::vector<double> share[parts];
    std::uintmax_t file_bytes = 0;
    std::size_t event_count = 0;
    std::vector<double> serial_write;  // the same file, chunks compressed on one thread
    // As `cascade run` writes: the events stored while the run goes on
    // (ResultsFile), the rest after it.
    std::vector<double> streamed_total;
    std::vector<double> streamed_commit_share;
    std::vector<double> streamed_vs_sequential;
    for (int r = 0; r < (options.quick ? 3 : 5); ++r) {
        double commit = 0.0;
        const double streamed = cascade::bench::wall_seconds([&] {
            cascade::ResultsFile streamed_file(out, s);
            cascade::RunOptions run_options;
            run_options.events = &streamed_file.events();
            const cascade::Results results = cascade::run_simulation(s, run_options);
            commit = cascade::bench::wall_seconds([&] { streamed_file.commit(results); });
        });
        fs::remove(out);

        cascade::Results results;
        const double run =
            cascade::bench::wall_seconds([&] { results = cascade::run_simulation(s); });
        const double written =
            cascade::bench::wall_seconds([&] { cascade::write_results(out, results, s); });
        file_bytes = fs::file_size(out);
        event_count = results.events.size();
        fs::remove(out);
        const unsigned threads_used = results.run.threads;
        results.run.threads = 1;
        serial_write.push_back(
            cascade::bench::wall_seconds([&] { cascade::write_results(out, results, s); }));
        results.run.threads = threads_used;
        fs::remove(out);
        // The same file less the sample paths' liquidation events, for scale.
        cascade::EventVector events = std::move(results.events);
        results.events.clear();
        const double written_no_events =
            cascade::bench::wall_seconds([&] { cascade::write_results(out, results, s); });
        fs::remove(out);
        results.events = std::move(events);
        double t[parts];
        t[population] = results.run.population_seconds;
        t[simulation] = results.run.simulation_seconds;
        t[reduction] = results.run.reduction_seconds;
        t[rest] = run - t[population] - t[simulation] - t[reduction];
        t[write] = written;
        t[total] = run + written;
        t[write_no_events] = written_no_events;
        for (int p = 0; p < parts; ++p) {
            seconds[p].push_back(t[p]);
            share[p].push_back(t[p] / t[total]);
        }
        streamed_total.push_back(streamed);
        streamed_commit_share.push_back(commit / streamed);
        streamed_vs_sequential.push_back(streamed / t[total]);
    }
    const unsigned threads = s.simulation.threads != 0
                                 ? s.simulation.threads
                                 : static_cast<unsigned>(tbb::info::default_concurrency());
    report.section("time split of a default run: " + file.filename().string() + ", " +
                   std::to_string(s.simulation.paths) + " paths x " +
                   std::to_string(s.simulation.grid.steps) + " steps, " +
                   std::to_string(accounts(s)) + " accounts, " + std::to_string(threads) +
                   " threads, wall time");
    const char* names[parts] = {"population build",
                                "simulation",
                                "reduction (quantile bands, metrics)",
                                "rest of run_simulation (allocation)",
                                "HDF5 write (write_results)",
                                "total: run_simulation + write",
                                "HDF5 write less /events (for scale)"};
    char note[96];
    std::snprintf(note, sizeof note, "target < 10 %%; %.1f MB, gzip level %u",
                  static_cast<double>(file_bytes) / 1e6, s.output.compression);
    char events_note[96];
    std::snprintf(events_note, sizeof events_note,
                  "the sample paths' %zu liquidation events left out", event_count);
    // The same run with sketched quantile bands, alternating with exact ones.
    const cascade::Scenario exact = with_bands(s, "exact");
    const cascade::Scenario sketched = with_bands(s, "sketch");
    std::vector<double> exact_seconds;
    std::vector<double> sketch_seconds;
    for (int r = 0; r < (options.quick ? 3 : 5); ++r) {
        exact_seconds.push_back(
            cascade::bench::wall_seconds([&] { (void)cascade::run_simulation(exact); }));
        sketch_seconds.push_back(
            cascade::bench::wall_seconds([&] { (void)cascade::run_simulation(sketched); }));
    }
    for (int p = 0; p < parts; ++p) {
        report.row(names[p], cascade::bench::median(seconds[p]), "s",
                   cascade::bench::median(share[p]), "share of the total",
                   p == write             ? note
                   : p == write_no_events ? events_note
                                          : "");
    }
    const double serial = cascade::bench::median(serial_write);
    report.row("HDF5 write, chunks compressed on 1 thread", serial, "s",
               serial / cascade::bench::median(seconds[write]), "the write above",
               "speed-up of compressing on the run's threads");
    report.row("total, events stored during the run", cascade::bench::median(streamed_total), "s",
               cascade::bench::median(streamed_vs_sequential), "total above",
               "as `cascade run` writes (ResultsFile)");
    report.row("  HDF5 write left after that run", kNone, "",
               cascade::bench::median(streamed_commit_share), "share of its total",
               "target < 10 %");
    report.row("run_simulation, exact quantile bands (baseline)",
               cascade::bench::median(exact_seconds), "s", 1.0, "exact bands", "");
    report.row("run_simulation, sketched quantile bands", cascade::bench::median(sketch_seconds),
               "s", cascade::bench::median(sketch_seconds) / cascade::bench::median(exact_seconds),
               "exact bands", "relative error 0.001; alternating with exact");
}

// ---- Memory ------------------------------------------------------------------------

void memory(const fs::path& file, const cascade::bench::Options& options,
            cascade::bench::Report& report) {
    const std::string scenario = file.string();
    report.section("memory, " + file.filename().string() +
                   " scaled, one child process a figure (resident set size)");

    // The population: 1e6 and 1e7 accounts (--quick: 1e5 and 1e6).
    const std::uint64_t small = options.quick ? 100'000 : 1'000'000;
    const std::uint64_t large = 10 * small;
    const std::string a = child({"--child-population", scenario, std::to_string(small)});
    const std::string b = child({"--child-population", scenario, std::to_string(large)});
    for (const std::string* line : {&a, &b}) {
        const double booked = field(*line, "booked");
        const double bytes = field(*line, "capacity") / booked;
        char note[96];
        std::snprintf(note, sizeof note, "of %.0f built; built in %.1f s on %u threads",
                      field(*line, "accounts"), field(*line, "seconds"),
                      static_cast<unsigned>(tbb::info::default_concurrency()));
        report.row("population books (vector capacities), " + std::to_string(std::llround(booked)),
                   bytes, "B/account", bytes / 48.0, "48 B/account (target)", note);
    }
    const double extra = field(b, "booked") - field(a, "booked");
    const double resident = (field(b, "resident") - field(a, "resident")) / extra;
    const std::string span = std::to_string(large) + " vs " + std::to_string(small);
    report.row("population held, resident, " + span, resident, "B/account", resident / 48.0,
               "48 B/account (target)", "after the build and malloc_trim");
    const double peak = (field(b, "peak") - field(a, "peak")) / extra;
    report.row("population build, peak, " + span, peak, "B/account", peak / 100.0,
               "100 B/account (estimate)", "estimate_run_memory's figure");

    // A run: per path, from the difference between two path counts, at the
    // scenario's population and at 10 times it (4 with --quick). The per-step
    // buffers are allocated in whole 2 MiB huge pages (sim/huge_buffer.hpp):
    // path counts that fill them, or the rounding hides the difference.
    const cascade::Scenario s = cascade::load_scenario(file);
    const std::uint64_t filling = std::max<std::uint64_t>(
        1, (std::uint64_t{2} << 20) / ((s.simulation.grid.steps + 1ULL) * sizeof(double)));
    const std::uint64_t few = filling;
    const std::uint64_t many = (options.quick ? 2 : 4) * filling;
    const std::string larger = options.quick ? "4" : "10";  // population, times the scenario's
    double per_path[2] = {};
    double events[2] = {};
    double population[2] = {};
    for (int i = 0; i < 2; ++i) {
        const std::string factor = i == 0 ? "1" : larger;
        const std::string x =
            child({"--child-run", scenario, factor, std::to_string(few), "exact"});
        const std::string y =
            child({"--child-run", scenario, factor, std::to_string(many), "exact"});
        const double paths = static_cast<double>(many - few);
        per_path[i] = (field(y, "peak") - field(x, "peak")) / paths;
        const double estimated = (field(y, "estimate") - field(x, "estimate")) / paths;
        events[i] = field(y, "events");
        population[i] = field(y, "accounts");
        char note[96];
        std::snprintf(note, sizeof note, "peak from block 2 on, %llu vs %llu paths",
                      static_cast<unsigned long long>(many), static_cast<unsigned long long>(few));
        report.row("run, per path, " + std::to_string(std::llround(population[i])) + " accounts",
                   per_path[i], "B/path", per_path[i] / estimated, "estimate_run_memory per path",
                   note);
    }
    report.row("run per path, " + larger + "x population / 1x", kNone, "",
               per_path[1] / per_path[0], "the same at 1x",
               "target 1: independent of the population");
    // Sketched bands: memory that stops growing with the paths (the per-path
    // columns aside), against exact bands at the same path count.
    {
        const std::uint64_t n = options.quick ? 10'000 : 20'000;
        const std::string exact = child({"--child-run", scenario, "1", std::to_string(n), "exact"});
        const std::string one = child({"--child-run", scenario, "1", std::to_string(n), "sketch"});
        const std::string two =
            child({"--child-run", scenario, "1", std::to_string(2 * n), "sketch"});
        const std::string paths = std::to_string(n) + " paths";
        report.row("run, exact bands, peak, " + paths, field(exact, "peak") / 1e6, "MB", 1.0,
                   "exact bands", "peak from block 2 on");
        report.row("run, sketched bands, peak, " + paths, field(one, "peak") / 1e6, "MB",
                   field(one, "peak") / field(exact, "peak"), "exact bands",
                   "relative error 0.001");
        report.row("run, sketched bands, peak, " + std::to_string(2 * n) + " / " + paths, kNone, "",
                   field(two, "peak") / field(one, "peak"), "the same at half the paths",
                   "1 + the per-path columns and the sketches' widening");
        report.row("run, sketched bands, estimate / peak, " + paths, kNone, "",
                   field(one, "estimate") / field(one, "peak"), "measured peak",
                   "the estimate counts every sketch at its largest");
    }
    for (int i = 0; i < 2; ++i) {
        report.row(
            "sample paths' events, " + std::to_string(std::llround(population[i])) + " accounts",
            events[i] / 1e6, "MB", events[i] / events[0], "the same at 1x",
            "Results::events' capacity; cascade run stores them as they come");
    }
}

}  // namespace

int main(int argc, char** argv) {
    const auto options =
        cascade::bench::parse_options(argc, argv, kUsage, {"--child-population", "--child-run"});
    if (options.has("--child-population")) {
        return child_population(options.positional.at(0), options.number(1, 0));
    }
    if (options.has("--child-run")) {
        return child_run(options.positional.at(0),
                         std::strtod(options.positional.at(1).c_str(), nullptr),
                         options.number(2, 0), options.positional.at(3));
    }
    const fs::path file = options.positional.empty()
                              ? fs::path(CASCADE_SOURCE_DIR) / "scenarios" / "flash-crash.json"
                              : fs::path(options.positional[0]);
    cascade::bench::Report report(options.tsv);
    thread_scaling(file, options, report);
    time_split(file, options, report);
    memory(file, options, report);
    return 0;
}
