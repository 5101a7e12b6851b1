#pragma once
// The validated, immutable description of a run: one plain config struct per
// concern. Nothing downstream of the parser sees JSON.

#include <array>
#include <cstdint>
#include <filesystem>
#include <span>
#include <string>
#include <vector>

#include "models/market/impact.hpp"
#include "models/population/population.hpp"
#include "models/price/price_model.hpp"
#include "models/shocks/shock.hpp"
#include "models/time_grid.hpp"
#include "models/venue/venue.hpp"

namespace cascade {

struct SimulationConfig {
    std::uint64_t paths = 0;
    TimeGrid grid;
    std::uint64_t seed = 0;
    unsigned threads = 0;                    // 0: every core the machine offers
    std::uint32_t max_cascade_rounds = 100;  // liquidation rounds per step, at most
};

struct MarketConfig {
    std::string asset;
    double initial_price = 0.0;
    PriceModel price_model;
    ImpactConfig impact;  // kappa 0: liquidations do not move the price
};

// Per-step series a run can record as bands over paths (/series/<name>).
enum class SeriesKind {
    price,
    exogenous_price,
    liquidated_notional,
    insurance_fund,
    open_interest,
    oracle_price,
    oracle_gap,
    adl_notional
};
inline constexpr std::array<std::string_view, 8> kSeriesNames = {
    "price",         "exogenous_price", "liquidated_notional", "insurance_fund",
    "open_interest", "oracle_price",    "oracle_gap",          "adl_notional"};
// Recorded when /output/series is left out: the first five; the oracle's two
// only when the venue has an oracle of its own (otherwise they are the price
// and 0), and the cumulative ADL only when the venue has ADL (otherwise 0).
inline constexpr std::size_t kDefaultSeriesCount = 5;

// The most /output/max_events_per_path may say (72 TB of events a path: the
// memory estimate refuses long before).
inline constexpr std::uint64_t kMaxEventsPerPath = 1'000'000'000'000;

// How /series/<name>/quantiles are computed: from every path's values
// (exact), or from a mergeable sketch whose memory does not grow with the
// paths (relative error band_relative_error); automatic picks exact while the
// values take at most kExactBandsAutoBytes. The choice depends on the
// scenario alone, never on the machine, so a scenario always gives the same file.
enum class BandMethod { automatic, exact, sketch };
inline constexpr std::array<std::string_view, 3> kBandMethodNames = {"auto", "exact", "sketch"};
inline constexpr std::uint64_t kExactBandsAutoBytes = 2ULL << 30;

struct OutputConfig {
    std::vector<double> quantile_levels;  // strictly increasing, in (0, 1)
    BandMethod band_method = BandMethod::automatic;
    double band_relative_error = 0.0;       // of the sketch, in [1e-4, 0.05]
    std::uint32_t sample_paths = 0;         // full paths and events kept for the first K paths
    std::uint64_t max_events_per_path = 0;  // of a sample path's liquidations, the first this many
    unsigned compression = 0;               // gzip level for chunked datasets, 0 = none
    std::vector<SeriesKind> series;         // which bands to record, in the order given

    // exact or sketch, `automatic` resolved for a run of `paths` paths and
    // `points` grid points.
    BandMethod bands_for(std::uint64_t paths, std::uint64_t points) const;
};

struct Scenario {
    std::string name;
    std::string description;
    SimulationConfig simulation;
    MarketConfig market;
    std::vector<Shock> shocks;
    VenueConfig venue;
    PopulationConfig population;  // no cohorts and no CSV: the price paths alone
    OutputConfig output;
    // The scenario with every default filled in, as JSON text: what `validate`
    // prints and what the results file stores, so a run can be repeated.
    std::string resolved_json;
};

// "--set /json/pointer=VALUE": VALUE is read as JSON when it parses as JSON,
// and as a plain string otherwise (so --set /name=test needs no quotes).
struct Override {
    std::string pointer;
    std::string value;
    std::string origin;  // where it came from, for messages: "--set /a=1", "--paths 5"
};
Override parse_override(std::string_view text);

// Reads, overrides and validates a scenario file. Throws InputError carrying
// every problem found, each located by file and JSON pointer.
Scenario load_scenario(const std::filesystem::path& file, std::span<const Override> overrides = {});

// A scenario file's text; InputError for a missing file, a directory, or a
// file that cannot be read.
std::string read_scenario_text(const std::filesystem::path& file);

// load_scenario from text already in memory; `source` names it in messages.
Scenario parse_scenario(std::string_view text, const std::string& source,
                        std::span<const Override> overrides = {});

}  // namespace cascade
