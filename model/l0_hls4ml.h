/* l0_hls4ml: precisions from an hls4ml configuration (docs/import.md).
 *
 * The configuration is the dict hls4ml.utils.config_from_keras_model returns (sections Model,
 * LayerType, LayerName; each with a Precision that is a type string or a dict of weight, bias,
 * result, accum and default), saved as JSON or YAML (told apart by the content), or a whole
 * hls4ml project configuration with that dict under HLSConfig. Each l0sim tensor gets the type
 * hls4ml 1.0 would give the Keras layer it comes from, by hls4ml's own rules:
 * - precedence (hls4ml's HLSConfig.get_precision): LayerName[layer][var], LayerName[layer]
 *   default (a string Precision, or its 'default' key), then the same in LayerType[class], then
 *   Model.Precision[var], Model.Precision default; layer and class names match without regard
 *   to case. The classes are hls4ml's: Input, PointwiseConv1D (hls4ml turns a Dense on the cells,
 *   the phi layers, into one), Dense (rho), Activation (ReLU and linear), KSum;
 * - 'auto': an accumulator or a Dense result is inferred as hls4ml does (exact, from the input,
 *   weight and bias types, limited by Model.Precision.maximum); anything else 'auto' is
 *   Model.Precision.default; QKeras-quantized weights and biases keep the quantizers' types;
 * - hls4ml splits a Dense's activation into a layer of its own (<dense>_relu, or <dense>_linear,
 *   which it keeps as a cast only when the Dense's result is explicit and differs from it). l0sim
 *   casts a Dense once and applies the ReLU in that type. The chain of casts hls4ml makes (the
 *   Dense's result, a kept linear layer, the ReLU's result) is mapped to the one cast that gives
 *   the same values: casts that hold every value they get are exact; two rounding casts are one
 *   when they compose (TRN to a finer grid, then TRN or RND; AP_WRAP to more integer bits, then
 *   AP_WRAP; AP_SAT to a wider range, then AP_SAT; when only the rounding composes, a note
 *   says they differ where the first overflows) and are refused otherwise; the ReLU's type after
 *   an exact chain must saturate, or hold the accumulator's range, or be signed (then a note
 *   says the two differ only where that cast overflows); after a rounding cast it must hold its
 *   non-negative values. The network input and the sum (with a QKeras quantizer after them)
 *   follow the same rule. A refusal names the file and the field.
 * Tensors the configuration does not reach (no Model default) keep the model's types. */
#ifndef L0_HLS4ML_H
#define L0_HLS4ML_H

#include <stddef.h>

#include "l0_err.h"
#include "l0_import.h"
#include "l0_model.h"

/* Set m's precisions from the hls4ml configuration at path, for the model info describes (the
 * Keras layer names, from l0_import_keras). report (if not NULL) gets one line per tensor set
 * and notes, each line starting with two spaces and ending with a newline (truncated to
 * report_len). Returns 0, or -1 with err naming the file and the field path (for example
 * "cfg.yml: LayerName.phi0.Precision.weight: ..."); m is then partly changed. */
int l0_hls4ml_apply(l0_model *m, const l0_import_info *info, const char *path, char *report,
                    size_t report_len, l0_err *err);

#endif
