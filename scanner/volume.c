/*
 * Volumes: libblkid identification, NTFS dirty and hibernation checks, and
 * mount-point to device mapping; see sc/volume.h.
 */
#include <ctype.h>
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/ioctl.h>
#include <sys/mount.h>
#include <sys/stat.h>
#include <sys/sysmacros.h>
#include <unistd.h>

#include <blkid/blkid.h>

#include "internal.h"
#include "part.h"
#include "sc/disk.h"
#include "sc/error.h"
#include "sc/volume.h"

static const char hibernated_reason[] =
	"Windows on this volume is hibernated (hibernation or Fast Startup): "
	"it is scanned read-only and nothing will be written to it, because "
	"Windows would resume over any change. Start Windows and shut it down "
	"fully (Shift + Shut down, or 'shutdown /s /t 0'), or restart it, then "
	"scan again to act on it.";
static const char dirty_reason[] =
	"this NTFS volume was not shut down cleanly (its dirty flag is set): "
	"it is scanned read-only and nothing will be written to it until "
	"Windows has checked it (chkdsk).";
static const char encrypted_reason[] =
	"the volume is encrypted: without its key it cannot be read, so it "
	"was not scanned.";

const char *sc_volume_flag_name(unsigned bit)
{
	switch (bit) {
	case SC_VOL_ENCRYPTED: return "encrypted";
	case SC_VOL_DIRTY: return "dirty";
	case SC_VOL_HIBERNATED: return "hibernated";
	case SC_VOL_ESP: return "ESP";
	default: return "unknown";
	}
}

static void set_reason(struct sc_volume *v)
{
	if (v->flags & SC_VOL_ENCRYPTED)
		v->read_only_reason = encrypted_reason;
	else if (v->flags & SC_VOL_HIBERNATED)
		v->read_only_reason = hibernated_reason;
	else if (v->flags & SC_VOL_DIRTY)
		v->read_only_reason = dirty_reason;
	else
		v->read_only_reason = NULL;
}

/*
 * The NTFS dirty flag: $Volume is MFT record 3; its VOLUME_INFORMATION
 * attribute (0x70) holds the flags, bit 0 = dirty. Returns 1 dirty, 0 clean,
 * -1 unknown (damaged or unreadable; not guessed).
 */
static int ntfs_dirty(int fd, uint64_t base, uint64_t size)
{
	unsigned char bs[512], *rec = NULL;
	uint32_t bps, spc, recsize, aoff;
	uint64_t cluster, mft;
	uint16_t usa_off, usa_n, usn;
	int8_t cpr;
	int result = -1;

	if (sc_pread_all(fd, bs, sizeof(bs), base) || memcmp(bs + 3, "NTFS    ", 8))
		return -1;
	bps = sc_le16(bs + 11);
	spc = bs[13];
	if (bps < 256 || bps > 4096 || (bps & (bps - 1)))
		return -1;
	if (spc > 0x80) /* stored as a negative power of two */
		spc = spc >= 0xe0 ? 1u << (256 - spc) : 0;
	if (!spc)
		return -1;
	cluster = (uint64_t)bps * spc;
	if (cluster > (2u << 20))
		return -1;
	cpr = (int8_t)bs[0x40];
	if (cpr < 0)
		recsize = cpr >= -31 ? 1u << -cpr : 0;
	else
		recsize = (uint32_t)cpr * (uint32_t)cluster;
	if (recsize < 512 || recsize > 65536 || recsize % bps)
		return -1;
	mft = sc_le64(bs + 0x30);
	if (mft > UINT64_MAX / cluster)
		return -1;
	mft = mft * cluster + 3ull * recsize;
	if (size && (mft >= size || recsize > size - mft))
		return -1;
	rec = malloc(recsize);
	if (!rec || sc_pread_all(fd, rec, recsize, base + mft) ||
	    memcmp(rec, "FILE", 4))
		goto out;
	/* Undo the update sequence: the last 2 bytes of each sector. */
	usa_off = sc_le16(rec + 4);
	usa_n = sc_le16(rec + 6);
	if (usa_n < 1 || usa_off < 8 || (size_t)usa_off + 2u * usa_n > recsize ||
	    (uint32_t)(usa_n - 1) * bps > recsize)
		goto out;
	usn = sc_le16(rec + usa_off);
	for (uint32_t i = 1; i < usa_n; i++) {
		unsigned char *end = rec + i * bps - 2;

		if (sc_le16(end) != usn)
			goto out; /* torn write: do not trust the record */
		memcpy(end, rec + usa_off + 2 * i, 2);
	}
	aoff = sc_le16(rec + 0x14);
	while (aoff + 16 <= recsize) {
		uint32_t type = sc_le32(rec + aoff);
		uint32_t alen = sc_le32(rec + aoff + 4);

		if (type == 0xffffffffu || alen < 16 || alen > recsize - aoff)
			break;
		if (type == 0x70 && rec[aoff + 8] == 0 && alen >= 24) {
			uint32_t vlen = sc_le32(rec + aoff + 0x10);
			uint16_t voff = sc_le16(rec + aoff + 0x14);

			if (vlen >= 12 && voff <= alen && vlen <= alen - voff)
				result = sc_le16(rec + aoff + voff + 10) & 1;
			break;
		}
		aoff += alen;
	}
out:
	free(rec);
	return result;
}

static void copy_value(blkid_probe pr, const char *name, char *out,
		       size_t size)
{
	const char *val = NULL;
	size_t len = 0;

	out[0] = '\0';
	if (blkid_probe_lookup_value(pr, name, &val, &len) || !val)
		return;
	snprintf(out, size, "%s", val);
	/* Labels come from the disk: no control bytes, valid UTF-8 only. */
	for (char *p = out; *p; p++)
		if ((unsigned char)*p < 0x20 || *p == 0x7f)
			*p = '?';
	if (!sc_utf8_valid(out, strlen(out)))
		for (char *p = out; *p; p++)
			if ((unsigned char)*p >= 0x80)
				*p = '?';
}

int sc_volume_probe(int fd, uint64_t offset, uint64_t size,
		    struct sc_volume *v)
{
	blkid_probe pr = blkid_new_probe();
	int rc;

	v->fstype[0] = v->label[0] = v->uuid[0] = '\0';
	if (!pr)
		return SC_ENOMEM;
	if (blkid_probe_set_device(pr, fd, (blkid_loff_t)offset,
				   (blkid_loff_t)size)) {
		blkid_free_probe(pr);
		return SC_OK;
	}
	blkid_probe_enable_superblocks(pr, 1);
	blkid_probe_set_superblocks_flags(pr, BLKID_SUBLKS_TYPE |
						      BLKID_SUBLKS_LABEL |
						      BLKID_SUBLKS_UUID |
						      BLKID_SUBLKS_USAGE);
	rc = blkid_do_safeprobe(pr);
	if (rc == 0) {
		char usage[16];

		copy_value(pr, "TYPE", v->fstype, sizeof(v->fstype));
		copy_value(pr, "LABEL", v->label, sizeof(v->label));
		copy_value(pr, "UUID", v->uuid, sizeof(v->uuid));
		copy_value(pr, "USAGE", usage, sizeof(usage));
		if (!strcmp(usage, "crypto") || !strcmp(v->fstype, "BitLocker") ||
		    !strcmp(v->fstype, "crypto_LUKS"))
			v->flags |= SC_VOL_ENCRYPTED;
	} else if (rc == -2) {
		snprintf(v->fstype, sizeof(v->fstype), "ambiguous");
	}
	blkid_free_probe(pr);
	if (!v->fstype[0]) {
		/* libblkid wants the whole FVE metadata; the boot sector's OEM
		 * name is enough to know the volume is BitLocker and must not
		 * be treated as empty or unknown. */
		unsigned char bs[16];

		if (!sc_pread_all(fd, bs, sizeof(bs), offset) &&
		    !memcmp(bs + 3, "-FVE-FS-", 8)) {
			snprintf(v->fstype, sizeof(v->fstype), "BitLocker");
			v->flags |= SC_VOL_ENCRYPTED;
		}
	}
	if (!strcmp(v->fstype, "ntfs") && ntfs_dirty(fd, offset, size) == 1)
		v->flags |= SC_VOL_DIRTY;
	set_reason(v);
	return SC_OK;
}

/* Undoes mountinfo's octal escapes (\040 for a space...) in place. */
static void unescape(char *s)
{
	char *o = s;

	while (*s) {
		if (s[0] == '\\' && s[1] >= '0' && s[1] <= '3' && s[2] >= '0' &&
		    s[2] <= '7' && s[3] >= '0' && s[3] <= '7') {
			*o++ = (char)((s[1] - '0') << 6 | (s[2] - '0') << 3 |
				      (s[3] - '0'));
			s += 4;
		} else {
			*o++ = *s++;
		}
	}
	*o = '\0';
}

/*
 * One mountinfo line: "id parent major:minor root mountpoint options
 * [optional fields] - fstype source superoptions". Fills the fields it
 * finds (mp and src unescaped); 0 on success.
 */
struct mountinfo {
	char *root, *mp, *opts, *fstype, *src, *superopts;
};

static int mountinfo_fields(char *line, unsigned *maj, unsigned *min,
			    struct mountinfo *m)
{
	char *save = NULL, *tok;
	int field = 0, after_dash = 0;

	memset(m, 0, sizeof(*m));
	for (tok = strtok_r(line, " \n", &save); tok;
	     tok = strtok_r(NULL, " \n", &save), field++) {
		if (after_dash) {
			after_dash++;
			if (after_dash == 2)
				m->fstype = tok;
			else if (after_dash == 3)
				m->src = tok;
			else if (after_dash == 4)
				m->superopts = tok;
			continue;
		}
		if (field == 2 && sscanf(tok, "%u:%u", maj, min) != 2)
			return -1;
		if (field == 3)
			m->root = tok;
		if (field == 4)
			m->mp = tok;
		if (field == 5)
			m->opts = tok;
		if (field > 5 && !strcmp(tok, "-"))
			after_dash = 1;
	}
	if (!m->mp)
		return -1;
	unescape(m->mp);
	if (m->src)
		unescape(m->src);
	if (m->root)
		unescape(m->root);
	return 0;
}

static int mountinfo_line(char *line, unsigned *maj, unsigned *min,
			  char **mp, char **src)
{
	struct mountinfo m;
	int rc = mountinfo_fields(line, maj, min, &m);

	*mp = m.mp;
	*src = m.src;
	return rc;
}

int sc_volume_mountpoint(unsigned maj, unsigned min, const char *devpath,
			 char *mnt, size_t size)
{
	FILE *f = fopen("/proc/self/mountinfo", "r");
	char line[4096];
	int found = 0;

	if (!f)
		return 0;
	while (!found && fgets(line, sizeof(line), f)) {
		unsigned a = 0, b = 0;
		char *mp, *src;

		if (mountinfo_line(line, &a, &b, &mp, &src))
			continue;
		if ((a == maj && b == min) ||
		    (devpath && src && !strcmp(src, devpath))) {
			snprintf(mnt, size, "%s", mp);
			found = 1;
		}
	}
	fclose(f);
	return found;
}

/*
 * The mount holding path: the longest mount point that prefixes it, those
 * with path's st_dev first. Fills its mount point and source. A btrfs
 * volume's st_dev is an anonymous number that may match no mountinfo line;
 * its source still names the block device. Returns 1 when found.
 */
static int mount_of(dev_t dev, const char *path, char *mnt, size_t mnt_size,
		    char *source, size_t src_size)
{
	FILE *f = fopen("/proc/self/mountinfo", "r");
	char line[4096];
	size_t best = 0;
	int found = 0; /* 2: found with a matching device number */

	if (!f)
		return 0;
	while (fgets(line, sizeof(line), f)) {
		unsigned a = 0, b = 0;
		char *mp, *src;
		size_t n;
		int rank;

		if (mountinfo_line(line, &a, &b, &mp, &src))
			continue;
		n = strlen(mp);
		if (strncmp(path, mp, n) ||
		    (path[n] && path[n] != '/' && strcmp(mp, "/")))
			continue;
		rank = a == major(dev) && b == minor(dev) ? 2 : 1;
		if (rank > found || (rank == found && n > best)) {
			snprintf(mnt, mnt_size, "%s", mp);
			snprintf(source, src_size, "%s", src ? src : "");
			best = n;
			found = rank;
		}
	}
	fclose(f);
	return found != 0;
}

/* Reads the first line of a small sysfs file; -1 if absent. */
static int read_line(const char *path, char *buf, size_t size)
{
	FILE *f = fopen(path, "r");
	size_t n;

	if (!f)
		return -1;
	if (!fgets(buf, (int)size, f))
		buf[0] = '\0';
	fclose(f);
	n = strlen(buf);
	while (n && (buf[n - 1] == '\n' || buf[n - 1] == ' '))
		buf[--n] = '\0';
	return 0;
}

/* Device and disk names of major:minor from /sys/dev/block. */
static void sysfs_names(unsigned maj, unsigned min, struct sc_volume *v)
{
	char link[128], target[1024], buf[32], *base, *slash;
	ssize_t n;

	snprintf(link, sizeof(link), "/sys/dev/block/%u:%u", maj, min);
	n = readlink(link, target, sizeof(target) - 1);
	if (n <= 0)
		return;
	target[n] = '\0';
	base = strrchr(target, '/');
	base = base ? base + 1 : target;
	snprintf(v->device, sizeof(v->device), "/dev/%.58s", base);
	snprintf(link, sizeof(link), "/sys/dev/block/%u:%u/partition", maj,
		 min);
	if (read_line(link, buf, sizeof(buf)) == 0) {
		v->partition = (unsigned)strtoul(buf, NULL, 10);
		if (base > target) {
			base[-1] = '\0';
			slash = strrchr(target, '/');
			snprintf(v->disk, sizeof(v->disk), "/dev/%.58s",
				 slash ? slash + 1 : target);
		}
	} else {
		snprintf(v->disk, sizeof(v->disk), "%s", v->device);
	}
}

int sc_volume_hibernated(const char *mountpoint)
{
	int dfd = open(mountpoint, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	unsigned char magic[4];
	struct dirent *de;
	int fd = -1, result = 0;
	DIR *d;

	if (dfd < 0)
		return 0;
	d = fdopendir(dfd);
	if (!d) {
		close(dfd);
		return 0;
	}
	/* NTFS names are case-insensitive; the driver may show any case. */
	while ((de = readdir(d))) {
		const char *a = de->d_name, *b = "hiberfil.sys";

		while (*a && *b && tolower((unsigned char)*a) == *b) {
			a++;
			b++;
		}
		if (!*a && !*b) {
			fd = openat(dirfd(d), de->d_name,
				    O_RDONLY | O_NOFOLLOW | O_NONBLOCK |
					    O_CLOEXEC);
			break;
		}
	}
	if (fd >= 0) {
		struct stat st;

		if (!fstat(fd, &st) && S_ISREG(st.st_mode) &&
		    sc_pread_all(fd, magic, 4, 0) == 0)
			result = !memcmp(magic, "hibr", 4) ||
				 !memcmp(magic, "HIBR", 4) ||
				 !memcmp(magic, "rstr", 4) ||
				 !memcmp(magic, "RSTR", 4);
		close(fd);
	}
	closedir(d);
	return result;
}

/*
 * From the partition table of the volume's disk: the ESP flag and the
 * partition's GUID (GPT) or "DISKID-NN" (MBR, as Linux's PARTUUID).
 */
static void from_layout(struct sc_volume *v)
{
	struct sc_layout *l;

	if (!v->partition || !v->disk[0] ||
	    sc_layout_open(v->disk, 0, 0, &l))
		return;
	for (size_t i = 0; i < l->nparts; i++) {
		if (l->parts[i].number != v->partition)
			continue;
		if (l->parts[i].flags & SC_PART_ESP)
			v->flags |= SC_VOL_ESP;
		if (l->parts[i].guid[0])
			snprintf(v->part_uuid, sizeof(v->part_uuid), "%s",
				 l->parts[i].guid);
		else if (!strcmp(l->table, "mbr"))
			snprintf(v->part_uuid, sizeof(v->part_uuid),
				 "%08x-%02x", (unsigned)l->mbr_id,
				 v->partition);
	}
	sc_layout_free(l);
}

/* The disk's serial number, where the driver gives one in sysfs. */
static void disk_serial(struct sc_volume *v)
{
	static const char *const where[] = { "serial", "device/serial",
					     "device/wwid" };
	const char *name = strrchr(v->disk, '/');
	char path[192];

	if (!name)
		return;
	for (size_t i = 0; i < sizeof(where) / sizeof(*where); i++) {
		snprintf(path, sizeof(path), "/sys/class/block/%s/%s",
			 name + 1, where[i]);
		if (!read_line(path, v->serial, sizeof(v->serial)) &&
		    v->serial[0])
			return;
	}
	v->serial[0] = '\0';
}

int sc_volume_of_path(const char *path, struct sc_volume *v)
{
	struct stat st;
	int fd;

	char source[256] = "";

	memset(v, 0, sizeof(*v));
	if (stat(path, &st))
		return SC_EOPEN;
	mount_of(st.st_dev, path, v->mountpoint, sizeof(v->mountpoint), source,
		 sizeof(source));
	sysfs_names(major(st.st_dev), minor(st.st_dev), v);
	if (!v->device[0] && !strncmp(source, "/dev/", 5)) {
		/* Anonymous device number (btrfs): go by the mount source. */
		struct stat bs;

		if (!stat(source, &bs) && S_ISBLK(bs.st_mode))
			sysfs_names(major(bs.st_rdev), minor(bs.st_rdev), v);
	}
	if (!v->device[0])
		return SC_EINVAL;
	fd = open(v->device, O_RDONLY | O_CLOEXEC | O_NOCTTY);
	if (fd >= 0) {
		sc_volume_probe(fd, 0, 0, v);
		close(fd);
	}
	if (!strcmp(v->fstype, "ntfs") && v->mountpoint[0] &&
	    sc_volume_hibernated(v->mountpoint))
		v->flags |= SC_VOL_HIBERNATED;
	from_layout(v);
	disk_serial(v);
	set_reason(v);
	return SC_OK;
}

int sc_volume_find_uuid(const char *uuid, struct sc_volume *v)
{
	FILE *f;
	char line[4096];
	int found = 0;

	if (!uuid || !*uuid || !(f = fopen("/proc/self/mountinfo", "r")))
		return 0;
	while (!found && fgets(line, sizeof(line), f)) {
		struct mountinfo m;
		unsigned a, b;

		if (mountinfo_fields(line, &a, &b, &m) || !m.root ||
		    strcmp(m.root, "/") || !m.src || strncmp(m.src, "/dev/", 5))
			continue;
		if (sc_volume_of_path(m.mp, v) == SC_OK &&
		    !strcmp(v->mountpoint, m.mp) && !strcasecmp(v->uuid, uuid))
			found = 1;
	}
	fclose(f);
	return found;
}

/* The mount options of the mount at mnt; 0 if found. */
static int mount_options(const char *mnt, int *ro, unsigned long *flags)
{
	FILE *f = fopen("/proc/self/mountinfo", "r");
	char line[4096];
	int found = 0;

	if (!f)
		return -1;
	while (fgets(line, sizeof(line), f)) {
		struct mountinfo m;
		unsigned a, b;
		char *save = NULL, *o;

		if (mountinfo_fields(line, &a, &b, &m) || strcmp(m.mp, mnt) ||
		    !m.opts)
			continue;
		/* The last mount at mnt is the one in use. */
		found = 1;
		*ro = 0;
		*flags = 0;
		for (o = strtok_r(m.opts, ",", &save); o;
		     o = strtok_r(NULL, ",", &save)) {
			if (!strcmp(o, "ro"))
				*ro = 1;
			else if (!strcmp(o, "nosuid"))
				*flags |= MS_NOSUID;
			else if (!strcmp(o, "nodev"))
				*flags |= MS_NODEV;
			else if (!strcmp(o, "noexec"))
				*flags |= MS_NOEXEC;
			else if (!strcmp(o, "noatime"))
				*flags |= MS_NOATIME;
		}
		if (m.superopts && (!strncmp(m.superopts, "ro,", 3) ||
				    !strcmp(m.superopts, "ro")))
			*ro = 1;
	}
	fclose(f);
	return found ? 0 : -1;
}

/* Sets a block device's read-only flag; returns the old one, or -1. */
static int set_blk_ro(const char *dev, int ro)
{
	int fd, old = 0;

	if (!*dev || (fd = open(dev, O_RDONLY | O_CLOEXEC | O_NONBLOCK)) < 0)
		return -1;
	if (ioctl(fd, BLKROGET, &old) || ioctl(fd, BLKROSET, &ro)) {
		close(fd);
		return -1;
	}
	close(fd);
	return old;
}

int sc_rw_begin(const struct sc_volume *v, struct sc_rw *rw, char *why,
		size_t n)
{
	int ro = 0;

	memset(rw, 0, sizeof(*rw));
	if (v->read_only_reason) {
		snprintf(why, n, "%s", v->read_only_reason);
		return -1;
	}
	if (!v->mountpoint[0] || mount_options(v->mountpoint, &ro, &rw->flags))
		return 0; /* not a mount we know: plain file system access */
	if (!ro)
		return 0;
	snprintf(rw->mnt, sizeof(rw->mnt), "%s", v->mountpoint);
	snprintf(rw->device, sizeof(rw->device), "%s", v->device);
	snprintf(rw->disk, sizeof(rw->disk), "%s", v->disk);
	rw->dev_was_ro = set_blk_ro(rw->device, 0) == 1;
	if (rw->disk[0] && strcmp(rw->disk, rw->device))
		rw->disk_was_ro = set_blk_ro(rw->disk, 0) == 1;
	if (mount(v->device, rw->mnt, NULL, MS_REMOUNT | rw->flags, NULL)) {
		int e = errno;

		snprintf(why, n,
			 "cannot make '%s' writable for this action (%s): "
			 "it stays read-only and nothing was changed",
			 rw->mnt, strerror(e));
		if (rw->dev_was_ro)
			set_blk_ro(rw->device, 1);
		if (rw->disk_was_ro)
			set_blk_ro(rw->disk, 1);
		return -1;
	}
	rw->remounted = 1;
	return 0;
}

int sc_rw_end(struct sc_rw *rw, char *why, size_t n)
{
	int rc = 0;

	if (!rw->remounted)
		return 0;
	sync();
	if (mount(rw->device, rw->mnt, NULL, MS_REMOUNT | MS_RDONLY | rw->flags,
		  NULL)) {
		snprintf(why, n, "cannot make '%s' read-only again: %s",
			 rw->mnt, strerror(errno));
		rc = -1;
	}
	if (!rc && rw->dev_was_ro)
		set_blk_ro(rw->device, 1);
	if (!rc && rw->disk_was_ro)
		set_blk_ro(rw->disk, 1);
	rw->remounted = 0;
	return rc;
}
