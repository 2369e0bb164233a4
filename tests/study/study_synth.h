/* Synthetic clusters and a scaled random model for the study's unit tests (no files needed). */
#ifndef STUDY_SYNTH_H
#define STUDY_SYNTH_H

#include <stdint.h>

#include "l0_eval.h"

/* n clusters of `cells` cells each, true energy log-uniform in 1..500 GeV, cells carrying 70% of
 * it in decreasing shares, around a random (eta, phi). Deterministic from seed. */
void synth_clusters(l0_clset *s, int n, int cells, uint64_t seed);

/* A model of the given shape with He weights from seed, each layer then scaled so that its float
 * outputs have RMS 1 on the first clusters of s (so narrow types are not saturated from the
 * start), at the default precision. Exits on error. */
void synth_model(l0_model *m, const int *phi, int n_phi, const int *rho, int n_rho, uint64_t seed,
                 const l0_clset *s);

#endif
