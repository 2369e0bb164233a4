/* l0_gen: the event generator: single particles and bunch-crossing streams.
 *
 * A single: one hard particle (pion, photon or electron) with an energy from the chosen spectrum,
 * flat in |eta| < eta_max and in phi, overlaid on the pile-up of one crossing at mu, within an
 * eta-phi window about its impact point (the rest of the detector does not matter to its
 * cluster); noise, topoclustering, and the cluster holding the largest share of the particle's
 * deposited energy (at least match_min_frac of it) is its matched cluster, carrying truth_e and
 * truth_pdg.
 * A crossing: one bunch slot of the filling scheme; a filled one holds Poisson(mu) minimum-bias
 * interactions over the whole detector, and, in a fraction hard_fraction of them, hard_n hard
 * particles whose matched clusters carry their truth.
 *
 * Reproducibility: every item draws from its own l0_rng streams, seeded from (seed, item index),
 * so an item's result depends only on the configuration and its index, never on threads or on the
 * other items. */
#ifndef L0_GEN_H
#define L0_GEN_H

#include <stddef.h>
#include <stdint.h>

#include "l0_cellenc.h"
#include "l0_err.h"
#include "l0_fill.h"
#include "l0_geom.h"
#include "l0_pileup.h"
#include "l0_shower.h"
#include "l0_stim.h"
#include "l0_topo.h"

enum { L0_GEN_PION, L0_GEN_PIPLUS, L0_GEN_PIMINUS, L0_GEN_PHOTON, L0_GEN_ELECTRON };
enum { L0_GEN_LOGUNIFORM, L0_GEN_FLAT };

typedef struct l0_gen_config {
    uint64_t seed;
    double mu;           /* mean pile-up interactions per filled crossing */
    int max_cells;       /* C: cells kept per cluster, 1..128 */
    int particle;        /* L0_GEN_PION ... */
    int spectrum;        /* L0_GEN_LOGUNIFORM or L0_GEN_FLAT; e_min == e_max: fixed */
    double e_min, e_max; /* GeV */
    double eta_max;      /* hard particles flat in |eta| < eta_max */
    int enc_bits;        /* cell encoding (l0_cellenc): 0 off, 6..10 */
    double enc_lsb;      /* GeV */
    int enc_gain;
    double seed_thr;              /* topoclustering seed, sigma */
    double grow_thr;              /* cells reaching Global / growth, sigma */
    double match_min_frac;        /* matched cluster: at least this share of the visible energy */
    double window;                /* singles: half-size of the simulated eta-phi window */
    double hard_fraction;         /* streams: fraction of filled crossings with hard particles */
    int hard_n;                   /* streams: hard particles in such a crossing */
    double min_cluster_et;        /* streams: clusters below this Et are dropped, GeV */
    double r_oot_lar, r_oot_tile; /* out-of-time pile-up variance / in-time (l0_pileup.h) */
    uint64_t n_calib;             /* minimum-bias interactions for the pile-up noise measurement */
    int threads;               /* for the start-up measurement only; items are run by l0_gen_pool */
    l0_shower_params shower;   /* the physics model (l0_shower_params_default) */
    l0_minbias_params minbias; /* the pile-up model (l0_minbias_params_default) */
} l0_gen_config;

void l0_gen_config_default(l0_gen_config *c);
/* Check ranges; returns 0 or -1 with err naming the option. */
int l0_gen_config_check(const l0_gen_config *c, l0_err *err);
const char *l0_gen_particle_name(int particle);
const char *l0_gen_spectrum_name(int spectrum);

typedef struct l0_gen l0_gen;

l0_gen *l0_gen_create(const l0_gen_config *cfg, l0_err *err);
void l0_gen_destroy(l0_gen *g);
const l0_gen_config *l0_gen_get_config(const l0_gen *g);
const l0_geom *l0_gen_geom(const l0_gen *g);
const l0_noise *l0_gen_noise(const l0_gen *g);
const l0_shower *l0_gen_shower(const l0_gen *g);
const uint8_t *l0_gen_filled(const l0_gen *g); /* L0_FILL_SLOTS */

/* Between runs (no item in flight): change the hard particles, or the pile-up (the noise model
 * is rebuilt; the pile-up measurement is made once, when first needed). Return 0, or -1 with
 * err filled (the generator is then unchanged). */
int l0_gen_set_particle(l0_gen *g, int particle, double e_min, double e_max, l0_err *err);
int l0_gen_set_mu(l0_gen *g, double mu, l0_err *err);

/* One generated item: the event and the memory behind it, reusable from item to item. */
typedef struct l0_gen_out {
    l0_event ev;
    l0_clusters cl;
    /* singles: the particle, its visible deposit, and what became of it */
    l0_particle particle;
    double visible;    /* EM-scale energy it deposited in the window */
    double share;      /* fraction of it in the matched cluster */
    int edge;          /* the matched cluster reaches the window's border */
    uint64_t n_pileup; /* pile-up interactions simulated */
} l0_gen_out;

void l0_gen_out_free(l0_gen_out *o);

/* Per-thread workspace (a few MB). */
typedef struct l0_gen_work l0_gen_work;
l0_gen_work *l0_gen_work_create(const l0_gen *g);
void l0_gen_work_destroy(l0_gen_work *w);

/* Single particle number `index`. Returns 1 with out->ev holding its matched cluster, 0 when no
 * cluster matched (out->ev has no clusters), -1 out of memory. */
int l0_gen_single(const l0_gen *g, l0_gen_work *w, uint64_t index, l0_gen_out *out);

/* Bunch slot `bx` of orbit `orbit`. Returns 0, or -1 out of memory. */
int l0_gen_crossing(const l0_gen *g, l0_gen_work *w, uint32_t orbit, uint16_t bx, l0_gen_out *out);

/* The cell energies of the last item w simulated (n_cells, meaningful in its region), and the
 * region itself. For validation. */
const float *l0_gen_work_cells(const l0_gen_work *w);
const l0_region *l0_gen_work_region(const l0_gen_work *w);

/* Runs fn(ctx, work, i) for i in [0, n) on `threads` threads (each with its own work). fn returns
 * 0 or -1 (stops the run). Returns 0, or -1 if a call failed or threads could not start. */
typedef int (*l0_gen_task)(void *ctx, l0_gen_work *w, size_t i);
typedef struct l0_gen_pool l0_gen_pool;
l0_gen_pool *l0_gen_pool_create(const l0_gen *g, int threads);
int l0_gen_pool_run(l0_gen_pool *p, size_t n, l0_gen_task fn, void *ctx);
int l0_gen_pool_threads(const l0_gen_pool *p);
void l0_gen_pool_destroy(l0_gen_pool *p);

/* Generate n records and append them to a stimulus file writer, in batches on the pool's
 * threads, in index order: singles (n records: particles 0, 1, ... until n have a matched
 * cluster, at most 100 n + 10000 tries; record counters in orbit/bx) or a stream (bunch slots
 * 0 .. n-1 from orbit first_orbit). Memory stays bounded by one batch. pr may be NULL. Returns
 * 0, or -1 with err filled; the writer is left to the caller (close or abort). */
typedef struct l0_gen_stats {
    uint64_t records;  /* written */
    uint64_t items;    /* particles or slots up to the last record written */
    uint64_t clusters; /* in the records written */
    uint64_t filled;   /* records of filled crossings */
} l0_gen_stats;
struct l0_stim_writer;
struct l0_progress;
int l0_gen_write(const l0_gen *g, l0_gen_pool *pool, struct l0_stim_writer *w, int singles,
                 uint64_t n, uint32_t first_orbit, struct l0_progress *pr, l0_gen_stats *st,
                 l0_err *err);

/* Online CPUs (at least 1). */
int l0_gen_ncpu(void);

#endif
