/*
 * Unit tests for scanner/rules.c: loading files, directories with broken
 * files among good ones, in-memory sources, namespaces, the external
 * variables, and the error codes of each entry point.
 * Fixtures: tests/data/rules-*.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "sc.h"
#include "unit.h"

/* Diagnostics collected from the callback (copied: valid only during it). */
struct diags {
	int n, errors;
	char file[8][512];
	int line[8];
	char msg[8][256];
	int level[8];
};

static void on_diag(const struct sc_diag *d, void *ctx)
{
	struct diags *c = ctx;

	if (d->level == SC_DIAG_ERROR)
		c->errors++;
	if (c->n >= 8)
		return;
	snprintf(c->file[c->n], sizeof(c->file[0]), "%s", d->file ? d->file : "");
	snprintf(c->msg[c->n], sizeof(c->msg[0]), "%s",
		 d->message ? d->message : "");
	c->line[c->n] = d->line;
	c->level[c->n] = d->level;
	c->n++;
}

static int ends_with(const char *s, const char *suffix)
{
	size_t a = strlen(s), b = strlen(suffix);

	return a >= b && !strcmp(s + a - b, suffix);
}

static void good_file(void **state)
{
	struct diags dg = { 0 };
	struct sc_rules *r;
	const struct sc_rules_source *s;
	char *path = unit_data("rules-good/two-rules.yar");

	(void)state;
	assert_int_equal(sc_rules_create(on_diag, &dg, &r), SC_OK);
	assert_int_equal(sc_rules_add_path(r, path), SC_OK);
	assert_int_equal(sc_rules_count(r), 0); /* not compiled yet */
	assert_int_equal(sc_rules_compile(r), SC_OK);
	assert_int_equal(sc_rules_count(r), 2);
	assert_int_equal(sc_rules_source_count(r), 1);
	s = sc_rules_source(r, 0);
	assert_non_null(s);
	assert_string_equal(s->path, path);
	assert_string_equal(s->ns, "two-rules");
	assert_true(s->loaded);
	assert_int_equal(s->rules, 2);
	assert_null(s->error);
	assert_null(sc_rules_source(r, 1));
	assert_int_equal(dg.errors, 0);
	sc_rules_destroy(r);
	free(path);
}

static void directory_with_broken_file(void **state)
{
	struct diags dg = { 0 };
	struct sc_rules *r;
	char *dir = unit_data("rules-mixed");
	const struct sc_rules_source *s;
	int seen_broken = 0;

	(void)state;
	assert_int_equal(sc_rules_create(on_diag, &dg, &r), SC_OK);
	/* Some files broken is not a failure of the directory. */
	assert_int_equal(sc_rules_add_path(r, dir), SC_OK);

	/* The broken file was reported with its file name and line. */
	assert_true(dg.errors >= 1);
	for (int i = 0; i < dg.n; i++) {
		if (dg.level[i] != SC_DIAG_ERROR)
			continue;
		assert_true(ends_with(dg.file[i], "rules-mixed/b_broken.yar"));
		assert_int_equal(dg.line[i], 6);
		assert_non_null(strstr(dg.msg[i], "no_such_identifier"));
		seen_broken = 1;
	}
	assert_true(seen_broken);

	/* a, b, c and sub/d in name order; notes.txt and .hidden.yar skipped. */
	assert_int_equal(sc_rules_source_count(r), 4);
	s = sc_rules_source(r, 0);
	assert_true(ends_with(s->path, "/a_good.yar"));
	assert_true(s->loaded);
	assert_int_equal(s->rules, 1);
	assert_null(s->error);

	s = sc_rules_source(r, 1);
	assert_true(ends_with(s->path, "/b_broken.yar"));
	assert_false(s->loaded);
	assert_int_equal(s->rules, 0);
	assert_non_null(s->error);
	/* "file:line: message" */
	assert_non_null(strstr(s->error, "b_broken.yar:6: "));

	s = sc_rules_source(r, 2);
	assert_true(ends_with(s->path, "/c_good.yara"));
	assert_true(s->loaded);

	s = sc_rules_source(r, 3);
	assert_true(ends_with(s->path, "/sub/d_nested.yar"));
	assert_true(s->loaded);

	assert_int_equal(sc_rules_compile(r), SC_OK);
	assert_int_equal(sc_rules_count(r), 3);
	sc_rules_destroy(r);
	free(dir);
}

static void broken_single_file(void **state)
{
	struct diags dg = { 0 };
	struct sc_rules *r;
	char *path = unit_data("rules-mixed/b_broken.yar");

	(void)state;
	assert_int_equal(sc_rules_create(on_diag, &dg, &r), SC_OK);
	assert_int_equal(sc_rules_add_path(r, path), SC_ERULES);
	assert_int_equal(dg.errors, 1);
	assert_int_equal(dg.line[0], 6);
	/* The set stays usable after a broken file. */
	assert_int_equal(sc_rules_add_source(r, "after", NULL,
					     "rule After { condition: true }"),
			 SC_OK);
	assert_int_equal(sc_rules_compile(r), SC_OK);
	assert_int_equal(sc_rules_count(r), 1);
	sc_rules_destroy(r);
	free(path);
}

static void only_broken_gives_enorules(void **state)
{
	struct sc_rules *r;
	char *path = unit_data("rules-mixed/b_broken.yar");

	(void)state;
	/* No diag callback at all is allowed. */
	assert_int_equal(sc_rules_create(NULL, NULL, &r), SC_OK);
	assert_int_equal(sc_rules_add_path(r, path), SC_ERULES);
	assert_int_equal(sc_rules_compile(r), SC_ENORULES);
	sc_rules_destroy(r);
	free(path);
}

static void externals_compile(void **state)
{
	struct diags dg = { 0 };
	struct sc_rules *r;
	char *path = unit_data("rules-externals/externals.yar");

	(void)state;
	assert_int_equal(sc_rules_create(on_diag, &dg, &r), SC_OK);
	assert_int_equal(sc_rules_add_path(r, path), SC_OK);
	assert_int_equal(dg.errors, 0);
	assert_int_equal(sc_rules_compile(r), SC_OK);
	assert_int_equal(sc_rules_count(r), 6);
	sc_rules_destroy(r);
	free(path);
}

static void undefined_external_fails(void **state)
{
	struct diags dg = { 0 };
	struct sc_rules *r;

	(void)state;
	assert_int_equal(sc_rules_create(on_diag, &dg, &r), SC_OK);
	assert_int_equal(sc_rules_add_source(r, "mem", NULL,
					     "rule U { condition: not_an_external == \"x\" }"),
			 SC_ERULES);
	assert_int_equal(dg.errors, 1);
	assert_string_equal(dg.file[0], "mem");
	assert_int_equal(dg.line[0], 1);
	sc_rules_destroy(r);
}

static void namespaces_unique_per_file_name(void **state)
{
	struct sc_rules *r;
	char *one = unit_data("rules-ns/one/same.yar");
	char *two = unit_data("rules-ns/two/same.yar");
	char *top = unit_data("rules-ns");

	(void)state;
	assert_int_equal(sc_rules_create(NULL, NULL, &r), SC_OK);
	assert_int_equal(sc_rules_add_path(r, one), SC_OK);
	assert_int_equal(sc_rules_add_path(r, two), SC_OK);
	assert_string_equal(sc_rules_source(r, 0)->ns, "same");
	assert_string_equal(sc_rules_source(r, 1)->ns, "same_2");
	/* The same files again through the directory: still unique. */
	assert_int_equal(sc_rules_add_path(r, top), SC_OK);
	assert_int_equal(sc_rules_source_count(r), 4);
	assert_string_equal(sc_rules_source(r, 2)->ns, "same_3");
	assert_string_equal(sc_rules_source(r, 3)->ns, "same_4");
	for (size_t i = 0; i < 4; i++)
		assert_true(sc_rules_source(r, i)->loaded);
	/* Same rule name four times, four namespaces: all compile. */
	assert_int_equal(sc_rules_compile(r), SC_OK);
	assert_int_equal(sc_rules_count(r), 4);
	sc_rules_destroy(r);
	free(one);
	free(two);
	free(top);
}

static void add_source(void **state)
{
	struct sc_rules *r;
	const struct sc_rules_source *s;

	(void)state;
	assert_int_equal(sc_rules_create(NULL, NULL, &r), SC_OK);
	assert_int_equal(sc_rules_add_source(r, "builtin-a.yar", "builtin",
					     "rule A1 { condition: true }\n"
					     "rule A2 { condition: false }\n"),
			 SC_OK);
	/* No namespace given: one is made from the name. */
	assert_int_equal(sc_rules_add_source(r, "extra.yar", NULL,
					     "rule B { condition: true }"),
			 SC_OK);
	assert_int_equal(sc_rules_source_count(r), 2);
	s = sc_rules_source(r, 0);
	assert_string_equal(s->path, "builtin-a.yar");
	assert_string_equal(s->ns, "builtin");
	assert_int_equal(s->rules, 2);
	assert_true(s->loaded);
	s = sc_rules_source(r, 1);
	assert_string_equal(s->ns, "extra");
	assert_int_equal(s->rules, 1);
	assert_int_equal(sc_rules_compile(r), SC_OK);
	assert_int_equal(sc_rules_count(r), 3);
	sc_rules_destroy(r);
}

static void bad_source_reports_name_and_line(void **state)
{
	struct diags dg = { 0 };
	struct sc_rules *r;
	const struct sc_rules_source *s;

	(void)state;
	assert_int_equal(sc_rules_create(on_diag, &dg, &r), SC_OK);
	assert_int_equal(sc_rules_add_source(r, "inline.yar", NULL,
					     "rule X\n{\n  condition:\n    true and (\n}\n"),
			 SC_ERULES);
	assert_int_equal(dg.errors, 1);
	assert_string_equal(dg.file[0], "inline.yar");
	assert_true(dg.line[0] >= 4);
	s = sc_rules_source(r, 0);
	assert_false(s->loaded);
	assert_non_null(s->error);
	assert_true(!strncmp(s->error, "inline.yar:", 11));
	sc_rules_destroy(r);
}

static void compile_nothing(void **state)
{
	struct sc_rules *r;

	(void)state;
	assert_int_equal(sc_rules_create(NULL, NULL, &r), SC_OK);
	assert_int_equal(sc_rules_compile(r), SC_ENORULES);
	sc_rules_destroy(r);
}

static void compile_empty_directory(void **state)
{
	struct sc_rules *r;
	char *dir = unit_mkdtemp();

	(void)state;
	assert_non_null(dir);
	assert_int_equal(sc_rules_create(NULL, NULL, &r), SC_OK);
	assert_int_equal(sc_rules_add_path(r, dir), SC_OK);
	assert_int_equal(sc_rules_source_count(r), 0);
	assert_int_equal(sc_rules_compile(r), SC_ENORULES);
	sc_rules_destroy(r);
	unit_rmtree(dir);
	free(dir);
}

static void missing_path(void **state)
{
	struct sc_rules *r;

	(void)state;
	assert_int_equal(sc_rules_create(NULL, NULL, &r), SC_OK);
	errno = 0;
	assert_int_equal(sc_rules_add_path(r, "/nonexistent/sc-test/rules.yar"),
			 SC_EOPEN);
	assert_int_equal(errno, ENOENT);
	assert_int_equal(sc_rules_compile(r), SC_ENORULES);
	sc_rules_destroy(r);
}

static void invalid_arguments_and_order(void **state)
{
	struct sc_rules *r;

	(void)state;
	assert_int_equal(sc_rules_add_path(NULL, "x"), SC_EINVAL);
	assert_int_equal(sc_rules_create(NULL, NULL, &r), SC_OK);
	assert_int_equal(sc_rules_add_path(r, NULL), SC_EINVAL);
	assert_int_equal(sc_rules_add_source(r, NULL, NULL, "rule A { condition: true }"),
			 SC_EINVAL);
	assert_int_equal(sc_rules_add_source(r, "n", NULL, NULL), SC_EINVAL);
	assert_int_equal(sc_rules_add_source(r, "n", NULL,
					     "rule A { condition: true }"),
			 SC_OK);
	assert_int_equal(sc_rules_compile(r), SC_OK);
	/* Adding or compiling after the compile is out of order. */
	assert_int_equal(sc_rules_add_source(r, "late", NULL,
					     "rule B { condition: true }"),
			 SC_ESTATE);
	assert_int_equal(sc_rules_compile(r), SC_ESTATE);
	assert_int_equal(sc_rules_count(r), 1);
	sc_rules_destroy(r);
	sc_rules_destroy(NULL);
	assert_int_equal(sc_rules_count(NULL), 0);
	assert_int_equal(sc_rules_source_count(NULL), 0);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(good_file),
		cmocka_unit_test(directory_with_broken_file),
		cmocka_unit_test(broken_single_file),
		cmocka_unit_test(only_broken_gives_enorules),
		cmocka_unit_test(externals_compile),
		cmocka_unit_test(undefined_external_fails),
		cmocka_unit_test(namespaces_unique_per_file_name),
		cmocka_unit_test(add_source),
		cmocka_unit_test(bad_source_reports_name_and_line),
		cmocka_unit_test(compile_nothing),
		cmocka_unit_test(compile_empty_directory),
		cmocka_unit_test(missing_path),
		cmocka_unit_test(invalid_arguments_and_order),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
