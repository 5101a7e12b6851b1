#include "sim/metric_catalog.hpp"

#include <algorithm>
#include <cmath>
#include <stdexcept>

#include <fmt/format.h>

#include "sim/random/streams.hpp"
#include "sim/risk_metrics.hpp"
#include "sim/statistics.hpp"

namespace cascade {
namespace {

std::vector<MetricDefinition> make_catalog() {
    std::vector<MetricDefinition> c;
    c.push_back({{"bad_debt_mean", "quote currency", "mean bad debt per path"},
                 MetricKind::mean,
                 "bad_debt"});
    c.push_back({{"p_bad_debt", "probability", "probability that a path ends with bad debt"},
                 MetricKind::share_positive,
                 "bad_debt"});
    c.push_back({{"p_fund_exhausted", "probability",
                  "probability that the insurance fund balance reaches zero on a path"},
                 MetricKind::share_nonpositive,
                 "insurance_fund_min"});
    for (const auto& [level, tag] :
         {std::pair{0.95, "95"}, std::pair{0.99, "99"}, std::pair{0.999, "999"}}) {
        const std::string percent = fmt::format("{:g}", level * 100);
        const std::string tail = fmt::format("{:g}", 100 - level * 100);
        c.push_back({{fmt::format("bad_debt_var{}", tag), "quote currency",
                      fmt::format("value at risk of bad debt at {} %: its {} % quantile over paths",
                                  percent, percent)},
                     MetricKind::quantile,
                     "bad_debt",
                     level});
        c.push_back(
            {{fmt::format("bad_debt_es{}", tag), "quote currency",
              fmt::format("expected shortfall of bad debt at {} %: mean of the worst {} % of paths",
                          percent, tail)},
             MetricKind::tail_mean,
             "bad_debt",
             level});
    }
    c.push_back(
        {{"liquidated_notional_mean", "quote currency", "mean liquidated notional per path"},
         MetricKind::mean,
         "liquidated_notional"});
    for (const auto& [level, tag] : {std::pair{0.95, "95"}, std::pair{0.99, "99"}}) {
        c.push_back({{fmt::format("liquidated_notional_var{}", tag), "quote currency",
                      fmt::format("liquidations at risk at {} %: the {} % quantile over paths of "
                                  "the liquidated notional",
                                  tag, tag)},
                     MetricKind::quantile,
                     "liquidated_notional",
                     level});
    }
    // The loss waterfall after the fund: how often and how much it reached
    // the profitable traders instead of bad debt.
    c.push_back({{"p_adl", "probability",
                  "probability that a path auto-deleverages profitable opposite-side accounts"},
                 MetricKind::share_positive,
                 "adl_notional"});
    c.push_back({{"adl_notional_mean", "quote currency", "mean auto-deleveraged notional per path"},
                 MetricKind::mean,
                 "adl_notional"});
    c.push_back({{"socialised_loss_mean", "quote currency", "mean socialised loss per path"},
                 MetricKind::mean,
                 "socialised_loss"});
    // The liquidators' profit floor: the loss it leaves open instead of
    // booking it as bad debt.
    c.push_back({{"p_passed_over_deficit", "probability",
                  "probability that a path ends with accounts the liquidators passed over owing "
                  "more than their margin"},
                 MetricKind::share_positive,
                 "passed_over_deficit"});
    c.push_back({{"passed_over_deficit_mean", "quote currency",
                  "mean over paths of what the accounts the liquidators passed over owe beyond "
                  "their margin at the horizon"},
                 MetricKind::mean,
                 "passed_over_deficit"});
    c.push_back({{"liquidations_mean", "accounts", "mean number of accounts liquidated per path"},
                 MetricKind::mean,
                 "liquidations"});
    c.push_back(
        {{"cascade_amplification_mean", "1", "mean over paths of the cascade amplification"},
         MetricKind::mean,
         "cascade_amplification"});
    c.push_back({{"final_price_mean", "quote currency", "mean market price at the horizon"},
                 MetricKind::mean,
                 "final_price"});
    c.push_back({{"max_drawdown_mean", "fraction",
                  "mean over paths of the largest fall from a running peak"},
                 MetricKind::mean,
                 "max_drawdown"});
    return c;
}

// 1 where the path passes the share's test, 0 elsewhere.
std::vector<double> indicator(MetricKind kind, std::span<const double> column) {
    std::vector<double> passed(column.size());
    for (std::size_t p = 0; p < column.size(); ++p) {
        const bool pass = kind == MetricKind::share_positive ? column[p] > 0.0 : column[p] <= 0.0;
        passed[p] = pass ? 1.0 : 0.0;
    }
    return passed;
}

// The point estimate alone, on a copy it may reorder.
double estimate(const MetricDefinition& d, std::vector<double> values) {
    switch (d.kind) {
        case MetricKind::quantile: {
            const double level = d.level;
            return quantiles_type7(values, std::span<const double>(&level, 1))[0];
        }
        case MetricKind::tail_mean:
            return expected_shortfall(d.info, values, d.level).value;
        default:
            throw std::logic_error("estimate: only for quantiles and tail means");
    }
}

}  // namespace

const std::vector<MetricDefinition>& metric_catalog() {
    static const std::vector<MetricDefinition> catalog = make_catalog();
    return catalog;
}

const MetricDefinition* find_metric(std::string_view name) {
    for (const MetricDefinition& d : metric_catalog()) {
        if (d.info.name == name) {
            return &d;
        }
    }
    return nullptr;
}

Metric compute_metric(const MetricDefinition& d, std::span<const double> column) {
    switch (d.kind) {
        case MetricKind::mean:
            return mean_metric(d.info, column);
        case MetricKind::share_positive:
            return exceedance_probability(d.info, column, 0.0);
        case MetricKind::share_nonpositive:
            return exceedance_probability(d.info, indicator(d.kind, column), 0.5);
        case MetricKind::quantile:
            return value_at_risk(d.info, column, d.level);
        case MetricKind::tail_mean:
            return expected_shortfall(d.info, column, d.level);
    }
    throw std::logic_error("compute_metric: unknown kind");
}

PairedDifference paired_difference(const MetricDefinition& d, std::span<const double> x,
                                   std::span<const double> baseline, std::uint64_t seed,
                                   std::uint64_t stream, unsigned resamples) {
    if (x.size() != baseline.size()) {
        throw std::invalid_argument("paired_difference: the settings ran different paths");
    }
    const std::size_t n = x.size();
    PairedDifference out;
    out.value = compute_metric(d, x).value - compute_metric(d, baseline).value;
    if (n < 2) {
        out.standard_error = std::numeric_limits<double>::quiet_NaN();
        return out;
    }
    if (d.kind == MetricKind::mean || d.kind == MetricKind::share_positive ||
        d.kind == MetricKind::share_nonpositive) {
        std::vector<double> a(x.begin(), x.end());
        std::vector<double> b(baseline.begin(), baseline.end());
        if (d.kind != MetricKind::mean) {
            a = indicator(d.kind, x);
            b = indicator(d.kind, baseline);
        }
        std::vector<double> diff(n);
        for (std::size_t p = 0; p < n; ++p) {
            diff[p] = a[p] - b[p];
        }
        out.standard_error = mean_metric(d.info, diff).standard_error;
        return out;
    }
    // Paired bootstrap: the same resampled paths for both settings.
    Rng rng = make_stream(seed, stream, StreamPurpose::bootstrap);
    std::vector<double> a(n);
    std::vector<double> b(n);
    std::vector<double> differences(resamples);
    for (unsigned r = 0; r < resamples; ++r) {
        for (std::size_t i = 0; i < n; ++i) {
            const auto p = static_cast<std::size_t>(uniform01(rng) * static_cast<double>(n));
            const std::size_t path = std::min(p, n - 1);
            a[i] = x[path];
            b[i] = baseline[path];
        }
        differences[r] = estimate(d, a) - estimate(d, b);
    }
    out.standard_error =
        mean_metric(d.info, differences).standard_error * std::sqrt(static_cast<double>(resamples));
    return out;
}

}  // namespace cascade
