/* The model's optional padding (the reference study's way: clusters padded to N cells with a
 * value in every feature, all N rows summed; docs/model-format.md):
 * 1. float and fixed inference with padding equal a hand computation on a tiny model (pad rows
 *    exact; a pad value that saturates input_t, so float sees the value and fixed its cast, with
 *    AP_RND ties), the per-layer trace holds the padded rows, the overflow counters count them;
 *    without the field the same model gives the unpadded sums;
 * 2. the field round-trips (bit for bit, same bytes again), and a model without it is saved
 *    without it;
 * 3. bad padding fields are refused, the error naming the field;
 * 4. the RTL export writes the padded row's phi output (PadPhi); the trainer refuses a padded
 *    model, naming the field;
 * 5. l0_import_keras with pad_cells: the field set, refused above cells_max; float inference
 *    on a cluster cut short equals the network on its rows plus the pad rows.
 * usage: test_padding FIXTURE_DIR TMP_DIR */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "l0_import.h"
#include "l0_model.h"
#include "l0_rtl.h"
#include "l0_train.h"

static int failures = 0, checks = 0;
#define CHECK(cond, ...)                                                                           \
    do {                                                                                           \
        checks++;                                                                                  \
        if (!(cond)) {                                                                             \
            printf("FAIL %s:%d: ", __FILE__, __LINE__);                                            \
            printf(__VA_ARGS__);                                                                   \
            printf("\n");                                                                          \
            failures++;                                                                            \
        }                                                                                          \
    } while (0)

/* A tiny model: features (energy, layer) unscaled, phi 2 -> 2 (relu), rho 2 -> 1 (linear). With
 * x = (e, layer): phi = relu(1 + 0.5 e + 0.25 l, 8 - 0.5 e + l); out = 0.5 + 0.25 k0 + 0.125 k1.
 * @PADDING@ is replaced by the padding field (or nothing). */
static const char *TINY =
    "{\"format\": \"l0sim-deepsets-model\", \"version\": 1, \"name\": \"tiny\",\n"
    " \"cells_max\": 4,@PADDING@\n"
    " \"features\": [{\"kind\": \"energy\", \"transform\": \"linear\", \"offset\": 0, \"scale\": "
    "1},\n"
    "              {\"kind\": \"layer\", \"transform\": \"linear\", \"offset\": 0, \"scale\": "
    "1}],\n"
    " \"target\": {\"kind\": \"energy\", \"scale\": 100},\n"
    " \"precision\": {\"input\": \"ap_fixed<16,6,AP_RND,AP_SAT>\", \"ksum\": "
    "\"ap_fixed<20,10,AP_RND,AP_SAT>\",\n"
    "               \"weight\": \"ap_fixed<16,6>\", \"bias\": \"ap_fixed<16,6>\", \"accum\": "
    "\"auto\",\n"
    "               \"result\": \"ap_fixed<16,6,AP_RND,AP_SAT>\"},\n"
    " \"phi\": [{\"n_in\": 2, \"n_out\": 2, \"activation\": \"relu\",\n"
    "          \"weights\": [[0.5, 0.25], [-0.5, 1]], \"bias\": [1, 8]}],\n"
    " \"rho\": [{\"n_in\": 2, \"n_out\": 1, \"activation\": \"linear\",\n"
    "          \"weights\": [[0.25, 0.125]], \"bias\": [0.5]}]\n"
    "}\n";

static char *tiny_text(const char *padding) {
    const char *at = strstr(TINY, "@PADDING@");
    size_t n = strlen(TINY) + strlen(padding) + 1;
    char *s = malloc(n);
    snprintf(s, n, "%.*s%s%s", (int)(at - TINY), TINY, padding, at + strlen("@PADDING@"));
    return s;
}

static int tiny(const char *padding, l0_model *m) {
    char *s = tiny_text(padding);
    l0_err err;
    int rc = l0_model_parse(s, "tiny.json", m, &err);
    if (rc) printf("FAIL: tiny model with '%s' does not load: %s\n", padding, err.msg);
    free(s);
    return rc;
}

static l0_cell CELLS[5] = {{2.0f, 0, 0, 0, 1},
                           {4.0f, 0, 0, 0, 2},
                           {1.0f, 0, 0, 0, 0},
                           {1.0f, 0, 0, 0, 0},
                           {1.0f, 0, 0, 0, 0}};

static l0_cluster cluster(int n) {
    l0_cluster c;
    memset(&c, 0, sizeof c);
    c.n_cells = c.n_cells_total = (uint16_t)n;
    c.cells = CELLS;
    return c;
}

/* float and fixed outputs (network units) of model m on a cluster of the first n CELLS */
static void run(const l0_model *m, int n, double *flt, double *fixed, l0_ovf_counts *ovf) {
    l0_err err;
    l0_cluster c = cluster(n);
    *flt = l0_model_float(m, &c);
    l0_golden *g = l0_golden_create(m, &err);
    if (!g) {
        printf("FAIL: golden: %s\n", err.msg);
        failures++;
        *fixed = NAN;
        return;
    }
    l0_golden_run(g, &c, fixed);
    if (ovf) *ovf = *l0_golden_ovf(g);
    l0_golden_free(g);
}

static void test_hand(void) {
    l0_model m;
    double f, x;
    l0_ovf_counts o;
    /* No padding: cell (2, 1) -> phi (2.25, 8); (4, 2) -> (3.5, 8). */
    if (tiny("", &m)) return;
    CHECK(m.pad_cells == 0, "no field: pad_cells %d", m.pad_cells);
    run(&m, 1, &f, &x, NULL);
    CHECK(f == 2.0625 && x == 2.0625, "unpadded 1 cell: float %.17g fixed %.17g, want 2.0625", f,
          x);
    l0_model_free(&m);

    /* Padded to 4 with -6: phi(-6, -6) = (relu(1 - 3 - 1.5), relu(8 + 3 - 6)) = (0, 5). */
    if (tiny("\n \"padding\": {\"cells\": 4, \"value\": -6},", &m)) return;
    CHECK(m.pad_cells == 4 && m.pad_value == -6, "padding read: %d %g", m.pad_cells, m.pad_value);
    /* 1 cell + 3 pads: ksum (2.25, 8 + 15); out 0.5 + 0.5625 + 2.875 */
    run(&m, 1, &f, &x, &o);
    CHECK(f == 3.9375 && x == 3.9375, "padded 1 cell: float %.17g fixed %.17g, want 3.9375", f, x);
    CHECK(o.casts_input == 8 && o.input == 0, "input casts %llu (want 8), overflows %llu (want 0)",
          (unsigned long long)o.casts_input, (unsigned long long)o.input);
    CHECK(o.casts_accum[0] == 16 && o.casts_result[0] == 8,
          "phi casts: accum %llu (want 4 rows x 4), result %llu (want 4 rows x 2)",
          (unsigned long long)o.casts_accum[0], (unsigned long long)o.casts_result[0]);
    /* 2 cells + 2 pads: ksum (5.75, 26); out 0.5 + 1.4375 + 3.25 */
    run(&m, 2, &f, &x, NULL);
    CHECK(f == 5.1875 && x == 5.1875, "padded 2 cells: float %.17g fixed %.17g, want 5.1875", f, x);
    /* 4 cells: no pad rows; 5 cells: the model uses 4, still none. (1, 0) -> phi (1.5, 7.5) */
    double f4, x4, f5, x5;
    run(&m, 4, &f4, &x4, NULL);
    run(&m, 5, &f5, &x5, NULL);
    double want4 = 0.5 + 0.25 * (2.25 + 3.5 + 3) + 0.125 * (8 + 8 + 15);
    CHECK(f4 == want4 && x4 == want4 && f5 == want4 && x5 == want4,
          "full clusters: float %.17g %.17g fixed %.17g %.17g, want %.17g", f4, f5, x4, x5, want4);
    CHECK(l0_model_rows(&m, &(l0_cluster){.n_cells = 1}) == 4 &&
              l0_model_rows(&m, &(l0_cluster){.n_cells = 5}) == 4,
          "l0_model_rows");

    /* The trace holds the padded rows: input rows 1..3 = -6, phi rows = (0, 5). */
    l0_err err;
    l0_golden *g = l0_golden_create(&m, &err);
    l0_trace tr;
    l0_cluster c = cluster(1);
    if (g && !l0_golden_trace(g, &c, &tr, &err)) {
        CHECK(tr.t[0].rows == 4 && tr.t[1].rows == 4, "trace rows %d %d, want 4", tr.t[0].rows,
              tr.t[1].rows);
        for (int r = 1; r < 4; r++) {
            CHECK(tr.t[0].flt[r * 2] == -6 && tr.t[0].fixed[r * 2 + 1] == -6,
                  "trace input row %d: %g %g", r, tr.t[0].flt[r * 2], tr.t[0].fixed[r * 2 + 1]);
            CHECK(tr.t[1].flt[r * 2] == 0 && tr.t[1].flt[r * 2 + 1] == 5 &&
                      tr.t[1].fixed[r * 2] == 0 && tr.t[1].fixed[r * 2 + 1] == 5,
                  "trace phi0 row %d", r);
        }
        CHECK(tr.t[2].flt[1] == 23 && tr.t[2].fixed[1] == 23, "trace ksum[1] %g %g, want 23",
              tr.t[2].flt[1], tr.t[2].fixed[1]);
        CHECK(tr.t[3].flt[0] == 3.9375 && tr.t[3].fixed[0] == 3.9375, "trace output");
        l0_trace_free(&tr);
    } else {
        CHECK(0, "trace: %s", err.msg);
    }
    l0_golden_free(g);
    /* l0_model_float_features on the same rows, pads given explicitly */
    double rows[8] = {2, 1, -6, -6, -6, -6, -6, -6};
    CHECK(l0_model_float_features(&m, rows, 4) == 3.9375, "float_features on explicit pad rows");
    l0_model_free(&m);

    /* Pad value 40 saturates input_t (ap_fixed<16,6>: max 32 - 2^-10). Float sees 40:
     * phi (31, 28); ksum (2.25 + 93, 8 + 84); out 0.5 + 23.8125 + 11.5 = 35.8125.
     * Fixed sees p = 31.9990234375: phi0 = 1 + 0.75 p = 24.999267578125 -> (F=10, AP_RND)
     * 24.9990234375; phi1 = 8 + 0.5 p = 23.99951171875, a tie -> 24. ksum (77.2470703125, 80);
     * out 0.5 + 19.311767578125 + 10 = 29.811767578125 -> 29.8115234375. */
    if (tiny("\n \"padding\": {\"cells\": 4, \"value\": 40},", &m)) return;
    run(&m, 1, &f, &x, &o);
    CHECK(f == 35.8125, "pad 40, float %.17g, want 35.8125", f);
    CHECK(x == 29.8115234375, "pad 40, fixed %.17g, want 29.8115234375", x);
    CHECK(o.input == 6 && o.casts_input == 8, "pad 40: input overflows %llu (want 6 = 3 rows x 2)",
          (unsigned long long)o.input);
    l0_model_free(&m);
}

static void test_round_trip(const char *tmp) {
    l0_model m, m2;
    l0_err err;
    char p1[1024], p2[1024];
    snprintf(p1, sizeof p1, "%s/pad_rt1.json", tmp);
    snprintf(p2, sizeof p2, "%s/pad_rt2.json", tmp);
    if (tiny("\n \"padding\": {\"cells\": 3, \"value\": -6.1000000000000005},", &m)) return;
    CHECK(!l0_model_save(&m, p1, &err), "save: %s", err.msg);
    if (l0_model_load(p1, &m2, &err)) {
        CHECK(0, "load back: %s", err.msg);
        l0_model_free(&m);
        return;
    }
    CHECK(m2.pad_cells == 3 && memcmp(&m2.pad_value, &m.pad_value, sizeof(double)) == 0,
          "round trip: %d %.17g", m2.pad_cells, m2.pad_value);
    CHECK(!l0_model_save(&m2, p2, &err), "save again: %s", err.msg);
    char *a = l0_model_to_json(&m), *b = l0_model_to_json(&m2);
    CHECK(a && b && !strcmp(a, b), "saved twice: different bytes");
    CHECK(a && strstr(a, "\"padding\": {\"cells\": 3, \"value\": -6.1000000000000005}"),
          "the padding field as written: %.200s", a ? a : "");
    free(a);
    free(b);
    /* a non-finite value is not saved */
    m2.pad_value = NAN;
    CHECK(l0_model_save(&m2, p2, &err) && strstr(err.msg, "padding.value"),
          "NaN pad value saved or error without the field: %s", err.msg);
    l0_model_free(&m2);
    l0_model_free(&m);
    /* without padding: no field */
    if (tiny("", &m)) return;
    a = l0_model_to_json(&m);
    CHECK(a && !strstr(a, "padding"), "an unpadded model saved with a padding field");
    free(a);
    l0_model_free(&m);
}

static void test_bad(void) {
    static const struct {
        const char *field, *expect;
    } BAD[] = {
        {"\"padding\": 5,", "field 'padding': expected an object"},
        {"\"padding\": [4, -6],", "field 'padding': expected an object"},
        {"\"padding\": {\"cells\": 0, \"value\": -6},", "field 'padding.cells'"},
        {"\"padding\": {\"cells\": 5, \"value\": -6},", "field 'padding.cells'"},
        {"\"padding\": {\"cells\": 2.5, \"value\": -6},", "field 'padding.cells'"},
        {"\"padding\": {\"cells\": -1, \"value\": -6},", "field 'padding.cells'"},
        {"\"padding\": {\"cells\": \"4\", \"value\": -6},", "field 'padding.cells'"},
        {"\"padding\": {\"cells\": 4},", "field 'padding.value': missing"},
        {"\"padding\": {\"value\": -6},", "field 'padding.cells': missing"},
        {"\"padding\": {\"cells\": 4, \"value\": \"-6\"},", "field 'padding.value'"},
        {"\"padding\": {\"cells\": 4, \"value\": null},", "field 'padding.value'"},
        {"\"padding\": {\"cells\": 4, \"value\": 1e999},", "field 'padding.value'"},
        {"\"padding\": {\"cells\": 4, \"value\": -6, \"mask\": true},",
         "field 'padding.mask': unknown key"},
        {"\"padding\": {\"cells\": 4, \"cells\": 3, \"value\": -6},",
         "field 'padding.cells': appears twice"},
        {"\"padding\": {\"cells\": 4, \"value\": -6}, \"padding\": {\"cells\": 4, \"value\": -6},",
         "field 'padding': appears twice"},
        {"\"Padding\": {\"cells\": 4, \"value\": -6},", "field 'Padding': unknown key"},
    };
    for (size_t k = 0; k < sizeof BAD / sizeof BAD[0]; k++) {
        char *s = tiny_text(BAD[k].field);
        l0_model m;
        l0_err err = {{0}};
        int rc = l0_model_parse(s, "tiny.json", &m, &err);
        CHECK(rc == -1 && strstr(err.msg, "tiny.json") && strstr(err.msg, BAD[k].expect),
              "bad %s: rc %d, error '%s', want '%s'", BAD[k].field, rc, err.msg, BAD[k].expect);
        if (!rc) l0_model_free(&m);
        free(s);
    }
}

static void test_rtl(const char *tmp) {
    l0_model m;
    l0_err err;
    if (tiny("\n \"padding\": {\"cells\": 4, \"value\": -6},", &m)) return;
    l0_golden *g = l0_golden_create(&m, &err);
    l0_rtl_cfg cfg;
    l0_rtl_cfg_default(&cfg);
    char dir[1024];
    snprintf(dir, sizeof dir, "%s/pad_rtl", tmp);
    /* The engine pads too: PadCells and PadPhi, the padded row's phi raws, in the parameters. */
    CHECK(g && l0_rtl_export(g, &cfg, "tiny.json", dir, &err) == 0,
          "RTL export of a padded "
          "model: %s",
          err.msg);
    char path[1200], text[8192] = "";
    snprintf(path, sizeof path, "%s/l0_model_params.vh", dir);
    FILE *f = fopen(path, "r");
    size_t len = f ? fread(text, 1, sizeof text - 1, f) : 0;
    text[len] = 0;
    if (f) fclose(f);
    CHECK(strstr(text, "parameter integer PadCells = 4,"), "%s: no PadCells = 4", path);
    const int64_t *pp = g ? l0_golden_pad_phi(g) : NULL;
    const l0_fx_type *tp = &m.phi[m.n_phi - 1].t_res;
    int units = l0_model_ksum_width(&m);
    char want[2048], *w = want;
    w += sprintf(w, "parameter [%d:0] PadPhi = {", units * tp->w - 1);
    for (int u = units - 1; pp && u >= 0; u--) {
        uint64_t r = (uint64_t)pp[u] & ((UINT64_C(1) << tp->w) - 1);
        w += sprintf(w, "%d'h%llx%s", tp->w, (unsigned long long)r, u ? ", " : "}");
    }
    CHECK(pp && strstr(text, want), "%s: PadPhi is not the golden model's padded row: want '%s'",
          path, want);
    l0_trainer *t = l0_trainer_create(&m, false, &err);
    CHECK(!t && strstr(err.msg, "field 'padding'"), "trainer of a padded model: %s",
          t ? "made" : err.msg);
    l0_trainer_free(t);
    l0_golden_free(g);
    l0_model_free(&m);
}

static void test_import(const char *fix) {
    char path[1024];
    snprintf(path, sizeof path, "%s/deepsets_seq.keras", fix);
    l0_import_opts o;
    memset(&o, 0, sizeof o);
    o.pad_cells = 16;
    o.pad_value = -6;
    l0_model m;
    l0_import_info info;
    l0_err err;
    if (l0_import_keras(path, &o, &m, &info, &err)) {
        CHECK(0, "import with padding: %s", err.msg);
        return;
    }
    l0_import_info_free(&info);
    CHECK(m.pad_cells == 16 && m.pad_value == -6 && m.cells_max == 16, "imported: %d %g %d",
          m.pad_cells, m.pad_value, m.cells_max);
    /* a cluster of 5 cells: the network on its 5 feature rows and 11 rows of -6 */
    l0_cluster c = cluster(5);
    double x[16 * 4];
    for (int k = 0; k < 16; k++) {
        if (k < 5)
            l0_model_features(&m, &c, k, x + 4 * k);
        else
            for (int f = 0; f < 4; f++) x[4 * k + f] = -6;
    }
    double a = l0_model_float(&m, &c), b = l0_model_float_features(&m, x, 16),
           b5 = l0_model_float_features(&m, x, 5);
    CHECK(fabs(a - b) <= 1e-12 * fabs(b), "imported, padded: float %.17g, on the rows %.17g", a, b);
    CHECK(a != b5, "padding made no difference on this model (%.17g): the check is empty", a);
    l0_model_free(&m);
    o.pad_cells = 17;
    CHECK(l0_import_keras(path, &o, &m, &info, &err) == -1 && strstr(err.msg, "--padding 17"),
          "padding above cells_max: %s", err.msg);
}

int main(int argc, char **argv) {
    if (argc != 3) {
        fprintf(stderr, "usage: test_padding FIXTURE_DIR TMP_DIR\n");
        return 2;
    }
    test_hand();
    test_round_trip(argv[2]);
    test_bad();
    test_rtl(argv[2]);
    test_import(argv[1]);
    printf("test_padding: %d checks, %d failures\n", checks, failures);
    return failures ? 1 : 0;
}
