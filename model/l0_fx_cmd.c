/* l0sim fx: a fixed-point calculator. */
#include <getopt.h>
#include <stdio.h>
#include <string.h>

#include "l0_cli.h"
#include "l0_fx.h"

int l0_cmd_fx(int argc, char **argv); /* declared in sim/l0_cmds.h */

static const char *const FX_HELP =
    "usage: l0sim fx [--json] TYPE VALUE...\n"
    "       l0sim fx [--json] --cast FROM TO RAW...\n"
    "\n"
    "Show how values are stored in an ap_fixed type, exactly as Xilinx's ap_types (and hls4ml)\n"
    "store them: the raw integer, the represented value, the bits with the binary point, and\n"
    "whether the cast overflowed.\n"
    "\n"
    "  TYPE     ap_fixed<W,I[,Q[,O]]>, ap_ufixed<...>, hls4ml's fixed<...> / ufixed<...>,\n"
    "           ap_int<W>, ap_uint<W>. W 1..64, I any integer from -1024 to 1024.\n"
    "           Q: AP_TRN (default), AP_TRN_ZERO, AP_RND, AP_RND_ZERO, AP_RND_MIN_INF,\n"
    "              AP_RND_INF, AP_RND_CONV.  O: AP_WRAP (default), AP_SAT, AP_SAT_ZERO,\n"
    "              AP_SAT_SYM. The AP_ prefix is optional. Quote the type in the shell.\n"
    "  VALUE    a decimal number; like a C++ literal assigned to an ap_fixed, it is first\n"
    "           read as the nearest double, then that double is cast exactly.\n"
    "  --cast FROM TO RAW...\n"
    "           recast stored values of type FROM into type TO. RAW is the raw integer\n"
    "           (decimal, e.g. -18816) or its bit pattern (0xb680, 0b1011...).\n"
    "  --json   one JSON object per value, with the keys type, input, raw, value, bits,\n"
    "           overflow (for --cast also from and from_value).\n"
    "  -h, --help\n"
    "\n"
    "example: l0sim fx 'ap_fixed<16,6>' -18.375\n"
    "         -> raw -18816, value -18.375, bits 101101.1010000000, no overflow\n";

static void print_type_line(const l0_fx_type *t) {
    char name[64], lo[128], hi[128], lsb[128];
    l0_fx_type_str(t, name, sizeof name);
    l0_fx_value_str(t, (int64_t)(uint64_t)l0_fx_raw_min(t), lo, sizeof lo);
    l0_fx_value_str(t, (int64_t)(uint64_t)l0_fx_raw_max(t), hi, sizeof hi);
    l0_fx_value_str(t, 1, lsb, sizeof lsb);
    printf("%s: W=%d I=%d F=%d, %s, %s, %s; range [%s, %s], LSB %s\n", name, t->w, t->i,
           l0_fx_frac(t), t->is_signed ? "signed" : "unsigned", l0_fx_quant_name(t->q),
           l0_fx_ovf_name(t->o), lo, hi, lsb);
}

/* The raw as its true integer value, in decimal. */
static void raw_str(const l0_fx_type *t, int64_t raw, char *buf, size_t n) {
    if (t->is_signed)
        snprintf(buf, n, "%lld", (long long)raw);
    else
        snprintf(buf, n, "%llu", (unsigned long long)(uint64_t)raw);
}

static void json_str(const char *s) {
    putchar('"');
    for (; *s; s++) {
        if (*s == '"' || *s == '\\')
            printf("\\%c", *s);
        else if ((unsigned char)*s < 0x20)
            printf("\\u%04x", *s);
        else
            putchar(*s);
    }
    putchar('"');
}

/* A JSON number for the value: the exact decimal when we have it, else the nearest double. */
static void json_value(const l0_fx_type *t, int64_t raw) {
    char v[256];
    l0_fx_value_str(t, raw, v, sizeof v);
    if (v[0] == '~')
        printf("%.17g", l0_fx_to_double(t, raw));
    else
        fputs(v, stdout);
}

static void show(const l0_fx_type *t, const char *input, int64_t raw, int ovf, int json,
                 const l0_fx_type *from, int64_t from_raw) {
    char name[64], r[32], v[256], b[L0_FX_W_MAX + L0_FX_I_LIMIT + 8];
    l0_fx_type_str(t, name, sizeof name);
    raw_str(t, raw, r, sizeof r);
    l0_fx_value_str(t, raw, v, sizeof v);
    l0_fx_bits_str(t, raw, b, sizeof b);
    if (json) {
        printf("{\"type\":");
        json_str(name);
        if (from) {
            char fname[64];
            l0_fx_type_str(from, fname, sizeof fname);
            printf(",\"from\":");
            json_str(fname);
            printf(",\"from_value\":");
            json_value(from, from_raw);
        }
        printf(",\"input\":");
        json_str(input);
        printf(",\"raw\":%s,\"value\":", r);
        json_value(t, raw);
        printf(",\"bits\":");
        json_str(b);
        printf(",\"overflow\":%s}\n", ovf ? "true" : "false");
    } else {
        char fv[256] = "";
        if (from) l0_fx_value_str(from, from_raw, fv, sizeof fv);
        printf("  %-22s raw %-22s value %-24s bits %s%s\n", from ? fv : input, r, v, b,
               ovf ? "  OVERFLOW" : "");
    }
}

int l0_cmd_fx(int argc, char **argv) {
    static const struct option opts[] = {{"json", no_argument, 0, 'j'},
                                         {"cast", no_argument, 0, 'c'},
                                         {"help", no_argument, 0, 'h'},
                                         {0, 0, 0, 0}};
    int json = 0, cast = 0, c;
    opterr = 0;
    /* '+' stops at the first non-option, so negative values like -18.375 are not options. */
    while ((c = getopt_long(argc, argv, "+jch", opts, NULL)) != -1) {
        switch (c) {
        case 'j':
            json = 1;
            break;
        case 'c':
            cast = 1;
            break;
        case 'h':
            fputs(FX_HELP, stdout);
            return L0_EXIT_OK;
        default:
            return l0_cli_bad_option("fx", c, argv);
        }
    }
    int nargs = argc - optind;
    char **args = argv + optind;
    l0_err err;
    l0_fx_type from, to;
    if (cast) {
        if (nargs < 3) return l0_cli_usage("fx", "--cast needs FROM, TO and at least one RAW");
        if (l0_fx_parse(args[0], &from, &err) || l0_fx_parse(args[1], &to, &err))
            return l0_cli_error("fx", "%s", err.msg);
        for (int k = 2; k < nargs; k++) {
            int64_t raw_in;
            if (l0_fx_parse_raw(args[k], &from, &raw_in, &err))
                return l0_cli_error("fx", "%s", err.msg);
        }
        if (!json) {
            printf("from ");
            print_type_line(&from);
            printf("to   ");
            print_type_line(&to);
        }
        for (int k = 2; k < nargs; k++) {
            int64_t raw_in, raw;
            int ovf;
            l0_fx_parse_raw(args[k], &from, &raw_in, &err);
            raw = l0_fx_cast(&from, raw_in, &to, &ovf);
            show(&to, args[k], raw, ovf, json, &from, raw_in);
        }
        return L0_EXIT_OK;
    }
    if (nargs < 2) return l0_cli_usage("fx", "needs a TYPE and at least one VALUE");
    if (l0_fx_parse(args[0], &to, &err)) return l0_cli_error("fx", "%s", err.msg);
    /* Check every value before printing anything, so an error never leaves partial output. */
    for (int k = 1; k < nargs; k++) {
        double x;
        if (l0_parse_double(args[k], &x))
            return l0_cli_error("fx", "bad value '%s': expected a finite decimal number", args[k]);
    }
    if (!json) print_type_line(&to);
    for (int k = 1; k < nargs; k++) {
        double x;
        int64_t raw = 0;
        int ovf = 0;
        l0_parse_double(args[k], &x);
        l0_fx_from_double(x, &to, &raw, &ovf);
        show(&to, args[k], raw, ovf, json, NULL, 0);
    }
    return L0_EXIT_OK;
}
