/*
 * cred.c - base URL and API key lookup (see cred.h for the order).
 */
#include "config.h"

#include <ctype.h>
#include <errno.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/stat.h>

#include "cred.h"

#define CRED_FILE_MAX	(1 << 20)	/* bytes read from netrc or config */

/* Next netrc token: words separated by white space, "quoted" allowed. */
static const char *
netrc_token(const char *p, char *tok, size_t len)
{
	size_t n = 0;

	while (*p != '\0' && isspace((unsigned char)*p))
		p++;
	if (*p == '\0')
		return NULL;
	if (*p == '"') {
		for (p++; *p != '\0' && *p != '"'; p++) {
			if (*p == '\\' && p[1] != '\0')
				p++;
			if (n + 1 < len)
				tok[n++] = *p;
		}
		if (*p == '"')
			p++;
	} else {
		for (; *p != '\0' && !isspace((unsigned char)*p); p++) {
			if (*p == '\\' && p[1] != '\0')
				p++;
			if (n + 1 < len)
				tok[n++] = *p;
		}
	}
	tok[n] = '\0';
	return p;
}

/* Skip a macdef body: everything up to an empty line. */
static const char *
skip_macdef(const char *p)
{
	const char *e = strstr(p, "\n\n");

	return e != NULL ? e + 2 : p + strlen(p);
}

/* The password of machine name (or of default when name is NULL). */
static int
netrc_find(const char *text, const char *name, char *out, size_t len)
{
	char		 tok[CRED_KEY_MAX], pw[CRED_KEY_MAX];
	const char	*p = text;
	int		 in = 0, found = 0;

	pw[0] = '\0';
	while ((p = netrc_token(p, tok, sizeof(tok))) != NULL) {
		if (strcmp(tok, "machine") == 0 || strcmp(tok, "default") == 0) {
			if (in && found)
				break;
			in = 0;
			if (strcmp(tok, "default") == 0)
				in = name == NULL;
			else {
				if ((p = netrc_token(p, tok, sizeof(tok))) ==
				    NULL)
					break;
				in = name != NULL && strcasecmp(tok, name) == 0;
			}
			continue;
		}
		if (strcmp(tok, "macdef") == 0) {
			p = skip_macdef(p);
			continue;
		}
		if (strcmp(tok, "login") == 0 || strcmp(tok, "account") == 0 ||
		    strcmp(tok, "password") == 0) {
			int is_pw = strcmp(tok, "password") == 0;

			if ((p = netrc_token(p, tok, sizeof(tok))) == NULL)
				break;
			if (in && is_pw) {
				snprintf(pw, sizeof(pw), "%s", tok);
				found = 1;
			}
		}
	}
	if (!found || pw[0] == '\0' || strlen(pw) >= len)
		return -1;
	memcpy(out, pw, strlen(pw) + 1);
	return 0;
}

/* netrc lookup (see cred.h). */
int
cred_netrc_lookup(const char *text, const char *hostport, char *out,
    size_t len)
{
	char		 host[256];
	const char	*colon;

	if (netrc_find(text, hostport, out, len) == 0)
		return 0;
	if ((colon = strrchr(hostport, ':')) != NULL &&
	    strchr(hostport, ']') == NULL) {
		snprintf(host, sizeof(host), "%.*s", (int)(colon - hostport),
		    hostport);
		if (netrc_find(text, host, out, len) == 0)
			return 0;
	}
	return netrc_find(text, NULL, out, len);
}

/* Config lookup (see cred.h). */
int
cred_config_lookup(const char *text, const char *key, char *out, size_t len)
{
	const char	*line = text;
	size_t		 klen = strlen(key);
	int		 found = 0;

	while (line != NULL && *line != '\0') {
		const char	*end = strchr(line, '\n'), *p = line, *v, *ve;

		if (end == NULL)
			end = line + strlen(line);
		while (p < end && isspace((unsigned char)*p))
			p++;
		if (p < end && *p != '#' && (size_t)(end - p) > klen &&
		    strncmp(p, key, klen) == 0) {
			v = p + klen;
			while (v < end && (*v == ' ' || *v == '\t'))
				v++;
			if (v < end && *v == '=') {
				v++;
				while (v < end && isspace((unsigned char)*v))
					v++;
				ve = end;
				while (ve > v && isspace((unsigned char)ve[-1]))
					ve--;
				if (ve - v >= 2 && (*v == '"' || *v == '\'') &&
				    ve[-1] == *v) {
					v++;
					ve--;
				}
				if ((size_t)(ve - v) < len) {
					memcpy(out, v, (size_t)(ve - v));
					out[ve - v] = '\0';
					found = 1;
				}
			}
		}
		line = *end ? end + 1 : NULL;
	}
	return found ? 0 : -1;
}

/* Split a base URL (see cred.h). */
int
cred_url_host(const char *url, char *hostport, size_t hplen, char *host,
    size_t hlen)
{
	const char	*p, *end, *at, *colon;
	size_t		 n;

	if (strncasecmp(url, "http://", 7) == 0)
		p = url + 7;
	else if (strncasecmp(url, "https://", 8) == 0)
		p = url + 8;
	else
		return -1;
	end = p + strcspn(p, "/?#");
	if ((at = memchr(p, '@', (size_t)(end - p))) != NULL)
		p = at + 1;
	n = (size_t)(end - p);
	if (n == 0 || n >= hplen || n >= hlen)
		return -1;
	memcpy(hostport, p, n);
	hostport[n] = '\0';
	if (hostport[0] == '[') {
		const char *rb = strchr(hostport, ']');

		if (rb == NULL)
			return -1;
		snprintf(host, hlen, "%.*s", (int)(rb - hostport - 1),
		    hostport + 1);
		return 0;
	}
	colon = strchr(hostport, ':');
	snprintf(host, hlen, "%.*s", (int)(colon ? (size_t)(colon - hostport) :
	    n), hostport);
	return 0;
}

/* Read a whole small file; NULL if it is missing or unreadable. */
static char *
slurp(const char *path)
{
	FILE	*f;
	char	*buf;
	size_t	 n;

	if ((f = fopen(path, "r")) == NULL)
		return NULL;
	if ((buf = malloc(CRED_FILE_MAX + 1)) == NULL) {
		fclose(f);
		return NULL;
	}
	n = fread(buf, 1, CRED_FILE_MAX, f);
	fclose(f);
	buf[n] = '\0';
	return buf;
}

/* Free a file that may hold a key, wiping it first. */
static void
wipe(char *text)
{
	explicit_bzero(text, strlen(text));
	free(text);
}

/* Path of wbstore's config file. */
void
cred_config_path(char *out, size_t len)
{
	const char *x = getenv("XDG_CONFIG_HOME"), *home = getenv("HOME");

	if (x != NULL && *x == '/')
		snprintf(out, len, "%s/wbstore/config", x);
	else
		snprintf(out, len, "%s/.config/wbstore/config",
		    home ? home : ".");
}

/* Strip trailing slashes. */
static void
trim_url(char *s)
{
	size_t n = strlen(s);

	while (n > 0 && s[n - 1] == '/')
		s[--n] = '\0';
}

/* The base URL in effect (see cred.h). */
void
cred_base_url(char *out, size_t len)
{
	const char	*env = getenv("WANDB_BASE_URL");
	char		 path[PATH_MAX], *text;

	if (env != NULL && *env != '\0') {
		snprintf(out, len, "%s", env);
		trim_url(out);
		return;
	}
	cred_config_path(path, sizeof(path));
	snprintf(out, len, "%s", CRED_DEFAULT_URL);
	if ((text = slurp(path)) != NULL) {
		(void)cred_config_lookup(text, "base_url", out, len);
		wipe(text);
	}
	trim_url(out);
}

/* The netrc file to read. */
static void
netrc_path(char *out, size_t len)
{
	const char	*env = getenv("NETRC"), *home = getenv("HOME");
	struct stat	 sb;

	if (env != NULL && *env != '\0') {
		snprintf(out, len, "%s", env);
		return;
	}
	snprintf(out, len, "%s/.netrc", home ? home : ".");
	if (stat(out, &sb) != 0)
		snprintf(out, len, "%s/_netrc", home ? home : ".");
}

/* Key from the config file for this host. */
static int
config_key(const char *text, const char *hostport, char *key, size_t keylen)
{
	char	name[300], url[1024], chp[256], ch[256];

	snprintf(name, sizeof(name), "api_key.%s", hostport);
	if (cred_config_lookup(text, name, key, keylen) == 0)
		return 0;
	snprintf(url, sizeof(url), "%s", CRED_DEFAULT_URL);
	(void)cred_config_lookup(text, "base_url", url, sizeof(url));
	if (cred_url_host(url, chp, sizeof(chp), ch, sizeof(ch)) != 0 ||
	    strcasecmp(chp, hostport) != 0)
		return -1;
	return cred_config_lookup(text, "api_key", key, keylen);
}

/* The API key for base_url (see cred.h). */
int
cred_api_key(const char *base_url, char *key, size_t keylen, char *source,
    size_t srclen)
{
	const char	*env = getenv("WANDB_API_KEY");
	char		 path[PATH_MAX], hostport[256], host[256], *text;
	int		 rc;

	if (env != NULL && *env != '\0' && strlen(env) < keylen) {
		snprintf(key, keylen, "%s", env);
		snprintf(source, srclen, "WANDB_API_KEY");
		return 0;
	}
	if (cred_url_host(base_url, hostport, sizeof(hostport), host,
	    sizeof(host)) != 0)
		return -1;
	netrc_path(path, sizeof(path));
	if ((text = slurp(path)) != NULL) {
		rc = cred_netrc_lookup(text, hostport, key, keylen);
		wipe(text);
		if (rc == 0) {
			snprintf(source, srclen, "%s", path);
			return 0;
		}
	}
	cred_config_path(path, sizeof(path));
	if ((text = slurp(path)) != NULL) {
		rc = config_key(text, hostport, key, keylen);
		wipe(text);
		if (rc == 0) {
			snprintf(source, srclen, "%s", path);
			return 0;
		}
	}
	return -1;
}
