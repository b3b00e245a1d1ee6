/*
 * Password-protected ZIP archives: a round trip through libarchive's reader
 * with the password (names, bytes, times), refused with a wrong one, the
 * plaintext absent from the file, an existing path never touched, bad
 * arguments refused, and, when 7z is installed, 7-Zip opening the archive
 * as a vendor's desk would.
 */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <cmocka.h>

#include <dirent.h>
#include <locale.h>

#include <archive.h>
#include <archive_entry.h>

#include "sc/error.h"
#include "sc/zip.h"
#include "unit.h"

#define MTIME ((int64_t)1700000000) /* 2023-11-14T22:13:20Z */

/*
 * Archives are written in the "C" locale, as the CLI runs. libarchive's
 * reader gives a name only in the current locale's charset, so read_back
 * switches to C.UTF-8, and the non-ASCII name is tried only where it exists.
 */
static int utf8_locale;

struct fixture {
	char *dir;
	char *zip;
	unsigned char sample[5000]; /* incompressible */
	const char *text;
	struct sc_zip_member m[2];
};

static int setup(void **state)
{
	struct fixture *f = calloc(1, sizeof(*f));
	uint32_t x = 2463534242u;

	if (!f)
		return -1;
	for (size_t i = 0; i < sizeof(f->sample); i++) {
		x ^= x << 13; /* xorshift32 */
		x ^= x >> 17;
		x ^= x << 5;
		f->sample[i] = (unsigned char)x;
	}
	f->sample[10] = '\0';
	f->text = "Submitted as a false positive.\nSHA-256: ...\n";
	f->m[0] = (struct sc_zip_member){ "sample.exe", f->sample,
					  sizeof(f->sample), MTIME };
	f->m[1] = (struct sc_zip_member){ utf8_locale
						  ? "notes/r\xc3\xa4port.txt"
						  : "notes/report.txt",
					  f->text, strlen(f->text),
					  MTIME + 60 };
	f->dir = unit_mkdtemp();
	f->zip = f->dir ? unit_join(f->dir, "report.zip") : NULL;
	*state = f;
	return f->zip ? 0 : -1;
}

static int teardown(void **state)
{
	struct fixture *f = *state;

	unit_rmtree(f->dir);
	free(f->dir);
	free(f->zip);
	free(f);
	return 0;
}

/* Entries in dir, "." and ".." not counted. */
static int count_entries(const char *dir)
{
	DIR *d = opendir(dir);
	struct dirent *de;
	int n = 0;

	if (!d)
		return -1;
	while ((de = readdir(d)))
		if (strcmp(de->d_name, ".") && strcmp(de->d_name, ".."))
			n++;
	closedir(d);
	return n;
}

static unsigned char *read_file(const char *path, size_t *n)
{
	FILE *fp = fopen(path, "rb");
	unsigned char *b = NULL;
	long sz;

	if (!fp)
		return NULL;
	if (!fseek(fp, 0, SEEK_END) && (sz = ftell(fp)) >= 0 &&
	    !fseek(fp, 0, SEEK_SET)) {
		b = malloc((size_t)sz + 1);
		if (b && fread(b, 1, (size_t)sz, fp) != (size_t)sz) {
			free(b);
			b = NULL;
		}
		*n = (size_t)sz;
	}
	fclose(fp);
	return b;
}

static int contains(const unsigned char *hay, size_t n,
		    const unsigned char *needle, size_t k)
{
	for (size_t i = 0; i + k <= n; i++)
		if (!memcmp(hay + i, needle, k))
			return 1;
	return 0;
}

/*
 * Reads the archive with libarchive and compares every entry with the
 * members: 0 if all match, -1 on any read error or difference.
 */
static int read_back(const char *zip, const char *password,
		     const struct sc_zip_member *m, size_t n)
{
	struct archive *a = archive_read_new();
	struct archive_entry *e;
	size_t i = 0;
	int ok = 1;

	setlocale(LC_CTYPE, utf8_locale ? "C.UTF-8" : "C");
	archive_read_support_format_zip(a);
	if (password)
		archive_read_add_passphrase(a, password);
	if (archive_read_open_filename(a, zip, 10240) != ARCHIVE_OK)
		ok = 0;
	while (ok && archive_read_next_header(a, &e) == ARCHIVE_OK) {
		const char *name = archive_entry_pathname_utf8(e);
		unsigned char *buf;
		la_ssize_t r;

		if (i >= n || !name || strcmp(name, m[i].name) ||
		    (m[i].len && !archive_entry_is_data_encrypted(e)) ||
		    archive_entry_mtime(e) != (time_t)m[i].mtime ||
		    archive_entry_size(e) != (la_int64_t)m[i].len) {
			ok = 0;
			break;
		}
		buf = malloc(m[i].len + 1);
		r = buf ? archive_read_data(a, buf, m[i].len + 1) : -1;
		if (r != (la_ssize_t)m[i].len ||
		    (m[i].len && memcmp(buf, m[i].data, m[i].len)))
			ok = 0;
		/* The end of the entry: where the CRC is checked. */
		if (ok && m[i].len && archive_read_data(a, buf, 1) != 0)
			ok = 0;
		free(buf);
		i++;
	}
	archive_read_free(a);
	setlocale(LC_CTYPE, "C");
	return ok && i == n ? 0 : -1;
}

static void round_trip(void **state)
{
	struct fixture *f = *state;
	unsigned char *raw;
	struct stat st;
	size_t n = 0;

	assert_int_equal(sc_zip_write(f->zip, SC_ZIP_PASSWORD, f->m, 2), SC_OK);
	assert_int_equal(read_back(f->zip, "infected", f->m, 2), 0);
	assert_int_equal(stat(f->zip, &st), 0);
	assert_int_equal(st.st_mode & 0777, 0600);
	assert_int_equal(count_entries(f->dir), 1); /* no temporary left */

	/* Encrypted: no run of the sample or of the text is in the file. */
	raw = read_file(f->zip, &n);
	assert_non_null(raw);
	assert_true(n > 100);
	assert_false(contains(raw, n, f->sample + 2000, 16));
	assert_false(contains(raw, n, (const unsigned char *)"false positive",
			      14));
	assert_true(contains(raw, n, (const unsigned char *)"sample.exe", 10));
	free(raw);
}

static void wrong_password(void **state)
{
	struct fixture *f = *state;

	assert_int_equal(sc_zip_write(f->zip, SC_ZIP_PASSWORD, f->m, 2), SC_OK);
	assert_int_equal(read_back(f->zip, "infected", f->m, 2), 0);
	assert_int_equal(read_back(f->zip, "Infected", f->m, 2), -1);
	assert_int_equal(read_back(f->zip, "wrong", f->m, 2), -1);
	assert_int_equal(read_back(f->zip, NULL, f->m, 2), -1);
}

static void empty_members(void **state)
{
	struct fixture *f = *state;
	struct sc_zip_member m[1] = { { "empty.txt", NULL, 0, MTIME } };
	char *p = unit_join(f->dir, "none.zip");

	assert_int_equal(sc_zip_write(f->zip, "pw", m, 1), SC_OK);
	assert_int_equal(read_back(f->zip, "pw", m, 1), 0);
	assert_int_equal(sc_zip_write(p, "pw", NULL, 0), SC_OK);
	assert_int_equal(read_back(p, "pw", NULL, 0), 0);
	free(p);
}

static void never_overwrites(void **state)
{
	struct fixture *f = *state;
	char *link_path = unit_join(f->dir, "link.zip");
	char *target = unit_join(f->dir, "target");
	unsigned char *raw;
	size_t n = 0;

	assert_int_equal(unit_write_str(f->dir, "report.zip", "keep me"), 0);
	errno = 0;
	assert_int_equal(sc_zip_write(f->zip, "infected", f->m, 2), SC_EOPEN);
	assert_int_equal(errno, EEXIST);
	raw = read_file(f->zip, &n);
	assert_non_null(raw);
	assert_int_equal(n, 7);
	assert_memory_equal(raw, "keep me", 7);
	free(raw);
	assert_int_equal(count_entries(f->dir), 1);

	/* A dangling symlink is a name taken, not a way to write elsewhere. */
	assert_int_equal(symlink(target, link_path), 0);
	errno = 0;
	assert_int_equal(sc_zip_write(link_path, "infected", f->m, 2),
			 SC_EOPEN);
	assert_int_equal(errno, EEXIST);
	assert_int_equal(access(target, F_OK), -1);
	assert_int_equal(count_entries(f->dir), 2);
	free(link_path);
	free(target);
}

static void bad_arguments(void **state)
{
	struct fixture *f = *state;
	static const char *const bad_names[] = {
		"", "/etc/passwd", "../up", "a/../b", "a//b", "dir/", "./a",
		"bad\xff" "utf8",
	};
	struct sc_zip_member m = { "ok", "x", 1, 0 };
	char *missing = unit_join(f->dir, "no/such/dir.zip");

	assert_int_equal(sc_zip_write(NULL, "pw", &m, 1), SC_EINVAL);
	assert_int_equal(sc_zip_write("", "pw", &m, 1), SC_EINVAL);
	assert_int_equal(sc_zip_write(f->zip, NULL, &m, 1), SC_EINVAL);
	assert_int_equal(sc_zip_write(f->zip, "", &m, 1), SC_EINVAL);
	assert_int_equal(sc_zip_write(f->zip, "pw", NULL, 1), SC_EINVAL);
	m.data = NULL;
	assert_int_equal(sc_zip_write(f->zip, "pw", &m, 1), SC_EINVAL);
	m.data = "x";
	for (size_t i = 0; i < sizeof(bad_names) / sizeof(*bad_names); i++) {
		m.name = bad_names[i];
		assert_int_equal(sc_zip_write(f->zip, "pw", &m, 1), SC_EINVAL);
	}
	m.name = "ok";
	errno = 0;
	assert_int_equal(sc_zip_write(missing, "pw", &m, 1), SC_EOPEN);
	assert_int_equal(errno, ENOENT);
	assert_int_equal(count_entries(f->dir), 0);
	free(missing);
}

/* 7-Zip, as on a vendor's desk; skipped when 7z is not installed. */
static void seven_zip(void **state)
{
	struct fixture *f = *state;
	char *out = unit_join(f->dir, "x"), *cmd;
	size_t len = strlen(f->zip) + 2 * strlen(out) + 128;

	if (system("command -v 7z >/dev/null 2>&1")) {
		free(out);
		skip();
	}
	cmd = malloc(len);
	assert_non_null(cmd);
	assert_int_equal(sc_zip_write(f->zip, SC_ZIP_PASSWORD, f->m, 2), SC_OK);

	snprintf(cmd, len, "7z t -pwrong '%s' >/dev/null 2>&1", f->zip);
	assert_int_not_equal(system(cmd), 0);
	snprintf(cmd, len, "7z x -y -pinfected -o'%s' '%s' >/dev/null",
		 out, f->zip);
	assert_int_equal(system(cmd), 0);
	for (size_t i = 0; i < 2; i++) {
		char *p = unit_join(out, f->m[i].name);
		unsigned char *got;
		struct stat st;
		size_t n = 0;

		got = read_file(p, &n);
		assert_non_null(got);
		assert_int_equal(n, f->m[i].len);
		assert_memory_equal(got, f->m[i].data, n);
		assert_int_equal(stat(p, &st), 0);
		assert_int_equal((int64_t)st.st_mtime, f->m[i].mtime);
		free(got);
		free(p);
	}
	free(cmd);
	free(out);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup_teardown(round_trip, setup, teardown),
		cmocka_unit_test_setup_teardown(wrong_password, setup,
						teardown),
		cmocka_unit_test_setup_teardown(empty_members, setup, teardown),
		cmocka_unit_test_setup_teardown(never_overwrites, setup,
						teardown),
		cmocka_unit_test_setup_teardown(bad_arguments, setup, teardown),
		cmocka_unit_test_setup_teardown(seven_zip, setup, teardown),
	};

	utf8_locale = setlocale(LC_CTYPE, "C.UTF-8") != NULL;
	setlocale(LC_CTYPE, "C");
	if (!utf8_locale)
		fprintf(stderr, "no C.UTF-8 locale: ASCII names only\n");
	return cmocka_run_group_tests(tests, NULL, NULL);
}
