/*
 * Password-protected ZIP archives; see sc/zip.h.
 */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include <archive.h>
#include <archive_entry.h>

#include "internal.h"
#include "sc/error.h"
#include "sc/zip.h"

/* ZipCrypto; names stored as UTF-8 (and flagged so) whatever the locale. */
#define ZIP_OPTIONS "zip:encryption=zipcrypt,zip:hdrcharset=UTF-8"

/* Relative UTF-8 with no empty, "." or ".." component. */
static int valid_name(const char *name)
{
	const char *p = name;

	if (!name || !*name || !sc_utf8_valid(name, strlen(name)))
		return 0;
	for (;;) {
		size_t n = strcspn(p, "/");

		if (n == 0 || (n == 1 && p[0] == '.') ||
		    (n == 2 && p[0] == '.' && p[1] == '.'))
			return 0;
		if (!p[n])
			return 1;
		p += n + 1;
	}
}

/*
 * The error for a libarchive failure. Setting up (format, options,
 * passphrase) fails only when this libarchive cannot do ZipCrypto: ENOTSUP
 * unless libarchive names a system cause.
 */
static int archive_fail(struct archive *a, int setup)
{
	int e = archive_errno(a);

	if (e == ENOMEM)
		return SC_ENOMEM;
	errno = e > 0 ? e : setup ? ENOTSUP : EIO;
	return SC_EWRITE;
}

static int write_member(struct archive *a, struct archive_entry *e,
			const struct sc_zip_member *m)
{
	const unsigned char *p = m->data;
	size_t left = m->len;

	archive_entry_clear(e);
	archive_entry_set_pathname_utf8(e, m->name);
	archive_entry_set_filetype(e, AE_IFREG);
	archive_entry_set_perm(e, 0644);
	archive_entry_set_size(e, (la_int64_t)m->len);
	archive_entry_set_mtime(e, (time_t)m->mtime, 0);
	if (archive_write_header(a, e) != ARCHIVE_OK)
		return archive_fail(a, 0);
	while (left) {
		la_ssize_t w = archive_write_data(a, p, left);

		if (w <= 0)
			return archive_fail(a, 0);
		p += w;
		left -= (size_t)w;
	}
	if (archive_write_finish_entry(a) != ARCHIVE_OK)
		return archive_fail(a, 0);
	return SC_OK;
}

static int write_archive(int fd, const char *password,
			 const struct sc_zip_member *m, size_t n)
{
	struct archive *a = archive_write_new();
	struct archive_entry *e = archive_entry_new();
	int err = SC_OK, saved;

	if (!a || !e) {
		err = SC_ENOMEM;
		goto out;
	}
	if (archive_write_set_format_zip(a) != ARCHIVE_OK ||
	    archive_write_set_options(a, ZIP_OPTIONS) != ARCHIVE_OK ||
	    archive_write_set_passphrase(a, password) != ARCHIVE_OK) {
		err = archive_fail(a, 1);
		goto out;
	}
	/* A regular file: no padding of the last block. */
	if (archive_write_set_bytes_in_last_block(a, 1) != ARCHIVE_OK ||
	    archive_write_open_fd(a, fd) != ARCHIVE_OK) {
		err = archive_fail(a, 0);
		goto out;
	}
	for (size_t i = 0; i < n && !err; i++)
		err = write_member(a, e, &m[i]);
	if (!err && archive_write_close(a) != ARCHIVE_OK)
		err = archive_fail(a, 0);
out:
	saved = errno; /* freeing may write, and fail, again */
	archive_entry_free(e);
	if (a)
		archive_write_free(a);
	errno = saved;
	return err;
}

/* Creates "path.tmp-PID-N" with O_EXCL; the name is malloc'd. */
static char *create_temp(const char *path, int *fd)
{
	for (unsigned i = 0; i < 1000; i++) {
		char *tmp = sc_xasprintf("%s.tmp-%ld-%u", path,
					 (long)getpid(), i);

		if (!tmp) {
			errno = ENOMEM;
			return NULL;
		}
		*fd = open(tmp, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0600);
		if (*fd >= 0)
			return tmp;
		free(tmp);
		if (errno != EEXIST)
			return NULL;
	}
	return NULL;
}

static int no_hard_links(int e)
{
	return e == EPERM || e == ENOTSUP || e == EOPNOTSUPP || e == ENOSYS;
}

/*
 * Gives the finished temporary file its name, never replacing a file:
 * link() fails if path exists. FAT and exFAT (a rescue stick) have no hard
 * links; there path is claimed with O_EXCL first and the temporary renamed
 * over that empty file. Either way tmp is gone on success.
 */
static int publish(const char *tmp, const char *path)
{
	int fd, e;

	if (!link(tmp, path)) {
		unlink(tmp);
		return SC_OK;
	}
	if (errno == EEXIST)
		return SC_EOPEN;
	if (!no_hard_links(errno))
		return SC_EWRITE;
	fd = open(path, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0600);
	if (fd < 0)
		return errno == EEXIST ? SC_EOPEN : SC_EWRITE;
	close(fd);
	if (rename(tmp, path)) {
		e = errno;
		unlink(path);
		errno = e;
		return SC_EWRITE;
	}
	return SC_OK;
}

/*
 * Makes the new directory entry durable. Best effort: not every filesystem
 * can sync a directory, and the file is in place already.
 */
static void sync_dir(const char *path)
{
	const char *slash = strrchr(path, '/');
	char *dir;
	int fd;

	if (!slash)
		dir = sc_xstrdup(".");
	else if (slash == path)
		dir = sc_xstrdup("/");
	else
		dir = sc_xstrndup(path, (size_t)(slash - path));
	if (!dir)
		return;
	fd = open(dir, O_RDONLY | O_CLOEXEC);
	if (fd >= 0) {
		fsync(fd);
		close(fd);
	}
	free(dir);
}

int sc_zip_write(const char *path, const char *password,
		 const struct sc_zip_member *members, size_t n)
{
	struct stat st;
	char *tmp;
	int fd, err, e;

	if (!path || !*path || !password || !*password || (n && !members))
		return SC_EINVAL;
	for (size_t i = 0; i < n; i++)
		if (!valid_name(members[i].name) ||
		    (members[i].len && !members[i].data))
			return SC_EINVAL;
	/* Refuse early, before any work; publish() checks again, atomically. */
	if (!lstat(path, &st)) {
		errno = EEXIST;
		return SC_EOPEN;
	}
	if (errno != ENOENT)
		return SC_EOPEN;
	tmp = create_temp(path, &fd);
	if (!tmp)
		return errno == ENOMEM ? SC_ENOMEM : SC_EOPEN;
	err = write_archive(fd, password, members, n);
	if (!err && fsync(fd))
		err = SC_EWRITE;
	if (close(fd) && !err)
		err = SC_EWRITE;
	if (!err)
		err = publish(tmp, path);
	if (err) {
		e = errno;
		unlink(tmp);
		errno = e;
	}
	free(tmp);
	if (!err)
		sync_dir(path);
	return err;
}
