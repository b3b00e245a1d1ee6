/*
 * Unit tests for scanner/report.c: the JSON report written to a temporary
 * stream and parsed back with jansson, paths that are not UTF-8, the
 * per-reason totals, target outcomes, and the text report's escaping of
 * control bytes. Items are built by hand, as the engine would pass them.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>
#include <jansson.h>

#include "sc.h"
#include "unit.h"

static struct sc_rules *small_rules(void)
{
	struct sc_rules *r;

	if (sc_rules_create(NULL, NULL, &r))
		return NULL;
	sc_rules_add_source(r, "good.yar", "good",
			    "rule G1 { condition: true }\nrule G2 { condition: false }\n");
	sc_rules_add_source(r, "broken.yar", NULL, "rule B { condition: nope }\n");
	if (sc_rules_compile(r)) {
		sc_rules_destroy(r);
		return NULL;
	}
	return r;
}

/* Writes the report as JSON to a temporary stream and parses it back. */
static json_t *round_trip(const struct sc_report *rep)
{
	FILE *f = tmpfile();
	json_error_t jerr;
	json_t *j;

	assert_non_null(f);
	assert_int_equal(sc_report_write_json(rep, f), SC_OK);
	rewind(f);
	j = json_loadf(f, 0, &jerr);
	if (!j)
		fail_msg("report is not JSON: %s (line %d)", jerr.text, jerr.line);
	fclose(f);
	return j;
}

/* The text report as a malloc'd string. */
static char *text_of(const struct sc_report *rep, unsigned max_list)
{
	FILE *f = tmpfile();
	long n;
	char *s;

	assert_non_null(f);
	assert_int_equal(sc_report_write_text(rep, f, max_list), SC_OK);
	n = ftell(f);
	rewind(f);
	s = calloc(1, (size_t)n + 1);
	assert_non_null(s);
	assert_int_equal(fread(s, 1, (size_t)n, f), (size_t)n);
	fclose(f);
	return s;
}

static void stats_init(struct sc_target_stats *st, int is_dir)
{
	memset(st, 0, sizeof(*st));
	st->kind = SC_TARGET_PATH;
	st->is_dir = is_dir;
}

static const char *jss(json_t *o, const char *key)
{
	json_t *v = json_object_get(o, key);

	if (!json_is_string(v))
		fail_msg("'%s' is not a string", key);
	return json_string_value(v);
}

static json_int_t jint(json_t *o, const char *key)
{
	json_t *v = json_object_get(o, key);

	if (!json_is_integer(v))
		fail_msg("'%s' is not an integer", key);
	return json_integer_value(v);
}

static void json_round_trip(void **state)
{
	static const char *const tags[] = { "test", "unit" };
	static const char *const excl[] = { "*.iso" };
	static const unsigned char data[] = { 'M', 'Z', 0x00, 0xff };
	struct sc_meta meta[] = {
		{ "description", SC_META_STRING, "a test rule", 0 },
		{ "level", SC_META_INTEGER, NULL, 7 },
		{ "active", SC_META_BOOLEAN, NULL, 1 },
	};
	struct sc_string_match sm = { "$mz", 4096, 4, data, 4 };
	struct sc_match m = { "Rule_One", "good", 2, tags, 3, meta, 1, &sm, "local", 0 };
	struct sc_rules *rules = small_rules();
	struct sc_report *rep;
	struct sc_scan_opts o;
	struct sc_item it;
	struct sc_target_stats st;
	json_t *j, *x, *t, *d, *s;

	(void)state;
	assert_non_null(rules);
	assert_int_equal(sc_report_create("rescue", "9.9.9", &rep), SC_OK);
	assert_int_equal(sc_report_set_rules(rep, rules), SC_OK);
	sc_scan_opts_init(&o);
	o.excludes = excl;
	o.nexcludes = 1;
	o.max_size = 1000;
	o.timeout = 9;
	assert_int_equal(sc_report_set_options(rep, &o, 3), SC_OK);
	sc_report_start(rep);

	memset(&it, 0, sizeof(it));
	it.target = "/mnt";
	it.path = "/mnt/a.exe";
	it.path_len = strlen(it.path);
	it.filetype = "EXE";
	it.size = 5000;
	it.status = SC_ITEM_MATCH;
	it.sha256 = UNIT_EICAR_SHA256;
	it.nmatches = 1;
	it.matches = &m;
	assert_int_equal(sc_report_item(rep, &it), SC_OK);

	memset(&it, 0, sizeof(it));
	it.target = "/mnt";
	it.path = "/mnt/clean";
	it.path_len = strlen(it.path);
	it.status = SC_ITEM_CLEAN;
	it.size = 10;
	assert_int_equal(sc_report_item(rep, &it), SC_OK);

	memset(&it, 0, sizeof(it));
	it.target = "/mnt";
	it.path = "/mnt/huge";
	it.path_len = strlen(it.path);
	it.status = SC_ITEM_SKIPPED;
	it.reason = SC_REASON_SIZE;
	it.detail = "over the cap";
	it.size = 123456;
	assert_int_equal(sc_report_item(rep, &it), SC_OK);

	stats_init(&st, 1);
	st.files_scanned = 2;
	st.bytes_scanned = 5010;
	st.files_matched = 1;
	st.files_skipped = 1;
	st.bytes_skipped = 123456;
	st.dirs = 4;
	st.symlinks = 2;
	st.seconds = 0.5;
	assert_int_equal(sc_report_target(rep, "/mnt", &st), SC_OK);
	sc_report_finish(rep);
	assert_int_equal(sc_report_detections(rep), 1);
	assert_int_equal(sc_report_failed_targets(rep), 0);

	j = round_trip(rep);
	assert_int_equal(jint(j, "schema"), 1);
	x = json_object_get(j, "program");
	assert_string_equal(jss(x, "name"), "rescue");
	assert_string_equal(jss(x, "version"), "9.9.9");
	assert_int_equal(strlen(jss(j, "started")), 20); /* 2024-01-01T00:00:00Z */
	assert_int_equal(jss(j, "finished")[19], 'Z');
	assert_true(json_is_number(json_object_get(j, "seconds")));

	x = json_object_get(j, "options");
	assert_int_equal(jint(x, "jobs"), 3);
	assert_int_equal(jint(x, "max_size"), 1000);
	assert_int_equal(jint(x, "timeout"), 9);
	assert_true(json_is_false(json_object_get(x, "one_filesystem")));
	assert_string_equal(json_string_value(json_array_get(
				    json_object_get(x, "excludes"), 0)),
			    "*.iso");

	x = json_object_get(j, "rules");
	assert_int_equal(jint(x, "count"), 2);
	assert_int_equal(jint(x, "sources_failed"), 1);
	s = json_object_get(x, "sources");
	assert_int_equal(json_array_size(s), 2);
	assert_string_equal(jss(json_array_get(s, 0), "path"), "good.yar");
	assert_string_equal(jss(json_array_get(s, 0), "namespace"), "good");
	assert_true(json_is_true(json_object_get(json_array_get(s, 0), "loaded")));
	assert_int_equal(jint(json_array_get(s, 0), "rules"), 2);
	assert_true(json_is_null(json_object_get(json_array_get(s, 0), "error")));
	assert_true(json_is_false(json_object_get(json_array_get(s, 1), "loaded")));
	assert_non_null(strstr(jss(json_array_get(s, 1), "error"), "broken.yar:1: "));

	x = json_object_get(j, "summary");
	assert_int_equal(jint(x, "files_scanned"), 2);
	assert_int_equal(jint(x, "bytes_scanned"), 5010);
	assert_int_equal(jint(x, "files_matched"), 1);
	assert_int_equal(jint(x, "files_not_scanned"), 1);
	assert_int_equal(jint(x, "bytes_not_scanned"), 123456);
	assert_int_equal(jint(x, "detections"), 1);
	assert_int_equal(jint(x, "targets_failed"), 0);

	assert_int_equal(json_array_size(json_object_get(j, "targets")), 1);
	t = json_array_get(json_object_get(j, "targets"), 0);
	assert_string_equal(jss(t, "path"), "/mnt");
	assert_string_equal(jss(t, "kind"), "directory");
	assert_string_equal(jss(t, "status"), "ok");
	assert_true(json_is_null(json_object_get(t, "error")));
	assert_int_equal(jint(t, "files_scanned"), 2);
	assert_int_equal(jint(t, "bytes_scanned"), 5010);
	assert_int_equal(jint(t, "files_matched"), 1);
	assert_int_equal(jint(t, "files_not_scanned"), 1);
	assert_int_equal(jint(t, "bytes_not_scanned"), 123456);
	assert_int_equal(jint(t, "directories"), 4);
	assert_int_equal(jint(t, "symlinks_not_followed"), 2);
	assert_true(json_real_value(json_object_get(t, "seconds")) == 0.5);
	x = json_object_get(t, "not_scanned");
	assert_int_equal(json_array_size(x), 1);
	x = json_array_get(x, 0);
	assert_string_equal(jss(x, "path"), "/mnt/huge");
	assert_null(json_object_get(x, "path_hex"));
	assert_true(json_is_null(json_object_get(x, "area")));
	assert_string_equal(jss(x, "reason"), "size-cap");
	assert_string_equal(jss(x, "detail"), "over the cap");
	assert_int_equal(jint(x, "size"), 123456);

	assert_int_equal(json_array_size(json_object_get(j, "detections")), 1);
	d = json_array_get(json_object_get(j, "detections"), 0);
	assert_string_equal(jss(d, "target"), "/mnt");
	assert_string_equal(jss(d, "path"), "/mnt/a.exe");
	assert_null(json_object_get(d, "path_hex"));
	assert_true(json_is_null(json_object_get(d, "area")));
	assert_string_equal(jss(d, "filetype"), "EXE");
	assert_int_equal(jint(d, "size"), 5000);
	assert_string_equal(jss(d, "sha256"), UNIT_EICAR_SHA256);
	assert_string_equal(jss(d, "rule"), "Rule_One");
	assert_string_equal(jss(d, "namespace"), "good");
	x = json_object_get(d, "tags");
	assert_int_equal(json_array_size(x), 2);
	assert_string_equal(json_string_value(json_array_get(x, 1)), "unit");
	x = json_object_get(d, "meta");
	assert_string_equal(jss(x, "description"), "a test rule");
	assert_int_equal(jint(x, "level"), 7);
	assert_true(json_is_true(json_object_get(x, "active")));
	x = json_array_get(json_object_get(d, "strings"), 0);
	assert_string_equal(jss(x, "identifier"), "$mz");
	assert_int_equal(jint(x, "offset"), 4096);
	assert_int_equal(jint(x, "length"), 4);
	assert_string_equal(jss(x, "data_hex"), "4d5a00ff");

	json_decref(j);
	sc_report_destroy(rep);
	sc_rules_destroy(rules);
}

static void non_utf8_paths(void **state)
{
	struct sc_match m = { "R", "ns", 0, NULL, 0, NULL, 0, NULL, "local", 0 };
	struct sc_report *rep;
	struct sc_item it;
	struct sc_target_stats st;
	json_t *j, *t, *x;
	/* "/t/bad<FF>name", and "é<FE>" whose first char is valid. */
	static const char target[] = "/t\xff";
	static const char p1[] = "/t\xff/bad\xff" "name";
	static const char p2[] = "/t\xff/\xc3\xa9\xfe";

	(void)state;
	assert_int_equal(sc_report_create("rescue", "0", &rep), SC_OK);
	memset(&it, 0, sizeof(it));
	it.target = target;
	it.path = p1;
	it.path_len = sizeof(p1) - 1;
	it.status = SC_ITEM_MATCH;
	it.nmatches = 1;
	it.matches = &m;
	assert_int_equal(sc_report_item(rep, &it), SC_OK);
	it.path = p2;
	it.path_len = sizeof(p2) - 1;
	it.status = SC_ITEM_SKIPPED;
	it.reason = SC_REASON_PERMISSION;
	it.nmatches = 0;
	it.matches = NULL;
	assert_int_equal(sc_report_item(rep, &it), SC_OK);
	stats_init(&st, 1);
	assert_int_equal(sc_report_target(rep, target, &st), SC_OK);

	j = round_trip(rep);
	x = json_array_get(json_object_get(j, "detections"), 0);
	assert_string_equal(jss(x, "path"), "/t\xef\xbf\xbd/bad\xef\xbf\xbdname");
	assert_string_equal(jss(x, "path_hex"), "2f74ff2f626164ff6e616d65");

	t = json_array_get(json_object_get(j, "targets"), 0);
	assert_string_equal(jss(t, "path"), "/t\xef\xbf\xbd");
	assert_string_equal(jss(t, "path_hex"), "2f74ff");
	x = json_array_get(json_object_get(t, "not_scanned"), 0);
	assert_string_equal(jss(x, "path"), "/t\xef\xbf\xbd/\xc3\xa9\xef\xbf\xbd");
	assert_string_equal(jss(x, "path_hex"), "2f74ff2fc3a9fe");
	assert_string_equal(jss(x, "reason"), "permission");
	json_decref(j);
	sc_report_destroy(rep);
}

/* Valid UTF-8 (NFD, emoji) is kept as is, with no path_hex. */
static void utf8_paths_exact(void **state)
{
	struct sc_match m = { "R", "ns", 0, NULL, 0, NULL, 0, NULL, "local", 0 };
	struct sc_report *rep;
	struct sc_item it;
	json_t *j, *x;
	static const char p[] = "/t/cafe\xcc\x81-\xf0\x9f\x98\x80";

	(void)state;
	assert_int_equal(sc_report_create("rescue", "0", &rep), SC_OK);
	memset(&it, 0, sizeof(it));
	it.target = "/t";
	it.path = p;
	it.path_len = sizeof(p) - 1;
	it.status = SC_ITEM_MATCH;
	it.nmatches = 1;
	it.matches = &m;
	assert_int_equal(sc_report_item(rep, &it), SC_OK);
	j = round_trip(rep);
	x = json_array_get(json_object_get(j, "detections"), 0);
	assert_string_equal(jss(x, "path"), p);
	assert_null(json_object_get(x, "path_hex"));
	json_decref(j);
	sc_report_destroy(rep);
}

static void skipped(struct sc_report *rep, const char *target,
		    const char *path, enum sc_reason reason, uint64_t size)
{
	struct sc_item it;

	memset(&it, 0, sizeof(it));
	it.target = target;
	it.path = path;
	it.path_len = strlen(path);
	it.status = SC_ITEM_SKIPPED;
	it.reason = reason;
	it.size = size;
	assert_int_equal(sc_report_item(rep, &it), SC_OK);
}

static void totals_by_reason(void **state)
{
	struct sc_report *rep;
	struct sc_target_stats st;
	json_t *j, *t, *by, *x;
	const char *key;
	json_int_t files = 0, bytes = 0;

	(void)state;
	assert_int_equal(sc_report_create("rescue", "0", &rep), SC_OK);
	skipped(rep, "/a", "/a/1", SC_REASON_SIZE, 100);
	skipped(rep, "/a", "/a/2", SC_REASON_PERMISSION, 0);
	skipped(rep, "/a", "/a/3", SC_REASON_SIZE, 200);
	skipped(rep, "/b", "/b/1", SC_REASON_TIMEOUT, 5);
	skipped(rep, "/a", "/a/4", SC_REASON_SIZE, 300);
	skipped(rep, "/a", "/a/5", SC_REASON_CRASH, 7);
	stats_init(&st, 1);
	st.files_skipped = 5;
	st.bytes_skipped = 607;
	assert_int_equal(sc_report_target(rep, "/a", &st), SC_OK);
	stats_init(&st, 0);
	st.files_skipped = 1;
	st.bytes_skipped = 5;
	assert_int_equal(sc_report_target(rep, "/b", &st), SC_OK);

	j = round_trip(rep);
	assert_int_equal(json_array_size(json_object_get(j, "targets")), 2);
	t = json_array_get(json_object_get(j, "targets"), 0);
	assert_string_equal(jss(t, "path"), "/a");
	assert_int_equal(json_array_size(json_object_get(t, "not_scanned")), 5);
	by = json_object_get(t, "not_scanned_by_reason");
	assert_int_equal(json_object_size(by), 3);
	x = json_object_get(by, "size-cap");
	assert_int_equal(jint(x, "files"), 3);
	assert_int_equal(jint(x, "bytes"), 600);
	x = json_object_get(by, "permission");
	assert_int_equal(jint(x, "files"), 1);
	assert_int_equal(jint(x, "bytes"), 0);
	x = json_object_get(by, "worker-crash");
	assert_int_equal(jint(x, "files"), 1);
	assert_int_equal(jint(x, "bytes"), 7);
	/* The per-reason totals add up to the target's totals. */
	json_object_foreach(by, key, x) {
		files += jint(x, "files");
		bytes += jint(x, "bytes");
	}
	assert_int_equal(files, jint(t, "files_not_scanned"));
	assert_int_equal(bytes, jint(t, "bytes_not_scanned"));

	t = json_array_get(json_object_get(j, "targets"), 1);
	assert_string_equal(jss(t, "kind"), "file");
	by = json_object_get(t, "not_scanned_by_reason");
	assert_int_equal(json_object_size(by), 1);
	assert_int_equal(jint(json_object_get(by, "timeout"), "files"), 1);

	x = json_object_get(j, "summary");
	assert_int_equal(jint(x, "files_not_scanned"), 6);
	assert_int_equal(jint(x, "bytes_not_scanned"), 612);
	json_decref(j);
	sc_report_destroy(rep);
}

static void target_outcomes(void **state)
{
	struct sc_report *rep;
	struct sc_target_stats st;
	json_t *j, *t;

	(void)state;
	assert_int_equal(sc_report_create("rescue", "0", &rep), SC_OK);
	stats_init(&st, 0);
	st.error = SC_EOPEN;
	st.sys_errno = ENOENT;
	assert_int_equal(sc_report_target(rep, "/missing", &st), SC_OK);
	stats_init(&st, 0);
	st.kind = SC_TARGET_DISK;
	assert_int_equal(sc_report_target(rep, "/dev/sdz", &st), SC_OK);
	stats_init(&st, 1);
	st.error = SC_ECANCELED;
	assert_int_equal(sc_report_target(rep, "/stopped", &st), SC_OK);
	stats_init(&st, 0);
	st.error = SC_ENOTDISK;
	assert_int_equal(sc_report_target(rep, "/notdisk", &st), SC_OK);
	assert_int_equal(sc_report_failed_targets(rep), 2);

	j = round_trip(rep);
	t = json_array_get(json_object_get(j, "targets"), 0);
	assert_string_equal(jss(t, "status"), "error");
	assert_string_equal(jss(t, "error"), "cannot open: No such file or directory");
	assert_string_equal(jss(t, "kind"), "file");
	t = json_array_get(json_object_get(j, "targets"), 1);
	assert_string_equal(jss(t, "kind"), "disk");
	assert_string_equal(jss(t, "status"), "ok");
	t = json_array_get(json_object_get(j, "targets"), 2);
	assert_string_equal(jss(t, "status"), "canceled");
	t = json_array_get(json_object_get(j, "targets"), 3);
	assert_string_equal(jss(t, "status"), "error");
	assert_string_equal(jss(t, "error"), "not a disk or disk image");
	assert_int_equal(jint(json_object_get(j, "summary"), "targets_failed"), 2);
	json_decref(j);
	sc_report_destroy(rep);
}

static void one_detection_per_rule(void **state)
{
	struct sc_match m[2] = {
		{ "R1", "ns", 0, NULL, 0, NULL, 0, NULL, "local", 0 },
		{ "R2", "ns", 0, NULL, 0, NULL, 0, NULL, "local", 0 },
	};
	struct sc_meta bad_meta = { "description", SC_META_STRING, "x\xff", 0 };
	struct sc_report *rep;
	struct sc_item it;
	json_t *j, *d;

	(void)state;
	m[1].nmeta = 1;
	m[1].meta = &bad_meta;
	assert_int_equal(sc_report_create("rescue", "0", &rep), SC_OK);
	memset(&it, 0, sizeof(it));
	it.target = "/dev/sda";
	it.path = "/dev/sda";
	it.path_len = 8;
	it.area = "mbr";
	it.filetype = "MBR";
	it.status = SC_ITEM_MATCH;
	it.nmatches = 2;
	it.matches = m;
	assert_int_equal(sc_report_item(rep, &it), SC_OK);
	assert_int_equal(sc_report_detections(rep), 2);
	j = round_trip(rep);
	d = json_object_get(j, "detections");
	assert_int_equal(json_array_size(d), 2);
	assert_string_equal(jss(json_array_get(d, 0), "area"), "mbr");
	assert_string_equal(jss(json_array_get(d, 1), "rule"), "R2");
	/* A meta string that is not UTF-8 cannot go into JSON as is. */
	assert_string_equal(jss(json_object_get(json_array_get(d, 1), "meta"),
				"description"),
			    "(not UTF-8)");
	json_decref(j);
	sc_report_destroy(rep);
}

static void text_escapes_control_bytes(void **state)
{
	struct sc_match m = { "Evil", "ns", 0, NULL, 0, NULL, 0, NULL, "local", 0 };
	struct sc_report *rep;
	struct sc_item it;
	struct sc_target_stats st;
	struct sc_rules *rules;
	char *txt;
	static const char evil[] = "/t/a\x1b[2J\rb\nc\x7f" "d\x07";

	(void)state;
	assert_int_equal(sc_rules_create(NULL, NULL, &rules), SC_OK);
	sc_rules_add_source(rules, "ok.yar", NULL, "rule Ok { condition: true }");
	sc_rules_add_source(rules, "esc\x1b]0;title\x07.yar", NULL, "rule { }");
	assert_int_equal(sc_rules_compile(rules), SC_OK);

	assert_int_equal(sc_report_create("rescue", "1.0", &rep), SC_OK);
	assert_int_equal(sc_report_set_rules(rep, rules), SC_OK);
	sc_report_start(rep);
	memset(&it, 0, sizeof(it));
	it.target = "/t";
	it.path = evil;
	it.path_len = sizeof(evil) - 1;
	it.status = SC_ITEM_MATCH;
	it.sha256 = UNIT_EICAR_SHA256;
	it.nmatches = 1;
	it.matches = &m;
	assert_int_equal(sc_report_item(rep, &it), SC_OK);
	it.status = SC_ITEM_SKIPPED;
	it.reason = SC_REASON_IO;
	it.detail = "bad\x1b[0m detail";
	it.nmatches = 0;
	assert_int_equal(sc_report_item(rep, &it), SC_OK);
	stats_init(&st, 1);
	st.files_matched = 1;
	st.files_skipped = 1;
	assert_int_equal(sc_report_target(rep, "/t", &st), SC_OK);
	sc_report_finish(rep);

	txt = text_of(rep, 0);
	/* No raw control byte but the line breaks the report itself writes. */
	for (const char *p = txt; *p; p++) {
		unsigned char c = (unsigned char)*p;

		if ((c < 0x20 && c != '\n') || c == 0x7f)
			fail_msg("raw control byte 0x%02x at offset %ld", c,
				 (long)(p - txt));
	}
	assert_non_null(strstr(txt, "/t/a\\x1b[2J\\x0db\\x0ac\\x7fd\\x07"));
	assert_non_null(strstr(txt, "bad\\x1b[0m detail"));
	assert_non_null(strstr(txt, "esc\\x1b]0;title\\x07.yar"));
	assert_non_null(strstr(txt, "ns:Evil"));
	assert_non_null(strstr(txt, UNIT_EICAR_SHA256));
	assert_non_null(strstr(txt, "rescue 1.0 scan report"));
	free(txt);
	sc_report_destroy(rep);
	sc_rules_destroy(rules);
}

static void text_list_cap(void **state)
{
	struct sc_report *rep;
	struct sc_target_stats st;
	char *txt, name[32];

	(void)state;
	assert_int_equal(sc_report_create("rescue", "0", &rep), SC_OK);
	for (int i = 0; i < 7; i++) {
		snprintf(name, sizeof(name), "/d/f%d", i);
		skipped(rep, "/d", name, SC_REASON_SIZE, 1);
	}
	stats_init(&st, 1);
	assert_int_equal(sc_report_target(rep, "/d", &st), SC_OK);
	txt = text_of(rep, 3);
	assert_non_null(strstr(txt, "/d/f2: size-cap"));
	assert_null(strstr(txt, "/d/f3"));
	assert_non_null(strstr(txt, "... 4 more in the full report"));
	free(txt);
	txt = text_of(rep, 0); /* 0 lists them all */
	assert_non_null(strstr(txt, "/d/f6: size-cap"));
	free(txt);
	sc_report_destroy(rep);
}

/* sc_display_name(name) must equal want. */
static void display_is(const char *name, size_t n, const char *want)
{
	char *d = sc_display_name(name, n);

	assert_non_null(d);
	if (strcmp(d, want))
		fail_msg("sc_display_name gave \"%s\", want \"%s\"", d, want);
	free(d);
}

#define DISPLAY(lit, want) display_is(lit, sizeof(lit) - 1, want)

static void display_name_plain(void **state)
{
	(void)state;
	DISPLAY("", "");
	DISPLAY("/mnt/plain name.txt", "/mnt/plain name.txt");
	DISPLAY("caf\xc3\xa9", "caf\xc3\xa9");
	DISPLAY("\xf0\x9f\x98\x80.txt", "\xf0\x9f\x98\x80.txt");
	DISPLAY("a\x1b[2Jb", "a\\x1b[2Jb");
	DISPLAY("tab\there\nnl\x7f", "tab\\x09here\\x0anl\\x7f");
	DISPLAY("bad\xffname", "bad\\xffname");
	DISPLAY("\xed\xa0\x80", "\\xed\\xa0\\x80"); /* surrogate */
	DISPLAY("back\\slash", "back\\\\slash");
	/* An embedded NUL is shown, not a terminator. */
	DISPLAY("a\0b", "a\\x00b");
}

/*
 * A control byte or backslash right after a multibyte character must be
 * escaped like anywhere else: the name "cafe\x1b[2J" with an accented e
 * must not reach the terminal with a raw ESC.
 */
static void display_name_after_multibyte(void **state)
{
	(void)state;
	DISPLAY("caf\xc3\xa9\x1b[2J", "caf\xc3\xa9\\x1b[2J");
	DISPLAY("\xc3\xa9\n", "\xc3\xa9\\x0a");
	DISPLAY("\xe2\x82\xac\x07", "\xe2\x82\xac\\x07");
	DISPLAY("\xc3\xa9\\x", "\xc3\xa9\\\\x");
}

/*
 * C1 controls (U+0080..U+009F) written as valid UTF-8: U+009B is CSI on the
 * Linux console even in UTF-8 mode, which is where a rescue system runs.
 */
static void display_name_c1_controls(void **state)
{
	(void)state;
	DISPLAY("x\xc2\x9b" "2J", "x\\xc2\\x9b2J");
	DISPLAY("\xc2\x85", "\\xc2\\x85");
	/* U+00A0 and up are printable. */
	DISPLAY("\xc2\xa0", "\xc2\xa0");
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(json_round_trip),
		cmocka_unit_test(non_utf8_paths),
		cmocka_unit_test(utf8_paths_exact),
		cmocka_unit_test(totals_by_reason),
		cmocka_unit_test(target_outcomes),
		cmocka_unit_test(one_detection_per_rule),
		cmocka_unit_test(text_escapes_control_bytes),
		cmocka_unit_test(text_list_cap),
		cmocka_unit_test(display_name_plain),
		cmocka_unit_test(display_name_after_multibyte),
		cmocka_unit_test(display_name_c1_controls),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
