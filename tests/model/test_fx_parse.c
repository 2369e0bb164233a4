/* test_fx_parse: parsing and formatting of l0_fx types and values.
 *
 * - l0_fx_parse: every documented spelling (ap_fixed, ap_ufixed, fixed, ufixed, ap_int,
 *   ap_uint, int, uint; modes with or without AP_; a fifth parameter 0; spaces), and a long list
 *   of bad spellings, each of which must give L0_FX_EPARSE (or L0_FX_ERANGE) with a non-empty
 *   message;
 * - l0_fx_type_str: canonical spellings, snprintf-like length and truncation, and a round trip
 *   type -> string -> type for every W and many I, signednesses and modes;
 * - l0_fx_quant_name / l0_fx_ovf_name; l0_fx_type_make bounds;
 * - l0_fx_bits_str: the documented examples (-18.375 in ap_fixed<16,6>, I >= W, I <= 0),
 *   unsigned, W = 64, I = +-1024, small buffers;
 * - l0_fx_value_str: exact decimals for -63 <= F <= 64 (examples, and random values against an
 *   own exact decimal expansion), the '~' form outside;
 * - l0_fx_parse_raw: decimal, 0x and 0b inputs, range limits, bad inputs, random round trips.
 * Buffers given to the formatters are heap blocks of exactly the size passed, so that the
 * sanitizer build catches any write past them. */
#include <errno.h>

#include "fx_ref.h"

static ref_report rep;
static ref_rng rng = {UINT64_C(0x9A25E0000000F00D)};

static bool same_type(const l0_fx_type *a, const l0_fx_type *b) {
    return a->w == b->w && a->i == b->i && a->is_signed == b->is_signed && a->q == b->q &&
           a->o == b->o;
}

/* --- l0_fx_parse: good spellings -------------------------------------------------------------- */

static void good(const char *s, int w, int i, bool sgn, l0_fx_quant q, l0_fx_ovf o) {
    l0_fx_type t, e = ref_type(w, i, sgn, q, o);
    memset(&t, 0xA5, sizeof t);
    l0_err err;
    err.msg[0] = 0;
    int rc = l0_fx_parse(s, &t, &err);
    char es[96], gs[96];
    ref_check(&rep, rc == 0 && same_type(&t, &e), "parse \"%s\": expected %s, got rc=%d %s (%s)", s,
              ref_tstr(&e, es, sizeof es), rc, rc == 0 ? ref_tstr(&t, gs, sizeof gs) : "-",
              err.msg);
}

static void test_good(void) {
    const bool S = true, U = false;
    good("ap_fixed<16,6>", 16, 6, S, L0_FX_TRN, L0_FX_WRAP);
    good("ap_fixed<16,6,AP_RND,AP_SAT>", 16, 6, S, L0_FX_RND, L0_FX_SAT);
    good("ap_ufixed<8,0>", 8, 0, U, L0_FX_TRN, L0_FX_WRAP);
    good("fixed<16,6>", 16, 6, S, L0_FX_TRN, L0_FX_WRAP);
    good("fixed<16,6,RND,SAT>", 16, 6, S, L0_FX_RND, L0_FX_SAT);
    good("ufixed<10,-3,RND_CONV,SAT_SYM>", 10, -3, U, L0_FX_RND_CONV, L0_FX_SAT_SYM);
    good("ufixed<8,0>", 8, 0, U, L0_FX_TRN, L0_FX_WRAP);
    good("ap_int<8>", 8, 8, S, L0_FX_TRN, L0_FX_WRAP);
    good("ap_uint<8>", 8, 8, U, L0_FX_TRN, L0_FX_WRAP);
    good("int<12>", 12, 12, S, L0_FX_TRN, L0_FX_WRAP);
    good("uint<1>", 1, 1, U, L0_FX_TRN, L0_FX_WRAP);
    good("ap_int<64>", 64, 64, S, L0_FX_TRN, L0_FX_WRAP);
    good("ap_uint<64>", 64, 64, U, L0_FX_TRN, L0_FX_WRAP);
    good("ap_int<1>", 1, 1, S, L0_FX_TRN, L0_FX_WRAP);
    good("ap_fixed < 16 , 6 >", 16, 6, S, L0_FX_TRN, L0_FX_WRAP);
    good("ap_fixed<16, 6, AP_RND, AP_SAT>", 16, 6, S, L0_FX_RND, L0_FX_SAT);
    good("ap_fixed< 16 ,6 ,AP_RND_ZERO ,AP_SAT_ZERO ,0 >", 16, 6, S, L0_FX_RND_ZERO,
         L0_FX_SAT_ZERO);
    good("ap_int< 8 >", 8, 8, S, L0_FX_TRN, L0_FX_WRAP);
    good(" ap_fixed<16,6> ", 16, 6, S, L0_FX_TRN, L0_FX_WRAP);
    good("  fixed < 16 , 6 , RND , SAT , 0 >  ", 16, 6, S, L0_FX_RND, L0_FX_SAT);
    good("ap_fixed<16,6,AP_RND,AP_SAT,0>", 16, 6, S, L0_FX_RND, L0_FX_SAT);
    good("ap_fixed<16,6,AP_TRN_ZERO>", 16, 6, S, L0_FX_TRN_ZERO, L0_FX_WRAP);
    good("ap_fixed<16,6,RND_MIN_INF>", 16, 6, S, L0_FX_RND_MIN_INF, L0_FX_WRAP);
    good("fixed<16,6,AP_RND_INF,SAT>", 16, 6, S, L0_FX_RND_INF, L0_FX_SAT);
    good("fixed<16,6,RND,AP_SAT_SYM>", 16, 6, S, L0_FX_RND, L0_FX_SAT_SYM);
    good("ap_fixed<8,-3>", 8, -3, S, L0_FX_TRN, L0_FX_WRAP);
    good("ap_fixed<1,1024>", 1, 1024, S, L0_FX_TRN, L0_FX_WRAP);
    good("ap_fixed<64,-1024>", 64, -1024, S, L0_FX_TRN, L0_FX_WRAP);
    good("ap_ufixed<64,64>", 64, 64, U, L0_FX_TRN, L0_FX_WRAP);
    good("ap_ufixed<1,-1024,AP_RND_MIN_INF,AP_WRAP>", 1, -1024, U, L0_FX_RND_MIN_INF, L0_FX_WRAP);
    good("ap_fixed<1,1>", 1, 1, S, L0_FX_TRN, L0_FX_WRAP);
    good("ap_fixed<16,20>", 16, 20, S, L0_FX_TRN, L0_FX_WRAP);
    /* every mode name, with and without the prefix */
    for (int q = 0; q < L0_FX_QUANT_COUNT; q++) {
        for (int o = 0; o < L0_FX_OVF_COUNT; o++) {
            char s[128];
            snprintf(s, sizeof s, "ap_fixed<12,4,%s,%s>", ref_qname[q], ref_oname[o]);
            good(s, 12, 4, S, (l0_fx_quant)q, (l0_fx_ovf)o);
            snprintf(s, sizeof s, "ufixed<12,4,%s,%s,0>", ref_qname[q] + 3, ref_oname[o] + 3);
            good(s, 12, 4, U, (l0_fx_quant)q, (l0_fx_ovf)o);
        }
    }
}

/* --- l0_fx_parse: bad spellings --------------------------------------------------------------- */

static int n_bad_shown;
static void bad(const char *s) {
    l0_fx_type t;
    memset(&t, 0, sizeof t);
    l0_err err;
    err.msg[0] = 0;
    int rc = l0_fx_parse(s, &t, &err);
    char ts[96];
    if (ref_check(&rep, (rc == L0_FX_EPARSE || rc == L0_FX_ERANGE) && err.msg[0] != 0,
                  "parse \"%s\": expected L0_FX_EPARSE and a message, got rc=%d (%s) msg \"%s\"", s,
                  rc, rc == 0 ? ref_tstr(&t, ts, sizeof ts) : "-", err.msg) &&
        n_bad_shown < 6) {
        n_bad_shown++;
        printf("  e.g. parse \"%s\": %s\n", s, err.msg);
    }
}

static void test_bad(void) {
    static const char *const bads[] = {
        "",
        " ",
        "ap_fixed",
        "ap_fixed<>",
        "ap_fixed<16>",
        "ap_fixed<16,>",
        "ap_fixed<,6>",
        "ap_fixed<16,6",
        "ap_fixed<16,6,AP_RND,AP_SAT",
        "ap_fixed16,6>",
        "ap_fixed(16,6)",
        "ap_fixed<16,6>>",
        "ap_fixed<<16,6>",
        "ap_fixed<16,6>x",
        "ap_fixed<16,6> x",
        "ap_fixed<16,6>;",
        "ap_fixed<16,6>,",
        "ap_fixed<16 6>",
        "ap_fixed<16;6>",
        "ap_fixed<1 6,6>",
        "ap_fixed<16,6 0>",
        "ap_fixed<16,--6>",
        "ap_fixed<16,6-2>",
        "ap_fixed<a,6>",
        "ap_fixed<16,b>",
        "ap_fixed<16.0,6>",
        "ap_fixed<16,6.5>",
        "ap_fixed<1e1,6>",
        "ap_fixed<0x10,6>",
        "ap_fixed<0,0>",
        "ap_fixed<0,6>",
        "ap_fixed<-1,0>",
        "ap_fixed<-16,6>",
        "ap_fixed<65,6>",
        "ap_fixed<128,6>",
        "ap_fixed<4294967312,6>",  /* 2^32 + 16 */
        "ap_fixed<16,4294967302>", /* 2^32 + 6 */
        "ap_fixed<18446744073709551632,6>",
        "ap_fixed<99999999999999999999999999,6>",
        "ap_fixed<16,1025>",
        "ap_fixed<16,-1025>",
        "ap_fixed<16,100000>",
        "ap_fixed<16,6,>",
        "ap_fixed<16,6,,>",
        "ap_fixed<16,6,,AP_SAT>",
        "ap_fixed<16,6,AP_RND,>",
        "ap_fixed<16,6,AP_RND, >",
        "ap_fixed<16,6,AP_RND,AP_SAT,>",
        "ap_fixed<16,6,AP_FOO>",
        "ap_fixed<16,6,AP_RND,AP_BAR>",
        "ap_fixed<16,6,AP_SAT>",
        "ap_fixed<16,6,AP_RND,AP_RND>",
        "ap_fixed<16,6,AP_WRAP,AP_TRN>",
        "ap_fixed<16,6,AP_RND SAT>",
        "ap_fixed<16,6,AP_RND AP_SAT>",
        "ap_fixed<16,6,AP_RNDX>",
        "ap_fixed<16,6,AP_RN>",
        "ap_fixed<16,6,AP_>",
        "ap_fixed<16,6,AP_AP_RND>",
        "ap_fixed<16,6,_RND>",
        "ap_fixed<16,6,ap_rnd,ap_sat>",
        "ap_fixed<16,6,Rnd>",
        "ap_fixed<16,6,AP_RND,AP_SAT,1>",
        "ap_fixed<16,6,AP_RND,AP_SAT,-1>",
        "ap_fixed<16,6,AP_RND,AP_SAT,8>",
        "ap_fixed<16,6,AP_RND,AP_SAT,0,0>",
        "ap_fixed<16,6,AP_RND,AP_SAT,0,AP_RND>",
        "ap_fixed<16,6,AP_RND,AP_SAT,x>",
        "ap_fixed<16,6,AP_RND,AP_SAT,0x0>",
        "ap_fixed<16,6,AP_RND,AP_SAT,0>junk",
        "fixed<16,6,RND,SAT,3>",
        "ap_fixedd<16,6>",
        "ap_fixe<16,6>",
        "xap_fixed<16,6>",
        "ap_ fixed<16,6>",
        "AP_FIXED<16,6>",
        "ap_float<16,6>",
        "fixed16,6",
        "<16,6>",
        "16,6",
        "ap_int",
        "ap_int<>",
        "ap_int<0>",
        "ap_int<65>",
        "ap_int<-8>",
        "ap_int<8,2>",
        "ap_int<8,AP_RND>",
        "ap_int<8>>",
        "ap_uint<0>",
        "ap_uint<65>",
        "int<0>",
        "int<8,8>",
        "uint<65>",
        "uint<>",
        "ap_int<8",
        "ap_int<8>x",
    };
    for (size_t k = 0; k < sizeof bads / sizeof bads[0]; k++) bad(bads[k]);
}

/* --- names, make, canonical strings, round trips ---------------------------------------------- */

static void test_names_make(void) {
    for (int q = 0; q < L0_FX_QUANT_COUNT; q++) {
        const char *g = l0_fx_quant_name((l0_fx_quant)q);
        ref_check(&rep, g && strcmp(g, ref_qname[q]) == 0,
                  "l0_fx_quant_name(%d): expected %s, got %s", q, ref_qname[q], g ? g : "(null)");
    }
    for (int o = 0; o < L0_FX_OVF_COUNT; o++) {
        const char *g = l0_fx_ovf_name((l0_fx_ovf)o);
        ref_check(&rep, g && strcmp(g, ref_oname[o]) == 0,
                  "l0_fx_ovf_name(%d): expected %s, got %s", o, ref_oname[o], g ? g : "(null)");
    }
    static const int ws[] = {-1, 0, 1, 2, 32, 63, 64, 65, 1000};
    static const int is[] = {-2000, -1025, -1024, -1023, -1, 0, 1, 64, 1023, 1024, 1025};
    for (size_t a = 0; a < sizeof ws / sizeof ws[0]; a++) {
        for (size_t b = 0; b < sizeof is / sizeof is[0]; b++) {
            for (int s = 0; s < 2; s++) {
                int w = ws[a], i = is[b];
                bool ok = w >= 1 && w <= 64 && i >= -1024 && i <= 1024;
                l0_fx_type t;
                memset(&t, 0, sizeof t);
                l0_err err;
                err.msg[0] = 0;
                int rc = l0_fx_type_make(&t, w, i, s, L0_FX_RND_CONV, L0_FX_SAT_SYM, &err);
                l0_fx_type e = ref_type(w, i, s, L0_FX_RND_CONV, L0_FX_SAT_SYM);
                if (ok)
                    ref_check(&rep, rc == 0 && same_type(&t, &e),
                              "l0_fx_type_make(w=%d, i=%d, signed=%d): expected OK, got rc=%d (%s)",
                              w, i, s, rc, err.msg);
                else
                    ref_check(&rep, rc == L0_FX_ERANGE && err.msg[0],
                              "l0_fx_type_make(w=%d, i=%d, signed=%d): expected L0_FX_ERANGE and a "
                              "message, got rc=%d (%s)",
                              w, i, s, rc, err.msg);
            }
        }
    }
}

static void canon(int w, int i, bool s, l0_fx_quant q, l0_fx_ovf o, const char *want) {
    l0_fx_type t = ref_type(w, i, s, q, o);
    char buf[128];
    int n = l0_fx_type_str(&t, buf, sizeof buf);
    ref_check(&rep, strcmp(buf, want) == 0 && n == (int)strlen(want),
              "l0_fx_type_str: expected \"%s\" (%d), got \"%s\" (%d)", want, (int)strlen(want), buf,
              n);
}

static void test_type_str(void) {
    canon(16, 6, true, L0_FX_TRN, L0_FX_WRAP, "ap_fixed<16,6>");
    canon(16, 6, true, L0_FX_RND, L0_FX_SAT, "ap_fixed<16,6,AP_RND,AP_SAT>");
    canon(16, 6, true, L0_FX_RND, L0_FX_WRAP, "ap_fixed<16,6,AP_RND,AP_WRAP>");
    canon(16, 6, true, L0_FX_TRN, L0_FX_SAT, "ap_fixed<16,6,AP_TRN,AP_SAT>");
    canon(8, 0, false, L0_FX_TRN, L0_FX_WRAP, "ap_ufixed<8,0>");
    canon(8, 8, true, L0_FX_TRN, L0_FX_WRAP, "ap_fixed<8,8>");
    canon(64, -1024, false, L0_FX_RND_CONV, L0_FX_SAT_SYM,
          "ap_ufixed<64,-1024,AP_RND_CONV,AP_SAT_SYM>");
    canon(1, 1024, true, L0_FX_RND_MIN_INF, L0_FX_SAT_ZERO,
          "ap_fixed<1,1024,AP_RND_MIN_INF,AP_SAT_ZERO>");

    /* snprintf-like: the full length is returned, the output truncated and terminated */
    l0_fx_type t = ref_type(16, 6, true, L0_FX_RND, L0_FX_SAT);
    const char *want = "ap_fixed<16,6,AP_RND,AP_SAT>";
    for (size_t n = 0; n <= strlen(want) + 1; n++) {
        char *buf = malloc(n ? n : 1);
        if (!buf) abort();
        buf[0] = 'Z';
        int r = l0_fx_type_str(&t, buf, n);
        bool ok = r == (int)strlen(want);
        if (n == 0)
            ok = ok && buf[0] == 'Z';
        else
            ok = ok && strlen(buf) == (n - 1 < strlen(want) ? n - 1 : strlen(want)) &&
                 strncmp(buf, want, strlen(buf)) == 0;
        ref_check(&rep, ok, "l0_fx_type_str into %zu bytes: returned %d, wrote \"%.*s\"", n, r,
                  n ? (int)n : 0, buf);
        free(buf);
    }

    /* round trips */
    uint64_t trips = 0;
    for (int w = 1; w <= 64; w++) {
        const int is[] = {-1024, -65, -1,    0,    1,
                          w - 1, w,   w + 1, 1024, (int)rng_range(&rng, -1024, 1024)};
        for (size_t k = 0; k < sizeof is / sizeof is[0]; k++) {
            for (int s = 0; s < 2; s++) {
                for (int q = 0; q < L0_FX_QUANT_COUNT; q++) {
                    for (int o = 0; o < L0_FX_OVF_COUNT; o++) {
                        l0_fx_type a = ref_type(w, is[k], s, (l0_fx_quant)q, (l0_fx_ovf)o), b;
                        char buf[128], buf2[128], ts[96];
                        l0_fx_type_str(&a, buf, sizeof buf);
                        memset(&b, 0, sizeof b);
                        l0_err err;
                        err.msg[0] = 0;
                        int rc = l0_fx_parse(buf, &b, &err);
                        buf2[0] = 0;
                        if (rc == 0) l0_fx_type_str(&b, buf2, sizeof buf2);
                        trips++;
                        ref_check(&rep, rc == 0 && same_type(&a, &b) && strcmp(buf, buf2) == 0,
                                  "round trip %s -> \"%s\" -> rc=%d \"%s\" (%s)",
                                  ref_tstr(&a, ts, sizeof ts), buf, rc, buf2, err.msg);
                    }
                }
            }
        }
    }
    printf("  type_str round trips: %" PRIu64 "\n", trips);
}

/* --- bits_str ----------------------------------------------------------------------------------
 */

/* alt may be NULL; either string is accepted (for an undocumented detail) */
static void bits(int w, int i, bool s, int64_t raw, const char *want, const char *alt) {
    l0_fx_type t = ref_type(w, i, s, L0_FX_TRN, L0_FX_WRAP);
    size_t n = strlen(want) + 64;
    char *buf = malloc(n);
    if (!buf) abort();
    memset(buf, 'Z', n);
    int r = l0_fx_bits_str(&t, raw, buf, n);
    bool ok =
        r >= 0 && memchr(buf, 0, n) && (strcmp(buf, want) == 0 || (alt && strcmp(buf, alt) == 0));
    char ts[96];
    ref_check(&rep, ok, "bits_str %s raw=%" PRId64 ": expected \"%s\"%s%s, got rc=%d \"%.*s\"",
              ref_tstr(&t, ts, sizeof ts), raw, want, alt ? " or " : "", alt ? alt : "", r, (int)n,
              buf);
    /* small buffers: terminated, never overrun (the sanitizer build checks the bound) */
    for (size_t m = 1; m <= 5; m++) {
        char *sb = malloc(m);
        if (!sb) abort();
        l0_fx_bits_str(&t, raw, sb, m);
        ref_check(&rep, memchr(sb, 0, m) != NULL, "bits_str into %zu bytes: not terminated", m);
        free(sb);
    }
    free(buf);
}

static char *repeat(char *p, char c, int n) {
    for (int k = 0; k < n; k++) *p++ = c;
    *p = 0;
    return p;
}

static void test_bits_str(void) {
    /* the documented example, through l0_fx_from_double */
    l0_fx_type t = ref_type(16, 6, true, L0_FX_TRN, L0_FX_WRAP);
    int64_t raw = 0;
    int ovf = -1;
    int rc = l0_fx_from_double(-18.375, &t, &raw, &ovf);
    ref_check(&rep, rc == 0 && raw == -18816 && ovf == 0,
              "from_double(-18.375) ap_fixed<16,6>: expected raw -18816, got rc=%d raw=%" PRId64,
              rc, raw);
    bits(16, 6, true, -18816, "101101.1010000000", NULL);
    bits(16, 6, false, 46720, "101101.1010000000", NULL);
    bits(8, 3, true, 0x5a, "010.11010", NULL);
    /* I >= W */
    bits(4, 6, true, -5, "1011[00].", NULL);
    bits(4, 6, false, 11, "1011[00].", NULL);
    bits(4, 5, true, 5, "0101[0].", NULL);
    bits(1, 5, false, 1, "1[0000].", NULL);
    bits(4, 4, true, -5, "1011.", "1011[].");
    /* I <= 0 */
    bits(4, -2, true, -5, ".[11]1011", NULL);
    bits(4, -2, true, 5, ".[00]0101", NULL);
    bits(4, -2, false, 11, ".[00]1011", NULL);
    bits(1, -3, true, -1, ".[111]1", NULL);
    bits(4, 0, true, -5, ".1011", ".[]1011");
    bits(1, 1, true, -1, "1.", NULL);
    bits(1, 1, true, 0, "0.", NULL);
    /* W = 64 */
    char want[2200], *p;
    p = repeat(want, '1', 64);
    repeat(p, '.', 1);
    bits(64, 64, false, -1, want, NULL); /* ap_ufixed<64,64> max */
    want[0] = '.';
    repeat(want + 1, '1', 64);
    bits(64, 0, false, -1, want, NULL); /* ap_ufixed<64,0> max */
    p = repeat(want, '1', 1);
    p = repeat(p, '.', 1);
    repeat(p, '0', 63);
    bits(64, 1, true, INT64_MIN, want, NULL);
    p = repeat(want, '0', 1);
    p = repeat(p, '1', 31);
    p = repeat(p, '.', 1);
    repeat(p, '1', 32);
    bits(64, 32, true, INT64_MAX, want, NULL);
    /* I = +-1024 */
    p = repeat(want, '1', 1);
    p = repeat(p, '0', 1);
    p = repeat(p, '1', 1);
    p = repeat(p, '0', 5);
    p = repeat(p, '[', 1);
    p = repeat(p, '0', 1016);
    repeat(p, ']', 1);
    strcat(want, ".");
    bits(8, 1024, true, (int64_t)(int8_t)0xa0, want, NULL);
    p = repeat(want, '.', 1);
    p = repeat(p, '[', 1);
    p = repeat(p, '1', 1024);
    strcpy(p, "]10100000");
    bits(8, -1024, true, (int64_t)(int8_t)0xa0, want, NULL);
    p = repeat(want, '.', 1);
    p = repeat(p, '[', 1);
    p = repeat(p, '0', 1024);
    strcpy(p, "]10100000");
    bits(8, -1024, false, 0xa0, want, NULL);
}

/* --- value_str ---------------------------------------------------------------------------------
 */

/* own exact decimal of v * 2^-F (|v| <= 2^64, -63 <= F <= 64), shortest form */
static void exact_decimal(ref_i128 v, int F, char *out) {
    ref_u128 m = v < 0 ? (ref_u128)0 - (ref_u128)v : (ref_u128)v;
    char *p = out;
    if (v < 0) *p++ = '-';
    ref_u128 ip, frac = 0, mask = 0;
    if (F <= 0) {
        ip = m << -F;
    } else {
        ip = m >> F;
        mask = ((ref_u128)1 << F) - 1;
        frac = m & mask;
    }
    char tmp[64];
    ref_i128_str((ref_i128)ip, tmp, sizeof tmp); /* ip < 2^127 */
    strcpy(p, tmp);
    p += strlen(tmp);
    if (frac) {
        *p++ = '.';
        while (frac) {
            frac *= 10;
            *p++ = (char)('0' + (int)(frac >> F));
            frac &= mask;
        }
    }
    *p = 0;
}

/* strip trailing zeros of a fractional part and a trailing '.' */
static void normalize(char *s) {
    if (!strchr(s, '.')) return;
    size_t n = strlen(s);
    while (n > 0 && s[n - 1] == '0') s[--n] = 0;
    if (n > 0 && s[n - 1] == '.') s[--n] = 0;
}

static uint64_t n_value;
static void value(const l0_fx_type *t, int64_t raw, const char *want) {
    char buf[256], norm[256], ts[96], e[256];
    if (!want) {
        exact_decimal(ref_true(t, raw), ref_frac(t), e);
        want = e;
    }
    memset(buf, 'Z', sizeof buf);
    int r = l0_fx_value_str(t, raw, buf, sizeof buf);
    bool term = memchr(buf, 0, sizeof buf) != NULL;
    if (term)
        strcpy(norm, buf);
    else
        norm[0] = 0;
    normalize(norm);
    n_value++;
    ref_check(&rep, r >= 0 && term && strcmp(norm, want) == 0,
              "value_str %s raw=%" PRId64 ": expected \"%s\", got rc=%d \"%s\"",
              ref_tstr(t, ts, sizeof ts), raw, want, r, term ? buf : "(unterminated)");
}

static void approx(const l0_fx_type *t, int64_t raw) {
    char buf[256], ts[96];
    int r = l0_fx_value_str(t, raw, buf, sizeof buf);
    double d = l0_fx_to_double(t, raw);
    bool ok = r >= 0 && buf[0] == '~';
    if (ok) {
        char *end;
        errno = 0;
        double g = strtod(buf + 1, &end);
        ok = *end == 0 && g == d;
    }
    n_value++;
    ref_check(&rep, ok, "value_str %s raw=%" PRId64 ": expected '~' and %.17g, got \"%s\"",
              ref_tstr(t, ts, sizeof ts), raw, d, buf);
}

static void test_value_str(void) {
    l0_fx_type t = ref_type(16, 6, true, L0_FX_TRN, L0_FX_WRAP);
    value(&t, -18816, "-18.375");
    value(&t, 0, "0");
    value(&t, 1, "0.0009765625");
    value(&t, -1, "-0.0009765625");
    value(&t, 1024, "1");
    value(&t, -32768, "-32");
    t = ref_type(8, 3, true, L0_FX_TRN, L0_FX_WRAP);
    value(&t, 1, "0.03125");
    value(&t, -1, "-0.03125");
    t = ref_type(64, 0, false, L0_FX_TRN, L0_FX_WRAP); /* F = 64 */
    value(&t, -1, "0.9999999999999999999457898913757247782996273599565029144287109375");
    value(&t, 1, "0.0000000000000000000542101086242752217003726400434970855712890625");
    t = ref_type(64, 0, true, L0_FX_TRN, L0_FX_WRAP);
    value(&t, INT64_MIN, "-0.5");
    t = ref_type(64, 64, false, L0_FX_TRN, L0_FX_WRAP);
    value(&t, -1, "18446744073709551615");
    t = ref_type(64, 64, true, L0_FX_TRN, L0_FX_WRAP);
    value(&t, INT64_MIN, "-9223372036854775808");
    value(&t, INT64_MAX, "9223372036854775807");
    t = ref_type(1, 64, true, L0_FX_TRN, L0_FX_WRAP); /* F = -63 */
    value(&t, -1, "-9223372036854775808");
    t = ref_type(64, 127, false, L0_FX_TRN, L0_FX_WRAP); /* F = -63 */
    value(&t, -1, "170141183460469231722463931679029329920");
    t = ref_type(64, 127, true, L0_FX_TRN, L0_FX_WRAP);
    value(&t, INT64_MIN, "-85070591730234615865843651857942052864");
    /* outside -63 <= F <= 64: the nearest double, '~' */
    t = ref_type(1, 65, true, L0_FX_TRN, L0_FX_WRAP); /* F = -64 */
    approx(&t, -1);
    t = ref_type(64, -1, true, L0_FX_TRN, L0_FX_WRAP); /* F = 65 */
    approx(&t, INT64_MIN);
    approx(&t, 12345);
    t = ref_type(8, 1024, false, L0_FX_TRN, L0_FX_WRAP);
    approx(&t, 200);
    t = ref_type(8, -1024, true, L0_FX_TRN, L0_FX_WRAP);
    approx(&t, -77);
    /* random exact ones */
    for (int n = 0; n < 20000; n++) {
        int w = (int)rng_range(&rng, 1, 64);
        int f = (int)rng_range(&rng, -63, 64);
        l0_fx_type r = ref_type(w, w - f, rng_u64(&rng) & 1, L0_FX_TRN, L0_FX_WRAP);
        ref_u128 m = rng_u128(&rng) & (((ref_u128)1 << w) - 1);
        ref_i128 v = (ref_i128)m;
        if (r.is_signed && ((m >> (w - 1)) & 1)) v -= (ref_i128)1 << w;
        value(&r, ref_store(&r, v), NULL);
    }
    for (int n = 0; n < 2000; n++) {
        int w = (int)rng_range(&rng, 1, 64);
        int f =
            rng_u64(&rng) & 1 ? (int)rng_range(&rng, 65, 1000) : (int)rng_range(&rng, -960, -64);
        l0_fx_type r = ref_type(w, w - f, rng_u64(&rng) & 1, L0_FX_TRN, L0_FX_WRAP);
        ref_u128 m = rng_u128(&rng) & (((ref_u128)1 << w) - 1);
        ref_i128 v = (ref_i128)m;
        if (r.is_signed && ((m >> (w - 1)) & 1)) v -= (ref_i128)1 << w;
        approx(&r, ref_store(&r, v));
    }
    /* small buffers: terminated, never overrun */
    t = ref_type(64, 0, false, L0_FX_TRN, L0_FX_WRAP);
    for (size_t m = 1; m <= 8; m++) {
        char *sb = malloc(m);
        if (!sb) abort();
        l0_fx_value_str(&t, -1, sb, m);
        ref_check(&rep, memchr(sb, 0, m) != NULL, "value_str into %zu bytes: not terminated", m);
        free(sb);
    }
    printf("  value_str: %" PRIu64 " values\n", n_value);
}

/* --- parse_raw ---------------------------------------------------------------------------------
 */

static void raw_ok(const l0_fx_type *t, const char *s, int64_t want) {
    int64_t raw = INT64_C(0x5A5A5A5A5A5A5A5A);
    l0_err err;
    err.msg[0] = 0;
    int rc = l0_fx_parse_raw(s, t, &raw, &err);
    char ts[96];
    ref_check(&rep, rc == 0 && raw == want,
              "parse_raw \"%s\" %s: expected %" PRId64 ", got rc=%d raw=%" PRId64 " (%s)", s,
              ref_tstr(t, ts, sizeof ts), want, rc, raw, err.msg);
}

static void raw_bad(const l0_fx_type *t, const char *s) {
    int64_t raw = 0;
    l0_err err;
    err.msg[0] = 0;
    int rc = l0_fx_parse_raw(s, t, &raw, &err);
    char ts[96];
    ref_check(&rep, (rc == L0_FX_EPARSE || rc == L0_FX_ERANGE) && err.msg[0],
              "parse_raw \"%s\" %s: expected L0_FX_EPARSE/L0_FX_ERANGE and a message, got rc=%d "
              "raw=%" PRId64 " (%s)",
              s, ref_tstr(t, ts, sizeof ts), rc, raw, err.msg);
}

static void test_parse_raw(void) {
    l0_fx_type t = ref_type(8, 3, true, L0_FX_TRN, L0_FX_WRAP);
    raw_ok(&t, "5", 5);
    raw_ok(&t, "0", 0);
    raw_ok(&t, "-128", -128);
    raw_ok(&t, "127", 127);
    raw_ok(&t, "0x7f", 127);
    raw_ok(&t, "0xff", -1);
    raw_ok(&t, "0x80", -128);
    raw_ok(&t, "0xA5", (int8_t)0xa5);
    raw_ok(&t, "0b10000000", -128);
    raw_ok(&t, "0b1", 1);
    raw_ok(&t, "0b01111111", 127);
    const char *bad8[] = {"128", "-129", "0x100", "0b111111111", "",     " ",
                          "abc", "0x",   "0b",    "0b102",       "0xfg", "12abc",
                          "--1", "1.5",  "5 5",   "0x-1",        "-0x1", "1e2"};
    for (size_t k = 0; k < sizeof bad8 / sizeof bad8[0]; k++) raw_bad(&t, bad8[k]);

    t = ref_type(8, 0, false, L0_FX_TRN, L0_FX_WRAP);
    raw_ok(&t, "255", 255);
    raw_ok(&t, "0", 0);
    raw_ok(&t, "0xff", 255);
    raw_ok(&t, "0b11111111", 255);
    raw_bad(&t, "256");
    raw_bad(&t, "-1");
    raw_bad(&t, "0x1ff");

    t = ref_type(64, 0, false, L0_FX_TRN, L0_FX_WRAP);
    raw_ok(&t, "18446744073709551615", -1);
    raw_ok(&t, "9223372036854775808", INT64_MIN);
    raw_ok(&t, "0xffffffffffffffff", -1);
    raw_ok(&t, "0x8000000000000000", INT64_MIN);
    char ones[80];
    strcpy(ones, "0b");
    repeat(ones + 2, '1', 64);
    raw_ok(&t, ones, -1);
    strcat(ones, "1");
    raw_bad(&t, ones);
    raw_bad(&t, "18446744073709551616");
    raw_bad(&t, "0x10000000000000000");
    raw_bad(&t, "-1");
    raw_bad(&t, "99999999999999999999999999999");
    raw_bad(&t, "340282366920938463463374607431768211457"); /* 2^128 + 1 */

    t = ref_type(64, 0, true, L0_FX_TRN, L0_FX_WRAP);
    raw_ok(&t, "-9223372036854775808", INT64_MIN);
    raw_ok(&t, "9223372036854775807", INT64_MAX);
    raw_ok(&t, "0x8000000000000000", INT64_MIN);
    raw_ok(&t, "0xffffffffffffffff", -1);
    raw_bad(&t, "9223372036854775808");
    raw_bad(&t, "-9223372036854775809");
    raw_bad(&t, "18446744073709551615");
    raw_bad(&t, "0x10000000000000000");

    t = ref_type(1, 0, true, L0_FX_TRN, L0_FX_WRAP);
    raw_ok(&t, "-1", -1);
    raw_ok(&t, "0", 0);
    raw_ok(&t, "0x1", -1);
    raw_ok(&t, "0b1", -1);
    raw_bad(&t, "1");
    raw_bad(&t, "-2");
    raw_bad(&t, "0x2");
    raw_bad(&t, "0b10");

    /* random round trips: decimal true value, hex and binary bit patterns */
    uint64_t trips = 0;
    for (int n = 0; n < 20000; n++) {
        int w = (int)rng_range(&rng, 1, 64);
        l0_fx_type r =
            ref_type(w, (int)rng_range(&rng, -70, 130), rng_u64(&rng) & 1, L0_FX_TRN, L0_FX_WRAP);
        ref_u128 m = rng_u128(&rng) & (((ref_u128)1 << w) - 1);
        if (rng_u64(&rng) & 1) m >>= rng_range(&rng, 0, w - 1);
        ref_i128 v = (ref_i128)m;
        if (r.is_signed && ((m >> (w - 1)) & 1)) v -= (ref_i128)1 << w;
        int64_t want = ref_store(&r, v);
        char s[80];
        ref_i128_str(v, s, sizeof s);
        raw_ok(&r, s, want);
        snprintf(s, sizeof s, "0x%" PRIx64, (uint64_t)m);
        raw_ok(&r, s, want);
        strcpy(s, "0b");
        int b = ref_bitlen(m);
        if (b == 0) strcat(s, "0");
        for (int k = b - 1; k >= 0; k--) strcat(s, (m >> k) & 1 ? "1" : "0");
        raw_ok(&r, s, want);
        /* one more than the maximum / one less than the minimum */
        ref_i128_str(ref_raw_max(&r) + 1, s, sizeof s);
        raw_bad(&r, s);
        ref_i128_str(ref_raw_min(&r) - 1, s, sizeof s);
        raw_bad(&r, s);
        /* W + 1 significant bits */
        if (w < 64) {
            snprintf(s, sizeof s, "0x%" PRIx64, UINT64_C(1) << w);
            raw_bad(&r, s);
        }
        strcpy(s, "0b1");
        repeat(s + 3, '0', w);
        raw_bad(&r, s);
        trips++;
    }
    printf("  parse_raw round trips: %" PRIu64 "\n", trips);
}

int main(void) {
    printf("test_fx_parse:\n");
    test_good();
    test_bad();
    test_names_make();
    test_type_str();
    test_bits_str();
    test_value_str();
    test_parse_raw();
    printf("  %" PRIu64 " checks, %" PRIu64 " failures\n", rep.checks, rep.fails);
    if (rep.fails) {
        printf("FAIL\n");
        return 1;
    }
    printf("PASS\n");
    return 0;
}
