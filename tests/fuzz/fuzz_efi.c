/*
 * libFuzzer target for the EFI_LOAD_OPTION parser (scanner/efi.c): the input
 * is one Boot#### variable's data. Every field is read back so the
 * sanitizers see any string left unterminated or any bad length, and the
 * verdict is checked against what was found. efi.c needs only libc:
 *
 *   clang -std=c11 -D_XOPEN_SOURCE=700 -g -O1 \
 *	-fsanitize=fuzzer,address,undefined -fno-sanitize-recover=all \
 *	-Iscanner/include -Iscanner -o out/fuzz/fuzz_efi \
 *	tests/fuzz/fuzz_efi.c scanner/efi.c
 */
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "sc/efi.h"
#include "sc/error.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static volatile size_t sink;

static void touch(const char *s, size_t max)
{
	size_t n;

	if (!s)
		abort();
	n = strlen(s);
	if (n > max)
		abort();
	for (size_t i = 0; i < n; i++) {
		unsigned char c = (unsigned char)s[i];

		/* No C0 control characters may reach the screen. */
		if (c < 0x20 || c == 0x7f)
			abort();
		sink += c;
	}
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct sc_efi_entry e;
	int rc = sc_efi_parse_load_option(data, size, &e);

	if (rc == SC_OK) {
		touch(e.description, 2 * SC_EFI_MAX_VAR + 3); /* + "..." */
		touch(e.loader, 8192);
		touch(e.path_text, 8192);
		touch(e.reason, sizeof(e.reason) - 1);
		touch(e.problem, sizeof(e.problem) - 1);
		touch(sc_efi_verdict_name(e.verdict), 16);
		if (e.partition.present)
			touch(e.partition.guid, 36);
		/* A verdict follows from what was found. */
		if (e.verdict == SC_EFI_EXPECTED &&
		    (e.problem[0] || !e.loader[0]))
			abort();
		if (e.verdict == SC_EFI_FIRMWARE && e.loader[0])
			abort();
		if (e.problem[0] && e.verdict != SC_EFI_REVIEW)
			abort();
		if (e.optional_len > size)
			abort();
		sink += e.attributes + (size_t)e.active + (size_t)e.hidden +
			(size_t)e.app + e.partition.number +
			(size_t)e.partition.start + (size_t)e.partition.size +
			e.partition.mbr_id;
	}
	sc_efi_entry_clear(&e);
	return 0;
}
