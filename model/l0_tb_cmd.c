/* l0sim export-tb: hls4ml-style test-bench files for a model and a data set. */
#include <getopt.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "l0_cli.h"
#include "l0_eval.h"
#include "l0_model.h"
#include "l0_ofile.h"

int l0_cmd_export_tb(int argc, char **argv); /* declared in sim/l0_cmds.h */

#define CMD "export-tb"

static const char *const TB_HELP =
    "usage: l0sim export-tb --model MODEL.json --data FILE -o DIR [--clusters N]\n"
    "\n"
    "Write hls4ml-style test-bench files for the clusters of a stimulus file (every cluster of\n"
    "a stream, the cluster of each singles record), one cluster per line, numbers separated by\n"
    "spaces, written atomically:\n"
    "  DIR/tb_input_features.dat     the network's input: the preprocessed features (doubles, as\n"
    "                                the golden model computes them before the cast to input_t)\n"
    "                                of the cells the model uses, cell by cell (cell-major:\n"
    "                                cell 0's features, then cell 1's, ...), R rows per line:\n"
    "                                - a model with padding ('padding' field, l0sim import\n"
    "                                  --padding): R = padding.cells; missing rows get the pad\n"
    "                                  value in every feature, as the model was trained\n"
    "                                - a model without: R = cells_max; missing rows are zeros.\n"
    "                                  Zero rows are not neutral (phi(0) is not 0 in general):\n"
    "                                  l0sim sums the real cells only, so a network that sums\n"
    "                                  every row predicts other values on these lines unless it\n"
    "                                  masks the zero rows\n"
    "  DIR/tb_output_predictions.dat the float model's prediction (network units)\n"
    "  DIR/tb_output_fixed.dat       the golden model's fixed-point output, as a double\n"
    "Numbers are written with 17 significant digits (doubles exactly). A padded model whose\n"
    "padding.cells is below cells_max is refused: its clusters do not fit one input shape.\n"
    "\n"
    "options:\n"
    "  --model FILE     the model file (docs/model-format.md)\n"
    "  --data FILE      a stimulus file (l0sim gen)\n"
    "  -o, --out DIR    where to write (created if missing)\n"
    "  --clusters N     at most N clusters, the first ones (default: all)\n"
    "  -q, --quiet      no summary\n"
    "  -h, --help\n"
    "\n"
    "example: l0sim export-tb --model model.json --data eval.l0s -o tb/ --clusters 1000\n";

/* The three output files. */
enum { TB_IN, TB_PRED, TB_FIXED, TB_N };
static const char *const TB_NAMES[TB_N] = {"tb_input_features.dat", "tb_output_predictions.dat",
                                           "tb_output_fixed.dat"};

int l0_cmd_export_tb(int argc, char **argv) {
    static const struct option lo[] = {
        {"model", required_argument, 0, 'm'},    {"data", required_argument, 0, 'd'},
        {"out", required_argument, 0, 'o'},      {"output", required_argument, 0, 'o'},
        {"clusters", required_argument, 0, 'n'}, {"quiet", no_argument, 0, 'q'},
        {"help", no_argument, 0, 'h'},           {0, 0, 0, 0}};
    const char *model_path = NULL, *data = NULL, *dir = NULL;
    uint64_t max_clusters = 0;
    bool quiet = false;
    int c;
    optind = 1;
    opterr = 0;
    while ((c = getopt_long(argc, argv, ":o:qh", lo, NULL)) != -1) {
        switch (c) {
        case 'm':
            model_path = optarg;
            break;
        case 'd':
            data = optarg;
            break;
        case 'o':
            dir = optarg;
            break;
        case 'n':
            if (l0_parse_u64(optarg, &max_clusters) || max_clusters == 0)
                return l0_cli_usage(CMD, "--clusters '%s': not a positive integer", optarg);
            break;
        case 'q':
            quiet = true;
            break;
        case 'h':
            fputs(TB_HELP, stdout);
            return L0_EXIT_OK;
        default:
            return l0_cli_bad_option(CMD, c, argv);
        }
    }
    if (optind < argc) return l0_cli_usage(CMD, "unexpected argument '%s'", argv[optind]);
    if (!model_path) return l0_cli_usage(CMD, "no model: give --model M");
    if (!data) return l0_cli_usage(CMD, "no data: give --data FILE");
    if (!dir) return l0_cli_usage(CMD, "no output directory: give -o DIR");

    l0_err err;
    l0_model m;
    if (l0_model_load(model_path, &m, &err)) return l0_cli_error(CMD, "%s", err.msg);
    if (m.pad_cells > 0 && m.pad_cells != m.cells_max) {
        int rc = l0_cli_error(CMD,
                              "%s: field 'padding': the model pads to %d cells but sees up to "
                              "cells_max = %d, so a cluster's rows do not fit one input shape; "
                              "give the model cells_max %d",
                              model_path, m.pad_cells, m.cells_max, m.pad_cells);
        l0_model_free(&m);
        return rc;
    }
    int rows = m.pad_cells > 0 ? m.pad_cells : m.cells_max;
    double fill = m.pad_cells > 0 ? m.pad_value : 0.0;
    int rc = L0_EXIT_USAGE;
    l0_golden *g = NULL;
    l0_cliter *it = NULL;
    l0_ofile *of[TB_N] = {0};
    uint64_t n = 0;
    char path[TB_N][4096];
    if (!(g = l0_golden_create(&m, &err))) {
        rc = l0_cli_error(CMD, "%s: %s", model_path, err.msg);
        goto done;
    }
    if (!(it = l0_cliter_open(data, &err))) {
        rc = l0_cli_error(CMD, "%s", err.msg);
        goto done;
    }
    if (l0_mkdir_p(dir, &err)) {
        rc = l0_cli_error(CMD, "%s", err.msg);
        goto done;
    }
    for (int k = 0; k < TB_N; k++) {
        if (snprintf(path[k], sizeof path[k], "%s/%s", dir, TB_NAMES[k]) >= (int)sizeof path[k]) {
            rc = l0_cli_error(CMD, "%s: path too long", dir);
            goto done;
        }
        if (!(of[k] = l0_ofile_open(path[k], &err))) {
            rc = l0_cli_error(CMD, "%s", err.msg);
            goto done;
        }
    }
    FILE *fin = l0_ofile_fp(of[TB_IN]), *fpred = l0_ofile_fp(of[TB_PRED]),
         *ffix = l0_ofile_fp(of[TB_FIXED]);
    const l0_cluster *cl;
    uint64_t rec;
    uint32_t idx;
    int r = 0;
    while ((max_clusters == 0 || n < max_clusters) &&
           (r = l0_cliter_next(it, &cl, NULL, &rec, &idx, &err)) == 1) {
        int used = l0_model_cells_used(&m, cl);
        double feat[L0_MODEL_FEATURES_MAX];
        for (int k = 0; k < rows; k++) {
            if (k < used)
                l0_model_features(&m, cl, k, feat);
            else
                for (int f = 0; f < m.n_feat; f++) feat[f] = fill;
            for (int f = 0; f < m.n_feat; f++)
                fprintf(fin, "%s%.17g", k == 0 && f == 0 ? "" : " ", feat[f]);
        }
        fputc('\n', fin);
        double fixed;
        fprintf(fpred, "%.17g\n", l0_model_float(&m, cl));
        l0_golden_run(g, cl, &fixed);
        fprintf(ffix, "%.17g\n", fixed);
        n++;
    }
    if (r < 0) {
        rc = l0_cli_error(CMD, "%s", err.msg);
        goto done;
    }
    if (n == 0) {
        rc = l0_cli_error(CMD, "%s: no clusters", data);
        goto done;
    }
    for (int k = 0; k < TB_N; k++) {
        int e = l0_ofile_commit(of[k], &err);
        of[k] = NULL;
        if (e) {
            rc = l0_cli_error(CMD, "%s", err.msg);
            goto done;
        }
    }
    if (!quiet)
        printf("export-tb: %llu clusters of %s, model %s -> %s/: %s (%d cells x %d features = "
               "%d numbers per line, %s), %s (float), %s (fixed)\n",
               (unsigned long long)n, data, model_path, dir, TB_NAMES[TB_IN], rows, m.n_feat,
               rows * m.n_feat,
               m.pad_cells > 0 ? "missing cells padded with the model's pad value"
                               : "missing cells as zeros: the model has no padding",
               TB_NAMES[TB_PRED], TB_NAMES[TB_FIXED]);
    rc = L0_EXIT_OK;
done:
    for (int k = 0; k < TB_N; k++) l0_ofile_abort(of[k]);
    l0_cliter_close(it);
    l0_golden_free(g);
    l0_model_free(&m);
    return rc;
}
