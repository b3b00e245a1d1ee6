/*
 * PE facts through libyara's pe module; see sc/peinfo.h.
 *
 * The module's results are a tree of YR_OBJECTs that lives only during the
 * scan, so everything is copied out in the CALLBACK_MSG_MODULE_IMPORTED
 * callback. libyara.so keeps its yr_object_* accessors private (they are
 * not YR_API), so the tree is walked here through the structures that
 * yara/types.h defines.
 */
#include <stdlib.h>
#include <string.h>
#include <yara.h>

#include "internal.h"
#include "sc/error.h"
#include "sc/peinfo.h"

#define RULE "import \"pe\" rule peinfo { condition: false }"

/* Seconds; the pe module does bounded work, this only caps a pathology. */
#define SCAN_TIMEOUT 30

#define PE32PLUS_MAGIC 0x20b
#define FILE_DLL 0x2000

struct collect {
	struct sc_pe_info *out;
	int seen; /* the pe module reported */
	int nomem;
};

static YR_OBJECT *member(YR_OBJECT *o, const char *name)
{
	YR_STRUCTURE_MEMBER *m;

	if (!o || o->type != OBJECT_TYPE_STRUCTURE)
		return NULL;
	for (m = object_as_structure(o)->members; m; m = m->next)
		if (m->object && m->object->identifier &&
		    !strcmp(m->object->identifier, name))
			return m->object;
	return NULL;
}

static YR_OBJECT *item(YR_OBJECT *array, int64_t i)
{
	YR_ARRAY_ITEMS *items;

	if (!array || array->type != OBJECT_TYPE_ARRAY || i < 0)
		return NULL;
	items = object_as_array(array)->items;
	if (!items || i >= items->length)
		return NULL;
	return items->objects[i];
}

static int64_t integer(YR_OBJECT *o, int64_t dflt)
{
	if (!o || o->type != OBJECT_TYPE_INTEGER || IS_UNDEFINED(o->value.i))
		return dflt;
	return o->value.i;
}

/*
 * A malloc'd copy of a string object (up to its first NUL), NULL when the
 * object is missing or undefined; c->nomem is set if the copy failed.
 */
static char *string(struct collect *c, YR_OBJECT *o)
{
	SIZED_STRING *ss;
	char *s;

	if (!o || o->type != OBJECT_TYPE_STRING || !o->value.ss)
		return NULL;
	ss = o->value.ss;
	s = sc_xstrndup(ss->c_string, strnlen(ss->c_string, ss->length));
	if (!s)
		c->nomem = 1;
	return s;
}

static void copy_versions(struct collect *c, YR_OBJECT *pe)
{
	YR_OBJECT *list = member(pe, "version_info_list");
	struct sc_pe_info *out = c->out;
	int64_t n = 0;

	if (list && list->type == OBJECT_TYPE_ARRAY &&
	    object_as_array(list)->items)
		n = object_as_array(list)->items->length;
	if (n <= 0)
		return;
	out->version = calloc((size_t)n, sizeof(*out->version));
	if (!out->version) {
		c->nomem = 1;
		return;
	}
	for (int64_t i = 0; i < n; i++) {
		YR_OBJECT *e = item(list, i);
		char *key = string(c, member(e, "key"));
		char *value = string(c, member(e, "value"));

		if (!key || !value) {
			free(key);
			free(value);
			continue;
		}
		out->version[out->nversion].key = key;
		out->version[out->nversion].value = value;
		out->nversion++;
	}
}

static void copy_pe(struct collect *c, YR_OBJECT *pe)
{
	struct sc_pe_info *out = c->out;
	int64_t nsig;

	if (integer(member(pe, "is_pe"), 0) != 1)
		return;
	out->is_pe = 1;
	out->machine = (unsigned)integer(member(pe, "machine"), 0);
	out->characteristics =
		(unsigned)integer(member(pe, "characteristics"), 0);
	out->subsystem = (unsigned)integer(member(pe, "subsystem"), 0);
	out->timestamp = integer(member(pe, "timestamp"), 0);
	out->is_64bit =
		integer(member(pe, "opthdr_magic"), 0) == PE32PLUS_MAGIC;
	out->is_dll = (out->characteristics & FILE_DLL) != 0;
	nsig = integer(member(pe, "number_of_signatures"), 0);
	out->nsignatures = nsig > 0 ? (unsigned)nsig : 0;
	if (nsig > 0) {
		YR_OBJECT *first = item(member(pe, "signatures"), 0);

		out->signer = string(c, member(first, "subject"));
	}
	out->pdb_path = string(c, member(pe, "pdb_path"));
	copy_versions(c, pe);
}

static int on_scan(YR_SCAN_CONTEXT *ctx, int message, void *data, void *ud)
{
	struct collect *c = ud;
	YR_OBJECT *o = data;

	(void)ctx;
	if (message == CALLBACK_MSG_MODULE_IMPORTED && o && o->identifier &&
	    !strcmp(o->identifier, "pe") && !c->seen) {
		c->seen = 1;
		copy_pe(c, o);
	}
	return CALLBACK_CONTINUE;
}

static int compile(YR_RULES **rules)
{
	YR_COMPILER *comp;
	int err = SC_OK;

	if (yr_compiler_create(&comp) != ERROR_SUCCESS)
		return SC_ENOMEM;
	if (yr_compiler_add_string(comp, RULE, NULL) != 0 ||
	    yr_compiler_get_rules(comp, rules) != ERROR_SUCCESS)
		err = SC_EYARA;
	yr_compiler_destroy(comp);
	return err;
}

int sc_pe_info_read(const void *data, size_t len, struct sc_pe_info *out)
{
	static const unsigned char empty[1];
	struct collect c = { out, 0, 0 };
	YR_RULES *rules = NULL;
	int err, rc;

	if (!out)
		return SC_EINVAL;
	memset(out, 0, sizeof(*out));
	if (!data && len)
		return SC_EINVAL;
	if (yr_initialize() != ERROR_SUCCESS)
		return SC_EYARA;
	err = compile(&rules);
	if (!err) {
		rc = yr_rules_scan_mem(rules, len ? data : empty, len, 0,
				       on_scan, &c, SCAN_TIMEOUT);
		if (rc == ERROR_INSUFFICIENT_MEMORY || c.nomem)
			err = SC_ENOMEM;
		else if (rc != ERROR_SUCCESS)
			err = SC_EYARA;
		yr_rules_destroy(rules);
	}
	yr_finalize();
	if (err)
		sc_pe_info_free(out);
	return err;
}

const char *sc_pe_info_get(const struct sc_pe_info *info, const char *key)
{
	if (!info || !key)
		return NULL;
	for (size_t i = 0; i < info->nversion; i++)
		if (!strcmp(info->version[i].key, key))
			return info->version[i].value;
	return NULL;
}

void sc_pe_info_free(struct sc_pe_info *info)
{
	if (!info)
		return;
	for (size_t i = 0; i < info->nversion; i++) {
		free(info->version[i].key);
		free(info->version[i].value);
	}
	free(info->version);
	free(info->signer);
	free(info->pdb_path);
	memset(info, 0, sizeof(*info));
}
