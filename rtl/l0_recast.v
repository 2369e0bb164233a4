// l0_recast: cast a fixed-point value from one ap_fixed type to another, exactly as ap_types
// (and l0sim's C golden model, model/l0_fx.h) do: quantize by Quant, then handle overflow by Ovf.
// Combinational; callers register the output where the pipeline needs it.
//
// Quant: 0 AP_TRN, 1 AP_TRN_ZERO, 2 AP_RND, 3 AP_RND_ZERO, 4 AP_RND_MIN_INF, 5 AP_RND_INF,
//        6 AP_RND_CONV.   Ovf: 0 AP_WRAP, 1 AP_SAT, 2 AP_SAT_ZERO, 3 AP_SAT_SYM.
// ovf_o is 1 when the overflow step changed the value.
`default_nettype none
// Arithmetic internals are not dumped to waves: the stage registers around them are.
/* verilator tracing_off */

module l0_recast #(
    parameter integer InW = 16,
    parameter integer InF = 10,
    parameter integer InSigned = 1,
    parameter integer OutW = 16,
    parameter integer OutF = 10,
    parameter integer OutSigned = 1,
    parameter integer Quant = 0,
    parameter integer Ovf = 0
) (
    input  wire [ InW-1:0] in_i,
    output wire [OutW-1:0] out_o,
    output wire            ovf_o
);
  localparam integer D = InF - OutF;  // > 0: drop D fractional bits; < 0: shift left
  localparam integer Sh = (D > 0) ? D : 0;
  localparam integer Ls = (D < 0) ? -D : 0;
  // Wide enough for the shifted input, the rounding carry and the output's bounds.
  localparam integer Qw = ((InW + Sh + Ls > OutW) ? (InW + Sh + Ls) : OutW) + 3;

  localparam [Qw-1:0] One = {{(Qw - 1) {1'b0}}, 1'b1};
  localparam [Qw-1:0] MaxV = (OutSigned != 0) ? ((One << (OutW - 1)) - One) : ((One << OutW) - One);
  localparam [Qw-1:0] MinV = (OutSigned != 0) ? (~(One << (OutW - 1)) + One) : {Qw{1'b0}};
  // Signed AP_SAT_SYM with W > 1 never produces the most negative value.
  localparam [Qw-1:0] LoV = (Ovf == 3 && OutSigned != 0 && OutW > 1) ? (~MaxV + One) : MinV;

  wire neg = (InSigned != 0) && in_i[InW-1];
  // The input sign- or zero-extended to Qw bits, then aligned: x * 2^Ls.
  wire [Qw-1:0] xe = {{(Qw - InW) {neg}}, in_i};
  wire [Qw-1:0] xa = xe << Ls;

  wire signed [Qw-1:0] q;
  generate
    if (Sh == 0) begin : g_noquant
      assign q = xa;
    end else begin : g_quant
      wire signed [Qw-1:0] fl = $signed(xa) >>> Sh;  // floor
      wire qb = xa[Sh-1];  // first dropped bit
      wire r;  // any later dropped bit
      if (Sh >= 2) begin : g_r
        assign r = |xa[Sh-2:0];
      end else begin : g_nor
        assign r = 1'b0;
      end
      reg inc;
      always @* begin
        case (Quant)
          1: inc = neg && (qb || r);  // AP_TRN_ZERO
          2: inc = qb;  // AP_RND
          3: inc = qb && (neg || r);  // AP_RND_ZERO
          4: inc = qb && r;  // AP_RND_MIN_INF
          5: inc = qb && (!neg || r);  // AP_RND_INF
          6: inc = qb && (fl[0] || r);  // AP_RND_CONV
          default: inc = 1'b0;  // AP_TRN
        endcase
      end
      assign q = fl + {{(Qw - 1) {1'b0}}, inc};
    end
  endgenerate

  wire above = q > $signed(MaxV);
  wire below = q < $signed(LoV);
  wire bad = above || below;
  reg [OutW-1:0] out_q;
  always @* begin
    if (!bad || Ovf == 0) out_q = q[OutW-1:0];  // in range, or AP_WRAP
    else if (Ovf == 2) out_q = {OutW{1'b0}};  // AP_SAT_ZERO
    else if (above) out_q = MaxV[OutW-1:0];  // AP_SAT, AP_SAT_SYM
    else out_q = LoV[OutW-1:0];
  end
  assign out_o = out_q;
  // The WRAP check uses [min, max]; LoV equals MinV for every mode but signed AP_SAT_SYM.
  assign ovf_o = bad;
endmodule

`default_nettype wire
