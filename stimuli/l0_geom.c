#include "l0_geom.h"

#include <stdlib.h>
#include <string.h>

/* Granularities: REFERENCE.md (ATLAS detector paper; caloml-atlas util/ml_util.py). EMB1's
 * 0.0031 is the strip pitch 0.025/8; a phi pitch quoted as 0.1 or 0.098 is 2pi/64, 0.0245 is
 * 2pi/256 (the ATLAS segmentation).
 *
 * Electronic noise per cell (GeV, high gain): the project's choice, of the order of the ATLAS
 * Run-2 values (EPJC 77 (2017) 490, "Topological cell clustering in the ATLAS calorimeters",
 * electronic noise versus |eta|: 10-50 MeV in the EM barrel layers, 20-30 MeV in Tile), taken
 * constant in eta. */
static const struct {
    const char *name;
    double deta;
    int n_phi;
    double noise;
} LAYERS[L0_NLAYERS] = {
    {"PreSamplerB", 0.025, 64, 0.025}, {"EMB1", 0.025 / 8, 64, 0.015}, {"EMB2", 0.025, 256, 0.030},
    {"EMB3", 0.05, 256, 0.020},        {"TileBar0", 0.1, 64, 0.020},   {"TileBar1", 0.1, 64, 0.020},
    {"TileBar2", 0.2, 64, 0.020},
};

/* The longitudinal stack at eta = 0, the project's choice from the ATLAS detector paper
 * (JINST 3 S08003): about 2.3 X0 in front of the accordion (inner detector, solenoid, cryostat;
 * the presampler sits inside it); accordion layers of 4.3, 16 and 2 X0 (22.3 X0 in all, an
 * effective X0 of 1.96 cm and lambda of 38.6 cm for the Pb/LAr/steel/kapton accordion cell);
 * the cryostat between LAr and Tile (about 1.5 X0 of aluminium, 0.33 lambda); Tile layers of 1.5,
 * 4.1 and 1.8 lambda (steel:scintillator 4.7:1, X0 2.13 cm, lambda 19.6 cm). In all 9.4 lambda to
 * the back of Tile (ATLAS quotes 9.7 lambda with the outer support).
 * Moliere radius R_M = 21.2 MeV X0 / E_c: 4.2 cm in the accordion (E_c ~ 10 MeV), 2.2 cm in Tile.
 * e/h: REFERENCE.md (LAr EM 1.74, Tile 1.36).
 * MIP: the energy a minimum-ionising particle loses in the slab at eta = 0; in active layers
 * it is also its EM-scale signal: ~10 MeV per X0 in the accordion (dE/dx of Pb over e/mip ~
 * 0.65), ~10.5 MeV per cm in Tile; in the dead aluminium 39 MeV per X0 (PDG dE/dx times X0). */
static const l0_slab SLABS[L0_GEOM_NSLABS] = {
    {"inner detector + solenoid + cryostat", -1, 115.0, 142.0, 1.7, 0.38, 4.2, 38.6, 1.0, 0.066},
    {"PreSamplerB", L0_LAYER_PSB, 142.0, 145.0, 0.2, 0.01, 4.2, 38.6, 1.74, 0.002},
    {"presampler-accordion gap", -1, 145.0, 150.0, 0.4, 0.05, 4.2, 38.6, 1.0, 0.016},
    {"EMB1", L0_LAYER_EMB1, 150.0, 158.4, 4.3, 0.22, 4.2, 38.6, 1.74, 0.043},
    {"EMB2", L0_LAYER_EMB2, 158.4, 189.8, 16.0, 0.81, 4.2, 38.6, 1.74, 0.160},
    {"EMB3", L0_LAYER_EMB3, 189.8, 193.7, 2.0, 0.10, 4.2, 38.6, 1.74, 0.020},
    {"LAr cryostat, LAr-Tile gap", -1, 193.7, 228.0, 1.5, 0.33, 4.2, 38.6, 1.0, 0.058},
    {"TileBar0", L0_LAYER_TILE0, 228.0, 257.4, 13.8, 1.5, 2.2, 19.6, 1.36, 0.31},
    {"TileBar1", L0_LAYER_TILE1, 257.4, 337.8, 37.7, 4.1, 2.2, 19.6, 1.36, 0.84},
    {"TileBar2", L0_LAYER_TILE2, 337.8, 373.1, 16.6, 1.8, 2.2, 19.6, 1.36, 0.37},
};

double l0_geom_wrap_phi(double phi) {
    const double tp = 2 * L0_GEOM_PI;
    if (phi > L0_GEOM_PI || phi <= -L0_GEOM_PI) {
        phi = fmod(phi + L0_GEOM_PI, tp);
        if (phi <= 0) phi += tp;
        phi -= L0_GEOM_PI;
    }
    return phi;
}

void l0_geom_cell_ij(const l0_geom *g, uint32_t cell, int *layer, int *ieta, int *iphi) {
    int l = g->cell_layer[cell];
    uint32_t k = cell - g->layer[l].first;
    if (layer) *layer = l;
    if (ieta) *ieta = (int)(k / (uint32_t)g->layer[l].n_phi);
    if (iphi) *iphi = (int)(k % (uint32_t)g->layer[l].n_phi);
}

void l0_geom_depths(const l0_geom *g, double eta, double x0_edge[L0_GEOM_NSLABS + 1],
                    double lambda_edge[L0_GEOM_NSLABS + 1]) {
    double c = cosh(eta), x = 0, l = 0;
    for (int k = 0; k < L0_GEOM_NSLABS; k++) {
        x0_edge[k] = x;
        lambda_edge[k] = l;
        x += g->slab[k].x0 * c;
        l += g->slab[k].lambda * c;
    }
    x0_edge[L0_GEOM_NSLABS] = x;
    lambda_edge[L0_GEOM_NSLABS] = l;
}

/* Rows (or columns) [*lo, *hi] of a grid of pitch `pitch` from 0 that overlap [a, b] by more
 * than a rounding error. */
static void overlap_range(double a, double b, double pitch, int *lo, int *hi) {
    const double eps = 1e-9;
    *lo = (int)floor(a / pitch + eps);
    *hi = (int)ceil(b / pitch - eps) - 1;
}

static int cmp_u32(const void *a, const void *b) {
    uint32_t x = *(const uint32_t *)a, y = *(const uint32_t *)b;
    return (x > y) - (x < y);
}

/* Neighbours of one cell into out[] (at most 64), sorted. Returns the count. */
static int cell_neighbours(const l0_geom *g, int l, int ie, int ip, uint32_t *out) {
    const l0_layer_info *L = &g->layer[l];
    int n = 0;
    for (int de = -1; de <= 1; de++) {
        int je = ie + de;
        if (je < 0 || je >= L->n_eta) continue;
        for (int dp = -1; dp <= 1; dp++) {
            if (!de && !dp) continue;
            int jp = ((ip + dp) % L->n_phi + L->n_phi) % L->n_phi;
            out[n++] = L->first + (uint32_t)(je * L->n_phi + jp);
        }
    }
    double e_lo = ie * L->deta, e_hi = (ie + 1) * L->deta; /* from eta = -1.4 */
    double p_lo = ip * L->dphi, p_hi = (ip + 1) * L->dphi; /* from phi = -pi */
    for (int m = l - 1; m <= l + 1; m += 2) {
        if (m < 0 || m >= L0_NLAYERS) continue;
        const l0_layer_info *M = &g->layer[m];
        int a, b, c, d;
        overlap_range(e_lo, e_hi, M->deta, &a, &b);
        overlap_range(p_lo, p_hi, M->dphi, &c, &d);
        for (int je = a; je <= b; je++) {
            if (je < 0 || je >= M->n_eta) continue;
            for (int jp = c; jp <= d && n < 64; jp++) {
                int kp = (jp % M->n_phi + M->n_phi) % M->n_phi;
                out[n++] = M->first + (uint32_t)(je * M->n_phi + kp);
            }
        }
    }
    qsort(out, (size_t)n, sizeof *out, cmp_u32);
    /* phi wrap with very few columns could repeat a cell: drop duplicates */
    int k = 0;
    for (int i = 0; i < n; i++)
        if (!k || out[k - 1] != out[i]) out[k++] = out[i];
    return k;
}

l0_geom *l0_geom_create(void) {
    l0_geom *g = calloc(1, sizeof *g);
    if (!g) return NULL;
    uint32_t first = 0;
    for (int l = 0; l < L0_NLAYERS; l++) {
        l0_layer_info *L = &g->layer[l];
        L->name = LAYERS[l].name;
        L->deta = LAYERS[l].deta;
        L->n_eta = (int)lround(2 * L0_GEOM_ETA_MAX / L->deta);
        L->n_phi = LAYERS[l].n_phi;
        L->dphi = 2 * L0_GEOM_PI / L->n_phi;
        L->inv_deta = 1.0 / L->deta;
        L->inv_dphi = L->n_phi / (2 * L0_GEOM_PI);
        L->first = first;
        L->noise = LAYERS[l].noise;
        first += (uint32_t)(L->n_eta * L->n_phi);
    }
    memcpy(g->slab, SLABS, sizeof SLABS);
    for (int k = 0; k < L0_GEOM_NSLABS; k++)
        if (g->slab[k].layer >= 0)
            g->layer[g->slab[k].layer].r_mid = 0.5 * (g->slab[k].r_in + g->slab[k].r_out);
    g->n_cells = first;
    g->nbr_first = malloc((g->n_cells + 1) * sizeof *g->nbr_first);
    g->cell_eta = malloc(g->n_cells * sizeof *g->cell_eta);
    g->cell_phi = malloc(g->n_cells * sizeof *g->cell_phi);
    g->cell_layer = malloc(g->n_cells);
    if (!g->nbr_first || !g->cell_eta || !g->cell_phi || !g->cell_layer) goto fail;
    size_t cap = (size_t)g->n_cells * 16, n = 0;
    g->nbr = malloc(cap * sizeof *g->nbr);
    if (!g->nbr) goto fail;
    for (int l = 0; l < L0_NLAYERS; l++) {
        const l0_layer_info *L = &g->layer[l];
        for (int ie = 0; ie < L->n_eta; ie++)
            for (int ip = 0; ip < L->n_phi; ip++) {
                uint32_t c = L->first + (uint32_t)(ie * L->n_phi + ip);
                g->cell_layer[c] = (uint8_t)l;
                g->cell_eta[c] = (float)(-L0_GEOM_ETA_MAX + (ie + 0.5) * L->deta);
                g->cell_phi[c] = (float)(-L0_GEOM_PI + (ip + 0.5) * L->dphi);
            }
    }
    for (uint32_t c = 0; c < g->n_cells; c++) {
        int l, ie, ip;
        l0_geom_cell_ij(g, c, &l, &ie, &ip);
        uint32_t tmp[64];
        int k = cell_neighbours(g, l, ie, ip, tmp);
        if (n + (size_t)k > cap) {
            cap *= 2;
            uint32_t *p = realloc(g->nbr, cap * sizeof *p);
            if (!p) goto fail;
            g->nbr = p;
        }
        g->nbr_first[c] = (uint32_t)n;
        memcpy(g->nbr + n, tmp, (size_t)k * sizeof *tmp);
        n += (size_t)k;
    }
    g->nbr_first[g->n_cells] = (uint32_t)n;
    return g;
fail:
    l0_geom_destroy(g);
    return NULL;
}

void l0_geom_destroy(l0_geom *g) {
    if (!g) return;
    free(g->nbr_first);
    free(g->nbr);
    free(g->cell_eta);
    free(g->cell_phi);
    free(g->cell_layer);
    free(g);
}
