/* l0_ofile: output files that appear whole or not at all.
 *
 * Data goes to a temporary file next to the destination; commit flushes, closes and renames it
 * over the destination, abort removes it. A file that existed before is never left half-written:
 * it is replaced only by a complete new one. */
#ifndef L0_OFILE_H
#define L0_OFILE_H

#include <stdio.h>

#include "l0_err.h"

typedef struct l0_ofile l0_ofile;

/* Open a temporary file for `path` (binary). Returns NULL and fills err on failure. */
l0_ofile *l0_ofile_open(const char *path, l0_err *err);

/* The stream to write to. Owned by the l0_ofile. */
FILE *l0_ofile_fp(l0_ofile *f);

/* The destination path, as given to open. */
const char *l0_ofile_path(const l0_ofile *f);

/* Flush, check for write errors, close, rename into place, free f. On failure the temporary is
 * removed, the destination is untouched, err names the file. Returns 0 or -1. */
int l0_ofile_commit(l0_ofile *f, l0_err *err);

/* Close and remove the temporary, free f. The destination is untouched. NULL is allowed. */
void l0_ofile_abort(l0_ofile *f);

/* Read a whole file into a malloc'd, NUL-terminated buffer (*len: its size without the NUL).
 * A file larger than max bytes is refused. Returns NULL with err naming the file. */
char *l0_read_file(const char *path, size_t max, size_t *len, l0_err *err);

/* Write a whole buffer to `path` atomically. */
int l0_write_file_atomic(const char *path, const void *data, size_t size, l0_err *err);

/* Create a directory and its parents (like mkdir -p). Returns 0 or -1 with err filled. */
int l0_mkdir_p(const char *path, l0_err *err);

#endif
