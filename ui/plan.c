/*
 * Plan review and apply: every detection with an action planned (quarantine,
 * always allow, ignore once), what each will do and what will stop it (a
 * critical file is only copied; a volume that must not be written refuses
 * the move), then one confirmation (default No) for the lot. Afterwards the
 * same lines show each outcome.
 *
 * Also the one place that decides whether an action may be planned for a
 * hit (ui_plan_set), so the results, the detail and this screen refuse the
 * same things with the same sentence.
 */
#include <curses.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "ui.h"

const char *ui_plan_mark(enum ui_plan p)
{
	switch (p) {
	case PLAN_QUARANTINE: return "[Q]";
	case PLAN_IGNORE: return "[I]";
	case PLAN_ALLOW: return "[A]";
	default: return "   ";
	}
}

static const char *plan_name(enum ui_plan p)
{
	switch (p) {
	case PLAN_QUARANTINE: return "quarantine";
	case PLAN_IGNORE: return "ignore once";
	case PLAN_ALLOW: return "always allow";
	default: return "no action";
	}
}

int ui_put_hit(struct ui *u, int y, int x, int w, const struct ui_hit *h)
{
	int n;

	if (!h->area)
		return ui_put(u, y, x, w, h->path, h->len);
	/* "mbr of /dev/sda": the area is the engine's ASCII name. */
	n = ui_put(u, y, x, w, h->area, SIZE_MAX);
	if (w - n > 4) {
		mvaddstr(y, x + n, " of ");
		n += 4 + ui_put(u, y, x + n + 4, w - n - 4, h->path, h->len);
	}
	return n;
}

size_t ui_wrap_cut(const char *s, size_t n, int w)
{
	const unsigned char *p = (const unsigned char *)s;
	size_t i = 0, space = 0;
	int cols = 0;

	while (i < n) {
		size_t seq = 1;
		int c;

		while (i + seq < n && seq < 4 && (p[i + seq] & 0xc0) == 0x80)
			seq++;
		c = p[i] == '\\' ? 2 : p[i] >= 0x20 && p[i] < 0x7f ? 1 : 4;
		c += 4 * ((int)seq - 1);
		if (cols + c > w)
			break;
		cols += c;
		i += seq;
		if (p[i - 1] == ' ')
			space = i;
	}
	if (!i && n) {
		/* Not even one character fits: take it anyway. */
		while (++i < n && (p[i] & 0xc0) == 0x80)
			;
		return i;
	}
	return i < n && space > i / 2 ? space : i;
}

/* The first held detection of h, or NULL. */
static const struct sc_quar_detection *held_by(const struct ui *u,
					       const struct ui_hit *h)
{
	const struct sc_storm *s = u->report ? sc_report_storm(u->report)
					     : NULL;

	for (size_t k = 0; s && k < h->ndet; k++)
		if (sc_storm_is_held(s, h->det[k].ns, h->det[k].rule))
			return &h->det[k];
	return h->held && h->ndet ? &h->det[0] : NULL;
}

/*
 * Whether the file was already taken into the quarantine by an earlier
 * apply (moved, or copied when critical): a second quarantine would fail
 * or make a second copy. The outcome sentences are apply.c's.
 */
static int quarantined(const struct ui_hit *h)
{
	return h->outcome && h->outcome_ok &&
	       (!strncmp(h->outcome, "quarantined", 11) ||
		!strncmp(h->outcome, "copied", 6));
}

int ui_plan_set(struct ui *u, size_t i, enum ui_plan p)
{
	struct ui_hit *h;
	const struct sc_quar_detection *d;

	if (i >= u->nhits)
		return -1;
	h = &u->hits[i];
	if ((p == PLAN_QUARANTINE || p == PLAN_ALLOW) && h->held) {
		d = held_by(u, h);
		ui_say(u, ROLE_WARN, "held by the FP-storm guard: release it "
		       "with rescue scan --release-hold %s:%s",
		       d ? d->ns : "NS", d ? d->rule : "RULE");
		return -1;
	}
	if (p == PLAN_QUARANTINE && h->area) {
		ui_say(u, ROLE_WARN, "a boot area is not a file: it cannot be "
		       "quarantined");
		return -1;
	}
	if (p == PLAN_QUARANTINE && quarantined(h)) {
		ui_say(u, ROLE_WARN, "already done: %s", h->outcome);
		return -1;
	}
	if (p == PLAN_ALLOW && h->allowed) {
		ui_say(u, ROLE_NORMAL, "already allowed by the allowlist");
		return -1;
	}
	h->plan = p;
	if (p == PLAN_NONE)
		ui_say(u, ROLE_NORMAL, "no action planned for it");
	else
		ui_say(u, ROLE_NORMAL, "planned: %s (P reviews and applies "
		       "the plan)", plan_name(p));
	return 0;
}

/* --- the screen --- */

/*
 * Why the volume of each hit must not be written (sc_volume_of_path reads
 * mount tables and probes the device: once per hit, not per redraw).
 */
static struct {
	const struct ui_hit *hits;
	size_t n;
	signed char *known;
	const char **ro;
} V;

static void volumes_reset(struct ui *u)
{
	free(V.known);
	free(V.ro);
	memset(&V, 0, sizeof(V));
	V.known = calloc(u->nhits + 1, sizeof(*V.known));
	V.ro = calloc(u->nhits + 1, sizeof(*V.ro));
	if (!V.known || !V.ro) {
		free(V.known);
		free(V.ro);
		V.known = NULL;
		V.ro = NULL;
		return;
	}
	V.hits = u->hits;
	V.n = u->nhits;
}

static const char *read_only_reason(struct ui *u, size_t i)
{
	struct sc_volume v;
	const struct ui_hit *h = &u->hits[i];

	if (V.hits != u->hits || V.n != u->nhits)
		volumes_reset(u);
	if (!V.known || h->area)
		return NULL;
	if (!V.known[i]) {
		memset(&v, 0, sizeof(v));
		if (sc_volume_of_path(h->path, &v) == SC_EOPEN) {
			/* Gone since the scan: its directory's volume. */
			char *dir = strdup(h->path);
			char *slash = dir ? strrchr(dir, '/') : NULL;

			if (slash && slash != dir) {
				*slash = '\0';
				memset(&v, 0, sizeof(v));
				sc_volume_of_path(dir, &v);
			}
			free(dir);
		}
		V.ro[i] = v.read_only_reason;
		V.known[i] = 1;
	}
	return V.ro[i];
}

/* The lines shown: planned hits (quarantine, allow, ignore), then done. */
static size_t *view;
static size_t nview;

static int rank(const struct ui_hit *h)
{
	switch (h->plan) {
	case PLAN_QUARANTINE: return 0;
	case PLAN_ALLOW: return 1;
	case PLAN_IGNORE: return 2;
	default: return h->outcome ? 3 : -1;
	}
}

static const struct ui *sort_ui;

/* By action, then by name (the scan's order depends on its workers). */
static int cmp(const void *pa, const void *pb)
{
	size_t ia = *(const size_t *)pa, ib = *(const size_t *)pb;
	const struct ui_hit *a = &sort_ui->hits[ia], *b = &sort_ui->hits[ib];
	int c = rank(a) - rank(b);

	if (!c)
		c = memcmp(a->path, b->path, a->len < b->len ? a->len : b->len);
	if (!c && a->len != b->len)
		c = a->len < b->len ? -1 : 1;
	if (!c)
		c = strcmp(a->area ? a->area : "", b->area ? b->area : "");
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
		if (rank(&u->hits[i]) >= 0)
			view[nview++] = i;
	sort_ui = u;
	qsort(view, nview, sizeof(*view), cmp);
}

static void counts(const struct ui *u, size_t c[4], size_t *failed)
{
	memset(c, 0, 4 * sizeof(*c));
	*failed = 0;
	for (size_t i = 0; i < u->nhits; i++) {
		int r = rank(&u->hits[i]);

		if (r >= 0)
			c[r]++;
		if (r == 3 && !u->hits[i].outcome_ok)
			(*failed)++;
	}
}

static void enter(struct ui *u)
{
	volumes_reset(u);
	u->list[UI_PLAN].sel = u->list[UI_PLAN].top = 0;
}

/* Rows per line of the plan: the action and the file, then a note. */
#define PER 2
/* Rows below the list: the selected line's name and note in full. */
#define FOOT 6

static int list_rows(void)
{
	int r = (ui_body_rows() - 2 - FOOT) / PER;

	return r < 1 ? 1 : r;
}

/* The note on a hit of the plan: what will happen, or what will stop it,
 * or what was done. Returns its role. */
static int note(struct ui *u, size_t i, char *buf, size_t n)
{
	const struct ui_hit *h = &u->hits[i];
	const char *ro;

	if (h->plan == PLAN_NONE && h->outcome) {
		snprintf(buf, n, "%s %s", h->outcome_ok ? "done:" : "NOT done:",
			 h->outcome);
		return h->outcome_ok ? ROLE_OK : ROLE_DANGER;
	}
	switch (h->plan) {
	case PLAN_QUARANTINE:
		ro = read_only_reason(u, i);
		if (h->critical) {
			snprintf(buf, n, "copied to the quarantine and left in "
				 "place: a Windows system or boot file");
			return ROLE_WARN;
		}
		if (ro) {
			snprintf(buf, n, "the quarantine will be refused: %s",
				 ro);
			return ROLE_DANGER;
		}
		snprintf(buf, n, "moved into the quarantine %s",
			 u->cfg->quarantine_dir);
		return ROLE_DIM;
	case PLAN_ALLOW:
		snprintf(buf, n, "left in place; the allowlist gets %zu "
			 "entr%s (its SHA-256 with the rule)", h->ndet,
			 h->ndet == 1 ? "y" : "ies");
		return ROLE_DIM;
	default:
		snprintf(buf, n, "left in place this time; the next scan finds "
			 "it again");
		return ROLE_DIM;
	}
}

/* Text that may hold any byte, in rows y.. (at most rows), wrapped; the
 * last row ends in "..." if there is more. */
static void wrapped(struct ui *u, int y, int x, int w, int rows,
		    const char *s)
{
	size_t n = strlen(s), i = 0;

	for (int r = 0; r < rows && i < n; r++) {
		size_t cut = ui_wrap_cut(s + i, n - i, w);

		if (r + 1 == rows && i + cut < n) {
			cut = ui_wrap_cut(s + i, n - i, w - 3);
			ui_put(u, y + r, x, w, s + i, cut);
			addstr("...");
		} else {
			ui_put(u, y + r, x, w, s + i, cut);
		}
		i += cut;
	}
}

static void draw(struct ui *u)
{
	struct ui_list *l = &u->list[UI_PLAN];
	int y = ui_body_top(), rows = list_rows(), w = COLS - 2, role;
	int foot = ui_body_top() + ui_body_rows() - FOOT;
	size_t c[4], failed;
	char buf[700];

	if (!u->scanned) {
		ui_printf(y + 1, 2, w - 2, "No scan has been run yet: the plan "
			  "is made from a scan's detections.");
		return;
	}
	build(u);
	counts(u, c, &failed);
	ui_printf(y++, 1, w, "Planned: quarantine %zu, always allow %zu, "
		  "ignore once %zu.  Done: %zu (%zu not done)", c[0], c[1],
		  c[2], c[3], failed);
	attron(ui_attr(ROLE_HEADING));
	mvhline(y, 1, ' ', w);
	ui_printf(y, 5, 14, "action");
	ui_printf(y, 19, w - 18, "file or boot area, and what will happen");
	attroff(ui_attr(ROLE_HEADING));
	y++;
	if (!nview) {
		ui_printf(y + 1, 2, w - 2, "Nothing planned. On the results: u "
			  "quarantine, i ignore once, w always allow;");
		ui_printf(y + 2, 2, w - 2, "then P comes back here and a "
			  "applies.");
		return;
	}
	ui_list_fit(l, nview, rows);
	for (size_t r = l->top; r < nview && r < l->top + (size_t)rows;
	     r++, y += PER) {
		const struct ui_hit *h = &u->hits[view[r]];
		int cur = r == l->sel;

		if (cur) {
			attron(ui_attr(ROLE_SELECTED));
			mvhline(y, 1, ' ', w);
		}
		ui_printf(y, 1, 4, "%s", h->plan ? ui_plan_mark(h->plan)
						 : "[x]");
		ui_printf(y, 5, 14, "%s", h->plan ? plan_name(h->plan)
						  : "applied");
		ui_put_hit(u, y, 19, w - 18, h);
		if (cur)
			attroff(ui_attr(ROLE_SELECTED));
		role = note(u, view[r], buf, sizeof(buf));
		attron(ui_attr(role));
		wrapped(u, y + 1, 7, w - 6, 1, buf);
		attroff(ui_attr(role));
	}
	/* The selected line in full. */
	attron(ui_attr(ROLE_HEADING));
	mvhline(foot, 1, ' ', w);
	ui_printf(foot, 1, 10, "%zu/%zu", l->sel + 1, nview);
	attroff(ui_attr(ROLE_HEADING));
	ui_put_hit(u, foot, 11, w - 10, &u->hits[view[l->sel]]);
	role = note(u, view[l->sel], buf, sizeof(buf));
	attron(ui_attr(role == ROLE_DIM ? ROLE_NORMAL : role));
	wrapped(u, foot + 1, 3, w - 2, FOOT - 1, buf);
	attroff(ui_attr(role == ROLE_DIM ? ROLE_NORMAL : role));
}

/* "Quarantine 3 files, allow 1, ignore 2?" */
static void question(const size_t c[4], char *q, size_t n)
{
	size_t len = 0;

	q[0] = '\0';
	if (c[0])
		len += (size_t)snprintf(q + len, n - len, "Quarantine %zu "
					"file%s", c[0], c[0] == 1 ? "" : "s");
	if (c[1] && len < n)
		len += (size_t)snprintf(q + len, n - len, "%s %zu",
					len ? ", allow" : "Allow", c[1]);
	if (c[2] && len < n)
		len += (size_t)snprintf(q + len, n - len, "%s %zu",
					len ? ", ignore" : "Ignore", c[2]);
	if (len < n)
		snprintf(q + len, n - len, "?");
}

static void apply(struct ui *u)
{
	size_t c[4], failed, crit = 0, ro = 0;
	char q[128], detail[400];
	int len;

	counts(u, c, &failed);
	if (!c[0] && !c[1] && !c[2]) {
		ui_say(u, ROLE_NORMAL, "nothing planned: u, i or w on the "
		       "results plans an action");
		return;
	}
	for (size_t i = 0; i < u->nhits; i++)
		if (u->hits[i].plan == PLAN_QUARANTINE) {
			crit += (size_t)u->hits[i].critical;
			ro += !u->hits[i].critical &&
			      read_only_reason(u, i) != NULL;
		}
	question(c, q, sizeof(q));
	len = snprintf(detail, sizeof(detail), "%s",
		       c[0] ? "Quarantined files are moved to the quarantine "
			      "on the rescue stick and can be restored. "
			    : "");
	if (crit && len < (int)sizeof(detail))
		len += snprintf(detail + len, sizeof(detail) - (size_t)len,
				"%zu critical: copied, left in place. ", crit);
	if (ro && len < (int)sizeof(detail))
		len += snprintf(detail + len, sizeof(detail) - (size_t)len,
				"%zu on a volume that must not be written: "
				"refused. ", ro);
	if (c[1] && len < (int)sizeof(detail))
		snprintf(detail + len, sizeof(detail) - (size_t)len,
			 "Allowed files stay; later scans report them as "
			 "allowed (same content, same rule).");
	if (!ui_confirm(u, q, detail[0] ? detail : NULL)) {
		ui_say(u, ROLE_NORMAL, "nothing done");
		return;
	}
	ui_say(u, ROLE_NORMAL, "applying the plan...");
	ui_redraw(u);
	ui_apply_plan(u);
	u->list[UI_PLAN].sel = u->list[UI_PLAN].top = 0;
}

static int act(struct ui *u, enum ui_act a)
{
	struct ui_list *l = &u->list[UI_PLAN];

	build(u);
	if (ui_list_move(l, a, nview, list_rows()))
		return 1;
	switch (a) {
	case A_APPLY:
		apply(u);
		return 1;
	case A_ENTER:
		if (nview) {
			u->detail = view[l->sel < nview ? l->sel : nview - 1];
			ui_push(u, UI_DETAIL);
		}
		return 1;
	case A_CLEAR:
		if (!nview)
			return 1;
		if (u->hits[view[l->sel]].plan == PLAN_NONE)
			ui_say(u, ROLE_NORMAL, "already applied: nothing to "
			       "clear");
		else
			ui_plan_set(u, view[l->sel], PLAN_NONE);
		return 1;
	default:
		return 0;
	}
}

const struct ui_screen ui_plan = { "Plan", enter, draw, act };
