/* cmvm_core MODEL LAYER OUT.v [REG_EVERY]: the constant matrix-vector product of one Dense layer
 * of a model alone, y = W x exactly (zero bias, the accumulator as the result type, no ReLU),
 * as the cmvm engine builds it (model/l0_cmvm.h), written as `module l0_core`, for comparisons
 * with other constant-multiplication tools (scripts/crosscheck-da4ml). The layer's inputs have
 * the range the engine gives them (after a ReLU: [0, max]). Prints what the network is made of. */
#include <stdio.h>
#include <stdlib.h>

#include "l0_cmvm.h"
#include "l0_model.h"

int main(int argc, char **argv) {
    if (argc < 4) {
        fprintf(stderr, "usage: cmvm_core MODEL LAYER OUT.v [REG_EVERY]\n");
        return 2;
    }
    l0_model m;
    l0_err err;
    if (l0_model_load(argv[1], &m, &err)) {
        fprintf(stderr, "cmvm_core: %s\n", err.msg);
        return 2;
    }
    int k = atoi(argv[2]);
    if (k < 0 || k >= l0_model_n_layers(&m)) {
        fprintf(stderr, "cmvm_core: layer %d: the model has %d Dense layers\n", k,
                l0_model_n_layers(&m));
        return 2;
    }
    l0_golden *g = l0_golden_create(&m, &err);
    if (!g) {
        fprintf(stderr, "cmvm_core: %s\n", err.msg);
        return 2;
    }
    const l0_layer *L = l0_model_layer_c(&m, k);
    const l0_fx_type *tx = l0_model_input_type(&m, k);
    int64_t *b = calloc((size_t)L->n_out, sizeof *b);
    l0_cmvm_spec s = {.n_in = L->n_in,
                      .n_out = L->n_out,
                      .w = l0_golden_weights(g, k),
                      .bias = b,
                      .t_x = *tx,
                      .t_w = L->t_w,
                      .t_acc = L->t_acc,
                      .t_res = L->t_acc,
                      .relu = 0,
                      .reg_every = argc > 4 ? atoi(argv[4]) : 0};
    s.t_res.q = L0_FX_TRN;
    s.t_res.o = L0_FX_WRAP;
    int after_relu = k > 0 && k != m.n_phi && L[-1].relu;
    s.x_lo = tx->is_signed && !after_relu ? -((l0_wide)1 << (tx->w - 1)) : 0;
    s.x_hi = tx->is_signed ? ((l0_wide)1 << (tx->w - 1)) - 1 : ((l0_wide)1 << tx->w) - 1;
    l0_cmvm *c = l0_cmvm_build(&s, &err);
    FILE *f = c ? fopen(argv[3], "w") : NULL;
    if (!f) {
        fprintf(stderr, "cmvm_core: %s\n", c ? argv[3] : err.msg);
        return 2;
    }
    fprintf(f, "`default_nettype none\n");
    l0_cmvm_write_verilog(c, f, "l0_core");
    fprintf(f, "`default_nettype wire\n");
    if (fclose(f)) return 2;
    l0_cmvm_stats st;
    l0_cmvm_stats_get(c, &st);
    printf("cmvm_core: layer %d, %d x %d: %d digits, %d zero weights, %d adders (%d shared), %d "
           "adder bits, %d levels, %d clock(s)\n",
           k, L->n_in, L->n_out, st.digits, st.zero_w, st.adders, st.shared, st.adder_bits,
           st.levels, l0_cmvm_depth(c));
    l0_cmvm_free(c);
    free(b);
    l0_golden_free(g);
    l0_model_free(&m);
    return 0;
}
