/* The trainer learns (the validation loss falls well below its start on a learnable synthetic
 * set), is reproducible (the same seed gives the same model bytes, with 1 or 2 threads; another
 * seed gives other bytes), and QAT runs from the float model, keeps the validation loss at the
 * model's precision, and its forward equals the golden model on every training cluster. */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "train_synth.h"

static const int PHI[] = {12, 12}, RHO[] = {12, 1};

/* Train a fresh model; returns its JSON (malloc'd) and fills *res. */
static char *train_once(const l0_dataset *ds, uint64_t seed, int threads, int epochs,
                        l0_train_result *res, l0_model *keep) {
    l0_model m;
    l0_err err;
    if (l0_model_init(&m, PHI, 2, RHO, 2, seed, NULL, &err)) {
        fprintf(stderr, "init: %s\n", err.msg);
        exit(1);
    }
    if (l0_train_init_scale(&m, ds, 512, &err)) {
        fprintf(stderr, "init_scale: %s\n", err.msg);
        exit(1);
    }
    l0_train_cfg cfg;
    l0_train_cfg_default(&cfg);
    cfg.epochs = epochs;
    cfg.batch = 64;
    cfg.lr = 3e-3;
    cfg.seed = seed;
    cfg.threads = threads;
    cfg.log = getenv("TRAIN_LOG") ? stderr : NULL;
    if (l0_train(&m, ds, &cfg, res, &err)) {
        fprintf(stderr, "train: %s\n", err.msg);
        exit(1);
    }
    char buf[256];
    snprintf(buf, sizeof buf, "{\"seed\": %llu, \"val_loss\": %.17g}", (unsigned long long)seed,
             res->best_val_loss);
    m.training_json = strdup(buf);
    char *json = l0_model_to_json(&m);
    if (keep)
        *keep = m;
    else
        l0_model_free(&m);
    return json;
}

int main(void) {
    size_t n = 3000;
    l0_cluster *cl = synth_clusters(n, 24, 21);
    l0_model proto;
    l0_err err;
    if (l0_model_init(&proto, PHI, 2, RHO, 2, 1, NULL, &err)) return 1;
    l0_dataset ds;
    synth_dataset(&ds, &proto, cl, n, 4);
    l0_model_free(&proto);

    /* learning */
    l0_train_result r1, r2, r3;
    l0_model m;
    char *j0 = train_once(&ds, 16, 2, 30, &r1, &m);
    printf("float: initial val loss %.4g, best %.4g at epoch %d of %d (%.2f s/epoch, %zu train "
           "clusters)\n",
           r1.initial_val_loss, r1.best_val_loss, r1.best_epoch, r1.epochs_run,
           r1.seconds_per_epoch, ds.n_train);
    CHECK(r1.best_val_loss < 0.1 * r1.initial_val_loss, "validation loss fell only from %g to %g",
          r1.initial_val_loss, r1.best_val_loss);
    CHECK(r1.best_val_loss < 0.1, "validation loss %g: the (log) loss should reach < 0.1",
          r1.best_val_loss);
    /* the best weights are the ones kept */
    l0_trainer *t = l0_trainer_create(&m, false, &err);
    double v = l0_train_eval_loss(t, &ds, ds.val, ds.n_val, L0_LOSS_LOG, 2, 1);
    CHECK(v == r1.best_val_loss, "kept weights give val loss %.17g, reported best %.17g", v,
          r1.best_val_loss);
    l0_trainer_free(t);

    /* reproducibility */
    char *j1 = train_once(&ds, 17, 2, 5, &r2, NULL);
    char *j2 = train_once(&ds, 17, 1, 5, &r2, NULL);
    CHECK(!strcmp(j1, j2), "two trainings with seed 17 (2 and 1 threads) give different models");
    char *j3 = train_once(&ds, 18, 2, 3, &r3, NULL);
    CHECK(strcmp(j1, j3) != 0, "seeds 17 and 18 give the same model");

    /* QAT from the float model, at a precision where PTQ loses accuracy */
    l0_precision p;
    l0_precision_default(&p);
    l0_fx_parse("ap_fixed<10,4,AP_RND,AP_SAT>", &p.result, NULL);
    l0_fx_parse("ap_fixed<10,4,AP_RND,AP_SAT>", &p.input, NULL);
    l0_fx_parse("ap_fixed<8,2,AP_RND>", &p.weight, NULL);
    l0_fx_parse("ap_fixed<8,2,AP_RND>", &p.bias, NULL);
    l0_fx_parse("ap_fixed<12,8,AP_RND,AP_SAT>", &p.ksum, NULL);
    if (l0_model_set_precision(&m, &p, &err)) {
        fprintf(stderr, "precision: %s\n", err.msg);
        return 1;
    }
    l0_trainer *tq = l0_trainer_create(&m, true, &err);
    double ptq = l0_train_eval_loss(tq, &ds, ds.val, ds.n_val, L0_LOSS_LOG, 2, 2);
    l0_trainer_free(tq);
    l0_train_cfg cfg;
    l0_train_cfg_default(&cfg);
    cfg.qat = true;
    cfg.epochs = 8;
    cfg.batch = 64;
    cfg.lr = 1e-3;
    cfg.seed = 5;
    l0_train_result rq;
    if (l0_train(&m, &ds, &cfg, &rq, &err)) {
        fprintf(stderr, "qat: %s\n", err.msg);
        return 1;
    }
    printf("QAT: val loss at the model's precision %.4g before (PTQ), %.4g after %d epochs "
           "(%.2f s/epoch); float training reached %.4g\n",
           ptq, rq.best_val_loss, rq.epochs_run, rq.seconds_per_epoch, r1.best_val_loss);
    CHECK(rq.initial_val_loss == ptq, "QAT's initial loss %g is not the PTQ loss %g",
          rq.initial_val_loss, ptq);
    CHECK(rq.best_val_loss < ptq, "QAT did not lower the quantized validation loss (%g)", ptq);
    l0_golden *g = l0_golden_create(&m, &err);
    tq = l0_trainer_create(&m, true, &err);
    int bad = 0;
    for (size_t q = 0; q < ds.n_train; q++) {
        size_t i = ds.train[q];
        double out, y = l0_trainer_forward(tq, &ds, i);
        l0_golden_run(g, &cl[i], &out);
        if (y != out && bad++ < 3)
            CHECK(0, "cluster %zu: QAT forward %.17g, golden %.17g", i, y, out);
    }
    CHECK(!bad, "QAT forward differs from the golden model on %d training clusters", bad);
    l0_trainer_free(tq);
    l0_golden_free(g);

    free(j0);
    free(j1);
    free(j2);
    free(j3);
    l0_model_free(&m);
    size_t n_train = ds.n_train;
    l0_dataset_free(&ds);
    synth_free(cl, n);
    if (synth_failures) {
        fprintf(stderr, "%d failures\n", synth_failures);
        return 1;
    }
    printf("trainer learns, is reproducible (1 or 2 threads: same bytes), QAT forward == golden "
           "on %zu training clusters\n",
           n_train);
    return 0;
}
