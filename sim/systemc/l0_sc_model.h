/* l0_sc_model: the streaming system of docs/stream.md as SystemC modules (C++17), the engine of
 * `l0sim-sc`.
 *
 * A Source reads stimulus records one at a time and hands each crossing, at its bunch-crossing
 * time, to node g mod N; a Node holds the input Link, one Fifo, Dispatcher and Engine per engine.
 * The link moves cells edge by edge, the dispatchers drive beats edge by edge, the engines give
 * each cluster's output at first + l0_rtl_latency() with the golden model's value. Nothing runs
 * on idle edges: every process waits (timed waits on fabric-clock edges, or events) for its next
 * piece of work, so the cost scales with cells and beats, not with clocks.
 *
 * Within one fabric edge k the order is fixed (docs/stream.md): first the dispatchers' pops and
 * the engines' outputs (processes woken by a timed wait for edge k), then the link's moves (one
 * delta cycle later), so the link's FIFO admission sees the free space after the pop at edge k.
 *
 * SystemC elaborates once per process: simulate() may be called once; the sweep runs each point
 * in a child process. */
#ifndef L0_SC_MODEL_H
#define L0_SC_MODEL_H

#include <cstdint>
#include <functional>
#include <vector>

extern "C" {
#include "l0_model.h"
#include "l0_ofile.h"
#include "l0_rtl.h"
#include "l0_stream.h"
}

namespace l0sc {

struct Event;

/* A sent cluster as a node carries it. Clocks are fabric-clock edge numbers (docs/stream.md). */
struct Cluster {
    Event *ev = nullptr;
    int idx = 0;  /* send order r in its event */
    int rank = 0; /* index in the event's cluster list */
    int n = 0;    /* cells sent */
    int truncated = 0;
    int engine = 0; /* r mod E */
    float e = 0, et = 0, truth_e = 0;
    l0_cluster cut{};           /* the cluster as sent (n cells), for the golden model */
    std::vector<l0_cell> cells; /* its cells (freed once the engine has used them) */
    int64_t first_move = -1, last_move = -1; /* link edges of its first and last cell */
    int64_t first = -1, out = -1;            /* first beat, output edge; -1 when dropped */
    int status = L0_CL_OK;
    int64_t latency_ps = 0;
    int64_t out_raw = 0; /* the golden model's output raw */
    double cal_e = 0;    /* calibrated energy, GeV */
    int have_out = 0;    /* out_raw and cal_e were computed (not a timing-only run) */
};

/* One record (bunch slot) of a selected node. */
struct Event {
    uint64_t g = 0;
    uint32_t orbit = 0;
    uint16_t bx = 0;
    uint8_t filled = 0;
    int node = 0;
    int64_t arrival = 0; /* a(g) */
    l0_stream_sel_counts cnt{};
    std::vector<Cluster> cl;
    int pending = 0;       /* clusters neither out nor dropped */
    int64_t last_out = -1; /* the latest output edge */
    int64_t completion_ps = 0;
    int64_t link_start = -1, link_end = -1; /* edges of the link's first and last move */
};

/* Where the records come from: a stimulus file, or crossings held in memory. */
class Feed {
  public:
    virtual ~Feed() {}
    /* 1: a record in *ev (valid until the next call), 0: end, -1: error (err filled). */
    virtual int next(l0_event *ev, l0_err *err) = 0;
    /* Called after each record (progress lines). */
    virtual void progress() {}
};

struct Setup {
    l0_stream_cfg cfg{};
    const l0_model *m = nullptr;
    l0_golden *g = nullptr; /* the golden model the engines use; NULL: timing only (no outputs) */
    int tag_w = 16;
    uint64_t max_records = 0; /* 0: all */
};

struct Stats {
    uint64_t records = 0;           /* read from the feed */
    uint64_t beats = 0, clocks = 0; /* engine beats; clocks the selected nodes spanned */
    int64_t fifo_peak = 0;          /* most cells in one FIFO */
    uint64_t activations = 0;       /* process activations (link edges, beats, outputs) */
    double sim_seconds = 0;         /* simulated time */
};

/* Run the system over the feed. on_retire gets every event of a selected node once all its
 * clusters are out or dropped, in crossing order for each node. Returns 0, or -1 with err
 * (a feed error). Once per process. */
int simulate(const Setup &s, Feed &feed, const std::function<void(const Event &)> &on_retire,
             Stats *st, l0_err *err);

/* Add a retired event to a report (l0_stream_report_cluster/event) and, if csv is not NULL, its
 * rows to the per-cluster table. Clusters without an output (timing only) are left out of the
 * truth responses, and their out_raw is written as -1. */
void report_event(l0_stream_report *r, l0_ofile *csv, const Event &e);

/* Latency, in clocks from the first beat, and beats of a cluster of n cells under s. */
int latency_clocks(const Setup &s, int n);

} // namespace l0sc

#endif
