// Cost of the random variates relative to the bare PCG64 draw they consume,
// timed alternately with it (thread CPU time); each figure is the median of
// repeated runs of 50M draws (10M with --quick).

#include <cstdint>
#include <cstdio>

#include "bench/harness.hpp"
#include "sim/random/streams.hpp"
#include "sim/random/variates.hpp"

namespace {

constexpr const char* kUsage =
    "usage: bench_random [--quick] [--tsv]\n"
    "  ns per draw of each variate generator vs the bare PCG64 draw\n";

// `draws` calls of draw(), summed into a volatile so the loop cannot be
// optimised away.
template <class Draw>
auto loop(Draw draw, std::int64_t draws) {
    return [draw, draws]() mutable {
        decltype(draw()) sum{};
        for (std::int64_t i = 0; i < draws; ++i) {
            sum += draw();
        }
        volatile auto sink = sum;
        static_cast<void>(sink);
    };
}

}  // namespace

int main(int argc, char** argv) {
    using cascade::StreamPurpose;
    const auto options = cascade::bench::parse_options(argc, argv, kUsage);
    const std::int64_t draws = options.quick ? 10'000'000 : 50'000'000;
    const int repetitions = options.quick ? 5 : 7;
    cascade::bench::Report report(options.tsv);

    auto rng = cascade::make_stream(1, 0, StreamPurpose::price_diffusion);
    const cascade::StandardNormal normal;
    auto bare = loop([&] { return rng(); }, draws);
    const auto ns = [&](double seconds) { return seconds * 1e9 / static_cast<double>(draws); };

    report.section("random variates, one thread, " + std::to_string(draws / 1'000'000) + "M draws");
    report.row("bare PCG64 draw (baseline)", ns(cascade::bench::median_seconds(repetitions, bare)),
               "ns/draw", 1.0, "bare PCG64 draw");
    const auto row = [&](const char* name, auto draw) {
        const auto c = cascade::bench::compare(repetitions, bare, loop(draw, draws));
        report.row(name, ns(c.seconds), "ns/draw", c.ratio, "bare PCG64 draw");
    };
    row("uniform01", [&] { return cascade::uniform01(rng); });
    row("StandardNormal", [&] { return normal(rng); });
    row("standard_exponential", [&] { return cascade::standard_exponential(rng); });
    row("student_t(dof=5)", [&] { return cascade::student_t(rng, 5.0); });
}
