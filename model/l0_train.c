#include "l0_train.h"

#include <math.h>
#include <pthread.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "l0_csd.h"
#include "l0_progress.h"
#include "l0_rng.h"
#include "l0_stimfile.h"

#define NL (2 * L0_MODEL_LAYERS_MAX)
#define U L0_MODEL_UNITS_MAX
#define SHARDS_MAX 64

/* --- the data set ------------------------------------------------------------------------------
 */

void l0_dataset_init(l0_dataset *ds, const l0_model *m) {
    memset(ds, 0, sizeof *ds);
    ds->n_feat = m->n_feat;
    ds->cells_max = m->cells_max;
    memcpy(ds->feat_spec, m->feat, sizeof ds->feat_spec);
}

void l0_dataset_free(l0_dataset *ds) {
    free(ds->off);
    free(ds->feat);
    free(ds->e);
    free(ds->truth_e);
    free(ds->role);
    free(ds->tcorr);
    free(ds->train);
    free(ds->val);
    memset(ds, 0, sizeof *ds);
}

bool l0_dataset_matches(const l0_dataset *ds, const l0_model *m) {
    if (ds->n_feat != m->n_feat || ds->cells_max != m->cells_max) return false;
    for (int f = 0; f < m->n_feat; f++) {
        const l0_feature *a = &ds->feat_spec[f], *b = &m->feat[f];
        if (a->kind != b->kind || a->transform != b->transform || a->offset != b->offset ||
            a->scale != b->scale || (a->transform == L0_TRANSFORM_LOG && a->min != b->min))
            return false;
    }
    return true;
}

static int ds_reserve(l0_dataset *ds, size_t clusters, size_t rows, l0_err *err) {
    if (clusters > ds->cap) {
        size_t cap = ds->cap ? ds->cap : 1024;
        while (cap < clusters) cap *= 2;
        size_t *off = realloc(ds->off, sizeof *off * (cap + 1));
        if (off) ds->off = off;
        double *e = realloc(ds->e, sizeof *e * cap);
        if (e) ds->e = e;
        double *te = realloc(ds->truth_e, sizeof *te * cap);
        if (te) ds->truth_e = te;
        uint8_t *role = realloc(ds->role, cap);
        if (role) ds->role = role;
        if (!off || !e || !te || !role) return l0_err_set(err, "out of memory (data set)");
        if (!ds->cap) ds->off[0] = 0;
        ds->cap = cap;
    }
    if (rows > ds->cap_rows) {
        size_t cap = ds->cap_rows ? ds->cap_rows : 16384;
        while (cap < rows) cap *= 2;
        double *f = realloc(ds->feat, sizeof *f * cap * (size_t)ds->n_feat);
        if (!f) return l0_err_set(err, "out of memory (data set features)");
        ds->feat = f;
        ds->cap_rows = cap;
    }
    return 0;
}

int l0_dataset_add_cluster(l0_dataset *ds, const l0_model *m, const l0_cluster *c,
                           l0_split_role role, l0_err *err) {
    if (!(c->truth_e > 0) || !isfinite(c->truth_e)) {
        ds->skipped_no_truth++;
        return 0;
    }
    int n = l0_model_cells_used(m, c);
    if (n <= 0) {
        ds->skipped_no_cells++;
        return 0;
    }
    size_t rows = ds->n ? ds->off[ds->n] : 0;
    if (ds_reserve(ds, ds->n + 1, rows + (size_t)n, err)) return -1;
    double *out = ds->feat + rows * (size_t)ds->n_feat;
    for (int k = 0; k < n; k++) l0_model_features(m, c, k, out + (size_t)k * (size_t)ds->n_feat);
    ds->e[ds->n] = c->e;
    ds->truth_e[ds->n] = c->truth_e;
    ds->role[ds->n] = (uint8_t)role;
    ds->off[ds->n + 1] = rows + (size_t)n;
    ds->n++;
    return 1;
}

int l0_dataset_load(l0_dataset *ds, const l0_model *m, const char *path, l0_split_role role,
                    size_t max_clusters, l0_err *err) {
    l0_stim_reader *r = l0_stim_reader_open(path, err);
    if (!r) return -1;
    const char *kind = l0_stim_reader_kind(r);
    if (!kind || strcmp(kind, L0_STIM_KIND_SINGLES) != 0) {
        l0_err_set(err,
                   "%s: a '%s' stimulus file; training needs a '%s' file (one record per "
                   "particle with its matched cluster: l0sim gen --singles N)",
                   path, kind ? kind : "?", L0_STIM_KIND_SINGLES);
        l0_stim_reader_close(r);
        return -1;
    }
    struct stat st;
    uint64_t size = stat(path, &st) == 0 ? (uint64_t)st.st_size : 0;
    char label[256];
    snprintf(label, sizeof label, "reading %s (bytes)", path);
    l0_progress prog;
    l0_progress_start(&prog, label, size);
    l0_event ev;
    int rc;
    while ((rc = l0_stim_reader_next(r, &ev, err)) == 1) {
        ds->records++;
        if (ev.n_clusters == 0) {
            ds->skipped_no_cluster++;
            continue;
        }
        if (l0_dataset_add_cluster(ds, m, &ev.clusters[0], role, err) < 0) {
            rc = -1;
            break;
        }
        if ((ds->records & 1023) == 0) l0_progress_update(&prog, l0_stim_reader_offset(r));
        if (max_clusters && ds->n >= max_clusters) break;
    }
    l0_progress_end(&prog, l0_stim_reader_offset(r));
    l0_stim_reader_close(r);
    return rc < 0 ? -1 : 0;
}

int l0_dataset_split(l0_dataset *ds, double val_frac, uint64_t seed, l0_err *err) {
    free(ds->train);
    free(ds->val);
    ds->train = malloc(sizeof *ds->train * (ds->n ? ds->n : 1));
    ds->val = malloc(sizeof *ds->val * (ds->n ? ds->n : 1));
    if (!ds->train || !ds->val) return l0_err_set(err, "out of memory (data set split)");
    ds->n_train = ds->n_val = 0;
    for (size_t i = 0; i < ds->n; i++) {
        if (ds->role[i] == L0_SPLIT_AUTO) {
            /* One stream per cluster: the assignment of a cluster does not depend on the others,
             * so reading fewer clusters keeps the first ones where they were. */
            l0_rng r;
            l0_rng_seed(&r, seed ^ 0x73706c6974ULL, (uint64_t)i);
            ds->role[i] = l0_rng_uniform(&r) < val_frac ? L0_SPLIT_VAL : L0_SPLIT_TRAIN;
        }
        if (ds->role[i] == L0_SPLIT_VAL)
            ds->val[ds->n_val++] = i;
        else
            ds->train[ds->n_train++] = i;
    }
    if (!ds->n_train || !ds->n_val)
        return l0_err_set(err,
                          "the split left %zu training and %zu validation clusters (of %zu): "
                          "both need at least one",
                          ds->n_train, ds->n_val, ds->n);
    return 0;
}

/* --- losses ------------------------------------------------------------------------------------
 */

static const char *const LOSS_NAMES[L0_LOSS_COUNT] = {"log", "rel", "mse"};

const char *l0_loss_name(l0_loss_kind k) {
    return k >= 0 && k < L0_LOSS_COUNT ? LOSS_NAMES[k] : "?";
}

int l0_loss_parse(const char *s, l0_loss_kind *k) {
    for (int i = 0; i < L0_LOSS_COUNT; i++)
        if (!strcmp(s, LOSS_NAMES[i])) {
            *k = (l0_loss_kind)i;
            return 0;
        }
    return -1;
}

#define LOG_R0 0.1 /* below this response, the log loss goes on linearly */

double l0_loss_eval(l0_loss_kind k, double y, double t, double *dy) {
    double l, d;
    switch (k) {
    case L0_LOSS_MSE:
        l = (y - t) * (y - t);
        d = 2 * (y - t);
        break;
    case L0_LOSS_REL: {
        double r = (y - t) / t;
        l = r * r;
        d = 2 * r / t;
        break;
    }
    case L0_LOSS_LOG:
    default: {
        double r = y / t;
        if (r >= LOG_R0) {
            double lr = log(r);
            l = lr * lr;
            d = 2 * lr / r / t;
        } else {
            /* (ln r)^2 is convex for r < e: its tangent at r0 continues it convexly, with a
             * finite gradient, to responses near zero or negative (a fresh network's). */
            double l0 = log(LOG_R0), g0 = 2 * l0 / LOG_R0;
            l = l0 * l0 + g0 * (r - LOG_R0);
            d = g0 / t;
        }
        break;
    }
    }
    if (dy) *dy = d;
    return l;
}

/* --- the trainer's network ---------------------------------------------------------------------
 */

typedef struct tlayer {
    int n_in, n_out;
    bool relu;
    size_t pw, pb; /* offsets of the weights (n_in x n_out, transposed) and biases in theta */
    double *wt;    /* n_in x n_out: the float forward pass (axpy over outputs) */
    double *w;     /* n_out x n_in: the backward pass (quantized values under QAT) */
    double *b;     /* the float forward pass */
    /* QAT */
    int64_t *wr;   /* weight_t raws, n_out x n_in */
    int64_t *bacc; /* (accum_t)(bias_t)b raws */
    l0_fx_type t_w, t_b, t_acc, t_res;
    l0_fx_plan prod, res;
    bool fast64;      /* the accumulation can be done in int64 (see dense_q) */
    bool fastd;       /* ... and in double, exactly: every partial sum below 2^53 */
    double *wrt;      /* weight raws as doubles, n_in x n_out (for fastd) */
    int acc_shift;    /* its left shift of the product sum */
    double res_scale; /* 2^-F of result_t, when converting a raw is one exact multiplication */
} tlayer;

typedef struct work {
    double *in;    /* cells_max x n_feat: the cast inputs (QAT) */
    double *act;   /* cells_max x phi_units: phi layer outputs */
    double *gate;  /* the same: d output / d pre-activation (0 or 1) */
    double *ract;  /* n_rho x U: rho layer outputs */
    double *rgate; /* n_rho x U */
    double *grad;  /* n_params, theta's layout */
    double ks[U], ks_gate[U], dks[U], da[U], db[U];
    int64_t ra[U], rb[U];
    l0_wide ksw[U];
    double loss; /* of the last job */
} work;

struct l0_trainer {
    int n_feat, cells_max, n_phi, n_rho, nl;
    bool qat;
    double target_scale;
    tlayer L[NL];
    int phi_off[L0_MODEL_LAYERS_MAX], phi_units;
    l0_fx_type t_in, t_ksum, t_phi_last;
    l0_fx_plan ksum_plan;
    size_t n_params;
    double *theta; /* the master (float) parameters */
    int n_ws;
    work *ws[SHARDS_MAX];
    const int8_t *budget[NL]; /* per weight (n_out x n_in): its most CSD digits, or NULL */
};

static void work_free(work *w) {
    if (!w) return;
    free(w->in);
    free(w->act);
    free(w->gate);
    free(w->ract);
    free(w->rgate);
    free(w->grad);
    free(w);
}

static work *work_new(const l0_trainer *t) {
    work *w = calloc(1, sizeof *w);
    if (!w) return NULL;
    size_t cm = (size_t)t->cells_max;
    w->in = calloc(cm * (size_t)t->n_feat, sizeof *w->in);
    w->act = calloc(cm * (size_t)t->phi_units, sizeof *w->act);
    w->gate = calloc(cm * (size_t)t->phi_units, sizeof *w->gate);
    w->ract = calloc((size_t)t->n_rho * U, sizeof *w->ract);
    w->rgate = calloc((size_t)t->n_rho * U, sizeof *w->rgate);
    w->grad = calloc(t->n_params, sizeof *w->grad);
    if (!w->in || !w->act || !w->gate || !w->ract || !w->rgate || !w->grad) {
        work_free(w);
        return NULL;
    }
    return w;
}

static int trainer_workspaces(l0_trainer *t, int n) {
    if (n > SHARDS_MAX) n = SHARDS_MAX;
    while (t->n_ws < n) {
        if (!(t->ws[t->n_ws] = work_new(t))) return -1;
        t->n_ws++;
    }
    return 0;
}

void l0_trainer_free(l0_trainer *t) {
    if (!t) return;
    for (int k = 0; k < NL; k++) {
        free(t->L[k].wt);
        free(t->L[k].w);
        free(t->L[k].b);
        free(t->L[k].wr);
        free(t->L[k].bacc);
        free(t->L[k].wrt);
    }
    for (int s = 0; s < t->n_ws; s++) work_free(t->ws[s]);
    free(t->theta);
    free(t);
}

/* Refresh the layers' weights from theta (and their quantized forms under QAT). */
static void trainer_sync(l0_trainer *t) {
    for (int k = 0; k < t->nl; k++) {
        tlayer *L = &t->L[k];
        const double *pw = t->theta + L->pw, *pb = t->theta + L->pb;
        size_t nw = (size_t)L->n_in * (size_t)L->n_out;
        memcpy(L->wt, pw, sizeof *pw * nw);
        memcpy(L->b, pb, sizeof *pb * (size_t)L->n_out);
        for (int i = 0; i < L->n_in; i++)
            for (int j = 0; j < L->n_out; j++)
                L->w[(size_t)j * L->n_in + i] = pw[(size_t)i * L->n_out + j];
        if (!t->qat) continue;
        /* exactly as l0_golden_create casts them */
        const int8_t *bud = t->budget[k];
        for (size_t q = 0; q < nw; q++) {
            if (l0_fx_from_double(L->w[q], &L->t_w, &L->wr[q], NULL) != L0_FX_OK) L->wr[q] = 0;
            if (bud) L->wr[q] = l0_csd_truncate(L->wr[q], bud[q]);
            L->w[q] = l0_fx_to_double(&L->t_w, L->wr[q]);
        }
        if (L->fastd)
            for (int i = 0; i < L->n_in; i++)
                for (int j = 0; j < L->n_out; j++)
                    L->wrt[(size_t)i * L->n_out + j] = (double)L->wr[(size_t)j * L->n_in + i];
        for (int j = 0; j < L->n_out; j++) {
            int64_t braw = 0;
            if (l0_fx_from_double(pb[j], &L->t_b, &braw, NULL) != L0_FX_OK) braw = 0;
            L->bacc[j] = l0_fx_cast(&L->t_b, braw, &L->t_acc, NULL);
        }
    }
}

void l0_trainer_set_budget(l0_trainer *t, int layer, const int8_t *budget) {
    if (layer < 0 || layer >= t->nl) return;
    t->budget[layer] = budget;
    trainer_sync(t);
}

static void theta_to_model(const l0_trainer *t, const double *theta, l0_model *m) {
    for (int k = 0; k < t->nl; k++) {
        const tlayer *L = &t->L[k];
        l0_layer *D = l0_model_layer(m, k);
        for (int i = 0; i < L->n_in; i++)
            for (int j = 0; j < L->n_out; j++)
                D->w[(size_t)j * L->n_in + i] = theta[L->pw + (size_t)i * L->n_out + j];
        memcpy(D->b, theta + L->pb, sizeof *D->b * (size_t)L->n_out);
    }
}

l0_trainer *l0_trainer_create(const l0_model *m, bool qat, l0_err *err) {
    if (m->pad_cells > 0) {
        l0_err_set(err, "the model pads clusters (field 'padding'), and training sums a "
                        "cluster's real cells only: a padded model cannot be trained");
        return NULL;
    }
    l0_trainer *t = calloc(1, sizeof *t);
    if (!t) {
        l0_err_set(err, "out of memory");
        return NULL;
    }
    t->n_feat = m->n_feat;
    t->cells_max = m->cells_max;
    t->n_phi = m->n_phi;
    t->n_rho = m->n_rho;
    t->nl = m->n_phi + m->n_rho;
    t->qat = qat;
    t->target_scale = m->target_scale;
    t->t_in = m->t_in;
    t->t_ksum = m->t_ksum;
    t->t_phi_last = m->phi[m->n_phi - 1].t_res;
    if (m->rho[m->n_rho - 1].n_out != 1) {
        l0_trainer_free(t);
        l0_err_set(err, "the last rho layer must have one output");
        return NULL;
    }
    size_t p = 0;
    for (int k = 0; k < t->nl; k++) {
        const l0_layer *S = l0_model_layer_c(m, k);
        tlayer *L = &t->L[k];
        L->n_in = S->n_in;
        L->n_out = S->n_out;
        L->relu = S->relu;
        L->t_w = S->t_w;
        L->t_b = S->t_b;
        L->t_acc = S->t_acc;
        L->t_res = S->t_res;
        size_t nw = (size_t)S->n_in * (size_t)S->n_out;
        L->pw = p;
        p += nw;
        L->pb = p;
        p += (size_t)S->n_out;
        L->wt = malloc(sizeof *L->wt * nw);
        L->w = malloc(sizeof *L->w * nw);
        L->b = malloc(sizeof *L->b * (size_t)S->n_out);
        L->wr = malloc(sizeof *L->wr * nw);
        L->bacc = malloc(sizeof *L->bacc * (size_t)S->n_out);
        L->wrt = malloc(sizeof *L->wrt * nw);
        if (!L->wt || !L->w || !L->b || !L->wr || !L->bacc || !L->wrt) {
            l0_trainer_free(t);
            l0_err_set(err, "out of memory");
            return NULL;
        }
        if (qat) {
            l0_fx_plan_for_product(&L->prod, l0_model_input_type(m, k), &S->t_w, &S->t_acc);
            l0_fx_plan_for_type(&L->res, &S->t_acc, &S->t_res);
            /* The fast accumulation of dense_q: products exact in accum_t and in int64, and
             * n_in of them (shifted) far from int64's limits. */
            const l0_fx_type *tx = l0_model_input_type(m, k);
            l0_wide mx =
                -l0_fx_raw_min(tx) > l0_fx_raw_max(tx) ? -l0_fx_raw_min(tx) : l0_fx_raw_max(tx);
            l0_wide mw = -l0_fx_raw_min(&S->t_w) > l0_fx_raw_max(&S->t_w) ? -l0_fx_raw_min(&S->t_w)
                                                                          : l0_fx_raw_max(&S->t_w);
            L->acc_shift = -L->prod.shift;
            L->fast64 = L->prod.identity && L->prod.fits64 && S->t_acc.w <= 62 &&
                        L->acc_shift >= 0 && L->acc_shift < 62 && mx < ((l0_wide)1 << 62) &&
                        mw < ((l0_wide)1 << 62) &&
                        (mx * mw * S->n_in) < ((l0_wide)1 << (62 - L->acc_shift));
            L->fastd = L->fast64 && mx * mw * S->n_in < ((l0_wide)1 << 53);
            int fr = l0_fx_frac(&S->t_res);
            L->res_scale = (S->t_res.is_signed || S->t_res.w < 64) && fr > -1000 && fr < 1000
                               ? ldexp(1.0, -fr)
                               : 0.0;
        }
        if (k < m->n_phi) {
            t->phi_off[k] = t->phi_units;
            t->phi_units += S->n_out;
        }
    }
    if (qat)
        l0_fx_plan_make(&t->ksum_plan, l0_fx_frac(&t->t_phi_last),
                        (l0_wide)m->cells_max * l0_fx_raw_min(&t->t_phi_last),
                        (l0_wide)m->cells_max * l0_fx_raw_max(&t->t_phi_last), &m->t_ksum);
    t->n_params = p;
    t->theta = malloc(sizeof *t->theta * p);
    if (!t->theta || trainer_workspaces(t, 1)) {
        l0_trainer_free(t);
        l0_err_set(err, "out of memory");
        return NULL;
    }
    for (int k = 0; k < t->nl; k++) {
        const l0_layer *S = l0_model_layer_c(m, k);
        tlayer *L = &t->L[k];
        for (int i = 0; i < L->n_in; i++)
            for (int j = 0; j < L->n_out; j++)
                t->theta[L->pw + (size_t)i * L->n_out + j] = S->w[(size_t)j * L->n_in + i];
        memcpy(t->theta + L->pb, S->b, sizeof *S->b * (size_t)L->n_out);
    }
    trainer_sync(t);
    return t;
}

/* Float Dense layer. Each output sums b[j] + w[j][0] x[0] + w[j][1] x[1] + ... in this order, as
 * l0_model_float does (the loop over outputs inside keeps that order and vectorizes). A zero
 * input is skipped: it could only change the sign of a zero sum. */
static void dense_f(const tlayer *L, const double *x, double *y, double *g) {
    int n_out = L->n_out, n_in = L->n_in, j0 = 0;
    /* Blocks of 8 outputs kept in registers across the inputs (the same additions, in the same
     * order, as the plain loop below, which does the rest). */
    for (; j0 + 8 <= n_out; j0 += 8) {
        double a[8];
        for (int k = 0; k < 8; k++) a[k] = L->b[j0 + k];
        const double *col = L->wt + j0;
        for (int i = 0; i < n_in; i++) {
            double xi = x[i];
            if (xi == 0) continue;
            const double *row = col + (size_t)i * n_out;
            for (int k = 0; k < 8; k++) a[k] += row[k] * xi;
        }
        for (int k = 0; k < 8; k++) y[j0 + k] = a[k];
    }
    if (j0 < n_out) {
        memcpy(y + j0, L->b + j0, sizeof *y * (size_t)(n_out - j0));
        for (int i = 0; i < n_in; i++) {
            double xi = x[i];
            if (xi == 0) continue;
            const double *row = L->wt + (size_t)i * n_out;
            for (int j = j0; j < n_out; j++) y[j] += row[j] * xi;
        }
    }
    if (L->relu) {
        for (int j = 0; j < n_out; j++) {
            g[j] = y[j] > 0 ? 1.0 : 0.0;
            if (y[j] < 0) y[j] = 0;
        }
    } else {
        for (int j = 0; j < n_out; j++) g[j] = 1.0;
    }
}

/* Fixed Dense layer, as the golden model computes it: x raws of the layer's input type -> y raws
 * of result_t, and their values; the gate is 0 where a cast of the unit overflowed or the ReLU
 * is off. */
static void dense_q(const tlayer *L, const int64_t *xr, int64_t *yr, double *y, double *g) {
    l0_wide amin = l0_fx_raw_min(&L->t_acc), amax = l0_fx_raw_max(&L->t_acc);
    double sd[U];
    if (L->fastd) {
        /* The product sums of all outputs in double: integers below 2^53 throughout, so exact
         * in any order; the loop over outputs inside vectorizes. */
        int n_out = L->n_out;
        for (int j = 0; j < n_out; j++) sd[j] = 0;
        for (int i = 0; i < L->n_in; i++) {
            if (!xr[i]) continue;
            double xi = (double)xr[i];
            const double *row = L->wrt + (size_t)i * n_out;
            for (int j = 0; j < n_out; j++) sd[j] += row[j] * xi;
        }
    }
    for (int j = 0; j < L->n_out; j++) {
        uint64_t oacc = 0;
        const int64_t *wj = L->wr + (size_t)j * L->n_in;
        int64_t acc;
        bool done = false;
        if (L->fast64) {
            /* l0_fx_dot's exact sum, in int64 (it cannot overflow: checked at create); when it
             * lands in accum_t's range, no wrap happened and it is l0_fx_dot's result. */
            int64_t s = 0;
            if (L->fastd) {
                s = (int64_t)sd[j];
            } else {
                for (int i = 0; i < L->n_in; i++) s += xr[i] * wj[i];
            }
            s = (int64_t)((uint64_t)s << L->acc_shift) + L->bacc[j];
            if ((l0_wide)s >= amin && (l0_wide)s <= amax) {
                acc = s;
                done = true;
            }
        }
        if (!done) acc = l0_fx_dot(&L->prod, xr, wj, (size_t)L->n_in, L->bacc[j], &oacc);
        int ores = 0;
        int64_t r = l0_fx_plan_cast(&L->res, l0_fx_wide(&L->t_acc, acc), &ores);
        bool on = true;
        if (L->relu) {
            if (L->t_res.is_signed && r < 0) r = 0;
            on = r > 0;
        }
        yr[j] = r;
        y[j] = L->res_scale != 0 ? (double)r * L->res_scale : l0_fx_to_double(&L->t_res, r);
        g[j] = on && !oacc && !ores ? 1.0 : 0.0;
    }
}

/* The forward pass of cluster i, keeping what the backward pass needs in w. */
static double forward(l0_trainer *t, work *w, const l0_dataset *ds, size_t i) {
    size_t r0 = ds->off[i];
    int n = (int)(ds->off[i + 1] - r0), nf = t->n_feat, pu = t->phi_units;
    int width = t->L[t->n_phi - 1].n_out;
    if (n > t->cells_max) n = t->cells_max;
    for (int j = 0; j < width; j++) {
        w->ks[j] = 0;
        w->ksw[j] = 0;
    }
    for (int k = 0; k < n; k++) {
        const double *x = ds->feat + (r0 + (size_t)k) * (size_t)nf;
        double *act = w->act + (size_t)k * pu, *gate = w->gate + (size_t)k * pu;
        if (!t->qat) {
            for (int l = 0; l < t->n_phi; l++) {
                double *y = act + t->phi_off[l];
                dense_f(&t->L[l], x, y, gate + t->phi_off[l]);
                x = y;
            }
            for (int j = 0; j < width; j++) w->ks[j] += x[j];
        } else {
            int64_t *xr = w->ra, *yr = w->rb;
            double *in = w->in + (size_t)k * nf;
            for (int f = 0; f < nf; f++) {
                if (l0_fx_from_double(x[f], &t->t_in, &xr[f], NULL) != L0_FX_OK) xr[f] = 0;
                in[f] = l0_fx_to_double(&t->t_in, xr[f]);
            }
            for (int l = 0; l < t->n_phi; l++) {
                dense_q(&t->L[l], xr, yr, act + t->phi_off[l], gate + t->phi_off[l]);
                int64_t *s = xr;
                xr = yr;
                yr = s;
            }
            for (int j = 0; j < width; j++) w->ksw[j] += l0_fx_wide(&t->t_phi_last, xr[j]);
        }
    }
    const double *x = w->ks;
    if (!t->qat) {
        for (int j = 0; j < width; j++) w->ks_gate[j] = 1.0;
        for (int l = 0; l < t->n_rho; l++) {
            double *y = w->ract + (size_t)l * U;
            dense_f(&t->L[t->n_phi + l], x, y, w->rgate + (size_t)l * U);
            x = y;
        }
    } else {
        int64_t *xr = w->ra, *yr = w->rb;
        for (int j = 0; j < width; j++) {
            int o = 0;
            xr[j] = l0_fx_plan_cast(&t->ksum_plan, w->ksw[j], &o);
            w->ks[j] = l0_fx_to_double(&t->t_ksum, xr[j]);
            w->ks_gate[j] = o ? 0.0 : 1.0;
        }
        for (int l = 0; l < t->n_rho; l++) {
            double *y = w->ract + (size_t)l * U;
            dense_q(&t->L[t->n_phi + l], xr, yr, y, w->rgate + (size_t)l * U);
            int64_t *s = xr;
            xr = yr;
            yr = s;
            x = y;
        }
    }
    return x[0];
}

/* Backward through one layer: d holds d loss / d output on entry and is gated in place; the
 * layer's weight and bias gradients are added to grad; dx (if not NULL) gets d loss / d input. */
static void dense_back(const tlayer *L, const double *x, const double *g, double *d, double *dx,
                       double *grad) {
    int n_out = L->n_out, n_in = L->n_in;
    for (int j = 0; j < n_out; j++) d[j] = g[j] != 0 ? d[j] : 0.0;
    double *gb = grad + L->pb, *gw = grad + L->pw;
    for (int j = 0; j < n_out; j++) gb[j] += d[j];
    for (int i = 0; i < n_in; i++) {
        double xi = x[i];
        if (xi == 0) continue;
        double *row = gw + (size_t)i * n_out;
        for (int j = 0; j < n_out; j++) row[j] += xi * d[j];
    }
    if (!dx) return;
    int i0 = 0;
    for (; i0 + 8 <= n_in; i0 += 8) {
        double a[8] = {0};
        const double *col = L->w + i0;
        for (int j = 0; j < n_out; j++) {
            double dj = d[j];
            if (dj == 0) continue;
            const double *wrow = col + (size_t)j * n_in;
            for (int k = 0; k < 8; k++) a[k] += dj * wrow[k];
        }
        for (int k = 0; k < 8; k++) dx[i0 + k] = a[k];
    }
    for (int i = i0; i < n_in; i++) dx[i] = 0;
    for (int j = 0; j < n_out && i0 < n_in; j++) {
        double dj = d[j];
        if (dj == 0) continue;
        const double *wrow = L->w + (size_t)j * n_in;
        for (int i = i0; i < n_in; i++) dx[i] += dj * wrow[i];
    }
}

/* The backward pass of the cluster of the last forward() on w, for d loss / d output = dy. */
static void backward(l0_trainer *t, work *w, const l0_dataset *ds, size_t i, double dy) {
    double *d = w->da, *dx = w->db;
    d[0] = dy;
    for (int l = t->n_rho - 1; l >= 0; l--) {
        const double *x = l ? w->ract + (size_t)(l - 1) * U : w->ks;
        dense_back(&t->L[t->n_phi + l], x, w->rgate + (size_t)l * U, d, dx, w->grad);
        double *s = d;
        d = dx;
        dx = s;
    }
    int width = t->L[t->n_phi - 1].n_out, nf = t->n_feat, pu = t->phi_units;
    for (int j = 0; j < width; j++) w->dks[j] = w->ks_gate[j] != 0 ? d[j] : 0.0;
    size_t r0 = ds->off[i];
    int n = (int)(ds->off[i + 1] - r0);
    if (n > t->cells_max) n = t->cells_max;
    for (int k = 0; k < n; k++) {
        const double *act = w->act + (size_t)k * pu, *gate = w->gate + (size_t)k * pu;
        d = w->da;
        dx = w->db;
        memcpy(d, w->dks, sizeof *d * (size_t)width);
        for (int l = t->n_phi - 1; l >= 0; l--) {
            const double *x = l        ? act + t->phi_off[l - 1]
                              : t->qat ? w->in + (size_t)k * nf
                                       : ds->feat + (r0 + (size_t)k) * (size_t)nf;
            dense_back(&t->L[l], x, gate + t->phi_off[l], d, l ? dx : NULL, w->grad);
            double *s = d;
            d = dx;
            dx = s;
        }
    }
}

double l0_trainer_forward(l0_trainer *t, const l0_dataset *ds, size_t i) {
    return forward(t, t->ws[0], ds, i);
}

double l0_trainer_loss_grad(l0_trainer *t, const l0_dataset *ds, size_t i, l0_loss_kind loss,
                            l0_model *grad) {
    work *w = t->ws[0];
    memset(w->grad, 0, sizeof *w->grad * t->n_params);
    double y = forward(t, w, ds, i), dy;
    double l = l0_loss_eval(loss, y, l0_dataset_target(ds, i) / t->target_scale, &dy);
    backward(t, w, ds, i, dy);
    theta_to_model(t, w->grad, grad);
    return l;
}

/* --- shards on threads -------------------------------------------------------------------------
 */

typedef struct shard_job {
    l0_trainer *t;
    work *w;
    const l0_dataset *ds;
    const size_t *idx;
    size_t n;
    l0_loss_kind loss;
    bool grad;
    double loss_sum;
} shard_job;

static void shard_run(shard_job *j) {
    work *w = j->w;
    if (j->grad) memset(w->grad, 0, sizeof *w->grad * j->t->n_params);
    double sum = 0;
    for (size_t q = 0; q < j->n; q++) {
        size_t i = j->idx[q];
        double y = forward(j->t, w, j->ds, i), dy;
        sum += l0_loss_eval(j->loss, y, l0_dataset_target(j->ds, i) / j->t->target_scale, &dy);
        if (j->grad) backward(j->t, w, j->ds, i, dy);
    }
    j->loss_sum = sum;
}

typedef struct thread_arg {
    shard_job *jobs;
    int n_jobs, first, step;
} thread_arg;

static void *thread_main(void *p) {
    thread_arg *a = p;
    for (int s = a->first; s < a->n_jobs; s += a->step) shard_run(&a->jobs[s]);
    return NULL;
}

/* Run the jobs on up to `threads` threads: thread k runs jobs k, k + T, ... Each job writes only
 * its own work space, so the mapping never changes a result. */
static void run_jobs(shard_job *jobs, int n_jobs, int threads) {
    int T = threads < n_jobs ? threads : n_jobs;
    if (T < 1) T = 1;
    pthread_t th[SHARDS_MAX];
    thread_arg args[SHARDS_MAX];
    bool started[SHARDS_MAX] = {false};
    for (int k = 1; k < T; k++) {
        args[k] = (thread_arg){jobs, n_jobs, k, T};
        started[k] = pthread_create(&th[k], NULL, thread_main, &args[k]) == 0;
    }
    args[0] = (thread_arg){jobs, n_jobs, 0, T};
    thread_main(&args[0]);
    for (int k = 1; k < T; k++) {
        if (started[k])
            pthread_join(th[k], NULL);
        else
            thread_main(&args[k]); /* no thread: do its share here */
    }
}

/* Split idx[0..n) into `shards` contiguous parts and fill the jobs. */
static void make_jobs(l0_trainer *t, shard_job *jobs, int shards, const l0_dataset *ds,
                      const size_t *idx, size_t n, l0_loss_kind loss, bool grad) {
    for (int s = 0; s < shards; s++) {
        size_t a = n * (size_t)s / (size_t)shards, b = n * (size_t)(s + 1) / (size_t)shards;
        jobs[s] = (shard_job){t, t->ws[s], ds, idx + a, b - a, loss, grad, 0.0};
    }
}

double l0_train_eval_loss(l0_trainer *t, const l0_dataset *ds, const size_t *idx, size_t n,
                          l0_loss_kind loss, int shards, int threads) {
    if (shards < 1) shards = 1;
    if (shards > SHARDS_MAX) shards = SHARDS_MAX;
    if (trainer_workspaces(t, shards)) return NAN;
    shard_job jobs[SHARDS_MAX];
    make_jobs(t, jobs, shards, ds, idx, n, loss, false);
    run_jobs(jobs, shards, threads);
    double sum = 0;
    for (int s = 0; s < shards; s++) sum += jobs[s].loss_sum;
    return n ? sum / (double)n : 0.0;
}

/* --- training ----------------------------------------------------------------------------------
 */

void l0_train_cfg_default(l0_train_cfg *c) {
    memset(c, 0, sizeof *c);
    c->loss = L0_LOSS_LOG;
    c->epochs = 100;
    c->batch = 256;
    c->lr = 1e-3;
    c->beta1 = 0.9;
    c->beta2 = 0.999;
    c->eps = 1e-8;
    c->lr_factor = 0.5;
    c->lr_min = 1e-6;
    c->plateau = 3;
    c->patience = 8;
    c->min_delta = 1e-4;
    c->seed = 1;
    c->shards = 2;
    c->threads = 2;
}

static void shuffle(size_t *a, size_t n, uint64_t seed, uint64_t epoch) {
    l0_rng r;
    l0_rng_seed(&r, seed ^ 0x73687566666c65ULL, epoch);
    for (size_t i = n; i > 1; i--) {
        size_t j = (size_t)l0_rng_below(&r, i);
        size_t s = a[i - 1];
        a[i - 1] = a[j];
        a[j] = s;
    }
}

int l0_train(l0_model *m, const l0_dataset *ds, const l0_train_cfg *cfg, l0_train_result *res,
             l0_err *err) {
    memset(res, 0, sizeof *res);
    if (m->pad_cells > 0)
        return l0_err_set(err, "the model pads clusters (field 'padding'), and training sums a "
                               "cluster's real cells only: a padded model cannot be trained");
    if (!l0_dataset_matches(ds, m))
        return l0_err_set(err, "the data set was read with other features or cells_max than "
                               "the model's");
    if (!ds->n_train || !ds->n_val)
        return l0_err_set(err, "no training or no validation clusters (split the data set)");
    if (cfg->batch < 1 || cfg->epochs < 0 || cfg->shards < 1 || cfg->shards > SHARDS_MAX ||
        cfg->threads < 1 || !(cfg->lr > 0))
        return l0_err_set(err, "bad training settings (batch, epochs, shards 1..%d, threads, lr)",
                          SHARDS_MAX);
    l0_trainer *t = l0_trainer_create(m, cfg->qat, err);
    if (!t) return -1;
    if (cfg->qat)
        for (int k = 0; k < t->nl; k++) l0_trainer_set_budget(t, k, cfg->budget[k]);
    size_t np = t->n_params, ntr = ds->n_train;
    double *am = calloc(np, sizeof *am), *av = calloc(np, sizeof *av);
    double *g = malloc(sizeof *g * np), *best = malloc(sizeof *best * np);
    size_t *order = malloc(sizeof *order * ntr);
    int rc = 0;
    if (!am || !av || !g || !best || !order || trainer_workspaces(t, cfg->shards)) {
        rc = l0_err_set(err, "out of memory");
        goto done;
    }
    memcpy(order, ds->train, sizeof *order * ntr);
    memcpy(best, t->theta, sizeof *best * np);

    double t0 = l0_now(), lr = cfg->lr, b1t = 1, b2t = 1;
    double val =
        l0_train_eval_loss(t, ds, ds->val, ds->n_val, cfg->loss, cfg->shards, cfg->threads);
    res->initial_val_loss = res->best_val_loss = val;
    res->best_train_loss = NAN;
    if (!isfinite(val)) {
        rc = l0_err_set(err, "the validation loss of the initial model is not finite");
        goto done;
    }
    if (cfg->log)
        fprintf(cfg->log, "epoch %3d  train %-12s val %-12.6g lr %-9.3g %6.1f s\n", 0, "-", val, lr,
                0.0);
    int wait = 0, wait_lr = 0;
    shard_job jobs[SHARDS_MAX];
    for (int epoch = 1; epoch <= cfg->epochs; epoch++) {
        double te = l0_now(), loss_sum = 0;
        shuffle(order, ntr, cfg->seed, (uint64_t)epoch);
        l0_progress prog;
        char label[64];
        snprintf(label, sizeof label, "epoch %d (clusters)", epoch);
        if (cfg->progress) l0_progress_start(&prog, label, ntr);
        for (size_t b0 = 0; b0 < ntr; b0 += (size_t)cfg->batch) {
            size_t nb = ntr - b0 < (size_t)cfg->batch ? ntr - b0 : (size_t)cfg->batch;
            make_jobs(t, jobs, cfg->shards, ds, order + b0, nb, cfg->loss, true);
            run_jobs(jobs, cfg->shards, cfg->threads);
            /* the reduction: shards in order */
            memcpy(g, t->ws[0]->grad, sizeof *g * np);
            loss_sum += jobs[0].loss_sum;
            for (int s = 1; s < cfg->shards; s++) {
                const double *gs = t->ws[s]->grad;
                for (size_t q = 0; q < np; q++) g[q] += gs[q];
                loss_sum += jobs[s].loss_sum;
            }
            /* Adam on the batch mean */
            double inv = 1.0 / (double)nb;
            b1t *= cfg->beta1;
            b2t *= cfg->beta2;
            double c1 = 1.0 / (1.0 - b1t), c2 = 1.0 / (1.0 - b2t);
            for (size_t q = 0; q < np; q++) {
                double gq = g[q] * inv;
                am[q] = cfg->beta1 * am[q] + (1 - cfg->beta1) * gq;
                av[q] = cfg->beta2 * av[q] + (1 - cfg->beta2) * gq * gq;
                t->theta[q] -= lr * (am[q] * c1) / (sqrt(av[q] * c2) + cfg->eps);
            }
            trainer_sync(t);
            if (cfg->progress) l0_progress_update(&prog, b0 + nb);
        }
        if (cfg->progress) l0_progress_end(&prog, ntr);
        double train = loss_sum / (double)ntr;
        val = l0_train_eval_loss(t, ds, ds->val, ds->n_val, cfg->loss, cfg->shards, cfg->threads);
        res->epochs_run = epoch;
        if (!isfinite(train) || !isfinite(val)) {
            rc = l0_err_set(err,
                            "training diverged at epoch %d (train loss %g, validation loss %g): "
                            "try a lower --lr",
                            epoch, train, val);
            goto done;
        }
        bool improved = val < res->best_val_loss - cfg->min_delta * fabs(res->best_val_loss);
        double lr_used = lr;
        if (improved) {
            res->best_val_loss = val;
            res->best_train_loss = train;
            res->best_epoch = epoch;
            memcpy(best, t->theta, sizeof *best * np);
            wait = wait_lr = 0;
        } else {
            wait++;
            wait_lr++;
            if (wait_lr >= cfg->plateau && lr > cfg->lr_min) {
                lr = lr * cfg->lr_factor > cfg->lr_min ? lr * cfg->lr_factor : cfg->lr_min;
                res->lr_drops++;
                wait_lr = 0;
            }
        }
        if (cfg->log) {
            fprintf(cfg->log, "epoch %3d  train %-12.6g val %-12.6g lr %-9.3g %6.1f s%s%s\n", epoch,
                    train, val, lr_used, l0_now() - te, improved ? "  *best" : "",
                    lr != lr_used ? "  (lr drop)" : "");
            fflush(cfg->log);
        }
        if (wait >= cfg->patience) {
            res->early_stopped = true;
            break;
        }
    }
    res->lr_final = lr;
    res->seconds = l0_now() - t0;
    res->seconds_per_epoch = res->epochs_run ? res->seconds / res->epochs_run : 0;
    theta_to_model(t, best, m);
done:
    free(am);
    free(av);
    free(g);
    free(best);
    free(order);
    l0_trainer_free(t);
    return rc;
}

/* --- data-dependent initialisation -------------------------------------------------------------
 */

static int cmp_dbl(const void *a, const void *b) {
    double x = *(const double *)a, y = *(const double *)b;
    return x < y ? -1 : x > y;
}

int l0_train_init_scale(l0_model *m, const l0_dataset *ds, size_t n_sample, l0_err *err) {
    size_t ns = n_sample < ds->n_train ? n_sample : ds->n_train;
    if (!ns) return l0_err_set(err, "no training clusters to initialise from");
    if (!l0_dataset_matches(ds, m))
        return l0_err_set(err, "the data set was read with other features than the model's");
    double *y = malloc(sizeof *y * ns), *tg = malloc(sizeof *tg * ns);
    if (!y || !tg) {
        free(y);
        free(tg);
        return l0_err_set(err, "out of memory");
    }
    int nl = l0_model_n_layers(m), rc = 0;
    for (int k = 0; k < nl && !rc; k++) {
        l0_trainer *t = l0_trainer_create(m, false, err);
        if (!t) {
            rc = -1;
            break;
        }
        work *w = t->ws[0];
        l0_layer *L = l0_model_layer(m, k);
        double ss = 0, cnt = 0;
        for (size_t q = 0; q < ns; q++) {
            size_t i = ds->train[q];
            y[q] = forward(t, w, ds, i);
            tg[q] = l0_dataset_target(ds, i) / m->target_scale;
            if (k < m->n_phi) {
                int n = (int)(ds->off[i + 1] - ds->off[i]);
                if (n > t->cells_max) n = t->cells_max;
                for (int c = 0; c < n; c++) {
                    const double *a = w->act + (size_t)c * t->phi_units + t->phi_off[k];
                    for (int j = 0; j < L->n_out; j++) ss += a[j] * a[j];
                    cnt += L->n_out;
                }
            } else {
                const double *a = w->ract + (size_t)(k - m->n_phi) * U;
                for (int j = 0; j < L->n_out; j++) ss += a[j] * a[j];
                cnt += L->n_out;
            }
        }
        l0_trainer_free(t);
        double s;
        if (k < nl - 1) {
            /* hidden layers: outputs of RMS 1 (ReLU is positively homogeneous, so scaling the
             * weights and biases scales the outputs exactly) */
            double rms = sqrt(ss / cnt);
            s = rms > 0 ? 1.0 / rms : 1.0;
            for (int q = 0; q < L->n_in * L->n_out; q++) L->w[q] *= s;
            for (int j = 0; j < L->n_out; j++) L->b[j] *= s;
        } else {
            /* the output: a spread of a tenth of the median target around the median target,
             * so that a fresh network starts with responses near 1 */
            double mean = 0, var = 0;
            for (size_t q = 0; q < ns; q++) mean += y[q];
            mean /= (double)ns;
            for (size_t q = 0; q < ns; q++) var += (y[q] - mean) * (y[q] - mean);
            double sd = sqrt(var / (double)ns);
            qsort(tg, ns, sizeof *tg, cmp_dbl);
            double med = tg[ns / 2];
            s = sd > 0 ? 0.1 * med / sd : 1.0;
            for (int q = 0; q < L->n_in * L->n_out; q++) L->w[q] *= s;
            L->b[0] = L->b[0] * s + med - s * mean;
        }
    }
    free(y);
    free(tg);
    return rc;
}

/* --- closure ---------------------------------------------------------------------------------- */

typedef struct resp_pt {
    double lt, r; /* log of true energy, response */
} resp_pt;

static int cmp_lt(const void *a, const void *b) {
    double x = ((const resp_pt *)a)->lt, y = ((const resp_pt *)b)->lt;
    return x < y ? -1 : x > y;
}

int l0_train_closure_step(const l0_model *m, l0_dataset *ds, bool qat, int bins, double e_lo,
                          double e_hi, double *max_dev, l0_err *err) {
    size_t n = 0;
    for (size_t q = 0; q < ds->n_train; q++) {
        double te = ds->truth_e[ds->train[q]];
        n += te >= e_lo && te <= e_hi;
    }
    if (bins < 1 || n < (size_t)bins * 20)
        return l0_err_set(err,
                          "closure: %zu training clusters with true energy in [%g, %g] GeV are "
                          "too few for %d bins (20 per bin at least)",
                          n, e_lo, e_hi, bins);
    if (!ds->tcorr) {
        if (!(ds->tcorr = malloc(sizeof *ds->tcorr * ds->n)))
            return l0_err_set(err, "out of memory");
        for (size_t i = 0; i < ds->n; i++) ds->tcorr[i] = 1.0;
    }
    resp_pt *p = malloc(sizeof *p * n);
    double *r = malloc(sizeof *r * n), *cx = malloc(sizeof *cx * (size_t)bins),
           *cy = malloc(sizeof *cy * (size_t)bins);
    l0_trainer *t = p && r && cx && cy ? l0_trainer_create(m, qat, err) : NULL;
    if (!t) {
        free(p);
        free(r);
        free(cx);
        free(cy);
        return p && r && cx && cy ? -1 : l0_err_set(err, "out of memory");
    }
    size_t np = 0;
    for (size_t q = 0; q < ds->n_train; q++) {
        size_t i = ds->train[q];
        if (!(ds->truth_e[i] >= e_lo && ds->truth_e[i] <= e_hi)) continue;
        p[np].lt = log(ds->truth_e[i]);
        p[np].r = l0_trainer_forward(t, ds, i) * m->target_scale / ds->truth_e[i];
        np++;
    }
    l0_trainer_free(t);
    qsort(p, n, sizeof *p, cmp_lt);
    double dev = 0;
    for (int b = 0; b < bins; b++) {
        size_t a = n * (size_t)b / (size_t)bins, e = n * (size_t)(b + 1) / (size_t)bins;
        for (size_t q = a; q < e; q++) r[q - a] = p[q].r;
        qsort(r, e - a, sizeof *r, cmp_dbl);
        size_t k = e - a;
        cx[b] = p[a + k / 2].lt;
        cy[b] = k % 2 ? r[k / 2] : 0.5 * (r[k / 2 - 1] + r[k / 2]);
        if (!(cy[b] > 0.05)) cy[b] = 0.05; /* never a wild correction */
        if (fabs(cy[b] - 1) > dev) dev = fabs(cy[b] - 1);
    }
    for (size_t i = 0; i < ds->n; i++) {
        double lt = log(ds->truth_e[i]), R;
        if (lt <= cx[0]) {
            R = cy[0];
        } else if (lt >= cx[bins - 1]) {
            R = cy[bins - 1];
        } else {
            int b = 0;
            while (b + 1 < bins - 1 && lt > cx[b + 1]) b++;
            double f = cx[b + 1] > cx[b] ? (lt - cx[b]) / (cx[b + 1] - cx[b]) : 0;
            R = cy[b] + f * (cy[b + 1] - cy[b]);
        }
        ds->tcorr[i] /= R;
    }
    if (max_dev) *max_dev = dev;
    free(p);
    free(r);
    free(cx);
    free(cy);
    return 0;
}
