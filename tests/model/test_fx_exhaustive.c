/* test_fx_exhaustive: every small type against the reference in fx_ref.h.
 *
 * Every type with W <= 8, I from -4 to W + 4, signed and unsigned, all 7 quantization and all 4
 * overflow modes. For each type:
 * (a) l0_fx_from_double over a grid of step 2^-(F+3) (every representable value, every half-way
 *     point and points between) from min - 4 * 2^W LSBs to max + 4 * 2^W LSBs, plus far-out and
 *     tiny doubles (powers of two and their neighbours, DBL_MAX, subnormals, -0.0);
 * (b) l0_fx_cast (and a plan from l0_fx_plan_for_type) from every value of wider source types,
 *     signed and unsigned, W2 = W+1..W+3 and F2 = F-1..F+3 (quantization and pure overflow).
 * Raw and overflow flag must equal the reference's. NaN and +-inf are checked too. */
#include <float.h>
#include <time.h>

#include "fx_ref.h"

static ref_report rep;
static uint64_t n_double, n_cast, n_plan, n_nonfinite;

static void fail_double(const l0_fx_type *t, double x, int rc, int64_t exp_raw, int exp_ovf,
                        int64_t got_raw, int got_ovf) {
    char ts[96];
    ref_check(&rep, false,
              "from_double %s x=%a (%.17g): rc=%d expected raw=%" PRId64 " ovf=%d, got raw=%" PRId64
              " ovf=%d",
              ref_tstr(t, ts, sizeof ts), x, x, rc, exp_raw, exp_ovf, got_raw, got_ovf);
}

static void check_double(const l0_fx_type *t, double x) {
    ref_val v;
    if (!ref_from_double(x, &v)) abort();
    int eovf, govf = -1;
    int64_t eraw = ref_cast(v, t, &eovf);
    int64_t graw = INT64_C(0x5A5A5A5A5A5A5A5A);
    int rc = l0_fx_from_double(x, t, &graw, &govf);
    n_double++;
    if (rc != 0 || graw != eraw || govf != eovf)
        fail_double(t, x, rc, eraw, eovf, graw, govf);
    else
        rep.checks++;
}

/* (a): the grid and the far-out values */
static void doubles_for_type(const l0_fx_type *t) {
    const int F = ref_frac(t);
    const int64_t span = INT64_C(1) << t->w;
    const int64_t lo = ((int64_t)ref_raw_min(t) - 4 * span) * 8;
    const int64_t hi = ((int64_t)ref_raw_max(t) + 4 * span) * 8;
    for (int64_t j = lo; j <= hi; j++) check_double(t, ldexp((double)j, -(F + 3)));

    static const double fixed[] = {0.0,
                                   -0.0,
                                   DBL_MAX,
                                   -DBL_MAX,
                                   DBL_MIN,
                                   -DBL_MIN,
                                   4.9e-324,
                                   -4.9e-324,
                                   1e300,
                                   -1e300,
                                   1e-300,
                                   -1e-300,
                                   1e18,
                                   -1e18,
                                   0x1p63,
                                   -0x1p63,
                                   0x1p64,
                                   -0x1p64,
                                   0x1.fffffffffffffp62,
                                   -0x1.fffffffffffffp62,
                                   0x1p-1022 * 0.75};
    for (size_t k = 0; k < sizeof fixed / sizeof fixed[0]; k++) check_double(t, fixed[k]);
    /* powers of two around the type's range and its LSB, their neighbours, 3 * 2^k */
    for (int e = -F - 12; e <= t->i + 70; e++) {
        double p = ldexp(1.0, e);
        const double xs[] = {p, 3 * p, nextafter(p, 0), nextafter(p, INFINITY)};
        for (size_t k = 0; k < sizeof xs / sizeof xs[0]; k++) {
            check_double(t, xs[k]);
            check_double(t, -xs[k]);
        }
    }
    /* non-finite values: rejected, raw untouched */
    const double nf[] = {NAN, -NAN, INFINITY, -INFINITY};
    for (size_t k = 0; k < 4; k++) {
        int64_t raw = INT64_C(0x1234567887654321);
        int ovf = 0;
        int rc = l0_fx_from_double(nf[k], t, &raw, &ovf);
        char ts[96];
        n_nonfinite++;
        ref_check(&rep, rc == L0_FX_ENONFINITE && raw == INT64_C(0x1234567887654321),
                  "from_double %s x=%g: expected rc=%d and raw untouched, got rc=%d raw=%" PRId64,
                  ref_tstr(t, ts, sizeof ts), nf[k], L0_FX_ENONFINITE, rc, raw);
    }
}

/* (b): every value of the wider source types, into the 28 modes of (w, i, s) */
static void casts_for_shape(int w, int i, bool s) {
    const int F = w - i;
    l0_fx_type to[L0_FX_QUANT_COUNT * L0_FX_OVF_COUNT];
    for (int q = 0; q < L0_FX_QUANT_COUNT; q++)
        for (int o = 0; o < L0_FX_OVF_COUNT; o++)
            to[q * L0_FX_OVF_COUNT + o] = ref_type(w, i, s, (l0_fx_quant)q, (l0_fx_ovf)o);
    const int nto = L0_FX_QUANT_COUNT * L0_FX_OVF_COUNT;
    l0_fx_plan plans[L0_FX_QUANT_COUNT * L0_FX_OVF_COUNT];

    for (int w2 = w + 1; w2 <= w + 3; w2++) {
        for (int f2 = F - 1; f2 <= F + 3; f2++) {
            for (int s2 = 0; s2 < 2; s2++) {
                l0_fx_type from = ref_type(w2, w2 - f2, s2, L0_FX_TRN, L0_FX_WRAP);
                for (int k = 0; k < nto; k++) l0_fx_plan_for_type(&plans[k], &from, &to[k]);
                for (ref_i128 v = ref_raw_min(&from); v <= ref_raw_max(&from); v++) {
                    int64_t raw = ref_store(&from, v);
                    ref_val x = ref_from_wide(v, f2);
                    for (int k = 0; k < nto; k++) {
                        int eovf, govf = -1, povf = -1;
                        int64_t e = ref_cast(x, &to[k], &eovf);
                        int64_t g = l0_fx_cast(&from, raw, &to[k], &govf);
                        int64_t p = l0_fx_plan_cast(&plans[k], (l0_wide)v, &povf);
                        n_cast++;
                        n_plan++;
                        if (g != e || govf != eovf || p != e || povf != eovf) {
                            char fs[96], ts[96], vs[48];
                            ref_check(&rep, false,
                                      "cast %s raw=%s -> %s: expected raw=%" PRId64
                                      " ovf=%d, got l0_fx_cast raw=%" PRId64
                                      " ovf=%d, plan_cast raw=%" PRId64 " ovf=%d (identity=%d)",
                                      ref_tstr(&from, fs, sizeof fs),
                                      ref_i128_str(v, vs, sizeof vs),
                                      ref_tstr(&to[k], ts, sizeof ts), e, eovf, g, govf, p, povf,
                                      (int)plans[k].identity);
                        } else {
                            rep.checks += 2;
                        }
                    }
                }
            }
        }
    }
}

int main(void) {
    clock_t t0 = clock();
    uint64_t ntypes = 0;
    for (int w = 1; w <= 8; w++) {
        for (int i = -4; i <= w + 4; i++) {
            for (int s = 0; s < 2; s++) {
                for (int q = 0; q < L0_FX_QUANT_COUNT; q++) {
                    for (int o = 0; o < L0_FX_OVF_COUNT; o++) {
                        l0_fx_type t = ref_type(w, i, s, (l0_fx_quant)q, (l0_fx_ovf)o);
                        doubles_for_type(&t);
                        ntypes++;
                    }
                }
                casts_for_shape(w, i, s);
            }
        }
    }
    double secs = (double)(clock() - t0) / CLOCKS_PER_SEC;
    printf("test_fx_exhaustive: %" PRIu64 " target types (W 1..8, I -4..W+4, signed/unsigned, "
           "7 Q x 4 O)\n",
           ntypes);
    printf("  from_double: %" PRIu64 " casts, %" PRIu64 " non-finite checks\n", n_double,
           n_nonfinite);
    printf("  l0_fx_cast: %" PRIu64 " casts from wider types; l0_fx_plan_cast: %" PRIu64 "\n",
           n_cast, n_plan);
    printf("  %" PRIu64 " checks, %" PRIu64 " failures, %.1f s\n", rep.checks, rep.fails, secs);
    if (rep.fails) {
        printf("FAIL\n");
        return 1;
    }
    printf("PASS\n");
    return 0;
}
