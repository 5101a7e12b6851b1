#include "sim/run.hpp"

#include <unistd.h>

#include <algorithm>
#include <array>
#include <atomic>
#include <chrono>
#include <cmath>
#include <exception>
#include <limits>

#include <fmt/format.h>
#include <tbb/blocked_range.h>
#include <tbb/enumerable_thread_specific.h>
#include <tbb/info.h>
#include <tbb/parallel_for.h>
#include <tbb/parallel_pipeline.h>
#include <tbb/task_arena.h>

#include "sim/errors.hpp"
#include "sim/huge_buffer.hpp"
#include "sim/metric_catalog.hpp"
#include "sim/path_kernel.hpp"
#include "sim/quantile_sketch.hpp"
#include "sim/statistics.hpp"

namespace cascade {
namespace {

using Clock = std::chrono::steady_clock;

double seconds_between(Clock::time_point a, Clock::time_point b) {
    return std::chrono::duration<double>(b - a).count();
}

// ---- Per-path columns -------------------------------------------------------
// Adding one: an enumerator, a row in kColumns, a line in path_columns(), a row
// in docs/output-format.md.
enum Column : std::size_t {
    final_price,
    min_price,
    max_drawdown,
    log_return,
    liquidations,
    partial_liquidations,
    liquidated_notional,
    bad_debt,
    insurance_fund_final,
    insurance_fund_min,
    insurance_fund_paid,
    penalties_collected,
    max_cascade_rounds,
    cascade_amplification,
    first_liquidation_time,
    oracle_gap_max,
    oracle_gap_mean,
    adl_notional,
    adl_accounts,
    socialised_loss,
    funding_index,
    capacity_shortfall_max,
    under_water_time,
    passed_over,
    passed_over_deficit,
    backstop_takeovers,
    backstop_notional,
    backstop_pnl,
    ledger_imbalance,
    column_count
};

const std::array<DatasetInfo, column_count>& column_infos() {
    static const std::array<DatasetInfo, column_count> infos = {{
        {"final_price", "quote currency", "market price at the horizon"},
        {"min_price", "quote currency", "lowest market price on the path, over all grid points"},
        {"max_drawdown", "fraction", "largest fall of the market price from a running peak"},
        {"log_return", "1", "natural log of the final over the initial market price"},
        {"liquidations", "accounts",
         "number of liquidations on the path, one account each; a partial liquidation counts as "
         "one, so an account may count more than once"},
        {"partial_liquidations", "liquidations",
         "of those, partial liquidations: ones that left part of the position open"},
        {"liquidated_notional", "quote currency", "notional of the liquidated positions, at fill"},
        {"bad_debt", "quote currency",
         "losses beyond the traders' margin that nothing in the loss waterfall (insurance fund, "
         "ADL, socialised loss) covered"},
        {"insurance_fund_final", "quote currency", "insurance fund balance at the horizon"},
        {"insurance_fund_min", "quote currency", "lowest insurance fund balance on the path"},
        {"insurance_fund_paid", "quote currency", "shortfalls the insurance fund covered"},
        {"penalties_collected", "quote currency", "liquidation penalties paid into the fund"},
        {"max_cascade_rounds", "rounds", "most liquidation rounds in one step"},
        {"cascade_amplification", "1",
         "log of the lowest market price over log of the lowest exogenous price (relative to "
         "the initial price); 1 when the exogenous price never fell below it"},
        {"first_liquidation_time", "s", "time of the first liquidation; NaN when none"},
        {"oracle_gap_max", "fraction",
         "largest |oracle price / market price - 1| at which liquidations were triggered, the "
         "market price taken before their orders; 0 when none"},
        {"oracle_gap_mean", "fraction",
         "mean over liquidated accounts of |oracle price / market price - 1| when each was "
         "triggered; NaN when none"},
        {"adl_notional", "quote currency",
         "units of bankrupt positions auto-deleveraged against the opposite side, at their "
         "bankruptcy prices"},
        {"adl_accounts", "accounts", "distinct opposite-side accounts auto-deleveraged"},
        {"socialised_loss", "quote currency",
         "shortfall neither the fund nor ADL covered, taken as a haircut on the rest of the "
         "market's profit on the path"},
        {"funding_index", "quote currency",
         "cumulative funding per unit of the asset at the horizon: what a long held from the "
         "start paid per unit (negative: received), and a short received; 0 without funding"},
        {"capacity_shortfall_max", "quote currency",
         "largest notional left below maintenance at the end of a step because the liquidators' "
         "capacity was used up; 0 without a capacity"},
        {"under_water_time", "s",
         "account-seconds positions spent below maintenance waiting for the liquidators' "
         "capacity, latency or profit floor (accounts waiting at the end of each step, times the "
         "step); 0 without any"},
        {"passed_over", "accounts",
         "accounts the liquidators were passing over at the horizon as not worth liquidating "
         "(their profit floor): open positions whose losses are not in bad_debt; 0 without a "
         "floor"},
        {"passed_over_deficit", "quote currency",
         "what the accounts in passed_over owe beyond their margin at the final market price (the "
         "sum of their negative equities): bad debt the venue carries but has not booked"},
        {"backstop_takeovers", "accounts",
         "positions the backstop vault took over instead of the market (each also counts as a "
         "liquidation); 0 without a backstop"},
        {"backstop_notional", "quote currency",
         "notional of the positions the backstop vault took over, at the take-over prices"},
        {"backstop_pnl", "quote currency",
         "the backstop vault's result at the horizon: the equity it took with the positions plus "
         "their PnL since, marked at the final market price, funding included"},
        {"ledger_imbalance", "1",
         "|sum of all ledger balances - initial sum| / max(initial sum, liquidated notional, 1)"},
    }};
    return infos;
}

using PathRow = std::array<double, column_count>;

PathRow path_row(std::span<const double> log_market, const PathOutcome& o, double initial_price,
                 const TimeGrid& grid) {
    double peak = log_market[0];
    double low = log_market[0];
    double deepest = 0.0;  // most negative x_k - running max
    for (double v : log_market) {
        peak = std::max(peak, v);
        low = std::min(low, v);
        deepest = std::min(deepest, v - peak);
    }
    PathRow row{};
    row[final_price] = initial_price * std::exp(log_market.back());
    row[min_price] = initial_price * std::exp(low);
    row[max_drawdown] = -std::expm1(deepest);
    row[log_return] = log_market.back();
    row[liquidations] = static_cast<double>(o.liquidations);
    row[partial_liquidations] = static_cast<double>(o.partial_liquidations);
    row[liquidated_notional] = o.liquidated_notional;
    row[bad_debt] = o.bad_debt;
    row[insurance_fund_final] = o.fund_final;
    row[insurance_fund_min] = o.fund_min;
    row[insurance_fund_paid] = o.fund_paid;
    row[penalties_collected] = o.penalties;
    row[max_cascade_rounds] = o.max_rounds;
    row[cascade_amplification] =
        o.min_log_exogenous < 0.0 ? o.min_log_market / o.min_log_exogenous : 1.0;
    row[first_liquidation_time] =
        o.first_liquidation_step < 0
            ? std::numeric_limits<double>::quiet_NaN()
            : grid.time_seconds(static_cast<std::uint32_t>(o.first_liquidation_step));
    row[oracle_gap_max] = o.oracle_gap_max;
    row[oracle_gap_mean] = o.oracle_gap_mean;
    row[adl_notional] = o.adl_notional;
    row[adl_accounts] = static_cast<double>(o.adl_accounts);
    row[socialised_loss] = o.socialised_loss;
    row[funding_index] = o.funding_index;
    row[capacity_shortfall_max] = o.capacity_shortfall_max;
    row[under_water_time] = o.under_water_time;
    row[passed_over] = static_cast<double>(o.passed_over);
    row[passed_over_deficit] = o.passed_over_deficit;
    row[backstop_takeovers] = static_cast<double>(o.backstop_takeovers);
    row[backstop_notional] = o.backstop_notional;
    row[backstop_pnl] = o.backstop_pnl;
    row[ledger_imbalance] = o.ledger_imbalance;
    return row;
}

// ---- Per-step series ----------------------------------------------------------

DatasetInfo series_info(SeriesKind kind) {
    switch (kind) {
        case SeriesKind::price:
            return {"price", "quote currency", "market price (exogenous price x impact)"};
        case SeriesKind::exogenous_price:
            return {"exogenous_price", "quote currency",
                    "price from the price model and shocks alone, without liquidation impact"};
        case SeriesKind::liquidated_notional:
            return {"liquidated_notional", "quote currency",
                    "cumulative notional liquidated since the start, at fill prices"};
        case SeriesKind::insurance_fund:
            return {"insurance_fund", "quote currency", "insurance fund balance"};
        case SeriesKind::open_interest:
            return {"open_interest", "units of the asset",
                    "open positions, long plus short, in units of the asset"};
        case SeriesKind::oracle_price:
            return {"oracle_price", "quote currency",
                    "the venue's oracle (mark) price, which liquidations trigger on"};
        case SeriesKind::oracle_gap:
            return {"oracle_gap", "fraction",
                    "oracle price / market price - 1: positive when the oracle is above the "
                    "market"};
        case SeriesKind::adl_notional:
            return {"adl_notional", "quote currency",
                    "cumulative notional auto-deleveraged since the start, at the bankruptcy "
                    "prices"};
    }
    return {};
}

// A block's traces: one (paths in block) x points matrix per series kind.
// Kept per worker thread and reused block after block: allocating megabytes
// per block cost more in page faults than the simulation itself. Every row is
// overwritten before it is read, so reuse cannot leak between blocks.
struct TraceRows {
    explicit TraceRows(std::size_t points) {
        for (Matrix& m : values) {
            m = Matrix(kBlockPaths, points);
        }
    }
    Matrix values[kSeriesNames.size()];
};

// Running mean and sum of squared deviations per grid point (Welford within a
// block, Chan et al. between blocks): no cancellation when the spread is tiny
// next to the level, as for a price early in a path.
struct PointMoments {
    std::uint64_t count = 0;
    std::vector<double> mean;
    std::vector<double> m2;

    explicit PointMoments(std::size_t points = 0) : mean(points, 0.0), m2(points, 0.0) {}

    void add(std::span<const double> values) {
        ++count;
        const double n = static_cast<double>(count);
        for (std::size_t k = 0; k < values.size(); ++k) {
            const double delta = values[k] - mean[k];
            mean[k] += delta / n;
            m2[k] += delta * (values[k] - mean[k]);
        }
    }

    void merge(const PointMoments& other) {
        const double na = static_cast<double>(count);
        const double nb = static_cast<double>(other.count);
        const double n = na + nb;
        for (std::size_t k = 0; k < mean.size(); ++k) {
            const double delta = other.mean[k] - mean[k];
            mean[k] += delta * (nb / n);
            m2[k] += other.m2[k] + delta * delta * (na * nb / n);
        }
        count += other.count;
    }
};

// One block's contribution to the order-dependent reductions; merged in block order.
struct BlockResult {
    std::uint64_t first_path = 0;
    std::uint64_t count = 0;
    std::vector<PointMoments> moments;               // per recorded series
    std::vector<std::uint64_t> cohort_liquidations;  // summed over the block's paths
    EventVector events;
    // Sketched bands: per recorded series, the bucket of every value, grid
    // point after grid point (each point's sketch then reads one run).
    std::vector<std::vector<QuantileSketch::Bucket>> buckets;
};

// Adds a block's bucketed values, points x `paths` per series, to the
// series' sketches. The grid points' sketches are independent, so they are
// filled in parallel: the merge stage is serial, and would otherwise cap the
// run's speed.
void add_to_sketches(std::vector<std::vector<QuantileSketch>>& sketches,
                     const std::vector<std::vector<QuantileSketch::Bucket>>& buckets,
                     std::uint64_t paths) {
    for (std::size_t s = 0; s < sketches.size(); ++s) {
        const std::size_t points = sketches[s].size();
        tbb::parallel_for(tbb::blocked_range<std::size_t>(0, points, 32),
                          [&](const tbb::blocked_range<std::size_t>& range) {
                              for (std::size_t k = range.begin(); k < range.end(); ++k) {
                                  QuantileSketch& sketch = sketches[s][k];
                                  const QuantileSketch::Bucket* values = &buckets[s][k * paths];
                                  constexpr std::uint64_t kAhead = 8;
                                  for (std::uint64_t i = 0; i < std::min(kAhead, paths); ++i) {
                                      sketch.prefetch(values[i]);
                                  }
                                  for (std::uint64_t i = 0; i < paths; ++i) {
                                      if (i + kAhead < paths) {
                                          sketch.prefetch(values[i + kAhead]);
                                      }
                                      sketch.add(values[i]);
                                  }
                              }
                          });
    }
}

constexpr double kLedgerTolerance = 1e-9;

// A stopped run's saved items by name: the sample sets, and the sketched
// series of its checkpoint.
const std::string& name_of(const SampleSet& set) {
    return set.info.name;
}
const std::string& name_of(const Checkpoint::SketchedSeries& series) {
    return series.name;
}
template <class Item>
const Item* find_named(const std::vector<Item>& items, std::string_view name) {
    const auto it = std::find_if(items.begin(), items.end(),
                                 [&](const Item& item) { return name_of(item) == name; });
    return it == items.end() ? nullptr : &*it;
}
// One that check_resume_state has made sure is there.
template <class Item>
const Item& named(const std::vector<Item>& items, std::string_view name) {
    return *find_named(items, name);
}

std::string_view series_name(SeriesKind kind) {
    return kSeriesNames[static_cast<std::size_t>(kind)];
}

// Exact bands, resumed: the stopped run's `resumed` paths' values of one
// series into its by-point buffer (rows of `paths`), and its moments
// replayed block by block as the uninterrupted run merges them.
void replay_exact_bands(const SampleSet& saved, std::uint64_t resumed, std::uint64_t paths,
                        HugeBuffer<double>& by_point, PointMoments& moments) {
    const std::size_t points = saved.values.cols;
    for (std::uint64_t p = 0; p < resumed; ++p) {
        for (std::size_t k = 0; k < points; ++k) {
            by_point.data()[k * paths + p] = saved.values(p, k);
        }
    }
    for (std::uint64_t first = 0; first < resumed; first += kBlockPaths) {
        PointMoments block(points);
        for (std::uint64_t p = first; p < first + kBlockPaths; ++p) {
            block.add(std::span<const double>(saved.values.row(p), points));
        }
        moments.merge(block);
    }
}

// Checks that a stopped run's state fits the scenario and population of the
// run continuing it, and its checkpoint the run's bands (`exact_bands` or
// sketched); throws InputError naming the file otherwise.
void check_resume_state(const ResumeState& state, const Scenario& scenario,
                        const Population& population, std::uint64_t kept, bool exact_bands) {
    const std::string source = state.file.string();
    const auto refuse = [&](const std::string& message) {
        throw InputError({Diagnostic{source, "", message}});
    };
    const std::uint64_t done = state.paths_completed;
    const std::size_t points = scenario.simulation.grid.steps + 1ULL;
    if (fingerprint(population) != state.checkpoint.population_fingerprint) {
        refuse(
            "the population built now differs from the one the stopped run simulated (did "
            "its positions CSV change?); resuming would mix two populations");
    }
    if (done % kBlockPaths != 0 || done >= scenario.simulation.paths) {
        refuse(
            fmt::format("paths_completed = {} is not a whole number of {}-path blocks below "
                        "the {} paths asked for; the file is damaged",
                        done, kBlockPaths, scenario.simulation.paths));
    }
    for (const DatasetInfo& info : column_infos()) {
        const auto it = std::find_if(state.paths.begin(), state.paths.end(),
                                     [&](const PathColumn& c) { return c.info.name == info.name; });
        if (it == state.paths.end() || it->values.size() != done) {
            refuse(fmt::format("/paths/{} is missing or does not hold {} values", info.name, done));
        }
    }
    const auto check_matrix = [&](const std::vector<SampleSet>& sets, std::string_view group,
                                  std::string_view name, std::uint64_t rows) {
        const SampleSet* set = find_named(sets, name);
        if (set == nullptr || set->values.rows != rows || set->values.cols != points) {
            refuse(fmt::format("{}/{} is missing or is not {} x {}", group, name, rows, points));
        }
    };
    check_matrix(state.samples, "/samples", "price", std::min(kept, done));
    check_matrix(state.samples, "/samples", "exogenous_price", std::min(kept, done));
    for (SeriesKind kind : scenario.output.series) {
        const std::string_view name = series_name(kind);
        if (exact_bands) {
            check_matrix(state.checkpoint.series_values, "/checkpoint/series", name, done);
            continue;
        }
        const Checkpoint::SketchedSeries* it = find_named(state.checkpoint.sketched_series, name);
        if (it == nullptr || it->count != done || it->mean.size() != points ||
            it->m2.size() != points) {
            refuse(
                fmt::format("/checkpoint/sketch/{} is missing or is not of {} paths at {} "
                            "grid points",
                            name, done, points));
        }
        std::vector<std::uint64_t> per_point(points, 0);
        for (const auto& [point, sign, key, count] : it->buckets) {
            if (point < 0 || static_cast<std::uint64_t>(point) >= points || sign < -1 || sign > 2 ||
                key < std::numeric_limits<std::int32_t>::min() ||
                key > std::numeric_limits<std::int32_t>::max() || count <= 0) {
                refuse(
                    fmt::format("/checkpoint/sketch/{}/buckets has a row out of range "
                                "({}, {}, {}, {}); the file is damaged",
                                name, point, sign, key, count));
            }
            per_point[static_cast<std::size_t>(point)] += static_cast<std::uint64_t>(count);
        }
        if (std::any_of(per_point.begin(), per_point.end(),
                        [&](std::uint64_t n) { return n != done; })) {
            refuse(
                fmt::format("/checkpoint/sketch/{}/buckets does not count {} values at every "
                            "grid point; the file is damaged",
                            name, done));
        }
    }
    if (state.checkpoint.cohort_liquidations.size() != population.cohorts.size()) {
        refuse(fmt::format("/checkpoint/cohort_liquidations has {} rows for {} cohorts",
                           state.checkpoint.cohort_liquidations.size(), population.cohorts.size()));
    }
    for (const LiquidationEvent& e : state.events) {
        if (e.path >= std::min(kept, done)) {
            refuse(
                fmt::format("/events/liquidations has an event of path {}, which is not a "
                            "completed sample path",
                            e.path));
        }
    }
}

}  // namespace

namespace {

// The most liquidation events a sample path can keep: each account is
// liquidated once, or a partial liquidation's parts and the rest, and a path
// keeps no more than max_events_per_path.
std::uint64_t most_events_per_sample_path(const Scenario& scenario,
                                          std::uint64_t imported_accounts) {
    std::uint64_t accounts = imported_accounts;
    for (const CohortConfig& cohort : scenario.population.cohorts) {
        accounts += cohort.accounts;
    }
    const PartialLiquidation& partial = scenario.venue.partial_liquidation;
    const std::uint64_t per_account =
        partial.enabled() ? std::uint64_t{partial.max_partials} + 1 : 1;
    const std::uint64_t most = scenario.output.max_events_per_path;
    return accounts > most / per_account ? most : accounts * per_account;
}

}  // namespace

std::uint64_t estimate_run_memory(const Scenario& scenario, std::uint64_t imported_accounts) {
    const std::uint64_t points = scenario.simulation.grid.steps + 1ULL;
    const std::uint64_t paths = scenario.simulation.paths;
    // Exact quantile bands hold every recorded series at every point of every
    // path; sketched ones a sketch per series and point, counted at its largest.
    const std::uint64_t series = scenario.output.series.size();
    std::uint64_t bytes =
        scenario.output.bands_for(paths, points) == BandMethod::exact
            ? paths * points * series * sizeof(double)
            : series * points * QuantileSketch::max_bytes(scenario.output.band_relative_error);
    bytes += paths * column_count * sizeof(double);
    // Building the population peaks at about 83 bytes an account (one side's
    // draws, its sort keys and its book, next to the other side's draws;
    // bench_run measures it), 100 with a margin; CSV rows are not counted here.
    for (const CohortConfig& cohort : scenario.population.cohorts) {
        bytes += cohort.accounts * 100;
    }
    // The sample paths' events, twice, for the doubling of the vector they
    // are appended to.
    const std::uint64_t sample_paths = std::min<std::uint64_t>(scenario.output.sample_paths, paths);
    bytes += 2 * sample_paths * most_events_per_sample_path(scenario, imported_accounts) *
             sizeof(LiquidationEvent);
    return bytes;
}

std::uint64_t estimate_output_bytes(const Scenario& scenario, std::uint64_t imported_accounts) {
    const std::uint64_t points = scenario.simulation.grid.steps + 1ULL;
    const std::uint64_t paths = scenario.simulation.paths;
    const std::uint64_t series = scenario.output.series.size();
    const std::uint64_t levels = scenario.output.quantile_levels.size();
    const std::uint64_t sample_paths = std::min<std::uint64_t>(scenario.output.sample_paths, paths);
    std::uint64_t bytes = paths * column_count * sizeof(double);  // /paths
    bytes += series * points * (2 + levels) * sizeof(double);     // /series
    bytes += (1 + 2 * sample_paths) * points * sizeof(double);    // /time, /samples
    // /events, packed smaller in the file than in memory.
    bytes += sample_paths * most_events_per_sample_path(scenario, imported_accounts) *
             sizeof(LiquidationEvent);
    // /population: a row per cohort, an id per imported account.
    bytes += scenario.population.cohorts.size() * 1024 + imported_accounts * 256;
    // Metadata: attributes, the resolved scenario, HDF5's own structures.
    return bytes + scenario.resolved_json.size() + (1ULL << 20);
}

std::uint64_t default_memory_limit() {
    const long pages = ::sysconf(_SC_PHYS_PAGES);
    const long page_size = ::sysconf(_SC_PAGE_SIZE);
    if (pages <= 0 || page_size <= 0) {
        return 8ULL << 30;  // unknown: a conservative 8 GiB
    }
    return static_cast<std::uint64_t>(0.8 * static_cast<double>(pages) *
                                      static_cast<double>(page_size));
}

namespace {

// Refuses the run when estimate_run_memory is above the limit.
void check_memory(const Scenario& scenario, const RunOptions& options,
                  std::uint64_t imported_accounts) {
    const std::uint64_t memory = estimate_run_memory(scenario, imported_accounts);
    const std::uint64_t limit =
        options.memory_limit_bytes != 0 ? options.memory_limit_bytes : default_memory_limit();
    if (memory > limit) {
        constexpr double kGiB = 1ULL << 30;
        throw InputError({Diagnostic{
            "", "",
            fmt::format("this run would hold {:.1f} GiB in memory, mostly for the quantile "
                        "bands (exact ones take paths x (steps + 1) x recorded series x 8 "
                        "bytes; /output/band_method \"sketch\" bounds them), the per-path "
                        "columns ({} bytes a path), the population (about 100 bytes an account "
                        "while it is built) and the "
                        "sample paths' liquidation events (up to 2 x sample paths x "
                        "max_events_per_path x 72 bytes), above the limit of {:.1f} GiB ({}). "
                        "Use fewer /simulation/paths or /simulation/steps, record fewer "
                        "/output/series, a smaller population, fewer /output/sample_paths or a "
                        "lower /output/max_events_per_path, or, if the machine has the memory, "
                        "raise the limit with --memory-limit",
                        static_cast<double>(memory) / kGiB, column_count * sizeof(double),
                        static_cast<double>(limit) / kGiB,
                        options.memory_limit_bytes != 0 ? "--memory-limit"
                                                        : "80 % of this machine's memory")}});
    }
}

}  // namespace

Results run_simulation(const Scenario& scenario, const RunOptions& options) {
    // Before the population is built; again after it, once a positions
    // CSV's accounts are known (their events).
    check_memory(scenario, options, 0);
    const auto& sim = scenario.simulation;
    const std::uint64_t paths = sim.paths;
    const std::size_t points = sim.grid.steps + 1ULL;
    const double initial_price = scenario.market.initial_price;

    Results results;
    results.run.seed = sim.seed;
    results.run.paths = paths;
    results.run.steps = sim.grid.steps;
    results.run.threads =
        sim.threads == 0 ? static_cast<unsigned>(tbb::info::default_concurrency()) : sim.threads;
    results.run.engine = options.engine == EngineKind::cursor ? "cursor" : "reference";
    tbb::task_arena arena(static_cast<int>(results.run.threads));

    const auto build_start = Clock::now();
    Population population;
    arena.execute([&] {
        population = build_population(scenario.population, scenario.venue, initial_price, sim.seed);
    });
    if (scenario.population.positions_csv) {
        check_memory(scenario, options, population.imported_labels.size());
    }
    const PathKernel kernel(scenario, population, options.engine);
    const std::size_t cohorts = population.cohorts.size();
    results.run.population_seconds = seconds_between(build_start, Clock::now());

    results.quantile_levels = scenario.output.quantile_levels;
    results.time_seconds.resize(points);
    for (std::uint32_t k = 0; k < points; ++k) {
        results.time_seconds[k] = sim.grid.time_seconds(k);
    }
    for (const DatasetInfo& info : column_infos()) {
        results.paths.push_back({info, std::vector<double>(paths)});
    }
    const std::uint64_t kept = std::min<std::uint64_t>(scenario.output.sample_paths, paths);
    SampleSet price_samples{{"price", "quote currency", "market price of the first sample paths"},
                            Matrix(kept, points)};
    SampleSet exogenous_samples{
        {"exogenous_price", "quote currency",
         "exogenous price (model and shocks, no impact) of the first sample paths"},
        Matrix(kept, points)};

    // Exact bands: every recorded value, one row per grid point, so each
    // point's quantiles read one contiguous row. Blocks write disjoint column
    // ranges; every element is written, so the buffers start uninitialised.
    // Sketched bands: a sketch per series and grid point, which blocks fill in
    // order (the sketch would not mind another order; the moments would).
    const std::vector<SeriesKind>& recorded = scenario.output.series;
    const bool exact_bands = scenario.output.bands_for(paths, points) == BandMethod::exact;
    results.band_relative_error = exact_bands ? 0.0 : scenario.output.band_relative_error;
    std::vector<HugeBuffer<double>> by_point;
    std::vector<std::vector<QuantileSketch>> sketches;
    const QuantileSketch bucketer(scenario.output.band_relative_error);
    if (exact_bands) {
        for (std::size_t s = 0; s < recorded.size(); ++s) {
            by_point.emplace_back(points * paths);
        }
    } else {
        sketches.assign(recorded.size(), std::vector<QuantileSketch>(points, bucketer));
    }
    std::vector<PointMoments> moments(recorded.size(), PointMoments(points));
    const auto records = [&](SeriesKind kind) {
        return std::find(recorded.begin(), recorded.end(), kind) != recorded.end();
    };
    const bool records_oracle_price = records(SeriesKind::oracle_price);
    const bool records_oracle_gap = records(SeriesKind::oracle_gap);
    const bool records_adl = records(SeriesKind::adl_notional);
    std::vector<std::uint64_t> cohort_liquidations(cohorts, 0);

    // Resuming: the stopped run's paths, exactly as it left them, and the
    // moments replayed block by block as the uninterrupted run merges them.
    const std::uint64_t resumed = options.resume != nullptr ? options.resume->paths_completed : 0;
    if (options.resume != nullptr) {
        const ResumeState& state = *options.resume;
        check_resume_state(state, scenario, population, kept, exact_bands);
        for (PathColumn& column : results.paths) {
            const auto& saved =
                std::find_if(state.paths.begin(), state.paths.end(), [&](const PathColumn& c) {
                    return c.info.name == column.info.name;
                })->values;
            std::copy(saved.begin(), saved.end(), column.values.begin());
        }
        for (SampleSet* samples : {&price_samples, &exogenous_samples}) {
            const Matrix& saved = named(state.samples, samples->info.name).values;
            std::copy(saved.data.begin(), saved.data.end(), samples->values.data.begin());
        }
        if (options.events == nullptr) {
            results.events = state.events;
        }
        cohort_liquidations = state.checkpoint.cohort_liquidations;
        for (std::size_t s = 0; s < recorded.size(); ++s) {
            if (exact_bands) {
                replay_exact_bands(named(state.checkpoint.series_values, series_name(recorded[s])),
                                   resumed, paths, by_point[s], moments[s]);
                continue;
            }
            const auto& saved = named(state.checkpoint.sketched_series, series_name(recorded[s]));
            moments[s].count = saved.count;
            moments[s].mean = saved.mean;
            moments[s].m2 = saved.m2;
            for (const auto& [point, sign, key, count] : saved.buckets) {
                sketches[s][static_cast<std::size_t>(point)].add(
                    {static_cast<std::int32_t>(key), static_cast<std::int32_t>(sign)},
                    static_cast<std::uint64_t>(count));
            }
        }
        if (options.on_progress) {
            options.on_progress(resumed);
        }
    }

    tbb::enumerable_thread_specific<TraceRows> scratch([points] { return TraceRows(points); });
    const auto simulate_block = [&](std::uint64_t block) {
        BlockResult r;
        r.first_path = block * kBlockPaths;
        r.count = std::min(kBlockPaths, paths - r.first_path);
        r.moments.assign(recorded.size(), PointMoments(points));
        r.cohort_liquidations.assign(cohorts, 0);
        TraceRows& rows = scratch.local();
        for (std::uint64_t i = 0; i < r.count; ++i) {
            const std::uint64_t path = r.first_path + i;
            const auto row = [&](SeriesKind kind) {
                return std::span<double>(rows.values[static_cast<std::size_t>(kind)].row(i),
                                         points);
            };
            const PathTrace trace{
                row(SeriesKind::exogenous_price),
                row(SeriesKind::price),
                row(SeriesKind::liquidated_notional),
                row(SeriesKind::insurance_fund),
                row(SeriesKind::open_interest),
                records_oracle_price || records_oracle_gap ? row(SeriesKind::oracle_price)
                                                           : std::span<double>(),
                records_adl ? row(SeriesKind::adl_notional) : std::span<double>()};
            PathOutcome outcome;
            kernel.simulate(path, trace, outcome, r.cohort_liquidations,
                            path < kept ? &r.events : nullptr);
            const PathRow values = path_row(trace.log_market, outcome, initial_price, sim.grid);
            for (std::size_t c = 0; c < column_count; ++c) {
                results.paths[c].values[path] = values[c];
            }
            if (records_oracle_gap) {
                const std::span<double> gap = row(SeriesKind::oracle_gap);
                for (std::size_t k = 0; k < points; ++k) {
                    gap[k] = std::expm1(trace.log_oracle[k] - trace.log_market[k]);
                }
            }
            if (records_oracle_price) {
                for (double& v : trace.log_oracle) {
                    v = initial_price * std::exp(v);
                }
            }
            // Log prices become prices here, once, for the observers that need them.
            for (std::span<double> log_prices : {trace.log_market, trace.log_exogenous}) {
                for (double& v : log_prices) {
                    v = initial_price * std::exp(v);
                }
            }
            if (path < kept) {
                std::copy(trace.log_market.begin(), trace.log_market.end(),
                          price_samples.values.row(path));
                std::copy(trace.log_exogenous.begin(), trace.log_exogenous.end(),
                          exogenous_samples.values.row(path));
            }
            for (std::size_t s = 0; s < recorded.size(); ++s) {
                r.moments[s].add(row(recorded[s]));
            }
        }
        for (std::size_t s = 0; s < recorded.size(); ++s) {
            const Matrix& values = rows.values[static_cast<std::size_t>(recorded[s])];
            if (!exact_bands) {
                std::vector<QuantileSketch::Bucket>& buckets =
                    r.buckets.emplace_back(r.count * points);
                for (std::size_t k = 0; k < points; ++k) {
                    for (std::uint64_t i = 0; i < r.count; ++i) {
                        buckets[k * r.count + i] = bucketer.bucket(values(i, k));
                    }
                }
                continue;
            }
            for (std::size_t k = 0; k < points; ++k) {
                double* out = by_point[s].data() + k * paths + r.first_path;
                for (std::uint64_t i = 0; i < r.count; ++i) {
                    out[i] = values(i, k);
                }
            }
        }
        return r;
    };

    const auto start = Clock::now();
    const std::uint64_t blocks = (paths + kBlockPaths - 1) / kBlockPaths;
    std::uint64_t next_block = resumed / kBlockPaths;
    std::uint64_t paths_done = resumed;
    // Blocks merge in path order, on one thread at a time.
    const auto merge_block = [&](BlockResult&& r) {
        for (std::size_t s = 0; s < recorded.size(); ++s) {
            moments[s].merge(r.moments[s]);
        }
        if (!exact_bands) {
            add_to_sketches(sketches, r.buckets, r.count);
        }
        for (std::size_t c = 0; c < cohorts; ++c) {
            cohort_liquidations[c] += r.cohort_liquidations[c];
        }
        // Streamed, or kept: moved, not copied, when it is the first with any
        // (the sample paths are usually all in the first block).
        if (options.events != nullptr) {
            options.events->append(r.events);
        } else if (results.events.empty()) {
            results.events = std::move(r.events);
        } else {
            results.events.insert(results.events.end(), r.events.begin(), r.events.end());
        }
        paths_done += r.count;
        if (options.on_progress) {
            options.on_progress(paths_done);
        }
    };
    // A failure while merging (the event sink, the progress callback) stops
    // the run at the next block boundary and is rethrown once the pipeline has
    // drained: an exception out of a filter would cancel the pipeline and
    // leak the blocks in flight.
    std::exception_ptr merge_failure;
    std::atomic<bool> merge_failed{false};
    arena.execute([&] {
        try {
            if (options.events != nullptr && options.resume != nullptr) {
                options.events->append(options.resume->events);
            }
            tbb::parallel_pipeline(
                std::size_t{4} * results.run.threads,
                tbb::make_filter<void, std::uint64_t>(
                    tbb::filter_mode::serial_in_order,
                    [&](tbb::flow_control& control) -> std::uint64_t {
                        if (next_block == blocks || merge_failed.load() ||
                            (options.stop != nullptr && options.stop->load() != 0)) {
                            control.stop();
                            return 0;
                        }
                        return next_block++;
                    }) &
                    tbb::make_filter<std::uint64_t, BlockResult>(tbb::filter_mode::parallel,
                                                                 simulate_block) &
                    tbb::make_filter<BlockResult, void>(
                        tbb::filter_mode::serial_in_order, [&](BlockResult&& r) {
                            if (merge_failed.load()) {
                                return;
                            }
                            try {
                                merge_block(std::move(r));
                            } catch (...) {
                                merge_failure = std::current_exception();
                                merge_failed.store(true);
                            }
                        }));
            if (merge_failure) {
                std::rethrow_exception(merge_failure);
            }
        } catch (...) {
            if (options.events != nullptr) {
                try {
                    options.events->close();
                } catch (...) {
                    // The run's own failure is the one to report.
                }
            }
            throw;
        }
        if (options.events != nullptr) {
            options.events->close();
        }
    });
    const auto simulated = Clock::now();

    // Stopped early: everything below describes the completed paths, a prefix
    // in path order (blocks are merged in order, and every block started was
    // finished). `stride` stays the row length of the by-point buffers.
    const std::uint64_t stride = paths;
    const std::uint64_t done = paths_done;
    results.run.paths_completed = done;
    for (PathColumn& column : results.paths) {
        column.values.resize(done);
    }
    const std::uint64_t sampled = std::min(kept, done);
    for (SampleSet* samples : {&price_samples, &exogenous_samples}) {
        samples->values.rows = sampled;
        samples->values.data.resize(sampled * points);
    }

    // The sample paths whose events were cut at max_events_per_path.
    results.max_events_per_path = scenario.output.max_events_per_path;
    for (std::uint64_t p = 0; p < sampled; ++p) {
        if (results.paths[liquidations].values[p] >
            static_cast<double>(results.max_events_per_path)) {
            ++results.truncated_event_paths;
        }
    }

    // Conservation of value, path by path: beyond rounding, the engine is wrong.
    // Written so that a NaN fails too.
    const auto& imbalance = results.paths[ledger_imbalance].values;
    for (std::uint64_t p = 0; p < done; ++p) {
        if (!(imbalance[p] <= kLedgerTolerance)) {
            throw std::runtime_error(fmt::format(
                "conservation of value failed on path {}: the ledger is off by {:.3g} of the "
                "money involved (tolerance {:g}); this is a bug in cascade",
                p, imbalance[p], kLedgerTolerance));
        }
        results.run.max_ledger_imbalance = std::max(results.run.max_ledger_imbalance, imbalance[p]);
    }

    // Per-step bands: moments merged over blocks, exact quantiles per grid point.
    for (std::size_t s = 0; s < recorded.size(); ++s) {
        StepSeries series;
        series.info = series_info(recorded[s]);
        series.mean = moments[s].mean;
        series.standard_deviation.resize(points);
        for (std::size_t k = 0; k < points; ++k) {
            series.standard_deviation[k] =
                done > 1 ? std::sqrt(moments[s].m2[k] / static_cast<double>(done - 1)) : 0.0;
        }
        series.quantiles = Matrix(points, results.quantile_levels.size());
        arena.execute([&] {
            tbb::parallel_for(std::size_t{0}, points, [&](std::size_t k) {
                std::vector<double> q;
                if (exact_bands) {
                    const double* row = by_point[s].data() + k * stride;
                    std::vector<double> values(row, row + done);
                    q = quantiles_type7(values, results.quantile_levels);
                } else {
                    q = sketches[s][k].quantiles_type7(results.quantile_levels);
                }
                std::copy(q.begin(), q.end(), series.quantiles.row(k));
            });
        });
        if (!exact_bands) {
            series.collapsed_points = static_cast<std::uint64_t>(
                std::count_if(sketches[s].begin(), sketches[s].end(),
                              [](const QuantileSketch& sketch) { return sketch.collapsed(); }));
        }
        results.series.push_back(std::move(series));
    }
    results.samples.push_back(std::move(price_samples));
    results.samples.push_back(std::move(exogenous_samples));

    // Cohorts, and who got liquidated.
    for (std::size_t c = 0; c < cohorts; ++c) {
        const CohortSummary& summary = population.cohorts[c];
        results.cohorts.push_back(
            {summary.name, static_cast<std::int8_t>(summary.side), summary.accounts,
             summary.excluded, summary.clipped, summary.notional, summary.collateral,
             static_cast<double>(cohort_liquidations[c]) / static_cast<double>(done)});
    }
    // Stopped early: what --resume needs to finish the run.
    if (done < paths) {
        Checkpoint& checkpoint = results.checkpoint;
        checkpoint.population_fingerprint = fingerprint(population);
        checkpoint.cohort_liquidations = cohort_liquidations;
        for (std::size_t s = 0; s < recorded.size(); ++s) {
            if (exact_bands) {
                const DatasetInfo info = series_info(recorded[s]);
                SampleSet values{{info.name, info.units,
                                  info.description +
                                      " of every completed path at every grid point, row per path"},
                                 Matrix(done, points)};
                for (std::uint64_t p = 0; p < done; ++p) {
                    for (std::size_t k = 0; k < points; ++k) {
                        values.values(p, k) = by_point[s].data()[k * stride + p];
                    }
                }
                checkpoint.series_values.push_back(std::move(values));
                continue;
            }
            Checkpoint::SketchedSeries state{
                std::string(series_name(recorded[s])), done, moments[s].mean, moments[s].m2, {}};
            for (std::size_t k = 0; k < points; ++k) {
                for (const QuantileSketch::Count& c : sketches[s][k].counts()) {
                    state.buckets.push_back({static_cast<std::int64_t>(k), c.bucket.sign,
                                             c.bucket.key, static_cast<std::int64_t>(c.count)});
                }
            }
            checkpoint.sketched_series.push_back(std::move(state));
        }
    }
    results.first_imported_account = population.first_imported;
    results.imported_accounts = population.imported_labels;

    // Metrics with error bars.
    for (const MetricDefinition& definition : metric_catalog()) {
        results.metrics.push_back(
            compute_metric(definition, results.path_column(std::string(definition.column)).values));
    }

    results.run.simulation_seconds = seconds_between(start, simulated);
    results.run.reduction_seconds = seconds_between(simulated, Clock::now());
    return results;
}

}  // namespace cascade
