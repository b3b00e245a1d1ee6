/*
 * Definitions bundles: format, signing and verification; see sc/defs.h and
 * docs/definitions-format.md.
 */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <openssl/evp.h>
#include <openssl/pem.h>
#include <yara.h>

#include "internal.h"
#include "part.h"
#include "sc/defs.h"
#include "sc/error.h"

/* Header offsets. */
enum {
	H_MAGIC = 0,
	H_FORMAT = 8,
	H_HSIZE = 12,
	H_SET = 16,
	H_VERSION = 48,
	H_CREATED = 56,
	H_RULES = 64,
	H_RES1 = 68,
	H_YARA = 72,
	H_SOURCES = 88,
	H_KEYID = 120,
	H_RSIZE = 128,
	H_RES2 = 136,
};

/* Creation times outside 2000..2200 are not believed. */
#define MIN_TIME 946684800ll
#define MAX_TIME 7258118400ll
/* Versions above 2^62 are not believed (room to count up forever). */
#define MAX_VERSION (1ull << 62)

static const char hexd[] = "0123456789abcdef";

static void hex(const unsigned char *p, size_t n, char *out)
{
	for (size_t i = 0; i < n; i++) {
		out[2 * i] = hexd[p[i] >> 4];
		out[2 * i + 1] = hexd[p[i] & 15];
	}
	out[2 * n] = '\0';
}

static int unhex(const char *s, unsigned char *out, size_t n)
{
	for (size_t i = 0; i < n; i++) {
		int v = 0;

		for (int k = 0; k < 2; k++) {
			char c = s[2 * i + k];

			v <<= 4;
			if (c >= '0' && c <= '9')
				v |= c - '0';
			else if (c >= 'a' && c <= 'f')
				v |= c - 'a' + 10;
			else
				return -1;
		}
		out[i] = (unsigned char)v;
	}
	return 0;
}

static void put_le(unsigned char *p, uint64_t v, int n)
{
	for (int i = 0; i < n; i++)
		p[i] = (unsigned char)(v >> (8 * i));
}

void sc_defs_key_id(const unsigned char pub[32], char out[17])
{
	char full[65];

	sc_sha256_hex(pub, 32, full);
	memcpy(out, full, 16);
	out[16] = '\0';
}

int sc_defs_valid_set(const char *name)
{
	size_t n = strlen(name);

	if (!n || n > SC_DEFS_SET_MAX)
		return 0;
	for (size_t i = 0; i < n; i++) {
		char c = name[i];

		if (!((c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') ||
		      c == '-' || c == '_'))
			return 0;
	}
	return 1;
}

/* A NUL-padded text field: printable, terminated, zeros after. */
static int text_field(const unsigned char *p, size_t n, char *out)
{
	size_t len = 0;

	while (len < n && p[len])
		len++;
	if (len == n || len == 0)
		return -1;
	for (size_t i = 0; i < len; i++)
		if (p[i] < 0x21 || p[i] > 0x7e)
			return -1;
	for (size_t i = len; i < n; i++)
		if (p[i])
			return -1;
	memcpy(out, p, len);
	out[len] = '\0';
	return 0;
}

static int zero(const unsigned char *p, size_t n)
{
	for (size_t i = 0; i < n; i++)
		if (p[i])
			return 0;
	return 1;
}

int sc_defs_parse_header(const unsigned char *d, size_t n,
			 struct sc_defs_info *info, const char **why)
{
	const char *w = NULL;

	memset(info, 0, sizeof(*info));
	if (n > SC_DEFS_MAX_SIZE)
		w = "oversized: larger than any definitions bundle can be";
	else if (n < 8 || memcmp(d, SC_DEFS_MAGIC, 8))
		w = "not a definitions bundle (bad magic)";
	else if (n < SC_DEFS_HEADER_SIZE + SC_DEFS_SIG_SIZE)
		w = "truncated: shorter than a header and a signature";
	if (w)
		goto bad;
	info->format = sc_le32(d + H_FORMAT);
	if (info->format != SC_DEFS_FORMAT) {
		w = "unsupported format version";
		goto bad;
	}
	if (sc_le32(d + H_HSIZE) != SC_DEFS_HEADER_SIZE) {
		w = "bad header size";
		goto bad;
	}
	if (text_field(d + H_SET, 32, info->set) ||
	    !sc_defs_valid_set(info->set)) {
		w = "bad set name";
		goto bad;
	}
	info->version = sc_le64(d + H_VERSION);
	info->created = (int64_t)sc_le64(d + H_CREATED);
	info->rules = sc_le32(d + H_RULES);
	info->rules_size = sc_le64(d + H_RSIZE);
	info->size = n;
	if (!info->version || info->version > MAX_VERSION)
		w = "bad version number";
	else if (info->created < MIN_TIME || info->created > MAX_TIME)
		w = "bad creation time";
	else if (!info->rules)
		w = "bundle holds no rules";
	else if (!zero(d + H_RES1, 4) || !zero(d + H_RES2, 24))
		w = "reserved header bytes are not zero";
	else if (text_field(d + H_YARA, 16, info->yara_version))
		w = "bad YARA version field";
	else if (!info->rules_size)
		w = "bundle holds no compiled rules";
	else if (info->rules_size != (uint64_t)n - SC_DEFS_HEADER_SIZE -
					     SC_DEFS_SIG_SIZE)
		w = info->rules_size > (uint64_t)n - SC_DEFS_HEADER_SIZE -
						SC_DEFS_SIG_SIZE
			    ? "truncated: the file ends before its rules and "
			      "signature"
			    : "bad length: data after the signature, or no "
			      "signature";
	if (w)
		goto bad;
	hex(d + H_SOURCES, 32, info->sources_sha256);
	hex(d + H_KEYID, 8, info->key_id);
	if (why)
		*why = NULL;
	return SC_OK;
bad:
	if (why)
		*why = w;
	return SC_EFORMAT;
}

int sc_defs_read_header(const char *path, struct sc_defs_info *info,
			const char **why)
{
	unsigned char *h;
	struct stat st;
	int fd, err;

	memset(info, 0, sizeof(*info));
	fd = open(path, O_RDONLY | O_CLOEXEC);
	if (fd < 0)
		return SC_EOPEN;
	if (fstat(fd, &st) || !S_ISREG(st.st_mode)) {
		close(fd);
		errno = EINVAL;
		return SC_EREAD;
	}
	/* parse_header reads the first SC_DEFS_HEADER_SIZE bytes only and
	 * checks the rest against the length: a short file is caught there
	 * before any byte past what was read is looked at. */
	h = calloc(1, SC_DEFS_HEADER_SIZE + SC_DEFS_SIG_SIZE);
	if (!h) {
		close(fd);
		return SC_ENOMEM;
	}
	if (sc_pread_all(fd, h,
			 st.st_size < SC_DEFS_HEADER_SIZE ? (size_t)st.st_size
							  : SC_DEFS_HEADER_SIZE,
			 0)) {
		free(h);
		close(fd);
		return SC_EREAD;
	}
	close(fd);
	err = sc_defs_parse_header(h, (size_t)st.st_size > SIZE_MAX
					      ? SIZE_MAX
					      : (size_t)st.st_size,
				   info, why);
	free(h);
	return err;
}

int sc_defs_verify(const unsigned char *d, size_t n,
		   const struct sc_defs_key *keys, size_t nkeys,
		   struct sc_defs_info *info, const struct sc_defs_key **key,
		   const char **why)
{
	const struct sc_defs_key *k = NULL;
	const char *dummy;
	EVP_PKEY *pkey;
	EVP_MD_CTX *ctx;
	int ok;

	if (!why)
		why = &dummy;
	if (key)
		*key = NULL;
	if (sc_defs_parse_header(d, n, info, why))
		return SC_EFORMAT;
	for (size_t i = 0; i < nkeys; i++) {
		char id[17];

		sc_defs_key_id(keys[i].pub, id);
		if (!strcmp(id, info->key_id))
			k = &keys[i];
	}
	if (!k) {
		*why = "signed by an unknown key";
		return SC_ESIGNATURE;
	}
	if (zero(d + n - SC_DEFS_SIG_SIZE, SC_DEFS_SIG_SIZE)) {
		*why = "unsigned";
		return SC_ESIGNATURE;
	}
	pkey = EVP_PKEY_new_raw_public_key(EVP_PKEY_ED25519, NULL, k->pub, 32);
	ctx = EVP_MD_CTX_new();
	ok = pkey && ctx &&
	     EVP_DigestVerifyInit(ctx, NULL, NULL, NULL, pkey) == 1 &&
	     EVP_DigestVerify(ctx, d + n - SC_DEFS_SIG_SIZE, SC_DEFS_SIG_SIZE,
			      d, n - SC_DEFS_SIG_SIZE) == 1;
	EVP_MD_CTX_free(ctx);
	EVP_PKEY_free(pkey);
	if (!ok) {
		*why = "bad signature: the file was changed after signing";
		return SC_ESIGNATURE;
	}
	if (strcmp(info->yara_version, YR_VERSION)) {
		*why = "compiled by a different YARA version than this scanner's";
		return SC_EYARAVER;
	}
	if (key)
		*key = k;
	*why = NULL;
	return SC_OK;
}

static EVP_PKEY *read_private(const char *pem, size_t len)
{
	BIO *bio = BIO_new_mem_buf(pem, (int)len);
	EVP_PKEY *k;

	if (!bio)
		return NULL;
	k = PEM_read_bio_PrivateKey(bio, NULL, NULL, NULL);
	BIO_free(bio);
	if (k && EVP_PKEY_id(k) != EVP_PKEY_ED25519) {
		EVP_PKEY_free(k);
		k = NULL;
	}
	return k;
}

int sc_defs_pubkey(const char *pem, size_t len, unsigned char pub[32])
{
	EVP_PKEY *k = read_private(pem, len);
	size_t n = 32;
	int ok;

	if (!k)
		return SC_EINVAL;
	ok = EVP_PKEY_get_raw_public_key(k, pub, &n) == 1 && n == 32;
	EVP_PKEY_free(k);
	return ok ? SC_OK : SC_EINVAL;
}

int sc_defs_write(FILE *f, const char *set, uint64_t version, int64_t created,
		  uint32_t rules, const char sources_sha256[65],
		  const void *compiled, size_t compiled_size,
		  const char *pem, size_t pem_len)
{
	unsigned char *b, pub[32], sig[SC_DEFS_SIG_SIZE];
	size_t n = SC_DEFS_HEADER_SIZE + compiled_size, siglen = sizeof(sig);
	char id[17];
	EVP_PKEY *k;
	EVP_MD_CTX *ctx;
	int ok;

	/* The same limits the reader applies: never sign what it refuses. */
	if (!sc_defs_valid_set(set) || !version || version > MAX_VERSION ||
	    created < MIN_TIME || created > MAX_TIME || !rules ||
	    !compiled_size ||
	    compiled_size > SC_DEFS_MAX_SIZE - SC_DEFS_HEADER_SIZE -
				    SC_DEFS_SIG_SIZE)
		return SC_EINVAL;
	k = read_private(pem, pem_len);
	if (!k)
		return SC_EINVAL;
	b = calloc(1, n);
	if (!b) {
		EVP_PKEY_free(k);
		return SC_ENOMEM;
	}
	memcpy(b + H_MAGIC, SC_DEFS_MAGIC, 8);
	put_le(b + H_FORMAT, SC_DEFS_FORMAT, 4);
	put_le(b + H_HSIZE, SC_DEFS_HEADER_SIZE, 4);
	memcpy(b + H_SET, set, strlen(set));
	put_le(b + H_VERSION, version, 8);
	put_le(b + H_CREATED, (uint64_t)created, 8);
	put_le(b + H_RULES, rules, 4);
	memcpy(b + H_YARA, YR_VERSION, strlen(YR_VERSION));
	if (unhex(sources_sha256, b + H_SOURCES, 32)) {
		free(b);
		EVP_PKEY_free(k);
		return SC_EINVAL;
	}
	sc_defs_pubkey(pem, pem_len, pub);
	sc_defs_key_id(pub, id);
	unhex(id, b + H_KEYID, 8);
	put_le(b + H_RSIZE, compiled_size, 8);
	memcpy(b + SC_DEFS_HEADER_SIZE, compiled, compiled_size);
	ctx = EVP_MD_CTX_new();
	ok = ctx && EVP_DigestSignInit(ctx, NULL, NULL, NULL, k) == 1 &&
	     EVP_DigestSign(ctx, sig, &siglen, b, n) == 1 &&
	     siglen == SC_DEFS_SIG_SIZE;
	EVP_MD_CTX_free(ctx);
	EVP_PKEY_free(k);
	if (ok)
		ok = fwrite(b, 1, n, f) == n &&
		     fwrite(sig, 1, sizeof(sig), f) == sizeof(sig) && !fflush(f);
	free(b);
	return ok ? SC_OK : SC_EWRITE;
}

int sc_defs_keygen(char **pem, size_t *pem_len, unsigned char pub[32])
{
	EVP_PKEY_CTX *pc = EVP_PKEY_CTX_new_id(EVP_PKEY_ED25519, NULL);
	EVP_PKEY *k = NULL;
	BIO *bio = NULL;
	char *data;
	long len;
	size_t n = 32;
	int err = SC_ENOMEM;

	*pem = NULL;
	*pem_len = 0;
	if (!pc || EVP_PKEY_keygen_init(pc) != 1 || EVP_PKEY_keygen(pc, &k) != 1)
		goto out;
	bio = BIO_new(BIO_s_mem());
	if (!bio || PEM_write_bio_PrivateKey(bio, k, NULL, NULL, 0, NULL,
					     NULL) != 1 ||
	    EVP_PKEY_get_raw_public_key(k, pub, &n) != 1)
		goto out;
	len = BIO_get_mem_data(bio, &data);
	if (len <= 0 || !(*pem = malloc((size_t)len + 1)))
		goto out;
	memcpy(*pem, data, (size_t)len);
	(*pem)[len] = '\0';
	*pem_len = (size_t)len;
	err = SC_OK;
out:
	BIO_free(bio);
	EVP_PKEY_free(k);
	EVP_PKEY_CTX_free(pc);
	return err;
}
