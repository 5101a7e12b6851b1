#pragma once
// Distributions of account attributes (leverage, position notional, entry
// price relative to the initial price), sampled once when a population is
// built. A small closed family, selected in the scenario by "distribution".

#include <limits>
#include <optional>
#include <string>
#include <string_view>
#include <variant>
#include <vector>

#include "sim/random/streams.hpp"
#include "sim/random/variates.hpp"
#include "sim/scenario/model_registry.hpp"

namespace cascade {

struct FixedDistribution {
    double value = 0.0;
};

// Uniform on [min, max].
struct UniformDistribution {
    double min = 0.0;
    double max = 0.0;
};

// Lognormal with the given median (exp(mu)) and log-space standard deviation,
// truncated to [min, max] (by rejection: the bounds must keep a reasonable share
// of the mass, which the reader checks).
struct LognormalDistribution {
    double median = 1.0;
    double sigma = 0.0;
    double min = 0.0;
    double max = std::numeric_limits<double>::infinity();
};

// Pareto (type I) with scale `minimum` and tail index `alpha`, truncated above
// at `maximum` (infinite by default): P(X > x) = (minimum / x)^alpha.
struct ParetoDistribution {
    double minimum = 1.0;
    double alpha = 1.0;
    double maximum = std::numeric_limits<double>::infinity();
};

// Piecewise-uniform: bin i is [edges[i], edges[i+1]) with probability
// weights[i] / sum(weights).
struct HistogramDistribution {
    std::vector<double> edges;
    std::vector<double> weights;
};

using Distribution = std::variant<FixedDistribution, UniformDistribution, LognormalDistribution,
                                  ParetoDistribution, HistogramDistribution>;

// One draw. Deterministic given the generator's state.
double sample(const Distribution& distribution, Rng& rng, const StandardNormal& normal);

// Exact mean of the (truncated) distribution, for tests and summaries.
double mean(const Distribution& distribution);

// Reads a distribution object ({"distribution": "lognormal", ...}); a bare
// number is read as a fixed value. `support` bounds every value the
// distribution can produce (e.g. leverage >= 1, notional > 0): parameters that
// would allow values outside it are errors located at the offending key.
// Returns nothing after recording diagnostics.
struct DistributionSupport {
    double low = 0.0;
    bool low_open = true;
    double high = std::numeric_limits<double>::infinity();
    // Why the bound exists, quoted in messages ("leverage below 1 would mean
    // borrowing a negative amount"); may be empty.
    std::string reason = {};
};
std::optional<Distribution> read_distribution(ObjectReader& parent, std::string_view key,
                                              const DistributionSupport& support);

}  // namespace cascade
