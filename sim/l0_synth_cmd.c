/* l0sim synth: synthesize the engine for a model with Yosys (synth_xilinx) and report its
 * resources and latency. */
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "l0_cli.h"
#include "l0_ofile.h"
#include "l0_progress.h"
#include "l0_rtl.h"

int l0_cmd_synth(int argc, char **argv); /* declared in sim/l0_cmds.h */

#define FABRIC_MHZ (6 * 40.0789) /* 240.4734 MHz: 6 clocks per bunch crossing, as l0sim run */

static const char *const HELP =
    "usage: l0sim synth --model MODEL.json [-o DIR] [--lanes L] [--reg-every R]\n"
    "                   [--family xcup|xcu|xc7] [--json]\n"
    "\n"
    "Synthesize the DeepSets engine for a model with Yosys (synth_xilinx, flattened) and report\n"
    "LUTs, flip-flops, DSPs, carry chains and block RAM, with the pipeline depth and the latency\n"
    "of a 32-cell cluster in clocks and in ns at the 240.4734 MHz fabric clock. Yosys's counts "
    "are\n"
    "estimates before place and route, good for comparing designs. Synthesis takes minutes.\n"
    "\n"
    "  --model FILE      the model file\n"
    "  -o, --out DIR     where the generated Verilog, the Yosys script, log and report go\n"
    "                    (default synth/)\n"
    "  --lanes L         cells per clock (default 2)\n"
    "  --reg-every R     a pipeline register every R adder-tree levels (default 2)\n"
    "  --family F        synth_xilinx family: xcup (UltraScale+, default), xcu, xc7\n"
    "  --json            print the report as JSON too (it is always written to DIR/synth.json)\n"
    "  -h, --help\n";

static const char *const RTL_FILES[] = {"l0_engine.v",     "l0_ksum.v",   "l0_dense.v",
                                        "l0_adder_tree.v", "l0_recast.v", "l0_pipe.v"};

typedef struct synth_counts {
    long lut, ff, dsp, carry, bram, srl, cells;
} synth_counts;

/* Sum Yosys's `stat` cell lines into the kinds people budget by. */
static int parse_stat(const char *path, synth_counts *c) {
    FILE *f = fopen(path, "r");
    if (!f) return -1;
    char line[512];
    memset(c, 0, sizeof *c);
    while (fgets(line, sizeof line, f)) {
        char name[128];
        long n;
        if (sscanf(line, " Number of cells: %ld", &n) == 1) {
            c->cells = n;
            continue;
        }
        if (sscanf(line, " %127s %ld", name, &n) != 2) continue;
        if (!strncmp(name, "LUT", 3) && name[3] >= '1' && name[3] <= '6')
            c->lut += n;
        else if (!strncmp(name, "FD", 2))
            c->ff += n;
        else if (!strncmp(name, "DSP", 3))
            c->dsp += n;
        else if (!strncmp(name, "CARRY", 5))
            c->carry += n;
        else if (!strncmp(name, "RAMB", 4))
            c->bram += n;
        else if (!strncmp(name, "SRL", 3))
            c->srl += n;
    }
    fclose(f);
    return 0;
}

int l0_cmd_synth(int argc, char **argv) {
    static const struct option opts[] = {
        {"model", required_argument, 0, 'm'},  {"out", required_argument, 0, 'o'},
        {"lanes", required_argument, 0, 'L'},  {"reg-every", required_argument, 0, 'R'},
        {"family", required_argument, 0, 'F'}, {"json", no_argument, 0, 'j'},
        {"help", no_argument, 0, 'h'},         {0, 0, 0, 0}};
    const char *model = NULL, *out = "synth", *family = "xcup";
    int json = 0, c;
    int64_t v;
    l0_rtl_cfg cfg;
    l0_rtl_cfg_default(&cfg);
    opterr = 0;
    while ((c = getopt_long(argc, argv, ":o:h", opts, NULL)) != -1) {
        switch (c) {
        case 'm':
            model = optarg;
            break;
        case 'o':
            out = optarg;
            break;
        case 'L':
            if (l0_parse_i64(optarg, 1, 16, &v))
                return l0_cli_usage("synth", "--lanes must be 1..16, got '%s'", optarg);
            cfg.lanes = (int)v;
            break;
        case 'R':
            if (l0_parse_i64(optarg, 0, 8, &v))
                return l0_cli_usage("synth", "--reg-every must be 0..8, got '%s'", optarg);
            cfg.reg_every = (int)v;
            break;
        case 'F':
            if (strcmp(optarg, "xcup") && strcmp(optarg, "xcu") && strcmp(optarg, "xc7"))
                return l0_cli_usage("synth", "--family must be xcup, xcu or xc7, got '%s'", optarg);
            family = optarg;
            break;
        case 'j':
            json = 1;
            break;
        case 'h':
            fputs(HELP, stdout);
            return L0_EXIT_OK;
        default:
            return l0_cli_bad_option("synth", c, argv);
        }
    }
    if (optind < argc) return l0_cli_usage("synth", "unexpected argument '%s'", argv[optind]);
    if (!model) return l0_cli_usage("synth", "needs --model");
    l0_err err;
    l0_model m;
    if (l0_model_load(model, &m, &err)) return l0_cli_error("synth", "%s", err.msg);
    int rc = L0_EXIT_USAGE;
    l0_golden *g = l0_golden_create(&m, &err);
    char gen[4200], ys[4300], log[4300], stat[4300], rep[4300], cmd[16384];
    snprintf(gen, sizeof gen, "%s/rtl", out);
    snprintf(ys, sizeof ys, "%s/synth.ys", out);
    snprintf(log, sizeof log, "%s/yosys.log", out);
    snprintf(stat, sizeof stat, "%s/stat.txt", out);
    snprintf(rep, sizeof rep, "%s/synth.json", out);
    if (!g || l0_rtl_export(g, &cfg, model, gen, &err)) {
        l0_cli_error("synth", "%s", err.msg);
        goto done;
    }
    l0_ofile *f = l0_ofile_open(ys, &err);
    if (!f) {
        l0_cli_error("synth", "%s", err.msg);
        goto done;
    }
    fprintf(l0_ofile_fp(f), "# Written by l0sim synth for %s\nread_verilog -I %s", model, gen);
    for (size_t i = 0; i < sizeof RTL_FILES / sizeof RTL_FILES[0]; i++)
        fprintf(l0_ofile_fp(f), " %s/%s", L0SIM_RTL_DIR, RTL_FILES[i]);
    fprintf(l0_ofile_fp(f), " %s/l0_phi_net.v %s/l0_rho_net.v\n", gen, gen);
    fprintf(l0_ofile_fp(f), "synth_xilinx -family %s -top l0_engine -flatten\ntee -o %s stat\n",
            family, stat);
    if (l0_ofile_commit(f, &err)) {
        l0_cli_error("synth", "%s", err.msg);
        goto done;
    }
    fprintf(stderr, "synth: running yosys on the engine for %s (L=%d); log in %s\n", model,
            cfg.lanes, log);
    double t0 = l0_now();
    remove(stat);
    snprintf(cmd, sizeof cmd, "yosys -q -l '%s' '%s' >/dev/null 2>&1", log, ys);
    if (system(cmd) != 0) {
        rc = l0_cli_error("synth", "yosys failed; see %s (is yosys installed? scripts/deps)", log);
        goto done;
    }
    synth_counts sc;
    if (parse_stat(stat, &sc)) {
        l0_cli_error("synth", "%s: yosys wrote no statistics", stat);
        goto done;
    }
    int depth = l0_rtl_depth(&m, &cfg), lat32 = l0_rtl_latency(&m, &cfg, 32);
    double ns32 = lat32 * 1000.0 / FABRIC_MHZ;
    char js[2048];
    snprintf(
        js, sizeof js,
        "{\"model\": \"%s\", \"family\": \"%s\", \"lanes\": %d, \"reg_every\": %d, "
        "\"lut\": %ld, \"ff\": %ld, \"dsp\": %ld, \"carry\": %ld, \"bram\": %ld, \"srl\": %ld, "
        "\"cells\": %ld, \"depth_clocks\": %d, \"latency32_clocks\": %d, "
        "\"latency32_ns\": %.1f, \"fabric_mhz\": %.3f, \"yosys_seconds\": %.1f}\n",
        model, family, cfg.lanes, cfg.reg_every, sc.lut, sc.ff, sc.dsp, sc.carry, sc.bram, sc.srl,
        sc.cells, depth, lat32, ns32, FABRIC_MHZ, l0_now() - t0);
    if (l0_write_file_atomic(rep, js, strlen(js), &err)) {
        l0_cli_error("synth", "%s", err.msg);
        goto done;
    }
    printf("synth: %s, L=%d, reg_every=%d, synth_xilinx -family %s (%.0f s)\n", model, cfg.lanes,
           cfg.reg_every, family, l0_now() - t0);
    printf("  LUT %ld  FF %ld  DSP %ld  CARRY %ld  BRAM %ld  SRL %ld\n", sc.lut, sc.ff, sc.dsp,
           sc.carry, sc.bram, sc.srl);
    printf("  pipeline depth %d clocks; a 32-cell cluster: %d clocks = %.1f ns at %.3f MHz\n",
           depth, lat32, ns32, FABRIC_MHZ);
    printf("  report: %s\n", rep);
    if (json) fputs(js, stdout);
    rc = L0_EXIT_OK;
done:
    l0_golden_free(g);
    l0_model_free(&m);
    return rc;
}
