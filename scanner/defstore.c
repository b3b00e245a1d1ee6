/*
 * The definitions store; see sc/defstore.h.
 */
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "internal.h"
#include "sc/defs.h"
#include "sc/defstore.h"
#include "sc/error.h"

/* Reads a whole file of at most max bytes; malloc'd. */
static unsigned char *slurp(const char *path, size_t max, size_t *n)
{
	int fd = open(path, O_RDONLY | O_CLOEXEC | O_NOFOLLOW);
	struct stat st;
	unsigned char *b;
	size_t done = 0;

	if (fd < 0)
		return NULL;
	if (fstat(fd, &st) || !S_ISREG(st.st_mode) ||
	    (uint64_t)st.st_size > max) {
		close(fd);
		errno = S_ISREG(st.st_mode) ? EFBIG : EINVAL;
		return NULL;
	}
	b = malloc(st.st_size ? (size_t)st.st_size : 1);
	if (!b) {
		close(fd);
		return NULL;
	}
	while (done < (size_t)st.st_size) {
		ssize_t r = read(fd, b + done, (size_t)st.st_size - done);

		if (r < 0 && errno == EINTR)
			continue;
		if (r <= 0)
			break;
		done += (size_t)r;
	}
	close(fd);
	if (done != (size_t)st.st_size) {
		free(b);
		errno = EIO;
		return NULL;
	}
	*n = done;
	return b;
}

/* Writes data to path through path.tmp, fsync and rename. */
static int write_atomic(const char *path, const void *data, size_t n)
{
	char tmp[4200];
	int fd;
	size_t done = 0;

	snprintf(tmp, sizeof(tmp), "%s.tmp", path);
	fd = open(tmp, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);
	if (fd < 0)
		return -1;
	while (done < n) {
		ssize_t w = write(fd, (const char *)data + done, n - done);

		if (w < 0 && errno == EINTR)
			continue;
		if (w <= 0) {
			close(fd);
			unlink(tmp);
			return -1;
		}
		done += (size_t)w;
	}
	if (fsync(fd) || close(fd) || rename(tmp, path)) {
		unlink(tmp);
		return -1;
	}
	return 0;
}

static void log_line(const char *store, const char *action, const char *set,
		     uint64_t version)
{
	char path[4200], when[32];
	time_t t = time(NULL);
	struct tm tm;
	FILE *f;

	snprintf(path, sizeof(path), "%s/log.txt", store);
	gmtime_r(&t, &tm);
	strftime(when, sizeof(when), "%Y-%m-%dT%H:%M:%SZ", &tm);
	f = fopen(path, "a");
	if (!f)
		return;
	fprintf(f, "%s %s %s %llu\n", when, action, set,
		(unsigned long long)version);
	fflush(f);
	fsync(fileno(f));
	fclose(f);
}

static int cmp_u64(const void *a, const void *b)
{
	uint64_t x = *(const uint64_t *)a, y = *(const uint64_t *)b;

	return x < y ? -1 : x > y;
}

/* Installed versions of a set, ascending (at most 16). */
static size_t versions(const char *dir, uint64_t *v, size_t max)
{
	DIR *d = opendir(dir);
	struct dirent *de;
	size_t n = 0;

	if (!d)
		return 0;
	while ((de = readdir(d)) && n < max) {
		unsigned long long x;
		char tail[8];

		if (sscanf(de->d_name, "v%llu.rdef%7s", &x, tail) == 2 &&
		    !strcmp(tail, "s") && x)
			v[n++] = x;
	}
	closedir(d);
	qsort(v, n, sizeof(*v), cmp_u64);
	return n;
}

static uint64_t read_active(const char *dir)
{
	char path[4200], buf[32] = "";
	FILE *f;

	snprintf(path, sizeof(path), "%.4095s/active", dir);
	f = fopen(path, "r");
	if (!f)
		return 0;
	if (!fgets(buf, sizeof(buf), f))
		buf[0] = '\0';
	fclose(f);
	return strtoull(buf, NULL, 10);
}

static int write_active(const char *dir, uint64_t v)
{
	char path[4200], buf[32];

	snprintf(path, sizeof(path), "%.4095s/active", dir);
	snprintf(buf, sizeof(buf), "%llu\n", (unsigned long long)v);
	return write_atomic(path, buf, strlen(buf));
}

int sc_defstore_install(const char *store, const char *path,
			const struct sc_defs_key *keys, size_t nkeys,
			struct sc_defs_info *info, const char **why)
{
	char dir[4096], dest[4200];
	unsigned char *data;
	uint64_t active, v[16];
	size_t n, nv;
	int err;

	*why = NULL;
	data = slurp(path, SC_DEFS_MAX_SIZE, &n);
	if (!data) {
		if (errno == EFBIG) {
			*why = "oversized: larger than any definitions bundle "
			       "can be";
			return SC_EFORMAT;
		}
		return SC_EOPEN;
	}
	err = sc_defs_verify(data, n, keys, nkeys, info, NULL, why);
	if (err) {
		free(data);
		return err;
	}
	snprintf(dir, sizeof(dir), "%.4000s/%.31s", store, info->set);
	active = read_active(dir);
	if (info->version <= active) {
		free(data);
		*why = info->version == active
			       ? "this version is already installed"
			       : "older than the installed version (a "
				 "downgrade must be an explicit rollback)";
		return SC_EINVAL;
	}
	if ((mkdir(store, 0755) && errno != EEXIST) ||
	    (mkdir(dir, 0755) && errno != EEXIST)) {
		free(data);
		return SC_EWRITE;
	}
	snprintf(dest, sizeof(dest), "%s/v%llu.rdefs", dir,
		 (unsigned long long)info->version);
	if (write_atomic(dest, data, n) || write_active(dir, info->version)) {
		free(data);
		return SC_EWRITE;
	}
	free(data);
	log_line(store, "install", info->set, info->version);
	/* Keep the newest versions; the active one is the newest here. */
	nv = versions(dir, v, 16);
	for (size_t i = 0; i + SC_DEFSTORE_KEEP < nv; i++) {
		snprintf(dest, sizeof(dest), "%s/v%llu.rdefs", dir,
			 (unsigned long long)v[i]);
		unlink(dest);
	}
	return SC_OK;
}

int sc_defstore_list(const char *store, const struct sc_defs_key *keys,
		     size_t nkeys, struct sc_defstore_set **out, size_t *n)
{
	DIR *d = opendir(store);
	struct dirent *de;
	struct sc_defstore_set *v = NULL;
	size_t cnt = 0;

	*out = NULL;
	*n = 0;
	if (!d)
		return SC_EOPEN;
	while ((de = readdir(d))) {
		struct sc_defstore_set *s, *p;
		char dir[4096], flag[4200];
		unsigned char *data;
		size_t len;

		if (!sc_defs_valid_set(de->d_name))
			continue;
		snprintf(dir, sizeof(dir), "%.4000s/%.31s", store, de->d_name);
		p = realloc(v, (cnt + 1) * sizeof(*v));
		if (!p) {
			free(v);
			closedir(d);
			return SC_ENOMEM;
		}
		v = p;
		s = &v[cnt++];
		memset(s, 0, sizeof(*s));
		snprintf(s->name, sizeof(s->name), "%.31s", de->d_name);
		s->nversions = versions(dir, s->versions, 16);
		s->active = read_active(dir);
		snprintf(flag, sizeof(flag), "%s/disabled", dir);
		s->disabled = access(flag, F_OK) == 0;
		snprintf(s->path, sizeof(s->path), "%s/v%llu.rdefs", dir,
			 (unsigned long long)s->active);
		if (!s->active) {
			s->problem = "no active version";
			continue;
		}
		data = slurp(s->path, SC_DEFS_MAX_SIZE, &len);
		if (!data) {
			s->problem = "the active bundle is missing";
			continue;
		}
		if (sc_defs_verify(data, len, keys, nkeys, &s->info, &s->key,
				   &s->problem) == SC_OK &&
		    (strcmp(s->info.set, s->name) ||
		     s->info.version != s->active))
			s->problem = "the active bundle is not the version "
				     "the store names";
		free(data);
	}
	closedir(d);
	*out = v;
	*n = cnt;
	return SC_OK;
}

int sc_defstore_rollback(const char *store, const char *set,
			 uint64_t *version, const char **why)
{
	char dir[4096];
	uint64_t v[16], active, prev = 0;
	size_t n;

	*why = NULL;
	if (!sc_defs_valid_set(set)) {
		*why = "not a set name";
		return SC_EINVAL;
	}
	snprintf(dir, sizeof(dir), "%.4000s/%.31s", store, set);
	active = read_active(dir);
	n = versions(dir, v, 16);
	for (size_t i = 0; i < n; i++)
		if (v[i] < active)
			prev = v[i];
	if (!active || !prev) {
		*why = active ? "no older version is installed"
			      : "the set is not installed";
		return SC_EINVAL;
	}
	if (write_active(dir, prev))
		return SC_EWRITE;
	log_line(store, "rollback", set, prev);
	*version = prev;
	return SC_OK;
}

int sc_defstore_enable(const char *store, const char *set, int enable,
		       const char **why)
{
	char dir[4096], flag[4200];

	*why = NULL;
	if (!sc_defs_valid_set(set)) {
		*why = "not a set name";
		return SC_EINVAL;
	}
	snprintf(dir, sizeof(dir), "%.4000s/%.31s", store, set);
	if (!read_active(dir)) {
		*why = "the set is not installed";
		return SC_EINVAL;
	}
	snprintf(flag, sizeof(flag), "%s/disabled", dir);
	if (enable) {
		if (unlink(flag) && errno != ENOENT)
			return SC_EWRITE;
	} else if (write_atomic(flag, "disabled\n", 9)) {
		return SC_EWRITE;
	}
	log_line(store, enable ? "enable" : "disable", set, read_active(dir));
	return SC_OK;
}
