#pragma once
#include "models/venue/margin_policy.hpp"
#include "sim/scenario/model_registry.hpp"

namespace cascade {
// The margin policies a scenario may name in /venue/margin_policy/model.
ModelRegistry<MarginPolicy> margin_policy_registry();
}  // namespace cascade
