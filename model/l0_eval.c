#include "l0_eval.h"

#include <math.h>
#include <pthread.h>
#include <stdlib.h>
#include <string.h>

#include "l0_progress.h"
#include "l0_stimfile.h"
#include "l0_train.h"

/* --- clusters of a file, streamed ------------------------------------------------------------ */

struct l0_cliter {
    l0_stim_reader *r;
    bool singles;
    l0_event ev;
    bool have; /* ev holds a record whose clusters are being returned */
    uint32_t next;
    uint64_t records, skipped;
};

l0_cliter *l0_cliter_open(const char *path, l0_err *err) {
    l0_stim_reader *r = l0_stim_reader_open(path, err);
    if (!r) return NULL;
    l0_cliter *it = calloc(1, sizeof *it);
    if (!it) {
        l0_stim_reader_close(r);
        l0_err_set(err, "%s: out of memory", path);
        return NULL;
    }
    it->r = r;
    it->singles = !strcmp(l0_stim_reader_kind(r), L0_STIM_KIND_SINGLES);
    return it;
}

bool l0_cliter_singles(const l0_cliter *it) {
    return it->singles;
}

int l0_cliter_next(l0_cliter *it, const l0_cluster **c, const l0_event **ev, uint64_t *record,
                   uint32_t *index, l0_err *err) {
    for (;;) {
        if (it->have && it->next < it->ev.n_clusters && !(it->singles && it->next > 0)) {
            *c = &it->ev.clusters[it->next];
            if (ev) *ev = &it->ev;
            *record = it->records - 1;
            *index = it->next++;
            return 1;
        }
        int rc = l0_stim_reader_next(it->r, &it->ev, err);
        if (rc <= 0) {
            it->have = false;
            return rc;
        }
        it->records++;
        it->have = true;
        it->next = 0;
        if (it->singles && it->ev.n_clusters == 0) it->skipped++;
    }
}

uint64_t l0_cliter_records(const l0_cliter *it) {
    return it->records;
}
uint64_t l0_cliter_skipped(const l0_cliter *it) {
    return it->skipped;
}

void l0_cliter_close(l0_cliter *it) {
    if (!it) return;
    l0_stim_reader_close(it->r);
    free(it);
}

/* --- clusters in memory ---------------------------------------------------------------------- */

void l0_clset_init(l0_clset *s) {
    memset(s, 0, sizeof *s);
}

void l0_clset_free(l0_clset *s) {
    free(s->c);
    free(s->record);
    free(s->index);
    free(s->pool);
    free(s->off);
    memset(s, 0, sizeof *s);
}

int l0_clset_add(l0_clset *s, const l0_cluster *c, uint64_t record, uint32_t index, int cells_max,
                 l0_err *err) {
    if (s->n == s->cap) {
        size_t cap = s->cap ? 2 * s->cap : 1024;
        l0_cluster *nc = realloc(s->c, cap * sizeof *nc);
        if (nc) s->c = nc;
        uint64_t *nr = realloc(s->record, cap * sizeof *nr);
        if (nr) s->record = nr;
        uint32_t *ni = realloc(s->index, cap * sizeof *ni);
        if (ni) s->index = ni;
        size_t *no = realloc(s->off, cap * sizeof *no);
        if (no) s->off = no;
        if (!nc || !nr || !ni || !no) return l0_err_set(err, "out of memory (%zu clusters)", cap);
        s->cap = cap;
    }
    int keep = c->n_cells;
    if (cells_max > 0 && keep > cells_max) keep = cells_max;
    if (s->n_cells + (size_t)keep > s->cap_cells) {
        size_t cap = s->cap_cells ? 2 * s->cap_cells : 16384;
        while (cap < s->n_cells + (size_t)keep) cap *= 2;
        l0_cell *np = realloc(s->pool, cap * sizeof *np);
        if (!np) return l0_err_set(err, "out of memory (%zu cells)", cap);
        s->pool = np;
        s->cap_cells = cap;
        /* the pool moved: point every cluster at its cells again */
        for (size_t i = 0; i < s->n; i++) s->c[i].cells = s->pool + s->off[i];
    }
    if (keep) memcpy(s->pool + s->n_cells, c->cells, (size_t)keep * sizeof *c->cells);
    l0_cluster *d = &s->c[s->n];
    *d = *c;
    d->n_cells = (uint16_t)keep;
    d->cells = s->pool + s->n_cells;
    s->off[s->n] = s->n_cells;
    s->record[s->n] = record;
    s->index[s->n] = index;
    s->n_cells += (size_t)keep;
    s->n++;
    return 0;
}

int l0_clset_load(l0_clset *s, const char *path, size_t max_clusters, bool truth_only,
                  int cells_max, l0_err *err) {
    l0_cliter *it = l0_cliter_open(path, err);
    if (!it) return -1;
    s->singles = l0_cliter_singles(it);
    const l0_cluster *c;
    uint64_t rec;
    uint32_t idx;
    int rc = 0;
    while ((max_clusters == 0 || s->n < max_clusters) &&
           (rc = l0_cliter_next(it, &c, NULL, &rec, &idx, err)) == 1) {
        if (truth_only && !(c->truth_e > 0)) {
            s->skipped++;
            continue;
        }
        if (l0_clset_add(s, c, rec, idx, cells_max, err)) {
            rc = -1;
            break;
        }
    }
    if (max_clusters && s->n >= max_clusters) rc = 0;
    s->records = l0_cliter_records(it);
    s->skipped += l0_cliter_skipped(it);
    l0_cliter_close(it);
    return rc < 0 ? -1 : 0;
}

/* --- statistics ------------------------------------------------------------------------------ */

double l0_mpe(const double *fixed, const double *flt, size_t n, size_t *n_used) {
    double sum = 0;
    size_t used = 0;
    for (size_t i = 0; i < n; i++) {
        if (flt[i] == 0 || !isfinite(flt[i]) || !isfinite(fixed[i])) continue;
        sum += fabs(fixed[i] - flt[i]) / fabs(flt[i]);
        used++;
    }
    if (n_used) *n_used = used;
    return used ? sum / (double)used * 100.0 : 0.0;
}

double l0_quantile_sorted(const double *x, size_t n, double q) {
    double h = q * (double)(n - 1);
    size_t lo = (size_t)floor(h);
    if (lo >= n - 1) return x[n - 1];
    return x[lo] + (h - (double)lo) * (x[lo + 1] - x[lo]);
}

static int cmp_double(const void *a, const void *b) {
    double x = *(const double *)a, y = *(const double *)b;
    return (x > y) - (x < y);
}

void l0_resp_stats(double *x, size_t n, l0_resp *r) {
    r->n = n;
    if (n == 0) {
        r->median = r->q25 = r->q75 = r->iqr_med = NAN;
        return;
    }
    qsort(x, n, sizeof *x, cmp_double);
    r->median = l0_quantile_sorted(x, n, 0.5);
    r->q25 = l0_quantile_sorted(x, n, 0.25);
    r->q75 = l0_quantile_sorted(x, n, 0.75);
    r->iqr_med = r->median != 0 ? (r->q75 - r->q25) / r->median : NAN;
}

int l0_log_edges(double lo, double hi, int per_decade, double *edges, int max) {
    int n = 0;
    if (max < 2 || !(lo > 0) || !(hi > lo) || per_decade < 1) return -1;
    edges[n++] = lo;
    /* powers 10^(k / per_decade) strictly inside (lo, hi), with a little slack so that lo = 1
     * and 10^(k/p) computed in floating point do not give a sliver bin */
    int k = (int)floor(log10(lo) * per_decade) + 1;
    for (;; k++) {
        double e = pow(10.0, (double)k / per_decade);
        if (e >= hi * (1 - 1e-9)) break;
        if (e <= lo * (1 + 1e-9)) continue;
        if (n >= max - 1) return -1;
        edges[n++] = e;
    }
    edges[n++] = hi;
    return n;
}

void l0_resp_binned(const double *truth, const double *pred, size_t n, const double *edges,
                    int n_edges, l0_resp *out, double *work) {
    for (int b = 0; b + 1 < n_edges; b++) {
        size_t k = 0;
        bool last = b + 2 == n_edges;
        for (size_t i = 0; i < n; i++)
            if (truth[i] >= edges[b] &&
                (truth[i] < edges[b + 1] || (last && truth[i] == edges[b + 1])))
                work[k++] = pred[i] / truth[i];
        l0_resp_stats(work, k, &out[b]);
    }
}

/* --- predictions ----------------------------------------------------------------------------- */

void l0_predict_float(const l0_model *m, const l0_clset *s, double *out) {
    for (size_t i = 0; i < s->n; i++) out[i] = l0_model_float(m, &s->c[i]);
}

/* --- precision sweeps ------------------------------------------------------------------------ */

/* Recompute the auto accumulators, clipping to 64 bits those that would be wider. */
static int update_accums(l0_model *m, bool *clipped, l0_err *err) {
    bool clip = false;
    for (int k = 0; k < l0_model_n_layers(m); k++) {
        l0_layer *L = l0_model_layer(m, k);
        if (!L->acc_auto) continue;
        int w, i;
        bool sg;
        l0_model_auto_accum_size(m, k, &w, &i, &sg);
        if (w <= L0_FX_W_MAX) continue;
        if (l0_fx_type_make(&L->t_acc, L0_FX_W_MAX, i, sg, L0_FX_TRN, L0_FX_WRAP, err)) return -1;
        L->acc_auto = false;
        clip = true;
    }
    if (clipped) *clipped = clip;
    return l0_model_update_auto_accum(m, err);
}

int l0_eval_set_precision(l0_model *m, const l0_precision *p, bool *clipped, l0_err *err) {
    m->t_in = p->input;
    m->t_ksum = p->ksum;
    for (int k = 0; k < l0_model_n_layers(m); k++) {
        l0_layer *L = l0_model_layer(m, k);
        L->t_w = p->weight;
        L->t_b = p->bias;
        L->t_res = p->result;
        L->t_acc = p->accum;
        L->acc_auto = p->accum_auto;
    }
    return update_accums(m, clipped, err);
}

int l0_sweep_point_apply(l0_model *m, const l0_sweep_point *pt, bool *clipped, l0_err *err) {
    if (!pt->from_model) {
        if (l0_eval_set_precision(m, &pt->p, clipped, err)) return -1;
        if (!pt->ksum_set) return 0;
    }
    if (pt->ksum_set) m->t_ksum = pt->ksum;
    return update_accums(m, clipped, err);
}

int l0_eval_model(const l0_model *m, const l0_clset *s, const double *flt, double e_min,
                  l0_point_result *r, double *fixed, double *work, l0_err *err) {
    l0_golden *g = l0_golden_create(m, err);
    if (!g) return -1;
    double sum = 0, max_rel = 0, loss = 0;
    size_t used = 0, nr = 0;
    for (size_t i = 0; i < s->n; i++) {
        double out;
        l0_golden_run(g, &s->c[i], &out);
        if (fixed) fixed[i] = out;
        if (flt[i] != 0 && isfinite(flt[i])) {
            double rel = fabs(out - flt[i]) / fabs(flt[i]);
            sum += rel;
            if (rel > max_rel) max_rel = rel;
            used++;
        }
        double t = s->c[i].truth_e;
        if (t > 0 && t >= e_min) {
            work[nr++] = out * m->target_scale / t;
            loss += l0_loss_eval(L0_LOSS_LOG, out, t / m->target_scale, NULL);
        }
    }
    r->mpe = used ? sum / (double)used * 100.0 : 0.0;
    r->n_used = used;
    r->max_rel = max_rel;
    r->loss = nr ? loss / (double)nr : NAN;
    l0_resp_stats(work, nr, &r->resp);
    r->ovf = *l0_golden_ovf(g);
    l0_golden_free(g);
    return 0;
}

typedef struct sweep_job {
    const l0_model *m;
    const l0_clset *s;
    const double *flt;
    const l0_sweep_point *pts;
    size_t n_pts;
    const l0_sweep_cfg *cfg;
    l0_point_result *res;
    int *status;  /* per point: 0 ok, -1 failed */
    l0_err *errs; /* per point */
    pthread_mutex_t mu;
    size_t next, done;
    l0_progress progress;
} sweep_job;

static int run_point(sweep_job *j, size_t k, double *work) {
    l0_model m;
    l0_err *err = &j->errs[k];
    if (l0_model_copy(&m, j->m, err)) return -1;
    l0_point_result *r = &j->res[k];
    memset(r, 0, sizeof *r);
    int rc = l0_sweep_point_apply(&m, &j->pts[k], &r->accum_clipped, err);
    if (!rc) rc = l0_eval_model(&m, j->s, j->flt, j->cfg->e_min, r, NULL, work, err);
    l0_model_free(&m);
    return rc;
}

static void *sweep_worker(void *arg) {
    sweep_job *j = arg;
    double *work = malloc((j->s->n ? j->s->n : 1) * sizeof *work);
    for (;;) {
        pthread_mutex_lock(&j->mu);
        size_t k = j->next < j->n_pts ? j->next++ : j->n_pts;
        pthread_mutex_unlock(&j->mu);
        if (k >= j->n_pts) break;
        if (!work) {
            j->status[k] = l0_err_set(&j->errs[k], "out of memory");
        } else {
            j->status[k] = run_point(j, k, work);
        }
        pthread_mutex_lock(&j->mu);
        j->done++;
        if (j->cfg->progress) l0_progress_update(&j->progress, j->done);
        pthread_mutex_unlock(&j->mu);
    }
    free(work);
    return NULL;
}

int l0_sweep_run(const l0_model *m, const l0_clset *s, const double *flt, const l0_sweep_point *pts,
                 size_t n_pts, const l0_sweep_cfg *cfg, l0_point_result *res, l0_err *err) {
    if (n_pts == 0) return 0;
    sweep_job j = {.m = m, .s = s, .flt = flt, .pts = pts, .n_pts = n_pts, .cfg = cfg, .res = res};
    j.status = calloc(n_pts, sizeof *j.status);
    j.errs = calloc(n_pts, sizeof *j.errs);
    if (!j.status || !j.errs) {
        free(j.status);
        free(j.errs);
        return l0_err_set(err, "out of memory");
    }
    pthread_mutex_init(&j.mu, NULL);
    if (cfg->progress) l0_progress_start(&j.progress, "sweep points", n_pts);
    int nt = cfg->threads < 1 ? 1 : cfg->threads;
    if ((size_t)nt > n_pts) nt = (int)n_pts;
    pthread_t th[64];
    if (nt > 64) nt = 64;
    int started = 0;
    for (int t = 1; t < nt; t++) {
        if (pthread_create(&th[t], NULL, sweep_worker, &j)) break;
        started++;
    }
    sweep_worker(&j); /* the calling thread works too */
    for (int t = 1; t <= started; t++) pthread_join(th[t], NULL);
    if (cfg->progress) l0_progress_end(&j.progress, j.done);
    pthread_mutex_destroy(&j.mu);
    int rc = 0;
    for (size_t k = 0; k < n_pts; k++)
        if (j.status[k]) {
            rc = l0_err_set(err, "precision point %zu: %s", k, j.errs[k].msg);
            break;
        }
    free(j.status);
    free(j.errs);
    return rc;
}

/* --- per-layer differences -------------------------------------------------------------------- */

int l0_layer_diffs(const l0_model *m, const l0_clset *s, size_t max_clusters, l0_layer_diff *out,
                   int *n_out, l0_err *err) {
    l0_golden *g = l0_golden_create(m, err);
    if (!g) return -1;
    size_t n = max_clusters && max_clusters < s->n ? max_clusters : s->n;
    int nt = m->n_phi + m->n_rho + 2;
    double sum_rel[2 * L0_MODEL_LAYERS_MAX + 2] = {0}, sum_abs[2 * L0_MODEL_LAYERS_MAX + 2] = {0},
                                             sum_flt[2 * L0_MODEL_LAYERS_MAX + 2] = {0};
    memset(out, 0, sizeof *out * (size_t)nt);
    for (size_t i = 0; i < n; i++) {
        l0_trace tr;
        if (l0_golden_trace(g, &s->c[i], &tr, err)) {
            l0_golden_free(g);
            return -1;
        }
        for (int t = 0; t < tr.n; t++) {
            const l0_trace_tensor *T = &tr.t[t];
            l0_layer_diff *d = &out[t];
            if (i == 0) {
                snprintf(d->name, sizeof d->name, "%s", T->name);
                d->type = T->type;
            }
            size_t sz = (size_t)T->rows * (size_t)T->cols;
            for (size_t e = 0; e < sz; e++) {
                double f = T->flt[e], x = T->fixed[e], a = fabs(x - f);
                d->elements++;
                sum_abs[t] += a;
                sum_flt[t] += fabs(f);
                if (a > d->max_abs) d->max_abs = a;
                if (f != 0) {
                    sum_rel[t] += a / fabs(f);
                    d->used++;
                }
            }
        }
        l0_trace_free(&tr);
    }
    if (n == 0) /* name the tensors anyway */
        for (int t = 0; t < nt; t++) {
            if (t == 0)
                snprintf(out[t].name, sizeof out[t].name, "input");
            else if (t <= m->n_phi)
                snprintf(out[t].name, sizeof out[t].name, "phi%d", t - 1);
            else if (t == m->n_phi + 1)
                snprintf(out[t].name, sizeof out[t].name, "ksum");
            else
                snprintf(out[t].name, sizeof out[t].name, "rho%d", t - m->n_phi - 2);
        }
    const l0_ovf_counts *o = l0_golden_ovf(g);
    for (int t = 0; t < nt; t++) {
        l0_layer_diff *d = &out[t];
        d->mpe = d->used ? sum_rel[t] / (double)d->used * 100.0 : 0.0;
        d->rel_l1 = sum_flt[t] > 0 ? sum_abs[t] / sum_flt[t] * 100.0 : 0.0;
        if (t == 0) {
            d->ovf = o->input;
            d->casts = o->casts_input;
        } else if (t == m->n_phi + 1) {
            d->ovf = o->ksum;
            d->casts = o->casts_ksum;
        } else {
            int k = t <= m->n_phi ? t - 1 : t - 2;
            d->ovf = o->accum[k] + o->result[k];
            d->casts = o->casts_accum[k] + o->casts_result[k];
        }
    }
    *n_out = nt;
    l0_golden_free(g);
    return 0;
}
