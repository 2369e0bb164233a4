/* l0_import: Keras 3 .keras archives to l0sim models (see l0_import.h, docs/import.md). */
#include "l0_import.h"

#include <cjson/cJSON.h>
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
    char path[512];
} vars_group;

typedef struct weights {
    hid_t file;
    vars_group *g;
    int n, cap;
    const char *origin; /* "FILE.keras: model.weights.h5" for errors */
} weights;

static int read_str_attr(hid_t obj, const char *attr, char *out, size_t n) {
    if (H5Aexists(obj, attr) <= 0) return -1;
    hid_t a = H5Aopen(obj, attr, H5P_DEFAULT);
    if (a < 0) return -1;
    hid_t t = H5Aget_type(a);
    int rc = -1;
    if (t >= 0 && H5Tget_class(t) == H5T_STRING) {
        hid_t mt = H5Tcopy(H5T_C_S1);
        if (H5Tis_variable_str(t) > 0) {
            char *s = NULL;
            H5Tset_size(mt, H5T_VARIABLE);
            H5Tset_cset(mt, H5Tget_cset(t));
            if (H5Aread(a, mt, &s) >= 0 && s) {
                snprintf(out, n, "%s", s);
                H5free_memory(s);
                rc = 0;
            }
        } else {
            size_t sz = H5Tget_size(t);
            char *s = calloc(sz + 1, 1);
            H5Tset_size(mt, sz + 1);
            if (s && H5Aread(a, mt, s) >= 0) {
                snprintf(out, n, "%s", s);
                rc = 0;
            }
            free(s);
        }
        H5Tclose(mt);
    }
    if (t >= 0) H5Tclose(t);
    H5Aclose(a);
    return rc;
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
        if (w->n == w->cap) {
            int cap = w->cap ? 2 * w->cap : 32;
            vars_group *ng = realloc(w->g, sizeof *ng * (size_t)cap);
            if (!ng) {
                H5Gclose(g);
                return -1;
            }
            w->g = ng;
            w->cap = cap;
        }
        snprintf(w->g[w->n].layer, sizeof w->g[w->n].layer, "%s", layer);
        snprintf(w->g[w->n].path, sizeof w->g[w->n].path, "%s", name);
        w->n++;
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

static void weights_close(weights *w) {
    if (w->file >= 0) H5Fclose(w->file);
    free(w->g);
    memset(w, 0, sizeof *w);
    w->file = -1;
}

/* Read dataset `path/idx` as doubles of the expected shape (d1 0: rank 1). */
static int read_var(weights *w, const char *layer, const char *gpath, int idx, int d0, int d1,
                    double *out, l0_err *err) {
    char p[600];
    snprintf(p, sizeof p, "%s/%d", gpath, idx);
    const char *what = idx == 0 ? "kernel" : "bias";
    if (H5Lexists(w->file, p, H5P_DEFAULT) <= 0)
        return l0_err_set(err, "%s: layer '%s': no %s (%s)", w->origin, layer, what, p);
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
    char name[128];
    int units;
    bool use_bias, relu;
} dense_spec;

typedef struct walker {
    const char *path;
    const l0_import_opts *o;
    dense_spec phi[L0_MODEL_LAYERS_MAX], rho[L0_MODEL_LAYERS_MAX];
    int n_phi, n_rho;
    bool summed;   /* the sum over the cells has been seen */
    bool last_sum; /* the previous mapped layer was the sum */
    int width;     /* the current tensor's last axis */
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

/* Map one Keras layer (its class and config). */
static int walk_layer(walker *W, const cJSON *layer, l0_err *err) {
    const char *cls = jstr(layer, "class_name");
    const char *reg = jstr(layer, "registered_name");
    const cJSON *cfg = cJSON_GetObjectItemCaseSensitive(layer, "config");
    const char *name = cfg ? jstr(cfg, "name") : NULL;
    if (!cls || !cJSON_IsObject(cfg) || !name)
        return l0_err_set(err, "%s: config.json: a layer without class_name, config or name",
                          W->path);
    char act[64];

    if (!strcmp(cls, "InputLayer")) return 0; /* handled with the input shape */
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

    const cJSON *dcfg = cfg;
    const char *dname = name;
    bool td = false;
    if (!strcmp(cls, "TimeDistributed")) {
        const cJSON *inner = cJSON_GetObjectItemCaseSensitive(cfg, "layer");
        const char *icls = inner ? jstr(inner, "class_name") : NULL;
        const cJSON *icfg = inner ? cJSON_GetObjectItemCaseSensitive(inner, "config") : NULL;
        if (!icls || strcmp(icls, "Dense") || !cJSON_IsObject(icfg) || !jstr(icfg, "name"))
            return layer_error(err, W, name, cls, "wraps %s; only TimeDistributed(Dense) is mapped",
                               icls ? icls : "an unreadable layer");
        if (W->summed)
            return layer_error(err, W, name, cls, "a per-cell layer after the sum over the cells");
        dcfg = icfg;
        dname = jstr(icfg, "name");
        td = true;
    }
    if (td || !strcmp(cls, "Dense")) {
        const cJSON *u = cJSON_GetObjectItemCaseSensitive(dcfg, "units");
        if (!cJSON_IsNumber(u) || u->valueint < 1 || u->valueint > L0_MODEL_UNITS_MAX)
            return layer_error(err, W, name, cls, "units must be 1..%d", L0_MODEL_UNITS_MAX);
        int kind = activation_kind(dcfg, act, sizeof act);
        if (kind < 0)
            return layer_error(err, W, name, cls,
                               "activation '%s': l0sim maps only relu and linear", act);
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
        d->units = u->valueint;
        d->use_bias = !cJSON_IsFalse(ub);
        d->relu = kind == 1;
        logf_(W, "  %-20s %-16s %s[%d]: Dense %d -> %d, %s%s", name, cls, W->summed ? "rho" : "phi",
              W->summed ? W->n_rho - 1 : W->n_phi - 1, W->width, d->units, act,
              d->use_bias ? "" : ", no bias");
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
            return l0_err_set(err, "%s: config.json: a layer without a name", W->path);
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
        const cJSON *args = cJSON_GetObjectItemCaseSensitive(node, "args");
        const cJSON *t = cJSON_GetArrayItem(args, 0);
        const cJSON *tc = t ? cJSON_GetObjectItemCaseSensitive(t, "config") : NULL;
        const cJSON *hist = tc ? cJSON_GetObjectItemCaseSensitive(tc, "keras_history") : NULL;
        const cJSON *from = cJSON_GetArrayItem(hist, 0);
        if (cJSON_GetArraySize(args) != 1 || !cJSON_IsString(from))
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
        return l0_err_set(err, "%s: config.json: no input shape (no InputLayer, no build shape)",
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
    const vars_group *g = find_vars(w, d->name, err);
    if (!g) return -1;
    double *k = malloc(sizeof *k * (size_t)L->n_in * (size_t)L->n_out);
    if (!k) return l0_err_set(err, "out of memory");
    if (read_var(w, d->name, g->path, 0, L->n_in, L->n_out, k, err)) {
        free(k);
        return -1;
    }
    /* Keras's kernel is (n_in, n_out); l0sim's weights are n_out rows of n_in. */
    for (int i = 0; i < L->n_in; i++)
        for (int j = 0; j < L->n_out; j++)
            L->w[(size_t)j * L->n_in + i] = k[(size_t)i * L->n_out + j];
    free(k);
    if (d->use_bias) {
        if (read_var(w, d->name, g->path, 1, L->n_out, 0, L->b, err)) return -1;
    } else {
        for (int j = 0; j < L->n_out; j++) L->b[j] = 0;
    }
    L->relu = d->relu;
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
    H5Eset_auto2(H5E_DEFAULT, NULL, NULL); /* errors are reported here, not printed by HDF5 */

    zip_t *z = zip_open(path, ZIP_RDONLY, &zerr);
    if (!z) {
        zip_error_t ze;
        zip_error_init_with_code(&ze, zerr);
        l0_err_set(err, "%s: cannot open as a .keras archive: %s", path, zip_error_strerror(&ze));
        zip_error_fini(&ze);
        return -1;
    }
    size_t cfg_len, meta_len = 0, h5_len;
    if (!(cfg_text = zip_member(z, path, "config.json", &cfg_len, err))) goto out;
    meta_text = zip_member(z, path, "metadata.json", &meta_len, err); /* optional */
    if (!(h5 = zip_member(z, path, "model.weights.h5", &h5_len, err))) goto out;

    if (meta_text && (meta = cJSON_Parse(meta_text)) && jstr(meta, "keras_version"))
        snprintf(info->keras_version, sizeof info->keras_version, "%s",
                 jstr(meta, "keras_version"));
    if (!(cfg = cJSON_Parse(cfg_text))) {
        l0_err_set(err, "%s: config.json is not valid JSON", path);
        goto out;
    }
    const char *mcls = jstr(cfg, "class_name");
    const cJSON *mcfg = cJSON_GetObjectItemCaseSensitive(cfg, "config");
    const cJSON *layers = mcfg ? cJSON_GetObjectItemCaseSensitive(mcfg, "layers") : NULL;
    if (!mcls || !cJSON_IsArray(layers)) {
        l0_err_set(err, "%s: config.json: not a Keras model with a list of layers", path);
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
        if (walk_layer(&W, l, err)) goto out;
        const cJSON *c = cJSON_GetObjectItemCaseSensitive(l, "config");
        if (W.last_sum) snprintf(info->sum_layer, sizeof info->sum_layer, "%s", jstr(c, "name"));
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
    char origin[600];
    snprintf(origin, sizeof origin, "%s: model.weights.h5", path);
    if (weights_open(&w, h5, h5_len, origin, err)) goto out;
    for (int k = 0; k < W.n_phi + W.n_rho; k++) {
        const dense_spec *d = k < W.n_phi ? &W.phi[k] : &W.rho[k - W.n_phi];
        if (fill_layer(&w, d, l0_model_layer(m, k), err)) goto out;
    }
    if (l0_model_update_auto_accum(m, err)) goto out;
    m->cells_max = o->cells_max ? o->cells_max : cells > 0 ? cells : 64;
    m->target_scale = o->target_scale > 0 ? o->target_scale : 100.0;
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
    zip_discard(z);
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
