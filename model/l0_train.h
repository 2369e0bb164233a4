/* l0_train: training the DeepSets model in C (float, and quantization-aware), and its data set.
 * docs/training.md explains the choices (loss, optimizer, schedule, QAT); this header states the
 * contract.
 *
 * Data: an l0_dataset holds, for every usable cluster of one or more "singles" stimulus files,
 * the double features of its used cells (l0_model_features, the most energetic min(n_cells,
 * cells_max) cells), its EM-scale energy and its true energy. Features depend on the model's
 * preprocessing, so a data set is built for one model (and any model with the same features and
 * cells_max).
 *
 * Training: the network of l0_model.h (phi on every real cell, KSum over the cells, rho, linear
 * output), forward and backward written out by hand, mini-batch Adam, a drop of the learning
 * rate on a plateau of the validation loss, early stopping with the best weights restored.
 * Each mini-batch is split into a fixed number of shards whose gradients are summed in a fixed
 * order, so the result depends on the seed and the shard count, never on the thread count or on
 * timing: the same seed gives the same bytes of the output model.
 *
 * QAT: the forward pass follows the numeric contract of l0_model.h exactly (the casts of the
 * golden model, done with the same l0_fx functions on the same raws), so its output equals
 * l0_golden_run bit for bit; the backward pass is a straight-through estimator (see
 * l0_trainer_create). The model keeps float weights: the golden model quantizes them. */
#ifndef L0_TRAIN_H
#define L0_TRAIN_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>

#include "l0_err.h"
#include "l0_model.h"

/* --- the data set ------------------------------------------------------------------------------
 */

/* Where a cluster goes: chosen by l0_dataset_split (AUTO) or fixed by the file it came from. */
typedef enum l0_split_role { L0_SPLIT_AUTO = 0, L0_SPLIT_TRAIN, L0_SPLIT_VAL } l0_split_role;

typedef struct l0_dataset {
    /* the preprocessing the features were computed with (copied from the model) */
    int n_feat, cells_max;
    l0_feature feat_spec[L0_MODEL_FEATURES_MAX];

    size_t n;        /* clusters kept */
    size_t *off;     /* n + 1 entries: the cells of cluster i are rows off[i] .. off[i+1]-1 */
    double *feat;    /* rows x n_feat, as l0_model_features gives them */
    double *e;       /* EM-scale cluster energy (all its cells), GeV */
    double *truth_e; /* true energy of the matched particle, GeV (> 0) */
    double *tcorr;   /* NULL, or per cluster: the target is truth_e * tcorr (closure) */
    uint8_t *role;   /* l0_split_role as loaded; after l0_dataset_split, TRAIN or VAL */

    /* after l0_dataset_split: indices of the training and validation clusters, ascending */
    size_t n_train, n_val;
    size_t *train, *val;

    /* reading statistics */
    uint64_t records;            /* records read */
    uint64_t skipped_no_cluster; /* records without a cluster */
    uint64_t skipped_no_truth;   /* clusters with truth_e <= 0 (or not finite) */
    uint64_t skipped_no_cells;   /* clusters without cells */

    size_t cap, cap_rows; /* allocated clusters and rows */
} l0_dataset;

/* An empty data set for model m's features. */
void l0_dataset_init(l0_dataset *ds, const l0_model *m);
void l0_dataset_free(l0_dataset *ds);

/* Add one cluster (for example from a test): returns 1 if kept, 0 if skipped (truth_e <= 0, no
 * cells; counted), -1 with err on allocation failure. */
int l0_dataset_add_cluster(l0_dataset *ds, const l0_model *m, const l0_cluster *c,
                           l0_split_role role, l0_err *err);

/* Read every record of a singles stimulus file (streaming: one record in memory at a time). Each
 * record holds the particle's matched cluster as clusters[0]; a record without a cluster is
 * counted in skipped_no_cluster. A file that is not a singles file, or that the reader rejects,
 * gives -1 with the reader's message (naming the file). `max_clusters` > 0 stops after that many
 * clusters kept in total. Returns 0 or -1. */
int l0_dataset_load(l0_dataset *ds, const l0_model *m, const char *path, l0_split_role role,
                    size_t max_clusters, l0_err *err);

/* Assign every AUTO cluster to validation with probability val_frac, by a rule that depends only
 * on the seed and the cluster's position in the data set (the order of files and records), and
 * fill train[] / val[]. Returns 0, or -1 with err when either side ends up empty. */
int l0_dataset_split(l0_dataset *ds, double val_frac, uint64_t seed, l0_err *err);

/* The training target of cluster i in GeV: truth_e, times the closure correction if any. */
static inline double l0_dataset_target(const l0_dataset *ds, size_t i) {
    return ds->tcorr ? ds->truth_e[i] * ds->tcorr[i] : ds->truth_e[i];
}

/* Whether the data set's features were computed with m's preprocessing. */
bool l0_dataset_matches(const l0_dataset *ds, const l0_model *m);

/* --- losses ------------------------------------------------------------------------------------
 */

/* y is the network output, t the target, both in units of m->target_scale GeV. */
typedef enum l0_loss_kind {
    L0_LOSS_LOG = 0, /* (ln(y/t))^2, continued linearly (C1, convex) below y/t = 0.1: default */
    L0_LOSS_REL,     /* ((y - t) / t)^2 */
    L0_LOSS_MSE,     /* (y - t)^2: the reference study's */
    L0_LOSS_COUNT
} l0_loss_kind;

const char *l0_loss_name(l0_loss_kind k); /* "log", "rel", "mse" */
int l0_loss_parse(const char *s, l0_loss_kind *k);
/* The loss of one cluster; *dy (if not NULL) gets d loss / d y. */
double l0_loss_eval(l0_loss_kind k, double y, double t, double *dy);

/* --- the trainer's network: forward and backward for one cluster --------------------------------
 */

/* The network of a model, prepared for training: weights in the layouts the passes want, work
 * buffers. With qat, the forward pass follows the numeric contract with the model's precision
 * (input, weight, bias, accum, result and KSum casts), and the backward pass is a
 * straight-through estimator: gradients flow through every cast unchanged, except that a unit
 * whose value was clipped (its result or KSum cast, or one of its accumulator casts, overflowed:
 * saturated or wrapped) passes no gradient, and a ReLU passes gradient only where its (cast)
 * output is > 0. Weight and bias gradients are taken at the quantized weights and applied to the
 * float ones. */
typedef struct l0_trainer l0_trainer;

/* A model with padding (pad_cells > 0) is refused: training sums real cells only. */
l0_trainer *l0_trainer_create(const l0_model *m, bool qat, l0_err *err);
void l0_trainer_free(l0_trainer *t);

/* QAT with per-weight precision: layer's weight q (n_out x n_in, w[j * n_in + i]) keeps at most
 * budget[q] non-zero CSD digits of its raw (l0_csd_truncate; 0 prunes it), in the forward pass
 * and the gradients (the float weights stay the straight-through master copy). NULL: none. The
 * budget is read, not copied: it must live as long as the trainer uses it. */
void l0_trainer_set_budget(l0_trainer *t, int layer, const int8_t *budget);

/* The network output (units of target_scale GeV) for cluster i of ds. Float: equal to
 * l0_model_float on the same cluster (the same operations in the same order). QAT: equal to the
 * value l0_golden_run gives. */
double l0_trainer_forward(l0_trainer *t, const l0_dataset *ds, size_t i);

/* The loss of cluster i (target truth_e / target_scale) and its gradient with respect to every
 * weight and bias, written into grad's layers (grad must have m's shapes: l0_model_copy of m). */
double l0_trainer_loss_grad(l0_trainer *t, const l0_dataset *ds, size_t i, l0_loss_kind loss,
                            l0_model *grad);

/* --- training ----------------------------------------------------------------------------------
 */

typedef struct l0_train_cfg {
    l0_loss_kind loss;
    int epochs; /* at most this many epochs */
    int batch;  /* clusters per mini-batch */
    double lr;  /* Adam's initial learning rate */
    double beta1, beta2, eps;
    double lr_factor; /* multiply lr by this on a plateau */
    double lr_min;    /* never below this */
    int plateau;      /* epochs without improvement of the validation loss before a drop */
    int patience;     /* epochs without improvement before stopping */
    double min_delta; /* relative improvement of the validation loss that counts */
    uint64_t seed;    /* shuffling (the weights are seeded by l0_model_init) */
    int shards;       /* shards per mini-batch: part of the recipe (changes the sum order) */
    int threads;      /* threads to run the shards on: never changes the result */
    bool qat;
    /* QAT: per-weight CSD digit budgets per layer (l0_trainer_set_budget), NULL entries: none */
    const int8_t *budget[2 * L0_MODEL_LAYERS_MAX];
    FILE *log;     /* a line per epoch, or NULL */
    bool progress; /* an l0_progress line within epochs (when stderr is a terminal) */
} l0_train_cfg;

/* The defaults: log loss, 100 epochs, batch 256, lr 1e-3, Adam (0.9, 0.999, 1e-8), lr x0.5
 * after 3 epochs without improvement (min 1e-6), stop after 8, min_delta 1e-4, seed 1, 2 shards,
 * 2 threads. */
void l0_train_cfg_default(l0_train_cfg *c);

typedef struct l0_train_result {
    int epochs_run;
    int best_epoch;         /* 1-based; the weights of this epoch are the ones kept */
    double best_val_loss;   /* validation loss of the kept weights */
    double best_train_loss; /* running mean training loss of the best epoch */
    double initial_val_loss;
    double lr_final;
    int lr_drops;
    bool early_stopped;
    double seconds;           /* wall time (not part of the recipe: timing varies) */
    double seconds_per_epoch; /* mean */
} l0_train_result;

/* Train m in place on ds's training clusters, with early stopping on its validation clusters;
 * m ends with the best weights. Returns 0, or -1 with err (mismatched data set, a padded model,
 * a loss that is not finite: the training diverged). */
int l0_train(l0_model *m, const l0_dataset *ds, const l0_train_cfg *cfg, l0_train_result *res,
             l0_err *err);

/* Data-dependent initialisation of a fresh model (LSUV-like, docs/training.md): scale every
 * hidden layer so that its outputs have RMS 1 on the first n_sample training clusters (the KSum
 * grows with the number of cells, so He initialisation alone gives rho inputs of order the cell
 * count), and set the output layer to give the median target with a spread of a tenth of it.
 * Deterministic. Returns 0 or -1 with err. */
int l0_train_init_scale(l0_model *m, const l0_dataset *ds, size_t n_sample, l0_err *err);

/* One step of the closure (docs/training.md): the median response (output * target_scale /
 * truth_e) of m's network (float, or the QAT forward) on the training clusters with truth_e in
 * [e_lo, e_hi] GeV, in `bins` bins of true energy with equal counts, interpolated linearly in
 * log(truth_e) between the bins' median energies (constant beyond them, also outside the
 * range); every cluster's target correction is divided by it, so that training again moves the
 * median response in bins of true energy toward 1. Fills *max_dev (max |R - 1| over the bins)
 * if not NULL. Returns 0 or -1 with err. */
int l0_train_closure_step(const l0_model *m, l0_dataset *ds, bool qat, int bins, double e_lo,
                          double e_hi, double *max_dev, l0_err *err);

/* Mean loss over a list of clusters (forward only), on cfg->shards shards and cfg->threads
 * threads; deterministic. */
double l0_train_eval_loss(l0_trainer *t, const l0_dataset *ds, const size_t *idx, size_t n,
                          l0_loss_kind loss, int shards, int threads);

#endif
