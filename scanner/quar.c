/*
 * The quarantine store; see sc/quar.h for the protocol.
 *
 * Layout of a store directory:
 *   lock               held (fcntl) while a process uses the store
 *   journal            one line per step: "TIME OP STATE ID [DEST-HEX]"
 *   ID/manifest.json   the item
 *   ID/payload.bin     the file, AES-256-CTR with the item's own key
 *   ID.partial/        a copy in progress (removed by recovery)
 *
 * Items are written in ID.partial and renamed to ID once complete and
 * verified, so an ID directory always holds a whole item.
 */
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/stat.h>
#include <sys/statvfs.h>
#include <sys/wait.h>
#include <sys/xattr.h>
#include <time.h>
#include <unistd.h>

#include <jansson.h>
#include <openssl/evp.h>
#include <openssl/rand.h>

#include "internal.h"
#include "worker.h"
#include "sc/error.h"
#include "sc/quar.h"
#include "sc/rules.h"
#include "sc/storm.h"
#include "sc/volume.h"

#define MANIFEST "manifest.json"
#define PAYLOAD "payload.bin"
#define JOURNAL "journal"
#define CHUNK 65536
/* Room kept free on the store beyond the payload and manifest. */
#define STORE_MARGIN (1u << 20)

struct sc_quar {
	char *dir;
	int dirfd, lockfd, jfd;
	int ro; /* the store's filesystem is read-only: reading only */
};

const char *sc_quar_dir(const struct sc_quar *q)
{
	return q->dir;
}

const char *sc_quar_state_name(enum sc_quar_state s)
{
	switch (s) {
	case SC_QUAR_PENDING: return "pending";
	case SC_QUAR_QUARANTINED: return "quarantined";
	case SC_QUAR_KEPT: return "copied";
	}
	return "unknown";
}

int sc_quar_is_critical(const char *path, size_t len)
{
	return sc_storm_is_protected(path, len);
}

void sc_quar_result_free(struct sc_quar_result *r)
{
	free(r->where);
	free(r->displaced);
	r->where = r->displaced = NULL;
}

/* --- small helpers ---------------------------------------------------- */

#ifdef SC_TEST_HOOKS
/*
 * Test-only: SC_QUAR_CUT=STEP ends the process at that step as a power cut
 * would (no cleanup), so the tests can check what recovery makes of every
 * intermediate state. Never compiled into production builds.
 */
static void cut(const char *step)
{
	const char *want = getenv("SC_QUAR_CUT");

	if (want && !strcmp(want, step))
		_exit(77);
}
#define CUT(step) cut(step)
#else
#define CUT(step) ((void)0)
#endif

static void now_utc(char out[32])
{
	time_t t = time(NULL);
	struct tm tm;

	gmtime_r(&t, &tm);
	strftime(out, 32, "%Y-%m-%dT%H:%M:%SZ", &tm);
}

static void hex_encode(const unsigned char *p, size_t n, char *out)
{
	static const char hex[] = "0123456789abcdef";

	for (size_t i = 0; i < n; i++) {
		out[2 * i] = hex[p[i] >> 4];
		out[2 * i + 1] = hex[p[i] & 15];
	}
	out[2 * n] = '\0';
}

static int hexval(int c)
{
	if (c >= '0' && c <= '9')
		return c - '0';
	if (c >= 'a' && c <= 'f')
		return c - 'a' + 10;
	if (c >= 'A' && c <= 'F')
		return c - 'A' + 10;
	return -1;
}

/* Decodes hex into a malloc'd buffer (NUL-terminated); NULL if not hex. */
static unsigned char *hex_decode(const char *s, size_t *n)
{
	size_t len = strlen(s);
	unsigned char *p;

	if (len % 2 || !(p = malloc(len / 2 + 1)))
		return NULL;
	for (size_t i = 0; i < len / 2; i++) {
		int hi = hexval(s[2 * i]), lo = hexval(s[2 * i + 1]);

		if (hi < 0 || lo < 0) {
			free(p);
			return NULL;
		}
		p[i] = (unsigned char)(hi << 4 | lo);
	}
	p[len / 2] = '\0';
	*n = len / 2;
	return p;
}

static char *hex_dup(const void *p, size_t n)
{
	char *s = malloc(2 * n + 1);

	if (s)
		hex_encode(p, n, s);
	return s;
}

static ssize_t write_all(int fd, const void *p, size_t n)
{
	const char *c = p;
	size_t done = 0;

	while (done < n) {
		ssize_t w = write(fd, c + done, n - done);

		if (w < 0 && errno == EINTR)
			continue;
		if (w <= 0)
			return -1;
		done += (size_t)w;
	}
	return (ssize_t)done;
}

static int fsync_dir(int dirfd)
{
	/* Some filesystems refuse fsync on directories; that is not fatal. */
	if (fsync(dirfd) && errno != EINVAL && errno != EROFS)
		return -1;
	return 0;
}

static int valid_id(const char *id)
{
	size_t n = strlen(id);

	if (!n || n >= 32 || id[0] == '.')
		return 0;
	for (size_t i = 0; i < n; i++)
		if (!((id[i] >= '0' && id[i] <= '9') ||
		      (id[i] >= 'a' && id[i] <= 'f') || id[i] == '-' ||
		      id[i] == 'T'))
			return 0;
	return 1;
}

/* --- the journal ------------------------------------------------------ */

static int journal(struct sc_quar *q, const char *op, const char *state,
		   const char *id, const char *extra)
{
	char t[32], *line;
	int rc = 0;

	if (q->jfd < 0)
		return SC_EWRITE; /* a read-only store */
	now_utc(t);
	line = sc_xasprintf("%s %s %s %s%s%s\n", t, op, state, id,
			    extra ? " " : "", extra ? extra : "");
	if (!line)
		return SC_ENOMEM;
	if (write_all(q->jfd, line, strlen(line)) < 0 || fsync(q->jfd))
		rc = SC_EWRITE;
	free(line);
	return rc;
}

/* --- paths ------------------------------------------------------------ */

/*
 * Splits an absolute path into components, refusing "..". Returns the
 * count, or -1; comps point into buf (a copy the caller frees).
 */
static int split_path(const char *path, char **buf, char ***comps)
{
	char *save = NULL, *c;
	char **v = NULL;
	int n = 0;

	*buf = sc_xstrdup(path);
	*comps = NULL;
	if (!*buf)
		return -1;
	for (c = strtok_r(*buf, "/", &save); c; c = strtok_r(NULL, "/", &save)) {
		char **nv;

		if (!strcmp(c, "."))
			continue;
		if (!strcmp(c, "..")) {
			free(v);
			return -2;
		}
		nv = realloc(v, (size_t)(n + 1) * sizeof(*v));
		if (!nv) {
			free(v);
			return -1;
		}
		v = nv;
		v[n++] = c;
	}
	*comps = v;
	return n;
}

/* The absolute form of path (from the cwd); malloc'd. */
static char *absolute(const char *path)
{
	char cwd[4096];

	if (path[0] == '/')
		return sc_xstrdup(path);
	if (!getcwd(cwd, sizeof(cwd)))
		return NULL;
	return sc_xasprintf("%s/%s", strcmp(cwd, "/") ? cwd : "", path);
}

/*
 * Opens the directory holding path, one component at a time from "/" with
 * O_NOFOLLOW, so no symbolic link or junction on the way is followed
 * (mkdir: create missing directories). *name gets the last component
 * (malloc'd). Returns the directory fd, or -1 with why filled.
 */
static int open_parent(const char *path, int mkdir_missing, char **name,
		       char *why, size_t wn)
{
	char *buf, **comps;
	int n = split_path(path, &buf, &comps), fd;

	*name = NULL;
	if (n == -2) {
		snprintf(why, wn, "the path '%s' contains '..'", path);
		free(buf);
		return -1;
	}
	if (n <= 0) {
		snprintf(why, wn, "'%s' is not a file path", path);
		free(buf);
		free(comps);
		return -1;
	}
	fd = open("/", O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	for (int i = 0; fd >= 0 && i < n - 1; i++) {
		int next = openat(fd, comps[i],
				  O_RDONLY | O_DIRECTORY | O_NOFOLLOW |
					  O_CLOEXEC);
		struct stat st;

		if (next < 0 && errno == ENOENT && mkdir_missing &&
		    !mkdirat(fd, comps[i], 0755))
			next = openat(fd, comps[i],
				      O_RDONLY | O_DIRECTORY | O_NOFOLLOW |
					      O_CLOEXEC);
		if (next < 0) {
			int e = errno;

			if (!fstatat(fd, comps[i], &st, AT_SYMLINK_NOFOLLOW) &&
			    S_ISLNK(st.st_mode))
				snprintf(why, wn,
					 "the path '%s' goes through a symbolic "
					 "link or junction ('%s'): refused, "
					 "since it could lead anywhere",
					 path, comps[i]);
			else
				snprintf(why, wn, "cannot open '%s' in '%s': %s",
					 comps[i], path, strerror(e));
			close(fd);
			fd = -1;
			errno = e; /* ENOENT: the directory is not there */
			break;
		}
		close(fd);
		fd = next;
	}
	if (fd < 0 && !why[0])
		snprintf(why, wn, "cannot open '/': %s", strerror(errno));
	if (fd >= 0 && !(*name = sc_xstrdup(comps[n - 1]))) {
		close(fd);
		fd = -1;
		snprintf(why, wn, "out of memory");
	}
	free(comps);
	free(buf);
	return fd;
}

/* --- items: memory ---------------------------------------------------- */

static void free_det(struct sc_quar_detection *d)
{
	free(d->ns);
	free(d->rule);
	free(d->set);
	for (size_t i = 0; i < d->nmeta; i++) {
		free((char *)d->meta[i].key);
		free((char *)d->meta[i].str);
	}
	free(d->meta);
}

void sc_quar_item_free(struct sc_quar_item *it)
{
	if (!it)
		return;
	free(it->time);
	free(it->reason);
	free(it->path);
	free(it->vpath);
	free(it->mountpoint);
	free(it->uuid);
	free(it->fstype);
	free(it->label);
	free(it->device);
	free(it->disk);
	free(it->serial);
	free(it->part_uuid);
	for (size_t i = 0; i < it->nxattr; i++) {
		free(it->xattr[i].name);
		free(it->xattr[i].value);
	}
	free(it->xattr);
	for (size_t i = 0; i < it->ndet; i++)
		free_det(&it->det[i]);
	free(it->det);
	free(it->rescan_time);
	free(it->rescan_defs);
	OPENSSL_cleanse(it->key, sizeof(it->key));
	free(it);
}

void sc_quar_items_free(struct sc_quar_item **items, size_t n)
{
	for (size_t i = 0; i < n; i++)
		sc_quar_item_free(items[i]);
	free(items);
}

/* --- items: JSON ------------------------------------------------------ */

static json_t *bytes_json(const char *p, size_t n)
{
	/* Valid UTF-8 as a string; anything else as hex under "hex". */
	if (sc_utf8_valid(p, n))
		return json_stringn(p, n);
	{
		char *h = hex_dup(p, n);
		json_t *o = h ? json_pack("{s:s}", "hex", h) : NULL;

		free(h);
		return o;
	}
}

static char *json_bytes(json_t *v, size_t *n)
{
	if (json_is_string(v)) {
		*n = json_string_length(v);
		return sc_xstrndup(json_string_value(v), *n);
	}
	if (json_is_object(v) &&
	    json_is_string(json_object_get(v, "hex")))
		return (char *)hex_decode(
			json_string_value(json_object_get(v, "hex")), n);
	return NULL;
}

static json_t *time_json(const struct sc_quar_time *t)
{
	return json_pack("{s:I,s:i}", "sec", (json_int_t)t->sec, "nsec",
			 (int)t->nsec);
}

static void json_time(json_t *v, struct sc_quar_time *t)
{
	t->sec = json_integer_value(json_object_get(v, "sec"));
	t->nsec = (long)json_integer_value(json_object_get(v, "nsec"));
}

static json_t *meta_json(const struct sc_meta *m, size_t n)
{
	json_t *o = json_object();

	for (size_t i = 0; o && i < n; i++) {
		json_t *v = m[i].type == SC_META_STRING ? json_string(m[i].str)
			    : m[i].type == SC_META_BOOLEAN
				    ? json_boolean(m[i].num)
				    : json_integer(m[i].num);

		if (!v)
			v = json_string(""); /* invalid UTF-8 in a meta value */
		json_object_set_new(o, m[i].key, v);
	}
	return o;
}

/* The manifest; with_key adds the payload key (the store's copy). */
static json_t *item_json(const struct sc_quar_item *it, int with_key)
{
	json_t *o = json_object(), *orig, *vol, *file, *dets, *xa;
	char key[65], iv[33];

	if (!o)
		return NULL;
	json_object_set_new(o, "format", json_integer(1));
	json_object_set_new(o, "id", json_string(it->id));
	json_object_set_new(o, "time", json_string(it->time));
	json_object_set_new(o, "reason", json_string(it->reason));
	json_object_set_new(o, "state",
			    json_string(sc_quar_state_name(it->state)));
	json_object_set_new(o, "critical", json_boolean(it->critical));

	orig = json_object();
	json_object_set_new(orig, "path", bytes_json(it->path, it->path_len));
	json_object_set_new(orig, "volume_path",
			    bytes_json(it->vpath, it->vpath_len));
	json_object_set_new(orig, "mountpoint",
			    bytes_json(it->mountpoint, strlen(it->mountpoint)));
	vol = json_pack("{s:s?,s:s?,s:s?,s:s?,s:s?,s:i,s:s?,s:s?}", "uuid",
			it->uuid, "fstype", it->fstype, "label", it->label,
			"device", it->device, "disk", it->disk, "partition",
			(int)it->partition, "part_uuid", it->part_uuid,
			"serial", it->serial);
	json_object_set_new(orig, "volume", vol);
	json_object_set_new(o, "original", orig);

	file = json_pack("{s:I,s:s,s:s,s:s,s:i,s:i,s:i}", "size",
			 (json_int_t)it->size, "sha256", it->sha256, "sha1",
			 it->sha1, "md5", it->md5, "mode", (int)it->mode, "uid",
			 (int)it->uid, "gid", (int)it->gid);
	json_object_set_new(file, "atime", time_json(&it->atime));
	json_object_set_new(file, "mtime", time_json(&it->mtime));
	json_object_set_new(file, "ctime", time_json(&it->ctime));
	if (it->has_ntfs_attrib)
		json_object_set_new(file, "ntfs_attributes",
				    json_integer(it->ntfs_attrib));
	xa = json_array();
	for (size_t i = 0; i < it->nxattr; i++) {
		char *h = hex_dup(it->xattr[i].value, it->xattr[i].len);

		json_array_append_new(xa, json_pack("{s:s,s:s}", "name",
						    it->xattr[i].name,
						    "value_hex", h ? h : ""));
		free(h);
	}
	json_object_set_new(file, "xattrs", xa);
	json_object_set_new(o, "file", file);

	dets = json_array();
	for (size_t i = 0; i < it->ndet; i++) {
		const struct sc_quar_detection *d = &it->det[i];

		json_array_append_new(
			dets, json_pack("{s:s,s:s,s:s,s:I,s:I,s:o}", "rule",
					d->rule, "namespace", d->ns, "set",
					d->set, "set_version",
					(json_int_t)d->set_version,
					"set_created",
					(json_int_t)d->set_created, "meta",
					meta_json(d->meta, d->nmeta)));
	}
	json_object_set_new(o, "detections", dets);
	if (it->rescan_time)
		json_object_set_new(
			o, "rescan",
			json_pack("{s:s,s:s,s:b,s:b}", "time", it->rescan_time,
				  "definitions",
				  it->rescan_defs ? it->rescan_defs : "",
				  "detected", it->rescan_detected,
				  "likely_false_positive", it->likely_fp));
	if (with_key) {
		hex_encode(it->key, 32, key);
		hex_encode(it->iv, 16, iv);
		json_object_set_new(o, "payload",
				    json_pack("{s:s,s:s,s:s,s:s}", "file",
					      PAYLOAD, "cipher", "aes-256-ctr",
					      "key", key, "iv", iv));
	}
	return o;
}

int sc_quar_item_write_json(const struct sc_quar_item *it, void *f)
{
	json_t *o = item_json(it, 0);
	int rc;

	if (!o)
		return SC_ENOMEM;
	rc = json_dumpf(o, f, JSON_INDENT(2) | JSON_SORT_KEYS) ? SC_EWRITE
								: SC_OK;
	json_decref(o);
	return rc;
}

static char *jstr(json_t *o, const char *key)
{
	const char *s = json_string_value(json_object_get(o, key));

	return s ? sc_xstrdup(s) : NULL;
}

static void copy_hex(json_t *o, const char *key, char *out, size_t n)
{
	const char *s = json_string_value(json_object_get(o, key));

	if (s && strlen(s) == n - 1)
		memcpy(out, s, n);
	else
		out[0] = '\0';
}

static int load_det(json_t *d, struct sc_quar_detection *x)
{
	json_t *meta = json_object_get(d, "meta"), *v;
	const char *k;

	x->ns = jstr(d, "namespace");
	x->rule = jstr(d, "rule");
	x->set = jstr(d, "set");
	x->set_version =
		(uint64_t)json_integer_value(json_object_get(d, "set_version"));
	x->set_created = json_integer_value(json_object_get(d, "set_created"));
	if (!x->ns || !x->rule || !x->set)
		return -1;
	if (!json_is_object(meta) || !json_object_size(meta))
		return 0;
	x->meta = calloc(json_object_size(meta), sizeof(*x->meta));
	if (!x->meta)
		return -1;
	json_object_foreach(meta, k, v)
	{
		struct sc_meta *m = &x->meta[x->nmeta++];

		m->key = sc_xstrdup(k);
		if (json_is_string(v)) {
			m->type = SC_META_STRING;
			m->str = sc_xstrdup(json_string_value(v));
		} else if (json_is_boolean(v)) {
			m->type = SC_META_BOOLEAN;
			m->num = json_is_true(v);
		} else {
			m->type = SC_META_INTEGER;
			m->num = json_integer_value(v);
		}
	}
	return 0;
}

static int item_from_json(json_t *o, struct sc_quar_item **out)
{
	struct sc_quar_item *it = calloc(1, sizeof(*it));
	json_t *orig = json_object_get(o, "original");
	json_t *vol = json_object_get(orig, "volume");
	json_t *file = json_object_get(o, "file");
	json_t *pay = json_object_get(o, "payload");
	json_t *a, *e;
	const char *s, *state = json_string_value(json_object_get(o, "state"));
	unsigned char *k = NULL;
	size_t i, kn = 0;

	*out = NULL;
	if (!it)
		return SC_ENOMEM;
	if (json_integer_value(json_object_get(o, "format")) != 1 ||
	    !json_is_object(orig) || !json_is_object(file) || !state)
		goto bad;
	s = json_string_value(json_object_get(o, "id"));
	if (!s || !valid_id(s))
		goto bad;
	snprintf(it->id, sizeof(it->id), "%s", s);
	it->time = jstr(o, "time");
	it->reason = jstr(o, "reason");
	it->state = !strcmp(state, "quarantined") ? SC_QUAR_QUARANTINED
		    : !strcmp(state, "copied")	  ? SC_QUAR_KEPT
						  : SC_QUAR_PENDING;
	it->critical = json_is_true(json_object_get(o, "critical"));
	it->path = json_bytes(json_object_get(orig, "path"), &it->path_len);
	it->vpath = json_bytes(json_object_get(orig, "volume_path"),
			       &it->vpath_len);
	{
		size_t n;

		it->mountpoint =
			json_bytes(json_object_get(orig, "mountpoint"), &n);
	}
	if (!it->time || !it->reason || !it->path || !it->vpath ||
	    !it->mountpoint)
		goto bad;
	if (json_is_object(vol)) {
		it->uuid = jstr(vol, "uuid");
		it->fstype = jstr(vol, "fstype");
		it->label = jstr(vol, "label");
		it->device = jstr(vol, "device");
		it->disk = jstr(vol, "disk");
		it->serial = jstr(vol, "serial");
		it->part_uuid = jstr(vol, "part_uuid");
		it->partition = (unsigned)json_integer_value(
			json_object_get(vol, "partition"));
	}
	it->size = (uint64_t)json_integer_value(json_object_get(file, "size"));
	copy_hex(file, "sha256", it->sha256, sizeof(it->sha256));
	copy_hex(file, "sha1", it->sha1, sizeof(it->sha1));
	copy_hex(file, "md5", it->md5, sizeof(it->md5));
	if (!it->sha256[0])
		goto bad;
	it->mode = (uint32_t)json_integer_value(json_object_get(file, "mode"));
	it->uid = (uint32_t)json_integer_value(json_object_get(file, "uid"));
	it->gid = (uint32_t)json_integer_value(json_object_get(file, "gid"));
	json_time(json_object_get(file, "atime"), &it->atime);
	json_time(json_object_get(file, "mtime"), &it->mtime);
	json_time(json_object_get(file, "ctime"), &it->ctime);
	if (json_is_integer(json_object_get(file, "ntfs_attributes"))) {
		it->has_ntfs_attrib = 1;
		it->ntfs_attrib = (uint32_t)json_integer_value(
			json_object_get(file, "ntfs_attributes"));
	}
	a = json_object_get(file, "xattrs");
	if (json_array_size(a)) {
		it->xattr = calloc(json_array_size(a), sizeof(*it->xattr));
		if (!it->xattr)
			goto bad;
		json_array_foreach(a, i, e)
		{
			struct sc_quar_xattr *x = &it->xattr[it->nxattr];
			const char *h = json_string_value(
				json_object_get(e, "value_hex"));

			x->name = jstr(e, "name");
			x->value = h ? hex_decode(h, &x->len) : NULL;
			if (!x->name || !x->value) {
				free(x->name);
				free(x->value);
				goto bad;
			}
			it->nxattr++;
		}
	}
	a = json_object_get(o, "detections");
	if (json_array_size(a)) {
		it->det = calloc(json_array_size(a), sizeof(*it->det));
		if (!it->det)
			goto bad;
		json_array_foreach(a, i, e)
			if (load_det(e, &it->det[it->ndet++]))
				goto bad;
	}
	a = json_object_get(o, "rescan");
	if (json_is_object(a)) {
		it->rescan_time = jstr(a, "time");
		it->rescan_defs = jstr(a, "definitions");
		it->rescan_detected = json_is_true(json_object_get(a, "detected"));
		it->likely_fp =
			json_is_true(json_object_get(a, "likely_false_positive"));
	}
	/* The key (a manifest read for listing may come without). */
	if (json_is_object(pay)) {
		const char *ks = json_string_value(json_object_get(pay, "key"));
		const char *is = json_string_value(json_object_get(pay, "iv"));
		unsigned char *iv = NULL;
		size_t ivn = 0;

		if (!ks || !is || !(k = hex_decode(ks, &kn)) || kn != 32 ||
		    !(iv = hex_decode(is, &ivn)) || ivn != 16) {
			free(iv);
			goto bad;
		}
		memcpy(it->key, k, 32);
		memcpy(it->iv, iv, 16);
		it->has_key = 1;
		OPENSSL_cleanse(k, kn);
		free(k);
		free(iv);
		k = NULL;
	}
	*out = it;
	return SC_OK;
bad:
	free(k);
	sc_quar_item_free(it);
	return SC_EFORMAT;
}

static int load_item(struct sc_quar *q, const char *dirname,
		     struct sc_quar_item **out)
{
	char *path = sc_xasprintf("%s/%s/" MANIFEST, q->dir, dirname);
	json_error_t jerr;
	json_t *o;
	int rc;

	*out = NULL;
	if (!path)
		return SC_ENOMEM;
	o = json_load_file(path, 0, &jerr);
	free(path);
	if (!o)
		return SC_EFORMAT;
	rc = item_from_json(o, out);
	json_decref(o);
	if (!rc && strcmp((*out)->id, dirname) &&
	    strncmp(dirname, (*out)->id, strlen((*out)->id))) {
		sc_quar_item_free(*out);
		*out = NULL;
		rc = SC_EFORMAT;
	}
	return rc;
}

/* Writes the manifest in the directory dfd through a temporary name. */
static int save_manifest(int dfd, const struct sc_quar_item *it)
{
	json_t *o = item_json(it, 1);
	char *text;
	int fd, rc = SC_OK;

	if (!o)
		return SC_ENOMEM;
	text = json_dumps(o, JSON_INDENT(2) | JSON_SORT_KEYS);
	json_decref(o);
	if (!text)
		return SC_ENOMEM;
	fd = openat(dfd, MANIFEST ".tmp",
		    O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC | O_NOFOLLOW, 0600);
	if (fd < 0 || write_all(fd, text, strlen(text)) < 0 ||
	    write_all(fd, "\n", 1) < 0 || fsync(fd) ||
	    renameat(dfd, MANIFEST ".tmp", dfd, MANIFEST) || fsync_dir(dfd))
		rc = SC_EWRITE;
	if (fd >= 0)
		close(fd);
	OPENSSL_cleanse(text, strlen(text));
	free(text);
	return rc;
}

static int update_manifest(struct sc_quar *q, const struct sc_quar_item *it)
{
	int dfd = openat(q->dirfd, it->id,
			 O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
	int rc;

	if (dfd < 0)
		return SC_EOPEN;
	rc = save_manifest(dfd, it);
	close(dfd);
	return rc;
}

/* --- removing a directory of ours ------------------------------------- */

static int remove_item_dir(int parent, const char *name)
{
	int dfd = openat(parent, name,
			 O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
	DIR *d;
	struct dirent *e;

	if (dfd < 0)
		return errno == ENOENT ? 0 : -1;
	d = fdopendir(dfd);
	if (!d) {
		close(dfd);
		return -1;
	}
	while ((e = readdir(d)))
		if (strcmp(e->d_name, ".") && strcmp(e->d_name, ".."))
			unlinkat(dfd, e->d_name, 0);
	closedir(d);
	if (unlinkat(parent, name, AT_REMOVEDIR))
		return -1;
	return fsync_dir(parent);
}

/* --- crypto streams --------------------------------------------------- */

struct hashes {
	EVP_MD_CTX *sha256, *sha1, *md5;
};

static int hashes_init(struct hashes *h)
{
	h->sha256 = EVP_MD_CTX_new();
	h->sha1 = EVP_MD_CTX_new();
	h->md5 = EVP_MD_CTX_new();
	return h->sha256 && h->sha1 && h->md5 &&
			       EVP_DigestInit_ex(h->sha256, EVP_sha256(), NULL) &&
			       EVP_DigestInit_ex(h->sha1, EVP_sha1(), NULL) &&
			       EVP_DigestInit_ex(h->md5, EVP_md5(), NULL)
		       ? 0
		       : -1;
}

static void hashes_update(struct hashes *h, const void *p, size_t n)
{
	EVP_DigestUpdate(h->sha256, p, n);
	if (h->sha1)
		EVP_DigestUpdate(h->sha1, p, n);
	if (h->md5)
		EVP_DigestUpdate(h->md5, p, n);
}

static void final_hex(EVP_MD_CTX *c, char *out)
{
	unsigned char md[EVP_MAX_MD_SIZE];
	unsigned int n = 0;

	if (!c || !EVP_DigestFinal_ex(c, md, &n))
		n = 0;
	hex_encode(md, n, out);
}

static void hashes_final(struct hashes *h, char sha256[65], char *sha1,
			 char *md5)
{
	final_hex(h->sha256, sha256);
	if (sha1)
		final_hex(h->sha1, sha1);
	if (md5)
		final_hex(h->md5, md5);
}

static void hashes_free(struct hashes *h)
{
	EVP_MD_CTX_free(h->sha256);
	EVP_MD_CTX_free(h->sha1);
	EVP_MD_CTX_free(h->md5);
}

/*
 * Streams in -> out through AES-256-CTR (encrypting and decrypting are the
 * same), hashing the plain side (before when encrypt, after otherwise).
 * out may be -1 (hash only); mem, if not NULL, collects the output in
 * memory. Returns 0, or -1 with errno.
 */
static int crypt_stream(int in, int out, const unsigned char key[32],
			const unsigned char iv[16], int encrypt,
			struct hashes *h, uint64_t *total, unsigned char **mem,
			size_t *memlen)
{
	EVP_CIPHER_CTX *c = EVP_CIPHER_CTX_new();
	unsigned char *ibuf = malloc(CHUNK), *obuf = malloc(CHUNK + 32);
	uint64_t n = 0;
	size_t cap = 0;
	int rc = -1, olen;
	ssize_t r;

	if (mem)
		*mem = NULL;
	if (!c || !ibuf || !obuf ||
	    !EVP_CipherInit_ex(c, EVP_aes_256_ctr(), NULL, key, iv, encrypt)) {
		errno = ENOMEM;
		goto out;
	}
	for (;;) {
		r = read(in, ibuf, CHUNK);
		if (r < 0 && errno == EINTR)
			continue;
		if (r < 0)
			goto out;
		if (r == 0)
			break;
		if (encrypt)
			hashes_update(h, ibuf, (size_t)r);
		if (!EVP_CipherUpdate(c, obuf, &olen, ibuf, (int)r)) {
			errno = EIO;
			goto out;
		}
		if (!encrypt)
			hashes_update(h, obuf, (size_t)olen);
		if (out >= 0 && write_all(out, obuf, (size_t)olen) < 0)
			goto out;
		if (mem) {
			if (n + (size_t)olen > cap) {
				size_t ncap = cap ? cap * 2 : CHUNK * 4;
				unsigned char *p;

				while (ncap < n + (size_t)olen)
					ncap *= 2;
				p = realloc(*mem, ncap);
				if (!p) {
					errno = ENOMEM;
					goto out;
				}
				*mem = p;
				cap = ncap;
			}
			memcpy(*mem + n, obuf, (size_t)olen);
		}
		n += (uint64_t)olen;
	}
	if (total)
		*total = n;
	if (memlen)
		*memlen = (size_t)n;
	rc = 0;
out:
	if (rc && mem) {
		free(*mem);
		*mem = NULL;
	}
	EVP_CIPHER_CTX_free(c);
	free(ibuf);
	free(obuf);
	return rc;
}

/* Decrypts an item's payload: to outfd (or -1) and/or memory; checks hash. */
static int read_payload(struct sc_quar *q, const struct sc_quar_item *it,
			int outfd, unsigned char **mem, size_t *memlen)
{
	char *p = sc_xasprintf("%s/" PAYLOAD, it->id), sha[65];
	struct hashes h = { 0 };
	int fd, rc;

	if (!p)
		return SC_ENOMEM;
	fd = openat(q->dirfd, p, O_RDONLY | O_NOFOLLOW | O_CLOEXEC);
	free(p);
	if (fd < 0)
		return SC_EOPEN;
	h.sha256 = EVP_MD_CTX_new();
	if (!h.sha256 || !EVP_DigestInit_ex(h.sha256, EVP_sha256(), NULL)) {
		close(fd);
		hashes_free(&h);
		return SC_ENOMEM;
	}
	rc = crypt_stream(fd, outfd, it->key, it->iv, 0, &h, NULL, mem, memlen)
		     ? SC_EREAD
		     : SC_OK;
	close(fd);
	hashes_final(&h, sha, NULL, NULL);
	hashes_free(&h);
	if (!rc && strcmp(sha, it->sha256)) {
		rc = SC_EFORMAT;
		if (mem) {
			free(*mem);
			*mem = NULL;
		}
	}
	return rc;
}

int sc_quar_payload(struct sc_quar *q, const struct sc_quar_item *it,
		    unsigned char **data, size_t *len)
{
	if (!it->has_key)
		return SC_EINVAL;
	return read_payload(q, it, -1, data, len);
}

/* --- open, list, get, delete ------------------------------------------ */

void sc_quar_close(struct sc_quar *q)
{
	if (!q)
		return;
	if (q->jfd >= 0)
		close(q->jfd);
	if (q->lockfd >= 0)
		close(q->lockfd); /* releases the lock */
	if (q->dirfd >= 0)
		close(q->dirfd);
	free(q->dir);
	free(q);
}

static int cmp_names(const void *a, const void *b)
{
	return strcmp(*(char *const *)a, *(char *const *)b);
}

/* The store's entries (item directories and .partial ones), sorted. */
static int entries(struct sc_quar *q, char ***names, size_t *n)
{
	int fd = dup(q->dirfd);
	DIR *d;
	struct dirent *e;
	char **v = NULL;
	size_t cnt = 0;

	*names = NULL;
	*n = 0;
	if (fd < 0 || !(d = fdopendir(fd))) {
		if (fd >= 0)
			close(fd);
		return SC_EOPEN;
	}
	rewinddir(d);
	while ((e = readdir(d))) {
		char **nv;

		if (e->d_name[0] == '.' || !strcmp(e->d_name, "lock") ||
		    !strcmp(e->d_name, JOURNAL))
			continue;
		nv = realloc(v, (cnt + 1) * sizeof(*v));
		if (!nv || !(nv[cnt] = sc_xstrdup(e->d_name))) {
			v = nv ? nv : v;
			for (size_t i = 0; i < cnt; i++)
				free(v[i]);
			free(v);
			closedir(d);
			return SC_ENOMEM;
		}
		v = nv;
		cnt++;
	}
	closedir(d);
	if (cnt)
		qsort(v, cnt, sizeof(*v), cmp_names);
	*names = v;
	*n = cnt;
	return SC_OK;
}

static void free_names(char **v, size_t n)
{
	for (size_t i = 0; i < n; i++)
		free(v[i]);
	free(v);
}

int sc_quar_list(struct sc_quar *q, struct sc_quar_item ***items, size_t *n)
{
	char **names;
	size_t nn, cnt = 0;
	struct sc_quar_item **v;
	int rc = entries(q, &names, &nn);

	*items = NULL;
	*n = 0;
	if (rc)
		return rc;
	v = calloc(nn ? nn : 1, sizeof(*v));
	if (!v) {
		free_names(names, nn);
		return SC_ENOMEM;
	}
	for (size_t i = 0; i < nn; i++) {
		if (!valid_id(names[i]))
			continue; /* ID.partial and strangers */
		if (load_item(q, names[i], &v[cnt]) == SC_OK)
			cnt++;
	}
	free_names(names, nn);
	*items = v;
	*n = cnt;
	return SC_OK;
}

int sc_quar_get(struct sc_quar *q, const char *id, struct sc_quar_item **out)
{
	char **names;
	size_t nn, len = strlen(id);
	const char *hit = NULL;
	int rc = entries(q, &names, &nn);

	*out = NULL;
	if (rc)
		return rc;
	for (size_t i = 0; len && i < nn; i++) {
		if (!valid_id(names[i]) || strncmp(names[i], id, len))
			continue;
		if (hit && strcmp(names[i], id)) {
			hit = NULL; /* ambiguous prefix */
			break;
		}
		hit = names[i];
		if (!strcmp(names[i], id))
			break;
	}
	rc = hit ? load_item(q, hit, out) : SC_EINVAL;
	free_names(names, nn);
	return rc;
}

int sc_quar_delete(struct sc_quar *q, const char *id)
{
	struct sc_quar_item *it;
	int rc = sc_quar_get(q, id, &it);

	if (rc)
		return rc;
	rc = journal(q, "delete", "begin", it->id, NULL);
	CUT("deleting");
	if (!rc && remove_item_dir(q->dirfd, it->id))
		rc = SC_EWRITE;
	if (!rc)
		rc = journal(q, "delete", "done", it->id, NULL);
	sc_quar_item_free(it);
	return rc;
}

/* --- where an item's original lives now ------------------------------- */

/*
 * The path an item's original has now: on the volume with its filesystem
 * UUID wherever that is mounted, or (no UUID recorded: not a block device)
 * the recorded path. NULL with why when its volume is not here. v gets the
 * volume when one was found.
 */
static char *locate(const struct sc_quar_item *it, struct sc_volume *v,
		    char *why, size_t wn)
{
	memset(v, 0, sizeof(*v));
	if (!it->uuid || !it->uuid[0] || !it->vpath_len) {
		sc_volume_of_path(it->mountpoint[0] ? it->mountpoint : "/", v);
		return sc_xstrndup(it->path, it->path_len);
	}
	if (!(it->mountpoint[0] && sc_volume_of_path(it->mountpoint, v) == SC_OK &&
	      !strcmp(v->mountpoint, it->mountpoint) &&
	      !strcasecmp(v->uuid, it->uuid)) &&
	    !sc_volume_find_uuid(it->uuid, v)) {
		snprintf(why, wn,
			 "the volume it came from (filesystem UUID %s%s%s%s) is "
			 "not mounted here; mount it, or restore with --to DIR",
			 it->uuid, it->label && *it->label ? ", label '" : "",
			 it->label && *it->label ? it->label : "",
			 it->label && *it->label ? "'" : "");
		return NULL;
	}
	return sc_xasprintf("%s%s%.*s", v->mountpoint,
			    it->vpath[0] == '/' ? "" : "/", (int)it->vpath_len,
			    it->vpath);
}

/*
 * Reads a directory through once. After a power cut, ntfs3 can fail a
 * lookup by name (ENOENT) for an entry its directory index holds until
 * the directory has been read; recovery looks things up only after this.
 */
static void prime_dir(int dirfd)
{
	int fd = dup(dirfd);
	DIR *d = fd >= 0 ? fdopendir(fd) : NULL;

	if (!d) {
		if (fd >= 0)
			close(fd);
		return;
	}
	while (readdir(d))
		;
	closedir(d);
}

/* SHA-256 of the regular file name in dirfd; 1 match, 0 differs/absent. */
static int same_file(int dirfd, const char *name, const char *sha256,
		     int *exists)
{
	int fd = openat(dirfd, name,
			O_RDONLY | O_NOFOLLOW | O_NONBLOCK | O_CLOEXEC);
	struct hashes h = { 0 };
	struct stat st;
	char sha[65];
	unsigned char buf[CHUNK];
	ssize_t r;

	*exists = 0;
	if (fd < 0) {
		struct stat lst;

		if (!fstatat(dirfd, name, &lst, AT_SYMLINK_NOFOLLOW))
			*exists = 1;
		return 0;
	}
	*exists = 1;
	if (fstat(fd, &st) || !S_ISREG(st.st_mode) ||
	    !(h.sha256 = EVP_MD_CTX_new()) ||
	    !EVP_DigestInit_ex(h.sha256, EVP_sha256(), NULL)) {
		close(fd);
		hashes_free(&h);
		return 0;
	}
	while ((r = read(fd, buf, sizeof(buf))) > 0)
		EVP_DigestUpdate(h.sha256, buf, (size_t)r);
	close(fd);
	hashes_final(&h, sha, NULL, NULL);
	hashes_free(&h);
	return r == 0 && !strcmp(sha, sha256);
}

/* --- quarantine ------------------------------------------------------- */

static void make_id(char id[32])
{
	time_t t = time(NULL);
	struct tm tm;
	unsigned char r[3];
	char rh[7];

	gmtime_r(&t, &tm);
	if (RAND_bytes(r, sizeof(r)) != 1)
		memset(r, 0, sizeof(r));
	hex_encode(r, sizeof(r), rh);
	snprintf(id, 32, "%04d%02d%02dT%02d%02d%02d-%s",
		 (tm.tm_year + 1900) % 10000, (tm.tm_mon + 1) % 100,
		 tm.tm_mday % 100, tm.tm_hour % 100, tm.tm_min % 100,
		 tm.tm_sec % 100, rh);
}

static int add_xattr(struct sc_quar_item *it, const char *name,
		     const void *v, size_t n)
{
	struct sc_quar_xattr *x;

	for (size_t i = 0; i < it->nxattr; i++)
		if (!strcmp(it->xattr[i].name, name))
			return 0;
	x = realloc(it->xattr, (it->nxattr + 1) * sizeof(*x));
	if (!x)
		return -1;
	it->xattr = x;
	x = &x[it->nxattr];
	x->name = sc_xstrdup(name);
	x->value = malloc(n ? n : 1);
	x->len = n;
	if (!x->name || !x->value) {
		free(x->name);
		free(x->value);
		return -1;
	}
	memcpy(x->value, v, n);
	it->nxattr++;
	return 0;
}

/*
 * Extended attributes the filesystem lists, plus the ones ntfs3 computes
 * without listing them: the DOS attributes and the security descriptor.
 */
static void read_xattrs(int fd, struct sc_quar_item *it)
{
	static const char *const extra[] = { "system.ntfs_attrib",
					     "system.ntfs_security" };
	char names[8192], val[8192];
	ssize_t n = flistxattr(fd, names, sizeof(names));

	for (ssize_t i = 0; n > 0 && i < n; i += (ssize_t)strlen(names + i) + 1) {
		ssize_t vn = fgetxattr(fd, names + i, val, sizeof(val));

		if (vn >= 0)
			add_xattr(it, names + i, val, (size_t)vn);
	}
	for (size_t i = 0; i < sizeof(extra) / sizeof(*extra); i++) {
		ssize_t vn = fgetxattr(fd, extra[i], val, sizeof(val));

		if (vn < 0)
			continue;
		if (i == 0 && vn == 4) {
			uint32_t a;

			memcpy(&a, val, 4); /* CPU byte order, as ntfs3 gives */
			it->ntfs_attrib = a;
			it->has_ntfs_attrib = 1;
			continue;
		}
		add_xattr(it, extra[i], val, (size_t)vn);
	}
}

static int copy_det(struct sc_quar_detection *d,
		    const struct sc_quar_detection *m)
{
	d->ns = sc_xstrdup(m->ns ? m->ns : "");
	d->rule = sc_xstrdup(m->rule ? m->rule : "");
	d->set = sc_xstrdup(m->set ? m->set : "local");
	d->set_version = m->set_version;
	d->set_created = m->set_created;
	if (!d->ns || !d->rule || !d->set)
		return -1;
	if (!m->nmeta)
		return 0;
	d->meta = calloc(m->nmeta, sizeof(*d->meta));
	if (!d->meta)
		return -1;
	for (size_t k = 0; k < m->nmeta; k++) {
		struct sc_meta *x = &d->meta[d->nmeta++];

		*x = m->meta[k];
		x->key = sc_xstrdup(m->meta[k].key ? m->meta[k].key : "");
		x->str = m->meta[k].type == SC_META_STRING
				 ? sc_xstrdup(m->meta[k].str ? m->meta[k].str
							     : "")
				 : NULL;
		if (!x->key || (x->type == SC_META_STRING && !x->str))
			return -1;
	}
	return 0;
}

int sc_quar_detections_copy(const struct sc_match *m, size_t n,
			    struct sc_quar_detection **out)
{
	struct sc_quar_detection *d = calloc(n ? n : 1, sizeof(*d));

	*out = NULL;
	if (!d)
		return SC_ENOMEM;
	for (size_t i = 0; i < n; i++) {
		struct sc_quar_detection src = { 0 };

		src.ns = (char *)m[i].ns;
		src.rule = (char *)m[i].rule;
		src.set = (char *)m[i].set;
		src.set_version = m[i].set_version;
		src.nmeta = m[i].nmeta;
		src.meta = (struct sc_meta *)m[i].meta;
		if (copy_det(&d[i], &src)) {
			sc_quar_detections_free(d, i + 1);
			return SC_ENOMEM;
		}
	}
	*out = d;
	return SC_OK;
}

void sc_quar_detections_free(struct sc_quar_detection *d, size_t n)
{
	if (!d)
		return;
	for (size_t i = 0; i < n; i++)
		free_det(&d[i]);
	free(d);
}

static int copy_dets(struct sc_quar_item *it,
		     const struct sc_quar_detection *m, size_t n)
{
	if (!n)
		return 0;
	it->det = calloc(n, sizeof(*it->det));
	if (!it->det)
		return -1;
	for (size_t i = 0; i < n; i++)
		if (copy_det(&it->det[it->ndet++], &m[i]))
			return -1;
	return 0;
}

static struct sc_quar_time ts(const struct timespec *t)
{
	struct sc_quar_time r = { (int64_t)t->tv_sec, t->tv_nsec };

	return r;
}

static int refuse(struct sc_quar_result *res, int err, const char *fmt, ...)
#ifdef __GNUC__
	__attribute__((format(printf, 3, 4)))
#endif
	;

static int refuse(struct sc_quar_result *res, int err, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(res->why, sizeof(res->why), fmt, ap);
	va_end(ap);
	return err;
}

/* Fills the item's origin: path, volume and the path inside it. */
static int set_origin(struct sc_quar_item *it, const char *abs,
		      const struct sc_volume *v)
{
	size_t mn = strlen(v->mountpoint), an = strlen(abs);
	int inside = mn && !strncmp(abs, v->mountpoint, mn) &&
		     (abs[mn] == '/' || !strcmp(v->mountpoint, "/"));

	it->path = sc_xstrdup(abs);
	it->path_len = an;
	if (inside && v->uuid[0]) {
		const char *rel = abs + (strcmp(v->mountpoint, "/") ? mn : 0);

		while (*rel == '/')
			rel++;
		it->vpath = sc_xstrdup(rel);
		it->vpath_len = strlen(rel);
	} else {
		it->vpath = sc_xstrdup("");
		it->vpath_len = 0;
	}
	it->mountpoint = sc_xstrdup(v->mountpoint);
	it->uuid = sc_xstrdup(v->uuid);
	it->fstype = sc_xstrdup(v->fstype);
	it->label = sc_xstrdup(v->label);
	it->device = sc_xstrdup(v->device);
	it->disk = sc_xstrdup(v->disk);
	it->serial = sc_xstrdup(v->serial);
	it->part_uuid = sc_xstrdup(v->part_uuid);
	it->partition = v->partition;
	return it->path && it->vpath && it->mountpoint && it->uuid &&
			       it->fstype && it->label && it->device &&
			       it->disk && it->serial && it->part_uuid
		       ? 0
		       : -1;
}

/*
 * Copies fd into a new item directory (ID.partial, renamed to ID when
 * complete), verifying the copy. it gets hashes and key.
 */
static int store_copy(struct sc_quar *q, int fd, struct sc_quar_item *it,
		      const struct stat *st, struct sc_quar_result *res)
{
	char partial[48];
	struct hashes h = { 0 };
	uint64_t total = 0;
	int dfd = -1, pfd = -1, rc;
	struct stat st2;

	snprintf(partial, sizeof(partial), "%s.partial", it->id);
	if (mkdirat(q->dirfd, partial, 0700) ||
	    (dfd = openat(q->dirfd, partial,
			  O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC)) < 0 ||
	    (pfd = openat(dfd, PAYLOAD,
			  O_WRONLY | O_CREAT | O_EXCL | O_NOFOLLOW | O_CLOEXEC,
			  0600)) < 0) {
		rc = refuse(res, SC_EWRITE, "cannot write to the store '%s': %s",
			    q->dir, strerror(errno));
		goto out;
	}
	if (RAND_bytes(it->key, 32) != 1 || RAND_bytes(it->iv, 16) != 1 ||
	    hashes_init(&h)) {
		rc = refuse(res, SC_ENOMEM, "cannot set up the encryption");
		goto out;
	}
	it->has_key = 1;
	if (lseek(fd, 0, SEEK_SET) ||
	    crypt_stream(fd, pfd, it->key, it->iv, 1, &h, &total, NULL, NULL)) {
		rc = refuse(res, SC_EREAD, "cannot copy '%s': %s", it->path,
			    strerror(errno));
		goto out;
	}
	hashes_final(&h, it->sha256, it->sha1, it->md5);
	if (fsync(pfd)) {
		rc = refuse(res, SC_EWRITE, "cannot write to the store '%s': %s",
			    q->dir, strerror(errno));
		goto out;
	}
	if (fstat(fd, &st2) || st2.st_size != st->st_size ||
	    st2.st_mtim.tv_sec != st->st_mtim.tv_sec ||
	    st2.st_mtim.tv_nsec != st->st_mtim.tv_nsec ||
	    total != (uint64_t)st->st_size) {
		rc = refuse(res, SC_ECHANGED,
			    "'%s' changed while it was being copied: nothing "
			    "was changed",
			    it->path);
		goto out;
	}
	close(pfd);
	pfd = -1;
	CUT("partial");
	/* Verify: the payload must decrypt to the same bytes. */
	{
		char *p = sc_xasprintf("%s/" PAYLOAD, partial), sha[65];
		struct hashes v = { 0 };
		int in = p ? openat(q->dirfd, p, O_RDONLY | O_CLOEXEC) : -1;

		free(p);
		v.sha256 = EVP_MD_CTX_new();
		rc = in < 0 || !v.sha256 ||
		     !EVP_DigestInit_ex(v.sha256, EVP_sha256(), NULL) ||
		     crypt_stream(in, -1, it->key, it->iv, 0, &v, NULL, NULL,
				  NULL);
		if (in >= 0)
			close(in);
		hashes_final(&v, sha, NULL, NULL);
		hashes_free(&v);
		if (rc || strcmp(sha, it->sha256)) {
			rc = refuse(res, SC_EWRITE,
				    "the copy in the store does not read back "
				    "the same (store medium failing?): nothing "
				    "was changed");
			goto out;
		}
	}
	rc = save_manifest(dfd, it);
	if (rc) {
		refuse(res, rc, "cannot write to the store '%s': %s", q->dir,
		       strerror(errno));
		goto out;
	}
	if (renameat(q->dirfd, partial, q->dirfd, it->id) ||
	    fsync_dir(q->dirfd)) {
		rc = refuse(res, SC_EWRITE, "cannot write to the store '%s': %s",
			    q->dir, strerror(errno));
		goto out;
	}
	partial[0] = '\0';
out:
	hashes_free(&h);
	if (pfd >= 0)
		close(pfd);
	if (dfd >= 0)
		close(dfd);
	if (rc && partial[0])
		remove_item_dir(q->dirfd, partial);
	return rc;
}

int sc_quar_add(struct sc_quar *q, const struct sc_quar_req *req,
		struct sc_quar_result *res)
{
	struct sc_quar_item *it = calloc(1, sizeof(*it));
	char *abs = NULL, *name = NULL, t[32];
	int dfd = -1, fd = -1, rc, critical, copy;
	struct sc_volume v;
	struct stat st, st2;
	struct statvfs sv;
	struct sc_rw rw;
	const char *op;

	memset(res, 0, sizeof(*res));
	if (!it || !(abs = absolute(req->path))) {
		rc = refuse(res, SC_ENOMEM, "out of memory");
		goto out;
	}
	dfd = open_parent(abs, 0, &name, res->why, sizeof(res->why));
	if (dfd < 0) {
		rc = strstr(res->why, "symbolic link") || strstr(res->why, "'..'")
			     ? SC_EREFUSED
			     : SC_EOPEN;
		goto out;
	}
	fd = openat(dfd, name, O_RDONLY | O_NOFOLLOW | O_NONBLOCK | O_CLOEXEC);
	if (fd < 0) {
		if (!fstatat(dfd, name, &st, AT_SYMLINK_NOFOLLOW) &&
		    S_ISLNK(st.st_mode))
			rc = refuse(res, SC_EREFUSED,
				    "'%s' is a symbolic link or junction: "
				    "refused, since it could lead anywhere",
				    abs);
		else
			rc = refuse(res, SC_EOPEN, "cannot open '%s': %s", abs,
				    strerror(errno));
		goto out;
	}
	if (fstat(fd, &st) || !S_ISREG(st.st_mode)) {
		rc = refuse(res, SC_EREFUSED, "'%s' is not a regular file", abs);
		goto out;
	}
	critical = sc_quar_is_critical(abs, strlen(abs));
	copy = req->copy || (critical && !req->force);
	res->critical = critical;
	res->kept = copy;
	if (req->sha256 && (uint64_t)st.st_size != req->size) {
		rc = refuse(res, SC_ECHANGED,
			    "'%s' changed since the scan (its size is now %llu, "
			    "was %llu): scan again; nothing was changed",
			    abs, (unsigned long long)st.st_size,
			    (unsigned long long)req->size);
		goto out;
	}
	sc_volume_of_path(abs, &v);
	if (!copy && v.read_only_reason) {
		rc = refuse(res, SC_EREFUSED, "'%s' cannot be moved: %s", abs,
			    v.read_only_reason);
		goto out;
	}
	if (fstatvfs(q->dirfd, &sv) ||
	    (uint64_t)sv.f_bavail * sv.f_frsize <
		    (uint64_t)st.st_size + STORE_MARGIN) {
		rc = refuse(res, SC_EREFUSED,
			    "the quarantine store '%s' has no room for '%s' "
			    "(%llu bytes): nothing was changed",
			    q->dir, abs, (unsigned long long)st.st_size);
		goto out;
	}

	make_id(it->id);
	now_utc(t);
	it->time = sc_xstrdup(t);
	it->reason = sc_xstrdup(req->reason ? req->reason : "manual");
	it->critical = critical;
	it->state = copy ? SC_QUAR_KEPT : SC_QUAR_PENDING;
	it->size = (uint64_t)st.st_size;
	it->mode = (uint32_t)st.st_mode;
	it->uid = (uint32_t)st.st_uid;
	it->gid = (uint32_t)st.st_gid;
	it->atime = ts(&st.st_atim);
	it->mtime = ts(&st.st_mtim);
	it->ctime = ts(&st.st_ctim);
	read_xattrs(fd, it);
	if (!it->time || !it->reason || set_origin(it, abs, &v) ||
	    copy_dets(it, req->det, req->ndet)) {
		rc = refuse(res, SC_ENOMEM, "out of memory");
		goto out;
	}
	snprintf(res->id, sizeof(res->id), "%s", it->id);
	rc = store_copy(q, fd, it, &st, res);
	if (rc)
		goto out;
	if (req->sha256 && strcasecmp(req->sha256, it->sha256)) {
		remove_item_dir(q->dirfd, it->id);
		rc = refuse(res, SC_ECHANGED,
			    "'%s' changed since the scan (its SHA-256 differs): "
			    "scan again; nothing was changed",
			    abs);
		goto out;
	}
	op = copy ? "copy" : "quarantine";
	if ((rc = journal(q, op, "copied", it->id, NULL))) {
		remove_item_dir(q->dirfd, it->id);
		refuse(res, rc, "cannot write the store's journal: %s",
		       strerror(errno));
		goto out;
	}
	CUT("copied");
	if (copy) {
		rc = journal(q, op, "done", it->id, NULL);
		goto out;
	}

	/* The move: the only write to the source volume. */
	if (sc_rw_begin(&v, &rw, res->why, sizeof(res->why))) {
		rc = SC_EREFUSED;
		goto roll_back;
	}
	if (fstatat(dfd, name, &st2, AT_SYMLINK_NOFOLLOW) ||
	    st2.st_dev != st.st_dev || st2.st_ino != st.st_ino ||
	    st2.st_size != st.st_size ||
	    st2.st_mtim.tv_sec != st.st_mtim.tv_sec ||
	    st2.st_mtim.tv_nsec != st.st_mtim.tv_nsec) {
		refuse(res, SC_ECHANGED,
		       "'%s' changed while it was being quarantined: it was "
		       "left in place",
		       abs);
		rc = SC_ECHANGED;
		sc_rw_end(&rw, t, sizeof(t));
		goto roll_back;
	}
	if (unlinkat(dfd, name, 0)) {
		refuse(res, SC_EWRITE, "cannot remove '%s': %s; it was left "
		       "in place", abs, strerror(errno));
		rc = SC_EWRITE;
		sc_rw_end(&rw, t, sizeof(t));
		goto roll_back;
	}
	CUT("removed");
	/* An unlinked file still open would keep the volume from going
	 * back to read-only. */
	close(fd);
	fd = -1;
	fsync_dir(dfd);
	sync(); /* the removal on the disk before the journal says "done" */
	/* The move is done even if this fails; res->why then says so. */
	sc_rw_end(&rw, res->why, sizeof(res->why));
	it->state = SC_QUAR_QUARANTINED;
	rc = update_manifest(q, it);
	if (!rc)
		rc = journal(q, op, "done", it->id, NULL);
	if (rc)
		refuse(res, rc, "'%s' is in quarantine as %s, but the store "
		       "could not be updated; it is finished at the next start",
		       abs, it->id);
	goto out;
roll_back:
	remove_item_dir(q->dirfd, it->id);
	journal(q, op, "rolled-back", it->id, NULL);
	res->id[0] = '\0';
out:
	if (fd >= 0)
		close(fd);
	if (dfd >= 0)
		close(dfd);
	free(name);
	free(abs);
	sc_quar_item_free(it);
	return rc;
}

/* --- restore ---------------------------------------------------------- */

/* Writes the payload to name in pdfd, with the item's metadata. */
static int write_back(struct sc_quar *q, const struct sc_quar_item *it,
		      int pdfd, const char *tmp, const char *name,
		      struct sc_quar_result *res)
{
	struct timespec tt[2];
	int fd, rc;

	unlinkat(pdfd, tmp, 0); /* ours, from an interrupted restore */
	fd = openat(pdfd, tmp,
		    O_WRONLY | O_CREAT | O_EXCL | O_NOFOLLOW | O_CLOEXEC, 0600);
	if (fd < 0)
		return refuse(res, SC_EWRITE, "cannot create '%s': %s", tmp,
			      strerror(errno));
	rc = read_payload(q, it, fd, NULL, NULL);
	if (rc) {
		close(fd);
		unlinkat(pdfd, tmp, 0);
		return refuse(res, rc,
			      rc == SC_EFORMAT
				      ? "the payload of %s does not match its "
					"SHA-256 (store damaged): not restored"
				      : "cannot write the payload of %s",
			      it->id);
	}
	/* Owner first: changing it clears set-id bits that chmod sets. */
	if (fchown(fd, (uid_t)it->uid, (gid_t)it->gid)) {
		/* FAT and friends have no owners: not an error */
	}
	if (fchmod(fd, (mode_t)(it->mode & 07777))) {
		/* idem for modes they cannot hold */
	}
	for (size_t i = 0; i < it->nxattr; i++)
		fsetxattr(fd, it->xattr[i].name, it->xattr[i].value,
			  it->xattr[i].len, 0);
	if (it->has_ntfs_attrib) {
		uint32_t a = it->ntfs_attrib;

		fsetxattr(fd, "system.ntfs_attrib", &a, sizeof(a), 0);
	}
	tt[0].tv_sec = (time_t)it->atime.sec;
	tt[0].tv_nsec = it->atime.nsec;
	tt[1].tv_sec = (time_t)it->mtime.sec;
	tt[1].tv_nsec = it->mtime.nsec;
	if (futimens(fd, tt) || fsync(fd)) {
		rc = refuse(res, SC_EWRITE, "cannot write '%s': %s", tmp,
			    strerror(errno));
		close(fd);
		unlinkat(pdfd, tmp, 0);
		return rc;
	}
	close(fd);
	CUT("written");
	if (renameat(pdfd, tmp, pdfd, name)) {
		rc = refuse(res, SC_EWRITE, "cannot rename into place '%s': %s",
			    name, strerror(errno));
		unlinkat(pdfd, tmp, 0);
		return rc;
	}
	fsync_dir(pdfd);
	/*
	 * The rename must be on the disk before the journal says "placed"
	 * and the item goes: syncing the directory is not enough on ntfs3,
	 * which writes the file's own record separately.
	 */
	sync();
	return SC_OK;
}

static const char *base_of(const char *p, size_t n)
{
	const char *b = p;

	for (size_t i = 0; i < n; i++)
		if (p[i] == '/')
			b = p + i + 1;
	return b;
}

int sc_quar_restore(struct sc_quar *q, const char *id,
		    const struct sc_quar_restore_opts *o,
		    struct sc_quar_result *res)
{
	struct sc_quar_item *it = NULL;
	struct sc_volume v;
	struct sc_rw rw;
	char *dest = NULL, *name = NULL, *hexdest = NULL, *tmp = NULL, *s,
	     **comps = NULL;
	int rc, pdfd = -1, exists, n;

	memset(res, 0, sizeof(*res));
	rc = sc_quar_get(q, id, &it);
	if (rc)
		return refuse(res, rc, rc == SC_EINVAL ? "no item '%s' in the "
			      "quarantine" : "cannot read item '%s'", id);
	snprintf(res->id, sizeof(res->id), "%s", it->id);
	if (!it->has_key) {
		rc = refuse(res, SC_EFORMAT, "item %s has no payload key", id);
		goto out;
	}
	/* The recorded paths come from the stick: trust no "..". */
	if (memchr(it->path, '\0', it->path_len) ||
	    memchr(it->vpath, '\0', it->vpath_len) ||
	    split_path(it->path, &s, &comps) < 0 ||
	    (free(s), free(comps), split_path(it->vpath, &s, &comps) < 0)) {
		rc = refuse(res, SC_EREFUSED,
			    "the manifest of %s names a path with '..' or NUL: "
			    "refused (damaged or forged manifest)",
			    it->id);
		goto out;
	}
	free(s);
	free(comps);
	if (o && o->to) {
		char *to = absolute(o->to);
		const char *b = base_of(it->path, it->path_len);

		if (!to || !*b) {
			free(to);
			rc = refuse(res, SC_ENOMEM, "out of memory");
			goto out;
		}
		dest = sc_xasprintf("%s/%s", to, b);
		free(to);
		if (dest)
			sc_volume_of_path(o->to, &v);
	} else {
		dest = locate(it, &v, res->why, sizeof(res->why));
		if (!dest && res->why[0]) {
			rc = SC_EREFUSED;
			goto out;
		}
	}
	if (!dest) {
		rc = refuse(res, SC_ENOMEM, "out of memory");
		goto out;
	}
	res->where = sc_xstrdup(dest);
	n = split_path(dest, &s, &comps);
	free(s);
	free(comps);
	if (n < 1) {
		rc = refuse(res, SC_EREFUSED, "'%s' is not a place to restore to",
			    dest);
		goto out;
	}
	if (v.read_only_reason) {
		rc = refuse(res, SC_EREFUSED, "cannot write '%s': %s", dest,
			    v.read_only_reason);
		goto out;
	}
	if (sc_rw_begin(&v, &rw, res->why, sizeof(res->why))) {
		rc = SC_EREFUSED;
		goto out;
	}
	pdfd = open_parent(dest, 1, &name, res->why, sizeof(res->why));
	if (pdfd < 0) {
		rc = strstr(res->why, "symbolic link") ? SC_EREFUSED : SC_EOPEN;
		goto end_rw;
	}
	if (same_file(pdfd, name, it->sha256, &exists)) {
		/* Already there (a restore that was cut short, or a copy). */
		journal(q, "restore", "done", it->id, NULL);
		remove_item_dir(q->dirfd, it->id);
		goto end_rw;
	}
	if (exists && !(o && o->overwrite)) {
		rc = refuse(res, SC_EREFUSED,
			    "a different file is at '%s': nothing was changed "
			    "(--overwrite replaces it, keeping a copy in the "
			    "quarantine; --to DIR restores elsewhere)",
			    dest);
		goto end_rw;
	}
	if (exists) {
		struct sc_quar_req r = { 0 };
		struct sc_quar_result rr;

		r.path = dest;
		r.reason = "replaced by a restore";
		r.copy = 1;
		rc = sc_quar_add(q, &r, &rr);
		if (rc) {
			refuse(res, rc, "cannot keep the file now at '%s' before "
			       "replacing it: %s", dest, rr.why);
			sc_quar_result_free(&rr);
			goto end_rw;
		}
		res->displaced = sc_xstrdup(rr.id);
		sc_quar_result_free(&rr);
	}
	hexdest = hex_dup(dest, strlen(dest));
	tmp = sc_xasprintf(".rescue-restore-%s", it->id);
	if (!hexdest || !tmp) {
		rc = refuse(res, SC_ENOMEM, "out of memory");
		goto end_rw;
	}
	if ((rc = journal(q, "restore", "restoring", it->id, hexdest))) {
		refuse(res, rc, "cannot write the store's journal");
		goto end_rw;
	}
	CUT("restoring");
	rc = write_back(q, it, pdfd, tmp, name, res);
	if (rc) {
		journal(q, "restore", "rolled-back", it->id, NULL);
		goto end_rw;
	}
	CUT("renamed");
	journal(q, "restore", "placed", it->id, NULL);
	CUT("placed");
	remove_item_dir(q->dirfd, it->id);
	journal(q, "restore", "done", it->id, NULL);
end_rw:
	{
		char w[256];

		/* Restored, but the volume may have stayed writable: say so. */
		if (sc_rw_end(&rw, w, sizeof(w)) && !rc)
			snprintf(res->why, sizeof(res->why), "%s", w);
	}
out:
	if (pdfd >= 0)
		close(pdfd);
	free(name);
	free(dest);
	free(hexdest);
	free(tmp);
	sc_quar_item_free(it);
	return rc;
}

/* --- recovery --------------------------------------------------------- */

struct pending {
	char id[32];
	char op[16], state[16];
	char *extra; /* restore: the destination, hex */
};

static void add_rec(struct sc_quar_recovery **rec, size_t *nrec,
		    const char *id, const char *op, const char *outcome,
		    const char *detail)
{
	struct sc_quar_recovery *v;

	if (!rec || !(v = realloc(*rec, (*nrec + 1) * sizeof(*v))))
		return;
	*rec = v;
	v = &v[(*nrec)++];
	snprintf(v->id, sizeof(v->id), "%s", id);
	v->op = !strcmp(op, "restore") ? "restore"
		: !strcmp(op, "delete") ? "delete"
		: !strcmp(op, "copy")	? "copy"
					: "quarantine";
	v->outcome = outcome;
	snprintf(v->detail, sizeof(v->detail), "%s", detail);
}

/* The last journal state of every id whose operation is not finished. */
static int read_journal(struct sc_quar *q, struct pending **out, size_t *n)
{
	FILE *f;
	char line[8192];
	struct pending *v = NULL;
	size_t cnt = 0;
	int fd = openat(q->dirfd, JOURNAL, O_RDONLY | O_CLOEXEC);

	*out = NULL;
	*n = 0;
	if (fd < 0)
		return errno == ENOENT ? SC_OK : SC_EOPEN;
	f = fdopen(fd, "r");
	if (!f) {
		close(fd);
		return SC_ENOMEM;
	}
	while (fgets(line, sizeof(line), f)) {
		char t[40], op[16], state[16], id[32], extra[8192];
		int k = sscanf(line, "%39s %15s %15s %31s %8191s", t, op, state,
			       id, extra);
		size_t i;

		if (k < 4 || !valid_id(id))
			continue; /* a torn last line: the step did not happen */
		for (i = 0; i < cnt && strcmp(v[i].id, id); i++)
			;
		if (i == cnt) {
			struct pending *nv = realloc(v, (cnt + 1) * sizeof(*v));

			if (!nv)
				break;
			v = nv;
			memset(&v[cnt], 0, sizeof(*v));
			snprintf(v[cnt].id, sizeof(v[cnt].id), "%s", id);
			cnt++;
		}
		snprintf(v[i].op, sizeof(v[i].op), "%s", op);
		snprintf(v[i].state, sizeof(v[i].state), "%s", state);
		if (k == 5) {
			free(v[i].extra);
			v[i].extra = sc_xstrdup(extra);
		}
	}
	fclose(f);
	/* Keep the unfinished ones. */
	{
		size_t w = 0;

		for (size_t i = 0; i < cnt; i++) {
			int open = !strcmp(v[i].state, "copied") ||
				   !strcmp(v[i].state, "restoring") ||
				   !strcmp(v[i].state, "placed") ||
				   !strcmp(v[i].state, "begin");

			if (open)
				v[w++] = v[i];
			else
				free(v[i].extra);
		}
		cnt = w;
	}
	*out = v;
	*n = cnt;
	return SC_OK;
}

static void recover_quarantine(struct sc_quar *q, const struct pending *p,
			       struct sc_quar_recovery **rec, size_t *nrec)
{
	struct sc_quar_item *it;
	struct sc_volume v;
	char why[512] = "", *path, *name = NULL;
	int pdfd, exists;

	if (load_item(q, p->id, &it)) {
		/* No whole item: the copy never completed; the original is
		 * untouched. */
		journal(q, p->op, "rolled-back", p->id, NULL);
		add_rec(rec, nrec, p->id, p->op, "rolled-back",
			"the copy was incomplete; the original was not touched");
		return;
	}
	if (it->state == SC_QUAR_KEPT) {
		journal(q, p->op, "done", p->id, NULL);
		add_rec(rec, nrec, p->id, p->op, "rolled-forward",
			"copied; the original stays in place");
		sc_quar_item_free(it);
		return;
	}
	path = locate(it, &v, why, sizeof(why));
	pdfd = path ? open_parent(path, 0, &name, why, sizeof(why)) : -1;
	if (pdfd >= 0)
		prime_dir(pdfd);
	if (!path) {
		add_rec(rec, nrec, p->id, p->op, "unresolved", why);
	} else if (pdfd >= 0 && same_file(pdfd, name, it->sha256, &exists)) {
		/* The original is still there: undo the copy. */
		remove_item_dir(q->dirfd, it->id);
		journal(q, p->op, "rolled-back", p->id, NULL);
		add_rec(rec, nrec, p->id, p->op, "rolled-back",
			"the original was still in place; the copy was "
			"dropped");
	} else if (pdfd >= 0 || errno == ENOENT) {
		/* Gone: the removal happened; the copy is the file now. */
		it->state = SC_QUAR_QUARANTINED;
		if (update_manifest(q, it) == SC_OK) {
			journal(q, p->op, "rolled-forward", p->id, NULL);
			add_rec(rec, nrec, p->id, p->op, "rolled-forward",
				"the original was already removed; the item is "
				"in quarantine");
		}
	} else {
		add_rec(rec, nrec, p->id, p->op, "unresolved", why);
	}
	if (pdfd >= 0)
		close(pdfd);
	free(name);
	free(path);
	sc_quar_item_free(it);
}

static void recover_restore(struct sc_quar *q, const struct pending *p,
			    struct sc_quar_recovery **rec, size_t *nrec)
{
	struct sc_quar_item *it;
	char why[512] = "", *dest = NULL, *name = NULL, tmp[64];
	size_t dn = 0;
	int pdfd, exists;

	if (load_item(q, p->id, &it)) {
		/* The item is gone: its removal after the restore was cut. */
		remove_item_dir(q->dirfd, p->id);
		journal(q, "restore", "done", p->id, NULL);
		add_rec(rec, nrec, p->id, p->op, "rolled-forward",
			"restored; the item was dropped");
		return;
	}
	if (!strcmp(p->state, "placed")) {
		remove_item_dir(q->dirfd, p->id);
		journal(q, "restore", "done", p->id, NULL);
		add_rec(rec, nrec, p->id, p->op, "rolled-forward",
			"restored; the item was dropped");
		sc_quar_item_free(it);
		return;
	}
	if (p->extra)
		dest = (char *)hex_decode(p->extra, &dn);
	pdfd = dest ? open_parent(dest, 0, &name, why, sizeof(why)) : -1;
	if (pdfd >= 0)
		prime_dir(pdfd);
	if (pdfd >= 0 && same_file(pdfd, name, it->sha256, &exists)) {
		remove_item_dir(q->dirfd, p->id);
		journal(q, "restore", "done", p->id, NULL);
		add_rec(rec, nrec, p->id, p->op, "rolled-forward",
			"the file was back in place; the item was dropped");
	} else if (pdfd >= 0) {
		struct sc_volume v;
		struct sc_rw rw;
		struct stat st;

		char *slash = strrchr(dest, '/');

		/* Not placed: the item stays; drop our temporary file. */
		snprintf(tmp, sizeof(tmp), ".rescue-restore-%s", p->id);
		if (slash)
			*slash = '\0'; /* the directory: dest is not there */
		if (!fstatat(pdfd, tmp, &st, AT_SYMLINK_NOFOLLOW) &&
		    sc_volume_of_path(*dest ? dest : "/", &v) != SC_EOPEN &&
		    !sc_rw_begin(&v, &rw, why, sizeof(why))) {
			unlinkat(pdfd, tmp, 0);
			fsync_dir(pdfd);
			sc_rw_end(&rw, why, sizeof(why));
		}
		journal(q, "restore", "rolled-back", p->id, NULL);
		add_rec(rec, nrec, p->id, p->op, "rolled-back",
			"the restore did not finish; the item stays in "
			"quarantine");
	} else {
		add_rec(rec, nrec, p->id, p->op, "unresolved",
			why[0] ? why : "no destination recorded");
	}
	if (pdfd >= 0)
		close(pdfd);
	free(name);
	free(dest);
	sc_quar_item_free(it);
}

static void recover(struct sc_quar *q, struct sc_quar_recovery **rec,
		    size_t *nrec)
{
	struct pending *p;
	char **names;
	size_t n, nn;

	/* Copies that never completed: the originals were never touched. */
	if (entries(q, &names, &nn) == SC_OK) {
		for (size_t i = 0; i < nn; i++) {
			size_t l = strlen(names[i]);

			if (l > 8 && !strcmp(names[i] + l - 8, ".partial"))
				remove_item_dir(q->dirfd, names[i]);
		}
		free_names(names, nn);
	}
	if (read_journal(q, &p, &n))
		return;
	for (size_t i = 0; i < n; i++) {
		if (!strcmp(p[i].op, "restore"))
			recover_restore(q, &p[i], rec, nrec);
		else if (!strcmp(p[i].op, "delete")) {
			remove_item_dir(q->dirfd, p[i].id);
			journal(q, "delete", "done", p[i].id, NULL);
			add_rec(rec, nrec, p[i].id, "delete", "rolled-forward",
				"deleted");
		} else
			recover_quarantine(q, &p[i], rec, nrec);
		free(p[i].extra);
	}
	free(p);
}

int sc_quar_open(const char *dir, int create, struct sc_quar **out,
		 struct sc_quar_recovery **rec, size_t *nrec)
{
	struct sc_quar *q = calloc(1, sizeof(*q));
	struct flock fl;

	*out = NULL;
	if (rec) {
		*rec = NULL;
		*nrec = 0;
	}
	if (!q)
		return SC_ENOMEM;
	q->dirfd = q->lockfd = q->jfd = -1;
	if (create && mkdir(dir, 0700) && errno != EEXIST) {
		free(q);
		return SC_EOPEN;
	}
	q->dir = sc_xstrdup(dir);
	q->dirfd = open(dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	if (!q->dir || q->dirfd < 0) {
		sc_quar_close(q);
		return q->dir ? SC_EOPEN : SC_ENOMEM;
	}
	q->lockfd = openat(q->dirfd, "lock",
			   O_RDWR | O_CREAT | O_NOFOLLOW | O_CLOEXEC, 0600);
	if (q->lockfd < 0 && errno == EROFS) {
		/*
		 * A stick the kernel made read-only (a FAT error after a
		 * power cut): the items can still be listed, shown and
		 * packed; anything that writes fails with SC_EWRITE, and
		 * recovery waits for a writable store.
		 */
		q->ro = 1;
		q->lockfd = openat(q->dirfd, "lock",
				   O_RDONLY | O_NOFOLLOW | O_CLOEXEC);
	}
	if (q->lockfd < 0 && !q->ro) {
		sc_quar_close(q);
		return SC_EWRITE;
	}
	memset(&fl, 0, sizeof(fl));
	fl.l_type = q->ro ? F_RDLCK : F_WRLCK;
	fl.l_whence = SEEK_SET;
	if (q->lockfd >= 0 && fcntl(q->lockfd, F_SETLK, &fl)) {
		sc_quar_close(q);
		return SC_EBUSY;
	}
	if (!q->ro) {
		q->jfd = openat(q->dirfd, JOURNAL,
				O_WRONLY | O_CREAT | O_APPEND | O_NOFOLLOW |
					O_CLOEXEC,
				0600);
		if (q->jfd < 0) {
			sc_quar_close(q);
			return SC_EWRITE;
		}
		recover(q, rec, nrec);
	}
	*out = q;
	return SC_OK;
}

/* --- rescan ----------------------------------------------------------- */

static int on_rescan(YR_SCAN_CONTEXT *ctx, int msg, void *data, void *ud)
{
	(void)ctx;
	(void)data;
	if (msg == CALLBACK_MSG_RULE_MATCHING)
		*(int *)ud = 1;
	return CALLBACK_CONTINUE;
}

/*
 * 1 if any rule matches data, 0 if none, -1 if the scan failed. Runs in a
 * child process so a hostile sample can only take the child down.
 */
static int scan_isolated(const struct sc_rules *rules, const unsigned char *d,
			 size_t n, const char *path, unsigned timeout)
{
	int st = 0;
	pid_t pid = fork();

	if (pid < 0)
		return -1;
	if (pid == 0) {
		int hit = 0, ok = 1;
		const char *type = sc_sniff_type(d, n);

		for (size_t i = 0; i < sc_rules_set_count(rules); i++) {
			YR_SCANNER *sc;

			if (yr_scanner_create(sc_rules_yara(rules, i), &sc) !=
			    ERROR_SUCCESS) {
				ok = 0;
				break;
			}
			yr_scanner_set_flags(sc, SCAN_FLAGS_REPORT_RULES_MATCHING);
			yr_scanner_set_timeout(sc, (int)timeout);
			yr_scanner_set_callback(sc, on_rescan, &hit);
			sc_set_externals(sc, path, type, "");
			if (yr_scanner_scan_mem(sc, d, n) != ERROR_SUCCESS)
				ok = 0;
			yr_scanner_destroy(sc);
		}
		_exit(!ok ? 3 : hit ? 1 : 0);
	}
	while (waitpid(pid, &st, 0) < 0)
		if (errno != EINTR)
			return -1;
	if (!WIFEXITED(st) || WEXITSTATUS(st) > 1)
		return -1;
	return WEXITSTATUS(st);
}

int sc_quar_rescan(struct sc_quar *q, const struct sc_rules *rules,
		   const char *defs, unsigned timeout,
		   void (*cb)(const struct sc_quar_item *it, void *ctx),
		   void *ctx)
{
	struct sc_quar_item **items;
	size_t n;
	int rc = sc_quar_list(q, &items, &n);
	char t[32];

	if (rc)
		return rc;
	now_utc(t);
	for (size_t i = 0; i < n; i++) {
		struct sc_quar_item *it = items[i];
		unsigned char *data = NULL;
		size_t len = 0;
		char *path = sc_xstrndup(it->path, it->path_len);
		int hit;

		if (!path || sc_quar_payload(q, it, &data, &len)) {
			free(path);
			continue;
		}
		hit = scan_isolated(rules, data, len, path, timeout);
		OPENSSL_cleanse(data, len);
		free(data);
		free(path);
		if (hit < 0)
			continue;
		free(it->rescan_time);
		free(it->rescan_defs);
		it->rescan_time = sc_xstrdup(t);
		it->rescan_defs = sc_xstrdup(defs ? defs : "");
		it->rescan_detected = hit;
		it->likely_fp = !hit && it->ndet > 0;
		if (update_manifest(q, it))
			rc = SC_EWRITE;
		if (cb)
			cb(it, ctx);
	}
	sc_quar_items_free(items, n);
	return rc;
}
