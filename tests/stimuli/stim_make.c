/* stim_make: makes the files the CLI and numpy tests read (the generator is not needed).
 *
 * usage: stim_make DIR
 * writes DIR/good.stim (stream, 300 synthetic records, record 0 the fixed event of
 * stim_synth.h), DIR/singles.stim, DIR/corrupt.stim (one payload byte flipped in the second
 * block), DIR/truncated.stim (the end block cut off), DIR/notstim.stim (text), and
 * DIR/sample.npz, DIR/sample64.npz (the same arrays, the second with ZIP64 records). */
#include <stdlib.h>
#include <string.h>

#include "l0_npy.h"
#include "l0_ofile.h"
#include "stim_synth.h"

static int sample_npz(const char *path, unsigned flags) {
    l0_err err;
    l0_npz *z = l0_npz_open_flags(path, flags, &err);
    if (!z) goto fail;
    float a[6] = {0, 0.5f, 1, 1.5f, 2, 2.5f};
    int64_t n[2] = {-1, (int64_t)1 << 40};
    uint16_t u2[2] = {0, 65535};
    uint8_t b[3] = {1, 0, 1};
    uint64_t s23[2] = {2, 3}, s2 = 2, s3 = 3, s04[2] = {0, 4};
    if (l0_npz_put(z, "a", L0_NPY_F4, 2, s23, a, &err) ||
        l0_npz_put(z, "n", L0_NPY_I8, 1, &s2, n, &err) ||
        l0_npz_put(z, "u2", L0_NPY_U2, 1, &s2, u2, &err) ||
        l0_npz_put(z, "b", L0_NPY_BOOL, 1, &s3, b, &err) ||
        l0_npz_put(z, "s", "|S5", 0, NULL, "hello", &err) ||
        l0_npz_put(z, "e", L0_NPY_F4, 2, s04, NULL, &err)) {
        l0_npz_abort(z);
        goto fail;
    }
    if (l0_npz_close(z, &err)) goto fail;
    return 0;
fail:
    fprintf(stderr, "stim_make: %s\n", err.msg);
    return -1;
}

int main(int argc, char **argv) {
    if (argc != 2) {
        fprintf(stderr, "usage: stim_make DIR\n");
        return 2;
    }
    const char *dir = argv[1];
    l0_err err;
    if (l0_mkdir_p(dir, &err)) {
        fprintf(stderr, "stim_make: %s\n", err.msg);
        return 1;
    }
    char p[4096];
    const char *opt = "{\"seed\": 21, \"mu\": 200, \"cells\": 128, \"what\": \"synthetic\"}";
    snprintf(p, sizeof p, "%s/good.stim", dir);
    if (synth_write_file(p, "stream", opt, 21, 300, SYNTH_MIXED)) return 1;
    size_t n;
    unsigned char *d = synth_slurp(p, &n);
    if (!d || n < 2000) return 1;
    /* The second block starts after the first one's 28-byte header and payload. */
    size_t hdr = 16 + d[12];
    hdr += 4 + (size_t)(d[hdr] | d[hdr + 1] << 8 | d[hdr + 2] << 16) + 4;
    size_t len1 = (size_t)(d[hdr + 16] | d[hdr + 17] << 8 | d[hdr + 18] << 16);
    size_t second = hdr + 28 + len1;
    d[second + 28 + 5] ^= 0x40;
    snprintf(p, sizeof p, "%s/corrupt.stim", dir);
    if (synth_spit(p, d, n)) return 1;
    d[second + 28 + 5] ^= 0x40;
    snprintf(p, sizeof p, "%s/truncated.stim", dir);
    if (synth_spit(p, d, n - 24)) return 1;
    free(d);
    snprintf(p, sizeof p, "%s/singles.stim", dir);
    if (synth_write_file(p, "singles", "{\"seed\": 3}", 3, 50, SYNTH_SMALL)) return 1;
    snprintf(p, sizeof p, "%s/notstim.stim", dir);
    if (synth_spit(p, "just some text\n", 15)) return 1;
    snprintf(p, sizeof p, "%s/sample.npz", dir);
    if (sample_npz(p, 0)) return 1;
    snprintf(p, sizeof p, "%s/sample64.npz", dir);
    if (sample_npz(p, L0_NPZ_ZIP64)) return 1;
    printf("stim_make: test files written to %s\n", dir);
    return 0;
}
