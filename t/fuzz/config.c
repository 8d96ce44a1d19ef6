/*
 * config.c - fuzz target: the configuration parsers, which read files a
 * user edits by hand: wbstored's wbstore.conf, wbstore's credentials
 * config ("key = value") and ~/.netrc.  Each input is fed to all three.
 */
#include "config.h"

#include <math.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "daemon/daemon.h"
#include "sync/cred.h"

int	LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

#define CHECK(c)	do { if (!(c)) __builtin_trap(); } while (0)

/* What conf_read() accepted keeps every documented bound. */
static void
check_conf(const struct conf *c)
{
	const double *d[] = { &c->grace, &c->poll_min, &c->poll_max,
	    &c->heartbeat, &c->timeout };

	for (size_t i = 0; i < sizeof(d) / sizeof(d[0]); i++)
		CHECK(isfinite(*d[i]) && *d[i] >= 0.01 && *d[i] <= 1e7);
	CHECK(c->poll_max >= c->poll_min);
	CHECK(c->jobs >= 1 && c->jobs <= 1000);
	CHECK(c->retries >= 0 && c->retries <= 1000);
	CHECK(c->poll == 0 || c->poll == 1);
	for (size_t i = 0; i < c->nroots; i++)
		CHECK(c->roots[i][0] != '\0');
	CHECK(c->base_url == NULL ||
	    strncmp(c->base_url, "http://", 7) == 0 ||
	    strncmp(c->base_url, "https://", 8) == 0);
}

/* A lookup that succeeds leaves a string shorter than the buffer. */
static void
check_out(int rc, const char *out, size_t len)
{
	if (rc == 0)
		CHECK(memchr(out, '\0', len) != NULL);
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct conf	 c;
	char		 err[1024], out[64], *text;
	FILE		*f;

	if (size > 65536)
		return 0;
	setenv("HOME", "/home/fuzz", 1);

	/* wbstore.conf, NUL bytes and all. */
	if (size > 0 && (f = fmemopen((void *)data, size, "r")) != NULL) {
		err[0] = '\0';
		if (conf_read(&c, f, "wbstore.conf", err, sizeof(err)) == 0) {
			check_conf(&c);
			conf_free(&c);
		} else
			CHECK(strncmp(err, "wbstore.conf", 12) == 0);
		fclose(f);
	}

	/* The credentials config and netrc read a string. */
	if ((text = malloc(size + 1)) == NULL)
		return 0;
	memcpy(text, data, size);
	text[size] = '\0';
	memset(out, 'x', sizeof(out));
	check_out(cred_config_lookup(text, "api_key", out, sizeof(out)), out,
	    sizeof(out));
	check_out(cred_config_lookup(text, "base_url", out, sizeof(out)), out,
	    sizeof(out));
	check_out(cred_netrc_lookup(text, "127.0.0.1:8080", out, sizeof(out)),
	    out, sizeof(out));
	check_out(cred_netrc_lookup(text, "api.wandb.ai", out, 8), out, 8);
	free(text);
	return 0;
}
