/*
 * What a Windows executable says about itself, for a false-positive report:
 * its version information (the VERSIONINFO resource: CompanyName,
 * FileVersion, ProductName...) and a few header facts.
 *
 * The bytes are parsed by libyara's "pe" module, the parser the scan's rules
 * already rely on: a one-rule set that imports "pe" is run over the buffer
 * and the module's results are copied out. Nothing here parses the file
 * itself. Like any parse of hostile bytes, callers that can should run it
 * in a worker process, as the scan does.
 *
 * Strings are byte strings as the module gives them, NUL-terminated, and
 * must be escaped by whoever prints them. The module keeps the low byte of
 * each UTF-16 unit (so U+0000..U+00FF come out as Latin-1 bytes, other
 * characters are mangled, and a unit whose low byte is zero ends the
 * string), at most 63 bytes of a key and 255 of a value.
 */
#ifndef SC_PEINFO_H
#define SC_PEINFO_H

#include <stddef.h>
#include <stdint.h>

struct sc_pe_version {
	char *key;    /* "CompanyName", ... */
	char *value;
};

struct sc_pe_info {
	int is_pe;               /* 0: not a PE; every other field is zero */
	int is_64bit;            /* PE32+ */
	int is_dll;
	unsigned machine;        /* IMAGE_FILE_MACHINE_*: 0x8664 x86-64... */
	unsigned characteristics;
	unsigned subsystem;      /* 2 GUI, 3 console, 10 EFI application... */
	int64_t timestamp;       /* COFF TimeDateStamp, often not a date */
	unsigned nsignatures;    /* Authenticode signatures found, unverified */
	char *signer;            /* subject of the first one, or NULL */
	char *pdb_path;          /* debug information's PDB path, or NULL */
	size_t nversion;
	struct sc_pe_version *version; /* in file order; keys may repeat */
};

/*
 * Reads the PE facts of the len bytes at data into *out. A buffer that is
 * not a PE (or too damaged for the module to call it one) is SC_OK with
 * is_pe 0; a truncated PE gives what could be read. Initialises libyara for
 * the duration of the call (libyara counts its initialisations, so this
 * nests with sc_rules_create's).
 *
 * Returns SC_OK; SC_EINVAL; SC_ENOMEM; SC_EYARA if libyara fails (*out is
 * then empty). Free *out with sc_pe_info_free, whatever was returned.
 */
int sc_pe_info_read(const void *data, size_t len, struct sc_pe_info *out);

/* The value of the first version entry named key, or NULL. */
const char *sc_pe_info_get(const struct sc_pe_info *info, const char *key);

/* Frees what *info holds and zeroes it (the struct itself is the caller's). */
void sc_pe_info_free(struct sc_pe_info *info);

#endif
