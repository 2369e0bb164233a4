/* l0sim export-rtl: write a model's RTL parameter files. */
#include <getopt.h>
#include <stdio.h>

#include "l0_cli.h"
#include "l0_rtl.h"

int l0_cmd_export_rtl(int argc, char **argv); /* declared in sim/l0_cmds.h */

static const char *const HELP =
    "usage: l0sim export-rtl --model MODEL.json -o DIR [options]\n"
    "\n"
    "Write the Verilog that makes rtl/l0_engine.v the given model: DIR/l0_model_params.vh (the\n"
    "engine's parameters: features, lanes, types, pipeline depths) and DIR/l0_phi_net.v and\n"
    "DIR/l0_rho_net.v (the phi and rho networks: with --arch mult, chains of rtl/l0_dense.v with\n"
    "the model's quantized weights and biases; with --arch cmvm, chains of generated\n"
    "multiplier-free layers, DIR/l0_layer_NAME.v, and DIR/layers.json with every layer's types\n"
    "and constants). The build runs this for the model it verilates; the files are build\n"
    "products.\n"
    "\n"
    "  --model FILE      the model file (docs/model-format.md)\n"
    "  -o, --out DIR     where to write (created if missing)\n"
    "  --lanes L         cells per clock, 1..64 (default 2; cmvm: a divisor of cells_max)\n"
    "  --arch A          mult (a multiplier per weight, default) or cmvm (shift-and-add\n"
    "                    networks of the constant weights, no multipliers; docs/engine.md)\n"
    "  --reg-every R     a pipeline register after every R adder-tree levels, 0..8 (default 2)\n"
    "  --tag-bits T      width of the cluster tag, 1..32 (default 16)\n"
    "  -h, --help\n";

int l0_cmd_export_rtl(int argc, char **argv) {
    static const struct option opts[] = {
        {"model", required_argument, 0, 'm'},    {"out", required_argument, 0, 'o'},
        {"lanes", required_argument, 0, 'L'},    {"reg-every", required_argument, 0, 'R'},
        {"tag-bits", required_argument, 0, 'T'}, {"arch", required_argument, 0, 'A'},
        {"help", no_argument, 0, 'h'},           {0, 0, 0, 0}};
    const char *model = NULL, *out = NULL;
    l0_rtl_cfg cfg;
    l0_rtl_cfg_default(&cfg);
    int c;
    int64_t v;
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
            if (l0_parse_i64(optarg, 1, L0_RTL_LANES_LIMIT, &v))
                return l0_cli_usage("export-rtl", "--lanes must be 1..%d, got '%s'",
                                    L0_RTL_LANES_LIMIT, optarg);
            cfg.lanes = (int)v;
            break;
        case 'R':
            if (l0_parse_i64(optarg, 0, 8, &v))
                return l0_cli_usage("export-rtl", "--reg-every must be 0..8, got '%s'", optarg);
            cfg.reg_every = (int)v;
            break;
        case 'T':
            if (l0_parse_i64(optarg, 1, 32, &v))
                return l0_cli_usage("export-rtl", "--tag-bits must be 1..32, got '%s'", optarg);
            cfg.tag_w = (int)v;
            break;
        case 'A':
            if ((cfg.arch = l0_rtl_arch_parse(optarg)) < 0)
                return l0_cli_usage("export-rtl", "--arch must be mult or cmvm, got '%s'", optarg);
            break;
        case 'h':
            fputs(HELP, stdout);
            return L0_EXIT_OK;
        default:
            return l0_cli_bad_option("export-rtl", c, argv);
        }
    }
    if (optind < argc) return l0_cli_usage("export-rtl", "unexpected argument '%s'", argv[optind]);
    if (!model || !out) return l0_cli_usage("export-rtl", "needs --model and -o");
    l0_err err;
    l0_model m;
    if (l0_model_load(model, &m, &err)) return l0_cli_error("export-rtl", "%s", err.msg);
    l0_golden *g = l0_golden_create(&m, &err);
    int rc = L0_EXIT_OK;
    if (!g || l0_rtl_prepare(&cfg, g, &err)) {
        rc = l0_cli_usage("export-rtl", "%s", err.msg);
    } else if (l0_rtl_export(g, &cfg, model, out, &err)) {
        rc = l0_cli_error("export-rtl", "%s", err.msg);
    } else {
        printf("export-rtl: %s -> %s/l0_model_params.vh, l0_phi_net.v, l0_rho_net.v%s (%s, L=%d, "
               "depth %d clocks, %d-cell cluster %d clocks)\n",
               model, out, cfg.arch == L0_RTL_ARCH_CMVM ? ", l0_layer_*.v, layers.json" : "",
               l0_rtl_arch_name(cfg.arch), cfg.lanes, l0_rtl_depth(&m, &cfg), 32,
               l0_rtl_latency(&m, &cfg, 32));
    }
    l0_golden_free(g);
    l0_model_free(&m);
    return rc;
}
