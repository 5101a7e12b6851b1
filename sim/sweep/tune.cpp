#include "sim/sweep/tune.hpp"

#include <charconv>
#include <chrono>
#include <cmath>
#include <map>

#include <fmt/format.h>
#include <nlohmann/json.hpp>

#include "sim/errors.hpp"
#include "sim/metric_catalog.hpp"
#include "sim/run.hpp"
#include "sim/sweep/grid.hpp"

namespace cascade {
namespace {

[[noreturn]] void bad_target(std::string_view text, const std::string& message) {
    throw InputError({Diagnostic{fmt::format("--target \"{}\"", text), "", message}});
}

std::string_view trim(std::string_view s) {
    while (!s.empty() && s.front() == ' ') {
        s.remove_prefix(1);
    }
    while (!s.empty() && s.back() == ' ') {
        s.remove_suffix(1);
    }
    return s;
}

std::string metric_names() {
    std::string names;
    for (const MetricDefinition& d : metric_catalog()) {
        names += (names.empty() ? "" : ", ") + d.info.name;
    }
    return names;
}

// The three readings of "does this setting meet the target": by the estimate,
// and by either end of its 95 % interval. `sure` uses the pessimistic end, so
// it holds only where the target is met with confidence; `maybe` the
// optimistic end, so it fails only where the target is missed with confidence.
enum class Reading { maybe, estimate, sure };

class Tuner {
  public:
    Tuner(const ScenarioSource& source, const TuneOptions& options)
        : source_(source), options_(options) {}

    TuneResult run() {
        const auto start = std::chrono::steady_clock::now();
        TuneResult result;
        std::uint64_t paths = parse({}).simulation.paths;
        const std::uint64_t max_paths = std::max(options_.max_paths, paths);
        for (std::uint32_t round = 0;; ++round) {
            cache_.clear();
            round_ = round;
            paths_ = paths;
            result = one_round();
            const double width = result.ci_high - result.ci_low;
            if (options_.precision <= 0.0 || width <= options_.precision || paths * 2 > max_paths ||
                result.status == TuneStatus::cannot_be_met) {
                break;
            }
            paths *= 2;
        }
        result.trace = trace_;
        result.seconds =
            std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
        return result;
    }

  private:
    Scenario parse(std::vector<Override> extra) const {
        std::vector<Override> overrides = source_.overrides;
        overrides.insert(overrides.end(), extra.begin(), extra.end());
        return parse_scenario(source_.text, source_.name, overrides);
    }

    double value_at(double t) const {
        const double span = options_.high - options_.low;
        return options_.prefer_high ? options_.high - t * span : options_.low + t * span;
    }

    const TuneEvaluation& evaluate(double t) {
        if (const auto it = cache_.find(t); it != cache_.end()) {
            return it->second;
        }
        const double value = value_at(t);
        Scenario scenario =
            parse({{options_.parameter, exact_json_number(value),
                    fmt::format("--param {} (value {:g})", options_.parameter, value)},
                   {"/simulation/paths", std::to_string(paths_), "tune"}});
        scenario.output.series.clear();
        scenario.output.sample_paths = 0;
        RunOptions run_options;
        run_options.engine = options_.engine;
        run_options.stop = options_.stop;
        const Results results = run_simulation(scenario, run_options);
        if (results.run.paths_completed < paths_) {
            throw std::runtime_error("tune stopped");
        }
        const Metric& metric = results.metric(options_.target.metric);
        TuneEvaluation e;
        e.round = round_;
        e.paths = paths_;
        e.value = value;
        e.metric = metric.value;
        e.ci_low = metric.ci_low;
        e.ci_high = metric.ci_high;
        e.bound = bound(scenario);
        trace_.push_back(e);
        if (options_.on_evaluation) {
            options_.on_evaluation(
                fmt::format("{} = {:<12.6g} {} = {:.6g} [{:.6g}, {:.6g}]  (bound {:.6g}, {} paths)",
                            options_.parameter, value, options_.target.metric, e.metric, e.ci_low,
                            e.ci_high, e.bound, e.paths));
        }
        return cache_.emplace(t, e).first->second;
    }

    double bound(const Scenario& scenario) const {
        const TuneTarget& target = options_.target;
        if (target.bound) {
            return *target.bound;
        }
        const nlohmann::json resolved = nlohmann::json::parse(scenario.resolved_json);
        const nlohmann::json::json_pointer pointer(target.bound_pointer);
        if (!resolved.contains(pointer) || !resolved.at(pointer).is_number()) {
            bad_target(target.text, fmt::format("the bound {} is not a number in the scenario",
                                                target.bound_pointer));
        }
        return resolved.at(pointer).get<double>();
    }

    bool meets(const TuneEvaluation& e, Reading reading) const {
        const TuneTarget& target = options_.target;
        double v = e.metric;
        if (reading != Reading::estimate) {
            const bool pessimistic = reading == Reading::sure;
            // Below a bound, the high end is the pessimistic one.
            v = (pessimistic == target.at_most) ? e.ci_high : e.ci_low;
        }
        if (std::isnan(v)) {
            return false;
        }
        if (target.at_most) {
            return target.strict ? v < e.bound : v <= e.bound;
        }
        return target.strict ? v > e.bound : v >= e.bound;
    }

    // The cheapest t in [0, 1] at which `reading` holds, to the tolerance;
    // NaN when it holds nowhere in the range.
    double boundary(Reading reading) {
        if (meets(evaluate(0.0), reading)) {
            return 0.0;
        }
        if (!meets(evaluate(1.0), reading)) {
            return std::numeric_limits<double>::quiet_NaN();
        }
        const double span = options_.high - options_.low;
        const double tolerance = options_.tolerance > 0.0 ? options_.tolerance : 1e-3 * span;
        double lo = 0.0;
        double hi = 1.0;
        while ((hi - lo) * span > tolerance) {
            const double mid = 0.5 * (lo + hi);
            (meets(evaluate(mid), reading) ? hi : lo) = mid;
        }
        return hi;
    }

    TuneResult one_round() {
        TuneResult r;
        r.paths = paths_;
        const double estimate = boundary(Reading::estimate);
        const double maybe = boundary(Reading::maybe);
        const double sure = boundary(Reading::sure);
        const double nan = std::numeric_limits<double>::quiet_NaN();
        const auto value = [&](double t) { return std::isnan(t) ? nan : value_at(t); };
        // In value terms, the interval runs from where the target may be met
        // to where it is surely met (reversed when the cheap end is high).
        double a = value(maybe);
        double b = value(sure);
        if (options_.prefer_high) {
            std::swap(a, b);
        }
        r.ci_low = a;
        r.ci_high = b;
        r.value = value(estimate);
        const TuneTarget& target = options_.target;
        const std::string cheapest = options_.prefer_high ? "largest" : "smallest";
        const auto ci_end = [&](double v) {
            return std::isnan(v) ? std::string("beyond the range") : fmt::format("{:.6g}", v);
        };
        if (std::isnan(estimate)) {
            r.status = TuneStatus::cannot_be_met;
            const TuneEvaluation& e = evaluate(1.0);
            r.value = nan;
            r.sentence = fmt::format(
                "the target {} cannot be met with {} in [{:g}, {:g}]: at {:g}, {} = {:.6g} (95 % "
                "CI [{:.6g}, {:.6g}]) against a bound of {:.6g}, {} paths",
                target.text, options_.parameter, options_.low, options_.high, e.value,
                target.metric, e.metric, e.ci_low, e.ci_high, e.bound, paths_);
            return r;
        }
        r.status = estimate == 0.0 ? TuneStatus::met_everywhere : TuneStatus::found;
        r.sentence = fmt::format(
            "{} {} meeting {}: {:.6g} (95 % CI [{}, {}]), {} paths per point, {} evaluations{}",
            cheapest, options_.parameter, target.text, r.value, ci_end(r.ci_low), ci_end(r.ci_high),
            paths_, trace_.size(),
            r.status == TuneStatus::met_everywhere
                ? fmt::format("; the whole range meets it, so this is the {} end of the range",
                              options_.prefer_high ? "upper" : "lower")
                : "");
        return r;
    }

    const ScenarioSource& source_;
    const TuneOptions& options_;
    std::map<double, TuneEvaluation> cache_;
    std::vector<TuneEvaluation> trace_;
    std::uint32_t round_ = 0;
    std::uint64_t paths_ = 0;
};

}  // namespace

TuneTarget parse_target(std::string_view text) {
    TuneTarget target;
    target.text = std::string(text);
    std::size_t at = std::string_view::npos;
    std::string_view op;
    for (std::string_view candidate : {"<=", ">=", "<", ">"}) {
        at = text.find(candidate);
        if (at != std::string_view::npos) {
            op = candidate;
            break;
        }
    }
    if (op.empty()) {
        bad_target(text, "expected METRIC <= BOUND (or <, >=, >)");
    }
    target.metric = std::string(trim(text.substr(0, at)));
    const std::string_view bound = trim(text.substr(at + op.size()));
    target.at_most = op[0] == '<';
    target.strict = op.size() == 1;
    if (find_metric(target.metric) == nullptr) {
        bad_target(text, fmt::format("unknown metric \"{}\"; the metrics are: {}", target.metric,
                                     metric_names()));
    }
    if (bound.empty()) {
        bad_target(text, "the bound is missing");
    }
    double number = 0.0;
    const auto [end, error] = std::from_chars(bound.data(), bound.data() + bound.size(), number);
    if (error == std::errc() && end == bound.data() + bound.size()) {
        if (!std::isfinite(number)) {
            bad_target(text, "the bound must be finite");
        }
        target.bound = number;
    } else if (bound.front() == '/') {
        target.bound_pointer = std::string(bound);
    } else {
        target.bound_pointer = "/venue/" + std::string(bound);
    }
    return target;
}

TuneResult run_tune(const ScenarioSource& source, const TuneOptions& options) {
    const std::string where = fmt::format("--param {}", options.parameter);
    if (const char* why = unsweepable_reason(options.parameter)) {
        throw InputError({Diagnostic{where, "", fmt::format("cannot tune it: {}", why)}});
    }
    if (!(std::isfinite(options.low) && std::isfinite(options.high) &&
          options.low < options.high)) {
        throw InputError(
            {Diagnostic{"--range", "",
                        fmt::format("expected LOW:HIGH with LOW < HIGH, both finite; got "
                                    "{:g}:{:g}",
                                    options.low, options.high)}});
    }
    // Both ends must be valid scenarios before anything runs.
    std::vector<Diagnostic> problems;
    for (double value : {options.low, options.high}) {
        std::vector<Override> overrides = source.overrides;
        overrides.push_back({options.parameter, exact_json_number(value),
                             fmt::format("--param {} (value {:g})", options.parameter, value)});
        try {
            const Scenario scenario = parse_scenario(source.text, source.name, overrides);
            if (!options.target.bound) {
                const nlohmann::json resolved = nlohmann::json::parse(scenario.resolved_json);
                const nlohmann::json::json_pointer pointer(options.target.bound_pointer);
                if (!resolved.contains(pointer) || !resolved.at(pointer).is_number()) {
                    problems.push_back({fmt::format("--target \"{}\"", options.target.text), "",
                                        fmt::format("the bound {} is not a number in the scenario",
                                                    options.target.bound_pointer)});
                    break;
                }
            }
        } catch (const InputError& e) {
            problems.insert(problems.end(), e.diagnostics().begin(), e.diagnostics().end());
        } catch (const nlohmann::json::exception&) {
            problems.push_back(
                {fmt::format("--target \"{}\"", options.target.text), "",
                 fmt::format("\"{}\" is not a JSON pointer", options.target.bound_pointer)});
            break;
        }
    }
    if (!problems.empty()) {
        throw InputError(std::move(problems));
    }
    return Tuner(source, options).run();
}

}  // namespace cascade
