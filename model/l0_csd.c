#include "l0_csd.h"

#include <stddef.h>

int l0_csd(int64_t v, int *pos, int *sign) {
    /* Non-adjacent form, from the least significant bit: an odd remainder r takes the digit
     * 2 - (r mod 4), i.e. +1 when r = 1 (mod 4) and -1 when r = 3 (mod 4). The remainder is a
     * magnitude in unsigned arithmetic (at most 2^63, for INT64_MIN), so r + 1 cannot overflow. */
    int neg = v < 0, n = 0;
    uint64_t r = neg ? (uint64_t)0 - (uint64_t)v : (uint64_t)v;
    for (int k = 0; r; k++, r >>= 1) {
        if (!(r & 1)) continue;
        int d = (r & 2) ? -1 : 1;
        if (pos) pos[n] = k;
        if (sign) sign[n] = neg ? -d : d;
        n++;
        r = d < 0 ? r + 1 : r - 1;
    }
    return n;
}

int l0_csd_digits(int64_t v) {
    return l0_csd(v, NULL, NULL);
}
