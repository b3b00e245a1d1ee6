/*
 * Volumes: libblkid identification on real filesystems made with the
 * Debian tools, BitLocker and LUKS signatures, the NTFS dirty flag read
 * from $Volume, and hiberfil.sys hibernation headers.
 */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <cmocka.h>

#include "internal.h"
#include "part.h"
#include "sc/error.h"
#include "sc/volume.h"
#include "unit.h"

struct fx {
	char *dir;
};

static int setup(void **state)
{
	struct fx *f = calloc(1, sizeof(*f));

	if (!f || !(f->dir = unit_mkdtemp()))
		return -1;
	*state = f;
	return 0;
}

static int teardown(void **state)
{
	struct fx *f = *state;

	unit_rmtree(f->dir);
	free(f->dir);
	free(f);
	return 0;
}

/* Runs a shell command quietly; returns its exit status. */
static int run(const char *fmt, ...)
{
	char cmd[1024];
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(cmd, sizeof(cmd), fmt, ap);
	va_end(ap);
	return system(cmd);
}

static char *image(struct fx *f, const char *name, unsigned mib)
{
	char *p = unit_join(f->dir, name);

	assert_non_null(p);
	assert_int_equal(run("truncate -s %uM '%s'", mib, p), 0);
	return p;
}

static void probe_path(const char *path, uint64_t off, uint64_t size,
		       struct sc_volume *v)
{
	int fd = open(path, O_RDONLY);

	assert_true(fd >= 0);
	memset(v, 0, sizeof(*v));
	assert_int_equal(sc_volume_probe(fd, off, size, v), SC_OK);
	close(fd);
}

static void fat_label_uuid(void **state)
{
	struct fx *f = *state;
	char *img = image(f, "fat.img", 8);
	struct sc_volume v;

	assert_int_equal(run("mkfs.vfat -n TESTLBL -i 1234ABCD '%s' >/dev/null",
			     img), 0);
	probe_path(img, 0, 0, &v);
	assert_string_equal(v.fstype, "vfat");
	assert_string_equal(v.label, "TESTLBL");
	assert_string_equal(v.uuid, "1234-ABCD");
	assert_int_equal(v.flags, 0);
	assert_null(v.read_only_reason);
	free(img);
}

/* A filesystem inside a larger image, found at its offset. */
static void probe_at_offset(void **state)
{
	struct fx *f = *state;
	char *img = image(f, "disk.img", 12), *fs = image(f, "part.img", 8);
	struct sc_volume v;

	assert_int_equal(run("mke2fs -q -t ext4 -L inner '%s'", fs), 0);
	assert_int_equal(run("dd if='%s' of='%s' bs=1M seek=2 conv=notrunc "
			     "status=none", fs, img), 0);
	probe_path(img, 2u << 20, 8u << 20, &v);
	assert_string_equal(v.fstype, "ext4");
	assert_string_equal(v.label, "inner");
	probe_path(img, 0, 2u << 20, &v);
	assert_string_equal(v.fstype, "");
	free(img);
	free(fs);
}

static void ntfs_clean_then_dirty(void **state)
{
	struct fx *f = *state;
	char *img = image(f, "ntfs.img", 16);
	unsigned char bs[512], rec[4096];
	struct sc_volume v;
	uint64_t cluster, mft, recsize;
	int fd;
	int8_t cpr;

	assert_int_equal(run("mkntfs -q -F -f -L WIN '%s' >/dev/null 2>&1", img),
			 0);
	probe_path(img, 0, 0, &v);
	assert_string_equal(v.fstype, "ntfs");
	assert_string_equal(v.label, "WIN");
	assert_int_equal(v.flags & SC_VOL_DIRTY, 0);

	/* Set the dirty bit in $Volume (MFT record 3) by hand. */
	fd = open(img, O_RDWR);
	assert_true(fd >= 0);
	assert_int_equal(pread(fd, bs, 512, 0), 512);
	cluster = (uint64_t)sc_le16(bs + 11) * bs[13];
	cpr = (int8_t)bs[0x40];
	recsize = cpr < 0 ? 1u << -cpr : (uint64_t)cpr * cluster;
	assert_true(recsize <= sizeof(rec));
	mft = sc_le64(bs + 0x30) * cluster + 3 * recsize;
	assert_int_equal(pread(fd, rec, recsize, (off_t)mft), (ssize_t)recsize);
	assert_memory_equal(rec, "FILE", 4);
	{
		uint32_t a = sc_le16(rec + 0x14);
		int done = 0;

		while (a + 16 < recsize && sc_le32(rec + a) != 0xffffffffu) {
			if (sc_le32(rec + a) == 0x70) {
				uint16_t voff = sc_le16(rec + a + 0x14);

				rec[a + voff + 10] |= 1;
				done = 1;
				break;
			}
			a += sc_le32(rec + a + 4);
		}
		assert_true(done);
	}
	assert_int_equal(pwrite(fd, rec, recsize, (off_t)mft), (ssize_t)recsize);
	close(fd);
	probe_path(img, 0, 0, &v);
	assert_true(v.flags & SC_VOL_DIRTY);
	assert_non_null(v.read_only_reason);
	assert_non_null(strstr(v.read_only_reason, "chkdsk"));
	free(img);
}

/* A damaged $Volume record is "unknown", never "dirty" by guess. */
static void ntfs_damaged_mft_not_dirty(void **state)
{
	struct fx *f = *state;
	char *img = image(f, "bad.img", 4);
	unsigned char bs[512] = { 0 };
	struct sc_volume v;
	int fd = open(img, O_RDWR);

	assert_true(fd >= 0);
	memcpy(bs + 3, "NTFS    ", 8);
	bs[11] = 0x00; /* 512 bytes per sector */
	bs[12] = 0x02;
	bs[13] = 8;
	bs[0x30] = 0xff; /* MFT far past the end */
	bs[0x37] = 0x7f;
	bs[0x40] = (unsigned char)-10;
	bs[510] = 0x55;
	bs[511] = 0xaa;
	assert_int_equal(pwrite(fd, bs, 512, 0), 512);
	close(fd);
	probe_path(img, 0, 0, &v);
	assert_int_equal(v.flags & SC_VOL_DIRTY, 0);
	free(img);
}

static void bitlocker_is_encrypted(void **state)
{
	struct fx *f = *state;
	char *img = image(f, "bl.img", 4);
	struct sc_volume v;

	/* A BitLocker boot sector: "-FVE-FS-" as OEM name, a FAT-like BPB. */
	assert_int_equal(run("printf '\\353\\130\\220-FVE-FS-\\000\\002\\010' | "
			     "dd of='%s' conv=notrunc status=none && "
			     "printf '\\125\\252' | dd of='%s' bs=1 seek=510 "
			     "conv=notrunc status=none",
			     img, img),
			 0);
	probe_path(img, 0, 0, &v);
	assert_string_equal(v.fstype, "BitLocker");
	assert_true(v.flags & SC_VOL_ENCRYPTED);
	assert_non_null(strstr(v.read_only_reason, "encrypted"));
	free(img);
}

static void luks_is_encrypted(void **state)
{
	struct fx *f = *state;
	char *img = image(f, "luks.img", 4);
	struct sc_volume v;

	/* LUKS1 header: magic, version 1. */
	assert_int_equal(run("printf 'LUKS\\272\\276\\000\\001aes' | "
			     "dd of='%s' conv=notrunc status=none", img), 0);
	probe_path(img, 0, 0, &v);
	assert_string_equal(v.fstype, "crypto_LUKS");
	assert_true(v.flags & SC_VOL_ENCRYPTED);
	free(img);
}

static void hiberfil_headers(void **state)
{
	struct fx *f = *state;
	char *d = unit_join(f->dir, "vol");

	assert_int_equal(mkdir(d, 0755), 0);
	assert_false(sc_volume_hibernated(d));
	assert_int_equal(unit_write_str(d, "HiberFil.SYS", "wake and more"), 0);
	assert_false(sc_volume_hibernated(d));
	assert_int_equal(unit_write_str(d, "HiberFil.SYS", "hibr and more"), 0);
	assert_true(sc_volume_hibernated(d));
	assert_int_equal(unit_write_str(d, "HiberFil.SYS", "HIBR"), 0);
	assert_true(sc_volume_hibernated(d));
	assert_int_equal(unit_write_str(d, "HiberFil.SYS", "RSTR"), 0);
	assert_true(sc_volume_hibernated(d));
	assert_int_equal(unit_write_str(d, "HiberFil.SYS", "hi"), 0);
	assert_false(sc_volume_hibernated(d));
	free(d);
}

/* A hiberfil.sys that is a symlink or a directory is not followed. */
static void hiberfil_not_followed(void **state)
{
	struct fx *f = *state;
	char *d = unit_join(f->dir, "vol2");
	char *target = unit_join(f->dir, "elsewhere");
	char *link;

	assert_int_equal(mkdir(d, 0755), 0);
	assert_int_equal(unit_write_str(f->dir, "elsewhere", "hibr"), 0);
	link = unit_join(d, "hiberfil.sys");
	assert_int_equal(symlink(target, link), 0);
	assert_false(sc_volume_hibernated(d));
	unlink(link);
	assert_int_equal(mkdir(link, 0755), 0);
	assert_false(sc_volume_hibernated(d));
	free(d);
	free(target);
	free(link);
}

static void of_path_not_a_device(void **state)
{
	struct sc_volume v;

	(void)state;
	assert_int_equal(sc_volume_of_path("/nonexistent/path", &v), SC_EOPEN);
	/* /proc is on no block device. */
	assert_int_equal(sc_volume_of_path("/proc", &v), SC_EINVAL);
}

static void flag_names(void **state)
{
	(void)state;
	assert_string_equal(sc_volume_flag_name(SC_VOL_ENCRYPTED), "encrypted");
	assert_string_equal(sc_volume_flag_name(SC_VOL_DIRTY), "dirty");
	assert_string_equal(sc_volume_flag_name(SC_VOL_HIBERNATED), "hibernated");
	assert_string_equal(sc_volume_flag_name(SC_VOL_ESP), "ESP");
	assert_string_equal(sc_volume_flag_name(1u << 20), "unknown");
}

#define T(fn) cmocka_unit_test_setup_teardown(fn, setup, teardown)

int main(void)
{
	const struct CMUnitTest tests[] = {
		T(fat_label_uuid),
		T(probe_at_offset),
		T(ntfs_clean_then_dirty),
		T(ntfs_damaged_mft_not_dirty),
		T(bitlocker_is_encrypted),
		T(luks_is_encrypted),
		T(hiberfil_headers),
		T(hiberfil_not_followed),
		cmocka_unit_test(of_path_not_a_device),
		cmocka_unit_test(flag_names),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
