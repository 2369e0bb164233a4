/* The detector: cell counts per layer, cell lookup, neighbours (8 in a layer with phi wrapping,
 * overlapping cells of the adjacent layers), their symmetry, and the material depths. */
#include <math.h>
#include <stdlib.h>

#include "gen_check.h"
#include "l0_geom.h"
#include "l0_shower.h"

static int has_nbr(const l0_geom *g, uint32_t a, uint32_t b) {
    for (uint32_t k = g->nbr_first[a]; k < g->nbr_first[a + 1]; k++)
        if (g->nbr[k] == b) return 1;
    return 0;
}

static int count_in_layer(const l0_geom *g, uint32_t c, int layer) {
    int n = 0;
    for (uint32_t k = g->nbr_first[c]; k < g->nbr_first[c + 1]; k++)
        n += g->cell_layer[g->nbr[k]] == layer;
    return n;
}

static uint32_t cell(const l0_geom *g, int l, int ie, int ip) {
    return g->layer[l].first + (uint32_t)(ie * g->layer[l].n_phi + ip);
}

int main(void) {
    l0_geom *g = l0_geom_create();
    CHECK(g != NULL, "geometry not created");
    if (!g) return 1;

    /* cell counts: 2.8 / deta rows x 2 pi / dphi columns */
    static const int neta[L0_NLAYERS] = {112, 896, 112, 56, 28, 28, 14};
    static const int nphi[L0_NLAYERS] = {64, 64, 256, 256, 64, 64, 64};
    uint32_t total = 0;
    for (int l = 0; l < L0_NLAYERS; l++) {
        CHECK(g->layer[l].n_eta == neta[l], "layer %s: %d eta rows, expected %d", g->layer[l].name,
              g->layer[l].n_eta, neta[l]);
        CHECK(g->layer[l].n_phi == nphi[l], "layer %s: %d phi columns, expected %d",
              g->layer[l].name, g->layer[l].n_phi, nphi[l]);
        CHECK(g->layer[l].first == total, "layer %s starts at %u, expected %u", g->layer[l].name,
              g->layer[l].first, total);
        total += (uint32_t)(neta[l] * nphi[l]);
    }
    CHECK(g->n_cells == 112000 && total == 112000, "%u cells, expected 112000", g->n_cells);

    /* lookup: each cell's centre maps back to the cell; outside |eta| < 1.4 there is none */
    int bad = 0;
    for (uint32_t c = 0; c < g->n_cells; c++) {
        int64_t k = l0_geom_cell_at(g, g->cell_layer[c], g->cell_eta[c], g->cell_phi[c]);
        bad += k != (int64_t)c;
        bad += fabs(g->cell_eta[c]) >= 1.4 || fabs(g->cell_phi[c]) > L0_GEOM_PI;
    }
    CHECK(bad == 0, "%d cells whose centre does not map back to them", bad);
    CHECK(l0_geom_cell_at(g, L0_LAYER_EMB2, 1.41, 0) == -1, "a cell beyond |eta| = 1.4");
    CHECK(l0_geom_cell_at(g, L0_LAYER_EMB2, 0.01, 3 * L0_GEOM_PI) ==
              l0_geom_cell_at(g, L0_LAYER_EMB2, 0.01, L0_GEOM_PI),
          "phi is not periodic");

    /* neighbours: symmetric, never the cell itself, sorted, no duplicates */
    int asym = 0, self = 0, order = 0;
    for (uint32_t c = 0; c < g->n_cells; c++)
        for (uint32_t k = g->nbr_first[c]; k < g->nbr_first[c + 1]; k++) {
            uint32_t j = g->nbr[k];
            self += j == c;
            asym += !has_nbr(g, j, c);
            if (k > g->nbr_first[c]) order += g->nbr[k - 1] >= j;
        }
    CHECK(asym == 0, "%d one-way neighbour links", asym);
    CHECK(self == 0, "%d cells are their own neighbour", self);
    CHECK(order == 0, "%d neighbour lists unsorted or with duplicates", order);

    /* same layer: 8 away from the eta edges, 5 on them; phi wraps */
    for (int l = 0; l < L0_NLAYERS; l++) {
        const l0_layer_info *L = &g->layer[l];
        CHECK(count_in_layer(g, cell(g, l, L->n_eta / 2, 0), l) == 8,
              "layer %s: interior cell "
              "has %d same-layer neighbours",
              L->name, count_in_layer(g, cell(g, l, L->n_eta / 2, 0), l));
        CHECK(count_in_layer(g, cell(g, l, 0, 5), l) == 5, "layer %s: edge cell has %d", L->name,
              count_in_layer(g, cell(g, l, 0, 5), l));
        CHECK(has_nbr(g, cell(g, l, 3, 0), cell(g, l, 3, L->n_phi - 1)),
              "layer %s: phi does not wrap", L->name);
        CHECK(has_nbr(g, cell(g, l, 3, 0), cell(g, l, 4, L->n_phi - 1)),
              "layer %s: diagonal across the phi wrap missing", L->name);
    }

    /* across layers: the cells whose eta-phi extents overlap (computed from the granularities) */
    struct {
        int l, m, n;
    } cross[] = {
        {L0_LAYER_PSB, L0_LAYER_EMB1, 8}, /* 0.025 x 0.098 over 0.003125 x 0.098 */
        {L0_LAYER_EMB1, L0_LAYER_PSB, 1},    {L0_LAYER_EMB1, L0_LAYER_EMB2, 4},
        {L0_LAYER_EMB2, L0_LAYER_EMB1, 8},   {L0_LAYER_EMB2, L0_LAYER_EMB3, 1},
        {L0_LAYER_EMB3, L0_LAYER_EMB2, 2},   {L0_LAYER_EMB3, L0_LAYER_TILE0, 1},
        {L0_LAYER_TILE0, L0_LAYER_EMB3, 8},  {L0_LAYER_TILE0, L0_LAYER_TILE1, 1},
        {L0_LAYER_TILE1, L0_LAYER_TILE2, 1}, {L0_LAYER_TILE2, L0_LAYER_TILE1, 2},
        {L0_LAYER_PSB, L0_LAYER_EMB2, 0},    {L0_LAYER_EMB1, L0_LAYER_EMB3, 0},
    };
    for (size_t i = 0; i < sizeof cross / sizeof cross[0]; i++) {
        const l0_layer_info *L = &g->layer[cross[i].l];
        uint32_t c = cell(g, cross[i].l, L->n_eta / 2 + 1, 7);
        int n = count_in_layer(g, c, cross[i].m);
        CHECK(n == cross[i].n, "%s cell: %d neighbours in %s, expected %d", L->name, n,
              g->layer[cross[i].m].name, cross[i].n);
        /* and they really overlap */
        for (uint32_t k = g->nbr_first[c]; k < g->nbr_first[c + 1]; k++) {
            uint32_t j = g->nbr[k];
            if (g->cell_layer[j] != cross[i].m) continue;
            const l0_layer_info *M = &g->layer[cross[i].m];
            double de = fabs(g->cell_eta[j] - g->cell_eta[c]);
            double dp = fabs(l0_geom_wrap_phi(g->cell_phi[j] - g->cell_phi[c]));
            CHECK(de < 0.5 * (L->deta + M->deta) && dp < 0.5 * (L->dphi + M->dphi),
                  "%s-%s neighbours do not overlap", L->name, M->name);
        }
    }

    /* depths: 22.3 X0 of accordion, 7.4 lambda of Tile, more along an inclined path */
    double x0[L0_GEOM_NSLABS + 1], la[L0_GEOM_NSLABS + 1], x1[L0_GEOM_NSLABS + 1],
        l1[L0_GEOM_NSLABS + 1];
    l0_geom_depths(g, 0.0, x0, la);
    l0_geom_depths(g, 1.0, x1, l1);
    double acc = 0, tile = 0;
    for (int k = 0; k < L0_GEOM_NSLABS; k++) {
        int l = g->slab[k].layer;
        if (l >= L0_LAYER_EMB1 && l <= L0_LAYER_EMB3) acc += g->slab[k].x0;
        if (l >= L0_LAYER_TILE0) tile += g->slab[k].lambda;
    }
    CHECK(fabs(acc - 22.3) < 0.05, "accordion %.2f X0, expected 22.3", acc);
    CHECK(fabs(tile - 7.4) < 0.05, "Tile %.2f lambda, expected 7.4 (1.5 + 4.1 + 1.8)", tile);
    CHECK(la[L0_GEOM_NSLABS] > 9.0 && la[L0_GEOM_NSLABS] < 10.0, "total %.2f lambda at eta 0",
          la[L0_GEOM_NSLABS]);
    CHECK(fabs(l1[L0_GEOM_NSLABS] / la[L0_GEOM_NSLABS] - cosh(1.0)) < 1e-9,
          "depth does not scale as cosh(eta)");

    /* a window region: rounded out to whole cells, wrapping in phi */
    l0_region rg;
    l0_region_window(g, 0.0, L0_GEOM_PI - 0.05, 0.3, &rg);
    CHECK(rg.n_iphi[L0_LAYER_EMB2] >= 24 && rg.n_iphi[L0_LAYER_EMB2] <= 26,
          "window of %d EMB2 columns", rg.n_iphi[L0_LAYER_EMB2]);
    CHECK(rg.iphi_lo[L0_LAYER_EMB2] + rg.n_iphi[L0_LAYER_EMB2] > 256, "window does not wrap");
    CHECK(l0_region_near(&rg, 0.1, -L0_GEOM_PI + 0.1, 0.0), "wrapped point not in the window");
    CHECK(!l0_region_near(&rg, 0.5, 0.0, 0.1), "far point in the window");

    l0_geom_destroy(g);
    GEN_TEST_END("test_gen_geom");
}
