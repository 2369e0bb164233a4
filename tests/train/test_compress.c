/* l0_compress: on a learnable synthetic set, compression takes digits away (fewer non-zero CSD
 * digits and more zero weights than the trained model), keeps the validation loss within the
 * constraint, stores weights that cast exactly to themselves in their layer type (so the golden
 * model sees the trained raws: its output equals the QAT forward under the final weights), and
 * gives the same bytes for the same seed; bad settings are refused. */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "l0_compress.h"
#include "train_synth.h"

static const int PHI[] = {12, 12}, RHO[] = {12, 1};

static void trained(const l0_dataset *ds, l0_model *m) {
    l0_err err;
    if (l0_model_init(m, PHI, 2, RHO, 2, 3, NULL, &err) || l0_train_init_scale(m, ds, 512, &err)) {
        fprintf(stderr, "init: %s\n", err.msg);
        exit(1);
    }
    l0_train_cfg cfg;
    l0_train_cfg_default(&cfg);
    cfg.epochs = 12;
    cfg.batch = 64;
    cfg.lr = 3e-3;
    l0_train_result r;
    if (l0_train(m, ds, &cfg, &r, &err)) {
        fprintf(stderr, "train: %s\n", err.msg);
        exit(1);
    }
}

static char *compress_once(const l0_dataset *ds, const l0_model *base, l0_compress_result *res,
                           l0_model *keep) {
    l0_model m;
    l0_err err;
    if (l0_model_copy(&m, base, &err)) exit(1);
    l0_train_cfg tc;
    l0_train_cfg_default(&tc);
    tc.batch = 64;
    tc.lr = 1e-3;
    l0_compress_cfg cc;
    l0_compress_cfg_default(&cc);
    cc.rounds = 6;
    cc.epochs = 2;
    cc.max_loss_increase = 0.10;
    cc.sample = 1000;
    cc.log = getenv("TRAIN_LOG") ? stderr : NULL;
    if (l0_compress(&m, ds, &tc, &cc, res, &err)) {
        fprintf(stderr, "compress: %s\n", err.msg);
        exit(1);
    }
    char *json = l0_model_to_json(&m);
    *keep = m;
    return json;
}

int main(void) {
    size_t n = 2000;
    l0_cluster *cl = synth_clusters(n, 16, 31);
    l0_model proto, base;
    l0_err err;
    if (l0_model_init(&proto, PHI, 2, RHO, 2, 1, NULL, &err)) return 1;
    l0_dataset ds;
    synth_dataset(&ds, &proto, cl, n, 5);
    l0_model_free(&proto);
    trained(&ds, &base);

    l0_compress_result r1, r2;
    l0_model m1, m2;
    char *j1 = compress_once(&ds, &base, &r1, &m1), *j2 = compress_once(&ds, &base, &r2, &m2);
    CHECK(!strcmp(j1, j2), "the same seed gave other model bytes");
    int d0 = 0, d1 = 0, z0 = 0, z1 = 0;
    for (int k = 0; k < l0_model_n_layers(&m1); k++) {
        d0 += r1.before[k].digits;
        d1 += r1.after[k].digits;
        z0 += r1.before[k].zeros;
        z1 += r1.after[k].zeros;
    }
    printf("compress: %d of %d rounds kept; digits %d -> %d, zero weights %d -> %d; val loss %.5g "
           "-> %.5g; LUT estimate %.0f -> %.0f\n",
           r1.rounds_kept, r1.rounds_run, d0, d1, z0, z1, r1.val_loss0, r1.val_loss,
           r1.est_lut_before, r1.est_lut_after);
    CHECK(r1.rounds_kept >= 1 && d1 < d0 * 0.8, "compression took too few digits: %d -> %d", d0,
          d1);
    CHECK(z1 > z0, "no weight was pruned (%d -> %d zero weights)", z0, z1);
    CHECK(r1.val_loss <= r1.val_loss0 * 1.10 + 1e-12, "the constraint broke: %g > 1.1 x %g",
          r1.val_loss, r1.val_loss0);
    CHECK(r1.est_lut_after < r1.est_lut_before, "the LUT estimate did not fall");
    /* every weight is exactly a raw of its type (its cast is the identity) */
    int inexact = 0;
    for (int k = 0; k < l0_model_n_layers(&m1); k++) {
        const l0_layer *L = l0_model_layer_c(&m1, k);
        for (int q = 0; q < L->n_in * L->n_out; q++) {
            int64_t raw;
            int ovf = 0;
            l0_fx_from_double(L->w[q], &L->t_w, &raw, &ovf);
            inexact += ovf || l0_fx_to_double(&L->t_w, raw) != L->w[q];
        }
    }
    CHECK(inexact == 0, "%d weights are not exact raws of their type", inexact);
    /* the validation loss of the saved model, by the QAT forward (= the golden model) */
    l0_trainer *t = l0_trainer_create(&m1, true, &err);
    double v = l0_train_eval_loss(t, &ds, ds.val, ds.n_val, L0_LOSS_LOG, 2, 1);
    CHECK(fabs(v - r1.val_loss) <= 1e-12 * fabs(v),
          "the saved model's val loss %.17g differs "
          "from the kept %.17g",
          v, r1.val_loss);
    l0_trainer_free(t);
    /* bad settings */
    l0_compress_cfg bad;
    l0_compress_cfg_default(&bad);
    bad.max_loss_increase = NAN;
    l0_train_cfg tc;
    l0_train_cfg_default(&tc);
    CHECK(l0_compress(&m2, &ds, &tc, &bad, &r2, &err) != 0, "a NaN constraint was accepted");
    free(j1);
    free(j2);
    l0_model_free(&m1);
    l0_model_free(&m2);
    l0_model_free(&base);
    l0_dataset_free(&ds);
    synth_free(cl, n);
    if (synth_failures) return 1;
    printf("test_compress: passed\n");
    return 0;
}
