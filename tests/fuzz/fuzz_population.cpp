// libFuzzer target: parse a scenario (with --set overrides, same input layout
// as fuzz_scenario, see fuzz_input.hpp), then build its population, so the
// distribution samplers and the book construction run on fuzzed parameters.
//
// Only small populations are built (at most kMaxAccounts accounts over all
// cohorts) to keep executions fast; a positions_csv reference is dropped (the
// CSV importer has its own target, and the fuzzer must not read files).
//
// Findings: any crash, sanitizer report, leak, hang, or exception other than
// cascade::InputError; and a built population that breaks what the engine
// relies on: every account's size, entry and collateral finite and > 0, no NaN
// trigger, books sorted as documented, and every requested account either kept
// or counted as excluded.
#ifdef CASCADE_FUZZ_TARGET

#include <cmath>
#include <cstddef>
#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

#include <fmt/format.h>

#include "models/population/population.hpp"
#include "sim/errors.hpp"
#include "sim/scenario/scenario.hpp"
#include "tests/fuzz/fuzz_input.hpp"

namespace {

constexpr std::uint64_t kMaxAccounts = 1000;

using cascade::fuzz::fail;

void check_book(const cascade::SideBook& book, const char* name) {
    const std::size_t n = book.count();
    if (book.log_trigger.size() != n || book.entry.size() != n || book.collateral.size() != n ||
        book.cohort.size() != n || book.account.size() != n) {
        fail(fmt::format("{}: columns of different lengths", name));
    }
    const auto positive = [](double x) { return std::isfinite(x) && x > 0.0; };
    for (std::size_t i = 0; i < n; ++i) {
        if (!positive(book.size[i]) || !positive(book.entry[i]) || !positive(book.collateral[i])) {
            fail(fmt::format("{}[{}]: size {}, entry {}, collateral {}: each must be finite and > 0",
                             name, i, book.size[i], book.entry[i], book.collateral[i]));
        }
        if (std::isnan(book.log_trigger[i])) {
            fail(fmt::format("{}[{}]: NaN liquidation trigger (size {}, entry {}, collateral {})",
                             name, i, book.size[i], book.entry[i], book.collateral[i]));
        }
        if (i > 0) {
            const double a = book.log_trigger[i - 1];
            const double b = book.log_trigger[i];
            const bool ordered = book.side == cascade::Side::long_side ? a >= b : a <= b;
            if (!ordered || (a == b && book.account[i - 1] >= book.account[i])) {
                fail(fmt::format("{}: not sorted at {}", name, i));
            }
        }
    }
}

void check_population(const cascade::Population& p, const cascade::PopulationConfig& config) {
    check_book(p.longs, "longs");
    check_book(p.shorts, "shorts");
    if (p.cohorts.size() != config.cohorts.size()) {
        fail("one cohort summary per cohort expected");
    }
    std::uint64_t kept = 0;
    std::uint64_t requested = 0;
    for (std::size_t c = 0; c < config.cohorts.size(); ++c) {
        const auto& summary = p.cohorts[c];
        if (summary.accounts + summary.excluded != config.cohorts[c].accounts) {
            fail(fmt::format("cohort {}: {} kept + {} excluded != {} requested", c,
                             summary.accounts, summary.excluded, config.cohorts[c].accounts));
        }
        if (summary.clipped > summary.accounts) {
            fail(fmt::format("cohort {}: more clipped than kept", c));
        }
        kept += summary.accounts;
        requested += config.cohorts[c].accounts;
    }
    if (kept != p.longs.count() + p.shorts.count()) {
        fail("cohort summaries do not add up to the books");
    }
    if (p.accounts_built != requested) {
        fail("accounts_built differs from the accounts requested");
    }
    if (!std::isfinite(p.total_collateral) || !std::isfinite(p.total_size_long) ||
        !std::isfinite(p.total_size_short)) {
        fail("non-finite population totals");
    }
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
    const std::string_view input(reinterpret_cast<const char*>(data), size);
    const auto parts = cascade::fuzz::split_scenario_input(input);
    std::vector<cascade::Override> overrides;
    for (const std::string_view line : parts.override_lines) {
        try {
            overrides.push_back(cascade::parse_override(line));
        } catch (const cascade::InputError&) {
        }
    }
    cascade::Scenario scenario;
    try {
        scenario = cascade::parse_scenario(parts.text, "fuzz/scenario.json", overrides);
    } catch (const cascade::InputError&) {
        return 0;  // fuzz_scenario covers refusals
    }
    std::uint64_t accounts = 0;
    for (const auto& cohort : scenario.population.cohorts) {
        accounts += cohort.accounts;  // each at most 1e8: cannot wrap
    }
    if (accounts > kMaxAccounts) {
        return 0;
    }
    scenario.population.positions_csv.reset();
    try {
        const cascade::Population population =
            cascade::build_population(scenario.population, scenario.venue,
                                      scenario.market.initial_price, scenario.simulation.seed);
        check_population(population, scenario.population);
    } catch (const cascade::InputError& e) {
        cascade::fuzz::check_input_error(e);
    }
    return 0;
}

#endif  // CASCADE_FUZZ_TARGET
