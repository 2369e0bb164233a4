/* l0_model: the DeepSets model (architecture, weights, preprocessing, precisions), its JSON
 * file (docs/model-format.md), and the golden model: float and fixed-point inference.
 *
 * The network: for every real cell of a cluster, the phi network (Dense layers, ReLU) maps the
 * cell's features to a vector; KSum adds these vectors over the cells; the rho network (the
 * reference study's F network: Dense layers, ReLU, a linear last layer with one output) maps the
 * sum to the calibrated energy, in units of target.scale GeV.
 *
 * Padding (optional, pad_cells > 0; the reference study's way): a cluster with n < pad_cells used
 * cells also gets pad_cells - n padded rows whose every feature is pad_value, already
 * preprocessed (no transform: the value enters the network input as it is, cast to input_t in
 * fixed point), and their phi outputs are added into KSum like real cells (no masking). Without
 * padding (pad_cells 0), KSum sums the real cells only. The RTL pads the same way (it adds the
 * padded row's phi output once per missing row to the exact sum).
 *
 * Numeric contract (fixed point), exactly as the RTL does it:
 * - input: each feature is computed in double by the preprocessing, then cast to input_t;
 * - Dense: exact products x*w, each cast to accum_t; the accumulator starts at (accum_t)bias;
 *   the sum wraps in accum_t; the result is cast to result_t. Weights and biases are cast from
 *   the model's doubles to weight_t and bias_t first;
 * - ReLU: max(x, 0) in result_t;
 * - KSum: the exact sum of the phi outputs over the real cells (and the padded rows, if the model
 *   pads), then one cast to ksum_t;
 * - output: the last rho layer's result_t.
 * The float model is the same network in double with no casts. */
#ifndef L0_MODEL_H
#define L0_MODEL_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "l0_err.h"
#include "l0_fx.h"
#include "l0_stim.h"

#define L0_MODEL_FEATURES_MAX 8
#define L0_MODEL_LAYERS_MAX 16
#define L0_MODEL_UNITS_MAX 256

/* Cell features. */
typedef enum l0_feature_kind {
    L0_FEAT_ENERGY = 0, /* cell energy, GeV */
    L0_FEAT_DETA,       /* cell eta - cluster eta */
    L0_FEAT_DPHI,       /* cell phi - cluster phi, wrapped into (-pi, pi] */
    L0_FEAT_LAYER,      /* sampling layer index 0..6 (l0_stim.h) */
    L0_FEAT_KIND_COUNT
} l0_feature_kind;

typedef enum l0_transform {
    L0_TRANSFORM_LINEAR = 0, /* (x - offset) * scale */
    L0_TRANSFORM_LOG,        /* (log(max(x, min)) - offset) * scale */
    L0_TRANSFORM_COUNT
} l0_transform;

typedef struct l0_feature {
    l0_feature_kind kind;
    l0_transform transform;
    double offset, scale, min;
} l0_feature;

typedef struct l0_layer {
    int n_in, n_out;
    bool relu;
    double *w; /* n_out x n_in, row-major: w[j * n_in + i] */
    double *b; /* n_out */
    l0_fx_type t_w, t_b, t_acc, t_res;
    bool acc_auto; /* t_acc was derived with hls4ml's rule, not given */
} l0_layer;

typedef struct l0_model {
    char name[64];
    int n_feat;
    l0_feature feat[L0_MODEL_FEATURES_MAX];
    double target_scale; /* calibrated energy in GeV = network output * target_scale */
    int cells_max;       /* C: the most cells per cluster the model sees (the most energetic) */
    int pad_cells;       /* 0: no padding; else 1..cells_max: clusters are padded to this */
    double pad_value;    /* every feature of a padded row (already preprocessed) */
    l0_fx_type t_in, t_ksum;
    int n_phi, n_rho;
    l0_layer phi[L0_MODEL_LAYERS_MAX];
    l0_layer rho[L0_MODEL_LAYERS_MAX];
    char *training_json; /* the "training" object (recipe, metrics), verbatim, or NULL */
} l0_model;

/* The precision of every tensor kind, for building or re-typing a model. */
typedef struct l0_precision {
    l0_fx_type input, weight, bias, result, ksum;
    l0_fx_type accum;
    bool accum_auto;
} l0_precision;

/* --- building, loading, saving --------------------------------------------------------------- */

/* A new model with the default features and target, the given layer sizes (rho's last size must
 * be 1), weights drawn with He initialisation from seed, zero biases, and precision p (NULL: the
 * default ap_fixed<16,6,AP_RND,AP_SAT> activations and ap_fixed<16,6> weights, auto accum).
 * Returns 0 or -1 with err. On success free with l0_model_free. */
int l0_model_init(l0_model *m, const int *phi_sizes, int n_phi, const int *rho_sizes, int n_rho,
                  uint64_t seed, const l0_precision *p, l0_err *err);

/* Set every tensor's precision (recomputing auto accumulators). Returns 0 or -1 with err (for
 * example an auto accumulator wider than 64 bits). */
int l0_model_set_precision(l0_model *m, const l0_precision *p, l0_err *err);

/* Recompute the auto accumulator types from the current weight, bias and input types. */
int l0_model_update_auto_accum(l0_model *m, l0_err *err);

/* hls4ml 1.0's auto accumulator (docs/model-format.md) for a Dense of n_in inputs of type x,
 * weights wt and biases b: W, I and signedness (W may exceed 64). */
void l0_model_accum_rule(const l0_fx_type *x, const l0_fx_type *wt, const l0_fx_type *b, int n_in,
                         int *w, int *i, bool *is_signed);
/* The same for layer k with its current weight, bias and input types. */
void l0_model_auto_accum_size(const l0_model *m, int k, int *w, int *i, bool *is_signed);

/* The default precision (see l0_model_init). */
void l0_precision_default(l0_precision *p);

/* Load and check a model file; every error names the file and the field (a JSON path such as
 * "phi[1].precision.accum"). */
int l0_model_load(const char *path, l0_model *m, l0_err *err);
/* The same from JSON text; `origin` names it in errors. */
int l0_model_parse(const char *json, const char *origin, l0_model *m, l0_err *err);
/* Write the model as JSON, atomically. Doubles are written with 17 significant digits, so a
 * load gives back the same bits. */
int l0_model_save(const l0_model *m, const char *path, l0_err *err);
/* The JSON text (malloc'd; free it). */
char *l0_model_to_json(const l0_model *m);

int l0_model_copy(l0_model *dst, const l0_model *src, l0_err *err);
void l0_model_free(l0_model *m);

/* Total layers (phi then rho) and access by index. */
static inline int l0_model_n_layers(const l0_model *m) {
    return m->n_phi + m->n_rho;
}
static inline l0_layer *l0_model_layer(l0_model *m, int k) {
    return k < m->n_phi ? &m->phi[k] : &m->rho[k - m->n_phi];
}
static inline const l0_layer *l0_model_layer_c(const l0_model *m, int k) {
    return k < m->n_phi ? &m->phi[k] : &m->rho[k - m->n_phi];
}
/* The type of Dense layer k's input under the numeric contract: input_t for the first phi
 * layer, ksum_t for the first rho layer, the previous layer's result_t otherwise. */
static inline const l0_fx_type *l0_model_input_type(const l0_model *m, int k) {
    if (k == 0) return &m->t_in;
    if (k == m->n_phi) return &m->t_ksum;
    return &l0_model_layer_c(m, k - 1)->t_res;
}
/* Width of the phi output (the KSum vector). */
static inline int l0_model_ksum_width(const l0_model *m) {
    return m->phi[m->n_phi - 1].n_out;
}

/* --- preprocessing ------------------------------------------------------------------------ */

/* Cells the model uses: min(n_cells, cells_max), the most energetic first. */
int l0_model_cells_used(const l0_model *m, const l0_cluster *c);

/* Rows the network sums for cluster c: the used cells, or pad_cells if the model pads and the
 * cluster has fewer (rows from l0_model_cells_used on are padded rows). */
int l0_model_rows(const l0_model *m, const l0_cluster *c);

/* The double features of cell k of cluster c: out[n_feat]. */
void l0_model_features(const l0_model *m, const l0_cluster *c, int k, double *out);

/* Parse a feature list as `l0sim train --features` and `l0sim import --features` spell it:
 * KIND[:TRANSFORM[:SCALE[:OFFSET]]],... with KIND energy, deta, dphi or layer and TRANSFORM
 * linear or log. Omitted parts take the default for the kind (energy log, deta and dphi linear
 * x10, layer linear (x - 3) x 0.5); a linear energy defaults to scale 0.05, a log of anything
 * else to scale 1; a log's floor is 1e-3. out[L0_MODEL_FEATURES_MAX]. Returns 0 or -1 with err. */
int l0_model_parse_features(const char *s, l0_feature *out, int *n, l0_err *err);

/* --- float inference ------------------------------------------------------------------------ */

/* The float network's output (no casts) in network units; multiply by target_scale for GeV. */
double l0_model_float(const l0_model *m, const l0_cluster *c);

/* The same network on features already computed: x holds n_cells rows of n_feat doubles, every
 * row is summed as given (no preprocessing, no cells_max, no padding added: padded rows, if
 * wanted, are rows of x). For checks against other frameworks. */
double l0_model_float_features(const l0_model *m, const double *x, int n_cells);

/* The float network on rows of features already computed, used as a cluster's cells are: x holds
 * n_cells rows of n_feat doubles (as l0_model_features gives them, the most energetic cell
 * first); the first min(n_cells, cells_max) rows are used, and padded rows are added as for a
 * cluster. Equal to l0_model_float on the cluster whose features the rows are, bit for bit. */
double l0_model_float_rows(const l0_model *m, const double *x, int n_cells);

/* --- fixed inference (the golden model) ------------------------------------------------------ */

/* Overflow counters, per tensor: how many casts saturated or wrapped. */
typedef struct l0_ovf_counts {
    uint64_t input;                           /* feature -> input_t casts */
    uint64_t weight[2 * L0_MODEL_LAYERS_MAX]; /* model weights -> weight_t (counted at prepare) */
    uint64_t bias[2 * L0_MODEL_LAYERS_MAX];   /* model biases -> bias_t, and bias_t -> accum_t */
    uint64_t accum[2 * L0_MODEL_LAYERS_MAX];  /* product -> accum_t casts, and sums that wrapped */
    uint64_t result[2 * L0_MODEL_LAYERS_MAX]; /* accum_t -> result_t casts */
    uint64_t ksum;                            /* KSum -> ksum_t */
    uint64_t casts_input, casts_accum[2 * L0_MODEL_LAYERS_MAX],
        casts_result[2 * L0_MODEL_LAYERS_MAX], casts_ksum; /* how many casts of each were made */
} l0_ovf_counts;

/* A model prepared for fixed-point inference: weights and biases cast once, cast plans built,
 * work buffers allocated. Not shared between threads: make one per thread. */
typedef struct l0_golden l0_golden;

l0_golden *l0_golden_create(const l0_model *m, l0_err *err);
void l0_golden_free(l0_golden *g);
const l0_model *l0_golden_model(const l0_golden *g);

/* Fixed-point inference: returns the output raw (of the last layer's result_t); *out (if not
 * NULL) gets its value in network units. Adds to the golden's overflow counters. */
int64_t l0_golden_run(l0_golden *g, const l0_cluster *c, double *out);

/* The same on rows of features (as l0_model_float_rows takes them): equal to l0_golden_run on
 * the cluster whose features the rows are, bit for bit (the Python bindings' path). */
int64_t l0_golden_run_rows(l0_golden *g, const double *x, int n_cells, double *out);

/* The overflow counters accumulated since create or the last reset. */
const l0_ovf_counts *l0_golden_ovf(const l0_golden *g);
void l0_golden_reset_ovf(l0_golden *g);

/* The fixed-point weights and biases as stored raws of t_w / t_b (for RTL export). */
const int64_t *l0_golden_weights(const l0_golden *g, int layer);
/* A padded row's phi output (raws of the last phi layer's result type, ksum width of them), or
 * NULL when the model does not pad. */
const int64_t *l0_golden_pad_phi(const l0_golden *g);
const int64_t *l0_golden_biases(const l0_golden *g, int layer);

/* --- the per-layer trace ------------------------------------------------------------------- */

/* Every layer's output for one cluster, float and fixed side by side. Tensors, in order:
 * "input" (rows x n_feat), "phi0".."phiN" (rows x units), "ksum" (units), "rho0".."rhoM"
 * (units); the last is the output. rows = l0_model_rows: the used cells, then any padded rows.
 * fixed[] holds the fixed values as doubles (exact for W <= 53), raw[] the stored raws. */
typedef struct l0_trace_tensor {
    char name[16];
    int rows, cols; /* rows = cells for per-cell tensors, else 1 */
    l0_fx_type type;
    double *flt, *fixed;
    int64_t *raw;
} l0_trace_tensor;

typedef struct l0_trace {
    int n;
    l0_trace_tensor t[2 * L0_MODEL_LAYERS_MAX + 2];
} l0_trace;

/* Fill a trace for cluster c (allocates; free with l0_trace_free). Returns 0 or -1. */
int l0_golden_trace(l0_golden *g, const l0_cluster *c, l0_trace *tr, l0_err *err);
/* The same on rows of features (as l0_model_float_rows takes them). */
int l0_golden_trace_rows(l0_golden *g, const double *x, int n_cells, l0_trace *tr, l0_err *err);
void l0_trace_free(l0_trace *tr);

#endif
