/* l0sim stim: summarise a stimulus file (info) and export it for Python users (export).
 *
 * Both read the file one record at a time. export makes two passes: the first validates the whole
 * file and counts its clusters, so that bad input fails before any output exists, and so that
 * every array's shape is known before writing; the second streams each value straight to its
 * place in the .npz (l0_npz) and the CSV files. Reading twice costs less than spooling every
 * array to a temporary and copying it into the archive, which would write the output twice. */
#include <cjson/cJSON.h>
#include <getopt.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "l0_cli.h"
#include "l0_npy.h"
#include "l0_ofile.h"
#include "l0_progress.h"
#include "l0_stimfile.h"

int l0_cmd_stim(int argc, char **argv); /* declared in sim/l0_cmds.h */

static const char *const STIM_HELP =
    "usage: l0sim stim info [--json] FILE\n"
    "       l0sim stim export FILE -o PREFIX [--format npz|csv|both] [--cells C]\n"
    "\n"
    "Inspect and convert stimulus files (the format is described in docs/stimulus-format.md).\n"
    "\n"
    "  info     summarise a file: kind, generator options, records, clusters per crossing,\n"
    "           cells per cluster, energy ranges, truth-matched and truncated clusters.\n"
    "  export   write the clusters as NumPy .npz and/or CSV, readable with numpy alone.\n"
    "\n"
    "A corrupt, truncated or wrong-version file is an input error (exit status 2), reported\n"
    "with the file and the byte offset. 'l0sim stim info --help' and 'l0sim stim export --help'\n"
    "give each subcommand's options.\n";

static const char *const INFO_HELP =
    "usage: l0sim stim info [--json] FILE\n"
    "\n"
    "Read a stimulus file from start to end (checking every block) and summarise it:\n"
    "kind, format version, generator options, records, filled crossings, clusters per filled\n"
    "crossing (per record for a singles file), cells per cluster, the cluster E and Et\n"
    "ranges (GeV, finite values; non-finite ones are counted), truth-matched clusters\n"
    "(truth_e > 0) and truncated clusters (more cells than were kept: n_cells_total >\n"
    "n_cells).\n"
    "\n"
    "  --json      print one JSON object instead of the table\n"
    "  -h, --help\n"
    "\n"
    "exit status: 0, or 2 for a usage error or a bad file (named with the byte offset).\n";

static const char *const EXPORT_HELP =
    "usage: l0sim stim export FILE -o PREFIX [--format npz|csv|both] [--cells C]\n"
    "\n"
    "Write the clusters of a stimulus file for Python users:\n"
    "  PREFIX.npz            (np.load(PREFIX + '.npz')) with, for N clusters and R records:\n"
    "    cells            float32 (N, C, 5): e, eta, phi, layer, sigma of each cell,\n"
    "                     most energetic first, zero-padded after n_cells\n"
    "    n_cells          int32 (N): valid rows of cells (at most C)\n"
    "    n_cells_total    int32 (N): cells of the cluster before any truncation\n"
    "    cluster_e, cluster_et, cluster_eta, cluster_phi, truth_e   float32 (N)\n"
    "    truth_pdg        int32 (N): 0 for clusters without a matched particle\n"
    "    event            int64 (N): index of the cluster's record\n"
    "    bx, orbit        uint16, uint32 (N): the cluster's bunch crossing\n"
    "    event_orbit, event_bx, event_filled, event_n_hard, event_n_clusters,\n"
    "    event_first_cluster   (R): every record, empty crossings included\n"
    "    kind, options, version: the file's header\n"
    "  PREFIX_clusters.csv   one row per cluster (with its index, record, orbit, bx)\n"
    "  PREFIX_cells.csv      one row per cell (with its cluster index)\n"
    "\n"
    "  -o, --output PREFIX   output path prefix (required)\n"
    "  --format F            npz (default), csv or both\n"
    "  --cells C             pad cells to C (1..128); default: the most cells of any\n"
    "                        cluster in the file. Clusters with more keep their first C.\n"
    "  -h, --help\n"
    "\n"
    "FILE must be a regular file: a first pass checks it and sizes the arrays, a second\n"
    "streams the values out. Outputs appear whole or not at all. exit status: 0, or 2 for a usage "
    "error or a bad\n"
    "file (named with the byte offset).\n";

/* ---- one pass over a file ---- */

typedef struct stim_stats {
    char kind[40];
    uint32_t version;
    char *options;
    uint64_t records, filled, hard;
    uint64_t counted;          /* records counted for clusters per crossing */
    uint64_t counted_clusters; /* clusters in them */
    uint64_t cpc_min, cpc_max; /* clusters per counted record */
    uint64_t clusters, cells, cells_total;
    uint32_t cells_max, cells_total_max;
    uint64_t ranged; /* clusters with finite e and et, which the ranges cover */
    double e_min, e_max, et_min, et_max;
    uint64_t truth, truncated;
    uint32_t orbit_min, orbit_max;
} stim_stats;

static void stats_free(stim_stats *s) {
    free(s->options);
}

static int stats_read(const char *path, const char *label, stim_stats *s, l0_err *err) {
    memset(s, 0, sizeof *s);
    l0_stim_reader *r = l0_stim_reader_open(path, err);
    if (!r) return -1;
    snprintf(s->kind, sizeof s->kind, "%s", l0_stim_reader_kind(r));
    s->version = l0_stim_reader_version(r);
    if (!(s->options = strdup(l0_stim_reader_options(r)))) {
        l0_stim_reader_close(r);
        return l0_err_set(err, "%s: out of memory", path);
    }
    int singles = !strcmp(s->kind, L0_STIM_KIND_SINGLES);
    l0_progress prog;
    l0_progress_start(&prog, label, 0);
    l0_event ev;
    int rc;
    while ((rc = l0_stim_reader_next(r, &ev, err)) == 1) {
        if (s->records == 0 || ev.orbit < s->orbit_min) s->orbit_min = ev.orbit;
        if (s->records == 0 || ev.orbit > s->orbit_max) s->orbit_max = ev.orbit;
        s->records++;
        s->filled += ev.filled;
        s->hard += ev.n_hard;
        if (singles || ev.filled) {
            if (s->counted == 0 || ev.n_clusters < s->cpc_min) s->cpc_min = ev.n_clusters;
            if (ev.n_clusters > s->cpc_max) s->cpc_max = ev.n_clusters;
            s->counted++;
            s->counted_clusters += ev.n_clusters;
        }
        for (uint32_t i = 0; i < ev.n_clusters; i++) {
            const l0_cluster *c = &ev.clusters[i];
            /* A NaN or infinity is a generator bug to report, not a range to print. */
            if (isfinite(c->e) && isfinite(c->et)) {
                if (s->ranged == 0 || c->e < s->e_min) s->e_min = c->e;
                if (s->ranged == 0 || c->e > s->e_max) s->e_max = c->e;
                if (s->ranged == 0 || c->et < s->et_min) s->et_min = c->et;
                if (s->ranged == 0 || c->et > s->et_max) s->et_max = c->et;
                s->ranged++;
            }
            s->clusters++;
            s->cells += c->n_cells;
            s->cells_total += c->n_cells_total;
            if (c->n_cells > s->cells_max) s->cells_max = c->n_cells;
            if (c->n_cells_total > s->cells_total_max) s->cells_total_max = c->n_cells_total;
            s->truth += c->truth_e > 0;
            s->truncated += c->n_cells_total > c->n_cells;
        }
        l0_progress_update(&prog, s->records);
    }
    l0_progress_end(&prog, s->records);
    l0_stim_reader_close(r);
    if (rc < 0) {
        stats_free(s);
        return -1;
    }
    return 0;
}

/* ---- info ---- */

static void json_range(cJSON *o, const char *key, int have, double lo, double hi) {
    if (!have) {
        cJSON_AddNullToObject(o, key);
        return;
    }
    cJSON *r = cJSON_AddObjectToObject(o, key);
    cJSON_AddNumberToObject(r, "min", lo);
    cJSON_AddNumberToObject(r, "max", hi);
}

static int info_json(const char *path, const stim_stats *s) {
    cJSON *o = cJSON_CreateObject();
    cJSON_AddStringToObject(o, "file", path);
    cJSON_AddStringToObject(o, "kind", s->kind);
    cJSON_AddNumberToObject(o, "version", s->version);
    cJSON *opt = cJSON_Parse(s->options); /* the reader checked it is an object */
    if (opt)
        cJSON_AddItemToObject(o, "options", opt);
    else
        cJSON_AddNullToObject(o, "options");
    cJSON_AddNumberToObject(o, "records", (double)s->records);
    cJSON_AddNumberToObject(o, "filled", (double)s->filled);
    cJSON_AddNumberToObject(o, "empty", (double)(s->records - s->filled));
    cJSON_AddNumberToObject(o, "hard_particles", (double)s->hard);
    if (s->records)
        json_range(o, "orbit", 1, s->orbit_min, s->orbit_max);
    else
        cJSON_AddNullToObject(o, "orbit");
    cJSON_AddNumberToObject(o, "clusters", (double)s->clusters);
    if (s->counted) {
        cJSON *c = cJSON_AddObjectToObject(o, "clusters_per_crossing");
        cJSON_AddNumberToObject(c, "mean", (double)s->counted_clusters / (double)s->counted);
        cJSON_AddNumberToObject(c, "min", (double)s->cpc_min);
        cJSON_AddNumberToObject(c, "max", (double)s->cpc_max);
        cJSON_AddNumberToObject(c, "records_counted", (double)s->counted);
    } else {
        cJSON_AddNullToObject(o, "clusters_per_crossing");
    }
    if (s->clusters) {
        cJSON *c = cJSON_AddObjectToObject(o, "cells_per_cluster");
        cJSON_AddNumberToObject(c, "mean", (double)s->cells / (double)s->clusters);
        cJSON_AddNumberToObject(c, "max", s->cells_max);
        c = cJSON_AddObjectToObject(o, "cells_total_per_cluster");
        cJSON_AddNumberToObject(c, "mean", (double)s->cells_total / (double)s->clusters);
        cJSON_AddNumberToObject(c, "max", s->cells_total_max);
    } else {
        cJSON_AddNullToObject(o, "cells_per_cluster");
        cJSON_AddNullToObject(o, "cells_total_per_cluster");
    }
    json_range(o, "cluster_e", s->ranged > 0, s->e_min, s->e_max);
    json_range(o, "cluster_et", s->ranged > 0, s->et_min, s->et_max);
    cJSON_AddNumberToObject(o, "nonfinite", (double)(s->clusters - s->ranged));
    cJSON_AddNumberToObject(o, "truth_matched", (double)s->truth);
    cJSON_AddNumberToObject(o, "truncated", (double)s->truncated);
    char *text = cJSON_Print(o);
    cJSON_Delete(o);
    if (!text) return l0_cli_error("stim info", "out of memory");
    puts(text);
    cJSON_free(text);
    return L0_EXIT_OK;
}

static void info_text(const char *path, const stim_stats *s) {
    int singles = !strcmp(s->kind, L0_STIM_KIND_SINGLES);
    printf("file                %s\n", path);
    printf("kind                %s (format version %u)\n", s->kind, s->version);
    printf("generator options   %s\n", s->options);
    printf("records             %llu (%llu filled crossings, %llu empty)\n",
           (unsigned long long)s->records, (unsigned long long)s->filled,
           (unsigned long long)(s->records - s->filled));
    if (s->records) printf("orbits              %u .. %u\n", s->orbit_min, s->orbit_max);
    printf("hard particles      %llu\n", (unsigned long long)s->hard);
    printf("clusters            %llu\n", (unsigned long long)s->clusters);
    if (s->counted)
        printf("clusters per %-7s mean %.3f, min %llu, max %llu\n", singles ? "record" : "crossing",
               (double)s->counted_clusters / (double)s->counted, (unsigned long long)s->cpc_min,
               (unsigned long long)s->cpc_max);
    if (s->clusters) {
        printf("cells per cluster   mean %.3f, max %u (before truncation: mean %.3f, max %u)\n",
               (double)s->cells / (double)s->clusters, s->cells_max,
               (double)s->cells_total / (double)s->clusters, s->cells_total_max);
    }
    if (s->ranged) {
        printf("cluster E           %.6g .. %.6g GeV\n", s->e_min, s->e_max);
        printf("cluster Et          %.6g .. %.6g GeV\n", s->et_min, s->et_max);
    }
    if (s->clusters > s->ranged)
        printf("non-finite E or Et  %llu clusters (not in the ranges above)\n",
               (unsigned long long)(s->clusters - s->ranged));
    printf("truth-matched       %llu clusters\n", (unsigned long long)s->truth);
    printf("truncated           %llu clusters (n_cells_total > n_cells)\n",
           (unsigned long long)s->truncated);
}

static int stim_info(int argc, char **argv) {
    static const struct option opts[] = {
        {"json", no_argument, 0, 'j'}, {"help", no_argument, 0, 'h'}, {0, 0, 0, 0}};
    int json = 0, c;
    opterr = 0;
    optind = 1;
    while ((c = getopt_long(argc, argv, "h", opts, NULL)) != -1) {
        switch (c) {
        case 'j':
            json = 1;
            break;
        case 'h':
            fputs(INFO_HELP, stdout);
            return L0_EXIT_OK;
        default:
            return l0_cli_bad_option("stim info", c, argv);
        }
    }
    if (argc - optind != 1) return l0_cli_usage("stim info", "needs exactly one FILE");
    const char *path = argv[optind];
    stim_stats s;
    l0_err err;
    if (stats_read(path, "stim info", &s, &err)) return l0_cli_error("stim info", "%s", err.msg);
    int rc = L0_EXIT_OK;
    if (json)
        rc = info_json(path, &s);
    else
        info_text(path, &s);
    stats_free(&s);
    return rc;
}

/* ---- export ---- */

enum {
    A_CELLS,
    A_NCELLS,
    A_NTOTAL,
    A_E,
    A_ET,
    A_ETA,
    A_PHI,
    A_TRUTH_E,
    A_TRUTH_PDG,
    A_EVENT,
    A_BX,
    A_ORBIT,
    A_EV_ORBIT,
    A_EV_BX,
    A_EV_FILLED,
    A_EV_NHARD,
    A_EV_NCL,
    A_EV_FIRST,
    A_COUNT
};

typedef struct export_out {
    l0_npz *npz;
    int idx[A_COUNT];
    l0_ofile *csv_cl, *csv_cells;
} export_out;

static void export_abort(export_out *o) {
    l0_npz_abort(o->npz);
    l0_ofile_abort(o->csv_cl);
    l0_ofile_abort(o->csv_cells);
    memset(o, 0, sizeof *o);
}

static char *path_join(const char *prefix, const char *suffix) {
    size_t n = strlen(prefix) + strlen(suffix) + 1;
    char *p = malloc(n);
    if (p) snprintf(p, n, "%s%s", prefix, suffix);
    return p;
}

static int export_npz_open(export_out *o, const char *path, const stim_stats *s, uint64_t cells,
                           l0_err *err) {
    static const struct {
        const char *name, *dtype;
        int per_record;
    } A[A_COUNT] = {
        [A_NCELLS] = {"n_cells", L0_NPY_I4, 0},
        [A_NTOTAL] = {"n_cells_total", L0_NPY_I4, 0},
        [A_E] = {"cluster_e", L0_NPY_F4, 0},
        [A_ET] = {"cluster_et", L0_NPY_F4, 0},
        [A_ETA] = {"cluster_eta", L0_NPY_F4, 0},
        [A_PHI] = {"cluster_phi", L0_NPY_F4, 0},
        [A_TRUTH_E] = {"truth_e", L0_NPY_F4, 0},
        [A_TRUTH_PDG] = {"truth_pdg", L0_NPY_I4, 0},
        [A_EVENT] = {"event", L0_NPY_I8, 0},
        [A_BX] = {"bx", L0_NPY_U2, 0},
        [A_ORBIT] = {"orbit", L0_NPY_U4, 0},
        [A_EV_ORBIT] = {"event_orbit", L0_NPY_U4, 1},
        [A_EV_BX] = {"event_bx", L0_NPY_U2, 1},
        [A_EV_FILLED] = {"event_filled", L0_NPY_U1, 1},
        [A_EV_NHARD] = {"event_n_hard", L0_NPY_U1, 1},
        [A_EV_NCL] = {"event_n_clusters", L0_NPY_U4, 1},
        [A_EV_FIRST] = {"event_first_cluster", L0_NPY_I8, 1},
    };
    if (!(o->npz = l0_npz_open(path, err))) return -1;
    uint64_t shape[3] = {s->clusters, cells, 5};
    if ((o->idx[A_CELLS] = l0_npz_add(o->npz, "cells", L0_NPY_F4, 3, shape, err)) < 0) return -1;
    for (int a = A_CELLS + 1; a < A_COUNT; a++) {
        uint64_t n = A[a].per_record ? s->records : s->clusters;
        if ((o->idx[a] = l0_npz_add(o->npz, A[a].name, A[a].dtype, 1, &n, err)) < 0) return -1;
    }
    /* The header, as byte strings: np.load(...)['options'].item().decode(). */
    char dt[32];
    uint32_t version = s->version;
    snprintf(dt, sizeof dt, "|S%zu", strlen(s->kind));
    if (l0_npz_put(o->npz, "kind", dt, 0, NULL, s->kind, err)) return -1;
    snprintf(dt, sizeof dt, "|S%zu", strlen(s->options));
    if (l0_npz_put(o->npz, "options", dt, 0, NULL, s->options, err)) return -1;
    return l0_npz_put(o->npz, "version", L0_NPY_U4, 0, NULL, &version, err);
}

/* Append one record to every output. */
static int export_record(export_out *o, const l0_event *ev, uint64_t rec, uint64_t first,
                         uint32_t cells, float *row, FILE *fcl, FILE *fce, l0_err *err) {
    for (uint32_t i = 0; i < ev->n_clusters; i++) {
        const l0_cluster *c = &ev->clusters[i];
        uint64_t ci = first + i;
        if (fcl)
            fprintf(fcl, "%llu,%llu,%u,%u,%.9g,%.9g,%.9g,%.9g,%.9g,%d,%u,%u\n",
                    (unsigned long long)ci, (unsigned long long)rec, ev->orbit, ev->bx, c->e, c->et,
                    c->eta, c->phi, c->truth_e, c->truth_pdg, c->n_cells, c->n_cells_total);
        if (fce)
            for (uint16_t k = 0; k < c->n_cells; k++) {
                const l0_cell *x = &c->cells[k];
                fprintf(fce, "%llu,%u,%.9g,%.9g,%.9g,%u,%.9g\n", (unsigned long long)ci, k, x->e,
                        x->eta, x->phi, x->layer, x->sigma);
            }
        if (!o->npz) continue;
        uint32_t kept = c->n_cells < cells ? c->n_cells : cells;
        memset(row, 0, sizeof(float) * 5 * cells);
        for (uint32_t k = 0; k < kept; k++) {
            const l0_cell *x = &c->cells[k];
            float *r = row + 5 * k;
            r[0] = x->e;
            r[1] = x->eta;
            r[2] = x->phi;
            r[3] = (float)x->layer;
            r[4] = x->sigma;
        }
        int32_t nk = (int32_t)kept, nt = c->n_cells_total, pdg = c->truth_pdg;
        int64_t evi = (int64_t)rec;
        uint16_t bx = ev->bx;
        uint32_t orbit = ev->orbit;
        l0_npz *z = o->npz;
        const int *x = o->idx;
        if (l0_npz_append(z, x[A_CELLS], row, 5 * (uint64_t)cells, err) ||
            l0_npz_append(z, x[A_NCELLS], &nk, 1, err) ||
            l0_npz_append(z, x[A_NTOTAL], &nt, 1, err) || l0_npz_append(z, x[A_E], &c->e, 1, err) ||
            l0_npz_append(z, x[A_ET], &c->et, 1, err) ||
            l0_npz_append(z, x[A_ETA], &c->eta, 1, err) ||
            l0_npz_append(z, x[A_PHI], &c->phi, 1, err) ||
            l0_npz_append(z, x[A_TRUTH_E], &c->truth_e, 1, err) ||
            l0_npz_append(z, x[A_TRUTH_PDG], &pdg, 1, err) ||
            l0_npz_append(z, x[A_EVENT], &evi, 1, err) || l0_npz_append(z, x[A_BX], &bx, 1, err) ||
            l0_npz_append(z, x[A_ORBIT], &orbit, 1, err))
            return -1;
    }
    if (!o->npz) return 0;
    int64_t f = (int64_t)first;
    const int *x = o->idx;
    if (l0_npz_append(o->npz, x[A_EV_ORBIT], &ev->orbit, 1, err) ||
        l0_npz_append(o->npz, x[A_EV_BX], &ev->bx, 1, err) ||
        l0_npz_append(o->npz, x[A_EV_FILLED], &ev->filled, 1, err) ||
        l0_npz_append(o->npz, x[A_EV_NHARD], &ev->n_hard, 1, err) ||
        l0_npz_append(o->npz, x[A_EV_NCL], &ev->n_clusters, 1, err) ||
        l0_npz_append(o->npz, x[A_EV_FIRST], &f, 1, err))
        return -1;
    return 0;
}

static int stim_export(int argc, char **argv) {
    static const struct option opts[] = {{"output", required_argument, 0, 'o'},
                                         {"format", required_argument, 0, 'f'},
                                         {"cells", required_argument, 0, 'c'},
                                         {"help", no_argument, 0, 'h'},
                                         {0, 0, 0, 0}};
    const char *cmd = "stim export", *prefix = NULL;
    int want_npz = 1, want_csv = 0, c;
    int64_t cells_opt = 0;
    opterr = 0;
    optind = 1;
    while ((c = getopt_long(argc, argv, ":o:h", opts, NULL)) != -1) {
        switch (c) {
        case 'o':
            prefix = optarg;
            break;
        case 'f':
            if (strcmp(optarg, "npz") && strcmp(optarg, "csv") && strcmp(optarg, "both"))
                return l0_cli_usage(cmd, "bad --format '%s': expected npz, csv or both", optarg);
            want_npz = strcmp(optarg, "csv") != 0;
            want_csv = strcmp(optarg, "npz") != 0;
            break;
        case 'c':
            if (l0_parse_i64(optarg, 1, L0_CELLS_MAX, &cells_opt))
                return l0_cli_usage(cmd, "bad --cells '%s': expected an integer from 1 to %d",
                                    optarg, L0_CELLS_MAX);
            break;
        case 'h':
            fputs(EXPORT_HELP, stdout);
            return L0_EXIT_OK;
        default:
            return l0_cli_bad_option(cmd, c, argv);
        }
    }
    if (argc - optind != 1) return l0_cli_usage(cmd, "needs exactly one FILE");
    if (!prefix || !*prefix) return l0_cli_usage(cmd, "needs an output prefix: -o PREFIX");
    const char *path = argv[optind];
    struct stat st;
    if (stat(path, &st) == 0 && !S_ISREG(st.st_mode))
        return l0_cli_error(cmd, "%s: not a regular file (export reads its input twice)", path);

    /* Pass 1: validate the whole file and size the arrays. */
    stim_stats s;
    l0_err err;
    if (stats_read(path, "stim export (checking)", &s, &err))
        return l0_cli_error(cmd, "%s", err.msg);
    uint32_t cells = cells_opt ? (uint32_t)cells_opt : (s.cells_max ? s.cells_max : 1);

    char *p_npz = path_join(prefix, ".npz"), *p_cl = path_join(prefix, "_clusters.csv"),
         *p_ce = path_join(prefix, "_cells.csv");
    float *row = malloc(sizeof(float) * 5 * cells);
    export_out o;
    memset(&o, 0, sizeof o);
    l0_stim_reader *r = NULL;
    int rc = L0_EXIT_USAGE;
    if (!p_npz || !p_cl || !p_ce || !row) {
        l0_err_set(&err, "out of memory");
        goto done;
    }
    if (want_npz && export_npz_open(&o, p_npz, &s, cells, &err)) goto done;
    if (want_csv) {
        if (!(o.csv_cl = l0_ofile_open(p_cl, &err)) || !(o.csv_cells = l0_ofile_open(p_ce, &err)))
            goto done;
        fputs("cluster,event,orbit,bx,e,et,eta,phi,truth_e,truth_pdg,n_cells,n_cells_total\n",
              l0_ofile_fp(o.csv_cl));
        fputs("cluster,cell,e,eta,phi,layer,sigma\n", l0_ofile_fp(o.csv_cells));
    }

    /* Pass 2: stream every record to the outputs. */
    if (!(r = l0_stim_reader_open(path, &err))) goto done;
    l0_progress prog;
    l0_progress_start(&prog, "stim export", s.records);
    l0_event ev;
    uint64_t first = 0, rec = 0;
    int n;
    while ((n = l0_stim_reader_next(r, &ev, &err)) == 1) {
        if (rec >= s.records || first + ev.n_clusters > s.clusters) {
            l0_err_set(&err, "%s: the file changed while it was being exported", path);
            goto done;
        }
        if (export_record(&o, &ev, rec, first, cells, row, o.csv_cl ? l0_ofile_fp(o.csv_cl) : NULL,
                          o.csv_cells ? l0_ofile_fp(o.csv_cells) : NULL, &err))
            goto done;
        first += ev.n_clusters;
        rec++;
        l0_progress_update(&prog, rec);
    }
    l0_progress_end(&prog, rec);
    if (n < 0) goto done;
    if (rec != s.records || first != s.clusters) {
        l0_err_set(&err, "%s: the file changed while it was being exported", path);
        goto done;
    }
    if (o.npz) {
        l0_npz *z = o.npz;
        o.npz = NULL;
        if (l0_npz_close(z, &err)) goto done;
    }
    if (o.csv_cl) {
        l0_ofile *f = o.csv_cl;
        o.csv_cl = NULL;
        if (l0_ofile_commit(f, &err)) goto done;
    }
    if (o.csv_cells) {
        l0_ofile *f = o.csv_cells;
        o.csv_cells = NULL;
        if (l0_ofile_commit(f, &err)) goto done;
    }
    if (want_npz)
        printf("wrote %s: %llu clusters x %u cells, %llu records\n", p_npz,
               (unsigned long long)s.clusters, cells, (unsigned long long)s.records);
    if (want_csv)
        printf("wrote %s and %s: %llu clusters, %llu cells\n", p_cl, p_ce,
               (unsigned long long)s.clusters, (unsigned long long)s.cells);
    if (s.cells_max > cells)
        printf("note: clusters with more than %u cells keep their %u most energetic in the .npz "
               "(n_cells says how many)\n",
               cells, cells);
    rc = L0_EXIT_OK;
done:
    if (rc != L0_EXIT_OK) {
        export_abort(&o);
        l0_cli_error(cmd, "%s", err.msg);
    }
    l0_stim_reader_close(r);
    free(row);
    free(p_npz);
    free(p_cl);
    free(p_ce);
    stats_free(&s);
    return rc;
}

int l0_cmd_stim(int argc, char **argv) {
    if (argc < 2) return l0_cli_usage("stim", "needs a subcommand: info or export");
    const char *sub = argv[1];
    if (!strcmp(sub, "--help") || !strcmp(sub, "-h") || !strcmp(sub, "help")) {
        fputs(STIM_HELP, stdout);
        return L0_EXIT_OK;
    }
    if (!strcmp(sub, "info")) return stim_info(argc - 1, argv + 1);
    if (!strcmp(sub, "export")) return stim_export(argc - 1, argv + 1);
    if (sub[0] == '-') return l0_cli_usage("stim", "unknown option '%s'", sub);
    return l0_cli_usage("stim", "unknown subcommand '%s' (expected info or export)", sub);
}
