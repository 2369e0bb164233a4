/* The l0_recast configurations the RTL test checks: the one table from which the Verilog test top
 * is generated (gen_recast_top.c) and against which the C golden casts are computed. Each row:
 * input type, output type (as ap_fixed strings). Inputs are swept over every raw of the input
 * type (input W <= 16). */
#ifndef RECAST_CASES_H
#define RECAST_CASES_H

static const char *const RECAST_CASES[][2] = {
    /* every quantization and overflow mode on one narrowing cast */
    {"ap_fixed<12,4>", "ap_fixed<6,3,AP_TRN,AP_WRAP>"},
    {"ap_fixed<12,4>", "ap_fixed<6,3,AP_TRN,AP_SAT>"},
    {"ap_fixed<12,4>", "ap_fixed<6,3,AP_TRN,AP_SAT_ZERO>"},
    {"ap_fixed<12,4>", "ap_fixed<6,3,AP_TRN,AP_SAT_SYM>"},
    {"ap_fixed<12,4>", "ap_fixed<6,3,AP_TRN_ZERO,AP_WRAP>"},
    {"ap_fixed<12,4>", "ap_fixed<6,3,AP_TRN_ZERO,AP_SAT>"},
    {"ap_fixed<12,4>", "ap_fixed<6,3,AP_TRN_ZERO,AP_SAT_ZERO>"},
    {"ap_fixed<12,4>", "ap_fixed<6,3,AP_TRN_ZERO,AP_SAT_SYM>"},
    {"ap_fixed<12,4>", "ap_fixed<6,3,AP_RND,AP_WRAP>"},
    {"ap_fixed<12,4>", "ap_fixed<6,3,AP_RND,AP_SAT>"},
    {"ap_fixed<12,4>", "ap_fixed<6,3,AP_RND,AP_SAT_ZERO>"},
    {"ap_fixed<12,4>", "ap_fixed<6,3,AP_RND,AP_SAT_SYM>"},
    {"ap_fixed<12,4>", "ap_fixed<6,3,AP_RND_ZERO,AP_WRAP>"},
    {"ap_fixed<12,4>", "ap_fixed<6,3,AP_RND_ZERO,AP_SAT>"},
    {"ap_fixed<12,4>", "ap_fixed<6,3,AP_RND_ZERO,AP_SAT_ZERO>"},
    {"ap_fixed<12,4>", "ap_fixed<6,3,AP_RND_ZERO,AP_SAT_SYM>"},
    {"ap_fixed<12,4>", "ap_fixed<6,3,AP_RND_MIN_INF,AP_WRAP>"},
    {"ap_fixed<12,4>", "ap_fixed<6,3,AP_RND_MIN_INF,AP_SAT>"},
    {"ap_fixed<12,4>", "ap_fixed<6,3,AP_RND_MIN_INF,AP_SAT_ZERO>"},
    {"ap_fixed<12,4>", "ap_fixed<6,3,AP_RND_MIN_INF,AP_SAT_SYM>"},
    {"ap_fixed<12,4>", "ap_fixed<6,3,AP_RND_INF,AP_WRAP>"},
    {"ap_fixed<12,4>", "ap_fixed<6,3,AP_RND_INF,AP_SAT>"},
    {"ap_fixed<12,4>", "ap_fixed<6,3,AP_RND_INF,AP_SAT_ZERO>"},
    {"ap_fixed<12,4>", "ap_fixed<6,3,AP_RND_INF,AP_SAT_SYM>"},
    {"ap_fixed<12,4>", "ap_fixed<6,3,AP_RND_CONV,AP_WRAP>"},
    {"ap_fixed<12,4>", "ap_fixed<6,3,AP_RND_CONV,AP_SAT>"},
    {"ap_fixed<12,4>", "ap_fixed<6,3,AP_RND_CONV,AP_SAT_ZERO>"},
    {"ap_fixed<12,4>", "ap_fixed<6,3,AP_RND_CONV,AP_SAT_SYM>"},
    /* signed to unsigned, unsigned to signed */
    {"ap_fixed<12,4>", "ap_ufixed<6,3,AP_RND,AP_SAT>"},
    {"ap_fixed<12,4>", "ap_ufixed<6,3,AP_RND,AP_WRAP>"},
    {"ap_fixed<12,4>", "ap_ufixed<6,3,AP_TRN_ZERO,AP_SAT_SYM>"},
    {"ap_fixed<12,4>", "ap_ufixed<6,3,AP_RND_CONV,AP_SAT_ZERO>"},
    {"ap_ufixed<10,4>", "ap_fixed<6,2,AP_RND_CONV,AP_SAT_SYM>"},
    {"ap_ufixed<10,4>", "ap_fixed<6,3,AP_RND_INF,AP_WRAP>"},
    {"ap_ufixed<10,4>", "ap_ufixed<5,2,AP_RND,AP_SAT>"},
    /* widening, and shifts left that overflow */
    {"ap_fixed<8,4>", "ap_fixed<16,6>"},
    {"ap_fixed<8,4>", "ap_fixed<16,6,AP_RND,AP_SAT>"},
    {"ap_fixed<8,6>", "ap_fixed<10,2,AP_TRN,AP_SAT>"},
    {"ap_fixed<8,6>", "ap_fixed<10,2,AP_TRN,AP_WRAP>"},
    {"ap_fixed<16,14>", "ap_fixed<4,-3,AP_RND,AP_SAT_SYM>"},
    {"ap_fixed<16,14>", "ap_ufixed<4,-3,AP_RND,AP_WRAP>"},
    /* dropping more bits than the input has */
    {"ap_fixed<16,-2>", "ap_fixed<4,4,AP_RND,AP_SAT>"},
    {"ap_fixed<16,-2>", "ap_fixed<4,4,AP_TRN,AP_WRAP>"},
    {"ap_fixed<16,-2>", "ap_fixed<4,4,AP_RND_CONV,AP_SAT>"},
    /* W = 1, and I > W */
    {"ap_fixed<8,4>", "ap_fixed<1,1,AP_RND,AP_SAT_SYM>"},
    {"ap_fixed<8,4>", "ap_ufixed<1,1,AP_RND_INF,AP_SAT>"},
    {"ap_fixed<12,8>", "ap_fixed<4,6,AP_RND_INF,AP_SAT>"},
    {"ap_fixed<12,8>", "ap_fixed<4,6,AP_RND_ZERO,AP_WRAP>"},
    /* the layer casts of the default model: product to accumulator, accumulator to result */
    {"ap_fixed<16,6>", "ap_fixed<16,6,AP_RND,AP_SAT>"},
    {"ap_fixed<16,2>", "ap_fixed<16,6,AP_RND,AP_SAT>"},
    {"ap_fixed<16,10>", "ap_fixed<8,3,AP_RND,AP_SAT>"},
};

#define RECAST_NCASES (sizeof RECAST_CASES / sizeof RECAST_CASES[0])

#endif
