/*
 * decimal.cc - wbs_decimal() (see decimal.h).  Built without exceptions
 * and RTTI: fast_float is header-only and needs nothing from the C++
 * runtime, so the programs stay C programs and link no libstdc++.
 */
#include "config.h"

#include <cstdlib>
#include <cstring>

#include <fast_float/fast_float.h>

#include "decimal.h"

ptrdiff_t
wbs_decimal(const char *p, const char *end, double *out)
{
	fast_float::from_chars_result r =
	    fast_float::from_chars(p, end, *out);

	if (r.ec == std::errc())
		return r.ptr - p;
	if (r.ec == std::errc::result_out_of_range && r.ptr > p) {
		/* Newer fast_float reports what strtod saturates: ask it. */
		size_t	 n = (size_t)(r.ptr - p);
		char	*buf = static_cast<char *>(std::malloc(n + 1));

		if (buf == nullptr)
			return -1;
		std::memcpy(buf, p, n);
		buf[n] = '\0';
		*out = std::strtod(buf, nullptr);
		std::free(buf);
		return r.ptr - p;
	}
	return -1;
}
