/* Small helpers for the library; see internal.h. */
#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include <openssl/evp.h>

#include "internal.h"
#include "sc/error.h"

char *sc_xstrndup(const char *s, size_t n)
{
	char *p = malloc(n + 1);

	if (!p)
		return NULL;
	memcpy(p, s, n);
	p[n] = '\0';
	return p;
}

char *sc_xstrdup(const char *s)
{
	return s ? sc_xstrndup(s, strlen(s)) : NULL;
}

char *sc_xasprintf(const char *fmt, ...)
{
	va_list ap;
	int n;
	char *p;

	va_start(ap, fmt);
	n = vsnprintf(NULL, 0, fmt, ap);
	va_end(ap);
	if (n < 0)
		return NULL;
	p = malloc((size_t)n + 1);
	if (!p)
		return NULL;
	va_start(ap, fmt);
	vsnprintf(p, (size_t)n + 1, fmt, ap);
	va_end(ap);
	return p;
}

void sc_buf_put(struct sc_buf *b, const void *p, size_t n)
{
	if (b->failed)
		return;
	if (b->alloc - b->len < n) {
		size_t na = b->alloc ? b->alloc : 256;
		void *q;

		while (na - b->len < n) {
			if (na > SIZE_MAX / 2) {
				b->failed = 1;
				return;
			}
			na *= 2;
		}
		q = realloc(b->data, na);
		if (!q) {
			b->failed = 1;
			return;
		}
		b->data = q;
		b->alloc = na;
	}
	if (n)
		memcpy(b->data + b->len, p, n);
	b->len += n;
}

void sc_buf_u8(struct sc_buf *b, uint8_t v)
{
	sc_buf_put(b, &v, 1);
}

void sc_buf_u32(struct sc_buf *b, uint32_t v)
{
	unsigned char x[4];

	for (int i = 0; i < 4; i++)
		x[i] = (unsigned char)(v >> (8 * i));
	sc_buf_put(b, x, 4);
}

void sc_buf_u64(struct sc_buf *b, uint64_t v)
{
	sc_buf_u32(b, (uint32_t)v);
	sc_buf_u32(b, (uint32_t)(v >> 32));
}

void sc_buf_str(struct sc_buf *b, const char *s, size_t n)
{
	if (!s) {
		sc_buf_u32(b, UINT32_MAX);
		return;
	}
	if (n >= UINT32_MAX) {
		b->failed = 1;
		return;
	}
	sc_buf_u32(b, (uint32_t)n);
	sc_buf_put(b, s, n);
}

void sc_buf_cstr(struct sc_buf *b, const char *s)
{
	sc_buf_str(b, s, s ? strlen(s) : 0);
}

void sc_buf_free(struct sc_buf *b)
{
	free(b->data);
	memset(b, 0, sizeof(*b));
}

static const unsigned char *take(struct sc_rd *r, size_t n)
{
	const unsigned char *p;

	if (r->bad || r->left < n) {
		r->bad = 1;
		return NULL;
	}
	p = r->p;
	r->p += n;
	r->left -= n;
	return p;
}

uint8_t sc_rd_u8(struct sc_rd *r)
{
	const unsigned char *p = take(r, 1);

	return p ? p[0] : 0;
}

uint32_t sc_rd_u32(struct sc_rd *r)
{
	const unsigned char *p = take(r, 4);
	uint32_t v = 0;

	if (!p)
		return 0;
	for (int i = 3; i >= 0; i--)
		v = (v << 8) | p[i];
	return v;
}

uint64_t sc_rd_u64(struct sc_rd *r)
{
	uint64_t lo, hi;

	/* Check the whole width first: a short read must give 0, not half. */
	if (r->bad || r->left < 8) {
		r->bad = 1;
		return 0;
	}
	lo = sc_rd_u32(r);
	hi = sc_rd_u32(r);
	return lo | hi << 32;
}

char *sc_rd_str(struct sc_rd *r, size_t *len)
{
	uint32_t n = sc_rd_u32(r);
	const unsigned char *p;
	char *s;

	if (len)
		*len = 0;
	if (r->bad || n == UINT32_MAX)
		return NULL;
	p = take(r, n);
	if (!p)
		return NULL;
	s = sc_xstrndup((const char *)p, n);
	if (!s)
		r->bad = 1;
	else if (len)
		*len = n;
	return s;
}

int sc_utf8_valid(const char *str, size_t n)
{
	const unsigned char *s = (const unsigned char *)str;
	size_t i = 0;

	while (i < n) {
		unsigned c = s[i];
		size_t need;
		uint32_t cp;

		if (c == 0)
			return 0;
		if (c < 0x80) {
			i++;
			continue;
		}
		if (c >= 0xc2 && c <= 0xdf) {
			need = 1;
			cp = c & 0x1f;
		} else if (c >= 0xe0 && c <= 0xef) {
			need = 2;
			cp = c & 0x0f;
		} else if (c >= 0xf0 && c <= 0xf4) {
			need = 3;
			cp = c & 0x07;
		} else {
			return 0;
		}
		if (n - i - 1 < need)
			return 0;
		for (size_t k = 1; k <= need; k++) {
			if ((s[i + k] & 0xc0) != 0x80)
				return 0;
			cp = (cp << 6) | (s[i + k] & 0x3f);
		}
		/* Overlong forms, surrogates and values past U+10FFFF. */
		if ((need == 2 && cp < 0x800) || (need == 3 && cp < 0x10000) ||
		    (cp >= 0xd800 && cp <= 0xdfff) || cp > 0x10ffff)
			return 0;
		i += need + 1;
	}
	return 1;
}

int sc_pread_all(int fd, void *buf, size_t n, uint64_t off)
{
	size_t done = 0;

	while (done < n) {
		ssize_t r = pread(fd, (char *)buf + done, n - done,
				  (off_t)(off + done));

		if (r < 0 && errno == EINTR)
			continue;
		if (r < 0)
			return -1;
		if (r == 0) {
			errno = EIO; /* the device or file ended early */
			return -1;
		}
		done += (size_t)r;
	}
	return 0;
}

uint32_t sc_utf16le_next(const unsigned char *p, size_t units, size_t *i)
{
	uint32_t cp = (uint32_t)p[2 * *i] | (uint32_t)p[2 * *i + 1] << 8;

	(*i)++;
	if (cp >= 0xd800 && cp <= 0xdbff && *i < units) {
		uint32_t lo = (uint32_t)p[2 * *i] | (uint32_t)p[2 * *i + 1] << 8;

		if (lo >= 0xdc00 && lo <= 0xdfff) {
			(*i)++;
			return 0x10000 + ((cp - 0xd800) << 10) + (lo - 0xdc00);
		}
		return 0xfffd;
	}
	if (cp >= 0xd800 && cp <= 0xdfff)
		return 0xfffd;
	return cp;
}

int64_t sc_timegm(const struct tm *tm)
{
	/* Days from civil (proleptic Gregorian), portable where timegm is
	 * not standard C or POSIX. */
	int64_t y = tm->tm_year + 1900, m = tm->tm_mon + 1, d = tm->tm_mday;
	int64_t era, yoe, doy, doe;

	y -= m <= 2;
	era = (y >= 0 ? y : y - 399) / 400;
	yoe = y - era * 400;
	doy = (153 * (m + (m > 2 ? -3 : 9)) + 2) / 5 + d - 1;
	doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
	return (era * 146097 + doe - 719468) * 86400 + tm->tm_hour * 3600 +
	       tm->tm_min * 60 + tm->tm_sec;
}

int sc_sha256_hex(const void *data, size_t n, char out[65])
{
	static const char hex[] = "0123456789abcdef";
	unsigned char md[EVP_MAX_MD_SIZE];
	unsigned int mdlen = 0;

	if (!EVP_Digest(data, n, md, &mdlen, EVP_sha256(), NULL) ||
	    mdlen != 32) {
		out[0] = '\0';
		return SC_ENOMEM;
	}
	for (unsigned i = 0; i < 32; i++) {
		out[2 * i] = hex[md[i] >> 4];
		out[2 * i + 1] = hex[md[i] & 15];
	}
	out[64] = '\0';
	return SC_OK;
}
