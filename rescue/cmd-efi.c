/*
 * rescue efi: lists the UEFI boot entries the firmware will start, with a
 * verdict for each. Reads efivarfs only.
 */
#include <errno.h>
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "rescue.h"
#include "sc.h"

const char cmd_efi_usage[] =
	"usage: rescue efi [--json] [--efivars DIR]\n"
	"\n"
	"Lists the UEFI boot entries (BootOrder, BootCurrent, BootNext and\n"
	"every Boot####) with the loader each starts. A loader outside\n"
	"\\EFI\\Microsoft\\Boot and \\EFI\\BOOT, a malformed entry, one that\n"
	"BootOrder names but does not exist, and the BootNext target are marked\n"
	"for review. Only works when this system booted under UEFI.\n"
	"\n"
	"      --json          write JSON to stdout\n"
	"      --efivars DIR   read variables from DIR (default " SC_EFI_VARS_DIR ")\n"
	"\n"
	"Exit status: 0 nothing to review, 1 entries to review, 2 error.\n";

/* sc/efi.h promises UTF-8 without control characters: print as is. */
static void put(const char *s)
{
	fputs(s, stdout);
}

int cmd_efi(int argc, char **argv)
{
	static const struct option longopts[] = {
		{ "json", no_argument, NULL, 'J' },
		{ "efivars", required_argument, NULL, 'E' },
		{ NULL, 0, NULL, 0 },
	};
	const char *dir = NULL;
	struct sc_efi *efi;
	int json = 0, c, err, status = EXIT_CLEAN;

	optind = 1;
	while ((c = getopt_long(argc, argv, "", longopts, NULL)) != -1) {
		switch (c) {
		case 'J': json = 1; break;
		case 'E': dir = optarg; break;
		default:
			fputs(cmd_efi_usage, stderr);
			return EXIT_ERROR;
		}
	}
	err = sc_efi_read(dir, &efi);
	if (err == SC_EOPEN && errno == ENOENT && !dir) {
		error("no UEFI variables: this system did not boot under UEFI "
		      "(or efivarfs is not mounted at " SC_EFI_VARS_DIR ")");
		return EXIT_ERROR;
	}
	if (err)
		die("cannot read '%s': %s: %s", dir ? dir : SC_EFI_VARS_DIR,
		    sc_strerror(err), strerror(errno));
	for (size_t i = 0; i < efi->nentries; i++)
		if (efi->entries[i].verdict == SC_EFI_REVIEW)
			status = EXIT_FOUND;
	if (json) {
		if (sc_efi_write_json(efi, stdout)) {
			error("cannot write the JSON to stdout");
			status = EXIT_ERROR;
		}
		sc_efi_free(efi);
		return status;
	}
	printf("boot order:");
	for (size_t i = 0; i < efi->norder; i++)
		printf(" Boot%04X", efi->boot_order[i]);
	if (efi->has_boot_current)
		printf("\ncurrent boot: Boot%04X", efi->boot_current);
	if (efi->has_boot_next)
		printf("\nnext boot (once): Boot%04X", efi->boot_next);
	fputc('\n', stdout);
	for (size_t i = 0; i < efi->nentries; i++) {
		const struct sc_efi_entry *e = &efi->entries[i];

		printf("%s %-8s %s", e->name, sc_efi_verdict_name(e->verdict),
		       e->active ? "" : "(inactive) ");
		put(e->description ? e->description : "");
		if (e->path_text && e->path_text[0]) {
			fputs("\n    ", stdout);
			put(e->path_text);
		}
		if (e->reason[0]) {
			fputs("\n    ", stdout);
			put(e->reason);
		}
		fputc('\n', stdout);
	}
	for (size_t i = 0; i < efi->nproblems; i++) {
		fputs("problem: ", stdout);
		put(efi->problems[i]);
		fputc('\n', stdout);
	}
	sc_efi_free(efi);
	return status;
}
