#include "stim_synth.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "l0_rng.h"
#include "l0_stimfile.h"

static void *grow(void *p, size_t *cap, size_t need, size_t elem) {
    if (need <= *cap) return p;
    size_t c = *cap ? *cap : 16;
    while (c < need) c *= 2;
    p = realloc(p, c * elem);
    if (!p) {
        fprintf(stderr, "synth: out of memory\n");
        abort();
    }
    *cap = c;
    return p;
}

/* A float that is usually ordinary but sometimes one of the values a careless encoder breaks. */
static float odd_float(l0_rng *r, double scale) {
    uint64_t k = l0_rng_below(r, 200);
    switch (k) {
    case 0:
        return -0.0f;
    case 1:
        return NAN;
    case 2:
        return INFINITY;
    case 3:
        return -INFINITY;
    case 4:
        return 1e-40f; /* subnormal */
    case 5:
        return 0.0f;
    default:
        return (float)((l0_rng_uniform(r) * 2.0 - 0.3) * scale);
    }
}

void synth_event(synth_buf *b, uint64_t seed, uint64_t index, int shape, l0_event *ev) {
    memset(ev, 0, sizeof *ev);
    if (index == 0) {
        /* The fixed first record that the numpy check knows: 2 clusters, the second truncated. */
        b->clusters = grow(b->clusters, &b->clusters_cap, 2, sizeof *b->clusters);
        b->cells = grow(b->cells, &b->cells_cap, 4, sizeof *b->cells);
        l0_cell cells[4] = {{5.0f, 0.1f, 0.2f, 0.05f, L0_LAYER_EMB2},
                            {4.0f, 0.125f, 0.2f, 0.05f, L0_LAYER_EMB1},
                            {3.5f, 0.1f, 0.25f, 0.25f, L0_LAYER_TILE0},
                            {-1.5f, -0.5f, 3.0f, 0.5f, L0_LAYER_TILE2}};
        memcpy(b->cells, cells, sizeof cells);
        l0_cluster c0 = {12.5f, 10.25f, 0.1f, 0.2f, 20.0f, 211, 3, 3, b->cells};
        l0_cluster c1 = {-1.5f, -1.25f, -0.5f, 3.0f, 0.0f, 0, 1, 7, b->cells + 3};
        b->clusters[0] = c0;
        b->clusters[1] = c1;
        ev->orbit = 7;
        ev->bx = 1;
        ev->filled = 1;
        ev->n_hard = 1;
        ev->n_clusters = 2;
        ev->clusters = b->clusters;
        return;
    }
    l0_rng r;
    l0_rng_seed(&r, seed, index);
    ev->orbit = (uint32_t)(index / 3564);
    ev->bx = (uint16_t)(index % 3564);
    ev->filled = (uint8_t)(l0_rng_below(&r, 5) != 0);
    ev->n_hard = (uint8_t)l0_rng_below(&r, 3);
    uint32_t nc;
    if (shape == SYNTH_HUGE)
        nc = 600;
    else if (!ev->filled || l0_rng_below(&r, 8) == 0)
        nc = 0;
    else if (shape == SYNTH_SMALL)
        nc = (uint32_t)l0_rng_below(&r, 4);
    else
        nc = (uint32_t)l0_rng_below(&r, 40);
    size_t cap_cells = 0;
    uint16_t *ncells = malloc((nc ? nc : 1) * sizeof *ncells);
    for (uint32_t i = 0; i < nc; i++) {
        uint64_t k = l0_rng_below(&r, 20);
        if (shape == SYNTH_HUGE || (shape != SYNTH_SMALL && k == 0))
            ncells[i] = L0_CELLS_MAX;
        else if (k == 1)
            ncells[i] = 0;
        else if (shape == SYNTH_SMALL)
            ncells[i] = (uint16_t)l0_rng_below(&r, 5);
        else
            ncells[i] = (uint16_t)(1 + l0_rng_below(&r, 64));
        cap_cells += ncells[i];
    }
    b->clusters = grow(b->clusters, &b->clusters_cap, nc, sizeof *b->clusters);
    b->cells = grow(b->cells, &b->cells_cap, cap_cells, sizeof *b->cells);
    l0_cell *cell = b->cells;
    for (uint32_t i = 0; i < nc; i++) {
        l0_cluster *c = &b->clusters[i];
        c->e = odd_float(&r, 300.0);
        c->et = odd_float(&r, 200.0);
        c->eta = (float)(l0_rng_uniform(&r) * 2.8 - 1.4);
        c->phi = (float)(l0_rng_uniform(&r) * 6.283185307 - 3.141592654);
        int matched = l0_rng_below(&r, 4) == 0;
        static const int32_t pdg[4] = {211, -211, 22, 11};
        c->truth_e = matched ? (float)(1.0 + 499.0 * l0_rng_uniform(&r)) : 0.0f;
        c->truth_pdg = matched ? pdg[l0_rng_below(&r, 4)] : 0;
        c->n_cells = ncells[i];
        c->n_cells_total =
            (uint16_t)(ncells[i] + (l0_rng_below(&r, 3) == 0 ? l0_rng_below(&r, 300) : 0));
        c->cells = c->n_cells ? cell : NULL;
        for (uint16_t k = 0; k < c->n_cells; k++, cell++) {
            cell->e = odd_float(&r, 50.0);
            cell->eta = (float)(l0_rng_uniform(&r) * 2.8 - 1.4);
            cell->phi = (float)(l0_rng_uniform(&r) * 6.283185307 - 3.141592654);
            cell->sigma = (float)(0.01 + l0_rng_uniform(&r));
            cell->layer = (uint8_t)l0_rng_below(&r, L0_NLAYERS);
        }
    }
    free(ncells);
    ev->n_clusters = nc;
    ev->clusters = nc ? b->clusters : NULL;
}

void synth_free(synth_buf *b) {
    free(b->clusters);
    free(b->cells);
    memset(b, 0, sizeof *b);
}

static int fdiff(const char *what, const char *field, float a, float b) {
    if (memcmp(&a, &b, sizeof a)) {
        fprintf(stderr, "%s: %s differs: wrote %.9g, read %.9g\n", what, field, a, b);
        return -1;
    }
    return 0;
}

#define IDIFF(field, a, b)                                                                         \
    do {                                                                                           \
        if ((long long)(a) != (long long)(b)) {                                                    \
            fprintf(stderr, "%s: %s differs: wrote %lld, read %lld\n", what, field,                \
                    (long long)(a), (long long)(b));                                               \
            return -1;                                                                             \
        }                                                                                          \
    } while (0)

int synth_compare(const char *what, const l0_event *w, const l0_event *g) {
    IDIFF("orbit", w->orbit, g->orbit);
    IDIFF("bx", w->bx, g->bx);
    IDIFF("filled", w->filled, g->filled);
    IDIFF("n_hard", w->n_hard, g->n_hard);
    IDIFF("n_clusters", w->n_clusters, g->n_clusters);
    for (uint32_t i = 0; i < w->n_clusters; i++) {
        const l0_cluster *a = &w->clusters[i], *b = &g->clusters[i];
        char f[96];
        snprintf(f, sizeof f, "cluster %u", i);
        if (fdiff(what, "cluster e", a->e, b->e) || fdiff(what, "cluster et", a->et, b->et) ||
            fdiff(what, "cluster eta", a->eta, b->eta) ||
            fdiff(what, "cluster phi", a->phi, b->phi) ||
            fdiff(what, "cluster truth_e", a->truth_e, b->truth_e))
            return -1;
        IDIFF("truth_pdg", a->truth_pdg, b->truth_pdg);
        IDIFF("n_cells", a->n_cells, b->n_cells);
        IDIFF("n_cells_total", a->n_cells_total, b->n_cells_total);
        for (uint16_t k = 0; k < a->n_cells; k++) {
            const l0_cell *x = &a->cells[k], *y = &b->cells[k];
            if (fdiff(what, "cell e", x->e, y->e) || fdiff(what, "cell eta", x->eta, y->eta) ||
                fdiff(what, "cell phi", x->phi, y->phi) ||
                fdiff(what, "cell sigma", x->sigma, y->sigma))
                return -1;
            IDIFF("cell layer", x->layer, y->layer);
        }
    }
    return 0;
}

int synth_write_file(const char *path, const char *kind, const char *options, uint64_t seed,
                     uint64_t n, int shape) {
    l0_err err;
    synth_buf b = {0};
    l0_stim_writer *w = l0_stim_writer_open(path, kind, options, &err);
    if (!w) {
        fprintf(stderr, "%s\n", err.msg);
        return -1;
    }
    for (uint64_t i = 0; i < n; i++) {
        l0_event ev;
        synth_event(&b, seed, i, shape, &ev);
        if (l0_stim_writer_put(w, &ev, &err)) {
            fprintf(stderr, "%s\n", err.msg);
            l0_stim_writer_abort(w);
            synth_free(&b);
            return -1;
        }
    }
    synth_free(&b);
    if (l0_stim_writer_close(w, &err)) {
        fprintf(stderr, "%s\n", err.msg);
        return -1;
    }
    return 0;
}

unsigned char *synth_slurp(const char *path, size_t *size) {
    FILE *f = fopen(path, "rb");
    if (!f) return NULL;
    size_t cap = 1 << 16, n = 0;
    unsigned char *p = malloc(cap);
    if (!p) {
        fclose(f);
        return NULL;
    }
    for (;;) {
        if (n == cap) {
            unsigned char *q = realloc(p, cap *= 2);
            if (!q) {
                free(p);
                fclose(f);
                return NULL;
            }
            p = q;
        }
        size_t got = fread(p + n, 1, cap - n, f);
        n += got;
        if (got == 0) break;
    }
    fclose(f);
    *size = n;
    return p;
}

int synth_spit(const char *path, const void *data, size_t size) {
    /* Unlink first: truncating a file with unwritten data makes ext4 flush it (auto_da_alloc),
     * which costs milliseconds per call in the corruption loops. */
    remove(path);
    FILE *f = fopen(path, "wb");
    if (!f) return -1;
    int ok = fwrite(data, 1, size, f) == size;
    return (fclose(f) == 0 && ok) ? 0 : -1;
}
