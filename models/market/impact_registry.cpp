#include "models/market/impact_registry.hpp"

#include <cmath>

namespace cascade {
namespace {

// Bounded so that the derived slopes stay ordinary doubles.
const Range kNotional = Range::closed(1e-6, 1e18);

// /market/impact/elastic_depth: the book thins as realised volatility rises.
ElasticDepth read_elastic_depth(ObjectReader& r) {
    ElasticDepth e;
    e.on = true;
    e.elasticity = r.number("elasticity", Range::closed(0.0, 10.0));
    e.reference_volatility = r.number("reference_volatility", Range::left_open(0.0, 100.0));
    e.window_seconds = r.duration("window", Range::positive()).seconds;
    e.min_multiplier = r.number("min_multiplier", Range::left_open(0.0, 1.0), 0.1);
    e.max_multiplier = r.number("max_multiplier", Range::closed(1.0, 1000.0), 1.0);
    return e;
}

// What every model with a book shares: resilience, the floor, elastic depth.
void read_book(ObjectReader& r, ImpactConfig& c) {
    if (const auto half_life = r.optional_duration("half_life", Range::positive())) {
        c.half_life_seconds = half_life->seconds;
    }
    c.floor = r.number("floor", Range::open(0.0, 1.0), 0.01);
    c.log_floor = std::log(c.floor);
    r.optional_object("elastic_depth", [&](ObjectReader& elastic) {
        c.elastic_depth = read_elastic_depth(elastic);
    });
}

// Linear in log price. The size of the impact is given one of three ways:
//   depth_1pct: quote notional (at the initial price) whose sale moves the price 1 %
//   depth_2pct: the same for 2 %
//   per_notional: change in log price per unit of quote notional
ImpactConfig read_linear(ObjectReader& r) {
    ImpactConfig c;
    c.shape = ImpactShape::linear;
    const auto depth_1 = r.optional_number("depth_1pct", kNotional);
    const auto depth_2 = r.optional_number("depth_2pct", kNotional);
    const auto per_notional = r.optional_number("per_notional", Range::left_open(0.0, 1e6));
    const int given = (depth_1 ? 1 : 0) + (depth_2 ? 1 : 0) + (per_notional ? 1 : 0);
    if (given != 1) {
        r.diagnostics().error(r.pointer(),
                              "give the impact's size as exactly one of \"depth_1pct\", "
                              "\"depth_2pct\" (quote notional that moves the price 1 % or 2 %) or "
                              "\"per_notional\" (change in log price per unit of notional)");
    } else if (depth_1) {
        c.per_notional = -std::log(0.99) / *depth_1;
    } else if (depth_2) {
        c.per_notional = -std::log(0.98) / *depth_2;
    } else {
        c.per_notional = *per_notional;
    }
    read_book(r, c);
    return c;
}

// The square-root law, stated as a practitioner states it: the day's volume
// (quote notional at the initial price), the daily volatility, and Y.
ImpactConfig read_square_root(ObjectReader& r) {
    ImpactConfig c;
    c.shape = ImpactShape::square_root;
    c.daily_volume = r.number("daily_volume", kNotional);
    const double volatility = r.number("volatility", Range::closed(1e-6, 10.0));
    const double y = r.number("Y", Range::closed(1e-3, 100.0), 1.0);
    c.scale = y * volatility;
    read_book(r, c);
    return c;
}

ImpactConfig read_none(ObjectReader&) {
    return {};
}

}  // namespace

ModelRegistry<ImpactConfig> impact_registry() {
    return ModelRegistry<ImpactConfig>(
        "impact model", "model",
        {{"none", read_none}, {"linear", read_linear}, {"square_root", read_square_root}});
}

}  // namespace cascade
