/*
 * record.c - fuzz target: the journal record decoder (framing, CRC, lz4,
 * protobuf), as a reader meets a damaged rec value.
 */
#include "config.h"

#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include <libdeflate.h>

#include "wbs-int.h"

int	LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static struct wbs_arena	 a;
	static struct wbs_buf	 scratch;
	struct wbs_errbuf	 eb;
	Wbs__Record		*r;
	uint8_t			*copy;

	wbs_arena_reset(&a);
	if (wbs_rec_decode(data, size, &a, &scratch, &r, &eb) == 0) {
		/* A decoded record re-encodes to something that decodes. */
		struct wbs_buf out = { 0 }, sc = { 0 };

		if (wbs_rec_encode(r, &out, &sc, &eb) == 0) {
			struct wbs_arena a2 = { 0 };
			Wbs__Record *r2;

			if (wbs_rec_decode(out.p, out.len, &a2, &sc, &r2,
			    &eb) != 0)
				__builtin_trap();
			wbs_arena_release(&a2);
		}
		wbs_buf_release(&out);
		wbs_buf_release(&sc);
	}
	/* The same bytes with a valid header and CRC reach the decoder. */
	if (size > 0 && size < (1 << 20) && (copy = malloc(size + 5)) != NULL) {
		uint32_t crc = libdeflate_crc32(0, data, size);

		copy[0] = (uint8_t)(WBS_REC_VERSION << 4 | (data[0] & 1));
		copy[1] = (uint8_t)crc;
		copy[2] = (uint8_t)(crc >> 8);
		copy[3] = (uint8_t)(crc >> 16);
		copy[4] = (uint8_t)(crc >> 24);
		memcpy(copy + 5, data, size);
		wbs_arena_reset(&a);
		(void)wbs_rec_decode(copy, size + 5, &a, &scratch, &r, &eb);
		free(copy);
	}
	return 0;
}
