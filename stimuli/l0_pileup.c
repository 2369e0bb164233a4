#include "l0_pileup.h"

#include <math.h>
#include <pthread.h>
#include <stdlib.h>
#include <string.h>

/* Minimum bias at 13-14 TeV, the project's choice from LHC measurements: charged-particle
 * density dN/deta ~ 6 at eta = 0 (ATLAS, PLB 758 (2016) 67: 6.4 for pT > 100 MeV); pi0 ~ half
 * as many as charged pions, two photons each (dN/deta ~ 5); neutral hadrons ~ 10% of charged.
 * Tsallis n = 7, T = 0.143 GeV gives <pT> = 2 n T / (n - 3) = 0.50 GeV (CMS/ALICE fits give
 * T ~ 0.13-0.15 GeV, n ~ 6.5-7.5); photons, from pi0 decays, have half the pT scale. Negative
 * binomial multiplicity with k = 1.5 (UA5/ATLAS fits give k ~ 1-2). */
void l0_minbias_params_default(l0_minbias_params *p) {
    p->dndeta_ch = 6.0;
    p->dndeta_gamma = 5.2;
    p->dndeta_nh = 0.6;
    p->eta_max = 1.6;
    p->tsallis_n = 7.0;
    p->tsallis_t = 0.143;
    p->nbd_k = 1.5;
}

/* pT from dN/dpT ~ pT (1 + pT/(nT))^-n: x = pT/(nT) is beta-prime(2, n - 2), G(2)/G(n-2). */
static double tsallis_pt(l0_rng *r, double n, double t) {
    double g2 = l0_rng_exponential(r) + l0_rng_exponential(r);
    double gb = l0_rng_gamma(r, n - 2);
    return n * t * g2 / gb;
}

size_t l0_minbias_interaction(const l0_minbias_params *p, l0_rng *r, double eta_lo, double eta_hi,
                              l0_particle *out, size_t cap) {
    double w = l0_rng_gamma(r, p->nbd_k) / p->nbd_k, deta = 2 * p->eta_max;
    uint64_t nch = l0_rng_poisson(r, w * p->dndeta_ch * deta);
    uint64_t ng = l0_rng_poisson(r, w * p->dndeta_gamma * deta);
    uint64_t nh = l0_rng_poisson(r, w * p->dndeta_nh * deta);
    size_t n = 0;
    uint64_t tot = nch + ng + nh;
    for (uint64_t i = 0; i < tot && n < cap; i++) {
        /* eta first: a particle outside the wanted band costs one draw */
        double eta = (2 * l0_rng_uniform(r) - 1) * p->eta_max;
        if (eta < eta_lo || eta > eta_hi) continue;
        l0_particle *q = &out[n++];
        double t = p->tsallis_t;
        if (i < nch) {
            q->pdg = l0_rng_uniform(r) < 0.5 ? 211 : -211;
        } else if (i < nch + ng) {
            q->pdg = 22;
            t *= 0.5;
        } else {
            q->pdg = 130;
        }
        q->eta = eta;
        q->phi = (2 * l0_rng_uniform(r) - 1) * L0_GEOM_PI;
        q->e = tsallis_pt(r, p->tsallis_n, t) * cosh(q->eta);
    }
    return n;
}

#define MB_CAP 4096 /* particles of one interaction (the mean is ~38) */
#define CALIB_SEED 0x6c30637a6c696273ULL
#define CALIB_CHUNK 500
#define NBIN_MAX 14

struct l0_pileup {
    const l0_geom *g;
    const l0_shower *sh;
    l0_minbias_params p;
    float *m1, *m2; /* per cell */
};

const l0_minbias_params *l0_pileup_params(const l0_pileup *pu) {
    return &pu->p;
}

static double fast_limit(void) {
    return 20.0; /* GeV: above, the full shower (rare in pile-up) */
}

static void deposit_interaction(const l0_pileup *pu, l0_rng *r, l0_particle *buf, l0_depo *d) {
    const l0_region *rg = d->region;
    double lo = -1e9, hi = 1e9;
    if (rg && !rg->full) {
        lo = rg->eta_c - rg->half - 0.3;
        hi = rg->eta_c + rg->half + 0.3;
    }
    size_t n = l0_minbias_interaction(&pu->p, r, lo, hi, buf, MB_CAP);
    for (size_t i = 0; i < n; i++) {
        if (rg && !rg->full) {
            double eta, phi;
            if (!l0_shower_impact(pu->sh, &buf[i], &eta, &phi)) continue;
            if (!l0_region_near(rg, eta, phi, 0.3)) continue;
        }
        l0_shower_deposit(pu->sh, r, &buf[i],
                          buf[i].e < fast_limit() ? L0_SHOWER_FAST : L0_SHOWER_FULL, d);
    }
}

uint64_t l0_pileup_crossing(const l0_pileup *pu, l0_rng *r, double mu, l0_depo *d) {
    uint64_t n = l0_rng_poisson(r, mu);
    l0_particle buf[MB_CAP];
    for (uint64_t i = 0; i < n; i++) deposit_interaction(pu, r, buf, d);
    return n;
}

/* ---- calibration: sums of x and x^2 per (layer, |eta| bin), in fixed chunks ---- */

typedef struct calib_sums {
    double s1[L0_NLAYERS][NBIN_MAX], s2[L0_NLAYERS][NBIN_MAX];
} calib_sums;

typedef struct calib_job {
    const l0_pileup *pu;
    uint64_t n_int;
    size_t n_chunks;
    calib_sums *sums; /* one per chunk */
    pthread_mutex_t lock;
    size_t next;
    int failed;
} calib_job;

static double bin_width(const l0_layer_info *L) {
    return L->deta > 0.1 ? L->deta : 0.1;
}

static int n_bins(const l0_layer_info *L) {
    return (int)lround(L0_GEOM_ETA_MAX / bin_width(L));
}

static int cell_bin(const l0_geom *g, uint32_t c) {
    const l0_layer_info *L = &g->layer[g->cell_layer[c]];
    int b = (int)(fabs(g->cell_eta[c]) / bin_width(L));
    int nb = n_bins(L);
    return b >= nb ? nb - 1 : b;
}

static void *calib_worker(void *arg) {
    calib_job *job = arg;
    const l0_pileup *pu = job->pu;
    const l0_geom *g = pu->g;
    l0_depo d;
    l0_particle *buf = malloc(MB_CAP * sizeof *buf);
    if (!buf || l0_depo_init(&d, g)) {
        free(buf);
        pthread_mutex_lock(&job->lock);
        job->failed = 1;
        pthread_mutex_unlock(&job->lock);
        return NULL;
    }
    for (;;) {
        pthread_mutex_lock(&job->lock);
        size_t k = job->next++;
        pthread_mutex_unlock(&job->lock);
        if (k >= job->n_chunks) break;
        calib_sums *cs = &job->sums[k];
        uint64_t lo = (uint64_t)k * CALIB_CHUNK, hi = lo + CALIB_CHUNK;
        if (hi > job->n_int) hi = job->n_int;
        for (uint64_t i = lo; i < hi; i++) {
            l0_rng r;
            l0_rng_seed(&r, CALIB_SEED, i);
            deposit_interaction(pu, &r, buf, &d);
            for (size_t t = 0; t < d.n_touched; t++) {
                uint32_t c = d.touched[t];
                double x = d.e[c];
                int l = g->cell_layer[c], b = cell_bin(g, c);
                cs->s1[l][b] += x;
                cs->s2[l][b] += x * x;
            }
            l0_depo_clear(&d);
        }
    }
    l0_depo_free(&d);
    free(buf);
    return NULL;
}

/* Least-squares fit of ln y = c0 + c1 x + c2 x^2 over the points with y > 0 (fewer than three:
 * a constant, or zero when none). */
static void fit_log_quadratic(const double *x, const double *y, int n, double c[3]) {
    double a[3][4] = {{0}};
    int used = 0;
    double sl = 0;
    for (int i = 0; i < n; i++) {
        if (!(y[i] > 0)) continue;
        double ly = log(y[i]), p[3] = {1, x[i], x[i] * x[i]};
        for (int r = 0; r < 3; r++) {
            for (int k = 0; k < 3; k++) a[r][k] += p[r] * p[k];
            a[r][3] += p[r] * ly;
        }
        sl += ly;
        used++;
    }
    c[0] = used ? sl / used : -700; /* exp(-700): zero for all purposes */
    c[1] = c[2] = 0;
    if (used < 3) return;
    /* Gauss-Jordan with partial pivoting on the 3x3 normal equations */
    for (int col = 0; col < 3; col++) {
        int piv = col;
        for (int r = col + 1; r < 3; r++)
            if (fabs(a[r][col]) > fabs(a[piv][col])) piv = r;
        if (fabs(a[piv][col]) < 1e-300) return;
        for (int k = 0; k < 4; k++) {
            double t = a[col][k];
            a[col][k] = a[piv][k];
            a[piv][k] = t;
        }
        for (int r = 0; r < 3; r++) {
            if (r == col) continue;
            double f = a[r][col] / a[col][col];
            for (int k = col; k < 4; k++) a[r][k] -= f * a[col][k];
        }
    }
    for (int r = 0; r < 3; r++) c[r] = a[r][3] / a[r][r];
}

l0_pileup *l0_pileup_create(const l0_geom *g, const l0_shower *sh, const l0_minbias_params *p,
                            uint64_t n_calib, int threads, l0_err *err) {
    if (!n_calib) n_calib = 20000;
    if (threads < 1) threads = 1;
    if (threads > 64) threads = 64;
    l0_pileup *pu = calloc(1, sizeof *pu);
    if (!pu) {
        l0_err_set(err, "out of memory");
        return NULL;
    }
    pu->g = g;
    pu->sh = sh;
    pu->p = *p;
    pu->m1 = malloc(g->n_cells * sizeof *pu->m1);
    pu->m2 = malloc(g->n_cells * sizeof *pu->m2);
    calib_job job = {.pu = pu, .n_int = n_calib};
    job.n_chunks = (size_t)((n_calib + CALIB_CHUNK - 1) / CALIB_CHUNK);
    job.sums = calloc(job.n_chunks, sizeof *job.sums);
    if (!pu->m1 || !pu->m2 || !job.sums) goto oom;
    pthread_mutex_init(&job.lock, NULL);
    pthread_t th[64];
    int started = 0;
    for (int t = 1; t < threads; t++)
        if (pthread_create(&th[started], NULL, calib_worker, &job) == 0) started++;
    calib_worker(&job);
    for (int t = 0; t < started; t++) pthread_join(th[t], NULL);
    pthread_mutex_destroy(&job.lock);
    if (job.failed) goto oom;

    /* sum the chunks in order (the result does not depend on the threads), normalise by the
     * number of cell-interactions of each bin */
    calib_sums tot;
    memset(&tot, 0, sizeof tot);
    for (size_t k = 0; k < job.n_chunks; k++)
        for (int l = 0; l < L0_NLAYERS; l++)
            for (int b = 0; b < NBIN_MAX; b++) {
                tot.s1[l][b] += job.sums[k].s1[l][b];
                tot.s2[l][b] += job.sums[k].s2[l][b];
            }
    free(job.sums);
    double ncell[L0_NLAYERS][NBIN_MAX];
    memset(ncell, 0, sizeof ncell);
    for (uint32_t c = 0; c < g->n_cells; c++) ncell[g->cell_layer[c]][cell_bin(g, c)] += 1;
    double m1b[L0_NLAYERS][NBIN_MAX], m2b[L0_NLAYERS][NBIN_MAX], etab[L0_NLAYERS][NBIN_MAX];
    memset(etab, 0, sizeof etab);
    for (uint32_t c = 0; c < g->n_cells; c++)
        etab[g->cell_layer[c]][cell_bin(g, c)] += fabs(g->cell_eta[c]);
    for (int l = 0; l < L0_NLAYERS; l++)
        for (int b = 0; b < NBIN_MAX; b++) {
            double n = ncell[l][b] * (double)n_calib;
            m1b[l][b] = n > 0 ? tot.s1[l][b] / n : 0;
            m2b[l][b] = n > 0 ? tot.s2[l][b] / n : 0;
            etab[l][b] = ncell[l][b] > 0 ? etab[l][b] / ncell[l][b] : 0;
        }
    /* The mean square is dominated by rare energetic particles: per bin it fluctuates by ~10%
     * in the coarse Tile layers. Smooth it: per layer, fit ln m = a + b |eta| + c |eta|^2 over
     * the bins (least squares), and use the fit for every cell. */
    for (int l = 0; l < L0_NLAYERS; l++) {
        int nb = n_bins(&g->layer[l]);
        double c1[3], c2[3];
        fit_log_quadratic(etab[l], m1b[l], nb, c1);
        fit_log_quadratic(etab[l], m2b[l], nb, c2);
        const l0_layer_info *L = &g->layer[l];
        for (uint32_t c = L->first; c < L->first + (uint32_t)(L->n_eta * L->n_phi); c++) {
            double x = fabs(g->cell_eta[c]);
            pu->m1[c] = (float)exp(c1[0] + c1[1] * x + c1[2] * x * x);
            pu->m2[c] = (float)exp(c2[0] + c2[1] * x + c2[2] * x * x);
        }
    }
    return pu;
oom:
    free(job.sums);
    l0_pileup_destroy(pu);
    l0_err_set(err, "out of memory while measuring the pile-up noise");
    return NULL;
}

void l0_pileup_destroy(l0_pileup *pu) {
    if (!pu) return;
    free(pu->m1);
    free(pu->m2);
    free(pu);
}

double l0_pileup_m1(const l0_pileup *pu, uint32_t cell) {
    return pu->m1[cell];
}

double l0_pileup_m2(const l0_pileup *pu, uint32_t cell) {
    return pu->m2[cell];
}

/* ---- the noise model ---- */

/* Ziggurat for the standard normal with 128 boxes (Marsaglia and Tsang 2000): exact, a few ns a
 * draw. The tables are the noise model's, so there is no global state. */
#define ZIG_R 3.442619855899
static void zig_init(l0_noise *n) {
    const double m1 = 2147483648.0, vn = 9.91256303526217e-3;
    double dn = ZIG_R, tn = dn, q = vn / exp(-0.5 * dn * dn);
    n->zk[0] = (uint32_t)((dn / q) * m1);
    n->zk[1] = 0;
    n->zw[0] = (float)(q / m1);
    n->zw[127] = (float)(dn / m1);
    n->zf[0] = 1.0f;
    n->zf[127] = (float)exp(-0.5 * dn * dn);
    for (int i = 126; i >= 1; i--) {
        dn = sqrt(-2 * log(vn / dn + exp(-0.5 * dn * dn)));
        n->zk[i + 1] = (uint32_t)((dn / tn) * m1);
        tn = dn;
        n->zf[i] = (float)exp(-0.5 * dn * dn);
        n->zw[i] = (float)(dn / m1);
    }
}

static double zig_normal(const l0_noise *n, l0_rng *r) {
    for (;;) {
        int32_t hz = (int32_t)(uint32_t)(l0_rng_u64(r) >> 32);
        uint32_t iz = (uint32_t)hz & 127;
        uint32_t ahz = hz < 0 ? (uint32_t)0 - (uint32_t)hz : (uint32_t)hz;
        if (ahz < n->zk[iz]) return hz * (double)n->zw[iz];
        double x = hz * (double)n->zw[iz];
        if (iz == 0) { /* the tail beyond R */
            double xt, y;
            do {
                xt = -log1p(-l0_rng_uniform(r)) / ZIG_R;
                y = -log1p(-l0_rng_uniform(r));
            } while (y + y < xt * xt);
            return hz > 0 ? ZIG_R + xt : -ZIG_R - xt;
        }
        if (n->zf[iz] + l0_rng_uniform(r) * (n->zf[iz - 1] - n->zf[iz]) < exp(-0.5 * x * x))
            return x;
    }
}

l0_noise *l0_noise_create(const l0_geom *g, const l0_pileup *pu, double mu, double r_oot_lar,
                          double r_oot_tile, l0_err *err) {
    if (mu > 0 && !pu) {
        l0_err_set(err, "pile-up noise at mu = %g needs the pile-up model", mu);
        return NULL;
    }
    l0_noise *n = calloc(1, sizeof *n);
    if (!n) goto oom;
    n->mu = mu;
    zig_init(n);
    n->r_oot_lar = r_oot_lar;
    n->r_oot_tile = r_oot_tile;
    n->sigma = malloc(g->n_cells * sizeof(float));
    n->inv_sigma = malloc(g->n_cells * sizeof(float));
    n->gauss = malloc(g->n_cells * sizeof(float));
    n->offset = malloc(g->n_cells * sizeof(float));
    if (!n->sigma || !n->inv_sigma || !n->gauss || !n->offset) goto oom;
    for (uint32_t c = 0; c < g->n_cells; c++) {
        int l = g->cell_layer[c];
        double el = g->layer[l].noise, m1 = 0, m2 = 0;
        if (mu > 0) {
            m1 = pu->m1[c];
            m2 = pu->m2[c];
        }
        double roo = l >= L0_LAYER_TILE0 ? r_oot_tile : r_oot_lar;
        double gs = sqrt(el * el + roo * mu * m2);
        double tot = sqrt(el * el + (1 + roo) * mu * m2);
        n->gauss[c] = (float)gs;
        n->sigma[c] = (float)tot;
        n->inv_sigma[c] = (float)(1.0 / tot);
        n->offset[c] = (float)(mu * m1);
    }
    return n;
oom:
    l0_noise_destroy(n);
    l0_err_set(err, "out of memory");
    return NULL;
}

void l0_noise_destroy(l0_noise *n) {
    if (!n) return;
    free(n->sigma);
    free(n->inv_sigma);
    free(n->gauss);
    free(n->offset);
    free(n);
}

size_t l0_noise_apply(const l0_noise *n, const l0_geom *g, l0_rng *r, const l0_region *rg,
                      const float *dep, float *e, uint32_t *active, double thr) {
    size_t na = 0;
    float fthr = (float)thr;
#define NOISE_CELL(c)                                                                              \
    do {                                                                                           \
        float z = (float)zig_normal(n, r);                                                         \
        float v = (dep ? dep[c] : 0.0f) - n->offset[c] + n->gauss[c] * z;                          \
        e[c] = v;                                                                                  \
        if (v * n->inv_sigma[c] >= fthr) active[na++] = (c);                                       \
    } while (0)
    if (!rg || rg->full) {
        for (uint32_t c = 0; c < g->n_cells; c++) NOISE_CELL(c);
    } else {
        for (int l = 0; l < L0_NLAYERS; l++) {
            const l0_layer_info *L = &g->layer[l];
            for (int ie = rg->ieta_lo[l]; ie <= rg->ieta_hi[l]; ie++) {
                uint32_t row = L->first + (uint32_t)(ie * L->n_phi);
                for (int k = 0; k < rg->n_iphi[l]; k++) {
                    int ip = rg->iphi_lo[l] + k;
                    if (ip >= L->n_phi) ip -= L->n_phi;
                    uint32_t c = row + (uint32_t)ip;
                    NOISE_CELL(c);
                }
            }
        }
    }
#undef NOISE_CELL
    return na;
}
