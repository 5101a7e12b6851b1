#pragma once
// Readers of the scenario's venue and population sections (scenario.cpp reads
// the rest). Internal to the scenario parser.

#include <filesystem>

#include "models/population/population.hpp"
#include "models/time_grid.hpp"
#include "models/venue/venue.hpp"
#include "sim/scenario/json_reader.hpp"

namespace cascade {

// `grid` is the simulation's: oracle windows are whole numbers of its steps.
VenueConfig read_venue(ObjectReader& r, const TimeGrid& grid);

// `base` is the folder relative file names (the positions CSV) are resolved
// against. `venue` is null when the scenario has none (an error reported
// elsewhere): checks against its rules are then skipped.
PopulationConfig read_population(ObjectReader& r, const VenueConfig* venue,
                                 const std::filesystem::path& base);

}  // namespace cascade
