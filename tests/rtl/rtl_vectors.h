/* rtl_vectors: cycle-by-cycle input vectors for the engine, and what the golden model expects
 * of them. Shared by the Verilator test, the Icarus cross-check and bench/bench_rtl.
 *
 * Clusters are random (1 to cells_max + 8 cells, energies over five orders of magnitude), sent
 * as beats back to back, with random idle gaps; clock c of the vector set is the c-th clock
 * after reset. */
#ifndef RTL_VECTORS_H
#define RTL_VECTORS_H

#include <stdint.h>
#include <stdio.h>

#include "l0_model.h"
#include "l0_rtl.h"
#include "l0_rtl_engine.h"

typedef struct rtlv_expect {
    uint32_t tag;
    int64_t raw;    /* golden output raw */
    uint64_t first; /* clock (from 0) of the cluster's first beat */
    int latency;    /* formula: the output appears at clock first + latency */
    int n_cells;
} rtlv_expect;

typedef struct rtlv_set {
    size_t n_clocks, n_clusters;
    l0_rtl_beat *beats; /* n_clocks entries; valid = 0 for idle clocks */
    rtlv_expect *expect;
    uint64_t cells;
} rtlv_set;

/* Make vectors for n clusters (plus depth + 4 idle clocks at the end). Returns 0 or -1. */
int rtlv_make(const l0_model *m, const l0_rtl_cfg *cfg, int n, uint64_t seed, rtlv_set *s,
              l0_err *err);
/* The same for n clusters of the stimulus generator (default options, mu = 200): a quarter the
 * matched clusters of single pions, the rest every cluster of whole crossings, in order. */
int rtlv_make_gen(const l0_model *m, const l0_rtl_cfg *cfg, int n, uint64_t seed, rtlv_set *s,
                  l0_err *err);
void rtlv_free(rtlv_set *s);

/* Write the vectors as one hex word per clock for $readmemh: the word is
 * {valid, first, last, lane_valid[L], tag[TagW], cells[L*NF*XW]} (MSB first). */
int rtlv_write_hex(const rtlv_set *s, const l0_rtl_engine_info *info, const char *path,
                   l0_err *err);

/* An output as seen by a simulator: at clock `clock` (from 0), tag and raw. */
typedef struct rtlv_out {
    uint64_t clock;
    uint32_t tag;
    int64_t raw;
} rtlv_out;

/* Compare outputs with the expectations; prints the first few differences to f. Returns the
 * number of problems (mismatches, latencies off the formula, missing or extra outputs). */
int rtlv_check(const rtlv_set *s, const rtlv_out *out, size_t n_out, const char *who, FILE *f);

#endif
