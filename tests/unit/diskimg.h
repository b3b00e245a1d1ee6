/*
 * Tiny disk images built in memory, for the partition-table tests
 * (test_disk.c) and the fuzz seed corpus (tests/fuzz/make-corpus.c).
 *
 * An image is a zeroed buffer of whole sectors. Writers put an MBR or EBR
 * entry in any sector, boot sectors (FAT, NTFS) anywhere, and a complete
 * GPT (protective MBR left to the caller, primary header and entries at
 * LBA 1 and 2, backup entries and header at the end) with correct CRCs.
 * Damage is done afterwards by the caller, in place.
 *
 * The CRC is our own (bitwise, no table) so the fixtures do not trust the
 * code they test. Everything is static inline so a program that uses only
 * some of it still builds under -Werror.
 */
#ifndef TESTS_DISKIMG_H
#define TESTS_DISKIMG_H

#include <errno.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <uchar.h>

#include "sc/disk.h"

struct img {
	unsigned char *b;
	size_t size;  /* bytes */
	uint32_t ss;  /* sector size */
};

/* A zeroed image of nsect sectors; aborts on allocation failure. */
static inline void img_init(struct img *d, uint32_t ss, uint64_t nsect)
{
	d->ss = ss;
	d->size = (size_t)(nsect * ss);
	d->b = calloc(1, d->size ? d->size : 1);
	if (!d->b)
		abort();
}

static inline void img_free(struct img *d)
{
	free(d->b);
	d->b = NULL;
}

static inline unsigned char *img_sector(struct img *d, uint64_t lba)
{
	return d->b + lba * d->ss;
}

static inline void img_put16(unsigned char *p, uint16_t v)
{
	p[0] = (unsigned char)v;
	p[1] = (unsigned char)(v >> 8);
}

static inline void img_put32(unsigned char *p, uint32_t v)
{
	for (int i = 0; i < 4; i++)
		p[i] = (unsigned char)(v >> 8 * i);
}

static inline void img_put64(unsigned char *p, uint64_t v)
{
	for (int i = 0; i < 8; i++)
		p[i] = (unsigned char)(v >> 8 * i);
}

/* CRC-32 (IEEE, reflected), bit by bit. */
static inline uint32_t img_crc32(const void *data, size_t n)
{
	const unsigned char *p = data;
	uint32_t crc = 0xffffffffu;

	while (n--) {
		crc ^= *p++;
		for (int k = 0; k < 8; k++)
			crc = crc & 1 ? (crc >> 1) ^ 0xedb88320u : crc >> 1;
	}
	return ~crc;
}

/*
 * Entry slot (0-3) of the MBR or EBR in sector lba, plus the 55 AA
 * signature. start is as stored (relative, for an EBR).
 */
static inline void img_mbr_entry(struct img *d, uint64_t lba, int slot,
				 uint8_t status, uint8_t type, uint32_t start,
				 uint32_t count)
{
	unsigned char *s = img_sector(d, lba);
	unsigned char *e = s + 446 + 16 * slot;

	e[0] = status;
	e[4] = type;
	img_put32(e + 8, start);
	img_put32(e + 12, count);
	s[510] = 0x55;
	s[511] = 0xaa;
}

/* A FAT32 boot sector at lba: bps bytes a sector, rsv reserved sectors. */
static inline void img_fat32(struct img *d, uint64_t lba, uint16_t bps,
			     uint16_t rsv)
{
	unsigned char *s = img_sector(d, lba);

	s[0] = 0xeb;
	s[1] = 0x58;
	s[2] = 0x90;
	memcpy(s + 3, "MSWIN4.1", 8);
	img_put16(s + 11, bps);
	s[13] = 8; /* sectors per cluster */
	img_put16(s + 14, rsv);
	s[16] = 2; /* FATs */
	s[21] = 0xf8;
	memcpy(s + 82, "FAT32   ", 8);
	/* Boot code, as mkfs leaves it: not a partition table. */
	memset(s + 90, 0xf4, 420);
	s[510] = 0x55;
	s[511] = 0xaa;
}

static inline void img_ntfs(struct img *d, uint64_t lba)
{
	unsigned char *s = img_sector(d, lba);

	s[0] = 0xeb;
	s[1] = 0x52;
	s[2] = 0x90;
	memcpy(s + 3, "NTFS    ", 8);
	img_put16(s + 11, 512);
	s[13] = 8;
	memset(s + 84, 0xfa, 426);
	s[510] = 0x55;
	s[511] = 0xaa;
}

/* "c12a7328-f81f-11d2-ba4b-00a0c93ec93b" to its mixed-endian bytes. */
static inline void img_guid(unsigned char out[16], const char *text)
{
	static const int order[16] = { 3, 2, 1, 0, 5, 4, 7, 6,
				       8, 9, 10, 11, 12, 13, 14, 15 };
	int k = 0;

	memset(out, 0, 16);
	for (const char *p = text; *p && k < 32; p++) {
		int v;

		if (*p == '-')
			continue;
		v = *p <= '9' ? *p - '0' : (*p | 0x20) - 'a' + 10;
		out[order[k / 2]] |= (unsigned char)(k % 2 ? v : v << 4);
		k++;
	}
}

struct img_gpt_part {
	const char *type;     /* type GUID text */
	const char *guid;     /* unique GUID text */
	uint64_t first, last; /* LBAs, inclusive */
	uint64_t attrs;
	const char16_t *name; /* UTF-16, NUL-terminated, or NULL */
};

struct img_gpt {
	const char *disk_guid;
	uint32_t nentries;    /* 0: 128 */
	const struct img_gpt_part *parts;
	size_t nparts;
	/* Filled in by img_gpt_write: */
	uint64_t array_sectors, backup_lba, backup_entries;
};

/* The entry array (nentries * 128 bytes) of g into buf. */
static inline void img_gpt_entries(const struct img_gpt *g, unsigned char *buf)
{
	for (size_t i = 0; i < g->nparts; i++) {
		const struct img_gpt_part *p = &g->parts[i];
		unsigned char *e = buf + 128 * i;

		img_guid(e, p->type);
		img_guid(e + 16, p->guid);
		img_put64(e + 32, p->first);
		img_put64(e + 40, p->last);
		img_put64(e + 48, p->attrs);
		for (int k = 0; p->name && p->name[k] && k < 36; k++)
			img_put16(e + 56 + 2 * k, p->name[k]);
	}
}

/* A 92-byte GPT header at lba, with its CRC. */
static inline void img_gpt_header(struct img *d, uint64_t lba, uint64_t alt,
				  uint64_t first_usable, uint64_t last_usable,
				  const char *disk_guid, uint64_t entries_lba,
				  uint32_t nentries, uint32_t entries_crc)
{
	unsigned char *h = img_sector(d, lba);

	memset(h, 0, d->ss);
	memcpy(h, "EFI PART", 8);
	img_put32(h + 8, 0x00010000);
	img_put32(h + 12, 92);
	img_put64(h + 24, lba);
	img_put64(h + 32, alt);
	img_put64(h + 40, first_usable);
	img_put64(h + 48, last_usable);
	img_guid(h + 56, disk_guid);
	img_put64(h + 72, entries_lba);
	img_put32(h + 80, nentries);
	img_put32(h + 84, 128);
	img_put32(h + 88, entries_crc);
	img_put32(h + 16, img_crc32(h, 92));
}

/* Recomputes the header CRC of the header at lba (after an edit). */
static inline void img_gpt_rehash(struct img *d, uint64_t lba)
{
	unsigned char *h = img_sector(d, lba);

	memset(h + 16, 0, 4);
	img_put32(h + 16, img_crc32(h, 92));
}

/* Primary and backup GPT, consistent, with correct CRCs. */
static inline void img_gpt_write(struct img *d, struct img_gpt *g)
{
	uint64_t nsect = d->size / d->ss;
	uint32_t n = g->nentries ? g->nentries : 128;
	size_t bytes = (size_t)n * 128;
	unsigned char *arr = calloc(1, bytes);
	uint32_t crc;

	if (!arr)
		abort();
	g->nentries = n;
	img_gpt_entries(g, arr);
	crc = img_crc32(arr, bytes);
	g->array_sectors = (bytes + d->ss - 1) / d->ss;
	g->backup_lba = nsect - 1;
	g->backup_entries = nsect - 1 - g->array_sectors;
	memcpy(img_sector(d, 2), arr, bytes);
	memcpy(img_sector(d, g->backup_entries), arr, bytes);
	img_gpt_header(d, 1, g->backup_lba, 2 + g->array_sectors,
		       g->backup_entries - 1, g->disk_guid, 2, n, crc);
	img_gpt_header(d, g->backup_lba, 1, 2 + g->array_sectors,
		       g->backup_entries - 1, g->disk_guid, g->backup_entries,
		       n, crc);
	free(arr);
}

/* A disk in memory for sc_layout_parse. */
struct img_reader {
	const unsigned char *b;
	uint64_t size;      /* bytes readable */
	uint64_t fail_from; /* reads touching [fail_from, ...) fail with EIO */
	unsigned reads, bad_reads; /* bad: asked for bytes past size */
};

static inline int img_read(void *ctx, uint64_t off, void *buf, size_t n)
{
	struct img_reader *r = ctx;

	r->reads++;
	if (off > r->size || n > r->size - off) {
		r->bad_reads++;
		errno = EIO;
		return -1;
	}
	if (off + n > r->fail_from) {
		errno = EIO;
		return -1;
	}
	memcpy(buf, r->b + off, n);
	return 0;
}

/* rd reading img (size bytes of it) at sector size ss (0: guess). */
static inline void img_reader(struct sc_reader *rd, struct img_reader *r,
			      const struct img *d, uint64_t size, uint32_t ss)
{
	memset(r, 0, sizeof(*r));
	r->b = d->b;
	r->size = size;
	r->fail_from = UINT64_MAX;
	rd->read = img_read;
	rd->ctx = r;
	rd->size = size;
	rd->sector_size = ss;
}

#endif
