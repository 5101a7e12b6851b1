#include "models/market/impact_registry.hpp"

#include <cmath>

namespace cascade {
namespace {

// Linear in log price. The size of the impact is given one of three ways:
//   depth_1pct: quote notional (at the initial price) whose sale moves the price 1 %
//   depth_2pct: the same for 2 %
//   per_notional: change in log price per unit of quote notional
ImpactConfig read_linear(ObjectReader& r) {
    ImpactConfig c;
    // Bounded so that the derived slopes stay ordinary doubles.
    const Range depth = Range::closed(1e-6, 1e18);
    const auto depth_1 = r.optional_number("depth_1pct", depth);
    const auto depth_2 = r.optional_number("depth_2pct", depth);
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
    if (const auto half_life = r.optional_duration("half_life", Range::positive())) {
        c.half_life_seconds = half_life->seconds;
    }
    c.floor = r.number("floor", Range::open(0.0, 1.0), 0.01);
    return c;
}

ImpactConfig read_none(ObjectReader&) {
    return {};
}

}  // namespace

ModelRegistry<ImpactConfig> impact_registry() {
    return ModelRegistry<ImpactConfig>("impact model", "model",
                                       {{"none", read_none}, {"linear", read_linear}});
}

}  // namespace cascade
