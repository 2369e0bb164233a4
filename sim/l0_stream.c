#include "l0_stream.h"

#include <cjson/cJSON.h>
#include <getopt.h>
#include <math.h>
#include <stdarg.h>
#include <stdlib.h>
#include <string.h>

#include "l0_cli.h"
#include "l0_ofile.h"
#include "l0_plot.h"
#include "l0_rtl.h"

#define REPORT_FORMAT "l0sim-stream-report"
#define REPORT_VERSION 1

void l0_stream_cfg_default(l0_stream_cfg *c) {
    memset(c, 0, sizeof *c);
    c->nodes = 48;
    c->top_k = 64;
    c->cells = 64;
    c->engines = 1;
    c->lanes = 2;
    c->reg_every = 3;
    c->fifo_depth = 512;
    c->link_cells = 4;
    c->clock_mhz = 6 * L0_BX_MHZ; /* 240.4734 MHz: exactly 6 clocks per bunch crossing */
    c->arrival_ns = 0;
    c->min_et = 2.0;
    c->budget_cluster_ns = 1000.0;
    c->budget_event_ns = 0; /* one time slot */
    c->node = -1;
    c->shard_i = 0;
    c->shard_n = 1;
}

double l0_stream_bx_ns(void) {
    return 1000.0 / L0_BX_MHZ;
}
double l0_stream_clk_ns(const l0_stream_cfg *c) {
    return 1000.0 / c->clock_mhz;
}

double l0_stream_event_budget_ns(const l0_stream_cfg *c) {
    return c->budget_event_ns > 0 ? c->budget_event_ns : c->nodes * l0_stream_bx_ns();
}

void l0_stream_cfg_fit_model(l0_stream_cfg *c, const l0_model *m) {
    if (!c->cells_given && m->cells_max < c->cells) c->cells = m->cells_max;
    c->model_cells = m->cells_max;
}

int l0_stream_cfg_check(const l0_stream_cfg *c, const l0_model *m, l0_err *err) {
    if (c->nodes < 1 || c->nodes > 4096) return l0_err_set(err, "--nodes must be 1..4096");
    if (c->top_k < 1 || c->top_k > 100000) return l0_err_set(err, "--top-k must be 1..100000");
    if (c->cells < 1 || c->cells > L0_CELLS_MAX)
        return l0_err_set(err, "--cells must be 1..%d", L0_CELLS_MAX);
    if (m && c->cells > m->cells_max)
        return l0_err_set(err,
                          "--cells %d exceeds the model's cells_max %d (the engine would drop "
                          "cells silently)",
                          c->cells, m->cells_max);
    if (c->engines < 1 || c->engines > L0_STREAM_ENGINES_MAX)
        return l0_err_set(err, "--engines must be 1..%d", L0_STREAM_ENGINES_MAX);
    if (c->lanes < 1 || c->lanes > L0_RTL_LANES_LIMIT)
        return l0_err_set(err, "--lanes must be 1..%d", L0_RTL_LANES_LIMIT);
    if (c->reg_every < 0 || c->reg_every > 8) return l0_err_set(err, "--reg-every must be 0..8");
    if (c->fifo_depth < 1) return l0_err_set(err, "--fifo-depth must be at least 1");
    if (c->link_cells < 1 || c->link_cells > 1024)
        return l0_err_set(err, "--link-cells must be 1..1024");
    if (!(c->clock_mhz >= 1 && c->clock_mhz <= 2000))
        return l0_err_set(err, "--clock-mhz must be 1..2000");
    if (!(c->arrival_ns >= 0 && c->arrival_ns < 1e9))
        return l0_err_set(err, "--arrival-ns must be >= 0");
    if (!(c->min_et >= 0)) return l0_err_set(err, "--min-et must be >= 0");
    if (!(c->budget_cluster_ns > 0)) return l0_err_set(err, "--budget-cluster-ns must be > 0");
    if (!(c->budget_event_ns >= 0)) return l0_err_set(err, "--budget-event-ns must be >= 0");
    if (c->node >= c->nodes)
        return l0_err_set(err, "--node %d: there are only %d nodes (0..%d)", c->node, c->nodes,
                          c->nodes - 1);
    if (c->shard_n < 1 || c->shard_i < 0 || c->shard_i >= c->shard_n)
        return l0_err_set(err, "--shard i/N needs 0 <= i < N");
    return 0;
}

int l0_stream_node_selected(const l0_stream_cfg *c, int n) {
    if (c->node >= 0) return n == c->node;
    return n % c->shard_n == c->shard_i;
}

/* --- options ------------------------------------------------------------------------------ */
static const struct option OPTS[] = {
    {"nodes", required_argument, NULL, L0_STREAM_OPT_BASE + 0},
    {"top-k", required_argument, NULL, L0_STREAM_OPT_BASE + 1},
    {"cells", required_argument, NULL, L0_STREAM_OPT_BASE + 2},
    {"engines", required_argument, NULL, L0_STREAM_OPT_BASE + 3},
    {"lanes", required_argument, NULL, L0_STREAM_OPT_BASE + 4},
    {"reg-every", required_argument, NULL, L0_STREAM_OPT_BASE + 5},
    {"fifo-depth", required_argument, NULL, L0_STREAM_OPT_BASE + 6},
    {"link-cells", required_argument, NULL, L0_STREAM_OPT_BASE + 7},
    {"clock-mhz", required_argument, NULL, L0_STREAM_OPT_BASE + 8},
    {"arrival-ns", required_argument, NULL, L0_STREAM_OPT_BASE + 9},
    {"min-et", required_argument, NULL, L0_STREAM_OPT_BASE + 10},
    {"budget-cluster-ns", required_argument, NULL, L0_STREAM_OPT_BASE + 11},
    {"budget-event-ns", required_argument, NULL, L0_STREAM_OPT_BASE + 12},
    {"allow-truncation", no_argument, NULL, L0_STREAM_OPT_BASE + 13},
    {"node", required_argument, NULL, L0_STREAM_OPT_BASE + 14},
    {"shard", required_argument, NULL, L0_STREAM_OPT_BASE + 15},
    {NULL, 0, NULL, 0},
};

const struct option *l0_stream_long_options(void) {
    return OPTS;
}

const char l0_stream_options_help[] =
    "system (docs/stream.md):\n"
    "  --nodes N             time-multiplexed nodes; crossing g goes to node g mod N (default 48:\n"
    "                        a new event every 1.2 us)\n"
    "  --min-et E            GeV; clusters below are not sent (default 2)\n"
    "  --top-k K             clusters sent per event, highest Et first (default 64)\n"
    "  --cells C             cells sent per cluster, most energetic first (default 64, or the\n"
    "                        model's cells_max if smaller; at most cells_max)\n"
    "  --allow-truncation    more than K clusters or C cells is counted, not a failure\n"
    "  --engines E           engines per node, clusters dealt round-robin (default 1)\n"
    "  --lanes L             cells per clock of an engine (the verilated engine's)\n"
    "  --reg-every R         the engine's adder-tree register spacing (the verilated engine's)\n"
    "  --link-cells B        cells per clock on a node's input link (default 4)\n"
    "  --fifo-depth D        cells per engine input FIFO (default 512); a cluster that does not\n"
    "                        fit is dropped (a failure)\n"
    "  --clock-mhz F         fabric clock (default 240.4734 = 6 x 40.0789: 6 per crossing)\n"
    "  --arrival-ns T        from a crossing's start to its event at the node (default 0)\n"
    "  --budget-cluster-ns T per-cluster latency budget (default 1000: a tenth of the 10 us L0\n"
    "                        budget, the project's choice)\n"
    "  --budget-event-ns T   per-event completion budget (default: one time slot, N x 24.95 ns)\n"
    "  --node I              simulate node I only\n"
    "  --shard I/N           simulate the nodes n with n mod N == I ('l0sim merge' adds reports)\n";

static int opt_int(const char *name, const char *v, int lo, int hi, int *out, l0_err *err) {
    int64_t x;
    if (!v || l0_parse_i64(v, lo, hi, &x))
        return l0_err_set(err, "--%s: '%s' is not an integer in %d..%d", name, v ? v : "", lo, hi);
    *out = (int)x;
    return 1;
}

static int opt_dbl(const char *name, const char *v, double *out, l0_err *err) {
    if (!v || l0_parse_double(v, out))
        return l0_err_set(err, "--%s: '%s' is not a finite number", name, v ? v : "");
    return 1;
}

int l0_stream_cfg_option(l0_stream_cfg *c, const char *name, const char *v, l0_err *err) {
    if (!strcmp(name, "nodes")) return opt_int(name, v, 1, 4096, &c->nodes, err);
    if (!strcmp(name, "top-k")) return opt_int(name, v, 1, 100000, &c->top_k, err);
    if (!strcmp(name, "cells")) {
        c->cells_given = 1;
        return opt_int(name, v, 1, L0_CELLS_MAX, &c->cells, err);
    }
    if (!strcmp(name, "engines"))
        return opt_int(name, v, 1, L0_STREAM_ENGINES_MAX, &c->engines, err);
    if (!strcmp(name, "lanes")) return opt_int(name, v, 1, L0_RTL_LANES_LIMIT, &c->lanes, err);
    if (!strcmp(name, "reg-every")) return opt_int(name, v, 0, 8, &c->reg_every, err);
    if (!strcmp(name, "fifo-depth")) return opt_int(name, v, 1, 1 << 24, &c->fifo_depth, err);
    if (!strcmp(name, "link-cells")) return opt_int(name, v, 1, 1024, &c->link_cells, err);
    if (!strcmp(name, "clock-mhz")) return opt_dbl(name, v, &c->clock_mhz, err);
    if (!strcmp(name, "arrival-ns")) return opt_dbl(name, v, &c->arrival_ns, err);
    if (!strcmp(name, "min-et")) return opt_dbl(name, v, &c->min_et, err);
    if (!strcmp(name, "budget-cluster-ns")) return opt_dbl(name, v, &c->budget_cluster_ns, err);
    if (!strcmp(name, "budget-event-ns")) return opt_dbl(name, v, &c->budget_event_ns, err);
    if (!strcmp(name, "allow-truncation")) {
        c->allow_truncation = 1;
        return 1;
    }
    if (!strcmp(name, "node")) {
        int r = opt_int(name, v, 0, 4095, &c->node, err);
        return r;
    }
    if (!strcmp(name, "shard")) {
        int i, n, used = 0;
        if (!v || sscanf(v, "%d/%d%n", &i, &n, &used) != 2 || v[used] || n < 1 || i < 0 || i >= n)
            return l0_err_set(err, "--shard: '%s' is not I/N with 0 <= I < N", v ? v : "");
        c->shard_i = i;
        c->shard_n = n;
        return 1;
    }
    return 0;
}

/* --- time ---------------------------------------------------------------------------------- */
int64_t l0_stream_arrival_clock(const l0_stream_cfg *c, uint64_t g) {
    double t = (double)g * l0_stream_bx_ns() + c->arrival_ns;
    double k = t / l0_stream_clk_ns(c);
    /* ceil, with a tolerance for the rounding of the division */
    double f = floor(k);
    if (k - f < 1e-9) return (int64_t)f;
    return (int64_t)f + 1;
}

int64_t l0_stream_latency_ps(const l0_stream_cfg *c, uint64_t g, int64_t k) {
    double ns = (double)k * l0_stream_clk_ns(c) - (double)g * l0_stream_bx_ns();
    return (int64_t)llround(ns * 1000.0);
}

uint64_t l0_stream_crossing(uint32_t orbit0, uint16_t bx0, uint32_t orbit, uint16_t bx) {
    int64_t d = ((int64_t)orbit - (int64_t)orbit0) * L0_BX_SLOTS + ((int64_t)bx - (int64_t)bx0);
    return d < 0 ? 0 : (uint64_t)d;
}

/* --- selection ---------------------------------------------------------------------------- */
int l0_stream_select(const l0_stream_cfg *c, const l0_event *ev, l0_stream_sel *sel,
                     l0_stream_sel_counts *cnt) {
    memset(cnt, 0, sizeof *cnt);
    int n = 0;
    for (uint32_t i = 0; i < ev->n_clusters; i++) {
        const l0_cluster *cl = &ev->clusters[i];
        if (!(cl->et >= c->min_et) || cl->n_cells == 0) {
            cnt->below_threshold++;
            continue;
        }
        cnt->candidates++;
        if (n >= c->top_k) {
            cnt->truncated_k++;
            continue;
        }
        l0_stream_sel *s = &sel[n++];
        s->c = cl;
        s->rank = (int)i;
        s->n = cl->n_cells < c->cells ? cl->n_cells : c->cells;
        /* cut here (the stimulus may have cut before); only a loss if the model would have
         * used the cells cut (it uses the cells_max most energetic, as C are sent) */
        s->truncated = cl->n_cells > c->cells && !(c->model_cells && c->cells >= c->model_cells);
        if (s->truncated) cnt->truncated_c++;
    }
    return n;
}

/* --- histograms --------------------------------------------------------------------------- */
void l0_hist_add(l0_hist *h, int64_t v, uint64_t n) {
    size_t lo = 0, hi = h->len;
    while (lo < hi) {
        size_t mid = (lo + hi) / 2;
        if (h->v[mid] < v)
            lo = mid + 1;
        else
            hi = mid;
    }
    if (lo < h->len && h->v[lo] == v) {
        h->n[lo] += n;
        return;
    }
    if (h->len == h->cap) {
        size_t cap = h->cap ? 2 * h->cap : 64;
        int64_t *nv = realloc(h->v, cap * sizeof *nv);
        if (!nv) abort();
        h->v = nv;
        uint64_t *nn = realloc(h->n, cap * sizeof *nn);
        if (!nn) abort();
        h->n = nn;
        h->cap = cap;
    }
    memmove(h->v + lo + 1, h->v + lo, (h->len - lo) * sizeof *h->v);
    memmove(h->n + lo + 1, h->n + lo, (h->len - lo) * sizeof *h->n);
    h->v[lo] = v;
    h->n[lo] = n;
    h->len++;
}

uint64_t l0_hist_total(const l0_hist *h) {
    uint64_t t = 0;
    for (size_t i = 0; i < h->len; i++) t += h->n[i];
    return t;
}

int64_t l0_hist_pct(const l0_hist *h, double p) {
    uint64_t tot = l0_hist_total(h);
    if (!tot) return 0;
    double need = ceil(p * (double)tot - 1e-9);
    if (need < 1) need = 1;
    uint64_t acc = 0;
    for (size_t i = 0; i < h->len; i++) {
        acc += h->n[i];
        if ((double)acc >= need) return h->v[i];
    }
    return h->v[h->len - 1];
}

static void hist_free(l0_hist *h) {
    free(h->v);
    free(h->n);
    memset(h, 0, sizeof *h);
}

/* --- report ------------------------------------------------------------------------------- */
static void copy_str(char *dst, size_t n, const char *s) {
    snprintf(dst, n, "%s", s ? s : "");
}

void l0_stream_report_init(l0_stream_report *r, const char *tool, const l0_stream_cfg *c,
                           const char *stimulus, const char *model_path, const char *model_name) {
    memset(r, 0, sizeof *r);
    copy_str(r->tool, sizeof r->tool, tool);
    r->cfg = *c;
    copy_str(r->stimulus, sizeof r->stimulus, stimulus);
    copy_str(r->model, sizeof r->model, model_path);
    copy_str(r->model_name, sizeof r->model_name, model_name);
    r->nodes_run = calloc((size_t)c->nodes, sizeof *r->nodes_run);
    if (!r->nodes_run) abort();
    for (int n = 0; n < c->nodes; n++)
        if (l0_stream_node_selected(c, n)) r->nodes_run[r->n_nodes_run++] = n;
}

void l0_stream_report_free(l0_stream_report *r) {
    hist_free(&r->lat);
    hist_free(&r->evt);
    free(r->truth_e);
    free(r->em_e);
    free(r->cal_e);
    free(r->nodes_run);
    memset(r, 0, sizeof *r);
}

static void where_set(l0_where *w, const l0_event *ev, int node, int rank, int n_cells,
                      int64_t ps) {
    w->valid = 1;
    w->orbit = ev->orbit;
    w->bx = ev->bx;
    w->node = node;
    w->rank = rank;
    w->n_cells = n_cells;
    w->latency_ps = ps;
}

static int where_first(const l0_where *a, const l0_where *b) {
    /* earlier crossing first */
    if (a->orbit != b->orbit) return a->orbit < b->orbit;
    if (a->bx != b->bx) return a->bx < b->bx;
    return a->rank < b->rank;
}

/* a later (larger) latency, ties to the earliest crossing: the same whatever the order */
static int worse(const l0_where *a, const l0_where *b) {
    if (a->latency_ps != b->latency_ps) return a->latency_ps > b->latency_ps;
    return where_first(a, b);
}

void l0_stream_report_event(l0_stream_report *r, const l0_event *ev, uint64_t g, int node,
                            const l0_stream_sel_counts *cnt, int64_t completion_ps) {
    (void)g;
    r->crossings++;
    if (!ev->filled) return;
    r->events++;
    r->candidates += (uint64_t)cnt->candidates;
    r->below_threshold += (uint64_t)cnt->below_threshold;
    r->truncated_k += (uint64_t)cnt->truncated_k;
    r->truncated_c += (uint64_t)cnt->truncated_c;
    l0_hist_add(&r->evt, completion_ps, 1);
    if ((double)completion_ps > l0_stream_event_budget_ns(&r->cfg) * 1000.0) r->late_events++;
    l0_where w;
    where_set(&w, ev, node, -1, 0, completion_ps);
    if (!r->worst_event.valid || worse(&w, &r->worst_event)) r->worst_event = w;
}

static void truth_push(l0_stream_report *r, double t, double em, double cal) {
    if (r->n_truth == r->cap_truth) {
        size_t cap = r->cap_truth ? 2 * r->cap_truth : 256;
        double *a = realloc(r->truth_e, cap * sizeof *a);
        if (!a) abort();
        r->truth_e = a;
        a = realloc(r->em_e, cap * sizeof *a);
        if (!a) abort();
        r->em_e = a;
        a = realloc(r->cal_e, cap * sizeof *a);
        if (!a) abort();
        r->cal_e = a;
        r->cap_truth = cap;
    }
    r->truth_e[r->n_truth] = t;
    r->em_e[r->n_truth] = em;
    r->cal_e[r->n_truth] = cal;
    r->n_truth++;
}

void l0_stream_report_cluster(l0_stream_report *r, const l0_event *ev, int node,
                              const l0_stream_sel *s, int status, int64_t latency_ps,
                              double cal_e) {
    l0_where w;
    where_set(&w, ev, node, s->rank, s->n, status == L0_CL_DROPPED ? -1 : latency_ps);
    if (status == L0_CL_DROPPED) {
        r->dropped++;
        if (!r->first_drop.valid || where_first(&w, &r->first_drop)) r->first_drop = w;
        return;
    }
    r->sent++;
    r->checked++;
    l0_hist_add(&r->lat, latency_ps, 1);
    if ((double)latency_ps > r->cfg.budget_cluster_ns * 1000.0) r->late++;
    if (status == L0_CL_MISMATCH) {
        r->mismatches++;
        if (!r->first_mismatch.valid || where_first(&w, &r->first_mismatch)) r->first_mismatch = w;
    }
    if (!r->worst_cluster.valid || worse(&w, &r->worst_cluster)) r->worst_cluster = w;
    if (s->c->truth_e > 0) truth_push(r, s->c->truth_e, s->c->e, cal_e);
}

static void where_str(const l0_where *w, char *buf, size_t n) {
    if (w->rank >= 0)
        snprintf(buf, n, "orbit %u bx %u node %d cluster %d (%d cells)", (unsigned)w->orbit,
                 (unsigned)w->bx, w->node, w->rank, w->n_cells);
    else
        snprintf(buf, n, "orbit %u bx %u node %d", (unsigned)w->orbit, (unsigned)w->bx, w->node);
}

/* append one cause to why */
static void cause(char *buf, size_t n, const char *fmt, ...) __attribute__((format(printf, 3, 4)));
static void cause(char *buf, size_t n, const char *fmt, ...) {
    size_t len = strlen(buf);
    if (len && len + 2 < n) {
        memcpy(buf + len, "; ", 3);
        len += 2;
    }
    if (len + 1 >= n) return;
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(buf + len, n - len, fmt, ap);
    va_end(ap);
}

/* The checks of a verdict, in order: whether check k failed, with its one-line message. */
enum { CHK_MISMATCH, CHK_DROP, CHK_LATE, CHK_LATE_EVENT, CHK_TRUNC, N_CHECKS };
static const char *const CHECK_NAMES[N_CHECKS] = {"golden_model_mismatches", "dropped_clusters",
                                                  "late_clusters", "late_events", "truncation"};

static int check_failed(const l0_stream_report *r, int k, char *tmp, size_t n) {
    char w[160];
    const double bx = l0_stream_bx_ns();
    tmp[0] = 0;
    switch (k) {
    case CHK_MISMATCH:
        if (!r->mismatches) return 0;
        where_str(&r->first_mismatch, w, sizeof w);
        cause(tmp, n, "%llu outputs differ from the golden model, first: %s",
              (unsigned long long)r->mismatches, w);
        return 1;
    case CHK_DROP:
        if (!r->dropped) return 0;
        where_str(&r->first_drop, w, sizeof w);
        cause(tmp, n, "%llu clusters dropped (FIFO of --fifo-depth %d cells full), first: %s",
              (unsigned long long)r->dropped, r->cfg.fifo_depth, w);
        return 1;
    case CHK_LATE:
        if (!r->late) return 0;
        where_str(&r->worst_cluster, w, sizeof w);
        cause(tmp, n,
              "%llu clusters over the per-cluster budget (--budget-cluster-ns %.1f), worst: %s at "
              "%.1f ns (%.2f BX)",
              (unsigned long long)r->late, r->cfg.budget_cluster_ns, w,
              r->worst_cluster.latency_ps / 1000.0, r->worst_cluster.latency_ps / 1000.0 / bx);
        return 1;
    case CHK_LATE_EVENT: {
        if (!r->late_events) return 0;
        where_str(&r->worst_event, w, sizeof w);
        char wc[160] = "";
        if (r->worst_cluster.valid) where_str(&r->worst_cluster, wc, sizeof wc);
        cause(tmp, n,
              "%llu events over the per-event budget (--budget-event-ns %.1f), worst: %s completes "
              "at %.1f ns (%.2f BX), its slowest cluster %s at %.1f ns",
              (unsigned long long)r->late_events, l0_stream_event_budget_ns(&r->cfg), w,
              r->worst_event.latency_ps / 1000.0, r->worst_event.latency_ps / 1000.0 / bx, wc,
              r->worst_cluster.latency_ps / 1000.0);
        return 1;
    }
    case CHK_TRUNC:
    default:
        if (r->cfg.allow_truncation || !(r->truncated_k || r->truncated_c)) return 0;
        cause(tmp, n,
              "truncation: %llu clusters beyond --top-k %d, %llu clusters cut to --cells %d "
              "(--allow-truncation to accept)",
              (unsigned long long)r->truncated_k, r->cfg.top_k, (unsigned long long)r->truncated_c,
              r->cfg.cells);
        return 1;
    }
}

int l0_stream_report_pass(const l0_stream_report *r, char *why, size_t why_len) {
    char tmp[1024], one[1024];
    tmp[0] = 0;
    for (int k = 0; k < N_CHECKS; k++)
        if (check_failed(r, k, one, sizeof one)) cause(tmp, sizeof tmp, "%s", one);
    if (why && why_len) copy_str(why, why_len, tmp);
    return tmp[0] == 0;
}

/* --- JUnit XML ---------------------------------------------------------------------------- */

static void xml_text(FILE *f, const char *s) {
    for (; *s; s++) {
        switch (*s) {
        case '&':
            fputs("&amp;", f);
            break;
        case '<':
            fputs("&lt;", f);
            break;
        case '>':
            fputs("&gt;", f);
            break;
        case '"':
            fputs("&quot;", f);
            break;
        default:
            if ((unsigned char)*s >= 0x20 || *s == '\n' || *s == '\t') fputc(*s, f);
        }
    }
}

/* What a passing check measured, for its system-out. */
static void check_passed_text(const l0_stream_report *r, int k, char *buf, size_t n) {
    switch (k) {
    case CHK_MISMATCH:
        snprintf(buf, n, "%llu outputs checked against the golden model, 0 mismatches",
                 (unsigned long long)r->checked);
        break;
    case CHK_DROP:
        snprintf(buf, n, "%llu clusters sent, 0 dropped (FIFO peak %lld of %d cells)",
                 (unsigned long long)r->sent, (long long)r->fifo_peak, r->cfg.fifo_depth);
        break;
    case CHK_LATE:
        snprintf(buf, n, "0 of %llu clusters late; p99 %.1f ns, max %.1f ns; budget %.1f ns",
                 (unsigned long long)l0_hist_total(&r->lat), l0_hist_pct(&r->lat, 0.99) / 1000.0,
                 l0_hist_pct(&r->lat, 1.0) / 1000.0, r->cfg.budget_cluster_ns);
        break;
    case CHK_LATE_EVENT:
        snprintf(buf, n, "0 of %llu events late; p99 %.1f ns, max %.1f ns; budget %.1f ns",
                 (unsigned long long)l0_hist_total(&r->evt), l0_hist_pct(&r->evt, 0.99) / 1000.0,
                 l0_hist_pct(&r->evt, 1.0) / 1000.0, l0_stream_event_budget_ns(&r->cfg));
        break;
    default:
        snprintf(buf, n, "%llu clusters beyond --top-k %d, %llu cut to --cells %d%s",
                 (unsigned long long)r->truncated_k, r->cfg.top_k,
                 (unsigned long long)r->truncated_c, r->cfg.cells,
                 r->cfg.allow_truncation ? " (--allow-truncation)" : "");
    }
}

int l0_stream_report_junit(const l0_stream_report *r, const char *path, double seconds,
                           l0_err *err) {
    l0_ofile *of = l0_ofile_open(path, err);
    if (!of) return -1;
    FILE *f = l0_ofile_fp(of);
    char msg[1024], tool[sizeof r->tool];
    int failures = 0;
    copy_str(tool, sizeof tool, r->tool); /* "l0sim run" -> "l0sim-run": a class name */
    for (char *p = tool; *p; p++)
        if (*p == ' ') *p = '-';
    for (int k = 0; k < N_CHECKS; k++) failures += check_failed(r, k, msg, sizeof msg);
    fprintf(f, "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n");
    fprintf(f, "<testsuites name=\"l0sim\" tests=\"%d\" failures=\"%d\" errors=\"0\">\n", N_CHECKS,
            failures);
    fprintf(f,
            "  <testsuite name=\"%s\" tests=\"%d\" failures=\"%d\" errors=\"0\" "
            "skipped=\"0\" time=\"%.3f\">\n",
            tool, N_CHECKS, failures, seconds);
    fprintf(f, "    <properties>\n");
    const char *pk[] = {"stimulus", "model", "model_name"};
    const char *pv[] = {r->stimulus, r->model, r->model_name};
    for (int k = 0; k < 3; k++) {
        fprintf(f, "      <property name=\"%s\" value=\"", pk[k]);
        xml_text(f, pv[k]);
        fprintf(f, "\"/>\n");
    }
    fprintf(f,
            "      <property name=\"nodes\" value=\"%d\"/>\n"
            "      <property name=\"crossings\" value=\"%llu\"/>\n"
            "      <property name=\"clusters_sent\" value=\"%llu\"/>\n"
            "    </properties>\n",
            r->cfg.nodes, (unsigned long long)r->crossings, (unsigned long long)r->sent);
    for (int k = 0; k < N_CHECKS; k++) {
        fprintf(f, "    <testcase classname=\"%s.checks\" name=\"%s\" time=\"0\">\n", tool,
                CHECK_NAMES[k]);
        if (check_failed(r, k, msg, sizeof msg)) {
            fprintf(f, "      <failure type=\"%s\" message=\"", CHECK_NAMES[k]);
            xml_text(f, msg);
            fprintf(f, "\">");
            xml_text(f, msg);
            fprintf(f, "</failure>\n");
        } else {
            check_passed_text(r, k, msg, sizeof msg);
            fprintf(f, "      <system-out>");
            xml_text(f, msg);
            fprintf(f, "</system-out>\n");
        }
        fprintf(f, "    </testcase>\n");
    }
    fprintf(f, "  </testsuite>\n</testsuites>\n");
    return l0_ofile_commit(of, err);
}

/* --- JSON --------------------------------------------------------------------------------- */
static cJSON *hist_json(const l0_hist *h) {
    cJSON *a = cJSON_CreateArray();
    for (size_t i = 0; i < h->len; i++) {
        cJSON *p = cJSON_CreateArray();
        cJSON_AddItemToArray(p, cJSON_CreateNumber((double)h->v[i]));
        cJSON_AddItemToArray(p, cJSON_CreateNumber((double)h->n[i]));
        cJSON_AddItemToArray(a, p);
    }
    return a;
}

static cJSON *where_json(const l0_where *w) {
    if (!w->valid) return cJSON_CreateNull();
    cJSON *o = cJSON_CreateObject();
    cJSON_AddNumberToObject(o, "orbit", w->orbit);
    cJSON_AddNumberToObject(o, "bx", w->bx);
    cJSON_AddNumberToObject(o, "node", w->node);
    cJSON_AddNumberToObject(o, "cluster", w->rank);
    cJSON_AddNumberToObject(o, "cells", w->n_cells);
    cJSON_AddNumberToObject(o, "latency_ps", (double)w->latency_ps);
    return o;
}

static cJSON *dbl_array(const double *v, size_t n) {
    cJSON *a = cJSON_CreateArray();
    for (size_t i = 0; i < n; i++) cJSON_AddItemToArray(a, cJSON_CreateNumber(v[i]));
    return a;
}

static cJSON *report_json(const l0_stream_report *r) {
    const l0_stream_cfg *c = &r->cfg;
    cJSON *o = cJSON_CreateObject();
    cJSON_AddStringToObject(o, "format", REPORT_FORMAT);
    cJSON_AddNumberToObject(o, "version", REPORT_VERSION);
    cJSON_AddStringToObject(o, "tool", r->tool);
    cJSON *cf = cJSON_AddObjectToObject(o, "config");
    cJSON_AddNumberToObject(cf, "nodes", c->nodes);
    cJSON_AddNumberToObject(cf, "top_k", c->top_k);
    cJSON_AddNumberToObject(cf, "cells", c->cells);
    cJSON_AddNumberToObject(cf, "engines", c->engines);
    cJSON_AddNumberToObject(cf, "lanes", c->lanes);
    cJSON_AddNumberToObject(cf, "reg_every", c->reg_every);
    cJSON_AddNumberToObject(cf, "fifo_depth", c->fifo_depth);
    cJSON_AddNumberToObject(cf, "link_cells", c->link_cells);
    cJSON_AddNumberToObject(cf, "clock_mhz", c->clock_mhz);
    cJSON_AddNumberToObject(cf, "arrival_ns", c->arrival_ns);
    cJSON_AddNumberToObject(cf, "min_et_gev", c->min_et);
    cJSON_AddNumberToObject(cf, "budget_cluster_ns", c->budget_cluster_ns);
    cJSON_AddNumberToObject(cf, "budget_event_ns", l0_stream_event_budget_ns(c));
    cJSON_AddBoolToObject(cf, "allow_truncation", c->allow_truncation);
    cJSON_AddStringToObject(o, "stimulus", r->stimulus);
    cJSON_AddStringToObject(o, "model", r->model);
    cJSON_AddStringToObject(o, "model_name", r->model_name);
    cJSON *nodes = cJSON_AddArrayToObject(o, "nodes");
    for (int i = 0; i < r->n_nodes_run; i++)
        cJSON_AddItemToArray(nodes, cJSON_CreateNumber(r->nodes_run[i]));
    cJSON_AddNumberToObject(o, "crossings", (double)r->crossings);
    cJSON_AddNumberToObject(o, "events", (double)r->events);
    cJSON *cl = cJSON_AddObjectToObject(o, "clusters");
    cJSON_AddNumberToObject(cl, "candidates", (double)r->candidates);
    cJSON_AddNumberToObject(cl, "sent", (double)r->sent);
    cJSON_AddNumberToObject(cl, "below_threshold", (double)r->below_threshold);
    cJSON_AddNumberToObject(cl, "truncated_k", (double)r->truncated_k);
    cJSON_AddNumberToObject(cl, "truncated_c", (double)r->truncated_c);
    cJSON_AddNumberToObject(cl, "dropped", (double)r->dropped);
    cJSON_AddNumberToObject(cl, "late", (double)r->late);
    cJSON_AddNumberToObject(o, "late_events", (double)r->late_events);
    cJSON_AddNumberToObject(o, "checked", (double)r->checked);
    cJSON_AddNumberToObject(o, "mismatches", (double)r->mismatches);
    cJSON *oc = cJSON_AddObjectToObject(o, "occupancy");
    cJSON_AddNumberToObject(oc, "beats", (double)r->beats);
    cJSON_AddNumberToObject(oc, "clocks", (double)r->clocks);
    cJSON_AddNumberToObject(oc, "fifo_peak_cells", (double)r->fifo_peak);
    cJSON *lat = cJSON_AddObjectToObject(o, "latency");
    cJSON_AddNumberToObject(lat, "p50_ns", l0_hist_pct(&r->lat, 0.5) / 1000.0);
    cJSON_AddNumberToObject(lat, "p99_ns", l0_hist_pct(&r->lat, 0.99) / 1000.0);
    cJSON_AddNumberToObject(lat, "max_ns", l0_hist_pct(&r->lat, 1.0) / 1000.0);
    cJSON_AddNumberToObject(lat, "event_p99_ns", l0_hist_pct(&r->evt, 0.99) / 1000.0);
    cJSON_AddNumberToObject(lat, "event_max_ns", l0_hist_pct(&r->evt, 1.0) / 1000.0);
    cJSON_AddItemToObject(o, "latency_hist_ps", hist_json(&r->lat));
    cJSON_AddItemToObject(o, "event_hist_ps", hist_json(&r->evt));
    cJSON_AddItemToObject(o, "worst_cluster", where_json(&r->worst_cluster));
    cJSON_AddItemToObject(o, "worst_event", where_json(&r->worst_event));
    cJSON_AddItemToObject(o, "first_mismatch", where_json(&r->first_mismatch));
    cJSON_AddItemToObject(o, "first_drop", where_json(&r->first_drop));
    cJSON *tr = cJSON_AddObjectToObject(o, "truth");
    cJSON_AddItemToObject(tr, "true_e_gev", dbl_array(r->truth_e, r->n_truth));
    cJSON_AddItemToObject(tr, "em_e_gev", dbl_array(r->em_e, r->n_truth));
    cJSON_AddItemToObject(tr, "calibrated_e_gev", dbl_array(r->cal_e, r->n_truth));
    char why[1024];
    int pass = l0_stream_report_pass(r, why, sizeof why);
    cJSON_AddStringToObject(o, "verdict", pass ? "PASS" : "FAIL");
    cJSON_AddStringToObject(o, "reason", why);
    return o;
}

int l0_stream_report_write(const l0_stream_report *r, const char *path, l0_err *err) {
    cJSON *o = report_json(r);
    char *s = cJSON_Print(o);
    cJSON_Delete(o);
    if (!s) return l0_err_set(err, "%s: out of memory", path);
    size_t n = strlen(s);
    char *t = malloc(n + 2);
    if (!t) {
        free(s);
        return l0_err_set(err, "%s: out of memory", path);
    }
    memcpy(t, s, n);
    t[n] = '\n';
    free(s);
    int rc = l0_write_file_atomic(path, t, n + 1, err);
    free(t);
    return rc;
}

/* Reading: every field is required and checked, errors name the file and the field. */
typedef struct rd {
    const char *path;
    l0_err *err;
    int bad;
} rd;

static const cJSON *need(rd *d, const cJSON *o, const char *key, int type) {
    if (d->bad) return NULL;
    const cJSON *v = cJSON_GetObjectItemCaseSensitive(o, key);
    if (!v || !(v->type & type)) {
        l0_err_set(d->err, "%s: field '%s' is missing or of the wrong type", d->path, key);
        d->bad = 1;
        return NULL;
    }
    return v;
}

static double num(rd *d, const cJSON *o, const char *key) {
    const cJSON *v = need(d, o, key, cJSON_Number);
    return v ? v->valuedouble : 0;
}

static uint64_t count(rd *d, const cJSON *o, const char *key) {
    double x = num(d, o, key);
    if (!d->bad && (x < 0 || x != floor(x) || x > 9e15)) {
        l0_err_set(d->err, "%s: field '%s' is not a count", d->path, key);
        d->bad = 1;
    }
    return (uint64_t)x;
}

static void read_hist(rd *d, const cJSON *o, const char *key, l0_hist *h) {
    const cJSON *a = need(d, o, key, cJSON_Array);
    if (!a) return;
    const cJSON *p;
    cJSON_ArrayForEach(p, a) {
        if (!cJSON_IsArray(p) || cJSON_GetArraySize(p) != 2 ||
            !cJSON_IsNumber(cJSON_GetArrayItem(p, 0)) ||
            !cJSON_IsNumber(cJSON_GetArrayItem(p, 1))) {
            l0_err_set(d->err, "%s: field '%s' holds an entry that is not [value, count]", d->path,
                       key);
            d->bad = 1;
            return;
        }
        l0_hist_add(h, (int64_t)cJSON_GetArrayItem(p, 0)->valuedouble,
                    (uint64_t)cJSON_GetArrayItem(p, 1)->valuedouble);
    }
}

static void read_where(rd *d, const cJSON *o, const char *key, l0_where *w) {
    const cJSON *v = need(d, o, key, cJSON_Object | cJSON_NULL);
    memset(w, 0, sizeof *w);
    if (!v || cJSON_IsNull(v)) return;
    w->valid = 1;
    w->orbit = (uint32_t)count(d, v, "orbit");
    w->bx = (uint16_t)count(d, v, "bx");
    w->node = (int)num(d, v, "node");
    w->rank = (int)num(d, v, "cluster");
    w->n_cells = (int)num(d, v, "cells");
    w->latency_ps = (int64_t)num(d, v, "latency_ps");
}

static void read_str(rd *d, const cJSON *o, const char *key, char *dst, size_t n) {
    const cJSON *v = need(d, o, key, cJSON_String);
    if (v) copy_str(dst, n, v->valuestring);
}

int l0_stream_report_read(const char *path, l0_stream_report *r, l0_err *err) {
    memset(r, 0, sizeof *r);
    size_t len;
    char *buf = l0_read_file(path, (size_t)1 << 30, &len, err);
    if (!buf) return -1;
    cJSON *o = cJSON_Parse(buf);
    if (!o) {
        long off = (long)(cJSON_GetErrorPtr() ? cJSON_GetErrorPtr() - buf : 0);
        free(buf);
        return l0_err_set(err, "%s: not valid JSON (near byte %ld)", path, off);
    }
    free(buf);
    rd d = {path, err, 0};
    const cJSON *fmt = need(&d, o, "format", cJSON_String);
    if (fmt && strcmp(fmt->valuestring, REPORT_FORMAT)) {
        l0_err_set(err, "%s: field 'format' is '%s', not a stream report ('%s')", path,
                   fmt->valuestring, REPORT_FORMAT);
        d.bad = 1;
    }
    if (!d.bad && num(&d, o, "version") != REPORT_VERSION && !d.bad) {
        l0_err_set(err, "%s: field 'version' is not %d", path, REPORT_VERSION);
        d.bad = 1;
    }
    l0_stream_cfg c;
    l0_stream_cfg_default(&c);
    const cJSON *cf = need(&d, o, "config", cJSON_Object);
    if (cf) {
        c.nodes = (int)count(&d, cf, "nodes");
        c.top_k = (int)count(&d, cf, "top_k");
        c.cells = (int)count(&d, cf, "cells");
        c.engines = (int)count(&d, cf, "engines");
        c.lanes = (int)count(&d, cf, "lanes");
        c.reg_every = (int)count(&d, cf, "reg_every");
        c.fifo_depth = (int)count(&d, cf, "fifo_depth");
        c.link_cells = (int)count(&d, cf, "link_cells");
        c.clock_mhz = num(&d, cf, "clock_mhz");
        c.arrival_ns = num(&d, cf, "arrival_ns");
        c.min_et = num(&d, cf, "min_et_gev");
        c.budget_cluster_ns = num(&d, cf, "budget_cluster_ns");
        c.budget_event_ns = num(&d, cf, "budget_event_ns");
        const cJSON *at = need(&d, cf, "allow_truncation", cJSON_True | cJSON_False);
        c.allow_truncation = at && cJSON_IsTrue(at);
        c.node = -1;
    }
    l0_err e2;
    if (!d.bad && l0_stream_cfg_check(&c, NULL, &e2)) {
        l0_err_set(err, "%s: field 'config': %s", path, e2.msg);
        d.bad = 1;
    }
    if (d.bad) {
        cJSON_Delete(o);
        return -1;
    }
    char tool[32] = "";
    read_str(&d, o, "tool", tool, sizeof tool);
    l0_stream_report_init(r, tool, &c, "", "", "");
    r->n_nodes_run = 0;
    read_str(&d, o, "stimulus", r->stimulus, sizeof r->stimulus);
    read_str(&d, o, "model", r->model, sizeof r->model);
    read_str(&d, o, "model_name", r->model_name, sizeof r->model_name);
    const cJSON *nodes = need(&d, o, "nodes", cJSON_Array), *it;
    if (nodes) {
        cJSON_ArrayForEach(it, nodes) {
            if (!cJSON_IsNumber(it) || it->valuedouble < 0 || it->valuedouble >= c.nodes ||
                r->n_nodes_run >= c.nodes) {
                l0_err_set(err, "%s: field 'nodes' holds a node outside 0..%d", path, c.nodes - 1);
                d.bad = 1;
                break;
            }
            r->nodes_run[r->n_nodes_run++] = (int)it->valuedouble;
        }
    }
    r->crossings = count(&d, o, "crossings");
    r->events = count(&d, o, "events");
    const cJSON *cl = need(&d, o, "clusters", cJSON_Object);
    if (cl) {
        r->candidates = count(&d, cl, "candidates");
        r->sent = count(&d, cl, "sent");
        r->below_threshold = count(&d, cl, "below_threshold");
        r->truncated_k = count(&d, cl, "truncated_k");
        r->truncated_c = count(&d, cl, "truncated_c");
        r->dropped = count(&d, cl, "dropped");
        r->late = count(&d, cl, "late");
    }
    r->late_events = count(&d, o, "late_events");
    r->checked = count(&d, o, "checked");
    r->mismatches = count(&d, o, "mismatches");
    const cJSON *oc = need(&d, o, "occupancy", cJSON_Object);
    if (oc) {
        r->beats = count(&d, oc, "beats");
        r->clocks = count(&d, oc, "clocks");
        r->fifo_peak = (int64_t)count(&d, oc, "fifo_peak_cells");
    }
    read_hist(&d, o, "latency_hist_ps", &r->lat);
    read_hist(&d, o, "event_hist_ps", &r->evt);
    read_where(&d, o, "worst_cluster", &r->worst_cluster);
    read_where(&d, o, "worst_event", &r->worst_event);
    read_where(&d, o, "first_mismatch", &r->first_mismatch);
    read_where(&d, o, "first_drop", &r->first_drop);
    const cJSON *tr = need(&d, o, "truth", cJSON_Object);
    if (tr) {
        const cJSON *a[3] = {need(&d, tr, "true_e_gev", cJSON_Array),
                             need(&d, tr, "em_e_gev", cJSON_Array),
                             need(&d, tr, "calibrated_e_gev", cJSON_Array)};
        if (!d.bad) {
            int n = cJSON_GetArraySize(a[0]);
            if (cJSON_GetArraySize(a[1]) != n || cJSON_GetArraySize(a[2]) != n) {
                l0_err_set(err, "%s: field 'truth': arrays of different lengths", path);
                d.bad = 1;
            }
            for (int i = 0; !d.bad && i < n; i++) {
                const cJSON *x = cJSON_GetArrayItem(a[0], i), *y = cJSON_GetArrayItem(a[1], i),
                            *z = cJSON_GetArrayItem(a[2], i);
                if (!cJSON_IsNumber(x) || !cJSON_IsNumber(y) || !cJSON_IsNumber(z)) {
                    l0_err_set(err, "%s: field 'truth' entry %d is not a number", path, i);
                    d.bad = 1;
                    break;
                }
                truth_push(r, x->valuedouble, y->valuedouble, z->valuedouble);
            }
        }
    }
    cJSON_Delete(o);
    if (d.bad) {
        l0_stream_report_free(r);
        return -1;
    }
    return 0;
}

static int cfg_same(const l0_stream_cfg *a, const l0_stream_cfg *b) {
    return a->nodes == b->nodes && a->top_k == b->top_k && a->cells == b->cells &&
           a->engines == b->engines && a->lanes == b->lanes && a->reg_every == b->reg_every &&
           a->fifo_depth == b->fifo_depth && a->link_cells == b->link_cells &&
           a->clock_mhz == b->clock_mhz && a->arrival_ns == b->arrival_ns &&
           a->min_et == b->min_et && a->budget_cluster_ns == b->budget_cluster_ns &&
           l0_stream_event_budget_ns(a) == l0_stream_event_budget_ns(b) &&
           a->allow_truncation == b->allow_truncation;
}

static int cmp_int(const void *a, const void *b) {
    return *(const int *)a - *(const int *)b;
}

int l0_stream_report_merge(l0_stream_report *a, const l0_stream_report *b, l0_err *err) {
    if (!cfg_same(&a->cfg, &b->cfg))
        return l0_err_set(err, "the reports were made with different configurations");
    if (strcmp(a->stimulus, b->stimulus) || strcmp(a->model, b->model))
        return l0_err_set(err,
                          "the reports are of different stimuli or models ('%s' + '%s', "
                          "'%s' + '%s')",
                          a->stimulus, b->stimulus, a->model, b->model);
    for (int i = 0; i < b->n_nodes_run; i++)
        for (int j = 0; j < a->n_nodes_run; j++)
            if (a->nodes_run[j] == b->nodes_run[i])
                return l0_err_set(err, "node %d is in two of the reports", b->nodes_run[i]);
    if (a->n_nodes_run + b->n_nodes_run > a->cfg.nodes)
        return l0_err_set(err, "more nodes than the configuration has");
    for (int i = 0; i < b->n_nodes_run; i++) a->nodes_run[a->n_nodes_run++] = b->nodes_run[i];
    qsort(a->nodes_run, (size_t)a->n_nodes_run, sizeof *a->nodes_run, cmp_int);
    a->crossings += b->crossings;
    a->events += b->events;
    a->candidates += b->candidates;
    a->sent += b->sent;
    a->below_threshold += b->below_threshold;
    a->truncated_k += b->truncated_k;
    a->truncated_c += b->truncated_c;
    a->dropped += b->dropped;
    a->late += b->late;
    a->late_events += b->late_events;
    a->checked += b->checked;
    a->mismatches += b->mismatches;
    a->beats += b->beats;
    a->clocks += b->clocks;
    if (b->fifo_peak > a->fifo_peak) a->fifo_peak = b->fifo_peak;
    for (size_t i = 0; i < b->lat.len; i++) l0_hist_add(&a->lat, b->lat.v[i], b->lat.n[i]);
    for (size_t i = 0; i < b->evt.len; i++) l0_hist_add(&a->evt, b->evt.v[i], b->evt.n[i]);
    if (b->worst_cluster.valid &&
        (!a->worst_cluster.valid || worse(&b->worst_cluster, &a->worst_cluster)))
        a->worst_cluster = b->worst_cluster;
    if (b->worst_event.valid && (!a->worst_event.valid || worse(&b->worst_event, &a->worst_event)))
        a->worst_event = b->worst_event;
    if (b->first_mismatch.valid &&
        (!a->first_mismatch.valid || where_first(&b->first_mismatch, &a->first_mismatch)))
        a->first_mismatch = b->first_mismatch;
    if (b->first_drop.valid &&
        (!a->first_drop.valid || where_first(&b->first_drop, &a->first_drop)))
        a->first_drop = b->first_drop;
    for (size_t i = 0; i < b->n_truth; i++) truth_push(a, b->truth_e[i], b->em_e[i], b->cal_e[i]);
    return 0;
}

/* --- summary ------------------------------------------------------------------------------ */
static int cmp_dbl(const void *a, const void *b) {
    double x = *(const double *)a, y = *(const double *)b;
    return (x > y) - (x < y);
}

/* median and IQR/median of ratios num/den (sorted copy) */
static void median_iqr(const double *num, const double *den, size_t n, double *med, double *iqr) {
    double *v = malloc((n ? n : 1) * sizeof *v);
    if (!v) abort();
    for (size_t i = 0; i < n; i++) v[i] = num[i] / den[i];
    qsort(v, n, sizeof *v, cmp_dbl);
    /* linear interpolation of the sorted values */
    double q[3], p[3] = {0.25, 0.5, 0.75};
    for (int k = 0; k < 3; k++) {
        double x = p[k] * (double)(n - 1);
        size_t i = (size_t)x;
        double f = x - (double)i;
        q[k] = i + 1 < n ? v[i] * (1 - f) + v[i + 1] * f : v[n - 1];
    }
    *med = q[1];
    *iqr = q[1] != 0 ? (q[2] - q[0]) / q[1] : 0;
    free(v);
}

void l0_stream_report_summary(const l0_stream_report *r, FILE *f) {
    const l0_stream_cfg *c = &r->cfg;
    const double bx = l0_stream_bx_ns();
    double p50 = l0_hist_pct(&r->lat, 0.5) / 1000.0, p99 = l0_hist_pct(&r->lat, 0.99) / 1000.0,
           mx = l0_hist_pct(&r->lat, 1.0) / 1000.0;
    double e99 = l0_hist_pct(&r->evt, 0.99) / 1000.0, emx = l0_hist_pct(&r->evt, 1.0) / 1000.0;
    double bud_e = l0_stream_event_budget_ns(c);
    fprintf(f,
            "%s: model %s, %d of %d nodes, K %d, C %d, %d engine(s) x L %d, link %d cells/clk, "
            "%.3f MHz\n",
            r->tool, r->model_name[0] ? r->model_name : r->model, r->n_nodes_run, c->nodes,
            c->top_k, c->cells, c->engines, c->lanes, c->link_cells, c->clock_mhz);
    fprintf(f,
            "  crossings %llu (events %llu), clusters: %llu candidates (Et >= %.3g GeV), %llu "
            "sent, %llu below threshold\n",
            (unsigned long long)r->crossings, (unsigned long long)r->events,
            (unsigned long long)r->candidates, c->min_et, (unsigned long long)r->sent,
            (unsigned long long)r->below_threshold);
    fprintf(f, "  checked against the golden model: %llu outputs, %llu mismatches\n",
            (unsigned long long)r->checked, (unsigned long long)r->mismatches);
    fprintf(f,
            "  cluster latency: p50 %.1f ns (%.2f BX), p99 %.1f ns (%.2f BX), max %.1f ns "
            "(%.2f BX); budget %.1f ns (%.2f BX): %llu late\n",
            p50, p50 / bx, p99, p99 / bx, mx, mx / bx, c->budget_cluster_ns,
            c->budget_cluster_ns / bx, (unsigned long long)r->late);
    fprintf(f,
            "  event completion: p99 %.1f ns, max %.1f ns (%.2f BX); budget %.1f ns (%.2f BX): "
            "%llu late\n",
            e99, emx, emx / bx, bud_e, bud_e / bx, (unsigned long long)r->late_events);
    fprintf(f, "  occupancy: engines busy %.1f%% of the clocks, FIFO peak %lld of %d cells\n",
            r->clocks ? 100.0 * (double)r->beats / ((double)r->clocks * c->engines) : 0.0,
            (long long)r->fifo_peak, c->fifo_depth);
    fprintf(f, "  dropped %llu, truncated: %llu beyond K, %llu cut to C%s\n",
            (unsigned long long)r->dropped, (unsigned long long)r->truncated_k,
            (unsigned long long)r->truncated_c, c->allow_truncation ? " (allowed)" : "");
    if (r->n_truth) {
        double m_cal, i_cal, m_em, i_em;
        median_iqr(r->cal_e, r->truth_e, r->n_truth, &m_cal, &i_cal);
        median_iqr(r->em_e, r->truth_e, r->n_truth, &m_em, &i_em);
        fprintf(f,
                "  physics: %zu truth-matched clusters, response median (IQR/median): "
                "DeepSets %.3f (%.3f), EM scale %.3f (%.3f)\n",
                r->n_truth, m_cal, i_cal, m_em, i_em);
    }
    if (r->worst_cluster.valid) {
        char w[160];
        where_str(&r->worst_cluster, w, sizeof w);
        fprintf(f, "  worst cluster: %s, %.1f ns\n", w, r->worst_cluster.latency_ps / 1000.0);
    }
    char why[1024];
    if (l0_stream_report_pass(r, why, sizeof why))
        fprintf(f, "PASS\n");
    else
        fprintf(f, "FAIL: %s\n", why);
}

/* --- plots -------------------------------------------------------------------------------- */
static int hist_dat(const l0_hist *h, const char *path, double bin_ns, l0_err *err) {
    l0_ofile *of = l0_ofile_open(path, err);
    if (!of) return -1;
    FILE *f = l0_ofile_fp(of);
    /* rebin to bin_ns */
    int64_t cur = INT64_MIN;
    uint64_t acc = 0;
    for (size_t i = 0; i < h->len; i++) {
        int64_t b = (int64_t)floor(h->v[i] / 1000.0 / bin_ns);
        if (b != cur && acc) {
            fprintf(f, "%.3f %llu\n", (cur + 0.5) * bin_ns, (unsigned long long)acc);
            acc = 0;
        }
        cur = b;
        acc += h->n[i];
    }
    if (acc) fprintf(f, "%.3f %llu\n", (cur + 0.5) * bin_ns, (unsigned long long)acc);
    return l0_ofile_commit(of, err);
}

int l0_stream_report_plots(const l0_stream_report *r, const char *dir, l0_err *err) {
    char dat[1100], png[1100], script[4096];
    const double clk = l0_stream_clk_ns(&r->cfg);
    const char *what[2] = {"latency", "completion"};
    for (int k = 0; k < 2; k++) {
        const l0_hist *h = k ? &r->evt : &r->lat;
        double budget = k ? l0_stream_event_budget_ns(&r->cfg) : r->cfg.budget_cluster_ns;
        snprintf(dat, sizeof dat, "%s/%s.dat", dir, what[k]);
        snprintf(png, sizeof png, "%s/%s.png", dir, what[k]);
        double bin = k ? 4 * clk : clk;
        if (hist_dat(h, dat, bin, err)) return -1;
        double mx = l0_hist_pct(h, 1.0) / 1000.0;
        double xmax = (mx > budget ? mx : budget) * 1.08;
        snprintf(script, sizeof script,
                 "set title '%s: %s of %llu %s (%s)' noenhanced\n"
                 "set xlabel '%s from the start of the bunch crossing [ns]'\n"
                 "set ylabel '%s per %.2f ns (%s)'\n"
                 "set logscale y\nset yrange [0.8:*]\nset xrange [0:%g]\nset grid\n"
                 "set boxwidth %g absolute\n"
                 "set style fill solid 0.6\nset arrow from %g, graph 0 to %g, graph 1 nohead "
                 "lc rgb 'red' lw 2\nset label 'budget %.0f ns' at %g, graph 0.95 right "
                 "tc rgb 'red'\n"
                 "plot '%s' using 1:2 with boxes lc rgb '#3060a0' notitle\n",
                 r->tool, k ? "event completion" : "cluster latency",
                 (unsigned long long)l0_hist_total(h), k ? "events" : "clusters", r->model_name,
                 k ? "event completion (last output)" : "cluster latency",
                 k ? "events" : "clusters", bin, k ? "4 fabric clocks" : "one fabric clock", xmax,
                 bin, budget, budget, budget, budget * 0.98, dat);
        if (l0_plot_png(png, 900, 560, script, err)) return -1;
    }
    if (!r->n_truth) return 0;
    /* the physics of the stream: response of the truth-matched clusters, DeepSets and EM scale */
    snprintf(dat, sizeof dat, "%s/truth.csv", dir);
    snprintf(png, sizeof png, "%s/response.png", dir);
    l0_ofile *of = l0_ofile_open(dat, err);
    if (!of) return -1;
    FILE *f = l0_ofile_fp(of);
    fprintf(f, "true_e_gev,em_e_gev,calibrated_e_gev\n");
    for (size_t i = 0; i < r->n_truth; i++)
        fprintf(f, "%.6g,%.6g,%.6g\n", r->truth_e[i], r->em_e[i], r->cal_e[i]);
    if (l0_ofile_commit(of, err)) return -1;
    snprintf(script, sizeof script,
             "set title '%s: response of %zu truth-matched clusters (%s)' noenhanced\n"
             "set xlabel 'true energy [GeV]'\nset ylabel 'E / E_{true}'\nset logscale x\n"
             "set yrange [0:2]\nset grid\nset key top right\nset datafile separator ','\n"
             "plot '%s' skip 1 using 1:($2/$1) with points pt 7 ps 0.5 lc rgb '#c04040' "
             "title 'EM-scale sum', '' skip 1 using 1:($3/$1) with points pt 7 ps 0.5 "
             "lc rgb '#3060a0' title 'DeepSets (fixed point, RTL)', 1 with lines lc rgb 'black' "
             "notitle\n",
             r->tool, r->n_truth, r->model_name, dat);
    return l0_plot_png(png, 900, 560, script, err);
}

/* --- per-cluster CSV ---------------------------------------------------------------------- */
l0_ofile *l0_stream_csv_open(const char *path, l0_err *err) {
    l0_ofile *f = l0_ofile_open(path, err);
    if (!f) return NULL;
    fprintf(l0_ofile_fp(f),
            "orbit,bx,node,engine,rank,n_cells,arrival,first,out,latency_ns,status,out_raw\n");
    return f;
}

void l0_stream_csv_row(l0_ofile *f, const l0_event *ev, int node, int engine,
                       const l0_stream_sel *s, int64_t arrival, int64_t first, int64_t out,
                       double latency_ns, int status, int64_t out_raw) {
    fprintf(l0_ofile_fp(f), "%u,%u,%d,%d,%d,%d,%lld,%lld,%lld,%.3f,%s,%lld\n", (unsigned)ev->orbit,
            (unsigned)ev->bx, node, engine, s->rank, s->n, (long long)arrival, (long long)first,
            (long long)out, latency_ns, l0_stream_status_name(status), (long long)out_raw);
}

const char *l0_stream_status_name(int status) {
    switch (status) {
    case L0_CL_OK:
        return "ok";
    case L0_CL_LATE:
        return "late";
    case L0_CL_DROPPED:
        return "dropped";
    case L0_CL_MISMATCH:
        return "mismatch";
    }
    return "?";
}
