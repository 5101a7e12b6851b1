#pragma once
// Timing for the benchmarks: the median of repeated runs, so one slow run on
// a shared machine does not move the figure. Report ratios against a baseline
// timed the same way in the same process, never absolute times alone.

#include <algorithm>
#include <chrono>
#include <vector>

namespace cascade::bench {

inline double median(std::vector<double> values) {
    std::nth_element(values.begin(),
                     values.begin() + static_cast<std::ptrdiff_t>(values.size() / 2), values.end());
    return values[values.size() / 2];
}

template <class Work>
double median_seconds(int repetitions, Work work) {
    std::vector<double> seconds;
    for (int i = 0; i < repetitions; ++i) {
        const auto start = std::chrono::steady_clock::now();
        work();
        seconds.push_back(
            std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count());
    }
    return median(std::move(seconds));
}

}  // namespace cascade::bench
