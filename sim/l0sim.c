/* l0sim: the command-line front end. Dispatches to one command per subcommand. */
#include <stdio.h>
#include <string.h>

#include "l0_cli.h"
#include "l0_cmds.h"

typedef struct l0sim_cmd {
    const char *name;
    int (*run)(int argc, char **argv);
    const char *summary;
} l0sim_cmd;

#ifndef L0SIM_HAVE_RTL
/* Without the RTL engine, its commands say why they cannot run. */
static int no_rtl(int argc, char **argv) {
    (void)argc;
    return l0_cli_error(argv[0], "this l0sim was built without the RTL engine (configure with "
                                 "-DL0SIM_RTL=ON and an existing -DL0SIM_MODEL=FILE)");
}
#define l0_cmd_waves no_rtl
#define l0_cmd_run no_rtl
#define l0_cmd_rtl_infer no_rtl
#endif

static const l0sim_cmd COMMANDS[] = {
    {"run", l0_cmd_run, "stream crossings through the RTL: latency budgets, every output checked"},
    {"merge", l0_cmd_merge, "add the JSON reports of the shards of a run"},
    {"fx", l0_cmd_fx, "fixed-point calculator: ap_fixed casts, raw values and bit patterns"},
    {"export-rtl", l0_cmd_export_rtl, "write a model's Verilog parameters for rtl/l0_engine.v"},
    {"stim", l0_cmd_stim, "stimulus files: summary (info) and NumPy/CSV export (export)"},
    {"gen", l0_cmd_gen, "simulate clusters: single-particle sets and bunch-crossing streams"},
    {"synth", l0_cmd_synth, "synthesize the engine with Yosys: LUT, FF, DSP, carry, latency"},
    {"rtl-infer", l0_cmd_rtl_infer, "a stimulus file's clusters through the RTL: outputs as CSV"},
    {"waves", l0_cmd_waves, "stream clusters through the RTL, dump FST and a GTKWave save file"},
    {"validate", l0_cmd_validate, "check the simulation: response, resolution, clusters, noise"},
    {"train", l0_cmd_train, "train the DeepSets (float, or quantization-aware with --qat)"},
    {"infer", l0_cmd_infer, "golden-model predictions (float and fixed) for a stimulus file"},
    {"eval", l0_cmd_eval, "calibration quality: response and resolution against true energy"},
    {"sweep", l0_cmd_sweep, "precision study: MPE of fixed vs float, PTQ sweeps, QAT vs PTQ"},
    {"import", l0_cmd_import,
     "read a trained Keras / QKeras DeepSets (.keras, .h5) into a model file"},
    {"export-tb", l0_cmd_export_tb, "hls4ml test-bench files (.dat) for a model and a data set"},
};
#define NCOMMANDS (sizeof COMMANDS / sizeof COMMANDS[0])

static void usage(FILE *f) {
    fprintf(f,
            "l0sim %s: a cycle-approximate simulator of a DeepSets calibration in the\n"
            "HL-LHC Level-0 trigger (RTL via Verilator, C golden model, stimuli at 40 MHz).\n\n"
            "usage: l0sim <command> [options]    (l0sim <command> --help for its options)\n\n"
            "commands:\n",
            L0SIM_VERSION);
    for (size_t i = 0; i < NCOMMANDS; i++)
        fprintf(f, "  %-12s %s\n", COMMANDS[i].name, COMMANDS[i].summary);
    fprintf(f, "\nexit status: 0 success or PASS, 1 a check FAILed, 2 usage or input error.\n");
}

int main(int argc, char **argv) {
    if (argc < 2) {
        usage(stderr);
        return L0_EXIT_USAGE;
    }
    const char *name = argv[1];
    if (!strcmp(name, "--help") || !strcmp(name, "-h") || !strcmp(name, "help")) {
        usage(stdout);
        return L0_EXIT_OK;
    }
    if (!strcmp(name, "--version")) {
        printf("l0sim %s\n", L0SIM_VERSION);
        return L0_EXIT_OK;
    }
    for (size_t i = 0; i < NCOMMANDS; i++)
        if (!strcmp(name, COMMANDS[i].name)) return COMMANDS[i].run(argc - 1, argv + 1);
    if (name[0] == '-') return l0_cli_usage(NULL, "unknown option '%s'", name);
    return l0_cli_usage(NULL, "unknown command '%s'", name);
}
