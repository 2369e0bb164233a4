/* l0_err: error messages that library code fills and command code prints.
 *
 * Library functions never print or exit; they return a negative code and fill an l0_err with
 * one sentence that names the file, the field or the value at fault. */
#ifndef L0_ERR_H
#define L0_ERR_H

#include <stddef.h>

#ifdef __cplusplus
extern "C" {
#endif

#define L0_ERR_MSG_MAX 1024

typedef struct l0_err {
    char msg[L0_ERR_MSG_MAX];
} l0_err;

/* Fill err (if not NULL) with a printf-style message. Returns -1, so that
 * `return l0_err_set(err, ...);` reads naturally. */
int l0_err_set(l0_err *err, const char *fmt, ...) __attribute__((format(printf, 2, 3)));

/* Prefix the message already in err with a printf-style context ("file x: " + old). */
int l0_err_prefix(l0_err *err, const char *fmt, ...) __attribute__((format(printf, 2, 3)));

#ifdef __cplusplus
}
#endif

#endif
