/* l0sim-sc: the streaming system of docs/stream.md as a SystemC model (l0_sc_model.h): one run
 * over a stimulus stream (the report of `l0sim run`, from the golden model and the latency
 * formula instead of the verilated engine), or a sweep over system parameters. */
#include <getopt.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cerrno>
#include <cmath>
#include <cstdarg>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <algorithm>
#include <string>
#include <vector>

#include "l0_sc_model.h"

extern "C" {
#include "l0_cli.h"
#include "l0_gen.h"
#include "l0_plot.h"
#include "l0_progress.h"
#include "l0_stimfile.h"
}

#ifndef L0SC_DEFAULT_MODEL
#define L0SC_DEFAULT_MODEL "model/default.json"
#endif

using l0sc::Event;

/* libsystemc's main() prints its banner on stderr before calling sc_main unless
 * SC_COPYRIGHT_MESSAGE=DISABLE: set it (unless the user did) before main runs. */
[[maybe_unused]] static const int no_banner = setenv("SC_COPYRIGHT_MESSAGE", "DISABLE", 0);

static const char HELP[] =
    "usage: l0sim-sc [run] --data STREAM.l0s [-o DIR] [options]\n"
    "       l0sim-sc sweep [--mu LIST [--crossings N] | --data STREAM.l0s] [LISTS] [-o DIR]\n"
    "\n"
    "The streaming system of docs/stream.md as a SystemC model: a BX clock and a fabric clock,\n"
    "time-multiplexed nodes, each with its input link, engine FIFOs, dispatchers and engines.\n"
    "An engine's output is the golden model's, at the clock of the latency formula\n"
    "(model/l0_rtl.h): the same clocks as 'l0sim run', cluster by cluster, far faster, and for\n"
    "any --lanes/--reg-every. Reads the stream one crossing at a time. 'l0sim-sc sweep --help'\n"
    "for the sweep.\n"
    "\n"
    "  --data FILE           the stimulus stream (l0sim gen --orbits/--crossings)\n"
    "  -o, --out DIR         write DIR/report.json, DIR/latency.png, DIR/completion.png\n"
    "  --report FILE         the JSON report (also without -o)\n"
    "  --junit FILE          the verdict as JUnit XML for CI: one testcase per check, the numbers\n"
    "                        in each failure message (as l0sim run --junit)\n"
    "  --clusters-csv FILE   the per-cluster table (docs/stream.md)\n"
    "  --no-plots            with -o: skip the PNG plots (no gnuplot needed)\n"
    "  --model FILE          the model (default: %s)\n"
    "  --max-crossings N     stop after N records\n"
    "  --timing-only         no golden-model outputs, only the clocks (about 4x faster: no\n"
    "                        physics response, out_raw -1 in the table)\n"
    "  -q, --quiet           no summary\n"
    "  -h, --help\n"
    "\n"
    "%s"
    "  (l0sim-sc's defaults for --lanes and --reg-every are those of this build's l0sim\n"
    "  engine: %d and %d)\n"
    "\n"
    "exit status: 0 PASS, 1 FAIL (budget, drop, or truncation not allowed), 2 usage or input\n"
    "error.\n";

static const char SWEEP_HELP[] =
    "usage: l0sim-sc sweep [--mu LIST [--crossings N] [--seed S] | --data STREAM.l0s] [LISTS]\n"
    "                      [-o DIR] [options]\n"
    "\n"
    "Runs the SystemC model at every combination of the listed values (comma lists) and writes\n"
    "DIR/sweep.csv (one row per point: the parameters, cluster latency p50/p99/max in ns, the\n"
    "fraction of events within the event budget, late clusters, drops, truncations, verdict)\n"
    "and DIR/sweep.png (p99 latency and that fraction, point by point). The points run timing\n"
    "only (no golden-model outputs: they do not enter the table).\n"
    "\n"
    "  --nodes LIST          e.g. 24,48\n"
    "  --top-k LIST          K\n"
    "  --cells LIST          C\n"
    "  --lanes LIST          L\n"
    "  --clock-mhz LIST      fabric clock\n"
    "  --mu LIST             pile-up: for each, --crossings N bunch slots (from the start of an\n"
    "                        orbit) are generated in memory (default mu 200)\n"
    "  --crossings N         crossings per mu (default 1000)\n"
    "  --seed S              generator seed (default: the generator's)\n"
    "  --data FILE           a stimulus stream instead of generated crossings (no --mu)\n"
    "  -o, --out DIR         default out/sweep\n"
    "  -j, --jobs N          points run in parallel (default: online CPUs)\n"
    "  --model FILE          the model (default: %s)\n"
    "  --no-plots            skip sweep.png\n"
    "  -q, --quiet           no table on stdout\n"
    "  -h, --help\n"
    "Every other option of 'l0sim-sc --help' (--engines, --fifo-depth, --link-cells, budgets,\n"
    "--min-et, ...) takes one value for all points.\n"
    "exit status: 0 the table was written (its verdict column says which points pass),\n"
    "2 usage or input error.\n";

#ifndef L0SC_DEFAULT_LANES
#define L0SC_DEFAULT_LANES 2
#endif
#ifndef L0SC_DEFAULT_REG_EVERY
#define L0SC_DEFAULT_REG_EVERY 3
#endif

static int usage(const char *cmd, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
static int usage(const char *cmd, const char *fmt, ...) {
    va_list ap;
    va_start(ap, fmt);
    fprintf(stderr, "%s: ", cmd);
    vfprintf(stderr, fmt, ap);
    va_end(ap);
    fprintf(stderr, ". See '%s --help'.\n", cmd);
    return L0_EXIT_USAGE;
}

static int error(const char *cmd, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
static int error(const char *cmd, const char *fmt, ...) {
    va_list ap;
    va_start(ap, fmt);
    fprintf(stderr, "%s: ", cmd);
    vfprintf(stderr, fmt, ap);
    va_end(ap);
    fputc('\n', stderr);
    return L0_EXIT_USAGE;
}

static int bad_option(const char *cmd, int c, char **argv) {
    const char *arg = argv[optind - 1];
    if (c == ':') return usage(cmd, "option '%s' needs a value", arg);
    if (optopt && optopt != '?') return usage(cmd, "unknown option '-%c'", optopt);
    return usage(cmd, "unknown option '%s'", arg);
}

/* --- feeds ---------------------------------------------------------------------------------- */

/* A stimulus stream, one record at a time. */
class FileFeed : public l0sc::Feed {
  public:
    ~FileFeed() override {
        if (rd_) l0_stim_reader_close(rd_);
    }
    int open(const char *path, int progress, l0_err *err) {
        rd_ = l0_stim_reader_open(path, err);
        if (!rd_) return -1;
        if (strcmp(l0_stim_reader_kind(rd_), L0_STIM_KIND_STREAM))
            return l0_err_set(err,
                              "%s: a '%s' file; l0sim-sc needs a stream (l0sim gen --orbits or "
                              "--crossings)",
                              path, l0_stim_reader_kind(rd_));
        if (progress) {
            uint64_t size = 0;
            if (FILE *f = fopen(path, "rb")) {
                fseek(f, 0, SEEK_END);
                size = (uint64_t)ftell(f);
                fclose(f);
            }
            l0_progress_start(&pr_, "l0sim-sc: bytes of the stream", size);
            show_ = 1;
        }
        return 0;
    }
    int next(l0_event *ev, l0_err *err) override { return l0_stim_reader_next(rd_, ev, err); }
    void progress() override {
        if (show_) l0_progress_update(&pr_, l0_stim_reader_offset(rd_));
    }
    void end() {
        if (show_) l0_progress_end(&pr_, l0_stim_reader_offset(rd_));
        show_ = 0;
    }

  private:
    l0_stim_reader *rd_ = nullptr;
    l0_progress pr_{};
    int show_ = 0;
};

/* Crossings held in memory (the sweep's generated ones), deep copies. */
struct MemEvents {
    std::vector<l0_event> ev;
    std::vector<std::vector<l0_cluster>> cl;
    std::vector<std::vector<l0_cell>> cells; /* one block per event */

    /* Keep the cells of clusters at or above min_et only (the others are never sent). */
    void add(const l0_event *e, double min_et) {
        size_t nc = 0;
        for (uint32_t i = 0; i < e->n_clusters; i++)
            if (e->clusters[i].et >= min_et) nc += e->clusters[i].n_cells;
        cl.emplace_back(e->clusters, e->clusters + e->n_clusters);
        cells.emplace_back();
        std::vector<l0_cell> &cb = cells.back();
        cb.reserve(nc);
        for (l0_cluster &c : cl.back()) {
            if (c.et >= min_et) {
                size_t at = cb.size();
                cb.insert(cb.end(), c.cells, c.cells + c.n_cells);
                c.cells = cb.data() + at; /* no reallocation: reserved */
            } else {
                c.cells = nullptr;
            }
        }
        l0_event v = *e;
        v.clusters = cl.back().data();
        ev.push_back(v);
    }
};

class MemFeed : public l0sc::Feed {
  public:
    explicit MemFeed(const MemEvents *m) : m_(m) {}
    int next(l0_event *ev, l0_err *) override {
        if (i_ >= m_->ev.size()) return 0;
        *ev = m_->ev[i_++];
        return 1;
    }

  private:
    const MemEvents *m_;
    size_t i_ = 0;
};

/* --- options -------------------------------------------------------------------------------- */
enum {
    O_DATA = 1,
    O_REPORT,
    O_CSV,
    O_NOPLOTS,
    O_MODEL,
    O_MAX,
    O_MU,
    O_CROSSINGS,
    O_SEED,
    O_TIMING,
    O_JUNIT,
};

static std::vector<option> options_with(const std::vector<option> &own) {
    std::vector<option> v = own;
    for (const option *s = l0_stream_long_options(); s->name; s++) v.push_back(*s);
    v.push_back(option{nullptr, 0, nullptr, 0});
    return v;
}

static const char *stream_opt_name(int c) {
    for (const option *s = l0_stream_long_options(); s->name; s++)
        if (s->val == c) return s->name;
    return nullptr;
}

struct Model {
    l0_model m{};
    l0_golden *g = nullptr;
    bool loaded = false;
    ~Model() {
        l0_golden_free(g);
        if (loaded) l0_model_free(&m);
    }
    int load(const char *path, l0_err *err) {
        if (l0_model_load(path, &m, err)) return -1;
        loaded = true;
        if (!(g = l0_golden_create(&m, err))) return l0_err_prefix(err, "%s: ", path);
        return 0;
    }
};

/* --- run ------------------------------------------------------------------------------------ */
static int cmd_run(int argc, char **argv) {
    const char *CMD = "l0sim-sc";
    l0_stream_cfg cfg;
    l0_stream_cfg_default(&cfg);
    cfg.lanes = L0SC_DEFAULT_LANES;
    cfg.reg_every = L0SC_DEFAULT_REG_EVERY;
    const char *data = nullptr, *out = nullptr, *report = nullptr, *csv_path = nullptr;
    const char *junit = nullptr;
    const char *mpath = L0SC_DEFAULT_MODEL;
    int plots = 1, quiet = 0, timing_only = 0;
    int64_t max_crossings = 0;
    std::vector<option> opts = options_with({
        {"data", required_argument, nullptr, O_DATA},
        {"out", required_argument, nullptr, 'o'},
        {"report", required_argument, nullptr, O_REPORT},
        {"clusters-csv", required_argument, nullptr, O_CSV},
        {"no-plots", no_argument, nullptr, O_NOPLOTS},
        {"model", required_argument, nullptr, O_MODEL},
        {"max-crossings", required_argument, nullptr, O_MAX},
        {"timing-only", no_argument, nullptr, O_TIMING},
        {"junit", required_argument, nullptr, O_JUNIT},
        {"quiet", no_argument, nullptr, 'q'},
        {"help", no_argument, nullptr, 'h'},
    });
    optind = 1;
    int c;
    while ((c = getopt_long(argc, argv, ":o:qh", opts.data(), nullptr)) != -1) {
        switch (c) {
        case O_DATA:
            data = optarg;
            break;
        case 'o':
            out = optarg;
            break;
        case O_REPORT:
            report = optarg;
            break;
        case O_CSV:
            csv_path = optarg;
            break;
        case O_NOPLOTS:
            plots = 0;
            break;
        case O_MODEL:
            mpath = optarg;
            break;
        case O_MAX:
            if (l0_parse_i64(optarg, 1, INT64_MAX / 2, &max_crossings))
                return usage(CMD, "--max-crossings: '%s' is not a positive count", optarg);
            break;
        case O_TIMING:
            timing_only = 1;
            break;
        case O_JUNIT:
            junit = optarg;
            break;
        case 'q':
            quiet = 1;
            break;
        case 'h':
            printf(HELP, L0SC_DEFAULT_MODEL, l0_stream_options_help, L0SC_DEFAULT_LANES,
                   L0SC_DEFAULT_REG_EVERY);
            return L0_EXIT_OK;
        default:
            if (const char *name = stream_opt_name(c)) {
                l0_err err;
                if (l0_stream_cfg_option(&cfg, name, optarg, &err) < 0)
                    return usage(CMD, "%s", err.msg);
                break;
            }
            return bad_option(CMD, c, argv);
        }
    }
    if (optind < argc) {
        if (!data && optind == argc - 1)
            data = argv[optind];
        else
            return usage(CMD, "unexpected argument '%s'", argv[optind]);
    }
    if (!data) return usage(CMD, "--data FILE is required");
    l0_err err;
    Model M;
    if (M.load(mpath, &err)) return error(CMD, "%s", err.msg);
    l0_stream_cfg_fit_model(&cfg, &M.m);
    if (l0_stream_cfg_check(&cfg, &M.m, &err)) return usage(CMD, "%s", err.msg);
    if (out && l0_mkdir_p(out, &err)) return error(CMD, "%s", err.msg);

    FileFeed feed;
    if (feed.open(data, 1, &err)) return error(CMD, "%s", err.msg);
    l0_stream_report rep;
    l0_stream_report_init(&rep, "l0sim-sc", &cfg, data, mpath, M.m.name);
    l0_ofile *csv = nullptr;
    if (csv_path && !(csv = l0_stream_csv_open(csv_path, &err))) {
        l0_stream_report_free(&rep);
        return error(CMD, "%s", err.msg);
    }
    l0sc::Setup s;
    s.cfg = cfg;
    s.m = &M.m;
    s.g = timing_only ? nullptr : M.g;
    s.max_records = (uint64_t)max_crossings;
    l0sc::Stats st;
    double t0 = l0_now();
    int rc = l0sc::simulate(
        s, feed, [&](const Event &e) { l0sc::report_event(&rep, csv, e); }, &st, &err);
    double dt = l0_now() - t0;
    feed.end();
    if (rc) {
        l0_ofile_abort(csv);
        l0_stream_report_free(&rep);
        return error(CMD, "%s", err.msg);
    }
    rep.beats = st.beats;
    rep.clocks = st.clocks;
    rep.fifo_peak = st.fifo_peak;
    rc = 0;
    if (csv && l0_ofile_commit(csv, &err)) rc = error(CMD, "%s", err.msg);
    std::string rpath = out ? std::string(out) + "/report.json" : "";
    if (!rc && out && l0_stream_report_write(&rep, rpath.c_str(), &err))
        rc = error(CMD, "%s", err.msg);
    if (!rc && report && l0_stream_report_write(&rep, report, &err)) rc = error(CMD, "%s", err.msg);
    if (!rc && junit && l0_stream_report_junit(&rep, junit, dt, &err))
        rc = error(CMD, "%s", err.msg);
    if (!rc && out && plots && l0_stream_report_plots(&rep, out, &err))
        rc = error(CMD, "%s", err.msg);
    if (!rc) {
        if (!quiet) {
            l0_stream_report_summary(&rep, stdout);
            printf("  %.2f s wall, %llu crossings (%.0f per second), %.1f us simulated", dt,
                   (unsigned long long)st.records, dt > 0 ? (double)st.records / dt : 0.0,
                   st.sim_seconds * 1e6);
            if (out)
                printf("; report %s%s", rpath.c_str(),
                       plots ? ", latency.png, completion.png" : "");
            if (csv_path) printf("; clusters %s", csv_path);
            printf("\n");
        }
        char why[512];
        if (l0_stream_report_pass(&rep, why, sizeof why)) {
            rc = L0_EXIT_OK;
        } else {
            fprintf(stderr, "l0sim-sc: FAIL: %s\n", why);
            rc = L0_EXIT_FAIL;
        }
    }
    l0_stream_report_free(&rep);
    return rc;
}

/* --- sweep ---------------------------------------------------------------------------------- */
struct Point {
    int nodes, top_k, cells, lanes;
    double clock_mhz, mu;
};

/* The stream configuration of one point: base with the point's values. */
static l0_stream_cfg point_cfg(const l0_stream_cfg &base, const Point &p) {
    l0_stream_cfg t = base;
    t.nodes = p.nodes;
    t.top_k = p.top_k;
    t.cells = p.cells;
    t.lanes = p.lanes;
    t.clock_mhz = p.clock_mhz;
    return t;
}

/* What a point's child process sends back. */
struct Result {
    int ok; /* 1: ran; 0: failed (msg) */
    uint64_t crossings, events, sent, late, late_events, dropped, truncated_k, truncated_c;
    double p50, p99, max, ev_p99, frac_ok;
    int pass;
    char msg[L0_ERR_MSG_MAX];
};

static int parse_list_int(const char *name, const char *v, std::vector<int> *out, l0_err *err) {
    out->clear();
    std::string s(v);
    size_t at = 0;
    for (;;) {
        size_t comma = s.find(',', at);
        std::string item =
            s.substr(at, comma == std::string::npos ? std::string::npos : comma - at);
        int64_t x;
        if (l0_parse_i64(item.c_str(), 1, 1 << 24, &x))
            return l0_err_set(err, "--%s: '%s' is not a list of positive integers", name, v);
        out->push_back((int)x);
        if (comma == std::string::npos) break;
        at = comma + 1;
    }
    return 0;
}

static int parse_list_dbl(const char *name, const char *v, std::vector<double> *out, l0_err *err) {
    out->clear();
    std::string s(v);
    size_t at = 0;
    for (;;) {
        size_t comma = s.find(',', at);
        std::string item =
            s.substr(at, comma == std::string::npos ? std::string::npos : comma - at);
        double x;
        if (l0_parse_double(item.c_str(), &x))
            return l0_err_set(err, "--%s: '%s' is not a list of numbers", name, v);
        out->push_back(x);
        if (comma == std::string::npos) break;
        at = comma + 1;
    }
    return 0;
}

/* Runs one point (in a child process: SystemC elaborates once per process). */
static Result run_point(const l0_stream_cfg &cfg, const Model &M, const MemEvents *mem,
                        const char *data) {
    Result r;
    memset(&r, 0, sizeof r);
    l0_err err;
    l0_stream_report rep;
    l0_stream_report_init(&rep, "l0sim-sc", &cfg, data ? data : "", "", M.m.name);
    FileFeed ff;
    MemFeed mf(mem);
    l0sc::Feed *feed = &mf;
    if (data) {
        if (ff.open(data, 0, &err)) {
            snprintf(r.msg, sizeof r.msg, "%s", err.msg);
            l0_stream_report_free(&rep);
            return r;
        }
        feed = &ff;
    }
    l0sc::Setup s;
    s.cfg = cfg;
    s.m = &M.m;
    s.g = nullptr; /* timing only: the table has no outputs */
    l0sc::Stats st;
    if (l0sc::simulate(
            s, *feed, [&](const Event &e) { l0sc::report_event(&rep, nullptr, e); }, &st, &err)) {
        snprintf(r.msg, sizeof r.msg, "%s", err.msg);
        l0_stream_report_free(&rep);
        return r;
    }
    r.ok = 1;
    r.crossings = rep.crossings;
    r.events = rep.events;
    r.sent = rep.sent;
    r.late = rep.late;
    r.late_events = rep.late_events;
    r.dropped = rep.dropped;
    r.truncated_k = rep.truncated_k;
    r.truncated_c = rep.truncated_c;
    r.p50 = l0_hist_pct(&rep.lat, 0.5) / 1000.0;
    r.p99 = l0_hist_pct(&rep.lat, 0.99) / 1000.0;
    r.max = l0_hist_pct(&rep.lat, 1.0) / 1000.0;
    r.ev_p99 = l0_hist_pct(&rep.evt, 0.99) / 1000.0;
    r.frac_ok = rep.events ? (double)(rep.events - rep.late_events) / (double)rep.events : 1.0;
    r.pass = l0_stream_report_pass(&rep, r.msg, sizeof r.msg);
    l0_stream_report_free(&rep);
    return r;
}

struct Child {
    pid_t pid;
    int fd;
    size_t point;
};

static int read_all(int fd, void *buf, size_t n) {
    char *p = (char *)buf;
    while (n) {
        ssize_t got = read(fd, p, n);
        if (got < 0 && errno == EINTR) continue;
        if (got <= 0) return -1;
        p += got;
        n -= (size_t)got;
    }
    return 0;
}

static int generate(l0_gen *gen, double mu, uint64_t n, double min_et, MemEvents *mem,
                    l0_err *err) {
    if (l0_gen_set_mu(gen, mu, err)) return -1;
    l0_gen_pool *pool = l0_gen_pool_create(gen, l0_gen_ncpu());
    if (!pool) return l0_err_set(err, "cannot start the generator's threads");
    std::vector<l0_gen_out> outs(n);
    for (l0_gen_out &o : outs) memset(&o, 0, sizeof o);
    struct Ctx {
        const l0_gen *g;
        l0_gen_out *outs;
    } ctx = {gen, outs.data()};
    int rc = l0_gen_pool_run(
        pool, n,
        [](void *c, l0_gen_work *w, size_t i) -> int {
            Ctx *x = (Ctx *)c;
            return l0_gen_crossing(x->g, w, (uint32_t)(i / L0_BX_SLOTS),
                                   (uint16_t)(i % L0_BX_SLOTS), &x->outs[i]);
        },
        &ctx);
    l0_gen_pool_destroy(pool);
    if (!rc)
        for (l0_gen_out &o : outs) mem->add(&o.ev, min_et);
    for (l0_gen_out &o : outs) l0_gen_out_free(&o);
    if (rc) return l0_err_set(err, "crossing generation failed (out of memory)");
    return 0;
}

static int cmd_sweep(int argc, char **argv) {
    const char *CMD = "l0sim-sc sweep";
    l0_stream_cfg base;
    l0_stream_cfg_default(&base);
    base.lanes = L0SC_DEFAULT_LANES;
    base.reg_every = L0SC_DEFAULT_REG_EVERY;
    std::vector<int> nodes, topk, cells, lanes;
    std::vector<double> clocks, mus;
    const char *data = nullptr, *out = "out/sweep", *mpath = L0SC_DEFAULT_MODEL;
    int64_t crossings = 1000, jobs = l0_gen_ncpu();
    uint64_t seed = 0;
    int have_seed = 0, plots = 1, quiet = 0;
    std::vector<option> opts = options_with({
        {"data", required_argument, nullptr, O_DATA},
        {"out", required_argument, nullptr, 'o'},
        {"jobs", required_argument, nullptr, 'j'},
        {"no-plots", no_argument, nullptr, O_NOPLOTS},
        {"model", required_argument, nullptr, O_MODEL},
        {"mu", required_argument, nullptr, O_MU},
        {"crossings", required_argument, nullptr, O_CROSSINGS},
        {"seed", required_argument, nullptr, O_SEED},
        {"quiet", no_argument, nullptr, 'q'},
        {"help", no_argument, nullptr, 'h'},
    });
    optind = 1;
    int c;
    l0_err err;
    while ((c = getopt_long(argc, argv, ":o:j:qh", opts.data(), nullptr)) != -1) {
        switch (c) {
        case O_DATA:
            data = optarg;
            break;
        case 'o':
            out = optarg;
            break;
        case 'j':
            if (l0_parse_i64(optarg, 1, 64, &jobs))
                return usage(CMD, "--jobs: '%s' is not 1..64", optarg);
            break;
        case O_NOPLOTS:
            plots = 0;
            break;
        case O_MODEL:
            mpath = optarg;
            break;
        case O_MU:
            if (parse_list_dbl("mu", optarg, &mus, &err)) return usage(CMD, "%s", err.msg);
            break;
        case O_CROSSINGS:
            if (l0_parse_i64(optarg, 1, 100 * L0_BX_SLOTS, &crossings))
                return usage(CMD, "--crossings: '%s' is not 1..%d", optarg, 100 * L0_BX_SLOTS);
            break;
        case O_SEED:
            if (l0_parse_u64(optarg, &seed))
                return usage(CMD, "--seed: '%s' is not a seed", optarg);
            have_seed = 1;
            break;
        case 'q':
            quiet = 1;
            break;
        case 'h':
            printf(SWEEP_HELP, L0SC_DEFAULT_MODEL);
            return L0_EXIT_OK;
        default:
            if (const char *name = stream_opt_name(c)) {
                std::vector<int> *li = !strcmp(name, "nodes")   ? &nodes
                                       : !strcmp(name, "top-k") ? &topk
                                       : !strcmp(name, "cells") ? &cells
                                       : !strcmp(name, "lanes") ? &lanes
                                                                : nullptr;
                if (li || !strcmp(name, "clock-mhz")) {
                    if (li ? parse_list_int(name, optarg, li, &err)
                           : parse_list_dbl(name, optarg, &clocks, &err))
                        return usage(CMD, "%s", err.msg);
                    /* each value must be acceptable on its own */
                    l0_stream_cfg t = base;
                    std::string one;
                    size_t n = li ? li->size() : clocks.size();
                    for (size_t i = 0; i < n; i++) {
                        char b[64];
                        if (li)
                            snprintf(b, sizeof b, "%d", (*li)[i]);
                        else
                            snprintf(b, sizeof b, "%.17g", clocks[i]);
                        if (l0_stream_cfg_option(&t, name, b, &err) < 0)
                            return usage(CMD, "%s", err.msg);
                    }
                    break;
                }
                if (l0_stream_cfg_option(&base, name, optarg, &err) < 0)
                    return usage(CMD, "%s", err.msg);
                break;
            }
            return bad_option(CMD, c, argv);
        }
    }
    if (optind < argc) return usage(CMD, "unexpected argument '%s'", argv[optind]);
    if (data && !mus.empty()) return usage(CMD, "--mu generates crossings: not with --data");
    if (data && have_seed) return usage(CMD, "--seed is for generated crossings, not --data");
    if (!data && mus.empty()) mus.push_back(200);
    Model M;
    if (M.load(mpath, &err)) return error(CMD, "%s", err.msg);
    l0_stream_cfg_fit_model(&base, &M.m);
    if (nodes.empty()) nodes.push_back(base.nodes);
    if (topk.empty()) topk.push_back(base.top_k);
    if (cells.empty()) cells.push_back(base.cells);
    if (lanes.empty()) lanes.push_back(base.lanes);
    if (clocks.empty()) clocks.push_back(base.clock_mhz);
    std::vector<double> mu_axis = data ? std::vector<double>{NAN} : mus;
    std::vector<Point> pts;
    for (double mu : mu_axis)
        for (int n : nodes)
            for (int k : topk)
                for (int cc : cells)
                    for (int l : lanes)
                        for (double f : clocks) pts.push_back(Point{n, k, cc, l, f, mu});
    for (const Point &p : pts) {
        l0_stream_cfg t = point_cfg(base, p);
        if (l0_stream_cfg_check(&t, &M.m, &err)) return usage(CMD, "%s", err.msg);
    }
    if (data) { /* check the file once, before forking */
        FileFeed f;
        if (f.open(data, 0, &err)) return error(CMD, "%s", err.msg);
    }
    if (l0_mkdir_p(out, &err)) return error(CMD, "%s", err.msg);

    l0_gen *gen = nullptr;
    if (!data) {
        l0_gen_config gc;
        l0_gen_config_default(&gc);
        if (have_seed) gc.seed = seed;
        gc.mu = mus[0];
        gc.threads = l0_gen_ncpu();
        if (!(gen = l0_gen_create(&gc, &err))) return error(CMD, "%s", err.msg);
    }
    std::vector<Result> res(pts.size());
    l0_progress pr;
    l0_progress_start(&pr, "l0sim-sc sweep: points", pts.size());
    size_t done = 0;
    double t0 = l0_now();
    /* points of one mu share its crossings (generated once, inherited by the children) */
    for (size_t m0 = 0; m0 < pts.size();) {
        size_t m1 = m0;
        while (m1 < pts.size() && (std::isnan(pts[m0].mu) || pts[m1].mu == pts[m0].mu)) m1++;
        MemEvents mem;
        if (gen && generate(gen, pts[m0].mu, (uint64_t)crossings, base.min_et, &mem, &err)) {
            l0_gen_destroy(gen);
            return error(CMD, "mu %g: %s", pts[m0].mu, err.msg);
        }
        std::vector<Child> run;
        size_t next = m0;
        while (next < m1 || !run.empty()) {
            while (next < m1 && (int64_t)run.size() < jobs) {
                int fd[2];
                if (pipe(fd)) {
                    l0_gen_destroy(gen);
                    return error(CMD, "pipe: %s", strerror(errno));
                }
                fflush(stdout);
                fflush(stderr);
                pid_t pid = fork();
                if (pid < 0) {
                    l0_gen_destroy(gen);
                    return error(CMD, "fork: %s", strerror(errno));
                }
                const Point &p = pts[next];
                if (pid == 0) {
                    close(fd[0]);
                    Result r = run_point(point_cfg(base, p), M, &mem, data);
                    ssize_t w = write(fd[1], &r, sizeof r);
                    _exit(w == (ssize_t)sizeof r ? 0 : 3);
                }
                close(fd[1]);
                run.push_back(Child{pid, fd[0], next});
                next++;
            }
            /* collect the oldest child */
            Child ch = run.front();
            run.erase(run.begin());
            Result r;
            memset(&r, 0, sizeof r);
            if (read_all(ch.fd, &r, sizeof r)) {
                r.ok = 0;
                snprintf(r.msg, sizeof r.msg, "the point's process died");
            }
            close(ch.fd);
            int status;
            waitpid(ch.pid, &status, 0);
            res[ch.point] = r;
            l0_progress_update(&pr, ++done);
        }
        m0 = m1;
    }
    l0_progress_end(&pr, done);
    l0_gen_destroy(gen);
    double dt = l0_now() - t0;
    for (size_t i = 0; i < pts.size(); i++)
        if (!res[i].ok) return error(CMD, "point %zu: %s", i + 1, res[i].msg);

    /* the table */
    std::string csv = std::string(out) + "/sweep.csv", dat = std::string(out) + "/sweep.dat";
    l0_ofile *f = l0_ofile_open(csv.c_str(), &err);
    if (!f) return error(CMD, "%s", err.msg);
    FILE *fp = l0_ofile_fp(f);
    fprintf(fp, "nodes,top_k,cells,lanes,clock_mhz,mu,crossings,events,clusters,p50_ns,p99_ns,"
                "max_ns,event_p99_ns,event_budget_ns,frac_events_in_budget,late_clusters,"
                "late_events,dropped,truncated_k,truncated_c,verdict\n");
    for (size_t i = 0; i < pts.size(); i++) {
        const Point &p = pts[i];
        const Result &r = res[i];
        l0_stream_cfg t = base;
        t.nodes = p.nodes;
        char mu[32] = "";
        if (!std::isnan(p.mu)) snprintf(mu, sizeof mu, "%g", p.mu);
        fprintf(fp,
                "%d,%d,%d,%d,%.10g,%s,%llu,%llu,%llu,%.3f,%.3f,%.3f,%.3f,%.3f,%.6f,%llu,%llu,%llu,"
                "%llu,%llu,%s\n",
                p.nodes, p.top_k, p.cells, p.lanes, p.clock_mhz, mu,
                (unsigned long long)r.crossings, (unsigned long long)r.events,
                (unsigned long long)r.sent, r.p50, r.p99, r.max, r.ev_p99,
                l0_stream_event_budget_ns(&t), r.frac_ok, (unsigned long long)r.late,
                (unsigned long long)r.late_events, (unsigned long long)r.dropped,
                (unsigned long long)r.truncated_k, (unsigned long long)r.truncated_c,
                r.pass ? "PASS" : "FAIL");
    }
    if (l0_ofile_commit(f, &err)) return error(CMD, "%s", err.msg);
    if (!quiet) {
        printf("%-5s %-5s %-4s %-3s %-9s %-5s %9s %9s %9s %9s %7s %7s  %s\n", "nodes", "K", "C",
               "L", "clk MHz", "mu", "p50 ns", "p99 ns", "max ns", "ev in bud", "drops", "trunc",
               "verdict");
        for (size_t i = 0; i < pts.size(); i++) {
            const Point &p = pts[i];
            const Result &r = res[i];
            char mu[32] = "-";
            if (!std::isnan(p.mu)) snprintf(mu, sizeof mu, "%g", p.mu);
            printf("%-5d %-5d %-4d %-3d %-9.3f %-5s %9.1f %9.1f %9.1f %8.2f%% %7llu %7llu  %s\n",
                   p.nodes, p.top_k, p.cells, p.lanes, p.clock_mhz, mu, r.p50, r.p99, r.max,
                   100.0 * r.frac_ok, (unsigned long long)r.dropped,
                   (unsigned long long)(r.truncated_k + r.truncated_c), r.pass ? "PASS" : "FAIL");
        }
        printf("%zu points in %.1f s; table %s%s\n", pts.size(), dt, csv.c_str(),
               plots ? std::string(", plot " + std::string(out) + "/sweep.png").c_str() : "");
    }
    if (plots) {
        l0_stream_cfg def;
        l0_stream_cfg_default(&def);
        l0_ofile *d = l0_ofile_open(dat.c_str(), &err);
        if (!d) return error(CMD, "%s", err.msg);
        for (size_t i = 0; i < pts.size(); i++) {
            const Point &p = pts[i];
            std::string lab = "N" + std::to_string(p.nodes) + " K" + std::to_string(p.top_k) +
                              " C" + std::to_string(p.cells) + " L" + std::to_string(p.lanes);
            char b[96];
            if (clocks.size() > 1 || p.clock_mhz != def.clock_mhz) {
                snprintf(b, sizeof b, " %gMHz", p.clock_mhz);
                lab += b;
            }
            if (!std::isnan(p.mu)) {
                snprintf(b, sizeof b, " mu%g", p.mu);
                lab += b;
            }
            fprintf(l0_ofile_fp(d), "%zu \"%s\" %.3f %.6f\n", i, lab.c_str(), res[i].p99,
                    100.0 * res[i].frac_ok);
        }
        if (l0_ofile_commit(d, &err)) return error(CMD, "%s", err.msg);
        double ymax = base.budget_cluster_ns;
        for (const Result &r : res) ymax = std::max(ymax, r.p99);
        ymax *= 1.1;
        char script[4096];
        snprintf(script, sizeof script,
                 "set title 'l0sim-sc sweep (%s): p99 cluster latency and events within the "
                 "event budget' noenhanced\n"
                 "set xtics rotate by -40 left noenhanced font ',8'\n"
                 "set xrange [-0.5:%zu.5]\n"
                 "set ylabel 'p99 cluster latency [ns]'\nset yrange [0:%g]\n"
                 "set y2label 'events within the event budget [%%]'\nset y2range [0:105]\n"
                 "set y2tics\nset ytics nomirror\nset grid\nset key outside top center horizontal\n"
                 "set bmargin 10\nset rmargin 12\n"
                 "set arrow from graph 0, first %g to graph 1, first %g nohead lc rgb 'red' "
                 "dt 2\n"
                 "plot '%s' using 1:3:xtic(2) with linespoints pt 7 lc rgb '#3060a0' title "
                 "'p99 latency (budget %g ns: dashed)', '' using 1:4 axes x1y2 with "
                 "linespoints pt 5 lc rgb '#c06000' title 'events in budget (%%)'\n",
                 M.m.name, pts.size() - 1, ymax, base.budget_cluster_ns, base.budget_cluster_ns,
                 dat.c_str(), base.budget_cluster_ns);
        std::string png = std::string(out) + "/sweep.png";
        int w = 300 + 40 * (int)pts.size();
        if (l0_plot_png(png.c_str(), w < 900 ? 900 : (w > 3000 ? 3000 : w), 600, script, &err))
            return error(CMD, "%s", err.msg);
    }
    return L0_EXIT_OK;
}

extern "C" int sc_main(int argc, char **argv) {
    if (argc >= 2 && !strcmp(argv[1], "sweep")) return cmd_sweep(argc - 1, argv + 1);
    if (argc >= 2 && !strcmp(argv[1], "run")) return cmd_run(argc - 1, argv + 1);
    return cmd_run(argc, argv);
}
