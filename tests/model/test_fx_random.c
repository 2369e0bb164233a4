/* test_fx_random: random cases at W up to 64 against the exact references in fx_ref.h.
 *
 * Reproducible: a fixed-seed PRNG (splitmix64, in fx_ref.h). Random types have W 1..64 (edges
 * favoured), I in [-70, 130] (and a share with I anywhere in [-1024, 1024]), signed or unsigned,
 * all Q and O. Checked:
 * - l0_fx_cast_wide of v * 2^-vfrac, v up to 127 bits (and -2^127), vfrac in [-200, 300], plus
 *   values aimed at the type's range and at exact half-way points and range edges;
 * - l0_fx_from_double for random bit patterns (tiny to huge, subnormals), values near the
 *   type's range, exact half-way points, min / max and one LSB beyond, 0, -0.0, NaN, +-inf;
 * - l0_fx_to_double (exact when the raw has <= 53 significant bits, else the nearest double);
 * - l0_fx_mul and l0_fx_add exactness; l0_fx_raw_valid;
 * - plans (l0_fx_plan_for_type, l0_fx_plan_for_product, l0_fx_plan_make, l0_fx_plan_cast),
 *   including plans that must be identities, against the reference and l0_fx_cast_wide;
 * - l0_fx_dot against a reference accumulation.
 * Every reference result is computed twice, by ref_cast (sign/magnitude) and rb_cast (big
 * integers), and the two must agree (a reference self-check). */
#include <float.h>
#include <time.h>

#include "fx_ref.h"

#define N_WIDE 1500000
#define N_DOUBLE 1500000
#define N_TODOUBLE 400000
#define N_MUL 400000
#define N_ADD 400000
#define N_VALID 400000
#define N_PLANS 3000
#define N_PLAN_VALUES 200
#define N_DOT 20000

static ref_report rep;
static ref_rng rng = {UINT64_C(0x6C30F1A5EED00001)};

/* --- random generators ------------------------------------------------------------------------ */

static l0_fx_type rand_type_i(int imin, int imax) {
    static const int edge_w[] = {1, 2, 3, 31, 32, 33, 52, 53, 54, 62, 63, 64};
    int w = rng_u64(&rng) % 4 == 0 ? edge_w[rng_u64(&rng) % (sizeof edge_w / sizeof edge_w[0])]
                                   : (int)rng_range(&rng, 1, 64);
    int i = (int)rng_range(&rng, imin, imax);
    return ref_type(w, i, rng_u64(&rng) & 1, (l0_fx_quant)(rng_u64(&rng) % L0_FX_QUANT_COUNT),
                    (l0_fx_ovf)(rng_u64(&rng) % L0_FX_OVF_COUNT));
}

/* I in [-70, 130], or (one in 16) anywhere in [-1024, 1024] */
static l0_fx_type rand_type(void) {
    if (rng_u64(&rng) % 16 == 0) return rand_type_i(-L0_FX_I_LIMIT, L0_FX_I_LIMIT);
    return rand_type_i(-70, 130);
}

/* a magnitude of exactly b bits (0 <= b <= 127) */
static ref_u128 rand_bits(int b) {
    if (b == 0) return 0;
    ref_u128 top = (ref_u128)1 << (b - 1);
    return (rng_u128(&rng) & (top - 1)) | top;
}

static ref_i128 rand_signed_bits(int b) {
    ref_i128 m = (ref_i128)rand_bits(b);
    return rng_u64(&rng) & 1 ? -m : m;
}

/* a random true raw value of t: uniform bit pattern, or an edge */
static ref_i128 rand_raw(const l0_fx_type *t) {
    ref_i128 lo = ref_raw_min(t), hi = ref_raw_max(t);
    switch (rng_u64(&rng) % 8) {
    case 0:
        return lo;
    case 1:
        return hi;
    case 2:
        return rng_u64(&rng) & 1 ? lo + 1 : hi - 1 < lo ? lo : hi - 1;
    case 3:
        return 0;
    case 4: { /* a random bit length, so small values are common */
        int b = (int)rng_range(&rng, 0, t->w);
        ref_u128 m = rand_bits(b) & (((ref_u128)1 << t->w) - 1);
        ref_i128 v = (ref_i128)m;
        if (t->is_signed && ((m >> (t->w - 1)) & 1)) v -= (ref_i128)1 << t->w;
        return v;
    }
    default: {
        ref_u128 m = rng_u128(&rng) & (((ref_u128)1 << t->w) - 1);
        ref_i128 v = (ref_i128)m;
        if (t->is_signed && ((m >> (t->w - 1)) & 1)) v -= (ref_i128)1 << t->w;
        return v;
    }
    }
}

static double rand_finite_double(void) {
    uint64_t bits = rng_u64(&rng);
    uint64_t e = rng_u64(&rng) % 2047; /* 0..2046: every finite exponent */
    bits = (bits & ~(UINT64_C(0x7ff) << 52)) | (e << 52);
    double x;
    memcpy(&x, &bits, sizeof x);
    return x;
}

static double rand_subnormal(void) {
    uint64_t bits = rng_u64(&rng) & ~(UINT64_C(0x7ff) << 52);
    double x;
    memcpy(&x, &bits, sizeof x);
    return x;
}

/* --- the checks ------------------------------------------------------------------------------- */

static uint64_t n_wide, n_double, n_nonfinite, n_refcheck;

/* Reference for v * 2^-vfrac into t, with the self-check of the two references. */
static int64_t ref_both(ref_i128 v, long vfrac, const l0_fx_type *t, int *ovf) {
    int o1, o2;
    int64_t r1 = ref_cast(ref_from_wide(v, (int)vfrac), t, &o1);
    int64_t r2 = rb_cast(v, vfrac, t, &o2);
    n_refcheck++;
    if (r1 != r2 || o1 != o2) {
        char ts[96], vs[48];
        ref_check(&rep, false,
                  "REFERENCE DISAGREEMENT (test bug) %s v=%s vfrac=%ld: ref_cast raw=%" PRId64
                  " ovf=%d, rb_cast raw=%" PRId64 " ovf=%d",
                  ref_tstr(t, ts, sizeof ts), ref_i128_str(v, vs, sizeof vs), vfrac, r1, o1, r2,
                  o2);
    }
    *ovf = o1;
    return r1;
}

static void check_wide(ref_i128 v, int vfrac, const l0_fx_type *t) {
    int eovf, govf = -1;
    int64_t e = ref_both(v, vfrac, t, &eovf);
    int64_t g = l0_fx_cast_wide((l0_wide)v, vfrac, t, &govf);
    n_wide++;
    char ts[96], vs[48];
    if (g != e || govf != eovf)
        ref_check(&rep, false,
                  "cast_wide %s v=%s vfrac=%d: expected raw=%" PRId64 " ovf=%d, got raw=%" PRId64
                  " ovf=%d",
                  ref_tstr(t, ts, sizeof ts), ref_i128_str(v, vs, sizeof vs), vfrac, e, eovf, g,
                  govf);
    else
        rep.checks++;
}

static void test_wide(void) {
    static const ref_i128 special[] = {0, 1, -1, 2, -2, 3, -3};
    for (long n = 0; n < N_WIDE; n++) {
        l0_fx_type t = rand_type();
        const int F = ref_frac(&t);
        unsigned mode = rng_u64(&rng) % 10;
        if (mode < 4) { /* anything */
            ref_i128 v;
            switch (rng_u64(&rng) % 16) {
            case 0:
                v = (ref_i128)((ref_u128)1 << 127);
                break; /* -2^127 */
            case 1:
                v = (ref_i128)(((ref_u128)1 << 127) - 1);
                break;
            case 2:
                v = special[rng_u64(&rng) % 7];
                break;
            default:
                v = rand_signed_bits((int)rng_range(&rng, 0, 127));
            }
            check_wide(v, (int)rng_range(&rng, -200, 300), &t);
        } else if (mode < 7) { /* near the type's range: about W + s bits at vfrac = F + s */
            int s = (int)rng_range(&rng, -5, 70);
            int b = t.w + s + (int)rng_range(&rng, -3, 3);
            b = b < 0 ? 0 : b > 127 ? 127 : b;
            check_wide(rand_signed_bits(b), F + s, &t);
        } else { /* exact half-way points and neighbours, around every kind of raw */
            int s = (int)rng_range(&rng, 0, 62);
            ref_i128 r;
            switch (rng_u64(&rng) % 6) {
            case 0:
                r = ref_raw_min(&t) - 1;
                break;
            case 1:
                r = ref_raw_max(&t) + 1;
                break;
            default:
                r = rand_raw(&t);
            }
            ref_i128 unit = (ref_i128)1 << s, half = s ? unit / 2 : 0;
            const ref_i128 offs[] = {0, half, half - 1, half + 1, 1, unit - 1, -1, -half};
            ref_i128 off = offs[rng_u64(&rng) % 8];
            check_wide(r * unit + off, F + s, &t);
        }
    }
}

static void check_nonfinite(double x, const l0_fx_type *t) {
    int64_t raw = INT64_C(0x0123456789ABCDEF);
    int ovf = 0;
    int rc = l0_fx_from_double(x, t, &raw, &ovf);
    char ts[96];
    n_nonfinite++;
    ref_check(&rep, rc == L0_FX_ENONFINITE && raw == INT64_C(0x0123456789ABCDEF),
              "from_double %s x=%g: expected rc=%d and raw untouched, got rc=%d raw=%" PRId64,
              ref_tstr(t, ts, sizeof ts), x, L0_FX_ENONFINITE, rc, raw);
}

static void check_double(double x, const l0_fx_type *t) {
    ref_val xv;
    if (!ref_from_double(x, &xv)) { /* a generator overflowed to inf: still a case to check */
        check_nonfinite(x, t);
        return;
    }
    ref_i128 nv = xv.neg ? -(ref_i128)xv.mag : (ref_i128)xv.mag;
    int eovf, govf = -1;
    int64_t e = ref_both(nv, -xv.exp, t, &eovf);
    int64_t g = INT64_C(0x5A5A5A5A5A5A5A5A);
    int rc = l0_fx_from_double(x, t, &g, &govf);
    n_double++;
    char ts[96];
    if (rc != 0 || g != e || govf != eovf)
        ref_check(&rep, false,
                  "from_double %s x=%a (%.17g): expected rc=0 raw=%" PRId64
                  " ovf=%d, got rc=%d raw=%" PRId64 " ovf=%d",
                  ref_tstr(t, ts, sizeof ts), x, x, e, eovf, rc, g, govf);
    else
        rep.checks++;
}

static void test_double(void) {
    static const double special[] = {
        0.0,    -0.0,    DBL_MAX, -DBL_MAX, DBL_MIN, -DBL_MIN, 4.9e-324,  -4.9e-324, 1.0, -1.0,
        0x1p63, -0x1p63, 0x1p64,  -0x1p64,  0x1p127, -0x1p127, 0x1p-1074, 0.5,       -0.5};
    for (long n = 0; n < N_DOUBLE; n++) {
        l0_fx_type t = rand_type();
        const int F = ref_frac(&t);
        double x;
        switch (rng_u64(&rng) % 10) {
        case 0:
            x = rand_finite_double();
            break;
        case 1:
            x = rng_u64(&rng) % 4 ? rand_subnormal() : special[rng_u64(&rng) % 19];
            break;
        case 2:
        case 3:
        case 4: { /* 53 significant bits anywhere from below the LSB to above the range */
            int e = (int)rng_range(&rng, -F - 8, t.i + 8);
            x = ldexp((double)(int64_t)rand_bits(53), e - 53);
            if (rng_u64(&rng) & 1) x = -x;
            break;
        }
        case 5:
        case 6: { /* an exact half-way point (2r + 1) * 2^-(F+1), |2r + 1| < 2^53 */
            ref_i128 r = rand_raw(&t);
            if (r >= ((ref_i128)1 << 51) || r < -((ref_i128)1 << 51)) r >>= (t.w - 50);
            x = ldexp((double)(int64_t)(2 * r + 1), -(F + 1));
            break;
        }
        case 7:
        case 8: { /* min, max, one LSB beyond and inside */
            const ref_i128 rs[] = {ref_raw_min(&t),     ref_raw_max(&t),     ref_raw_min(&t) - 1,
                                   ref_raw_max(&t) + 1, ref_raw_min(&t) + 1, ref_raw_max(&t) - 1};
            ref_i128 r = rs[rng_u64(&rng) % 6];
            x = ldexp((double)r, -F);
            break;
        }
        default: { /* a random raw's value, possibly off by a fraction of an LSB */
            ref_i128 r = rand_raw(&t);
            x = ldexp((double)r + (double)rng_range(&rng, -3, 3) / 4, -F);
        }
        }
        check_double(x, &t);
    }
    for (int n = 0; n < 2000; n++) {
        l0_fx_type t = rand_type();
        check_nonfinite(NAN, &t);
        check_nonfinite(-NAN, &t);
        check_nonfinite(INFINITY, &t);
        check_nonfinite(-INFINITY, &t);
        check_double(0.0, &t);
        check_double(-0.0, &t);
    }
}

/* l0_fx_to_double: exact for <= 53 significant bits, else the nearest double (either neighbour
 * is accepted on an exact tie) */
static uint64_t n_todouble_exact, n_todouble_round;
static void test_to_double(void) {
    for (long n = 0; n < N_TODOUBLE; n++) {
        l0_fx_type t = rand_type_i(-70, 130);
        const int F = ref_frac(&t);
        ref_i128 v = rand_raw(&t);
        if (rng_u64(&rng) % 3 == 0) { /* make it exactly representable */
            int b = ref_bitlen(v < 0 ? (ref_u128)0 - (ref_u128)v : (ref_u128)v);
            if (b > 53) v = (v >> (b - 53)) * ((ref_i128)1 << (b - 53));
        }
        int64_t raw = ref_store(&t, v);
        double got = l0_fx_to_double(&t, raw);
        ref_u128 m = v < 0 ? (ref_u128)0 - (ref_u128)v : (ref_u128)v;
        int tz = 0;
        while (m && !(m & 1)) {
            m >>= 1;
            tz++;
        }
        char ts[96], vs[48];
        if (ref_bitlen(m) <= 53) {
            double e = ldexp((double)v, -F); /* (double)v exact: <= 53 significant bits */
            n_todouble_exact++;
            ref_check(&rep, got == e, "to_double %s raw=%s: expected %a, got %a",
                      ref_tstr(&t, ts, sizeof ts), ref_i128_str(v, vs, sizeof vs), e, got);
        } else {
#if LDBL_MANT_DIG >= 64
            /* |v| < 2^64 fits the 64-bit long double significand exactly; one rounding */
            long double lv = ldexpl((long double)v, -F);
            double e = (double)lv;
            double other = nextafter(e, lv > (long double)e ? INFINITY : -INFINITY);
            bool tie = lv - (long double)e == (long double)other - lv ||
                       (long double)e - lv == lv - (long double)other;
            n_todouble_round++;
            ref_check(&rep, got == e || (tie && got == other),
                      "to_double %s raw=%s: expected nearest %a, got %a",
                      ref_tstr(&t, ts, sizeof ts), ref_i128_str(v, vs, sizeof vs), e, got);
#endif
        }
    }
}

/* 64 x 64 -> 128-bit unsigned product from 32-bit halves */
static ref_u128 mul_u64(uint64_t a, uint64_t b) {
    uint64_t a0 = a & 0xffffffffu, a1 = a >> 32, b0 = b & 0xffffffffu, b1 = b >> 32;
    ref_u128 r = (ref_u128)(a0 * b0);
    r += (ref_u128)(a0 * b1) << 32;
    r += (ref_u128)(a1 * b0) << 32;
    r += (ref_u128)(a1 * b1) << 64;
    return r;
}

/* The exact product of two true raws, or false if it does not fit a signed 128-bit integer */
static bool exact_product(ref_i128 a, ref_i128 b, ref_i128 *p) {
    bool neg = (a < 0) != (b < 0);
    ref_u128 ma = a < 0 ? (ref_u128)0 - (ref_u128)a : (ref_u128)a;
    ref_u128 mb = b < 0 ? (ref_u128)0 - (ref_u128)b : (ref_u128)b;
    if (ma >> 64 || mb >> 64) return false; /* only 2^64 itself; not a raw */
    ref_u128 m = mul_u64((uint64_t)ma, (uint64_t)mb);
    if (!neg && m >> 127) return false;
    if (neg && m > ((ref_u128)1 << 127)) return false;
    *p = neg ? (ref_i128)((ref_u128)0 - m) : (ref_i128)m;
    return true;
}

static uint64_t n_mul, n_mul_skipped, n_add;
static void test_mul_add(void) {
    for (long n = 0; n < N_MUL; n++) {
        l0_fx_type ta = rand_type(), tb = rand_type();
        ref_i128 a = rand_raw(&ta), b = rand_raw(&tb), e;
        if (!exact_product(a, b, &e)) { /* ap_ufixed<64> x ap_ufixed<64> >= 2^127 */
            n_mul_skipped++;
            continue;
        }
        int frac = -12345;
        l0_wide g = l0_fx_mul(&ta, ref_store(&ta, a), &tb, ref_store(&tb, b), &frac);
        char as[48], bs[48], es[48], gs[48], t1[96], t2[96];
        n_mul++;
        ref_check(&rep, g == e && frac == ref_frac(&ta) + ref_frac(&tb),
                  "mul %s a=%s * %s b=%s: expected %s frac %d, got %s frac %d",
                  ref_tstr(&ta, t1, sizeof t1), ref_i128_str(a, as, sizeof as),
                  ref_tstr(&tb, t2, sizeof t2), ref_i128_str(b, bs, sizeof bs),
                  ref_i128_str(e, es, sizeof es), ref_frac(&ta) + ref_frac(&tb),
                  ref_i128_str(g, gs, sizeof gs), frac);
    }
    for (long n = 0; n < N_ADD; n++) {
        l0_fx_type ta = rand_type_i(-70, 130);
        int fb = ref_frac(&ta) + (int)rng_range(&rng, -61, 61);
        int wb = (int)rng_range(&rng, 1, 64);
        l0_fx_type tb = ref_type(wb, wb - fb, rng_u64(&rng) & 1, L0_FX_TRN, L0_FX_WRAP);
        if (rng_u64(&rng) & 1) { /* either order */
            l0_fx_type tt = ta;
            ta = tb;
            tb = tt;
        }
        ref_i128 a = rand_raw(&ta), b = rand_raw(&tb);
        int fa = ref_frac(&ta), fbb = ref_frac(&tb), f = fa > fbb ? fa : fbb;
        int frac = -12345;
        l0_wide g = l0_fx_add(&ta, ref_store(&ta, a), &tb, ref_store(&tb, b), &frac);
        rbig ra = rb_from_i128(a), rb = rb_from_i128(b), rg = rb_from_i128(g);
        ra = rb_shl(&ra, f - fa);
        rb = rb_shl(&rb, f - fbb);
        rbig sum = rb_add(&ra, &rb);
        char as[48], bs[48], gs[48], t1[96], t2[96];
        n_add++;
        ref_check(&rep, frac == f && rb_cmp(&sum, &rg) == 0,
                  "add %s a=%s + %s b=%s: expected frac %d and the exact sum, got %s frac %d",
                  ref_tstr(&ta, t1, sizeof t1), ref_i128_str(a, as, sizeof as),
                  ref_tstr(&tb, t2, sizeof t2), ref_i128_str(b, bs, sizeof bs), f,
                  ref_i128_str(g, gs, sizeof gs), frac);
    }
}

static uint64_t n_valid;
static void test_raw_valid(void) {
    for (long n = 0; n < N_VALID; n++) {
        l0_fx_type t = rand_type();
        int64_t raw;
        switch (rng_u64(&rng) % 4) {
        case 0:
            raw = (int64_t)rng_u64(&rng);
            break;
        case 1:
            raw = ref_store(&t, rand_raw(&t));
            break;
        default: { /* near the edges, possibly just outside */
            ref_i128 edge = rng_u64(&rng) & 1 ? ref_raw_min(&t) : ref_raw_max(&t);
            raw = (int64_t)(uint64_t)(ref_u128)(edge + rng_range(&rng, -2, 2));
        }
        }
        bool e = t.is_signed ? (ref_i128)raw >= ref_raw_min(&t) && (ref_i128)raw <= ref_raw_max(&t)
                             : (ref_i128)(uint64_t)raw <= ref_raw_max(&t);
        bool g = l0_fx_raw_valid(&t, raw);
        char ts[96];
        n_valid++;
        ref_check(&rep, g == e, "raw_valid %s raw=%" PRId64 " (0x%" PRIx64 "): expected %d, got %d",
                  ref_tstr(&t, ts, sizeof ts), raw, (uint64_t)raw, e, g);
    }
}

/* --- plans --------------------------------------------------------------------------------- */

static uint64_t n_plan_values, n_plans, n_identity_expected, n_identity_built;

static void check_plan_value(const l0_fx_plan *p, const char *what, ref_i128 v, int vfrac,
                             const l0_fx_type *to) {
    int eovf, povf = -1, wovf = -1;
    int64_t e = ref_both(v, vfrac, to, &eovf);
    int64_t g = l0_fx_plan_cast(p, (l0_wide)v, &povf);
    int64_t w = l0_fx_cast_wide((l0_wide)v, vfrac, to, &wovf);
    n_plan_values++;
    char ts[96], vs[48];
    ref_check(&rep, g == e && povf == eovf && w == e && wovf == eovf,
              "plan (%s) -> %s v=%s vfrac=%d: expected raw=%" PRId64
              " ovf=%d, got plan_cast raw=%" PRId64 " ovf=%d (identity=%d), cast_wide raw=%" PRId64
              " ovf=%d",
              what, ref_tstr(to, ts, sizeof ts), ref_i128_str(v, vs, sizeof vs), vfrac, e, eovf, g,
              povf, (int)p->identity, w, wovf);
}

/* A type `to` into which every value of `from` is exactly representable: F and I at least as
 * large (I one larger when from is unsigned and to signed). */
static bool identity_target(const l0_fx_type *from, l0_fx_type *to) {
    bool s = from->is_signed ? true : (rng_u64(&rng) & 1);
    int df = (int)rng_range(&rng, 0, 4), di = (int)rng_range(&rng, 0, 4);
    int f = ref_frac(from) + df;
    int i = from->i + di + (!from->is_signed && s ? 1 : 0);
    if (i + f > 64 || i + f < 1 || i > L0_FX_I_LIMIT) return false;
    *to = ref_type(i + f, i, s, (l0_fx_quant)(rng_u64(&rng) % L0_FX_QUANT_COUNT),
                   (l0_fx_ovf)(rng_u64(&rng) % L0_FX_OVF_COUNT));
    return true;
}

static void test_plans(void) {
    char t1[96], t2[96], t3[160];
    for (int n = 0; n < N_PLANS; n++) {
        /* from a type, into a random type or an identity target */
        l0_fx_type from = rand_type_i(-70, 130), to;
        bool want_identity = false;
        if (n % 2 == 0 && identity_target(&from, &to)) {
            /* signed AP_SAT_SYM maps min to -max: not an identity when from reaches to's min */
            want_identity = !(to.o == L0_FX_SAT_SYM && to.is_signed && to.w > 1 && from.is_signed &&
                              to.i == from.i);
        } else {
            to = rand_type_i(-70, 130);
        }
        l0_fx_plan p;
        l0_fx_plan_for_type(&p, &from, &to);
        n_plans++;
        if (want_identity) {
            n_identity_expected++;
            n_identity_built += p.identity;
            ref_check(&rep, p.identity,
                      "plan_for_type %s -> %s: every source value is exactly representable, "
                      "but plan.identity = 0",
                      ref_tstr(&from, t1, sizeof t1), ref_tstr(&to, t2, sizeof t2));
        }
        snprintf(t3, sizeof t3, "for_type from %s", ref_tstr(&from, t1, sizeof t1));
        for (int k = 0; k < N_PLAN_VALUES; k++)
            check_plan_value(&p, t3, rand_raw(&from), ref_frac(&from), &to);

        /* products */
        l0_fx_type a = rand_type_i(-70, 130), b = rand_type_i(-70, 130);
        if (n % 2 == 0 && a.w + b.w <= 62) { /* a target holding every product exactly */
            int i = a.i + b.i + 1, f = ref_frac(&a) + ref_frac(&b);
            if (i >= -L0_FX_I_LIMIT && i <= L0_FX_I_LIMIT && i + f >= 1 && i + f <= 64) {
                to = ref_type(i + f, i, true, (l0_fx_quant)(rng_u64(&rng) % L0_FX_QUANT_COUNT),
                              (l0_fx_ovf)(rng_u64(&rng) % L0_FX_OVF_COUNT));
                want_identity = true;
            } else {
                to = rand_type_i(-140, 260);
                want_identity = false;
            }
        } else {
            to = rand_type_i(-140, 260);
            want_identity = false;
        }
        l0_fx_plan_for_product(&p, &a, &b, &to);
        n_plans++;
        if (want_identity) {
            n_identity_expected++;
            n_identity_built += p.identity;
            ref_check(&rep, p.identity,
                      "plan_for_product %s * %s -> %s: every product is exactly representable, "
                      "but plan.identity = 0",
                      ref_tstr(&a, t1, sizeof t1), ref_tstr(&b, t2, sizeof t2),
                      ref_tstr(&to, t3, sizeof t3));
        }
        char what[256];
        snprintf(what, sizeof what, "for_product %s * %s", ref_tstr(&a, t1, sizeof t1),
                 ref_tstr(&b, t2, sizeof t2));
        for (int k = 0; k < N_PLAN_VALUES; k++) {
            ref_i128 x = rand_raw(&a), y = rand_raw(&b), v;
            if (!exact_product(x, y, &v)) continue;
            check_plan_value(&p, what, v, ref_frac(&a) + ref_frac(&b), &to);
        }

        /* arbitrary bounds */
        int vfrac = (int)rng_range(&rng, -200, 300);
        ref_i128 lo = rand_signed_bits((int)rng_range(&rng, 0, 100));
        ref_i128 hi = rand_signed_bits((int)rng_range(&rng, 0, 100));
        if (lo > hi) {
            ref_i128 tt = lo;
            lo = hi;
            hi = tt;
        }
        to = rng_u64(&rng) & 1 ? rand_type_i(-70, 130) : rand_type_i(-140, 260);
        if (rng_u64(&rng) % 4 == 0) vfrac = ref_frac(&to) - (int)rng_range(&rng, 0, 10);
        l0_fx_plan_make(&p, vfrac, (l0_wide)lo, (l0_wide)hi, &to);
        n_plans++;
        snprintf(what, sizeof what, "plan_make vfrac=%d [%s, %s]", vfrac,
                 ref_i128_str(lo, t1, sizeof t1), ref_i128_str(hi, t2, sizeof t2));
        for (int k = 0; k < N_PLAN_VALUES; k++) {
            ref_u128 span = (ref_u128)hi - (ref_u128)lo;
            ref_i128 v = k == 0   ? lo
                         : k == 1 ? hi
                                  : (ref_i128)((ref_u128)lo + (span == ~(ref_u128)0
                                                                   ? rng_u128(&rng)
                                                                   : rng_u128(&rng) % (span + 1)));
            check_plan_value(&p, what, v, vfrac, &to);
        }
    }
}

/* --- l0_fx_dot ----------------------------------------------------------------------------- */

static uint64_t n_dot, n_dot_u64, n_dot_big_products, n_dot_fail_u64, n_dot_fail_other;
static void test_dot(void) {
    for (int n = 0; n < N_DOT; n++) {
        l0_fx_type a = rand_type_i(-20, 40), b = rand_type_i(-20, 40), acc = rand_type_i(-40, 80);
        if (n % 8 == 0) { /* ap_ufixed<64> x ap_ufixed<64>: products up to 2^128 - 2^65 + 1 */
            a.w = b.w = 64;
            a.is_signed = b.is_signed = false;
            n_dot_u64++;
        }
        l0_fx_plan p;
        l0_fx_plan_for_product(&p, &a, &b, &acc);
        size_t len = (size_t)rng_range(&rng, 0, 24);
        int64_t x[24], w[24];
        ref_i128 acc0 = rand_raw(&acc), sum = acc0;
        uint64_t eovf = 7; /* *ovf grows from its initial value */
        for (size_t k = 0; k < len; k++) {
            ref_i128 xv = rand_raw(&a), wv = rand_raw(&b), pv;
            x[k] = ref_store(&a, xv);
            w[k] = ref_store(&b, wv);
            int o;
            const int pf = ref_frac(&a) + ref_frac(&b);
            if (exact_product(xv, wv, &pv)) {
                sum += ref_true(&acc, ref_both(pv, pf, &acc, &o));
            } else { /* >= 2^127: only ap_ufixed<64> x ap_ufixed<64>; ref_cast takes it */
                ref_val pr = {false, mul_u64((uint64_t)xv, (uint64_t)wv), -pf};
                sum += ref_true(&acc, ref_cast(pr, &acc, &o));
                n_dot_big_products++;
            }
            eovf += (uint64_t)o;
        }
        if (sum < ref_raw_min(&acc) || sum > ref_raw_max(&acc)) eovf++;
        l0_fx_type accw = acc;
        accw.o = L0_FX_WRAP;
        int dummy;
        int64_t e = ref_cast_wide(sum, ref_frac(&acc), &accw, &dummy);
        uint64_t govf = 7;
        int64_t g = l0_fx_dot(&p, x, w, len, ref_store(&acc, acc0), &govf);
        char t1[96], t2[96], t3[96];
        n_dot++;
        if (g != e || govf != eovf) {
            if (a.w == 64 && b.w == 64 && !a.is_signed && !b.is_signed)
                n_dot_fail_u64++;
            else
                n_dot_fail_other++;
        }
        ref_check(&rep, g == e && govf == eovf,
                  "dot %s . %s into %s, n=%zu: expected raw=%" PRId64 " ovf=7+%" PRIu64
                  ", got raw=%" PRId64 " ovf=7+%" PRId64,
                  ref_tstr(&a, t1, sizeof t1), ref_tstr(&b, t2, sizeof t2),
                  ref_tstr(&acc, t3, sizeof t3), len, e, eovf - 7, g, (int64_t)(govf - 7));
    }
}

int main(void) {
    clock_t t0 = clock();
    test_wide();
    test_double();
    test_to_double();
    test_mul_add();
    test_raw_valid();
    test_plans();
    test_dot();
    double secs = (double)(clock() - t0) / CLOCKS_PER_SEC;
    printf("test_fx_random (seed 0x6C30F1A5EED00001):\n");
    printf("  cast_wide: %" PRIu64 " casts\n", n_wide);
    printf("  from_double: %" PRIu64 " casts, %" PRIu64 " non-finite checks\n", n_double,
           n_nonfinite);
    printf("  to_double: %" PRIu64 " exact, %" PRIu64 " rounded\n", n_todouble_exact,
           n_todouble_round);
    printf("  mul: %" PRIu64 " (%" PRIu64
           " u64 x u64 pairs skipped: product >= 2^127), add: %" PRIu64 "\n",
           n_mul, n_mul_skipped, n_add);
    printf("  raw_valid: %" PRIu64 "\n", n_valid);
    printf("  plans: %" PRIu64 " plans, %" PRIu64 " values; identity expected %" PRIu64
           ", built %" PRIu64 "\n",
           n_plans, n_plan_values, n_identity_expected, n_identity_built);
    printf("  dot: %" PRIu64 " (%" PRIu64 " of ap_ufixed<64> x ap_ufixed<64>, with %" PRIu64
           " products >= 2^127)\n",
           n_dot, n_dot_u64, n_dot_big_products);
    if (n_dot_fail_u64 + n_dot_fail_other)
        printf("  dot failures: %" PRIu64 " with ap_ufixed<64> x ap_ufixed<64> factors, %" PRIu64
               " others\n",
               n_dot_fail_u64, n_dot_fail_other);
    printf("  reference self-checks (ref_cast vs rb_cast): %" PRIu64 "\n", n_refcheck);
    printf("  %" PRIu64 " checks, %" PRIu64 " failures, %.1f s\n", rep.checks, rep.fails, secs);
    if (rep.fails) {
        printf("FAIL\n");
        return 1;
    }
    printf("PASS\n");
    return 0;
}
