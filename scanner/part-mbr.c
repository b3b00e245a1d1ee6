/*
 * MBR partition tables, with the extended/logical chain of EBRs.
 *
 * The chain is followed with a visited list (a loop ends the walk and is
 * reported) and each link must stay inside the extended partition.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "part.h"

#define MAX_LOGICAL 256

static const struct {
	uint8_t id;
	const char *name;
} types[] = {
	{ 0x01, "FAT12" }, { 0x04, "FAT16 <32M" }, { 0x05, "Extended" },
	{ 0x06, "FAT16" }, { 0x07, "NTFS/exFAT" }, { 0x0b, "FAT32" },
	{ 0x0c, "FAT32 (LBA)" }, { 0x0e, "FAT16 (LBA)" },
	{ 0x0f, "Extended (LBA)" }, { 0x11, "Hidden FAT12" },
	{ 0x12, "Compaq diagnostics" }, { 0x14, "Hidden FAT16 <32M" },
	{ 0x16, "Hidden FAT16" }, { 0x17, "Hidden NTFS/exFAT" },
	{ 0x1b, "Hidden FAT32" }, { 0x1c, "Hidden FAT32 (LBA)" },
	{ 0x1e, "Hidden FAT16 (LBA)" }, { 0x27, "Windows recovery" },
	{ 0x42, "Windows dynamic disk" }, { 0x82, "Linux swap" },
	{ 0x83, "Linux" }, { 0x85, "Linux extended" }, { 0x8e, "Linux LVM" },
	{ 0xa5, "FreeBSD" }, { 0xa6, "OpenBSD" }, { 0xa8, "Darwin UFS" },
	{ 0xaf, "HFS/HFS+" }, { 0xee, "GPT protective" },
	{ 0xef, "EFI system" }, { 0xfd, "Linux RAID" },
};

static const char *type_name(uint8_t id)
{
	for (size_t i = 0; i < sizeof(types) / sizeof(*types); i++)
		if (types[i].id == id)
			return types[i].name;
	return "unknown";
}

static int is_extended(uint8_t t)
{
	return t == 0x05 || t == 0x0f || t == 0x85;
}

static void set_part(struct sc_partition *p, unsigned number,
		     const unsigned char *e, uint64_t base)
{
	p->number = number;
	p->mbr_type = e[4];
	p->start = base + sc_le32(e + 8);
	p->sectors = sc_le32(e + 12);
	p->type_name = type_name(e[4]);
	if (e[0] == 0x80)
		p->flags |= SC_PART_BOOTABLE;
	if (e[4] == 0xef)
		p->flags |= SC_PART_ESP;
}

/*
 * Follows one extended partition's chain. *number is the next logical
 * partition number, shared by all chains as Linux numbers them.
 */
static void walk_chain(struct sc_ptctx *c, uint64_t ext_start,
		       uint64_t ext_sectors, unsigned char *buf,
		       unsigned *number)
{
	uint64_t visited[MAX_LOGICAL];
	size_t nvisited = 0;
	uint64_t cur = ext_start;

	for (;;) {
		const unsigned char *e0 = buf + 446, *e1 = buf + 462;
		char name[48];

		for (size_t i = 0; i < nvisited; i++)
			if (visited[i] == cur) {
				sc_pt_problem(c, "the extended partition's chain "
						 "loops back to sector %llu; "
						 "stopped there",
					      (unsigned long long)cur);
				return;
			}
		if (nvisited == MAX_LOGICAL) {
			sc_pt_problem(c, "more than %d logical partitions; "
					 "the rest are ignored", MAX_LOGICAL);
			return;
		}
		visited[nvisited++] = cur;
		if (sc_pt_read(c, cur, 1, buf)) {
			sc_pt_problem(c, "cannot read the extended boot record "
					 "at sector %llu",
				      (unsigned long long)cur);
			return;
		}
		snprintf(name, sizeof(name), "ebr@%llu", (unsigned long long)cur);
		sc_pt_meta(c, cur, 1, name, "EBR");
		if (buf[510] != 0x55 || buf[511] != 0xaa) {
			sc_pt_problem(c, "the extended boot record at sector "
					 "%llu has no signature",
				      (unsigned long long)cur);
			return;
		}
		if (e0[4] && sc_le32(e0 + 12)) {
			struct sc_partition *p = sc_pt_add_part(c);

			if (!p)
				return;
			set_part(p, (*number)++, e0, cur);
			p->flags |= SC_PART_LOGICAL;
			if (p->start < ext_start ||
			    p->start - ext_start >= ext_sectors ||
			    p->sectors > ext_sectors - (p->start - ext_start))
				sc_pt_problem(c, "logical partition %u lies "
						 "outside its extended partition",
					      p->number);
		}
		if (!is_extended(e1[4]) || !sc_le32(e1 + 8))
			return;
		if (sc_le32(e1 + 8) >= ext_sectors) {
			sc_pt_problem(c, "the extended partition's chain points "
					 "outside it (sector %llu)",
				      (unsigned long long)(ext_start +
							   sc_le32(e1 + 8)));
			return;
		}
		cur = ext_start + sc_le32(e1 + 8);
	}
}

int sc_part_mbr(struct sc_ptctx *c)
{
	const unsigned char *s0 = c->s0;
	unsigned char *buf;
	unsigned number = 5; /* first logical partition */
	int used = 0;

	if (c->ss < 512 || s0[510] != 0x55 || s0[511] != 0xaa)
		return 0;
	for (int i = 0; i < 4; i++) {
		const unsigned char *e = s0 + 446 + 16 * i;

		if (!e[4])
			continue;
		/* Status must be 0 or 0x80: else this is boot code, not a
		 * table (a whole-disk FAT, say). */
		if (e[0] != 0 && e[0] != 0x80)
			return 0;
		used++;
	}
	if (!used && sc_pt_looks_like_fs(s0, c->ss))
		return 0;

	buf = malloc(c->ss);
	if (!buf)
		return -1;
	for (int i = 0; i < 4; i++) {
		const unsigned char *e = s0 + 446 + 16 * i;
		struct sc_partition *p;

		if (!e[4] || !sc_le32(e + 12))
			continue;
		p = sc_pt_add_part(c);
		if (!p)
			break;
		set_part(p, (unsigned)i + 1, e, 0);
		if (is_extended(e[4])) {
			uint64_t start = p->start, n = p->sectors;

			p->flags |= SC_PART_EXTENDED;
			walk_chain(c, start, n, buf, &number);
		}
	}
	free(buf);
	return c->oom ? -1 : 1;
}
