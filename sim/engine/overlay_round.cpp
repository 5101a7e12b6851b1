// The engine's rounds on a path whose accounts may differ from the books
// (partial liquidation, the loss waterfall after the fund), or whose
// crossing accounts do not all go to the market (the liquidators' capacity,
// latency and profit floor, the backstop vault), and the profit floor's
// bookkeeping: declared in sim/engine/cascade_engine.hpp, defined here for
// both finders. They are rare and cold, and out of the path loop's
// translation unit so that it keeps its inlining budget for the common step.

#include <algorithm>
#include <cmath>
#include <cstdint>
#include <limits>
#include <vector>

#include "sim/engine/cascade_engine.hpp"
#include "sim/engine/liquidation_profit.hpp"
#include "sim/engine/reference_scan.hpp"

namespace cascade {

template <class Finder>
typename CascadeEngine<Finder>::RoundOutcome CascadeEngine<Finder>::overlay_round(
    const ImpactConfig& impact, double x, double x_trigger, std::uint32_t step, std::uint32_t round,
    std::uint64_t path, EventLog* events) {
    const double trigger_price = rules_.initial_price * std::exp(x_trigger);
    plan_closes(population_.longs, long_overlay_, trigger_price, crossing_longs_, closing_longs_);
    plan_closes(population_.shorts, short_overlay_, trigger_price, crossing_shorts_,
                closing_shorts_);
    RoundOutcome outcome;
    if (backstop_) {
        // The vault is not the liquidators: it needs none of their capacity.
        outcome.liquidated +=
            hand_to_backstop(population_.longs, crossing_longs_, closing_longs_, long_overlay_,
                             trigger_price, step, round, path, events);
        outcome.liquidated +=
            hand_to_backstop(population_.shorts, crossing_shorts_, closing_shorts_, short_overlay_,
                             trigger_price, step, round, path, events);
    }
    waiting_ = 0;  // handed back in this round, the step's last so far
    if (crossing_longs_.empty() && crossing_shorts_.empty()) {
        return outcome;
    }
    // The liquidators judge first whether an account is worth it; their
    // latency counts from then (an account they passed over waits it once
    // woken), and their capacity goes to those they act on.
    if (choosy_ && apply_min_profit(impact, x, x_trigger)) {
        outcome.liquidators_done = true;
        return outcome;
    }
    if (delayed_ && apply_latency(step)) {
        outcome.liquidators_done = true;
        return outcome;
    }
    const double price = rules_.initial_price * std::exp(x);
    if (limited_ && apply_capacity(price)) {
        outcome.liquidators_done = true;
        return outcome;
    }
    outcome.liquidated += crossing_longs_.size() + crossing_shorts_.size();
    // What the round sends to the market: the units the liquidators took.
    const auto units_of = [](const std::vector<Closing>& closing) {
        double units = 0.0;
        for (const Closing& c : closing) {
            units += c.units;
        }
        return units;
    };
    const double sold = units_of(closing_longs_);
    const double bought = units_of(closing_shorts_);
    const ImpactMove move = apply_impact(impact, impact_, sold - bought);
    const double fill = price * move.fill_factor;
    AdlOrder from_longs;
    AdlOrder from_shorts;
    settle_overlaid(population_.longs, crossing_longs_, closing_longs_, long_overlay_,
                    population_.shorts, short_overlay_, short_queue_, from_longs, price, fill, step,
                    round, path, events);
    settle_overlaid(population_.shorts, crossing_shorts_, closing_shorts_, short_overlay_,
                    population_.longs, long_overlay_, long_queue_, from_shorts, price, fill, step,
                    round, path, events);
    const LossWaterfall::Adl adl = rules_.venue.loss_waterfall.adl;
    waterfall_totals_.adl_notional += from_longs.value + from_shorts.value;
    if (from_longs.units > 0.0) {
        tally_.open_size -= deleverage(ledger_, population_.shorts, short_queue_, adl,
                                       from_longs.units, from_longs.value / from_longs.units,
                                       funding_.index(), short_overlay_, waterfall_totals_);
    }
    if (from_shorts.units > 0.0) {
        tally_.open_size -= deleverage(ledger_, population_.longs, long_queue_, adl,
                                       from_shorts.units, from_shorts.value / from_shorts.units,
                                       funding_.index(), long_overlay_, waterfall_totals_);
    }
    impact_ = from_longs.units > 0.0 || from_shorts.units > 0.0
                  ? apply_impact(impact, impact_,
                                 (sold - from_longs.units) - (bought - from_shorts.units))
                        .after
                  : move.after;
    return outcome;
}

template <class Finder>
bool CascadeEngine<Finder>::apply_capacity(double price) {
    double shortfall = 0.0;
    std::uint64_t waiting = 0;
    const auto keep = [&](Side side, std::vector<std::uint32_t>& indices,
                          std::vector<Closing>& closing) {
        std::size_t kept = 0;
        for (std::size_t k = 0; k < indices.size(); ++k) {
            // An account is taken whole while any capacity is left.
            if (capacity_left_ > 0.0) {
                capacity_left_ -= closing[k].units * price;
                indices[kept] = indices[k];
                closing[kept] = closing[k];
                ++kept;
            } else {
                finder_.put_back(side, indices[k], closing[k].position);
                shortfall += closing[k].units * price;
                ++waiting;
            }
        }
        indices.resize(kept);
        closing.resize(kept);
    };
    keep(Side::long_side, crossing_longs_, closing_longs_);
    keep(Side::short_side, crossing_shorts_, closing_shorts_);
    waiting_ += waiting;
    capacity_shortfall_max_ = std::max(capacity_shortfall_max_, shortfall);
    return crossing_longs_.empty() && crossing_shorts_.empty();
}

template <class Finder>
bool CascadeEngine<Finder>::apply_min_profit(const ImpactConfig& impact, double x,
                                             double x_trigger) {
    const LiquidatorConfig& liquidators = rules_.venue.liquidators;
    const double price = rules_.initial_price * std::exp(x);
    const double funding = funding_.index();  // moves every entry price alike
    constexpr double kInf = std::numeric_limits<double>::infinity();
    const auto keep = [&](const SideBook& book, PositionOverlay& overlay,
                          std::vector<std::uint32_t>& indices, std::vector<Closing>& closing) {
        const double s = sign(book.side);
        std::size_t kept = 0;
        for (std::size_t k = 0; k < indices.size(); ++k) {
            const std::uint32_t i = indices[k];
            const Closing& c = closing[k];
            const LiquidationTerms terms{s,
                                         c.units,
                                         c.margin(),
                                         book.entry[i] + funding,
                                         apply_impact(impact, impact_, s * c.units).fill_factor,
                                         rules_.venue.liquidation_penalty,
                                         liquidators.cost};
            if (liquidation_profit(terms, price) >= liquidators.min_profit) {
                indices[kept] = i;
                closing[kept] = c;
                ++kept;
                continue;
            }
            // Passed over: the alerts that bring it back, each strictly beyond
            // the price of now (where it does not pay), so that rounding in
            // the interval cannot wake it at the same price.
            DeferralAlerts alerts;
            alerts.log_trigger = c.position.log_trigger;
            const PriceInterval pays = profitable_prices(terms, liquidators.min_profit);
            if (!pays.empty()) {
                const bool inside = pays.contains(price);  // by the interval, not the test
                if (price < pays.lo || inside) {
                    alerts.market_rise =
                        std::max(inside ? x : std::log(pays.lo / rules_.initial_price),
                                 std::nextafter(x, kInf));
                }
                if (price > pays.hi || inside) {
                    alerts.market_fall =
                        std::min(inside ? x : std::log(pays.hi / rules_.initial_price),
                                 std::nextafter(x, -kInf));
                }
            }
            if (backstop_) {
                const double level = backstop_level(book, i, c.position, x_trigger);
                if (book.side == Side::long_side) {
                    alerts.trigger_fall = std::min(level, std::nextafter(x_trigger, -kInf));
                } else {
                    alerts.trigger_rise = std::max(level, std::nextafter(x_trigger, kInf));
                }
            }
            overlay.set(i, c.position);  // open, as it stands, for ADL's queue
            finder_.set_apart(book.side, i);
            deferred_.add(book.side, i, alerts);
        }
        indices.resize(kept);
        closing.resize(kept);
    };
    keep(population_.longs, long_overlay_, crossing_longs_, closing_longs_);
    keep(population_.shorts, short_overlay_, crossing_shorts_, closing_shorts_);
    return crossing_longs_.empty() && crossing_shorts_.empty();
}

template <class Finder>
void CascadeEngine<Finder>::set_quiet_band() {
    const DeferredAccounts::Bounds b = deferred_.bounds();
    const double lo = margin_.level().long_offset;   // long_x = x + lo
    const double so = margin_.level().short_offset;  // short_x = x + so
    // The market (and trigger) log prices at or beyond which something may
    // change: an alert fires, or a count below maintenance moves (equality
    // counted as a change, where the strict tests would not: conservative).
    const double rise =
        std::min({b.market_rise, b.trigger_rise, b.long_above - lo, b.short_above - so});
    const double fall =
        std::max({b.market_fall, b.trigger_fall, b.long_below - lo, b.short_below - so});
    const auto margin = [](double v) { return 1e-12 * (1.0 + std::abs(v)); };
    // Not quiet: long_x < floor covers x <= fall; short_x > ceiling, x >= rise.
    const double floor = fall + lo;
    const double ceiling = rise + so;
    finder_.set_quiet_band(floor + margin(floor), ceiling - margin(ceiling));
}

template <class Finder>
void CascadeEngine<Finder>::wake_deferred(double x, double x_trigger) {
    deferred_.fire(x, x_trigger, [&](Side side, std::uint32_t i) {
        const bool is_long = side == Side::long_side;
        const OpenPosition position = (is_long ? long_overlay_ : short_overlay_)
                                          .of(is_long ? population_.longs : population_.shorts, i);
        finder_.wake(side, i, position);
    });
}

template <class Finder>
double CascadeEngine<Finder>::backstop_level(const SideBook& book, std::uint32_t i,
                                             const OpenPosition& position, double x_trigger) const {
    // plan_closes' test at log trigger price y: false at x_trigger.
    const auto taken = [&](double y) {
        const double price = rules_.initial_price * std::exp(y);
        return below_backstop(position, equity_at(book, i, position, price), price);
    };
    // Longs are taken below a level, shorts above: walk away from x_trigger
    // in that direction, doubling the step, until the test holds ...
    const double direction = -sign(book.side);
    double step = 1.0;
    double outside = x_trigger;  // not taken
    double inside = x_trigger + direction * step;
    while (!taken(inside)) {
        if (step > 50.0) {
            return direction * std::numeric_limits<double>::infinity();
        }
        outside = inside;
        step *= 2.0;
        inside = x_trigger + direction * step;
    }
    // ... then bisect between the two, keeping the side where it holds.
    for (int k = 0; k < 64; ++k) {
        const double middle = 0.5 * (inside + outside);
        if (middle == inside || middle == outside) {
            break;
        }
        (taken(middle) ? inside : outside) = middle;
    }
    return inside;
}

template <class Finder>
bool CascadeEngine<Finder>::apply_latency(std::uint32_t step) {
    const std::uint32_t latency = rules_.liquidator_latency_steps;
    const auto keep = [&](Side side, LatencyClock& clock, std::vector<std::uint32_t>& indices,
                          std::vector<Closing>& closing) {
        // Book accounts cross in book order, so those long enough below
        // maintenance come first: what is handed back from the book is a
        // suffix of it, as the finders' put_back needs.
        std::size_t kept = 0;
        for (std::size_t k = 0; k < indices.size(); ++k) {
            if (step - clock.seen(indices[k], step) >= latency) {
                indices[kept] = indices[k];
                closing[kept] = closing[k];
                ++kept;
            } else {
                finder_.put_back(side, indices[k], closing[k].position);
                ++waiting_;
            }
        }
        indices.resize(kept);
        closing.resize(kept);
    };
    keep(Side::long_side, long_clock_, crossing_longs_, closing_longs_);
    keep(Side::short_side, short_clock_, crossing_shorts_, closing_shorts_);
    return crossing_longs_.empty() && crossing_shorts_.empty();
}

template <class Finder>
void CascadeEngine<Finder>::plan_closes(const SideBook& book, const PositionOverlay& overlay,
                                        double trigger_price, std::vector<std::uint32_t>& indices,
                                        std::vector<Closing>& closing) const {
    closing.clear();
    const PartialLiquidation& partial = rules_.venue.partial_liquidation;
    std::size_t kept = 0;
    for (std::uint32_t i : indices) {
        // One look-up per account and round: settle_overlaid reads it from here.
        const OpenPosition* touched = overlay.find(i);
        const OpenPosition position =
            touched != nullptr ? *touched : PositionOverlay::from_book(book, i);
        if (!(position.size > 0.0)) {
            continue;  // closed entirely by ADL
        }
        double close = position.size;
        const double equity = equity_at(book, i, position, trigger_price);
        if (backstop_ && below_backstop(position, equity, trigger_price)) {
            indices[kept++] = i;
            closing.push_back({position, close, touched != nullptr, true});
            continue;
        }
        if (partial_ && position.partials < partial.max_partials &&
            position.size * trigger_price >= partial.min_notional && equity > 0.0) {
            close = position.size * partial.close_factor;
        }
        indices[kept++] = i;
        closing.push_back({position, close, touched != nullptr});
    }
    indices.resize(kept);
}

template <class Finder>
std::size_t CascadeEngine<Finder>::hand_to_backstop(const SideBook& book,
                                                    std::vector<std::uint32_t>& indices,
                                                    std::vector<Closing>& closing,
                                                    PositionOverlay& overlay, double trigger_price,
                                                    std::uint32_t step, std::uint32_t round,
                                                    std::uint64_t path, EventLog* events) {
    const double s = sign(book.side);
    const double offset =
        book.side == Side::long_side ? margin_.level().long_offset : margin_.level().short_offset;
    const double funding = funding_.index();  // moves every entry price alike
    const bool at_mark = rules_.venue.backstop.price == BackstopConfig::Price::mark;
    std::size_t kept = 0;
    std::size_t taken = 0;
    for (std::size_t k = 0; k < indices.size(); ++k) {
        const std::uint32_t i = indices[k];
        const Closing& c = closing[k];
        if (!c.backstop) {
            indices[kept] = i;
            closing[kept] = c;
            ++kept;
            continue;
        }
        const OpenPosition& position = c.position;
        const double entry = book.entry[i] + funding;
        const double price =
            at_mark ? trigger_price
                    : bankruptcy_price(book.side, position.size, entry, position.collateral);
        take_over(ledger_, s, position.size, entry, position.collateral, price);
        (book.side == Side::long_side ? backstop_totals_.long_units
                                      : backstop_totals_.short_units) += position.size;
        (book.side == Side::long_side ? backstop_totals_.long_cost : backstop_totals_.short_cost) +=
            position.size * (price - funding);
        ++backstop_totals_.takeovers;
        backstop_totals_.notional += position.size * price;
        const Settlement none;  // no penalty: the vault keeps the equity
        count(tally_, ledger_, book, i, position.size, price, none, position.rearmed);
        if (events != nullptr) {
            LiquidationEvent event = event_of(book, i, position.log_trigger, position.size, offset,
                                              price, none, step, round, path);
            event.backstop = 1;
            events->push_back(event);
        }
        // Closed on this path, whether or not the overlay held it: an account
        // handed back before it in book order (liquidators) rewinds the
        // cursor past it, and the next round must skip it.
        overlay.set(
            i, OpenPosition{0.0, 0.0, position.log_trigger, position.partials, position.rearmed});
        ++taken;
    }
    indices.resize(kept);
    closing.resize(kept);
    return taken;
}

template <class Finder>
void CascadeEngine<Finder>::settle_overlaid(const SideBook& book,
                                            const std::vector<std::uint32_t>& indices,
                                            const std::vector<Closing>& closing,
                                            PositionOverlay& overlay, const SideBook& opposite,
                                            const PositionOverlay& opposite_overlay,
                                            AdlQueue& opposite_queue, AdlOrder& order, double price,
                                            double fill, std::uint32_t step, std::uint32_t round,
                                            std::uint64_t path, EventLog* events) {
    const double s = sign(book.side);
    const double offset =
        book.side == Side::long_side ? margin_.level().long_offset : margin_.level().short_offset;
    const LossWaterfall& waterfall = rules_.venue.loss_waterfall;
    const double funding = funding_.index();  // moves every entry price alike
    bool queue_built = false;
    for (std::size_t k = 0; k < indices.size(); ++k) {
        const std::uint32_t i = indices[k];
        OpenPosition position = closing[k].position;
        const double units = closing[k].units;
        const bool partial = units < position.size;
        const double collateral = closing[k].margin();
        // Of `uncovered` (out of `shortfall`): ADL takes the share of the
        // units the opposite side can absorb, each closed at the
        // bankruptcy price, where its equity is 0: that unit's share of the
        // shortfall is not incurred. A haircut on the counterparty's
        // profit, up to what it holds, takes what ADL cannot.
        const auto cover = [&](double shortfall, double uncovered) {
            double covered = 0.0;
            if (waterfall.adl != LossWaterfall::Adl::off) {
                if (!queue_built) {
                    opposite_queue.build(
                        opposite, opposite_overlay, price, funding, waterfall.adl,
                        [&](std::uint32_t j) { return finder_.not_collected(opposite.side, j); });
                    queue_built = true;
                }
                const double needed = units * (uncovered / shortfall);
                const double adl_units = std::min(needed, opposite_queue.capacity() - order.units);
                if (adl_units > 0.0) {
                    covered = adl_units == needed ? uncovered : shortfall * (adl_units / units);
                    const double bankrupt = bankruptcy_price(
                        book.side, position.size, book.entry[i] + funding, position.collateral);
                    order.units += adl_units;
                    order.value += adl_units * bankrupt;
                }
            }
            if (waterfall.socialised_loss && covered < uncovered) {
                const double rest = uncovered - covered;
                const double available = std::max(ledger_.counterparty - covered, 0.0);
                const double haircut = std::min(rest, available);
                waterfall_totals_.socialised_loss += haircut;
                covered = haircut == rest ? uncovered : covered + haircut;
            }
            return covered;
        };
        const Settlement result = settle(ledger_, s, units, book.entry[i] + funding, collateral,
                                         fill, rules_.venue.liquidation_penalty, cover);
        count(tally_, ledger_, book, i, units, fill, result, position.rearmed);
        if (events != nullptr) {
            events->push_back(event_of(book, i, position.log_trigger, units, offset, fill, result,
                                       step, round, path));
        }
        if (partial) {
            // The equity of the closed share after the penalty (none when
            // the fill was beyond its bankruptcy price) stays as margin.
            const double kept =
                result.shortfall > 0.0
                    ? 0.0
                    : collateral + s * units * (fill - (book.entry[i] + funding)) - result.penalty;
            ledger_.trader_cash -= kept;
            ledger_.trader_collateral += kept;
            position.size -= units;
            position.collateral += kept - collateral;
            position.log_trigger =
                log_liquidation_price(book.side, position.size, book.entry[i], position.collateral,
                                      rules_.venue, rules_.initial_price);
            ++position.partials;
            position.rearmed = true;
            overlay.set(i, position);
            finder_.rearm(book.side, i, position, step + rules_.partial_cooldown_steps, step);
            if (delayed_) {
                (book.side == Side::long_side ? long_clock_ : short_clock_).forget(i);
            }
            ++tally_.partial_liquidations;
        } else if (closing[k].touched) {
            overlay.set(i, OpenPosition{0.0, 0.0, position.log_trigger, position.partials,
                                        position.rearmed});
        }
    }
}

template CascadeEngine<CursorFinder>::RoundOutcome CascadeEngine<CursorFinder>::overlay_round(
    const ImpactConfig&, double, double, std::uint32_t, std::uint32_t, std::uint64_t, EventLog*);
template CascadeEngine<ScanFinder>::RoundOutcome CascadeEngine<ScanFinder>::overlay_round(
    const ImpactConfig&, double, double, std::uint32_t, std::uint32_t, std::uint64_t, EventLog*);
template void CascadeEngine<CursorFinder>::wake_deferred(double, double);
template void CascadeEngine<ScanFinder>::wake_deferred(double, double);
template void CascadeEngine<CursorFinder>::set_quiet_band();
template void CascadeEngine<ScanFinder>::set_quiet_band();

}  // namespace cascade
