#pragma once
// Named venue presets: the rules of a real venue, from its public
// documentation, that `/venue/preset` fills in under the scenario's own keys
// (docs/scenario-format.md#venue-presets lists them with their sources). One
// table, the registry of this model family.

#include <span>
#include <string_view>

namespace cascade {

struct VenuePreset {
    std::string_view name;
    std::string_view summary;  // one line: what it sets and where it comes from
    std::string_view rules;    // a JSON object of /venue keys
};

std::span<const VenuePreset> venue_presets();

// Null when no preset has that name.
const VenuePreset* find_venue_preset(std::string_view name);

}  // namespace cascade
