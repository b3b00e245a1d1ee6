/*
 * The quarantine store through the library: detections and odd file names
 * survive the manifest round trip, a file that changed since the scan is
 * refused untouched, payloads are checked against their hash, ids resolve
 * by unique prefix, damaged manifests are skipped, and the critical-file
 * list.
 */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <cmocka.h>
#include <sys/wait.h>

#include "sc/error.h"
#include "sc/quar.h"
#include "unit.h"

struct fx {
	char *dir, *store;
	struct sc_quar *q;
};

static int setup(void **state)
{
	struct fx *f = calloc(1, sizeof(*f));
	struct sc_quar_recovery *rec;
	size_t n;

	if (!f || !(f->dir = unit_mkdtemp()))
		return -1;
	f->store = unit_join(f->dir, "store");
	if (sc_quar_open(f->store, 1, &f->q, &rec, &n) != SC_OK)
		return -1;
	free(rec);
	*state = f;
	return 0;
}

static int teardown(void **state)
{
	struct fx *f = *state;

	sc_quar_close(f->q);
	unit_rmtree(f->dir);
	free(f->dir);
	free(f->store);
	free(f);
	return 0;
}

static void detections_and_raw_names(void **state)
{
	struct fx *f = *state;
	/* A name that is not UTF-8: kept as bytes, restored as bytes. */
	static const char name[] = "caf\xe9\x01.exe";
	struct sc_meta meta[2] = {
		{ .key = "author", .type = SC_META_STRING, .str = "lab" },
		{ .key = "score", .type = SC_META_INTEGER, .num = 75 },
	};
	struct sc_match m = { .rule = "Evil", .ns = "core", .set = "core",
			      .set_version = 4, .nmeta = 2, .meta = meta };
	struct sc_quar_detection *det;
	struct sc_quar_req req = { 0 };
	struct sc_quar_result res;
	struct sc_quar_item *it;
	unsigned char *data;
	size_t len;
	char *path = unit_join(f->dir, name);

	assert_int_equal(unit_write(f->dir, name, "payload bytes", 13), 0);
	assert_int_equal(sc_quar_detections_copy(&m, 1, &det), SC_OK);
	req.path = path;
	req.reason = "detected";
	req.det = det;
	req.ndet = 1;
	assert_int_equal(sc_quar_add(f->q, &req, &res), SC_OK);
	sc_quar_detections_free(det, 1);
	assert_int_equal(access(path, F_OK), -1);
	/* By a unique prefix of the id. */
	assert_int_equal(sc_quar_get(f->q, "2", &it), SC_OK);
	assert_string_equal(it->id, res.id);
	assert_int_equal(it->path_len, strlen(path));
	assert_memory_equal(it->path, path, it->path_len);
	assert_int_equal(it->ndet, 1);
	assert_string_equal(it->det[0].rule, "Evil");
	assert_int_equal(it->det[0].set_version, 4);
	assert_int_equal(it->det[0].nmeta, 2);
	assert_string_equal(it->det[0].meta[0].str, "lab");
	assert_int_equal(it->det[0].meta[1].num, 75);
	assert_int_equal(it->state, SC_QUAR_QUARANTINED);
	assert_int_equal(sc_quar_payload(f->q, it, &data, &len), SC_OK);
	assert_int_equal(len, 13);
	assert_memory_equal(data, "payload bytes", 13);
	free(data);
	sc_quar_item_free(it);
	sc_quar_result_free(&res);

	{
		char id[32];

		memcpy(id, res.id, sizeof(id));
		assert_int_equal(sc_quar_restore(f->q, id, NULL, &res), SC_OK);
	}
	assert_int_equal(access(path, F_OK), 0);
	sc_quar_result_free(&res);
	free(path);
}

static void changed_since_scan_refused(void **state)
{
	struct fx *f = *state;
	struct sc_quar_req req = { 0 };
	struct sc_quar_result res;
	struct sc_quar_item **items;
	size_t n;
	char *path = unit_join(f->dir, "doc.txt");

	assert_int_equal(unit_write_str(f->dir, "doc.txt", "edited since"), 0);
	req.path = path;
	/* The scan saw other bytes of the same size... */
	req.sha256 = "0000000000000000000000000000000000000000000000000000000000000000";
	req.size = 12;
	assert_int_equal(sc_quar_add(f->q, &req, &res), SC_ECHANGED);
	assert_non_null(strstr(res.why, "SHA-256 differs"));
	/* ...or another size. */
	req.size = 3;
	assert_int_equal(sc_quar_add(f->q, &req, &res), SC_ECHANGED);
	assert_non_null(strstr(res.why, "size"));
	assert_int_equal(access(path, F_OK), 0);
	assert_int_equal(sc_quar_list(f->q, &items, &n), SC_OK);
	assert_int_equal(n, 0);
	sc_quar_items_free(items, n);
	free(path);
}

static void damaged_payload_and_manifest(void **state)
{
	struct fx *f = *state;
	struct sc_quar_req req = { 0 };
	struct sc_quar_result res;
	struct sc_quar_item *it, **items;
	unsigned char *data;
	size_t len, n;
	char *path = unit_join(f->dir, "a.bin"), *p, *idir;
	FILE *fp;

	assert_int_equal(unit_write_str(f->dir, "a.bin", "abcdef"), 0);
	req.path = path;
	assert_int_equal(sc_quar_add(f->q, &req, &res), SC_OK);
	assert_int_equal(sc_quar_get(f->q, res.id, &it), SC_OK);
	idir = unit_join(f->store, res.id);
	p = unit_join(idir, "payload.bin");
	fp = fopen(p, "r+b");
	assert_non_null(fp);
	fputc('X', fp);
	fclose(fp);
	assert_int_equal(sc_quar_payload(f->q, it, &data, &len), SC_EFORMAT);
	sc_quar_item_free(it);
	free(p);
	/* A manifest that is not one: the item is skipped, not guessed. */
	p = unit_join(idir, "manifest.json");
	fp = fopen(p, "w");
	assert_non_null(fp);
	fputs("{\"format\": 1}", fp);
	fclose(fp);
	assert_int_equal(sc_quar_list(f->q, &items, &n), SC_OK);
	assert_int_equal(n, 0);
	sc_quar_items_free(items, n);
	assert_int_equal(sc_quar_get(f->q, res.id, &it), SC_EFORMAT);
	assert_int_equal(sc_quar_get(f->q, "ffff", &it), SC_EINVAL);
	sc_quar_result_free(&res);
	free(p);
	free(idir);
	free(path);
}

static void second_open_is_busy(void **state)
{
	struct fx *f = *state;
	struct sc_quar *q2;
	pid_t pid = fork();
	int st = 0;

	/* fcntl locks are per process: ask from a child. */
	if (pid == 0)
		_exit(sc_quar_open(f->store, 0, &q2, NULL, NULL) == SC_EBUSY ? 0
									       : 1);
	assert_true(pid > 0);
	assert_int_equal(waitpid(pid, &st, 0), pid);
	assert_true(WIFEXITED(st) && WEXITSTATUS(st) == 0);
}

static void critical_paths(void **state)
{
	static const char *const yes[] = {
		"/mnt/vda1/Windows/System32/drivers/x.sys",
		"/mnt/sda2/windows/system32/ntoskrnl.exe",
		"/mnt/vda1/bootmgr",
		"/mnt/esp/EFI/Microsoft/Boot/bootmgfw.efi",
		"/mnt/esp/EFI/BOOT/BOOTX64.EFI",
	};
	static const char *const no[] = {
		"/mnt/vda1/Users/bob/Windows/notes.txt",
		"/mnt/vda1/bootmgr.txt",
		"/mnt/vda1/Windows/System32", /* the directory itself */
	};

	(void)state;
	for (size_t i = 0; i < sizeof(yes) / sizeof(*yes); i++)
		assert_true(sc_quar_is_critical(yes[i], strlen(yes[i])));
	for (size_t i = 0; i < sizeof(no) / sizeof(*no); i++)
		assert_false(sc_quar_is_critical(no[i], strlen(no[i])));
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup_teardown(detections_and_raw_names, setup,
						teardown),
		cmocka_unit_test_setup_teardown(changed_since_scan_refused,
						setup, teardown),
		cmocka_unit_test_setup_teardown(damaged_payload_and_manifest,
						setup, teardown),
		cmocka_unit_test_setup_teardown(second_open_is_busy, setup,
						teardown),
		cmocka_unit_test(critical_paths),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
