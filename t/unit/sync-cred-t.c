/*
 * sync-cred-t.c - netrc and config parsing, and the order in which the
 * API key is looked for.
 */
#include "config.h"

#include <stdlib.h>
#include <sys/stat.h>

#include "tap.h"
#include "testutil.h"
#include "sync/cred.h"

static void
netrc(void)
{
	const char *t =
	    "machine other.example login api password other-key\n"
	    "# comment-like words are tokens in netrc, but harmless\n"
	    "macdef init\ncd /tmp\n\n"
	    "machine api.wandb.ai\n  login user\n  password  abc123\n"
	    "machine 127.0.0.1:8080 login api password \"quoted key\"\n"
	    "default login anon password default-key\n";
	char out[128];

	ok(cred_netrc_lookup(t, "api.wandb.ai", out, sizeof(out)) == 0 &&
	    strcmp(out, "abc123") == 0, "machine entry");
	ok(cred_netrc_lookup(t, "127.0.0.1:8080", out, sizeof(out)) == 0 &&
	    strcmp(out, "quoted key") == 0, "host:port entry, quoted");
	ok(cred_netrc_lookup(t, "API.WANDB.AI", out, sizeof(out)) == 0 &&
	    strcmp(out, "abc123") == 0, "host names ignore case");
	ok(cred_netrc_lookup(t, "api.wandb.ai:443", out, sizeof(out)) == 0 &&
	    strcmp(out, "abc123") == 0, "falls back to the bare host");
	ok(cred_netrc_lookup(t, "nowhere.example", out, sizeof(out)) == 0 &&
	    strcmp(out, "default-key") == 0, "default entry");
	ok(cred_netrc_lookup("machine a login b\n", "a", out,
	    sizeof(out)) != 0, "entry without password");
	ok(cred_netrc_lookup("", "a", out, sizeof(out)) != 0, "empty file");
	ok(cred_netrc_lookup(t, "api.wandb.ai", out, 4) != 0,
	    "too long for the buffer");
}

static void
config(void)
{
	const char *t = "# wbstore\nbase_url = http://127.0.0.1:9\n"
	    "api_key=  k1  \napi_key.example.com:8443 = \"k2\"\n"
	    "  api_key = k3\n#api_key = no\n";
	char out[128];

	ok(cred_config_lookup(t, "base_url", out, sizeof(out)) == 0 &&
	    strcmp(out, "http://127.0.0.1:9") == 0, "base_url");
	ok(cred_config_lookup(t, "api_key", out, sizeof(out)) == 0 &&
	    strcmp(out, "k3") == 0, "the last value wins, spaces trimmed");
	ok(cred_config_lookup(t, "api_key.example.com:8443", out,
	    sizeof(out)) == 0 && strcmp(out, "k2") == 0, "quotes removed");
	ok(cred_config_lookup(t, "api", out, sizeof(out)) != 0,
	    "prefix of a key is not the key");
	ok(cred_config_lookup(t, "missing", out, sizeof(out)) != 0,
	    "absent key");
}

static void
urls(void)
{
	char hp[64], h[64];

	ok(cred_url_host("https://api.wandb.ai", hp, sizeof(hp), h,
	    sizeof(h)) == 0 && strcmp(hp, "api.wandb.ai") == 0, "https host");
	ok(cred_url_host("http://u:p@127.0.0.1:8080/x?y", hp, sizeof(hp), h,
	    sizeof(h)) == 0 && strcmp(hp, "127.0.0.1:8080") == 0 &&
	    strcmp(h, "127.0.0.1") == 0, "user info, port, path dropped");
	ok(cred_url_host("http://[::1]:80/", hp, sizeof(hp), h,
	    sizeof(h)) == 0 && strcmp(h, "::1") == 0, "IPv6 literal");
	ok(cred_url_host("ftp://x", hp, sizeof(hp), h, sizeof(h)) != 0,
	    "not http");
	ok(cred_url_host("http://", hp, sizeof(hp), h, sizeof(h)) != 0,
	    "no host");
}

static void
write_file(const char *path, const char *text)
{
	FILE *f = fopen(path, "w");

	if (f == NULL || fputs(text, f) < 0 || fclose(f) != 0)
		exit(99);
}

static void
order(void)
{
	char	*dir = test_tmpdir(), path[512], key[128], src[512];

	setenv("HOME", dir, 1);
	unsetenv("NETRC");
	unsetenv("WANDB_API_KEY");
	unsetenv("WANDB_BASE_URL");
	snprintf(path, sizeof(path), "%s/cfg", dir);
	setenv("XDG_CONFIG_HOME", path, 1);
	ok(cred_api_key("http://127.0.0.1:5", key, sizeof(key), src,
	    sizeof(src)) != 0, "no key anywhere");
	snprintf(path, sizeof(path), "%s/cfg/wbstore", dir);
	mkdir(dir, 0700);
	snprintf(path, sizeof(path), "%s/cfg", dir);
	mkdir(path, 0700);
	snprintf(path, sizeof(path), "%s/cfg/wbstore", dir);
	mkdir(path, 0700);
	snprintf(path, sizeof(path), "%s/cfg/wbstore/config", dir);
	write_file(path, "base_url = http://127.0.0.1:5\napi_key = from-config\n"
	    "api_key.10.0.0.1:7 = host-key\n");
	ok(cred_api_key("http://127.0.0.1:5", key, sizeof(key), src,
	    sizeof(src)) == 0 && strcmp(key, "from-config") == 0 &&
	    strcmp(src, path) == 0, "config key for its base_url");
	ok(cred_api_key("http://10.0.0.1:7", key, sizeof(key), src,
	    sizeof(src)) == 0 && strcmp(key, "host-key") == 0,
	    "config key for a named host");
	ok(cred_api_key("https://api.wandb.ai", key, sizeof(key), src,
	    sizeof(src)) != 0, "config key not sent to another server");
	snprintf(path, sizeof(path), "%s/.netrc", dir);
	write_file(path, "machine 127.0.0.1:5 login api password from-netrc\n");
	ok(cred_api_key("http://127.0.0.1:5", key, sizeof(key), src,
	    sizeof(src)) == 0 && strcmp(key, "from-netrc") == 0,
	    "netrc before config");
	setenv("WANDB_API_KEY", "from-env", 1);
	ok(cred_api_key("http://127.0.0.1:5", key, sizeof(key), src,
	    sizeof(src)) == 0 && strcmp(key, "from-env") == 0 &&
	    strcmp(src, "WANDB_API_KEY") == 0, "environment first");
	unsetenv("WANDB_API_KEY");
	cred_base_url(key, sizeof(key));
	is_str(key, "http://127.0.0.1:5", "base URL from the config");
	setenv("WANDB_BASE_URL", "http://h:1///", 1);
	cred_base_url(key, sizeof(key));
	is_str(key, "http://h:1", "base URL from the environment, trimmed");
	unsetenv("WANDB_BASE_URL");
	test_rmtree(dir);
}

int
main(void)
{
	netrc();
	config();
	urls();
	order();
	plan_lazy_done();
	return tap_exit();
}
