/* fx_ref.h: an independent reference for the l0_fx casts, for the tests only.
 *
 * Written from the specification in model/l0_fx.h (and Xilinx's ap_types semantics), without
 * looking at model/l0_fx.c. Everything is exact integer arithmetic; clarity matters more than
 * speed. Two independent references are given:
 *
 * - ref_cast(): sign/magnitude. A value is (-1)^neg * mag * 2^exp with mag < 2^128. Scaling by
 *   2^F either shifts left (exact, possibly huge: we keep the low 128 bits of the magnitude and
 *   a flag for "at least 2^127") or drops d bits, classified against the half-way point 2^(d-1),
 *   and the magnitude is rounded up (away from zero) or not according to Q and the sign.
 * - rb_cast(): a 3072-bit two's complement big integer, floor-based: q = floor(N / 2^d) plus
 *   0 or 1 depending on the remainder N - q * 2^d in [0, 2^d). Slow but with no special cases.
 *
 * The tests compare the implementation with ref_cast(), and test_fx_random also compares
 * ref_cast() with rb_cast() on every case. Also here: a fixed-seed PRNG, type formatting and
 * failure reporting shared by the tests. */
#ifndef FX_REF_H
#define FX_REF_H

#include <inttypes.h>
#include <math.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "l0_fx.h"

typedef unsigned __int128 ref_u128;
typedef __int128 ref_i128;

/* --- types (own formulas, not the header's inline helpers) --------------------------------- */

static inline int ref_frac(const l0_fx_type *t) {
    return t->w - t->i;
}
static inline ref_i128 ref_raw_min(const l0_fx_type *t) {
    return t->is_signed ? -((ref_i128)1 << (t->w - 1)) : 0;
}
static inline ref_i128 ref_raw_max(const l0_fx_type *t) {
    return t->is_signed ? ((ref_i128)1 << (t->w - 1)) - 1 : ((ref_i128)1 << t->w) - 1;
}
/* The stored form of a true raw value v of t (sign- or zero-extended bit pattern). */
static inline int64_t ref_store(const l0_fx_type *t, ref_i128 v) {
    return t->is_signed ? (int64_t)v : (int64_t)(uint64_t)v;
}
/* The true value of a stored raw. */
static inline ref_i128 ref_true(const l0_fx_type *t, int64_t raw) {
    return t->is_signed ? (ref_i128)raw : (ref_i128)(uint64_t)raw;
}

static inline l0_fx_type ref_type(int w, int i, bool is_signed, l0_fx_quant q, l0_fx_ovf o) {
    l0_fx_type t;
    memset(&t, 0, sizeof t);
    t.w = w;
    t.i = i;
    t.is_signed = is_signed;
    t.q = q;
    t.o = o;
    return t;
}

static const char *const ref_qname[L0_FX_QUANT_COUNT] = {
    "AP_TRN",         "AP_TRN_ZERO", "AP_RND",     "AP_RND_ZERO",
    "AP_RND_MIN_INF", "AP_RND_INF",  "AP_RND_CONV"};
static const char *const ref_oname[L0_FX_OVF_COUNT] = {"AP_WRAP", "AP_SAT", "AP_SAT_ZERO",
                                                       "AP_SAT_SYM"};

/* Own spelling of a type, for messages (independent of l0_fx_type_str). */
static inline const char *ref_tstr(const l0_fx_type *t, char *buf, size_t n) {
    snprintf(buf, n, "%s<%d,%d,%s,%s>", t->is_signed ? "ap_fixed" : "ap_ufixed", t->w, t->i,
             (unsigned)t->q < L0_FX_QUANT_COUNT ? ref_qname[t->q] : "?",
             (unsigned)t->o < L0_FX_OVF_COUNT ? ref_oname[t->o] : "?");
    return buf;
}

/* Decimal text of a 128-bit integer. */
static inline const char *ref_i128_str(ref_i128 v, char *buf, size_t n) {
    char tmp[64];
    int k = 0;
    ref_u128 m = v < 0 ? (ref_u128)0 - (ref_u128)v : (ref_u128)v;
    do {
        tmp[k++] = (char)('0' + (int)(m % 10));
        m /= 10;
    } while (m);
    size_t j = 0;
    if (v < 0 && j + 1 < n) buf[j++] = '-';
    while (k > 0 && j + 1 < n) buf[j++] = tmp[--k];
    buf[j] = 0;
    return buf;
}

/* --- exact values ----------------------------------------------------------------------------- */

/* (-1)^neg * mag * 2^exp */
typedef struct ref_val {
    bool neg;
    ref_u128 mag;
    int exp;
} ref_val;

static inline ref_val ref_from_wide(ref_i128 v, int vfrac) {
    ref_val x;
    x.neg = v < 0;
    x.mag = x.neg ? (ref_u128)0 - (ref_u128)v : (ref_u128)v;
    x.exp = -vfrac;
    return x;
}

/* The exact value of a finite double, from its bit fields. Returns false for NaN and inf. */
static inline bool ref_from_double(double d, ref_val *x) {
    uint64_t bits;
    memcpy(&bits, &d, sizeof bits);
    int be = (int)((bits >> 52) & 0x7ff);
    uint64_t man = bits & ((UINT64_C(1) << 52) - 1);
    if (be == 0x7ff) return false;
    x->neg = (bits >> 63) != 0;
    if (be == 0) { /* zero or subnormal: man * 2^-1074 */
        x->mag = man;
        x->exp = -1074;
    } else {
        x->mag = man | (UINT64_C(1) << 52);
        x->exp = be - 1075;
    }
    return true;
}

static inline int ref_bitlen(ref_u128 m) {
    int n = 0;
    while (m) {
        n++;
        m >>= 1;
    }
    return n;
}

/* The reference cast (sign/magnitude). Returns the stored raw and sets *ovf. */
static inline int64_t ref_cast(ref_val x, const l0_fx_type *t, int *ovf) {
    const int F = ref_frac(t);

    /* Step 1: q = Q(x * 2^F), as sign, the low 128 bits of |q|, and |q| >= 2^127. */
    bool qneg = false, qhuge = false;
    ref_u128 qmag = 0;
    if (x.mag != 0) {
        long k = (long)x.exp + F; /* |x| * 2^F = mag * 2^k */
        if (k >= 0) {             /* exact: no quantization */
            qhuge = ref_bitlen(x.mag) + k > 127;
            qmag = k < 128 ? x.mag << k : 0; /* low 128 bits of mag * 2^k */
            qneg = x.neg;
        } else {
            long d = -k; /* bits dropped */
            ref_u128 ip = d < 128 ? x.mag >> d : 0;
            int cmp;       /* dropped part against half an LSB: -1 below, 0 equal, 1 above */
            bool inexact;  /* dropped part != 0 */
            if (d > 128) { /* dropped part = mag < 2^128 <= 2^(d-1) */
                cmp = -1;
                inexact = true;
            } else {
                ref_u128 rem = d == 128 ? x.mag : x.mag & (((ref_u128)1 << d) - 1);
                ref_u128 half = (ref_u128)1 << (d - 1);
                cmp = rem < half ? -1 : rem > half ? 1 : 0;
                inexact = rem != 0;
            }
            bool up; /* round the magnitude up (away from zero) */
            switch (t->q) {
            case L0_FX_TRN:
                up = x.neg && inexact;
                break; /* floor */
            case L0_FX_TRN_ZERO:
                up = false;
                break;
            case L0_FX_RND:
                up = cmp > 0 || (cmp == 0 && !x.neg);
                break;
            case L0_FX_RND_ZERO:
                up = cmp > 0;
                break;
            case L0_FX_RND_MIN_INF:
                up = cmp > 0 || (cmp == 0 && x.neg);
                break;
            case L0_FX_RND_INF:
                up = cmp >= 0;
                break;
            case L0_FX_RND_CONV:
                up = cmp > 0 || (cmp == 0 && (ip & 1));
                break;
            default:
                abort();
            }
            qmag = ip + (up ? 1 : 0);
            qhuge = (qmag >> 127) != 0;
            qneg = x.neg && qmag != 0;
        }
    }

    /* Step 2: overflow. */
    const ref_i128 lo = ref_raw_min(t), hi = ref_raw_max(t);
    bool inside = false;
    ref_i128 q = 0;
    if (!qhuge) {
        q = qneg ? -(ref_i128)qmag : (ref_i128)qmag;
        inside = q >= lo && q <= hi;
    }
    const bool sym = t->o == L0_FX_SAT_SYM && t->is_signed && t->w > 1;
    if (inside && !(sym && q == lo)) {
        *ovf = 0;
        return ref_store(t, q);
    }
    *ovf = 1;
    switch (t->o) {
    case L0_FX_WRAP: {
        ref_u128 bits = qneg ? (ref_u128)0 - qmag : qmag; /* low 128 bits of q */
        bits &= ((ref_u128)1 << t->w) - 1;
        ref_i128 v = (ref_i128)bits;
        if (t->is_signed && ((bits >> (t->w - 1)) & 1)) v -= (ref_i128)1 << t->w;
        return ref_store(t, v);
    }
    case L0_FX_SAT:
        return ref_store(t, qneg ? lo : hi);
    case L0_FX_SAT_ZERO:
        return 0;
    case L0_FX_SAT_SYM:
        return ref_store(t, sym ? (qneg ? -hi : hi) : (qneg ? lo : hi));
    default:
        abort();
    }
}

static inline int64_t ref_cast_wide(ref_i128 v, int vfrac, const l0_fx_type *t, int *ovf) {
    return ref_cast(ref_from_wide(v, vfrac), t, ovf);
}

/* --- the big-integer reference ------------------------------------------------------------ */

#define RB_LIMBS 48 /* 3072 bits, two's complement, least significant limb first */

typedef struct rbig {
    uint64_t l[RB_LIMBS];
} rbig;

static inline rbig rb_from_i128(ref_i128 v) {
    rbig a;
    a.l[0] = (uint64_t)v;
    a.l[1] = (uint64_t)((ref_u128)v >> 64);
    for (int i = 2; i < RB_LIMBS; i++) a.l[i] = v < 0 ? UINT64_MAX : 0;
    return a;
}
static inline bool rb_neg(const rbig *a) {
    return (a->l[RB_LIMBS - 1] >> 63) != 0;
}
static inline bool rb_zero(const rbig *a) {
    for (int i = 0; i < RB_LIMBS; i++)
        if (a->l[i]) return false;
    return true;
}
static inline rbig rb_add(const rbig *a, const rbig *b) {
    rbig r;
    unsigned c = 0;
    for (int i = 0; i < RB_LIMBS; i++) {
        uint64_t s = a->l[i] + b->l[i];
        unsigned c1 = s < a->l[i];
        uint64_t s2 = s + c;
        unsigned c2 = s2 < s;
        r.l[i] = s2;
        c = c1 | c2;
    }
    return r;
}
static inline rbig rb_sub(const rbig *a, const rbig *b) {
    rbig nb;
    for (int i = 0; i < RB_LIMBS; i++) nb.l[i] = ~b->l[i];
    rbig one = rb_from_i128(1);
    nb = rb_add(&nb, &one);
    return rb_add(a, &nb);
}
static inline int rb_cmp(const rbig *a, const rbig *b) {
    bool na = rb_neg(a), nb = rb_neg(b);
    if (na != nb) return na ? -1 : 1;
    for (int i = RB_LIMBS - 1; i >= 0; i--)
        if (a->l[i] != b->l[i]) return a->l[i] < b->l[i] ? -1 : 1;
    return 0;
}
/* a * 2^n (0 <= n < 3072; the caller keeps the result in range) */
static inline rbig rb_shl(const rbig *a, long n) {
    rbig r;
    long ls = n / 64, bs = n % 64;
    for (long i = RB_LIMBS - 1; i >= 0; i--) {
        uint64_t hi = i - ls >= 0 ? a->l[i - ls] : 0;
        uint64_t lo = i - ls - 1 >= 0 ? a->l[i - ls - 1] : 0;
        r.l[i] = bs ? (hi << bs) | (lo >> (64 - bs)) : hi;
    }
    return r;
}
/* floor(a / 2^n), n >= 0 */
static inline rbig rb_sar(const rbig *a, long n) {
    rbig r;
    uint64_t fill = rb_neg(a) ? UINT64_MAX : 0;
    long ls = n / 64, bs = n % 64;
    for (long i = 0; i < RB_LIMBS; i++) {
        uint64_t lo = i + ls < RB_LIMBS ? a->l[i + ls] : fill;
        uint64_t hi = i + ls + 1 < RB_LIMBS ? a->l[i + ls + 1] : fill;
        r.l[i] = bs ? (lo >> bs) | (hi << (64 - bs)) : lo;
    }
    return r;
}

/* The reference cast of N * 2^-vf (N a 128-bit integer), floor-based, on big integers. */
static inline int64_t rb_cast(ref_i128 nv, long vf, const l0_fx_type *t, int *ovf) {
    const long F = ref_frac(t);
    const long d = vf - F; /* the value in LSBs of t is N * 2^-d */
    rbig n = rb_from_i128(nv), q;
    if (d <= 0) {
        q = rb_shl(&n, -d);
    } else {
        rbig fl = rb_sar(&n, d); /* floor */
        rbig back = rb_shl(&fl, d);
        rbig rem = rb_sub(&n, &back); /* in [0, 2^d) */
        rbig one = rb_from_i128(1);
        rbig half = rb_shl(&one, d - 1);
        int c = rb_cmp(&rem, &half);
        bool exact = rb_zero(&rem), neg = nv < 0, odd = fl.l[0] & 1;
        bool inc;
        switch (t->q) {
        case L0_FX_TRN:
            inc = false;
            break;
        case L0_FX_TRN_ZERO:
            inc = neg && !exact;
            break;
        case L0_FX_RND:
            inc = c >= 0;
            break;
        case L0_FX_RND_ZERO:
            inc = c > 0 || (c == 0 && neg);
            break;
        case L0_FX_RND_MIN_INF:
            inc = c > 0;
            break;
        case L0_FX_RND_INF:
            inc = c > 0 || (c == 0 && !neg);
            break;
        case L0_FX_RND_CONV:
            inc = c > 0 || (c == 0 && odd);
            break;
        default:
            abort();
        }
        q = inc ? rb_add(&fl, &one) : fl;
    }
    rbig lo = rb_from_i128(ref_raw_min(t)), hi = rb_from_i128(ref_raw_max(t));
    const bool sym = t->o == L0_FX_SAT_SYM && t->is_signed && t->w > 1;
    int clo = rb_cmp(&q, &lo), chi = rb_cmp(&q, &hi);
    if (clo >= 0 && chi <= 0 && !(sym && clo == 0)) {
        *ovf = 0;
        return ref_store(t, (ref_i128)(((ref_u128)q.l[1] << 64) | q.l[0]));
    }
    *ovf = 1;
    switch (t->o) {
    case L0_FX_WRAP: {
        ref_u128 low = ((ref_u128)q.l[1] << 64) | q.l[0];
        low &= ((ref_u128)1 << t->w) - 1;
        ref_i128 v = (ref_i128)low;
        if (t->is_signed && ((low >> (t->w - 1)) & 1)) v -= (ref_i128)1 << t->w;
        return ref_store(t, v);
    }
    case L0_FX_SAT:
        return ref_store(t, clo < 0 ? ref_raw_min(t) : ref_raw_max(t));
    case L0_FX_SAT_ZERO:
        return 0;
    case L0_FX_SAT_SYM:
        if (sym) return ref_store(t, rb_neg(&q) ? -ref_raw_max(t) : ref_raw_max(t));
        return ref_store(t, clo < 0 ? ref_raw_min(t) : ref_raw_max(t));
    default:
        abort();
    }
}

/* --- a fixed-seed PRNG (splitmix64) ---------------------------------------------------------- */

typedef struct ref_rng {
    uint64_t s;
} ref_rng;

static inline uint64_t rng_u64(ref_rng *r) {
    uint64_t z = (r->s += UINT64_C(0x9E3779B97F4A7C15));
    z = (z ^ (z >> 30)) * UINT64_C(0xBF58476D1CE4E5B9);
    z = (z ^ (z >> 27)) * UINT64_C(0x94D049BB133111EB);
    return z ^ (z >> 31);
}
/* uniform in [lo, hi] (hi - lo < 2^63) */
static inline int64_t rng_range(ref_rng *r, int64_t lo, int64_t hi) {
    uint64_t span = (uint64_t)(hi - lo) + 1;
    return lo + (int64_t)(rng_u64(r) % span);
}
/* uniform 128-bit */
static inline ref_u128 rng_u128(ref_rng *r) {
    return ((ref_u128)rng_u64(r) << 64) | rng_u64(r);
}

/* --- failure reporting ------------------------------------------------------------------------ */

#define REF_SHOW_MAX 12

typedef struct ref_report {
    uint64_t checks;
    uint64_t fails;
} ref_report;

/* Count a check; on failure print (the first REF_SHOW_MAX) a line. */
static inline bool ref_check(ref_report *rp, bool ok, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));
static inline bool ref_check(ref_report *rp, bool ok, const char *fmt, ...) {
    rp->checks++;
    if (ok) return true;
    rp->fails++;
    if (rp->fails <= REF_SHOW_MAX) {
        va_list ap;
        va_start(ap, fmt);
        fputs("MISMATCH ", stdout);
        vprintf(fmt, ap);
        fputc('\n', stdout);
        va_end(ap);
        fflush(stdout);
    }
    return false;
}

#endif
