/* bench_fx: casts and multiply-accumulates per second of the fixed-point core, on one core.
 * A benchmark prints figures; it is not a test. Targets (issue 2): >= 200 M MAC/s when the
 * accumulator is wide enough that product casts are the identity, >= 50 M MAC/s with a rounding,
 * saturating cast on every product. */
#include <stdio.h>
#include <stdlib.h>

#include "l0_fx.h"
#include "l0_progress.h"
#include "l0_rng.h"

#define N_IN 64    /* a Dense layer's fan-in, as in the reference study's 64-node layers */
#define N_VEC 4096 /* input vectors per pass */

static l0_fx_type type_of(const char *s) {
    l0_fx_type t;
    l0_err err;
    if (l0_fx_parse(s, &t, &err)) {
        fprintf(stderr, "bench_fx: %s\n", err.msg);
        exit(2);
    }
    return t;
}

/* Values uniform in [-amp, amp]: activations of order 1, weights of order 0.1-1. */
static void fill(l0_rng *r, const l0_fx_type *t, int64_t *v, size_t n, double amp) {
    for (size_t i = 0; i < n; i++) {
        int ovf;
        l0_fx_from_double((l0_rng_uniform(r) * 2 - 1) * amp, t, &v[i], &ovf);
    }
}
static volatile int64_t sink;

static void bench_mac(const char *xs, const char *ws, const char *accs, const char *what) {
    l0_fx_type xt = type_of(xs), wt = type_of(ws), at = type_of(accs);
    l0_rng r;
    l0_rng_seed(&r, 1, 0);
    int64_t *x = malloc(sizeof *x * N_IN * N_VEC), w[N_IN];
    fill(&r, &xt, x, (size_t)N_IN * N_VEC, 4.0);
    fill(&r, &wt, w, N_IN, 0.5);
    l0_fx_plan plan;
    l0_fx_plan_for_product(&plan, &xt, &wt, &at);
    uint64_t ovf = 0, macs = 0;
    int64_t acc = 0;
    double t0 = l0_now(), el;
    do {
        for (int v = 0; v < N_VEC; v++)
            acc ^= l0_fx_dot(&plan, x + (size_t)v * N_IN, w, N_IN, 0, &ovf);
        macs += (uint64_t)N_VEC * N_IN;
    } while ((el = l0_now() - t0) < 1.0);
    sink = acc;
    printf("  %-9s x %-9s -> %-34s %-28s %8.1f M MAC/s  (overflows %.2f%%)\n", xs, ws, accs, what,
           (double)macs / el * 1e-6, 100.0 * (double)ovf / (double)macs);
    free(x);
}

static void bench_cast(const char *ts, const char *froms) {
    l0_fx_type t = type_of(ts);
    l0_rng r;
    l0_rng_seed(&r, 2, 0);
    enum { N = 1 << 16 };
    double *d = malloc(sizeof *d * N);
    l0_wide *wv = malloc(sizeof *wv * N);
    for (int i = 0; i < N; i++) {
        d[i] = (l0_rng_uniform(&r) * 2 - 1) * 1.2 * l0_fx_to_double(&t, (int64_t)l0_fx_raw_max(&t));
        wv[i] = (l0_wide)(int64_t)l0_rng_u64(&r) >> 16;
    }
    l0_fx_type from = type_of(froms);
    l0_fx_plan plan;
    l0_fx_plan_for_type(&plan, &from, &t);
    uint64_t n = 0;
    int64_t acc = 0;
    double t0 = l0_now(), el;
    do {
        for (int i = 0; i < N; i++) {
            int64_t raw;
            int o;
            l0_fx_from_double(d[i], &t, &raw, &o);
            acc += raw;
        }
        n += N;
    } while ((el = l0_now() - t0) < 0.5);
    double dbl_rate = (double)n / el;
    n = 0;
    t0 = l0_now();
    do {
        for (int i = 0; i < N; i++) {
            int o;
            acc += l0_fx_plan_cast(&plan, wv[i], &o);
        }
        n += N;
    } while ((el = l0_now() - t0) < 0.5);
    sink = acc;
    printf("  %-34s from double %7.1f M/s, from %-16s %7.1f M/s\n", ts, dbl_rate * 1e-6, froms,
           (double)n / el * 1e-6);
    free(d);
    free(wv);
}

int main(void) {
    printf("bench_fx: fixed-point core, one core, fan-in %d\n\ncasts per second:\n", N_IN);
    bench_cast("ap_fixed<16,6,AP_RND,AP_SAT>", "ap_fixed<48,16>");
    bench_cast("ap_fixed<32,16,AP_RND_INF,AP_SAT>", "ap_fixed<64,20>");
    bench_cast("ap_fixed<16,6>", "ap_fixed<48,16>");
    printf("\nmultiply-accumulates per second (Dense-layer dot products, l0_fx_dot):\n");
    bench_mac("ap_fixed<16,6>", "ap_fixed<16,6>", "ap_fixed<38,18>", "identity casts (auto accum)");
    bench_mac("ap_fixed<16,6>", "ap_fixed<16,6>", "ap_fixed<16,6,AP_RND,AP_SAT>",
              "rounding, saturating casts");
    bench_mac("ap_fixed<32,16>", "ap_fixed<32,16>", "ap_fixed<64,32>", "identity casts");
    bench_mac("ap_fixed<32,16>", "ap_fixed<32,16>", "ap_fixed<32,16,AP_RND,AP_SAT>",
              "rounding, saturating casts");
    printf("\ntargets: >= 200 M MAC/s with identity casts, >= 50 M MAC/s with a rounding, "
           "saturating cast\n");
    return 0;
}
