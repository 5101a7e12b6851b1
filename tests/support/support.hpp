#pragma once
// Helpers shared by the tests: scenarios from inline JSON, running the real
// executable, temporary directories, and Monte Carlo tolerances.

#include <algorithm>
#include <bit>
#include <cmath>
#include <cstdint>
#include <filesystem>
#include <map>
#include <span>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

#include "sim/run.hpp"
#include "sim/scenario/scenario.hpp"

namespace cascade::test {

// A minimal valid scenario (GBM, no shocks) to be modified by each test.
nlohmann::json base_scenario();

Scenario scenario_from(const nlohmann::json& doc);

// No diffusion: hourly steps over 10h, the price flat except for a 5 % jump
// at 3h; one long at 10x with a notional of 1000 entered at 100 (bankruptcy
// 90, liquidation 90 / 0.99 under the 1 % maintenance margin), which the jump
// does not liquidate. No penalty, no insurance fund, no impact.
nlohmann::json one_long_jump_scenario();

// Two cohorts of `accounts` each, "longs" and "shorts", with leverage uniform
// in [2, max_leverage] and a notional of 1e4: a population where cascades
// run both ways.
nlohmann::json two_sided_cohorts(std::uint64_t accounts, double max_leverage);

// 64 paths of base_scenario with a 30 % crash over 2h-4h, linear impact of
// 1e-6 per notional, 20x maximum leverage, a 2 % maintenance margin, a 1 %
// penalty, a fund of 1000 and two_sided_cohorts(300, 19): cascades of several
// rounds on every path.
nlohmann::json two_sided_crash_scenario();

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
inline bool same_bits(std::span<const double> a, std::span<const double> b) {
    return a.size() == b.size() && std::equal(a.begin(), a.end(), b.begin(),
                                              [](double x, double y) { return same_bits(x, y); });
}

// Whether two liquidation events are the same, every column, the prices
// bit for bit.
inline bool same_event(const LiquidationEvent& a, const LiquidationEvent& b) {
    return a.path == b.path && a.step == b.step && a.round == b.round && a.account == b.account &&
           a.cohort == b.cohort && a.side == b.side && a.backstop == b.backstop &&
           same_bits(a.size, b.size) && same_bits(a.trigger_price, b.trigger_price) &&
           same_bits(a.fill_price, b.fill_price) && same_bits(a.penalty, b.penalty) &&
           same_bits(a.shortfall, b.shortfall);
}

// Checks that two runs have the same per-path columns and sample paths, bit
// for bit.
void check_same_paths(const Results& a, const Results& b);

// Runs `scenario` on the cursor engine and on the reference scan engine,
// checks check_same_paths between them, and returns the cursor's results.
Results run_on_both_engines(const Scenario& scenario);

// Every dataset in an HDF5 file, by path, as raw bytes (attributes left out:
// timings and creation time differ between identical runs).
std::map<std::string, std::vector<char>> read_all_datasets(const std::filesystem::path& file);

// CHECKs that two results files hold the same datasets, byte for byte.
void check_same_datasets(const std::filesystem::path& a, const std::filesystem::path& b);

}  // namespace cascade::test
