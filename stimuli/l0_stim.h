/* l0_stim: the in-memory form of simulated calorimeter data, shared by the generator, the
 * stimulus file reader and writer, the golden model and the drivers.
 *
 * One l0_event is one bunch crossing (or, in a training set, one single-particle record):
 * the clusters found by topoclustering, sorted by Et (highest first), each with up to C cells
 * sorted by energy (highest first). Units: GeV, radians; eta and phi of cells are absolute. */
#ifndef L0_STIM_H
#define L0_STIM_H

#include <stdint.h>

/* Sampling layers of the ATLAS-like barrel, in depth order. */
enum {
    L0_LAYER_PSB = 0,
    L0_LAYER_EMB1,
    L0_LAYER_EMB2,
    L0_LAYER_EMB3,
    L0_LAYER_TILE0,
    L0_LAYER_TILE1,
    L0_LAYER_TILE2,
    L0_NLAYERS
};

#define L0_CELLS_MAX 128 /* the most cells a cluster can keep (C <= 128) */

typedef struct l0_cell {
    float e;       /* deposited energy at the EM scale, GeV (may be negative: noise) */
    float eta;     /* cell centre */
    float phi;     /* cell centre, in (-pi, pi] */
    float sigma;   /* total noise (electronic + pile-up) of the cell, GeV */
    uint8_t layer; /* L0_LAYER_* */
} l0_cell;

typedef struct l0_cluster {
    float e;        /* EM-scale energy: sum of all the cluster's cells (before truncation to C) */
    float et;       /* e / cosh(eta) */
    float eta, phi; /* energy-weighted barycentre */
    float truth_e;  /* true energy of the matched generated particle, 0 if none (pile-up) */
    int32_t truth_pdg;      /* PDG id of the matched particle (211, -211, 22, 11), 0 if none */
    uint16_t n_cells;       /* cells kept, <= C */
    uint16_t n_cells_total; /* cells in the cluster before truncation to C */
    l0_cell *cells;         /* n_cells entries, by energy, highest first */
} l0_cluster;

typedef struct l0_event {
    uint32_t orbit; /* orbit number, from 0 */
    uint16_t bx;    /* bunch slot in the orbit, 0..3563 */
    uint8_t filled; /* 1 if the slot holds colliding bunches (an event), else 0 */
    uint8_t n_hard; /* hard particles embedded in this crossing */
    uint32_t n_clusters;
    l0_cluster *clusters; /* n_clusters entries, by Et, highest first */
} l0_event;

#endif
