#include "sim/cli/signals.hpp"

namespace cascade {
namespace {

// Lock-free, so the handler may store to it.
std::atomic<int> first_stop_signal{0};
static_assert(std::atomic<int>::is_always_lock_free);

extern "C" void record_stop_signal(int signal) {
    first_stop_signal.store(signal);
}

}  // namespace

const std::atomic<int>& stop_signal() {
    return first_stop_signal;
}

StopOnSignals::StopOnSignals() {
    struct sigaction action {};
    action.sa_handler = record_stop_signal;
    sigemptyset(&action.sa_mask);
    action.sa_flags = SA_RESETHAND;
    sigaction(SIGINT, &action, &previous_int_);
    sigaction(SIGTERM, &action, &previous_term_);
}

StopOnSignals::~StopOnSignals() {
    sigaction(SIGINT, &previous_int_, nullptr);
    sigaction(SIGTERM, &previous_term_, nullptr);
}

}  // namespace cascade
