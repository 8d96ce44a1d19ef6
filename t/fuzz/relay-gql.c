/*
 * relay-gql.c - libFuzzer target for the relay's GraphQL handling: each
 * input is a whole /graphql request body, answered by gql_handle() as
 * the HTTP layer calls it, on a temporary store that holds the seeded
 * run "base" (t/fuzz/relay-fuzz.c).
 *
 * Every answer must be 200 or 4xx with a well-formed JSON body (errors
 * in GraphQL's shape, naming the problem), and an error answer must
 * leave the store as it was: no run added, no record written.  The store
 * is emptied and seeded again every 256 inputs and when it holds over
 * 32 runs.  In ordinary builds t/fuzz/replay.c replays
 * t/fuzz/corpus/relay-gql.
 */
#include "config.h"

#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>

#include "relay-fuzz.h"

int	LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static unsigned	 n;
	struct reply	 rp;
	uint64_t	 before;

	if (++n % 256 == 0 || fuzz_relay()->store->nruns > 32)
		fuzz_reset();
	before = fuzz_fingerprint();
	fuzz_gql((const char *)data, size, &rp);
	fuzz_check_reply(&rp, 1);
	if (rp.status != 200 && fuzz_fingerprint() != before) {
		fprintf(stderr, "relay-gql: the store changed under a %d "
		    "answer: %s\n", rp.status, rp.body.p);
		abort();
	}
	buf_release(&rp.body);
	return 0;
}
