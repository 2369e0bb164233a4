/* The SystemC node model (sim/systemc/l0_sc_model.h) on hand-made events whose clocks are
 * worked out by hand from docs/stream.md. One case per run (SystemC elaborates once per process):
 *   test_sc_node CASE
 *
 * Every case uses one node and a fabric clock of exactly 6 x the BX clock (240.4734 MHz), so that
 * crossing g arrives at edge a(g) = 6 g; D is the engine's depth (l0_rtl_depth),
 * latency(n) = ceil(n / L) - 1 + D, and a cluster whose first beat is at edge f comes out at
 * edge f + latency(n) - 1 (latency counts both edges). */
#include <cmath>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <string>
#include <vector>

#include "l0_sc_model.h"

extern "C" {
#include "l0_rtl.h"
}

#ifndef L0_TEST_MODEL
#error "L0_TEST_MODEL: the model file"
#endif

using l0sc::Cluster;
using l0sc::Event;

static int failures = 0;
#define CHECK_EQ(got, want)                                                                        \
    do {                                                                                           \
        long long g_ = (long long)(got), w_ = (long long)(want);                                   \
        if (g_ != w_) {                                                                            \
            fprintf(stderr, "%s:%d: %s = %lld, expected %s = %lld\n", __FILE__, __LINE__, #got,    \
                    g_, #want, w_);                                                                \
            failures++;                                                                            \
        }                                                                                          \
    } while (0)

/* Hand-made crossings: clusters of given cell counts (Et descending, all candidates). */
struct Stream {
    std::vector<std::vector<l0_cell>> cells;
    std::vector<std::vector<l0_cluster>> cls;
    std::vector<l0_event> ev;
    void add(uint16_t bx, const std::vector<int> &sizes, int filled = 1) {
        cls.emplace_back();
        for (size_t i = 0; i < sizes.size(); i++) {
            cells.emplace_back();
            for (int k = 0; k < sizes[i]; k++) {
                l0_cell c;
                memset(&c, 0, sizeof c);
                c.e = 2.0f / (float)(k + 1);
                c.eta = 0.1f + 0.025f * (float)(k % 5);
                c.phi = 0.3f + 0.025f * (float)(k / 5 % 5);
                c.layer = (uint8_t)(1 + k % 5);
                c.sigma = 0.1f;
                cells.back().push_back(c);
            }
            l0_cluster cl;
            memset(&cl, 0, sizeof cl);
            cl.e = 10.0f * (float)(100 - i);
            cl.et = cl.e;
            cl.eta = 0.12f;
            cl.phi = 0.33f;
            cl.n_cells = (uint16_t)sizes[i];
            cl.n_cells_total = (uint16_t)sizes[i];
            cls.back().push_back(cl);
        }
        l0_event e;
        memset(&e, 0, sizeof e);
        e.orbit = 0;
        e.bx = bx;
        e.filled = (uint8_t)filled;
        e.n_clusters = (uint32_t)sizes.size();
        ev.push_back(e);
    }
    void finish() { /* the vectors are complete: set the pointers */
        size_t ci = 0;
        for (size_t e = 0; e < ev.size(); e++) {
            ev[e].clusters = cls[e].data();
            for (l0_cluster &c : cls[e]) c.cells = cells[ci++].data();
        }
    }
};

class VecFeed : public l0sc::Feed {
  public:
    explicit VecFeed(const Stream *s) : s_(s) {}
    int next(l0_event *ev, l0_err *) override {
        if (i_ >= s_->ev.size()) return 0;
        *ev = s_->ev[i_++];
        return 1;
    }

  private:
    const Stream *s_;
    size_t i_ = 0;
};

struct Run {
    l0_model m{};
    l0_golden *g = nullptr;
    l0sc::Setup s;
    std::vector<Event> out; /* retired events, in order */
    l0_stream_report rep{};
    int D = 0;

    Run(int L, int B, int fifo, int engines) {
        l0_err err;
        if (l0_model_load(L0_TEST_MODEL, &m, &err) || !(g = l0_golden_create(&m, &err))) {
            fprintf(stderr, "%s\n", err.msg);
            exit(2);
        }
        l0_stream_cfg_default(&s.cfg);
        s.cfg.nodes = 1;
        s.cfg.clock_mhz = 6 * L0_BX_MHZ;
        s.cfg.lanes = L;
        s.cfg.link_cells = B;
        s.cfg.fifo_depth = fifo;
        s.cfg.engines = engines;
        s.cfg.min_et = 0;
        s.m = &m;
        s.g = g;
        l0_rtl_cfg rc;
        l0_rtl_cfg_default(&rc);
        rc.lanes = L;
        rc.reg_every = s.cfg.reg_every;
        D = l0_rtl_depth(&m, &rc);
        l0_stream_report_init(&rep, "test", &s.cfg, "", "", "");
    }
    ~Run() {
        l0_stream_report_free(&rep);
        l0_golden_free(g);
        l0_model_free(&m);
    }
    void go(Stream &st) {
        st.finish();
        VecFeed f(&st);
        l0sc::Stats stats;
        l0_err err;
        if (l0sc::simulate(
                s, f,
                [&](const Event &e) {
                    out.push_back(e);
                    l0sc::report_event(&rep, nullptr, e);
                },
                &stats, &err)) {
            fprintf(stderr, "simulate: %s\n", err.msg);
            exit(2);
        }
    }
    const Cluster &cl(size_t e, size_t i) const { return out.at(e).cl.at(i); }
};

static int ceil_div(int a, int b) {
    return (a + b - 1) / b;
}

/* The link moves B cells per clock: a cluster waits for its last cell. */
static void case_link_rate() {
    Run r(4, 2, 512, 1);
    Stream s;
    s.add(0, {10});
    r.go(s);
    const Cluster &c = r.cl(0, 0);
    CHECK_EQ(r.out[0].arrival, 0);
    CHECK_EQ(c.first_move, 0);
    CHECK_EQ(c.last_move, 4); /* 10 cells, 2 per edge: edges 0..4 */
    CHECK_EQ(c.first, 5);     /* all cells in the FIFO from edge 5 */
    CHECK_EQ(c.out, 5 + ceil_div(10, 4) - 1 + r.D - 1);
    CHECK_EQ(c.status, L0_CL_OK);
}

/* Store and forward: one wide beat only once every cell is in. */
static void case_store_forward() {
    Run r(8, 1, 512, 1);
    Stream s;
    s.add(0, {8});
    r.go(s);
    const Cluster &c = r.cl(0, 0);
    CHECK_EQ(c.last_move, 7);
    CHECK_EQ(c.first, 8);
    CHECK_EQ(c.out, 8 + r.D - 1);
}

/* Back to back: a cluster starts at the edge after its predecessor's last beat. */
static void case_back_to_back() {
    Run r(2, 8, 512, 1);
    Stream s;
    s.add(0, {4, 4, 4});
    r.go(s);
    /* edge 0 moves A and B (8 cells), edge 1 moves C */
    CHECK_EQ(r.cl(0, 1).last_move, 0);
    CHECK_EQ(r.cl(0, 2).last_move, 1);
    CHECK_EQ(r.cl(0, 0).first, 1); /* beats 1, 2 */
    CHECK_EQ(r.cl(0, 1).first, 3); /* beats 3, 4 */
    CHECK_EQ(r.cl(0, 2).first, 5); /* beats 5, 6 */
    for (int i = 0; i < 3; i++) CHECK_EQ(r.cl(0, i).out, r.cl(0, i).first + 1 + r.D - 1);
    CHECK_EQ(r.out[0].completion_ps, l0_stream_latency_ps(&r.s.cfg, 0, 5 + 1 + r.D - 1));
}

/* Two engines: clusters dealt round-robin, each engine with its own FIFO and dispatcher. */
static void case_engines() {
    Run r(1, 4, 512, 2);
    Stream s;
    s.add(0, {4, 4, 4});
    r.go(s);
    CHECK_EQ(r.cl(0, 0).engine, 0);
    CHECK_EQ(r.cl(0, 1).engine, 1);
    CHECK_EQ(r.cl(0, 2).engine, 0);
    CHECK_EQ(r.cl(0, 0).first, 1); /* moved at 0; beats 1..4 */
    CHECK_EQ(r.cl(0, 1).first, 2); /* moved at 1; engine 1 idle: beats 2..5 */
    CHECK_EQ(r.cl(0, 2).first, 5); /* moved at 2, ready at 3; engine 0 busy until 4 */
    CHECK_EQ(r.cl(0, 0).out, 1 + 3 + r.D - 1);
    CHECK_EQ(r.cl(0, 1).out, 2 + 3 + r.D - 1);
    CHECK_EQ(r.cl(0, 2).out, 5 + 3 + r.D - 1);
}

/* FIFO admission: a cluster that does not fit is dropped but takes its link slots; the free
 * space is counted after the dispatcher's pop of the same edge. */
static void case_fifo_drop() {
    Run r(1, 8, 8, 1);
    Stream s;
    s.add(0, {6, 6, 3});
    r.go(s);
    /* edge 0: A (6) admitted, FIFO 6; B's first cell at edge 0: free 2 < 6: dropped, its cells
     * take 2 slots at edge 0 and 4 at edge 1; edge 1: A's first beat pops 1 (FIFO 5), so C (3)
     * finds 8 - 5 = 3 free: admitted, moved at edge 1. A beats 1..6, C 7..9. */
    CHECK_EQ(r.cl(0, 0).status, L0_CL_OK);
    CHECK_EQ(r.cl(0, 0).first, 1);
    CHECK_EQ(r.cl(0, 1).status, L0_CL_DROPPED);
    CHECK_EQ(r.cl(0, 1).first, -1);
    CHECK_EQ(r.cl(0, 1).out, -1);
    CHECK_EQ(r.cl(0, 1).first_move, 0);
    CHECK_EQ(r.cl(0, 1).last_move, 1);
    CHECK_EQ(r.cl(0, 2).status, L0_CL_OK);
    CHECK_EQ(r.cl(0, 2).first_move, 1);
    CHECK_EQ(r.cl(0, 2).first, 7);
    CHECK_EQ(r.cl(0, 2).out, 7 + 2 + r.D - 1);
    CHECK_EQ(r.rep.dropped, 1);
    CHECK_EQ(r.rep.sent, 2);
    char why[512];
    CHECK_EQ(l0_stream_report_pass(&r.rep, why, sizeof why), 0);
    if (!strstr(why, "dropped")) {
        fprintf(stderr, "verdict does not name the drop: %s\n", why);
        failures++;
    }
}

/* An event that spills into the next slot: the next event's link and engine wait for it. */
static void case_spill() {
    Run r(1, 4, 512, 1);
    Stream s;
    s.add(0, {40});
    s.add(1, {4});
    s.add(2, {}, 0); /* an empty slot */
    r.go(s);
    CHECK_EQ(r.out.size(), 3);
    CHECK_EQ(r.out[1].arrival, 6);
    CHECK_EQ(r.cl(0, 0).last_move, 9); /* 40 cells at 4 per edge */
    CHECK_EQ(r.cl(0, 0).first, 10);    /* beats 10..49 */
    CHECK_EQ(r.cl(0, 0).out, 10 + 39 + r.D - 1);
    CHECK_EQ(r.out[1].link_start, 10); /* the link finished event 0 at edge 9 */
    CHECK_EQ(r.cl(1, 0).last_move, 10);
    CHECK_EQ(r.cl(1, 0).first, 50);
    CHECK_EQ(r.cl(1, 0).out, 50 + 3 + r.D - 1);
    CHECK_EQ(r.out[1].completion_ps, l0_stream_latency_ps(&r.s.cfg, 1, 50 + 3 + r.D - 1));
    CHECK_EQ(r.out[2].completion_ps, 0);
    /* one slot at one node is one BX (24.95 ns): both events are late */
    CHECK_EQ(r.rep.late_events, 2);
    CHECK_EQ(r.rep.events, 2);
    CHECK_EQ(r.rep.crossings, 3);
}

/* Arrival: crossing g reaches its node at a(g); the link starts then, not before. */
static void case_arrival() {
    Run r(2, 4, 512, 1);
    r.s.cfg.arrival_ns = 30; /* a(g) = ceil((g x 24.95 + 30) / 4.158) = 6 g + 8 */
    Stream s;
    s.add(5, {2}); /* the first record: crossing 0 */
    s.add(7, {2}); /* crossing 2 */
    r.go(s);
    CHECK_EQ(r.out[0].arrival, 8);
    CHECK_EQ(r.out[1].arrival, 20);
    CHECK_EQ(r.out[1].g, 2);
    CHECK_EQ(r.cl(1, 0).first_move, 20);
    CHECK_EQ(r.cl(1, 0).first, 21);
    CHECK_EQ(r.cl(1, 0).out, 21 + r.D - 1);
}

/* libsystemc's main() calls sc_main; its banner is off (set before main runs). */
[[maybe_unused]] static const int no_banner = setenv("SC_COPYRIGHT_MESSAGE", "DISABLE", 0);

extern "C" int sc_main(int argc, char **argv) {
    static const struct {
        const char *name;
        void (*fn)();
    } cases[] = {{"link_rate", case_link_rate},
                 {"store_forward", case_store_forward},
                 {"back_to_back", case_back_to_back},
                 {"engines", case_engines},
                 {"fifo_drop", case_fifo_drop},
                 {"spill", case_spill},
                 {"arrival", case_arrival}};
    if (argc != 2) {
        fprintf(stderr, "usage: test_sc_node CASE\n");
        return 2;
    }
    for (const auto &c : cases)
        if (!strcmp(argv[1], c.name)) {
            c.fn();
            if (failures) {
                fprintf(stderr, "%s: %d failures\n", c.name, failures);
                return 1;
            }
            printf("%s: ok\n", c.name);
            return 0;
        }
    fprintf(stderr, "unknown case '%s'\n", argv[1]);
    return 2;
}
