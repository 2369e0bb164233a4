/* l0_shower: energy deposition of photons, electrons and hadrons in the cells of l0_geom.
 *
 * A fast shower simulation in the spirit of GFlash (Grindhammer and Peters, hep-ex/0001020;
 * Grindhammer, Rudowicz, Peters, SLAC-PUB-5072): per shower, the longitudinal profile is a gamma
 * distribution integrated exactly over each slab of the material stack, the energy of each
 * active layer is given its sampling fluctuation, then spread laterally as energy spots drawn from
 * a two-component radial profile and summed into the cells they fall in. Hadrons travel as a MIP
 * to an exponentially distributed interaction point, then shower with a fluctuating EM fraction
 * f_em (mean 0.11 ln E, capped); the non-EM part is seen at h/e = 1/(e/h) of the medium.
 * All energies are at the EM scale, GeV. docs/stimuli.md describes the model and its tuning.
 *
 * Two qualities: full (hard particles: per-shower profile fluctuations, many spots) and fast
 * (pile-up: mean profiles from tables, a few spots per layer). Both are deterministic functions
 * of the l0_rng state. */
#ifndef L0_SHOWER_H
#define L0_SHOWER_H

#include <stddef.h>
#include <stdint.h>

#include "l0_geom.h"
#include "l0_rng.h"

/* Model parameters. l0_shower_params_default gives the tuned values (docs/stimuli.md). */
typedef struct l0_shower_params {
    double ec;         /* effective critical energy of the accordion, GeV */
    double z_eff;      /* effective Z in the GFlash alpha */
    double em_a_lar;   /* EM sampling term in LAr layers, sqrt(GeV) */
    double em_a_tile;  /* EM sampling term in Tile layers */
    double em_c;       /* EM constant term (calibration non-uniformity) */
    double lat_core;   /* EM lateral: fraction of the energy in the core */
    double lat_r_core; /* EM lateral: core radius in Moliere radii */
    double lat_r_tail; /* EM lateral: tail radius in Moliere radii */
    double fem_k;      /* <f_em> = fem_k ln(E / GeV) */
    double fem_min, fem_max;
    double fem_conc;             /* f_em ~ Beta with a + b = fem_conc */
    double had_a;                /* sampling + intrinsic term of the non-EM part */
    double had_c;                /* hadronic constant term */
    double had_lambda;           /* pion interaction length / nuclear interaction length */
    double had_tmax0, had_tmax1; /* depth of the maximum after the interaction, lambda */
    double had_att;              /* attenuation length = E^had_att lambda */
    double had_e_short;          /* below it the profile shrinks as sqrt(E / had_e_short), GeV */
    double had_sig_alpha;        /* per-shower fluctuation of ln alpha (hadronic part) */
    double had_lat_core, had_r_core, had_r_tail; /* as lat_*, radii in lambda of the medium */
    double b_field;                              /* solenoid field, T */
    double r_solenoid;                           /* field region radius, m */
    double r_calo;                               /* calorimeter front radius, m (impact point) */
} l0_shower_params;

void l0_shower_params_default(l0_shower_params *p);

/* Which cells a deposit may touch: the whole detector, or a window in each layer. */
typedef struct l0_region {
    int full;
    int ieta_lo[L0_NLAYERS], ieta_hi[L0_NLAYERS]; /* inclusive */
    int iphi_lo[L0_NLAYERS], n_iphi[L0_NLAYERS];  /* iphi_lo .. iphi_lo + n_iphi - 1, wrapping */
    double eta_c, phi_c, half;                    /* the window in eta-phi (not for full) */
} l0_region;

/* The region |eta - eta_c| <= half, |dphi| <= half, rounded out to whole cells. */
void l0_region_window(const l0_geom *g, double eta_c, double phi_c, double half, l0_region *rg);
void l0_region_full(l0_region *rg);
/* Whether (eta, phi) lies within the window widened by `margin` (always 1 for full). */
int l0_region_near(const l0_region *rg, double eta, double phi, double margin);

/* A deposit buffer: dense energies, with the list of cells made non-zero so clearing is cheap. */
typedef struct l0_depo {
    float *e;          /* n_cells, 0 where untouched */
    uint32_t *touched; /* n_cells capacity */
    size_t n_touched;
    const l0_region *region; /* NULL: whole detector */
} l0_depo;

int l0_depo_init(l0_depo *d, const l0_geom *g); /* 0, or -1 when out of memory */
void l0_depo_free(l0_depo *d);
void l0_depo_clear(l0_depo *d);
/* Add e > 0 GeV in `layer` at (eta, phi). Returns 1 if it landed in a cell of the region. */
int l0_depo_add(l0_depo *d, const l0_geom *g, int layer, double eta, double phi, float e);
/* Add e > 0 GeV to cell c (no region check). */
static inline void l0_depo_add_cell(l0_depo *d, uint32_t c, float e) {
    if (d->e[c] == 0.0f) d->touched[d->n_touched++] = c;
    d->e[c] += e;
    if (d->e[c] == 0.0f) d->e[c] = 1e-30f;
}

typedef struct l0_particle {
    int32_t pdg; /* 22, +-11, +-211, 130 (any neutral hadron) */
    double e;    /* energy, GeV */
    double eta;  /* direction at the vertex */
    double phi;
} l0_particle;

typedef struct l0_shower l0_shower;

/* Build the model (tables for the fast quality). Returns NULL when out of memory. */
l0_shower *l0_shower_create(const l0_geom *g, const l0_shower_params *p);
void l0_shower_destroy(l0_shower *s);
const l0_shower_params *l0_shower_get_params(const l0_shower *s);

/* Where the particle enters the calorimeter: eta unchanged, phi after the solenoid's bending for
 * charged particles. Returns 0 when it never reaches it (a looper, or |eta| beyond 1.6). */
int l0_shower_impact(const l0_shower *s, const l0_particle *p, double *eta, double *phi);

#define L0_SHOWER_FULL 0
#define L0_SHOWER_FAST 1

/* Deposit the particle's shower into d. Returns the visible (EM-scale) energy deposited,
 * whether or not it fell inside the region. */
double l0_shower_deposit(const l0_shower *s, l0_rng *r, const l0_particle *p, int quality,
                         l0_depo *d);

/* Regularised lower incomplete gamma function P(a, x), a > 0 (exported for tests). */
double l0_gamma_p(double a, double x);

#endif
