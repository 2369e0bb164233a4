#include "l0_fill.h"

#include <string.h>

/* Append `n` slots of value v at *pos (bounded by the orbit). */
static void put(uint8_t *f, int *pos, int n, uint8_t v) {
    for (int i = 0; i < n && *pos < L0_FILL_SLOTS; i++) f[(*pos)++] = v;
}

/* (72b + 8e) x trains, then `gap` empty slots */
static void batch(uint8_t *f, int *pos, int trains, int gap) {
    for (int t = 0; t < trains; t++) {
        put(f, pos, 72, 1);
        put(f, pos, 8, 0);
    }
    put(f, pos, gap, 0);
}

int l0_fill_nominal(uint8_t filled[L0_FILL_SLOTS]) {
    memset(filled, 0, L0_FILL_SLOTS);
    int pos = 0;
    for (int rep = 0; rep < 3; rep++) {
        batch(filled, &pos, 3, 30);
        batch(filled, &pos, 3, 30);
        batch(filled, &pos, 4, 31);
    }
    batch(filled, &pos, 3, 30);
    batch(filled, &pos, 3, 30);
    batch(filled, &pos, 3, 30);
    put(filled, &pos, 81, 0);
    int n = 0;
    for (int i = 0; i < L0_FILL_SLOTS; i++) n += filled[i];
    return n;
}
