/*
 * Whole disks from sysfs; see sc_disks_list in sc/disk.h.
 */
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/sysmacros.h>
#include <unistd.h>

#include "internal.h"
#include "sc/disk.h"
#include "sc/error.h"
#include "sc/volume.h"

/* Reads a one-line sysfs attribute into buf, trimmed; "" if absent. */
static void attr(const char *root, const char *disk, const char *name,
		 char *buf, size_t n)
{
	char path[512];
	FILE *f;
	size_t len;

	buf[0] = '\0';
	snprintf(path, sizeof(path), "%s/block/%s/%s", root, disk, name);
	f = fopen(path, "r");
	if (!f)
		return;
	if (!fgets(buf, (int)n, f))
		buf[0] = '\0';
	fclose(f);
	len = strlen(buf);
	while (len && (buf[len - 1] == '\n' || buf[len - 1] == ' ' ||
		       buf[len - 1] == '\t'))
		buf[--len] = '\0';
	/* Control bytes from a device's firmware strings are not shown. */
	for (size_t i = 0; i < len; i++)
		if ((unsigned char)buf[i] < 0x20 || buf[i] == 0x7f)
			buf[i] = '?';
}

static uint64_t attr_num(const char *root, const char *disk, const char *name)
{
	char buf[32];

	attr(root, disk, name, buf, sizeof(buf));
	return strtoull(buf, NULL, 10);
}

/* The bus, from the device's place in the sysfs tree and its name. */
static void transport(const char *root, const char *disk, char *out, size_t n)
{
	char link[512], target[1024];
	ssize_t len;

	snprintf(link, sizeof(link), "%s/block/%s", root, disk);
	len = readlink(link, target, sizeof(target) - 1);
	target[len > 0 ? len : 0] = '\0';
	if (!strncmp(disk, "nvme", 4))
		snprintf(out, n, "nvme");
	else if (!strncmp(disk, "mmcblk", 6))
		snprintf(out, n, "mmc");
	else if (!strncmp(disk, "vd", 2) || strstr(target, "/virtio"))
		snprintf(out, n, "virtio");
	else if (strstr(target, "/usb"))
		snprintf(out, n, "usb");
	else if (!strncmp(disk, "sr", 2))
		snprintf(out, n, "optical");
	else if (strstr(target, "/ata"))
		snprintf(out, n, "ata");
	else if (!strncmp(disk, "sd", 2))
		snprintf(out, n, "scsi");
	else
		snprintf(out, n, "other");
}

static int skip_name(const char *n)
{
	return n[0] == '.' || !strncmp(n, "loop", 4) || !strncmp(n, "ram", 3) ||
	       !strncmp(n, "zram", 4) || !strncmp(n, "nbd", 3) ||
	       !strncmp(n, "fd", 2) || !strncmp(n, "dm-", 3) ||
	       !strncmp(n, "md", 2);
}

static int cmp_info(const void *a, const void *b)
{
	return strcmp(((const struct sc_disk_info *)a)->name,
		      ((const struct sc_disk_info *)b)->name);
}

int sc_disks_list(const char *root, struct sc_disk_info **out, size_t *n)
{
	char dir[512];
	struct sc_disk_info *v = NULL;
	size_t cnt = 0;
	struct dirent *de;
	DIR *d;

	*out = NULL;
	*n = 0;
	if (!root)
		root = "/sys";
	snprintf(dir, sizeof(dir), "%s/block", root);
	d = opendir(dir);
	if (!d)
		return SC_EOPEN;
	while ((de = readdir(d))) {
		struct sc_disk_info *p, *info;
		uint64_t sectors;

		if (skip_name(de->d_name) || strlen(de->d_name) >= 32)
			continue;
		/* /sys/block sizes are in 512-byte units, whatever the disk. */
		sectors = attr_num(root, de->d_name, "size");
		if (!sectors)
			continue;
		p = realloc(v, (cnt + 1) * sizeof(*v));
		if (!p) {
			free(v);
			closedir(d);
			return SC_ENOMEM;
		}
		v = p;
		info = &v[cnt++];
		memset(info, 0, sizeof(*info));
		snprintf(info->name, sizeof(info->name), "%s", de->d_name);
		snprintf(info->path, sizeof(info->path), "/dev/%s", de->d_name);
		info->size = sectors * 512;
		info->sector_size = (uint32_t)attr_num(
			root, de->d_name, "queue/logical_block_size");
		info->removable = attr_num(root, de->d_name, "removable") != 0;
		info->readonly = attr_num(root, de->d_name, "ro") != 0;
		attr(root, de->d_name, "device/model", info->model,
		     sizeof(info->model));
		attr(root, de->d_name, "device/serial", info->serial,
		     sizeof(info->serial));
		if (!info->serial[0])
			attr(root, de->d_name, "serial", info->serial,
			     sizeof(info->serial));
		transport(root, de->d_name, info->transport,
			  sizeof(info->transport));
	}
	closedir(d);
	if (cnt)
		qsort(v, cnt, sizeof(*v), cmp_info);
	*out = v;
	*n = cnt;
	return SC_OK;
}

static int fd_read(void *ctx, uint64_t off, void *buf, size_t n)
{
	return sc_pread_all(*(int *)ctx, buf, n, off);
}

/* The kernel's logical sector size of a block device, or 0. */
static uint32_t sysfs_sector_size(dev_t dev)
{
	for (int up = 0; up < 2; up++) {
		char path[96];
		unsigned v = 0;
		FILE *f;

		/* A partition has no queue/ of its own: ask its disk. */
		snprintf(path, sizeof(path),
			 "/sys/dev/block/%u:%u/%squeue/logical_block_size",
			 major(dev), minor(dev), up ? "../" : "");
		f = fopen(path, "r");
		if (!f)
			continue;
		if (fscanf(f, "%u", &v) != 1)
			v = 0;
		fclose(f);
		if (v == 512 || v == 1024 || v == 2048 || v == 4096)
			return v;
	}
	return 0;
}

/*
 * The device node of partition number partno of the disk dev, from the
 * disk's sysfs directory; 0 if not found.
 */
static int part_dev(dev_t disk, unsigned partno, char *name, size_t size,
		    unsigned *maj, unsigned *min)
{
	char dir[96], path[512], buf[32];
	struct dirent *de;
	DIR *d;
	int found = 0;

	snprintf(dir, sizeof(dir), "/sys/dev/block/%u:%u", major(disk),
		 minor(disk));
	d = opendir(dir);
	if (!d)
		return 0;
	while (!found && (de = readdir(d))) {
		FILE *f;
		unsigned n = 0;

		if (de->d_name[0] == '.')
			continue;
		snprintf(path, sizeof(path), "%s/%s/partition", dir, de->d_name);
		f = fopen(path, "r");
		if (!f)
			continue;
		if (fscanf(f, "%u", &n) != 1)
			n = 0;
		fclose(f);
		if (n != partno)
			continue;
		snprintf(path, sizeof(path), "%s/%s/dev", dir, de->d_name);
		f = fopen(path, "r");
		if (!f)
			continue;
		if (fgets(buf, sizeof(buf), f) &&
		    sscanf(buf, "%u:%u", maj, min) == 2) {
			snprintf(name, size, "/dev/%.58s", de->d_name);
			found = 1;
		}
		fclose(f);
	}
	closedir(d);
	return found;
}

/* Filesystem, device and mount point of each partition. */
static void probe_volumes(struct sc_layout *l, int fd, dev_t disk)
{
	for (size_t i = 0; i < l->nparts; i++) {
		struct sc_partition *p = &l->parts[i];
		struct sc_volume v;
		uint64_t n, ss = l->sector_size, nsect = l->size / ss;
		unsigned maj, min;

		if (p->flags & SC_PART_EXTENDED || p->start >= nsect)
			continue;
		n = nsect - p->start < p->sectors ? nsect - p->start
						  : p->sectors;
		memset(&v, 0, sizeof(v));
		sc_volume_probe(fd, p->start * ss, n * ss, &v);
		memcpy(p->fstype, v.fstype, sizeof(p->fstype));
		memcpy(p->label, v.label, sizeof(p->label));
		memcpy(p->uuid, v.uuid, sizeof(p->uuid));
		p->vflags = v.flags;
		if (p->flags & SC_PART_ESP)
			p->vflags |= SC_VOL_ESP;
		if (disk && part_dev(disk, p->number, p->device,
				     sizeof(p->device), &maj, &min))
			sc_volume_mountpoint(maj, min, p->device, p->mountpoint,
					     sizeof(p->mountpoint));
		/* Hibernation shows only through the mounted filesystem. */
		if (!strcmp(p->fstype, "ntfs") && p->mountpoint[0] &&
		    sc_volume_hibernated(p->mountpoint))
			p->vflags |= SC_VOL_HIBERNATED;
	}
	{
		/* A whole-disk filesystem; also the ISO 9660 of a hybrid
		 * image, which carries a partition table as well. */
		struct sc_volume v;

		memset(&v, 0, sizeof(v));
		sc_volume_probe(fd, 0, l->size, &v);
		memcpy(l->fstype, v.fstype, sizeof(l->fstype));
		memcpy(l->label, v.label, sizeof(l->label));
		memcpy(l->uuid, v.uuid, sizeof(l->uuid));
	}
}

int sc_layout_open(const char *path, uint32_t sector_size, uint64_t gap_cap,
		   struct sc_layout **out)
{
	struct sc_reader rd;
	struct stat st;
	off_t size;
	int fd, err;

	*out = NULL;
	fd = open(path, O_RDONLY | O_CLOEXEC | O_NOCTTY);
	if (fd < 0)
		return SC_EOPEN;
	if (fstat(fd, &st) || (!S_ISBLK(st.st_mode) && !S_ISREG(st.st_mode))) {
		close(fd);
		errno = ENOTBLK;
		return SC_ENOTDISK;
	}
	size = lseek(fd, 0, SEEK_END);
	if (size < 0) {
		err = errno;
		close(fd);
		errno = err;
		return SC_EREAD;
	}
	if (!sector_size && S_ISBLK(st.st_mode))
		sector_size = sysfs_sector_size(st.st_rdev);
	rd.read = fd_read;
	rd.ctx = &fd;
	rd.size = (uint64_t)size;
	rd.sector_size = sector_size;
	err = sc_layout_parse(&rd, gap_cap, out);
	if (!err)
		probe_volumes(*out, fd, S_ISBLK(st.st_mode) ? st.st_rdev : 0);
	{
		int e = errno;

		close(fd);
		errno = e;
	}
	return err;
}


static unsigned hex_attr(const char *dir, const char *name)
{
	char path[512], buf[32] = "";
	FILE *f;

	snprintf(path, sizeof(path), "%s/%s", dir, name);
	f = fopen(path, "r");
	if (!f)
		return 0;
	if (!fgets(buf, sizeof(buf), f))
		buf[0] = '\0';
	fclose(f);
	return (unsigned)strtoul(buf, NULL, 16);
}

static const char *controller_kind(unsigned cls, unsigned vendor)
{
	switch ((cls >> 8) & 0xff) {
	case 0x00: return "SCSI";
	case 0x01: return "IDE";
	case 0x04: return vendor == 0x8086 ? "RAID (Intel VMD or RST)" : "RAID";
	case 0x05: return "ATA";
	case 0x06: return "SATA (AHCI)";
	case 0x07: return "SAS";
	case 0x08: return "NVMe";
	default: return "storage";
	}
}

int sc_controllers_list(const char *root, struct sc_controller **out,
			size_t *n)
{
	char base[256], dir[512], link[540], target[512];
	struct sc_controller *v = NULL;
	struct dirent *e;
	size_t cnt = 0;
	DIR *d;

	*out = NULL;
	*n = 0;
	snprintf(base, sizeof(base), "%s/bus/pci/devices", root ? root : "/sys");
	d = opendir(base);
	if (!d)
		return SC_OK;
	while ((e = readdir(d))) {
		struct sc_controller *c;
		unsigned cls;
		ssize_t len;

		if (e->d_name[0] == '.')
			continue;
		snprintf(dir, sizeof(dir), "%.255s/%.255s", base, e->d_name);
		cls = hex_attr(dir, "class");
		if ((cls >> 16) != 0x01)
			continue;
		c = realloc(v, (cnt + 1) * sizeof(*c));
		if (!c) {
			closedir(d);
			free(v);
			return SC_ENOMEM;
		}
		v = c;
		c = &v[cnt++];
		memset(c, 0, sizeof(*c));
		snprintf(c->address, sizeof(c->address), "%.31s", e->d_name);
		c->class_code = cls;
		c->vendor = hex_attr(dir, "vendor");
		c->device = hex_attr(dir, "device");
		snprintf(c->kind, sizeof(c->kind), "%s",
			 controller_kind(cls, c->vendor));
		snprintf(link, sizeof(link), "%s/driver", dir);
		len = readlink(link, target, sizeof(target) - 1);
		if (len > 0) {
			const char *b;

			target[len] = '\0';
			b = strrchr(target, '/');
			snprintf(c->driver, sizeof(c->driver), "%.31s",
				 b ? b + 1 : target);
		}
	}
	closedir(d);
	*out = v;
	*n = cnt;
	return SC_OK;
}
