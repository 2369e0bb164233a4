/* hls4ml_accum.h: hls4ml 1.0's auto accumulator for a Dense with a bias, transcribed from its
 * optimizer pass (hls4ml/model/optimizer/passes/infer_precision.py, _infer_common_precision), as
 * an independent reference for the golden model's tests:
 *   bitwidth = weight_width + input_width + ceil(log2(n_ops)); integers likewise
 *   signed = weight_signed or input_signed; frac = bitwidth - integers
 *   integers = max(integers + (bias_signed and not signed),
 *                  bias_integers + (signed and not bias_signed)) + 1
 *   bitwidth = integers + max(frac, bias_width - bias_integers); signed = signed or bias_signed */
#ifndef HLS4ML_ACCUM_H
#define HLS4ML_ACCUM_H

#include "l0_fx.h"

static inline l0_fx_type hls4ml_accum(const l0_fx_type *tx, const l0_fx_type *tw,
                                      const l0_fx_type *tb, int n_in) {
    int lg = 0;
    while ((1 << lg) < n_in) lg++;
    int bitwidth = tw->w + tx->w + lg;
    int integers = tw->i + tx->i + lg;
    bool sgn = tw->is_signed || tx->is_signed;
    int frac = bitwidth - integers;
    int a = integers + (tb->is_signed && !sgn), b = tb->i + (sgn && !tb->is_signed);
    integers = (a > b ? a : b) + 1;
    int bfrac = tb->w - tb->i;
    bitwidth = integers + (frac > bfrac ? frac : bfrac);
    l0_fx_type t = {bitwidth, integers, sgn || tb->is_signed, L0_FX_TRN, L0_FX_WRAP};
    return t;
}

#endif
