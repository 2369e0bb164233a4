#include "rtl_run.h"

#include <stdlib.h>

size_t rtlv_run_verilator(l0_rtl_engine *e, const rtlv_set *s, rtlv_out *out, size_t cap) {
    size_t n = 0;
    l0_rtl_engine_reset(e);
    uint64_t base = l0_rtl_engine_cycle(e);
    for (size_t c = 0; c < s->n_clocks; c++) {
        const l0_rtl_beat *b = &s->beats[c];
        l0_rtl_engine_drive(e, b->valid ? b : NULL);
        l0_rtl_engine_clock(e);
        uint32_t tag;
        int64_t raw;
        if (l0_rtl_engine_output(e, &tag, &raw) && n < cap)
            out[n++] = (rtlv_out){l0_rtl_engine_cycle(e) - base, tag, raw};
    }
    return n;
}
