#pragma once
#include "models/market/impact.hpp"
#include "sim/scenario/model_registry.hpp"

namespace cascade {
// The impact models a scenario may name in /market/impact/model.
ModelRegistry<ImpactConfig> impact_registry();
}  // namespace cascade
