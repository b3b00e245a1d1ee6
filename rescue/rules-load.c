/*
 * Loading rules for scans and rescans: the built-in definitions, signed
 * bundles (--defs and the definitions store) and, for development,
 * unsigned YARA sources (--rules with --unsigned-rules).
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "rescue.h"
#include "sc.h"

void list_add(struct list *l, const char *s)
{
	const char **p = realloc(l->v, (l->n + 1) * sizeof(*p));

	if (!p)
		die("out of memory");
	l->v = p;
	l->v[l->n++] = s;
}

/* Adds each non-empty line of a file to l (malloc'd copies). */
void list_read_lines(const char *path, struct list *l)
{
	FILE *f = fopen(path, "r");
	char line[1024];

	if (!f)
		die("cannot open '%s': %s", path, strerror(errno));
	while (fgets(line, sizeof(line), f)) {
		size_t n = strlen(line);
		char *copy;

		while (n && (line[n - 1] == '\n' || line[n - 1] == '\r'))
			line[--n] = '\0';
		if (!n)
			continue;
		copy = malloc(n + 1);
		if (!copy)
			die("out of memory");
		memcpy(copy, line, n + 1);
		list_add(l, copy);
	}
	fclose(f);
}

static void on_diag(const struct sc_diag *d, void *ctx)
{
	(void)ctx;
	if (d->level == SC_DIAG_ERROR)
		error("%s:%d: %s", d->file, d->line, d->message);
	else
		warning("%s:%d: %s", d->file, d->line, d->message);
}

/*
 * Definitions candidates: the bundles named with --defs (the image's own,
 * the floor) and, with --store, each enabled set's installed versions from
 * the active one down. Sorted newest first per set, so that the newest
 * bundle that passes its checks is used and a tampered newer one leaves
 * the older one in force.
 */
struct candidate {
	char *path;
	char set[SC_DEFS_SET_MAX + 1]; /* "" when the header does not parse */
	uint64_t version;
};

static struct candidate *cands;
static size_t ncands;

static const char *set_of(const char *path)
{
	for (size_t i = 0; i < ncands; i++)
		if (cands[i].path == path)
			return cands[i].set[0] ? cands[i].set : NULL;
	return NULL;
}

static void add_candidate(const char *path, const char *set, uint64_t v)
{
	struct candidate *c = realloc(cands, (ncands + 1) * sizeof(*c));

	if (!c)
		die("out of memory");
	cands = c;
	c = &cands[ncands++];
	memset(c, 0, sizeof(*c));
	c->path = malloc(strlen(path) + 1);
	if (!c->path)
		die("out of memory");
	strcpy(c->path, path);
	snprintf(c->set, sizeof(c->set), "%s", set ? set : "");
	c->version = v;
}

/* Set and version from a bundle's header; unchecked, only for ordering. */
static void candidate_from_file(const char *path)
{
	struct sc_defs_info info;
	const char *why;

	if (sc_defs_read_header(path, &info, &why) == SC_OK)
		add_candidate(path, info.set, info.version);
	else
		add_candidate(path, NULL, 0); /* refused, with its reason, later */
}

static int cmp_candidate(const void *a, const void *b)
{
	const struct candidate *x = a, *y = b;
	int c = strcmp(x->set, y->set);

	if (c)
		return c;
	return x->version > y->version ? -1 : x->version < y->version;
}

static void free_candidates(void);

/* Fills the candidate list; returns the paths in order in l. */
static void gather_bundles(const struct list *defs, const char *store,
			   struct list *l)
{
	struct sc_defstore_set *sets = NULL;
	size_t nsets = 0;

	free_candidates(); /* a reload starts afresh */

	for (size_t i = 0; i < defs->n; i++)
		candidate_from_file(defs->v[i]);
	if (store) {
		int err = sc_defstore_list(store, trusted_keys,
					   trusted_keys_count, &sets, &nsets);

		if (err && errno != ENOENT)
			warning("cannot read the definitions store '%s': %s",
				store, strerror(errno));
	}
	for (size_t i = 0; i < nsets; i++) {
		const struct sc_defstore_set *st = &sets[i];

		if (st->disabled) {
			/* A disabled set is not loaded from anywhere. */
			for (size_t k = 0; k < ncands; k++)
				if (!strcmp(cands[k].set, st->name))
					cands[k].set[0] = '\1';
			continue;
		}
		for (size_t k = st->nversions; k-- > 0;) {
			char path[4400];

			if (st->versions[k] > st->active)
				continue;
			snprintf(path, sizeof(path), "%s/%s/v%llu.rdefs", store,
				 st->name, (unsigned long long)st->versions[k]);
			add_candidate(path, st->name, st->versions[k]);
		}
	}
	free(sets);
	if (ncands)
		qsort(cands, ncands, sizeof(*cands), cmp_candidate);
	for (size_t i = 0; i < ncands; i++)
		if (cands[i].set[0] != '\1')
			list_add(l, cands[i].path);
}

static void free_candidates(void)
{
	for (size_t i = 0; i < ncands; i++)
		free(cands[i].path);
	free(cands);
	cands = NULL;
	ncands = 0;
}

static int load_rules(const struct list *rules_paths,
		      const struct list *bundles, int builtin,
		      struct sc_rules **out, struct refusal *refused,
		      size_t *nrefused)
{
	struct sc_rules *rules;
	int err;

	err = sc_rules_create(on_diag, NULL, &rules);
	if (err)
		die("cannot set up the rule compiler: %s", sc_strerror(err));
	if (builtin)
		for (size_t i = 0; i < builtin_defs_count; i++) {
			err = sc_rules_add_source(rules, builtin_defs[i].name,
						  "builtin",
						  builtin_defs[i].text);
			if (err)
				error("built-in definitions '%s': %s",
				      builtin_defs[i].name, sc_strerror(err));
		}
	for (size_t i = 0; i < rules_paths->n; i++) {
		err = sc_rules_add_path(rules, rules_paths->v[i]);
		if (err == SC_EOPEN)
			error("cannot read rules '%s': %s", rules_paths->v[i],
			      strerror(errno));
		else if (err == SC_ENOMEM)
			die("out of memory loading rules");
		else if (err && err != SC_ERULES) /* SC_ERULES: already said */
			error("rules '%s' not loaded: %s", rules_paths->v[i],
			      sc_strerror(err));
	}
	char (*loaded)[SC_DEFS_SET_MAX + 1];
	size_t nloaded = 0;

	*nrefused = 0;
	loaded = calloc(bundles->n ? bundles->n : 1, sizeof(*loaded));
	if (!loaded)
		die("out of memory");
	for (size_t i = 0; i < bundles->n; i++) {
		struct sc_defs_info info;
		const char *why = NULL;
		const char *set = set_of(bundles->v[i]);
		int done = 0;

		/* Candidates come newest first per set: the first that
		 * passes wins, the older ones are not needed. */
		for (size_t k = 0; set && k < nloaded; k++)
			done |= !strcmp(loaded[k], set);
		if (done)
			continue;
		err = sc_rules_add_bundle(rules, bundles->v[i], trusted_keys,
					  trusted_keys_count, &info, &why);
		if (err == SC_ENOMEM)
			die("out of memory loading definitions");
		if (!err) {
			snprintf(loaded[nloaded++], sizeof(loaded[0]), "%s",
				 info.set);
			continue;
		}
		if (!why)
			why = err == SC_EOPEN || err == SC_EREAD
				      ? strerror(errno)
				      : sc_strerror(err);
		/* Refused bundles change nothing; the scan goes on without. */
		error("definitions '%s' refused: %s", bundles->v[i], why);
		refused[*nrefused].path = bundles->v[i];
		refused[(*nrefused)++].why = why;
	}
	free(loaded);
	err = sc_rules_compile(rules);
	if (err) {
		sc_rules_destroy(rules);
		return error("no usable rules: %s", sc_strerror(err));
	}
	*out = rules;
	return 0;
}


int rules_load(const struct rules_src *src, struct sc_rules **out,
	       struct refusal **refused, size_t *nrefused)
{
	struct list bundles = { 0 };
	int rc;

	*out = NULL;
	*refused = NULL;
	*nrefused = 0;
	if (src->rules.n && !src->unsigned_ok)
		die("--rules loads unsigned YARA source, a development option: "
		    "add --unsigned-rules, or build a signed bundle with "
		    "'rescue defs build' and use --defs");
	gather_bundles(&src->defs, src->store, &bundles);
	*refused = calloc(bundles.n ? bundles.n : 1, sizeof(**refused));
	if (!*refused)
		die("out of memory");
	rc = load_rules(&src->rules, &bundles, src->builtin, out, *refused,
			nrefused);
	free(bundles.v);
	return rc;
}

void rules_src_free(struct rules_src *src)
{
	free(src->rules.v);
	free(src->defs.v);
	memset(src, 0, sizeof(*src));
	free_candidates();
}

char *rules_describe(const struct sc_rules *rules)
{
	size_t n = sc_rules_set_count(rules), len = 0;
	char *s = NULL;

	for (size_t i = 0; i < n; i++) {
		const struct sc_rules_set *st = sc_rules_set(rules, i);
		char part[128];
		char *ns;

		if (st->version)
			snprintf(part, sizeof(part), "%s%s v%llu", i ? ", " : "",
				 st->name, (unsigned long long)st->version);
		else
			snprintf(part, sizeof(part), "%s%s", i ? ", " : "",
				 st->name);
		ns = realloc(s, len + strlen(part) + 1);
		if (!ns)
			die("out of memory");
		s = ns;
		memcpy(s + len, part, strlen(part) + 1);
		len += strlen(part);
	}
	return s ? s : strdup("none");
}
