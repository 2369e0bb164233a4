/* l0_stream: the pieces of the streaming system (docs/stream.md) that the RTL driver
 * (`l0sim run`), `l0sim merge` and the SystemC model (`l0sim-sc`) share: the configuration and
 * its options, the arrival clock of a crossing, which clusters a node sends, and the report
 * (counters, exact latency histograms, worst cases, truth responses; JSON, summary, plots).
 *
 * The clock-by-clock behaviour of a node (link, FIFO, dispatcher, engine timing) is NOT here:
 * the two simulators implement it apart, and a test compares them cluster by cluster. */
#ifndef L0_STREAM_H
#define L0_STREAM_H

#include <stdint.h>
#include <stdio.h>

#include "l0_err.h"
#include "l0_model.h"
#include "l0_stim.h"

#ifdef __cplusplus
extern "C" {
#endif

#define L0_BX_MHZ 40.0789
#define L0_BX_SLOTS 3564
#define L0_STREAM_ENGINES_MAX 16

typedef struct l0_stream_cfg {
    int nodes;                /* time-multiplexed nodes (48) */
    int top_k;                /* clusters sent per event (64) */
    int cells;                /* cells per cluster C (64, <= the model's cells_max) */
    int cells_given;          /* --cells was given (else C follows a smaller cells_max) */
    int model_cells;          /* the model's cells_max (0: unknown): a cluster cut to C loses
                                 cells the model would use only if C < model_cells */
    int engines;              /* engines per node (1) */
    int lanes;                /* L of each engine (the verilated engine's) */
    int reg_every;            /* the engine's pipeline register spacing (for the latency formula) */
    int fifo_depth;           /* cells per engine FIFO (512) */
    int link_cells;           /* cells per clock on the node's input link (4) */
    double clock_mhz;         /* fabric clock (6 x 40.0789 = 240.4734 MHz) */
    double arrival_ns;        /* delay from a crossing's start to its event at the node (0) */
    double min_et;            /* GeV: clusters below are not candidates (2) */
    double budget_cluster_ns; /* per-cluster latency budget (1000) */
    double budget_event_ns;   /* per-event completion budget; <= 0: nodes x 24.95 ns */
    int allow_truncation;     /* truncations are counted but do not fail */
    /* which nodes to simulate: node >= 0: that node only; else shard_i of shard_n (n % N == i) */
    int node, shard_i, shard_n;
} l0_stream_cfg;

void l0_stream_cfg_default(l0_stream_cfg *c);
/* Range checks, and C <= the model's cells_max when m is not NULL. */
int l0_stream_cfg_check(const l0_stream_cfg *c, const l0_model *m, l0_err *err);
/* Without --cells, C is at most the model's cells_max (a model that sees fewer cells). */
void l0_stream_cfg_fit_model(l0_stream_cfg *c, const l0_model *m);
/* The per-event budget in ns (budget_event_ns, or nodes x BX period when that is <= 0). */
double l0_stream_event_budget_ns(const l0_stream_cfg *c);
/* Whether this run simulates node n. */
int l0_stream_node_selected(const l0_stream_cfg *c, int n);

/* Command-line options shared by run and l0sim-sc, by long name without the dashes ("nodes",
 * "top-k", ...; value NULL for flags). Returns 1 when handled, 0 when not one of these, -1 on a
 * bad value (err names the option). */
int l0_stream_cfg_option(l0_stream_cfg *c, const char *name, const char *value, l0_err *err);
/* getopt_long table entries for those options: `val` of each is L0_STREAM_OPT_BASE + i; end
 * marked by a NULL name. */
#define L0_STREAM_OPT_BASE 0x1000
struct option;
const struct option *l0_stream_long_options(void);
/* The --help lines for them. */
extern const char l0_stream_options_help[];

/* --- time ---------------------------------------------------------------------------------- */
double l0_stream_clk_ns(const l0_stream_cfg *c);                     /* fabric clock period */
double l0_stream_bx_ns(void);                                        /* 24.95 ns */
int64_t l0_stream_arrival_clock(const l0_stream_cfg *c, uint64_t g); /* a(g), docs/stream.md */
/* Latency of an output at edge k for crossing g, in integer picoseconds (rounded). */
int64_t l0_stream_latency_ps(const l0_stream_cfg *c, uint64_t g, int64_t k);

/* Crossing index of an event relative to the stream's first record. */
uint64_t l0_stream_crossing(uint32_t orbit0, uint16_t bx0, uint32_t orbit, uint16_t bx);

/* --- selection ------------------------------------------------------------------------------ */
typedef struct l0_stream_sel {
    const l0_cluster *c; /* in the event */
    int rank;            /* index in the event's cluster list */
    int n;               /* cells sent: min(n_cells, C) */
    int truncated;       /* cells were cut (n_cells > C) */
} l0_stream_sel;

typedef struct l0_stream_sel_counts {
    int candidates, below_threshold, truncated_k, truncated_c;
} l0_stream_sel_counts;

/* The clusters a node sends for event ev, in send order, into sel[0..] (at most top_k; the
 * caller gives room for top_k). Clusters with 0 cells are skipped (counted below threshold).
 * Returns the number sent. */
int l0_stream_select(const l0_stream_cfg *c, const l0_event *ev, l0_stream_sel *sel,
                     l0_stream_sel_counts *cnt);

/* --- the report ------------------------------------------------------------------------------ */
enum { L0_CL_OK = 0, L0_CL_LATE, L0_CL_DROPPED, L0_CL_MISMATCH };
const char *l0_stream_status_name(int status);

typedef struct l0_hist {
    int64_t *v; /* sorted values */
    uint64_t *n;
    size_t len, cap;
} l0_hist;

typedef struct l0_where {
    int valid;
    uint32_t orbit;
    uint16_t bx;
    int node, rank, n_cells;
    int64_t latency_ps;
} l0_where;

typedef struct l0_stream_report {
    char tool[32];
    l0_stream_cfg cfg;
    char stimulus[512], model[512], model_name[128];
    uint64_t crossings, events; /* records of the selected nodes; filled ones */
    uint64_t candidates, sent, below_threshold, truncated_k, truncated_c, dropped, late,
        late_events, mismatches, checked;
    uint64_t beats, clocks; /* engine beats, and the clocks the nodes spanned */
    int64_t fifo_peak;      /* most cells in one FIFO */
    l0_hist lat, evt;       /* latency of sent clusters; event completion (ps) */
    l0_where worst_cluster, worst_event, first_mismatch, first_drop;
    /* truth-matched sent clusters: true, EM-scale and calibrated energy (GeV) */
    double *truth_e, *em_e, *cal_e;
    size_t n_truth, cap_truth;
    int *nodes_run; /* which nodes, sorted */
    int n_nodes_run;
} l0_stream_report;

void l0_stream_report_init(l0_stream_report *r, const char *tool, const l0_stream_cfg *c,
                           const char *stimulus, const char *model_path, const char *model_name);
void l0_stream_report_free(l0_stream_report *r);
void l0_hist_add(l0_hist *h, int64_t v, uint64_t n);
uint64_t l0_hist_total(const l0_hist *h);
/* Nearest-rank percentile (0 < p <= 1); 0 for an empty histogram. */
int64_t l0_hist_pct(const l0_hist *h, double p);

/* One event of a selected node (call once per record, filled or not; cnt from select). */
void l0_stream_report_event(l0_stream_report *r, const l0_event *ev, uint64_t g, int node,
                            const l0_stream_sel_counts *cnt, int64_t completion_ps);
/* One sent (or dropped) cluster: status, latency (ignored when dropped), calibrated energy. */
void l0_stream_report_cluster(l0_stream_report *r, const l0_event *ev, int node,
                              const l0_stream_sel *s, int status, int64_t latency_ps, double cal_e);
/* Verdict: 1 PASS, 0 FAIL; why (if not NULL) gets the first failing cause, one line. */
int l0_stream_report_pass(const l0_stream_report *r, char *why, size_t why_len);

int l0_stream_report_write(const l0_stream_report *r, const char *path, l0_err *err);
/* The verdict as JUnit XML, written atomically: one testsuite named after the tool ("l0sim-run",
 * "l0sim-sc"), one testcase per check (golden_model_mismatches, dropped_clusters, late_clusters,
 * late_events, truncation), a failing one with l0_stream_report_pass's message (the numbers, the
 * worst case), a passing one with what it measured in system-out; seconds is the run's wall time.
 */
int l0_stream_report_junit(const l0_stream_report *r, const char *path, double seconds,
                           l0_err *err);
int l0_stream_report_read(const char *path, l0_stream_report *r, l0_err *err);
/* Add b into a: the configurations must agree and the node sets must not overlap. */
int l0_stream_report_merge(l0_stream_report *a, const l0_stream_report *b, l0_err *err);

/* The short text summary (what run, merge and l0sim-sc print). */
void l0_stream_report_summary(const l0_stream_report *r, FILE *f);
/* DIR/latency.png (cluster latency distribution against the budget), DIR/completion.png
 * (event completion against the budget), and, with truth-matched clusters, DIR/truth.csv and
 * DIR/response.png (their response, DeepSets and EM scale, against true energy). Returns 0, or
 * -1 with err (gnuplot missing, ...). */
int l0_stream_report_plots(const l0_stream_report *r, const char *dir, l0_err *err);

/* Per-cluster CSV (docs/stream.md): open (an l0_ofile: commit or abort it) writes the header. */
struct l0_ofile;
struct l0_ofile *l0_stream_csv_open(const char *path, l0_err *err);
void l0_stream_csv_row(struct l0_ofile *f, const l0_event *ev, int node, int engine,
                       const l0_stream_sel *s, int64_t arrival, int64_t first, int64_t out,
                       double latency_ns, int status, int64_t out_raw);

#ifdef __cplusplus
}
#endif

#endif
