/* test_fx_libfixmath: l0_fx against Debian's libfixmath (linked for real: liblibfixmath.a).
 *
 * fix16_t is Q16.16, i.e. ap_fixed<32,16>. Both libfixmath functions used here round half away
 * from zero, so the l0_fx type is ap_fixed<32,16,AP_RND_INF,AP_SAT>.
 *
 * 1. fix16_from_dbl (static inline in fix16.h) computes temp = a * 65536 (exact), adds +-0.5 in
 *    double and converts to int32_t (truncation toward zero). That is round-half-away-from-zero
 *    whenever temp +- 0.5 is exact in double. The sum is rounded (to nearest even) when
 *    |temp| < 0.5 has bits below 2^-53, or when it carries into the next binade and drops its
 *    last bit; the truncation then gives a wrong result only if the rounded sum s is an integer
 *    that the exact sum does not reach. In the int32 range that happens only for
 *    temp = +-(0.5 - 2^-54) = +-0.49999999999999994 (s = +-1.0, result +-1, exact rounding 0):
 *    the classic round(0.49999999999999994) corner. Such inputs are detected by an explicit test
 *    of that mechanism (TwoSum error of temp +- 0.5 non-zero, s integral, |exact sum| < |s|),
 *    counted, and excluded from the bit-for-bit comparison; every other input must give the same
 *    raw. Inputs are restricted to temp in (-2^31 - 0.5, 2^31 - 0.5) so that the conversion to
 *    int32_t is defined.
 *
 * 2. fix16_mul (Debian build, checked in its disassembly: 64-bit product p = a * b; if p < 0 and
 *    p >> 47 != -1, or p >= 0 and p >> 47 != 0, it returns fix16_overflow = 0x80000000;
 *    otherwise, p-- when p < 0, then (int32)(p >> 16) + ((p >> 15) & 1) with 32-bit wrap-around):
 *    round half away from zero, overflow detected on the unrounded product. Against the exact
 *    product cast with l0_fx_cast_wide(p, 32, ap_fixed<32,16,AP_RND_INF,AP_SAT>):
 *    - ovf clear: fix16_mul must equal our raw, bit for bit;
 *    - ovf set: fix16_mul must return 0x80000000;
 *    - fix16_mul returns 0x80000000 with ovf clear: only the legitimate result -32768.0 (our raw
 *      0x80000000 too): p == -2^47 (fix16_mul computes it), or -2^47 - 2^15 < p < -2^47, where
 *      fix16_mul reports overflow (the unrounded product is below -32768) but the rounded result
 *      is -32768.0, so the bits agree again. Counted separately.
 *    Positive products in [2^47 - 2^15, 2^47) round to 2^31 (out of range, our ovf is set):
 *    fix16_mul does not flag them but its 32-bit addition wraps to 0x80000000. Counted.
 *    Factors are drawn log-uniformly in magnitude, uniformly, and next to the overflow boundary,
 *    so that a good share of the products overflow. Our result is also checked against the
 *    reference of fx_ref.h. */
#include <float.h>
#include <libfixmath/fix16.h>
#include <time.h>

#include "fx_ref.h"

#define N_DBL 1500000
#define N_MUL 1500000

static ref_report rep;
static ref_rng rng = {UINT64_C(0xF1C516000000D00B)};

static l0_fx_type q16; /* ap_fixed<32,16,AP_RND_INF,AP_SAT> */

/* --- fix16_from_dbl ------------------------------------------------------------------------ */

static uint64_t n_dbl, n_dbl_excluded, n_dbl_excluded_differ, n_dbl_ties;

/* Whether fix16_from_dbl's double rounding bites: the addition temp + add (add = +-0.5) is
 * inexact (its TwoSum error err is non-zero), the rounded sum s is an integer, and the exact sum
 * s + err lies strictly between 0 and s, so that the truncation of s gives s where the
 * truncation of the exact sum gives s -+ 1. */
static bool double_rounding_corner(double temp, double add) {
    volatile double s = temp + add;
    volatile double bb = s - temp;
    volatile double err = (temp - (s - bb)) + (add - bb);
    return err != 0 && s == trunc(s) && (s > 0 ? err < 0 : err > 0);
}

static void check_from_dbl(double x) {
    double temp = x * fix16_one;
    if (!(temp > -0x1p31 - 0.5 && temp < 0x1p31 - 0.5)) return; /* outside the defined range */
    int64_t raw = INT64_C(0x5A5A5A5A5A5A5A5A);
    int ovf = -1;
    int rc = l0_fx_from_double(x, &q16, &raw, &ovf);
    fix16_t f = fix16_from_dbl(x);
    ref_val v;
    if (!ref_from_double(x, &v)) abort();
    int eovf;
    int64_t e = ref_cast(v, &q16, &eovf);
    n_dbl++;
    if (!ref_check(&rep, rc == 0 && raw == e && ovf == eovf,
                   "l0_fx_from_double(%a) ap_fixed<32,16,AP_RND_INF,AP_SAT>: expected raw=%" PRId64
                   " ovf=%d (reference), got rc=%d raw=%" PRId64 " ovf=%d",
                   x, e, eovf, rc, raw, ovf))
        return;
    if (double_rounding_corner(temp, temp >= 0 ? 0.5 : -0.5)) {
        n_dbl_excluded++;
        n_dbl_excluded_differ += (int64_t)f != raw;
        return;
    }
    ref_check(&rep, (int64_t)f == raw && ovf == 0,
              "from_double %a (%.17g): fix16_from_dbl=%" PRId32 " (0x%08" PRIx32
              "), l0_fx_from_double raw=%" PRId64 " ovf=%d",
              x, x, f, (uint32_t)f, raw, ovf);
}

static void test_from_dbl(void) {
    static const double fixed[] = {0.0,
                                   -0.0,
                                   0.49999999999999994,
                                   -0.49999999999999994,
                                   0x1.fffffffffffffp-18, /* temp = 0.5 - 2^-54: the corner */
                                   -0x1.fffffffffffffp-18,
                                   0x1.ffffffffffffep-18,
                                   -0x1.ffffffffffffep-18,
                                   0x1.0000000000001p-17,
                                   -0x1.0000000000001p-17,
                                   0x1p-17,
                                   -0x1p-17,
                                   0.5 / 65536,
                                   -0.5 / 65536,
                                   1.5 / 65536,
                                   -1.5 / 65536,
                                   32767.99999,
                                   -32768.0,
                                   -32768.000007,
                                   32767.999992370605, /* (2^31 - 0.5) / 65536 - ulp */
                                   DBL_MIN,
                                   -DBL_MIN,
                                   4.9e-324,
                                   -4.9e-324,
                                   1.0,
                                   -1.0,
                                   0.1,
                                   -0.1};
    for (size_t k = 0; k < sizeof fixed / sizeof fixed[0]; k++) check_from_dbl(fixed[k]);
    for (long n = 0; n < N_DBL; n++) {
        double x;
        switch (rng_u64(&rng) % 8) {
        case 0:
        case 1: /* uniform in [-32768, 32768) with 52 significant bits */
            x = ldexp((double)rng_range(&rng, -(INT64_C(1) << 52), (INT64_C(1) << 52) - 1), -37);
            break;
        case 2:
        case 3: { /* log-uniform magnitude, random 53-bit significand, down to subnormals */
            int e = rng_u64(&rng) % 16 == 0 ? (int)rng_range(&rng, -1074, -60)
                                            : (int)rng_range(&rng, -60, 15);
            x = ldexp((double)(int64_t)(rng_u64(&rng) >> 11 | UINT64_C(1) << 52), e - 52);
            if (rng_u64(&rng) & 1) x = -x;
            break;
        }
        case 4:
        case 5: /* exact half-way points (k + 1/2) / 65536 */
            x = ((double)rng_range(&rng, INT32_MIN, INT32_MAX - 1) + 0.5) / 65536;
            n_dbl_ties++;
            break;
        case 6: { /* next to a half-way point */
            double t = ((double)rng_range(&rng, INT32_MIN, INT32_MAX - 1) + 0.5) / 65536;
            x = nextafter(t, rng_u64(&rng) & 1 ? INFINITY : -INFINITY);
            break;
        }
        default: /* exact values */
            x = (double)rng_range(&rng, INT32_MIN, INT32_MAX) / 65536;
        }
        check_from_dbl(x);
    }
}

/* --- fix16_mul ------------------------------------------------------------------------------ */

static uint64_t n_mul, n_mul_inrange, n_mul_ovf, n_mul_min_exact, n_mul_min_corner,
    n_mul_pos_corner;

static void check_mul(int32_t a, int32_t b) {
    int64_t p = (int64_t)a * b;
    int ovf = -1, eovf;
    int64_t raw = l0_fx_cast_wide((l0_wide)p, 32, &q16, &ovf);
    int64_t e = ref_cast_wide(p, 32, &q16, &eovf);
    fix16_t f = fix16_mul(a, b);
    n_mul++;
    if (!ref_check(&rep, raw == e && ovf == eovf,
                   "l0_fx_cast_wide(%" PRId64 ", 32) ap_fixed<32,16,AP_RND_INF,AP_SAT>: expected "
                   "raw=%" PRId64 " ovf=%d (reference), got raw=%" PRId64 " ovf=%d",
                   p, e, eovf, raw, ovf))
        return;
    bool ok;
    if (!ovf) {
        ok = (int64_t)f == raw;
        if (f == fix16_overflow) {
            if (p == -(INT64_C(1) << 47))
                n_mul_min_exact++;
            else
                n_mul_min_corner++;
        } else {
            n_mul_inrange++;
        }
    } else {
        ok = f == fix16_overflow;
        n_mul_ovf++;
        if (p >= (INT64_C(1) << 47) - (1 << 15) && p < (INT64_C(1) << 47)) n_mul_pos_corner++;
    }
    ref_check(&rep, ok,
              "fix16_mul(0x%08" PRIx32 ", 0x%08" PRIx32 ") (p=%" PRId64 ") = 0x%08" PRIx32
              ", l0_fx_cast_wide raw=0x%08" PRIx32 " ovf=%d",
              (uint32_t)a, (uint32_t)b, p, (uint32_t)f, (uint32_t)raw, ovf);
}

/* a factor with a log-uniform magnitude */
static int32_t rand_log_factor(void) {
    if (rng_u64(&rng) % 64 == 0) return INT32_MIN;
    int k = (int)rng_range(&rng, 0, 31);
    int64_t m =
        k ? (int64_t)((rng_u64(&rng) & ((UINT64_C(1) << (k - 1)) - 1)) | (UINT64_C(1) << (k - 1)))
          : 0;
    return (int32_t)(rng_u64(&rng) & 1 ? -m : m);
}

static void test_mul(void) {
    /* the documented behaviour of the Debian build: half away from zero, 0x80000000 on
     * overflow */
    const struct {
        int32_t a, b, want;
    } known[] = {
        {0x8000, 1, 1},
        {-0x8000, 1, -1},
        {0x7fff, 1, 0},
        {-0x7fff, 1, 0},
        {0x18000, 1, 2},
        {-0x18000, 1, -2},
        {0x10000, 0x10000, 0x10000},
        {INT32_MIN, 0x10000, INT32_MIN},
        {INT32_MIN, -0x10000, INT32_MIN},
        {0x7fffffff, 0x7fffffff, INT32_MIN},
        {0x4000000, 0x200000, INT32_MIN}, /* p = 2^47 */
    };
    for (size_t k = 0; k < sizeof known / sizeof known[0]; k++) {
        fix16_t f = fix16_mul(known[k].a, known[k].b);
        ref_check(&rep, f == known[k].want,
                  "libfixmath behaviour: fix16_mul(0x%08" PRIx32 ", 0x%08" PRIx32 ") = 0x%08" PRIx32
                  ", documented 0x%08" PRIx32,
                  (uint32_t)known[k].a, (uint32_t)known[k].b, (uint32_t)f, (uint32_t)known[k].want);
        check_mul(known[k].a, known[k].b);
    }
    static const int64_t targets[] = {
        INT64_C(1) << 47,        (INT64_C(1) << 47) - (1 << 15),    (INT64_C(1) << 47) - 1,
        -(INT64_C(1) << 47),     -(INT64_C(1) << 47) - (1 << 15),   -(INT64_C(1) << 47) - 1,
        -(INT64_C(1) << 47) + 1, (INT64_C(1) << 47) - (1 << 15) - 1};
    for (long n = 0; n < N_MUL; n++) {
        int32_t a, b;
        switch (rng_u64(&rng) % 10) {
        case 0:
        case 1:
        case 2:
        case 3: /* log-uniform magnitudes */
            a = rand_log_factor();
            b = rand_log_factor();
            break;
        case 4:
        case 5: /* uniform */
            a = (int32_t)rng_u64(&rng);
            b = (int32_t)rng_u64(&rng);
            break;
        default: { /* next to the overflow boundary and its rounding corners */
            int64_t t = targets[rng_u64(&rng) % (sizeof targets / sizeof targets[0])];
            do a = rand_log_factor();
            while (a == 0 || (t / a) > INT32_MAX || (t / a) < INT32_MIN);
            int64_t bb = t / a + rng_range(&rng, -2, 2);
            b = (int32_t)(bb > INT32_MAX ? INT32_MAX : bb < INT32_MIN ? INT32_MIN : bb);
        }
        }
        if (rng_u64(&rng) & 1) {
            int32_t tt = a;
            a = b;
            b = tt;
        }
        check_mul(a, b);
    }
}

int main(void) {
    clock_t t0 = clock();
    l0_err err;
    if (l0_fx_type_make(&q16, 32, 16, true, L0_FX_RND_INF, L0_FX_SAT, &err) != 0) {
        printf("l0_fx_type_make: %s\nFAIL\n", err.msg);
        return 1;
    }
    test_from_dbl();
    test_mul();
    double secs = (double)(clock() - t0) / CLOCKS_PER_SEC;
    printf("test_fx_libfixmath: ap_fixed<32,16,AP_RND_INF,AP_SAT> vs fix16_t\n");
    printf("  fix16_from_dbl: %" PRIu64 " doubles (%" PRIu64 " exact half-way points); %" PRIu64
           " excluded (double rounding corner of temp +- 0.5), %" PRIu64
           " of them where fix16_from_dbl differs from exact rounding\n",
           n_dbl, n_dbl_ties, n_dbl_excluded, n_dbl_excluded_differ);
    printf("  fix16_mul: %" PRIu64 " pairs: %" PRIu64 " in range, %" PRIu64
           " overflow (%.1f%%; %" PRIu64
           " of them in [2^47-2^15, 2^47), wrapped by fix16_mul), -32768.0 exact %" PRIu64
           ", -32768.0 rounded (fix16_mul flags overflow) %" PRIu64 "\n",
           n_mul, n_mul_inrange, n_mul_ovf, 100.0 * (double)n_mul_ovf / (double)n_mul,
           n_mul_pos_corner, n_mul_min_exact, n_mul_min_corner);
    ref_check(&rep, n_dbl >= 1000000 && n_mul >= 1000000, "too few cases");
    ref_check(&rep, n_mul_ovf * 10 >= n_mul, "fewer than 10%% of the products overflow");
    printf("  %" PRIu64 " checks, %" PRIu64 " failures, %.1f s\n", rep.checks, rep.fails, secs);
    if (rep.fails) {
        printf("FAIL\n");
        return 1;
    }
    printf("PASS\n");
    return 0;
}
