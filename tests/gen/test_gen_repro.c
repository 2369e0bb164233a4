/* Reproducibility: the same seed and options give the same bytes whatever the thread count;
 * different seeds give different bytes; an item does not depend on the items around it. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "gen_check.h"
#include "l0_gen.h"
#include "l0_stimfile.h"

static char *slurp(const char *path, size_t *n) {
    FILE *f = fopen(path, "rb");
    if (!f) return NULL;
    fseek(f, 0, SEEK_END);
    long len = ftell(f);
    fseek(f, 0, SEEK_SET);
    char *p = malloc(len > 0 ? (size_t)len : 1);
    *n = p ? fread(p, 1, (size_t)len, f) : 0;
    fclose(f);
    return p;
}

/* Write n items of a generator to path with `threads` threads. */
static int make(const l0_gen_config *cfg, int singles, uint64_t n, int threads, const char *path) {
    l0_err err;
    l0_gen *g = l0_gen_create(cfg, &err);
    if (!g) {
        fprintf(stderr, "%s\n", err.msg);
        return -1;
    }
    l0_gen_pool *pool = l0_gen_pool_create(g, threads);
    l0_stim_writer *w = l0_stim_writer_open(
        path, singles ? L0_STIM_KIND_SINGLES : L0_STIM_KIND_STREAM, "{\"test\":1}", &err);
    l0_gen_stats st;
    int rc = -1;
    if (pool && w && l0_gen_write(g, pool, w, singles, n, 0, NULL, &st, &err) == 0) {
        l0_stim_writer *w2 = w;
        w = NULL;
        rc = l0_stim_writer_close(w2, &err);
    }
    if (rc) fprintf(stderr, "%s\n", err.msg);
    l0_stim_writer_abort(w);
    l0_gen_pool_destroy(pool);
    l0_gen_destroy(g);
    return rc;
}

static int same_file(const char *a, const char *b) {
    size_t na, nb;
    char *pa = slurp(a, &na), *pb = slurp(b, &nb);
    int same = pa && pb && na == nb && memcmp(pa, pb, na) == 0;
    free(pa);
    free(pb);
    return same;
}

/* A digest of an event: every field of every cluster and cell. */
static uint64_t digest(const l0_event *ev) {
    uint64_t h = 1469598103934665603ULL;
#define MIX(x)                                                                                     \
    do {                                                                                           \
        uint64_t v_;                                                                               \
        double d_ = (double)(x);                                                                   \
        memcpy(&v_, &d_, sizeof v_);                                                               \
        h = (h ^ v_) * 1099511628211ULL;                                                           \
    } while (0)
    MIX(ev->orbit);
    MIX(ev->bx);
    MIX(ev->filled);
    MIX(ev->n_hard);
    MIX(ev->n_clusters);
    for (uint32_t k = 0; k < ev->n_clusters; k++) {
        const l0_cluster *c = &ev->clusters[k];
        MIX(c->e);
        MIX(c->et);
        MIX(c->eta);
        MIX(c->phi);
        MIX(c->truth_e);
        MIX(c->truth_pdg);
        MIX(c->n_cells);
        MIX(c->n_cells_total);
        for (int i = 0; i < c->n_cells; i++) {
            MIX(c->cells[i].e);
            MIX(c->cells[i].eta);
            MIX(c->cells[i].phi);
            MIX(c->cells[i].sigma);
            MIX(c->cells[i].layer);
        }
    }
#undef MIX
    return h;
}

int main(void) {
    const char *tmp = getenv("TMPDIR") ? getenv("TMPDIR") : "/tmp";
    char p[4][4096];
    for (int i = 0; i < 4; i++)
        snprintf(p[i], sizeof p[i], "%s/test_gen_repro.%ld.%d.l0s", tmp, (long)getpid(), i);

    l0_gen_config cfg;
    l0_gen_config_default(&cfg);
    cfg.mu = 30;
    cfg.n_calib = 2000; /* a quick pile-up measurement: enough for a test */
    cfg.hard_fraction = 0.5;
    cfg.hard_n = 2;
    cfg.seed = 11;

    /* streams: 1 thread and 2 threads, same bytes; another seed, other bytes */
    CHECK(make(&cfg, 0, 24, 1, p[0]) == 0, "stream with 1 thread failed");
    CHECK(make(&cfg, 0, 24, 2, p[1]) == 0, "stream with 2 threads failed");
    CHECK(same_file(p[0], p[1]), "the same seed gave different bytes (1 vs 2 threads)");
    CHECK(make(&cfg, 0, 24, 3, p[1]) == 0 && same_file(p[0], p[1]),
          "the same seed gave different bytes (1 vs 3 threads)");
    l0_gen_config c2 = cfg;
    c2.seed = 12;
    CHECK(make(&c2, 0, 24, 2, p[2]) == 0, "stream with seed 12 failed");
    CHECK(!same_file(p[0], p[2]), "seeds 11 and 12 gave the same bytes");

    /* singles, at mu = 30 */
    CHECK(make(&cfg, 1, 40, 1, p[2]) == 0 && make(&cfg, 1, 40, 2, p[3]) == 0, "singles failed");
    CHECK(same_file(p[2], p[3]), "singles: the same seed gave different bytes");
    c2 = cfg;
    c2.seed = 99;
    CHECK(make(&c2, 1, 40, 2, p[3]) == 0 && !same_file(p[2], p[3]),
          "singles: seeds 11 and 99 gave the same bytes");

    /* a crossing is a function of (seed, slot): simulate slot 17 directly, in two workspaces,
     * before and after other slots, and compare with record 17 of the file */
    l0_err err;
    l0_gen *g = l0_gen_create(&cfg, &err);
    l0_gen_work *w1 = g ? l0_gen_work_create(g) : NULL, *w2 = g ? l0_gen_work_create(g) : NULL;
    CHECK(g && w1 && w2, "generator: %s", g ? "out of memory" : err.msg);
    if (g && w1 && w2) {
        l0_gen_out o1, o2;
        memset(&o1, 0, sizeof o1);
        memset(&o2, 0, sizeof o2);
        l0_gen_crossing(g, w1, 0, 17, &o1);
        uint64_t h1 = digest(&o1.ev);
        for (uint16_t bx = 3; bx < 6; bx++) l0_gen_crossing(g, w2, 0, bx, &o2);
        l0_gen_crossing(g, w2, 0, 17, &o2);
        CHECK(digest(&o2.ev) == h1, "slot 17 depends on what was simulated before it");
        CHECK(o1.ev.n_clusters > 10, "slot 17 has only %u clusters at mu 30", o1.ev.n_clusters);
        l0_stim_reader *rd = l0_stim_reader_open(p[0], &err);
        CHECK(rd != NULL, "%s", err.msg);
        l0_event ev;
        int found = 0;
        while (rd && l0_stim_reader_next(rd, &ev, &err) == 1)
            if (ev.bx == 17) {
                found = 1;
                CHECK(digest(&ev) == h1, "record 17 of the file differs from slot 17");
            }
        CHECK(found, "no record for slot 17");
        l0_stim_reader_close(rd);
        l0_gen_out_free(&o1);
        l0_gen_out_free(&o2);
    }
    l0_gen_work_destroy(w1);
    l0_gen_work_destroy(w2);
    l0_gen_destroy(g);
    for (int i = 0; i < 4; i++) unlink(p[i]);
    GEN_TEST_END("test_gen_repro");
}
