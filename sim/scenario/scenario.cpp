#include "sim/scenario/scenario.hpp"

#include <algorithm>
#include <array>
#include <charconv>
#include <cmath>
#include <fstream>
#include <limits>
#include <set>
#include <sstream>
#include <string>
#include <utility>

#include <fmt/format.h>
#include <nlohmann/json.hpp>

#include "models/market/impact_registry.hpp"
#include "models/price/price_model_registry.hpp"
#include "models/shocks/shock_registry.hpp"
#include "models/venue/venue_presets.hpp"
#include "sim/errors.hpp"
#include "sim/quantile_sketch.hpp"
#include "sim/scenario/json_reader.hpp"
#include "sim/scenario/sections.hpp"

namespace cascade {
namespace {

using nlohmann::json;

constexpr std::uint64_t kMaxPaths = 1'000'000'000;
// Sketched quantile bands count each bucket's values in 32 bits.
static_assert(kMaxPaths <= std::numeric_limits<QuantileSketch::Counter>::max());
constexpr std::uint64_t kMaxSteps = 10'000'000;
constexpr double kMaxHorizonSeconds = 100.0 * kSecondsPerYear;

// Well-formed UTF-8 sequences (lead byte and continuation bytes); anything
// else in an override would make every later message about it unprintable.
bool valid_utf8(std::string_view text) {
    std::size_t i = 0;
    while (i < text.size()) {
        const auto c = static_cast<unsigned char>(text[i]);
        const std::size_t length = c < 0x80           ? 1
                                   : (c >> 5) == 0x6  ? 2
                                   : (c >> 4) == 0xE  ? 3
                                   : (c >> 3) == 0x1E ? 4
                                                      : 0;
        if (length == 0 || i + length > text.size()) {
            return false;
        }
        for (std::size_t j = 1; j < length; ++j) {
            if ((static_cast<unsigned char>(text[i + j]) & 0xC0) != 0x80) {
                return false;
            }
        }
        i += length;
    }
    return true;
}

// Nesting is bounded before parsing: the parser and the document's copy and
// destructor recurse, and a hostile file or --set must not overflow the stack.
constexpr int kMaxDepth = 64;

void check_nesting(std::string_view text, const std::string& source, const std::string& location) {
    int depth = 0;
    bool in_string = false;
    for (std::size_t i = 0; i < text.size(); ++i) {
        const char c = text[i];
        if (in_string) {
            if (c == '\\') {
                ++i;
            } else if (c == '"') {
                in_string = false;
            }
        } else if (c == '"') {
            in_string = true;
        } else if (c == '{' || c == '[') {
            if (++depth > kMaxDepth) {
                throw InputError({Diagnostic{
                    source, location,
                    fmt::format("invalid JSON: nested more than {} levels deep", kMaxDepth)}});
            }
        } else if (c == '}' || c == ']') {
            --depth;
        }
    }
}

// Depth of a parsed document, without recursion.
int nesting_depth(const json& doc) {
    int deepest = 0;
    std::vector<std::pair<const json*, int>> pending = {{&doc, 0}};
    while (!pending.empty()) {
        const auto [node, depth] = pending.back();
        pending.pop_back();
        if (node->is_structured()) {
            deepest = std::max(deepest, depth + 1);
            for (const json& child : *node) {
                pending.emplace_back(&child, depth + 1);
            }
        }
    }
    return deepest;
}

// Parses JSON, rejecting duplicate keys: nlohmann keeps the last silently,
// which would hide a typo'd copy of a field. Reports the duplicate's pointer.
class DuplicateKeyCheck {
  public:
    bool operator()(int /*depth*/, json::parse_event_t event, json& parsed) {
        switch (event) {
            case json::parse_event_t::object_start:
            case json::parse_event_t::array_start:
                frames_.push_back({event == json::parse_event_t::array_start, 0, "", {}});
                break;
            case json::parse_event_t::key: {
                Frame& frame = frames_.back();
                frame.key = parsed.get<std::string>();
                if (!frame.keys.insert(frame.key).second && !duplicate_) {
                    duplicate_ = pointer();
                }
                break;
            }
            case json::parse_event_t::object_end:
            case json::parse_event_t::array_end:
                frames_.pop_back();
                element_done();
                break;
            case json::parse_event_t::value:
                element_done();
                break;
        }
        return true;
    }
    const std::optional<std::string>& duplicate() const { return duplicate_; }

  private:
    struct Frame {
        bool is_array;
        std::size_t index;
        std::string key;
        std::set<std::string> keys;
    };
    void element_done() {
        if (!frames_.empty() && frames_.back().is_array) {
            ++frames_.back().index;
        }
    }
    std::string pointer() const {
        std::string text;
        for (const Frame& frame : frames_) {
            text += "/" +
                    (frame.is_array ? std::to_string(frame.index) : json_pointer_token(frame.key));
        }
        return text;
    }
    std::vector<Frame> frames_;
    std::optional<std::string> duplicate_;
};

json parse_json(std::string_view text, const std::string& source) {
    if (text.find_first_not_of(" \t\r\n") == std::string_view::npos) {
        throw InputError(
            {Diagnostic{source, "", "file is empty; expected a JSON scenario object"}});
    }
    check_nesting(text, source, "");
    DuplicateKeyCheck check;
    json doc;
    try {
        doc = json::parse(text.begin(), text.end(), std::ref(check));
    } catch (const json::exception& e) {
        // nlohmann's text already says "parse error at line L, column C: ...".
        std::string message = e.what();
        if (const auto bracket = message.find("] "); bracket != std::string::npos) {
            message = message.substr(bracket + 2);
        }
        throw InputError({Diagnostic{source, "", "invalid JSON: " + message}});
    }
    if (check.duplicate()) {
        throw InputError({Diagnostic{source, *check.duplicate(),
                                     "duplicate key (JSON objects must not repeat a key)"}});
    }
    if (!doc.is_object()) {
        throw InputError({Diagnostic{
            source, "", "expected a JSON object at the top level, got " + describe_json(doc)}});
    }
    return doc;
}

// Applies one --set to the raw document. Missing objects along the way are
// created (so a default-only section can be set); anything else that does not
// fit is an error naming the override.
void apply_override(json& doc, const Override& o) {
    const std::string& source = o.origin;
    if (o.pointer.empty() || o.pointer.front() != '/') {
        throw InputError({Diagnostic{source, "",
                                     fmt::format("\"{}\" is not a JSON pointer; "
                                                 "expected e.g. /simulation/paths",
                                                 o.pointer)}});
    }
    if (std::count(o.pointer.begin(), o.pointer.end(), '/') > kMaxDepth) {
        throw InputError({Diagnostic{
            source, "", fmt::format("the pointer is more than {} levels deep", kMaxDepth)}});
    }
    json::json_pointer pointer;
    try {
        pointer = json::json_pointer(o.pointer);
    } catch (const json::exception& e) {
        throw InputError({Diagnostic{source, o.pointer, "malformed JSON pointer"}});
    }
    check_nesting(o.value, source, o.pointer);
    json value;
    try {
        value = json::parse(o.value);
    } catch (const json::parse_error&) {
        value = o.value;  // a bare word: take it as a string
    } catch (const json::exception& e) {
        // Valid syntax, unusable value (a number beyond the range of a double).
        std::string message = e.what();
        if (const auto bracket = message.find("] "); bracket != std::string::npos) {
            message = message.substr(bracket + 2);
        }
        throw InputError({Diagnostic{source, o.pointer, "invalid value: " + message}});
    }
    json* node = &doc;
    std::string walked;
    const std::string whole = o.pointer;
    std::vector<std::string> tokens;
    for (json::json_pointer p = pointer; !p.empty(); p = p.parent_pointer()) {
        tokens.insert(tokens.begin(), p.back());
    }
    for (std::size_t i = 0; i < tokens.size(); ++i) {
        const std::string& token = tokens[i];
        const bool last = i + 1 == tokens.size();
        const bool index_like = token == "-" || (!token.empty() && std::isdigit(token[0]));
        if (node->is_null()) {
            // A missing container: an index or "-" starts an array, a name an object.
            *node = index_like ? json::array() : json::object();
        }
        if (node->is_object()) {
            node = &(*node)[token];
        } else if (node->is_array() && index_like) {
            std::size_t index = node->size();  // "-": one past the end, i.e. append
            if (token != "-") {
                const auto [end, ec] =
                    std::from_chars(token.data(), token.data() + token.size(), index);
                if (ec != std::errc() || end != token.data() + token.size() ||
                    index > node->size()) {
                    throw InputError({Diagnostic{
                        source, fmt::format("{}/{}", walked, token),
                        fmt::format("{} holds {} elements; expected an index from 0 to {} "
                                    "(or - to append)",
                                    walked.empty() ? "/" : walked, node->size(), node->size())}});
                }
            }
            if (index == node->size()) {
                node->push_back(nullptr);
            }
            node = &(*node)[index];
        } else {
            throw InputError({Diagnostic{source, whole,
                                         fmt::format("{} is {}, which has no member \"{}\"", walked,
                                                     describe_json(*node), token)}});
        }
        walked += "/" + json_pointer_token(token);
        if (last) {
            *node = value;
        }
    }
}

SimulationConfig read_simulation(ObjectReader& r) {
    SimulationConfig c;
    c.paths = r.integer("paths", 1, kMaxPaths, 10'000);
    const Duration horizon = r.duration("horizon", Range::left_open(0.0, kMaxHorizonSeconds));
    c.grid.horizon_seconds = horizon.seconds;
    const bool has_steps = r.has("steps");
    const auto step = r.optional_duration("step", Range::positive());
    std::uint64_t steps = r.optional_integer("steps", 1, kMaxSteps).value_or(0);
    if (step && step->seconds > 0.0 && horizon.seconds > 0.0) {
        const double ratio = horizon.seconds / step->seconds;
        const double rounded = std::round(ratio);
        if (std::abs(ratio - rounded) > 1e-9 * ratio || rounded < 1.0 ||
            rounded > static_cast<double>(kMaxSteps)) {
            r.diagnostics().error(
                r.pointer_to("step"),
                fmt::format("the horizon ({}) must be a whole number of steps of {} "
                            "(between 1 and {}), got {} steps",
                            horizon.text, step->text, kMaxSteps, ratio));
        } else if (steps != 0 && static_cast<std::uint64_t>(rounded) != steps) {
            r.diagnostics().error(
                r.pointer_to("step"),
                fmt::format("gives {} steps over the horizon but \"steps\" says {}; give one "
                            "of them, or both consistently",
                            rounded, steps));
        } else {
            steps = static_cast<std::uint64_t>(rounded);
        }
    } else if (!has_steps && !r.has("step")) {
        r.diagnostics().error(r.pointer(),
                              "give the time step as \"steps\" (a count) or "
                              "\"step\" (a duration such as \"5min\")");
    }
    c.grid.steps = static_cast<std::uint32_t>(std::max<std::uint64_t>(steps, 1));
    r.resolve("steps", c.grid.steps);
    c.seed = r.integer("seed", 0, std::numeric_limits<std::uint64_t>::max(), 1);
    c.threads = static_cast<unsigned>(r.integer("threads", 0, 4096, 0));
    c.max_cascade_rounds =
        static_cast<std::uint32_t>(r.integer("max_cascade_rounds", 1, 1'000'000, 100));
    return c;
}

MarketConfig read_market(ObjectReader& r) {
    MarketConfig c;
    c.asset = r.string("asset", "ASSET");
    c.initial_price = r.number("initial_price", Range::left_open(0.0, 1e15));
    r.object(
        "price_model",
        [&](ObjectReader& model) {
            if (auto parsed = price_model_registry().read(model)) {
                c.price_model = *parsed;
            }
        },
        true);
    if (!r.optional_object("impact", [&](ObjectReader& impact) {
            if (auto parsed = impact_registry().read(impact)) {
                c.impact = *parsed;
            }
        })) {
        r.resolve("impact", {{"model", "none"}});
    }
    // Per unit of the asset, from quote notional valued at the initial price.
    c.impact.kappa = c.impact.per_notional * c.initial_price;
    c.impact.volume_units = c.impact.daily_volume / c.initial_price;
    const double units_per_move =  // square root: units that move the log price by 1 from rest
        c.impact.volume_units / (c.impact.scale * c.impact.scale);
    const bool linear_bad = std::isfinite(c.impact.per_notional) && !std::isfinite(c.impact.kappa);
    const bool square_root_bad = c.impact.shape == ImpactShape::square_root &&
                                 std::isfinite(c.impact.daily_volume) &&
                                 std::isfinite(c.impact.scale) && std::isfinite(c.initial_price) &&
                                 !(units_per_move > 0.0 && std::isfinite(units_per_move));
    if (linear_bad || square_root_bad) {
        r.diagnostics().error(r.pointer_to("impact"),
                              fmt::format("with an initial price of {:g} the impact per unit of "
                                          "the asset is not a finite number; make the book deeper",
                                          c.initial_price));
    }
    return c;
}

std::vector<Shock> read_shocks(ObjectReader& r, const TimeGrid& grid, const ImpactConfig& impact) {
    std::vector<Shock> shocks;
    const auto registry = shock_registry();
    r.object_list("shocks", [&](ObjectReader& item, std::size_t) {
        const auto shock = registry.read(item);
        if (!shock) {
            return;
        }
        // A shock that starts at or after the horizon would silently do nothing.
        const auto check_start = [&](std::string_view key, double seconds) {
            if (seconds >= grid.horizon_seconds && grid.horizon_seconds > 0.0) {
                item.diagnostics().error(
                    item.pointer_to(key),
                    fmt::format("is at or after the horizon ({} s); the shock would never act",
                                grid.horizon_seconds));
            }
        };
        if (const auto* jump = std::get_if<JumpShock>(&*shock)) {
            if (jump->time_seconds > grid.horizon_seconds) {
                check_start("time", jump->time_seconds);
            }
        } else if (const auto* vol = std::get_if<VolatilityShock>(&*shock)) {
            check_start("start", vol->start_seconds);
        } else if (const auto* drought = std::get_if<LiquidityDrought>(&*shock)) {
            check_start("start", drought->start_seconds);
            // Without impact there is no book to thin: the shock would do nothing.
            if (impact.shape == ImpactShape::none) {
                item.diagnostics().error(
                    item.pointer_to("type"),
                    "a liquidity drought thins the order book, but /market/impact/model is "
                    "\"none\": give the market an impact model, or remove the shock");
            }
        } else if (const auto* outage = std::get_if<OracleOutageShock>(&*shock)) {
            check_start("start", outage->start_seconds);
        } else if (const auto* crash = std::get_if<CrashShock>(&*shock)) {
            check_start("start", crash->start_seconds);
            // A window cut by the horizon would apply only part of the stated drop.
            double end = crash->start_seconds + crash->duration_seconds;
            std::string what = "the crash";
            if (crash->recovery) {
                end += crash->recovery->duration_seconds;
                what = "the crash and its recovery";
            }
            if (crash->start_seconds < grid.horizon_seconds &&
                end > grid.horizon_seconds * (1.0 + 1e-12)) {
                item.diagnostics().error(
                    item.pointer(),
                    fmt::format("{} must end by the horizon ({} s), but end at {} s; only part of "
                                "the move would happen",
                                what, grid.horizon_seconds, end));
            }
        }
        shocks.push_back(*shock);
    });
    return shocks;
}

// `oracle`: the venue triggers liquidations on a price other than the
// market's; `adl`: the venue auto-deleverages.
OutputConfig read_output(ObjectReader& r, bool oracle, bool adl) {
    OutputConfig c;
    c.quantile_levels = r.number_list("quantiles", Range::open(0.0, 1.0),
                                      std::vector<double>{0.01, 0.05, 0.25, 0.5, 0.75, 0.95, 0.99});
    if (c.quantile_levels.empty() && r.has("quantiles")) {
        r.diagnostics().error(r.pointer_to("quantiles"), "must list at least one level");
    }
    for (std::size_t i = 1; i < c.quantile_levels.size(); ++i) {
        if (!(c.quantile_levels[i] > c.quantile_levels[i - 1])) {
            r.diagnostics().error(r.pointer_to("quantiles") + "/" + std::to_string(i),
                                  "levels must be strictly increasing");
            break;
        }
    }
    const std::string method = r.choice("band_method", kBandMethodNames, "auto");
    c.band_method = static_cast<BandMethod>(
        std::find(kBandMethodNames.begin(), kBandMethodNames.end(), method) -
        kBandMethodNames.begin());
    c.band_relative_error = r.number(
        "band_relative_error",
        Range::closed(QuantileSketch::kMinRelativeError, QuantileSketch::kMaxRelativeError), 1e-3);
    c.sample_paths = static_cast<std::uint32_t>(r.integer("sample_paths", 0, 10'000, 10));
    c.max_events_per_path = r.integer("max_events_per_path", 0, kMaxEventsPerPath, 1'000'000);
    c.compression = static_cast<unsigned>(r.integer("compression", 0, 9, 1));
    std::vector<std::string> defaults(kSeriesNames.begin(),
                                      kSeriesNames.begin() + kDefaultSeriesCount);
    if (oracle) {
        defaults.emplace_back(kSeriesNames[static_cast<std::size_t>(SeriesKind::oracle_price)]);
        defaults.emplace_back(kSeriesNames[static_cast<std::size_t>(SeriesKind::oracle_gap)]);
    }
    if (adl) {
        defaults.emplace_back(kSeriesNames[static_cast<std::size_t>(SeriesKind::adl_notional)]);
    }
    const auto names = r.choice_list("series", kSeriesNames, defaults);
    for (const std::string& name : names) {
        const auto at = std::find(kSeriesNames.begin(), kSeriesNames.end(), name);
        c.series.push_back(static_cast<SeriesKind>(at - kSeriesNames.begin()));
    }
    return c;
}

// Tags diagnostics that fall under an override so the user sees where the value came from.
InputError attribute_overrides(const InputError& error, std::span<const Override> overrides) {
    std::vector<Diagnostic> diagnostics = error.diagnostics();
    for (Diagnostic& d : diagnostics) {
        for (const Override& o : overrides) {
            // Same place, or one inside the other at a token boundary.
            const auto inside = [](const std::string& inner, const std::string& outer) {
                return inner.rfind(outer, 0) == 0 &&
                       (inner.size() == outer.size() || inner[outer.size()] == '/');
            };
            const bool under = !d.location.empty() &&
                               (inside(d.location, o.pointer) || inside(o.pointer, d.location));
            if (under) {
                d.message += fmt::format(" (value from {})", o.origin);
                break;
            }
        }
    }
    return InputError(std::move(diagnostics));
}

}  // namespace

BandMethod OutputConfig::bands_for(std::uint64_t paths, std::uint64_t points) const {
    if (band_method != BandMethod::automatic) {
        return band_method;
    }
    const std::uint64_t bytes = paths * points * series.size() * sizeof(double);
    return bytes <= kExactBandsAutoBytes ? BandMethod::exact : BandMethod::sketch;
}

Override parse_override(std::string_view text) {
    if (!valid_utf8(text)) {
        throw InputError({Diagnostic{"--set", "", "not valid UTF-8"}});
    }
    const auto equals = text.find('=');
    if (equals == std::string_view::npos) {
        throw InputError({Diagnostic{"--set", "",
                                     fmt::format("\"{}\" must have the form "
                                                 "/json/pointer=VALUE",
                                                 text)}});
    }
    // Messages quote the override; a huge one is cut.
    const std::string quoted =
        text.size() > 120 ? std::string(text.substr(0, 117)) + "..." : std::string(text);
    return Override{std::string(text.substr(0, equals)), std::string(text.substr(equals + 1)),
                    "--set " + quoted};
}

namespace {

// Merges `over` into `under`, key by key for objects, replacing anything else.
void merge_under(json& under, const json& over) {
    for (auto it = over.begin(); it != over.end(); ++it) {
        json& slot = under[it.key()];
        if (slot.is_object() && it->is_object()) {
            merge_under(slot, *it);
        } else {
            slot = *it;
        }
    }
}

// /venue/preset: the preset's rules under the scenario's own /venue keys
// (overrides included), which win field by field. A scenario's own
// maintenance_margin or maintenance_tiers replaces the preset's other one.
// An unknown or ill-typed preset is left for read_venue to report.
void expand_venue_preset(json& doc) {
    if (!doc.is_object()) {
        return;
    }
    const auto venue = doc.find("venue");
    if (venue == doc.end() || !venue->is_object()) {
        return;
    }
    const auto name = venue->find("preset");
    if (name == venue->end() || !name->is_string()) {
        return;
    }
    const VenuePreset* preset = find_venue_preset(name->get<std::string>());
    if (preset == nullptr) {
        return;
    }
    json rules = json::parse(preset->rules);
    if (venue->contains("maintenance_tiers")) {
        rules.erase("maintenance_margin");
    }
    if (venue->contains("maintenance_margin")) {
        rules.erase("maintenance_tiers");
    }
    merge_under(rules, *venue);
    *venue = std::move(rules);
}

}  // namespace

Scenario parse_scenario(std::string_view text, const std::string& source,
                        std::span<const Override> overrides) {
    json doc = parse_json(text, source);
    for (const Override& o : overrides) {
        apply_override(doc, o);
    }
    expand_venue_preset(doc);
    // A deep pointer and a deep value can together nest deeper than any file may.
    if (!overrides.empty() && nesting_depth(doc) > kMaxDepth) {
        throw InputError({Diagnostic{"--set", "",
                                     fmt::format("the overrides make the scenario nest more than "
                                                 "{} levels deep",
                                                 kMaxDepth)}});
    }

    Diagnostics diagnostics(source);
    json resolved = json::object();
    ObjectReader root(&doc, resolved, "", diagnostics);
    Scenario s;
    root.pass_through("$schema");
    s.name = root.string("name", std::filesystem::path(source).stem().string());
    s.description = root.string("description", "");
    root.object(
        "simulation", [&](ObjectReader& r) { s.simulation = read_simulation(r); }, true);
    root.object(
        "market", [&](ObjectReader& r) { s.market = read_market(r); }, true);
    s.shocks = read_shocks(root, s.simulation.grid, s.market.impact);
    // The venue's rules are needed whenever there is a population to apply them to.
    const bool has_population = root.has("population");
    const bool has_venue = root.optional_object(
        "venue", [&](ObjectReader& r) { s.venue = read_venue(r, s.simulation.grid); });
    if (has_population && !has_venue) {
        diagnostics.error("/venue",
                          "required field is missing: a population needs the venue's "
                          "margin and liquidation rules");
    }
    if (!has_venue) {
        s.venue.initial_margin = 1.0;  // never used: no accounts
    }
    const std::filesystem::path base = std::filesystem::path(source).parent_path();
    root.optional_object("population", [&](ObjectReader& r) {
        s.population = read_population(r, has_venue ? &s.venue : nullptr, base);
    });
    const bool oracle = !s.venue.oracle.live() ||
                        std::any_of(s.shocks.begin(), s.shocks.end(), [](const Shock& shock) {
                            return std::holds_alternative<OracleOutageShock>(shock);
                        });
    const bool adl = s.venue.loss_waterfall.adl != LossWaterfall::Adl::off;
    root.object("output", [&](ObjectReader& r) { s.output = read_output(r, oracle, adl); });
    root.finish();

    try {
        diagnostics.throw_if_any();
    } catch (const InputError& error) {
        throw attribute_overrides(error, overrides);
    }
    s.resolved_json = resolved.dump(2, ' ', false, json::error_handler_t::replace);
    return s;
}

std::string read_scenario_text(const std::filesystem::path& file) {
    const std::string source = file.string();
    std::error_code ec;
    const auto status = std::filesystem::status(file, ec);
    if (ec || !std::filesystem::exists(status)) {
        throw InputError({Diagnostic{source, "", "no such file"}});
    }
    if (std::filesystem::is_directory(status)) {
        throw InputError({Diagnostic{source, "", "is a directory; expected a scenario file"}});
    }
    std::ifstream in(file, std::ios::binary);
    if (!in) {
        throw InputError({Diagnostic{source, "", "cannot be opened for reading"}});
    }
    std::ostringstream buffer;
    buffer << in.rdbuf();
    return buffer.str();
}

Scenario load_scenario(const std::filesystem::path& file, std::span<const Override> overrides) {
    return parse_scenario(read_scenario_text(file), file.string(), overrides);
}

}  // namespace cascade
