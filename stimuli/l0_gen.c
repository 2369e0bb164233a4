#include "l0_gen.h"

#include "l0_progress.h"
#include "l0_stimfile.h"

#include <math.h>
#include <pthread.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

/* Separate seed domains for singles and crossings, and per-purpose sub-streams of an item, so
 * that, e.g., the pile-up of a crossing is the same with or without embedded hard particles. */
#define DOMAIN_SINGLES 0x73696e676c657331ULL
#define SUB_PILEUP 0
#define SUB_HARD 1
#define SUB_NOISE 2

void l0_gen_config_default(l0_gen_config *c) {
    memset(c, 0, sizeof *c);
    c->seed = 1;
    c->mu = 200;
    c->max_cells = 64;
    c->particle = L0_GEN_PION;
    c->spectrum = L0_GEN_LOGUNIFORM;
    c->e_min = 1;
    c->e_max = 500;
    c->eta_max = 1.2;
    c->enc_bits = 6;
    c->enc_lsb = 0.040;
    c->enc_gain = 4;
    c->seed_thr = L0_TOPO_SEED;
    c->grow_thr = L0_TOPO_GROW;
    c->match_min_frac = 0.3;
    c->window = 0.7;
    c->hard_fraction = 0;
    c->hard_n = 1;
    c->min_cluster_et = 0;
    c->r_oot_lar = L0_NOISE_R_OOT_LAR;
    c->r_oot_tile = L0_NOISE_R_OOT_TILE;
    c->n_calib = 20000;
    c->threads = 1;
    l0_shower_params_default(&c->shower);
    l0_minbias_params_default(&c->minbias);
}

const char *l0_gen_particle_name(int particle) {
    switch (particle) {
    case L0_GEN_PION:
        return "pion";
    case L0_GEN_PIPLUS:
        return "pi+";
    case L0_GEN_PIMINUS:
        return "pi-";
    case L0_GEN_PHOTON:
        return "photon";
    case L0_GEN_ELECTRON:
        return "electron";
    default:
        return "?";
    }
}

const char *l0_gen_spectrum_name(int spectrum) {
    return spectrum == L0_GEN_FLAT ? "flat" : "log-uniform";
}

int l0_gen_config_check(const l0_gen_config *c, l0_err *err) {
    if (!(c->mu >= 0) || c->mu > 1000) return l0_err_set(err, "mu %g: must be in [0, 1000]", c->mu);
    if (c->max_cells < 1 || c->max_cells > L0_CELLS_MAX)
        return l0_err_set(err, "cells per cluster %d: must be 1 to %d", c->max_cells, L0_CELLS_MAX);
    if (c->particle < L0_GEN_PION || c->particle > L0_GEN_ELECTRON)
        return l0_err_set(err, "unknown particle type %d", c->particle);
    if (!(c->e_min > 0) || !(c->e_max >= c->e_min) || c->e_max > 10000)
        return l0_err_set(err, "energy range [%g, %g] GeV: need 0 < min <= max <= 10000", c->e_min,
                          c->e_max);
    if (!(c->eta_max >= 0) || c->eta_max > L0_GEOM_ETA_MAX)
        return l0_err_set(err, "eta max %g: must be in [0, %g]", c->eta_max, L0_GEOM_ETA_MAX);
    if (!(c->seed_thr > 0) || !(c->grow_thr > 0) || c->grow_thr > c->seed_thr)
        return l0_err_set(err, "thresholds seed %g, growth %g sigma: need 0 < growth <= seed",
                          c->seed_thr, c->grow_thr);
    if (!(c->match_min_frac >= 0) || c->match_min_frac > 1)
        return l0_err_set(err, "match fraction %g: must be in [0, 1]", c->match_min_frac);
    if (!(c->window >= 0.2) || c->window > 3.2)
        return l0_err_set(err, "window half-size %g: must be in [0.2, 3.2]", c->window);
    if (!(c->hard_fraction >= 0) || c->hard_fraction > 1)
        return l0_err_set(err, "hard fraction %g: must be in [0, 1]", c->hard_fraction);
    if (c->hard_n < 1 || c->hard_n > 64)
        return l0_err_set(err, "hard particles per crossing %d: must be 1 to 64", c->hard_n);
    if (!(c->min_cluster_et >= 0))
        return l0_err_set(err, "minimum cluster Et %g: must be >= 0", c->min_cluster_et);
    if (!(c->r_oot_lar >= 0) || !(c->r_oot_tile >= 0))
        return l0_err_set(err, "out-of-time pile-up ratios must be >= 0");
    l0_cellenc enc;
    if (l0_cellenc_init(&enc, c->enc_bits, c->enc_lsb, c->enc_gain, err)) return -1;
    return 0;
}

struct l0_gen {
    l0_gen_config cfg;
    l0_geom *geom;
    l0_shower *shower;
    l0_pileup *pileup;
    l0_noise *noise;
    l0_cellenc enc;
    float *cell_cosh;
    uint8_t filled[L0_FILL_SLOTS];
};

const l0_gen_config *l0_gen_get_config(const l0_gen *g) {
    return &g->cfg;
}
const l0_geom *l0_gen_geom(const l0_gen *g) {
    return g->geom;
}
const l0_noise *l0_gen_noise(const l0_gen *g) {
    return g->noise;
}
const l0_shower *l0_gen_shower(const l0_gen *g) {
    return g->shower;
}
const uint8_t *l0_gen_filled(const l0_gen *g) {
    return g->filled;
}

int l0_gen_set_particle(l0_gen *g, int particle, double e_min, double e_max, l0_err *err) {
    l0_gen_config c = g->cfg;
    c.particle = particle;
    c.e_min = e_min;
    c.e_max = e_max;
    if (l0_gen_config_check(&c, err)) return -1;
    g->cfg = c;
    return 0;
}

int l0_gen_set_mu(l0_gen *g, double mu, l0_err *err) {
    l0_gen_config c = g->cfg;
    c.mu = mu;
    if (l0_gen_config_check(&c, err)) return -1;
    if (mu > 0 && !g->pileup) {
        g->pileup = l0_pileup_create(g->geom, g->shower, &c.minbias, c.n_calib, c.threads, err);
        if (!g->pileup) return -1;
    }
    l0_noise *nz = l0_noise_create(g->geom, g->pileup, mu, c.r_oot_lar, c.r_oot_tile, err);
    if (!nz) return -1;
    l0_noise_destroy(g->noise);
    g->noise = nz;
    g->cfg = c;
    return 0;
}

l0_gen *l0_gen_create(const l0_gen_config *cfg, l0_err *err) {
    if (l0_gen_config_check(cfg, err)) return NULL;
    l0_gen *g = calloc(1, sizeof *g);
    if (!g) goto oom;
    g->cfg = *cfg;
    l0_cellenc_init(&g->enc, cfg->enc_bits, cfg->enc_lsb, cfg->enc_gain, NULL);
    l0_fill_nominal(g->filled);
    g->geom = l0_geom_create();
    if (!g->geom) goto oom;
    g->shower = l0_shower_create(g->geom, &cfg->shower);
    if (!g->shower) goto oom;
    if (cfg->mu > 0) {
        g->pileup =
            l0_pileup_create(g->geom, g->shower, &cfg->minbias, cfg->n_calib, cfg->threads, err);
        if (!g->pileup) goto fail;
    }
    g->noise = l0_noise_create(g->geom, g->pileup, cfg->mu, cfg->r_oot_lar, cfg->r_oot_tile, err);
    if (!g->noise) goto fail;
    g->cell_cosh = malloc(g->geom->n_cells * sizeof *g->cell_cosh);
    if (!g->cell_cosh) goto oom;
    for (uint32_t c = 0; c < g->geom->n_cells; c++)
        g->cell_cosh[c] = (float)cosh(g->geom->cell_eta[c]);
    return g;
oom:
    l0_err_set(err, "out of memory");
fail:
    l0_gen_destroy(g);
    return NULL;
}

void l0_gen_destroy(l0_gen *g) {
    if (!g) return;
    l0_noise_destroy(g->noise);
    l0_pileup_destroy(g->pileup);
    l0_shower_destroy(g->shower);
    l0_geom_destroy(g->geom);
    free(g->cell_cosh);
    free(g);
}

void l0_gen_out_free(l0_gen_out *o) {
    l0_clusters_free(&o->cl);
    memset(o, 0, sizeof *o);
}

/* A hard particle's own deposits, kept for truth matching. */
typedef struct hard_dep {
    uint32_t *cell;
    float *e;
    size_t n, cap;
    double visible;
    l0_particle p;
} hard_dep;

#define MAX_HARD 64

struct l0_gen_work {
    const l0_gen *g;
    l0_depo dep, own;
    l0_region region;
    float *e;    /* cell energies (noise applied) */
    float *sig;  /* E / sigma */
    float *eclu; /* energy the clustering sums (encoded) */
    uint32_t *active;
    l0_topo *topo;
    l0_clusters scratch; /* singles: all clusters of the window */
    double *share;       /* per cluster */
    size_t cap_share;
    hard_dep hard[MAX_HARD];
};

const float *l0_gen_work_cells(const l0_gen_work *w) {
    return w->e;
}

const l0_region *l0_gen_work_region(const l0_gen_work *w) {
    return &w->region;
}

l0_gen_work *l0_gen_work_create(const l0_gen *g) {
    l0_gen_work *w = calloc(1, sizeof *w);
    if (!w) return NULL;
    w->g = g;
    uint32_t n = g->geom->n_cells;
    if (l0_depo_init(&w->dep, g->geom) || l0_depo_init(&w->own, g->geom)) goto fail;
    w->e = calloc(n, sizeof *w->e);
    w->sig = calloc(n, sizeof *w->sig);
    w->eclu = calloc(n, sizeof *w->eclu);
    w->active = malloc(n * sizeof *w->active);
    w->topo = l0_topo_create(g->geom);
    if (!w->e || !w->sig || !w->eclu || !w->active || !w->topo) goto fail;
    return w;
fail:
    l0_gen_work_destroy(w);
    return NULL;
}

void l0_gen_work_destroy(l0_gen_work *w) {
    if (!w) return;
    l0_depo_free(&w->dep);
    l0_depo_free(&w->own);
    free(w->e);
    free(w->sig);
    free(w->eclu);
    free(w->active);
    l0_topo_destroy(w->topo);
    l0_clusters_free(&w->scratch);
    free(w->share);
    for (int k = 0; k < MAX_HARD; k++) {
        free(w->hard[k].cell);
        free(w->hard[k].e);
    }
    free(w);
}

/* ---- the pieces of an item ---- */

static void draw_particle(const l0_gen_config *c, l0_rng *r, l0_particle *p) {
    switch (c->particle) {
    case L0_GEN_PIPLUS:
        p->pdg = 211;
        break;
    case L0_GEN_PIMINUS:
        p->pdg = -211;
        break;
    case L0_GEN_PHOTON:
        p->pdg = 22;
        break;
    case L0_GEN_ELECTRON:
        p->pdg = l0_rng_uniform(r) < 0.5 ? 11 : -11;
        break;
    default:
        p->pdg = l0_rng_uniform(r) < 0.5 ? 211 : -211;
        break;
    }
    double u = l0_rng_uniform(r);
    if (c->e_max == c->e_min)
        p->e = c->e_min;
    else if (c->spectrum == L0_GEN_FLAT)
        p->e = c->e_min + u * (c->e_max - c->e_min);
    else
        p->e = c->e_min * exp(u * log(c->e_max / c->e_min));
    p->eta = (2 * l0_rng_uniform(r) - 1) * c->eta_max;
    p->phi = (2 * l0_rng_uniform(r) - 1) * L0_GEOM_PI;
}

/* Deposit a hard particle into w->own, keep its cells in h, add them to w->dep. */
static int deposit_hard(const l0_gen *g, l0_gen_work *w, l0_rng *r, hard_dep *h) {
    h->n = 0;
    h->visible = 0;
    l0_shower_deposit(g->shower, r, &h->p, L0_SHOWER_FULL, &w->own);
    size_t n = w->own.n_touched;
    if (n > h->cap) {
        uint32_t *c = realloc(h->cell, n * sizeof *c);
        if (!c) return -1;
        h->cell = c;
        float *e = realloc(h->e, n * sizeof *e);
        if (!e) return -1;
        h->e = e;
        h->cap = n;
    }
    for (size_t i = 0; i < n; i++) {
        uint32_t c = w->own.touched[i];
        float e = w->own.e[c];
        h->cell[i] = c;
        h->e[i] = e;
        h->visible += e;
        l0_depo_add_cell(&w->dep, c, e);
    }
    h->n = n;
    l0_depo_clear(&w->own);
    return 0;
}

/* Noise, the cells that reach Global, their encoding, and the clusters, into out. */
static int64_t cells_and_clusters(const l0_gen *g, l0_gen_work *w, l0_rng *rn, l0_clusters *out) {
    const l0_noise *nz = g->noise;
    size_t na =
        l0_noise_apply(nz, g->geom, rn, &w->region, w->dep.e, w->e, w->active, g->cfg.grow_thr);
    for (size_t i = 0; i < na; i++) {
        uint32_t c = w->active[i];
        float e = w->e[c];
        w->sig[c] = e * nz->inv_sigma[c];
        if (g->enc.bits) {
            float ch = g->cell_cosh[c];
            e = (float)(l0_cellenc_apply(&g->enc, e / ch) * ch);
        }
        w->eclu[c] = e;
    }
    l0_depo_clear(&w->dep);
    return l0_topo_run(w->topo, w->active, na, w->eclu, w->sig, nz->sigma, g->cfg.seed_thr,
                       g->cfg.max_cells, out);
}

/* Shares of hard particle h in the clusters (w->share, n entries). */
static int shares(l0_gen_work *w, const hard_dep *h, size_t n) {
    if (n > w->cap_share) {
        double *s = realloc(w->share, n * sizeof *s);
        if (!s) return -1;
        w->share = s;
        w->cap_share = n;
    }
    for (size_t k = 0; k < n; k++) w->share[k] = 0;
    for (size_t i = 0; i < h->n; i++) {
        int64_t k = l0_topo_cluster_of(w->topo, h->cell[i]);
        if (k >= 0) w->share[k] += h->e[i];
    }
    return 0;
}

static int copy_cluster(l0_clusters *dst, const l0_cluster *src) {
    if (dst->cap < 1) {
        l0_cluster *c = realloc(dst->c, sizeof *c);
        if (!c) return -1;
        dst->c = c;
        dst->cap = 1;
    }
    if (dst->cap_cells < src->n_cells) {
        l0_cell *c = realloc(dst->cells, L0_CELLS_MAX * sizeof *c);
        if (!c) return -1;
        dst->cells = c;
        dst->cap_cells = L0_CELLS_MAX;
    }
    dst->c[0] = *src;
    memcpy(dst->cells, src->cells, src->n_cells * sizeof *src->cells);
    dst->c[0].cells = dst->cells;
    dst->n = 1;
    dst->n_cells = src->n_cells;
    return 0;
}

/* Whether cluster k (final index) has a cell on the border of the window w->region. */
static int at_border(const l0_geom *geo, const l0_gen_work *w, int64_t k) {
    const l0_region *rg = &w->region;
    for (int l = 0; l < L0_NLAYERS; l++) {
        const l0_layer_info *L = &geo->layer[l];
        int rows[2] = {rg->ieta_lo[l], rg->ieta_hi[l]};
        /* a row at the detector's end (|eta| = 1.4) is no border of the window */
        int real[2] = {rg->ieta_lo[l] > 0, rg->ieta_hi[l] < L->n_eta - 1};
        for (int s = 0; s < 2; s++)
            for (int j = 0; real[s] && j < rg->n_iphi[l]; j++) {
                int ip = (rg->iphi_lo[l] + j) % L->n_phi;
                if (l0_topo_cluster_of(w->topo, L->first + (uint32_t)(rows[s] * L->n_phi + ip)) ==
                    k)
                    return 1;
            }
        if (rg->n_iphi[l] >= L->n_phi) continue;
        int cols[2] = {rg->iphi_lo[l], (rg->iphi_lo[l] + rg->n_iphi[l] - 1) % L->n_phi};
        for (int s = 0; s < 2; s++)
            for (int ie = rg->ieta_lo[l]; ie <= rg->ieta_hi[l]; ie++)
                if (l0_topo_cluster_of(w->topo, L->first + (uint32_t)(ie * L->n_phi + cols[s])) ==
                    k)
                    return 1;
    }
    return 0;
}

int l0_gen_single(const l0_gen *g, l0_gen_work *w, uint64_t index, l0_gen_out *out) {
    const l0_gen_config *c = &g->cfg;
    l0_rng rh, rp, rn;
    uint64_t seed = c->seed ^ DOMAIN_SINGLES;
    l0_rng_seed(&rh, seed, index * 4 + SUB_HARD);
    l0_rng_seed(&rp, seed, index * 4 + SUB_PILEUP);
    l0_rng_seed(&rn, seed, index * 4 + SUB_NOISE);
    memset(&out->ev, 0, sizeof out->ev);
    out->ev.orbit = (uint32_t)(index / L0_FILL_SLOTS);
    out->ev.bx = (uint16_t)(index % L0_FILL_SLOTS);
    out->ev.filled = 1;
    out->ev.n_hard = 1;
    out->cl.n = 0;
    out->visible = out->share = 0;
    out->edge = 0;
    out->n_pileup = 0;

    hard_dep *h = &w->hard[0];
    draw_particle(c, &rh, &h->p);
    out->particle = h->p;
    double eta, phi;
    if (!l0_shower_impact(g->shower, &h->p, &eta, &phi)) return 0;
    l0_region_window(g->geom, eta, phi, c->window, &w->region);
    w->dep.region = w->own.region = &w->region;
    if (deposit_hard(g, w, &rh, h)) return -1;
    out->visible = h->visible;
    if (c->mu > 0) out->n_pileup = l0_pileup_crossing(g->pileup, &rp, c->mu, &w->dep);
    int64_t n = cells_and_clusters(g, w, &rn, &w->scratch);
    if (n < 0) return -1;
    if (shares(w, h, (size_t)n)) return -1;
    int64_t best = -1;
    for (int64_t k = 0; k < n; k++)
        if (w->share[k] > 0 && (best < 0 || w->share[k] > w->share[best])) best = k;
    if (best < 0 || !(h->visible > 0) || w->share[best] < c->match_min_frac * h->visible) return 0;
    out->share = w->share[best] / h->visible;
    out->edge = at_border(g->geom, w, best);
    if (copy_cluster(&out->cl, &w->scratch.c[best])) return -1;
    out->cl.c[0].truth_e = (float)h->p.e;
    out->cl.c[0].truth_pdg = h->p.pdg;
    out->ev.n_clusters = 1;
    out->ev.clusters = out->cl.c;
    return 1;
}

int l0_gen_crossing(const l0_gen *g, l0_gen_work *w, uint32_t orbit, uint16_t bx, l0_gen_out *out) {
    const l0_gen_config *c = &g->cfg;
    memset(&out->ev, 0, sizeof out->ev);
    out->ev.orbit = orbit;
    out->ev.bx = bx;
    out->cl.n = 0;
    out->n_pileup = 0;
    out->visible = out->share = 0;
    out->edge = 0;
    if (!g->filled[bx % L0_FILL_SLOTS]) return 0;
    out->ev.filled = 1;
    uint64_t slot = (uint64_t)orbit * L0_FILL_SLOTS + bx;
    l0_rng rh, rp, rn;
    l0_rng_seed(&rh, c->seed, slot * 4 + SUB_HARD);
    l0_rng_seed(&rp, c->seed, slot * 4 + SUB_PILEUP);
    l0_rng_seed(&rn, c->seed, slot * 4 + SUB_NOISE);
    l0_region_full(&w->region);
    w->dep.region = w->own.region = NULL;

    int nh = 0;
    if (c->hard_fraction > 0 && l0_rng_uniform(&rh) < c->hard_fraction) nh = c->hard_n;
    for (int k = 0; k < nh; k++) {
        draw_particle(c, &rh, &w->hard[k].p);
        if (deposit_hard(g, w, &rh, &w->hard[k])) return -1;
    }
    out->ev.n_hard = (uint8_t)nh;
    if (c->mu > 0) out->n_pileup = l0_pileup_crossing(g->pileup, &rp, c->mu, &w->dep);
    int64_t n = cells_and_clusters(g, w, &rn, &out->cl);
    if (n < 0) return -1;

    /* truth: each hard particle claims the cluster with its largest share, largest shares
     * first, one particle per cluster */
    int64_t best_k[MAX_HARD];
    double best_s[MAX_HARD];
    for (int k = 0; k < nh; k++) {
        best_k[k] = -1;
        best_s[k] = 0;
        if (shares(w, &w->hard[k], (size_t)n)) return -1;
        for (int64_t j = 0; j < n; j++)
            if (w->share[j] > best_s[k]) {
                best_s[k] = w->share[j];
                best_k[k] = j;
            }
        if (best_k[k] >= 0 && best_s[k] < c->match_min_frac * w->hard[k].visible) best_k[k] = -1;
    }
    for (int done = 0; done < nh; done++) {
        int pick = -1;
        for (int k = 0; k < nh; k++)
            if (best_k[k] >= 0 && (pick < 0 || best_s[k] > best_s[pick])) pick = k;
        if (pick < 0) break;
        l0_cluster *cl = &out->cl.c[best_k[pick]];
        if (cl->truth_pdg == 0) {
            cl->truth_e = (float)w->hard[pick].p.e;
            cl->truth_pdg = w->hard[pick].p.pdg;
        }
        best_k[pick] = -1;
    }
    size_t keep = (size_t)n;
    if (c->min_cluster_et > 0)
        while (keep > 0 && out->cl.c[keep - 1].et < c->min_cluster_et) keep--;
    out->ev.n_clusters = (uint32_t)keep;
    out->ev.clusters = keep ? out->cl.c : NULL;
    return 0;
}

/* ---- the pool ---- */

struct l0_gen_pool {
    const l0_gen *g;
    int threads;
    l0_gen_work **w;
};

typedef struct pool_run {
    l0_gen_pool *p;
    size_t n, next;
    l0_gen_task fn;
    void *ctx;
    pthread_mutex_t lock;
    int failed;
} pool_run;

typedef struct pool_arg {
    pool_run *run;
    int t;
} pool_arg;

int l0_gen_ncpu(void) {
    long n = sysconf(_SC_NPROCESSORS_ONLN);
    return n < 1 ? 1 : n > 64 ? 64 : (int)n;
}

l0_gen_pool *l0_gen_pool_create(const l0_gen *g, int threads) {
    if (threads < 1) threads = 1;
    if (threads > 64) threads = 64;
    l0_gen_pool *p = calloc(1, sizeof *p);
    if (!p) return NULL;
    p->g = g;
    p->w = calloc((size_t)threads, sizeof(l0_gen_work *));
    if (!p->w) {
        free(p);
        return NULL;
    }
    p->threads = threads;
    for (int t = 0; t < threads; t++)
        if (!(p->w[t] = l0_gen_work_create(g))) {
            l0_gen_pool_destroy(p);
            return NULL;
        }
    return p;
}

int l0_gen_pool_threads(const l0_gen_pool *p) {
    return p->threads;
}

void l0_gen_pool_destroy(l0_gen_pool *p) {
    if (!p) return;
    for (int t = 0; t < p->threads; t++) l0_gen_work_destroy(p->w[t]);
    free(p->w);
    free(p);
}

static void *pool_worker(void *arg) {
    pool_arg *a = arg;
    pool_run *run = a->run;
    for (;;) {
        pthread_mutex_lock(&run->lock);
        size_t i = run->failed ? run->n : run->next++;
        pthread_mutex_unlock(&run->lock);
        if (i >= run->n) break;
        if (run->fn(run->ctx, run->p->w[a->t], i) < 0) {
            pthread_mutex_lock(&run->lock);
            run->failed = 1;
            pthread_mutex_unlock(&run->lock);
        }
    }
    return NULL;
}

int l0_gen_pool_run(l0_gen_pool *p, size_t n, l0_gen_task fn, void *ctx) {
    pool_run run = {.p = p, .n = n, .fn = fn, .ctx = ctx};
    pthread_mutex_init(&run.lock, NULL);
    pthread_t th[64];
    pool_arg args[64];
    int started = 0;
    int want = p->threads;
    if ((size_t)want > n) want = n ? (int)n : 1;
    for (int t = 1; t < want; t++) {
        args[t].run = &run;
        args[t].t = t;
        if (pthread_create(&th[started], NULL, pool_worker, &args[t]) == 0) started++;
    }
    args[0].run = &run;
    args[0].t = 0;
    pool_worker(&args[0]);
    for (int t = 0; t < started; t++) pthread_join(th[t], NULL);
    pthread_mutex_destroy(&run.lock);
    return run.failed ? -1 : 0;
}

/* ---- batches written in order ---- */

typedef struct batch_ctx {
    const l0_gen *g;
    l0_gen_out *out;
    int *rc;
    uint64_t first; /* item index of out[0] */
    uint32_t first_orbit;
    int singles;
} batch_ctx;

static int batch_task(void *ctx, l0_gen_work *w, size_t i) {
    batch_ctx *b = ctx;
    uint64_t item = b->first + i;
    int rc;
    if (b->singles) {
        rc = l0_gen_single(b->g, w, item, &b->out[i]);
    } else {
        uint32_t orbit = b->first_orbit + (uint32_t)(item / L0_FILL_SLOTS);
        rc = l0_gen_crossing(b->g, w, orbit, (uint16_t)(item % L0_FILL_SLOTS), &b->out[i]);
    }
    b->rc[i] = rc;
    return rc < 0 ? -1 : 0;
}

int l0_gen_write(const l0_gen *g, l0_gen_pool *pool, struct l0_stim_writer *w, int singles,
                 uint64_t n, uint32_t first_orbit, struct l0_progress *pr, l0_gen_stats *st,
                 l0_err *err) {
    size_t batch = (size_t)(singles ? 64 : 32) * (size_t)pool->threads;
    l0_gen_out *out = calloc(batch, sizeof *out);
    int *rc = calloc(batch, sizeof *rc);
    int status = -1;
    memset(st, 0, sizeof *st);
    if (!out || !rc) {
        l0_err_set(err, "out of memory");
        goto done;
    }
    uint64_t max_items = singles ? 100 * n + 10000 : n;
    batch_ctx b = {.g = g, .out = out, .rc = rc, .first_orbit = first_orbit, .singles = singles};
    uint64_t last = 0; /* items up to the last one written */
    while (st->records < n) {
        if (st->items >= max_items) {
            l0_err_set(err,
                       "only %llu of %llu particles gave a matched cluster in %llu tries (energy "
                       "too low for the pile-up?)",
                       (unsigned long long)st->records, (unsigned long long)n,
                       (unsigned long long)st->items);
            goto done;
        }
        size_t k = batch;
        if (!singles && n - st->items < k) k = (size_t)(n - st->items);
        b.first = st->items;
        if (l0_gen_pool_run(pool, k, batch_task, &b)) {
            l0_err_set(err, "out of memory");
            goto done;
        }
        for (size_t i = 0; i < k && st->records < n; i++) {
            if (singles && rc[i] != 1) continue;
            l0_event ev = out[i].ev;
            if (singles) {
                ev.orbit = (uint32_t)(st->records / L0_FILL_SLOTS);
                ev.bx = (uint16_t)(st->records % L0_FILL_SLOTS);
            }
            if (l0_stim_writer_put(w, &ev, err)) goto done;
            st->clusters += ev.n_clusters;
            st->filled += ev.filled;
            st->records++;
            last = b.first + i + 1;
        }
        st->items += k;
        if (pr) l0_progress_update(pr, st->records);
    }
    st->items = last; /* not the items simulated past the last record */
    status = 0;
done:
    if (out)
        for (size_t i = 0; i < batch; i++) l0_gen_out_free(&out[i]);
    free(out);
    free(rc);
    return status;
}
