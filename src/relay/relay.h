/*
 * relay.h - the relay as the daemon sees it: W&B's ingest API (GraphQL,
 * file_stream, file uploads) served on the daemon's libev loop, storing
 * each received run as a journal under a store directory.
 */
#ifndef WBS_RELAY_H
#define WBS_RELAY_H

#include <stddef.h>

#include <ev.h>

/* Settings from the command line; strings are borrowed until relay_new. */
struct relay_conf {
	const char	*listen;	/* ADDR:PORT, [ADDR]:PORT or PORT */
	const char	*store;		/* store root; runs go to STORE/wandb */
	const char	*keys_file;	/* API keys, one per line, or NULL */
	const char	*faults_file;	/* fault rules for tests, or NULL */
	const char	*port_file;	/* where to write the bound port */
	const char	*url;		/* public base URL for upload URLs */
	const char	*entity;	/* entity answered for a null entity */
	double		 idle;		/* seconds before an idle run closes */
	unsigned long long max_upload;	/* bytes in one file upload */
	int		 threads;	/* decoding threads; < 0: CPUs - 1, <= 4 */
};

struct relay;

/*
 * Check the configuration (address, store, keys, fault rules) and build
 * the relay without binding anything.  On failure err names the problem.
 */
int	relay_new(struct relay **rp, const struct relay_conf *conf, char *err,
	    size_t errlen);
/* Bind, write the port file and serve on loop. */
int	relay_start(struct relay *r, struct ev_loop *loop, char *err,
	    size_t errlen);
/* Stop serving and close every run cleanly. */
void	relay_stop(struct relay *r);
void	relay_free(struct relay *r);

#endif /* WBS_RELAY_H */
