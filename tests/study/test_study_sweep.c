/* Precision sweeps (l0_sweep_run) on synthetic clusters: the figures do not depend on the thread
 * count; re-typing (auto accumulators clipped to 64 bits, KSum-only points); the per-layer
 * differences agree with the MPE; and the study's KSum finding holds qualitatively: the MPE
 * falls as the KSum's integer bits grow, until the sum fits, and stays flat from there. */
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "l0_eval.h"
#include "study_check.h"
#include "study_synth.h"

static l0_fx_type T(const char *s) {
    l0_fx_type t;
    l0_err err;
    if (l0_fx_parse(s, &t, &err)) {
        fprintf(stderr, "bad type %s: %s\n", s, err.msg);
        exit(1);
    }
    return t;
}

static l0_sweep_point uniform(int w, int i) {
    l0_sweep_point pt;
    memset(&pt, 0, sizeof pt);
    l0_fx_type_make(&pt.p.input, w, i, true, L0_FX_RND, L0_FX_SAT, NULL);
    l0_fx_type_make(&pt.p.weight, w, i, true, L0_FX_TRN, L0_FX_WRAP, NULL);
    l0_fx_type_make(&pt.p.bias, w, i, true, L0_FX_TRN, L0_FX_WRAP, NULL);
    l0_fx_type_make(&pt.p.result, w, i, true, L0_FX_RND, L0_FX_SAT, NULL);
    l0_fx_type_make(&pt.p.ksum, w, i, true, L0_FX_RND, L0_FX_SAT, NULL);
    pt.p.accum_auto = true;
    return pt;
}

static int same_result(const l0_point_result *a, const l0_point_result *b) {
    return a->mpe == b->mpe && a->n_used == b->n_used && a->max_rel == b->max_rel &&
           a->resp.n == b->resp.n && a->resp.median == b->resp.median &&
           a->resp.q25 == b->resp.q25 && a->resp.q75 == b->resp.q75 &&
           (a->loss == b->loss || (isnan(a->loss) && isnan(b->loss))) &&
           a->accum_clipped == b->accum_clipped && !memcmp(&a->ovf, &b->ovf, sizeof a->ovf);
}

static void test_threads(const l0_model *m, const l0_clset *s, const double *flt) {
    enum { NP = 13 };
    l0_sweep_point pts[NP];
    for (int k = 0; k < NP; k++) pts[k] = uniform(6 + 2 * k, 2 + k % 6);
    static l0_point_result r[3][NP];
    l0_err err;
    for (int t = 0; t < 3; t++) {
        l0_sweep_cfg cfg = {.threads = t + 1, .progress = false, .e_min = 10};
        CHECK(!l0_sweep_run(m, s, flt, pts, NP, &cfg, r[t], &err), "sweep on %d threads: %s", t + 1,
              err.msg);
    }
    for (int k = 0; k < NP; k++) {
        CHECK(same_result(&r[0][k], &r[1][k]),
              "point %d: 1 and 2 threads differ (MPE %.17g, %.17g)", k, r[0][k].mpe, r[1][k].mpe);
        CHECK(same_result(&r[0][k], &r[2][k]), "point %d: 1 and 3 threads differ", k);
    }
    /* and each equals a direct evaluation of the point */
    double *work = malloc(s->n * sizeof *work);
    for (int k = 0; k < NP; k += 4) {
        l0_model c;
        l0_point_result d;
        memset(&d, 0, sizeof d);
        l0_model_copy(&c, m, &err);
        CHECK(!l0_sweep_point_apply(&c, &pts[k], &d.accum_clipped, &err), "apply: %s", err.msg);
        CHECK(!l0_eval_model(&c, s, flt, 10, &d, NULL, work, &err), "eval: %s", err.msg);
        CHECK(same_result(&d, &r[1][k]), "point %d: the sweep differs from a direct evaluation", k);
        l0_model_free(&c);
    }
    free(work);
    /* an impossible point fails with its number in the message */
    pts[5].p.accum_auto = false;
    pts[5].p.accum = T("ap_fixed<16,6,AP_TRN,AP_SAT>");
    l0_sweep_cfg cfg = {.threads = 2, .e_min = 10};
    CHECK(l0_sweep_run(m, s, flt, pts, NP, &cfg, r[0], &err) == -1 &&
              strstr(err.msg, "precision point 5") && strstr(err.msg, "saturating"),
          "a saturating accumulator is refused, naming the point: '%s'", err.msg);
}

static void test_retype(const l0_model *m) {
    l0_model c;
    l0_err err;
    bool clipped = true;
    l0_model_copy(&c, m, &err);
    l0_sweep_point pt = uniform(16, 6);
    CHECK(!l0_sweep_point_apply(&c, &pt, &clipped, &err) && !clipped && c.phi[0].acc_auto,
          "16-bit point: auto accumulators, not clipped");
    /* hls4ml's auto: W = 16 + 16 + ceil(log2 4) + 1 = 35, I = 6 + 6 + 3 = 15 */
    CHECK(c.phi[0].t_acc.w == 35 && c.phi[0].t_acc.i == 15,
          "phi0 auto accum <%d,%d>, expected <35,15>", c.phi[0].t_acc.w, c.phi[0].t_acc.i);
    pt = uniform(32, 14);
    CHECK(!l0_sweep_point_apply(&c, &pt, &clipped, &err), "32-bit point: %s", err.msg);
    CHECK(clipped && !c.phi[1].acc_auto && c.phi[1].t_acc.w == 64 &&
              c.phi[1].t_acc.i == 14 + 14 + 4,
          "32-bit point: phi1 accumulator clipped to ap_fixed<64,32>, got <%d,%d> (auto %d)",
          c.phi[1].t_acc.w, c.phi[1].t_acc.i, c.phi[1].acc_auto);
    l0_model_free(&c);

    /* a KSum-only point keeps every other tensor of the model */
    l0_model_copy(&c, m, &err);
    memset(&pt, 0, sizeof pt);
    pt.from_model = true;
    pt.ksum_set = true;
    pt.ksum = T("ap_fixed<13,3,AP_RND,AP_SAT>");
    CHECK(!l0_sweep_point_apply(&c, &pt, &clipped, &err), "ksum point: %s", err.msg);
    CHECK(c.t_ksum.w == 13 && c.t_ksum.i == 3 && !memcmp(&c.t_in, &m->t_in, sizeof c.t_in) &&
              !memcmp(&c.phi[1].t_res, &m->phi[1].t_res, sizeof c.t_in) &&
              !memcmp(&c.rho[0].t_w, &m->rho[0].t_w, sizeof c.t_in),
          "ksum point changed another tensor");
    /* rho0's auto accumulator follows its new input type: 16 + 13 + ceil(log2 8) + 1 */
    CHECK(c.rho[0].t_acc.w == 16 + 13 + 4, "rho0 accum W %d after the KSum change",
          c.rho[0].t_acc.w);
    l0_model_free(&c);
}

/* The fewest signed integer bits that hold |x| < 2^(I-1). */
static int fit_bits(double mx) {
    int i = 1;
    while (mx >= ldexp(1.0, i - 1)) i++;
    return i;
}

static void test_ksum_finding(const l0_model *m, const l0_clset *s, const double *flt) {
    /* the largest KSum component in float */
    l0_err err;
    l0_golden *g = l0_golden_create(m, &err);
    double mx = 0;
    for (size_t i = 0; i < s->n; i++) {
        l0_trace tr;
        l0_golden_trace(g, &s->c[i], &tr, &err);
        const l0_trace_tensor *k = &tr.t[m->n_phi + 1];
        for (int j = 0; j < k->cols; j++) mx = fmax(mx, fabs(k->flt[j]));
        l0_trace_free(&tr);
    }
    l0_golden_free(g);
    int need = fit_bits(mx), top = need + 3;
    printf("largest KSum component %.4g: needs %d integer bits\n", mx, need);
    CHECK(need >= 4, "the synthetic KSum should need several integer bits (max %.4g)", mx);
    l0_sweep_point pts[40];
    for (int i = 1; i <= top; i++) {
        pts[i - 1] = uniform(32, 14); /* generous everywhere else */
        pts[i - 1].ksum_set = true;
        l0_fx_type_make(&pts[i - 1].ksum, i + 10, i, true, L0_FX_RND, L0_FX_SAT, NULL);
    }
    l0_point_result r[40];
    l0_sweep_cfg cfg = {.threads = 2, .e_min = 10};
    CHECK(!l0_sweep_run(m, s, flt, pts, (size_t)top, &cfg, r, &err), "ksum sweep: %s", err.msg);
    for (int i = 1; i <= top; i++)
        printf("  ksum ap_fixed<%d,%d>: MPE %10.5g %%, KSum overflows %llu\n", i + 10, i,
               r[i - 1].mpe, (unsigned long long)r[i - 1].ovf.ksum);
    for (int i = 1; i < need; i++)
        CHECK(r[i - 1].ovf.ksum > 0, "I = %d < %d: the KSum must saturate", i, need);
    for (int i = 1; i < need + 1; i++)
        CHECK(r[i].mpe <= r[i - 1].mpe * 1.02 + 1e-12,
              "MPE must fall as KSum integer bits grow: I=%d %.5g, I=%d %.5g", i, r[i - 1].mpe,
              i + 1, r[i].mpe);
    for (int i = need + 1; i <= top; i++) {
        CHECK(r[i - 1].ovf.ksum == 0, "I = %d: the sum fits, no overflow", i);
        CHECK(r[i - 1].mpe == r[need].mpe, "I = %d: MPE %.17g, flat once the sum fits (%.17g)", i,
              r[i - 1].mpe, r[need].mpe);
    }
    CHECK(r[0].mpe > 10 * r[need].mpe,
          "a 1-bit KSum deviates far more (%.4g %%) than one that "
          "fits (%.4g %%)",
          r[0].mpe, r[need].mpe);
}

static void test_layers(const l0_model *m, const l0_clset *s, const double *flt) {
    l0_layer_diff d[2 * L0_MODEL_LAYERS_MAX + 2];
    int nd;
    l0_err err;
    CHECK(!l0_layer_diffs(m, s, 0, d, &nd, &err), "layer diffs: %s", err.msg);
    CHECK(nd == m->n_phi + m->n_rho + 2, "%d tensors", nd);
    l0_point_result r;
    memset(&r, 0, sizeof r);
    double *work = malloc(s->n * sizeof *work);
    CHECK(!l0_eval_model(m, s, flt, 10, &r, NULL, work, &err), "eval: %s", err.msg);
    free(work);
    CHECK(fabs(d[nd - 1].mpe - r.mpe) <= 1e-12 * r.mpe && d[nd - 1].used == r.n_used,
          "output tensor %.17g vs MPE %.17g", d[nd - 1].mpe, r.mpe);
    CHECK(d[0].casts == (uint64_t)s->n_cells * 4, "input casts %llu",
          (unsigned long long)d[0].casts);
    int n2;
    CHECK(!l0_layer_diffs(m, s, 100, d, &n2, &err) && d[0].elements == 100 * 22 * 4,
          "max_clusters 100: %llu input values", (unsigned long long)d[0].elements);
}

int main(void) {
    l0_clset s;
    l0_clset_init(&s);
    synth_clusters(&s, 1500, 22, 3);
    l0_model m;
    int phi[] = {8, 8}, rho[] = {8, 1};
    synth_model(&m, phi, 2, rho, 2, 9, &s);
    double *flt = malloc(s.n * sizeof *flt);
    l0_predict_float(&m, &s, flt);
    test_threads(&m, &s, flt);
    test_retype(&m);
    test_ksum_finding(&m, &s, flt);
    test_layers(&m, &s, flt);
    free(flt);
    l0_model_free(&m);
    l0_clset_free(&s);
    return check_result("test_study_sweep");
}
