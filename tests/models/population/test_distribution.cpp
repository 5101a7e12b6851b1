// Attribute distributions: draws against exact means and tail probabilities
// (four standard errors, from the sample or the binomial), and the reader's
// resolved form and diagnostics.

#include <doctest/doctest.h>

#include <algorithm>
#include <cmath>
#include <string>
#include <vector>

#include "models/population/distribution.hpp"
#include "sim/errors.hpp"
#include "support/support.hpp"

namespace cascade {
namespace {

using nlohmann::json;

constexpr double kInf = std::numeric_limits<double>::infinity();

std::vector<double> draw(const Distribution& d, std::size_t n, std::uint64_t seed = 7) {
    static const StandardNormal normal;
    auto rng = make_stream(seed, 0, StreamPurpose::population);
    std::vector<double> x(n);
    for (double& v : x) {
        v = sample(d, rng, normal);
    }
    return x;
}

// The share of `x` above `threshold` matches `truth` within four binomial SEs.
void check_share_above(const std::vector<double>& x, double threshold, double truth) {
    const auto above = std::count_if(x.begin(), x.end(), [&](double v) { return v > threshold; });
    const double n = static_cast<double>(x.size());
    const double share = static_cast<double>(above) / n;
    INFO("threshold " << threshold << ": share " << share << ", truth " << truth);
    CHECK(std::abs(share - truth) <= 4.0 * std::sqrt(truth * (1.0 - truth) / n));
}

// Pareto survival with truncation at M: ((m/x)^a - (m/M)^a) / (1 - (m/M)^a).
double pareto_survival(const ParetoDistribution& d, double x) {
    const double cut = std::pow(d.minimum / d.maximum, d.alpha);
    return (std::pow(d.minimum / x, d.alpha) - cut) / (1.0 - cut);
}

// Support of leverage as the population reader will pass it.
DistributionSupport leverage_support() {
    return {1.0, false, kInf, "leverage below 1 borrows nothing"};
}
DistributionSupport positive_support() {
    return {0.0, true, kInf, ""};
}

// Reads `doc` through read_distribution(key) under the pointer
// /population/cohorts/0, like a cohort would.
struct ReadResult {
    std::optional<Distribution> distribution;
    json resolved;
    std::vector<Diagnostic> diagnostics;
};
ReadResult read(const json& doc, const DistributionSupport& support,
                const std::string& key = "leverage") {
    Diagnostics d("s.json");
    ReadResult result;
    ObjectReader r(&doc, result.resolved, "/population/cohorts/0", d);
    result.distribution = read_distribution(r, key, support);
    r.finish();
    try {
        d.throw_if_any();
    } catch (const InputError& e) {
        result.diagnostics = e.diagnostics();
    }
    return result;
}

// The single diagnostic's location and message, failing if there is not exactly one.
Diagnostic only_error(const ReadResult& r) {
    REQUIRE(r.diagnostics.size() == 1);
    CHECK_FALSE(r.distribution.has_value());
    return r.diagnostics.front();
}

}  // namespace

TEST_CASE("distribution sample means match the exact means") {
    const std::vector<std::pair<const char*, Distribution>> cases = {
        {"fixed", FixedDistribution{3.5}},
        {"uniform", UniformDistribution{2.0, 5.0}},
        {"lognormal", LognormalDistribution{3.0, 0.8, 0.0, kInf}},
        {"lognormal truncated", LognormalDistribution{3.0, 0.8, 2.0, 10.0}},
        // (5, 8] keeps about 6e-4 of the mass: both tails of the erfc formula at work.
        {"lognormal far tail", LognormalDistribution{1.0, 0.5, 5.0, 8.0}},
        {"lognormal sigma 0", LognormalDistribution{4.0, 0.0, 1.0, kInf}},
        {"pareto", ParetoDistribution{1.0, 2.5, kInf}},
        {"pareto alpha 1 truncated", ParetoDistribution{1.0, 1.0, 100.0}},
        {"pareto alpha 0.5 truncated", ParetoDistribution{2.0, 0.5, 50.0}},
        {"pareto alpha near 1", ParetoDistribution{1.0, 1.0 + 1e-9, 1e3}},
        {"histogram", HistogramDistribution{{0.0, 1.0, 3.0, 4.0, 10.0}, {1.0, 0.0, 2.0, 0.5}}},
    };
    for (const auto& [name, d] : cases) {
        const char* const case_name = name;  // INFO captures it: no structured binding (clang < 16)
        INFO(case_name);
        const auto x = draw(d, 100000);
        const auto m = test::estimate_mean(x);
        const double truth = mean(d);
        INFO("sample " << m.mean << " +- " << m.standard_error << ", exact " << truth);
        if (m.standard_error == 0.0) {  // the fixed and sigma 0 cases: one value
            CHECK(m.mean == truth);
        } else {
            CHECK(std::abs(m.mean - truth) <= 4.0 * m.standard_error);
        }
    }
}

TEST_CASE("closed-form means at hand-checkable points") {
    CHECK(mean(UniformDistribution{2.0, 6.0}) == 4.0);
    CHECK(mean(LognormalDistribution{2.0, 0.5, 0.0, kInf}) ==
          doctest::Approx(2.0 * std::exp(0.125)).epsilon(1e-14));
    // Cut at the median: E[X | X <= m] = 2 e^(s^2/2) Phi(-s) / (1/2), and the upper half.
    const double lower_half = 2.0 * std::exp(0.125) * std::erfc(0.5 / std::sqrt(2.0));
    CHECK(mean(LognormalDistribution{2.0, 0.5, 0.0, 2.0}) ==
          doctest::Approx(lower_half).epsilon(1e-14));
    CHECK(mean(LognormalDistribution{2.0, 0.5, 0.0, 2.0}) < 2.0);
    CHECK(mean(LognormalDistribution{2.0, 0.5, 2.0, kInf}) > 2.0);
    CHECK(mean(ParetoDistribution{1.0, 3.0, kInf}) == doctest::Approx(1.5).epsilon(1e-14));
    // alpha = 1, M = e: m ln(M/m) / (1 - m/M) = 1 / (1 - 1/e).
    CHECK(mean(ParetoDistribution{1.0, 1.0, std::exp(1.0)}) ==
          doctest::Approx(1.0 / (1.0 - std::exp(-1.0))).epsilon(1e-14));
    // Continuous in alpha across 1.
    CHECK(mean(ParetoDistribution{1.0, 1.0 + 1e-7, 50.0}) ==
          doctest::Approx(mean(ParetoDistribution{1.0, 1.0, 50.0})).epsilon(1e-6));
    CHECK(std::isinf(mean(ParetoDistribution{1.0, 1.0, kInf})));
    CHECK(std::isinf(mean(ParetoDistribution{1.0, 0.7, kInf})));
    CHECK(mean(HistogramDistribution{{0.0, 2.0, 4.0}, {1.0, 3.0}}) == 2.5);
}

TEST_CASE("truncated lognormal draws stay inside the bounds") {
    const LognormalDistribution d{3.0, 1.5, 1.0, 6.0};
    const auto x = draw(d, 100000);
    CHECK(*std::min_element(x.begin(), x.end()) > 1.0);
    CHECK(*std::max_element(x.begin(), x.end()) <= 6.0);
    // And the mass is spread as the truncated law says: P(X > median | 1 < X <= 6).
    const double a = std::log(1.0 / 3.0) / 1.5, b = std::log(6.0 / 3.0) / 1.5;
    const auto phi = [](double z) { return 0.5 * std::erfc(-z / std::sqrt(2.0)); };
    check_share_above(x, 3.0, (phi(b) - 0.5) / (phi(b) - phi(a)));
}

TEST_CASE("Pareto tail follows (min/x)^alpha, with the truncation formula") {
    const ParetoDistribution untruncated{1.0, 2.5, kInf};
    auto x = draw(untruncated, 100000);
    CHECK(*std::min_element(x.begin(), x.end()) >= 1.0);
    for (double t : {1.1, 2.0, 5.0, 20.0}) {
        check_share_above(x, t, std::pow(1.0 / t, 2.5));
    }
    const ParetoDistribution truncated{2.0, 1.5, 50.0};
    x = draw(truncated, 100000);
    CHECK(*std::min_element(x.begin(), x.end()) >= 2.0);
    CHECK(*std::max_element(x.begin(), x.end()) <= 50.0);
    for (double t : {2.5, 5.0, 20.0, 45.0}) {
        check_share_above(x, t, pareto_survival(truncated, t));
    }
}

TEST_CASE("histogram bin frequencies follow the weights") {
    const HistogramDistribution d{{1.0, 2.0, 5.0, 6.0, 10.0}, {3.0, 0.0, 1.0, 4.0}};
    const auto x = draw(d, 100000);
    const double n = static_cast<double>(x.size());
    for (std::size_t i = 0; i + 1 < d.edges.size(); ++i) {
        const auto in_bin = std::count_if(
            x.begin(), x.end(), [&](double v) { return v >= d.edges[i] && v < d.edges[i + 1]; });
        const double p = d.weights[i] / 8.0;
        const double share = static_cast<double>(in_bin) / n;
        INFO("bin " << i << ": share " << share << ", weight share " << p);
        if (p == 0.0) {
            CHECK(in_bin == 0);
        } else {
            CHECK(std::abs(share - p) <= 4.0 * std::sqrt(p * (1.0 - p) / n));
        }
    }
    // Uniform inside a bin: the lower half of the last bin holds half its draws.
    const double in_last = 4.0 / 8.0;
    check_share_above(x, 8.0, in_last / 2.0);
}

TEST_CASE("draws are a fixed function of the stream") {
    const std::vector<Distribution> cases = {
        UniformDistribution{0.0, 1.0}, LognormalDistribution{1.0, 1.0, 0.5, 3.0},
        ParetoDistribution{1.0, 1.5, 100.0}, HistogramDistribution{{0.0, 1.0, 2.0}, {1.0, 1.0}}};
    for (const auto& d : cases) {
        CHECK(draw(d, 1000, 42) == draw(d, 1000, 42));
        CHECK(draw(d, 1000, 42) != draw(d, 1000, 43));
    }
    // Pinned values: a change to any transform shows up here.
    const auto x = draw(ParetoDistribution{1.0, 2.0, kInf}, 1, 1);
    const auto y = draw(UniformDistribution{0.0, 1.0}, 1, 1);
    // Same first uniform u: Pareto is (1 - u')^(-1/2) with u' the open-interval version.
    CHECK(x[0] == doctest::Approx(1.0 / std::sqrt(1.0 - y[0])).epsilon(1e-12));
}

TEST_CASE("read_distribution: a bare number is a fixed value, resolved to the object form") {
    const auto r = read({{"leverage", 5}}, leverage_support());
    REQUIRE(r.diagnostics.empty());
    REQUIRE(r.distribution.has_value());
    CHECK(std::get<FixedDistribution>(*r.distribution).value == 5.0);
    CHECK(r.resolved["leverage"] == json({{"distribution", "fixed"}, {"value", 5.0}}));
}

TEST_CASE("read_distribution: each kind") {
    SUBCASE("fixed") {
        const auto r =
            read({{"leverage", {{"distribution", "fixed"}, {"value", 2}}}}, leverage_support());
        REQUIRE(r.diagnostics.empty());
        CHECK(std::get<FixedDistribution>(*r.distribution).value == 2.0);
        CHECK(r.resolved["leverage"] == json({{"distribution", "fixed"}, {"value", 2}}));
    }
    SUBCASE("uniform") {
        const auto r = read({{"leverage", {{"distribution", "uniform"}, {"min", 2}, {"max", 10}}}},
                            leverage_support());
        REQUIRE(r.diagnostics.empty());
        const auto d = std::get<UniformDistribution>(*r.distribution);
        CHECK(d.min == 2.0);
        CHECK(d.max == 10.0);
    }
    SUBCASE("lognormal: min defaults to the support's lower end, max stays absent") {
        const auto r =
            read({{"leverage", {{"distribution", "lognormal"}, {"median", 5}, {"sigma", 0.6}}}},
                 leverage_support());
        REQUIRE(r.diagnostics.empty());
        const auto d = std::get<LognormalDistribution>(*r.distribution);
        CHECK(d.median == 5.0);
        CHECK(d.sigma == 0.6);
        CHECK(d.min == 1.0);
        CHECK(std::isinf(d.max));
        CHECK(r.resolved["leverage"] ==
              json({{"distribution", "lognormal"}, {"median", 5}, {"sigma", 0.6}, {"min", 1.0}}));
    }
    SUBCASE("lognormal on (0, inf): min defaults to 0; explicit max kept") {
        const auto r =
            read({{"notional",
                   {{"distribution", "lognormal"}, {"median", 1e4}, {"sigma", 1.2}, {"max", 1e7}}}},
                 positive_support(), "notional");
        REQUIRE(r.diagnostics.empty());
        const auto d = std::get<LognormalDistribution>(*r.distribution);
        CHECK(d.min == 0.0);
        CHECK(d.max == 1e7);
        CHECK(r.resolved["notional"]["max"] == 1e7);
    }
    SUBCASE("pareto") {
        const auto r =
            read({{"notional", {{"distribution", "pareto"}, {"minimum", 100}, {"alpha", 1.2}}}},
                 positive_support(), "notional");
        REQUIRE(r.diagnostics.empty());
        const auto d = std::get<ParetoDistribution>(*r.distribution);
        CHECK(d.minimum == 100.0);
        CHECK(d.alpha == 1.2);
        CHECK(std::isinf(d.maximum));
        CHECK_FALSE(r.resolved["notional"].contains("maximum"));
    }
    SUBCASE("pareto with alpha <= 1 needs a maximum") {
        const auto r = read(
            {{"notional",
              {{"distribution", "pareto"}, {"minimum", 100}, {"alpha", 0.8}, {"maximum", 1e6}}}},
            positive_support(), "notional");
        REQUIRE(r.diagnostics.empty());
        CHECK(std::get<ParetoDistribution>(*r.distribution).maximum == 1e6);
    }
    SUBCASE("histogram") {
        const auto r = read(
            {{"leverage",
              {{"distribution", "histogram"}, {"edges", {1, 2, 5, 10}}, {"weights", {1, 0, 3}}}}},
            leverage_support());
        REQUIRE(r.diagnostics.empty());
        const auto d = std::get<HistogramDistribution>(*r.distribution);
        CHECK(d.edges == std::vector<double>{1, 2, 5, 10});
        CHECK(d.weights == std::vector<double>{1, 0, 3});
    }
}

TEST_CASE("read_distribution: errors at the precise pointer") {
    const std::string at = "/population/cohorts/0/leverage";

    SUBCASE("unknown kind gets a did-you-mean") {
        const auto e = only_error(
            read({{"leverage", {{"distribution", "lognormel"}, {"median", 5}, {"sigma", 1}}}},
                 leverage_support()));
        CHECK(e.location == at + "/distribution");
        CHECK(e.message.find("did you mean \"lognormal\"") != std::string::npos);
    }
    SUBCASE("missing key") {
        const auto e = only_error(read(json::object(), leverage_support()));
        CHECK(e.location == at);
        CHECK(e.message == "required field is missing");
    }
    SUBCASE("neither a number nor an object") {
        const auto e = only_error(read({{"leverage", "5x"}}, leverage_support()));
        CHECK(e.location == at);
        CHECK(e.message.find("expected a number or a distribution object") != std::string::npos);
    }
    SUBCASE("a parameter of another kind is an unknown key") {
        const auto e = only_error(read(
            {{"leverage", {{"distribution", "uniform"}, {"min", 2}, {"max", 3}, {"sigma", 1}}}},
            leverage_support()));
        CHECK(e.location == at + "/sigma");
    }
    SUBCASE("edges not increasing") {
        const auto e = only_error(read(
            {{"leverage",
              {{"distribution", "histogram"}, {"edges", {1, 3, 3, 10}}, {"weights", {1, 1, 1}}}}},
            leverage_support()));
        CHECK(e.location == at + "/edges/2");
        CHECK(e.message.find("strictly increasing") != std::string::npos);
    }
    SUBCASE("too few edges") {
        const auto e = only_error(
            read({{"leverage",
                   {{"distribution", "histogram"}, {"edges", {1}}, {"weights", json::array()}}}},
                 leverage_support()));
        CHECK(e.location == at + "/edges");
    }
    SUBCASE("weights count mismatch") {
        const auto e = only_error(
            read({{"leverage",
                   {{"distribution", "histogram"}, {"edges", {1, 2, 5}}, {"weights", {1, 2, 3}}}}},
                 leverage_support()));
        CHECK(e.location == at + "/weights");
        CHECK(e.message == "expected 2 weights, one per bin between the 3 edges, got 3");
    }
    SUBCASE("negative weight and all-zero weights") {
        auto e = only_error(
            read({{"leverage",
                   {{"distribution", "histogram"}, {"edges", {1, 2, 5}}, {"weights", {1, -2}}}}},
                 leverage_support()));
        CHECK(e.location == at + "/weights/1");
        e = only_error(
            read({{"leverage",
                   {{"distribution", "histogram"}, {"edges", {1, 2, 5}}, {"weights", {0, 0}}}}},
                 leverage_support()));
        CHECK(e.location == at + "/weights");
    }
    SUBCASE("support violations name the key and the reason") {
        auto e = only_error(read({{"leverage", 0.5}}, leverage_support()));
        CHECK(e.location == at);
        CHECK(e.message == "must be >= 1 (leverage below 1 borrows nothing), got 0.5");

        e = only_error(
            read({{"leverage",
                   {{"distribution", "lognormal"}, {"median", 5}, {"sigma", 1}, {"min", 0.5}}}},
                 leverage_support()));
        CHECK(e.location == at + "/min");
        CHECK(e.message == "must be >= 1 (leverage below 1 borrows nothing), got 0.5");

        e = only_error(read({{"leverage", {{"distribution", "uniform"}, {"min", 0.9}, {"max", 3}}}},
                            leverage_support()));
        CHECK(e.location == at + "/min");

        e = only_error(
            read({{"leverage",
                   {{"distribution", "histogram"}, {"edges", {0, 2, 5}}, {"weights", {1, 1}}}}},
                 leverage_support()));
        CHECK(e.location == at + "/edges/0");

        // Notional is open at 0: a uniform may not start there.
        e = only_error(read({{"notional", {{"distribution", "uniform"}, {"min", 0}, {"max", 3}}}},
                            positive_support(), "notional"));
        CHECK(e.location == "/population/cohorts/0/notional/min");
        CHECK(e.message == "must be > 0, got 0");

        e = only_error(
            read({{"leverage", {{"distribution", "pareto"}, {"minimum", 0.5}, {"alpha", 2}}}},
                 leverage_support()));
        CHECK(e.location == at + "/minimum");
    }
    SUBCASE("bounded support: finite max defaults to the upper end, and is checked") {
        const DistributionSupport unit{0.0, true, 1.0, ""};
        auto r = read({{"share", {{"distribution", "lognormal"}, {"median", 0.3}, {"sigma", 0.5}}}},
                      unit, "share");
        REQUIRE(r.diagnostics.empty());
        CHECK(std::get<LognormalDistribution>(*r.distribution).max == 1.0);
        CHECK(r.resolved["share"]["max"] == 1.0);
        const auto e = only_error(
            read({{"share",
                   {{"distribution", "lognormal"}, {"median", 0.3}, {"sigma", 0.5}, {"max", 2}}}},
                 unit, "share"));
        CHECK(e.location == "/population/cohorts/0/share/max");
        CHECK(e.message == "must be <= 1, got 2");
    }
    SUBCASE("lognormal bounds that keep too little mass") {
        // (1, inf) around a median of 0.01 with sigma 0.5: z > 9.2, mass ~ 2e-20.
        auto e = only_error(
            read({{"leverage", {{"distribution", "lognormal"}, {"median", 0.01}, {"sigma", 0.5}}}},
                 leverage_support()));
        CHECK(e.location == at + "/min");
        CHECK(e.message.find("rejection") != std::string::npos);
        CHECK(e.message.find("min defaults") != std::string::npos);
        // Cut from above: a max far below the median.
        e = only_error(
            read({{"leverage",
                   {{"distribution", "lognormal"}, {"median", 100}, {"sigma", 0.5}, {"max", 2}}}},
                 leverage_support()));
        CHECK(e.location == at + "/max");
        // Just enough mass passes: (1, inf) at median e^(-3.5 * 0.5) keeps 2.3e-4.
        const auto ok =
            read({{"leverage",
                   {{"distribution", "lognormal"}, {"median", std::exp(-1.75)}, {"sigma", 0.5}}}},
                 leverage_support());
        CHECK(ok.diagnostics.empty());
    }
    SUBCASE("Pareto with alpha <= 1 and no maximum") {
        const auto e = only_error(
            read({{"notional", {{"distribution", "pareto"}, {"minimum", 1}, {"alpha", 1}}}},
                 positive_support(), "notional"));
        CHECK(e.location == "/population/cohorts/0/notional/alpha");
        CHECK(e.message.find("infinite mean") != std::string::npos);
    }
    SUBCASE("uniform max not above min") {
        const auto e =
            only_error(read({{"leverage", {{"distribution", "uniform"}, {"min", 3}, {"max", 3}}}},
                            leverage_support()));
        CHECK(e.location == at + "/max");
    }
}

}  // namespace cascade
