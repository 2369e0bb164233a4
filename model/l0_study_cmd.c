/* l0sim infer, eval and sweep: the physics and precision study of the DeepSets calibration
 * (docs/study.md). The figures come from model/l0_eval.h; this file reads options, writes the
 * CSV tables, the NumPy archive and the gnuplot PNGs, and prints the tables. */
#include <getopt.h>
#include <math.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "l0_cli.h"
#include "l0_eval.h"
#include "l0_model.h"
#include "l0_npy.h"
#include "l0_ofile.h"
#include "l0_plot.h"
#include "l0_progress.h"
#include "l0_train.h"

int l0_cmd_infer(int argc, char **argv); /* declared in sim/l0_cmds.h */
int l0_cmd_eval(int argc, char **argv);
int l0_cmd_sweep(int argc, char **argv);

/* --- shared helpers ----------------------------------------------------------------------------
 */

/* A growing string (gnuplot scripts). On allocation failure it stays empty and `failed`. */
typedef struct sbuf {
    char *p;
    size_t n, cap;
    int failed;
} sbuf;

static void sb_printf(sbuf *b, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
static void sb_printf(sbuf *b, const char *fmt, ...) {
    if (b->failed) return;
    va_list ap, ap2;
    va_start(ap, fmt);
    va_copy(ap2, ap);
    int k = vsnprintf(NULL, 0, fmt, ap);
    va_end(ap);
    if (k >= 0 && b->n + (size_t)k + 1 > b->cap) {
        size_t cap = b->cap ? 2 * b->cap : 4096;
        while (cap < b->n + (size_t)k + 1) cap *= 2;
        char *np = realloc(b->p, cap);
        if (np) {
            b->p = np;
            b->cap = cap;
        } else {
            k = -1;
        }
    }
    if (k >= 0) {
        vsnprintf(b->p + b->n, b->cap - b->n, fmt, ap2);
        b->n += (size_t)k;
    } else {
        b->failed = 1;
    }
    va_end(ap2);
}

static int int_opt(const char *cmd, const char *opt, const char *s, int64_t lo, int64_t hi,
                   int *out) {
    int64_t v;
    if (l0_parse_i64(s, lo, hi, &v))
        return l0_cli_usage(cmd, "%s '%s': not an integer in %lld..%lld", opt, s, (long long)lo,
                            (long long)hi);
    *out = (int)v;
    return 0;
}

static int dbl_opt(const char *cmd, const char *opt, const char *s, double lo, double hi,
                   double *out) {
    double v;
    if (l0_parse_double(s, &v) || v < lo || v > hi)
        return l0_cli_usage(cmd, "%s '%s': not a number in [%g, %g]", opt, s, lo, hi);
    *out = v;
    return 0;
}

static int size_opt(const char *cmd, const char *opt, const char *s, size_t *out) {
    uint64_t v;
    if (l0_parse_u64(s, &v))
        return l0_cli_usage(cmd, "%s '%s': not a non-negative integer", opt, s);
    *out = (size_t)v;
    return 0;
}

static int ncpu(void) {
    long n = sysconf(_SC_NPROCESSORS_ONLN);
    return n < 1 ? 1 : n > 64 ? 64 : (int)n;
}

/* "phi 16,16 rho 16,16,1" */
static void arch_str(const l0_model *m, char *buf, size_t n) {
    size_t k = (size_t)snprintf(buf, n, "phi ");
    for (int l = 0; l < m->n_phi && k < n; l++)
        k += (size_t)snprintf(buf + k, n - k, "%s%d", l ? "," : "", m->phi[l].n_out);
    if (k < n) k += (size_t)snprintf(buf + k, n - k, " rho ");
    for (int l = 0; l < m->n_rho && k < n; l++)
        k += (size_t)snprintf(buf + k, n - k, "%s%d", l ? "," : "", m->rho[l].n_out);
}

static long n_params(const l0_model *m) {
    long p = 0;
    for (int k = 0; k < l0_model_n_layers(m); k++) {
        const l0_layer *L = l0_model_layer_c(m, k);
        p += (long)L->n_out * (L->n_in + 1);
    }
    return p;
}

/* The model's label: its file name without directory and ".json". */
static void model_label(const char *path, char *buf, size_t n) {
    const char *b = strrchr(path, '/');
    b = b ? b + 1 : path;
    snprintf(buf, n, "%s", b);
    size_t len = strlen(buf);
    if (len > 5 && !strcmp(buf + len - 5, ".json")) buf[len - 5] = 0;
}

/* A string safe in a file name. */
static void file_safe(const char *s, char *buf, size_t n) {
    size_t k = 0;
    for (; *s && k + 1 < n; s++)
        buf[k++] = (char)(((*s >= 'a' && *s <= 'z') || (*s >= 'A' && *s <= 'Z') ||
                           (*s >= '0' && *s <= '9') || *s == '-' || *s == '.')
                              ? *s
                              : '_');
    buf[k] = 0;
}

static const char *tstr(const l0_fx_type *t, char *buf, size_t n) {
    l0_fx_type_str(t, buf, n);
    return buf;
}

/* --- l0sim infer ---------------------------------------------------------------------------------
 */

static const char *const INFER_HELP =
    "usage: l0sim infer --model M --data FILE -o PREFIX [--trace N] [options]\n"
    "\n"
    "Run the golden model (float and fixed point) on every cluster of a stimulus file: the\n"
    "matched cluster (clusters[0]) of every record of a singles file, every cluster of every\n"
    "record of an event stream. The file is read twice, streaming (a count, then the\n"
    "predictions), one record in memory at a time.\n"
    "\n"
    "  --model M          the model file (docs/model-format.md)\n"
    "  --data FILE        the stimulus file (l0sim gen)\n"
    "  -o, --output PREFIX  writes PREFIX.npz (one .npy array per column, numpy.load reads it)\n"
    "                     and PREFIX.csv (the same columns), each atomically\n"
    "  --trace N          print the per-layer trace of output row N (float and fixed side by\n"
    "                     side)\n"
    "  --max-clusters N   stop after N clusters (default: all)\n"
    "  -q, --quiet        no summary\n"
    "  -h, --help\n"
    "\n"
    "Columns: event (record number in the file), cluster (index in the record), orbit, bx,\n"
    "n_cells (cells the model uses), truth_pdg, truth_e (GeV, 0 for pile-up clusters), e_em\n"
    "(EM-scale cluster energy, GeV), eta, phi, pred_float and pred_fixed (calibrated energy,\n"
    "GeV), fixed_raw (the output raw of the last layer's result type).\n"
    "\n"
    "Prints the MPE of fixed against float (mean of |fixed - float| / |float| x 100, clusters\n"
    "with float == 0 left out) and the overflow counters of every tensor (casts that saturated\n"
    "or wrapped). Exit status 0, 2 for a usage or input error.\n";

#define INFER_CHUNK 4096

enum {
    COL_EVENT,
    COL_CLUSTER,
    COL_ORBIT,
    COL_BX,
    COL_NCELLS,
    COL_PDG,
    COL_TRUTH,
    COL_EEM,
    COL_ETA,
    COL_PHI,
    COL_PF,
    COL_PX,
    COL_RAW,
    N_COLS
};
static const char *const COL_NAMES[N_COLS] = {
    "event", "cluster", "orbit", "bx",         "n_cells",    "truth_pdg", "truth_e",
    "e_em",  "eta",     "phi",   "pred_float", "pred_fixed", "fixed_raw"};
static const char *const COL_DTYPES[N_COLS] = {
    L0_NPY_U8, L0_NPY_U4, L0_NPY_U4, L0_NPY_U2, L0_NPY_U2, L0_NPY_I4, L0_NPY_F8,
    L0_NPY_F8, L0_NPY_F4, L0_NPY_F4, L0_NPY_F8, L0_NPY_F8, L0_NPY_I8};

typedef struct infer_chunk {
    uint64_t event[INFER_CHUNK];
    uint32_t cluster[INFER_CHUNK], orbit[INFER_CHUNK];
    uint16_t bx[INFER_CHUNK], ncells[INFER_CHUNK];
    int32_t pdg[INFER_CHUNK];
    double truth[INFER_CHUNK], eem[INFER_CHUNK];
    float eta[INFER_CHUNK], phi[INFER_CHUNK];
    double pf[INFER_CHUNK], px[INFER_CHUNK];
    int64_t raw[INFER_CHUNK];
    size_t n;
} infer_chunk;

static int chunk_flush(infer_chunk *ch, l0_npz *z, const int *idx, l0_err *err) {
    const void *cols[N_COLS] = {ch->event, ch->cluster, ch->orbit, ch->bx,  ch->ncells,
                                ch->pdg,   ch->truth,   ch->eem,   ch->eta, ch->phi,
                                ch->pf,    ch->px,      ch->raw};
    for (int k = 0; k < N_COLS; k++)
        if (ch->n && l0_npz_append(z, idx[k], cols[k], ch->n, err)) return -1;
    ch->n = 0;
    return 0;
}

static void print_trace(const l0_model *m, const l0_trace *tr, uint64_t row, uint64_t event,
                        uint32_t cluster, const l0_cluster *c) {
    printf("trace of row %llu (event %llu, cluster %u): %d of %u cells used, truth %.6g GeV, "
           "EM-scale %.6g GeV\n",
           (unsigned long long)row, (unsigned long long)event, cluster, l0_model_cells_used(m, c),
           c->n_cells, c->truth_e, c->e);
    for (int t = 0; t < tr->n; t++) {
        const l0_trace_tensor *T = &tr->t[t];
        char ts[96];
        size_t sz = (size_t)T->rows * (size_t)T->cols;
        double maxd = 0;
        for (size_t e = 0; e < sz; e++)
            if (fabs(T->fixed[e] - T->flt[e]) > maxd) maxd = fabs(T->fixed[e] - T->flt[e]);
        printf("\n%s: %d x %d, %s, max |fixed - float| %.6g\n", T->name, T->rows, T->cols,
               tstr(&T->type, ts, sizeof ts), maxd);
        printf("  %5s %5s %16s %16s %14s %20s\n", T->rows > 1 || t <= m->n_phi ? "cell" : "",
               "unit", "float", "fixed", "fixed-float", "raw");
        for (int r = 0; r < T->rows; r++)
            for (int k = 0; k < T->cols; k++) {
                size_t e = (size_t)r * (size_t)T->cols + (size_t)k;
                printf("  %5d %5d %16.9g %16.9g %14.6g %20lld\n", r, k, T->flt[e], T->fixed[e],
                       T->fixed[e] - T->flt[e], (long long)T->raw[e]);
            }
    }
    double s = m->target_scale;
    const l0_trace_tensor *O = &tr->t[tr->n - 1];
    printf("\noutput: float %.9g GeV, fixed %.9g GeV\n\n", O->flt[0] * s, O->fixed[0] * s);
}

/* The overflow table of a golden model's counters. */
static void print_ovf(const l0_model *m, const l0_ovf_counts *o) {
    char ts[96], name[32];
    printf("overflows (casts that saturated or wrapped):\n");
    printf("  %-14s %-34s %14s %12s\n", "tensor", "type", "casts", "overflows");
    printf("  %-14s %-34s %14llu %12llu\n", "input", tstr(&m->t_in, ts, sizeof ts),
           (unsigned long long)o->casts_input, (unsigned long long)o->input);
    for (int k = 0; k < l0_model_n_layers(m); k++) {
        const l0_layer *L = l0_model_layer_c(m, k);
        const char *ln = k < m->n_phi ? "phi" : "rho";
        int li = k < m->n_phi ? k : k - m->n_phi;
        snprintf(name, sizeof name, "%s%d.weight", ln, li);
        printf("  %-14s %-34s %14llu %12llu\n", name, tstr(&L->t_w, ts, sizeof ts),
               (unsigned long long)((uint64_t)L->n_in * (uint64_t)L->n_out),
               (unsigned long long)o->weight[k]);
        snprintf(name, sizeof name, "%s%d.bias", ln, li);
        printf("  %-14s %-34s %14llu %12llu\n", name, tstr(&L->t_b, ts, sizeof ts),
               (unsigned long long)(2 * (uint64_t)L->n_out), (unsigned long long)o->bias[k]);
        snprintf(name, sizeof name, "%s%d.accum", ln, li);
        char as[112];
        snprintf(as, sizeof as, "%s%s", L->acc_auto ? "auto " : "", tstr(&L->t_acc, ts, sizeof ts));
        printf("  %-14s %-34s %14llu %12llu\n", name, as, (unsigned long long)o->casts_accum[k],
               (unsigned long long)o->accum[k]);
        snprintf(name, sizeof name, "%s%d.result", ln, li);
        printf("  %-14s %-34s %14llu %12llu\n", name, tstr(&L->t_res, ts, sizeof ts),
               (unsigned long long)o->casts_result[k], (unsigned long long)o->result[k]);
        if (k == m->n_phi - 1)
            printf("  %-14s %-34s %14llu %12llu\n", "ksum", tstr(&m->t_ksum, ts, sizeof ts),
                   (unsigned long long)o->casts_ksum, (unsigned long long)o->ksum);
    }
}

int l0_cmd_infer(int argc, char **argv) {
    static const char *CMD = "infer";
    static const struct option lo[] = {{"model", required_argument, 0, 'm'},
                                       {"data", required_argument, 0, 'd'},
                                       {"output", required_argument, 0, 'o'},
                                       {"trace", required_argument, 0, 't'},
                                       {"max-clusters", required_argument, 0, 'n'},
                                       {"quiet", no_argument, 0, 'q'},
                                       {"help", no_argument, 0, 'h'},
                                       {0, 0, 0, 0}};
    const char *model_path = NULL, *data = NULL, *prefix = NULL;
    int64_t trace = -1;
    size_t max_clusters = 0;
    bool quiet = false;
    int c, rc;
    optind = 1;
    opterr = 0;
    while ((c = getopt_long(argc, argv, "o:qh", lo, NULL)) != -1) {
        switch (c) {
        case 'm':
            model_path = optarg;
            break;
        case 'd':
            data = optarg;
            break;
        case 'o':
            prefix = optarg;
            break;
        case 't':
            if (l0_parse_i64(optarg, 0, INT64_MAX, &trace))
                return l0_cli_usage(CMD, "--trace '%s': not a row number (0, 1, ...)", optarg);
            break;
        case 'n':
            if ((rc = size_opt(CMD, "--max-clusters", optarg, &max_clusters))) return rc;
            break;
        case 'q':
            quiet = true;
            break;
        case 'h':
            fputs(INFER_HELP, stdout);
            return L0_EXIT_OK;
        default:
            return l0_cli_bad_option(CMD, c, argv);
        }
    }
    if (optind < argc) return l0_cli_usage(CMD, "unexpected argument '%s'", argv[optind]);
    if (!model_path) return l0_cli_usage(CMD, "no model: give --model M");
    if (!data) return l0_cli_usage(CMD, "no data: give --data FILE");
    if (!prefix) return l0_cli_usage(CMD, "no output: give -o PREFIX");

    l0_err err;
    l0_model m;
    if (l0_model_load(model_path, &m, &err)) return l0_cli_error(CMD, "%s", err.msg);

    /* pass 1: count the clusters, so that the archive's arrays have their shapes up front */
    uint64_t total = 0;
    const l0_cluster *cl;
    const l0_event *ev;
    uint64_t rec;
    uint32_t idx;
    l0_cliter *it = l0_cliter_open(data, &err);
    if (!it) {
        l0_model_free(&m);
        return l0_cli_error(CMD, "%s", err.msg);
    }
    while ((max_clusters == 0 || total < max_clusters) &&
           (rc = l0_cliter_next(it, &cl, &ev, &rec, &idx, &err)) == 1)
        total++;
    l0_cliter_close(it);
    if (rc < 0) {
        l0_model_free(&m);
        return l0_cli_error(CMD, "%s", err.msg);
    }
    if (trace >= 0 && (uint64_t)trace >= total) {
        l0_model_free(&m);
        return l0_cli_usage(CMD, "--trace %lld: %s has %llu clusters (rows 0..%lld)",
                            (long long)trace, data, (unsigned long long)total,
                            (long long)total - 1);
    }

    char path_npz[4096], path_csv[4096];
    if (snprintf(path_npz, sizeof path_npz, "%s.npz", prefix) >= (int)sizeof path_npz ||
        snprintf(path_csv, sizeof path_csv, "%s.csv", prefix) >= (int)sizeof path_csv) {
        l0_model_free(&m);
        return l0_cli_usage(CMD, "-o '%s': path too long", prefix);
    }
    int exit_code = L0_EXIT_USAGE;
    l0_golden *g = NULL, *gt = NULL;
    l0_npz *z = NULL;
    l0_ofile *csv = NULL;
    infer_chunk *ch = calloc(1, sizeof *ch);
    it = NULL;
    if (!ch) {
        l0_err_set(&err, "out of memory");
        goto fail;
    }
    if (!(g = l0_golden_create(&m, &err)) || !(gt = l0_golden_create(&m, &err))) goto fail;
    if (!(z = l0_npz_open(path_npz, &err))) goto fail;
    int col_idx[N_COLS];
    uint64_t shape[1] = {total};
    for (int k = 0; k < N_COLS; k++)
        if ((col_idx[k] = l0_npz_add(z, COL_NAMES[k], COL_DTYPES[k], 1, shape, &err)) < 0)
            goto fail;
    if (!(csv = l0_ofile_open(path_csv, &err))) goto fail;
    FILE *f = l0_ofile_fp(csv);
    for (int k = 0; k < N_COLS; k++) fprintf(f, "%s%s", k ? "," : "", COL_NAMES[k]);
    fputc('\n', f);

    if (!(it = l0_cliter_open(data, &err))) goto fail;
    l0_progress prog;
    l0_progress_start(&prog, "infer", total);
    uint64_t n = 0;
    double sum_rel = 0, max_rel = 0;
    uint64_t used = 0;
    const double scale = m.target_scale;
    while (n < total && (rc = l0_cliter_next(it, &cl, &ev, &rec, &idx, &err)) == 1) {
        double pf = l0_model_float(&m, cl), px;
        int64_t raw = l0_golden_run(g, cl, &px);
        if (pf != 0 && isfinite(pf)) {
            double r = fabs(px - pf) / fabs(pf);
            sum_rel += r;
            if (r > max_rel) max_rel = r;
            used++;
        }
        if ((int64_t)n == trace) {
            l0_trace tr;
            if (l0_golden_trace(gt, cl, &tr, &err)) goto fail;
            print_trace(&m, &tr, n, rec, idx, cl);
            l0_trace_free(&tr);
        }
        size_t j = ch->n++;
        ch->event[j] = rec;
        ch->cluster[j] = idx;
        ch->orbit[j] = ev->orbit;
        ch->bx[j] = ev->bx;
        ch->ncells[j] = (uint16_t)l0_model_cells_used(&m, cl);
        ch->pdg[j] = cl->truth_pdg;
        ch->truth[j] = cl->truth_e;
        ch->eem[j] = cl->e;
        ch->eta[j] = cl->eta;
        ch->phi[j] = cl->phi;
        ch->pf[j] = pf * scale;
        ch->px[j] = px * scale;
        ch->raw[j] = raw;
        fprintf(f, "%llu,%u,%u,%u,%u,%d,%.9g,%.9g,%.9g,%.9g,%.17g,%.17g,%lld\n",
                (unsigned long long)rec, idx, ev->orbit, ev->bx, ch->ncells[j], cl->truth_pdg,
                (double)cl->truth_e, (double)cl->e, (double)cl->eta, (double)cl->phi, pf * scale,
                px * scale, (long long)raw);
        if (ch->n == INFER_CHUNK && chunk_flush(ch, z, col_idx, &err)) goto fail;
        n++;
        l0_progress_update(&prog, n);
    }
    l0_progress_end(&prog, n);
    if (rc < 0) goto fail;
    if (n != total) {
        l0_err_set(&err,
                   "%s: %llu clusters on the second reading, %llu on the first (the file "
                   "changed?)",
                   data, (unsigned long long)n, (unsigned long long)total);
        goto fail;
    }
    if (chunk_flush(ch, z, col_idx, &err)) goto fail;
    int zrc = l0_npz_close(z, &err);
    z = NULL;
    if (zrc) goto fail;
    int crc = l0_ofile_commit(csv, &err);
    csv = NULL;
    if (crc) {
        remove(path_npz); /* both outputs or neither */
        goto fail;
    }
    if (!quiet) {
        char arch[128];
        arch_str(&m, arch, sizeof arch);
        printf("infer: %llu clusters from %llu records of %s (%s); model %s (%s)\n",
               (unsigned long long)n, (unsigned long long)l0_cliter_records(it), data,
               l0_cliter_singles(it) ? "singles" : "stream", model_path, arch);
        if (l0_cliter_skipped(it))
            printf("  %llu records without a cluster skipped\n",
                   (unsigned long long)l0_cliter_skipped(it));
        printf("MPE fixed vs float: %.6g %% over %llu clusters (largest %.6g %%)\n",
               used ? sum_rel / (double)used * 100 : 0.0, (unsigned long long)used, max_rel * 100);
        print_ovf(&m, l0_golden_ovf(g));
        printf("wrote %s and %s\n", path_npz, path_csv);
    }
    exit_code = L0_EXIT_OK;
    goto done;
fail:
    l0_cli_error(CMD, "%s", err.msg);
done:
    l0_npz_abort(z);
    l0_ofile_abort(csv);
    l0_cliter_close(it);
    l0_golden_free(g);
    l0_golden_free(gt);
    free(ch);
    l0_model_free(&m);
    return exit_code;
}

/* --- l0sim eval ----------------------------------------------------------------------------------
 */

static const char *const EVAL_HELP =
    "usage: l0sim eval --model M --data FILE -o DIR [options]\n"
    "\n"
    "Calibration quality (the reference study's Fig. 2): in bins of true energy, the median\n"
    "response (predicted / true energy) and its IQR/median (the relative resolution) for the\n"
    "DeepSets in float, the DeepSets in fixed point (the golden model at the model's precision)\n"
    "and the EM-scale sum of the cluster's cells. Uses every truth-matched cluster (truth_e > 0)\n"
    "of FILE: a singles file, or a stream with embedded hard particles.\n"
    "\n"
    "  --model M          the model file\n"
    "  --data FILE        the stimulus file (hold it out of training)\n"
    "  -o, --output DIR   writes DIR/eval.csv, DIR/eval_response.png, DIR/eval_resolution.png\n"
    "  --e-min E          lowest true energy, GeV (default 1)\n"
    "  --e-max E          highest true energy, GeV (default 500)\n"
    "  --per-decade K     logarithmic bins, K per decade (default 4; the powers of ten are\n"
    "                     always edges)\n"
    "  --max-clusters N   use at most N clusters (default: all)\n"
    "  --check            exit 1 unless, for float and fixed, the median response is within 2%\n"
    "                     of 1 in every bin from 10 GeV up and IQR/median is below the EM-scale\n"
    "                     sum's in every bin from 10 GeV up (issue 4's criterion)\n"
    "  -q, --quiet        no table\n"
    "  -h, --help\n"
    "\n"
    "Response quantiles interpolate linearly between order statistics (NumPy's default).\n"
    "Exit status 0, 1 when --check fails, 2 for a usage or input error.\n";

enum { M_EM, M_FLOAT, M_FIXED, N_METHODS };
static const char *const METHOD_NAMES[N_METHODS] = {"em", "float", "fixed"};
static const char *const METHOD_TITLES[N_METHODS] = {"EM-scale sum", "DeepSets float",
                                                     "DeepSets fixed"};

#define EDGES_MAX 128

int l0_cmd_eval(int argc, char **argv) {
    static const char *CMD = "eval";
    static const struct option lo[] = {{"model", required_argument, 0, 'm'},
                                       {"data", required_argument, 0, 'd'},
                                       {"output", required_argument, 0, 'o'},
                                       {"e-min", required_argument, 0, 'a'},
                                       {"e-max", required_argument, 0, 'b'},
                                       {"per-decade", required_argument, 0, 'k'},
                                       {"max-clusters", required_argument, 0, 'n'},
                                       {"check", no_argument, 0, 'c'},
                                       {"quiet", no_argument, 0, 'q'},
                                       {"help", no_argument, 0, 'h'},
                                       {0, 0, 0, 0}};
    const char *model_path = NULL, *data = NULL, *dir = NULL;
    double e_min = 1, e_max = 500;
    int per_decade = 4, rc;
    size_t max_clusters = 0;
    bool check = false, quiet = false;
    int c;
    optind = 1;
    opterr = 0;
    while ((c = getopt_long(argc, argv, "o:qh", lo, NULL)) != -1) {
        rc = 0;
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
        case 'a':
            rc = dbl_opt(CMD, "--e-min", optarg, 1e-6, 1e6, &e_min);
            break;
        case 'b':
            rc = dbl_opt(CMD, "--e-max", optarg, 1e-6, 1e6, &e_max);
            break;
        case 'k':
            rc = int_opt(CMD, "--per-decade", optarg, 1, 20, &per_decade);
            break;
        case 'n':
            rc = size_opt(CMD, "--max-clusters", optarg, &max_clusters);
            break;
        case 'c':
            check = true;
            break;
        case 'q':
            quiet = true;
            break;
        case 'h':
            fputs(EVAL_HELP, stdout);
            return L0_EXIT_OK;
        default:
            return l0_cli_bad_option(CMD, c, argv);
        }
        if (rc) return rc;
    }
    if (optind < argc) return l0_cli_usage(CMD, "unexpected argument '%s'", argv[optind]);
    if (!model_path) return l0_cli_usage(CMD, "no model: give --model M");
    if (!data) return l0_cli_usage(CMD, "no data: give --data FILE");
    if (!dir) return l0_cli_usage(CMD, "no output directory: give -o DIR");
    if (!(e_max > e_min))
        return l0_cli_usage(CMD, "--e-max %g must be above --e-min %g", e_max, e_min);
    double edges[EDGES_MAX];
    int n_edges = l0_log_edges(e_min, e_max, per_decade, edges, EDGES_MAX);
    if (n_edges < 2) return l0_cli_usage(CMD, "too many bins from %g to %g GeV", e_min, e_max);

    l0_err err;
    l0_model m;
    if (l0_model_load(model_path, &m, &err)) return l0_cli_error(CMD, "%s", err.msg);
    int exit_code = L0_EXIT_USAGE;
    l0_golden *g = NULL;
    l0_cliter *it = NULL;
    double *truth = NULL, *pred[N_METHODS] = {0}, *work = NULL, *pf = NULL, *px = NULL;
    sbuf sc = {0};
    l0_ofile *csv = NULL;
    size_t n = 0, cap = 0;
    if (!(g = l0_golden_create(&m, &err))) goto fail;
    if (!(it = l0_cliter_open(data, &err))) goto fail;
    const l0_cluster *cl;
    uint64_t rec, skipped = 0;
    uint32_t idx;
    l0_progress prog;
    l0_progress_start(&prog, "eval", 0);
    while ((max_clusters == 0 || n < max_clusters) &&
           (rc = l0_cliter_next(it, &cl, NULL, &rec, &idx, &err)) == 1) {
        if (!(cl->truth_e > 0)) {
            skipped++;
            continue;
        }
        if (n == cap) {
            cap = cap ? 2 * cap : 4096;
            double *p = realloc(truth, cap * sizeof *p);
            if (p) truth = p;
            for (int k = 0; k < N_METHODS; k++) {
                double *q = realloc(pred[k], cap * sizeof *q);
                if (q) pred[k] = q;
                if (!q) p = NULL;
            }
            double *q1 = realloc(pf, cap * sizeof *q1);
            if (q1) pf = q1;
            double *q2 = realloc(px, cap * sizeof *q2);
            if (q2) px = q2;
            if (!p || !q1 || !q2) {
                l0_err_set(&err, "out of memory");
                goto fail;
            }
        }
        truth[n] = cl->truth_e;
        pf[n] = l0_model_float(&m, cl);
        l0_golden_run(g, cl, &px[n]);
        pred[M_EM][n] = cl->e;
        pred[M_FLOAT][n] = pf[n] * m.target_scale;
        pred[M_FIXED][n] = px[n] * m.target_scale;
        n++;
        l0_progress_update(&prog, n);
    }
    l0_progress_end(&prog, n);
    if (max_clusters && n >= max_clusters) rc = 0;
    if (rc < 0) goto fail;
    if (n == 0) {
        l0_err_set(&err, "%s: no truth-matched cluster (truth_e > 0) in %llu records", data,
                   (unsigned long long)l0_cliter_records(it));
        goto fail;
    }
    if (!(work = malloc(n * sizeof *work))) {
        l0_err_set(&err, "out of memory");
        goto fail;
    }
    int nb = n_edges - 1;
    l0_resp res[N_METHODS][EDGES_MAX], all[N_METHODS];
    for (int k = 0; k < N_METHODS; k++) {
        l0_resp_binned(truth, pred[k], n, edges, n_edges, res[k], work);
        double full[2] = {e_min, e_max};
        l0_resp_binned(truth, pred[k], n, full, 2, &all[k], work);
    }
    size_t mpe_used;
    double mpe = l0_mpe(px, pf, n, &mpe_used);

    if (l0_mkdir_p(dir, &err)) goto fail;
    char path[4096];
    snprintf(path, sizeof path, "%s/eval.csv", dir);
    if (!(csv = l0_ofile_open(path, &err))) goto fail;
    FILE *f = l0_ofile_fp(csv);
    fprintf(f, "bin,e_lo,e_hi,e_mid,n");
    for (int k = 0; k < N_METHODS; k++)
        fprintf(f, ",%s_median,%s_q25,%s_q75,%s_iqr_med", METHOD_NAMES[k], METHOD_NAMES[k],
                METHOD_NAMES[k], METHOD_NAMES[k]);
    fprintf(f, ",res_gain_float,res_gain_fixed\n");
    for (int b = 0; b <= nb; b++) {
        const l0_resp *r[N_METHODS];
        double lo_e = b < nb ? edges[b] : e_min, hi_e = b < nb ? edges[b + 1] : e_max;
        for (int k = 0; k < N_METHODS; k++) r[k] = b < nb ? &res[k][b] : &all[k];
        if (b < nb)
            fprintf(f, "%d", b);
        else
            fprintf(f, "all");
        fprintf(f, ",%.6g,%.6g,%.6g,%zu", lo_e, hi_e, sqrt(lo_e * hi_e), r[0]->n);
        for (int k = 0; k < N_METHODS; k++)
            fprintf(f, ",%.6g,%.6g,%.6g,%.6g", r[k]->median, r[k]->q25, r[k]->q75, r[k]->iqr_med);
        fprintf(f, ",%.6g,%.6g\n", r[M_EM]->iqr_med / r[M_FLOAT]->iqr_med,
                r[M_EM]->iqr_med / r[M_FIXED]->iqr_med);
    }
    int crc = l0_ofile_commit(csv, &err);
    csv = NULL;
    if (crc) goto fail;

    /* plots: the data once, as gnuplot datablocks */
    sb_printf(&sc, "$d << EOD\n");
    for (int b = 0; b < nb; b++) {
        if (res[0][b].n == 0) continue;
        sb_printf(&sc, "%.6g %.6g %.6g", edges[b], edges[b + 1], sqrt(edges[b] * edges[b + 1]));
        for (int k = 0; k < N_METHODS; k++)
            sb_printf(&sc, " %.6g %.6g %.6g %.6g", res[k][b].median, res[k][b].q25, res[k][b].q75,
                      res[k][b].iqr_med);
        sb_printf(&sc, "\n");
    }
    sb_printf(&sc,
              "EOD\nset termoption noenhanced\nset logscale x\nset grid\n"
              "set xlabel 'true energy [GeV]'\nset xrange [%g:%g]\nset key top right\n",
              e_min, e_max);
    size_t base = sc.n;
    sb_printf(&sc,
              "set title 'median response, %s (%zu clusters)'\nset ylabel 'median of E_pred / "
              "E_true'\nset yrange [0.3:1.4]\nset arrow from %g,1 to %g,1 nohead dt 2 lc 'gray'\n"
              "plot ",
              model_path, n, e_min, e_max);
    for (int k = 0; k < N_METHODS; k++)
        sb_printf(&sc,
                  "%s$d using 3:%d:%d:%d with yerrorlines pt 7 ps 0.6 title '%s (bars: "
                  "quartiles)'",
                  k ? ", " : "", 4 + 4 * k, 5 + 4 * k, 6 + 4 * k, METHOD_TITLES[k]);
    if (sc.failed) {
        l0_err_set(&err, "out of memory");
        goto fail;
    }
    snprintf(path, sizeof path, "%s/eval_response.png", dir);
    if (l0_plot_png(path, 900, 600, sc.p, &err)) goto fail;
    sc.n = base;
    sb_printf(&sc,
              "set title 'resolution: IQR / median of the response, %s'\nset ylabel 'IQR / "
              "median'\nset yrange [0:*]\nplot ",
              model_path);
    for (int k = 0; k < N_METHODS; k++)
        sb_printf(&sc, "%s$d using 3:%d with linespoints pt 7 ps 0.6 title '%s'", k ? ", " : "",
                  7 + 4 * k, METHOD_TITLES[k]);
    if (sc.failed) {
        l0_err_set(&err, "out of memory");
        goto fail;
    }
    snprintf(path, sizeof path, "%s/eval_resolution.png", dir);
    if (l0_plot_png(path, 900, 600, sc.p, &err)) goto fail;

    /* the criterion of issue 4, from 10 GeV up */
    bool ok_resp[N_METHODS] = {true, true, true}, ok_res[N_METHODS] = {true, true, true};
    int bins_checked = 0;
    for (int b = 0; b < nb; b++) {
        if (edges[b] < 10 * (1 - 1e-9) || res[0][b].n == 0) continue;
        bins_checked++;
        for (int k = M_FLOAT; k <= M_FIXED; k++) {
            if (!(fabs(res[k][b].median - 1) <= 0.02)) ok_resp[k] = false;
            if (!(res[k][b].iqr_med < res[M_EM][b].iqr_med)) ok_res[k] = false;
        }
    }
    bool pass = bins_checked > 0 && ok_resp[M_FLOAT] && ok_resp[M_FIXED] && ok_res[M_FLOAT] &&
                ok_res[M_FIXED];
    if (!quiet) {
        char arch[128];
        arch_str(&m, arch, sizeof arch);
        printf("eval: %zu truth-matched clusters of %s (%llu records; %llu clusters without "
               "truth left out); model %s (%s)\n",
               n, data, (unsigned long long)l0_cliter_records(it), (unsigned long long)skipped,
               model_path, arch);
        printf("MPE fixed vs float: %.6g %% over %zu clusters\n\n", mpe, mpe_used);
        printf("response = E_pred / E_true: median and IQR/median (the relative resolution)\n");
        printf("  %-16s %7s   %-16s   %-16s   %-16s  %s\n", "true E [GeV]", "n", "EM-scale sum",
               "DeepSets float", "DeepSets fixed", "IQR/med EM / fixed");
        printf("  %-16s %7s   %7s %8s   %7s %8s   %7s %8s\n", "", "", "median", "IQR/med", "median",
               "IQR/med", "median", "IQR/med");
        for (int b = 0; b <= nb; b++) {
            const l0_resp *r[N_METHODS];
            for (int k = 0; k < N_METHODS; k++) r[k] = b < nb ? &res[k][b] : &all[k];
            char lab[40];
            if (b < nb)
                snprintf(lab, sizeof lab, "%.3g-%.3g", edges[b], edges[b + 1]);
            else
                snprintf(lab, sizeof lab, "all %g-%g", e_min, e_max);
            printf("  %-16s %7zu ", lab, r[0]->n);
            for (int k = 0; k < N_METHODS; k++)
                printf("  %7.4f %8.4f ", r[k]->median, r[k]->iqr_med);
            printf("  %6.2f\n", r[M_EM]->iqr_med / r[M_FIXED]->iqr_med);
        }
        printf("\nfrom 10 GeV up (%d bins): median response within 2%% of 1: float %s, fixed %s; "
               "IQR/median below the EM-scale sum's: float %s, fixed %s\n",
               bins_checked, ok_resp[M_FLOAT] ? "yes" : "NO", ok_resp[M_FIXED] ? "yes" : "NO",
               ok_res[M_FLOAT] ? "yes" : "NO", ok_res[M_FIXED] ? "yes" : "NO");
        printf("wrote %s/eval.csv, %s/eval_response.png, %s/eval_resolution.png\n", dir, dir, dir);
    }
    exit_code = check && !pass ? L0_EXIT_FAIL : L0_EXIT_OK;
    if (check) printf("check: %s\n", pass ? "PASS" : "FAIL");
    goto done;
fail:
    l0_cli_error(CMD, "%s", err.msg);
done:
    l0_ofile_abort(csv);
    l0_cliter_close(it);
    l0_golden_free(g);
    free(truth);
    for (int k = 0; k < N_METHODS; k++) free(pred[k]);
    free(pf);
    free(px);
    free(work);
    free(sc.p);
    l0_model_free(&m);
    return exit_code;
}

/* --- l0sim sweep ---------------------------------------------------------------------------------
 */

static const char *const SWEEP_HELP =
    "usage: l0sim sweep --model M [--model M2 ...] --data FILE -o DIR [options]\n"
    "\n"
    "Post-training quantization (PTQ) study: the MPE of the fixed-point model against the float\n"
    "one (mean over clusters of |fixed - float| / |float| x 100, clusters with float == 0 left\n"
    "out) while sweeping precisions, for every model given. The clusters are read once (the\n"
    "first --clusters of FILE; singles: the matched cluster of each record, streams: every\n"
    "cluster); each precision point re-types a copy of the model and runs the golden model on\n"
    "them, the points spread over --threads threads (results never depend on the count).\n"
    "Sweeps change W and I only: each tensor keeps the model's rounding and overflow modes\n"
    "(shipped model: activations AP_RND/AP_SAT, weights and biases AP_RND/AP_WRAP); types are\n"
    "signed; accumulators are hls4ml's 'auto' (clipped to 64 bits where auto needs more).\n"
    "\n"
    "  --model M          a model file; repeat for several sizes (at most 8)\n"
    "  --data FILE        the stimulus file (hold it out of training)\n"
    "  -o, --output DIR   writes DIR/sweep_KIND.csv and DIR/sweep_KIND.png per kind\n"
    "  --kind LIST        comma-separated, default int,total,wb,ksum,layers:\n"
    "     int     every tensor ap_fixed<W,I>, W = --width, I over --int-range\n"
    "     total   every tensor ap_fixed<W,I>, I = --int, W over --total-range\n"
    "     wb      weights and/or biases ap_fixed<W,I_fit> (I_fit: the fewest integer bits that\n"
    "             hold every weight, resp. bias; or --wb-int), W over --wb-range; the\n"
    "             generous precision elsewhere; curves: weight, bias, both\n"
    "     ksum    KSum ap_fixed<I+F,I>, F = --ksum-frac, I over --ksum-range; every other\n"
    "             tensor at the generous precision (or the model's own: --ksum-base model)\n"
    "             generous: input, results, KSum ap_fixed<32,14>; weights and biases\n"
    "             ap_fixed<24,I_fit> (so auto accumulators fit 64 bits: products are exact)\n"
    "     layers  per traced tensor (input, phi0.., ksum, rho0..): mean relative difference of\n"
    "             fixed vs float at --precision, over --trace-clusters clusters\n"
    "     qat     quantization-aware training against PTQ: every tensor ap_fixed<W,I>,\n"
    "             I = --int, W over --qat-range; QAT trains a copy of each model at each W on\n"
    "             --qat-data (slow: minutes per model)\n"
    "  --clusters N       clusters to read (default 10000; 0: all)\n"
    "  --width W          int: total bits (default 16)\n"
    "  --int I            total, qat, and --precision W: integer bits (default 6)\n"
    "  --int-range A:B[:S], --total-range A:B[:S], --wb-range A:B[:S], --ksum-range A:B[:S],\n"
    "  --qat-range A:B[:S]  the swept values (defaults 1:15, 8:32:2, 2:20:2, 1:20, 8:24:2)\n"
    "  --ksum-extra K     int, total, qat, layers: KSum gets ap_fixed<W+K,I+K> (default 0: the\n"
    "                     same type as every tensor, as one model-wide hls4ml precision)\n"
    "  --ksum-frac F      ksum: fractional bits of the KSum (default 10)\n"
    "  --ksum-base B      ksum: 'generous' (default) or 'model'\n"
    "  --wb-int I         wb: integer bits of weights and biases (default: fitted per model)\n"
    "  --precision P      layers: 'model' (the model's own, default) or a total width W (every\n"
    "                     tensor ap_fixed<W,--int>)\n"
    "  --trace-clusters N layers: clusters traced (default 2000)\n"
    "  --e-min E          the response and loss columns use clusters with truth_e >= E GeV\n"
    "                     (default 10)\n"
    "  --qat-data FILE    qat: singles file to train on (hold --data out of it)\n"
    "  --qat-epochs N     qat: at most N epochs per point (default 5)\n"
    "  --qat-lr X         qat: Adam's learning rate (default 1e-4)\n"
    "  --qat-max-clusters N  qat: training clusters read (default 20000; 0: all)\n"
    "  --qat-seed S       qat: split and shuffling seed (default 1)\n"
    "  --threads N        worker threads (default: online CPUs)\n"
    "  -q, --quiet        no tables\n"
    "  -h, --help\n"
    "\n"
    "CSV columns: model, arch, params, kind, curve, x (the swept value), the types, mpe (%),\n"
    "n_used, max_rel (%), resp_median and resp_iqr_med (fixed / true energy), loss (mean\n"
    "(ln(fixed/true))^2), overflow counts per tensor kind, and lut, ff, dsp (empty: filled by\n"
    "the RTL flow).\n"
    "Exit status 0, 2 for a usage or input error.\n";

#define MODELS_MAX 8
#define POINTS_MAX 4096

enum { K_INT, K_TOTAL, K_WB, K_KSUM, K_LAYERS, K_QAT, N_KINDS };
static const char *const KIND_NAMES[N_KINDS] = {"int", "total", "wb", "ksum", "layers", "qat"};

typedef struct range {
    int lo, hi, step;
} range;

typedef struct sweep_opts {
    const char *models[MODELS_MAX];
    int n_models;
    const char *data, *dir;
    bool kind[N_KINDS];
    size_t clusters;
    int width, ibits, ksum_extra, ksum_frac, wb_int; /* wb_int < -1000: fitted */
    bool ksum_base_model;
    int prec_w; /* layers: 0 = the model's precision */
    size_t trace_clusters;
    range r[N_KINDS];
    double e_min;
    const char *qat_data;
    int qat_epochs;
    double qat_lr;
    size_t qat_max;
    uint64_t qat_seed;
    int threads;
    bool quiet;
} sweep_opts;

/* A loaded model with its float outputs on the cluster set. */
typedef struct study_model {
    const char *path;
    char label[64], arch[128];
    long params;
    l0_model m;
    double *flt;
} study_model;

/* One result row of a sweep. */
typedef struct sweep_row {
    int model;
    const char *curve;
    int x;
    l0_sweep_point pt;
    l0_point_result r;
    /* qat only */
    double val_loss;
    int epochs;
} sweep_row;

static int parse_range(const char *cmd, const char *opt, const char *s, range *r) {
    int a, b, st = 1, k = 0;
    char tail;
    if ((k = sscanf(s, "%d:%d:%d%c", &a, &b, &st, &tail)) < 2 || k > 3 || a > b || st < 1 ||
        a < -64 || b > 64)
        return l0_cli_usage(cmd, "%s '%s': give LO:HI or LO:HI:STEP with -64 <= LO <= HI <= 64",
                            opt, s);
    *r = (range){a, b, st};
    return 0;
}

static int parse_kinds(const char *cmd, const char *s, bool *kind) {
    memset(kind, 0, sizeof(bool) * N_KINDS);
    const char *p = s;
    for (;;) {
        size_t len = strcspn(p, ",");
        int k;
        for (k = 0; k < N_KINDS; k++)
            if (strlen(KIND_NAMES[k]) == len && !strncmp(p, KIND_NAMES[k], len)) break;
        if (k == N_KINDS)
            return l0_cli_usage(cmd,
                                "--kind '%s': unknown kind '%.*s' (int, total, wb, ksum, layers, "
                                "qat)",
                                s, (int)len, p);
        kind[k] = true;
        if (!p[len]) return 0;
        p += len + 1;
    }
}

/* A signed type of W,I with the modes of `modes`. */
static int mk_type(l0_fx_type *t, int w, int i, const l0_fx_type *modes, l0_err *err) {
    return l0_fx_type_make(t, w, i, true, modes->q, modes->o, err) ? -1 : 0;
}

/* Every tensor ap_fixed<W,I> with the model's modes; KSum ap_fixed<W+K,I+K>. */
static int uniform_point(const l0_model *m, int w, int i, int ksum_extra, l0_sweep_point *pt,
                         l0_err *err) {
    memset(pt, 0, sizeof *pt);
    l0_precision *p = &pt->p;
    p->accum_auto = true;
    if (mk_type(&p->input, w, i, &m->t_in, err) || mk_type(&p->weight, w, i, &m->phi[0].t_w, err) ||
        mk_type(&p->bias, w, i, &m->phi[0].t_b, err) ||
        mk_type(&p->result, w, i, &m->phi[0].t_res, err) ||
        mk_type(&p->ksum, w + ksum_extra, i + ksum_extra, &m->t_ksum, err))
        return -1;
    return 0;
}

/* The generous precision of the wb and ksum sweeps: intermediate vectors (input, results, KSum)
 * ap_fixed<32,14>; weights and biases ap_fixed<24,I_fit> (at least 18 fractional bits for
 * |w| < 32), narrow enough that hls4ml's auto accumulator (32 + 24 + ceil(log2 n_in) + 1 bits)
 * fits 64 bits for n_in <= 128, so every product is exact. */
static int generous_point(const l0_model *m, int iw, int ib, l0_sweep_point *pt, l0_err *err) {
    if (uniform_point(m, 32, 14, 0, pt, err) ||
        mk_type(&pt->p.weight, 24, iw, &m->phi[0].t_w, err) ||
        mk_type(&pt->p.bias, 24, ib, &m->phi[0].t_b, err))
        return -1;
    return 0;
}

/* The fewest integer bits (signed) that hold every value of x: |x| < 2^(I-1). */
static int fit_int_bits(const double *x, size_t n) {
    double mx = 0;
    for (size_t k = 0; k < n; k++)
        if (fabs(x[k]) > mx) mx = fabs(x[k]);
    int i = 1;
    while (i < 60 && mx >= ldexp(1.0, i - 1)) i++;
    return i;
}

static void model_fit_bits(const l0_model *m, int *iw, int *ib) {
    *iw = *ib = 1;
    for (int k = 0; k < l0_model_n_layers(m); k++) {
        const l0_layer *L = l0_model_layer_c(m, k);
        int a = fit_int_bits(L->w, (size_t)L->n_in * (size_t)L->n_out);
        int b = fit_int_bits(L->b, (size_t)L->n_out);
        if (a > *iw) *iw = a;
        if (b > *ib) *ib = b;
    }
}

/* The points of one kind for one model: rows appended to rows[*n]. */
static int kind_points(int kind, const sweep_opts *o, const study_model *sm, int mi,
                       sweep_row *rows, size_t *n, l0_err *err) {
    const l0_model *m = &sm->m;
    const range *r = &o->r[kind];
    static const char *const WB_CURVES[3] = {"weight", "bias", "both"};
    int ncurves = kind == K_WB ? 3 : 1;
    int iw, ib;
    model_fit_bits(m, &iw, &ib);
    if (o->wb_int > -1000) iw = ib = o->wb_int;
    for (int cv = 0; cv < ncurves; cv++)
        for (int x = r->lo; x <= r->hi; x += r->step) {
            if (*n >= POINTS_MAX)
                return l0_err_set(err, "more than %d precision points", POINTS_MAX);
            sweep_row *row = &rows[(*n)++];
            memset(row, 0, sizeof *row);
            row->model = mi;
            row->x = x;
            row->curve = kind == K_WB ? WB_CURVES[cv] : KIND_NAMES[kind];
            l0_sweep_point *pt = &row->pt;
            int rc = 0;
            switch (kind) {
            case K_INT:
                rc = uniform_point(m, o->width, x, o->ksum_extra, pt, err);
                break;
            case K_TOTAL:
            case K_QAT:
                rc = uniform_point(m, x, o->ibits, o->ksum_extra, pt, err);
                break;
            case K_WB:
                rc = generous_point(m, iw, ib, pt, err);
                if (!rc && cv != 1) rc = mk_type(&pt->p.weight, x, iw, &m->phi[0].t_w, err);
                if (!rc && cv != 0) rc = mk_type(&pt->p.bias, x, ib, &m->phi[0].t_b, err);
                break;
            case K_KSUM:
                if (o->ksum_base_model)
                    pt->from_model = true;
                else
                    rc = generous_point(m, iw, ib, pt, err);
                pt->ksum_set = true;
                if (!rc) rc = mk_type(&pt->ksum, x + o->ksum_frac, x, &m->t_ksum, err);
                break;
            default:
                break;
            }
            if (rc)
                return l0_err_prefix(err, "%s sweep, %s = %d: ", KIND_NAMES[kind],
                                     kind == K_INT || kind == K_KSUM ? "I" : "W", x);
        }
    return 0;
}

/* The types a point gave (the first phi layer's, for per-layer types). */
static void row_types(const l0_model *m, const sweep_row *row, char t[6][96]) {
    l0_model c;
    memset(t, 0, 6 * 96);
    if (l0_model_copy(&c, m, NULL)) return;
    bool clipped;
    if (!l0_sweep_point_apply(&c, &row->pt, &clipped, NULL)) {
        l0_fx_type_str(&c.t_in, t[0], 96);
        l0_fx_type_str(&c.phi[0].t_w, t[1], 96);
        l0_fx_type_str(&c.phi[0].t_b, t[2], 96);
        l0_fx_type_str(&c.phi[0].t_res, t[3], 96);
        l0_fx_type_str(&c.t_ksum, t[4], 96);
        char a[64];
        l0_fx_type_str(&c.phi[0].t_acc, a, sizeof a);
        snprintf(t[5], 96, "%s%s", c.phi[0].acc_auto ? "auto " : "", a);
    }
    l0_model_free(&c);
}

static uint64_t sum_ovf(const uint64_t *v, int n) {
    uint64_t s = 0;
    for (int k = 0; k < n; k++) s += v[k];
    return s;
}

static int write_sweep_csv(const char *path, int kind, const study_model *sm, const sweep_row *rows,
                           size_t n, l0_err *err) {
    l0_ofile *of = l0_ofile_open(path, err);
    if (!of) return -1;
    FILE *f = l0_ofile_fp(of);
    fprintf(f, "model,arch,params,kind,curve,x,input_t,weight_t,bias_t,result_t,ksum_t,accum_t,"
               "accum_clipped,mpe,n_used,max_rel,resp_median,resp_iqr_med,loss,");
    if (kind == K_QAT) fprintf(f, "val_loss,epochs,");
    fprintf(f, "ovf_input,ovf_weight,ovf_bias,ovf_accum,ovf_result,ovf_ksum,lut,ff,dsp\n");
    for (size_t k = 0; k < n; k++) {
        const sweep_row *row = &rows[k];
        const study_model *s = &sm[row->model];
        const l0_point_result *r = &row->r;
        char t[6][96];
        row_types(&s->m, row, t);
        int nl = l0_model_n_layers(&s->m);
        fprintf(f, "%s,\"%s\",%ld,%s,%s,%d", s->label, s->arch, s->params, KIND_NAMES[kind],
                row->curve, row->x);
        for (int j = 0; j < 6; j++) fprintf(f, ",\"%s\"", t[j]);
        fprintf(f, ",%d,%.9g,%zu,%.9g,%.9g,%.9g,%.9g,", r->accum_clipped ? 1 : 0, r->mpe, r->n_used,
                r->max_rel * 100, r->resp.median, r->resp.iqr_med, r->loss);
        if (kind == K_QAT) {
            if (strcmp(row->curve, "ptq"))
                fprintf(f, "%.9g,%d,", row->val_loss, row->epochs);
            else
                fprintf(f, ",,");
        }
        fprintf(f, "%llu,%llu,%llu,%llu,%llu,%llu,,,\n", (unsigned long long)r->ovf.input,
                (unsigned long long)sum_ovf(r->ovf.weight, nl),
                (unsigned long long)sum_ovf(r->ovf.bias, nl),
                (unsigned long long)sum_ovf(r->ovf.accum, nl),
                (unsigned long long)sum_ovf(r->ovf.result, nl), (unsigned long long)r->ovf.ksum);
    }
    return l0_ofile_commit(of, err);
}

/* Dash type of a curve: solid for the main one, dashed and dotted for the others. */
static int curve_dt(const char *curve) {
    if (!strcmp(curve, "bias") || !strcmp(curve, "qat")) return 2;
    if (!strcmp(curve, "both") || !strcmp(curve, "ptq-ft")) return 3;
    return 1;
}

/* MPE (and, for qat, resolution) against x, one curve per model and curve name. */
static int plot_sweep(const char *path, int kind, const sweep_opts *o, const study_model *sm,
                      const sweep_row *rows, size_t n, l0_err *err) {
    sbuf sc = {0};
    int nblk = 0;
    const char *curve_of[3 * MODELS_MAX];
    int model_of[3 * MODELS_MAX];
    /* a datablock per (model, curve), in row order */
    for (size_t k = 0; k < n;) {
        size_t e = k;
        while (e < n && rows[e].model == rows[k].model && !strcmp(rows[e].curve, rows[k].curve))
            e++;
        if (nblk < 3 * MODELS_MAX) {
            curve_of[nblk] = rows[k].curve;
            model_of[nblk] = rows[k].model;
            sb_printf(&sc, "$b%d << EOD\n", nblk);
            for (size_t j = k; j < e; j++)
                sb_printf(&sc, "%d %.9g %.9g %.9g\n", rows[j].x, rows[j].r.mpe,
                          rows[j].r.resp.iqr_med, rows[j].r.resp.median);
            sb_printf(&sc, "EOD\n");
            nblk++;
        }
        k = e;
    }
    const char *xlab = kind == K_INT    ? "integer bits I (W = %d)"
                       : kind == K_KSUM ? "KSum integer bits I (F = %d)"
                       : kind == K_WB   ? "weight / bias total bits W"
                                        : "total bits W (I = %d)";
    char xl[128];
    int xn = snprintf(xl, sizeof xl, xlab,
                      kind == K_INT    ? o->width
                      : kind == K_KSUM ? o->ksum_frac
                                       : o->ibits);
    if ((kind == K_INT || kind == K_TOTAL || kind == K_QAT) && o->ksum_extra && xn > 0 &&
        (size_t)xn < sizeof xl)
        snprintf(xl + xn, sizeof xl - (size_t)xn, "; KSum ap_fixed<W+%d,I+%d>", o->ksum_extra,
                 o->ksum_extra);
    const char *title =
        kind == K_INT     ? "PTQ: MPE of fixed vs float, integer bits at fixed width"
        : kind == K_TOTAL ? "PTQ: MPE of fixed vs float, total bits at fixed integer bits"
        : kind == K_WB    ? "PTQ: weight and bias precision (intermediate vectors ap_fixed<32,14>)"
        : kind == K_KSUM  ? "PTQ: KSum integer bits alone"
                          : "QAT vs PTQ";
    sb_printf(&sc, "set termoption noenhanced\nset grid\nset key top right opaque box\n"
                   "set autoscale xfix\n"
                   "set offsets 0.5, 0.5, 0, 0\n");
    if (kind == K_QAT) sb_printf(&sc, "set multiplot layout 1,2 title '%s'\n", title);
    sb_printf(&sc,
              "set logscale y\nset format y '%%g'\nset xlabel '%s'\nset ylabel 'MPE [%%]'\n%s"
              "plot ",
              xl, kind == K_QAT ? "set title 'MPE of fixed vs the float model'\n" : "");
    for (int b = 0; b < nblk; b++) {
        int dt = curve_dt(curve_of[b]);
        char t[256];
        if (kind == K_WB || kind == K_QAT)
            snprintf(t, sizeof t, "%s %s", sm[model_of[b]].label, curve_of[b]);
        else
            snprintf(t, sizeof t, "%s (%s)", sm[model_of[b]].label, sm[model_of[b]].arch);
        sb_printf(&sc,
                  "%s$b%d using 1:($2 > 0 ? $2 : 1/0) with linespoints lc %d dt %d pt 7 ps 0.6 "
                  "title '%s'",
                  b ? ", " : "", b, o->n_models == 1 ? dt : model_of[b] + 1, dt, t);
    }
    sb_printf(&sc, "\n");
    if (kind == K_QAT) {
        sb_printf(&sc,
                  "set title 'resolution: IQR/median of fixed / true (E >= "
                  "%g GeV)'\nset ylabel 'IQR / median'\nplot ",
                  o->e_min);
        for (int b = 0; b < nblk; b++)
            sb_printf(&sc,
                      "%s$b%d using 1:3 with linespoints lc %d dt %d pt 7 ps 0.6 title '%s %s'",
                      b ? ", " : "", b, o->n_models == 1 ? curve_dt(curve_of[b]) : model_of[b] + 1,
                      curve_dt(curve_of[b]), sm[model_of[b]].label, curve_of[b]);
        sb_printf(&sc, "\nunset multiplot\n");
    }
    int rc;
    if (sc.failed) {
        rc = l0_err_set(err, "out of memory");
    } else {
        /* the title goes first: prepend it */
        sbuf full = {0};
        if (kind != K_QAT) sb_printf(&full, "set title '%s'\n", title);
        sb_printf(&full, "%s", sc.p);
        rc = full.failed ? l0_err_set(err, "out of memory")
                         : l0_plot_png(path, kind == K_QAT ? 1400 : 1000, 600, full.p, err);
        free(full.p);
    }
    free(sc.p);
    return rc;
}

/* A table of MPE by x, one column per (model, curve). */
static void print_sweep(int kind, const study_model *sm, const sweep_row *rows, size_t n,
                        const sweep_opts *o) {
    if (n == 0) return;
    printf("\nsweep %s: MPE [%%] of fixed vs float", KIND_NAMES[kind]);
    if (kind == K_INT)
        printf(", every tensor ap_fixed<%d,I>%s", o->width, o->ksum_extra ? " (KSum +extra)" : "");
    if (kind == K_TOTAL) printf(", every tensor ap_fixed<W,%d>", o->ibits);
    if (kind == K_WB) printf(", weights/biases ap_fixed<W,I_fit>, the rest generous");
    if (kind == K_KSUM)
        printf(", KSum ap_fixed<I+%d,I>, the rest %s", o->ksum_frac,
               o->ksum_base_model ? "the model's" : "generous");
    if (kind == K_QAT) printf(" and IQR/median of fixed/true (E >= %g GeV)", o->e_min);
    printf("\n");
    /* columns: distinct (model, curve) in row order */
    size_t start[3 * MODELS_MAX + 1];
    int nc = 0;
    for (size_t k = 0; k < n && nc < 3 * MODELS_MAX; k++)
        if (k == 0 || rows[k].model != rows[k - 1].model ||
            strcmp(rows[k].curve, rows[k - 1].curve))
            start[nc++] = k;
    start[nc] = n;
    printf("  %5s", kind == K_INT || kind == K_KSUM ? "I" : "W");
    for (int c = 0; c < nc; c++) {
        char h[64];
        if (kind == K_WB || kind == K_QAT)
            snprintf(h, sizeof h, "%.10s %s", sm[rows[start[c]].model].label, rows[start[c]].curve);
        else
            snprintf(h, sizeof h, "%.16s", sm[rows[start[c]].model].label);
        printf(" %16s", h);
        if (kind == K_QAT) printf(" %8s", "IQR/med");
    }
    printf("\n");
    /* rows by x of the first column (every column has the same x values) */
    size_t len = start[1] - start[0];
    for (size_t j = 0; j < len; j++) {
        printf("  %5d", rows[start[0] + j].x);
        for (int c = 0; c < nc; c++) {
            size_t k = start[c] + j;
            if (k >= start[c + 1]) {
                printf(" %16s", "");
                continue;
            }
            printf(" %16.5g", rows[k].r.mpe);
            if (kind == K_QAT) printf(" %8.4f", rows[k].r.resp.iqr_med);
        }
        printf("\n");
    }
}

static int run_layers(const sweep_opts *o, study_model *sm, const l0_clset *set, l0_err *err) {
    char path[4096];
    snprintf(path, sizeof path, "%s/sweep_layers.csv", o->dir);
    l0_ofile *of = l0_ofile_open(path, err);
    if (!of) return -1;
    FILE *f = l0_ofile_fp(of);
    fprintf(f, "model,arch,params,precision,tensor,index,type,elements,used,mpe,rel_l1,max_abs,"
               "overflows,casts\n");
    if (!o->quiet)
        printf("\nsweep layers: fixed vs float per traced tensor, %s, over %zu clusters\n",
               o->prec_w ? "every tensor ap_fixed<W,I>" : "the model's precision",
               o->trace_clusters && o->trace_clusters < set->n ? o->trace_clusters : set->n);
    for (int mi = 0; mi < o->n_models; mi++) {
        study_model *s = &sm[mi];
        l0_model c;
        if (l0_model_copy(&c, &s->m, err)) goto fail;
        char prec[64] = "model";
        if (o->prec_w) {
            l0_sweep_point pt;
            bool clipped;
            if (uniform_point(&c, o->prec_w, o->ibits, o->ksum_extra, &pt, err) ||
                l0_sweep_point_apply(&c, &pt, &clipped, err)) {
                l0_model_free(&c);
                goto fail;
            }
            snprintf(prec, sizeof prec, "ap_fixed<%d,%d>", o->prec_w, o->ibits);
        }
        l0_layer_diff d[2 * L0_MODEL_LAYERS_MAX + 2];
        int nd = 0;
        int rc = l0_layer_diffs(&c, set, o->trace_clusters, d, &nd, err);
        l0_model_free(&c);
        if (rc) goto fail;
        if (!o->quiet) {
            printf("  %s (%s):\n  %-8s %-32s %10s %12s %12s %12s %10s\n", s->label, s->arch,
                   "tensor", "type", "values", "MPE [%]", "rel L1 [%]", "max |diff|", "overflows");
        }
        sbuf sc = {0};
        sb_printf(&sc, "$d << EOD\n");
        for (int t = 0; t < nd; t++) {
            char ts[96];
            l0_fx_type_str(&d[t].type, ts, sizeof ts);
            fprintf(f, "%s,\"%s\",%ld,\"%s\",%s,%d,\"%s\",%llu,%llu,%.9g,%.9g,%.9g,%llu,%llu\n",
                    s->label, s->arch, s->params, prec, d[t].name, t, ts,
                    (unsigned long long)d[t].elements, (unsigned long long)d[t].used, d[t].mpe,
                    d[t].rel_l1, d[t].max_abs, (unsigned long long)d[t].ovf,
                    (unsigned long long)d[t].casts);
            if (!o->quiet)
                printf("  %-8s %-32s %10llu %12.5g %12.5g %12.5g %10llu\n", d[t].name, ts,
                       (unsigned long long)d[t].elements, d[t].mpe, d[t].rel_l1, d[t].max_abs,
                       (unsigned long long)d[t].ovf);
            sb_printf(&sc, "%d %s %.9g %.9g\n", t, d[t].name, d[t].mpe, d[t].rel_l1);
        }
        sb_printf(&sc,
                  "EOD\nset termoption noenhanced\nset title 'fixed vs float per layer: %s (%s), "
                  "precision %s'\nset grid\nset logscale y\nset format y '%%g'\nset ylabel "
                  "'difference [%%]'\nset xlabel 'tensor'\nset style data linespoints\nset key top "
                  "left\nplot $d using 1:($3 > 0 ? $3 : 1/0):xtic(2) pt 7 title 'mean relative "
                  "difference (MPE per value)', $d using 1:($4 > 0 ? $4 : 1/0) pt 5 title 'sum "
                  "|diff| / sum |float|'\n",
                  s->label, s->arch, prec);
        char safe[80];
        file_safe(s->label, safe, sizeof safe);
        snprintf(path, sizeof path, "%s/sweep_layers_%s.png", o->dir, safe);
        rc = sc.failed ? l0_err_set(err, "out of memory") : l0_plot_png(path, 900, 550, sc.p, err);
        free(sc.p);
        if (rc) goto fail;
    }
    return l0_ofile_commit(of, err);
fail:
    l0_ofile_abort(of);
    return -1;
}

/* The trainer's configuration for the qat kind (QAT, or the float fine-tuning baseline). */
static void qat_cfg(const sweep_opts *o, bool qat, l0_train_cfg *cfg) {
    l0_train_cfg_default(cfg);
    cfg->qat = qat;
    cfg->epochs = o->qat_epochs;
    cfg->lr = o->qat_lr;
    cfg->seed = o->qat_seed;
    cfg->threads = o->threads;
    cfg->log = NULL;
    cfg->progress = !o->quiet;
}

/* For the PTQ rows rows[0..n_ptq) (already evaluated), per model: a float copy trained for the
 * same epochs as QAT then quantized at every point ("ptq-ft": PTQ with the extra training QAT
 * gets, so that the comparison isolates the quantization in the loop), and a QAT copy trained at
 * every point ("qat"). Appends these rows at rows[*n]. Every MPE is against the original float
 * model. */
static int run_qat(const sweep_opts *o, study_model *sm, const l0_clset *set,
                   const l0_sweep_cfg *scfg, sweep_row *rows, size_t n_ptq, size_t *n,
                   l0_err *err) {
    l0_dataset ds;
    bool have_ds = false;
    double *work = malloc((set->n ? set->n : 1) * sizeof *work);
    l0_sweep_point *pts = malloc((n_ptq ? n_ptq : 1) * sizeof *pts);
    l0_point_result *res = malloc((n_ptq ? n_ptq : 1) * sizeof *res);
    int rc = 0;
    if (!work || !pts || !res) {
        free(work);
        free(pts);
        free(res);
        return l0_err_set(err, "out of memory");
    }
    for (size_t a = 0, e; a < n_ptq && !rc; a = e) {
        for (e = a; e < n_ptq && rows[e].model == rows[a].model;) e++;
        const study_model *s = &sm[rows[a].model];
        if (!have_ds || !l0_dataset_matches(&ds, &s->m)) {
            if (have_ds) l0_dataset_free(&ds);
            l0_dataset_init(&ds, &s->m);
            have_ds = true;
            if (l0_dataset_load(&ds, &s->m, o->qat_data, L0_SPLIT_AUTO, o->qat_max, err) ||
                l0_dataset_split(&ds, 0.2, o->qat_seed, err)) {
                rc = -1;
                break;
            }
            if (!o->quiet)
                printf("qat: %zu training and %zu validation clusters from %s\n", ds.n_train,
                       ds.n_val, o->qat_data);
        }
        /* the baseline: float fine-tuning, then PTQ at every point */
        l0_model ft;
        l0_train_cfg cfg;
        l0_train_result tres;
        if (l0_model_copy(&ft, &s->m, err)) {
            rc = -1;
            break;
        }
        qat_cfg(o, false, &cfg);
        double t0 = l0_now();
        rc = l0_train(&ft, &ds, &cfg, &tres, err);
        for (size_t k = a; k < e; k++) pts[k - a] = rows[k].pt;
        if (!rc) rc = l0_sweep_run(&ft, set, s->flt, pts, e - a, scfg, res, err);
        l0_model_free(&ft);
        if (rc) {
            l0_err_prefix(err, "float fine-tuning of %s: ", s->label);
            break;
        }
        if (!o->quiet)
            fprintf(stderr,
                    "float fine-tuning %s: %d epochs (best %d), val loss %.5g (from %.5g), "
                    "%.1f s\n",
                    s->label, tres.epochs_run, tres.best_epoch, tres.best_val_loss,
                    tres.initial_val_loss, l0_now() - t0);
        for (size_t k = a; k < e; k++) {
            sweep_row *row = &rows[(*n)++];
            *row = rows[k];
            row->curve = "ptq-ft";
            row->r = res[k - a];
            row->val_loss = tres.best_val_loss;
            row->epochs = tres.epochs_run;
        }
        /* QAT at every point */
        for (size_t k = a; k < e && !rc; k++) {
            l0_model q;
            if (l0_model_copy(&q, &s->m, err)) {
                rc = -1;
                break;
            }
            sweep_row *row = &rows[(*n)++];
            *row = rows[k];
            row->curve = "qat";
            memset(&row->r, 0, sizeof row->r);
            qat_cfg(o, true, &cfg);
            t0 = l0_now();
            rc = l0_sweep_point_apply(&q, &row->pt, &row->r.accum_clipped, err);
            if (!rc) rc = l0_train(&q, &ds, &cfg, &tres, err);
            if (!rc) rc = l0_eval_model(&q, set, s->flt, o->e_min, &row->r, NULL, work, err);
            if (!rc) {
                row->val_loss = tres.best_val_loss;
                row->epochs = tres.epochs_run;
                if (!o->quiet)
                    fprintf(stderr,
                            "qat %s W=%d: %d epochs (best %d), val loss %.5g (PTQ %.5g), MPE "
                            "%.4g %% (PTQ %.4g %%), %.1f s\n",
                            s->label, row->x, tres.epochs_run, tres.best_epoch, tres.best_val_loss,
                            tres.initial_val_loss, row->r.mpe, rows[k].r.mpe, l0_now() - t0);
            } else {
                l0_err_prefix(err, "qat %s W=%d: ", s->label, row->x);
            }
            l0_model_free(&q);
        }
    }
    if (have_ds) l0_dataset_free(&ds);
    free(work);
    free(pts);
    free(res);
    return rc;
}

/* Interleave PTQ and QAT rows per model: ptq rows of model A, qat rows of A, ptq of B... */
static void order_qat_rows(sweep_row *rows, size_t n_ptq, size_t n) {
    sweep_row *tmp = malloc(n * sizeof *tmp);
    if (!tmp) return;
    size_t k = 0;
    for (size_t a = 0; a < n_ptq;) {
        size_t e = a;
        while (e < n_ptq && rows[e].model == rows[a].model) e++;
        for (size_t j = a; j < e; j++) tmp[k++] = rows[j];
        for (size_t j = n_ptq; j < n; j++)
            if (rows[j].model == rows[a].model) tmp[k++] = rows[j];
        a = e;
    }
    memcpy(rows, tmp, k * sizeof *tmp);
    free(tmp);
}

int l0_cmd_sweep(int argc, char **argv) {
    static const char *CMD = "sweep";
    enum {
        O_MODEL = 256,
        O_DATA,
        O_KIND,
        O_CLUSTERS,
        O_WIDTH,
        O_INT,
        O_INT_RANGE,
        O_TOTAL_RANGE,
        O_WB_RANGE,
        O_KSUM_RANGE,
        O_QAT_RANGE,
        O_KSUM_EXTRA,
        O_KSUM_FRAC,
        O_KSUM_BASE,
        O_WB_INT,
        O_PRECISION,
        O_TRACE_CLUSTERS,
        O_E_MIN,
        O_QAT_DATA,
        O_QAT_EPOCHS,
        O_QAT_LR,
        O_QAT_MAX,
        O_QAT_SEED,
        O_THREADS,
    };
    static const struct option lo[] = {{"model", required_argument, 0, O_MODEL},
                                       {"data", required_argument, 0, O_DATA},
                                       {"kind", required_argument, 0, O_KIND},
                                       {"clusters", required_argument, 0, O_CLUSTERS},
                                       {"width", required_argument, 0, O_WIDTH},
                                       {"int", required_argument, 0, O_INT},
                                       {"int-range", required_argument, 0, O_INT_RANGE},
                                       {"total-range", required_argument, 0, O_TOTAL_RANGE},
                                       {"wb-range", required_argument, 0, O_WB_RANGE},
                                       {"ksum-range", required_argument, 0, O_KSUM_RANGE},
                                       {"qat-range", required_argument, 0, O_QAT_RANGE},
                                       {"ksum-extra", required_argument, 0, O_KSUM_EXTRA},
                                       {"ksum-frac", required_argument, 0, O_KSUM_FRAC},
                                       {"ksum-base", required_argument, 0, O_KSUM_BASE},
                                       {"wb-int", required_argument, 0, O_WB_INT},
                                       {"precision", required_argument, 0, O_PRECISION},
                                       {"trace-clusters", required_argument, 0, O_TRACE_CLUSTERS},
                                       {"e-min", required_argument, 0, O_E_MIN},
                                       {"qat-data", required_argument, 0, O_QAT_DATA},
                                       {"qat-epochs", required_argument, 0, O_QAT_EPOCHS},
                                       {"qat-lr", required_argument, 0, O_QAT_LR},
                                       {"qat-max-clusters", required_argument, 0, O_QAT_MAX},
                                       {"qat-seed", required_argument, 0, O_QAT_SEED},
                                       {"threads", required_argument, 0, O_THREADS},
                                       {"output", required_argument, 0, 'o'},
                                       {"quiet", no_argument, 0, 'q'},
                                       {"help", no_argument, 0, 'h'},
                                       {0, 0, 0, 0}};
    sweep_opts o = {.clusters = 10000,
                    .width = 16,
                    .ibits = 6,
                    .ksum_frac = 10,
                    .wb_int = -10000,
                    .trace_clusters = 2000,
                    .e_min = 10,
                    .qat_epochs = 5,
                    .qat_lr = 1e-4,
                    .qat_max = 20000,
                    .qat_seed = 1,
                    .threads = ncpu()};
    o.r[K_INT] = (range){1, 15, 1};
    o.r[K_TOTAL] = (range){8, 32, 2};
    o.r[K_WB] = (range){2, 20, 2};
    o.r[K_KSUM] = (range){1, 20, 1};
    o.r[K_QAT] = (range){8, 24, 2};
    bool int_range_set = false;
    o.kind[K_INT] = o.kind[K_TOTAL] = o.kind[K_WB] = o.kind[K_KSUM] = o.kind[K_LAYERS] = true;
    int c, rc;
    optind = 1;
    opterr = 0;
    while ((c = getopt_long(argc, argv, "o:qh", lo, NULL)) != -1) {
        const char *a = optarg;
        rc = 0;
        switch (c) {
        case O_MODEL:
            if (o.n_models >= MODELS_MAX)
                return l0_cli_usage(CMD, "at most %d --model options", MODELS_MAX);
            o.models[o.n_models++] = a;
            break;
        case O_DATA:
            o.data = a;
            break;
        case O_KIND:
            rc = parse_kinds(CMD, a, o.kind);
            break;
        case O_CLUSTERS:
            rc = size_opt(CMD, "--clusters", a, &o.clusters);
            break;
        case O_WIDTH:
            rc = int_opt(CMD, "--width", a, 1, 64, &o.width);
            break;
        case O_INT:
            rc = int_opt(CMD, "--int", a, -32, 64, &o.ibits);
            break;
        case O_INT_RANGE:
            rc = parse_range(CMD, "--int-range", a, &o.r[K_INT]);
            int_range_set = true;
            break;
        case O_TOTAL_RANGE:
            rc = parse_range(CMD, "--total-range", a, &o.r[K_TOTAL]);
            break;
        case O_WB_RANGE:
            rc = parse_range(CMD, "--wb-range", a, &o.r[K_WB]);
            break;
        case O_KSUM_RANGE:
            rc = parse_range(CMD, "--ksum-range", a, &o.r[K_KSUM]);
            break;
        case O_QAT_RANGE:
            rc = parse_range(CMD, "--qat-range", a, &o.r[K_QAT]);
            break;
        case O_KSUM_EXTRA:
            rc = int_opt(CMD, "--ksum-extra", a, 0, 32, &o.ksum_extra);
            break;
        case O_KSUM_FRAC:
            rc = int_opt(CMD, "--ksum-frac", a, -16, 40, &o.ksum_frac);
            break;
        case O_KSUM_BASE:
            if (!strcmp(a, "model"))
                o.ksum_base_model = true;
            else if (!strcmp(a, "generous"))
                o.ksum_base_model = false;
            else
                rc = l0_cli_usage(CMD, "--ksum-base '%s': use 'generous' or 'model'", a);
            break;
        case O_WB_INT:
            rc = int_opt(CMD, "--wb-int", a, -32, 64, &o.wb_int);
            break;
        case O_PRECISION:
            if (!strcmp(a, "model"))
                o.prec_w = 0;
            else
                rc = int_opt(CMD, "--precision", a, 1, 64, &o.prec_w);
            break;
        case O_TRACE_CLUSTERS:
            rc = size_opt(CMD, "--trace-clusters", a, &o.trace_clusters);
            break;
        case O_E_MIN:
            rc = dbl_opt(CMD, "--e-min", a, 0, 1e6, &o.e_min);
            break;
        case O_QAT_DATA:
            o.qat_data = a;
            break;
        case O_QAT_EPOCHS:
            rc = int_opt(CMD, "--qat-epochs", a, 1, 10000, &o.qat_epochs);
            break;
        case O_QAT_LR:
            rc = dbl_opt(CMD, "--qat-lr", a, 1e-12, 10, &o.qat_lr);
            break;
        case O_QAT_MAX:
            rc = size_opt(CMD, "--qat-max-clusters", a, &o.qat_max);
            break;
        case O_QAT_SEED:
            if (l0_parse_u64(a, &o.qat_seed))
                rc = l0_cli_usage(CMD, "--qat-seed '%s': not a non-negative integer", a);
            break;
        case O_THREADS:
            rc = int_opt(CMD, "--threads", a, 1, 64, &o.threads);
            break;
        case 'o':
            o.dir = a;
            break;
        case 'q':
            o.quiet = true;
            break;
        case 'h':
            fputs(SWEEP_HELP, stdout);
            return L0_EXIT_OK;
        default:
            return l0_cli_bad_option(CMD, c, argv);
        }
        if (rc) return rc;
    }
    if (optind < argc) return l0_cli_usage(CMD, "unexpected argument '%s'", argv[optind]);
    if (!o.n_models) return l0_cli_usage(CMD, "no model: give --model M (repeat for several)");
    if (!o.data) return l0_cli_usage(CMD, "no data: give --data FILE");
    if (!o.dir) return l0_cli_usage(CMD, "no output directory: give -o DIR");
    if (o.kind[K_QAT] && !o.qat_data)
        return l0_cli_usage(CMD, "--kind qat needs --qat-data FILE (a singles file to train on)");
    if (!int_range_set) o.r[K_INT] = (range){1, o.width - 1 > 1 ? o.width - 1 : 1, 1};

    l0_err err;
    int exit_code = L0_EXIT_USAGE;
    study_model sm[MODELS_MAX];
    int loaded = 0;
    memset(sm, 0, sizeof sm);
    l0_clset set;
    l0_clset_init(&set);
    sweep_row *rows = NULL;
    l0_sweep_point *pts = NULL;
    l0_point_result *res = NULL;
    int cells_max = 1;
    for (int i = 0; i < o.n_models; i++) {
        study_model *s = &sm[i];
        s->path = o.models[i];
        if (l0_model_load(s->path, &s->m, &err)) goto fail;
        loaded++;
        model_label(s->path, s->label, sizeof s->label);
        for (int j = 0; j < i; j++)
            if (!strcmp(sm[j].label, s->label)) {
                char l2[64];
                snprintf(l2, sizeof l2, "%.55s-%d", s->label, i + 1);
                memcpy(s->label, l2, sizeof l2);
            }
        arch_str(&s->m, s->arch, sizeof s->arch);
        s->params = n_params(&s->m);
        if (s->m.cells_max > cells_max) cells_max = s->m.cells_max;
    }
    double t0 = l0_now();
    if (l0_clset_load(&set, o.data, o.clusters, false, cells_max, &err)) goto fail;
    if (set.n == 0) {
        l0_err_set(&err, "%s: no cluster in %llu records", o.data, (unsigned long long)set.records);
        goto fail;
    }
    for (int i = 0; i < o.n_models; i++) {
        sm[i].flt = malloc(set.n * sizeof *sm[i].flt);
        if (!sm[i].flt) {
            l0_err_set(&err, "out of memory");
            goto fail;
        }
        l0_predict_float(&sm[i].m, &set, sm[i].flt);
    }
    if (!o.quiet)
        printf("sweep: %zu clusters (%zu cells) of %s read in %.2f s; %d model%s\n", set.n,
               set.n_cells, o.data, l0_now() - t0, o.n_models, o.n_models > 1 ? "s" : "");
    if (l0_mkdir_p(o.dir, &err)) goto fail;
    rows = malloc(2 * POINTS_MAX * sizeof *rows);
    pts = malloc(POINTS_MAX * sizeof *pts);
    res = malloc(POINTS_MAX * sizeof *res);
    if (!rows || !pts || !res) {
        l0_err_set(&err, "out of memory");
        goto fail;
    }
    l0_sweep_cfg cfg = {.threads = o.threads, .progress = !o.quiet, .e_min = o.e_min};
    for (int kind = 0; kind < N_KINDS; kind++) {
        if (!o.kind[kind]) continue;
        if (kind == K_LAYERS) {
            if (run_layers(&o, sm, &set, &err)) goto fail;
            continue;
        }
        size_t n = 0;
        double tk = l0_now();
        for (int mi = 0; mi < o.n_models; mi++) {
            size_t first = n;
            if (kind_points(kind, &o, &sm[mi], mi, rows, &n, &err)) goto fail;
            for (size_t k = first; k < n; k++) pts[k - first] = rows[k].pt;
            if (l0_sweep_run(&sm[mi].m, &set, sm[mi].flt, pts, n - first, &cfg, res, &err)) {
                l0_err_prefix(&err, "%s: %s sweep: ", sm[mi].label, KIND_NAMES[kind]);
                goto fail;
            }
            for (size_t k = first; k < n; k++) rows[k].r = res[k - first];
        }
        size_t n_ptq = n;
        for (size_t k = 0; k < n && kind == K_QAT; k++) rows[k].curve = "ptq";
        if (kind == K_QAT) {
            if (run_qat(&o, sm, &set, &cfg, rows, n_ptq, &n, &err)) goto fail;
            order_qat_rows(rows, n_ptq, n);
        }
        char path[4096];
        snprintf(path, sizeof path, "%s/sweep_%s.csv", o.dir, KIND_NAMES[kind]);
        if (write_sweep_csv(path, kind, sm, rows, n, &err)) goto fail;
        snprintf(path, sizeof path, "%s/sweep_%s.png", o.dir, KIND_NAMES[kind]);
        if (plot_sweep(path, kind, &o, sm, rows, n, &err)) goto fail;
        if (!o.quiet) {
            print_sweep(kind, sm, rows, n, &o);
            printf("  (%zu points in %.2f s)\n", n, l0_now() - tk);
        }
    }
    if (!o.quiet) printf("\nwrote the tables and plots in %s\n", o.dir);
    exit_code = L0_EXIT_OK;
    goto done;
fail:
    l0_cli_error(CMD, "%s", err.msg);
done:
    for (int i = 0; i < loaded; i++) {
        l0_model_free(&sm[i].m);
        free(sm[i].flt);
    }
    free(rows);
    free(pts);
    free(res);
    l0_clset_free(&set);
    return exit_code;
}
