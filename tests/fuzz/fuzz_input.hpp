#pragma once
// Shared by the libFuzzer targets: how one fuzz input is cut into a scenario
// text and its --set overrides, and what an acceptable failure looks like.
//
// Input layout: the scenario text, then zero or more override lines, each
// introduced by a NUL byte:
//
//   {"simulation": ...}\0/simulation/paths=5\0/name=x
//
// A NUL can never appear in valid JSON (nor in a command-line argument), so
// cutting there loses nothing a user could write.

#include <cstdio>
#include <cstdlib>
#include <string>
#include <string_view>
#include <vector>

#include "sim/errors.hpp"

namespace cascade::fuzz {

struct ScenarioInput {
    std::string_view text;
    std::vector<std::string_view> override_lines;
};

inline ScenarioInput split_scenario_input(std::string_view input) {
    ScenarioInput out;
    std::size_t nul = input.find('\0');
    out.text = input.substr(0, nul);
    while (nul != std::string_view::npos) {
        const std::size_t start = nul + 1;
        nul = input.find('\0', start);
        out.override_lines.push_back(input.substr(start, nul == std::string_view::npos
                                                             ? std::string_view::npos
                                                             : nul - start));
    }
    return out;
}

// A property the library promises failed: print it and abort, which libFuzzer
// reports as a crash and saves the input.
// The first line of `what` goes on the marker line, for scripts/fuzz.sh's summary.
[[noreturn]] inline void fail(const std::string& what) {
    std::fprintf(stderr, "\n==== cascade fuzz property violated: %s\n", what.c_str());
    std::fflush(stderr);
    std::abort();
}

// InputError is the expected way to refuse an input, but it must say why.
inline void check_input_error(const InputError& error) {
    if (error.diagnostics().empty() || std::string_view(error.what()).empty()) {
        fail("InputError with no diagnostic or an empty message");
    }
    for (const Diagnostic& d : error.diagnostics()) {
        if (d.message.empty()) {
            fail("InputError with an empty diagnostic message:\n" + std::string(error.what()));
        }
    }
}

}  // namespace cascade::fuzz
