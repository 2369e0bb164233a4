/* l0_plot: PNG plots through gnuplot.
 *
 * The caller writes its data files and a gnuplot script body (everything after `set terminal`
 * and `set output`); l0_plot_png runs gnuplot into a temporary PNG and renames it into place, so
 * a failed plot never leaves a half-written image. */
#ifndef L0_PLOT_H
#define L0_PLOT_H

#include "l0_err.h"

/* Run gnuplot on `script` with a pngcairo terminal of width x height pixels, writing png_path.
 * Returns 0, or -1 with err filled (gnuplot missing, script error). */
int l0_plot_png(const char *png_path, int width, int height, const char *script, l0_err *err);

#endif
