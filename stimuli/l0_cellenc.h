/* l0_cellenc: the multilinear cell-energy encoding of the LAr cells sent to the Global trigger.
 *
 * As athena's LArCellPreparationAlg (REFERENCE.md): a cell's transverse energy is sent as
 * `bits` bits, two for the range and bits - 2 for the step, so 2^(bits-2) steps per range; range
 * 0 has a step of `lsb`, each next range `gain` times coarser. With 6 bits, 40 MeV and gain 4 the
 * ranges end at 0.64, 3.2, 13.44 and 54.4 GeV. A value is truncated down to its step; negative
 * values encode as 0; values above the last range saturate at the top code's value
 * (51.84 GeV for 6 bits; athena's expression for it has a misplaced parenthesis, we use the value
 * of the top code). */
#ifndef L0_CELLENC_H
#define L0_CELLENC_H

#include "l0_err.h"

typedef struct l0_cellenc {
    int bits;   /* 0: no encoding (exact values) */
    double lsb; /* GeV */
    int gain;
    int steps;      /* per range */
    double edge[5]; /* range boundaries, GeV */
    double top;     /* value of the highest code */
} l0_cellenc;

/* bits 0 (off) or 6..10, lsb > 0 GeV, gain 2..16. Returns 0, or -1 with err naming the value. */
int l0_cellenc_init(l0_cellenc *c, int bits, double lsb, int gain, l0_err *err);

/* The code (0 .. 2^bits - 1) of a transverse energy, GeV. */
int l0_cellenc_code(const l0_cellenc *c, double et);
/* The value (GeV) a code stands for. */
double l0_cellenc_value(const l0_cellenc *c, int code);
/* Encode and decode: the transverse energy as Global sees it (identity when bits == 0). */
double l0_cellenc_apply(const l0_cellenc *c, double et);

#endif
