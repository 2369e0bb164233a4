/* gen_test_models DIR: the models the RTL tests build engines for (random weights; what is under
 * test is bit-exact agreement and timing, not physics). Written at configure time.
 *   small.json   phi 8, rho 8,1, default precision
 *   shape.json   phi 16,16, rho 16,16,1 (the default model's shape), default precision
 *   lanes.json   phi 12,12, rho 12,1 (built with L = 3 lanes), shaped and padded as the
 *                reference study did: the 24 most energetic cells, fewer padded with -6
 *   narrow.json  phi 8,8, rho 8,1 with narrow rounding, saturating types that really overflow:
 *                unsigned ReLU outputs, AP_RND_CONV / AP_SAT_SYM, an explicit wrapping accumulator
 *                with AP_RND, a narrow KSum, weights scaled up; 12 cells, padded with 0.75
 *   par32.json   phi 8, rho 8,1, 6-bit weights, 32 cells: the fully parallel cmvm engine
 *                (32 lanes, a cluster per clock) */
#include <stdio.h>

#include "l0_model.h"

static int make(const char *dir, const char *name, const int *phi, int nphi, const int *rho,
                int nrho, const l0_precision *p, double wscale, int pad_cells, double pad_value,
                int cells_max) {
    l0_model m;
    l0_err err;
    char path[1024];
    if (l0_model_init(&m, phi, nphi, rho, nrho, 42, p, &err)) {
        fprintf(stderr, "gen_test_models: %s: %s\n", name, err.msg);
        return 1;
    }
    for (int k = 0; k < l0_model_n_layers(&m); k++) {
        l0_layer *L = l0_model_layer(&m, k);
        for (int i = 0; i < L->n_in * L->n_out; i++) L->w[i] *= wscale;
        for (int j = 0; j < L->n_out; j++) L->b[j] = 0.05 * (j % 5) - 0.1;
    }
    m.pad_cells = pad_cells;
    m.pad_value = pad_value;
    if (pad_cells > 0) m.cells_max = pad_cells; /* the study's shape: C cells, padded to C */
    if (cells_max > 0) m.cells_max = cells_max;
    snprintf(m.name, sizeof m.name, "%s", name);
    snprintf(path, sizeof path, "%s/%s.json", dir, name);
    int rc = l0_model_save(&m, path, &err);
    if (rc) fprintf(stderr, "gen_test_models: %s\n", err.msg);
    l0_model_free(&m);
    return rc ? 1 : 0;
}

int main(int argc, char **argv) {
    if (argc != 2) {
        fprintf(stderr, "usage: gen_test_models DIR\n");
        return 2;
    }
    int rc = 0;
    int phi8[] = {8}, rho8[] = {8, 1}, phi16[] = {16, 16}, rho16[] = {16, 16, 1};
    int phi12[] = {12, 12}, rho12[] = {12, 1}, phi88[] = {8, 8};
    rc |= make(argv[1], "small", phi8, 1, rho8, 2, NULL, 1.0, 0, 0, 0);
    rc |= make(argv[1], "shape", phi16, 2, rho16, 3, NULL, 1.0, 0, 0, 0);
    rc |= make(argv[1], "lanes", phi12, 2, rho12, 2, NULL, 1.0, 24, -6.0, 0);
    l0_precision p;
    l0_err err;
    l0_fx_parse("ap_fixed<10,4,AP_RND,AP_SAT>", &p.input, &err);
    l0_fx_parse("ap_fixed<8,3,AP_RND_CONV>", &p.weight, &err);
    l0_fx_parse("ap_fixed<8,2,AP_RND>", &p.bias, &err);
    l0_fx_parse("ap_ufixed<8,3,AP_RND_CONV,AP_SAT_SYM>", &p.result, &err);
    l0_fx_parse("ap_fixed<10,5,AP_RND,AP_SAT>", &p.ksum, &err);
    l0_fx_parse("ap_fixed<14,6,AP_RND,AP_WRAP>", &p.accum, &err);
    p.accum_auto = false;
    rc |= make(argv[1], "narrow", phi88, 2, rho8, 2, &p, 3.0, 12, 0.75, 0);
    l0_precision q;
    l0_fx_parse("ap_fixed<16,6,AP_RND,AP_SAT>", &q.input, &err);
    l0_fx_parse("ap_fixed<6,2,AP_RND>", &q.weight, &err);
    l0_fx_parse("ap_fixed<8,2,AP_RND>", &q.bias, &err);
    l0_fx_parse("ap_fixed<12,6,AP_RND,AP_SAT>", &q.result, &err);
    l0_fx_parse("ap_fixed<16,9,AP_RND,AP_SAT>", &q.ksum, &err);
    q.accum_auto = true;
    rc |= make(argv[1], "par32", phi8, 1, rho8, 2, &q, 1.0, 0, 0, 32);
    return rc;
}
