/*
 * Quarantine manager (Q): the items in the quarantine store, oldest first,
 * with their date, state, "likely false positive" mark, origin and rules;
 * the selected one in short below, Enter for everything its manifest
 * holds. r restores (and then offers the allowlist), d deletes, s rescans
 * every item with the rules in use, e writes the vendor package.
 *
 * The store has a lock (another rescue process may want it), so it is
 * opened only for a moment: to list it when the screen is entered and for
 * each operation, after which the list is read again. What the store's
 * recovery did at an open is shown once, in a box.
 *
 * Everything from a manifest (paths, labels, reasons, rule names, meta)
 * is drawn with ui_put; dialogs get it through safe(), escaped.
 */
#include <curses.h>
#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "ui.h"

#define DETAIL_ROWS 5 /* heading and four lines about the selected item */
#define LW 13         /* the labels' column in the full view */

static struct {
	struct sc_quar_item **items;
	size_t n;
	int missing;            /* no store directory: nothing quarantined */
	char problem[300];      /* the store cannot be opened or listed */
	struct ui_pager *view;  /* the selected item in full, or NULL */
	int rows;               /* list rows shown: the page */
	char *recovered;        /* what the last open's recovery did */
} Q;

/*
 * Text from a manifest made safe for a dialog or the status line: control
 * bytes escaped, and every non-ASCII byte too unless the terminal shows
 * UTF-8; shortened in the middle to at most max bytes. malloc'd.
 */
static char *safe(const struct ui *u, const char *s, size_t n, size_t max)
{
	char *d = sc_display_name(s ? s : "", s ? n : 0), *o, *w;
	size_t len, head, tail;

	if (!d)
		return NULL;
	if (!u->utf8) {
		if (!(o = malloc(4 * strlen(d) + 1))) {
			free(d);
			return NULL;
		}
		w = o;
		for (const unsigned char *p = (unsigned char *)d; *p; p++)
			if (*p < 0x80)
				*w++ = (char)*p;
			else
				w += sprintf(w, "\\x%02x", *p);
		*w = '\0';
		free(d);
		d = o;
	}
	len = strlen(d);
	if (len <= max || max < 8)
		return d;
	/* Cut on character boundaries: keep the start and the name. */
	head = (max - 3) / 2;
	tail = len - (max - 3 - head);
	while (head && ((unsigned char)d[head] & 0xc0) == 0x80)
		head--;
	while (tail < len && ((unsigned char)d[tail] & 0xc0) == 0x80)
		tail++;
	memcpy(d + head, "...", 3);
	memmove(d + head + 3, d + tail, len - tail + 1);
	return d;
}

static void free_items(void)
{
	sc_quar_items_free(Q.items, Q.n);
	Q.items = NULL;
	Q.n = 0;
}

/* The lines of a recovery, for a box. malloc'd. */
static char *recovery_text(const struct ui *u,
			   const struct sc_quar_recovery *rec, size_t n)
{
	size_t cap = 160 + n * 400, len;
	char *t = malloc(cap);

	if (!t)
		return NULL;
	len = (size_t)snprintf(t, cap, "The quarantine finished or undid "
			       "what an interrupted run left (the journal, L, "
			       "has it all):");
	for (size_t i = 0; i < n; i++) {
		char *d = safe(u, rec[i].detail, strnlen(rec[i].detail,
							 sizeof(rec[i].detail)),
			       200);

		len += (size_t)snprintf(t + len, cap - len, "\n%s %s: %s (%s)",
					rec[i].op, rec[i].id, rec[i].outcome,
					d ? d : "?");
		free(d);
	}
	return t;
}

/* Shows what a recovery did, once, over the screen as it is now. */
static void show_recovery(struct ui *u)
{
	if (!Q.recovered)
		return;
	ui_redraw(u);
	ui_message(u, "Quarantine recovered", Q.recovered);
	free(Q.recovered);
	Q.recovered = NULL;
}

/*
 * Opens the store for one operation. NULL after saying why; what the
 * recovery at the open did is kept for show_recovery.
 */
static struct sc_quar *open_store(struct ui *u)
{
	const char *dir = u->cfg->quarantine_dir;
	struct sc_quar_recovery *rec = NULL;
	struct sc_quar *q = NULL;
	size_t nrec = 0;
	int err;

	errno = 0;
	err = sc_quar_open(dir, 0, &q, &rec, &nrec);
	if (err == SC_EBUSY) {
		ui_say(u, ROLE_DANGER, "the quarantine is in use by another "
		       "rescue process: try again soon");
		return NULL;
	}
	if (err) {
		ui_say(u, ROLE_DANGER, "cannot open the quarantine: %s%s%s",
		       sc_strerror(err), errno ? ": " : "",
		       errno ? strerror(errno) : "");
		return NULL;
	}
	if (nrec && !Q.recovered)
		Q.recovered = recovery_text(u, rec, nrec);
	free(rec);
	return q;
}

/* Reads the list again (the store opened and closed for it). */
static void load(struct ui *u)
{
	const char *dir = u->cfg->quarantine_dir;
	struct sc_quar *q;
	int err;

	free_items();
	Q.missing = 0;
	Q.problem[0] = '\0';
	if (access(dir, F_OK) && errno == ENOENT) {
		Q.missing = 1;
		return;
	}
	q = open_store(u);
	if (!q) {
		snprintf(Q.problem, sizeof(Q.problem), "%s", u->msg);
		return;
	}
	err = sc_quar_list(q, &Q.items, &Q.n);
	sc_quar_close(q);
	if (err) {
		Q.items = NULL;
		Q.n = 0;
		snprintf(Q.problem, sizeof(Q.problem), "cannot list the "
			 "quarantine: %s", sc_strerror(err));
	}
	show_recovery(u);
}

static void close_view(void)
{
	ui_pager_free(Q.view);
	Q.view = NULL;
}

static void enter(struct ui *u)
{
	close_view();
	load(u);
}

/* "2026-05-01 12:34" of a manifest's "2026-05-01T12:34:56Z". */
static void short_time(const char *t, char out[17])
{
	snprintf(out, 17, "%s", t ? t : "");
	if (strlen(out) > 10 && out[10] == 'T')
		out[10] = ' ';
}

static void fmt_time(int64_t sec, char out[32])
{
	time_t t = (time_t)sec;
	struct tm tm;

	if (!gmtime_r(&t, &tm) ||
	    !strftime(out, 32, "%Y-%m-%d %H:%M:%S UTC", &tm))
		snprintf(out, 32, "%lld", (long long)sec);
}

/* Appends n bytes to a growing buffer (cut at cap). */
static size_t put(char *buf, size_t len, size_t cap, const char *s, size_t n)
{
	if (len + n >= cap)
		n = len + 1 < cap ? cap - 1 - len : 0;
	memcpy(buf + len, s, n);
	buf[len + n] = '\0';
	return len + n;
}

/*
 * "ns:rule, ns:rule" of an item's detections, or only the rule names
 * (raw: drawn with ui_put).
 */
static size_t rules_of(const struct sc_quar_item *it, int ns, char *buf,
		       size_t cap)
{
	size_t len = 0;

	buf[0] = '\0';
	for (size_t k = 0; k < it->ndet; k++) {
		if (k)
			len = put(buf, len, cap, ", ", 2);
		if (ns) {
			len = put(buf, len, cap, it->det[k].ns,
				  strlen(it->det[k].ns));
			len = put(buf, len, cap, ":", 1);
		}
		len = put(buf, len, cap, it->det[k].rule,
			  strlen(it->det[k].rule));
	}
	return len;
}

static size_t count_fp(void)
{
	size_t k = 0;

	for (size_t i = 0; i < Q.n; i++)
		k += Q.items[i]->likely_fp != 0;
	return k;
}

/* The selected item in short, below the list. */
static void draw_summary(struct ui *u, const struct sc_quar_item *it, int y)
{
	char rules[1024], size[32], head[160];
	size_t n;
	int x;

	ui_heading(y++, "Item");
	ui_bytes(it->size, size);
	snprintf(head, sizeof(head), "%s  %s  %s%s  sha256 ", it->id, size,
		 sc_quar_state_name(it->state),
		 it->critical ? " (a protected system file)" : "");
	ui_printf(y, 3, COLS - 4, "%s", head);
	x = 3 + (int)strlen(head);
	ui_put(u, y++, x, COLS - 1 - x < 64 ? COLS - 1 - x : 64, it->sha256,
	       SIZE_MAX);
	ui_printf(y, 3, 6, "from");
	ui_put(u, y++, 9, COLS - 10, it->path, it->path_len);
	n = rules_of(it, 1, rules, sizeof(rules));
	ui_printf(y, 3, 6, it->ndet ? "rules" : "why");
	if (it->ndet)
		ui_put(u, y++, 9, COLS - 10, rules, n);
	else
		ui_put(u, y++, 9, COLS - 10, it->reason, SIZE_MAX);
	if (!it->rescan_time) {
		attron(ui_attr(ROLE_DIM));
		ui_printf(y, 3, COLS - 4, "not rescanned yet (s rescans every "
			  "item with the rules in use)");
		attroff(ui_attr(ROLE_DIM));
		return;
	}
	x = 3;
	if (it->likely_fp) {
		attron(ui_attr(ROLE_OK) | A_BOLD);
		ui_printf(y, x, COLS - 4, "likely a false positive:");
		attroff(ui_attr(ROLE_OK) | A_BOLD);
		x += 25;
		ui_printf(y, x, COLS - x - 1, "no longer detected by ");
		x += 22;
	} else {
		ui_printf(y, x, COLS - 4, "%s by ", it->rescan_detected
			  ? "still detected" : "not detected");
		x += it->rescan_detected ? 18 : 16;
	}
	x += ui_put(u, y, x, COLS - x - 14, it->rescan_defs, SIZE_MAX);
	ui_printf(y, x, COLS - x - 1, " (");
	x += 2;
	x += ui_put(u, y, x, 10, it->rescan_time, strnlen(it->rescan_time, 10));
	ui_printf(y, x, COLS - x - 1, ")");
}

static void draw_list(struct ui *u)
{
	struct ui_list *l = &u->list[UI_QUARANTINE];
	int y = ui_body_top(), rows = ui_body_rows() - 2 - DETAIL_ROWS;
	int xp = 2 + 16 + 1 + 11 + 1 + 3 + 1, wr, wp;
	char head[160], when[17], rules[1024];
	size_t fp = count_fp();

	Q.rows = rows;
	if (Q.missing || (!Q.n && !Q.problem[0])) {
		ui_heading(y++, "The quarantine is empty");
		ui_printf(++y, 3, COLS - 4, "%s", Q.missing
			  ? "No file has been quarantined here yet (the store "
			    "is made at the first one):"
			  : "No items in the store:");
		ui_put(u, ++y, 5, COLS - 6, u->cfg->quarantine_dir, SIZE_MAX);
		return;
	}
	if (Q.problem[0]) {
		ui_heading(y++, "Quarantine");
		attron(ui_attr(ROLE_DANGER));
		ui_put(u, ++y, 3, COLS - 4, Q.problem, SIZE_MAX);
		attroff(ui_attr(ROLE_DANGER));
		ui_put(u, ++y, 5, COLS - 6, u->cfg->quarantine_dir, SIZE_MAX);
		return;
	}
	snprintf(head, sizeof(head), "%zu %s, oldest first", Q.n,
		 Q.n == 1 ? "item" : "items");
	if (fp)
		snprintf(head + strlen(head), sizeof(head) - strlen(head),
			 "; %zu likely false %s (FP?)", fp,
			 fp == 1 ? "positive" : "positives");
	ui_heading(y++, head);
	wr = (COLS - 1 - xp) / 3;
	wp = COLS - 1 - xp - wr - 1;
	ui_list_fit(l, Q.n, rows);
	for (size_t i = l->top; i < Q.n && y < ui_body_top() + 1 + rows;
	     i++, y++) {
		const struct sc_quar_item *it = Q.items[i];
		int cur = i == l->sel;
		int role = it->state == SC_QUAR_PENDING ? ROLE_WARN : ROLE_NORMAL;
		size_t n;

		attron(ui_attr(cur ? ROLE_SELECTED : role));
		mvhline(y, 1, ' ', COLS - 2);
		short_time(it->time, when);
		ui_put(u, y, 2, 16, when, SIZE_MAX);
		ui_printf(y, 19, 11, "%s", sc_quar_state_name(it->state));
		if (it->likely_fp) {
			if (!cur)
				attron(ui_attr(ROLE_OK) | A_BOLD);
			ui_printf(y, 31, 3, "FP?");
			if (!cur)
				attroff(ui_attr(ROLE_OK) | A_BOLD);
			attron(ui_attr(cur ? ROLE_SELECTED : role));
		}
		ui_put(u, y, xp, wp, it->path, it->path_len);
		n = rules_of(it, 0, rules, sizeof(rules));
		if (it->ndet)
			ui_put(u, y, xp + wp + 1, wr, rules, n);
		else
			ui_put(u, y, xp + wp + 1, wr, it->reason, SIZE_MAX);
		attroff(ui_attr(cur ? ROLE_SELECTED : role));
	}
	draw_summary(u, Q.items[l->sel],
		     ui_body_top() + ui_body_rows() - DETAIL_ROWS);
}

/* A line "key: value" with a raw value (a path, a label). */
static void kv(struct ui_pager *p, const char *key, const char *val, size_t n)
{
	char *line;

	if (!val)
		val = "";
	if (n == SIZE_MAX)
		n = strlen(val);
	if (!(line = malloc(LW + 1 + n))) {
		ui_pager_addf(p, "%s", key);
		return;
	}
	snprintf(line, LW + 1, "%-*s", LW, key);
	memcpy(line + LW, val, n);
	ui_pager_add(p, line, LW + n);
	free(line);
}

/* A value put together from manifest strings (cut at its size). */
struct val {
	char s[1200];
	size_t n;
};

static void vf(struct val *v, const char *fmt, ...)
	__attribute__((format(printf, 2, 3)));

static void vf(struct val *v, const char *fmt, ...)
{
	va_list ap;
	int r;

	if (v->n + 1 >= sizeof(v->s))
		return;
	va_start(ap, fmt);
	r = vsnprintf(v->s + v->n, sizeof(v->s) - v->n, fmt, ap);
	va_end(ap);
	if (r > 0)
		v->n = v->n + (size_t)r < sizeof(v->s) ? v->n + (size_t)r
						       : sizeof(v->s) - 1;
}

/* A manifest string that may be missing. */
static const char *str(const char *s)
{
	return s ? s : "";
}

static void view_detections(struct ui_pager *p, const struct sc_quar_item *it)
{
	char t[32];

	if (!it->ndet)
		ui_pager_addf(p, "%-*s%s", LW, "detections:", "none recorded");
	for (size_t k = 0; k < it->ndet; k++) {
		const struct sc_quar_detection *d = &it->det[k];
		struct val v = { "", 0 };

		vf(&v, "%s:%s", str(d->ns), str(d->rule));
		kv(p, "detection:", v.s, v.n);
		v.n = 0;
		vf(&v, "  set %s", str(d->set));
		if (d->set_version)
			vf(&v, " version %llu", (unsigned long long)d->set_version);
		if (d->set_created) {
			fmt_time(d->set_created, t);
			vf(&v, " of %.10s", t);
		}
		kv(p, "", v.s, v.n);
		for (size_t m = 0; m < d->nmeta; m++) {
			const struct sc_meta *me = &d->meta[m];

			v.n = 0;
			if (me->type == SC_META_STRING)
				vf(&v, "  %s = %s", str(me->key), str(me->str));
			else if (me->type == SC_META_BOOLEAN)
				vf(&v, "  %s = %s", str(me->key),
				   me->num ? "true" : "false");
			else
				vf(&v, "  %s = %lld", str(me->key),
				   (long long)me->num);
			kv(p, "", v.s, v.n);
		}
	}
}

/* Everything the manifest holds, as "rescue quarantine show" prints it. */
static void build_view(const struct sc_quar_item *it)
{
	struct ui_pager *p = ui_pager_new();
	struct val v = { "", 0 };
	char t[32];

	Q.view = p;
	if (!p)
		return;
	ui_pager_addf(p, "%-*s%s", LW, "id:", it->id);
	ui_pager_addf(p, "%-*s%s%s", LW, "state:", sc_quar_state_name(it->state),
		      it->state == SC_QUAR_KEPT
			      ? " (the original was left in place)"
		      : it->state == SC_QUAR_PENDING
			      ? " (interrupted: settled when its volume is here)"
			      : "");
	kv(p, "quarantined:", it->time, SIZE_MAX);
	kv(p, "reason:", it->reason, SIZE_MAX);
	if (it->critical)
		ui_pager_addf(p, "%-*s%s", LW, "critical:", "a protected system "
			      "file (quarantined with force)");
	kv(p, "path:", it->path, it->path_len);
	vf(&v, "%s %s", str(it->device), str(it->fstype));
	if (*str(it->label))
		vf(&v, " \"%s\"", it->label);
	kv(p, "volume:", v.s, v.n);
	kv(p, "  uuid:", *str(it->uuid) ? it->uuid : "-", SIZE_MAX);
	if (*str(it->mountpoint))
		kv(p, "  mounted:", it->mountpoint, SIZE_MAX);
	if (*str(it->disk) || *str(it->serial)) {
		v.n = 0;
		vf(&v, "%s%s%s", str(it->disk), *str(it->serial) ? ", serial " : "",
		   str(it->serial));
		kv(p, "  disk:", v.s, v.n);
	}
	if (it->partition) {
		v.n = 0;
		vf(&v, "%u", it->partition);
		if (*str(it->part_uuid))
			vf(&v, " (%s)", it->part_uuid);
		kv(p, "  partition:", v.s, v.n);
	}
	if (it->vpath_len) {
		v.s[0] = '/';
		v.n = it->vpath_len < sizeof(v.s) - 1 ? it->vpath_len
						      : sizeof(v.s) - 1;
		memcpy(v.s + 1, it->vpath, v.n);
		kv(p, "in volume:", v.s, v.n + 1);
	} else {
		kv(p, "in volume:", "(not recorded)", SIZE_MAX);
	}
	ui_bytes(it->size, t);
	ui_pager_addf(p, "%-*s%llu bytes (%s)", LW, "size:",
		      (unsigned long long)it->size, t);
	kv(p, "sha256:", it->sha256, SIZE_MAX);
	kv(p, "sha1:", it->sha1, SIZE_MAX);
	kv(p, "md5:", it->md5, SIZE_MAX);
	ui_pager_addf(p, "%-*s%04o, owner %u:%u", LW, "mode:",
		      (unsigned)(it->mode & 07777), it->uid, it->gid);
	fmt_time(it->mtime.sec, t);
	ui_pager_addf(p, "%-*s%s (%lld.%09ld)", LW, "mtime:", t,
		      (long long)it->mtime.sec, it->mtime.nsec);
	fmt_time(it->atime.sec, t);
	ui_pager_addf(p, "%-*s%s", LW, "atime:", t);
	fmt_time(it->ctime.sec, t);
	ui_pager_addf(p, "%-*s%s", LW, "ctime:", t);
	if (it->has_ntfs_attrib)
		ui_pager_addf(p, "%-*s0x%08x", LW, "NTFS attrs:", it->ntfs_attrib);
	for (size_t i = 0; i < it->nxattr; i++) {
		v.n = 0;
		vf(&v, "%s (%zu bytes)", str(it->xattr[i].name), it->xattr[i].len);
		kv(p, "xattr:", v.s, v.n);
	}
	view_detections(p, it);
	if (it->rescan_time) {
		v.n = 0;
		vf(&v, "%s with %s: %s", it->rescan_time, str(it->rescan_defs),
		   it->rescan_detected ? "still detected"
		   : it->likely_fp     ? "no longer detected: likely a false "
					 "positive"
				       : "not detected");
		kv(p, "rescan:", v.s, v.n);
	} else {
		ui_pager_addf(p, "%-*s%s", LW, "rescan:", "not yet (s rescans "
			      "every item)");
	}
}

static void draw(struct ui *u)
{
	int y = ui_body_top();
	const struct sc_quar_item *it;

	if (!Q.view || !Q.n) {
		draw_list(u);
		return;
	}
	it = Q.items[u->list[UI_QUARANTINE].sel];
	attron(ui_attr(ROLE_HEADING));
	mvprintw(y, 1, "Item %s in full", it->id);
	attroff(ui_attr(ROLE_HEADING));
	attron(ui_attr(ROLE_DIM));
	ui_printf(y, COLS - 34, 33, "q: back to the list");
	attroff(ui_attr(ROLE_DIM));
	ui_pager_draw(u, Q.view, y + 1, ui_body_rows() - 1);
}

/* --- operations ---------------------------------------------------------- */

/*
 * Adds the restored item to the allowlist, as "rescue quarantine restore
 * --allow" does: one entry per detection (its rule), or one for any rule.
 * The list is the UI's own (u->allow), saved at once; a list file that
 * cannot be read is left alone. 0, or -1 with why in said.
 */
static int allow_item(struct ui *u, const struct sc_quar_item *it,
		      char *said, size_t n)
{
	char user[64], id[17], note[96], (*added)[17];
	size_t nadded = 0, k, want = it->ndet ? it->ndet : 1;
	int err = SC_OK;

	if (!u->allow) {
		struct sc_allow *a;

		err = sc_allow_load(u->cfg->allowlist, &a);
		if (err) {
			snprintf(said, n, "The allowlist cannot be read (%s): "
				 "it is left as it is, and the file is not "
				 "allowed. Fix the list, then allow the file "
				 "from the results (w).",
				 err == SC_EFORMAT ? "not a valid list; damaged?"
						   : sc_strerror(err));
			return -1;
		}
		u->allow = a;
	}
	if (!(added = calloc(want, sizeof(*added)))) {
		snprintf(said, n, "Not added to the allowlist: out of memory.");
		return -1;
	}
	sc_storm_user(user, sizeof(user));
	snprintf(note, sizeof(note), "restored from quarantine %s as a false "
		 "positive", it->id);
	for (k = 0; !err && k < want; k++) {
		char rule[512] = "";
		size_t before = u->allow->n;

		if (it->ndet)
			snprintf(rule, sizeof(rule), "%s:%s", it->det[k].ns,
				 it->det[k].rule);
		err = sc_allow_add(u->allow, it->sha256, it->ndet ? rule : NULL,
				   note, user, id);
		if (!err && u->allow->n > before)
			memcpy(added[nadded++], id, sizeof(id));
	}
	if (!err)
		err = sc_allow_save(u->allow, u->cfg->allowlist);
	if (err) {
		/* Take back what was not saved: the list shows the file. */
		for (k = 0; k < nadded; k++)
			sc_allow_remove(u->allow, added[k]);
		snprintf(said, n, "Not added to the allowlist: it cannot be "
			 "saved (%s).", sc_strerror(err));
	}
	free(added);
	return err ? -1 : 0;
}

/* The refusal that --overwrite answers (sc_quar_restore's sentence). */
static int different_file(const struct sc_quar_result *res)
{
	return res->where && strstr(res->why, "a different file is at");
}

static void restore(struct ui *u, const struct sc_quar_item *it)
{
	struct sc_quar_restore_opts o = { NULL, 0 };
	struct sc_quar_result res;
	struct sc_quar *q;
	char question[256], why[300], *p, *w;
	char id[sizeof(it->id)];
	int err;

	snprintf(id, sizeof(id), "%s", it->id);
	/* Two lines of the dialog at most: the list has the whole path. */
	p = safe(u, it->path, it->path_len, 50);
	snprintf(question, sizeof(question), "Restore %s to %s?", id,
		 p ? p : "its place");
	free(p);
	if (!ui_confirm(u, question, "It is put back byte-exact, with its "
			"mode, owner and times, on the volume it came from, "
			"and leaves the quarantine.")) {
		ui_say(u, ROLE_NORMAL, "%s stays in the quarantine", id);
		return;
	}
	if (!(q = open_store(u)))
		return;
	err = sc_quar_restore(q, id, &o, &res);
	if (err && different_file(&res)) {
		/* Not holding the store's lock while the question waits. */
		sc_quar_close(q);
		q = NULL;
		w = safe(u, res.where, strlen(res.where), 50);
		snprintf(question, sizeof(question), "Replace the different "
			 "file now at %s?", w ? w : "its place");
		free(w);
		ui_redraw(u);
		if (!ui_confirm(u, question, "The file there now is copied into "
				"the quarantine first, so it can be put back.")) {
			sc_quar_result_free(&res);
			ui_say(u, ROLE_NORMAL, "%s not restored: a different file "
			       "is in its place (nothing changed)", id);
			show_recovery(u);
			return;
		}
		sc_quar_result_free(&res);
		if (!(q = open_store(u)))
			return;
		o.overwrite = 1;
		err = sc_quar_restore(q, id, &o, &res);
	}
	sc_quar_close(q);
	if (err) {
		w = safe(u, res.why[0] ? res.why : sc_strerror(err),
			 res.why[0] ? strlen(res.why) : strlen(sc_strerror(err)),
			 600);
		ui_say(u, ROLE_DANGER, "%s not restored", id);
		ui_redraw(u);
		ui_message(u, "Not restored", w ? w : "refused");
		free(w);
		sc_quar_result_free(&res);
		load(u);
		return;
	}
	ui_say(u, ROLE_OK, "restored %s to '%s'", id, res.where);
	ui_redraw(u);
	if (res.displaced || res.why[0]) {
		char text[800];

		w = safe(u, res.why, strlen(res.why), 500);
		snprintf(text, sizeof(text), "%s%s%s%s",
			 res.displaced ? "The file that was in its place is "
					 "kept in the quarantine as " : "",
			 res.displaced ? res.displaced : "",
			 res.displaced ? ". " : "", w ? w : "");
		free(w);
		ui_message(u, "Restored", text);
	}
	/* it is still valid: the list is read again only below. */
	ui_redraw(u);
	if (!ui_confirm(u, "Was it a false positive? Always allow this file?",
			it->ndet ? "Later scans then report it as allowed (with "
				   "the entry) for the rules that detected it, "
				   "not as found."
				 : "Later scans then report it as allowed (with "
				   "the entry) for any rule, not as found.")) {
		ui_say(u, ROLE_OK, "restored %s, not added to the allowlist: "
		       "now at '%s'", id, res.where);
	} else if (allow_item(u, it, why, sizeof(why))) {
		ui_redraw(u);
		ui_message(u, "Allowlist not changed", why);
		ui_say(u, ROLE_WARN, "restored %s, but not allowed: now at '%s'",
		       id, res.where);
	} else {
		ui_say(u, ROLE_OK, "restored %s and always allowed: now at '%s'",
		       id, res.where);
	}
	sc_quar_result_free(&res);
	load(u);
}

static void delete_item(struct ui *u, const struct sc_quar_item *it)
{
	char id[sizeof(it->id)], question[128], detail[256], *p;
	struct sc_quar *q;
	int err;

	snprintf(id, sizeof(id), "%s", it->id);
	if (it->state == SC_QUAR_PENDING) {
		ui_say(u, ROLE_WARN, "%s: its move was interrupted and is not "
		       "settled (its volume is not here to check); not deleted",
		       id);
		return;
	}
	snprintf(question, sizeof(question), "Delete %s for good?", id);
	p = safe(u, it->path, it->path_len, 120);
	snprintf(detail, sizeof(detail), "This cannot be undone: the file "
		 "(from %s) cannot be restored afterwards.", p ? p : "?");
	free(p);
	if (!ui_confirm(u, question, detail)) {
		ui_say(u, ROLE_NORMAL, "%s kept", id);
		return;
	}
	if (!(q = open_store(u)))
		return;
	err = sc_quar_delete(q, id);
	sc_quar_close(q);
	if (err)
		ui_say(u, ROLE_DANGER, "cannot delete %s: %s", id,
		       sc_strerror(err));
	else
		ui_say(u, ROLE_OK, "deleted %s", id);
	load(u);
}

struct rescan_ctx {
	size_t done, total;
};

static void on_rescanned(const struct sc_quar_item *it, void *ctx)
{
	struct rescan_ctx *c = ctx;

	(void)it;
	c->done++;
	attrset(ui_attr(ROLE_NORMAL));
	mvhline(LINES - 2, 0, ' ', COLS);
	mvprintw(LINES - 2, 1, "rescanning the quarantine: %zu of %zu", c->done,
		 c->total);
	refresh();
}

static void rescan(struct ui *u)
{
	size_t nsets = sc_rules_set_count(u->cfg->rules), len = 0, fp;
	struct rescan_ctx c = { 0, Q.n };
	char defs[256] = "";
	struct sc_quar *q;
	int err;

	if (!u->cfg->rules || !nsets) {
		ui_say(u, ROLE_WARN, "no rules loaded: nothing to rescan with");
		return;
	}
	if (!Q.n) {
		ui_say(u, ROLE_NORMAL, "the quarantine is empty: nothing to "
		       "rescan");
		return;
	}
	/* As the manifests record it: "core v2, shop v1, local". */
	for (size_t i = 0; i < nsets && len + 48 < sizeof(defs); i++) {
		const struct sc_rules_set *s = sc_rules_set(u->cfg->rules, i);

		len += (size_t)snprintf(defs + len, sizeof(defs) - len,
					s->version ? "%s%s v%llu" : "%s%s",
					i ? ", " : "", s->name,
					(unsigned long long)s->version);
	}
	if (!(q = open_store(u)))
		return;
	ui_say(u, ROLE_NORMAL, "rescanning %zu items with %s...", Q.n, defs);
	ui_redraw(u);
	err = sc_quar_rescan(q, u->cfg->rules, defs, 60, on_rescanned, &c);
	sc_quar_close(q);
	close_view();
	load(u);
	fp = count_fp();
	if (err)
		ui_say(u, ROLE_DANGER, "rescan incomplete (%zu of %zu): %s",
		       c.done, c.total, sc_strerror(err));
	else
		ui_say(u, fp ? ROLE_OK : ROLE_NORMAL, "rescanned %zu %s with %s: "
		       "%zu likely false %s%s", c.done,
		       c.done == 1 ? "item" : "items", defs, fp,
		       fp == 1 ? "positive" : "positives",
		       fp ? " (marked FP?)" : "");
}

/* The vendor package of an item, into the reports directory. */
static void export(struct ui *u, const struct sc_quar_item *sel)
{
	struct sc_quar_item *it = NULL;
	unsigned char *data = NULL;
	char out[600], *name = NULL;
	struct sc_quar *q;
	size_t len = 0;
	int err;

	if (!u->cfg->reports_dir) {
		ui_say(u, ROLE_WARN, "no reports directory (no RESCUEDATA "
		       "partition): no vendor package");
		return;
	}
	if (!(q = open_store(u)))
		return;
	err = sc_quar_get(q, sel->id, &it);
	if (!err)
		err = sc_quar_payload(q, it, &data, &len);
	sc_quar_close(q);
	show_recovery(u);
	if (err) {
		ui_say(u, ROLE_DANGER, "cannot read the payload of %s: %s", sel->id,
		       err == SC_EFORMAT ? "it does not match its SHA-256"
					 : sc_strerror(err));
		sc_quar_item_free(it);
		return;
	}
	mkdir(u->cfg->reports_dir, 0755);
	snprintf(out, sizeof(out), "%s/fp-%s.zip", u->cfg->reports_dir, it->id);
	errno = 0;
	err = sc_vendor_zip(it, data, len, u->cfg->product, out, &name);
	if (err == SC_EOPEN && errno == EEXIST)
		ui_say(u, ROLE_WARN, "'%s' exists already (remove it to write "
		       "it again)", out);
	else if (err)
		ui_say(u, ROLE_DANGER, "cannot write '%s': %s%s%s", out,
		       sc_strerror(err), errno ? ": " : "",
		       errno ? strerror(errno) : "");
	else
		ui_say(u, ROLE_OK, "vendor package: %s (password \"%s\")", out,
		       SC_ZIP_PASSWORD);
	free(name);
	free(data);
	sc_quar_item_free(it);
}

static int act(struct ui *u, enum ui_act a)
{
	struct ui_list *l = &u->list[UI_QUARANTINE];
	const struct sc_quar_item *it;

	if (l->sel >= Q.n)
		l->sel = Q.n ? Q.n - 1 : 0;
	it = Q.n ? Q.items[l->sel] : NULL;
	if (Q.view) {
		if (ui_pager_move(Q.view, a, ui_body_rows() - 1))
			return 1;
		if (a == A_BACK || a == A_ENTER) {
			close_view();
			return 1;
		}
	} else if (ui_list_move(l, a, Q.n, Q.rows)) {
		return 1;
	}
	switch (a) {
	case A_ENTER:
	case A_RESTORE:
	case A_DELETE:
	case A_EXPORT:
		if (!it) {
			ui_say(u, ROLE_NORMAL, "the quarantine is empty");
			return 1;
		}
		break;
	case A_RESCAN:
		rescan(u);
		return 1;
	case A_BACK:
		close_view();
		free_items();
		return 0;
	default:
		return 0;
	}
	switch (a) {
	case A_ENTER:
		build_view(it);
		break;
	case A_RESTORE:
		close_view();
		restore(u, it);
		break;
	case A_DELETE:
		close_view();
		delete_item(u, it);
		break;
	default:
		export(u, it);
		break;
	}
	return 1;
}

const struct ui_screen ui_quarantine = { "Quarantine", enter, draw, act };
