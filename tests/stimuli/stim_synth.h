/* stim_synth: synthetic events for the stimulus file tests, from a fixed-seed PRNG.
 *
 * Not physics: values are chosen to cover the format's corners (empty crossings, clusters with
 * no cells or 128 cells, truncated clusters, every layer, negative energies, -0, NaN and
 * infinities, which must survive bit for bit). The same (seed, index) always gives the same
 * event, so a test regenerates the expected events while it reads a file back. */
#ifndef STIM_SYNTH_H
#define STIM_SYNTH_H

#include <stdint.h>
#include <stdio.h>

#include "l0_stim.h"

typedef struct synth_buf {
    l0_cluster *clusters;
    l0_cell *cells;
    size_t clusters_cap, cells_cap;
} synth_buf;

/* Shapes of event to make. */
enum {
    SYNTH_MIXED = 0, /* a mix of everything, mostly small */
    SYNTH_SMALL,     /* 0..3 clusters of 0..4 cells: small files for exhaustive corruption */
    SYNTH_HUGE,      /* one record above 1 MiB: 600 clusters of 128 cells */
};

/* Fill ev with the event number `index` of the stream `seed`. Memory belongs to b and is reused
 * by the next call. Record 0 of every seed is the fixed event described in synth_first_*. */
void synth_event(synth_buf *b, uint64_t seed, uint64_t index, int shape, l0_event *ev);
void synth_free(synth_buf *b);

/* Compare two events field by field, floats bit for bit. Returns 0 if equal, else prints the
 * first difference (prefixed by what) and returns -1. */
int synth_compare(const char *what, const l0_event *want, const l0_event *got);

/* Write `n` synthetic records to path with l0_stimfile. Returns 0 or -1 (message printed). */
int synth_write_file(const char *path, const char *kind, const char *options, uint64_t seed,
                     uint64_t n, int shape);

/* Read a whole file into memory (tests only). Returns NULL on failure. */
unsigned char *synth_slurp(const char *path, size_t *size);
int synth_spit(const char *path, const void *data, size_t size);

#endif
