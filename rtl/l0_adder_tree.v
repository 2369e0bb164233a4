// l0_adder_tree: the sum of N W-bit values, modulo 2^W (two's complement wrap, as the
// accumulator types of the numeric contract do), as a binary tree of ceil(log2 N) levels.
// A register follows every RegEvery-th level (RegEvery = 0: combinational), so the latency in
// clocks is Depth = (RegEvery > 0) ? ceil(log2 N) / RegEvery : 0 (integer division); the C
// latency formula (sim/l0_latency.h) uses the same expression.
`default_nettype none
// Arithmetic internals are not dumped to waves: the stage registers around them are.
/* verilator tracing_off */

module l0_adder_tree #(
    parameter integer N = 4,
    parameter integer W = 16,
    parameter integer RegEvery = 1
) (
    input  wire           clk_i,
    input  wire [N*W-1:0] in_i,
    output wire [  W-1:0] sum_o
);
  localparam integer Levels = (N > 1) ? $clog2(N) : 0;

  // Values alive after level l: ceil(N / 2^l).
  function automatic integer count(input integer l);
    count = (N + (1 << l) - 1) >> l;
  endfunction

  // node[l*N + i]: value i after level l (level 0 is the input). split_var lets Verilator see
  // the entries as separate signals (one array would look like a combinational loop to it).
  wire [W-1:0] node[0:(Levels+1)*N-1]  /*verilator split_var*/;

  genvar l, i;
  generate
    for (i = 0; i < N; i = i + 1) begin : g_in
      assign node[i] = in_i[i*W+:W];
    end
    for (l = 1; l <= Levels; l = l + 1) begin : g_level
      for (i = 0; i < count(l); i = i + 1) begin : g_node
        wire [W-1:0] s_d;
        if (2 * i + 1 < count(l - 1)) begin : g_add
          assign s_d = node[(l-1)*N+2*i] + node[(l-1)*N+2*i+1];
        end else begin : g_pass
          assign s_d = node[(l-1)*N+2*i];
        end
        if (RegEvery > 0 && (l % RegEvery) == 0) begin : g_reg
          reg [W-1:0] s_q;
          always @(posedge clk_i) s_q <= s_d;
          assign node[l*N+i] = s_q;
        end else begin : g_comb
          assign node[l*N+i] = s_d;
        end
      end
      // Unused slots of this level, tied off so that every array entry is driven.
      for (i = count(l); i < N; i = i + 1) begin : g_unused
        assign node[l*N+i] = {W{1'b0}};
      end
    end
  endgenerate

  assign sum_o = node[Levels*N];
  generate
    if (RegEvery == 0 || Levels < RegEvery) begin : g_noclk
      /* verilator lint_off UNUSEDSIGNAL */
      wire unused_clk = clk_i;  // no registered level for this N
      /* verilator lint_on UNUSEDSIGNAL */
    end
  endgenerate
endmodule

`default_nettype wire
