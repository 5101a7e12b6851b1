#pragma once
// `cascade sweep` and `cascade tune`: the designer's commands.

#include <memory>
#include <optional>

#include <CLI/CLI.hpp>

namespace cascade {

class SweepCommands {
  public:
    // Adds both subcommands to `app`.
    explicit SweepCommands(CLI::App& app);
    ~SweepCommands();
    SweepCommands(const SweepCommands&) = delete;
    SweepCommands& operator=(const SweepCommands&) = delete;

    // Runs the one chosen, with its exit code; nullopt when neither was.
    // Throws InputError for bad input, like the other commands.
    std::optional<int> run_chosen();

    struct Arguments;  // what the command line gave

  private:
    std::unique_ptr<Arguments> arguments_;
    CLI::App* sweep_ = nullptr;
    CLI::App* tune_ = nullptr;
};

}  // namespace cascade
