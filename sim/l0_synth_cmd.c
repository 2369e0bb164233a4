/* l0sim synth: synthesize the engine for a model with Yosys (synth_xilinx) and report its
 * resources and latency. */
#include <getopt.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "l0_cli.h"
#include "l0_eval.h"
#include "l0_plot.h"
#include "l0_ofile.h"
#include "l0_progress.h"
#include "l0_rtl.h"

int l0_cmd_synth(int argc, char **argv); /* declared in sim/l0_cmds.h */

#define FABRIC_MHZ (6 * 40.0789) /* 240.4734 MHz: 6 clocks per bunch crossing, as l0sim run */

static const char *const HELP =
    "usage: l0sim synth --model MODEL.json[,MODEL2.json...] [-o DIR] [--lanes L[,L...]]\n"
    "                   [--arch mult|cmvm[,...]] [--reg-every R] [--data SINGLES.l0s]\n"
    "                   [--max-clocks N] [--family xcup|xcu|xc7] [--json]\n"
    "\n"
    "Synthesize the DeepSets engine with Yosys (synth_xilinx, flattened) and report LUTs,\n"
    "flip-flops, DSPs, carry chains and block RAM, the pipeline depth, the latency of a 32-cell\n"
    "cluster in clocks and in ns at the 240.4734 MHz fabric clock, and an fmax estimate from the\n"
    "longest path between registers (Yosys ltp over LUT and carry cells: 0.45 ns a LUT with its\n"
    "routing, 0.08 ns a carry hop, 0.6 ns clock-to-out and setup, UltraScale+ rules of thumb,\n"
    "not a timing analysis). Yosys's counts\n"
    "are estimates before place and route, good for comparing designs. Synthesis takes minutes.\n"
    "\n"
    "Several models (precision variants), lanes and architectures make a sweep over every\n"
    "combination: DIR/synth.csv, DIR/synth.json and DIR/pareto.png (latency against LUTs, each\n"
    "point coloured by the model's resolution IQR/median when --data is given); the variants\n"
    "on the Pareto front (no other variant has both fewer LUTs and a lower latency) are marked.\n"
    "\n"
    "  --model FILES     model files, comma-separated\n"
    "  -o, --out DIR     where the generated Verilog, Yosys scripts, logs and reports go\n"
    "                    (default synth/)\n"
    "  --lanes LIST      cells per clock, 1..64 (default 2; cmvm: divisors of cells_max)\n"
    "  --arch LIST       mult (a multiplier per weight, default) and/or cmvm (multiplier-free)\n"
    "  --reg-every R     a pipeline register every R adder levels (default 2)\n"
    "  --data FILE       singles clusters: the resolution IQR/median of each model's fixed-point\n"
    "                    calibration (truth-matched clusters above 10 GeV)\n"
    "  --max-clocks N    refuse (exit 2) a variant whose 32-cell latency exceeds N clocks\n"
    "  --family F        synth_xilinx family: xcup (UltraScale+, default), xcu, xc7\n"
    "  --json            print the report as JSON too (it is always written to DIR/synth.json)\n"
    "  -h, --help\n";

static const char *const RTL_FILES[] = {"l0_engine.v",     "l0_ksum.v",   "l0_dense.v",
                                        "l0_adder_tree.v", "l0_recast.v", "l0_pipe.v"};

typedef struct synth_counts {
    long lut, ff, dsp, carry, bram, srl, cells, ltp;
    long ltp_lut, ltp_carry; /* of the longest path's cells: LUT (and MUXF) and carry hops */
} synth_counts;

/* Sum Yosys's `stat` cell lines into the kinds people budget by. */
static int parse_stat(const char *path, synth_counts *c) {
    FILE *f = fopen(path, "r");
    if (!f) return -1;
    char line[512];
    memset(c, 0, sizeof *c);
    c->ltp = -1;
    while (fgets(line, sizeof line, f)) {
        char name[128];
        long n;
        if (sscanf(line, " Number of cells: %ld", &n) == 1) {
            c->cells = n;
            continue;
        }
        if (sscanf(line, "Longest topological path in %*s (length=%ld)", &n) == 1) {
            c->ltp = n;
            c->ltp_lut = c->ltp_carry = 0;
            continue;
        }
        if (c->ltp >= 0 && strstr(line, "(via ")) {
            if (strstr(line, "carry"))
                c->ltp_carry++;
            else
                c->ltp_lut++;
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

#define MAX_LIST 16

typedef struct variant {
    const char *model;
    int mi, lanes, arch;
    synth_counts sc;
    int depth, lat32;
    double ns32, fmax, iqr;
    int pareto;
} variant;

/* Split a comma-separated list in place. */
static int split(char *s, char **out, int max) {
    int n = 0;
    for (char *t = strtok(s, ","); t; t = strtok(NULL, ",")) {
        if (n == max) return -1;
        out[n++] = t;
    }
    return n;
}

/* The resolution of model m's fixed-point calibration on the clusters of s above 10 GeV. */
static double model_iqr(const l0_model *m, const l0_clset *s, l0_err *err) {
    double *flt = malloc((s->n + 1) * sizeof *flt), *work = malloc((s->n + 1) * sizeof *work);
    double r = NAN;
    l0_point_result pr;
    if (flt && work) {
        l0_predict_float(m, s, flt);
        if (!l0_eval_model(m, s, flt, 10.0, &pr, NULL, work, err)) r = pr.resp.iqr_med;
    }
    free(flt);
    free(work);
    return r;
}

static int synth_one(variant *v, const l0_model *m, const l0_rtl_cfg *cfg, const char *family,
                     const char *out, l0_err *err) {
    char dir[4200], gen[4300], ys[4300], log[4300], stat[4300], cmd[16384];
    char base[256];
    const char *slash = strrchr(v->model, '/');
    snprintf(base, sizeof base, "%s", slash ? slash + 1 : v->model);
    char *dot = strrchr(base, '.');
    if (dot) *dot = 0;
    snprintf(dir, sizeof dir, "%s/%s-%s-L%d", out, base, l0_rtl_arch_name(cfg->arch), cfg->lanes);
    snprintf(gen, sizeof gen, "%s/rtl", dir);
    snprintf(ys, sizeof ys, "%s/synth.ys", dir);
    snprintf(log, sizeof log, "%s/yosys.log", dir);
    snprintf(stat, sizeof stat, "%s/stat.txt", dir);
    l0_golden *g = l0_golden_create(m, err);
    if (!g || l0_rtl_export(g, cfg, v->model, gen, err)) {
        l0_golden_free(g);
        return -1;
    }
    l0_golden_free(g);
    l0_ofile *f = l0_ofile_open(ys, err);
    if (!f) return -1;
    FILE *fp = l0_ofile_fp(f);
    fprintf(fp, "# Written by l0sim synth for %s\nread_verilog -I %s", v->model, gen);
    for (size_t i = 0; i < sizeof RTL_FILES / sizeof RTL_FILES[0]; i++)
        fprintf(fp, " %s/%s", L0SIM_RTL_DIR, RTL_FILES[i]);
    fprintf(fp, " %s/l0_phi_net.v %s/l0_rho_net.v", gen, gen);
    if (cfg->arch == L0_RTL_ARCH_CMVM)
        for (int k = 0; k < l0_model_n_layers(m); k++)
            fprintf(fp, " %s/l0_layer_%s%d.v", gen, k < m->n_phi ? "phi" : "rho",
                    k < m->n_phi ? k : k - m->n_phi);
    fprintf(fp,
            "\nsynth_xilinx -family %s -top l0_engine -flatten\ntee -o %s stat\n"
            "tee -a %s ltp -noff w:* t:LUT* t:CARRY* t:MUXF* %%u %%u %%u\n",
            family, stat, stat);
    if (l0_ofile_commit(f, err)) return -1;
    fprintf(stderr, "synth: yosys on %s, %s, L=%d (log %s)\n", v->model,
            l0_rtl_arch_name(cfg->arch), cfg->lanes, log);
    remove(stat);
    snprintf(cmd, sizeof cmd, "yosys -q -l '%s' '%s' >/dev/null 2>&1", log, ys);
    if (system(cmd) != 0)
        return l0_err_set(err, "yosys failed; see %s (is yosys installed? scripts/deps)", log);
    if (parse_stat(stat, &v->sc)) return l0_err_set(err, "%s: yosys wrote no statistics", stat);
    /* register to register through the longest path: 0.6 ns clock-to-out and setup, 0.45 ns a
     * LUT with its routing, 0.08 ns a carry-chain hop (UltraScale+ rules of thumb) */
    v->fmax = v->sc.ltp >= 0
                  ? 1000.0 / (0.6 + 0.45 * (double)v->sc.ltp_lut + 0.08 * (double)v->sc.ltp_carry)
                  : NAN;
    return 0;
}

/* Mark the variants no other variant beats in both LUTs and latency. */
static void mark_pareto(variant *v, int n) {
    for (int i = 0; i < n; i++) {
        v[i].pareto = 1;
        for (int j = 0; j < n; j++)
            if (j != i && v[j].sc.lut <= v[i].sc.lut && v[j].ns32 <= v[i].ns32 &&
                (v[j].sc.lut < v[i].sc.lut || v[j].ns32 < v[i].ns32))
                v[i].pareto = 0;
    }
}

static int write_reports(const variant *v, int n, const char *out, const char *family, int json,
                         l0_err *err) {
    char path[4300], png[4300], dat[4300];
    snprintf(path, sizeof path, "%s/synth.csv", out);
    l0_ofile *f = l0_ofile_open(path, err);
    if (!f) return -1;
    FILE *fp = l0_ofile_fp(f);
    fprintf(fp, "model,arch,lanes,lut,ff,dsp,carry,bram,srl,depth_clocks,latency32_clocks,"
                "latency32_ns,ltp_cells,fmax_est_mhz,iqr_med,pareto\n");
    for (int i = 0; i < n; i++)
        fprintf(fp, "%s,%s,%d,%ld,%ld,%ld,%ld,%ld,%ld,%d,%d,%.1f,%ld,%.0f,%.4f,%d\n", v[i].model,
                l0_rtl_arch_name(v[i].arch), v[i].lanes, v[i].sc.lut, v[i].sc.ff, v[i].sc.dsp,
                v[i].sc.carry, v[i].sc.bram, v[i].sc.srl, v[i].depth, v[i].lat32, v[i].ns32,
                v[i].sc.ltp, v[i].fmax, v[i].iqr, v[i].pareto);
    if (l0_ofile_commit(f, err)) return -1;
    char *js = NULL;
    size_t len = 0;
    FILE *m = open_memstream(&js, &len);
    if (!m) return l0_err_set(err, "out of memory");
    fprintf(m, "{\"family\": \"%s\", \"fabric_mhz\": %.3f, \"variants\": [\n", family, FABRIC_MHZ);
    for (int i = 0; i < n; i++)
        fprintf(m,
                "  {\"model\": \"%s\", \"arch\": \"%s\", \"lanes\": %d, \"lut\": %ld, \"ff\": %ld, "
                "\"dsp\": %ld, \"carry\": %ld, \"bram\": %ld, \"srl\": %ld, \"cells\": %ld, "
                "\"depth_clocks\": %d, \"latency32_clocks\": %d, \"latency32_ns\": %.1f, "
                "\"ltp_cells\": %ld, \"fmax_est_mhz\": %.0f, \"iqr_med\": %s%.4f%s, \"pareto\": "
                "%s}%s\n",
                v[i].model, l0_rtl_arch_name(v[i].arch), v[i].lanes, v[i].sc.lut, v[i].sc.ff,
                v[i].sc.dsp, v[i].sc.carry, v[i].sc.bram, v[i].sc.srl, v[i].sc.cells, v[i].depth,
                v[i].lat32, v[i].ns32, v[i].sc.ltp, isfinite(v[i].fmax) ? v[i].fmax : 0,
                isfinite(v[i].iqr) ? "" : "\"", isfinite(v[i].iqr) ? v[i].iqr : 0,
                isfinite(v[i].iqr) ? "" : "\"", v[i].pareto ? "true" : "false",
                i + 1 < n ? "," : "");
    fprintf(m, "]}\n");
    fclose(m);
    snprintf(path, sizeof path, "%s/synth.json", out);
    int rc = l0_write_file_atomic(path, js, len, err);
    if (json && !rc) fputs(js, stdout);
    free(js);
    if (rc || n < 2) return rc;
    /* the Pareto plot: latency against LUTs, coloured by the resolution */
    snprintf(dat, sizeof dat, "%s/pareto.dat", out);
    f = l0_ofile_open(dat, err);
    if (!f) return -1;
    fp = l0_ofile_fp(f);
    for (int i = 0; i < n; i++) {
        char label[64];
        int k = snprintf(label, sizeof label, "%s L%d", l0_rtl_arch_name(v[i].arch), v[i].lanes);
        if (v[i].sc.dsp) snprintf(label + k, sizeof label - (size_t)k, ", %ld DSP", v[i].sc.dsp);
        fprintf(fp, "%.3f %.1f %.4f \"%s\" %d\n", v[i].sc.lut / 1000.0, v[i].ns32,
                isfinite(v[i].iqr) ? v[i].iqr : 0.0, label, v[i].pareto);
    }
    if (l0_ofile_commit(f, err)) return -1;
    int have_iqr = 0;
    for (int i = 0; i < n; i++) have_iqr |= isfinite(v[i].iqr);
    char script[8192];
    snprintf(script, sizeof script,
             "set termoption noenhanced\n"
             "set title 'l0sim synth: 32-cell latency against logic (Yosys synth_xilinx, %s)'\n"
             "set xlabel 'LUTs (thousands)'\nset ylabel 'latency of a 32-cell cluster (ns)'\n"
             "set grid\nset key top right\nset cblabel 'resolution IQR/median (--data)'\n"
             "set palette defined (0 'blue', 1 'green', 2 'red')\n%s"
             "plot '%s' using 1:2:3 with points pt 7 ps 2 %s title 'variant', "
             "'' using 1:($5 > 0 ? $2 : 1/0) with points pt 6 ps 3.5 lc 'black' "
             "title 'Pareto front', "
             "'' using 1:2:4 with labels offset 0,1.2 font ',8' notitle\n",
             family, have_iqr ? "" : "unset colorbox\n", dat, have_iqr ? "palette" : "lc 'blue'");
    snprintf(png, sizeof png, "%s/pareto.png", out);
    return l0_plot_png(png, 900, 600, script, err);
}

int l0_cmd_synth(int argc, char **argv) {
    static const struct option opts[] = {{"model", required_argument, 0, 'm'},
                                         {"out", required_argument, 0, 'o'},
                                         {"lanes", required_argument, 0, 'L'},
                                         {"reg-every", required_argument, 0, 'R'},
                                         {"family", required_argument, 0, 'F'},
                                         {"json", no_argument, 0, 'j'},
                                         {"arch", required_argument, 0, 'A'},
                                         {"data", required_argument, 0, 'd'},
                                         {"max-clocks", required_argument, 0, 'C'},
                                         {"help", no_argument, 0, 'h'},
                                         {0, 0, 0, 0}};
    char *models_s = NULL, *lanes_s = NULL, *arch_s = NULL;
    const char *out = "synth", *family = "xcup", *data = NULL;
    int json = 0, c, reg_every = 2;
    int64_t v, max_clocks = 0;
    opterr = 0;
    while ((c = getopt_long(argc, argv, ":o:h", opts, NULL)) != -1) {
        switch (c) {
        case 'm':
            models_s = optarg;
            break;
        case 'o':
            out = optarg;
            break;
        case 'L':
            lanes_s = optarg;
            break;
        case 'A':
            arch_s = optarg;
            break;
        case 'd':
            data = optarg;
            break;
        case 'C':
            if (l0_parse_i64(optarg, 1, 100000, &max_clocks))
                return l0_cli_usage("synth", "--max-clocks must be 1..100000, got '%s'", optarg);
            break;
        case 'R':
            if (l0_parse_i64(optarg, 0, 8, &v))
                return l0_cli_usage("synth", "--reg-every must be 0..8, got '%s'", optarg);
            reg_every = (int)v;
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
    if (!models_s) return l0_cli_usage("synth", "needs --model");
    char *mlist[MAX_LIST], *llist[MAX_LIST], *alist[MAX_LIST];
    char lanes_def[] = "2", arch_def[] = "mult";
    int nm = split(models_s, mlist, MAX_LIST);
    int nL = split(lanes_s ? lanes_s : lanes_def, llist, MAX_LIST);
    int na = split(arch_s ? arch_s : arch_def, alist, MAX_LIST);
    if (nm < 1) return l0_cli_usage("synth", "--model: 1 to %d files", MAX_LIST);
    if (nL < 1) return l0_cli_usage("synth", "--lanes: 1 to %d values", MAX_LIST);
    if (na < 1) return l0_cli_usage("synth", "--arch: mult and/or cmvm");
    int lanes[MAX_LIST], archs[MAX_LIST];
    for (int i = 0; i < nL; i++) {
        if (l0_parse_i64(llist[i], 1, L0_RTL_LANES_LIMIT, &v))
            return l0_cli_usage("synth", "--lanes must be 1..%d, got '%s'", L0_RTL_LANES_LIMIT,
                                llist[i]);
        lanes[i] = (int)v;
    }
    for (int i = 0; i < na; i++)
        if ((archs[i] = l0_rtl_arch_parse(alist[i])) < 0)
            return l0_cli_usage("synth", "--arch must be mult or cmvm, got '%s'", alist[i]);
    l0_err err;
    l0_model models[MAX_LIST];
    int loaded = 0, rc = L0_EXIT_USAGE, nv = 0;
    variant *vs = calloc((size_t)(nm * nL * na), sizeof *vs);
    l0_clset set;
    l0_clset_init(&set);
    if (!vs) {
        l0_cli_error("synth", "out of memory");
        goto done;
    }
    for (; loaded < nm; loaded++)
        if (l0_model_load(mlist[loaded], &models[loaded], &err)) {
            l0_cli_error("synth", "%s", err.msg);
            goto done;
        }
    /* every variant is checked (and refused, naming the option) before any synthesis */
    for (int mi = 0; mi < nm; mi++)
        for (int ai = 0; ai < na; ai++)
            for (int li = 0; li < nL; li++) {
                variant *x = &vs[nv++];
                x->model = mlist[mi];
                x->mi = mi;
                x->arch = archs[ai];
                x->lanes = lanes[li];
                l0_rtl_cfg cfg;
                l0_rtl_cfg_default(&cfg);
                cfg.lanes = x->lanes;
                cfg.reg_every = reg_every;
                cfg.arch = x->arch;
                if (l0_rtl_prepare_model(&cfg, &models[mi], &err)) {
                    rc = l0_cli_usage("synth", "%s: %s", mlist[mi], err.msg);
                    goto done;
                }
                x->depth = l0_rtl_depth(&models[mi], &cfg);
                x->lat32 = l0_rtl_latency(&models[mi], &cfg, 32);
                x->ns32 = x->lat32 * 1000.0 / FABRIC_MHZ;
                x->iqr = NAN;
                if (max_clocks > 0 && x->lat32 > max_clocks) {
                    rc = l0_cli_usage("synth",
                                      "--max-clocks %lld cannot be met: %s, %s, L=%d takes %d "
                                      "clocks for a 32-cell cluster (depth %d)",
                                      (long long)max_clocks, mlist[mi], l0_rtl_arch_name(x->arch),
                                      x->lanes, x->lat32, x->depth);
                    goto done;
                }
            }
    if (data) {
        if (l0_clset_load(&set, data, 20000, true, 0, &err)) {
            l0_cli_error("synth", "%s", err.msg);
            goto done;
        }
        double iqr[MAX_LIST];
        for (int mi = 0; mi < nm; mi++) iqr[mi] = model_iqr(&models[mi], &set, &err);
        for (int i = 0; i < nv; i++) vs[i].iqr = iqr[vs[i].mi];
    }
    double t0 = l0_now();
    for (int i = 0; i < nv; i++) {
        l0_rtl_cfg cfg;
        l0_rtl_cfg_default(&cfg);
        cfg.lanes = vs[i].lanes;
        cfg.reg_every = reg_every;
        cfg.arch = vs[i].arch;
        if (synth_one(&vs[i], &models[vs[i].mi], &cfg, family, out, &err)) {
            rc = l0_cli_error("synth", "%s", err.msg);
            goto done;
        }
        variant *x = &vs[i];
        printf("synth: %s, %s, L=%d, reg_every=%d, synth_xilinx -family %s (%.0f s so far)\n",
               x->model, l0_rtl_arch_name(x->arch), x->lanes, reg_every, family, l0_now() - t0);
        printf("  LUT %ld  FF %ld  DSP %ld  CARRY %ld  BRAM %ld  SRL %ld\n", x->sc.lut, x->sc.ff,
               x->sc.dsp, x->sc.carry, x->sc.bram, x->sc.srl);
        printf("  pipeline depth %d clocks; a 32-cell cluster: %d clocks = %.1f ns at %.3f MHz; "
               "longest path %ld cells, fmax estimate %.0f MHz",
               x->depth, x->lat32, x->ns32, FABRIC_MHZ, x->sc.ltp, x->fmax);
        if (isfinite(x->iqr)) printf("; resolution IQR/median %.4f", x->iqr);
        printf("\n");
        fflush(stdout);
    }
    mark_pareto(vs, nv);
    if (write_reports(vs, nv, out, family, json, &err)) {
        rc = l0_cli_error("synth", "%s", err.msg);
        goto done;
    }
    if (nv > 1) {
        printf("synth: %d variants; Pareto front (LUTs against latency):", nv);
        for (int i = 0; i < nv; i++)
            if (vs[i].pareto)
                printf(" [%s %s L=%d: %.1f k LUT, %.1f ns]", vs[i].model,
                       l0_rtl_arch_name(vs[i].arch), vs[i].lanes, vs[i].sc.lut / 1000.0,
                       vs[i].ns32);
        printf("\n  reports: %s/synth.csv, %s/synth.json, %s/pareto.png\n", out, out, out);
    } else {
        printf("  report: %s/synth.json, %s/synth.csv\n", out, out);
    }
    rc = L0_EXIT_OK;
done:
    for (int i = 0; i < loaded; i++) l0_model_free(&models[i]);
    l0_clset_free(&set);
    free(vs);
    return rc;
}
