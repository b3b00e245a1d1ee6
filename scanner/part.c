/*
 * Disk layouts: the parser registry, boot regions, gaps; see sc/disk.h.
 */
#include <errno.h>
#include <fcntl.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/sysmacros.h>
#include <unistd.h>

#include "internal.h"
#include "part.h"
#include "sc/error.h"

/* More partitions than this is a hostile or broken table. */
#define MAX_PARTS 1024
/* A FAT boot region (reserved sectors) is scanned up to this much. */
#define MAX_VBR_BYTES (1u << 20)
/* Boot region of filesystems without a reserved-area field. */
#define DEFAULT_VBR_BYTES 8192u

static const struct {
	const char *name;
	sc_pt_parser parse;
} parsers[] = {
#define SC_TABLE(n) { #n, sc_part_##n },
#include "part-list.h"
#undef SC_TABLE
};

uint16_t sc_le16(const unsigned char *p)
{
	return (uint16_t)(p[0] | p[1] << 8);
}

uint32_t sc_le32(const unsigned char *p)
{
	return (uint32_t)p[0] | (uint32_t)p[1] << 8 | (uint32_t)p[2] << 16 |
	       (uint32_t)p[3] << 24;
}

uint64_t sc_le64(const unsigned char *p)
{
	return (uint64_t)sc_le32(p) | (uint64_t)sc_le32(p + 4) << 32;
}

uint32_t sc_crc32(uint32_t crc, const void *data, size_t n)
{
	static uint32_t table[256];
	static int ready;
	const unsigned char *p = data;

	if (!ready) {
		for (uint32_t i = 0; i < 256; i++) {
			uint32_t c = i;

			for (int k = 0; k < 8; k++)
				c = c & 1 ? 0xedb88320u ^ (c >> 1) : c >> 1;
			table[i] = c;
		}
		ready = 1;
	}
	crc = ~crc;
	while (n--)
		crc = table[(crc ^ *p++) & 0xff] ^ (crc >> 8);
	return ~crc;
}

int sc_pt_read(struct sc_ptctx *c, uint64_t lba, uint64_t count, void *buf)
{
	if (lba >= c->nsect || count > c->nsect - lba ||
	    count > SIZE_MAX / c->ss)
		return -1;
	return c->rd->read(c->rd->ctx, lba * c->ss, buf, (size_t)(count * c->ss));
}

struct sc_partition *sc_pt_add_part(struct sc_ptctx *c)
{
	struct sc_layout *l = c->l;
	struct sc_partition *p;

	if (l->nparts >= MAX_PARTS) {
		if (l->nparts == MAX_PARTS)
			sc_pt_problem(c, "more than %d partitions; the rest "
					 "are ignored", MAX_PARTS);
		return NULL;
	}
	p = realloc(l->parts, (l->nparts + 1) * sizeof(*p));
	if (!p) {
		c->oom = 1;
		return NULL;
	}
	l->parts = p;
	p = &l->parts[l->nparts++];
	memset(p, 0, sizeof(*p));
	p->type_name = "";
	p->boot_code = "";
	return p;
}

void sc_pt_problem(struct sc_ptctx *c, const char *fmt, ...)
{
	struct sc_layout *l = c->l;
	char buf[256];
	char **p;
	va_list ap;

	if (l->nproblems >= 64)
		return; /* enough said: a hostile table could say more */
	va_start(ap, fmt);
	vsnprintf(buf, sizeof(buf), fmt, ap);
	va_end(ap);
	p = realloc(l->problems, (l->nproblems + 1) * sizeof(*p));
	if (!p || !(p[l->nproblems] = sc_xstrdup(buf))) {
		if (p)
			l->problems = p;
		c->oom = 1;
		return;
	}
	l->problems = p;
	l->nproblems++;
}

static void add_area(struct sc_ptctx *c, const char *name, const char *ftype,
		     uint64_t off, uint64_t len, uint64_t capped)
{
	struct sc_layout *l = c->l;
	struct sc_area *a;

	if (!len)
		return;
	a = realloc(l->areas, (l->nareas + 1) * sizeof(*a));
	if (!a) {
		c->oom = 1;
		return;
	}
	l->areas = a;
	a = &l->areas[l->nareas++];
	memset(a, 0, sizeof(*a));
	snprintf(a->name, sizeof(a->name), "%s", name);
	a->filetype = ftype;
	a->offset = off;
	a->length = len;
	a->capped = capped;
}

static void add_used(struct sc_ptctx *c, uint64_t lba, uint64_t count)
{
	struct sc_range *r;

	if (c->nused == c->aused) {
		size_t na = c->aused ? c->aused * 2 : 16;

		r = realloc(c->used, na * sizeof(*r));
		if (!r) {
			c->oom = 1;
			return;
		}
		c->used = r;
		c->aused = na;
	}
	c->used[c->nused].start = lba;
	c->used[c->nused].count = count;
	c->nused++;
}

void sc_pt_meta(struct sc_ptctx *c, uint64_t lba, uint64_t count,
		const char *name, const char *filetype)
{
	if (lba >= c->nsect || !count)
		return;
	if (count > c->nsect - lba)
		count = c->nsect - lba;
	add_used(c, lba, count);
	add_area(c, name, filetype, lba * c->ss, count * c->ss, 0);
}

/* Bytes of a partition's boot region, from what its first sector holds. */
static uint64_t vbr_bytes(struct sc_ptctx *c, const unsigned char *b)
{
	uint16_t bps = sc_le16(b + 11), rsv = sc_le16(b + 14);
	uint8_t spc = b[13], nfats = b[16];

	if (!memcmp(b + 3, "NTFS    ", 8))
		return 8192; /* the 16-sector NTFS boot code (IPL) */
	if (!memcmp(b + 3, "EXFAT   ", 8))
		return 24ull * c->ss; /* main and backup boot regions */
	if (b[510] == 0x55 && b[511] == 0xaa && bps >= 512 && bps <= 4096 &&
	    !(bps & (bps - 1)) && spc && !(spc & (spc - 1)) && rsv &&
	    (nfats == 1 || nfats == 2)) {
		/* FAT: the reserved sectors hold the boot sector, FSInfo and
		 * the backup boot sector. */
		uint64_t n = (uint64_t)rsv * bps;

		return n < MAX_VBR_BYTES ? n : MAX_VBR_BYTES;
	}
	return DEFAULT_VBR_BYTES;
}

static int cmp_part(const void *a, const void *b)
{
	const struct sc_partition *x = *(struct sc_partition *const *)a;
	const struct sc_partition *y = *(struct sc_partition *const *)b;

	return x->start < y->start ? -1 : x->start > y->start;
}

static int cmp_area(const void *a, const void *b)
{
	const struct sc_area *x = a, *y = b;

	return x->offset < y->offset ? -1 : x->offset > y->offset;
}

static int cmp_range(const void *a, const void *b)
{
	const struct sc_range *x = a, *y = b;

	return x->start < y->start ? -1 : x->start > y->start;
}

/* Partitions past the end and overlapping ones: flagged and told. */
static void check_bounds(struct sc_ptctx *c)
{
	struct sc_layout *l = c->l;
	struct sc_partition **v;
	size_t n = 0;

	for (size_t i = 0; i < l->nparts; i++) {
		struct sc_partition *p = &l->parts[i];

		if (p->start >= c->nsect || p->sectors > c->nsect - p->start) {
			p->flags |= SC_PART_PAST_END;
			sc_pt_problem(c, "partition %u (sectors %llu+%llu) "
					 "extends past the end of the disk",
				      p->number, (unsigned long long)p->start,
				      (unsigned long long)p->sectors);
		}
	}
	v = malloc((l->nparts ? l->nparts : 1) * sizeof(*v));
	if (!v) {
		c->oom = 1;
		return;
	}
	for (size_t i = 0; i < l->nparts; i++)
		if (!(l->parts[i].flags & SC_PART_EXTENDED))
			v[n++] = &l->parts[i];
	qsort(v, n, sizeof(*v), cmp_part);
	/* Sorted by start: each partition against the one reaching furthest
	 * among those before it. */
	for (size_t i = 1, far = 0; i < n; i++) {
		uint64_t end = v[far]->start + v[far]->sectors, iend;

		if (end < v[far]->start) /* wrapped: reaches the end */
			end = UINT64_MAX;
		if (v[i]->start < end) {
			v[i]->flags |= SC_PART_OVERLAP;
			v[far]->flags |= SC_PART_OVERLAP;
			sc_pt_problem(c, "partitions %u and %u overlap",
				      v[far]->number, v[i]->number);
		}
		iend = v[i]->start + v[i]->sectors;
		if (iend < v[i]->start)
			iend = UINT64_MAX;
		if (iend > end)
			far = i;
	}
	free(v);
}

/* Each partition's boot region, and the partitions as used space. */
static void add_vbrs(struct sc_ptctx *c)
{
	struct sc_layout *l = c->l;
	unsigned char *b = malloc(c->ss);

	if (!b) {
		c->oom = 1;
		return;
	}
	for (size_t i = 0; i < l->nparts; i++) {
		struct sc_partition *p = &l->parts[i];
		uint64_t avail, len;
		char name[48];

		if (p->flags & SC_PART_EXTENDED || p->start >= c->nsect ||
		    !p->sectors)
			continue;
		avail = c->nsect - p->start;
		if (avail > p->sectors)
			avail = p->sectors;
		add_used(c, p->start, avail);
		if (sc_pt_read(c, p->start, 1, b)) {
			sc_pt_problem(c, "cannot read the first sector of "
					 "partition %u", p->number);
			len = c->ss;
			p->boot_code = "unreadable";
		} else {
			len = vbr_bytes(c, b);
			p->boot_code = sc_bootcode_identify(b, c->ss, 1,
							    p->boot_code_sha256);
		}
		if (len > avail * c->ss)
			len = avail * c->ss;
		snprintf(name, sizeof(name), "p%u:vbr", p->number);
		add_area(c, name, "VBR", p->start * c->ss, len, 0);
	}
	free(b);
}

/* Every stretch of sectors that no table, EBR or partition claims. */
static void add_gaps(struct sc_ptctx *c, uint64_t cap)
{
	uint64_t pos = 0;

	qsort(c->used, c->nused, sizeof(*c->used), cmp_range);
	for (size_t i = 0; i <= c->nused; i++) {
		uint64_t start = i < c->nused ? c->used[i].start : c->nsect;
		uint64_t end = i < c->nused ? start + c->used[i].count : start;

		if (start > pos) {
			uint64_t bytes = (start - pos) * c->ss;
			uint64_t len = cap && bytes > cap ? cap : bytes;
			char name[48];

			snprintf(name, sizeof(name), "gap@%llu+%llu",
				 (unsigned long long)pos,
				 (unsigned long long)(start - pos));
			add_area(c, name, "GAP", pos * c->ss, len, bytes - len);
		}
		if (end > pos)
			pos = end;
	}
}

int sc_pt_looks_like_fs(const unsigned char *s0, uint32_t ss)
{
	return !memcmp(s0 + 3, "NTFS    ", 8) || !memcmp(s0 + 3, "EXFAT   ", 8) ||
	       (ss >= 90 && (!memcmp(s0 + 54, "FAT", 3) ||
			     !memcmp(s0 + 82, "FAT32", 5)));
}

/*
 * Filesystems whose signature is not in sector 0: ext2/3/4 (superblock at
 * 1024), XFS (sector 0 but no 0x55AA), btrfs (64 KiB), ISO 9660 (32 KiB).
 * Only for disks no table claimed.
 */
static int fs_beyond_sector0(struct sc_ptctx *c)
{
	unsigned char b[8];

	if (!memcmp(c->s0, "XFSB", 4))
		return 1;
	if (c->rd->size >= 2048 &&
	    !c->rd->read(c->rd->ctx, 1024 + 56, b, 2) && b[0] == 0x53 &&
	    b[1] == 0xef)
		return 1;
	if (c->rd->size >= 65536 + 72 &&
	    !c->rd->read(c->rd->ctx, 65536 + 64, b, 8) &&
	    !memcmp(b, "_BHRfS_M", 8))
		return 1;
	if (c->rd->size >= 32768 + 6 &&
	    !c->rd->read(c->rd->ctx, 32769, b, 5) && !memcmp(b, "CD001", 5))
		return 1;
	return 0;
}

int sc_layout_parse(const struct sc_reader *rd, uint64_t gap_cap,
		    struct sc_layout **out)
{
	struct sc_ptctx c;
	struct sc_layout *l;
	int claimed = 0, bare;

	*out = NULL;
	if (!rd || !rd->read)
		return SC_EINVAL;
	memset(&c, 0, sizeof(c));
	c.rd = rd;
	c.ss = rd->sector_size;
	if (c.ss && c.ss != 512 && c.ss != 1024 && c.ss != 2048 && c.ss != 4096)
		return SC_EINVAL;
	if (rd->size < 512) {
		errno = EINVAL;
		return SC_ENOTDISK;
	}
	if (!c.ss) {
		/* Guess: a GPT signature at 4096 and none at 512 means 4Kn. */
		unsigned char sig[8];

		c.ss = 512;
		if (rd->size >= 8192 && !rd->read(rd->ctx, 4096, sig, 8) &&
		    !memcmp(sig, "EFI PART", 8) &&
		    !rd->read(rd->ctx, 512, sig, 8) && memcmp(sig, "EFI PART", 8))
			c.ss = 4096;
	}
	if (rd->size < c.ss) {
		errno = EINVAL;
		return SC_ENOTDISK;
	}
	c.nsect = rd->size / c.ss;
	l = calloc(1, sizeof(*l));
	c.s0 = malloc(c.ss);
	if (!l || !c.s0) {
		free(l);
		free(c.s0);
		return SC_ENOMEM;
	}
	c.l = l;
	l->size = rd->size;
	l->sector_size = c.ss;
	l->table = "none";
	if (sc_pt_read(&c, 0, 1, c.s0)) {
		int e = errno;

		free(c.s0);
		sc_layout_free(l);
		errno = e;
		return SC_EREAD;
	}
	l->mbr_id = sc_le32(c.s0 + 440);

	for (size_t i = 0; i < sizeof(parsers) / sizeof(*parsers); i++) {
		int r = parsers[i].parse(&c);

		if (r < 0)
			c.oom = 1;
		if (r) {
			claimed = 1;
			l->table = parsers[i].name;
			break;
		}
	}
	bare = !claimed && (sc_pt_looks_like_fs(c.s0, c.ss) ||
			    fs_beyond_sector0(&c));
	l->boot_code = sc_bootcode_identify(c.s0, c.ss, bare,
					    l->boot_code_sha256);
	if (bare) {
		/* A filesystem without a table: its boot sector is a VBR. */
		add_used(&c, 0, c.nsect);
		add_area(&c, "vbr", "VBR", 0,
			 vbr_bytes(&c, c.s0) < rd->size ? vbr_bytes(&c, c.s0)
							: rd->size,
			 0);
	} else {
		sc_pt_meta(&c, 0, 1, "mbr", "MBR");
		check_bounds(&c);
		add_vbrs(&c);
		add_gaps(&c, gap_cap);
	}
	/* Disk order reads best in reports and reads fastest. */
	if (l->nareas)
		qsort(l->areas, l->nareas, sizeof(*l->areas), cmp_area);
	free(c.s0);
	free(c.used);
	if (c.oom) {
		sc_layout_free(l);
		return SC_ENOMEM;
	}
	*out = l;
	return SC_OK;
}

void sc_layout_free(struct sc_layout *l)
{
	if (!l)
		return;
	for (size_t i = 0; i < l->nproblems; i++)
		free(l->problems[i]);
	free(l->problems);
	free(l->parts);
	free(l->areas);
	free(l);
}
