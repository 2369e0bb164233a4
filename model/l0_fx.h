/* l0_fx: ap_fixed<W,I,Q,O> and ap_ufixed<W,I,Q,O> arithmetic, bit-exact with Xilinx's ap_types
 * (and therefore with hls4ml), in C.
 *
 * A type has W total bits (1..64), I integer bits including the sign bit for signed types (any
 * integer in [-L0_FX_I_LIMIT, L0_FX_I_LIMIT]: negative, or above W), and F = W - I fractional
 * bits. A value of the type is its raw integer r, meaning r * 2^-F; r is stored in an int64_t:
 * sign-extended for signed types, zero-extended for unsigned ones (an ap_ufixed<64,..> raw above
 * INT64_MAX is stored as its bit pattern; l0_fx_wide() gives its true value).
 *
 * Exact intermediates are l0_wide (128-bit) integers with a count of fractional bits: the exact
 * product of two raws of up to 64 bits each (but for two ap_ufixed<64,..> raws, whose product
 * may reach 2^128 - 2^65 + 1: l0_fx_dot handles that pair, l0_fx_mul cannot), or an exact sum,
 * fits.
 *
 * A cast (from an exact value, from double, or from another type) does what ap_types does:
 * 1. quantization: the value is rounded to a multiple of 2^-F according to Q:
 *    AP_TRN toward -inf, AP_TRN_ZERO toward 0, AP_RND to nearest with ties toward +inf,
 *    AP_RND_ZERO ties toward 0, AP_RND_MIN_INF ties toward -inf, AP_RND_INF ties away from 0,
 *    AP_RND_CONV ties to even;
 * 2. overflow: if the rounded value q lies outside [min, max] of the type, O decides:
 *    AP_WRAP keeps the low W bits (two's complement), AP_SAT clamps to min or max, AP_SAT_ZERO
 *    gives 0, AP_SAT_SYM clamps to max or -max for signed types with W > 1 (so the most negative
 *    value min is never produced: q == min also becomes -max) and acts as AP_SAT otherwise (as in
 *    ap_types, where signed W == 1 saturates negative values to min = -1, and unsigned types have
 *    min = 0).
 *    The overflow flag is set exactly when step 2 changed the value (q outside [min, max], or,
 *    for signed AP_SAT_SYM with W > 1, q == min). Only saturation bits N = 0 are supported.
 * From double: the double's exact value is used (no intermediate rounding). NaN and +-infinity
 * are rejected (L0_FX_ENONFINITE) and the output left unchanged: ap_types has no defined
 * result for them.
 *
 * The hot path (l0_fx_cast_plan, l0_fx_cast_apply) does no allocation and no floating point. */
#ifndef L0_FX_H
#define L0_FX_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "l0_err.h"

typedef __int128 l0_wide;
typedef unsigned __int128 l0_uwide;

/* v * 2^s modulo 2^128 for s >= 0, in two's complement (shifting a negative signed value is
 * undefined behaviour in C, so the shift is done unsigned). */
static inline l0_wide l0_wide_shl(l0_wide v, int s) {
    return s >= 128 ? 0 : (l0_wide)((l0_uwide)v << s);
}

#define L0_FX_W_MAX 64
#define L0_FX_I_LIMIT 1024

typedef enum l0_fx_quant {
    L0_FX_TRN = 0, /* default */
    L0_FX_TRN_ZERO,
    L0_FX_RND,
    L0_FX_RND_ZERO,
    L0_FX_RND_MIN_INF,
    L0_FX_RND_INF,
    L0_FX_RND_CONV,
    L0_FX_QUANT_COUNT
} l0_fx_quant;

typedef enum l0_fx_ovf {
    L0_FX_WRAP = 0, /* default */
    L0_FX_SAT,
    L0_FX_SAT_ZERO,
    L0_FX_SAT_SYM,
    L0_FX_OVF_COUNT
} l0_fx_ovf;

typedef struct l0_fx_type {
    int w; /* total bits, 1..64 */
    int i; /* integer bits (including the sign bit when signed) */
    bool is_signed;
    l0_fx_quant q;
    l0_fx_ovf o;
} l0_fx_type;

/* Error codes (negative). */
enum { L0_FX_OK = 0, L0_FX_EPARSE = -1, L0_FX_ENONFINITE = -2, L0_FX_ERANGE = -3 };

/* --- types --------------------------------------------------------------------------------- */

/* Build a type; returns 0, or L0_FX_ERANGE with err filled if W or I are out of bounds. */
int l0_fx_type_make(l0_fx_type *t, int w, int i, bool is_signed, l0_fx_quant q, l0_fx_ovf o,
                    l0_err *err);

/* Parse `ap_fixed<16,6>`, `ap_fixed<16,6,AP_RND,AP_SAT>`, `ap_ufixed<8,0>`, hls4ml's
 * `fixed<16,6,RND,SAT>` and `ufixed<...>`, and the integer types `ap_int<W>`, `ap_uint<W>`,
 * `int<W>`, `uint<W>` (I = W). Spaces are allowed around tokens; mode names (upper case, as in
 * ap_types) are accepted with or without the AP_ prefix; a fifth parameter (saturation bits) must
 * be 0. Anything else gives L0_FX_EPARSE and an err that says what is wrong. */
int l0_fx_parse(const char *s, l0_fx_type *t, l0_err *err);

/* Canonical spelling: `ap_fixed<16,6>` when Q and O are the defaults, else
 * `ap_fixed<16,6,AP_RND,AP_SAT>` (ap_ufixed for unsigned). Returns the length (snprintf-like). */
int l0_fx_type_str(const l0_fx_type *t, char *buf, size_t n);

const char *l0_fx_quant_name(l0_fx_quant q); /* "AP_TRN", ... */
const char *l0_fx_ovf_name(l0_fx_ovf o);     /* "AP_WRAP", ... */

static inline int l0_fx_frac(const l0_fx_type *t) {
    return t->w - t->i;
}

/* Smallest and largest raw of the type (as true integer values). */
static inline l0_wide l0_fx_raw_min(const l0_fx_type *t) {
    return t->is_signed ? -((l0_wide)1 << (t->w - 1)) : 0;
}
static inline l0_wide l0_fx_raw_max(const l0_fx_type *t) {
    return t->is_signed ? ((l0_wide)1 << (t->w - 1)) - 1 : ((l0_wide)1 << t->w) - 1;
}

/* The true integer value of a stored raw. */
static inline l0_wide l0_fx_wide(const l0_fx_type *t, int64_t raw) {
    return t->is_signed ? (l0_wide)raw : (l0_wide)(uint64_t)raw;
}

/* Whether raw is a valid stored raw of t (in range, correctly extended). */
bool l0_fx_raw_valid(const l0_fx_type *t, int64_t raw);

/* --- casts --------------------------------------------------------------------------------- */

/* Cast the exact value v * 2^-vfrac into t (any vfrac, any v). Sets *ovf (if not NULL) to 1 when
 * the overflow step changed the value, else 0. Returns the stored raw. */
int64_t l0_fx_cast_wide(l0_wide v, int vfrac, const l0_fx_type *t, int *ovf);

/* Cast a value of type `from` (stored raw) into `to`. */
static inline int64_t l0_fx_cast(const l0_fx_type *from, int64_t raw, const l0_fx_type *to,
                                 int *ovf) {
    return l0_fx_cast_wide(l0_fx_wide(from, raw), l0_fx_frac(from), to, ovf);
}

/* Cast a double exactly. Returns 0, or L0_FX_ENONFINITE for NaN and +-inf (raw untouched). */
int l0_fx_from_double(double x, const l0_fx_type *t, int64_t *raw, int *ovf);

/* The value of a raw as the nearest double (exact when it has at most 53 significant bits). */
double l0_fx_to_double(const l0_fx_type *t, int64_t raw);

/* Exact product and sum of two typed values, as a wide value with *frac fractional bits.
 * The one product that does not fit a signed 128-bit integer is that of two ap_ufixed<64,..>
 * raws reaching 2^127: l0_fx_mul must not be given that pair (l0_fx_dot handles it). */
static inline l0_wide l0_fx_mul(const l0_fx_type *ta, int64_t a, const l0_fx_type *tb, int64_t b,
                                int *frac) {
    *frac = l0_fx_frac(ta) + l0_fx_frac(tb);
    return l0_fx_wide(ta, a) * l0_fx_wide(tb, b);
}
/* Exact sum; *frac = max(Fa, Fb). Both raws are aligned to it; the caller keeps the alignment
 * shift small (|Fa - Fb| + 65 < 127), which holds for any two types whose F differ by < 62. */
l0_wide l0_fx_add(const l0_fx_type *ta, int64_t a, const l0_fx_type *tb, int64_t b, int *frac);

/* --- the hot path: a precomputed cast --------------------------------------------------------
 * A plan casts values with a fixed number of fractional bits (and known bounds, from a source
 * type) into one type. Plans are plain data: build once per layer, use in the inner loop. */
typedef struct l0_fx_plan {
    l0_fx_type to;
    int shift;          /* vfrac - F(to): > 0 drops bits (quantization), < 0 shifts left */
    bool identity;      /* every source value is exactly representable: cast = shift left */
    bool no_quant;      /* shift <= 0 */
    l0_wide lo, hi;     /* the range check on the quantized value, per the overflow rule */
    bool fits64;        /* (product plans) every exact product fits in an int64_t */
    bool a_u64, b_u64;  /* (product plans) a factor is ap_ufixed<64,..>: raws need widening */
    bool fast64;        /* AP_TRN or AP_RND dropping 1..62 bits: int64 arithmetic when v fits */
    int64_t lo64, hi64; /* lo, hi (W <= 64, so they fit) */
    int64_t pmax;       /* (product plans with fits64) the largest |product| */
} l0_fx_plan;

/* Plan for casting from values with `vfrac` fractional bits that lie in [vmin, vmax] (exact
 * integers). Use l0_fx_plan_for_type() when the source is a type. */
void l0_fx_plan_make(l0_fx_plan *p, int vfrac, l0_wide vmin, l0_wide vmax, const l0_fx_type *to);
void l0_fx_plan_for_type(l0_fx_plan *p, const l0_fx_type *from, const l0_fx_type *to);
/* Plan for exact products of a value of type a by a value of type b. For two ap_ufixed<64,..>
 * factors the plan is never an identity; cast their products with l0_fx_dot. */
void l0_fx_plan_for_product(l0_fx_plan *p, const l0_fx_type *a, const l0_fx_type *b,
                            const l0_fx_type *to);

int64_t l0_fx_plan_cast_slow(const l0_fx_plan *p, l0_wide v, int *ovf);

/* Cast v (which must lie within the plan's source bounds when the plan is an identity). */
static inline int64_t l0_fx_plan_cast(const l0_fx_plan *p, l0_wide v, int *ovf) {
    if (p->identity) {
        if (ovf) *ovf = 0;
        return (int64_t)l0_wide_shl(v, -p->shift);
    }
    if (p->fast64 && v >= INT64_MIN && v <= INT64_MAX) {
        /* floor(v / 2^d), plus the first dropped bit for AP_RND; in range: done */
        int64_t x = (int64_t)v, q = x >> p->shift;
        if (p->to.q == L0_FX_RND) q += (x >> (p->shift - 1)) & 1;
        if (q >= p->lo64 && q <= p->hi64) {
            if (ovf) *ovf = 0;
            return q;
        }
    }
    return l0_fx_plan_cast_slow(p, v, ovf);
}

/* One Dense-layer accumulation, as the numeric contract says: the accumulator starts at acc0 (a
 * raw of prod->to, the accum type); each exact product x[i] * w[i] (raws of the plan's factor
 * types) is cast to the accum type by `prod`, and the sum wraps in the accum type (modular, so
 * the order of additions does not matter). *ovf (if not NULL) grows by the number of product
 * casts that overflowed, plus one if the exact sum did not fit the accum type. No allocation. */
int64_t l0_fx_dot_any(const l0_fx_plan *prod, const int64_t *x, const int64_t *w, size_t n,
                      int64_t acc0, uint64_t *ovf);
static inline int64_t l0_fx_dot(const l0_fx_plan *prod, const int64_t *x, const int64_t *w,
                                size_t n, int64_t acc0, uint64_t *ovf) {
    if (prod->identity && prod->fits64 &&
        (l0_wide)prod->pmax * (l0_wide)(n + 1) <= (l0_wide)(INT64_MAX / 2)) {
        /* the common case, inline: exact products whose sum stays in int64, aligned once */
        const l0_fx_type *t = &prod->to;
        int64_t s64 = 0;
        for (size_t i = 0; i < n; i++) s64 += x[i] * w[i];
        l0_wide s = l0_wide_shl((l0_wide)s64, -prod->shift) + l0_fx_wide(t, acc0);
        uint64_t u = (uint64_t)s;
        if (t->w < 64) {
            uint64_t mask = (UINT64_C(1) << t->w) - 1;
            u &= mask;
            if (t->is_signed && ((u >> (t->w - 1)) & 1)) u |= ~mask;
        }
        int64_t r = (int64_t)u;
        if (ovf && l0_fx_wide(t, r) != s) *ovf += 1;
        return r;
    }
    return l0_fx_dot_any(prod, x, w, n, acc0, ovf);
}

/* --- text ---------------------------------------------------------------------------------- */

/* The value of raw as an exact decimal string when it fits in 128-bit arithmetic
 * (-63 <= F <= 64), else the nearest double with 17 significant digits prefixed by '~'. */
int l0_fx_value_str(const l0_fx_type *t, int64_t raw, char *buf, size_t n);

/* The W stored bits, MSB first, with the binary point: ap_fixed<16,6> and -18.375 give
 * "101101.1010000000". When I >= W the point follows I - W implied zeros in brackets
 * ("1011[00]."); when I <= 0 it precedes -I implied sign (or zero) bits in brackets
 * (".[11]1011"). */
int l0_fx_bits_str(const l0_fx_type *t, int64_t raw, char *buf, size_t n);

/* Parse a raw given as a decimal integer (its true value) or as 0x/0b bit pattern of at most
 * W bits; fills *raw (stored form). Returns 0 or L0_FX_EPARSE / L0_FX_ERANGE with err. */
int l0_fx_parse_raw(const char *s, const l0_fx_type *t, int64_t *raw, l0_err *err);

#endif
