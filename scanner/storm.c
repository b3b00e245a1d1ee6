/*
 * The FP-storm guard; see sc/storm.h. The tally keeps one record per rule
 * and a set of (rule, item) keys so an item counts once per rule; both are
 * found through one open-addressing hash table of byte strings.
 */
#include <pwd.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "internal.h"
#include "sc/error.h"
#include "sc/report.h"
#include "sc/storm.h"

/*
 * The protected list: Windows system directories and boot loaders. Paths are
 * components separated by '/', compared case-insensitively; a directory
 * protects everything below it, a file only itself. Add entries here.
 */
static const struct protected_path {
	const char *path;
	int dir;
} protected_paths[] = {
	{ "Windows/System32", 1 },
	{ "Windows/System32/drivers", 1 }, /* in System32; listed to be seen */
	{ "Windows/SysWOW64", 1 },
	{ "Windows/WinSxS", 1 },
	{ "Windows/Boot", 1 },
	{ "Windows/explorer.exe", 0 },
	{ "bootmgr", 0 },
	{ "bootmgr.efi", 0 },
	{ "EFI/Microsoft/Boot", 1 },
	{ "EFI/BOOT/BOOTX64.EFI", 0 },
	{ "EFI/BOOT/BOOTIA32.EFI", 0 },
	{ "EFI/BOOT/BOOTAA64.EFI", 0 },
};
#define NPROTECTED (sizeof(protected_paths) / sizeof(*protected_paths))

void sc_storm_opts_init(struct sc_storm_opts *o)
{
	memset(o, 0, sizeof(*o));
	o->threshold = SC_STORM_THRESHOLD_DEFAULT;
}

static int is_sep(char c)
{
	return c == '/' || c == '\\';
}

/*
 * The next component of p[0..n) at or after *pos, skipping separators and
 * "." components; sets *c and *clen and moves *pos past it. 0 at the end.
 */
static int next_comp(const char *p, size_t n, size_t *pos, const char **c,
		     size_t *clen)
{
	size_t i = *pos, start;

	for (;;) {
		while (i < n && is_sep(p[i]))
			i++;
		if (i >= n) {
			*pos = i;
			return 0;
		}
		start = i;
		while (i < n && !is_sep(p[i]))
			i++;
		if (i - start == 1 && p[start] == '.')
			continue;
		*c = p + start;
		*clen = i - start;
		*pos = i;
		return 1;
	}
}

static int lower(int c)
{
	return c >= 'A' && c <= 'Z' ? c - 'A' + 'a' : c;
}

static int comp_eq(const char *a, size_t an, const char *b, size_t bn)
{
	if (an != bn)
		return 0;
	for (size_t i = 0; i < an; i++)
		if (lower((unsigned char)a[i]) != lower((unsigned char)b[i]))
			return 0;
	return 1;
}

/* Whether the components of p from *pos on start with the entry's. */
static int match_at(const char *p, size_t n, size_t pos,
		    const struct protected_path *e)
{
	const char *ep = e->path, *c, *ec;
	size_t en = strlen(ep), epos = 0, clen, eclen;

	while (next_comp(ep, en, &epos, &ec, &eclen))
		if (!next_comp(p, n, &pos, &c, &clen) ||
		    !comp_eq(c, clen, ec, eclen))
			return 0;
	/* A directory needs something below it; a file must end the path. */
	return next_comp(p, n, &pos, &c, &clen) == e->dir;
}

int sc_storm_is_protected(const char *path, size_t n)
{
	size_t pos = 0, start;
	const char *c;
	size_t clen;

	if (!path)
		return 0;
	for (;;) {
		start = pos;
		for (size_t i = 0; i < NPROTECTED; i++)
			if (match_at(path, n, start, &protected_paths[i]))
				return 1;
		if (!next_comp(path, n, &pos, &c, &clen))
			return 0;
	}
}

int sc_storm_over_threshold(const struct sc_storm_opts *o, uint64_t files)
{
	return o->threshold && files > o->threshold;
}

int sc_storm_release_matches(const char *spec, const char *ns,
			     const char *rule)
{
	const char *colon = strrchr(spec, ':');

	if (!colon)
		return strcmp(spec, rule) ? 0 : 1;
	if (strcmp(colon + 1, rule) || strlen(ns) != (size_t)(colon - spec) ||
	    memcmp(spec, ns, (size_t)(colon - spec)))
		return 0;
	return 2;
}

void sc_storm_user(char *buf, size_t n)
{
	uid_t uid = getuid();
	struct passwd *pw = getpwuid(uid);

	if (!n)
		return;
	if (pw && pw->pw_name && *pw->pw_name)
		snprintf(buf, n, "%s", pw->pw_name);
	else
		snprintf(buf, n, "uid %lu", (unsigned long)uid);
}

/* --- the tally ---------------------------------------------------------- */

struct slot {
	char *key; /* NULL: empty */
	size_t len;
	uint64_t hash;
	size_t val;
};

struct table {
	struct slot *slots;
	size_t cap, n; /* cap is a power of two or 0 */
};

struct rule_rec {
	char *ns, *rule;
	uint64_t files;
	char *protected_path; /* display form of the first protected file */
	int held;
	struct sc_storm_hold hold;
	char *reason;
};

struct sc_storm {
	struct rule_rec *rules;
	size_t nrules, arules;
	struct table rule_idx; /* "ns\0rule" -> index in rules */
	struct table items;    /* rule index + path + "\0" + area -> unused */
	size_t *holds;         /* indices of held rules */
	size_t nholds;
	enum sc_storm_release *release;
	size_t nrelease;
	char *released_by;
	char released_at[32];
};

static uint64_t hash_bytes(const void *p, size_t n)
{
	const unsigned char *b = p;
	uint64_t h = 0xcbf29ce484222325u; /* FNV-1a */

	for (size_t i = 0; i < n; i++) {
		h ^= b[i];
		h *= 0x100000001b3u;
	}
	return h;
}

static struct slot *table_find(const struct table *t, const char *key,
			       size_t len, uint64_t h)
{
	size_t i;

	if (!t->cap)
		return NULL;
	for (i = h & (t->cap - 1);; i = (i + 1) & (t->cap - 1)) {
		struct slot *s = &t->slots[i];

		if (!s->key || (s->hash == h && s->len == len &&
				!memcmp(s->key, key, len)))
			return s;
	}
}

static int table_grow(struct table *t)
{
	size_t ncap = t->cap ? t->cap * 2 : 64;
	struct table nt = { calloc(ncap, sizeof(struct slot)), ncap, t->n };

	if (!nt.slots)
		return SC_ENOMEM;
	for (size_t i = 0; i < t->cap; i++)
		if (t->slots[i].key)
			*table_find(&nt, t->slots[i].key, t->slots[i].len,
				    t->slots[i].hash) = t->slots[i];
	free(t->slots);
	*t = nt;
	return SC_OK;
}

/*
 * Finds key, or adds it (copied) with val. Sets *added; *out gets the
 * stored value. Returns SC_OK or SC_ENOMEM.
 */
static int table_put(struct table *t, const char *key, size_t len, size_t val,
		     size_t *out, int *added)
{
	uint64_t h = hash_bytes(key, len);
	struct slot *s;

	/* Kept at most half full, so a probe always ends on an empty slot. */
	if (2 * (t->n + 1) > t->cap && table_grow(t))
		return SC_ENOMEM;
	s = table_find(t, key, len, h);
	*added = !s->key;
	if (s->key) {
		*out = s->val;
		return SC_OK;
	}
	s->key = malloc(len ? len : 1);
	if (!s->key)
		return SC_ENOMEM;
	memcpy(s->key, key, len);
	s->len = len;
	s->hash = h;
	s->val = val;
	t->n++;
	*out = val;
	return SC_OK;
}

static void table_free(struct table *t)
{
	for (size_t i = 0; i < t->cap; i++)
		free(t->slots[i].key);
	free(t->slots);
	t->slots = NULL;
	t->cap = t->n = 0;
}

int sc_storm_create(struct sc_storm **out)
{
	*out = calloc(1, sizeof(**out));
	return *out ? SC_OK : SC_ENOMEM;
}

void sc_storm_destroy(struct sc_storm *s)
{
	if (!s)
		return;
	for (size_t i = 0; i < s->nrules; i++) {
		free(s->rules[i].ns);
		free(s->rules[i].rule);
		free(s->rules[i].protected_path);
		free(s->rules[i].reason);
	}
	free(s->rules);
	table_free(&s->rule_idx);
	table_free(&s->items);
	free(s->holds);
	free(s->release);
	free(s->released_by);
	free(s);
}

/* "ns\0rule\0", malloc'd; *len gets its length. */
static char *rule_key(const char *ns, const char *rule, size_t *len)
{
	size_t nl = strlen(ns), rl = strlen(rule);
	char *key = malloc(nl + rl + 2);

	if (key) {
		memcpy(key, ns, nl + 1);
		memcpy(key + nl + 1, rule, rl + 1);
	}
	*len = nl + rl + 2;
	return key;
}

/* The rule's index, added on first sight; (size_t)-1 when out of memory. */
static size_t rule_index(struct sc_storm *s, const char *ns, const char *rule)
{
	size_t len, idx;
	char *key = rule_key(ns, rule, &len);
	struct slot *slot;
	struct rule_rec r = { 0 };
	int added, err;

	if (!key)
		return (size_t)-1;
	slot = table_find(&s->rule_idx, key, len, hash_bytes(key, len));
	if (slot && slot->key) {
		free(key);
		return slot->val;
	}
	/* Everything is allocated before the index entry is made. */
	if (s->nrules == s->arules) {
		size_t na = s->arules ? s->arules * 2 : 16;
		void *p = realloc(s->rules, na * sizeof(*s->rules));

		if (!p)
			goto oom;
		s->rules = p;
		s->arules = na;
	}
	r.ns = sc_xstrdup(ns);
	r.rule = sc_xstrdup(rule);
	if (!r.ns || !r.rule)
		goto oom;
	err = table_put(&s->rule_idx, key, len, s->nrules, &idx, &added);
	if (err)
		goto oom;
	free(key);
	s->rules[s->nrules++] = r;
	return idx;
oom:
	free(r.ns);
	free(r.rule);
	free(key);
	return (size_t)-1;
}

int sc_storm_add(struct sc_storm *s, const char *ns, const char *rule,
		 const char *path, size_t n, const char *area)
{
	size_t idx, al = area ? strlen(area) : 0, len, unused;
	char *key;
	int added, err;

	if (!s || !rule || !path)
		return SC_EINVAL;
	idx = rule_index(s, ns ? ns : "", rule);
	if (idx == (size_t)-1)
		return SC_ENOMEM;
	/*
	 * Rule index, path, then "\1" for a file or "\0" and the area name:
	 * a path holds no NUL, so a file and an area never share a key.
	 */
	len = sizeof(idx) + n + 1 + al;
	key = malloc(len);
	if (!key)
		return SC_ENOMEM;
	memcpy(key, &idx, sizeof(idx));
	memcpy(key + sizeof(idx), path, n);
	key[sizeof(idx) + n] = area ? '\0' : '\1';
	if (al)
		memcpy(key + sizeof(idx) + n + 1, area, al);
	err = table_put(&s->items, key, len, 0, &unused, &added);
	free(key);
	if (err)
		return err;
	if (!added)
		return SC_OK;
	s->rules[idx].files++;
	if (!area && !s->rules[idx].protected_path &&
	    sc_storm_is_protected(path, n)) {
		s->rules[idx].protected_path = sc_display_name(path, n);
		if (!s->rules[idx].protected_path)
			return SC_ENOMEM;
	}
	return SC_OK;
}

static void now_utc(char out[32])
{
	time_t t = time(NULL);
	struct tm tm;

	gmtime_r(&t, &tm);
	strftime(out, 32, "%Y-%m-%dT%H:%M:%SZ", &tm);
}

/* Marks rule r released; its hold was decided in this call. */
static void release_rule(struct sc_storm *s, struct rule_rec *r)
{
	r->hold.released = 1;
	r->hold.released_by = s->released_by;
	r->hold.released_at = s->released_at;
}

int sc_storm_decide(struct sc_storm *s, const struct sc_storm_opts *o)
{
	size_t *holds = NULL;
	enum sc_storm_release *rel = NULL;

	if (!s || !o)
		return SC_EINVAL;
	if (s->nrules && !(holds = calloc(s->nrules, sizeof(*holds))))
		return SC_ENOMEM;
	if (o->nrelease && !(rel = calloc(o->nrelease, sizeof(*rel)))) {
		free(holds);
		return SC_ENOMEM;
	}
	free(s->holds);
	s->holds = holds;
	s->nholds = 0;
	free(s->release);
	s->release = rel;
	s->nrelease = o->nrelease;
	free(s->released_by);
	s->released_by = sc_xstrdup(o->released_by);
	now_utc(s->released_at);

	for (size_t i = 0; i < s->nrules; i++) {
		struct rule_rec *r = &s->rules[i];

		free(r->reason);
		r->reason = NULL;
		r->held = 0;
		memset(&r->hold, 0, sizeof(r->hold));
		if (r->protected_path) {
			r->hold.why = SC_STORM_PROTECTED;
			r->reason = sc_xasprintf(
				"matched a protected system file: %s",
				r->protected_path);
		} else if (sc_storm_over_threshold(o, r->files)) {
			r->hold.why = SC_STORM_COUNT;
			r->reason = sc_xasprintf(
				"matched %llu files (threshold %llu)",
				(unsigned long long)r->files,
				(unsigned long long)o->threshold);
		} else {
			continue;
		}
		if (!r->reason)
			return SC_ENOMEM;
		r->held = 1;
		r->hold.ns = r->ns;
		r->hold.rule = r->rule;
		r->hold.files = r->files;
		r->hold.reason = r->reason;
		s->holds[s->nholds++] = i;
	}

	for (size_t k = 0; k < o->nrelease; k++) {
		struct rule_rec *only = NULL;
		size_t bare = 0;

		s->release[k] = SC_RELEASE_NOT_HELD;
		for (size_t h = 0; h < s->nholds; h++) {
			struct rule_rec *r = &s->rules[s->holds[h]];
			int m = sc_storm_release_matches(o->release[k], r->ns,
							 r->rule);

			if (m == 2) {
				release_rule(s, r);
				s->release[k] = SC_RELEASE_APPLIED;
			} else if (m == 1) {
				only = r;
				bare++;
			}
		}
		if (bare == 1) {
			release_rule(s, only);
			s->release[k] = SC_RELEASE_APPLIED;
		} else if (bare > 1) {
			s->release[k] = SC_RELEASE_AMBIGUOUS;
		}
	}
	return SC_OK;
}

size_t sc_storm_nholds(const struct sc_storm *s)
{
	return s ? s->nholds : 0;
}

const struct sc_storm_hold *sc_storm_hold_at(const struct sc_storm *s,
					     size_t i)
{
	if (!s || i >= s->nholds)
		return NULL;
	return &s->rules[s->holds[i]].hold;
}

const struct sc_storm_hold *sc_storm_hold_of(const struct sc_storm *s,
					     const char *ns, const char *rule)
{
	size_t len;
	char *key;
	struct slot *slot;

	if (!s || !rule || !s->rule_idx.cap)
		return NULL;
	key = rule_key(ns ? ns : "", rule, &len);
	if (!key)
		return NULL;
	slot = table_find(&s->rule_idx, key, len, hash_bytes(key, len));
	free(key);
	if (!slot || !slot->key || !s->rules[slot->val].held)
		return NULL;
	return &s->rules[slot->val].hold;
}

int sc_storm_is_held(const struct sc_storm *s, const char *ns,
		     const char *rule)
{
	const struct sc_storm_hold *h = sc_storm_hold_of(s, ns, rule);

	return h && !h->released;
}

enum sc_storm_release sc_storm_release_state(const struct sc_storm *s,
					     size_t i)
{
	if (!s || i >= s->nrelease)
		return SC_RELEASE_NOT_HELD;
	return s->release[i];
}
