/*
 * npy.h - NumPy's .npy format (version 1.0) and a zip writer for .npz.
 */
#ifndef WBS_EXPORT_NPY_H
#define WBS_EXPORT_NPY_H

#include <stdint.h>
#include <stdio.h>

#include "buf.h"

/*
 * The header of an array: descr ("<f8", "<U12"), C order, shape of ndim
 * dimensions.  The header is padded with spaces and a newline so that
 * the data starts at a multiple of 64 bytes.
 */
void	npy_header(struct buf *b, const char *descr, const uint64_t *shape,
	    int ndim);
/* Append d as 8 little-endian bytes. */
void	npy_f8(struct buf *b, double d);
/* Code points in a UTF-8 string. */
size_t	npy_u8len(const char *s);
/* Append s as width UTF-32LE code units, zero-padded. */
void	npy_u32(struct buf *b, const char *s, size_t width);

#define ZIP_STORE	0
#define ZIP_DEFLATE	8

struct zip_ent {
	char		*name;
	uint32_t	 crc;
	uint64_t	 csize;
	uint64_t	 usize;
	uint64_t	 off;
	uint16_t	 method;
	uint16_t	 time;
	uint16_t	 date;
};

/*
 * A zip archive written to a seekable stream.  Members are added whole;
 * their CRC-32 (zlib) and sizes are patched into the local header after
 * the data.  Zip64 records are written when a size, an offset or the
 * member count passes zip64_limit (default: the classic format's
 * limits), so archives of any size work.
 */
struct zip {
	FILE		*f;
	uint64_t	 off;
	struct zip_ent	*ents;
	size_t		 n;
	size_t		 cap;
	uint64_t	 zip64_limit;
	char		 err[256];
};

void	zip_init(struct zip *z, FILE *f);
/* Add member name with the bytes of src (read to its end). */
int	zip_add(struct zip *z, const char *name, FILE *src, int method);
/* Write the central directory; the stream stays open. */
int	zip_finish(struct zip *z);
void	zip_release(struct zip *z);

#endif /* WBS_EXPORT_NPY_H */
