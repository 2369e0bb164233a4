/* l0_rtl_engine: the verilated DeepSets engine (rtl/l0_engine.v) behind a C API.
 *
 * Each build verilates the engine for one model (the build runs `l0sim export-rtl` on it), so
 * one executable links one engine library; l0_rtl_engine_info() says which model and shape it
 * was built for, and drivers check that against the model they load.
 *
 * Timing: l0_rtl_engine_drive() sets the inputs for the next rising edge; l0_rtl_engine_clock()
 * makes that edge (and the falling one); after it, l0_rtl_engine_output() shows what the
 * engine's registered outputs hold. The cycle counter counts rising edges since create. */
#ifndef L0_RTL_ENGINE_H
#define L0_RTL_ENGINE_H

#include <stdint.h>

#include "l0_err.h"
#include "l0_rtl.h"

#ifdef __cplusplus
extern "C" {
#endif

#define L0_RTL_LANES_MAX L0_RTL_LANES_LIMIT
#define L0_RTL_FEAT_MAX 8

typedef struct l0_rtl_engine_info {
    const char *model_path; /* the model file the engine was built from */
    int lanes, n_feat, xw, tag_w, ow, o_signed, depth, cells_max, reg_every;
    unsigned long long hash; /* l0_rtl_hash() of the model and configuration built */
    int arch;                /* L0_RTL_ARCH_MULT or L0_RTL_ARCH_CMVM */
} l0_rtl_engine_info;

/* One beat: up to `lanes` cells of one cluster. */
typedef struct l0_rtl_beat {
    int valid, first, last;
    uint64_t lane_valid;                              /* bit l: lane l holds a real cell */
    int64_t feat[L0_RTL_LANES_MAX * L0_RTL_FEAT_MAX]; /* input_t raws, lane-major */
    uint32_t tag;
} l0_rtl_beat;

typedef struct l0_rtl_engine l0_rtl_engine;

const l0_rtl_engine_info *l0_rtl_engine_info_get(void);

/* The configuration the engine was built with (not prepared: see l0_rtl_prepare). */
static inline void l0_rtl_cfg_of_engine(const l0_rtl_engine_info *info, l0_rtl_cfg *c) {
    l0_rtl_cfg_default(c);
    c->lanes = info->lanes;
    c->reg_every = info->reg_every;
    c->tag_w = info->tag_w;
    c->arch = info->arch;
}

l0_rtl_engine *l0_rtl_engine_create(l0_err *err);
void l0_rtl_engine_destroy(l0_rtl_engine *e);

/* Hold reset for two clocks, inputs idle. */
void l0_rtl_engine_reset(l0_rtl_engine *e);
/* Inputs for the next rising edge (NULL: idle, valid = 0). */
void l0_rtl_engine_drive(l0_rtl_engine *e, const l0_rtl_beat *b);
/* One clock: rising and falling edge; dumps waves while a trace window is open. */
void l0_rtl_engine_clock(l0_rtl_engine *e);
/* Whether the output is valid after the last clock; if so, its tag and energy raw (of the
 * output type, sign-extended when signed). */
int l0_rtl_engine_output(const l0_rtl_engine *e, uint32_t *tag, int64_t *energy_raw);
/* Rising edges since create. */
uint64_t l0_rtl_engine_cycle(const l0_rtl_engine *e);

/* Waves: open an FST file and dump the clocks in [from, to) (cycle numbers as above); dumping
 * stops by itself after `to`. Returns 0 or -1 with err (for example when the engine was built
 * without tracing). */
int l0_rtl_engine_trace(l0_rtl_engine *e, const char *fst_path, uint64_t from, uint64_t to,
                        l0_err *err);
/* Close the trace file (also done by destroy). */
void l0_rtl_engine_trace_close(l0_rtl_engine *e);

#ifdef __cplusplus
}
#endif

#endif
