#pragma once
// One error channel: exceptions. The library throws; only main() turns them
// into exit codes (InputError -> 2, anything else -> 1).

#include <stdexcept>
#include <string>
#include <vector>

namespace cascade {

// One problem found in an input, located by a JSON pointer (or a line number
// for tabular inputs) inside a named source (a file path, or "--set").
struct Diagnostic {
    std::string source;    // e.g. "scenarios/flash-crash.json"
    std::string location;  // e.g. "/market/volatility" or "line 12"
    std::string message;   // what was expected, what was found

    std::string to_string() const;
};

// The user's input is wrong: bad usage, a bad scenario file, a bad override.
// Carries every problem found, so a user fixes them all in one go.
class InputError : public std::runtime_error {
  public:
    explicit InputError(std::vector<Diagnostic> diagnostics);
    explicit InputError(const std::string& message);  // a problem with no location
    const std::vector<Diagnostic>& diagnostics() const { return diagnostics_; }

  private:
    std::vector<Diagnostic> diagnostics_;
};

}  // namespace cascade
