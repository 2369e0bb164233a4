#include "rtl_icarus.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "l0_progress.h"

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

long rtlv_run_icarus(const rtlv_set *s, const l0_rtl_engine_info *info, const char *rtl_dir,
                     const char *gen_dir, const char *iverilog, const char *vvp_bin, rtlv_out *out,
                     size_t cap, double *seconds, l0_err *err) {
    char dir[] = "/tmp/l0sim-icarus-XXXXXX";
    if (!mkdtemp(dir)) return l0_err_set(err, "cannot make a temporary directory");
    char vec[256], outp[256], tb[256], vvp[256], cmd[8192];
    snprintf(vec, sizeof vec, "%s/vectors.hex", dir);
    snprintf(outp, sizeof outp, "%s/out.txt", dir);
    snprintf(tb, sizeof tb, "%s/tb_engine.v", dir);
    snprintf(vvp, sizeof vvp, "%s/tb.vvp", dir);
    long n = -1;
    if (rtlv_write_hex(s, info, vec, err)) goto done;
    if (write_tb(tb, info, s->n_clocks)) {
        l0_err_set(err, "%s: cannot write the test bench", tb);
        goto done;
    }
    int k = snprintf(cmd, sizeof cmd,
                     "%s -g2005 -Wall -I%s -y%s -o %s %s %s/l0_phi_net.v %s/l0_rho_net.v", iverilog,
                     gen_dir, gen_dir, vvp, tb, gen_dir, gen_dir);
    for (size_t i = 0; i < sizeof RTL_FILES / sizeof RTL_FILES[0]; i++)
        k += snprintf(cmd + k, sizeof cmd - (size_t)k, " %s/%s", rtl_dir, RTL_FILES[i]);
    snprintf(cmd + k, sizeof cmd - (size_t)k, " 2>%s/iverilog.log", dir);
    struct stat st;
    if (system(cmd) != 0 || stat(vvp, &st) != 0) {
        l0_err_set(err, "iverilog failed: see %s/iverilog.log", dir);
        goto done;
    }
    snprintf(cmd, sizeof cmd, "%s -n %s +vec=%s +out=%s >/dev/null", vvp_bin, vvp, vec, outp);
    double t0 = l0_now();
    if (system(cmd) != 0) {
        l0_err_set(err, "vvp failed: %s", cmd);
        goto done;
    }
    if (seconds) *seconds = l0_now() - t0;
    FILE *f = fopen(outp, "r");
    unsigned long long clk, tag, raw;
    n = 0;
    while (f && (size_t)n < cap && fscanf(f, "%llu %llx %llx", &clk, &tag, &raw) == 3) {
        uint64_t u = raw;
        if (info->o_signed && info->ow < 64 && ((u >> (info->ow - 1)) & 1))
            u |= ~((1ULL << info->ow) - 1);
        out[n++] = (rtlv_out){clk, (uint32_t)tag, (int64_t)u};
    }
    if (f) fclose(f);
    snprintf(cmd, sizeof cmd, "rm -rf %s", dir);
    if (system(cmd) != 0) fprintf(stderr, "could not remove %s\n", dir);
done:
    return n;
}
