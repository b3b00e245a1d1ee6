/*
 * Help (F1 or ? anywhere): the keys of the screen it was asked from, then
 * the keys that work everywhere, straight from the key table.
 */
#include <curses.h>
#include <stdio.h>
#include <string.h>

#include "ui.h"

static const char *key_label(int key)
{
	static char buf[16];

	switch (key) {
	case '\r': return "Enter";
	case '\t': return "Tab";
	case ' ': return "Space";
	case 27: return "Esc";
	case KEY_UP: return "Up";
	case KEY_DOWN: return "Down";
	case KEY_LEFT: return "Left";
	case KEY_PPAGE: return "PgUp";
	case KEY_NPAGE: return "PgDn";
	case KEY_HOME: return "Home";
	case KEY_END: return "End";
	case KEY_ENTER: return "Enter";
	}
	if (key >= KEY_F(1) && key <= KEY_F(12)) {
		snprintf(buf, sizeof(buf), "F%d", key - KEY_F(0));
		return buf;
	}
	if (key < 0x20) {
		snprintf(buf, sizeof(buf), "Ctrl-%c", key + '@');
		return buf;
	}
	snprintf(buf, sizeof(buf), "%c", key);
	return buf;
}

/* The lines of help: keys of the screen, then global ones. */
static size_t lines(const struct ui *u, const struct ui_key **out, size_t max)
{
	size_t n = 0;

	for (int pass = 0; pass < 2; pass++)
		for (size_t i = 0; i < ui_nkeys && n < max; i++) {
			const struct ui_key *k = &ui_keys[i];

			if (!k->help ||
			    k->screen != (pass ? UI_ANY : u->help_of))
				continue;
			out[n++] = k;
		}
	return n;
}

static void draw(struct ui *u)
{
	const struct ui_key *v[128];
	struct ui_list *l = &u->list[UI_HELP];
	size_t n = lines(u, v, 128);
	int y = ui_body_top(), rows = ui_body_rows() - 1;

	ui_heading(y++, "Keys of this screen, then keys that work everywhere");
	ui_list_fit(l, n, rows);
	l->sel = l->top; /* no cursor: scrolling only */
	for (size_t i = l->top; i < n && y < ui_body_top() + 1 + rows; i++, y++) {
		if (v[i]->screen == UI_ANY)
			attron(ui_attr(ROLE_DIM));
		ui_printf(y, 2, 10, "%s", key_label(v[i]->key));
		ui_printf(y, 12, COLS - 14, "%s", v[i]->help);
		attroff(ui_attr(ROLE_DIM));
	}
}

static int act(struct ui *u, enum ui_act a)
{
	struct ui_list *l = &u->list[UI_HELP];

	if (a == A_UP || a == A_DOWN || a == A_PGUP || a == A_PGDN) {
		const struct ui_key *v[128];
		size_t n = lines(u, v, 128);
		int rows = ui_body_rows() - 1;

		if ((a == A_DOWN || a == A_PGDN) && l->top + (size_t)rows < n)
			l->top += a == A_DOWN ? 1 : (size_t)rows - 1;
		else if (a == A_UP && l->top)
			l->top--;
		else if (a == A_PGUP)
			l->top = l->top > (size_t)rows - 1
					 ? l->top - ((size_t)rows - 1)
					 : 0;
		l->sel = l->top;
		return 1;
	}
	if (a == A_HELP)
		return 1;
	return 0;
}

const struct ui_screen ui_help = { "Help", NULL, draw, act };
