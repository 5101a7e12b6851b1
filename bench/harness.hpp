#pragma once
// Timing and reporting for the benchmarks.
//
// Timing: the median of repeated runs, so one slow run on a shared machine
// does not move the figure. Report ratios against a baseline timed the same
// way in the same process, never absolute times alone; compare() interleaves
// the baseline with the work, repetition by repetition, so a change in the
// machine's load hits both sides of each ratio alike. One-thread work is
// timed in the thread's CPU seconds, work on several threads in wall seconds.
//
// Reporting: every benchmark prints its figures as rows of one table (a
// measured median, its unit, a ratio and what the ratio is to). With --tsv the
// rows are tab-separated, for scripts/bench.sh to gather into one table:
//
//   section \t measurement \t median \t unit \t ratio \t ratio to \t note
//
// Every benchmark takes --quick (fewer repetitions and sizes) and --tsv.

#include <time.h>

#include <algorithm>
#include <chrono>
#include <cmath>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <limits>
#include <string>
#include <utility>
#include <vector>

namespace cascade::bench {

inline double median(std::vector<double> values) {
    std::nth_element(values.begin(),
                     values.begin() + static_cast<std::ptrdiff_t>(values.size() / 2), values.end());
    return values[values.size() / 2];
}

// Wall-clock seconds: for work on several threads.
template <class Work>
double wall_seconds(Work&& work) {
    const auto start = std::chrono::steady_clock::now();
    work();
    return std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
}

// CPU seconds of the calling thread (user and system): for one-thread work.
// Time the thread spends descheduled while the machine's other users run is
// not counted, which wall time on a shared machine would be.
template <class Work>
double thread_seconds(Work&& work) {
    const auto now = [] {
        timespec t{};
        clock_gettime(CLOCK_THREAD_CPUTIME_ID, &t);
        return static_cast<double>(t.tv_sec) + 1e-9 * static_cast<double>(t.tv_nsec);
    };
    const double start = now();
    work();
    return now() - start;
}

// One-thread work: the median of its thread CPU seconds.
template <class Work>
double median_seconds(int repetitions, Work&& work) {
    std::vector<double> all;
    for (int i = 0; i < repetitions; ++i) {
        all.push_back(thread_seconds(work));
    }
    return median(std::move(all));
}

// One-thread work against its baseline, timed alternately (thread CPU
// seconds): medians of each side, and the median over repetitions of
// work / baseline.
struct Comparison {
    double baseline_seconds = 0.0;
    double seconds = 0.0;
    double ratio = 0.0;
};

template <class Baseline, class Work>
Comparison compare(int repetitions, Baseline&& baseline, Work&& work) {
    std::vector<double> base;
    std::vector<double> timed;
    std::vector<double> ratios;
    for (int i = 0; i < repetitions; ++i) {
        base.push_back(thread_seconds(baseline));
        timed.push_back(thread_seconds(work));
        ratios.push_back(timed.back() / base.back());
    }
    return {median(base), median(timed), median(std::move(ratios))};
}

struct Options {
    bool quick = false;
    bool tsv = false;
    std::vector<std::string> flags;       // any other --flag, for the benchmark to read
    std::vector<std::string> positional;  // plain arguments

    bool has(const char* flag) const {
        return std::find(flags.begin(), flags.end(), flag) != flags.end();
    }
    // The i-th plain argument as an unsigned number, or `fallback`.
    unsigned long long number(std::size_t i, unsigned long long fallback) const {
        return i < positional.size() ? std::strtoull(positional[i].c_str(), nullptr, 10) : fallback;
    }
};

// --quick, --tsv and --help are common to every benchmark; `known` lists the
// benchmark's own flags. Unknown flags end the program with status 2.
inline Options parse_options(int argc, char** argv, const char* usage,
                             std::vector<std::string> known = {}) {
    Options options;
    for (int i = 1; i < argc; ++i) {
        const std::string arg = argv[i];
        if (arg == "--quick") {
            options.quick = true;
        } else if (arg == "--tsv") {
            options.tsv = true;
        } else if (arg == "--help" || arg == "-h") {
            std::printf("%s", usage);
            std::exit(0);  // NOLINT(concurrency-mt-unsafe): option parsing, before any thread
        } else if (arg.rfind("--", 0) == 0) {
            if (std::find(known.begin(), known.end(), arg) == known.end()) {
                std::fprintf(stderr, "unknown option %s\n%s", arg.c_str(), usage);
                std::exit(2);  // NOLINT(concurrency-mt-unsafe): option parsing, before any thread
            }
            options.flags.push_back(arg);
        } else {
            options.positional.push_back(arg);
        }
    }
    return options;
}

inline constexpr double kNone = std::numeric_limits<double>::quiet_NaN();

// Rows of the one table, printed as they are measured (a long benchmark shows
// its progress): aligned for a reader, or tab-separated with --tsv.
class Report {
  public:
    explicit Report(bool tsv) : tsv_(tsv) {}

    void section(std::string title) {
        section_ = std::move(title);
        if (!tsv_) {
            std::printf("\n%s\n", section_.c_str());
        }
    }

    // `value` or `ratio` kNone: not applicable, printed as "-".
    void row(const std::string& name, double value, const std::string& unit, double ratio,
             const std::string& ratio_to, const std::string& note = "") {
        if (tsv_) {
            std::printf("%s\t%s\t%.6g\t%s\t%.6g\t%s\t%s\n", section_.c_str(), name.c_str(), value,
                        unit.c_str(), ratio, ratio_to.c_str(), note.c_str());
        } else {
            std::printf("  %-44s %10s %-14s %9s  %-26s %s\n", name.c_str(), format(value).c_str(),
                        unit.c_str(), format(ratio).c_str(), ratio_to.c_str(), note.c_str());
        }
        std::fflush(stdout);
    }

    // Three significant figures, or "-".
    static std::string format(double v) {
        if (std::isnan(v)) {
            return "-";
        }
        char text[32];
        const double a = std::abs(v);
        const char* format = a >= 100 ? "%.0f" : a >= 10 ? "%.1f" : a >= 1 ? "%.2f" : "%#.3g";
        std::snprintf(text, sizeof text, format, v);
        return text;
    }

  private:
    bool tsv_;
    std::string section_;
};

}  // namespace cascade::bench
