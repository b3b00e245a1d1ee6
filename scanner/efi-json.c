/*
 * UEFI boot entries as JSON; see efi-json.h and sc/efi.h. Every string of
 * struct sc_efi is already valid UTF-8 (efi.c converts from UTF-16 with
 * U+FFFD for anything bad), so it goes into jansson as is.
 */
#include <stdint.h>
#include <stdio.h>

#include "efi-json.h"
#include "sc/error.h"

static json_t *boot_name(int has, uint16_t id)
{
	char name[9];

	if (!has)
		return json_null();
	snprintf(name, sizeof(name), "Boot%04X", (unsigned)id);
	return json_string(name);
}

/* JSON integers are signed: a hostile value past INT64_MAX is null. */
static json_t *u64(uint64_t v)
{
	return v <= INT64_MAX ? json_integer((json_int_t)v) : json_null();
}

static json_t *partition(const struct sc_efi_partition *p)
{
	const char *sig = "none";
	char mbr[9];

	if (!p->present)
		return json_null();
	if (p->sig_type == SC_EFI_SIG_GPT)
		sig = "gpt";
	else if (p->sig_type == SC_EFI_SIG_MBR)
		sig = "mbr";
	snprintf(mbr, sizeof(mbr), "%08x", (unsigned)p->mbr_id);
	/* "o" steals the references, also when json_pack fails. */
	return json_pack("{s:I, s:o, s:o, s:s, s:s?, s:s?}", "number",
			 (json_int_t)p->number, "start", u64(p->start),
			 "size", u64(p->size), "signature_type", sig,
			 "guid", p->sig_type == SC_EFI_SIG_GPT ? p->guid : NULL,
			 "mbr_id", p->sig_type == SC_EFI_SIG_MBR ? mbr : NULL);
}

static json_t *entry(const struct sc_efi_entry *e)
{
	json_t *part = partition(&e->partition);

	if (!part)
		return NULL;
	/* "o" steals part, also when json_pack fails. */
	return json_pack("{s:s, s:b, s:s, s:b, s:b, s:b, s:s, s:o, s:s, s:s,"
			 " s:s?, s:s?, s:b}",
			 "name", e->name, "exists", e->exists, "description",
			 e->description ? e->description : "", "active",
			 e->active, "hidden", e->hidden, "app", e->app,
			 "loader", e->loader ? e->loader : "", "partition",
			 part, "path", e->path_text ? e->path_text : "",
			 "verdict", sc_efi_verdict_name(e->verdict), "reason",
			 e->reason[0] ? e->reason : NULL, "problem",
			 e->problem[0] ? e->problem : NULL, "in_boot_order",
			 e->in_boot_order);
}

json_t *sc_efi_json(const struct sc_efi *efi)
{
	json_t *order = json_array(), *entries = json_array();
	json_t *problems = json_array();

	if (!efi || !order || !entries || !problems)
		goto oom;
	for (size_t i = 0; i < efi->norder; i++)
		if (json_array_append_new(order,
					  boot_name(1, efi->boot_order[i])))
			goto oom;
	for (size_t i = 0; i < efi->nentries; i++)
		if (json_array_append_new(entries, entry(&efi->entries[i])))
			goto oom;
	for (size_t i = 0; i < efi->nproblems; i++)
		if (json_array_append_new(problems,
					  json_string(efi->problems[i])))
			goto oom;
	/* "o" steals each reference, also when json_pack fails. */
	return json_pack("{s:o, s:o, s:o, s:o, s:o}", "boot_order", order,
			 "boot_current",
			 boot_name(efi->has_boot_current, efi->boot_current),
			 "boot_next",
			 boot_name(efi->has_boot_next, efi->boot_next),
			 "entries", entries, "problems", problems);
oom:
	json_decref(order);
	json_decref(entries);
	json_decref(problems);
	return NULL;
}

int sc_efi_write_json(const struct sc_efi *efi, FILE *f)
{
	json_t *j;
	int rc;

	if (!efi || !f)
		return SC_EINVAL;
	j = sc_efi_json(efi);
	if (!j)
		return SC_ENOMEM;
	rc = json_dumpf(j, f, JSON_INDENT(2) | JSON_PRESERVE_ORDER);
	json_decref(j);
	if (rc == 0 && (fputc('\n', f) == EOF || fflush(f)))
		rc = -1;
	return rc ? SC_EWRITE : SC_OK;
}
