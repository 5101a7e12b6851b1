#include "models/venue/venue_presets.hpp"

#include <array>

namespace cascade {
namespace {

// Sources, as of 2026: docs/scenario-format.md#venue-presets.
constexpr std::array<VenuePreset, 2> kPresets = {{
    {"hyperliquid-btc",
     "Hyperliquid's BTC perpetual: 40x (maintenance half the initial margin), no liquidation "
     "fee, 20 % partial liquidation above 100,000 USD then the rest after 30 s, hourly funding "
     "of the 8-hour rate capped at 4 % an hour, the liquidator vault's backstop below 2/3 of the "
     "maintenance margin, ADL by PnL x leverage",
     R"({
        "initial_margin": 0.025,
        "maintenance_margin": 0.0125,
        "liquidation_penalty": 0,
        "partial_liquidation": {"close_factor": 0.2, "min_notional": 100000,
                                "max_partials": 1, "cooldown": "30s"},
        "funding": {"interval": "1h", "rate_period": "8h", "interest_rate": 0.0001,
                    "interest_band": 0.0005, "cap": 0.04},
        "backstop": {"maintenance_fraction": 0.6666666666666666, "price": "mark"},
        "loss_waterfall": {"adl": "pnl_leverage", "socialised_loss": false}
     })"},
    {"binance-btcusdt-2021",
     "Binance's BTCUSDT perpetual, maintenance brackets of March 2021 (0.4 % to 50,000 USD, "
     "0.5 % to 250,000, 1 % to 1 M, 2.5 % above) at 20x, ADL by PnL x leverage; no funding "
     "(cascade refuses it with tiers)",
     R"({
        "initial_margin": 0.05,
        "maintenance_tiers": [{"notional_cap": 50000, "rate": 0.004},
                              {"notional_cap": 250000, "rate": 0.005},
                              {"notional_cap": 1000000, "rate": 0.01},
                              {"rate": 0.025}],
        "loss_waterfall": {"adl": "pnl_leverage", "socialised_loss": false}
     })"},
}};

}  // namespace

std::span<const VenuePreset> venue_presets() {
    return kPresets;
}

const VenuePreset* find_venue_preset(std::string_view name) {
    for (const VenuePreset& p : kPresets) {
        if (p.name == name) {
            return &p;
        }
    }
    return nullptr;
}

}  // namespace cascade
