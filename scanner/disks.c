/*
 * Whole disks from sysfs; see sc_disks_list in sc/disk.h.
 */
#include <dirent.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "internal.h"
#include "sc/disk.h"
#include "sc/error.h"

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
