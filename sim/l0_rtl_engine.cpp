// The thin C++ layer over the verilated engine: a VerilatedContext, the model, an FST tracer on
// request. Everything else in l0sim is C and sees only l0_rtl_engine.h.
#include "l0_rtl_engine.h"

#include <cstdio>
#include <cstring>
#include <new>

#include "Vl0_engine.h"
#include "l0_engine_cfg.h"
#include "verilated.h"
#if VM_TRACE_FST
#include "verilated_fst_c.h"
#else
// Built without waves: a stand-in type so the handle keeps one shape; trace() says why.
struct VerilatedFstC {
    void close() {}
    void dump(uint64_t) {}
};
#endif

namespace {
// Wave time: the default fabric clock, 240.474 MHz (6 clocks per bunch crossing), 4158 ps.
constexpr uint64_t L0_RTL_HALF_PERIOD_PS = 2079;

template <typename T> void put_bits(T &port, int lo, int n, uint64_t v) {
    const T mask = (T)(n >= 64 ? ~0ULL : ((1ULL << n) - 1));
    port = (T)((port & ~(T)(mask << lo)) | (T)(((T)v & mask) << lo));
}
template <std::size_t N> void put_bits(VlWide<N> &port, int lo, int n, uint64_t v) {
    for (int b = 0; b < n; b++) {
        int at = lo + b;
        uint32_t bit = (uint32_t)((v >> b) & 1u);
        port[at / 32] = (port[at / 32] & ~(1u << (at % 32))) | (bit << (at % 32));
    }
}
const l0_rtl_engine_info INFO = {L0_ENGINE_MODEL_PATH, L0_ENGINE_LANES, L0_ENGINE_NFEAT,
                                 L0_ENGINE_XW,         L0_ENGINE_TAGW,  L0_ENGINE_OW,
                                 L0_ENGINE_OSIGNED,    L0_ENGINE_DEPTH, L0_ENGINE_CELLS_MAX,
                                 L0_ENGINE_REG_EVERY,  L0_ENGINE_HASH,  L0_ENGINE_ARCH};
} // namespace

struct l0_rtl_engine {
    VerilatedContext ctx;
    Vl0_engine *top = nullptr;
    VerilatedFstC *fst = nullptr;
    uint64_t cycle = 0, trace_from = 0, trace_to = 0;
    uint64_t time = 0;
};

extern "C" {

const l0_rtl_engine_info *l0_rtl_engine_info_get(void) {
    return &INFO;
}

l0_rtl_engine *l0_rtl_engine_create(l0_err *err) {
    l0_rtl_engine *e = new (std::nothrow) l0_rtl_engine;
    if (!e) {
        l0_err_set(err, "out of memory");
        return nullptr;
    }
    e->ctx.traceEverOn(true);
    e->top = new Vl0_engine{&e->ctx, "l0_engine"};
    e->top->clk_i = 0;
    e->top->rst_ni = 1;
    l0_rtl_engine_drive(e, nullptr);
    e->top->eval();
    return e;
}

void l0_rtl_engine_destroy(l0_rtl_engine *e) {
    if (!e) return;
    l0_rtl_engine_trace_close(e);
    e->top->final();
    delete e->top;
    delete e;
}

void l0_rtl_engine_drive(l0_rtl_engine *e, const l0_rtl_beat *b) {
    Vl0_engine *t = e->top;
    if (!b) {
        t->valid_i = 0;
        t->first_i = 0;
        t->last_i = 0;
        t->lane_valid_i = 0;
        return;
    }
    t->valid_i = b->valid ? 1 : 0;
    t->first_i = b->first ? 1 : 0;
    t->last_i = b->last ? 1 : 0;
    t->lane_valid_i = b->lane_valid &
                      (L0_ENGINE_LANES >= 64 ? ~UINT64_C(0) : (UINT64_C(1) << L0_ENGINE_LANES) - 1);
    t->tag_i = b->tag & (uint32_t)((1ULL << L0_ENGINE_TAGW) - 1);
    for (int l = 0; l < L0_ENGINE_LANES; l++)
        for (int f = 0; f < L0_ENGINE_NFEAT; f++)
            put_bits(t->cells_i, (l * L0_ENGINE_NFEAT + f) * L0_ENGINE_XW, L0_ENGINE_XW,
                     (uint64_t)b->feat[l * L0_ENGINE_NFEAT + f]);
}

void l0_rtl_engine_clock(l0_rtl_engine *e) {
    bool dump = e->fst && e->cycle >= e->trace_from && e->cycle < e->trace_to;
    e->top->clk_i = 1;
    e->top->eval();
    e->time += L0_RTL_HALF_PERIOD_PS;
    if (dump) e->fst->dump(e->time);
    e->top->clk_i = 0;
    e->top->eval();
    e->time += L0_RTL_HALF_PERIOD_PS;
    if (dump) e->fst->dump(e->time);
    e->cycle++;
    if (e->fst && e->cycle >= e->trace_to) l0_rtl_engine_trace_close(e);
}

void l0_rtl_engine_reset(l0_rtl_engine *e) {
    l0_rtl_engine_drive(e, nullptr);
    e->top->rst_ni = 0;
    l0_rtl_engine_clock(e);
    l0_rtl_engine_clock(e);
    e->top->rst_ni = 1;
    e->top->eval();
}

int l0_rtl_engine_output(const l0_rtl_engine *e, uint32_t *tag, int64_t *energy_raw) {
    if (!e->top->valid_o) return 0;
    if (tag) *tag = (uint32_t)e->top->tag_o;
    if (energy_raw) {
        uint64_t u = (uint64_t)e->top->energy_o;
        const int w = L0_ENGINE_OW;
        if (w < 64) {
            u &= (1ULL << w) - 1;
            if (L0_ENGINE_OSIGNED && ((u >> (w - 1)) & 1)) u |= ~((1ULL << w) - 1);
        }
        *energy_raw = (int64_t)u;
    }
    return 1;
}

uint64_t l0_rtl_engine_cycle(const l0_rtl_engine *e) {
    return e->cycle;
}

int l0_rtl_engine_trace(l0_rtl_engine *e, const char *fst_path, uint64_t from, uint64_t to,
                        l0_err *err) {
#if VM_TRACE_FST
    l0_rtl_engine_trace_close(e);
    e->fst = new (std::nothrow) VerilatedFstC;
    if (!e->fst) return l0_err_set(err, "out of memory");
    e->top->trace(e->fst, 99);
    e->fst->open(fst_path);
    if (!e->fst->isOpen()) {
        delete e->fst;
        e->fst = nullptr;
        return l0_err_set(err, "%s: cannot open the wave file", fst_path);
    }
    e->trace_from = from;
    e->trace_to = to;
    return 0;
#else
    (void)e;
    (void)from;
    (void)to;
    return l0_err_set(err, "%s: this engine was built without waves (l0_engine_library TRACE)",
                      fst_path);
#endif
}

void l0_rtl_engine_trace_close(l0_rtl_engine *e) {
    if (!e->fst) return;
    e->fst->close();
    delete e->fst;
    e->fst = nullptr;
}

} // extern "C"
