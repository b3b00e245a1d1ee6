/*
 * Carrying out the reviewed plan, and the vendor package of one detection.
 * Every outcome is kept on its hit (shown on the plan screen) and goes into
 * the report, which is saved again.
 */
#include <errno.h>
#include <fcntl.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "ui.h"

static void outcome(struct ui_hit *h, int ok, const char *fmt, ...)
	__attribute__((format(printf, 3, 4)));

static void outcome(struct ui_hit *h, int ok, const char *fmt, ...)
{
	char buf[600];
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(buf, sizeof(buf), fmt, ap);
	va_end(ap);
	free(h->outcome);
	h->outcome = strdup(buf);
	h->outcome_ok = ok;
}

static void quarantine_hit(struct ui *u, struct sc_quar *q, struct ui_hit *h)
{
	struct sc_quar_req req = { 0 };
	struct sc_quar_result res;
	int err;

	if (h->area) {
		outcome(h, 0, "a boot area is not a file: not quarantined");
		return;
	}
	if (h->held) {
		outcome(h, 0, "held by the FP-storm guard: not quarantined");
		return;
	}
	req.path = h->path;
	req.reason = "detected";
	req.det = h->det;
	req.ndet = h->ndet;
	req.sha256 = h->sha256[0] ? h->sha256 : NULL;
	req.size = h->size;
	err = sc_quar_add(q, &req, &res);
	if (err)
		outcome(h, 0, "not quarantined: %s",
			res.why[0] ? res.why : sc_strerror(err));
	else if (res.kept)
		outcome(h, 1, "copied to the quarantine as %s and left in place "
			"(a critical system file)", res.id);
	else
		outcome(h, 1, "quarantined as %s", res.id);
	if (u->report)
		sc_report_action(u->report, h->path, h->len,
				 err ? "refused" : res.kept ? "copied"
							    : "quarantined",
				 err ? NULL : res.id, h->outcome);
	sc_quar_result_free(&res);
}

static int allow_hit(struct ui *u, struct ui_hit *h)
{
	char user[64], id[17], rule[512];
	int err = SC_OK;

	if (!u->allow) {
		outcome(h, 0, "the allowlist '%s' cannot be read: not allowed",
			u->cfg->allowlist);
		return -1;
	}
	sc_storm_user(user, sizeof(user));
	for (size_t k = 0; !err && k < h->ndet; k++) {
		snprintf(rule, sizeof(rule), "%s:%s", h->det[k].ns,
			 h->det[k].rule);
		err = sc_allow_add(u->allow, h->sha256, rule,
				   "always allowed from the rescue screen",
				   user, id);
	}
	if (err) {
		outcome(h, 0, "not allowed: %s", sc_strerror(err));
		return -1;
	}
	h->allowed = 1;
	outcome(h, 1, "always allowed (allowlist entry %s)", id);
	if (u->report)
		sc_report_action(u->report, h->path, h->len, "allowed", NULL,
				 h->outcome);
	return 0;
}

void ui_apply_plan(struct ui *u)
{
	struct sc_quar *q = NULL;
	struct sc_quar_recovery *rec;
	size_t nrec, done = 0, failed = 0;
	int allowed = 0, err;

	for (size_t i = 0; i < u->nhits; i++) {
		struct ui_hit *h = &u->hits[i];

		switch (h->plan) {
		case PLAN_QUARANTINE:
			if (!q) {
				err = sc_quar_open(u->cfg->quarantine_dir, 1, &q,
						   &rec, &nrec);
				if (err) {
					outcome(h, 0, "the quarantine '%s' "
						"cannot be opened: %s",
						u->cfg->quarantine_dir,
						sc_strerror(err));
					failed++;
					continue;
				}
				free(rec);
			}
			quarantine_hit(u, q, h);
			break;
		case PLAN_ALLOW:
			if (!allow_hit(u, h))
				allowed = 1;
			break;
		case PLAN_IGNORE:
			outcome(h, 1, "ignored this time");
			break;
		default:
			continue;
		}
		h->plan = PLAN_NONE;
		if (h->outcome_ok)
			done++;
		else
			failed++;
	}
	sc_quar_close(q);
	if (allowed && (err = sc_allow_save(u->allow, u->cfg->allowlist)))
		ui_say(u, ROLE_DANGER, "the allowlist could not be saved: %s",
		       sc_strerror(err));
	else
		ui_say(u, failed ? ROLE_WARN : ROLE_OK, "plan applied: %zu done, %zu "
		       "not done (see each line)", done, failed);
	/* The saved report gets the actions. */
	if (u->report && u->report_json[0]) {
		FILE *f = fopen(u->report_json, "w");

		if (f) {
			sc_report_write_json(u->report, f);
			fclose(f);
		}
		if (u->report_txt[0] && (f = fopen(u->report_txt, "w"))) {
			sc_report_write_text(u->report, f, 0);
			fclose(f);
		}
		sync();
	}
}

/* Reads a whole regular file without following links (at most max). */
static unsigned char *slurp(const char *path, size_t max, size_t *len)
{
	int fd = open(path, O_RDONLY | O_NOFOLLOW | O_NONBLOCK | O_CLOEXEC);
	struct stat st;
	unsigned char *buf = NULL;
	size_t got = 0;

	if (fd < 0)
		return NULL;
	if (fstat(fd, &st) || !S_ISREG(st.st_mode) ||
	    (uint64_t)st.st_size > max ||
	    !(buf = malloc((size_t)st.st_size + 1))) {
		close(fd);
		return NULL;
	}
	while (got < (size_t)st.st_size) {
		ssize_t r = read(fd, buf + got, (size_t)st.st_size - got);

		if (r <= 0)
			break;
		got += (size_t)r;
	}
	close(fd);
	*len = got;
	return buf;
}

void ui_export_hit(struct ui *u, size_t i)
{
	struct ui_hit *h = &u->hits[i];
	struct sc_quar_item it;
	struct stat st;
	unsigned char *data;
	size_t len = 0;
	char out[600], *name = NULL;
	int err;

	if (h->area) {
		ui_say(u, ROLE_WARN, "a boot area is not a file: no vendor package");
		return;
	}
	if (!u->cfg->reports_dir) {
		ui_say(u, ROLE_WARN, "no reports directory (no RESCUEDATA "
		       "partition): no vendor package");
		return;
	}
	data = slurp(h->path, 256u << 20, &len);
	if (!data) {
		ui_say(u, ROLE_DANGER, "cannot read the file: %s", strerror(errno));
		return;
	}
	memset(&it, 0, sizeof(it));
	it.path = h->path;
	it.path_len = h->len;
	it.reason = "detected";
	it.det = h->det;
	it.ndet = h->ndet;
	if (!lstat(h->path, &st))
		it.mtime.sec = (int64_t)st.st_mtime;
	mkdir(u->cfg->reports_dir, 0755);
	snprintf(out, sizeof(out), "%s/fp-%.12s.zip", u->cfg->reports_dir,
		 h->sha256);
	errno = 0;
	err = sc_vendor_zip(&it, data, len, u->cfg->product, out, &name);
	free(data);
	if (err == SC_EOPEN && errno == EEXIST)
		ui_say(u, ROLE_WARN, "'%s' exists already", out);
	else if (err)
		ui_say(u, ROLE_DANGER, "cannot write '%s': %s", out,
		       sc_strerror(err));
	else
		ui_say(u, ROLE_OK, "vendor package: %s (password \"infected\")", out);
	free(name);
}
