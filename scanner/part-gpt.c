/*
 * GUID partition tables.
 *
 * Both headers are read and checked (signature, size, own LBA, header CRC,
 * entry-array bounds and CRC). Partitions come from the primary when it is
 * sound, else from the backup; every damage or disagreement is reported.
 * The protective MBR is checked too: one that also lists other partitions
 * is a hybrid MBR, a known source of confusion (and of hidden volumes).
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "internal.h"
#include "part.h"

/* Entry arrays larger than this are not believed. */
#define MAX_ARRAY_BYTES (1u << 20)

struct gpt {
	int found;          /* signature present */
	int unreadable;     /* the header sector could not be read */
	int ok;             /* header and entries sound */
	const char *why;    /* what is wrong when !ok */
	uint64_t lba, alt, first_usable, last_usable, entries_lba;
	uint32_t nentries, esize, entries_crc;
	unsigned char guid[16];
	unsigned char *array; /* entry array when ok, malloc'd */
	uint64_t array_sectors;
};

static const struct {
	const char *guid, *name;
	unsigned flags;
} types[] = {
	{ "c12a7328-f81f-11d2-ba4b-00a0c93ec93b", "EFI system", SC_PART_ESP },
	{ "21686148-6449-6e6f-744e-656564454649", "BIOS boot", 0 },
	{ "ebd0a0a2-b9e5-4433-87c0-68b6b72699c7", "Microsoft basic data", 0 },
	{ "e3c9e316-0b5c-4db8-817d-f92df00215ae", "Microsoft reserved", 0 },
	{ "de94bba4-06d1-4d40-a16a-bfd50179d6ac", "Windows recovery", 0 },
	{ "5808c8aa-7e8f-42e0-85d2-e1e90434cfb3", "Windows LDM metadata", 0 },
	{ "af9b60a0-1431-4f62-bc68-3311714a69ad", "Windows LDM data", 0 },
	{ "0fc63daf-8483-4772-8e79-3d69d8477de4", "Linux filesystem", 0 },
	{ "4f68bce3-e8cd-4db1-96e7-fbcaf984b709", "Linux root (x86-64)", 0 },
	{ "0657fd6d-a4ab-43c4-84e5-0933c84b4f4f", "Linux swap", 0 },
	{ "e6d6d379-f507-44c2-a23c-238f2a3df928", "Linux LVM", 0 },
	{ "a19d880f-05fc-4d3b-a006-743f0f84911e", "Linux RAID", 0 },
	{ "ca7d7ccb-63ed-4c53-861c-1742536059cc", "Linux LUKS", 0 },
	{ "bc13c2ff-59e6-4262-a352-b275fd6f7172", "Linux extended boot", 0 },
	{ "48465300-0000-11aa-aa11-00306543ecac", "Apple HFS+", 0 },
	{ "7c3457ef-0000-11aa-aa11-00306543ecac", "Apple APFS", 0 },
};

/* GUIDs are stored mixed-endian: the first three fields little-endian. */
static void guid_text(const unsigned char *g, char out[37])
{
	snprintf(out, 37,
		 "%02x%02x%02x%02x-%02x%02x-%02x%02x-%02x%02x-"
		 "%02x%02x%02x%02x%02x%02x",
		 g[3], g[2], g[1], g[0], g[5], g[4], g[7], g[6], g[8], g[9],
		 g[10], g[11], g[12], g[13], g[14], g[15]);
}

/* UTF-16LE name (36 units) to UTF-8; bad surrogates become U+FFFD. */
static void name_utf8(const unsigned char *p, size_t units, char *out,
		      size_t outsz)
{
	size_t o = 0;

	for (size_t i = 0; i < units;) {
		uint32_t cp;

		if (!sc_le16(p + 2 * i))
			break;
		cp = sc_utf16le_next(p, units, &i);
		if (cp < 0x20 || cp == 0x7f)
			cp = 0xfffd; /* no control characters in names */
		if (o + 5 > outsz)
			break;
		if (cp < 0x80) {
			out[o++] = (char)cp;
		} else if (cp < 0x800) {
			out[o++] = (char)(0xc0 | cp >> 6);
			out[o++] = (char)(0x80 | (cp & 0x3f));
		} else if (cp < 0x10000) {
			out[o++] = (char)(0xe0 | cp >> 12);
			out[o++] = (char)(0x80 | ((cp >> 6) & 0x3f));
			out[o++] = (char)(0x80 | (cp & 0x3f));
		} else {
			out[o++] = (char)(0xf0 | cp >> 18);
			out[o++] = (char)(0x80 | ((cp >> 12) & 0x3f));
			out[o++] = (char)(0x80 | ((cp >> 6) & 0x3f));
			out[o++] = (char)(0x80 | (cp & 0x3f));
		}
	}
	out[o] = '\0';
}

/* Reads and checks the header at lba (and its entry array). */
static int read_header(struct sc_ptctx *c, uint64_t lba, struct gpt *g)
{
	unsigned char *h = malloc(c->ss);
	uint32_t hsize, crc;
	uint64_t bytes;

	memset(g, 0, sizeof(*g));
	g->lba = lba;
	if (!h)
		return -1;
	if (sc_pt_read(c, lba, 1, h)) {
		g->unreadable = 1;
		free(h);
		return 0;
	}
	if (memcmp(h, "EFI PART", 8)) {
		free(h);
		return 0;
	}
	g->found = 1;
	hsize = sc_le32(h + 12);
	if (hsize < 92 || hsize > c->ss) {
		g->why = "bad header size";
		goto out;
	}
	crc = sc_le32(h + 16);
	memset(h + 16, 0, 4);
	if (sc_crc32(0, h, hsize) != crc) {
		g->why = "header CRC mismatch";
		goto out;
	}
	if (sc_le64(h + 24) != lba) {
		g->why = "header does not point at itself";
		goto out;
	}
	g->alt = sc_le64(h + 32);
	g->first_usable = sc_le64(h + 40);
	g->last_usable = sc_le64(h + 48);
	memcpy(g->guid, h + 56, 16);
	g->entries_lba = sc_le64(h + 72);
	g->nentries = sc_le32(h + 80);
	g->esize = sc_le32(h + 84);
	g->entries_crc = sc_le32(h + 88);
	if (g->esize < 128 || g->esize > 4096 || g->esize % 8 ||
	    !g->nentries || g->nentries > MAX_ARRAY_BYTES / g->esize) {
		g->why = "bad entry array size";
		goto out;
	}
	bytes = (uint64_t)g->nentries * g->esize;
	g->array_sectors = (bytes + c->ss - 1) / c->ss;
	if (g->entries_lba >= c->nsect ||
	    g->array_sectors > c->nsect - g->entries_lba) {
		g->why = "entry array outside the disk";
		goto out;
	}
	g->array = malloc(g->array_sectors * c->ss);
	if (!g->array) {
		free(h);
		return -1;
	}
	if (sc_pt_read(c, g->entries_lba, g->array_sectors, g->array)) {
		g->why = "entry array unreadable";
		goto out;
	}
	if (sc_crc32(0, g->array, (size_t)bytes) != g->entries_crc) {
		g->why = "entry array CRC mismatch";
		goto out;
	}
	g->ok = 1;
out:
	if (!g->ok) {
		free(g->array);
		g->array = NULL;
	}
	free(h);
	return 0;
}

static void add_entries(struct sc_ptctx *c, const struct gpt *g)
{
	for (uint32_t i = 0; i < g->nentries; i++) {
		const unsigned char *e = g->array + (size_t)i * g->esize;
		static const unsigned char zero[16];
		struct sc_partition *p;
		uint64_t first, last;

		if (!memcmp(e, zero, 16))
			continue;
		first = sc_le64(e + 32);
		last = sc_le64(e + 40);
		if (last < first) {
			sc_pt_problem(c, "GPT entry %u ends before it starts; "
					 "ignored", i + 1);
			continue;
		}
		p = sc_pt_add_part(c);
		if (!p)
			return;
		p->number = i + 1;
		p->start = first;
		p->sectors = last - first + 1;
		if (!p->sectors) /* 0 .. UINT64_MAX */
			p->sectors = UINT64_MAX;
		guid_text(e, p->type_guid);
		guid_text(e + 16, p->guid);
		p->attributes = sc_le64(e + 48);
		name_utf8(e + 56, 36, p->name, sizeof(p->name));
		p->type_name = "unknown";
		for (size_t k = 0; k < sizeof(types) / sizeof(*types); k++)
			if (!strcmp(types[k].guid, p->type_guid)) {
				p->type_name = types[k].name;
				p->flags |= types[k].flags;
			}
		if (p->attributes & 4)
			p->flags |= SC_PART_BOOTABLE; /* legacy BIOS bootable */
	}
}

static void meta(struct sc_ptctx *c, const struct gpt *g, const char *which)
{
	char name[48];

	snprintf(name, sizeof(name), "%s-header", which);
	sc_pt_meta(c, g->lba, 1, name, "GPT");
	if (g->array_sectors) {
		snprintf(name, sizeof(name), "%s-entries", which);
		sc_pt_meta(c, g->entries_lba, g->array_sectors, name, "GPT");
	}
}

int sc_part_gpt(struct sc_ptctx *c)
{
	const unsigned char *s0 = c->s0;
	struct gpt pri, bak;
	int pmbr = 0, others = 0, rc = 1;
	uint64_t bak_lba;
	char gtext[37];

	if (s0[510] == 0x55 && s0[511] == 0xaa)
		for (int i = 0; i < 4; i++) {
			uint8_t t = s0[446 + 16 * i + 4];

			if (t == 0xee)
				pmbr = 1;
			else if (t)
				others = 1;
		}
	if (c->nsect < 3)
		return 0;
	if (read_header(c, 1, &pri))
		return -1;
	bak_lba = pri.ok && pri.alt > 1 && pri.alt < c->nsect ? pri.alt
							       : c->nsect - 1;
	if (read_header(c, bak_lba, &bak)) {
		free(pri.array);
		return -1;
	}
	if (!pri.found && !bak.found && !pmbr) {
		free(pri.array);
		free(bak.array);
		return 0;
	}

	if (!pmbr)
		sc_pt_problem(c, "GPT without a protective MBR");
	else if (others) {
		c->l->hybrid = 1;
		sc_pt_problem(c, "hybrid MBR: the MBR lists partitions besides "
				 "the GPT; they may not match it");
	}
	if (pri.found)
		meta(c, &pri, "gpt");
	if (bak.found)
		meta(c, &bak, "gpt-backup");

	if (pri.ok) {
		if (!bak.found)
			sc_pt_problem(c, "backup GPT header %s",
				      bak.unreadable ? "unreadable" : "missing");
		else if (!bak.ok)
			sc_pt_problem(c, "backup GPT damaged (%s)", bak.why);
		else if (memcmp(pri.guid, bak.guid, 16) ||
			 pri.entries_crc != bak.entries_crc ||
			 pri.nentries != bak.nentries)
			sc_pt_problem(c, "primary and backup GPT differ; "
					 "the primary is used");
		add_entries(c, &pri);
		guid_text(pri.guid, gtext);
	} else if (bak.ok) {
		if (pri.found)
			sc_pt_problem(c, "primary GPT damaged (%s); partitions "
					 "read from the backup", pri.why);
		else
			sc_pt_problem(c, "primary GPT %s; partitions read "
					 "from the backup",
				      pri.unreadable ? "unreadable" : "missing");
		add_entries(c, &bak);
		guid_text(bak.guid, gtext);
	} else {
		sc_pt_problem(c, "no valid GPT: primary %s, backup %s",
			      pri.found ? pri.why
			      : pri.unreadable ? "unreadable" : "missing",
			      bak.found ? bak.why
			      : bak.unreadable ? "unreadable" : "missing");
		gtext[0] = '\0';
	}
	memcpy(c->l->disk_guid, gtext, sizeof(gtext));
	free(pri.array);
	free(bak.array);
	if (c->oom)
		rc = -1;
	return rc;
}
