#include "l0_model.h"

#include <cjson/cJSON.h>
#include <stdarg.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "l0_cli.h"
#include "l0_ofile.h"
#include "l0_rng.h"

#define MODEL_FORMAT "l0sim-deepsets-model"
#define MODEL_VERSION 1
#define L0_PI 3.14159265358979323846

static const char *const FEAT_NAMES[L0_FEAT_KIND_COUNT] = {"energy", "deta", "dphi", "layer"};
static const char *const TRANSFORM_NAMES[L0_TRANSFORM_COUNT] = {"linear", "log"};

/* --- precision ---------------------------------------------------------------------------------
 */

static l0_fx_type fx_parse_or_die(const char *s) {
    l0_fx_type t;
    l0_fx_parse(s, &t, NULL); /* only used on constant, valid spellings */
    return t;
}

void l0_precision_default(l0_precision *p) {
    /* The reference study's default: ap_fixed<16,6>, activations AP_RND / AP_SAT. KSum sums up to
     * C cells, so it gets more integer bits (the study's finding). */
    p->input = fx_parse_or_die("ap_fixed<16,6,AP_RND,AP_SAT>");
    p->weight = fx_parse_or_die("ap_fixed<16,6>");
    p->bias = fx_parse_or_die("ap_fixed<16,6>");
    p->result = fx_parse_or_die("ap_fixed<16,6,AP_RND,AP_SAT>");
    p->ksum = fx_parse_or_die("ap_fixed<20,10,AP_RND,AP_SAT>");
    p->accum = fx_parse_or_die("ap_fixed<32,16>");
    p->accum_auto = true;
}

static int ceil_log2(int n) {
    int k = 0;
    while ((1 << k) < n) k++;
    return k;
}

static void layer_name(const l0_model *m, int k, char *buf, size_t n) {
    if (k < m->n_phi)
        snprintf(buf, n, "phi[%d]", k);
    else
        snprintf(buf, n, "rho[%d]", k - m->n_phi);
}

static const l0_fx_type *layer_input_type(const l0_model *m, int k) {
    if (k == 0) return &m->t_in;
    if (k == m->n_phi) return &m->t_ksum;
    return &l0_model_layer_c(m, k - 1)->t_res;
}

/* An error about layer k's accumulator; `origin` (a file name) or NULL. */
static int acc_fail(l0_err *err, const char *origin, const l0_model *m, int k, const char *fmt, ...)
    __attribute__((format(printf, 5, 6)));
static int acc_fail(l0_err *err, const char *origin, const l0_model *m, int k, const char *fmt,
                    ...) {
    char name[32], msg[700];
    layer_name(m, k, name, sizeof name);
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(msg, sizeof msg, fmt, ap);
    va_end(ap);
    if (origin) return l0_err_set(err, "%s: field '%s.precision.accum': %s", origin, name, msg);
    return l0_err_set(err, "%s.precision.accum: %s", name, msg);
}

/* hls4ml's auto accumulator (hls4ml 1.0, optimizer pass infer_precision, Dense): the product
 * of input and weight, W = Wx + Ww + ceil(log2 n_in) and I = Ix + Iw + ceil(log2 n_in), signed
 * if either is; then room for the bias: I = max(I + (bias signed and product not), Ib + (product
 * signed and bias not)) + 1, F = max(F, Fb), signed if either is. Exact: no rounding, no
 * overflow. */
void l0_model_accum_rule(const l0_fx_type *x, const l0_fx_type *wt, const l0_fx_type *b, int n_in,
                         int *w_out, int *i_out, bool *signed_out) {
    int g = ceil_log2(n_in);
    int w = wt->w + x->w + g, i = wt->i + x->i + g;
    bool sg = wt->is_signed || x->is_signed;
    int f = w - i, fb = b->w - b->i;
    int ia = i + (b->is_signed && !sg), ib = b->i + (sg && !b->is_signed);
    i = (ia > ib ? ia : ib) + 1;
    *w_out = i + (f > fb ? f : fb);
    *i_out = i;
    *signed_out = sg || b->is_signed;
}

void l0_model_auto_accum_size(const l0_model *m, int k, int *w, int *i, bool *is_signed) {
    const l0_layer *L = l0_model_layer_c(m, k);
    l0_model_accum_rule(layer_input_type(m, k), &L->t_w, &L->t_b, L->n_in, w, i, is_signed);
}

static int auto_accum(const l0_model *m, int k, l0_fx_type *out, const char *origin, l0_err *err) {
    const l0_layer *L = l0_model_layer_c(m, k);
    const l0_fx_type *x = layer_input_type(m, k), *b = &L->t_b;
    int w, i;
    bool sg;
    l0_model_auto_accum_size(m, k, &w, &i, &sg);
    if (w > L0_FX_W_MAX)
        return acc_fail(err, origin, m, k,
                        "'auto' needs W = %d bits (weight %d, input %d, %d inputs, bias %d), more "
                        "than %d; give an explicit accumulator type",
                        w, L->t_w.w, x->w, L->n_in, b->w, L0_FX_W_MAX);
    l0_err sub;
    if (l0_fx_type_make(out, w, i, sg, L0_FX_TRN, L0_FX_WRAP, &sub) != L0_FX_OK)
        return acc_fail(err, origin, m, k, "'auto' gives ap_fixed<%d,%d>: %s", w, i, sub.msg);
    return 0;
}

/* Derive the auto accumulators and refuse saturating ones. */
static int check_accums(l0_model *m, const char *origin, l0_err *err) {
    for (int k = 0; k < l0_model_n_layers(m); k++) {
        l0_layer *L = l0_model_layer(m, k);
        if (L->acc_auto && auto_accum(m, k, &L->t_acc, origin, err)) return -1;
        if (L->t_acc.o != L0_FX_WRAP)
            return acc_fail(err, origin, m, k,
                            "a saturating accumulator (%s) is refused: its result would depend on "
                            "the order of additions; use AP_WRAP or 'auto'",
                            l0_fx_ovf_name(L->t_acc.o));
    }
    return 0;
}

int l0_model_update_auto_accum(l0_model *m, l0_err *err) {
    return check_accums(m, NULL, err);
}

int l0_model_set_precision(l0_model *m, const l0_precision *p, l0_err *err) {
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
    return check_accums(m, NULL, err);
}

/* --- building ------------------------------------------------------------------------------- */

static void default_features(l0_model *m) {
    /* The reference study's cell features: energy, eta and phi relative to the cluster, layer.
     * Scales bring each to order one, so that ap_fixed<16,6> holds them with room to spare:
     * log(E/GeV) spans about -5..6; cluster cells lie within about 0.3 in eta and phi. */
    m->n_feat = 4;
    m->feat[0] = (l0_feature){L0_FEAT_ENERGY, L0_TRANSFORM_LOG, 0.0, 1.0, 1e-3};
    m->feat[1] = (l0_feature){L0_FEAT_DETA, L0_TRANSFORM_LINEAR, 0.0, 10.0, 0.0};
    m->feat[2] = (l0_feature){L0_FEAT_DPHI, L0_TRANSFORM_LINEAR, 0.0, 10.0, 0.0};
    m->feat[3] = (l0_feature){L0_FEAT_LAYER, L0_TRANSFORM_LINEAR, 3.0, 0.5, 0.0};
}

int l0_model_parse_features(const char *s, l0_feature *out, int *n, l0_err *err) {
    static const l0_feature DEF[L0_FEAT_KIND_COUNT] = {
        {L0_FEAT_ENERGY, L0_TRANSFORM_LOG, 0.0, 1.0, 1e-3},
        {L0_FEAT_DETA, L0_TRANSFORM_LINEAR, 0.0, 10.0, 0.0},
        {L0_FEAT_DPHI, L0_TRANSFORM_LINEAR, 0.0, 10.0, 0.0},
        {L0_FEAT_LAYER, L0_TRANSFORM_LINEAR, 3.0, 0.5, 0.0}};
    *n = 0;
    const char *p = s;
    while (1) {
        char item[128], *parts[4] = {0};
        size_t len = strcspn(p, ",");
        if (len == 0 || len >= sizeof item || *n >= L0_MODEL_FEATURES_MAX)
            return l0_err_set(err, "'%s': give 1 to %d features, e.g. %s", s, L0_MODEL_FEATURES_MAX,
                              "energy:log,energy:linear,deta,dphi,layer");
        memcpy(item, p, len);
        item[len] = 0;
        int np = 0;
        for (char *q = item; np < 4;) {
            parts[np++] = q;
            char *c = strchr(q, ':');
            if (!c) break;
            *c = 0;
            q = c + 1;
        }
        int kind = -1;
        for (int k = 0; k < L0_FEAT_KIND_COUNT; k++)
            if (!strcmp(parts[0], FEAT_NAMES[k])) kind = k;
        if (kind < 0)
            return l0_err_set(err, "unknown feature '%s' (energy, deta, dphi, layer)", parts[0]);
        l0_feature f = DEF[kind];
        if (parts[1]) {
            l0_transform tr;
            if (!strcmp(parts[1], "linear"))
                tr = L0_TRANSFORM_LINEAR;
            else if (!strcmp(parts[1], "log"))
                tr = L0_TRANSFORM_LOG;
            else
                return l0_err_set(err, "'%s': transform '%s' is not linear or log", parts[0],
                                  parts[1]);
            if (tr != f.transform) {
                f.transform = tr;
                f.offset = 0;
                f.scale = kind == L0_FEAT_ENERGY && tr == L0_TRANSFORM_LINEAR ? 0.05 : 1.0;
                f.min = tr == L0_TRANSFORM_LOG ? 1e-3 : 0.0;
            }
        }
        if (parts[2] && (l0_parse_double(parts[2], &f.scale) || f.scale == 0))
            return l0_err_set(err, "'%s': scale '%s' is not a non-zero number", parts[0], parts[2]);
        if (parts[3] && l0_parse_double(parts[3], &f.offset))
            return l0_err_set(err, "'%s': offset '%s' is not a number", parts[0], parts[3]);
        out[(*n)++] = f;
        if (!p[len]) break;
        p += len + 1;
    }
    return 0;
}

static int layer_alloc(l0_layer *L, int n_in, int n_out, l0_err *err) {
    L->n_in = n_in;
    L->n_out = n_out;
    L->w = calloc((size_t)n_in * (size_t)n_out, sizeof *L->w);
    L->b = calloc((size_t)n_out, sizeof *L->b);
    if (!L->w || !L->b) return l0_err_set(err, "out of memory");
    return 0;
}

int l0_model_init(l0_model *m, const int *phi_sizes, int n_phi, const int *rho_sizes, int n_rho,
                  uint64_t seed, const l0_precision *p, l0_err *err) {
    memset(m, 0, sizeof *m);
    snprintf(m->name, sizeof m->name, "deepsets");
    default_features(m);
    m->target_scale = 100.0;
    m->cells_max = 64;
    if (n_phi < 1 || n_rho < 1 || n_phi > L0_MODEL_LAYERS_MAX || n_rho > L0_MODEL_LAYERS_MAX)
        return l0_err_set(err, "phi and rho need 1 to %d layers each", L0_MODEL_LAYERS_MAX);
    if (rho_sizes[n_rho - 1] != 1)
        return l0_err_set(err, "the last rho layer must have 1 output (the energy), not %d",
                          rho_sizes[n_rho - 1]);
    m->n_phi = n_phi;
    m->n_rho = n_rho;
    l0_rng r;
    l0_rng_seed(&r, seed, 0x6d6f64656cULL);
    int n_in = m->n_feat;
    for (int k = 0; k < n_phi + n_rho; k++) {
        int n_out = k < n_phi ? phi_sizes[k] : rho_sizes[k - n_phi];
        if (n_out < 1 || n_out > L0_MODEL_UNITS_MAX) {
            l0_model_free(m);
            return l0_err_set(err, "layer sizes must be 1..%d, got %d", L0_MODEL_UNITS_MAX, n_out);
        }
        l0_layer *L = l0_model_layer(m, k);
        if (layer_alloc(L, n_in, n_out, err)) {
            l0_model_free(m);
            return -1;
        }
        L->relu = k != n_phi + n_rho - 1;
        double sd = sqrt(2.0 / n_in); /* He initialisation, for ReLU layers */
        for (int i = 0; i < n_in * n_out; i++) L->w[i] = sd * l0_rng_normal(&r);
        n_in = n_out;
    }
    l0_precision def;
    l0_precision_default(&def);
    if (l0_model_set_precision(m, p ? p : &def, err)) {
        l0_model_free(m);
        return -1;
    }
    return 0;
}

void l0_model_free(l0_model *m) {
    for (int k = 0; k < L0_MODEL_LAYERS_MAX; k++) {
        free(m->phi[k].w);
        free(m->phi[k].b);
        free(m->rho[k].w);
        free(m->rho[k].b);
    }
    free(m->training_json);
    memset(m, 0, sizeof *m);
}

int l0_model_copy(l0_model *dst, const l0_model *src, l0_err *err) {
    *dst = *src;
    dst->training_json = NULL;
    for (int k = 0; k < L0_MODEL_LAYERS_MAX; k++) {
        dst->phi[k].w = dst->phi[k].b = dst->rho[k].w = dst->rho[k].b = NULL;
    }
    for (int k = 0; k < l0_model_n_layers(src); k++) {
        const l0_layer *S = l0_model_layer_c(src, k);
        l0_layer *D = l0_model_layer(dst, k);
        if (layer_alloc(D, S->n_in, S->n_out, err)) {
            l0_model_free(dst);
            return -1;
        }
        memcpy(D->w, S->w, sizeof *D->w * (size_t)S->n_in * (size_t)S->n_out);
        memcpy(D->b, S->b, sizeof *D->b * (size_t)S->n_out);
    }
    if (src->training_json && !(dst->training_json = strdup(src->training_json))) {
        l0_model_free(dst);
        return l0_err_set(err, "out of memory");
    }
    return 0;
}

/* --- JSON loading ---------------------------------------------------------------------------- */

typedef struct loader {
    const char *origin;
    l0_err *err;
} loader;

static int fail(loader *ld, const char *path, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));
static int fail(loader *ld, const char *path, const char *fmt, ...) {
    char msg[768];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(msg, sizeof msg, fmt, ap);
    va_end(ap);
    if (!*path) return l0_err_set(ld->err, "%s: %s", ld->origin, msg);
    return l0_err_set(ld->err, "%s: field '%s': %s", ld->origin, path, msg);
}

/* Reject keys not in the NULL-terminated list `allowed`. */
static int check_keys(loader *ld, const cJSON *obj, const char *path, const char *const *allowed) {
    for (const cJSON *c = obj->child; c; c = c->next) {
        int ok = 0;
        for (const char *const *a = allowed; *a; a++) ok |= !strcmp(c->string, *a);
        if (!ok) {
            char p[256];
            snprintf(p, sizeof p, "%s%s%s", path, *path ? "." : "", c->string);
            return fail(ld, p, "unknown key");
        }
        for (const cJSON *d = obj->child; d != c; d = d->next)
            if (!strcmp(d->string, c->string)) {
                char p[256];
                snprintf(p, sizeof p, "%s%s%s", path, *path ? "." : "", c->string);
                return fail(ld, p, "appears twice");
            }
    }
    return 0;
}

static const cJSON *member(loader *ld, const cJSON *obj, const char *path, const char *key,
                           int required) {
    const cJSON *v = cJSON_GetObjectItemCaseSensitive(obj, key);
    if (!v && required) {
        char p[256];
        snprintf(p, sizeof p, "%s%s%s", path, *path ? "." : "", key);
        fail(ld, p, "missing");
    }
    return v;
}

static int get_number(loader *ld, const cJSON *v, const char *path, double *out) {
    if (!cJSON_IsNumber(v)) return fail(ld, path, "expected a number");
    if (!isfinite(v->valuedouble)) return fail(ld, path, "not a finite number");
    *out = v->valuedouble;
    return 0;
}

/* cJSON turns NaN/Infinity into non-numbers or fails to parse; text like 1e999 parses to inf. */
static int get_int(loader *ld, const cJSON *v, const char *path, int lo, int hi, int *out) {
    double d = 0;
    if (get_number(ld, v, path, &d)) return -1;
    if (d != floor(d) || d < lo || d > hi)
        return fail(ld, path, "expected an integer from %d to %d, got %g", lo, hi, d);
    *out = (int)d;
    return 0;
}

static int get_type(loader *ld, const cJSON *v, const char *path, l0_fx_type *t, bool *is_auto) {
    if (!cJSON_IsString(v)) return fail(ld, path, "expected an ap_fixed type string");
    if (is_auto) *is_auto = false;
    if (is_auto && !strcmp(v->valuestring, "auto")) {
        *is_auto = true;
        return 0;
    }
    l0_err sub;
    if (l0_fx_parse(v->valuestring, t, &sub)) return fail(ld, path, "%s", sub.msg);
    return 0;
}

static int parse_feature(loader *ld, const cJSON *f, int k, l0_feature *out) {
    static const char *const keys[] = {"kind", "transform", "offset", "scale", "min", NULL};
    char path[64], p2[96];
    snprintf(path, sizeof path, "features[%d]", k);
    if (!cJSON_IsObject(f)) return fail(ld, path, "expected an object");
    if (check_keys(ld, f, path, keys)) return -1;
    const cJSON *kind = member(ld, f, path, "kind", 1), *tr = member(ld, f, path, "transform", 1);
    if (!kind || !tr) return -1;
    snprintf(p2, sizeof p2, "%s.kind", path);
    out->kind = L0_FEAT_KIND_COUNT;
    for (int i = 0; i < L0_FEAT_KIND_COUNT; i++)
        if (cJSON_IsString(kind) && !strcmp(kind->valuestring, FEAT_NAMES[i])) out->kind = i;
    if (out->kind == L0_FEAT_KIND_COUNT)
        return fail(ld, p2, "expected one of energy, deta, dphi, layer");
    snprintf(p2, sizeof p2, "%s.transform", path);
    out->transform = L0_TRANSFORM_COUNT;
    for (int i = 0; i < L0_TRANSFORM_COUNT; i++)
        if (cJSON_IsString(tr) && !strcmp(tr->valuestring, TRANSFORM_NAMES[i])) out->transform = i;
    if (out->transform == L0_TRANSFORM_COUNT) return fail(ld, p2, "expected linear or log");
    out->offset = 0;
    out->scale = 1;
    out->min = 0;
    const cJSON *v;
    if ((v = member(ld, f, path, "offset", 0))) {
        snprintf(p2, sizeof p2, "%s.offset", path);
        if (get_number(ld, v, p2, &out->offset)) return -1;
    }
    if ((v = member(ld, f, path, "scale", 0))) {
        snprintf(p2, sizeof p2, "%s.scale", path);
        if (get_number(ld, v, p2, &out->scale)) return -1;
        if (out->scale == 0) return fail(ld, p2, "must not be 0");
    }
    if (out->transform == L0_TRANSFORM_LOG) {
        snprintf(p2, sizeof p2, "%s.min", path);
        if (!(v = member(ld, f, path, "min", 1))) return -1;
        if (get_number(ld, v, p2, &out->min)) return -1;
        if (!(out->min > 0)) return fail(ld, p2, "a log transform needs min > 0");
    }
    return 0;
}

/* The optional "padding" object: {"cells": N (1..cells_max), "value": V (finite)}. */
static int parse_padding(loader *ld, const cJSON *v, l0_model *m) {
    static const char *const keys[] = {"cells", "value", NULL};
    if (!cJSON_IsObject(v))
        return fail(ld, "padding", "expected an object {\"cells\": N, \"value\": V}");
    if (check_keys(ld, v, "padding", keys)) return -1;
    const cJSON *c = member(ld, v, "padding", "cells", 1);
    if (!c) return -1;
    const cJSON *x = member(ld, v, "padding", "value", 1);
    if (!x) return -1;
    double d = 0;
    if (get_number(ld, c, "padding.cells", &d)) return -1;
    if (d != floor(d) || d < 1 || d > m->cells_max)
        return fail(ld, "padding.cells",
                    "expected the cell count clusters are padded to, an integer from 1 to "
                    "cells_max (%d), got %g",
                    m->cells_max, d);
    m->pad_cells = (int)d;
    if (get_number(ld, x, "padding.value", &m->pad_value)) return -1;
    return 0;
}

/* Precision keys a layer may state; missing ones come from the top-level defaults. */
typedef struct prec_defaults {
    bool has_w, has_b, has_r, has_a;
    l0_fx_type w, b, r, a;
    bool a_auto;
} prec_defaults;

static int parse_layer(loader *ld, const cJSON *jl, const char *path, int n_in_expect,
                       const prec_defaults *pd, l0_layer *L) {
    static const char *const keys[] = {"n_in",    "n_out", "activation", "precision",
                                       "weights", "bias",  NULL};
    static const char *const pkeys[] = {"weight", "bias", "accum", "result", NULL};
    char p[128];
    if (!cJSON_IsObject(jl)) return fail(ld, path, "expected an object");
    if (check_keys(ld, jl, path, keys)) return -1;
    const cJSON *ni = member(ld, jl, path, "n_in", 1), *no = member(ld, jl, path, "n_out", 1),
                *act = member(ld, jl, path, "activation", 1),
                *w = member(ld, jl, path, "weights", 1), *b = member(ld, jl, path, "bias", 1);
    if (!ni || !no || !act || !w || !b) return -1;
    int n_in, n_out;
    snprintf(p, sizeof p, "%s.n_in", path);
    if (get_int(ld, ni, p, 1, L0_MODEL_UNITS_MAX, &n_in)) return -1;
    if (n_in != n_in_expect)
        return fail(ld, p, "is %d but the layer's input has %d values", n_in, n_in_expect);
    snprintf(p, sizeof p, "%s.n_out", path);
    if (get_int(ld, no, p, 1, L0_MODEL_UNITS_MAX, &n_out)) return -1;
    snprintf(p, sizeof p, "%s.activation", path);
    if (!cJSON_IsString(act) ||
        (strcmp(act->valuestring, "relu") && strcmp(act->valuestring, "linear")))
        return fail(ld, p, "expected relu or linear");
    if (layer_alloc(L, n_in, n_out, ld->err)) return -1;
    L->relu = !strcmp(act->valuestring, "relu");
    snprintf(p, sizeof p, "%s.weights", path);
    if (!cJSON_IsArray(w) || cJSON_GetArraySize(w) != n_out)
        return fail(ld, p, "expected an array of n_out = %d rows", n_out);
    int j = 0;
    for (const cJSON *row = w->child; row; row = row->next, j++) {
        snprintf(p, sizeof p, "%s.weights[%d]", path, j);
        if (!cJSON_IsArray(row) || cJSON_GetArraySize(row) != n_in)
            return fail(ld, p, "expected an array of n_in = %d numbers", n_in);
        int i = 0;
        for (const cJSON *x = row->child; x; x = x->next, i++) {
            snprintf(p, sizeof p, "%s.weights[%d][%d]", path, j, i);
            if (get_number(ld, x, p, &L->w[j * n_in + i])) return -1;
        }
    }
    snprintf(p, sizeof p, "%s.bias", path);
    if (!cJSON_IsArray(b) || cJSON_GetArraySize(b) != n_out)
        return fail(ld, p, "expected an array of n_out = %d numbers", n_out);
    j = 0;
    for (const cJSON *x = b->child; x; x = x->next, j++) {
        snprintf(p, sizeof p, "%s.bias[%d]", path, j);
        if (get_number(ld, x, p, &L->b[j])) return -1;
    }
    /* Precisions: the layer's own, else the top-level defaults, else an error. */
    const cJSON *pr = member(ld, jl, path, "precision", 0);
    char pp[128];
    snprintf(pp, sizeof pp, "%s.precision", path);
    if (pr && !cJSON_IsObject(pr)) return fail(ld, pp, "expected an object");
    if (pr && check_keys(ld, pr, pp, pkeys)) return -1;
    struct {
        const char *key;
        l0_fx_type *t;
        bool has;
        const l0_fx_type *def;
        bool *is_auto;
    } slots[] = {{"weight", &L->t_w, pd->has_w, &pd->w, NULL},
                 {"bias", &L->t_b, pd->has_b, &pd->b, NULL},
                 {"result", &L->t_res, pd->has_r, &pd->r, NULL},
                 {"accum", &L->t_acc, pd->has_a, &pd->a, &L->acc_auto}};
    for (size_t s = 0; s < sizeof slots / sizeof slots[0]; s++) {
        const cJSON *v = pr ? cJSON_GetObjectItemCaseSensitive(pr, slots[s].key) : NULL;
        snprintf(p, sizeof p, "%s.precision.%s", path, slots[s].key);
        if (v) {
            if (get_type(ld, v, p, slots[s].t, slots[s].is_auto)) return -1;
        } else if (slots[s].has) {
            *slots[s].t = *slots[s].def;
            if (slots[s].is_auto) *slots[s].is_auto = pd->a_auto;
        } else {
            return fail(ld, p, "missing (and no default in the top-level precision)");
        }
    }
    return 0;
}

int l0_model_parse(const char *json, const char *origin, l0_model *m, l0_err *err) {
    loader ld = {origin, err};
    memset(m, 0, sizeof *m);
    const char *end = NULL;
    cJSON *root = cJSON_ParseWithOpts(json, &end, 1);
    if (!root) {
        /* Name the line of the syntax error. */
        int line = 1;
        for (const char *c = json; end && c < end; c++) line += *c == '\n';
        return l0_err_set(err, "%s: not valid JSON (near line %d)", origin, line);
    }
    static const char *const keys[] = {"format",  "version",  "name",     "cells_max",
                                       "padding", "features", "target",   "precision",
                                       "phi",     "rho",      "training", NULL};
    static const char *const tkeys[] = {"kind", "scale", NULL};
    static const char *const pkeys[] = {"input", "ksum", "weight", "bias", "accum", "result", NULL};
    int rc = -1;
    const cJSON *v;
    if (!cJSON_IsObject(root)) {
        fail(&ld, "", "the file must hold one JSON object");
        goto out;
    }
    if (check_keys(&ld, root, "", keys)) goto out;
    if (!(v = member(&ld, root, "", "format", 1))) goto out;
    if (!cJSON_IsString(v) || strcmp(v->valuestring, MODEL_FORMAT)) {
        fail(&ld, "format", "expected \"%s\"", MODEL_FORMAT);
        goto out;
    }
    int version;
    if (!(v = member(&ld, root, "", "version", 1)) ||
        get_int(&ld, v, "version", 0, 1000000, &version))
        goto out;
    if (version != MODEL_VERSION) {
        fail(&ld, "version", "this l0sim reads version %d, the file is version %d", MODEL_VERSION,
             version);
        goto out;
    }
    if ((v = member(&ld, root, "", "name", 0))) {
        if (!cJSON_IsString(v)) {
            fail(&ld, "name", "expected a string");
            goto out;
        }
        snprintf(m->name, sizeof m->name, "%s", v->valuestring);
    }
    if (!(v = member(&ld, root, "", "cells_max", 1)) ||
        get_int(&ld, v, "cells_max", 1, L0_CELLS_MAX, &m->cells_max))
        goto out;
    if ((v = member(&ld, root, "", "padding", 0)) && parse_padding(&ld, v, m)) goto out;
    /* features */
    if (!(v = member(&ld, root, "", "features", 1))) goto out;
    if (!cJSON_IsArray(v) || cJSON_GetArraySize(v) < 1 ||
        cJSON_GetArraySize(v) > L0_MODEL_FEATURES_MAX) {
        fail(&ld, "features", "expected an array of 1 to %d features", L0_MODEL_FEATURES_MAX);
        goto out;
    }
    for (const cJSON *f = v->child; f; f = f->next, m->n_feat++)
        if (parse_feature(&ld, f, m->n_feat, &m->feat[m->n_feat])) goto out;
    /* target */
    if (!(v = member(&ld, root, "", "target", 1))) goto out;
    if (!cJSON_IsObject(v)) {
        fail(&ld, "target", "expected an object");
        goto out;
    }
    if (check_keys(&ld, v, "target", tkeys)) goto out;
    const cJSON *tk = member(&ld, v, "target", "kind", 1),
                *ts = member(&ld, v, "target", "scale", 1);
    if (!tk || !ts) goto out;
    if (!cJSON_IsString(tk) || strcmp(tk->valuestring, "energy")) {
        fail(&ld, "target.kind", "expected \"energy\" (the calibrated cluster energy)");
        goto out;
    }
    if (get_number(&ld, ts, "target.scale", &m->target_scale)) goto out;
    if (!(m->target_scale > 0)) {
        fail(&ld, "target.scale", "must be > 0 (GeV per output unit)");
        goto out;
    }
    /* top-level precision */
    prec_defaults pd = {0};
    if (!(v = member(&ld, root, "", "precision", 1))) goto out;
    if (!cJSON_IsObject(v)) {
        fail(&ld, "precision", "expected an object");
        goto out;
    }
    if (check_keys(&ld, v, "precision", pkeys)) goto out;
    const cJSON *pi = member(&ld, v, "precision", "input", 1),
                *pk = member(&ld, v, "precision", "ksum", 1), *x;
    if (!pi || !pk) goto out;
    if (get_type(&ld, pi, "precision.input", &m->t_in, NULL) ||
        get_type(&ld, pk, "precision.ksum", &m->t_ksum, NULL))
        goto out;
    if ((x = cJSON_GetObjectItemCaseSensitive(v, "weight"))) {
        if (get_type(&ld, x, "precision.weight", &pd.w, NULL)) goto out;
        pd.has_w = true;
    }
    if ((x = cJSON_GetObjectItemCaseSensitive(v, "bias"))) {
        if (get_type(&ld, x, "precision.bias", &pd.b, NULL)) goto out;
        pd.has_b = true;
    }
    if ((x = cJSON_GetObjectItemCaseSensitive(v, "result"))) {
        if (get_type(&ld, x, "precision.result", &pd.r, NULL)) goto out;
        pd.has_r = true;
    }
    if ((x = cJSON_GetObjectItemCaseSensitive(v, "accum"))) {
        if (get_type(&ld, x, "precision.accum", &pd.a, &pd.a_auto)) goto out;
        pd.has_a = true;
    }
    /* layers */
    int n_in = m->n_feat;
    for (int net = 0; net < 2; net++) {
        const char *key = net ? "rho" : "phi";
        if (!(v = member(&ld, root, "", key, 1))) goto out;
        if (!cJSON_IsArray(v) || cJSON_GetArraySize(v) < 1 ||
            cJSON_GetArraySize(v) > L0_MODEL_LAYERS_MAX) {
            fail(&ld, key, "expected an array of 1 to %d layers", L0_MODEL_LAYERS_MAX);
            goto out;
        }
        int k = 0;
        for (const cJSON *jl = v->child; jl; jl = jl->next, k++) {
            char path[32];
            snprintf(path, sizeof path, "%s[%d]", key, k);
            l0_layer *L = net ? &m->rho[k] : &m->phi[k];
            if (parse_layer(&ld, jl, path, n_in, &pd, L)) goto out;
            n_in = L->n_out;
            if (net)
                m->n_rho++;
            else
                m->n_phi++;
        }
    }
    if (m->rho[m->n_rho - 1].n_out != 1) {
        char path[32];
        snprintf(path, sizeof path, "rho[%d].n_out", m->n_rho - 1);
        fail(&ld, path, "the last layer gives the energy: 1 output, not %d",
             m->rho[m->n_rho - 1].n_out);
        goto out;
    }
    if ((v = member(&ld, root, "", "training", 0))) {
        if (!cJSON_IsObject(v)) {
            fail(&ld, "training", "expected an object");
            goto out;
        }
        m->training_json = cJSON_PrintUnformatted(v);
    }
    if (check_accums(m, origin, err)) goto out;
    rc = 0;
out:
    cJSON_Delete(root);
    if (rc) l0_model_free(m);
    return rc;
}

int l0_model_load(const char *path, l0_model *m, l0_err *err) {
    size_t n;
    char *buf = l0_read_file(path, (size_t)1 << 30, &n, err);
    if (!buf) return -1;
    if (memchr(buf, '\0', n)) {
        free(buf);
        return l0_err_set(err, "%s: not a JSON model file (binary data)", path);
    }
    int rc = l0_model_parse(buf, path, m, err);
    free(buf);
    return rc;
}

/* --- JSON saving ----------------------------------------------------------------------------- */

typedef struct sbuf {
    char *p;
    size_t n, cap;
    int oom;
} sbuf;

static void sb_printf(sbuf *b, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
static void sb_printf(sbuf *b, const char *fmt, ...) {
    if (b->oom) return;
    for (;;) {
        va_list ap;
        va_start(ap, fmt);
        int k = vsnprintf(b->p ? b->p + b->n : NULL, b->p ? b->cap - b->n : 0, fmt, ap);
        va_end(ap);
        if (k < 0) {
            b->oom = 1;
            return;
        }
        if (b->p && b->n + (size_t)k < b->cap) {
            b->n += (size_t)k;
            return;
        }
        size_t cap = (b->cap ? b->cap * 2 : 4096) + (size_t)k;
        char *q = realloc(b->p, cap);
        if (!q) {
            b->oom = 1;
            return;
        }
        b->p = q;
        b->cap = cap;
    }
}

static void sb_type(sbuf *b, const l0_fx_type *t) {
    char s[64];
    l0_fx_type_str(t, s, sizeof s);
    sb_printf(b, "\"%s\"", s);
}

static void sb_layer(sbuf *b, const l0_layer *L) {
    sb_printf(b, "    {\n      \"n_in\": %d, \"n_out\": %d, \"activation\": \"%s\",\n", L->n_in,
              L->n_out, L->relu ? "relu" : "linear");
    sb_printf(b, "      \"precision\": {\"weight\": ");
    sb_type(b, &L->t_w);
    sb_printf(b, ", \"bias\": ");
    sb_type(b, &L->t_b);
    sb_printf(b, ", \"accum\": ");
    if (L->acc_auto)
        sb_printf(b, "\"auto\"");
    else
        sb_type(b, &L->t_acc);
    sb_printf(b, ", \"result\": ");
    sb_type(b, &L->t_res);
    sb_printf(b, "},\n      \"weights\": [\n");
    for (int j = 0; j < L->n_out; j++) {
        sb_printf(b, "        [");
        for (int i = 0; i < L->n_in; i++)
            sb_printf(b, "%s%.17g", i ? ", " : "", L->w[j * L->n_in + i]);
        sb_printf(b, "]%s\n", j + 1 < L->n_out ? "," : "");
    }
    sb_printf(b, "      ],\n      \"bias\": [");
    for (int j = 0; j < L->n_out; j++) sb_printf(b, "%s%.17g", j ? ", " : "", L->b[j]);
    sb_printf(b, "]\n    }");
}

char *l0_model_to_json(const l0_model *m) {
    sbuf b = {0};
    sb_printf(&b, "{\n  \"format\": \"%s\",\n  \"version\": %d,\n", MODEL_FORMAT, MODEL_VERSION);
    cJSON *name = cJSON_CreateString(m->name);
    char *qname = name ? cJSON_PrintUnformatted(name) : NULL;
    sb_printf(&b, "  \"name\": %s,\n  \"cells_max\": %d,\n", qname ? qname : "\"\"", m->cells_max);
    if (m->pad_cells > 0)
        sb_printf(&b, "  \"padding\": {\"cells\": %d, \"value\": %.17g},\n", m->pad_cells,
                  m->pad_value);
    sb_printf(&b, "  \"features\": [\n");
    cJSON_free(qname);
    cJSON_Delete(name);
    for (int k = 0; k < m->n_feat; k++) {
        const l0_feature *f = &m->feat[k];
        sb_printf(
            &b, "    {\"kind\": \"%s\", \"transform\": \"%s\", \"offset\": %.17g, \"scale\": %.17g",
            FEAT_NAMES[f->kind], TRANSFORM_NAMES[f->transform], f->offset, f->scale);
        if (f->transform == L0_TRANSFORM_LOG) sb_printf(&b, ", \"min\": %.17g", f->min);
        sb_printf(&b, "}%s\n", k + 1 < m->n_feat ? "," : "");
    }
    sb_printf(&b, "  ],\n  \"target\": {\"kind\": \"energy\", \"scale\": %.17g},\n",
              m->target_scale);
    sb_printf(&b, "  \"precision\": {\"input\": ");
    sb_type(&b, &m->t_in);
    sb_printf(&b, ", \"ksum\": ");
    sb_type(&b, &m->t_ksum);
    sb_printf(&b, "},\n");
    for (int net = 0; net < 2; net++) {
        int n = net ? m->n_rho : m->n_phi;
        sb_printf(&b, "  \"%s\": [\n", net ? "rho" : "phi");
        for (int k = 0; k < n; k++) {
            sb_layer(&b, net ? &m->rho[k] : &m->phi[k]);
            sb_printf(&b, "%s\n", k + 1 < n ? "," : "");
        }
        sb_printf(&b, "  ]%s\n", net && !m->training_json ? "" : ",");
    }
    if (m->training_json) {
        cJSON *t = cJSON_Parse(m->training_json);
        char *s = t ? cJSON_Print(t) : NULL;
        if (s) {
            /* indent the object by two spaces */
            sb_printf(&b, "  \"training\": ");
            for (char *c = s; *c; c++) {
                sb_printf(&b, "%c", *c);
                if (*c == '\n') sb_printf(&b, "  ");
            }
            sb_printf(&b, "\n");
        } else {
            sb_printf(&b, "  \"training\": {}\n");
        }
        cJSON_free(s);
        cJSON_Delete(t);
    }
    sb_printf(&b, "}\n");
    if (b.oom) {
        free(b.p);
        return NULL;
    }
    return b.p;
}

/* The first non-finite number of the model, as a field path, or 0 if all are finite. */
static int find_nonfinite(const l0_model *m, char *path, size_t n) {
    for (int k = 0; k < l0_model_n_layers(m); k++) {
        const l0_layer *L = l0_model_layer_c(m, k);
        char name[24];
        layer_name(m, k, name, sizeof name);
        for (int i = 0; i < L->n_in * L->n_out; i++)
            if (!isfinite(L->w[i])) {
                snprintf(path, n, "%s.weights[%d][%d]", name, i / L->n_in, i % L->n_in);
                return 1;
            }
        for (int j = 0; j < L->n_out; j++)
            if (!isfinite(L->b[j])) {
                snprintf(path, n, "%s.bias[%d]", name, j);
                return 1;
            }
    }
    for (int f = 0; f < m->n_feat; f++)
        if (!isfinite(m->feat[f].offset) || !isfinite(m->feat[f].scale) ||
            !isfinite(m->feat[f].min)) {
            snprintf(path, n, "features[%d]", f);
            return 1;
        }
    if (!isfinite(m->target_scale)) {
        snprintf(path, n, "target.scale");
        return 1;
    }
    if (m->pad_cells > 0 && !isfinite(m->pad_value)) {
        snprintf(path, n, "padding.value");
        return 1;
    }
    return 0;
}

int l0_model_save(const l0_model *m, const char *path, l0_err *err) {
    char field[96];
    if (find_nonfinite(m, field, sizeof field))
        return l0_err_set(err, "%s: not saved: field '%s' is not a finite number", path, field);
    char *s = l0_model_to_json(m);
    if (!s) return l0_err_set(err, "%s: out of memory", path);
    int rc = l0_write_file_atomic(path, s, strlen(s), err);
    free(s);
    return rc;
}

/* --- features and float inference ------------------------------------------------------------ */

int l0_model_cells_used(const l0_model *m, const l0_cluster *c) {
    return c->n_cells < m->cells_max ? c->n_cells : m->cells_max;
}

int l0_model_rows(const l0_model *m, const l0_cluster *c) {
    int n = l0_model_cells_used(m, c);
    return n < m->pad_cells ? m->pad_cells : n;
}

void l0_model_features(const l0_model *m, const l0_cluster *c, int k, double *out) {
    const l0_cell *cell = &c->cells[k];
    for (int f = 0; f < m->n_feat; f++) {
        const l0_feature *ft = &m->feat[f];
        double x;
        switch (ft->kind) {
        case L0_FEAT_ENERGY:
            x = cell->e;
            break;
        case L0_FEAT_DETA:
            x = (double)cell->eta - (double)c->eta;
            break;
        case L0_FEAT_DPHI:
            x = (double)cell->phi - (double)c->phi;
            if (x > L0_PI) x -= 2 * L0_PI;
            if (x <= -L0_PI) x += 2 * L0_PI;
            break;
        case L0_FEAT_LAYER:
        default:
            x = cell->layer;
            break;
        }
        if (ft->transform == L0_TRANSFORM_LOG) x = log(x > ft->min ? x : ft->min);
        out[f] = (x - ft->offset) * ft->scale;
    }
}

static void dense_float(const l0_layer *L, const double *x, double *y) {
    for (int j = 0; j < L->n_out; j++) {
        const double *w = L->w + (size_t)j * L->n_in;
        double s = L->b[j];
        for (int i = 0; i < L->n_in; i++) s += w[i] * x[i];
        y[j] = L->relu && s < 0 ? 0 : s;
    }
}

/* The rows of the features source: a cluster (c), or rows of features already computed (xf,
 * nx rows, used as a cluster's cells are: the first cells_max, then any padding). */
static int src_used(const l0_model *m, const l0_cluster *c, int nx) {
    if (c) return l0_model_cells_used(m, c);
    return nx < 0 ? 0 : nx < m->cells_max ? nx : m->cells_max;
}
static int src_rows(const l0_model *m, const l0_cluster *c, int nx) {
    int n = src_used(m, c, nx);
    return n < m->pad_cells ? m->pad_cells : n;
}
static void src_features(const l0_model *m, const l0_cluster *c, const double *xf, int k,
                         double *out) {
    if (c)
        l0_model_features(m, c, k, out);
    else
        memcpy(out, xf + (size_t)k * (size_t)m->n_feat, sizeof *out * (size_t)m->n_feat);
}

/* The float network; with a trace, every tensor is stored into tr (sized by the caller). */
static double float_run(const l0_model *m, const l0_cluster *c, const double *xf, int nx,
                        l0_trace *tr) {
    double ksum[L0_MODEL_UNITS_MAX] = {0}, a[L0_MODEL_UNITS_MAX], b[L0_MODEL_UNITS_MAX];
    int n = src_used(m, c, nx), width = l0_model_ksum_width(m);
    for (int k = 0; k < n; k++) {
        src_features(m, c, xf, k, a);
        if (tr) memcpy(tr->t[0].flt + (size_t)k * m->n_feat, a, sizeof *a * (size_t)m->n_feat);
        double *x = a, *y = b;
        for (int l = 0; l < m->n_phi; l++) {
            dense_float(&m->phi[l], x, y);
            if (tr)
                memcpy(tr->t[1 + l].flt + (size_t)k * m->phi[l].n_out, y,
                       sizeof *y * (size_t)m->phi[l].n_out);
            double *t = x;
            x = y;
            y = t;
        }
        for (int j = 0; j < width; j++) ksum[j] += x[j];
    }
    int rows = src_rows(m, c, nx);
    if (rows > n) {
        /* Padded rows: every feature pad_value as it is; phi once, added once per row. */
        double *x = a, *y = b;
        for (int f = 0; f < m->n_feat; f++) x[f] = m->pad_value;
        for (int k = n; tr && k < rows; k++)
            memcpy(tr->t[0].flt + (size_t)k * m->n_feat, x, sizeof *x * (size_t)m->n_feat);
        for (int l = 0; l < m->n_phi; l++) {
            dense_float(&m->phi[l], x, y);
            for (int k = n; tr && k < rows; k++)
                memcpy(tr->t[1 + l].flt + (size_t)k * m->phi[l].n_out, y,
                       sizeof *y * (size_t)m->phi[l].n_out);
            double *t = x;
            x = y;
            y = t;
        }
        for (int k = n; k < rows; k++)
            for (int j = 0; j < width; j++) ksum[j] += x[j];
    }
    if (tr) memcpy(tr->t[1 + m->n_phi].flt, ksum, sizeof *ksum * (size_t)width);
    double *x = ksum, *y = a;
    for (int l = 0; l < m->n_rho; l++) {
        dense_float(&m->rho[l], x, y);
        if (tr) memcpy(tr->t[2 + m->n_phi + l].flt, y, sizeof *y * (size_t)m->rho[l].n_out);
        x = y;
        y = y == a ? b : a;
    }
    return x[0];
}

double l0_model_float(const l0_model *m, const l0_cluster *c) {
    return float_run(m, c, NULL, 0, NULL);
}

double l0_model_float_rows(const l0_model *m, const double *x, int n_cells) {
    return float_run(m, NULL, x, n_cells, NULL);
}

double l0_model_float_features(const l0_model *m, const double *x, int n_cells) {
    double ksum[L0_MODEL_UNITS_MAX] = {0}, a[L0_MODEL_UNITS_MAX], b[L0_MODEL_UNITS_MAX];
    int width = l0_model_ksum_width(m);
    for (int k = 0; k < n_cells; k++) {
        const double *in = x + (size_t)k * m->n_feat;
        double *y = a;
        for (int l = 0; l < m->n_phi; l++) {
            dense_float(&m->phi[l], in, y);
            in = y;
            y = y == a ? b : a;
        }
        for (int j = 0; j < width; j++) ksum[j] += in[j];
    }
    const double *in = ksum;
    double *y = a;
    for (int l = 0; l < m->n_rho; l++) {
        dense_float(&m->rho[l], in, y);
        in = y;
        y = y == a ? b : a;
    }
    return in[0];
}

/* --- the golden model ------------------------------------------------------------------------ */

typedef struct glayer {
    int64_t *w;    /* weight_t raws, n_out x n_in */
    int64_t *b;    /* bias_t raws */
    int64_t *bacc; /* (accum_t)bias raws */
    l0_fx_plan prod, res;
} glayer;

struct l0_golden {
    l0_model m; /* a private copy: the caller may change or free its model */
    glayer L[2 * L0_MODEL_LAYERS_MAX];
    l0_fx_plan ksum_plan;
    l0_ovf_counts ovf;
    uint64_t static_w[2 * L0_MODEL_LAYERS_MAX], static_b[2 * L0_MODEL_LAYERS_MAX];
    /* A padded row (m.pad_cells > 0), computed once: its input_t raws, every phi layer's output
     * raws, and the overflow counters one row adds (input and phi layers only). */
    int64_t pad_in[L0_MODEL_FEATURES_MAX];
    int64_t pad_phi[L0_MODEL_LAYERS_MAX][L0_MODEL_UNITS_MAX];
    l0_ovf_counts pad_ovf;
};

void l0_golden_free(l0_golden *g) {
    if (!g) return;
    for (int k = 0; k < 2 * L0_MODEL_LAYERS_MAX; k++) {
        free(g->L[k].w);
        free(g->L[k].b);
        free(g->L[k].bacc);
    }
    l0_model_free(&g->m);
    free(g);
}

static void dense_fixed(l0_golden *g, int k, const int64_t *x, int64_t *y);

/* The padded row through the phi network, once; its overflow counts kept apart in pad_ovf. */
static int pad_prepare(l0_golden *g, l0_err *err) {
    const l0_model *m = &g->m;
    memset(&g->ovf, 0, sizeof g->ovf);
    for (int f = 0; f < m->n_feat; f++) {
        int o = 0;
        if (l0_fx_from_double(m->pad_value, &m->t_in, &g->pad_in[f], &o) != L0_FX_OK)
            return l0_err_set(err, "padding.value: not a finite number");
        g->ovf.input += (uint64_t)o;
    }
    g->ovf.casts_input = (uint64_t)m->n_feat;
    const int64_t *x = g->pad_in;
    for (int l = 0; l < m->n_phi; l++) {
        dense_fixed(g, l, x, g->pad_phi[l]);
        x = g->pad_phi[l];
    }
    g->pad_ovf = g->ovf;
    return 0;
}

l0_golden *l0_golden_create(const l0_model *src, l0_err *err) {
    l0_golden *g = calloc(1, sizeof *g);
    if (!g) {
        l0_err_set(err, "out of memory");
        return NULL;
    }
    if (l0_model_copy(&g->m, src, err)) {
        free(g);
        return NULL;
    }
    const l0_model *m = &g->m;
    for (int k = 0; k < l0_model_n_layers(m); k++) {
        const l0_layer *L = l0_model_layer_c(m, k);
        glayer *G = &g->L[k];
        size_t nw = (size_t)L->n_in * (size_t)L->n_out;
        G->w = malloc(sizeof *G->w * nw);
        G->b = malloc(sizeof *G->b * (size_t)L->n_out);
        G->bacc = malloc(sizeof *G->bacc * (size_t)L->n_out);
        if (!G->w || !G->b || !G->bacc) {
            l0_golden_free(g);
            l0_err_set(err, "out of memory");
            return NULL;
        }
        char name[32];
        layer_name(m, k, name, sizeof name);
        for (size_t i = 0; i < nw; i++) {
            int o = 0;
            if (l0_fx_from_double(L->w[i], &L->t_w, &G->w[i], &o) != L0_FX_OK) {
                l0_err_set(err, "%s.weights[%zu][%zu]: not a finite number", name,
                           i / (size_t)L->n_in, i % (size_t)L->n_in);
                l0_golden_free(g);
                return NULL;
            }
            g->static_w[k] += (uint64_t)o;
        }
        for (int j = 0; j < L->n_out; j++) {
            int o1 = 0, o2;
            if (l0_fx_from_double(L->b[j], &L->t_b, &G->b[j], &o1) != L0_FX_OK) {
                l0_err_set(err, "%s.bias[%d]: not a finite number", name, j);
                l0_golden_free(g);
                return NULL;
            }
            G->bacc[j] = l0_fx_cast(&L->t_b, G->b[j], &L->t_acc, &o2);
            g->static_b[k] += (uint64_t)(o1 + o2);
        }
        l0_fx_plan_for_product(&G->prod, layer_input_type(m, k), &L->t_w, &L->t_acc);
        l0_fx_plan_for_type(&G->res, &L->t_acc, &L->t_res);
    }
    const l0_fx_type *tl = &m->phi[m->n_phi - 1].t_res;
    l0_fx_plan_make(&g->ksum_plan, l0_fx_frac(tl), (l0_wide)m->cells_max * l0_fx_raw_min(tl),
                    (l0_wide)m->cells_max * l0_fx_raw_max(tl), &m->t_ksum);
    if (m->pad_cells > 0 && pad_prepare(g, err)) {
        l0_golden_free(g);
        return NULL;
    }
    l0_golden_reset_ovf(g);
    return g;
}

const l0_model *l0_golden_model(const l0_golden *g) {
    return &g->m;
}
const l0_ovf_counts *l0_golden_ovf(const l0_golden *g) {
    return &g->ovf;
}
const int64_t *l0_golden_pad_phi(const l0_golden *g) {
    const l0_model *m = &g->m;
    return m->pad_cells > 0 ? g->pad_phi[m->n_phi - 1] : NULL;
}

const int64_t *l0_golden_weights(const l0_golden *g, int layer) {
    return g->L[layer].w;
}
const int64_t *l0_golden_biases(const l0_golden *g, int layer) {
    return g->L[layer].b;
}

void l0_golden_reset_ovf(l0_golden *g) {
    memset(&g->ovf, 0, sizeof g->ovf);
    memcpy(g->ovf.weight, g->static_w, sizeof g->static_w);
    memcpy(g->ovf.bias, g->static_b, sizeof g->static_b);
}

/* One Dense layer in fixed point: x raws (the layer's input type) -> y raws (result_t). */
static void dense_fixed(l0_golden *g, int k, const int64_t *x, int64_t *y) {
    const l0_layer *L = l0_model_layer_c(&g->m, k);
    const glayer *G = &g->L[k];
    uint64_t oacc = 0, ores = 0;
    for (int j = 0; j < L->n_out; j++) {
        int64_t acc =
            l0_fx_dot(&G->prod, x, G->w + (size_t)j * L->n_in, (size_t)L->n_in, G->bacc[j], &oacc);
        int o;
        int64_t r = l0_fx_plan_cast(&G->res, l0_fx_wide(&L->t_acc, acc), &o);
        ores += (uint64_t)o;
        if (L->relu && L->t_res.is_signed && r < 0) r = 0;
        y[j] = r;
    }
    g->ovf.accum[k] += oacc;
    g->ovf.result[k] += ores;
    g->ovf.casts_accum[k] += (uint64_t)L->n_out * (uint64_t)L->n_in;
    g->ovf.casts_result[k] += (uint64_t)L->n_out;
}

static void store_fixed(l0_trace_tensor *t, size_t at, const int64_t *raw, int n) {
    for (int i = 0; i < n; i++) {
        t->raw[at + (size_t)i] = raw[i];
        t->fixed[at + (size_t)i] = l0_fx_to_double(&t->type, raw[i]);
    }
}

static int64_t fixed_run(l0_golden *g, const l0_cluster *c, const double *xf, int nx, double *out,
                         l0_trace *tr) {
    const l0_model *m = &g->m;
    int64_t a[L0_MODEL_UNITS_MAX], b[L0_MODEL_UNITS_MAX];
    l0_wide ksum[L0_MODEL_UNITS_MAX];
    double feat[L0_MODEL_FEATURES_MAX];
    int n = src_used(m, c, nx), width = l0_model_ksum_width(m);
    const l0_fx_type *tl = &m->phi[m->n_phi - 1].t_res;
    uint64_t oin = 0;
    for (int j = 0; j < width; j++) ksum[j] = 0;
    for (int k = 0; k < n; k++) {
        src_features(m, c, xf, k, feat);
        for (int f = 0; f < m->n_feat; f++) {
            int o = 0;
            if (l0_fx_from_double(feat[f], &m->t_in, &a[f], &o) != L0_FX_OK) {
                /* A non-finite feature (NaN energy in a corrupt record) saturates as 0. */
                a[f] = 0;
                o = 1;
            }
            oin += (uint64_t)o;
        }
        if (tr) store_fixed(&tr->t[0], (size_t)k * m->n_feat, a, m->n_feat);
        int64_t *x = a, *y = b;
        for (int l = 0; l < m->n_phi; l++) {
            dense_fixed(g, l, x, y);
            if (tr) store_fixed(&tr->t[1 + l], (size_t)k * m->phi[l].n_out, y, m->phi[l].n_out);
            int64_t *t = x;
            x = y;
            y = t;
        }
        for (int j = 0; j < width; j++) ksum[j] += l0_fx_wide(tl, x[j]);
    }
    g->ovf.input += oin;
    g->ovf.casts_input += (uint64_t)n * (uint64_t)m->n_feat;
    int rows = src_rows(m, c, nx);
    if (rows > n) {
        /* Padded rows: the row computed at create, added rows - n times (exact: no order). */
        uint64_t np = (uint64_t)(rows - n);
        const int64_t *pl = g->pad_phi[m->n_phi - 1];
        for (int j = 0; j < width; j++) ksum[j] += (l0_wide)np * l0_fx_wide(tl, pl[j]);
        const l0_ovf_counts *po = &g->pad_ovf;
        g->ovf.input += np * po->input;
        g->ovf.casts_input += np * po->casts_input;
        for (int l = 0; l < m->n_phi; l++) {
            g->ovf.accum[l] += np * po->accum[l];
            g->ovf.result[l] += np * po->result[l];
            g->ovf.casts_accum[l] += np * po->casts_accum[l];
            g->ovf.casts_result[l] += np * po->casts_result[l];
        }
        for (int k = n; tr && k < rows; k++) {
            store_fixed(&tr->t[0], (size_t)k * m->n_feat, g->pad_in, m->n_feat);
            for (int l = 0; l < m->n_phi; l++)
                store_fixed(&tr->t[1 + l], (size_t)k * m->phi[l].n_out, g->pad_phi[l],
                            m->phi[l].n_out);
        }
    }
    uint64_t oks = 0;
    for (int j = 0; j < width; j++) {
        int o;
        a[j] = l0_fx_plan_cast(&g->ksum_plan, ksum[j], &o);
        oks += (uint64_t)o;
    }
    g->ovf.ksum += oks;
    g->ovf.casts_ksum += (uint64_t)width;
    if (tr) store_fixed(&tr->t[1 + m->n_phi], 0, a, width);
    int64_t *x = a, *y = b;
    for (int l = 0; l < m->n_rho; l++) {
        dense_fixed(g, m->n_phi + l, x, y);
        if (tr) store_fixed(&tr->t[2 + m->n_phi + l], 0, y, m->rho[l].n_out);
        int64_t *t = x;
        x = y;
        y = t;
    }
    if (out) *out = l0_fx_to_double(&m->rho[m->n_rho - 1].t_res, x[0]);
    return x[0];
}

int64_t l0_golden_run(l0_golden *g, const l0_cluster *c, double *out) {
    return fixed_run(g, c, NULL, 0, out, NULL);
}

int64_t l0_golden_run_rows(l0_golden *g, const double *x, int n_cells, double *out) {
    return fixed_run(g, NULL, x, n_cells, out, NULL);
}

void l0_trace_free(l0_trace *tr) {
    for (int i = 0; i < tr->n; i++) {
        free(tr->t[i].flt);
        free(tr->t[i].fixed);
        free(tr->t[i].raw);
    }
    memset(tr, 0, sizeof *tr);
}

static int trace_run(l0_golden *g, const l0_cluster *c, const double *xf, int nx, l0_trace *tr,
                     l0_err *err) {
    const l0_model *m = &g->m;
    int n = src_rows(m, c, nx);
    memset(tr, 0, sizeof *tr);
    tr->n = m->n_phi + m->n_rho + 2;
    for (int i = 0; i < tr->n; i++) {
        l0_trace_tensor *t = &tr->t[i];
        if (i == 0) {
            snprintf(t->name, sizeof t->name, "input");
            t->rows = n;
            t->cols = m->n_feat;
            t->type = m->t_in;
        } else if (i <= m->n_phi) {
            snprintf(t->name, sizeof t->name, "phi%d", i - 1);
            t->rows = n;
            t->cols = m->phi[i - 1].n_out;
            t->type = m->phi[i - 1].t_res;
        } else if (i == m->n_phi + 1) {
            snprintf(t->name, sizeof t->name, "ksum");
            t->rows = 1;
            t->cols = l0_model_ksum_width(m);
            t->type = m->t_ksum;
        } else {
            int l = i - m->n_phi - 2;
            snprintf(t->name, sizeof t->name, "rho%d", l);
            t->rows = 1;
            t->cols = m->rho[l].n_out;
            t->type = m->rho[l].t_res;
        }
        size_t sz = (size_t)(t->rows > 0 ? t->rows : 1) * (size_t)t->cols;
        t->flt = calloc(sz, sizeof *t->flt);
        t->fixed = calloc(sz, sizeof *t->fixed);
        t->raw = calloc(sz, sizeof *t->raw);
        if (!t->flt || !t->fixed || !t->raw) {
            l0_trace_free(tr);
            return l0_err_set(err, "out of memory");
        }
    }
    float_run(m, c, xf, nx, tr);
    fixed_run(g, c, xf, nx, NULL, tr);
    return 0;
}

int l0_golden_trace(l0_golden *g, const l0_cluster *c, l0_trace *tr, l0_err *err) {
    return trace_run(g, c, NULL, 0, tr, err);
}

int l0_golden_trace_rows(l0_golden *g, const double *x, int n_cells, l0_trace *tr, l0_err *err) {
    return trace_run(g, NULL, x, n_cells, tr, err);
}
