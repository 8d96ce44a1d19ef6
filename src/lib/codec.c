/*
 * codec.c - record framing: header byte, CRC-32, optional lz4.
 */
#include "config.h"

#include <string.h>

#include <lz4.h>
#include <libdeflate.h>

#include "wbs-int.h"

static void
put_le32(uint8_t *p, uint32_t v)
{
	p[0] = (uint8_t)v;
	p[1] = (uint8_t)(v >> 8);
	p[2] = (uint8_t)(v >> 16);
	p[3] = (uint8_t)(v >> 24);
}

static uint32_t
get_le32(const uint8_t *p)
{
	return (uint32_t)p[0] | (uint32_t)p[1] << 8 | (uint32_t)p[2] << 16 |
	    (uint32_t)p[3] << 24;
}

static size_t
put_varint(uint8_t *p, uint64_t v)
{
	size_t n = 0;

	while (v >= 0x80) {
		p[n++] = (uint8_t)(v | 0x80);
		v >>= 7;
	}
	p[n++] = (uint8_t)v;
	return n;
}

/*
 * Encode a record into out: header, CRC, payload.  Records of
 * WBS_LZ4_MIN bytes or more are lz4-compressed when that saves an eighth.
 */
int
wbs_rec_encode(const Wbs__Record *r, struct wbs_buf *out,
    struct wbs_buf *scratch, struct wbs_errbuf *eb)
{
	size_t	plain = protobuf_c_message_get_packed_size(&r->base);
	int	rc;

	if ((rc = wbs_buf_reserve(out, WBS_REC_HDR + plain)) != 0)
		return wbs_err(eb, rc, "record of %zu bytes: %s", plain,
		    wbs_strerror(rc));
	protobuf_c_message_pack(&r->base, out->p + WBS_REC_HDR);
	out->p[0] = WBS_REC_VERSION << 4 | WBS_CODEC_PLAIN;
	out->len = WBS_REC_HDR + plain;
	if (plain >= WBS_LZ4_MIN) {
		int	bound = LZ4_compressBound((int)plain), clen;
		size_t	vlen;

		if ((rc = wbs_buf_reserve(scratch, WBS_REC_HDR + 10 +
		    (size_t)bound)) != 0)
			return wbs_err(eb, rc, "compressing a record");
		vlen = put_varint(scratch->p + WBS_REC_HDR, plain);
		clen = LZ4_compress_default((const char *)out->p + WBS_REC_HDR,
		    (char *)scratch->p + WBS_REC_HDR + vlen, (int)plain, bound);
		if (clen > 0 && vlen + (size_t)clen < plain - plain / 8) {
			uint8_t *p = out->p;
			size_t	 cap = out->cap;

			/* Swap buffers: the compressed one becomes out. */
			out->p = scratch->p;
			out->cap = scratch->cap;
			scratch->p = p;
			scratch->cap = cap;
			out->p[0] = WBS_REC_VERSION << 4 | WBS_CODEC_LZ4;
			out->len = WBS_REC_HDR + vlen + (size_t)clen;
		}
	}
	put_le32(out->p + 1, libdeflate_crc32(0, out->p + WBS_REC_HDR,
	    out->len - WBS_REC_HDR));
	return 0;
}

/* Decode a record value; the result lives in the arena a. */
int
wbs_rec_decode(const uint8_t *p, size_t len, struct wbs_arena *a,
    struct wbs_buf *scratch, Wbs__Record **rp, struct wbs_errbuf *eb)
{
	ProtobufCAllocator	 pa;
	const uint8_t		*body;
	size_t			 blen;
	uint32_t		 crc;
	Wbs__Record		*r;

	if (len < WBS_REC_HDR)
		return wbs_err(eb, WBS_ECORRUPT, "record is %zu bytes, "
		    "shorter than its header", len);
	if (p[0] >> 4 != WBS_REC_VERSION)
		return wbs_err(eb, p[0] >> 4 > WBS_REC_VERSION ? WBS_EVERSION :
		    WBS_ECORRUPT, "record version %d is not %d", p[0] >> 4,
		    WBS_REC_VERSION);
	crc = libdeflate_crc32(0, p + WBS_REC_HDR, len - WBS_REC_HDR);
	if (crc != get_le32(p + 1))
		return wbs_err(eb, WBS_ECORRUPT, "checksum mismatch "
		    "(stored %08x, computed %08x)", get_le32(p + 1), crc);
	body = p + WBS_REC_HDR;
	blen = len - WBS_REC_HDR;
	switch (p[0] & 0x0f) {
	case WBS_CODEC_PLAIN:
		break;
	case WBS_CODEC_LZ4: {
		uint64_t	plain = 0;
		size_t		i = 0;
		int		shift = 0, got, rc;

		while (i < blen && i < 10) {
			plain |= (uint64_t)(body[i] & 0x7f) << shift;
			shift += 7;
			if (!(body[i++] & 0x80))
				break;
		}
		if (i >= blen || plain == 0 || plain > ((size_t)64 << 20))
			return wbs_err(eb, WBS_ECORRUPT, "lz4 record: bad "
			    "length");
		if ((rc = wbs_buf_reserve(scratch, (size_t)plain)) != 0)
			return wbs_err(eb, rc, "lz4 record of %ju bytes",
			    (uintmax_t)plain);
		got = LZ4_decompress_safe((const char *)body + i,
		    (char *)scratch->p, (int)(blen - i), (int)plain);
		if (got != (int)plain)
			return wbs_err(eb, WBS_ECORRUPT, "lz4 frame truncated "
			    "or damaged");
		body = scratch->p;
		blen = (size_t)plain;
		break;
	}
	default:
		return wbs_err(eb, WBS_ECORRUPT, "unknown codec %d", p[0] & 0x0f);
	}
	wbs_arena_pb(a, &pa);
	r = wbs__record__unpack(&pa, blen, body);
	if (r == NULL)
		return wbs_err(eb, a->failed ? WBS_ENOMEM : WBS_ECORRUPT,
		    "record does not decode");
	if (r->body_case == WBS__RECORD__BODY__NOT_SET)
		return wbs_err(eb, WBS_ECORRUPT, "record has no body");
	*rp = r;
	return 0;
}
