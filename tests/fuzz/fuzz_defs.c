/*
 * libFuzzer target for definitions bundles (scanner/defs.c): the input is a
 * whole bundle file. It goes to sc_defs_parse_header and sc_defs_verify
 * against two keys compiled in: the published key of RFC 8032 section 7.1,
 * test 1 (the seed corpus in tests/fuzz/corpus/defs/ is signed with it), and
 * 32 bytes 00..1f, which need not even be a valid point.
 *
 * A fuzzer cannot forge signatures, so every input whose header parses is
 * also re-signed here with the RFC 8032 private key and verified again: that
 * reaches the checks behind the signature (the YARA version, the key found)
 * with any header the fuzzer finds. Checked: the result codes agree with each
 * other; a refusal has a one-line reason and no key; on SC_OK every info field
 * is in its range, every string is terminated inside its array, and the
 * fields say what the header bytes say. Any disagreement aborts.
 */
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include <openssl/evp.h>

#include "sc/defs.h"
#include "sc/error.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static const unsigned char rfc_seed[32] = {
	0x9d, 0x61, 0xb1, 0x9d, 0xef, 0xfd, 0x5a, 0x60, 0xba, 0x84, 0x4a,
	0xf4, 0x92, 0xec, 0x2c, 0xc4, 0x44, 0x49, 0xc5, 0x69, 0x7b, 0x32,
	0x69, 0x19, 0x70, 0x3b, 0xac, 0x03, 0x1c, 0xae, 0x7f, 0x60,
};

static const struct sc_defs_key keys[2] = {
	{ "rfc8032-test1",
	  { 0xd7, 0x5a, 0x98, 0x01, 0x82, 0xb1, 0x0a, 0xb7, 0xd5, 0x4b, 0xfe,
	    0xd3, 0xc9, 0x64, 0x07, 0x3a, 0x0e, 0xe1, 0x72, 0xf3, 0xda, 0xa6,
	    0x23, 0x25, 0xaf, 0x02, 0x1a, 0x68, 0xf7, 0x07, 0x51, 0x1a } },
	{ "counting",
	  { 0x00, 0x01, 0x02, 0x03, 0x04, 0x05, 0x06, 0x07, 0x08, 0x09, 0x0a,
	    0x0b, 0x0c, 0x0d, 0x0e, 0x0f, 0x10, 0x11, 0x12, 0x13, 0x14, 0x15,
	    0x16, 0x17, 0x18, 0x19, 0x1a, 0x1b, 0x1c, 0x1d, 0x1e, 0x1f } },
};
#define RFC_KEY_ID "21fe31dfa154a261"

static volatile size_t sink;

/* A string field: NUL inside its array, then every byte read. */
static size_t field(const char *s, size_t cap)
{
	const char *z = memchr(s, '\0', cap);

	if (!z)
		abort();
	for (const char *p = s; p < z; p++)
		sink += (unsigned char)*p;
	return (size_t)(z - s);
}

static void hex_field(const char *s, size_t cap, size_t want)
{
	if (field(s, cap) != want)
		abort();
	for (size_t i = 0; i < want; i++)
		if (!strchr("0123456789abcdef", s[i]))
			abort();
}

static void check_why(const char *why)
{
	if (!why || !*why || strchr(why, '\n'))
		abort();
	sink += strlen(why);
}

static uint64_t le(const uint8_t *p, int n)
{
	uint64_t v = 0;

	for (int i = n - 1; i >= 0; i--)
		v = v << 8 | p[i];
	return v;
}

/* A header that parsed: every field in range and equal to its bytes. */
static void check_info(const struct sc_defs_info *in, const uint8_t *d,
		       size_t n)
{
	size_t len;

	if (n < SC_DEFS_HEADER_SIZE + SC_DEFS_SIG_SIZE ||
	    n > SC_DEFS_MAX_SIZE || memcmp(d, SC_DEFS_MAGIC, 8))
		abort();
	if (in->format != SC_DEFS_FORMAT || le(d + 8, 4) != in->format ||
	    le(d + 12, 4) != SC_DEFS_HEADER_SIZE)
		abort();
	len = field(in->set, sizeof(in->set));
	if (!len || len > SC_DEFS_SET_MAX || !sc_defs_valid_set(in->set) ||
	    memcmp(in->set, d + 16, len + 1))
		abort();
	if (!in->version || in->version != le(d + 48, 8))
		abort();
	if (in->created < 946684800ll || in->created > 7258118400ll ||
	    (uint64_t)in->created != le(d + 56, 8))
		abort();
	if (!in->rules || in->rules != le(d + 64, 4) || le(d + 68, 4))
		abort();
	len = field(in->yara_version, sizeof(in->yara_version));
	if (!len || memcmp(in->yara_version, d + 72, len + 1))
		abort();
	for (size_t i = 0; i < len; i++)
		if (in->yara_version[i] < 0x21 || in->yara_version[i] > 0x7e)
			abort();
	hex_field(in->sources_sha256, sizeof(in->sources_sha256), 64);
	hex_field(in->key_id, sizeof(in->key_id), 16);
	if (in->rules_size != le(d + 128, 8) || !in->rules_size ||
	    in->rules_size != n - SC_DEFS_HEADER_SIZE - SC_DEFS_SIG_SIZE ||
	    in->size != n)
		abort();
	for (int i = 136; i < SC_DEFS_HEADER_SIZE; i++)
		if (d[i])
			abort();
}

static int verify(const uint8_t *d, size_t n, struct sc_defs_info *info,
		  const struct sc_defs_key **key)
{
	const char *why = NULL;
	int rc;

	*key = &keys[1]; /* must be cleared on refusal */
	rc = sc_defs_verify(d, n, keys, 2, info, key, &why);
	if (rc == SC_OK) {
		if (why || *key != &keys[0] || strcmp(info->key_id, RFC_KEY_ID) ||
		    strcmp(info->yara_version, "4.2.3"))
			abort();
		check_info(info, d, n);
	} else if (rc == SC_EFORMAT || rc == SC_ESIGNATURE ||
		   rc == SC_EYARAVER) {
		if (*key)
			abort();
		check_why(why);
	} else {
		abort();
	}
	return rc;
}

static void resign(uint8_t *d, size_t n)
{
	static EVP_PKEY *k;
	EVP_MD_CTX *ctx = EVP_MD_CTX_new();
	size_t siglen = SC_DEFS_SIG_SIZE;

	if (!k)
		k = EVP_PKEY_new_raw_private_key(EVP_PKEY_ED25519, NULL,
						 rfc_seed, 32);
	if (!k || !ctx || EVP_DigestSignInit(ctx, NULL, NULL, NULL, k) != 1 ||
	    EVP_DigestSign(ctx, d + n - SC_DEFS_SIG_SIZE, &siglen, d,
			   n - SC_DEFS_SIG_SIZE) != 1 ||
	    siglen != SC_DEFS_SIG_SIZE)
		abort();
	EVP_MD_CTX_free(ctx);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	const struct sc_defs_key *key;
	struct sc_defs_info info;
	const char *why = "unset";
	uint8_t *copy;
	int rc, vrc;

	rc = sc_defs_parse_header(data, size, &info, &why);
	if (rc == SC_OK) {
		if (why)
			abort();
		check_info(&info, data, size);
	} else if (rc == SC_EFORMAT) {
		check_why(why);
	} else {
		abort();
	}
	vrc = verify(data, size, &info, &key);
	if ((rc == SC_EFORMAT) != (vrc == SC_EFORMAT))
		abort();
	if (rc != SC_OK)
		return 0;

	/* Signed by the trusted key: only the key id and YARA version decide. */
	copy = malloc(size);
	if (!copy)
		return 0;
	memcpy(copy, data, size);
	resign(copy, size);
	vrc = verify(copy, size, &info, &key);
	if (!strcmp(info.key_id, RFC_KEY_ID)) {
		if (vrc != (strcmp(info.yara_version, "4.2.3") ? SC_EYARAVER
							       : SC_OK))
			abort();
	} else if (vrc != SC_ESIGNATURE) {
		abort(); /* unknown key, or the counting key's bad signature */
	}
	free(copy);
	return 0;
}
