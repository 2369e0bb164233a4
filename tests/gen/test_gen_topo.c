/* Topoclustering (4-2) on hand-made cell maps, and the multilinear cell encoding. */
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "gen_check.h"
#include "l0_cellenc.h"
#include "l0_geom.h"
#include "l0_topo.h"

static l0_geom *g;
static float *e, *sig, *sigma;
static uint32_t *active;
static size_t n_active;

static uint32_t cell(int l, int ie, int ip) {
    return g->layer[l].first + (uint32_t)(ie * g->layer[l].n_phi + ip);
}

/* a cell of energy E with noise 0.1 GeV; it takes part when E/sigma >= 2 */
static void put(int l, int ie, int ip, float energy) {
    uint32_t c = cell(l, ie, ip);
    e[c] = energy;
    sigma[c] = 0.1f;
    sig[c] = energy / 0.1f;
    if (sig[c] >= L0_TOPO_GROW) active[n_active++] = c;
}

static int64_t find_cluster(const l0_topo *t, int l, int ie, int ip) {
    return l0_topo_cluster_of(t, cell(l, ie, ip));
}

int main(void) {
    g = l0_geom_create();
    e = calloc(g->n_cells, sizeof *e);
    sig = calloc(g->n_cells, sizeof *sig);
    sigma = calloc(g->n_cells, sizeof *sigma);
    active = calloc(g->n_cells, sizeof *active);
    l0_topo *t = l0_topo_create(g);
    CHECK(g && e && sig && sigma && active && t, "out of memory");
    if (!g || !e || !sig || !sigma || !active || !t) return 1;
    const int B = L0_LAYER_EMB2;

    /* 1: two separate seeds */
    put(B, 60, 10, 0.5f);
    put(B, 60, 20, 0.6f);
    /* 2: a seed and a chain of 2-sigma cells; a 3-sigma cell two rows away stays out */
    put(B, 50, 100, 0.5f);
    put(B, 51, 100, 0.25f);
    put(B, 52, 101, 0.25f);
    put(B, 53, 102, 0.25f);
    put(B, 55, 102, 0.30f);
    /* 3: two seeds joined by a bridge of 2.5-sigma cells: one cluster */
    put(B, 30, 50, 0.45f);
    put(B, 30, 51, 0.25f);
    put(B, 30, 52, 0.25f);
    put(B, 30, 53, 0.55f);
    /* 4: below seed threshold everywhere: nothing */
    put(B, 70, 70, 0.39f);
    put(B, 70, 71, 0.39f);
    /* 5: across layers: an EMB2 seed and the EMB1 strip over it */
    put(B, 80, 200, 0.8f);
    put(L0_LAYER_EMB1, 80 * 8 + 3, 200 / 4, 0.25f);
    /* 6: across the phi wrap */
    put(B, 90, 0, 0.5f);
    put(B, 90, 255, 0.5f);
    /* 7: a 10 x 10 block, truncated to 64 cells */
    double block = 0;
    for (int i = 0; i < 100; i++) {
        float en = 0.2f + 0.01f * (float)i;
        put(B, 100 + i / 10, 120 + i % 10, en);
        block += en;
    }
    /* below 2 sigma: not even listed as active */
    put(B, 20, 20, 0.19f);
    /* negative energies never take part */
    put(B, 21, 30, -0.9f);

    l0_clusters out;
    memset(&out, 0, sizeof out);
    int64_t n = l0_topo_run(t, active, n_active, e, sig, sigma, L0_TOPO_SEED, 64, &out);
    CHECK(n == 7, "%lld clusters, expected 7", (long long)n);

    /* sorted by Et, highest first */
    for (int64_t k = 1; k < n; k++)
        CHECK(out.c[k - 1].et >= out.c[k].et, "clusters %lld and %lld out of Et order",
              (long long)k - 1, (long long)k);

    int64_t k1 = find_cluster(t, B, 60, 10), k1b = find_cluster(t, B, 60, 20);
    CHECK(k1 >= 0 && k1b >= 0 && k1 != k1b, "separate seeds merged or lost");
    if (k1 >= 0 && k1b >= 0) CHECK(k1b < k1, "the 0.6 GeV cluster not before the 0.5 GeV one");

    int64_t k2 = find_cluster(t, B, 50, 100);
    CHECK(k2 >= 0 && find_cluster(t, B, 53, 102) == k2, "chain of 2-sigma cells not grown");
    CHECK(find_cluster(t, B, 55, 102) == -1, "a cell not adjacent to the cluster joined it");
    if (k2 >= 0) {
        CHECK(out.c[k2].n_cells_total == 4, "chain cluster has %u cells, expected 4",
              out.c[k2].n_cells_total);
        CHECK(fabs(out.c[k2].e - 1.25) < 1e-5, "chain cluster E %g, expected 1.25", out.c[k2].e);
    }

    int64_t k3 = find_cluster(t, B, 30, 50);
    CHECK(k3 >= 0 && find_cluster(t, B, 30, 53) == k3, "seeds joined by a bridge not merged");
    CHECK(find_cluster(t, B, 70, 70) == -1, "a cluster without a 4-sigma seed");

    int64_t k5 = find_cluster(t, B, 80, 200);
    CHECK(k5 >= 0 && find_cluster(t, L0_LAYER_EMB1, 643, 50) == k5,
          "the EMB1 strip over the EMB2 seed not in its cluster");
    if (k5 >= 0) {
        int layers[L0_NLAYERS] = {0};
        for (int i = 0; i < out.c[k5].n_cells; i++) layers[out.c[k5].cells[i].layer]++;
        CHECK(layers[L0_LAYER_EMB1] == 1 && layers[B] == 1, "cross-layer cluster cells wrong");
    }

    int64_t k6 = find_cluster(t, B, 90, 0);
    CHECK(k6 >= 0 && find_cluster(t, B, 90, 255) == k6, "phi wrap not connected");
    if (k6 >= 0)
        CHECK(fabs(out.c[k6].phi) > 3.13, "barycentre across the wrap at phi %g, expected +-pi",
              out.c[k6].phi);

    int64_t k7 = find_cluster(t, B, 100, 120);
    CHECK(k7 >= 0, "block not clustered");
    if (k7 >= 0) {
        const l0_cluster *c = &out.c[k7];
        CHECK(c->n_cells == 64 && c->n_cells_total == 100,
              "block kept %u of %u cells, expected "
              "64 of 100",
              c->n_cells, c->n_cells_total);
        CHECK(fabs(c->e - block) < 1e-3, "block E %g, expected the sum of all 100 cells %g", c->e,
              block);
        for (int i = 1; i < c->n_cells; i++)
            CHECK(c->cells[i - 1].e >= c->cells[i].e, "cells not sorted by energy");
        CHECK(fabs(c->cells[0].e - 1.19f) < 1e-5, "most energetic cell %g, expected 1.19",
              c->cells[0].e);
        CHECK(fabs(c->et - c->e / cosh(c->eta)) < 1e-4, "Et is not E / cosh(eta)");
        CHECK(c->cells[0].sigma == 0.1f && c->cells[0].layer == B, "cell sigma/layer lost");
        CHECK(c->truth_e == 0 && c->truth_pdg == 0, "topoclustering set truth");
    }
    CHECK(find_cluster(t, B, 20, 20) == -1 && find_cluster(t, B, 21, 30) == -1,
          "cells below 2 sigma clustered");

    /* with C = 1 only the seed cell is kept, the energy is still the sum */
    n = l0_topo_run(t, active, n_active, e, sig, sigma, L0_TOPO_SEED, 1, &out);
    k7 = find_cluster(t, B, 100, 120);
    CHECK(n == 7 && k7 >= 0 && out.c[k7].n_cells == 1 && fabs(out.c[k7].e - block) < 1e-3,
          "C = 1 truncation wrong");
    /* an empty map */
    n = l0_topo_run(t, active, 0, e, sig, sigma, L0_TOPO_SEED, 64, &out);
    CHECK(n == 0 && out.n == 0, "clusters from no cells");
    CHECK(find_cluster(t, B, 60, 10) == -1, "labels not reset between runs");

    /* the multilinear encoding (athena LArCellPreparationAlg, 6 bits, 40 MeV, gain 4) */
    l0_cellenc enc;
    l0_err err;
    CHECK(l0_cellenc_init(&enc, 6, 0.040, 4, &err) == 0, "6-bit init failed");
    double edges[5] = {0, 0.64, 3.2, 13.44, 54.4};
    for (int i = 0; i < 5; i++)
        CHECK(fabs(enc.edge[i] - edges[i]) < 1e-9, "range edge %d: %g, expected %g", i, enc.edge[i],
              edges[i]);
    struct {
        double in, out;
        int code;
    } ev[] = {{-1.0, 0, 0},     {0.0, 0, 0},       {0.039, 0, 0},     {0.040, 0.040, 1},
              {0.63, 0.60, 15}, {0.64, 0.60, 15},  {0.70, 0.64, 16},  {3.3, 3.2, 32},
              {13.0, 12.8, 47}, {20.0, 18.56, 50}, {54.4, 51.84, 63}, {100.0, 51.84, 63}};
    for (size_t i = 0; i < sizeof ev / sizeof ev[0]; i++) {
        int code = l0_cellenc_code(&enc, ev[i].in);
        double v = l0_cellenc_apply(&enc, ev[i].in);
        CHECK(code == ev[i].code && fabs(v - ev[i].out) < 1e-9,
              "encode %g GeV: code %d value %g, expected code %d value %g", ev[i].in, code, v,
              ev[i].code, ev[i].out);
    }
    CHECK(l0_cellenc_init(&enc, 10, 0.040, 4, &err) == 0 && fabs(enc.edge[4] - 870.4) < 1e-9,
          "10-bit top edge %g, expected 870.4", enc.edge[4]);
    CHECK(l0_cellenc_init(&enc, 5, 0.040, 4, &err) == -1, "5 bits accepted");
    CHECK(l0_cellenc_init(&enc, 0, 0.040, 4, &err) == 0 && l0_cellenc_apply(&enc, 7.77) == 7.77,
          "encoding off is not the identity");

    l0_clusters_free(&out);
    l0_topo_destroy(t);
    free(e);
    free(sig);
    free(sigma);
    free(active);
    l0_geom_destroy(g);
    GEN_TEST_END("test_gen_topo");
}
