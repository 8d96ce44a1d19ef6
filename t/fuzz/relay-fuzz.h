/*
 * relay-fuzz.h - a relay without HTTP for the fuzz targets relay-gql and
 * relay-fstream: a struct relay on a temporary store, the request
 * handlers called as the HTTP layer calls them, and checks of answers.
 */
#ifndef WBS_RELAY_FUZZ_H
#define WBS_RELAY_FUZZ_H

#include <stddef.h>

#include "relay-int.h"

/* The relay (built on first use; its store is removed at exit). */
struct relay	*fuzz_relay(void);
/* Empty the store, then seed it with the run "base" (see relay-fuzz.c). */
void		 fuzz_reset(void);
/* POST /graphql with body; the answer in rp (fresh, caller releases). */
void		 fuzz_gql(const char *body, size_t len, struct reply *rp);
/* POST /files/wbstore/demo/ID/file_stream with body (copied). */
void		 fuzz_fstream(const char *id, const char *body, size_t len,
		    struct reply *rp);
/*
 * Abort unless rp is a well-formed answer: status 200 or 4xx, a JSON
 * object body, and for errors a non-empty message (GraphQL's
 * {"errors": [{"message": ...}]} shape if gql).
 */
void		 fuzz_check_reply(const struct reply *rp, int gql);
/*
 * What the store holds: the number of runs, each run's last record and
 * line counts, mixed into one number (loads every run).
 */
uint64_t	 fuzz_fingerprint(void);

#endif /* WBS_RELAY_FUZZ_H */
