/* bench_golden: cells per second of the golden model (float and fixed inference), one core.
 * Target (issue 4): at least 1 million cells per second in fixed point for the default model.
 * Usage: bench_golden [MODEL.json ...]   (default: a model of the default shape, random weights)
 * Clusters are synthetic (cells drawn like real ones); speed does not depend on their values. */
#include <stdio.h>
#include <stdlib.h>

#include "l0_model.h"
#include "l0_progress.h"
#include "l0_rng.h"

#define N_CLUSTERS 2000
#define CELLS 24

static volatile double sink;

static void bench(const l0_model *m, const char *label) {
    l0_err err;
    l0_golden *g = l0_golden_create(m, &err);
    if (!g) {
        fprintf(stderr, "bench_golden: %s\n", err.msg);
        exit(2);
    }
    static l0_cluster cl[N_CLUSTERS];
    static l0_cell cells[N_CLUSTERS][CELLS];
    l0_rng r;
    l0_rng_seed(&r, 7, 0);
    for (int i = 0; i < N_CLUSTERS; i++) {
        cl[i] = (l0_cluster){.e = 0, .eta = 0.1f, .phi = 0.2f, .n_cells = CELLS, .cells = cells[i]};
        for (int k = 0; k < CELLS; k++) {
            cells[i][k] = (l0_cell){.e = (float)(20 * l0_rng_uniform(&r) / (k + 1)),
                                    .eta = (float)(0.1 + 0.1 * (l0_rng_uniform(&r) - 0.5)),
                                    .phi = (float)(0.2 + 0.1 * (l0_rng_uniform(&r) - 0.5)),
                                    .sigma = 0.1f,
                                    .layer = (uint8_t)l0_rng_below(&r, 7)};
            cl[i].e += cells[i][k].e;
        }
    }
    double s = 0, t0 = l0_now(), el;
    uint64_t n = 0;
    do {
        for (int i = 0; i < N_CLUSTERS; i++) s += l0_model_float(m, &cl[i]);
        n += (uint64_t)N_CLUSTERS * CELLS;
    } while ((el = l0_now() - t0) < 1.0);
    double flt = (double)n / el;
    n = 0;
    t0 = l0_now();
    do {
        for (int i = 0; i < N_CLUSTERS; i++) {
            double out;
            l0_golden_run(g, &cl[i], &out);
            s += out;
        }
        n += (uint64_t)N_CLUSTERS * CELLS;
    } while ((el = l0_now() - t0) < 1.0);
    sink = s;
    printf("  %-40s float %6.2f M cells/s   fixed %6.2f M cells/s\n", label, flt * 1e-6,
           (double)n / el * 1e-6);
    l0_golden_free(g);
}

int main(int argc, char **argv) {
    l0_err err;
    printf("bench_golden: golden-model inference, one core, %d-cell clusters\n", CELLS);
    if (argc > 1) {
        for (int a = 1; a < argc; a++) {
            l0_model m;
            if (l0_model_load(argv[a], &m, &err)) {
                fprintf(stderr, "bench_golden: %s\n", err.msg);
                return 2;
            }
            bench(&m, argv[a]);
            l0_model_free(&m);
        }
        return 0;
    }
    static const struct {
        int phi[6], nphi, rho[6], nrho;
        const char *label;
    } shapes[] = {
        {{16, 16}, 2, {16, 16, 1}, 3, "phi 16,16 rho 16,16,1 (ap_fixed<16,6>)"},
        {{32, 32, 32}, 3, {32, 32, 1}, 3, "phi 32,32,32 rho 32,32,1"},
        {{64, 64, 64, 64, 64}, 5, {64, 64, 64, 64, 1}, 5, "phi 5x64 rho 5x64 (reference size)"},
    };
    for (size_t k = 0; k < sizeof shapes / sizeof shapes[0]; k++) {
        l0_model m;
        if (l0_model_init(&m, shapes[k].phi, shapes[k].nphi, shapes[k].rho, shapes[k].nrho, 1, NULL,
                          &err)) {
            fprintf(stderr, "bench_golden: %s\n", err.msg);
            return 2;
        }
        bench(&m, shapes[k].label);
        l0_model_free(&m);
    }
    printf("target: >= 1 M cells/s in fixed point for the default model\n");
    return 0;
}
