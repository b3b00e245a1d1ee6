/*
 * Drawing helpers shared by the screens: colour roles with a monochrome
 * fallback, safe text, lists, dialogs, a progress bar and a hex view.
 */
#include <curses.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "ui.h"

static int role_attr[ROLE_NROLES];

void ui_colors_init(struct ui *u)
{
	static const struct {
		short fg, bg;
		int mono;
	} roles[ROLE_NROLES] = {
		[ROLE_NORMAL] = { COLOR_WHITE, COLOR_BLACK, A_NORMAL },
		[ROLE_TITLE] = { COLOR_BLACK, COLOR_CYAN, A_REVERSE },
		[ROLE_BAR] = { COLOR_BLACK, COLOR_WHITE, A_REVERSE },
		[ROLE_SELECTED] = { COLOR_BLACK, COLOR_YELLOW, A_REVERSE },
		[ROLE_OK] = { COLOR_GREEN, COLOR_BLACK, A_NORMAL },
		[ROLE_WARN] = { COLOR_YELLOW, COLOR_BLACK, A_BOLD },
		[ROLE_DANGER] = { COLOR_RED, COLOR_BLACK, A_BOLD | A_UNDERLINE },
		[ROLE_DIM] = { COLOR_BLUE, COLOR_BLACK, A_DIM },
		[ROLE_HEADING] = { COLOR_CYAN, COLOR_BLACK, A_BOLD },
	};

	u->mono = !has_colors() || getenv("NO_COLOR") != NULL;
	if (!u->mono && start_color() == ERR)
		u->mono = 1;
	for (int r = 0; r < ROLE_NROLES; r++) {
		if (u->mono) {
			role_attr[r] = roles[r].mono;
			continue;
		}
		init_pair((short)(r + 1), roles[r].fg, roles[r].bg);
		role_attr[r] = (int)COLOR_PAIR(r + 1);
		if (r == ROLE_WARN || r == ROLE_DANGER || r == ROLE_HEADING)
			role_attr[r] |= (int)A_BOLD;
	}
	bkgdset((chtype)role_attr[ROLE_NORMAL] | ' ');
}

int ui_attr(enum ui_role r)
{
	return r < ROLE_NROLES ? role_attr[r] : (int)A_NORMAL;
}

int ui_body_top(void)
{
	return 1;
}

int ui_body_rows(void)
{
	return LINES - 3; /* title, status line, key bar */
}

/* Length of the UTF-8 sequence at p (n left), or 0 if not valid. */
static size_t utf8_len(const unsigned char *p, size_t n)
{
	size_t len;
	unsigned cp;

	if (p[0] < 0x80)
		return 1;
	if ((p[0] & 0xe0) == 0xc0) {
		len = 2;
		cp = p[0] & 0x1f;
	} else if ((p[0] & 0xf0) == 0xe0) {
		len = 3;
		cp = p[0] & 0x0f;
	} else if ((p[0] & 0xf8) == 0xf0) {
		len = 4;
		cp = p[0] & 0x07;
	} else {
		return 0;
	}
	if (len > n)
		return 0;
	for (size_t i = 1; i < len; i++) {
		if ((p[i] & 0xc0) != 0x80)
			return 0;
		cp = cp << 6 | (p[i] & 0x3f);
	}
	if ((len == 2 && cp < 0x80) || (len == 3 && cp < 0x800) ||
	    (len == 4 && (cp < 0x10000 || cp > 0x10ffff)) ||
	    (cp >= 0xd800 && cp <= 0xdfff))
		return 0;
	return len;
}

/*
 * The display form of s: printable ASCII as is, valid UTF-8 as is on a
 * UTF-8 terminal, everything else \xNN (a backslash \\). Sets *cols to
 * its width (one column per code point).
 */
static char *display(const struct ui *u, const char *s, size_t n, int *cols)
{
	char *out = malloc(4 * n + 1), *o = out;
	const unsigned char *p = (const unsigned char *)s;
	int w = 0;

	if (!out)
		return NULL;
	for (size_t i = 0; i < n;) {
		size_t l = utf8_len(p + i, n - i);

		if (p[i] == '\\') {
			*o++ = '\\';
			*o++ = '\\';
			w += 2;
			i++;
		} else if (p[i] >= 0x20 && p[i] < 0x7f) {
			*o++ = (char)p[i++];
			w++;
		} else if (l > 1 && u->utf8 &&
			   !(l == 2 && p[i] == 0xc2 && p[i + 1] < 0xa0)) {
			/* (U+0080..U+009F, C1 controls, stay escaped) */
			memcpy(o, p + i, l);
			o += l;
			i += l;
			w++;
		} else {
			o += sprintf(o, "\\x%02x", p[i++]);
			w += 4;
		}
	}
	*o = '\0';
	*cols = w;
	return out;
}

/* Byte offset of column c in a display string (columns are code points). */
static size_t col_offset(const char *d, int c)
{
	const unsigned char *p = (const unsigned char *)d;
	size_t i = 0;

	while (c > 0 && p[i]) {
		i++;
		while ((p[i] & 0xc0) == 0x80)
			i++;
		c--;
	}
	return i;
}

int ui_put(struct ui *u, int y, int x, int w, const char *s, size_t n)
{
	int cols;
	char *d;

	if (w <= 0 || !s)
		return 0;
	if (n == SIZE_MAX)
		n = strlen(s);
	d = display(u, s, n, &cols);
	if (!d)
		return 0;
	if (cols <= w) {
		mvaddstr(y, x, d);
	} else if (w <= 5) {
		mvaddnstr(y, x, d, (int)col_offset(d, w));
		cols = w;
	} else {
		/* Shortened in the middle: the start and the name both show. */
		int head = (w - 3) / 2, tail = w - 3 - head;
		size_t ho = col_offset(d, head), to = col_offset(d, cols - tail);

		mvaddnstr(y, x, d, (int)ho);
		addstr("...");
		addstr(d + to);
		cols = w;
	}
	free(d);
	return cols;
}

void ui_printf(int y, int x, int w, const char *fmt, ...)
{
	char buf[512];
	va_list ap;

	if (w <= 0)
		return;
	va_start(ap, fmt);
	vsnprintf(buf, sizeof(buf), fmt, ap);
	va_end(ap);
	mvaddnstr(y, x, buf, w);
}

void ui_heading(int y, const char *text)
{
	attron(ui_attr(ROLE_HEADING));
	mvaddnstr(y, 1, text, COLS - 2);
	attroff(ui_attr(ROLE_HEADING));
}

int ui_list_move(struct ui_list *l, enum ui_act a, size_t n, int rows)
{
	size_t page = rows > 1 ? (size_t)rows - 1 : 1;

	switch (a) {
	case A_UP:
		if (l->sel)
			l->sel--;
		break;
	case A_DOWN:
		if (l->sel + 1 < n)
			l->sel++;
		break;
	case A_PGUP:
		l->sel = l->sel > page ? l->sel - page : 0;
		break;
	case A_PGDN:
		l->sel = n ? (l->sel + page < n ? l->sel + page : n - 1) : 0;
		break;
	case A_FIRST:
		l->sel = 0;
		break;
	case A_LAST:
		l->sel = n ? n - 1 : 0;
		break;
	default:
		return 0;
	}
	return 1;
}

void ui_list_fit(struct ui_list *l, size_t n, int rows)
{
	if (rows < 1)
		rows = 1;
	if (l->sel >= n)
		l->sel = n ? n - 1 : 0;
	if (l->sel < l->top)
		l->top = l->sel;
	if (l->sel >= l->top + (size_t)rows)
		l->top = l->sel - (size_t)rows + 1;
	if (l->top + (size_t)rows > n)
		l->top = n > (size_t)rows ? n - (size_t)rows : 0;
}

/* A centred box of h rows and w columns; returns its window. */
static WINDOW *box_at(int h, int w, const char *title)
{
	WINDOW *win;

	if (w > COLS - 2)
		w = COLS - 2;
	if (h > LINES - 2)
		h = LINES - 2;
	win = newwin(h, w, (LINES - h) / 2, (COLS - w) / 2);
	if (!win)
		return NULL;
	keypad(win, TRUE);
	wbkgd(win, (chtype)ui_attr(ROLE_NORMAL) | ' ');
	box(win, 0, 0);
	if (title) {
		wattron(win, ui_attr(ROLE_HEADING));
		mvwaddnstr(win, 0, 2, title, w - 4);
		wattroff(win, ui_attr(ROLE_HEADING));
	}
	return win;
}

/* Word-wraps text into win from row y, inside the border; returns rows. */
static int wrap(WINDOW *win, int y, const char *text)
{
	int w = getmaxx(win) - 4, rows = 0, maxy = getmaxy(win) - 3;

	while (text && *text && y + rows < maxy) {
		int n = (int)strlen(text), cut = n;
		const char *nl = strchr(text, '\n');

		if (nl && nl - text < w)
			cut = (int)(nl - text);
		else if (n > w) {
			cut = w;
			while (cut > 0 && text[cut] != ' ')
				cut--;
			if (!cut)
				cut = w;
		}
		mvwaddnstr(win, y + rows, 2, text, cut);
		text += cut;
		while (*text == ' ' || *text == '\n')
			text++;
		rows++;
	}
	return rows;
}

int ui_confirm(struct ui *u, const char *question, const char *detail)
{
	int h = 7 + (detail ? (int)strlen(detail) / 50 + 2 : 0);
	WINDOW *win = box_at(h, 60, "Confirm");
	int y, key, yes = 0;

	(void)u;
	if (!win)
		return 0;
	y = 2 + wrap(win, 2, question);
	if (detail)
		y += wrap(win, y + 1, detail) + 1;
	wattron(win, A_BOLD);
	mvwaddstr(win, getmaxy(win) - 2, 2, "y = yes    n, Enter, Esc = no");
	wattroff(win, A_BOLD);
	wrefresh(win);
	for (;;) {
		key = wgetch(win);
		if (key == 'y' || key == 'Y') {
			yes = 1;
			break;
		}
		if (key == 'n' || key == 'N' || key == '\n' || key == '\r' ||
		    key == 27 || key == KEY_ENTER)
			break;
	}
	delwin(win);
	touchwin(stdscr);
	return yes;
}

void ui_message(struct ui *u, const char *title, const char *text)
{
	WINDOW *win = box_at(8 + (int)strlen(text) / 50, 64, title);

	(void)u;
	if (!win)
		return;
	wrap(win, 2, text);
	mvwaddstr(win, getmaxy(win) - 2, 2, "any key: close");
	wrefresh(win);
	wgetch(win);
	delwin(win);
	touchwin(stdscr);
}

int ui_prompt(struct ui *u, const char *question, char *buf, size_t n)
{
	WINDOW *win = box_at(7, 64, "Input");
	size_t len = strlen(buf);
	int key, rc = -1;

	(void)u;
	if (!win)
		return -1;
	curs_set(1);
	for (;;) {
		werase(win);
		box(win, 0, 0);
		mvwaddnstr(win, 1, 2, question, 60);
		mvwaddnstr(win, 3, 2, buf, 58);
		mvwaddstr(win, 5, 2, "Enter: done    Esc: cancel");
		wmove(win, 3, 2 + (int)(len < 58 ? len : 58));
		wrefresh(win);
		key = wgetch(win);
		if (key == 27)
			break;
		if (key == '\n' || key == '\r' || key == KEY_ENTER) {
			rc = 0;
			break;
		}
		if ((key == KEY_BACKSPACE || key == 127 || key == 8) && len)
			buf[--len] = '\0';
		else if (key >= 0x20 && key < 0x7f && len + 1 < n) {
			buf[len++] = (char)key;
			buf[len] = '\0';
		}
	}
	curs_set(0);
	delwin(win);
	touchwin(stdscr);
	return rc;
}

void ui_bar(int y, int x, int w, double f)
{
	int full;

	if (w < 3)
		return;
	if (f < 0)
		f = 0;
	if (f > 1)
		f = 1;
	full = (int)(f * (w - 2) + 0.5);
	mvaddch(y, x, '[');
	attron(ui_attr(ROLE_SELECTED));
	for (int i = 0; i < full; i++)
		addch('#');
	attroff(ui_attr(ROLE_SELECTED));
	for (int i = full; i < w - 2; i++)
		addch('.');
	addch(']');
}

void ui_bytes(uint64_t n, char out[32])
{
	static const char *const units[] = { "B", "KiB", "MiB", "GiB", "TiB" };
	double v = (double)n;
	int i = 0;

	while (v >= 1024 && i < 4) {
		v /= 1024;
		i++;
	}
	if (i)
		snprintf(out, 32, "%.1f %s", v, units[i]);
	else
		snprintf(out, 32, "%llu B", (unsigned long long)n);
}

int ui_hexdump(int y, int rows, const unsigned char *data, size_t n,
	       uint64_t base, size_t hl, size_t hn)
{
	int used = 0;

	for (size_t row = 0; row * 16 < n && used < rows; row++, used++) {
		size_t off = row * 16;

		mvprintw(y + used, 1, "%08llx ", (unsigned long long)(base + off));
		for (size_t i = 0; i < 16; i++) {
			int on = off + i >= hl && off + i < hl + hn;

			if (on)
				attron(ui_attr(ROLE_SELECTED));
			if (off + i < n)
				printw("%02x", data[off + i]);
			else
				addstr("  ");
			if (on)
				attroff(ui_attr(ROLE_SELECTED));
			addch(i == 7 ? '-' : ' ');
		}
		addch(' ');
		for (size_t i = 0; i < 16 && off + i < n; i++) {
			unsigned char c = data[off + i];
			int on = off + i >= hl && off + i < hl + hn;

			if (on)
				attron(ui_attr(ROLE_SELECTED));
			addch(c >= 0x20 && c < 0x7f ? c : '.');
			if (on)
				attroff(ui_attr(ROLE_SELECTED));
		}
	}
	return used;
}
