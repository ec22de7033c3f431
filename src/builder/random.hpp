#pragma once
// Random numbers for `pointsim build` (and `pointsim generate`), specified
// bit for bit: no implementation-defined std:: distributions, so a recipe and
// a seed give the same network with any standard library, thread count or
// iteration order.
//
// Two kinds of source:
//  - keyed draws: unit(hash_keys(seed, a, b, c, d)) is a pure function of its
//    keys. Pairwise rules draw "does source s connect to target t" this way,
//    so a spatial index that visits fewer pairs, or threads that visit them
//    in another order, make exactly the same edges.
//  - streams: Stream(key) is a 64-bit Mersenne twister seeded from a keyed
//    hash, for rules that draw a sequence per target (sampling without
//    replacement, fixed in-degree) and for per-item property values.
#include <cmath>
#include <cstdint>
#include <random>

namespace pointsim::builder {

inline std::uint64_t splitmix64(std::uint64_t x) {
    x += 0x9E3779B97F4A7C15ULL;
    x = (x ^ (x >> 30)) * 0xBF58476D1CE4E5B9ULL;
    x = (x ^ (x >> 27)) * 0x94D049BB133111EBULL;
    return x ^ (x >> 31);
}

// A 64-bit hash of up to five keys (each folded in through a full mix).
inline std::uint64_t hash_keys(std::uint64_t a, std::uint64_t b = 0, std::uint64_t c = 0, std::uint64_t d = 0,
                               std::uint64_t e = 0) {
    std::uint64_t h = splitmix64(a);
    h = splitmix64(h ^ b);
    h = splitmix64(h ^ c);
    h = splitmix64(h ^ d);
    return splitmix64(h ^ e);
}

// Uniform in [0, 1) from the top 53 bits.
inline double unit(std::uint64_t bits) { return static_cast<double>(bits >> 11) * 0x1.0p-53; }

// High word of a 64 x 64 -> 128-bit product; `lo` gets the low word.
inline std::uint64_t mul_hi_lo(std::uint64_t a, std::uint64_t b, std::uint64_t& lo) {
    __extension__ typedef unsigned __int128 u128;  // GCC/Clang; __extension__ keeps -Wpedantic quiet
    const u128 m = static_cast<u128>(a) * b;
    lo = static_cast<std::uint64_t>(m);
    return static_cast<std::uint64_t>(m >> 64);
}

class Stream {
public:
    explicit Stream(std::uint64_t key) : engine_(splitmix64(key)) {}

    std::uint64_t bits() { return engine_(); }
    double unit() { return builder::unit(engine_()); }

    // Uniform integer in [0, n), n >= 1 (Lemire's nearly divisionless method).
    std::uint64_t below(std::uint64_t n) {
        std::uint64_t lo;
        std::uint64_t hi = mul_hi_lo(engine_(), n, lo);
        if (lo < n) {
            const std::uint64_t threshold = (0 - n) % n;
            while (lo < threshold) hi = mul_hi_lo(engine_(), n, lo);
        }
        return hi;
    }

    // Uniform integer in [lo, hi], lo <= hi.
    std::int64_t between(std::int64_t lo, std::int64_t hi) {
        return lo + static_cast<std::int64_t>(below(static_cast<std::uint64_t>(hi - lo) + 1));
    }

    // Standard normal (Box-Muller; one value per call keeps the stream simple).
    double normal() {
        const double u1 = unit(), u2 = unit();
        return std::sqrt(-2.0 * std::log(1.0 - u1)) * std::cos(2.0 * M_PI * u2);
    }

    // Exponential with mean 1 (1 - u is exact and never 0).
    double exponential() { return -std::log(1.0 - unit()); }

private:
    std::mt19937_64 engine_;
};

}  // namespace pointsim::builder
