/*
 * UEFI boot entries: what the firmware will start.
 *
 * sc_efi_read reads the boot manager's variables from efivarfs (each file is
 * NAME-GUID and holds a 4-byte little-endian attribute word followed by the
 * variable's data): BootOrder, BootCurrent, BootNext and every Boot####
 * (four upper-case hex digits) of the global variable GUID. Each Boot#### is
 * an EFI_LOAD_OPTION, parsed by sc_efi_parse_load_option: its attributes, its
 * UTF-16 description, its device path (the partition, the loader's file path
 * and a short text of the whole path) and the size of its optional data.
 *
 * Each entry gets a verdict for the technician:
 *  - expected: the loader is under \EFI\Microsoft\Boot\ or \EFI\BOOT\ (the
 *    table of known loader directories is in efi.c);
 *  - firmware: no file path at all (a firmware application, a removable
 *    media or network entry: the firmware decides what runs);
 *  - review: any other loader, a malformed option, an id BootOrder lists but
 *    no variable holds, or the BootNext target (started once at next boot).
 * A bootkit that adds or hijacks a Boot#### entry lands in "review" unless
 * it replaces a file in a known directory, which only a file scan finds.
 *
 * Everything read is hostile: every length is checked against the node, the
 * path list and the variable; a malformed option is described, never
 * trusted. Counts are capped so a hostile variable store cannot exhaust
 * memory. All strings are UTF-8 without control characters (bad UTF-16 and
 * control characters become U+FFFD).
 */
#ifndef SC_EFI_H
#define SC_EFI_H

#include <stddef.h>
#include <stdint.h>
#include <stdio.h>

/* efivarfs on Linux; absent when the system did not boot under UEFI. */
#define SC_EFI_VARS_DIR "/sys/firmware/efi/efivars"

/* The EFI global variable GUID, as efivarfs spells it in file names. */
#define SC_EFI_GLOBAL_GUID "8be4df61-93ca-11d2-aa0d-00e098032b8c"

/* EFI_LOAD_OPTION attribute bits. */
#define SC_EFI_LOAD_OPTION_ACTIVE          0x00000001u
#define SC_EFI_LOAD_OPTION_FORCE_RECONNECT 0x00000002u
#define SC_EFI_LOAD_OPTION_HIDDEN          0x00000008u
#define SC_EFI_LOAD_OPTION_CATEGORY        0x00001f00u
#define SC_EFI_LOAD_OPTION_CATEGORY_APP    0x00000100u

/* Caps against a hostile variable store. */
#define SC_EFI_MAX_ORDER    512     /* BootOrder ids kept */
#define SC_EFI_MAX_ENTRIES  1024    /* entries listed */
#define SC_EFI_MAX_PROBLEMS 64      /* problem sentences kept */
#define SC_EFI_MAX_VAR      65536   /* bytes of one variable parsed */

enum sc_efi_verdict {
	SC_EFI_EXPECTED,
	SC_EFI_FIRMWARE,
	SC_EFI_REVIEW,
};

enum sc_efi_sig {
	SC_EFI_SIG_NONE = 0, /* no signature */
	SC_EFI_SIG_MBR = 1,  /* 32-bit MBR disk id */
	SC_EFI_SIG_GPT = 2,  /* GPT unique partition GUID */
};

/*
 * The first hard drive media node of the path. The guid and mbr_id compare
 * with struct sc_partition's guid and struct sc_layout's mbr_id (sc/disk.h)
 * to find the partition on a disk.
 */
struct sc_efi_partition {
	int present;          /* 0: the path has no hard drive node */
	uint32_t number;      /* partition number, 1-based */
	uint64_t start;       /* first sector */
	uint64_t size;        /* sectors */
	uint8_t mbr_type;     /* 1 PC-AT MBR, 2 GPT, as the node says */
	uint8_t sig_type;     /* enum sc_efi_sig, or the raw byte if unknown */
	char guid[37];        /* lower case when sig_type is GPT, else "" */
	uint32_t mbr_id;      /* when sig_type is MBR, else 0 */
};

/*
 * One boot entry. The strings are malloc'd and owned by the entry, never
 * NULL once parsed; sc_efi_entry_clear frees them (sc_efi_free does it for
 * the entries of a struct sc_efi).
 */
struct sc_efi_entry {
	uint16_t id;
	char name[9];           /* "Boot0001" */
	int exists;             /* 0: only named by BootOrder/BootNext */
	uint32_t attributes;    /* SC_EFI_LOAD_OPTION_* */
	int active, hidden;
	int app;                /* category "application": menu only */
	char *description;      /* UTF-8 */
	char *loader;           /* "\EFI\BOOT\BOOTX64.EFI"; "" if none */
	struct sc_efi_partition partition;
	char *path_text;        /* "HD(1,GPT,<guid>)/\EFI\BOOT\BOOTX64.EFI" */
	size_t optional_len;    /* bytes of optional data after the path list */
	enum sc_efi_verdict verdict;
	char reason[320];       /* why "review", as sentences; else "" */
	int in_boot_order;      /* set by sc_efi_read */
	char problem[160];      /* first malformation met; "" if well-formed */
};

struct sc_efi {
	size_t norder;
	uint16_t *boot_order;   /* BootOrder ids, in order; malloc'd */
	int has_boot_current;
	uint16_t boot_current;
	int has_boot_next;
	uint16_t boot_next;
	size_t nentries;
	struct sc_efi_entry *entries; /* sorted by id; malloc'd */
	size_t nproblems;
	char **problems;        /* sentences about the store; malloc'd */
};

/*
 * Reads the boot variables under efivars_dir (NULL: SC_EFI_VARS_DIR). On
 * SC_OK *out holds the result, which the caller frees with sc_efi_free.
 * A directory that cannot be opened gives SC_EOPEN with errno set (ENOENT:
 * not booted under UEFI); SC_ENOMEM when out of memory. Variables that
 * cannot be read or parsed are listed in the problems, never fatal.
 */
int sc_efi_read(const char *efivars_dir, struct sc_efi **out);

/* Frees everything sc_efi_read returned; NULL is a no-op. */
void sc_efi_free(struct sc_efi *efi);

/*
 * Parses the n bytes of one EFI_LOAD_OPTION (the variable's data, without
 * the efivarfs attribute word) into e, which is overwritten: id, name,
 * in_boot_order are left zero for the caller. A malformed option is still
 * described as far as it can be, with the fault in e->problem and the
 * verdict "review". Returns SC_OK, SC_EINVAL (e NULL, or data NULL with n
 * non-zero) or SC_ENOMEM; on every return but SC_EINVAL the caller releases
 * e with sc_efi_entry_clear.
 */
int sc_efi_parse_load_option(const unsigned char *data, size_t n,
			     struct sc_efi_entry *e);

/* Frees the strings of an entry and zeroes it. NULL is a no-op. */
void sc_efi_entry_clear(struct sc_efi_entry *e);

/* "expected", "firmware", "review"; "unknown" for other values. */
const char *sc_efi_verdict_name(enum sc_efi_verdict v);

/*
 * Writes efi as JSON to f: {"boot_order": ["Boot0001", ...], "boot_current":
 * "Boot0001"|null, "boot_next": ...|null, "entries": [...], "problems":
 * [...]}. Returns SC_OK, SC_ENOMEM or SC_EWRITE.
 */
int sc_efi_write_json(const struct sc_efi *efi, FILE *f);

#endif
