/* l0_cmvm: a constant-weight Dense layer as a multiplier-free network of adders (constant
 * matrix-vector multiplication), for the engine's `cmvm` architecture (docs/engine.md).
 *
 * Every weight is a constant, so x * w is a sum of shifted copies of x, one per non-zero
 * canonical signed digit of w (l0_csd); zero weights and zero digits cost nothing. The digits of
 * all outputs of the layer form one pool of terms; common subexpressions (a pair of terms
 * x_a << s and +-x_b << (s + r) that recurs) are built once and shared across outputs, greedily,
 * most frequent first (the classic pairwise CSE of constant multiplication, as distributed
 * arithmetic and da4ml do). Each output then sums its terms in a tree that adds the earliest
 * available terms first, so shared subexpressions do not lengthen the critical path more than
 * needed. The bias, and the half-LSB of AP_RND rounding, are one constant per output.
 *
 * Numbers: every node's range is computed exactly (each node is a linear function of the
 * inputs, and the inputs' ranges are known: the input type, or [0, max] after a ReLU), so each
 * node is exactly as wide as its values need; saturation logic is generated only where the
 * range can leave the result type, and the accumulator's wrap only where the range can leave
 * the accumulator type. The result equals the numeric contract of l0_model.h bit for bit:
 * exact products cast to accum_t, the sum wrapping in accum_t, the cast to result_t, ReLU. When
 * accum_t has fewer fractional bits than a product (a product's cast rounds), each product is
 * built and cast on its own before the sum.
 *
 * Timing: an adder is one level; a register follows every `reg_every` levels (0: none but the
 * output register), and the outputs are registered, all aligned, so the layer takes
 * l0_cmvm_depth() clocks from input to output, with an initiation interval of one clock. */
#ifndef L0_CMVM_H
#define L0_CMVM_H

#include <stdint.h>
#include <stdio.h>

#include "l0_err.h"
#include "l0_fx.h"

/* One Dense layer with its quantized constants. */
typedef struct l0_cmvm_spec {
    int n_in, n_out;
    const int64_t *w;    /* n_out x n_in raws of t_w, w[j * n_in + i] */
    const int64_t *bias; /* n_out raws of t_acc (the bias already cast to the accumulator) */
    l0_fx_type t_x, t_w, t_acc, t_res;
    int relu;
    /* the inputs' raw range (inclusive), within t_x: for example [0, max] after a ReLU */
    l0_wide x_lo, x_hi;
    int reg_every; /* adder levels per pipeline stage, 0..8 (0: combinational but the output) */
} l0_cmvm_spec;

typedef struct l0_cmvm l0_cmvm;

/* Build the adder network of a layer. Fails (returns NULL with err) when a value would need
 * more than 120 bits, or the spec is inconsistent. */
l0_cmvm *l0_cmvm_build(const l0_cmvm_spec *s, l0_err *err);
void l0_cmvm_free(l0_cmvm *c);

/* Clocks from input to output (>= 1). */
int l0_cmvm_depth(const l0_cmvm *c);

/* The range of output raws (after the cast and the ReLU), for the next layer's inputs. */
void l0_cmvm_out_range(const l0_cmvm *c, l0_wide *lo, l0_wide *hi);

typedef struct l0_cmvm_stats {
    int adders;     /* two-operand adders and subtractors (constant additions included) */
    int shared;     /* of them: common subexpressions built once, used by several terms */
    int adder_bits; /* the sum of the adders' widths: about their LUT count on a carry chain */
    int digits;     /* non-zero CSD digits of the weights (the terms before sharing) */
    int zero_w;     /* zero weights */
    int levels;     /* adder levels on the longest path */
    int regs_bits;  /* flip-flops of the pipeline registers and the output register */
    int saturating; /* outputs with saturation logic */
} l0_cmvm_stats;
void l0_cmvm_stats_get(const l0_cmvm *c, l0_cmvm_stats *st);

/* The network evaluated in C as the generated Verilog computes it (every node truncated to its
 * width), on input raws x (n_in) to output raws y (n_out): tests hold it equal to the golden
 * model's layer, bit for bit. */
void l0_cmvm_eval(const l0_cmvm *c, const int64_t *x, int64_t *y);

/* Write `module NAME (clk_i, x_i, y_o)`: x_i input i at [i*XW +: XW] (raws of t_x), y_o output
 * j at [j*RW +: RW] (raws of t_res), registered, l0_cmvm_depth() clocks. It instantiates
 * rtl/l0_recast.v for the result casts. */
void l0_cmvm_write_verilog(const l0_cmvm *c, FILE *f, const char *name);

#endif
