/* The study's statistics against hand-computed values: the MPE (from arrays, and through the
 * golden model on a hand-made model and hand-made clusters), quantiles as NumPy computes them,
 * response statistics per bin, logarithmic bin edges, and the cluster set's copies. */
#include <math.h>
#include <string.h>

#include "l0_eval.h"
#include "study_check.h"
#include "study_synth.h"

static int close_rel(double a, double b, double tol) {
    return fabs(a - b) <= tol * fmax(fabs(a), fabs(b)) || a == b;
}

static void test_mpe_arrays(void) {
    /* |1.1-1|/1 = 0.1, |2-2.5|/2.5 = 0.2, |-3.3+3|/3 = 0.1, float 0 left out, 0: mean 0.1 */
    const double fixed[] = {1.1, 2.0, -3.3, 5.0, 7.0};
    const double flt[] = {1.0, 2.5, -3.0, 0.0, 7.0};
    size_t used = 99;
    double mpe = l0_mpe(fixed, flt, 5, &used);
    CHECK(used == 4, "MPE counted %zu clusters, expected 4 (float == 0 left out)", used);
    CHECK(close_rel(mpe, 10.0, 1e-12), "MPE %.17g, expected 10 (%%)", mpe);
    CHECK(l0_mpe(fixed, flt, 0, &used) == 0 && used == 0, "MPE of nothing is 0 over 0 clusters");
}

/* A hand-made model: one feature (the cell energy, linear), phi = one unit with weight 1 and
 * ReLU, rho = one linear unit with weight 1: the output is the sum of the cells' energies,
 * each first cast to ap_fixed<8,4> (AP_TRN: down to a multiple of 1/16). */
static const char *HAND_MODEL =
    "{\"format\": \"l0sim-deepsets-model\", \"version\": 1, \"name\": \"hand\", \"cells_max\": 8,"
    " \"features\": [{\"kind\": \"energy\", \"transform\": \"linear\", \"offset\": 0, \"scale\": "
    "1}],"
    " \"target\": {\"kind\": \"energy\", \"scale\": 1},"
    " \"precision\": {\"input\": \"ap_fixed<8,4>\", \"ksum\": \"ap_fixed<16,8>\"},"
    " \"phi\": [{\"n_in\": 1, \"n_out\": 1, \"activation\": \"relu\", \"precision\": {\"weight\":"
    " \"ap_fixed<8,4>\", \"bias\": \"ap_fixed<8,4>\", \"accum\": \"auto\", \"result\": "
    "\"ap_fixed<16,8>\"}, \"weights\": [[1]], \"bias\": [0]}],"
    " \"rho\": [{\"n_in\": 1, \"n_out\": 1, \"activation\": \"linear\", \"precision\": "
    "{\"weight\": \"ap_fixed<8,4>\", \"bias\": \"ap_fixed<8,4>\", \"accum\": \"auto\", \"result\":"
    " \"ap_fixed<16,8>\"}, \"weights\": [[1]], \"bias\": [0]}]}";

static void add_cluster(l0_clset *s, const float *e, int n, float truth) {
    l0_cell cells[8];
    l0_cluster c = {
        .truth_e = truth, .n_cells = (uint16_t)n, .n_cells_total = (uint16_t)n, .cells = cells};
    for (int k = 0; k < n; k++) {
        cells[k] = (l0_cell){.e = e[k], .layer = 2};
        c.e += e[k];
    }
    l0_err err;
    CHECK(!l0_clset_add(s, &c, (uint64_t)s->n, 0, 0, &err), "add: %s", err.msg);
}

static void test_mpe_golden(void) {
    l0_model m;
    l0_err err;
    if (l0_model_parse(HAND_MODEL, "hand-made model", &m, &err)) {
        CHECK(0, "hand-made model: %s", err.msg);
        return;
    }
    l0_clset s;
    l0_clset_init(&s);
    const float a[] = {1.3f, 0.7f}, b[] = {2.5f}, c[] = {-1.0f}, d[] = {0.03f};
    add_cluster(&s, a, 2, 2.0f);  /* fixed 20/16 + 11/16 = 1.9375 */
    add_cluster(&s, b, 1, 2.5f);  /* exact: 0 */
    add_cluster(&s, c, 1, 1.0f);  /* ReLU gives 0: float == 0, left out */
    add_cluster(&s, d, 1, 0.05f); /* fixed 0: 100 % */
    double fa = (double)1.3f + (double)0.7f;
    double hand = ((fa - 1.9375) / fa + 0.0 + 1.0) / 3.0 * 100.0;

    double flt[4], fixed[4], work[4];
    l0_predict_float(&m, &s, flt);
    CHECK(flt[0] == fa && flt[1] == 2.5 && flt[2] == 0 && flt[3] == (double)0.03f,
          "float outputs %.17g %.17g %.17g %.17g", flt[0], flt[1], flt[2], flt[3]);
    l0_point_result r;
    memset(&r, 0, sizeof r);
    CHECK(!l0_eval_model(&m, &s, flt, 0, &r, fixed, work, &err), "eval: %s", err.msg);
    CHECK(fixed[0] == 1.9375 && fixed[1] == 2.5 && fixed[2] == 0 && fixed[3] == 0,
          "fixed outputs %.17g %.17g %.17g %.17g, expected 1.9375 2.5 0 0", fixed[0], fixed[1],
          fixed[2], fixed[3]);
    CHECK(r.n_used == 3, "MPE over %zu clusters, expected 3", r.n_used);
    CHECK(close_rel(r.mpe, hand, 1e-12), "MPE %.17g, hand-computed %.17g", r.mpe, hand);
    CHECK(close_rel(l0_mpe(fixed, flt, 4, NULL), hand, 1e-12), "l0_mpe on the outputs");
    CHECK(r.max_rel == 1.0, "largest relative difference %.17g, expected 1", r.max_rel);
    /* response fixed / truth over the 4 clusters: 0.96875, 1, 0, 0 */
    CHECK(r.resp.n == 4 && close_rel(r.resp.median, 0.484375, 1e-12),
          "response median %.17g over %zu, expected 0.484375 over 4", r.resp.median, r.resp.n);
    /* the trace's output tensor gives the same MPE */
    l0_layer_diff d4[2 * L0_MODEL_LAYERS_MAX + 2];
    int nd = 0;
    CHECK(!l0_layer_diffs(&m, &s, 0, d4, &nd, &err), "layer diffs: %s", err.msg);
    CHECK(nd == 4 && !strcmp(d4[0].name, "input") && !strcmp(d4[1].name, "phi0") &&
              !strcmp(d4[2].name, "ksum") && !strcmp(d4[3].name, "rho0"),
          "traced tensors: %d (%s ...)", nd, d4[0].name);
    CHECK(nd == 4 && close_rel(d4[3].mpe, hand, 1e-12) && d4[3].used == 3,
          "output tensor's mean relative difference %.17g over %llu, expected %.17g over 3",
          d4[3].mpe, (unsigned long long)d4[3].used, hand);
    /* input: 5 values, float nonzero in all; |diff| 0.05, 0.0125 (0.7 -> 0.6875), 0, 0, 0.03 */
    CHECK(d4[0].elements == 5 && d4[0].used == 5, "input values %llu",
          (unsigned long long)d4[0].elements);
    l0_clset_free(&s);
    l0_model_free(&m);
}

static void test_quantiles(void) {
    double x4[] = {4, 1, 3, 2};
    l0_resp r;
    l0_resp_stats(x4, 4, &r);
    /* numpy.quantile([1,2,3,4], [.25,.5,.75]) = 1.75, 2.5, 3.25 */
    CHECK(r.n == 4 && r.q25 == 1.75 && r.median == 2.5 && r.q75 == 3.25,
          "quartiles %g %g %g, expected 1.75 2.5 3.25", r.q25, r.median, r.q75);
    CHECK(close_rel(r.iqr_med, 0.6, 1e-15), "IQR/median %.17g, expected 0.6", r.iqr_med);
    double x5[] = {5, 1, 4, 2, 3};
    l0_resp_stats(x5, 5, &r);
    CHECK(r.q25 == 2 && r.median == 3 && r.q75 == 4, "quartiles of 1..5: %g %g %g", r.q25, r.median,
          r.q75);
    double x1[] = {7};
    l0_resp_stats(x1, 1, &r);
    CHECK(r.median == 7 && r.q25 == 7 && r.iqr_med == 0, "one value");
    l0_resp_stats(x1, 0, &r);
    CHECK(r.n == 0 && isnan(r.median), "no value gives NaN");
    const double s[] = {0, 10};
    CHECK(l0_quantile_sorted(s, 2, 0.3) == 3.0, "interpolation");
}

static void test_bins(void) {
    double e[64];
    int n = l0_log_edges(1, 500, 4, e, 64);
    CHECK(n == 12, "%d edges from 1 to 500 at 4 per decade, expected 12", n);
    if (n == 12) {
        CHECK(e[0] == 1 && e[11] == 500, "first and last edges %g %g", e[0], e[11]);
        CHECK(close_rel(e[4], 10, 1e-12) && close_rel(e[8], 100, 1e-12), "10 and 100 are edges");
        CHECK(close_rel(e[1], pow(10, 0.25), 1e-12) && close_rel(e[10], pow(10, 2.5), 1e-12),
              "10^(k/4) edges");
    }
    n = l0_log_edges(1, 500, 1, e, 64);
    CHECK(n == 4 && e[1] == 10 && e[2] == 100 && e[3] == 500, "1 per decade: 1 10 100 500");
    n = l0_log_edges(2, 10, 1, e, 64);
    CHECK(n == 2 && e[0] == 2 && e[1] == 10, "no power of ten inside: one bin");
    CHECK(l0_log_edges(1, 500, 4, e, 5) == -1, "too few slots refused");
    CHECK(l0_log_edges(5, 1, 4, e, 64) == -1, "hi <= lo refused");

    const double truth[] = {1.5, 5, 15, 500, 600};
    const double pred[] = {3, 5, 15, 250, 600};
    const double edges[] = {1, 10, 500};
    double work[5];
    l0_resp r[2];
    l0_resp_binned(truth, pred, 5, edges, 3, r, work);
    CHECK(r[0].n == 2 && r[0].median == 1.5, "bin 0: %zu values, median %g (expected 2, 1.5)",
          r[0].n, r[0].median);
    CHECK(r[1].n == 2 && r[1].median == 0.75,
          "bin 1 (upper edge included, 600 out): %zu values, median %g (expected 2, 0.75)", r[1].n,
          r[1].median);
}

static void test_clset(void) {
    /* enough clusters to move the cell pool several times: every cluster must still see its
     * own cells */
    l0_clset s, t;
    l0_clset_init(&s);
    l0_clset_init(&t);
    synth_clusters(&s, 3000, 30, 5);
    CHECK(s.n == 3000 && s.n_cells == 90000, "%zu clusters, %zu cells", s.n, s.n_cells);
    l0_err err;
    for (size_t i = 0; i < s.n; i++)
        if (l0_clset_add(&t, &s.c[i], s.record[i], 7, 10, &err)) CHECK(0, "add: %s", err.msg);
    int bad = 0;
    for (size_t i = 0; i < t.n; i++) {
        if (t.c[i].n_cells != 10 || t.c[i].n_cells_total != 30 || t.index[i] != 7 ||
            t.c[i].e != s.c[i].e || memcmp(t.c[i].cells, s.c[i].cells, 10 * sizeof(l0_cell)))
            bad++;
    }
    CHECK(bad == 0, "%d clusters copied wrong (cells_max 10)", bad);
    l0_clset_free(&s);
    l0_clset_free(&t);
}

int main(void) {
    test_mpe_arrays();
    test_mpe_golden();
    test_quantiles();
    test_bins();
    test_clset();
    return check_result("test_study_stats");
}
