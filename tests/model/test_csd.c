/* l0_csd: every digit string rebuilds its value exactly and is non-adjacent (which makes it THE
 * canonical signed-digit form, since that form is unique), on every value in [-2^17, 2^17], the
 * int64 extremes, and a million random 64-bit values; digit counts against known values. */
#include <stdio.h>
#include <stdlib.h>

#include "l0_csd.h"
#include "l0_rng.h"

static int failures;

static void check(int64_t v) {
    int pos[L0_CSD_MAX], sign[L0_CSD_MAX];
    int n = l0_csd(v, pos, sign);
    __int128 sum = 0;
    for (int k = 0; k < n; k++) {
        if (sign[k] != 1 && sign[k] != -1) failures++;
        if (k > 0 && pos[k] < pos[k - 1] + 2) { /* ascending and non-adjacent */
            if (failures++ < 10) fprintf(stderr, "FAIL: %lld has adjacent digits\n", (long long)v);
        }
        sum += (__int128)sign[k] * ((__int128)1 << pos[k]);
    }
    if (sum != v && failures++ < 10)
        fprintf(stderr, "FAIL: digits of %lld rebuild another value\n", (long long)v);
    if (l0_csd_digits(v) != n && failures++ < 10)
        fprintf(stderr, "FAIL: l0_csd_digits(%lld) differs from l0_csd\n", (long long)v);
}

int main(void) {
    for (int64_t v = -(1 << 17); v <= (1 << 17); v++) check(v);
    check(INT64_MIN);
    check(INT64_MAX);
    check(INT64_MIN + 1);
    l0_rng r;
    l0_rng_seed(&r, 7, 0);
    for (int i = 0; i < 1000000; i++) check((int64_t)l0_rng_u64(&r));
    /* known counts: 0 -> 0, 7 = 8 - 1 -> 2, 15 -> 2, 0x5555 -> 8, -1 -> 1, 2^63 - 1 -> 2 */
    static const struct {
        int64_t v;
        int n;
    } known[] = {{0, 0},  {7, 2},         {15, 2},        {0x5555, 8},
                 {-1, 1}, {INT64_MAX, 2}, {INT64_MIN, 1}, {23, 3}};
    for (size_t i = 0; i < sizeof known / sizeof known[0]; i++)
        if (l0_csd_digits(known[i].v) != known[i].n) {
            fprintf(stderr, "FAIL: %lld has %d digits, expected %d\n", (long long)known[i].v,
                    l0_csd_digits(known[i].v), known[i].n);
            failures++;
        }
    /* truncation keeps the top digits: 0x5555 (8 digits) to 3 digits is 0x5400 */
    if (l0_csd_truncate(0x5555, 3) != 0x5400 || l0_csd_truncate(23, 1) != 32 ||
        l0_csd_truncate(23, 2) != 24 || l0_csd_truncate(23, 9) != 23 ||
        l0_csd_truncate(-23, 2) != -24 || l0_csd_truncate(77, 0) != 0) {
        fprintf(stderr, "FAIL: l0_csd_truncate\n");
        failures++;
    }
    for (int64_t v = -5000; v <= 5000; v++)
        for (int d = 0; d < 5; d++) {
            int64_t t = l0_csd_truncate(v, d);
            int nd = l0_csd_digits(v);
            if (l0_csd_digits(t) != (d < nd ? d : nd) && failures++ < 10)
                fprintf(stderr, "FAIL: truncate(%lld, %d) has %d digits\n", (long long)v, d,
                        l0_csd_digits(t));
        }
    if (failures) {
        fprintf(stderr, "test_csd: %d failures\n", failures);
        return 1;
    }
    printf("test_csd: %d values, every CSD exact and non-adjacent\n", (1 << 18) + 1 + 3 + 1000000);
    return 0;
}
