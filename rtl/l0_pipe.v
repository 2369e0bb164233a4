// l0_pipe: a W-bit delay line of Depth clocks (Depth = 0: a wire). With Reset != 0 the stages
// clear on rst_ni (for valid bits); data stages need no reset.
`default_nettype none

module l0_pipe #(
    parameter integer W = 1,
    parameter integer Depth = 1,
    parameter integer Reset = 0
) (
    input  wire         clk_i,
    input  wire         rst_ni,
    input  wire [W-1:0] d_i,
    output wire [W-1:0] q_o
);
  generate
    if (Depth == 0) begin : g_wire
      assign q_o = d_i;
      /* verilator lint_off UNUSEDSIGNAL */
      wire unused = clk_i ^ rst_ni;
      /* verilator lint_on UNUSEDSIGNAL */
    end else begin : g_regs
      reg [W-1:0] stage_q[0:Depth-1];
      integer k;
      if (Reset != 0) begin : g_rst
        always @(posedge clk_i) begin
          if (!rst_ni) begin
            for (k = 0; k < Depth; k = k + 1) stage_q[k] <= {W{1'b0}};
          end else begin
            stage_q[0] <= d_i;
            for (k = 1; k < Depth; k = k + 1) stage_q[k] <= stage_q[k-1];
          end
        end
      end else begin : g_norst
        /* verilator lint_off UNUSEDSIGNAL */
        wire unused = rst_ni;
        /* verilator lint_on UNUSEDSIGNAL */
        always @(posedge clk_i) begin
          stage_q[0] <= d_i;
          for (k = 1; k < Depth; k = k + 1) stage_q[k] <= stage_q[k-1];
        end
      end
      assign q_o = stage_q[Depth-1];
    end
  endgenerate
endmodule

`default_nettype wire
