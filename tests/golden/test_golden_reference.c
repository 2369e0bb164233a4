/* test_golden_reference: the golden model (l0_golden_run, l0_model_float, l0_golden_trace and the
 * overflow counters) against a second, deliberately simple implementation of the numeric
 * contract written here from l0_model.h, docs/model-format.md and DESIGN.md alone:
 *
 *   input   x = (input_t) feature                       (features: double, from l0_model_features)
 *   Dense   w = (weight_t) w_double, b = (bias_t) b_double
 *           acc = (accum_t) b;  for each i: acc = wrap_accum(acc + (accum_t)(x_i * w_ij exact))
 *           y = (result_t) acc;  ReLU: y = max(y, 0)
 *   KSum    (ksum_t)(exact sum over the real cells of the last phi outputs)
 *   output  the last rho layer's result raw.
 *
 * Casts use the fx core (l0_fx_cast_wide, l0_fx_from_double: tested on their own); products,
 * wrapping, ReLU, KSum and the overflow bookkeeping are done here. The float reference is the
 * same network in plain double.
 *
 * Synthetic clusters (1..128 cells, log-uniform energies 0.05-200 GeV, some tiny or negative
 * ones, eta/phi within 0.3 of a centre, centres near +-pi too, so dphi wraps) go through many
 * precision configurations; the fixed output must agree bit for bit on every cluster, the float
 * output to 1e-12 relative, every trace tensor on a few hundred clusters, and the overflow
 * counters exactly. On failure it prints the config, the cluster and the first differing tensor
 * element, and exits 1. */
#include <math.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "hls4ml_accum.h"
#include "l0_model.h"
#include "l0_rng.h"

#define N_CLUSTERS_MAX 4000
#define N_TRACE 150
/* Sanitizer builds (Debug, ASan) run a third of the clusters, to stay near a minute. */
#if defined(__SANITIZE_ADDRESS__)
#define WORK_DIV 3
#elif defined(__has_feature)
#if __has_feature(address_sanitizer)
#define WORK_DIV 3
#endif
#endif
#ifndef WORK_DIV
#define WORK_DIV 1
#endif
#define FLT_REL 1e-12
#define MAXL (2 * L0_MODEL_LAYERS_MAX)
#define PI 3.14159265358979323846

static int g_fails;
static const char *g_config = "";

static void fail(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
static void fail(const char *fmt, ...) {
    g_fails++;
    if (g_fails > 30) return;
    va_list ap;
    va_start(ap, fmt);
    printf("FAIL [config %s] ", g_config);
    vprintf(fmt, ap);
    printf("\n");
    va_end(ap);
}

static double now_s(void) {
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec + 1e-9 * (double)ts.tv_nsec;
}

static l0_fx_type T(const char *s) {
    l0_fx_type t;
    l0_err err;
    if (l0_fx_parse(s, &t, &err)) {
        printf("test setup: bad type %s: %s\n", s, err.msg);
        exit(2);
    }
    return t;
}

static const char *tstr(const l0_fx_type *t, char *buf) {
    l0_fx_type_str(t, buf, 96);
    return buf;
}

static bool type_eq(const l0_fx_type *a, const l0_fx_type *b) {
    return a->w == b->w && a->i == b->i && a->is_signed == b->is_signed && a->q == b->q &&
           a->o == b->o;
}

/* ---- synthetic clusters -------------------------------------------------------------------- */

static l0_cluster g_cl[N_CLUSTERS_MAX];
static int g_ncl;

static float wrap_pi_f(double p) {
    while (p > PI) p -= 2 * PI;
    while (p <= -PI) p += 2 * PI;
    return (float)p;
}

static int cmp_cell_e_desc(const void *a, const void *b) {
    float ea = ((const l0_cell *)a)->e, eb = ((const l0_cell *)b)->e;
    return (ea < eb) - (ea > eb);
}

static void make_clusters(int n, uint64_t seed) {
    l0_rng r;
    l0_rng_seed(&r, seed, 0);
    for (int k = 0; k < n; k++) {
        l0_cluster *c = &g_cl[k];
        int nc;
        double u = l0_rng_uniform(&r);
        if (u < 0.25)
            nc = 1 + (int)l0_rng_below(&r, 8);
        else if (u < 0.35)
            nc = 100 + (int)l0_rng_below(&r, 29); /* 100..128: beyond most cells_max */
        else
            nc = 1 + (int)l0_rng_below(&r, 128);
        double ceta = -1.4 + 2.8 * l0_rng_uniform(&r);
        double cphi = l0_rng_uniform(&r) < 0.2
                          ? (l0_rng_uniform(&r) < 0.5 ? 1 : -1) * (PI - 0.25 * l0_rng_uniform(&r))
                          : -PI + 2 * PI * l0_rng_uniform(&r);
        bool odd_energies = l0_rng_uniform(&r) < 0.1;
        c->cells = calloc((size_t)nc, sizeof(l0_cell));
        c->n_cells = (uint16_t)nc;
        c->n_cells_total = (uint16_t)(nc + (l0_rng_uniform(&r) < 0.1 ? 5 : 0));
        c->eta = (float)ceta;
        c->phi = wrap_pi_f(cphi);
        double esum = 0;
        for (int i = 0; i < nc; i++) {
            l0_cell *cell = &c->cells[i];
            double e = 0.05 * exp(log(200 / 0.05) * l0_rng_uniform(&r));
            if (odd_energies && l0_rng_uniform(&r) < 0.3)
                e = (l0_rng_uniform(&r) < 0.5 ? -0.5 : 0.002) * l0_rng_uniform(&r);
            cell->e = (float)e;
            cell->eta = (float)(ceta + 0.6 * (l0_rng_uniform(&r) - 0.5));
            cell->phi = wrap_pi_f(cphi + 0.6 * (l0_rng_uniform(&r) - 0.5));
            cell->sigma = 0.1f;
            cell->layer = (uint8_t)l0_rng_below(&r, 7);
            esum += cell->e;
        }
        qsort(c->cells, (size_t)nc, sizeof(l0_cell), cmp_cell_e_desc);
        c->e = (float)esum;
        c->et = (float)(esum / cosh(ceta));
    }
    g_ncl = n;
}

/* ---- the reference -------------------------------------------------------------------------- */

/* My own feature formula, from the header and docs/model-format.md. */
static double ref_feature(const l0_model *m, const l0_cluster *c, int k, int f) {
    const l0_cell *cell = &c->cells[k];
    const l0_feature *ft = &m->feat[f];
    double x = 0;
    switch (ft->kind) {
    case L0_FEAT_ENERGY:
        x = cell->e;
        break;
    case L0_FEAT_DETA:
        x = (double)cell->eta - (double)c->eta;
        break;
    case L0_FEAT_DPHI:
        x = (double)cell->phi - (double)c->phi;
        while (x > PI) x -= 2 * PI;
        while (x <= -PI) x += 2 * PI;
        break;
    case L0_FEAT_LAYER:
        x = cell->layer;
        break;
    default:
        x = NAN;
    }
    if (ft->transform == L0_TRANSFORM_LOG) return (log(fmax(x, ft->min)) - ft->offset) * ft->scale;
    return (x - ft->offset) * ft->scale;
}

typedef struct ref_layer {
    const l0_layer *L;
    l0_fx_type tx;  /* the layer's input type */
    int64_t *w;     /* raws of t_w */
    int64_t *b;     /* raws of t_b */
    int64_t *acc0;  /* (accum_t) bias, raws of t_acc */
    uint64_t ovf_w; /* weight casts that overflowed */
    uint64_t ovf_b; /* bias casts (to bias_t, then to accum_t) that overflowed */
} ref_layer;

typedef struct rtensor {
    char name[16];
    int rows, cols;
    l0_fx_type type;
    int64_t *raw;
    double *flt;
} rtensor;

typedef struct ref_model {
    const l0_model *m;
    int nl;
    ref_layer lay[MAXL];
    /* results of the last ref_run */
    int n_used;
    int nt;
    rtensor t[MAXL + 2];
    int64_t out_raw;
    double out_flt;
    /* counters (accumulated over runs) */
    uint64_t ovf_input, ovf_accum[MAXL], ovf_result[MAXL], ovf_ksum;
    uint64_t casts_input, casts_accum[MAXL], casts_result[MAXL], casts_ksum;
    uint64_t wraps; /* dot products whose exact sum left accum_t */
    uint64_t prod_ovf;
} ref_model;

/* Keep the low W bits of v, as a value of t (two's complement when signed). */
static l0_wide wrap_to(const l0_fx_type *t, l0_wide v) {
    l0_uwide u = (l0_uwide)v & ((((l0_uwide)1) << t->w) - 1);
    if (t->is_signed && ((u >> (t->w - 1)) & 1)) return (l0_wide)u - ((l0_wide)1 << t->w);
    return (l0_wide)u;
}

static void ref_prepare(ref_model *rm, const l0_model *m) {
    memset(rm, 0, sizeof *rm);
    rm->m = m;
    rm->nl = l0_model_n_layers(m);
    int rows_max = m->cells_max;
    for (int k = 0; k < rm->nl; k++) {
        const l0_layer *L = l0_model_layer_c(m, k);
        ref_layer *rl = &rm->lay[k];
        rl->L = L;
        if (k == 0)
            rl->tx = m->t_in;
        else if (k == m->n_phi)
            rl->tx = m->t_ksum;
        else
            rl->tx = l0_model_layer_c(m, k - 1)->t_res;
        rl->w = malloc(sizeof(int64_t) * (size_t)(L->n_in * L->n_out));
        rl->b = malloc(sizeof(int64_t) * (size_t)L->n_out);
        rl->acc0 = malloc(sizeof(int64_t) * (size_t)L->n_out);
        for (int q = 0; q < L->n_in * L->n_out; q++) {
            int o = 0;
            if (l0_fx_from_double(L->w[q], &L->t_w, &rl->w[q], &o)) {
                printf("test setup: non-finite weight\n");
                exit(2);
            }
            rl->ovf_w += (uint64_t)o;
        }
        for (int j = 0; j < L->n_out; j++) {
            int o1 = 0, o2 = 0;
            l0_fx_from_double(L->b[j], &L->t_b, &rl->b[j], &o1);
            rl->acc0[j] =
                l0_fx_cast_wide(l0_fx_wide(&L->t_b, rl->b[j]), l0_fx_frac(&L->t_b), &L->t_acc, &o2);
            rl->ovf_b += (uint64_t)(o1 + o2);
        }
    }
    /* tensors, in trace order */
    int nt = 0;
    snprintf(rm->t[nt].name, 16, "input");
    rm->t[nt].rows = rows_max;
    rm->t[nt].cols = m->n_feat;
    rm->t[nt].type = m->t_in;
    nt++;
    for (int k = 0; k < rm->nl; k++) {
        const l0_layer *L = l0_model_layer_c(m, k);
        if (k == m->n_phi) {
            snprintf(rm->t[nt].name, 16, "ksum");
            rm->t[nt].rows = 1;
            rm->t[nt].cols = l0_model_ksum_width(m);
            rm->t[nt].type = m->t_ksum;
            nt++;
        }
        if (k < m->n_phi)
            snprintf(rm->t[nt].name, 16, "phi%d", k);
        else
            snprintf(rm->t[nt].name, 16, "rho%d", k - m->n_phi);
        rm->t[nt].rows = k < m->n_phi ? rows_max : 1;
        rm->t[nt].cols = L->n_out;
        rm->t[nt].type = L->t_res;
        nt++;
    }
    rm->nt = nt;
    for (int q = 0; q < nt; q++) {
        size_t n = (size_t)(rm->t[q].rows * rm->t[q].cols) + 1;
        rm->t[q].raw = calloc(n, sizeof(int64_t));
        rm->t[q].flt = calloc(n, sizeof(double));
    }
}

static void ref_free(ref_model *rm) {
    for (int k = 0; k < rm->nl; k++) {
        free(rm->lay[k].w);
        free(rm->lay[k].b);
        free(rm->lay[k].acc0);
    }
    for (int q = 0; q < rm->nt; q++) {
        free(rm->t[q].raw);
        free(rm->t[q].flt);
    }
}

/* One Dense layer on one row, fixed point. */
static void ref_dense_fixed(ref_model *rm, int k, const int64_t *x, int64_t *y) {
    const ref_layer *rl = &rm->lay[k];
    const l0_layer *L = rl->L;
    const l0_fx_type *ta = &L->t_acc;
    int pfrac = l0_fx_frac(&rl->tx) + l0_fx_frac(&L->t_w);
    for (int j = 0; j < L->n_out; j++) {
        l0_wide acc = l0_fx_wide(ta, rl->acc0[j]);
        l0_wide exact = acc;
        for (int i = 0; i < L->n_in; i++) {
            l0_wide prod = l0_fx_wide(&rl->tx, x[i]) * l0_fx_wide(&L->t_w, rl->w[j * L->n_in + i]);
            int o = 0;
            int64_t p = l0_fx_cast_wide(prod, pfrac, ta, &o);
            rm->ovf_accum[k] += (uint64_t)o;
            rm->prod_ovf += (uint64_t)o;
            rm->casts_accum[k]++;
            l0_wide pv = l0_fx_wide(ta, p);
            exact += pv;
            acc = wrap_to(ta, acc + pv);
        }
        if (exact != acc) { /* the exact sum did not fit: it wrapped */
            rm->ovf_accum[k]++;
            rm->wraps++;
        }
        int o = 0;
        int64_t r = l0_fx_cast_wide(acc, l0_fx_frac(ta), &L->t_res, &o);
        rm->ovf_result[k] += (uint64_t)o;
        rm->casts_result[k]++;
        if (L->relu && l0_fx_wide(&L->t_res, r) < 0) r = 0;
        y[j] = r;
    }
}

static void ref_dense_float(const l0_layer *L, const double *x, double *y) {
    for (int j = 0; j < L->n_out; j++) {
        double acc = L->b[j];
        for (int i = 0; i < L->n_in; i++) acc += x[i] * L->w[j * L->n_in + i];
        if (L->relu && acc < 0) acc = 0;
        y[j] = acc;
    }
}

/* Run the reference on one cluster: fills rm->t[] (raw and flt), out_raw, out_flt, counters. */
static void ref_run(ref_model *rm, const l0_cluster *c) {
    const l0_model *m = rm->m;
    int n = c->n_cells < m->cells_max ? c->n_cells : m->cells_max;
    rm->n_used = n;
    rtensor *tin = &rm->t[0];
    tin->rows = n;
    for (int k = 0; k < n; k++) {
        double f[L0_MODEL_FEATURES_MAX];
        l0_model_features(m, c, k, f);
        for (int q = 0; q < m->n_feat; q++) {
            int o = 0;
            l0_fx_from_double(f[q], &m->t_in, &tin->raw[k * m->n_feat + q], &o);
            tin->flt[k * m->n_feat + q] = f[q];
            rm->ovf_input += (uint64_t)o;
            rm->casts_input++;
        }
    }
    /* phi */
    const rtensor *prev = tin;
    for (int k = 0; k < m->n_phi; k++) {
        rtensor *t = &rm->t[1 + k];
        t->rows = n;
        for (int r = 0; r < n; r++) {
            ref_dense_fixed(rm, k, prev->raw + r * prev->cols, t->raw + r * t->cols);
            ref_dense_float(&m->phi[k], prev->flt + r * prev->cols, t->flt + r * t->cols);
        }
        prev = t;
    }
    /* KSum */
    rtensor *ks = &rm->t[1 + m->n_phi];
    const l0_fx_type *tlast = &m->phi[m->n_phi - 1].t_res;
    for (int j = 0; j < ks->cols; j++) {
        l0_wide s = 0;
        double sf = 0;
        for (int r = 0; r < n; r++) {
            s += l0_fx_wide(tlast, prev->raw[r * prev->cols + j]);
            sf += prev->flt[r * prev->cols + j];
        }
        int o = 0;
        ks->raw[j] = l0_fx_cast_wide(s, l0_fx_frac(tlast), &m->t_ksum, &o);
        ks->flt[j] = sf;
        rm->ovf_ksum += (uint64_t)o;
        rm->casts_ksum++;
    }
    /* rho */
    prev = ks;
    for (int k = 0; k < m->n_rho; k++) {
        rtensor *t = &rm->t[2 + m->n_phi + k];
        ref_dense_fixed(rm, m->n_phi + k, prev->raw, t->raw);
        ref_dense_float(&m->rho[k], prev->flt, t->flt);
        prev = t;
    }
    rm->out_raw = prev->raw[0];
    rm->out_flt = prev->flt[0];
}

static bool flt_close(double a, double ref) {
    if (a == ref) return true;
    if (!isfinite(a) || !isfinite(ref)) return false;
    double scale = fmax(fabs(ref), 1e-9);
    return fabs(a - ref) <= FLT_REL * scale;
}

static double g_max_rel;
static void note_rel(double a, double ref) {
    if (ref != 0 && isfinite(a)) {
        double r = fabs(a - ref) / fabs(ref);
        if (r > g_max_rel) g_max_rel = r;
    }
}

/* Compare a trace with the reference's tensors; reports the first difference. Returns 0 if
 * equal. */
static int compare_trace(const ref_model *rm, const l0_trace *tr, int ci) {
    char b1[96], b2[96];
    if (tr->n != rm->nt) {
        fail("cluster %d: trace has %d tensors, reference %d", ci, tr->n, rm->nt);
        return 1;
    }
    for (int q = 0; q < rm->nt; q++) {
        const rtensor *r = &rm->t[q];
        const l0_trace_tensor *t = &tr->t[q];
        if (strcmp(t->name, r->name) || t->rows != r->rows || t->cols != r->cols ||
            !type_eq(&t->type, &r->type)) {
            fail("cluster %d: trace tensor %d is %s %dx%d %s, reference %s %dx%d %s", ci, q,
                 t->name, t->rows, t->cols, tstr(&t->type, b1), r->name, r->rows, r->cols,
                 tstr(&r->type, b2));
            return 1;
        }
        for (int e = 0; e < r->rows * r->cols; e++) {
            double fx = l0_fx_to_double(&r->type, r->raw[e]);
            if (t->raw[e] != r->raw[e] || t->fixed[e] != fx) {
                fail("cluster %d: tensor %s [row %d, col %d] fixed raw %lld (%.17g), reference "
                     "raw %lld (%.17g), type %s",
                     ci, r->name, e / r->cols, e % r->cols, (long long)t->raw[e], t->fixed[e],
                     (long long)r->raw[e], fx, tstr(&r->type, b1));
                return 1;
            }
            note_rel(t->flt[e], r->flt[e]);
            if (!flt_close(t->flt[e], r->flt[e])) {
                fail("cluster %d: tensor %s [row %d, col %d] float %.17g, reference %.17g", ci,
                     r->name, e / r->cols, e % r->cols, t->flt[e], r->flt[e]);
                return 1;
            }
        }
    }
    return 0;
}

/* ---- configurations ------------------------------------------------------------------------- */

enum {
    EXP_INPUT = 1,
    EXP_WEIGHT = 2,
    EXP_BIAS = 4,
    EXP_ACCUM = 8, /* accumulators must wrap (the sum left accum_t) */
    EXP_RESULT = 16,
    EXP_KSUM = 32,
    EXP_NO_ACCUM_OVF = 64, /* auto accumulators: never an accum overflow */
    EXP_AUTO = 128         /* every accumulator is auto: check the hls4ml rule */
};

typedef struct config {
    const char *name;
    int phi[6], nphi, rho[6], nrho;
    uint64_t seed;
    /* precision (NULL in: keep the default) */
    const char *in, *w, *b, *acc, *res, *ksum;
    int cells_max;     /* 0: keep */
    double wscale;     /* 0: 1 */
    double bias_sigma; /* random biases */
    void (*tweak)(l0_model *m);
    unsigned expect;
    int n_clusters;
    double rho_wscale; /* 0: as wscale */
} config;

static void tweak_ufixed_relu(l0_model *m) {
    for (int k = 0; k < l0_model_n_layers(m); k++) {
        l0_layer *L = l0_model_layer(m, k);
        if (L->relu) L->t_res = T("ap_ufixed<16,6,AP_RND,AP_SAT>");
    }
    m->t_ksum = T("ap_ufixed<20,10,AP_RND,AP_SAT>");
}

static void tweak_auto_mixed(l0_model *m) {
    m->t_in = T("ap_fixed<10,4,AP_RND,AP_SAT>");
    m->t_ksum = T("ap_fixed<22,12,AP_RND,AP_SAT>");
    m->phi[0].t_w = T("ap_fixed<9,2,AP_RND,AP_SAT>");
    m->phi[0].t_b = T("ap_fixed<8,3>");
    m->phi[0].t_res = T("ap_fixed<14,6,AP_RND,AP_SAT>");
    m->phi[1].t_w = T("ap_fixed<12,1,AP_RND_INF,AP_SAT>");
    m->phi[1].t_b = T("ap_fixed<6,2>");
    m->phi[1].t_res = T("ap_ufixed<12,6,AP_RND,AP_SAT>");
    m->rho[0].t_w = T("ap_fixed<16,3>");
    m->rho[0].t_b = T("ap_fixed<16,4,AP_RND,AP_SAT>");
    m->rho[0].t_res = T("ap_fixed<18,8,AP_RND,AP_SAT>");
    m->rho[1].t_w = T("ap_fixed<11,2,AP_RND_ZERO,AP_SAT>");
    m->rho[1].t_res = T("ap_fixed<24,10,AP_RND,AP_SAT>");
}

static void tweak_features_alt(l0_model *m) {
    /* same count, other order and transforms; the log's min clamps cells below 1 GeV */
    m->feat[0] = (l0_feature){L0_FEAT_LAYER, L0_TRANSFORM_LINEAR, 2.5, 0.75, 0};
    m->feat[1] = (l0_feature){L0_FEAT_ENERGY, L0_TRANSFORM_LOG, 1.0, 0.8, 1.0};
    m->feat[2] = (l0_feature){L0_FEAT_DPHI, L0_TRANSFORM_LINEAR, 0.01, 12, 0};
    m->feat[3] = (l0_feature){L0_FEAT_ENERGY, L0_TRANSFORM_LINEAR, 20, 0.05, 0};
}

static void tweak_mixed_modes_per_layer(l0_model *m) {
    /* explicit accumulators that differ per layer, one of them unsigned */
    m->phi[0].t_acc = T("ap_fixed<20,6,AP_RND,AP_WRAP>");
    m->phi[0].acc_auto = false;
    m->phi[1].t_acc = T("ap_ufixed<18,5>");
    m->phi[1].acc_auto = false;
    m->rho[0].t_acc = T("ap_fixed<24,9,AP_RND_MIN_INF,AP_WRAP>");
    m->rho[0].acc_auto = false;
}

/* One line per configuration: name, phi and rho sizes, seed, precision (input, weight, bias,
 * accum, result, ksum; NULL: the default's), cells_max (0: default 64), weight scale (0: 1), bias
 * sigma, a tweak, the overflows that must happen, clusters. */
#define SZ(...) {__VA_ARGS__}, (int)(sizeof((int[]){__VA_ARGS__}) / sizeof(int))
// clang-format off
static const config g_configs[] = {
    {"default", SZ(16, 16), SZ(16, 1), 1,
     NULL, NULL, NULL, NULL, NULL, NULL,
     0, 0, 0.1, NULL, EXP_NO_ACCUM_OVF | EXP_AUTO, 1000, 0},
    {"default_deep_C128", SZ(24, 24, 8), SZ(16, 8, 1), 2,
     NULL, NULL, NULL, NULL, NULL, NULL,
     128, 0.5, 0.2, NULL, EXP_NO_ACCUM_OVF | EXP_AUTO, 250, 0.3},
    {"narrow_rnd_sat", SZ(12, 12), SZ(12, 1), 3,
     "ap_fixed<8,3,AP_RND,AP_SAT>", "ap_fixed<8,2,AP_RND,AP_SAT>", "ap_fixed<8,2,AP_RND,AP_SAT>",
     "auto", "ap_fixed<8,3,AP_RND,AP_SAT>", "ap_fixed<10,5,AP_RND,AP_SAT>",
     0, 1.5, 0.3, NULL, EXP_INPUT | EXP_WEIGHT | EXP_RESULT | EXP_KSUM | EXP_NO_ACCUM_OVF | EXP_AUTO, 800, 0.2},
    {"rnd_conv_sat_sym", SZ(12, 8), SZ(8, 1), 4,
     "ap_fixed<12,3,AP_RND_CONV,AP_SAT_SYM>", "ap_fixed<10,2,AP_RND_CONV,AP_SAT_SYM>",
     "ap_fixed<10,2,AP_RND_CONV,AP_SAT_SYM>", "auto", "ap_fixed<12,4,AP_RND_CONV,AP_SAT_SYM>",
     "ap_fixed<14,6,AP_RND_CONV,AP_SAT_SYM>",
     0, 1.2, 0.2, NULL, EXP_INPUT | EXP_RESULT | EXP_KSUM | EXP_NO_ACCUM_OVF | EXP_AUTO, 800, 0},
    {"ufixed_after_relu", SZ(12, 12), SZ(12, 1), 5,
     NULL, NULL, NULL, NULL, NULL, NULL,
     0, 0, 0.2, tweak_ufixed_relu, EXP_RESULT | EXP_NO_ACCUM_OVF | EXP_AUTO, 800, 0},
    {"ufixed_everywhere", SZ(10, 10), SZ(10, 1), 6,
     "ap_ufixed<12,4,AP_RND,AP_SAT>", "ap_ufixed<10,2,AP_RND,AP_SAT>", "ap_fixed<10,2,AP_RND,AP_SAT>",
     "auto", "ap_ufixed<14,5,AP_RND,AP_SAT>", "ap_ufixed<18,9,AP_RND,AP_SAT>",
     /* the signed bias makes the auto accumulator signed (hls4ml 1.0): no bias overflow */
     0, 0, 0.5, NULL, EXP_INPUT | EXP_WEIGHT | EXP_AUTO, 800, 0},
    {"wrap_accum_narrow", SZ(12, 12), SZ(12, 1), 7,
     NULL, NULL, NULL, "ap_fixed<12,4>", NULL, NULL,
     0, 1.5, 0.3, NULL, EXP_ACCUM, 800, 0},
    {"wrap_accum_rnd_conv", SZ(12, 12), SZ(12, 1), 8,
     "ap_fixed<14,5,AP_RND,AP_SAT>", "ap_fixed<12,3,AP_RND,AP_SAT>", "ap_fixed<12,3,AP_RND,AP_SAT>",
     "ap_fixed<14,3,AP_RND_CONV,AP_WRAP>", "ap_fixed<14,5,AP_RND,AP_SAT>", NULL,
     0, 2.0, 0.3, NULL, EXP_ACCUM, 800, 0},
    {"wrap_accum_64bit", SZ(12, 12), SZ(12, 1), 9,
     "ap_fixed<32,8,AP_RND,AP_SAT>", "ap_fixed<32,4,AP_RND,AP_SAT>", "ap_fixed<32,4>",
     "ap_fixed<64,3>", "ap_fixed<32,6,AP_RND,AP_SAT>", "ap_fixed<40,14,AP_RND,AP_SAT>",
     0, 1.5, 0.3, NULL, EXP_ACCUM, 700, 0},
    {"wrap_accum_u64", SZ(12, 12), SZ(12, 1), 10,
     "ap_ufixed<32,8,AP_RND,AP_SAT>", "ap_fixed<32,4,AP_RND,AP_SAT>", "ap_fixed<32,4>",
     "ap_ufixed<64,4>", "ap_ufixed<32,6,AP_RND,AP_SAT>", "ap_ufixed<40,14,AP_RND,AP_SAT>",
     0, 1.5, 0.3, NULL, EXP_ACCUM, 700, 0},
    {"auto_mixed_per_layer", SZ(12, 16), SZ(12, 1), 11,
     NULL, NULL, NULL, NULL, NULL, NULL,
     0, 0, 0.3, tweak_auto_mixed, EXP_NO_ACCUM_OVF | EXP_AUTO, 800, 0},
    {"explicit_accum_per_layer", SZ(12, 12), SZ(12, 1), 12,
     NULL, NULL, NULL, NULL, NULL, NULL,
     0, 1.5, 0.3, tweak_mixed_modes_per_layer, EXP_ACCUM, 800, 0.3},
    {"weights_saturate", SZ(12, 12), SZ(12, 1), 13,
     NULL, "ap_fixed<8,3,AP_RND,AP_SAT>", "ap_fixed<8,3,AP_RND,AP_SAT>", "auto", NULL, NULL,
     0, 40, 20, NULL, EXP_WEIGHT | EXP_BIAS | EXP_RESULT | EXP_NO_ACCUM_OVF | EXP_AUTO, 800, 0.05},
    {"weights_wrap", SZ(12, 12), SZ(12, 1), 14,
     NULL, "ap_fixed<8,3,AP_RND,AP_WRAP>", "ap_fixed<8,3,AP_TRN,AP_WRAP>", "auto", NULL, NULL,
     0, 40, 20, NULL, EXP_WEIGHT | EXP_BIAS | EXP_NO_ACCUM_OVF | EXP_AUTO, 800, 0.05},
    {"sat_zero_and_quant_modes", SZ(12, 12), SZ(12, 1), 15,
     "ap_fixed<8,2,AP_RND_INF,AP_SAT_ZERO>", "ap_fixed<8,1,AP_TRN_ZERO,AP_SAT>",
     "ap_fixed<8,1,AP_RND_MIN_INF,AP_SAT>", "auto", "ap_fixed<10,3,AP_RND_ZERO,AP_SAT_ZERO>",
     "ap_fixed<12,5,AP_RND_MIN_INF,AP_SAT_ZERO>",
     0, 0, 0.3, NULL, EXP_INPUT | EXP_RESULT | EXP_KSUM | EXP_NO_ACCUM_OVF | EXP_AUTO, 800, 0},
    {"features_alt_C16", SZ(12, 12), SZ(12, 1), 16,
     NULL, NULL, NULL, NULL, NULL, NULL,
     16, 0, 0.2, tweak_features_alt, EXP_NO_ACCUM_OVF | EXP_AUTO, 800, 0},
    {"C1_single_layers", SZ(8), SZ(1), 17,
     NULL, NULL, NULL, NULL, NULL, NULL,
     1, 0, 0.2, NULL, EXP_NO_ACCUM_OVF | EXP_AUTO, 2000, 0},
    {"wide_auto_61bit", SZ(16, 16), SZ(16, 1), 18,
     "ap_fixed<28,8,AP_RND,AP_SAT>", "ap_fixed<24,4,AP_RND,AP_SAT>", "ap_fixed<24,4>", "auto",
     "ap_fixed<32,12,AP_RND,AP_SAT>", "ap_fixed<32,16,AP_RND,AP_SAT>",
     0, 0, 0.2, NULL, EXP_NO_ACCUM_OVF | EXP_AUTO, 700, 0},
    {"exotic_I_outside_0_W", SZ(12, 12), SZ(12, 1), 19,
     "ap_fixed<12,4,AP_RND,AP_SAT>", "ap_fixed<8,-1,AP_RND_CONV,AP_SAT>", "ap_fixed<6,-2,AP_RND,AP_SAT>",
     "auto", "ap_fixed<10,4,AP_RND,AP_SAT>", "ap_fixed<8,12,AP_RND,AP_SAT>",
     0, 0, 0.2, NULL, EXP_WEIGHT | EXP_BIAS | EXP_RESULT | EXP_NO_ACCUM_OVF | EXP_AUTO, 800, 0},
};
// clang-format on

static int build_model(const config *cf, l0_model *m) {
    l0_err err;
    if (l0_model_init(m, cf->phi, cf->nphi, cf->rho, cf->nrho, cf->seed, NULL, &err)) {
        fail("l0_model_init: %s", err.msg);
        return -1;
    }
    if (cf->in || cf->w || cf->b || cf->acc || cf->res || cf->ksum) {
        l0_precision p;
        l0_precision_default(&p);
        if (cf->in) p.input = T(cf->in);
        if (cf->w) p.weight = T(cf->w);
        if (cf->b) p.bias = T(cf->b);
        if (cf->acc) {
            p.accum_auto = strcmp(cf->acc, "auto") == 0;
            if (!p.accum_auto) p.accum = T(cf->acc);
        }
        if (cf->res) p.result = T(cf->res);
        if (cf->ksum) p.ksum = T(cf->ksum);
        if (l0_model_set_precision(m, &p, &err)) {
            fail("l0_model_set_precision: %s", err.msg);
            l0_model_free(m);
            return -1;
        }
        /* the precision must be what was asked */
        char b1[96], b2[96];
        if (!type_eq(&m->t_in, &p.input) || !type_eq(&m->t_ksum, &p.ksum))
            fail("set_precision: input %s / ksum %s not as asked", tstr(&m->t_in, b1),
                 tstr(&m->t_ksum, b2));
        for (int k = 0; k < l0_model_n_layers(m); k++) {
            const l0_layer *L = l0_model_layer_c(m, k);
            if (!type_eq(&L->t_w, &p.weight) || !type_eq(&L->t_b, &p.bias) ||
                !type_eq(&L->t_res, &p.result) || L->acc_auto != p.accum_auto ||
                (!p.accum_auto && !type_eq(&L->t_acc, &p.accum)))
                fail("set_precision: layer %d types not as asked", k);
        }
    }
    l0_rng r;
    l0_rng_seed(&r, cf->seed, 99);
    double ws = cf->wscale ? cf->wscale : 1, wr = cf->rho_wscale ? cf->rho_wscale : ws;
    for (int k = 0; k < l0_model_n_layers(m); k++) {
        l0_layer *L = l0_model_layer(m, k);
        for (int q = 0; q < L->n_in * L->n_out; q++) L->w[q] *= k < m->n_phi ? ws : wr;
        for (int j = 0; j < L->n_out; j++) L->b[j] = cf->bias_sigma * l0_rng_normal(&r);
    }
    if (cf->cells_max) m->cells_max = cf->cells_max;
    if (cf->tweak) {
        cf->tweak(m);
        if (l0_model_update_auto_accum(m, &err)) {
            fail("l0_model_update_auto_accum: %s", err.msg);
            l0_model_free(m);
            return -1;
        }
    }
    return 0;
}

/* The hls4ml auto rule, checked on every layer of auto configs. */
static void check_auto_rule(const l0_model *m) {
    char b1[96], b2[96];
    for (int k = 0; k < l0_model_n_layers(m); k++) {
        const l0_layer *L = l0_model_layer_c(m, k);
        const l0_fx_type *tx = k == 0          ? &m->t_in
                               : k == m->n_phi ? &m->t_ksum
                                               : &l0_model_layer_c(m, k - 1)->t_res;
        l0_fx_type want = hls4ml_accum(tx, &L->t_w, &L->t_b, L->n_in);
        if (!L->acc_auto || !type_eq(&L->t_acc, &want))
            fail("layer %d: auto accum %s (auto %d), hls4ml rule gives %s", k, tstr(&L->t_acc, b1),
                 (int)L->acc_auto, tstr(&want, b2));
    }
}

static void check_features(const l0_model *m) {
    for (int ci = 0; ci < 40 && ci < g_ncl; ci++) {
        const l0_cluster *c = &g_cl[ci];
        int used = l0_model_cells_used(m, c);
        int want = c->n_cells < m->cells_max ? c->n_cells : m->cells_max;
        if (used != want) fail("cluster %d: cells_used %d, want %d", ci, used, want);
        for (int k = 0; k < used && k < 6; k++) {
            double f[L0_MODEL_FEATURES_MAX];
            l0_model_features(m, c, k, f);
            for (int q = 0; q < m->n_feat; q++) {
                double r = ref_feature(m, c, k, q);
                if (!(fabs(f[q] - r) <= 1e-12 * fmax(1, fabs(r))))
                    fail("cluster %d cell %d feature %d: l0_model_features %.17g, formula %.17g",
                         ci, k, q, f[q], r);
            }
        }
    }
}

static uint64_t sum_arr(const uint64_t *a, int n) {
    uint64_t s = 0;
    for (int i = 0; i < n; i++) s += a[i];
    return s;
}

static void run_config(const config *cf) {
    g_config = cf->name;
    int fails0 = g_fails;
    double t0 = now_s();
    l0_model m;
    if (build_model(cf, &m)) return;
    l0_err err;
    l0_golden *g = l0_golden_create(&m, &err);
    if (!g) {
        fail("l0_golden_create: %s", err.msg);
        l0_model_free(&m);
        return;
    }
    if (cf->expect & EXP_AUTO) check_auto_rule(&m);
    check_features(&m);
    ref_model rm;
    ref_prepare(&rm, &m);
    const l0_fx_type *tout = &m.rho[m.n_rho - 1].t_res;
    int n = cf->n_clusters / WORK_DIV < g_ncl ? cf->n_clusters / WORK_DIV : g_ncl;
    int bad_clusters = 0, n_sat = 0;
    for (int ci = 0; ci < n; ci++) {
        const l0_cluster *c = &g_cl[ci];
        ref_run(&rm, c);
        l0_wide ov = l0_fx_wide(tout, rm.out_raw);
        n_sat +=
            ov == l0_fx_raw_min(tout) || ov == l0_fx_raw_max(tout) || ov == -l0_fx_raw_max(tout);
        double out = NAN;
        int64_t raw = l0_golden_run(g, c, &out);
        double flt = l0_model_float(&m, c);
        int bad = 0;
        if (raw != rm.out_raw) {
            char b1[96], v1[96], v2[96];
            l0_fx_value_str(tout, raw, v1, sizeof v1);
            l0_fx_value_str(tout, rm.out_raw, v2, sizeof v2);
            fail("cluster %d (%d cells, %d used): fixed output raw %lld (%s), reference %lld (%s), "
                 "type %s",
                 ci, c->n_cells, rm.n_used, (long long)raw, v1, (long long)rm.out_raw, v2,
                 tstr(tout, b1));
            bad = 1;
        } else if (out != l0_fx_to_double(tout, raw)) {
            fail("cluster %d: *out %.17g is not the value of raw %lld (%.17g)", ci, out,
                 (long long)raw, l0_fx_to_double(tout, raw));
            bad = 1;
        }
        note_rel(flt, rm.out_flt);
        if (!flt_close(flt, rm.out_flt)) {
            fail("cluster %d (%d cells): float output %.17g, reference %.17g (rel %.3g)", ci,
                 c->n_cells, flt, rm.out_flt, fabs(flt - rm.out_flt) / fabs(rm.out_flt));
            bad = 1;
        }
        if (bad && bad_clusters++ < 3) {
            /* locate the first differing tensor */
            l0_trace tr;
            if (l0_golden_trace(g, c, &tr, &err) == 0) {
                if (!compare_trace(&rm, &tr, ci))
                    printf("  (cluster %d: the trace agrees with the reference)\n", ci);
                l0_trace_free(&tr);
            }
        }
    }
    /* overflow counters: exact, from a fresh golden that ran exactly these clusters */
    const l0_ovf_counts *oc = l0_golden_ovf(g);
    int nl = l0_model_n_layers(&m);
    if (bad_clusters == 0) {
        if (oc->input != rm.ovf_input || oc->casts_input != rm.casts_input)
            fail("input overflows %llu of %llu casts, reference %llu of %llu",
                 (unsigned long long)oc->input, (unsigned long long)oc->casts_input,
                 (unsigned long long)rm.ovf_input, (unsigned long long)rm.casts_input);
        if (oc->ksum != rm.ovf_ksum || oc->casts_ksum != rm.casts_ksum)
            fail("ksum overflows %llu of %llu casts, reference %llu of %llu",
                 (unsigned long long)oc->ksum, (unsigned long long)oc->casts_ksum,
                 (unsigned long long)rm.ovf_ksum, (unsigned long long)rm.casts_ksum);
        for (int k = 0; k < nl; k++) {
            if (oc->weight[k] != rm.lay[k].ovf_w)
                fail("layer %d: weight overflows %llu, reference %llu", k,
                     (unsigned long long)oc->weight[k], (unsigned long long)rm.lay[k].ovf_w);
            if (oc->bias[k] != rm.lay[k].ovf_b)
                fail("layer %d: bias overflows %llu, reference %llu (bias_t and accum_t casts, "
                     "counted once)",
                     k, (unsigned long long)oc->bias[k], (unsigned long long)rm.lay[k].ovf_b);
            if (oc->accum[k] != rm.ovf_accum[k] || oc->casts_accum[k] != rm.casts_accum[k])
                fail("layer %d: accum overflows %llu of %llu casts, reference %llu of %llu", k,
                     (unsigned long long)oc->accum[k], (unsigned long long)oc->casts_accum[k],
                     (unsigned long long)rm.ovf_accum[k], (unsigned long long)rm.casts_accum[k]);
            if (oc->result[k] != rm.ovf_result[k] || oc->casts_result[k] != rm.casts_result[k])
                fail("layer %d: result overflows %llu of %llu casts, reference %llu of %llu", k,
                     (unsigned long long)oc->result[k], (unsigned long long)oc->casts_result[k],
                     (unsigned long long)rm.ovf_result[k], (unsigned long long)rm.casts_result[k]);
        }
    }
    /* the overflows this config is built to cause must happen, and show in the counters */
    uint64_t rw = 0, rb = 0;
    for (int k = 0; k < nl; k++) rw += rm.lay[k].ovf_w, rb += rm.lay[k].ovf_b;
    struct {
        unsigned bit;
        const char *what;
        uint64_t ref, golden;
    } ex[] = {
        {EXP_INPUT, "input", rm.ovf_input, oc->input},
        {EXP_WEIGHT, "weight", rw, sum_arr(oc->weight, nl)},
        {EXP_BIAS, "bias", rb, sum_arr(oc->bias, nl)},
        {EXP_ACCUM, "accum wrap", rm.wraps, sum_arr(oc->accum, nl)},
        {EXP_RESULT, "result", sum_arr(rm.ovf_result, nl), sum_arr(oc->result, nl)},
        {EXP_KSUM, "ksum", rm.ovf_ksum, oc->ksum},
    };
    for (size_t q = 0; q < sizeof ex / sizeof ex[0]; q++)
        if ((cf->expect & ex[q].bit) && (ex[q].ref == 0 || ex[q].golden == 0))
            fail("expected %s overflows: reference counted %llu, golden %llu", ex[q].what,
                 (unsigned long long)ex[q].ref, (unsigned long long)ex[q].golden);
    if ((cf->expect & EXP_NO_ACCUM_OVF) && (sum_arr(rm.ovf_accum, nl) || sum_arr(oc->accum, nl)))
        fail("auto accumulators overflowed: reference %llu, golden %llu",
             (unsigned long long)sum_arr(rm.ovf_accum, nl),
             (unsigned long long)sum_arr(oc->accum, nl));

    /* the trace, tensor by tensor, on the first clusters (and the reset of the counters) */
    l0_golden_reset_ovf(g);
    if (oc->input || oc->casts_input || oc->ksum || sum_arr(oc->accum, nl) ||
        sum_arr(oc->casts_accum, nl))
        fail("l0_golden_reset_ovf left counters non-zero");
    int ntr = n < N_TRACE / WORK_DIV ? n : N_TRACE / WORK_DIV;
    int trace_bad = 0;
    for (int ci = 0; ci < ntr && trace_bad < 3; ci++) {
        ref_run(&rm, &g_cl[ci]);
        l0_trace tr;
        if (l0_golden_trace(g, &g_cl[ci], &tr, &err)) {
            fail("cluster %d: l0_golden_trace: %s", ci, err.msg);
            trace_bad++;
            continue;
        }
        trace_bad += compare_trace(&rm, &tr, ci);
        l0_trace_free(&tr);
    }
    /* the golden is reusable after traces: run a few again */
    for (int ci = 0; ci < 20 && ci < n; ci++) {
        ref_run(&rm, &g_cl[ci]);
        int64_t raw = l0_golden_run(g, &g_cl[ci], NULL);
        if (raw != rm.out_raw)
            fail("cluster %d: after traces, fixed output raw %lld, reference %lld", ci,
                 (long long)raw, (long long)rm.out_raw);
    }
    char bi[96], bk[96], bo[96];
    printf("  %-26s %4d clusters, C=%3d, in %s, ksum %s, out %s: ovf input %llu, weight %llu, "
           "bias %llu, accum %llu (wraps %llu), result %llu, ksum %llu; outputs at a limit %d; %d "
           "traces; %s (%.2f s)\n",
           cf->name, n, m.cells_max, tstr(&m.t_in, bi), tstr(&m.t_ksum, bk), tstr(tout, bo),
           (unsigned long long)rm.ovf_input, (unsigned long long)rw, (unsigned long long)rb,
           (unsigned long long)sum_arr(rm.ovf_accum, nl), (unsigned long long)rm.wraps,
           (unsigned long long)sum_arr(rm.ovf_result, nl), (unsigned long long)rm.ovf_ksum, n_sat,
           ntr, g_fails == fails0 ? "ok" : "FAILED", now_s() - t0);
    ref_free(&rm);
    l0_golden_free(g);
    l0_model_free(&m);
}

int main(void) {
    double t0 = now_s();
    printf("test_golden_reference: golden model vs an independent reference of the numeric "
           "contract\n");
    make_clusters(N_CLUSTERS_MAX, 20240611);
    int n_cfg = (int)(sizeof g_configs / sizeof g_configs[0]);
    long total = 0;
    for (int k = 0; k < n_cfg; k++) {
        run_config(&g_configs[k]);
        int n = g_configs[k].n_clusters / WORK_DIV;
        total += n < g_ncl ? n : g_ncl;
    }
    /* a cluster with no cells: KSum is 0, rho runs on zeros */
    {
        g_config = "default, empty cluster";
        l0_model m;
        if (build_model(&g_configs[0], &m) == 0) {
            l0_err err;
            l0_golden *g = l0_golden_create(&m, &err);
            ref_model rm;
            ref_prepare(&rm, &m);
            l0_cell dummy = {0};
            l0_cluster c = {.e = 0, .eta = 0.1f, .phi = 0.2f, .n_cells = 0, .cells = &dummy};
            ref_run(&rm, &c);
            int64_t raw = l0_golden_run(g, &c, NULL);
            double flt = l0_model_float(&m, &c);
            if (raw != rm.out_raw || !flt_close(flt, rm.out_flt))
                fail("empty cluster: fixed raw %lld float %.17g, reference %lld %.17g",
                     (long long)raw, flt, (long long)rm.out_raw, rm.out_flt);
            else
                printf("  empty cluster: ok\n");
            ref_free(&rm);
            l0_golden_free(g);
            l0_model_free(&m);
        }
    }
    for (int k = 0; k < g_ncl; k++) free(g_cl[k].cells);
    printf("checked %d configs, %ld cluster runs (fixed bit for bit, float to %g relative: "
           "largest seen %.3g), traces of %d clusters per config, overflow counters exactly; "
           "%.2f s\n",
           n_cfg, total, FLT_REL, g_max_rel, N_TRACE / WORK_DIV, now_s() - t0);
    if (g_fails) {
        printf("test_golden_reference: %d FAILURES\n", g_fails);
        return 1;
    }
    printf("test_golden_reference: all passed\n");
    return 0;
}
