/*
 * Boot code identification: GRUB's boot.img as an installer leaves it,
 * SYSLINUX's MBR, message signatures, mkfs placeholders, and unknown code.
 */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <cmocka.h>

#include "internal.h"
#include "part.h"
#include "unit.h"

static void read_file(const char *path, unsigned char *buf, size_t n)
{
	FILE *f = fopen(path, "rb");

	if (!f)
		fail_msg("cannot open %s (from grub-pc-bin)", path);
	assert_int_equal(fread(buf, 1, n, f), n);
	fclose(f);
}

/* GRUB's boot.img with what grub-install patches: kernel sector, boot
 * drive, the drive-check jump, a BPB and a partition table. */
static void grub_as_installed(void **state)
{
	unsigned char s[512];
	char sha[65], want[65];

	(void)state;
	read_file("/usr/lib/grub/i386-pc/boot.img", s, 512);
	s[0x5c] = 0x01; /* kernel at sector 1 */
	s[0x64] = 0x80; /* first hard disk */
	s[0x66] = 0x90; /* drive check replaced by NOPs */
	s[0x67] = 0x90;
	memset(s + 0x0b, 0x5a, 16); /* some BPB bytes */
	memset(s + 446, 0x11, 64);  /* a partition table: not code */
	assert_string_equal(sc_bootcode_identify(s, 512, 0, sha), "GRUB 2");
	assert_int_equal(sc_sha256_hex(s, 440, want), 0);
	assert_string_equal(sha, want);
}

/* Same code, a patch outside the masked bytes: still GRUB by message. */
static void grub_by_message(void **state)
{
	unsigned char s[512];
	char sha[65];

	(void)state;
	read_file("/usr/lib/grub/i386-pc/boot.img", s, 512);
	s[0x70] ^= 0xff;
	assert_string_equal(sc_bootcode_identify(s, 512, 0, sha), "GRUB 2");
}

static void empty_and_short(void **state)
{
	unsigned char s[512] = { 0 };
	char sha[65];

	(void)state;
	s[510] = 0x55;
	s[511] = 0xaa;
	assert_string_equal(sc_bootcode_identify(s, 512, 0, sha), "no boot code");
	assert_int_equal(strlen(sha), 64);
	assert_string_equal(sc_bootcode_identify(s, 100, 0, sha), "unreadable");
	assert_string_equal(sha, "");
}

static void windows_messages(void **state)
{
	unsigned char s[512] = { 0 };
	char sha[65];

	(void)state;
	s[0] = 0x33;
	memcpy(s + 0x163, "Invalid partition table", 23);
	memcpy(s + 0x17b, "Error loading operating system", 30);
	memcpy(s + 0x19a, "Missing operating system", 24);
	assert_string_equal(sc_bootcode_identify(s, 512, 0, sha),
			    "Windows MBR (2000/XP)");
	memcpy(s + 0x100, "TCPA", 4);
	assert_string_equal(sc_bootcode_identify(s, 512, 0, sha),
			    "Windows MBR (Vista or later)");
	/* The same text past the 440-byte code area does not count. */
	memset(s, 0, 512);
	memcpy(s + 446, "Missing operating system", 24);
	assert_string_equal(sc_bootcode_identify(s, 512, 0, sha), "no boot code");
}

static void vbr_loaders(void **state)
{
	unsigned char s[512] = { 0 };
	char sha[65];

	(void)state;
	memcpy(s + 3, "NTFS    ", 8);
	memcpy(s + 0x180, "BOOTMGR is compressed", 21);
	assert_string_equal(sc_bootcode_identify(s, 512, 1, sha),
			    "Windows boot code (BOOTMGR)");
	memset(s + 90, 0, 420);
	memcpy(s + 0x180, "NTLDR is missing", 16);
	assert_string_equal(sc_bootcode_identify(s, 512, 1, sha),
			    "Windows boot code (NTLDR)");
	/* BPB bytes (before 90) are not code: a label there is ignored. */
	memset(s + 90, 0, 420);
	memcpy(s + 71, "BOOTMGR", 7);
	assert_string_equal(sc_bootcode_identify(s, 512, 1, sha), "no boot code");
}

static void mkfs_placeholders(void **state)
{
	char *dir = unit_mkdtemp(), cmd[512];
	unsigned char s[512];
	char sha[65];

	(void)state;
	assert_non_null(dir);
	if (!dir)
		return;
	snprintf(cmd, sizeof(cmd),
		 "truncate -s 8M %s/f && mkfs.vfat %s/f >/dev/null && "
		 "truncate -s 8M %s/n && mkntfs -q -F -f %s/n >/dev/null 2>&1",
		 dir, dir, dir, dir);
	assert_int_equal(system(cmd), 0);
	snprintf(cmd, sizeof(cmd), "%s/f", dir);
	read_file(cmd, s, 512);
	assert_string_equal(sc_bootcode_identify(s, 512, 1, sha),
			    "mkfs.fat boot code (not bootable)");
	snprintf(cmd, sizeof(cmd), "%s/n", dir);
	read_file(cmd, s, 512);
	assert_string_equal(sc_bootcode_identify(s, 512, 1, sha),
			    "mkntfs boot code (not bootable)");
	unit_rmtree(dir);
	free(dir);
}

static void unknown_code(void **state)
{
	unsigned char s[512];
	char sha[65];

	(void)state;
	for (int i = 0; i < 512; i++)
		s[i] = (unsigned char)(i * 37 + 11);
	assert_string_equal(sc_bootcode_identify(s, 512, 0, sha), "unknown code");
	assert_string_equal(sc_bootcode_identify(s, 512, 1, sha), "unknown code");
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(grub_as_installed),
		cmocka_unit_test(grub_by_message),
		cmocka_unit_test(empty_and_short),
		cmocka_unit_test(windows_messages),
		cmocka_unit_test(vbr_loaders),
		cmocka_unit_test(mkfs_placeholders),
		cmocka_unit_test(unknown_code),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
