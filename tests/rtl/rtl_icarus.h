/* rtl_icarus: run a vector set through the engine under Icarus Verilog (iverilog + vvp), for the
 * cross-check test and the RTL benchmark. */
#ifndef RTL_ICARUS_H
#define RTL_ICARUS_H

#include "rtl_vectors.h"

/* Compile the engine (rtl_dir: rtl/, gen_dir: the model's generated Verilog) with a bench that
 * replays s, run it, read its outputs into out (at most cap). Work files go into a temporary
 * directory, removed unless keep. Returns the number of outputs, or -1 with err. *seconds gets
 * the time vvp took (simulation only). */
long rtlv_run_icarus(const rtlv_set *s, const l0_rtl_engine_info *info, const char *rtl_dir,
                     const char *gen_dir, const char *iverilog, const char *vvp, rtlv_out *out,
                     size_t cap, double *seconds, l0_err *err);

#endif
