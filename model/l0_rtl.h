/* l0_rtl: what the C side knows of the RTL engine (rtl/l0_engine.v): its configuration, its
 * latency formula, and the export of a model's weights, biases and widths as Verilog.
 *
 * The latency formula lives here and only here: the export writes its depths into the
 * parameter file as a cross-check, the drivers' scoreboard and the SystemC model call it.
 *
 * Engine timing (clock = fabric clock). A cluster of n cells enters as ceil(n / L) beats on
 * consecutive clocks (L cells per beat, the last beat padded); clusters may follow each other
 * with no gap. The calibrated energy appears depth() clocks after the clock of the last beat:
 *   latency(n) = ceil(n / L) - 1 + depth,  counted from the clock of the first beat, and
 *   depth = sum over phi layers of dense_depth(n_in) + ksum_depth(L) + sum over rho layers of
 *           dense_depth(n_in),
 *   dense_depth(n_in) = 2 + tree_depth(n_in + 1)    (mult: product register, adder tree,
 *                                                     result cast; cmvm: l0_cmvm_depth)
 *   ksum_depth(L)     = tree_depth(L) + 1           (lane adder tree, accumulate and cast)
 *   tree_depth(n)     = reg_every > 0 ? ceil(log2 n) / reg_every : 0   (integer division)
 */
#ifndef L0_RTL_H
#define L0_RTL_H

#include <stdint.h>

#include "l0_err.h"
#include "l0_model.h"

/* The Dense layers' architecture: `mult`, a multiplier per weight (l0_dense.v: product
 * register, adder tree, result register), or `cmvm`, multiplier-free adder networks generated per
 * layer (model/l0_cmvm.h; docs/engine.md). Both compute the numeric contract bit for bit. */
enum { L0_RTL_ARCH_MULT = 0, L0_RTL_ARCH_CMVM = 1 };

#define L0_RTL_LANES_LIMIT 64

typedef struct l0_rtl_cfg {
    int lanes;     /* L: cells per clock, 1..64 */
    int reg_every; /* a pipeline register after every reg_every adder-tree levels (0: none) */
    int tag_w;     /* bits of the cluster tag carried through the engine, 1..32 */
    int arch;      /* L0_RTL_ARCH_MULT (0) or L0_RTL_ARCH_CMVM */
    /* cmvm: each layer's depth in clocks (phi layers, then rho), once l0_rtl_prepare has run;
     * without it l0_rtl_depth builds the networks on every call (slow: prepare first). */
    int prepared;
    int layer_depth[2 * L0_MODEL_LAYERS_MAX];
} l0_rtl_cfg;

/* The defaults: L = 2 lanes, a register after every 2 adder levels, 16-bit tags, mult. */
void l0_rtl_cfg_default(l0_rtl_cfg *c);
int l0_rtl_cfg_check(const l0_rtl_cfg *c, l0_err *err);
/* "mult" or "cmvm" to L0_RTL_ARCH_*; -1 if neither. */
int l0_rtl_arch_parse(const char *s);
const char *l0_rtl_arch_name(int arch);
/* Check that the engine can be built for the golden model's model (cmvm: lanes dividing
 * cells_max, every value within 120 bits) and fill the layer depths (cmvm). */
int l0_rtl_prepare(l0_rtl_cfg *c, const l0_golden *g, l0_err *err);
/* The same for a model (its golden model made and freed here). */
int l0_rtl_prepare_model(l0_rtl_cfg *c, const l0_model *m, l0_err *err);
/* Clocks of Dense layer k (phi layers, then rho). */
int l0_rtl_layer_depth(const l0_model *m, const l0_rtl_cfg *c, int k);

int l0_rtl_tree_depth(int n, int reg_every);
int l0_rtl_dense_depth(int n_in, int reg_every);
int l0_rtl_ksum_depth(const l0_rtl_cfg *c);
/* Clocks from the last beat of a cluster to its output. */
int l0_rtl_depth(const l0_model *m, const l0_rtl_cfg *c);
/* Clocks from the first beat of a cluster of n cells (n >= 1; the model uses at most cells_max
 * of them) to its output. */
int l0_rtl_latency(const l0_model *m, const l0_rtl_cfg *c, int n_cells);
/* Beats a cluster of n cells takes (its initiation interval in clocks). */
int l0_rtl_beats(const l0_model *m, const l0_rtl_cfg *c, int n_cells);

/* Width of the exact KSum accumulator: the last phi result, plus room for cells_max terms. */
int l0_rtl_ksum_acc_width(const l0_model *m);

/* Write the Verilog for model m into directory dir: l0_model_params.vh (localparams the generic
 * engine includes: features, lanes, types, depths), l0_engine_cfg.h (the same for
 * the C harness) and l0_phi_net.v and l0_rho_net.v (modules
 * l0_phi_net and l0_rho_net: chains of l0_dense with the model's weights, biases and widths). Both
 * are written atomically; the golden model g (from m) provides the quantized weights. `origin` (the
 * model file name) goes into the header comment. */
/* The engine's identity: a hash (FNV-1a) of the Verilog the export writes for this model and
 * configuration, without file names. Equal hashes: the same engine. */
uint64_t l0_rtl_hash(const l0_golden *g, const l0_rtl_cfg *c);

int l0_rtl_export(const l0_golden *g, const l0_rtl_cfg *c, const char *origin, const char *dir,
                  l0_err *err);
/* With arch cmvm, the export also writes l0_layer_NAME.v for every Dense layer (NAME = phi0,
 * phi1, ..., rho0, ...: module l0_layer_NAME (clk_i, x_i, y_o), input i at [i*XW +: XW],
 * output j at [j*RW +: RW]) and layers.json (each layer's types and quantized constants). */

/* What the cmvm networks of a model's layers are made of (for reports). */
typedef struct l0_rtl_layer_info {
    char name[16];
    int digits, zero_w, adders, shared, adder_bits, levels, depth;
} l0_rtl_layer_info;
/* Fill out[k] for every Dense layer k (cmvm, whatever c->arch says); returns the layer count,
 * or -1 with err. */
int l0_rtl_layer_stats(const l0_golden *g, const l0_rtl_cfg *c, l0_rtl_layer_info *out,
                       l0_err *err);

/* Write a GTKWave save file for the engine of model m with configuration c, opening fst_path:
 * the cell stream (controls, tag, each lane's features), each lane's phi output, the KSum
 * accumulator and its cast, every rho layer's output, and the engine's output; fixed-point
 * values as signed (or, for unsigned types, unsigned) decimals of their raws. The signal names
 * are those of Verilator's FST dump of rtl/l0_engine.v (scope l0_engine.l0_engine). Atomic. */
int l0_rtl_write_gtkw(const l0_model *m, const l0_rtl_cfg *c, const char *fst_path,
                      const char *gtkw_path, l0_err *err);

/* The signals the save file names, one per call: returns the k-th full name (k from 0) into buf,
 * or 0 when k is past the end (for tests that look for them in a dump). */
int l0_rtl_gtkw_signal(const l0_model *m, const l0_rtl_cfg *c, int k, char *buf, size_t n);

#endif
