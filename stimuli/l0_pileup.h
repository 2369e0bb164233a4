/* l0_pileup: minimum-bias pile-up and the cell noise model.
 *
 * Pile-up: Poisson(mu) minimum-bias interactions per crossing. Each interaction has charged
 * hadrons, photons (from pi0 decays) and neutral hadrons, flat in eta, with a Tsallis pT
 * spectrum (<pT> 0.5 GeV for hadrons); the multiplicities fluctuate together (negative binomial).
 * They are deposited with l0_shower (fast quality below 20 GeV).
 *
 * Noise: each cell's energy is
 *     E = in-time pile-up deposits + N(-mu m1, sigma_gauss),
 *     sigma_gauss^2 = sigma_elec^2 + r_oot mu m2,
 * where m1 and m2 are the mean and mean square of the energy one minimum-bias interaction puts in
 * the cell (so the in-time pile-up has mean mu m1 and variance mu m2, a compound Poisson sum).
 * The Gaussian term is the electronic noise plus the out-of-time pile-up, whose mean cancels the
 * in-time mean (bipolar LAr shaping, BCID-dependent baseline correction) and whose variance is
 * r_oot times the in-time one. The total sigma the clustering uses is therefore
 *     sigma^2 = sigma_elec^2 + (1 + r_oot) mu m2,
 * growing as sqrt(mu). m1 and m2 are MEASURED at start-up by simulating minimum-bias interactions
 * with a fixed seed (independent of the user's seed), per layer and |eta| bin, then smoothed by a
 * quadratic fit of their logarithms in |eta|. */
#ifndef L0_PILEUP_H
#define L0_PILEUP_H

#include <stddef.h>
#include <stdint.h>

#include "l0_err.h"
#include "l0_geom.h"
#include "l0_rng.h"
#include "l0_shower.h"

typedef struct l0_minbias_params {
    double dndeta_ch;    /* charged hadrons per unit eta */
    double dndeta_gamma; /* photons per unit eta */
    double dndeta_nh;    /* neutral hadrons (K0L, n) per unit eta */
    double eta_max;      /* generated in |eta| < eta_max */
    double tsallis_n;    /* dN/dpT ~ pT (1 + pT / (n T))^-n */
    double tsallis_t;    /* GeV, hadrons; photons have T / 2 */
    double nbd_k;        /* multiplicity fluctuation: Poisson with a Gamma(k)/k mean */
} l0_minbias_params;

void l0_minbias_params_default(l0_minbias_params *p);

/* The particles of one minimum-bias interaction with eta_lo <= eta <= eta_hi into out (at most
 * cap; the others are drawn but not kept). Returns the count. */
size_t l0_minbias_interaction(const l0_minbias_params *p, l0_rng *r, double eta_lo, double eta_hi,
                              l0_particle *out, size_t cap);

typedef struct l0_pileup l0_pileup;

/* Build the pile-up model and measure m1, m2 with n_calib interactions (0: the default, 20000),
 * using up to `threads` threads (the result does not depend on it). */
l0_pileup *l0_pileup_create(const l0_geom *g, const l0_shower *sh, const l0_minbias_params *p,
                            uint64_t n_calib, int threads, l0_err *err);
void l0_pileup_destroy(l0_pileup *pu);
const l0_minbias_params *l0_pileup_params(const l0_pileup *pu);

/* Per-interaction mean and mean square of a cell's energy (GeV, GeV^2). */
double l0_pileup_m1(const l0_pileup *pu, uint32_t cell);
double l0_pileup_m2(const l0_pileup *pu, uint32_t cell);

/* Deposit the in-time pile-up of one crossing at mu into d (only particles that can reach
 * d->region). Returns the number of interactions. */
uint64_t l0_pileup_crossing(const l0_pileup *pu, l0_rng *r, double mu, l0_depo *d);

/* The noise model at one mu. Arrays are per cell, n_cells long. */
typedef struct l0_noise {
    double mu;
    double r_oot_lar, r_oot_tile;
    float *sigma;     /* total noise the clustering uses, GeV */
    float *inv_sigma; /* 1 / sigma */
    float *gauss;     /* sigma of the Gaussian part (electronic + out-of-time pile-up) */
    float *offset;    /* mu m1: subtracted from every cell */
    /* ziggurat tables for the Gaussian draws (Marsaglia and Tsang, J. Stat. Softw. 5 (2000)) */
    uint32_t zk[128];
    float zw[128], zf[128];
} l0_noise;

#define L0_NOISE_R_OOT_LAR 1.0
#define L0_NOISE_R_OOT_TILE 0.5

/* pu may be NULL when mu == 0 (electronic noise only). */
l0_noise *l0_noise_create(const l0_geom *g, const l0_pileup *pu, double mu, double r_oot_lar,
                          double r_oot_tile, l0_err *err);
void l0_noise_destroy(l0_noise *n);

/* Cell energies of the region: e[c] = dep[c] - offset[c] + gauss[c] N(0,1), for every cell c
 * of the region (dep may be NULL: no deposits). The cells with e >= thr sigma are listed in
 * active (capacity n_cells) in index order; returns their count. */
size_t l0_noise_apply(const l0_noise *n, const l0_geom *g, l0_rng *r, const l0_region *rg,
                      const float *dep, float *e, uint32_t *active, double thr);

#endif
