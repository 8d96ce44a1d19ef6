/*
 * wandblog.h - streaming reader for W&B `.wandb` transaction logs.
 *
 * A `.wandb` file (WANDB-PROTOCOL.md section 1) is a 7-byte header
 * (":W&B", magic 0xBEE1 little-endian, format version 0 or 1) followed by
 * the LevelDB log format: 32 KiB blocks aligned to file offset 0, each
 * holding chunks with a 7-byte header (CRC-32/IEEE of the type byte and
 * the payload, payload length, type FULL/FIRST/MIDDLE/LAST).  One logical
 * record is one serialized wandb_internal.Record, which wandblog_decode()
 * unpacks with the schema in proto/wandb.proto.
 *
 * Damaged data is skipped the way W&B's Go reader does: a bad chunk
 * (checksum mismatch, unknown type, length past the end of its block)
 * drops the rest of its block and any partial record, and reading resumes
 * at the next block.  Skipped bytes are counted and each skip is reported
 * through the log callback.  A file that ends inside a chunk or a record
 * is not an error: wandblog_next() returns 0 and wandblog_incomplete()
 * says the tail is incomplete (the file may still be being written); on a
 * file handle, a later wandblog_next() retries from that record, so a
 * growing file can be followed.  Files written by wandb-core 0.17.5 and
 * older, whose blocks start at offset 7, are detected when the aligned
 * layout fails before its first block boundary, and read that way.
 *
 * Rules for every function below:
 *  - Fallible calls return 0 (wandblog_next(): 1 or 0) or a negative
 *    enum wandblog_err.  On failure out-parameters are untouched and
 *    wandblog_errmsg() (or the open call's errbuf) has a message naming
 *    the file and the offset.  Errors from wandblog_next() are fatal and
 *    sticky: later calls return the same code.
 *  - A handle from wandblog_open*() belongs to the caller; wandblog_close()
 *    accepts NULL.
 *  - Inputs are borrowed for the duration of the call and copied if kept.
 *  - Returned const pointers are borrowed: valid until the next call on
 *    the same handle that reads (wandblog_next()) or until it is closed.
 *  - A handle is used by one thread at a time.
 *  - Nothing here prints; notices go to the callback of wandblog_set_log().
 */
#ifndef WBS_WANDBLOG_H
#define WBS_WANDBLOG_H

#include <stddef.h>
#include <stdint.h>

#include "wandb.pb-c.h"

/* Error codes.  Values are append-only and never change. */
enum wandblog_err {
	WANDBLOG_OK = 0,
	WANDBLOG_ENOMEM = -1,	/* allocation failed */
	WANDBLOG_EINVAL = -2,	/* bad argument */
	WANDBLOG_EIO = -3,	/* open or read failed; errmsg has strerror */
	WANDBLOG_EFORMAT = -4,	/* not a .wandb file (bad ident or magic) */
	WANDBLOG_EVERSION = -5,	/* format version other than 0 or 1 */
	WANDBLOG_ESHORT = -6,	/* file shorter than the 7-byte header */
	WANDBLOG_ETOOBIG = -7,	/* record larger than the maximum */
	WANDBLOG_EDECODE = -8	/* record is not a valid Record protobuf */
};

#define WANDBLOG_ERRMAX		1024		/* size for message buffers */
#define WANDBLOG_MAX_RECORD	(64u << 20)	/* default record size limit */

struct wandblog;

/* Receives one notice (a skip, an incomplete tail, the block layout). */
typedef void	wandblog_log_fn(void *arg, const char *msg);

/*
 * Open the log at path and check its header.  On failure, *rp is untouched
 * and, if errbuf is not NULL, errbuf gets a message of up to errlen bytes.
 */
int	wandblog_open(struct wandblog **rp, const char *path, char *errbuf,
	    size_t errlen);

/*
 * Like wandblog_open() on a copy of the len bytes at data; name (may be
 * NULL) is used in messages in place of a path.
 */
int	wandblog_open_mem(struct wandblog **rp, const void *data, size_t len,
	    const char *name, char *errbuf, size_t errlen);

/* Close a handle and free everything it holds; NULL is a no-op. */
void	wandblog_close(struct wandblog *r);

/* Send notices to fn(arg, msg); fn NULL turns them off (the default). */
void	wandblog_set_log(struct wandblog *r, wandblog_log_fn *fn, void *arg);

/* Set the largest record accepted (default WANDBLOG_MAX_RECORD bytes). */
int	wandblog_set_max_record(struct wandblog *r, size_t max);

/*
 * Read the next record: 1 with *data and *len set to its payload (a
 * serialized Record, borrowed until the next call), 0 at the end of the
 * data, or a negative enum wandblog_err.
 */
int	wandblog_next(struct wandblog *r, const uint8_t **data, size_t *len);

/* Number of records returned so far. */
uint64_t	wandblog_records(const struct wandblog *r);

/* File offset of the first chunk of the record returned last. */
uint64_t	wandblog_offset(const struct wandblog *r);

/* Bytes of the file skipped as damaged, and in how many separate regions. */
uint64_t	wandblog_skipped_bytes(const struct wandblog *r);
uint64_t	wandblog_skipped_regions(const struct wandblog *r);

/* 1 if the data ended inside a record (still being written?), else 0. */
int	wandblog_incomplete(const struct wandblog *r);

/* Size in bytes of that incomplete tail, 0 when there is none. */
uint64_t	wandblog_incomplete_bytes(const struct wandblog *r);

/* Format version from the file header (0 or 1). */
int	wandblog_version(const struct wandblog *r);

/* File offset where blocks start: 0, or 7 for wandb-core <= 0.17.5 logs. */
unsigned	wandblog_block_phase(const struct wandblog *r);

/* The last error or notice, "" if none; borrowed until the next call. */
const char	*wandblog_errmsg(const struct wandblog *r);

/* Name of an error code: "WANDBLOG_EFORMAT: not a .wandb file". */
const char	*wandblog_strerror(int err);

/*
 * Unpack a record payload into a Record that the caller frees with
 * wandblog_record_free().  r may be NULL; if not, a failure message names
 * its file and the offset of the record it returned last.
 */
int	wandblog_decode(struct wandblog *r, const uint8_t *data, size_t len,
	    WbsWandb__Record **recp);

/* Free a Record from wandblog_decode(); NULL is a no-op. */
void	wandblog_record_free(WbsWandb__Record *rec);

/* Name of the record's type ("history", "run", ...; "unknown" if unset). */
const char	*wandblog_record_type(const WbsWandb__Record *rec);

#endif /* WBS_WANDBLOG_H */
