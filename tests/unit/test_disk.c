/*
 * Unit tests for the partition-table parsers (scanner/part*.c, sc/disk.h).
 *
 * Every disk is built in memory by diskimg.h and read through a reader that
 * counts reads past the end of the image: the parser must never ask for
 * one (sc_pt_read checks the range first), whatever the table claims.
 * Each layout is also checked for the invariants every caller relies on:
 * areas inside the disk, unique area names, gaps that span what their names
 * say and overlap no other area.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "sc/disk.h"
#include "sc/error.h"
#include "diskimg.h"
#include "unit.h"

#define KiB 1024ull
#define MiB (1024ull * 1024)

#define ESP_GUID   "c12a7328-f81f-11d2-ba4b-00a0c93ec93b"
#define LINUX_GUID "0fc63daf-8483-4772-8e79-3d69d8477de4"
#define MSDATA_GUID "ebd0a0a2-b9e5-4433-87c0-68b6b72699c7"
#define DISK_GUID  "01234567-89ab-cdef-0123-456789abcdef"

/* ---- helpers ---- */

static const struct sc_area *find_area(const struct sc_layout *l,
				       const char *name)
{
	for (size_t i = 0; i < l->nareas; i++)
		if (!strcmp(l->areas[i].name, name))
			return &l->areas[i];
	return NULL;
}

static const struct sc_partition *find_part(const struct sc_layout *l,
					    unsigned number)
{
	for (size_t i = 0; i < l->nparts; i++)
		if (l->parts[i].number == number)
			return &l->parts[i];
	return NULL;
}

/* The first problem containing every one of the NULL-ended words. */
static const char *find_problem(const struct sc_layout *l, ...)
{
	for (size_t i = 0; i < l->nproblems; i++) {
		const char *w;
		va_list ap;
		int all = 1;

		va_start(ap, l);
		while ((w = va_arg(ap, const char *)))
			if (!strstr(l->problems[i], w))
				all = 0;
		va_end(ap);
		if (all)
			return l->problems[i];
	}
	return NULL;
}

static void print_layout(const struct sc_layout *l)
{
	fprintf(stderr, "table %s ss %u size %llu\n", l->table,
		l->sector_size, (unsigned long long)l->size);
	for (size_t i = 0; i < l->nparts; i++)
		fprintf(stderr, "  part %u %llu+%llu flags %#x '%s'\n",
			l->parts[i].number,
			(unsigned long long)l->parts[i].start,
			(unsigned long long)l->parts[i].sectors,
			l->parts[i].flags, l->parts[i].type_name);
	for (size_t i = 0; i < l->nareas; i++)
		fprintf(stderr, "  area %s %s %llu+%llu capped %llu\n",
			l->areas[i].name, l->areas[i].filetype,
			(unsigned long long)l->areas[i].offset,
			(unsigned long long)l->areas[i].length,
			(unsigned long long)l->areas[i].capped);
	for (size_t i = 0; i < l->nproblems; i++)
		fprintf(stderr, "  problem: %s\n", l->problems[i]);
}

static int by_offset(const void *a, const void *b)
{
	const struct sc_area *x = a, *y = b;

	return x->offset < y->offset ? -1 : x->offset > y->offset;
}

/* A gap spans what its name says, and nothing else overlaps it. */
static void check_gaps(const struct sc_layout *l)
{
	struct sc_area *v = malloc(l->nareas * sizeof(*v) + 1);
	uint64_t gap_end = 0, other_end = 0;

	assert_non_null(v);
	if (l->nareas)
		memcpy(v, l->areas, l->nareas * sizeof(*v));
	qsort(v, l->nareas, sizeof(*v), by_offset);
	for (size_t i = 0; i < l->nareas; i++) {
		unsigned long long s, n;

		if (strcmp(v[i].filetype, "GAP")) {
			assert_int_equal(v[i].capped, 0);
			assert_true(v[i].offset >= gap_end);
			if (v[i].offset + v[i].length > other_end)
				other_end = v[i].offset + v[i].length;
			continue;
		}
		assert_int_equal(sscanf(v[i].name, "gap@%llu+%llu", &s, &n), 2);
		assert_int_equal(s * l->sector_size, v[i].offset);
		assert_int_equal(n * l->sector_size, v[i].length + v[i].capped);
		assert_true(v[i].offset >= other_end);
		assert_true(v[i].offset >= gap_end);
		gap_end = v[i].offset + v[i].length + v[i].capped;
	}
	free(v);
}

/* What every layout must satisfy, however hostile the disk. */
static void check_invariants(const struct sc_layout *l)
{
	assert_non_null(l->table);
	for (size_t i = 0; i < l->nareas; i++) {
		const struct sc_area *a = &l->areas[i];

		assert_non_null(a->filetype);
		assert_true(a->length > 0);
		assert_true(a->offset <= l->size);
		assert_true(a->length <= l->size - a->offset);
		for (size_t k = i + 1; k < l->nareas; k++)
			if (!strcmp(a->name, l->areas[k].name)) {
				print_layout(l);
				fail_msg("area name '%s' twice", a->name);
			}
	}
	for (size_t i = 0; i < l->nproblems; i++)
		assert_true(strlen(l->problems[i]) > 0);
	check_gaps(l);
}

static void expect_area(const struct sc_layout *l, const char *name,
			const char *ftype, uint64_t off, uint64_t len,
			uint64_t capped)
{
	const struct sc_area *a = find_area(l, name);

	if (!a) {
		print_layout(l);
		fail_msg("no area '%s'", name);
	}
	assert_string_equal(a->filetype, ftype);
	assert_int_equal(a->offset, off);
	assert_int_equal(a->length, len);
	assert_int_equal(a->capped, capped);
}

/* The layout has exactly these areas (any order). */
static void expect_area_names(const struct sc_layout *l,
			      const char *const *names, size_t n)
{
	int ok = l->nareas == n;

	for (size_t i = 0; ok && i < n; i++)
		ok = find_area(l, names[i]) != NULL;
	if (!ok) {
		print_layout(l);
		fail_msg("expected %zu areas, got %zu", n, l->nareas);
	}
}
#define EXPECT_AREAS(l, ...)                                                  \
	do {                                                                  \
		static const char *const want_[] = { __VA_ARGS__ };           \
		expect_area_names(l, want_, sizeof(want_) / sizeof(*want_));  \
	} while (0)

static void expect_no_problems(const struct sc_layout *l)
{
	if (l->nproblems) {
		print_layout(l);
		fail_msg("unexpected problem: %s", l->problems[0]);
	}
}

/* Parses size bytes of d; the parse must succeed and stay in bounds. */
static struct sc_layout *parse_n(const struct img *d, uint64_t size,
				 uint32_t ss, uint64_t cap)
{
	struct sc_reader rd;
	struct img_reader r;
	struct sc_layout *l = NULL;

	img_reader(&rd, &r, d, size, ss);
	assert_int_equal(sc_layout_parse(&rd, cap, &l), SC_OK);
	assert_non_null(l);
	assert_int_equal(r.bad_reads, 0);
	assert_int_equal(l->size, size);
	check_invariants(l);
	return l;
}

static struct sc_layout *parse(const struct img *d, uint32_t ss, uint64_t cap)
{
	return parse_n(d, d->size, ss, cap);
}

/* ---- fixtures ---- */

/*
 * 4 MiB, two primaries: 1 (Linux, active) at 2048+2048, 2 (NTFS type) at
 * 6144+1024. Free: 1..2047, 4096..6143, 7168..8191.
 */
static void two_primaries(struct img *d)
{
	img_init(d, 512, 8192);
	img_put32(d->b + 440, 0xdeadbeef);
	img_mbr_entry(d, 0, 0, 0x80, 0x83, 2048, 2048);
	img_mbr_entry(d, 0, 1, 0x00, 0x07, 6144, 1024);
}

/*
 * 6 MiB: primary 1 at 2048+2048; extended 2 at 4096+6144 holding EBRs at
 * 4096 and 7168, each followed 2048 sectors later by its logical partition
 * (5 at 6144+1024, 6 at 9216+1024). Free at the end: 10240..12287.
 */
static void extended_disk(struct img *d)
{
	img_init(d, 512, 12288);
	img_mbr_entry(d, 0, 0, 0, 0x83, 2048, 2048);
	img_mbr_entry(d, 0, 1, 0, 0x0f, 4096, 6144);
	img_mbr_entry(d, 4096, 0, 0, 0x83, 2048, 1024);
	img_mbr_entry(d, 4096, 1, 0, 0x05, 3072, 3072); /* next: 7168 */
	img_mbr_entry(d, 7168, 0, 0, 0x82, 2048, 1024);
}

static const char16_t bad_name[] = { 'd', 0xd800, 'x', 0x01, 0 };

static const struct img_gpt_part gpt_parts[] = {
	{ ESP_GUID, "11111111-2222-3333-4444-555555555555", 64, 191, 0,
	  u"EFI system partition" },
	{ LINUX_GUID, "66666666-7777-8888-9999-aaaaaaaaaaaa", 192, 1023, 4,
	  u"root \u00e9\u20ac\U0001F600" },
	{ MSDATA_GUID, "bbbbbbbb-cccc-dddd-eeee-ffffffffffff", 1024, 2014, 0,
	  bad_name },
};

/*
 * 1 MiB GPT disk (512-byte sectors, 128 entries = 32 sectors): protective
 * MBR, primary at 1 and 2..33, backup entries 2015..2046, header 2047.
 * Partitions 64..191, 192..1023, 1024..2014; free: 34..63.
 */
static void gpt_disk(struct img *d, struct img_gpt *g)
{
	img_init(d, 512, 2048);
	img_mbr_entry(d, 0, 0, 0, 0xee, 1, 2047);
	memset(g, 0, sizeof(*g));
	g->disk_guid = DISK_GUID;
	g->parts = gpt_parts;
	g->nparts = 3;
	img_gpt_write(d, g);
}

static void expect_gpt_parts(const struct sc_layout *l)
{
	const struct sc_partition *p;

	assert_string_equal(l->table, "gpt");
	assert_int_equal(l->nparts, 3);
	p = find_part(l, 1);
	assert_non_null(p);
	assert_int_equal(p->start, 64);
	assert_int_equal(p->sectors, 128);
	assert_string_equal(p->type_guid, ESP_GUID);
	assert_string_equal(p->guid, "11111111-2222-3333-4444-555555555555");
	assert_string_equal(p->type_name, "EFI system");
	assert_string_equal(p->name, "EFI system partition");
	assert_int_equal(p->flags, SC_PART_ESP);
	assert_int_equal(p->mbr_type, 0);
	p = find_part(l, 2);
	assert_non_null(p);
	assert_int_equal(p->start, 192);
	assert_int_equal(p->sectors, 832);
	assert_string_equal(p->type_name, "Linux filesystem");
	assert_string_equal(p->name, "root \xc3\xa9\xe2\x82\xac\xf0\x9f\x98\x80");
	assert_int_equal(p->attributes, 4);
	assert_int_equal(p->flags, SC_PART_BOOTABLE);
	p = find_part(l, 3);
	assert_non_null(p);
	assert_string_equal(p->type_name, "Microsoft basic data");
	/* Lone surrogate and control character: U+FFFD each. */
	assert_string_equal(p->name, "d\xef\xbf\xbdx\xef\xbf\xbd");
	assert_int_equal(p->flags, 0);
}

/* ---- MBR ---- */

static void mbr_two_primaries(void **state)
{
	struct img d;
	struct sc_layout *l;
	const struct sc_partition *p;

	(void)state;
	two_primaries(&d);
	l = parse(&d, 512, 0);
	assert_string_equal(l->table, "mbr");
	assert_int_equal(l->sector_size, 512);
	assert_int_equal(l->mbr_id, 0xdeadbeef);
	assert_int_equal(l->hybrid, 0);
	assert_string_equal(l->disk_guid, "");
	expect_no_problems(l);
	assert_int_equal(l->nparts, 2);
	p = find_part(l, 1);
	assert_non_null(p);
	assert_int_equal(p->start, 2048);
	assert_int_equal(p->sectors, 2048);
	assert_int_equal(p->mbr_type, 0x83);
	assert_string_equal(p->type_name, "Linux");
	assert_int_equal(p->flags, SC_PART_BOOTABLE);
	assert_string_equal(p->type_guid, "");
	assert_string_equal(p->name, "");
	p = find_part(l, 2);
	assert_non_null(p);
	assert_int_equal(p->start, 6144);
	assert_int_equal(p->sectors, 1024);
	assert_string_equal(p->type_name, "NTFS/exFAT");
	assert_int_equal(p->flags, 0);

	EXPECT_AREAS(l, "mbr", "gap@1+2047", "p1:vbr", "gap@4096+2048",
		     "p2:vbr", "gap@7168+1024");
	expect_area(l, "mbr", "MBR", 0, 512, 0);
	expect_area(l, "gap@1+2047", "GAP", 512, 2047 * 512, 0);
	/* Neither partition holds a known boot sector: 8 KiB each. */
	expect_area(l, "p1:vbr", "VBR", 2048 * 512, 8192, 0);
	expect_area(l, "gap@4096+2048", "GAP", 4096 * 512, 2048 * 512, 0);
	expect_area(l, "p2:vbr", "VBR", 6144 * 512, 8192, 0);
	expect_area(l, "gap@7168+1024", "GAP", 7168 * 512, 1024 * 512, 0);
	sc_layout_free(l);
	img_free(&d);
}

static void mbr_empty_table(void **state)
{
	struct img d;
	struct sc_layout *l;

	(void)state;
	img_init(&d, 512, 64);
	d.b[510] = 0x55;
	d.b[511] = 0xaa;
	l = parse(&d, 512, 0);
	assert_string_equal(l->table, "mbr");
	assert_int_equal(l->nparts, 0);
	EXPECT_AREAS(l, "mbr", "gap@1+63");
	sc_layout_free(l);

	/* No signature: no table at all, the whole disk is one gap. */
	d.b[511] = 0;
	l = parse(&d, 512, 0);
	assert_string_equal(l->table, "none");
	EXPECT_AREAS(l, "mbr", "gap@1+63");
	sc_layout_free(l);
	img_free(&d);
}

static void mbr_extended_logicals(void **state)
{
	struct img d;
	struct sc_layout *l;
	const struct sc_partition *p;

	(void)state;
	extended_disk(&d);
	l = parse(&d, 512, 0);
	assert_string_equal(l->table, "mbr");
	expect_no_problems(l);
	assert_int_equal(l->nparts, 4);
	p = find_part(l, 2);
	assert_non_null(p);
	assert_int_equal(p->flags, SC_PART_EXTENDED);
	assert_string_equal(p->type_name, "Extended (LBA)");
	p = find_part(l, 5);
	assert_non_null(p);
	assert_int_equal(p->start, 6144);
	assert_int_equal(p->sectors, 1024);
	assert_int_equal(p->mbr_type, 0x83);
	assert_int_equal(p->flags, SC_PART_LOGICAL);
	p = find_part(l, 6);
	assert_non_null(p);
	assert_int_equal(p->start, 9216);
	assert_int_equal(p->sectors, 1024);
	assert_string_equal(p->type_name, "Linux swap");
	assert_int_equal(p->flags, SC_PART_LOGICAL);
	assert_null(find_part(l, 3));
	assert_null(find_part(l, 7));

	EXPECT_AREAS(l, "mbr", "gap@1+2047", "p1:vbr", "ebr@4096",
		     "gap@4097+2047", "p5:vbr", "ebr@7168", "gap@7169+2047",
		     "p6:vbr", "gap@10240+2048");
	expect_area(l, "ebr@4096", "EBR", 4096 * 512, 512, 0);
	expect_area(l, "ebr@7168", "EBR", 7168 * 512, 512, 0);
	/* The sectors between an EBR and its partition: hidden, scanned. */
	expect_area(l, "gap@4097+2047", "GAP", 4097 * 512, 2047 * 512, 0);
	expect_area(l, "gap@7169+2047", "GAP", 7169 * 512, 2047 * 512, 0);
	expect_area(l, "p5:vbr", "VBR", 6144 * 512, 8192, 0);
	expect_area(l, "p6:vbr", "VBR", 9216 * 512, 8192, 0);
	sc_layout_free(l);
	img_free(&d);
}

static void mbr_chain_loop(void **state)
{
	struct img d;
	struct sc_layout *l;

	(void)state;
	/* Self-loop: the second EBR's link points at itself. */
	extended_disk(&d);
	img_mbr_entry(&d, 7168, 1, 0, 0x05, 3072, 100);
	l = parse(&d, 512, 0);
	assert_non_null(find_problem(l, "loop", "7168", NULL));
	assert_int_equal(l->nparts, 4); /* 1, 2, 5, 6: each once */
	assert_non_null(find_part(l, 6));
	assert_null(find_part(l, 7));
	sc_layout_free(l);
	img_free(&d);

	/* A longer cycle: 4096 -> 5120 -> 6144 -> 5120. */
	img_init(&d, 512, 12288);
	img_mbr_entry(&d, 0, 0, 0, 0x05, 4096, 6144);
	img_mbr_entry(&d, 4096, 0, 0, 0x83, 1, 100);
	img_mbr_entry(&d, 4096, 1, 0, 0x05, 1024, 1024);
	img_mbr_entry(&d, 5120, 0, 0, 0x83, 1, 100);
	img_mbr_entry(&d, 5120, 1, 0, 0x05, 2048, 1024);
	img_mbr_entry(&d, 6144, 0, 0, 0x83, 1, 100);
	img_mbr_entry(&d, 6144, 1, 0, 0x05, 1024, 1024);
	l = parse(&d, 512, 0);
	assert_non_null(find_problem(l, "loop", "5120", NULL));
	assert_int_equal(l->nparts, 4); /* 1, 5, 6, 7 */
	assert_int_equal(find_part(l, 7)->start, 6145);
	assert_null(find_part(l, 8));
	sc_layout_free(l);
	img_free(&d);
}

static void mbr_chain_outside(void **state)
{
	struct img d;
	struct sc_layout *l;
	const struct sc_partition *p;

	(void)state;
	extended_disk(&d);
	/* Link 7000 sectors into a 6144-sector extended partition. */
	img_mbr_entry(&d, 4096, 1, 0, 0x05, 7000, 100);
	/* And the first logical runs past the container's end (10240). */
	img_mbr_entry(&d, 4096, 0, 0, 0x83, 2048, 5000);
	l = parse(&d, 512, 0);
	assert_non_null(
		find_problem(l, "chain points outside", "11096", NULL));
	assert_non_null(find_problem(l, "logical partition 5", "outside",
				     NULL));
	assert_null(find_area(l, "ebr@11096"));
	assert_null(find_part(l, 6));
	p = find_part(l, 5);
	assert_non_null(p);
	assert_int_equal(p->sectors, 5000);
	assert_false(p->flags & SC_PART_PAST_END);
	sc_layout_free(l);
	img_free(&d);
}

static void mbr_ebr_unsigned(void **state)
{
	struct img d;
	struct sc_layout *l;

	(void)state;
	extended_disk(&d);
	img_sector(&d, 7168)[511] = 0;
	l = parse(&d, 512, 0);
	assert_non_null(find_problem(l, "7168", "no signature", NULL));
	assert_null(find_part(l, 6));
	/* The EBR sector is still scanned. */
	assert_non_null(find_area(l, "ebr@7168"));
	sc_layout_free(l);
	img_free(&d);
}

/*
 * Two extended partitions: Linux numbers the logical partitions of both
 * chains from one counter (5, 6), so each has its own number and area.
 */
static void mbr_two_extended_numbering(void **state)
{
	struct img d;
	struct sc_layout *l;

	(void)state;
	img_init(&d, 512, 8192);
	img_mbr_entry(&d, 0, 0, 0, 0x05, 2048, 2048);
	img_mbr_entry(&d, 0, 1, 0, 0x05, 4096, 2048);
	img_mbr_entry(&d, 2048, 0, 0, 0x83, 1, 100);
	img_mbr_entry(&d, 4096, 0, 0, 0x83, 1, 100);
	l = parse(&d, 512, 0); /* fails on a duplicate area name */
	assert_int_equal(l->nparts, 4);
	assert_non_null(find_part(l, 5));
	assert_non_null(find_part(l, 6));
	assert_int_equal(find_part(l, 5)->start, 2049);
	assert_int_equal(find_part(l, 6)->start, 4097);
	sc_layout_free(l);
	img_free(&d);
}

static void mbr_overlap(void **state)
{
	struct img d;
	struct sc_layout *l;

	(void)state;
	img_init(&d, 512, 8192);
	img_mbr_entry(&d, 0, 0, 0, 0x83, 2048, 2048);
	img_mbr_entry(&d, 0, 1, 0, 0x83, 3000, 2000);
	img_mbr_entry(&d, 0, 2, 0, 0x83, 6000, 100);
	l = parse(&d, 512, 0);
	assert_true(find_part(l, 1)->flags & SC_PART_OVERLAP);
	assert_true(find_part(l, 2)->flags & SC_PART_OVERLAP);
	assert_false(find_part(l, 3)->flags & SC_PART_OVERLAP);
	assert_non_null(find_problem(l, "partitions 1 and 2 overlap", NULL));
	assert_int_equal(l->nproblems, 1);
	/* Gaps only where neither partition reaches. */
	EXPECT_AREAS(l, "mbr", "gap@1+2047", "p1:vbr", "p2:vbr",
		     "gap@5000+1000", "p3:vbr", "gap@6100+2092");
	sc_layout_free(l);
	img_free(&d);
}

/*
 * A partition that covers many small disjoint ones: each of them overlaps
 * it, however many come between in start order.
 */
static void gpt_overlap_many(void **state)
{
	struct img_gpt_part parts[20];
	struct img_gpt g;
	struct img d;
	struct sc_layout *l;

	(void)state;
	memset(parts, 0, sizeof(parts));
	parts[0] = (struct img_gpt_part){ LINUX_GUID, DISK_GUID, 64, 2000, 0,
					  NULL };
	for (int i = 1; i < 20; i++)
		parts[i] = (struct img_gpt_part){ LINUX_GUID, DISK_GUID,
						  100 + 10 * (uint64_t)i,
						  104 + 10 * (uint64_t)i, 0,
						  NULL };
	img_init(&d, 512, 2048);
	img_mbr_entry(&d, 0, 0, 0, 0xee, 1, 2047);
	memset(&g, 0, sizeof(g));
	g.disk_guid = DISK_GUID;
	g.parts = parts;
	g.nparts = 20;
	img_gpt_write(&d, &g);
	l = parse(&d, 512, 0);
	assert_int_equal(l->nparts, 20);
	for (size_t i = 0; i < l->nparts; i++)
		if (!(l->parts[i].flags & SC_PART_OVERLAP)) {
			print_layout(l);
			fail_msg("partition %u not flagged as overlapping",
				 l->parts[i].number);
		}
	sc_layout_free(l);
	img_free(&d);
}

static void mbr_past_end(void **state)
{
	struct img d;
	struct sc_layout *l;
	const struct sc_partition *p;

	(void)state;
	img_init(&d, 512, 8192);
	img_mbr_entry(&d, 0, 0, 0, 0x83, 2048, 4096);
	img_mbr_entry(&d, 0, 1, 0, 0x83, 8190, 10);   /* 2 of 10 inside */
	img_mbr_entry(&d, 0, 2, 0, 0x83, 100000, 10); /* all outside */
	l = parse(&d, 512, 0);
	assert_false(find_part(l, 1)->flags & SC_PART_PAST_END);
	p = find_part(l, 2);
	assert_true(p->flags & SC_PART_PAST_END);
	assert_int_equal(p->sectors, 10); /* as the table says */
	assert_true(find_part(l, 3)->flags & SC_PART_PAST_END);
	assert_non_null(find_problem(l, "partition 2 ", "8190+10",
				     "past the end", NULL));
	assert_non_null(find_problem(l, "partition 3 ", "100000+10",
				     "past the end", NULL));
	assert_int_equal(l->nproblems, 2);
	EXPECT_AREAS(l, "mbr", "gap@1+2047", "p1:vbr", "gap@6144+2046",
		     "p2:vbr");
	/* Clamped to the two sectors left on the disk. */
	expect_area(l, "p2:vbr", "VBR", 8190 * 512, 1024, 0);
	sc_layout_free(l);

	/* A partition longer than the disk. */
	memset(d.b, 0, 512);
	img_mbr_entry(&d, 0, 0, 0, 0x83, 2048, 0xffffffffu);
	l = parse(&d, 512, 0);
	assert_true(find_part(l, 1)->flags & SC_PART_PAST_END);
	EXPECT_AREAS(l, "mbr", "gap@1+2047", "p1:vbr");
	sc_layout_free(l);
	img_free(&d);
}

/* ---- GPT ---- */

static void gpt_valid(void **state)
{
	struct img d;
	struct img_gpt g;
	struct sc_layout *l;

	(void)state;
	gpt_disk(&d, &g);
	l = parse(&d, 512, 0);
	expect_no_problems(l);
	expect_gpt_parts(l);
	assert_int_equal(l->hybrid, 0);
	assert_string_equal(l->disk_guid, DISK_GUID);
	EXPECT_AREAS(l, "mbr", "gpt-header", "gpt-entries", "gap@34+30",
		     "p1:vbr", "p2:vbr", "p3:vbr", "gpt-backup-entries",
		     "gpt-backup-header");
	expect_area(l, "mbr", "MBR", 0, 512, 0);
	expect_area(l, "gpt-header", "GPT", 512, 512, 0);
	expect_area(l, "gpt-entries", "GPT", 1024, 32 * 512, 0);
	expect_area(l, "gap@34+30", "GAP", 34 * 512, 30 * 512, 0);
	expect_area(l, "gpt-backup-entries", "GPT", 2015 * 512, 32 * 512, 0);
	expect_area(l, "gpt-backup-header", "GPT", 2047 * 512, 512, 0);
	sc_layout_free(l);

	/* Guessing the sector size finds 512 here. */
	l = parse(&d, 0, 0);
	assert_int_equal(l->sector_size, 512);
	expect_no_problems(l);
	sc_layout_free(l);
	img_free(&d);
}

static void gpt_unknown_type_and_backwards_entry(void **state)
{
	static const struct img_gpt_part parts[] = {
		{ "00112233-4455-6677-8899-aabbccddeeff", DISK_GUID, 34, 34, 0,
		  u"x" },
		{ LINUX_GUID, DISK_GUID, 40, 30, 0, NULL }, /* ends first */
	};
	struct img d;
	struct img_gpt g = { DISK_GUID, 0, parts, 2, 0, 0, 0 };
	struct sc_layout *l;

	(void)state;
	img_init(&d, 512, 2048);
	img_mbr_entry(&d, 0, 0, 0, 0xee, 1, 2047);
	img_gpt_write(&d, &g);
	l = parse(&d, 512, 0);
	assert_int_equal(l->nparts, 1);
	assert_string_equal(find_part(l, 1)->type_name, "unknown");
	assert_string_equal(find_part(l, 1)->type_guid,
			    "00112233-4455-6677-8899-aabbccddeeff");
	assert_non_null(find_problem(l, "entry 2", "ends before", NULL));
	sc_layout_free(l);
	img_free(&d);
}

/* The partitions of gpt_disk, as read from the backup. */
static void expect_from_backup(const struct sc_layout *l, const char *why)
{
	const char *p = find_problem(l, "primary", why, "backup", NULL);

	if (!p) {
		print_layout(l);
		fail_msg("no problem about the primary (%s)", why);
	}
	/* The sentence must read well: the reason already says "header". */
	if (strstr(p, "header header"))
		fail_msg("problem reads badly: '%s'", p);
	expect_gpt_parts(l);
	assert_string_equal(l->disk_guid, DISK_GUID);
}

static void gpt_bad_primary_header_crc(void **state)
{
	struct img d;
	struct img_gpt g;
	struct sc_layout *l;

	(void)state;
	gpt_disk(&d, &g);
	d.b[512 + 56] ^= 0xff; /* a disk-GUID byte, under the CRC */
	l = parse(&d, 512, 0);
	assert_int_equal(l->nproblems, 1);
	/* The damaged header is still scanned. */
	assert_non_null(find_area(l, "gpt-header"));
	expect_from_backup(l, "CRC mismatch");
	sc_layout_free(l);
	img_free(&d);
}

static void gpt_primary_not_at_itself(void **state)
{
	struct img d;
	struct img_gpt g;
	struct sc_layout *l;

	(void)state;
	gpt_disk(&d, &g);
	img_put64(d.b + 512 + 24, 5);
	img_gpt_rehash(&d, 1);
	l = parse(&d, 512, 0);
	expect_from_backup(l, "does not point at itself");
	sc_layout_free(l);
	img_free(&d);
}

static void gpt_bad_primary_entries_crc(void **state)
{
	struct img d;
	struct img_gpt g;
	struct sc_layout *l;

	(void)state;
	gpt_disk(&d, &g);
	d.b[2 * 512 + 56] = 'X'; /* first letter of partition 1's name */
	l = parse(&d, 512, 0);
	assert_int_equal(l->nproblems, 1);
	assert_non_null(find_problem(l, "entry array CRC mismatch", NULL));
	/* Names from the backup: "EFI...", not "XFI...". */
	expect_from_backup(l, "entry array CRC mismatch");
	assert_non_null(find_area(l, "gpt-entries"));
	sc_layout_free(l);
	img_free(&d);
}

static void gpt_primary_backup_differ(void **state)
{
	struct img d;
	struct img_gpt g;
	struct sc_layout *l;

	(void)state;
	gpt_disk(&d, &g);
	img_guid(img_sector(&d, 2047) + 56,
		 "fedcba98-7654-3210-fedc-ba9876543210");
	img_gpt_rehash(&d, 2047);
	l = parse(&d, 512, 0);
	assert_int_equal(l->nproblems, 1);
	assert_non_null(find_problem(l, "primary and backup GPT differ",
				     "primary is used", NULL));
	expect_gpt_parts(l);
	assert_string_equal(l->disk_guid, DISK_GUID);
	sc_layout_free(l);
	img_free(&d);
}

static void gpt_backup_missing_or_damaged(void **state)
{
	struct img d;
	struct img_gpt g;
	struct sc_layout *l;

	(void)state;
	gpt_disk(&d, &g);
	memset(img_sector(&d, 2047), 0, 512);
	l = parse(&d, 512, 0);
	assert_int_equal(l->nproblems, 1);
	assert_non_null(find_problem(l, "backup GPT header missing", NULL));
	expect_gpt_parts(l);
	assert_null(find_area(l, "gpt-backup-header"));
	assert_null(find_area(l, "gpt-backup-entries"));
	/* What the backup held is now free space. */
	expect_area(l, "gap@2015+33", "GAP", 2015 * 512, 33 * 512, 0);
	sc_layout_free(l);

	img_free(&d);
	gpt_disk(&d, &g);
	img_sector(&d, 2047)[60] ^= 1;
	l = parse(&d, 512, 0);
	assert_non_null(find_problem(l, "backup", "damaged",
				     "CRC mismatch", NULL));
	expect_gpt_parts(l);
	sc_layout_free(l);
	img_free(&d);
}

static void gpt_both_damaged(void **state)
{
	struct img d;
	struct img_gpt g;
	struct sc_layout *l;

	(void)state;
	gpt_disk(&d, &g);
	d.b[512 + 56] ^= 0xff;
	img_sector(&d, 2047)[56] ^= 0xff;
	l = parse(&d, 512, 0);
	assert_string_equal(l->table, "gpt");
	assert_int_equal(l->nparts, 0);
	assert_string_equal(l->disk_guid, "");
	assert_non_null(find_problem(l, "no valid GPT",
				     "primary header CRC mismatch",
				     "backup header CRC mismatch", NULL));
	/* No partition known: all but the headers is one gap. */
	EXPECT_AREAS(l, "mbr", "gpt-header", "gpt-backup-header",
		     "gap@2+2045");
	sc_layout_free(l);

	/* A protective MBR and no GPT at all. */
	memset(d.b + 512, 0, d.size - 512);
	l = parse(&d, 512, 0);
	assert_string_equal(l->table, "gpt");
	assert_non_null(find_problem(l, "no valid GPT",
				     "primary missing", "backup missing",
				     NULL));
	sc_layout_free(l);
	img_free(&d);
}

static void gpt_hybrid_mbr(void **state)
{
	struct img d;
	struct img_gpt g;
	struct sc_layout *l;

	(void)state;
	gpt_disk(&d, &g);
	img_mbr_entry(&d, 0, 1, 0x80, 0x0c, 64, 128);
	l = parse(&d, 512, 0);
	assert_int_equal(l->hybrid, 1);
	assert_int_equal(l->nproblems, 1);
	assert_non_null(find_problem(l, "hybrid MBR", NULL));
	expect_gpt_parts(l); /* the GPT rules, not the MBR */
	sc_layout_free(l);
	img_free(&d);
}

static void gpt_without_protective_mbr(void **state)
{
	struct img d;
	struct img_gpt g;
	struct sc_layout *l;

	(void)state;
	gpt_disk(&d, &g);
	memset(d.b, 0, 512);
	l = parse(&d, 512, 0);
	assert_int_equal(l->hybrid, 0);
	assert_int_equal(l->nproblems, 1);
	assert_non_null(find_problem(l, "without a protective MBR", NULL));
	expect_gpt_parts(l);
	sc_layout_free(l);

	/* An MBR with ordinary partitions, and a GPT: still the GPT. */
	img_mbr_entry(&d, 0, 0, 0, 0x83, 64, 128);
	l = parse(&d, 512, 0);
	assert_string_equal(l->table, "gpt");
	assert_non_null(find_problem(l, "without a protective MBR", NULL));
	sc_layout_free(l);
	img_free(&d);
}

/*
 * 4Kn: 1 MiB of 4096-byte sectors; 128 entries fill 4 sectors (2..5),
 * backup entries 251..254, header 255. Partitions 8..69 and 70..250.
 */
static void gpt_4kn(void **state)
{
	static const struct img_gpt_part parts[] = {
		{ ESP_GUID, DISK_GUID, 8, 69, 0, u"ESP" },
		{ LINUX_GUID, DISK_GUID, 70, 250, 0, u"root" },
	};
	struct img d;
	struct img_gpt g = { DISK_GUID, 0, parts, 2, 0, 0, 0 };
	struct sc_layout *l;

	(void)state;
	img_init(&d, 4096, 256);
	img_mbr_entry(&d, 0, 0, 0, 0xee, 1, 255);
	img_gpt_write(&d, &g);
	assert_int_equal(g.array_sectors, 4);
	for (int pass = 0; pass < 2; pass++) {
		l = parse(&d, pass ? 4096 : 0, 0); /* guessed, then given */
		assert_int_equal(l->sector_size, 4096);
		assert_string_equal(l->table, "gpt");
		expect_no_problems(l);
		assert_int_equal(l->nparts, 2);
		assert_int_equal(find_part(l, 1)->flags, SC_PART_ESP);
		assert_int_equal(find_part(l, 1)->start, 8);
		EXPECT_AREAS(l, "mbr", "gpt-header", "gpt-entries", "gap@6+2",
			     "p1:vbr", "p2:vbr", "gpt-backup-entries",
			     "gpt-backup-header");
		expect_area(l, "mbr", "MBR", 0, 4096, 0);
		expect_area(l, "gpt-header", "GPT", 4096, 4096, 0);
		expect_area(l, "gpt-entries", "GPT", 8192, 16384, 0);
		expect_area(l, "gap@6+2", "GAP", 6 * 4096, 8192, 0);
		expect_area(l, "p1:vbr", "VBR", 8 * 4096, 8192, 0);
		expect_area(l, "gpt-backup-header", "GPT", 255 * 4096, 4096, 0);
		sc_layout_free(l);
	}

	/* Read as 512-byte sectors: a protective MBR, no valid GPT. */
	l = parse(&d, 512, 0);
	assert_int_equal(l->sector_size, 512);
	assert_string_equal(l->table, "gpt");
	assert_int_equal(l->nparts, 0);
	assert_non_null(find_problem(l, "no valid GPT", NULL));
	sc_layout_free(l);
	img_free(&d);
}

/* ---- bad disks and readers ---- */

static void too_small_or_invalid(void **state)
{
	struct img d;
	struct sc_reader rd;
	struct img_reader r;
	struct sc_layout *l = (struct sc_layout *)&l;

	(void)state;
	img_init(&d, 512, 16);
	img_reader(&rd, &r, &d, 0, 0);
	assert_int_equal(sc_layout_parse(&rd, 0, &l), SC_ENOTDISK);
	assert_null(l);
	rd.sector_size = 512;
	assert_int_equal(sc_layout_parse(&rd, 0, &l), SC_ENOTDISK);
	rd.size = 511;
	assert_int_equal(sc_layout_parse(&rd, 0, &l), SC_ENOTDISK);
	rd.size = 4095;
	rd.sector_size = 4096;
	assert_int_equal(sc_layout_parse(&rd, 0, &l), SC_ENOTDISK);
	rd.sector_size = 1000;
	rd.size = d.size;
	assert_int_equal(sc_layout_parse(&rd, 0, &l), SC_EINVAL);
	rd.sector_size = 0;
	rd.read = NULL;
	assert_int_equal(sc_layout_parse(&rd, 0, &l), SC_EINVAL);
	assert_int_equal(sc_layout_parse(NULL, 0, &l), SC_EINVAL);
	assert_null(l);
	assert_int_equal(r.reads, 0);

	/* One sector is a disk: nothing on it. */
	l = parse_n(&d, 512, 0, 0);
	assert_string_equal(l->table, "none");
	EXPECT_AREAS(l, "mbr");
	sc_layout_free(l);
	sc_layout_free(NULL);
	img_free(&d);
}

static void truncated_disks(void **state)
{
	struct img d;
	struct img_gpt g;
	struct sc_layout *l;

	(void)state;
	/* The GPT of a 1 MiB disk, on 40 sectors: the backup is gone and
	 * the partitions lie past the end. */
	gpt_disk(&d, &g);
	l = parse_n(&d, 40 * 512, 512, 0);
	assert_string_equal(l->table, "gpt");
	assert_int_equal(l->nparts, 3);
	for (size_t i = 0; i < l->nparts; i++)
		assert_true(l->parts[i].flags & SC_PART_PAST_END);
	assert_non_null(find_problem(l, "backup GPT header missing", NULL));
	EXPECT_AREAS(l, "mbr", "gpt-header", "gpt-entries", "gap@34+6");
	sc_layout_free(l);

	/* On 20 sectors not even the primary's entries fit. */
	l = parse_n(&d, 20 * 512, 512, 0);
	assert_int_equal(l->nparts, 0);
	assert_non_null(find_problem(l, "no valid GPT",
				     "entry array outside the disk",
				     "backup missing", NULL));
	sc_layout_free(l);

	/* Sizes that are not whole sectors: the tail is left out. */
	l = parse_n(&d, 2048 * 512 + 100, 512, 0);
	expect_no_problems(l);
	sc_layout_free(l);
	l = parse_n(&d, 2047 * 512 + 100, 512, 0);
	assert_non_null(find_problem(l, "backup GPT header missing", NULL));
	sc_layout_free(l);
	img_free(&d);

	/* MBR partitions of an 8192-sector disk on 2048 sectors. */
	two_primaries(&d);
	l = parse_n(&d, 2048 * 512 + 100, 512, 0);
	assert_true(find_part(l, 1)->flags & SC_PART_PAST_END);
	assert_true(find_part(l, 2)->flags & SC_PART_PAST_END);
	EXPECT_AREAS(l, "mbr", "gap@1+2047");
	sc_layout_free(l);

	/* The extended partition cut off inside its chain. */
	img_free(&d);
	extended_disk(&d);
	l = parse_n(&d, 6000 * 512, 512, 0);
	assert_non_null(find_part(l, 5));
	assert_null(find_part(l, 6));
	assert_true(find_part(l, 2)->flags & SC_PART_PAST_END);
	assert_non_null(find_problem(l, "partition 2 ", "past the end", NULL));
	sc_layout_free(l);
	l = parse_n(&d, 7168 * 512, 512, 0);
	assert_non_null(find_problem(l, "cannot read the extended boot",
				     "7168", NULL));
	sc_layout_free(l);
	img_free(&d);
}

static void whole_disk_filesystems(void **state)
{
	struct img d;
	struct sc_layout *l;

	(void)state;
	img_init(&d, 512, 2048);
	img_fat32(&d, 0, 512, 32);
	l = parse(&d, 512, 0);
	assert_string_equal(l->table, "none");
	assert_int_equal(l->nparts, 0);
	expect_no_problems(l);
	EXPECT_AREAS(l, "vbr");
	/* FAT: reserved sectors * bytes per sector. */
	expect_area(l, "vbr", "VBR", 0, 32 * 512, 0);
	sc_layout_free(l);

	/* Zeroed boot code: still no table. */
	memset(d.b + 90, 0, 420);
	l = parse(&d, 0, 0);
	assert_string_equal(l->table, "none");
	expect_area(l, "vbr", "VBR", 0, 32 * 512, 0);
	sc_layout_free(l);

	/* 4096-byte FAT sectors, 300 reserved: capped at 1 MiB. */
	img_fat32(&d, 0, 4096, 300);
	l = parse(&d, 512, 0);
	expect_area(l, "vbr", "VBR", 0, MiB, 0);
	sc_layout_free(l);

	/* Smaller than its reserved area: the whole disk. */
	img_fat32(&d, 0, 512, 32);
	l = parse_n(&d, 4096, 512, 0);
	expect_area(l, "vbr", "VBR", 0, 4096, 0);
	sc_layout_free(l);

	memset(d.b, 0, 512);
	img_ntfs(&d, 0);
	l = parse(&d, 512, 0);
	assert_string_equal(l->table, "none");
	EXPECT_AREAS(l, "vbr");
	expect_area(l, "vbr", "VBR", 0, 8192, 0);
	sc_layout_free(l);
	img_free(&d);
}

static void vbr_lengths_in_partitions(void **state)
{
	struct img d;
	struct sc_layout *l;

	(void)state;
	img_init(&d, 512, 8192);
	img_mbr_entry(&d, 0, 0, 0, 0x0c, 2048, 2048);
	img_mbr_entry(&d, 0, 1, 0, 0x07, 4096, 2048);
	img_mbr_entry(&d, 0, 2, 0, 0x07, 6144, 4);
	img_mbr_entry(&d, 0, 3, 0, 0x0b, 6148, 2044);
	img_fat32(&d, 2048, 512, 32);
	img_ntfs(&d, 4096);
	img_ntfs(&d, 6144);
	img_fat32(&d, 6148, 512, 6);
	l = parse(&d, 512, 0);
	expect_no_problems(l);
	expect_area(l, "p1:vbr", "VBR", 2048 * 512, 32 * 512, 0);
	expect_area(l, "p2:vbr", "VBR", 4096 * 512, 8192, 0);
	expect_area(l, "p3:vbr", "VBR", 6144 * 512, 4 * 512, 0);
	expect_area(l, "p4:vbr", "VBR", 6148 * 512, 6 * 512, 0);
	sc_layout_free(l);
	img_free(&d);
}

static void gap_cap(void **state)
{
	struct img d;
	struct sc_layout *l;

	(void)state;
	two_primaries(&d);
	l = parse(&d, 512, 4096);
	expect_area(l, "gap@1+2047", "GAP", 512, 4096, 2047 * 512 - 4096);
	expect_area(l, "gap@4096+2048", "GAP", 4096 * 512, 4096,
		    2048 * 512 - 4096);
	expect_area(l, "gap@7168+1024", "GAP", 7168 * 512, 4096,
		    1024 * 512 - 4096);
	/* Only gaps are capped. */
	expect_area(l, "p1:vbr", "VBR", 2048 * 512, 8192, 0);
	sc_layout_free(l);

	/* 1 MiB: the 2047-sector gap fits, the 2048-sector one just does. */
	l = parse(&d, 512, MiB);
	expect_area(l, "gap@1+2047", "GAP", 512, 2047 * 512, 0);
	expect_area(l, "gap@4096+2048", "GAP", 4096 * 512, MiB, 0);
	sc_layout_free(l);
	l = parse(&d, 512, MiB - 1);
	expect_area(l, "gap@4096+2048", "GAP", 4096 * 512, MiB - 1, 1);
	sc_layout_free(l);
	img_free(&d);
}

static void failing_reader(void **state)
{
	struct img d;
	struct sc_reader rd;
	struct img_reader r;
	struct sc_layout *l = NULL;

	(void)state;
	two_primaries(&d);
	for (uint32_t ss = 0; ss <= 512; ss += 512) {
		img_reader(&rd, &r, &d, d.size, ss);
		r.fail_from = 0;
		errno = 0;
		assert_int_equal(sc_layout_parse(&rd, 0, &l), SC_EREAD);
		assert_int_equal(errno, EIO);
		assert_null(l);
	}

	/* Sector 0 reads, the partitions do not. */
	img_reader(&rd, &r, &d, d.size, 512);
	r.fail_from = 2048 * 512;
	assert_int_equal(sc_layout_parse(&rd, 0, &l), SC_OK);
	check_invariants(l);
	assert_string_equal(l->table, "mbr");
	assert_non_null(find_problem(l, "cannot read", "partition 1", NULL));
	assert_non_null(find_problem(l, "cannot read", "partition 2", NULL));
	/* One sector of each is still listed, to be read (and fail) later. */
	expect_area(l, "p1:vbr", "VBR", 2048 * 512, 512, 0);
	expect_area(l, "p2:vbr", "VBR", 6144 * 512, 512, 0);
	sc_layout_free(l);
	img_free(&d);

	extended_disk(&d);
	img_reader(&rd, &r, &d, d.size, 512);
	r.fail_from = 4096 * 512;
	assert_int_equal(sc_layout_parse(&rd, 0, &l), SC_OK);
	check_invariants(l);
	assert_non_null(find_problem(l, "cannot read the extended boot record",
				     "4096", NULL));
	assert_null(find_part(l, 5));
	sc_layout_free(l);
	img_free(&d);
}

static void open_files(void **state)
{
	struct img d;
	struct img_gpt g;
	struct sc_layout *l = NULL;
	char *dir = unit_mkdtemp();
	char *path;

	(void)state;
	assert_non_null(dir);
	two_primaries(&d);
	assert_int_equal(unit_write(dir, "mbr.img", d.b, d.size), 0);
	img_free(&d);
	path = unit_join(dir, "mbr.img");
	assert_int_equal(sc_layout_open(path, 0, 0, &l), SC_OK);
	assert_string_equal(l->table, "mbr");
	assert_int_equal(l->size, 8192 * 512);
	assert_int_equal(l->nparts, 2);
	sc_layout_free(l);
	free(path);

	gpt_disk(&d, &g);
	assert_int_equal(unit_write(dir, "gpt.img", d.b, d.size), 0);
	img_free(&d);
	path = unit_join(dir, "gpt.img");
	assert_int_equal(sc_layout_open(path, 512, SC_GAP_CAP_DEFAULT, &l),
			 SC_OK);
	check_invariants(l);
	expect_gpt_parts(l);
	sc_layout_free(l);
	free(path);

	assert_int_equal(unit_write(dir, "empty.img", "", 0), 0);
	path = unit_join(dir, "empty.img");
	assert_int_equal(sc_layout_open(path, 0, 0, &l), SC_ENOTDISK);
	assert_null(l);
	free(path);
	path = unit_join(dir, "absent.img");
	assert_int_equal(sc_layout_open(path, 0, 0, &l), SC_EOPEN);
	free(path);
	assert_int_equal(sc_layout_open(dir, 0, 0, &l), SC_ENOTDISK);
	assert_null(l);
	unit_rmtree(dir);
	free(dir);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(mbr_two_primaries),
		cmocka_unit_test(mbr_empty_table),
		cmocka_unit_test(mbr_extended_logicals),
		cmocka_unit_test(mbr_chain_loop),
		cmocka_unit_test(mbr_chain_outside),
		cmocka_unit_test(mbr_ebr_unsigned),
		cmocka_unit_test(mbr_two_extended_numbering),
		cmocka_unit_test(mbr_overlap),
		cmocka_unit_test(mbr_past_end),
		cmocka_unit_test(gpt_valid),
		cmocka_unit_test(gpt_unknown_type_and_backwards_entry),
		cmocka_unit_test(gpt_bad_primary_header_crc),
		cmocka_unit_test(gpt_primary_not_at_itself),
		cmocka_unit_test(gpt_bad_primary_entries_crc),
		cmocka_unit_test(gpt_primary_backup_differ),
		cmocka_unit_test(gpt_backup_missing_or_damaged),
		cmocka_unit_test(gpt_both_damaged),
		cmocka_unit_test(gpt_hybrid_mbr),
		cmocka_unit_test(gpt_without_protective_mbr),
		cmocka_unit_test(gpt_overlap_many),
		cmocka_unit_test(gpt_4kn),
		cmocka_unit_test(too_small_or_invalid),
		cmocka_unit_test(truncated_disks),
		cmocka_unit_test(whole_disk_filesystems),
		cmocka_unit_test(vbr_lengths_in_partitions),
		cmocka_unit_test(gap_cap),
		cmocka_unit_test(failing_reader),
		cmocka_unit_test(open_files),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
