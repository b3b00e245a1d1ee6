/*
 * Scan reports; see sc/report.h. The report is kept as a jansson tree from
 * the start, and the text form is written from that same tree, so the two
 * can never disagree.
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <jansson.h>

#include "efi-json.h"
#include "internal.h"
#include "sc/error.h"
#include "sc/report.h"
#include "sc/allow.h"
#include "sc/rules.h"
#include "sc/storm.h"
#include "sc/volume.h"

struct tgt {
	char *path;
	json_t *obj; /* borrowed from the targets array */
};

struct sc_report {
	json_t *root, *targets, *detections, *holds;
	struct tgt *t;
	size_t nt, at;
	uint64_t ndetections, nheld, nallowed;
	const struct sc_allow *allow; /* borrowed; NULL: no allowlist */
	struct sc_storm *storm; /* per-rule file counts, then the holds */
	unsigned failed;
	struct timespec start;
};

#define JSON_OOM(x) ((x) ? SC_OK : SC_ENOMEM)

static const char *s_of(json_t *o, const char *key);

static json_t *jstr(const char *s)
{
	return s ? json_string(s) : json_null();
}

/* A path as JSON: exact if valid UTF-8, else lossy plus the raw bytes. */
static int set_path(json_t *obj, const char *key, const char *p, size_t n)
{
	static const char hex[] = "0123456789abcdef";
	char *lossy, *raw, *o;
	size_t i;
	int err = 0;

	if (!p)
		return json_object_set_new(obj, key, json_null());
	if (sc_utf8_valid(p, n))
		return json_object_set_new(obj, key, json_stringn(p, n));
	/* Each bad byte becomes U+FFFD (3 bytes); valid sequences are kept. */
	lossy = malloc(3 * n + 1);
	raw = malloc(2 * n + 1);
	if (!lossy || !raw) {
		free(lossy);
		free(raw);
		return -1;
	}
	o = lossy;
	for (i = 0; i < n;) {
		size_t k;

		for (k = 4; k >= 1; k--)
			if (i + k <= n && sc_utf8_valid(p + i, k))
				break;
		if (k >= 1) {
			memcpy(o, p + i, k);
			o += k;
			i += k;
		} else {
			memcpy(o, "\xef\xbf\xbd", 3);
			o += 3;
			i++;
		}
	}
	*o = '\0';
	for (i = 0; i < n; i++) {
		raw[2 * i] = hex[(unsigned char)p[i] >> 4];
		raw[2 * i + 1] = hex[(unsigned char)p[i] & 15];
	}
	raw[2 * n] = '\0';
	err |= json_object_set_new(obj, key, json_string(lossy));
	{
		char hk[64];

		snprintf(hk, sizeof(hk), "%s_hex", key);
		err |= json_object_set_new(obj, hk, json_string(raw));
	}
	free(lossy);
	free(raw);
	return err;
}

static void iso_time(const struct timespec *ts, char out[32])
{
	struct tm tm;
	time_t t = ts->tv_sec;

	gmtime_r(&t, &tm);
	strftime(out, 32, "%Y-%m-%dT%H:%M:%SZ", &tm);
}

int sc_report_create(const char *program, const char *version,
		     struct sc_report **out)
{
	struct sc_report *r = calloc(1, sizeof(*r));
	json_t *prog;

	*out = NULL;
	if (!r)
		return SC_ENOMEM;
	r->root = json_object();
	r->targets = json_array();
	r->detections = json_array();
	r->holds = json_array();
	prog = json_pack("{s:s?, s:s?}", "name", program, "version", version);
	/* Placeholders fix the key order of the written report. */
	if (!r->root || !r->targets || !r->detections || !r->holds || !prog ||
	    sc_storm_create(&r->storm) ||
	    json_object_set_new(r->root, "schema", json_integer(1)) ||
	    json_object_set_new(r->root, "program", prog) ||
	    json_object_set_new(r->root, "started", json_null()) ||
	    json_object_set_new(r->root, "finished", json_null()) ||
	    json_object_set_new(r->root, "seconds", json_null()) ||
	    json_object_set_new(r->root, "options", json_null()) ||
	    json_object_set_new(r->root, "rules", json_null()) ||
	    json_object_set_new(r->root, "summary", json_null()) ||
	    json_object_set_new(r->root, "uefi", json_null()) ||
	    json_object_set_new(r->root, "storm_guard", json_null()) ||
	    json_object_set(r->root, "targets", r->targets) ||
	    json_object_set(r->root, "detections", r->detections) ||
	    json_object_set(r->root, "holds", r->holds)) {
		sc_report_destroy(r);
		return SC_ENOMEM;
	}
	*out = r;
	return SC_OK;
}

int sc_report_set_rules(struct sc_report *r, const struct sc_rules *rules)
{
	json_t *o = json_object(), *srcs = json_array();
	size_t n = sc_rules_source_count(rules), failed = 0;

	if (!o || !srcs)
		goto oom;
	for (size_t i = 0; i < n; i++) {
		const struct sc_rules_source *s = sc_rules_source(rules, i);
		json_t *j = json_object();

		if (!j || json_array_append_new(srcs, j))
			goto oom;
		set_path(j, "path", s->path, strlen(s->path));
		json_object_set_new(j, "namespace", jstr(s->ns));
		json_object_set_new(j, "loaded", json_boolean(s->loaded));
		json_object_set_new(j, "rules", json_integer(s->rules));
		json_object_set_new(j, "error", jstr(s->error));
		failed += !s->loaded;
	}
	json_object_set_new(o, "count", json_integer(sc_rules_count(rules)));
	{
		json_t *sets = json_array();

		for (size_t i = 0; sets && i < sc_rules_set_count(rules); i++) {
			const struct sc_rules_set *rs = sc_rules_set(rules, i);
			char when[32] = "";

			if (rs->created) {
				struct timespec ts = { (time_t)rs->created, 0 };

				iso_time(&ts, when);
			}
			json_array_append_new(
				sets,
				json_pack("{s:s, s:I, s:s?, s:i, s:b, s:s?, s:s?, s:s?}",
					  "name", rs->name, "version",
					  (json_int_t)rs->version, "created",
					  when[0] ? when : NULL, "rules",
					  (int)rs->rules, "signed",
					  rs->key_id[0] != '\0', "key_id",
					  rs->key_id[0] ? rs->key_id : NULL,
					  "key_name",
					  rs->key_name[0] ? rs->key_name : NULL,
					  "path", rs->path[0] ? rs->path : NULL));
		}
		json_object_set_new(o, "sets", sets);
	}
	json_object_set_new(o, "sources_failed", json_integer((json_int_t)failed));
	json_object_set_new(o, "sources", srcs);
	return json_object_set_new(r->root, "rules", o) ? SC_ENOMEM : SC_OK;
oom:
	json_decref(o);
	json_decref(srcs);
	return SC_ENOMEM;
}

void sc_report_mark_stale(struct sc_report *r, unsigned days)
{
	json_t *rules = json_object_get(r->root, "rules"), *set;
	time_t now = time(NULL);
	size_t i;
	int unsigned_loaded = 0;

	json_array_foreach(json_object_get(rules, "sets"), i, set)
	{
		const char *created = s_of(set, "created");
		struct tm tm;
		long age;

		if (!json_is_true(json_object_get(set, "signed"))) {
			json_object_set_new(set, "age_days", json_null());
			json_object_set_new(set, "stale", json_false());
			continue;
		}
		memset(&tm, 0, sizeof(tm));
		if (sscanf(created, "%d-%d-%dT%d:%d:%d", &tm.tm_year, &tm.tm_mon,
			   &tm.tm_mday, &tm.tm_hour, &tm.tm_min,
			   &tm.tm_sec) != 6)
			continue;
		tm.tm_year -= 1900;
		tm.tm_mon -= 1;
		age = (long)((now - sc_timegm(&tm)) / 86400);
		json_object_set_new(set, "age_days", json_integer(age));
		json_object_set_new(set, "stale", json_boolean(age > (long)days));
	}
	/* Sources other than the program's built-in ones are unsigned. */
	json_array_foreach(json_object_get(rules, "sources"), i, set)
		if (json_is_true(json_object_get(set, "loaded")) &&
		    strcmp(s_of(set, "namespace"), "builtin"))
			unsigned_loaded = 1;
	json_object_set_new(rules, "stale_after_days", json_integer(days));
	json_object_set_new(rules, "unsigned_rules_loaded",
			    json_boolean(unsigned_loaded));
}

int sc_report_refused(struct sc_report *r, const char *path, const char *why)
{
	json_t *rules = json_object_get(r->root, "rules"), *list, *j;

	if (!json_is_object(rules))
		return SC_ESTATE; /* after sc_report_set_rules */
	list = json_object_get(rules, "refused");
	if (!list) {
		list = json_array();
		if (!list || json_object_set_new(rules, "refused", list))
			return SC_ENOMEM;
	}
	j = json_object();
	if (!j || set_path(j, "path", path, strlen(path)) ||
	    json_object_set_new(j, "reason", jstr(why)) ||
	    json_array_append_new(list, j))
		return SC_ENOMEM;
	return SC_OK;
}

int sc_report_action(struct sc_report *r, const char *path, size_t len,
		     const char *action, const char *id, const char *detail)
{
	json_t *list = json_object_get(r->root, "actions"), *j;

	if (!list) {
		list = json_array();
		if (!list || json_object_set_new(r->root, "actions", list))
			return SC_ENOMEM;
	}
	j = json_object();
	if (!j || set_path(j, "path", path, len) ||
	    json_object_set_new(j, "action", jstr(action)) ||
	    json_object_set_new(j, "quarantine_id", jstr(id)) ||
	    json_object_set_new(j, "detail", jstr(detail)) ||
	    json_array_append_new(list, j))
		return SC_ENOMEM;
	return SC_OK;
}

int sc_report_set_options(struct sc_report *r, const struct sc_scan_opts *o,
			  unsigned jobs)
{
	json_t *ex = json_array();
	json_t *j;

	if (!ex)
		return SC_ENOMEM;
	for (size_t i = 0; i < o->nexcludes; i++)
		json_array_append_new(ex, json_string(o->excludes[i]));
	j = json_pack("{s:i, s:I, s:i, s:b, s:o}", "jobs", (int)jobs,
		      "max_size", (json_int_t)o->max_size, "timeout",
		      (int)o->timeout, "one_filesystem", o->one_fs, "excludes",
		      ex);
	if (!j)
		return SC_ENOMEM;
	return json_object_set_new(r->root, "options", j) ? SC_ENOMEM : SC_OK;
}

void sc_report_start(struct sc_report *r)
{
	char buf[32];

	clock_gettime(CLOCK_REALTIME, &r->start);
	iso_time(&r->start, buf);
	json_object_set_new(r->root, "started", json_string(buf));
}

void sc_report_finish(struct sc_report *r)
{
	struct timespec end;
	char buf[32];
	double secs;

	clock_gettime(CLOCK_REALTIME, &end);
	iso_time(&end, buf);
	secs = (double)(end.tv_sec - r->start.tv_sec) +
	       (double)(end.tv_nsec - r->start.tv_nsec) / 1e9;
	json_object_set_new(r->root, "finished", json_string(buf));
	json_object_set_new(r->root, "seconds", json_real(secs));
}

int sc_report_apply_holds(struct sc_report *r,
			  const struct sc_storm_opts *o)
{
	json_t *d, *rel, *pol;
	size_t i;
	int err = sc_storm_decide(r->storm, o);

	if (err)
		return err;
	r->nheld = 0;
	json_array_foreach(r->detections, i, d)
	{
		const char *ns = json_string_value(json_object_get(d, "namespace"));
		const char *rule = json_string_value(json_object_get(d, "rule"));
		const struct sc_storm_hold *h = sc_storm_hold_of(r->storm, ns, rule);
		int held = h && !h->released;

		json_object_set_new(d, "held", json_boolean(held));
		if (held) {
			json_object_set_new(d, "hold_reason", json_string(h->reason));
			r->nheld++;
		} else {
			json_object_del(d, "hold_reason");
		}
	}
	json_array_clear(r->holds);
	for (i = 0; i < sc_storm_nholds(r->storm); i++) {
		const struct sc_storm_hold *h = sc_storm_hold_at(r->storm, i);
		json_t *set = json_null(), *ver = json_null(), *j;
		size_t k;

		/* The set and version of the rule, from its detections. */
		json_array_foreach(r->detections, k, d)
		{
			if (!strcmp(s_of(d, "namespace"), h->ns) &&
			    !strcmp(s_of(d, "rule"), h->rule)) {
				if (json_is_string(json_object_get(d, "set"))) {
					set = json_incref(json_object_get(d, "set"));
					ver = json_incref(
						json_object_get(d, "set_version"));
				}
				break;
			}
		}
		j = json_pack("{s:s, s:s, s:o?, s:o?, s:I, s:s, s:b, s:s?, s:s?}",
			      "rule", h->rule, "namespace", h->ns, "set", set,
			      "set_version", ver, "files", (json_int_t)h->files,
			      "reason", h->reason, "released", h->released,
			      "released_by",
			      h->released ? h->released_by : NULL,
			      "released_at",
			      h->released ? h->released_at : NULL);

		if (!j || json_array_append_new(r->holds, j))
			return SC_ENOMEM;
	}
	rel = json_array();
	for (i = 0; rel && i < o->nrelease; i++)
		json_array_append_new(rel, json_string(o->release[i]));
	pol = json_pack("{s:I, s:o?}", "threshold", (json_int_t)o->threshold,
			"release_hold", rel);
	if (!pol || json_object_set_new(r->root, "storm_guard", pol))
		return SC_ENOMEM;
	return SC_OK;
}

const struct sc_storm *sc_report_storm(const struct sc_report *r)
{
	return r ? r->storm : NULL;
}

uint64_t sc_report_detections_held(const struct sc_report *r)
{
	return r ? r->nheld : 0;
}

/* The target's object, created on first use. */
static json_t *target_obj(struct sc_report *r, const char *path)
{
	json_t *o;

	for (size_t i = 0; i < r->nt; i++)
		if (!strcmp(r->t[i].path, path))
			return r->t[i].obj;
	if (r->nt == r->at) {
		size_t na = r->at ? r->at * 2 : 8;
		void *p = realloc(r->t, na * sizeof(*r->t));

		if (!p)
			return NULL;
		r->t = p;
		r->at = na;
	}
	o = json_object();
	if (!o)
		return NULL;
	r->t[r->nt].path = sc_xstrdup(path);
	if (!r->t[r->nt].path || set_path(o, "path", path, strlen(path)) ||
	    json_object_set_new(o, "kind", json_null()) ||
	    json_object_set_new(o, "status", json_null()) ||
	    json_object_set_new(o, "not_scanned", json_array()) ||
	    json_array_append_new(r->targets, o)) {
		free(r->t[r->nt].path);
		return NULL;
	}
	r->t[r->nt].obj = o;
	r->nt++;
	return o;
}

static json_t *hex_json(const unsigned char *p, size_t n)
{
	static const char hex[] = "0123456789abcdef";
	char *s = malloc(2 * n + 1);
	json_t *j;

	if (!s)
		return NULL;
	for (size_t i = 0; i < n; i++) {
		s[2 * i] = hex[p[i] >> 4];
		s[2 * i + 1] = hex[p[i] & 15];
	}
	s[2 * n] = '\0';
	j = json_string(s);
	free(s);
	return j;
}

static json_t *meta_json(const struct sc_match *m)
{
	json_t *o = json_object();

	for (size_t i = 0; o && i < m->nmeta; i++) {
		const struct sc_meta *me = &m->meta[i];
		json_t *v;

		if (!me->key)
			continue;
		if (me->type == SC_META_STRING)
			v = me->str && sc_utf8_valid(me->str, strlen(me->str))
				    ? json_string(me->str)
				    : json_string("(not UTF-8)");
		else if (me->type == SC_META_BOOLEAN)
			v = json_boolean(me->num);
		else
			v = json_integer((json_int_t)me->num);
		/* Repeated keys (legal in YARA) keep the first value. */
		if (!json_object_get(o, me->key))
			json_object_set_new(o, me->key, v);
		else
			json_decref(v);
	}
	return o;
}

static int add_detection(struct sc_report *r, const struct sc_item *it,
			 const struct sc_match *m)
{
	json_t *d = json_object(), *tags = json_array(), *strs = json_array();
	const struct sc_allow_entry *allowed;

	if (!d || !tags || !strs) {
		json_decref(d);
		json_decref(tags);
		json_decref(strs);
		return SC_ENOMEM;
	}
	for (size_t i = 0; i < m->ntags; i++)
		json_array_append_new(tags, jstr(m->tags[i]));
	for (size_t i = 0; i < m->nstrings; i++) {
		const struct sc_string_match *s = &m->strings[i];

		json_array_append_new(
			strs, json_pack("{s:s?, s:I, s:i, s:o?}", "identifier",
					s->id, "offset", (json_int_t)s->offset,
					"length", (int)s->length, "data_hex",
					hex_json(s->data, s->data_len)));
	}
	json_object_set_new(d, "target", jstr(it->target));
	set_path(d, "path", it->path, it->path_len);
	json_object_set_new(d, "area", jstr(it->area));
	json_object_set_new(d, "filetype", jstr(it->filetype));
	json_object_set_new(d, "size", json_integer((json_int_t)it->size));
	json_object_set_new(d, "sha256", jstr(it->sha256));
	json_object_set_new(d, "set", jstr(m->set));
	json_object_set_new(d, "set_version",
			    json_integer((json_int_t)m->set_version));
	json_object_set_new(d, "rule", jstr(m->rule));
	json_object_set_new(d, "namespace", jstr(m->ns));
	json_object_set_new(d, "tags", tags);
	json_object_set_new(d, "meta", meta_json(m));
	json_object_set_new(d, "strings", strs);
	/* Decided by sc_report_apply_holds, once every count is in. */
	json_object_set_new(d, "held", json_false());
	allowed = sc_allow_match(r->allow, it->sha256, m->ns, m->rule);
	json_object_set_new(d, "allowed", json_boolean(allowed != NULL));
	if (allowed)
		json_object_set_new(
			d, "allowed_by",
			json_pack("{s:s, s:s, s:s, s:s, s:s}", "id", allowed->id,
				  "rule", allowed->rule, "note", allowed->note,
				  "added", allowed->added, "added_by",
				  allowed->added_by));
	if (json_array_append_new(r->detections, d))
		return SC_ENOMEM;
	/* An allowed file is known good: it does not count towards a
	 * storm of the rule, nor as something found. */
	if (allowed) {
		r->nallowed++;
		return SC_OK;
	}
	if (sc_storm_add(r->storm, m->ns, m->rule, it->path, it->path_len,
			 it->area))
		return SC_ENOMEM;
	r->ndetections++;
	return SC_OK;
}

void sc_report_set_allowlist(struct sc_report *r, const struct sc_allow *a)
{
	r->allow = a;
}

uint64_t sc_report_detections_allowed(const struct sc_report *r)
{
	return r ? r->nallowed : 0;
}

int sc_report_item(struct sc_report *r, const struct sc_item *it)
{
	json_t *t, *ns;

	if (!r || !it || !it->target)
		return SC_EINVAL;
	t = target_obj(r, it->target);
	if (!t)
		return SC_ENOMEM;
	if (it->status == SC_ITEM_MATCH) {
		for (size_t i = 0; i < it->nmatches; i++)
			if (add_detection(r, it, &it->matches[i]))
				return SC_ENOMEM;
		return SC_OK;
	}
	if (it->status != SC_ITEM_SKIPPED)
		return SC_OK;
	ns = json_object();
	if (!ns || set_path(ns, "path", it->path, it->path_len) ||
	    json_array_append_new(json_object_get(t, "not_scanned"), ns))
		return SC_ENOMEM;
	json_object_set_new(ns, "area", jstr(it->area));
	json_object_set_new(ns, "reason", json_string(sc_reason_name(it->reason)));
	json_object_set_new(ns, "detail", jstr(it->detail));
	json_object_set_new(ns, "size", json_integer((json_int_t)it->size));
	return SC_OK;
}

static const char *kind_name(const struct sc_target_stats *st)
{
	if (st->kind == SC_TARGET_DISK)
		return "disk";
	return st->is_dir ? "directory" : "file";
}

/* Not-scanned totals per reason, from the target's list. */
static json_t *by_reason(json_t *list)
{
	json_t *o = json_object(), *e;
	size_t i;

	json_array_foreach(list, i, e)
	{
		const char *reason = json_string_value(json_object_get(e, "reason"));
		json_t *g;

		if (!reason)
			continue;
		g = json_object_get(o, reason);
		if (!g) {
			g = json_pack("{s:i, s:I}", "files", 0, "bytes",
				      (json_int_t)0);
			json_object_set_new(o, reason, g);
		}
		json_object_set_new(
			g, "files",
			json_integer(json_integer_value(json_object_get(g, "files")) + 1));
		json_object_set_new(
			g, "bytes",
			json_integer(json_integer_value(json_object_get(g, "bytes")) +
				     json_integer_value(json_object_get(e, "size"))));
	}
	return o;
}

int sc_report_target(struct sc_report *r, const char *path,
		     const struct sc_target_stats *st)
{
	json_t *t = target_obj(r, path);
	const char *status = "ok";
	char *msg = NULL;

	if (!t)
		return SC_ENOMEM;
	if (st->error == SC_ECANCELED) {
		status = "canceled";
	} else if (st->error) {
		status = "error";
		r->failed++;
		msg = st->sys_errno ? sc_xasprintf("%s: %s",
						  sc_strerror(st->error),
						  strerror(st->sys_errno))
				    : sc_xstrdup(sc_strerror(st->error));
	}
	json_object_set_new(t, "kind", json_string(kind_name(st)));
	json_object_set_new(t, "status", json_string(status));
	json_object_set_new(t, "error", jstr(msg));
	free(msg);
	json_object_set_new(t, "files_scanned",
			    json_integer((json_int_t)st->files_scanned));
	json_object_set_new(t, "bytes_scanned",
			    json_integer((json_int_t)st->bytes_scanned));
	json_object_set_new(t, "files_matched",
			    json_integer((json_int_t)st->files_matched));
	json_object_set_new(t, "files_not_scanned",
			    json_integer((json_int_t)st->files_skipped));
	json_object_set_new(t, "bytes_not_scanned",
			    json_integer((json_int_t)st->bytes_skipped));
	json_object_set_new(t, "directories",
			    json_integer((json_int_t)st->dirs));
	json_object_set_new(t, "symlinks_not_followed",
			    json_integer((json_int_t)st->symlinks));
	json_object_set_new(t, "seconds", json_real(st->seconds));
	json_object_set_new(t, "not_scanned_by_reason",
			    by_reason(json_object_get(t, "not_scanned")));
	return SC_OK;
}

static json_t *flags_json(unsigned f)
{
	static const struct {
		unsigned bit;
		const char *name;
	} names[] = {
		{ SC_PART_BOOTABLE, "bootable" }, { SC_PART_EXTENDED, "extended" },
		{ SC_PART_LOGICAL, "logical" },   { SC_PART_ESP, "ESP" },
		{ SC_PART_PAST_END, "past-end" }, { SC_PART_OVERLAP, "overlap" },
	};
	json_t *a = json_array();

	for (size_t i = 0; a && i < sizeof(names) / sizeof(*names); i++)
		if (f & names[i].bit)
			json_array_append_new(a, json_string(names[i].name));
	return a;
}

static json_t *vflags_json(unsigned f)
{
	json_t *a = json_array();

	for (unsigned bit = 1; a && bit && bit <= SC_VOL_ESP; bit <<= 1)
		if (f & bit)
			json_array_append_new(
				a, json_string(sc_volume_flag_name(bit)));
	return a;
}

static json_t *layout_json(const struct sc_layout *l)
{
	json_t *o = json_object(), *parts = json_array(), *probs = json_array();
	json_t *areas = json_array();
	char id[16];

	if (!o || !parts || !probs || !areas) {
		json_decref(o);
		json_decref(parts);
		json_decref(probs);
		json_decref(areas);
		return NULL;
	}
	snprintf(id, sizeof(id), "%08x", l->mbr_id);
	json_object_set_new(o, "table", json_string(l->table));
	json_object_set_new(o, "size", json_integer((json_int_t)l->size));
	json_object_set_new(o, "sector_size", json_integer(l->sector_size));
	json_object_set_new(o, "hybrid_mbr", json_boolean(l->hybrid));
	json_object_set_new(o, "mbr_id", json_string(id));
	json_object_set_new(o, "disk_guid",
			    l->disk_guid[0] ? json_string(l->disk_guid)
					    : json_null());
	json_object_set_new(o, "boot_code",
			    json_pack("{s:s?, s:s?}", "identified_as", l->boot_code,
				      "sha256", l->boot_code_sha256[0]
							? l->boot_code_sha256
							: NULL));
	for (size_t i = 0; i < l->nparts; i++) {
		const struct sc_partition *p = &l->parts[i];
		json_t *j = json_object();
		char t[8];

		if (!j)
			continue;
		snprintf(t, sizeof(t), "0x%02x", p->mbr_type);
		json_object_set_new(j, "number", json_integer(p->number));
		json_object_set_new(j, "start", json_integer((json_int_t)p->start));
		json_object_set_new(j, "sectors",
				    json_integer((json_int_t)p->sectors));
		json_object_set_new(j, "type", json_string(p->type_guid[0]
								   ? p->type_guid
								   : t));
		json_object_set_new(j, "type_name", jstr(p->type_name));
		json_object_set_new(j, "guid", p->guid[0] ? json_string(p->guid)
							  : json_null());
		json_object_set_new(j, "name",
				    p->name[0] && sc_utf8_valid(p->name,
								strlen(p->name))
					    ? json_string(p->name)
					    : json_null());
		json_object_set_new(j, "flags", flags_json(p->flags));
		json_object_set_new(j, "filesystem",
				    p->fstype[0] ? json_string(p->fstype)
						 : json_null());
		json_object_set_new(j, "label", p->label[0] ? json_string(p->label)
							    : json_null());
		json_object_set_new(j, "uuid", p->uuid[0] ? json_string(p->uuid)
							  : json_null());
		json_object_set_new(j, "device", p->device[0]
							 ? json_string(p->device)
							 : json_null());
		json_object_set_new(j, "mountpoint",
				    p->mountpoint[0] &&
						    sc_utf8_valid(p->mountpoint,
								  strlen(p->mountpoint))
					    ? json_string(p->mountpoint)
					    : json_null());
		json_object_set_new(j, "volume_flags", vflags_json(p->vflags));
		json_object_set_new(
			j, "boot_code",
			p->boot_code && p->boot_code[0]
				? json_pack("{s:s, s:s?}", "identified_as",
					    p->boot_code, "sha256",
					    p->boot_code_sha256[0]
						    ? p->boot_code_sha256
						    : NULL)
				: json_null());
		json_array_append_new(parts, j);
	}
	for (size_t i = 0; i < l->nareas; i++) {
		const struct sc_area *a = &l->areas[i];

		json_array_append_new(
			areas, json_pack("{s:s, s:s, s:I, s:I, s:I}", "name",
					 a->name, "filetype", a->filetype,
					 "offset", (json_int_t)a->offset,
					 "length", (json_int_t)a->length,
					 "capped", (json_int_t)a->capped));
	}
	for (size_t i = 0; i < l->nproblems; i++)
		json_array_append_new(probs, json_string(l->problems[i]));
	if (l->fstype[0])
		json_object_set_new(o, "filesystem", /* on the whole disk */
				    json_pack("{s:s, s:s?, s:s?}", "type", l->fstype,
					      "label", l->label[0] ? l->label : NULL,
					      "uuid", l->uuid[0] ? l->uuid : NULL));
	json_object_set_new(o, "partitions", parts);
	json_object_set_new(o, "areas", areas);
	json_object_set_new(o, "problems", probs);
	return o;
}

int sc_report_layout(struct sc_report *r, const char *target,
		     const struct sc_layout *l)
{
	json_t *t = target_obj(r, target), *j;

	if (!t || !(j = layout_json(l)))
		return SC_ENOMEM;
	return json_object_set_new(t, "layout", j) ? SC_ENOMEM : SC_OK;
}

int sc_layout_write_json(const struct sc_layout *const *layouts,
			 const struct sc_disk_info *infos,
			 const char *const *paths, const char *const *errors,
			 size_t n, FILE *f)
{
	json_t *root = json_object(), *disks = json_array();
	int rc;

	if (!root || !disks) {
		json_decref(root);
		json_decref(disks);
		return SC_ENOMEM;
	}
	json_object_set_new(root, "disks", disks);
	for (size_t i = 0; i < n; i++) {
		json_t *d = json_object();

		if (!d)
			continue;
		set_path(d, "path", paths[i], strlen(paths[i]));
		if (infos) {
			const struct sc_disk_info *in = &infos[i];

			json_object_set_new(d, "model", json_string(in->model));
			json_object_set_new(d, "serial", json_string(in->serial));
			json_object_set_new(d, "transport",
					    json_string(in->transport));
			json_object_set_new(d, "size",
					    json_integer((json_int_t)in->size));
			json_object_set_new(d, "sector_size",
					    json_integer(in->sector_size));
			json_object_set_new(d, "removable",
					    json_boolean(in->removable));
			json_object_set_new(d, "readonly",
					    json_boolean(in->readonly));
		}
		json_object_set_new(d, "layout", layouts[i] ? layout_json(layouts[i])
							    : json_null());
		json_object_set_new(d, "error", errors && errors[i]
							? json_string(errors[i])
							: json_null());
		json_array_append_new(disks, d);
	}
	rc = json_dumpf(root, f, JSON_INDENT(2) | JSON_PRESERVE_ORDER);
	json_decref(root);
	if (rc == 0 && (fputc('\n', f) == EOF || fflush(f)))
		rc = -1;
	return rc ? SC_EWRITE : SC_OK;
}

int sc_report_uefi(struct sc_report *r, const struct sc_efi *efi)
{
	json_t *j;

	if (!efi)
		return json_object_set_new(r->root, "uefi", json_null())
			       ? SC_ENOMEM
			       : SC_OK;
	j = sc_efi_json(efi);
	if (!j)
		return SC_ENOMEM;
	return json_object_set_new(r->root, "uefi", j) ? SC_ENOMEM : SC_OK;
}

int sc_report_volume(struct sc_report *r, const char *target,
		     const struct sc_volume *v)
{
	json_t *t = target_obj(r, target), *j;

	if (!t)
		return SC_ENOMEM;
	j = json_object();
	if (!j)
		return SC_ENOMEM;
	json_object_set_new(j, "device", v->device[0] ? json_string(v->device)
						      : json_null());
	json_object_set_new(j, "disk", v->disk[0] ? json_string(v->disk)
						  : json_null());
	json_object_set_new(j, "partition", json_integer(v->partition));
	json_object_set_new(j, "filesystem", v->fstype[0] ? json_string(v->fstype)
							  : json_null());
	json_object_set_new(j, "label", v->label[0] ? json_string(v->label)
						    : json_null());
	json_object_set_new(j, "uuid", v->uuid[0] ? json_string(v->uuid)
						  : json_null());
	json_object_set_new(j, "esp", json_boolean(v->flags & SC_VOL_ESP));
	json_object_set_new(j, "flags", vflags_json(v->flags));
	json_object_set_new(j, "read_only_reason", jstr(v->read_only_reason));
	return json_object_set_new(t, "volume", j) ? SC_ENOMEM : SC_OK;
}

uint64_t sc_report_detections(const struct sc_report *r)
{
	return r ? r->ndetections : 0;
}

unsigned sc_report_failed_targets(const struct sc_report *r)
{
	return r ? r->failed : 0;
}

static json_int_t sum_targets(const struct sc_report *r, const char *key)
{
	json_int_t n = 0;
	size_t i;
	json_t *t;

	json_array_foreach(r->targets, i, t)
		n += json_integer_value(json_object_get(t, key));
	return n;
}

static json_t *summary(const struct sc_report *r)
{
	return json_pack("{s:I, s:I, s:I, s:I, s:I, s:I, s:I, s:I, s:i}",
			 "files_scanned",
			 sum_targets(r, "files_scanned"), "bytes_scanned",
			 sum_targets(r, "bytes_scanned"), "files_matched",
			 sum_targets(r, "files_matched"), "files_not_scanned",
			 sum_targets(r, "files_not_scanned"), "bytes_not_scanned",
			 sum_targets(r, "bytes_not_scanned"), "detections",
			 (json_int_t)r->ndetections, "detections_allowed",
			 (json_int_t)r->nallowed, "detections_held",
			 (json_int_t)r->nheld, "targets_failed",
			 (int)r->failed);
}

int sc_report_write_json(const struct sc_report *r, FILE *f)
{
	json_t *s = summary(r);
	int rc;

	if (!s)
		return SC_ENOMEM;
	json_object_set_new(r->root, "summary", s);
	rc = json_dumpf(r->root, f, JSON_INDENT(2) | JSON_PRESERVE_ORDER);
	if (rc == 0 && fputc('\n', f) == EOF)
		rc = -1;
	if (rc == 0 && fflush(f))
		rc = -1;
	return rc ? SC_EWRITE : SC_OK;
}

static void human_bytes(uint64_t n, char out[32])
{
	static const char *const units[] = { "B", "KiB", "MiB", "GiB", "TiB" };
	double v = (double)n;
	int u = 0;

	while (v >= 1024 && u < 4) {
		v /= 1024;
		u++;
	}
	if (u == 0)
		snprintf(out, 32, "%llu B", (unsigned long long)n);
	else
		snprintf(out, 32, "%.1f %s", v, units[u]);
}

static const char *s_of(json_t *o, const char *key)
{
	const char *s = json_string_value(json_object_get(o, key));

	return s ? s : "";
}

static uint64_t n_of(json_t *o, const char *key)
{
	return (uint64_t)json_integer_value(json_object_get(o, key));
}

/* Bytes in the UTF-8 sequence a lead byte starts; 0 for a non-lead. */
static size_t utf8_len(unsigned char c)
{
	if (c < 0x80)
		return 1;
	if (c >= 0xc2 && c <= 0xdf)
		return 2;
	if (c >= 0xe0 && c <= 0xef)
		return 3;
	if (c >= 0xf0 && c <= 0xf4)
		return 4;
	return 0;
}

char *sc_display_name(const char *p, size_t n)
{
	static const char hex[] = "0123456789abcdef";
	char *out = malloc(4 * n + 1), *o = out;
	size_t i = 0;

	if (!out)
		return NULL;
	while (i < n) {
		unsigned char c = (unsigned char)p[i];
		size_t k = utf8_len(c);
		/* C0 and C1 controls (U+0080..U+009F is 0xC2 0x80..0x9F). */
		int control = c < 0x20 || c == 0x7f ||
			      (c == 0xc2 && i + 1 < n &&
			       (unsigned char)p[i + 1] < 0xa0);

		if (k > 1 && (i + k > n || !sc_utf8_valid(p + i, k)))
			k = 0;
		if (control || k == 0) {
			/* Escape one byte; a C1 pair becomes two escapes. */
			*o++ = '\\';
			*o++ = 'x';
			*o++ = hex[c >> 4];
			*o++ = hex[c & 15];
			i++;
		} else if (c == '\\') {
			*o++ = '\\';
			*o++ = '\\';
			i++;
		} else {
			memcpy(o, p + i, k);
			o += k;
			i += k;
		}
	}
	*o = '\0';
	return out;
}

/* Writes a string with control bytes escaped so it cannot drive a terminal. */
static void put_safe(FILE *f, const char *s)
{
	char *d = sc_display_name(s, strlen(s));

	fputs(d ? d : "?", f);
	free(d);
}

static int unhex(char c)
{
	if (c >= '0' && c <= '9')
		return c - '0';
	if (c >= 'a' && c <= 'f')
		return c - 'a' + 10;
	return -1;
}

/* Writes an object's "path", exact bytes (from path_hex) when present. */
static void put_path(FILE *f, json_t *o)
{
	const char *hx = json_string_value(json_object_get(o, "path_hex"));
	const char *p = json_string_value(json_object_get(o, "path"));
	size_t n = hx ? strlen(hx) / 2 : 0;
	char *raw, *d;

	if (!hx) {
		put_safe(f, p ? p : "");
		return;
	}
	raw = malloc(n + 1);
	if (!raw) {
		put_safe(f, p ? p : "");
		return;
	}
	for (size_t i = 0; i < n; i++)
		raw[i] = (char)(unhex(hx[2 * i]) << 4 | unhex(hx[2 * i + 1]));
	d = sc_display_name(raw, n);
	fputs(d ? d : "?", f);
	free(d);
	free(raw);
}

/* ns:rule as one shell word: quoted unless plainly safe. */
static void put_shell_word(FILE *f, const char *ns, const char *rule)
{
	char *w = sc_xasprintf("%s:%s", ns, rule);
	char *d;
	int plain = 1;

	if (!w) {
		fputs("?", f);
		return;
	}
	for (const char *p = w; *p; p++)
		if (!strchr("abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ"
			    "0123456789_-.:/+@%,=", *p))
			plain = 0;
	d = sc_display_name(w, strlen(w));
	if (plain || !d) {
		fputs(d ? d : "?", f);
	} else {
		fputc('\'', f);
		for (const char *p = d; *p; p++)
			if (*p == '\'')
				fputs("'\\''", f);
			else
				fputc(*p, f);
		fputc('\'', f);
	}
	free(d);
	free(w);
}

/*
 * The HELD section: every held rule with its count, the reason and the one
 * option that releases it, then the holds already released.
 */
static void write_holds(const struct sc_report *r, FILE *f)
{
	const char *prog = s_of(json_object_get(r->root, "program"), "name");
	size_t i, held = 0, released = 0;
	json_t *h;

	json_array_foreach(r->holds, i, h)
	{
		if (json_is_true(json_object_get(h, "released")))
			released++;
		else
			held++;
	}
	if (held) {
		fprintf(f, "\nHELD: %zu rule%s, %llu detection%s held for "
			   "review, not acted on\n",
			held, held == 1 ? "" : "s",
			(unsigned long long)r->nheld, r->nheld == 1 ? "" : "s");
		fputs("  A rule that fires on many files or on a Windows system "
		      "or boot file may come\n"
		      "  from a bad definitions update. A held detection is a "
		      "question, not a verdict:\n"
		      "  mass infections are real, so look at the files. No "
		      "action is taken on held\n"
		      "  detections until the hold is released; they still "
		      "count as found.\n",
		      f);
	}
	json_array_foreach(r->holds, i, h)
	{
		if (json_is_true(json_object_get(h, "released")))
			continue;
		fputs("  HELD ", f);
		put_safe(f, s_of(h, "namespace"));
		fputc(':', f);
		put_safe(f, s_of(h, "rule"));
		fprintf(f, ": %llu file%s, ", (unsigned long long)n_of(h, "files"),
			n_of(h, "files") == 1 ? "" : "s");
		put_safe(f, s_of(h, "reason"));
		fprintf(f, "\n    release: %s scan --release-hold ",
			*prog ? prog : "rescue");
		put_shell_word(f, s_of(h, "namespace"), s_of(h, "rule"));
		fputs(" (with the same paths and options)\n", f);
	}
	if (released)
		fprintf(f, "\nholds released: %zu\n", released);
	json_array_foreach(r->holds, i, h)
	{
		if (!json_is_true(json_object_get(h, "released")))
			continue;
		fputs("  released ", f);
		put_safe(f, s_of(h, "namespace"));
		fputc(':', f);
		put_safe(f, s_of(h, "rule"));
		fprintf(f, " (%llu file%s, ", (unsigned long long)n_of(h, "files"),
			n_of(h, "files") == 1 ? "" : "s");
		put_safe(f, s_of(h, "reason"));
		fputs(") by ", f);
		put_safe(f, json_is_string(json_object_get(h, "released_by"))
				    ? s_of(h, "released_by")
				    : "unknown");
		fprintf(f, " at %s: reported as normal detections\n",
			s_of(h, "released_at"));
	}
}

int sc_report_write_text(const struct sc_report *r, FILE *f,
			 unsigned max_list)
{
	json_t *prog = json_object_get(r->root, "program");
	json_t *rules = json_object_get(r->root, "rules");
	json_t *e, *src;
	size_t i, k;
	char b1[32], b2[32];

	fprintf(f, "%s %s scan report\n", s_of(prog, "name"),
		s_of(prog, "version"));
	fprintf(f, "started %s, finished %s (%.1f s)\n",
		s_of(r->root, "started"), s_of(r->root, "finished"),
		json_real_value(json_object_get(r->root, "seconds")));
	if (rules) {
		fprintf(f, "rules: %llu loaded from %zu sources\n",
			(unsigned long long)n_of(rules, "count"),
			json_array_size(json_object_get(rules, "sources")));
		json_array_foreach(json_object_get(rules, "sets"), i, src)
		{
			if (!strcmp(s_of(src, "name"), "local"))
				fprintf(f, "  set local: %llu rules %s\n",
					(unsigned long long)n_of(src, "rules"),
					json_is_true(json_object_get(
						rules, "unsigned_rules_loaded"))
						? "from source files -- UNSIGNED "
						  "(development only)"
						: "built into the program");
			else
				fprintf(f, "  set %s version %llu of %s (%lld days "
					   "old%s): %llu rules, signed by %s\n",
					s_of(src, "name"),
					(unsigned long long)n_of(src, "version"),
					s_of(src, "created"),
					(long long)json_integer_value(
						json_object_get(src, "age_days")),
					json_is_true(json_object_get(src, "stale"))
						? ", STALE: update the definitions"
						: "",
					(unsigned long long)n_of(src, "rules"),
					s_of(src, "key_name"));
		}
		json_array_foreach(json_object_get(rules, "refused"), i, src)
		{
			fputs("  REFUSED definitions ", f);
			put_path(f, src);
			fprintf(f, ": %s\n", s_of(src, "reason"));
		}
		json_array_foreach(json_object_get(rules, "sources"), i, src)
			if (!json_is_true(json_object_get(src, "loaded"))) {
				fputs("  rules file not loaded: ", f);
				put_safe(f, s_of(src, "error"));
				fputc('\n', f);
			}
	}

	fprintf(f, "\ndetections: %zu", json_array_size(r->detections));
	if (r->nheld)
		fprintf(f, ", %llu held for review (see HELD below)",
			(unsigned long long)r->nheld);
	fputc('\n', f);
	json_array_foreach(r->detections, i, e)
	{
		fputs("  ", f);
		put_path(f, e);
		if (json_is_string(json_object_get(e, "area")))
			fprintf(f, " [%s]", s_of(e, "area"));
		fprintf(f, "\n    %s:%s", s_of(e, "namespace"), s_of(e, "rule"));
		if (strcmp(s_of(e, "set"), "local"))
			fprintf(f, " (set %s version %llu)", s_of(e, "set"),
				(unsigned long long)n_of(e, "set_version"));
		if (json_is_string(json_object_get(json_object_get(e, "meta"),
						   "description"))) {
			fputs(" - ", f);
			put_safe(f, s_of(json_object_get(e, "meta"),
					 "description"));
		}
		if (json_is_true(json_object_get(e, "held")))
			fputs(" [HELD]", f);
		if (json_is_true(json_object_get(e, "allowed"))) {
			json_t *by = json_object_get(e, "allowed_by");

			fprintf(f, " [ALLOWED by allowlist entry %s",
				s_of(by, "id"));
			if (*s_of(by, "note")) {
				fputs(": ", f);
				put_safe(f, s_of(by, "note"));
			}
			fputc(']', f);
		}
		fprintf(f, "\n    sha256 %s\n", s_of(e, "sha256"));
	}
	write_holds(r, f);

	if (json_array_size(json_object_get(r->root, "actions"))) {
		json_t *acts = json_object_get(r->root, "actions");

		fprintf(f, "\nactions: %zu\n", json_array_size(acts));
		json_array_foreach(acts, i, e)
		{
			fprintf(f, "  %s ", s_of(e, "action"));
			put_path(f, e);
			if (*s_of(e, "quarantine_id"))
				fprintf(f, " as %s", s_of(e, "quarantine_id"));
			if (*s_of(e, "detail")) {
				fputs(": ", f);
				put_safe(f, s_of(e, "detail"));
			}
			fputc('\n', f);
		}
	}

	if (json_is_object(json_object_get(r->root, "uefi"))) {
		json_t *u = json_object_get(r->root, "uefi"), *en;
		size_t review = 0;

		json_array_foreach(json_object_get(u, "entries"), i, en)
			review += !strcmp(s_of(en, "verdict"), "review");
		fprintf(f, "\nUEFI boot entries: %zu, %zu to review\n",
			json_array_size(json_object_get(u, "entries")), review);
		json_array_foreach(json_object_get(u, "entries"), i, en)
		{
			/* sc_efi strings carry no control characters. */
			fprintf(f, "  %s %-8s %s", s_of(en, "name"),
				s_of(en, "verdict"), s_of(en, "description"));
			if (*s_of(en, "loader"))
				fprintf(f, " -> %s", s_of(en, "loader"));
			fputc('\n', f);
			if (*s_of(en, "reason"))
				fprintf(f, "    %s\n", s_of(en, "reason"));
		}
	}

	fputs("\ntargets:\n", f);
	json_array_foreach(r->targets, i, e)
	{
		json_t *ns = json_object_get(e, "not_scanned"), *x;
		const char *rk;

		fputs("  ", f);
		put_path(f, e);
		human_bytes(n_of(e, "bytes_scanned"), b1);
		fprintf(f, " (%s): %s, %llu scanned (%s), %llu with detections, "
			   "%llu not scanned\n",
			s_of(e, "kind"), s_of(e, "status"),
			(unsigned long long)n_of(e, "files_scanned"), b1,
			(unsigned long long)n_of(e, "files_matched"),
			(unsigned long long)n_of(e, "files_not_scanned"));
		if (json_is_string(json_object_get(e, "error"))) {
			fputs("    error: ", f);
			put_safe(f, s_of(e, "error"));
			fputc('\n', f);
		}
		if (json_is_object(json_object_get(e, "volume"))) {
			json_t *vo = json_object_get(e, "volume");

			fprintf(f, "    volume: %s %s", s_of(vo, "device"),
				s_of(vo, "filesystem"));
			if (json_is_string(json_object_get(vo, "label"))) {
				fputs(" \"", f);
				put_safe(f, s_of(vo, "label"));
				fputc('"', f);
			}
			if (json_is_true(json_object_get(vo, "esp")))
				fputs(" (EFI system partition)", f);
			fputc('\n', f);
			if (json_is_string(json_object_get(vo, "read_only_reason")))
				fprintf(f, "    READ-ONLY: %s\n",
					s_of(vo, "read_only_reason"));
		}
		if (json_is_object(json_object_get(e, "layout"))) {
			json_t *lay = json_object_get(e, "layout"), *pr;
			size_t q;

			fprintf(f, "    partition table: %s, %zu partitions, "
				   "%zu boot areas\n",
				s_of(lay, "table"),
				json_array_size(json_object_get(lay, "partitions")),
				json_array_size(json_object_get(lay, "areas")));
			json_array_foreach(json_object_get(lay, "problems"), q, pr)
			{
				fputs("    problem: ", f);
				put_safe(f, json_string_value(pr) ? json_string_value(pr) : "");
				fputc('\n', f);
			}
		}
		json_object_foreach(json_object_get(e, "not_scanned_by_reason"),
				    rk, x)
		{
			human_bytes(n_of(x, "bytes"), b2);
			fprintf(f, "    not scanned, %s: %llu (%s)\n", rk,
				(unsigned long long)n_of(x, "files"), b2);
		}
		json_array_foreach(ns, k, x)
		{
			if (max_list && k >= max_list) {
				fprintf(f, "    ... %zu more in the full report\n",
					json_array_size(ns) - k);
				break;
			}
			fputs("    - ", f);
			put_path(f, x);
			if (json_is_string(json_object_get(x, "area")))
				fprintf(f, " [%s]", s_of(x, "area"));
			fprintf(f, ": %s", s_of(x, "reason"));
			if (json_is_string(json_object_get(x, "detail"))) {
				fputs(" (", f);
				put_safe(f, s_of(x, "detail"));
				fputc(')', f);
			}
			fputc('\n', f);
		}
	}
	return fflush(f) || ferror(f) ? SC_EWRITE : SC_OK;
}

void sc_report_destroy(struct sc_report *r)
{
	if (!r)
		return;
	for (size_t i = 0; i < r->nt; i++)
		free(r->t[i].path);
	free(r->t);
	json_decref(r->targets);
	json_decref(r->detections);
	json_decref(r->holds);
	json_decref(r->root);
	sc_storm_destroy(r->storm);
	free(r);
}
