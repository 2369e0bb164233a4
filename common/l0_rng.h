/* l0_rng: a small, fast, reproducible random number generator (xoshiro256**).
 *
 * Every random draw in l0sim comes from an l0_rng seeded explicitly, never from a global.
 * Streams: l0_rng_seed(r, seed, stream) gives independent sequences for, say, each bunch
 * crossing, so that results do not depend on how work is split between threads. */
#ifndef L0_RNG_H
#define L0_RNG_H

#include <stdint.h>

typedef struct l0_rng {
    uint64_t s[4];
} l0_rng;

/* Seed from a 64-bit seed and a stream number (splitmix64 of both). */
void l0_rng_seed(l0_rng *r, uint64_t seed, uint64_t stream);

/* Uniform 64-bit integer. */
static inline uint64_t l0_rng_u64(l0_rng *r) {
    uint64_t *s = r->s;
    uint64_t x = s[1] * 5;
    uint64_t result = ((x << 7) | (x >> 57)) * 9;
    uint64_t t = s[1] << 17;
    s[2] ^= s[0];
    s[3] ^= s[1];
    s[1] ^= s[2];
    s[0] ^= s[3];
    s[2] ^= t;
    s[3] = (s[3] << 45) | (s[3] >> 19);
    return result;
}

/* Uniform double in [0, 1), 53 random bits. */
static inline double l0_rng_uniform(l0_rng *r) {
    return (double)(l0_rng_u64(r) >> 11) * 0x1.0p-53;
}

/* Uniform integer in [0, n), n > 0, without modulo bias. */
uint64_t l0_rng_below(l0_rng *r, uint64_t n);

/* Standard normal (Marsaglia polar method; no cached second value, so draws are stateless). */
double l0_rng_normal(l0_rng *r);

/* Exponential with mean 1. */
double l0_rng_exponential(l0_rng *r);

/* Poisson with mean mu >= 0 (exact: inversion for small mu, PTRS for large). */
uint64_t l0_rng_poisson(l0_rng *r, double mu);

/* Gamma(shape k > 0, scale 1) (Marsaglia-Tsang). */
double l0_rng_gamma(l0_rng *r, double k);

#endif
