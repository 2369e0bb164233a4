/* l0sim import: the Keras fixtures (made by scripts/make-keras-fixtures with real Keras) imported
 * in C; l0sim's float inference must equal Keras's own predictions to 1e-5 relative, both on
 * the features Keras saw (l0_model_float_features) and on the raw cells as clusters through
 * l0sim's preprocessing (l0_model_float). Also: the saved model loads back bit for bit, the
 * golden model runs on it, and unmappable models are refused naming the layer.
 * usage: test_import FIXTURE_DIR TMP_DIR */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "l0_import.h"
#include "l0_model.h"

#define MAX_CLUSTERS 64
#define MAX_CELLS 64
#define TOL 1e-5

static int failures = 0;
#define CHECK(cond, ...)                                                                           \
    do {                                                                                           \
        if (!(cond)) {                                                                             \
            printf("FAIL %s:%d: ", __FILE__, __LINE__);                                            \
            printf(__VA_ARGS__);                                                                   \
            printf("\n");                                                                          \
            failures++;                                                                            \
        }                                                                                          \
    } while (0)

typedef struct fixture {
    int n;                                /* clusters */
    int cells[MAX_CLUSTERS];              /* per cluster */
    double x[MAX_CLUSTERS][MAX_CELLS][8]; /* features Keras saw */
    l0_cell raw[MAX_CLUSTERS][MAX_CELLS]; /* raw cells */
    double pred[MAX_CLUSTERS];            /* Keras's predictions */
} fixture;

static FILE *open_csv(const char *dir, const char *name, const char *suffix) {
    char p[1024];
    snprintf(p, sizeof p, "%s/%s%s", dir, name, suffix);
    FILE *f = fopen(p, "r");
    if (!f) {
        printf("FAIL: cannot open %s\n", p);
        exit(1);
    }
    char line[4096];
    if (!fgets(line, sizeof line, f)) exit(1); /* header */
    return f;
}

static void read_fixture(const char *dir, const char *name, int n_feat, fixture *fx) {
    memset(fx, 0, sizeof *fx);
    char line[4096];
    FILE *f = open_csv(dir, name, "_pred.csv");
    while (fgets(line, sizeof line, f)) {
        int i, n;
        double p;
        if (sscanf(line, "%d,%d,%lf", &i, &n, &p) != 3 || i != fx->n || i >= MAX_CLUSTERS ||
            n > MAX_CELLS) {
            printf("FAIL: %s_pred.csv: bad line '%s'\n", name, line);
            exit(1);
        }
        fx->cells[i] = n;
        fx->pred[i] = p;
        fx->n++;
    }
    fclose(f);
    f = open_csv(dir, name, "_inputs.csv");
    int rows = 0;
    while (fgets(line, sizeof line, f)) {
        char *s = line, *e;
        int i = (int)strtol(s, &e, 10), k = (int)strtol(e + 1, &e, 10);
        if (i < 0 || i >= fx->n || k < 0 || k >= fx->cells[i]) exit(1);
        for (int j = 0; j < n_feat; j++) fx->x[i][k][j] = strtod(e + 1, &e);
        rows++;
    }
    fclose(f);
    f = open_csv(dir, name, "_cells.csv");
    while (fgets(line, sizeof line, f)) {
        int i, k, layer;
        double e, deta, dphi;
        if (sscanf(line, "%d,%d,%lf,%lf,%lf,%d", &i, &k, &e, &deta, &dphi, &layer) != 6 ||
            i >= fx->n || k >= fx->cells[i])
            exit(1);
        /* The CSV holds the float32 values exactly: back to float without rounding. */
        fx->raw[i][k] = (l0_cell){(float)e, (float)deta, (float)dphi, 0.0f, (uint8_t)layer};
        rows--;
    }
    fclose(f);
    CHECK(rows == 0, "%s: inputs and cells have different row counts", name);
}

static double rel(double a, double b) {
    return fabs(a - b) / fabs(b);
}

/* The predictions file NAME_SUFFIX (cluster,n_cells,prediction) into pred[]; returns the count. */
static int read_pred(const char *dir, const char *name, const char *suffix, double *pred) {
    char line[4096];
    FILE *f = open_csv(dir, name, suffix);
    int n = 0;
    while (fgets(line, sizeof line, f)) {
        int i, c;
        double p;
        if (sscanf(line, "%d,%d,%lf", &i, &c, &p) != 3 || i != n || i >= MAX_CLUSTERS) {
            printf("FAIL: %s%s: bad line '%s'\n", name, suffix, line);
            exit(1);
        }
        pred[n++] = p;
    }
    fclose(f);
    return n;
}

/* Import NAME.EXT and compare with Keras's predictions. A float model: l0sim's float network
 * against NAME_pred.csv. A QKeras model (qkeras true): the golden model (fixed point, with the
 * precisions the import took from the quantizers) against NAME_pred.csv, the quantized network's
 * predictions, and l0sim's float network against NAME_float_pred.csv (the same network in float
 * with the quantized weights). */
static void check_model(const char *dir, const char *tmp, const char *name, const char *ext,
                        const char *features, int expect_cells_max, bool qkeras) {
    char path[1024];
    snprintf(path, sizeof path, "%s/%s%s", dir, name, ext);
    l0_import_opts o;
    memset(&o, 0, sizeof o);
    l0_err err;
    if (features && l0_model_parse_features(features, o.feat, &o.n_feat, &err)) {
        printf("FAIL: features: %s\n", err.msg);
        exit(1);
    }
    l0_model m;
    l0_import_info info;
    if (l0_import_keras(path, &o, &m, &info, &err)) {
        printf("FAIL: import %s: %s\n", name, err.msg);
        failures++;
        return;
    }
    printf("%s: Keras %s %s, cells %d, features %d, sum '%s'\n%s", name, info.keras_version,
           info.model_class, info.cells, info.n_feat, info.sum_layer, info.log);
    CHECK(m.cells_max == expect_cells_max, "%s: cells_max %d, expected %d", name, m.cells_max,
          expect_cells_max);

    fixture *fx = malloc(sizeof *fx);
    read_fixture(dir, name, m.n_feat, fx);
    if (qkeras) {
        /* The quantized network: the golden model on the raw cells against Keras. */
        l0_golden *g = l0_golden_create(&m, &err);
        CHECK(g != NULL, "%s: golden model: %s", name, err.msg);
        double worst = 0;
        int exact = 0;
        for (int i = 0; g && i < fx->n; i++) {
            l0_cluster c;
            memset(&c, 0, sizeof c);
            c.n_cells = c.n_cells_total = (uint16_t)fx->cells[i];
            c.cells = fx->raw[i];
            double y;
            l0_golden_run(g, &c, &y);
            double r = rel(y, fx->pred[i]);
            exact += y == fx->pred[i];
            if (r > worst) worst = r;
            CHECK(r <= TOL, "%s cluster %d (fixed): l0sim %.9g, QKeras %.9g, rel %.3g", name, i, y,
                  fx->pred[i], r);
        }
        printf("%s: %d clusters, golden model (fixed) against QKeras: %d identical, worst "
               "relative difference %.3g (tolerance %g)\n",
               name, fx->n, exact, worst, TOL);
        /* Every sum in this network is exact in float32 (few, narrow terms), so Keras computes
         * the quantized network exactly too: bit for bit. */
        CHECK(exact == fx->n, "%s: %d of %d clusters identical to QKeras's", name, exact, fx->n);
        l0_golden_free(g);
        int n = read_pred(dir, name, "_float_pred.csv", fx->pred);
        CHECK(n == fx->n, "%s_float_pred.csv: %d clusters, expected %d", name, n, fx->n);
    }
    double worst_direct = 0, worst_cluster = 0;
    for (int i = 0; i < fx->n; i++) {
        /* The direct path: the features Keras saw. */
        double x[MAX_CELLS * 8];
        for (int k = 0; k < fx->cells[i]; k++)
            for (int j = 0; j < m.n_feat; j++) x[k * m.n_feat + j] = fx->x[i][k][j];
        double y = l0_model_float_features(&m, x, fx->cells[i]);
        double r = rel(y, fx->pred[i]);
        if (r > worst_direct) worst_direct = r;
        CHECK(r <= TOL, "%s cluster %d (direct): l0sim %.9g, Keras %.9g, rel %.3g", name, i, y,
              fx->pred[i], r);
        /* The cluster path: raw cells through l0sim's preprocessing. */
        l0_cluster c;
        memset(&c, 0, sizeof c);
        c.n_cells = c.n_cells_total = (uint16_t)fx->cells[i];
        c.cells = fx->raw[i];
        y = l0_model_float(&m, &c);
        r = rel(y, fx->pred[i]);
        if (r > worst_cluster) worst_cluster = r;
        CHECK(r <= TOL, "%s cluster %d (clusters): l0sim %.9g, Keras %.9g, rel %.3g", name, i, y,
              fx->pred[i], r);
    }
    printf("%s: %d clusters, worst relative difference to Keras: direct %.3g, as clusters %.3g "
           "(tolerance %g)\n",
           name, fx->n, worst_direct, worst_cluster, TOL);
    free(fx);

    /* Saved and loaded back: the same model bit for bit; the golden model runs on it. */
    snprintf(path, sizeof path, "%s/%s.json", tmp, name);
    CHECK(!l0_model_save(&m, path, &err), "save: %s", err.msg);
    l0_model back;
    if (l0_model_load(path, &back, &err)) {
        printf("FAIL: load %s: %s\n", path, err.msg);
        failures++;
    } else {
        CHECK(back.n_phi == m.n_phi && back.n_rho == m.n_rho && back.n_feat == m.n_feat,
              "%s: reloaded shape differs", name);
        for (int k = 0; k < l0_model_n_layers(&m); k++) {
            const l0_layer *a = l0_model_layer_c(&m, k), *b = l0_model_layer_c(&back, k);
            CHECK(a->n_in == b->n_in && a->n_out == b->n_out && a->relu == b->relu &&
                      !memcmp(a->w, b->w, sizeof *a->w * (size_t)a->n_in * a->n_out) &&
                      !memcmp(a->b, b->b, sizeof *a->b * (size_t)a->n_out),
                  "%s: layer %d differs after save and load", name, k);
        }
        l0_golden *g = l0_golden_create(&back, &err);
        CHECK(g != NULL, "%s: golden model: %s", name, err.msg);
        l0_golden_free(g);
        l0_model_free(&back);
    }
    l0_import_info_free(&info);
    l0_model_free(&m);
}

static void check_refused(const char *dir, const char *file, const char *features,
                          const char *expect1, const char *expect2) {
    char path[1024];
    snprintf(path, sizeof path, "%s/%s", dir, file);
    l0_import_opts o;
    memset(&o, 0, sizeof o);
    l0_err err;
    if (features) l0_model_parse_features(features, o.feat, &o.n_feat, &err);
    l0_model m;
    int rc = l0_import_keras(path, &o, &m, NULL, &err);
    CHECK(rc == -1, "%s: imported, expected an error", file);
    if (rc == -1) {
        printf("%s refused: %s\n", file, err.msg);
        CHECK(strstr(err.msg, expect1) && strstr(err.msg, expect2),
              "%s: error '%s' does not name '%s' and '%s'", file, err.msg, expect1, expect2);
    } else {
        l0_model_free(&m);
    }
}

int main(int argc, char **argv) {
    if (argc != 3) {
        fprintf(stderr, "usage: test_import FIXTURE_DIR TMP_DIR\n");
        return 2;
    }
    const char *dir = argv[1], *tmp = argv[2];
    check_model(dir, tmp, "deepsets_seq", ".keras", NULL, 16, false);
    check_model(dir, tmp, "deepsets_func", ".keras", "energy:log,energy:linear,deta,dphi,layer", 64,
                false);
    /* Legacy HDF5 from tf.keras 2.14, float and QKeras (scripts/make-qkeras-fixtures). */
    check_model(dir, tmp, "keras2_seq", ".h5", NULL, 16, false);
    check_model(dir, tmp, "qkeras_deepsets", ".h5", NULL, 16, true);
    check_refused(dir, "unmappable_po2.h5", NULL, "layer 'phi_po2' (QDense)", "alpha auto_po2");
    check_refused(dir, "unmappable_tanh.keras", NULL, "phi_tanh", "tanh");
    check_refused(dir, "deepsets_func.keras", NULL, "5 features", "--features");
    check_refused(dir, "deepsets_seq.keras", "energy,deta", "4 features", "--features gives 2");
    check_refused(dir, "deepsets_seq_pred.csv", NULL, "deepsets_seq_pred.csv", "archive");
    check_refused(dir, "no_such.keras", NULL, "no_such.keras", "cannot open");
    if (failures) {
        printf("%d check(s) failed\n", failures);
        return 1;
    }
    printf("all import checks passed\n");
    return 0;
}
