/*
 * cred.h - where the API key and the server come from.
 *
 * Base URL: $WANDB_BASE_URL, else base_url in wbstore's config file, else
 * https://api.wandb.ai.  API key, first found wins:
 *   1. $WANDB_API_KEY;
 *   2. the netrc file ($NETRC, else ~/.netrc, else ~/_netrc): the password
 *      of "machine HOST[:PORT]" (then "machine HOST", then "default"),
 *      HOST[:PORT] being the base URL's;
 *   3. wbstore's config file, $XDG_CONFIG_HOME/wbstore/config (default
 *      ~/.config/wbstore/config), lines "key = value", # comments:
 *      "api_key.HOST[:PORT] = KEY" for that server, or "api_key = KEY",
 *      which is only used for the config's own base_url (default
 *      https://api.wandb.ai) so that a key never goes to a server it was
 *      not written down for.
 * The key is never printed, logged or taken from the command line.
 */
#ifndef WBS_SYNC_CRED_H
#define WBS_SYNC_CRED_H

#include <stddef.h>

#define CRED_DEFAULT_URL	"https://api.wandb.ai"
#define CRED_KEY_MAX		512

/*
 * The password netrc text gives for host (host[:port] tried first, then
 * the bare host, then a default entry).  0 and out filled, -1 if none.
 */
int	cred_netrc_lookup(const char *text, const char *hostport, char *out,
	    size_t len);

/*
 * The value of key in "key = value" config text (last one wins; quotes
 * around the value are removed).  0 and out filled, -1 if absent.
 */
int	cred_config_lookup(const char *text, const char *key, char *out,
	    size_t len);

/*
 * Split a base URL: scheme ("http"/"https"), host[:port] and host alone.
 * 0, or -1 if it is not an http(s) URL with a host.
 */
int	cred_url_host(const char *url, char *hostport, size_t hplen,
	    char *host, size_t hlen);

/* The base URL in effect (see above), without trailing slashes. */
void	cred_base_url(char *out, size_t len);

/*
 * The API key for base_url.  0 with key and source ("WANDB_API_KEY",
 * the netrc path or the config path) filled, or -1 if none is found.
 */
int	cred_api_key(const char *base_url, char *key, size_t keylen,
	    char *source, size_t srclen);

/* Path of wbstore's config file. */
void	cred_config_path(char *out, size_t len);

#endif /* WBS_SYNC_CRED_H */
