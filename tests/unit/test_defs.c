/*
 * Unit tests for scanner/defs.c (sc/defs.h): definitions bundles.
 *
 * Bundles are made in memory with sc_defs_write from a few bytes standing
 * in for compiled rules (the header and the signature do not look inside
 * them), then patched field by field. Every header fault must be an
 * SC_EFORMAT with its own reason, whether or not the bundle was re-signed
 * after the patch; every byte changed after signing must be refused; every
 * truncation must be refused. Re-signing uses OpenSSL directly, so a test
 * can make a bundle that is validly signed but wrong in one field.
 *
 * The fixed key is the one of RFC 8032 section 7.1, test 1: its private
 * half is published, so its ids and signatures are known answers.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>
#include <openssl/evp.h>
#include <openssl/pem.h>

#include "sc/defs.h"
#include "sc/error.h"
#include "unit.h"

/* RFC 8032 7.1 test 1: secret 9d61b1...7f60, public d75a98...511a. */
static const char rfc_pem[] =
	"-----BEGIN PRIVATE KEY-----\n"
	"MC4CAQAwBQYDK2VwBCIEIJ1hsZ3v/VpguoRK9JLsLMREScVpezJpGXA7rAMcrn9g\n"
	"-----END PRIVATE KEY-----\n";
static const unsigned char rfc_pub[32] = {
	0xd7, 0x5a, 0x98, 0x01, 0x82, 0xb1, 0x0a, 0xb7, 0xd5, 0x4b, 0xfe,
	0xd3, 0xc9, 0x64, 0x07, 0x3a, 0x0e, 0xe1, 0x72, 0xf3, 0xda, 0xa6,
	0x23, 0x25, 0xaf, 0x02, 0x1a, 0x68, 0xf7, 0x07, 0x51, 0x1a,
};
/* sha256(rfc_pub), first 8 bytes. */
#define RFC_KEY_ID "21fe31dfa154a261"

#define SOURCES "00112233445566778899aabbccddeeff" \
		"0123456789abcdef0123456789abcdef"
#define T2026 1767225600ll /* 2026-01-01 00:00 UTC */
#define T2000 946684800ll  /* 2000-01-01 00:00 UTC: oldest believed */
#define T2200 7258118400ll /* 2200-01-01 00:00 UTC: newest believed */
#define RULES_SIZE 100     /* bytes of stand-in "compiled rules" */

/* Header offsets, from the format description (not from defs.c). */
enum {
	O_MAGIC = 0, O_FORMAT = 8, O_HSIZE = 12, O_SET = 16, O_VERSION = 48,
	O_CREATED = 56, O_RULES = 64, O_RES1 = 68, O_YARA = 72,
	O_SOURCES = 88, O_KEYID = 120, O_RSIZE = 128, O_RES2 = 136,
};

struct key {
	char *pem;
	size_t pem_len;
	unsigned char pub[32];
};

struct bundle {
	unsigned char *p;
	size_t n;
};

/* Per test: two fresh keys (a trusted, b not) and a valid bundle by a. */
struct fx {
	struct key a, b;
	struct sc_defs_key trusted[2]; /* [0] an unrelated key, [1] a */
	struct bundle v;
};

/* ---- helpers ---- */

static void put_le(unsigned char *p, uint64_t v, int n)
{
	for (int i = 0; i < n; i++)
		p[i] = (unsigned char)(v >> (8 * i));
}

static void rules_bytes(unsigned char *p, size_t n)
{
	for (size_t i = 0; i < n; i++)
		p[i] = (unsigned char)(i * 7 + 3);
}

/* sc_defs_write into memory; the bundle is malloc'd to exactly its size. */
static int write_bundle(struct bundle *b, const char *pem, size_t pem_len,
			const char *set, uint64_t version, int64_t created,
			uint32_t rules, size_t rules_size)
{
	unsigned char *compiled = malloc(rules_size + 1);
	char *buf = NULL;
	size_t len = 0;
	FILE *f = open_memstream(&buf, &len);
	int rc;

	assert_non_null(compiled);
	assert_non_null(f);
	rules_bytes(compiled, rules_size);
	rc = sc_defs_write(f, set, version, created, rules, SOURCES, compiled,
			   rules_size, pem, pem_len);
	assert_int_equal(fclose(f), 0);
	free(compiled);
	b->n = len;
	b->p = malloc(len ? len : 1);
	assert_non_null(b->p);
	memcpy(b->p, buf, len);
	free(buf);
	return rc;
}

static void make(struct bundle *b, const struct key *k)
{
	assert_int_equal(write_bundle(b, k->pem, k->pem_len, "core", 7, T2026,
				      5, RULES_SIZE),
			 SC_OK);
	assert_int_equal(b->n, SC_DEFS_HEADER_SIZE + RULES_SIZE +
				       SC_DEFS_SIG_SIZE);
}

static void copy(struct bundle *dst, const struct bundle *src, size_t n)
{
	dst->n = n;
	dst->p = malloc(n ? n : 1);
	assert_non_null(dst->p);
	memcpy(dst->p, src->p, n < src->n ? n : src->n);
	if (n > src->n)
		memset(dst->p + src->n, 0, n - src->n);
}

/* Signs everything before the last 64 bytes with pem, as a signer would. */
static void resign(struct bundle *b, const char *pem, size_t pem_len)
{
	BIO *bio = BIO_new_mem_buf(pem, (int)pem_len);
	EVP_PKEY *k = bio ? PEM_read_bio_PrivateKey(bio, NULL, NULL, NULL)
			  : NULL;
	EVP_MD_CTX *ctx = EVP_MD_CTX_new();
	size_t siglen = SC_DEFS_SIG_SIZE;

	assert_non_null(k);
	assert_non_null(ctx);
	assert_true(b->n >= SC_DEFS_SIG_SIZE);
	assert_int_equal(EVP_DigestSignInit(ctx, NULL, NULL, NULL, k), 1);
	assert_int_equal(EVP_DigestSign(ctx, b->p + b->n - SC_DEFS_SIG_SIZE,
					&siglen, b->p,
					b->n - SC_DEFS_SIG_SIZE),
			 1);
	assert_int_equal(siglen, SC_DEFS_SIG_SIZE);
	EVP_MD_CTX_free(ctx);
	EVP_PKEY_free(k);
	BIO_free(bio);
}

/* 1 if sig (last 64 bytes) is pub's Ed25519 signature of the rest. */
static int openssl_verifies(const struct bundle *b, const unsigned char *pub)
{
	EVP_PKEY *k = EVP_PKEY_new_raw_public_key(EVP_PKEY_ED25519, NULL, pub,
						  32);
	EVP_MD_CTX *ctx = EVP_MD_CTX_new();
	int ok = k && ctx &&
		 EVP_DigestVerifyInit(ctx, NULL, NULL, NULL, k) == 1 &&
		 EVP_DigestVerify(ctx, b->p + b->n - SC_DEFS_SIG_SIZE,
				  SC_DEFS_SIG_SIZE, b->p,
				  b->n - SC_DEFS_SIG_SIZE) == 1;

	EVP_MD_CTX_free(ctx);
	EVP_PKEY_free(k);
	return ok;
}

/* A PEM private key of another type (P-256), which bundles must refuse. */
static char *ec_pem(size_t *len)
{
	EVP_PKEY *k = EVP_EC_gen("P-256");
	BIO *bio = BIO_new(BIO_s_mem());
	char *data, *out;
	long n;

	assert_non_null(k);
	assert_non_null(bio);
	assert_int_equal(PEM_write_bio_PrivateKey(bio, k, NULL, NULL, 0, NULL,
						  NULL),
			 1);
	n = BIO_get_mem_data(bio, &data);
	assert_true(n > 0);
	out = malloc((size_t)n + 1);
	assert_non_null(out);
	memcpy(out, data, (size_t)n);
	out[n] = '\0';
	*len = (size_t)n;
	BIO_free(bio);
	EVP_PKEY_free(k);
	return out;
}

/* A reason: set, one line, not empty. */
static void check_why(const char *why)
{
	assert_non_null(why);
	assert_true(strlen(why) > 0);
	assert_null(strchr(why, '\n'));
}

/*
 * The header is refused with a reason containing word, both by
 * sc_defs_parse_header and sc_defs_verify, as given and after re-signing:
 * a valid signature never excuses a bad header.
 */
static void expect_format(const struct fx *f, struct bundle *b,
			  const char *word)
{
	const struct sc_defs_key *key = &f->trusted[0];
	struct sc_defs_info info;
	const char *why = NULL;

	assert_int_equal(sc_defs_parse_header(b->p, b->n, &info, &why),
			 SC_EFORMAT);
	check_why(why);
	if (!strstr(why, word))
		fail_msg("want a reason with '%s', got '%s'", word, why);
	/* The reason is optional for the parser. */
	assert_int_equal(sc_defs_parse_header(b->p, b->n, &info, NULL),
			 SC_EFORMAT);
	why = NULL;
	assert_int_equal(sc_defs_verify(b->p, b->n, f->trusted, 2, &info, &key,
					&why),
			 SC_EFORMAT);
	assert_null(key);
	assert_non_null(why);
	if (!strstr(why, word))
		fail_msg("verify: want '%s', got '%s'", word, why);
	if (b->n >= SC_DEFS_HEADER_SIZE + SC_DEFS_SIG_SIZE) {
		resign(b, f->a.pem, f->a.pem_len);
		why = NULL;
		assert_int_equal(sc_defs_verify(b->p, b->n, f->trusted, 2, &info,
						&key, &why),
				 SC_EFORMAT);
		assert_null(key);
		assert_non_null(why);
		if (!strstr(why, word))
			fail_msg("re-signed: want '%s', got '%s'", word, why);
	}
}

/* The bundle parses and verifies with trusted key a. */
static void expect_ok(const struct fx *f, const struct bundle *b,
		      struct sc_defs_info *info)
{
	const struct sc_defs_key *key = NULL;
	const char *why = "unset";

	assert_int_equal(sc_defs_verify(b->p, b->n, f->trusted, 2, info, &key,
					&why),
			 SC_OK);
	assert_ptr_equal(key, &f->trusted[1]);
	assert_null(why);
}

static int setup(void **state)
{
	struct fx *f = calloc(1, sizeof(*f));

	if (!f)
		return -1;
	if (sc_defs_keygen(&f->a.pem, &f->a.pem_len, f->a.pub) ||
	    sc_defs_keygen(&f->b.pem, &f->b.pem_len, f->b.pub))
		return -1;
	f->trusted[0].name = "other";
	memcpy(f->trusted[0].pub, rfc_pub, 32);
	f->trusted[1].name = "test";
	memcpy(f->trusted[1].pub, f->a.pub, 32);
	*state = f;
	return 0;
}

static int teardown(void **state)
{
	struct fx *f = *state;

	free(f->a.pem);
	free(f->b.pem);
	free(f->v.p);
	free(f);
	return 0;
}

/* ---- key ids, set names, keys ---- */

static void key_id_known(void **state)
{
	unsigned char seq[32];
	char id[17];

	(void)state;
	for (int i = 0; i < 32; i++)
		seq[i] = (unsigned char)i;
	memset(id, 'x', sizeof(id));
	sc_defs_key_id(seq, id);
	assert_string_equal(id, "630dcd2966c43366");
	sc_defs_key_id(rfc_pub, id);
	assert_string_equal(id, RFC_KEY_ID);
}

static void valid_set_names(void **state)
{
	static const char *const good[] = {
		"core", "community", "shop", "a", "0", "-", "_", "set-2_b",
		"abcdefghijklmnopqrstuvwxyz01234", /* 31 */
	};
	static const char *const bad[] = {
		"", "abcdefghijklmnopqrstuvwxyz012345" /* 32 */, "Core",
		"CORE", "co re", "co.re", "co/re", "../core", "core\n",
		"core\t", "\xc3\xa9t\xc3\xa9", "co\x7fre", "*",
	};

	(void)state;
	for (size_t i = 0; i < sizeof(good) / sizeof(*good); i++)
		if (!sc_defs_valid_set(good[i]))
			fail_msg("'%s' refused", good[i]);
	for (size_t i = 0; i < sizeof(bad) / sizeof(*bad); i++)
		if (sc_defs_valid_set(bad[i]))
			fail_msg("'%s' accepted", bad[i]);
}

static void pubkey_of_keygen(void **state)
{
	struct fx *f = *state;
	unsigned char pub[32];

	assert_int_equal(sc_defs_pubkey(f->a.pem, f->a.pem_len, pub), SC_OK);
	assert_memory_equal(pub, f->a.pub, 32);
	assert_memory_not_equal(f->a.pub, f->b.pub, 32);
	assert_int_equal(strlen(f->a.pem), f->a.pem_len);
	assert_non_null(strstr(f->a.pem, "-----BEGIN PRIVATE KEY-----\n"));
	/* The published key gives the published public key. */
	assert_int_equal(sc_defs_pubkey(rfc_pem, strlen(rfc_pem), pub), SC_OK);
	assert_memory_equal(pub, rfc_pub, 32);
}

static void pubkey_refuses_other_keys(void **state)
{
	static const char junk[] = "-----BEGIN PRIVATE KEY-----\nAAAA\n"
				   "-----END PRIVATE KEY-----\n";
	static const char pubpem[] =
		"-----BEGIN PUBLIC KEY-----\n"
		"MCowBQYDK2VwAyEA11qYAYKxCrfVS/7TyWQHOg7hcvPapiMlrwIaaPcHURo=\n"
		"-----END PUBLIC KEY-----\n";
	unsigned char pub[32];
	size_t len;
	char *ec = ec_pem(&len);

	(void)state;
	assert_int_equal(sc_defs_pubkey(ec, len, pub), SC_EINVAL);
	assert_int_equal(sc_defs_pubkey(junk, strlen(junk), pub), SC_EINVAL);
	assert_int_equal(sc_defs_pubkey(pubpem, strlen(pubpem), pub),
			 SC_EINVAL);
	assert_int_equal(sc_defs_pubkey("", 0, pub), SC_EINVAL);
	free(ec);
}

/* ---- writing ---- */

/* The header written byte for byte as the format says, and signed. */
static void write_layout(void **state)
{
	unsigned char want[SC_DEFS_HEADER_SIZE] = { 0 };
	unsigned char rules[RULES_SIZE];
	struct bundle b, again;

	(void)state;
	assert_int_equal(write_bundle(&b, rfc_pem, strlen(rfc_pem), "core", 7,
				      T2026, 5, RULES_SIZE),
			 SC_OK);
	assert_int_equal(b.n, 160 + RULES_SIZE + 64);
	memcpy(want + O_MAGIC, "RSCUDEFS", 8);
	put_le(want + O_FORMAT, 1, 4);
	put_le(want + O_HSIZE, 160, 4);
	memcpy(want + O_SET, "core", 4);
	put_le(want + O_VERSION, 7, 8);
	put_le(want + O_CREATED, (uint64_t)T2026, 8);
	put_le(want + O_RULES, 5, 4);
	memcpy(want + O_YARA, "4.2.3", 5);
	for (int i = 0; i < 32; i++)
		want[O_SOURCES + i] = (unsigned char)(i * 0x11);
	memcpy(want + O_SOURCES + 16,
	       "\x01\x23\x45\x67\x89\xab\xcd\xef\x01\x23\x45\x67\x89\xab\xcd\xef",
	       16);
	memcpy(want + O_KEYID, "\x21\xfe\x31\xdf\xa1\x54\xa2\x61", 8);
	put_le(want + O_RSIZE, RULES_SIZE, 8);
	assert_memory_equal(b.p, want, sizeof(want));
	rules_bytes(rules, sizeof(rules));
	assert_memory_equal(b.p + 160, rules, sizeof(rules));
	assert_true(openssl_verifies(&b, rfc_pub));
	/* Ed25519 is deterministic: the same inputs, the same bundle. */
	assert_int_equal(write_bundle(&again, rfc_pem, strlen(rfc_pem), "core",
				      7, T2026, 5, RULES_SIZE),
			 SC_OK);
	assert_int_equal(again.n, b.n);
	assert_memory_equal(again.p, b.p, b.n);
	free(again.p);
	free(b.p);
}

static void write_refusals(void **state)
{
	struct fx *f = *state;
	unsigned char rules[8] = { 1 };
	size_t eclen;
	char *ec = ec_pem(&eclen);
	static const char junk[] = "not a key";
	struct {
		const char *what, *set, *sources, *pem;
		size_t pem_len, size;
		uint64_t version;
		uint32_t rules;
	} c[] = {
		{ "set", "Core", SOURCES, f->a.pem, f->a.pem_len, 8, 1, 1 },
		{ "empty set", "", SOURCES, f->a.pem, f->a.pem_len, 8, 1, 1 },
		{ "version 0", "core", SOURCES, f->a.pem, f->a.pem_len, 8, 0, 1 },
		{ "rules 0", "core", SOURCES, f->a.pem, f->a.pem_len, 8, 1, 0 },
		{ "no bytes", "core", SOURCES, f->a.pem, f->a.pem_len, 0, 1, 1 },
		{ "EC key", "core", SOURCES, ec, eclen, 8, 1, 1 },
		{ "junk key", "core", SOURCES, junk, sizeof(junk) - 1, 8, 1, 1 },
		{ "short sources", "core", "0011", f->a.pem, f->a.pem_len, 8, 1,
		  1 },
		{ "upper sources", "core",
		  "00112233445566778899AABBCCDDEEFF"
		  "0123456789abcdef0123456789abcdef",
		  f->a.pem, f->a.pem_len, 8, 1, 1 },
		{ "oversized", "core", SOURCES, f->a.pem, f->a.pem_len,
		  SC_DEFS_MAX_SIZE, 1, 1 },
	};

	for (size_t i = 0; i < sizeof(c) / sizeof(*c); i++) {
		char *buf = NULL;
		size_t len = 0;
		FILE *m = open_memstream(&buf, &len);

		assert_non_null(m);
		/* "oversized" must be refused before the bytes are read. */
		if (sc_defs_write(m, c[i].set, c[i].version, T2026, c[i].rules,
				  c[i].sources, rules, c[i].size, c[i].pem,
				  c[i].pem_len) != SC_EINVAL)
			fail_msg("%s: not SC_EINVAL", c[i].what);
		assert_int_equal(fclose(m), 0);
		if (len)
			fail_msg("%s: %zu bytes written", c[i].what, len);
		free(buf);
	}
	free(ec);
}

static void write_error(void **state)
{
	struct fx *f = *state;
	unsigned char rules[8] = { 1 };
	FILE *full = fopen("/dev/full", "w");

	if (!full)
		skip();
	assert_int_equal(sc_defs_write(full, "core", 1, T2026, 1, SOURCES,
				       rules, sizeof(rules), f->a.pem,
				       f->a.pem_len),
			 SC_EWRITE);
	fclose(full);
}

/* Ranges the header allows, at their edges, read back exactly. */
static void write_edges_round_trip(void **state)
{
	struct fx *f = *state;
	struct {
		const char *set;
		uint64_t version;
		int64_t created;
		uint32_t rules;
		size_t size;
	} c[] = {
		{ "a", 1, T2000, 1, 1 },
		{ "abcdefghijklmnopqrstuvwxyz-_789", 1ull << 62, T2200,
		  UINT32_MAX, 3 },
		{ "community", 20260115093000ull, T2026, 12345, 4096 },
	};

	for (size_t i = 0; i < sizeof(c) / sizeof(*c); i++) {
		struct sc_defs_info info;
		struct bundle b;
		char id[17];

		assert_int_equal(write_bundle(&b, f->a.pem, f->a.pem_len,
					      c[i].set, c[i].version,
					      c[i].created, c[i].rules,
					      c[i].size),
				 SC_OK);
		expect_ok(f, &b, &info);
		assert_int_equal(info.format, 1);
		assert_string_equal(info.set, c[i].set);
		assert_int_equal(info.version, c[i].version);
		assert_int_equal(info.created, c[i].created);
		assert_int_equal(info.rules, c[i].rules);
		assert_string_equal(info.yara_version, "4.2.3");
		assert_string_equal(info.sources_sha256, SOURCES);
		sc_defs_key_id(f->a.pub, id);
		assert_string_equal(info.key_id, id);
		assert_int_equal(info.rules_size, c[i].size);
		assert_int_equal(info.size, b.n);
		free(b.p);
	}
}

/*
 * Whatever sc_defs_write signs must be loadable: a writer that signs a
 * bundle every reader refuses hands the distributor a useless file (and
 * `rescue defs build --version N` passes N straight through).
 */
static void write_only_what_parses(void **state)
{
	struct fx *f = *state;
	struct {
		const char *what;
		uint64_t version;
		int64_t created;
	} c[] = {
		{ "version 2^62+1", (1ull << 62) + 1, T2026 },
		{ "version 2^64-1", UINT64_MAX, T2026 },
		{ "created 1970", T2026, 0 },
		{ "created -1", T2026, -1 },
		{ "created 2300", 1, 10413792000ll },
	};

	int bad = 0;

	for (size_t i = 0; i < sizeof(c) / sizeof(*c); i++) {
		struct sc_defs_info info;
		const char *why = NULL;
		struct bundle b;
		int rc = write_bundle(&b, f->a.pem, f->a.pem_len, "core",
				      c[i].version, c[i].created, 1, 8);

		if (rc == SC_OK &&
		    sc_defs_parse_header(b.p, b.n, &info, &why) != SC_OK) {
			print_error("%s: sc_defs_write signed a bundle that "
				    "sc_defs_parse_header refuses ('%s')\n",
				    c[i].what, why);
			bad++;
		}
		free(b.p);
	}
	if (bad)
		fail_msg("%d of %zu unloadable bundles written", bad,
			 sizeof(c) / sizeof(*c));
}

/* ---- the header ---- */

static void parse_valid(void **state)
{
	struct fx *f = *state;
	struct sc_defs_info info;
	const char *why = "unset";

	make(&f->v, &f->a);
	assert_int_equal(sc_defs_parse_header(f->v.p, f->v.n, &info, &why),
			 SC_OK);
	assert_null(why);
	assert_string_equal(info.set, "core");
	assert_int_equal(info.version, 7);
	assert_int_equal(info.created, T2026);
	assert_int_equal(info.rules, 5);
	assert_int_equal(info.rules_size, RULES_SIZE);
	assert_int_equal(info.size, f->v.n);
}

struct patch {
	const char *what;
	size_t off;
	const char *bytes; /* NULL: the value below, little-endian */
	size_t len;
	uint64_t value;
	const char *word; /* in the reason */
};

#define P_STR(w, o, s, why) { w, o, s, sizeof(s) - 1, 0, why }
#define P_LE(w, o, n, v, why) { w, o, NULL, n, v, why }
#define ZERO32 "\0\0\0\0\0\0\0\0\0\0\0\0\0\0\0\0\0\0\0\0\0\0\0\0\0\0\0\0\0\0\0\0"
#define ZERO16 "\0\0\0\0\0\0\0\0\0\0\0\0\0\0\0\0"
#define RSZ (RULES_SIZE)

static const struct patch patches[] = {
	P_STR("magic", O_MAGIC, "RSCUDEFX", "magic"),
	P_STR("magic case", O_MAGIC, "rscudefs", "magic"),
	P_STR("magic zero", O_MAGIC, "\0\0\0\0\0\0\0\0", "magic"),
	P_LE("format 0", O_FORMAT, 4, 0, "format"),
	P_LE("format 2", O_FORMAT, 4, 2, "format"),
	P_LE("format 2^32-1", O_FORMAT, 4, 0xffffffff, "format"),
	P_LE("header size 0", O_HSIZE, 4, 0, "header size"),
	P_LE("header size 159", O_HSIZE, 4, 159, "header size"),
	P_LE("header size 161", O_HSIZE, 4, 161, "header size"),
	P_LE("header size 224", O_HSIZE, 4, 224, "header size"),
	P_STR("empty set", O_SET, ZERO32, "set name"),
	P_STR("unterminated set", O_SET, "abcdefghijklmnopqrstuvwxyz012345",
	      "set name"),
	P_STR("upper-case set", O_SET, "Core", "set name"),
	P_STR("set with space", O_SET, "co re", "set name"),
	P_STR("set with slash", O_SET, "../x", "set name"),
	P_STR("set with control", O_SET, "co\nre", "set name"),
	P_STR("set not ASCII", O_SET, "\xc3\xa9t\xc3\xa9", "set name"),
	P_STR("set leading NUL", O_SET, "\0ore", "set name"),
	P_STR("bytes after the set's NUL", O_SET, "core\0x", "set name"),
	P_STR("byte at the end of the set field", O_SET + 31, "x",
	      "set name"),
	P_LE("version 0", O_VERSION, 8, 0, "version"),
	P_LE("version 2^62+1", O_VERSION, 8, (1ull << 62) + 1, "version"),
	P_LE("version 2^64-1", O_VERSION, 8, UINT64_MAX, "version"),
	P_LE("created 1970", O_CREATED, 8, 0, "creation time"),
	P_LE("created 1999", O_CREATED, 8, T2000 - 1, "creation time"),
	P_LE("created 2200+1s", O_CREATED, 8, T2200 + 1, "creation time"),
	P_LE("created 2300", O_CREATED, 8, 10413792000ull, "creation time"),
	P_LE("created -1", O_CREATED, 8, UINT64_MAX, "creation time"),
	P_LE("created INT64_MIN", O_CREATED, 8, 1ull << 63, "creation time"),
	P_LE("rules 0", O_RULES, 4, 0, "no rules"),
	P_STR("YARA unterminated", O_YARA, "4.2.34.2.34.2.34", "YARA"),
	P_STR("YARA empty", O_YARA, ZERO16, "YARA"),
	P_STR("YARA control", O_YARA, "4.2\x01" "3", "YARA"),
	P_STR("YARA space", O_YARA, "4.2 3", "YARA"),
	P_STR("YARA high byte", O_YARA, "4.2.\xb3", "YARA"),
	P_STR("YARA DEL", O_YARA, "4.2.\x7f", "YARA"),
	P_STR("bytes after the YARA NUL", O_YARA, "4.2.3\0\0x", "YARA"),
	P_STR("byte at the end of the YARA field", O_YARA + 15, "x", "YARA"),
	P_LE("rules size +1", O_RSIZE, 8, RSZ + 1, "truncated"),
	P_LE("rules size +64", O_RSIZE, 8, RSZ + 64, "truncated"),
	P_LE("rules size 2^64-1", O_RSIZE, 8, UINT64_MAX, "truncated"),
	P_LE("rules size 2^63", O_RSIZE, 8, 1ull << 63, "truncated"),
	P_LE("rules size -1", O_RSIZE, 8, RSZ - 1, "bad length"),
	P_LE("rules size 0", O_RSIZE, 8, 0, "no compiled rules"),
};

static void apply(struct bundle *b, const struct patch *p)
{
	if (p->bytes)
		memcpy(b->p + p->off, p->bytes, p->len);
	else
		put_le(b->p + p->off, p->value, (int)p->len);
}

static void header_fields_out_of_range(void **state)
{
	struct fx *f = *state;

	make(&f->v, &f->a);
	for (size_t i = 0; i < sizeof(patches) / sizeof(*patches); i++) {
		struct bundle b;

		copy(&b, &f->v, f->v.n);
		apply(&b, &patches[i]);
		print_message("  %s\n", patches[i].what);
		expect_format(f, &b, patches[i].word);
		free(b.p);
	}
}

/* Each of the 4 + 24 reserved bytes alone, at two values. */
static void reserved_bytes(void **state)
{
	struct fx *f = *state;

	make(&f->v, &f->a);
	for (size_t off = O_RES1; off < SC_DEFS_HEADER_SIZE; off++) {
		if (off == O_RES1 + 4)
			off = O_RES2;
		for (int v = 1; v <= 0x80; v <<= 7) {
			struct bundle b;

			copy(&b, &f->v, f->v.n);
			b.p[off] = (unsigned char)v;
			expect_format(f, &b, "reserved");
			free(b.p);
		}
	}
}

/* The file's length must be exactly header + rules size + signature. */
static void lengths(void **state)
{
	struct fx *f = *state;

	make(&f->v, &f->a);
	for (size_t extra = 1; extra <= 65; extra += 16) {
		struct bundle b;

		copy(&b, &f->v, f->v.n + extra);
		expect_format(f, &b, "bad length");
		free(b.p);
	}
	/* A header and a signature with no rules between, saying so. */
	{
		struct bundle b;

		b.n = SC_DEFS_HEADER_SIZE + SC_DEFS_SIG_SIZE;
		b.p = calloc(1, b.n);
		assert_non_null(b.p);
		memcpy(b.p, f->v.p, SC_DEFS_HEADER_SIZE);
		put_le(b.p + O_RSIZE, 0, 8);
		expect_format(f, &b, "no compiled rules");
		free(b.p);
	}
}

static void every_truncation(void **state)
{
	struct fx *f = *state;

	make(&f->v, &f->a);
	for (size_t n = 0; n < f->v.n; n++) {
		struct sc_defs_info info;
		const struct sc_defs_key *key = &f->trusted[1];
		const char *why = NULL;
		/* An exact-size copy, so a read past n is a read past malloc. */
		unsigned char *p = malloc(n ? n : 1);

		assert_non_null(p);
		memcpy(p, f->v.p, n);
		if (sc_defs_parse_header(p, n, &info, &why) != SC_EFORMAT)
			fail_msg("%zu of %zu bytes: parsed", n, f->v.n);
		check_why(why);
		if (!strstr(why, n < 8 ? "magic" : "truncated"))
			fail_msg("%zu bytes: '%s'", n, why);
		why = NULL;
		assert_int_equal(sc_defs_verify(p, n, f->trusted, 2, &info,
						&key, &why),
				 SC_EFORMAT);
		assert_null(key);
		check_why(why);
		free(p);
	}
}

static void oversized(void **state)
{
	struct fx *f = *state;
	struct sc_defs_info info;
	const char *why = NULL;

	make(&f->v, &f->a);
	/* The size alone decides: nothing past the first bytes is read. */
	assert_int_equal(sc_defs_parse_header(f->v.p, SC_DEFS_MAX_SIZE + 1ull,
					      &info, &why),
			 SC_EFORMAT);
	assert_non_null(strstr(why, "oversized"));
	assert_int_equal(sc_defs_parse_header(f->v.p, SIZE_MAX, &info, &why),
			 SC_EFORMAT);
	assert_non_null(strstr(why, "oversized"));
}

/* ---- verification ---- */

static void verify_good(void **state)
{
	struct fx *f = *state;
	struct sc_defs_info info;
	const char *why = "unset";
	char id[17];

	make(&f->v, &f->a);
	expect_ok(f, &f->v, &info);
	sc_defs_key_id(f->a.pub, id);
	assert_string_equal(info.key_id, id);
	assert_string_equal(info.set, "core");
	assert_string_equal(info.yara_version, "4.2.3");
	assert_string_equal(info.sources_sha256, SOURCES);
	/* key may be NULL; the trusted key alone, in any position. */
	assert_int_equal(sc_defs_verify(f->v.p, f->v.n, &f->trusted[1], 1,
					&info, NULL, &why),
			 SC_OK);
	assert_null(why);
	/* Re-signing with the same key changes nothing (deterministic). */
	{
		struct bundle b;

		copy(&b, &f->v, f->v.n);
		resign(&b, f->a.pem, f->a.pem_len);
		assert_memory_equal(b.p, f->v.p, b.n);
		free(b.p);
	}
}

static void expect_refused(const struct fx *f, const struct bundle *b,
			   int want, const char *word)
{
	const struct sc_defs_key *key = &f->trusted[1];
	struct sc_defs_info info;
	const char *why = NULL;
	int rc = sc_defs_verify(b->p, b->n, f->trusted, 2, &info, &key, &why);

	if (rc != want)
		fail_msg("want %d ('%s'), got %d ('%s')", want, word, rc,
			 why ? why : "(null)");
	assert_null(key);
	check_why(why);
	if (!strstr(why, word))
		fail_msg("want '%s', got '%s'", word, why);
}

static void unknown_key(void **state)
{
	struct fx *f = *state;
	struct bundle b;

	make(&b, &f->b);
	expect_refused(f, &b, SC_ESIGNATURE, "unknown key");
	/* No keys at all. */
	{
		struct sc_defs_info info;
		const char *why = NULL;

		assert_int_equal(sc_defs_verify(b.p, b.n, NULL, 0, &info, NULL,
						&why),
				 SC_ESIGNATURE);
		assert_non_null(strstr(why, "unknown key"));
	}
	free(b.p);
}

/* A trusted key's id in the header, signed by another key: refused. */
static void key_id_of_another_key(void **state)
{
	struct fx *f = *state;
	struct sc_defs_key both[2];
	struct sc_defs_info info;
	const char *why = NULL;
	struct bundle b;

	make(&b, &f->b);
	memcpy(b.p + O_KEYID, "\x21\xfe\x31\xdf\xa1\x54\xa2\x61", 8);
	resign(&b, f->b.pem, f->b.pem_len);
	both[0] = f->trusted[0]; /* the RFC key, whose id the header names */
	both[1].name = "b";
	memcpy(both[1].pub, f->b.pub, 32);
	assert_int_equal(sc_defs_verify(b.p, b.n, both, 2, &info, NULL, &why),
			 SC_ESIGNATURE);
	assert_non_null(strstr(why, "bad signature"));
	free(b.p);
}

static void unsigned_bundle(void **state)
{
	struct fx *f = *state;
	struct bundle b;

	make(&f->v, &f->a);
	copy(&b, &f->v, f->v.n);
	memset(b.p + b.n - SC_DEFS_SIG_SIZE, 0, SC_DEFS_SIG_SIZE);
	expect_refused(f, &b, SC_ESIGNATURE, "unsigned");
	free(b.p);
}

/*
 * Every single byte changed (two ways) after signing is refused, never
 * loaded: a format error if the header no longer parses, else a signature
 * error (the signature is checked before the YARA version).
 */
static void every_byte_flipped(void **state)
{
	struct fx *f = *state;

	make(&f->v, &f->a);
	for (size_t i = 0; i < f->v.n; i++) {
		for (int m = 0x01; m <= 0x80; m <<= 7) {
			const struct sc_defs_key *key = &f->trusted[1];
			struct sc_defs_info info;
			const char *why = NULL;
			struct bundle b;
			int parses, rc;

			copy(&b, &f->v, f->v.n);
			b.p[i] ^= (unsigned char)m;
			parses = sc_defs_parse_header(b.p, b.n, &info, NULL) ==
				 SC_OK;
			rc = sc_defs_verify(b.p, b.n, f->trusted, 2, &info,
					    &key, &why);
			if (rc != (parses ? SC_ESIGNATURE : SC_EFORMAT))
				fail_msg("byte %zu ^ %#x: %d ('%s')", i, m, rc,
					 why ? why : "(null)");
			assert_null(key);
			check_why(why);
			free(b.p);
		}
	}
}

/* One byte in each region, with the reason each deserves. */
static void flipped_regions(void **state)
{
	struct fx *f = *state;
	struct {
		const char *what;
		size_t off; /* from the start; >= n means from the end */
		int rc;
		const char *word;
	} c[] = {
		{ "magic", O_MAGIC, SC_EFORMAT, "magic" },
		{ "set name", O_SET, SC_ESIGNATURE, "bad signature" },
		{ "version", O_VERSION, SC_ESIGNATURE, "bad signature" },
		{ "created", O_CREATED, SC_ESIGNATURE, "bad signature" },
		{ "rule count", O_RULES, SC_ESIGNATURE, "bad signature" },
		{ "YARA version", O_YARA, SC_ESIGNATURE, "bad signature" },
		{ "sources", O_SOURCES + 5, SC_ESIGNATURE, "bad signature" },
		{ "key id", O_KEYID + 3, SC_ESIGNATURE, "unknown key" },
		{ "rules, first", 160, SC_ESIGNATURE, "bad signature" },
		{ "rules, middle", 160 + RULES_SIZE / 2, SC_ESIGNATURE,
		  "bad signature" },
		{ "rules, last", 160 + RULES_SIZE - 1, SC_ESIGNATURE,
		  "bad signature" },
		{ "signature, R", 160 + RULES_SIZE, SC_ESIGNATURE,
		  "bad signature" },
		{ "signature, S", 160 + RULES_SIZE + 40, SC_ESIGNATURE,
		  "bad signature" },
		{ "signature, last", 160 + RULES_SIZE + 63, SC_ESIGNATURE,
		  "bad signature" },
	};

	make(&f->v, &f->a);
	for (size_t i = 0; i < sizeof(c) / sizeof(*c); i++) {
		struct bundle b;

		copy(&b, &f->v, f->v.n);
		b.p[c[i].off] ^= 0x01;
		print_message("  %s\n", c[i].what);
		expect_refused(f, &b, c[i].rc, c[i].word);
		free(b.p);
	}
}

/* Validly signed by a trusted key, but for another libyara. */
static void other_yara_version(void **state)
{
	struct fx *f = *state;
	static const char *const versions[] = { "4.2.4", "4.3.0", "4.2",
						"4.2.3-rc1", "4.2.30",
						"v4.2.3" };

	make(&f->v, &f->a);
	for (size_t i = 0; i < sizeof(versions) / sizeof(*versions); i++) {
		struct sc_defs_info info;
		const char *why = NULL;
		struct bundle b;

		copy(&b, &f->v, f->v.n);
		memset(b.p + O_YARA, 0, 16);
		memcpy(b.p + O_YARA, versions[i], strlen(versions[i]));
		/* Patched and not re-signed: the signature fails first. */
		expect_refused(f, &b, SC_ESIGNATURE, "bad signature");
		resign(&b, f->a.pem, f->a.pem_len);
		assert_true(openssl_verifies(&b, f->a.pub));
		assert_int_equal(sc_defs_parse_header(b.p, b.n, &info, &why),
				 SC_OK);
		assert_string_equal(info.yara_version, versions[i]);
		expect_refused(f, &b, SC_EYARAVER, "YARA");
		free(b.p);
	}
}

/* Other fields changed and re-signed by the trusted key are fine. */
static void resigned_changes_verify(void **state)
{
	struct fx *f = *state;
	struct sc_defs_info info;
	struct bundle b;

	make(&f->v, &f->a);
	copy(&b, &f->v, f->v.n);
	put_le(b.p + O_VERSION, 8, 8);
	b.p[200] ^= 0xff;
	resign(&b, f->a.pem, f->a.pem_len);
	expect_ok(f, &b, &info);
	assert_int_equal(info.version, 8);
	free(b.p);
}

int main(void)
{
#define T(fn) cmocka_unit_test_setup_teardown(fn, setup, teardown)
	const struct CMUnitTest tests[] = {
		T(key_id_known),
		T(valid_set_names),
		T(pubkey_of_keygen),
		T(pubkey_refuses_other_keys),
		T(write_layout),
		T(write_refusals),
		T(write_error),
		T(write_edges_round_trip),
		T(write_only_what_parses),
		T(parse_valid),
		T(header_fields_out_of_range),
		T(reserved_bytes),
		T(lengths),
		T(every_truncation),
		T(oversized),
		T(verify_good),
		T(unknown_key),
		T(key_id_of_another_key),
		T(unsigned_bundle),
		T(every_byte_flipped),
		T(flipped_regions),
		T(other_yara_version),
		T(resigned_changes_verify),
	};
#undef T

	return cmocka_run_group_tests(tests, NULL, NULL);
}
