#pragma once
// Helpers shared by the tests: scenarios from inline JSON, running the real
// executable, temporary directories, and Monte Carlo tolerances.

#include <bit>
#include <cmath>
#include <cstdint>
#include <filesystem>
#include <map>
#include <span>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

#include "sim/scenario/scenario.hpp"

namespace cascade::test {

// A minimal valid scenario (GBM, no shocks) to be modified by each test.
nlohmann::json base_scenario();

// base_scenario with a 30 % crash over hours 2-4, linear impact, a venue with
// a flat 2 % maintenance margin, and 300 longs and 300 shorts at 2-19x: many
// liquidations on every path, for comparing two ways of running it.
nlohmann::json two_sided_crash_scenario();

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

// The same, started in the background: send it signals, then wait for it.
class RunningCascade {
  public:
    explicit RunningCascade(const std::vector<std::string>& arguments);
    ~RunningCascade();
    RunningCascade(const RunningCascade&) = delete;
    RunningCascade& operator=(const RunningCascade&) = delete;
    void signal(int number) const;
    // True once the process has written `text` to stderr (polls until the timeout).
    bool wait_for_stderr(const std::string& text, double timeout_seconds) const;
    CommandResult wait();

  private:
    TempDir capture_;
    int pid_ = -1;
};

// Sample mean and its standard error.
struct MeanEstimate {
    double mean = 0.0;
    double standard_error = 0.0;
};
MeanEstimate estimate_mean(std::span<const double> values);

std::filesystem::path source_dir();

// Whether two doubles have the same bits: the same value, and the same sign of
// zero and NaN payload too (what bit-identical results promise).
inline bool same_bits(double a, double b) {
    return std::bit_cast<std::uint64_t>(a) == std::bit_cast<std::uint64_t>(b);
}

// Every dataset in an HDF5 file, by path, as raw bytes (attributes left out:
// timings and creation time differ between identical runs).
std::map<std::string, std::vector<char>> read_all_datasets(const std::filesystem::path& file);

// CHECKs that two results files hold the same datasets, byte for byte.
void check_same_datasets(const std::filesystem::path& a, const std::filesystem::path& b);

}  // namespace cascade::test
