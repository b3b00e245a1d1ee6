/*
 * Partition-table parsers (private). Each parser lives in its own file,
 * part-<name>.c, and is registered in part-list.h; sc_layout_parse tries
 * them in that order and the first that claims the disk fills the layout.
 * The core (part.c) then adds the MBR sector, each partition's boot region
 * and the gaps, so a parser only describes its table.
 */
#ifndef SC_PART_H
#define SC_PART_H

#include <stddef.h>
#include <stdint.h>

#include "sc/disk.h"

struct sc_ptctx {
	const struct sc_reader *rd;
	struct sc_layout *l;
	uint32_t ss;           /* sector size */
	uint64_t nsect;        /* whole sectors on the disk */
	unsigned char *s0;     /* sector 0, ss bytes */
	struct sc_range {
		uint64_t start, count; /* sectors */
	} *used;               /* table metadata: kept out of the gaps */
	size_t nused, aused;
	int oom;               /* an allocation failed */
};

/*
 * Reads count sectors at lba into buf (count * ss bytes). -1 if the range
 * is not inside the disk or the read fails.
 */
int sc_pt_read(struct sc_ptctx *c, uint64_t lba, uint64_t count, void *buf);

/* A new zeroed partition in the layout, or NULL (oom set). */
struct sc_partition *sc_pt_add_part(struct sc_ptctx *c);

/* Adds a problem sentence to the layout. */
void sc_pt_problem(struct sc_ptctx *c, const char *fmt, ...)
#ifdef __GNUC__
	__attribute__((format(printf, 2, 3)))
#endif
	;

/*
 * Table metadata at [lba, lba+count): scanned as an area with this name and
 * filetype, and kept out of the gaps. Clamped to the disk.
 */
void sc_pt_meta(struct sc_ptctx *c, uint64_t lba, uint64_t count,
		const char *name, const char *filetype);

/*
 * Names the loader in a boot sector (vbr 0: an MBR, whose code is the first
 * 440 bytes; vbr 1: a volume boot record, code from byte 90) and puts the
 * SHA-256 of that code in sha. Returns a static string: a loader's name,
 * "no boot code", "unknown code" or "unreadable" (n < 512).
 */
const char *sc_bootcode_identify(const unsigned char *sec, size_t n, int vbr,
				 char sha[65]);

/* 1 if a sector 0 holds a FAT, NTFS or exFAT boot sector. */
int sc_pt_looks_like_fs(const unsigned char *s0, uint32_t ss);

uint16_t sc_le16(const unsigned char *p);
uint32_t sc_le32(const unsigned char *p);
uint64_t sc_le64(const unsigned char *p);

/* CRC-32 (IEEE 802.3, as GPT uses), continuing from crc (start with 0). */
uint32_t sc_crc32(uint32_t crc, const void *data, size_t n);

/*
 * A parser returns 1 when it claimed the disk (problems included), 0 when
 * the disk is not its format, -1 when out of memory.
 */
typedef int (*sc_pt_parser)(struct sc_ptctx *c);

#define SC_TABLE(name) int sc_part_##name(struct sc_ptctx *c);
#include "part-list.h"
#undef SC_TABLE

#endif
