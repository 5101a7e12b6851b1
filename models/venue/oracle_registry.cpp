#include "models/venue/oracle_registry.hpp"

#include <array>
#include <string_view>

namespace cascade {
namespace {

constexpr std::array<std::string_view, 2> kSources = {"market", "index"};

// Every model reads the price from the same source key.
OracleConfig with_source(ObjectReader& r, OracleConfig oracle) {
    oracle.source = r.choice("source", kSources, "market") == "index"
                        ? OracleConfig::Source::index
                        : OracleConfig::Source::market;
    return oracle;
}

OracleConfig read_instant(ObjectReader& r) {
    return with_source(r, {});
}

OracleConfig read_latency(ObjectReader& r) {
    OracleConfig o;
    o.kind = OracleConfig::Kind::latency;
    o.delay_seconds = r.duration("delay", Range::positive()).seconds;
    return with_source(r, o);
}

OracleConfig read_ema(ObjectReader& r) {
    OracleConfig o;
    o.kind = OracleConfig::Kind::ema;
    o.half_life_seconds = r.duration("half_life", Range::positive()).seconds;
    return with_source(r, o);
}

OracleConfig read_twap(ObjectReader& r) {
    OracleConfig o;
    o.kind = OracleConfig::Kind::twap;
    o.window_seconds = r.duration("window", Range::positive()).seconds;
    return with_source(r, o);
}

OracleConfig read_push(ObjectReader& r) {
    OracleConfig o;
    o.kind = OracleConfig::Kind::push;
    o.deviation = r.number("deviation", Range::open(0.0, 1.0));
    o.heartbeat_seconds = r.duration("heartbeat", Range::positive()).seconds;
    return with_source(r, o);
}

}  // namespace

ModelRegistry<OracleConfig> oracle_registry() {
    return ModelRegistry<OracleConfig>("oracle", "model",
                                       {{"instant", read_instant},
                                        {"latency", read_latency},
                                        {"ema", read_ema},
                                        {"twap", read_twap},
                                        {"push", read_push}});
}

}  // namespace cascade
