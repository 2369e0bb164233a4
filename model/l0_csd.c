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

int64_t l0_csd_truncate(int64_t v, int d) {
    int pos[L0_CSD_MAX], sign[L0_CSD_MAX];
    int n = l0_csd(v, pos, sign);
    if (d >= n) return v;
    uint64_t r = 0; /* modular: the kept digits' sum fits int64 whenever v does */
    for (int k = n - (d > 0 ? d : 0); k < n; k++)
        r = sign[k] > 0 ? r + ((uint64_t)1 << pos[k]) : r - ((uint64_t)1 << pos[k]);
    return (int64_t)r;
}

int l0_csd_digits(int64_t v) {
    return l0_csd(v, NULL, NULL);
}
