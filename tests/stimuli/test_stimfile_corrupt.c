/* Corrupt stimulus files: every one must give -1 with one message naming the file and the byte
 * offset, never a crash (this test also runs under ASan and UBSan), never a record that differs
 * from what was written, and never an allocation larger than the file warrants.
 *
 * Tried: a small file truncated at every byte and with every byte flipped (three ways); a larger
 * file truncated and flipped at a dense sample of offsets, every block header byte included; and
 * files built here, byte by byte from docs/stimulus-format.md, with valid checksums around wrong
 * magic, versions, kinds, options, counts and lengths. */
#include <inttypes.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <zlib.h>

#include "check.h"
#include "l0_stimfile.h"
#include "stim_synth.h"

/* ---- allocation watch: the link wraps malloc, calloc and realloc (see CMakeLists.txt) ---- */

void *__real_malloc(size_t n);
void *__real_calloc(size_t n, size_t m);
void *__real_realloc(void *p, size_t n);
static size_t alloc_max;

void *__wrap_malloc(size_t n) {
    if (n > alloc_max) alloc_max = n;
    return __real_malloc(n);
}

void *__wrap_calloc(size_t n, size_t m) {
    if (m && n <= SIZE_MAX / m && n * m > alloc_max) alloc_max = n * m;
    return __real_calloc(n, m);
}

void *__wrap_realloc(void *p, size_t n) {
    if (n > alloc_max) alloc_max = n;
    return __real_realloc(p, n);
}

/* ---- expecting failure ---- */

static char dir[] = "stim_corrupt_XXXXXX";
static uint64_t cases;
static size_t alloc_seen; /* the largest alloc_max of any case: proves the watch works */

/* Read a (corrupt) file: it must fail with a message naming path and an offset within the file,
 * containing `want` when given; records returned before the failure must be the ones written
 * (seed, shape), when seed is not 0. */
static void expect_fail(const char *label, const unsigned char *data, size_t size, const char *want,
                        uint64_t seed, int shape) {
    char path[512];
    snprintf(path, sizeof path, "%s/case.stim", dir);
    if (synth_spit(path, data, size)) {
        CHECK(0, "cannot write %s", path);
        return;
    }
    cases++;
    alloc_max = 0;
    l0_err err;
    memset(&err, 0, sizeof err);
    int rc = -1;
    uint64_t n = 0;
    l0_stim_reader *r = l0_stim_reader_open(path, &err);
    if (r) {
        synth_buf b = {0};
        l0_event ev, want_ev;
        while ((rc = l0_stim_reader_next(r, &ev, &err)) == 1) {
            if (seed) {
                synth_event(&b, seed, n, shape, &want_ev);
                CHECK(synth_compare(label, &want_ev, &ev) == 0,
                      "%s: record %" PRIu64 " returned with wrong contents", label, n);
            }
            n++;
        }
        synth_free(&b);
        if (rc == -1) {
            l0_err again;
            CHECK(l0_stim_reader_next(r, &ev, &again) == -1, "%s: error not sticky", label);
        }
        l0_stim_reader_close(r);
    }
    CHECK(rc == -1, "%s: read without error (%" PRIu64 " records)", label, n);
    if (rc != -1) return;
    CHECK(strstr(err.msg, path), "%s: message does not name the file: %s", label, err.msg);
    const char *o = strstr(err.msg, "offset ");
    CHECK(o, "%s: message has no offset: %s", label, err.msg);
    if (o) {
        unsigned long long off = strtoull(o + 7, NULL, 10);
        CHECK(off <= size, "%s: offset %llu beyond the %zu-byte file: %s", label, off, size,
              err.msg);
    }
    if (want) CHECK(strstr(err.msg, want), "%s: message lacks '%s': %s", label, want, err.msg);
    /* The reader's buffers are bounded by the bytes present (decoded clusters take 40 bytes for
     * 28 in the file, cells 20 for 17). */
    if (alloc_max > alloc_seen) alloc_seen = alloc_max;
    CHECK(alloc_max <= 2 * size + 65536, "%s: allocated %zu bytes for a %zu-byte file", label,
          alloc_max, size);
}

/* Block boundaries of a well-formed file, found by walking the documented layout. */
static size_t block_offsets(const unsigned char *d, size_t size, size_t *out, size_t max) {
    size_t off = 16 + (size_t)(d[12] | d[13] << 8);
    uint32_t olen = (uint32_t)d[off] | (uint32_t)d[off + 1] << 8 | (uint32_t)d[off + 2] << 16 |
                    (uint32_t)d[off + 3] << 24;
    off += 4 + olen + 4;
    size_t n = 0;
    while (off + 4 <= size && n < max) {
        out[n++] = off;
        if (!memcmp(d + off, "L0EN", 4)) break;
        uint32_t len = (uint32_t)d[off + 16] | (uint32_t)d[off + 17] << 8 |
                       (uint32_t)d[off + 18] << 16 | (uint32_t)d[off + 19] << 24;
        off += 28 + len;
    }
    return n;
}

static void corrupt_everywhere(const char *name, uint64_t seed, uint64_t records, int shape,
                               size_t stride) {
    char path[512], label[256];
    snprintf(path, sizeof path, "%s/%s", dir, name);
    if (synth_write_file(path, "stream", "{\"seed\": 1}", seed, records, shape)) {
        CHECK(0, "cannot write %s", path);
        return;
    }
    size_t size;
    unsigned char *good = synth_slurp(path, &size);
    unsigned char *bad = malloc(size);
    size_t blocks[4096];
    size_t nb = block_offsets(good, size, blocks, 4096);
    CHECK(nb >= 3, "%s: only %zu blocks", name, nb);
    /* Offsets to try: every stride-th byte, the whole header, every block header. */
    unsigned char *pick = calloc(size + 1, 1);
    for (size_t i = 0; i < size; i += stride) pick[i] = 1;
    for (size_t i = 0; i < 64 && i < size; i++) pick[i] = 1;
    for (size_t k = 0; k < nb; k++)
        for (size_t i = blocks[k]; i < blocks[k] + 28 && i < size; i++) pick[i] = 1;
    for (size_t i = size - 24; i < size; i++) pick[i] = 1;
    for (size_t cut = 0; cut < size; cut++) {
        if (!pick[cut]) continue;
        snprintf(label, sizeof label, "%s cut at %zu of %zu", name, cut, size);
        expect_fail(label, good, cut, cut == 0 ? "truncated" : NULL, seed, shape);
    }
    static const unsigned char masks[3] = {0x01, 0x80, 0xff};
    for (size_t i = 0; i < size; i++) {
        if (!pick[i]) continue;
        /* One flip per byte, rotating single-bit, high-bit and whole-byte flips; all three on
         * every 8th byte. */
        for (int m = 0; m < 3; m++) {
            if (m != (int)(i % 3) && i % 8) continue;
            memcpy(bad, good, size);
            bad[i] ^= masks[m];
            snprintf(label, sizeof label, "%s byte %zu ^ 0x%02x", name, i, masks[m]);
            expect_fail(label, bad, size, NULL, seed, shape);
        }
    }
    /* Cut exactly at a block boundary (the end block lost): detected by the missing end block. */
    snprintf(label, sizeof label, "%s cut before the end block", name);
    expect_fail(label, good, blocks[nb - 1], "without an end block", seed, shape);
    /* A whole block cut out of the middle, and a block repeated. */
    size_t b1 = blocks[1], b2 = blocks[2];
    memcpy(bad, good, b1);
    memcpy(bad + b1, good + b2, size - b2);
    expect_fail("block removed", bad, size - (b2 - b1), "missing or repeated", seed, shape);
    unsigned char *dup = malloc(size + (b2 - b1));
    memcpy(dup, good, b2);
    memcpy(dup + b2, good + b1, size - b1);
    expect_fail("block repeated", dup, size + (b2 - b1), "missing or repeated", seed, shape);
    /* Trailing garbage after the end block. */
    memcpy(dup, good, size);
    dup[size] = 0;
    expect_fail("byte after the end block", dup, size + 1, "after the end block", seed, shape);
    free(dup);
    free(pick);
    free(bad);
    free(good);
    remove(path);
}

/* ---- files built byte by byte ---- */

typedef struct bytes {
    unsigned char *p;
    size_t n, cap;
} bytes;

static void b_put(bytes *b, const void *p, size_t n) {
    if (b->n + n > b->cap) {
        b->cap = (b->n + n) * 2 + 64;
        b->p = realloc(b->p, b->cap);
    }
    if (n) memcpy(b->p + b->n, p, n);
    b->n += n;
}

static void b_u8(bytes *b, unsigned v) {
    unsigned char c = (unsigned char)v;
    b_put(b, &c, 1);
}

static void b_u16(bytes *b, unsigned v) {
    b_u8(b, v & 0xff);
    b_u8(b, (v >> 8) & 0xff);
}

static void b_u32(bytes *b, uint32_t v) {
    for (int i = 0; i < 4; i++) b_u8(b, (v >> (8 * i)) & 0xff);
}

static void b_u64(bytes *b, uint64_t v) {
    b_u32(b, (uint32_t)v);
    b_u32(b, (uint32_t)(v >> 32));
}

static void b_f32(bytes *b, float f) {
    uint32_t v;
    memcpy(&v, &f, 4);
    b_u32(b, v);
}

static uint32_t crc(const unsigned char *p, size_t n) {
    return (uint32_t)crc32(0L, p, (uInt)n);
}

/* File header with explicit length fields (klen, olen), and a valid checksum. */
static void hdr_raw(bytes *b, uint32_t version, uint32_t klen, const char *kind, uint32_t olen,
                    const char *opt, size_t opt_bytes) {
    static const unsigned char magic[8] = {0x89, 'L', '0', 'S', '\r', '\n', 0x1a, '\n'};
    size_t start = b->n;
    b_put(b, magic, 8);
    b_u32(b, version);
    b_u32(b, klen);
    b_put(b, kind, strlen(kind));
    b_u32(b, olen);
    b_put(b, opt, opt_bytes);
    b_u32(b, crc(b->p + start, b->n - start));
}

static void hdr(bytes *b, const char *kind, const char *opt) {
    hdr_raw(b, 1, (uint32_t)strlen(kind), kind, (uint32_t)strlen(opt), opt, strlen(opt));
}

static void block_raw(bytes *b, uint32_t n, uint64_t first, uint32_t len_field, const bytes *pay,
                      int good_crc) {
    size_t start = b->n;
    b_put(b, "L0BK", 4);
    b_u32(b, n);
    b_u64(b, first);
    b_u32(b, len_field);
    b_u32(b, crc(pay->p, pay->n) ^ (good_crc ? 0 : 1));
    b_u32(b, crc(b->p + start, 24));
    b_put(b, pay->p, pay->n);
}

static void block(bytes *b, uint32_t n, uint64_t first, const bytes *pay) {
    block_raw(b, n, first, (uint32_t)pay->n, pay, 1);
}

static void endblk(bytes *b, uint64_t records, uint64_t blocks) {
    size_t start = b->n;
    b_put(b, "L0EN", 4);
    b_u64(b, records);
    b_u64(b, blocks);
    b_u32(b, crc(b->p + start, 20));
}

static void rec(bytes *p, uint32_t orbit, unsigned bx, unsigned filled, unsigned hard,
                uint32_t nclusters) {
    b_u32(p, orbit);
    b_u16(p, bx);
    b_u8(p, filled);
    b_u8(p, hard);
    b_u32(p, nclusters);
}

static void clu(bytes *p, float e, int32_t pdg, unsigned ncells, unsigned ntotal) {
    b_f32(p, e);
    b_f32(p, e * 0.8f);
    b_f32(p, 0.5f);
    b_f32(p, -1.0f);
    b_f32(p, pdg ? e * 1.2f : 0.0f);
    b_u32(p, (uint32_t)pdg);
    b_u16(p, ncells);
    b_u16(p, ntotal);
}

static void cell(bytes *p, float e, unsigned layer) {
    b_f32(p, e);
    b_f32(p, 0.1f);
    b_f32(p, 0.2f);
    b_f32(p, 0.05f);
    b_u8(p, layer);
}

static void reset(bytes *b) {
    b->n = 0;
}

/* One record with one cluster of the given cell count and layer, in a complete file. */
static void file_one_cluster(bytes *f, bytes *pay, unsigned ncells, unsigned ntotal, unsigned layer,
                             unsigned filled) {
    reset(f);
    reset(pay);
    hdr(f, "stream", "{}");
    rec(pay, 0, 1, filled, 0, 1);
    clu(pay, 10.0f, 211, ncells, ntotal);
    for (unsigned k = 0; k < ncells && k < 3; k++) cell(pay, 1.0f, layer);
    block(f, 1, 0, pay);
    endblk(f, 1, 1);
}

static void crafted(void) {
    bytes f = {0}, pay = {0};
    char path[512];

    /* The layout as documented gives exactly what the writer writes. */
    hdr(&f, "stream", "{}");
    {
        synth_buf sb = {0};
        l0_event ev;
        synth_event(&sb, 1, 0, SYNTH_MIXED, &ev);
        rec(&pay, ev.orbit, ev.bx, ev.filled, ev.n_hard, ev.n_clusters);
        for (uint32_t i = 0; i < ev.n_clusters; i++) {
            const l0_cluster *c = &ev.clusters[i];
            b_f32(&pay, c->e);
            b_f32(&pay, c->et);
            b_f32(&pay, c->eta);
            b_f32(&pay, c->phi);
            b_f32(&pay, c->truth_e);
            b_u32(&pay, (uint32_t)c->truth_pdg);
            b_u16(&pay, c->n_cells);
            b_u16(&pay, c->n_cells_total);
            for (unsigned k = 0; k < c->n_cells; k++) {
                b_f32(&pay, c->cells[k].e);
                b_f32(&pay, c->cells[k].eta);
                b_f32(&pay, c->cells[k].phi);
                b_f32(&pay, c->cells[k].sigma);
                b_u8(&pay, c->cells[k].layer);
            }
        }
        synth_free(&sb);
        block(&f, 1, 0, &pay);
        endblk(&f, 1, 1);
        snprintf(path, sizeof path, "%s/writer.stim", dir);
        CHECK(synth_write_file(path, "stream", "{}", 1, 1, SYNTH_MIXED) == 0, "write");
        size_t n;
        unsigned char *w = synth_slurp(path, &n);
        CHECK(w && n == f.n && !memcmp(w, f.p, n),
              "the writer's bytes differ from the documented layout (%zu vs %zu bytes)", n, f.n);
        free(w);
        remove(path);
    }

    /* Magic. */
    reset(&f);
    reset(&pay);
    hdr(&f, "stream", "{}");
    endblk(&f, 0, 0);
    size_t good_n = f.n;
    unsigned char *good = malloc(good_n);
    memcpy(good, f.p, good_n);
    memcpy(f.p, "PK\3\4", 4);
    expect_fail("zip magic", f.p, f.n, "not an l0sim stimulus file", 0, 0);
    /* Text-mode copies: CR LF -> LF, and LF -> CR LF. */
    memcpy(f.p, good, good_n);
    memmove(f.p + 4, f.p + 5, good_n - 5);
    expect_fail("CRLF to LF", f.p, good_n - 1, "copied as text", 0, 0);
    b_u8(&f, 0);
    memcpy(f.p, good, 7);
    f.p[7] = '\r';
    memcpy(f.p + 8, good + 7, good_n - 7);
    expect_fail("LF to CRLF", f.p, good_n + 1, "copied as text", 0, 0);
    expect_fail("empty file", good, 0, "truncated", 0, 0);
    expect_fail("magic only", good, 8, "truncated", 0, 0);
    free(good);

    /* Versions, with valid checksums. */
    reset(&f);
    hdr_raw(&f, 2, 6, "stream", 2, "{}", 2);
    endblk(&f, 0, 0);
    expect_fail("version 2", f.p, f.n, "unsupported format version 2", 0, 0);
    reset(&f);
    hdr_raw(&f, 0, 6, "stream", 2, "{}", 2);
    endblk(&f, 0, 0);
    expect_fail("version 0", f.p, f.n, "unsupported format version 0", 0, 0);

    /* Kind. */
    reset(&f);
    hdr(&f, "bursts", "{}");
    endblk(&f, 0, 0);
    expect_fail("unknown kind", f.p, f.n, "unknown stimulus kind 'bursts'", 0, 0);
    reset(&f);
    hdr_raw(&f, 1, 0, "", 2, "{}", 2);
    endblk(&f, 0, 0);
    expect_fail("kind length 0", f.p, f.n, "kind length 0", 0, 0);
    reset(&f);
    hdr_raw(&f, 1, 100000, "stream", 2, "{}", 2);
    expect_fail("kind length 100000", f.p, f.n, "kind length 100000", 0, 0);

    /* Options. */
    reset(&f);
    hdr(&f, "stream", "not json");
    endblk(&f, 0, 0);
    expect_fail("options not JSON", f.p, f.n, "not a JSON object", 0, 0);
    reset(&f);
    hdr(&f, "stream", "[1, 2]");
    endblk(&f, 0, 0);
    expect_fail("options an array", f.p, f.n, "not a JSON object", 0, 0);
    reset(&f);
    hdr_raw(&f, 1, 6, "stream", 3, "{}\0", 3);
    endblk(&f, 0, 0);
    expect_fail("options with NUL", f.p, f.n, "not a JSON object", 0, 0);
    reset(&f);
    hdr_raw(&f, 1, 6, "stream", 0xfffffff0u, "{}", 2);
    expect_fail("options length 4 GiB", f.p, f.n, "exceeds the limit", 0, 0);
    reset(&f);
    hdr_raw(&f, 1, 6, "stream", 1u << 20, "{}", 2);
    expect_fail("options length past the end", f.p, f.n, "past the end", 0, 0);
    reset(&f);
    hdr(&f, "stream", "{}");
    f.p[f.n - 1] ^= 0x10;
    endblk(&f, 0, 0);
    expect_fail("header checksum", f.p, f.n, "header checksum mismatch", 0, 0);
    reset(&f);
    hdr(&f, "stream", "{}");
    expect_fail("header only", f.p, f.n, "without an end block", 0, 0);

    /* Block headers. */
    reset(&f);
    reset(&pay);
    hdr(&f, "stream", "{}");
    b_put(&f, "L0XX", 4);
    b_put(&f, "\0\0\0\0\0\0\0\0\0\0\0\0\0\0\0\0\0\0\0\0\0\0\0\0", 24);
    expect_fail("bad block magic", f.p, f.n, "bad block magic", 0, 0);
    reset(&f);
    rec(&pay, 0, 0, 0, 0, 0);
    hdr(&f, "stream", "{}");
    block(&f, 0, 0, &pay);
    endblk(&f, 0, 1);
    expect_fail("block of 0 records", f.p, f.n, "record count 0", 0, 0);
    reset(&f);
    hdr(&f, "stream", "{}");
    block(&f, 1000000, 0, &pay);
    endblk(&f, 1000000, 1);
    expect_fail("block of 1e6 records", f.p, f.n, "record count 1000000", 0, 0);
    reset(&f);
    hdr(&f, "stream", "{}");
    block(&f, 1, 5, &pay);
    endblk(&f, 1, 1);
    expect_fail("block first record 5", f.p, f.n, "missing or repeated", 0, 0);
    reset(&f);
    hdr(&f, "stream", "{}");
    block_raw(&f, 1, 0, 0x7fffffffu, &pay, 1);
    endblk(&f, 1, 1);
    expect_fail("payload length 2 GiB", f.p, f.n, "impossible", 0, 0);
    reset(&f);
    hdr(&f, "stream", "{}");
    block_raw(&f, 1, 0, 100000, &pay, 1);
    endblk(&f, 1, 1);
    expect_fail("payload length past the end", f.p, f.n, "past the end", 0, 0);
    reset(&f);
    hdr(&f, "stream", "{}");
    block_raw(&f, 1, 0, (uint32_t)pay.n, &pay, 0);
    endblk(&f, 1, 1);
    expect_fail("payload checksum", f.p, f.n, "payload checksum mismatch", 0, 0);
    reset(&f);
    hdr(&f, "stream", "{}");
    block_raw(&f, 1, 0, 4, &pay, 1);
    expect_fail("payload length below one record", f.p, f.n, "impossible", 0, 0);

    /* Records whose counts disagree with the bytes (valid checksums). */
    reset(&f);
    reset(&pay);
    rec(&pay, 0, 0, 1, 0, 0);
    rec(&pay, 0, 1, 1, 0, 0);
    hdr(&f, "stream", "{}");
    block(&f, 3, 0, &pay); /* 3 records claimed, 24 bytes: too short for the third */
    endblk(&f, 3, 1);
    expect_fail("fewer records than counted", f.p, f.n, "impossible", 0, 0);
    reset(&f);
    b_u32(&pay, 0); /* 28 bytes for 2 records: 4 left over after the second */
    hdr(&f, "stream", "{}");
    block(&f, 2, 0, &pay);
    endblk(&f, 2, 1);
    expect_fail("bytes after the last record", f.p, f.n, "follow the last", 0, 0);
    reset(&f);
    reset(&pay);
    rec(&pay, 0, 0, 1, 0, 2);
    rec(&pay, 0, 1, 1, 0, 0);
    rec(&pay, 0, 2, 1, 0, 0);
    hdr(&f, "stream", "{}");
    block(&f, 3, 0, &pay); /* the first record claims 2 clusters: the next records' 24 bytes */
    endblk(&f, 3, 1);
    expect_fail("clusters eat the next records", f.p, f.n, "cannot fit", 0, 0);
    reset(&f);
    reset(&pay);
    rec(&pay, 0, 0, 1, 0, 0xffffffffu);
    hdr(&f, "stream", "{}");
    block(&f, 1, 0, &pay);
    endblk(&f, 1, 1);
    expect_fail("4e9 clusters", f.p, f.n, "4294967295 clusters cannot fit", 0, 0);

    file_one_cluster(&f, &pay, 129, 129, 0, 1);
    expect_fail("129 cells", f.p, f.n, "n_cells 129 exceeds", 0, 0);
    file_one_cluster(&f, &pay, 60000, 60000, 0, 1);
    expect_fail("60000 cells", f.p, f.n, "n_cells 60000 exceeds", 0, 0);
    file_one_cluster(&f, &pay, 10, 10, 0, 1);
    expect_fail("cells past the block", f.p, f.n, "10 cells cannot fit", 0, 0);
    file_one_cluster(&f, &pay, 3, 2, 0, 1);
    expect_fail("n_cells_total below n_cells", f.p, f.n, "below n_cells", 0, 0);
    file_one_cluster(&f, &pay, 3, 3, 7, 1);
    expect_fail("layer 7", f.p, f.n, "layer 7", 0, 0);
    file_one_cluster(&f, &pay, 3, 3, 200, 1);
    expect_fail("layer 200", f.p, f.n, "layer 200", 0, 0);
    file_one_cluster(&f, &pay, 3, 3, 0, 2);
    expect_fail("filled 2", f.p, f.n, "filled is 2", 0, 0);

    /* End block. */
    file_one_cluster(&f, &pay, 3, 3, 0, 1);
    f.n -= 24;
    endblk(&f, 2, 1);
    expect_fail("end block record count", f.p, f.n, "end block counts 2 records", 0, 0);
    f.n -= 24;
    endblk(&f, 1, 7);
    expect_fail("end block block count", f.p, f.n, "in 7 blocks", 0, 0);
    f.n -= 24;
    endblk(&f, 1, 1);
    f.p[f.n - 1] ^= 1;
    expect_fail("end block checksum", f.p, f.n, "end block checksum mismatch", 0, 0);
    f.p[f.n - 1] ^= 1;
    b_put(&f, "\n", 1);
    expect_fail("newline after the end block", f.p, f.n, "after the end block", 0, 0);
    /* And the well-formed one reads. */
    f.n--;
    snprintf(path, sizeof path, "%s/ok.stim", dir);
    synth_spit(path, f.p, f.n);
    l0_err err;
    l0_stim_reader *r = l0_stim_reader_open(path, &err);
    l0_event ev;
    CHECK(r && l0_stim_reader_next(r, &ev, &err) == 1 && ev.n_clusters == 1 &&
              ev.clusters[0].n_cells == 3 && l0_stim_reader_next(r, &ev, &err) == 0,
          "a well-formed crafted file does not read: %s", err.msg);
    l0_stim_reader_close(r);
    remove(path);
    free(f.p);
    free(pay.p);
}

int main(void) {
    if (!mkdtemp(dir)) {
        perror("mkdtemp");
        return 1;
    }
    crafted();
    /* Small (about 13 kB, three blocks): every byte. */
    corrupt_everywhere("small.stim", 11, 150, SYNTH_SMALL, 1);
    /* Larger (about 1 MB in three blocks): a dense sample. */
    corrupt_everywhere("mixed.stim", 12, 140, SYNTH_MIXED, 8191);
    char path[512];
    snprintf(path, sizeof path, "%s/case.stim", dir);
    remove(path);
    rmdir(dir);
    /* The mixed file's blocks are hundreds of kB: a watch that saw none of them is broken. */
    CHECK(alloc_seen > 100000, "the allocation watch saw at most %zu bytes", alloc_seen);
    printf("%" PRIu64 " corrupt files tried; largest allocation %zu bytes\n", cases, alloc_seen);
    return check_result("test_stimfile_corrupt");
}
