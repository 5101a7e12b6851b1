#pragma once
// What is left of the accounts a path has touched without closing them: a
// sparse per-path overlay on the shared, sorted books. Partial liquidation
// leaves an account open with a smaller position, the margin it kept and a new
// liquidation price; auto-deleveraging closes part or all of a profitable
// account. The books stay untouched and shared by every path; a path pays only
// for the accounts it touches (docs/models.md#partial-liquidation).

#include <cstdint>
#include <unordered_map>

#include "models/population/population.hpp"

namespace cascade {

// An account's position as it stands on this path.
struct OpenPosition {
    double size = 0.0;        // units still open; 0 once closed
    double collateral = 0.0;  // margin backing them
    // Log of the liquidation price over the initial price under the venue's
    // base rule, as in the books. A proportional cut (ADL under a flat margin)
    // leaves it unchanged; a partial liquidation moves it.
    double log_trigger = 0.0;
    std::uint32_t partials = 0;  // partial liquidations so far on this path
    // True once a partial liquidation has re-armed the account: from then on
    // its book entry no longer describes it, only this does.
    bool rearmed = false;
};

class PositionOverlay {
  public:
    bool empty() const { return positions_.empty(); }

    // The account's position on this path: the overlay's, or the book's.
    OpenPosition of(const SideBook& book, std::uint32_t index) const {
        const OpenPosition* touched = find(index);
        return touched != nullptr ? *touched : from_book(book, index);
    }

    // The account as its book entry describes it: untouched on this path.
    static OpenPosition from_book(const SideBook& book, std::uint32_t index) {
        return {book.size[index], book.collateral[index], book.log_trigger[index], 0, false};
    }

    // The overlay's entry, null when the account is as its book entry says.
    const OpenPosition* find(std::uint32_t index) const {
        if (positions_.empty()) {
            return nullptr;
        }
        const auto it = positions_.find(index);
        return it == positions_.end() ? nullptr : &it->second;
    }

    // Records the account's new position; true when it is touched for the
    // first time on this path.
    bool set(std::uint32_t index, const OpenPosition& position) {
        return positions_.insert_or_assign(index, position).second;
    }

  private:
    std::unordered_map<std::uint32_t, OpenPosition> positions_;
};

}  // namespace cascade
