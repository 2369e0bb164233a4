#include "l0_fx.h"

#include <ctype.h>
#include <math.h>
#include <stdio.h>
#include <string.h>

static const char *const QUANT_NAMES[L0_FX_QUANT_COUNT] = {
    "AP_TRN", "AP_TRN_ZERO", "AP_RND", "AP_RND_ZERO", "AP_RND_MIN_INF", "AP_RND_INF", "AP_RND_CONV",
};
static const char *const OVF_NAMES[L0_FX_OVF_COUNT] = {"AP_WRAP", "AP_SAT", "AP_SAT_ZERO",
                                                       "AP_SAT_SYM"};

const char *l0_fx_quant_name(l0_fx_quant q) {
    return (unsigned)q < L0_FX_QUANT_COUNT ? QUANT_NAMES[q] : "?";
}
const char *l0_fx_ovf_name(l0_fx_ovf o) {
    return (unsigned)o < L0_FX_OVF_COUNT ? OVF_NAMES[o] : "?";
}

int l0_fx_type_make(l0_fx_type *t, int w, int i, bool is_signed, l0_fx_quant q, l0_fx_ovf o,
                    l0_err *err) {
    if (w < 1 || w > L0_FX_W_MAX) {
        l0_err_set(err, "width W must be 1..%d, got %d", L0_FX_W_MAX, w);
        return L0_FX_ERANGE;
    }
    if (i < -L0_FX_I_LIMIT || i > L0_FX_I_LIMIT) {
        l0_err_set(err, "integer bits I must be %d..%d, got %d", -L0_FX_I_LIMIT, L0_FX_I_LIMIT, i);
        return L0_FX_ERANGE;
    }
    if ((unsigned)q >= L0_FX_QUANT_COUNT || (unsigned)o >= L0_FX_OVF_COUNT) {
        l0_err_set(err, "unknown quantization or overflow mode");
        return L0_FX_ERANGE;
    }
    t->w = w;
    t->i = i;
    t->is_signed = is_signed;
    t->q = q;
    t->o = o;
    return L0_FX_OK;
}

/* --- parsing -------------------------------------------------------------------------------- */

typedef struct parser {
    const char *s, *p;
    l0_err *err;
} parser;

static void skip_ws(parser *ps) {
    while (isspace((unsigned char)*ps->p)) ps->p++;
}

static int parse_fail(parser *ps, const char *what) {
    l0_err_set(ps->err, "bad fixed-point type '%s': %s at column %d", ps->s, what,
               (int)(ps->p - ps->s) + 1);
    return L0_FX_EPARSE;
}

static int expect_char(parser *ps, char c) {
    skip_ws(ps);
    if (*ps->p != c) {
        char what[64];
        if (*ps->p)
            snprintf(what, sizeof what, "expected '%c', found '%c'", c, *ps->p);
        else
            snprintf(what, sizeof what, "expected '%c', found the end", c);
        return parse_fail(ps, what);
    }
    ps->p++;
    return 0;
}

static int parse_int(parser *ps, const char *name, long *out) {
    skip_ws(ps);
    const char *start = ps->p;
    if (*ps->p == '-' || *ps->p == '+') ps->p++;
    if (!isdigit((unsigned char)*ps->p)) {
        ps->p = start;
        char what[64];
        snprintf(what, sizeof what, "expected an integer for %s", name);
        return parse_fail(ps, what);
    }
    long v = 0;
    while (isdigit((unsigned char)*ps->p)) {
        if (v < 100000) v = v * 10 + (*ps->p - '0');
        ps->p++;
    }
    *out = *start == '-' ? -v : v;
    return 0;
}

/* Read an identifier-like mode token; return its index in names (with or without "AP_"). */
static int parse_mode(parser *ps, const char *const *names, int count, const char *kind) {
    skip_ws(ps);
    const char *start = ps->p;
    while (isalnum((unsigned char)*ps->p) || *ps->p == '_') ps->p++;
    size_t n = (size_t)(ps->p - start);
    for (int k = 0; k < count; k++) {
        const char *full = names[k], *bare = names[k] + 3;
        if ((n == strlen(full) && !strncmp(start, full, n)) ||
            (n == strlen(bare) && !strncmp(start, bare, n)))
            return k;
    }
    char what[128];
    snprintf(what, sizeof what, "unknown %s mode '%.*s'", kind, (int)(n < 40 ? n : 40), start);
    ps->p = start;
    return parse_fail(ps, what);
}

int l0_fx_parse(const char *s, l0_fx_type *t, l0_err *err) {
    parser ps = {s, s, err};
    static const struct {
        const char *name;
        bool is_signed, is_int;
    } KINDS[] = {
        {"ap_fixed", true, false}, {"ap_ufixed", false, false}, {"fixed", true, false},
        {"ufixed", false, false},  {"ap_int", true, true},      {"ap_uint", false, true},
        {"int", true, true},       {"uint", false, true},
    };
    skip_ws(&ps);
    const char *start = ps.p;
    while (isalnum((unsigned char)*ps.p) || *ps.p == '_') ps.p++;
    size_t n = (size_t)(ps.p - start);
    int kind = -1;
    for (size_t k = 0; k < sizeof KINDS / sizeof KINDS[0]; k++)
        if (n == strlen(KINDS[k].name) && !strncmp(start, KINDS[k].name, n)) kind = (int)k;
    if (kind < 0) {
        ps.p = start;
        return parse_fail(&ps, "expected ap_fixed, ap_ufixed, fixed, ufixed, ap_int, ap_uint, "
                               "int or uint");
    }
    long w = 0, i = 0, nbits = 0;
    int q = L0_FX_TRN, o = L0_FX_WRAP;
    if (expect_char(&ps, '<') || parse_int(&ps, "W", &w)) return L0_FX_EPARSE;
    if (KINDS[kind].is_int) {
        i = w;
    } else {
        if (expect_char(&ps, ',') || parse_int(&ps, "I", &i)) return L0_FX_EPARSE;
        skip_ws(&ps);
        if (*ps.p == ',') {
            ps.p++;
            if ((q = parse_mode(&ps, QUANT_NAMES, L0_FX_QUANT_COUNT, "quantization")) < 0)
                return L0_FX_EPARSE;
            skip_ws(&ps);
            if (*ps.p == ',') {
                ps.p++;
                if ((o = parse_mode(&ps, OVF_NAMES, L0_FX_OVF_COUNT, "overflow")) < 0)
                    return L0_FX_EPARSE;
                skip_ws(&ps);
                if (*ps.p == ',') {
                    ps.p++;
                    if (parse_int(&ps, "N (saturation bits)", &nbits)) return L0_FX_EPARSE;
                    if (nbits != 0)
                        return parse_fail(&ps, "saturation bits N other than 0 are not supported");
                }
            }
        }
    }
    if (expect_char(&ps, '>')) return L0_FX_EPARSE;
    skip_ws(&ps);
    if (*ps.p) return parse_fail(&ps, "unexpected text after '>'");
    l0_err sub;
    if (l0_fx_type_make(t, (int)w, (int)i, KINDS[kind].is_signed, (l0_fx_quant)q, (l0_fx_ovf)o,
                        &sub) != L0_FX_OK) {
        l0_err_set(err, "bad fixed-point type '%s': %s", s, sub.msg);
        return L0_FX_ERANGE;
    }
    return L0_FX_OK;
}

int l0_fx_type_str(const l0_fx_type *t, char *buf, size_t n) {
    const char *name = t->is_signed ? "ap_fixed" : "ap_ufixed";
    if (t->q == L0_FX_TRN && t->o == L0_FX_WRAP)
        return snprintf(buf, n, "%s<%d,%d>", name, t->w, t->i);
    return snprintf(buf, n, "%s<%d,%d,%s,%s>", name, t->w, t->i, l0_fx_quant_name(t->q),
                    l0_fx_ovf_name(t->o));
}

bool l0_fx_raw_valid(const l0_fx_type *t, int64_t raw) {
    l0_wide v = l0_fx_wide(t, raw);
    if (t->w == 64) return true; /* every 64-bit pattern is a value of either signedness */
    return v >= l0_fx_raw_min(t) && v <= l0_fx_raw_max(t);
}

/* --- casting -------------------------------------------------------------------------------- */

/* Bit k of v in two's complement, v sign-extended to infinity. */
static inline int bit_of(l0_wide v, int k) {
    return k >= 127 ? (v < 0) : (int)(((l0_uwide)v >> k) & 1);
}

/* Whether any of bits 0..n-1 of v (sign-extended to infinity) is set. */
static inline int low_nonzero(l0_wide v, int n) {
    if (n <= 0) return 0;
    if (n >= 128) return v != 0;
    return ((l0_uwide)v & (((l0_uwide)1 << n) - 1)) != 0;
}

/* Round v * 2^-d to an integer (d >= 1) by mode q, from the floor and the dropped bits, as
 * ap_types does: qb is the first dropped bit, r whether any later dropped bit is set. */
static inline l0_wide quantize(l0_wide v, int d, l0_fx_quant q) {
    l0_wide fl = d >= 127 ? (v < 0 ? -1 : 0) : v >> d;
    if (q == L0_FX_TRN) return fl;
    int qb = bit_of(v, d - 1), r = low_nonzero(v, d - 1), neg = v < 0, inc;
    switch (q) {
    case L0_FX_TRN_ZERO:
        inc = neg && (qb || r);
        break;
    case L0_FX_RND:
        inc = qb;
        break;
    case L0_FX_RND_ZERO:
        inc = qb && (neg || r);
        break;
    case L0_FX_RND_MIN_INF:
        inc = qb && r;
        break;
    case L0_FX_RND_INF:
        inc = qb && (!neg || r);
        break;
    case L0_FX_RND_CONV:
        inc = qb && ((int)(fl & 1) || r);
        break;
    default:
        inc = 0;
        break;
    }
    return fl + inc;
}

/* The low W bits of u as a stored raw (sign-extended for signed types). */
static inline int64_t wrap_bits(l0_uwide u, int w, bool is_signed) {
    uint64_t x = (uint64_t)u;
    if (w < 64) {
        uint64_t mask = (UINT64_C(1) << w) - 1;
        x &= mask;
        if (is_signed && ((x >> (w - 1)) & 1)) x |= ~mask;
    }
    return (int64_t)x;
}

static inline int64_t store(l0_wide q) {
    return (int64_t)(uint64_t)(l0_uwide)q;
}

/* The target's min and max raws, and the range check bounds lo, hi: [min, max], except for
 * signed AP_SAT_SYM with W > 1 where lo = -max (min itself saturates to -max). */
static void plan_init(l0_fx_plan *p, int vfrac, const l0_fx_type *to) {
    p->to = *to;
    p->shift = vfrac - l0_fx_frac(to);
    p->no_quant = p->shift <= 0;
    p->identity = false;
    p->fits64 = false;
    p->a_u64 = p->b_u64 = false;
    p->hi = l0_fx_raw_max(to);
    p->lo = l0_fx_raw_min(to);
    if (to->o == L0_FX_SAT_SYM && to->is_signed && to->w > 1) p->lo = -p->hi;
    p->lo64 = (int64_t)p->lo;
    p->hi64 = (int64_t)p->hi;
    p->fast64 = p->shift >= 1 && p->shift <= 62 && (to->q == L0_FX_TRN || to->q == L0_FX_RND);
    p->pmax = 0;
}

/* For a left shift by s > 0: the source range [lo_s, hi_s] whose shifted values stay in [lo, hi]
 * (ceil(lo / 2^s), floor(hi / 2^s); lo <= 0 <= hi). */
static inline void shifted_bounds(const l0_fx_plan *p, int s, l0_wide *lo_s, l0_wide *hi_s) {
    int sc = s > 127 ? 127 : s;
    *hi_s = p->hi >> sc;
    *lo_s = -((-p->lo) >> sc);
}

static int64_t overflow(const l0_fx_plan *p, bool above, l0_uwide low_bits, int *ovf) {
    const l0_fx_type *t = &p->to;
    if (ovf) *ovf = 1;
    switch (t->o) {
    case L0_FX_WRAP:
        return wrap_bits(low_bits, t->w, t->is_signed);
    case L0_FX_SAT_ZERO:
        return 0;
    case L0_FX_SAT:
    case L0_FX_SAT_SYM:
    default:
        return store(above ? p->hi : p->lo);
    }
}

int64_t l0_fx_plan_cast_slow(const l0_fx_plan *p, l0_wide v, int *ovf) {
    l0_wide q;
    if (p->shift > 0) {
        q = quantize(v, p->shift, p->to.q);
    } else if (p->shift == 0) {
        q = v;
    } else {
        int s = -p->shift;
        l0_wide lo_s, hi_s;
        shifted_bounds(p, s, &lo_s, &hi_s);
        if (v >= lo_s && v <= hi_s) {
            if (ovf) *ovf = 0;
            return store(l0_wide_shl(v, s));
        }
        /* Too large for the target; the low W <= 64 bits of v * 2^s are all that wrapping
         * keeps, and they are 0 once s >= 64. */
        l0_uwide low = s >= 64 ? 0 : (l0_uwide)v << s;
        if (p->to.o == L0_FX_WRAP) {
            /* Wrapping may land back in range only by luck; the flag says a change happened. */
            if (ovf) *ovf = 1;
            return wrap_bits(low, p->to.w, p->to.is_signed);
        }
        return overflow(p, v > hi_s, low, ovf);
    }
    if (q >= p->lo && q <= p->hi) {
        if (ovf) *ovf = 0;
        return store(q);
    }
    return overflow(p, q > p->hi, (l0_uwide)q, ovf);
}

int64_t l0_fx_cast_wide(l0_wide v, int vfrac, const l0_fx_type *t, int *ovf) {
    l0_fx_plan p;
    plan_init(&p, vfrac, t);
    return l0_fx_plan_cast_slow(&p, v, ovf);
}

void l0_fx_plan_make(l0_fx_plan *p, int vfrac, l0_wide vmin, l0_wide vmax, const l0_fx_type *to) {
    plan_init(p, vfrac, to);
    if (p->shift > 0) return;
    int s = -p->shift;
    l0_wide lo_s = p->lo, hi_s = p->hi;
    if (s > 0) shifted_bounds(p, s, &lo_s, &hi_s);
    p->identity = s < 64 && vmin >= lo_s && vmax <= hi_s;
}

void l0_fx_plan_for_type(l0_fx_plan *p, const l0_fx_type *from, const l0_fx_type *to) {
    l0_fx_plan_make(p, l0_fx_frac(from), l0_fx_raw_min(from), l0_fx_raw_max(from), to);
}

void l0_fx_plan_for_product(l0_fx_plan *p, const l0_fx_type *a, const l0_fx_type *b,
                            const l0_fx_type *to) {
    bool a_u64 = !a->is_signed && a->w == 64, b_u64 = !b->is_signed && b->w == 64;
    l0_wide mn, mx;
    if (a_u64 && b_u64) {
        /* [0, (2^64-1)^2]: beyond l0_wide, and never an identity into a <= 64-bit type. */
        mn = 0;
        mx = (l0_wide)(((l0_uwide)1 << 127) - 1);
    } else {
        /* The product's extremes are among the products of the factors' extremes. */
        l0_wide e[4] = {l0_fx_raw_min(a) * l0_fx_raw_min(b), l0_fx_raw_min(a) * l0_fx_raw_max(b),
                        l0_fx_raw_max(a) * l0_fx_raw_min(b), l0_fx_raw_max(a) * l0_fx_raw_max(b)};
        mn = mx = e[0];
        for (int k = 1; k < 4; k++) {
            if (e[k] < mn) mn = e[k];
            if (e[k] > mx) mx = e[k];
        }
    }
    l0_fx_plan_make(p, l0_fx_frac(a) + l0_fx_frac(b), mn, mx, to);
    if (a_u64 && b_u64) p->identity = false;
    p->fits64 = mn >= INT64_MIN && mx <= INT64_MAX;
    if (p->fits64) {
        l0_wide am = mn < 0 ? -mn : mn;
        p->pmax = (int64_t)(am > mx ? am : mx);
    }
    p->a_u64 = a_u64;
    p->b_u64 = b_u64;
}

/* Cast a non-negative product u (up to 2^128 - 1) by plan p: what l0_fx_plan_cast does for
 * values that do not fit l0_wide. Below 2^127 it is that; above, the value is huge: if the plan
 * drops d >= 3 bits, keep the dropped bits as a sticky bit (floor, first dropped bit and the OR
 * of the others are unchanged) and cast u / 2 exactly; if d < 3 the rounded value exceeds 2^125,
 * beyond any type, and only the overflow mode (and, for AP_WRAP, the low bits) matter. */
static int64_t cast_uwide(const l0_fx_plan *p, l0_uwide u, int *ovf) {
    if (!(u >> 127)) return l0_fx_plan_cast(p, (l0_wide)u, ovf);
    int d = p->shift;
    if (d >= 3) {
        l0_fx_plan q = *p;
        q.shift = d - 1;
        q.identity = false;
        return l0_fx_plan_cast_slow(&q, (l0_wide)((u >> 1) | (u & 1)), ovf);
    }
    /* d <= 0: only the low W <= 64 bits of u * 2^-d matter */
    l0_uwide fl = d > 0 ? u >> d : (-d >= 128 ? 0 : u << -d);
    if (d > 0) {
        int qb = (int)((u >> (d - 1)) & 1);
        int r = d >= 2 && (u & (((l0_uwide)1 << (d - 1)) - 1)) != 0;
        int inc = 0;
        switch (p->to.q) {
        case L0_FX_RND:
        case L0_FX_RND_INF:
            inc = qb;
            break;
        case L0_FX_RND_ZERO:
        case L0_FX_RND_MIN_INF:
            inc = qb && r;
            break;
        case L0_FX_RND_CONV:
            inc = qb && ((int)(fl & 1) || r);
            break;
        default:
            inc = 0;
            break; /* AP_TRN, AP_TRN_ZERO: the value is positive */
        }
        fl += (l0_uwide)inc;
    }
    return overflow(p, true, fl, ovf);
}

int64_t l0_fx_dot_any(const l0_fx_plan *prod, const int64_t *x, const int64_t *w, size_t n,
                      int64_t acc0, uint64_t *ovf) {
    const l0_fx_type *t = &prod->to;
    l0_wide s = 0;
    uint64_t novf = 0;
    if (prod->identity && prod->fits64 &&
        (l0_wide)prod->pmax * (l0_wide)(n + 1) <= (l0_wide)(INT64_MAX / 2)) {
        /* Exact products, and their sum cannot leave int64: sum in int64, align once. */
        int64_t s64 = 0;
        for (size_t i = 0; i < n; i++) s64 += x[i] * w[i];
        s = l0_wide_shl((l0_wide)s64, -prod->shift);
    } else if (prod->identity && prod->fits64) {
        /* Every product is exact in the accum type: sum the int64 products, align once. */
        for (size_t i = 0; i < n; i++) s += (l0_wide)(x[i] * w[i]);
        s = l0_wide_shl(s, -prod->shift);
    } else {
        for (size_t i = 0; i < n; i++) {
            int o;
            if (prod->a_u64 && prod->b_u64) {
                l0_uwide u = (l0_uwide)(uint64_t)x[i] * (uint64_t)w[i];
                s += l0_fx_wide(t, cast_uwide(prod, u, &o));
            } else {
                l0_wide a = prod->a_u64 ? (l0_wide)(uint64_t)x[i] : (l0_wide)x[i];
                l0_wide b = prod->b_u64 ? (l0_wide)(uint64_t)w[i] : (l0_wide)w[i];
                s += l0_fx_wide(t, l0_fx_plan_cast(prod, a * b, &o));
            }
            novf += (uint64_t)o;
        }
    }
    s += l0_fx_wide(t, acc0);
    int64_t r = wrap_bits((l0_uwide)s, t->w, t->is_signed);
    novf += l0_fx_wide(t, r) != s;
    if (ovf) *ovf += novf;
    return r;
}

int l0_fx_from_double(double x, const l0_fx_type *t, int64_t *raw, int *ovf) {
    if (!isfinite(x)) return L0_FX_ENONFINITE;
    l0_wide v = 0;
    int vfrac = 0;
    if (x != 0) {
        /* x = m * 2^e exactly, with |m| < 2^53 an integer. */
        int e;
        double m = frexp(x, &e);
        v = (l0_wide)(int64_t)ldexp(m, 53);
        vfrac = 53 - e;
    }
    *raw = l0_fx_cast_wide(v, vfrac, t, ovf);
    return L0_FX_OK;
}

double l0_fx_to_double(const l0_fx_type *t, int64_t raw) {
    return ldexp((double)l0_fx_wide(t, raw), -l0_fx_frac(t));
}

l0_wide l0_fx_add(const l0_fx_type *ta, int64_t a, const l0_fx_type *tb, int64_t b, int *frac) {
    int fa = l0_fx_frac(ta), fb = l0_fx_frac(tb), f = fa > fb ? fa : fb;
    *frac = f;
    return l0_wide_shl(l0_fx_wide(ta, a), f - fa) + l0_wide_shl(l0_fx_wide(tb, b), f - fb);
}

/* --- text ----------------------------------------------------------------------------------- */

static int u128_str(l0_uwide u, char *buf, size_t n) {
    char tmp[48];
    int k = 0;
    do {
        tmp[k++] = (char)('0' + (int)(u % 10));
        u /= 10;
    } while (u);
    size_t j = 0;
    while (k > 0 && j + 1 < n) buf[j++] = tmp[--k];
    if (n) buf[j] = '\0';
    return (int)j;
}

int l0_fx_value_str(const l0_fx_type *t, int64_t raw, char *buf, size_t n) {
    int f = l0_fx_frac(t);
    l0_wide v = l0_fx_wide(t, raw);
    if (f < -63 || f > 64) return snprintf(buf, n, "~%.17g", l0_fx_to_double(t, raw));
    char out[256];
    size_t k = 0;
    l0_uwide mag = v < 0 ? (l0_uwide)0 - (l0_uwide)v : (l0_uwide)v;
    if (v < 0) out[k++] = '-';
    if (f <= 0) {
        k += (size_t)u128_str(mag << -f, out + k, sizeof out - k);
    } else {
        l0_uwide mask = ((l0_uwide)1 << f) - 1, fp = mag & mask;
        k += (size_t)u128_str(mag >> f, out + k, sizeof out - k);
        if (fp) {
            out[k++] = '.';
            while (fp && k + 1 < sizeof out) {
                fp *= 10;
                out[k++] = (char)('0' + (int)(fp >> f));
                fp &= mask;
            }
        }
    }
    out[k] = '\0';
    return snprintf(buf, n, "%s", out);
}

int l0_fx_bits_str(const l0_fx_type *t, int64_t raw, char *buf, size_t n) {
    char out[L0_FX_W_MAX + L0_FX_I_LIMIT + 8];
    size_t k = 0;
    uint64_t u = (uint64_t)raw;
    int msb = (int)((u >> (t->w - 1)) & 1);
    if (t->i <= 0) {
        out[k++] = '.';
        if (t->i < 0) {
            out[k++] = '[';
            for (int j = 0; j < -t->i; j++) out[k++] = (t->is_signed && msb) ? '1' : '0';
            out[k++] = ']';
        }
    }
    for (int b = t->w - 1; b >= 0; b--) {
        out[k++] = (char)('0' + (int)((u >> b) & 1));
        if (t->i > 0 && t->i < t->w && b == t->w - t->i) out[k++] = '.';
    }
    if (t->i >= t->w) {
        if (t->i > t->w) {
            out[k++] = '[';
            for (int j = 0; j < t->i - t->w; j++) out[k++] = '0';
            out[k++] = ']';
        }
        out[k++] = '.';
    }
    out[k] = '\0';
    return snprintf(buf, n, "%s", out);
}

int l0_fx_parse_raw(const char *s, const l0_fx_type *t, int64_t *raw, l0_err *err) {
    const char *p = s;
    char tname[64];
    l0_fx_type_str(t, tname, sizeof tname);
    while (isspace((unsigned char)*p)) p++;
    if (p[0] == '0' && (p[1] == 'x' || p[1] == 'X' || p[1] == 'b' || p[1] == 'B')) {
        int base = (p[1] == 'x' || p[1] == 'X') ? 16 : 2, nd = 0;
        l0_uwide u = 0;
        for (p += 2; *p; p++, nd++) {
            int d = isdigit((unsigned char)*p) ? *p - '0'
                    : (base == 16 && isxdigit((unsigned char)*p))
                        ? (tolower((unsigned char)*p) - 'a' + 10)
                        : -1;
            if (d < 0 || d >= base) {
                l0_err_set(err, "bad raw '%s': '%c' is not a base-%d digit", s, *p, base);
                return L0_FX_EPARSE;
            }
            if (u >> 64) break; /* already too wide; reported below */
            u = u * (unsigned)base + (unsigned)d;
        }
        if (nd == 0) {
            l0_err_set(err, "bad raw '%s': no digits", s);
            return L0_FX_EPARSE;
        }
        if (*p || (t->w < 64 && u >> t->w) || u >> 64) {
            l0_err_set(err, "raw bit pattern '%s' has more than the %d bits of %s", s, t->w, tname);
            return L0_FX_ERANGE;
        }
        *raw = wrap_bits(u, t->w, t->is_signed);
        return L0_FX_OK;
    }
    int neg = 0;
    if (*p == '-' || *p == '+') neg = *p++ == '-';
    if (!isdigit((unsigned char)*p)) {
        l0_err_set(err, "bad raw '%s': expected an integer, 0x hex or 0b binary bits", s);
        return L0_FX_EPARSE;
    }
    l0_uwide u = 0;
    for (; isdigit((unsigned char)*p); p++)
        if (!(u >> 70)) u = u * 10 + (unsigned)(*p - '0');
    while (isspace((unsigned char)*p)) p++;
    if (*p) {
        l0_err_set(err, "bad raw '%s': unexpected '%c'", s, *p);
        return L0_FX_EPARSE;
    }
    l0_wide v = neg ? -(l0_wide)u : (l0_wide)u;
    if (u >> 70 || v < l0_fx_raw_min(t) || v > l0_fx_raw_max(t)) {
        char lo[48], hi[48];
        l0_wide mn = l0_fx_raw_min(t);
        lo[0] = '-';
        u128_str(mn < 0 ? (l0_uwide)0 - (l0_uwide)mn : 0, lo + (mn < 0), sizeof lo - 1);
        u128_str((l0_uwide)l0_fx_raw_max(t), hi, sizeof hi);
        l0_err_set(err, "raw %s out of range [%s, %s] of %s", s, lo, hi, tname);
        return L0_FX_ERANGE;
    }
    *raw = store(v);
    return L0_FX_OK;
}
