#pragma once
// SIGINT / SIGTERM for long commands: the first asks the work to stop at the
// next block boundary, the second ends the process at once.

#include <signal.h>

#include <atomic>

namespace cascade {

// The first SIGINT/SIGTERM received while a StopOnSignals was alive; 0 while
// none. The one piece of global state in cascade, because a signal handler
// can reach nothing else.
const std::atomic<int>& stop_signal();

// Installs, for its lifetime, handlers that record the signal in
// stop_signal(). SA_RESETHAND puts the default action back after the first
// signal, so a second one ends the process at once (files are only ever
// renamed into place complete, so nothing truncated is left under the
// requested name).
class StopOnSignals {
  public:
    StopOnSignals();
    ~StopOnSignals();
    StopOnSignals(const StopOnSignals&) = delete;
    StopOnSignals& operator=(const StopOnSignals&) = delete;

  private:
    struct sigaction previous_int_ {};
    struct sigaction previous_term_ {};
};

}  // namespace cascade
