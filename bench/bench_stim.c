/* bench_stim: crossings per second of the stimulus generator at mu = 200, and its peak memory.
 * A benchmark prints figures; it is not a test. Target (issue 3): one orbit (3564 bunch slots,
 * 2808 filled) in under 30 s on a 2-core machine, with memory that does not grow with the
 * number of orbits.
 *
 * It writes an orbit to a temporary stimulus file (the same path as `l0sim gen --orbits 1`),
 * prints the rate and the peak resident memory (getrusage ru_maxrss), then writes 3 orbits and
 * prints the peak again: the peak is the process's high-water mark, so an unchanged value shows
 * that the longer run needed no more memory.
 *
 * usage: bench_stim [--threads T] [--mu MU] [--orbits-long N] [--dir DIR] */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <unistd.h>

#include "l0_gen.h"
#include "l0_progress.h"
#include "l0_stimfile.h"

static double cpu_seconds(void) {
    struct rusage ru;
    getrusage(RUSAGE_SELF, &ru);
    return (double)ru.ru_utime.tv_sec + 1e-6 * (double)ru.ru_utime.tv_usec +
           (double)ru.ru_stime.tv_sec + 1e-6 * (double)ru.ru_stime.tv_usec;
}

static double peak_mb(void) {
    struct rusage ru;
    getrusage(RUSAGE_SELF, &ru);
    return (double)ru.ru_maxrss / 1024.0; /* Linux: kilobytes */
}

static int run_orbits(const l0_gen *g, l0_gen_pool *pool, const char *path, uint64_t orbits,
                      double *wall, double *cpu, l0_gen_stats *st) {
    l0_err err;
    l0_stim_writer *w = l0_stim_writer_open(path, L0_STIM_KIND_STREAM, "{\"bench\":true}", &err);
    if (!w) {
        fprintf(stderr, "bench_stim: %s\n", err.msg);
        return -1;
    }
    double t0 = l0_now(), c0 = cpu_seconds();
    if (l0_gen_write(g, pool, w, 0, orbits * L0_FILL_SLOTS, 0, NULL, st, &err) ||
        l0_stim_writer_close(w, &err)) {
        fprintf(stderr, "bench_stim: %s\n", err.msg);
        return -1;
    }
    *wall = l0_now() - t0;
    *cpu = cpu_seconds() - c0;
    return 0;
}

int main(int argc, char **argv) {
    int threads = l0_gen_ncpu();
    double mu = 200;
    uint64_t long_orbits = 3;
    const char *dir = getenv("TMPDIR") ? getenv("TMPDIR") : "/tmp";
    for (int i = 1; i < argc; i++) {
        if (!strcmp(argv[i], "--threads") && i + 1 < argc)
            threads = atoi(argv[++i]);
        else if (!strcmp(argv[i], "--mu") && i + 1 < argc)
            mu = atof(argv[++i]);
        else if (!strcmp(argv[i], "--orbits-long") && i + 1 < argc)
            long_orbits = strtoull(argv[++i], NULL, 10);
        else if (!strcmp(argv[i], "--dir") && i + 1 < argc)
            dir = argv[++i];
        else {
            fprintf(stderr, "usage: bench_stim [--threads T] [--mu MU] [--orbits-long N] "
                            "[--dir DIR]\n");
            return 2;
        }
    }
    if (threads < 1) threads = 1;
    char path[4096];
    snprintf(path, sizeof path, "%s/bench_stim.%ld.l0s", dir, (long)getpid());

    l0_err err;
    l0_gen_config cfg;
    l0_gen_config_default(&cfg);
    cfg.mu = mu;
    cfg.threads = threads;
    double t0 = l0_now(), c0 = cpu_seconds();
    l0_gen *g = l0_gen_create(&cfg, &err);
    if (!g) {
        fprintf(stderr, "bench_stim: %s\n", err.msg);
        return 1;
    }
    l0_gen_pool *pool = l0_gen_pool_create(g, threads);
    if (!pool) {
        fprintf(stderr, "bench_stim: out of memory\n");
        return 1;
    }
    printf("bench_stim: mu %g, %d thread(s), %ld online CPU(s), load average taken as is\n", mu,
           threads, sysconf(_SC_NPROCESSORS_ONLN));
    printf("start-up (geometry, pile-up noise measurement): %.2f s wall, %.2f s CPU\n",
           l0_now() - t0, cpu_seconds() - c0);

    double wall, cpu;
    l0_gen_stats st;
    if (run_orbits(g, pool, path, 1, &wall, &cpu, &st)) return 1;
    double peak1 = peak_mb();
    printf("1 orbit (%llu slots, %llu filled, %llu clusters): %.2f s wall, %.2f s CPU\n",
           (unsigned long long)st.records, (unsigned long long)st.filled,
           (unsigned long long)st.clusters, wall, cpu);
    printf("  %.1f filled crossings/s (%.1f bunch slots/s) wall; %.1f ms CPU per filled "
           "crossing\n",
           (double)st.filled / wall, (double)st.records / wall, 1000 * cpu / (double)st.filled);
    printf("  target: one orbit in < 30 s: %s\n", wall < 30 ? "met" : "NOT met");
    printf("  peak memory after 1 orbit: %.1f MB\n", peak1);

    if (long_orbits > 0) {
        if (run_orbits(g, pool, path, long_orbits, &wall, &cpu, &st)) return 1;
        double peak3 = peak_mb();
        printf("%llu orbits: %.2f s wall, %.2f s CPU; peak memory after them: %.1f MB (%+.1f MB)\n",
               (unsigned long long)long_orbits, wall, cpu, peak3, peak3 - peak1);
    }
    unlink(path);
    l0_gen_pool_destroy(pool);
    l0_gen_destroy(g);
    return 0;
}
