/*
 * auth.c - API keys from a file and HTTP Basic auth ("api:KEY").
 *
 * The keys file holds one key per line (blank lines and lines starting
 * with '#' are ignored) and must not be readable or writable by others.
 */
#include "config.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "log.h"
#include "relay-int.h"

#define KEY_MAX	512

struct auth {
	char	**keys;
	size_t	  n;
};

void
auth_free(struct auth *a)
{
	if (a == NULL)
		return;
	for (size_t i = 0; i < a->n; i++) {
		explicit_bzero(a->keys[i], strlen(a->keys[i]));
		free(a->keys[i]);
	}
	free(a->keys);
	free(a);
}

/* Load the keys file. */
int
auth_load(struct auth **ap, const char *file, char *err, size_t errlen)
{
	struct auth	*a;
	struct stat	 sb;
	FILE		*f;
	char		 line[KEY_MAX + 2];
	int		 lineno = 0;

	if ((f = fopen(file, "r")) == NULL) {
		snprintf(err, errlen, "keys file %s: %s", file,
		    strerror(errno));
		return -1;
	}
	if (fstat(fileno(f), &sb) != 0 || !S_ISREG(sb.st_mode)) {
		snprintf(err, errlen, "keys file %s is not a regular file",
		    file);
		fclose(f);
		return -1;
	}
	if (sb.st_mode & (S_IROTH | S_IWOTH)) {
		snprintf(err, errlen, "keys file %s is accessible by others "
		    "(mode %04o): chmod o-rw %s", file,
		    (unsigned)(sb.st_mode & 07777), file);
		fclose(f);
		return -1;
	}
	if ((a = calloc(1, sizeof(*a))) == NULL)
		fatalx("out of memory");
	while (fgets(line, sizeof(line), f) != NULL) {
		size_t	 n = strlen(line);
		char	*p = line;

		lineno++;
		if (n > 0 && line[n - 1] != '\n' && !feof(f)) {
			snprintf(err, errlen, "keys file %s, line %d: longer "
			    "than %d characters", file, lineno, KEY_MAX);
			goto fail;
		}
		while (n > 0 && (line[n - 1] == '\n' || line[n - 1] == '\r' ||
		    line[n - 1] == ' ' || line[n - 1] == '\t'))
			line[--n] = '\0';
		while (*p == ' ' || *p == '\t')
			p++;
		if (*p == '\0' || *p == '#')
			continue;
		if ((a->keys = realloc(a->keys, (a->n + 1) *
		    sizeof(*a->keys))) == NULL ||
		    (a->keys[a->n] = strdup(p)) == NULL)
			fatalx("out of memory");
		a->n++;
	}
	explicit_bzero(line, sizeof(line));
	fclose(f);
	f = NULL;
	if (a->n == 0) {
		snprintf(err, errlen, "keys file %s has no keys", file);
		goto fail;
	}
	*ap = a;
	return 0;
fail:
	if (f != NULL)
		fclose(f);
	explicit_bzero(line, sizeof(line));
	auth_free(a);
	return -1;
}

/* Decode base64 (standard alphabet, padding optional); -1 if invalid. */
static long
b64decode(const char *s, char *out, size_t outlen)
{
	static const char alpha[] = "ABCDEFGHIJKLMNOPQRSTUVWXYZ"
	    "abcdefghijklmnopqrstuvwxyz0123456789+/";
	uint32_t	acc = 0;
	int		bits = 0;
	size_t		n = 0;

	for (; *s != '\0' && *s != '='; s++) {
		const char *c = strchr(alpha, *s);

		if (c == NULL || *s == '\0')
			return -1;
		acc = acc << 6 | (uint32_t)(c - alpha);
		bits += 6;
		if (bits >= 8) {
			bits -= 8;
			if (n + 1 >= outlen)
				return -1;
			out[n++] = (char)(acc >> bits & 0xff);
		}
	}
	while (*s == '=')
		s++;
	if (*s != '\0')
		return -1;
	out[n] = '\0';
	return (long)n;
}

/* Constant-time equality of a candidate key with a stored one. */
static int
key_eq(const char *cand, size_t clen, const char *key)
{
	size_t		klen = strlen(key);
	unsigned char	d = clen != klen;

	for (size_t i = 0; i < clen; i++)
		d |= (unsigned char)(cand[i] ^ key[i < klen ? i : 0]);
	return d == 0;
}

/* 1 if the Authorization header carries user "api" and a known key. */
int
auth_check(const struct auth *a, const char *header)
{
	char	buf[2 * KEY_MAX];
	long	n;
	int	ok = 0;

	if (strncasecmp(header, "Basic ", 6) != 0)
		return 0;
	header += 6;
	while (*header == ' ')
		header++;
	if (strlen(header) > sizeof(buf) || (n = b64decode(header, buf,
	    sizeof(buf))) < 4 || memcmp(buf, "api:", 4) != 0) {
		explicit_bzero(buf, sizeof(buf));
		return 0;
	}
	for (size_t i = 0; i < a->n; i++)
		ok |= key_eq(buf + 4, (size_t)n - 4, a->keys[i]);
	explicit_bzero(buf, sizeof(buf));
	return ok;
}
