/*
 * Reports and logs (L): the reports saved in the reports directory (text,
 * JSON, vendor packages), the quarantine's journal and the definitions
 * store's log, newest first. Enter or Tab shows a file's text; in the view
 * Tab goes on to the next file. At most 4 MiB of a file is read (of a log,
 * its last 4 MiB, where the news is), and every line is drawn escaped:
 * these files hold names taken from suspect disks.
 *
 * Also the read-only text view (struct ui_pager) the screens share.
 */
#include <curses.h>
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "ui.h"

#define READ_CAP (4u << 20)

/* --- the text view ----------------------------------------------------- */

/*
 * Lines longer than the screen is wide are wrapped, not shortened: a log
 * line or a path is read whole. The wrapping counts columns as ui_put
 * shows the bytes (escapes are 2 or 4 columns), so every row drawn fits
 * and ui_put never has to cut it. A position is a line and a row in it.
 */

struct span {
	size_t off, len;
};

struct pos {
	size_t line, row;
};

struct ui_pager {
	char *buf;          /* every line's bytes, one after the other */
	size_t len, cap;
	struct span *v;
	size_t n, vcap;
	struct pos top;     /* the first row shown */
	int to_end;         /* show the last page at the next draw */
	int w, utf8;        /* as last drawn */
};

struct ui_pager *ui_pager_new(void)
{
	struct ui_pager *p = calloc(1, sizeof(struct ui_pager));

	if (p)
		p->w = COLS - 3;
	return p;
}

void ui_pager_free(struct ui_pager *p)
{
	if (!p)
		return;
	free(p->buf);
	free(p->v);
	free(p);
}

/* Room for n more bytes and one more line; 0 or -1 (out of memory). */
static int reserve(struct ui_pager *p, size_t n)
{
	if (p->len + n > p->cap) {
		size_t cap = p->cap ? p->cap : 4096;
		char *b;

		while (cap < p->len + n)
			cap *= 2;
		if (!(b = realloc(p->buf, cap)))
			return -1;
		p->buf = b;
		p->cap = cap;
	}
	if (p->n == p->vcap) {
		size_t cap = p->vcap ? 2 * p->vcap : 64;
		struct span *v = realloc(p->v, cap * sizeof(*v));

		if (!v)
			return -1;
		p->v = v;
		p->vcap = cap;
	}
	return 0;
}

void ui_pager_add(struct ui_pager *p, const char *s, size_t n)
{
	if (!p || !s)
		return;
	if (n == SIZE_MAX)
		n = strlen(s);
	if (reserve(p, n))
		return;
	memcpy(p->buf + p->len, s, n);
	p->v[p->n].off = p->len;
	p->v[p->n++].len = n;
	p->len += n;
}

void ui_pager_addf(struct ui_pager *p, const char *fmt, ...)
{
	char buf[1024];
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(buf, sizeof(buf), fmt, ap);
	va_end(ap);
	ui_pager_add(p, buf, SIZE_MAX);
}

void ui_pager_text(struct ui_pager *p, const char *s, size_t n)
{
	size_t i = 0;

	if (!p)
		return;
	while (i < n) {
		const char *nl = memchr(s + i, '\n', n - i);
		size_t end = nl ? (size_t)(nl - s) : n, len = end - i, tabs = 0;

		if (len && s[end - 1] == '\r')
			len--;
		for (size_t k = 0; k < len; k++)
			tabs += s[i + k] == '\t';
		/* Tabs to spaces (stops of 8), so they do not show as \x09. */
		if (!reserve(p, len + 7 * tabs)) {
			size_t o = p->len, col = 0;

			for (size_t k = 0; k < len; k++, col++) {
				if (s[i + k] != '\t') {
					p->buf[o + col] = s[i + k];
					continue;
				}
				do
					p->buf[o + col] = ' ';
				while (++col % 8);
				col--;
			}
			p->v[p->n].off = o;
			p->v[p->n++].len = col;
			p->len += col;
		}
		i = end + 1;
	}
}

size_t ui_pager_lines(const struct ui_pager *p)
{
	return p ? p->n : 0;
}

/* Length of the UTF-8 sequence at s (n left), 0 if not valid (as draw.c). */
static size_t utf8_len(const unsigned char *s, size_t n)
{
	size_t len;
	unsigned cp;

	if (s[0] < 0x80)
		return 1;
	if ((s[0] & 0xe0) == 0xc0)
		len = 2, cp = s[0] & 0x1f;
	else if ((s[0] & 0xf0) == 0xe0)
		len = 3, cp = s[0] & 0x0f;
	else if ((s[0] & 0xf8) == 0xf0)
		len = 4, cp = s[0] & 0x07;
	else
		return 0;
	if (len > n)
		return 0;
	for (size_t i = 1; i < len; i++) {
		if ((s[i] & 0xc0) != 0x80)
			return 0;
		cp = cp << 6 | (s[i] & 0x3f);
	}
	if ((len == 2 && cp < 0x80) || (len == 3 && cp < 0x800) ||
	    (len == 4 && (cp < 0x10000 || cp > 0x10ffff)) ||
	    (cp >= 0xd800 && cp <= 0xdfff))
		return 0;
	return len;
}

/* Bytes of s (n) that fit in one row: at least one character. */
static size_t fit(const struct ui_pager *p, const char *s, size_t n)
{
	const unsigned char *u = (const unsigned char *)s;
	size_t i = 0;
	int cols = 0;

	while (i < n) {
		size_t l = 1;
		int c;

		if (u[i] == '\\')
			c = 2;
		else if (u[i] >= 0x20 && u[i] < 0x7f)
			c = 1;
		else if (p->utf8 && (l = utf8_len(u + i, n - i)) > 1)
			c = 1;
		else
			l = 1, c = 4;
		if (cols + c > p->w && i)
			break;
		cols += c;
		i += l;
	}
	return i;
}

static size_t rows_of(const struct ui_pager *p, size_t line)
{
	const struct span *s = &p->v[line];
	size_t rows = 0;

	for (size_t i = 0; i < s->len; rows++)
		i += fit(p, p->buf + s->off + i, s->len - i);
	return rows ? rows : 1;
}

static int before(struct pos a, struct pos b)
{
	return a.line < b.line || (a.line == b.line && a.row < b.row);
}

static struct pos step_down(const struct ui_pager *p, struct pos at)
{
	if (at.row + 1 < rows_of(p, at.line))
		at.row++;
	else if (at.line + 1 < p->n)
		at.line++, at.row = 0;
	return at;
}

static struct pos step_up(const struct ui_pager *p, struct pos at)
{
	if (at.row)
		at.row--;
	else if (at.line)
		at.line--, at.row = rows_of(p, at.line) - 1;
	return at;
}

/* The first row of the last page. */
static struct pos last_top(const struct ui_pager *p, int rows)
{
	struct pos at = { 0, 0 };

	if (!p->n)
		return at;
	at.line = p->n - 1;
	at.row = rows_of(p, at.line) - 1;
	for (int i = 1; i < rows && (at.line || at.row); i++)
		at = step_up(p, at);
	return at;
}

void ui_pager_draw(struct ui *u, struct ui_pager *p, int y, int rows)
{
	struct pos at, end;

	if (!p || rows < 1)
		return;
	p->w = COLS - 3 > 1 ? COLS - 3 : 1;
	p->utf8 = u->utf8;
	end = last_top(p, rows);
	if (p->n && p->top.line < p->n && p->top.row >= rows_of(p, p->top.line))
		p->top.row = rows_of(p, p->top.line) - 1;
	if (p->to_end || before(end, p->top))
		p->top = end;
	p->to_end = 0;
	at = p->top;
	for (int i = 0; i < rows && at.line < p->n; i++) {
		const struct span *s = &p->v[at.line];
		size_t off = 0, k;

		for (k = 0; k < at.row; k++)
			off += fit(p, p->buf + s->off + off, s->len - off);
		ui_put(u, y + i, 1, p->w, p->buf + s->off + off,
		       fit(p, p->buf + s->off + off, s->len - off));
		if (at.line + 1 == p->n && at.row + 1 >= rows_of(p, at.line))
			break;
		at = step_down(p, at);
	}
	/* Where more is: a mark in the right margin. */
	attron(ui_attr(ROLE_DIM) | A_BOLD);
	if (p->top.line || p->top.row)
		mvaddch(y, COLS - 1, '^');
	if (before(p->top, end))
		mvaddch(y + rows - 1, COLS - 1, 'v');
	attroff(ui_attr(ROLE_DIM) | A_BOLD);
}

int ui_pager_move(struct ui_pager *p, enum ui_act a, int rows)
{
	int page = rows > 1 ? rows - 1 : 1, steps = 0, down = 1;
	struct pos end;

	if (!p)
		return 0;
	switch (a) {
	case A_UP: steps = 1, down = 0; break;
	case A_DOWN: steps = 1; break;
	case A_PGUP: steps = page, down = 0; break;
	case A_PGDN: steps = page; break;
	case A_FIRST:
		p->top.line = p->top.row = 0;
		p->to_end = 0;
		return 1;
	case A_LAST:
		p->to_end = 1; /* at the next draw, which knows the width */
		return 1;
	default:
		return 0;
	}
	if (!p->n)
		return 1;
	end = last_top(p, rows);
	for (int i = 0; i < steps; i++)
		if (!down)
			p->top = step_up(p, p->top);
		else if (before(p->top, end))
			p->top = step_down(p, p->top);
	return 1;
}

/* --- the screen -------------------------------------------------------- */

enum kind { K_TEXT, K_JSON, K_VENDOR, K_JOURNAL, K_DEFSLOG };

static const char *const kind_name[] = {
	[K_TEXT] = "report (text)",
	[K_JSON] = "report (JSON)",
	[K_VENDOR] = "vendor package",
	[K_JOURNAL] = "quarantine journal",
	[K_DEFSLOG] = "definitions log",
};

struct entry {
	char *path;
	const char *name;   /* in path */
	enum kind kind;
	time_t mtime;
	uint64_t size;
};

static struct {
	struct entry *v;
	size_t n;
	int no_dir;             /* the reports directory is not there */
	struct ui_pager *view;  /* the file shown, or NULL: the list */
	size_t shown;           /* its entry */
} L;

static void close_view(struct ui *u)
{
	ui_pager_free(L.view);
	L.view = NULL;
	u->log_path[0] = '\0';
}

static void free_list(void)
{
	for (size_t i = 0; i < L.n; i++)
		free(L.v[i].path);
	free(L.v);
	L.v = NULL;
	L.n = 0;
}

static int has_suffix(const char *s, const char *suf)
{
	size_t n = strlen(s), k = strlen(suf);

	return n >= k && !strcmp(s + n - k, suf);
}

/* Adds path if it is a regular file (never through a symbolic link). */
static void add(const char *dir, const char *name, enum kind kind)
{
	struct entry *v, *e;
	struct stat st;
	size_t n = strlen(dir) + strlen(name) + 2;
	char *path = malloc(n);

	if (!path)
		return;
	snprintf(path, n, "%s/%s", dir, name);
	if (lstat(path, &st) || !S_ISREG(st.st_mode) ||
	    !(v = realloc(L.v, (L.n + 1) * sizeof(*v)))) {
		free(path);
		return;
	}
	L.v = v;
	e = &L.v[L.n++];
	e->path = path;
	e->name = path + strlen(dir) + 1;
	e->kind = kind;
	e->mtime = st.st_mtime;
	e->size = (uint64_t)st.st_size;
}

static int newest_first(const void *a, const void *b)
{
	const struct entry *x = a, *y = b;

	if (x->mtime != y->mtime)
		return x->mtime < y->mtime ? 1 : -1;
	return strcmp(y->name, x->name);
}

static void load(struct ui *u)
{
	const char *rd = u->cfg->reports_dir;
	DIR *d = rd ? opendir(rd) : NULL;
	struct dirent *de;

	free_list();
	L.no_dir = rd && !d;
	while (d && (de = readdir(d))) {
		const char *s = de->d_name;

		if (!strncmp(s, "report-", 7) && has_suffix(s, ".txt"))
			add(rd, s, K_TEXT);
		else if (!strncmp(s, "report-", 7) && has_suffix(s, ".json"))
			add(rd, s, K_JSON);
		else if (!strncmp(s, "fp-", 3) && has_suffix(s, ".zip"))
			add(rd, s, K_VENDOR);
	}
	if (d)
		closedir(d);
	if (u->cfg->quarantine_dir)
		add(u->cfg->quarantine_dir, "journal", K_JOURNAL);
	if (u->cfg->defs_store)
		add(u->cfg->defs_store, "log.txt", K_DEFSLOG);
	if (L.n)
		qsort(L.v, L.n, sizeof(*L.v), newest_first);
}

/*
 * Reads at most READ_CAP bytes of a regular file: the start, or the end
 * (tail) from a line start. *total gets its size. NULL with errno.
 */
static char *read_capped(const char *path, int tail, size_t *len,
			 uint64_t *total)
{
	int fd = open(path, O_RDONLY | O_NOFOLLOW | O_NONBLOCK | O_CLOEXEC);
	struct stat st;
	size_t want, got = 0;
	char *buf;

	if (fd < 0)
		return NULL;
	if (fstat(fd, &st) || !S_ISREG(st.st_mode)) {
		close(fd);
		errno = EINVAL;
		return NULL;
	}
	*total = (uint64_t)st.st_size;
	want = *total > READ_CAP ? READ_CAP : (size_t)*total;
	if (tail && *total > READ_CAP &&
	    lseek(fd, (off_t)(*total - READ_CAP), SEEK_SET) < 0) {
		close(fd);
		return NULL;
	}
	if (!(buf = malloc(want + 1))) {
		close(fd);
		return NULL;
	}
	while (got < want) {
		ssize_t r = read(fd, buf + got, want - got);

		if (r < 0 && errno == EINTR)
			continue;
		if (r <= 0)
			break;
		got += (size_t)r;
	}
	close(fd);
	if (tail && *total > READ_CAP) {
		/* Starts mid-line: drop up to the first newline. */
		char *nl = memchr(buf, '\n', got);

		if (nl) {
			got -= (size_t)(nl + 1 - buf);
			memmove(buf, nl + 1, got);
		}
	}
	*len = got;
	return buf;
}

static void show(struct ui *u, size_t i)
{
	const struct entry *e = &L.v[i];
	int tail = e->kind == K_JOURNAL || e->kind == K_DEFSLOG;
	uint64_t total = 0;
	size_t len = 0;
	char *text, size[32], cap[32];

	close_view(u);
	L.view = ui_pager_new();
	L.shown = i;
	snprintf(u->log_path, sizeof(u->log_path), "%s", e->path);
	if (!L.view)
		return;
	if (e->kind == K_VENDOR) {
		ui_bytes(e->size, size);
		ui_pager_addf(L.view, "A vendor false-positive package (%s): a ZIP "
			      "encrypted with the password \"%s\",", size,
			      SC_ZIP_PASSWORD);
		ui_pager_addf(L.view, "holding the sample and report.txt. Send "
			      "it to the AV vendor's false-positive desk.");
		return;
	}
	text = read_capped(e->path, tail, &len, &total);
	if (!text) {
		ui_pager_addf(L.view, "cannot read the file: %s", strerror(errno));
		return;
	}
	if (total > READ_CAP) {
		ui_bytes(total, size);
		ui_bytes(READ_CAP, cap);
		ui_pager_addf(L.view, "(the file is %s: only its %s %s is "
			      "shown)", size, tail ? "last" : "first", cap);
	}
	ui_pager_text(L.view, text, len);
	if (!len)
		ui_pager_addf(L.view, "(empty)");
	free(text);
	if (tail)
		ui_pager_move(L.view, A_LAST, 0);
}

/* A screen may ask for one file by setting u->log_path before the push. */
static void enter(struct ui *u)
{
	char want[sizeof(u->log_path)];

	snprintf(want, sizeof(want), "%s", u->log_path);
	close_view(u);
	load(u);
	u->list[UI_LOG].sel = 0;
	u->list[UI_LOG].top = 0;
	for (size_t i = 0; want[0] && i < L.n; i++)
		if (!strcmp(L.v[i].path, want)) {
			u->list[UI_LOG].sel = i;
			show(u, i);
			break;
		}
}

static void draw_list(struct ui *u)
{
	struct ui_list *l = &u->list[UI_LOG];
	int y = ui_body_top(), rows = ui_body_rows() - 3, bottom;
	char when[32], size[32];

	ui_heading(y++, "Reports and logs, newest first (Enter: show)");
	ui_list_fit(l, L.n, rows);
	for (size_t i = l->top; i < L.n && y < ui_body_top() + 1 + rows;
	     i++, y++) {
		const struct entry *e = &L.v[i];
		struct tm tm;
		int cur = i == l->sel, x;

		gmtime_r(&e->mtime, &tm);
		strftime(when, sizeof(when), "%Y-%m-%d %H:%M", &tm);
		ui_bytes(e->size, size);
		if (cur)
			attron(ui_attr(ROLE_SELECTED));
		mvhline(y, 1, ' ', COLS - 2);
		ui_printf(y, 2, COLS - 3, "%s %9s  %-18s", when, size,
			  kind_name[e->kind]);
		x = 2 + 16 + 1 + 9 + 2 + 18 + 1;
		if (e->kind == K_JOURNAL || e->kind == K_DEFSLOG)
			ui_put(u, y, x, COLS - 1 - x, e->path, SIZE_MAX);
		else
			ui_put(u, y, x, COLS - 1 - x, e->name, SIZE_MAX);
		if (cur)
			attroff(ui_attr(ROLE_SELECTED));
	}
	if (!L.n)
		ui_printf(y, 3, COLS - 4, "no reports or logs yet");
	bottom = ui_body_top() + ui_body_rows() - 1;
	attron(ui_attr(ROLE_DIM));
	if (!u->cfg->reports_dir) {
		ui_printf(bottom, 1, COLS - 2, "no reports directory (no "
			  "RESCUEDATA partition): no reports are kept");
	} else {
		ui_printf(bottom, 1, COLS - 2, "%s",
			  L.no_dir ? "no reports yet in: " : "reports in: ");
		ui_put(u, bottom, L.no_dir ? 20 : 13, COLS - 22,
		       u->cfg->reports_dir, SIZE_MAX);
	}
	attroff(ui_attr(ROLE_DIM));
}

static void draw(struct ui *u)
{
	int y = ui_body_top();
	const struct entry *e;
	char pos[64];
	size_t n;

	if (!L.view) {
		draw_list(u);
		return;
	}
	e = &L.v[L.shown];
	n = ui_pager_lines(L.view);
	snprintf(pos, sizeof(pos), "  %zu lines  %zu/%zu", n, L.shown + 1, L.n);
	attron(ui_attr(ROLE_HEADING));
	mvaddnstr(y, 1, kind_name[e->kind], COLS - 2);
	addstr(": ");
	ui_put(u, y, 3 + (int)strlen(kind_name[e->kind]),
	       COLS - 4 - (int)strlen(kind_name[e->kind]) - (int)strlen(pos),
	       e->path, SIZE_MAX);
	mvaddstr(y, COLS - 1 - (int)strlen(pos), pos);
	attroff(ui_attr(ROLE_HEADING));
	ui_pager_draw(u, L.view, y + 1, ui_body_rows() - 1);
}

static int act(struct ui *u, enum ui_act a)
{
	struct ui_list *l = &u->list[UI_LOG];

	if (L.view) {
		if (ui_pager_move(L.view, a, ui_body_rows() - 1))
			return 1;
		switch (a) {
		case A_BACK:
			close_view(u);
			return 1;
		case A_TAB:
			if (L.shown + 1 < L.n) {
				l->sel = L.shown + 1;
				show(u, l->sel);
			} else {
				ui_say(u, ROLE_NORMAL, "that was the last file");
			}
			return 1;
		case A_ENTER:
			return 1;
		default:
			return 0;
		}
	}
	if (ui_list_move(l, a, L.n, ui_body_rows() - 3))
		return 1;
	switch (a) {
	case A_ENTER:
	case A_TAB:
		if (L.n)
			show(u, l->sel);
		return 1;
	case A_BACK:
		free_list();
		return 0;
	default:
		return 0;
	}
}

const struct ui_screen ui_log = { "Reports and logs", enter, draw, act };
