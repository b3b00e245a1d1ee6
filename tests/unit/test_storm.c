/*
 * Unit tests for scanner/storm.c: protected-path matching (letter case,
 * separators, mount prefixes, look-alikes that must not match), the
 * threshold edge, counting each file once, releases (exact, bare, ambiguous,
 * not held), and the report's use of it: "held" on each detection, "holds",
 * "detections_held" and the HELD section of the text report.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>
#include <jansson.h>

#include "sc.h"
#include "unit.h"

static int prot(const char *p)
{
	return sc_storm_is_protected(p, strlen(p));
}

static void protected_paths(void **state)
{
	static const char *const yes[] = {
		"/mnt/vda2/Windows/System32/svchost.exe",
		"/mnt/vda2/windows/system32/SVCHOST.EXE",
		"/mnt/vda2/WINDOWS/SYSTEM32/config/SYSTEM",
		"/mnt/vda2/Windows/System32/drivers/etc/hosts",
		"/mnt/vda2/Windows/SysWOW64/ntdll.dll",
		"/mnt/vda2/Windows/WinSxS/amd64_x/y.dll",
		"/mnt/vda2/Windows/Boot/EFI/bootmgfw.efi",
		"/mnt/vda2/Windows/explorer.exe",
		"/mnt/vda2/Windows/EXPLORER.EXE",
		"/mnt/vda1/bootmgr",
		"/mnt/vda1/BOOTMGR",
		"/mnt/vda1/bootmgr.efi",
		"/mnt/esp/EFI/Microsoft/Boot/bootmgfw.efi",
		"/mnt/esp/efi/microsoft/boot/BCD",
		"/mnt/esp/EFI/BOOT/BOOTX64.EFI",
		"/mnt/esp/efi/boot/bootx64.efi",
		/* Separators: doubled, backslashes, "." components. */
		"/mnt/vda2//Windows///System32//svchost.exe",
		"/mnt/vda2/Windows\\System32\\svchost.exe",
		"C:\\Windows\\System32\\svchost.exe",
		"/mnt/vda2/./Windows/./System32/svchost.exe",
		/* No mount prefix at all, or a deep one. */
		"Windows/System32/svchost.exe",
		"bootmgr",
		"/a/b/c/d/e/Windows/System32/x",
		/* A copy of a Windows tree counts too (documented). */
		"/mnt/data/backup/Windows/System32/kernel32.dll",
	};
	static const char *const no[] = {
		/* Look-alike components. */
		"/mnt/x/MyWindows/System32/a",
		"/mnt/x/Windows/System32x/a",
		"/mnt/x/MyWindows/System32x/a",
		"/mnt/x/Windows/System32.bak/a",
		"/mnt/x/Windows.old2/System32/a",
		"/mnt/x/Windows /System32/a",
		"/mnt/x/Windows/Sys/System32",
		"/mnt/x/Windows/explorer.exe.bak",
		"/mnt/x/Windows/explorer.exe/inner",
		"/mnt/x/bootmgr2",
		"/mnt/x/xbootmgr",
		"/mnt/x/bootmgr.efi.txt",
		"/mnt/x/EFI/BOOT/BOOTX64.EFI.old",
		"/mnt/x/EFI/BOOT/grubx64.efi",
		"/mnt/x/EFI/Microsoft/Bootx/a",
		/* The directory itself is no file below it. */
		"/mnt/x/Windows/System32",
		"/mnt/x/Windows/System32/",
		/* Other places. */
		"/mnt/x/Windows/notepad.exe",
		"/mnt/x/Program Files/System32/a",
		"/mnt/x/System32/a",
		"/dev/sda",
		"",
		"/",
	};

	(void)state;
	for (size_t i = 0; i < sizeof(yes) / sizeof(*yes); i++)
		if (!prot(yes[i]))
			fail_msg("'%s' should be protected", yes[i]);
	for (size_t i = 0; i < sizeof(no) / sizeof(*no); i++)
		if (prot(no[i]))
			fail_msg("'%s' should not be protected", no[i]);
	/* The length is honoured: a prefix of a protected path is not. */
	assert_false(sc_storm_is_protected("/m/Windows/System32/svchost.exe",
					   strlen("/m/Windows/System32")));
	assert_true(sc_storm_is_protected("/m/bootmgr.efi", strlen("/m/bootmgr")));
	/* Bytes that are not UTF-8 do no harm. */
	assert_true(prot("/mnt/\xff\xfe/Windows/System32/\x80.dll"));
	assert_false(sc_storm_is_protected(NULL, 0));
}

static void threshold_edge(void **state)
{
	struct sc_storm_opts o;

	(void)state;
	sc_storm_opts_init(&o);
	assert_int_equal(o.threshold, SC_STORM_THRESHOLD_DEFAULT);
	assert_int_equal(o.threshold, 50);
	assert_false(sc_storm_over_threshold(&o, 50));
	assert_true(sc_storm_over_threshold(&o, 51));
	o.threshold = 0;
	assert_false(sc_storm_over_threshold(&o, 1000000));
}

static void release_matching(void **state)
{
	(void)state;
	assert_int_equal(sc_storm_release_matches("ns:R", "ns", "R"), 2);
	assert_int_equal(sc_storm_release_matches("R", "ns", "R"), 1);
	assert_int_equal(sc_storm_release_matches("ns:R", "ns2", "R"), 0);
	assert_int_equal(sc_storm_release_matches("n:R", "ns", "R"), 0);
	assert_int_equal(sc_storm_release_matches("ns:R", "ns", "R2"), 0);
	assert_int_equal(sc_storm_release_matches("R2", "ns", "R"), 0);
	/* The namespace is what comes before the last ':'. */
	assert_int_equal(sc_storm_release_matches("a:b:R", "a:b", "R"), 2);
}

/* Adds n distinct files under dir for ns:rule. */
static void add_files(struct sc_storm *s, const char *ns, const char *rule,
		      const char *dir, unsigned n)
{
	char p[256];

	for (unsigned i = 0; i < n; i++) {
		snprintf(p, sizeof(p), "%s/f%u", dir, i);
		assert_int_equal(sc_storm_add(s, ns, rule, p, strlen(p), NULL),
				 SC_OK);
	}
}

static void count_threshold(void **state)
{
	struct sc_storm *s;
	struct sc_storm_opts o;
	const struct sc_storm_hold *h;

	(void)state;
	assert_int_equal(sc_storm_create(&s), SC_OK);
	sc_storm_opts_init(&o);
	add_files(s, "ns", "Fifty", "/mnt/a", 50);
	add_files(s, "ns", "FiftyOne", "/mnt/a", 51);
	/* The same file again (another target reaching it) counts once. */
	add_files(s, "ns", "Fifty", "/mnt/a", 50);
	/* Boot areas count as files, one per area. */
	assert_int_equal(sc_storm_add(s, "ns", "Fifty", "/dev/sda", 8, "mbr"),
			 SC_OK);
	assert_int_equal(sc_storm_add(s, "ns", "Fifty", "/dev/sda", 8, "mbr"),
			 SC_OK);
	assert_int_equal(sc_storm_add(s, "other", "Fifty", "/x", 2, NULL),
			 SC_OK);
	/* Nothing is held before a decision. */
	assert_false(sc_storm_is_held(s, "ns", "FiftyOne"));
	assert_int_equal(sc_storm_decide(s, &o), SC_OK);

	/* 51 files (50 + the MBR): held; the same rule name elsewhere not. */
	assert_true(sc_storm_is_held(s, "ns", "Fifty"));
	assert_false(sc_storm_is_held(s, "other", "Fifty"));
	assert_true(sc_storm_is_held(s, "ns", "FiftyOne"));
	assert_int_equal(sc_storm_nholds(s), 2);
	h = sc_storm_hold_of(s, "ns", "Fifty");
	assert_non_null(h);
	assert_int_equal(h->files, 51);
	assert_int_equal(h->why, SC_STORM_COUNT);
	assert_string_equal(h->reason, "matched 51 files (threshold 50)");
	assert_false(h->released);
	assert_null(h->released_by);
	/* Holds come in first-match order. */
	assert_string_equal(sc_storm_hold_at(s, 0)->rule, "Fifty");
	assert_string_equal(sc_storm_hold_at(s, 1)->rule, "FiftyOne");
	assert_null(sc_storm_hold_at(s, 2));

	/* Deciding again replaces the decision: at 51 nothing is held. */
	o.threshold = 51;
	assert_int_equal(sc_storm_decide(s, &o), SC_OK);
	assert_int_equal(sc_storm_nholds(s), 0);
	assert_false(sc_storm_is_held(s, "ns", "Fifty"));
	o.threshold = 0;
	assert_int_equal(sc_storm_decide(s, &o), SC_OK);
	assert_int_equal(sc_storm_nholds(s), 0);
	sc_storm_destroy(s);
}

static void protected_hold(void **state)
{
	static const char sys[] = "/mnt/vda2/Windows/System32/svchost.exe";
	struct sc_storm *s;
	struct sc_storm_opts o;
	const struct sc_storm_hold *h;

	(void)state;
	assert_int_equal(sc_storm_create(&s), SC_OK);
	sc_storm_opts_init(&o);
	o.threshold = 0; /* the protected list applies regardless */
	add_files(s, "ns", "Svc", "/mnt/vda2/Users/a", 3);
	assert_int_equal(sc_storm_add(s, "ns", "Svc", sys, strlen(sys), NULL),
			 SC_OK);
	/* An area of a disk named like a protected path is not a file. */
	assert_int_equal(sc_storm_add(s, "ns", "Area", "/x/bootmgr", 10, "mbr"),
			 SC_OK);
	assert_int_equal(sc_storm_decide(s, &o), SC_OK);
	assert_true(sc_storm_is_held(s, "ns", "Svc"));
	assert_false(sc_storm_is_held(s, "ns", "Area"));
	h = sc_storm_hold_of(s, "ns", "Svc");
	assert_int_equal(h->why, SC_STORM_PROTECTED);
	assert_int_equal(h->files, 4);
	assert_string_equal(h->reason, "matched a protected system file: "
				       "/mnt/vda2/Windows/System32/svchost.exe");
	sc_storm_destroy(s);
}

static void releases(void **state)
{
	const char *rel[] = { "a:Many", "Bare", "Twice", "Nope", "b:Protected" };
	struct sc_storm *s;
	struct sc_storm_opts o;
	const struct sc_storm_hold *h;

	(void)state;
	assert_int_equal(sc_storm_create(&s), SC_OK);
	sc_storm_opts_init(&o);
	o.threshold = 2;
	add_files(s, "a", "Many", "/d", 3);
	add_files(s, "b", "Many", "/d", 3);
	add_files(s, "a", "Bare", "/d", 3);
	add_files(s, "a", "Twice", "/d", 3);
	add_files(s, "b", "Twice", "/d", 3);
	add_files(s, "a", "Protected", "/d", 1);
	assert_int_equal(sc_storm_add(s, "b", "Protected", "/m/bootmgr", 10, NULL),
			 SC_OK);
	o.release = rel;
	o.nrelease = 5;
	o.released_by = "tech";
	assert_int_equal(sc_storm_decide(s, &o), SC_OK);

	assert_false(sc_storm_is_held(s, "a", "Many"));
	assert_true(sc_storm_is_held(s, "b", "Many"));
	assert_false(sc_storm_is_held(s, "a", "Bare"));
	/* Bare and held in two namespaces: ambiguous, both stay held. */
	assert_true(sc_storm_is_held(s, "a", "Twice"));
	assert_true(sc_storm_is_held(s, "b", "Twice"));
	/* A protected hold is released like any other. */
	assert_false(sc_storm_is_held(s, "b", "Protected"));
	assert_int_equal(sc_storm_release_state(s, 0), SC_RELEASE_APPLIED);
	assert_int_equal(sc_storm_release_state(s, 1), SC_RELEASE_APPLIED);
	assert_int_equal(sc_storm_release_state(s, 2), SC_RELEASE_AMBIGUOUS);
	assert_int_equal(sc_storm_release_state(s, 3), SC_RELEASE_NOT_HELD);
	assert_int_equal(sc_storm_release_state(s, 4), SC_RELEASE_APPLIED);
	assert_int_equal(sc_storm_release_state(s, 5), SC_RELEASE_NOT_HELD);

	/* A released hold stays listed, with who and when. */
	h = sc_storm_hold_of(s, "a", "Many");
	assert_non_null(h);
	assert_true(h->released);
	assert_string_equal(h->released_by, "tech");
	assert_non_null(h->released_at);
	assert_int_equal(strlen(h->released_at), 20);
	assert_int_equal(h->released_at[19], 'Z');
	assert_int_equal(sc_storm_nholds(s), 6);
	sc_storm_destroy(s);
}

static void user_name(void **state)
{
	char buf[64];

	(void)state;
	sc_storm_user(buf, sizeof(buf));
	assert_true(buf[0] != '\0');
	sc_storm_user(buf, 3); /* truncated, still terminated */
	assert_true(strlen(buf) <= 2);
}

/* --- the report applying it --------------------------------------------- */

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

static char *text_of(const struct sc_report *rep)
{
	FILE *f = tmpfile();
	long n;
	char *s;

	assert_non_null(f);
	assert_int_equal(sc_report_write_text(rep, f, 0), SC_OK);
	n = ftell(f);
	rewind(f);
	s = calloc(1, (size_t)n + 1);
	assert_non_null(s);
	assert_int_equal(fread(s, 1, (size_t)n, f), (size_t)n);
	fclose(f);
	return s;
}

static void item_match(struct sc_report *rep, const char *path,
		       const struct sc_match *m)
{
	struct sc_item it;

	memset(&it, 0, sizeof(it));
	it.target = "/mnt";
	it.path = path;
	it.path_len = strlen(path);
	it.status = SC_ITEM_MATCH;
	it.sha256 = "00";
	it.nmatches = 1;
	it.matches = m;
	assert_int_equal(sc_report_item(rep, &it), SC_OK);
}

static void report_holds(void **state)
{
	struct sc_match storm, svc, fine;
	struct sc_report *rep;
	struct sc_storm_opts o;
	const char *rel[] = { "u:Storm" };
	char path[64], *text;
	json_t *j, *d, *h;
	size_t i, held = 0;

	(void)state;
	memset(&storm, 0, sizeof(storm));
	storm.rule = "Storm";
	storm.ns = "u";
	svc = fine = storm;
	svc.rule = "Svc";
	fine.rule = "Fine";
	assert_int_equal(sc_report_create("rescue", "test", &rep), SC_OK);
	for (unsigned k = 0; k < 60; k++) {
		snprintf(path, sizeof(path), "/mnt/d/f%u", k);
		item_match(rep, path, &storm);
	}
	item_match(rep, "/mnt/d/f0", &fine);
	item_match(rep, "/mnt/vda2/WINDOWS/system32/svchost.exe", &svc);

	/* Before the guard is applied nothing is held. */
	j = round_trip(rep);
	assert_int_equal(json_array_size(json_object_get(j, "holds")), 0);
	assert_true(json_is_false(json_object_get(
		json_array_get(json_object_get(j, "detections"), 0), "held")));
	json_decref(j);

	sc_storm_opts_init(&o);
	o.released_by = "tech";
	assert_int_equal(sc_report_apply_holds(rep, &o), SC_OK);
	assert_int_equal(sc_report_detections(rep), 62);
	assert_int_equal(sc_report_detections_held(rep), 61);
	assert_true(sc_storm_is_held(sc_report_storm(rep), "u", "Storm"));
	j = round_trip(rep);
	json_array_foreach(json_object_get(j, "detections"), i, d)
	{
		const char *rule = json_string_value(json_object_get(d, "rule"));

		if (!strcmp(rule, "Fine")) {
			assert_true(json_is_false(json_object_get(d, "held")));
			assert_null(json_object_get(d, "hold_reason"));
			continue;
		}
		assert_true(json_is_true(json_object_get(d, "held")));
		assert_true(json_is_string(json_object_get(d, "hold_reason")));
		held++;
	}
	assert_int_equal(held, 61);
	assert_int_equal(json_integer_value(json_object_get(
				 json_object_get(j, "summary"), "detections_held")),
			 61);
	assert_int_equal(json_array_size(json_object_get(j, "holds")), 2);
	h = json_array_get(json_object_get(j, "holds"), 0);
	assert_string_equal(json_string_value(json_object_get(h, "rule")), "Storm");
	assert_string_equal(json_string_value(json_object_get(h, "namespace")), "u");
	assert_true(json_is_null(json_object_get(h, "set")));
	assert_true(json_is_null(json_object_get(h, "set_version")));
	assert_int_equal(json_integer_value(json_object_get(h, "files")), 60);
	assert_string_equal(json_string_value(json_object_get(h, "reason")),
			    "matched 60 files (threshold 50)");
	assert_true(json_is_false(json_object_get(h, "released")));
	assert_true(json_is_null(json_object_get(h, "released_by")));
	h = json_array_get(json_object_get(j, "holds"), 1);
	assert_string_equal(json_string_value(json_object_get(h, "reason")),
			    "matched a protected system file: "
			    "/mnt/vda2/WINDOWS/system32/svchost.exe");
	assert_int_equal(json_integer_value(json_object_get(
				 json_object_get(j, "storm_guard"), "threshold")),
			 50);
	json_decref(j);

	text = text_of(rep);
	assert_non_null(strstr(text, "detections: 62, 61 held for review"));
	assert_non_null(strstr(text, "\nHELD: 2 rules, 61 detections held"));
	assert_non_null(strstr(text, "a question, not a verdict"));
	assert_non_null(strstr(text, "  HELD u:Storm: 60 files, matched 60 files "
				     "(threshold 50)\n"
				     "    release: rescue scan --release-hold "
				     "u:Storm "));
	assert_non_null(strstr(text, "    release: rescue scan --release-hold u:Svc "));
	free(text);

	/* Released: normal detections again, the hold listed as released. */
	o.release = rel;
	o.nrelease = 1;
	assert_int_equal(sc_report_apply_holds(rep, &o), SC_OK);
	assert_int_equal(sc_report_detections_held(rep), 1);
	j = round_trip(rep);
	d = json_array_get(json_object_get(j, "detections"), 0);
	assert_true(json_is_false(json_object_get(d, "held")));
	assert_null(json_object_get(d, "hold_reason"));
	h = json_array_get(json_object_get(j, "holds"), 0);
	assert_true(json_is_true(json_object_get(h, "released")));
	assert_string_equal(json_string_value(json_object_get(h, "released_by")),
			    "tech");
	assert_true(json_is_string(json_object_get(h, "released_at")));
	assert_string_equal(json_string_value(json_array_get(json_object_get(
				    json_object_get(j, "storm_guard"),
				    "release_hold"), 0)),
			    "u:Storm");
	json_decref(j);
	text = text_of(rep);
	assert_non_null(strstr(text, "\nHELD: 1 rule, 1 detection held"));
	assert_non_null(strstr(text, "  released u:Storm (60 files, matched 60 "
				     "files (threshold 50)) by tech at "));
	assert_null(strstr(text, "--release-hold u:Storm"));
	free(text);
	sc_report_destroy(rep);
}

/* A namespace that needs quoting gets quoted in the release command. */
static void report_release_quoting(void **state)
{
	struct sc_match m;
	struct sc_report *rep;
	struct sc_storm_opts o;
	char *text;

	(void)state;
	memset(&m, 0, sizeof(m));
	m.rule = "R";
	m.ns = "it's mine";
	assert_int_equal(sc_report_create("rescue", "test", &rep), SC_OK);
	item_match(rep, "/mnt/bootmgr", &m);
	sc_storm_opts_init(&o);
	assert_int_equal(sc_report_apply_holds(rep, &o), SC_OK);
	text = text_of(rep);
	assert_non_null(strstr(text, "--release-hold 'it'\\''s mine:R' "));
	free(text);
	sc_report_destroy(rep);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(protected_paths),
		cmocka_unit_test(threshold_edge),
		cmocka_unit_test(release_matching),
		cmocka_unit_test(count_threshold),
		cmocka_unit_test(protected_hold),
		cmocka_unit_test(releases),
		cmocka_unit_test(user_name),
		cmocka_unit_test(report_holds),
		cmocka_unit_test(report_release_quoting),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
