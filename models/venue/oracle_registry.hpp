#pragma once
#include "models/venue/oracle.hpp"
#include "sim/scenario/model_registry.hpp"

namespace cascade {
// The oracle models a scenario may name in /venue/oracle/model.
ModelRegistry<OracleConfig> oracle_registry();
}  // namespace cascade
