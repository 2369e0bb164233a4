/* The SystemC modules of the streaming system (see l0_sc_model.h and docs/stream.md). */
#include "l0_sc_model.h"

#include <systemc>

#include <algorithm>
#include <cmath>
#include <cstring>
#include <deque>
#include <memory>
#include <string>

namespace l0sc {

using sc_core::sc_event;
using sc_core::sc_module;
using sc_core::sc_module_name;
using sc_core::sc_time;
using sc_core::wait;

namespace {

/* Thread stacks: the retire callback (report, CSV) and the golden model run on them. */
const size_t STACK = 256 * 1024;

/* The two clocks as periods the modules align to: fabric edge k is at k x T_clk, crossing g
 * starts at g x T_bx (docs/stream.md, "Time"). Times are integer femtoseconds, rounded once
 * from the edge number, so every module computes the same time for the same edge. */
struct Clocks {
    double clk_fs = 0, bx_fs = 0;
    sc_time edge(int64_t k) const {
        return sc_time::from_value((sc_dt::uint64)std::llround((double)k * clk_fs));
    }
    sc_time bx(uint64_t g) const {
        return sc_time::from_value((sc_dt::uint64)std::llround((double)g * bx_fs));
    }
};

struct Ctx {
    Setup s;
    Clocks clk;
    std::vector<int> lat; /* latency in clocks by cell count */
    const std::function<void(const Event &)> *on_retire = nullptr;
    Stats *st = nullptr;
    l0_err *err = nullptr;
    int failed = 0;
};

/* The pop phase of edge k: a timed wait, so the process runs in the first delta cycle of k. */
void wait_edge(const Ctx *x, int64_t k) {
    sc_time t = x->clk.edge(k), now = sc_core::sc_time_stamp();
    sc_assert(t > now);
    wait(t - now);
}

/* The move phase of edge k (now or later): one delta cycle after the pops of edge k. */
void wait_move(const Ctx *x, int64_t k) {
    sc_time t = x->clk.edge(k), now = sc_core::sc_time_stamp();
    sc_assert(t >= now);
    if (t > now) wait(t - now);
    wait(sc_core::SC_ZERO_TIME);
}

/* An engine input FIFO: its fill, and the clusters whose cells are all in it. */
struct Fifo {
    int64_t count = 0;
    std::deque<Cluster *> ready; /* in order, last_move known */
    sc_event ev;                 /* a cluster became ready */
};

class Node;

/* An engine: a pipeline that gives a cluster's output latency(n) clocks after its first beat,
 * computed with the golden model. Outputs leave in input order (latency grows with beats). */
class Engine : public sc_module {
  public:
    SC_HAS_PROCESS(Engine);
    Engine(sc_module_name nm, Ctx *x, Node *node) : sc_module(nm), x_(x), node_(node) {
        SC_THREAD(run);
        set_stack_size(STACK);
    }
    void start(Cluster *c) {
        pipe_.push_back(c);
        ev_.notify();
    }

  private:
    void run();
    Ctx *x_;
    Node *node_;
    std::deque<Cluster *> pipe_;
    sc_event ev_;
};

/* The dispatcher of one engine: store and forward, one beat of L cells per edge. */
class Dispatcher : public sc_module {
  public:
    SC_HAS_PROCESS(Dispatcher);
    Dispatcher(sc_module_name nm, Ctx *x, Node *node, Fifo *q, Engine *eng)
        : sc_module(nm), x_(x), node_(node), q_(q), eng_(eng) {
        SC_THREAD(run);
        set_stack_size(STACK);
    }

  private:
    void run();
    Ctx *x_;
    Node *node_;
    Fifo *q_;
    Engine *eng_;
};

/* One time-multiplexed node: its input link, and per engine a FIFO, a dispatcher, an engine. */
class Node : public sc_module {
  public:
    SC_HAS_PROCESS(Node);
    Node(sc_module_name nm, Ctx *x, int id) : sc_module(nm), x_(x), id_(id) {
        int E = x->s.cfg.engines;
        for (int i = 0; i < E; i++) {
            fifo_.emplace_back(new Fifo);
            std::string en = "engine" + std::to_string(i), dn = "dispatcher" + std::to_string(i);
            eng_.emplace_back(new Engine(en.c_str(), x, this));
            disp_.emplace_back(
                new Dispatcher(dn.c_str(), x, this, fifo_.back().get(), eng_.back().get()));
        }
        SC_THREAD(link);
        set_stack_size(STACK);
    }
    ~Node() {
        for (Event *e : inflight_) delete e;
    }

    /* A crossing reaches the node (at or before its arrival edge). */
    void deliver(Event *e) {
        if (first_edge_ < 0) first_edge_ = e->arrival;
        inflight_.push_back(e);
        if (e->cl.empty()) {
            e->link_start = e->link_end = -1; /* nothing to send: the link is not used */
            retire();
            return;
        }
        inbox_.push_back(e);
        inbox_ev_.notify();
    }

    void touch(int64_t k) {
        if (k > last_edge_) last_edge_ = k;
    }

    void output(Cluster *c) {
        const l0_stream_cfg *cfg = &x_->s.cfg;
        c->latency_ps = l0_stream_latency_ps(cfg, c->ev->g, c->out);
        c->status = (double)c->latency_ps > cfg->budget_cluster_ns * 1000.0 ? L0_CL_LATE : L0_CL_OK;
        if (c->out > c->ev->last_out) c->ev->last_out = c->out;
        touch(c->out);
        c->ev->pending--;
        retire();
    }

    void drop(Cluster *c) {
        golden(x_, c);
        c->status = L0_CL_DROPPED;
        c->first = c->out = -1;
        c->latency_ps = -1;
        c->ev->pending--;
    }

    /* What the golden model gives for the cluster (the engine's output). */
    static void golden(Ctx *x, Cluster *c) {
        if (x->s.g) {
            double v = 0;
            c->out_raw = l0_golden_run(x->s.g, &c->cut, &v);
            c->cal_e = v * x->s.m->target_scale;
            c->have_out = 1;
        } else {
            c->out_raw = -1;
        }
        c->cells.clear();
        c->cells.shrink_to_fit();
        c->cut.cells = nullptr;
    }

    /* Clocks the node spanned: from its first record's arrival to its last activity. */
    uint64_t clocks() const {
        return first_edge_ < 0 ? 0
                               : (uint64_t)(std::max(last_edge_, first_edge_) + 1 - first_edge_);
    }
    size_t inflight() const { return inflight_.size(); }

  private:
    /* Events leave in crossing order, once the link is done with them and nothing is pending. */
    void retire() {
        while (!inflight_.empty()) {
            Event *e = inflight_.front();
            if (e->pending || (!e->cl.empty() && e->link_end < 0)) break;
            e->completion_ps =
                e->last_out >= 0 ? l0_stream_latency_ps(&x_->s.cfg, e->g, e->last_out) : 0;
            inflight_.pop_front();
            (*x_->on_retire)(*e);
            delete e;
        }
    }

    /* The link: B cells per edge into the FIFOs, event after event, cluster after cluster. */
    void link() {
        const int B = x_->s.cfg.link_cells;
        const int64_t D = x_->s.cfg.fifo_depth;
        int64_t free_at = 0; /* the edge after the previous event's last move */
        for (;;) {
            while (inbox_.empty()) wait(inbox_ev_);
            Event *e = inbox_.front();
            inbox_.pop_front();
            int64_t k = std::max(e->arrival, free_at);
            e->link_start = k;
            size_t ci = 0;
            int co = 0;           /* cells of cluster ci already moved */
            bool admitted = true; /* cluster ci is stored */
            while (ci < e->cl.size()) {
                wait_move(x_, k); /* after the dispatchers' pops of edge k */
                x_->st->activations++;
                int room = B;
                while (room > 0 && ci < e->cl.size()) {
                    Cluster *c = &e->cl[ci];
                    Fifo *q = fifo_[(size_t)c->engine].get();
                    if (co == 0) { /* FIFO admission, before the cluster's first cell */
                        c->first_move = k;
                        admitted = D - q->count >= c->n;
                        if (!admitted) drop(c);
                    }
                    int take = std::min(room, c->n - co);
                    if (admitted) {
                        q->count += take;
                        if (q->count > x_->st->fifo_peak) x_->st->fifo_peak = q->count;
                    }
                    co += take;
                    room -= take;
                    if (co == c->n) {
                        c->last_move = k;
                        if (admitted) {
                            q->ready.push_back(c);
                            q->ev.notify();
                        }
                        ci++;
                        co = 0;
                    }
                }
                touch(k);
                k++;
            }
            e->link_end = k - 1;
            free_at = k;
            retire(); /* all of its clusters may have been dropped */
        }
    }

    Ctx *x_;
    int id_;
    std::vector<std::unique_ptr<Fifo>> fifo_;
    std::vector<std::unique_ptr<Engine>> eng_;
    std::vector<std::unique_ptr<Dispatcher>> disp_;
    std::deque<Event *> inbox_;    /* waiting for the link */
    std::deque<Event *> inflight_; /* delivered, not retired */
    sc_event inbox_ev_;
    int64_t first_edge_ = -1, last_edge_ = -1;
};

void Engine::run() {
    for (;;) {
        while (pipe_.empty()) wait(ev_);
        Cluster *c = pipe_.front();
        wait_edge(x_, c->out);
        pipe_.pop_front();
        x_->st->activations++;
        Node::golden(x_, c);
        node_->output(c);
    }
}

void Dispatcher::run() {
    const int L = x_->s.cfg.lanes;
    int64_t free_at = 0; /* the edge after the last beat of the previous cluster */
    for (;;) {
        while (q_->ready.empty()) wait(q_->ev);
        Cluster *c = q_->ready.front();
        q_->ready.pop_front();
        /* all its cells in the FIFO (moved at edges < first) and no beat of an earlier one left */
        int64_t f = std::max(c->last_move + 1, free_at);
        int beats = (c->n + L - 1) / L, left = c->n;
        c->first = f;
        /* latency(n) counts the edges from the first beat's to the output's, both included */
        c->out = f + x_->lat[(size_t)c->n] - 1;
        for (int b = 0; b < beats; b++) {
            wait_edge(x_, f + b); /* pop phase */
            int take = std::min(L, left);
            left -= take;
            q_->count -= take;
            x_->st->beats++;
            x_->st->activations++;
            node_->touch(f + b);
            if (b == 0) eng_->start(c);
        }
        free_at = f + beats;
    }
}

/* Reads the records one at a time and hands each crossing to its node at its BX edge. */
class Source : public sc_module {
  public:
    SC_HAS_PROCESS(Source);
    Source(sc_module_name nm, Ctx *x, Feed *feed, std::vector<Node *> *nodes)
        : sc_module(nm), x_(x), feed_(feed), nodes_(nodes) {
        SC_THREAD(run);
        set_stack_size(STACK);
    }

  private:
    void run() {
        const l0_stream_cfg *cfg = &x_->s.cfg;
        std::vector<l0_stream_sel> sel((size_t)cfg->top_k);
        l0_event ev;
        uint32_t orbit0 = 0;
        uint16_t bx0 = 0;
        for (;;) {
            if (x_->s.max_records && x_->st->records >= x_->s.max_records) break;
            int r = feed_->next(&ev, x_->err);
            if (r < 0) { /* stop reading; what is in the nodes drains, simulate() fails */
                x_->failed = 1;
                return;
            }
            if (r == 0) break;
            if (x_->st->records++ == 0) {
                orbit0 = ev.orbit;
                bx0 = ev.bx;
            }
            feed_->progress();
            uint64_t g = l0_stream_crossing(orbit0, bx0, ev.orbit, ev.bx);
            int nid = (int)(g % (uint64_t)cfg->nodes);
            if (!(*nodes_)[(size_t)nid]) continue;
            Event *e = new Event;
            e->g = g;
            e->orbit = ev.orbit;
            e->bx = ev.bx;
            e->filled = ev.filled;
            e->node = nid;
            e->arrival = l0_stream_arrival_clock(cfg, g);
            int n = ev.filled ? l0_stream_select(cfg, &ev, sel.data(), &e->cnt) : 0;
            e->cl.resize((size_t)n);
            e->pending = n;
            for (int i = 0; i < n; i++) {
                const l0_stream_sel *s = &sel[(size_t)i];
                Cluster *c = &e->cl[(size_t)i];
                c->ev = e;
                c->idx = i;
                c->rank = s->rank;
                c->n = s->n;
                c->truncated = s->truncated;
                c->engine = i % cfg->engines;
                c->e = s->c->e;
                c->et = s->c->et;
                c->truth_e = s->c->truth_e;
                if (x_->s.g) c->cells.assign(s->c->cells, s->c->cells + s->n);
                c->cut = *s->c;
                c->cut.n_cells = (uint16_t)s->n;
                c->cut.cells = c->cells.data();
            }
            /* the BX clock: the crossing starts at g x T_bx; it reaches the node at a(g) */
            sc_time t = std::min(x_->clk.bx(g), x_->clk.edge(e->arrival));
            sc_time now = sc_core::sc_time_stamp();
            if (t > now) wait(t - now);
            (*nodes_)[(size_t)nid]->deliver(e);
        }
    }

    Ctx *x_;
    Feed *feed_;
    std::vector<Node *> *nodes_;
};

class System : public sc_module {
  public:
    System(sc_module_name nm, Ctx *x, Feed *feed) : sc_module(nm) {
        const l0_stream_cfg *cfg = &x->s.cfg;
        nodes.assign((size_t)cfg->nodes, nullptr);
        for (int n = 0; n < cfg->nodes; n++) {
            if (!l0_stream_node_selected(cfg, n)) continue;
            std::string nn = "node" + std::to_string(n);
            own_.emplace_back(new Node(nn.c_str(), x, n));
            nodes[(size_t)n] = own_.back().get();
        }
        src_.reset(new Source("source", x, feed, &nodes));
    }
    std::vector<Node *> nodes;

  private:
    std::vector<std::unique_ptr<Node>> own_;
    std::unique_ptr<Source> src_;
};

} // namespace

int latency_clocks(const Setup &s, int n) {
    l0_rtl_cfg rc;
    l0_rtl_cfg_default(&rc);
    rc.lanes = s.cfg.lanes;
    rc.reg_every = s.cfg.reg_every;
    rc.tag_w = s.tag_w;
    return l0_rtl_latency(s.m, &rc, n);
}

int simulate(const Setup &s, Feed &feed, const std::function<void(const Event &)> &on_retire,
             Stats *st, l0_err *err) {
    static int once = 0;
    if (once++) return l0_err_set(err, "SystemC elaborates once per process: simulate() again");
    sc_core::sc_set_time_resolution(1, sc_core::SC_FS);
    Ctx x;
    x.s = s;
    x.clk.clk_fs = l0_stream_clk_ns(&s.cfg) * 1e6;
    x.clk.bx_fs = l0_stream_bx_ns() * 1e6;
    x.lat.assign((size_t)s.cfg.cells + 1, 0);
    for (int n = 1; n <= s.cfg.cells; n++) x.lat[(size_t)n] = latency_clocks(s, n);
    x.on_retire = &on_retire;
    x.st = st;
    x.err = err;
    *st = Stats();
    System sys("l0sc", &x, &feed);
    sc_core::sc_start();
    st->sim_seconds = sc_core::sc_time_stamp().to_seconds();
    if (x.failed) return -1;
    for (Node *n : sys.nodes) {
        if (!n) continue;
        st->clocks += n->clocks();
        if (n->inflight())
            return l0_err_set(err, "internal: %zu events still in a node at the end",
                              n->inflight());
    }
    return 0;
}

void report_event(l0_stream_report *r, l0_ofile *csv, const Event &e) {
    l0_event v;
    memset(&v, 0, sizeof v);
    v.orbit = e.orbit;
    v.bx = e.bx;
    v.filled = e.filled;
    for (const Cluster &c : e.cl) {
        l0_cluster cc;
        memset(&cc, 0, sizeof cc);
        cc.e = c.e;
        cc.et = c.et;
        cc.truth_e = c.have_out ? c.truth_e : 0;
        cc.n_cells = (uint16_t)c.n;
        l0_stream_sel s = {&cc, c.rank, c.n, c.truncated};
        l0_stream_report_cluster(r, &v, e.node, &s, c.status, c.latency_ps, c.cal_e);
        if (csv)
            l0_stream_csv_row(csv, &v, e.node, c.engine, &s, e.arrival, c.first, c.out,
                              c.latency_ps / 1000.0, c.status, c.out_raw);
    }
    l0_stream_report_event(r, &v, e.g, e.node, &e.cnt, e.completion_ps);
}

} // namespace l0sc
