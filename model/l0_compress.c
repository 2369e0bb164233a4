#include "l0_compress.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "l0_csd.h"

#define NL (2 * L0_MODEL_LAYERS_MAX)

void l0_compress_cfg_default(l0_compress_cfg *c) {
    memset(c, 0, sizeof *c);
    c->max_loss_increase = 0.02;
    c->rounds = 12;
    c->step = 0.3;
    c->step_min = 0.02;
    c->epochs = 2;
    c->phi_replicas = 32;
    c->sample = 4096;
}

static int64_t weight_raw(const l0_layer *L, size_t q, const int8_t *budget) {
    int64_t r = 0;
    if (l0_fx_from_double(L->w[q], &L->t_w, &r, NULL) != L0_FX_OK) r = 0;
    return budget ? l0_csd_truncate(r, budget[q]) : r;
}

/* LUTs a digit of layer k costs: an adder about as wide as its input, copied per lane in phi. */
static double digit_cost(const l0_model *m, int k, int phi_replicas) {
    return (double)(l0_model_input_type(m, k)->w + 2) * (k < m->n_phi ? phi_replicas : 1);
}

static double estimate(const l0_model *m, int reps, int8_t *const *budget, l0_compress_layer *out) {
    double tot = 0;
    for (int k = 0; k < l0_model_n_layers(m); k++) {
        const l0_layer *L = l0_model_layer_c(m, k);
        l0_compress_layer c = {0, 0, L->n_in * L->n_out, 0};
        for (int q = 0; q < c.weights; q++) {
            int64_t r = weight_raw(L, (size_t)q, budget ? budget[k] : NULL);
            c.digits += l0_csd_digits(r);
            c.zeros += r == 0;
        }
        c.est_lut = c.digits * digit_cost(m, k, reps);
        tot += c.est_lut;
        if (out) out[k] = c;
    }
    const l0_fx_type *tp = &m->phi[m->n_phi - 1].t_res;
    int growth = 0;
    while ((1 << growth) < reps) growth++;
    return tot + (double)l0_model_ksum_width(m) * (reps - 1) * (tp->w + growth);
}

double l0_compress_estimate(const l0_model *m, int phi_replicas, l0_compress_layer *out) {
    return estimate(m, phi_replicas, NULL, out);
}

typedef struct cand {
    double cost; /* loss per LUT saved */
    int k, q;
} cand;

static int cand_cmp(const void *a, const void *b) {
    const cand *x = a, *y = b;
    if (x->cost != y->cost) return x->cost < y->cost ? -1 : 1;
    if (x->k != y->k) return x->k - y->k;
    return x->q - y->q;
}

static void free_budgets(int8_t **b) {
    for (int k = 0; k < NL; k++) {
        free(b[k]);
        b[k] = NULL;
    }
}

static int copy_budgets(int8_t **dst, int8_t *const *src, const l0_model *m) {
    for (int k = 0; k < l0_model_n_layers(m); k++) {
        const l0_layer *L = l0_model_layer_c(m, k);
        size_t n = (size_t)L->n_in * (size_t)L->n_out;
        if (!dst[k] && !(dst[k] = malloc(n))) return -1;
        memcpy(dst[k], src[k], n);
    }
    return 0;
}

/* Fine-tune m under budgets b for `epochs` epochs; the kept validation loss into *val. */
static int tune(l0_model *m, const l0_dataset *ds, const l0_train_cfg *tc, int8_t *const *b,
                int epochs, double *val, l0_err *err) {
    l0_train_cfg c = *tc;
    c.qat = true;
    c.epochs = epochs;
    c.log = NULL;
    c.progress = false;
    for (int k = 0; k < l0_model_n_layers(m); k++) c.budget[k] = b[k];
    l0_train_result r;
    if (l0_train(m, ds, &c, &r, err)) return -1;
    *val = r.best_val_loss;
    return 0;
}

/* The diagonal Fisher information of every weight on the first n training clusters. */
static int fisher(const l0_model *m, const l0_dataset *ds, int8_t *const *b, size_t n, double **F,
                  l0_err *err) {
    l0_trainer *t = l0_trainer_create(m, true, err);
    l0_model g;
    if (!t) return -1;
    if (l0_model_copy(&g, m, err)) {
        l0_trainer_free(t);
        return -1;
    }
    int nl = l0_model_n_layers(m);
    for (int k = 0; k < nl; k++) l0_trainer_set_budget(t, k, b[k]);
    if (n > ds->n_train) n = ds->n_train;
    for (size_t s = 0; s < n; s++) {
        l0_trainer_loss_grad(t, ds, ds->train[s], L0_LOSS_LOG, &g);
        for (int k = 0; k < nl; k++) {
            const l0_layer *G = l0_model_layer_c(&g, k);
            for (int q = 0; q < G->n_in * G->n_out; q++) F[k][q] += G->w[q] * G->w[q];
        }
    }
    for (int k = 0; k < nl; k++) {
        const l0_layer *G = l0_model_layer_c(&g, k);
        for (int q = 0; q < G->n_in * G->n_out; q++) F[k][q] /= (double)(n ? n : 1);
    }
    l0_model_free(&g);
    l0_trainer_free(t);
    return 0;
}

int l0_compress(l0_model *m, const l0_dataset *ds, const l0_train_cfg *tc,
                const l0_compress_cfg *cc, l0_compress_result *res, l0_err *err) {
    if (!(cc->max_loss_increase > 0) || !isfinite(cc->max_loss_increase) || cc->rounds < 1 ||
        !(cc->step > 0 && cc->step <= 1) || !(cc->step_min > 0) || cc->epochs < 0 ||
        cc->phi_replicas < 1)
        return l0_err_set(err, "bad compression settings");
    memset(res, 0, sizeof *res);
    int nl = l0_model_n_layers(m), rc = -1;
    int8_t *b[NL] = {0}, *bs[NL] = {0};
    double *F[NL] = {0};
    cand *cands = NULL;
    l0_model snap;
    int have_snap = 0;
    size_t nw_all = 0;
    for (int k = 0; k < nl; k++) {
        const l0_layer *L = l0_model_layer_c(m, k);
        size_t n = (size_t)L->n_in * (size_t)L->n_out;
        nw_all += n;
        b[k] = malloc(n);
        F[k] = malloc(n * sizeof *F[k]);
        if (!b[k] || !F[k]) goto oom;
        for (size_t q = 0; q < n; q++) b[k][q] = (int8_t)l0_csd_digits(weight_raw(L, q, NULL));
    }
    cands = malloc(nw_all * sizeof *cands);
    if (!cands || copy_budgets(bs, b, m)) goto oom;
    res->est_lut_before = estimate(m, cc->phi_replicas, b, res->before);
    double val;
    if (tune(m, ds, tc, b, 0, &val, err)) goto done;
    res->val_loss0 = res->val_loss = val;
    double limit = val * (1 + cc->max_loss_increase), step = cc->step;
    if (l0_model_copy(&snap, m, err)) goto done;
    have_snap = 1;
    if (cc->log)
        fprintf(cc->log, "compress: start: val loss %.6g (limit %.6g), %.0f LUT estimated\n", val,
                limit, res->est_lut_before);
    for (int r = 0; r < cc->rounds && step >= cc->step_min; r++) {
        res->rounds_run++;
        for (int k = 0; k < nl; k++) {
            const l0_layer *L = l0_model_layer_c(m, k);
            memset(F[k], 0, (size_t)L->n_in * L->n_out * sizeof *F[k]);
        }
        if (fisher(m, ds, b, cc->sample, F, err)) goto done;
        size_t nc = 0, digits = 0;
        for (int k = 0; k < nl; k++) {
            const l0_layer *L = l0_model_layer_c(m, k);
            double fw = ldexp(1.0, -l0_fx_frac(&L->t_w));
            for (int q = 0; q < L->n_in * L->n_out; q++) {
                int64_t raw = weight_raw(L, (size_t)q, b[k]);
                int d = l0_csd_digits(raw);
                digits += (size_t)d;
                if (d == 0) continue;
                double dw = (double)(l0_csd_truncate(raw, d - 1) - raw) * fw;
                cands[nc++] =
                    (cand){0.5 * F[k][q] * dw * dw / digit_cost(m, k, cc->phi_replicas), k, q};
            }
        }
        size_t take = (size_t)ceil(step * (double)digits);
        if (take > nc) take = nc;
        if (take == 0) break;
        qsort(cands, nc, sizeof *cands, cand_cmp);
        for (size_t i = 0; i < take; i++) {
            const l0_layer *L = l0_model_layer_c(m, cands[i].k);
            int d = l0_csd_digits(weight_raw(L, (size_t)cands[i].q, b[cands[i].k]));
            b[cands[i].k][cands[i].q] = (int8_t)(d - 1);
        }
        if (tune(m, ds, tc, b, cc->epochs, &val, err)) goto done;
        double est = estimate(m, cc->phi_replicas, b, NULL);
        int keep = val <= limit;
        if (cc->log)
            fprintf(cc->log,
                    "compress: round %d: %zu of %zu digits taken (step %.3f), val loss %.6g, "
                    "%.0f LUT estimated: %s\n",
                    r + 1, take, digits, step, val, est, keep ? "kept" : "undone, step halved");
        if (keep) {
            res->rounds_kept++;
            res->val_loss = val;
            l0_model_free(&snap);
            have_snap = 0;
            if (l0_model_copy(&snap, m, err) || copy_budgets(bs, b, m)) goto done;
            have_snap = 1;
        } else {
            /* back to the last kept round */
            for (int k = 0; k < nl; k++) {
                l0_layer *D = l0_model_layer(m, k);
                const l0_layer *S = l0_model_layer_c(&snap, k);
                memcpy(D->w, S->w, (size_t)D->n_in * D->n_out * sizeof *D->w);
                memcpy(D->b, S->b, (size_t)D->n_out * sizeof *D->b);
            }
            if (copy_budgets(b, bs, m)) goto oom;
            step /= 2;
        }
    }
    /* the kept raws' exact values become the model's weights */
    for (int k = 0; k < nl; k++) {
        l0_layer *L = l0_model_layer(m, k);
        for (int q = 0; q < L->n_in * L->n_out; q++)
            L->w[q] = l0_fx_to_double(&L->t_w, weight_raw(L, (size_t)q, b[k]));
    }
    res->est_lut_after = estimate(m, cc->phi_replicas, NULL, res->after);
    rc = 0;
    goto done;
oom:
    l0_err_set(err, "out of memory");
done:
    if (have_snap) l0_model_free(&snap);
    free_budgets(b);
    free_budgets(bs);
    for (int k = 0; k < NL; k++) free(F[k]);
    free(cands);
    return rc;
}
