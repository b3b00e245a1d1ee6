/*
 * Detection detail: one hit in full. The file (or boot area) and what the
 * disk says about it now, its state (held, allowed, planned, done), then
 * each detection: the rule, its set and version, every meta field, and the
 * matched strings with the bytes around each match in hex; last, what the
 * file says about itself if it is a Windows executable (its version
 * information, for telling a vendor's file from a fake).
 *
 * The content is laid out on virtual rows and scrolled; only the rows in
 * view are drawn and only their bytes read. The file is read at draw time
 * (O_NOFOLLOW, regular files only), so what is shown is what is on the disk
 * now; the PE facts are parsed once per hit, in a child process, since the
 * bytes are hostile (peinfo.h).
 */
#include <curses.h>
#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "ui.h"

#define HEXROWS 5               /* rows of bytes around a match */
#define BEFORE 32               /* bytes shown before a match */
#define AROUND (HEXROWS * 16)   /* bytes read around a match */
#define MAX_SHOWN 100           /* matches shown per detection */
#define PE_MAX (4u << 20)       /* bytes of the file given to the PE parser */

/* --- the virtual rows --- */

struct pane {
	int vy;    /* next virtual row */
	int top;   /* first virtual row in view */
	int y0;    /* screen row of the first row in view */
	int rows;  /* rows in view */
};

/* The screen row of the next virtual row (and takes it), or -1. */
static int row(struct pane *p)
{
	int v = p->vy++;

	return v >= p->top && v < p->top + p->rows ? p->y0 + v - p->top : -1;
}

static void text(struct pane *p, int x, int role, const char *fmt, ...)
	__attribute__((format(printf, 4, 5)));

static void text(struct pane *p, int x, int role, const char *fmt, ...)
{
	char buf[512];
	va_list ap;
	int y = row(p);

	if (y < 0)
		return;
	va_start(ap, fmt);
	vsnprintf(buf, sizeof(buf), fmt, ap);
	va_end(ap);
	attron(ui_attr(role));
	mvaddnstr(y, x, buf, COLS - 1 - x);
	attroff(ui_attr(role));
}

static void heading(struct pane *p, const char *fmt, ...)
	__attribute__((format(printf, 2, 3)));

static void heading(struct pane *p, const char *fmt, ...)
{
	char buf[256];
	va_list ap;
	int y = row(p);

	if (y < 0)
		return;
	va_start(ap, fmt);
	vsnprintf(buf, sizeof(buf), fmt, ap);
	va_end(ap);
	ui_heading(y, buf);
}

/*
 * Bytes from the hostile side (names, meta values), wrapped over up to
 * maxl rows from column x, after label (ours) at column 2; the last row
 * is shortened in the middle if there is more.
 */
static void field_at(struct ui *u, struct pane *p, int x, const char *label,
		     int role, const char *s, size_t n, int maxl)
{
	int w = COLS - 1 - x;
	size_t i = 0;
	int l = 0;

	if (n == SIZE_MAX)
		n = strlen(s);
	do {
		int y = row(p);
		size_t end = l + 1 == maxl ? n
					   : i + ui_wrap_cut(s + i, n - i, w);

		if (y >= 0) {
			if (!l && label)
				ui_printf(y, 2, x - 3, "%s", label);
			attron(ui_attr(role));
			ui_put(u, y, x, w, s + i, end - i);
			attroff(ui_attr(role));
		}
		i = end;
		l++;
	} while (i < n);
}

static void field(struct ui *u, struct pane *p, const char *label, int role,
		  const char *s, size_t n, int maxl)
{
	field_at(u, p, 15, label, role, s, n, maxl);
}

/* --- bytes around a match, read from the file at draw time --- */

static int file_fd = -1;

static int open_file(const struct ui_hit *h)
{
	struct stat st;

	if (file_fd >= 0)
		return file_fd;
	file_fd = open(h->path, O_RDONLY | O_NOFOLLOW | O_NONBLOCK | O_CLOEXEC);
	if (file_fd >= 0 && (fstat(file_fd, &st) || !S_ISREG(st.st_mode))) {
		close(file_fd);
		file_fd = -1;
	}
	return file_fd;
}

/* Whether the next HEXROWS virtual rows are in view (at least one). */
static int hex_in_view(const struct pane *p)
{
	return p->vy + HEXROWS > p->top && p->vy < p->top + p->rows;
}

/*
 * Takes HEXROWS virtual rows and draws those in view: n bytes at base,
 * [hl, hl+hn) highlighted. Rows above the view are skipped 16 bytes each.
 */
static void hex(struct pane *p, const unsigned char *d, size_t n,
		uint64_t base, size_t hl, size_t hn)
{
	int v0 = p->vy, first, last;
	size_t skip;

	p->vy += HEXROWS;
	first = v0 > p->top ? v0 : p->top;
	last = v0 + HEXROWS < p->top + p->rows ? v0 + HEXROWS
					       : p->top + p->rows;
	if (first >= last)
		return;
	skip = (size_t)(first - v0) * 16;
	if (skip >= n)
		return;
	if (hl >= skip) {
		hl -= skip;
	} else if (hl + hn > skip) {
		hn = hl + hn - skip;
		hl = 0;
	} else {
		hn = 0;
	}
	ui_hexdump(p->y0 + first - p->top, last - first, d + skip, n - skip,
		   base + skip, hl, hn);
}

static void match_bytes(struct pane *p, const struct ui_hit *h,
			const struct ui_string *s)
{
	unsigned char buf[AROUND];
	uint64_t base;
	ssize_t got = -1;
	int fd;

	if (!hex_in_view(p)) {
		p->vy += HEXROWS;
		return;
	}
	if (!h->area && (fd = open_file(h)) >= 0) {
		base = s->offset > BEFORE ? s->offset - BEFORE : 0;
		got = pread(fd, buf, sizeof(buf), (off_t)base);
	}
	if (got > 0) {
		size_t hl = (size_t)(s->offset - base);
		size_t hn = s->length;

		if (hl > (size_t)got)
			hl = (size_t)got;
		if (hn > (size_t)got - hl)
			hn = (size_t)got - hl;
		hex(p, buf, (size_t)got, base, hl, hn);
	} else {
		/* A boot area, or a file gone since: what the scan kept. */
		hex(p, s->data, s->dlen, s->offset, 0,
		    s->length < s->dlen ? s->length : s->dlen);
	}
}

/* --- the PE facts, parsed once per hit in a child process --- */

static struct {
	char *path;         /* the hit the cache is for (path and hash) */
	char sha256[65];
	int state;          /* 0 not read, 1 read, -1 failed (why) */
	char why[160];
	int is_pe, is_64bit, is_dll;
	unsigned machine, subsystem, nsignatures;
	int64_t timestamp;
	char *signer, *pdb;
	size_t n;
	char **kv;          /* key, value, key, value... */
} pe;

static void pe_clear(void)
{
	free(pe.path);
	free(pe.signer);
	free(pe.pdb);
	for (size_t i = 0; i < 2 * pe.n; i++)
		free(pe.kv[i]);
	free(pe.kv);
	memset(&pe, 0, sizeof(pe));
}

static void put_str(FILE *f, const char *s)
{
	uint32_t n = s ? (uint32_t)strlen(s) : UINT32_MAX;

	fwrite(&n, sizeof(n), 1, f);
	if (s)
		fwrite(s, 1, n, f);
}

/* The child: reads the file, parses it, writes the facts to fd. */
static void pe_child(const char *path, int out)
{
	FILE *f = fdopen(out, "w");
	int fd = open(path, O_RDONLY | O_NOFOLLOW | O_NONBLOCK | O_CLOEXEC);
	struct sc_pe_info info;
	unsigned char *buf = malloc(PE_MAX);
	size_t len = 0;
	struct stat st;
	char head[160];
	int err;

	alarm(20); /* a parser that hangs must not hang the screen */
	if (!f || !buf || fd < 0 || fstat(fd, &st) || !S_ISREG(st.st_mode))
		_exit(2);
	while (len < PE_MAX) {
		ssize_t r = read(fd, buf + len, PE_MAX - len);

		if (r <= 0)
			break;
		len += (size_t)r;
	}
	memset(&info, 0, sizeof(info));
	err = sc_pe_info_read(buf, len, &info);
	if (err) {
		put_str(f, sc_strerror(err));
		fclose(f);
		_exit(3);
	}
	snprintf(head, sizeof(head), "%d %d %d %u %u %u %lld %zu", info.is_pe,
		 info.is_64bit, info.is_dll, info.machine, info.subsystem,
		 info.nsignatures, (long long)info.timestamp, info.nversion);
	put_str(f, head);
	put_str(f, info.signer);
	put_str(f, info.pdb_path);
	for (size_t i = 0; i < info.nversion; i++) {
		put_str(f, info.version[i].key);
		put_str(f, info.version[i].value);
	}
	_exit(fclose(f) ? 4 : 0);
}

/*
 * Takes one string off the child's output; *ok 0 when malformed. The
 * module's strings are Latin-1 (peinfo.h): made UTF-8, so that a name like
 * "\xa9 2020" shows as the vendor wrote it.
 */
static char *get_str(const unsigned char **p, const unsigned char *end,
		     int *ok)
{
	uint32_t n;
	char *s, *o;

	if (!*ok || end - *p < (ptrdiff_t)sizeof(n)) {
		*ok = 0;
		return NULL;
	}
	memcpy(&n, *p, sizeof(n));
	*p += sizeof(n);
	if (n == UINT32_MAX)
		return NULL;
	if ((size_t)(end - *p) < n || !(s = malloc(2 * (size_t)n + 1))) {
		*ok = 0;
		return NULL;
	}
	o = s;
	for (uint32_t i = 0; i < n; i++) {
		unsigned char c = (*p)[i];

		if (c < 0x80) {
			*o++ = (char)c;
		} else {
			*o++ = (char)(0xc0 | c >> 6);
			*o++ = (char)(0x80 | (c & 0x3f));
		}
	}
	*o = '\0';
	*p += n;
	return s;
}

static void pe_parse(const unsigned char *p, size_t len, int status)
{
	const unsigned char *end = p + len;
	int ok = 1, is_pe, is64, dll;
	unsigned mach, sub, nsig;
	long long ts;
	size_t n;
	char *head = get_str(&p, end, &ok);

	if (!ok || !head || !WIFEXITED(status) || WEXITSTATUS(status)) {
		pe.state = -1;
		if (WIFSIGNALED(status))
			snprintf(pe.why, sizeof(pe.why), "the parser died "
				 "(signal %d): the file may be built to crash "
				 "parsers", WTERMSIG(status));
		else if (head && WIFEXITED(status) && WEXITSTATUS(status) == 3)
			snprintf(pe.why, sizeof(pe.why), "cannot parse: %s",
				 head);
		else
			snprintf(pe.why, sizeof(pe.why), "cannot read the "
				 "file");
		free(head);
		return;
	}
	if (sscanf(head, "%d %d %d %u %u %u %lld %zu", &is_pe, &is64, &dll,
		   &mach, &sub, &nsig, &ts, &n) != 8 ||
	    n > 4096) {
		free(head);
		pe.state = -1;
		snprintf(pe.why, sizeof(pe.why), "the parser's answer is "
			 "malformed");
		return;
	}
	free(head);
	pe.is_pe = is_pe;
	pe.is_64bit = is64;
	pe.is_dll = dll;
	pe.machine = mach;
	pe.subsystem = sub;
	pe.nsignatures = nsig;
	pe.timestamp = ts;
	pe.signer = get_str(&p, end, &ok);
	pe.pdb = get_str(&p, end, &ok);
	pe.kv = calloc(2 * n + 1, sizeof(*pe.kv));
	for (size_t i = 0; ok && pe.kv && i < 2 * n; i++) {
		pe.kv[i] = get_str(&p, end, &ok);
		if (ok)
			pe.n = (i + 1) / 2;
	}
	pe.state = 1;
}

static void pe_load(const struct ui_hit *h)
{
	unsigned char *buf = NULL;
	size_t len = 0, cap = 0;
	int fds[2], status = 0;
	pid_t pid;

	if (pe.path && !strcmp(pe.path, h->path) &&
	    !strcmp(pe.sha256, h->sha256))
		return;
	pe_clear();
	pe.path = strdup(h->path);
	snprintf(pe.sha256, sizeof(pe.sha256), "%s", h->sha256);
	pe.state = -1;
	if (pipe(fds)) {
		snprintf(pe.why, sizeof(pe.why), "cannot parse: %s",
			 strerror(errno));
		return;
	}
	pid = fork();
	if (pid == 0) {
		/* The UI's fatal-signal handlers would give the terminal
		 * back (endwin) from the child: a crashing parser must
		 * just die. */
		static const int sigs[] = { SIGSEGV, SIGBUS, SIGABRT, SIGFPE,
					    SIGILL, SIGTERM, SIGHUP, SIGQUIT,
					    SIGALRM, SIGPIPE };

		for (size_t i = 0; i < sizeof(sigs) / sizeof(*sigs); i++)
			signal(sigs[i], SIG_DFL);
		close(fds[0]);
		pe_child(h->path, fds[1]);
		_exit(5);
	}
	close(fds[1]);
	if (pid < 0) {
		close(fds[0]);
		snprintf(pe.why, sizeof(pe.why), "cannot parse: %s",
			 strerror(errno));
		return;
	}
	for (;;) {
		ssize_t r;

		if (len == cap) {
			unsigned char *nb = cap < (1u << 20)
						    ? realloc(buf, cap + 65536)
						    : NULL;

			if (!nb)
				break;
			buf = nb;
			cap += 65536;
		}
		r = read(fds[0], buf + len, cap - len);
		if (r < 0 && errno == EINTR)
			continue;
		if (r <= 0)
			break;
		len += (size_t)r;
	}
	close(fds[0]);
	while (waitpid(pid, &status, 0) < 0 && errno == EINTR)
		;
	pe_parse(buf ? buf : (const unsigned char *)"", len, status);
	free(buf);
}

static const char *machine_name(unsigned m)
{
	switch (m) {
	case 0x14c: return "x86";
	case 0x8664: return "x86-64";
	case 0xaa64: return "ARM64";
	case 0x1c0: case 0x1c4: return "ARM";
	case 0x200: return "Itanium";
	default: return "other machine";
	}
}

static const char *subsystem_name(unsigned s)
{
	switch (s) {
	case 1: return "native (driver or boot-time program)";
	case 2: return "Windows GUI";
	case 3: return "Windows console";
	case 9: return "Windows CE";
	case 10: return "EFI application";
	case 11: return "EFI boot-service driver";
	case 12: return "EFI runtime driver";
	case 16: return "Windows boot application";
	default: return "other";
	}
}

static void draw_pe(struct ui *u, struct pane *p, const struct ui_hit *h)
{
	char ts[40];
	time_t t;
	struct tm tm;

	heading(p, "Windows executable facts (PE)");
	pe_load(h);
	if (pe.state < 0) {
		text(p, 2, ROLE_WARN, "%s", pe.why);
		return;
	}
	if (!pe.is_pe) {
		text(p, 2, ROLE_NORMAL, "not a Windows executable (no PE "
		     "header in the first %u MiB)", PE_MAX >> 20);
		return;
	}
	text(p, 2, ROLE_NORMAL, "%s %s %s, %s", pe.is_64bit ? "PE32+" : "PE32",
	     machine_name(pe.machine), pe.is_dll ? "DLL" : "program",
	     subsystem_name(pe.subsystem));
	t = (time_t)pe.timestamp;
	if (gmtime_r(&t, &tm))
		strftime(ts, sizeof(ts), "%Y-%m-%d %H:%M:%S UTC", &tm);
	else
		snprintf(ts, sizeof(ts), "%lld", (long long)pe.timestamp);
	text(p, 2, ROLE_NORMAL, "linker time stamp %s (often not a date)", ts);
	if (pe.nsignatures) {
		text(p, 2, ROLE_NORMAL, "%u Authenticode signature%s (not "
		     "verified: a signer name proves nothing by itself)",
		     pe.nsignatures, pe.nsignatures == 1 ? "" : "s");
		if (pe.signer)
			field(u, p, "signer", ROLE_NORMAL, pe.signer,
			      SIZE_MAX, 2);
	} else {
		text(p, 2, ROLE_NORMAL, "not signed");
	}
	if (pe.pdb)
		field(u, p, "PDB path", ROLE_NORMAL, pe.pdb, SIZE_MAX, 2);
	if (!pe.n)
		text(p, 2, ROLE_NORMAL, "no version information");
	for (size_t i = 0; i < pe.n; i++) {
		int v = p->vy;

		if (!pe.kv[2 * i] || !pe.kv[2 * i + 1])
			continue;
		/* Keys are the file's bytes too: shown safely, shortened. */
		field_at(u, p, 21, NULL, ROLE_NORMAL, pe.kv[2 * i + 1],
			 SIZE_MAX, 2);
		if (v >= p->top && v < p->top + p->rows)
			ui_put(u, p->y0 + v - p->top, 2, 18, pe.kv[2 * i],
			       SIZE_MAX);
	}
}

/* --- the screen --- */

static int view_top;       /* the first virtual row in view */
static int total;           /* virtual rows, from the last draw */
static size_t shown = SIZE_MAX;

static void enter(struct ui *u)
{
	view_top = 0;
	shown = u->detail;
}

static void when(struct pane *p, const char *what, time_t t)
{
	char buf[40];
	struct tm tm;

	if (gmtime_r(&t, &tm))
		strftime(buf, sizeof(buf), "%Y-%m-%d %H:%M:%S UTC", &tm);
	else
		snprintf(buf, sizeof(buf), "?");
	text(p, 2, ROLE_NORMAL, "%-12s %s", what, buf);
}

static const struct sc_storm *storm_of(const struct ui *u)
{
	return u->report ? sc_report_storm(u->report) : NULL;
}

static void draw_item(struct ui *u, struct pane *p, const struct ui_hit *h)
{
	char size[32];
	struct stat st;

	ui_bytes(h->size, size);
	if (h->area) {
		heading(p, "Boot area");
		field(u, p, "area", ROLE_NORMAL, h->area, SIZE_MAX, 1);
		field(u, p, "disk", ROLE_NORMAL, h->path, h->len, 2);
	} else {
		heading(p, "File");
		field(u, p, "path", ROLE_NORMAL, h->path, h->len, 8);
	}
	text(p, 2, ROLE_NORMAL, "%-12s %s (%llu bytes)", "size", size,
	     (unsigned long long)h->size);
	field(u, p, "type", ROLE_NORMAL, *h->filetype ? h->filetype : "-",
	      SIZE_MAX, 1);
	text(p, 2, ROLE_NORMAL, "%-12s %s", "SHA-256",
	     h->sha256[0] ? h->sha256 : "-");
	if (!h->area) {
		if (lstat(h->path, &st)) {
			text(p, 2, ROLE_WARN, "%-12s no longer there (%s)",
			     "on disk now", strerror(errno));
		} else {
			text(p, 2, ROLE_NORMAL, "%-12s mode %04o, owner %u, "
			     "group %u%s", "on disk now",
			     (unsigned)(st.st_mode & 07777),
			     (unsigned)st.st_uid, (unsigned)st.st_gid,
			     S_ISREG(st.st_mode) ? ""
						 : " (not a regular file)");
			when(p, "modified", st.st_mtime);
			when(p, "changed", st.st_ctime);
			when(p, "accessed", st.st_atime);
			if ((uint64_t)st.st_size != h->size)
				text(p, 2, ROLE_WARN, "%-12s its size is now "
				     "%llu bytes: changed since the scan", "",
				     (unsigned long long)st.st_size);
		}
	}
	if (h->critical)
		text(p, 2, ROLE_WARN, "%-12s a Windows system or boot file: "
		     "quarantine only copies it", "CRITICAL");
	for (size_t k = 0; k < h->ndet; k++) {
		const struct sc_storm *s = storm_of(u);
		const struct sc_storm_hold *hold =
			s ? sc_storm_hold_of(s, h->det[k].ns, h->det[k].rule)
			  : NULL;
		char rule[300];

		if (!s || !sc_storm_is_held(s, h->det[k].ns, h->det[k].rule))
			continue;
		snprintf(rule, sizeof(rule), "%s:%s", h->det[k].ns,
			 h->det[k].rule);
		text(p, 2, ROLE_WARN, "%-12s by the FP-storm guard: no action "
		     "until released", "HELD");
		field(u, p, "  rule", ROLE_WARN, rule, SIZE_MAX, 2);
		if (hold && hold->reason)
			field(u, p, "  why", ROLE_WARN, hold->reason, SIZE_MAX,
			      3);
		snprintf(rule, sizeof(rule), "rescue scan --release-hold %s:%s",
			 h->det[k].ns, h->det[k].rule);
		field(u, p, "  release", ROLE_WARN, rule, SIZE_MAX, 3);
	}
	if (h->allowed)
		text(p, 2, ROLE_OK, "%-12s by the allowlist: not counted as "
		     "found", "ALLOWED");
	if (h->plan != PLAN_NONE)
		text(p, 2, ROLE_NORMAL, "%-12s %s %s (P: the plan)", "planned",
		     ui_plan_mark(h->plan),
		     h->plan == PLAN_QUARANTINE ? "quarantine"
		     : h->plan == PLAN_ALLOW  ? "always allow"
					      : "ignore once");
	else if (!h->outcome)
		text(p, 2, ROLE_DIM, "%-12s none: %si ignore once, w always "
		     "allow", "planned", h->area ? "" : "u quarantine, ");
	if (h->outcome)
		field(u, p, h->outcome_ok ? "done" : "NOT done",
		      h->outcome_ok ? ROLE_OK : ROLE_DANGER, h->outcome,
		      SIZE_MAX, 6);
}

static void draw_meta(struct ui *u, struct pane *p,
		      const struct sc_quar_detection *d)
{
	static const char *const first[] = { "description", "author",
					     "reference" };
	char num[32];

	/* The usual three first, in that order; then the others. */
	for (int pass = 0; pass < 4; pass++)
		for (size_t m = 0; m < d->nmeta; m++) {
			const struct sc_meta *x = &d->meta[m];
			int known = 0;

			for (int f = 0; f < 3; f++)
				known |= !strcmp(x->key, first[f]);
			if (pass < 3 ? strcmp(x->key, first[pass]) : known)
				continue;
			if (x->type == SC_META_STRING) {
				field(u, p, x->key, ROLE_NORMAL,
				      x->str ? x->str : "", SIZE_MAX, 4);
				continue;
			}
			if (x->type == SC_META_BOOLEAN)
				snprintf(num, sizeof(num), "%s",
					 x->num ? "true" : "false");
			else
				snprintf(num, sizeof(num), "%lld",
					 (long long)x->num);
			field(u, p, x->key, ROLE_NORMAL, num, SIZE_MAX, 1);
		}
}

static void draw_detection(struct ui *u, struct pane *p,
			   const struct ui_hit *h, size_t k)
{
	const struct sc_quar_detection *d = &h->det[k];
	size_t nstr = 0, shown_n = 0;
	char date[16] = "";

	p->vy++;
	heading(p, "Detection %zu of %zu: %s:%s", k + 1, h->ndet, d->ns,
		d->rule);
	if (d->set_created) {
		time_t t = (time_t)d->set_created;
		struct tm tm;

		if (gmtime_r(&t, &tm))
			strftime(date, sizeof(date), "%Y-%m-%d", &tm);
	}
	if (d->set_version)
		text(p, 2, ROLE_NORMAL, "%-12s %s version %llu%s%s", "set",
		     d->set, (unsigned long long)d->set_version,
		     *date ? ", of " : "", date);
	else
		text(p, 2, ROLE_NORMAL, "%-12s %s (rules compiled from "
		     "source, unsigned)", "set", d->set);
	draw_meta(u, p, d);
	for (size_t s = 0; s < h->nstrs; s++)
		nstr += h->strs[s].match == k;
	if (!nstr) {
		text(p, 2, ROLE_DIM, "no string matches (the condition alone "
		     "matched)");
		return;
	}
	text(p, 2, ROLE_NORMAL, "%zu string match%s; the bytes around each%s:",
	     nstr, nstr == 1 ? "" : "es",
	     h->area ? " (as the scan kept them)"
	     : open_file(h) < 0 ? " (as the scan kept them: the file cannot "
				  "be read now)"
				: "");
	for (size_t s = 0; s < h->nstrs; s++) {
		const struct ui_string *x = &h->strs[s];

		if (x->match != k)
			continue;
		if (++shown_n > MAX_SHOWN) {
			text(p, 2, ROLE_DIM, "... and %zu more not shown",
			     nstr - MAX_SHOWN);
			break;
		}
		text(p, 2, ROLE_NORMAL, "%s at offset %llu (0x%llx), %u bytes",
		     x->id ? x->id : "$", (unsigned long long)x->offset,
		     (unsigned long long)x->offset, x->length);
		match_bytes(p, h, x);
	}
}

static int body_rows(void)
{
	return ui_body_rows() - 2; /* the name above, the position below */
}

static void draw(struct ui *u)
{
	const struct ui_hit *h;
	struct pane p;
	int bottom = ui_body_top() + ui_body_rows() - 1;

	if (u->detail >= u->nhits) {
		ui_printf(ui_body_top() + 1, 2, COLS - 4, "No detection to "
			  "show: run a scan first.");
		return;
	}
	if (shown != u->detail)
		enter(u);
	/* Content can shrink (the file went away): keep the view filled. */
	if (view_top > 0 && view_top + body_rows() > total)
		view_top = total > body_rows() ? total - body_rows() : 0;
	h = &u->hits[u->detail];
	/* The name stays in view while the rest scrolls. */
	attron(ui_attr(ROLE_HEADING));
	ui_printf(ui_body_top(), 1, 4, "%s", ui_plan_mark(h->plan));
	attroff(ui_attr(ROLE_HEADING));
	ui_put_hit(u, ui_body_top(), 5, COLS - 6, h);
	p.vy = 0;
	p.top = view_top;
	p.y0 = ui_body_top() + 1;
	p.rows = body_rows();
	draw_item(u, &p, h);
	for (size_t k = 0; k < h->ndet; k++)
		draw_detection(u, &p, h, k);
	if (!h->area) {
		p.vy++;
		draw_pe(u, &p, h);
	}
	if (file_fd >= 0) {
		close(file_fd);
		file_fd = -1;
	}
	total = p.vy;
	attron(ui_attr(ROLE_DIM));
	ui_printf(bottom, 1, COLS - 2, "lines %d-%d of %d%s", view_top + 1,
		  view_top + p.rows < total ? view_top + p.rows : total, total,
		  total > p.rows ? "  (Up, Down, PgUp, PgDn scroll)" : "");
	attroff(ui_attr(ROLE_DIM));
}

static int act(struct ui *u, enum ui_act a)
{
	int rows = body_rows(), max = total > rows ? total - rows : 0;
	static const enum ui_plan plan_of[] = {
		[A_QUARANTINE] = PLAN_QUARANTINE, [A_IGNORE] = PLAN_IGNORE,
		[A_ALLOW] = PLAN_ALLOW, [A_CLEAR] = PLAN_NONE,
	};

	switch (a) {
	case A_UP: view_top--; break;
	case A_DOWN: view_top++; break;
	case A_PGUP: view_top -= rows - 1; break;
	case A_PGDN: view_top += rows - 1; break;
	case A_FIRST: view_top = 0; break;
	case A_LAST: view_top = max; break;
	case A_QUARANTINE:
	case A_IGNORE:
	case A_ALLOW:
	case A_CLEAR:
		if (u->detail < u->nhits)
			ui_plan_set(u, u->detail, plan_of[a]);
		return 1;
	case A_EXPORT:
		if (u->detail < u->nhits)
			ui_export_hit(u, u->detail);
		return 1;
	case A_PLAN:
		/* From the plan, back to it; else to it. */
		if (u->depth > 1 && u->stack[u->depth - 2] == UI_PLAN)
			ui_pop(u);
		else if (u->scanned)
			ui_push(u, UI_PLAN);
		return 1;
	default:
		return 0;
	}
	if (view_top > max)
		view_top = max;
	if (view_top < 0)
		view_top = 0;
	return 1;
}

const struct ui_screen ui_detail = { "Detection", enter, draw, act };
