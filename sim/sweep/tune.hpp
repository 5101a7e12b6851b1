#pragma once
// `cascade tune`: the cheapest value of one scenario parameter that meets a
// risk target, found by bisection on common random numbers, with a 95 %
// confidence interval for the answer.

#include <atomic>
#include <cstdint>
#include <functional>
#include <optional>
#include <string>
#include <vector>

#include "sim/path_kernel.hpp"
#include "sim/sweep/sweep.hpp"

namespace cascade {

// "METRIC OP BOUND": OP one of <=, <, >=, >; BOUND a number, a JSON pointer
// into the scenario ("/venue/insurance_fund"), or a venue field's name
// ("insurance_fund" for /venue/insurance_fund), read from the scenario of the
// point being tested.
struct TuneTarget {
    std::string metric;
    bool at_most = true;  // <= or <: the metric must stay below the bound
    bool strict = false;  // < or >
    std::optional<double> bound;
    std::string bound_pointer;  // when the bound comes from the scenario
    std::string text;
};
TuneTarget parse_target(std::string_view text);

struct TuneOptions {
    std::string parameter;  // JSON pointer of the tuned value
    double low = 0.0;       // the range searched
    double high = 0.0;
    bool prefer_high = false;  // false: the smallest value that meets the target
    TuneTarget target;
    // Bisection stops when a bracket is narrower than this (default: 1e-3 of the range).
    double tolerance = 0.0;
    // Paths are doubled, up to max_paths, while the interval of the answer is
    // wider than `precision` (0: one round at the scenario's paths).
    std::uint64_t max_paths = 0;
    double precision = 0.0;
    EngineKind engine = EngineKind::cursor;
    std::function<void(const std::string& line)> on_evaluation;
    const std::atomic<int>* stop = nullptr;
};

// One simulated setting.
struct TuneEvaluation {
    std::uint32_t round = 0;
    std::uint64_t paths = 0;
    double value = 0.0;  // of the tuned parameter
    double metric = 0.0;
    double ci_low = 0.0;
    double ci_high = 0.0;
    double bound = 0.0;
};

enum class TuneStatus {
    found,           // the answer lies inside the range
    met_everywhere,  // even the cheapest end of the range meets the target
    cannot_be_met,   // not even the dearest end meets it
};

struct TuneResult {
    TuneStatus status = TuneStatus::found;
    double value = 0.0;   // the cheapest value whose estimate meets the target
    double ci_low = 0.0;  // 95 % interval of the threshold (NaN: beyond the range)
    double ci_high = 0.0;
    std::uint64_t paths = 0;  // per evaluation, in the last round
    std::vector<TuneEvaluation> trace;
    std::string sentence;  // the result, in words
    double seconds = 0.0;
};

TuneResult run_tune(const ScenarioSource& source, const TuneOptions& options);

}  // namespace cascade
