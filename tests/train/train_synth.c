#include "train_synth.h"

#include <math.h>
#include <stdio.h>
#include <stdlib.h>

#include "l0_rng.h"

int synth_failures = 0;

static const double RESPONSE[L0_NLAYERS] = {1.0, 1.0, 1.0, 1.0, 0.75, 0.65, 0.6};

static int by_energy(const void *a, const void *b) {
    float x = ((const l0_cell *)a)->e, y = ((const l0_cell *)b)->e;
    return x > y ? -1 : x < y;
}

l0_cluster *synth_clusters(size_t n, int max_cells, uint64_t seed) {
    l0_cluster *cl = calloc(n, sizeof *cl);
    if (!cl) abort();
    for (size_t k = 0; k < n; k++) {
        l0_rng r;
        l0_rng_seed(&r, seed, k);
        l0_cluster *c = &cl[k];
        double truth = 5.0 * exp(l0_rng_uniform(&r) * log(100.0));
        int nc = 1 + (int)l0_rng_below(&r, (uint64_t)max_cells);
        c->cells = calloc((size_t)nc, sizeof *c->cells);
        if (!c->cells) abort();
        c->eta = (float)(2.8 * l0_rng_uniform(&r) - 1.4);
        c->phi = (float)(6.28 * l0_rng_uniform(&r) - 3.14);
        /* hadronic-like showers go deeper */
        double depth = l0_rng_uniform(&r);
        double wsum = 0, w[L0_CELLS_MAX];
        for (int i = 0; i < nc; i++) wsum += (w[i] = l0_rng_exponential(&r));
        double e_sum = 0;
        for (int i = 0; i < nc; i++) {
            l0_cell *cell = &c->cells[i];
            int layer = (int)(l0_rng_uniform(&r) * (3 + 4 * depth));
            if (layer >= L0_NLAYERS) layer = L0_NLAYERS - 1;
            cell->layer = (uint8_t)layer;
            cell->e = (float)(truth * w[i] / wsum * RESPONSE[layer]);
            cell->eta = c->eta + (float)(0.05 * l0_rng_normal(&r));
            cell->phi = c->phi + (float)(0.05 * l0_rng_normal(&r));
            cell->sigma = 0.1f;
            e_sum += cell->e;
        }
        qsort(c->cells, (size_t)nc, sizeof *c->cells, by_energy);
        /* the truth the network can see: recomputed from the float energies */
        double t = 0;
        for (int i = 0; i < nc; i++) t += c->cells[i].e / RESPONSE[c->cells[i].layer];
        c->n_cells = c->n_cells_total = (uint16_t)nc;
        c->e = (float)e_sum;
        c->et = (float)(e_sum / cosh(c->eta));
        c->truth_e = (float)t;
        c->truth_pdg = 211;
    }
    return cl;
}

void synth_free(l0_cluster *c, size_t n) {
    for (size_t k = 0; k < n; k++) free(c[k].cells);
    free(c);
}

void synth_dataset(l0_dataset *ds, const l0_model *m, const l0_cluster *c, size_t n,
                   uint64_t seed) {
    l0_err err;
    l0_dataset_init(ds, m);
    for (size_t k = 0; k < n; k++)
        if (l0_dataset_add_cluster(ds, m, &c[k], L0_SPLIT_AUTO, &err) < 0) {
            fprintf(stderr, "synth_dataset: %s\n", err.msg);
            exit(1);
        }
    if (l0_dataset_split(ds, 0.25, seed, &err)) {
        fprintf(stderr, "synth_dataset: %s\n", err.msg);
        exit(1);
    }
}
