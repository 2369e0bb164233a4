/* l0_export_host MODEL OUTDIR LANES REG_EVERY TAG_BITS [ARCH]: the build's configure-time twin of
 * `l0sim export-rtl` (same code, model/l0_rtl.c), compiled and run by CMake before verilate()
 * (cmake/L0Engine.cmake). */
#include <stdio.h>
#include <stdlib.h>

#include "l0_rtl.h"

int main(int argc, char **argv) {
    if (argc != 6 && argc != 7) {
        fprintf(stderr, "usage: l0_export_host MODEL OUTDIR LANES REG_EVERY TAG_BITS [ARCH]\n");
        return 2;
    }
    l0_rtl_cfg cfg;
    l0_rtl_cfg_default(&cfg);
    cfg.lanes = atoi(argv[3]);
    cfg.reg_every = atoi(argv[4]);
    cfg.tag_w = atoi(argv[5]);
    cfg.arch = argc == 7 ? l0_rtl_arch_parse(argv[6]) : L0_RTL_ARCH_MULT;
    l0_err err;
    l0_model m;
    if (l0_model_load(argv[1], &m, &err)) {
        fprintf(stderr, "l0_export_host: %s\n", err.msg);
        return 2;
    }
    l0_golden *g = l0_golden_create(&m, &err);
    int rc = (!g || l0_rtl_export(g, &cfg, argv[1], argv[2], &err)) ? 2 : 0;
    if (rc) fprintf(stderr, "l0_export_host: %s\n", err.msg);
    l0_golden_free(g);
    l0_model_free(&m);
    return rc;
}
