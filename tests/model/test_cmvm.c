/* l0_cmvm: the multiplier-free network of a Dense layer computes the numeric contract bit for
 * bit. For random layers (shapes, weights with zeros and few digits, every quantization and
 * overflow mode of the result, exact and rounding product casts, wide and wrapping
 * accumulators, ReLU or not, inputs over a ReLU's range or the whole type) the network, evaluated
 * as its Verilog computes (every node cut to its width), is compared with a direct transcription
 * of the contract on random inputs and on the corners of the input range. It also checks that
 * sharing saves adders (fewer adders than digits on a dense layer) and that the depth follows
 * reg_every. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "l0_cmvm.h"
#include "l0_csd.h"
#include "l0_rng.h"

static int failures;

/* The contract, written out: products cast to accum_t, the sum wraps in accum_t, the cast to
 * result_t, ReLU in result_t. */
static int64_t reference(const l0_cmvm_spec *s, int j, const int64_t *x) {
    int xf = l0_fx_frac(&s->t_x), wf = l0_fx_frac(&s->t_w), af = l0_fx_frac(&s->t_acc);
    l0_wide sum = l0_fx_wide(&s->t_acc, s->bias[j]);
    for (int i = 0; i < s->n_in; i++) {
        l0_wide p = (l0_wide)x[i] * (l0_wide)s->w[(size_t)j * s->n_in + i];
        sum += l0_fx_wide(&s->t_acc, l0_fx_cast_wide(p, xf + wf, &s->t_acc, NULL));
    }
    l0_fx_type tw = s->t_acc;
    tw.o = L0_FX_WRAP;
    tw.q = L0_FX_TRN;
    int64_t acc = l0_fx_cast_wide(sum, af, &tw, NULL);
    int64_t r = l0_fx_cast_wide(l0_fx_wide(&s->t_acc, acc), af, &s->t_res, NULL);
    if (s->relu && s->t_res.is_signed && r < 0) r = 0;
    return r;
}

static int rnd(l0_rng *r, int lo, int hi) {
    return lo + (int)l0_rng_below(r, (uint64_t)(hi - lo + 1));
}

static void one(l0_rng *r, int id, int verbose) {
    l0_cmvm_spec s;
    memset(&s, 0, sizeof s);
    s.n_in = rnd(r, 1, 12);
    s.n_out = rnd(r, 1, 10);
    int xw = rnd(r, 2, 16), ww = rnd(r, 2, 14);
    l0_fx_type_make(&s.t_x, xw, rnd(r, -2, xw + 2), rnd(r, 0, 3) != 0, L0_FX_TRN, L0_FX_WRAP, NULL);
    l0_fx_type_make(&s.t_w, ww, rnd(r, -1, 4), true, L0_FX_RND, L0_FX_WRAP, NULL);
    int xf = l0_fx_frac(&s.t_x), wf = l0_fx_frac(&s.t_w);
    int kind = rnd(r, 0, 3); /* 0, 1: exact and wide; 2: exact, wrapping; 3: rounding products */
    int af = kind == 3 ? xf + wf - rnd(r, 1, 6) : xf + wf + (kind == 1 ? rnd(r, 0, 3) : 0);
    int aw = kind == 2 ? rnd(r, 4, xw + ww) : xw + ww + 8 + (af - xf - wf);
    if (aw > 64) aw = 64;
    l0_fx_type_make(&s.t_acc, aw, aw - af, true, kind == 3 ? (l0_fx_quant)rnd(r, 0, 6) : L0_FX_TRN,
                    L0_FX_WRAP, NULL);
    int rw = rnd(r, 2, 16);
    l0_fx_type_make(&s.t_res, rw, rnd(r, -1, rw + 1), rnd(r, 0, 3) != 0, (l0_fx_quant)rnd(r, 0, 6),
                    (l0_fx_ovf)rnd(r, 0, 3), NULL);
    s.relu = rnd(r, 0, 1);
    s.reg_every = rnd(r, 0, 4);
    int64_t w[120], b[10];
    for (int k = 0; k < s.n_in * s.n_out; k++) {
        int64_t v = 0;
        if (rnd(r, 0, 3)) { /* a quarter zeros; the rest with a random number of bits */
            int bits = rnd(r, 1, ww);
            v = (int64_t)l0_rng_below(r, (uint64_t)1 << bits) - ((int64_t)1 << (bits - 1));
        }
        w[k] = v;
    }
    for (int j = 0; j < s.n_out; j++) {
        int64_t lim = aw >= 20 ? (1 << 18) : ((int64_t)1 << (aw - 1));
        b[j] = (int64_t)l0_rng_below(r, (uint64_t)(2 * lim)) - lim;
    }
    s.w = w;
    s.bias = b;
    l0_wide tlo = s.t_x.is_signed ? -((l0_wide)1 << (xw - 1)) : 0;
    l0_wide thi = s.t_x.is_signed ? ((l0_wide)1 << (xw - 1)) - 1 : ((l0_wide)1 << xw) - 1;
    int relu_in = s.t_x.is_signed && rnd(r, 0, 1);
    s.x_lo = relu_in ? 0 : tlo;
    s.x_hi = thi;
    l0_err err;
    l0_cmvm *c = l0_cmvm_build(&s, &err);
    if (!c) {
        fprintf(stderr, "FAIL: layer %d: %s\n", id, err.msg);
        failures++;
        return;
    }
    int64_t x[12], y[10];
    for (int t = 0; t < 400; t++) {
        for (int i = 0; i < s.n_in; i++) {
            int corner = t < 4 ? t : (int)l0_rng_below(r, 8);
            if (corner == 0)
                x[i] = (int64_t)s.x_lo;
            else if (corner == 1)
                x[i] = (int64_t)s.x_hi;
            else
                x[i] =
                    (int64_t)(s.x_lo + (l0_wide)l0_rng_below(r, (uint64_t)(s.x_hi - s.x_lo + 1)));
        }
        l0_cmvm_eval(c, x, y);
        l0_wide olo, ohi;
        l0_cmvm_out_range(c, &olo, &ohi);
        for (int j = 0; j < s.n_out; j++) {
            int64_t want = reference(&s, j, x);
            if (y[j] != want || l0_fx_wide(&s.t_res, y[j]) < olo ||
                l0_fx_wide(&s.t_res, y[j]) > ohi) {
                if (failures++ < 10) {
                    char a[64], ta[64], tr[64];
                    l0_fx_type_str(&s.t_x, a, sizeof a);
                    l0_fx_type_str(&s.t_acc, ta, sizeof ta);
                    l0_fx_type_str(&s.t_res, tr, sizeof tr);
                    fprintf(stderr,
                            "FAIL: layer %d (kind %d, %s -> %s -> %s), output %d: %lld, "
                            "expected %lld\n",
                            id, kind, a, ta, tr, j, (long long)y[j], (long long)want);
                }
            }
        }
    }
    if (verbose) {
        l0_cmvm_stats st;
        l0_cmvm_stats_get(c, &st);
        printf("layer %d: %d x %d, %d digits, %d adders (%d shared), %d levels, depth %d\n", id,
               s.n_in, s.n_out, st.digits, st.adders, st.shared, st.levels, l0_cmvm_depth(c));
    }
    l0_cmvm_free(c);
}

/* A dense 16 x 16 layer of 10-bit weights: sharing must save adders, and the depth must be
 * ceil(levels / reg_every). */
static void sharing(void) {
    l0_rng r;
    l0_rng_seed(&r, 11, 0);
    int64_t w[256], b[16] = {0};
    for (int k = 0; k < 256; k++) w[k] = (int64_t)l0_rng_below(&r, 1024) - 512;
    l0_cmvm_spec s = {.n_in = 16, .n_out = 16, .w = w, .bias = b, .relu = 1, .reg_every = 2};
    l0_fx_type_make(&s.t_x, 16, 6, true, L0_FX_RND, L0_FX_SAT, NULL);
    l0_fx_type_make(&s.t_w, 10, 2, true, L0_FX_RND, L0_FX_WRAP, NULL);
    l0_fx_type_make(&s.t_acc, 32, 12, true, L0_FX_TRN, L0_FX_WRAP, NULL);
    l0_fx_type_make(&s.t_res, 16, 6, true, L0_FX_RND, L0_FX_SAT, NULL);
    s.x_lo = 0;
    s.x_hi = 32767;
    l0_err err;
    l0_cmvm *c = l0_cmvm_build(&s, &err);
    if (!c) {
        fprintf(stderr, "FAIL: %s\n", err.msg);
        failures++;
        return;
    }
    l0_cmvm_stats st;
    l0_cmvm_stats_get(c, &st);
    int plain = st.digits - 16 + 16; /* without sharing: digits - 1 adders per output, + bias */
    printf("16 x 16, 10-bit weights: %d digits, %d adders (%d shared; %d without sharing), %d "
           "levels, depth %d\n",
           st.digits, st.adders, st.shared, plain, st.levels, l0_cmvm_depth(c));
    if (st.shared == 0 || st.adders >= plain) {
        fprintf(stderr, "FAIL: sharing saved nothing (%d adders, %d without)\n", st.adders, plain);
        failures++;
    }
    if (l0_cmvm_depth(c) != (st.levels + 1) / 2) {
        fprintf(stderr, "FAIL: depth %d, expected ceil(%d / 2)\n", l0_cmvm_depth(c), st.levels);
        failures++;
    }
    l0_cmvm_free(c);
}

int main(int argc, char **argv) {
    int n = argc > 1 ? atoi(argv[1]) : 600;
    l0_rng r;
    l0_rng_seed(&r, 2026, 0);
    for (int k = 0; k < n; k++) one(&r, k, k < 3);
    sharing();
    if (failures) {
        fprintf(stderr, "test_cmvm: %d failures\n", failures);
        return 1;
    }
    printf("test_cmvm: %d random layers x 400 inputs, every output bit for bit\n", n);
    return 0;
}
