#pragma once
// Command-line options shared by the commands that read a scenario: the file,
// --set overrides, and the --paths / --seed / --threads shortcuts.

#include <optional>
#include <string>
#include <vector>

#include <CLI/CLI.hpp>

#include "sim/path_kernel.hpp"
#include "sim/scenario/scenario.hpp"

namespace cascade {

struct ScenarioOptions {
    std::string file;
    std::vector<std::string> sets;
    // Shortcuts for --set, kept as text so the scenario validation judges them.
    std::optional<std::string> paths;
    std::optional<std::string> seed;
    std::optional<std::string> threads;

    // Adds the positional scenario and --set; with `shortcuts`, also --paths,
    // --seed and --threads.
    void add_to(CLI::App& command, bool required, bool shortcuts);
    // The --set overrides in order, then the shortcuts (which win).
    std::vector<Override> overrides() const;
    Scenario load() const { return load_scenario(file, overrides()); }
};

// --engine cursor|reference.
void add_engine_option(CLI::App& command, std::string& engine);
EngineKind engine_kind(const std::string& name);

}  // namespace cascade
