/*
 * Helpers shared by the cmocka programs in tests/unit/: fixture paths, temp
 * trees and file writers. Everything is static inline so a test program that
 * uses only some of them still builds under -Werror.
 *
 * Fixtures in tests/data/ are found relative to this source file, so the
 * programs are run from the repository root (as `make test-unit` does), or
 * with SC_TEST_DATA naming the data directory.
 */
#ifndef TESTS_UNIT_H
#define TESTS_UNIT_H

#include <errno.h>
#include <fcntl.h>
#include <ftw.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

/* A fixture under tests/data/; the result is malloc'd. */
static inline char *unit_data(const char *rel)
{
	const char *env = getenv("SC_TEST_DATA");
	const char *self = __FILE__; /* "tests/unit/unit.h" from the root */
	const char *slash = strrchr(self, '/');
	char *p;
	size_t n;

	if (env && *env) {
		n = strlen(env) + strlen(rel) + 2;
		p = malloc(n);
		if (p)
			snprintf(p, n, "%s/%s", env, rel);
		return p;
	}
	n = (slash ? (size_t)(slash - self) : 1) + strlen(rel) + 16;
	p = malloc(n);
	if (p)
		snprintf(p, n, "%.*s/../data/%s", slash ? (int)(slash - self) : 1,
			 slash ? self : ".", rel);
	return p;
}

/* A fresh private directory under $TMPDIR or /tmp; malloc'd. */
static inline char *unit_mkdtemp(void)
{
	const char *tmp = getenv("TMPDIR");
	char *p;
	size_t n;

	if (!tmp || !*tmp)
		tmp = "/tmp";
	n = strlen(tmp) + 32;
	p = malloc(n);
	if (!p)
		return NULL;
	snprintf(p, n, "%s/sc-unit-XXXXXX", tmp);
	if (!mkdtemp(p)) {
		free(p);
		return NULL;
	}
	return p;
}

static inline int unit_rm_one(const char *path, const struct stat *st,
			      int type, struct FTW *ftw)
{
	(void)st;
	(void)ftw;
	if (type == FTW_DP)
		return rmdir(path);
	/* Restore access a test may have removed, then delete. */
	if (type == FTW_DNR)
		chmod(path, 0700);
	return unlink(path);
}

/* Removes a tree made by a test (never follows symlinks). */
static inline void unit_rmtree(const char *dir)
{
	if (dir)
		nftw(dir, unit_rm_one, 16, FTW_DEPTH | FTW_PHYS);
}

/* "dir/name", malloc'd. */
static inline char *unit_join(const char *dir, const char *name)
{
	size_t n = strlen(dir) + strlen(name) + 2;
	char *p = malloc(n);

	if (p)
		snprintf(p, n, "%s/%s", dir, name);
	return p;
}

/* Writes n bytes to dir/name; returns 0 or -1. */
static inline int unit_write(const char *dir, const char *name,
			     const void *data, size_t n)
{
	char *p = unit_join(dir, name);
	int fd, rc = -1;

	if (!p)
		return -1;
	fd = open(p, O_WRONLY | O_CREAT | O_TRUNC, 0644);
	if (fd >= 0) {
		rc = write(fd, data, n) == (ssize_t)n ? 0 : -1;
		if (close(fd))
			rc = -1;
	}
	free(p);
	return rc;
}

static inline int unit_write_str(const char *dir, const char *name,
				 const char *s)
{
	return unit_write(dir, name, s, strlen(s));
}

static inline int unit_mkdir(const char *dir, const char *name)
{
	char *p = unit_join(dir, name);
	int rc = p ? mkdir(p, 0755) : -1;

	free(p);
	return rc;
}

/*
 * The 68-byte EICAR test string, assembled at run time from two halves so
 * that no file of this repository holds it whole.
 */
static inline void unit_eicar(char out[69])
{
	static const char a[] = "X5O!P%@AP[4\\PZX54(P^)7CC)7}$EICAR-";
	static const char b[] = "STANDARD-ANTIVIRUS-TEST-FILE!$H+H*";

	snprintf(out, 69, "%s%s", a, b);
}

/* SHA-256 of the EICAR string (68 bytes, no newline). */
#define UNIT_EICAR_SHA256 \
	"275a021bbfb6489e54d471899f7db9d1663fc695ec2fe2a2c4538aabf651fd0f"

#endif
