/* test_rtl_icarus [N]: the same engine under Icarus Verilog and under Verilator, on the same N
 * vectors (default 150: Icarus is ~100x slower), against the golden model and each other.
 * Writes a test bench with this build's widths, compiles it with iverilog, runs vvp, reads back
 * the outputs. Paths come from the build (L0_RTL_DIR, L0_GEN_DIR, L0_IVERILOG, L0_VVP). */
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "rtl_run.h"

static const char *const RTL_FILES[] = {"l0_engine.v",     "l0_ksum.v",   "l0_dense.v",
                                        "l0_adder_tree.v", "l0_recast.v", "l0_pipe.v"};

static int write_tb(const char *path, const l0_rtl_engine_info *in, size_t n_clocks) {
    FILE *f = fopen(path, "w");
    if (!f) return -1;
    int width = 3 + in->lanes + in->tag_w + in->lanes * in->n_feat * in->xw;
    int pad = (4 - width % 4) % 4;
    fprintf(
        f,
        "`default_nettype none\n"
        "module tb_engine;\n"
        "  reg clk_i = 0, rst_ni = 0, valid_i = 0, first_i = 0, last_i = 0;\n"
        "  reg [%d:0] lane_valid_i = 0;\n  reg [%d:0] tag_i = 0;\n  reg [%d:0] cells_i = 0;\n"
        "  wire valid_o;\n  wire [%d:0] tag_o;\n  wire [%d:0] energy_o;\n"
        "  reg [%d:0] mem [0:%zu];\n  integer c, fd;\n  reg [1023:0] vec, out;\n"
        "  l0_engine u_dut (.clk_i(clk_i), .rst_ni(rst_ni), .valid_i(valid_i),\n"
        "    .first_i(first_i), .last_i(last_i), .lane_valid_i(lane_valid_i),\n"
        "    .cells_i(cells_i), .tag_i(tag_i), .valid_o(valid_o), .tag_o(tag_o),\n"
        "    .energy_o(energy_o));\n"
        "  always #5 clk_i = ~clk_i;\n"
        "  initial begin\n"
        "    if (!$value$plusargs(\"vec=%%s\", vec) || !$value$plusargs(\"out=%%s\", out)) "
        "$finish;\n"
        "    $readmemh(vec, mem);\n    fd = $fopen(out, \"w\");\n"
        "    repeat (2) @(posedge clk_i);\n    #1 rst_ni = 1;\n"
        "    for (c = 0; c < %zu; c = c + 1) begin\n"
        "      {valid_i, first_i, last_i, lane_valid_i, tag_i, cells_i} = mem[c];\n"
        "      @(posedge clk_i);\n      #1;\n"
        "      if (valid_o === 1'b1) $fwrite(fd, \"%%0d %%h %%h\\n\", c + 1, tag_o, energy_o);\n"
        "    end\n    $fclose(fd);\n    $finish;\n  end\nendmodule\n",
        in->lanes - 1, in->tag_w - 1, in->lanes * in->n_feat * in->xw - 1, in->tag_w - 1,
        in->ow - 1, width + pad - 1, n_clocks - 1, n_clocks);
    return fclose(f);
}

int main(int argc, char **argv) {
    int n = argc > 1 ? atoi(argv[1]) : 150;
    const l0_rtl_engine_info *info = l0_rtl_engine_info_get();
    l0_err err;
    l0_model m;
    if (l0_model_load(info->model_path, &m, &err)) {
        fprintf(stderr, "test_rtl_icarus: %s\n", err.msg);
        return 1;
    }
    l0_rtl_cfg cfg = {info->lanes, info->reg_every, info->tag_w};
    rtlv_set s;
    l0_rtl_engine *e = l0_rtl_engine_create(&err);
    if (!e || rtlv_make(&m, &cfg, n, 77, &s, &err)) {
        fprintf(stderr, "test_rtl_icarus: %s\n", err.msg);
        return 1;
    }
    char dir[] = "/tmp/l0sim-icarus-XXXXXX";
    if (!mkdtemp(dir)) {
        perror("mkdtemp");
        return 1;
    }
    char vec[256], outp[256], tb[256], vvp[256], cmd[8192];
    snprintf(vec, sizeof vec, "%s/vectors.hex", dir);
    snprintf(outp, sizeof outp, "%s/out.txt", dir);
    snprintf(tb, sizeof tb, "%s/tb_engine.v", dir);
    snprintf(vvp, sizeof vvp, "%s/tb.vvp", dir);
    if (rtlv_write_hex(&s, info, vec, &err) || write_tb(tb, info, s.n_clocks)) {
        fprintf(stderr, "test_rtl_icarus: cannot write the vectors or bench in %s\n", dir);
        return 1;
    }
    int k =
        snprintf(cmd, sizeof cmd, "%s -g2005 -Wall -I%s -o %s %s %s/l0_phi_net.v %s/l0_rho_net.v",
                 L0_IVERILOG, L0_GEN_DIR, vvp, tb, L0_GEN_DIR, L0_GEN_DIR);
    for (size_t i = 0; i < sizeof RTL_FILES / sizeof RTL_FILES[0]; i++)
        k += snprintf(cmd + k, sizeof cmd - (size_t)k, " %s/%s", L0_RTL_DIR, RTL_FILES[i]);
    snprintf(cmd + k, sizeof cmd - (size_t)k, " 2>&1 | grep -v 'warning: @\\* is sensitive' >&2");
    if (system(cmd) != 0) {
        /* grep exits 1 when there is nothing to show: check the compiled bench instead */
    }
    struct stat st;
    if (stat(vvp, &st) != 0) {
        fprintf(stderr, "test_rtl_icarus: iverilog failed: %s\n", cmd);
        return 1;
    }
    snprintf(cmd, sizeof cmd, "%s -n %s +vec=%s +out=%s >/dev/null", L0_VVP, vvp, vec, outp);
    if (system(cmd) != 0) {
        fprintf(stderr, "test_rtl_icarus: vvp failed: %s\n", cmd);
        return 1;
    }
    rtlv_out *ic = calloc(s.n_clusters + 16, sizeof *ic),
             *vl = calloc(s.n_clusters + 16, sizeof *vl);
    size_t n_ic = 0;
    FILE *f = fopen(outp, "r");
    unsigned long long clk, tag, raw;
    while (f && n_ic < s.n_clusters + 16 && fscanf(f, "%llu %llx %llx", &clk, &tag, &raw) == 3) {
        uint64_t u = raw;
        if (info->o_signed && info->ow < 64 && ((u >> (info->ow - 1)) & 1))
            u |= ~((1ULL << info->ow) - 1);
        ic[n_ic++] = (rtlv_out){clk, (uint32_t)tag, (int64_t)u};
    }
    if (f) fclose(f);
    size_t n_vl = rtlv_run_verilator(e, &s, vl, s.n_clusters + 16);
    int p_ic = rtlv_check(&s, ic, n_ic, "icarus", stderr);
    int p_vl = rtlv_check(&s, vl, n_vl, "verilator", stderr);
    int differ = n_ic != n_vl;
    for (size_t i = 0; !differ && i < n_ic; i++)
        differ = ic[i].clock != vl[i].clock || ic[i].tag != vl[i].tag || ic[i].raw != vl[i].raw;
    printf("test_rtl_icarus: model %s (L=%d): %zu clusters, %zu clocks; icarus %d problems, "
           "verilator %d problems; the two simulators %s\n",
           info->model_path, info->lanes, s.n_clusters, s.n_clocks, p_ic, p_vl,
           differ ? "DIFFER" : "agree output for output, clock for clock");
    snprintf(cmd, sizeof cmd, "rm -rf %s", dir);
    if (!p_ic && !p_vl && !differ && system(cmd) != 0)
        fprintf(stderr, "could not remove %s\n", dir);
    free(ic);
    free(vl);
    rtlv_free(&s);
    l0_rtl_engine_destroy(e);
    l0_model_free(&m);
    return (p_ic || p_vl || differ) ? 1 : 0;
}
