/* l0_import: read a trained Keras 3 DeepSets model (a .keras archive) into an l0sim model
 * (docs/import.md). No Python: the archive is read with libzip, its weights with HDF5.
 *
 * What maps: an input of shape (batch, cells, features) with cells fixed or None; Dense layers
 * applied per cell (plain Dense on the 3-D tensor, or TimeDistributed(Dense)): the phi network;
 * one layer summing over the cell axis (class KSum, or a class named in the options): KSum;
 * Dense layers on the sum: the rho (F) network, the last one Dense(1) with a linear activation;
 * ReLU as a Dense's activation, an Activation('relu') layer or a plain ReLU layer after a Dense;
 * Dropout, and a Flatten right after the sum, as the identity. Sequential models and Functional
 * models that are a single chain. Anything else is refused with an error naming the layer.
 * Precisions are l0sim's defaults (l0_precision_default). */
#ifndef L0_IMPORT_H
#define L0_IMPORT_H

#include <stddef.h>

#include "l0_err.h"
#include "l0_model.h"

#define L0_IMPORT_SUM_CLASSES_MAX 8
#define L0_IMPORT_LAYERS_MAX 128

typedef struct l0_import_opts {
    /* The cell features the model was trained on, in input order (l0sim cannot read them from
     * the file). n_feat 0: l0sim's default features (energy:log, deta, dphi, layer), which
     * needs a model with 4 inputs per cell. */
    l0_feature feat[L0_MODEL_FEATURES_MAX];
    int n_feat;
    int cells_max;       /* 0: the model's fixed cell axis, or 64 when the axis is None */
    double target_scale; /* 0: 100 (the network's output in units of 100 GeV) */
    const char *name;    /* NULL: the Keras model's name */
    /* Padding as the model was trained (the reference study's way): clusters with fewer than
     * pad_cells cells padded to pad_cells rows of pad_value, summed (l0_model.h). 0: none.
     * At most the model's cells_max. */
    int pad_cells;
    double pad_value;
    /* Extra class names taken as a sum over the cell axis, besides "KSum". */
    const char *sum_classes[L0_IMPORT_SUM_CLASSES_MAX];
    int n_sum_classes;
} l0_import_opts;

/* What the import found, for the report. */
typedef struct l0_import_info {
    char keras_version[32];
    char format[32];      /* "Keras 3 archive" or "legacy HDF5" */
    char model_class[32]; /* Sequential or Functional */
    int cells;            /* the input's cell axis, -1 for None */
    int n_feat;
    char sum_layer[128]; /* the layer taken as KSum */
    char *log;           /* one line per Keras layer: how it was mapped (malloc'd) */
    /* Keras layer names, for precisions given per layer (an hls4ml configuration): */
    char input_layer[128];                    /* the InputLayer ("" if the model has none) */
    char dense[2 * L0_MODEL_LAYERS_MAX][128]; /* l0sim layer k (phi, then rho): its Dense (the
                                                 outer layer's name for TimeDistributed) */
    char act[2 * L0_MODEL_LAYERS_MAX][128];   /* the layer giving layer k's ReLU or quantized
                                                 activation when it is a separate layer
                                                 (Activation, ReLU, QActivation), else "" */
    bool quantized[2 * L0_MODEL_LAYERS_MAX];  /* layer k's precisions came from QKeras */
    bool input_quantized;                     /* input_t came from a QKeras quantizer */
    bool ksum_quantized;                      /* ksum_t came from a QKeras quantizer */
    bool qkeras;                              /* the model has QKeras layers */
    char input_q[128];                        /* the QActivation giving input_t, or "" */
    char ksum_q[128];                         /* the QActivation giving ksum_t, or "" */
    int n_layers;                             /* every Keras layer, in order: */
    char layer_name[L0_IMPORT_LAYERS_MAX][128];
    char layer_class[L0_IMPORT_LAYERS_MAX][64];
} l0_import_info;

/* Import path (a .keras archive) into m (free with l0_model_free). info may be NULL; free it
 * with l0_import_info_free. Returns 0, or -1 with err naming the file and the layer. */
int l0_import_keras(const char *path, const l0_import_opts *o, l0_model *m, l0_import_info *info,
                    l0_err *err);
void l0_import_info_free(l0_import_info *info);

/* phi's output for one cell whose every feature is `value` (as a padded cell of the reference
 * study, padded with -6), into out[ksum width]. */
void l0_import_phi_of_constant(const l0_model *m, double value, double *out);

#endif
