/* l0sim_capi: libl0sim.so's C API over the static libraries (see l0sim_capi.h). */
#include "l0sim_capi.h"

#include <getopt.h>
#include <math.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "l0_err.h"
#include "l0_fx.h"
#include "l0_model.h"
#include "l0_stim.h"
#include "l0_stimfile.h"

#ifndef L0SIM_VERSION
#error "L0SIM_VERSION must be defined by the build"
#endif

int l0_cmd_gen(int argc, char **argv); /* stimuli/l0_gen_cmd.c */

/* Copy an l0_err (or a formatted message) into the caller's buffer; returns -1. */
static int put_err(char *err, size_t errlen, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));
static int put_err(char *err, size_t errlen, const char *fmt, ...) {
    if (err && errlen) {
        va_list ap;
        va_start(ap, fmt);
        vsnprintf(err, errlen, fmt, ap);
        va_end(ap);
    }
    return -1;
}

const char *l0sim_version(void) {
    return L0SIM_VERSION;
}

int l0sim_abi(void) {
    return L0SIM_CAPI_ABI;
}

/* --- the model ------------------------------------------------------------------------------- */

struct l0sim_model {
    l0_model m;
    l0_golden *g, *gt; /* gt for traces, so that they leave the counters of g alone */
};

l0sim_model *l0sim_model_load(const char *path, char *err, size_t errlen) {
    l0_err e;
    l0sim_model *h = calloc(1, sizeof *h);
    if (!h) {
        put_err(err, errlen, "out of memory");
        return NULL;
    }
    if (l0_model_load(path, &h->m, &e)) {
        free(h);
        put_err(err, errlen, "%s", e.msg);
        return NULL;
    }
    if (!(h->g = l0_golden_create(&h->m, &e)) || !(h->gt = l0_golden_create(&h->m, &e))) {
        put_err(err, errlen, "%s: %s", path, e.msg);
        l0sim_model_free(h);
        return NULL;
    }
    return h;
}

void l0sim_model_free(l0sim_model *h) {
    if (!h) return;
    l0_golden_free(h->g);
    l0_golden_free(h->gt);
    l0_model_free(&h->m);
    free(h);
}

void l0sim_model_get_info(const l0sim_model *h, l0sim_model_info *o) {
    const l0_model *m = &h->m;
    memset(o, 0, sizeof *o);
    snprintf(o->name, sizeof o->name, "%s", m->name);
    o->n_feat = m->n_feat;
    o->cells_max = m->cells_max;
    o->pad_cells = m->pad_cells;
    o->pad_value = m->pad_value;
    o->target_scale = m->target_scale;
    o->n_phi = m->n_phi;
    o->n_rho = m->n_rho;
    o->ksum_width = l0_model_ksum_width(m);
    l0_fx_type_str(&m->rho[m->n_rho - 1].t_res, o->out_type, sizeof o->out_type);
    l0_fx_type_str(&m->t_in, o->in_type, sizeof o->in_type);
}

int l0sim_features(const l0sim_model *h, size_t n, const float *cl_eta, const float *cl_phi,
                   const int64_t *first_cell, const uint16_t *n_cells, size_t n_cell_total,
                   const float *cell_e, const float *cell_eta, const float *cell_phi,
                   const uint8_t *cell_layer, int cmax, double *x_out, int32_t *rows_out, char *err,
                   size_t errlen) {
    const l0_model *m = &h->m;
    if (cmax < 1 || cmax > L0_CELLS_MAX)
        return put_err(err, errlen, "cmax %d: not in 1..%d", cmax, L0_CELLS_MAX);
    l0_cell cells[L0_CELLS_MAX];
    const size_t row = (size_t)m->n_feat, stride = (size_t)cmax * row;
    memset(x_out, 0, sizeof *x_out * stride * n);
    for (size_t k = 0; k < n; k++) {
        int nc = n_cells[k] < cmax ? n_cells[k] : cmax;
        if (first_cell[k] < 0 || (uint64_t)first_cell[k] + (uint64_t)nc > n_cell_total)
            return put_err(err, errlen, "cluster %zu: cells %lld..%lld beyond the %zu cells given",
                           k, (long long)first_cell[k], (long long)first_cell[k] + nc - 1,
                           n_cell_total);
        l0_cluster c = {0};
        c.eta = cl_eta[k];
        c.phi = cl_phi[k];
        c.n_cells = (uint16_t)nc;
        c.n_cells_total = (uint16_t)nc;
        c.cells = cells;
        for (int j = 0; j < nc; j++) {
            size_t i = (size_t)first_cell[k] + (size_t)j;
            cells[j] = (l0_cell){cell_e[i], cell_eta[i], cell_phi[i], 0.0f, cell_layer[i]};
        }
        for (int j = 0; j < nc; j++) l0_model_features(m, &c, j, x_out + k * stride + j * row);
        rows_out[k] = nc;
    }
    return 0;
}

static int check_rows(size_t n, int cmax, const int32_t *rows, char *err, size_t errlen) {
    if (cmax < 1 || cmax > L0_CELLS_MAX)
        return put_err(err, errlen, "cells: %d cells per cluster, not in 1..%d", cmax,
                       L0_CELLS_MAX);
    for (size_t k = 0; k < n; k++)
        if (rows[k] < 0 || rows[k] > cmax)
            return put_err(err, errlen, "n_cells[%zu] = %d: not in 0..%d (the cells given)", k,
                           (int)rows[k], cmax);
    return 0;
}

int l0sim_predict(l0sim_model *h, const double *x, size_t n, int cmax, const int32_t *rows,
                  int64_t *raw_out, double *value_out, char *err, size_t errlen) {
    if (check_rows(n, cmax, rows, err, errlen)) return -1;
    const size_t stride = (size_t)cmax * (size_t)h->m.n_feat;
    for (size_t k = 0; k < n; k++) {
        double v;
        raw_out[k] = l0_golden_run_rows(h->g, x + k * stride, rows[k], &v);
        if (value_out) value_out[k] = v;
    }
    return 0;
}

int l0sim_predict_float(const l0sim_model *h, const double *x, size_t n, int cmax,
                        const int32_t *rows, double *out, char *err, size_t errlen) {
    if (check_rows(n, cmax, rows, err, errlen)) return -1;
    const size_t stride = (size_t)cmax * (size_t)h->m.n_feat;
    for (size_t k = 0; k < n; k++) out[k] = l0_model_float_rows(&h->m, x + k * stride, rows[k]);
    return 0;
}

struct l0sim_trace {
    l0_trace tr;
};

l0sim_trace *l0sim_trace_run(l0sim_model *h, const double *x, int rows, char *err, size_t errlen) {
    if (rows < 0 || rows > L0_CELLS_MAX) {
        put_err(err, errlen, "n_cells %d: not in 0..%d", rows, L0_CELLS_MAX);
        return NULL;
    }
    l0sim_trace *t = calloc(1, sizeof *t);
    l0_err e;
    if (!t) {
        put_err(err, errlen, "out of memory");
        return NULL;
    }
    if (l0_golden_trace_rows(h->gt, x, rows, &t->tr, &e)) {
        put_err(err, errlen, "%s", e.msg);
        free(t);
        return NULL;
    }
    return t;
}

int l0sim_trace_count(const l0sim_trace *t) {
    return t->tr.n;
}

void l0sim_trace_tensor(const l0sim_trace *t, int k, char *name, int *rows, int *cols, char *type) {
    const l0_trace_tensor *T = &t->tr.t[k];
    snprintf(name, 16, "%s", T->name);
    *rows = T->rows;
    *cols = T->cols;
    l0_fx_type_str(&T->type, type, 96);
}

void l0sim_trace_copy(const l0sim_trace *t, int k, double *flt, double *fixed, int64_t *raw) {
    const l0_trace_tensor *T = &t->tr.t[k];
    size_t sz = (size_t)T->rows * (size_t)T->cols;
    if (flt) memcpy(flt, T->flt, sz * sizeof *flt);
    if (fixed) memcpy(fixed, T->fixed, sz * sizeof *fixed);
    if (raw) memcpy(raw, T->raw, sz * sizeof *raw);
}

void l0sim_trace_free(l0sim_trace *t) {
    if (!t) return;
    l0_trace_free(&t->tr);
    free(t);
}

void l0sim_model_ovf(const l0sim_model *h, l0sim_ovf *o) {
    const l0_ovf_counts *c = l0_golden_ovf(h->g);
    memset(o, 0, sizeof *o);
    o->input = c->input;
    o->ksum = c->ksum;
    o->casts_input = c->casts_input;
    o->casts_ksum = c->casts_ksum;
    for (int k = 0; k < l0_model_n_layers(&h->m) && k < 32; k++) {
        o->accum[k] = c->accum[k];
        o->result[k] = c->result[k];
        o->casts_accum[k] = c->casts_accum[k];
        o->casts_result[k] = c->casts_result[k];
    }
}

void l0sim_model_reset_ovf(l0sim_model *h) {
    l0_golden_reset_ovf(h->g);
}

/* --- fixed point ----------------------------------------------------------------------------- */

int l0sim_fx_type(const char *type, l0sim_fx_info *o, char *err, size_t errlen) {
    l0_fx_type t;
    l0_err e;
    if (l0_fx_parse(type, &t, &e)) return put_err(err, errlen, "%s", e.msg);
    memset(o, 0, sizeof *o);
    o->w = t.w;
    o->i = t.i;
    o->is_signed = t.is_signed;
    l0_fx_type_str(&t, o->canon, sizeof o->canon);
    snprintf(o->quant, sizeof o->quant, "%s", l0_fx_quant_name(t.q));
    snprintf(o->ovf, sizeof o->ovf, "%s", l0_fx_ovf_name(t.o));
    o->lsb = ldexp(1.0, -l0_fx_frac(&t));
    o->min = (double)l0_fx_raw_min(&t) * o->lsb;
    o->max = (double)l0_fx_raw_max(&t) * o->lsb;
    return 0;
}

int l0sim_fx_cast(const char *type, const double *v, size_t n, int64_t *raw_out, double *value_out,
                  uint8_t *ovf_out, char *err, size_t errlen) {
    l0_fx_type t;
    l0_err e;
    if (l0_fx_parse(type, &t, &e)) return put_err(err, errlen, "%s", e.msg);
    for (size_t k = 0; k < n; k++) {
        int o = 0;
        int64_t r;
        if (l0_fx_from_double(v[k], &t, &r, &o) != L0_FX_OK)
            return put_err(err, errlen,
                           "values[%zu] = %g: not a finite number (ap_fixed has no "
                           "value for it)",
                           k, v[k]);
        raw_out[k] = r;
        if (value_out) value_out[k] = l0_fx_to_double(&t, r);
        if (ovf_out) ovf_out[k] = (uint8_t)o;
    }
    return 0;
}

/* --- stimulus files -------------------------------------------------------------------------- */

typedef struct rec_col {
    uint32_t orbit;
    uint16_t bx;
    uint8_t filled, n_hard;
    uint32_t n_clusters;
    int64_t first_cluster;
} rec_col;

typedef struct cl_col {
    int64_t record, first_cell;
    uint32_t index;
    float e, et, eta, phi, truth_e;
    int32_t truth_pdg;
    uint16_t n_cells, n_cells_total;
} cl_col;

struct l0sim_stim {
    char *kind, *options;
    uint32_t version;
    rec_col *rec;
    size_t n_rec, cap_rec;
    cl_col *cl;
    size_t n_cl, cap_cl;
    l0_cell *cells;
    size_t n_cells, cap_cells;
};

/* Grow *p (elements of sz bytes) to hold need elements. */
static int grow(void **p, size_t *cap, size_t need, size_t sz) {
    if (need <= *cap) return 0;
    size_t c = *cap ? *cap : 1024;
    while (c < need) c *= 2;
    void *q = realloc(*p, c * sz);
    if (!q) return -1;
    *p = q;
    *cap = c;
    return 0;
}

void l0sim_stim_free(l0sim_stim *s) {
    if (!s) return;
    free(s->kind);
    free(s->options);
    free(s->rec);
    free(s->cl);
    free(s->cells);
    free(s);
}

l0sim_stim *l0sim_stim_read(const char *path, uint64_t max_records, char *err, size_t errlen) {
    l0_err e;
    l0_stim_reader *r = l0_stim_reader_open(path, &e);
    if (!r) {
        put_err(err, errlen, "%s", e.msg);
        return NULL;
    }
    l0sim_stim *s = calloc(1, sizeof *s);
    if (!s) goto oom;
    s->kind = strdup(l0_stim_reader_kind(r));
    s->options = strdup(l0_stim_reader_options(r) ? l0_stim_reader_options(r) : "{}");
    s->version = l0_stim_reader_version(r);
    if (!s->kind || !s->options) goto oom;
    l0_event ev;
    int rc;
    while ((max_records == 0 || s->n_rec < max_records) &&
           (rc = l0_stim_reader_next(r, &ev, &e)) == 1) {
        if (grow((void **)&s->rec, &s->cap_rec, s->n_rec + 1, sizeof *s->rec) ||
            grow((void **)&s->cl, &s->cap_cl, s->n_cl + ev.n_clusters, sizeof *s->cl))
            goto oom;
        s->rec[s->n_rec] =
            (rec_col){ev.orbit, ev.bx, ev.filled, ev.n_hard, ev.n_clusters, (int64_t)s->n_cl};
        for (uint32_t k = 0; k < ev.n_clusters; k++) {
            const l0_cluster *c = &ev.clusters[k];
            if (grow((void **)&s->cells, &s->cap_cells, s->n_cells + c->n_cells, sizeof *s->cells))
                goto oom;
            s->cl[s->n_cl++] = (cl_col){(int64_t)s->n_rec,
                                        (int64_t)s->n_cells,
                                        k,
                                        c->e,
                                        c->et,
                                        c->eta,
                                        c->phi,
                                        c->truth_e,
                                        c->truth_pdg,
                                        c->n_cells,
                                        c->n_cells_total};
            memcpy(s->cells + s->n_cells, c->cells, sizeof *c->cells * c->n_cells);
            s->n_cells += c->n_cells;
        }
        s->n_rec++;
    }
    if (rc < 0) {
        put_err(err, errlen, "%s", e.msg);
        l0_stim_reader_close(r);
        l0sim_stim_free(s);
        return NULL;
    }
    l0_stim_reader_close(r);
    return s;
oom:
    put_err(err, errlen, "%s: out of memory", path);
    l0_stim_reader_close(r);
    l0sim_stim_free(s);
    return NULL;
}

void l0sim_stim_get_sizes(const l0sim_stim *s, l0sim_stim_sizes *o) {
    o->records = s->n_rec;
    o->clusters = s->n_cl;
    o->cells = s->n_cells;
    o->version = s->version;
}

const char *l0sim_stim_kind(const l0sim_stim *s) {
    return s->kind;
}

const char *l0sim_stim_options(const l0sim_stim *s) {
    return s->options;
}

void l0sim_stim_records(const l0sim_stim *s, uint32_t *orbit, uint16_t *bx, uint8_t *filled,
                        uint8_t *n_hard, uint32_t *n_clusters, int64_t *first_cluster) {
    for (size_t k = 0; k < s->n_rec; k++) {
        const rec_col *r = &s->rec[k];
        if (orbit) orbit[k] = r->orbit;
        if (bx) bx[k] = r->bx;
        if (filled) filled[k] = r->filled;
        if (n_hard) n_hard[k] = r->n_hard;
        if (n_clusters) n_clusters[k] = r->n_clusters;
        if (first_cluster) first_cluster[k] = r->first_cluster;
    }
}

void l0sim_stim_clusters(const l0sim_stim *s, int64_t *record, uint32_t *index, float *e, float *et,
                         float *eta, float *phi, float *truth_e, int32_t *truth_pdg,
                         uint16_t *n_cells, uint16_t *n_cells_total, int64_t *first_cell) {
    for (size_t k = 0; k < s->n_cl; k++) {
        const cl_col *c = &s->cl[k];
        if (record) record[k] = c->record;
        if (index) index[k] = c->index;
        if (e) e[k] = c->e;
        if (et) et[k] = c->et;
        if (eta) eta[k] = c->eta;
        if (phi) phi[k] = c->phi;
        if (truth_e) truth_e[k] = c->truth_e;
        if (truth_pdg) truth_pdg[k] = c->truth_pdg;
        if (n_cells) n_cells[k] = c->n_cells;
        if (n_cells_total) n_cells_total[k] = c->n_cells_total;
        if (first_cell) first_cell[k] = c->first_cell;
    }
}

void l0sim_stim_cells(const l0sim_stim *s, float *e, float *eta, float *phi, float *sigma,
                      uint8_t *layer) {
    for (size_t k = 0; k < s->n_cells; k++) {
        const l0_cell *c = &s->cells[k];
        if (e) e[k] = c->e;
        if (eta) eta[k] = c->eta;
        if (phi) phi[k] = c->phi;
        if (sigma) sigma[k] = c->sigma;
        if (layer) layer[k] = c->layer;
    }
}

/* --- commands -------------------------------------------------------------------------------- */

int l0sim_cmd_gen(int argc, char **argv) {
    optind = 0; /* a full reset of glibc's getopt between in-process commands */
    return l0_cmd_gen(argc, argv);
}
