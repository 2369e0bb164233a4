/* l0_hls4ml: precisions from an hls4ml configuration (l0_hls4ml.h, docs/import.md). The rules
 * are hls4ml 1.0.0's: hls4ml/model/graph.py (HLSConfig.get_precision, _parse_hls_config),
 * hls4ml/model/optimizer/passes/infer_precision.py ('auto'), hls4ml/converters/keras_to_hls.py
 * (a Dense's activation becomes the layer <dense>_<activation>), passes/linear.py (when a linear
 * activation is removed) and passes/multi_dense.py (a Dense on a 3-D tensor becomes a
 * PointwiseConv1D, whose class the LayerType section must then name). */
#include "l0_hls4ml.h"

#include "l0_ofile.h"

#include <cjson/cJSON.h>
#include <errno.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <yaml.h>

#define CFG_MAX_BYTES (64u << 20)
#define YAML_DEPTH_MAX 64
#define YAML_NODES_MAX 1000000
#define NAME_MAX_ 160
#define PATH_MAX_ 320

/* --- reading: JSON or YAML into a cJSON tree ---------------------------------------------------
 */

typedef struct yconv {
    yaml_document_t *doc;
    const char *path;
    long budget;
    l0_err *err;
    bool failed;
} yconv;

static cJSON *yaml_node_json(yconv *y, yaml_node_t *n, int depth) {
    if (y->failed) return NULL;
    if (!n || depth > YAML_DEPTH_MAX || --y->budget < 0) {
        y->failed = true;
        l0_err_set(y->err, "%s: YAML nested too deeply or too large (line %lu)", y->path,
                   n ? (unsigned long)n->start_mark.line + 1 : 0ul);
        return NULL;
    }
    if (n->type == YAML_SCALAR_NODE) {
        char *s = strndup((const char *)n->data.scalar.value, n->data.scalar.length);
        cJSON *j = s ? cJSON_CreateString(s) : NULL;
        free(s);
        return j;
    }
    if (n->type == YAML_SEQUENCE_NODE) {
        cJSON *a = cJSON_CreateArray();
        for (yaml_node_item_t *it = n->data.sequence.items.start;
             a && it < n->data.sequence.items.top; it++) {
            cJSON *v = yaml_node_json(y, yaml_document_get_node(y->doc, *it), depth + 1);
            if (!v) {
                cJSON_Delete(a);
                return NULL;
            }
            cJSON_AddItemToArray(a, v);
        }
        return a;
    }
    if (n->type == YAML_MAPPING_NODE) {
        cJSON *o = cJSON_CreateObject();
        for (yaml_node_pair_t *p = n->data.mapping.pairs.start; o && p < n->data.mapping.pairs.top;
             p++) {
            yaml_node_t *k = yaml_document_get_node(y->doc, p->key);
            if (!k || k->type != YAML_SCALAR_NODE) {
                y->failed = true;
                l0_err_set(y->err, "%s: line %lu: a mapping key that is not a plain value", y->path,
                           k ? (unsigned long)k->start_mark.line + 1 : 0ul);
                cJSON_Delete(o);
                return NULL;
            }
            cJSON *v = yaml_node_json(y, yaml_document_get_node(y->doc, p->value), depth + 1);
            char *key = strndup((const char *)k->data.scalar.value, k->data.scalar.length);
            if (!v || !key) {
                free(key);
                cJSON_Delete(v);
                cJSON_Delete(o);
                return NULL;
            }
            cJSON_AddItemToObject(o, key, v); /* duplicates are kept: the last one wins below */
            free(key);
        }
        return o;
    }
    return cJSON_CreateNull();
}

/* Parse text as JSON (when it starts with '{' or '[') or YAML; *fmt names which. */
static cJSON *parse_config(const char *path, const char *text, size_t len, const char **fmt,
                           l0_err *err) {
    const char *s = text;
    if (len >= 3 && !memcmp(s, "\xEF\xBB\xBF", 3)) s += 3;
    while (*s == ' ' || *s == '\t' || *s == '\r' || *s == '\n') s++;
    if (!*s) {
        l0_err_set(err, "%s: empty: not an hls4ml configuration (JSON or YAML)", path);
        return NULL;
    }
    if (strlen(text) != len) {
        l0_err_set(err,
                   "%s: a binary file (it holds NUL bytes), not an hls4ml configuration "
                   "(JSON or YAML)",
                   path);
        return NULL;
    }
    if (*s == '{' || *s == '[') {
        *fmt = "JSON";
        const char *end = NULL;
        cJSON *j = cJSON_ParseWithOpts(s, &end, 1);
        if (!j) {
            const char *at = end ? end : cJSON_GetErrorPtr();
            unsigned long line = 1;
            for (const char *p = text; at && p < at && *p; p++) line += *p == '\n';
            l0_err_set(err, "%s: not valid JSON (line %lu)", path, line);
        }
        return j;
    }
    *fmt = "YAML";
    yaml_parser_t parser;
    yaml_document_t doc;
    if (!yaml_parser_initialize(&parser)) {
        l0_err_set(err, "%s: out of memory", path);
        return NULL;
    }
    yaml_parser_set_input_string(&parser, (const unsigned char *)text, len);
    if (!yaml_parser_load(&parser, &doc)) {
        l0_err_set(err, "%s: neither JSON nor valid YAML: line %lu, column %lu: %s%s%s", path,
                   (unsigned long)parser.problem_mark.line + 1,
                   (unsigned long)parser.problem_mark.column + 1,
                   parser.problem ? parser.problem : "a syntax error", parser.context ? " " : "",
                   parser.context ? parser.context : "");
        yaml_parser_delete(&parser);
        return NULL;
    }
    yaml_node_t *root = yaml_document_get_root_node(&doc);
    cJSON *j = NULL;
    if (!root) {
        l0_err_set(err, "%s: empty: not an hls4ml configuration (JSON or YAML)", path);
    } else {
        yconv y = {&doc, path, YAML_NODES_MAX, err, false};
        j = yaml_node_json(&y, root, 0);
        if (!j && !y.failed) l0_err_set(err, "%s: out of memory", path);
    }
    yaml_document_delete(&doc);
    yaml_parser_delete(&parser);
    return j;
}

/* --- the report ---------------------------------------------------------------------------- */

typedef struct rep {
    char *buf;
    size_t len, used;
} rep;

static void rep_add(rep *r, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
static void rep_add(rep *r, const char *fmt, ...) {
    if (!r->buf || r->used + 1 >= r->len) return;
    va_list ap;
    va_start(ap, fmt);
    int n = vsnprintf(r->buf + r->used, r->len - r->used, fmt, ap);
    va_end(ap);
    if (n < 0) return;
    r->used += (size_t)n < r->len - r->used ? (size_t)n : r->len - r->used - 1;
}

/* --- precisions ---------------------------------------------------------------------------- */

enum { P_NONE = 0, P_AUTO, P_TYPE };

typedef struct prec {
    int kind;
    l0_fx_type t;
    char str[96];         /* as written */
    char path[PATH_MAX_]; /* the field, e.g. "LayerName.phi0.Precision.weight" */
} prec;

typedef struct ctx {
    const char *file;
    const cJSON *model_sec, *lname, *ltype;
    char pfx[16]; /* "" or "HLSConfig." */
    prec model_default, model_max;
    l0_err *err;
    rep r;
} ctx;

static bool type_eq(const l0_fx_type *a, const l0_fx_type *b) {
    return a->w == b->w && a->i == b->i && a->is_signed == b->is_signed && a->q == b->q &&
           a->o == b->o;
}

static bool type_same_values(const l0_fx_type *a, const l0_fx_type *b) {
    return a->w == b->w && a->i == b->i && a->is_signed == b->is_signed;
}

static const char *tstr(const l0_fx_type *t, char *buf, size_t n) {
    l0_fx_type_str(t, buf, n);
    return buf;
}

/* The largest and smallest value of t, as (raw, fractional bits). */
static l0_wide tmax(const l0_fx_type *t) {
    return l0_fx_raw_max(t);
}
static l0_wide tmin(const l0_fx_type *t) {
    return l0_fx_raw_min(t);
}

static int bitlen(l0_uwide v) {
    int n = 0;
    for (; v; v >>= 1) n++;
    return n;
}

/* Compare a * 2^-fa with b * 2^-fb exactly (a and b raws of at most 65 bits, any F). */
static int cmp_scaled(l0_wide a, int fa, l0_wide b, int fb) {
    int sa = (a > 0) - (a < 0), sb = (b > 0) - (b < 0);
    if (sa != sb) return sa < sb ? -1 : 1;
    if (!sa) return 0;
    l0_uwide ma = sa > 0 ? (l0_uwide)a : (l0_uwide)-a, mb = sb > 0 ? (l0_uwide)b : (l0_uwide)-b;
    int ea = bitlen(ma) - fa, eb = bitlen(mb) - fb, r;
    if (ea != eb) {
        r = ea < eb ? -1 : 1;
    } else { /* the same magnitude: aligning makes both as long as the longer (<= 65 bits) */
        int d = fa - fb;
        if (d > 0)
            mb <<= d;
        else
            ma <<= -d;
        r = ma < mb ? -1 : ma > mb;
    }
    return sa > 0 ? r : -r;
}

/* Every value of s is a value of t (no rounding, no overflow). */
static bool holds(const l0_fx_type *t, const l0_fx_type *s) {
    if (l0_fx_frac(t) < l0_fx_frac(s)) return false;
    return cmp_scaled(tmax(t), l0_fx_frac(t), tmax(s), l0_fx_frac(s)) >= 0 &&
           cmp_scaled(tmin(t), l0_fx_frac(t), tmin(s), l0_fx_frac(s)) <= 0;
}

/* Every non-negative value of s is a value of t. */
static bool holds_nonneg(const l0_fx_type *t, const l0_fx_type *s) {
    return l0_fx_frac(t) >= l0_fx_frac(s) &&
           cmp_scaled(tmax(t), l0_fx_frac(t), tmax(s), l0_fx_frac(s)) >= 0;
}

/* Casting a value to x and then to y, against casting it to y directly: COMP_EXACT the same
 * for every value; COMP_OVF the same wherever the cast to x does not overflow (the rounding
 * composes, the overflow handling does not); COMP_NO otherwise. */
enum { COMP_NO = 0, COMP_EXACT, COMP_OVF };
static int composes(const l0_fx_type *x, const l0_fx_type *y) {
    int fx = l0_fx_frac(x), fy = l0_fx_frac(y);
    /* quantization: floor to a finer grid, then floor (or round half up) to a coarser one */
    bool q =
        x->q == L0_FX_TRN && ((y->q == L0_FX_TRN && fx >= fy) || (y->q == L0_FX_RND && fx > fy));
    if (!q) return COMP_NO;
    /* overflow: wrap modulo 2^Ix, then modulo 2^Iy (Iy <= Ix); or clamp into x's range, then
     * into y's, which lies within it */
    if (x->o == L0_FX_WRAP && y->o == L0_FX_WRAP && y->i <= x->i) return COMP_EXACT;
    if (x->o == L0_FX_SAT && y->o == L0_FX_SAT && cmp_scaled(tmax(x), fx, tmax(y), fy) >= 0 &&
        cmp_scaled(tmin(x), fx, tmin(y), fy) <= 0)
        return COMP_EXACT;
    return COMP_OVF;
}

static bool saturating(const l0_fx_type *t) {
    return t->o != L0_FX_WRAP;
}

/* Casting every value of s into t overflows nowhere (rounding is monotone: the extremes tell). */
static bool no_overflow(const l0_fx_type *s, const l0_fx_type *t) {
    int o1 = 0, o2 = 0;
    l0_fx_cast_wide(tmax(s), l0_fx_frac(s), t, &o1);
    l0_fx_cast_wide(tmin(s), l0_fx_frac(s), t, &o2);
    return !o1 && !o2;
}

/* A field path (truncated if it must be: paths are for messages). */
static void pathf(char *dst, size_t n, const char *fmt, ...) __attribute__((format(printf, 3, 4)));
static void pathf(char *dst, size_t n, const char *fmt, ...) {
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(dst, n, fmt, ap);
    va_end(ap);
}

static int cfg_error(ctx *c, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
static int cfg_error(ctx *c, const char *fmt, ...) {
    char msg[900];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(msg, sizeof msg, fmt, ap);
    va_end(ap);
    return l0_err_set(c->err, "%s: %s", c->file, msg);
}

static const char *json_kind(const cJSON *v) {
    return cJSON_IsNumber(v)   ? "a number"
           : cJSON_IsBool(v)   ? "a boolean"
           : cJSON_IsNull(v)   ? "null"
           : cJSON_IsArray(v)  ? "a list"
           : cJSON_IsObject(v) ? "a mapping"
                               : "not a string";
}

/* A precision value: 'auto' or a type string. */
static int parse_prec(ctx *c, const cJSON *v, const char *path, prec *out) {
    memset(out, 0, sizeof *out);
    snprintf(out->path, sizeof out->path, "%s", path);
    if (!cJSON_IsString(v))
        return cfg_error(c, "%s: %s, not a type: expected a string such as fixed<16,6> or 'auto'",
                         path, json_kind(v));
    snprintf(out->str, sizeof out->str, "%s", v->valuestring);
    if (!strcasecmp(v->valuestring, "auto")) {
        out->kind = P_AUTO;
        return 0;
    }
    l0_err sub;
    if (l0_fx_parse(v->valuestring, &out->t, &sub) != L0_FX_OK)
        return cfg_error(c, "%s: '%s': %s", path, v->valuestring, sub.msg);
    out->kind = P_TYPE;
    return 0;
}

/* Check a section's entries (LayerName or LayerType): mappings whose Precision is a string or a
 * mapping of strings; parse every precision l0sim could use. */
static const char *const VARS[] = {"weight", "bias", "result", "accum", "default"};

static int check_precision_node(ctx *c, const cJSON *p, const char *base) {
    char path[PATH_MAX_];
    prec tmp;
    if (cJSON_IsObject(p)) {
        for (const cJSON *e = p->child; e; e = e->next) {
            pathf(path, sizeof path, "%s.%s", base, e->string);
            bool used = false;
            for (size_t i = 0; i < sizeof VARS / sizeof *VARS; i++)
                used |= !strcmp(e->string, VARS[i]);
            if (used && parse_prec(c, e, path, &tmp)) return -1;
        }
        return 0;
    }
    return parse_prec(c, p, base, &tmp);
}

static int check_section(ctx *c, const cJSON *sec, const char *name) {
    if (!sec) return 0;
    if (!cJSON_IsObject(sec))
        return cfg_error(c, "%s%s: %s, not a mapping of layer %s", c->pfx, name, json_kind(sec),
                         !strcmp(name, "LayerName") ? "names" : "classes");
    for (const cJSON *e = sec->child; e; e = e->next) {
        char path[PATH_MAX_];
        pathf(path, sizeof path, "%s%s.%s", c->pfx, name, e->string);
        if (!cJSON_IsObject(e))
            return cfg_error(c, "%s: %s, not a mapping (with a Precision)", path, json_kind(e));
        const cJSON *p = cJSON_GetObjectItemCaseSensitive(e, "Precision");
        if (!p) continue;
        char pp[PATH_MAX_];
        pathf(pp, sizeof pp, "%s.Precision", path);
        if (check_precision_node(c, p, pp)) return -1;
    }
    return 0;
}

/* hls4ml's lookup in one section for the entries named `key` (any case): the last entry giving
 * `var`, and the last giving a default (a string Precision, or its 'default'). */
static int lookup(ctx *c, const cJSON *sec, const char *secname, const char *key, const char *var,
                  prec *v_out, prec *d_out) {
    for (const cJSON *e = sec ? sec->child : NULL; e && key; e = e->next) {
        if (strcasecmp(e->string, key)) continue;
        const cJSON *p = cJSON_GetObjectItemCaseSensitive(e, "Precision");
        if (!p) continue;
        char path[PATH_MAX_];
        if (cJSON_IsString(p)) {
            pathf(path, sizeof path, "%s%s.%s.Precision", c->pfx, secname, e->string);
            if (parse_prec(c, p, path, d_out)) return -1;
            continue;
        }
        for (const cJSON *x = p->child; x; x = x->next) {
            bool is_var = !strcmp(x->string, var), is_def = !strcmp(x->string, "default");
            if (!is_var && !is_def) continue;
            pathf(path, sizeof path, "%s%s.%s.Precision.%s", c->pfx, secname, e->string, x->string);
            if (parse_prec(c, x, path, is_var ? v_out : d_out)) return -1;
        }
    }
    return 0;
}

/* hls4ml's get_precision(layer, var). *out kind P_NONE when nothing applies. */
static int resolve(ctx *c, const char *name, const char *cls, const char *var, prec *out) {
    prec nv = {0}, nd = {0}, tv = {0}, td = {0};
    if (lookup(c, c->lname, "LayerName", name, var, &nv, &nd)) return -1;
    if (lookup(c, c->ltype, "LayerType", cls, var, &tv, &td)) return -1;
    const prec *order[] = {&nv, &nd, &tv, &td};
    for (size_t i = 0; i < 4; i++)
        if (order[i]->kind != P_NONE) {
            *out = *order[i];
            return 0;
        }
    memset(out, 0, sizeof *out);
    const cJSON *mp =
        c->model_sec ? cJSON_GetObjectItemCaseSensitive(c->model_sec, "Precision") : NULL;
    const cJSON *mv = cJSON_IsObject(mp) ? cJSON_GetObjectItemCaseSensitive(mp, var) : NULL;
    if (mv) {
        char path[PATH_MAX_];
        pathf(path, sizeof path, "%sModel.Precision.%s", c->pfx, var);
        return parse_prec(c, mv, path, out);
    }
    *out = c->model_default;
    return 0;
}

/* What hls4ml makes of 'auto' for anything but a Dense's accum and result: the model default. */
static void auto_to_default(ctx *c, prec *p) {
    if (p->kind != P_AUTO) return;
    if (c->model_default.kind == P_TYPE) {
        p->kind = P_TYPE;
        p->t = c->model_default.t;
        snprintf(p->str + strlen(p->str), sizeof p->str - strlen(p->str), " (%s)",
                 c->model_default.str);
    } else {
        p->kind = P_NONE;
    }
}

/* hls4ml's inferred type for a Dense (infer_precision.py, _infer_common_precision): exact for
 * the products of input x and weights, their sum over n_in and the bias; limited by
 * Model.Precision.maximum. */
static int infer(ctx *c, const l0_fx_type *x, const l0_layer *L, const char *path,
                 l0_fx_type *out) {
    int w, i;
    bool sg;
    l0_model_accum_rule(x, &L->t_w, &L->t_b, L->n_in, &w, &i, &sg);
    if (c->model_max.kind == P_TYPE) {
        if (w > c->model_max.t.w) w = c->model_max.t.w;
        if (i > c->model_max.t.i) i = c->model_max.t.i;
    }
    l0_err sub;
    if (w > L0_FX_W_MAX)
        return cfg_error(c,
                         "%s: 'auto' is fixed<%d,%d> here (hls4ml's rule), wider than the %d "
                         "bits l0sim computes with: give a type, or a Model.Precision.maximum",
                         path, w, i, L0_FX_W_MAX);
    if (l0_fx_type_make(out, w, i, sg, L0_FX_TRN, L0_FX_WRAP, &sub) != L0_FX_OK)
        return cfg_error(c, "%s: 'auto' gives fixed<%d,%d>: %s", path, w, i, sub.msg);
    return 0;
}

/* --- the model's layers as hls4ml names them ------------------------------------------------- */

typedef struct names {
    char input[NAME_MAX_];
    char dense[2 * L0_MODEL_LAYERS_MAX][NAME_MAX_];
    char act[2 * L0_MODEL_LAYERS_MAX][NAME_MAX_];    /* the ReLU / quantized activation, or "" */
    char linear[2 * L0_MODEL_LAYERS_MAX][NAME_MAX_]; /* hls4ml's <dense>_linear, or "" */
    char ksum[NAME_MAX_];
    char in_q[NAME_MAX_], ksum_q[NAME_MAX_]; /* QKeras quantizers giving input_t, ksum_t, or "" */
} names;

static bool in_lname(const ctx *c, const char *n) {
    for (const cJSON *e = c->lname ? c->lname->child : NULL; e; e = e->next)
        if (!strcasecmp(e->string, n)) return true;
    return false;
}

/* The first candidate the LayerName section names, else the first. */
static void pick(const ctx *c, char *out, const char *a, const char *b) {
    snprintf(out, NAME_MAX_, "%s", b && !in_lname(c, a) && in_lname(c, b) ? b : a);
}

static void make_names(const ctx *c, const l0_model *m, const l0_import_info *info, names *nm) {
    memset(nm, 0, sizeof *nm);
    snprintf(nm->input, sizeof nm->input, "%s",
             info->input_layer[0] ? info->input_layer : "input1");
    snprintf(nm->ksum, sizeof nm->ksum, "%s", info->sum_layer);
    snprintf(nm->in_q, sizeof nm->in_q, "%s", info->input_q);
    snprintf(nm->ksum_q, sizeof nm->ksum_q, "%s", info->ksum_q);
    for (int k = 0; k < l0_model_n_layers(m); k++) {
        const l0_layer *L = l0_model_layer_c(m, k);
        const char *d = info->dense[k];
        char a[NAME_MAX_], b[NAME_MAX_];
        snprintf(nm->dense[k], NAME_MAX_, "%s", d);
        if (info->act[k][0]) {
            snprintf(nm->act[k], NAME_MAX_, "%s", info->act[k]);
        } else if (L->relu) {
            /* Dense(activation='relu'): '<dense>_relu'; a QDense's quantized_relu:
             * '<dense>_quantized_relu' */
            snprintf(a, sizeof a, "%.140s_relu", d);
            snprintf(b, sizeof b, "%.140s_quantized_relu", d);
            pick(c, nm->act[k], a, info->quantized[k] ? b : NULL);
            continue;
        }
        snprintf(a, sizeof a, "%.140s_linear", d);
        snprintf(b, sizeof b, "%.140s_quantized_bits", d);
        pick(c, nm->linear[k], a, info->quantized[k] && !info->act[k][0] ? b : NULL);
    }
}

/* Whether the model has a Keras layer `n` (any case, not the input); *cls gets its class. */
static bool model_layer(const l0_import_info *info, const char *n, char *cls, size_t cls_len) {
    for (int i = 0; i < info->n_layers; i++)
        if (!strcasecmp(info->layer_name[i], n) && strcmp(info->layer_class[i], "InputLayer")) {
            snprintf(cls, cls_len, "%s", info->layer_class[i]);
            return true;
        }
    return false;
}

/* --- a chain of casts ------------------------------------------------------------------------ */

typedef struct cast {
    l0_fx_type t;
    const prec *src;
    const char *layer; /* hls4ml's layer that casts */
} cast;

typedef struct chain_out {
    l0_fx_type t;        /* l0sim's type: one cast */
    l0_fx_type declared; /* the type hls4ml's last layer declares (the next layer's input) */
    const prec *src;     /* where t came from */
    bool wrap_note;      /* the ReLU's cast and l0sim's differ where it overflows */
    const cast *ovf;     /* hls4ml's casts differ from one where this one overflows, or NULL */
} chain_out;

/* hls4ml casts a value (of type a; a NULL: any number, as the network's input) to cs[0], ...,
 * cs[n-1], then (u not NULL) takes max(x, 0) and casts to u; l0sim casts once, then takes the
 * ReLU in that type. Find the one cast that gives the same values, or refuse. `what` names the
 * value in messages ("phi0's accumulator"). */
static int eval_chain(ctx *c, const char *what, const char *lname, const l0_fx_type *a,
                      const cast *cs, int n, const cast *u, chain_out *o) {
    char b1[96], b2[96];
    const cast *lossy = NULL;          /* the one cast that changes values, so far */
    l0_fx_type cur = a ? *a : cs[0].t; /* the type the values are held in */
    memset(o, 0, sizeof *o);
    for (int i = 0; i < n; i++) {
        const l0_fx_type *vals = lossy ? &lossy->t : a;
        if (vals && holds(&cs[i].t, vals)) {
            cur = cs[i].t;
            continue;
        }
        if (lossy) {
            int k = type_eq(&lossy->t, &cs[i].t) ? COMP_EXACT : composes(&lossy->t, &cs[i].t);
            if (k == COMP_NO)
                return cfg_error(c,
                                 "%s: %s for %s after %s (%s, %s): hls4ml rounds %s twice and no "
                                 "single cast gives the same values; l0sim casts once: give %s "
                                 "the type of %s",
                                 cs[i].src->path, cs[i].src->str, cs[i].layer, lossy->layer,
                                 tstr(&lossy->t, b1, sizeof b1), lossy->src->path, what,
                                 lossy->layer, cs[i].layer);
            if (k == COMP_OVF && !o->ovf) o->ovf = lossy;
        }
        lossy = &cs[i];
        cur = cs[i].t;
    }
    if (!u) {
        o->declared = cur;
        o->t = lossy ? lossy->t : cur;
        o->src = lossy ? lossy->src : n ? cs[n - 1].src : NULL;
        return 0;
    }
    o->declared = u->t;
    if (!lossy) {
        /* the values are the accumulator's: U(max(acc, 0)) against max(U(acc), 0) */
        o->t = u->t;
        o->src = u->src;
        if (saturating(&u->t) || no_overflow(a, &u->t)) return 0;
        if (!u->t.is_signed)
            return cfg_error(
                c,
                "%s: %s for %s after %s's accumulator %s: hls4ml applies the ReLU before this "
                "cast, l0sim after it (it casts a Dense and its ReLU once), and an unsigned type "
                "that wraps (AP_WRAP) turns the negative values the ReLU makes 0 into others: "
                "give %s the result type of %s, or a saturating type (AP_SAT)",
                u->src->path, u->src->str, u->layer, lname, tstr(a, b1, sizeof b1), u->layer,
                lname);
        o->wrap_note = true;
        return 0;
    }
    /* U(max(L(acc), 0)) against max(L(acc), 0): the same when U holds every non-negative L */
    if (type_same_values(&u->t, &lossy->t) || holds_nonneg(&u->t, &lossy->t)) {
        o->t = lossy->t;
        o->src = lossy->src;
        return 0;
    }
    return cfg_error(c,
                     "%s: %s for %s differs from %s's result %s (%s): l0sim casts a Dense and its "
                     "ReLU once; give %s the same type as %s's result (or leave that 'auto')",
                     u->src->path, u->src->str, u->layer, lname, tstr(&lossy->t, b2, sizeof b2),
                     lossy->src->path, u->layer, lname);
}

/* --- applying -------------------------------------------------------------------------------- */

static const char *src_text(const prec *p, char *buf, size_t n) {
    if (!p || p->kind == P_NONE || !buf) return "not in the configuration: kept";
    snprintf(buf, n, "%s = %s", p->path, p->str);
    return buf;
}

static void rep_tensor(ctx *c, const char *what, const l0_fx_type *t, const char *extra,
                       const char *from) {
    char b[96];
    rep_add(&c->r, "    %-13s %-30s %s%s\n", what, tstr(t, b, sizeof b), from, extra ? extra : "");
}

/* Set one weight/bias/input/ksum tensor from a resolved precision ('auto': the model default). */
static void set_simple(ctx *c, const char *what, prec *p, l0_fx_type *dst) {
    char b[PATH_MAX_ + 128];
    auto_to_default(c, p);
    if (p->kind == P_TYPE) *dst = p->t;
    rep_tensor(c, what, dst, NULL, src_text(p, b, sizeof b));
}

/* The report line of a tensor set from a chain of casts, and its notes. */
static void report_chain(ctx *c, const char *what, const chain_out *o, const char *last,
                         const char *extra, const char *layer) {
    char b1[96], b2[96], from[PATH_MAX_ + 128], ext[1400];
    size_t el = (size_t)snprintf(ext, sizeof ext, "%s", extra ? extra : "");
#define EXTRA(...)                                                                                 \
    do {                                                                                           \
        if (el < sizeof ext) el += (size_t)snprintf(ext + el, sizeof ext - el, __VA_ARGS__);       \
    } while (0)
    if (!type_same_values(&o->t, &o->declared))
        EXTRA(" (hls4ml's %s declares %s, which holds every value of this)", last,
              tstr(&o->declared, b1, sizeof b1));
    if (o->ovf)
        EXTRA("\n      note: hls4ml casts to %s (%s) first; the same values as this one cast "
              "except where that\n      overflows",
              tstr(&o->ovf->t, b2, sizeof b2), o->ovf->src->path);
    if (o->wrap_note)
        EXTRA("\n      note: hls4ml applies the ReLU before this AP_WRAP cast, l0sim after it: "
              "they differ only\n      where the cast overflows (counted in %s's result "
              "overflows)",
              layer);
#undef EXTRA
    rep_tensor(c, what, &o->t, ext, src_text(o->src, from, sizeof from));
}

/* input_t or ksum_t: hls4ml casts the value (of type a; NULL: any number) to the result of
 * `layer` (class cls), then, when the import found a QKeras quantizer there (quantized), to the
 * result of the QActivation `qlayer` (the quantizer's type, *dst, if the configuration does not
 * say). */
static int apply_value(ctx *c, const char *what, const char *value, const char *layer,
                       const char *cls, const l0_fx_type *a, bool quantized, const char *qlayer,
                       l0_fx_type *dst, l0_fx_type *declared) {
    prec px, py;
    cast cs[2];
    int n = 0;
    if (resolve(c, layer, cls, "result", &px)) return -1;
    auto_to_default(c, &px);
    if (px.kind == P_TYPE) cs[n++] = (cast){px.t, &px, layer};
    if (quantized) {
        memset(&py, 0, sizeof py);
        if (qlayer[0] && resolve(c, qlayer, "Activation", "result", &py)) return -1;
        auto_to_default(c, &py);
        if (py.kind != P_TYPE) {
            py.kind = P_TYPE;
            py.t = *dst;
            tstr(dst, py.str, sizeof py.str);
            pathf(py.path, sizeof py.path, "the QKeras quantizer%s%s", qlayer[0] ? " of " : "",
                  qlayer);
        }
        cs[n++] = (cast){py.t, &py, qlayer[0] ? qlayer : "the QKeras quantizer"};
    }
    *declared = *dst;
    if (!n) {
        rep_tensor(c, what, dst, NULL, src_text(NULL, NULL, 0));
        return 0;
    }
    chain_out o;
    if (eval_chain(c, value, layer, a, cs, n, NULL, &o)) return -1;
    *dst = o.t;
    *declared = o.declared;
    report_chain(c, what, &o, cs[n - 1].layer, NULL, layer);
    return 0;
}

static int apply_layer(ctx *c, l0_model *m, const l0_import_info *info, const names *nm, int k,
                       const l0_fx_type *x_decl, l0_fx_type *declared_out) {
    l0_layer *L = l0_model_layer(m, k);
    const char *dn = nm->dense[k];
    const char *cls = k < m->n_phi ? "PointwiseConv1D" : "Dense";
    char what[NAME_MAX_ + 16], b1[96], b2[PATH_MAX_ + 128], extra[128];
    prec pw, pb, pa, pr, pl = {0}, pu = {0};

    /* weight and bias */
    if (resolve(c, dn, cls, "weight", &pw) || resolve(c, dn, cls, "bias", &pb)) return -1;
    snprintf(what, sizeof what, "%s weight", dn);
    if (info->quantized[k]) {
        rep_tensor(c, what, &L->t_w, NULL, "the QKeras quantizer's (kept, as hls4ml does)");
        snprintf(what, sizeof what, "%s bias", dn);
        rep_tensor(c, what, &L->t_b, NULL, "the QKeras quantizer's (kept, as hls4ml does)");
    } else {
        set_simple(c, what, &pw, &L->t_w);
        snprintf(what, sizeof what, "%s bias", dn);
        set_simple(c, what, &pb, &L->t_b);
    }

    /* the accumulator */
    if (resolve(c, dn, cls, "accum", &pa)) return -1;
    l0_fx_type a = L->t_acc;
    snprintf(what, sizeof what, "%s accum", dn);
    if (pa.kind == P_AUTO) {
        if (infer(c, x_decl, L, pa.path, &a)) return -1;
        int w, i;
        bool sg;
        l0_model_auto_accum_size(m, k, &w, &i, &sg);
        L->acc_auto = w == a.w && i == a.i && sg == a.is_signed;
        L->t_acc = a;
        snprintf(extra, sizeof extra, "%s",
                 L->acc_auto ? " (hls4ml's rule: l0sim's 'auto')"
                             : " (hls4ml's 'auto' here, from its input type: a type in l0sim)");
        rep_tensor(c, what, &a, extra, src_text(&pa, b2, sizeof b2));
    } else if (pa.kind == P_TYPE) {
        if (pa.t.o != L0_FX_WRAP)
            return cfg_error(c,
                             "%s: %s for %s: a saturating accumulator (%s); l0sim refuses it, its "
                             "result would depend on the order of additions: use AP_WRAP or "
                             "'auto'",
                             pa.path, pa.str, dn, l0_fx_ovf_name(pa.t.o));
        a = pa.t;
        L->t_acc = a;
        L->acc_auto = false;
        rep_tensor(c, what, &a, NULL, src_text(&pa, b2, sizeof b2));
    } else {
        if (L->acc_auto) {
            int w, i;
            bool sg;
            l0_model_auto_accum_size(m, k, &w, &i, &sg);
            l0_err sub;
            if (w <= L0_FX_W_MAX && !l0_fx_type_make(&a, w, i, sg, L0_FX_TRN, L0_FX_WRAP, &sub))
                L->t_acc = a;
        }
        rep_tensor(c, what, &a, L->acc_auto ? " (auto)" : NULL, src_text(&pa, b2, sizeof b2));
    }

    /* the result: hls4ml's chain of casts after the accumulator */
    cast cs[2], u;
    int n = 0;
    if (resolve(c, dn, cls, "result", &pr)) return -1;
    bool r_auto = pr.kind == P_AUTO;
    if (r_auto) {
        if (infer(c, x_decl, L, pr.path, &pr.t)) return -1;
        pr.kind = P_TYPE;
        snprintf(pr.str + strlen(pr.str), sizeof pr.str - strlen(pr.str), " (%s)",
                 tstr(&pr.t, b1, sizeof b1));
    }
    if (pr.kind == P_NONE) { /* no Model default: l0sim's result type stands for it */
        pr.kind = P_TYPE;
        pr.t = L->t_res;
        snprintf(pr.str, sizeof pr.str, "%s", tstr(&L->t_res, b1, sizeof b1));
        snprintf(pr.path, sizeof pr.path, "(not in the configuration: l0sim's %s)", dn);
    }
    cs[n++] = (cast){pr.t, &pr, dn};
    if (nm->linear[k][0] && !r_auto) {
        /* hls4ml removes a linear activation whose type is the Dense's result's, and merges it
         * into a Dense whose result is 'auto'; else it stays: one more cast */
        if (resolve(c, nm->linear[k], "Activation", "result", &pl)) return -1;
        auto_to_default(c, &pl);
        if (pl.kind == P_TYPE && !type_eq(&pl.t, &pr.t)) cs[n++] = (cast){pl.t, &pl, nm->linear[k]};
    }
    bool has_u = false;
    if (nm->act[k][0]) {
        if (resolve(c, nm->act[k], "Activation", "result", &pu)) return -1;
        auto_to_default(c, &pu);
        if (pu.kind == P_TYPE) {
            u = (cast){pu.t, &pu, nm->act[k]};
            if (L->relu) {
                has_u = true;
            } else {
                cs[n++] = u; /* a quantized activation without a ReLU: one more cast */
            }
        }
    }
    snprintf(what, sizeof what, "%s result", dn);
    chain_out o;
    char whatv[NAME_MAX_ + 32];
    snprintf(whatv, sizeof whatv, "%s's accumulator", dn);
    if (eval_chain(c, whatv, dn, &a, cs, n, has_u ? &u : NULL, &o)) return -1;
    L->t_res = o.t;
    *declared_out = o.declared;
    char note[600] = "";
    const char *by = o.src == &pu ? nm->act[k] : o.src == &pl ? nm->linear[k] : NULL;
    if (by && !type_same_values(&pr.t, &o.t)) {
        if (holds(&pr.t, &a))
            snprintf(note, sizeof note, " (%s's; %s's own result %s holds the accumulator)", by, dn,
                     tstr(&pr.t, b1, sizeof b1));
        else
            snprintf(note, sizeof note,
                     " (%s's; casting to %s's own result %s first gives the same values)", by, dn,
                     tstr(&pr.t, b1, sizeof b1));
    }
    report_chain(c, what, &o, has_u ? nm->act[k] : cs[n - 1].layer, note, dn);
    return 0;
}

/* Entries of LayerName that name no layer of the model; LayerType entries that reach nothing. */
static int check_names(ctx *c, const l0_model *m, const l0_import_info *info, const names *nm) {
    char unknown[600] = "", known[1200] = "";
    size_t ul = 0, kl = 0;
    int n_unknown = 0;
#define ADDK(s)                                                                                    \
    do {                                                                                           \
        if ((s)[0] && kl < sizeof known)                                                           \
            kl += (size_t)snprintf(known + kl, sizeof known - kl, "%s%s", kl ? ", " : "", s);      \
    } while (0)
    ADDK(nm->input);
    ADDK(nm->in_q);
    for (int k = 0; k < l0_model_n_layers(m); k++) {
        ADDK(nm->dense[k]);
        ADDK(nm->linear[k]);
        ADDK(nm->act[k]);
        if (k == m->n_phi - 1) {
            ADDK(nm->ksum);
            ADDK(nm->ksum_q);
        }
    }
#undef ADDK
    for (const cJSON *e = c->lname ? c->lname->child : NULL; e; e = e->next) {
        const char *n = e->string;
        bool mapped = !strcasecmp(n, nm->input) || !strcasecmp(n, nm->ksum) ||
                      (nm->in_q[0] && !strcasecmp(n, nm->in_q)) ||
                      (nm->ksum_q[0] && !strcasecmp(n, nm->ksum_q));
        for (int k = 0; k < l0_model_n_layers(m) && !mapped; k++)
            mapped = !strcasecmp(n, nm->dense[k]) ||
                     (nm->act[k][0] && !strcasecmp(n, nm->act[k])) ||
                     (nm->linear[k][0] && !strcasecmp(n, nm->linear[k]));
        if (mapped) continue;
        char cls[128];
        if (model_layer(info, n, cls, sizeof cls)) {
            rep_add(&c->r,
                    "    %sLayerName.%s: layer '%s' (%s) has no tensor of its own in l0sim: "
                    "nothing to set\n",
                    c->pfx, n, n, cls);
            continue;
        }
        n_unknown++;
        if (ul < sizeof unknown)
            ul += (size_t)snprintf(unknown + ul, sizeof unknown - ul, "%s'%s'", ul ? ", " : "", n);
    }
    if (n_unknown)
        return cfg_error(c,
                         "%sLayerName: no layer%s %s in the model (a configuration for another "
                         "model?); its layers, as hls4ml names them: %s",
                         c->pfx, n_unknown > 1 ? "s" : "", unknown, known);
    for (const cJSON *e = c->ltype ? c->ltype->child : NULL; e; e = e->next) {
        const char *t = e->string;
        if (!strcasecmp(t, "Input") || !strcasecmp(t, "Activation") || !strcasecmp(t, "KSum"))
            continue;
        if (!strcasecmp(t, "Dense") || !strcasecmp(t, "PointwiseConv1D")) {
            bool phi = !strcasecmp(t, "PointwiseConv1D");
            rep_add(&c->r, "    %sLayerType.%s: the %s layers%s\n", c->pfx, t, phi ? "phi" : "rho",
                    phi ? " (hls4ml makes a Dense on the cells a PointwiseConv1D)"
                        : " (not phi: hls4ml makes a Dense on the cells a PointwiseConv1D)");
            continue;
        }
        const cJSON *p = cJSON_GetObjectItemCaseSensitive(e, "Precision");
        bool explicit_ = cJSON_IsString(p) && strcasecmp(p->valuestring, "auto");
        for (const cJSON *x = cJSON_IsObject(p) ? p->child : NULL; x; x = x->next)
            explicit_ |= cJSON_IsString(x) && strcasecmp(x->valuestring, "auto");
        if (!explicit_) continue;
        if (!strcasecmp(t, "InputLayer"))
            rep_add(&c->r,
                    "    %sLayerType.InputLayer: not used (hls4ml's class for the input is "
                    "Input, and hls4ml ignores this entry too)\n",
                    c->pfx);
        else if (!strcasecmp(t, "Conv1D"))
            rep_add(&c->r,
                    "    %sLayerType.Conv1D: not used (hls4ml's Vivado and Vitis backends "
                    "make the phi layers PointwiseConv1D)\n",
                    c->pfx);
        else
            rep_add(&c->r, "    %sLayerType.%s: no layer of that class in the model: not used\n",
                    c->pfx, t);
    }
    return 0;
}

int l0_hls4ml_apply(l0_model *m, const l0_import_info *info, const char *path, char *report,
                    size_t report_len, l0_err *err) {
    if (report && report_len) report[0] = 0;
    size_t len = 0;
    char *text = l0_read_file(path, CFG_MAX_BYTES, &len, err);
    if (!text) return -1;
    const char *fmt = "JSON";
    cJSON *root = parse_config(path, text, len, &fmt, err);
    free(text);
    if (!root) return -1;
    ctx c = {.file = path, .err = err, .r = {report, report_len, 0}};
    int rc = -1;
    const cJSON *hls = root;
    if (!cJSON_IsObject(root)) {
        cfg_error(&c,
                  "not an hls4ml configuration: %s at the top, not a mapping with Model, "
                  "LayerType or LayerName",
                  cJSON_IsString(root) ? "a plain text" : json_kind(root));
        goto out;
    }
    const cJSON *h = cJSON_GetObjectItemCaseSensitive(root, "HLSConfig");
    if (h) {
        if (!cJSON_IsObject(h)) {
            cfg_error(&c, "HLSConfig: %s, not a mapping", json_kind(h));
            goto out;
        }
        hls = h;
        snprintf(c.pfx, sizeof c.pfx, "HLSConfig.");
    }
    c.model_sec = cJSON_GetObjectItemCaseSensitive(hls, "Model");
    c.lname = cJSON_GetObjectItemCaseSensitive(hls, "LayerName");
    c.ltype = cJSON_GetObjectItemCaseSensitive(hls, "LayerType");
    if (!c.model_sec && !c.lname && !c.ltype) {
        char keys[300] = "";
        size_t kl = 0;
        for (const cJSON *e = hls->child; e && kl < sizeof keys; e = e->next)
            kl += (size_t)snprintf(keys + kl, sizeof keys - kl, "%s%s", kl ? ", " : "", e->string);
        cfg_error(&c, "not an hls4ml configuration: no Model, LayerType or LayerName section%s%s%s",
                  keys[0] ? " (it has " : "", keys, keys[0] ? ")" : "");
        goto out;
    }
    if (c.model_sec && !cJSON_IsObject(c.model_sec)) {
        cfg_error(&c, "%sModel: %s, not a mapping", c.pfx, json_kind(c.model_sec));
        goto out;
    }
    if (check_section(&c, c.lname, "LayerName") || check_section(&c, c.ltype, "LayerType"))
        goto out;
    const cJSON *mp =
        c.model_sec ? cJSON_GetObjectItemCaseSensitive(c.model_sec, "Precision") : NULL;
    if (mp) {
        char pp[64];
        pathf(pp, sizeof pp, "%sModel.Precision", c.pfx);
        if (cJSON_IsObject(mp)) {
            if (check_precision_node(&c, mp, pp)) goto out;
            const cJSON *d = cJSON_GetObjectItemCaseSensitive(mp, "default");
            const cJSON *mx = cJSON_GetObjectItemCaseSensitive(mp, "maximum");
            pathf(pp, sizeof pp, "%sModel.Precision.default", c.pfx);
            if (d && parse_prec(&c, d, pp, &c.model_default)) goto out;
            pathf(pp, sizeof pp, "%sModel.Precision.maximum", c.pfx);
            if (mx && parse_prec(&c, mx, pp, &c.model_max)) goto out;
        } else if (parse_prec(&c, mp, pp, &c.model_default)) {
            goto out;
        }
        if (c.model_default.kind == P_AUTO) {
            cfg_error(&c, "%s: 'auto' is not a default: hls4ml needs a type here",
                      c.model_default.path);
            goto out;
        }
        if (c.model_max.kind == P_AUTO) {
            cfg_error(&c, "%s: 'auto': give a type (the widest 'auto' may make)", c.model_max.path);
            goto out;
        }
    }

    names nm;
    make_names(&c, m, info, &nm);
    rep_add(&c.r,
            "  precision from the hls4ml configuration %s (%s; hls4ml 1.0's rules: "
            "LayerName, then LayerType, then Model):\n",
            path, fmt);
    if (c.model_default.kind == P_TYPE)
        rep_add(&c.r, "    default %s (%s)\n", c.model_default.str, c.model_default.path);
    else
        rep_add(&c.r, "    no Model.Precision default: tensors the configuration does not reach "
                      "keep l0sim's types\n");

    /* input_t: the input layer's cast, and a QKeras quantizer's after it */
    l0_fx_type decl;
    if (apply_value(&c, "input_t", "the input", nm.input, "Input", NULL, info->input_quantized,
                    nm.in_q, &m->t_in, &decl))
        goto out;
    for (int k = 0; k < l0_model_n_layers(m); k++) {
        if (k == m->n_phi) {
            /* ksum_t: KSum sums exactly (the type of phi's output with ceil(log2 cells) more
             * bits) and casts once; then a QKeras quantizer's cast, if any */
            int g = 0;
            while ((1 << g) < m->cells_max) g++;
            l0_fx_type sum;
            l0_err sub;
            bool exact = !l0_fx_type_make(&sum, decl.w + g, decl.i + g, decl.is_signed, L0_FX_TRN,
                                          L0_FX_WRAP, &sub);
            if (apply_value(&c, "ksum_t", "the sum over the cells", nm.ksum, "KSum",
                            exact ? &sum : NULL, info->ksum_quantized, nm.ksum_q, &m->t_ksum,
                            &decl))
                goto out;
        }
        l0_fx_type next;
        if (apply_layer(&c, m, info, &nm, k, &decl, &next)) goto out;
        decl = next;
    }
    if (check_names(&c, m, info, &nm)) goto out;
    /* the auto accumulators again (they must come out as computed), and l0sim's checks */
    l0_err sub;
    if (l0_model_update_auto_accum(m, &sub)) {
        l0_err_set(err, "%s: %s", path, sub.msg);
        goto out;
    }
    rc = 0;
out:
    cJSON_Delete(root);
    return rc;
}
