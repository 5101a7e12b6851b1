#pragma once
// Progress on stderr: a live bar when stderr is a terminal, one closing line
// otherwise (logs stay readable), nothing with --quiet.

#include <chrono>
#include <cstdint>
#include <cstdio>

namespace cascade {

class ProgressReporter {
  public:
    enum class Mode { quiet, line, bar };
    ProgressReporter(std::uint64_t total_paths, Mode mode, std::FILE* stream = stderr);
    static Mode mode_for(bool quiet, std::FILE* stream = stderr);

    void update(std::uint64_t paths_done);  // cheap when called often: redraws at most 10x/s
    void finish();

  private:
    void draw(std::uint64_t paths_done, bool final);
    std::uint64_t total_;
    Mode mode_;
    std::FILE* stream_;
    std::chrono::steady_clock::time_point start_;
    std::chrono::steady_clock::time_point last_draw_;
    std::uint64_t done_ = 0;
};

}  // namespace cascade
