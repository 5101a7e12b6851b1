#pragma once
#include "models/price/price_model.hpp"
#include "sim/scenario/model_registry.hpp"

namespace cascade {
// The price models a scenario may name in /market/price_model/model.
ModelRegistry<PriceModel> price_model_registry();
}  // namespace cascade
