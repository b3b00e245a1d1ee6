/*
 * Volumes: what filesystem a partition holds, and whether it is safe to
 * write to later.
 *
 * sc_volume_probe identifies a filesystem with libblkid (type, label, UUID)
 * and adds what a rescue tool must know about it: BitLocker and LUKS are
 * encrypted; an NTFS volume whose $Volume says "dirty" was not shut down
 * cleanly. sc_volume_of_path maps a mounted directory back to its device,
 * partition and disk, and on NTFS also reads hiberfil.sys: a hibernated
 * Windows (hibernation or Fast Startup) must never be written to, since
 * Windows would resume over our changes. Such volumes get a plain sentence
 * in read_only_reason.
 */
#ifndef SC_VOLUME_H
#define SC_VOLUME_H

#include <stddef.h>
#include <stdint.h>

enum {
	SC_VOL_ENCRYPTED = 1 << 0,  /* BitLocker, LUKS */
	SC_VOL_DIRTY = 1 << 1,      /* NTFS dirty flag set */
	SC_VOL_HIBERNATED = 1 << 2, /* hiberfil.sys holds a hibernation image */
	SC_VOL_ESP = 1 << 3,        /* an EFI system partition */
};

struct sc_volume {
	char device[64];     /* "/dev/vda1"; "" when unknown */
	char disk[64];       /* the whole disk, "/dev/vda"; "" when unknown */
	unsigned partition;  /* partition number; 0 for a whole disk */
	char mountpoint[256];
	char fstype[24];     /* libblkid TYPE ("ntfs", "vfat", "BitLocker"...) */
	char label[64];
	char uuid[64];
	char serial[64];     /* the disk's serial number (sysfs), or "" */
	char part_uuid[64];  /* the partition's GPT GUID or MBR id, or "" */
	unsigned flags;      /* SC_VOL_* */
	/* Why no action may write to this volume, or NULL. Static string. */
	const char *read_only_reason;
};

/*
 * Identifies the filesystem in [offset, offset+size) of the open fd (a
 * partition device: offset 0, size 0 for all of it). Leaves fields it
 * cannot fill empty. Returns SC_OK (also when nothing is recognised).
 */
int sc_volume_probe(int fd, uint64_t offset, uint64_t size,
		    struct sc_volume *v);

/*
 * Fills v for the filesystem mounted at or containing path, from
 * /proc/self/mountinfo and sysfs, then probes the device and, for NTFS,
 * looks for a hibernation image. SC_EOPEN if path does not exist, SC_EINVAL
 * if it is on no block device (tmpfs...): v then holds what is known.
 */
int sc_volume_of_path(const char *path, struct sc_volume *v);

/*
 * Where the block device major:minor (device node devpath, may be NULL) is
 * mounted: the first mount in /proc/self/mountinfo whose device number or
 * source is it (btrfs mounts show an anonymous device number, so the source
 * counts too). Returns 1 and fills mnt, or 0 if it is not mounted.
 */
int sc_volume_mountpoint(unsigned major, unsigned minor, const char *devpath,
			 char *mnt, size_t size);

/*
 * Finds the volume whose filesystem UUID is uuid among the mounted ones
 * (mounts of a volume's root only). Returns 1 and fills v, or 0.
 */
int sc_volume_find_uuid(const char *uuid, struct sc_volume *v);

/* Name of one SC_VOL_* bit ("encrypted", "dirty", "hibernated", "ESP"). */
const char *sc_volume_flag_name(unsigned bit);

#endif
