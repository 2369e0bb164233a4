/* test_model_file: the model file (docs/model-format.md).
 * 1. save/load round trip: weights, biases and feature constants identical bit for bit
 *    (awkward doubles included), precisions identical, and saving again gives identical bytes;
 *    the save leaves no temporary file behind and fails cleanly into a missing directory;
 * 2. the hls4ml auto accumulator (W = Ww + Wx + ceil(log2 n_in) + 1, I = Iw + Ix +
 *    ceil(log2 n_in) + 1, signed if either factor is, AP_TRN/AP_WRAP) on layers with n_in from 1
 *    to 256, signed and unsigned, negative I, the 64-bit limit; through l0_model_init,
 *    l0_model_set_precision and a loaded file;
 * 3. bad model files: a good JSON text written here, modified (a key set to a bad value,
 *    deleted or added, the text cut, garbage), through l0_model_parse and through l0_model_load
 *    on a temp file; each must give -1 and one error line that names the file and the field. */
#include <ctype.h>
#include <dirent.h>
#include <float.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include <cjson/cJSON.h>

#include "hls4ml_accum.h"
#include "l0_model.h"
#include "l0_rng.h"

static int g_fails;
static int g_checks;
static char g_tmp[256];

#define FAIL(...)                                                                                  \
    do {                                                                                           \
        g_fails++;                                                                                 \
        if (g_fails <= 60) {                                                                       \
            printf("FAIL (line %d): ", __LINE__);                                                  \
            printf(__VA_ARGS__);                                                                   \
            printf("\n");                                                                          \
        }                                                                                          \
    } while (0)

static double now_s(void) {
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec + 1e-9 * (double)ts.tv_nsec;
}

static l0_fx_type T(const char *s) {
    l0_fx_type t;
    l0_err err;
    if (l0_fx_parse(s, &t, &err)) {
        printf("test setup: bad type %s: %s\n", s, err.msg);
        exit(2);
    }
    return t;
}

static const char *tstr(const l0_fx_type *t, char *buf) {
    l0_fx_type_str(t, buf, 96);
    return buf;
}

static bool type_eq(const l0_fx_type *a, const l0_fx_type *b) {
    return a->w == b->w && a->i == b->i && a->is_signed == b->is_signed && a->q == b->q &&
           a->o == b->o;
}

static char *read_all(const char *path, size_t *len) {
    FILE *f = fopen(path, "rb");
    if (!f) return NULL;
    size_t cap = 4096, n = 0;
    char *b = malloc(cap + 1);
    size_t r;
    while ((r = fread(b + n, 1, cap - n, f)) > 0) {
        n += r;
        if (n == cap) b = realloc(b, (cap *= 2) + 1);
    }
    fclose(f);
    b[n] = 0;
    if (len) *len = n;
    return b;
}

static void write_all(const char *path, const char *data, size_t n) {
    FILE *f = fopen(path, "wb");
    if (!f || fwrite(data, 1, n, f) != n) {
        printf("test setup: cannot write %s\n", path);
        exit(2);
    }
    fclose(f);
}

/* ---- the good model text -------------------------------------------------------------------- */

static const char *GOOD =
    "{\n"
    "  \"format\": \"l0sim-deepsets-model\",\n"
    "  \"version\": 1,\n"
    "  \"name\": \"test-small\",\n"
    "  \"cells_max\": 64,\n"
    "  \"features\": [\n"
    "    {\"kind\": \"energy\", \"transform\": \"log\", \"offset\": 0, \"scale\": 1, \"min\": "
    "0.001},\n"
    "    {\"kind\": \"deta\", \"transform\": \"linear\", \"offset\": 0, \"scale\": 10},\n"
    "    {\"kind\": \"dphi\", \"transform\": \"linear\", \"offset\": 0, \"scale\": 10},\n"
    "    {\"kind\": \"layer\", \"transform\": \"linear\", \"offset\": 3, \"scale\": 0.5}\n"
    "  ],\n"
    "  \"target\": {\"kind\": \"energy\", \"scale\": 100},\n"
    "  \"precision\": {\"input\": \"ap_fixed<16,6,AP_RND,AP_SAT>\", \"ksum\": "
    "\"ap_fixed<20,10,AP_RND,AP_SAT>\"},\n"
    "  \"phi\": [\n"
    "    {\"n_in\": 4, \"n_out\": 5, \"activation\": \"relu\",\n"
    "     \"precision\": {\"weight\": \"ap_fixed<16,6>\", \"bias\": \"ap_fixed<16,6>\", "
    "\"accum\": \"auto\", \"result\": \"ap_fixed<16,6,AP_RND,AP_SAT>\"},\n"
    "     \"weights\": [[0.11, -0.12, 0.13, 0.14], [0.21, 0.22, -0.23, 0.24], [-0.31, 0.32, 0.33, "
    "0.34],\n"
    "                 [0.41, 0.42, 0.43, -0.44], [0.51, -0.52, 0.53, 0.54]],\n"
    "     \"bias\": [0.01, 0.02, -0.03, 0.04, 0.05]},\n"
    "    {\"n_in\": 5, \"n_out\": 4, \"activation\": \"relu\",\n"
    "     \"precision\": {\"weight\": \"ap_fixed<12,3,AP_RND,AP_SAT>\", \"bias\": "
    "\"ap_fixed<10,4>\", \"accum\": \"auto\", \"result\": \"ap_ufixed<14,6,AP_RND,AP_SAT>\"},\n"
    "     \"weights\": [[1.1, 1.2, -1.3, 1.4, 1.5], [2.1, -2.2, 2.3, 2.4, 2.5], [3.1, 3.2, 3.3, "
    "0.123456789, -3.5],\n"
    "                 [-4.1, 4.2, 4.3, 4.4, 4.5]],\n"
    "     \"bias\": [-0.1, 0.2, 0.3, 0.4]}\n"
    "  ],\n"
    "  \"rho\": [\n"
    "    {\"n_in\": 4, \"n_out\": 3, \"activation\": \"relu\",\n"
    "     \"precision\": {\"weight\": \"ap_fixed<16,6>\", \"bias\": \"ap_fixed<16,6>\", "
    "\"accum\": \"ap_fixed<40,16>\", \"result\": \"ap_fixed<16,6,AP_RND,AP_SAT>\"},\n"
    "     \"weights\": [[0.5, 0.6, 0.7, 0.8], [-0.5, 0.6, -0.7, 0.8], [0.05, 0.06, 0.07, -0.08]],\n"
    "     \"bias\": [0.1, 0.2, 0.3]},\n"
    "    {\"n_in\": 3, \"n_out\": 1, \"activation\": \"linear\",\n"
    "     \"precision\": {\"weight\": \"ap_fixed<8,-1,AP_RND_CONV,AP_SAT>\", \"bias\": "
    "\"ap_fixed<16,6>\", \"accum\": \"auto\", \"result\": "
    "\"ap_fixed<18,8,AP_RND_CONV,AP_SAT_SYM>\"},\n"
    "     \"weights\": [[0.2, -0.1, 0.05]],\n"
    "     \"bias\": [0.25]}\n"
    "  ],\n"
    "  \"training\": {\"recipe\": {\"lr\": 0.001, \"epochs\": 40}, \"metrics\": {\"mpe\": 1.25}}\n"
    "}\n";

/* ---- helpers: compare models ---------------------------------------------------------------- */

static bool same_bits(double a, double b) {
    return memcmp(&a, &b, sizeof a) == 0;
}

/* Returns 0 if equal; else describes the first difference. */
static int model_diff(const l0_model *a, const l0_model *b, char *why, size_t n) {
    char b1[96], b2[96];
    if (strcmp(a->name, b->name)) return snprintf(why, n, "name '%s' vs '%s'", a->name, b->name);
    if (a->n_feat != b->n_feat) return snprintf(why, n, "n_feat");
    for (int f = 0; f < a->n_feat; f++) {
        const l0_feature *x = &a->feat[f], *y = &b->feat[f];
        if (x->kind != y->kind || x->transform != y->transform ||
            !same_bits(x->offset, y->offset) || !same_bits(x->scale, y->scale) ||
            (x->transform == L0_TRANSFORM_LOG && !same_bits(x->min, y->min)))
            return snprintf(why, n, "features[%d]", f);
    }
    if (!same_bits(a->target_scale, b->target_scale)) return snprintf(why, n, "target.scale");
    if (a->cells_max != b->cells_max) return snprintf(why, n, "cells_max");
    if (!type_eq(&a->t_in, &b->t_in))
        return snprintf(why, n, "precision.input %s vs %s", tstr(&a->t_in, b1), tstr(&b->t_in, b2));
    if (!type_eq(&a->t_ksum, &b->t_ksum))
        return snprintf(why, n, "precision.ksum %s vs %s", tstr(&a->t_ksum, b1),
                        tstr(&b->t_ksum, b2));
    if (a->n_phi != b->n_phi || a->n_rho != b->n_rho) return snprintf(why, n, "layer counts");
    for (int k = 0; k < l0_model_n_layers(a); k++) {
        const l0_layer *x = l0_model_layer_c(a, k), *y = l0_model_layer_c(b, k);
        if (x->n_in != y->n_in || x->n_out != y->n_out || x->relu != y->relu)
            return snprintf(why, n, "layer %d shape/activation", k);
        const l0_fx_type *tx[4] = {&x->t_w, &x->t_b, &x->t_acc, &x->t_res};
        const l0_fx_type *ty[4] = {&y->t_w, &y->t_b, &y->t_acc, &y->t_res};
        static const char *nm[4] = {"weight", "bias", "accum", "result"};
        for (int q = 0; q < 4; q++)
            if (!type_eq(tx[q], ty[q]))
                return snprintf(why, n, "layer %d precision.%s %s vs %s", k, nm[q], tstr(tx[q], b1),
                                tstr(ty[q], b2));
        if (x->acc_auto != y->acc_auto) return snprintf(why, n, "layer %d accum auto flag", k);
        for (int q = 0; q < x->n_in * x->n_out; q++)
            if (!same_bits(x->w[q], y->w[q]))
                return snprintf(why, n, "layer %d weights[%d][%d]: %.17g vs %.17g", k, q / x->n_in,
                                q % x->n_in, x->w[q], y->w[q]);
        for (int q = 0; q < x->n_out; q++)
            if (!same_bits(x->b[q], y->b[q]))
                return snprintf(why, n, "layer %d bias[%d]: %.17g vs %.17g", k, q, x->b[q],
                                y->b[q]);
    }
    if ((a->training_json == NULL) != (b->training_json == NULL))
        return snprintf(why, n, "training present in one only");
    return 0;
}

/* ---- 1. round trip ------------------------------------------------------------------------- */

static int count_dir_entries(const char *dir) {
    DIR *d = opendir(dir);
    int n = 0;
    struct dirent *e;
    while (d && (e = readdir(d)))
        if (strcmp(e->d_name, ".") && strcmp(e->d_name, "..")) n++;
    if (d) closedir(d);
    return n;
}

static void round_trip_one(const l0_model *m, const char *label) {
    char p1[512], p2[512], why[512];
    l0_err err;
    snprintf(p1, sizeof p1, "%s/rt-a.json", g_tmp);
    snprintf(p2, sizeof p2, "%s/rt-b.json", g_tmp);
    g_checks++;
    int before = count_dir_entries(g_tmp);
    if (l0_model_save(m, p1, &err)) {
        FAIL("%s: save: %s", label, err.msg);
        return;
    }
    if (count_dir_entries(g_tmp) != before + 1)
        FAIL("%s: save left %d entries in the directory (want %d): a temporary file?", label,
             count_dir_entries(g_tmp), before + 1);
    l0_model m2;
    if (l0_model_load(p1, &m2, &err)) {
        FAIL("%s: load of the saved file: %s", label, err.msg);
        return;
    }
    if (model_diff(m, &m2, why, sizeof why)) FAIL("%s: round trip changed %s", label, why);
    if (l0_model_save(&m2, p2, &err)) {
        FAIL("%s: second save: %s", label, err.msg);
    } else {
        size_t n1, n2;
        char *a = read_all(p1, &n1), *b = read_all(p2, &n2);
        if (!a || !b || n1 != n2 || memcmp(a, b, n1))
            FAIL("%s: saving the loaded model gives different bytes (%zu vs %zu)", label, n1, n2);
        /* l0_model_to_json gives the same text as the file */
        char *j = l0_model_to_json(&m2);
        if (!j || strncmp(j, a ? a : "", strlen(j)) != 0)
            FAIL("%s: l0_model_to_json differs from the saved file", label);
        /* and parsing that text gives the model again */
        l0_model m3;
        if (j && l0_model_parse(j, "to_json", &m3, &err) == 0) {
            if (model_diff(m, &m3, why, sizeof why))
                FAIL("%s: to_json/parse changed %s", label, why);
            l0_model_free(&m3);
        } else if (j) {
            FAIL("%s: parse of to_json: %s", label, err.msg);
        }
        free(j);
        free(a);
        free(b);
    }
    /* copy */
    l0_model mc;
    if (l0_model_copy(&mc, &m2, &err)) {
        FAIL("%s: copy: %s", label, err.msg);
    } else {
        if (model_diff(m, &mc, why, sizeof why)) FAIL("%s: copy changed %s", label, why);
        l0_model_free(&mc);
    }
    l0_model_free(&m2);
    unlink(p1);
    unlink(p2);
}

static void test_round_trip(void) {
    l0_err err;
    l0_model m;
    /* a. the default model with random biases and awkward doubles */
    int phi[] = {16, 16}, rho[] = {16, 1};
    if (l0_model_init(&m, phi, 2, rho, 2, 42, NULL, &err)) {
        FAIL("init: %s", err.msg);
        return;
    }
    l0_rng r;
    l0_rng_seed(&r, 42, 1);
    for (int k = 0; k < l0_model_n_layers(&m); k++) {
        l0_layer *L = l0_model_layer(&m, k);
        for (int j = 0; j < L->n_out; j++) L->b[j] = l0_rng_normal(&r) / 3;
    }
    static const double odd[] = {0.1,
                                 1.0 / 3,
                                 -2.0 / 3,
                                 -0.0,
                                 5e-324,
                                 -4.9406564584124654e-324,
                                 2.2250738585072014e-308,
                                 2.2250738585072009e-308,
                                 DBL_MAX,
                                 -DBL_MAX,
                                 1e300,
                                 123456789.123456789,
                                 0.30000000000000004,
                                 1 + DBL_EPSILON,
                                 9007199254740993.0,
                                 -1e-300};
    size_t nodd = sizeof odd / sizeof odd[0];
    for (size_t q = 0; q < nodd; q++) m.phi[1].w[q * 7 % 256] = odd[q];
    m.rho[0].b[3] = 1.0 / 7;
    m.rho[1].b[0] = -0.0;
    m.feat[1].scale = 1.0 / 3;
    m.feat[2].offset = -0.1;
    m.target_scale = 37.5;
    m.cells_max = 17;
    snprintf(m.name, sizeof m.name, "round \"trip\" \\ name/1");
    round_trip_one(&m, "default model, awkward doubles");

    /* b. mixed precisions: every quant and overflow mode, unsigned, I < 0 and I > W,
     *    explicit and auto accumulators */
    static const char *types[] = {"ap_fixed<16,6,AP_RND,AP_SAT>",
                                  "ap_ufixed<12,4,AP_RND_CONV,AP_SAT_SYM>",
                                  "ap_fixed<9,-2,AP_TRN_ZERO,AP_SAT_ZERO>",
                                  "ap_fixed<7,10,AP_RND_ZERO,AP_WRAP>",
                                  "ap_fixed<20,8,AP_RND_MIN_INF,AP_SAT>",
                                  "ap_ufixed<1,1,AP_RND_INF,AP_SAT>",
                                  "ap_fixed<64,32>",
                                  "ap_fixed<1,1>"};
    m.t_in = T("ap_fixed<18,7,AP_RND_INF,AP_SAT_SYM>");
    m.t_ksum = T("ap_ufixed<24,12,AP_RND_CONV,AP_SAT>");
    for (int k = 0; k < l0_model_n_layers(&m); k++) {
        l0_layer *L = l0_model_layer(&m, k);
        L->t_w = T(types[(k + 0) % 8]);
        L->t_b = T(types[(k + 3) % 8]);
        L->t_res = T(types[(k + 4) % 8]);
        if (k % 2) {
            L->acc_auto = false;
            L->t_acc = T(k == 1 ? "ap_fixed<48,20,AP_RND,AP_WRAP>" : "ap_ufixed<30,10>");
        } else {
            L->acc_auto = true;
            L->t_w = T("ap_fixed<10,3>");
        }
    }
    if (l0_model_update_auto_accum(&m, &err))
        FAIL("update_auto_accum (mixed): %s", err.msg);
    else
        round_trip_one(&m, "mixed precisions");
    l0_model_free(&m);

    /* c. the hand-written good text (training object kept) */
    if (l0_model_parse(GOOD, "good.json", &m, &err)) {
        FAIL("the good model text does not parse: %s", err.msg);
        return;
    }
    if (!m.training_json || !strstr(m.training_json, "epochs"))
        FAIL("training object not kept: %s", m.training_json ? m.training_json : "(null)");
    round_trip_one(&m, "hand-written file");
    /* the training object survives a save and load verbatim */
    char p[512];
    snprintf(p, sizeof p, "%s/rt-train.json", g_tmp);
    l0_model m2;
    if (l0_model_save(&m, p, &err) == 0 && l0_model_load(p, &m2, &err) == 0) {
        if (!m2.training_json || strcmp(m.training_json, m2.training_json))
            FAIL("training object changed: '%s' vs '%s'", m.training_json,
                 m2.training_json ? m2.training_json : "(null)");
        l0_model_free(&m2);
    } else {
        FAIL("save/load with training: %s", err.msg);
    }
    unlink(p);

    /* d. saving into a missing directory fails cleanly, naming the path */
    char bad[600];
    snprintf(bad, sizeof bad, "%s/no-such-dir/m.json", g_tmp);
    g_checks++;
    if (l0_model_save(&m, bad, &err) != -1)
        FAIL("save into a missing directory did not fail");
    else if (!strstr(err.msg, bad))
        FAIL("save error does not name the path: %s", err.msg);
    /* e. saving over an existing file replaces it */
    snprintf(p, sizeof p, "%s/rt-over.json", g_tmp);
    write_all(p, "old junk", 8);
    g_checks++;
    if (l0_model_save(&m, p, &err) || l0_model_load(p, &m2, &err)) {
        FAIL("save over an existing file: %s", err.msg);
    } else {
        l0_model_free(&m2);
    }
    unlink(p);
    l0_model_free(&m);
    printf("  round trip: default + awkward doubles, mixed precisions, hand-written file with "
           "training; bit-exact weights, same precisions, same bytes on re-save, to_json, copy, "
           "no temp files, missing dir\n");
}

/* ---- 2. the hls4ml auto accumulator ---------------------------------------------------------- */

static const l0_fx_type *layer_input_type(const l0_model *m, int k) {
    if (k == 0) return &m->t_in;
    if (k == m->n_phi) return &m->t_ksum;
    return &l0_model_layer_c(m, k - 1)->t_res;
}

static void check_auto(const l0_model *m, const char *label) {
    char b1[96], b2[96];
    for (int k = 0; k < l0_model_n_layers(m); k++) {
        const l0_layer *L = l0_model_layer_c(m, k);
        if (!L->acc_auto) continue;
        const l0_fx_type *tx = layer_input_type(m, k);
        l0_fx_type want = hls4ml_accum(tx, &L->t_w, &L->t_b, L->n_in);
        g_checks++;
        if (!type_eq(&L->t_acc, &want))
            FAIL("%s: layer %d (n_in %d, x %s): auto accum %s, hls4ml rule gives %s", label, k,
                 L->n_in, tstr(tx, b2), tstr(&L->t_acc, b1), tstr(&want, b2));
    }
}

static void test_auto_accum(void) {
    l0_err err;
    l0_model m;
    /* n_in: 4, 1, 2, 3, 5, 8, 9, 17, 64 (phi), 65, 128, 256 (rho) */
    int phi[] = {1, 2, 3, 5, 8, 9, 17, 64, 65}, rho[] = {128, 256, 1};
    if (l0_model_init(&m, phi, 9, rho, 3, 3, NULL, &err)) {
        FAIL("init (many layers): %s", err.msg);
        return;
    }
    for (int k = 0; k < l0_model_n_layers(&m); k++)
        if (!l0_model_layer_c(&m, k)->acc_auto) FAIL("default precision: layer %d not auto", k);
    check_auto(&m, "default precision");
    static const struct {
        const char *in, *w, *res, *ksum;
    } sets[] = {
        {"ap_ufixed<10,3,AP_RND,AP_SAT>", "ap_fixed<7,2>", "ap_ufixed<9,4,AP_RND,AP_SAT>",
         "ap_ufixed<14,8,AP_RND,AP_SAT>"},
        {"ap_ufixed<10,3,AP_RND,AP_SAT>", "ap_ufixed<6,1>", "ap_ufixed<9,4,AP_RND,AP_SAT>",
         "ap_ufixed<14,8,AP_RND,AP_SAT>"},
        {"ap_fixed<12,5>", "ap_fixed<8,-2>", "ap_fixed<11,12,AP_RND,AP_SAT>", "ap_fixed<6,9>"},
        {"ap_fixed<1,1>", "ap_fixed<1,1>", "ap_ufixed<1,0>", "ap_fixed<3,-4>"},
    };
    for (size_t s = 0; s < sizeof sets / sizeof sets[0]; s++) {
        l0_precision p;
        l0_precision_default(&p);
        p.input = T(sets[s].in);
        p.weight = T(sets[s].w);
        p.result = T(sets[s].res);
        p.ksum = T(sets[s].ksum);
        p.accum_auto = true;
        char label[160];
        snprintf(label, sizeof label, "set_precision in %s w %s", sets[s].in, sets[s].w);
        if (l0_model_set_precision(&m, &p, &err))
            FAIL("%s: %s", label, err.msg);
        else
            check_auto(&m, label);
    }
    /* per-layer types, then update_auto_accum; the explicit layer keeps its accum */
    m.phi[3].t_w = T("ap_fixed<13,-1>");
    m.phi[2].t_res = T("ap_ufixed<5,5>");
    m.rho[0].t_w = T("ap_ufixed<4,2>");
    m.t_ksum = T("ap_fixed<21,11>");
    m.phi[5].acc_auto = false;
    m.phi[5].t_acc = T("ap_fixed<33,9>");
    if (l0_model_update_auto_accum(&m, &err))
        FAIL("update_auto_accum: %s", err.msg);
    else {
        check_auto(&m, "per-layer types");
        if (!type_eq(&m.phi[5].t_acc, &(l0_fx_type){33, 9, true, L0_FX_TRN, L0_FX_WRAP}))
            FAIL("update_auto_accum changed an explicit accumulator");
    }
    l0_model_free(&m);

    /* the 64-bit limit: phi {4}, n_in = 4 (ceil log2 = 2): 31 + 30 + 2 + 1 = 64 fits, 32 + 30 + 3
     * = 65 does not */
    int phi1[] = {4}, rho1[] = {1};
    if (l0_model_init(&m, phi1, 1, rho1, 1, 4, NULL, &err)) {
        FAIL("init: %s", err.msg);
        return;
    }
    l0_precision p;
    l0_precision_default(&p);
    p.input = T("ap_fixed<31,6>");
    p.weight = T("ap_fixed<30,2>");
    p.ksum = T("ap_fixed<20,10>");
    p.result = T("ap_fixed<16,6>");
    p.accum_auto = true;
    g_checks++;
    if (l0_model_set_precision(&m, &p, &err))
        FAIL("a 64-bit auto accumulator was refused: %s", err.msg);
    else {
        check_auto(&m, "64-bit auto accum");
        if (m.phi[0].t_acc.w != 64) FAIL("phi[0] auto accum is %d bits, want 64", m.phi[0].t_acc.w);
    }
    p.input = T("ap_fixed<32,6>");
    g_checks++;
    if (l0_model_set_precision(&m, &p, &err) != -1)
        FAIL("a 65-bit auto accumulator was accepted");
    else if (!strstr(err.msg, "64"))
        FAIL("the 65-bit auto accumulator error does not say 64: %s", err.msg);
    else
        printf("  65-bit auto accum refused: %s\n", err.msg);
    l0_model_free(&m);

    /* from a file: the good text's auto layers, and "auto" survives a save */
    if (l0_model_parse(GOOD, "good.json", &m, &err)) {
        FAIL("good text: %s", err.msg);
        return;
    }
    check_auto(&m, "good.json");
    if (!m.phi[0].acc_auto || !m.phi[1].acc_auto || m.rho[0].acc_auto || !m.rho[1].acc_auto)
        FAIL("good.json: auto flags wrong");
    if (!type_eq(&m.rho[0].t_acc, &(l0_fx_type){40, 16, true, L0_FX_TRN, L0_FX_WRAP}))
        FAIL("good.json: rho[0] explicit accum not ap_fixed<40,16>");
    /* known values by hand: phi[0] x ap_fixed<16,6>, w ap_fixed<16,6>, n_in 4 -> <35,15>;
     * phi[1] x ap_fixed<16,6>, w ap_fixed<12,3>, n_in 5 -> <32,13>;
     * rho[1] x ap_fixed<16,6>, w ap_fixed<8,-1>, n_in 3 -> <27,8> */
    l0_fx_type w0 = {35, 15, true, L0_FX_TRN, L0_FX_WRAP},
               w1 = {32, 13, true, L0_FX_TRN, L0_FX_WRAP},
               w3 = {27, 8, true, L0_FX_TRN, L0_FX_WRAP};
    char b1[96];
    if (!type_eq(&m.phi[0].t_acc, &w0))
        FAIL("phi[0] auto accum %s, want ap_fixed<35,15>", tstr(&m.phi[0].t_acc, b1));
    if (!type_eq(&m.phi[1].t_acc, &w1))
        FAIL("phi[1] auto accum %s, want ap_fixed<32,13>", tstr(&m.phi[1].t_acc, b1));
    if (!type_eq(&m.rho[1].t_acc, &w3))
        FAIL("rho[1] auto accum %s, want ap_fixed<27,8>", tstr(&m.rho[1].t_acc, b1));
    g_checks += 3;
    char *j = l0_model_to_json(&m);
    l0_model m2;
    if (!j || l0_model_parse(j, "resaved.json", &m2, &err)) {
        FAIL("re-parse: %s", j ? err.msg : "to_json NULL");
    } else {
        if (!m2.phi[0].acc_auto || !m2.rho[1].acc_auto || m2.rho[0].acc_auto)
            FAIL("auto flags lost on save");
        l0_model_free(&m2);
    }
    free(j);
    l0_model_free(&m);
    printf("  auto accum: hls4ml rule on n_in 1..256, signed/unsigned, I<0 and I>W, per-layer "
           "types, explicit kept, 64 bits accepted and 65 refused, from a file and re-saved\n");
}

/* ---- 3. bad files ------------------------------------------------------------------------- */

/* Navigate "a.b[2][3]": returns the node, with its parent and key / index. */
static cJSON *nav(cJSON *root, const char *path, cJSON **parent, char *key, int *idx) {
    cJSON *cur = root;
    *parent = NULL;
    key[0] = 0;
    *idx = -1;
    const char *s = path;
    while (*s && cur) {
        if (*s == '.') s++;
        if (*s == '[') {
            int n = atoi(s + 1);
            *parent = cur;
            cur = cJSON_GetArrayItem(cur, n);
            *idx = n;
            key[0] = 0;
            s = strchr(s, ']') + 1;
        } else {
            size_t len = strcspn(s, ".[");
            memcpy(key, s, len);
            key[len] = 0;
            *parent = cur;
            cur = cJSON_GetObjectItemCaseSensitive(cur, key);
            *idx = -1;
            s += len;
        }
    }
    return cur;
}

static char *str_replace1(const char *text, const char *old, const char *new_) {
    const char *p = strstr(text, old);
    if (!p || strstr(p + 1, old)) {
        printf("test setup: '%s' not found once\n", old);
        exit(2);
    }
    size_t n = strlen(text) - strlen(old) + strlen(new_);
    char *out = malloc(n + 1);
    size_t a = (size_t)(p - text);
    memcpy(out, text, a);
    strcpy(out + a, new_);
    strcat(out, p + strlen(old));
    return out;
}

#define PLACEHOLDER "@@RAW-VALUE@@"

/* op: 'S' set path to raw JSON text, 'D' delete path, 'A' add key with raw value to the object at
 * path. Returns the modified text (malloc'd). */
static char *mutate(char op, const char *path, const char *addkey, const char *raw) {
    cJSON *root = cJSON_Parse(GOOD);
    if (!root) {
        printf("test setup: GOOD is not JSON\n");
        exit(2);
    }
    cJSON *parent = NULL;
    char key[128];
    int idx = -1;
    cJSON *node = path[0] ? nav(root, path, &parent, key, &idx) : root;
    if (!node) {
        printf("test setup: path %s not found\n", path);
        exit(2);
    }
    if (op == 'S') {
        cJSON *v = cJSON_CreateString(PLACEHOLDER);
        if (idx >= 0)
            cJSON_ReplaceItemInArray(parent, idx, v);
        else
            cJSON_ReplaceItemInObjectCaseSensitive(parent, key, v);
    } else if (op == 'D') {
        if (idx >= 0)
            cJSON_DeleteItemFromArray(parent, idx);
        else
            cJSON_DeleteItemFromObjectCaseSensitive(parent, key);
    } else {
        cJSON_AddItemToObject(node, addkey, cJSON_CreateString(PLACEHOLDER));
    }
    char *text = cJSON_Print(root);
    cJSON_Delete(root);
    if (op == 'D') return text;
    char *out = str_replace1(text, "\"" PLACEHOLDER "\"", raw);
    cJSON_free(text);
    return out;
}

static bool contains_ci(const char *hay, const char *needle) {
    size_t n = strlen(needle);
    for (const char *p = hay; *p; p++) {
        size_t i = 0;
        while (i < n && p[i] && tolower((unsigned char)p[i]) == tolower((unsigned char)needle[i]))
            i++;
        if (i == n) return true;
    }
    return n == 0;
}

/* expect: '|'-separated alternatives, one of which must appear (NULL: a syntax error, no field
 * required); extra: '&'-separated words that must all appear (case-insensitive). */
static bool msg_ok(const char *msg, const char *file, const char *expect, const char *extra,
                   char *why, size_t n) {
    if (!strstr(msg, file)) return snprintf(why, n, "does not name the file %s", file), false;
    if (strchr(msg, '\n')) return snprintf(why, n, "is more than one line"), false;
    if (expect) {
        bool any = false;
        char buf[512];
        snprintf(buf, sizeof buf, "%s", expect);
        for (char *tok = strtok(buf, "|"); tok; tok = strtok(NULL, "|"))
            if (strstr(msg, tok)) any = true;
        if (!any) return snprintf(why, n, "does not name the field %s", expect), false;
    }
    if (extra) {
        char buf[512];
        snprintf(buf, sizeof buf, "%s", extra);
        for (char *tok = strtok(buf, "&"); tok; tok = strtok(NULL, "&"))
            if (!contains_ci(msg, tok)) return snprintf(why, n, "does not say '%s'", tok), false;
    }
    return true;
}

static int g_bad_n;
static bool g_verbose_bad;

/* The text must be refused by l0_model_parse and by l0_model_load (of a temp file holding it). */
static void expect_bad(const char *label, const char *text, size_t len, const char *expect,
                       const char *extra) {
    l0_err err;
    l0_model m;
    char why[256];
    g_checks++;
    g_bad_n++;
    /* parse (only for texts without NUL: parse takes a C string) */
    if (strlen(text) == len) {
        memset(&err, 0, sizeof err);
        int rc = l0_model_parse(text, "bad-model.json", &m, &err);
        if (rc != -1) {
            FAIL("%s: l0_model_parse returned %d, want -1", label, rc);
            if (rc == 0) l0_model_free(&m);
        } else if (!msg_ok(err.msg, "bad-model.json", expect, extra, why, sizeof why)) {
            FAIL("%s: the parse error %s: \"%s\"", label, why, err.msg);
        } else if (g_verbose_bad) {
            printf("    %-44s -> %s\n", label, err.msg);
        }
    }
    char path[512];
    snprintf(path, sizeof path, "%s/bad-%03d.json", g_tmp, g_bad_n);
    write_all(path, text, len);
    memset(&err, 0, sizeof err);
    int rc = l0_model_load(path, &m, &err);
    if (rc != -1) {
        FAIL("%s: l0_model_load returned %d, want -1", label, rc);
        if (rc == 0) l0_model_free(&m);
    } else if (!msg_ok(err.msg, path, expect, extra, why, sizeof why)) {
        FAIL("%s: the load error %s: \"%s\"", label, why, err.msg);
    }
    unlink(path);
}

typedef struct bad_case {
    char op;
    const char *path, *key, *raw;
    const char *expect, *extra;
} bad_case;

static const bad_case BAD[] = {
    /* format and version */
    {'S', "format", NULL, "\"l0sim-other-model\"", "format", NULL},
    {'S', "format", NULL, "1", "format", NULL},
    {'S', "version", NULL, "2", "version", "2&1"},
    {'S', "version", NULL, "0", "version", NULL},
    {'S', "version", NULL, "1.5", "version", NULL},
    {'S', "version", NULL, "\"1\"", "version", NULL},
    /* unknown keys */
    {'A', "", "colour", "\"red\"", "colour", NULL},
    {'A', "phi[0]", "dropout", "0.1", "phi[0].dropout", NULL},
    {'A', "phi[1].precision", "acum", "\"auto\"", "phi[1].precision.acum", NULL},
    {'A', "rho[0].precision", "saturation", "0", "rho[0].precision.saturation", NULL},
    {'A', "precision", "inptu", "\"ap_fixed<16,6>\"", "precision.inptu", NULL},
    {'A', "features[2]", "sclae", "1", "features[2].sclae", NULL},
    {'A', "target", "offset", "0", "target.offset", NULL},
    {'A', "rho[1]", "weight", "[[1, 2, 3]]", "rho[1].weight", NULL},
    /* missing keys */
    {'D', "format", NULL, NULL, "format", NULL},
    {'D', "version", NULL, NULL, "version", NULL},
    {'D', "cells_max", NULL, NULL, "cells_max", NULL},
    {'D', "features", NULL, NULL, "features", NULL},
    {'D', "target", NULL, NULL, "target", NULL},
    {'D', "target.scale", NULL, NULL, "target.scale", NULL},
    {'D', "precision", NULL, NULL, "precision", NULL},
    {'D', "precision.input", NULL, NULL, "precision.input", NULL},
    {'D', "precision.ksum", NULL, NULL, "precision.ksum", NULL},
    {'D', "phi", NULL, NULL, "phi", NULL},
    {'D', "rho", NULL, NULL, "rho", NULL},
    {'D', "phi[0].weights", NULL, NULL, "phi[0].weights", NULL},
    {'D', "phi[0].bias", NULL, NULL, "phi[0].bias", NULL},
    {'D', "rho[0].n_in", NULL, NULL, "rho[0].n_in", NULL},
    {'D', "phi[1].n_out", NULL, NULL, "phi[1].n_out", NULL},
    {'D', "phi[1].activation", NULL, NULL, "phi[1].activation", NULL},
    {'D', "features[3].kind", NULL, NULL, "features[3].kind", NULL},
    {'D', "features[2].transform", NULL, NULL, "features[2].transform", NULL},
    {'D', "features[0].min", NULL, NULL, "features[0].min", NULL}, /* log without min */
    {'D', "rho[0].precision.accum", NULL, NULL, "rho[0].precision.accum", NULL},
    {'D', "phi[0].precision.result", NULL, NULL, "phi[0].precision.result", NULL},
    {'D', "phi[1].precision.weight", NULL, NULL, "phi[1].precision.weight", NULL},
    {'D', "rho[1].precision", NULL, NULL, "rho[1].precision", NULL},
    /* sizes that do not match */
    {'S', "phi[1].n_in", NULL, "4", "phi[1].n_in|phi[1].weights", NULL},
    {'S', "phi[0].n_in", NULL, "3", "phi[0].n_in|phi[0].weights", NULL},
    {'S', "rho[0].n_in", NULL, "5", "rho[0].n_in|rho[0].weights", NULL},
    {'D', "phi[1].weights[3]", NULL, NULL, "phi[1].weights", NULL},
    {'D', "phi[1].weights[2][4]", NULL, NULL, "phi[1].weights[2]", NULL},
    {'S', "phi[1].weights[2]", NULL, "[1, 2, 3, 4, 5, 6]", "phi[1].weights[2]", NULL},
    {'S', "phi[0].weights", NULL, "[[0.1, 0.2, 0.3, 0.4]]", "phi[0].weights", NULL},
    {'D', "phi[0].bias[4]", NULL, NULL, "phi[0].bias", NULL},
    {'S', "phi[0].bias", NULL, "[1, 2, 3, 4, 5, 6]", "phi[0].bias", NULL},
    {'S', "rho[0].bias", NULL, "[]", "rho[0].bias", NULL},
    {'S', "phi[1].n_out", NULL, "5", "phi[1]|rho[0].n_in", NULL},
    {'S', "rho[1]", NULL,
     "{\"n_in\": 3, \"n_out\": 2, \"activation\": \"linear\", \"precision\": {\"weight\": "
     "\"ap_fixed<16,6>\", \"bias\": \"ap_fixed<16,6>\", \"accum\": \"auto\", \"result\": "
     "\"ap_fixed<16,6>\"}, \"weights\": [[0.2, -0.1, 0.05], [0.1, 0.1, 0.1]], \"bias\": [0.25, "
     "0.5]}",
     "rho[1].n_out|rho[1]", NULL}, /* rho's last layer with 2 outputs */
    {'S', "phi", NULL, "[]", "phi", NULL},
    {'S', "rho", NULL, "[]", "rho", NULL},
    {'S', "features", NULL, "[]", "features", NULL},
    {'S', "features", NULL,
     "[{\"kind\": \"layer\", \"transform\": \"linear\", \"offset\": 3, \"scale\": 0.5}, "
     "{\"kind\": \"layer\", \"transform\": \"linear\", \"offset\": 3, \"scale\": 0.5}, "
     "{\"kind\": \"layer\", \"transform\": \"linear\", \"offset\": 3, \"scale\": 0.5}, "
     "{\"kind\": \"layer\", \"transform\": \"linear\", \"offset\": 3, \"scale\": 0.5}, "
     "{\"kind\": \"layer\", \"transform\": \"linear\", \"offset\": 3, \"scale\": 0.5}, "
     "{\"kind\": \"layer\", \"transform\": \"linear\", \"offset\": 3, \"scale\": 0.5}, "
     "{\"kind\": \"layer\", \"transform\": \"linear\", \"offset\": 3, \"scale\": 0.5}, "
     "{\"kind\": \"layer\", \"transform\": \"linear\", \"offset\": 3, \"scale\": 0.5}, "
     "{\"kind\": \"layer\", \"transform\": \"linear\", \"offset\": 3, \"scale\": 0.5}]",
     "features", NULL}, /* 9 features */
    {'S', "phi[0].weights", NULL, "1", "phi[0].weights", NULL},
    {'S', "phi[0].weights[1]", NULL, "0.5", "phi[0].weights[1]", NULL},
    {'S', "phi[0].bias", NULL, "{\"0\": 1}", "phi[0].bias", NULL},
    {'S', "phi[0].n_in", NULL, "4.5", "phi[0].n_in", NULL},
    {'S', "phi[0].n_out", NULL, "-1", "phi[0]", NULL},
    {'S', "phi[0].n_out", NULL, "0", "phi[0]", NULL},
    {'S', "phi[0].n_out", NULL, "257", "phi[0]", NULL},
    {'S', "phi", NULL, "{\"n_in\": 4}", "phi", NULL},
    {'S', "features[0]", NULL, "\"energy\"", "features[0]", NULL},
    /* non-finite numbers, strings and other types where numbers belong */
    {'S', "phi[1].weights[2][3]", NULL, "1e999", "phi[1].weights[2][3]", NULL},
    {'S', "phi[1].weights[2][3]", NULL, "-1e999", "phi[1].weights[2][3]", NULL},
    {'S', "phi[1].weights[2][3]", NULL, "NaN", "phi[1].weights[2][3]|line", NULL},
    {'S', "phi[1].weights[2][3]", NULL, "Infinity", "phi[1].weights[2][3]|line", NULL},
    {'S', "phi[1].weights[2][3]", NULL, "-Infinity", "phi[1].weights[2][3]|line", NULL},
    {'S', "phi[1].weights[2][3]", NULL, "\"0.5\"", "phi[1].weights[2][3]", NULL},
    {'S', "phi[1].weights[2][3]", NULL, "null", "phi[1].weights[2][3]", NULL},
    {'S', "phi[1].weights[2][3]", NULL, "true", "phi[1].weights[2][3]", NULL},
    {'S', "phi[1].weights[2][3]", NULL, "[0.5]", "phi[1].weights[2][3]", NULL},
    {'S', "rho[0].bias[2]", NULL, "1e999", "rho[0].bias[2]", NULL},
    {'S', "rho[0].bias[2]", NULL, "\"x\"", "rho[0].bias[2]", NULL},
    {'S', "cells_max", NULL, "\"64\"", "cells_max", NULL},
    {'S', "features[0].offset", NULL, "\"0\"", "features[0].offset", NULL},
    {'S', "features[1].scale", NULL, "1e999", "features[1].scale", NULL},
    {'S', "features[0].min", NULL, "-1e999", "features[0].min", NULL},
    {'S', "target.scale", NULL, "1e999", "target.scale", NULL},
    {'S', "target.scale", NULL, "\"100\"", "target.scale", NULL},
    {'S', "target.kind", NULL, "\"momentum\"", "target.kind", NULL},
    {'S', "features[0].min", NULL, "0", "features[0].min", NULL},
    {'S', "features[0].min", NULL, "-1", "features[0].min", NULL},
    {'S', "features[1].kind", NULL, "\"energyy\"", "features[1].kind", NULL},
    {'S', "features[1].kind", NULL, "3", "features[1].kind", NULL},
    {'S', "features[1].transform", NULL, "\"sqrt\"", "features[1].transform", NULL},
    {'S', "features[1].scale", NULL, "0", "features[1].scale", NULL},
    {'S', "phi[0].activation", NULL, "\"tanh\"", "phi[0].activation", NULL},
    {'S', "name", NULL, "5", "name", NULL},
    {'S', "training", NULL, "5", "training", NULL},
    /* impossible precisions */
    {'S', "precision.input", NULL, "\"ap_fixed<0,3>\"", "precision.input", NULL},
    {'S', "phi[0].precision.weight", NULL, "\"ap_fixed<65,3>\"", "phi[0].precision.weight", NULL},
    {'S', "precision.ksum", NULL, "\"ap_fixed<16,6,AP_FOO,AP_SAT>\"", "precision.ksum", NULL},
    {'S', "phi[1].precision.result", NULL, "\"ap_fixed<16,6,AP_RND,AP_BAR>\"",
     "phi[1].precision.result", NULL},
    {'S', "rho[0].precision.bias", NULL, "\"ap_fixed<16,2000>\"", "rho[0].precision.bias", NULL},
    {'S', "rho[0].precision.bias", NULL, "\"ap_fixed<16,-2000>\"", "rho[0].precision.bias", NULL},
    {'S', "phi[0].precision.result", NULL, "\"ap_fixed<16,6,AP_RND,AP_SAT,2>\"",
     "phi[0].precision.result", NULL},
    {'S', "precision.input", NULL, "\"float\"", "precision.input", NULL},
    {'S', "precision.input", NULL, "16", "precision.input", NULL},
    {'S', "precision.input", NULL, "\"ap_fixed<16,6\"", "precision.input", NULL},
    {'S', "precision.input", NULL, "\"ap_fixed<16,6>x\"", "precision.input", NULL},
    {'S', "phi[0].precision.accum", NULL, "\"ap_fixed<-4,2>\"", "phi[0].precision.accum", NULL},
    {'S', "precision.ksum", NULL, "\"auto\"", "precision.ksum", NULL},
    {'S', "phi[1].precision.result", NULL, "\"auto\"", "phi[1].precision.result", NULL},
    /* saturating accumulators */
    {'S', "rho[0].precision.accum", NULL, "\"ap_fixed<32,16,AP_TRN,AP_SAT>\"",
     "rho[0].precision.accum", "saturat"},
    {'S', "phi[1].precision.accum", NULL, "\"ap_fixed<32,16,AP_RND,AP_SAT_SYM>\"",
     "phi[1].precision.accum", "saturat"},
    {'S', "phi[0].precision.accum", NULL, "\"ap_ufixed<32,16,AP_TRN,AP_SAT_ZERO>\"",
     "phi[0].precision.accum", "saturat"},
    /* an auto accumulator wider than 64 bits: 48 + 16 + 2 + 1 = 67 */
    {'S', "phi[0].precision.weight", NULL, "\"ap_fixed<48,4>\"", "phi[0].precision", "64"},
    /* rho[1]: x = rho[0]'s result; 60 + 8 + 2 + 1 = 71 */
    {'S', "rho[0].precision.result", NULL, "\"ap_fixed<60,20>\"", "rho[1].precision|rho[0]", "64"},
    /* an auto accumulator whose I leaves -1024..1024: phi[1]'s x is phi[0]'s result,
     * I = 3 + 1024 + ceil(log2 5) + 1 = 1031 */
    {'S', "phi[0].precision.result", NULL, "\"ap_fixed<16,1024,AP_RND,AP_SAT>\"",
     "phi[1].precision.accum", NULL},
    /* cells_max */
    {'S', "cells_max", NULL, "0", "cells_max", NULL},
    {'S', "cells_max", NULL, "129", "cells_max", NULL},
    {'S', "cells_max", NULL, "-1", "cells_max", NULL},
    {'S', "cells_max", NULL, "64.5", "cells_max", NULL},
    {'S', "cells_max", NULL, "1e999", "cells_max", NULL},
};

static void test_bad_files(void) {
    size_t nb = sizeof BAD / sizeof BAD[0];
    g_verbose_bad = getenv("L0_TEST_VERBOSE") != NULL;
    for (size_t q = 0; q < nb; q++) {
        const bad_case *b = &BAD[q];
        char *text = mutate(b->op, b->path, b->key, b->raw);
        char label[256];
        if (b->op == 'D')
            snprintf(label, sizeof label, "delete %s", b->path);
        else if (b->op == 'A')
            snprintf(label, sizeof label, "add %s%s%s = %.40s", b->path, b->path[0] ? "." : "",
                     b->key, b->raw);
        else
            snprintf(label, sizeof label, "%s = %.60s", b->path, b->raw);
        expect_bad(label, text, strlen(text), b->expect, b->extra);
        free(text);
    }
    printf("  %zu field mutations refused with file and field named\n", nb);

    /* whole-text damage */
    int n0 = g_bad_n;
    static const char *texts[] = {"",
                                  "hello",
                                  "{",
                                  "}",
                                  "[]",
                                  "[1, 2]",
                                  "42",
                                  "\"l0sim-deepsets-model\"",
                                  "null",
                                  "{}",
                                  "{\"format\": \"l0sim-deepsets-model\"}",
                                  "{\"format\": \"l0sim-deepsets-model\", \"version\": 1}",
                                  "\xef\xbb\xbf\xff\xfe garbage"};
    for (size_t q = 0; q < sizeof texts / sizeof texts[0]; q++) {
        char label[64];
        snprintf(label, sizeof label, "text '%.20s'", texts[q]);
        /* a near-empty object must name a missing field; the rest are syntax or type errors */
        expect_bad(label, texts[q], strlen(texts[q]), NULL, NULL);
    }
    /* trailing garbage after a good object */
    {
        size_t n = strlen(GOOD);
        char *t = malloc(n + 16);
        memcpy(t, GOOD, n);
        strcpy(t + n, "xyz");
        expect_bad("good text + trailing 'xyz'", t, strlen(t), NULL, NULL);
        strcpy(t + n, "{}");
        expect_bad("good text + a second object", t, strlen(t), NULL, NULL);
        free(t);
    }
    /* truncated: every 29th cut before the final brace */
    size_t last = (size_t)(strrchr(GOOD, '}') - GOOD);
    int ncut = 0;
    for (size_t cut = 0; cut < last; cut += 29, ncut++) {
        char *t = strndup(GOOD, cut);
        char label[64];
        snprintf(label, sizeof label, "truncated at %zu of %zu", cut, strlen(GOOD));
        expect_bad(label, t, cut, NULL, NULL);
        free(t);
    }
    {
        char *t = strndup(GOOD, last);
        expect_bad("truncated before the final brace", t, last, NULL, NULL);
        free(t);
    }
    /* a NUL inside the file */
    {
        size_t n = strlen(GOOD);
        char *t = malloc(n + 1);
        memcpy(t, GOOD, n + 1);
        t[n / 2] = 0;
        expect_bad("NUL byte in the middle (load only)", t, n, NULL, NULL);
        free(t);
    }
    /* binary garbage */
    l0_rng r;
    l0_rng_seed(&r, 5, 0);
    for (int q = 0; q < 24; q++) {
        size_t n = 1 + (size_t)l0_rng_below(&r, 3000);
        char *t = malloc(n + 1);
        for (size_t i = 0; i < n; i++) {
            t[i] = (char)l0_rng_below(&r, 256);
            if (q % 2 == 0 && t[i] == 0) t[i] = 1; /* half of them without NUL: parse too */
        }
        if (q == 1) memcpy(t, "\x89PNG\r\n\x1a\n", n < 8 ? n : 8);
        if (q == 2) memcpy(t, "\x1f\x8b\x08", n < 3 ? n : 3);
        if (q == 4 && n > 1) t[0] = '{';
        t[n] = 0;
        char label[64];
        snprintf(label, sizeof label, "binary garbage %d (%zu bytes)", q, n);
        expect_bad(label, t, n, NULL, NULL);
        free(t);
    }
    printf("  %d damaged texts refused (not JSON, wrong top level, trailing data, %d truncations, "
           "NUL, binary garbage)\n",
           g_bad_n - n0, ncut + 1);

    /* load of files that are not there or not files */
    l0_err err;
    l0_model m;
    char p[600];
    snprintf(p, sizeof p, "%s/does-not-exist.json", g_tmp);
    g_checks++;
    if (l0_model_load(p, &m, &err) != -1)
        FAIL("load of a missing file did not fail");
    else if (!strstr(err.msg, p))
        FAIL("missing file error does not name it: %s", err.msg);
    g_checks++;
    if (l0_model_load(g_tmp, &m, &err) != -1)
        FAIL("load of a directory did not fail");
    else if (!strstr(err.msg, g_tmp))
        FAIL("directory error does not name it: %s", err.msg);

    /* the good text still loads, and its values are the ones written */
    g_checks++;
    if (l0_model_parse(GOOD, "good.json", &m, &err)) {
        FAIL("good text: %s", err.msg);
    } else {
        if (m.phi[1].w[2 * 5 + 3] != 0.123456789 || m.rho[0].b[2] != 0.3 || m.cells_max != 64 ||
            m.n_feat != 4 || m.feat[0].transform != L0_TRANSFORM_LOG || m.feat[0].min != 0.001 ||
            m.target_scale != 100 || !m.phi[0].relu || m.rho[1].relu || m.phi[1].t_res.is_signed)
            FAIL("good text: values not as written");
        l0_model_free(&m);
    }
    /* layer precisions may come from top-level defaults */
    {
        char *t = mutate('D', "phi[0].precision", NULL, NULL);
        char *t2 = str_replace1(t, "\"ksum\":",
                                "\"weight\": \"ap_fixed<14,4>\", \"bias\": "
                                "\"ap_fixed<12,5>\", \"accum\": \"auto\", "
                                "\"result\": \"ap_fixed<15,7,AP_RND,AP_SAT>\", "
                                "\"ksum\":");
        g_checks++;
        if (l0_model_parse(t2, "defaults.json", &m, &err)) {
            FAIL("layer precision from the top-level defaults refused: %s", err.msg);
        } else {
            if (!type_eq(&m.phi[0].t_w, &(l0_fx_type){14, 4, true, L0_FX_TRN, L0_FX_WRAP}) ||
                !type_eq(&m.phi[0].t_res, &(l0_fx_type){15, 7, true, L0_FX_RND, L0_FX_SAT}) ||
                !m.phi[0].acc_auto ||
                !type_eq(&m.phi[1].t_w, &(l0_fx_type){12, 3, true, L0_FX_RND, L0_FX_SAT}))
                FAIL("top-level precision defaults not applied as documented");
            l0_model_free(&m);
        }
        free(t);
        free(t2);
    }
    /* the good text passed through cJSON's printer (other whitespace) loads too */
    {
        char *t = mutate('S', "name", NULL, "\"reformatted\"");
        g_checks++;
        if (l0_model_parse(t, "reformatted.json", &m, &err))
            FAIL("reformatted good text refused: %s", err.msg);
        else
            l0_model_free(&m);
        free(t);
    }
    /* a feature without offset or scale: docs/model-format.md does not say they are optional */
    {
        char *t = mutate('D', "features[1].scale", NULL, NULL);
        if (l0_model_parse(t, "noscale.json", &m, &err) == 0) {
            printf(
                "  note: a feature without 'scale' is accepted (scale = %g): the format doc does "
                "not say scale and offset are optional\n",
                m.feat[1].scale);
            l0_model_free(&m);
        } else {
            printf("  feature without scale refused: %s\n", err.msg);
        }
        free(t);
    }
    /* a duplicate key is ambiguous: report what happens, without failing */
    {
        char *t = str_replace1(GOOD, "\"cells_max\": 64,", "\"cells_max\": 64, \"cells_max\": 32,");
        if (l0_model_parse(t, "dup.json", &m, &err) == 0) {
            printf("  note: a duplicate key (cells_max 64 then 32) is accepted, cells_max = %d\n",
                   m.cells_max);
            l0_model_free(&m);
        } else {
            printf("  duplicate key refused: %s\n", err.msg);
        }
        free(t);
    }
    printf("  missing file and directory refused; good text, top-level defaults, reformatted text "
           "accepted\n");
}

int main(void) {
    double t0 = now_s();
    printf("test_model_file: model file round trip, hls4ml auto accumulators, bad files\n");
    snprintf(g_tmp, sizeof g_tmp, "/tmp/l0_test_model_file_XXXXXX");
    if (!mkdtemp(g_tmp)) {
        printf("cannot make a temp dir\n");
        return 2;
    }
    test_round_trip();
    test_auto_accum();
    test_bad_files();
    /* clean the temp dir */
    DIR *d = opendir(g_tmp);
    struct dirent *e;
    char p[600];
    while (d && (e = readdir(d))) {
        if (!strcmp(e->d_name, ".") || !strcmp(e->d_name, "..")) continue;
        snprintf(p, sizeof p, "%s/%s", g_tmp, e->d_name);
        unlink(p);
    }
    if (d) closedir(d);
    rmdir(g_tmp);
    printf("test_model_file: %d checks, %.2f s\n", g_checks, now_s() - t0);
    if (g_fails) {
        printf("test_model_file: %d FAILURES\n", g_fails);
        return 1;
    }
    printf("test_model_file: all passed\n");
    return 0;
}
