// Cost of the random variates relative to the bare PCG64 draw they consume.
// Each kernel runs 7 repetitions of 50M draws; the median time is reported.

#include <algorithm>
#include <array>
#include <chrono>
#include <cstdint>
#include <cstdio>

#include "sim/random/streams.hpp"
#include "sim/random/variates.hpp"

namespace {

constexpr int kReps = 7;
constexpr std::int64_t kDraws = 50'000'000;

// Median nanoseconds per call of draw(). The results are summed and the sum is
// written to a volatile, so the loop cannot be optimised away.
template <class Draw>
double median_ns_per_draw(Draw draw) {
    std::array<double, kReps> ns{};
    for (double& t : ns) {
        decltype(draw()) sum{};
        const auto start = std::chrono::steady_clock::now();
        for (std::int64_t i = 0; i < kDraws; ++i) {
            sum += draw();
        }
        const auto stop = std::chrono::steady_clock::now();
        volatile auto sink = sum;
        static_cast<void>(sink);
        t = std::chrono::duration<double, std::nano>(stop - start).count() / kDraws;
    }
    std::nth_element(ns.begin(), ns.begin() + kReps / 2, ns.end());
    return ns[kReps / 2];
}

}  // namespace

int main() {
    using cascade::StreamPurpose;
    auto rng = cascade::make_stream(1, 0, StreamPurpose::price_diffusion);
    const cascade::StandardNormal normal;

    const double base = median_ns_per_draw([&] { return rng(); });
    const struct {
        const char* name;
        double ns;
    } rows[] = {
        {"pcg64 (bare)", base},
        {"uniform01", median_ns_per_draw([&] { return cascade::uniform01(rng); })},
        {"StandardNormal", median_ns_per_draw([&] { return normal(rng); })},
        {"standard_exponential",
         median_ns_per_draw([&] { return cascade::standard_exponential(rng); })},
        {"student_t(dof=5)", median_ns_per_draw([&] { return cascade::student_t(rng, 5.0); })},
    };

    std::printf("%-22s %10s %10s\n", "variate", "ns/draw", "vs pcg64");
    for (const auto& row : rows) {
        std::printf("%-22s %10.2f %10.2f\n", row.name, row.ns, row.ns / base);
    }
}
