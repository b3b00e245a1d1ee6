/*
 * The allowlist; see sc/allow.h.
 */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <time.h>
#include <unistd.h>

#include <jansson.h>

#include "internal.h"
#include "sc/allow.h"
#include "sc/error.h"

static int valid_sha(const char *s)
{
	size_t n = 0;

	for (; s[n]; n++)
		if (!((s[n] >= '0' && s[n] <= '9') ||
		      (s[n] >= 'a' && s[n] <= 'f') ||
		      (s[n] >= 'A' && s[n] <= 'F')))
			return 0;
	return n == 64;
}

static void lower(char *s)
{
	for (; *s; s++)
		if (*s >= 'A' && *s <= 'F')
			*s = (char)(*s - 'A' + 'a');
}

static void free_entry(struct sc_allow_entry *e)
{
	free(e->rule);
	free(e->note);
	free(e->added);
	free(e->added_by);
}

void sc_allow_free(struct sc_allow *a)
{
	if (!a)
		return;
	for (size_t i = 0; i < a->n; i++)
		free_entry(&a->v[i]);
	free(a->v);
	free(a);
}

static struct sc_allow_entry *grow(struct sc_allow *a)
{
	struct sc_allow_entry *v = realloc(a->v, (a->n + 1) * sizeof(*v));

	if (!v)
		return NULL;
	a->v = v;
	memset(&v[a->n], 0, sizeof(v[0]));
	return &v[a->n];
}

static const char *str(json_t *o, const char *key)
{
	const char *s = json_string_value(json_object_get(o, key));

	return s ? s : "";
}

int sc_allow_load(const char *path, struct sc_allow **out)
{
	struct sc_allow *a = calloc(1, sizeof(*a));
	json_error_t jerr;
	json_t *root, *list, *e;
	size_t i;

	*out = NULL;
	if (!a)
		return SC_ENOMEM;
	root = json_load_file(path, 0, &jerr);
	if (!root) {
		if (access(path, F_OK) && errno == ENOENT) {
			*out = a; /* no list yet */
			return SC_OK;
		}
		free(a);
		return SC_EFORMAT;
	}
	list = json_object_get(root, "entries");
	if (!json_is_array(list) ||
	    json_integer_value(json_object_get(root, "format")) != 1)
		goto bad;
	json_array_foreach(list, i, e)
	{
		struct sc_allow_entry *x;
		const char *sha = str(e, "sha256"), *id = str(e, "id");

		if (!valid_sha(sha) || strlen(id) != 16)
			goto bad;
		x = grow(a);
		if (!x)
			goto bad;
		snprintf(x->id, sizeof(x->id), "%s", id);
		snprintf(x->sha256, sizeof(x->sha256), "%s", sha);
		lower(x->sha256);
		x->rule = sc_xstrdup(str(e, "rule"));
		x->note = sc_xstrdup(str(e, "note"));
		x->added = sc_xstrdup(str(e, "added"));
		x->added_by = sc_xstrdup(str(e, "added_by"));
		a->n++;
		if (!x->rule || !x->note || !x->added || !x->added_by)
			goto bad;
	}
	json_decref(root);
	*out = a;
	return SC_OK;
bad:
	json_decref(root);
	sc_allow_free(a);
	return SC_EFORMAT;
}

int sc_allow_save(const struct sc_allow *a, const char *path)
{
	json_t *root = json_pack("{s:i, s:[]}", "format", 1, "entries");
	json_t *list = json_object_get(root, "entries");
	char *text, tmp[4200];
	int fd, ok;
	size_t n;

	if (!root)
		return SC_ENOMEM;
	for (size_t i = 0; i < a->n; i++) {
		const struct sc_allow_entry *e = &a->v[i];

		json_array_append_new(
			list, json_pack("{s:s, s:s, s:s, s:s, s:s, s:s}", "id",
					e->id, "sha256", e->sha256, "rule",
					e->rule, "note", e->note, "added",
					e->added, "added_by", e->added_by));
	}
	text = json_dumps(root, JSON_INDENT(2) | JSON_PRESERVE_ORDER);
	json_decref(root);
	if (!text)
		return SC_ENOMEM;
	n = strlen(text);
	snprintf(tmp, sizeof(tmp), "%.4090s.tmp", path);
	fd = open(tmp, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC | O_NOFOLLOW,
		  0644);
	ok = fd >= 0 && write(fd, text, n) == (ssize_t)n &&
	     write(fd, "\n", 1) == 1 && !fsync(fd);
	if (fd >= 0 && close(fd))
		ok = 0;
	free(text);
	if (!ok || rename(tmp, path)) {
		unlink(tmp);
		return SC_EWRITE;
	}
	return SC_OK;
}

int sc_allow_add(struct sc_allow *a, const char *sha256, const char *rule,
		 const char *note, const char *added_by, char id[17])
{
	struct sc_allow_entry *e;
	char sha[65], full[65], when[32], seed[160];
	time_t t = time(NULL);
	struct tm tm;

	if (!valid_sha(sha256))
		return SC_EINVAL;
	snprintf(sha, sizeof(sha), "%s", sha256);
	lower(sha);
	if (!rule)
		rule = "";
	for (size_t i = 0; i < a->n; i++)
		if (!strcmp(a->v[i].sha256, sha) && !strcmp(a->v[i].rule, rule)) {
			memcpy(id, a->v[i].id, 17);
			return SC_OK;
		}
	e = grow(a);
	if (!e)
		return SC_ENOMEM;
	gmtime_r(&t, &tm);
	strftime(when, sizeof(when), "%Y-%m-%dT%H:%M:%SZ", &tm);
	/* A stable id: from the hash, the rule and the time of adding. */
	snprintf(seed, sizeof(seed), "%s|%.40s|%s", sha, rule, when);
	sc_sha256_hex(seed, strlen(seed), full);
	memcpy(e->id, full, 16);
	e->id[16] = '\0';
	memcpy(e->sha256, sha, sizeof(sha));
	e->rule = sc_xstrdup(rule);
	e->note = sc_xstrdup(note ? note : "");
	e->added = sc_xstrdup(when);
	e->added_by = sc_xstrdup(added_by ? added_by : "");
	a->n++;
	if (!e->rule || !e->note || !e->added || !e->added_by)
		return SC_ENOMEM;
	memcpy(id, e->id, 17);
	return SC_OK;
}

int sc_allow_remove(struct sc_allow *a, const char *key)
{
	for (size_t i = 0; i < a->n; i++) {
		if (strcmp(a->v[i].id, key) && strcasecmp(a->v[i].sha256, key))
			continue;
		free_entry(&a->v[i]);
		memmove(&a->v[i], &a->v[i + 1], (a->n - i - 1) * sizeof(*a->v));
		a->n--;
		return SC_OK;
	}
	return SC_EINVAL;
}

const struct sc_allow_entry *sc_allow_match(const struct sc_allow *a,
					    const char *sha256, const char *ns,
					    const char *rule)
{
	if (!a || !sha256)
		return NULL;
	for (size_t i = 0; i < a->n; i++) {
		const struct sc_allow_entry *e = &a->v[i];
		const char *colon;

		if (strcasecmp(e->sha256, sha256))
			continue;
		if (!e->rule[0])
			return e;
		colon = strrchr(e->rule, ':');
		if (colon) {
			size_t nl = (size_t)(colon - e->rule);

			if (ns && rule && strlen(ns) == nl &&
			    !strncmp(e->rule, ns, nl) && !strcmp(colon + 1, rule))
				return e;
		} else if (rule && !strcmp(e->rule, rule)) {
			return e;
		}
	}
	return NULL;
}
