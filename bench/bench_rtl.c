/* bench_rtl [N]: RTL simulation speed of l0sim's engine (the model it was built for): clocks and
 * cells per second under Verilator without and with an FST dump, and under Icarus Verilog on the
 * same vectors (fewer of them: Icarus is slow). Prints figures; target (issue 5): Verilator at
 * least 100x Icarus. */
#include <stdio.h>
#include <stdlib.h>

#include "l0_progress.h"
#include "rtl_icarus.h"
#include "rtl_run.h"

static double run(const rtlv_set *s, const char *fst, rtlv_out *out, size_t cap) {
    l0_err err;
    l0_rtl_engine *e = l0_rtl_engine_create(&err);
    if (!e || (fst && l0_rtl_engine_trace(e, fst, 0, UINT64_MAX, &err))) {
        fprintf(stderr, "bench_rtl: %s\n", err.msg);
        exit(2);
    }
    double t0 = l0_now();
    size_t n = rtlv_run_verilator(e, s, out, cap);
    double t = l0_now() - t0;
    l0_rtl_engine_destroy(e);
    if (rtlv_check(s, out, n, "verilator", stderr)) exit(1);
    return t;
}

int main(int argc, char **argv) {
    int n = argc > 1 ? atoi(argv[1]) : 20000;
    const l0_rtl_engine_info *info = l0_rtl_engine_info_get();
    l0_err err;
    l0_model m;
    if (l0_model_load(info->model_path, &m, &err)) {
        fprintf(stderr, "bench_rtl: %s\n", err.msg);
        return 2;
    }
    l0_rtl_cfg cfg;
    l0_rtl_cfg_of_engine(info, &cfg);
    if (l0_rtl_prepare_model(&cfg, &m, &err)) {
        fprintf(stderr, "bench_rtl: %s\n", err.msg);
        return 2;
    }
    rtlv_set big, small;
    if (rtlv_make(&m, &cfg, n, 5, &big, &err) || rtlv_make(&m, &cfg, 200, 6, &small, &err)) {
        fprintf(stderr, "bench_rtl: %s\n", err.msg);
        return 2;
    }
    size_t cap = (size_t)n + 16;
    rtlv_out *out = calloc(cap, sizeof *out);
    printf("bench_rtl: engine of %s, L=%d, depth %d clocks; every output checked\n",
           info->model_path, info->lanes, info->depth);
    double t = run(&big, NULL, out, cap);
    printf("  verilator            %8zu clocks %9.0f k clocks/s %8.0f k cells/s\n", big.n_clocks,
           big.n_clocks / t * 1e-3, big.cells / t * 1e-3);
    double tw = run(&big, "/tmp/bench_rtl.fst", out, cap);
    printf("  verilator + FST dump %8zu clocks %9.1f k clocks/s %8.1f k cells/s (%.1f s)\n",
           big.n_clocks, big.n_clocks / tw * 1e-3, big.cells / tw * 1e-3, tw);
    remove("/tmp/bench_rtl.fst");
    double ts = run(&small, NULL, out, cap), ti = 0;
    long ni = rtlv_run_icarus(&small, info, L0_RTL_DIR, L0_GEN_DIR, L0_IVERILOG, L0_VVP, out, cap,
                              &ti, &err);
    if (ni < 0 || rtlv_check(&small, out, (size_t)ni, "icarus", stderr)) {
        fprintf(stderr, "bench_rtl: icarus: %s\n", ni < 0 ? err.msg : "outputs differ");
        return 1;
    }
    printf("  icarus (vvp)         %8zu clocks %9.1f clocks/s   %8.1f cells/s (%.1f s)\n",
           small.n_clocks, small.n_clocks / ti, small.cells / ti, ti);
    printf("  verilator / icarus on the same %zu clocks: %.0fx (target >= 100x)\n", small.n_clocks,
           ti / ts);
    free(out);
    rtlv_free(&big);
    rtlv_free(&small);
    l0_model_free(&m);
    return 0;
}
