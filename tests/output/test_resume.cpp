// Resuming a stopped run: the finished file must be exactly the file an
// uninterrupted run writes, whatever the thread counts.

#include <doctest/doctest.h>

#include <atomic>

#include "output/event_table.hpp"
#include "output/results_writer.hpp"
#include "output/resume_state.hpp"
#include "sim/errors.hpp"
#include "sim/run.hpp"
#include "support/support.hpp"

namespace cascade {
namespace {

// A small crash with a leveraged population, every series recorded and more
// sample paths than a stopped run completes (so events are split across the
// stop); 1000 paths, so a run stopped after its first block has work left.
// `bands`: /output/band_method.
Scenario resumable_scenario(unsigned threads, const std::string& bands = "auto") {
    nlohmann::json doc = test::base_scenario();
    doc["simulation"]["paths"] = 1000;
    doc["simulation"]["threads"] = threads;
    doc["market"]["impact"] = {{"model", "linear"}, {"per_notional", 2e-7}};
    doc["shocks"] = {{{"type", "jump"}, {"time", "6h"}, {"size", -0.08}}};
    doc["venue"] = {{"initial_margin", 0.05},
                    {"maintenance_margin", 0.01},
                    {"liquidation_penalty", 0.01},
                    {"insurance_fund", 20000.0}};
    doc["population"]["cohorts"] = nlohmann::json::array(
        {{{"name", "longs"},
          {"side", "long"},
          {"accounts", 2000},
          {"leverage", {{"distribution", "uniform"}, {"min", 2.0}, {"max", 19.0}}},
          {"notional", 20000.0}},
         {{"name", "shorts"},
          {"side", "short"},
          {"accounts", 500},
          {"leverage", {{"distribution", "uniform"}, {"min", 2.0}, {"max", 19.0}}},
          {"notional", 20000.0}}});
    doc["output"] = {
        {"sample_paths", 100},
        {"band_method", bands},
        {"series",
         {"price", "exogenous_price", "liquidated_notional", "insurance_fund", "open_interest"}}};
    return test::scenario_from(doc);
}

// Runs `scenario`, asking it to stop once the first block is merged.
Results stopped_run(const Scenario& scenario) {
    std::atomic<int> stop{0};
    RunOptions options;
    options.stop = &stop;
    options.on_progress = [&](std::uint64_t) { stop.store(1); };
    return run_simulation(scenario, options);
}

}  // namespace

TEST_CASE("a stopped run, resumed, gives the file of an uninterrupted run") {
    // Exact bands resume from every path's values; sketched ones from the
    // merged moments and sketches.
    for (const std::string bands : {"exact", "sketch"}) {
        INFO("bands: " << bands);
        test::TempDir dir;
        const Scenario reference_scenario = resumable_scenario(1, bands);
        write_results(dir / "full.h5", run_simulation(reference_scenario), reference_scenario);

        for (const auto& threads : {std::pair{1u, 2u}, std::pair{2u, 1u}}) {
            // INFO captures these: no structured binding (clang < 16).
            const unsigned stopped_threads = threads.first;
            const unsigned resumed_threads = threads.second;
            INFO("stopped with " << stopped_threads << " threads, resumed with "
                                 << resumed_threads);
            const Scenario stopped_scenario = resumable_scenario(stopped_threads, bands);
            const Results stopped = stopped_run(stopped_scenario);
            REQUIRE(stopped.run.paths_completed > 0);
            REQUIRE(stopped.run.paths_completed < 1000);
            CHECK(stopped.run.paths_completed % kBlockPaths == 0);
            CHECK(stopped.checkpoint.series_values.size() == (bands == "exact" ? 5 : 0));
            CHECK(stopped.checkpoint.sketched_series.size() == (bands == "sketch" ? 5 : 0));
            const auto part = dir / "part.h5";
            write_results(part, stopped, stopped_scenario);

            const ResumeState state = read_resume_state(part);
            CHECK(state.paths_completed == stopped.run.paths_completed);
            CHECK(state.events.size() == stopped.events.size());
            CHECK(!state.events.empty());
            RunOptions options;
            options.resume = &state;
            const Scenario resumed_scenario = resumable_scenario(resumed_threads, bands);
            const Results resumed = run_simulation(resumed_scenario, options);
            CHECK(resumed.run.paths_completed == 1000);
            CHECK(resumed.checkpoint.series_values.empty());
            CHECK(resumed.checkpoint.sketched_series.empty());
            write_results(part, resumed, resumed_scenario);
            test::check_same_datasets(dir / "full.h5", part);
        }
    }
}

TEST_CASE("events stored while the run goes on give the file written after it, resumed too") {
    test::TempDir dir;
    const Scenario scenario = resumable_scenario(2);
    const Results whole = run_simulation(scenario);
    REQUIRE(whole.events.size() > EventTable::kChunkRows);  // more than one chunk streams
    write_results(dir / "after.h5", whole, scenario);

    // Streamed: as `cascade run` writes.
    const auto streamed_run = [&](const Scenario& s, const std::filesystem::path& path,
                                  const ResumeState* resume, std::atomic<int>* stop) {
        ResultsFile file(path, s);
        RunOptions options;
        options.events = &file.events();
        options.resume = resume;
        options.stop = stop;
        if (stop != nullptr) {
            options.on_progress = [stop](std::uint64_t) { stop->store(1); };
        }
        const Results results = run_simulation(s, options);
        CHECK(results.events.empty());
        file.commit(results);
        return results.run.paths_completed;
    };
    streamed_run(scenario, dir / "streamed.h5", nullptr, nullptr);
    test::check_same_datasets(dir / "after.h5", dir / "streamed.h5");

    // Stopped after a block, then resumed into the same file, both streamed:
    // the saved events go to the new file first.
    std::atomic<int> stop{0};
    const std::uint64_t completed =
        streamed_run(resumable_scenario(1), dir / "part.h5", nullptr, &stop);
    REQUIRE(completed < 1000);
    const ResumeState state = read_resume_state(dir / "part.h5");
    CHECK(!state.events.empty());
    CHECK(streamed_run(resumable_scenario(2), dir / "part.h5", &state, nullptr) == 1000);
    test::check_same_datasets(dir / "after.h5", dir / "part.h5");
}

TEST_CASE("a results file whose run fails leaves no file behind") {
    test::TempDir dir;
    const Scenario scenario = resumable_scenario(2);
    {
        ResultsFile file(dir / "out.h5", scenario);
        RunOptions options;
        options.events = &file.events();
        options.memory_limit_bytes = 1;  // refused before any path
        CHECK_THROWS_AS(run_simulation(scenario, options), InputError);
    }
    {
        // A run that fails halfway through, with events already streamed.
        ResultsFile file(dir / "out.h5", scenario);
        RunOptions options;
        options.events = &file.events();
        options.on_progress = [](std::uint64_t done) {
            if (done >= 2 * kBlockPaths) {
                throw std::runtime_error("failed halfway");
            }
        };
        CHECK_THROWS_WITH(run_simulation(scenario, options), "failed halfway");
    }
    CHECK(std::filesystem::is_empty(dir.path()));
}

TEST_CASE("resume refuses a complete file, a changed population and a damaged checkpoint") {
    test::TempDir dir;
    const Scenario scenario = resumable_scenario(2);
    write_results(dir / "full.h5", run_simulation(scenario), scenario);
    CHECK_THROWS_AS(read_resume_state(dir / "full.h5"), InputError);
    CHECK_THROWS_AS(read_resume_state(dir / "missing.h5"), InputError);

    write_results(dir / "part.h5", stopped_run(scenario), scenario);
    ResumeState state = read_resume_state(dir / "part.h5");
    RunOptions options;
    options.resume = &state;

    state.checkpoint.population_fingerprint ^= 1;  // as if the positions CSV had changed
    CHECK_THROWS_WITH_AS(run_simulation(scenario, options),
                         doctest::Contains("population built now differs"), InputError);
    state.checkpoint.population_fingerprint ^= 1;

    // A damaged checkpoint that lacks a recorded series.
    std::erase_if(state.checkpoint.series_values,
                  [](const SampleSet& s) { return s.info.name == "open_interest"; });
    CHECK_THROWS_WITH_AS(run_simulation(scenario, options),
                         doctest::Contains("/checkpoint/series/open_interest"), InputError);
}

TEST_CASE("resume refuses a damaged sketch checkpoint") {
    test::TempDir dir;
    const Scenario scenario = resumable_scenario(2, "sketch");
    write_results(dir / "part.h5", stopped_run(scenario), scenario);
    const ResumeState saved = read_resume_state(dir / "part.h5");
    REQUIRE(saved.checkpoint.sketched_series.size() == 5);
    RunOptions options;
    ResumeState state = saved;
    options.resume = &state;
    const auto series = [&state](const std::string& name) -> Checkpoint::SketchedSeries& {
        auto& all = state.checkpoint.sketched_series;
        return *std::find_if(all.begin(), all.end(), [&](const auto& s) { return s.name == name; });
    };
    // A bucket that counts one value too many: a grid point no longer holds one value a path.
    series("insurance_fund").buckets.front()[3] += 1;
    CHECK_THROWS_WITH_AS(
        run_simulation(scenario, options),
        doctest::Contains("/checkpoint/sketch/insurance_fund/buckets does not count"), InputError);
    // A grid point beyond the grid.
    state = saved;
    series("price").buckets.back()[0] = 1'000'000;
    CHECK_THROWS_WITH_AS(
        run_simulation(scenario, options),
        doctest::Contains("/checkpoint/sketch/price/buckets has a row out of range"), InputError);
    // A series missing.
    state = saved;
    std::erase_if(state.checkpoint.sketched_series,
                  [](const auto& s) { return s.name == "open_interest"; });
    CHECK_THROWS_WITH_AS(run_simulation(scenario, options),
                         doctest::Contains("/checkpoint/sketch/open_interest is missing"),
                         InputError);
}

}  // namespace cascade
