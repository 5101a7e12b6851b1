#include "sim/cli/scenario_options.hpp"

#include <fmt/format.h>

namespace cascade {

void ScenarioOptions::add_to(CLI::App& command, bool required, bool shortcuts) {
    command.add_option("scenario", file, "Scenario file (JSON)")->required(required);
    command
        .add_option("--set", sets,
                    "Override a scenario value: /json/pointer=VALUE (VALUE is JSON, or a "
                    "plain string); repeatable")
        ->type_name("/PTR=VALUE")
        ->take_all();
    if (!shortcuts) {
        return;
    }
    command.add_option("--paths", paths, "Number of paths (overrides /simulation/paths)")
        ->type_name("N");
    command.add_option("--seed", seed, "Master seed (overrides /simulation/seed)")->type_name("S");
    command
        .add_option("--threads", threads,
                    "Worker threads, 0 = all cores (overrides /simulation/threads); "
                    "results are identical for any value")
        ->type_name("T");
}

std::vector<Override> ScenarioOptions::overrides() const {
    std::vector<Override> all;
    for (const std::string& text : sets) {
        all.push_back(parse_override(text));
    }
    const auto shortcut = [&](const char* option, const char* pointer,
                              const std::optional<std::string>& value) {
        if (value) {
            all.push_back({pointer, *value, fmt::format("{} {}", option, *value)});
        }
    };
    shortcut("--paths", "/simulation/paths", paths);
    shortcut("--seed", "/simulation/seed", seed);
    shortcut("--threads", "/simulation/threads", threads);
    return all;
}

void add_engine_option(CLI::App& command, std::string& engine) {
    command
        .add_option("--engine", engine,
                    "cursor (default): sorted liquidation cursors, O(accounts liquidated) per "
                    "step; reference: tests every account every round, O(accounts), for checking")
        ->check(CLI::IsMember({"cursor", "reference"}));
}

EngineKind engine_kind(const std::string& name) {
    return name == "reference" ? EngineKind::reference_scan : EngineKind::cursor;
}

}  // namespace cascade
