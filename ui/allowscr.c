/*
 * Allowlist (A): the files always allowed, one entry a line, the selected
 * one in full below. d removes an entry (asks; No by default) and saves
 * the list at once, atomically (sc_allow_save).
 *
 * The list is u->allow, shared with the results and the quarantine
 * manager. It is NULL when the file could not be read as a list: then
 * this screen says so and changes nothing, so the damaged file is never
 * overwritten; on entering, it is read again in case it was fixed.
 */
#include <curses.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "ui.h"

static struct {
	int err;       /* why u->allow is NULL: sc_allow_load's error */
	int load_errno;
} W;

static void enter(struct ui *u)
{
	struct sc_allow *a;

	W.err = 0;
	if (u->allow || !u->cfg->allowlist)
		return;
	errno = 0;
	W.err = sc_allow_load(u->cfg->allowlist, &a);
	W.load_errno = errno;
	if (!W.err)
		u->allow = a; /* fixed since: the whole UI gets it back */
}

static size_t count(const struct ui *u)
{
	return u->allow ? u->allow->n : 0;
}

/* The lines below the list: the selected entry in full. */
#define DETAIL_ROWS 5

static void draw_detail(struct ui *u, const struct sc_allow_entry *e, int y)
{
	int w = COLS - 12;

	ui_heading(y++, "Entry");
	ui_printf(y, 3, 8, "sha256");
	ui_put(u, y++, 11, w, e->sha256, SIZE_MAX);
	ui_printf(y, 3, 8, "rule");
	if (e->rule[0])
		ui_put(u, y++, 11, w, e->rule, SIZE_MAX);
	else
		ui_printf(y++, 11, w, "* (every rule)");
	ui_printf(y, 3, 8, "added");
	ui_put(u, y, 11, 21, e->added, SIZE_MAX);
	ui_printf(y, 33, 4, "by");
	ui_put(u, y++, 36, COLS - 37, e->added_by, SIZE_MAX);
	ui_printf(y, 3, 8, "note");
	ui_put(u, y, 11, w, e->note, SIZE_MAX);
}

static void draw(struct ui *u)
{
	struct ui_list *l = &u->list[UI_ALLOW];
	int y = ui_body_top(), rows = ui_body_rows() - 3 - DETAIL_ROWS;
	int wr, wn, xr, xa, xb, xn;
	size_t n = count(u);
	char head[128];

	if (!u->allow) {
		ui_heading(y++, "Allowlist");
		attron(ui_attr(ROLE_DANGER));
		ui_printf(++y, 3, COLS - 4, "The allowlist cannot be read:");
		ui_put(u, ++y, 5, COLS - 6, u->cfg->allowlist
		       ? u->cfg->allowlist : "(none given)", SIZE_MAX);
		attroff(ui_attr(ROLE_DANGER));
		y += 2;
		if (W.err == SC_EFORMAT)
			ui_printf(y++, 3, COLS - 4, "It is not a valid allowlist "
				  "(damaged?). It is left as it is: nothing");
		else
			ui_printf(y++, 3, COLS - 4, "%s%s%s.", sc_strerror(W.err),
				  W.load_errno ? ": " : "",
				  W.load_errno ? strerror(W.load_errno) : "");
		if (W.err == SC_EFORMAT)
			ui_printf(y++, 3, COLS - 4, "here changes it, and no "
				  "file is allowed until it is fixed.");
		ui_printf(++y, 3, COLS - 4, "Fix or move it from a shell (!), "
			  "then come back here (A) to read it again.");
		return;
	}
	if (n)
		snprintf(head, sizeof(head), "%zu %s always allowed", n,
			 n == 1 ? "entry: a file" : "entries: files");
	else
		snprintf(head, sizeof(head), "No files always allowed");
	ui_heading(y++, head);
	/* Columns: id, sha256 (cut: the whole one is below), rule, added
	 * (the date), by, note. */
	xr = 2 + 16 + 1 + 8 + 1;
	wr = (COLS - 1 - xr - 11 - 9) * 3 / 5;
	if (wr > 44)
		wr = 44;
	xa = xr + wr + 1;
	xb = xa + 11;
	xn = xb + 9;
	wn = COLS - 1 - xn;
	attron(ui_attr(ROLE_DIM));
	ui_printf(y, 2, 16, "id");
	ui_printf(y, 19, 8, "sha256");
	ui_printf(y, xr, wr, "rule");
	ui_printf(y, xa, 10, "added");
	ui_printf(y, xb, 8, "by");
	ui_printf(y++, xn, wn, "note");
	attroff(ui_attr(ROLE_DIM));
	ui_list_fit(l, n, rows);
	for (size_t i = l->top; i < n && y < ui_body_top() + 2 + rows;
	     i++, y++) {
		const struct sc_allow_entry *e = &u->allow->v[i];
		int cur = i == l->sel;

		if (cur)
			attron(ui_attr(ROLE_SELECTED));
		mvhline(y, 1, ' ', COLS - 2);
		ui_put(u, y, 2, 16, e->id, SIZE_MAX);
		ui_put(u, y, 19, 8, e->sha256, strnlen(e->sha256, 8));
		if (e->rule[0])
			ui_put(u, y, xr, wr, e->rule, SIZE_MAX);
		else
			ui_printf(y, xr, wr, "*");
		ui_put(u, y, xa, 10, e->added, strnlen(e->added, 10));
		ui_put(u, y, xb, 8, e->added_by, SIZE_MAX);
		ui_put(u, y, xn, wn, e->note, SIZE_MAX);
		if (cur)
			attroff(ui_attr(ROLE_SELECTED));
	}
	if (!n)
		ui_printf(y, 3, COLS - 4, "the allowlist is empty (w in the "
			  "results or a restore adds files)");
	y = ui_body_top() + ui_body_rows() - DETAIL_ROWS - 1;
	if (n)
		draw_detail(u, &u->allow->v[l->sel], y);
	y = ui_body_top() + ui_body_rows() - 1;
	attron(ui_attr(ROLE_DIM));
	ui_printf(y, 1, 6, "file: ");
	ui_put(u, y, 7, COLS - 8, u->cfg->allowlist, SIZE_MAX);
	attroff(ui_attr(ROLE_DIM));
}

static void remove_entry(struct ui *u, size_t i)
{
	const struct sc_allow_entry *e = &u->allow->v[i];
	char id[17], question[160], detail[256];
	struct sc_allow *back;
	int err;

	/* The id comes from the file (only its length is checked): the
	 * dialogs and the status line get it as plain ASCII. */
	for (size_t k = 0; k < sizeof(id); k++)
		id[k] = !e->id[k] ? '\0'
			: e->id[k] > 0x20 && e->id[k] < 0x7f ? e->id[k] : '?';
	id[sizeof(id) - 1] = '\0';
	snprintf(question, sizeof(question), "Remove entry %s from the "
		 "allowlist?", id);
	/* The loader checked sha256: 64 hex digits. */
	snprintf(detail, sizeof(detail), "Later scans report the file "
		 "%.16s... as found again%s. This cannot be undone here.",
		 e->sha256, e->rule[0] ? " for its rule" : "");
	if (!ui_confirm(u, question, detail)) {
		ui_say(u, ROLE_NORMAL, "entry %s kept", id);
		return;
	}
	if (sc_allow_remove(u->allow, e->id)) {
		ui_say(u, ROLE_DANGER, "entry %s is not in the list", id);
		return;
	}
	err = sc_allow_save(u->allow, u->cfg->allowlist);
	if (!err) {
		ui_say(u, ROLE_OK, "removed entry %s (saved)", id);
		return;
	}
	/* Not saved: go back to what the file holds, so the screen does not
	 * show a removal that did not happen. */
	if (!sc_allow_load(u->cfg->allowlist, &back)) {
		sc_allow_free(u->allow);
		u->allow = back;
	}
	ui_say(u, ROLE_DANGER, "entry %s not removed: cannot save the "
	       "allowlist: %s", id, sc_strerror(err));
}

static int act(struct ui *u, enum ui_act a)
{
	struct ui_list *l = &u->list[UI_ALLOW];

	if (ui_list_move(l, a, count(u), ui_body_rows() - 3 - DETAIL_ROWS))
		return 1;
	switch (a) {
	case A_REMOVE:
		if (!u->allow)
			ui_say(u, ROLE_WARN, "the allowlist cannot be read: "
			       "nothing is changed");
		else if (!u->allow->n)
			ui_say(u, ROLE_NORMAL, "the allowlist is empty");
		else
			remove_entry(u, l->sel);
		return 1;
	default:
		return 0;
	}
}

const struct ui_screen ui_allowscr = { "Allowlist", enter, draw, act };
