/* l0_import: Keras 3 .keras archives to l0sim models (see l0_import.h, docs/import.md). */
#include "l0_import.h"

#include <cjson/cJSON.h>
#include <errno.h>
#include <hdf5.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <zip.h>

#define ARCHIVE_MAX (256u << 20) /* refuse members larger than this */

/* --- the archive ------------------------------------------------------------------------------ */

/* Read member `name` of the zip into a malloc'd buffer (NUL-terminated). */
static char *zip_member(zip_t *z, const char *path, const char *name, size_t *len, l0_err *err) {
    zip_stat_t st;
    zip_stat_init(&st);
    if (zip_stat(z, name, 0, &st) || !(st.valid & ZIP_STAT_SIZE)) {
        l0_err_set(err, "%s: no %s in the archive (not a Keras 3 .keras file?)", path, name);
        return NULL;
    }
    if (st.size > ARCHIVE_MAX) {
        l0_err_set(err, "%s: %s is too large (%llu bytes)", path, name,
                   (unsigned long long)st.size);
        return NULL;
    }
    char *buf = malloc((size_t)st.size + 1);
    zip_file_t *f = zip_fopen(z, name, 0);
    if (!buf || !f) {
        free(buf);
        if (f) zip_fclose(f);
        l0_err_set(err, "%s: cannot read %s: %s", path, name, zip_strerror(z));
        return NULL;
    }
    zip_int64_t got = zip_fread(f, buf, st.size);
    zip_fclose(f);
    if (got < 0 || (zip_uint64_t)got != st.size) {
        free(buf);
        l0_err_set(err, "%s: cannot read %s (truncated or corrupt archive)", path, name);
        return NULL;
    }
    buf[st.size] = 0;
    *len = (size_t)st.size;
    return buf;
}

/* --- the weights file ------------------------------------------------------------------------- */

/* Keras 3 stores a layer's variables in a group ".../vars" (datasets "0", "1", ...) whose
 * attribute "name" is the layer's name; the group's own path follows Python attribute names,
 * not layer names, so the importer finds layers by that attribute. */
typedef struct vars_group {
    char layer[128];
    char path[512];   /* the group, for errors */
    char kernel[600]; /* the datasets, "" if absent */
    char bias[600];
} vars_group;

typedef struct weights {
    hid_t file;
    vars_group *g;
    int n, cap;
    const char *origin; /* "FILE.keras: model.weights.h5" for errors */
} weights;

/* String attribute `attr` of obj: a scalar (fixed or variable length) as a malloc'd string, or
 * NULL. With `n` not NULL, a 1-D array of strings is accepted too: *n elements, each a malloc'd
 * string in the returned malloc'd array (cast it to char **). */
static void *str_attr(hid_t obj, const char *attr, int *n) {
    if (H5Aexists(obj, attr) <= 0) return NULL;
    hid_t a = H5Aopen(obj, attr, H5P_DEFAULT);
    if (a < 0) return NULL;
    hid_t t = H5Aget_type(a), sp = H5Aget_space(a);
    void *res = NULL;
    hssize_t count = sp >= 0 ? H5Sget_simple_extent_npoints(sp) : -1;
    int rank = sp >= 0 ? H5Sget_simple_extent_ndims(sp) : -1;
    bool ok_shape = n ? (rank == 1 || rank == 0) : rank == 0;
    if (t >= 0 && H5Tget_class(t) == H5T_STRING && ok_shape && count >= 1 && count < 100000) {
        char **v = calloc((size_t)count, sizeof *v);
        hid_t mt = H5Tcopy(H5T_C_S1);
        bool good = v != NULL;
        if (good && H5Tis_variable_str(t) > 0) {
            char **raw = calloc((size_t)count, sizeof *raw);
            H5Tset_size(mt, H5T_VARIABLE);
            H5Tset_cset(mt, H5Tget_cset(t));
            good = raw && H5Aread(a, mt, raw) >= 0;
            for (hssize_t i = 0; good && i < count; i++)
                good = raw[i] && (v[i] = strdup(raw[i])) != NULL;
            if (raw && good) H5Dvlen_reclaim(mt, sp, H5P_DEFAULT, raw);
            free(raw);
        } else if (good) {
            size_t sz = H5Tget_size(t);
            char *buf = calloc((size_t)count, sz + 1);
            H5Tset_size(mt, sz + 1);
            good = buf && H5Aread(a, mt, buf) >= 0;
            for (hssize_t i = 0; good && i < count; i++)
                good = (v[i] = strndup(buf + (size_t)i * (sz + 1), sz)) != NULL;
            free(buf);
        }
        H5Tclose(mt);
        if (good && n) {
            *n = (int)count;
            res = v;
        } else {
            if (good) res = v[0];
            for (hssize_t i = good ? 1 : 0; v && i < count; i++) free(v[i]);
            free(v);
        }
    }
    if (sp >= 0) H5Sclose(sp);
    if (t >= 0) H5Tclose(t);
    H5Aclose(a);
    return res;
}

static int read_str_attr(hid_t obj, const char *attr, char *out, size_t n) {
    char *s = str_attr(obj, attr, NULL);
    if (!s) return -1;
    snprintf(out, n, "%s", s);
    free(s);
    return 0;
}

static vars_group *weights_add(weights *w) {
    if (w->n == w->cap) {
        int cap = w->cap ? 2 * w->cap : 32;
        vars_group *ng = realloc(w->g, sizeof *ng * (size_t)cap);
        if (!ng) return NULL;
        w->g = ng;
        w->cap = cap;
    }
    vars_group *v = &w->g[w->n++];
    memset(v, 0, sizeof *v);
    return v;
}

static herr_t visit_cb(hid_t root, const char *name, const H5L_info_t *li, void *data) {
    (void)li;
    weights *w = data;
    size_t len = strlen(name);
    if (!(len >= 4 && !strcmp(name + len - 4, "vars") && (len == 4 || name[len - 5] == '/')))
        return 0;
    H5O_info_t oi;
    if (H5Oget_info_by_name(root, name, &oi, H5P_DEFAULT) < 0 || oi.type != H5O_TYPE_GROUP)
        return 0;
    hid_t g = H5Gopen2(root, name, H5P_DEFAULT);
    if (g < 0) return 0;
    char layer[128];
    if (!read_str_attr(g, "name", layer, sizeof layer)) {
        vars_group *v = weights_add(w);
        if (!v) {
            H5Gclose(g);
            return -1;
        }
        snprintf(v->layer, sizeof v->layer, "%s", layer);
        snprintf(v->path, sizeof v->path, "%s", name);
        snprintf(v->kernel, sizeof v->kernel, "%s/0", name);
        snprintf(v->bias, sizeof v->bias, "%s/1", name);
    }
    H5Gclose(g);
    return 0;
}

static int weights_open(weights *w, void *image, size_t len, const char *origin, l0_err *err) {
    memset(w, 0, sizeof *w);
    w->file = -1;
    w->origin = origin;
    hid_t fapl = H5Pcreate(H5P_FILE_ACCESS);
    if (fapl < 0 || H5Pset_fapl_core(fapl, 1 << 16, 0) < 0 ||
        H5Pset_file_image(fapl, image, len) < 0) {
        if (fapl >= 0) H5Pclose(fapl);
        return l0_err_set(err, "%s: HDF5 could not be set up to read it", origin);
    }
    w->file = H5Fopen("model.weights.h5", H5F_ACC_RDONLY, fapl);
    H5Pclose(fapl);
    if (w->file < 0) return l0_err_set(err, "%s: not a readable HDF5 file", origin);
    if (H5Lvisit(w->file, H5_INDEX_NAME, H5_ITER_INC, visit_cb, w) < 0)
        return l0_err_set(err, "%s: cannot list its groups", origin);
    return 0;
}

/* A legacy Keras 2 / tf.keras HDF5 file: group model_weights/<layer> per layer, its attribute
 * weight_names listing its datasets ("<layer>/kernel:0", "<layer>/bias:0", ...), relative to the
 * layer's group. */
static herr_t legacy_cb(hid_t mw, const char *name, const H5L_info_t *li, void *data) {
    (void)li;
    weights *w = data;
    H5O_info_t oi;
    if (H5Oget_info_by_name(mw, name, &oi, H5P_DEFAULT) < 0 || oi.type != H5O_TYPE_GROUP) return 0;
    hid_t g = H5Gopen2(mw, name, H5P_DEFAULT);
    if (g < 0) return 0;
    int n = 0;
    char **names = str_attr(g, "weight_names", &n);
    H5Gclose(g);
    if (!names) return 0;
    vars_group *v = weights_add(w);
    int rc = v ? 0 : -1;
    if (v) {
        snprintf(v->layer, sizeof v->layer, "%s", name);
        snprintf(v->path, sizeof v->path, "model_weights/%s", name);
        for (int i = 0; i < n; i++) {
            const char *base = strrchr(names[i], '/');
            base = base ? base + 1 : names[i];
            char *dst = !strncmp(base, "kernel", 6) ? v->kernel
                        : !strncmp(base, "bias", 4) ? v->bias
                                                    : NULL;
            if (dst && !dst[0])
                snprintf(dst, sizeof v->kernel, "model_weights/%s/%s", name, names[i]);
        }
    }
    for (int i = 0; i < n; i++) free(names[i]);
    free(names);
    return rc;
}

static int weights_open_legacy(weights *w, hid_t file, const char *origin, l0_err *err) {
    memset(w, 0, sizeof *w);
    w->file = -1;
    w->origin = origin;
    if (H5Lexists(file, "model_weights", H5P_DEFAULT) <= 0)
        return l0_err_set(err, "%s: no group model_weights (saved without weights?)", origin);
    hid_t mw = H5Gopen2(file, "model_weights", H5P_DEFAULT);
    if (mw < 0) return l0_err_set(err, "%s: cannot open model_weights", origin);
    hsize_t idx = 0;
    herr_t rc = H5Literate(mw, H5_INDEX_NAME, H5_ITER_INC, &idx, legacy_cb, w);
    H5Gclose(mw);
    if (rc < 0) return l0_err_set(err, "%s: cannot list model_weights", origin);
    w->file = file;
    return 0;
}

static void weights_close(weights *w) {
    if (w->file >= 0) H5Fclose(w->file);
    free(w->g);
    memset(w, 0, sizeof *w);
    w->file = -1;
}

/* Read dataset p (a layer's kernel or bias) as doubles of the expected shape (d1 0: rank 1). */
static int read_var(weights *w, const char *layer, const char *p, const char *what, int d0, int d1,
                    double *out, l0_err *err) {
    if (!p[0] || H5Lexists(w->file, p, H5P_DEFAULT) <= 0)
        return l0_err_set(err, "%s: layer '%s': no %s%s%s", w->origin, layer, what, p[0] ? " " : "",
                          p);
    hid_t d = H5Dopen2(w->file, p, H5P_DEFAULT);
    if (d < 0) return l0_err_set(err, "%s: layer '%s': cannot open %s", w->origin, layer, p);
    hid_t s = H5Dget_space(d);
    hsize_t dims[4] = {0};
    int rank = H5Sget_simple_extent_ndims(s);
    if (rank >= 1 && rank <= 4) H5Sget_simple_extent_dims(s, dims, NULL);
    H5Sclose(s);
    int want_rank = d1 ? 2 : 1;
    if (rank != want_rank || dims[0] != (hsize_t)d0 || (d1 && dims[1] != (hsize_t)d1)) {
        H5Dclose(d);
        return l0_err_set(
            err, "%s: layer '%s': %s %s has rank %d shape (%llu, %llu), expected (%d%s%.0d)",
            w->origin, layer, what, p, rank, (unsigned long long)dims[0],
            (unsigned long long)dims[1], d0, d1 ? ", " : "", d1);
    }
    herr_t rc = H5Dread(d, H5T_NATIVE_DOUBLE, H5S_ALL, H5S_ALL, H5P_DEFAULT, out);
    H5Dclose(d);
    if (rc < 0)
        return l0_err_set(err, "%s: layer '%s': cannot read %s as numbers", w->origin, layer, p);
    return 0;
}

static const vars_group *find_vars(const weights *w, const char *layer, l0_err *err) {
    const vars_group *hit = NULL;
    for (int i = 0; i < w->n; i++)
        if (!strcmp(w->g[i].layer, layer)) {
            if (hit) {
                l0_err_set(err, "%s: two weight groups name layer '%s' (%s, %s)", w->origin, layer,
                           hit->path, w->g[i].path);
                return NULL;
            }
            hit = &w->g[i];
        }
    if (!hit) l0_err_set(err, "%s: no weights for layer '%s'", w->origin, layer);
    return hit;
}

/* --- the configuration ------------------------------------------------------------------------ */

typedef struct dense_spec {
    char name[128];  /* the Dense (inside a TimeDistributed: the inner one) */
    char outer[128]; /* the Keras layer (the TimeDistributed, or the Dense) */
    int units;
    bool use_bias, relu;
    /* QKeras: the kernel and bias quantizers, and the result type set by a quantized activation
     * (the layer's own, or a QActivation after it) */
    bool has_wq, has_bq, has_res;
    l0_fx_type wq, bq, res;
    char act_layer[128]; /* the separate layer giving the ReLU or the result type, or "" */
} dense_spec;

typedef struct walker {
    const char *path;
    const l0_import_opts *o;
    dense_spec phi[L0_MODEL_LAYERS_MAX], rho[L0_MODEL_LAYERS_MAX];
    int n_phi, n_rho;
    bool summed;           /* the sum over the cells has been seen */
    bool last_sum;         /* the previous mapped layer was the sum */
    int width;             /* the current tensor's last axis */
    bool qkeras;           /* a QKeras layer was seen */
    bool has_in, has_ksum; /* input_t / ksum_t set by a QActivation(quantized_bits) */
    l0_fx_type t_in, t_ksum;
    char in_layer[128];
    char in_q[128], ksum_q[128]; /* the QActivations that set t_in, t_ksum */
    char *log;
    size_t log_len, log_cap;
} walker;

static void logf_(walker *W, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
static void logf_(walker *W, const char *fmt, ...) {
    va_list ap;
    va_start(ap, fmt);
    char line[512];
    int n = vsnprintf(line, sizeof line, fmt, ap);
    va_end(ap);
    if (n < 0) return;
    if ((size_t)n >= sizeof line) n = sizeof line - 1;
    if (W->log_len + (size_t)n + 2 > W->log_cap) {
        size_t cap = W->log_cap ? 2 * W->log_cap : 1024;
        while (cap < W->log_len + (size_t)n + 2) cap *= 2;
        char *nl = realloc(W->log, cap);
        if (!nl) return;
        W->log = nl;
        W->log_cap = cap;
    }
    memcpy(W->log + W->log_len, line, (size_t)n);
    W->log_len += (size_t)n;
    W->log[W->log_len++] = '\n';
    W->log[W->log_len] = 0;
}

static const char *jstr(const cJSON *o, const char *key) {
    const cJSON *v = cJSON_GetObjectItemCaseSensitive(o, key);
    return cJSON_IsString(v) ? v->valuestring : NULL;
}

/* The activation of a Dense or Activation config: 0 linear, 1 relu, -1 anything else. */
static int activation_kind(const cJSON *cfg, char *name, size_t n) {
    const cJSON *a = cJSON_GetObjectItemCaseSensitive(cfg, "activation");
    const char *s = NULL;
    if (cJSON_IsNull(a) || !a)
        s = "linear";
    else if (cJSON_IsString(a))
        s = a->valuestring;
    else if (cJSON_IsObject(a))
        s = jstr(a, "class_name"), s = s ? s : "(object)";
    snprintf(name, n, "%s", s ? s : "?");
    if (!s) return -1;
    if (!strcmp(s, "linear")) return 0;
    if (!strcmp(s, "relu")) return 1;
    return -1;
}

static bool is_sum_class(const walker *W, const char *cls, const char *reg) {
    const char *names[L0_IMPORT_SUM_CLASSES_MAX + 1];
    int n = 0;
    names[n++] = "KSum";
    for (int i = 0; i < W->o->n_sum_classes; i++) names[n++] = W->o->sum_classes[i];
    for (int i = 0; i < n; i++) {
        if (cls && !strcmp(cls, names[i])) return true;
        if (reg) { /* "package>Class" */
            const char *gt = strrchr(reg, '>');
            if (!strcmp(gt ? gt + 1 : reg, names[i])) return true;
        }
    }
    return false;
}

static int layer_error(l0_err *err, const walker *W, const char *name, const char *cls,
                       const char *fmt, ...) __attribute__((format(printf, 5, 6)));
static int layer_error(l0_err *err, const walker *W, const char *name, const char *cls,
                       const char *fmt, ...) {
    char msg[700];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(msg, sizeof msg, fmt, ap);
    va_end(ap);
    return l0_err_set(err, "%s: layer '%s' (%s): %s", W->path, name, cls, msg);
}

/* --- QKeras quantizers --------------------------------------------------------------------------
 */

/* A QKeras quantizer as l0sim maps it. kind: 0 the identity ("linear"), 1 plain ReLU ("relu"),
 * 2 quantized_bits (a signed or unsigned type), 3 quantized_relu (ReLU and an unsigned type). */
typedef struct qspec {
    int kind;
    l0_fx_type t;
    char desc[96]; /* e.g. "quantized_relu(10,4) -> ap_ufixed<10,4,AP_RND_CONV,AP_SAT>" */
} qspec;

/* Parse a quantizer spelt as a string, "quantized_bits(8,0,0,alpha=1)", into a JSON object
 * {"class_name": ..., "config": {...}} with QKeras's positional parameter names. */
static cJSON *quantizer_from_string(const char *s) {
    static const char *const BITS[] = {"bits",          "integer", "symmetric",
                                       "keep_negative", "alpha",   "use_stochastic_rounding"};
    static const char *const RELU[] = {"bits",
                                       "integer",
                                       "use_sigmoid",
                                       "negative_slope",
                                       "use_stochastic_rounding",
                                       "relu_upper_bound"};
    const char *open = strchr(s, '(');
    size_t n = open ? (size_t)(open - s) : strlen(s);
    char cls[64];
    if (n == 0 || n >= sizeof cls) return NULL;
    memcpy(cls, s, n);
    cls[n] = 0;
    cJSON *o = cJSON_CreateObject(), *c = cJSON_CreateObject();
    cJSON_AddStringToObject(o, "class_name", cls);
    cJSON_AddItemToObject(o, "config", c);
    if (!open) return o;
    const char *const *names = !strcmp(cls, "quantized_relu") ? RELU : BITS;
    const char *p = open + 1;
    for (int k = 0; *p && *p != ')'; k++) {
        while (*p == ' ') p++;
        const char *end = p;
        while (*end && *end != ',' && *end != ')') end++;
        char tok[64];
        size_t len = (size_t)(end - p);
        if (len >= sizeof tok) break;
        memcpy(tok, p, len);
        tok[len] = 0;
        char *eq = strchr(tok, '=');
        const char *key = eq ? tok : (k < 6 ? names[k] : "?");
        char *val = eq ? eq + 1 : tok;
        if (eq) *eq = 0;
        while (*val == ' ') val++;
        char *num_end;
        double v = strtod(val, &num_end);
        if (num_end != val && *num_end == 0)
            cJSON_AddNumberToObject(c, key, v);
        else if (!strcmp(val, "True") || !strcmp(val, "False"))
            cJSON_AddBoolToObject(c, key, val[0] == 'T');
        else {
            size_t vl = strlen(val);
            if (vl >= 2 && (val[0] == '\'' || val[0] == '"')) val[vl - 1] = 0, val++;
            cJSON_AddStringToObject(c, key, val);
        }
        p = *end == ',' ? end + 1 : end;
    }
    return o;
}

static double qnum(const cJSON *c, const char *key, double dflt, bool *bad) {
    const cJSON *v = cJSON_GetObjectItemCaseSensitive(c, key);
    if (!v || cJSON_IsNull(v)) return dflt;
    if (cJSON_IsBool(v)) return cJSON_IsTrue(v);
    if (cJSON_IsNumber(v)) return v->valuedouble;
    *bad = true;
    return dflt;
}

/* Map a quantizer (an activation or a kernel/bias quantizer: a string or {class_name, config})
 * to q. Returns 0, or -1 with why (what cannot be mapped). QKeras's quantized_bits with alpha 1
 * (or None) rounds x * 2^F half to even (tf.round) and clips to the type's range: the value of
 * ap_fixed<bits, integer + 1, AP_RND_CONV, AP_SAT> (AP_SAT_SYM when symmetric; ap_ufixed<bits,
 * integer> without keep_negative); quantized_relu(bits, integer) rounds the same way and clips to
 * [0, 2^integer - 2^-F]: ap_ufixed<bits, integer, AP_RND_CONV, AP_SAT>. */
static int parse_quantizer(const cJSON *qj, qspec *q, char *why, size_t n) {
    memset(q, 0, sizeof *q);
    cJSON *owned = NULL;
    if (cJSON_IsString(qj)) {
        const char *s = qj->valuestring;
        if (!strcmp(s, "linear") || !s[0]) {
            snprintf(q->desc, sizeof q->desc, "linear");
            return 0;
        }
        if (!strcmp(s, "relu")) {
            q->kind = 1;
            snprintf(q->desc, sizeof q->desc, "relu");
            return 0;
        }
        qj = owned = quantizer_from_string(s);
        if (!owned) return snprintf(why, n, "quantizer '%s' not understood", s), -1;
    }
    const char *cls = cJSON_IsObject(qj) ? jstr(qj, "class_name") : NULL;
    const cJSON *c = cls ? cJSON_GetObjectItemCaseSensitive(qj, "config") : NULL;
    int rc = -1;
    bool bad = false;
    if (!cls) {
        snprintf(why, n, "a quantizer that is neither a name nor {class_name, config}");
    } else if (!strcmp(cls, "quantized_bits") || !strcmp(cls, "quantized_relu")) {
        bool relu = cls[10] == 'r';
        int bits = (int)qnum(c, "bits", 8, &bad), integer = (int)qnum(c, "integer", 0, &bad);
        double qnoise = qnum(c, "qnoise_factor", 1.0, &bad);
        const cJSON *alpha = cJSON_GetObjectItemCaseSensitive(c, "alpha");
        bool alpha_one = !alpha || cJSON_IsNull(alpha) ||
                         (cJSON_IsNumber(alpha) && alpha->valuedouble == 1.0) ||
                         (cJSON_IsString(alpha) && !strcmp(alpha->valuestring, "1"));
        bool keep_neg = relu ? false : qnum(c, "keep_negative", 1, &bad) != 0;
        bool sym = relu ? false : qnum(c, "symmetric", 0, &bad) != 0;
        double slope = relu ? qnum(c, "negative_slope", 0, &bad) : 0;
        double sigm = relu ? qnum(c, "use_sigmoid", 0, &bad) : 0;
        const cJSON *ub = relu ? cJSON_GetObjectItemCaseSensitive(c, "relu_upper_bound") : NULL;
        l0_err e;
        if (bad)
            snprintf(why, n, "%s: a parameter is not a number", cls);
        else if (!alpha_one)
            snprintf(why, n,
                     "%s with alpha %s: scaled quantizers (alpha 'auto', 'auto_po2') are not "
                     "mapped, only alpha=1",
                     cls, cJSON_IsString(alpha) ? alpha->valuestring : "(not 1)");
        else if (qnoise != 1.0)
            snprintf(why, n, "%s with qnoise_factor %g: only fully quantized (1.0) is mapped", cls,
                     qnoise);
        else if (slope != 0 || sigm != 0 || (ub && !cJSON_IsNull(ub)))
            snprintf(why, n,
                     "quantized_relu with negative_slope, use_sigmoid or relu_upper_bound "
                     "is not mapped");
        else if (bits - (keep_neg ? 1 : 0) < 1)
            snprintf(why, n, "%s(%d): a 1-bit (binary) quantizer is not mapped", cls, bits);
        else if (l0_fx_type_make(&q->t, bits, keep_neg ? integer + 1 : integer, keep_neg,
                                 L0_FX_RND_CONV, sym ? L0_FX_SAT_SYM : L0_FX_SAT, &e) != L0_FX_OK)
            snprintf(why, n, "%s(%d,%d): %.200s", cls, bits, integer, e.msg);
        else {
            q->kind = relu ? 3 : 2;
            char t[64];
            l0_fx_type_str(&q->t, t, sizeof t);
            snprintf(q->desc, sizeof q->desc, "%s(%d,%d%s) -> %s", cls, bits, integer,
                     sym                ? ",symmetric"
                     : keep_neg || relu ? ""
                                        : ",unsigned",
                     t);
            rc = 0;
        }
    } else {
        snprintf(why, n, "quantizer '%s': l0sim maps quantized_bits and quantized_relu", cls);
    }
    cJSON_Delete(owned);
    return rc;
}

/* The quantizer of a QDense's kernel or bias (key "kernel_quantizer"/"bias_quantizer"):
 * 0 none, 1 set (into t), -1 error. */
static int weight_quantizer(const walker *W, const cJSON *cfg, const char *key, const char *name,
                            const char *cls, l0_fx_type *t, l0_err *err);

static int weight_quantizer(const walker *W, const cJSON *cfg, const char *key, const char *name,
                            const char *cls, l0_fx_type *t, l0_err *err) {
    const cJSON *qj = cJSON_GetObjectItemCaseSensitive(cfg, key);
    if (!qj || cJSON_IsNull(qj)) return 0;
    qspec q;
    char why[256];
    if (parse_quantizer(qj, &q, why, sizeof why))
        return layer_error(err, W, name, cls, "%s: %s", key, why);
    if (q.kind != 2)
        return layer_error(err, W, name, cls, "%s: %s: a weight quantizer must be quantized_bits",
                           key, q.desc);
    *t = q.t;
    return 1;
}

/* Map one Keras layer (its class and config). */
static int walk_layer(walker *W, const cJSON *layer, l0_err *err) {
    const char *cls = jstr(layer, "class_name");
    const char *reg = jstr(layer, "registered_name");
    const cJSON *cfg = cJSON_GetObjectItemCaseSensitive(layer, "config");
    const char *name = cfg ? jstr(cfg, "name") : NULL;
    if (!cls || !cJSON_IsObject(cfg) || !name)
        return l0_err_set(err,
                          "%s: the model configuration: a layer without class_name, config or name",
                          W->path);
    char act[128];

    if (!strcmp(cls, "InputLayer")) { /* the shape is read by input_shape() */
        snprintf(W->in_layer, sizeof W->in_layer, "%s", name);
        return 0;
    }
    if (!strcmp(cls, "Dropout") || !strcmp(cls, "SpatialDropout1D") ||
        !strcmp(cls, "GaussianDropout") || !strcmp(cls, "GaussianNoise")) {
        logf_(W, "  %-20s %-16s the identity at inference", name, cls);
        return 0;
    }
    if (is_sum_class(W, cls, reg)) {
        if (W->summed) return layer_error(err, W, name, cls, "a second sum over the cells");
        if (!W->n_phi)
            return layer_error(err, W, name, cls,
                               "a sum over the cells before any per-cell Dense layer (l0sim's "
                               "phi network needs at least one)");
        const cJSON *ax = cJSON_GetObjectItemCaseSensitive(cfg, "axis");
        if (ax && !(cJSON_IsNumber(ax) && (ax->valueint == 1 || ax->valueint == -2)))
            return layer_error(err, W, name, cls, "sums over axis %s, not the cell axis (1)",
                               cJSON_IsNumber(ax) ? "other than 1" : "(not a number)");
        W->summed = true;
        W->last_sum = true;
        logf_(W, "  %-20s %-16s KSum: the sum over the cells (%d wide)", name, cls, W->width);
        return 0;
    }
    if (!strcmp(cls, "Flatten")) {
        if (!W->last_sum)
            return layer_error(err, W, name, cls,
                               "a Flatten is only mapped right after the sum over the cells");
        logf_(W, "  %-20s %-16s the identity after the sum", name, cls);
        return 0;
    }
    bool was_sum = W->last_sum;
    W->last_sum = false;

    if (!strcmp(cls, "QActivation")) {
        W->qkeras = true;
        qspec q;
        char why[256];
        if (parse_quantizer(cJSON_GetObjectItemCaseSensitive(cfg, "activation"), &q, why,
                            sizeof why))
            return layer_error(err, W, name, cls, "%s", why);
        if (q.kind == 0) {
            W->last_sum = was_sum;
            logf_(W, "  %-20s %-16s linear: the identity", name, cls);
            return 0;
        }
        if (!W->n_phi && !W->summed) {
            if (q.kind != 2)
                return layer_error(err, W, name, cls,
                                   "%s on the input: only quantized_bits (the input type) is "
                                   "mapped before the first Dense",
                                   q.desc);
            if (W->has_in) return layer_error(err, W, name, cls, "a second quantizer on the input");
            W->has_in = true;
            W->t_in = q.t;
            snprintf(W->in_q, sizeof W->in_q, "%s", name);
            logf_(W, "  %-20s %-16s input_t: %s", name, cls, q.desc);
            return 0;
        }
        if (was_sum) {
            if (q.kind != 2)
                return layer_error(err, W, name, cls,
                                   "%s on the sum over the cells: only quantized_bits (the KSum "
                                   "type) is mapped there",
                                   q.desc);
            if (W->has_ksum) return layer_error(err, W, name, cls, "a second quantizer on the sum");
            W->has_ksum = true;
            W->t_ksum = q.t;
            snprintf(W->ksum_q, sizeof W->ksum_q, "%s", name);
            W->last_sum = true;
            logf_(W, "  %-20s %-16s ksum_t: %s", name, cls, q.desc);
            return 0;
        }
        dense_spec *prev =
            W->summed ? (W->n_rho ? &W->rho[W->n_rho - 1] : NULL) : &W->phi[W->n_phi - 1];
        if (!prev) return layer_error(err, W, name, cls, "does not follow a Dense layer");
        if (prev->has_res && q.kind >= 2)
            return layer_error(err, W, name, cls,
                               "a second quantizer on the output of '%s' (l0sim casts a layer's "
                               "result once)",
                               prev->outer);
        if (q.kind == 1 || q.kind == 3) prev->relu = true;
        if (q.kind >= 2) {
            prev->has_res = true;
            prev->res = q.t;
        }
        snprintf(prev->act_layer, sizeof prev->act_layer, "%s", name);
        logf_(W, "  %-20s %-16s %s of '%s': %s", name, cls, q.kind == 2 ? "result_t" : "relu",
              prev->outer, q.desc);
        return 0;
    }

    const cJSON *dcfg = cfg;
    const char *dname = name;
    bool td = false, qdense = false;
    if (!strcmp(cls, "TimeDistributed")) {
        const cJSON *inner = cJSON_GetObjectItemCaseSensitive(cfg, "layer");
        const char *icls = inner ? jstr(inner, "class_name") : NULL;
        const cJSON *icfg = inner ? cJSON_GetObjectItemCaseSensitive(inner, "config") : NULL;
        if (!icls || (strcmp(icls, "Dense") && strcmp(icls, "QDense")) || !cJSON_IsObject(icfg) ||
            !jstr(icfg, "name"))
            return layer_error(err, W, name, cls, "wraps %s; only TimeDistributed(Dense) is mapped",
                               icls ? icls : "an unreadable layer");
        if (W->summed)
            return layer_error(err, W, name, cls, "a per-cell layer after the sum over the cells");
        dcfg = icfg;
        dname = jstr(icfg, "name");
        td = true;
        qdense = !strcmp(icls, "QDense");
    }
    if (!strcmp(cls, "QDense")) qdense = true;
    if (td || qdense || !strcmp(cls, "Dense")) {
        const cJSON *u = cJSON_GetObjectItemCaseSensitive(dcfg, "units");
        if (!cJSON_IsNumber(u) || u->valueint < 1 || u->valueint > L0_MODEL_UNITS_MAX)
            return layer_error(err, W, name, cls, "units must be 1..%d", L0_MODEL_UNITS_MAX);
        int kind;
        qspec qa = {0};
        if (qdense) {
            W->qkeras = true;
            char why[256];
            const cJSON *a = cJSON_GetObjectItemCaseSensitive(dcfg, "activation");
            if (!a || cJSON_IsNull(a)) {
                snprintf(qa.desc, sizeof qa.desc, "linear");
            } else if (parse_quantizer(a, &qa, why, sizeof why)) {
                return layer_error(err, W, name, cls, "activation: %s", why);
            }
            kind = qa.kind == 1 || qa.kind == 3;
            snprintf(act, sizeof act, "%s", qa.desc);
        } else {
            kind = activation_kind(dcfg, act, sizeof act);
            if (kind < 0)
                return layer_error(err, W, name, cls,
                                   "activation '%s': l0sim maps only relu and linear", act);
        }
        const cJSON *lora = cJSON_GetObjectItemCaseSensitive(dcfg, "lora_rank");
        if (lora && !cJSON_IsNull(lora))
            return layer_error(err, W, name, cls, "LoRA Dense layers are not mapped");
        const cJSON *q = cJSON_GetObjectItemCaseSensitive(dcfg, "quantization_config");
        if (q && !cJSON_IsNull(q))
            return layer_error(err, W, name, cls,
                               "Keras-quantized Dense layers are not mapped (yet)");
        const cJSON *ub = cJSON_GetObjectItemCaseSensitive(dcfg, "use_bias");
        dense_spec *d;
        if (W->summed) {
            if (W->n_rho == L0_MODEL_LAYERS_MAX)
                return layer_error(err, W, name, cls, "more than %d rho layers",
                                   L0_MODEL_LAYERS_MAX);
            d = &W->rho[W->n_rho++];
        } else {
            if (W->n_phi == L0_MODEL_LAYERS_MAX)
                return layer_error(err, W, name, cls, "more than %d phi layers",
                                   L0_MODEL_LAYERS_MAX);
            d = &W->phi[W->n_phi++];
        }
        snprintf(d->name, sizeof d->name, "%s", dname);
        snprintf(d->outer, sizeof d->outer, "%s", name);
        d->units = u->valueint;
        d->use_bias = !cJSON_IsFalse(ub);
        d->relu = kind == 1;
        memset(&d->wq, 0, sizeof d->wq);
        d->has_wq = d->has_bq = d->has_res = false;
        d->act_layer[0] = 0;
        if (qa.kind >= 2) {
            d->has_res = true;
            d->res = qa.t;
        }
        if (qdense) {
            int r = weight_quantizer(W, dcfg, "kernel_quantizer", name, cls, &d->wq, err);
            if (r < 0) return -1;
            d->has_wq = r;
            r = weight_quantizer(W, dcfg, "bias_quantizer", name, cls, &d->bq, err);
            if (r < 0) return -1;
            d->has_bq = r;
        }
        char wdesc[160] = "";
        if (d->has_wq || d->has_bq) {
            char a[64] = "-", b[64] = "-";
            if (d->has_wq) l0_fx_type_str(&d->wq, a, sizeof a);
            if (d->has_bq) l0_fx_type_str(&d->bq, b, sizeof b);
            snprintf(wdesc, sizeof wdesc, "; weight_t %s, bias_t %s", a, b);
        }
        logf_(W, "  %-20s %-16s %s[%d]: Dense %d -> %d, %s%s%s", name, cls,
              W->summed ? "rho" : "phi", W->summed ? W->n_rho - 1 : W->n_phi - 1, W->width,
              d->units, act, d->use_bias ? "" : ", no bias", wdesc);
        W->width = d->units;
        return 0;
    }

    bool relu_layer = false;
    if (!strcmp(cls, "Activation")) {
        int kind = activation_kind(cfg, act, sizeof act);
        if (kind < 0)
            return layer_error(err, W, name, cls,
                               "activation '%s': l0sim maps only relu and linear", act);
        if (kind == 0) {
            logf_(W, "  %-20s %-16s linear: the identity", name, cls);
            return 0;
        }
        relu_layer = true;
    } else if (!strcmp(cls, "ReLU")) {
        const cJSON *mv = cJSON_GetObjectItemCaseSensitive(cfg, "max_value");
        const cJSON *ns = cJSON_GetObjectItemCaseSensitive(cfg, "negative_slope");
        const cJSON *th = cJSON_GetObjectItemCaseSensitive(cfg, "threshold");
        if ((mv && !cJSON_IsNull(mv)) || (cJSON_IsNumber(ns) && ns->valuedouble != 0) ||
            (cJSON_IsNumber(th) && th->valuedouble != 0))
            return layer_error(err, W, name, cls,
                               "a ReLU with max_value, negative_slope or threshold is not mapped "
                               "(only max(x, 0))");
        relu_layer = true;
    }
    if (relu_layer) {
        dense_spec *prev = was_sum     ? NULL
                           : W->summed ? (W->n_rho ? &W->rho[W->n_rho - 1] : NULL)
                                       : (W->n_phi ? &W->phi[W->n_phi - 1] : NULL);
        if (!prev)
            return layer_error(err, W, name, cls,
                               "a ReLU that does not follow a Dense layer (l0sim applies ReLU "
                               "only as a Dense layer's activation)");
        prev->relu = true;
        if (!prev->act_layer[0]) snprintf(prev->act_layer, sizeof prev->act_layer, "%s", name);
        logf_(W, "  %-20s %-16s relu of '%s'", name, cls, prev->name);
        return 0;
    }

    const char *hint = "";
    if (!strcmp(cls, "GlobalAveragePooling1D"))
        hint = " (a mean over the cells, not a sum)";
    else if (!strcmp(cls, "BatchNormalization"))
        hint = " (fold it into the Dense layer before it: not done yet)";
    else if (!strcmp(cls, "Masking"))
        hint = " (l0sim sums the real cells only: see docs/import.md on padding)";
    else if (!strcmp(cls, "Lambda"))
        hint = " (a Lambda's code is not in the file; a sum over the cells must be a named layer "
               "class, e.g. KSum, or given with --sum-class)";
    else if (reg)
        hint = " (a custom layer: if it sums over the cells, name its class with --sum-class)";
    return layer_error(err, W, name, cls, "cannot be mapped to l0sim's DeepSets%s", hint);
}

/* The layers of a Functional model in order, checked to be one chain from the input. */
static int check_chain(walker *W, const cJSON *mcfg, const cJSON *layers, l0_err *err) {
    const char *prev = NULL;
    const cJSON *l;
    cJSON_ArrayForEach(l, layers) {
        const cJSON *cfg = cJSON_GetObjectItemCaseSensitive(l, "config");
        const char *name = cfg ? jstr(cfg, "name") : NULL;
        const char *cls = jstr(l, "class_name");
        const cJSON *nodes = cJSON_GetObjectItemCaseSensitive(l, "inbound_nodes");
        if (!name || !cls)
            return l0_err_set(err, "%s: the model configuration: a layer without a name", W->path);
        int nn = cJSON_GetArraySize(nodes);
        if (!prev) {
            if (strcmp(cls, "InputLayer"))
                return layer_error(err, W, name, cls,
                                   "a Functional model must start with its Input");
            prev = name;
            continue;
        }
        if (nn != 1)
            return layer_error(err, W, name, cls,
                               "called %d times: only a single chain of layers is mapped", nn);
        const cJSON *node = cJSON_GetArrayItem(nodes, 0);
        const cJSON *from;
        int n_args;
        if (cJSON_IsArray(node)) { /* Keras 2: [[["from", 0, 0, {}]]] */
            n_args = cJSON_GetArraySize(node);
            from = cJSON_GetArrayItem(cJSON_GetArrayItem(node, 0), 0);
        } else { /* Keras 3: [{"args": [{"config": {"keras_history": ["from", 0, 0]}}]}] */
            const cJSON *args = cJSON_GetObjectItemCaseSensitive(node, "args");
            const cJSON *t = cJSON_GetArrayItem(args, 0);
            const cJSON *tc = t ? cJSON_GetObjectItemCaseSensitive(t, "config") : NULL;
            const cJSON *hist = tc ? cJSON_GetObjectItemCaseSensitive(tc, "keras_history") : NULL;
            n_args = cJSON_GetArraySize(args);
            from = cJSON_GetArrayItem(hist, 0);
        }
        if (n_args != 1 || !cJSON_IsString(from))
            return layer_error(err, W, name, cls,
                               "takes several inputs: only a single chain of layers is mapped");
        if (strcmp(from->valuestring, prev))
            return layer_error(err, W, name, cls,
                               "takes '%s', not the layer before it ('%s'): only a single chain "
                               "of layers is mapped",
                               from->valuestring, prev);
        prev = name;
    }
    const cJSON *outs = cJSON_GetObjectItemCaseSensitive(mcfg, "output_layers");
    /* [name, 0, 0] or [[name, 0, 0]] */
    const cJSON *o0 = cJSON_GetArrayItem(outs, 0);
    if (cJSON_IsArray(o0)) {
        if (cJSON_GetArraySize(outs) != 1)
            return l0_err_set(err, "%s: the model has %d outputs; l0sim's DeepSets has one",
                              W->path, cJSON_GetArraySize(outs));
        o0 = cJSON_GetArrayItem(o0, 0);
    }
    if (cJSON_IsString(o0) && prev && strcmp(o0->valuestring, prev))
        return l0_err_set(err,
                          "%s: the model's output is layer '%s', not the last layer '%s': only a "
                          "single chain of layers is mapped",
                          W->path, o0->valuestring, prev);
    return 0;
}

/* The input shape: [null, cells|null, features]. */
static int input_shape(walker *W, const cJSON *model_cfg, const cJSON *layers, int *cells,
                       int *feat, l0_err *err) {
    const cJSON *shape = NULL;
    const cJSON *first = cJSON_GetArrayItem(layers, 0);
    if (first && jstr(first, "class_name") && !strcmp(jstr(first, "class_name"), "InputLayer")) {
        const cJSON *c = cJSON_GetObjectItemCaseSensitive(first, "config");
        shape = cJSON_GetObjectItemCaseSensitive(c, "batch_shape");
        if (!shape) shape = cJSON_GetObjectItemCaseSensitive(c, "batch_input_shape");
    }
    if (!shape) shape = cJSON_GetObjectItemCaseSensitive(model_cfg, "build_input_shape");
    if (!cJSON_IsArray(shape))
        return l0_err_set(
            err, "%s: the model configuration: no input shape (no InputLayer, no build shape)",
            W->path);
    int rank = cJSON_GetArraySize(shape);
    const cJSON *c = cJSON_GetArrayItem(shape, 1), *f = cJSON_GetArrayItem(shape, 2);
    if (rank != 3 || !cJSON_IsNumber(f) || !(cJSON_IsNull(c) || cJSON_IsNumber(c)))
        return l0_err_set(err,
                          "%s: the input is not (batch, cells, features): a DeepSets takes a set "
                          "of cells, each a vector of features (rank 3, got rank %d)",
                          W->path, rank);
    *cells = cJSON_IsNull(c) ? -1 : c->valueint;
    *feat = f->valueint;
    if (*feat < 1 || *feat > L0_MODEL_FEATURES_MAX)
        return l0_err_set(err, "%s: the input has %d features per cell; l0sim takes 1..%d", W->path,
                          *feat, L0_MODEL_FEATURES_MAX);
    if (*cells == 0 || *cells > 128)
        return l0_err_set(err, "%s: the input has %d cells; l0sim takes 1..128", W->path, *cells);
    return 0;
}

/* --- the import ---------------------------------------------------------------------------- */

void l0_import_info_free(l0_import_info *info) {
    if (!info) return;
    free(info->log);
    info->log = NULL;
}

static int fill_layer(weights *w, const dense_spec *d, l0_layer *L, l0_err *err) {
    /* Keras 3 names the group after the Dense, a legacy file after the outer layer. */
    const vars_group *g = NULL;
    for (int i = 0; i < w->n && strcmp(d->name, d->outer); i++)
        if (!strcmp(w->g[i].layer, d->outer) && w->g[i].kernel[0] &&
            H5Lexists(w->file, w->g[i].kernel, H5P_DEFAULT) > 0)
            g = &w->g[i];
    if (!g) g = find_vars(w, d->name, err);
    if (!g) return -1;
    double *k = malloc(sizeof *k * (size_t)L->n_in * (size_t)L->n_out);
    if (!k) return l0_err_set(err, "out of memory");
    if (read_var(w, d->name, g->kernel, "kernel", L->n_in, L->n_out, k, err)) {
        free(k);
        return -1;
    }
    /* Keras's kernel is (n_in, n_out); l0sim's weights are n_out rows of n_in. */
    for (int i = 0; i < L->n_in; i++)
        for (int j = 0; j < L->n_out; j++)
            L->w[(size_t)j * L->n_in + i] = k[(size_t)i * L->n_out + j];
    free(k);
    if (d->use_bias) {
        if (read_var(w, d->name, g->bias, "bias", L->n_out, 0, L->b, err)) return -1;
    } else {
        for (int j = 0; j < L->n_out; j++) L->b[j] = 0;
    }
    L->relu = d->relu;
    return 0;
}

/* Precisions from QKeras (only when the model has QKeras layers; a float model keeps l0sim's
 * defaults). Weights and biases with a quantizer are quantized as QKeras does (the values the
 * network computes with) and typed so; a quantized activation sets its layer's result type;
 * the others are what hls4ml builds for a QKeras model: a layer's result without a quantizer
 * is its (auto, exact) accumulator, and the sum over the cells, without a quantizer after it,
 * is exact: the phi output type with ceil(log2 cells_max) more integer bits. */
static int set_qkeras_precision(const walker *W, l0_model *m, l0_err *err) {
    if (!W->qkeras) return 0;
    if (W->has_in) m->t_in = W->t_in;
    for (int k = 0; k < l0_model_n_layers(m); k++) {
        const dense_spec *d = k < W->n_phi ? &W->phi[k] : &W->rho[k - W->n_phi];
        l0_layer *L = l0_model_layer(m, k);
        const l0_fx_type *tq[2] = {d->has_wq ? &d->wq : NULL, d->has_bq ? &d->bq : NULL};
        double *vals[2] = {L->w, L->b};
        size_t nv[2] = {(size_t)L->n_in * (size_t)L->n_out, (size_t)L->n_out};
        for (int v = 0; v < 2; v++) {
            if (!tq[v]) continue;
            for (size_t i = 0; i < nv[v]; i++) {
                int64_t raw;
                if (l0_fx_from_double(vals[v][i], tq[v], &raw, NULL))
                    return l0_err_set(err, "%s: layer '%s': a %s that is not a finite number",
                                      W->path, d->outer, v ? "bias" : "weight");
                vals[v][i] = l0_fx_to_double(tq[v], raw);
            }
            *(v ? &L->t_b : &L->t_w) = *tq[v];
        }
        L->acc_auto = true;
    }
    /* In order: each auto accumulator depends on the type of the layer's input. */
    for (int k = 0; k < l0_model_n_layers(m); k++) {
        const dense_spec *d = k < W->n_phi ? &W->phi[k] : &W->rho[k - W->n_phi];
        l0_layer *L = l0_model_layer(m, k);
        if (k == m->n_phi) {
            if (W->has_ksum) {
                m->t_ksum = W->t_ksum;
            } else {
                const l0_fx_type *p = &m->phi[m->n_phi - 1].t_res;
                int g = 0;
                while ((1 << g) < m->cells_max) g++;
                l0_err sub;
                if (l0_fx_type_make(&m->t_ksum, p->w + g, p->i + g, p->is_signed, L0_FX_TRN,
                                    L0_FX_WRAP, &sub) != L0_FX_OK)
                    return l0_err_set(err,
                                      "%s: the exact sum over %d cells of phi's output "
                                      "needs %d bits, more than 64: quantize phi's output",
                                      W->path, m->cells_max, p->w + g);
            }
        }
        if (l0_model_update_auto_accum(m, err)) return -1;
        if (d->has_res) {
            L->t_res = d->res;
        } else {
            L->t_res = L->t_acc; /* exact: hls4ml's 'auto' result of a QKeras Dense */
        }
    }
    return 0;
}

int l0_import_keras(const char *path, const l0_import_opts *o, l0_model *m, l0_import_info *info,
                    l0_err *err) {
    memset(m, 0, sizeof *m);
    l0_import_info dummy;
    if (!info) info = &dummy;
    memset(info, 0, sizeof *info);
    walker W = {.path = path, .o = o};
    int zerr = 0, rc = -1;
    char *cfg_text = NULL, *meta_text = NULL, *h5 = NULL;
    cJSON *cfg = NULL, *meta = NULL;
    weights w = {.file = -1};
    zip_t *z = NULL;
    size_t h5_len_ = 0;
    hid_t legacy = -1;
    const char *cfg_name = "config.json";
    char origin[600];
    H5Eset_auto2(H5E_DEFAULT, NULL, NULL); /* errors are reported here, not printed by HDF5 */

    /* A .keras archive is a zip ("PK"); a legacy .h5 an HDF5 file (its signature). */
    unsigned char magic[8] = {0};
    FILE *f = fopen(path, "rb");
    if (!f) return l0_err_set(err, "%s: cannot open: %s", path, strerror(errno));
    size_t got = fread(magic, 1, sizeof magic, f);
    fclose(f);
    static const unsigned char HDF5_SIG[8] = {0x89, 'H', 'D', 'F', '\r', '\n', 0x1a, '\n'};
    if (got == sizeof magic && !memcmp(magic, HDF5_SIG, sizeof magic)) {
        /* Legacy Keras 2 / tf.keras (model.save("x.h5")): the architecture in the root
         * attribute model_config (JSON), the weights under model_weights. */
        cfg_name = "model_config";
        legacy = H5Fopen(path, H5F_ACC_RDONLY, H5P_DEFAULT);
        if (legacy < 0) return l0_err_set(err, "%s: not a readable HDF5 file", path);
        if (!(cfg_text = str_attr(legacy, "model_config", NULL))) {
            l0_err_set(err,
                       "%s: no model_config attribute (an HDF5 file, but not a Keras model "
                       "saved with model.save: a weights-only file?)",
                       path);
            goto out;
        }
        char *kv = str_attr(legacy, "keras_version", NULL);
        if (kv) snprintf(info->keras_version, sizeof info->keras_version, "%s", kv);
        free(kv);
        snprintf(info->format, sizeof info->format, "legacy HDF5");
    } else {
        if (got < 2 || magic[0] != 'P' || magic[1] != 'K')
            return l0_err_set(err,
                              "%s: neither a Keras 3 .keras archive (zip) nor a legacy Keras "
                              ".h5 file (HDF5)",
                              path);
        z = zip_open(path, ZIP_RDONLY, &zerr);
        if (!z) {
            zip_error_t ze;
            zip_error_init_with_code(&ze, zerr);
            l0_err_set(err, "%s: cannot open as a .keras archive: %s", path,
                       zip_error_strerror(&ze));
            zip_error_fini(&ze);
            return -1;
        }
        size_t cfg_len, meta_len = 0;
        if (!(cfg_text = zip_member(z, path, "config.json", &cfg_len, err))) goto out;
        meta_text = zip_member(z, path, "metadata.json", &meta_len, err); /* optional */
        if (!(h5 = zip_member(z, path, "model.weights.h5", &h5_len_, err))) goto out;
        if (meta_text && (meta = cJSON_Parse(meta_text)) && jstr(meta, "keras_version"))
            snprintf(info->keras_version, sizeof info->keras_version, "%s",
                     jstr(meta, "keras_version"));
        snprintf(info->format, sizeof info->format, "Keras 3 archive");
    }
    if (!(cfg = cJSON_Parse(cfg_text))) {
        l0_err_set(err, "%s: %s is not valid JSON", path, cfg_name);
        goto out;
    }
    const char *mcls = jstr(cfg, "class_name");
    const cJSON *mcfg = cJSON_GetObjectItemCaseSensitive(cfg, "config");
    const cJSON *layers = mcfg ? cJSON_GetObjectItemCaseSensitive(mcfg, "layers") : NULL;
    if (!mcls || !cJSON_IsArray(layers)) {
        l0_err_set(err, "%s: %s: not a Keras model with a list of layers", path, cfg_name);
        goto out;
    }
    bool functional = !strcmp(mcls, "Functional") || !strcmp(mcls, "Model");
    if (!functional && strcmp(mcls, "Sequential")) {
        l0_err_set(err,
                   "%s: a model of class '%s': only Sequential and Functional models are "
                   "mapped",
                   path, mcls);
        goto out;
    }
    snprintf(info->model_class, sizeof info->model_class, "%s", functional ? "Functional" : mcls);
    if (functional && check_chain(&W, mcfg, layers, err)) goto out;
    int cells = 0, feat = 0;
    if (input_shape(&W, mcfg, layers, &cells, &feat, err)) goto out;
    info->cells = cells;
    info->n_feat = feat;
    W.width = feat;
    logf_(&W, "  %-20s %-16s (batch, %s%.0d, %d): cells x features", "input", "InputLayer",
          cells < 0 ? "None" : "", cells < 0 ? 0 : cells, feat);
    const cJSON *l;
    cJSON_ArrayForEach(l, layers) {
        bool had_sum = W.summed;
        if (walk_layer(&W, l, err)) goto out;
        const cJSON *c = cJSON_GetObjectItemCaseSensitive(l, "config");
        const char *lname = jstr(c, "name"), *lcls = jstr(l, "class_name");
        if (!had_sum && W.summed) snprintf(info->sum_layer, sizeof info->sum_layer, "%s", lname);
        if (info->n_layers == L0_IMPORT_LAYERS_MAX) {
            l0_err_set(err, "%s: more than %d layers", path, L0_IMPORT_LAYERS_MAX);
            goto out;
        }
        snprintf(info->layer_name[info->n_layers], sizeof info->layer_name[0], "%s", lname);
        snprintf(info->layer_class[info->n_layers], sizeof info->layer_class[0], "%s",
                 lcls ? lcls : "?");
        info->n_layers++;
    }
    if (!W.summed) {
        l0_err_set(err,
                   "%s: no layer sums over the cells (KSum, or a class given with "
                   "--sum-class): not a DeepSets as l0sim runs it",
                   path);
        goto out;
    }
    if (!W.n_rho) {
        l0_err_set(err,
                   "%s: no Dense layer after the sum '%s': l0sim needs a rho network ending "
                   "in Dense(1)",
                   path, info->sum_layer);
        goto out;
    }
    const dense_spec *last = &W.rho[W.n_rho - 1];
    if (last->units != 1 || last->relu) {
        l0_err_set(err,
                   "%s: layer '%s': the last layer must be a linear Dense(1) (one "
                   "regression output), got %d units%s",
                   path, last->name, last->units, last->relu ? " with relu" : "");
        goto out;
    }
    if (o->n_feat && o->n_feat != feat) {
        l0_err_set(err, "%s: the model takes %d features per cell, --features gives %d", path, feat,
                   o->n_feat);
        goto out;
    }
    if (!o->n_feat && feat != 4) {
        l0_err_set(err,
                   "%s: the model takes %d features per cell: say which with --features "
                   "(the default, energy:log,deta,dphi,layer, has 4)",
                   path, feat);
        goto out;
    }

    /* Build the model with l0sim's defaults, then put in the features and the weights. */
    int phi[L0_MODEL_LAYERS_MAX], rho[L0_MODEL_LAYERS_MAX];
    for (int k = 0; k < W.n_phi; k++) phi[k] = W.phi[k].units;
    for (int k = 0; k < W.n_rho; k++) rho[k] = W.rho[k].units;
    if (l0_model_init(m, phi, W.n_phi, rho, W.n_rho, 0, NULL, err)) goto out;
    if (o->n_feat) {
        memcpy(m->feat, o->feat, sizeof *o->feat * (size_t)o->n_feat);
        m->n_feat = o->n_feat;
    }
    if (m->phi[0].n_in != m->n_feat) {
        double *nw = calloc((size_t)m->n_feat * (size_t)m->phi[0].n_out, sizeof *nw);
        if (!nw) {
            l0_err_set(err, "out of memory");
            goto out;
        }
        free(m->phi[0].w);
        m->phi[0].w = nw;
        m->phi[0].n_in = m->n_feat;
    }
    if (legacy >= 0) {
        snprintf(origin, sizeof origin, "%s", path);
        if (weights_open_legacy(&w, legacy, origin, err)) goto out;
        legacy = -1; /* w owns it */
    } else {
        snprintf(origin, sizeof origin, "%s: model.weights.h5", path);
        if (weights_open(&w, h5, h5_len_, origin, err)) goto out;
    }
    for (int k = 0; k < W.n_phi + W.n_rho; k++) {
        const dense_spec *d = k < W.n_phi ? &W.phi[k] : &W.rho[k - W.n_phi];
        if (fill_layer(&w, d, l0_model_layer(m, k), err)) goto out;
    }
    m->cells_max = o->cells_max ? o->cells_max : cells > 0 ? cells : 64;
    m->target_scale = o->target_scale > 0 ? o->target_scale : 100.0;
    if (set_qkeras_precision(&W, m, err)) goto out;
    if (l0_model_update_auto_accum(m, err)) goto out;
    snprintf(info->input_layer, sizeof info->input_layer, "%s", W.in_layer);
    info->input_quantized = W.has_in;
    info->ksum_quantized = W.has_ksum;
    info->qkeras = W.qkeras;
    snprintf(info->input_q, sizeof info->input_q, "%s", W.in_q);
    snprintf(info->ksum_q, sizeof info->ksum_q, "%s", W.ksum_q);
    for (int k = 0; k < W.n_phi + W.n_rho; k++) {
        const dense_spec *d = k < W.n_phi ? &W.phi[k] : &W.rho[k - W.n_phi];
        snprintf(info->dense[k], sizeof info->dense[k], "%s", d->outer);
        snprintf(info->act[k], sizeof info->act[k], "%s", d->act_layer);
        info->quantized[k] = d->has_wq || d->has_bq || d->has_res;
    }
    if (o->pad_cells > 0) {
        if (o->pad_cells > m->cells_max) {
            l0_err_set(err,
                       "%s: --padding %d: more than the %d cells per cluster the model sees "
                       "(cells_max; --cells-max sets it)",
                       path, o->pad_cells, m->cells_max);
            goto out;
        }
        m->pad_cells = o->pad_cells;
        m->pad_value = o->pad_value;
    }
    const char *kname = o->name ? o->name : jstr(mcfg, "name");
    snprintf(m->name, sizeof m->name, "%s", kname ? kname : "keras");
    rc = 0;

out:
    if (rc && m->n_phi) l0_model_free(m);
    weights_close(&w);
    if (rc) {
        free(W.log);
    } else {
        info->log = W.log;
    }
    cJSON_Delete(cfg);
    cJSON_Delete(meta);
    free(cfg_text);
    free(meta_text);
    free(h5);
    if (z) zip_discard(z);
    if (legacy >= 0) H5Fclose(legacy);
    return rc;
}

void l0_import_phi_of_constant(const l0_model *m, double value, double *out) {
    double a[L0_MODEL_UNITS_MAX], b[L0_MODEL_UNITS_MAX];
    for (int f = 0; f < m->n_feat; f++) a[f] = value;
    double *x = a, *y = b;
    for (int l = 0; l < m->n_phi; l++) {
        const l0_layer *L = &m->phi[l];
        for (int j = 0; j < L->n_out; j++) {
            double s = L->b[j];
            for (int i = 0; i < L->n_in; i++) s += L->w[(size_t)j * L->n_in + i] * x[i];
            y[j] = L->relu && s < 0 ? 0 : s;
        }
        double *t = x;
        x = y;
        y = t;
    }
    memcpy(out, x, sizeof *x * (size_t)l0_model_ksum_width(m));
}
