#pragma once
#include "models/shocks/shock.hpp"
#include "sim/scenario/model_registry.hpp"

namespace cascade {
// The shock overlays a scenario may list in /shocks, selected by "type".
ModelRegistry<Shock> shock_registry();
}  // namespace cascade
