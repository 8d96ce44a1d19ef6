/*
 * throttle.c - fuzz target: the parsers of what servers say about pacing
 * (Retry-After, RateLimit-Remaining/-Reset and the combined RateLimit
 * field), which read header values straight from the network.
 */
#include "config.h"

#include <math.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "sync/throttle.h"

int	LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

/* A delay must be a finite number inside the documented bounds. */
static void
check_delay(double d, double max)
{
	if (!isfinite(d) || d < 0 || d > max)
		__builtin_trap();
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	char	*s, *nl;
	double	 secs;
	time_t	 t;

	if (size > 4096 || (s = malloc(size + 1)) == NULL)
		return 0;
	memcpy(s, data, size);
	s[size] = '\0';

	if (throttle_retry_after(s, (time_t)1700000000, &secs) == 0)
		check_delay(secs, THROTTLE_MAX_DELAY);
	(void)throttle_http_date(s, &t);
	check_delay(throttle_ratelimit_field(s), THROTTLE_MAX_DELAY);
	/* "REMAINING\nRESET": the pair of separate headers. */
	if ((nl = strchr(s, '\n')) != NULL) {
		*nl = '\0';
		check_delay(throttle_ratelimit(s, nl + 1), THROTTLE_MAX_DELAY);
	} else
		check_delay(throttle_ratelimit(s, NULL), THROTTLE_MAX_DELAY);
	free(s);
	return 0;
}
