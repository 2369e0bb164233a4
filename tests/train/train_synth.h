/* Synthetic clusters for the training tests: learnable by construction. */
#ifndef TRAIN_SYNTH_H
#define TRAIN_SYNTH_H

#include <stddef.h>
#include <stdint.h>

#include "l0_model.h"
#include "l0_stim.h"
#include "l0_train.h"

/* n clusters with 1..max_cells cells each (allocated; free with synth_free). The true energy is
 * log-uniform in 5..500 GeV and shared among the cells; a cell's EM-scale energy is its true
 * share times a response that depends on its layer (1.0 in the EM layers, 0.6 to 0.75 in Tile),
 * so truth_e = sum over cells of e / response(layer): learnable by phi + KSum + rho. */
l0_cluster *synth_clusters(size_t n, int max_cells, uint64_t seed);
void synth_free(l0_cluster *c, size_t n);

/* A data set of model m's features for the clusters, split 75/25 by seed. Exits on error. */
void synth_dataset(l0_dataset *ds, const l0_model *m, const l0_cluster *c, size_t n, uint64_t seed);

/* Check helper: prints and counts a failure. */
extern int synth_failures;
#define CHECK(cond, ...)                                                                           \
    do {                                                                                           \
        if (!(cond)) {                                                                             \
            fprintf(stderr, "FAIL %s:%d: ", __FILE__, __LINE__);                                   \
            fprintf(stderr, __VA_ARGS__);                                                          \
            fputc('\n', stderr);                                                                   \
            synth_failures++;                                                                      \
        }                                                                                          \
    } while (0)

#endif
