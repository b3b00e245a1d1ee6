/*
 * Unit tests for the private helpers of scanner/util.c (internal.h): the
 * sc_buf/sc_rd packing used between the engine and its workers, UTF-8
 * validation used by the reports, SHA-256 and the string helpers.
 *
 * The reader is fed every truncation of a valid message: a worker is not
 * trusted, so a short frame must set "bad" and never read past the end.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "internal.h"
#include "sc/error.h"

static void buf_little_endian_layout(void **state)
{
	struct sc_buf b = { 0 };
	static const unsigned char want[] = {
		0xab,                                           /* u8 */
		0x04, 0x03, 0x02, 0x01,                         /* u32 */
		0x08, 0x07, 0x06, 0x05, 0x04, 0x03, 0x02, 0x01, /* u64 */
		0x02, 0x00, 0x00, 0x00, 'h', 'i',               /* str "hi" */
		0xff, 0xff, 0xff, 0xff,                         /* absent str */
		0x00, 0x00, 0x00, 0x00,                         /* "" */
	};

	(void)state;
	sc_buf_u8(&b, 0xab);
	sc_buf_u32(&b, 0x01020304u);
	sc_buf_u64(&b, 0x0102030405060708ull);
	sc_buf_cstr(&b, "hi");
	sc_buf_cstr(&b, NULL);
	sc_buf_str(&b, "", 0);
	assert_false(b.failed);
	assert_int_equal(b.len, sizeof(want));
	assert_memory_equal(b.data, want, sizeof(want));
	sc_buf_free(&b);
	assert_null(b.data);
	assert_int_equal(b.len, 0);
}

/* The message every round-trip test packs. */
static void pack_sample(struct sc_buf *b)
{
	static const char binary[] = { 'a', '\0', 'b', (char)0xff };

	sc_buf_u8(b, 7);
	sc_buf_u32(b, UINT32_MAX - 1);
	sc_buf_u64(b, UINT64_MAX);
	sc_buf_str(b, binary, sizeof(binary));
	sc_buf_cstr(b, NULL);
	sc_buf_cstr(b, "");
	sc_buf_u64(b, 42);
}

static void round_trip(void **state)
{
	struct sc_buf b = { 0 };
	struct sc_rd r;
	size_t len = 99;
	char *s;

	(void)state;
	pack_sample(&b);
	r = (struct sc_rd){ b.data, b.len, 0 };
	assert_int_equal(sc_rd_u8(&r), 7);
	assert_int_equal(sc_rd_u32(&r), UINT32_MAX - 1);
	assert_true(sc_rd_u64(&r) == UINT64_MAX);
	s = sc_rd_str(&r, &len);
	assert_non_null(s);
	assert_int_equal(len, 4);
	assert_memory_equal(s, "a\0b\xff", 4);
	assert_int_equal(s[4], '\0'); /* NUL-terminated copy */
	free(s);
	/* Absent is not an error, and is distinct from "". */
	len = 99;
	assert_null(sc_rd_str(&r, &len));
	assert_int_equal(len, 0);
	assert_false(r.bad);
	s = sc_rd_str(&r, &len);
	assert_non_null(s);
	assert_string_equal(s, "");
	assert_int_equal(len, 0);
	free(s);
	assert_true(sc_rd_u64(&r) == 42);
	assert_false(r.bad);
	assert_int_equal(r.left, 0);
	/* Reading past the end sets bad. */
	assert_int_equal(sc_rd_u8(&r), 0);
	assert_true(r.bad);
	sc_buf_free(&b);
}

/* Reads the sample back; returns 1 if every field came back intact. */
static int read_sample(struct sc_rd *r)
{
	size_t len1 = 0, len3 = 0;
	char *s1, *s2, *s3;
	int ok = 1;

	ok &= sc_rd_u8(r) == 7;
	ok &= sc_rd_u32(r) == UINT32_MAX - 1;
	ok &= sc_rd_u64(r) == UINT64_MAX;
	s1 = sc_rd_str(r, &len1);
	s2 = sc_rd_str(r, NULL);
	s3 = sc_rd_str(r, &len3);
	ok &= s1 != NULL && len1 == 4;
	ok &= s2 == NULL;
	ok &= s3 != NULL && len3 == 0;
	ok &= sc_rd_u64(r) == 42;
	free(s1);
	free(s2);
	free(s3);
	return ok;
}

static void every_truncation_sets_bad(void **state)
{
	struct sc_buf b = { 0 };

	(void)state;
	pack_sample(&b);
	for (size_t n = 0; n < b.len; n++) {
		/* A copy of exactly n bytes, so a read past it is caught. */
		unsigned char *p = malloc(n ? n : 1);
		struct sc_rd r;

		assert_non_null(p);
		memcpy(p, b.data, n);
		r = (struct sc_rd){ p, n, 0 };
		(void)read_sample(&r);
		assert_true(r.bad);
		/* Once bad, every get returns zero / NULL. */
		assert_int_equal(sc_rd_u32(&r), 0);
		assert_null(sc_rd_str(&r, NULL));
		free(p);
	}
	sc_buf_free(&b);
}

static void bad_is_sticky(void **state)
{
	static const unsigned char data[] = { 1, 2, 3, 4, 5, 6, 7, 8 };
	struct sc_rd r = { data, 3, 0 };

	(void)state;
	assert_int_equal(sc_rd_u32(&r), 0); /* only 3 bytes */
	assert_true(r.bad);
	/* Even a read that would fit now fails. */
	assert_int_equal(sc_rd_u8(&r), 0);
	assert_int_equal(sc_rd_u64(&r), 0);
}

/*
 * A get that runs short returns zero like every later get: a u64 with only
 * 4..7 bytes left must not come back as its low half.
 */
static void short_u64_returns_zero(void **state)
{
	static const unsigned char data[] = { 42, 0, 0, 0, 0, 0, 0 };

	(void)state;
	for (size_t n = 0; n < 8; n++) {
		struct sc_rd r = { data, n, 0 };
		uint64_t v = sc_rd_u64(&r);

		assert_true(r.bad);
		if (v != 0)
			fail_msg("sc_rd_u64 with %zu bytes left returned %llu, want 0",
				 n, (unsigned long long)v);
	}
}

static void str_length_past_end(void **state)
{
	/* Claims 16 bytes, holds 2. */
	static const unsigned char data[] = { 16, 0, 0, 0, 'a', 'b' };
	/* Claims 0xfffffffe bytes: must not allocate or read that much. */
	static const unsigned char huge[] = { 0xfe, 0xff, 0xff, 0xff, 'x' };
	struct sc_rd r = { data, sizeof(data), 0 };
	size_t len = 5;

	(void)state;
	assert_null(sc_rd_str(&r, &len));
	assert_true(r.bad);
	assert_int_equal(len, 0);
	r = (struct sc_rd){ huge, sizeof(huge), 0 };
	assert_null(sc_rd_str(&r, &len));
	assert_true(r.bad);
}

static void buf_grows(void **state)
{
	struct sc_buf b = { 0 };
	unsigned char chunk[1000];

	(void)state;
	for (size_t i = 0; i < sizeof(chunk); i++)
		chunk[i] = (unsigned char)i;
	for (int i = 0; i < 300; i++)
		sc_buf_put(&b, chunk, sizeof(chunk));
	assert_false(b.failed);
	assert_int_equal(b.len, 300 * sizeof(chunk));
	assert_true(b.alloc >= b.len);
	assert_memory_equal(b.data + 299 * sizeof(chunk), chunk,
			    sizeof(chunk));
	sc_buf_free(&b);
}

static void buf_failed_ignores_appends(void **state)
{
	struct sc_buf b = { 0 };

	(void)state;
	sc_buf_u32(&b, 1);
	b.failed = 1;
	sc_buf_u32(&b, 2);
	sc_buf_cstr(&b, "more");
	assert_int_equal(b.len, 4);
	sc_buf_free(&b);
}

struct utf8_case {
	const char *s;
	size_t n;
	int valid;
	const char *what;
};

#define U(lit, v, what) { lit, sizeof(lit) - 1, v, what }

static void utf8(void **state)
{
	static const struct utf8_case cases[] = {
		U("", 1, "empty"),
		U("plain ascii", 1, "ascii"),
		U("\xc3\xa9", 1, "U+00E9"),
		U("\xe2\x82\xac", 1, "U+20AC"),
		U("\xf0\x9f\x98\x80", 1, "U+1F600 emoji"),
		U("\xed\x9f\xbf", 1, "U+D7FF, last before surrogates"),
		U("\xee\x80\x80", 1, "U+E000, first after surrogates"),
		U("\xef\xbf\xbf", 1, "U+FFFF"),
		U("\xf4\x8f\xbf\xbf", 1, "U+10FFFF, the last code point"),
		U("\xc2\x80", 1, "U+0080, smallest 2-byte"),
		U("\xe0\xa0\x80", 1, "U+0800, smallest 3-byte"),
		U("\xf0\x90\x80\x80", 1, "U+10000, smallest 4-byte"),
		U("a\0b", 0, "embedded NUL"),
		U("\xc0\x80", 0, "overlong NUL"),
		U("\xc1\xbf", 0, "overlong 2-byte"),
		U("\xe0\x80\xaf", 0, "overlong '/' in 3 bytes"),
		U("\xe0\x9f\xbf", 0, "overlong U+07FF"),
		U("\xf0\x80\x80\xaf", 0, "overlong '/' in 4 bytes"),
		U("\xf0\x8f\xbf\xbf", 0, "overlong U+FFFF"),
		U("\xed\xa0\x80", 0, "surrogate U+D800"),
		U("\xed\xbf\xbf", 0, "surrogate U+DFFF"),
		U("\xed\xa0\xbd\xed\xb8\x80", 0, "CESU-8 surrogate pair"),
		U("\xf4\x90\x80\x80", 0, "U+110000"),
		U("\xf5\x80\x80\x80", 0, "lead byte F5"),
		U("\xf8\x88\x80\x80\x80", 0, "5-byte form"),
		U("\xff", 0, "byte FF"),
		U("\xfe", 0, "byte FE"),
		U("\x80", 0, "lone continuation"),
		U("a\xbf", 0, "continuation after ascii"),
		U("\xe2\x82", 0, "truncated 3-byte"),
		U("\xf0\x9f\x98", 0, "truncated 4-byte"),
		U("\xc3", 0, "truncated 2-byte at end"),
		U("\xc3\x28", 0, "bad continuation"),
		U("bad\xffname", 0, "FF inside a name"),
	};

	(void)state;
	for (size_t i = 0; i < sizeof(cases) / sizeof(*cases); i++) {
		int got = sc_utf8_valid(cases[i].s, cases[i].n);

		if (got != cases[i].valid)
			fail_msg("sc_utf8_valid(%s) = %d, want %d",
				 cases[i].what, got, cases[i].valid);
	}
}

static void utf8_respects_length(void **state)
{
	(void)state;
	/* Only the first n bytes count: a sequence cut by n is invalid. */
	assert_false(sc_utf8_valid("\xc3\xa9", 1));
	assert_true(sc_utf8_valid("ab\xff", 2));
	assert_true(sc_utf8_valid("\xff", 0));
}

static void sha256_vectors(void **state)
{
	char out[65];
	char *million = malloc(1000000);

	(void)state;
	assert_int_equal(sc_sha256_hex("", 0, out), SC_OK);
	assert_string_equal(out, "e3b0c44298fc1c149afbf4c8996fb924"
				 "27ae41e4649b934ca495991b7852b855");
	assert_int_equal(sc_sha256_hex("abc", 3, out), SC_OK);
	assert_string_equal(out, "ba7816bf8f01cfea414140de5dae2223"
				 "b00361a396177a9cb410ff61f20015ad");
	/* FIPS 180-2 long message: one million 'a'. */
	assert_non_null(million);
	memset(million, 'a', 1000000);
	assert_int_equal(sc_sha256_hex(million, 1000000, out), SC_OK);
	assert_string_equal(out, "cdc76e5c9914fb9281a1c7e284d73e67"
				 "f1809a48a497200e046d39ccc7112cd0");
	free(million);
}

static void string_helpers(void **state)
{
	char *s;

	(void)state;
	assert_null(sc_xstrdup(NULL));
	s = sc_xstrdup("abc");
	assert_string_equal(s, "abc");
	free(s);
	s = sc_xstrndup("abcdef", 3);
	assert_string_equal(s, "abc");
	free(s);
	s = sc_xstrndup("a\0c", 3); /* copies n bytes, NUL included */
	assert_memory_equal(s, "a\0c\0", 4);
	free(s);
	s = sc_xasprintf("%s:%d: %s", "f.yar", 12, "syntax error");
	assert_string_equal(s, "f.yar:12: syntax error");
	free(s);
	s = sc_xasprintf("%s", "");
	assert_string_equal(s, "");
	free(s);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(buf_little_endian_layout),
		cmocka_unit_test(round_trip),
		cmocka_unit_test(every_truncation_sets_bad),
		cmocka_unit_test(bad_is_sticky),
		cmocka_unit_test(short_u64_returns_zero),
		cmocka_unit_test(str_length_past_end),
		cmocka_unit_test(buf_grows),
		cmocka_unit_test(buf_failed_ignores_appends),
		cmocka_unit_test(utf8),
		cmocka_unit_test(utf8_respects_length),
		cmocka_unit_test(sha256_vectors),
		cmocka_unit_test(string_helpers),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
