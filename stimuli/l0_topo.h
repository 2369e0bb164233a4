/* l0_topo: topoclustering as the L0 Global emulation does it (athena TrigGepPerf
 * BasicGepClusterMaker, "4-2").
 *
 * Only cells with E/sigma >= 2 reach Global (LArCellPreparationAlg), so they are the only cells
 * there are. Every such cell with E/sigma >= 4 seeds a cluster, which grows through the
 * neighbours (l0_geom: 8 in the layer, overlapping cells of the adjacent layers) among those
 * cells; a seed reached from another seed joins its cluster. So a cluster is a connected set of
 * >= 2 sigma cells holding at least one >= 4 sigma cell, whatever the order of the seeds.
 *
 * Each cluster: E = sum of ALL its cells, eta/phi = energy-weighted barycentre (the GEP sums
 * massless four-vectors instead; the difference is small for compact clusters), Et =
 * E / cosh(eta); it keeps its C most energetic cells (ties: lower cell index first) and records
 * the size before truncation in n_cells_total (saturating at 65535). Clusters come sorted by Et,
 * highest first (ties: lower lowest-cell index first). */
#ifndef L0_TOPO_H
#define L0_TOPO_H

#include <stddef.h>
#include <stdint.h>

#include "l0_geom.h"
#include "l0_stim.h"

/* Clusters and their cells, memory owned here and reused from call to call. */
typedef struct l0_clusters {
    l0_cluster *c;
    size_t n, cap;
    l0_cell *cells;
    size_t n_cells, cap_cells;
} l0_clusters;

void l0_clusters_free(l0_clusters *cl);

typedef struct l0_topo l0_topo;

l0_topo *l0_topo_create(const l0_geom *g);
void l0_topo_destroy(l0_topo *t);

/* Cluster the active cells (each with e[c] the energy to sum, sig[c] = E/sigma the significance,
 * sigma[c] the noise to report; all indexed by cell). Cells not listed take no part. Keeps up to
 * max_cells (1..L0_CELLS_MAX) cells per cluster. Returns the number of clusters, or -1 when out
 * of memory. The clusters stay valid until the next call. */
int64_t l0_topo_run(l0_topo *t, const uint32_t *active, size_t n_active, const float *e,
                    const float *sig, const float *sigma, double seed_thr, int max_cells,
                    l0_clusters *out);

/* After l0_topo_run: the index in out of the cluster holding `cell`, or -1. */
int64_t l0_topo_cluster_of(const l0_topo *t, uint32_t cell);

/* Seed threshold used by l0_topo_run's callers and the growth threshold cells must pass. */
#define L0_TOPO_SEED 4.0
#define L0_TOPO_GROW 2.0

#endif
