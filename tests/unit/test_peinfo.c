/*
 * PE facts through libyara's pe module: the version strings and header
 * facts of a generated PE32+ (tests/data/mkpe.py; the Makefile builds it and
 * names it in UNIT_PE_FIXTURE), non-PE buffers, and every truncation and a
 * byte-by-byte damage of the fixture read without a crash.
 */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <cmocka.h>

#include "sc/error.h"
#include "sc/peinfo.h"
#include "sc/rules.h"
#include "unit.h"

#ifndef UNIT_PE_FIXTURE
#define UNIT_PE_FIXTURE "out/tests/data/versioninfo.exe"
#endif

/* What mkpe.py writes, in its order. */
static const char *const expected[][2] = {
	{ "CompanyName", "Example Software Ltd" },
	{ "FileDescription", "Rescue scanner test fixture" },
	{ "FileVersion", "1.2.3.4" },
	{ "InternalName", "versioninfo" },
	/* U+00A9: the module keeps the low byte of each UTF-16 unit. */
	{ "LegalCopyright", "\xa9 2020 Example Software Ltd" },
	{ "OriginalFilename", "versioninfo.exe" },
	{ "ProductName", "Example Product" },
	{ "ProductVersion", "1.2" },
};
#define NEXPECTED (sizeof(expected) / sizeof(*expected))

/*
 * Offsets in the fixture: the end of the optional header (a PE needs at
 * least that much), and the .rsrc section, whose resource tree and version
 * block fill its first RSRC_USED bytes.
 */
#define HEADERS_END (64 + 4 + 20 + 240)
#define RSRC_OFFSET 0x400
#define RSRC_TREE 0x60 /* three directories and the data entry */
#define RSRC_USED 0x360

struct fixture {
	unsigned char *pe;
	size_t len;
};

static int setup(void **state)
{
	struct fixture *f = calloc(1, sizeof(*f));
	FILE *fp = fopen(UNIT_PE_FIXTURE, "rb");

	if (!f || !fp) {
		fprintf(stderr, "cannot open %s (run from the repository root "
				"after make unit)\n", UNIT_PE_FIXTURE);
		free(f);
		if (fp)
			fclose(fp);
		return -1;
	}
	f->pe = malloc(1 << 16);
	if (f->pe)
		f->len = fread(f->pe, 1, 1 << 16, fp);
	fclose(fp);
	*state = f;
	return f->pe && f->len >= RSRC_OFFSET + RSRC_USED ? 0 : -1;
}

static int teardown(void **state)
{
	struct fixture *f = *state;

	if (f)
		free(f->pe);
	free(f);
	return 0;
}

static void version_info(void **state)
{
	struct fixture *f = *state;
	struct sc_pe_info info;

	assert_int_equal(sc_pe_info_read(f->pe, f->len, &info), SC_OK);
	assert_int_equal(info.is_pe, 1);
	assert_int_equal(info.machine, 0x8664);
	assert_int_equal(info.timestamp, 1577836800);
	assert_int_equal(info.is_64bit, 1);
	assert_int_equal(info.is_dll, 0);
	assert_int_equal(info.subsystem, 3);
	assert_int_equal(info.characteristics, 0x22);
	assert_int_equal(info.nsignatures, 0);
	assert_null(info.signer);
	assert_null(info.pdb_path);
	assert_int_equal(info.nversion, NEXPECTED);
	for (size_t i = 0; i < NEXPECTED; i++) {
		assert_string_equal(info.version[i].key, expected[i][0]);
		assert_string_equal(info.version[i].value, expected[i][1]);
	}
	assert_string_equal(sc_pe_info_get(&info, "ProductName"),
			    "Example Product");
	assert_null(sc_pe_info_get(&info, "productname"));
	assert_null(sc_pe_info_get(&info, "Comments"));
	sc_pe_info_free(&info);
	assert_int_equal(info.nversion, 0);
	assert_null(info.version);
	sc_pe_info_free(&info); /* twice is harmless */
}

static void not_pe(void **state)
{
	static const unsigned char elf[64] = { 0x7f, 'E', 'L', 'F', 2, 1, 1 };
	unsigned char mz[512] = { 'M', 'Z' };
	struct sc_pe_info info;

	(void)state;
	mz[0x3c] = 0x80; /* e_lfanew to a PE signature that is not there */
	assert_int_equal(sc_pe_info_read("hello", 5, &info), SC_OK);
	assert_int_equal(info.is_pe, 0);
	assert_int_equal(info.nversion, 0);
	sc_pe_info_free(&info);
	assert_int_equal(sc_pe_info_read(elf, sizeof(elf), &info), SC_OK);
	assert_int_equal(info.is_pe, 0);
	sc_pe_info_free(&info);
	assert_int_equal(sc_pe_info_read(mz, sizeof(mz), &info), SC_OK);
	assert_int_equal(info.is_pe, 0);
	sc_pe_info_free(&info);
	assert_int_equal(sc_pe_info_read(NULL, 0, &info), SC_OK);
	assert_int_equal(info.is_pe, 0);
	sc_pe_info_free(&info);
	assert_int_equal(sc_pe_info_read(NULL, 1, &info), SC_EINVAL);
	assert_int_equal(sc_pe_info_read("x", 1, NULL), SC_EINVAL);
}

/* Every key present, values no longer than the module allows. */
static void check_sane(const struct sc_pe_info *info)
{
	for (size_t i = 0; i < info->nversion; i++) {
		assert_non_null(info->version[i].key);
		assert_non_null(info->version[i].value);
		assert_true(strlen(info->version[i].key) < 64);
		assert_true(strlen(info->version[i].value) < 256);
	}
}

/*
 * Cut through the headers and, more finely, through the resources. A read
 * costs a few milliseconds (libyara compiles its rule every time): the steps
 * keep the test short while still ending at every alignment.
 */
static void truncated(void **state)
{
	struct fixture *f = *state;
	size_t end = RSRC_OFFSET + RSRC_USED;

	for (size_t n = 0; n <= end; n += n < RSRC_OFFSET ? 16 : 5) {
		/* An exact-size copy, so a read past the end is an overrun. */
		unsigned char *p = malloc(n ? n : 1);
		struct sc_pe_info info;

		assert_non_null(p);
		memcpy(p, f->pe, n);
		assert_int_equal(sc_pe_info_read(p, n, &info), SC_OK);
		if (n < HEADERS_END)
			assert_int_equal(info.is_pe, 0);
		assert_true(info.nversion <= NEXPECTED);
		check_sane(&info);
		sc_pe_info_free(&info);
		free(p);
	}
}

/*
 * Damage in place: every byte of the resource tree, then every third byte of
 * the version block, set in turn to 0x00, 0x7f or 0xff.
 */
static void damaged(void **state)
{
	struct fixture *f = *state;
	static const unsigned char values[] = { 0x00, 0x7f, 0xff };
	unsigned char *p = malloc(f->len);
	size_t i = RSRC_OFFSET, k = 0;

	assert_non_null(p);
	memcpy(p, f->pe, f->len);
	for (; i < RSRC_OFFSET + RSRC_USED;
	     i += i < RSRC_OFFSET + RSRC_TREE ? 1 : 3) {
		struct sc_pe_info info;

		p[i] = values[k++ % sizeof(values)];
		assert_int_equal(sc_pe_info_read(p, f->len, &info), SC_OK);
		assert_int_equal(info.is_pe, 1);
		check_sane(&info);
		sc_pe_info_free(&info);
		p[i] = f->pe[i];
	}
	free(p);
}

/* libyara already initialised by a rule set: the calls nest. */
static void nests_with_rules(void **state)
{
	struct fixture *f = *state;
	struct sc_rules *rules;
	struct sc_pe_info info;

	assert_int_equal(sc_rules_create(NULL, NULL, &rules), SC_OK);
	assert_int_equal(sc_pe_info_read(f->pe, f->len, &info), SC_OK);
	assert_int_equal(info.nversion, NEXPECTED);
	sc_pe_info_free(&info);
	assert_int_equal(sc_rules_add_source(rules, "t", "t",
					     "rule t { condition: true }"),
			 SC_OK);
	assert_int_equal(sc_rules_compile(rules), SC_OK);
	sc_rules_destroy(rules);
	assert_int_equal(sc_pe_info_read(f->pe, f->len, &info), SC_OK);
	assert_int_equal(info.nversion, NEXPECTED);
	sc_pe_info_free(&info);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(version_info),
		cmocka_unit_test(not_pe),
		cmocka_unit_test(truncated),
		cmocka_unit_test(damaged),
		cmocka_unit_test(nests_with_rules),
	};

	return cmocka_run_group_tests(tests, setup, teardown);
}
