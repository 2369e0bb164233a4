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
 *   dense_depth(n_in) = 2 + tree_depth(n_in + 1)    (product register, adder tree, result cast)
 *   ksum_depth(L)     = tree_depth(L) + 1           (lane adder tree, accumulate and cast)
 *   tree_depth(n)     = reg_every > 0 ? ceil(log2 n) / reg_every : 0   (integer division)
 */
#ifndef L0_RTL_H
#define L0_RTL_H

#include <stdint.h>

#include "l0_err.h"
#include "l0_model.h"

typedef struct l0_rtl_cfg {
    int lanes;     /* L: cells per clock, 1..16 */
    int reg_every; /* a pipeline register after every reg_every adder-tree levels (0: none) */
    int tag_w;     /* bits of the cluster tag carried through the engine, 1..32 */
} l0_rtl_cfg;

/* The defaults: L = 2 lanes, a register after every 2 adder levels, 16-bit tags. */
void l0_rtl_cfg_default(l0_rtl_cfg *c);
int l0_rtl_cfg_check(const l0_rtl_cfg *c, l0_err *err);

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
