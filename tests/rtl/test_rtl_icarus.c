/* test_rtl_icarus [N]: the same engine under Icarus Verilog and under Verilator, on the same N
 * vectors (default 50: Icarus is ~100x slower), against the golden model and each other. Paths
 * come from the build (L0_RTL_DIR, L0_GEN_DIR, L0_IVERILOG, L0_VVP). */
#include <stdio.h>
#include <stdlib.h>

#include "rtl_icarus.h"
#include "rtl_run.h"

int main(int argc, char **argv) {
    int n = argc > 1 ? atoi(argv[1]) : 50;
    const l0_rtl_engine_info *info = l0_rtl_engine_info_get();
    l0_err err;
    l0_model m;
    if (l0_model_load(info->model_path, &m, &err)) {
        fprintf(stderr, "test_rtl_icarus: %s\n", err.msg);
        return 1;
    }
    l0_rtl_cfg cfg;
    l0_rtl_cfg_of_engine(info, &cfg);
    if (l0_rtl_prepare_model(&cfg, &m, &err)) {
        fprintf(stderr, "test_rtl_icarus: %s\n", err.msg);
        return 1;
    }
    rtlv_set s;
    l0_rtl_engine *e = l0_rtl_engine_create(&err);
    if (!e || rtlv_make(&m, &cfg, n, 77, &s, &err)) {
        fprintf(stderr, "test_rtl_icarus: %s\n", err.msg);
        return 1;
    }
    size_t cap = s.n_clusters + 16;
    rtlv_out *ic = calloc(cap, sizeof *ic), *vl = calloc(cap, sizeof *vl);
    long n_ic =
        rtlv_run_icarus(&s, info, L0_RTL_DIR, L0_GEN_DIR, L0_IVERILOG, L0_VVP, ic, cap, NULL, &err);
    if (n_ic < 0) {
        fprintf(stderr, "test_rtl_icarus: %s\n", err.msg);
        return 1;
    }
    size_t n_vl = rtlv_run_verilator(e, &s, vl, cap);
    int p_ic = rtlv_check(&s, ic, (size_t)n_ic, "icarus", stderr);
    int p_vl = rtlv_check(&s, vl, n_vl, "verilator", stderr);
    int differ = (size_t)n_ic != n_vl;
    for (size_t i = 0; !differ && i < n_vl; i++)
        differ = ic[i].clock != vl[i].clock || ic[i].tag != vl[i].tag || ic[i].raw != vl[i].raw;
    printf("test_rtl_icarus: model %s (L=%d): %zu clusters, %zu clocks; icarus %d problems, "
           "verilator %d problems; the two simulators %s\n",
           info->model_path, info->lanes, s.n_clusters, s.n_clocks, p_ic, p_vl,
           differ ? "DIFFER" : "agree output for output, clock for clock");
    free(ic);
    free(vl);
    rtlv_free(&s);
    l0_rtl_engine_destroy(e);
    l0_model_free(&m);
    return (p_ic || p_vl || differ) ? 1 : 0;
}
