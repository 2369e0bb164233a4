#include "l0_err.h"

#include <stdarg.h>
#include <stdio.h>
#include <string.h>

int l0_err_set(l0_err *err, const char *fmt, ...) {
    if (err) {
        va_list ap;
        va_start(ap, fmt);
        vsnprintf(err->msg, sizeof err->msg, fmt, ap);
        va_end(ap);
    }
    return -1;
}

int l0_err_prefix(l0_err *err, const char *fmt, ...) {
    if (err) {
        char head[L0_ERR_MSG_MAX], old[L0_ERR_MSG_MAX];
        va_list ap;
        va_start(ap, fmt);
        vsnprintf(head, sizeof head, fmt, ap);
        va_end(ap);
        memcpy(old, err->msg, sizeof old);
        size_t n = strlen(head);
        if (n >= sizeof err->msg) n = sizeof err->msg - 1;
        memcpy(err->msg, head, n);
        size_t m = strlen(old);
        if (m > sizeof err->msg - 1 - n) m = sizeof err->msg - 1 - n;
        memcpy(err->msg + n, old, m);
        err->msg[n + m] = '\0';
    }
    return -1;
}
