/*
 * relay-fstream.c - libFuzzer target for the relay's file_stream
 * handling: each input is a request body for the seeded run "base"
 * (t/fuzz/relay-fuzz.c), parsed, checked and written to the run's
 * journal by fstream_handle() on a temporary store.
 *
 * Every answer must be 200 or 4xx with a JSON body ({"error": ...}
 * naming the problem).  An error must leave the store as it was.  A
 * success must leave each line file with max(count, offset + lines)
 * lines: line offset+i is set, lines below the count are not stored
 * twice and no line is lost.  The store is emptied and seeded again
 * every 256 inputs.  In ordinary builds t/fuzz/replay.c replays
 * t/fuzz/corpus/relay-fstream.
 */
#include "config.h"

#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>

#include <jansson.h>

#include "relay-fuzz.h"

int	LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static const char *const names[] = { "wandb-history.jsonl",
    "wandb-events.jsonl", "output.log" };

/* The line counts the body should leave (jansson's reading of it). */
static int
expected(const uint8_t *data, size_t size, const struct rrun *rr,
    uint64_t want[3])
{
	json_error_t	 e;
	json_t		*body, *files, *f, *off, *content;

	want[0] = rr->hist;
	want[1] = rr->events;
	want[2] = rr->out;
	if ((body = json_loadb((const char *)data, size, 0, &e)) == NULL)
		return -1;	/* what jansson cannot read goes unchecked */
	files = json_object_get(body, "files");
	for (int i = 0; i < 3; i++) {
		if ((f = json_object_get(files, names[i])) == NULL)
			continue;
		off = json_object_get(f, "offset");
		content = json_object_get(f, "content");
		if (json_is_integer(off) && json_is_array(content) &&
		    json_integer_value(off) >= 0 &&
		    (uint64_t)json_integer_value(off) +
		    json_array_size(content) > want[i])
			want[i] = (uint64_t)json_integer_value(off) +
			    json_array_size(content);
	}
	json_decref(body);
	return 0;
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static unsigned	 n;
	struct reply	 rp;
	struct rrun	*rr;
	uint64_t	 before, want[3];
	int		 check;

	if (++n % 256 == 0)
		fuzz_reset();
	before = fuzz_fingerprint();
	if ((rr = store_find(fuzz_relay()->store, "base")) == NULL)
		abort();
	check = expected(data, size, rr, want);
	fuzz_fstream("base", (const char *)data, size, &rp);
	fuzz_check_reply(&rp, 0);
	if (rp.status != 200 && fuzz_fingerprint() != before) {
		fprintf(stderr, "relay-fstream: the store changed under a %d "
		    "answer: %s\n", rp.status, rp.body.p);
		abort();
	}
	if (rp.status == 200 && check == 0 && (rr->hist != want[0] ||
	    rr->events != want[1] || rr->out != want[2])) {
		fprintf(stderr, "relay-fstream: line counts %llu %llu %llu, "
		    "expected %llu %llu %llu\n", (unsigned long long)rr->hist,
		    (unsigned long long)rr->events,
		    (unsigned long long)rr->out,
		    (unsigned long long)want[0], (unsigned long long)want[1],
		    (unsigned long long)want[2]);
		abort();
	}
	buf_release(&rp.body);
	return 0;
}
