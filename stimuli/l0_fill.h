/* l0_fill: the LHC filling scheme: which of the 3564 bunch slots of an orbit hold colliding
 * bunches.
 *
 * The nominal 25 ns scheme of the LHC Design Report (CERN-2004-003, vol. I, ch. 2 and vol. III):
 *   3564 = { [(72b + 8e) x 3 + 30e] x 2 + [(72b + 8e) x 4 + 31e] } x 3
 *        + { [(72b + 8e) x 3 + 30e] x 3 + 81e }
 * i.e. 39 trains of 72 bunches (2808 filled), 8-slot gaps between PS batches (PS kicker), 30/31
 * between SPS injections (SPS kicker), and 8 + 30 + 81 = 119 empty slots (2.97 us) at the end:
 * the abort gap. Slot 0 holds the first bunch of the first train. */
#ifndef L0_FILL_H
#define L0_FILL_H

#include <stdint.h>

#define L0_FILL_SLOTS 3564
#define L0_FILL_NOMINAL_BUNCHES 2808

/* Fill filled[0..3563] with 1 for a colliding slot, 0 for an empty one. Returns the number of
 * filled slots (2808). */
int l0_fill_nominal(uint8_t filled[L0_FILL_SLOTS]);

#endif
