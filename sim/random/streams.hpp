#pragma once
// Random streams keyed to simulation entities, never to threads.
//
// Every draw in cascade comes from a PCG64 stream whose state and increment are
// derived from (master seed, entity index, purpose). Path p of seed s therefore
// sees the same numbers whatever the thread count or block size, and each
// purpose (diffusion, jumps, population build, ...) has its own stream, so a
// model that adds draws for one purpose never shifts another.

#include <cstdint>

#include <pcg_random.hpp>

namespace cascade {

using Rng = pcg64;

// Stable numeric identities: changing a value changes every result drawn from it.
enum class StreamPurpose : std::uint64_t {
    price_diffusion = 1,
    price_jumps = 2,
    population = 3,
    bootstrap = 4,  // resampling paths for error bars (sweep)
};

namespace detail {
// SplitMix64 finaliser (Steele, Lea & Flood 2014): a bijective 64-bit mixer.
constexpr std::uint64_t mix64(std::uint64_t z) {
    z += 0x9e3779b97f4a7c15ULL;
    z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ULL;
    z = (z ^ (z >> 27)) * 0x94d049bb133111ebULL;
    return z ^ (z >> 31);
}
}  // namespace detail

// The stream for one (seed, entity, purpose). State and increment are both
// hashed, so neighbouring paths get unrelated increments (PCG streams that
// differ only in nearby increments are known to correlate).
inline Rng make_stream(std::uint64_t seed, std::uint64_t entity, StreamPurpose purpose) {
    using detail::mix64;
    const std::uint64_t key = mix64(seed ^ mix64(static_cast<std::uint64_t>(purpose)));
    const std::uint64_t a = mix64(key ^ mix64(entity));
    const std::uint64_t b = mix64(a ^ 0x243f6a8885a308d3ULL);
    const std::uint64_t c = mix64(b ^ 0x13198a2e03707344ULL);
    const std::uint64_t d = mix64(c ^ 0xa4093822299f31d0ULL);
    const pcg_extras::pcg128_t state = (static_cast<pcg_extras::pcg128_t>(a) << 64) | b;
    const pcg_extras::pcg128_t increment = (static_cast<pcg_extras::pcg128_t>(c) << 64) | d;
    return Rng(state, increment);
}

// Uniform on [0, 1) with 53 random bits.
inline double uniform01(Rng& rng) {
    return static_cast<double>(rng() >> 11) * 0x1.0p-53;
}

// Uniform on (0, 1), never 0 nor 1, so log(u) and log(1 - u) are finite. 52
// bits: k + 0.5 with k < 2^52 is exact in a double, so nothing rounds to 1.
inline double uniform_open01(Rng& rng) {
    return (static_cast<double>(rng() >> 12) + 0.5) * 0x1.0p-52;
}

}  // namespace cascade
