"""Loading libl0sim.so through cffi (ABI mode): the declarations of capi/l0sim_capi.h."""
from __future__ import annotations

import os
from pathlib import Path

try:
    import cffi
except ImportError as e:  # pragma: no cover - depends on the environment
    raise ImportError("l0sim needs the cffi package: pip install cffi") from e

#: The ABI number of capi/l0sim_capi.h these declarations match (L0SIM_CAPI_ABI).
ABI = 1

CDEF = """
const char *l0sim_version(void);
int l0sim_abi(void);
typedef struct l0sim_model l0sim_model;
typedef struct l0sim_model_info {
    char name[64];
    int n_feat; int cells_max; int pad_cells; double pad_value; double target_scale;
    int n_phi, n_rho; int ksum_width; char out_type[96]; char in_type[96];
} l0sim_model_info;
l0sim_model *l0sim_model_load(const char *path, char *err, size_t errlen);
void l0sim_model_free(l0sim_model *m);
void l0sim_model_get_info(const l0sim_model *m, l0sim_model_info *out);
int l0sim_features(const l0sim_model *m, size_t n, const float *cl_eta, const float *cl_phi,
                   const int64_t *first_cell, const uint16_t *n_cells, size_t n_cell_total,
                   const float *cell_e, const float *cell_eta, const float *cell_phi,
                   const uint8_t *cell_layer, int cmax, double *x_out, int32_t *rows_out,
                   char *err, size_t errlen);
int l0sim_predict(l0sim_model *m, const double *x, size_t n, int cmax, const int32_t *rows,
                  int64_t *raw_out, double *value_out, char *err, size_t errlen);
int l0sim_predict_float(const l0sim_model *m, const double *x, size_t n, int cmax,
                        const int32_t *rows, double *out, char *err, size_t errlen);
typedef struct l0sim_trace l0sim_trace;
l0sim_trace *l0sim_trace_run(l0sim_model *m, const double *x, int rows, char *err, size_t errlen);
int l0sim_trace_count(const l0sim_trace *t);
void l0sim_trace_tensor(const l0sim_trace *t, int k, char *name, int *rows, int *cols, char *type);
void l0sim_trace_copy(const l0sim_trace *t, int k, double *flt, double *fixed, int64_t *raw);
void l0sim_trace_free(l0sim_trace *t);
typedef struct l0sim_ovf {
    uint64_t input, ksum, accum[32], result[32];
    uint64_t casts_input, casts_ksum, casts_accum[32], casts_result[32];
} l0sim_ovf;
void l0sim_model_ovf(const l0sim_model *m, l0sim_ovf *out);
void l0sim_model_reset_ovf(l0sim_model *m);
typedef struct l0sim_fx_info {
    int w, i, is_signed; char canon[96]; char quant[16], ovf[16]; double lsb, min, max;
} l0sim_fx_info;
int l0sim_fx_type(const char *type, l0sim_fx_info *out, char *err, size_t errlen);
int l0sim_fx_cast(const char *type, const double *v, size_t n, int64_t *raw_out,
                  double *value_out, uint8_t *ovf_out, char *err, size_t errlen);
typedef struct l0sim_stim l0sim_stim;
typedef struct l0sim_stim_sizes { size_t records, clusters, cells; uint32_t version; } l0sim_stim_sizes;
l0sim_stim *l0sim_stim_read(const char *path, uint64_t max_records, char *err, size_t errlen);
void l0sim_stim_get_sizes(const l0sim_stim *s, l0sim_stim_sizes *out);
const char *l0sim_stim_kind(const l0sim_stim *s);
const char *l0sim_stim_options(const l0sim_stim *s);
void l0sim_stim_records(const l0sim_stim *s, uint32_t *orbit, uint16_t *bx, uint8_t *filled,
                        uint8_t *n_hard, uint32_t *n_clusters, int64_t *first_cluster);
void l0sim_stim_clusters(const l0sim_stim *s, int64_t *record, uint32_t *index, float *e,
                         float *et, float *eta, float *phi, float *truth_e, int32_t *truth_pdg,
                         uint16_t *n_cells, uint16_t *n_cells_total, int64_t *first_cell);
void l0sim_stim_cells(const l0sim_stim *s, float *e, float *eta, float *phi, float *sigma,
                      uint8_t *layer);
void l0sim_stim_free(l0sim_stim *s);
int l0sim_cmd_gen(int argc, char **argv);
"""

ffi = cffi.FFI()
ffi.cdef(CDEF)


def _find() -> Path:
    env = os.environ.get("L0SIM_LIBRARY")
    if env:
        p = Path(env)
        if not p.is_file():
            raise ImportError(f"l0sim: L0SIM_LIBRARY={env}: no such file (the shared library "
                              "libl0sim.so of a build: build/capi/libl0sim.so)")
        return p
    p = Path(__file__).resolve().parent / "libl0sim.so"
    if not p.is_file():
        raise ImportError(f"l0sim: the shared library {p} is missing: install the package with "
                          "'pip install ./python' from the repository (it builds libl0sim.so), "
                          "or set L0SIM_LIBRARY to a build's capi/libl0sim.so")
    return p


def load(expected_version: str):
    """Open libl0sim.so and check that it is the library this package was written for."""
    path = _find()
    try:
        lib = ffi.dlopen(str(path))
    except OSError as e:
        raise ImportError(f"l0sim: cannot load the shared library {path}: {e}") from e
    try:
        version = ffi.string(lib.l0sim_version()).decode()
        abi = int(lib.l0sim_abi())
    except AttributeError as e:
        raise ImportError(f"l0sim: {path} is not an l0sim library ({e})") from e
    if abi != ABI or version != expected_version:
        raise ImportError(f"l0sim: version mismatch: the package is {expected_version} (C API "
                          f"{ABI}), the library {path} is {version} (C API {abi}); rebuild and "
                          "reinstall the package (pip install ./python) from the same checkout")
    return lib, path
