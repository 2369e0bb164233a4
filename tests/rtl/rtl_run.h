/* rtl_run: run a vector set through the verilated engine this executable links. */
#ifndef RTL_RUN_H
#define RTL_RUN_H

#include "rtl_vectors.h"

/* Reset the engine, drive every clock of s, collect up to cap outputs. Returns how many. */
size_t rtlv_run_verilator(l0_rtl_engine *e, const rtlv_set *s, rtlv_out *out, size_t cap);

#endif
