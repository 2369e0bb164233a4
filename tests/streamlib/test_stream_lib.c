/* test_stream_lib: the shared pieces of the streaming system (sim/l0_stream.h): arrival clocks,
 * cluster selection, exact histogram percentiles, report JSON round trip and merge. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "l0_stream.h"

static int fails;
#define CHECK(cond)                                                                                \
    do {                                                                                           \
        if (!(cond)) {                                                                             \
            fprintf(stderr, "%s:%d: CHECK failed: %s\n", __FILE__, __LINE__, #cond);               \
            fails++;                                                                               \
        }                                                                                          \
    } while (0)

static void test_time(void) {
    l0_stream_cfg c;
    l0_stream_cfg_default(&c);
    /* the default fabric clock is exactly 6 per crossing: every crossing on an edge */
    for (uint64_t g = 0; g < 3564 * 3; g++)
        CHECK(l0_stream_arrival_clock(&c, g) == (int64_t)(6 * g));
    CHECK(l0_stream_latency_ps(&c, 10, 60) == 0);
    CHECK(l0_stream_latency_ps(&c, 10, 66) == 24951); /* one BX: 24.9508 ns */
    /* an arrival delay of one ns is the next edge */
    c.arrival_ns = 1.0;
    CHECK(l0_stream_arrival_clock(&c, 7) == 43);
    /* 360 MHz: 8.98 clocks per BX, ceil */
    l0_stream_cfg_default(&c);
    c.clock_mhz = 360;
    CHECK(l0_stream_arrival_clock(&c, 1) == 9);
    CHECK(l0_stream_arrival_clock(&c, 0) == 0);
    CHECK(l0_stream_crossing(3, 10, 4, 2) == 3564 - 8);
}

static void test_select(void) {
    l0_stream_cfg c;
    l0_stream_cfg_default(&c);
    c.top_k = 3;
    c.cells = 4;
    l0_cell cells[10];
    memset(cells, 0, sizeof cells);
    l0_cluster cl[6];
    memset(cl, 0, sizeof cl);
    float et[6] = {30, 10, 5, 3, 2.5f, 1};
    int nc[6] = {10, 3, 0, 4, 2, 8};
    for (int i = 0; i < 6; i++) {
        cl[i].et = et[i];
        cl[i].e = et[i];
        cl[i].n_cells = cl[i].n_cells_total = (uint16_t)nc[i];
        cl[i].cells = cells;
    }
    l0_event ev = {.filled = 1, .n_clusters = 6, .clusters = cl};
    l0_stream_sel sel[3];
    l0_stream_sel_counts cnt;
    int n = l0_stream_select(&c, &ev, sel, &cnt);
    CHECK(n == 3);
    CHECK(sel[0].rank == 0 && sel[0].n == 4 && sel[0].truncated);
    CHECK(sel[1].rank == 1 && sel[1].n == 3 && !sel[1].truncated);
    CHECK(sel[2].rank == 3 && sel[2].n == 4 && !sel[2].truncated); /* rank 2 has no cells */
    CHECK(cnt.candidates == 4 && cnt.below_threshold == 2 && cnt.truncated_k == 1);
    CHECK(cnt.truncated_c == 1);

    /* A model that sees only 4 cells: cutting to C = 4 loses nothing it would use. */
    l0_model m;
    memset(&m, 0, sizeof m);
    m.cells_max = 4;
    l0_stream_cfg_fit_model(&c, &m);
    n = l0_stream_select(&c, &ev, sel, &cnt);
    CHECK(n == 3 && sel[0].n == 4 && !sel[0].truncated && cnt.truncated_c == 0);
    m.cells_max = 6; /* it would use 6: cutting to 4 is a truncation */
    l0_stream_cfg_fit_model(&c, &m);
    n = l0_stream_select(&c, &ev, sel, &cnt);
    CHECK(sel[0].truncated && cnt.truncated_c == 1);

    /* Without --cells, C follows a smaller cells_max; --cells given stays as given. */
    l0_stream_cfg d;
    l0_stream_cfg_default(&d);
    m.cells_max = 16;
    l0_stream_cfg_fit_model(&d, &m);
    CHECK(d.cells == 16);
    l0_err err;
    l0_stream_cfg_default(&d);
    CHECK(l0_stream_cfg_option(&d, "cells", "32", &err) == 1 && d.cells_given);
    l0_stream_cfg_fit_model(&d, &m);
    CHECK(d.cells == 32 && l0_stream_cfg_check(&d, &m, &err) != 0);
    m.cells_max = 64;
    l0_stream_cfg_default(&d);
    l0_stream_cfg_fit_model(&d, &m);
    CHECK(d.cells == 64);
}

static void test_hist(void) {
    l0_hist h;
    memset(&h, 0, sizeof h);
    CHECK(l0_hist_pct(&h, 0.5) == 0);
    /* values 1..100 in a shuffled order: nearest rank */
    for (int i = 0; i < 100; i++) l0_hist_add(&h, (i * 37) % 100 + 1, 1);
    CHECK(h.len == 100);
    CHECK(l0_hist_pct(&h, 0.5) == 50);
    CHECK(l0_hist_pct(&h, 0.99) == 99);
    CHECK(l0_hist_pct(&h, 1.0) == 100);
    CHECK(l0_hist_pct(&h, 0.001) == 1);
    l0_hist_add(&h, 50, 100); /* now 50 holds 101 of 200 */
    CHECK(l0_hist_total(&h) == 200);
    CHECK(l0_hist_pct(&h, 0.5) == 50);
    CHECK(l0_hist_pct(&h, 0.26) == 50);
    CHECK(l0_hist_pct(&h, 0.24) == 48);
    free(h.v);
    free(h.n);
}

/* A report of node set `shard` of 2 with a few made-up clusters. */
static void fill(l0_stream_report *r, int shard, int with_all) {
    l0_stream_cfg c;
    l0_stream_cfg_default(&c);
    c.nodes = 4;
    if (!with_all) {
        c.shard_i = shard;
        c.shard_n = 2;
    }
    l0_stream_report_init(r, "test", &c, "s.l0s", "m.json", "m");
    l0_cluster cl = {.e = 10, .et = 10, .truth_e = 12, .n_cells = 3};
    for (int g = 0; g < 40; g++) {
        int node = g % 4;
        if (!l0_stream_node_selected(&c, node)) continue;
        l0_event ev = {.orbit = 0, .bx = (uint16_t)g, .filled = (uint8_t)(g % 5 != 0)};
        l0_stream_sel s = {&cl, g % 3, 3, 0};
        l0_stream_sel_counts cnt = {2, 5, 0, 0};
        if (ev.filled) {
            int64_t ps = 100000 + 7919 * (g % 13);
            l0_stream_report_cluster(r, &ev, node, &s, L0_CL_OK, ps, 11.0 + g * 0.01);
            s.rank = 1;
            l0_stream_report_cluster(r, &ev, node, &s, g == 17 ? L0_CL_DROPPED : L0_CL_OK,
                                     ps + 4158, 11.5);
        }
        l0_stream_report_event(r, &ev, (uint64_t)g, node, &cnt, ev.filled ? 104158 + g : 0);
    }
    r->beats += 10;
    r->clocks += 100;
}

static void summary(const l0_stream_report *r, char *buf, size_t n) {
    FILE *f = fmemopen(buf, n, "w");
    l0_stream_report_summary(r, f);
    fclose(f);
}

static void test_report(void) {
    char dir[] = "/tmp/l0_stream_test_XXXXXX";
    CHECK(mkdtemp(dir) != NULL);
    char p0[256], p1[256], pall[256];
    snprintf(p0, sizeof p0, "%s/r0.json", dir);
    snprintf(p1, sizeof p1, "%s/r1.json", dir);
    snprintf(pall, sizeof pall, "%s/all.json", dir);
    l0_stream_report a, b, all, ra, rb, rall;
    fill(&a, 0, 0);
    fill(&b, 1, 0);
    fill(&all, 0, 1);
    l0_err err;
    CHECK(!l0_stream_report_write(&a, p0, &err));
    CHECK(!l0_stream_report_write(&b, p1, &err));
    CHECK(!l0_stream_report_write(&all, pall, &err));
    CHECK(!l0_stream_report_read(p0, &ra, &err));
    CHECK(!l0_stream_report_read(p1, &rb, &err));
    CHECK(!l0_stream_report_read(pall, &rall, &err));
    CHECK(ra.sent == a.sent && ra.lat.len == a.lat.len && ra.n_truth == a.n_truth);
    CHECK(ra.first_drop.valid == a.first_drop.valid);
    CHECK(!l0_stream_report_merge(&rb, &ra, &err)); /* order reversed on purpose */
    static char s1[8192], s2[8192];
    summary(&rb, s1, sizeof s1);
    summary(&rall, s2, sizeof s2);
    if (strcmp(s1, s2)) fprintf(stderr, "merged:\n%s\nsingle:\n%s\n", s1, s2);
    CHECK(!strcmp(s1, s2));
    CHECK(rb.dropped == 1 && !l0_stream_report_pass(&rb, NULL, 0));
    /* overlapping nodes refused */
    CHECK(l0_stream_report_merge(&rb, &ra, &err) == -1 && strstr(err.msg, "in two of the reports"));
    /* a field missing: named */
    FILE *f = fopen(p0, "w");
    fputs("{\"format\": \"l0sim-stream-report\", \"version\": 1, \"config\": {\"nodes\": 4}}", f);
    fclose(f);
    l0_stream_report z;
    CHECK(l0_stream_report_read(p0, &z, &err) == -1 && strstr(err.msg, "'top_k'") &&
          strstr(err.msg, "r0.json"));
    f = fopen(p0, "w");
    fputs("{\"format\": \"l0sim-stream-", f);
    fclose(f);
    CHECK(l0_stream_report_read(p0, &z, &err) == -1 && strstr(err.msg, "not valid JSON"));
    l0_stream_report_free(&a);
    l0_stream_report_free(&b);
    l0_stream_report_free(&all);
    l0_stream_report_free(&ra);
    l0_stream_report_free(&rb);
    l0_stream_report_free(&rall);
    remove(p0);
    remove(p1);
    remove(pall);
    rmdir(dir);
}

static void test_options(void) {
    l0_stream_cfg c;
    l0_stream_cfg_default(&c);
    l0_err err;
    CHECK(l0_stream_cfg_option(&c, "nodes", "24", &err) == 1 && c.nodes == 24);
    CHECK(l0_stream_cfg_option(&c, "nodes", "0", &err) == -1 && strstr(err.msg, "--nodes"));
    CHECK(l0_stream_cfg_option(&c, "shard", "1/3", &err) == 1 && c.shard_i == 1 && c.shard_n == 3);
    CHECK(l0_stream_cfg_option(&c, "shard", "3/3", &err) == -1);
    CHECK(l0_stream_cfg_option(&c, "shard", "1/3x", &err) == -1);
    CHECK(l0_stream_cfg_option(&c, "clock-mhz", "nan", &err) == -1);
    CHECK(l0_stream_cfg_option(&c, "frob", "1", &err) == 0);
    CHECK(l0_stream_node_selected(&c, 4) && !l0_stream_node_selected(&c, 5));
    c.node = 30;
    CHECK(l0_stream_cfg_check(&c, NULL, &err) == -1 && strstr(err.msg, "--node 30"));
    l0_stream_cfg_default(&c);
    CHECK(l0_stream_event_budget_ns(&c) > 1197.5 && l0_stream_event_budget_ns(&c) < 1197.7);
}

int main(void) {
    test_time();
    test_select();
    test_hist();
    test_report();
    test_options();
    if (fails) {
        fprintf(stderr, "test_stream_lib: %d checks failed\n", fails);
        return 1;
    }
    printf("test_stream_lib: ok\n");
    return 0;
}
