#include "models/price/price_model_registry.hpp"

#include <array>

namespace cascade {
namespace {

// Annualised volatilities above 1000 % are almost surely a units mistake.
const Range kVolatility = Range::closed(0.0, 10.0);
const Range kDrift = Range::closed(-10.0, 10.0);

PriceModel read_gbm(ObjectReader& r) {
    GbmParams p;
    p.drift = r.number("drift", kDrift, 0.0);
    p.volatility = r.number("volatility", kVolatility);
    return p;
}

PriceModel read_merton(ObjectReader& r) {
    MertonParams p;
    p.drift = r.number("drift", kDrift, 0.0);
    p.volatility = r.number("volatility", kVolatility);
    p.jump_intensity = r.number("jump_intensity", Range::closed(0.0, 1e6));
    p.jump_mean = r.number("jump_mean", Range::closed(-5.0, 5.0));
    p.jump_stdev = r.number("jump_stdev", Range::closed(0.0, 5.0));
    return p;
}

PriceModel read_garch(ObjectReader& r) {
    GarchParams p;
    p.drift = r.number("drift", kDrift, 0.0);
    p.long_run_volatility = r.number("long_run_volatility", Range::left_open(0.0, 10.0));
    p.alpha = r.number("alpha", Range::right_open(0.0, 1.0));
    p.beta = r.number("beta", Range::right_open(0.0, 1.0));
    if (p.alpha + p.beta >= 1.0) {
        r.diagnostics().error(r.pointer_to("beta"),
                              fmt::format("alpha + beta must be < 1 for a finite long-run "
                                          "variance, got {} + {} = {}",
                                          p.alpha, p.beta, p.alpha + p.beta));
    }
    p.initial_volatility =
        r.number("initial_volatility", Range::left_open(0.0, 10.0), p.long_run_volatility);
    static constexpr std::array<std::string_view, 2> kInnovations = {"normal", "student_t"};
    const std::string innovations = r.choice("innovations", kInnovations, "normal");
    if (innovations == "student_t") {
        p.innovations = Innovations::student_t;
        p.degrees_of_freedom = r.number("degrees_of_freedom", Range::above(2.0));
    } else if (r.has("degrees_of_freedom")) {
        r.number("degrees_of_freedom", Range::any());  // known here, but meaningless:
        r.diagnostics().error(r.pointer_to("degrees_of_freedom"),
                              "only used with \"innovations\": \"student_t\"");
    }
    return p;
}

}  // namespace

ModelRegistry<PriceModel> price_model_registry() {
    return ModelRegistry<PriceModel>(
        "price model", "model",
        {{"gbm", read_gbm}, {"merton", read_merton}, {"garch", read_garch}});
}

}  // namespace cascade
