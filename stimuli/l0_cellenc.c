#include "l0_cellenc.h"

#include <math.h>

int l0_cellenc_init(l0_cellenc *c, int bits, double lsb, int gain, l0_err *err) {
    c->bits = 0;
    if (bits == 0) return 0;
    if (bits < 6 || bits > 10)
        return l0_err_set(err, "cell encoding bits %d: must be 0 (off) or 6 to 10", bits);
    if (!(lsb > 0) || lsb > 100)
        return l0_err_set(err, "cell encoding LSB %g GeV: must be in (0, 100]", lsb);
    if (gain < 2 || gain > 16)
        return l0_err_set(err, "cell encoding gain %d: must be 2 to 16", gain);
    c->bits = bits;
    c->lsb = lsb;
    c->gain = gain;
    c->steps = 1 << (bits - 2);
    double step = lsb;
    c->edge[0] = 0;
    for (int i = 1; i <= 4; i++) {
        c->edge[i] = c->edge[i - 1] + c->steps * step;
        step *= gain;
    }
    c->top = l0_cellenc_value(c, (1 << bits) - 1);
    return 0;
}

static double range_step(const l0_cellenc *c, int range) {
    double s = c->lsb;
    for (int i = 0; i < range; i++) s *= c->gain;
    return s;
}

int l0_cellenc_code(const l0_cellenc *c, double et) {
    if (!(et > 0)) return 0;
    if (et > c->edge[4]) return (1 << c->bits) - 1;
    int range = 0;
    for (int i = 1; i <= 3; i++)
        if (et > c->edge[i]) range = i;
    int k = (int)floor((et - c->edge[range]) / range_step(c, range));
    if (k >= c->steps) k = c->steps - 1;
    if (k < 0) k = 0;
    return (range << (c->bits - 2)) | k;
}

double l0_cellenc_value(const l0_cellenc *c, int code) {
    int range = code >> (c->bits - 2), k = code & (c->steps - 1);
    return c->edge[range] + k * range_step(c, range);
}

double l0_cellenc_apply(const l0_cellenc *c, double et) {
    if (!c->bits) return et;
    return l0_cellenc_value(c, l0_cellenc_code(c, et));
}
