#include "sim/scenario/sections.hpp"

#include <array>
#include <cmath>
#include <set>

#include <fmt/format.h>

#include "models/venue/margin_policy_registry.hpp"
#include "models/venue/oracle_registry.hpp"

namespace cascade {
namespace {

// The largest value a distribution can produce (infinite when unbounded).
double upper_bound(const Distribution& distribution) {
    return std::visit(
        [](const auto& d) -> double {
            using D = std::decay_t<decltype(d)>;
            if constexpr (std::is_same_v<D, FixedDistribution>) {
                return d.value;
            } else if constexpr (std::is_same_v<D, UniformDistribution> ||
                                 std::is_same_v<D, LognormalDistribution>) {
                return d.max;
            } else if constexpr (std::is_same_v<D, ParetoDistribution>) {
                return d.maximum;
            } else {
                return d.edges.empty() ? 0.0 : d.edges.back();
            }
        },
        distribution);
}

constexpr std::array<std::string_view, 2> kSides = {"long", "short"};
constexpr std::uint64_t kMaxAccountsPerCohort = 100'000'000;

CohortConfig read_cohort(ObjectReader& r, const VenueConfig* venue, OverLeverage over_leverage) {
    CohortConfig c;
    c.name = r.string("name");
    if (r.has("name") && c.name.empty()) {
        r.diagnostics().error(r.pointer_to("name"), "must not be empty");
    }
    c.side = r.choice("side", kSides) == "short" ? Side::short_side : Side::long_side;
    c.accounts = r.integer("accounts", 0, kMaxAccountsPerCohort);
    // Leverage is entry notional over collateral: at least 1.
    if (auto leverage =
            read_distribution(r, "leverage",
                              {1.0, false, std::numeric_limits<double>::infinity(),
                               "leverage is entry notional over collateral, so at least 1"})) {
        c.leverage = *leverage;
        const double highest = upper_bound(c.leverage);
        if (venue != nullptr && over_leverage == OverLeverage::error &&
            highest > venue->max_leverage() * (1 + 1e-12)) {
            r.diagnostics().error(
                r.pointer_to("leverage"),
                fmt::format("can reach leverage {:g}, above the venue maximum {:g} "
                            "(1 / initial_margin); bound it, or set /population/over_leverage "
                            "to \"clip\"",
                            highest, venue->max_leverage()));
        }
    }
    if (auto notional = read_distribution(r, "notional",
                                          {0.0, true, std::numeric_limits<double>::infinity(),
                                           "a position notional is positive"})) {
        c.notional = *notional;
    }
    if (r.has("entry_price")) {
        if (auto entry = read_distribution(
                r, "entry_price",
                {0.0, true, std::numeric_limits<double>::infinity(),
                 "the entry price is a positive multiple of the initial price"})) {
            c.entry_price = *entry;
        }
    } else {
        r.optional_number("entry_price", Range::positive());  // marks the key known
        c.entry_price = FixedDistribution{1.0};
        r.resolve("entry_price", {{"distribution", "fixed"}, {"value", 1.0}});
    }
    return c;
}

// The oracle's windows are counted in whole steps of the grid; one that
// rounds to no step at all would silently be the instant oracle.
void check_oracle_steps(ObjectReader& r, const OracleConfig& oracle, const TimeGrid& grid) {
    // `buffered`: the oracle keeps that many past prices, so no more than the horizon.
    const auto check = [&](std::string_view key, double seconds, bool buffered) {
        if (grid.steps == 0 || !std::isfinite(seconds)) {
            return;
        }
        const std::uint32_t steps = oracle_steps(seconds, grid.step_seconds());
        if (steps == 0) {
            r.diagnostics().error(
                r.pointer_to(key),
                fmt::format("must be at least half a time step ({:g} s): it is counted in whole "
                            "steps, and {:g} s rounds to none",
                            grid.step_seconds() / 2, seconds));
        } else if (buffered && steps > grid.steps) {
            r.diagnostics().error(r.pointer_to(key),
                                  fmt::format("must be at most the horizon ({:g} s), got {:g} s",
                                              grid.horizon_seconds, seconds));
        }
    };
    switch (oracle.kind) {
        case OracleConfig::Kind::latency:
            check("delay", oracle.delay_seconds, true);
            break;
        case OracleConfig::Kind::twap:
            check("window", oracle.window_seconds, true);
            break;
        case OracleConfig::Kind::push:
            check("heartbeat", oracle.heartbeat_seconds, false);
            break;
        case OracleConfig::Kind::instant:
        case OracleConfig::Kind::ema:
            break;
    }
}

}  // namespace

VenueConfig read_venue(ObjectReader& r, const TimeGrid& grid) {
    VenueConfig v;
    v.initial_margin = r.number("initial_margin", Range::left_open(0.0, 1.0));
    v.maintenance_margin = r.number("maintenance_margin", Range::open(0.0, 1.0));
    if (v.maintenance_margin >= v.initial_margin && v.initial_margin > 0.0) {
        r.diagnostics().error(
            r.pointer_to("maintenance_margin"),
            fmt::format("must be below initial_margin ({:g}), got {:g}: a new position would "
                        "be liquidatable the moment it opens",
                        v.initial_margin, v.maintenance_margin));
    }
    v.liquidation_penalty = r.number("liquidation_penalty", Range::right_open(0.0, 1.0), 0.0);
    v.insurance_fund = r.number("insurance_fund", Range::closed(0.0, 1e18), 0.0);
    if (!r.optional_object("margin_policy", [&](ObjectReader& policy) {
            if (auto parsed = margin_policy_registry().read(policy)) {
                v.margin_policy = *parsed;
                if (v.margin_policy.dynamic() && !(v.margin_policy.floor <= v.maintenance_margin &&
                                                   v.maintenance_margin <= v.margin_policy.cap)) {
                    policy.diagnostics().error(
                        policy.pointer(),
                        fmt::format("floor ({:g}) and cap ({:g}) must bracket the "
                                    "maintenance_margin ({:g}) the policy scales",
                                    v.margin_policy.floor, v.margin_policy.cap,
                                    v.maintenance_margin));
                }
            }
        })) {
        r.resolve("margin_policy", {{"model", "flat"}});
    }
    if (!r.optional_object("oracle", [&](ObjectReader& oracle) {
            if (auto parsed = oracle_registry().read(oracle)) {
                v.oracle = *parsed;
                check_oracle_steps(oracle, v.oracle, grid);
            }
        })) {
        r.resolve("oracle", {{"model", "instant"}, {"source", "market"}});
    }
    return v;
}

PopulationConfig read_population(ObjectReader& r, const VenueConfig* venue,
                                 const std::filesystem::path& base) {
    PopulationConfig p;
    static constexpr std::array<std::string_view, 2> kOverLeverage = {"error", "clip"};
    p.over_leverage = r.choice("over_leverage", kOverLeverage, "error") == "clip"
                          ? OverLeverage::clip
                          : OverLeverage::error;
    std::set<std::string> names;
    r.object_list("cohorts", [&](ObjectReader& item, std::size_t) {
        CohortConfig cohort = read_cohort(item, venue, p.over_leverage);
        if (!cohort.name.empty() && !names.insert(cohort.name).second) {
            item.diagnostics().error(
                item.pointer_to("name"),
                fmt::format("\"{}\" names two cohorts; names must be unique", cohort.name));
        }
        p.cohorts.push_back(std::move(cohort));
    });
    if (r.has("positions_csv")) {
        const std::string file = r.string("positions_csv");
        if (file.empty()) {
            r.diagnostics().error(r.pointer_to("positions_csv"),
                                  "must name a file; leave the key out for no import");
        } else {
            // Resolved against the scenario's folder, and recorded absolute so the
            // scenario stored in a results file can be rerun from anywhere.
            const std::filesystem::path path(file);
            p.positions_csv = std::filesystem::absolute(path.is_absolute() ? path : base / path);
            r.resolve("positions_csv", p.positions_csv->string());
        }
    } else {
        r.optional_number("positions_csv", Range::any());  // marks the key known
    }
    return p;
}

}  // namespace cascade
