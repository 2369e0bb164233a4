/* l0sim validate: measure the simulation against the figures it is meant to follow.
 *
 * Single pions and photons at fixed energies (EM-scale response and resolution against
 * 50%/sqrt(E) (+) 3% and 10%/sqrt(E) (+) 0.7%), clusters per crossing and cells per cluster at
 * several pile-up levels, and the noise per layer (the sigma the clustering uses against the
 * RMS of simulated cell energies). Writes a text table, CSV files and PNG plots. */
#include <getopt.h>
#include <math.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>

#include "l0_cli.h"
#include "l0_gen.h"
#include "l0_ofile.h"
#include "l0_plot.h"
#include "l0_progress.h"

int l0_cmd_validate(int argc, char **argv); /* declared in sim/l0_cmds.h */

static const char *const VALIDATE_HELP =
    "usage: l0sim validate -o DIR [--samples N] [--pileup-samples N] [--crossings N]\n"
    "                      [--seed S] [--threads T] [--quick]\n"
    "\n"
    "Measure the simulation (docs/stimuli.md) and compare it with its reference figures:\n"
    "  - single pions and photons at 2, 5, 10, 20, 50, 100, 200, 500 GeV, mu = 0, exact cell\n"
    "    energies: matched-cluster efficiency, EM-scale response E_cluster/E_true (mean and\n"
    "    median), resolution sigma/E = (IQR/1.349)/median, against 50%/sqrt(E) (+) 3% (pions)\n"
    "    and 10%/sqrt(E) (+) 0.7% (photons); optionally the same at mu = 200;\n"
    "  - clusters per crossing and cells per cluster at mu = 0, 60, 140, 200 (6-bit encoding,\n"
    "    as 'l0sim gen' streams);\n"
    "  - noise per layer: electronic, the total sigma the clustering uses, and the RMS of the\n"
    "    simulated cell energies.\n"
    "Checks: the resolution at 20, 50 and 200 GeV within 20% of its formula, for pions and for\n"
    "photons; the mean pion response below the photon one at every energy.\n"
    "\n"
    "  -o, --output DIR      where to write validation.txt, response.csv, clusters.csv,\n"
    "                        noise.csv, resolution.png, response.png, clusters.png, noise.png\n"
    "  --samples N           particles per energy and type at mu = 0 (default 2000)\n"
    "  --pileup-samples N    the same at mu = 200 (default 0: skipped)\n"
    "  --crossings N         filled crossings per mu for the cluster counts (default 20)\n"
    "  --quick               --samples 300 --crossings 4: a run of seconds\n"
    "  --seed S              random seed (default 1)\n"
    "  --threads T           worker threads (default: online CPUs)\n"
    "  -h, --help\n"
    "\n"
    "exit status: 0 all checks PASS, 1 a check FAILed, 2 usage or output error.\n";

static const double ENERGIES[] = {2, 5, 10, 20, 50, 100, 200, 500};
#define NE (sizeof ENERGIES / sizeof ENERGIES[0])
static const double MUS[] = {0, 60, 140, 200};
#define NMU (sizeof MUS / sizeof MUS[0])

/* ---- a growing text buffer ---- */
typedef struct sbuf {
    char *p;
    size_t n, cap;
    int oom;
} sbuf;

static void sb_printf(sbuf *b, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
static void sb_printf(sbuf *b, const char *fmt, ...) {
    if (b->oom) return;
    for (;;) {
        va_list ap;
        va_start(ap, fmt);
        int k = vsnprintf(b->p ? b->p + b->n : NULL, b->p ? b->cap - b->n : 0, fmt, ap);
        va_end(ap);
        if (k < 0) {
            b->oom = 1;
            return;
        }
        if (b->p && b->n + (size_t)k < b->cap) {
            b->n += (size_t)k;
            return;
        }
        size_t nc = b->cap ? b->cap * 2 : 4096;
        while (nc < b->n + (size_t)k + 1) nc *= 2;
        char *q = realloc(b->p, nc);
        if (!q) {
            b->oom = 1;
            return;
        }
        b->p = q;
        b->cap = nc;
    }
}

/* ---- single particles ---- */

typedef struct point {
    int particle;
    double e, mu;
    int n, matched, edge;
    double mean, median, res, res_err, formula;
} point;

typedef struct single_ctx {
    const l0_gen *g;
    uint64_t base; /* particle index of item 0: every point has its own particles */
    double *resp;  /* NAN when not matched */
    int *edge;
} single_ctx;

static int single_task(void *ctx, l0_gen_work *w, size_t i) {
    single_ctx *s = ctx;
    l0_gen_out o;
    memset(&o, 0, sizeof o);
    int rc = l0_gen_single(s->g, w, s->base + i, &o);
    s->resp[i] = NAN;
    s->edge[i] = 0;
    if (rc == 1) {
        s->resp[i] = o.ev.clusters[0].e / o.ev.clusters[0].truth_e;
        s->edge[i] = o.edge;
    }
    l0_gen_out_free(&o);
    return rc < 0 ? -1 : 0;
}

static double cpu_seconds(void) {
    struct rusage ru;
    getrusage(RUSAGE_SELF, &ru);
    return (double)ru.ru_utime.tv_sec + 1e-6 * (double)ru.ru_utime.tv_usec +
           (double)ru.ru_stime.tv_sec + 1e-6 * (double)ru.ru_stime.tv_usec;
}

static int cmp_d(const void *a, const void *b) {
    double x = *(const double *)a, y = *(const double *)b;
    return (x > y) - (x < y);
}

static double quantile(const double *v, int n, double f) {
    if (n <= 0) return NAN;
    double p = f * (n - 1);
    int i = (int)p;
    double t = p - i;
    return i + 1 < n ? v[i] * (1 - t) + v[i + 1] * t : v[i];
}

static double formula(int particle, double e) {
    if (particle == L0_GEN_PHOTON) return sqrt(0.10 * 0.10 / e + 0.007 * 0.007);
    return sqrt(0.50 * 0.50 / e + 0.03 * 0.03);
}

static int run_point(l0_gen *g, l0_gen_pool *pool, point *pt, int n, uint64_t base, l0_err *err) {
    if (l0_gen_set_particle(g, pt->particle, pt->e, pt->e, err)) return -1;
    single_ctx s = {.g = g, .base = base};
    s.resp = malloc((size_t)n * sizeof *s.resp);
    s.edge = malloc((size_t)n * sizeof *s.edge);
    if (!s.resp || !s.edge || l0_gen_pool_run(pool, (size_t)n, single_task, &s)) {
        free(s.resp);
        free(s.edge);
        return l0_err_set(err, "out of memory");
    }
    int m = 0;
    double sum = 0;
    pt->edge = 0;
    for (int i = 0; i < n; i++) {
        if (isnan(s.resp[i])) continue;
        s.resp[m++] = s.resp[i];
        sum += s.resp[i];
        pt->edge += s.edge[i];
    }
    qsort(s.resp, (size_t)m, sizeof *s.resp, cmp_d);
    pt->n = n;
    pt->matched = m;
    pt->mean = m ? sum / m : NAN;
    pt->median = quantile(s.resp, m, 0.5);
    pt->res = (quantile(s.resp, m, 0.75) - quantile(s.resp, m, 0.25)) / 1.349 / pt->median;
    /* asymptotic standard error of the IQR-based sigma of a Gaussian: 1.17 sigma / sqrt(N) */
    pt->res_err = m > 0 ? 1.17 * pt->res / sqrt((double)m) : NAN;
    pt->formula = formula(pt->particle, pt->e);
    free(s.resp);
    free(s.edge);
    return 0;
}

/* ---- crossings ---- */

typedef struct xing_res {
    double clusters, cl_et1, cl_et5, cells_total, cells_kept, truncated, active;
    double s1[L0_NLAYERS], s2[L0_NLAYERS];
} xing_res;

typedef struct xing_ctx {
    const l0_gen *g;
    const uint16_t *bx; /* filled slots to simulate */
    xing_res *res;
} xing_ctx;

static int xing_task(void *ctx, l0_gen_work *w, size_t i) {
    xing_ctx *x = ctx;
    l0_gen_out o;
    memset(&o, 0, sizeof o);
    if (l0_gen_crossing(x->g, w, 0, x->bx[i], &o)) {
        l0_gen_out_free(&o);
        return -1;
    }
    xing_res *r = &x->res[i];
    memset(r, 0, sizeof *r);
    for (uint32_t k = 0; k < o.ev.n_clusters; k++) {
        const l0_cluster *c = &o.ev.clusters[k];
        r->clusters += 1;
        r->cl_et1 += c->et > 1.0;
        r->cl_et5 += c->et > 5.0;
        r->cells_total += c->n_cells_total;
        r->cells_kept += c->n_cells;
        r->truncated += c->n_cells_total > c->n_cells;
    }
    const l0_geom *geo = l0_gen_geom(x->g);
    const l0_noise *nz = l0_gen_noise(x->g);
    const float *e = l0_gen_work_cells(w);
    for (uint32_t c = 0; c < geo->n_cells; c++) {
        int l = geo->cell_layer[c];
        r->s1[l] += e[c];
        r->s2[l] += (double)e[c] * e[c];
        r->active += e[c] * nz->inv_sigma[c] >= 2.0f;
    }
    l0_gen_out_free(&o);
    return 0;
}

typedef struct mu_row {
    double mu;
    int n;
    double clusters, cl_et1, cl_et5, cells_total, cells_kept, truncated, active, ms;
    double rms[L0_NLAYERS], sigma[L0_NLAYERS], mean[L0_NLAYERS];
} mu_row;

/* ---- output ---- */

static int write_text(const char *dir, const char *name, const sbuf *b, l0_err *err) {
    char path[4096];
    snprintf(path, sizeof path, "%s/%s", dir, name);
    return l0_write_file_atomic(path, b->p ? b->p : "", b->n, err);
}

static int plot(const char *dir, const char *name, const sbuf *script, l0_err *err) {
    char path[4096];
    snprintf(path, sizeof path, "%s/%s", dir, name);
    return l0_plot_png(path, 900, 600, script->p, err);
}

static const char *pname(int particle) {
    return particle == L0_GEN_PHOTON ? "photon" : "pion";
}

int l0_cmd_validate(int argc, char **argv) {
    static const struct option opts[] = {{"output", required_argument, 0, 'o'},
                                         {"samples", required_argument, 0, 's'},
                                         {"pileup-samples", required_argument, 0, 'p'},
                                         {"crossings", required_argument, 0, 'x'},
                                         {"quick", no_argument, 0, 'k'},
                                         {"seed", required_argument, 0, 'S'},
                                         {"threads", required_argument, 0, 't'},
                                         {"help", no_argument, 0, 'h'},
                                         {0, 0, 0, 0}};
    const char *dir = NULL;
    int64_t samples = 2000, pu_samples = 0, crossings = 20;
    int quick = 0, threads = l0_gen_ncpu();
    int set_samples = 0, set_crossings = 0;
    uint64_t seed = 1;
    int c;
    opterr = 0;
    optind = 1;
    while ((c = getopt_long(argc, argv, ":o:h", opts, NULL)) != -1) {
        int64_t v;
        switch (c) {
        case 'h':
            fputs(VALIDATE_HELP, stdout);
            return L0_EXIT_OK;
        case 'o':
            dir = optarg;
            break;
        case 's':
        case 'p':
        case 'x':
            if (l0_parse_i64(optarg, c == 'p' ? 0 : 1, 10000000, &v))
                return l0_cli_usage("validate", "--%s '%s': need a whole number%s",
                                    c == 's'   ? "samples"
                                    : c == 'p' ? "pileup-samples"
                                               : "crossings",
                                    optarg, c == 'p' ? " (0 to skip)" : " from 1");
            if (c == 's') samples = v, set_samples = 1;
            if (c == 'p') pu_samples = v;
            if (c == 'x') crossings = v, set_crossings = 1;
            break;
        case 'k':
            quick = 1;
            break;
        case 'S':
            if (l0_parse_u64(optarg, &seed))
                return l0_cli_usage("validate", "--seed '%s': need a whole number", optarg);
            break;
        case 't':
            if (l0_parse_i64(optarg, 1, 64, &v))
                return l0_cli_usage("validate", "--threads '%s': need 1 to 64", optarg);
            threads = (int)v;
            break;
        default:
            return l0_cli_bad_option("validate", c, argv);
        }
    }
    if (optind < argc) return l0_cli_usage("validate", "unexpected argument '%s'", argv[optind]);
    if (!dir) return l0_cli_usage("validate", "no output directory: give -o DIR");
    if (quick) {
        if (!set_samples) samples = 300;
        if (!set_crossings) crossings = 4;
    }
    l0_err err;
    if (l0_mkdir_p(dir, &err)) return l0_cli_error("validate", "%s", err.msg);

    double t0 = l0_now();
    l0_gen_config cfg;
    l0_gen_config_default(&cfg);
    cfg.seed = seed;
    cfg.mu = 0;
    cfg.enc_bits = 0; /* the calorimeter's physics: exact cell energies */
    cfg.threads = threads;
    l0_gen *g = l0_gen_create(&cfg, &err);
    if (!g) return l0_cli_error("validate", "%s", err.msg);
    l0_gen_pool *pool = l0_gen_pool_create(g, threads);
    if (!pool) {
        l0_gen_destroy(g);
        return l0_cli_error("validate", "out of memory");
    }
    int status = L0_EXIT_USAGE;
    sbuf txt = {0}, csv = {0}, ccsv = {0}, ncsv = {0}, sc = {0};

    /* single particles */
    int npass = 0, nfail = 0;
    point pts[2][2][NE];  /* [mu index][particle][energy] */
    point enc_pts[2][NE]; /* mu = 0 with the 6-bit cell encoding, half the samples */
    int n_enc = samples / 2 > 100 ? (int)(samples / 2) : (int)samples;
    int nmu_single = pu_samples > 0 ? 2 : 1;
    l0_progress pr;
    l0_progress_start(&pr, "validate: singles", (uint64_t)(2 * NE * (nmu_single + 1)));
    int done = 0;
    for (int m = 0; m < nmu_single; m++) {
        double mu = m == 0 ? 0 : 200;
        int n = m == 0 ? (int)samples : (int)pu_samples;
        if (l0_gen_set_mu(g, mu, &err)) goto fail_err;
        for (int p = 0; p < 2; p++)
            for (size_t k = 0; k < NE; k++) {
                point *pt = &pts[m][p][k];
                memset(pt, 0, sizeof *pt);
                pt->particle = p == 0 ? L0_GEN_PION : L0_GEN_PHOTON;
                pt->e = ENERGIES[k];
                pt->mu = mu;
                if (run_point(g, pool, pt, n, (uint64_t)done << 32, &err)) goto fail_err;
                l0_progress_update(&pr, (uint64_t)++done);
            }
    }
    {
        l0_gen_config ecfg = cfg;
        ecfg.enc_bits = 6;
        l0_gen *ge = l0_gen_create(&ecfg, &err);
        l0_gen_pool *pe = ge ? l0_gen_pool_create(ge, threads) : NULL;
        if (!ge || !pe) {
            l0_gen_pool_destroy(pe);
            l0_gen_destroy(ge);
            if (!ge) goto fail_err;
            goto fail_oom;
        }
        for (int p = 0; p < 2; p++)
            for (size_t k = 0; k < NE; k++) {
                point *pt = &enc_pts[p][k];
                memset(pt, 0, sizeof *pt);
                pt->particle = p == 0 ? L0_GEN_PION : L0_GEN_PHOTON;
                pt->e = ENERGIES[k];
                if (run_point(ge, pe, pt, n_enc, (uint64_t)done << 32, &err)) {
                    l0_gen_pool_destroy(pe);
                    l0_gen_destroy(ge);
                    goto fail_err;
                }
                l0_progress_update(&pr, (uint64_t)++done);
            }
        l0_gen_pool_destroy(pe);
        l0_gen_destroy(ge);
    }
    l0_progress_end(&pr, (uint64_t)done);

    sb_printf(&txt, "l0sim validate: seed %llu, %lld particles per point at mu = 0",
              (unsigned long long)seed, (long long)samples);
    if (pu_samples) sb_printf(&txt, ", %lld at mu = 200", (long long)pu_samples);
    sb_printf(&txt, ", %lld filled crossings per mu\n\n", (long long)crossings);
    sb_printf(&csv, "particle,mu,encoding_bits,e_gev,n,matched,edge,mean_response,"
                    "median_response,resolution,resolution_err,formula,ratio\n");
    for (int m = 0; m < nmu_single; m++) {
        sb_printf(&txt,
                  "Single particles, mu = %g, EM scale, exact cell energies (no encoding)\n"
                  "R = E_cluster / E_true of the matched cluster; sigma/E = (IQR of R / 1.349) / "
                  "median R (+- its statistical error);\nedge: fraction of matched clusters "
                  "reaching the border of the simulated window\n"
                  "formula: 50%%/sqrt(E) (+) 3%% for pions, 10%%/sqrt(E) (+) 0.7%% for photons; "
                  "checked at 20, 50, 200 GeV (mu = 0): within 20%%\n\n",
                  pts[m][0][0].mu);
        sb_printf(&txt, "%-7s %6s %8s %6s %7s %8s %8s %7s %8s %6s  %s\n", "type", "E/GeV",
                  "matched", "edge", "mean R", "median R", "sigma/E", "+-", "formula", "ratio",
                  "check");
        for (int p = 0; p < 2; p++)
            for (size_t k = 0; k < NE; k++) {
                const point *pt = &pts[m][p][k];
                double ratio = pt->res / pt->formula;
                const char *chk = "";
                if (m == 0 && (pt->e == 20 || pt->e == 50 || pt->e == 200)) {
                    int ok = fabs(ratio - 1) <= 0.2;
                    chk = ok ? "PASS" : "FAIL";
                    ok ? npass++ : nfail++;
                }
                sb_printf(&txt, "%-7s %6.0f %8.3f %6.3f %7.3f %8.3f %8.4f %7.4f %8.4f %6.2f  %s\n",
                          pname(pt->particle), pt->e, (double)pt->matched / pt->n,
                          pt->matched ? (double)pt->edge / pt->matched : 0.0, pt->mean, pt->median,
                          pt->res, pt->res_err, pt->formula, ratio, chk);
                sb_printf(&csv, "%s,%g,0,%g,%d,%d,%d,%.6f,%.6f,%.6f,%.6f,%.6f,%.4f\n",
                          pname(pt->particle), pt->mu, pt->e, pt->n, pt->matched, pt->edge,
                          pt->mean, pt->median, pt->res, pt->res_err, pt->formula, ratio);
            }
        sb_printf(&txt, "\n");
    }
    sb_printf(&txt,
              "The same at mu = 0 with the 6-bit multilinear cell encoding Global receives "
              "(cell Et truncated\nto its step; saturation at 51.84 GeV per cell), %d particles "
              "per point:\n\n",
              n_enc);
    sb_printf(&txt, "%-7s %6s %8s %7s %8s %8s %8s\n", "type", "E/GeV", "matched", "mean R",
              "median R", "sigma/E", "formula");
    for (int p = 0; p < 2; p++)
        for (size_t k = 0; k < NE; k++) {
            const point *pt = &enc_pts[p][k];
            sb_printf(&txt, "%-7s %6.0f %8.3f %7.3f %8.3f %8.4f %8.4f\n", pname(pt->particle),
                      pt->e, (double)pt->matched / pt->n, pt->mean, pt->median, pt->res,
                      pt->formula);
            sb_printf(&csv, "%s,0,6,%g,%d,%d,%d,%.6f,%.6f,%.6f,%.6f,%.6f,%.4f\n",
                      pname(pt->particle), pt->e, pt->n, pt->matched, pt->edge, pt->mean,
                      pt->median, pt->res, pt->res_err, pt->formula, pt->res / pt->formula);
        }
    sb_printf(&txt, "\n");
    sb_printf(&txt, "Mean response, pions below photons (non-compensation), mu = 0:\n");
    for (size_t k = 0; k < NE; k++) {
        int ok = pts[0][0][k].mean < pts[0][1][k].mean;
        ok ? npass++ : nfail++;
        sb_printf(&txt, "  %3.0f GeV: pion %.3f, photon %.3f  %s\n", ENERGIES[k], pts[0][0][k].mean,
                  pts[0][1][k].mean, ok ? "PASS" : "FAIL");
    }
    sb_printf(&txt, "\n");

    /* crossings at several mu (stream settings: 6-bit encoding) */
    mu_row rows[NMU];
    {
        l0_gen_config sc_cfg = cfg;
        sc_cfg.enc_bits = 6;
        l0_gen_destroy(g);
        l0_gen_pool_destroy(pool);
        pool = NULL;
        g = l0_gen_create(&sc_cfg, &err);
        if (!g) goto fail_err;
        pool = l0_gen_pool_create(g, threads);
        if (!pool) goto fail_oom;
        uint16_t *bx = malloc((size_t)crossings * sizeof *bx);
        xing_res *res = malloc((size_t)crossings * sizeof *res);
        if (!bx || !res) {
            free(bx);
            free(res);
            goto fail_oom;
        }
        const uint8_t *filled = l0_gen_filled(g);
        for (int64_t i = 0, s = 0; i < crossings; s++)
            if (filled[s % L0_FILL_SLOTS]) bx[i++] = (uint16_t)(s % L0_FILL_SLOTS);
        l0_progress_start(&pr, "validate: crossings", NMU);
        const l0_geom *geo = l0_gen_geom(g);
        for (size_t m = 0; m < NMU; m++) {
            mu_row *row = &rows[m];
            memset(row, 0, sizeof *row);
            row->mu = MUS[m];
            row->n = (int)crossings;
            if (l0_gen_set_mu(g, MUS[m], &err)) {
                free(bx);
                free(res);
                goto fail_err;
            }
            xing_ctx x = {.g = g, .bx = bx, .res = res};
            double t1 = cpu_seconds();
            if (l0_gen_pool_run(pool, (size_t)crossings, xing_task, &x)) {
                free(bx);
                free(res);
                goto fail_oom;
            }
            row->ms = 1000 * (cpu_seconds() - t1) / (double)crossings; /* all threads */
            double s1[L0_NLAYERS] = {0}, s2[L0_NLAYERS] = {0};
            for (int64_t i = 0; i < crossings; i++) {
                const xing_res *r = &res[i];
                row->clusters += r->clusters;
                row->cl_et1 += r->cl_et1;
                row->cl_et5 += r->cl_et5;
                row->cells_total += r->cells_total;
                row->cells_kept += r->cells_kept;
                row->truncated += r->truncated;
                row->active += r->active;
                for (int l = 0; l < L0_NLAYERS; l++) {
                    s1[l] += r->s1[l];
                    s2[l] += r->s2[l];
                }
            }
            const l0_noise *nz = l0_gen_noise(g);
            for (int l = 0; l < L0_NLAYERS; l++) {
                const l0_layer_info *L = &geo->layer[l];
                double ncell = (double)L->n_eta * L->n_phi, ss = 0;
                for (uint32_t c2 = L->first; c2 < L->first + (uint32_t)ncell; c2++)
                    ss += (double)nz->sigma[c2] * nz->sigma[c2];
                double nn = ncell * (double)crossings;
                row->mean[l] = s1[l] / nn;
                row->rms[l] = sqrt(fmax(0, s2[l] / nn - row->mean[l] * row->mean[l]));
                row->sigma[l] = sqrt(ss / ncell);
            }
            l0_progress_update(&pr, m + 1);
        }
        l0_progress_end(&pr, NMU);
        free(bx);
        free(res);

        sb_printf(&txt, "Clusters per filled crossing (4-2 topoclusters, |eta| < 1.4, C = 64 cells "
                        "kept, 6-bit cell encoding)\n\n");
        sb_printf(&txt, "%5s %9s %9s %9s %9s %10s %10s %10s %11s %9s\n", "mu", "crossings",
                  "clusters", "Et>1GeV", "Et>5GeV", "cells/cl", "kept/cl", "truncated",
                  "cells>=2sig", "CPU ms/x");
        sb_printf(&ccsv, "mu,crossings,clusters_per_crossing,clusters_et1,clusters_et5,"
                         "cells_per_cluster,kept_per_cluster,truncated_fraction,"
                         "cells_2sigma_per_crossing,ms_per_crossing\n");
        for (size_t m = 0; m < NMU; m++) {
            const mu_row *r = &rows[m];
            double n = r->n, ncl = r->clusters > 0 ? r->clusters : 1;
            sb_printf(&txt, "%5.0f %9d %9.1f %9.1f %9.2f %10.2f %10.2f %9.2f%% %11.0f %9.1f\n",
                      r->mu, r->n, r->clusters / n, r->cl_et1 / n, r->cl_et5 / n,
                      r->cells_total / ncl, r->cells_kept / ncl, 100 * r->truncated / ncl,
                      r->active / n, r->ms);
            sb_printf(&ccsv, "%g,%d,%.3f,%.3f,%.3f,%.4f,%.4f,%.5f,%.1f,%.2f\n", r->mu, r->n,
                      r->clusters / n, r->cl_et1 / n, r->cl_et5 / n, r->cells_total / ncl,
                      r->cells_kept / ncl, r->truncated / ncl, r->active / n, r->ms);
        }
        sb_printf(&txt, "\nNoise per layer, MeV: electronic; the total sigma the clustering uses "
                        "(parametrised: electronic (+) pile-up\nmeasured at start-up, RMS over the "
                        "layer's cells); the RMS of simulated cell energies (measured)\n\n");
        sb_printf(&txt, "%-12s %6s", "layer", "elec");
        for (size_t m = 1; m < NMU; m++)
            sb_printf(&txt, "  sig(mu=%-3.0f) rms(mu=%-3.0f)", MUS[m], MUS[m]);
        sb_printf(&txt, "\n");
        sb_printf(&ncsv, "layer,mu,electronic_mev,sigma_mev,rms_mev,mean_mev\n");
        for (int l = 0; l < L0_NLAYERS; l++) {
            sb_printf(&txt, "%-12s %6.1f", geo->layer[l].name, 1000 * geo->layer[l].noise);
            for (size_t m = 1; m < NMU; m++)
                sb_printf(&txt, "  %12.1f %12.1f", 1000 * rows[m].sigma[l], 1000 * rows[m].rms[l]);
            sb_printf(&txt, "\n");
            for (size_t m = 0; m < NMU; m++)
                sb_printf(&ncsv, "%s,%g,%.2f,%.2f,%.2f,%.3f\n", geo->layer[l].name, rows[m].mu,
                          1000 * geo->layer[l].noise, 1000 * rows[m].sigma[l],
                          1000 * rows[m].rms[l], 1000 * rows[m].mean[l]);
        }
    }
    sb_printf(&txt, "\nchecks: %d PASS, %d FAIL; %.1f s\n", npass, nfail, l0_now() - t0);
    if (txt.oom || csv.oom || ccsv.oom || ncsv.oom) goto fail_oom;

    if (write_text(dir, "validation.txt", &txt, &err) ||
        write_text(dir, "response.csv", &csv, &err) ||
        write_text(dir, "clusters.csv", &ccsv, &err) || write_text(dir, "noise.csv", &ncsv, &err))
        goto fail_err;

    /* plots, with their data inline */
    sc.n = 0;
    sb_printf(&sc, "$pi << EOD\n");
    for (size_t k = 0; k < NE; k++)
        sb_printf(&sc, "%g %g %g %g %g\n", ENERGIES[k], pts[0][0][k].res, pts[0][0][k].res_err,
                  pts[0][0][k].mean, pts[0][0][k].median);
    sb_printf(&sc, "EOD\n$ga << EOD\n");
    for (size_t k = 0; k < NE; k++)
        sb_printf(&sc, "%g %g %g %g %g\n", ENERGIES[k], pts[0][1][k].res, pts[0][1][k].res_err,
                  pts[0][1][k].mean, pts[0][1][k].median);
    sb_printf(&sc, "EOD\n");
    if (nmu_single > 1) {
        sb_printf(&sc, "$pi2 << EOD\n");
        for (size_t k = 0; k < NE; k++)
            sb_printf(&sc, "%g %g %g %g\n", ENERGIES[k], pts[1][0][k].res, pts[1][0][k].res_err,
                      pts[1][0][k].mean);
        sb_printf(&sc, "EOD\n$ga2 << EOD\n");
        for (size_t k = 0; k < NE; k++)
            sb_printf(&sc, "%g %g %g %g\n", ENERGIES[k], pts[1][1][k].res, pts[1][1][k].res_err,
                      pts[1][1][k].mean);
        sb_printf(&sc, "EOD\n");
    }
    sb_printf(&sc, "$pie << EOD\n");
    for (size_t k = 0; k < NE; k++) sb_printf(&sc, "%g %g\n", ENERGIES[k], enc_pts[0][k].mean);
    sb_printf(&sc, "EOD\n$gae << EOD\n");
    for (size_t k = 0; k < NE; k++) sb_printf(&sc, "%g %g\n", ENERGIES[k], enc_pts[1][k].mean);
    sb_printf(&sc, "EOD\n");
    size_t data_end = sc.n;
    sb_printf(&sc,
              "set logscale xy\nset grid\nset key top right\nset xrange [1.5:700]\n"
              "set xlabel 'E_{true} [GeV]'\nset ylabel '{/Symbol s}/E (IQR-based)'\n"
              "set title 'EM-scale resolution of single particles (mu = 0)'\n"
              "plot sqrt(0.25/x + 0.0009) w l lw 2 lc rgb '#d62728' t '50%%/{/Symbol \\326}E "
              "(+) 3%%', \\\n"
              "  sqrt(0.01/x + 0.000049) w l lw 2 lc rgb '#1f77b4' t '10%%/{/Symbol \\326}E (+) "
              "0.7%%', \\\n"
              "  $pi u 1:2:3 w yerr pt 7 lc rgb '#d62728' t 'pions', \\\n"
              "  $ga u 1:2:3 w yerr pt 5 lc rgb '#1f77b4' t 'photons'%s\n",
              nmu_single > 1 ? ", \\\n  $pi2 u 1:2:3 w yerr pt 6 lc rgb '#ff9896' t 'pions, mu "
                               "200', \\\n  $ga2 u 1:2:3 w yerr pt 4 lc rgb '#aec7e8' t 'photons, "
                               "mu 200'"
                             : "");
    if (sc.oom || plot(dir, "resolution.png", &sc, &err)) goto fail_plot;
    sc.n = data_end;
    sb_printf(&sc, "set logscale x\nset grid\nset key bottom right\nset xrange [1.5:700]\n"
                   "set yrange [0.2:1.1]\nset xlabel 'E_{true} [GeV]'\n"
                   "set ylabel 'E_{cluster} / E_{true}'\n"
                   "set title 'EM-scale response of single particles (mu = 0)'\n"
                   "plot $pi u 1:4 w lp pt 7 lc rgb '#d62728' t 'pions, mean', \\\n"
                   "  $pi u 1:5 w lp pt 6 dt 2 lc rgb '#d62728' t 'pions, median', \\\n"
                   "  $ga u 1:4 w lp pt 5 lc rgb '#1f77b4' t 'photons, mean', \\\n"
                   "  $ga u 1:5 w lp pt 4 dt 2 lc rgb '#1f77b4' t 'photons, median', \\\n"
                   "  $pie u 1:2 w lp pt 8 dt 3 lc rgb '#ff7f0e' t 'pions, mean, 6-bit cells', \\\n"
                   "  $gae u 1:2 w lp pt 12 dt 3 lc rgb '#17becf' t 'photons, mean, 6-bit "
                   "cells'\n");
    if (sc.oom || plot(dir, "response.png", &sc, &err)) goto fail_plot;
    sc.n = 0;
    sb_printf(&sc, "$d << EOD\n");
    for (size_t m = 0; m < NMU; m++)
        sb_printf(&sc, "%g %g %g %g\n", rows[m].mu, rows[m].clusters / rows[m].n,
                  rows[m].cl_et1 / rows[m].n,
                  rows[m].clusters > 0 ? rows[m].cells_total / rows[m].clusters : 0);
    sb_printf(&sc, "EOD\nset grid\nset key top left\nset xlabel 'mu'\n"
                   "set ylabel 'clusters per crossing'\nset y2label 'cells per cluster'\n"
                   "set ytics nomirror\nset y2tics\nset xrange [-10:210]\n"
                   "set title 'Topoclusters (4-2) per filled crossing, |eta| < 1.4'\n"
                   "plot $d u 1:2 w lp pt 7 t 'clusters', $d u 1:3 w lp pt 5 t 'clusters, "
                   "Et > 1 GeV', $d u 1:4 axes x1y2 w lp pt 9 t 'cells per cluster (right)'\n");
    if (sc.oom || plot(dir, "clusters.png", &sc, &err)) goto fail_plot;
    {
        /* noise versus |eta| at mu = 200, per layer, from the model the clustering uses */
        const l0_geom *geo = l0_gen_geom(g);
        if (l0_gen_set_mu(g, 200, &err)) goto fail_err;
        const l0_noise *nz = l0_gen_noise(g);
        sc.n = 0;
        for (int l = 0; l < L0_NLAYERS; l++) {
            const l0_layer_info *L = &geo->layer[l];
            sb_printf(&sc, "$l%d << EOD\n", l);
            for (int ie = L->n_eta / 2; ie < L->n_eta; ie++) {
                uint32_t c2 = L->first + (uint32_t)(ie * L->n_phi);
                sb_printf(&sc, "%g %g\n", geo->cell_eta[c2], 1000 * nz->sigma[c2]);
            }
            sb_printf(&sc, "EOD\n");
        }
        sb_printf(&sc, "set logscale y\nset grid\nset key outside right\nset xrange [0:1.4]\n"
                       "set xlabel '|eta|'\nset ylabel 'total noise {/Symbol s} [MeV]'\n"
                       "set title 'Cell noise at mu = 200 (electronic (+) pile-up), per layer'\n"
                       "plot ");
        for (int l = 0; l < L0_NLAYERS; l++)
            sb_printf(&sc, "%s$l%d w l lw 2 t '%s'", l ? ", " : "", l, geo->layer[l].name);
        sb_printf(&sc, "\n");
        if (sc.oom || plot(dir, "noise.png", &sc, &err)) goto fail_plot;
    }

    fwrite(txt.p, 1, txt.n, stdout);
    printf("wrote %s/{validation.txt,response.csv,clusters.csv,noise.csv,resolution.png,"
           "response.png,clusters.png,noise.png}\n",
           dir);
    status = nfail ? L0_EXIT_FAIL : L0_EXIT_OK;
    goto done;
fail_plot:
    if (sc.oom) goto fail_oom;
fail_err:
    l0_cli_error("validate", "%s", err.msg);
    goto done;
fail_oom:
    l0_cli_error("validate", "out of memory");
done:
    free(txt.p);
    free(csv.p);
    free(ccsv.p);
    free(ncsv.p);
    free(sc.p);
    l0_gen_pool_destroy(pool);
    l0_gen_destroy(g);
    return status;
}
