#pragma once
// When each account the liquidators have seen below maintenance on a path
// began its current spell there: their reaction latency counts from it
// (docs/models.md#liquidators). Sparse and per path, like the position
// overlay: a path pays only for the accounts that crossed on it.
//
// A crossing account is collected by every step's rounds until it is
// liquidated (the finders hand back whatever the liquidators leave, and a
// crossing account makes its step not quiet), so a step in which it was not
// seen is a step it spent above maintenance: its next crossing starts a new
// spell.

#include <cstdint>
#include <unordered_map>

namespace cascade {

class LatencyClock {
  public:
    // Records that account `index` is below maintenance in `step`; returns
    // the step its current spell began.
    std::uint32_t seen(std::uint32_t index, std::uint32_t step) {
        const auto [it, inserted] = spells_.try_emplace(index, Spell{step, step});
        Spell& spell = it->second;
        if (!inserted && spell.last + 1 < step) {
            spell.first = step;  // recovered in between
        }
        spell.last = step;
        return spell.first;
    }

    // Forgets the account's spell: a partial liquidation left what remains
    // of it above maintenance, so its next crossing starts a new one.
    void forget(std::uint32_t index) { spells_.erase(index); }

  private:
    struct Spell {
        std::uint32_t first = 0;  // the spell's first step
        std::uint32_t last = 0;   // the last step it was seen below maintenance
    };
    std::unordered_map<std::uint32_t, Spell> spells_;
};

}  // namespace cascade
