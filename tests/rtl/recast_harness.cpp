// Thin C API over the verilated tb_recast_top, for the C test test_rtl_recast.c.
#include <cstdint>

#include "Vtb_recast_top.h"
#include "verilated.h"

namespace {
inline uint32_t bits_of(uint64_t v, int lo, int n) {
    return (uint32_t)((v >> lo) & ((1ULL << n) - 1));
}
template <std::size_t N> inline uint32_t bits_of(const VlWide<N> &v, int lo, int n) {
    // Slots never straddle 32-bit words here (n <= 16 at 16-bit offsets, or single bits).
    return (v[lo / 32] >> (lo % 32)) & (uint32_t)((1ULL << n) - 1);
}
} // namespace

extern "C" {
struct rc_top {
    VerilatedContext ctx;
    Vtb_recast_top *top;
};

void *rc_create(void) {
    rc_top *t = new rc_top;
    t->top = new Vtb_recast_top{&t->ctx};
    return t;
}
void rc_destroy(void *p) {
    rc_top *t = static_cast<rc_top *>(p);
    t->top->final();
    delete t->top;
    delete t;
}
void rc_eval(void *p, uint32_t in) {
    rc_top *t = static_cast<rc_top *>(p);
    t->top->in_i = in & 0xffff;
    t->top->eval();
}
uint32_t rc_out(void *p, int k) {
    return bits_of(static_cast<rc_top *>(p)->top->out_o, 16 * k, 16);
}
int rc_ovf(void *p, int k) {
    return (int)bits_of(static_cast<rc_top *>(p)->top->ovf_o, k, 1);
}
}
