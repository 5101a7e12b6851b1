#pragma once
// The leveraged population: isolated-margin perpetual positions, built once
// per run from the seed (its own random stream), shared read-only by every
// path. Stored structure-of-arrays, one book per side, sorted by liquidation
// price in the order a falling (longs) or rising (shorts) price reaches them,
// so a path finds the accounts to liquidate with a cursor instead of a scan.

#include <cstdint>
#include <filesystem>
#include <optional>
#include <string>
#include <vector>

#include "models/population/distribution.hpp"
#include "models/population/positions_csv.hpp"
#include "models/venue/venue.hpp"

namespace cascade {

struct CohortConfig {
    std::string name;
    Side side = Side::long_side;
    std::uint64_t accounts = 0;
    Distribution leverage;     // entry notional / collateral, >= 1
    Distribution notional;     // position notional at entry, quote currency
    Distribution entry_price;  // entry price / initial price
};

// What to do with an account above the venue's maximum leverage.
enum class OverLeverage { error, clip };

struct PopulationConfig {
    std::vector<CohortConfig> cohorts;
    std::optional<std::filesystem::path> positions_csv;  // resolved against the scenario's folder
    OverLeverage over_leverage = OverLeverage::error;
};

// One side's accounts, sorted: longs by liquidation price descending, shorts
// ascending, ties by account index (a total order, so the layout and every sum
// over it are the same whatever sort algorithm or thread count built it).
struct SideBook {
    Side side = Side::long_side;
    std::vector<double> log_trigger;  // log(liquidation price / initial price); -inf: never
    std::vector<double> size;         // units of the asset
    std::vector<double> entry;        // entry price
    std::vector<double> collateral;   // isolated margin posted
    std::vector<std::uint32_t> cohort;
    std::vector<std::uint64_t> account;  // index in build order (cohorts, then the CSV)

    std::size_t count() const { return size.size(); }
};

struct CohortSummary {
    std::string name;
    Side side = Side::long_side;
    std::uint64_t accounts = 0;  // in the population
    std::uint64_t excluded = 0;  // below maintenance already at the initial price
    std::uint64_t clipped = 0;   // leverage clipped to the venue maximum
    double notional = 0.0;       // at entry
    double collateral = 0.0;
};

struct Population {
    SideBook longs;
    SideBook shorts;
    std::vector<CohortSummary> cohorts;
    std::uint64_t accounts_built = 0;          // including excluded ones: the account index range
    std::uint64_t first_imported = 0;          // account index of the first CSV row
    std::vector<std::string> imported_labels;  // CSV account ids, by account index - first_imported
    double total_collateral = 0.0;
    double total_size_long = 0.0;
    double total_size_short = 0.0;
};

// Builds the population. Throws InputError for accounts above the maximum
// leverage when the configuration says so.
Population build_population(const PopulationConfig& config, const VenueConfig& venue,
                            double initial_price, std::uint64_t seed);

// A 64-bit digest (FNV-1a) of everything in the books and the account labels:
// two populations with the same fingerprint simulate identically. A resumed
// run checks it against the one the interrupted run recorded.
std::uint64_t fingerprint(const Population& population);

}  // namespace cascade
