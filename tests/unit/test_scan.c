/*
 * Unit tests for the scan engine (scanner/scan.c, scanner/worker.c) on real
 * temporary trees: counts, match details, the not-scanned reasons the walk
 * decides (size cap, special files, excludes), symlinks, disk images, the
 * external variables set per file, and cancellation.
 *
 * The rules are in-memory sources with needles of their own, so the tests
 * do not depend on the built-in definitions.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cmocka.h>

#include "sc.h"
#include "unit.h"

#define MAX_ITEMS 64

/* A copy of what the engine reported for one item. */
struct rec {
	char path[512];
	size_t path_len;
	char area[64];
	int has_area;
	char filetype[16];
	enum sc_status status;
	enum sc_reason reason;
	uint64_t size;
	char sha256[65];
	size_t nmatches;
	char rules[4][64]; /* the first matching rules */
	char ns[64];
	char tag0[32];
	char meta_desc[128];
	int64_t meta_num;
	char str_id[16];
	uint64_t str_off;
	uint32_t str_len;
	unsigned char str_data[64];
	uint32_t str_data_len;
};

struct collect {
	struct rec r[MAX_ITEMS];
	int n;
	int abort_after; /* return SC_ABORT on this item (1-based); 0 never */
	int progress_calls;
};

static int on_item(const struct sc_item *it, void *ctx)
{
	struct collect *c = ctx;
	struct rec *r;

	if (c->n >= MAX_ITEMS)
		return SC_CONTINUE;
	r = &c->r[c->n++];
	memset(r, 0, sizeof(*r));
	r->path_len = it->path_len < sizeof(r->path) - 1 ? it->path_len
							 : sizeof(r->path) - 1;
	memcpy(r->path, it->path, r->path_len);
	if (it->area) {
		r->has_area = 1;
		snprintf(r->area, sizeof(r->area), "%s", it->area);
	}
	snprintf(r->filetype, sizeof(r->filetype), "%s",
		 it->filetype ? it->filetype : "");
	r->status = it->status;
	r->reason = it->reason;
	r->size = it->size;
	snprintf(r->sha256, sizeof(r->sha256), "%s", it->sha256 ? it->sha256 : "");
	r->nmatches = it->nmatches;
	for (size_t i = 0; i < it->nmatches && i < 4; i++)
		snprintf(r->rules[i], sizeof(r->rules[i]), "%s",
			 it->matches[i].rule);
	if (it->nmatches) {
		const struct sc_match *m = &it->matches[0];

		snprintf(r->ns, sizeof(r->ns), "%s", m->ns);
		if (m->ntags)
			snprintf(r->tag0, sizeof(r->tag0), "%s", m->tags[0]);
		for (size_t k = 0; k < m->nmeta; k++) {
			if (!strcmp(m->meta[k].key, "description") &&
			    m->meta[k].type == SC_META_STRING)
				snprintf(r->meta_desc, sizeof(r->meta_desc),
					 "%s", m->meta[k].str);
			if (!strcmp(m->meta[k].key, "level") &&
			    m->meta[k].type == SC_META_INTEGER)
				r->meta_num = m->meta[k].num;
		}
		if (m->nstrings) {
			const struct sc_string_match *s = &m->strings[0];

			snprintf(r->str_id, sizeof(r->str_id), "%s", s->id);
			r->str_off = s->offset;
			r->str_len = s->length;
			r->str_data_len = s->data_len < 64 ? s->data_len : 64;
			memcpy(r->str_data, s->data, r->str_data_len);
		}
	}
	if (c->abort_after && c->n >= c->abort_after)
		return SC_ABORT;
	return SC_CONTINUE;
}

static int on_progress(const struct sc_progress *p, void *ctx)
{
	struct collect *c = ctx;

	(void)p;
	c->progress_calls++;
	return SC_CONTINUE;
}

/* The item whose path ends with "/name" (or is name), or NULL. */
static const struct rec *find(const struct collect *c, const char *name)
{
	size_t n = strlen(name);

	for (int i = 0; i < c->n; i++) {
		const struct rec *r = &c->r[i];

		if (r->path_len == n && !memcmp(r->path, name, n))
			return r;
		if (r->path_len > n && r->path[r->path_len - n - 1] == '/' &&
		    !memcmp(r->path + r->path_len - n, name, n))
			return r;
	}
	return NULL;
}

static const struct rec *find_area(const struct collect *c, const char *area)
{
	for (int i = 0; i < c->n; i++)
		if (c->r[i].has_area && !strcmp(c->r[i].area, area))
			return &c->r[i];
	return NULL;
}

static int matched(const struct rec *r, const char *rule)
{
	for (size_t i = 0; r && i < r->nmatches && i < 4; i++)
		if (!strcmp(r->rules[i], rule))
			return 1;
	return 0;
}

static const char unit_rules[] =
	"rule Unit_Eicar : test unit\n"
	"{\n"
	"  meta:\n"
	"    description = \"unit eicar\"\n"
	"    level = 3\n"
	"  strings:\n"
	"    $a = \"STANDARD-ANTIVIRUS-TEST\"\n"
	"  condition:\n"
	"    $a\n"
	"}\n"
	"rule Unit_Needle { strings: $n = \"sc-unit-needle\" condition: $n }\n"
	"rule Unit_MBR {\n"
	"  strings: $m = \"UNIT-MBR-MARK\"\n"
	"  condition: filetype == \"MBR\" and $m in (0..440)\n"
	"}\n"
	"rule Unit_Gap {\n"
	"  strings: $g = \"UNIT-GAP-MARK\"\n"
	"  condition: filetype == \"GAP\" and $g\n"
	"}\n"
	"rule Unit_Ext { condition: extension == \"exe\" }\n"
	"rule Unit_Name { condition: filename == \"target-name.bin\" }\n"
	"rule Unit_Type { condition: filetype == \"EXE\" }\n"
	"rule Unit_Path { condition: filepath endswith \"/deep/pathcheck.dat\" }\n";

struct fixture {
	struct sc_rules *rules;
	char *dir;
	struct collect c;
	struct sc_scan_opts opts;
};

static int setup(void **state)
{
	struct fixture *f = calloc(1, sizeof(*f));

	if (!f)
		return -1;
	if (sc_rules_create(NULL, NULL, &f->rules) ||
	    sc_rules_add_source(f->rules, "unit.yar", "unit", unit_rules) ||
	    sc_rules_compile(f->rules))
		return -1;
	f->dir = unit_mkdtemp();
	if (!f->dir)
		return -1;
	sc_scan_opts_init(&f->opts);
	f->opts.jobs = 2;
	f->opts.timeout = 5;
	*state = f;
	return 0;
}

static int teardown(void **state)
{
	struct fixture *f = *state;

	unit_rmtree(f->dir);
	free(f->dir);
	sc_rules_destroy(f->rules);
	free(f);
	return 0;
}

/* Scans one target with the fixture's options; returns the engine's code. */
static int scan(struct fixture *f, const char *path, enum sc_target_kind kind,
		struct sc_target_stats *st)
{
	struct sc_scan_cb cb = { .on_item = on_item, .on_progress = on_progress,
				  .ctx = &f->c };
	struct sc_scan *s;
	int err;

	err = sc_scan_create(f->rules, &f->opts, &cb, &s);
	assert_int_equal(err, SC_OK);
	assert_int_equal(sc_scan_jobs(s), f->opts.jobs ? f->opts.jobs : sc_scan_jobs(s));
	err = sc_scan_target(s, path, kind, st);
	sc_scan_destroy(s);
	return err;
}

static void counts_clean_tree(void **state)
{
	struct fixture *f = *state;
	struct sc_target_stats st;

	assert_int_equal(unit_write_str(f->dir, "a.txt", "alpha\n"), 0);
	assert_int_equal(unit_write_str(f->dir, "empty", ""), 0);
	assert_int_equal(unit_mkdir(f->dir, "sub"), 0);
	assert_int_equal(unit_mkdir(f->dir, "sub/deeper"), 0);
	assert_int_equal(unit_write_str(f->dir, "sub/b.bin", "0123456789"), 0);
	assert_int_equal(unit_write_str(f->dir, "sub/deeper/c", "xyz"), 0);

	assert_int_equal(scan(f, f->dir, SC_TARGET_AUTO, &st), SC_OK);
	assert_int_equal(st.error, SC_OK);
	assert_int_equal(st.kind, SC_TARGET_PATH);
	assert_true(st.is_dir);
	assert_int_equal(st.files_scanned, 4);
	assert_int_equal(st.bytes_scanned, 6 + 0 + 10 + 3);
	assert_int_equal(st.files_matched, 0);
	assert_int_equal(st.files_skipped, 0);
	assert_int_equal(st.dirs, 3);
	assert_int_equal(st.symlinks, 0);
	assert_true(st.seconds >= 0);
	assert_int_equal(f->c.n, 4);
	for (int i = 0; i < f->c.n; i++)
		assert_int_equal(f->c.r[i].status, SC_ITEM_CLEAN);
	assert_int_equal(find(&f->c, "sub/b.bin")->size, 10);
	assert_true(f->c.progress_calls >= 4);
}

static void match_details(void **state)
{
	struct fixture *f = *state;
	struct sc_target_stats st;
	const struct rec *r;
	char eicar[69];

	unit_eicar(eicar);
	assert_int_equal(unit_write(f->dir, "eicar.com", eicar, 68), 0);
	assert_int_equal(unit_write_str(f->dir, "clean.txt", "nothing here"), 0);

	assert_int_equal(scan(f, f->dir, SC_TARGET_PATH, &st), SC_OK);
	assert_int_equal(st.files_scanned, 2);
	assert_int_equal(st.files_matched, 1);
	r = find(&f->c, "eicar.com");
	assert_non_null(r);
	assert_int_equal(r->status, SC_ITEM_MATCH);
	assert_int_equal(r->nmatches, 1);
	assert_string_equal(r->rules[0], "Unit_Eicar");
	assert_string_equal(r->ns, "unit");
	assert_string_equal(r->tag0, "test");
	assert_string_equal(r->meta_desc, "unit eicar");
	assert_int_equal(r->meta_num, 3);
	assert_string_equal(r->str_id, "$a");
	/* "X5O!P%@AP[4\PZX54(P^)7CC)7}$EICAR-" is 34 bytes. */
	assert_int_equal(r->str_off, 34);
	assert_int_equal(r->str_len, 23);
	assert_int_equal(r->str_data_len, 23);
	assert_memory_equal(r->str_data, "STANDARD-ANTIVIRUS-TEST", 23);
	assert_int_equal(r->size, 68);
	assert_false(r->has_area);
	assert_string_equal(r->sha256, UNIT_EICAR_SHA256);
	r = find(&f->c, "clean.txt");
	assert_int_equal(r->status, SC_ITEM_CLEAN);
	assert_int_equal(r->nmatches, 0);
}

static void single_file_target(void **state)
{
	struct fixture *f = *state;
	struct sc_target_stats st;
	char *p;

	assert_int_equal(unit_write_str(f->dir, "one", "an sc-unit-needle"), 0);
	p = unit_join(f->dir, "one");
	assert_int_equal(scan(f, p, SC_TARGET_AUTO, &st), SC_OK);
	assert_int_equal(st.kind, SC_TARGET_PATH);
	assert_false(st.is_dir);
	assert_int_equal(st.dirs, 0);
	assert_int_equal(st.files_matched, 1);
	assert_int_equal(f->c.n, 1);
	/* A file target is reported under its own path. */
	assert_int_equal(f->c.r[0].path_len, strlen(p));
	assert_memory_equal(f->c.r[0].path, p, strlen(p));
	assert_string_equal(f->c.r[0].rules[0], "Unit_Needle");
	free(p);
}

static void size_cap(void **state)
{
	struct fixture *f = *state;
	struct sc_target_stats st;
	const struct rec *r;

	f->opts.max_size = 20;
	assert_int_equal(unit_write_str(f->dir, "big", "sc-unit-needle and more"), 0);
	assert_int_equal(unit_write_str(f->dir, "exact", "sc-unit-needle 12345"), 0);
	assert_int_equal(scan(f, f->dir, SC_TARGET_PATH, &st), SC_OK);
	r = find(&f->c, "big");
	assert_non_null(r);
	assert_int_equal(r->status, SC_ITEM_SKIPPED);
	assert_int_equal(r->reason, SC_REASON_SIZE);
	assert_int_equal(r->size, 23);
	/* Exactly at the cap is scanned. */
	r = find(&f->c, "exact");
	assert_int_equal(r->status, SC_ITEM_MATCH);
	assert_int_equal(st.files_skipped, 1);
	assert_int_equal(st.bytes_skipped, 23);
	assert_int_equal(st.files_scanned, 1);
	assert_string_equal(sc_reason_name(SC_REASON_SIZE), "size-cap");
}

static void fifo_is_special(void **state)
{
	struct fixture *f = *state;
	struct sc_target_stats st;
	const struct rec *r;
	char *p = unit_join(f->dir, "pipe");

	/* Nobody ever writes to it: opening it blocking would hang forever. */
	assert_int_equal(mkfifo(p, 0644), 0);
	assert_int_equal(unit_write_str(f->dir, "after", "sc-unit-needle"), 0);
	assert_int_equal(scan(f, f->dir, SC_TARGET_PATH, &st), SC_OK);
	r = find(&f->c, "pipe");
	assert_non_null(r);
	assert_int_equal(r->status, SC_ITEM_SKIPPED);
	assert_int_equal(r->reason, SC_REASON_SPECIAL);
	assert_int_equal(find(&f->c, "after")->status, SC_ITEM_MATCH);

	/* The FIFO named as the target itself. */
	f->c.n = 0;
	assert_int_equal(scan(f, p, SC_TARGET_AUTO, &st), SC_OK);
	assert_int_equal(f->c.n, 1);
	assert_int_equal(f->c.r[0].reason, SC_REASON_SPECIAL);
	assert_string_equal(sc_reason_name(SC_REASON_SPECIAL), "special-file");
	free(p);
}

static void symlinks_not_followed(void **state)
{
	struct fixture *f = *state;
	struct sc_target_stats st;
	char *p;

	assert_int_equal(unit_mkdir(f->dir, "d"), 0);
	assert_int_equal(unit_write_str(f->dir, "d/real", "sc-unit-needle"), 0);
	p = unit_join(f->dir, "d/loop");
	assert_int_equal(symlink(".", p), 0);
	free(p);
	p = unit_join(f->dir, "d/up");
	assert_int_equal(symlink("..", p), 0);
	free(p);
	p = unit_join(f->dir, "d/alias");
	assert_int_equal(symlink("real", p), 0);
	free(p);
	p = unit_join(f->dir, "d/dangling");
	assert_int_equal(symlink("nowhere", p), 0);
	free(p);

	assert_int_equal(scan(f, f->dir, SC_TARGET_PATH, &st), SC_OK);
	assert_int_equal(st.symlinks, 4);
	assert_int_equal(st.dirs, 2);
	/* The real file once, nothing through the links. */
	assert_int_equal(st.files_scanned, 1);
	assert_int_equal(st.files_matched, 1);
	assert_int_equal(f->c.n, 1);
	assert_non_null(find(&f->c, "d/real"));
}

static void excludes(void **state)
{
	struct fixture *f = *state;
	static const char *const pats[] = { "*.log", "skipdir" };
	struct sc_target_stats st;
	const struct rec *r;

	f->opts.excludes = pats;
	f->opts.nexcludes = 2;
	assert_int_equal(unit_write_str(f->dir, "x.log", "sc-unit-needle"), 0);
	assert_int_equal(unit_write_str(f->dir, "x.txt", "sc-unit-needle"), 0);
	assert_int_equal(unit_mkdir(f->dir, "skipdir"), 0);
	assert_int_equal(unit_write_str(f->dir, "skipdir/inside", "sc-unit-needle"), 0);
	assert_int_equal(scan(f, f->dir, SC_TARGET_PATH, &st), SC_OK);

	r = find(&f->c, "x.log");
	assert_non_null(r);
	assert_int_equal(r->status, SC_ITEM_SKIPPED);
	assert_int_equal(r->reason, SC_REASON_EXCLUDED);
	assert_int_equal(r->size, 14);
	r = find(&f->c, "skipdir");
	assert_non_null(r);
	assert_int_equal(r->reason, SC_REASON_EXCLUDED);
	/* Nothing below an excluded directory is visited. */
	assert_null(find(&f->c, "skipdir/inside"));
	assert_int_equal(find(&f->c, "x.txt")->status, SC_ITEM_MATCH);
	assert_int_equal(st.files_scanned, 1);
	assert_int_equal(st.files_skipped, 2);
	assert_int_equal(st.dirs, 1);
	assert_string_equal(sc_reason_name(SC_REASON_EXCLUDED), "excluded");
}

/* A 2 MiB image: MBR with one partition at sector 2048, marks in the MBR
 * code area (byte 100), the gap (byte 64 KiB) and the partition past its
 * 8 KiB boot region (1 MiB + 16 KiB). */
static char *make_disk(const char *dir)
{
	static unsigned char img[2u << 20];
	unsigned char *e = img + 446;
	char *p;

	memset(img, 0, sizeof(img));
	memcpy(img + 100, "UNIT-MBR-MARK", 13);
	memcpy(img + 65536, "UNIT-GAP-MARK", 13);
	/* In the partition, past its boot region: not a boot area. */
	memcpy(img + (1u << 20) + 16384, "UNIT-GAP-MARK", 13);
	e[0] = 0x00;                 /* not bootable */
	e[4] = 0x83;                 /* Linux */
	e[8] = 0x00;                 /* LBA start 2048, little-endian */
	e[9] = 0x08;
	e[10] = 0;
	e[11] = 0;
	e[12] = 0x00;                /* 2048 sectors */
	e[13] = 0x08;
	img[510] = 0x55;
	img[511] = 0xaa;
	if (unit_write(dir, "disk.img", img, sizeof(img)))
		return NULL;
	p = unit_join(dir, "disk.img");
	return p;
}

static void disk_image(void **state)
{
	struct fixture *f = *state;
	struct sc_target_stats st;
	const struct rec *r;
	char *img = make_disk(f->dir);

	assert_non_null(img);
	assert_int_equal(scan(f, img, SC_TARGET_DISK, &st), SC_OK);
	assert_int_equal(st.kind, SC_TARGET_DISK);
	/* mbr, gap@1+2047, p1:vbr */
	assert_int_equal(st.files_scanned, 3);
	assert_int_equal(st.files_matched, 2);
	assert_int_equal(st.bytes_scanned, 512 + 2047 * 512 + 8192);

	r = find_area(&f->c, "mbr");
	assert_non_null(r);
	assert_int_equal(r->status, SC_ITEM_MATCH);
	assert_string_equal(r->filetype, "MBR");
	assert_int_equal(r->size, 512);
	assert_string_equal(r->rules[0], "Unit_MBR");
	assert_int_equal(r->str_off, 100);
	assert_int_equal(strlen(r->sha256), 64);
	assert_int_equal(r->path_len, strlen(img));

	r = find_area(&f->c, "gap@1+2047");
	assert_non_null(r);
	assert_int_equal(r->status, SC_ITEM_MATCH);
	assert_string_equal(r->filetype, "GAP");
	assert_int_equal(r->size, 2047 * 512);
	assert_int_equal(r->nmatches, 1);
	assert_string_equal(r->rules[0], "Unit_Gap");
	/* Offsets are from the start of the area. */
	assert_int_equal(r->str_off, 65536 - 512);
	free(img);
}

static void disk_image_as_path_is_a_file(void **state)
{
	struct fixture *f = *state;
	struct sc_target_stats st;
	char *img = make_disk(f->dir);

	/* Without SC_TARGET_DISK an image is just a file: no MBR filetype. */
	assert_int_equal(scan(f, img, SC_TARGET_AUTO, &st), SC_OK);
	assert_int_equal(st.kind, SC_TARGET_PATH);
	assert_int_equal(f->c.n, 1);
	assert_false(f->c.r[0].has_area);
	assert_false(matched(&f->c.r[0], "Unit_MBR"));
	free(img);
}

static void tiny_file_is_not_a_disk(void **state)
{
	struct fixture *f = *state;
	struct sc_target_stats st;
	char *p;

	assert_int_equal(unit_write_str(f->dir, "tiny.img", "short"), 0);
	p = unit_join(f->dir, "tiny.img");
	assert_int_equal(scan(f, p, SC_TARGET_DISK, &st), SC_ENOTDISK);
	assert_int_equal(st.error, SC_ENOTDISK);
	free(p);
	/* A directory is not a disk either. */
	assert_int_equal(scan(f, f->dir, SC_TARGET_DISK, &st), SC_ENOTDISK);
}

static void nonexistent_target(void **state)
{
	struct fixture *f = *state;
	struct sc_target_stats st;
	char *p = unit_join(f->dir, "no/such/thing");

	assert_int_equal(scan(f, p, SC_TARGET_AUTO, &st), SC_EOPEN);
	assert_int_equal(st.error, SC_EOPEN);
	assert_int_equal(st.sys_errno, ENOENT);
	assert_int_equal(f->c.n, 0);
	free(p);
}

static void abort_cancels(void **state)
{
	struct fixture *f = *state;
	struct sc_scan_cb cb = { .on_item = on_item, .ctx = &f->c };
	struct sc_target_stats st;
	struct sc_scan *s;
	char name[32];

	for (int i = 0; i < 20; i++) {
		snprintf(name, sizeof(name), "f%02d", i);
		assert_int_equal(unit_write_str(f->dir, name, "data"), 0);
	}
	f->c.abort_after = 3;
	assert_int_equal(sc_scan_create(f->rules, &f->opts, &cb, &s), SC_OK);
	assert_int_equal(sc_scan_target(s, f->dir, SC_TARGET_PATH, &st),
			 SC_ECANCELED);
	assert_int_equal(st.error, SC_ECANCELED);
	/* No more callbacks after the abort. */
	assert_int_equal(f->c.n, 3);
	/* A canceled scan refuses further targets. */
	assert_int_equal(sc_scan_target(s, f->dir, SC_TARGET_PATH, &st),
			 SC_ECANCELED);
	assert_int_equal(f->c.n, 3);
	sc_scan_destroy(s);
}

static void externals_per_file(void **state)
{
	struct fixture *f = *state;
	struct sc_target_stats st;
	const struct rec *r;

	assert_int_equal(unit_write_str(f->dir, "x.EXE", "upper"), 0);
	assert_int_equal(unit_write_str(f->dir, "x.exe", "lower"), 0);
	assert_int_equal(unit_write_str(f->dir, "x.txt", "text"), 0);
	assert_int_equal(unit_write_str(f->dir, "x.exe.bak", "backup"), 0);
	assert_int_equal(unit_write_str(f->dir, "exe", "no dot"), 0);
	assert_int_equal(unit_write_str(f->dir, "target-name.bin", "named"), 0);
	assert_int_equal(unit_write_str(f->dir, "mz.dat", "MZ\x90\x00 header"), 0);
	assert_int_equal(unit_mkdir(f->dir, "deep"), 0);
	assert_int_equal(unit_write_str(f->dir, "deep/pathcheck.dat", "p"), 0);
	assert_int_equal(scan(f, f->dir, SC_TARGET_PATH, &st), SC_OK);
	assert_int_equal(st.files_scanned, 8);

	r = find(&f->c, "x.EXE");
	assert_true(matched(r, "Unit_Ext"));
	assert_int_equal(r->nmatches, 1);
	r = find(&f->c, "x.exe");
	assert_true(matched(r, "Unit_Ext"));
	assert_int_equal(r->nmatches, 1);
	assert_int_equal(find(&f->c, "x.txt")->nmatches, 0);
	assert_int_equal(find(&f->c, "x.exe.bak")->nmatches, 0);
	assert_int_equal(find(&f->c, "exe")->nmatches, 0);

	r = find(&f->c, "target-name.bin");
	assert_int_equal(r->nmatches, 1);
	assert_true(matched(r, "Unit_Name"));

	/* filetype comes from the content, whatever the name says. */
	r = find(&f->c, "mz.dat");
	assert_int_equal(r->nmatches, 1);
	assert_true(matched(r, "Unit_Type"));
	assert_string_equal(r->filetype, "EXE");

	r = find(&f->c, "deep/pathcheck.dat");
	assert_int_equal(r->nmatches, 1);
	assert_true(matched(r, "Unit_Path"));
}

static void owner_external(void **state)
{
	struct fixture *f = *state;
	struct sc_rules *rules;
	struct sc_target_stats st;
	char text[128];

	snprintf(text, sizeof(text),
		 "rule Unit_Owner { condition: owner == \"%lu\" }\n"
		 "rule Unit_Not_Owner { condition: owner == \"%lu\" }\n",
		 (unsigned long)getuid(), (unsigned long)getuid() + 1);
	assert_int_equal(sc_rules_create(NULL, NULL, &rules), SC_OK);
	assert_int_equal(sc_rules_add_source(rules, "owner.yar", NULL, text), SC_OK);
	assert_int_equal(sc_rules_compile(rules), SC_OK);
	sc_rules_destroy(f->rules);
	f->rules = rules;
	assert_int_equal(unit_write_str(f->dir, "mine", "x"), 0);
	assert_int_equal(scan(f, f->dir, SC_TARGET_PATH, &st), SC_OK);
	assert_int_equal(f->c.n, 1);
	assert_int_equal(f->c.r[0].nmatches, 1);
	assert_string_equal(f->c.r[0].rules[0], "Unit_Owner");
}

static void non_utf8_name_kept_exact(void **state)
{
	struct fixture *f = *state;
	struct sc_target_stats st;
	static const char name[] = "bad\xff" "name";

	assert_int_equal(unit_write_str(f->dir, name, "sc-unit-needle"), 0);
	assert_int_equal(scan(f, f->dir, SC_TARGET_PATH, &st), SC_OK);
	assert_int_equal(f->c.n, 1);
	assert_int_equal(f->c.r[0].status, SC_ITEM_MATCH);
	assert_non_null(find(&f->c, name));
}

static void create_needs_compiled_rules(void **state)
{
	struct sc_rules *r;
	struct sc_scan *s = (struct sc_scan *)1;

	(void)state;
	assert_int_equal(sc_rules_create(NULL, NULL, &r), SC_OK);
	assert_int_equal(sc_rules_add_source(r, "a", NULL, "rule A { condition: true }"),
			 SC_OK);
	assert_int_equal(sc_scan_create(r, NULL, NULL, &s), SC_ESTATE);
	assert_null(s);
	sc_rules_destroy(r);
}

static void reason_names(void **state)
{
	static const char *const want[] = {
		"none", "size-cap", "timeout", "io-error", "permission",
		"worker-crash", "worker-hang", "special-file", "excluded",
		"other-filesystem", "vanished", "too-deep", "scan-error",
		"gap-cap", "encrypted", "unsupported-filesystem", "not-mounted",
		"mount-failed",
	};

	(void)state;
	assert_int_equal(sizeof(want) / sizeof(*want), SC_REASON_MAX);
	for (int i = 0; i < SC_REASON_MAX; i++) {
		assert_string_equal(sc_reason_name((enum sc_reason)i), want[i]);
		assert_non_null(sc_reason_text((enum sc_reason)i));
	}
	assert_string_equal(sc_reason_name(SC_REASON_MAX), "unknown");
	assert_string_equal(sc_reason_text((enum sc_reason)-1), "unknown");
}

#define T(fn) cmocka_unit_test_setup_teardown(fn, setup, teardown)

int main(void)
{
	const struct CMUnitTest tests[] = {
		T(counts_clean_tree),
		T(match_details),
		T(single_file_target),
		T(size_cap),
		T(fifo_is_special),
		T(symlinks_not_followed),
		T(excludes),
		T(disk_image),
		T(disk_image_as_path_is_a_file),
		T(tiny_file_is_not_a_disk),
		T(nonexistent_target),
		T(abort_cancels),
		T(externals_per_file),
		T(owner_external),
		T(non_utf8_name_kept_exact),
		cmocka_unit_test(create_needs_compiled_rules),
		cmocka_unit_test(reason_names),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
