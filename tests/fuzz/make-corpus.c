/*
 * Writes the seed corpus of fuzz_layout: small disks, each prefixed with
 * the selector byte fuzz_layout.c reads (0 guess the sector size, 1 512,
 * 2 4096; +3 caps gaps at 4 KiB). Run by make-corpus.sh.
 */
#include <stdio.h>
#include <stdlib.h>

#include "../unit/diskimg.h"

#define ESP   "c12a7328-f81f-11d2-ba4b-00a0c93ec93b"
#define LINUX "0fc63daf-8483-4772-8e79-3d69d8477de4"
#define DISK  "01234567-89ab-cdef-0123-456789abcdef"

static const char *dir;

static void save(const char *name, unsigned char sel, struct img *d)
{
	char path[4096];
	FILE *f;

	snprintf(path, sizeof(path), "%s/%s", dir, name);
	f = fopen(path, "wb");
	if (!f || fputc(sel, f) == EOF ||
	    fwrite(d->b, 1, d->size, f) != d->size || fclose(f)) {
		perror(path);
		exit(1);
	}
	img_free(d);
}

/* GPT of nsect sectors with nentries entries and two partitions. */
static void gpt(struct img *d, uint32_t ss, uint64_t nsect, uint32_t nentries,
		uint64_t a, uint64_t b, uint64_t c)
{
	const struct img_gpt_part parts[] = {
		{ ESP, DISK, a, b - 1, 0, u"EFI" },
		{ LINUX, DISK, b, c, 4, u"root \u00e9" },
	};
	struct img_gpt g = { DISK, nentries, parts, 2, 0, 0, 0 };

	img_init(d, ss, nsect);
	img_mbr_entry(d, 0, 0, 0, 0xee, 1, (uint32_t)nsect - 1);
	img_gpt_write(d, &g);
}

int main(int argc, char **argv)
{
	struct img d;

	if (argc != 2) {
		fprintf(stderr, "usage: make-corpus DIR\n");
		return 2;
	}
	dir = argv[1];

	img_init(&d, 512, 64);
	img_mbr_entry(&d, 0, 0, 0x80, 0x83, 8, 16);
	img_mbr_entry(&d, 0, 1, 0, 0x07, 32, 16);
	img_ntfs(&d, 32);
	save("mbr-two-primaries", 1, &d);

	img_init(&d, 512, 64);
	img_mbr_entry(&d, 0, 0, 0, 0x0c, 2, 8);
	img_fat32(&d, 2, 512, 4);
	img_mbr_entry(&d, 0, 1, 0, 0x0f, 16, 40);
	img_mbr_entry(&d, 16, 0, 0, 0x83, 2, 6);
	img_mbr_entry(&d, 16, 1, 0, 0x05, 16, 16);
	img_mbr_entry(&d, 32, 0, 0, 0x82, 2, 8);
	save("mbr-extended", 4, &d);

	img_init(&d, 512, 64);
	img_mbr_entry(&d, 0, 0, 0, 0x05, 16, 40);
	img_mbr_entry(&d, 16, 0, 0, 0x83, 2, 6);
	img_mbr_entry(&d, 16, 1, 0, 0x05, 16, 16);
	img_mbr_entry(&d, 32, 0, 0, 0x83, 2, 6);
	img_mbr_entry(&d, 32, 1, 0, 0x05, 16, 16); /* itself */
	save("mbr-ebr-loop", 1, &d);

	img_init(&d, 512, 64);
	img_mbr_entry(&d, 0, 0, 0, 0x83, 8, 32);
	img_mbr_entry(&d, 0, 1, 0, 0x83, 16, 8);
	img_mbr_entry(&d, 0, 2, 0, 0x83, 60, 100);
	save("mbr-overlap-past-end", 1, &d);

	gpt(&d, 512, 96, 128, 34, 46, 62);
	save("gpt-128", 1, &d);

	gpt(&d, 512, 16, 4, 3, 6, 12);
	save("gpt-4", 0, &d);

	gpt(&d, 512, 16, 4, 3, 6, 12);
	img_mbr_entry(&d, 0, 1, 0x80, 0x0c, 3, 3);
	save("gpt-hybrid", 1, &d);

	gpt(&d, 512, 16, 4, 3, 6, 12);
	d.b[512 + 60] ^= 1; /* primary header CRC */
	save("gpt-bad-primary", 4, &d);

	gpt(&d, 4096, 8, 4, 3, 4, 5);
	save("gpt-4kn", 0, &d);

	img_init(&d, 512, 64);
	img_fat32(&d, 0, 512, 32);
	save("fat32-whole-disk", 1, &d);

	img_init(&d, 512, 16);
	img_ntfs(&d, 0);
	save("ntfs-whole-disk", 0, &d);
	return 0;
}
