#include "sim/scenario/sections.hpp"

#include <array>
#include <cmath>
#include <limits>
#include <optional>
#include <set>
#include <string_view>
#include <vector>

#include <fmt/format.h>

#include "models/venue/margin_policy_registry.hpp"
#include "models/venue/oracle_registry.hpp"
#include "models/venue/venue_presets.hpp"

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

// A duration the engine counts in whole steps of the grid (an oracle's
// window, the funding interval): one that rounds to no step at all would
// silently mean something else. `at_most_horizon`: the engine keeps that many
// past values, so no more than the horizon.
void check_whole_steps(ObjectReader& r, std::string_view key, double seconds, const TimeGrid& grid,
                       bool at_most_horizon) {
    // An invalid grid (no steps, a zero or non-finite horizon) has its own
    // error; there is no step to count in.
    if (grid.steps == 0 || !(grid.horizon_seconds > 0.0) || !std::isfinite(grid.horizon_seconds) ||
        !std::isfinite(seconds)) {
        return;
    }
    const std::uint32_t steps = oracle_steps(seconds, grid.step_seconds());
    if (steps == 0) {
        r.diagnostics().error(
            r.pointer_to(key),
            fmt::format("must be at least half a time step ({:g} s): it is counted in whole "
                        "steps, and {:g} s rounds to none",
                        grid.step_seconds() / 2, seconds));
    } else if (at_most_horizon && steps > grid.steps) {
        r.diagnostics().error(r.pointer_to(key),
                              fmt::format("must be at most the horizon ({:g} s), got {:g} s",
                                          grid.horizon_seconds, seconds));
    }
}

void check_oracle_steps(ObjectReader& r, const OracleConfig& oracle, const TimeGrid& grid) {
    switch (oracle.kind) {
        case OracleConfig::Kind::latency:
            check_whole_steps(r, "delay", oracle.delay_seconds, grid, true);
            break;
        case OracleConfig::Kind::twap:
            check_whole_steps(r, "window", oracle.window_seconds, grid, true);
            break;
        case OracleConfig::Kind::push:
            check_whole_steps(r, "heartbeat", oracle.heartbeat_seconds, grid, false);
            break;
        case OracleConfig::Kind::instant:
        case OracleConfig::Kind::ema:
            break;
    }
}

// /venue/maintenance_tiers: brackets by notional, each but the last with a
// cap (strictly increasing), rates in (0, 1), non-decreasing and below
// initial_margin. The maintenance amounts are computed here, in order (each
// needs only the bracket below), written into the resolved scenario, and a
// given amount must match the computed one.
std::vector<MaintenanceBracket> read_maintenance_tiers(ObjectReader& r, double initial_margin) {
    std::vector<MaintenanceBracket> tiers;
    const nlohmann::json* list = r.peek("maintenance_tiers");
    const std::size_t count = list != nullptr && list->is_array() ? list->size() : 0;
    if (list != nullptr && list->is_array() && count == 0) {
        r.diagnostics().error(r.pointer_to("maintenance_tiers"),
                              "needs at least one bracket; for one rate at every notional give "
                              "maintenance_margin instead");
    }
    r.object_list("maintenance_tiers", [&](ObjectReader& item, std::size_t i) {
        MaintenanceBracket b;
        if (i + 1 == count) {
            if (item.has("notional_cap")) {
                item.diagnostics().error(item.pointer_to("notional_cap"),
                                         "the last bracket has no cap: it holds every notional "
                                         "above the previous cap; leave the key out");
            }
            item.optional_number("notional_cap", Range::any());  // marks the key known
        } else if (!item.has("notional_cap")) {
            item.diagnostics().error(item.pointer_to("notional_cap"),
                                     "required field is missing: every bracket but the last "
                                     "has a cap");
            item.optional_number("notional_cap", Range::any());
            b.notional_cap = std::numeric_limits<double>::quiet_NaN();
        } else {
            b.notional_cap = item.number("notional_cap", Range::positive());
        }
        b.rate = item.number("rate", Range::open(0.0, 1.0));
        const std::optional<double> given =
            item.optional_number("maintenance_amount", Range::non_negative());
        if (!tiers.empty()) {
            const MaintenanceBracket& below = tiers.back();
            if (b.notional_cap <= below.notional_cap) {
                item.diagnostics().error(
                    item.pointer_to("notional_cap"),
                    fmt::format("caps must be strictly increasing: {:g} follows {:g}",
                                b.notional_cap, below.notional_cap));
            }
            if (b.rate < below.rate) {
                item.diagnostics().error(
                    item.pointer_to("rate"),
                    fmt::format("must be at least the previous bracket's rate ({:g}), got {:g}: "
                                "a larger position never needs a smaller share of its notional",
                                below.rate, b.rate));
            }
            b.amount = next_maintenance_amount(below, b.rate);
        }
        if (b.rate >= initial_margin) {
            item.diagnostics().error(
                item.pointer_to("rate"),
                fmt::format("must be below initial_margin ({:g}), got {:g}: a position of this "
                            "bracket opened at the maximum leverage would be liquidatable the "
                            "moment it opens",
                            initial_margin, b.rate));
        }
        // A published table rounds its amounts; anything further off is a
        // different table.
        if (given && std::abs(*given - b.amount) > 1e-9 * std::max(1.0, b.amount)) {
            item.diagnostics().error(
                item.pointer_to("maintenance_amount"),
                fmt::format("must be {:.12g}, got {:g}: the previous bracket's amount plus "
                            "(rate - previous rate) x previous cap, which makes the requirement "
                            "continuous at the cap; leave it out and cascade computes it",
                            b.amount, *given));
        }
        if (std::isfinite(b.amount)) {
            item.resolve("maintenance_amount", b.amount);
        }
        tiers.push_back(b);
    });
    return tiers;
}

}  // namespace

VenueConfig read_venue(ObjectReader& r, const TimeGrid& grid) {
    VenueConfig v;
    if (r.has("preset")) {
        // Already filled in (parse_scenario); here only checked and kept.
        std::vector<std::string_view> names;
        for (const VenuePreset& p : venue_presets()) {
            names.push_back(p.name);
        }
        r.choice("preset", names);
    }
    v.initial_margin = r.number("initial_margin", Range::left_open(0.0, 1.0));
    if (r.has("maintenance_tiers")) {
        if (r.has("maintenance_margin")) {
            r.diagnostics().error(r.pointer_to("maintenance_margin"),
                                  "give either maintenance_margin (one rate at every notional) or "
                                  "maintenance_tiers, not both");
        }
        r.optional_number("maintenance_margin", Range::any());  // marks the key known
        v.maintenance_margin = std::numeric_limits<double>::quiet_NaN();
        v.maintenance_tiers = read_maintenance_tiers(r, v.initial_margin);
    } else {
        v.maintenance_margin = r.number("maintenance_margin", Range::open(0.0, 1.0));
    }
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
                if (v.margin_policy.dynamic() && r.has("maintenance_tiers")) {
                    // P_liq(k) = (P_b - k amount_b / q) / (1 - k rate_b) moves by a
                    // factor that depends on amount_b / q, i.e. on the account.
                    policy.diagnostics().error(
                        policy.pointer_to("model"),
                        "a dynamic margin policy scales one maintenance_margin; under "
                        "maintenance_tiers the liquidation prices would not move by a common "
                        "factor (each account's maintenance amount over its size shifts its "
                        "own), so the sorted books would not stay sorted: use "
                        "maintenance_margin with this policy, or \"flat\" with the tiers");
                } else if (v.margin_policy.dynamic() &&
                           !(v.margin_policy.floor <= v.maintenance_margin &&
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
    r.object("loss_waterfall", [&](ObjectReader& waterfall) {
        static constexpr std::array<std::string_view, 3> kAdl = {"off", "pnl_leverage", "pro_rata"};
        const std::string adl = waterfall.choice("adl", kAdl, "off");
        v.loss_waterfall.adl = adl == "pnl_leverage" ? LossWaterfall::Adl::pnl_leverage
                               : adl == "pro_rata"   ? LossWaterfall::Adl::pro_rata
                                                     : LossWaterfall::Adl::off;
        v.loss_waterfall.socialised_loss = waterfall.boolean("socialised_loss", false);
    });
    r.optional_object("funding", [&](ObjectReader& funding) {
        FundingConfig& f = v.funding;
        f.enabled = true;
        f.interval_seconds = funding.duration("interval", Range::positive()).seconds;
        const std::optional<Duration> period =
            funding.optional_duration("rate_period", Range::positive());
        f.period_seconds = period ? period->seconds : f.interval_seconds;
        f.interest_rate = funding.number("interest_rate", Range::open(-1.0, 1.0), 0.0001);
        f.interest_band = funding.number("interest_band", Range::closed(0.0, 1.0), 0.0005);
        f.cap = funding.number("cap", Range::left_open(0.0, 1.0));
        check_whole_steps(funding, "interval", f.interval_seconds, grid, false);
        if (r.has("maintenance_tiers")) {
            // P_liq = max_b (P_b + F - amount_b / q) / (1 - rate_b): F moves
            // each bracket's root by its own F / (1 - rate_b).
            funding.diagnostics().error(
                funding.pointer(),
                "funding shifts every liquidation price by F / (1 - m) for one maintenance "
                "margin m; under maintenance_tiers each bracket's rate would shift it by its own "
                "amount, so the sorted books would not stay sorted: use maintenance_margin with "
                "funding");
        }
    });
    r.optional_object("liquidators", [&](ObjectReader& liquidators) {
        // A capacity is per window: the two come together, or not at all.
        if (liquidators.has("capacity") || liquidators.has("window")) {
            v.liquidators.capacity = liquidators.number("capacity", Range::left_open(0.0, 1e18));
            v.liquidators.window_seconds =
                liquidators.duration("window", Range::positive()).seconds;
        }
        v.liquidators.latency_seconds =
            liquidators.duration("latency", Range::non_negative(), "0s").seconds;
        if (liquidators.has("min_profit") || liquidators.has("cost")) {
            v.liquidators.profit_floor = true;
            v.liquidators.min_profit =
                liquidators.number("min_profit", Range::closed(0.0, 1e18), 0.0);
            v.liquidators.cost = liquidators.number("cost", Range::closed(0.0, 1e18), 0.0);
        }
    });
    r.optional_object("backstop", [&](ObjectReader& backstop) {
        static constexpr std::array<std::string_view, 2> kPrices = {"mark", "bankruptcy"};
        BackstopConfig& b = v.backstop;
        b.enabled = true;
        b.maintenance_fraction = backstop.number("maintenance_fraction", Range::closed(0.0, 1.0));
        b.price = backstop.choice("price", kPrices, "mark") == "bankruptcy"
                      ? BackstopConfig::Price::bankruptcy
                      : BackstopConfig::Price::mark;
    });
    r.object("partial_liquidation", [&](ObjectReader& partial) {
        PartialLiquidation& p = v.partial_liquidation;
        p.close_factor = partial.number("close_factor", Range::left_open(0.0, 1.0), 1.0);
        p.min_notional = partial.number("min_notional", Range::closed(0.0, 1e18), 0.0);
        if (const auto limit = partial.optional_integer("max_partials", 1, 1'000'000)) {
            p.max_partials = static_cast<std::uint32_t>(*limit);
        }
        p.cooldown_seconds = partial.duration("cooldown", Range::non_negative(), "0s").seconds;
        if (p.enabled() && p.min_notional == 0.0 && !partial.has("max_partials")) {
            partial.diagnostics().error(
                partial.pointer_to("min_notional"),
                fmt::format("with close_factor {:g} a position would be cut into ever smaller "
                            "pieces and never closed: give min_notional > 0 (positions below "
                            "it close in full) or max_partials",
                            p.close_factor));
        }
    });
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
