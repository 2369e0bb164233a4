#include "l0_cli.h"

#include <errno.h>
#include <getopt.h>
#include <math.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>

static void vreport(const char *cmd, const char *fmt, va_list ap) {
    fprintf(stderr, "l0sim%s%s: ", cmd ? " " : "", cmd ? cmd : "");
    vfprintf(stderr, fmt, ap);
}

int l0_cli_usage(const char *cmd, const char *fmt, ...) {
    va_list ap;
    va_start(ap, fmt);
    vreport(cmd, fmt, ap);
    va_end(ap);
    fprintf(stderr, ". See 'l0sim%s%s --help'.\n", cmd ? " " : "", cmd ? cmd : "");
    return L0_EXIT_USAGE;
}

int l0_cli_error(const char *cmd, const char *fmt, ...) {
    va_list ap;
    va_start(ap, fmt);
    vreport(cmd, fmt, ap);
    va_end(ap);
    fputc('\n', stderr);
    return L0_EXIT_USAGE;
}

int l0_cli_bad_option(const char *cmd, int c, char **argv) {
    const char *arg = argv[optind - 1];
    if (c == ':') return l0_cli_usage(cmd, "option '%s' needs a value", arg);
    if (optopt && optopt != '?') return l0_cli_usage(cmd, "unknown option '-%c'", optopt);
    return l0_cli_usage(cmd, "unknown option '%s'", arg);
}

int l0_parse_i64(const char *s, int64_t lo, int64_t hi, int64_t *out) {
    char *end;
    errno = 0;
    long long v = strtoll(s, &end, 0);
    if (errno || end == s || *end || v < lo || v > hi) return -1;
    *out = v;
    return 0;
}

int l0_parse_u64(const char *s, uint64_t *out) {
    char *end;
    errno = 0;
    if (*s == '-') return -1;
    unsigned long long v = strtoull(s, &end, 0);
    if (errno || end == s || *end) return -1;
    *out = v;
    return 0;
}

int l0_parse_double(const char *s, double *out) {
    char *end;
    errno = 0;
    double v = strtod(s, &end);
    if (end == s || *end || !isfinite(v) || (errno == ERANGE && fabs(v) > 1.0)) return -1;
    *out = v;
    return 0;
}
