/* l0sim waves: run clusters through the verilated engine with an FST dump over a window of
 * clocks, and write the GTKWave save file that opens on the signals that matter. */
#include <getopt.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "l0_beats.h"
#include "l0_cli.h"
#include "l0_gen.h"
#include "l0_ofile.h"
#include "l0_rtl.h"
#include "l0_rtl_engine.h"
#include "l0_stimfile.h"

int l0_cmd_waves(int argc, char **argv); /* declared in sim/l0_cmds.h */

static const char *const HELP =
    "usage: l0sim waves [-o DIR] [--data FILE] [--clusters N] [--from C] [--to C] [--vcd]\n"
    "\n"
    "Stream clusters through the RTL engine built into this l0sim (l0sim --version names its\n"
    "model) and dump a window of clocks as FST, with a GTKWave save file that opens on the cell\n"
    "stream, each lane's phi output, the KSum accumulator, the rho layers and the output\n"
    "(fixed-point raws as signed decimals). Every output is checked against the golden model.\n"
    "\n"
    "  -o, --out DIR     where to write l0_engine.fst and l0_engine.gtkw (default waves/)\n"
    "  --data FILE       take clusters from a stimulus file (default: single pions at mu = 200,\n"
    "                    simulated on the spot with seed 1)\n"
    "  --clusters N      clusters to send (default 20)\n"
    "  --from C, --to C  the window of clocks to dump, counted from the end of reset\n"
    "                    (default: the whole run, at most 2000 clocks)\n"
    "  --vcd             also write l0_engine.vcd (converted with GTKWave's fst2vcd)\n"
    "  -h, --help\n";

/* Clusters to send: from a stimulus file, or simulated single pions. */
typedef struct source {
    l0_stim_reader *rd;
    l0_event ev;
    uint32_t next; /* next cluster in ev */
    l0_gen *gen;
    l0_gen_work *work;
    l0_gen_out out;
    uint64_t index;
} source;

static int next_cluster(source *s, const l0_cluster **c, l0_err *err) {
    if (s->rd) {
        while (s->next >= s->ev.n_clusters) {
            int r = l0_stim_reader_next(s->rd, &s->ev, err);
            if (r <= 0) return r;
            s->next = 0;
        }
        *c = &s->ev.clusters[s->next++];
        return 1;
    }
    for (;;) {
        int r = l0_gen_single(s->gen, s->work, s->index++, &s->out);
        if (r < 0) return l0_err_set(err, "out of memory");
        if (r == 1 && s->out.ev.n_clusters) {
            *c = &s->out.ev.clusters[0];
            return 1;
        }
    }
}

int l0_cmd_waves(int argc, char **argv) {
    static const struct option opts[] = {
        {"out", required_argument, 0, 'o'},      {"data", required_argument, 0, 'd'},
        {"clusters", required_argument, 0, 'n'}, {"from", required_argument, 0, 'f'},
        {"to", required_argument, 0, 't'},       {"vcd", no_argument, 0, 'v'},
        {"help", no_argument, 0, 'h'},           {0, 0, 0, 0}};
    const char *out = "waves", *data = NULL;
    int64_t n = 20, from = 0, to = -1;
    int vcd = 0, c;
    opterr = 0;
    while ((c = getopt_long(argc, argv, ":o:h", opts, NULL)) != -1) {
        switch (c) {
        case 'o':
            out = optarg;
            break;
        case 'd':
            data = optarg;
            break;
        case 'n':
            if (l0_parse_i64(optarg, 1, 100000, &n))
                return l0_cli_usage("waves", "--clusters must be 1..100000, got '%s'", optarg);
            break;
        case 'f':
            if (l0_parse_i64(optarg, 0, INT64_MAX, &from))
                return l0_cli_usage("waves", "--from must be a clock number, got '%s'", optarg);
            break;
        case 't':
            if (l0_parse_i64(optarg, 1, INT64_MAX, &to))
                return l0_cli_usage("waves", "--to must be a clock number, got '%s'", optarg);
            break;
        case 'v':
            vcd = 1;
            break;
        case 'h':
            fputs(HELP, stdout);
            return L0_EXIT_OK;
        default:
            return l0_cli_bad_option("waves", c, argv);
        }
    }
    if (optind < argc) return l0_cli_usage("waves", "unexpected argument '%s'", argv[optind]);
    if (to >= 0 && to <= from) return l0_cli_usage("waves", "--to must be after --from");

    const l0_rtl_engine_info *info = l0_rtl_engine_info_get();
    l0_err err;
    l0_model m;
    if (l0_model_load(info->model_path, &m, &err)) return l0_cli_error("waves", "%s", err.msg);
    l0_rtl_cfg cfg;
    l0_rtl_cfg_of_engine(info, &cfg);
    int rc = L0_EXIT_USAGE;
    l0_golden *g = NULL;
    l0_rtl_engine *e = NULL;
    source src;
    memset(&src, 0, sizeof src);
    char fst[4096], gtkw[4096];
    snprintf(fst, sizeof fst, "%s/l0_engine.fst", out);
    snprintf(gtkw, sizeof gtkw, "%s/l0_engine.gtkw", out);
    char fst_tmp[4200];
    snprintf(fst_tmp, sizeof fst_tmp, "%s.tmp.%ld.fst", fst, (long)getpid());

    if (l0_mkdir_p(out, &err) || !(g = l0_golden_create(&m, &err)) ||
        !(e = l0_rtl_engine_create(&err))) {
        l0_cli_error("waves", "%s", err.msg);
        goto done;
    }
    if (data) {
        if (!(src.rd = l0_stim_reader_open(data, &err))) {
            l0_cli_error("waves", "%s", err.msg);
            goto done;
        }
    } else {
        l0_gen_config gc;
        l0_gen_config_default(&gc);
        gc.seed = 1;
        if (!(src.gen = l0_gen_create(&gc, &err)) || !(src.work = l0_gen_work_create(src.gen))) {
            l0_cli_error("waves", "%s", src.gen ? "out of memory" : err.msg);
            goto done;
        }
    }
    l0_rtl_engine_reset(e);
    uint64_t base = l0_rtl_engine_cycle(e);
    if (to < 0) to = from + 2000;
    if (l0_rtl_engine_trace(e, fst_tmp, base + (uint64_t)from, base + (uint64_t)to, &err)) {
        l0_cli_error("waves", "%s", err.msg);
        goto done;
    }
    l0_rtl_beat beats[L0_CELLS_MAX];
    int64_t *want = calloc((size_t)n, sizeof *want);
    int sent = 0, got = 0, bad = 0;
    uint32_t tag_mask = (uint32_t)((1ULL << info->tag_w) - 1);
    for (; sent < n;) {
        const l0_cluster *cl = NULL;
        int r = next_cluster(&src, &cl, &err);
        if (r < 0) {
            free(want);
            l0_cli_error("waves", "%s", err.msg);
            goto done;
        }
        if (r == 0) break;
        want[sent] = l0_golden_run(g, cl, NULL);
        int nb = l0_beats_from_cluster(&m, info->lanes, cl, (uint32_t)sent & tag_mask, beats,
                                       L0_CELLS_MAX);
        sent++;
        for (int b = 0; b < nb; b++) {
            l0_rtl_engine_drive(e, &beats[b]);
            l0_rtl_engine_clock(e);
            uint32_t tag;
            int64_t raw;
            if (l0_rtl_engine_output(e, &tag, &raw)) bad += raw != want[got++];
        }
    }
    for (int k = 0; k < info->depth + 2; k++) {
        l0_rtl_engine_drive(e, NULL);
        l0_rtl_engine_clock(e);
        uint32_t tag;
        int64_t raw;
        if (l0_rtl_engine_output(e, &tag, &raw) && got < sent) bad += raw != want[got++];
    }
    free(want);
    uint64_t clocks = l0_rtl_engine_cycle(e) - base;
    l0_rtl_engine_trace_close(e);
    if (rename(fst_tmp, fst) != 0) {
        l0_cli_error("waves", "%s: cannot rename the dump into place", fst);
        goto done;
    }
    /* The save file names the dump by its absolute path, so it opens from anywhere. */
    char abs_fst[PATH_MAX];
    if (!realpath(fst, abs_fst)) snprintf(abs_fst, sizeof abs_fst, "%s", fst);
    if (l0_rtl_write_gtkw(&m, &cfg, abs_fst, gtkw, &err)) {
        l0_cli_error("waves", "%s", err.msg);
        goto done;
    }
    printf("waves: %d clusters through the engine of %s (L=%d, depth %d clocks), %llu clocks; "
           "%d outputs, %d differ from the golden model\n",
           sent, info->model_path, info->lanes, info->depth, (unsigned long long)clocks, got, bad);
    printf("  %s (clocks %lld..%lld)\n  %s\n", fst, (long long)from,
           (long long)(to < (int64_t)clocks ? to : (int64_t)clocks), gtkw);
    if (vcd) {
        char cmd[20000], vcdp[4200];
        snprintf(vcdp, sizeof vcdp, "%s/l0_engine.vcd", out);
        snprintf(cmd, sizeof cmd, "fst2vcd '%s' > '%s.tmp' && mv '%s.tmp' '%s'", fst, vcdp, vcdp,
                 vcdp);
        if (system(cmd) != 0) {
            l0_cli_error("waves", "fst2vcd failed (GTKWave's tools: run scripts/deps)");
            goto done;
        }
        printf("  %s\n", vcdp);
    }
    printf("open with:\n  gtkwave -a %s %s\n", gtkw, fst);
    rc = bad || got != sent ? L0_EXIT_FAIL : L0_EXIT_OK;
done:
    remove(fst_tmp);
    l0_rtl_engine_destroy(e);
    l0_golden_free(g);
    if (src.rd) l0_stim_reader_close(src.rd);
    l0_gen_out_free(&src.out);
    if (src.work) l0_gen_work_destroy(src.work);
    if (src.gen) l0_gen_destroy(src.gen);
    l0_model_free(&m);
    return rc;
}
