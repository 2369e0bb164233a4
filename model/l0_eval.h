/* l0_eval: the physics and precision study of the DeepSets calibration (docs/study.md).
 *
 * - Clusters of a stimulus file, one at a time (l0_cliter: the matched cluster of each record of
 *   a singles file, every cluster of every record of a stream) or all in memory (l0_clset).
 * - Statistics: the MPE of the fixed model against the float one (the reference study's
 *   definition), quantiles, the median response and IQR/median, in bins of true energy.
 * - Precision sweeps: a model re-typed at each of a list of precision points, evaluated on the
 *   clusters in memory with the golden model, the points spread over threads. Every figure of a
 *   point is computed by one thread in cluster order, so results never depend on the thread
 *   count.
 * - Per-layer differences between the fixed and float networks, from l0_golden_trace. */
#ifndef L0_EVAL_H
#define L0_EVAL_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "l0_err.h"
#include "l0_model.h"
#include "l0_stim.h"

/* --- clusters of a file, streamed ------------------------------------------------------------ */

typedef struct l0_cliter l0_cliter;

/* Open a stimulus file. Returns NULL with err (naming the file) on failure. */
l0_cliter *l0_cliter_open(const char *path, l0_err *err);
/* Whether the file is a singles file (else an event stream). */
bool l0_cliter_singles(const l0_cliter *it);
/* The next cluster: *c (valid until the next call), its record number (from 0) and its index in
 * the record. Singles: clusters[0] of every record (a record without a cluster is skipped and
 * counted); streams: every cluster of every record. *ev (if not NULL) gets the record (orbit,
 * bx). Returns 1, 0 at the end, -1 with err (the reader's message: file and offset). */
int l0_cliter_next(l0_cliter *it, const l0_cluster **c, const l0_event **ev, uint64_t *record,
                   uint32_t *index, l0_err *err);
uint64_t l0_cliter_records(const l0_cliter *it);
uint64_t l0_cliter_skipped(const l0_cliter *it); /* singles records without a cluster */
void l0_cliter_close(l0_cliter *it);

/* --- clusters in memory ---------------------------------------------------------------------- */

typedef struct l0_clset {
    size_t n;         /* clusters */
    l0_cluster *c;    /* n clusters; their cells live in the set's pool */
    uint64_t *record; /* record number of cluster i in its file */
    uint32_t *index;  /* index of cluster i in its record */
    bool singles;     /* loaded from a singles file */
    uint64_t records; /* records read */
    uint64_t skipped; /* clusters left out: no truth (when asked), or records without one */
    /* private */
    l0_cell *pool;
    size_t *off;
    size_t n_cells, cap, cap_cells;
} l0_clset;

void l0_clset_init(l0_clset *s);
void l0_clset_free(l0_clset *s);

/* Copy one cluster into the set, keeping at most cells_max of its cells (the first, most
 * energetic, ones; 0 keeps all). Its other fields (e, n_cells_total, truth) are kept whole.
 * Returns 0 or -1 with err (out of memory). */
int l0_clset_add(l0_clset *s, const l0_cluster *c, uint64_t record, uint32_t index, int cells_max,
                 l0_err *err);

/* Read a stimulus file's clusters (as l0_cliter gives them) into s: at most max_clusters (0: all),
 * only those with truth_e > 0 when truth_only, at most cells_max cells each. Returns 0 or -1. */
int l0_clset_load(l0_clset *s, const char *path, size_t max_clusters, bool truth_only,
                  int cells_max, l0_err *err);

/* --- statistics ------------------------------------------------------------------------------ */

/* The reference study's MPE, in percent: the mean over clusters of |fixed - float| / |float| x 100,
 * clusters with float == 0 (or a non-finite value) left out. *n_used (if not NULL) gets the number
 * of clusters counted. 0 when none is. */
double l0_mpe(const double *fixed, const double *flt, size_t n, size_t *n_used);

/* The q-quantile (0 <= q <= 1) of n > 0 sorted values, interpolating linearly between order
 * statistics: x[h] + (h - floor h) (x[h+1] - x[h]) with h = q (n - 1) (NumPy's default). */
double l0_quantile_sorted(const double *x, size_t n, double q);

/* Response statistics of a sample (for example predicted / true energy). */
typedef struct l0_resp {
    size_t n;
    double median, q25, q75;
    double iqr_med; /* (q75 - q25) / median: the relative resolution */
} l0_resp;

/* Statistics of x[0..n-1]; sorts x in place. With n == 0 every figure is NaN. */
void l0_resp_stats(double *x, size_t n, l0_resp *r);

/* Logarithmic bin edges from lo to hi (> lo > 0): the powers 10^(k / per_decade) strictly
 * between them, with lo and hi as the first and last edges (so 10 GeV and 100 GeV are edges for
 * any per_decade). Writes at most max edges; returns the number of edges (bins + 1), or -1 when
 * more than max are needed. */
int l0_log_edges(double lo, double hi, int per_decade, double *edges, int max);

/* The response pred[i] / truth[i] of the clusters with edges[b] <= truth[i] < edges[b + 1] (the
 * last bin includes its upper edge), per bin: out[n_edges - 1]. work holds n doubles. */
void l0_resp_binned(const double *truth, const double *pred, size_t n, const double *edges,
                    int n_edges, l0_resp *out, double *work);

/* --- predictions ----------------------------------------------------------------------------- */

/* The float network's output (network units) for every cluster of s: out[s->n]. */
void l0_predict_float(const l0_model *m, const l0_clset *s, double *out);

/* --- precision sweeps ------------------------------------------------------------------------ */

/* Set every tensor of m to p, as l0_model_set_precision does; when an 'auto' accumulator would
 * need more than 64 bits, that layer gets ap_fixed<64, I_auto> (hls4ml's integer bits, fewer
 * fractional bits) instead, and *clipped (if not NULL) is set. Returns 0 or -1 with err. */
int l0_eval_set_precision(l0_model *m, const l0_precision *p, bool *clipped, l0_err *err);

/* A precision point: the model's own precision or p for every tensor, then optionally the KSum
 * type alone replaced. Auto accumulators are recomputed (and clipped to 64 bits, as above). */
typedef struct l0_sweep_point {
    bool from_model; /* keep the model's precision (else p) */
    l0_precision p;
    bool ksum_set;
    l0_fx_type ksum;
} l0_sweep_point;

/* Apply a point to m (a copy of the model). */
int l0_sweep_point_apply(l0_model *m, const l0_sweep_point *pt, bool *clipped, l0_err *err);

/* What one point gives on a cluster set. */
typedef struct l0_point_result {
    double mpe;     /* percent, fixed against float (l0_mpe) */
    size_t n_used;  /* clusters in the MPE */
    double max_rel; /* largest |fixed - float| / |float| over those clusters */
    /* the fixed model against the truth, over clusters with truth_e >= e_min: */
    l0_resp resp; /* response fixed / truth */
    double loss;  /* mean (ln(fixed / truth))^2 (the trainer's log loss) */
    bool accum_clipped;
    l0_ovf_counts ovf;
} l0_point_result;

typedef struct l0_sweep_cfg {
    int threads;   /* worker threads (>= 1); never changes a result */
    bool progress; /* an l0_progress line on stderr */
    double e_min;  /* GeV: the response figures use clusters with truth_e >= e_min */
} l0_sweep_cfg;

/* Evaluate an already typed model on s: flt[] are the float outputs (l0_predict_float), fixed[]
 * (if not NULL) gets the fixed outputs, work holds s->n doubles. Returns 0 or -1 with err. */
int l0_eval_model(const l0_model *m, const l0_clset *s, const double *flt, double e_min,
                  l0_point_result *r, double *fixed, double *work, l0_err *err);

/* Evaluate every point of pts on s (m keeps its weights; each point types a copy), on
 * cfg->threads threads. res[n_pts]. Returns 0, or -1 with the error of the first failing point
 * (in point order). */
int l0_sweep_run(const l0_model *m, const l0_clset *s, const double *flt, const l0_sweep_point *pts,
                 size_t n_pts, const l0_sweep_cfg *cfg, l0_point_result *res, l0_err *err);

/* --- per-layer differences -------------------------------------------------------------------- */

/* One traced tensor (l0_golden_trace's order: input, phi0.., ksum, rho0..), over clusters. */
typedef struct l0_layer_diff {
    char name[16];
    l0_fx_type type;
    uint64_t elements; /* values compared */
    uint64_t used;     /* of which the float value is nonzero (in mpe) */
    double mpe;        /* mean over used values of |fixed - float| / |float| x 100 */
    double rel_l1;     /* sum |fixed - float| / sum |float| x 100 */
    double max_abs;    /* largest |fixed - float| */
    uint64_t ovf;      /* casts into this tensor that overflowed (input, result+accum, ksum) */
    uint64_t casts;
} l0_layer_diff;

/* Trace the first max_clusters clusters of s (0: all) through the typed model m; out holds
 * 2 * L0_MODEL_LAYERS_MAX + 2 entries, *n_out gets the number of tensors. Returns 0 or -1. */
int l0_layer_diffs(const l0_model *m, const l0_clset *s, size_t max_clusters, l0_layer_diff *out,
                   int *n_out, l0_err *err);

#endif
