/* l0_beats: a cluster as the engine's input beats (the driver side of rtl/l0_engine.v). */
#ifndef L0_BEATS_H
#define L0_BEATS_H

#include "l0_model.h"
#include "l0_rtl_engine.h"

/* Fill beats[0..] with cluster c's used cells (the model's first min(n_cells, cells_max)),
 * `lanes` per beat, features cast to input_t exactly as the golden model does, first/last set,
 * tag on every beat. Returns the number of beats (at most max; a cluster needs
 * ceil(min(n, cells_max) / lanes), at least 1 — an empty cluster gives one beat with no valid
 * lane). */
int l0_beats_from_cluster(const l0_model *m, int lanes, const l0_cluster *c, uint32_t tag,
                          l0_rtl_beat *beats, int max);

#endif
