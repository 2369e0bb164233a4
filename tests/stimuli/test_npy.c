/* The .npy and .npz writers, checked without numpy: the .npy header (magic, version, dict,
 * 64-byte alignment) and data; the .npz zip structure parsed from the end: end of central
 * directory (and ZIP64 records), every central directory entry against its local header, CRC-32
 * and sizes recomputed, entries contiguous; arrays written in interleaved pieces; identical bytes
 * for identical arrays; errors leave no file. */
#include <dirent.h>
#include <inttypes.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <zlib.h>

#include "check.h"
#include "l0_npy.h"
#include "stim_synth.h"

static char dir[] = "npy_test_XXXXXX";

static uint32_t rd16(const unsigned char *p) {
    return (uint32_t)(p[0] | p[1] << 8);
}

static uint32_t rd32(const unsigned char *p) {
    return (uint32_t)p[0] | (uint32_t)p[1] << 8 | (uint32_t)p[2] << 16 | (uint32_t)p[3] << 24;
}

static uint64_t rd64(const unsigned char *p) {
    return (uint64_t)rd32(p) | (uint64_t)rd32(p + 4) << 32;
}

/* Check a .npy image: returns the data offset, or 0 on a bad header. want_dict is the expected
 * dict text without padding. */
static size_t check_npy(const char *what, const unsigned char *p, size_t n, const char *want_dict) {
    if (n < 10 || memcmp(p, "\x93NUMPY\x01\x00", 8)) {
        CHECK(0, "%s: bad .npy magic or version", what);
        return 0;
    }
    size_t hl = rd16(p + 8), data = 10 + hl;
    CHECK(data % 64 == 0, "%s: data at %zu, not 64-aligned", what, data);
    CHECK(data <= n && p[data - 1] == '\n', "%s: header not ended by a newline", what);
    size_t dl = strlen(want_dict);
    CHECK(hl >= dl && !memcmp(p + 10, want_dict, dl), "%s: header '%.*s', expected '%s'", what,
          (int)(hl < 200 ? hl : 200), p + 10, want_dict);
    for (size_t i = 10 + dl; i + 1 < data && i < n; i++)
        CHECK(p[i] == ' ', "%s: padding byte %zu is 0x%02x", what, i, p[i]);
    return data;
}

typedef struct zentry {
    char name[256];
    const unsigned char *data; /* the .npy bytes */
    uint64_t size;
} zentry;

/* Parse a whole zip image; fills up to max entries. Returns the entry count, -1 if malformed. */
static int parse_zip(const char *what, const unsigned char *z, size_t n, zentry *out, int max,
                     int expect_zip64) {
    if (n < 22 || rd32(z + n - 22) != 0x06054b50) {
        CHECK(0, "%s: no end of central directory record at the end", what);
        return -1;
    }
    const unsigned char *e = z + n - 22;
    uint64_t entries = rd16(e + 10), cd_size = rd32(e + 12), cd_off = rd32(e + 16);
    CHECK(rd16(e + 20) == 0, "%s: archive comment", what);
    int zip64 = n >= 22 + 20 && rd32(z + n - 42) == 0x07064b50;
    CHECK(zip64 == expect_zip64, "%s: ZIP64 records %s", what, zip64 ? "present" : "absent");
    if (zip64) {
        const unsigned char *loc = z + n - 42;
        uint64_t rec = rd64(loc + 8);
        CHECK(rd32(loc + 4) == 0 && rd32(loc + 16) == 1, "%s: ZIP64 locator disks", what);
        CHECK(rec + 56 == n - 42 && rd32(z + rec) == 0x06064b50, "%s: ZIP64 EOCD not at %llu", what,
              (unsigned long long)rec);
        if (rec + 56 != n - 42) return -1;
        CHECK(rd64(z + rec + 4) == 44, "%s: ZIP64 EOCD size", what);
        entries = rd64(z + rec + 32);
        CHECK(rd64(z + rec + 24) == entries, "%s: ZIP64 entry counts differ", what);
        cd_size = rd64(z + rec + 40);
        cd_off = rd64(z + rec + 48);
        CHECK(cd_off + cd_size == rec, "%s: central directory does not end at the ZIP64 EOCD",
              what);
    } else {
        CHECK(rd16(e + 8) == entries, "%s: entry counts differ", what);
        CHECK(cd_off + cd_size == n - 22, "%s: central directory does not end at the EOCD", what);
    }
    if (cd_off + cd_size > n) return -1;
    const unsigned char *c = z + cd_off;
    uint64_t next_local = 0;
    int k = 0;
    for (uint64_t i = 0; i < entries; i++) {
        if ((uint64_t)(c - z) + 46 > cd_off + cd_size || rd32(c) != 0x02014b50) {
            CHECK(0, "%s: central entry %llu bad", what, (unsigned long long)i);
            return -1;
        }
        uint32_t crc = rd32(c + 16);
        uint64_t csize = rd32(c + 20), usize = rd32(c + 24), off = rd32(c + 42);
        size_t nl = rd16(c + 28), xl = rd16(c + 30), cl = rd16(c + 32);
        CHECK(rd16(c + 10) == 0, "%s: entry %llu compressed", what, (unsigned long long)i);
        CHECK(rd16(c + 8) == 0, "%s: entry %llu has flags", what, (unsigned long long)i);
        const unsigned char *x = c + 46 + nl, *xe = x + xl;
        while (x + 4 <= xe) {
            uint32_t id = rd16(x), len = rd16(x + 2);
            const unsigned char *v = x + 4;
            if (id == 1) {
                if (usize == 0xffffffffu) usize = rd64(v), v += 8;
                if (csize == 0xffffffffu) csize = rd64(v), v += 8;
                if (off == 0xffffffffu) off = rd64(v), v += 8;
                CHECK(v == x + 4 + len, "%s: ZIP64 extra field length", what);
            }
            x += 4 + len;
        }
        CHECK(csize == usize, "%s: stored entry with different sizes", what);
        CHECK(off == next_local, "%s: entry %llu at %llu, expected %llu (not contiguous)", what,
              (unsigned long long)i, (unsigned long long)off, (unsigned long long)next_local);
        const unsigned char *l = z + off;
        if (off + 30 > n || rd32(l) != 0x04034b50) {
            CHECK(0, "%s: no local header at %llu", what, (unsigned long long)off);
            return -1;
        }
        size_t lnl = rd16(l + 26), lxl = rd16(l + 28);
        CHECK(lnl == nl && !memcmp(l + 30, c + 46, nl), "%s: local and central names differ", what);
        CHECK(rd32(l + 14) == crc, "%s: local CRC 0x%08x, central 0x%08x", what, rd32(l + 14), crc);
        CHECK(rd16(l + 8) == 0 && rd16(l + 6) == 0, "%s: local method/flags", what);
        uint64_t lsize = rd32(l + 22);
        if (lsize == 0xffffffffu && lxl >= 20 && rd16(l + 30 + lnl) == 1)
            lsize = rd64(l + 30 + lnl + 4);
        CHECK(lsize == usize, "%s: local size %llu, central %llu", what, (unsigned long long)lsize,
              (unsigned long long)usize);
        const unsigned char *data = l + 30 + lnl + lxl;
        if ((uint64_t)(data - z) + usize > cd_off) {
            CHECK(0, "%s: entry data runs into the central directory", what);
            return -1;
        }
        uint32_t got = (uint32_t)crc32(0L, data, (uInt)usize);
        CHECK(got == crc, "%s: CRC of %.*s is 0x%08x, stored 0x%08x", what, (int)nl, c + 46, got,
              crc);
        if (k < max) {
            snprintf(out[k].name, sizeof out[k].name, "%.*s", (int)nl, c + 46);
            out[k].data = data;
            out[k].size = usize;
        }
        k++;
        next_local = (uint64_t)(data - z) + usize;
        c += 46 + nl + xl + cl;
    }
    CHECK(next_local == cd_off, "%s: gap before the central directory", what);
    return k;
}

static void check_absent(const char *name) {
    DIR *d = opendir(dir);
    struct dirent *e;
    while (d && (e = readdir(d)))
        CHECK(strncmp(e->d_name, name, strlen(name)), "%s/%s left behind", dir, e->d_name);
    if (d) closedir(d);
}

static void test_npy(void) {
    char path[512];
    snprintf(path, sizeof path, "%s/a.npy", dir);
    float a[6] = {1, 2, 3, 4, 5, -0.5f};
    uint64_t shape[2] = {2, 3};
    l0_err err;
    CHECK(l0_npy_write(path, L0_NPY_F4, 2, shape, a, &err) == 0, "npy write: %s", err.msg);
    size_t n;
    unsigned char *p = synth_slurp(path, &n);
    size_t d =
        p ? check_npy("a.npy", p, n, "{'descr': '<f4', 'fortran_order': False, 'shape': (2, 3), }")
          : 0;
    CHECK(d && n == d + 24 && !memcmp(p + d, a, 24), "a.npy data");
    free(p);
    /* 1-d shapes have the trailing comma; scalars an empty tuple; strings '|S<n>'. */
    uint64_t one = 4;
    int16_t s[4] = {-1, 2, -3, 4};
    CHECK(l0_npy_write(path, L0_NPY_I2, 1, &one, s, &err) == 0, "npy write: %s", err.msg);
    p = synth_slurp(path, &n);
    d = p ? check_npy("i2", p, n, "{'descr': '<i2', 'fortran_order': False, 'shape': (4,), }") : 0;
    CHECK(d && n == d + 8 && p[d] == 0xff && p[d + 1] == 0xff && p[d + 2] == 2, "i2 data");
    free(p);
    CHECK(l0_npy_write(path, "|S5", 0, NULL, "hello", &err) == 0, "npy write: %s", err.msg);
    p = synth_slurp(path, &n);
    d = p ? check_npy("S5", p, n, "{'descr': '|S5', 'fortran_order': False, 'shape': (), }") : 0;
    CHECK(d && n == d + 5 && !memcmp(p + d, "hello", 5), "S5 data");
    free(p);
    uint64_t empty[2] = {0, 5};
    CHECK(l0_npy_write(path, L0_NPY_U1, 2, empty, NULL, &err) == 0, "npy write: %s", err.msg);
    p = synth_slurp(path, &n);
    d = p ? check_npy("empty", p, n, "{'descr': '|u1', 'fortran_order': False, 'shape': (0, 5), }")
          : 0;
    CHECK(d && n == d, "empty array has data");
    free(p);
    remove(path);
    /* Refusals leave nothing. */
    snprintf(path, sizeof path, "%s/bad.npy", dir);
    CHECK(l0_npy_write(path, ">f4", 1, &one, a, &err) == -1, "big-endian dtype accepted");
    CHECK(l0_npy_write(path, "<f3", 1, &one, a, &err) == -1, "f3 accepted");
    CHECK(l0_npy_write(path, "<c8", 1, &one, a, &err) == -1, "complex accepted");
    CHECK(l0_npy_write(path, L0_NPY_F4, 9, shape, a, &err) == -1, "ndim 9 accepted");
    uint64_t huge[2] = {UINT64_MAX / 2, 3};
    CHECK(l0_npy_write(path, L0_NPY_F4, 2, huge, a, &err) == -1, "overflowing shape accepted");
    check_absent("bad.npy");
    CHECK(l0_npy_itemsize(L0_NPY_F8) == 8 && l0_npy_itemsize("|S12") == 12 &&
              l0_npy_itemsize("<x4") == 0,
          "itemsize");
}

/* An archive with arrays of every dtype, one large array written in uneven interleaved pieces,
 * scalars, a string and an empty array. */
static int write_npz(const char *path, unsigned flags, l0_err *err) {
    l0_npz *z = l0_npz_open_flags(path, flags, err);
    if (!z) return -1;
    enum { BIG = 100003 };
    uint64_t big_shape[2] = {BIG, 3}, n4 = 4, n0[2] = {0, 7};
    int ib = l0_npz_add(z, "big", L0_NPY_F4, 2, big_shape, err);
    int ic = l0_npz_add(z, "count", L0_NPY_I8, 1, &n4, err);
    if (ib < 0 || ic < 0) goto fail;
    float row[3 * 1000];
    uint64_t done = 0;
    int64_t k = 0;
    while (done < 3 * (uint64_t)BIG) {
        uint64_t m = 1 + (done * 7919) % 2999;
        if (m > 3 * (uint64_t)BIG - done) m = 3 * (uint64_t)BIG - done;
        for (uint64_t i = 0; i < m; i++) row[i] = (float)(done + i) * 0.5f;
        if (l0_npz_append(z, ib, row, m, err)) goto fail;
        done += m;
        if (k < 4) {
            int64_t v = -k * 1000000000000LL;
            if (l0_npz_append(z, ic, &v, 1, err)) goto fail;
            k++;
        }
    }
    uint8_t u1[3] = {0, 128, 255};
    int8_t i1[3] = {-128, 0, 127};
    uint16_t u2[2] = {0, 65535};
    int32_t i4[2] = {-2147483647 - 1, 7};
    uint32_t u4[2] = {0, 4000000000u};
    uint64_t u8v[1] = {UINT64_MAX};
    double f8[2] = {0.1, -1e300};
    uint8_t b1[2] = {1, 0};
    uint64_t s3 = 3, s2 = 2, s1 = 1;
    uint32_t ver = 1;
    if (l0_npz_put(z, "u1", L0_NPY_U1, 1, &s3, u1, err) ||
        l0_npz_put(z, "i1", L0_NPY_I1, 1, &s3, i1, err) ||
        l0_npz_put(z, "u2", L0_NPY_U2, 1, &s2, u2, err) ||
        l0_npz_put(z, "i4", L0_NPY_I4, 1, &s2, i4, err) ||
        l0_npz_put(z, "u4", L0_NPY_U4, 1, &s2, u4, err) ||
        l0_npz_put(z, "u8", L0_NPY_U8, 1, &s1, u8v, err) ||
        l0_npz_put(z, "f8", L0_NPY_F8, 1, &s2, f8, err) ||
        l0_npz_put(z, "flags", L0_NPY_BOOL, 1, &s2, b1, err) ||
        l0_npz_put(z, "version", L0_NPY_U4, 0, NULL, &ver, err) ||
        l0_npz_put(z, "kind", "|S6", 0, NULL, "stream", err) ||
        l0_npz_put(z, "nothing", L0_NPY_F4, 2, n0, NULL, err))
        goto fail;
    return l0_npz_close(z, err);
fail:
    l0_npz_abort(z);
    return -1;
}

static void check_npz(const char *path, int zip64) {
    size_t n;
    unsigned char *p = synth_slurp(path, &n);
    CHECK(p, "cannot read %s", path);
    if (!p) return;
    zentry e[32];
    int k = parse_zip(path, p, n, e, 32, zip64);
    static const char *const names[] = {
        "big.npy", "count.npy", "u1.npy",    "i1.npy",      "u2.npy",   "i4.npy",     "u4.npy",
        "u8.npy",  "f8.npy",    "flags.npy", "version.npy", "kind.npy", "nothing.npy"};
    CHECK(k == 13, "%s: %d entries, expected 13", path, k);
    for (int i = 0; i < k && i < 13; i++)
        CHECK(!strcmp(e[i].name, names[i]), "%s: entry %d is %s, expected %s", path, i, e[i].name,
              names[i]);
    if (k != 13) {
        free(p);
        return;
    }
    size_t d = check_npy("big", e[0].data, e[0].size,
                         "{'descr': '<f4', 'fortran_order': False, 'shape': (100003, 3), }");
    CHECK(d && e[0].size == d + 4ull * 3 * 100003, "big: size %llu", (unsigned long long)e[0].size);
    int bad = 0;
    for (uint64_t i = 0; d && i < 3 * 100003ull && !bad; i++) {
        float f;
        memcpy(&f, e[0].data + d + 4 * i, 4);
        bad = f != (float)i * 0.5f;
        CHECK(!bad, "big: element %llu is %g", (unsigned long long)i, f);
    }
    d = check_npy("count", e[1].data, e[1].size,
                  "{'descr': '<i8', 'fortran_order': False, 'shape': (4,), }");
    int64_t cnt[4];
    if (d) memcpy(cnt, e[1].data + d, 32);
    CHECK(d && cnt[0] == 0 && cnt[3] == -3000000000000LL, "count values");
    d = check_npy("u4", e[6].data, e[6].size,
                  "{'descr': '<u4', 'fortran_order': False, 'shape': (2,), }");
    CHECK(d && rd32(e[6].data + d + 4) == 4000000000u, "u4 value");
    check_npy("flags", e[9].data, e[9].size,
              "{'descr': '|b1', 'fortran_order': False, 'shape': (2,), }");
    check_npy("i1", e[3].data, e[3].size,
              "{'descr': '|i1', 'fortran_order': False, 'shape': (3,), }");
    d = check_npy("kind", e[11].data, e[11].size,
                  "{'descr': '|S6', 'fortran_order': False, 'shape': (), }");
    CHECK(d && !memcmp(e[11].data + d, "stream", 6), "kind value");
    d = check_npy("nothing", e[12].data, e[12].size,
                  "{'descr': '<f4', 'fortran_order': False, 'shape': (0, 7), }");
    CHECK(d && e[12].size == d, "nothing has data");
    free(p);
}

static void test_npz(void) {
    char a[512], b[512], c[512];
    l0_err err;
    snprintf(a, sizeof a, "%s/a.npz", dir);
    snprintf(b, sizeof b, "%s/b.npz", dir);
    snprintf(c, sizeof c, "%s/zip64.npz", dir);
    CHECK(write_npz(a, 0, &err) == 0, "write a: %s", err.msg);
    CHECK(write_npz(b, 0, &err) == 0, "write b: %s", err.msg);
    CHECK(write_npz(c, L0_NPZ_ZIP64, &err) == 0, "write zip64: %s", err.msg);
    check_npz(a, 0);
    check_npz(c, 1);
    size_t na, nb;
    unsigned char *pa = synth_slurp(a, &na), *pb = synth_slurp(b, &nb);
    CHECK(pa && pb && na == nb && !memcmp(pa, pb, na), "the same arrays gave different bytes");
    free(pa);
    free(pb);
    remove(a);
    remove(b);
    remove(c);

    /* An empty archive is a valid zip. */
    l0_npz *z = l0_npz_open(a, &err);
    CHECK(z && l0_npz_close(z, &err) == 0, "empty archive: %s", err.msg);
    size_t n;
    unsigned char *p = synth_slurp(a, &n);
    CHECK(p && n == 22 && parse_zip("empty", p, n, NULL, 0, 0) == 0, "empty archive layout");
    free(p);
    remove(a);

    /* Misuse: each refused with a message, and nothing left behind. */
    snprintf(a, sizeof a, "%s/misuse.npz", dir);
    z = l0_npz_open(a, &err);
    uint64_t two = 2;
    float f[3] = {1, 2, 3};
    int i = z ? l0_npz_add(z, "x", L0_NPY_F4, 1, &two, &err) : -1;
    CHECK(i >= 0, "add: %s", err.msg);
    CHECK(l0_npz_add(z, "x", L0_NPY_F4, 1, &two, &err) == -1, "duplicate name accepted");
    CHECK(l0_npz_add(z, "a/b", L0_NPY_F4, 1, &two, &err) == -1, "name with / accepted");
    CHECK(l0_npz_add(z, "", L0_NPY_F4, 1, &two, &err) == -1, "empty name accepted");
    CHECK(l0_npz_add(z, "y", "float32", 1, &two, &err) == -1, "dtype 'float32' accepted");
    CHECK(l0_npz_append(z, i, f, 3, &err) == -1, "3 elements into a shape of 2 accepted");
    CHECK(strstr(err.msg, "x"), "message does not name the array: %s", err.msg);
    CHECK(l0_npz_append(z, 7, f, 1, &err) == -1, "array 7 accepted");
    CHECK(l0_npz_append(z, i, f, 1, &err) == 0, "append: %s", err.msg);
    CHECK(l0_npz_close(z, &err) == -1, "close with an incomplete array succeeded");
    CHECK(strstr(err.msg, "1 of its 2"), "message: %s", err.msg);
    check_absent("misuse.npz");
    z = l0_npz_open(a, &err);
    if (z) l0_npz_put(z, "x", L0_NPY_F4, 1, &two, f, &err);
    l0_npz_abort(z);
    check_absent("misuse.npz");
}

int main(void) {
    if (!mkdtemp(dir)) {
        perror("mkdtemp");
        return 1;
    }
    test_npy();
    test_npz();
    rmdir(dir);
    return check_result("test_npy");
}
