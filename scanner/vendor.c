/*
 * The vendor false-positive package; see sc/vendor.h.
 */
#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <openssl/evp.h>
#include <yara.h>

#include "internal.h"
#include "sc/error.h"
#include "sc/peinfo.h"
#include "sc/quar.h"
#include "sc/report.h"
#include "sc/vendor.h"
#include "sc/zip.h"

struct text {
	char *s;
	size_t len, alloc;
	int failed; /* an allocation failed: the text is incomplete */
};

static void add(struct text *t, const char *fmt, ...)
	__attribute__((format(printf, 2, 3)));

static void add(struct text *t, const char *fmt, ...)
{
	va_list ap;
	int n;

	va_start(ap, fmt);
	n = vsnprintf(NULL, 0, fmt, ap);
	va_end(ap);
	if (n < 0)
		return;
	if (t->len + (size_t)n + 1 > t->alloc) {
		size_t na = (t->alloc + (size_t)n + 1) * 2;
		char *p = realloc(t->s, na);

		if (!p) {
			t->failed = 1;
			return;
		}
		t->s = p;
		t->alloc = na;
	}
	va_start(ap, fmt);
	vsnprintf(t->s + t->len, (size_t)n + 1, fmt, ap);
	va_end(ap);
	t->len += (size_t)n;
}

/* Bytes made printable (control bytes and bad UTF-8 as \xNN). */
static void add_bytes(struct text *t, const char *p, size_t n)
{
	char *d = sc_display_name(p, n);

	if (!d) {
		t->failed = 1;
		return;
	}
	add(t, "%s", d);
	free(d);
}

static void utc(int64_t sec, char out[32])
{
	time_t t = (time_t)sec;
	struct tm tm;

	if (!gmtime_r(&t, &tm) ||
	    !strftime(out, 32, "%Y-%m-%d %H:%M:%S UTC", &tm))
		snprintf(out, 32, "%lld", (long long)sec);
}

static void add_pe(struct text *t, const unsigned char *data, size_t len)
{
	struct sc_pe_info pe;
	char when[32];

	add(t, "\nFile version information\n");
	if (sc_pe_info_read(data, len, &pe) != SC_OK) {
		add(t, "  could not be read\n");
		return;
	}
	if (!pe.is_pe) {
		add(t, "  not a PE (Windows executable) file\n");
		sc_pe_info_free(&pe);
		return;
	}
	utc(pe.timestamp, when);
	add(t, "  PE%s %s, machine 0x%04x, subsystem %u, linker timestamp %s\n",
	    pe.is_64bit ? "32+" : "32", pe.is_dll ? "DLL" : "executable",
	    pe.machine, pe.subsystem, when);
	add(t, "  Authenticode signatures: %u (not verified)", pe.nsignatures);
	if (pe.signer) {
		add(t, ", first signer: ");
		add_bytes(t, pe.signer, strlen(pe.signer));
	}
	add(t, "\n");
	if (pe.pdb_path) {
		add(t, "  PDB path: ");
		add_bytes(t, pe.pdb_path, strlen(pe.pdb_path));
		add(t, "\n");
	}
	if (!pe.nversion)
		add(t, "  no VERSIONINFO resource\n");
	for (size_t i = 0; i < pe.nversion; i++) {
		add(t, "  %s: ", pe.version[i].key);
		add_bytes(t, pe.version[i].value, strlen(pe.version[i].value));
		add(t, "\n");
	}
	sc_pe_info_free(&pe);
}

static void add_detections(struct text *t, const struct sc_quar_item *it)
{
	char when[32];

	add(t, "\nDetections\n");
	if (!it->ndet) {
		const char *why = it->reason ? it->reason : "none given";

		add(t, "  none recorded (reason: ");
		add_bytes(t, why, strlen(why));
		add(t, ")\n");
	}
	for (size_t k = 0; k < it->ndet; k++) {
		const struct sc_quar_detection *d = &it->det[k];

		add(t, "  rule %s:%s\n    definitions set %s", d->ns, d->rule,
		    d->set);
		if (d->set_version)
			add(t, " version %llu", (unsigned long long)d->set_version);
		if (d->set_created) {
			utc(d->set_created, when);
			add(t, " of %s", when);
		}
		add(t, "\n");
		for (size_t m = 0; m < d->nmeta; m++) {
			add(t, "    meta %s = ", d->meta[m].key);
			if (d->meta[m].type == SC_META_STRING)
				add_bytes(t, d->meta[m].str,
					  strlen(d->meta[m].str));
			else if (d->meta[m].type == SC_META_BOOLEAN)
				add(t, "%s", d->meta[m].num ? "true" : "false");
			else
				add(t, "%lld", (long long)d->meta[m].num);
			add(t, "\n");
		}
	}
	if (it->rescan_time)
		add(t, "  rescanned %s with %s: %s\n", it->rescan_time,
		    it->rescan_defs,
		    it->rescan_detected ? "still detected" : "no longer detected");
}

/*
 * The sample's name in the zip: its own when it shows as it is (valid
 * UTF-8, no control bytes or backslashes), else its SHA-256.
 */
static char *sample_name(const struct sc_quar_item *it, const char *sha256)
{
	const char *b = it->path;
	size_t n = it->path_len, start = 0;
	char *shown, *name;

	for (size_t i = 0; i < n; i++)
		if (b[i] == '/')
			start = i + 1;
	shown = sc_display_name(b + start, n - start);
	if (!shown)
		return NULL;
	if (n > start && strlen(shown) == n - start &&
	    !memcmp(shown, b + start, n - start) &&
	    strcmp(shown, "report.txt"))
		return shown;
	free(shown);
	name = sc_xstrdup(sha256);
	return name;
}

/* Hex digest of data with md into out (2 * size + 1 bytes). */
static void digest(const EVP_MD *md, const unsigned char *data, size_t len,
		   char *out)
{
	static const char hex[] = "0123456789abcdef";
	unsigned char d[EVP_MAX_MD_SIZE];
	unsigned int n = 0;

	if (!EVP_Digest(data, len, d, &n, md, NULL))
		n = 0;
	for (unsigned i = 0; i < n; i++) {
		out[2 * i] = hex[d[i] >> 4];
		out[2 * i + 1] = hex[d[i] & 15];
	}
	out[2 * n] = '\0';
}

int sc_vendor_zip(const struct sc_quar_item *it, const unsigned char *data,
		  size_t len, const char *product, const char *out,
		  char **sample)
{
	struct sc_zip_member m[2];
	struct text t = { 0 };
	char now[32], mt[32], *name, sha256[65], sha1[41], md5[33];
	int err;

	if (sample)
		*sample = NULL;
	/* The hashes of the bytes in the archive, whatever the caller knew. */
	digest(EVP_sha256(), data, len, sha256);
	digest(EVP_sha1(), data, len, sha1);
	digest(EVP_md5(), data, len, md5);
	utc((int64_t)time(NULL), now);
	utc(it->mtime.sec, mt);
	name = sample_name(it, sha256);
	if (!name)
		return SC_ENOMEM;
	add(&t, "False-positive report\n\n");
	add(&t, "Product: %s, libyara %s\n", product, YR_VERSION);
	add(&t, "Report made: %s\n", now);
	if (it->id[0])
		add(&t, "Quarantine item: %s, quarantined %s\n", it->id,
		    it->time ? it->time : "");
	add_detections(&t, it);
	add(&t, "\nFile\n  original path: ");
	add_bytes(&t, it->path, it->path_len);
	add(&t, "\n  volume: %s %s%s\n", it->fstype ? it->fstype : "",
	    it->uuid && it->uuid[0] ? "UUID " : "", it->uuid ? it->uuid : "");
	add(&t, "  size: %llu bytes\n  SHA-256: %s\n  SHA-1: %s\n  MD5: %s\n",
	    (unsigned long long)len, sha256, sha1, md5);
	add(&t, "  modified: %s\n", mt);
	add(&t, "  in this archive as: %s\n", name);
	add_pe(&t, data, len);
	if (t.failed) {
		free(t.s);
		free(name);
		return SC_ENOMEM;
	}
	m[0].name = name;
	m[0].data = data;
	m[0].len = len;
	m[0].mtime = it->mtime.sec;
	m[1].name = "report.txt";
	m[1].data = t.s;
	m[1].len = t.len;
	m[1].mtime = (int64_t)time(NULL);
	err = sc_zip_write(out, SC_ZIP_PASSWORD, m, 2);
	free(t.s);
	if (!err && sample)
		*sample = name;
	else
		free(name);
	return err;
}
