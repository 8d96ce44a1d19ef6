/*
 * dtoa.c - shortest round-trip formatting of doubles (Grisu2, after
 * Loitsch, "Printing Floating-Point Numbers Quickly and Accurately with
 * Integers", PLDI 2010).  Grisu2 always produces digits that read back as
 * the same double; in rare cases they are one digit longer than the
 * shortest, which is harmless on the wire.
 */
#include "config.h"

#include <math.h>
#include <string.h>

#include "dtoa.h"

struct diyfp {
	uint64_t	f;
	int		e;
};

#define DP_SIGNIFICAND	0x000fffffffffffffULL
#define DP_HIDDEN	0x0010000000000000ULL
#define DP_EXP_BIAS	1075	/* 1023 + 52 */

/* 10^k for k = -348, -340, ..., 340: normalized 64-bit significand, 2-exponent. */
static const struct {
	uint64_t	f;
	int16_t		e;
} cached[] = {
	{ 0xfa8fd5a0081c0288ULL, -1220 },
	{ 0xbaaee17fa23ebf76ULL, -1193 },
	{ 0x8b16fb203055ac76ULL, -1166 },
	{ 0xcf42894a5dce35eaULL, -1140 },
	{ 0x9a6bb0aa55653b2dULL, -1113 },
	{ 0xe61acf033d1a45dfULL, -1087 },
	{ 0xab70fe17c79ac6caULL, -1060 },
	{ 0xff77b1fcbebcdc4fULL, -1034 },
	{ 0xbe5691ef416bd60cULL, -1007 },
	{ 0x8dd01fad907ffc3cULL, -980 },
	{ 0xd3515c2831559a83ULL, -954 },
	{ 0x9d71ac8fada6c9b5ULL, -927 },
	{ 0xea9c227723ee8bcbULL, -901 },
	{ 0xaecc49914078536dULL, -874 },
	{ 0x823c12795db6ce57ULL, -847 },
	{ 0xc21094364dfb5637ULL, -821 },
	{ 0x9096ea6f3848984fULL, -794 },
	{ 0xd77485cb25823ac7ULL, -768 },
	{ 0xa086cfcd97bf97f4ULL, -741 },
	{ 0xef340a98172aace5ULL, -715 },
	{ 0xb23867fb2a35b28eULL, -688 },
	{ 0x84c8d4dfd2c63f3bULL, -661 },
	{ 0xc5dd44271ad3cdbaULL, -635 },
	{ 0x936b9fcebb25c996ULL, -608 },
	{ 0xdbac6c247d62a584ULL, -582 },
	{ 0xa3ab66580d5fdaf6ULL, -555 },
	{ 0xf3e2f893dec3f126ULL, -529 },
	{ 0xb5b5ada8aaff80b8ULL, -502 },
	{ 0x87625f056c7c4a8bULL, -475 },
	{ 0xc9bcff6034c13053ULL, -449 },
	{ 0x964e858c91ba2655ULL, -422 },
	{ 0xdff9772470297ebdULL, -396 },
	{ 0xa6dfbd9fb8e5b88fULL, -369 },
	{ 0xf8a95fcf88747d94ULL, -343 },
	{ 0xb94470938fa89bcfULL, -316 },
	{ 0x8a08f0f8bf0f156bULL, -289 },
	{ 0xcdb02555653131b6ULL, -263 },
	{ 0x993fe2c6d07b7facULL, -236 },
	{ 0xe45c10c42a2b3b06ULL, -210 },
	{ 0xaa242499697392d3ULL, -183 },
	{ 0xfd87b5f28300ca0eULL, -157 },
	{ 0xbce5086492111aebULL, -130 },
	{ 0x8cbccc096f5088ccULL, -103 },
	{ 0xd1b71758e219652cULL, -77 },
	{ 0x9c40000000000000ULL, -50 },
	{ 0xe8d4a51000000000ULL, -24 },
	{ 0xad78ebc5ac620000ULL, 3 },
	{ 0x813f3978f8940984ULL, 30 },
	{ 0xc097ce7bc90715b3ULL, 56 },
	{ 0x8f7e32ce7bea5c70ULL, 83 },
	{ 0xd5d238a4abe98068ULL, 109 },
	{ 0x9f4f2726179a2245ULL, 136 },
	{ 0xed63a231d4c4fb27ULL, 162 },
	{ 0xb0de65388cc8ada8ULL, 189 },
	{ 0x83c7088e1aab65dbULL, 216 },
	{ 0xc45d1df942711d9aULL, 242 },
	{ 0x924d692ca61be758ULL, 269 },
	{ 0xda01ee641a708deaULL, 295 },
	{ 0xa26da3999aef774aULL, 322 },
	{ 0xf209787bb47d6b85ULL, 348 },
	{ 0xb454e4a179dd1877ULL, 375 },
	{ 0x865b86925b9bc5c2ULL, 402 },
	{ 0xc83553c5c8965d3dULL, 428 },
	{ 0x952ab45cfa97a0b3ULL, 455 },
	{ 0xde469fbd99a05fe3ULL, 481 },
	{ 0xa59bc234db398c25ULL, 508 },
	{ 0xf6c69a72a3989f5cULL, 534 },
	{ 0xb7dcbf5354e9beceULL, 561 },
	{ 0x88fcf317f22241e2ULL, 588 },
	{ 0xcc20ce9bd35c78a5ULL, 614 },
	{ 0x98165af37b2153dfULL, 641 },
	{ 0xe2a0b5dc971f303aULL, 667 },
	{ 0xa8d9d1535ce3b396ULL, 694 },
	{ 0xfb9b7cd9a4a7443cULL, 720 },
	{ 0xbb764c4ca7a44410ULL, 747 },
	{ 0x8bab8eefb6409c1aULL, 774 },
	{ 0xd01fef10a657842cULL, 800 },
	{ 0x9b10a4e5e9913129ULL, 827 },
	{ 0xe7109bfba19c0c9dULL, 853 },
	{ 0xac2820d9623bf429ULL, 880 },
	{ 0x80444b5e7aa7cf85ULL, 907 },
	{ 0xbf21e44003acdd2dULL, 933 },
	{ 0x8e679c2f5e44ff8fULL, 960 },
	{ 0xd433179d9c8cb841ULL, 986 },
	{ 0x9e19db92b4e31ba9ULL, 1013 },
	{ 0xeb96bf6ebadf77d9ULL, 1039 },
	{ 0xaf87023b9bf0ee6bULL, 1066 }
};

static const uint64_t pow10_64[20] = {
	1ULL, 10ULL, 100ULL, 1000ULL, 10000ULL, 100000ULL, 1000000ULL,
	10000000ULL, 100000000ULL, 1000000000ULL, 10000000000ULL,
	100000000000ULL, 1000000000000ULL, 10000000000000ULL,
	100000000000000ULL, 1000000000000000ULL, 10000000000000000ULL,
	100000000000000000ULL, 1000000000000000000ULL,
	10000000000000000000ULL
};

static struct diyfp
diyfp_of(double d)
{
	struct diyfp	v;
	uint64_t	u;
	int		be;

	memcpy(&u, &d, sizeof(u));
	be = (int)((u >> 52) & 0x7ff);
	v.f = u & DP_SIGNIFICAND;
	if (be != 0) {
		v.f |= DP_HIDDEN;
		v.e = be - DP_EXP_BIAS;
	} else
		v.e = 1 - DP_EXP_BIAS;
	return v;
}

static struct diyfp
normalize(struct diyfp v)
{
	int s = __builtin_clzll(v.f);

	v.f <<= s;
	v.e -= s;
	return v;
}

/* The product, rounded to 64 bits. */
static struct diyfp
mul(struct diyfp a, struct diyfp b)
{
	unsigned __int128	p = (unsigned __int128)a.f * b.f;
	struct diyfp		r;

	r.f = (uint64_t)(p >> 64);
	if ((uint64_t)p & (1ULL << 63))
		r.f++;
	r.e = a.e + b.e + 64;
	return r;
}

/* The boundaries m- and m+ of v, normalized to the exponent of m+. */
static void
boundaries(struct diyfp v, struct diyfp *mi, struct diyfp *pl)
{
	struct diyfp p = { (v.f << 1) + 1, v.e - 1 }, m;

	while (!(p.f & (DP_HIDDEN << 1))) {
		p.f <<= 1;
		p.e--;
	}
	p.f <<= 64 - 52 - 2;
	p.e -= 64 - 52 - 2;
	if (v.f == DP_HIDDEN) {
		m.f = (v.f << 2) - 1;
		m.e = v.e - 2;
	} else {
		m.f = (v.f << 1) - 1;
		m.e = v.e - 1;
	}
	m.f <<= m.e - p.e;
	m.e = p.e;
	*mi = m;
	*pl = p;
}

/* A cached power c = 10^-K such that the product's exponent is small. */
static struct diyfp
cached_power(int e, int *K)
{
	double		dk = (-61 - e) * 0.30102999566398114 + 347;
	int		k = (int)dk;
	unsigned	i;
	struct diyfp	c;

	if (dk - k > 0.0)
		k++;
	i = (unsigned)((k >> 3) + 1);
	*K = -(-348 + (int)i * 8);
	c.f = cached[i].f;
	c.e = cached[i].e;
	return c;
}

static void
round_weed(char *buf, int len, uint64_t delta, uint64_t rest,
    uint64_t ten_kappa, uint64_t wp_w)
{
	while (rest < wp_w && delta - rest >= ten_kappa &&
	    (rest + ten_kappa < wp_w ||
	    wp_w - rest > rest + ten_kappa - wp_w)) {
		buf[len - 1]--;
		rest += ten_kappa;
	}
}

static int
digits32(uint32_t n)
{
	int d = 1;

	while (d < 10 && n >= (uint32_t)pow10_64[d])
		d++;
	return d;
}

/* Generate the digits of W within the interval (Mp - delta, Mp). */
static int
digit_gen(struct diyfp W, struct diyfp Mp, uint64_t delta, char *buf,
    int *K)
{
	struct diyfp	one = { 1ULL << -Mp.e, Mp.e };
	uint64_t	wp_w = Mp.f - W.f, p2 = Mp.f & (one.f - 1), tmp;
	uint32_t	p1 = (uint32_t)(Mp.f >> -one.e), d;
	int		kappa = digits32(p1), len = 0;

	while (kappa > 0) {
		d = (uint32_t)(p1 / pow10_64[kappa - 1]);
		p1 = (uint32_t)(p1 % pow10_64[kappa - 1]);
		if (d != 0 || len != 0)
			buf[len++] = (char)('0' + d);
		kappa--;
		tmp = ((uint64_t)p1 << -one.e) + p2;
		if (tmp <= delta) {
			*K += kappa;
			round_weed(buf, len, delta, tmp,
			    pow10_64[kappa] << -one.e, wp_w);
			return len;
		}
	}
	for (;;) {
		p2 *= 10;
		delta *= 10;
		d = (uint32_t)(p2 >> -one.e);
		if (d != 0 || len != 0)
			buf[len++] = (char)('0' + d);
		p2 &= one.f - 1;
		kappa--;
		if (p2 < delta) {
			*K += kappa;
			round_weed(buf, len, delta, p2, one.f,
			    -kappa < 20 ? wp_w * pow10_64[-kappa] : 0);
			return len;
		}
	}
}

/* Digits (no leading zeros) and exponent K: value = digits * 10^K. */
static int
grisu2(double d, char *buf, int *K)
{
	struct diyfp v = diyfp_of(d), wm, wp, c, W, Wp, Wm;

	boundaries(v, &wm, &wp);
	c = cached_power(wp.e, K);
	W = mul(normalize(v), c);
	Wp = mul(wp, c);
	Wm = mul(wm, c);
	Wm.f++;
	Wp.f--;
	return digit_gen(W, Wp, Wp.f - Wm.f, buf, K);
}

/* Lay out digits * 10^K as Python's repr() does. */
static size_t
layout(char *out, const char *dig, int len, int K)
{
	int	exp10 = len + K - 1;	/* scientific exponent */
	char	*p = out;

	if (exp10 >= -4 && exp10 < 16) {
		int point = len + K;	/* digits before the point */

		if (point <= 0) {
			*p++ = '0';
			*p++ = '.';
			for (int i = point; i < 0; i++)
				*p++ = '0';
			memcpy(p, dig, (size_t)len);
			p += len;
		} else if (point >= len) {
			memcpy(p, dig, (size_t)len);
			p += len;
			for (int i = len; i < point; i++)
				*p++ = '0';
			*p++ = '.';
			*p++ = '0';
		} else {
			memcpy(p, dig, (size_t)point);
			p += point;
			*p++ = '.';
			memcpy(p, dig + point, (size_t)(len - point));
			p += len - point;
		}
	} else {
		int e = exp10 < 0 ? -exp10 : exp10;

		*p++ = dig[0];
		if (len > 1) {
			*p++ = '.';
			memcpy(p, dig + 1, (size_t)(len - 1));
			p += len - 1;
		}
		*p++ = 'e';
		*p++ = exp10 < 0 ? '-' : '+';
		if (e >= 100) {
			*p++ = (char)('0' + e / 100);
			e %= 100;
			*p++ = (char)('0' + e / 10);
		} else
			*p++ = (char)('0' + e / 10);
		*p++ = (char)('0' + e % 10);
	}
	*p = '\0';
	return (size_t)(p - out);
}

size_t
dtoa_double(char *out, double d)
{
	char	dig[24];
	char	*p = out;
	int	len, K;

	if (isnan(d)) {
		memcpy(out, "NaN", 4);
		return 3;
	}
	if (isinf(d)) {
		if (d > 0) {
			memcpy(out, "Infinity", 9);
			return 8;
		}
		memcpy(out, "-Infinity", 10);
		return 9;
	}
	if (signbit(d)) {
		*p++ = '-';
		d = -d;
	}
	if (d == 0) {
		memcpy(p, "0.0", 4);
		return (size_t)(p - out) + 3;
	}
	len = grisu2(d, dig, &K);
	return (size_t)(p - out) + layout(p, dig, len, K);
}

size_t
dtoa_int(char *out, int64_t v)
{
	char		tmp[24];
	uint64_t	u = v < 0 ? (uint64_t)0 - (uint64_t)v : (uint64_t)v;
	size_t		n = 0, len = 0;

	do {
		tmp[n++] = (char)('0' + u % 10);
		u /= 10;
	} while (u != 0);
	if (v < 0)
		out[len++] = '-';
	while (n > 0)
		out[len++] = tmp[--n];
	out[len] = '\0';
	return len;
}
