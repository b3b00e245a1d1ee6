/*
 * Worker process: receives jobs, scans one file or boot area each with its
 * own libyara scanner, and sends back the result. It runs in a forked child
 * so that a crash in libyara's parsers (Debian's 4.2.3 lacks later fixes)
 * kills only this process; the engine replaces it.
 */
#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <unistd.h>

#include <openssl/evp.h>

#include "sc/error.h"
#include "sc/rules.h"
#include "sc/scan.h"
#include "worker.h"

/* Caps that keep one result frame small whatever a rule does. */
#define MAX_MATCHES_PER_STRING 16
#define MAX_STRINGS_PER_RULE 64
#define MAX_MATCH_DATA 64

struct wjob {
	uint8_t type;
	char *path;
	uint64_t offset, length;
	char *area;
	char *filetype;
	uint64_t max_size;
};

struct wres {
	uint8_t status, reason;
	const char *detail;
	uint64_t size;
	char sha256[65];
	const char *filetype;
	uint32_t nmatches;
	struct sc_buf matches;
	uint32_t set; /* index of the set being scanned */
};

static ssize_t write_all(int fd, const void *p, size_t n)
{
	const char *c = p;
	size_t done = 0;

	while (done < n) {
		ssize_t w = send(fd, c + done, n - done, MSG_NOSIGNAL);

		if (w < 0 && errno == EINTR)
			continue;
		if (w <= 0)
			return -1;
		done += (size_t)w;
	}
	return (ssize_t)done;
}

static int read_all(int fd, void *p, size_t n)
{
	char *c = p;
	size_t done = 0;

	while (done < n) {
		ssize_t r = read(fd, c + done, n - done);

		if (r < 0 && errno == EINTR)
			continue;
		if (r <= 0)
			return -1;
		done += (size_t)r;
	}
	return 0;
}

int sc_frame_send(int fd, const struct sc_buf *b)
{
	unsigned char hdr[4];
	uint32_t n;

	if (b->failed || b->len > SC_FRAME_MAX)
		return SC_EWRITE;
	n = (uint32_t)b->len;
	for (int i = 0; i < 4; i++)
		hdr[i] = (unsigned char)(n >> (8 * i));
	if (write_all(fd, hdr, 4) < 0 || write_all(fd, b->data, b->len) < 0)
		return SC_EWRITE;
	return SC_OK;
}

int sc_frame_recv(int fd, unsigned char **out, size_t *len)
{
	unsigned char hdr[4];
	uint32_t n = 0;
	unsigned char *p;

	*out = NULL;
	*len = 0;
	if (read_all(fd, hdr, 4))
		return SC_EREAD;
	for (int i = 3; i >= 0; i--)
		n = (n << 8) | hdr[i];
	if (n > SC_FRAME_MAX)
		return SC_EINVAL;
	p = malloc(n ? n : 1);
	if (!p)
		return SC_ENOMEM;
	if (read_all(fd, p, n)) {
		free(p);
		return SC_EREAD;
	}
	*out = p;
	*len = n;
	return SC_OK;
}

static void put_rule(struct sc_buf *b, YR_SCAN_CONTEXT *ctx, YR_RULE *rule)
{
	const char *tag;
	YR_META *meta;
	YR_STRING *str;
	YR_MATCH *m;
	uint32_t n;
	size_t count_at;

	sc_buf_cstr(b, rule->identifier);
	sc_buf_cstr(b, rule->ns ? rule->ns->name : "");

	n = 0;
	yr_rule_tags_foreach(rule, tag) n++;
	sc_buf_u32(b, n);
	yr_rule_tags_foreach(rule, tag) sc_buf_cstr(b, tag);

	n = 0;
	yr_rule_metas_foreach(rule, meta) n++;
	sc_buf_u32(b, n);
	yr_rule_metas_foreach(rule, meta)
	{
		sc_buf_cstr(b, meta->identifier);
		if (meta->type == META_TYPE_STRING) {
			sc_buf_u8(b, SC_META_STRING);
			sc_buf_cstr(b, meta->string);
		} else {
			sc_buf_u8(b, meta->type == META_TYPE_BOOLEAN
					     ? SC_META_BOOLEAN
					     : SC_META_INTEGER);
			sc_buf_cstr(b, NULL);
		}
		sc_buf_u64(b, (uint64_t)meta->integer);
	}

	/* The string count is patched in once known. */
	count_at = b->len;
	sc_buf_u32(b, 0);
	n = 0;
	yr_rule_strings_foreach(rule, str)
	{
		unsigned per = 0;

		yr_string_matches_foreach(ctx, str, m)
		{
			uint32_t dl;

			if (per >= MAX_MATCHES_PER_STRING ||
			    n >= MAX_STRINGS_PER_RULE)
				break;
			dl = m->data_length < MAX_MATCH_DATA
				     ? (uint32_t)m->data_length
				     : MAX_MATCH_DATA;
			sc_buf_cstr(b, str->identifier);
			sc_buf_u64(b, (uint64_t)(m->base + m->offset));
			sc_buf_u32(b, (uint32_t)m->match_length);
			sc_buf_str(b, (const char *)m->data, dl);
			per++;
			n++;
		}
	}
	if (!b->failed)
		for (int i = 0; i < 4; i++)
			b->data[count_at + (size_t)i] =
				(unsigned char)(n >> (8 * i));
}

static int on_yara(YR_SCAN_CONTEXT *ctx, int msg, void *data, void *ud)
{
	struct wres *res = ud;

	if (msg == CALLBACK_MSG_RULE_MATCHING) {
		sc_buf_u32(&res->matches, res->set);
		put_rule(&res->matches, ctx, data);
		res->nmatches++;
	}
	return CALLBACK_CONTINUE;
}

static uint8_t reason_of_errno(int e)
{
	switch (e) {
	case EACCES:
	case EPERM:
		return SC_REASON_PERMISSION;
	case ENOENT:
	case ELOOP:
	case ENOTDIR:
		return SC_REASON_VANISHED;
	default:
		return SC_REASON_IO;
	}
}

const char *sc_sniff_type(const unsigned char *h, size_t n)
{
	if (n >= 2 && h[0] == 'M' && h[1] == 'Z')
		return "EXE";
	if (n >= 4 && !memcmp(h, "\x7f" "ELF", 4))
		return "ELF";
	if (n >= 4 && !memcmp(h, "PK\x03\x04", 4))
		return "ZIP";
	if (n >= 4 && !memcmp(h, "%PDF", 4))
		return "PDF";
	if (n >= 2 && h[0] == '#' && h[1] == '!')
		return "SCRIPT";
	return "";
}

/* One libyara scanner per rule set; a job runs them all. */
struct scanners {
	YR_SCANNER **v;
	size_t n;
};

void sc_set_externals(YR_SCANNER *sc, const char *path,
		      const char *filetype, const char *owner)
{
	const char *base = strrchr(path, '/');
	const char *dot;
	char ext[32];
	size_t i;

	base = base ? base + 1 : path;
	dot = strrchr(base, '.');
	ext[0] = '\0';
	if (dot && dot != base && strlen(dot + 1) < sizeof(ext)) {
		for (i = 0; dot[1 + i]; i++) {
			char c = dot[1 + i];

			ext[i] = (c >= 'A' && c <= 'Z') ? (char)(c - 'A' + 'a')
							: c;
		}
		ext[i] = '\0';
	}
	yr_scanner_define_string_variable(sc, "filename", base);
	yr_scanner_define_string_variable(sc, "filepath", path);
	yr_scanner_define_string_variable(sc, "extension", ext);
	yr_scanner_define_string_variable(sc, "filetype", filetype);
	yr_scanner_define_string_variable(sc, "owner", owner);
}

static void scan_buffer(const struct scanners *sc, struct wres *res,
			const unsigned char *data, size_t n)
{
	int rc = ERROR_SUCCESS;

	for (size_t i = 0; i < sc->n && rc == ERROR_SUCCESS; i++) {
		res->set = (uint32_t)i;
		yr_scanner_set_callback(sc->v[i], on_yara, res);
		rc = yr_scanner_scan_mem(sc->v[i], data, n);
	}

	switch (rc) {
	case ERROR_SUCCESS:
		res->status = res->nmatches ? SC_ITEM_MATCH : SC_ITEM_CLEAN;
		return;
	case ERROR_SCAN_TIMEOUT:
		res->reason = SC_REASON_TIMEOUT;
		break;
	case ERROR_COULD_NOT_MAP_FILE:
		/* libyara caught SIGBUS: a page of the file could not be read. */
		res->reason = SC_REASON_IO;
		res->detail = "read error while scanning";
		break;
	default:
		res->reason = SC_REASON_ERROR;
		res->detail = "libyara scan error";
		break;
	}
	res->status = SC_ITEM_SKIPPED;
	/* Partial matches of an interrupted scan are not reported. */
	res->nmatches = 0;
	res->matches.len = 0;
}

/* SHA-256 by reading the file again (a mapping could SIGBUS on bad media). */
static int hash_fd(int fd, uint64_t offset, uint64_t length, char out[65])
{
	static const char hex[] = "0123456789abcdef";
	unsigned char buf[65536], md[EVP_MAX_MD_SIZE];
	unsigned int mdlen = 0;
	EVP_MD_CTX *ctx = EVP_MD_CTX_new();
	uint64_t done = 0;
	int ok = ctx && EVP_DigestInit_ex(ctx, EVP_sha256(), NULL);

	while (ok && done < length) {
		size_t want = length - done < sizeof(buf) ? (size_t)(length - done)
							  : sizeof(buf);
		ssize_t r = pread(fd, buf, want, (off_t)(offset + done));

		if (r < 0 && errno == EINTR)
			continue;
		if (r <= 0) {
			ok = 0;
			break;
		}
		ok = EVP_DigestUpdate(ctx, buf, (size_t)r);
		done += (uint64_t)r;
	}
	ok = ok && EVP_DigestFinal_ex(ctx, md, &mdlen) && mdlen == 32;
	EVP_MD_CTX_free(ctx);
	if (!ok) {
		out[0] = '\0';
		return -1;
	}
	for (unsigned i = 0; i < 32; i++) {
		out[2 * i] = hex[md[i] >> 4];
		out[2 * i + 1] = hex[md[i] & 15];
	}
	out[64] = '\0';
	return 0;
}

#ifdef SC_TEST_HOOKS
/*
 * Test-only: files starting with these markers crash or hang the worker, so
 * the tests can prove a dead worker costs one file. Never compiled into
 * production builds (the Makefile defines SC_TEST_HOOKS for test binaries).
 */
static void test_hooks(const unsigned char *head, size_t n)
{
	if (n >= 13 && !memcmp(head, "SC-TEST-CRASH", 13))
		raise(SIGSEGV);
	if (n >= 12 && !memcmp(head, "SC-TEST-HANG", 12))
		for (;;)
			pause();
}
#endif

static void scan_file(const struct scanners *sc, const struct wjob *job,
		      struct wres *res)
{
	unsigned char head[16];
	ssize_t hn;
	struct stat st;
	void *map = NULL;
	char owner[24];
	int fd;

	fd = open(job->path, O_RDONLY | O_NOFOLLOW | O_NONBLOCK | O_CLOEXEC |
				     O_NOCTTY);
	if (fd < 0) {
		res->reason = reason_of_errno(errno);
		res->detail = strerror(errno);
		return;
	}
	if (fstat(fd, &st)) {
		res->reason = SC_REASON_IO;
		res->detail = strerror(errno);
		goto out;
	}
	if (!S_ISREG(st.st_mode)) {
		/* Swapped for something else since the walk saw it. */
		res->reason = SC_REASON_VANISHED;
		res->detail = "no longer a regular file";
		goto out;
	}
	res->size = (uint64_t)st.st_size;
	if (job->max_size && res->size > job->max_size) {
		res->reason = SC_REASON_SIZE;
		goto out;
	}
	/* A first read turns an unreadable file into EIO, not SIGBUS. */
	hn = pread(fd, head, sizeof(head), 0);
	if (hn < 0) {
		res->reason = reason_of_errno(errno);
		res->detail = strerror(errno);
		goto out;
	}
#ifdef SC_TEST_HOOKS
	test_hooks(head, (size_t)hn);
#endif
	if (res->size) {
		map = mmap(NULL, (size_t)res->size, PROT_READ, MAP_PRIVATE, fd,
			   0);
		if (map == MAP_FAILED) {
			map = NULL;
			res->reason = SC_REASON_IO;
			res->detail = strerror(errno);
			goto out;
		}
	}
	snprintf(owner, sizeof(owner), "%lu", (unsigned long)st.st_uid);
	res->filetype = sc_sniff_type(head, (size_t)hn);
	for (size_t i = 0; i < sc->n; i++)
		sc_set_externals(sc->v[i], job->path, res->filetype, owner);
	scan_buffer(sc, res, map ? map : (const void *)"", (size_t)res->size);
	if (res->status == SC_ITEM_MATCH)
		hash_fd(fd, 0, res->size, res->sha256);
out:
	if (map)
		munmap(map, (size_t)res->size);
	close(fd);
}

static void scan_area(const struct scanners *sc, const struct wjob *job,
		      struct wres *res)
{
	unsigned char *buf;
	uint64_t done = 0;
	int fd;

	res->size = job->length;
	if (job->length > SC_FRAME_MAX) {
		res->reason = SC_REASON_SIZE;
		return;
	}
	fd = open(job->path, O_RDONLY | O_CLOEXEC | O_NOCTTY);
	if (fd < 0) {
		res->reason = reason_of_errno(errno);
		res->detail = strerror(errno);
		return;
	}
	buf = malloc(job->length ? (size_t)job->length : 1);
	if (!buf) {
		res->reason = SC_REASON_ERROR;
		res->detail = "out of memory";
		close(fd);
		return;
	}
	while (done < job->length) {
		ssize_t r = pread(fd, buf + done, (size_t)(job->length - done),
				  (off_t)(job->offset + done));

		if (r < 0 && errno == EINTR)
			continue;
		if (r <= 0) {
			res->reason = SC_REASON_IO;
			res->detail = r < 0 ? strerror(errno) : "short read";
			break;
		}
		done += (uint64_t)r;
	}
	if (done == job->length) {
		char name[64];

		snprintf(name, sizeof(name), "%s", job->area ? job->area : "");
		for (size_t i = 0; i < sc->n; i++) {
			YR_SCANNER *y = sc->v[i];

			yr_scanner_define_string_variable(y, "filename", name);
			yr_scanner_define_string_variable(y, "filepath",
							  job->path);
			yr_scanner_define_string_variable(y, "extension", "");
			yr_scanner_define_string_variable(
				y, "filetype", job->filetype ? job->filetype : "");
			yr_scanner_define_string_variable(y, "owner", "");
		}
		scan_buffer(sc, res, buf, (size_t)job->length);
		if (res->status == SC_ITEM_MATCH)
			sc_sha256_hex(buf, (size_t)job->length, res->sha256);
	}
	free(buf);
	close(fd);
}

static int read_job(const unsigned char *p, size_t n, struct wjob *job)
{
	struct sc_rd r = { p, n, 0 };

	memset(job, 0, sizeof(*job));
	job->type = sc_rd_u8(&r);
	job->path = sc_rd_str(&r, NULL);
	job->offset = sc_rd_u64(&r);
	job->length = sc_rd_u64(&r);
	job->area = sc_rd_str(&r, NULL);
	job->filetype = sc_rd_str(&r, NULL);
	job->max_size = sc_rd_u64(&r);
	return r.bad || !job->path ? -1 : 0;
}

static void free_job(struct wjob *job)
{
	free(job->path);
	free(job->area);
	free(job->filetype);
}

void sc_worker_main(int fd, const struct sc_rules *rules, unsigned timeout)
{
	struct scanners sc;

	/* The engine owns the terminal; a Ctrl-C is its business, not ours. */
	signal(SIGINT, SIG_IGN);
	signal(SIGPIPE, SIG_IGN);
	sc.n = sc_rules_set_count(rules);
	sc.v = calloc(sc.n ? sc.n : 1, sizeof(*sc.v));
	if (!sc.v)
		_exit(3);
	for (size_t i = 0; i < sc.n; i++) {
		if (yr_scanner_create(sc_rules_yara(rules, i), &sc.v[i]) !=
		    ERROR_SUCCESS)
			_exit(3);
		yr_scanner_set_flags(sc.v[i], SCAN_FLAGS_REPORT_RULES_MATCHING);
		yr_scanner_set_timeout(sc.v[i], (int)timeout);
	}

	for (;;) {
		unsigned char *msg;
		size_t len;
		struct wjob job;
		struct wres res;
		struct sc_buf out = { 0 };

		if (sc_frame_recv(fd, &msg, &len))
			break;
		if (read_job(msg, len, &job)) {
			free(msg);
			free_job(&job);
			break;
		}
		free(msg);
		memset(&res, 0, sizeof(res));
		res.status = SC_ITEM_SKIPPED;
		if (job.type == SC_JOB_AREA)
			scan_area(&sc, &job, &res);
		else
			scan_file(&sc, &job, &res);

		sc_buf_u8(&out, res.status);
		sc_buf_u8(&out, res.reason);
		sc_buf_cstr(&out, res.detail);
		sc_buf_u64(&out, res.size);
		sc_buf_cstr(&out, res.sha256[0] ? res.sha256 : NULL);
		sc_buf_cstr(&out, res.filetype);
		sc_buf_u32(&out, res.nmatches);
		sc_buf_put(&out, res.matches.data, res.matches.len);
		if (res.matches.failed || out.failed) {
			/* Could not pack the matches: say so, not "clean". */
			sc_buf_free(&out);
			sc_buf_u8(&out, SC_ITEM_SKIPPED);
			sc_buf_u8(&out, SC_REASON_ERROR);
			sc_buf_cstr(&out, "out of memory packing result");
			sc_buf_u64(&out, res.size);
			sc_buf_cstr(&out, NULL);
			sc_buf_cstr(&out, NULL);
			sc_buf_u32(&out, 0);
		}
		sc_buf_free(&res.matches);
		free_job(&job);
		if (sc_frame_send(fd, &out)) {
			sc_buf_free(&out);
			break;
		}
		sc_buf_free(&out);
	}
	for (size_t i = 0; i < sc.n; i++)
		yr_scanner_destroy(sc.v[i]);
	free(sc.v);
	_exit(0);
}
