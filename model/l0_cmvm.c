#include "l0_cmvm.h"

#include <stdlib.h>
#include <string.h>

#include "l0_csd.h"

/* Values are integers in a base unit of 2^-FB, FB = max(AF, XF + WF): the exact product
 * x_raw * w_raw is x_raw * w_raw * 2^(FB - XF - WF) base units, the accumulator's raw is
 * 2^(FB - AF) base units. A node holds an integer m (its bits) standing for m * 2^e base units. */

enum { K_IN, K_CONST, K_ADD, K_QCAST };

typedef struct cnode {
    int kind;
    int a, b;   /* operands (K_ADD: a may be -1 for zero; K_QCAST: a) */
    int ga, gb; /* +1 or -1: V = ga * V_a * 2^sa + gb * V_b * 2^sb, relative to this e */
    int sa, sb;
    int e;          /* the LSB's exponent, base units */
    l0_wide lo, hi; /* range of m */
    int w;          /* bits of m, two's complement */
    int level;
    int in;        /* K_IN: the input */
    l0_wide cval;  /* K_CONST: m */
    int linear;    /* V is a linear function of the inputs with coefficients coef */
    l0_wide *coef; /* n_in coefficients of V (base units per input raw) */
    l0_wide c0;    /* the constant part of V, base units */
    int shared;    /* built by the common-subexpression pass */
    int uses;
    int stage; /* pipeline stage it is computed in */
    int need;  /* the last stage that reads it (registered copies up to need - 1) */
} cnode;

typedef struct term {
    int n, s, g;
} term;

typedef struct tlist {
    term *t;
    int n, cap;
} tlist;

typedef struct cout {
    int sum;           /* node of the exact sum S (shifted by sum_s, sign +) */
    int sum_s;         /* S = V_sum * 2^sum_s */
    int wrap;          /* the accumulator's wrap is needed */
    int e_acc;         /* exponent of S's LSB in accumulator raw units */
    l0_fx_type t_cast; /* the result type with the quantization and overflow actually needed */
    l0_wide out_lo, out_hi;
    int relu_mux;
    int level, stage;
} cout;

struct l0_cmvm {
    l0_cmvm_spec s;
    int64_t *w, *bias;
    int fb, e_in, e_acc; /* FB, inputs' e, accumulator raw's e (base units) */
    int exact;           /* product casts are exact */
    int fold_rnd;        /* AP_RND's half LSB is in the bias constant */
    cnode *nd;
    int nn, cap;
    cout *out;
    int depth, levels;
    l0_wide out_lo, out_hi;
    int digits, zero_w;
};

/* --- helpers ----------------------------------------------------------------------------- */

static int swidth(l0_wide lo, l0_wide hi) {
    int w = 1;
    while (w < 126) {
        l0_wide mn = -((l0_wide)1 << (w - 1)), mx = ((l0_wide)1 << (w - 1)) - 1;
        if (lo >= mn && hi <= mx) break;
        w++;
    }
    return w;
}

static l0_wide shl(l0_wide v, int s) {
    return l0_wide_shl(v, s);
}

/* floor(v / 2^s) */
static l0_wide shr(l0_wide v, int s) {
    return s <= 0 ? shl(v, -s) : v >> s;
}

static int new_node(l0_cmvm *c, l0_err *err) {
    if (c->nn == c->cap) {
        int cap = c->cap ? c->cap * 2 : 256;
        cnode *p = realloc(c->nd, (size_t)cap * sizeof *p);
        if (!p) return l0_err_set(err, "out of memory"), -1;
        c->nd = p;
        c->cap = cap;
    }
    cnode *n = &c->nd[c->nn];
    memset(n, 0, sizeof *n);
    n->a = n->b = -1;
    n->ga = n->gb = 1;
    return c->nn++;
}

static int tl_push(tlist *l, term t) {
    if (l->n == l->cap) {
        int cap = l->cap ? l->cap * 2 : 16;
        term *p = realloc(l->t, (size_t)cap * sizeof *p);
        if (!p) return -1;
        l->t = p;
        l->cap = cap;
    }
    l->t[l->n++] = t;
    return 0;
}

/* The range of V = c0 + sum coef_i x_i over the inputs' box, in base units. */
static void lin_range(const l0_cmvm *c, const cnode *n, l0_wide *lo, l0_wide *hi) {
    l0_wide a = n->c0, b = n->c0;
    for (int i = 0; i < c->s.n_in; i++) {
        l0_wide k = n->coef[i];
        if (k > 0) {
            a += k * c->s.x_lo;
            b += k * c->s.x_hi;
        } else if (k < 0) {
            a += k * c->s.x_hi;
            b += k * c->s.x_lo;
        }
    }
    *lo = a;
    *hi = b;
}

/* Fill the exponent, range and width of node k from V's range in base units [vlo, vhi]. */
static int set_range(cnode *n, l0_wide vlo, l0_wide vhi, l0_err *err) {
    n->lo = vlo >> n->e; /* exact: V is a multiple of 2^e */
    n->hi = vhi >> n->e;
    n->w = swidth(n->lo, n->hi);
    if (n->w > 120) return l0_err_set(err, "a value of the layer needs more than 120 bits");
    return 0;
}

/* V_N = ga * V_a * 2^sa_abs + gb * V_b * 2^sb_abs (shifts relative to the operands' own e). */
static int make_add(l0_cmvm *c, int a, int ga, int sa, int b, int gb, int sb, l0_err *err) {
    int k = new_node(c, err);
    if (k < 0) return -1;
    cnode *n = &c->nd[k], *A = a >= 0 ? &c->nd[a] : NULL, *B = &c->nd[b];
    int ea = A ? A->e + sa : B->e + sb, eb = B->e + sb;
    n->kind = K_ADD;
    n->a = a;
    n->b = b;
    n->ga = ga;
    n->gb = gb;
    n->e = ea < eb ? ea : eb;
    n->sa = ea - n->e;
    n->sb = eb - n->e;
    n->level = ((A && A->level > B->level) ? A->level : B->level) + 1;
    n->linear = (!A || A->linear) && B->linear;
    l0_wide vlo, vhi;
    if (n->linear) {
        n->coef = calloc((size_t)c->s.n_in, sizeof *n->coef);
        if (!n->coef) return l0_err_set(err, "out of memory"), -1;
        for (int i = 0; i < c->s.n_in; i++)
            n->coef[i] = (A ? ga * shl(A->coef[i], sa) : 0) + gb * shl(B->coef[i], sb);
        n->c0 = (A ? ga * shl(A->c0, sa) : 0) + gb * shl(B->c0, sb);
        lin_range(c, n, &vlo, &vhi);
    } else { /* interval arithmetic: the operands depend on different inputs (products) */
        l0_wide alo = A ? shl(A->lo, A->e + sa) : 0, ahi = A ? shl(A->hi, A->e + sa) : 0;
        l0_wide blo = shl(B->lo, B->e + sb), bhi = shl(B->hi, B->e + sb);
        if (ga < 0) {
            l0_wide t = alo;
            alo = -ahi;
            ahi = -t;
        }
        if (gb < 0) {
            l0_wide t = blo;
            blo = -bhi;
            bhi = -t;
        }
        vlo = alo + blo;
        vhi = ahi + bhi;
    }
    if (A) A->uses++;
    B->uses++;
    return set_range(n, vlo, vhi, err) ? -1 : k;
}

static int make_const(l0_cmvm *c, l0_wide v, l0_err *err) {
    int k = new_node(c, err);
    if (k < 0) return -1;
    cnode *n = &c->nd[k];
    n->kind = K_CONST;
    n->e = 0;
    if (v != 0)
        while (((v >> n->e) & 1) == 0) n->e++;
    n->cval = v >> n->e;
    n->linear = 1;
    n->coef = calloc((size_t)c->s.n_in, sizeof *n->coef);
    if (!n->coef) return l0_err_set(err, "out of memory"), -1;
    n->c0 = v;
    return set_range(n, v, v, err) ? -1 : k;
}

/* --- common subexpressions ---------------------------------------------------------------- */

typedef struct pkey {
    int p, q, r, gg;
} pkey;

static pkey pair_key(const term *t1, const term *t2, int *fs, int *fg) {
    pkey k;
    if (t1->n < t2->n || (t1->n == t2->n && t2->s > t1->s)) {
        k.p = t1->n, k.q = t2->n, k.r = t2->s - t1->s, *fs = t1->s, *fg = t1->g;
    } else {
        k.p = t2->n, k.q = t1->n, k.r = t1->s - t2->s, *fs = t2->s, *fg = t2->g;
    }
    k.gg = t1->g * t2->g;
    return k;
}

static uint64_t key_pack(pkey k) {
    return ((uint64_t)k.p << 40) | ((uint64_t)k.q << 16) | ((uint64_t)(k.r + 128) << 1) |
           (uint64_t)(k.gg > 0);
}

static int eligible(const cnode *n) {
    return n->kind == K_IN || (n->kind == K_ADD && n->linear);
}

/* Greedy pairwise CSE over the term lists: the most frequent pair first, while a pair occurs
 * at least twice and the shared node stays within max_level adder levels. */
static int cse(l0_cmvm *c, tlist *ls, int nl, int max_level, l0_err *err) {
    size_t cap = 1 << 12;
    uint64_t *keys = NULL;
    int *cnt = NULL;
    int rc = -1;
    for (;;) {
        size_t pairs = 0;
        for (int o = 0; o < nl; o++) pairs += (size_t)ls[o].n * (size_t)(ls[o].n - 1) / 2;
        if (pairs == 0) break;
        while (cap < 2 * pairs) cap *= 2;
        free(keys);
        free(cnt);
        keys = malloc(cap * sizeof *keys);
        cnt = calloc(cap, sizeof *cnt);
        if (!keys || !cnt) {
            l0_err_set(err, "out of memory");
            goto done;
        }
        uint64_t best = 0;
        int best_n = 1;
        for (int o = 0; o < nl; o++) {
            const tlist *l = &ls[o];
            for (int i = 0; i < l->n; i++) {
                if (!eligible(&c->nd[l->t[i].n])) continue;
                for (int j = i + 1; j < l->n; j++) {
                    if (!eligible(&c->nd[l->t[j].n])) continue;
                    int fs, fg;
                    pkey k = pair_key(&l->t[i], &l->t[j], &fs, &fg);
                    if ((k.p == k.q && k.r == 0) || k.r < -100 || k.r > 100) continue;
                    int lv =
                        c->nd[k.p].level > c->nd[k.q].level ? c->nd[k.p].level : c->nd[k.q].level;
                    if (lv + 1 > max_level) continue;
                    uint64_t kk = key_pack(k);
                    size_t h = (size_t)((kk * 0x9E3779B97F4A7C15ULL) >> 20) & (cap - 1);
                    while (cnt[h] && keys[h] != kk) h = (h + 1) & (cap - 1);
                    keys[h] = kk;
                    cnt[h]++;
                    if (cnt[h] > best_n || (cnt[h] == best_n && best_n > 1 && kk < best)) {
                        best_n = cnt[h];
                        best = kk;
                    }
                }
            }
        }
        if (best_n < 2) break;
        pkey k = {(int)(best >> 40), (int)((best >> 16) & 0xFFFFFF),
                  (int)((best >> 1) & 0x7FFF) - 128, (best & 1) ? 1 : -1};
        /* r >= 0: V_N = V_p + gg V_q 2^r and a pair fg 2^fs (V_p + gg V_q 2^r) is the term
         * (N, fs, fg); r < 0: V_N = V_p 2^-r + gg V_q and the pair is (N, fs + r, fg). */
        int n = k.r >= 0 ? make_add(c, k.p, 1, 0, k.q, k.gg, k.r, err)
                         : make_add(c, k.p, 1, -k.r, k.q, k.gg, 0, err);
        if (n < 0) goto done;
        c->nd[n].shared = 1;
        for (int o = 0; o < nl; o++) {
            tlist *l = &ls[o];
            for (int i = 0; i < l->n; i++) {
                for (int j = i + 1; j < l->n; j++) {
                    int fs, fg;
                    pkey kk = pair_key(&l->t[i], &l->t[j], &fs, &fg);
                    if (kk.p != k.p || kk.q != k.q || kk.r != k.r || kk.gg != k.gg) continue;
                    term nt = {n, k.r >= 0 ? fs : fs + k.r, fg};
                    l->t[i] = nt;
                    l->t[j] = l->t[--l->n];
                    break;
                }
            }
        }
    }
    rc = 0;
done:
    free(keys);
    free(cnt);
    return rc;
}

/* Sum a term list in a tree, earliest terms first; returns the node of the sum, its shift and
 * sign in *s, *g. An empty list gives a zero constant. */
static int sum_tree(l0_cmvm *c, tlist *l, int *s, int *g, l0_err *err) {
    if (l->n == 0) {
        *s = 0;
        *g = 1;
        return make_const(c, 0, err);
    }
    while (l->n > 1) {
        int i1 = -1, i2 = -1;
        for (int i = 0; i < l->n; i++) {
            int lv = c->nd[l->t[i].n].level;
            if (i1 < 0 || lv < c->nd[l->t[i1].n].level) {
                i2 = i1;
                i1 = i;
            } else if (i2 < 0 || lv < c->nd[l->t[i2].n].level) {
                i2 = i;
            }
        }
        term a = l->t[i1], b = l->t[i2];
        /* keep a positive operand first; two negative ones add and carry the sign out */
        int gout = 1;
        if (a.g < 0 && b.g < 0) {
            a.g = b.g = 1;
            gout = -1;
        } else if (a.g < 0) {
            term t = a;
            a = b;
            b = t;
        }
        int n = make_add(c, a.n, a.g, a.s, b.n, b.g, b.s, err);
        if (n < 0) return -1;
        int hi = i1 > i2 ? i1 : i2, lo = i1 < i2 ? i1 : i2;
        l->t[lo] = (term){n, 0, gout};
        l->t[hi] = l->t[--l->n];
    }
    term t = l->t[0];
    if (t.g < 0) { /* 0 - V */
        int n = make_add(c, -1, 1, 0, t.n, -1, t.s, err);
        if (n < 0) return -1;
        *s = 0;
        *g = 1;
        return n;
    }
    *s = t.s;
    *g = 1;
    return t.n;
}

/* The cast of [lo, hi] (raws with `frac` fractional bits) to t; whether an end overflows. */
static int cast_range(l0_wide lo, l0_wide hi, int frac, const l0_fx_type *t, l0_wide *olo,
                      l0_wide *ohi) {
    int o1 = 0, o2 = 0;
    int64_t a = l0_fx_cast_wide(lo, frac, t, &o1), b = l0_fx_cast_wide(hi, frac, t, &o2);
    *olo = l0_fx_wide(t, a);
    *ohi = l0_fx_wide(t, b);
    return o1 || o2;
}

static void type_range(const l0_fx_type *t, l0_wide *lo, l0_wide *hi) {
    if (t->is_signed) {
        *lo = -((l0_wide)1 << (t->w - 1));
        *hi = ((l0_wide)1 << (t->w - 1)) - 1;
    } else {
        *lo = 0;
        *hi = ((l0_wide)1 << t->w) - 1;
    }
}

/* --- build ------------------------------------------------------------------------------- */

void l0_cmvm_free(l0_cmvm *c) {
    if (!c) return;
    for (int k = 0; k < c->nn; k++) free(c->nd[k].coef);
    free(c->nd);
    free(c->out);
    free(c->w);
    free(c->bias);
    free(c);
}

l0_cmvm *l0_cmvm_build(const l0_cmvm_spec *s, l0_err *err) {
    if (s->n_in < 1 || s->n_out < 1 || s->reg_every < 0 || s->reg_every > 8 || s->x_lo > s->x_hi) {
        l0_err_set(err, "cmvm: bad layer shape, reg_every or input range");
        return NULL;
    }
    l0_cmvm *c = calloc(1, sizeof *c);
    tlist *ls = NULL;
    int nl = 0;
    if (!c) goto oom;
    c->s = *s;
    size_t nw = (size_t)s->n_in * (size_t)s->n_out;
    c->w = malloc(nw * sizeof *c->w);
    c->bias = malloc((size_t)s->n_out * sizeof *c->bias);
    c->out = calloc((size_t)s->n_out, sizeof *c->out);
    if (!c->w || !c->bias || !c->out) goto oom;
    memcpy(c->w, s->w, nw * sizeof *c->w);
    memcpy(c->bias, s->bias, (size_t)s->n_out * sizeof *c->bias);
    c->s.w = c->w;
    c->s.bias = c->bias;
    int xf = l0_fx_frac(&s->t_x), wf = l0_fx_frac(&s->t_w), af = l0_fx_frac(&s->t_acc);
    if (xf + wf - af > 60 || af - xf - wf > 60) {
        l0_err_set(err, "cmvm: the accumulator's and the products' fraction bits differ by > 60");
        goto fail;
    }
    c->exact = af >= xf + wf;
    c->fb = c->exact ? af : xf + wf;
    c->e_in = c->fb - xf - wf;
    c->e_acc = c->fb - af;

    /* inputs */
    for (int i = 0; i < s->n_in; i++) {
        int k = new_node(c, err);
        if (k < 0) goto fail;
        cnode *n = &c->nd[k];
        n->kind = K_IN;
        n->in = i;
        n->e = c->e_in;
        n->linear = 1;
        n->coef = calloc((size_t)s->n_in, sizeof *n->coef);
        if (!n->coef) goto oom;
        n->coef[i] = shl(1, c->e_in);
        n->lo = s->x_lo;
        n->hi = s->x_hi;
        n->w = swidth(n->lo, n->hi);
    }

    /* The exact sum's range per output (before any sharing), to decide the accumulator's wrap
     * and whether AP_RND's half can join the bias. */
    l0_wide alo, ahi;
    type_range(&s->t_acc, &alo, &ahi);
    int rf = l0_fx_frac(&s->t_res);
    c->fold_rnd = s->t_res.q == L0_FX_RND && af > rf;
    for (int j = 0; j < s->n_out; j++) {
        l0_wide lo = s->bias[j], hi = s->bias[j];
        for (int i = 0; i < s->n_in; i++) {
            l0_wide w = s->w[(size_t)j * s->n_in + i];
            l0_wide p1 = w * s->x_lo, p2 = w * s->x_hi; /* product raws, XF + WF */
            if (!c->exact) { /* each product cast on its own: rounding moves it by < 1 LSB */
                p1 = shr(p1, xf + wf - af) - 1;
                p2 = shr(p2, xf + wf - af) + 1;
            } else {
                p1 = shl(p1, af - xf - wf);
                p2 = shl(p2, af - xf - wf);
            }
            lo += p1 < p2 ? p1 : p2;
            hi += p1 < p2 ? p2 : p1;
        }
        c->out[j].wrap = lo < alo || hi > ahi;
        if (c->out[j].wrap) c->fold_rnd = 0;
    }

    /* term lists: per output (exact), or per product (casts before the sum) */
    nl = c->exact ? s->n_out : (int)nw;
    ls = calloc((size_t)nl, sizeof *ls);
    if (!ls) goto oom;
    for (int j = 0; j < s->n_out; j++)
        for (int i = 0; i < s->n_in; i++) {
            int64_t w = s->w[(size_t)j * s->n_in + i];
            int pos[L0_CSD_MAX], sg[L0_CSD_MAX];
            int nd = l0_csd(w, pos, sg);
            c->digits += nd;
            c->zero_w += w == 0;
            tlist *l = &ls[c->exact ? j : j * s->n_in + i];
            for (int d = 0; d < nd; d++)
                if (tl_push(l, (term){i, pos[d], sg[d]})) goto oom;
        }
    if (cse(c, ls, nl, 3, err)) goto fail; /* sharing saturates by 3 levels (measured) */

    tlist *sums = ls;
    tlist *prods = NULL;
    if (!c->exact) { /* each product summed and cast to the accumulator's LSB, then the sums */
        prods = calloc((size_t)s->n_out, sizeof *prods);
        if (!prods) goto oom;
        for (int j = 0; j < s->n_out; j++)
            for (int i = 0; i < s->n_in; i++) {
                tlist *l = &ls[j * s->n_in + i];
                if (l->n == 0) continue; /* a zero weight: a zero product, whatever the cast */
                int sh, g;
                int p = sum_tree(c, l, &sh, &g, err);
                if (p < 0) goto fail_p;
                int k = new_node(c, err);
                if (k < 0) goto fail_p;
                cnode *P = &c->nd[p], *n = &c->nd[k];
                n->kind = K_QCAST;
                n->a = p;
                n->sa = sh;
                n->e = c->e_acc;
                n->level = P->level + (s->t_acc.q != L0_FX_TRN);
                /* cast of V_p 2^sh (frac FB - e_p - sh) to AF fraction bits, no overflow */
                l0_fx_type tq;
                int tw = P->w + 2 + (P->e + sh > c->e_acc ? P->e + sh - c->e_acc : 0);
                if (tw > 64) {
                    l0_err_set(err, "cmvm: a product needs more than 64 bits");
                    goto fail_p;
                }
                l0_fx_type_make(&tq, tw, tw - af, true, s->t_acc.q, L0_FX_WRAP, NULL);
                int frac = c->fb - P->e - sh;
                n->lo = l0_fx_wide(&tq, l0_fx_cast_wide(P->lo, frac, &tq, NULL));
                n->hi = l0_fx_wide(&tq, l0_fx_cast_wide(P->hi, frac, &tq, NULL));
                n->w = swidth(n->lo, n->hi);
                P->uses++;
                if (tl_push(&prods[j], (term){k, 0, 1})) goto oom_p;
            }
        sums = prods;
    }
    for (int j = 0; j < s->n_out; j++) {
        cout *o = &c->out[j];
        l0_wide k = s->bias[j];
        if (c->fold_rnd) k += shl(1, af - rf - 1);
        if (k != 0) {
            int cn = make_const(c, shl(k, c->e_acc), err);
            if (cn < 0) goto fail_p;
            if (tl_push(&sums[j], (term){cn, 0, 1})) goto oom_p;
        }
        int g;
        o->sum = sum_tree(c, &sums[j], &o->sum_s, &g, err);
        if (o->sum < 0) goto fail_p;
        cnode *S = &c->nd[o->sum];
        S->uses++;
        o->e_acc = S->e + o->sum_s - c->e_acc;
        /* the cast: its input is S (or the wrapped accumulator), AF - e_acc fraction bits */
        l0_wide lo = shl(S->lo, o->e_acc), hi = shl(S->hi, o->e_acc); /* accumulator raws */
        if (o->wrap) type_range(&s->t_acc, &lo, &hi);
        o->t_cast = s->t_res;
        if (c->fold_rnd) o->t_cast.q = L0_FX_TRN;
        l0_wide olo, ohi;
        int ovf = cast_range(lo, hi, af, &o->t_cast, &olo, &ohi);
        if (!ovf)
            o->t_cast.o = L0_FX_WRAP; /* no value can overflow: no saturation logic */
        else if (s->t_res.o == L0_FX_WRAP || s->t_res.o == L0_FX_SAT_ZERO)
            type_range(&s->t_res, &olo, &ohi); /* not monotonic: any value of the type */
        /* a cast that only selects bits (the accumulator's wrap, AP_TRN, AP_WRAP) is free */
        int trivial =
            o->t_cast.o == L0_FX_WRAP && (o->t_cast.q == L0_FX_TRN || o->e_acc >= af - rf);
        o->relu_mux = s->relu && s->t_res.is_signed && olo < 0;
        if (s->relu && s->t_res.is_signed) {
            if (olo < 0) olo = 0;
            if (ohi < 0) ohi = 0;
        }
        o->out_lo = olo;
        o->out_hi = ohi;
        o->level = S->level + !trivial;
        if (j == 0 || olo < c->out_lo) c->out_lo = olo;
        if (j == 0 || ohi > c->out_hi) c->out_hi = ohi;
    }

    /* pipeline: a register after every reg_every levels, the outputs aligned */
    int R = s->reg_every;
    c->levels = 0;
    for (int k = 0; k < c->nn; k++) {
        cnode *n = &c->nd[k];
        n->stage = (R > 0 && n->level > 0) ? (n->level - 1) / R : 0;
        n->need = n->stage;
    }
    int last = 0;
    for (int j = 0; j < s->n_out; j++) {
        cout *o = &c->out[j];
        o->stage = (R > 0 && o->level > 0) ? (o->level - 1) / R : 0;
        if (o->stage > last) last = o->stage;
        if (o->level > c->levels) c->levels = o->level;
    }
    c->depth = last + 1;
    for (int k = 0; k < c->nn; k++) {
        cnode *n = &c->nd[k];
        if (n->kind == K_ADD || n->kind == K_QCAST) {
            if (n->a >= 0 && c->nd[n->a].need < n->stage) c->nd[n->a].need = n->stage;
            if (n->kind == K_ADD && c->nd[n->b].need < n->stage) c->nd[n->b].need = n->stage;
        }
    }
    for (int j = 0; j < s->n_out; j++) {
        cnode *S = &c->nd[c->out[j].sum];
        if (S->need < c->out[j].stage) S->need = c->out[j].stage;
    }
    if (prods)
        for (int j = 0; j < s->n_out; j++) free(prods[j].t);
    free(prods);
    for (int o = 0; o < nl; o++) free(ls[o].t);
    free(ls);
    return c;
oom_p:
    l0_err_set(err, "out of memory");
fail_p:
    if (prods)
        for (int j = 0; j < s->n_out; j++) free(prods[j].t);
    free(prods);
    goto fail;
oom:
    l0_err_set(err, "out of memory");
fail:
    if (ls)
        for (int o = 0; o < nl; o++) free(ls[o].t);
    free(ls);
    l0_cmvm_free(c);
    return NULL;
}

int l0_cmvm_depth(const l0_cmvm *c) {
    return c->depth;
}

void l0_cmvm_out_range(const l0_cmvm *c, l0_wide *lo, l0_wide *hi) {
    *lo = c->out_lo;
    *hi = c->out_hi;
}

void l0_cmvm_stats_get(const l0_cmvm *c, l0_cmvm_stats *st) {
    memset(st, 0, sizeof *st);
    st->digits = c->digits;
    st->zero_w = c->zero_w;
    st->levels = c->levels;
    for (int k = 0; k < c->nn; k++) {
        const cnode *n = &c->nd[k];
        if (n->kind == K_ADD) {
            st->adders++;
            st->shared += n->shared;
            st->adder_bits += n->w;
        }
        st->regs_bits += (n->need - n->stage) * n->w;
    }
    for (int j = 0; j < c->s.n_out; j++) {
        const cout *o = &c->out[j];
        st->saturating += o->t_cast.o != L0_FX_WRAP;
        st->regs_bits += (c->depth - o->stage) * c->s.t_res.w;
    }
}

/* --- evaluation, as the Verilog computes ---------------------------------------------------- */

static l0_wide trunc_s(l0_wide v, int w) {
    l0_uwide u = (l0_uwide)v, m = ((l0_uwide)1 << w) - 1;
    u &= m;
    if ((u >> (w - 1)) & 1) u |= ~m;
    return (l0_wide)u;
}

void l0_cmvm_eval(const l0_cmvm *c, const int64_t *x, int64_t *y) {
    l0_wide stackbuf[512];
    l0_wide *m = c->nn <= 512 ? stackbuf : malloc((size_t)c->nn * sizeof *m);
    if (!m) return;
    int af = l0_fx_frac(&c->s.t_acc);
    for (int k = 0; k < c->nn; k++) {
        const cnode *n = &c->nd[k];
        switch (n->kind) {
        case K_IN:
            m[k] = trunc_s(x[n->in], n->w);
            break;
        case K_CONST:
            m[k] = n->cval;
            break;
        case K_ADD: {
            l0_wide a = n->a >= 0 ? n->ga * shl(m[n->a], n->sa) : 0;
            m[k] = trunc_s(a + n->gb * shl(m[n->b], n->sb), n->w);
            break;
        }
        case K_QCAST: {
            const cnode *P = &c->nd[n->a];
            l0_fx_type tq;
            int tw = n->w + 2 < 64 ? n->w + 2 : 64;
            l0_fx_type_make(&tq, tw, tw - af, true, c->s.t_acc.q, L0_FX_WRAP, NULL);
            l0_wide v = l0_fx_wide(&tq, l0_fx_cast_wide(m[n->a], c->fb - P->e - n->sa, &tq, NULL));
            m[k] = trunc_s(v, n->w);
            break;
        }
        }
    }
    for (int j = 0; j < c->s.n_out; j++) {
        const cout *o = &c->out[j];
        l0_wide acc = shl(m[o->sum], o->e_acc), r;
        if (o->wrap) {
            uint64_t u = (uint64_t)acc;
            int aw = c->s.t_acc.w;
            if (aw < 64) {
                uint64_t mask = (UINT64_C(1) << aw) - 1;
                u &= mask;
                if (c->s.t_acc.is_signed && ((u >> (aw - 1)) & 1)) u |= ~mask;
            }
            acc = l0_fx_wide(&c->s.t_acc, (int64_t)u);
        }
        int64_t raw = l0_fx_cast_wide(acc, af, &o->t_cast, NULL);
        r = l0_fx_wide(&c->s.t_res, raw);
        if (o->relu_mux && r < 0) raw = 0;
        y[j] = raw;
    }
    if (m != stackbuf) free(m);
}

/* --- Verilog ----------------------------------------------------------------------------- */

/* The name of node k's value as read in stage st. */
static void ref(const l0_cmvm *c, int k, int st, char *buf, size_t n) {
    const cnode *N = &c->nd[k];
    if (N->kind == K_CONST) {
        l0_uwide u = (l0_uwide)N->cval;
        if (N->w < 128) u &= ((l0_uwide)1 << N->w) - 1;
        unsigned long long hi = (unsigned long long)(u >> 64), lo = (unsigned long long)u;
        if (hi)
            snprintf(buf, n, "%d'h%llx%016llx", N->w, hi, lo);
        else
            snprintf(buf, n, "%d'h%llx", N->w, lo);
    } else if (st == N->stage) {
        snprintf(buf, n, "n%d", k);
    } else {
        snprintf(buf, n, "n%d_q%d", k, st - 1);
    }
}

static void put_const(FILE *f, l0_wide v, int w) {
    l0_uwide u = (l0_uwide)v;
    if (w < 128) u &= ((l0_uwide)1 << w) - 1;
    unsigned long long hi = (unsigned long long)(u >> 64), lo = (unsigned long long)u;
    if (hi)
        fprintf(f, "%d'h%llx%016llx", w, hi, lo);
    else
        fprintf(f, "%d'h%llx", w, lo);
}

/* Operand k read in stage st as a w-bit expression: its bits shifted left by sh, sign-extended
 * or cut to w bits (arithmetic modulo 2^w is exact, since every node's value fits its w). */
static void operand_w(FILE *f, const l0_cmvm *c, int k, int st, int w, int sh) {
    const cnode *N = &c->nd[k];
    if (N->kind == K_CONST) {
        put_const(f, shl(N->cval, sh), w);
        return;
    }
    if (sh >= w) {
        fprintf(f, "%d'd0", w);
        return;
    }
    char r[96];
    ref(c, k, st, r, sizeof r);
    int wo = w - sh; /* the operand's bits that reach the result */
    if (sh) fputs("{", f);
    if (N->w > wo)
        fprintf(f, "%s[%d:0]", r, wo - 1);
    else if (N->w == wo)
        fprintf(f, "%s", r);
    else
        fprintf(f, "{{%d{%s[%d]}}, %s}", wo - N->w, r, N->w - 1, r);
    if (sh) fprintf(f, ", %d'd0}", sh);
}

/* Output j's result cast and ReLU written out (bit selects, OR/AND reductions of the bits above
 * the result and one mux level) when the cast is AP_TRN (AP_RND is folded into the bias) or
 * drops no bits, and AP_WRAP or AP_SAT: far cheaper than the generic comparators of
 * l0_recast. `in` holds a signed inw-bit value with inf fraction bits, range [lo, hi]. Returns 0
 * (nothing written) when it does not apply. */
static int direct_cast(FILE *f, const l0_cmvm *c, int j, const char *in, int inw, int inf,
                       l0_wide lo, l0_wide hi) {
    const cout *o = &c->out[j];
    const l0_fx_type *tr = &c->s.t_res;
    int rw = tr->w, rs = tr->is_signed, d = inf - l0_fx_frac(tr);
    if (d > 0 && o->t_cast.q != L0_FX_TRN) return 0;
    if (o->t_cast.o != L0_FX_WRAP && o->t_cast.o != L0_FX_SAT) return 0;
    if (d > 100 || d < -100) return 0;
    /* t = floor(in / 2^d), wt bits */
    int wt = d >= inw ? 1 : inw - d;
    l0_wide tlo = shr(lo, d), thi = shr(hi, d);
    fprintf(f, "  wire [%d:0] t%d = ", wt - 1, j);
    if (d >= inw)
        fprintf(f, "%s[%d];  // every bit below the result's LSB is dropped: the sign\n", in,
                inw - 1);
    else if (d >= 0)
        fprintf(f, "%s[%d:%d];\n", in, inw - 1, d);
    else
        fprintf(f, "{%s, %d'd0};\n", in, -d);
    int W = wt > rw + 2 ? wt : rw + 2; /* sign-extended so that the reductions have bits */
    if (W > wt)
        fprintf(f, "  wire [%d:0] u%d = {{%d{t%d[%d]}}, t%d};\n", W - 1, j, W - wt, j, wt - 1, j);
    else
        fprintf(f, "  wire [%d:0] u%d = t%d;\n", W - 1, j, j);
    l0_wide omin = rs ? -((l0_wide)1 << (rw - 1)) : 0;
    l0_wide omax = rs ? ((l0_wide)1 << (rw - 1)) - 1 : ((l0_wide)1 << rw) - 1;
    int negp = tlo<0, hip = thi> omax, lop = tlo < omin;
    char neg[48], hib[96], lob[96];
    snprintf(neg, sizeof neg, negp ? "u%d[%d]" : "1'b0", j, W - 1);
    if (o->t_cast.o == L0_FX_WRAP) {
        fprintf(f, "  wire [%d:0] r%d = u%d[%d:0];  // AP_WRAP: the low bits\n", rw - 1, j, j,
                rw - 1);
        return 1;
    }
    if (hip)
        snprintf(hib, sizeof hib, "(!u%d[%d] && |u%d[%d:%d])", j, W - 1, j, W - 2, rw - rs);
    else
        snprintf(hib, sizeof hib, "1'b0");
    if (lop && rs)
        snprintf(lob, sizeof lob, "(u%d[%d] && !(&u%d[%d:%d]))", j, W - 1, j, W - 2, rw - 1);
    else
        snprintf(lob, sizeof lob, "1'b0");
    char mx[96], mn[96];
    snprintf(mx, sizeof mx, "%d'h%llx", rw, (unsigned long long)omax);
    snprintf(mn, sizeof mn, "%d'h%llx", rw,
             (unsigned long long)((uint64_t)omin & (rw < 64 ? ((UINT64_C(1) << rw) - 1) : ~0ULL)));
    fprintf(f, "  wire [%d:0] r%d = ", rw - 1, j);
    if (!rs || (c->s.relu && rs)) /* negative values give 0 (unsigned AP_SAT, or the ReLU) */
        fprintf(f, "%s ? %d'd0 : %s ? %s : u%d[%d:0];  // AP_SAT%s\n", neg, rw, hib, mx, j, rw - 1,
                rs ? " and ReLU" : "");
    else
        fprintf(f, "%s ? %s : %s ? %s : u%d[%d:0];  // AP_SAT\n", hib, mx, lob, mn, j, rw - 1);
    return 2;
}

void l0_cmvm_write_verilog(const l0_cmvm *c, FILE *f, const char *name) {
    const l0_cmvm_spec *s = &c->s;
    int xw = s->t_x.w, rw = s->t_res.w;
    l0_cmvm_stats st;
    l0_cmvm_stats_get(c, &st);
    char tx[64], tw[64], ta[64], tr[64];
    l0_fx_type_str(&s->t_x, tx, sizeof tx);
    l0_fx_type_str(&s->t_w, tw, sizeof tw);
    l0_fx_type_str(&s->t_acc, ta, sizeof ta);
    l0_fx_type_str(&s->t_res, tr, sizeof tr);
    fprintf(f,
            "// %s: a %d x %d Dense layer%s without multipliers (model/l0_cmvm.h): %d non-zero\n"
            "// weight digits (CSD) and %d zero weights make %d adders, %d of them shared\n"
            "// subexpressions; %d adder levels, %d clock%s (a register every %d levels).\n"
            "// input %s, weight %s, accum %s, result %s.\n",
            name, s->n_in, s->n_out, s->relu ? " + ReLU" : "", st.digits, st.zero_w, st.adders,
            st.shared, st.levels, c->depth, c->depth > 1 ? "s" : "", s->reg_every, tx, tw, ta, tr);
    /* bits of x_i outside the inputs' range (the sign bits after a ReLU) are not read */
    fprintf(f,
            "module %s (\n    input  wire clk_i,\n"
            "    /* verilator lint_off UNUSEDSIGNAL */  // bits outside the inputs' range\n"
            "    input  wire [%d:0] x_i,\n    /* verilator lint_on UNUSEDSIGNAL */\n",
            name, s->n_in * xw - 1);
    fprintf(f, "    output wire [%d:0] y_o\n);\n", s->n_out * rw - 1);
    fprintf(f, "  // Bits above a value's range are copies of its sign and may go unused.\n"
               "  /* verilator lint_off UNUSEDSIGNAL */\n");
    for (int k = 0; k < c->nn; k++) {
        const cnode *n = &c->nd[k];
        if (n->kind == K_CONST) continue;
        if (n->kind == K_IN) {
            int bit0 = n->in * xw;
            if (n->lo >= 0 && n->w > 1)
                fprintf(f, "  wire [%d:0] n%d = {1'b0, x_i[%d:%d]};  // x%d, range [%lld, %lld]\n",
                        n->w - 1, k, bit0 + n->w - 2, bit0, n->in, (long long)n->lo,
                        (long long)n->hi);
            else if (n->lo >= 0)
                fprintf(f, "  wire [0:0] n%d = 1'b0;  // x%d is always 0\n", k, n->in);
            else
                fprintf(f, "  wire [%d:0] n%d = x_i[%d:%d];  // x%d\n", n->w - 1, k,
                        bit0 + n->w - 1, bit0, n->in);
        } else if (n->kind == K_ADD) {
            fprintf(f, "  wire [%d:0] n%d = ", n->w - 1, k);
            if (n->a >= 0) {
                if (n->ga < 0) fputs("-", f);
                operand_w(f, c, n->a, n->stage, n->w, n->sa);
                fputs(n->gb < 0 ? " - " : " + ", f);
            } else {
                fputs(n->gb < 0 ? "-" : "", f);
            }
            operand_w(f, c, n->b, n->stage, n->w, n->sb);
            fprintf(f, ";%s\n", n->shared ? "  // shared" : "");
        } else { /* K_QCAST: the product's cast to the accumulator's LSB */
            const cnode *P = &c->nd[n->a];
            char r[96];
            ref(c, n->a, n->stage, r, sizeof r);
            fprintf(f, "  wire [%d:0] n%d;\n", n->w - 1, k);
            fprintf(f, "  /* verilator lint_off PINCONNECTEMPTY */\n");
            fprintf(f,
                    "  l0_recast #(.InW(%d), .InF(%d), .InSigned(1), .OutW(%d), .OutF(%d), "
                    ".OutSigned(1), .Quant(%d), .Ovf(0)) u_n%d (\n"
                    "      .in_i(%s), .out_o(n%d), .ovf_o());  // a product to accum_t\n",
                    P->w, c->fb - P->e - n->sa, n->w, l0_fx_frac(&s->t_acc), (int)s->t_acc.q, k, r,
                    k);
            fprintf(f, "  /* verilator lint_on PINCONNECTEMPTY */\n");
        }
        /* registered copies for later stages */
        for (int q = n->stage; q < n->need; q++) {
            fprintf(f, "  reg [%d:0] n%d_q%d;\n  always @(posedge clk_i) n%d_q%d <= ", n->w - 1, k,
                    q, k, q);
            if (q == n->stage)
                fprintf(f, "n%d;\n", k);
            else
                fprintf(f, "n%d_q%d;\n", k, q - 1);
        }
    }
    int af = l0_fx_frac(&s->t_acc);
    for (int j = 0; j < s->n_out; j++) {
        const cout *o = &c->out[j];
        const cnode *S = &c->nd[o->sum];
        char r[96];
        ref(c, o->sum, o->stage, r, sizeof r);
        int inw, inf, ins;
        fprintf(f, "  // output %d\n", j);
        if (o->wrap) {
            int aw = s->t_acc.w;
            fprintf(f, "  wire [%d:0] acc%d = ", aw - 1, j);
            if (S->kind == K_CONST)
                put_const(f, shl(S->cval, o->e_acc), aw);
            else
                operand_w(f, c, o->sum, o->stage, aw, o->e_acc);
            fprintf(f, ";  // the accumulator wraps\n");
            snprintf(r, sizeof r, "acc%d", j);
            inw = aw;
            inf = af;
            ins = s->t_acc.is_signed;
        } else if (S->kind == K_CONST) {
            fprintf(f, "  wire [%d:0] acc%d = ", S->w - 1, j);
            put_const(f, S->cval, S->w);
            fprintf(f, ";  // a constant\n");
            snprintf(r, sizeof r, "acc%d", j);
            inw = S->w;
            inf = af - o->e_acc;
            ins = 1;
        } else {
            inw = S->w;
            inf = af - o->e_acc;
            ins = 1;
        }
        int direct = 0;
        if (ins && !o->wrap)
            direct = direct_cast(f, c, j, r, inw, inf, S->kind == K_CONST ? S->cval : S->lo,
                                 S->kind == K_CONST ? S->cval : S->hi);
        if (!direct) {
            fprintf(f, "  wire [%d:0] r%d;\n", rw - 1, j);
            fprintf(f, "  /* verilator lint_off PINCONNECTEMPTY */\n");
            fprintf(f,
                    "  l0_recast #(.InW(%d), .InF(%d), .InSigned(%d), .OutW(%d), .OutF(%d), "
                    ".OutSigned(%d), .Quant(%d), .Ovf(%d)) u_r%d (\n"
                    "      .in_i(%s), .out_o(r%d), .ovf_o());\n",
                    inw, inf, ins, rw, l0_fx_frac(&s->t_res), s->t_res.is_signed, (int)o->t_cast.q,
                    (int)o->t_cast.o, j, r, j);
            fprintf(f, "  /* verilator lint_on PINCONNECTEMPTY */\n");
        }
        fprintf(f, "  wire [%d:0] y%d = ", rw - 1, j);
        if (o->relu_mux && direct != 2)
            fprintf(f, "r%d[%d] ? %d'd0 : r%d;  // ReLU\n", j, rw - 1, rw, j);
        else
            fprintf(f, "r%d;\n", j);
        /* registered, then delayed to the last stage */
        int nq = c->depth - o->stage;
        for (int q = 0; q < nq; q++) {
            fprintf(f, "  reg [%d:0] y%d_q%d;\n  always @(posedge clk_i) y%d_q%d <= ", rw - 1, j, q,
                    j, q);
            if (q == 0)
                fprintf(f, "y%d;\n", j);
            else
                fprintf(f, "y%d_q%d;\n", j, q - 1);
        }
        fprintf(f, "  assign y_o[%d:%d] = y%d_q%d;\n\n", (j + 1) * rw - 1, j * rw, j, nq - 1);
    }
    fprintf(f, "  /* verilator lint_on UNUSEDSIGNAL */\nendmodule\n");
}
