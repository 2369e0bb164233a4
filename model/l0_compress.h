/* l0_compress: quantization-aware compression of a model for the multiplier-free engine, in the
 * spirit of HGQ (high-granularity quantization): every weight gets its own precision, counted in
 * non-zero canonical signed digits (model/l0_csd.h), and a weight with no digit left is pruned.
 * The engine's logic is about the digits times the width of the adders they feed, so the
 * schedule takes digits away where they cost the most logic for the least accuracy, under a
 * constraint on the validation loss (docs/training.md, "Compression").
 *
 * The schedule (greedy, deterministic): start from a trained model with its precision (QAT);
 * each round
 *   1. measures every weight's sensitivity on a sample of training clusters: the diagonal
 *      Fisher information F (the mean square of the per-cluster loss gradient), so that
 *      dropping a weight's last digit, a change dw, costs about F dw^2 / 2 of loss;
 *   2. takes one digit from the `step` fraction of the remaining digits with the smallest cost
 *      per LUT saved (a phi weight is replicated `phi_replicas` times, once per lane; a digit
 *      feeds an adder about as wide as the layer's input type);
 *   3. fine-tunes with QAT under the new budgets (the float weights are the straight-through
 *      master copy, the forward pass uses the truncated raws), early stopping on validation;
 *   4. keeps the round if the validation loss stays within (1 + max_loss_increase) of the
 *      starting one, else goes back to the round before and halves the step.
 * It stops after `rounds` rounds or when the step falls below step_min. The model ends with
 * float weights that are exactly the kept raws' values, so the golden model, the RTL and the
 * stream see exactly the trained network. */
#ifndef L0_COMPRESS_H
#define L0_COMPRESS_H

#include <stdio.h>

#include "l0_train.h"

typedef struct l0_compress_cfg {
    double max_loss_increase; /* relative to the starting validation loss, > 0 */
    int rounds;               /* at most this many rounds, >= 1 */
    double step;              /* fraction of the remaining digits taken per round, (0, 1] */
    double step_min;          /* stop when a halved step falls below this */
    int epochs;               /* QAT fine-tuning epochs per round, >= 0 */
    int phi_replicas;         /* lanes in the LUT estimate (phi layers are copied per lane) */
    size_t sample;            /* training clusters for the sensitivities */
    FILE *log;                /* a line per round, or NULL */
} l0_compress_cfg;

/* The defaults: 2% loss increase, 12 rounds, step 0.3, step_min 0.02, 2 epochs, 32 replicas,
 * 4096 clusters. */
void l0_compress_cfg_default(l0_compress_cfg *c);

typedef struct l0_compress_layer {
    int digits, zeros, weights; /* non-zero CSD digits and zero weights of the quantized weights */
    double est_lut;             /* digits x (input width + 2) x replication */
} l0_compress_layer;

typedef struct l0_compress_result {
    double val_loss0, val_loss; /* validation loss: starting (QAT), kept */
    int rounds_run, rounds_kept;
    l0_compress_layer before[2 * L0_MODEL_LAYERS_MAX], after[2 * L0_MODEL_LAYERS_MAX];
    double est_lut_before, est_lut_after; /* sum over layers, plus the KSum tree */
} l0_compress_result;

/* The digit statistics and LUT estimate of a model's quantized weights (per layer into out,
 * the total returned; phi layers count `phi_replicas` times, and the KSum adds a tree of
 * replicas - 1 adders per unit). */
double l0_compress_estimate(const l0_model *m, int phi_replicas, l0_compress_layer *out);

/* Compress m in place (see above) with the trainer settings tc (loss, batch, lr, shards,
 * threads, seed; epochs and qat are set here). ds must be split. Returns 0 or -1 with err. */
int l0_compress(l0_model *m, const l0_dataset *ds, const l0_train_cfg *tc,
                const l0_compress_cfg *cc, l0_compress_result *res, l0_err *err);

#endif
