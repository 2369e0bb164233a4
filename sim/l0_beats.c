#include "l0_beats.h"

#include <string.h>

int l0_beats_from_cluster(const l0_model *m, int lanes, const l0_cluster *c, uint32_t tag,
                          l0_rtl_beat *beats, int max) {
    int used = l0_model_cells_used(m, c);
    int nb = used > 0 ? (used + lanes - 1) / lanes : 1;
    if (nb > max) nb = max;
    double feat[L0_MODEL_FEATURES_MAX];
    for (int b = 0; b < nb; b++) {
        l0_rtl_beat *bt = &beats[b];
        memset(bt, 0, sizeof *bt);
        bt->valid = 1;
        bt->first = b == 0;
        bt->last = b == nb - 1;
        bt->tag = tag;
        for (int l = 0; l < lanes; l++) {
            int k = b * lanes + l;
            if (k >= used) continue;
            bt->lane_valid |= UINT64_C(1) << l;
            l0_model_features(m, c, k, feat);
            for (int f = 0; f < m->n_feat; f++) {
                int o;
                if (l0_fx_from_double(feat[f], &m->t_in, &bt->feat[l * m->n_feat + f], &o))
                    bt->feat[l * m->n_feat + f] = 0; /* as the golden model treats NaN */
            }
        }
    }
    return nb;
}
