/*
 * Disk layouts: partition tables and the boot areas they imply.
 *
 * sc_layout_parse reads a disk through a caller-supplied reader, recognises
 * its partition table with the parsers registered in part-list.h (GPT, then
 * MBR with its extended/logical chain; a disk that matches none is "none",
 * possibly a whole-disk filesystem), and lists:
 *  - the partitions, with their types, names and flags;
 *  - the boot areas to scan: the MBR sector, each partition's boot region
 *    (VBR), the EBR sectors, the GPT headers and entry arrays, and every gap
 *    not covered by a partition or table (before the first partition,
 *    between partitions, after the last), each gap capped at gap_cap bytes;
 *  - the problems met, as sentences (bad CRC, backup used, chain loop,
 *    overlap, partition past the end of the disk, hybrid MBR...).
 * Every offset and length read from the disk is checked against the disk
 * size and the buffer it lands in; a hostile table yields problems, never a
 * crash.
 */
#ifndef SC_DISK_H
#define SC_DISK_H

#include <stddef.h>
#include <stdint.h>

/* Reads n bytes at off into buf; returns 0, or -1 with errno set. */
typedef int (*sc_read_fn)(void *ctx, uint64_t off, void *buf, size_t n);

struct sc_reader {
	sc_read_fn read;
	void *ctx;
	uint64_t size;        /* bytes */
	uint32_t sector_size; /* 512 or 4096; 0: guess (GPT at 4096 → 4096) */
};

enum {
	SC_PART_BOOTABLE = 1 << 0, /* MBR active flag, GPT legacy-boot bit */
	SC_PART_EXTENDED = 1 << 1, /* MBR extended container */
	SC_PART_LOGICAL = 1 << 2,  /* inside an extended partition */
	SC_PART_ESP = 1 << 3,      /* EFI system partition */
	SC_PART_PAST_END = 1 << 4, /* extends past the end of the disk */
	SC_PART_OVERLAP = 1 << 5,  /* overlaps another partition */
};

struct sc_partition {
	unsigned number;        /* as Linux numbers it: MBR 1-4, logical 5+ */
	uint64_t start;         /* first sector */
	uint64_t sectors;       /* length in sectors, as the table says */
	uint8_t mbr_type;       /* MBR/EBR type byte; 0 on GPT */
	char type_guid[37];     /* GPT type GUID, lower case; "" on MBR */
	char guid[37];          /* GPT unique partition GUID; "" on MBR */
	char name[112];         /* GPT name as UTF-8; "" on MBR */
	uint64_t attributes;    /* GPT attribute bits */
	const char *type_name;  /* "EFI system", "Linux filesystem", ... */
	unsigned flags;         /* SC_PART_* */
	/* Loader in its boot sector ("Windows boot code (BOOTMGR)", "no boot
	 * code", "unknown code"...) and the SHA-256 of that code. */
	const char *boot_code;
	char boot_code_sha256[65];

	/* Filled by sc_layout_open, not by sc_layout_parse: */
	char fstype[24];        /* libblkid TYPE, "" if none recognised */
	char label[64];
	char uuid[64];
	unsigned vflags;        /* SC_VOL_* (sc/volume.h) */
	char device[64];        /* "/dev/vda1" for a block device, else "" */
	char mountpoint[256];   /* where it is mounted now, or "" */
};

/* A region of the disk to scan from memory. */
struct sc_area {
	char name[48];          /* "mbr", "p2:vbr", "gap@2048+4096", ... */
	const char *filetype;   /* "MBR", "EBR", "VBR", "GAP", "GPT" */
	uint64_t offset, length;
	uint64_t capped;        /* bytes of a gap left out by the cap */
};

struct sc_layout {
	uint64_t size;          /* disk bytes */
	uint32_t sector_size;
	const char *table;      /* "gpt", "mbr" or "none" */
	int hybrid;             /* GPT with a hybrid (not only protective) MBR */
	uint32_t mbr_id;        /* MBR disk signature (bytes 440..443) */
	/* Loader in sector 0 ("GRUB 2", "Windows MBR (Vista or later)",
	 * "unknown code"...; for a whole-disk filesystem, its boot sector's),
	 * and the SHA-256 of that code. Information, not a verdict. */
	const char *boot_code;
	char boot_code_sha256[65];
	char disk_guid[37];     /* GPT disk GUID */
	size_t nparts;
	struct sc_partition *parts;
	size_t nareas;
	struct sc_area *areas;
	size_t nproblems;
	char **problems;
	/* A filesystem starting at sector 0 (table "none", or a hybrid ISO);
	 * filled by sc_layout_open. */
	char fstype[24];
	char label[64];
	char uuid[64];
};

/* Default cap on each gap scanned: 16 MiB. */
#define SC_GAP_CAP_DEFAULT (16ull << 20)

/*
 * Parses the disk behind rd. gap_cap 0 means no cap. On SC_OK *out holds a
 * layout the caller frees with sc_layout_free; a disk too small or
 * unreadable gives SC_ENOTDISK or SC_EREAD (errno set).
 */
int sc_layout_parse(const struct sc_reader *rd, uint64_t gap_cap,
		    struct sc_layout **out);

/*
 * Opens path read-only (block device or image file), finds its size and
 * sector size (the kernel's for a block device; sector_size if non-zero),
 * parses it, identifies each partition's filesystem, and for a block device
 * finds each partition's device node and mount point.
 */
int sc_layout_open(const char *path, uint32_t sector_size, uint64_t gap_cap,
		   struct sc_layout **out);

void sc_layout_free(struct sc_layout *layout);

/* A whole disk as the kernel lists it in /sys/block. */
struct sc_disk_info {
	char name[32];       /* "sda", "nvme0n1", "vda" */
	char path[48];       /* "/dev/sda" */
	char model[64];      /* "" when the kernel does not say */
	char serial[64];
	char transport[16];  /* "nvme", "usb", "ata", "virtio", "mmc", ... */
	uint64_t size;       /* bytes */
	uint32_t sector_size;
	int removable;
	int readonly;
};

/*
 * Lists the whole disks in sysfs_root/block (sysfs_root NULL: "/sys"),
 * sorted by name, without loop, RAM and zram devices or empty drives.
 * *out is malloc'd; the caller frees it.
 */
int sc_disks_list(const char *sysfs_root, struct sc_disk_info **out,
		  size_t *n);

/*
 * A PCI storage controller (class 01). One without a driver hides its
 * disks: the classic case is NVMe behind Intel VMD (RAID mode) on a
 * kernel without the vmd module.
 */
struct sc_controller {
	char address[32];    /* PCI address, "0000:00:0e.0" */
	char kind[48];       /* "SATA (AHCI)", "NVMe", "RAID (Intel VMD)"... */
	char driver[32];     /* bound driver, "" when none */
	unsigned vendor, device, class_code;
};

/*
 * Lists the storage controllers under sysfs_root/bus/pci/devices
 * (sysfs_root NULL: "/sys"). *out is malloc'd; the caller frees it. No
 * PCI bus is an empty list.
 */
int sc_controllers_list(const char *sysfs_root, struct sc_controller **out,
			size_t *n);

#endif
