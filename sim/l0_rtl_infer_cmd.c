/* l0sim rtl-infer: the clusters of a stimulus file through the verilated engine, one output per
 * cluster next to the golden model's, as a CSV (for cross-checks with other implementations). */
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "l0_beats.h"
#include "l0_cli.h"
#include "l0_cmds.h"
#include "l0_eval.h"
#include "l0_model.h"
#include "l0_ofile.h"
#include "l0_rtl.h"
#include "l0_rtl_engine.h"

#define CMD "rtl-infer"

static const char *const HELP =
    "usage: l0sim rtl-infer --data FILE -o OUT.csv [--model M] [--max-clusters N]\n"
    "\n"
    "Send the clusters of a stimulus file through this l0sim's verilated engine, one after\n"
    "the other, and write one line per cluster: its output raw next to the golden model's.\n"
    "The clusters are those of l0sim infer and export-tb, in the same order (singles: the\n"
    "matched cluster of each record; streams: every cluster of every record), so the lines\n"
    "match theirs. Every output is compared with the golden model's, bit for bit.\n"
    "\n"
    "  --data FILE         the stimulus file (l0sim gen)\n"
    "  -o, --output OUT    the CSV, written atomically: event,cluster,n_cells,golden_raw,\n"
    "                      rtl_raw,value (the output as a number, network units)\n"
    "  --model M           the model (default: the one the engine was built from; another\n"
    "                      model is refused: build l0sim with -DL0SIM_MODEL=M)\n"
    "  --max-clusters N    stop after N clusters (default: all)\n"
    "  -q, --quiet         no summary\n"
    "  -h, --help\n"
    "\n"
    "Exit status: 0 all outputs equal the golden model's, 1 some differ, 2 usage or input\n"
    "error.\n";

int l0_cmd_rtl_infer(int argc, char **argv) {
    static const struct option opts[] = {{"data", required_argument, 0, 'd'},
                                         {"output", required_argument, 0, 'o'},
                                         {"model", required_argument, 0, 'm'},
                                         {"max-clusters", required_argument, 0, 'n'},
                                         {"quiet", no_argument, 0, 'q'},
                                         {"help", no_argument, 0, 'h'},
                                         {0, 0, 0, 0}};
    const char *data = NULL, *out = NULL, *mpath = NULL;
    int64_t max = INT64_MAX;
    int quiet = 0, c;
    opterr = 0;
    optind = 1;
    while ((c = getopt_long(argc, argv, ":o:qh", opts, NULL)) != -1) {
        switch (c) {
        case 'd':
            data = optarg;
            break;
        case 'o':
            out = optarg;
            break;
        case 'm':
            mpath = optarg;
            break;
        case 'n':
            if (l0_parse_i64(optarg, 1, INT64_MAX, &max))
                return l0_cli_usage(CMD, "--max-clusters '%s': not a positive integer", optarg);
            break;
        case 'q':
            quiet = 1;
            break;
        case 'h':
            fputs(HELP, stdout);
            return L0_EXIT_OK;
        default:
            return l0_cli_bad_option(CMD, c, argv);
        }
    }
    if (optind < argc) return l0_cli_usage(CMD, "unexpected argument '%s'", argv[optind]);
    if (!data) return l0_cli_usage(CMD, "no data: give --data FILE");
    if (!out) return l0_cli_usage(CMD, "no output: give -o OUT.csv");

    const l0_rtl_engine_info *info = l0_rtl_engine_info_get();
    if (!mpath) mpath = info->model_path;
    l0_err err;
    l0_model m;
    if (l0_model_load(mpath, &m, &err)) return l0_cli_error(CMD, "%s", err.msg);
    int rc = L0_EXIT_USAGE;
    l0_golden *g = NULL;
    l0_rtl_engine *e = NULL;
    l0_cliter *it = NULL;
    l0_ofile *of = NULL;
    l0_rtl_cfg rcf;
    l0_rtl_cfg_of_engine(info, &rcf);
    if (!(g = l0_golden_create(&m, &err))) {
        l0_cli_error(CMD, "%s: %s", mpath, err.msg);
        goto done;
    }
    if (l0_rtl_hash(g, &rcf) != info->hash) {
        l0_cli_error(CMD,
                     "%s: not the model this l0sim's engine was built from (%s); build l0sim "
                     "with -DL0SIM_MODEL=%s",
                     mpath, info->model_path, mpath);
        goto done;
    }
    if (!(it = l0_cliter_open(data, &err)) || !(of = l0_ofile_open(out, &err)) ||
        !(e = l0_rtl_engine_create(&err))) {
        l0_cli_error(CMD, "%s", err.msg);
        goto done;
    }
    FILE *f = l0_ofile_fp(of);
    fprintf(f, "event,cluster,n_cells,golden_raw,rtl_raw,value\n");
    const l0_fx_type *tout = &m.rho[m.n_rho - 1].t_res;
    l0_rtl_engine_reset(e);

    /* One cluster at a time: its beats, then idle clocks until its output (the engine's
     * depth bounds the wait). The tag checks that the output is this cluster's. */
    l0_rtl_beat beats[L0_CELLS_MAX];
    uint32_t tag_mask = (uint32_t)((1ULL << info->tag_w) - 1);
    int64_t n = 0, bad = 0, lost = 0;
    const l0_cluster *cl;
    const l0_event *ev;
    uint64_t record;
    uint32_t index;
    int r;
    while (n < max && (r = l0_cliter_next(it, &cl, &ev, &record, &index, &err)) == 1) {
        int64_t golden = l0_golden_run(g, cl, NULL);
        uint32_t tag = (uint32_t)n & tag_mask;
        int nb = l0_beats_from_cluster(&m, info->lanes, cl, tag, beats, L0_CELLS_MAX);
        int64_t raw = 0;
        int got = 0;
        for (int b = 0; b < nb + info->depth + 4 && !got; b++) {
            l0_rtl_engine_drive(e, b < nb ? &beats[b] : NULL);
            l0_rtl_engine_clock(e);
            uint32_t otag;
            if (l0_rtl_engine_output(e, &otag, &raw) && otag == tag) got = 1;
        }
        if (!got) {
            lost++;
            if (lost == 1)
                fprintf(stderr,
                        "l0sim rtl-infer: record %llu cluster %u: no output from the engine\n",
                        (unsigned long long)record, index);
        } else if (raw != golden) {
            bad++;
            if (bad == 1)
                fprintf(stderr,
                        "l0sim rtl-infer: record %llu cluster %u: RTL raw %lld, golden raw %lld\n",
                        (unsigned long long)record, index, (long long)raw, (long long)golden);
        }
        if (got)
            fprintf(f, "%llu,%u,%d,%lld,%lld,%.17g\n", (unsigned long long)record, index,
                    l0_model_cells_used(&m, cl), (long long)golden, (long long)raw,
                    l0_fx_to_double(tout, raw));
        else /* no output: empty fields */
            fprintf(f, "%llu,%u,%d,%lld,,\n", (unsigned long long)record, index,
                    l0_model_cells_used(&m, cl), (long long)golden);
        n++;
    }
    if (r < 0) {
        l0_cli_error(CMD, "%s", err.msg);
        goto done;
    }
    if (l0_ofile_commit(of, &err)) {
        of = NULL;
        l0_cli_error(CMD, "%s", err.msg);
        goto done;
    }
    of = NULL;
    if (!quiet)
        printf("l0sim rtl-infer: %lld clusters of %s through the engine of %s (L=%d): %lld "
               "outputs differ from the golden model, %lld missing -> %s\n%s\n",
               (long long)n, data, info->model_path, info->lanes, (long long)bad, (long long)lost,
               out, bad || lost ? "FAIL" : "PASS");
    rc = bad || lost ? L0_EXIT_FAIL : L0_EXIT_OK;

done:
    if (of) l0_ofile_abort(of);
    if (it) l0_cliter_close(it);
    l0_rtl_engine_destroy(e);
    l0_golden_free(g);
    l0_model_free(&m);
    return rc;
}
