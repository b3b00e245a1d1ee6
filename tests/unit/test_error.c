/*
 * Unit tests for scanner/error.c: every error code has its own message, and
 * codes outside the enum (negative, SC_ERROR_MAX, garbage) get the fixed
 * "unknown error" text instead of NULL or an out-of-bounds read.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include <cmocka.h>

#include "sc/error.h"

static void every_code_has_a_message(void **state)
{
	(void)state;
	for (int e = SC_OK; e < SC_ERROR_MAX; e++) {
		const char *m = sc_strerror(e);

		assert_non_null(m);
		assert_true(strlen(m) > 0);
		/* A known code never falls back to the unknown text. */
		assert_string_not_equal(m, "unknown error");
	}
}

static void messages_are_distinct(void **state)
{
	(void)state;
	for (int a = SC_OK; a < SC_ERROR_MAX; a++)
		for (int b = a + 1; b < SC_ERROR_MAX; b++)
			assert_string_not_equal(sc_strerror(a), sc_strerror(b));
}

static void some_fixed_messages(void **state)
{
	(void)state;
	assert_string_equal(sc_strerror(SC_OK), "success");
	assert_string_equal(sc_strerror(SC_ENORULES), "no rules loaded");
	assert_string_equal(sc_strerror(SC_ECANCELED), "canceled");
}

static void unknown_codes(void **state)
{
	static const int bad[] = { -1, -1000, SC_ERROR_MAX, SC_ERROR_MAX + 1,
				   1 << 20, INT32_MIN, INT32_MAX };

	(void)state;
	for (size_t i = 0; i < sizeof(bad) / sizeof(*bad); i++)
		assert_string_equal(sc_strerror(bad[i]), "unknown error");
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(every_code_has_a_message),
		cmocka_unit_test(messages_are_distinct),
		cmocka_unit_test(some_fixed_messages),
		cmocka_unit_test(unknown_codes),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
