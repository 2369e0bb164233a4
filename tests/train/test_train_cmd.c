/* `l0sim train` in process: a float training, its reproducibility from the command line (same
 * bytes with 1 and 2 threads), QAT from it with precision options, the reference study's sizes,
 * and exit code 2 with no output for bad options and bad data files. */
#include <getopt.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "l0_stimfile.h"
#include "train_synth.h"

int l0_cmd_train(int argc, char **argv);

#define END ((const char *)NULL)

/* Run `l0sim train ARGS...` (NULL-terminated); returns the exit code. */
static int run(const char *first, ...) {
    char *argv[64];
    int argc = 0;
    argv[argc++] = "train";
    va_list ap;
    va_start(ap, first);
    for (const char *a = first; a && argc < 63; a = va_arg(ap, const char *))
        argv[argc++] = (char *)a;
    va_end(ap);
    argv[argc] = NULL;
    optind = 0; /* glibc: start a new scan */
    fflush(stdout);
    return l0_cmd_train(argc, argv);
}

static char *slurp(const char *path) {
    FILE *f = fopen(path, "rb");
    if (!f) return NULL;
    fseek(f, 0, SEEK_END);
    long n = ftell(f);
    fseek(f, 0, SEEK_SET);
    char *s = malloc((size_t)n + 1);
    if (fread(s, 1, (size_t)n, f) != (size_t)n) n = 0;
    s[n] = 0;
    fclose(f);
    return s;
}

static void write_file(const char *path, const char *kind, size_t n) {
    l0_cluster *cl = synth_clusters(n, 30, 8);
    l0_err err;
    l0_stim_writer *w = l0_stim_writer_open(path, kind, "{}", &err);
    for (size_t k = 0; w && k < n; k++) {
        l0_event ev = {0};
        ev.orbit = (uint32_t)k;
        ev.filled = 1;
        ev.n_clusters = 1;
        ev.clusters = &cl[k];
        if (l0_stim_writer_put(w, &ev, &err)) break;
    }
    if (!w || l0_stim_writer_close(w, &err)) {
        fprintf(stderr, "writing %s: %s\n", path, err.msg);
        exit(1);
    }
    synth_free(cl, n);
}

int main(void) {
    char dir[] = "/tmp/l0_train_cmd_XXXXXX";
    if (!mkdtemp(dir)) return 1;
    char data[256], stream[256], a[256], b[256], c[256], big[256], none[256];
    snprintf(data, sizeof data, "%s/singles.l0s", dir);
    snprintf(stream, sizeof stream, "%s/stream.l0s", dir);
    snprintf(a, sizeof a, "%s/a.json", dir);
    snprintf(b, sizeof b, "%s/b.json", dir);
    snprintf(c, sizeof c, "%s/c.json", dir);
    snprintf(big, sizeof big, "%s/big.json", dir);
    snprintf(none, sizeof none, "%s/none.json", dir);
    write_file(data, L0_STIM_KIND_SINGLES, 800);
    write_file(stream, L0_STIM_KIND_STREAM, 10);

    int rc = run("--data", data, "--phi", "8,8", "--rho", "8,1", "--epochs", "3", "--batch", "64",
                 "--threads", "2", "-q", "-o", a, END);
    CHECK(rc == 0, "float training: exit %d", rc);
    rc = run("--data", data, "--phi", "8,8", "--rho", "8,1", "--epochs", "3", "--batch", "64",
             "--threads", "1", "-q", "-o", b, END);
    CHECK(rc == 0, "float training, 1 thread: exit %d", rc);
    char *ja = slurp(a), *jb = slurp(b);
    CHECK(ja && jb && !strcmp(ja, jb), "1 and 2 threads give different model files");
    CHECK(ja && strstr(ja, "\"training\"") && strstr(ja, "--phi 8,8 --rho 8,1"),
          "the model has no training recipe");
    l0_model m;
    l0_err err;
    CHECK(l0_model_load(a, &m, &err) == 0, "the trained model does not load: %s", err.msg);
    l0_model_free(&m);

    rc = run("--qat", "--init", a, "--data", data, "--epochs", "2", "--lr", "1e-4", "--weight-type",
             "ap_fixed<10,3,AP_RND>", "--result-type", "ap_fixed<12,5,AP_RND,AP_SAT>", "-q", "-o",
             c, END);
    CHECK(rc == 0, "QAT: exit %d", rc);
    if (l0_model_load(c, &m, &err) == 0) {
        char s[64];
        l0_fx_type_str(&m.phi[1].t_w, s, sizeof s);
        CHECK(!strcmp(s, "ap_fixed<10,3,AP_RND,AP_WRAP>"), "QAT model's weight type is %s", s);
        l0_fx_type_str(&m.rho[0].t_res, s, sizeof s);
        CHECK(!strcmp(s, "ap_fixed<12,5,AP_RND,AP_SAT>"), "QAT model's result type is %s", s);
        CHECK(m.training_json && strstr(m.training_json, "--qat"), "QAT recipe missing");
        CHECK(m.training_json && strstr(m.training_json, "\"init_training\"") &&
                  strstr(m.training_json, "--phi 8,8 --rho 8,1"),
              "the QAT model does not keep its --init model's recipe");
        l0_model_free(&m);
    } else {
        CHECK(0, "the QAT model does not load: %s", err.msg);
    }
    rc = run("--data", data, "--phi", "8,8", "--rho", "8,1", "--precision-from", c, "--epochs", "1",
             "-q", "-o", b, END);
    CHECK(rc == 0, "--precision-from: exit %d", rc);

    rc = run("--data", data, "--features", "energy:log,energy:linear:0.02,deta,dphi,layer:linear",
             "--phi", "8", "--rho", "4,1", "--epochs", "1", "-q", "-o", b, END);
    CHECK(rc == 0, "--features: exit %d", rc);
    if (l0_model_load(b, &m, &err) == 0) {
        CHECK(m.n_feat == 5 && m.phi[0].n_in == 5 && m.feat[1].transform == L0_TRANSFORM_LINEAR &&
                  m.feat[1].scale == 0.02 && m.feat[4].offset == 3.0,
              "--features: the model has %d features", m.n_feat);
        l0_model_free(&m);
    } else {
        CHECK(0, "the --features model does not load: %s", err.msg);
    }

    rc = run("--data", data, "--phi", "8", "--rho", "4,1", "--epochs", "2", "--closure", "2",
             "--closure-bins", "5", "-q", "-o", b, END);
    CHECK(rc == 0, "--closure: exit %d", rc);
    char *jc = slurp(b);
    CHECK(jc && strstr(jc, "\"closure\"") && strstr(jc, "max_deviation_after") &&
              strstr(jc, "--closure 2 --closure-bins 5 --closure-epochs 2"),
          "--closure: no closure record in the model");
    free(jc);

    rc = run("--data", data, "--phi", "64,64,64,64,64", "--rho", "64,64,64,64,1", "--epochs", "1",
             "--max-clusters", "150", "-q", "-o", big, END);
    CHECK(rc == 0, "reference sizes 5 x 64: exit %d", rc);

    /* errors: exit 2, nothing written */
    struct {
        const char *what;
        const char *args[12];
    } bad[] = {
        {"unknown option", {"--data", data, "--frob", "-o", none}},
        {"bad number", {"--data", data, "--epochs", "ten", "-o", none}},
        {"rho not ending in 1", {"--data", data, "--rho", "8,2", "-o", none}},
        {"bad type", {"--data", data, "--ksum-type", "ap_fixed<16>", "-o", none}},
        {"missing data file", {"--data", "/nonexistent/x.l0s", "-o", none}},
        {"stream file", {"--data", stream, "-o", none}},
        {"qat without init", {"--data", data, "--qat", "-o", none}},
        {"init and phi", {"--data", data, "--init", a, "--phi", "8", "-o", none}},
        {"unknown feature", {"--data", data, "--features", "energy,eta", "-o", none}},
        {"bad feature scale", {"--data", data, "--features", "energy:linear:0", "-o", none}},
        {"precision-from of another shape", {"--data", data, "--precision-from", big, "-o", none}},
        {"compress without qat", {"--data", data, "--init", a, "--compress", "-o", none}},
        {"negative loss constraint",
         {"--data", data, "--init", a, "--qat", "--compress", "--max-loss-increase", "-0.1", "-o",
          none}},
        {"NaN loss constraint",
         {"--data", data, "--init", a, "--qat", "--compress", "--max-loss-increase", "nan", "-o",
          none}},
        {"compress rounds out of range",
         {"--data", data, "--init", a, "--qat", "--compress", "--compress-rounds", "0", "-o",
          none}},
        {"compress step out of range",
         {"--data", data, "--init", a, "--qat", "--compress", "--compress-step", "1.5", "-o",
          none}},
        {"compress lanes out of range",
         {"--data", data, "--init", a, "--qat", "--compress", "--compress-lanes", "65", "-o",
          none}},
    };
    for (size_t k = 0; k < sizeof bad / sizeof bad[0]; k++) {
        const char **x = bad[k].args;
        rc = run(x[0], x[1], x[2], x[3], x[4], x[5], x[6], x[7], x[8], x[9], x[10], x[11], END);
        CHECK(rc == 2, "%s: exit %d, expected 2", bad[k].what, rc);
        CHECK(access(none, F_OK) != 0, "%s: an output file was written", bad[k].what);
    }

    free(ja);
    free(jb);
    const char *files[] = {data, stream, a, b, c, big, none};
    for (size_t k = 0; k < sizeof files / sizeof files[0]; k++) unlink(files[k]);
    rmdir(dir);
    if (synth_failures) {
        fprintf(stderr, "%d failures\n", synth_failures);
        return 1;
    }
    printf("l0sim train: float, reproducible across threads, QAT with precision options, 5 x 64, "
           "and %zu bad invocations refused with exit 2\n",
           sizeof bad / sizeof bad[0]);
    return 0;
}
