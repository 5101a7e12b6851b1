#include "models/shocks/shock_registry.hpp"

namespace cascade {
namespace {

const Range kTime = Range::non_negative();
const Range kLength = Range::positive();

Shock read_volatility(ObjectReader& r) {
    VolatilityShock s;
    s.start_seconds = r.duration("start", kTime).seconds;
    s.duration_seconds = r.duration("duration", kLength).seconds;
    s.multiplier = r.number("multiplier", Range::closed(0.0, 1000.0));
    return s;
}

Shock read_crash(ObjectReader& r) {
    CrashShock s;
    s.start_seconds = r.duration("start", kTime).seconds;
    s.duration_seconds = r.duration("duration", kLength).seconds;
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

Shock read_oracle_outage(ObjectReader& r) {
    OracleOutageShock s;
    s.start_seconds = r.duration("start", kTime).seconds;
    s.duration_seconds = r.duration("duration", kLength).seconds;
    return s;
}

}  // namespace

ModelRegistry<Shock> shock_registry() {
    return ModelRegistry<Shock>("shock", "type",
                                {{"volatility", read_volatility},
                                 {"crash", read_crash},
                                 {"jump", read_jump},
                                 {"oracle_outage", read_oracle_outage}});
}

}  // namespace cascade
