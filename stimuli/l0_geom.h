/* l0_geom: the ATLAS-like barrel calorimeter of the simulation.
 *
 * |eta| < 1.4, full phi, seven sampling layers (L0_LAYER_* of l0_stim.h) with the granularities
 * of REFERENCE.md. Cells are projective: a cell is a rectangle in (eta, phi), the same at every
 * depth of its layer. Cell index = layer offset + ieta * n_phi + iphi, with ieta counted from
 * eta = -1.4 and iphi from phi = -pi. Neighbours (8 in the layer, phi wrapping, and every cell of
 * an adjacent layer whose eta-phi extent overlaps) are computed at creation, not tabulated.
 *
 * Along a particle's path the material is a stack of slabs (active layers and dead material),
 * each with its thickness in radiation lengths X0 and interaction lengths lambda at eta = 0;
 * a path at eta crosses cosh(eta) times as much. The numbers and their sources are in l0_geom.c
 * and docs/stimuli.md. Units: cm, GeV, radians. */
#ifndef L0_GEOM_H
#define L0_GEOM_H

#include <stddef.h>
#include <stdint.h>

#include "l0_stim.h"

#define L0_GEOM_ETA_MAX 1.4
#define L0_GEOM_PI 3.14159265358979323846

typedef struct l0_layer_info {
    const char *name; /* "PreSamplerB", "EMB1", ... */
    double deta, dphi;
    double inv_deta, inv_dphi;
    int n_eta, n_phi;
    uint32_t first; /* index of the layer's first cell */
    double r_mid;   /* radius of the layer's middle, cm (lateral spread -> eta/phi) */
    double noise;   /* electronic noise per cell, GeV (EM scale) */
} l0_layer_info;

/* A slab of the longitudinal stack, from the inside out. layer < 0: dead material. */
typedef struct l0_slab {
    const char *name;
    int layer;          /* L0_LAYER_* or -1 */
    double r_in, r_out; /* cm */
    double x0, lambda;  /* thickness at eta = 0 in X0 and in lambda */
    double moliere;     /* Moliere radius of the medium, cm (EM lateral spread) */
    double lambda_cm;   /* interaction length of the medium, cm (hadronic lateral spread) */
    double e_over_h;    /* non-compensation of the medium (applied to the non-EM part) */
    double mip;         /* energy a MIP loses crossing it at eta = 0, GeV (its signal if active) */
} l0_slab;

#define L0_GEOM_NSLABS 10

typedef struct l0_geom {
    l0_layer_info layer[L0_NLAYERS];
    l0_slab slab[L0_GEOM_NSLABS];
    uint32_t n_cells;
    /* Neighbours, CSR: cell i's neighbours are nbr[nbr_first[i] .. nbr_first[i+1]). */
    uint32_t *nbr_first; /* n_cells + 1 */
    uint32_t *nbr;
    /* Cell centres, by index. */
    float *cell_eta, *cell_phi;
    uint8_t *cell_layer;
} l0_geom;

/* Build the geometry (allocates about 10 MB). Returns NULL when out of memory. */
l0_geom *l0_geom_create(void);
void l0_geom_destroy(l0_geom *g);

/* The cell of `layer` containing (eta, phi), or -1 outside |eta| < 1.4. phi any real. */
static inline int64_t l0_geom_cell_at(const l0_geom *g, int layer, double eta, double phi);

/* (ieta, iphi) of a cell index within its layer. */
void l0_geom_cell_ij(const l0_geom *g, uint32_t cell, int *layer, int *ieta, int *iphi);

/* phi folded into (-pi, pi]. */
double l0_geom_wrap_phi(double phi);

/* Cumulative depth of the slab boundaries along a path at eta: x0_edge[k] and lambda_edge[k]
 * are the depths at which slab k starts (k = 0..L0_GEOM_NSLABS, the last is the back end). */
void l0_geom_depths(const l0_geom *g, double eta, double x0_edge[L0_GEOM_NSLABS + 1],
                    double lambda_edge[L0_GEOM_NSLABS + 1]);

/* ---- inline ---- */
#include <math.h>

static inline int64_t l0_geom_cell_at(const l0_geom *g, int layer, double eta, double phi) {
    const l0_layer_info *L = &g->layer[layer];
    double fe = (eta + L0_GEOM_ETA_MAX) / L->deta;
    if (!(fe >= 0) || fe >= (double)L->n_eta) return -1;
    double fp = (phi + L0_GEOM_PI) / L->dphi;
    int64_t ip = (int64_t)floor(fp);
    ip %= L->n_phi;
    if (ip < 0) ip += L->n_phi;
    return (int64_t)L->first + (int64_t)fe * L->n_phi + ip;
}

#endif
