#pragma once
// The accounts the liquidators passed over on a path as not worth
// liquidating (docs/models.md#liquidators), each with the price alerts that
// bring it back: sparse and per path, like the position overlay.
//
// Judging every passed-over account again in every step would cost each
// step as many tests as there are such accounts (on a crash with a gas cost,
// most of the retail book): instead each waits on up to two alerts, set
// when it was passed over, and is judged again only once one fires:
//   - the market price enters the range where its liquidation would pay
//     (profitable_prices, at the book and funding of the moment it was
//     passed over): a rise, or a fall, past a level;
//   - with a backstop vault, the trigger price reaches the level where the
//     vault takes it over.
// Alerts live in heaps, one per price and direction, and an account woken
// by one leaves its other entries behind, skipped when they surface.
//
// An account held here may go back above maintenance and below again
// without being judged (nothing that decides its profit but the price has
// changed): it counts as waiting, under water, only while below, which a
// ranked index of the held accounts' liquidation prices (in the books'
// terms) answers in O(log n) a step: no wake-up per crossing, which on a
// noisy path would come every few steps for each account near the price.

#include <algorithm>
#include <cmath>
#include <cstdint>
#include <iterator>
#include <limits>
#include <vector>

#include <boost/multi_index/identity.hpp>
#include <boost/multi_index/ranked_index.hpp>
#include <boost/multi_index_container.hpp>

#include "models/population/population.hpp"
#include "sim/engine/margin_tracker.hpp"

namespace cascade {

// The levels, in log price over the initial price, at which a passed-over
// account is judged again; infinite (of the sign that never fires) for none.
struct DeferralAlerts {
    double market_rise = std::numeric_limits<double>::infinity();   // market x >= this
    double market_fall = -std::numeric_limits<double>::infinity();  // market x <= this
    double log_trigger = 0.0;  // its liquidation price, in the books' terms
    double trigger_rise = std::numeric_limits<double>::infinity();   // trigger x >= this
    double trigger_fall = -std::numeric_limits<double>::infinity();  // trigger x <= this
};

class DeferredAccounts {
  public:
    bool empty() const { return held_ == 0; }
    std::uint64_t held() const { return held_; }

    // Of the accounts held, those below maintenance at trigger level
    // `level`: a long while level.long_x < its liquidation price, a short
    // while level.short_x > it (the finders' test). Two look-ups in the
    // ranked index, or none while the level stays between the same two
    // neighbouring liquidation prices (the common step).
    std::uint64_t below_maintenance(const TriggerLevel& level) {
        return long_count_.at(level.long_x, long_triggers_, true) +
               short_count_.at(level.short_x, short_triggers_, false);
    }

    void add(Side side, std::uint32_t index, const DeferralAlerts& alerts) {
        const auto slot = static_cast<std::uint32_t>(slots_.size());
        slots_.push_back({alerts.log_trigger, index, side, true});
        ++held_;
        (side == Side::long_side ? long_triggers_ : short_triggers_)
            .insert(Held{alerts.log_trigger, slot});
        (side == Side::long_side ? long_count_ : short_count_).stale = true;
        rising_market_.push(alerts.market_rise, slot);
        falling_market_.push(alerts.market_fall, slot);
        rising_trigger_.push(alerts.trigger_rise, slot);
        falling_trigger_.push(alerts.trigger_fall, slot);
    }

    // Where, from the level of the last below_maintenance(), something would
    // change: the nearest alerts each way (stale ones included: an early
    // look) and the liquidation prices next to the level on each side.
    struct Bounds {
        double market_rise;
        double market_fall;
        double trigger_rise;
        double trigger_fall;
        double long_below;   // the long count changes once long_x < this ...
        double long_above;   // ... or long_x >= this
        double short_below;  // the short count once short_x <= this ...
        double short_above;  // ... or short_x > this
    };
    Bounds bounds() const {
        return {rising_market_.top(),   falling_market_.top(), rising_trigger_.top(),
                falling_trigger_.top(), long_count_.below,     long_count_.above,
                short_count_.below,     short_count_.above};
    }

    // Calls visit(side, index) for every account held, in the order they
    // were passed over.
    template <class Visit>
    void for_each_held(Visit&& visit) const {
        for (const Slot& slot : slots_) {
            if (slot.held) {
                visit(slot.side, slot.index);
            }
        }
    }

    // Calls wake(side, index) for every account one of whose alerts fires at
    // market log price `x` and trigger log price `x_trigger`; each account
    // once, and forgotten.
    template <class Wake>
    void fire(double x, double x_trigger, Wake&& wake) {
        const auto woken = [&](std::uint32_t slot) {
            Slot& s = slots_[slot];
            if (s.held) {
                s.held = false;
                --held_;
                (s.side == Side::long_side ? long_triggers_ : short_triggers_)
                    .erase(Held{s.log_trigger, slot});
                (s.side == Side::long_side ? long_count_ : short_count_).stale = true;
                wake(s.side, s.index);
            }
        };
        rising_market_.fire(x, woken);
        falling_market_.fire(x, woken);
        rising_trigger_.fire(x_trigger, woken);
        falling_trigger_.fire(x_trigger, woken);
        if (held_ == 0) {
            *this = DeferredAccounts();  // every alert left is stale
        }
    }

  private:
    struct Slot {
        double log_trigger = 0.0;
        std::uint32_t index = 0;
        Side side = Side::long_side;
        bool held = true;
    };

    // A held account's liquidation price, in the books' terms; the slot
    // makes it unique.
    struct Held {
        double log_trigger = 0.0;
        std::uint32_t slot = 0;
        bool operator<(const Held& other) const {
            return log_trigger != other.log_trigger ? log_trigger < other.log_trigger
                                                    : slot < other.slot;
        }
    };
    using RankedTriggers = boost::multi_index_container<
        Held, boost::multi_index::indexed_by<
                  boost::multi_index::ranked_unique<boost::multi_index::identity<Held>>>>;

    // One side's count below maintenance, kept with the liquidation prices
    // next to the level it was taken at: it holds for any level between them.
    struct CrossingCount {
        bool stale = true;
        double below = 0.0;  // the nearest liquidation price on each side
        double above = 0.0;
        std::uint64_t count = 0;

        // Longs cross while x < their price: those above x. Shorts while
        // x > it: those below x.
        std::uint64_t at(double x, const RankedTriggers& triggers, bool longs) {
            constexpr double kInf = std::numeric_limits<double>::infinity();
            if (!stale && (longs ? below <= x && x < above : below < x && x <= above)) {
                return count;
            }
            const auto& index = triggers.get<0>();
            // Longs: the first price > x; shorts: the first >= x.
            const auto next =
                longs ? index.upper_bound(Held{x, std::numeric_limits<std::uint32_t>::max()})
                      : index.lower_bound(Held{x, 0});
            const std::uint64_t rank = index.rank(next);
            count = longs ? index.size() - rank : rank;
            above = next == index.end() ? kInf : next->log_trigger;
            below = next == index.begin() ? -kInf : std::prev(next)->log_trigger;
            stale = false;
            return count;
        }
    };

    // Alerts that fire once the price reaches their level from below
    // (`Rising`) or from above.
    template <bool Rising>
    class AlertHeap {
      public:
        void push(double level, std::uint32_t slot) {
            if (std::isinf(level) && (level > 0.0) == Rising) {
                return;  // never fires
            }
            heap_.push_back({level, slot});
            std::push_heap(heap_.begin(), heap_.end(), later);
        }
        // The level the next alert fires at; infinite when none.
        double top() const {
            constexpr double kInf = std::numeric_limits<double>::infinity();
            return heap_.empty() ? (Rising ? kInf : -kInf) : heap_.front().level;
        }
        template <class Woken>
        void fire(double x, Woken&& woken) {
            while (!heap_.empty() &&
                   (Rising ? x >= heap_.front().level : x <= heap_.front().level)) {
                woken(heap_.front().slot);
                std::pop_heap(heap_.begin(), heap_.end(), later);
                heap_.pop_back();
            }
        }

      private:
        struct Alert {
            double level = 0.0;
            std::uint32_t slot = 0;
        };
        // The top fires first: the lowest level of a rising heap, the highest
        // of a falling one; ties by the order they were set.
        static bool later(const Alert& a, const Alert& b) {
            if (a.level != b.level) {
                return Rising ? a.level > b.level : a.level < b.level;
            }
            return a.slot > b.slot;
        }
        std::vector<Alert> heap_;
    };

    std::vector<Slot> slots_;
    std::uint64_t held_ = 0;
    RankedTriggers long_triggers_;
    RankedTriggers short_triggers_;
    CrossingCount long_count_;
    CrossingCount short_count_;
    AlertHeap<true> rising_market_;
    AlertHeap<false> falling_market_;
    AlertHeap<true> rising_trigger_;
    AlertHeap<false> falling_trigger_;
};

}  // namespace cascade
