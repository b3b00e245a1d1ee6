/*
 * Results: the scan's detections, one line per file or boot area, with the
 * action planned for each ([Q] quarantine, [I] ignore once, [A] always
 * allow) and its state (HELD by the FP-storm guard, ALLOWED by the
 * allowlist, done or failed after the plan was applied). f filters, o
 * orders, u/i/w/c plan, Enter shows one in full, P reviews the plan. Tab
 * shows what was not scanned and why: "not scanned" must never pass for
 * "clean".
 */
#include <curses.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "ui.h"

static const char *const filter_name[] = { "all", "to act on", "held",
					   "allowed" };
static const char *const sort_name[] = { "path", "rule", "severity" };

/* Not yet dealt with: not held, not allowed, no successful action. */
static int to_act_on(const struct ui_hit *h)
{
	return !h->held && !h->allowed && !(h->outcome && h->outcome_ok);
}

static int shown(const struct ui *u, const struct ui_hit *h)
{
	switch (u->filter) {
	case 1: return to_act_on(h);
	case 2: return h->held;
	case 3: return h->allowed;
	default: return 1;
	}
}

/* The hits shown, filtered and ordered: indexes into u->hits. */
static size_t *view;
static size_t nview;
static const struct ui *sort_ui; /* for the comparison */

static int cmp_path(const struct ui_hit *a, const struct ui_hit *b)
{
	size_t n = a->len < b->len ? a->len : b->len;
	int c = memcmp(a->path, b->path, n);

	if (c || a->len != b->len)
		return c ? c : a->len < b->len ? -1 : 1;
	return strcmp(a->area ? a->area : "", b->area ? b->area : "");
}

static int cmp_rule(const struct ui_hit *a, const struct ui_hit *b)
{
	int c;

	if (!a->ndet || !b->ndet)
		return (int)!a->ndet - (int)!b->ndet;
	c = strcmp(a->det[0].rule, b->det[0].rule);
	return c ? c : strcmp(a->det[0].ns, b->det[0].ns);
}

static int cmp(const void *pa, const void *pb)
{
	size_t ia = *(const size_t *)pa, ib = *(const size_t *)pb;
	const struct ui_hit *a = &sort_ui->hits[ia], *b = &sort_ui->hits[ib];
	int c = 0;

	if (sort_ui->sort == 2 && a->severity != b->severity)
		return a->severity > b->severity ? -1 : 1;
	if (sort_ui->sort == 1)
		c = cmp_rule(a, b);
	if (!c)
		c = cmp_path(a, b);
	return c ? c : ia < ib ? -1 : ia > ib;
}

static void build(struct ui *u)
{
	size_t *v = realloc(view, (u->nhits + 1) * sizeof(*v));

	nview = 0;
	if (!v)
		return;
	view = v;
	for (size_t i = 0; i < u->nhits; i++)
		if (shown(u, &u->hits[i]))
			view[nview++] = i;
	sort_ui = u;
	qsort(view, nview, sizeof(*view), cmp);
}

/* The hit under the cursor, or SIZE_MAX. */
static size_t current(const struct ui *u)
{
	const struct ui_list *l = &u->list[UI_RESULTS];

	return nview ? view[l->sel < nview ? l->sel : nview - 1] : SIZE_MAX;
}

/* Puts the cursor back on hit i after the view changed (if shown). */
static void follow(struct ui *u, size_t i)
{
	for (size_t r = 0; r < nview; r++)
		if (view[r] == i) {
			u->list[UI_RESULTS].sel = r;
			return;
		}
	u->list[UI_RESULTS].sel = 0;
}

/* Severity: the number, else the first detection's text ("test"). */
static void severity(const struct ui_hit *h, char out[16])
{
	snprintf(out, 16, "-");
	if (h->severity) {
		snprintf(out, 16, "%d", h->severity);
		return;
	}
	for (size_t k = 0; k < h->ndet; k++)
		for (size_t m = 0; m < h->det[k].nmeta; m++)
			if (!strcmp(h->det[k].meta[m].key, "severity") &&
			    h->det[k].meta[m].type == SC_META_STRING) {
				snprintf(out, 16, "%s", h->det[k].meta[m].str);
				return;
			}
}

static void state(const struct ui_hit *h, const char **text, int *role)
{
	*text = "";
	*role = ROLE_NORMAL;
	/* Allowed wins: the allowlist settles it, held or not. */
	if (h->allowed) {
		*text = "ALLOWED";
		*role = ROLE_OK;
	} else if (h->held) {
		*text = "HELD";
		*role = ROLE_WARN;
	} else if (h->outcome) {
		*text = h->outcome_ok ? "done" : "FAILED";
		*role = h->outcome_ok ? ROLE_OK : ROLE_DANGER;
	}
}

/* Column positions for the current width. */
struct cols {
	int mark, state, sev, rule, rw, set, sw, path, pw;
};

static struct cols columns(void)
{
	struct cols c;
	int w = COLS - 2;

	c.mark = 1;
	c.state = 5;
	c.sev = 13;
	c.rule = 18;
	c.rw = COLS * 3 / 10;
	c.rw = c.rw < 24 ? 24 : c.rw > 40 ? 40 : c.rw;
	c.sw = COLS >= 100 ? 12 : 8;
	if (COLS < 80) {
		/* Narrower than the minimum: the name goes first. */
		c.rw = COLS / 5;
		c.sw = 0;
	}
	c.set = c.rule + c.rw + 1;
	c.path = c.set + (c.sw ? c.sw + 1 : 0);
	c.pw = w + 1 - c.path;
	return c;
}

static void draw_hit(struct ui *u, int y, const struct ui_hit *h, int cur,
		     const struct cols *c)
{
	const char *st;
	int role, n;
	char sev[16], set[40];

	state(h, &st, &role);
	severity(h, sev);
	if (cur) {
		attron(ui_attr(ROLE_SELECTED));
		mvhline(y, 1, ' ', COLS - 2);
	}
	ui_printf(y, c->mark, 3, "%s", ui_plan_mark(h->plan));
	/* The state keeps its colour only off the cursor line, where the
	 * selection colour would be lost; the word says it either way. */
	if (!cur && *st)
		attron(ui_attr(role));
	ui_printf(y, c->state, 7, "%s", st);
	if (!cur && *st)
		attroff(ui_attr(role));
	ui_put(u, y, c->sev, 4, sev, SIZE_MAX);
	if (h->ndet) {
		n = ui_put(u, y, c->rule, h->ndet > 1 ? c->rw - 4 : c->rw,
			   h->det[0].rule, SIZE_MAX);
		if (h->ndet > 1)
			ui_printf(y, c->rule + n, 4, " +%zu", h->ndet - 1);
		if (h->det[0].set_version)
			snprintf(set, sizeof(set), "%s v%llu", h->det[0].set,
				 (unsigned long long)h->det[0].set_version);
		else
			snprintf(set, sizeof(set), "%s", h->det[0].set);
		ui_put(u, y, c->set, c->sw, set, SIZE_MAX);
	}
	ui_put_hit(u, y, c->path, c->pw, h);
	if (cur)
		attroff(ui_attr(ROLE_SELECTED));
}

/* Rows of the list: summary, options, header above; the full name below. */
static int hit_rows(void)
{
	return ui_body_rows() - 4;
}

/* Prints a piece of a line at *x in role, and moves *x past it. */
static void piece(int y, int *x, int role, const char *fmt, ...)
	__attribute__((format(printf, 4, 5)));

static void piece(int y, int *x, int role, const char *fmt, ...)
{
	char buf[160];
	va_list ap;
	int w = COLS - 1 - *x;

	if (w <= 0)
		return;
	va_start(ap, fmt);
	vsnprintf(buf, sizeof(buf), fmt, ap);
	va_end(ap);
	attron(ui_attr(role));
	mvaddnstr(y, *x, buf, w);
	attroff(ui_attr(role));
	*x += (int)strlen(buf) < w ? (int)strlen(buf) : w;
}

static void draw_summary(struct ui *u, int y)
{
	size_t held = 0, allowed = 0, act = 0, planned = 0;
	int x = 1;

	for (size_t i = 0; i < u->nhits; i++) {
		held += (size_t)u->hits[i].held;
		allowed += (size_t)u->hits[i].allowed;
		act += (size_t)to_act_on(&u->hits[i]);
		planned += u->hits[i].plan != PLAN_NONE;
	}
	piece(y, &x, ROLE_NORMAL, "%zu detected: ", u->nhits);
	piece(y, &x, act ? ROLE_DANGER : ROLE_NORMAL, "%zu to act on", act);
	piece(y, &x, ROLE_NORMAL, ", ");
	piece(y, &x, held ? ROLE_WARN : ROLE_NORMAL, "%zu HELD", held);
	piece(y, &x, ROLE_NORMAL, ", ");
	piece(y, &x, allowed ? ROLE_OK : ROLE_NORMAL, "%zu allowed", allowed);
	piece(y, &x, ROLE_NORMAL, ", %zu planned; ", planned);
	piece(y, &x, u->nskips ? ROLE_WARN : ROLE_NORMAL, "%zu not scanned",
	      u->nskips);
	if (u->canceled)
		piece(y, &x, ROLE_WARN, " (scan cancelled: partial)");
}

static void draw_hits(struct ui *u)
{
	struct ui_list *l = &u->list[UI_RESULTS];
	int y = ui_body_top(), rows = hit_rows();
	int bottom = ui_body_top() + ui_body_rows() - 1;
	struct cols c = columns();

	draw_summary(u, y++);
	ui_printf(y++, 1, COLS - 2, "Showing %s (f), ordered by %s (o); Tab: "
		  "not scanned; P: the plan", filter_name[u->filter],
		  sort_name[u->sort]);
	attron(ui_attr(ROLE_HEADING));
	mvhline(y, 1, ' ', COLS - 2);
	ui_printf(y, c.mark, 3, "do");
	ui_printf(y, c.state, 7, "state");
	ui_printf(y, c.sev, 4, "sev");
	ui_printf(y, c.rule, c.rw, "rule");
	ui_printf(y, c.set, c.sw, "set");
	ui_printf(y, c.path, c.pw, "file or boot area");
	attroff(ui_attr(ROLE_HEADING));
	y++;
	if (!nview) {
		ui_printf(y + 1, 3, COLS - 4, "%s", !u->nhits
			  ? "No detections: every file scanned is clean (Tab "
			    "lists what was not scanned)."
			  : "None shown with this filter: f changes it.");
		return;
	}
	ui_list_fit(l, nview, rows);
	for (size_t r = l->top; r < nview && r < l->top + (size_t)rows; r++)
		draw_hit(u, y++, &u->hits[view[r]], r == l->sel, &c);
	/* The selected line in full (names are shortened in the list). */
	attron(ui_attr(ROLE_DIM));
	ui_printf(bottom, 1, 10, "%zu/%zu", l->sel + 1, nview);
	attroff(ui_attr(ROLE_DIM));
	ui_put_hit(u, bottom, 11, COLS - 12, &u->hits[view[l->sel]]);
}

/* --- the not-scanned list --- */
static struct ui_list skl;

static void draw_skips(struct ui *u)
{
	int y = ui_body_top(), rows = ui_body_rows() - 5;
	int bottom = ui_body_top() + ui_body_rows() - 1;
	const struct ui_skip *k;
	char size[32];

	ui_printf(y++, 1, COLS - 2, "Not scanned: %zu item%s. Each is a file "
		  "or area whose content was not checked.", u->nskips,
		  u->nskips == 1 ? "" : "s");
	ui_printf(y++, 1, COLS - 2, "Tab: back to the detections (%zu)",
		  u->nhits);
	attron(ui_attr(ROLE_HEADING));
	mvhline(y, 1, ' ', COLS - 2);
	ui_printf(y, 1, 16, "reason");
	ui_printf(y, 18, 10, "size");
	ui_printf(y, 29, COLS - 30, "file or area");
	attroff(ui_attr(ROLE_HEADING));
	y++;
	if (!u->nskips) {
		ui_printf(y + 1, 3, COLS - 4, "Everything found was scanned.");
		return;
	}
	ui_list_fit(&skl, u->nskips, rows);
	for (size_t i = skl.top; i < u->nskips && i < skl.top + (size_t)rows;
	     i++, y++) {
		int cur = i == skl.sel, n;

		k = &u->skips[i];
		if (cur) {
			attron(ui_attr(ROLE_SELECTED));
			mvhline(y, 1, ' ', COLS - 2);
		}
		ui_printf(y, 1, 16, "%s", sc_reason_name(k->reason));
		if (k->size) {
			ui_bytes(k->size, size);
			ui_printf(y, 18, 10, "%s", size);
		}
		if (k->area) {
			n = ui_put(u, y, 29, COLS - 30, k->area, SIZE_MAX);
			if (COLS - 30 - n > 4) {
				mvaddstr(y, 29 + n, " of ");
				ui_put(u, y, 33 + n, COLS - 34 - n, k->path,
				       k->len);
			}
		} else {
			ui_put(u, y, 29, COLS - 30, k->path, k->len);
		}
		if (cur)
			attroff(ui_attr(ROLE_SELECTED));
	}
	/* The selected one: its name in full, why, and the detail. */
	k = &u->skips[skl.sel];
	ui_put(u, bottom - 2, 1, COLS - 2, k->path, k->len);
	attron(ui_attr(ROLE_WARN));
	ui_printf(bottom - 1, 1, COLS - 2, "%s", sc_reason_text(k->reason));
	attroff(ui_attr(ROLE_WARN));
	if (k->detail)
		ui_put(u, bottom, 1, COLS - 2, k->detail, SIZE_MAX);
}

static void draw(struct ui *u)
{
	if (!u->scanned) {
		ui_printf(ui_body_top() + 1, 2, COLS - 4, "No scan has been "
			  "run yet: on the home screen, s chooses what to "
			  "scan and starts.");
		return;
	}
	if (u->tab) {
		draw_skips(u);
		return;
	}
	build(u);
	draw_hits(u);
}

static int act_skips(struct ui *u, enum ui_act a)
{
	if (ui_list_move(&skl, a, u->nskips, ui_body_rows() - 5))
		return 1;
	switch (a) {
	case A_TAB:
		u->tab = 0;
		return 1;
	case A_PLAN:
		ui_push(u, UI_PLAN);
		return 1;
	case A_ENTER: case A_QUARANTINE: case A_IGNORE: case A_ALLOW:
	case A_CLEAR: case A_FILTER: case A_SORT:
		ui_say(u, ROLE_NORMAL, "these keys act on the detections: Tab "
		       "goes back to them");
		return 1;
	default:
		return 0;
	}
}

static int act(struct ui *u, enum ui_act a)
{
	struct ui_list *l = &u->list[UI_RESULTS];
	static const enum ui_plan plan_of[] = {
		[A_QUARANTINE] = PLAN_QUARANTINE, [A_IGNORE] = PLAN_IGNORE,
		[A_ALLOW] = PLAN_ALLOW, [A_CLEAR] = PLAN_NONE,
	};
	size_t i;

	if (!u->scanned)
		return 0;
	if (u->tab)
		return act_skips(u, a);
	build(u);
	if (ui_list_move(l, a, nview, hit_rows()))
		return 1;
	i = current(u);
	switch (a) {
	case A_TAB:
		u->tab = 1;
		return 1;
	case A_FILTER:
	case A_SORT:
		if (a == A_FILTER)
			u->filter = (u->filter + 1) % 4;
		else
			u->sort = (u->sort + 1) % 3;
		build(u);
		follow(u, i);
		return 1;
	case A_ENTER:
		if (i != SIZE_MAX) {
			u->detail = i;
			ui_push(u, UI_DETAIL);
		}
		return 1;
	case A_QUARANTINE:
	case A_IGNORE:
	case A_ALLOW:
	case A_CLEAR:
		/* On success the cursor moves on, to plan a run of lines. */
		if (i != SIZE_MAX && !ui_plan_set(u, i, plan_of[a]) &&
		    l->sel + 1 < nview)
			l->sel++;
		return 1;
	case A_PLAN:
		ui_push(u, UI_PLAN);
		return 1;
	default:
		return 0;
	}
}

const struct ui_screen ui_results = { "Results", NULL, draw, act };
