#include "study_synth.h"

#include <math.h>
#include <stdio.h>
#include <stdlib.h>

#include "l0_rng.h"

void synth_clusters(l0_clset *s, int n, int cells, uint64_t seed) {
    l0_cell *cl = calloc((size_t)cells, sizeof *cl);
    l0_rng r;
    l0_err err;
    l0_rng_seed(&r, seed, 0);
    for (int i = 0; i < n; i++) {
        double e_true = exp(l0_rng_uniform(&r) * log(500.0));
        l0_cluster c = {.eta = (float)(2.4 * l0_rng_uniform(&r) - 1.2),
                        .phi = (float)(6.2 * l0_rng_uniform(&r) - 3.1),
                        .truth_e = (float)e_true,
                        .truth_pdg = 211,
                        .n_cells = (uint16_t)cells,
                        .n_cells_total = (uint16_t)cells,
                        .cells = cl};
        double left = 0.7 * e_true;
        for (int k = 0; k < cells; k++) {
            double e = left * (0.2 + 0.3 * l0_rng_uniform(&r));
            left -= e;
            cl[k] = (l0_cell){.e = (float)e,
                              .eta = c.eta + (float)(0.1 * (l0_rng_uniform(&r) - 0.5)),
                              .phi = c.phi + (float)(0.1 * (l0_rng_uniform(&r) - 0.5)),
                              .sigma = 0.1f,
                              .layer = (uint8_t)l0_rng_below(&r, 7)};
            c.e += cl[k].e;
        }
        if (l0_clset_add(s, &c, (uint64_t)i, 0, 0, &err)) {
            fprintf(stderr, "synth_clusters: %s\n", err.msg);
            exit(1);
        }
    }
    free(cl);
}

void synth_model(l0_model *m, const int *phi, int n_phi, const int *rho, int n_rho, uint64_t seed,
                 const l0_clset *s) {
    l0_err err;
    if (l0_model_init(m, phi, n_phi, rho, n_rho, seed, NULL, &err)) {
        fprintf(stderr, "synth_model: %s\n", err.msg);
        exit(1);
    }
    for (int k = 0; k < l0_model_n_layers(m); k++) {
        l0_golden *g = l0_golden_create(m, &err);
        if (!g) {
            fprintf(stderr, "synth_model: %s\n", err.msg);
            exit(1);
        }
        double ss = 0;
        size_t n = 0;
        for (size_t i = 0; i < 200 && i < s->n; i++) {
            l0_trace tr;
            if (l0_golden_trace(g, &s->c[i], &tr, &err)) {
                fprintf(stderr, "synth_model: %s\n", err.msg);
                exit(1);
            }
            const l0_trace_tensor *t = &tr.t[k < m->n_phi ? 1 + k : 2 + k];
            for (int e = 0; e < t->rows * t->cols; e++) ss += t->flt[e] * t->flt[e];
            n += (size_t)(t->rows * t->cols);
            l0_trace_free(&tr);
        }
        l0_golden_free(g);
        double rms = n ? sqrt(ss / (double)n) : 1;
        if (!(rms > 0)) continue;
        l0_layer *L = l0_model_layer(m, k);
        for (int j = 0; j < L->n_in * L->n_out; j++) L->w[j] /= rms;
        for (int j = 0; j < L->n_out; j++) L->b[j] /= rms;
    }
}
