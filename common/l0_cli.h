/* l0_cli: the shared conventions of l0sim's commands.
 *
 * Exit codes: 0 success (PASS), 1 a check failed (FAIL), 2 usage or input error.
 * Every command has --help; an unknown option or a bad value gets one line naming the option
 * and a pointer to --help, and exit code 2. */
#ifndef L0_CLI_H
#define L0_CLI_H

#include <stdint.h>

#define L0_EXIT_OK 0
#define L0_EXIT_FAIL 1
#define L0_EXIT_USAGE 2

/* Print "l0sim CMD: message. See 'l0sim CMD --help'." to stderr; returns L0_EXIT_USAGE. */
int l0_cli_usage(const char *cmd, const char *fmt, ...) __attribute__((format(printf, 2, 3)));

/* Print "l0sim CMD: message" to stderr; returns L0_EXIT_USAGE (input errors share code 2). */
int l0_cli_error(const char *cmd, const char *fmt, ...) __attribute__((format(printf, 2, 3)));

/* Strict number parsing: the whole string must be a number in range. Return 0 or -1. */
int l0_parse_i64(const char *s, int64_t lo, int64_t hi, int64_t *out);
int l0_parse_u64(const char *s, uint64_t *out);
int l0_parse_double(const char *s, double *out); /* finite values only */

/* Handle an option getopt_long rejected: names the option in the message. Returns 2.
 * Call with the getopt return value ('?' or ':') and argv. */
int l0_cli_bad_option(const char *cmd, int c, char **argv);

#endif
