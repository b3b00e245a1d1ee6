/*
 * Boot code identification: which loader sits in an MBR or a volume boot
 * record. First by hash against known code (bootcode-table.h, made from
 * Debian's packages), then by the messages loaders carry. The answer is
 * information for the technician, never a detection: "unknown code" is
 * common (vendor tools, other loaders) and proves nothing by itself.
 */
#include <stdlib.h>
#include <string.h>

#include "internal.h"
#include "part.h"

struct known_code {
	const char *name;
	const char *mask; /* pairs of first/last offsets zeroed first */
	const char *sha256;
};

#include "bootcode-table.h"

struct needle {
	const char *s;
	size_t n;
};

#define N(lit) { lit, sizeof(lit) - 1 }

/*
 * By message: every needle must be present. Order matters: the first
 * match wins, so the more specific come first.
 */
static const struct {
	const char *name;
	int vbr; /* 0: MBR code area, 1: boot sector */
	struct needle need[3];
} signatures[] = {
	{ "GRUB 2", 0, { N("GRUB \0Geom\0Hard Disk\0Read\0 Error") } },
	{ "Windows MBR (Vista or later)", 0,
	  { N("Invalid partition table"), N("Missing operating system"),
	    N("TCPA") } },
	{ "Windows MBR (2000/XP)", 0,
	  { N("Invalid partition table"), N("Missing operating system") } },
	{ "SYSLINUX MBR", 0, { N("Operating system load error") } },
	{ "Windows boot code (BOOTMGR)", 1, { N("BOOTMGR") } },
	{ "Windows boot code (NTLDR)", 1, { N("NTLDR") } },
	{ "GRUB 2", 1, { N("GRUB \0") } },
	{ "SYSLINUX", 1, { N("SYSLINUX") } },
	{ "EXTLINUX", 1, { N("EXTLINUX") } },
	{ "mkfs.fat boot code (not bootable)", 1,
	  { N("This is not a bootable disk") } },
};

static int has(const unsigned char *h, size_t hn, const struct needle *nd)
{
	if (!nd->s)
		return 1;
	if (nd->n > hn)
		return 0;
	for (size_t i = 0; i + nd->n <= hn; i++)
		if (h[i] == (unsigned char)nd->s[0] &&
		    !memcmp(h + i, nd->s, nd->n))
			return 1;
	return 0;
}

static int all_zero(const unsigned char *p, size_t n)
{
	for (size_t i = 0; i < n; i++)
		if (p[i])
			return 0;
	return 1;
}

const char *sc_bootcode_identify(const unsigned char *sec, size_t n, int vbr,
				 char sha[65])
{
	/* MBR: the 440-byte code area. VBR: the code after the BPB. */
	size_t from = vbr ? 90 : 0, to = vbr ? 510 : 440;
	unsigned char code[440];

	sha[0] = '\0';
	if (n < 512)
		return "unreadable";
	sc_sha256_hex(sec + from, to - from, sha);
	if (all_zero(sec + from, to - from))
		return "no boot code";
	if (!vbr)
		for (size_t i = 0; i < sizeof(known_mbr) / sizeof(*known_mbr);
		     i++) {
			const char *m = known_mbr[i].mask;
			char h[65];

			memcpy(code, sec, 440);
			for (; m[0] && m[1]; m += 2)
				memset(code + (unsigned char)m[0], 0,
				       (size_t)((unsigned char)m[1] -
						(unsigned char)m[0] + 1));
			if (!sc_sha256_hex(code, 440, h) &&
			    !strcmp(h, known_mbr[i].sha256))
				return known_mbr[i].name;
		}
	/* mkntfs writes the same placeholder message as mkfs.fat. */
	if (vbr && !memcmp(sec + 3, "NTFS    ", 8)) {
		static const struct needle nb = N("This is not a bootable disk");

		if (has(sec + from, to - from, &nb))
			return "mkntfs boot code (not bootable)";
	}
	for (size_t i = 0; i < sizeof(signatures) / sizeof(*signatures); i++) {
		const struct needle *nd = signatures[i].need;

		if (signatures[i].vbr != vbr)
			continue;
		if (has(sec + from, to - from, &nd[0]) &&
		    has(sec + from, to - from, &nd[1]) &&
		    has(sec + from, to - from, &nd[2]))
			return signatures[i].name;
	}
	return "unknown code";
}
