// Square-root impact: the move of known orders from known states, the fill
// against a numerical average over the units, concavity, splitting an order,
// the floor, and the depth multiplier shared with the linear model.

#include <doctest/doctest.h>

#include <cmath>

#include "models/market/impact.hpp"

namespace cascade {
namespace {

// A day's volume of 1e6 units and c = Y sigma = 1 x 0.05: trading the whole
// day at once moves the log price by 0.05, trading 1 % of it by 0.005.
constexpr double kVolume = 1e6;
constexpr double kScale = 0.05;

// The definition, straight: the state m is the signed quantity
// s(m) = -sign(m) V (m / c)^2 already traded (positive: sold), and after s
// units the price factor is exp(-sign(s) c sqrt(|s| / V)), never below the floor.
double price_factor(double s, double floor) {
    const double m = -std::copysign(kScale * std::sqrt(std::abs(s) / kVolume), s);
    return std::max(std::exp(m), floor);
}

// The fill factor of `net_sold` units from state m, as the midpoint rule's
// average of the price over the order's units, relative to exp(m).
double numerical_fill(double m, double net_sold, double floor) {
    const double s0 = -std::copysign(kVolume * (m / kScale) * (m / kScale), m);
    constexpr int kPoints = 2'000'000;
    const double h = net_sold / kPoints;
    double sum = 0.0;
    for (int i = 0; i < kPoints; ++i) {
        sum += price_factor(s0 + (i + 0.5) * h, floor);
    }
    return sum / kPoints / std::exp(m);
}

}  // namespace

TEST_CASE("square-root impact of known orders from known states") {
    const ImpactConfig impact = square_root_impact(kVolume, kScale, 1e-9);
    // 1 % of the day's volume from rest: 0.05 x sqrt(0.01).
    CHECK(apply_impact(impact, 0.0, 1e4).after == doctest::Approx(-0.005).epsilon(1e-15));
    CHECK(apply_impact(impact, 0.0, -1e4).after == doctest::Approx(0.005).epsilon(1e-15));
    // From -0.005 (1e4 units already sold) another 3e4: 4 % in all, 0.05 x 0.2.
    CHECK(apply_impact(impact, -0.005, 3e4).after == doctest::Approx(-0.01).epsilon(1e-14));
    // From +0.01 (4e4 bought) selling 3e4 leaves 1e4 bought: +0.005; selling
    // 5e4 goes through rest to 1e4 sold: -0.005.
    CHECK(apply_impact(impact, 0.01, 3e4).after == doctest::Approx(0.005).epsilon(1e-13));
    CHECK(apply_impact(impact, 0.01, 5e4).after == doctest::Approx(-0.005).epsilon(1e-13));
    // Nothing traded, nothing moves.
    const ImpactMove none = apply_impact(impact, -0.3, 0.0);
    CHECK(none.after == -0.3);
    CHECK(none.fill_factor == 1.0);
    // From rest the fill is the closed form 2 (1 - (1 + x) e^-x) / x^2 with x = 0.005
    // (in long double, where the difference keeps its digits) ...
    const long double x = 0.005L;
    const auto closed = static_cast<double>(2.0L * (1.0L - (1.0L + x) * std::exp(-x)) / (x * x));
    CHECK(apply_impact(impact, 0.0, 1e4).fill_factor == doctest::Approx(closed).epsilon(1e-14));
    // ... which for a small order costs two thirds of the final impact, the
    // classic result for the square-root law.
    const ImpactMove small = apply_impact(impact, 0.0, 1.0);  // x = 5e-5
    CHECK((1.0 - small.fill_factor) / -small.after == doctest::Approx(2.0 / 3.0).epsilon(1e-4));
}

TEST_CASE("the square-root fill is the average price over the order's units") {
    const double floor = 0.9;
    const ImpactConfig impact = square_root_impact(kVolume, kScale, floor);
    struct Case {
        const char* what;
        double m;
        double net_sold;
    };
    const Case cases[] = {
        {"a sale from rest", 0.0, 3e5},
        {"a purchase from rest", 0.0, -3e5},
        {"a sale from a sold state", -0.02, 2e5},
        {"a purchase from a bought state", 0.03, -1e5},
        {"a sale that undoes part of a purchase", 0.03, 1e5},
        {"a sale through rest", 0.03, 6e5},
        {"a purchase through rest", -0.04, -9e5},
        {"a tiny sale", -0.01, 0.5},
        {"a sale that reaches the floor", -0.02, 2e7},  // the floor at x = -ln 0.9 = 0.105
        {"a sale through rest to the floor", 0.02, 2e7},
        {"a sale at the floor", std::log(floor), 1e5},
        {"a purchase from the floor", std::log(floor), -1e5},
    };
    for (const Case& c : cases) {
        INFO(c.what);
        const ImpactMove move = apply_impact(impact, c.m, c.net_sold);
        CHECK(move.fill_factor ==
              doctest::Approx(numerical_fill(c.m, c.net_sold, floor)).epsilon(1e-9));
        CHECK(move.after >= std::log(floor));
        // The fill lies between the prices before and after.
        const double lo = std::min(1.0, std::exp(move.after - c.m));
        const double hi = std::max(1.0, std::exp(move.after - c.m));
        CHECK(move.fill_factor >= lo * (1 - 1e-15));
        CHECK(move.fill_factor <= hi * (1 + 1e-15));
    }
    const ImpactMove floored = apply_impact(impact, -0.02, 2e7);
    CHECK(floored.after == std::log(floor));
}

TEST_CASE("square-root impact is concave, and splitting an order changes nothing") {
    const ImpactConfig impact = square_root_impact(kVolume, kScale, 1e-9);
    // Four times the order, twice the move; twice the order, less than twice.
    const double one = apply_impact(impact, 0.0, 2e4).after;
    CHECK(apply_impact(impact, 0.0, 8e4).after == doctest::Approx(2.0 * one).epsilon(1e-14));
    CHECK(apply_impact(impact, 0.0, 4e4).after > 2.0 * one);
    // Each further block of the same size moves the price less.
    double m = 0.0;
    double last_move = INFINITY;
    for (int i = 0; i < 10; ++i) {
        const double next = apply_impact(impact, m, 2e4).after;
        CHECK(m - next < last_move);
        last_move = m - next;
        m = next;
    }
    // Two orders in a row (two rounds of one step) end where the whole order
    // ends and cost what it costs: the state is the quantity already traded.
    for (const double m0 : {0.0, -0.01, 0.005, 0.02}) {
        INFO("from m = " << m0);
        const ImpactMove first = apply_impact(impact, m0, 3e4);
        const ImpactMove second = apply_impact(impact, first.after, 5e4);
        const ImpactMove whole = apply_impact(impact, m0, 8e4);
        CHECK(second.after == doctest::Approx(whole.after).epsilon(1e-13));
        const double paid = 3e4 * first.fill_factor * std::exp(m0) +
                            5e4 * second.fill_factor * std::exp(first.after);
        CHECK(paid == doctest::Approx(8e4 * whole.fill_factor * std::exp(m0)).epsilon(1e-13));
    }
}

TEST_CASE("a deeper or thinner book divides the impact of every order from rest") {
    const ImpactConfig sqrt_impact = square_root_impact(kVolume, kScale, 1e-9);
    const ImpactConfig linear = linear_impact(1e-6, 1e-9);
    for (const ImpactConfig* impact : {&sqrt_impact, &linear}) {
        const double normal = apply_impact(*impact, 0.0, 5e4).after;
        // Half the depth: exactly twice the move (powers of two are exact).
        CHECK(apply_impact(impact->with_depth(0.5), 0.0, 5e4).after == 2.0 * normal);
        CHECK(apply_impact(impact->with_depth(0.3), 0.0, 5e4).after ==
              doctest::Approx(normal / 0.3).epsilon(1e-15));
        CHECK(apply_impact(impact->with_depth(4.0), 0.0, 5e4).after == normal / 4.0);
        // The floor and the resilience belong to the book, not to its depth.
        CHECK(impact->with_depth(0.3).log_floor == impact->log_floor);
        CHECK(impact->with_depth(0.3).half_life_seconds == impact->half_life_seconds);
    }
}

TEST_CASE("the integrals behind the square-root fill are accurate on both sides of d = 1") {
    // int_0^d t e^(-s t) dt in long double from its closed form, where the
    // closed form has bits to spare.
    const auto exact = [](double s, double d) {
        const long double ld = d;
        return s > 0 ? static_cast<double>(1.0L - (1.0L + ld) * std::exp(-ld))
                     : static_cast<double>((ld - 1.0L) * std::exp(ld) + 1.0L);
    };
    for (const double s : {1.0, -1.0}) {
        for (const double d : {0.3, 0.999999, 1.0, 1.000001, 3.0}) {
            INFO("s = " << s << ", d = " << d);
            CHECK(detail::integral_t_exp(s, d) == doctest::Approx(exact(s, d)).epsilon(1e-15));
        }
        // Small d: about d^2 / 2, where the closed form would cancel.
        CHECK(detail::integral_t_exp(s, 1e-8) ==
              doctest::Approx(0.5e-16 - s * 1e-24 / 3.0).epsilon(1e-15));
    }
}

}  // namespace cascade
