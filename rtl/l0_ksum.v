// l0_ksum: KSum, the sum of the phi outputs over a cluster's real cells. Each clock brings up to
// Lanes cells' phi vectors (lane_valid_i marks the real ones; padding lanes add nothing). A lane
// adder tree sums them exactly (SW bits), an accumulator adds the beats of the cluster (first_i
// restarts it, so clusters may follow each other with no gap), and on the last beat the exact
// sum is cast once to ksum_t (KW, KF, KSigned, KQuant, KOvf). Latency from a beat to valid_o for
// its cluster's last beat: tree depth + 1 (model/l0_rtl.h, l0_rtl_ksum_depth).
// Padding (PadCells > 0, the reference study's way): a cluster with n < PadCells real cells also
// sums PadCells - n padded rows, each adding the constant PadPhi (a padded row's phi output), so
// on the last beat (PadCells - n) * PadPhi joins the exact sum before the cast. SW holds it: the
// rows summed never exceed the model's cells_max.
`default_nettype none

module l0_ksum #(
    parameter integer Lanes = 2,
    parameter integer Units = 16,
    parameter integer PW = 16,
    parameter integer PF = 10,
    parameter integer PSigned = 1,
    parameter integer SW = 24,
    parameter integer KW = 16,
    parameter integer KF = 10,
    parameter integer KSigned = 1,
    parameter integer KQuant = 0,
    parameter integer KOvf = 0,
    parameter integer RegEvery = 1,
    parameter integer PadCells = 0,
    parameter [Units*PW-1:0] PadPhi = {Units * PW{1'b0}}
) (
    input  wire                     clk_i,
    input  wire                     rst_ni,
    input  wire                     valid_i,
    input  wire                     first_i,
    input  wire                     last_i,
    input  wire [        Lanes-1:0] lane_valid_i,
    input  wire [Lanes*Units*PW-1:0] phi_i,  // lane l, unit u at ((l*Units)+u)*PW
    output wire                     valid_o,
    output wire [     Units*KW-1:0] ksum_o
);
  localparam integer DTree = (RegEvery > 0 && Lanes > 1) ? $clog2(Lanes) / RegEvery : 0;

  wire valid_t, first_t, last_t;
  l0_pipe #(
      .W(1),
      .Depth(DTree),
      .Reset(1)
  ) u_valid (
      .clk_i (clk_i),
      .rst_ni(rst_ni),
      .d_i   (valid_i),
      .q_o   (valid_t)
  );
  l0_pipe #(
      .W(2),
      .Depth(DTree),
      .Reset(0)
  ) u_ctl (
      .clk_i (clk_i),
      .rst_ni(rst_ni),
      .d_i   ({first_i, last_i}),
      .q_o   ({first_t, last_t})
  );

  // Real cells of the cluster so far (for the padding): each beat's count travels beside the
  // lane tree. CW bits count a cluster's cells (at most cells_max <= 128).
  localparam integer CW = 8;
  function automatic [CW-1:0] popcount(input [Lanes-1:0] v);
    integer i;
    begin
      popcount = {CW{1'b0}};
      for (i = 0; i < Lanes; i = i + 1) popcount = popcount + {{(CW - 1) {1'b0}}, v[i]};
    end
  endfunction
  // n * v modulo 2^SW (shift and add: v is a constant, so this is a small constant multiplier)
  /* verilator lint_off UNUSEDSIGNAL */
  function automatic [SW-1:0] mul_sw(input [CW-1:0] n, input [SW-1:0] v);
    integer i;
    begin
      mul_sw = {SW{1'b0}};
      for (i = 0; i < CW; i = i + 1) if (n[i]) mul_sw = mul_sw + (v << i);
    end
  endfunction
  /* verilator lint_on UNUSEDSIGNAL */
  // The padded rows of the cluster: PadCells - n (0 when n >= PadCells, and without padding,
  // where the counter is not built at all).
  /* verilator lint_off UNUSEDSIGNAL */
  wire [CW-1:0] pad_n;  // unused without padding
  /* verilator lint_on UNUSEDSIGNAL */
  generate
    if (PadCells > 0) begin : g_count
      /* verilator lint_off WIDTH */
      localparam [CW-1:0] PadC = PadCells;  // PadCells <= cells_max <= 128
      /* verilator lint_on WIDTH */
      wire [CW-1:0] pc_t;
      l0_pipe #(
          .W(CW),
          .Depth(DTree),
          .Reset(0)
      ) u_count (
          .clk_i (clk_i),
          .rst_ni(rst_ni),
          .d_i   (popcount(lane_valid_i)),
          .q_o   (pc_t)
      );
      reg [CW-1:0] cnt_q;
      wire [CW-1:0] cnt = first_t ? pc_t : cnt_q + pc_t;
      always @(posedge clk_i) if (valid_t) cnt_q <= cnt;
      assign pad_n = cnt < PadC ? PadC - cnt : {CW{1'b0}};
    end else begin : g_nocount
      assign pad_n = {CW{1'b0}};
    end
  endgenerate

  reg valid_q;
  always @(posedge clk_i) begin
    if (!rst_ni) valid_q <= 1'b0;
    else valid_q <= valid_t && last_t;
  end
  assign valid_o = valid_q;

  genvar u, l;
  generate
    for (u = 0; u < Units; u = u + 1) begin : g_unit
      wire [Lanes*SW-1:0] terms;
      for (l = 0; l < Lanes; l = l + 1) begin : g_lane
        wire [PW-1:0] p = phi_i[(l*Units+u)*PW+:PW];
        wire ext = (PSigned != 0) && p[PW-1];
        assign terms[l*SW+:SW] = lane_valid_i[l] ? {{(SW - PW) {ext}}, p} : {SW{1'b0}};
      end
      wire [SW-1:0] s;
      l0_adder_tree #(
          .N(Lanes),
          .W(SW),
          .RegEvery(RegEvery)
      ) u_lanes (
          .clk_i(clk_i),
          .in_i (terms),
          .sum_o(s)
      );
      reg  [SW-1:0] acc_q;
      wire [SW-1:0] tot = first_t ? s : acc_q + s;
      always @(posedge clk_i) if (valid_t) acc_q <= tot;
      // The padded rows' share, (PadCells - n) * PadPhi, modulo 2^SW (exact: the total fits).
      wire [SW-1:0] cast_in;
      if (PadCells > 0) begin : g_pad
        wire [PW-1:0] pp = PadPhi[u*PW+:PW];
        wire pext = (PSigned != 0) && pp[PW-1];
        wire [SW-1:0] pad_sw = {{(SW - PW) {pext}}, pp};
        assign cast_in = tot + mul_sw(pad_n, pad_sw);
      end else begin : g_nopad
        assign cast_in = tot;
      end
      wire [KW-1:0] k_d;
      /* verilator lint_off UNUSEDSIGNAL */
      wire unused_ovf;
      /* verilator lint_on UNUSEDSIGNAL */
      l0_recast #(
          .InW(SW),
          .InF(PF),
          .InSigned(1),
          .OutW(KW),
          .OutF(KF),
          .OutSigned(KSigned),
          .Quant(KQuant),
          .Ovf(KOvf)
      ) u_cast (
          .in_i (cast_in),
          .out_o(k_d),
          .ovf_o(unused_ovf)
      );
      reg [KW-1:0] k_q;
      always @(posedge clk_i) if (valid_t && last_t) k_q <= k_d;
      assign ksum_o[u*KW+:KW] = k_q;
    end
  endgenerate
endmodule

`default_nettype wire
