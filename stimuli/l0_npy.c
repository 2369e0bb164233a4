/* l0_npy: .npy and .npz writers.
 *
 * The .npz is laid out when arrays are declared: every array's size is known from its shape, so
 * each entry (local header, .npy header, data) gets a fixed region of the file, and appends go
 * straight to their region through a small buffer per array. Only the CRCs are unknown until the
 * end: the local headers are written last, by seeking back. This streams any amount of data with
 * one write of each byte, and needs no second temporary file. */
#include "l0_npy.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <zlib.h>

#include "l0_ofile.h"

#define NAME_MAX_LEN 200
#define WBUF_SIZE ((size_t)64 << 10)
#define U32_MAX 0xffffffffu
/* DOS date of 1980-01-01, time 00:00: fixed so that the bytes do not depend on the clock. */
#define DOS_DATE 0x0021u
#define DOS_TIME 0x0000u

static int host_is_le(void) {
    const uint16_t one = 1;
    uint8_t b;
    memcpy(&b, &one, 1);
    return b == 1;
}

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

/* Parse a descriptor into its normalised form ('<' for multi-byte numbers, '|' otherwise).
 * Returns the item size, 0 if unsupported; *swap says whether elements are byte-swapped on a
 * big-endian host. */
static uint64_t dtype_parse(const char *d, char norm[24], int *swap) {
    if (!d || (d[0] != '<' && d[0] != '|')) return 0;
    char kind = d[1];
    const char *s = d + 2;
    if (!*s || strlen(s) > 8) return 0;
    uint64_t size = 0;
    for (; *s; s++) {
        if (*s < '0' || *s > '9') return 0;
        size = size * 10 + (uint64_t)(*s - '0');
    }
    int ok;
    switch (kind) {
    case 'b':
        ok = size == 1;
        break;
    case 'i':
    case 'u':
        ok = size == 1 || size == 2 || size == 4 || size == 8;
        break;
    case 'f':
        ok = size == 2 || size == 4 || size == 8;
        break;
    case 'S':
        ok = size >= 1 && size <= ((uint64_t)1 << 24);
        break;
    default:
        ok = 0;
    }
    if (!ok) return 0;
    int multi = kind != 'S' && size > 1;
    if (norm) snprintf(norm, 24, "%c%c%llu", multi ? '<' : '|', kind, (unsigned long long)size);
    if (swap) *swap = multi && !host_is_le();
    return size;
}

uint64_t l0_npy_itemsize(const char *dtype) {
    return dtype_parse(dtype, NULL, NULL);
}

/* Element count of a shape; -1 on overflow or bad ndim. */
static int shape_count(int ndim, const uint64_t *shape, uint64_t itemsize, uint64_t *n,
                       uint64_t *bytes) {
    if (ndim < 0 || ndim > L0_NPY_NDIM_MAX || (ndim > 0 && !shape)) return -1;
    uint64_t c = 1;
    for (int i = 0; i < ndim; i++) {
        if (shape[i] && c > UINT64_MAX / shape[i]) return -1;
        c *= shape[i];
    }
    if (c && itemsize > (UINT64_MAX >> 1) / c) return -1;
    *n = c;
    *bytes = c * itemsize;
    return 0;
}

/* The .npy 1.0 header: magic, version, length, then the dict padded with spaces and ended by a
 * newline so that the data starts at a multiple of 64 bytes (as numpy writes it). */
static size_t npy_header(uint8_t out[512], const char *descr, int ndim, const uint64_t *shape) {
    char dict[400], dims[300] = "";
    size_t k = 0;
    for (int i = 0; i < ndim; i++)
        k += (size_t)snprintf(dims + k, sizeof dims - k, "%s%llu", i ? ", " : "",
                              (unsigned long long)shape[i]);
    if (ndim == 1) snprintf(dims + k, sizeof dims - k, ",");
    int n = snprintf(dict, sizeof dict, "{'descr': '%s', 'fortran_order': False, 'shape': (%s), }",
                     descr, dims);
    size_t total = 10 + (size_t)n + 1;
    total = (total + 63) / 64 * 64;
    memcpy(out, "\x93NUMPY\x01\x00", 8);
    put_u16(out + 8, (uint16_t)(total - 10));
    memcpy(out + 10, dict, (size_t)n);
    memset(out + 10 + n, ' ', total - 10 - (size_t)n - 1);
    out[total - 1] = '\n';
    return total;
}

static void swap_copy(uint8_t *dst, const uint8_t *src, size_t n, size_t itemsize) {
    for (size_t i = 0; i < n; i++)
        for (size_t b = 0; b < itemsize; b++)
            dst[i * itemsize + b] = src[i * itemsize + itemsize - 1 - b];
}

/* Feed n elements to `sink` as little-endian bytes, converting through a bounded buffer on a
 * big-endian host. */
typedef int (*byte_sink)(void *ctx, const uint8_t *p, size_t n, l0_err *err);

static int emit_elements(const void *data, uint64_t n, uint64_t itemsize, int swap, byte_sink sink,
                         void *ctx, l0_err *err) {
    const uint8_t *p = data;
    if (!swap) {
        uint64_t left = n * itemsize;
        while (left) { /* in pieces: size_t may be narrower than the byte count */
            size_t step = left > ((size_t)1 << 30) ? ((size_t)1 << 30) : (size_t)left;
            if (sink(ctx, p, step, err)) return -1;
            p += step;
            left -= step;
        }
        return 0;
    }
    uint8_t tmp[4096];
    size_t per = sizeof tmp / itemsize;
    while (n) {
        size_t m = n < per ? (size_t)n : per;
        swap_copy(tmp, p, m, (size_t)itemsize);
        if (sink(ctx, tmp, m * (size_t)itemsize, err)) return -1;
        p += m * itemsize;
        n -= m;
    }
    return 0;
}

/* ---- .npy ---- */

static int file_sink(void *ctx, const uint8_t *p, size_t n, l0_err *err) {
    l0_ofile *f = ctx;
    if (fwrite(p, 1, n, l0_ofile_fp(f)) != n)
        return l0_err_set(err, "%s: write failed: %s", l0_ofile_path(f), strerror(errno));
    return 0;
}

int l0_npy_write(const char *path, const char *dtype, int ndim, const uint64_t *shape,
                 const void *data, l0_err *err) {
    char descr[24];
    int swap;
    uint64_t itemsize = dtype_parse(dtype, descr, &swap), n, bytes;
    if (!itemsize)
        return l0_err_set(err, "%s: unsupported dtype '%s'", path, dtype ? dtype : "(null)");
    if (shape_count(ndim, shape, itemsize, &n, &bytes))
        return l0_err_set(err, "%s: bad shape (ndim %d, at most %d, or size overflow)", path, ndim,
                          L0_NPY_NDIM_MAX);
    if (n && !data)
        return l0_err_set(err, "%s: no data for %llu elements", path, (unsigned long long)n);
    uint8_t h[512];
    size_t hl = npy_header(h, descr, ndim, shape);
    l0_ofile *f = l0_ofile_open(path, err);
    if (!f) return -1;
    if (file_sink(f, h, hl, err) ||
        (n && emit_elements(data, n, itemsize, swap, file_sink, f, err))) {
        l0_ofile_abort(f);
        return -1;
    }
    return l0_ofile_commit(f, err);
}

/* ---- .npz ---- */

typedef struct npz_entry {
    char *name; /* "x.npy" */
    uint64_t itemsize;
    int swap;
    uint64_t hdr_off; /* local header */
    uint32_t lh_size; /* local header with name and extra field */
    int zip64_sizes;  /* sizes in a ZIP64 extra field */
    int zip64_offset; /* local header offset in a ZIP64 extra field (central directory) */
    uint64_t size;    /* .npy bytes: header and data */
    uint64_t hdr_len; /* .npy header bytes */
    uint64_t flushed; /* bytes already in the file */
    uint32_t crc;
    uint8_t *wbuf;
    size_t wlen;
} npz_entry;

struct l0_npz {
    l0_ofile *of;
    FILE *fp;
    unsigned flags;
    npz_entry *e;
    size_t n, cap;
    uint64_t end; /* where the next entry would start */
    uint64_t pos; /* the stream's position, to skip needless seeks */
    int failed;
};

l0_npz *l0_npz_open_flags(const char *path, unsigned flags, l0_err *err) {
    l0_npz *z = calloc(1, sizeof *z);
    if (!z) {
        l0_err_set(err, "%s: out of memory", path);
        return NULL;
    }
    z->of = l0_ofile_open(path, err);
    if (!z->of) {
        free(z);
        return NULL;
    }
    z->fp = l0_ofile_fp(z->of);
    z->flags = flags;
    return z;
}

l0_npz *l0_npz_open(const char *path, l0_err *err) {
    return l0_npz_open_flags(path, 0, err);
}

static int z_fail(l0_npz *z, l0_err *err, const char *what) {
    z->failed = 1;
    return l0_err_set(err, "%s: %s failed: %s", l0_ofile_path(z->of), what, strerror(errno));
}

static int z_write_at(l0_npz *z, uint64_t off, const void *p, size_t n, l0_err *err) {
    if (off != z->pos) {
        if ((uint64_t)(off_t)off != off || fseeko(z->fp, (off_t)off, SEEK_SET) != 0)
            return z_fail(z, err, "seek");
        z->pos = off;
    }
    if (n && fwrite(p, 1, n, z->fp) != n) return z_fail(z, err, "write");
    z->pos += n;
    return 0;
}

static int entry_flush(l0_npz *z, npz_entry *e, l0_err *err) {
    if (!e->wlen) return 0;
    if (z_write_at(z, e->hdr_off + e->lh_size + e->flushed, e->wbuf, e->wlen, err)) return -1;
    e->flushed += e->wlen;
    e->wlen = 0;
    return 0;
}

typedef struct entry_ctx {
    l0_npz *z;
    npz_entry *e;
} entry_ctx;

/* Append bytes to an entry: small pieces gather in its buffer, large ones go straight out. */
static int entry_sink(void *ctx, const uint8_t *p, size_t n, l0_err *err) {
    l0_npz *z = ((entry_ctx *)ctx)->z;
    npz_entry *e = ((entry_ctx *)ctx)->e;
    e->crc = (uint32_t)crc32(e->crc, p, (uInt)n); /* n <= 1 GiB: see emit_elements */
    if (e->wlen + n <= WBUF_SIZE) {
        if (!e->wbuf && !(e->wbuf = malloc(WBUF_SIZE)))
            return l0_err_set(err, "%s: out of memory", l0_ofile_path(z->of));
        memcpy(e->wbuf + e->wlen, p, n);
        e->wlen += n;
        return 0;
    }
    if (entry_flush(z, e, err) || z_write_at(z, e->hdr_off + e->lh_size + e->flushed, p, n, err))
        return -1;
    e->flushed += n;
    return 0;
}

static int name_ok(const char *s) {
    size_t n = strlen(s);
    if (!n || n > NAME_MAX_LEN) return 0;
    for (; *s; s++)
        if (!((*s >= 'a' && *s <= 'z') || (*s >= 'A' && *s <= 'Z') || (*s >= '0' && *s <= '9') ||
              *s == '_' || *s == '-' || *s == '.'))
            return 0;
    return 1;
}

int l0_npz_add(l0_npz *z, const char *name, const char *dtype, int ndim, const uint64_t *shape,
               l0_err *err) {
    const char *path = l0_ofile_path(z->of);
    char descr[24];
    int swap;
    uint64_t itemsize = dtype_parse(dtype, descr, &swap), n, bytes;
    if (z->failed) return l0_err_set(err, "%s: an earlier write failed", path);
    if (!name || !name_ok(name))
        return l0_err_set(err, "%s: bad array name '%s' (letters, digits, _ - . only)", path,
                          name ? name : "(null)");
    if (!itemsize)
        return l0_err_set(err, "%s: array %s: unsupported dtype '%s'", path, name,
                          dtype ? dtype : "(null)");
    if (shape_count(ndim, shape, itemsize, &n, &bytes))
        return l0_err_set(err, "%s: array %s: bad shape (ndim %d, at most %d, or size overflow)",
                          path, name, ndim, L0_NPY_NDIM_MAX);
    size_t nl = strlen(name);
    for (size_t i = 0; i < z->n; i++)
        if (!strncmp(z->e[i].name, name, nl) && !strcmp(z->e[i].name + nl, ".npy"))
            return l0_err_set(err, "%s: array %s added twice", path, name);
    if (z->n == z->cap) {
        size_t cap = z->cap ? 2 * z->cap : 16;
        npz_entry *e = realloc(z->e, cap * sizeof *e);
        if (!e) return l0_err_set(err, "%s: out of memory", path);
        z->e = e;
        z->cap = cap;
    }
    npz_entry *e = &z->e[z->n];
    memset(e, 0, sizeof *e);
    if (!(e->name = malloc(nl + 5))) return l0_err_set(err, "%s: out of memory", path);
    memcpy(e->name, name, nl);
    memcpy(e->name + nl, ".npy", 5);
    uint8_t h[512];
    e->hdr_len = npy_header(h, descr, ndim, shape);
    e->itemsize = itemsize;
    e->swap = swap;
    e->size = e->hdr_len + bytes;
    e->hdr_off = z->end;
    int force = (z->flags & L0_NPZ_ZIP64) != 0;
    e->zip64_sizes = force || e->size >= U32_MAX;
    e->zip64_offset = force || e->hdr_off >= U32_MAX;
    e->lh_size = (uint32_t)(30 + nl + 4 + (e->zip64_sizes ? 20 : 0));
    z->end = e->hdr_off + e->lh_size + e->size;
    z->n++;
    entry_ctx ctx = {z, e};
    if (entry_sink(&ctx, h, (size_t)e->hdr_len, err)) return -1;
    return (int)(z->n - 1);
}

int l0_npz_append(l0_npz *z, int idx, const void *data, uint64_t n, l0_err *err) {
    const char *path = l0_ofile_path(z->of);
    if (z->failed) return l0_err_set(err, "%s: an earlier write failed", path);
    if (idx < 0 || (size_t)idx >= z->n) return l0_err_set(err, "%s: no array %d", path, idx);
    npz_entry *e = &z->e[idx];
    uint64_t done = e->flushed + e->wlen, left = (e->size - done) / e->itemsize;
    if (n > left)
        return l0_err_set(err, "%s: array %.*s: %llu more elements than its shape holds", path,
                          (int)strlen(e->name) - 4, e->name, (unsigned long long)(n - left));
    if (!n) return 0;
    entry_ctx ctx = {z, e};
    return emit_elements(data, n, e->itemsize, e->swap, entry_sink, &ctx, err);
}

int l0_npz_put(l0_npz *z, const char *name, const char *dtype, int ndim, const uint64_t *shape,
               const void *data, l0_err *err) {
    int idx = l0_npz_add(z, name, dtype, ndim, shape, err);
    if (idx < 0) return -1;
    const npz_entry *e = &z->e[idx];
    return l0_npz_append(z, idx, data, (e->size - e->hdr_len) / e->itemsize, err);
}

static void npz_free(l0_npz *z) {
    for (size_t i = 0; i < z->n; i++) {
        free(z->e[i].name);
        free(z->e[i].wbuf);
    }
    free(z->e);
    free(z);
}

void l0_npz_abort(l0_npz *z) {
    if (!z) return;
    l0_ofile_abort(z->of);
    npz_free(z);
}

static int npz_finish(l0_npz *z, l0_err *err) {
    const char *path = l0_ofile_path(z->of);
    if (z->failed) return l0_err_set(err, "%s: an earlier write failed", path);
    for (size_t i = 0; i < z->n; i++) {
        npz_entry *e = &z->e[i];
        if (entry_flush(z, e, err)) return -1;
        if (e->flushed != e->size)
            return l0_err_set(err, "%s: array %.*s got %llu of its %llu elements", path,
                              (int)strlen(e->name) - 4, e->name,
                              (unsigned long long)((e->flushed - e->hdr_len) / e->itemsize),
                              (unsigned long long)((e->size - e->hdr_len) / e->itemsize));
    }
    /* Local headers, now that the CRCs are known. */
    uint8_t h[30 + NAME_MAX_LEN + 4 + 20 + 12];
    for (size_t i = 0; i < z->n; i++) {
        npz_entry *e = &z->e[i];
        size_t nl = strlen(e->name);
        put_u32(h, 0x04034b50);
        put_u16(h + 4, e->zip64_sizes || e->zip64_offset ? 45 : 20);
        put_u16(h + 6, 0);
        put_u16(h + 8, 0); /* stored */
        put_u16(h + 10, DOS_TIME);
        put_u16(h + 12, DOS_DATE);
        put_u32(h + 14, e->crc);
        put_u32(h + 18, e->zip64_sizes ? U32_MAX : (uint32_t)e->size);
        put_u32(h + 22, e->zip64_sizes ? U32_MAX : (uint32_t)e->size);
        put_u16(h + 26, (uint16_t)nl);
        put_u16(h + 28, e->zip64_sizes ? 20 : 0);
        memcpy(h + 30, e->name, nl);
        if (e->zip64_sizes) {
            put_u16(h + 30 + nl, 0x0001);
            put_u16(h + 32 + nl, 16);
            put_u64(h + 34 + nl, e->size);
            put_u64(h + 42 + nl, e->size);
        }
        if (z_write_at(z, e->hdr_off, h, e->lh_size, err)) return -1;
    }
    /* Central directory. */
    uint64_t cd_off = z->end;
    uint8_t c[46 + NAME_MAX_LEN + 4 + 28];
    if (z_write_at(z, cd_off, NULL, 0, err)) return -1;
    for (size_t i = 0; i < z->n; i++) {
        const npz_entry *e = &z->e[i];
        size_t nl = strlen(e->name);
        uint16_t xl = (uint16_t)((e->zip64_sizes ? 16 : 0) + (e->zip64_offset ? 8 : 0));
        uint16_t ver = e->zip64_sizes || e->zip64_offset ? 45 : 20;
        put_u32(c, 0x02014b50);
        put_u16(c + 4, (uint16_t)(3u << 8 | ver)); /* made by: Unix */
        put_u16(c + 6, ver);
        put_u16(c + 8, 0);
        put_u16(c + 10, 0);
        put_u16(c + 12, DOS_TIME);
        put_u16(c + 14, DOS_DATE);
        put_u32(c + 16, e->crc);
        put_u32(c + 20, e->zip64_sizes ? U32_MAX : (uint32_t)e->size);
        put_u32(c + 24, e->zip64_sizes ? U32_MAX : (uint32_t)e->size);
        put_u16(c + 28, (uint16_t)nl);
        put_u16(c + 30, xl ? (uint16_t)(xl + 4) : 0);
        put_u16(c + 32, 0);              /* comment */
        put_u16(c + 34, 0);              /* disk */
        put_u16(c + 36, 0);              /* internal attributes */
        put_u32(c + 38, 0100644u << 16); /* external: a regular file, rw-r--r-- */
        put_u32(c + 42, e->zip64_offset ? U32_MAX : (uint32_t)e->hdr_off);
        memcpy(c + 46, e->name, nl);
        size_t k = 46 + nl;
        if (xl) {
            put_u16(c + k, 0x0001);
            put_u16(c + k + 2, xl);
            k += 4;
            if (e->zip64_sizes) {
                put_u64(c + k, e->size);
                put_u64(c + k + 8, e->size);
                k += 16;
            }
            if (e->zip64_offset) {
                put_u64(c + k, e->hdr_off);
                k += 8;
            }
        }
        if (z_write_at(z, z->pos, c, k, err)) return -1;
    }
    uint64_t cd_size = z->pos - cd_off, n = z->n;
    int zip64 = (z->flags & L0_NPZ_ZIP64) || n >= 0xffff || cd_size >= U32_MAX || cd_off >= U32_MAX;
    uint8_t t[56 + 20 + 22];
    size_t k = 0;
    if (zip64) {
        uint64_t rec_off = z->pos;
        put_u32(t, 0x06064b50);
        put_u64(t + 4, 44);
        put_u16(t + 12, 3u << 8 | 45);
        put_u16(t + 14, 45);
        put_u32(t + 16, 0);
        put_u32(t + 20, 0);
        put_u64(t + 24, n);
        put_u64(t + 32, n);
        put_u64(t + 40, cd_size);
        put_u64(t + 48, cd_off);
        put_u32(t + 56, 0x07064b50);
        put_u32(t + 60, 0);
        put_u64(t + 64, rec_off);
        put_u32(t + 72, 1);
        k = 76;
    }
    put_u32(t + k, 0x06054b50);
    put_u16(t + k + 4, 0);
    put_u16(t + k + 6, 0);
    put_u16(t + k + 8, zip64 ? 0xffff : (uint16_t)n);
    put_u16(t + k + 10, zip64 ? 0xffff : (uint16_t)n);
    put_u32(t + k + 12, zip64 ? U32_MAX : (uint32_t)cd_size);
    put_u32(t + k + 16, zip64 ? U32_MAX : (uint32_t)cd_off);
    put_u16(t + k + 20, 0);
    return z_write_at(z, z->pos, t, k + 22, err);
}

int l0_npz_close(l0_npz *z, l0_err *err) {
    if (npz_finish(z, err)) {
        l0_npz_abort(z);
        return -1;
    }
    int rc = l0_ofile_commit(z->of, err);
    npz_free(z);
    return rc;
}
