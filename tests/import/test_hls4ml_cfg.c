/* l0sim import --hls4ml-config: precisions from hls4ml configurations (l0_hls4ml_apply).
 *
 * The fixtures hls4ml_*.json|yml were made by the real hls4ml 1.0.0 (config_from_keras_model,
 * scripts/make_hls4ml_configs.py), each with hls4ml_*_types.csv: the types hls4ml itself gave
 * every node when it converted the model with that configuration. Each configuration is applied
 * to the import of deepsets_seq.keras (or qkeras_deepsets.h5) and every l0sim tensor must have
 * hls4ml's type exactly: input_t the input layer's result, each Dense's weight, bias and accum,
 * its result the result of the last layer hls4ml made of it (its ReLU, a linear activation
 * hls4ml kept, or the Dense), ksum_t the sum's. Bad configurations must be refused, the error
 * naming the file and the field.
 * usage: test_hls4ml_cfg FIXTURE_DIR TMP_DIR */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "l0_hls4ml.h"
#include "l0_import.h"
#include "l0_model.h"

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

static const char *fixtures, *tmp;

/* --- hls4ml's types ------------------------------------------------------------------------- */

#define MAX_ROWS 128
typedef struct hrow {
    char node[128], cls[64], type[32];
    l0_fx_type t;
} hrow;
typedef struct htypes {
    int n;
    hrow r[MAX_ROWS];
} htypes;

static void read_types(const char *stem, htypes *h) {
    char p[1024], line[512];
    snprintf(p, sizeof p, "%s/%s_types.csv", fixtures, stem);
    FILE *f = fopen(p, "r");
    if (!f) {
        printf("FAIL: cannot open %s\n", p);
        exit(1);
    }
    h->n = 0;
    if (!fgets(line, sizeof line, f)) exit(1); /* header */
    while (fgets(line, sizeof line, f) && h->n < MAX_ROWS) {
        hrow *r = &h->r[h->n];
        char prec[128];
        /* node,class,type,"precision" */
        if (sscanf(line, "%127[^,],%63[^,],%31[^,],\"%127[^\"]\"", r->node, r->cls, r->type,
                   prec) != 4) {
            printf("FAIL: %s: bad line '%s'\n", p, line);
            exit(1);
        }
        if (!strcmp(r->type, "table")) continue;
        l0_err err;
        if (l0_fx_parse(prec, &r->t, &err)) {
            printf("FAIL: %s: '%s': %s\n", p, prec, err.msg);
            exit(1);
        }
        h->n++;
    }
    fclose(f);
}

static const hrow *find(const htypes *h, const char *node, const char *type) {
    for (int i = 0; i < h->n; i++)
        if (!strcmp(h->r[i].node, node) && !strcmp(h->r[i].type, type)) return &h->r[i];
    return NULL;
}

static bool type_eq(const l0_fx_type *a, const l0_fx_type *b) {
    return a->w == b->w && a->i == b->i && a->is_signed == b->is_signed && a->q == b->q &&
           a->o == b->o;
}

static const char *ts(const l0_fx_type *t) {
    static char buf[4][96];
    static int k;
    k = (k + 1) % 4;
    l0_fx_type_str(t, buf[k], sizeof buf[k]);
    return buf[k];
}

/* --- importing ---------------------------------------------------------------------------- */

static int import_cfg(const char *model, const char *cfg, l0_model *m, l0_import_info *info,
                      char *rep, size_t rep_len, l0_err *err) {
    char mp[1024], cp[1024];
    snprintf(mp, sizeof mp, "%s/%s", fixtures, model);
    l0_import_opts o;
    memset(&o, 0, sizeof o);
    if (l0_import_keras(mp, &o, m, info, err)) {
        printf("FAIL: import %s: %s\n", model, err->msg);
        exit(1);
    }
    if (cfg[0] == '/')
        snprintf(cp, sizeof cp, "%s", cfg);
    else
        snprintf(cp, sizeof cp, "%s/%s", fixtures, cfg);
    return l0_hls4ml_apply(m, info, cp, rep, rep_len, err);
}

/* An l0sim layer's result in hls4ml: its last node (the ReLU, a kept linear, the Dense). */
static const hrow *last_result(const htypes *h, const l0_import_info *info, const l0_layer *L,
                               int k) {
    char n[300];
    const char *d = info->dense[k];
    if (info->act[k][0]) return find(h, info->act[k], "result");
    if (L->relu) {
        snprintf(n, sizeof n, "%s_relu", d);
        if (find(h, n, "result")) return find(h, n, "result");
        snprintf(n, sizeof n, "%s_quantized_relu", d);
        return find(h, n, "result");
    }
    snprintf(n, sizeof n, "%s_linear", d);
    if (find(h, n, "result")) return find(h, n, "result");
    return find(h, d, "result");
}

/* Where l0sim's result is, by design, not the type of hls4ml's last node: a lossy cast followed
 * by wider ones that hold its values (l0sim stores the values' type). */
typedef struct exception_ {
    const char *stem, *layer, *type;
} exception_;
static const exception_ EXCEPTIONS[] = {
    {"hls4ml_name_edited", "phi1", "ap_fixed<12,4>"}, /* phi1 12,4 -> phi1_linear -> relu 16,6 */
};

/* Apply a configuration and compare every tensor with hls4ml's types. acc_auto_mask: the l0sim
 * layers whose accumulator must be l0sim's 'auto' (bit k). */
static void check_config(const char *model, const char *cfg, const char *stem,
                         unsigned acc_auto_mask, l0_model *out) {
    l0_model m;
    l0_import_info info;
    l0_err err;
    static char rep[65536];
    if (import_cfg(model, cfg, &m, &info, rep, sizeof rep, &err)) {
        CHECK(0, "%s: refused: %s", cfg, err.msg);
        l0_import_info_free(&info);
        l0_model_free(&m);
        return;
    }
    printf("%s on %s:\n%s", cfg, model, rep);
    CHECK(strstr(rep, "precision from the hls4ml configuration") != NULL, "%s: no report", cfg);
    htypes h;
    read_types(stem, &h);
    /* the unquantized model, for the quantizers' types */
    l0_model m0;
    l0_import_info i0;
    char mp[1024];
    snprintf(mp, sizeof mp, "%s/%s", fixtures, model);
    l0_import_opts o;
    memset(&o, 0, sizeof o);
    if (l0_import_keras(mp, &o, &m0, &i0, &err)) exit(1);

    const hrow *r = find(&h, info.input_layer, "result");
    CHECK(r && type_eq(&m.t_in, &r->t), "%s: input_t %s, hls4ml %s", cfg, ts(&m.t_in),
          r ? ts(&r->t) : "?");
    r = find(&h, info.sum_layer, "result");
    CHECK(r && type_eq(&m.t_ksum, &r->t), "%s: ksum_t %s, hls4ml %s", cfg, ts(&m.t_ksum),
          r ? ts(&r->t) : "?");
    for (int k = 0; k < l0_model_n_layers(&m); k++) {
        const l0_layer *L = l0_model_layer_c(&m, k);
        const char *d = info.dense[k];
        const hrow *w = find(&h, d, "weight"), *b = find(&h, d, "bias"), *a = find(&h, d, "accum");
        if (info.quantized[k]) {
            /* QKeras: the quantizers' types (hls4ml's have the same W and I, its modes do not
             * matter for weights QKeras already quantized; hls4ml 1.0.0 loses the quantizers of
             * a Dense on the cells, so phi is not compared with it) */
            const l0_layer *L0 = l0_model_layer_c(&m0, k);
            CHECK(type_eq(&L->t_w, &L0->t_w) && type_eq(&L->t_b, &L0->t_b),
                  "%s: %s: weight %s bias %s, the quantizers' %s %s", cfg, d, ts(&L->t_w),
                  ts(&L->t_b), ts(&L0->t_w), ts(&L0->t_b));
            if (k >= m.n_phi)
                CHECK(w && b && w->t.w == L->t_w.w && w->t.i == L->t_w.i && b->t.w == L->t_b.w &&
                          b->t.i == L->t_b.i,
                      "%s: %s: quantized weight %s bias %s, hls4ml %s %s", cfg, d, ts(&L->t_w),
                      ts(&L->t_b), w ? ts(&w->t) : "?", b ? ts(&b->t) : "?");
        } else {
            CHECK(w && type_eq(&L->t_w, &w->t), "%s: %s weight %s, hls4ml %s", cfg, d, ts(&L->t_w),
                  w ? ts(&w->t) : "?");
            CHECK(b && type_eq(&L->t_b, &b->t), "%s: %s bias %s, hls4ml %s", cfg, d, ts(&L->t_b),
                  b ? ts(&b->t) : "?");
        }
        CHECK(a && type_eq(&L->t_acc, &a->t), "%s: %s accum %s, hls4ml %s", cfg, d, ts(&L->t_acc),
              a ? ts(&a->t) : "?");
        bool want_auto = (acc_auto_mask >> k) & 1;
        CHECK(L->acc_auto == want_auto, "%s: %s: acc_auto %d, expected %d", cfg, d, L->acc_auto,
              want_auto);
        const char *exc = NULL;
        for (size_t e = 0; e < sizeof EXCEPTIONS / sizeof *EXCEPTIONS; e++)
            if (!strcmp(EXCEPTIONS[e].stem, stem) && !strcmp(EXCEPTIONS[e].layer, d))
                exc = EXCEPTIONS[e].type;
        r = last_result(&h, &info, L, k);
        if (exc) {
            CHECK(!strcmp(ts(&L->t_res), exc), "%s: %s result %s, expected %s", cfg, d,
                  ts(&L->t_res), exc);
        } else {
            CHECK(r && type_eq(&L->t_res, &r->t), "%s: %s result %s, hls4ml %s (%s)", cfg, d,
                  ts(&L->t_res), r ? ts(&r->t) : "?", r ? r->node : "no node");
        }
    }
    /* the model is valid: it saves, loads back the same, and the golden model runs */
    char path[1024];
    snprintf(path, sizeof path, "%s/hls4ml_cfg_%s.json", tmp, stem);
    CHECK(!l0_model_save(&m, path, &err), "%s: save: %s", cfg, err.msg);
    l0_model back;
    if (!l0_model_load(path, &back, &err)) {
        char *j1 = l0_model_to_json(&m), *j2 = l0_model_to_json(&back);
        CHECK(j1 && j2 && !strcmp(j1, j2), "%s: the model does not load back the same", cfg);
        free(j1);
        free(j2);
        l0_model_free(&back);
    } else {
        CHECK(0, "%s: load: %s", cfg, err.msg);
    }
    l0_golden *g = l0_golden_create(&m, &err);
    CHECK(g != NULL, "%s: golden: %s", cfg, err.msg);
    if (g) {
        l0_cell cells[16];
        for (int i = 0; i < 16; i++)
            cells[i] = (l0_cell){.e = 8.0f / (float)(i + 1) - 0.3f,
                                 .eta = 0.01f * (float)(i % 5) - 0.02f,
                                 .phi = 0.012f * (float)(i % 3) - 0.01f,
                                 .sigma = 0.1f,
                                 .layer = (uint8_t)(i % 7)};
        l0_cluster c;
        memset(&c, 0, sizeof c);
        c.n_cells = c.n_cells_total = 16;
        c.cells = cells;
        double y = 0;
        l0_golden_run(g, &c, &y);
        l0_golden_free(g);
    }
    l0_import_info_free(&i0);
    l0_model_free(&m0);
    l0_import_info_free(&info);
    if (out)
        *out = m;
    else
        l0_model_free(&m);
}

/* Two models with the same JSON. */
static void check_same(const char *what, const l0_model *a, const l0_model *b) {
    char *j1 = l0_model_to_json(a), *j2 = l0_model_to_json(b);
    CHECK(j1 && j2 && !strcmp(j1, j2), "%s: the JSON and the YAML configuration differ", what);
    free(j1);
    free(j2);
}

/* --- bad and special configurations ---------------------------------------------------------- */

static void write_file(const char *name, const char *text, size_t len, char *path, size_t n) {
    snprintf(path, n, "%s/%s", tmp, name);
    FILE *f = fopen(path, "wb");
    if (!f || fwrite(text, 1, len, f) != len) {
        printf("FAIL: cannot write %s\n", path);
        exit(1);
    }
    fclose(f);
}

/* The configuration `text` (written as TMP/name) must be refused with an error holding each of
 * the (up to 3) strings given, and the file name. */
static void expect_refused(const char *model, const char *name, const char *text, const char *s1,
                           const char *s2, const char *s3) {
    char path[1024];
    write_file(name, text, strlen(text), path, sizeof path);
    l0_model m;
    l0_import_info info;
    l0_err err;
    char rep[4096];
    int rc = import_cfg(model, path, &m, &info, rep, sizeof rep, &err);
    CHECK(rc != 0, "%s: accepted, expected a refusal", name);
    if (rc) {
        printf("%s: refused: %s\n", name, err.msg);
        CHECK(strstr(err.msg, path) != NULL, "%s: the error does not name the file: %s", name,
              err.msg);
        const char *want[] = {s1, s2, s3};
        for (int i = 0; i < 3; i++)
            CHECK(!want[i] || strstr(err.msg, want[i]), "%s: the error lacks '%s': %s", name,
                  want[i], err.msg);
    }
    l0_import_info_free(&info);
    l0_model_free(&m);
}

/* The configuration must be accepted; returns the model (free it) and the report. */
static bool expect_ok(const char *model, const char *name, const char *text, l0_model *m, char *rep,
                      size_t rep_len) {
    char path[1024];
    write_file(name, text, strlen(text), path, sizeof path);
    l0_import_info info;
    l0_err err;
    int rc = import_cfg(model, path, m, &info, rep, rep_len, &err);
    l0_import_info_free(&info);
    CHECK(rc == 0, "%s: refused: %s", name, err.msg);
    if (rc) l0_model_free(m);
    return rc == 0;
}

static void check_type(const char *what, const l0_fx_type *t, const char *want) {
    l0_fx_type w;
    l0_err err;
    if (l0_fx_parse(want, &w, &err)) {
        printf("FAIL: test type '%s'\n", want);
        exit(1);
    }
    CHECK(type_eq(t, &w), "%s: %s, expected %s", what, ts(t), ts(&w));
}

static void check_bad(void) {
    const char *seq = "deepsets_seq.keras";
    /* not a configuration */
    expect_refused(seq, "bad_json.json", "{ \"Model\": { \"Precision\": ", "not valid JSON", NULL,
                   NULL);
    expect_refused(seq, "bad_yaml.yml", "Model:\n  Precision: [fixed<16,6>\n",
                   "neither JSON nor valid YAML", "line", NULL);
    expect_refused(seq, "text.yml", "these are not the precisions you are looking for\n",
                   "not an hls4ml configuration", NULL, NULL);
    expect_refused(seq, "other.json", "{\"OutputDir\": \"x\", \"Backend\": \"Vivado\"}",
                   "no Model, LayerType or LayerName section", "OutputDir", NULL);
    expect_refused(seq, "empty.yml", "\n\n", "empty", NULL, NULL);
    {
        char path[1024];
        static const char bin[] = {'P', 'K', 3, 4, 0, 0, 1, 2};
        write_file("binary.cfg", bin, sizeof bin, path, sizeof path);
        l0_model m;
        l0_import_info info;
        l0_err err;
        CHECK(import_cfg(seq, path, &m, &info, NULL, 0, &err) != 0 && strstr(err.msg, "binary"),
              "a binary file: %s", err.msg);
        l0_import_info_free(&info);
        l0_model_free(&m);
    }
    {
        char path[1024];
        snprintf(path, sizeof path, "%s/no_such_config.yml", tmp);
        remove(path);
        l0_model m;
        l0_import_info info;
        l0_err err;
        CHECK(import_cfg(seq, path, &m, &info, NULL, 0, &err) != 0 &&
                  strstr(err.msg, "no_such_config.yml: cannot open"),
              "a missing file: %s", err.msg);
        l0_import_info_free(&info);
        l0_model_free(&m);
    }
    /* structure and types, with the field named */
    expect_refused(seq, "list.json", "{\"LayerName\": [\"phi0\"]}", "LayerName: a list", NULL,
                   NULL);
    expect_refused(seq, "unknown.json",
                   "{\"Model\": {\"Precision\": \"fixed<16,6>\"}, \"LayerName\": {\"phi0\": "
                   "{\"Precision\": \"fixed<8,3>\"}, \"phi9\": {\"Precision\": \"fixed<8,3>\"}, "
                   "\"dense_7\": {}}}",
                   "LayerName: no layers 'phi9', 'dense_7' in the model", "another model",
                   "phi0_relu");
    expect_refused(seq, "bad_type.yml",
                   "Model:\n  Precision:\n    default: fixed<16,6>\nLayerName:\n  phi0:\n"
                   "    Precision:\n      weight: fixed<16>\n",
                   "LayerName.phi0.Precision.weight: 'fixed<16>'", NULL, NULL);
    expect_refused(seq, "ac_type.yml", "Model:\n  Precision: ac_fixed<16,6,true>\n",
                   "Model.Precision: 'ac_fixed<16,6,true>'", NULL, NULL);
    expect_refused(seq, "number.json",
                   "{\"LayerName\": {\"rho1\": {\"Precision\": {\"bias\": 16}}}}",
                   "LayerName.rho1.Precision.bias: a number", NULL, NULL);
    expect_refused(seq, "bad_mode.json",
                   "{\"LayerType\": {\"Dense\": {\"Precision\": {\"result\": "
                   "\"fixed<16,6,RND,WRAPX>\"}}}}",
                   "LayerType.Dense.Precision.result: 'fixed<16,6,RND,WRAPX>'", NULL, NULL);
    expect_refused(seq, "default_auto.yml", "Model:\n  Precision:\n    default: auto\n",
                   "Model.Precision.default: 'auto'", NULL, NULL);
    expect_refused(seq, "sat_accum.yml",
                   "Model:\n  Precision: fixed<16,6>\nLayerName:\n  rho0:\n    Precision:\n"
                   "      accum: fixed<24,10,TRN,SAT>\n",
                   "LayerName.rho0.Precision.accum", "saturating accumulator", NULL);
    /* the ReLU: one cast in l0sim */
    expect_refused(seq, "relu_unsigned_wrap.yml",
                   "Model:\n  Precision: fixed<16,6>\nLayerName:\n  phi0_relu:\n    Precision:\n"
                   "      result: ufixed<8,3>\n",
                   "LayerName.phi0_relu.Precision.result: ufixed<8,3>", "phi0",
                   "casts a Dense and its ReLU once");
    expect_refused(seq, "relu_differs.json",
                   "{\"Model\": {\"Precision\": \"fixed<16,6>\"}, \"LayerName\": {\"rho0\": "
                   "{\"Precision\": {\"result\": \"fixed<12,4>\"}}, \"rho0_relu\": {\"Precision\": "
                   "{\"result\": \"fixed<10,3>\"}}}}",
                   "LayerName.rho0_relu.Precision.result: fixed<10,3>",
                   "differs from rho0's result", NULL);
    expect_refused(seq, "twice.yml",
                   "Model:\n  Precision: fixed<16,6>\nLayerName:\n  phi1:\n    Precision:\n"
                   "      result: fixed<12,4,RND,SAT>\n  phi1_linear:\n    Precision:\n"
                   "      result: fixed<10,3>\n",
                   "LayerName.phi1_linear.Precision.result: fixed<10,3>",
                   "rounds phi1's accumulator twice", NULL);

    /* accepted */
    l0_model m;
    char rep[16384];
    /* the ReLU's type holds every non-negative value of the Dense's: one cast, the Dense's */
    if (expect_ok(seq, "relu_holds.json",
                  "{\"Model\": {\"Precision\": \"fixed<16,6>\"}, \"LayerName\": {\"rho0\": "
                  "{\"Precision\": {\"result\": \"fixed<12,4>\"}}, \"rho0_relu\": {\"Precision\": "
                  "{\"result\": \"ufixed<11,3>\"}}}}",
                  &m, rep, sizeof rep)) {
        check_type("relu_holds: rho0 result", &m.rho[0].t_res, "ap_fixed<12,4>");
        l0_model_free(&m);
    }
    /* a saturating unsigned ReLU type: it commutes with the ReLU */
    if (expect_ok(seq, "relu_sat.yml",
                  "Model:\n  Precision: fixed<16,6>\nLayerName:\n  phi0_relu:\n    Precision:\n"
                  "      result: ufixed<8,3,RND,SAT>\n",
                  &m, rep, sizeof rep)) {
        check_type("relu_sat: phi0 result", &m.phi[0].t_res, "ap_ufixed<8,3,AP_RND,AP_SAT>");
        check_type("relu_sat: phi1 weight", &m.phi[1].t_w, "ap_fixed<16,6>");
        l0_model_free(&m);
    }
    /* two casts that compose: floor to 10 then 8 fractional bits, wrap to 5 then 4 integer bits */
    if (expect_ok(seq, "compose.yml",
                  "Model:\n  Precision: fixed<16,6>\nLayerName:\n  phi1:\n    Precision:\n"
                  "      result: fixed<15,5>\n  phi1_linear:\n    Precision:\n"
                  "      result: fixed<12,4>\n  phi1_relu:\n    Precision:\n"
                  "      result: fixed<12,4>\n",
                  &m, rep, sizeof rep)) {
        check_type("compose: phi1 result", &m.phi[1].t_res, "ap_fixed<12,4>");
        CHECK(!strstr(rep, "note:"), "compose: a note: %s", rep);
        l0_model_free(&m);
    }
    /* wrap then saturate: the same values except where the first cast overflows (a note) */
    if (expect_ok(seq, "compose_ovf.yml",
                  "Model:\n  Precision: fixed<16,6>\nLayerName:\n  phi1:\n    Precision:\n"
                  "      result: fixed<15,5>\n  phi1_linear:\n    Precision:\n"
                  "      result: fixed<12,4,TRN,SAT>\n  phi1_relu:\n    Precision:\n"
                  "      result: fixed<12,4,TRN,SAT>\n",
                  &m, rep, sizeof rep)) {
        check_type("compose_ovf: phi1 result", &m.phi[1].t_res, "ap_fixed<12,4,AP_TRN,AP_SAT>");
        CHECK(strstr(rep, "note: hls4ml casts to ap_fixed<15,5> (LayerName.phi1.Precision.result) "
                          "first"),
              "compose_ovf: no note: %s", rep);
        l0_model_free(&m);
    }
    /* a whole project configuration (HLSConfig), names in another case */
    if (expect_ok(seq, "project.yml",
                  "OutputDir: prj\nProjectName: myproject\nHLSConfig:\n  Model:\n"
                  "    Precision: fixed<18,8>\n  LayerName:\n    PHI0:\n      Precision:\n"
                  "        weight: fixed<8,3>\n",
                  &m, rep, sizeof rep)) {
        check_type("project: input_t", &m.t_in, "ap_fixed<18,8>");
        check_type("project: phi0 weight", &m.phi[0].t_w, "ap_fixed<8,3>");
        check_type("project: out result", &m.rho[m.n_rho - 1].t_res, "ap_fixed<18,8>");
        CHECK(strstr(rep, "HLSConfig.LayerName.PHI0.Precision.weight") != NULL,
              "project: the report lacks the field: %s", rep);
        l0_model_free(&m);
    }
    /* only some tensors: the rest keep l0sim's types */
    if (expect_ok(seq, "partial.json",
                  "{\"LayerName\": {\"rho0\": {\"Precision\": {\"weight\": \"fixed<10,2>\"}}}}", &m,
                  rep, sizeof rep)) {
        check_type("partial: rho0 weight", &m.rho[0].t_w, "ap_fixed<10,2>");
        check_type("partial: input_t", &m.t_in, "ap_fixed<16,6,AP_RND,AP_SAT>");
        check_type("partial: phi0 result", &m.phi[0].t_res, "ap_fixed<16,6,AP_RND,AP_SAT>");
        CHECK(m.rho[0].acc_auto, "partial: rho0's accumulator is no longer auto");
        CHECK(strstr(rep, "not in the configuration: kept") != NULL, "partial: %s", rep);
        l0_model_free(&m);
    }
    /* a layer l0sim maps to the identity (keras2_seq.h5 has a Dropout 'drop') */
    if (expect_ok("keras2_seq.h5", "dropout.json",
                  "{\"Model\": {\"Precision\": \"fixed<16,6>\"}, \"LayerName\": {\"drop\": "
                  "{\"Precision\": \"fixed<8,3>\"}}}",
                  &m, rep, sizeof rep)) {
        CHECK(strstr(rep, "LayerName.drop: layer 'drop' (Dropout) has no tensor of its own") !=
                  NULL,
              "dropout: %s", rep);
        l0_model_free(&m);
    }
}

int main(int argc, char **argv) {
    if (argc != 3) {
        fprintf(stderr, "usage: test_hls4ml_cfg FIXTURE_DIR TMP_DIR\n");
        return 2;
    }
    fixtures = argv[1];
    tmp = argv[2];
    const char *seq = "deepsets_seq.keras", *qk = "qkeras_deepsets.h5";
    /* config_from_keras_model as it comes: JSON and YAML give the same model */
    static const char *const G[] = {"model", "type", "name"};
    for (int g = 0; g < 3; g++) {
        char cj[80], cy[80], stem[64];
        snprintf(stem, sizeof stem, "hls4ml_%s", G[g]);
        snprintf(cj, sizeof cj, "%s.json", stem);
        snprintf(cy, sizeof cy, "%s.yml", stem);
        l0_model a, b;
        check_config(seq, cj, stem, 0, &a);
        check_config(seq, cy, stem, 0, &b);
        check_same(stem, &a, &b);
        l0_model_free(&a);
        l0_model_free(&b);
    }
    check_config(seq, "hls4ml_name_vitis.json", "hls4ml_name_vitis", 0x1f, NULL);
    check_config(seq, "hls4ml_name_edited.yml", "hls4ml_name_edited", 0x01, NULL);
    check_config(seq, "hls4ml_type_edited.json", "hls4ml_type_edited", 0x1c, NULL);
    check_config(seq, "hls4ml_precedence.json", "hls4ml_precedence", 0, NULL);
    check_config(qk, "hls4ml_qkeras_model.yml", "hls4ml_qkeras_model", 0, NULL);
    check_config(qk, "hls4ml_qkeras_name_edited.yml", "hls4ml_qkeras_name_edited", 0x0f, NULL);
    /* hls4ml's own QKeras 'name' configuration rounds the input twice (the input layer's
     * fixed<16,6>, then the quantizer's): refused, naming the field */
    {
        l0_model m;
        l0_import_info info;
        l0_err err;
        int rc = import_cfg(qk, "hls4ml_qkeras_name.yml", &m, &info, NULL, 0, &err);
        CHECK(rc != 0 &&
                  strstr(err.msg, "hls4ml_qkeras_name.yml: LayerName.in_q.Precision.result") &&
                  strstr(err.msg, "rounds the input twice"),
              "hls4ml_qkeras_name.yml: %s", rc ? err.msg : "accepted");
        if (rc) printf("hls4ml_qkeras_name.yml: refused: %s\n", err.msg);
        l0_import_info_free(&info);
        l0_model_free(&m);
    }
    /* notes in the report */
    {
        l0_model m;
        l0_import_info info;
        l0_err err;
        static char rep[65536];
        if (!import_cfg(seq, "hls4ml_name_vitis.json", &m, &info, rep, sizeof rep, &err)) {
            CHECK(strstr(rep, "note: hls4ml applies the ReLU before this AP_WRAP cast") != NULL,
                  "vitis: no ReLU note");
        }
        l0_import_info_free(&info);
        l0_model_free(&m);
        if (!import_cfg(seq, "hls4ml_type_edited.json", &m, &info, rep, sizeof rep, &err)) {
            CHECK(strstr(rep, "LayerType.InputLayer: not used") != NULL, "type_edited: %s", rep);
            CHECK(strstr(rep, "LayerType.PointwiseConv1D: the phi layers") != NULL,
                  "type_edited: %s", rep);
        }
        l0_import_info_free(&info);
        l0_model_free(&m);
    }
    check_bad();
    if (failures) {
        printf("%d failure(s)\n", failures);
        return 1;
    }
    printf("test_hls4ml_cfg: all passed\n");
    return 0;
}
