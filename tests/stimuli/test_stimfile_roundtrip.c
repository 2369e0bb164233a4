/* Round trip of the stimulus file: synthetic events written and read back field by field (floats
 * bit for bit, NaN and -0 included), across many blocks, records above 1 MiB, empty files,
 * both kinds; reproducible bytes; writer refusals; atomic output; reading from a pipe. */
#include <dirent.h>
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include "check.h"
#include "l0_stimfile.h"
#include "stim_synth.h"

/* Read path back and compare with the n synthetic records (seed, shape) it should hold. */
static void read_back(const char *path, const char *kind, const char *options, uint64_t seed,
                      uint64_t n, int shape) {
    l0_err err;
    l0_stim_reader *r = l0_stim_reader_open(path, &err);
    CHECK(r, "open %s: %s", path, err.msg);
    if (!r) return;
    CHECK(!strcmp(l0_stim_reader_kind(r), kind), "%s: kind '%s', wrote '%s'", path,
          l0_stim_reader_kind(r), kind);
    CHECK(!strcmp(l0_stim_reader_options(r), options), "%s: options '%s', wrote '%s'", path,
          l0_stim_reader_options(r), options);
    CHECK(l0_stim_reader_version(r) == L0_STIM_FORMAT_VERSION, "%s: version %u", path,
          l0_stim_reader_version(r));
    synth_buf b = {0};
    uint64_t i = 0;
    int rc;
    l0_event got, want;
    while ((rc = l0_stim_reader_next(r, &got, &err)) == 1) {
        char what[256];
        snprintf(what, sizeof what, "%s record %llu", path, (unsigned long long)i);
        if (i >= n) {
            CHECK(0, "%s: more records than the %llu written", what, (unsigned long long)n);
            break;
        }
        synth_event(&b, seed, i, shape, &want);
        CHECK(synth_compare(what, &want, &got) == 0, "%s: read back differs", what);
        i++;
        CHECK(l0_stim_reader_count(r) == i, "%s: count %llu", what,
              (unsigned long long)l0_stim_reader_count(r));
    }
    CHECK(rc == 0, "%s: read error: %s", path, err.msg);
    CHECK(i == n, "%s: read %llu records, wrote %llu", path, (unsigned long long)i,
          (unsigned long long)n);
    CHECK(l0_stim_reader_next(r, &got, &err) == 0, "%s: a second read at the end is not 0", path);
    synth_free(&b);
    l0_stim_reader_close(r);
}

/* No file at path and no temporary beside it. */
static void check_absent(const char *dir, const char *name) {
    char p[512];
    snprintf(p, sizeof p, "%s/%s", dir, name);
    struct stat st;
    CHECK(stat(p, &st) != 0, "%s exists", p);
    DIR *d = opendir(dir);
    struct dirent *e;
    while (d && (e = readdir(d)))
        CHECK(strncmp(e->d_name, name, strlen(name)) || !strstr(e->d_name, ".tmp"),
              "temporary %s/%s left behind", dir, e->d_name);
    if (d) closedir(d);
}

static void test_writer_refusals(const char *dir) {
    char path[512];
    l0_err err;
    snprintf(path, sizeof path, "%s/refuse.stim", dir);
    CHECK(!l0_stim_writer_open(path, "bursts", "{}", &err), "unknown kind accepted");
    CHECK(strstr(err.msg, "bursts"), "message does not name the kind: %s", err.msg);
    CHECK(!l0_stim_writer_open(path, "stream", "not json", &err), "bad options accepted");
    CHECK(!l0_stim_writer_open(path, "stream", "[1, 2]", &err), "a JSON array accepted");
    check_absent(dir, "refuse.stim");

    l0_stim_writer *w = l0_stim_writer_open(path, "stream", NULL, &err);
    CHECK(w, "NULL options refused: %s", err.msg);
    if (!w) return;
    l0_cell cells[129];
    memset(cells, 0, sizeof cells);
    l0_cluster c = {1, 1, 0, 0, 0, 0, 129, 129, cells};
    l0_event ev = {0, 0, 1, 0, 1, &c};
    CHECK(l0_stim_writer_put(w, &ev, &err) == -1, "129 cells accepted");
    c.n_cells = 3;
    c.n_cells_total = 2;
    CHECK(l0_stim_writer_put(w, &ev, &err) == -1, "n_cells_total < n_cells accepted");
    c.n_cells_total = 3;
    cells[1].layer = L0_NLAYERS;
    CHECK(l0_stim_writer_put(w, &ev, &err) == -1, "layer %d accepted", L0_NLAYERS);
    CHECK(strstr(err.msg, "layer"), "message does not say layer: %s", err.msg);
    cells[1].layer = 0;
    ev.filled = 2;
    CHECK(l0_stim_writer_put(w, &ev, &err) == -1, "filled 2 accepted");
    ev.filled = 1;
    c.cells = NULL;
    CHECK(l0_stim_writer_put(w, &ev, &err) == -1, "cells NULL accepted");
    c.cells = cells;
    /* After refusals the writer still works, and the file holds only the good record. */
    CHECK(l0_stim_writer_put(w, &ev, &err) == 0, "good record refused: %s", err.msg);
    CHECK(l0_stim_writer_count(w) == 1, "count %llu", (unsigned long long)l0_stim_writer_count(w));
    CHECK(l0_stim_writer_close(w, &err) == 0, "close: %s", err.msg);
    l0_stim_reader *r = l0_stim_reader_open(path, &err);
    CHECK(r, "open: %s", err.msg);
    if (r) {
        l0_event got;
        CHECK(l0_stim_reader_next(r, &got, &err) == 1, "read: %s", err.msg);
        CHECK(synth_compare("refusals", &ev, &got) == 0, "record differs");
        CHECK(l0_stim_reader_next(r, &got, &err) == 0, "more than one record");
        l0_stim_reader_close(r);
    }
    remove(path);
}

static void test_atomic(const char *dir) {
    char path[512];
    l0_err err;
    synth_buf b = {0};
    l0_event ev;
    /* Abort: nothing appears. */
    snprintf(path, sizeof path, "%s/aborted.stim", dir);
    l0_stim_writer *w = l0_stim_writer_open(path, "stream", "{}", &err);
    CHECK(w, "open: %s", err.msg);
    for (int i = 0; w && i < 200; i++) {
        synth_event(&b, 5, (uint64_t)i, SYNTH_MIXED, &ev);
        l0_stim_writer_put(w, &ev, &err);
    }
    l0_stim_writer_abort(w);
    check_absent(dir, "aborted.stim");
    /* Abort over an existing file: the old file is untouched. */
    snprintf(path, sizeof path, "%s/kept.stim", dir);
    CHECK(synth_spit(path, "old", 3) == 0, "cannot write %s", path);
    w = l0_stim_writer_open(path, "stream", "{}", &err);
    synth_event(&b, 5, 1, SYNTH_MIXED, &ev);
    if (w) l0_stim_writer_put(w, &ev, &err);
    l0_stim_writer_abort(w);
    size_t n;
    unsigned char *p = synth_slurp(path, &n);
    CHECK(p && n == 3 && !memcmp(p, "old", 3), "existing file changed by an aborted writer");
    free(p);
    remove(path);
    /* Directory that does not exist: a clear error, no crash. */
    snprintf(path, sizeof path, "%s/no/such/dir/x.stim", dir);
    CHECK(!l0_stim_writer_open(path, "stream", "{}", &err), "opened in a missing directory");
    CHECK(strstr(err.msg, "x.stim"), "message does not name the file: %s", err.msg);
    synth_free(&b);
}

static void test_deterministic(const char *dir) {
    char a[512], b2[512], c[512];
    snprintf(a, sizeof a, "%s/det_a.stim", dir);
    snprintf(b2, sizeof b2, "%s/det_b.stim", dir);
    snprintf(c, sizeof c, "%s/det_c.stim", dir);
    const char *opt = "{\"seed\": 9, \"mu\": 200}";
    CHECK(synth_write_file(a, "stream", opt, 9, 700, SYNTH_MIXED) == 0, "write a");
    CHECK(synth_write_file(b2, "stream", opt, 9, 700, SYNTH_MIXED) == 0, "write b");
    CHECK(synth_write_file(c, "stream", opt, 10, 700, SYNTH_MIXED) == 0, "write c");
    size_t na, nb, nc;
    unsigned char *pa = synth_slurp(a, &na), *pb = synth_slurp(b2, &nb), *pc = synth_slurp(c, &nc);
    CHECK(pa && pb && na == nb && !memcmp(pa, pb, na),
          "the same events gave different bytes (%zu and %zu bytes)", na, nb);
    CHECK(pc && (na != nc || memcmp(pa, pc, na)), "different events gave the same bytes");
    /* The documented layout: magic, version 1, kind, and the end block last. */
    static const unsigned char magic[8] = {0x89, 'L', '0', 'S', '\r', '\n', 0x1a, '\n'};
    CHECK(pa && na > 40 && !memcmp(pa, magic, 8), "magic");
    CHECK(pa && pa[8] == 1 && pa[9] == 0 && pa[10] == 0 && pa[11] == 0, "version bytes");
    CHECK(pa && pa[12] == 6 && !memcmp(pa + 16, "stream", 6), "kind");
    CHECK(pa && !memcmp(pa + na - 24, "L0EN", 4), "no end block at the end");
    CHECK(pa && pa[na - 20] == (700 & 0xff) && pa[na - 19] == (700 >> 8), "end block count");
    free(pa);
    free(pb);
    free(pc);
    remove(a);
    remove(b2);
    remove(c);
}

/* The reader on a pipe: the file size is unknown, so buffers grow as bytes arrive. */
static void test_pipe(const char *path, uint64_t seed, uint64_t n, size_t cut) {
    size_t size;
    unsigned char *data = synth_slurp(path, &size);
    CHECK(data, "cannot read %s", path);
    if (!data) return;
    if (cut && cut < size) size = cut;
    int fd[2];
    if (pipe(fd)) {
        CHECK(0, "pipe: %s", strerror(errno));
        free(data);
        return;
    }
    pid_t pid = fork();
    if (pid == 0) {
        close(fd[0]);
        size_t done = 0;
        while (done < size) {
            ssize_t k = write(fd[1], data + done, size - done);
            if (k <= 0) break;
            done += (size_t)k;
        }
        _exit(0);
    }
    close(fd[1]);
    char dev[64];
    snprintf(dev, sizeof dev, "/dev/fd/%d", fd[0]);
    l0_err err;
    l0_stim_reader *r = l0_stim_reader_open(dev, &err);
    int rc = r ? 1 : -1;
    uint64_t got = 0;
    synth_buf b = {0};
    l0_event ev, want;
    while (r && (rc = l0_stim_reader_next(r, &ev, &err)) == 1) {
        synth_event(&b, seed, got, SYNTH_MIXED, &want);
        CHECK(synth_compare("pipe", &want, &ev) == 0, "pipe record %llu differs",
              (unsigned long long)got);
        got++;
    }
    if (cut) {
        CHECK(rc == -1, "a pipe cut at %zu bytes read cleanly", cut);
        CHECK(strstr(err.msg, "offset"), "no offset in '%s'", err.msg);
    } else {
        CHECK(rc == 0 && got == n, "pipe: rc %d, %llu records: %s", rc, (unsigned long long)got,
              err.msg);
    }
    l0_stim_reader_close(r);
    close(fd[0]);
    waitpid(pid, NULL, 0);
    synth_free(&b);
    free(data);
}

int main(void) {
    char dir[] = "stim_roundtrip_XXXXXX";
    if (!mkdtemp(dir)) {
        perror("mkdtemp");
        return 1;
    }
    char path[512];
    const char *opt = "{\"seed\": 42, \"mu\": 200, \"cells\": 128}";

    /* Many blocks of mixed records (64 records a block). */
    snprintf(path, sizeof path, "%s/mixed.stim", dir);
    CHECK(synth_write_file(path, "stream", opt, 42, 2000, SYNTH_MIXED) == 0, "write mixed");
    read_back(path, "stream", opt, 42, 2000, SYNTH_MIXED);
    test_pipe(path, 42, 2000, 0);
    test_pipe(path, 42, 2000, 100000);
    test_pipe(path, 42, 2000, 30);
    remove(path);

    /* Records above the 1 MiB block target: each closes a block by size. */
    snprintf(path, sizeof path, "%s/huge.stim", dir);
    CHECK(synth_write_file(path, "stream", "{}", 3, 4, SYNTH_HUGE) == 0, "write huge");
    read_back(path, "stream", "{}", 3, 4, SYNTH_HUGE);
    remove(path);

    /* No records at all. */
    snprintf(path, sizeof path, "%s/empty.stim", dir);
    CHECK(synth_write_file(path, "stream", "{}", 1, 0, SYNTH_MIXED) == 0, "write empty");
    read_back(path, "stream", "{}", 1, 0, SYNTH_MIXED);
    remove(path);

    /* Singles, with options text kept byte for byte (spaces, UTF-8, escapes). */
    const char *uopt = "{ \"particle\" : \"pi\\u00b1 \xc3\xa9\",\n \"e\": [1, 5e2], \"mu\":0 }";
    snprintf(path, sizeof path, "%s/singles.stim", dir);
    CHECK(synth_write_file(path, "singles", uopt, 8, 100, SYNTH_SMALL) == 0, "write singles");
    read_back(path, "singles", uopt, 8, 100, SYNTH_SMALL);
    remove(path);

    test_deterministic(dir);
    test_writer_refusals(dir);
    test_atomic(dir);

    l0_err err;
    CHECK(!l0_stim_reader_open("no_such_file.stim", &err), "opened a missing file");
    CHECK(strstr(err.msg, "no_such_file.stim"), "message does not name the file: %s", err.msg);
    CHECK(!l0_stim_reader_open(dir, &err), "opened a directory");
    CHECK(strstr(err.msg, "directory"), "message does not say directory: %s", err.msg);

    rmdir(dir);
    return check_result("test_stimfile_roundtrip");
}
