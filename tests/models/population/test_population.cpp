// Building the population: sorted books, liquidation prices that agree with
// the equity test, determinism, cohort independence, exclusion and clipping.

#include <doctest/doctest.h>

#include <algorithm>
#include <cmath>
#include <limits>

#include "models/population/population.hpp"
#include "sim/errors.hpp"
#include "support/support.hpp"

namespace cascade {
namespace {

VenueConfig test_venue() {
    VenueConfig venue;
    venue.initial_margin = 0.02;
    venue.maintenance_margin = 0.01;
    venue.liquidation_penalty = 0.005;
    venue.insurance_fund = 1e6;
    return venue;
}
const VenueConfig kVenue = test_venue();

// The same venue with a tiered maintenance margin whose brackets the cohorts'
// notionals (100 to a million) span.
VenueConfig tiered_venue() {
    VenueConfig v = test_venue();
    v.maintenance_margin = std::numeric_limits<double>::quiet_NaN();
    v.maintenance_tiers = {{1e3, 0.004, 0.0},
                           {1e4, 0.006, 0.0},
                           {1e5, 0.01, 0.0},
                           {std::numeric_limits<double>::infinity(), 0.015, 0.0}};
    set_maintenance_amounts(v.maintenance_tiers);
    return v;
}

CohortConfig cohort(const std::string& name, Side side, std::uint64_t accounts) {
    return {name,
            side,
            accounts,
            LognormalDistribution{10.0, 0.5, 1.0, 50.0},
            ParetoDistribution{100.0, 1.5, 1e6},
            UniformDistribution{0.95, 1.05}};
}

PopulationConfig two_sided(std::uint64_t longs = 3000, std::uint64_t shorts = 2000) {
    PopulationConfig c;
    c.cohorts = {cohort("longs", Side::long_side, longs),
                 cohort("shorts", Side::short_side, shorts)};
    return c;
}

}  // namespace

TEST_CASE("books are sorted in the order a moving price reaches them, ties by account") {
    const Population p = build_population(two_sided(), kVenue, 2000.0, 1);
    CHECK(p.longs.count() + p.cohorts[0].excluded == 3000);
    CHECK(p.shorts.count() + p.cohorts[1].excluded == 2000);
    for (std::size_t i = 1; i < p.longs.count(); ++i) {
        CHECK(p.longs.log_trigger[i - 1] >= p.longs.log_trigger[i]);
    }
    for (std::size_t i = 1; i < p.shorts.count(); ++i) {
        CHECK(p.shorts.log_trigger[i - 1] <= p.shorts.log_trigger[i]);
    }
}

TEST_CASE("a liquidation price is where equity meets maintenance, flat or tiered") {
    for (const bool tiered : {false, true}) {
        INFO("tiered " << tiered);
        const VenueConfig venue = tiered ? tiered_venue() : kVenue;
        const Population p = build_population(two_sided(), venue, 2000.0, 2);
        for (const SideBook* book : {&p.longs, &p.shorts}) {
            for (std::size_t i = 0; i < book->count(); i += 7) {
                const double trigger = 2000.0 * std::exp(book->log_trigger[i]);
                const double outward = book->side == Side::long_side ? 1.0 - 1e-9 : 1.0 + 1e-9;
                const double inward = book->side == Side::long_side ? 1.0 + 1e-9 : 1.0 - 1e-9;
                const auto below = [&](double price) {
                    return below_maintenance(book->side, book->size[i], book->entry[i],
                                             book->collateral[i], venue, price);
                };
                CHECK(below(trigger * outward));
                CHECK(!below(trigger * inward));
                // And nobody starts below maintenance.
                CHECK(!below(2000.0));
            }
        }
    }
}

TEST_CASE("the population is a function of the seed, and cohorts do not disturb each other") {
    const Population a = build_population(two_sided(), kVenue, 2000.0, 5);
    const Population b = build_population(two_sided(), kVenue, 2000.0, 5);
    CHECK(a.longs.size == b.longs.size);
    CHECK(a.longs.account == b.longs.account);
    CHECK(a.shorts.collateral == b.shorts.collateral);
    const Population c = build_population(two_sided(), kVenue, 2000.0, 6);
    CHECK(a.longs.size != c.longs.size);

    // A third cohort appended: the first two keep exactly their accounts.
    PopulationConfig three = two_sided();
    three.cohorts.push_back(cohort("more", Side::long_side, 500));
    const Population d = build_population(three, kVenue, 2000.0, 5);
    std::vector<double> first_a, first_d;
    for (std::size_t i = 0; i < a.longs.count(); ++i) {
        first_a.push_back(a.longs.size[i]);
    }
    for (std::size_t i = 0; i < d.longs.count(); ++i) {
        if (d.longs.cohort[i] == 0) {
            first_d.push_back(d.longs.size[i]);
        }
    }
    CHECK(first_a == first_d);
}

TEST_CASE("accounts already below maintenance at the initial price are excluded and counted") {
    PopulationConfig c;
    // 40x longs entered up to 10 % above the start: those above ~2.5 % are under water.
    c.cohorts = {{"late-longs", Side::long_side, 1000, FixedDistribution{40.0},
                  FixedDistribution{1000.0}, UniformDistribution{1.0, 1.1}}};
    const Population p = build_population(c, kVenue, 100.0, 3);
    CHECK(p.cohorts[0].excluded > 600);
    CHECK(p.cohorts[0].excluded + p.longs.count() == 1000);
    CHECK(p.cohorts[0].accounts == p.longs.count());
}

TEST_CASE("exclusion at the start tests the tiered requirement at the account's notional") {
    test::TempDir dir;
    // Amounts 0, 2, 42, 542. At 100, "big" (34x) has equity 3,000 - 2,000 =
    // 1,000 on a notional of 100,000, which needs 0.01 x 1e5 - 42 = 958: kept.
    // "bigger" (34x) has 30,000 - 20,000 = 10,000 on a million, which needs
    // 0.015 x 1e6 - 542 = 14,458: excluded, though a flat 0.4 % (4,000) would
    // keep it.
    const auto csv = dir.write("book.csv",
                               "account,side,size,entry_price,collateral,cohort\n"
                               "big,long,1000,102,3000,desk\n"
                               "bigger,long,10000,102,30000,desk\n"
                               "small,short,1,98,10,desk\n");
    PopulationConfig c;
    c.positions_csv = csv;
    const VenueConfig venue = tiered_venue();
    const Population p = build_population(c, venue, 100.0, 1);
    REQUIRE(p.cohorts.size() == 2);
    CHECK(p.cohorts[0].excluded == 1);
    CHECK(p.longs.count() == 1);
    CHECK(p.shorts.count() == 1);
    // The flat first-bracket rate alone would keep both longs.
    VenueConfig flat = kVenue;
    flat.maintenance_margin = 0.004;
    CHECK(build_population(c, flat, 100.0, 1).longs.count() == 2);
    // The books hold the tiered liquidation prices.
    CHECK(100.0 * std::exp(p.longs.log_trigger[0]) ==
          doctest::Approx(liquidation_price(Side::long_side, 1000.0, 102.0, 3000.0, venue))
              .epsilon(1e-14));
}

TEST_CASE("a positions CSV mixes with synthetic cohorts, and over-leverage is an error or clipped") {
    test::TempDir dir;
    const auto csv = dir.write("book.csv",
                               "account,side,size,entry_price,collateral,cohort\n"
                               "0xa,long,2,100,20,desk\n"
                               "0xb,short,1,100,10,desk\n"
                               "0xc,long,10,100,5,degen\n");  // leverage 200 > 50
    PopulationConfig c;
    c.cohorts = {cohort("synthetic", Side::long_side, 10)};
    c.positions_csv = csv;
    try {
        build_population(c, kVenue, 100.0, 1);
        FAIL("expected an over-leverage error");
    } catch (const InputError& e) {
        CHECK(std::string(e.what()).find("book.csv: line 4: account \"0xc\" with leverage 200 "
                                         "exceeds the venue maximum 50") != std::string::npos);
    }
    c.over_leverage = OverLeverage::clip;
    const Population p = build_population(c, kVenue, 100.0, 1);
    // Cohorts: the synthetic one, then CSV cohorts by (name, side) in order of appearance.
    REQUIRE(p.cohorts.size() == 4);
    CHECK(p.cohorts[1].name == "desk");
    CHECK(p.cohorts[2].name == "desk");
    CHECK(p.cohorts[2].side == Side::short_side);
    CHECK(p.cohorts[3].clipped == 1);
    CHECK(p.first_imported == 10);
    CHECK(p.imported_labels == std::vector<std::string>{"0xa", "0xb", "0xc"});
    // The clipped account now posts 1/50 of its notional.
    const auto at = std::find(p.longs.account.begin(), p.longs.account.end(), 12);
    REQUIRE(at != p.longs.account.end());
    CHECK(p.longs.collateral[at - p.longs.account.begin()] == doctest::Approx(1000.0 / 50.0));

    // An imported cohort may not take a synthetic cohort's name.
    c.cohorts[0].name = "desk";
    try {
        build_population(c, kVenue, 100.0, 1);
        FAIL("expected a cohort name clash");
    } catch (const InputError& e) {
        CHECK(std::string(e.what()).find("book.csv: line 2: cohort \"desk\" is also the name of a "
                                         "cohort in /population/cohorts") != std::string::npos);
    }
}

}  // namespace cascade

namespace cascade {

TEST_CASE("a distribution that draws values no double can hold is an input error") {
    PopulationConfig c;
    c.cohorts = {{"huge", Side::long_side, 100, FixedDistribution{5.0},
                  LognormalDistribution{1e307, 5.0, 0.0, INFINITY}, FixedDistribution{1.0}}};
    try {
        build_population(c, kVenue, 100.0, 1);
        FAIL("expected an error");
    } catch (const InputError& e) {
        CHECK(std::string(e.what()).find("is not a position a double can hold") !=
              std::string::npos);
    }
}

}  // namespace cascade
