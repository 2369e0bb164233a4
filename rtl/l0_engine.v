// l0_engine: the DeepSets engine. A stream of cells comes in, Lanes cells per clock (one beat):
// valid_i, first_i / last_i (the first and last beat of a cluster), lane_valid_i (which lanes
// hold a real cell; only the last beat may be partial), the quantized features (input_t raws,
// lane l feature f at ((l*NFeat)+f)*XW) and a cluster tag. Each lane runs the phi network on its
// cell; KSum adds the phi outputs of the real cells; the rho network maps the sum to the
// calibrated energy, which leaves with its tag: valid_o, tag_o, energy_o (the output type's raw).
// One beat per clock, back-to-back clusters with no bubble; fixed latency (model/l0_rtl.h):
// DPhi + DKsum + DRho clocks from the last beat of a cluster to its output.
//
// The model (weights, widths, depths) comes in through l0_model_params.vh, l0_phi_net.v and l0_rho_net.v,
// which `l0sim export-rtl` writes from a model file at build time.
`default_nettype none

// Not every generated parameter is used here (CellsMax, XF, OF... document the model and let a
// test bench read them); they are declared all the same.
/* verilator lint_off UNUSEDPARAM */
module l0_engine #(
`include "l0_model_params.vh"
) (
/* verilator lint_on UNUSEDPARAM */
    input  wire                      clk_i,
    input  wire                      rst_ni,
    input  wire                      valid_i,
    input  wire                      first_i,
    input  wire                      last_i,
    input  wire [         Lanes-1:0] lane_valid_i,
    input  wire [Lanes*NFeat*XW-1:0] cells_i,
    input  wire [          TagW-1:0] tag_i,
    output wire                      valid_o,
    output wire [          TagW-1:0] tag_o,
    output wire [            OW-1:0] energy_o
);
  // --- phi, on every lane -------------------------------------------------------------------
  wire [Lanes*Units*PW-1:0] phi_q;
  genvar l, f;
  generate
    for (l = 0; l < Lanes; l = l + 1) begin : g_lane
      // Named views of the lane's features, for the waves (the save file shows them as
      // signed decimals).
      for (f = 0; f < NFeat; f = f + 1) begin : g_feat
        /* verilator lint_off UNUSEDSIGNAL */
        wire [XW-1:0] x = cells_i[(l*NFeat+f)*XW+:XW];
        /* verilator lint_on UNUSEDSIGNAL */
      end
      l0_phi_net u_phi (
          .clk_i(clk_i),
          .x_i  (cells_i[l*NFeat*XW+:NFeat*XW]),
          .y_o  (phi_q[l*Units*PW+:Units*PW])
      );
    end
  endgenerate

  // The beat's control travels beside the phi pipeline.
  wire valid_p;
  wire first_p, last_p;
  wire [Lanes-1:0] lanes_p;
  l0_pipe #(
      .W(1),
      .Depth(DPhi),
      .Reset(1)
  ) u_valid_phi (
      .clk_i (clk_i),
      .rst_ni(rst_ni),
      .d_i   (valid_i),
      .q_o   (valid_p)
  );
  l0_pipe #(
      .W(2 + Lanes),
      .Depth(DPhi),
      .Reset(0)
  ) u_ctl_phi (
      .clk_i (clk_i),
      .rst_ni(rst_ni),
      .d_i   ({first_i, last_i, lane_valid_i}),
      .q_o   ({first_p, last_p, lanes_p})
  );

  // --- KSum -----------------------------------------------------------------------------------
  wire ksum_valid;
  wire [Units*KW-1:0] ksum_q;
  l0_ksum #(
      .Lanes(Lanes),
      .Units(Units),
      .PW(PW),
      .PF(PF),
      .PSigned(PSigned),
      .SW(SW),
      .KW(KW),
      .KF(KF),
      .KSigned(KSigned),
      .KQuant(KQuant),
      .KOvf(KOvf),
      .RegEvery(RegEvery),
      .PadCells(PadCells),
      .PadPhi(PadPhi)
  ) u_ksum (
      .clk_i       (clk_i),
      .rst_ni      (rst_ni),
      .valid_i     (valid_p),
      .first_i     (first_p),
      .last_i      (last_p),
      .lane_valid_i(lanes_p),
      .phi_i       (phi_q),
      .valid_o     (ksum_valid),
      .ksum_o      (ksum_q)
  );

  // --- rho --------------------------------------------------------------------------------------
  l0_rho_net u_rho (
      .clk_i(clk_i),
      .x_i  (ksum_q),
      .y_o  (energy_o)
  );
  l0_pipe #(
      .W(1),
      .Depth(DRho),
      .Reset(1)
  ) u_valid_rho (
      .clk_i (clk_i),
      .rst_ni(rst_ni),
      .d_i   (ksum_valid),
      .q_o   (valid_o)
  );

  // The tag of a cluster is taken on its last beat and follows it to the output.
  l0_pipe #(
      .W(TagW),
      .Depth(DPhi + DKsum + DRho),
      .Reset(0)
  ) u_tag (
      .clk_i (clk_i),
      .rst_ni(rst_ni),
      .d_i   (tag_i),
      .q_o   (tag_o)
  );
endmodule

`default_nettype wire
