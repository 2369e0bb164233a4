/* The trainer's backward pass against central finite differences of its forward pass, on a tiny
 * model, for every loss; and the losses' derivatives against finite differences. */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>

#include "l0_rng.h"
#include "train_synth.h"

static double loss_of(const l0_model *m, const l0_dataset *ds, size_t i, l0_loss_kind loss) {
    l0_err err;
    l0_trainer *t = l0_trainer_create(m, false, &err);
    if (!t) {
        fprintf(stderr, "trainer: %s\n", err.msg);
        exit(1);
    }
    double y = l0_trainer_forward(t, ds, i);
    l0_trainer_free(t);
    return l0_loss_eval(loss, y, ds->truth_e[i] / m->target_scale, NULL);
}

/* Compare the analytic gradient of one parameter with a central difference. */
static void check_param(l0_model *m, const l0_dataset *ds, size_t i, l0_loss_kind loss, double *p,
                        double analytic, const char *what, int layer, int idx, int *checked) {
    double h = 1e-6 * (fabs(*p) > 1 ? fabs(*p) : 1), save = *p;
    *p = save + h;
    double lp = loss_of(m, ds, i, loss);
    *p = save - h;
    double lm = loss_of(m, ds, i, loss);
    *p = save;
    double fd = (lp - lm) / (2 * h);
    double tol = 1e-6 * fmax(fabs(fd), fabs(analytic)) + 1e-8;
    CHECK(fabs(fd - analytic) <= tol,
          "loss %s, cluster %zu, layer %d %s[%d]: backward %.12g, finite difference %.12g",
          l0_loss_name(loss), i, layer, what, idx, analytic, fd);
    (*checked)++;
}

int main(void) {
    /* the losses themselves, including the log loss's linear continuation and negative y */
    const double ys[] = {-0.7, 0.01, 0.05, 0.0999, 0.1001, 0.3, 1.0, 1.7, 6.0};
    for (int k = 0; k < L0_LOSS_COUNT; k++)
        for (size_t q = 0; q < sizeof ys / sizeof ys[0]; q++) {
            double t = 0.8, y = ys[q] * t, d, h = 1e-7;
            l0_loss_eval((l0_loss_kind)k, y, t, &d);
            double fd = (l0_loss_eval((l0_loss_kind)k, y + h, t, NULL) -
                         l0_loss_eval((l0_loss_kind)k, y - h, t, NULL)) /
                        (2 * h);
            CHECK(fabs(fd - d) <= 1e-5 * fmax(1, fabs(d)), "loss %s at y/t = %g: d %g, fd %g",
                  l0_loss_name((l0_loss_kind)k), ys[q], d, fd);
        }
    CHECK(l0_loss_eval(L0_LOSS_LOG, 2.0, 2.0, NULL) == 0, "log loss is not 0 at y == t");

    /* a tiny model with non-zero biases, so that units are alive and away from their kinks */
    const int phi[] = {5, 4}, rho[] = {4, 3, 1};
    l0_model m;
    l0_err err;
    if (l0_model_init(&m, phi, 2, rho, 3, 7, NULL, &err)) {
        fprintf(stderr, "init: %s\n", err.msg);
        return 1;
    }
    l0_rng r;
    l0_rng_seed(&r, 99, 0);
    for (int k = 0; k < l0_model_n_layers(&m); k++) {
        l0_layer *L = l0_model_layer(&m, k);
        for (int j = 0; j < L->n_out; j++) L->b[j] = 0.3 * l0_rng_normal(&r) + 0.1;
        for (int q = 0; q < L->n_in * L->n_out; q++) L->w[q] *= 0.5;
    }
    size_t n = 6;
    l0_cluster *cl = synth_clusters(n, 5, 3);
    l0_dataset ds;
    synth_dataset(&ds, &m, cl, n, 1);
    l0_model grad;
    if (l0_model_copy(&grad, &m, &err)) return 1;
    int checked = 0;
    for (int lk = 0; lk < L0_LOSS_COUNT; lk++) {
        l0_loss_kind loss = (l0_loss_kind)lk;
        for (size_t i = 0; i < ds.n; i++) {
            l0_trainer *t = l0_trainer_create(&m, false, &err);
            double l = l0_trainer_loss_grad(t, &ds, i, loss, &grad);
            l0_trainer_free(t);
            CHECK(fabs(l - loss_of(&m, &ds, i, loss)) <= 1e-15 * fabs(l),
                  "loss_grad's loss differs from the forward's");
            for (int k = 0; k < l0_model_n_layers(&m); k++) {
                l0_layer *L = l0_model_layer(&m, k);
                const l0_layer *G = l0_model_layer_c(&grad, k);
                for (int q = 0; q < L->n_in * L->n_out; q++)
                    check_param(&m, &ds, i, loss, &L->w[q], G->w[q], "w", k, q, &checked);
                for (int j = 0; j < L->n_out; j++)
                    check_param(&m, &ds, i, loss, &L->b[j], G->b[j], "b", k, j, &checked);
            }
        }
    }
    l0_model_free(&grad);
    l0_dataset_free(&ds);
    synth_free(cl, n);
    l0_model_free(&m);
    if (synth_failures) {
        fprintf(stderr, "%d failures\n", synth_failures);
        return 1;
    }
    printf("backward pass matches finite differences on %d parameter derivatives (3 losses, "
           "%zu clusters)\n",
           checked, n);
    return 0;
}
