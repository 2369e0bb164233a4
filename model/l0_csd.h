/* l0_csd: canonical signed digits of constant integers, the currency of multiplier-free
 * (shift-and-add) constant multiplication.
 *
 * The CSD (non-adjacent form) of an integer v is the unique set of digits d_k in {-1, 0, +1}
 * with v = sum d_k 2^k and no two adjacent non-zero digits; it has the fewest non-zero digits of
 * any signed-digit form. A product x * v then costs (non-zero digits - 1) adders, and a zero
 * weight nothing: this count is what the engine's constant-weight layers (rtl/, docs/engine.md)
 * and the trainer's compression mode minimise. */
#ifndef L0_CSD_H
#define L0_CSD_H

#include <stdint.h>

#define L0_CSD_MAX 65 /* digits of a 64-bit value's CSD: at most 65 positions */

/* The CSD of v: fills pos[] with the bit positions (ascending) and sign[] with +1 or -1 of its
 * non-zero digits, returns their count (0 for v = 0). pos and sign hold L0_CSD_MAX entries;
 * either may be NULL to count only. Exact for every int64_t, INT64_MIN included. */
int l0_csd(int64_t v, int *pos, int *sign);

/* The number of non-zero CSD digits of v (l0_csd without the digits). */
int l0_csd_digits(int64_t v);

/* v with only its d most significant non-zero CSD digits kept (d <= 0: 0; d at least the digit
 * count: v). The result's own CSD is those d digits (still non-adjacent). */
int64_t l0_csd_truncate(int64_t v, int d);

#endif
