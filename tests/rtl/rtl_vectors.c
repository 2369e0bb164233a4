#include "rtl_vectors.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "l0_fill.h"
#include "l0_gen.h"
#include "l0_rng.h"

static int cmp_cell(const void *a, const void *b) {
    float x = ((const l0_cell *)a)->e, y = ((const l0_cell *)b)->e;
    return (x < y) - (x > y);
}

static void make_cluster(l0_rng *r, l0_cluster *c, l0_cell *cells, int max_cells) {
    int n = 1 + (int)l0_rng_below(r, (uint64_t)max_cells);
    c->eta = (float)(2.4 * l0_rng_uniform(r) - 1.2);
    c->phi = (float)(6.2 * l0_rng_uniform(r) - 3.1);
    c->e = 0;
    for (int k = 0; k < n; k++) {
        cells[k].e = (float)(0.05 * exp(l0_rng_uniform(r) * 9.0)); /* 0.05 .. 400 GeV */
        cells[k].eta = c->eta + (float)(0.3 * (l0_rng_uniform(r) - 0.5));
        cells[k].phi = c->phi + (float)(0.3 * (l0_rng_uniform(r) - 0.5));
        cells[k].sigma = 0.1f;
        cells[k].layer = (uint8_t)l0_rng_below(r, L0_NLAYERS);
        c->e += cells[k].e;
    }
    qsort(cells, (size_t)n, sizeof *cells, cmp_cell);
    c->n_cells = c->n_cells_total = (uint16_t)n;
    c->cells = cells;
    c->et = c->e;
}

void rtlv_free(rtlv_set *s) {
    free(s->beats);
    free(s->expect);
    memset(s, 0, sizeof *s);
}

/* Beats and expectations for the clusters cl[0..n). */
static int build(const l0_model *m, const l0_rtl_cfg *cfg, const l0_cluster *cls, int n,
                 uint64_t seed, rtlv_set *s, l0_err *err) {
    memset(s, 0, sizeof *s);
    int lanes = cfg->lanes, maxc = m->cells_max + 8;
    size_t cap =
        (size_t)n * (size_t)((maxc + lanes - 1) / lanes + 3) + 64 + (size_t)l0_rtl_depth(m, cfg);
    s->beats = calloc(cap, sizeof *s->beats);
    s->expect = calloc((size_t)n, sizeof *s->expect);
    l0_golden *g = l0_golden_create(m, err);
    if (!s->beats || !s->expect || !g) {
        l0_golden_free(g);
        rtlv_free(s);
        return g ? l0_err_set(err, "out of memory") : -1;
    }
    l0_rng r;
    l0_rng_seed(&r, seed, 0x67617073ULL);
    double feat[L0_MODEL_FEATURES_MAX];
    size_t c = 0;
    for (int i = 0; i < n; i++) {
        const l0_cluster *cl = &cls[i];
        int used = l0_model_cells_used(m, cl);
        rtlv_expect *x = &s->expect[i];
        x->tag = (uint32_t)i & (uint32_t)((1ULL << cfg->tag_w) - 1);
        x->raw = l0_golden_run(g, cl, NULL);
        x->latency = l0_rtl_latency(m, cfg, cl->n_cells);
        x->n_cells = used;
        if (l0_rng_uniform(&r) < 0.2) c += 1 + l0_rng_below(&r, 3); /* idle gap */
        int beats = (used + lanes - 1) / lanes;
        x->first = c;
        for (int b = 0; b < beats; b++, c++) {
            l0_rtl_beat *bt = &s->beats[c];
            bt->valid = 1;
            bt->first = b == 0;
            bt->last = b == beats - 1;
            bt->tag = x->tag;
            for (int l = 0; l < lanes; l++) {
                int k = b * lanes + l;
                if (k >= used) continue;
                bt->lane_valid |= UINT64_C(1) << l;
                l0_model_features(m, cl, k, feat);
                for (int f = 0; f < m->n_feat; f++) {
                    int o;
                    l0_fx_from_double(feat[f], &m->t_in, &bt->feat[l * m->n_feat + f], &o);
                }
                s->cells++;
            }
        }
    }
    s->n_clocks = c + (size_t)l0_rtl_depth(m, cfg) + 4;
    s->n_clusters = (size_t)n;
    l0_golden_free(g);
    return 0;
}

int rtlv_make(const l0_model *m, const l0_rtl_cfg *cfg, int n, uint64_t seed, rtlv_set *s,
              l0_err *err) {
    int maxc = m->cells_max + 8;
    l0_cell *cells = calloc((size_t)n * (size_t)maxc, sizeof *cells);
    l0_cluster *cls = calloc((size_t)n, sizeof *cls);
    if (!cells || !cls) {
        free(cells);
        free(cls);
        return l0_err_set(err, "out of memory");
    }
    l0_rng r;
    l0_rng_seed(&r, seed, 0x76656374ULL);
    for (int i = 0; i < n; i++) make_cluster(&r, &cls[i], cells + (size_t)i * maxc, maxc);
    int rc = build(m, cfg, cls, n, seed, s, err);
    free(cells);
    free(cls);
    return rc;
}

int rtlv_make_gen(const l0_model *m, const l0_rtl_cfg *cfg, int n, uint64_t seed, rtlv_set *s,
                  l0_err *err) {
    l0_gen_config gc;
    l0_gen_config_default(&gc);
    gc.seed = seed;
    l0_gen *gen = l0_gen_create(&gc, err);
    if (!gen) return -1;
    l0_gen_work *w = l0_gen_work_create(gen);
    l0_gen_out out;
    memset(&out, 0, sizeof out);
    l0_cluster *cls = calloc((size_t)n, sizeof *cls);
    l0_cell *cells = calloc((size_t)n * L0_CELLS_MAX, sizeof *cells);
    int k = 0, rc = -1;
    if (!w || !cls || !cells) {
        l0_err_set(err, "out of memory");
        goto done;
    }
    /* a quarter single pions (large clusters), the rest every cluster of whole crossings */
    for (uint64_t i = 0; k < n / 4; i++) {
        int r = l0_gen_single(gen, w, i, &out);
        if (r < 0) {
            l0_err_set(err, "out of memory");
            goto done;
        }
        if (r == 0 || !out.ev.n_clusters) continue;
        cls[k] = out.ev.clusters[0];
        cls[k].cells = cells + (size_t)k * L0_CELLS_MAX;
        memcpy(cls[k].cells, out.ev.clusters[0].cells,
               out.ev.clusters[0].n_cells * sizeof(l0_cell));
        k++;
    }
    const uint8_t *filled = l0_gen_filled(gen);
    for (uint16_t bx = 0; k < n && bx < L0_FILL_SLOTS; bx++) {
        if (!filled[bx]) continue;
        if (l0_gen_crossing(gen, w, 0, bx, &out)) {
            l0_err_set(err, "out of memory");
            goto done;
        }
        for (uint32_t j = 0; j < out.ev.n_clusters && k < n; j++, k++) {
            cls[k] = out.ev.clusters[j];
            cls[k].cells = cells + (size_t)k * L0_CELLS_MAX;
            memcpy(cls[k].cells, out.ev.clusters[j].cells,
                   out.ev.clusters[j].n_cells * sizeof(l0_cell));
        }
    }
    rc = build(m, cfg, cls, k, seed, s, err);
done:
    free(cls);
    free(cells);
    l0_gen_out_free(&out);
    if (w) l0_gen_work_destroy(w);
    l0_gen_destroy(gen);
    return rc;
}

/* Append the low `n` bits of v to a bit string, MSB first. */
static void push_bits(char *bits, size_t *k, uint64_t v, int n) {
    for (int b = n - 1; b >= 0; b--) bits[(*k)++] = (char)('0' + (int)((v >> b) & 1));
}

int rtlv_write_hex(const rtlv_set *s, const l0_rtl_engine_info *info, const char *path,
                   l0_err *err) {
    FILE *f = fopen(path, "w");
    if (!f) return l0_err_set(err, "%s: cannot create", path);
    int width = 3 + info->lanes + info->tag_w + info->lanes * info->n_feat * info->xw;
    int pad = (4 - width % 4) % 4;
    char *bits = malloc((size_t)(width + pad) + 1);
    for (size_t c = 0; c < s->n_clocks; c++) {
        const l0_rtl_beat *b = &s->beats[c];
        size_t k = 0;
        push_bits(bits, &k, 0, pad);
        push_bits(bits, &k, (uint64_t)b->valid, 1);
        push_bits(bits, &k, (uint64_t)b->first, 1);
        push_bits(bits, &k, (uint64_t)b->last, 1);
        push_bits(bits, &k, b->lane_valid, info->lanes);
        push_bits(bits, &k, b->tag, info->tag_w);
        for (int e = info->lanes * info->n_feat - 1; e >= 0; e--)
            push_bits(bits, &k, (uint64_t)b->feat[e], info->xw);
        for (size_t h = 0; h < k; h += 4) {
            int d = (bits[h] - '0') * 8 + (bits[h + 1] - '0') * 4 + (bits[h + 2] - '0') * 2 +
                    (bits[h + 3] - '0');
            fputc("0123456789abcdef"[d], f);
        }
        fputc('\n', f);
    }
    free(bits);
    if (fclose(f) != 0) return l0_err_set(err, "%s: write failed", path);
    return 0;
}

int rtlv_check(const rtlv_set *s, const rtlv_out *out, size_t n_out, const char *who, FILE *f) {
    int problems = 0;
    size_t n = n_out < s->n_clusters ? n_out : s->n_clusters;
    for (size_t i = 0; i < n; i++) {
        const rtlv_expect *x = &s->expect[i];
        const rtlv_out *o = &out[i];
        int bad_value = o->tag != x->tag || o->raw != x->raw;
        int bad_time = o->clock != x->first + (uint64_t)x->latency;
        if ((bad_value || bad_time) && problems++ < 5)
            fprintf(f,
                    "%s: cluster %zu (%d cells): got tag %u raw %lld at clock %llu; golden tag %u "
                    "raw %lld, formula clock %llu\n",
                    who, i, x->n_cells, o->tag, (long long)o->raw, (unsigned long long)o->clock,
                    x->tag, (long long)x->raw,
                    (unsigned long long)(x->first + (uint64_t)x->latency));
    }
    if (n_out != s->n_clusters) {
        fprintf(f, "%s: %zu outputs for %zu clusters\n", who, n_out, s->n_clusters);
        problems++;
    }
    return problems;
}
