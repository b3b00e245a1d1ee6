/*
 * Unit tests for scanner/efi.c and scanner/efi-json.c: EFI_LOAD_OPTIONs
 * built byte by byte (the shapes firmware and Windows, Debian or a bootkit
 * write), parsed directly and from a fake efivarfs directory, hostile
 * lengths, UTF-16 that is not valid, and the JSON read back with jansson.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>
#include <jansson.h>

#include "efi-json.h"
#include "sc/efi.h"
#include "sc/error.h"
#include "unit.h"

#define GUID_SUFFIX "-" SC_EFI_GLOBAL_GUID
#define PART_GUID "0a2c1c2e-1e7b-4c3b-9e8f-3b8a2d0f4e11"

/* A byte buffer that a test fills little-endian. */
struct bytes {
	unsigned char b[2048];
	size_t n;
};

static void put(struct bytes *o, const void *p, size_t n)
{
	assert_true(o->n + n <= sizeof(o->b));
	memcpy(o->b + o->n, p, n);
	o->n += n;
}

static void u8(struct bytes *o, unsigned v)
{
	unsigned char c = (unsigned char)v;

	put(o, &c, 1);
}

static void u16(struct bytes *o, unsigned v)
{
	u8(o, v & 0xff);
	u8(o, v >> 8 & 0xff);
}

static void u32(struct bytes *o, uint32_t v)
{
	u16(o, v & 0xffff);
	u16(o, v >> 16);
}

static void u64(struct bytes *o, uint64_t v)
{
	u32(o, (uint32_t)v);
	u32(o, (uint32_t)(v >> 32));
}

/* ASCII as UTF-16LE, NUL unit included. */
static void utf16z(struct bytes *o, const char *s)
{
	while (*s)
		u16(o, (unsigned char)*s++);
	u16(o, 0);
}

/* A GUID from its text, stored mixed-endian. */
static void guid(struct bytes *o, const char *text)
{
	static const int order[16] = { 3, 2, 1, 0, 5, 4, 7, 6,
				       8, 9, 10, 11, 12, 13, 14, 15 };
	unsigned char raw[16];
	unsigned char g[16];
	size_t k = 0;

	for (const char *p = text; *p && k < 16; p++) {
		unsigned v;

		if (*p == '-')
			continue;
		sscanf(p, "%2x", &v);
		raw[k++] = (unsigned char)v;
		p++;
	}
	for (int i = 0; i < 16; i++)
		g[order[i]] = raw[i];
	put(o, g, 16);
}

static void end_node(struct bytes *o)
{
	u8(o, 0x7f);
	u8(o, 0xff);
	u16(o, 4);
}

static void hd_gpt(struct bytes *o, uint32_t part, uint64_t start,
		   uint64_t size, const char *g)
{
	u8(o, 4);
	u8(o, 1);
	u16(o, 42);
	u32(o, part);
	u64(o, start);
	u64(o, size);
	guid(o, g);
	u8(o, 2);
	u8(o, 2);
}

static void hd_mbr(struct bytes *o, uint32_t part, uint32_t id)
{
	u8(o, 4);
	u8(o, 1);
	u16(o, 42);
	u32(o, part);
	u64(o, 2048);
	u64(o, 1 << 20);
	u32(o, id);
	u32(o, 0);
	u64(o, 0);
	u8(o, 1);
	u8(o, 1);
}

static void file_node(struct bytes *o, const char *path)
{
	u8(o, 4);
	u8(o, 4);
	u16(o, (unsigned)(4 + 2 * strlen(path) + 2));
	utf16z(o, path);
}

static void guid_node(struct bytes *o, unsigned type, unsigned sub,
		      const char *g)
{
	u8(o, type);
	u8(o, sub);
	u16(o, 20);
	guid(o, g);
}

/* attributes, FilePathListLength = path->n, description, path, extra. */
static void option(struct bytes *o, uint32_t attr, const char *desc,
		   const struct bytes *path, const void *extra, size_t nextra)
{
	o->n = 0;
	u32(o, attr);
	u16(o, (unsigned)path->n);
	utf16z(o, desc);
	put(o, path->b, path->n);
	if (nextra)
		put(o, extra, nextra);
}

/* A load option whose path is HD(GPT) + the file path + end. */
static void disk_option(struct bytes *o, const char *desc, const char *loader)
{
	struct bytes p = { .n = 0 };

	hd_gpt(&p, 1, 2048, 204800, PART_GUID);
	file_node(&p, loader);
	end_node(&p);
	option(o, SC_EFI_LOAD_OPTION_ACTIVE, desc, &p, NULL, 0);
}

static void parse(const struct bytes *o, struct sc_efi_entry *e)
{
	assert_int_equal(sc_efi_parse_load_option(o->b, o->n, e), SC_OK);
	assert_non_null(e->description);
	assert_non_null(e->loader);
	assert_non_null(e->path_text);
}

static void windows_expected(void **state)
{
	static const char opt[] = "WINDOWS\0\x01\0\0\0";
	struct bytes p = { .n = 0 }, o;
	struct sc_efi_entry e;

	(void)state;
	hd_gpt(&p, 1, 2048, 204800, PART_GUID);
	file_node(&p, "\\EFI\\Microsoft\\Boot\\bootmgfw.efi");
	end_node(&p);
	option(&o, SC_EFI_LOAD_OPTION_ACTIVE, "Windows Boot Manager", &p, opt,
	       sizeof(opt) - 1);
	parse(&o, &e);
	assert_int_equal(e.verdict, SC_EFI_EXPECTED);
	assert_string_equal(sc_efi_verdict_name(e.verdict), "expected");
	assert_string_equal(e.reason, "");
	assert_string_equal(e.problem, "");
	assert_string_equal(e.description, "Windows Boot Manager");
	assert_string_equal(e.loader, "\\EFI\\Microsoft\\Boot\\bootmgfw.efi");
	assert_string_equal(e.path_text,
			    "HD(1,GPT," PART_GUID
			    ")/\\EFI\\Microsoft\\Boot\\bootmgfw.efi");
	assert_true(e.active);
	assert_false(e.hidden);
	assert_false(e.app);
	assert_int_equal(e.optional_len, sizeof(opt) - 1);
	assert_true(e.partition.present);
	assert_int_equal(e.partition.number, 1);
	assert_int_equal(e.partition.start, 2048);
	assert_int_equal(e.partition.size, 204800);
	assert_int_equal(e.partition.sig_type, SC_EFI_SIG_GPT);
	assert_string_equal(e.partition.guid, PART_GUID);
	sc_efi_entry_clear(&e);
	assert_null(e.description);
}

static void fallback_expected(void **state)
{
	struct bytes p = { .n = 0 }, o;
	struct sc_efi_entry e;

	(void)state;
	hd_mbr(&p, 2, 0x1a2b3c4d);
	file_node(&p, "\\EFI\\BOOT\\BOOTX64.EFI");
	end_node(&p);
	option(&o, SC_EFI_LOAD_OPTION_ACTIVE, "UEFI OS", &p, NULL, 0);
	parse(&o, &e);
	assert_int_equal(e.verdict, SC_EFI_EXPECTED);
	assert_int_equal(e.partition.sig_type, SC_EFI_SIG_MBR);
	assert_int_equal(e.partition.mbr_id, 0x1a2b3c4d);
	assert_string_equal(e.partition.guid, "");
	assert_string_equal(e.path_text,
			    "HD(2,MBR,0x1a2b3c4d)/\\EFI\\BOOT\\BOOTX64.EFI");
	sc_efi_entry_clear(&e);

	/* Either slash, any case, "." components: still the same place. */
	disk_option(&o, "x", "/efi/boot/./bootx64.efi");
	parse(&o, &e);
	assert_int_equal(e.verdict, SC_EFI_EXPECTED);
	sc_efi_entry_clear(&e);
	disk_option(&o, "x", "EFI/microsoft/BOOT\\sub\\x.efi");
	parse(&o, &e);
	assert_int_equal(e.verdict, SC_EFI_EXPECTED);
	sc_efi_entry_clear(&e);
}

static void outside_loaders_review(void **state)
{
	static const char *const paths[] = {
		"\\EFI\\debian\\shimx64.efi",
		"\\EFI\\evil\\x.efi",
		"\\Windows\\x.efi",
		"\\x.efi",
		"\\EFI\\BOOT",                      /* the directory itself */
		"\\EFI\\BOOTX\\a.efi",              /* a prefix, not the dir */
		"\\EFI\\Microsoft\\x.efi",
		"\\EFI\\BOOT\\..\\evil\\x.efi",     /* climbs out */
		"\\EFI\\Microsoft\\Boot\\..\\..\\evil.efi",
	};
	struct bytes o;

	(void)state;
	for (size_t i = 0; i < sizeof(paths) / sizeof(*paths); i++) {
		struct sc_efi_entry e;

		disk_option(&o, "debian", paths[i]);
		parse(&o, &e);
		if (e.verdict != SC_EFI_REVIEW)
			fail_msg("%s: %s", paths[i],
				 sc_efi_verdict_name(e.verdict));
		assert_non_null(strstr(e.reason, "outside \\EFI\\Microsoft"
						 "\\Boot and \\EFI\\BOOT"));
		assert_string_equal(e.problem, "");
		assert_string_equal(e.loader, paths[i]);
		sc_efi_entry_clear(&e);
	}
}

static void firmware_entries(void **state)
{
	struct bytes p = { .n = 0 }, o;
	struct sc_efi_entry e;

	(void)state;
	guid_node(&p, 4, 7, "7cb8bdc9-f8eb-4f34-aaea-3ee4af6516a1");
	guid_node(&p, 4, 6, "7c04a583-9e3e-4f1c-ad65-e05268d0b4d1");
	end_node(&p);
	option(&o, 0x109, "EFI Internal Shell", &p, NULL, 0);
	parse(&o, &e);
	assert_int_equal(e.verdict, SC_EFI_FIRMWARE);
	assert_string_equal(sc_efi_verdict_name(e.verdict), "firmware");
	assert_string_equal(e.loader, "");
	assert_string_equal(e.reason, "");
	assert_true(e.active);
	assert_true(e.hidden);
	assert_true(e.app);
	assert_false(e.partition.present);
	assert_string_equal(e.path_text,
			    "Fv(7cb8bdc9-f8eb-4f34-aaea-3ee4af6516a1)/"
			    "FvFile(7c04a583-9e3e-4f1c-ad65-e05268d0b4d1)");
	sc_efi_entry_clear(&e);

	/* Network boot: PciRoot/Pci/MAC/URI, no file. */
	p.n = 0;
	u8(&p, 2);
	u8(&p, 1);
	u16(&p, 12);
	u32(&p, 0x0a0341d0);
	u32(&p, 0);
	u8(&p, 1);
	u8(&p, 1);
	u16(&p, 6);
	u8(&p, 0);
	u8(&p, 3);
	u8(&p, 3);
	u8(&p, 11);
	u16(&p, 37);
	put(&p, "\x52\x54\x00\x12\x34\x56", 6);
	for (int i = 0; i < 26; i++)
		u8(&p, 0);
	u8(&p, 1);
	u8(&p, 3);
	u8(&p, 24);
	u16(&p, 4 + 11);
	put(&p, "http://x/\x01y", 11);
	u8(&p, 0x99); /* unknown node */
	u8(&p, 7);
	u16(&p, 5);
	u8(&p, 0);
	end_node(&p);
	option(&o, 1, "UEFI HTTP", &p, NULL, 0);
	parse(&o, &e);
	assert_int_equal(e.verdict, SC_EFI_FIRMWARE);
	assert_string_equal(e.path_text,
			    "PciRoot(0x0)/Pci(0x3,0x0)/MAC(525400123456,0x1)/"
			    "URI(http://x/\xef\xbf\xbdy)/Node(153,7)");
	sc_efi_entry_clear(&e);
}

static void split_file_nodes(void **state)
{
	struct bytes p = { .n = 0 }, o;
	struct sc_efi_entry e;

	(void)state;
	hd_gpt(&p, 1, 2048, 204800, PART_GUID);
	file_node(&p, "\\EFI");
	file_node(&p, "BOOT");
	file_node(&p, "\\grubx64.efi");
	u8(&p, 0x7f); /* end of instance */
	u8(&p, 0x01);
	u16(&p, 4);
	file_node(&p, "\\initrd");
	end_node(&p);
	option(&o, 1, "split", &p, NULL, 0);
	parse(&o, &e);
	assert_string_equal(e.loader, "\\EFI\\BOOT\\grubx64.efi");
	assert_string_equal(e.path_text, "HD(1,GPT," PART_GUID
					 ")/\\EFI\\BOOT\\grubx64.efi,\\initrd");
	assert_int_equal(e.verdict, SC_EFI_EXPECTED);
	sc_efi_entry_clear(&e);
}

static void utf16_description(void **state)
{
	static const uint16_t units[] = {
		'C', 'a', 'f', 0xe9, ' ',   /* é */
		0xd83d, 0xde00,             /* U+1F600 as a pair */
		0xd800, 'x',                /* high surrogate, no low */
		0xdc00,                     /* lone low surrogate */
		0x07,                       /* control character */
		0x4e2d, 0,                  /* 中, NUL */
	};
	struct bytes p = { .n = 0 }, o = { .n = 0 };
	struct sc_efi_entry e;

	(void)state;
	end_node(&p);
	u32(&o, 1);
	u16(&o, (unsigned)p.n);
	for (size_t i = 0; i < sizeof(units) / sizeof(*units); i++)
		u16(&o, units[i]);
	put(&o, p.b, p.n);
	parse(&o, &e);
	assert_string_equal(e.description, "Caf\xc3\xa9 \xf0\x9f\x98\x80"
					   "\xef\xbf\xbdx\xef\xbf\xbd"
					   "\xef\xbf\xbd\xe4\xb8\xad");
	assert_int_equal(e.verdict, SC_EFI_FIRMWARE);
	sc_efi_entry_clear(&e);
}

/* Parses o and checks it is "review" with a problem containing want. */
static void expect_problem(const struct bytes *o, const char *want)
{
	struct sc_efi_entry e;

	parse(o, &e);
	if (!strstr(e.problem, want))
		fail_msg("problem '%s' lacks '%s'", e.problem, want);
	assert_int_equal(e.verdict, SC_EFI_REVIEW);
	assert_non_null(strstr(e.reason, "malformed"));
	sc_efi_entry_clear(&e);
}

static void hostile_lengths(void **state)
{
	struct bytes o, p;
	size_t hdr;

	(void)state;
	/* FilePathListLength past the end of the variable. */
	disk_option(&o, "x", "\\EFI\\BOOT\\BOOTX64.EFI");
	o.b[4] = 0xff;
	o.b[5] = 0x7f;
	expect_problem(&o, "runs past the end of the variable");

	/* Node lengths 0 and 3 stop the walk; past the end too. */
	hdr = 6 + 2 * 2; /* attributes, length, "x" NUL */
	disk_option(&o, "x", "\\EFI\\BOOT\\BOOTX64.EFI");
	o.b[hdr + 2] = 0;
	o.b[hdr + 3] = 0;
	expect_problem(&o, "has length 0");
	o.b[hdr + 2] = 3;
	expect_problem(&o, "has length 3");
	o.b[hdr + 2] = 0xf0;
	expect_problem(&o, "runs past the end of the path list");

	/* No end node. */
	p.n = 0;
	file_node(&p, "\\EFI\\BOOT\\BOOTX64.EFI");
	option(&o, 1, "x", &p, NULL, 0);
	expect_problem(&o, "no end node");

	/* Three stray bytes after the last node. */
	p.n = 0;
	end_node(&p);
	u8(&p, 1);
	u8(&p, 1);
	u8(&p, 1);
	option(&o, 1, "x", &p, NULL, 0);
	expect_problem(&o, "3 bytes after the end of the device path");

	/* A list too short for one node header. */
	p.n = 0;
	u8(&p, 4);
	u8(&p, 4);
	u8(&p, 4);
	option(&o, 1, "x", &p, NULL, 0);
	expect_problem(&o, "truncated");

	/* An empty path list. */
	p.n = 0;
	option(&o, 1, "x", &p, NULL, 0);
	expect_problem(&o, "empty device path");

	/* A hard drive node too short for its fields. */
	p.n = 0;
	u8(&p, 4);
	u8(&p, 1);
	u16(&p, 20);
	for (int i = 0; i < 16; i++)
		u8(&p, 0);
	end_node(&p);
	option(&o, 1, "x", &p, NULL, 0);
	expect_problem(&o, "too short");

	/* Odd-length description without its NUL. */
	o.n = 0;
	u32(&o, 1);
	u16(&o, 4);
	put(&o, "a\0b\0c", 5);
	expect_problem(&o, "not NUL-terminated");
	{
		struct sc_efi_entry e;

		parse(&o, &e);
		/* "c" is half a UTF-16 unit. */
		assert_string_equal(e.description, "ab");
		sc_efi_entry_clear(&e);
	}

	/* Shorter than the header; empty. */
	o.n = 0;
	u32(&o, 1);
	u8(&o, 0);
	expect_problem(&o, "shorter than its 6-byte header");
	o.n = 0;
	expect_problem(&o, "shorter than its 6-byte header");
}

static void every_truncation(void **state)
{
	struct bytes o;

	(void)state;
	disk_option(&o, "Windows Boot Manager",
		    "\\EFI\\Microsoft\\Boot\\bootmgfw.efi");
	for (size_t n = 0; n < o.n; n++) {
		unsigned char *copy = malloc(n ? n : 1);
		struct sc_efi_entry e;

		assert_non_null(copy);
		memcpy(copy, o.b, n);
		assert_int_equal(sc_efi_parse_load_option(copy, n, &e), SC_OK);
		assert_int_equal(e.verdict, SC_EFI_REVIEW);
		assert_string_not_equal(e.problem, "");
		sc_efi_entry_clear(&e);
		free(copy);
	}
}

static void bad_arguments(void **state)
{
	struct sc_efi_entry e;

	(void)state;
	assert_int_equal(sc_efi_parse_load_option(NULL, 4, &e), SC_EINVAL);
	assert_int_equal(sc_efi_parse_load_option((const unsigned char *)"",
						  0, NULL),
			 SC_EINVAL);
	assert_int_equal(sc_efi_read("/x", NULL), SC_EINVAL);
	sc_efi_entry_clear(NULL);
	sc_efi_free(NULL);
	assert_string_equal(sc_efi_verdict_name((enum sc_efi_verdict)42),
			    "unknown");
}

/* Writes NAME-<guid> with the attribute word 7 (NV, BS, RT) and data. */
static void var(const char *dir, const char *name, const void *data,
		size_t n)
{
	struct bytes o = { .n = 0 };
	char fname[128];

	snprintf(fname, sizeof(fname), "%s%s", name, GUID_SUFFIX);
	u32(&o, 7);
	put(&o, data, n);
	assert_int_equal(unit_write(dir, fname, o.b, o.n), 0);
}

static void var_u16s(const char *dir, const char *name, const uint16_t *v,
		     size_t n)
{
	struct bytes o = { .n = 0 };

	for (size_t i = 0; i < n; i++)
		u16(&o, v[i]);
	var(dir, name, o.b, o.n);
}

static struct sc_efi_entry *find(struct sc_efi *efi, const char *name)
{
	for (size_t i = 0; i < efi->nentries; i++)
		if (!strcmp(efi->entries[i].name, name))
			return &efi->entries[i];
	return NULL;
}

static int has_problem(const struct sc_efi *efi, const char *want)
{
	for (size_t i = 0; i < efi->nproblems; i++)
		if (strstr(efi->problems[i], want))
			return 1;
	return 0;
}

/* A store like a dual-boot machine, with the odd files a store can hold. */
static char *make_store(void)
{
	static const uint16_t order[] = { 0x0001, 0x0003, 0x0002, 0x000a };
	char *dir = unit_mkdtemp();
	struct bytes o, p = { .n = 0 };

	assert_non_null(dir);
	var_u16s(dir, "BootOrder", order, 4);
	var_u16s(dir, "BootCurrent", (const uint16_t[]){ 1 }, 1);
	var_u16s(dir, "BootNext", (const uint16_t[]){ 3 }, 1);
	var_u16s(dir, "Timeout", (const uint16_t[]){ 5 }, 1);
	disk_option(&o, "Windows Boot Manager",
		    "\\EFI\\Microsoft\\Boot\\bootmgfw.efi");
	var(dir, "Boot0001", o.b, o.n);
	disk_option(&o, "UEFI OS", "\\EFI\\BOOT\\BOOTX64.EFI");
	var(dir, "Boot0002", o.b, o.n);
	disk_option(&o, "debian", "\\EFI\\debian\\shimx64.efi");
	var(dir, "Boot0003", o.b, o.n);
	guid_node(&p, 4, 6, "7c04a583-9e3e-4f1c-ad65-e05268d0b4d1");
	end_node(&p);
	option(&o, 0x109, "EFI Internal Shell", &p, NULL, 0);
	var(dir, "Boot0004", o.b, o.n);
	/* Truncated: only two bytes, not even the attribute word. */
	assert_int_equal(unit_write(dir, "Boot0005" GUID_SUFFIX, "\7\0", 2),
			 0);
	/* Not entries: bad hex, lower case, another GUID, other names. */
	disk_option(&o, "evil", "\\EFI\\evil\\x.efi");
	var(dir, "BootXXXX", o.b, o.n);
	var(dir, "Boot000b", o.b, o.n);
	var(dir, "Boot00012", o.b, o.n);
	var(dir, "Boot0007-", o.b, o.n);
	assert_int_equal(
		unit_write(dir, "Boot0006-11111111-2222-3333-4444-555555555555",
			   o.b, o.n),
		0);
	assert_int_equal(unit_mkdir(dir, "Boot0008" GUID_SUFFIX "x"), 0);
	return dir;
}

static void read_store(void **state)
{
	char *dir = make_store();
	struct sc_efi *efi;
	struct sc_efi_entry *e;

	(void)state;
	assert_int_equal(sc_efi_read(dir, &efi), SC_OK);
	assert_int_equal(efi->norder, 4);
	assert_int_equal(efi->boot_order[0], 1);
	assert_int_equal(efi->boot_order[3], 0xa);
	assert_true(efi->has_boot_current);
	assert_int_equal(efi->boot_current, 1);
	assert_true(efi->has_boot_next);
	assert_int_equal(efi->boot_next, 3);
	/* 0001..0005 and the missing 000A, sorted by id. */
	assert_int_equal(efi->nentries, 6);
	for (size_t i = 1; i < efi->nentries; i++)
		assert_true(efi->entries[i - 1].id < efi->entries[i].id);

	e = find(efi, "Boot0001");
	assert_non_null(e);
	assert_int_equal(e->id, 1);
	assert_true(e->exists);
	assert_true(e->in_boot_order);
	assert_int_equal(e->verdict, SC_EFI_EXPECTED);
	assert_string_equal(e->description, "Windows Boot Manager");

	e = find(efi, "Boot0002");
	assert_int_equal(e->verdict, SC_EFI_EXPECTED);

	e = find(efi, "Boot0003");
	assert_int_equal(e->verdict, SC_EFI_REVIEW);
	assert_non_null(strstr(e->reason, "outside"));
	assert_non_null(strstr(e->reason, "BootNext"));

	e = find(efi, "Boot0004");
	assert_int_equal(e->verdict, SC_EFI_FIRMWARE);
	assert_false(e->in_boot_order);

	e = find(efi, "Boot0005");
	assert_non_null(e);
	assert_true(e->exists);
	assert_int_equal(e->verdict, SC_EFI_REVIEW);
	assert_true(has_problem(efi, "Boot0005 is shorter than its 4-byte"));

	e = find(efi, "Boot000A");
	assert_non_null(e);
	assert_false(e->exists);
	assert_true(e->in_boot_order);
	assert_int_equal(e->verdict, SC_EFI_REVIEW);
	assert_non_null(strstr(e->reason, "no such variable"));
	assert_string_equal(e->description, "");
	assert_string_equal(e->loader, "");
	assert_true(has_problem(efi, "Boot000A is listed in BootOrder but "
				     "does not exist"));

	assert_null(find(efi, "Boot000B"));
	assert_null(find(efi, "Boot0006"));
	assert_null(find(efi, "Boot0007"));
	assert_null(find(efi, "Boot0008"));
	sc_efi_free(efi);
	unit_rmtree(dir);
	free(dir);
}

static void bad_store_variables(void **state)
{
	char *dir = unit_mkdtemp();
	struct sc_efi *efi;
	struct bytes o;

	(void)state;
	assert_non_null(dir);
	/* Odd BootOrder, BootNext of the wrong size, a missing BootNext. */
	assert_int_equal(unit_write(dir, "BootOrder" GUID_SUFFIX,
				    "\7\0\0\0\1\0\2", 7),
			 0);
	var(dir, "BootCurrent", "\1\0\0", 3);
	var_u16s(dir, "BootNext", (const uint16_t[]){ 0x1234 }, 1);
	disk_option(&o, "UEFI OS", "\\EFI\\BOOT\\BOOTX64.EFI");
	var(dir, "Boot0001", o.b, o.n);
	disk_option(&o, "x", "\\EFI\\BOOT\\BOOTX64.EFI");
	o.b[12] = 0; /* length of the hard drive node: 0 */
	o.b[13] = 0;
	var(dir, "Boot00FF", o.b, o.n);
	assert_int_equal(sc_efi_read(dir, &efi), SC_OK);
	assert_int_equal(efi->norder, 1);
	assert_false(efi->has_boot_current);
	assert_true(efi->has_boot_next);
	assert_true(has_problem(efi, "BootOrder has an odd length"));
	assert_true(has_problem(efi, "BootCurrent holds 3 bytes"));
	assert_true(has_problem(efi, "Boot1234 is listed in BootNext"));
	assert_true(has_problem(efi, "Boot00FF: device path node at byte 0 "
				     "has length 0"));
	assert_int_equal(find(efi, "Boot0001")->verdict, SC_EFI_EXPECTED);
	assert_int_equal(find(efi, "Boot00FF")->verdict, SC_EFI_REVIEW);
	assert_int_equal(find(efi, "Boot1234")->verdict, SC_EFI_REVIEW);
	assert_non_null(strstr(find(efi, "Boot1234")->reason, "BootNext"));
	sc_efi_free(efi);
	unit_rmtree(dir);
	free(dir);
}

static void problems_capped(void **state)
{
	char *dir = unit_mkdtemp();
	struct sc_efi *efi;

	(void)state;
	assert_non_null(dir);
	for (unsigned i = 0; i < 100; i++) {
		char name[16];

		snprintf(name, sizeof(name), "Boot%04X", i);
		var(dir, name, "\1\0", 2); /* shorter than the header */
	}
	assert_int_equal(sc_efi_read(dir, &efi), SC_OK);
	assert_int_equal(efi->nentries, 100);
	assert_int_equal(efi->nproblems, SC_EFI_MAX_PROBLEMS);
	assert_string_equal(efi->problems[SC_EFI_MAX_PROBLEMS - 1],
			    "37 more problems not listed");
	sc_efi_free(efi);
	unit_rmtree(dir);
	free(dir);
}

static void empty_and_missing_dir(void **state)
{
	char *dir = unit_mkdtemp();
	char *gone;
	struct sc_efi *efi = (struct sc_efi *)1;

	(void)state;
	assert_non_null(dir);
	assert_int_equal(sc_efi_read(dir, &efi), SC_OK);
	assert_int_equal(efi->nentries, 0);
	assert_int_equal(efi->norder, 0);
	assert_false(efi->has_boot_current);
	assert_int_equal(efi->nproblems, 0);
	sc_efi_free(efi);

	gone = unit_join(dir, "nope");
	errno = 0;
	assert_int_equal(sc_efi_read(gone, &efi), SC_EOPEN);
	assert_int_equal(errno, ENOENT);
	assert_null(efi);
	free(gone);
	unit_rmtree(dir);
	free(dir);
}

static const char *jstr(json_t *o, const char *key)
{
	json_t *v = json_object_get(o, key);

	assert_non_null(v);
	assert_true(json_is_string(v));
	return json_string_value(v);
}

static json_t *jentry(json_t *root, const char *name)
{
	json_t *entries = json_object_get(root, "entries"), *e;
	size_t i;

	json_array_foreach(entries, i, e)
		if (!strcmp(jstr(e, "name"), name))
			return e;
	fail_msg("no entry %s", name);
	return NULL;
}

static void json_round_trip(void **state)
{
	char *dir = make_store();
	struct sc_efi *efi;
	json_error_t jerr;
	json_t *root, *e, *part, *order;
	FILE *f = tmpfile();

	(void)state;
	assert_non_null(f);
	assert_int_equal(sc_efi_read(dir, &efi), SC_OK);
	assert_int_equal(sc_efi_write_json(efi, f), SC_OK);
	rewind(f);
	root = json_loadf(f, 0, &jerr);
	if (!root)
		fail_msg("not JSON: %s (line %d)", jerr.text, jerr.line);
	fclose(f);

	order = json_object_get(root, "boot_order");
	assert_int_equal(json_array_size(order), 4);
	assert_string_equal(json_string_value(json_array_get(order, 0)),
			    "Boot0001");
	assert_string_equal(json_string_value(json_array_get(order, 3)),
			    "Boot000A");
	assert_string_equal(jstr(root, "boot_current"), "Boot0001");
	assert_string_equal(jstr(root, "boot_next"), "Boot0003");
	assert_int_equal(json_array_size(json_object_get(root, "entries")),
			 efi->nentries);
	assert_int_equal(json_array_size(json_object_get(root, "problems")),
			 efi->nproblems);

	e = jentry(root, "Boot0001");
	assert_string_equal(jstr(e, "description"), "Windows Boot Manager");
	assert_string_equal(jstr(e, "loader"),
			    "\\EFI\\Microsoft\\Boot\\bootmgfw.efi");
	assert_string_equal(jstr(e, "verdict"), "expected");
	assert_true(json_is_null(json_object_get(e, "reason")));
	assert_true(json_is_true(json_object_get(e, "active")));
	assert_true(json_is_false(json_object_get(e, "hidden")));
	assert_true(json_is_true(json_object_get(e, "in_boot_order")));
	assert_non_null(strstr(jstr(e, "path"), "HD(1,GPT," PART_GUID ")"));
	part = json_object_get(e, "partition");
	assert_true(json_is_object(part));
	assert_int_equal(json_integer_value(json_object_get(part, "number")),
			 1);
	assert_int_equal(json_integer_value(json_object_get(part, "start")),
			 2048);
	assert_int_equal(json_integer_value(json_object_get(part, "size")),
			 204800);
	assert_string_equal(jstr(part, "signature_type"), "gpt");
	assert_string_equal(jstr(part, "guid"), PART_GUID);
	assert_true(json_is_null(json_object_get(part, "mbr_id")));

	e = jentry(root, "Boot0003");
	assert_string_equal(jstr(e, "verdict"), "review");
	assert_non_null(strstr(jstr(e, "reason"), "outside"));

	e = jentry(root, "Boot0004");
	assert_string_equal(jstr(e, "verdict"), "firmware");
	assert_true(json_is_null(json_object_get(e, "partition")));
	assert_string_equal(jstr(e, "loader"), "");
	assert_true(json_is_false(json_object_get(e, "in_boot_order")));

	e = jentry(root, "Boot000A");
	assert_true(json_is_false(json_object_get(e, "exists")));
	assert_string_equal(jstr(e, "verdict"), "review");
	json_decref(root);

	/* The tree the report module embeds, with no next/current. */
	efi->has_boot_next = 0;
	efi->has_boot_current = 0;
	efi->entries[0].partition.start = UINT64_MAX; /* past json_int_t */
	root = sc_efi_json(efi);
	assert_non_null(root);
	assert_true(json_is_null(json_object_get(root, "boot_next")));
	assert_true(json_is_null(json_object_get(root, "boot_current")));
	part = json_object_get(jentry(root, "Boot0001"), "partition");
	assert_true(json_is_null(json_object_get(part, "start")));
	json_decref(root);
	assert_int_equal(sc_efi_write_json(NULL, stdout), SC_EINVAL);

	sc_efi_free(efi);
	unit_rmtree(dir);
	free(dir);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(windows_expected),
		cmocka_unit_test(fallback_expected),
		cmocka_unit_test(outside_loaders_review),
		cmocka_unit_test(firmware_entries),
		cmocka_unit_test(split_file_nodes),
		cmocka_unit_test(utf16_description),
		cmocka_unit_test(hostile_lengths),
		cmocka_unit_test(every_truncation),
		cmocka_unit_test(bad_arguments),
		cmocka_unit_test(read_store),
		cmocka_unit_test(bad_store_variables),
		cmocka_unit_test(problems_capped),
		cmocka_unit_test(empty_and_missing_dir),
		cmocka_unit_test(json_round_trip),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
