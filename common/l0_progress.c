#include "l0_progress.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

double l0_now(void) {
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec + 1e-9 * (double)ts.tv_nsec;
}

void l0_progress_start(l0_progress *p, const char *label, uint64_t total) {
    const char *env = getenv("L0SIM_PROGRESS");
    p->label = label;
    p->total = total;
    p->t_start = p->t_last = l0_now();
    p->enabled = env ? strcmp(env, "0") != 0 : isatty(STDERR_FILENO);
    p->printed = 0;
}

static void progress_print(l0_progress *p, uint64_t done, double now, const char *end) {
    double el = now - p->t_start;
    double rate = el > 0 ? (double)done / el : 0;
    if (p->total) {
        double frac = (double)done / (double)p->total;
        double eta = rate > 0 ? (double)(p->total - (done < p->total ? done : p->total)) / rate : 0;
        fprintf(stderr, "\r%s: %llu/%llu (%5.1f%%) %.0f/s, %.1f s elapsed, %.1f s left   %s",
                p->label, (unsigned long long)done, (unsigned long long)p->total, 100.0 * frac,
                rate, el, eta, end);
    } else {
        fprintf(stderr, "\r%s: %llu, %.0f/s, %.1f s elapsed   %s", p->label,
                (unsigned long long)done, rate, el, end);
    }
    fflush(stderr);
    p->printed = 1;
}

void l0_progress_update(l0_progress *p, uint64_t done) {
    if (!p->enabled) return;
    double now = l0_now();
    if (now - p->t_last < 0.2) return;
    p->t_last = now;
    progress_print(p, done, now, "");
}

void l0_progress_end(l0_progress *p, uint64_t done) {
    if (!p->enabled) return;
    progress_print(p, done, l0_now(), "\n");
}
