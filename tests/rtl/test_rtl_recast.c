/* test_rtl_recast: rtl/l0_recast.v against the C golden casts (model/l0_fx), bit for bit, for
 * every row of recast_cases.h and every raw value of its input type. */
#include <stdint.h>
#include <stdio.h>

#include "l0_fx.h"
#include "recast_cases.h"

void *rc_create(void);
void rc_destroy(void *p);
void rc_eval(void *p, uint32_t in);
uint32_t rc_out(void *p, int k);
int rc_ovf(void *p, int k);

int main(void) {
    void *top = rc_create();
    uint64_t checked = 0, bad = 0;
    l0_fx_type from[RECAST_NCASES], to[RECAST_NCASES];
    for (size_t k = 0; k < RECAST_NCASES; k++) {
        l0_err err;
        if (l0_fx_parse(RECAST_CASES[k][0], &from[k], &err) ||
            l0_fx_parse(RECAST_CASES[k][1], &to[k], &err)) {
            fprintf(stderr, "test_rtl_recast: case %zu: %s\n", k, err.msg);
            return 1;
        }
    }
    for (uint32_t in = 0; in < (1u << 16); in++) {
        rc_eval(top, in);
        for (size_t k = 0; k < RECAST_NCASES; k++) {
            const l0_fx_type *a = &from[k], *b = &to[k];
            if (in >> a->w) continue; /* each input pattern once per case */
            /* the stored raw of the input pattern: sign-extend for signed types */
            int64_t raw = (int64_t)in;
            if (a->is_signed && ((in >> (a->w - 1)) & 1)) raw -= (int64_t)1 << a->w;
            int ovf;
            int64_t want = l0_fx_cast(a, raw, b, &ovf);
            uint32_t want_bits = (uint32_t)((uint64_t)want & ((1ULL << b->w) - 1));
            uint32_t got = rc_out(top, (int)k);
            int got_ovf = rc_ovf(top, (int)k);
            checked++;
            if (got != want_bits || got_ovf != ovf) {
                if (bad++ < 10)
                    fprintf(stderr,
                            "MISMATCH %s -> %s: input raw %lld: RTL bits 0x%x ovf %d, golden "
                            "bits 0x%x ovf %d\n",
                            RECAST_CASES[k][0], RECAST_CASES[k][1], (long long)raw, got, got_ovf,
                            want_bits, ovf);
            }
        }
    }
    rc_destroy(top);
    printf("test_rtl_recast: %zu casts (every input raw of %zu type pairs): %llu mismatches\n",
           (size_t)checked, (size_t)RECAST_NCASES, (unsigned long long)bad);
    return bad ? 1 : 0;
}
