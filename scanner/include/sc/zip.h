/*
 * Password-protected ZIP archives, the way antivirus vendors' false-positive
 * desks take samples: every member encrypted with traditional PKWARE
 * encryption ("ZipCrypto") under a password they know, by convention
 * "infected". The cipher is weak, and that is not its job: it keeps mail
 * gateways and on-access scanners from acting on the sample in transit, and
 * every unzip tool on every desk opens it.
 *
 * Archives are written with libarchive (deflate, names stored as UTF-8). The
 * file appears whole or not at all: it is written under a temporary name in
 * the same directory, flushed to disk, then linked into place without ever
 * replacing an existing file.
 */
#ifndef SC_ZIP_H
#define SC_ZIP_H

#include <stddef.h>
#include <stdint.h>

/* The password vendors' false-positive desks expect. */
#define SC_ZIP_PASSWORD "infected"

struct sc_zip_member {
	const char *name; /* inside the archive: UTF-8, relative, no ".." */
	const void *data; /* may be NULL when len is 0 */
	size_t len;
	int64_t mtime;    /* seconds since the epoch */
};

/*
 * Writes a ZIP archive at path (mode 0600) holding the n members, in that
 * order, each encrypted under password (non-empty; libarchive leaves an
 * empty member unencrypted, there being nothing to hide).
 *
 * The archive is written through "path.tmp-*" in the same directory,
 * fsync'd, then linked to path; on filesystems without hard links (FAT,
 * exFAT) path is claimed empty with O_EXCL and the temporary file renamed
 * over it. The directory is fsync'd too. On failure nothing is left behind
 * (a crash in the FAT case can leave path empty).
 *
 * Returns SC_OK; SC_EINVAL for a bad argument or member name; SC_EOPEN if
 * path exists (errno EEXIST: an existing file, or symlink, is never
 * touched) or the temporary file cannot be created (errno); SC_EWRITE if
 * writing, flushing or linking fails (errno: the system's cause, ENOTSUP
 * if this libarchive cannot encrypt, EIO if it gave no cause); SC_ENOMEM.
 */
int sc_zip_write(const char *path, const char *password,
		 const struct sc_zip_member *members, size_t n);

#endif
