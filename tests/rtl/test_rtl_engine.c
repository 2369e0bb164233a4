/* test_rtl_engine [N]: the verilated engine this executable links (one model, see
 * l0_rtl_engine_info_get) against the golden model: N clusters (default 3000) streamed as beats,
 * back to back with random idle gaps; every output must equal the golden fixed output bit for
 * bit and arrive exactly when the latency formula (model/l0_rtl.h) says.
 * Clusters: random cells (1 to cells_max + 8 of them, so truncation to the most energetic
 * cells_max is exercised) with energies over five orders of magnitude. */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "l0_model.h"
#include "l0_rng.h"
#include "l0_rtl.h"
#include "l0_rtl_engine.h"

typedef struct expect {
    uint32_t tag;
    int64_t raw;
    uint64_t first_cycle;
    int latency;
    int index;
} expect;

static int cmp_cell(const void *a, const void *b) {
    float x = ((const l0_cell *)a)->e, y = ((const l0_cell *)b)->e;
    return (x < y) - (x > y);
}

static void make_cluster(l0_rng *r, l0_cluster *c, l0_cell *cells, int max_cells) {
    int n = 1 + (int)l0_rng_below(r, (uint64_t)max_cells);
    c->eta = (float)(2.4 * l0_rng_uniform(r) - 1.2);
    c->phi = (float)(6.2 * l0_rng_uniform(r) - 3.1);
    c->e = 0;
    for (int k = 0; k < n; k++) {
        cells[k].e = (float)(0.05 * exp(l0_rng_uniform(r) * 9.0)); /* 0.05 .. 400 GeV */
        cells[k].eta = c->eta + (float)(0.3 * (l0_rng_uniform(r) - 0.5));
        cells[k].phi = c->phi + (float)(0.3 * (l0_rng_uniform(r) - 0.5));
        cells[k].sigma = 0.1f;
        cells[k].layer = (uint8_t)l0_rng_below(r, L0_NLAYERS);
        c->e += cells[k].e;
    }
    qsort(cells, (size_t)n, sizeof *cells, cmp_cell);
    c->n_cells = c->n_cells_total = (uint16_t)n;
    c->cells = cells;
    c->et = c->e;
}

int main(int argc, char **argv) {
    int n_clusters = argc > 1 ? atoi(argv[1]) : 3000;
    const l0_rtl_engine_info *info = l0_rtl_engine_info_get();
    l0_err err;
    l0_model m;
    if (l0_model_load(info->model_path, &m, &err)) {
        fprintf(stderr, "test_rtl_engine: %s\n", err.msg);
        return 1;
    }
    l0_rtl_cfg cfg = {info->lanes, info->reg_every, info->tag_w};
    if (l0_rtl_depth(&m, &cfg) != info->depth) {
        fprintf(stderr, "test_rtl_engine: the engine's depth %d differs from the formula's %d\n",
                info->depth, l0_rtl_depth(&m, &cfg));
        return 1;
    }
    l0_golden *g = l0_golden_create(&m, &err);
    l0_rtl_engine *e = l0_rtl_engine_create(&err);
    if (!g || !e) {
        fprintf(stderr, "test_rtl_engine: %s\n", err.msg);
        return 1;
    }
    l0_rtl_engine_reset(e);

    expect *q = calloc((size_t)n_clusters, sizeof *q);
    l0_cell *cells = calloc(L0_CELLS_MAX + 8, sizeof *cells);
    l0_rng r;
    l0_rng_seed(&r, 2026, 5);
    int head = 0, tail = 0, mismatches = 0, late = 0, lanes = info->lanes;
    uint64_t cells_in = 0;
    double feat[L0_MODEL_FEATURES_MAX];

    /* Check the output after every clock. */
#define CHECK_OUTPUT()                                                                             \
    do {                                                                                           \
        uint32_t tag;                                                                              \
        int64_t raw;                                                                               \
        if (l0_rtl_engine_output(e, &tag, &raw)) {                                                 \
            if (head == tail) {                                                                    \
                fprintf(stderr, "unexpected output at cycle %llu (tag %u)\n",                      \
                        (unsigned long long)l0_rtl_engine_cycle(e), tag);                          \
                mismatches++;                                                                      \
            } else {                                                                               \
                expect *x = &q[head++];                                                            \
                uint64_t lat = l0_rtl_engine_cycle(e) - x->first_cycle;                            \
                if (tag != x->tag || raw != x->raw) {                                              \
                    if (mismatches < 5)                                                            \
                        fprintf(stderr,                                                            \
                                "MISMATCH cluster %d: RTL tag %u raw %lld, golden tag %u raw "     \
                                "%lld\n",                                                          \
                                x->index, tag, (long long)raw, x->tag, (long long)x->raw);         \
                    mismatches++;                                                                  \
                }                                                                                  \
                if (lat != (uint64_t)x->latency) {                                                 \
                    if (late < 5)                                                                  \
                        fprintf(stderr, "LATENCY cluster %d: %llu clocks, formula %d\n", x->index, \
                                (unsigned long long)lat, x->latency);                              \
                    late++;                                                                        \
                }                                                                                  \
            }                                                                                      \
        }                                                                                          \
    } while (0)

    for (int i = 0; i < n_clusters; i++) {
        l0_cluster c;
        make_cluster(&r, &c, cells, m.cells_max + 8);
        int n = l0_model_cells_used(&m, &c);
        expect *x = &q[tail++];
        x->index = i;
        x->tag = (uint32_t)i & (uint32_t)((1ULL << info->tag_w) - 1);
        x->raw = l0_golden_run(g, &c, NULL);
        x->latency = l0_rtl_latency(&m, &cfg, c.n_cells);
        /* sometimes an idle gap between clusters */
        if (l0_rng_uniform(&r) < 0.2) {
            int gap = 1 + (int)l0_rng_below(&r, 3);
            for (int k = 0; k < gap; k++) {
                l0_rtl_engine_drive(e, NULL);
                l0_rtl_engine_clock(e);
                CHECK_OUTPUT();
            }
        }
        int beats = (n + lanes - 1) / lanes;
        for (int b = 0; b < beats; b++) {
            l0_rtl_beat beat;
            memset(&beat, 0, sizeof beat);
            beat.valid = 1;
            beat.first = b == 0;
            beat.last = b == beats - 1;
            beat.tag = x->tag;
            for (int l = 0; l < lanes; l++) {
                int k = b * lanes + l;
                if (k >= n) continue;
                beat.lane_valid |= 1u << l;
                l0_model_features(&m, &c, k, feat);
                for (int f = 0; f < m.n_feat; f++) {
                    int o;
                    l0_fx_from_double(feat[f], &m.t_in, &beat.feat[l * m.n_feat + f], &o);
                }
                cells_in++;
            }
            if (b == 0) x->first_cycle = l0_rtl_engine_cycle(e);
            l0_rtl_engine_drive(e, &beat);
            l0_rtl_engine_clock(e);
            CHECK_OUTPUT();
        }
    }
    for (int k = 0; k < info->depth + 4; k++) {
        l0_rtl_engine_drive(e, NULL);
        l0_rtl_engine_clock(e);
        CHECK_OUTPUT();
    }
    int missing = tail - head;
    const l0_ovf_counts *ov = l0_golden_ovf(g);
    uint64_t ovf_total = ov->input + ov->ksum;
    for (int k = 0; k < l0_model_n_layers(&m); k++) ovf_total += ov->accum[k] + ov->result[k];
    printf("test_rtl_engine: model %s (L=%d, depth %d): %d clusters, %llu cells, %llu clocks; "
           "%d mismatches, %d latencies off the formula, %d missing; golden casts that "
           "overflowed: %llu\n",
           info->model_path, lanes, info->depth, n_clusters, (unsigned long long)cells_in,
           (unsigned long long)l0_rtl_engine_cycle(e), mismatches, late, missing,
           (unsigned long long)ovf_total);
    l0_rtl_engine_destroy(e);
    l0_golden_free(g);
    l0_model_free(&m);
    free(q);
    free(cells);
    return (mismatches || late || missing) ? 1 : 0;
}
