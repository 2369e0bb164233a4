/* l0sim train: train the DeepSets (float, or quantization-aware) on singles stimulus files. */
#include <cjson/cJSON.h>
#include <getopt.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "l0_cli.h"
#include "l0_model.h"
#include "l0_rng.h"
#include "l0_compress.h"
#include "l0_train.h"

int l0_cmd_train(int argc, char **argv); /* declared in sim/l0_cmds.h */

#define CMD "train"
#define FILES_MAX 64

static const char *const TRAIN_HELP =
    "usage: l0sim train --data FILE... -o OUT.json [options]\n"
    "       l0sim train --train FILE... --val FILE... -o OUT.json [options]\n"
    "       l0sim train --qat --init MODEL.json --data FILE... -o OUT.json [options]\n"
    "\n"
    "Train the DeepSets calibration (docs/training.md) on single-particle stimulus files\n"
    "(l0sim gen --singles N): phi on every real cell, KSum, rho, one linear output (the energy\n"
    "in units of the model's target scale). Mini-batch Adam, a learning-rate drop on a plateau of\n"
    "the validation loss, early stopping with the best weights restored. The same seed and\n"
    "options give the same bytes of OUT.json, whatever the thread count.\n"
    "\n"
    "data:\n"
    "  --data FILE       a singles file, split into training and validation by --val-frac\n"
    "                    (deterministic from --seed); repeatable\n"
    "  --train FILE      a singles file used only for training; repeatable\n"
    "  --val FILE        a singles file used only for validation; repeatable\n"
    "  --val-frac F      fraction of --data clusters held out for validation (default 0.2)\n"
    "  --max-clusters N  read at most N clusters in all (default: all)\n"
    "\n"
    "model:\n"
    "  --phi LIST        phi layer sizes, e.g. 16,16,16 (default 16,16,16)\n"
    "  --rho LIST        rho (F) layer sizes, the last must be 1 (default 16,16,1);\n"
    "                    the reference study's: --phi 64,64,64,64,64 --rho 64,64,64,64,1\n"
    "  --cells-max N     cells per cluster the model sees, the most energetic (default 64)\n"
    "  --features LIST   cell features, KIND[:TRANSFORM[:SCALE[:OFFSET]]],... with KIND energy,\n"
    "                    deta, dphi, layer and TRANSFORM linear or log (default\n"
    "                    energy:log,deta,dphi,layer; a linear energy defaults to scale 0.05)\n"
    "  --name NAME       the model's name (default deepsets)\n"
    "  --init MODEL      start from this model's weights, features and precision\n"
    "\n"
    "training:\n"
    "  --loss L          log: (ln(y/t))^2 (default); rel: ((y-t)/t)^2; mse: (y-t)^2\n"
    "  --epochs N        at most N epochs (default 100)\n"
    "  --batch N         clusters per mini-batch (default 256)\n"
    "  --lr X            Adam's learning rate (default 1e-3)\n"
    "  --lr-factor X     multiply the learning rate by X on a plateau (default 0.5)\n"
    "  --lr-min X        never below X (default 1e-6)\n"
    "  --plateau N       epochs without improvement before a drop (default 3)\n"
    "  --patience N      epochs without improvement before stopping (default 8)\n"
    "  --min-delta X     relative improvement of the validation loss that counts (default 1e-4)\n"
    "  --seed N          weights, split and shuffling (default 1)\n"
    "  --closure N       after training, N closure steps: targets divided by the median\n"
    "                    response in bins of true energy, then training again from the\n"
    "                    weights reached (docs/training.md; default 0)\n"
    "  --closure-bins B  equal-count bins of true energy for the closure (default 20)\n"
    "  --closure-epochs N  at most N epochs per closure step (default: --epochs)\n"
    "  --closure-lr X    Adam's learning rate in the closure steps (default: --lr)\n"
    "  --closure-range LO,HI  measure the closure on true energies in [LO, HI] GeV only;\n"
    "                    beyond, the correction of the nearest bin (default: all)\n"
    "  --shards N        shards per mini-batch, summed in a fixed order: part of the recipe\n"
    "                    (default 2)\n"
    "  --threads N       threads running the shards (default: the cores, at most --shards);\n"
    "                    never changes the result\n"
    "\n"
    "quantization-aware training and precision:\n"
    "  --qat             train with the precision in the loop (fake quantization with a\n"
    "                    straight-through estimator); needs --init. The saved weights are\n"
    "                    float; use them at the precision they were trained with\n"
    "  --compress        after training, compress for the multiplier-free engine (QAT, needs\n"
    "                    --qat): per-weight precision in canonical signed digits and pruning,\n"
    "                    a round at a time, while the validation loss stays within\n"
    "                    --max-loss-increase of its start (docs/training.md, \"Compression\")\n"
    "  --max-loss-increase F  relative, > 0 (default 0.02)\n"
    "  --compress-rounds N    at most N rounds, 1..100 (default 12)\n"
    "  --compress-step F      fraction of the remaining digits taken per round, (0, 1]\n"
    "                    (default 0.3; halved after a round that breaks the constraint)\n"
    "  --compress-epochs N    QAT epochs after each round, 0..100 (default 2)\n"
    "  --compress-lanes L     lanes of the LUT estimate the rounds minimise, 1..64 (default 32)\n"
    "  --precision-from MODEL  take every tensor's precision from MODEL (same layer counts)\n"
    "  --input-type T, --weight-type T, --bias-type T, --result-type T, --ksum-type T,\n"
    "  --accum-type T|auto     set that tensor's precision in every layer, e.g.\n"
    "                    'ap_fixed<16,6,AP_RND,AP_SAT>'. Without these the precision is the\n"
    "                    --init model's, or the default (ap_fixed<16,6>)\n"
    "\n"
    "output:\n"
    "  -o, --output OUT  the model file, written atomically, with a \"training\" object\n"
    "                    holding the recipe and the result\n"
    "  -q, --quiet       no line per epoch\n"
    "  -h, --help\n"
    "\n"
    "Prints a line per epoch (train loss: running mean over the epoch; val loss after it), then\n"
    "the validation set's median response and IQR/median by true energy, float and fixed, with\n"
    "the EM-scale sum's. Exit status 0, 2 for a usage or input error, 1 if training diverged.\n"
    "\n"
    "example: l0sim train --data singles.l0s --phi 16,16,16 --rho 16,16,1 -o model.json\n";

enum {
    OPT_DATA = 256,
    OPT_COMPRESS,
    OPT_MAX_LOSS_INC,
    OPT_COMPRESS_ROUNDS,
    OPT_COMPRESS_STEP,
    OPT_COMPRESS_EPOCHS,
    OPT_COMPRESS_LANES,
    OPT_TRAIN,
    OPT_VAL,
    OPT_VAL_FRAC,
    OPT_MAX_CLUSTERS,
    OPT_PHI,
    OPT_RHO,
    OPT_CELLS_MAX,
    OPT_NAME,
    OPT_INIT,
    OPT_LOSS,
    OPT_EPOCHS,
    OPT_BATCH,
    OPT_LR,
    OPT_LR_FACTOR,
    OPT_LR_MIN,
    OPT_PLATEAU,
    OPT_PATIENCE,
    OPT_MIN_DELTA,
    OPT_SEED,
    OPT_SHARDS,
    OPT_THREADS,
    OPT_QAT,
    OPT_PREC_FROM,
    OPT_T_INPUT,
    OPT_T_WEIGHT,
    OPT_T_BIAS,
    OPT_T_RESULT,
    OPT_T_KSUM,
    OPT_T_ACCUM,
    OPT_FEATURES,
    OPT_CLOSURE,
    OPT_CLOSURE_BINS,
    OPT_CLOSURE_EPOCHS,
    OPT_CLOSURE_RANGE,
    OPT_CLOSURE_LR,
};

typedef struct data_file {
    const char *path;
    l0_split_role role;
} data_file;

typedef struct opts {
    data_file files[FILES_MAX];
    int n_files;
    double val_frac;
    uint64_t max_clusters;
    int phi[L0_MODEL_LAYERS_MAX], n_phi, rho[L0_MODEL_LAYERS_MAX], n_rho;
    bool phi_set, rho_set;
    int cells_max;
    const char *name, *init, *prec_from, *out, *features_str;
    l0_feature feat[L0_MODEL_FEATURES_MAX];
    int n_feat;
    const char *t_str[6]; /* input, weight, bias, result, ksum, accum */
    l0_train_cfg cfg;
    bool threads_set, quiet;
    int closure, closure_bins, closure_epochs; /* closure_epochs < 0: --epochs */
    double closure_lo, closure_hi, closure_lr; /* closure_lr 0: --lr */
    bool compress;
    l0_compress_cfg ccfg;
} opts;

static const char *const TYPE_OPTS[6] = {"--input-type",  "--weight-type", "--bias-type",
                                         "--result-type", "--ksum-type",   "--accum-type"};
static const char *const ROLE_NAMES[3] = {"auto", "train", "val"};

static int parse_sizes(const char *opt, const char *s, int *out, int *n) {
    *n = 0;
    const char *p = s;
    while (1) {
        char buf[32];
        size_t len = strcspn(p, ",");
        if (len == 0 || len >= sizeof buf || *n >= L0_MODEL_LAYERS_MAX)
            return l0_cli_usage(CMD, "%s '%s': give 1 to %d layer sizes, e.g. 16,16,16", opt, s,
                                L0_MODEL_LAYERS_MAX);
        memcpy(buf, p, len);
        buf[len] = 0;
        int64_t v;
        if (l0_parse_i64(buf, 1, L0_MODEL_UNITS_MAX, &v))
            return l0_cli_usage(CMD, "%s '%s': layer size '%s' is not an integer in 1..%d", opt, s,
                                buf, L0_MODEL_UNITS_MAX);
        out[(*n)++] = (int)v;
        if (!p[len]) break;
        p += len + 1;
    }
    return 0;
}

/* --features: KIND[:TRANSFORM[:SCALE[:OFFSET]]],... (l0_model_parse_features). */
static int parse_features(const char *s, l0_feature *out, int *n) {
    l0_err err;
    if (l0_model_parse_features(s, out, n, &err))
        return l0_cli_usage(CMD, "--features: %s", err.msg);
    return 0;
}

/* Give a fresh model other features: phi[0] gets new He-initialised weights for them. */
static int set_features(l0_model *m, const l0_feature *f, int n, uint64_t seed, l0_err *err) {
    l0_layer *L = &m->phi[0];
    double *w = malloc(sizeof *w * (size_t)n * (size_t)L->n_out);
    if (!w) return l0_err_set(err, "out of memory");
    l0_rng r;
    l0_rng_seed(&r, seed, 0x6665617475726573ULL);
    double sd = sqrt(2.0 / n);
    for (int i = 0; i < n * L->n_out; i++) w[i] = sd * l0_rng_normal(&r);
    free(L->w);
    L->w = w;
    L->n_in = n;
    m->n_feat = n;
    memcpy(m->feat, f, sizeof *f * (size_t)n);
    return l0_model_update_auto_accum(m, err);
}

static int int_opt(const char *opt, const char *s, int64_t lo, int64_t hi, int *out) {
    int64_t v;
    if (l0_parse_i64(s, lo, hi, &v))
        return l0_cli_usage(CMD, "%s '%s': not an integer in %lld..%lld", opt, s, (long long)lo,
                            (long long)hi);
    *out = (int)v;
    return 0;
}

static int dbl_opt(const char *opt, const char *s, double lo, double hi, double *out) {
    double v;
    if (l0_parse_double(s, &v) || v < lo || v > hi)
        return l0_cli_usage(CMD, "%s '%s': not a number in [%g, %g]", opt, s, lo, hi);
    *out = v;
    return 0;
}

static int parse_opts(int argc, char **argv, opts *o, int *help) {
    static const struct option lo[] = {
        {"data", required_argument, 0, OPT_DATA},
        {"train", required_argument, 0, OPT_TRAIN},
        {"val", required_argument, 0, OPT_VAL},
        {"val-frac", required_argument, 0, OPT_VAL_FRAC},
        {"max-clusters", required_argument, 0, OPT_MAX_CLUSTERS},
        {"phi", required_argument, 0, OPT_PHI},
        {"rho", required_argument, 0, OPT_RHO},
        {"cells-max", required_argument, 0, OPT_CELLS_MAX},
        {"name", required_argument, 0, OPT_NAME},
        {"init", required_argument, 0, OPT_INIT},
        {"loss", required_argument, 0, OPT_LOSS},
        {"epochs", required_argument, 0, OPT_EPOCHS},
        {"batch", required_argument, 0, OPT_BATCH},
        {"lr", required_argument, 0, OPT_LR},
        {"lr-factor", required_argument, 0, OPT_LR_FACTOR},
        {"lr-min", required_argument, 0, OPT_LR_MIN},
        {"plateau", required_argument, 0, OPT_PLATEAU},
        {"patience", required_argument, 0, OPT_PATIENCE},
        {"min-delta", required_argument, 0, OPT_MIN_DELTA},
        {"seed", required_argument, 0, OPT_SEED},
        {"shards", required_argument, 0, OPT_SHARDS},
        {"threads", required_argument, 0, OPT_THREADS},
        {"qat", no_argument, 0, OPT_QAT},
        {"compress", no_argument, 0, OPT_COMPRESS},
        {"max-loss-increase", required_argument, 0, OPT_MAX_LOSS_INC},
        {"compress-rounds", required_argument, 0, OPT_COMPRESS_ROUNDS},
        {"compress-step", required_argument, 0, OPT_COMPRESS_STEP},
        {"compress-epochs", required_argument, 0, OPT_COMPRESS_EPOCHS},
        {"compress-lanes", required_argument, 0, OPT_COMPRESS_LANES},
        {"precision-from", required_argument, 0, OPT_PREC_FROM},
        {"input-type", required_argument, 0, OPT_T_INPUT},
        {"weight-type", required_argument, 0, OPT_T_WEIGHT},
        {"bias-type", required_argument, 0, OPT_T_BIAS},
        {"result-type", required_argument, 0, OPT_T_RESULT},
        {"ksum-type", required_argument, 0, OPT_T_KSUM},
        {"accum-type", required_argument, 0, OPT_T_ACCUM},
        {"features", required_argument, 0, OPT_FEATURES},
        {"closure", required_argument, 0, OPT_CLOSURE},
        {"closure-bins", required_argument, 0, OPT_CLOSURE_BINS},
        {"closure-epochs", required_argument, 0, OPT_CLOSURE_EPOCHS},
        {"closure-range", required_argument, 0, OPT_CLOSURE_RANGE},
        {"closure-lr", required_argument, 0, OPT_CLOSURE_LR},
        {"output", required_argument, 0, 'o'},
        {"quiet", no_argument, 0, 'q'},
        {"help", no_argument, 0, 'h'},
        {0, 0, 0, 0}};
    int c, rc = 0;
    opterr = 0;
    while ((c = getopt_long(argc, argv, "o:qh", lo, NULL)) != -1) {
        const char *a = optarg;
        switch (c) {
        case OPT_DATA:
        case OPT_TRAIN:
        case OPT_VAL:
            if (o->n_files >= FILES_MAX)
                return l0_cli_usage(CMD, "at most %d data files", FILES_MAX);
            o->files[o->n_files++] = (data_file){a, c == OPT_DATA    ? L0_SPLIT_AUTO
                                                    : c == OPT_TRAIN ? L0_SPLIT_TRAIN
                                                                     : L0_SPLIT_VAL};
            break;
        case OPT_VAL_FRAC:
            rc = dbl_opt("--val-frac", a, 0.0, 1.0, &o->val_frac);
            if (!rc && (o->val_frac <= 0 || o->val_frac >= 1))
                rc = l0_cli_usage(CMD, "--val-frac '%s': must lie strictly between 0 and 1", a);
            break;
        case OPT_MAX_CLUSTERS:
            if (l0_parse_u64(a, &o->max_clusters))
                rc = l0_cli_usage(CMD, "--max-clusters '%s': not a non-negative integer", a);
            break;
        case OPT_PHI:
            rc = parse_sizes("--phi", a, o->phi, &o->n_phi);
            o->phi_set = true;
            break;
        case OPT_RHO:
            rc = parse_sizes("--rho", a, o->rho, &o->n_rho);
            o->rho_set = true;
            if (!rc && o->rho[o->n_rho - 1] != 1)
                rc = l0_cli_usage(CMD, "--rho '%s': the last layer must have 1 output", a);
            break;
        case OPT_CELLS_MAX:
            rc = int_opt("--cells-max", a, 1, L0_CELLS_MAX, &o->cells_max);
            break;
        case OPT_NAME:
            if (strlen(a) >= sizeof((l0_model *)0)->name)
                rc = l0_cli_usage(CMD, "--name '%s': at most %zu characters", a,
                                  sizeof((l0_model *)0)->name - 1);
            o->name = a;
            break;
        case OPT_CLOSURE:
            rc = int_opt("--closure", a, 0, 20, &o->closure);
            break;
        case OPT_CLOSURE_RANGE: {
            char lo[64], hi[64];
            const char *comma = strchr(a, ',');
            size_t ll = comma ? (size_t)(comma - a) : 0;
            if (!comma || ll >= sizeof lo || strlen(comma + 1) >= sizeof hi)
                return l0_cli_usage(CMD, "--closure-range '%s': give LO,HI in GeV", a);
            memcpy(lo, a, ll);
            lo[ll] = 0;
            snprintf(hi, sizeof hi, "%s", comma + 1);
            if (l0_parse_double(lo, &o->closure_lo) || l0_parse_double(hi, &o->closure_hi) ||
                !(o->closure_lo >= 0 && o->closure_hi > o->closure_lo))
                return l0_cli_usage(CMD, "--closure-range '%s': give LO,HI in GeV, 0 <= LO < HI",
                                    a);
            break;
        }
        case OPT_CLOSURE_LR:
            rc = dbl_opt("--closure-lr", a, 1e-12, 10.0, &o->closure_lr);
            break;
        case OPT_CLOSURE_EPOCHS:
            rc = int_opt("--closure-epochs", a, 0, 1000000, &o->closure_epochs);
            break;
        case OPT_CLOSURE_BINS:
            rc = int_opt("--closure-bins", a, 2, 1000, &o->closure_bins);
            break;
        case OPT_FEATURES:
            rc = parse_features(a, o->feat, &o->n_feat);
            o->features_str = a;
            break;
        case OPT_INIT:
            o->init = a;
            break;
        case OPT_LOSS:
            if (l0_loss_parse(a, &o->cfg.loss))
                rc = l0_cli_usage(CMD, "--loss '%s': use log, rel or mse", a);
            break;
        case OPT_EPOCHS:
            rc = int_opt("--epochs", a, 0, 1000000, &o->cfg.epochs);
            break;
        case OPT_BATCH:
            rc = int_opt("--batch", a, 1, 1 << 24, &o->cfg.batch);
            break;
        case OPT_LR:
            rc = dbl_opt("--lr", a, 1e-12, 10.0, &o->cfg.lr);
            break;
        case OPT_LR_FACTOR:
            rc = dbl_opt("--lr-factor", a, 1e-6, 1.0, &o->cfg.lr_factor);
            break;
        case OPT_LR_MIN:
            rc = dbl_opt("--lr-min", a, 0.0, 10.0, &o->cfg.lr_min);
            break;
        case OPT_PLATEAU:
            rc = int_opt("--plateau", a, 1, 1000000, &o->cfg.plateau);
            break;
        case OPT_PATIENCE:
            rc = int_opt("--patience", a, 1, 1000000, &o->cfg.patience);
            break;
        case OPT_MIN_DELTA:
            rc = dbl_opt("--min-delta", a, 0.0, 1.0, &o->cfg.min_delta);
            break;
        case OPT_SEED:
            if (l0_parse_u64(a, &o->cfg.seed))
                rc = l0_cli_usage(CMD, "--seed '%s': not a non-negative integer", a);
            break;
        case OPT_SHARDS:
            rc = int_opt("--shards", a, 1, 64, &o->cfg.shards);
            break;
        case OPT_THREADS:
            rc = int_opt("--threads", a, 1, 64, &o->cfg.threads);
            o->threads_set = true;
            break;
        case OPT_QAT:
            o->cfg.qat = true;
            break;
        case OPT_COMPRESS:
            o->compress = true;
            break;
        case OPT_MAX_LOSS_INC:
            rc = dbl_opt("--max-loss-increase", a, 1e-9, 100, &o->ccfg.max_loss_increase);
            break;
        case OPT_COMPRESS_ROUNDS:
            rc = int_opt("--compress-rounds", a, 1, 100, &o->ccfg.rounds);
            break;
        case OPT_COMPRESS_STEP:
            rc = dbl_opt("--compress-step", a, 1e-6, 1, &o->ccfg.step);
            break;
        case OPT_COMPRESS_EPOCHS:
            rc = int_opt("--compress-epochs", a, 0, 100, &o->ccfg.epochs);
            break;
        case OPT_COMPRESS_LANES:
            rc = int_opt("--compress-lanes", a, 1, 64, &o->ccfg.phi_replicas);
            break;
        case OPT_PREC_FROM:
            o->prec_from = a;
            break;
        case OPT_T_INPUT:
        case OPT_T_WEIGHT:
        case OPT_T_BIAS:
        case OPT_T_RESULT:
        case OPT_T_KSUM:
        case OPT_T_ACCUM: {
            int k = c - OPT_T_INPUT;
            l0_fx_type t;
            l0_err err;
            if (!(k == 5 && !strcmp(a, "auto")) && l0_fx_parse(a, &t, &err))
                return l0_cli_usage(CMD, "%s '%s': %s", TYPE_OPTS[k], a, err.msg);
            o->t_str[k] = a;
            break;
        }
        case 'o':
            o->out = a;
            break;
        case 'q':
            o->quiet = true;
            break;
        case 'h':
            *help = 1;
            return 0;
        default:
            return l0_cli_bad_option(CMD, c, argv);
        }
        if (rc) return rc;
    }
    if (optind < argc) return l0_cli_usage(CMD, "unexpected argument '%s'", argv[optind]);
    if (!o->out) return l0_cli_usage(CMD, "no output: give -o OUT.json");
    if (!o->n_files) return l0_cli_usage(CMD, "no data: give --data FILE (or --train and --val)");
    bool any_auto = false, any_val = false;
    for (int i = 0; i < o->n_files; i++) {
        any_auto |= o->files[i].role == L0_SPLIT_AUTO;
        any_val |= o->files[i].role == L0_SPLIT_VAL;
    }
    if (!any_auto && !any_val)
        return l0_cli_usage(CMD, "--train without --val or --data: no validation data");
    if (o->cfg.qat && !o->init)
        return l0_cli_usage(CMD, "--qat needs --init MODEL (a trained float model)");
    if (o->compress && !o->cfg.qat)
        return l0_cli_usage(CMD, "--compress needs --qat (it compresses with the precision in the "
                                 "loop)");
    if (o->init && (o->phi_set || o->rho_set || o->features_str))
        return l0_cli_usage(CMD, "--init takes the architecture from the model: drop %s",
                            o->phi_set   ? "--phi"
                            : o->rho_set ? "--rho"
                                         : "--features");
    return 0;
}

/* Apply --precision-from and the --*-type options to m. Returns 0 or an exit code. */
static int apply_precision(const opts *o, l0_model *m) {
    l0_err err;
    if (o->prec_from) {
        l0_model p;
        if (l0_model_load(o->prec_from, &p, &err))
            return l0_cli_error(CMD, "--precision-from: %s", err.msg);
        if (p.n_phi != m->n_phi || p.n_rho != m->n_rho) {
            l0_cli_error(CMD,
                         "--precision-from %s: it has %d phi and %d rho layers, the model %d "
                         "and %d",
                         o->prec_from, p.n_phi, p.n_rho, m->n_phi, m->n_rho);
            l0_model_free(&p);
            return L0_EXIT_USAGE;
        }
        m->t_in = p.t_in;
        m->t_ksum = p.t_ksum;
        for (int k = 0; k < l0_model_n_layers(m); k++) {
            const l0_layer *S = l0_model_layer_c(&p, k);
            l0_layer *L = l0_model_layer(m, k);
            L->t_w = S->t_w;
            L->t_b = S->t_b;
            L->t_acc = S->t_acc;
            L->t_res = S->t_res;
            L->acc_auto = S->acc_auto;
        }
        l0_model_free(&p);
    }
    l0_fx_type t[6];
    for (int k = 0; k < 6; k++)
        if (o->t_str[k] && !(k == 5 && !strcmp(o->t_str[k], "auto")))
            l0_fx_parse(o->t_str[k], &t[k], NULL);
    if (o->t_str[0]) m->t_in = t[0];
    if (o->t_str[4]) m->t_ksum = t[4];
    for (int k = 0; k < l0_model_n_layers(m); k++) {
        l0_layer *L = l0_model_layer(m, k);
        if (o->t_str[1]) L->t_w = t[1];
        if (o->t_str[2]) L->t_b = t[2];
        if (o->t_str[3]) L->t_res = t[3];
        if (o->t_str[5]) {
            L->acc_auto = !strcmp(o->t_str[5], "auto");
            if (!L->acc_auto) L->t_acc = t[5];
        }
    }
    if (l0_model_update_auto_accum(m, &err)) return l0_cli_error(CMD, "precision: %s", err.msg);
    return 0;
}

static void add_num(cJSON *o, const char *k, double v) {
    cJSON_AddItemToObject(o, k, cJSON_CreateNumber(v));
}

static cJSON *int_array(const int *v, int n) {
    cJSON *a = cJSON_CreateArray();
    for (int i = 0; i < n; i++) cJSON_AddItemToArray(a, cJSON_CreateNumber(v[i]));
    return a;
}

/* The command that reproduces this training (without -o and --threads, which never change the
 * model), as one string. */
/* The shortest %g spelling that reads back as the same double. */
static const char *num(double v, char *buf, size_t n) {
    for (int p = 15; p <= 17; p++) {
        snprintf(buf, n, "%.*g", p, v);
        if (strtod(buf, NULL) == v) break;
    }
    return buf;
}

static void recipe_command(const opts *o, const l0_model *m, char *buf, size_t n) {
    size_t len = 0;
#define PUT(...)                                                                                   \
    do {                                                                                           \
        int w_ = snprintf(buf + len, len < n ? n - len : 0, __VA_ARGS__);                          \
        if (w_ > 0) len += (size_t)w_;                                                             \
    } while (0)
    PUT("l0sim train");
    for (int i = 0; i < o->n_files; i++)
        PUT(" --%s %s",
            o->files[i].role == L0_SPLIT_AUTO    ? "data"
            : o->files[i].role == L0_SPLIT_TRAIN ? "train"
                                                 : "val",
            o->files[i].path);
    if (o->init) {
        PUT(" --init %s", o->init);
    } else {
        PUT(" --phi ");
        for (int k = 0; k < m->n_phi; k++) PUT("%s%d", k ? "," : "", m->phi[k].n_out);
        PUT(" --rho ");
        for (int k = 0; k < m->n_rho; k++) PUT("%s%d", k ? "," : "", m->rho[k].n_out);
        PUT(" --cells-max %d", m->cells_max);
        if (o->features_str) PUT(" --features %s", o->features_str);
    }
    if (o->cfg.qat) PUT(" --qat");
    if (o->init && o->cells_max) PUT(" --cells-max %d", m->cells_max);
    if (o->prec_from) PUT(" --precision-from %s", o->prec_from);
    for (int k = 0; k < 6; k++)
        if (o->t_str[k]) PUT(" %s '%s'", TYPE_OPTS[k], o->t_str[k]);
    const l0_train_cfg *c = &o->cfg;
    char b1[32], b2[32], b3[32], b4[32], b5[32];
    PUT(" --loss %s --epochs %d --batch %d --lr %s --lr-factor %s --lr-min %s --plateau %d"
        " --patience %d --min-delta %s --val-frac %s --seed %llu --shards %d",
        l0_loss_name(c->loss), c->epochs, c->batch, num(c->lr, b1, sizeof b1),
        num(c->lr_factor, b2, sizeof b2), num(c->lr_min, b3, sizeof b3), c->plateau, c->patience,
        num(c->min_delta, b4, sizeof b4), num(o->val_frac, b5, sizeof b5),
        (unsigned long long)c->seed, c->shards);
    if (o->max_clusters) PUT(" --max-clusters %llu", (unsigned long long)o->max_clusters);
    if (o->closure)
        PUT(" --closure %d --closure-bins %d --closure-epochs %d --closure-range %s,%s", o->closure,
            o->closure_bins, o->closure_epochs >= 0 ? o->closure_epochs : o->cfg.epochs,
            num(o->closure_lo, b1, sizeof b1), num(o->closure_hi, b2, sizeof b2));
    if (o->closure && o->closure_lr > 0) PUT(" --closure-lr %s", num(o->closure_lr, b3, sizeof b3));
    if (o->name) PUT(" --name %s", o->name);
    if (o->compress)
        PUT(" --compress --max-loss-increase %s --compress-rounds %d --compress-step %s "
            "--compress-epochs %d --compress-lanes %d",
            num(o->ccfg.max_loss_increase, b1, sizeof b1), o->ccfg.rounds,
            num(o->ccfg.step, b2, sizeof b2), o->ccfg.epochs, o->ccfg.phi_replicas);
#undef PUT
}

typedef struct closure_log {
    int n;
    double dev[21]; /* max |R - 1| before each step, and after the last */
    l0_train_result res[20];
} closure_log;

static void add_layers(cJSON *o, const char *name, const l0_model *m, const l0_compress_layer *L) {
    cJSON *a = cJSON_AddArrayToObject(o, name);
    for (int k = 0; k < l0_model_n_layers(m); k++) {
        cJSON *x = cJSON_CreateObject();
        cJSON_AddNumberToObject(x, "weights", L[k].weights);
        cJSON_AddNumberToObject(x, "csd_digits", L[k].digits);
        cJSON_AddNumberToObject(x, "zero_weights", L[k].zeros);
        cJSON_AddNumberToObject(x, "est_lut", L[k].est_lut);
        cJSON_AddItemToArray(a, x);
    }
}

static char *training_json(const opts *o, const l0_model *m, const l0_dataset *ds,
                           const l0_train_result *r, const closure_log *cl,
                           const l0_compress_result *cr, const char *init_training) {
    cJSON *t = cJSON_CreateObject();
    char cmd[8192];
    recipe_command(o, m, cmd, sizeof cmd);
    cJSON_AddStringToObject(t, "command", cmd);
    cJSON *files = cJSON_AddArrayToObject(t, "data");
    for (int i = 0; i < o->n_files; i++) {
        cJSON *f = cJSON_CreateObject();
        cJSON_AddStringToObject(f, "path", o->files[i].path);
        cJSON_AddStringToObject(f, "role", ROLE_NAMES[o->files[i].role]);
        cJSON_AddItemToArray(files, f);
    }
    cJSON *d = cJSON_AddObjectToObject(t, "clusters");
    add_num(d, "records", (double)ds->records);
    add_num(d, "kept", (double)ds->n);
    add_num(d, "train", (double)ds->n_train);
    add_num(d, "val", (double)ds->n_val);
    add_num(d, "skipped_no_cluster", (double)ds->skipped_no_cluster);
    add_num(d, "skipped_no_truth", (double)ds->skipped_no_truth);
    add_num(d, "skipped_no_cells", (double)ds->skipped_no_cells);
    cJSON *op = cJSON_AddObjectToObject(t, "options");
    int phi[L0_MODEL_LAYERS_MAX], rho[L0_MODEL_LAYERS_MAX];
    for (int k = 0; k < m->n_phi; k++) phi[k] = m->phi[k].n_out;
    for (int k = 0; k < m->n_rho; k++) rho[k] = m->rho[k].n_out;
    cJSON_AddItemToObject(op, "phi", int_array(phi, m->n_phi));
    cJSON_AddItemToObject(op, "rho", int_array(rho, m->n_rho));
    add_num(op, "cells_max", m->cells_max);
    if (o->init)
        cJSON_AddStringToObject(op, "init", o->init);
    else
        cJSON_AddNullToObject(op, "init");
    cJSON_AddBoolToObject(op, "qat", o->cfg.qat);
    if (o->prec_from) cJSON_AddStringToObject(op, "precision_from", o->prec_from);
    cJSON_AddStringToObject(op, "loss", l0_loss_name(o->cfg.loss));
    add_num(op, "epochs", o->cfg.epochs);
    add_num(op, "batch", o->cfg.batch);
    add_num(op, "lr", o->cfg.lr);
    add_num(op, "lr_factor", o->cfg.lr_factor);
    add_num(op, "lr_min", o->cfg.lr_min);
    add_num(op, "plateau", o->cfg.plateau);
    add_num(op, "patience", o->cfg.patience);
    add_num(op, "min_delta", o->cfg.min_delta);
    add_num(op, "val_frac", o->val_frac);
    add_num(op, "max_clusters", (double)o->max_clusters);
    /* a seed above 2^53 does not survive a JSON number read as a double: then a string */
    if (o->cfg.seed <= (1ULL << 53)) {
        add_num(op, "seed", (double)o->cfg.seed);
    } else {
        char seed[32];
        snprintf(seed, sizeof seed, "%llu", (unsigned long long)o->cfg.seed);
        cJSON_AddStringToObject(op, "seed", seed);
    }
    add_num(op, "shards", o->cfg.shards);
    cJSON *opt = cJSON_AddObjectToObject(t, "optimizer");
    cJSON_AddStringToObject(opt, "name", "adam");
    add_num(opt, "beta1", o->cfg.beta1);
    add_num(opt, "beta2", o->cfg.beta2);
    add_num(opt, "eps", o->cfg.eps);
    cJSON *res = cJSON_AddObjectToObject(t, "result");
    add_num(res, "epochs_run", r->epochs_run);
    add_num(res, "best_epoch", r->best_epoch);
    cJSON_AddBoolToObject(res, "early_stopped", r->early_stopped);
    add_num(res, "lr_drops", r->lr_drops);
    add_num(res, "lr_final", r->lr_final);
    add_num(res, "initial_val_loss", r->initial_val_loss);
    if (isfinite(r->best_train_loss))
        add_num(res, "train_loss", r->best_train_loss);
    else
        cJSON_AddNullToObject(res, "train_loss");
    add_num(res, "val_loss", r->best_val_loss);
    if (cl->n) {
        cJSON *c = cJSON_AddObjectToObject(t, "closure");
        add_num(c, "bins", o->closure_bins);
        add_num(c, "range_lo_gev", o->closure_lo);
        add_num(c, "range_hi_gev", o->closure_hi);
        cJSON *steps = cJSON_AddArrayToObject(c, "steps");
        for (int k = 0; k < cl->n; k++) {
            cJSON *st = cJSON_CreateObject();
            add_num(st, "max_deviation_before", cl->dev[k]);
            add_num(st, "epochs_run", cl->res[k].epochs_run);
            add_num(st, "best_epoch", cl->res[k].best_epoch);
            add_num(st, "val_loss", cl->res[k].best_val_loss);
            cJSON_AddItemToArray(steps, st);
        }
        add_num(c, "max_deviation_after", cl->dev[cl->n]);
    }
    if (cr) {
        cJSON *c = cJSON_AddObjectToObject(t, "compress");
        add_num(c, "val_loss_start", cr->val_loss0);
        add_num(c, "val_loss", cr->val_loss);
        add_num(c, "rounds_run", cr->rounds_run);
        add_num(c, "rounds_kept", cr->rounds_kept);
        add_num(c, "lanes_estimated", o->ccfg.phi_replicas);
        add_num(c, "est_lut_before", cr->est_lut_before);
        add_num(c, "est_lut_after", cr->est_lut_after);
        add_layers(c, "layers_before", m, cr->before);
        add_layers(c, "layers_after", m, cr->after);
    }
    /* the --init model's own recipe, so that the chain of trainings stays on record */
    cJSON *it = init_training ? cJSON_Parse(init_training) : NULL;
    if (it) cJSON_AddItemToObject(t, "init_training", it);
    char *s = cJSON_PrintUnformatted(t);
    cJSON_Delete(t);
    return s;
}

static int cmp_double(const void *a, const void *b) {
    double x = *(const double *)a, y = *(const double *)b;
    return x < y ? -1 : x > y;
}

static double quantile(const double *v, size_t n, double q) {
    if (!n) return NAN;
    double p = q * (double)(n - 1);
    size_t i = (size_t)p;
    double f = p - (double)i;
    return i + 1 < n ? v[i] * (1 - f) + v[i + 1] * f : v[i];
}

/* Median response and IQR/median of v[0..n) (sorted in place). */
static void resp_stats(double *v, size_t n, double *med, double *iqr) {
    qsort(v, n, sizeof *v, cmp_double);
    *med = quantile(v, n, 0.5);
    *iqr = (quantile(v, n, 0.75) - quantile(v, n, 0.25)) / *med;
}

/* The validation set's response by true energy: float, fixed (golden) and EM scale. */
static void response_table(const l0_model *m, const l0_dataset *ds, bool qat) {
    static const double EDGES[] = {0, 10, 20, 50, 100, 200, 500, 1e300};
    const int NB = (int)(sizeof EDGES / sizeof EDGES[0]) - 1;
    l0_err err;
    l0_trainer *t = l0_trainer_create(m, false, &err);
    l0_trainer *tq = l0_trainer_create(m, true, &err);
    double *rf = malloc(sizeof *rf * ds->n_val), *rq = malloc(sizeof *rq * ds->n_val),
           *re = malloc(sizeof *re * ds->n_val);
    if (!t || !tq || !rf || !rq || !re) goto done;
    printf("validation response (predicted / true energy), %s weights:\n", qat ? "QAT" : "float");
    printf("  %-13s %7s  %-18s %-18s %-18s\n", "true E [GeV]", "n", "float med  IQR/med",
           "fixed med  IQR/med", "EM-scale med  IQR/med");
    for (int b = 0; b < NB; b++) {
        size_t n = 0;
        for (size_t q = 0; q < ds->n_val; q++) {
            size_t i = ds->val[q];
            double te = ds->truth_e[i];
            if (te < EDGES[b] || te >= EDGES[b + 1]) continue;
            rf[n] = l0_trainer_forward(t, ds, i) * m->target_scale / te;
            rq[n] = l0_trainer_forward(tq, ds, i) * m->target_scale / te;
            re[n] = ds->e[i] / te;
            n++;
        }
        if (!n) continue;
        double mf, qf, mq, qq, me, qe;
        resp_stats(rf, n, &mf, &qf);
        resp_stats(rq, n, &mq, &qq);
        resp_stats(re, n, &me, &qe);
        char bin[32];
        if (b == NB - 1)
            snprintf(bin, sizeof bin, ">= %g", EDGES[b]);
        else
            snprintf(bin, sizeof bin, "%g-%g", EDGES[b], EDGES[b + 1]);
        printf("  %-13s %7zu  %6.3f  %7.3f    %6.3f  %7.3f    %6.3f  %7.3f\n", bin, n, mf, qf, mq,
               qq, me, qe);
    }
done:
    free(rf);
    free(rq);
    free(re);
    l0_trainer_free(t);
    l0_trainer_free(tq);
}

int l0_cmd_train(int argc, char **argv) {
    opts o;
    memset(&o, 0, sizeof o);
    l0_train_cfg_default(&o.cfg);
    l0_compress_cfg_default(&o.ccfg);
    o.val_frac = 0.2;
    o.closure_bins = 20;
    o.closure_epochs = -1;
    o.closure_lo = 0;
    o.closure_hi = 1e9;
    int help = 0, rc = parse_opts(argc, argv, &o, &help);
    if (rc) return rc;
    if (help) {
        fputs(TRAIN_HELP, stdout);
        return L0_EXIT_OK;
    }
    if (!o.threads_set) {
        long nc = sysconf(_SC_NPROCESSORS_ONLN);
        o.cfg.threads = nc < 1 ? 1 : nc > 64 ? 64 : (int)nc;
    }
    if (o.cfg.threads > o.cfg.shards) o.cfg.threads = o.cfg.shards;
    o.cfg.log = o.quiet ? NULL : stdout;
    o.cfg.progress = !o.quiet;

    l0_err err;
    l0_model m;
    if (o.init) {
        if (l0_model_load(o.init, &m, &err)) return l0_cli_error(CMD, "--init: %s", err.msg);
        if (o.cells_max) m.cells_max = o.cells_max; /* the network does not depend on it */
        if (m.pad_cells > 0) {
            l0_model_free(&m);
            return l0_cli_error(CMD,
                                "--init %s: field 'padding': training sums real cells only, so it "
                                "cannot continue a padded model",
                                o.init);
        }
    } else {
        int phi_def[] = {16, 16, 16}, rho_def[] = {16, 16, 1};
        const int *phi = o.phi_set ? o.phi : phi_def, *rho = o.rho_set ? o.rho : rho_def;
        int n_phi = o.phi_set ? o.n_phi : 3, n_rho = o.rho_set ? o.n_rho : 3;
        if (l0_model_init(&m, phi, n_phi, rho, n_rho, o.cfg.seed, NULL, &err))
            return l0_cli_error(CMD, "%s", err.msg);
        if (o.cells_max) m.cells_max = o.cells_max;
        if (o.n_feat && set_features(&m, o.feat, o.n_feat, o.cfg.seed, &err)) {
            l0_model_free(&m);
            return l0_cli_error(CMD, "--features: %s", err.msg);
        }
    }
    if (o.name) snprintf(m.name, sizeof m.name, "%s", o.name);
    if ((rc = apply_precision(&o, &m))) {
        l0_model_free(&m);
        return rc;
    }

    l0_dataset ds;
    l0_dataset_init(&ds, &m);
    for (int i = 0; i < o.n_files; i++) {
        if (o.max_clusters && ds.n >= o.max_clusters) break;
        if (l0_dataset_load(&ds, &m, o.files[i].path, o.files[i].role, (size_t)o.max_clusters,
                            &err)) {
            rc = l0_cli_error(CMD, "%s", err.msg);
            goto done;
        }
    }
    if (l0_dataset_split(&ds, o.val_frac, o.cfg.seed, &err)) {
        rc = l0_cli_error(CMD, "%s", err.msg);
        goto done;
    }
    if (!o.init && l0_train_init_scale(&m, &ds, 1024, &err)) {
        rc = l0_cli_error(CMD, "%s", err.msg);
        goto done;
    }
    printf("data: %llu records, %zu clusters kept (%zu train, %zu val); skipped: %llu without "
           "a cluster, %llu with truth_e <= 0, %llu without cells\n",
           (unsigned long long)ds.records, ds.n, ds.n_train, ds.n_val,
           (unsigned long long)ds.skipped_no_cluster, (unsigned long long)ds.skipped_no_truth,
           (unsigned long long)ds.skipped_no_cells);
    printf("model: phi");
    for (int k = 0; k < m.n_phi; k++) printf("%s%d", k ? "," : " ", m.phi[k].n_out);
    printf(", rho");
    for (int k = 0; k < m.n_rho; k++) printf("%s%d", k ? "," : " ", m.rho[k].n_out);
    printf(", cells_max %d; %s training, loss %s, batch %d, lr %g, %d shards on %d threads\n",
           m.cells_max, o.cfg.qat ? "quantization-aware" : "float", l0_loss_name(o.cfg.loss),
           o.cfg.batch, o.cfg.lr, o.cfg.shards, o.cfg.threads);
    fflush(stdout);

    l0_train_result res;
    if (l0_train(&m, &ds, &o.cfg, &res, &err)) {
        fflush(stdout);
        fprintf(stderr, "l0sim %s: %s\n", CMD, err.msg);
        rc = L0_EXIT_FAIL;
        goto done;
    }
    closure_log cl;
    memset(&cl, 0, sizeof cl);
    for (int k = 0; k <= o.closure && o.closure; k++) {
        if (l0_train_closure_step(&m, &ds, o.cfg.qat, o.closure_bins, o.closure_lo, o.closure_hi,
                                  &cl.dev[k], &err)) {
            rc = l0_cli_error(CMD, "%s", err.msg);
            goto done;
        }
        printf("closure %d: median response in %d bins of true energy (%g to %g GeV) within "
               "%.4f of 1%s\n",
               k, o.closure_bins, o.closure_lo, o.closure_hi, cl.dev[k],
               k < o.closure ? "; training again on corrected targets" : "");
        if (k == o.closure) break;
        l0_train_cfg ccfg = o.cfg;
        if (o.closure_epochs >= 0) ccfg.epochs = o.closure_epochs;
        if (o.closure_lr > 0) ccfg.lr = o.closure_lr;
        if (l0_train(&m, &ds, &ccfg, &cl.res[k], &err)) {
            fflush(stdout);
            fprintf(stderr, "l0sim %s: closure step %d: %s\n", CMD, k + 1, err.msg);
            rc = L0_EXIT_FAIL;
            goto done;
        }
        cl.n = k + 1;
        if (cl.res[k].best_epoch == 0) {
            /* The weights did not move: measuring again would find the same response and
             * correct the targets twice. */
            printf("closure %d: no epoch improved on the corrected targets; the closure stops "
                   "here (a lower --lr or a higher --patience may help)\n",
                   k + 1);
            cl.dev[k + 1] = cl.dev[k];
            break;
        }
    }
    l0_compress_result cres;
    if (o.compress) {
        o.ccfg.log = o.quiet ? NULL : stdout;
        if (l0_compress(&m, &ds, &o.cfg, &o.ccfg, &cres, &err)) {
            rc = l0_cli_error(CMD, "--compress: %s", err.msg);
            goto done;
        }
        printf("compressed: %d of %d rounds kept, val loss %.6g (start %.6g); estimated LUTs at "
               "%d lanes %.0f -> %.0f\n",
               cres.rounds_kept, cres.rounds_run, cres.val_loss, cres.val_loss0,
               o.ccfg.phi_replicas, cres.est_lut_before, cres.est_lut_after);
        for (int k = 0; k < l0_model_n_layers(&m); k++)
            printf("  %s%d: %d weights, CSD digits %d -> %d, zero weights %d -> %d\n",
                   k < m.n_phi ? "phi" : "rho", k < m.n_phi ? k : k - m.n_phi,
                   cres.after[k].weights, cres.before[k].digits, cres.after[k].digits,
                   cres.before[k].zeros, cres.after[k].zeros);
    }
    char *tj = training_json(&o, &m, &ds, &res, &cl, o.compress ? &cres : NULL, m.training_json);
    free(m.training_json);
    m.training_json = tj;
    if (l0_model_save(&m, o.out, &err)) {
        rc = l0_cli_error(CMD, "%s", err.msg);
        goto done;
    }
    printf("trained: %d epochs in %.1f s (%.2f s per epoch)", res.epochs_run, res.seconds,
           res.seconds_per_epoch);
    if (res.best_epoch)
        printf(", best epoch %d: train loss %.6g, val loss %.6g (initial %.6g)", res.best_epoch,
               res.best_train_loss, res.best_val_loss, res.initial_val_loss);
    else
        printf("; no epoch improved on the initial val loss %.6g: the initial weights are kept",
               res.initial_val_loss);
    printf("%s\n", res.early_stopped ? "; stopped early" : "");
    response_table(&m, &ds, o.cfg.qat);
    printf("wrote %s\n", o.out);
    rc = L0_EXIT_OK;
done:
    l0_dataset_free(&ds);
    l0_model_free(&m);
    return rc;
}
