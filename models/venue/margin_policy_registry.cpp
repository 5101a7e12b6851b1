#include "models/venue/margin_policy_registry.hpp"

#include <fmt/format.h>

namespace cascade {
namespace {

MarginPolicy read_flat(ObjectReader&) {
    return {};
}

MarginPolicy read_volatility_scaled(ObjectReader& r) {
    MarginPolicy p;
    p.kind = MarginPolicy::Kind::volatility_scaled;
    p.window_seconds = r.duration("window", Range::positive()).seconds;
    p.reference_volatility = r.number("reference_volatility", Range::left_open(0.0, 100.0));
    p.floor = r.number("floor", Range::open(0.0, 1.0));
    p.cap = r.number("cap", Range::open(0.0, 1.0));
    if (p.floor > p.cap) {
        r.diagnostics().error(
            r.pointer_to("cap"),
            fmt::format("must be at least floor ({:g}), got {:g}", p.floor, p.cap));
    }
    return p;
}

}  // namespace

ModelRegistry<MarginPolicy> margin_policy_registry() {
    return ModelRegistry<MarginPolicy>(
        "margin policy", "model",
        {{"flat", read_flat}, {"volatility_scaled", read_volatility_scaled}});
}

}  // namespace cascade
