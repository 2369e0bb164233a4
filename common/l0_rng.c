#include "l0_rng.h"

#include <math.h>

static uint64_t splitmix64(uint64_t *x) {
    uint64_t z = (*x += 0x9e3779b97f4a7c15ULL);
    z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ULL;
    z = (z ^ (z >> 27)) * 0x94d049bb133111ebULL;
    return z ^ (z >> 31);
}

void l0_rng_seed(l0_rng *r, uint64_t seed, uint64_t stream) {
    uint64_t x = seed;
    uint64_t mix = splitmix64(&x) ^ (stream * 0xd1342543de82ef95ULL + 0x2545f4914f6cdd1dULL);
    for (int i = 0; i < 4; i++) r->s[i] = splitmix64(&mix);
}

uint64_t l0_rng_below(l0_rng *r, uint64_t n) {
    uint64_t limit = UINT64_MAX - UINT64_MAX % n;
    uint64_t x;
    do x = l0_rng_u64(r);
    while (x >= limit);
    return x % n;
}

double l0_rng_normal(l0_rng *r) {
    double u, v, s;
    do {
        u = 2.0 * l0_rng_uniform(r) - 1.0;
        v = 2.0 * l0_rng_uniform(r) - 1.0;
        s = u * u + v * v;
    } while (s >= 1.0 || s == 0.0);
    return u * sqrt(-2.0 * log(s) / s);
}

double l0_rng_exponential(l0_rng *r) {
    return -log1p(-l0_rng_uniform(r));
}

/* PTRS: Hormann (1993), "The transformed rejection method for generating Poisson random
 * variables"; exact for mu >= 10. */
static uint64_t poisson_ptrs(l0_rng *r, double mu) {
    double slam = sqrt(mu), loglam = log(mu);
    double b = 0.931 + 2.53 * slam, a = -0.059 + 0.02483 * b;
    double invalpha = 1.1239 + 1.1328 / (b - 3.4), vr = 0.9277 - 3.6224 / (b - 2);
    for (;;) {
        double u = l0_rng_uniform(r) - 0.5, v = l0_rng_uniform(r);
        double us = 0.5 - fabs(u);
        double k = floor((2 * a / us + b) * u + mu + 0.43);
        if (us >= 0.07 && v <= vr) return (uint64_t)k;
        if (k < 0 || (us < 0.013 && v > us)) continue;
        if (log(v) + log(invalpha) - log(a / (us * us) + b) <= -mu + k * loglam - lgamma(k + 1))
            return (uint64_t)k;
    }
}

uint64_t l0_rng_poisson(l0_rng *r, double mu) {
    if (!(mu > 0)) return 0;
    if (mu >= 10) return poisson_ptrs(r, mu);
    double l = exp(-mu), p = 1.0;
    uint64_t k = 0;
    for (;;) {
        p *= l0_rng_uniform(r);
        if (p <= l) return k;
        k++;
    }
}

double l0_rng_gamma(l0_rng *r, double k) {
    if (k < 1) {
        /* Boost: Gamma(k) = Gamma(k + 1) * U^(1/k). */
        double u = l0_rng_uniform(r);
        return l0_rng_gamma(r, k + 1.0) * pow(u > 0 ? u : 0x1.0p-53, 1.0 / k);
    }
    double d = k - 1.0 / 3.0, c = 1.0 / sqrt(9.0 * d);
    for (;;) {
        double x, v;
        do {
            x = l0_rng_normal(r);
            v = 1.0 + c * x;
        } while (v <= 0);
        v = v * v * v;
        double u = l0_rng_uniform(r);
        if (u < 1 - 0.0331 * x * x * x * x) return d * v;
        if (log(u) < 0.5 * x * x + d * (1 - v + log(v))) return d * v;
    }
}
