#include "l0_shower.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>

void l0_shower_params_default(l0_shower_params *p) {
    memset(p, 0, sizeof *p);
    p->ec = 0.010;
    p->z_eff = 82;
    p->em_a_lar = 0.060;
    p->em_a_tile = 0.28;
    p->em_c = 0.007;
    p->lat_core = 0.85;
    p->lat_r_core = 0.25;
    p->lat_r_tail = 0.8;
    p->fem_k = 0.11;
    p->fem_min = 0.0;
    p->fem_max = 0.8;
    p->fem_conc = 60;
    p->had_a = 0.45;
    p->had_c = 0.010;
    p->had_lambda = 1.22;
    p->had_tmax0 = 0.7;
    p->had_tmax1 = 0.2;
    p->had_att = 0.13;
    p->had_e_short = 5.0;
    p->had_sig_alpha = 0.10;
    p->had_lat_core = 0.6;
    p->had_r_core = 0.08;
    p->had_r_tail = 0.3;
    p->b_field = 2.0;
    p->r_solenoid = 1.23;
    p->r_calo = 1.42;
}

/* ---------------------------------------------------------------- incomplete gamma */

/* P(a, x) by its series (x < a + 1) or Q(a, x) by its continued fraction (modified Lentz). */
double l0_gamma_p(double a, double x) {
    if (!(x > 0)) return 0.0;
    double lg = lgamma(a);
    if (x < a + 1) {
        double ap = a, del = 1.0 / a, sum = del;
        for (int n = 0; n < 1000; n++) {
            ap += 1;
            del *= x / ap;
            sum += del;
            if (fabs(del) < fabs(sum) * 1e-15) break;
        }
        return sum * exp(-x + a * log(x) - lg);
    }
    const double tiny = 1e-300;
    double b = x + 1 - a, c = 1 / tiny, d = 1 / b, h = d;
    for (int i = 1; i < 1000; i++) {
        double an = -i * (i - a);
        b += 2;
        d = an * d + b;
        if (fabs(d) < tiny) d = tiny;
        c = b + an / c;
        if (fabs(c) < tiny) c = tiny;
        d = 1 / d;
        double del = d * c;
        h *= del;
        if (fabs(del - 1) < 1e-15) break;
    }
    double q = exp(-x + a * log(x) - lg) * h;
    return 1.0 - q;
}

/* ---------------------------------------------------------------- regions and deposits */

void l0_region_full(l0_region *rg) {
    memset(rg, 0, sizeof *rg);
    rg->full = 1;
}

void l0_region_window(const l0_geom *g, double eta_c, double phi_c, double half, l0_region *rg) {
    memset(rg, 0, sizeof *rg);
    rg->eta_c = eta_c;
    rg->phi_c = l0_geom_wrap_phi(phi_c);
    rg->half = half;
    for (int l = 0; l < L0_NLAYERS; l++) {
        const l0_layer_info *L = &g->layer[l];
        int lo = (int)floor((eta_c - half + L0_GEOM_ETA_MAX) / L->deta);
        int hi = (int)floor((eta_c + half + L0_GEOM_ETA_MAX) / L->deta);
        rg->ieta_lo[l] = lo < 0 ? 0 : lo;
        rg->ieta_hi[l] = hi >= L->n_eta ? L->n_eta - 1 : hi;
        int plo = (int)floor((rg->phi_c - half + L0_GEOM_PI) / L->dphi);
        int phi_hi = (int)floor((rg->phi_c + half + L0_GEOM_PI) / L->dphi);
        int n = phi_hi - plo + 1;
        if (n > L->n_phi) n = L->n_phi;
        rg->iphi_lo[l] = ((plo % L->n_phi) + L->n_phi) % L->n_phi;
        rg->n_iphi[l] = n;
    }
}

int l0_region_near(const l0_region *rg, double eta, double phi, double margin) {
    if (rg->full) return 1;
    if (fabs(eta - rg->eta_c) > rg->half + margin) return 0;
    return fabs(l0_geom_wrap_phi(phi - rg->phi_c)) <= rg->half + margin;
}

int l0_depo_init(l0_depo *d, const l0_geom *g) {
    memset(d, 0, sizeof *d);
    d->e = calloc(g->n_cells, sizeof *d->e);
    d->touched = malloc(g->n_cells * sizeof *d->touched);
    if (!d->e || !d->touched) {
        l0_depo_free(d);
        return -1;
    }
    return 0;
}

void l0_depo_free(l0_depo *d) {
    free(d->e);
    free(d->touched);
    memset(d, 0, sizeof *d);
}

void l0_depo_clear(l0_depo *d) {
    for (size_t i = 0; i < d->n_touched; i++) d->e[d->touched[i]] = 0;
    d->n_touched = 0;
}

int l0_depo_add(l0_depo *d, const l0_geom *g, int layer, double eta, double phi, float e) {
    const l0_layer_info *L = &g->layer[layer];
    double fe = (eta + L0_GEOM_ETA_MAX) * L->inv_deta;
    if (!(fe >= 0) || fe >= (double)L->n_eta) return 0;
    int ie = (int)fe;
    /* phi is within a few radians of (-pi, pi]: shift by 3 pi to truncate a positive number */
    double fp = (phi + 3 * L0_GEOM_PI) * L->inv_dphi;
    int ip;
    if (fp >= 0 && fp < 4.0 * L->n_phi) {
        ip = (int)fp;
        while (ip >= L->n_phi) ip -= L->n_phi;
    } else {
        ip = (int)floor((phi + L0_GEOM_PI) * L->inv_dphi);
        ip %= L->n_phi;
        if (ip < 0) ip += L->n_phi;
    }
    const l0_region *rg = d->region;
    if (rg && !rg->full) {
        if (ie < rg->ieta_lo[layer] || ie > rg->ieta_hi[layer]) return 0;
        int k = ip - rg->iphi_lo[layer];
        if (k < 0) k += L->n_phi;
        if (k >= rg->n_iphi[layer]) return 0;
    }
    uint32_t c = L->first + (uint32_t)(ie * L->n_phi + ip);
    if (d->e[c] == 0.0f) d->touched[d->n_touched++] = c;
    d->e[c] += e;
    if (d->e[c] == 0.0f) d->e[c] = 1e-30f; /* keep "touched" == "non-zero" */
    return 1;
}

/* ---------------------------------------------------------------- the model */

#define EM_NE 64
#define EM_NX 801
#define EM_DX 0.1 /* X0 */
#define HAD_NE 48
#define HAD_NX 1001
#define HAD_DX 0.02                                      /* lambda */
static const double EM_LNE_LO = -5.3, EM_LNE_HI = 6.3;   /* ln GeV: 5 MeV .. 540 GeV */
static const double HAD_LNE_LO = -3.0, HAD_LNE_HI = 7.0; /* 50 MeV .. 1.1 TeV */

struct l0_shower {
    const l0_geom *g;
    l0_shower_params p;
    float em_cdf[EM_NE][EM_NX];
    float had_cdf[HAD_NE][HAD_NX];
};

const l0_shower_params *l0_shower_get_params(const l0_shower *s) {
    return &s->p;
}

/* Mean EM profile (GFlash homogeneous media): T = ln y - 0.858, alpha = 0.21 + (0.492 + 2.38/Z)
 * ln y, y = E / E_c. Below y ~ e the parametrisation has no meaning: clamp. */
static void em_mean(const l0_shower_params *p, double e, double *alpha, double *beta) {
    double ly = log(e / p->ec);
    if (ly < 1.0) ly = 1.0;
    double t = ly - 0.858, a = 0.21 + (0.492 + 2.38 / p->z_eff) * ly;
    if (t < 0.5) t = 0.5;
    if (a < 1.1) a = 1.1;
    *alpha = a;
    *beta = (a - 1) / t;
}

/* Per-shower fluctuated EM profile: ln T and ln alpha correlated normals (hep-ex/0001020,
 * homogeneous media). */
static void em_fluct(const l0_shower_params *p, l0_rng *r, double e, double *alpha, double *beta) {
    double ly = log(e / p->ec);
    if (ly < 1.0) ly = 1.0;
    double lys = ly < 3.0 ? 3.0 : ly; /* the width formulas diverge at small y */
    double m_lt = log(fmax(ly - 0.812, 0.5));
    double m_la = log(fmax(0.81 + (0.458 + 2.26 / p->z_eff) * ly, 1.1));
    double s_lt = 1.0 / (-1.4 + 1.26 * lys), s_la = 1.0 / (-0.58 + 0.86 * lys);
    double rho = 0.705 + 0.023 * lys;
    if (rho > 0.99) rho = 0.99;
    double z1 = l0_rng_normal(r), z2 = l0_rng_normal(r);
    double t = exp(m_lt + s_lt * z1);
    double a = exp(m_la + s_la * (rho * z1 + sqrt(1 - rho * rho) * z2));
    if (t < 0.3) t = 0.3;
    if (a < 1.05) a = 1.05;
    *alpha = a;
    *beta = (a - 1) / t;
}

/* Mean hadronic (non-EM) profile after the interaction, in lambda: maximum at
 * had_tmax0 + had_tmax1 ln E, exponential fall-off with attenuation length E^had_att (PDG,
 * "Hadronic showers"). gamma(alpha, beta): beta = 1 / attenuation, alpha = 1 + beta t_max.
 * The PDG form is for high energies; below a few GeV the secondary hadrons range out within a
 * fraction of a lambda, so both lengths shrink as sqrt(E / had_e_short) (project's choice). */
static void had_mean(const l0_shower_params *p, double e, double *alpha, double *beta) {
    double le = log(e > 0.05 ? e : 0.05);
    double shrink = e < p->had_e_short ? sqrt(e / p->had_e_short) : 1.0;
    if (shrink < 0.1) shrink = 0.1;
    double tmax = (p->had_tmax0 + p->had_tmax1 * le) * shrink;
    if (tmax < 0.05) tmax = 0.05;
    double att = exp(p->had_att * le) * shrink;
    *beta = 1.0 / att;
    *alpha = 1.0 + tmax * *beta;
}

static double em_fem_mean(const l0_shower_params *p, double e) {
    double m = p->fem_k * log(e);
    if (m < p->fem_min) m = p->fem_min;
    if (m > p->fem_max) m = p->fem_max;
    return m;
}

l0_shower *l0_shower_create(const l0_geom *g, const l0_shower_params *p) {
    l0_shower *s = calloc(1, sizeof *s);
    if (!s) return NULL;
    s->g = g;
    s->p = *p;
    for (int i = 0; i < EM_NE; i++) {
        double e = exp(EM_LNE_LO + (i + 0.5) * (EM_LNE_HI - EM_LNE_LO) / EM_NE), a, b;
        em_mean(p, e, &a, &b);
        for (int k = 0; k < EM_NX; k++) s->em_cdf[i][k] = (float)l0_gamma_p(a, b * k * EM_DX);
    }
    for (int i = 0; i < HAD_NE; i++) {
        double e = exp(HAD_LNE_LO + (i + 0.5) * (HAD_LNE_HI - HAD_LNE_LO) / HAD_NE), a, b;
        had_mean(p, e, &a, &b);
        for (int k = 0; k < HAD_NX; k++) s->had_cdf[i][k] = (float)l0_gamma_p(a, b * k * HAD_DX);
    }
    return s;
}

void l0_shower_destroy(l0_shower *s) {
    free(s);
}

static double table_cdf(const float *row, int n, double dx, double x) {
    if (!(x > 0)) return 0;
    double f = x / dx;
    if (f >= n - 1) return row[n - 1] + (1.0 - row[n - 1]) * (1 - exp(-(f - (n - 1)) * dx));
    int k = (int)f;
    double w = f - k;
    return row[k] + w * (row[k + 1] - row[k]);
}

static int table_bin(double e, double lo, double hi, int n) {
    int i = (int)floor((log(e) - lo) / (hi - lo) * n);
    return i < 0 ? 0 : i >= n ? n - 1 : i;
}

/* A profile: either exact (alpha, beta) or a table row. */
typedef struct profile {
    const float *row;
    int n;
    double dx;
    double alpha, beta;
} profile;

static double prof_cdf(const profile *pr, double x) {
    if (!(x > 0)) return 0;
    if (pr->row) return table_cdf(pr->row, pr->n, pr->dx, x);
    return l0_gamma_p(pr->alpha, pr->beta * x);
}

/* Gamma-distributed value with mean m and variance v (m > 0). */
static double gamma_mv(l0_rng *r, double m, double v) {
    if (!(m > 0)) return 0;
    if (!(v > 0)) return m;
    double k = m * m / v;
    return l0_rng_gamma(r, k) * (v / m);
}

/* Unit vector with a uniform angle, without trigonometry: a point in the unit disc, angle
 * doubled. */
static void rand_dir(l0_rng *r, double *c, double *s) {
    double x, y, q;
    do {
        x = 2 * l0_rng_uniform(r) - 1;
        y = 2 * l0_rng_uniform(r) - 1;
        q = x * x + y * y;
    } while (q >= 1 || q == 0);
    *c = (x * x - y * y) / q;
    *s = 2 * x * y / q;
}

/* n spots of e/n each, radial profile f(r) = 2 r R^2 / (r^2 + R^2)^2 with R = r_core (prob.
 * p_core) or r_tail (cm), about the axis (eta, phi) of `layer`. */
static void spread(const l0_shower *s, l0_rng *r, l0_depo *d, int layer, double eta, double phi,
                   double e, int n, double p_core, double r_core, double r_tail) {
    if (n < 1) n = 1;
    double rl = s->g->layer[layer].r_mid;
    float es = (float)(e / n);
    if (!(es > 0)) return;
    for (int i = 0; i < n; i++) {
        double R = l0_rng_uniform(r) < p_core ? r_core : r_tail;
        /* r <= 5 R (96% of the profile): the 1/r^3 tail of this form would carry a few per cent
         * of the energy metres away */
        double u = l0_rng_uniform(r) * (25.0 / 26.0);
        double rr = R * sqrt(u / (1 - u)), c, sn;
        rand_dir(r, &c, &sn);
        l0_depo_add(d, s->g, layer, eta + rr * c / rl, phi + rr * sn / rl, es);
    }
}

int l0_shower_impact(const l0_shower *s, const l0_particle *p, double *eta, double *phi) {
    *eta = p->eta;
    *phi = p->phi;
    if (fabs(p->eta) > 1.6) return 0;
    int q = (p->pdg == 211 || p->pdg == -11) ? 1 : (p->pdg == -211 || p->pdg == 11) ? -1 : 0;
    if (!q) return 1;
    double pt = p->e / cosh(p->eta);
    double rho = pt / (0.3 * s->p.b_field); /* m */
    double rs = s->p.r_solenoid, rc = s->p.r_calo;
    if (rs >= 2 * rho) return 0; /* loops inside the solenoid */
    double half = asin(rs / (2 * rho));
    /* position and direction where the track leaves the field, then a straight line */
    double phs = p->phi - q * half, psi = p->phi - 2 * q * half;
    double px = rs * cos(phs), py = rs * sin(phs), dx = cos(psi), dy = sin(psi);
    double pd = px * dx + py * dy;
    double t = -pd + sqrt(pd * pd - rs * rs + rc * rc);
    *phi = l0_geom_wrap_phi(atan2(py + t * dy, px + t * dx));
    return 1;
}

/* Deposit an EM shower (energy e, profile pr starting at depth t0 X0) into the active slabs.
 * fast: no per-layer sampling fluctuation (the caller applies one overall), few spots. */
static double em_shower(const l0_shower *s, l0_rng *r, l0_depo *d, double eta, double phi, double e,
                        double t0, const profile *pr, const double *x0e, int fast, double scale) {
    const l0_shower_params *p = &s->p;
    double vis = 0, prev = prof_cdf(pr, x0e[0] - t0);
    int nspots = (int)fmin(2000, 60 + 12 * e);
    for (int k = 0; k < L0_GEOM_NSLABS; k++) {
        double cur = prof_cdf(pr, x0e[k + 1] - t0), f = cur - prev;
        prev = cur;
        const l0_slab *sl = &s->g->slab[k];
        if (sl->layer < 0 || !(f > 1e-7)) continue;
        double ek = e * f;
        if (fast && ek < 1e-4) continue; /* 0.1 MeV: nothing against 15+ MeV of noise */
        int tile = sl->layer >= L0_LAYER_TILE0;
        if (!fast) {
            double a = tile ? p->em_a_tile : p->em_a_lar;
            ek = gamma_mv(r, ek, a * a * ek);
        }
        ek *= scale;
        vis += ek;
        int n = fast ? (sl->layer == L0_LAYER_EMB1 ? 2 : 1) : (int)ceil(nspots * f);
        spread(s, r, d, sl->layer, eta, phi, ek, n, p->lat_core, p->lat_r_core * sl->moliere,
               p->lat_r_tail * sl->moliere);
    }
    return vis;
}

static double deposit_em_particle(const l0_shower *s, l0_rng *r, const l0_particle *pt, int fast,
                                  l0_depo *d, double eta, double phi) {
    const l0_shower_params *p = &s->p;
    double x0e[L0_GEOM_NSLABS + 1], le[L0_GEOM_NSLABS + 1];
    l0_geom_depths(s->g, eta, x0e, le);
    /* photons convert after an exponential depth of mean 9/7 X0; electrons shower at once */
    double t0 = pt->pdg == 22 ? l0_rng_exponential(r) * (9.0 / 7.0) : 0.0;
    profile pr = {0};
    double scale = 1.0;
    if (fast && pt->e < exp(EM_LNE_HI)) {
        pr.row = s->em_cdf[table_bin(pt->e, EM_LNE_LO, EM_LNE_HI, EM_NE)];
        pr.n = EM_NX;
        pr.dx = EM_DX;
        double a = p->em_a_lar;
        scale = gamma_mv(r, 1.0, a * a / pt->e);
    } else {
        em_fluct(p, r, pt->e, &pr.alpha, &pr.beta);
        fast = 0;
        scale = 1.0 + p->em_c * l0_rng_normal(r);
    }
    return em_shower(s, r, d, eta, phi, pt->e, t0, &pr, x0e, fast, scale);
}

/* Depth in X0 at a depth of `l` interaction lengths along the path. */
static double lambda_to_x0(const double *x0e, const double *le, double l) {
    for (int k = 0; k < L0_GEOM_NSLABS; k++)
        if (l < le[k + 1])
            return x0e[k] + (l - le[k]) / (le[k + 1] - le[k]) * (x0e[k + 1] - x0e[k]);
    return x0e[L0_GEOM_NSLABS];
}

static double deposit_hadron(const l0_shower *s, l0_rng *r, const l0_particle *pt, int fast,
                             l0_depo *d, double eta, double phi) {
    const l0_shower_params *p = &s->p;
    const l0_geom *g = s->g;
    double x0e[L0_GEOM_NSLABS + 1], le[L0_GEOM_NSLABS + 1];
    l0_geom_depths(g, eta, x0e, le);
    int charged = pt->pdg == 211 || pt->pdg == -211;
    double s0 = l0_rng_exponential(r) * (charged ? p->had_lambda : 1.0);
    double e = pt->e, vis = 0, ch = cosh(eta);
    /* the track before its interaction: ionisation only, visible in active layers */
    if (charged) {
        for (int k = 0; k < L0_GEOM_NSLABS && e > 0; k++) {
            if (s0 <= le[k]) break;
            double fr = (fmin(s0, le[k + 1]) - le[k]) / (le[k + 1] - le[k]);
            double loss = g->slab[k].mip * ch * fr;
            if (loss > e) loss = e; /* ranges out */
            e -= loss;
            if (g->slab[k].layer >= 0 && loss > 0) {
                l0_depo_add(d, g, g->slab[k].layer, eta, phi, (float)loss);
                vis += loss;
            }
        }
    }
    if (!(e > 1e-3) || s0 >= le[L0_GEOM_NSLABS]) return vis;

    /* the shower: EM fraction from a Beta distribution about its mean */
    double m = em_fem_mean(p, e), f = 0;
    if (m > 0) {
        double ga = l0_rng_gamma(r, m * p->fem_conc);
        double gb = m < 1 ? l0_rng_gamma(r, (1 - m) * p->fem_conc) : 0;
        f = ga + gb > 0 ? ga / (ga + gb) : m;
    }
    double e_em = f * e, e_h = e - e_em;
    double scale = fast ? 1.0 : 1.0 + p->had_c * l0_rng_normal(r);

    /* EM part: the pi0 photons, as one EM profile of a third of the EM energy (the pi0s share
     * it), starting at the interaction point */
    if (e_em > 1e-4) {
        double t0 = lambda_to_x0(x0e, le, s0);
        profile pr = {0};
        double esc = scale;
        double eeff = e_em / 3;
        if (fast && eeff < exp(EM_LNE_HI)) {
            pr.row = s->em_cdf[table_bin(eeff, EM_LNE_LO, EM_LNE_HI, EM_NE)];
            pr.n = EM_NX;
            pr.dx = EM_DX;
            double a = p->em_a_lar;
            esc *= gamma_mv(r, 1.0, a * a / e_em);
        } else {
            em_mean(p, eeff, &pr.alpha, &pr.beta);
        }
        vis += em_shower(s, r, d, eta, phi, e_em, t0, &pr, x0e, fast && pr.row, esc);
    }

    /* non-EM part, seen at h/e of each medium, with its own (larger) fluctuations */
    if (e_h > 1e-4) {
        profile pr = {0};
        double hsc = scale;
        if (fast && e < exp(HAD_LNE_HI)) {
            pr.row = s->had_cdf[table_bin(e, HAD_LNE_LO, HAD_LNE_HI, HAD_NE)];
            pr.n = HAD_NX;
            pr.dx = HAD_DX;
            hsc *= gamma_mv(r, 1.0, p->had_a * p->had_a / e_h);
        } else {
            had_mean(p, e, &pr.alpha, &pr.beta);
            if (!fast) {
                double a = pr.alpha * exp(p->had_sig_alpha * l0_rng_normal(r));
                double tmax = (pr.alpha - 1) / pr.beta;
                pr.alpha = a < 1.05 ? 1.05 : a;
                pr.beta = (pr.alpha - 1) / tmax;
            }
        }
        int fastrow = pr.row != NULL;
        double prev = 0;
        int nspots = (int)fmin(2000, 60 + 12 * e_h);
        for (int k = 0; k < L0_GEOM_NSLABS; k++) {
            double cur = prof_cdf(&pr, le[k + 1] - s0), fr = cur - prev;
            prev = cur;
            const l0_slab *sl = &g->slab[k];
            if (sl->layer < 0 || !(fr > 1e-7)) continue;
            double ek = e_h * fr;
            if (fastrow && ek < 1e-4) continue;
            if (!fastrow) ek = gamma_mv(r, ek, p->had_a * p->had_a * ek);
            ek *= hsc / sl->e_over_h;
            vis += ek;
            int n = fastrow ? 1 : (int)ceil(nspots * fr);
            spread(s, r, d, sl->layer, eta, phi, ek, n, p->had_lat_core,
                   p->had_r_core * sl->lambda_cm, p->had_r_tail * sl->lambda_cm);
        }
    }
    return vis;
}

double l0_shower_deposit(const l0_shower *s, l0_rng *r, const l0_particle *p, int quality,
                         l0_depo *d) {
    double eta, phi;
    if (!(p->e > 0) || !l0_shower_impact(s, p, &eta, &phi)) return 0;
    int fast = quality == L0_SHOWER_FAST;
    switch (p->pdg) {
    case 22:
    case 11:
    case -11:
        return deposit_em_particle(s, r, p, fast, d, eta, phi);
    default:
        return deposit_hadron(s, r, p, fast, d, eta, phi);
    }
}
