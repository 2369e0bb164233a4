/* l0_stimfile: the stimulus file format (docs/stimulus-format.md), written and read one record at
 * a time.
 *
 * Every field is encoded byte by byte, little-endian, so the bytes depend on the events only:
 * no struct dumps, no padding, no timestamps. The reader trusts nothing: each length is checked
 * against a hard limit and against the bytes the file still holds before anything is allocated,
 * so a corrupt file costs at most one block's worth of memory and gives one message naming the
 * file and the byte offset. */
#include "l0_stimfile.h"

#include <cjson/cJSON.h>
#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <zlib.h>

#include "l0_ofile.h"

/* PNG-style magic: the high byte catches 7-bit transfers, CR LF catches line-ending conversion in
 * either direction, ^Z stops a DOS `type`. */
static const uint8_t FILE_MAGIC[8] = {0x89, 'L', '0', 'S', '\r', '\n', 0x1a, '\n'};
static const uint8_t BLOCK_MAGIC[4] = {'L', '0', 'B', 'K'};
static const uint8_t END_MAGIC[4] = {'L', '0', 'E', 'N'};

#define KIND_LEN_MAX 32u
#define OPTIONS_LEN_MAX (16u << 20)
#define BLOCK_HDR_SIZE 28u /* magic, n_records, first_record, payload_len, payload_crc, hdr_crc */
#define END_SIZE 24u       /* magic, total records, total blocks, crc */
#define EVENT_SIZE 12u
#define CLUSTER_SIZE 28u
#define CELL_SIZE 17u

/* Writer policy: a block closes after 64 records or once its payload reaches 1 MiB, so a reader
 * holds about 1 MiB whatever the pile-up. Both are fixed so that the bytes are reproducible. */
#define BLOCK_RECORDS 64u
#define BLOCK_TARGET (1u << 20)
/* Reader limits: anything above is corrupt, whatever a future writer's policy. */
#define BLOCK_RECORDS_MAX 65536u
#define PAYLOAD_MAX (256u << 20)

/* ---- little-endian encoding ---- */

static void put_u16(uint8_t *p, uint16_t v) {
    p[0] = (uint8_t)v;
    p[1] = (uint8_t)(v >> 8);
}

static void put_u32(uint8_t *p, uint32_t v) {
    for (int i = 0; i < 4; i++) p[i] = (uint8_t)(v >> (8 * i));
}

static void put_u64(uint8_t *p, uint64_t v) {
    for (int i = 0; i < 8; i++) p[i] = (uint8_t)(v >> (8 * i));
}

static void put_f32(uint8_t *p, float f) {
    uint32_t v;
    memcpy(&v, &f, 4);
    put_u32(p, v);
}

static uint16_t get_u16(const uint8_t *p) {
    return (uint16_t)(p[0] | (p[1] << 8));
}

static uint32_t get_u32(const uint8_t *p) {
    return (uint32_t)p[0] | ((uint32_t)p[1] << 8) | ((uint32_t)p[2] << 16) | ((uint32_t)p[3] << 24);
}

static uint64_t get_u64(const uint8_t *p) {
    return (uint64_t)get_u32(p) | ((uint64_t)get_u32(p + 4) << 32);
}

static float get_f32(const uint8_t *p) {
    uint32_t v = get_u32(p);
    float f;
    memcpy(&f, &v, 4);
    return f;
}

static uint32_t crc_of(const uint8_t *p, size_t n) {
    /* zlib takes uInt lengths; payloads are bounded by PAYLOAD_MAX, far below 4 GiB. */
    return (uint32_t)crc32(0L, p, (uInt)n);
}

static int kind_known(const char *kind) {
    return !strcmp(kind, L0_STIM_KIND_STREAM) || !strcmp(kind, L0_STIM_KIND_SINGLES);
}

/* The options must be one JSON object; NUL bytes would hide the rest of the text from C. */
static int options_valid(const char *text, size_t len) {
    if (memchr(text, '\0', len)) return 0;
    cJSON *j = cJSON_ParseWithLength(text, len);
    int ok = j && cJSON_IsObject(j);
    cJSON_Delete(j);
    return ok;
}

/* ---- writer ---- */

struct l0_stim_writer {
    l0_ofile *of;
    FILE *fp;
    uint8_t *buf; /* the current block's payload */
    size_t len, cap;
    uint32_t block_records;
    uint64_t records, blocks;
    int failed;
};

static int w_write(l0_stim_writer *w, const void *p, size_t n, l0_err *err) {
    if (fwrite(p, 1, n, w->fp) != n) {
        w->failed = 1;
        return l0_err_set(err, "%s: write failed: %s", l0_ofile_path(w->of), strerror(errno));
    }
    return 0;
}

l0_stim_writer *l0_stim_writer_open(const char *path, const char *kind, const char *options_json,
                                    l0_err *err) {
    if (!kind || !kind_known(kind)) {
        l0_err_set(err, "%s: unknown stimulus kind '%s' (expected stream or singles)", path,
                   kind ? kind : "(null)");
        return NULL;
    }
    if (!options_json) options_json = "{}";
    size_t olen = strlen(options_json);
    if (olen > OPTIONS_LEN_MAX || !options_valid(options_json, olen)) {
        l0_err_set(err, "%s: the generator options are not a JSON object of at most %u bytes", path,
                   OPTIONS_LEN_MAX);
        return NULL;
    }
    l0_stim_writer *w = calloc(1, sizeof *w);
    size_t klen = strlen(kind), hlen = 8 + 4 + 4 + klen + 4 + olen + 4;
    uint8_t *h = malloc(hlen);
    if (!w || !h) {
        free(w);
        free(h);
        l0_err_set(err, "%s: out of memory", path);
        return NULL;
    }
    uint8_t *p = h;
    memcpy(p, FILE_MAGIC, 8);
    put_u32(p + 8, L0_STIM_FORMAT_VERSION);
    put_u32(p + 12, (uint32_t)klen);
    memcpy(p + 16, kind, klen);
    p += 16 + klen;
    put_u32(p, (uint32_t)olen);
    memcpy(p + 4, options_json, olen);
    p += 4 + olen;
    put_u32(p, crc_of(h, (size_t)(p - h)));

    w->of = l0_ofile_open(path, err);
    if (!w->of) {
        free(h);
        free(w);
        return NULL;
    }
    w->fp = l0_ofile_fp(w->of);
    int rc = w_write(w, h, hlen, err);
    free(h);
    if (rc) {
        l0_stim_writer_abort(w);
        return NULL;
    }
    return w;
}

/* Check what the reader checks, and give the record's encoded size. */
static int event_check(const char *path, uint64_t index, const l0_event *ev, size_t *size,
                       l0_err *err) {
    if (ev->filled > 1)
        return l0_err_set(err, "%s: record %llu: filled is %u, not 0 or 1", path,
                          (unsigned long long)index, ev->filled);
    if (ev->n_clusters && !ev->clusters)
        return l0_err_set(err, "%s: record %llu: %u clusters but no cluster array", path,
                          (unsigned long long)index, ev->n_clusters);
    uint64_t n = EVENT_SIZE;
    for (uint32_t i = 0; i < ev->n_clusters; i++) {
        const l0_cluster *c = &ev->clusters[i];
        if (c->n_cells > L0_CELLS_MAX || c->n_cells_total < c->n_cells || (c->n_cells && !c->cells))
            return l0_err_set(err,
                              "%s: record %llu cluster %u: n_cells %u, n_cells_total %u: need "
                              "n_cells <= %d, n_cells <= n_cells_total, and the cells",
                              path, (unsigned long long)index, i, c->n_cells, c->n_cells_total,
                              L0_CELLS_MAX);
        for (uint16_t k = 0; k < c->n_cells; k++)
            if (c->cells[k].layer >= L0_NLAYERS)
                return l0_err_set(err, "%s: record %llu cluster %u cell %u: layer %u >= %d", path,
                                  (unsigned long long)index, i, k, c->cells[k].layer, L0_NLAYERS);
        n += CLUSTER_SIZE + (uint64_t)CELL_SIZE * c->n_cells;
        if (n > PAYLOAD_MAX)
            return l0_err_set(err, "%s: record %llu is larger than %u bytes", path,
                              (unsigned long long)index, PAYLOAD_MAX);
    }
    *size = (size_t)n;
    return 0;
}

static void event_encode(uint8_t *p, const l0_event *ev) {
    put_u32(p, ev->orbit);
    put_u16(p + 4, ev->bx);
    p[6] = ev->filled;
    p[7] = ev->n_hard;
    put_u32(p + 8, ev->n_clusters);
    p += EVENT_SIZE;
    for (uint32_t i = 0; i < ev->n_clusters; i++) {
        const l0_cluster *c = &ev->clusters[i];
        put_f32(p, c->e);
        put_f32(p + 4, c->et);
        put_f32(p + 8, c->eta);
        put_f32(p + 12, c->phi);
        put_f32(p + 16, c->truth_e);
        put_u32(p + 20, (uint32_t)c->truth_pdg);
        put_u16(p + 24, c->n_cells);
        put_u16(p + 26, c->n_cells_total);
        p += CLUSTER_SIZE;
        for (uint16_t k = 0; k < c->n_cells; k++) {
            const l0_cell *x = &c->cells[k];
            put_f32(p, x->e);
            put_f32(p + 4, x->eta);
            put_f32(p + 8, x->phi);
            put_f32(p + 12, x->sigma);
            p[16] = x->layer;
            p += CELL_SIZE;
        }
    }
}

static int w_flush_block(l0_stim_writer *w, l0_err *err) {
    if (!w->block_records) return 0;
    uint8_t h[BLOCK_HDR_SIZE];
    memcpy(h, BLOCK_MAGIC, 4);
    put_u32(h + 4, w->block_records);
    put_u64(h + 8, w->records - w->block_records);
    put_u32(h + 16, (uint32_t)w->len);
    put_u32(h + 20, crc_of(w->buf, w->len));
    put_u32(h + 24, crc_of(h, 24));
    if (w_write(w, h, sizeof h, err) || w_write(w, w->buf, w->len, err)) return -1;
    w->blocks++;
    w->block_records = 0;
    w->len = 0;
    return 0;
}

int l0_stim_writer_put(l0_stim_writer *w, const l0_event *ev, l0_err *err) {
    const char *path = l0_ofile_path(w->of);
    if (w->failed) return l0_err_set(err, "%s: an earlier write failed", path);
    size_t size = 0;
    if (event_check(path, w->records, ev, &size, err)) return -1;
    /* Keep every block within the reader's limit: a huge record starts a block of its own. */
    if (w->len + size > PAYLOAD_MAX && w_flush_block(w, err)) return -1;
    if (w->len + size > w->cap) {
        size_t cap = w->cap ? w->cap : BLOCK_TARGET;
        while (cap < w->len + size) cap *= 2;
        uint8_t *b = realloc(w->buf, cap);
        if (!b) return l0_err_set(err, "%s: out of memory for a %zu-byte block", path, cap);
        w->buf = b;
        w->cap = cap;
    }
    event_encode(w->buf + w->len, ev);
    w->len += size;
    w->block_records++;
    w->records++;
    if (w->block_records >= BLOCK_RECORDS || w->len >= BLOCK_TARGET) return w_flush_block(w, err);
    return 0;
}

uint64_t l0_stim_writer_count(const l0_stim_writer *w) {
    return w->records;
}

static void writer_free(l0_stim_writer *w) {
    free(w->buf);
    free(w);
}

int l0_stim_writer_close(l0_stim_writer *w, l0_err *err) {
    const char *path = l0_ofile_path(w->of);
    if (w->failed) {
        l0_err_set(err, "%s: an earlier write failed; no file written", path);
        l0_stim_writer_abort(w);
        return -1;
    }
    uint8_t e[END_SIZE];
    memcpy(e, END_MAGIC, 4);
    if (w_flush_block(w, err)) goto fail;
    put_u64(e + 4, w->records);
    put_u64(e + 12, w->blocks);
    put_u32(e + 20, crc_of(e, 20));
    if (w_write(w, e, sizeof e, err)) goto fail;
    int rc = l0_ofile_commit(w->of, err);
    writer_free(w);
    return rc;
fail:
    l0_stim_writer_abort(w);
    return -1;
}

void l0_stim_writer_abort(l0_stim_writer *w) {
    if (!w) return;
    l0_ofile_abort(w->of);
    writer_free(w);
}

/* ---- reader ---- */

struct l0_stim_reader {
    FILE *fp;
    char *path;
    uint64_t size; /* file size, when the file is a regular file */
    int size_known;
    uint64_t off; /* offset of the next unread byte */
    uint32_t version;
    char kind[KIND_LEN_MAX + 1];
    char *options;

    /* The current block: its payload, and where the next record starts in it. */
    uint8_t *buf;
    size_t buf_cap;
    uint64_t pay_off; /* file offset of payload byte 0 */
    size_t pay_len, pos;
    uint32_t blk_records, blk_done;
    uint64_t blocks, records;

    /* The last record decoded; the event handed out points here. */
    l0_cluster *clusters;
    size_t clusters_cap;
    l0_cell *cells;
    size_t cells_cap;

    int state; /* 0 reading, 1 clean end, -1 failed (the message is kept in failure) */
    l0_err failure;
};

/* Fill err with "PATH: offset N: message", remember it, and fail from now on. */
static int r_fail(l0_stim_reader *r, l0_err *err, uint64_t off, const char *fmt, ...)
    __attribute__((format(printf, 4, 5)));

static int r_fail(l0_stim_reader *r, l0_err *err, uint64_t off, const char *fmt, ...) {
    char msg[L0_ERR_MSG_MAX];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(msg, sizeof msg, fmt, ap);
    va_end(ap);
    l0_err_set(&r->failure, "%s: offset %llu: %s", r->path, (unsigned long long)off, msg);
    r->state = -1;
    if (err) *err = r->failure;
    return -1;
}

/* Read exactly n bytes at r->off, or fail naming `what`. */
static int r_read(l0_stim_reader *r, void *p, size_t n, const char *what, l0_err *err) {
    size_t got = fread(p, 1, n, r->fp);
    if (got == n) {
        r->off += n;
        return 0;
    }
    if (ferror(r->fp))
        return r_fail(r, err, r->off + got, "read error in %s: %s", what, strerror(errno));
    return r_fail(r, err, r->off,
                  "truncated file: %s needs %zu bytes but the file ends %zu bytes later, at "
                  "offset %llu",
                  what, n, got, (unsigned long long)(r->off + got));
}

/* Bytes left after r->off, if the size is known; else the largest value. */
static uint64_t r_left(const l0_stim_reader *r) {
    if (!r->size_known) return UINT64_MAX;
    return r->size > r->off ? r->size - r->off : 0;
}

/* Read n bytes into *buf (keeping room for a NUL after them). When the file size is unknown (a
 * pipe), the buffer grows as the bytes arrive, so that a length field pointing past the end never
 * allocates more than what the stream holds plus one chunk; with a known size, n has already been
 * checked against the bytes left. */
static int r_read_grow(l0_stim_reader *r, uint8_t **buf, size_t *cap, size_t n, const char *what,
                       l0_err *err) {
    const size_t chunk = (size_t)1 << 20;
    uint64_t start = r->off;
    size_t done = 0;
    for (;;) {
        size_t want = r->size_known || n - done <= chunk ? n : done + chunk;
        if (want + 1 > *cap) {
            uint8_t *b = realloc(*buf, want + 1);
            if (!b) return r_fail(r, err, start, "out of memory reading %s of %zu bytes", what, n);
            *buf = b;
            *cap = want + 1;
        }
        if (done == n) return 0;
        size_t step = want - done, got = fread(*buf + done, 1, step, r->fp);
        done += got;
        r->off += got;
        if (got < step) {
            if (ferror(r->fp))
                return r_fail(r, err, r->off, "read error in %s: %s", what, strerror(errno));
            return r_fail(r, err, start,
                          "truncated file: %s needs %zu bytes but the file ends %zu bytes later, "
                          "at offset %llu",
                          what, n, done, (unsigned long long)r->off);
        }
    }
}

static void hex_bytes(char *out, const uint8_t *p, size_t n) {
    for (size_t i = 0; i < n; i++) sprintf(out + 2 * i, "%02x", p[i]);
    out[2 * n] = '\0';
}

static int r_header(l0_stim_reader *r, l0_err *err) {
    uint8_t b[8];
    char hex[17];
    uint32_t crc = 0;
    size_t got = fread(b, 1, 8, r->fp);
    if (got < 8 && ferror(r->fp))
        return r_fail(r, err, got, "read error in the file magic: %s", strerror(errno));
    for (size_t i = 0; i < got; i++) {
        if (b[i] == FILE_MAGIC[i]) continue;
        hex_bytes(hex, b, got);
        if (i >= 4 && !memcmp(b, FILE_MAGIC, 4))
            return r_fail(r, err, i,
                          "damaged file magic %s (expected 894c30530d0a1a0a): the file was "
                          "probably copied as text, converting line endings",
                          hex);
        return r_fail(r, err, i,
                      "not an l0sim stimulus file: magic %s, expected 894c30530d0a1a0a (\\x89L0S"
                      "\\r\\n\\x1a\\n)",
                      hex);
    }
    if (got < 8)
        return r_fail(r, err, 0,
                      "truncated file: the 8-byte magic is cut after %zu bytes (empty or "
                      "truncated stimulus file)",
                      got);
    r->off = 8;
    crc = (uint32_t)crc32(crc, b, 8);

    if (r_read(r, b, 4, "the format version", err)) return -1;
    crc = (uint32_t)crc32(crc, b, 4);
    r->version = get_u32(b);
    if (r->version != L0_STIM_FORMAT_VERSION)
        return r_fail(r, err, 8, "unsupported format version %u (this l0sim reads version %u)",
                      r->version, L0_STIM_FORMAT_VERSION);

    if (r_read(r, b, 4, "the kind length", err)) return -1;
    crc = (uint32_t)crc32(crc, b, 4);
    uint32_t klen = get_u32(b);
    if (klen < 1 || klen > KIND_LEN_MAX)
        return r_fail(r, err, 12, "kind length %u is out of range 1..%u", klen, KIND_LEN_MAX);
    if (r_read(r, r->kind, klen, "the kind string", err)) return -1;
    crc = (uint32_t)crc32(crc, (const uint8_t *)r->kind, klen);
    r->kind[klen] = '\0';

    uint64_t opt_len_off = r->off;
    if (r_read(r, b, 4, "the options length", err)) return -1;
    crc = (uint32_t)crc32(crc, b, 4);
    uint32_t olen = get_u32(b);
    if (olen > OPTIONS_LEN_MAX)
        return r_fail(r, err, opt_len_off, "options length %u exceeds the limit of %u bytes", olen,
                      OPTIONS_LEN_MAX);
    if ((uint64_t)olen + 4 > r_left(r))
        return r_fail(r, err, opt_len_off,
                      "options length %u points past the end of the file (%llu bytes left)", olen,
                      (unsigned long long)r_left(r));
    uint64_t opt_off = r->off;
    size_t cap = 0;
    uint8_t *opt = NULL;
    if (r_read_grow(r, &opt, &cap, olen, "the options text", err)) {
        free(opt);
        return -1;
    }
    opt[olen] = '\0';
    r->options = (char *)opt;
    crc = (uint32_t)crc32(crc, opt, olen);

    uint64_t crc_off = r->off;
    if (r_read(r, b, 4, "the header checksum", err)) return -1;
    if (get_u32(b) != crc)
        return r_fail(r, err, crc_off,
                      "header checksum mismatch: stored 0x%08x, computed 0x%08x over bytes 0..%llu",
                      get_u32(b), crc, (unsigned long long)crc_off - 1);
    /* Only now are kind and options known to be what the writer wrote. */
    for (uint32_t i = 0; i < klen; i++)
        if (r->kind[i] < 0x20 || r->kind[i] > 0x7e) r->kind[i] = '?';
    if (!kind_known(r->kind))
        return r_fail(r, err, 16, "unknown stimulus kind '%s' (expected stream or singles)",
                      r->kind);
    if (!options_valid(r->options, olen))
        return r_fail(r, err, opt_off, "the generator options (%u bytes) are not a JSON object",
                      olen);
    return 0;
}

l0_stim_reader *l0_stim_reader_open(const char *path, l0_err *err) {
    l0_stim_reader *r = calloc(1, sizeof *r);
    if (!r || !(r->path = strdup(path))) {
        free(r);
        l0_err_set(err, "%s: out of memory", path);
        return NULL;
    }
    r->fp = fopen(path, "rb");
    if (!r->fp) {
        l0_err_set(err, "%s: cannot open: %s", path, strerror(errno));
        l0_stim_reader_close(r);
        return NULL;
    }
    struct stat st;
    if (fstat(fileno(r->fp), &st) == 0) {
        if (S_ISDIR(st.st_mode)) {
            l0_err_set(err, "%s: is a directory, not a stimulus file", path);
            l0_stim_reader_close(r);
            return NULL;
        }
        if (S_ISREG(st.st_mode)) {
            r->size = (uint64_t)st.st_size;
            r->size_known = 1;
        }
    }
    if (r_header(r, err)) {
        l0_stim_reader_close(r);
        return NULL;
    }
    return r;
}

const char *l0_stim_reader_kind(const l0_stim_reader *r) {
    return r->kind;
}

const char *l0_stim_reader_options(const l0_stim_reader *r) {
    return r->options;
}

uint64_t l0_stim_reader_count(const l0_stim_reader *r) {
    return r->records;
}

uint32_t l0_stim_reader_version(const l0_stim_reader *r) {
    return r->version;
}

uint64_t l0_stim_reader_offset(const l0_stim_reader *r) {
    return r->off;
}

/* The end block: totals must match what was read, and nothing may follow it. */
static int r_end(l0_stim_reader *r, const uint8_t *magic, uint64_t at, l0_err *err) {
    uint8_t e[END_SIZE];
    memcpy(e, magic, 4);
    if (r_read(r, e + 4, END_SIZE - 4, "the end block", err)) return -1;
    uint32_t crc = crc_of(e, 20);
    if (get_u32(e + 20) != crc)
        return r_fail(r, err, at, "end block checksum mismatch: stored 0x%08x, computed 0x%08x",
                      get_u32(e + 20), crc);
    if (get_u64(e + 4) != r->records || get_u64(e + 12) != r->blocks)
        return r_fail(r, err, at,
                      "the end block counts %llu records in %llu blocks, but the file holds %llu "
                      "records in %llu blocks",
                      (unsigned long long)get_u64(e + 4), (unsigned long long)get_u64(e + 12),
                      (unsigned long long)r->records, (unsigned long long)r->blocks);
    int c = fgetc(r->fp);
    if (c != EOF)
        return r_fail(r, err, r->off,
                      "unexpected data after the end block (the file ends at "
                      "offset %llu in a well-formed file)",
                      (unsigned long long)r->off);
    if (ferror(r->fp))
        return r_fail(r, err, r->off, "read error after the end block: %s", strerror(errno));
    r->state = 1;
    return 0;
}

/* Load the next block. Returns 1 for a data block, 0 at the end block, -1 on error. */
static int r_block(l0_stim_reader *r, l0_err *err) {
    uint64_t at = r->off;
    uint8_t h[BLOCK_HDR_SIZE];
    size_t got = fread(h, 1, 4, r->fp);
    if (got < 4) {
        if (ferror(r->fp))
            return r_fail(r, err, at, "read error in a block header: %s", strerror(errno));
        if (got == 0)
            return r_fail(r, err, at,
                          "truncated file: it ends after %llu records without an end block",
                          (unsigned long long)r->records);
        return r_fail(r, err, at, "truncated file: a block header is cut after %zu bytes", got);
    }
    r->off += 4;
    if (!memcmp(h, END_MAGIC, 4)) return r_end(r, h, at, err) ? -1 : 0;
    if (memcmp(h, BLOCK_MAGIC, 4)) {
        char hex[9];
        hex_bytes(hex, h, 4);
        return r_fail(r, err, at,
                      "bad block magic %s (expected 4c30424b \"L0BK\" or 4c30454e \"L0EN\")", hex);
    }
    if (r_read(r, h + 4, BLOCK_HDR_SIZE - 4, "a block header", err)) return -1;
    uint32_t crc = crc_of(h, 24);
    if (get_u32(h + 24) != crc)
        return r_fail(r, err, at, "block header checksum mismatch: stored 0x%08x, computed 0x%08x",
                      get_u32(h + 24), crc);
    uint32_t n = get_u32(h + 4), len = get_u32(h + 16);
    uint64_t first = get_u64(h + 8);
    if (n < 1 || n > BLOCK_RECORDS_MAX)
        return r_fail(r, err, at + 4, "block record count %u is out of range 1..%u", n,
                      BLOCK_RECORDS_MAX);
    if (first != r->records)
        return r_fail(r, err, at + 8,
                      "block starts at record %llu but %llu records precede it: a block is "
                      "missing or repeated",
                      (unsigned long long)first, (unsigned long long)r->records);
    if (len < (uint64_t)n * EVENT_SIZE || len > PAYLOAD_MAX)
        return r_fail(r, err, at + 16,
                      "block payload length %u is impossible for %u records (range %u..%u)", len, n,
                      n * EVENT_SIZE, PAYLOAD_MAX);
    if (len > r_left(r))
        return r_fail(r, err, at + 16,
                      "block payload length %u points past the end of the file (%llu bytes left)",
                      len, (unsigned long long)r_left(r));
    r->pay_off = r->off;
    if (r_read_grow(r, &r->buf, &r->buf_cap, len, "a block payload", err)) return -1;
    crc = crc_of(r->buf, len);
    if (get_u32(h + 20) != crc)
        return r_fail(r, err, at,
                      "block payload checksum mismatch: stored 0x%08x, computed 0x%08x over the "
                      "%u bytes at offset %llu",
                      get_u32(h + 20), crc, len, (unsigned long long)r->pay_off);
    r->pay_len = len;
    r->pos = 0;
    r->blk_records = n;
    r->blk_done = 0;
    r->blocks++;
    return 1;
}

/* Walk the next record without decoding: check every count against the bytes the block holds,
 * before anything is allocated for it. */
static int r_scan(l0_stim_reader *r, uint32_t *n_clusters, size_t *n_cells, l0_err *err) {
    const uint8_t *b = r->buf;
    size_t p = r->pos, end = r->pay_len;
    unsigned long long rec = (unsigned long long)r->records;
    if (end - p < EVENT_SIZE)
        return r_fail(r, err, r->pay_off + p,
                      "record %llu: needs %u bytes but its block has %zu left", rec, EVENT_SIZE,
                      end - p);
    if (b[p + 6] > 1)
        return r_fail(r, err, r->pay_off + p + 6, "record %llu: filled is %u, not 0 or 1", rec,
                      b[p + 6]);
    uint32_t nc = get_u32(b + p + 8);
    p += EVENT_SIZE;
    if (nc > (end - p) / CLUSTER_SIZE)
        return r_fail(r, err, r->pay_off + p - 4,
                      "record %llu: %u clusters cannot fit in the %zu bytes left in its block", rec,
                      nc, end - p);
    size_t cells = 0;
    for (uint32_t i = 0; i < nc; i++) {
        if (end - p < CLUSTER_SIZE)
            return r_fail(r, err, r->pay_off + p,
                          "record %llu cluster %u: needs %u bytes but its block has %zu left", rec,
                          i, CLUSTER_SIZE, end - p);
        uint16_t k = get_u16(b + p + 24), kt = get_u16(b + p + 26);
        if (k > L0_CELLS_MAX)
            return r_fail(r, err, r->pay_off + p + 24,
                          "record %llu cluster %u: n_cells %u exceeds the maximum %d", rec, i, k,
                          L0_CELLS_MAX);
        if (kt < k)
            return r_fail(r, err, r->pay_off + p + 26,
                          "record %llu cluster %u: n_cells_total %u is below n_cells %u", rec, i,
                          kt, k);
        p += CLUSTER_SIZE;
        if ((size_t)k * CELL_SIZE > end - p)
            return r_fail(r, err, r->pay_off + p - 4,
                          "record %llu cluster %u: %u cells cannot fit in the %zu bytes left in "
                          "its block",
                          rec, i, k, end - p);
        for (uint16_t j = 0; j < k; j++, p += CELL_SIZE)
            if (b[p + 16] >= L0_NLAYERS)
                return r_fail(r, err, r->pay_off + p + 16,
                              "record %llu cluster %u cell %u: layer %u is not below %d", rec, i, j,
                              b[p + 16], L0_NLAYERS);
        cells += k;
    }
    *n_clusters = nc;
    *n_cells = cells;
    return 0;
}

static int r_reserve(l0_stim_reader *r, void **p, size_t *cap, size_t n, size_t elem, l0_err *err) {
    if (n <= *cap) return 0;
    void *q = realloc(*p, n * elem);
    if (!q) return r_fail(r, err, r->pay_off + r->pos, "out of memory for %zu entries", n);
    *p = q;
    *cap = n;
    return 0;
}

int l0_stim_reader_next(l0_stim_reader *r, l0_event *ev, l0_err *err) {
    if (r->state < 0) {
        if (err) *err = r->failure;
        return -1;
    }
    if (r->state > 0) return 0;
    while (r->blk_done == r->blk_records) {
        if (r->pos != r->pay_len)
            return r_fail(r, err, r->pay_off + r->pos,
                          "%zu bytes follow the last of the block's %u records",
                          r->pay_len - r->pos, r->blk_records);
        int rc = r_block(r, err);
        if (rc <= 0) return rc;
    }
    uint32_t nc = 0;
    size_t ncells = 0;
    if (r_scan(r, &nc, &ncells, err)) return -1;
    if (r_reserve(r, (void **)&r->clusters, &r->clusters_cap, nc, sizeof *r->clusters, err) ||
        r_reserve(r, (void **)&r->cells, &r->cells_cap, ncells, sizeof *r->cells, err))
        return -1;

    const uint8_t *p = r->buf + r->pos;
    memset(ev, 0, sizeof *ev);
    ev->orbit = get_u32(p);
    ev->bx = get_u16(p + 4);
    ev->filled = p[6];
    ev->n_hard = p[7];
    ev->n_clusters = nc;
    ev->clusters = nc ? r->clusters : NULL;
    p += EVENT_SIZE;
    l0_cell *cell = r->cells;
    for (uint32_t i = 0; i < nc; i++) {
        l0_cluster *c = &r->clusters[i];
        c->e = get_f32(p);
        c->et = get_f32(p + 4);
        c->eta = get_f32(p + 8);
        c->phi = get_f32(p + 12);
        c->truth_e = get_f32(p + 16);
        c->truth_pdg = (int32_t)get_u32(p + 20);
        c->n_cells = get_u16(p + 24);
        c->n_cells_total = get_u16(p + 26);
        c->cells = c->n_cells ? cell : NULL;
        p += CLUSTER_SIZE;
        for (uint16_t k = 0; k < c->n_cells; k++, cell++, p += CELL_SIZE) {
            cell->e = get_f32(p);
            cell->eta = get_f32(p + 4);
            cell->phi = get_f32(p + 8);
            cell->sigma = get_f32(p + 12);
            cell->layer = p[16];
        }
    }
    r->pos = (size_t)(p - r->buf);
    r->blk_done++;
    r->records++;
    return 1;
}

void l0_stim_reader_close(l0_stim_reader *r) {
    if (!r) return;
    if (r->fp) fclose(r->fp);
    free(r->path);
    free(r->options);
    free(r->buf);
    free(r->clusters);
    free(r->cells);
    free(r);
}
