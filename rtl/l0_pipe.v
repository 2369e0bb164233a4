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
      // One flat shift register (stage k at bits [k*W +: W]); no memory, so every tool sees
      // plain flops.
      reg [W*Depth-1:0] sr_q;
      wire [W*Depth-1:0] sr_d;
      if (Depth == 1) begin : g_one
        assign sr_d = d_i;
      end else begin : g_many
        assign sr_d = {sr_q[W*(Depth-1)-1:0], d_i};
      end
      if (Reset != 0) begin : g_rst
        always @(posedge clk_i) begin
          if (!rst_ni) sr_q <= {(W * Depth) {1'b0}};
          else sr_q <= sr_d;
        end
      end else begin : g_norst
        /* verilator lint_off UNUSEDSIGNAL */
        wire unused = rst_ni;
        /* verilator lint_on UNUSEDSIGNAL */
        always @(posedge clk_i) sr_q <= sr_d;
      end
      assign q_o = sr_q[W*(Depth-1)+:W];
    end
  endgenerate
endmodule

`default_nettype wire
