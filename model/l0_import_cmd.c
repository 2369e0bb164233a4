/* l0sim import: a trained Keras / QKeras DeepSets (.keras, .h5) to an l0sim model file. */
#include <getopt.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "l0_cli.h"
#include "l0_hls4ml.h"
#include "l0_import.h"
#include "l0_model.h"

int l0_cmd_import(int argc, char **argv); /* declared in sim/l0_cmds.h */

#define CMD "import"

static const char *const IMPORT_HELP =
    "usage: l0sim import FILE.keras|FILE.h5 -o MODEL.json [options]\n"
    "\n"
    "Read a DeepSets trained in Keras (a Keras 3 .keras archive, or a legacy .h5 file from\n"
    "tf.keras 2 or QKeras; no Python needed) and write it as an l0sim model file\n"
    "(docs/model-format.md). Precisions: a QKeras model's from its quantizers\n"
    "(quantized_bits, quantized_relu), a float model's l0sim's defaults (ap_fixed<16,6>\n"
    "weights, ap_fixed<16,6,AP_RND,AP_SAT> activations, auto accumulators); --hls4ml-config\n"
    "takes them from an hls4ml configuration.\n"
    "Mapped (docs/import.md): input (batch, cells, features); per-cell Dense layers (Dense or\n"
    "QDense on the 3-D tensor, or in TimeDistributed): phi; a layer summing over the cells\n"
    "(class KSum, or --sum-class): KSum; Dense layers on the sum: rho, the last Dense(1)\n"
    "linear; ReLU as an activation, Activation('relu'), ReLU() or QActivation; Dropout as the\n"
    "identity. Anything else is an error naming the layer (exit 2).\n"
    "\n"
    "options:\n"
    "  -o, --output OUT   the model file, written atomically\n"
    "  --features LIST    the cell features the model was trained on, in input order, spelt as\n"
    "                     for l0sim train: KIND[:TRANSFORM[:SCALE[:OFFSET]]],... (default\n"
    "                     energy:log,deta,dphi,layer, l0sim's own; a model with another number\n"
    "                     of inputs per cell needs --features)\n"
    "  --cells-max N      cells per cluster the model sees, the most energetic (default: the\n"
    "                     model's fixed cell axis, or 64 if it is None)\n"
    "  --target-scale S   the network's output is the energy in units of S GeV (default 100)\n"
    "  --name NAME        the model's name (default: the Keras model's)\n"
    "  --sum-class CLASS  a custom layer class that sums over the cell axis, besides KSum\n"
    "                     (repeatable)\n"
    "  --padding N[:V]    the model was trained on clusters padded to N cells with V in every\n"
    "                     feature (default V: --pad-value's, -6), all N summed: write a model\n"
    "                     whose golden model does the same (its 'padding' field). N <= cells_max.\n"
    "                     The RTL engine pads the same way\n"
    "  --pad-value V      the value the training padded missing cells with, for the padding\n"
    "                     note (default -6, the reference study's)\n"
    "  --hls4ml-config FILE\n"
    "                     the precisions from an hls4ml configuration (what\n"
    "                     hls4ml.utils.config_from_keras_model returns, as JSON or YAML; Model,\n"
    "                     LayerType and LayerName sections), by hls4ml 1.0's rules: input_t,\n"
    "                     each Dense's weight, bias, accum and result (its ReLU's), ksum_t.\n"
    "                     l0sim casts a Dense and its ReLU once: a configuration whose casts\n"
    "                     cannot be one is refused, naming the field (docs/import.md)\n"
    "  -q, --quiet        no report\n"
    "  -h, --help\n"
    "\n"
    "Padding: by default l0sim sums phi over a cluster's real cells only. A model trained on\n"
    "clusters padded to C cells with a fill value, and summed over all C (the reference study\n"
    "padded with -6), also added phi(pad) once per missing cell; l0sim does not, unless\n"
    "--padding says so. The report prints phi(pad) so you can see how much that matters.\n"
    "\n"
    "example: l0sim import model.keras --features energy:log,deta,dphi,layer -o model.json\n";

enum {
    OPT_FEATURES = 256,
    OPT_CELLS_MAX,
    OPT_TARGET_SCALE,
    OPT_NAME,
    OPT_SUM_CLASS,
    OPT_PAD,
    OPT_PADDING,
    OPT_HLS4ML_CONFIG
};

/* --padding N[:VALUE]: N in 1..128; *value set only if given. Returns 0 or -1. */
static int parse_padding(const char *a, int *n, double *value, bool *value_set) {
    char buf[128];
    if (strlen(a) >= sizeof buf) return -1;
    strcpy(buf, a);
    char *colon = strchr(buf, ':');
    if (colon) *colon = 0;
    int64_t v;
    if (l0_parse_i64(buf, 1, 128, &v)) return -1;
    *n = (int)v;
    if (colon) {
        if (l0_parse_double(colon + 1, value)) return -1;
        *value_set = true;
    }
    return 0;
}

int l0_cmd_import(int argc, char **argv) {
    static const struct option lo[] = {{"output", required_argument, 0, 'o'},
                                       {"features", required_argument, 0, OPT_FEATURES},
                                       {"cells-max", required_argument, 0, OPT_CELLS_MAX},
                                       {"target-scale", required_argument, 0, OPT_TARGET_SCALE},
                                       {"name", required_argument, 0, OPT_NAME},
                                       {"sum-class", required_argument, 0, OPT_SUM_CLASS},
                                       {"pad-value", required_argument, 0, OPT_PAD},
                                       {"padding", required_argument, 0, OPT_PADDING},
                                       {"hls4ml-config", required_argument, 0, OPT_HLS4ML_CONFIG},
                                       {"quiet", no_argument, 0, 'q'},
                                       {"help", no_argument, 0, 'h'},
                                       {0, 0, 0, 0}};
    l0_import_opts o;
    memset(&o, 0, sizeof o);
    const char *out = NULL, *features = NULL, *hls4ml_cfg = NULL;
    double pad = -6.0, padding_value = 0;
    bool quiet = false, pad_set = false, padding_value_set = false;
    l0_err err;
    int c;
    opterr = 0;
    optind = 1;
    while ((c = getopt_long(argc, argv, ":o:qh", lo, NULL)) != -1) {
        const char *a = optarg;
        int64_t v;
        switch (c) {
        case 'o':
            out = a;
            break;
        case OPT_FEATURES:
            if (l0_model_parse_features(a, o.feat, &o.n_feat, &err))
                return l0_cli_usage(CMD, "--features: %s", err.msg);
            features = a;
            break;
        case OPT_CELLS_MAX:
            if (l0_parse_i64(a, 1, 128, &v))
                return l0_cli_usage(CMD, "--cells-max '%s': not an integer in 1..128", a);
            o.cells_max = (int)v;
            break;
        case OPT_TARGET_SCALE:
            if (l0_parse_double(a, &o.target_scale) || !(o.target_scale > 0))
                return l0_cli_usage(CMD, "--target-scale '%s': not a positive number", a);
            break;
        case OPT_NAME:
            if (strlen(a) >= sizeof((l0_model *)0)->name)
                return l0_cli_usage(CMD, "--name '%s': at most 63 characters", a);
            o.name = a;
            break;
        case OPT_SUM_CLASS:
            if (o.n_sum_classes == L0_IMPORT_SUM_CLASSES_MAX)
                return l0_cli_usage(CMD, "--sum-class: at most %d", L0_IMPORT_SUM_CLASSES_MAX);
            o.sum_classes[o.n_sum_classes++] = a;
            break;
        case OPT_PAD:
            if (l0_parse_double(a, &pad))
                return l0_cli_usage(CMD, "--pad-value '%s': not a number", a);
            pad_set = true;
            break;
        case OPT_PADDING:
            if (parse_padding(a, &o.pad_cells, &padding_value, &padding_value_set))
                return l0_cli_usage(CMD,
                                    "--padding '%s': expected N[:VALUE], N the cells clusters "
                                    "are padded to (1..128), VALUE a number (default -6)",
                                    a);
            break;
        case OPT_HLS4ML_CONFIG:
            hls4ml_cfg = a;
            break;
        case 'q':
            quiet = true;
            break;
        case 'h':
            fputs(IMPORT_HELP, stdout);
            return L0_EXIT_OK;
        case ':':
            return l0_cli_usage(CMD, "option '%s' needs a value", argv[optind - 1]);
        default:
            return l0_cli_usage(CMD, "unknown option '%s'", argv[optind - 1]);
        }
    }
    if (optind != argc - 1)
        return l0_cli_usage(CMD, optind >= argc ? "give one FILE.keras or FILE.h5"
                                                : "give one FILE.keras or FILE.h5, not several");
    if (!out) return l0_cli_usage(CMD, "give the output model file with -o");
    if (padding_value_set && pad_set && padding_value != pad)
        return l0_cli_usage(CMD, "--padding gives the value %g, --pad-value %g: give one",
                            padding_value, pad);
    if (padding_value_set) pad = padding_value;
    o.pad_value = pad;
    const char *in = argv[optind];

    l0_model m;
    l0_import_info info;
    if (l0_import_keras(in, &o, &m, &info, &err)) return l0_cli_error(CMD, "%s", err.msg);
    char *prec_report = NULL;
    if (hls4ml_cfg) {
        size_t n = 64 * 1024;
        prec_report = malloc(n);
        if (!prec_report || l0_hls4ml_apply(&m, &info, hls4ml_cfg, prec_report, n, &err)) {
            if (!prec_report) snprintf(err.msg, sizeof err.msg, "out of memory");
            free(prec_report);
            l0_import_info_free(&info);
            l0_model_free(&m);
            return l0_cli_error(CMD, "%s", err.msg);
        }
    }
    if (l0_model_save(&m, out, &err)) {
        free(prec_report);
        l0_import_info_free(&info);
        l0_model_free(&m);
        return l0_cli_error(CMD, "%s", err.msg);
    }
    if (!quiet) {
        printf("l0sim import: %s (Keras %s, %s) -> %s\n", in,
               info.keras_version[0] ? info.keras_version : "?", info.model_class, out);
        fputs(info.log ? info.log : "", stdout);
        printf("  model '%s': phi", m.name);
        for (int k = 0; k < m.n_phi; k++) printf("%s%d", k ? "," : " ", m.phi[k].n_out);
        printf(", rho");
        for (int k = 0; k < m.n_rho; k++) printf("%s%d", k ? "," : " ", m.rho[k].n_out);
        printf("; cells_max %d; output in units of %g GeV\n", m.cells_max, m.target_scale);
        printf("  features (%s): ", features ? "--features"
                                             : "the default: pass --features "
                                               "if the model was trained on others");
        static const char *const KN[] = {"energy", "deta", "dphi", "layer"};
        for (int f = 0; f < m.n_feat; f++)
            printf("%s%s:%s:%g:%g", f ? "," : "", KN[m.feat[f].kind],
                   m.feat[f].transform == L0_TRANSFORM_LOG ? "log" : "linear", m.feat[f].scale,
                   m.feat[f].offset);
        if (prec_report)
            printf("\n%s", prec_report);
        else if (info.qkeras)
            printf("\n  precision: from the QKeras quantizers, hls4ml's exact types elsewhere "
                   "(--hls4ml-config FILE\n  gives the rest from an hls4ml configuration)\n");
        else
            printf("\n  precision: l0sim's defaults (ap_fixed<16,6> weights, "
                   "ap_fixed<16,6,AP_RND,AP_SAT> activations,\n  auto accumulators; "
                   "--hls4ml-config FILE takes them from an hls4ml configuration)\n");
        double phi[L0_MODEL_UNITS_MAX], n2 = 0;
        int w = l0_model_ksum_width(&m);
        l0_import_phi_of_constant(&m, pad, phi);
        for (int j = 0; j < w; j++) n2 += phi[j] * phi[j];
        if (m.pad_cells > 0) {
            printf("  padding (--padding): a cluster with fewer than %d cells gets a padded row "
                   "per missing cell,\n  %g in every feature (as preprocessed), and phi is "
                   "summed over all %d rows, as the model\n  was trained; |phi(pad)| = %.6g per "
                   "padded row%s.\n  The golden model (float and fixed) and the RTL engine pad.\n",
                   m.pad_cells, m.pad_value, m.pad_cells, sqrt(n2),
                   n2 == 0 ? " (0: padding makes no difference)" : "");
            if (info.cells > 0 && info.cells != m.pad_cells)
                printf("  note: the Keras input has %d cells, --padding pads to %d\n", info.cells,
                       m.pad_cells);
        } else {
            printf("  padding: l0sim sums phi over a cluster's real cells only (at most %d). A "
                   "model trained on\n  clusters padded with %g and summed over every slot also "
                   "added phi(pad) per missing cell:\n  here |phi(pad)| = %.6g%s\n",
                   m.cells_max, pad, sqrt(n2),
                   n2 == 0 ? " (0: padding made no difference, predictions agree)"
                           : " (not 0: for such a model, l0sim's predictions differ on\n  "
                             "clusters with fewer cells than the padded size; --padding N[:V] "
                             "makes the golden model pad)");
        }
    }
    free(prec_report);
    l0_import_info_free(&info);
    l0_model_free(&m);
    return L0_EXIT_OK;
}
