/* The training data set: read from singles stimulus files (records without a cluster and
 * clusters without a true energy skipped and counted, features as l0_model_features gives them),
 * a deterministic split, and clear errors for files that cannot be used. */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "l0_stimfile.h"
#include "train_synth.h"

static void write_file(const char *path, const char *kind, l0_cluster *cl, size_t n) {
    l0_err err;
    l0_stim_writer *w = l0_stim_writer_open(path, kind, "{\"test\": true}", &err);
    if (!w) {
        fprintf(stderr, "writer: %s\n", err.msg);
        exit(1);
    }
    for (size_t k = 0; k < n; k++) {
        l0_event ev = {0};
        ev.orbit = (uint32_t)k;
        ev.filled = 1;
        ev.n_hard = 1;
        /* every 10th record without a cluster */
        ev.n_clusters = k % 10 == 3 ? 0 : 1;
        ev.clusters = &cl[k];
        if (l0_stim_writer_put(w, &ev, &err)) {
            fprintf(stderr, "put: %s\n", err.msg);
            exit(1);
        }
    }
    if (l0_stim_writer_close(w, &err)) {
        fprintf(stderr, "close: %s\n", err.msg);
        exit(1);
    }
}

int main(void) {
    char dir[] = "/tmp/l0_train_data_XXXXXX";
    if (!mkdtemp(dir)) return 1;
    char singles[256], stream[256], trunc[256], missing[256];
    snprintf(singles, sizeof singles, "%s/singles.l0s", dir);
    snprintf(stream, sizeof stream, "%s/stream.l0s", dir);
    snprintf(trunc, sizeof trunc, "%s/trunc.l0s", dir);
    snprintf(missing, sizeof missing, "%s/missing.l0s", dir);

    size_t n = 300;
    l0_cluster *cl = synth_clusters(n, 80, 5);
    for (size_t k = 0; k < n; k++)
        if (k % 10 == 7) cl[k].truth_e = 0; /* pile-up-like: no true energy */
    write_file(singles, L0_STIM_KIND_SINGLES, cl, n);
    write_file(stream, L0_STIM_KIND_STREAM, cl, 20);

    l0_model m;
    l0_err err;
    const int phi[] = {8}, rho[] = {8, 1};
    if (l0_model_init(&m, phi, 1, rho, 2, 1, NULL, &err)) return 1;
    m.cells_max = 40;

    l0_dataset ds;
    l0_dataset_init(&ds, &m);
    int rc = l0_dataset_load(&ds, &m, singles, L0_SPLIT_AUTO, 0, &err);
    CHECK(rc == 0, "load: %s", err.msg);
    CHECK(ds.records == n, "records %llu, expected %zu", (unsigned long long)ds.records, n);
    CHECK(ds.skipped_no_cluster == n / 10, "skipped_no_cluster %llu, expected %zu",
          (unsigned long long)ds.skipped_no_cluster, n / 10);
    CHECK(ds.skipped_no_truth == n / 10, "skipped_no_truth %llu, expected %zu",
          (unsigned long long)ds.skipped_no_truth, n / 10);
    CHECK(ds.n == n - n / 5, "kept %zu, expected %zu", ds.n, n - n / 5);
    /* features, energies, cell counts */
    size_t i = 0;
    double f[L0_MODEL_FEATURES_MAX];
    for (size_t k = 0; k < n && i < ds.n; k++) {
        if (k % 10 == 3 || k % 10 == 7) continue;
        int used = l0_model_cells_used(&m, &cl[k]);
        CHECK(ds.off[i + 1] - ds.off[i] == (size_t)used, "cluster %zu: %zu rows, expected %d", i,
              ds.off[i + 1] - ds.off[i], used);
        for (int c = 0; c < used; c++) {
            l0_model_features(&m, &cl[k], c, f);
            CHECK(!memcmp(f, ds.feat + (ds.off[i] + (size_t)c) * (size_t)m.n_feat,
                          sizeof *f * (size_t)m.n_feat),
                  "cluster %zu cell %d: features differ from l0_model_features", i, c);
        }
        CHECK(ds.truth_e[i] == cl[k].truth_e && ds.e[i] == cl[k].e, "cluster %zu: energies", i);
        i++;
    }
    /* the split: deterministic, about the asked fraction, every cluster on one side */
    CHECK(l0_dataset_split(&ds, 0.3, 42, &err) == 0, "split: %s", err.msg);
    size_t nv = ds.n_val;
    size_t *val = malloc(sizeof *val * nv);
    memcpy(val, ds.val, sizeof *val * nv);
    CHECK(ds.n_train + ds.n_val == ds.n, "split loses clusters");
    CHECK(fabs((double)nv / (double)ds.n - 0.3) < 0.08, "val fraction %g", (double)nv / ds.n);
    for (size_t k = 0; k < ds.n; k++) ds.role[k] = L0_SPLIT_AUTO;
    l0_dataset_split(&ds, 0.3, 42, &err);
    CHECK(ds.n_val == nv && !memcmp(val, ds.val, sizeof *val * nv), "same seed, other split");
    for (size_t k = 0; k < ds.n; k++) ds.role[k] = L0_SPLIT_AUTO;
    l0_dataset_split(&ds, 0.3, 43, &err);
    CHECK(ds.n_val != nv || memcmp(val, ds.val, sizeof *val * nv), "seeds 42, 43: same split");
    free(val);

    /* --train / --val roles are kept */
    l0_dataset d2;
    l0_dataset_init(&d2, &m);
    l0_dataset_load(&d2, &m, singles, L0_SPLIT_TRAIN, 0, &err);
    l0_dataset_load(&d2, &m, singles, L0_SPLIT_VAL, ds.n + 50, &err);
    CHECK(d2.n == ds.n + 50, "max_clusters: %zu kept, expected %zu", d2.n, ds.n + 50);
    l0_dataset_split(&d2, 0.5, 1, &err);
    CHECK(d2.n_train == ds.n && d2.n_val == 50, "roles: %zu train, %zu val (expected %zu, 50)",
          d2.n_train, d2.n_val, ds.n);
    l0_dataset_free(&d2);

    /* errors: a stream file, a missing file, a truncated file */
    l0_dataset d3;
    l0_dataset_init(&d3, &m);
    rc = l0_dataset_load(&d3, &m, stream, L0_SPLIT_AUTO, 0, &err);
    CHECK(rc < 0 && strstr(err.msg, stream) && strstr(err.msg, "singles"),
          "stream file: rc %d, '%s'", rc, err.msg);
    rc = l0_dataset_load(&d3, &m, missing, L0_SPLIT_AUTO, 0, &err);
    CHECK(rc < 0 && strstr(err.msg, missing), "missing file: rc %d, '%s'", rc, err.msg);
    FILE *in = fopen(singles, "rb"), *out = fopen(trunc, "wb");
    char buf[4096];
    size_t got, total = 0;
    while ((got = fread(buf, 1, sizeof buf, in)) > 0 && total < 6000) {
        fwrite(buf, 1, got, out);
        total += got;
    }
    fclose(in);
    fclose(out);
    rc = l0_dataset_load(&d3, &m, trunc, L0_SPLIT_AUTO, 0, &err);
    CHECK(rc < 0 && strstr(err.msg, trunc), "truncated file: rc %d, '%s'", rc, err.msg);
    printf("truncated file: %s\n", err.msg);
    l0_dataset_free(&d3);

    l0_dataset_free(&ds);
    l0_model_free(&m);
    synth_free(cl, n);
    unlink(singles);
    unlink(stream);
    unlink(trunc);
    rmdir(dir);
    if (synth_failures) {
        fprintf(stderr, "%d failures\n", synth_failures);
        return 1;
    }
    printf("data set: %zu records read, skips counted, features exact, split deterministic, bad "
           "files refused\n",
           n);
    return 0;
}
