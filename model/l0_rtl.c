#include "l0_rtl.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "l0_ofile.h"

void l0_rtl_cfg_default(l0_rtl_cfg *c) {
    c->lanes = 2;
    c->reg_every = 2;
    c->tag_w = 16;
}

int l0_rtl_cfg_check(const l0_rtl_cfg *c, l0_err *err) {
    if (c->lanes < 1 || c->lanes > 16)
        return l0_err_set(err, "lanes must be 1..16, got %d", c->lanes);
    if (c->reg_every < 0 || c->reg_every > 8)
        return l0_err_set(err, "reg_every must be 0..8, got %d", c->reg_every);
    if (c->tag_w < 1 || c->tag_w > 32)
        return l0_err_set(err, "tag width must be 1..32, got %d", c->tag_w);
    return 0;
}

static int clog2(int n) {
    int k = 0;
    while ((1 << k) < n) k++;
    return k;
}

int l0_rtl_tree_depth(int n, int reg_every) {
    return reg_every > 0 ? clog2(n) / reg_every : 0;
}

int l0_rtl_dense_depth(int n_in, int reg_every) {
    return 2 + l0_rtl_tree_depth(n_in + 1, reg_every);
}

int l0_rtl_ksum_depth(const l0_rtl_cfg *c) {
    return l0_rtl_tree_depth(c->lanes, c->reg_every) + 1;
}

int l0_rtl_depth(const l0_model *m, const l0_rtl_cfg *c) {
    int d = l0_rtl_ksum_depth(c);
    for (int k = 0; k < l0_model_n_layers(m); k++)
        d += l0_rtl_dense_depth(l0_model_layer_c(m, k)->n_in, c->reg_every);
    return d;
}

int l0_rtl_beats(const l0_model *m, const l0_rtl_cfg *c, int n_cells) {
    int n = n_cells < m->cells_max ? n_cells : m->cells_max;
    if (n < 1) n = 1;
    return (n + c->lanes - 1) / c->lanes;
}

int l0_rtl_latency(const l0_model *m, const l0_rtl_cfg *c, int n_cells) {
    return l0_rtl_beats(m, c, n_cells) - 1 + l0_rtl_depth(m, c);
}

int l0_rtl_ksum_acc_width(const l0_model *m) {
    const l0_fx_type *t = &m->phi[m->n_phi - 1].t_res;
    /* a sign bit for unsigned results, and ceil(log2(cells_max + 1)) bits of growth */
    return t->w + !t->is_signed + clog2(m->cells_max + 1);
}

/* --- Verilog writing ------------------------------------------------------------------------- */

/* A raw as a W-bit Verilog literal, W'hXXXX. */
static void put_raw(FILE *f, int w, int64_t raw) {
    uint64_t u = (uint64_t)raw;
    if (w < 64) u &= (UINT64_C(1) << w) - 1;
    fprintf(f, "%d'h%llx", w, (unsigned long long)u);
}

static void put_type_params(FILE *f, const char *p, const l0_fx_type *t, int with_modes) {
    fprintf(f, ".%sW(%d), .%sF(%d), .%sSigned(%d)", p, t->w, p, l0_fx_frac(t), p, t->is_signed);
    if (with_modes) fprintf(f, ", .%sQuant(%d)", p, (int)t->q);
}

static const l0_fx_type *input_type(const l0_model *m, int k) {
    if (k == 0) return &m->t_in;
    if (k == m->n_phi) return &m->t_ksum;
    return &l0_model_layer_c(m, k - 1)->t_res;
}

static void write_net(FILE *f, const l0_golden *g, const l0_rtl_cfg *c, int rho) {
    const l0_model *m = l0_golden_model(g);
    int k0 = rho ? m->n_phi : 0, k1 = rho ? l0_model_n_layers(m) : m->n_phi;
    const l0_layer *first = l0_model_layer_c(m, k0), *last = l0_model_layer_c(m, k1 - 1);
    const l0_fx_type *tin = input_type(m, k0);
    const char *name = rho ? "l0_rho_net" : "l0_phi_net";
    fprintf(f, "// %s: the %s network, %d layer%s.\nmodule %s (\n  input  wire clk_i,\n", name,
            rho ? "rho (F)" : "phi", k1 - k0, k1 - k0 > 1 ? "s" : "", name);
    fprintf(f, "  input  wire [%d:0] x_i,  // %d x %d bits\n", first->n_in * tin->w - 1,
            first->n_in, tin->w);
    fprintf(f, "  output wire [%d:0] y_o   // %d x %d bits\n);\n", last->n_out * last->t_res.w - 1,
            last->n_out, last->t_res.w);
    for (int k = k0; k < k1; k++) {
        const l0_layer *L = l0_model_layer_c(m, k);
        const l0_fx_type *tx = input_type(m, k);
        int idx = k - k0;
        const int64_t *w = l0_golden_weights(g, k), *b = l0_golden_biases(g, k);
        if (k + 1 < k1) fprintf(f, "  wire [%d:0] a%d;\n", L->n_out * L->t_res.w - 1, idx);
        fprintf(f, "  l0_dense #(\n      .NIn(%d), .NOut(%d),\n      ", L->n_in, L->n_out);
        put_type_params(f, "X", tx, 0);
        fprintf(f, ",\n      ");
        put_type_params(f, "W", &L->t_w, 0);
        fprintf(f, ",\n      ");
        put_type_params(f, "A", &L->t_acc, 1);
        fprintf(f, ",\n      ");
        put_type_params(f, "R", &L->t_res, 1);
        fprintf(f, ", .ROvf(%d), .Relu(%d), .RegEvery(%d),\n", (int)L->t_res.o, L->relu,
                c->reg_every);
        /* Packed vectors: element e at bits [e*W +: W], so list them last first. */
        fprintf(f, "      .Weights({");
        for (int e = L->n_in * L->n_out - 1; e >= 0; e--) {
            put_raw(f, L->t_w.w, w[e]);
            fprintf(f, "%s", e ? (e % 8 ? ", " : ",\n                ") : "");
        }
        fprintf(f, "}),\n      .Biases({");
        for (int j = L->n_out - 1; j >= 0; j--) {
            int o;
            put_raw(f, L->t_acc.w, l0_fx_cast(&L->t_b, b[j], &L->t_acc, &o));
            fprintf(f, "%s", j ? (j % 8 ? ", " : ",\n               ") : "");
        }
        fprintf(f, "})\n  ) u_%s%d (\n      .clk_i(clk_i),\n", rho ? "rho" : "phi", idx);
        if (idx == 0)
            fprintf(f, "      .x_i(x_i),\n");
        else
            fprintf(f, "      .x_i(a%d),\n", idx - 1);
        if (k + 1 < k1)
            fprintf(f, "      .y_o(a%d)\n  );\n", idx);
        else
            fprintf(f, "      .y_o(y_o)\n  );\n");
    }
    fprintf(f, "endmodule\n\n");
}

/* The engine's parameters, as the body of its parameter port list (l0_engine.v includes this
 * file inside `module l0_engine #( ... )`): "parameter integer Name = value," lines, the last one
 * without a comma. */
static void write_params(FILE *f, const l0_golden *g, const l0_rtl_cfg *c, const char *origin) {
    const l0_model *m = l0_golden_model(g);
    const l0_fx_type *tl = &m->phi[m->n_phi - 1].t_res, *to = &m->rho[m->n_rho - 1].t_res;
    int dphi = 0, drho = 0;
    for (int k = 0; k < m->n_phi; k++) dphi += l0_rtl_dense_depth(m->phi[k].n_in, c->reg_every);
    for (int k = 0; k < m->n_rho; k++) drho += l0_rtl_dense_depth(m->rho[k].n_in, c->reg_every);
    char tin[64], tks[64], tout[64], tphi[64];
    l0_fx_type_str(&m->t_in, tin, sizeof tin);
    l0_fx_type_str(&m->t_ksum, tks, sizeof tks);
    l0_fx_type_str(to, tout, sizeof tout);
    l0_fx_type_str(tl, tphi, sizeof tphi);
    struct {
        const char *name;
        int value;
        const char *comment;
    } p[] = {
        {"NFeat", m->n_feat, "cell features"},
        {"Lanes", c->lanes, "cells per clock"},
        {"TagW", c->tag_w, "cluster tag bits"},
        {"CellsMax", m->cells_max, "cells per cluster the model uses"},
        {"RegEvery", c->reg_every, "a register every RegEvery adder-tree levels"},
        {"XW", m->t_in.w, tin},
        {"XF", l0_fx_frac(&m->t_in), "input_t fraction bits"},
        {"XSigned", m->t_in.is_signed, "input_t signed"},
        {"Units", l0_model_ksum_width(m), "phi outputs per cell"},
        {"PW", tl->w, tphi},
        {"PF", l0_fx_frac(tl), "phi output fraction bits"},
        {"PSigned", tl->is_signed, "phi output signed"},
        {"SW", l0_rtl_ksum_acc_width(m), "exact KSum accumulator bits"},
        {"KW", m->t_ksum.w, tks},
        {"KF", l0_fx_frac(&m->t_ksum), "ksum_t fraction bits"},
        {"KSigned", m->t_ksum.is_signed, "ksum_t signed"},
        {"KQuant", (int)m->t_ksum.q, "ksum_t quantization"},
        {"KOvf", (int)m->t_ksum.o, "ksum_t overflow"},
        {"OW", to->w, tout},
        {"OF", l0_fx_frac(to), "output fraction bits"},
        {"OSigned", to->is_signed, "output signed"},
        {"DPhi", dphi, "phi network depth, clocks"},
        {"DKsum", l0_rtl_ksum_depth(c), "KSum depth, clocks"},
        {"DRho", drho, "rho network depth, clocks"},
        {"PadCells", m->pad_cells, "padding: clusters padded to this many rows (0: none)"},
    };
    size_t n = sizeof p / sizeof p[0];
    fprintf(f, "// Generated by l0sim export-rtl from %s (model \"%s\"); do not edit.\n", origin,
            m->name);
    fprintf(f, "// The parameter list of l0_engine; total depth %d clocks (model/l0_rtl.h).\n",
            l0_rtl_depth(m, c));
    for (size_t i = 0; i < n; i++)
        fprintf(f, "    parameter integer %s = %d,  // %s\n", p[i].name, p[i].value, p[i].comment);
    /* A padded row's phi output (the raws of phi's last result type, unit u at [u*PW +: PW]):
     * KSum adds it once per missing row, as the golden model does. Zeros without padding. */
    int units = l0_model_ksum_width(m);
    const int64_t *pad = m->pad_cells > 0 ? l0_golden_pad_phi(g) : NULL;
    fprintf(f, "    parameter [%d:0] PadPhi = {", units * tl->w - 1);
    for (int u = units - 1; u >= 0; u--) {
        put_raw(f, tl->w, pad ? pad[u] : 0);
        fputs(u ? ", " : "", f);
    }
    fprintf(f, "}  // phi(padded row), value %.17g in every feature\n", m->pad_value);
}

/* The C side's view of the same build: macros the engine harness (sim/l0_rtl_engine.cpp)
 * compiles in, so a driver can check the engine it links against the model it loads. */
static void write_cfg_h(FILE *f, const l0_golden *g, const l0_rtl_cfg *c, const char *origin) {
    const l0_model *m = l0_golden_model(g);
    const l0_fx_type *to = &m->rho[m->n_rho - 1].t_res;
    fprintf(f, "/* Generated by l0sim export-rtl from %s; do not edit. */\n", origin);
    fprintf(f, "#define L0_ENGINE_MODEL_PATH \"");
    for (const char *p = origin; *p; p++) fprintf(f, (*p == '"' || *p == '\\') ? "\\%c" : "%c", *p);
    fprintf(f, "\"\n#define L0_ENGINE_LANES %d\n#define L0_ENGINE_NFEAT %d\n", c->lanes, m->n_feat);
    fprintf(f, "#define L0_ENGINE_XW %d\n#define L0_ENGINE_TAGW %d\n", m->t_in.w, c->tag_w);
    fprintf(f, "#define L0_ENGINE_OW %d\n#define L0_ENGINE_OSIGNED %d\n", to->w, to->is_signed);
    fprintf(f, "#define L0_ENGINE_DEPTH %d\n#define L0_ENGINE_CELLS_MAX %d\n", l0_rtl_depth(m, c),
            m->cells_max);
    fprintf(f, "#define L0_ENGINE_REG_EVERY %d\n", c->reg_every);
    fprintf(f, "#define L0_ENGINE_HASH 0x%016llxULL\n", (unsigned long long)l0_rtl_hash(g, c));
}

uint64_t l0_rtl_hash(const l0_golden *g, const l0_rtl_cfg *c) {
    char *buf = NULL;
    size_t len = 0;
    FILE *f = open_memstream(&buf, &len);
    if (!f) return 0;
    write_params(f, g, c, "-");
    write_net(f, g, c, 0);
    write_net(f, g, c, 1);
    fclose(f);
    uint64_t h = 1469598103934665603ULL; /* FNV-1a */
    for (size_t i = 0; i < len; i++) {
        h ^= (unsigned char)buf[i];
        h *= 1099511628211ULL;
    }
    free(buf);
    return h;
}

/* Write one generated file; an identical file already there is left alone (its time stamp too,
 * so the build does not re-verilate for nothing). */
static int write_file(const char *dir, const char *name, const l0_golden *g, const l0_rtl_cfg *c,
                      const char *origin, int which, l0_err *err) {
    char path[4096];
    if (snprintf(path, sizeof path, "%s/%s", dir, name) >= (int)sizeof path)
        return l0_err_set(err, "%s: path too long", dir);
    char *buf = NULL;
    size_t len = 0;
    FILE *f = open_memstream(&buf, &len);
    if (!f) return l0_err_set(err, "%s: out of memory", path);
    if (which == 0) {
        write_params(f, g, c, origin);
    } else if (which == 3) {
        write_cfg_h(f, g, c, origin);
    } else {
        fprintf(f, "// Generated by l0sim export-rtl from %s; do not edit.\n", origin);
        fprintf(f, "`default_nettype none\n\n");
        write_net(f, g, c, which == 2);
        fprintf(f, "`default_nettype wire\n");
    }
    fclose(f);
    int same = 0;
    FILE *old = fopen(path, "rb");
    if (old) {
        char *ob = malloc(len + 1);
        if (ob) same = fread(ob, 1, len + 1, old) == len && memcmp(ob, buf, len) == 0;
        free(ob);
        fclose(old);
    }
    int rc = same ? 0 : l0_write_file_atomic(path, buf, len, err);
    free(buf);
    return rc;
}

int l0_rtl_export(const l0_golden *g, const l0_rtl_cfg *c, const char *origin, const char *dir,
                  l0_err *err) {
    if (l0_rtl_cfg_check(c, err)) return -1;
    if (l0_mkdir_p(dir, err)) return -1;
    if (write_file(dir, "l0_model_params.vh", g, c, origin, 0, err)) return -1;
    if (write_file(dir, "l0_engine_cfg.h", g, c, origin, 3, err)) return -1;
    if (write_file(dir, "l0_phi_net.v", g, c, origin, 1, err)) return -1;
    return write_file(dir, "l0_rho_net.v", g, c, origin, 2, err);
}

/* --- GTKWave save file ----------------------------------------------------------------------- */

#define GTKW_TOP "l0_engine.l0_engine."

/* GTKWave trace flags: hex 0x22, binary 0x28, decimal 0x24, signed decimal 0x424, comment 0x200. */
enum { GT_BIN = 0x28, GT_HEX = 0x22, GT_DEC = 0x24, GT_SDEC = 0x424, GT_COMMENT = 0x200 };

typedef struct gtkw_line {
    int flags;
    char text[160];
    char alias[48]; /* shown instead of the leaf name, or "" */
} gtkw_line;

/* Every line of the save file's signal list, in order; returns how many (at most cap). */
static int gtkw_lines(const l0_model *m, const l0_rtl_cfg *c, gtkw_line *out, int cap) {
    int n = 0;
#define ADD(f, ...)                                                                                \
    do {                                                                                           \
        if (n < cap) {                                                                             \
            out[n].flags = (f);                                                                    \
            out[n].alias[0] = '\0';                                                                \
            snprintf(out[n].text, sizeof out[n].text, __VA_ARGS__);                                \
        }                                                                                          \
        n++;                                                                                       \
    } while (0)
#define ALIAS(...)                                                                                 \
    do {                                                                                           \
        if (n - 1 < cap) snprintf(out[n - 1].alias, sizeof out[n - 1].alias, __VA_ARGS__);         \
    } while (0)
#define DECF(t) ((t)->is_signed ? GT_SDEC : GT_DEC)
    ADD(GT_COMMENT, "-cell stream in");
    ADD(GT_BIN, GTKW_TOP "clk_i");
    ADD(GT_BIN, GTKW_TOP "rst_ni");
    ADD(GT_BIN, GTKW_TOP "valid_i");
    ADD(GT_BIN, GTKW_TOP "first_i");
    ADD(GT_BIN, GTKW_TOP "last_i");
    ADD(GT_BIN, GTKW_TOP "lane_valid_i[%d:0]", c->lanes - 1);
    ADD(GT_HEX, GTKW_TOP "tag_i[%d:0]", c->tag_w - 1);
    for (int l = 0; l < c->lanes; l++) {
        ADD(GT_COMMENT, "-lane %d features (input_t raws)", l);
        static const char *const FEAT[] = {"energy", "deta", "dphi", "layer"};
        for (int f = 0; f < m->n_feat; f++) {
            ADD(DECF(&m->t_in), GTKW_TOP "g_lane[%d].g_feat[%d].x[%d:0]", l, f, m->t_in.w - 1);
            ALIAS("lane%d %s%s", l, (unsigned)m->feat[f].kind < 4 ? FEAT[m->feat[f].kind] : "?",
                  m->feat[f].transform == L0_TRANSFORM_LOG ? " (log)" : "");
        }
    }
    const l0_layer *lp = &m->phi[m->n_phi - 1];
    for (int l = 0; l < c->lanes; l++) {
        ADD(GT_COMMENT, "-lane %d phi output (phi%d result_t raws)", l, m->n_phi - 1);
        for (int u = 0; u < lp->n_out; u++) {
            ADD(DECF(&lp->t_res), GTKW_TOP "g_lane[%d].u_phi.u_phi%d.g_out[%d].y_q[%d:0]", l,
                m->n_phi - 1, u, lp->t_res.w - 1);
            ALIAS("lane%d phi[%d]", l, u);
        }
    }
    ADD(GT_COMMENT, "-KSum accumulator (exact) and ksum_t");
    int sw = l0_rtl_ksum_acc_width(m);
    for (int u = 0; u < lp->n_out; u++) {
        ADD(GT_SDEC, GTKW_TOP "u_ksum.g_unit[%d].acc_q[%d:0]", u, sw - 1);
        ALIAS("ksum acc[%d]", u);
    }
    for (int u = 0; u < lp->n_out; u++) {
        ADD(DECF(&m->t_ksum), GTKW_TOP "u_ksum.g_unit[%d].k_q[%d:0]", u, m->t_ksum.w - 1);
        ALIAS("ksum[%d]", u);
    }
    ADD(GT_BIN, GTKW_TOP "ksum_valid");
    for (int k = 0; k < m->n_rho; k++) {
        const l0_layer *L = &m->rho[k];
        ADD(GT_COMMENT, "-rho%d output (result_t raws)", k);
        for (int u = 0; u < L->n_out; u++) {
            ADD(DECF(&L->t_res), GTKW_TOP "u_rho.u_rho%d.g_out[%d].y_q[%d:0]", k, u,
                L->t_res.w - 1);
            ALIAS("rho%d[%d]", k, u);
        }
    }
    const l0_fx_type *to = &m->rho[m->n_rho - 1].t_res;
    ADD(GT_COMMENT, "-engine output");
    ADD(GT_BIN, GTKW_TOP "valid_o");
    ADD(GT_HEX, GTKW_TOP "tag_o[%d:0]", c->tag_w - 1);
    ADD(DECF(to), GTKW_TOP "energy_o[%d:0]", to->w - 1);
#undef ADD
#undef ALIAS
#undef DECF
    return n;
}

int l0_rtl_gtkw_signal(const l0_model *m, const l0_rtl_cfg *c, int k, char *buf, size_t n) {
    int total = gtkw_lines(m, c, NULL, 0);
    gtkw_line *lines = malloc(sizeof *lines * (size_t)total);
    if (!lines) return 0;
    gtkw_lines(m, c, lines, total);
    int found = 0;
    for (int i = 0, s = 0; i < total; i++) {
        if (lines[i].flags == GT_COMMENT) continue;
        if (s++ == k) {
            snprintf(buf, n, "%s", lines[i].text);
            found = 1;
            break;
        }
    }
    free(lines);
    return found;
}

int l0_rtl_write_gtkw(const l0_model *m, const l0_rtl_cfg *c, const char *fst_path,
                      const char *gtkw_path, l0_err *err) {
    int total = gtkw_lines(m, c, NULL, 0);
    gtkw_line *lines = malloc(sizeof *lines * (size_t)total);
    if (!lines) return l0_err_set(err, "out of memory");
    gtkw_lines(m, c, lines, total);
    l0_ofile *of = l0_ofile_open(gtkw_path, err);
    if (!of) {
        free(lines);
        return -1;
    }
    FILE *f = l0_ofile_fp(of);
    fprintf(f, "[*] GTKWave save file written by l0sim waves for model \"%s\" (L=%d)\n", m->name,
            c->lanes);
    fprintf(f, "[*] fixed-point signals show their raws as decimals: value = raw * 2^-F\n");
    fprintf(f, "[dumpfile] \"%s\"\n[savefile] \"%s\"\n", fst_path, gtkw_path);
    fprintf(f, "[timestart] 0\n[size] 1600 1000\n[pos] -1 -1\n*-14.000000 0 -1 -1 -1 -1 -1 -1\n");
    fprintf(f, "[sst_width] 250\n[signals_width] 420\n[sst_expanded] 1\n[sst_vpaned_height] 300\n");
    int last = -1;
    for (int i = 0; i < total; i++) {
        if (lines[i].flags != last) fprintf(f, "@%x\n", lines[i].flags);
        last = lines[i].flags;
        if (lines[i].alias[0])
            fprintf(f, "+{%s} %s\n", lines[i].alias, lines[i].text);
        else
            fprintf(f, "%s\n", lines[i].text);
    }
    fprintf(f, "[pattern_trace] 1\n[pattern_trace] 0\n");
    free(lines);
    return l0_ofile_commit(of, err);
}
