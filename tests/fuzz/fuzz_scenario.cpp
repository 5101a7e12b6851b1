// libFuzzer target: the scenario parser and validator, with --set overrides.
//
// Input: scenario text, then override lines each introduced by a NUL byte (see
// fuzz_input.hpp). Every override line goes through parse_override; those it
// accepts are applied by parse_scenario.
//
// Findings: any crash, sanitizer report, leak, hang, or exception other than
// cascade::InputError. Also two properties of a scenario that validates:
//  - it validates again from its own resolved JSON (what `validate` prints and
//    the results file stores so a run can be repeated), resolving to the same
//    text;
//  - the values derived from it are finite (the engine would otherwise stop
//    with a numerical fault after validation said the scenario was fine).
#ifdef CASCADE_FUZZ_TARGET

#include <cmath>
#include <cstddef>
#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

#include "sim/errors.hpp"
#include "sim/scenario/scenario.hpp"
#include "tests/fuzz/fuzz_input.hpp"

namespace {

const std::string kSource = "fuzz/scenario.json";

void check_resolved_round_trip(const cascade::Scenario& scenario) {
    std::string again;
    try {
        again = cascade::parse_scenario(scenario.resolved_json, kSource).resolved_json;
    } catch (const cascade::InputError& e) {
        cascade::fuzz::fail("the resolved scenario does not validate again:\n" +
                            std::string(e.what()) + "\n--- resolved scenario:\n" +
                            scenario.resolved_json);
    }
    if (again != scenario.resolved_json) {
        cascade::fuzz::fail("resolving the resolved scenario changes it:\n--- first:\n" +
                            scenario.resolved_json + "\n--- second:\n" + again);
    }
}

void check_derived_values(const cascade::Scenario& s) {
    const auto finite = [](double x) { return std::isfinite(x); };
    const auto& grid = s.simulation.grid;
    if (!finite(grid.horizon_seconds) || !(grid.horizon_seconds > 0.0) || grid.steps < 1) {
        cascade::fuzz::fail("bad time grid:\n" + s.resolved_json);
    }
    const auto& impact = s.market.impact;
    if (!finite(impact.per_notional) || !finite(impact.kappa) || impact.per_notional < 0.0 ||
        impact.kappa < 0.0) {
        cascade::fuzz::fail("impact per_notional " + std::to_string(impact.per_notional) +
                            " gives kappa " + std::to_string(impact.kappa) +
                            " (per_notional x initial_price): not a finite, positive slope:\n" +
                            s.resolved_json);
    }
    // Square root: V / c^2, the units that move the log price by 1 from rest.
    const double units_per_move = impact.volume_units / (impact.scale * impact.scale);
    if (impact.shape == cascade::ImpactShape::square_root &&
        !(finite(units_per_move) && units_per_move > 0.0 && finite(impact.log_floor))) {
        cascade::fuzz::fail("square-root impact with daily volume " +
                            std::to_string(impact.volume_units) + " units and scale " +
                            std::to_string(impact.scale) + ": not a finite, positive depth:\n" +
                            s.resolved_json);
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
        } catch (const cascade::InputError& e) {
            // The CLI would stop here; skip the line so the scenario is still parsed.
            cascade::fuzz::check_input_error(e);
        }
    }
    try {
        const cascade::Scenario scenario = cascade::parse_scenario(parts.text, kSource, overrides);
        check_derived_values(scenario);
        check_resolved_round_trip(scenario);
    } catch (const cascade::InputError& e) {
        cascade::fuzz::check_input_error(e);
    }
    return 0;
}

#endif  // CASCADE_FUZZ_TARGET
