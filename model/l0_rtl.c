#include "l0_rtl.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "l0_cmvm.h"
#include "l0_ofile.h"

void l0_rtl_cfg_default(l0_rtl_cfg *c) {
    c->lanes = 2;
    c->reg_every = 2;
    c->tag_w = 16;
    c->arch = L0_RTL_ARCH_MULT;
    c->prepared = 0;
}

int l0_rtl_arch_parse(const char *s) {
    if (!strcmp(s, "mult")) return L0_RTL_ARCH_MULT;
    if (!strcmp(s, "cmvm")) return L0_RTL_ARCH_CMVM;
    return -1;
}

const char *l0_rtl_arch_name(int arch) {
    return arch == L0_RTL_ARCH_CMVM ? "cmvm" : "mult";
}

int l0_rtl_cfg_check(const l0_rtl_cfg *c, l0_err *err) {
    if (c->lanes < 1 || c->lanes > L0_RTL_LANES_LIMIT)
        return l0_err_set(err, "lanes must be 1..%d, got %d", L0_RTL_LANES_LIMIT, c->lanes);
    if (c->arch != L0_RTL_ARCH_MULT && c->arch != L0_RTL_ARCH_CMVM)
        return l0_err_set(err, "unknown engine architecture %d", c->arch);
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

/* The cmvm networks of every layer of g, in order: layer k's input range is the range of layer
 * k - 1's outputs (a ReLU's outputs are never negative), the input type's or ksum_t's at the
 * start of phi and rho. */
static int build_cmvm(const l0_golden *g, const l0_rtl_cfg *c, l0_cmvm **out, l0_err *err) {
    const l0_model *m = l0_golden_model(g);
    int n = l0_model_n_layers(m);
    for (int k = 0; k < n; k++) out[k] = NULL;
    l0_wide lo = 0, hi = 0;
    for (int k = 0; k < n; k++) {
        const l0_layer *L = l0_model_layer_c(m, k);
        const l0_fx_type *tx = l0_model_input_type(m, k);
        if (k == 0 || k == m->n_phi) {
            lo = tx->is_signed ? -((l0_wide)1 << (tx->w - 1)) : 0;
            hi = tx->is_signed ? ((l0_wide)1 << (tx->w - 1)) - 1 : ((l0_wide)1 << tx->w) - 1;
        }
        int64_t *bacc = malloc((size_t)L->n_out * sizeof *bacc);
        if (!bacc) return l0_err_set(err, "out of memory");
        const int64_t *b = l0_golden_biases(g, k);
        for (int j = 0; j < L->n_out; j++) {
            int o;
            bacc[j] = l0_fx_cast(&L->t_b, b[j], &L->t_acc, &o);
        }
        l0_cmvm_spec s = {.n_in = L->n_in,
                          .n_out = L->n_out,
                          .w = l0_golden_weights(g, k),
                          .bias = bacc,
                          .t_x = *tx,
                          .t_w = L->t_w,
                          .t_acc = L->t_acc,
                          .t_res = L->t_res,
                          .relu = L->relu,
                          .x_lo = lo,
                          .x_hi = hi,
                          .reg_every = c->reg_every};
        out[k] = l0_cmvm_build(&s, err);
        free(bacc);
        if (!out[k]) {
            char msg[sizeof err->msg];
            snprintf(msg, sizeof msg, "%s", err->msg);
            return l0_err_set(err, "%s layer %d: %s", k < m->n_phi ? "phi" : "rho",
                              k < m->n_phi ? k : k - m->n_phi, msg);
        }
        l0_cmvm_out_range(out[k], &lo, &hi);
    }
    return 0;
}

static void free_cmvm(l0_cmvm **v, int n) {
    for (int k = 0; k < n; k++) l0_cmvm_free(v[k]);
}

int l0_rtl_prepare(l0_rtl_cfg *c, const l0_golden *g, l0_err *err) {
    if (l0_rtl_cfg_check(c, err)) return -1;
    c->prepared = 0;
    if (c->arch != L0_RTL_ARCH_CMVM) return 0;
    const l0_model *m = l0_golden_model(g);
    if (m->cells_max % c->lanes)
        return l0_err_set(err,
                          "--lanes %d does not divide the model's cells_max %d: the cmvm engine "
                          "takes whole beats of lanes (choose a divisor of %d)",
                          c->lanes, m->cells_max, m->cells_max);
    l0_cmvm *v[2 * L0_MODEL_LAYERS_MAX];
    int n = l0_model_n_layers(m);
    if (build_cmvm(g, c, v, err)) {
        free_cmvm(v, n);
        return -1;
    }
    for (int k = 0; k < n; k++) c->layer_depth[k] = l0_cmvm_depth(v[k]);
    free_cmvm(v, n);
    c->prepared = 1;
    return 0;
}

int l0_rtl_prepare_model(l0_rtl_cfg *c, const l0_model *m, l0_err *err) {
    if (c->arch != L0_RTL_ARCH_CMVM) return l0_rtl_prepare(c, NULL, err);
    l0_golden *g = l0_golden_create(m, err);
    int rc = g ? l0_rtl_prepare(c, g, err) : -1;
    l0_golden_free(g);
    return rc;
}

int l0_rtl_layer_depth(const l0_model *m, const l0_rtl_cfg *c, int k) {
    if (c->arch != L0_RTL_ARCH_CMVM)
        return l0_rtl_dense_depth(l0_model_layer_c(m, k)->n_in, c->reg_every);
    if (c->prepared) return c->layer_depth[k];
    l0_rtl_cfg p = *c;
    l0_err err;
    l0_golden *g = l0_golden_create(m, &err);
    int d = (g && !l0_rtl_prepare(&p, g, &err)) ? p.layer_depth[k] : -1;
    l0_golden_free(g);
    return d;
}

int l0_rtl_depth(const l0_model *m, const l0_rtl_cfg *c) {
    l0_rtl_cfg p = *c;
    if (c->arch == L0_RTL_ARCH_CMVM && !c->prepared) {
        l0_err err;
        l0_golden *g = l0_golden_create(m, &err);
        int bad = !g || l0_rtl_prepare(&p, g, &err);
        l0_golden_free(g);
        if (bad) return -1;
    }
    int d = l0_rtl_ksum_depth(&p);
    for (int k = 0; k < l0_model_n_layers(m); k++) d += l0_rtl_layer_depth(m, &p, k);
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

static void layer_name(const l0_model *m, int k, char *buf, size_t n) {
    snprintf(buf, n, "%s%d", k < m->n_phi ? "phi" : "rho", k < m->n_phi ? k : k - m->n_phi);
}

/* The data ports of layer idx of a chain: x_i from the network's input or the previous layer's
 * a<idx-1>, y_o to a<idx> or the network's output. */
static void put_chain_ports(FILE *f, int idx, int last) {
    if (idx == 0)
        fprintf(f, "      .x_i(x_i),\n");
    else
        fprintf(f, "      .x_i(a%d),\n", idx - 1);
    if (!last)
        fprintf(f, "      .y_o(a%d)\n  );\n", idx);
    else
        fprintf(f, "      .y_o(y_o)\n  );\n");
}

/* cmvm: the network as a chain of the generated layer modules l0_layer_NAME. */
static void write_net_cmvm(FILE *f, const l0_model *m, const l0_rtl_cfg *c, int rho) {
    int k0 = rho ? m->n_phi : 0, k1 = rho ? l0_model_n_layers(m) : m->n_phi;
    const l0_layer *first = l0_model_layer_c(m, k0), *last = l0_model_layer_c(m, k1 - 1);
    const l0_fx_type *tin = l0_model_input_type(m, k0);
    const char *name = rho ? "l0_rho_net" : "l0_phi_net";
    fprintf(f,
            "// %s: the %s network, %d multiplier-free layer%s (l0_layer_*.v), a register every\n"
            "// %d adder levels.\nmodule %s (\n  input  wire clk_i,\n",
            name, rho ? "rho (F)" : "phi", k1 - k0, k1 - k0 > 1 ? "s" : "", c->reg_every, name);
    fprintf(f, "  input  wire [%d:0] x_i,  // %d x %d bits\n", first->n_in * tin->w - 1,
            first->n_in, tin->w);
    fprintf(f, "  output wire [%d:0] y_o   // %d x %d bits\n);\n", last->n_out * last->t_res.w - 1,
            last->n_out, last->t_res.w);
    for (int k = k0; k < k1; k++) {
        const l0_layer *L = l0_model_layer_c(m, k);
        int idx = k - k0;
        char ln[16];
        layer_name(m, k, ln, sizeof ln);
        if (k + 1 < k1) fprintf(f, "  wire [%d:0] a%d;\n", L->n_out * L->t_res.w - 1, idx);
        fprintf(f, "  l0_layer_%s u_%s%d (\n      .clk_i(clk_i),\n", ln, rho ? "rho" : "phi", idx);
        put_chain_ports(f, idx, k + 1 == k1);
    }
    fprintf(f, "endmodule\n\n");
}

static void write_net(FILE *f, const l0_golden *g, const l0_rtl_cfg *c, int rho) {
    const l0_model *m = l0_golden_model(g);
    if (c->arch == L0_RTL_ARCH_CMVM) {
        write_net_cmvm(f, m, c, rho);
        return;
    }
    int k0 = rho ? m->n_phi : 0, k1 = rho ? l0_model_n_layers(m) : m->n_phi;
    const l0_layer *first = l0_model_layer_c(m, k0), *last = l0_model_layer_c(m, k1 - 1);
    const l0_fx_type *tin = l0_model_input_type(m, k0);
    const char *name = rho ? "l0_rho_net" : "l0_phi_net";
    fprintf(f, "// %s: the %s network, %d layer%s.\nmodule %s (\n  input  wire clk_i,\n", name,
            rho ? "rho (F)" : "phi", k1 - k0, k1 - k0 > 1 ? "s" : "", name);
    fprintf(f, "  input  wire [%d:0] x_i,  // %d x %d bits\n", first->n_in * tin->w - 1,
            first->n_in, tin->w);
    fprintf(f, "  output wire [%d:0] y_o   // %d x %d bits\n);\n", last->n_out * last->t_res.w - 1,
            last->n_out, last->t_res.w);
    for (int k = k0; k < k1; k++) {
        const l0_layer *L = l0_model_layer_c(m, k);
        const l0_fx_type *tx = l0_model_input_type(m, k);
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
        put_chain_ports(f, idx, k + 1 == k1);
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
    for (int k = 0; k < m->n_phi; k++) dphi += l0_rtl_layer_depth(m, c, k);
    for (int k = 0; k < m->n_rho; k++) drho += l0_rtl_layer_depth(m, c, m->n_phi + k);
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
    fprintf(f, "#define L0_ENGINE_ARCH %d /* %s */\n", c->arch, l0_rtl_arch_name(c->arch));
    fprintf(f, "#define L0_ENGINE_HASH 0x%016llxULL\n", (unsigned long long)l0_rtl_hash(g, c));
}

/* One layer's module (cmvm), as written to l0_layer_NAME.v. */
static void write_layer(FILE *f, const l0_model *m, const l0_cmvm *v, int k) {
    char ln[16], mod[32];
    layer_name(m, k, ln, sizeof ln);
    snprintf(mod, sizeof mod, "l0_layer_%s", ln);
    l0_cmvm_write_verilog(v, f, mod);
}

uint64_t l0_rtl_hash(const l0_golden *g, const l0_rtl_cfg *c0) {
    const l0_model *m = l0_golden_model(g);
    l0_rtl_cfg cc = *c0, *c = &cc;
    l0_err err;
    l0_cmvm *v[2 * L0_MODEL_LAYERS_MAX] = {0};
    int n = l0_model_n_layers(m);
    if (c->arch == L0_RTL_ARCH_CMVM && (l0_rtl_prepare(c, g, &err) || build_cmvm(g, c, v, &err))) {
        free_cmvm(v, n);
        return 0;
    }
    char *buf = NULL;
    size_t len = 0;
    FILE *f = open_memstream(&buf, &len);
    if (!f) {
        free_cmvm(v, n);
        return 0;
    }
    write_params(f, g, c, "-");
    write_net(f, g, c, 0);
    write_net(f, g, c, 1);
    if (c->arch == L0_RTL_ARCH_CMVM)
        for (int k = 0; k < n; k++) write_layer(f, m, v[k], k);
    fclose(f);
    free_cmvm(v, n);
    uint64_t h = 1469598103934665603ULL; /* FNV-1a */
    for (size_t i = 0; i < len; i++) {
        h ^= (unsigned char)buf[i];
        h *= 1099511628211ULL;
    }
    free(buf);
    return h;
}

/* layers.json: every Dense layer's quantized constants and types, for tools outside l0sim
 * (scripts/crosscheck-da4ml builds the same layers in da4ml from it). */
static void write_layers_json(FILE *f, const l0_golden *g, const l0_rtl_cfg *c,
                              const char *origin) {
    const l0_model *m = l0_golden_model(g);
    fprintf(f, "{\"format\": \"l0sim-layers\", \"origin\": \"");
    for (const char *p = origin; *p; p++) fprintf(f, (*p == '"' || *p == '\\') ? "\\%c" : "%c", *p);
    fprintf(f, "\", \"model\": \"%s\", \"arch\": \"%s\", \"reg_every\": %d, \"layers\": [\n",
            m->name, l0_rtl_arch_name(c->arch), c->reg_every);
    int n = l0_model_n_layers(m);
    for (int k = 0; k < n; k++) {
        const l0_layer *L = l0_model_layer_c(m, k);
        char ln[16], tx[64], tw[64], ta[64], tr[64];
        layer_name(m, k, ln, sizeof ln);
        l0_fx_type_str(l0_model_input_type(m, k), tx, sizeof tx);
        l0_fx_type_str(&L->t_w, tw, sizeof tw);
        l0_fx_type_str(&L->t_acc, ta, sizeof ta);
        l0_fx_type_str(&L->t_res, tr, sizeof tr);
        fprintf(
            f,
            "  {\"name\": \"%s\", \"module\": \"l0_layer_%s\", \"n_in\": %d, \"n_out\": %d, "
            "\"input_type\": \"%s\", \"weight_type\": \"%s\", \"accum_type\": \"%s\", "
            "\"result_type\": \"%s\", \"relu\": %s, \"depth_clocks\": %d,\n   \"weights_raw\": [",
            ln, ln, L->n_in, L->n_out, tx, tw, ta, tr, L->relu ? "true" : "false",
            l0_rtl_layer_depth(m, c, k));
        const int64_t *w = l0_golden_weights(g, k), *b = l0_golden_biases(g, k);
        for (int j = 0; j < L->n_out; j++) {
            fprintf(f, "%s[", j ? ", " : "");
            for (int i = 0; i < L->n_in; i++)
                fprintf(f, "%s%lld", i ? ", " : "", (long long)w[(size_t)j * L->n_in + i]);
            fprintf(f, "]");
        }
        fprintf(f, "],\n   \"bias_raw\": [");
        for (int j = 0; j < L->n_out; j++) {
            int o;
            fprintf(f, "%s%lld", j ? ", " : "",
                    (long long)l0_fx_cast(&L->t_b, b[j], &L->t_acc, &o));
        }
        fprintf(f, "]}%s\n", k + 1 < n ? "," : "");
    }
    fprintf(f, "]}\n");
}

/* Write one generated file; an identical file already there is left alone (its time stamp too,
 * so the build does not re-verilate for nothing). */
static int write_file(const char *dir, const char *name, const l0_golden *g, const l0_rtl_cfg *c,
                      const char *origin, int which, const l0_cmvm *v, int k, l0_err *err) {
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
    } else if (which == 4) {
        fprintf(f, "// Generated by l0sim export-rtl from %s; do not edit.\n", origin);
        fprintf(f, "`default_nettype none\n\n");
        write_layer(f, l0_golden_model(g), v, k);
        fprintf(f, "\n`default_nettype wire\n");
    } else if (which == 5) {
        write_layers_json(f, g, c, origin);
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

int l0_rtl_export(const l0_golden *g, const l0_rtl_cfg *c0, const char *origin, const char *dir,
                  l0_err *err) {
    l0_rtl_cfg cc = *c0, *c = &cc;
    if (l0_rtl_prepare(c, g, err)) return -1;
    if (l0_mkdir_p(dir, err)) return -1;
    if (write_file(dir, "l0_model_params.vh", g, c, origin, 0, NULL, 0, err)) return -1;
    if (write_file(dir, "l0_engine_cfg.h", g, c, origin, 3, NULL, 0, err)) return -1;
    if (write_file(dir, "l0_phi_net.v", g, c, origin, 1, NULL, 0, err)) return -1;
    if (write_file(dir, "l0_rho_net.v", g, c, origin, 2, NULL, 0, err)) return -1;
    if (c->arch != L0_RTL_ARCH_CMVM) return 0;
    const l0_model *m = l0_golden_model(g);
    int n = l0_model_n_layers(m), rc = 0;
    l0_cmvm *v[2 * L0_MODEL_LAYERS_MAX] = {0};
    if (build_cmvm(g, c, v, err)) rc = -1;
    for (int k = 0; k < n && !rc; k++) {
        char ln[16], fn[48];
        layer_name(m, k, ln, sizeof ln);
        snprintf(fn, sizeof fn, "l0_layer_%s.v", ln);
        rc = write_file(dir, fn, g, c, origin, 4, v[k], k, err);
    }
    free_cmvm(v, n);
    if (!rc) rc = write_file(dir, "layers.json", g, c, origin, 5, NULL, 0, err);
    return rc;
}

int l0_rtl_layer_stats(const l0_golden *g, const l0_rtl_cfg *c0, l0_rtl_layer_info *out,
                       l0_err *err) {
    const l0_model *m = l0_golden_model(g);
    l0_rtl_cfg cc = *c0, *c = &cc;
    cc.arch = L0_RTL_ARCH_CMVM;
    if (l0_rtl_cfg_check(c, err)) return -1;
    int n = l0_model_n_layers(m);
    l0_cmvm *v[2 * L0_MODEL_LAYERS_MAX] = {0};
    if (build_cmvm(g, c, v, err)) {
        free_cmvm(v, n);
        return -1;
    }
    for (int k = 0; k < n; k++) {
        l0_cmvm_stats st;
        l0_cmvm_stats_get(v[k], &st);
        layer_name(m, k, out[k].name, sizeof out[k].name);
        out[k].digits = st.digits;
        out[k].zero_w = st.zero_w;
        out[k].adders = st.adders;
        out[k].shared = st.shared;
        out[k].adder_bits = st.adder_bits;
        out[k].levels = st.levels;
        out[k].depth = l0_cmvm_depth(v[k]);
    }
    free_cmvm(v, n);
    return n;
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
