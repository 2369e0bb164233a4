/* l0_progress: a one-line progress report on stderr for long work.
 *
 * Shown when stderr is a terminal, or when L0SIM_PROGRESS=1 (L0SIM_PROGRESS=0 hides it).
 * Updates are rate-limited (5 per second), so calling l0_progress_update in a loop is cheap. */
#ifndef L0_PROGRESS_H
#define L0_PROGRESS_H

#include <stdint.h>

typedef struct l0_progress {
    const char *label;
    uint64_t total;
    double t_start, t_last;
    int enabled, printed;
} l0_progress;

/* total may be 0 when unknown. */
void l0_progress_start(l0_progress *p, const char *label, uint64_t total);
void l0_progress_update(l0_progress *p, uint64_t done);
/* Print the final line (with elapsed time) and a newline, if anything was shown. */
void l0_progress_end(l0_progress *p, uint64_t done);

/* Monotonic wall-clock seconds. */
double l0_now(void);

#endif
