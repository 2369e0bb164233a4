/* l0sim run: an event stream through the verilated engine, node by node, as docs/stream.md
 * specifies; every output checked against the golden model (the scoreboard), every latency
 * against the formula and the budgets. */
#include <getopt.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "l0_beats.h"
#include "l0_cli.h"
#include "l0_cmds.h"
#include "l0_ofile.h"
#include "l0_progress.h"
#include "l0_rtl.h"
#include "l0_rtl_engine.h"
#include "l0_stimfile.h"
#include "l0_stream.h"

static const char HELP[] =
    "usage: l0sim run --data STREAM.l0s [-o DIR] [options]\n"
    "\n"
    "Stream bunch crossings through the DeepSets engine this l0sim was built with (the\n"
    "verilated RTL): crossings go round-robin to time-multiplexed nodes, each node sends its\n"
    "event's clusters over its input link into FIFOs and its engine(s), clock by clock\n"
    "(docs/stream.md). Every output is checked bit for bit against the golden model and its\n"
    "clock against the latency formula; every latency against the budgets. Reads the stream one\n"
    "crossing at a time.\n"
    "\n"
    "  --data FILE           the stimulus stream (l0sim gen --orbits/--crossings)\n"
    "  -o, --out DIR         write DIR/report.json, latency.png, completion.png, clusters.csv,\n"
    "                        and with truth-matched clusters truth.csv and response.png\n"
    "                        (default: out/run)\n"
    "  --report FILE         the JSON report elsewhere (also with -o)\n"
    "  --junit FILE          the verdict as JUnit XML for CI: one testcase per check (mismatches,\n"
    "                        drops, late clusters, late events, truncation), the numbers in\n"
    "                        each failure message\n"
    "  --no-plots            skip the PNG plots (no gnuplot needed)\n"
    "  --no-csv              skip the per-cluster table\n"
    "  --model FILE          the model to check against (default: the engine's own model file);\n"
    "                        it must be the model the engine was built from\n"
    "  --unchecked-model     accept a --model the engine was not built from (to see the\n"
    "                        scoreboard catch it)\n"
    "  --waves G             dump FST waves for the node of crossing G (counted from the first\n"
    "                        record), from its arrival, --waves-clocks clocks (default 400),\n"
    "                        to DIR/waves/ with a GTKWave save file\n"
    "  --waves-clocks N      length of the wave window\n"
    "  --max-crossings N     stop after N records\n"
    "  -q, --quiet           no summary (the report is still written)\n"
    "  -h, --help\n"
    "\n"
    "%s"
    "\n"
    "On the first mismatch, the cluster, its layer-by-layer golden trace and a wave window\n"
    "around it (DIR/mismatch/) are written. Nodes are independent: run shards with --shard I/N\n"
    "in parallel and add their reports with 'l0sim merge'.\n"
    "exit status: 0 PASS, 1 FAIL (budget, mismatch, drop, or truncation not allowed),\n"
    "2 usage or input error.\n";

/* --- a node, clock by clock ---------------------------------------------------------------- */
typedef struct rcl { /* a sent cluster */
    uint64_t g;
    uint32_t orbit;
    uint16_t bx;
    int rank, n, engine, truncated, status;
    uint32_t tag; /* carried through the engine */
    float e, truth_e;
    int64_t arrival, written, first, out, golden, rtl;
    int64_t last_write; /* edge the last cell went into the FIFO */
    int64_t *feat;      /* n x n_feat input_t raws */
    struct revt *ev;
    l0_cluster copy; /* for traces (cells not kept) */
} rcl;

typedef struct revt {
    uint64_t g;
    uint32_t orbit;
    uint16_t bx;
    uint8_t filled;
    l0_stream_sel_counts cnt;
    int64_t arrival;
    int n, pending; /* clusters, and those not yet out (or dropped) */
    int64_t last_out;
    rcl *cl;
    int link_next; /* cluster the link moves next, and cells of it moved */
    int link_cell;
    struct revt *next;
} revt;

typedef struct engine_q { /* FIFO + dispatcher + in-flight, one engine */
    rcl **q;              /* clusters admitted, in order */
    size_t head, len, cap;
    int64_t occupancy; /* cells in the FIFO */
    rcl *cur;          /* cluster being driven */
    int beat;          /* next beat of cur */
    rcl **fly;         /* driven, waiting for output */
    size_t fhead, flen, fcap;
    l0_rtl_engine *rtl;
    int64_t rtl_base; /* node edge k = rtl cycle + rtl_base */
} engine_q;

typedef struct node {
    int id;
    int64_t k;               /* next edge to simulate */
    revt *ev_head, *ev_tail; /* events not finished by the link, or not yet out */
    revt *link_ev;           /* the event on the link */
    int64_t link_free;       /* first edge the link may start the next event */
    engine_q eng[L0_STREAM_ENGINES_MAX];
    int64_t first_edge, last_edge;
    int trace_open;
} node;

typedef struct run {
    l0_stream_cfg cfg;
    const l0_model *m;
    l0_golden *g;
    l0_rtl_cfg rc;
    node *nodes; /* indexed by node id; NULL rtl for unselected */
    l0_stream_report rep;
    l0_ofile *csv;
    uint32_t tag_mask, tag_next;
    /* waves */
    int64_t wave_node, wave_from, wave_to;
    char wave_path[4300];
    int wave_started;
    /* first mismatch, for the trace and the wave window */
    int have_mm;
    rcl mm;
    int64_t mm_node;
    char mm_why[256];
    l0_err err;
    int failed_io;
} run;

static void *xcalloc(size_t n, size_t s) {
    void *p = calloc(n ? n : 1, s);
    if (!p) {
        fprintf(stderr, "l0sim run: out of memory\n");
        exit(L0_EXIT_USAGE);
    }
    return p;
}

static void push_ptr(rcl ***a, size_t *head, size_t *len, size_t *cap, rcl *c) {
    if (*head + *len == *cap) {
        if (*head > 0) {
            memmove(*a, *a + *head, *len * sizeof **a);
            *head = 0;
        }
        if (*len == *cap) {
            *cap = *cap ? 2 * *cap : 64;
            rcl **n = realloc(*a, *cap * sizeof **a);
            if (!n) abort();
            *a = n;
        }
    }
    (*a)[*head + (*len)++] = c;
}

static void free_event(revt *e) {
    for (int i = 0; i < e->n; i++) free(e->cl[i].feat);
    free(e->cl);
    free(e);
}

static l0_event ev_view(const revt *e) {
    l0_event v;
    memset(&v, 0, sizeof v);
    v.orbit = e->orbit;
    v.bx = e->bx;
    v.filled = e->filled;
    return v;
}

static void cluster_done(run *R, node *nd, rcl *c) {
    revt *e = c->ev;
    l0_event v = ev_view(e);
    l0_cluster cc;
    memset(&cc, 0, sizeof cc);
    cc.e = c->e;
    cc.truth_e = c->truth_e;
    l0_stream_sel s = {&cc, c->rank, c->n, c->truncated};
    int64_t ps = c->status == L0_CL_DROPPED ? -1 : l0_stream_latency_ps(&R->cfg, c->g, c->out);
    if (c->status == L0_CL_OK && (double)ps > R->cfg.budget_cluster_ns * 1000.0)
        c->status = L0_CL_LATE;
    const l0_fx_type *to = &R->m->rho[R->m->n_rho - 1].t_res;
    double cal = l0_fx_to_double(to, c->golden) * R->m->target_scale;
    l0_stream_report_cluster(&R->rep, &v, nd->id, &s, c->status, ps, cal);
    if (R->csv)
        l0_stream_csv_row(R->csv, &v, nd->id, c->engine, &s, c->arrival,
                          c->status == L0_CL_DROPPED ? -1 : c->first,
                          c->status == L0_CL_DROPPED ? -1 : c->out, ps / 1000.0, c->status,
                          c->golden);
    if (c->status != L0_CL_DROPPED && c->out > e->last_out) e->last_out = c->out;
    e->pending--;
}

/* Events whose clusters are all out, in order, leave the node. */
static void retire_events(run *R, node *nd) {
    while (nd->ev_head && nd->ev_head->pending == 0 && nd->ev_head != nd->link_ev) {
        revt *e = nd->ev_head;
        l0_event v = ev_view(e);
        int64_t ps = e->n ? l0_stream_latency_ps(&R->cfg, e->g, e->last_out) : 0;
        if (e->last_out < 0) ps = 0;
        l0_stream_report_event(&R->rep, &v, e->g, nd->id, &e->cnt, ps);
        nd->ev_head = e->next;
        if (!nd->ev_head) nd->ev_tail = NULL;
        free_event(e);
    }
}

static int node_idle(const run *R, const node *nd) {
    if (nd->link_ev) return 0;
    for (int i = 0; i < R->cfg.engines; i++) {
        const engine_q *q = &nd->eng[i];
        if (q->len || q->cur || q->flen) return 0;
    }
    return 1;
}

static void mismatch(run *R, node *nd, rcl *c, const char *fmt, int64_t a, int64_t b) {
    c->status = L0_CL_MISMATCH;
    if (!R->have_mm) {
        R->have_mm = 1;
        R->mm = *c;
        R->mm.feat = NULL;
        R->mm_node = nd->id;
        snprintf(R->mm_why, sizeof R->mm_why, fmt, (long long)a, (long long)b);
    }
}

static void make_beat(const run *R, const rcl *c, int b, uint32_t tag, l0_rtl_beat *bt) {
    int L = R->cfg.lanes, nf = R->m->n_feat;
    int nb = c->n > 0 ? (c->n + L - 1) / L : 1;
    memset(bt, 0, sizeof *bt);
    bt->valid = 1;
    bt->first = b == 0;
    bt->last = b == nb - 1;
    bt->tag = tag;
    for (int l = 0; l < L; l++) {
        int k = b * L + l;
        if (k >= c->n) continue;
        bt->lane_valid |= UINT64_C(1) << l;
        memcpy(&bt->feat[l * nf], &c->feat[k * nf], (size_t)nf * sizeof(int64_t));
    }
}

/* One edge k of node nd. */
static void node_step(run *R, node *nd) {
    const l0_stream_cfg *C = &R->cfg;
    const int64_t k = nd->k;
    /* waves: open the window when its first edge comes */
    if (nd->id == R->wave_node && !R->wave_started && k >= R->wave_from) {
        engine_q *q = &nd->eng[0];
        uint64_t cyc = l0_rtl_engine_cycle(q->rtl);
        if (l0_rtl_engine_trace(q->rtl, R->wave_path, cyc, cyc + (uint64_t)(R->wave_to - k),
                                &R->err))
            R->failed_io = 1;
        R->wave_started = 1;
        nd->trace_open = 1;
    }
    /* 1. dispatchers: drive a beat (pops its cells) */
    for (int ei = 0; ei < C->engines; ei++) {
        engine_q *q = &nd->eng[ei];
        if (!q->cur && q->len) {
            rcl *h = q->q[q->head];
            if (h->written == h->n && h->last_write < k) {
                q->head++;
                q->len--;
                q->cur = h;
                q->beat = 0;
                h->first = k;
                h->out = k + l0_rtl_latency(R->m, &R->rc, h->n) - 1;
            }
        }
        l0_rtl_beat bt;
        if (q->cur) {
            rcl *c = q->cur;
            int nb = c->n > 0 ? (c->n + C->lanes - 1) / C->lanes : 1;
            if (q->beat == 0) c->tag = R->tag_next & R->tag_mask;
            make_beat(R, c, q->beat, c->tag, &bt);
            int popped = C->lanes;
            if (q->beat * C->lanes + popped > c->n) popped = c->n - q->beat * C->lanes;
            q->occupancy -= popped;
            q->beat++;
            R->rep.beats++;
            if (q->beat == nb) {
                push_ptr(&q->fly, &q->fhead, &q->flen, &q->fcap, c);
                q->cur = NULL;
                R->tag_next++;
            }
            l0_rtl_engine_drive(q->rtl, &bt);
        } else {
            l0_rtl_engine_drive(q->rtl, NULL);
        }
    }
    /* 2. the engines: one rising edge, then check what came out */
    for (int ei = 0; ei < C->engines; ei++) {
        engine_q *q = &nd->eng[ei];
        l0_rtl_engine_clock(q->rtl);
        uint32_t tag;
        int64_t raw;
        int got = l0_rtl_engine_output(q->rtl, &tag, &raw);
        rcl *h = q->flen ? q->fly[q->fhead] : NULL;
        if (got) {
            if (!h) {
                /* an output nobody expects: charge it to the next cluster in flight, if any */
                R->rep.mismatches++;
                continue;
            }
            q->fhead++;
            q->flen--;
            h->rtl = raw;
            h->status = L0_CL_OK;
            if (tag != h->tag)
                mismatch(R, nd, h, "output tag %lld, expected %lld", (long long)tag,
                         (long long)h->tag);
            else if (k != h->out)
                mismatch(R, nd, h, "output at edge %lld, the latency formula says %lld", k, h->out);
            else if (raw != h->golden)
                mismatch(R, nd, h, "output raw %lld, the golden model gives %lld", raw, h->golden);
            if (h->status == L0_CL_MISMATCH) h->out = k;
            cluster_done(R, nd, h);
        } else if (h && k >= h->out) {
            q->fhead++;
            q->flen--;
            mismatch(R, nd, h, "no output by edge %lld (the formula's clock %lld)", k, h->out);
            cluster_done(R, nd, h);
        }
    }
    /* 3. the link: up to B cells of the current event into the FIFOs */
    if (!nd->link_ev) {
        /* the next event waiting for the link */
        for (revt *e = nd->ev_head; e; e = e->next)
            if (e->link_next < e->n) {
                if (e->arrival <= k && nd->link_free <= k) nd->link_ev = e;
                break;
            }
    }
    revt *e = nd->link_ev;
    if (e) {
        int budget = C->link_cells;
        while (budget > 0 && e->link_next < e->n) {
            rcl *c = &e->cl[e->link_next];
            engine_q *q = &nd->eng[c->engine];
            if (e->link_cell == 0) {
                /* admission */
                if ((int64_t)C->fifo_depth - q->occupancy < c->n) {
                    c->status = L0_CL_DROPPED;
                } else {
                    push_ptr(&q->q, &q->head, &q->len, &q->cap, c);
                }
            }
            int take = c->n - e->link_cell;
            if (take > budget) take = budget;
            budget -= take;
            e->link_cell += take;
            if (c->status != L0_CL_DROPPED) {
                c->written += take;
                c->last_write = k;
                q->occupancy += take;
                if (q->occupancy > R->rep.fifo_peak) R->rep.fifo_peak = q->occupancy;
            }
            if (e->link_cell == c->n) {
                if (c->status == L0_CL_DROPPED) cluster_done(R, nd, c);
                e->link_next++;
                e->link_cell = 0;
            }
        }
        if (e->link_next == e->n) {
            nd->link_ev = NULL;
            nd->link_free = k + 1;
        }
    }
    retire_events(R, nd);
    if (nd->last_edge < k) nd->last_edge = k;
    nd->k = k + 1;
}

/* Simulate node nd up to (not including) edge `until`; idle stretches cost nothing. */
static void node_advance(run *R, node *nd, int64_t until) {
    while (nd->k < until) {
        if (node_idle(R, nd) && !(nd->id == R->wave_node && nd->trace_open && nd->k < R->wave_to)) {
            /* nothing in flight: jump, unless the next event is already due */
            int64_t next = until;
            for (revt *e = nd->ev_head; e; e = e->next)
                if (e->link_next < e->n) {
                    int64_t t = e->arrival > nd->link_free ? e->arrival : nd->link_free;
                    if (t < next) next = t;
                    break;
                }
            if (nd->id == R->wave_node && !R->wave_started && R->wave_from < next &&
                R->wave_from >= nd->k)
                next = R->wave_from;
            retire_events(R, nd);
            if (next > nd->k) {
                nd->k = next;
                continue;
            }
        }
        node_step(R, nd);
    }
}

/* A new event for node nd. */
static void node_event(run *R, node *nd, const l0_event *ev, uint64_t g, l0_stream_sel *sel) {
    const l0_stream_cfg *C = &R->cfg;
    int64_t a = l0_stream_arrival_clock(C, g);
    node_advance(R, nd, a);
    revt *e = xcalloc(1, sizeof *e);
    e->g = g;
    e->orbit = ev->orbit;
    e->bx = ev->bx;
    e->filled = ev->filled;
    e->arrival = a;
    e->last_out = -1;
    int n = ev->filled ? l0_stream_select(C, ev, sel, &e->cnt) : 0;
    if (!ev->filled) memset(&e->cnt, 0, sizeof e->cnt);
    e->n = n;
    e->pending = n;
    e->cl = xcalloc((size_t)(n ? n : 1), sizeof *e->cl);
    int nf = R->m->n_feat;
    double feat[L0_MODEL_FEATURES_MAX];
    for (int i = 0; i < n; i++) {
        rcl *c = &e->cl[i];
        l0_cluster cut = *sel[i].c;
        cut.n_cells = (uint16_t)sel[i].n;
        c->g = g;
        c->orbit = ev->orbit;
        c->bx = ev->bx;
        c->rank = sel[i].rank;
        c->n = l0_model_cells_used(R->m, &cut);
        c->engine = i % C->engines;
        c->truncated = sel[i].truncated;
        c->e = cut.e;
        c->truth_e = cut.truth_e;
        c->arrival = a;
        c->first = c->out = -1;
        c->last_write = -1;
        c->ev = e;
        c->golden = l0_golden_run(R->g, &cut, NULL);
        c->feat = xcalloc((size_t)(c->n * nf), sizeof *c->feat);
        for (int k = 0; k < c->n; k++) {
            l0_model_features(R->m, &cut, k, feat);
            for (int f = 0; f < nf; f++) {
                int o;
                if (l0_fx_from_double(feat[f], &R->m->t_in, &c->feat[k * nf + f], &o))
                    c->feat[k * nf + f] = 0; /* as the golden model treats NaN */
            }
        }
        c->copy = cut;
        c->copy.cells = NULL;
    }
    if (nd->first_edge < 0) nd->first_edge = a;
    if (nd->ev_tail)
        nd->ev_tail->next = e;
    else
        nd->ev_head = e;
    nd->ev_tail = e;
}

static void node_drain(run *R, node *nd) {
    /* every cluster in flight comes out (or is flagged) by its formula clock */
    while (nd->ev_head || !node_idle(R, nd)) node_advance(R, nd, nd->k + 4096);
    if (nd->first_edge >= 0) R->rep.clocks += (uint64_t)(nd->last_edge + 1 - nd->first_edge);
}

/* --- the stream ----------------------------------------------------------------------------- */
typedef struct run_opts {
    const char *data, *out, *report, *model;
    int plots, csv, quiet, unchecked;
    int64_t waves_g, waves_clocks, max_crossings;
} run_opts;

/* One pass over the stream; returns 0, or 2 on an input error (message printed). */
static int stream_pass(run *R, const run_opts *o, l0_stream_sel *sel, int show_progress) {
    l0_err err;
    l0_stim_reader *rd = l0_stim_reader_open(o->data, &err);
    if (!rd) return l0_cli_error("run", "%s", err.msg);
    if (strcmp(l0_stim_reader_kind(rd), L0_STIM_KIND_STREAM)) {
        l0_stim_reader_close(rd);
        return l0_cli_error("run",
                            "%s: a '%s' file; run needs a stream (l0sim gen --orbits or "
                            "--crossings)",
                            o->data, l0_stim_reader_kind(rd));
    }
    FILE *fp = fopen(o->data, "rb");
    uint64_t size = 0;
    if (fp) {
        fseek(fp, 0, SEEK_END);
        size = (uint64_t)ftell(fp);
        fclose(fp);
    }
    l0_progress pr;
    if (show_progress) l0_progress_start(&pr, "run: bytes of the stream", size);
    l0_event ev;
    int first = 1;
    uint32_t orbit0 = 0;
    uint16_t bx0 = 0;
    int64_t count = 0;
    for (;;) {
        if (o->max_crossings > 0 && count >= o->max_crossings) break;
        int r = l0_stim_reader_next(rd, &ev, &err);
        if (r < 0) {
            l0_stim_reader_close(rd);
            if (show_progress) l0_progress_end(&pr, 0);
            return l0_cli_error("run", "%s", err.msg);
        }
        if (r == 0) break;
        count++;
        if (first) {
            orbit0 = ev.orbit;
            bx0 = ev.bx;
            first = 0;
        }
        uint64_t g = l0_stream_crossing(orbit0, bx0, ev.orbit, ev.bx);
        int nid = (int)(g % (uint64_t)R->cfg.nodes);
        if (l0_stream_node_selected(&R->cfg, nid)) node_event(R, &R->nodes[nid], &ev, g, sel);
        if (show_progress) l0_progress_update(&pr, l0_stim_reader_offset(rd));
    }
    if (show_progress) l0_progress_end(&pr, l0_stim_reader_offset(rd));
    l0_stim_reader_close(rd);
    for (int n = 0; n < R->cfg.nodes; n++)
        if (l0_stream_node_selected(&R->cfg, n)) node_drain(R, &R->nodes[n]);
    return 0;
}

static int run_setup(run *R, const l0_stream_cfg *cfg, const l0_model *m, l0_golden *g,
                     const l0_rtl_engine_info *info) {
    memset(R, 0, sizeof *R);
    R->cfg = *cfg;
    R->m = m;
    R->g = g;
    l0_rtl_cfg_of_engine(info, &R->rc);
    l0_err perr;
    if (l0_rtl_prepare(&R->rc, g, &perr)) { /* the cmvm layers' depths, once */
        fprintf(stderr, "l0sim run: %s\n", perr.msg);
        return -1;
    }
    R->tag_mask = (uint32_t)((1ULL << info->tag_w) - 1);
    R->wave_node = -1;
    R->nodes = xcalloc((size_t)cfg->nodes, sizeof *R->nodes);
    for (int n = 0; n < cfg->nodes; n++) {
        node *nd = &R->nodes[n];
        nd->id = n;
        nd->first_edge = -1;
        nd->last_edge = -1;
        if (!l0_stream_node_selected(cfg, n)) continue;
        for (int e = 0; e < cfg->engines; e++) {
            l0_err err;
            nd->eng[e].rtl = l0_rtl_engine_create(&err);
            if (!nd->eng[e].rtl) return l0_cli_error("run", "%s", err.msg);
            l0_rtl_engine_reset(nd->eng[e].rtl);
        }
    }
    return 0;
}

static void run_free(run *R) {
    if (!R->nodes) return;
    for (int n = 0; n < R->cfg.nodes; n++) {
        node *nd = &R->nodes[n];
        for (int e = 0; e < R->cfg.engines; e++) {
            engine_q *q = &nd->eng[e];
            if (q->rtl) l0_rtl_engine_destroy(q->rtl);
            free(q->q);
            free(q->fly);
        }
        while (nd->ev_head) {
            revt *e = nd->ev_head;
            nd->ev_head = e->next;
            free_event(e);
        }
    }
    free(R->nodes);
    R->nodes = NULL;
}

/* Waves for one node over [from, to) edges: a second pass over the stream, that node only. */
static int waves_pass(const l0_stream_cfg *cfg0, const run_opts *o, const l0_model *m, l0_golden *g,
                      const l0_rtl_engine_info *info, int nid, int64_t from, int64_t to,
                      const char *dir, l0_stream_sel *sel) {
    l0_err err;
    if (l0_mkdir_p(dir, &err)) return l0_cli_error("run", "%s", err.msg);
    l0_stream_cfg c = *cfg0;
    c.node = nid;
    run R;
    if (run_setup(&R, &c, m, g, info)) {
        run_free(&R);
        return L0_EXIT_USAGE;
    }
    l0_stream_report_init(&R.rep, "l0sim run", &c, o->data, "", "");
    char fst[4096], gtkw[4096];
    snprintf(fst, sizeof fst, "%s/l0_engine.fst", dir);
    snprintf(gtkw, sizeof gtkw, "%s/l0_engine.gtkw", dir);
    snprintf(R.wave_path, sizeof R.wave_path, "%s.tmp.%ld.fst", fst, (long)getpid());
    R.wave_node = nid;
    R.wave_from = from < 0 ? 0 : from;
    R.wave_to = to;
    int rc = stream_pass(&R, o, sel, 0);
    for (int e = 0; e < c.engines; e++) l0_rtl_engine_trace_close(R.nodes[nid].eng[e].rtl);
    if (!rc && (R.failed_io || !R.wave_started)) {
        rc = l0_cli_error("run", "waves: %s",
                          R.failed_io ? R.err.msg : "the window lies beyond the stream");
    }
    if (!rc && rename(R.wave_path, fst) != 0)
        rc = l0_cli_error("run", "%s: cannot rename the dump into place", fst);
    remove(R.wave_path);
    if (!rc) {
        char abs_fst[PATH_MAX];
        if (!realpath(fst, abs_fst)) snprintf(abs_fst, sizeof abs_fst, "%s", fst);
        l0_rtl_cfg rcf;
        l0_rtl_cfg_of_engine(info, &rcf);
        if (l0_rtl_write_gtkw(m, &rcf, abs_fst, gtkw, &err))
            rc = l0_cli_error("run", "%s", err.msg);
        else
            printf("waves: node %d, edges %lld..%lld: %s\n  open with: gtkwave -a %s %s\n", nid,
                   (long long)from, (long long)to, fst, gtkw, fst);
    }
    l0_stream_report_free(&R.rep);
    run_free(&R);
    return rc;
}

/* Re-read the stream for the mismatching cluster's cells and print its golden trace. */
static int mismatch_trace(const run_opts *o, const l0_model *m, l0_golden *g, const rcl *c,
                          const char *why, const char *path) {
    l0_err err;
    l0_stim_reader *rd = l0_stim_reader_open(o->data, &err);
    if (!rd) return l0_cli_error("run", "%s", err.msg);
    l0_event ev;
    int r;
    l0_ofile *of = l0_ofile_open(path, &err);
    if (!of) {
        l0_stim_reader_close(rd);
        return l0_cli_error("run", "%s", err.msg);
    }
    FILE *f = l0_ofile_fp(of);
    fprintf(f, "first mismatch: orbit %u bx %u cluster %d (%d cells), engine %d: %s\n",
            (unsigned)c->orbit, (unsigned)c->bx, c->rank, c->n, c->engine, why);
    fprintf(f, "first beat at edge %lld, output expected at edge %lld (formula); golden raw %lld\n",
            (long long)c->first, (long long)c->out, (long long)c->golden);
    while ((r = l0_stim_reader_next(rd, &ev, &err)) == 1) {
        if (ev.orbit != c->orbit || ev.bx != c->bx) continue;
        l0_cluster cut = ev.clusters[c->rank];
        cut.n_cells = (uint16_t)c->n;
        l0_trace tr;
        if (l0_golden_trace(g, &cut, &tr, &err)) break;
        fprintf(f, "\ngolden model, layer by layer (float | fixed):\n");
        for (int t = 0; t < tr.n; t++) {
            l0_trace_tensor *T = &tr.t[t];
            char ty[64];
            l0_fx_type_str(&T->type, ty, sizeof ty);
            fprintf(f, "%s  %d x %d  %s\n", T->name, T->rows, T->cols, ty);
            for (int i = 0; i < T->rows; i++) {
                fprintf(f, "  ");
                for (int j = 0; j < T->cols; j++) {
                    int at = i * T->cols + j;
                    fprintf(f, " %.6g|%.6g", T->flt[at], T->fixed[at]);
                }
                fprintf(f, "\n");
            }
        }
        l0_trace_free(&tr);
        break;
    }
    l0_stim_reader_close(rd);
    (void)m;
    if (r < 0) {
        l0_ofile_abort(of);
        return l0_cli_error("run", "%s", err.msg);
    }
    if (l0_ofile_commit(of, &err)) return l0_cli_error("run", "%s", err.msg);
    return 0;
}

int l0_cmd_run(int argc, char **argv) {
    const l0_rtl_engine_info *info = l0_rtl_engine_info_get();
    l0_stream_cfg cfg;
    l0_stream_cfg_default(&cfg);
    cfg.lanes = info->lanes;
    cfg.reg_every = info->reg_every;
    run_opts o = {.out = "out/run", .plots = 1, .csv = 1, .waves_g = -1, .waves_clocks = 400};
    enum { O_DATA = 1, O_REPORT, O_NOPLOTS, O_NOCSV, O_MODEL, O_UNCHECKED, O_WAVES, O_WCLK, O_MAX };
    enum { O_JUNIT = 0x100 }; /* kept apart from the list above */
    struct option opts[64] = {
        {"data", required_argument, NULL, O_DATA},
        {"out", required_argument, NULL, 'o'},
        {"report", required_argument, NULL, O_REPORT},
        {"no-plots", no_argument, NULL, O_NOPLOTS},
        {"no-csv", no_argument, NULL, O_NOCSV},
        {"model", required_argument, NULL, O_MODEL},
        {"unchecked-model", no_argument, NULL, O_UNCHECKED},
        {"waves", required_argument, NULL, O_WAVES},
        {"waves-clocks", required_argument, NULL, O_WCLK},
        {"max-crossings", required_argument, NULL, O_MAX},
        {"quiet", no_argument, NULL, 'q'},
        {"help", no_argument, NULL, 'h'},
        {"junit", required_argument, NULL, O_JUNIT},
    };
    int no = 13;
    for (const struct option *s = l0_stream_long_options(); s->name; s++) opts[no++] = *s;
    opts[no] = (struct option){NULL, 0, NULL, 0};
    int lanes_set = 0, reg_set = 0;
    const char *junit = NULL;
    optind = 1;
    int c;
    while ((c = getopt_long(argc, argv, "o:qh", opts, NULL)) != -1) {
        int64_t v;
        switch (c) {
        case O_DATA:
            o.data = optarg;
            break;
        case 'o':
            o.out = optarg;
            break;
        case O_REPORT:
            o.report = optarg;
            break;
        case O_JUNIT:
            junit = optarg;
            break;
        case O_NOPLOTS:
            o.plots = 0;
            break;
        case O_NOCSV:
            o.csv = 0;
            break;
        case O_MODEL:
            o.model = optarg;
            break;
        case O_UNCHECKED:
            o.unchecked = 1;
            break;
        case O_WAVES:
            if (l0_parse_i64(optarg, 0, INT64_MAX / 2, &v))
                return l0_cli_usage("run", "--waves: '%s' is not a crossing number", optarg);
            o.waves_g = v;
            break;
        case O_WCLK:
            if (l0_parse_i64(optarg, 1, 10000000, &v))
                return l0_cli_usage("run", "--waves-clocks: '%s' is not 1..10000000", optarg);
            o.waves_clocks = v;
            break;
        case O_MAX:
            if (l0_parse_i64(optarg, 1, INT64_MAX / 2, &v))
                return l0_cli_usage("run", "--max-crossings: '%s' is not a positive count", optarg);
            o.max_crossings = v;
            break;
        case 'q':
            o.quiet = 1;
            break;
        case 'h':
            printf(HELP, l0_stream_options_help);
            return L0_EXIT_OK;
        default:
            if (c >= L0_STREAM_OPT_BASE && c < L0_STREAM_OPT_BASE + 64) {
                const char *name = NULL;
                for (const struct option *s = l0_stream_long_options(); s->name; s++)
                    if (s->val == c) name = s->name;
                l0_err err;
                if (l0_stream_cfg_option(&cfg, name, optarg, &err) < 0)
                    return l0_cli_usage("run", "%s", err.msg);
                lanes_set |= !strcmp(name, "lanes");
                reg_set |= !strcmp(name, "reg-every");
                break;
            }
            return l0_cli_bad_option("run", c, argv);
        }
    }
    if (optind < argc) {
        if (!o.data && optind == argc - 1)
            o.data = argv[optind];
        else
            return l0_cli_usage("run", "unexpected argument '%s'", argv[optind]);
    }
    if (!o.data) return l0_cli_usage("run", "--data FILE is required");
    if ((lanes_set && cfg.lanes != info->lanes) || (reg_set && cfg.reg_every != info->reg_every))
        return l0_cli_usage("run",
                            "this l0sim's engine was built with --lanes %d --reg-every %d (rebuild "
                            "with -DL0SIM_LANES/-DL0SIM_REG_EVERY for others, or use l0sim-sc)",
                            info->lanes, info->reg_every);
    l0_err err;
    l0_model m;
    const char *mpath = o.model ? o.model : info->model_path;
    if (l0_model_load(mpath, &m, &err)) return l0_cli_error("run", "%s", err.msg);
    int rc = L0_EXIT_USAGE;
    l0_golden *g = NULL;
    run R;
    memset(&R, 0, sizeof R);
    l0_stream_sel *sel = NULL;
    l0_stream_cfg_fit_model(&cfg, &m);
    if (l0_stream_cfg_check(&cfg, &m, &err)) {
        rc = l0_cli_usage("run", "%s", err.msg);
        goto done;
    }
    if (!(g = l0_golden_create(&m, &err))) {
        rc = l0_cli_error("run", "%s: %s", mpath, err.msg);
        goto done;
    }
    {
        l0_rtl_cfg rcf;
        l0_rtl_cfg_of_engine(info, &rcf);
        if (l0_rtl_hash(g, &rcf) != info->hash && !o.unchecked) {
            rc = l0_cli_error("run",
                              "%s: not the model this l0sim's engine was built from (%s); rebuild "
                              "with -DL0SIM_MODEL=%s, or --unchecked-model to let the scoreboard "
                              "show the difference",
                              mpath, info->model_path, mpath);
            goto done;
        }
    }
    if (l0_mkdir_p(o.out, &err)) {
        rc = l0_cli_error("run", "%s", err.msg);
        goto done;
    }
    sel = xcalloc((size_t)cfg.top_k, sizeof *sel);
    if (run_setup(&R, &cfg, &m, g, info)) goto done;
    l0_stream_report_init(&R.rep, "l0sim run", &cfg, o.data, mpath, m.name);
    char path[4200];
    if (o.csv) {
        snprintf(path, sizeof path, "%s/clusters.csv", o.out);
        if (!(R.csv = l0_stream_csv_open(path, &err))) {
            rc = l0_cli_error("run", "%s", err.msg);
            goto done;
        }
    }
    double t0 = l0_now();
    rc = stream_pass(&R, &o, sel, 1);
    double dt = l0_now() - t0;
    if (rc) goto done;
    if (R.csv) {
        l0_ofile *f = R.csv;
        R.csv = NULL;
        if (l0_ofile_commit(f, &err)) {
            rc = l0_cli_error("run", "%s", err.msg);
            goto done;
        }
    }
    snprintf(path, sizeof path, "%s/report.json", o.out);
    if (l0_stream_report_write(&R.rep, path, &err) ||
        (o.report && l0_stream_report_write(&R.rep, o.report, &err)) ||
        (junit && l0_stream_report_junit(&R.rep, junit, dt, &err))) {
        rc = l0_cli_error("run", "%s", err.msg);
        goto done;
    }
    if (o.plots && l0_stream_report_plots(&R.rep, o.out, &err)) {
        rc = l0_cli_error("run", "%s", err.msg);
        goto done;
    }
    if (!o.quiet) {
        l0_stream_report_summary(&R.rep, stdout);
        printf("  %.1f s wall; report %s/report.json%s%s%s\n", dt, o.out,
               o.plots ? ", latency.png, completion.png" : "",
               o.plots && R.rep.n_truth ? ", response.png, truth.csv" : "",
               o.csv ? ", clusters.csv" : "");
    }
    int pass = l0_stream_report_pass(&R.rep, NULL, 0);
    rc = pass ? L0_EXIT_OK : L0_EXIT_FAIL;
    if (!pass) {
        char why[1024];
        l0_stream_report_pass(&R.rep, why, sizeof why);
        fprintf(stderr, "l0sim run: FAIL: %s\n", why);
    }
    if (R.have_mm) {
        char dir[3900], tpath[4096];
        snprintf(dir, sizeof dir, "%s/mismatch", o.out);
        if (l0_mkdir_p(dir, &err)) {
            rc = l0_cli_error("run", "%s", err.msg);
            goto done;
        }
        snprintf(tpath, sizeof tpath, "%s/trace.txt", dir);
        rcl mm = R.mm;
        char why[256];
        snprintf(why, sizeof why, "%s", R.mm_why);
        int nid = (int)R.mm_node;
        fprintf(stderr, "first mismatch: orbit %u bx %u node %d cluster %d (%d cells): %s\n",
                (unsigned)mm.orbit, (unsigned)mm.bx, nid, mm.rank, mm.n, why);
        if (mismatch_trace(&o, &m, g, &mm, why, tpath))
            rc = L0_EXIT_USAGE;
        else
            fprintf(stderr, "  golden layer trace: %s\n", tpath);
        int64_t from = mm.first - 40, to = mm.out + 10;
        run_free(&R);
        if (waves_pass(&cfg, &o, &m, g, info, nid, from, to, dir, sel)) rc = L0_EXIT_USAGE;
    }
    if (o.waves_g >= 0) {
        int nid = (int)(o.waves_g % cfg.nodes);
        if (!l0_stream_node_selected(&cfg, nid)) {
            fprintf(stderr, "l0sim run: --waves %lld: its node %d is not in this run\n",
                    (long long)o.waves_g, nid);
        } else {
            char dir[3900];
            snprintf(dir, sizeof dir, "%s/waves", o.out);
            int64_t from = l0_stream_arrival_clock(&cfg, (uint64_t)o.waves_g);
            run_free(&R);
            if (waves_pass(&cfg, &o, &m, g, info, nid, from, from + o.waves_clocks, dir, sel))
                rc = L0_EXIT_USAGE;
        }
    }
done:
    if (R.csv) l0_ofile_abort(R.csv);
    l0_stream_report_free(&R.rep);
    run_free(&R);
    free(sel);
    l0_golden_free(g);
    l0_model_free(&m);
    return rc;
}
