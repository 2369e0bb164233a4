/* l0_npy: NumPy .npy and .npz writers, so that Python users read l0sim's data with numpy alone.
 *
 * .npy is format 1.0 (header padded to 64 bytes, C order); .npz is a zip archive of .npy entries,
 * stored (no compression), ZIP64 when an entry or the archive passes 4 GiB, with fixed
 * timestamps so that the same arrays give the same bytes. Both are written to a temporary file
 * and renamed into place: a failed or aborted write leaves nothing.
 *
 * A dtype is a NumPy descriptor string: L0_NPY_F4 and friends below, or "|S<n>" for byte strings
 * of n bytes. Data is given in host byte order, C order, and stored little-endian. */
#ifndef L0_NPY_H
#define L0_NPY_H

#include <stdint.h>

#include "l0_err.h"

#define L0_NPY_BOOL "|b1"
#define L0_NPY_I1 "|i1"
#define L0_NPY_U1 "|u1"
#define L0_NPY_I2 "<i2"
#define L0_NPY_U2 "<u2"
#define L0_NPY_I4 "<i4"
#define L0_NPY_U4 "<u4"
#define L0_NPY_I8 "<i8"
#define L0_NPY_U8 "<u8"
#define L0_NPY_F4 "<f4"
#define L0_NPY_F8 "<f8"

#define L0_NPY_NDIM_MAX 8

/* Bytes per element of dtype, or 0 if the descriptor is not one this writer supports. */
uint64_t l0_npy_itemsize(const char *dtype);

/* Write a whole array as a .npy file. data holds prod(shape) elements (NULL allowed when that is
 * 0). ndim 0..L0_NPY_NDIM_MAX (0: a scalar). Returns 0 or -1 with err filled. */
int l0_npy_write(const char *path, const char *dtype, int ndim, const uint64_t *shape,
                 const void *data, l0_err *err);

/* An .npz archive being written. Each array is declared with its full shape (l0_npz_add), which
 * fixes its place in the archive; its data can then be appended in pieces (l0_npz_append), and
 * pieces of different arrays interleaved, so that data too large for memory streams straight to
 * disk. Arrays appear in the archive in the order they were added. */
typedef struct l0_npz l0_npz;

#define L0_NPZ_ZIP64 1u /* write ZIP64 records even when not needed (for tests) */

l0_npz *l0_npz_open(const char *path, l0_err *err);
l0_npz *l0_npz_open_flags(const char *path, unsigned flags, l0_err *err);

/* Declare array `name` (stored as name.npy; letters, digits, '_', '-', '.', at most 200 bytes,
 * unique). Returns its index (>= 0), or -1 with err filled. */
int l0_npz_add(l0_npz *z, const char *name, const char *dtype, int ndim, const uint64_t *shape,
               l0_err *err);

/* Append n elements to array idx, continuing in C order where the last append stopped. Writing
 * more than the shape holds is an error. */
int l0_npz_append(l0_npz *z, int idx, const void *data, uint64_t n, l0_err *err);

/* l0_npz_add then l0_npz_append of the whole array. */
int l0_npz_put(l0_npz *z, const char *name, const char *dtype, int ndim, const uint64_t *shape,
               const void *data, l0_err *err);

/* Check that every array got all its elements, write the zip directory, rename into place.
 * Frees z, also on failure (then no file is left). */
int l0_npz_close(l0_npz *z, l0_err *err);

/* Discard the archive: nothing is written. Frees z. NULL allowed. */
void l0_npz_abort(l0_npz *z);

#endif
