/* bench_sweep: wall time of a precision sweep (l0_sweep_run), the engine of `l0sim sweep`.
 * Target (issue 4): 100 precision points on 10k clusters for the default model in under a
 * minute on this 2-core machine.
 *
 * Usage: bench_sweep [MODEL.json [SINGLES.l0s]]
 *   default model: a synthetic one (phi 16,16 rho 16,16,1), He-initialised weights scaled so
 *   that every layer's outputs stay of order one; default clusters: 10000 synthetic ones with
 *   22 cells each (the mean of `l0sim gen --singles` at mu = 200), drawn like real ones.
 * The 100 points: every tensor ap_fixed<W,I> for W = 8, 10, ..., 26 and I = 2..11 (KSum with 4
 * more integer bits). Runs them on 1 thread and on 2, checks that both give the same figures,
 * and prints the times. */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "l0_eval.h"
#include "l0_progress.h"
#include "l0_rng.h"

#define N_CLUSTERS 10000
#define CELLS 22
#define N_POINTS 100

static void die(const char *what, const l0_err *err) {
    fprintf(stderr, "bench_sweep: %s: %s\n", what, err->msg);
    exit(2);
}

static void synth_clusters(l0_clset *s) {
    static l0_cell cells[CELLS];
    l0_rng r;
    l0_rng_seed(&r, 11, 0);
    l0_err err;
    for (int i = 0; i < N_CLUSTERS; i++) {
        double e_tot = exp(log(1.0) + l0_rng_uniform(&r) * log(500.0)); /* log-uniform 1..500 */
        l0_cluster c = {.eta = (float)(2.4 * l0_rng_uniform(&r) - 1.2),
                        .phi = (float)(6.28 * l0_rng_uniform(&r) - 3.14),
                        .truth_e = (float)e_tot,
                        .truth_pdg = 211,
                        .n_cells = CELLS,
                        .n_cells_total = CELLS,
                        .cells = cells};
        double left = 0.7 * e_tot;
        for (int k = 0; k < CELLS; k++) {
            double e = left * (0.2 + 0.3 * l0_rng_uniform(&r));
            left -= e;
            cells[k] = (l0_cell){.e = (float)e,
                                 .eta = c.eta + (float)(0.1 * (l0_rng_uniform(&r) - 0.5)),
                                 .phi = c.phi + (float)(0.1 * (l0_rng_uniform(&r) - 0.5)),
                                 .sigma = 0.1f,
                                 .layer = (uint8_t)l0_rng_below(&r, 7)};
            c.e += cells[k].e;
        }
        if (l0_clset_add(s, &c, (uint64_t)i, 0, 0, &err)) die("clusters", &err);
    }
}

/* Scale each layer so that its outputs have RMS ~1 on the clusters (weights of a random model
 * would otherwise give outputs of order the cell count, saturating every narrow type). */
static void scale_model(l0_model *m, const l0_clset *s) {
    for (int k = 0; k < l0_model_n_layers(m); k++) {
        l0_trace tr;
        l0_err err;
        l0_golden *g = l0_golden_create(m, &err);
        if (!g) die("golden", &err);
        double ss = 0;
        size_t n = 0;
        for (size_t i = 0; i < 200 && i < s->n; i++) {
            if (l0_golden_trace(g, &s->c[i], &tr, &err)) die("trace", &err);
            const l0_trace_tensor *t = &tr.t[k < m->n_phi ? 1 + k : 2 + k];
            for (int e = 0; e < t->rows * t->cols; e++) ss += t->flt[e] * t->flt[e];
            n += (size_t)(t->rows * t->cols);
            l0_trace_free(&tr);
        }
        l0_golden_free(g);
        double rms = n ? sqrt(ss / (double)n) : 1;
        if (!(rms > 0)) continue;
        l0_layer *L = l0_model_layer(m, k);
        for (int j = 0; j < L->n_in * L->n_out; j++) L->w[j] /= rms;
        for (int j = 0; j < L->n_out; j++) L->b[j] /= rms;
    }
}

static double run(const l0_model *m, const l0_clset *s, const double *flt,
                  const l0_sweep_point *pts, int threads, l0_point_result *res) {
    l0_sweep_cfg cfg = {.threads = threads, .progress = false, .e_min = 10};
    l0_err err;
    double t0 = l0_now();
    if (l0_sweep_run(m, s, flt, pts, N_POINTS, &cfg, res, &err)) die("sweep", &err);
    return l0_now() - t0;
}

int main(int argc, char **argv) {
    l0_err err;
    l0_model m;
    const char *label = "synthetic (phi 16,16 rho 16,16,1, scaled random weights; give "
                        "model/default.json for the shipped model)";
    l0_clset s;
    l0_clset_init(&s);
    if (argc > 2) {
        if (l0_clset_load(&s, argv[2], N_CLUSTERS, false, 0, &err)) die(argv[2], &err);
    } else {
        synth_clusters(&s);
    }
    if (argc > 1) {
        if (l0_model_load(argv[1], &m, &err)) die(argv[1], &err);
        label = argv[1];
    } else {
        int phi[] = {16, 16}, rho[] = {16, 16, 1};
        if (l0_model_init(&m, phi, 2, rho, 3, 1, NULL, &err)) die("model", &err);
        scale_model(&m, &s);
    }
    double *flt = malloc(s.n * sizeof *flt);
    l0_sweep_point pts[N_POINTS];
    static l0_point_result r1[N_POINTS], r2[N_POINTS];
    if (!flt) return 2;
    double t0 = l0_now();
    l0_predict_float(&m, &s, flt);
    double t_float = l0_now() - t0;
    int k = 0;
    for (int w = 8; w <= 26; w += 2)
        for (int i = 2; i <= 11; i++) {
            l0_sweep_point *pt = &pts[k++];
            memset(pt, 0, sizeof *pt);
            l0_fx_type_make(&pt->p.input, w, i, true, L0_FX_RND, L0_FX_SAT, NULL);
            l0_fx_type_make(&pt->p.weight, w, i, true, L0_FX_TRN, L0_FX_WRAP, NULL);
            l0_fx_type_make(&pt->p.bias, w, i, true, L0_FX_TRN, L0_FX_WRAP, NULL);
            l0_fx_type_make(&pt->p.result, w, i, true, L0_FX_RND, L0_FX_SAT, NULL);
            l0_fx_type_make(&pt->p.ksum, w + 4, i + 4, true, L0_FX_RND, L0_FX_SAT, NULL);
            pt->p.accum_auto = true;
        }
    printf("bench_sweep: %s\n", label);
    printf("  %zu clusters, %zu cells (%.1f per cluster); float predictions once: %.3f s\n", s.n,
           s.n_cells, (double)s.n_cells / (double)s.n, t_float);
    double t1 = run(&m, &s, flt, pts, 1, r1);
    printf("  %d precision points, 1 thread:  %6.2f s  (%.2f M cells/s)\n", N_POINTS, t1,
           (double)s.n_cells * N_POINTS / t1 * 1e-6);
    double t2 = run(&m, &s, flt, pts, 2, r2);
    printf("  %d precision points, 2 threads: %6.2f s  (%.2f M cells/s)\n", N_POINTS, t2,
           (double)s.n_cells * N_POINTS / t2 * 1e-6);
    int same = 1;
    for (int j = 0; j < N_POINTS; j++)
        if (r1[j].mpe != r2[j].mpe || r1[j].n_used != r2[j].n_used ||
            memcmp(&r1[j].ovf, &r2[j].ovf, sizeof r1[j].ovf))
            same = 0;
    printf("  1 and 2 threads give the same figures: %s\n", same ? "yes" : "NO");
    printf("target: 100 points on 10k clusters of the default model in under 60 s: %s\n",
           t2 < 60 ? "met" : "NOT met");
    free(flt);
    l0_model_free(&m);
    l0_clset_free(&s);
    return same ? 0 : 1;
}
