// The cap on a sample path's liquidation events (/output/max_events_per_path):
// a path keeps the first so many, in the order they happen; the simulation
// itself does not change; and the run's memory estimate counts them.

#include <algorithm>
#include <cstdint>
#include <filesystem>
#include <iterator>
#include <vector>

#include <doctest/doctest.h>

#include "output/results_writer.hpp"
#include "sim/errors.hpp"
#include "sim/run.hpp"
#include "support/support.hpp"

namespace cascade {
namespace {

std::vector<LiquidationEvent> events_of_path(const Results& r, std::uint64_t path) {
    std::vector<LiquidationEvent> out;
    std::copy_if(r.events.begin(), r.events.end(), std::back_inserter(out),
                 [path](const LiquidationEvent& e) { return e.path == path; });
    return out;
}

constexpr std::uint64_t kCappedSamples = 8;

Results run_with_event_limit(std::uint64_t limit) {
    nlohmann::json doc = test::two_sided_crash_scenario();
    doc["output"]["sample_paths"] = kCappedSamples;
    doc["output"]["max_events_per_path"] = limit;
    return run_simulation(test::scenario_from(doc));
}

}  // namespace

TEST_CASE("a sample path keeps the first max_events_per_path of its liquidations") {
    const Results whole = run_with_event_limit(1'000'000);
    CHECK(whole.max_events_per_path == 1'000'000);
    CHECK(whole.truncated_event_paths == 0);
    const std::vector<double>& liquidations = whole.path_column("liquidations").values;
    for (const std::uint64_t limit : {std::uint64_t{0}, std::uint64_t{40}}) {
        INFO("max_events_per_path " << limit);
        const Results cut = run_with_event_limit(limit);
        test::check_same_paths(whole, cut);  // the paths themselves do not change
        CHECK(cut.max_events_per_path == limit);
        std::uint64_t truncated = 0;
        for (std::uint64_t p = 0; p < kCappedSamples; ++p) {
            INFO("path " << p);
            const std::vector<LiquidationEvent> all = events_of_path(whole, p);
            const std::vector<LiquidationEvent> kept = events_of_path(cut, p);
            REQUIRE(all.size() == static_cast<std::size_t>(liquidations[p]));
            REQUIRE(kept.size() == std::min<std::size_t>(all.size(), limit));
            for (std::size_t k = 0; k < kept.size(); ++k) {
                CHECK(test::same_event(kept[k], all[k]));
            }
            truncated += all.size() > limit ? 1 : 0;
        }
        CHECK(cut.truncated_event_paths == truncated);
        // The crash liquidates more than 40 accounts on some sample paths.
        CHECK(truncated > 0);
    }
}

TEST_CASE("the memory estimate counts the sample paths' events, at most max_events_per_path") {
    nlohmann::json doc = test::two_sided_crash_scenario();  // 600 accounts, 64 paths
    const auto estimate = [&doc](std::uint64_t samples, std::uint64_t limit) {
        doc["output"]["sample_paths"] = samples;
        doc["output"]["max_events_per_path"] = limit;
        return estimate_run_memory(test::scenario_from(doc));
    };
    const std::uint64_t none = estimate(0, 1'000'000);
    constexpr std::uint64_t kEvent = sizeof(LiquidationEvent);
    constexpr std::uint64_t kTwice = 2;  // the vector's doubling
    CHECK(kEvent == 72);
    // Each account liquidated once, twice over for the vector's doubling.
    CHECK(estimate(8, 1'000'000) - none == kTwice * 8 * 600 * kEvent);
    CHECK(estimate(8, 10) - none == kTwice * 8 * 10 * kEvent);
    CHECK(estimate(100, 1'000'000) - none == kTwice * 64 * 600 * kEvent);  // K = min(K, paths)
    // A positions CSV's accounts, counted once it is read.
    doc["output"]["sample_paths"] = 8;
    doc["output"]["max_events_per_path"] = 1'000'000;
    CHECK(estimate_run_memory(test::scenario_from(doc), 150) - estimate(8, 1'000'000) ==
          kTwice * 8 * 150 * kEvent);
    // Two partial liquidations and the rest: three events an account at most.
    doc["venue"]["partial_liquidation"] = {{"close_factor", 0.5}, {"max_partials", 2}};
    const std::uint64_t partial_none = estimate(0, 1'000'000);
    CHECK(estimate(8, 1'000'000) - partial_none == kTwice * 8 * 1800 * kEvent);
}

}  // namespace cascade

namespace cascade {

TEST_CASE("the output estimate bounds the file a run writes, loose only by the unused events") {
    test::TempDir dir;
    nlohmann::json doc = test::two_sided_crash_scenario();  // 600 accounts, 64 paths
    doc["output"]["sample_paths"] = 64;                     // every path's events
    doc["output"]["compression"] = 0;                       // the estimate is uncompressed
    const Scenario scenario = test::scenario_from(doc);
    const Results results = run_simulation(scenario);
    write_results(dir / "out.h5", results, scenario);
    const std::uint64_t written = std::filesystem::file_size(dir / "out.h5");
    const std::uint64_t estimate = estimate_output_bytes(scenario);
    CHECK(written <= estimate);
    // The estimate allows every account's liquidation on every sample path; the
    // rest of it (columns, bands, samples, metadata) is what the file holds.
    const std::uint64_t unused_events = (std::uint64_t{64} * 600 - results.events.size()) * 72;
    CHECK(estimate - written <= unused_events + (1u << 20) + scenario.resolved_json.size());
    CHECK(estimate - written >= unused_events);
}

TEST_CASE("a results file that may not fit the disk is refused, naming the sizes") {
    check_output_space("out.h5", 1000, 1000);
    CHECK_THROWS_WITH_AS(check_output_space("big.h5", 3ULL << 30, 1ULL << 30),
                         doctest::Contains("big.h5: the results could take up to 3.00 GiB"),
                         InputError);
    CHECK_THROWS_WITH_AS(check_output_space("big.h5", 3ULL << 30, 1ULL << 30),
                         doctest::Contains("1.00 GiB free"), InputError);
    CHECK_THROWS_WITH_AS(check_output_space("big.h5", 3ULL << 30, 1ULL << 30),
                         doctest::Contains("--no-space-check"), InputError);
}

}  // namespace cascade
