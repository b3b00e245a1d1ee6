/*
 * Definitions bundles: signed, versioned, compiled YARA rules in one file.
 *
 * A bundle is a fixed little-endian header, the rules as libyara saves them
 * (yr_rules_save_stream), and an Ed25519 signature (OpenSSL libcrypto) over
 * everything before it. The header names the set ("core", "community",
 * "shop"), a version number that only goes up, the creation time, the rule
 * count, the libyara version that compiled it (compiled rules do not move
 * between libyara versions), the SHA-256 of the sources, and the id of the
 * signing key. The byte layout is in docs/definitions-format.md.
 *
 * Nothing in a bundle is used before its signature has been checked against
 * a trusted key; every field is range-checked; any fault is a refusal with
 * a one-line reason (sc_defs_verify's why), never a partial load.
 */
#ifndef SC_DEFS_H
#define SC_DEFS_H

#include <stddef.h>
#include <stdint.h>
#include <stdio.h>

#define SC_DEFS_MAGIC "RSCUDEFS"
#define SC_DEFS_FORMAT 1
#define SC_DEFS_HEADER_SIZE 160
#define SC_DEFS_SIG_SIZE 64
/* Bundles larger than this are refused before anything else is read. */
#define SC_DEFS_MAX_SIZE (256u << 20)
#define SC_DEFS_SET_MAX 31 /* set names: [a-z0-9_-], 1..31 characters */

struct sc_defs_info {
	uint32_t format;
	char set[SC_DEFS_SET_MAX + 1];
	uint64_t version;
	int64_t created;         /* Unix time, UTC */
	uint32_t rules;
	char yara_version[16];   /* "4.2.3" */
	char sources_sha256[65];
	char key_id[17];         /* 16 hex digits: SHA-256 of the key, cut */
	uint64_t rules_size;     /* bytes of compiled rules */
	uint64_t size;           /* whole bundle */
};

/* A trusted public key. */
struct sc_defs_key {
	const char *name;          /* "release-2026", "development" */
	unsigned char pub[32];     /* Ed25519 raw public key */
};

/* Id of a raw public key: the first 8 bytes of its SHA-256, in hex. */
void sc_defs_key_id(const unsigned char pub[32], char out[17]);

/* 1 if name is a valid set name. */
int sc_defs_valid_set(const char *name);

/*
 * Reads the header of a bundle held in memory, checking every field's
 * range and the lengths against n, but NOT the signature. For listing and
 * for the fuzzer; never load rules on its word. SC_OK or SC_EFORMAT with
 * *why set to a static sentence.
 */
int sc_defs_parse_header(const unsigned char *data, size_t n,
			 struct sc_defs_info *info, const char **why);

/*
 * sc_defs_parse_header for a file, reading only its header: for ordering
 * and listing bundles without reading them whole. SC_EOPEN/SC_EREAD with
 * errno, or as sc_defs_parse_header.
 */
int sc_defs_read_header(const char *path, struct sc_defs_info *info,
			const char **why);

/*
 * Full check: header, size, the signature against the trusted keys (the
 * key is found by id), and the libyara version. On SC_OK, *key (if not
 * NULL) points at the trusted key used. Else SC_EFORMAT / SC_ESIGNATURE /
 * SC_EYARAVER with *why a static one-line reason.
 */
int sc_defs_verify(const unsigned char *data, size_t n,
		   const struct sc_defs_key *keys, size_t nkeys,
		   struct sc_defs_info *info, const struct sc_defs_key **key,
		   const char **why);

/*
 * Writes a signed bundle to f from compiled rules held in memory (as
 * yr_rules_save_stream wrote them). privkey_pem is an Ed25519 private key in
 * PEM. SC_OK, SC_EINVAL (bad set name, version 0 or above 2^62, creation
 * time outside 2000..2200, not an Ed25519 key), SC_EWRITE.
 */
int sc_defs_write(FILE *f, const char *set, uint64_t version, int64_t created,
		  uint32_t rules, const char sources_sha256[65],
		  const void *compiled, size_t compiled_size,
		  const char *privkey_pem, size_t pem_len);

/*
 * A new Ed25519 key pair: the private key as PEM (malloc'd, *pem_len bytes)
 * and the raw public key.
 */
int sc_defs_keygen(char **pem, size_t *pem_len, unsigned char pub[32]);

/* The raw public key of a PEM private key. */
int sc_defs_pubkey(const char *privkey_pem, size_t pem_len,
		   unsigned char pub[32]);

#endif
