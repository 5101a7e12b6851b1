#include "sim/path_kernel.hpp"

#include <algorithm>
#include <cmath>
#include <limits>
#include <optional>
#include <stdexcept>

#include <fmt/format.h>

#include "sim/engine/reference_scan.hpp"

namespace cascade {
namespace {

PathRandom path_random(const StandardNormal& normal, std::uint64_t seed, std::uint64_t path) {
    return {normal, make_stream(seed, path, StreamPurpose::price_diffusion),
            make_stream(seed, path, StreamPurpose::price_jumps)};
}

// A rolling window of `seconds`, in whole steps: at least 1, at most the grid.
std::uint32_t window_steps(double seconds, const TimeGrid& grid) {
    return static_cast<std::uint32_t>(std::clamp<double>(std::round(seconds / grid.step_seconds()),
                                                         1.0, std::max<double>(grid.steps, 1.0)));
}

// A cooldown in whole steps, rounded up: an account partially liquidated at
// step k may be liquidated again from step k + this on (0: in the next round).
// Past the horizon it never comes back.
// A duration in whole steps, rounded up (a partial liquidation's cooldown,
// the liquidators' latency).
std::uint32_t whole_steps_up(double seconds, const TimeGrid& grid) {
    const double steps = std::ceil(seconds / grid.step_seconds() * (1.0 - 1e-12));
    return static_cast<std::uint32_t>(std::clamp<double>(steps, 0.0, grid.steps + 1.0));
}

MarketRules market_rules(const Scenario& scenario, const ShockSchedule& shocks) {
    MarketRules rules;
    rules.venue = scenario.venue;
    rules.impact = scenario.market.impact;
    rules.impact_decay =
        impact_decay_per_step(scenario.market.impact, scenario.simulation.grid.step_seconds());
    rules.max_rounds = scenario.simulation.max_cascade_rounds;
    rules.initial_price = scenario.market.initial_price;
    const TimeGrid& grid = scenario.simulation.grid;
    rules.step_years = grid.step_years();
    rules.margin_window_steps = window_steps(scenario.venue.margin_policy.window_seconds, grid);
    rules.depth_window_steps =
        window_steps(scenario.market.impact.elastic_depth.window_seconds, grid);
    const auto droughts = shocks.depth_multipliers();
    rules.drought_depth.assign(droughts.begin(), droughts.end());
    const auto frozen = shocks.oracle_frozen();
    rules.oracle = OracleRules(scenario.venue.oracle, grid.step_seconds(),
                               std::vector<std::uint8_t>(frozen.begin(), frozen.end()));
    rules.partial_cooldown_steps =
        whole_steps_up(scenario.venue.partial_liquidation.cooldown_seconds, grid);
    rules.liquidator_latency_steps =
        whole_steps_up(scenario.venue.liquidators.latency_seconds, grid);
    if (scenario.venue.liquidators.limited()) {
        rules.liquidator_capacity = scenario.venue.liquidators.capacity * grid.step_seconds() /
                                    scenario.venue.liquidators.window_seconds;
    }
    rules.funding_interval_steps = std::max<std::uint32_t>(
        oracle_steps(scenario.venue.funding.interval_seconds, grid.step_seconds()), 1);
    return rules;
}

}  // namespace

PathKernel::PathKernel(const Scenario& scenario, const Population& population, EngineKind engine)
    : PathKernel(scenario, population, engine,
                 ShockSchedule(scenario.simulation.grid, scenario.shocks)) {}

PathKernel::PathKernel(const Scenario& scenario, const Population& population, EngineKind engine,
                       const ShockSchedule& shocks)
    : seed_(scenario.simulation.seed),
      steps_(scenario.simulation.grid.steps),
      max_events_per_path_(scenario.output.max_events_per_path),
      step_seconds_(scenario.simulation.grid.step_seconds()),
      population_(population),
      rules_(market_rules(scenario, shocks)),
      engine_(engine),
      min_log_price_(std::log(std::numeric_limits<double>::min() / scenario.market.initial_price)),
      max_log_price_(std::log(std::numeric_limits<double>::max() / scenario.market.initial_price)),
      process_(make_price_process(scenario.market.price_model, scenario.simulation.grid, shocks)) {}

void PathKernel::simulate_exogenous(std::uint64_t path, std::span<double> log_exogenous) const {
    PathRandom random = path_random(normal_, seed_, path);
    std::visit(
        [&](const auto& process) {
            auto state = process.start(random);
            double x = 0.0;
            log_exogenous[0] = x;
            for (std::size_t k = 0; k + 1 < log_exogenous.size(); ++k) {
                x += process.log_return(state, random, k);
                log_exogenous[k + 1] = x;
            }
        },
        process_);
}

void PathKernel::simulate(std::uint64_t path, const PathTrace& trace, PathOutcome& outcome,
                          std::span<std::uint64_t> cohort_liquidations, EventVector* events) const {
    std::optional<EventLog> log;
    if (events != nullptr) {
        log.emplace(*events, max_events_per_path_);
    }
    EventLog* const kept = log ? &*log : nullptr;
    if (engine_ == EngineKind::cursor) {
        CascadeEngine<CursorFinder> engine(population_, rules_, CursorFinder(population_),
                                           cohort_liquidations);
        run(path, trace, outcome, engine, kept);
    } else {
        CascadeEngine<ScanFinder> engine(
            population_, rules_,
            ScanFinder(population_, rules_.initial_price, rules_.venue.maintenance_tiers),
            cohort_liquidations);
        run(path, trace, outcome, engine, kept);
    }
}

template <class Finder>
void PathKernel::run(std::uint64_t path, const PathTrace& trace, PathOutcome& outcome,
                     CascadeEngine<Finder>& engine, EventLog* events) const {
    PathRandom random = path_random(normal_, seed_, path);
    // The rows never alias the engine's state: saying so lets the compiler keep
    // that state in registers across the stores.
    double* __restrict log_exogenous = trace.log_exogenous.data();
    double* __restrict log_market = trace.log_market.data();
    double* __restrict liquidated = trace.liquidated_notional.data();
    double* __restrict fund = trace.insurance_fund.data();
    double* __restrict open = trace.open_interest.data();
    // Null when no oracle series is recorded: one store per step saved.
    double* __restrict oracle = trace.log_oracle.data();
    double* __restrict adl = trace.adl_notional.data();  // null when not recorded
    const auto record = [&](std::size_t k, double x_exo) {
        log_exogenous[k] = x_exo;
        log_market[k] = x_exo + engine.impact();
        liquidated[k] = engine.liquidated_notional();
        fund[k] = engine.ledger().insurance_fund;
        open[k] = engine.open_size();
        if (oracle != nullptr) {
            oracle[k] = engine.oracle_log_price(log_market[k]);
        }
        if (adl != nullptr) {
            adl[k] = engine.waterfall().adl_notional;
        }
    };
    // The exogenous path and the engine advance together, one step at a time:
    // one dispatch per path, none per step.
    std::visit(
        [&](const auto& process) {
            auto state = process.start(random);
            double x_exo = 0.0;
            record(0, x_exo);
            for (std::uint32_t k = 1; k <= steps_; ++k) {
                x_exo += process.log_return(state, random, k - 1);
                // One comparison pair per step: the price must stay a positive,
                // finite double (this also stops a NaN at its first step).
                if (!(x_exo > min_log_price_ && x_exo < max_log_price_)) [[unlikely]] {
                    throw std::runtime_error(fmt::format(
                        "numerical fault on path {} at step {}: the exogenous price left the "
                        "range of floating point (log of price over initial price = {}); the "
                        "price model's parameters are too extreme for this horizon",
                        path, k, x_exo));
                }
                engine.step(k, x_exo, path, events);
                record(k, x_exo);
            }
        },
        process_);

    engine.finish(steps_);
    const Ledger& ledger = engine.ledger();
    if (!std::isfinite(ledger.total()) || !std::isfinite(engine.liquidated_notional())) {
        throw std::runtime_error(fmt::format(
            "numerical fault on path {}: the ledger is not finite (insurance fund {}, bad debt {}, "
            "liquidated notional {})",
            path, ledger.insurance_fund, ledger.bad_debt(), engine.liquidated_notional()));
    }
    outcome.liquidations = engine.liquidations();
    outcome.partial_liquidations = engine.partial_liquidations();
    outcome.funding_index = engine.funding_index();
    outcome.capacity_shortfall_max = engine.capacity_shortfall_max();
    outcome.under_water_time = static_cast<double>(engine.waiting_account_steps()) * step_seconds_;
    outcome.passed_over = engine.passed_over();
    const double final_price = rules_.initial_price * std::exp(log_market[steps_]);
    outcome.passed_over_deficit = engine.passed_over_deficit(final_price);
    outcome.liquidated_notional = engine.liquidated_notional();
    outcome.penalties = engine.penalties();
    outcome.fund_paid = engine.fund_paid();
    outcome.bad_debt = ledger.bad_debt();
    outcome.fund_final = ledger.insurance_fund;
    outcome.fund_min = engine.fund_min();
    outcome.max_rounds = engine.max_rounds();
    outcome.first_liquidation_step = engine.first_liquidation_step();
    outcome.min_log_market = engine.min_log_market();
    outcome.min_log_exogenous = engine.min_log_exogenous();
    outcome.oracle_gap_max = engine.oracle_gap_max();
    outcome.oracle_gap_mean =
        engine.liquidations() > 0
            ? engine.oracle_gap_sum() / static_cast<double>(engine.liquidations())
            : std::numeric_limits<double>::quiet_NaN();
    outcome.adl_notional = engine.waterfall().adl_notional;
    outcome.adl_accounts = engine.waterfall().adl_accounts;
    outcome.socialised_loss = engine.waterfall().socialised_loss;
    outcome.backstop_takeovers = engine.backstop().takeovers;
    outcome.backstop_notional = engine.backstop().notional;
    outcome.backstop_pnl = engine.backstop_value(final_price);
    // Relative to the larger of the money in the system and the flows through it.
    const double scale = std::max({engine.initial_total(), engine.liquidated_notional(), 1.0});
    outcome.ledger_imbalance = std::abs(ledger.total() - engine.initial_total()) / scale;
}

}  // namespace cascade
