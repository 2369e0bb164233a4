// l0_dense: a fully parallel Dense layer with constant weights (so synthesis folds them into the
// multipliers), following the numeric contract of l0sim's golden model (model/l0_model.h):
// each exact product x_i * w_ji is cast to the accumulator type (AW, AF, ASigned, AQuant; the
// accumulator always wraps), the bias (given already cast to the accumulator type) joins them in
// a pipelined adder tree that wraps in AW bits, and the sum is cast to the result type
// (RW, RF, RSigned, RQuant, ROvf), then ReLU if Relu != 0.
//
// Pipeline: 1 clock for the products, the adder tree's depth (l0_adder_tree, NIn + 1 inputs),
// 1 clock for the result cast. Latency: 2 + ((RegEvery > 0) ? $clog2(NIn + 1) / RegEvery : 0).
`default_nettype none

module l0_dense #(
    parameter integer NIn = 4,
    parameter integer NOut = 4,
    parameter integer XW = 16,
    parameter integer XF = 10,
    parameter integer XSigned = 1,
    parameter integer WW = 16,
    parameter integer WF = 10,
    parameter integer WSigned = 1,
    parameter integer AW = 40,
    parameter integer AF = 20,
    parameter integer ASigned = 1,
    parameter integer AQuant = 0,
    parameter integer RW = 16,
    parameter integer RF = 10,
    parameter integer RSigned = 1,
    parameter integer RQuant = 0,
    parameter integer ROvf = 0,
    parameter integer Relu = 1,
    parameter integer RegEvery = 1,
    parameter [NOut*NIn*WW-1:0] Weights = {(NOut * NIn * WW) {1'b0}},  // w_ji at ((j*NIn)+i)*WW
    parameter [NOut*AW-1:0] Biases = {(NOut * AW) {1'b0}}  // accumulator-type raws
) (
    input  wire               clk_i,
    input  wire [ NIn*XW-1:0] x_i,
    output wire [NOut*RW-1:0] y_o
);
  localparam integer PW = XW + WW + 2;  // exact product of the sign-extended factors

  genvar j, i;
  generate
    for (j = 0; j < NOut; j = j + 1) begin : g_out
      wire [(NIn+1)*AW-1:0] terms;
      /* verilator tracing_off */
      for (i = 0; i < NIn; i = i + 1) begin : g_in
        wire [XW:0] xs = {(XSigned != 0) && x_i[i*XW+XW-1], x_i[i*XW+:XW]};
        localparam [WW-1:0] Wc = Weights[(j*NIn+i)*WW+:WW];
        wire [WW:0] ws = {(WSigned != 0) && Wc[WW-1], Wc};
        wire signed [PW-1:0] p = $signed(xs) * $signed(ws);
        wire [AW-1:0] pa_d;
        /* verilator lint_off UNUSEDSIGNAL */
        wire unused_ovf;  // the accumulator wraps; the golden model counts these, the RTL not
        /* verilator lint_on UNUSEDSIGNAL */
        l0_recast #(
            .InW(PW),
            .InF(XF + WF),
            .InSigned(1),
            .OutW(AW),
            .OutF(AF),
            .OutSigned(ASigned),
            .Quant(AQuant),
            .Ovf(0)
        ) u_cast_acc (
            .in_i (p),
            .out_o(pa_d),
            .ovf_o(unused_ovf)
        );
        reg [AW-1:0] pa_q;
        always @(posedge clk_i) pa_q <= pa_d;
        assign terms[i*AW+:AW] = pa_q;
      end
      assign terms[NIn*AW+:AW] = Biases[j*AW+:AW];
      /* verilator tracing_on */

      wire [AW-1:0] acc;
      l0_adder_tree #(
          .N(NIn + 1),
          .W(AW),
          .RegEvery(RegEvery)
      ) u_tree (
          .clk_i(clk_i),
          .in_i (terms),
          .sum_o(acc)
      );

      wire [RW-1:0] r_d;
      /* verilator lint_off UNUSEDSIGNAL */
      wire unused_rovf;
      /* verilator lint_on UNUSEDSIGNAL */
      l0_recast #(
          .InW(AW),
          .InF(AF),
          .InSigned(ASigned),
          .OutW(RW),
          .OutF(RF),
          .OutSigned(RSigned),
          .Quant(RQuant),
          .Ovf(ROvf)
      ) u_cast_res (
          .in_i (acc),
          .out_o(r_d),
          .ovf_o(unused_rovf)
      );
      reg [RW-1:0] y_q;
      always @(posedge clk_i)
        y_q <= (Relu != 0 && RSigned != 0 && r_d[RW-1]) ? {RW{1'b0}} : r_d;  // ReLU in result_t
      assign y_o[j*RW+:RW] = y_q;
    end
  endgenerate
endmodule

`default_nettype wire
