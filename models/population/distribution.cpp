#include "models/population/distribution.hpp"

#include <array>
#include <cmath>
#include <numeric>

#include <fmt/format.h>

namespace cascade {
namespace {

template <class... Ts>
struct Overloaded : Ts... {
    using Ts::operator()...;
};
template <class... Ts>
Overloaded(Ts...) -> Overloaded<Ts...>;

constexpr double kInfinity = std::numeric_limits<double>::infinity();

// Below this share of the mass the rejection sampler would need more than
// 10^4 normal draws per value: a population of a million accounts would take
// minutes, and the scenario is almost surely not what was meant.
constexpr double kMinimumLognormalMass = 1e-4;

// Phi(b) - Phi(a) for a <= b. Takes the difference of the two tails on the
// side where both are small, so it stays accurate far out in either tail
// (1 - Phi(a) would cancel to 0 there).
double normal_mass(double a, double b) {
    const double s = std::sqrt(0.5);
    if (a >= 0.0) {
        return 0.5 * (std::erfc(a * s) - std::erfc(b * s));
    }
    if (b <= 0.0) {
        return 0.5 * (std::erfc(-b * s) - std::erfc(-a * s));
    }
    return 1.0 - 0.5 * std::erfc(-a * s) - 0.5 * std::erfc(b * s);
}

// The bounds of a truncated lognormal in standard-normal units.
struct StandardBounds {
    double a;
    double b;
};
StandardBounds standard_bounds(const LognormalDistribution& d) {
    const double mu = std::log(d.median);
    return {(std::log(d.min) - mu) / d.sigma, (std::log(d.max) - mu) / d.sigma};
}

// Share of the untruncated lognormal's mass inside (min, max].
double lognormal_mass(const LognormalDistribution& d) {
    if (d.sigma == 0.0) {
        return d.median > d.min && d.median <= d.max ? 1.0 : 0.0;
    }
    const auto [a, b] = standard_bounds(d);
    return normal_mass(a, b);
}

double sample_histogram(const HistogramDistribution& d, Rng& rng) {
    const double total = std::accumulate(d.weights.begin(), d.weights.end(), 0.0);
    const double target = uniform01(rng) * total;
    // A zero-weight bin never satisfies target < cumulative before an earlier bin does.
    std::size_t bin = d.weights.size();
    double cumulative = 0.0;
    for (std::size_t i = 0; i < d.weights.size(); ++i) {
        cumulative += d.weights[i];
        if (target < cumulative) {
            bin = i;
            break;
        }
    }
    if (bin == d.weights.size()) {
        // Rounding put the target at the very top: take the last bin with weight.
        bin = d.weights.size() - 1;
        while (bin > 0 && d.weights[bin] == 0.0) {
            --bin;
        }
    }
    const double lo = d.edges[bin];
    const double hi = d.edges[bin + 1];
    return lo + (hi - lo) * uniform01(rng);
}

std::string format_number(double x) {
    return std::isinf(x) ? (x > 0 ? "inf" : "-inf") : fmt::format("{:g}", x);
}

// Range::describe's wording for the support, so messages read alike.
Range support_range(const DistributionSupport& s) {
    return Range{s.low, s.high, s.low_open, false};
}

// Records "must be >= 1 (reason), got 0.5" at `pointer`.
void support_error(Diagnostics& diagnostics, std::string pointer, Range range, double got,
                   const DistributionSupport& support) {
    std::string message = "must be " + range.describe();
    if (!support.reason.empty()) {
        message += fmt::format(" ({})", support.reason);
    }
    message += ", got " + format_number(got);
    diagnostics.error(std::move(pointer), std::move(message));
}

// Checks a value the distribution can take (a bound it attains) against the support.
void check_attained(ObjectReader& r, std::string_view key, double x,
                    const DistributionSupport& support) {
    const Range range = support_range(support);
    if (!range.contains(x)) {
        support_error(r.diagnostics(), r.pointer_to(key), range, x, support);
    }
}

// Reads a required number that the distribution attains and checks it against
// the support (only when it was read: a missing key is reported once).
double read_attained(ObjectReader& r, std::string_view key, Range range,
                     const DistributionSupport& support) {
    const std::size_t errors_before = r.diagnostics().size();
    const double x = r.number(key, range);
    if (r.diagnostics().size() == errors_before) {
        check_attained(r, key, x, support);
    }
    return x;
}

// Checks a lower bound that continuous draws exceed strictly (values > x):
// x may equal an open support's lower end.
void check_lower_bound(ObjectReader& r, std::string_view key, double x,
                       const DistributionSupport& support) {
    const Range range{support.low, kInfinity, false, false};
    if (x < support.low) {
        support_error(r.diagnostics(), r.pointer_to(key), range, x, support);
    }
}

// Checks an upper bound against the support's (closed) upper end.
void check_upper_bound(ObjectReader& r, std::string_view key, double x,
                       const DistributionSupport& support) {
    if (x > support.high) {
        support_error(r.diagnostics(), r.pointer_to(key),
                      Range{-kInfinity, support.high, false, false}, x, support);
    }
}

Distribution read_fixed(ObjectReader& r, const DistributionSupport& support) {
    FixedDistribution d;
    d.value = read_attained(r, "value", Range::any(), support);
    return d;
}

Distribution read_uniform(ObjectReader& r, const DistributionSupport& support) {
    UniformDistribution d;
    const std::size_t errors_before = r.diagnostics().size();
    d.min = r.number("min", Range::any());
    d.max = r.number("max", Range::any());
    if (r.diagnostics().size() != errors_before) {
        return d;
    }
    check_attained(r, "min", d.min, support);
    check_attained(r, "max", d.max, support);
    if (!(d.max > d.min)) {
        r.diagnostics().error(r.pointer_to("max"),
                              fmt::format("must be greater than min ({}), got {} (for a single "
                                          "value write the number itself)",
                                          format_number(d.min), format_number(d.max)));
    }
    return d;
}

Distribution read_lognormal(ObjectReader& r, const DistributionSupport& support) {
    LognormalDistribution d;
    const std::size_t errors_before = r.diagnostics().size();
    d.median = r.number("median", Range::positive());
    // Log-space deviations above 10 (a factor e^10 per standard deviation) are
    // almost surely a units mistake; below 1e-9 exp(sigma z) rounds to 1, draws
    // would all equal the median and a bound at the median would never accept
    // one (use "fixed" for a single value).
    d.sigma = r.number("sigma", Range::closed(1e-9, 10.0));
    // By default the support itself truncates (draws are > min, so an open
    // lower end of the support is a valid min).
    const bool min_given = r.has("min");
    d.min = r.number("min", Range::non_negative(), std::max(0.0, support.low));
    check_lower_bound(r, "min", d.min, support);
    const bool max_given = r.has("max");
    if (const auto max = r.optional_number("max", Range::positive())) {
        d.max = *max;
        check_upper_bound(r, "max", d.max, support);
    } else if (std::isfinite(support.high)) {
        d.max = support.high;
        r.resolve("max", d.max);  // absent means infinite, so a finite default is written
    }
    if (!(d.max > d.min)) {
        r.diagnostics().error(r.pointer_to(max_given ? "max" : "min"),
                              fmt::format("the bounds min = {} and max = {} leave nothing: "
                                          "max must be greater than min",
                                          format_number(d.min), format_number(d.max)));
        return d;
    }
    if (r.diagnostics().size() != errors_before) {
        return d;  // a mass computed from parameters already reported wrong would mislead
    }
    const double mass = lognormal_mass(d);
    if (mass < kMinimumLognormalMass) {
        // Point at the bound that cuts away more of the mass.
        bool blame_min = true;
        if (d.sigma > 0.0) {
            const auto [a, b] = standard_bounds(d);
            blame_min = normal_mass(-kInfinity, a) >= normal_mass(b, kInfinity);
        } else {
            blame_min = d.median <= d.min;
        }
        std::string message = fmt::format(
            "the bounds [{}, {}] keep only {:.3g} of the lognormal's mass (median {}, sigma {}); "
            "at least {:g} is needed because values are drawn by rejection, which would take "
            "about {:.3g} draws per value",
            format_number(d.min), format_number(d.max), mass, format_number(d.median),
            format_number(d.sigma), kMinimumLognormalMass, mass > 0.0 ? 1.0 / mass : kInfinity);
        if (blame_min && !min_given) {
            message += " (min defaults to the lower end of the allowed values)";
        } else if (!blame_min && !max_given) {
            message += " (max defaults to the upper end of the allowed values)";
        }
        r.diagnostics().error(r.pointer_to(blame_min ? "min" : "max"), std::move(message));
    }
    return d;
}

Distribution read_pareto(ObjectReader& r, const DistributionSupport& support) {
    ParetoDistribution d;
    d.minimum = read_attained(r, "minimum", Range::positive(), support);
    // Tail indices above 100 put the whole mass within 1 % of the minimum.
    d.alpha = r.number("alpha", Range::left_open(0.0, 100.0));
    if (const auto maximum = r.optional_number("maximum", Range::positive())) {
        d.maximum = *maximum;
        check_upper_bound(r, "maximum", d.maximum, support);
        if (!(d.maximum > d.minimum)) {
            r.diagnostics().error(r.pointer_to("maximum"),
                                  fmt::format("must be greater than minimum ({}), got {}",
                                              format_number(d.minimum), format_number(d.maximum)));
        }
    } else if (std::isfinite(support.high)) {
        d.maximum = support.high;
        r.resolve("maximum", d.maximum);
    }
    if (std::isinf(d.maximum) && d.alpha <= 1.0 && d.alpha > 0.0) {
        r.diagnostics().error(
            r.pointer_to("alpha"),
            fmt::format("a Pareto tail with alpha <= 1 has an infinite mean (got alpha = {}): "
                        "a single draw can exceed any total, so give a \"maximum\" or a larger "
                        "alpha",
                        format_number(d.alpha)));
    }
    return d;
}

Distribution read_histogram(ObjectReader& r, const DistributionSupport& support) {
    HistogramDistribution d;
    const std::size_t errors_before = r.diagnostics().size();
    d.edges = r.number_list("edges", Range::any());
    d.weights = r.number_list("weights", Range::non_negative());
    if (r.diagnostics().size() != errors_before) {
        return d;  // a missing or malformed list: the checks below would only repeat it
    }
    const std::string edges_pointer = r.pointer_to("edges");
    if (d.edges.size() < 2) {
        r.diagnostics().error(
            edges_pointer, fmt::format("needs at least 2 edges (one bin), got {}", d.edges.size()));
        return d;
    }
    for (std::size_t i = 1; i < d.edges.size(); ++i) {
        if (!(d.edges[i] > d.edges[i - 1])) {
            r.diagnostics().error(
                fmt::format("{}/{}", edges_pointer, i),
                fmt::format("edges must be strictly increasing: {} follows {}",
                            format_number(d.edges[i]), format_number(d.edges[i - 1])));
        }
    }
    const Range range = support_range(support);
    if (!range.contains(d.edges.front())) {
        support_error(r.diagnostics(), edges_pointer + "/0", range, d.edges.front(), support);
    }
    if (d.edges.back() > support.high) {
        support_error(r.diagnostics(), fmt::format("{}/{}", edges_pointer, d.edges.size() - 1),
                      range, d.edges.back(), support);
    }
    const std::size_t bins = d.edges.size() - 1;
    if (d.weights.size() != bins) {
        r.diagnostics().error(r.pointer_to("weights"),
                              fmt::format("expected {} weights, one per bin between the {} "
                                          "edges, got {}",
                                          bins, d.edges.size(), d.weights.size()));
    } else if (const double total = std::accumulate(d.weights.begin(), d.weights.end(), 0.0);
               !(total > 0.0 && std::isfinite(total))) {
        r.diagnostics().error(r.pointer_to("weights"),
                              total > 0.0 ? "the weights must add up to a finite number"
                                          : "at least one weight must be positive");
    }
    return d;
}

// The one table of distribution kinds. Built per call because every kind
// checks its parameters against the support of the attribute being read.
ModelRegistry<Distribution> distribution_registry(const DistributionSupport& support) {
    const auto with_support =
        [&support](Distribution (*read)(ObjectReader&, const DistributionSupport&)) {
            return [read, &support](ObjectReader& r) { return read(r, support); };
        };
    return ModelRegistry<Distribution>("distribution", "distribution",
                                       {{"fixed", with_support(read_fixed)},
                                        {"uniform", with_support(read_uniform)},
                                        {"lognormal", with_support(read_lognormal)},
                                        {"pareto", with_support(read_pareto)},
                                        {"histogram", with_support(read_histogram)}});
}

}  // namespace

double sample(const Distribution& distribution, Rng& rng, const StandardNormal& normal) {
    return std::visit(
        Overloaded{
            [](const FixedDistribution& d) { return d.value; },
            [&rng](const UniformDistribution& d) {
                return d.min + (d.max - d.min) * uniform01(rng);
            },
            [&rng, &normal](const LognormalDistribution& d) {
                // The reader guarantees (min, max] holds at least kMinimumLognormalMass.
                for (;;) {
                    const double x = d.median * std::exp(d.sigma * normal(rng));
                    if (x > d.min && x <= d.max) {
                        return x;
                    }
                }
            },
            [&rng](const ParetoDistribution& d) {
                // Inverse CDF of the truncated law, F(x) = (1 - (m/x)^a) / (1 - (m/M)^a):
                // x = m (1 - u c)^(-1/a) with c = 1 - (m/M)^a, in log1p/expm1 form so
                // that neither a large alpha nor a near-infinite maximum loses digits.
                const double c = -std::expm1(d.alpha * std::log(d.minimum / d.maximum));
                const double x =
                    d.minimum * std::exp(-std::log1p(-uniform_open01(rng) * c) / d.alpha);
                return std::min(x, d.maximum);  // rounding must not step past the truncation
            },
            [&rng](const HistogramDistribution& d) { return sample_histogram(d, rng); },
        },
        distribution);
}

double mean(const Distribution& distribution) {
    return std::visit(Overloaded{
                          [](const FixedDistribution& d) { return d.value; },
                          [](const UniformDistribution& d) { return 0.5 * (d.min + d.max); },
                          [](const LognormalDistribution& d) {
                              if (d.sigma == 0.0) {
                                  return d.median;
                              }
                              // E[X; a < Z <= b] = exp(mu + sigma^2/2) (Phi(b - sigma) - Phi(a -
                              // sigma)).
                              const auto [a, b] = standard_bounds(d);
                              return d.median * std::exp(0.5 * d.sigma * d.sigma) *
                                     normal_mass(a - d.sigma, b - d.sigma) / normal_mass(a, b);
                          },
                          [](const ParetoDistribution& d) {
                              // With r = m/M: E = m a/(a-1) (1 - r^(a-1)) / (1 - r^a), and
                              // m ln(1/r) / (1 - r) at a = 1; both infinite when M is infinite and
                              // a <= 1.
                              const double log_r = std::log(d.minimum / d.maximum);
                              const double tail = -std::expm1(d.alpha * log_r);  // 1 - r^a
                              if (d.alpha == 1.0) {
                                  return d.minimum * -log_r / tail;
                              }
                              if (std::isinf(log_r) && d.alpha < 1.0) {
                                  return kInfinity;
                              }
                              const double body =
                                  -std::expm1((d.alpha - 1.0) * log_r) / (d.alpha - 1.0);
                              return d.minimum * d.alpha * body / tail;
                          },
                          [](const HistogramDistribution& d) {
                              double total = 0.0;
                              double weighted = 0.0;
                              for (std::size_t i = 0; i < d.weights.size(); ++i) {
                                  total += d.weights[i];
                                  weighted += d.weights[i] * 0.5 * (d.edges[i] + d.edges[i + 1]);
                              }
                              return weighted / total;
                          },
                      },
                      distribution);
}

std::optional<Distribution> read_distribution(ObjectReader& parent, std::string_view key,
                                              const DistributionSupport& support) {
    const std::size_t errors_before = parent.diagnostics().size();
    std::optional<Distribution> result;
    const nlohmann::json* value = parent.peek(key);
    if (value == nullptr || value->is_number()) {
        // A bare number is a fixed value; written back in the object form so the
        // resolved scenario shows every distribution the same way.
        const double x = parent.number(key, Range::any());
        if (value != nullptr && parent.diagnostics().size() == errors_before) {
            check_attained(parent, key, x, support);
            parent.resolve(key, {{"distribution", "fixed"}, {"value", x}});
            result = FixedDistribution{x};
        }
    } else if (value->is_object()) {
        const auto registry = distribution_registry(support);
        parent.object(
            key, [&](ObjectReader& r) { result = registry.read(r); }, true);
    } else {
        parent.pass_through(key);  // known, so not also reported as unknown
        parent.diagnostics().error(parent.pointer_to(key),
                                   fmt::format("expected a number or a distribution object such as "
                                               "{{\"distribution\": \"lognormal\", ...}}, got {}",
                                               describe_json(*value)));
    }
    if (parent.diagnostics().size() != errors_before) {
        return std::nullopt;
    }
    return result;
}

}  // namespace cascade
