#include <doctest/doctest.h>

#include <array>
#include <cmath>
#include <cstddef>
#include <cstdint>
#include <numbers>
#include <string>

#include "sim/random/streams.hpp"
#include "sim/random/variates.hpp"

// Every Monte Carlo check asserts |estimate - truth| < 4 SE, with the SE derived
// from the target distribution's own moments, never from the sample. Seeds are
// fixed, so each check is deterministic; a correct sampler would fail a given
// seed with probability ~6e-5 per check (more for the dof-5 variance, see
// there). Truths come from std::erfc and closed forms, independent of the code
// under test.

namespace {

using cascade::make_stream;
using cascade::StandardNormal;
using cascade::StreamPurpose;

constexpr std::uint64_t kSeed = 20240611;

void check_within_4se(const char* what, double estimate, double truth, double se) {
    INFO(std::string(what), ": estimate ", estimate, ", truth ", truth, ", SE ", se);
    CHECK(std::abs(estimate - truth) < 4.0 * se);
}

// SE of a sample proportion with true probability p.
double proportion_se(double p, double n) {
    return std::sqrt(p * (1.0 - p) / n);
}

double variates_normal_cdf(double z) {
    return 0.5 * std::erfc(-z / std::numbers::sqrt2);
}
double normal_upper_tail(double z) {
    return 0.5 * std::erfc(z / std::numbers::sqrt2);
}

// The ziggurat's tail start (Marsaglia & Tsang 2000, 256 layers): draws beyond it
// come from the separate tail algorithm, so it gets checks of its own.
constexpr double kTailStart = 3.6541528853610088;

}  // namespace

TEST_CASE("standard normal: moments, tails and goodness of fit") {
    constexpr std::size_t n = 2'000'000;
    constexpr std::size_t bins = 50;
    const auto nd = static_cast<double>(n);

    const StandardNormal normal;
    auto rng = make_stream(kSeed, 0, StreamPurpose::price_diffusion);

    double s1 = 0.0, s2 = 0.0, s4 = 0.0;
    double beyond3 = 0.0, above_r = 0.0, below_minus_r = 0.0, tail_excess = 0.0;
    std::array<double, bins> observed{};
    for (std::size_t i = 0; i < n; ++i) {
        const double z = normal(rng);
        const double z2 = z * z;
        s1 += z;
        s2 += z2;
        s4 += z2 * z2;
        beyond3 += std::abs(z) > 3.0 ? 1.0 : 0.0;
        above_r += z > kTailStart ? 1.0 : 0.0;
        below_minus_r += z < -kTailStart ? 1.0 : 0.0;
        if (std::abs(z) > kTailStart) {
            tail_excess += std::abs(z) - kTailStart;
        }
        // Equiprobable bins through the probability integral transform.
        const auto bin = static_cast<std::size_t>(variates_normal_cdf(z) * bins);
        observed[bin < bins ? bin : bins - 1] += 1.0;
    }

    // E[Z] = 0, Var Z = 1; E[Z^2] = 1, Var Z^2 = E[Z^4] - 1 = 2;
    // E[Z^4] = 3, Var Z^4 = E[Z^8] - 9 = 105 - 9 = 96.
    check_within_4se("mean", s1 / nd, 0.0, std::sqrt(1.0 / nd));
    check_within_4se("variance", s2 / nd, 1.0, std::sqrt(2.0 / nd));
    check_within_4se("fourth moment", s4 / nd, 3.0, std::sqrt(96.0 / nd));

    const double p3 = std::erfc(3.0 / std::numbers::sqrt2);  // 2 (1 - Phi(3))
    check_within_4se("P(|Z| > 3)", beyond3 / nd, p3, proportion_se(p3, nd));

    const double pr = normal_upper_tail(kTailStart);
    check_within_4se("P(Z > r)", above_r / nd, pr, proportion_se(pr, nd));
    check_within_4se("P(Z < -r)", below_minus_r / nd, pr, proportion_se(pr, nd));

    // Shape within the tail: for Z | Z > r, with lambda = phi(r) / Q(r) (inverse
    // Mills ratio), E[Z - r] = lambda - r and Var Z = 1 + r lambda - lambda^2.
    const double n_tail = above_r + below_minus_r;
    REQUIRE(n_tail > 100.0);
    const double phi_r =
        std::exp(-0.5 * kTailStart * kTailStart) / std::sqrt(2.0 * std::numbers::pi);
    const double lambda = phi_r / pr;
    const double tail_var = 1.0 + kTailStart * lambda - lambda * lambda;
    check_within_4se("E[|Z| - r | |Z| > r]", tail_excess / n_tail, lambda - kTailStart,
                     std::sqrt(tail_var / n_tail));

    // Pearson chi-square over equiprobable bins, 49 degrees of freedom. Its 99.99%
    // quantile by the Wilson-Hilferty approximation (chi2_k / k is nearly normal
    // after a cube root): k (1 - 2/(9k) + z sqrt(2/(9k)))^3, z = Phi^-1(0.9999).
    const double expected = nd / bins;
    double chi2 = 0.0;
    for (const double o : observed) {
        chi2 += (o - expected) * (o - expected) / expected;
    }
    const double k = bins - 1.0;
    const double z9999 = 3.7190164854556804;
    const double a = 2.0 / (9.0 * k);
    const double q9999 = k * std::pow(1.0 - a + z9999 * std::sqrt(a), 3.0);
    INFO("chi2 = ", chi2, ", 99.99% quantile = ", q9999);
    CHECK(chi2 < q9999);
}

TEST_CASE("standard exponential: mean, variance, tail") {
    constexpr std::size_t n = 500'000;
    const auto nd = static_cast<double>(n);
    auto rng = make_stream(kSeed, 1, StreamPurpose::price_jumps);

    double s1 = 0.0, c2 = 0.0, above2 = 0.0;
    std::size_t invalid = 0;
    for (std::size_t i = 0; i < n; ++i) {
        const double x = cascade::standard_exponential(rng);
        invalid += x >= 0.0 && std::isfinite(x) ? 0 : 1;
        s1 += x;
        c2 += (x - 1.0) * (x - 1.0);
        above2 += x > 2.0 ? 1.0 : 0.0;
    }
    CHECK(invalid == 0);
    // Var X = 1; central moments mu2 = 1, mu4 = 9, so Var (X - 1)^2 = 9 - 1 = 8.
    check_within_4se("mean", s1 / nd, 1.0, std::sqrt(1.0 / nd));
    check_within_4se("variance", c2 / nd, 1.0, std::sqrt(8.0 / nd));
    const double p2 = std::exp(-2.0);
    check_within_4se("P(X > 2)", above2 / nd, p2, proportion_se(p2, nd));
}

namespace {

// Mean and variance of Student-t with dof > 4, where E[T^4] is finite:
// E[T^2] = dof/(dof-2), E[T^4] = 3 dof^2 / ((dof-2)(dof-4)). For dof <= 8,
// E[T^8] is infinite, so the mean of T^2 is heavier-tailed than normal: over 1000
// seeds at dof 5, |error| > 4 SE occurred 2 times (0.2%, not 0.006%).
void check_student_t_moments(double dof, std::size_t n, std::uint64_t entity) {
    const auto nd = static_cast<double>(n);
    auto rng = make_stream(kSeed, entity, StreamPurpose::price_diffusion);
    double s1 = 0.0, s2 = 0.0;
    for (std::size_t i = 0; i < n; ++i) {
        const double t = cascade::student_t(rng, dof);
        s1 += t;
        s2 += t * t;
    }
    const double m2 = dof / (dof - 2.0);
    const double m4 = 3.0 * dof * dof / ((dof - 2.0) * (dof - 4.0));
    INFO("dof = ", dof);
    check_within_4se("mean", s1 / nd, 0.0, std::sqrt(m2 / nd));
    check_within_4se("variance", s2 / nd, m2, std::sqrt((m4 - m2 * m2) / nd));
}

}  // namespace

TEST_CASE("student t, 5 degrees of freedom: moments and P(|T| > 2)") {
    check_student_t_moments(5.0, 500'000, 2);

    // Closed form for odd dof (Abramowitz & Stegun 26.7.3), dof = 5, theta = atan(t / sqrt 5):
    // P(|T| < t) = (2/pi) (theta + sin(theta) (cos(theta) + (2/3) cos^3(theta))).
    constexpr std::size_t n = 500'000;
    const auto nd = static_cast<double>(n);
    auto rng = make_stream(kSeed, 3, StreamPurpose::price_diffusion);
    double beyond2 = 0.0;
    for (std::size_t i = 0; i < n; ++i) {
        beyond2 += std::abs(cascade::student_t(rng, 5.0)) > 2.0 ? 1.0 : 0.0;
    }
    const double th = std::atan(2.0 / std::sqrt(5.0));
    const double c = std::cos(th);
    const double p =
        1.0 - 2.0 / std::numbers::pi * (th + std::sin(th) * (c + 2.0 / 3.0 * c * c * c));
    check_within_4se("P(|T| > 2)", beyond2 / nd, p, proportion_se(p, nd));
}

TEST_CASE("student t, large dof: variance approaches 1") {
    check_student_t_moments(1.0e6, 250'000, 4);
}

TEST_CASE("student t, 1 degree of freedom (Cauchy): P(|T| > 1) = 1/2") {
    constexpr std::size_t n = 500'000;
    const auto nd = static_cast<double>(n);
    auto rng = make_stream(kSeed, 5, StreamPurpose::price_diffusion);
    double beyond1 = 0.0;
    for (std::size_t i = 0; i < n; ++i) {
        beyond1 += std::abs(cascade::student_t(rng, 1.0)) > 1.0 ? 1.0 : 0.0;
    }
    check_within_4se("P(|T| > 1)", beyond1 / nd, 0.5, proportion_se(0.5, nd));
}

TEST_CASE("variates are determined by the stream key") {
    const StandardNormal normal;
    constexpr int draws = 1000;

    SUBCASE("the same key gives the same sequence") {
        auto a = make_stream(kSeed, 17, StreamPurpose::price_jumps);
        auto b = make_stream(kSeed, 17, StreamPurpose::price_jumps);
        int mismatches = 0;
        for (int i = 0; i < draws; ++i) {
            mismatches += normal(a) != normal(b) ? 1 : 0;
            mismatches += cascade::standard_exponential(a) != cascade::standard_exponential(b);
            mismatches += cascade::student_t(a, 3.0) != cascade::student_t(b, 3.0);
        }
        CHECK(mismatches == 0);
    }

    // Continuous variates from unrelated streams essentially never coincide.
    const auto count_equal = [&](cascade::Rng a, cascade::Rng b) {
        int equal = 0;
        for (int i = 0; i < draws; ++i) {
            equal += normal(a) == normal(b) ? 1 : 0;
        }
        return equal;
    };
    const auto base = make_stream(kSeed, 17, StreamPurpose::price_jumps);
    SUBCASE("a different entity gives a different sequence") {
        CHECK(count_equal(base, make_stream(kSeed, 18, StreamPurpose::price_jumps)) == 0);
    }
    SUBCASE("a different purpose gives a different sequence") {
        CHECK(count_equal(base, make_stream(kSeed, 17, StreamPurpose::price_diffusion)) == 0);
    }
    SUBCASE("a different seed gives a different sequence") {
        CHECK(count_equal(base, make_stream(kSeed + 1, 17, StreamPurpose::price_jumps)) == 0);
    }
}
