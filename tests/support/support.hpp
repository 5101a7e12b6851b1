#pragma once
// Helpers shared by the tests: scenarios from inline JSON, running the real
// executable, temporary directories, and Monte Carlo tolerances.

#include <cmath>
#include <filesystem>
#include <span>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

#include "sim/scenario/scenario.hpp"

namespace cascade::test {

// A minimal valid scenario (GBM, no shocks) to be modified by each test.
nlohmann::json base_scenario();

Scenario scenario_from(const nlohmann::json& doc);

// A fresh directory removed when the object goes out of scope.
class TempDir {
  public:
    TempDir();
    ~TempDir();
    TempDir(const TempDir&) = delete;
    TempDir& operator=(const TempDir&) = delete;
    const std::filesystem::path& path() const { return path_; }
    std::filesystem::path operator/(const std::string& name) const { return path_ / name; }
    std::filesystem::path write(const std::string& name, const std::string& content) const;

  private:
    std::filesystem::path path_;
};

struct CommandResult {
    int exit_code = -1;
    std::string out;
    std::string err;
};

// Runs the cascade executable with `arguments` (no shell involved).
CommandResult run_cascade(const std::vector<std::string>& arguments);

// Sample mean and its standard error.
struct MeanEstimate {
    double mean = 0.0;
    double standard_error = 0.0;
};
MeanEstimate estimate_mean(std::span<const double> values);

std::filesystem::path source_dir();

}  // namespace cascade::test
