/*
 * wandblog.c - libFuzzer target for the `.wandb` reader.
 *
 * Feeds arbitrary bytes to wandblog_open_mem(), reads every record and
 * decodes each one, touching the decoded fields a caller would use.  When
 * the last input byte has its high bit set, its low bits set a small
 * record size limit, so that the ETOOBIG path is reachable with small
 * inputs.
 *
 * Built with -fsanitize=fuzzer under --enable-fuzzing.  With
 * -DWBS_FUZZ_REPLAY it gets a main() that replays files and directories
 * given as arguments (default: t/fuzz/corpus/wandblog under $WBS_SRCDIR,
 * $srcdir or .) and prints TAP, so that the corpus runs in `make check`
 * without libFuzzer.
 */
#ifdef HAVE_CONFIG_H
#include <config.h>
#endif
#if !defined(_GNU_SOURCE) && !defined(_POSIX_C_SOURCE)
#define _POSIX_C_SOURCE 200809L		/* lstat */
#endif

#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include "wandb/wandblog.h"

int	LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

/* Touch the strings of a decoded record so that sanitizers see them. */
static size_t
touch(const WbsWandb__Record *rec)
{
	size_t n = strlen(wandblog_record_type(rec)) + strlen(rec->uuid);
	size_t i;

	switch (rec->record_type_case) {
	case WBS_WANDB__RECORD__RECORD_TYPE_HISTORY:
		for (i = 0; i < rec->history->n_item; i++)
			n += strlen(rec->history->item[i]->key) +
			    strlen(rec->history->item[i]->value_json) +
			    rec->history->item[i]->n_nested_key;
		break;
	case WBS_WANDB__RECORD__RECORD_TYPE_RUN:
		n += strlen(rec->run->run_id) + rec->run->n_tags;
		if (rec->run->config != NULL)
			n += rec->run->config->n_update;
		break;
	case WBS_WANDB__RECORD__RECORD_TYPE_OUTPUT_RAW:
		n += strlen(rec->output_raw->line);
		break;
	default:
		break;
	}
	return n;
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct wandblog *r;
	WbsWandb__Record *rec;
	char err[WANDBLOG_ERRMAX];
	const uint8_t *p;
	size_t n;
	volatile size_t sink = 0;
	int rc;

	if (wandblog_open_mem(&r, data, size, "fuzz.wandb", err,
	    sizeof(err)) < 0)
		return 0;
	if (size > 7 && (data[size - 1] & 0x80) != 0)
		(void)wandblog_set_max_record(r,
		    1 + (data[size - 1] & 0x7fu) * 8);
	while ((rc = wandblog_next(r, &p, &n)) > 0) {
		if (wandblog_decode(r, p, n, &rec) == 0) {
			sink += touch(rec);
			wandblog_record_free(rec);
		}
		sink += wandblog_offset(r);
	}
	sink += wandblog_records(r) + wandblog_skipped_bytes(r) +
	    wandblog_skipped_regions(r) + wandblog_incomplete_bytes(r) +
	    strlen(wandblog_errmsg(r));
	/* Reading on after the end or an error must stay well-defined. */
	if (wandblog_next(r, &p, &n) != (rc < 0 ? rc : 0))
		__builtin_trap();
	wandblog_close(r);
	(void)sink;
	return 0;
}
