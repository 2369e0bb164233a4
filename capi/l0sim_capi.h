/* l0sim_capi: the C API of libl0sim.so, the shared library behind the Python package (python/,
 * docs/python.md). A thin layer over the static libraries (common, model, stimuli): the golden
 * model on arrays, the stimulus reader, the fixed-point casts and the generator command.
 *
 * Conventions: every function that can fail returns 0 (or a handle) on success and a negative
 * value (or NULL) on failure, with the C message (naming the file, field or value, as l0_err
 * does) copied into err[errlen]. Arrays are C-contiguous; the caller owns every buffer it
 * passes. Handles are not shared between threads. L0SIM_CAPI_ABI changes whenever a
 * declaration below changes, so that the bindings refuse a library of another shape. */
#ifndef L0SIM_CAPI_H
#define L0SIM_CAPI_H

#include <stddef.h>
#include <stdint.h>

#ifdef __cplusplus
extern "C" {
#endif

#define L0SIM_CAPI_ABI 1

/* The project version this library was built from ("0.1.0") and the ABI number above. */
const char *l0sim_version(void);
int l0sim_abi(void);

/* --- the model and the golden model ---------------------------------------------------------- */

typedef struct l0sim_model l0sim_model;

typedef struct l0sim_model_info {
    char name[64];
    int n_feat;          /* features per cell */
    int cells_max;       /* C: rows the model uses at most */
    int pad_cells;       /* 0, or the rows a cluster is padded to */
    double pad_value;    /* every feature of a padded row */
    double target_scale; /* GeV per network output unit */
    int n_phi, n_rho;    /* Dense layers */
    int ksum_width;
    char out_type[96]; /* the output's ap_fixed type */
    char in_type[96];  /* input_t */
} l0sim_model_info;

/* Load and check a model file (docs/model-format.md); prepares the golden model. */
l0sim_model *l0sim_model_load(const char *path, char *err, size_t errlen);
void l0sim_model_free(l0sim_model *m);
void l0sim_model_get_info(const l0sim_model *m, l0sim_model_info *out);

/* Features of clusters as the golden model computes them (l0_model_features): cluster k has
 * n_cells[k] cells starting at cell first_cell[k] of the cell arrays (energy GeV, eta, phi,
 * layer), and barycentre cl_eta[k], cl_phi[k]. x_out gets n x cmax x n_feat doubles (rows beyond
 * a cluster's min(n_cells, cmax) are 0), rows_out[k] = min(n_cells[k], cmax). cmax must be in
 * 1..128 and every index within n_cell_total; else -1 with err. */
int l0sim_features(const l0sim_model *m, size_t n, const float *cl_eta, const float *cl_phi,
                   const int64_t *first_cell, const uint16_t *n_cells, size_t n_cell_total,
                   const float *cell_e, const float *cell_eta, const float *cell_phi,
                   const uint8_t *cell_layer, int cmax, double *x_out, int32_t *rows_out, char *err,
                   size_t errlen);

/* The golden model on n clusters of features: x holds n x cmax x n_feat doubles, cluster k uses
 * its first rows[k] rows (0..cmax; then min(rows, cells_max) and padding as for a cluster).
 * raw_out[k] gets the output raw (of out_type), value_out[k] its value in network units (NULL
 * allowed). Bit for bit l0_golden_run. Returns 0, or -1 with err (a rows[k] out of range). */
int l0sim_predict(l0sim_model *m, const double *x, size_t n, int cmax, const int32_t *rows,
                  int64_t *raw_out, double *value_out, char *err, size_t errlen);
/* The float network on the same input (network units). */
int l0sim_predict_float(const l0sim_model *m, const double *x, size_t n, int cmax,
                        const int32_t *rows, double *out, char *err, size_t errlen);

/* The per-layer trace of one cluster (rows rows of cmax of x): tensors input, phi0.., ksum,
 * rho0..; each rows x cols, float, fixed and raw side by side (l0_golden_trace). */
typedef struct l0sim_trace l0sim_trace;
l0sim_trace *l0sim_trace_run(l0sim_model *m, const double *x, int rows, char *err, size_t errlen);
int l0sim_trace_count(const l0sim_trace *t);
/* Tensor k's name (16 bytes), shape and type (96 bytes). */
void l0sim_trace_tensor(const l0sim_trace *t, int k, char *name, int *rows, int *cols, char *type);
/* Copy tensor k (rows x cols each; NULL skips one). */
void l0sim_trace_copy(const l0sim_trace *t, int k, double *flt, double *fixed, int64_t *raw);
void l0sim_trace_free(l0sim_trace *t);

/* Overflow counters of the model's golden model since load or reset: n_layers = n_phi + n_rho
 * entries of accum and result per layer; input and ksum. */
typedef struct l0sim_ovf {
    uint64_t input, ksum, accum[32], result[32];
    uint64_t casts_input, casts_ksum, casts_accum[32], casts_result[32];
} l0sim_ovf;
void l0sim_model_ovf(const l0sim_model *m, l0sim_ovf *out);
void l0sim_model_reset_ovf(l0sim_model *m);

/* --- fixed point ----------------------------------------------------------------------------- */

typedef struct l0sim_fx_info {
    int w, i, is_signed;
    char canon[96]; /* the canonical spelling */
    char quant[16], ovf[16];
    double lsb, min, max;
} l0sim_fx_info;

/* Parse a type (l0sim fx's spellings). */
int l0sim_fx_type(const char *type, l0sim_fx_info *out, char *err, size_t errlen);
/* Cast n doubles into the type: raw_out (stored raws), value_out (their values), ovf_out (1
 * when the overflow step changed the value). A NaN or infinity is an error naming its index. */
int l0sim_fx_cast(const char *type, const double *v, size_t n, int64_t *raw_out, double *value_out,
                  uint8_t *ovf_out, char *err, size_t errlen);

/* --- stimulus files -------------------------------------------------------------------------- */

/* A whole stimulus file (or its first max_records records, 0: all) in memory, as columns. */
typedef struct l0sim_stim l0sim_stim;

typedef struct l0sim_stim_sizes {
    size_t records, clusters, cells;
    uint32_t version;
} l0sim_stim_sizes;

l0sim_stim *l0sim_stim_read(const char *path, uint64_t max_records, char *err, size_t errlen);
void l0sim_stim_get_sizes(const l0sim_stim *s, l0sim_stim_sizes *out);
const char *l0sim_stim_kind(const l0sim_stim *s);    /* "singles" or "stream" */
const char *l0sim_stim_options(const l0sim_stim *s); /* the header's JSON */
/* Copy the columns into caller arrays sized by l0sim_stim_get_sizes (NULL skips a column).
 * Records: orbit, bx, filled, n_hard, n_clusters, first_cluster. */
void l0sim_stim_records(const l0sim_stim *s, uint32_t *orbit, uint16_t *bx, uint8_t *filled,
                        uint8_t *n_hard, uint32_t *n_clusters, int64_t *first_cluster);
/* Clusters: record, index in the record, e, et, eta, phi, truth_e, truth_pdg, n_cells,
 * n_cells_total, first_cell. */
void l0sim_stim_clusters(const l0sim_stim *s, int64_t *record, uint32_t *index, float *e, float *et,
                         float *eta, float *phi, float *truth_e, int32_t *truth_pdg,
                         uint16_t *n_cells, uint16_t *n_cells_total, int64_t *first_cell);
/* Cells: e, eta, phi, sigma, layer. */
void l0sim_stim_cells(const l0sim_stim *s, float *e, float *eta, float *phi, float *sigma,
                      uint8_t *layer);
void l0sim_stim_free(l0sim_stim *s);

/* --- commands -------------------------------------------------------------------------------- */

/* Run `l0sim gen ARGS` in this process (argv[0] is "gen"): its exit status (0, or 2 with the
 * message on stderr, as the command prints it). */
int l0sim_cmd_gen(int argc, char **argv);

#ifdef __cplusplus
}
#endif

#endif
