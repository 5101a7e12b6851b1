#include "sim/cli/progress.hpp"

#include <unistd.h>

#include <cmath>
#include <string>

#include <fmt/format.h>

namespace cascade {
namespace {

std::string clock_text(double seconds) {
    const auto total = std::llround(seconds);
    return fmt::format("{}:{:02}:{:02}", total / 3600, (total / 60) % 60, total % 60);
}

std::string rate_text(double per_second) {
    if (per_second >= 1e6) {
        return fmt::format("{:.1f}M", per_second / 1e6);
    }
    if (per_second >= 1e3) {
        return fmt::format("{:.1f}k", per_second / 1e3);
    }
    return fmt::format("{:.0f}", per_second);
}

}  // namespace

ProgressReporter::ProgressReporter(std::uint64_t total_paths, Mode mode, std::FILE* stream)
    : total_(total_paths),
      mode_(mode),
      stream_(stream),
      start_(std::chrono::steady_clock::now()),
      last_draw_(start_) {}

ProgressReporter::Mode ProgressReporter::mode_for(bool quiet, std::FILE* stream) {
    if (quiet) {
        return Mode::quiet;
    }
    return ::isatty(::fileno(stream)) ? Mode::bar : Mode::line;
}

void ProgressReporter::update(std::uint64_t paths_done) {
    done_ = paths_done;
    if (mode_ != Mode::bar) {
        return;
    }
    const auto now = std::chrono::steady_clock::now();
    if (now - last_draw_ >= std::chrono::milliseconds(100)) {
        last_draw_ = now;
        draw(paths_done, false);
    }
}

void ProgressReporter::finish() {
    if (mode_ != Mode::quiet) {
        draw(done_, true);
    }
}

void ProgressReporter::draw(std::uint64_t paths_done, bool final) {
    const double elapsed =
        std::chrono::duration<double>(std::chrono::steady_clock::now() - start_).count();
    const double rate = elapsed > 0.0 ? static_cast<double>(paths_done) / elapsed : 0.0;
    if (mode_ == Mode::line) {
        fmt::print(stream_, "simulated {} of {} paths in {:.2f} s ({} paths/s)\n", paths_done,
                   total_, elapsed, rate_text(rate));
        return;
    }
    constexpr int kWidth = 30;
    const double fraction = total_ > 0 ? static_cast<double>(paths_done) / total_ : 1.0;
    const int filled = static_cast<int>(fraction * kWidth);
    const double eta = rate > 0.0 ? static_cast<double>(total_ - paths_done) / rate : 0.0;
    fmt::print(stream_, "\r[{}{}] {:3.0f}%  {}/{} paths  {} paths/s  {} {}\x1b[K",
               std::string(filled, '#'), std::string(kWidth - filled, '.'), 100.0 * fraction,
               paths_done, total_, rate_text(rate), final ? "elapsed" : "ETA",
               clock_text(final ? elapsed : eta));
    if (final) {
        fmt::print(stream_, "\n");
    }
    std::fflush(stream_);
}

}  // namespace cascade
