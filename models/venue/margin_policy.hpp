#pragma once
// How a venue's maintenance margin moves during a path.
//
//   flat               the scenario's maintenance_margin, always
//   volatility_scaled  m_k = clamp(m0 x sigma_k / sigma_ref, floor, cap), where
//                      sigma_k is the annualised realised volatility of the
//                      market price over the last `window` before step k
//                      (sqrt(sum of squared log returns / (returns x dt)));
//                      m0 before the first return. Venues raise margins when
//                      markets turn violent; this lets a designer compare a
//                      static and a dynamic margin on the same shocks.
//
// Every account's liquidation price moves by the same factor when the margin
// moves ((1 - m0) / (1 - m_k) for longs, (1 + m0) / (1 + m_k) for shorts), so
// the books stay sorted and the cursor engine stays O(1) per step. A tiered
// maintenance margin has no such factor (its amounts shift each account by its
// own amount / size), so it is allowed only with the flat policy.

#include <cstdint>
#include <string>

namespace cascade {

struct MarginPolicy {
    enum class Kind { flat, volatility_scaled };
    Kind kind = Kind::flat;
    double window_seconds = 0.0;
    double reference_volatility = 0.0;  // annualised
    double floor = 0.0;
    double cap = 0.0;

    bool dynamic() const { return kind != Kind::flat; }
};

}  // namespace cascade
