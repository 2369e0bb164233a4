/* l0_stimfile: the stimulus file, written and read one record (bunch crossing) at a time.
 * The format is documented in docs/stimulus-format.md.
 *
 * A file has a versioned header (its kind and every generator option, as JSON text) and then
 * records, each one l0_event, in blocks with a checksum each. A reader never holds more than one
 * block in memory. Every read error names the file and the byte offset. */
#ifndef L0_STIMFILE_H
#define L0_STIMFILE_H

#include <stdint.h>

#include "l0_err.h"
#include "l0_stim.h"

/* What a file holds: an event stream (one record per bunch slot of the filling scheme, empty
 * slots included, with their orbit and BX id) or a single-particle set (one record per generated
 * particle, holding its matched cluster; orbit/bx are record counters). */
#define L0_STIM_KIND_STREAM "stream"
#define L0_STIM_KIND_SINGLES "singles"

/* The format version this build writes and the only one it reads. */
#define L0_STIM_FORMAT_VERSION 1u

typedef struct l0_stim_writer l0_stim_writer;

/* Start a file at `path` (written to a temporary, renamed into place by close). options_json is
 * a JSON object with every generator option; it is stored verbatim in the header. */
l0_stim_writer *l0_stim_writer_open(const char *path, const char *kind, const char *options_json,
                                    l0_err *err);
/* Append one record. The event is copied; the caller keeps ownership. An event the reader would
 * reject (n_cells > L0_CELLS_MAX, n_cells_total < n_cells, layer >= L0_NLAYERS, filled > 1, a
 * record above 256 MiB) is refused with -1 and nothing appended: the writer stays usable. A write
 * error is final: close then fails and leaves no file. */
int l0_stim_writer_put(l0_stim_writer *w, const l0_event *ev, l0_err *err);
/* Flush the last block, write the trailer, rename into place. Frees w, also on failure. */
int l0_stim_writer_close(l0_stim_writer *w, l0_err *err);
/* Discard everything: the destination is untouched. Frees w. NULL allowed. */
void l0_stim_writer_abort(l0_stim_writer *w);
/* Records appended so far. */
uint64_t l0_stim_writer_count(const l0_stim_writer *w);

typedef struct l0_stim_reader l0_stim_reader;

l0_stim_reader *l0_stim_reader_open(const char *path, l0_err *err);
const char *l0_stim_reader_kind(const l0_stim_reader *r);
const char *l0_stim_reader_options(const l0_stim_reader *r); /* the header's JSON text */
/* Read the next record into *ev. Returns 1 when a record was read, 0 at a clean end of file,
 * -1 on error (err names the file and offset). The event's memory belongs to the reader and
 * stays valid until the next call or close. */
int l0_stim_reader_next(l0_stim_reader *r, l0_event *ev, l0_err *err);
/* Records read so far. */
uint64_t l0_stim_reader_count(const l0_stim_reader *r);
/* The format version in the file's header (always L0_STIM_FORMAT_VERSION once open succeeded). */
uint32_t l0_stim_reader_version(const l0_stim_reader *r);
/* Bytes of the file consumed so far (for progress reports). */
uint64_t l0_stim_reader_offset(const l0_stim_reader *r);
void l0_stim_reader_close(l0_stim_reader *r);

#endif
