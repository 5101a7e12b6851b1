#include "models/shocks/shock_registry.hpp"

namespace cascade {
namespace {

const Range kTime = Range::non_negative();
const Range kLength = Range::positive();

// The window [start, start + duration) of a windowed shock, into its fields.
template <class WindowedShock>
void read_window(ObjectReader& r, WindowedShock& s) {
    s.start_seconds = r.duration("start", kTime).seconds;
    s.duration_seconds = r.duration("duration", kLength).seconds;
}

Shock read_volatility(ObjectReader& r) {
    VolatilityShock s;
    read_window(r, s);
    s.multiplier = r.number("multiplier", Range::closed(0.0, 1000.0));
    return s;
}

Shock read_crash(ObjectReader& r) {
    CrashShock s;
    read_window(r, s);
    s.drop = r.number("drop", Range::open(0.0, 1.0));
    r.optional_object("recovery", [&](ObjectReader& recovery) {
        s.recovery = CrashShock::Recovery{recovery.number("fraction", Range::closed(0.0, 1.0)),
                                          recovery.duration("duration", kLength).seconds};
    });
    return s;
}

Shock read_jump(ObjectReader& r) {
    JumpShock s;
    s.time_seconds = r.duration("time", Range::positive()).seconds;
    s.size = r.number("size", Range::above(-1.0));
    return s;
}

Shock read_liquidity_drought(ObjectReader& r) {
    LiquidityDrought s;
    read_window(r, s);
    s.depth_factor = r.number("depth_factor", Range::left_open(0.0, 1.0));
    return s;
}

Shock read_oracle_outage(ObjectReader& r) {
    OracleOutageShock s;
    read_window(r, s);
    return s;
}

}  // namespace

ModelRegistry<Shock> shock_registry() {
    return ModelRegistry<Shock>("shock", "type",
                                {{"volatility", read_volatility},
                                 {"crash", read_crash},
                                 {"jump", read_jump},
                                 {"liquidity_drought", read_liquidity_drought},
                                 {"oracle_outage", read_oracle_outage}});
}

}  // namespace cascade
