#include "l0_topo.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>

struct l0_topo {
    const l0_geom *g;
    int32_t *label;  /* n_cells: raw cluster id, -1 none; reset after each run */
    uint8_t *active; /* n_cells */
    uint32_t *queue; /* cells of all clusters, grouped by cluster (n_cells) */
    uint32_t *act;   /* copy of the active list, to reset (n_cells) */
    size_t n_act;
    size_t *first; /* raw cluster k: queue[first[k] .. first[k+1]) */
    size_t cap_first;
    int32_t *final_of; /* raw id -> output index */
    size_t cap_final;
    struct rawc {
        double e, et, eta, phi;
        uint32_t lowest;
        int32_t raw;
    } * rc;
    size_t cap_rc;
    struct cs {
        float e;
        uint32_t cell;
    } * tmp;
    size_t cap_tmp;
};

void l0_clusters_free(l0_clusters *cl) {
    free(cl->c);
    free(cl->cells);
    memset(cl, 0, sizeof *cl);
}

l0_topo *l0_topo_create(const l0_geom *g) {
    l0_topo *t = calloc(1, sizeof *t);
    if (!t) return NULL;
    t->g = g;
    t->label = malloc(g->n_cells * sizeof *t->label);
    t->active = calloc(g->n_cells, 1);
    t->queue = malloc(g->n_cells * sizeof *t->queue);
    t->act = malloc(g->n_cells * sizeof *t->act);
    if (!t->label || !t->active || !t->queue || !t->act) {
        l0_topo_destroy(t);
        return NULL;
    }
    for (uint32_t c = 0; c < g->n_cells; c++) t->label[c] = -1;
    return t;
}

void l0_topo_destroy(l0_topo *t) {
    if (!t) return;
    free(t->label);
    free(t->active);
    free(t->queue);
    free(t->act);
    free(t->first);
    free(t->final_of);
    free(t->rc);
    free(t->tmp);
    free(t);
}

static void reset(l0_topo *t) {
    for (size_t i = 0; i < t->n_act; i++) {
        t->active[t->act[i]] = 0;
        t->label[t->act[i]] = -1;
    }
    t->n_act = 0;
}

/* Grow the array *pp (element size elem) to hold need elements. pp is the address of a typed
 * pointer, copied through memcpy so no pointer is accessed through the wrong type. */
static int grow(void *pp, size_t *cap, size_t need, size_t elem) {
    if (need <= *cap) return 0;
    size_t nc = *cap ? *cap : 64;
    while (nc < need) nc *= 2;
    void *p;
    memcpy(&p, pp, sizeof p);
    void *q = realloc(p, nc * elem);
    if (!q) return -1;
    memcpy(pp, &q, sizeof q);
    *cap = nc;
    return 0;
}

static int cmp_rawc(const void *a, const void *b) {
    const struct rawc *x = a, *y = b;
    if (x->et != y->et) return x->et > y->et ? -1 : 1;
    return (x->lowest > y->lowest) - (x->lowest < y->lowest);
}

static int cmp_cs(const void *a, const void *b) {
    const struct cs *x = a, *y = b;
    if (x->e != y->e) return x->e > y->e ? -1 : 1;
    return (x->cell > y->cell) - (x->cell < y->cell);
}

int64_t l0_topo_run(l0_topo *t, const uint32_t *active, size_t n_active, const float *e,
                    const float *sig, const float *sigma, double seed_thr, int max_cells,
                    l0_clusters *out) {
    const l0_geom *g = t->g;
    reset(t);
    out->n = 0;
    out->n_cells = 0;
    if (max_cells < 1) max_cells = 1;
    if (max_cells > L0_CELLS_MAX) max_cells = L0_CELLS_MAX;
    for (size_t i = 0; i < n_active; i++) {
        uint32_t c = active[i];
        if (t->active[c]) continue;
        t->active[c] = 1;
        t->act[t->n_act++] = c;
    }
    /* connected components from each seed (breadth first, as the GEP grows shells) */
    size_t nq = 0, nraw = 0;
    float fseed = (float)seed_thr;
    for (size_t i = 0; i < t->n_act; i++) {
        uint32_t s = t->act[i];
        if (t->label[s] >= 0 || !(sig[s] >= fseed)) continue;
        if (grow(&t->first, &t->cap_first, nraw + 2, sizeof *t->first)) return -1;
        t->first[nraw] = nq;
        int32_t id = (int32_t)nraw++;
        t->label[s] = id;
        t->queue[nq++] = s;
        for (size_t h = t->first[id]; h < nq; h++) {
            uint32_t c = t->queue[h];
            for (uint32_t k = g->nbr_first[c]; k < g->nbr_first[c + 1]; k++) {
                uint32_t j = g->nbr[k];
                if (!t->active[j] || t->label[j] >= 0) continue;
                t->label[j] = id;
                t->queue[nq++] = j;
            }
        }
        t->first[nraw] = nq;
    }
    if (grow(&t->rc, &t->cap_rc, nraw + 1, sizeof *t->rc) ||
        grow(&t->final_of, &t->cap_final, nraw + 1, sizeof *t->final_of))
        return -1;

    /* kinematics: E = sum, barycentre about the most energetic cell (phi wraps) */
    for (size_t k = 0; k < nraw; k++) {
        double se = 0, seta = 0, sphi = 0, emax = -1e300;
        uint32_t lowest = UINT32_MAX, ref = t->queue[t->first[k]];
        for (size_t h = t->first[k]; h < t->first[k + 1]; h++) {
            uint32_t c = t->queue[h];
            if (e[c] > emax || (e[c] == emax && c < ref)) {
                emax = e[c];
                ref = c;
            }
            if (c < lowest) lowest = c;
        }
        double phi0 = g->cell_phi[ref];
        size_t n = t->first[k + 1] - t->first[k];
        for (size_t h = t->first[k]; h < t->first[k + 1]; h++) {
            uint32_t c = t->queue[h];
            se += e[c];
        }
        int weighted = se > 0;
        double wsum = 0;
        for (size_t h = t->first[k]; h < t->first[k + 1]; h++) {
            uint32_t c = t->queue[h];
            double w = weighted ? (e[c] > 0 ? e[c] : 0) : 1.0;
            wsum += w;
            seta += w * g->cell_eta[c];
            sphi += w * l0_geom_wrap_phi(g->cell_phi[c] - phi0);
        }
        if (!(wsum > 0)) wsum = (double)n;
        struct rawc *r = &t->rc[k];
        r->e = se;
        r->eta = seta / wsum;
        r->phi = l0_geom_wrap_phi(phi0 + sphi / wsum);
        r->et = se / cosh(r->eta);
        r->lowest = lowest;
        r->raw = (int32_t)k;
    }
    qsort(t->rc, nraw, sizeof *t->rc, cmp_rawc);

    size_t ncells_out = 0;
    for (size_t k = 0; k < nraw; k++) {
        size_t n = t->first[k + 1] - t->first[k];
        ncells_out += n < (size_t)max_cells ? n : (size_t)max_cells;
    }
    if (grow(&out->c, &out->cap, nraw, sizeof *out->c) ||
        grow(&out->cells, &out->cap_cells, ncells_out, sizeof *out->cells))
        return -1;
    for (size_t k = 0; k < nraw; k++) {
        const struct rawc *r = &t->rc[k];
        t->final_of[r->raw] = (int32_t)k;
        size_t a = t->first[r->raw], n = t->first[r->raw + 1] - a;
        if (grow(&t->tmp, &t->cap_tmp, n, sizeof *t->tmp)) return -1;
        for (size_t h = 0; h < n; h++) {
            uint32_t c = t->queue[a + h];
            t->tmp[h].e = e[c];
            t->tmp[h].cell = c;
        }
        qsort(t->tmp, n, sizeof *t->tmp, cmp_cs);
        size_t keep = n < (size_t)max_cells ? n : (size_t)max_cells;
        l0_cluster *cl = &out->c[k];
        memset(cl, 0, sizeof *cl);
        cl->e = (float)r->e;
        cl->et = (float)r->et;
        cl->eta = (float)r->eta;
        cl->phi = (float)r->phi;
        cl->n_cells = (uint16_t)keep;
        cl->n_cells_total = (uint16_t)(n > 65535 ? 65535 : n);
        l0_cell *dst = out->cells + out->n_cells;
        for (size_t h = 0; h < keep; h++) {
            uint32_t c = t->tmp[h].cell;
            dst[h].e = e[c];
            dst[h].eta = g->cell_eta[c];
            dst[h].phi = g->cell_phi[c];
            dst[h].sigma = sigma[c];
            dst[h].layer = g->cell_layer[c];
        }
        out->n_cells += keep;
    }
    /* cell pointers once the cell array has its final address */
    size_t off = 0;
    for (size_t k = 0; k < nraw; k++) {
        out->c[k].cells = out->cells + off;
        off += out->c[k].n_cells;
    }
    out->n = nraw;
    return (int64_t)nraw;
}

int64_t l0_topo_cluster_of(const l0_topo *t, uint32_t cell) {
    int32_t raw = t->label[cell];
    return raw < 0 ? -1 : t->final_of[raw];
}
