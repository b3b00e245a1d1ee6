/*
 * The allowlist: add, match (any rule, "ns:rule", bare rule), remove,
 * round trip through the file, and damaged files refused.
 */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <cmocka.h>

#include "sc/allow.h"
#include "sc/error.h"
#include "unit.h"

static const char H1[] =
	"9864c0e098b6db6b203033fcdf8135d07b663d41267fb54eecbe3bf82f113d11";
static const char H2[] =
	"275A021BBFB6489E54D471899F7DB9D1663FC695EC2FE2A2C4538AABF651FD0F";

static void add_match_remove(void **state)
{
	struct sc_allow *a;
	char id1[17], id2[17], again[17];
	char *dir = unit_mkdtemp(), *path;

	(void)state;
	assert_non_null(dir);
	path = unit_join(dir, "missing.json");
	assert_int_equal(sc_allow_load(path, &a), SC_OK); /* empty */
	assert_int_equal(a->n, 0);
	assert_int_equal(sc_allow_add(a, "xyz", NULL, NULL, NULL, id1), SC_EINVAL);
	assert_int_equal(sc_allow_add(a, H1, NULL, "note", "root", id1), SC_OK);
	assert_int_equal(sc_allow_add(a, H2, "ns:Rule", NULL, NULL, id2), SC_OK);
	assert_int_equal(sc_allow_add(a, H1, NULL, "twice", NULL, again), SC_OK);
	assert_string_equal(again, id1); /* not added twice */
	assert_int_equal(a->n, 2);
	assert_non_null(sc_allow_match(a, H1, "any", "Thing"));
	/* Hashes compare in any case; rules exactly. */
	assert_non_null(sc_allow_match(a, "275a021bbfb6489e54d471899f7db9d1663fc695ec2fe2a2c4538aabf651fd0f",
				       "ns", "Rule"));
	assert_null(sc_allow_match(a, H2, "ns", "Other"));
	assert_null(sc_allow_match(a, H2, "other", "Rule"));
	assert_null(sc_allow_match(a, NULL, "ns", "Rule"));
	assert_int_equal(sc_allow_save(a, path), SC_OK);
	sc_allow_free(a);

	assert_int_equal(sc_allow_load(path, &a), SC_OK);
	assert_int_equal(a->n, 2);
	assert_string_equal(a->v[0].id, id1);
	assert_string_equal(a->v[0].note, "note");
	assert_string_equal(a->v[0].added_by, "root");
	assert_int_equal(sc_allow_remove(a, id1), SC_OK);
	assert_int_equal(sc_allow_remove(a, id1), SC_EINVAL);
	assert_int_equal(sc_allow_remove(a, H2), SC_OK); /* by hash too */
	assert_int_equal(a->n, 0);
	sc_allow_free(a);
	unit_rmtree(dir);
	free(dir);
	free(path);
}

static void bare_rule_name(void **state)
{
	struct sc_allow a0 = { 0, NULL }, *a = &a0;
	char id[17];

	(void)state;
	assert_int_equal(sc_allow_add(a, H1, "Rule", NULL, NULL, id), SC_OK);
	assert_non_null(sc_allow_match(a, H1, "any_ns", "Rule"));
	assert_null(sc_allow_match(a, H1, "any_ns", "Rule2"));
	for (size_t i = 0; i < a->n; i++) {
		free(a->v[i].rule);
		free(a->v[i].note);
		free(a->v[i].added);
		free(a->v[i].added_by);
	}
	free(a->v);
}

static void damaged_files_refused(void **state)
{
	static const char *const bad[] = {
		"{ not json",
		"[]",
		"{\"format\": 2, \"entries\": []}",
		"{\"format\": 1, \"entries\": {}}",
		"{\"format\": 1, \"entries\": [{\"id\": \"short\", \"sha256\": \"00\"}]}",
	};
	char *dir = unit_mkdtemp();

	(void)state;
	assert_non_null(dir);
	for (size_t i = 0; i < sizeof(bad) / sizeof(*bad); i++) {
		struct sc_allow *a = NULL;
		char *p;

		assert_int_equal(unit_write_str(dir, "l.json", bad[i]), 0);
		p = unit_join(dir, "l.json");
		assert_int_equal(sc_allow_load(p, &a), SC_EFORMAT);
		assert_null(a);
		free(p);
	}
	unit_rmtree(dir);
	free(dir);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(add_match_remove),
		cmocka_unit_test(bare_rule_name),
		cmocka_unit_test(damaged_files_refused),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
