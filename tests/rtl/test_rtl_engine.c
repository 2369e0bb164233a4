/* test_rtl_engine [N [G]]: the verilated engine this executable links (one model, see
 * l0_rtl_engine_info_get) against the golden model: N clusters with random features (default
 * 3000), then G clusters of the stimulus generator (default 2000), streamed as beats, back to
 * back with random idle gaps (rtl_vectors.h); every output must equal the golden fixed
 * output bit for bit and arrive exactly when the latency formula (model/l0_rtl.h) says. */
#include <stdio.h>
#include <stdlib.h>

#include "rtl_run.h"

int main(int argc, char **argv) {
    int n = argc > 1 ? atoi(argv[1]) : 3000, ng = argc > 2 ? atoi(argv[2]) : 2000;
    const l0_rtl_engine_info *info = l0_rtl_engine_info_get();
    l0_err err;
    l0_model m;
    if (l0_model_load(info->model_path, &m, &err)) {
        fprintf(stderr, "test_rtl_engine: %s\n", err.msg);
        return 1;
    }
    l0_rtl_cfg cfg;
    l0_rtl_cfg_of_engine(info, &cfg);
    if (l0_rtl_prepare_model(&cfg, &m, &err)) {
        fprintf(stderr, "test_rtl_engine: %s\n", err.msg);
        return 1;
    }
    if (l0_rtl_depth(&m, &cfg) != info->depth) {
        fprintf(stderr, "test_rtl_engine: the engine's depth %d differs from the formula's %d\n",
                info->depth, l0_rtl_depth(&m, &cfg));
        return 1;
    }
    l0_rtl_engine *e = l0_rtl_engine_create(&err);
    if (!e) {
        fprintf(stderr, "test_rtl_engine: %s\n", err.msg);
        return 1;
    }
    int problems = 0;
    for (int pass = 0; pass < 2; pass++) {
        rtlv_set s;
        int k = pass ? ng : n;
        if (k <= 0) continue;
        if ((pass ? rtlv_make_gen(&m, &cfg, k, 7, &s, &err)
                  : rtlv_make(&m, &cfg, k, 2026, &s, &err))) {
            fprintf(stderr, "test_rtl_engine: %s\n", err.msg);
            return 1;
        }
        l0_rtl_engine_reset(e);
        rtlv_out *out = calloc(s.n_clusters + 16, sizeof *out);
        size_t n_out = rtlv_run_verilator(e, &s, out, s.n_clusters + 16);
        int p = rtlv_check(&s, out, n_out, "verilator", stderr);
        problems += p;
        printf("test_rtl_engine: model %s (L=%d, depth %d): %zu %s clusters, %llu cells, %zu "
               "clocks; %d problems (mismatches, latencies off the formula, missing outputs)\n",
               info->model_path, info->lanes, info->depth, s.n_clusters,
               pass ? "generator" : "random", (unsigned long long)s.cells, s.n_clocks, p);
        free(out);
        rtlv_free(&s);
    }
    l0_rtl_engine_destroy(e);
    l0_model_free(&m);
    return problems ? 1 : 0;
}
