#pragma once
// The run driver: simulates every path of a scenario in parallel blocks and
// reduces them, deterministically, into Results.

#include <atomic>
#include <cstdint>
#include <functional>
#include <span>

#include "output/results.hpp"
#include "output/resume_state.hpp"
#include "sim/path_kernel.hpp"
#include "sim/scenario/scenario.hpp"

namespace cascade {

// Paths per block. Fixed (not tied to the thread count) because per-block
// sums are merged in block order: the block layout is part of what makes a
// result bit-identical for any number of threads.
inline constexpr std::uint64_t kBlockPaths = 64;

// Where a run's sample-path liquidation events go as it produces them,
// instead of Results::events: a results file can then store them while the
// simulation goes on (output/event_table.hpp).
class EventSink {
  public:
    virtual ~EventSink() = default;
    // The next events, in path then time order. Called from one thread at a
    // time, inside the run's task arena, so work it spawns there runs on the
    // run's threads.
    virtual void append(std::span<const LiquidationEvent> events) = 0;
    // No more events: finish what append started. Called once, inside the
    // run's task arena, also when the run fails (then it must not throw
    // while another exception is in flight; run_simulation discards it).
    virtual void close() = 0;
};

struct RunOptions {
    // The cursor engine; the reference scan engine gives the same results,
    // O(N) slower, for checking.
    EngineKind engine = EngineKind::cursor;
    // Called after each block is merged, with the number of paths done so far.
    // Called from one thread at a time.
    std::function<void(std::uint64_t paths_done)> on_progress;
    // When set and non-zero, no new block starts: the run ends at the next
    // block boundary with the paths completed so far (a prefix in path order),
    // and Results::run.paths_completed says how many.
    const std::atomic<int>* stop = nullptr;
    // When set: continue this stopped run (same scenario, read from its file)
    // from its first missing path. The results are bit-identical to those of
    // an uninterrupted run. Throws InputError if the state does not fit the
    // scenario or the population it builds.
    const ResumeState* resume = nullptr;
    // When set: the sample paths' liquidation events (a resumed run's saved
    // ones first) go here as blocks merge, and Results::events stays empty.
    EventSink* events = nullptr;
    // The run refuses to start when estimate_run_memory exceeds this; 0 means
    // the default, 80 % of the machine's physical memory.
    std::uint64_t memory_limit_bytes = 0;
};

// 80 % of physical memory: what a run may plan to hold unless told otherwise.
std::uint64_t default_memory_limit();

Results run_simulation(const Scenario& scenario, const RunOptions& options = {});

// Bytes the run will hold in memory for per-step quantile bands, per-path
// outputs, the population's build and the sample paths' events, with
// `imported_accounts` accounts from the positions CSV (known once it is
// read); the driver refuses runs whose estimate exceeds the limit.
std::uint64_t estimate_run_memory(const Scenario& scenario, std::uint64_t imported_accounts = 0);

// The most bytes the results file of a complete run of `scenario` can take,
// before compression: the per-path columns, the bands, the sample paths and
// their events (at most max_events_per_path each), the tables and metadata.
// (A stopped run's file adds its checkpoint.) A positions CSV's accounts
// count once known.
std::uint64_t estimate_output_bytes(const Scenario& scenario, std::uint64_t imported_accounts = 0);

}  // namespace cascade
