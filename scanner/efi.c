/*
 * UEFI boot entries; see sc/efi.h.
 *
 * This file depends on nothing but libc, so the fuzz target builds it alone.
 * Strings grow in a small capped buffer (struct sbuf) that remembers an
 * allocation failure, so a parser checks for it once at the end.
 */
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "internal.h"
#include "sc/efi.h"
#include "sc/error.h"

/*
 * Directories whose loaders are expected on a Windows or removable-media
 * ESP, as path components. A loader anywhere below one of them is
 * "expected"; add a vendor here, one line.
 */
static const char *const known_dirs[][3] = {
	{ "EFI", "Microsoft", "Boot" },
	{ "EFI", "BOOT", NULL },
};

#define MAX_PATH_TEXT 4096 /* bytes of path text kept */
#define MAX_NODE_TEXT 256  /* bytes of one rendered string inside a node */

static const char *const verdict_names[] = {
	[SC_EFI_EXPECTED] = "expected",
	[SC_EFI_FIRMWARE] = "firmware",
	[SC_EFI_REVIEW] = "review",
};

const char *sc_efi_verdict_name(enum sc_efi_verdict v)
{
	if ((unsigned)v >= sizeof(verdict_names) / sizeof(*verdict_names))
		return "unknown";
	return verdict_names[v];
}

static uint16_t le16(const unsigned char *p)
{
	return (uint16_t)(p[0] | p[1] << 8);
}

static uint32_t le32(const unsigned char *p)
{
	return (uint32_t)p[0] | (uint32_t)p[1] << 8 | (uint32_t)p[2] << 16 |
	       (uint32_t)p[3] << 24;
}

static uint64_t le64(const unsigned char *p)
{
	return le32(p) | (uint64_t)le32(p + 4) << 32;
}

/* GUIDs are stored mixed-endian: the first three fields little-endian. */
static void guid_text(const unsigned char *g, char out[37])
{
	snprintf(out, 37,
		 "%02x%02x%02x%02x-%02x%02x-%02x%02x-%02x%02x-"
		 "%02x%02x%02x%02x%02x%02x",
		 g[3], g[2], g[1], g[0], g[5], g[4], g[7], g[6], g[8], g[9],
		 g[10], g[11], g[12], g[13], g[14], g[15]);
}

/*
 * A NUL-terminated string growing up to max bytes; what does not fit is
 * dropped and "cut" set (the end then reads "..."). After a failed
 * allocation "oom" is set and appends are ignored.
 */
struct sbuf {
	char *s;
	size_t len, alloc, max;
	int oom, cut;
};

static void sb_put(struct sbuf *b, const char *p, size_t n)
{
	if (b->oom || b->cut)
		return;
	if (n > b->max - b->len) {
		n = b->max - b->len;
		b->cut = 1;
	}
	if (b->len + n + 4 > b->alloc) { /* room for "..." and NUL */
		size_t a = b->alloc ? b->alloc : 64;
		char *s;

		while (a < b->len + n + 4)
			a *= 2;
		s = realloc(b->s, a);
		if (!s) {
			b->oom = 1;
			return;
		}
		b->s = s;
		b->alloc = a;
	}
	memcpy(b->s + b->len, p, n);
	b->len += n;
	if (b->cut) {
		memcpy(b->s + b->len, "...", 3);
		b->len += 3;
	}
	b->s[b->len] = '\0';
}

static void sb_str(struct sbuf *b, const char *s)
{
	sb_put(b, s, strlen(s));
}

static void sb_fmt(struct sbuf *b, const char *fmt, ...)
#ifdef __GNUC__
	__attribute__((format(printf, 2, 3)))
#endif
	;

static void sb_fmt(struct sbuf *b, const char *fmt, ...)
{
	char tmp[128];
	va_list ap;
	int n;

	va_start(ap, fmt);
	n = vsnprintf(tmp, sizeof(tmp), fmt, ap);
	va_end(ap);
	if (n < 0)
		return;
	sb_put(b, tmp, (size_t)n < sizeof(tmp) ? (size_t)n : sizeof(tmp) - 1);
}

/* The string, handed over to the caller (never NULL unless oom). */
static char *sb_take(struct sbuf *b)
{
	char *s;

	if (b->oom) {
		free(b->s);
		return NULL;
	}
	s = b->s ? b->s : calloc(1, 1);
	b->s = NULL;
	return s;
}

static void sb_cp(struct sbuf *b, uint32_t cp)
{
	char o[4];
	size_t n;

	if (cp < 0x20 || (cp >= 0x7f && cp < 0xa0))
		cp = 0xfffd; /* no control characters in what we show */
	if (cp < 0x80) {
		o[0] = (char)cp;
		n = 1;
	} else if (cp < 0x800) {
		o[0] = (char)(0xc0 | cp >> 6);
		o[1] = (char)(0x80 | (cp & 0x3f));
		n = 2;
	} else if (cp < 0x10000) {
		o[0] = (char)(0xe0 | cp >> 12);
		o[1] = (char)(0x80 | ((cp >> 6) & 0x3f));
		o[2] = (char)(0x80 | (cp & 0x3f));
		n = 3;
	} else {
		o[0] = (char)(0xf0 | cp >> 18);
		o[1] = (char)(0x80 | ((cp >> 12) & 0x3f));
		o[2] = (char)(0x80 | ((cp >> 6) & 0x3f));
		o[3] = (char)(0x80 | (cp & 0x3f));
		n = 4;
	}
	sb_put(b, o, n);
}

/*
 * Appends up to units UTF-16LE code units at p, stopping at a NUL unit.
 * Lone or reversed surrogates become U+FFFD.
 */
static void sb_utf16(struct sbuf *b, const unsigned char *p, size_t units)
{
	for (size_t i = 0; i < units;) {
		if (!le16(p + 2 * i))
			break;
		sb_cp(b, sc_utf16le_next(p, units, &i));
	}
}

/* Bytes that should be ASCII (a URI): anything else becomes U+FFFD. */
static void sb_ascii(struct sbuf *b, const unsigned char *p, size_t n)
{
	if (n > MAX_NODE_TEXT)
		n = MAX_NODE_TEXT;
	for (size_t i = 0; i < n && p[i]; i++)
		sb_cp(b, p[i] < 0x80 ? p[i] : 0xfffd);
}

static void problem(struct sc_efi_entry *e, const char *fmt, ...)
#ifdef __GNUC__
	__attribute__((format(printf, 2, 3)))
#endif
	;

/* Keeps the first problem of an entry: later ones usually follow from it. */
static void problem(struct sc_efi_entry *e, const char *fmt, ...)
{
	va_list ap;

	if (e->problem[0])
		return;
	va_start(ap, fmt);
	vsnprintf(e->problem, sizeof(e->problem), fmt, ap);
	va_end(ap);
}

/* Appends a sentence to the entry's reason and makes it "review". */
static void review(struct sc_efi_entry *e, const char *why)
{
	size_t n = strlen(e->reason);

	e->verdict = SC_EFI_REVIEW;
	if (strstr(e->reason, why))
		return;
	snprintf(e->reason + n, sizeof(e->reason) - n, "%s%s", n ? " " : "",
		 why);
}

/* Parsing state of one device path list. */
struct walk {
	struct sc_efi_entry *e;
	struct sbuf text, loader;
	int loader_done;  /* the first run of file path nodes has ended */
	int prev_file;    /* the previous node was a file path */
};

static void node_hd(struct walk *w, const unsigned char *d, size_t len)
{
	struct sc_efi_partition *p = &w->e->partition;
	struct sc_efi_partition q = { 0 };

	q.present = 1;
	q.number = le32(d);
	q.start = le64(d + 4);
	q.size = le64(d + 12);
	q.mbr_type = d[36];
	q.sig_type = d[37];
	if (q.sig_type == SC_EFI_SIG_GPT)
		guid_text(d + 20, q.guid);
	else if (q.sig_type == SC_EFI_SIG_MBR)
		q.mbr_id = le32(d + 20);
	if (!p->present)
		*p = q;
	(void)len;
	sb_fmt(&w->text, "HD(%u,", (unsigned)q.number);
	if (q.sig_type == SC_EFI_SIG_GPT)
		sb_fmt(&w->text, "GPT,%s)", q.guid);
	else if (q.sig_type == SC_EFI_SIG_MBR)
		sb_fmt(&w->text, "MBR,0x%08x)", (unsigned)q.mbr_id);
	else
		sb_fmt(&w->text, "%u,0)", (unsigned)q.sig_type);
}

static int ends_slash(const struct sbuf *b)
{
	return b->len && (b->s[b->len - 1] == '\\' || b->s[b->len - 1] == '/');
}

/* A file path node; cont: it continues the path of the previous node. */
static void node_file(struct walk *w, const unsigned char *d, size_t len,
		      int cont)
{
	struct sbuf piece = { .max = MAX_PATH_TEXT };
	char *s;

	if (len % 2)
		problem(w->e, "file path node of odd length %zu", len + 4);
	sb_utf16(&piece, d, len / 2);
	s = piece.s ? piece.s : "";
	if (piece.oom) {
		w->text.oom = 1;
		free(piece.s);
		return;
	}
	/* Consecutive nodes are parts of one path. */
	if (cont && !ends_slash(&w->text) && s[0] != '\\' && s[0] != '/')
		sb_put(&w->text, "\\", 1);
	sb_str(&w->text, s);
	if (!w->loader_done) {
		if (!ends_slash(&w->loader) && w->loader.len && s[0] != '\\' &&
		    s[0] != '/')
			sb_put(&w->loader, "\\", 1);
		sb_str(&w->loader, s);
	}
	free(piece.s);
}

static void node_guid(struct walk *w, const char *name, const unsigned char *d)
{
	char g[37];

	guid_text(d, g);
	sb_fmt(&w->text, "%s(%s)", name, g);
}

/* Renders one node (data d, len bytes after the 4-byte header). */
static void node(struct walk *w, uint8_t type, uint8_t sub,
		 const unsigned char *d, size_t len)
{
	int is_file = type == 4 && sub == 4;
	int cont = is_file && w->prev_file;

	if (w->prev_file && !is_file && w->loader.len)
		w->loader_done = 1;
	if (w->text.len && !cont && w->text.s[w->text.len - 1] != ',')
		sb_put(&w->text, "/", 1);
	w->prev_file = is_file;

	if (type == 1 && sub == 1 && len >= 2) {
		sb_fmt(&w->text, "Pci(0x%x,0x%x)", d[1], d[0]);
	} else if (type == 1 && sub == 4 && len >= 16) {
		node_guid(w, "VenHw", d);
	} else if (type == 2 && sub == 1 && len >= 8) {
		uint32_t hid = le32(d), uid = le32(d + 4);

		if (hid == 0x0a0341d0)
			sb_fmt(&w->text, "PciRoot(0x%x)", (unsigned)uid);
		else if (hid == 0x0a0841d0)
			sb_fmt(&w->text, "PcieRoot(0x%x)", (unsigned)uid);
		else
			sb_fmt(&w->text, "Acpi(0x%08x,0x%x)", (unsigned)hid,
			       (unsigned)uid);
	} else if (type == 3 && sub == 2 && len >= 4) {
		sb_fmt(&w->text, "Scsi(0x%x,0x%x)", le16(d), le16(d + 2));
	} else if (type == 3 && sub == 5 && len >= 2) {
		sb_fmt(&w->text, "USB(0x%x,0x%x)", d[0], d[1]);
	} else if (type == 3 && sub == 10 && len >= 16) {
		node_guid(w, "VenMsg", d);
	} else if (type == 3 && sub == 11 && len >= 33) {
		/* 32 address bytes; Ethernet (type 0 or 1) uses 6. */
		size_t n = d[32] <= 1 ? 6 : 32;

		sb_str(&w->text, "MAC(");
		for (size_t i = 0; i < n; i++)
			sb_fmt(&w->text, "%02x", d[i]);
		sb_fmt(&w->text, ",0x%x)", d[32]);
	} else if (type == 3 && sub == 12 && len >= 8) {
		sb_fmt(&w->text, "IPv4(%u.%u.%u.%u)", d[4], d[5], d[6], d[7]);
	} else if (type == 3 && sub == 13) {
		sb_str(&w->text, "IPv6()");
	} else if (type == 3 && sub == 18 && len >= 6) {
		sb_fmt(&w->text, "Sata(0x%x,0x%x,0x%x)", le16(d), le16(d + 2),
		       le16(d + 4));
	} else if (type == 3 && sub == 23 && len >= 4) {
		sb_fmt(&w->text, "NVMe(0x%x)", (unsigned)le32(d));
	} else if (type == 3 && sub == 24) {
		sb_str(&w->text, "URI(");
		sb_ascii(&w->text, d, len);
		sb_str(&w->text, ")");
	} else if (type == 4 && sub == 1 && len >= 38) {
		node_hd(w, d, len);
	} else if (type == 4 && sub == 2 && len >= 4) {
		sb_fmt(&w->text, "CDROM(0x%x)", (unsigned)le32(d));
	} else if (type == 4 && sub == 3 && len >= 16) {
		node_guid(w, "VenMedia", d);
	} else if (is_file) {
		node_file(w, d, len, cont);
	} else if (type == 4 && sub == 6 && len >= 16) {
		node_guid(w, "FvFile", d);
	} else if (type == 4 && sub == 7 && len >= 16) {
		node_guid(w, "Fv", d);
	} else if (type == 5 && sub == 1 && len >= 2) {
		sb_fmt(&w->text, "BBS(0x%x)", le16(d));
	} else {
		if ((type == 4 && sub == 1) ||
		    (type == 4 && (sub == 6 || sub == 7)))
			problem(w->e, "device path node (%u,%u) too short "
				      "(%zu bytes)", type, sub, len + 4);
		sb_fmt(&w->text, "Node(%u,%u)", type, sub);
	}
}

/*
 * Walks the device path list at p (len bytes, inside the variable). Each
 * node is checked against what is left of the list before it is read.
 */
static void walk_path(struct walk *w, const unsigned char *p, size_t len)
{
	size_t pos = 0;
	int end = 0;

	if (!len) {
		problem(w->e, "empty device path");
		return;
	}
	while (pos < len) {
		uint8_t type, sub;
		size_t nlen;

		if (len - pos < 4) {
			problem(w->e, "device path node truncated at byte %zu",
				pos);
			return;
		}
		type = p[pos];
		sub = p[pos + 1];
		nlen = le16(p + pos + 2);
		if (nlen < 4) {
			problem(w->e, "device path node at byte %zu has "
				      "length %zu; rest of the path ignored",
				pos, nlen);
			return;
		}
		if (nlen > len - pos) {
			problem(w->e, "device path node at byte %zu runs past "
				      "the end of the path list", pos);
			return;
		}
		if (type == 0x7f && sub == 0xff) {
			end = 1;
			pos += nlen;
			break;
		}
		if (type == 0x7f) {
			/* End of one instance; another follows. */
			sb_put(&w->text, ",", 1);
			if (w->loader.len)
				w->loader_done = 1;
			w->prev_file = 0;
		} else {
			node(w, type, sub, p + pos + 4, nlen - 4);
		}
		pos += nlen;
	}
	if (!end)
		problem(w->e, "device path has no end node");
	else if (pos != len)
		problem(w->e, "%zu bytes after the end of the device path",
			len - pos);
}

/* 1 if path (a file path, either slash) lies below a known directory. */
static int known_loader(const char *path)
{
	/* Components after resolving "." and ".." as the FAT driver does. */
	const char *comp[64];
	size_t clen[64], nc = 0;
	const char *p = path;

	while (*p) {
		const char *s;
		size_t n;

		while (*p == '\\' || *p == '/')
			p++;
		s = p;
		while (*p && *p != '\\' && *p != '/')
			p++;
		n = (size_t)(p - s);
		if (!n || (n == 1 && s[0] == '.'))
			continue;
		if (n == 2 && s[0] == '.' && s[1] == '.') {
			if (nc)
				nc--;
			continue;
		}
		if (nc == 64)
			return 0;
		comp[nc] = s;
		clen[nc++] = n;
	}
	for (size_t k = 0; k < sizeof(known_dirs) / sizeof(*known_dirs);
	     k++) {
		size_t i;

		for (i = 0; i < 3 && known_dirs[k][i]; i++) {
			const char *want = known_dirs[k][i];
			size_t j;

			if (i >= nc || clen[i] != strlen(want))
				break;
			for (j = 0; j < clen[i]; j++) {
				unsigned char a = (unsigned char)comp[i][j];
				unsigned char b = (unsigned char)want[j];

				if (a >= 'A' && a <= 'Z')
					a = (unsigned char)(a + 32);
				if (b >= 'A' && b <= 'Z')
					b = (unsigned char)(b + 32);
				if (a != b)
					break;
			}
			if (j != clen[i])
				break;
		}
		/* The whole directory matched and a file name follows. */
		if ((i == 3 || !known_dirs[k][i]) && nc > i)
			return 1;
	}
	return 0;
}

void sc_efi_entry_clear(struct sc_efi_entry *e)
{
	if (!e)
		return;
	free(e->description);
	free(e->loader);
	free(e->path_text);
	memset(e, 0, sizeof(*e));
}

int sc_efi_parse_load_option(const unsigned char *data, size_t n,
			     struct sc_efi_entry *e)
{
	struct walk w = { .e = e };
	struct sbuf desc = { .max = SC_EFI_MAX_VAR * 2 };
	size_t off, units, fl;

	if (!e || (!data && n))
		return SC_EINVAL;
	memset(e, 0, sizeof(*e));
	e->exists = 1;
	w.text.max = MAX_PATH_TEXT;
	w.loader.max = MAX_PATH_TEXT;

	if (n >= 4) {
		e->attributes = le32(data);
		e->active = !!(e->attributes & SC_EFI_LOAD_OPTION_ACTIVE);
		e->hidden = !!(e->attributes & SC_EFI_LOAD_OPTION_HIDDEN);
		e->app = (e->attributes & SC_EFI_LOAD_OPTION_CATEGORY) ==
			 SC_EFI_LOAD_OPTION_CATEGORY_APP;
	}
	if (n < 6) {
		problem(e, "load option of %zu bytes, shorter than its "
			   "6-byte header", n);
		goto out;
	}
	fl = le16(data + 4);
	/* The description: UTF-16LE up to a NUL unit inside the variable. */
	for (units = 0, off = 6; n - off >= 2; units++, off += 2)
		if (!le16(data + off))
			break;
	sb_utf16(&desc, data + 6, units);
	if (n - off < 2) {
		problem(e, "description not NUL-terminated");
		goto out;
	}
	off += 2;
	if (fl > n - off) {
		problem(e, "FilePathListLength %zu runs past the end of the "
			   "variable (%zu bytes left)", fl, n - off);
		fl = n - off; /* show what is there */
	} else {
		e->optional_len = n - off - fl;
	}
	walk_path(&w, data + off, fl);
out:
	e->description = sb_take(&desc);
	e->path_text = sb_take(&w.text);
	e->loader = sb_take(&w.loader);
	if (!e->description || !e->path_text || !e->loader)
		return SC_ENOMEM;

	if (e->problem[0])
		review(e, "The load option is malformed: firmware may reject "
			  "it or read it differently.");
	if (!e->loader[0]) {
		if (!e->problem[0])
			e->verdict = SC_EFI_FIRMWARE;
	} else if (!known_loader(e->loader)) {
		review(e, "The loader is outside \\EFI\\Microsoft\\Boot and "
			  "\\EFI\\BOOT: check that this software is "
			  "expected.");
	} else if (!e->problem[0]) {
		e->verdict = SC_EFI_EXPECTED;
	}
	return SC_OK;
}

/* Reading the variable store. */

struct rdctx {
	struct sc_efi *efi;
	int dfd;
	int oom;
	size_t dropped; /* problems past the cap */
};

static void store_problem(struct rdctx *c, const char *fmt, ...)
#ifdef __GNUC__
	__attribute__((format(printf, 2, 3)))
#endif
	;

static void store_problem(struct rdctx *c, const char *fmt, ...)
{
	struct sc_efi *efi = c->efi;
	char buf[320];
	char **p;
	va_list ap;

	if (efi->nproblems >= SC_EFI_MAX_PROBLEMS) {
		c->dropped++;
		return;
	}
	va_start(ap, fmt);
	vsnprintf(buf, sizeof(buf), fmt, ap);
	va_end(ap);
	p = realloc(efi->problems, (efi->nproblems + 1) * sizeof(*p));
	if (!p) {
		c->oom = 1;
		return;
	}
	efi->problems = p;
	p[efi->nproblems] = strdup(buf);
	if (!p[efi->nproblems]) {
		c->oom = 1;
		return;
	}
	efi->nproblems++;
}

/*
 * Reads variable NAME-<global guid>: its data (after the attribute word,
 * at most SC_EFI_MAX_VAR bytes, malloc'd) and length. Returns 0, 1 if the
 * variable does not exist, -1 after noting a problem (or oom).
 */
static int read_var(struct rdctx *c, const char *name, unsigned char **data,
		    size_t *len)
{
	char fname[64];
	unsigned char *buf;
	size_t got = 0, cap = SC_EFI_MAX_VAR + 4 + 1;
	struct stat st;
	int fd;

	*data = NULL;
	*len = 0;
	snprintf(fname, sizeof(fname), "%s-%s", name, SC_EFI_GLOBAL_GUID);
	fd = openat(c->dfd, fname, O_RDONLY | O_CLOEXEC | O_NOFOLLOW);
	if (fd < 0) {
		if (errno == ENOENT)
			return 1;
		store_problem(c, "cannot open %s: %s", name, strerror(errno));
		return -1;
	}
	if (fstat(fd, &st) || !S_ISREG(st.st_mode)) {
		store_problem(c, "%s is not a regular file", name);
		close(fd);
		return -1;
	}
	buf = malloc(cap);
	if (!buf) {
		c->oom = 1;
		close(fd);
		return -1;
	}
	while (got < cap) {
		ssize_t r = read(fd, buf + got, cap - got);

		if (r < 0 && errno == EINTR)
			continue;
		if (r < 0) {
			store_problem(c, "cannot read %s: %s", name,
				      strerror(errno));
			free(buf);
			close(fd);
			return -1;
		}
		if (!r)
			break;
		got += (size_t)r;
	}
	close(fd);
	if (got < 4) {
		store_problem(c, "%s is shorter than its 4-byte attribute "
				 "field (%zu bytes); ignored", name, got);
		free(buf);
		return -1;
	}
	if (got == cap) {
		store_problem(c, "%s is larger than %u bytes; only the start "
				 "is read", name, (unsigned)SC_EFI_MAX_VAR);
		got--;
	}
	memmove(buf, buf + 4, got - 4);
	*data = buf;
	*len = got - 4;
	return 0;
}

/* BootCurrent, BootNext: one u16. Returns 1 when set. */
static int read_u16_var(struct rdctx *c, const char *name, uint16_t *v)
{
	unsigned char *d;
	size_t n;
	int ok = 0;

	if (read_var(c, name, &d, &n))
		return 0;
	if (n == 2) {
		*v = le16(d);
		ok = 1;
	} else {
		store_problem(c, "%s holds %zu bytes instead of 2; ignored",
			      name, n);
	}
	free(d);
	return ok;
}

static void read_order(struct rdctx *c)
{
	struct sc_efi *efi = c->efi;
	unsigned char *d;
	size_t n, k;

	if (read_var(c, "BootOrder", &d, &n))
		return;
	if (n % 2)
		store_problem(c, "BootOrder has an odd length (%zu bytes); "
				 "the last byte is ignored", n);
	k = n / 2;
	if (k > SC_EFI_MAX_ORDER) {
		store_problem(c, "BootOrder lists %zu entries; only the first "
				 "%u are kept", k, SC_EFI_MAX_ORDER);
		k = SC_EFI_MAX_ORDER;
	}
	if (k) {
		efi->boot_order = malloc(k * sizeof(*efi->boot_order));
		if (!efi->boot_order) {
			c->oom = 1;
			free(d);
			return;
		}
		for (size_t i = 0; i < k; i++)
			efi->boot_order[i] = le16(d + 2 * i);
		efi->norder = k;
	}
	free(d);
}

/* 1 if name is "Boot####-<global guid>" with upper-case hex; sets *id. */
static int boot_name(const char *name, uint16_t *id)
{
	unsigned v = 0;

	if (strncmp(name, "Boot", 4) || name[8] != '-' ||
	    strcmp(name + 9, SC_EFI_GLOBAL_GUID))
		return 0;
	for (int i = 4; i < 8; i++) {
		char ch = name[i];

		if (ch >= '0' && ch <= '9')
			v = v << 4 | (unsigned)(ch - '0');
		else if (ch >= 'A' && ch <= 'F')
			v = v << 4 | (unsigned)(ch - 'A' + 10);
		else
			return 0;
	}
	*id = (uint16_t)v;
	return 1;
}

#define BIT(map, i) ((map)[(i) >> 3] & (1u << ((i) & 7)))
#define SETBIT(map, i) ((map)[(i) >> 3] |= (unsigned char)(1u << ((i) & 7)))

/* Lists the Boot#### variables present in a bitmap of ids. */
static int list_ids(struct rdctx *c, unsigned char have[8192])
{
	int fd = dup(c->dfd);
	struct dirent *de;
	DIR *d;

	if (fd < 0)
		return -1;
	d = fdopendir(fd);
	if (!d) {
		close(fd);
		return -1;
	}
	while ((de = readdir(d))) {
		uint16_t id;

		if (boot_name(de->d_name, &id))
			SETBIT(have, id);
	}
	closedir(d);
	return 0;
}

static int read_entry(struct rdctx *c, uint16_t id, int exists,
		      struct sc_efi_entry *e)
{
	char name[9];
	unsigned char *d;
	size_t n;
	int rc;

	snprintf(name, sizeof(name), "Boot%04X", (unsigned)id);
	if (exists) {
		rc = read_var(c, name, &d, &n);
		if (rc == 1)
			exists = 0; /* vanished since listed */
		if (rc < 0) {
			/* Present but unreadable: listed, with the fault. */
			memset(e, 0, sizeof(*e));
			e->exists = 1;
			snprintf(e->problem, sizeof(e->problem),
				 "variable unreadable or truncated");
			review(e, "The variable cannot be read.");
			goto strings;
		}
	}
	if (exists) {
		rc = sc_efi_parse_load_option(d, n, e);
		free(d);
		if (rc)
			return rc;
		if (e->problem[0])
			store_problem(c, "%s: %s", name, e->problem);
	} else {
		memset(e, 0, sizeof(*e));
		review(e, "Listed for booting, but no such variable exists.");
		goto strings;
	}
	goto done;
strings:
	e->description = calloc(1, 1);
	e->loader = calloc(1, 1);
	e->path_text = calloc(1, 1);
	if (!e->description || !e->loader || !e->path_text)
		return SC_ENOMEM;
done:
	e->id = id;
	memcpy(e->name, name, sizeof(name));
	return SC_OK;
}

static int read_all(struct rdctx *c)
{
	struct sc_efi *efi = c->efi;
	unsigned char *have = calloc(1, 8192), *want = calloc(1, 8192);
	size_t nwant = 0, nother = 0, extra = 0, limit;
	int rc = SC_OK;

	if (!have || !want) {
		rc = SC_ENOMEM;
		goto out;
	}
	read_order(c);
	efi->has_boot_current = read_u16_var(c, "BootCurrent",
					     &efi->boot_current);
	efi->has_boot_next = read_u16_var(c, "BootNext", &efi->boot_next);
	if (c->oom) {
		rc = SC_ENOMEM;
		goto out;
	}
	if (list_ids(c, have)) {
		store_problem(c, "cannot list the variables: %s",
			      strerror(errno));
		if (c->oom) {
			rc = SC_ENOMEM;
			goto out;
		}
	}
	/* What the firmware will start is always listed, within the cap. */
	for (size_t i = 0; i < efi->norder; i++)
		SETBIT(want, efi->boot_order[i]);
	if (efi->has_boot_next)
		SETBIT(want, efi->boot_next);
	for (unsigned id = 0; id < 65536; id++) {
		if (BIT(want, id))
			nwant++;
		else if (BIT(have, id))
			nother++;
	}
	limit = SC_EFI_MAX_ENTRIES > nwant ? SC_EFI_MAX_ENTRIES - nwant : 0;
	efi->entries = calloc(nwant + (nother < limit ? nother : limit) + 1,
			      sizeof(*efi->entries));
	if (!efi->entries) {
		rc = SC_ENOMEM;
		goto out;
	}
	for (unsigned id = 0; id < 65536; id++) {
		int w = !!BIT(want, id), h = !!BIT(have, id), next;
		struct sc_efi_entry *e;

		if (!w && !h)
			continue;
		if (!w && extra++ >= limit)
			continue;
		e = &efi->entries[efi->nentries++];
		rc = read_entry(c, (uint16_t)id, h, e);
		if (rc)
			goto out;
		next = efi->has_boot_next && efi->boot_next == id;
		if (!e->exists)
			store_problem(c, "Boot%04X is listed in %s but does "
					 "not exist", id,
				      next ? "BootNext" : "BootOrder");
		if (next)
			review(e, "BootNext is set to this entry: the firmware "
				  "starts it once at the next boot.");
		for (size_t i = 0; i < efi->norder; i++)
			if (efi->boot_order[i] == id)
				e->in_boot_order = 1;
	}
	if (extra > limit)
		store_problem(c, "%zu boot entries not listed (more than %u)",
			      extra - limit, SC_EFI_MAX_ENTRIES);
	if (c->dropped) {
		/* The last kept slot says how many were left out. */
		c->efi->nproblems--;
		free(efi->problems[efi->nproblems]);
		c->dropped++;
		store_problem(c, "%zu more problems not listed", c->dropped);
	}
	if (c->oom)
		rc = SC_ENOMEM;
out:
	free(have);
	free(want);
	return rc;
}

int sc_efi_read(const char *efivars_dir, struct sc_efi **out)
{
	struct rdctx c = { 0 };
	int rc;

	if (!out)
		return SC_EINVAL;
	*out = NULL;
	if (!efivars_dir)
		efivars_dir = SC_EFI_VARS_DIR;
	c.dfd = open(efivars_dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	if (c.dfd < 0)
		return SC_EOPEN;
	c.efi = calloc(1, sizeof(*c.efi));
	if (!c.efi) {
		close(c.dfd);
		return SC_ENOMEM;
	}
	rc = read_all(&c);
	close(c.dfd);
	if (rc) {
		sc_efi_free(c.efi);
		errno = ENOMEM;
		return rc;
	}
	*out = c.efi;
	return SC_OK;
}

void sc_efi_free(struct sc_efi *efi)
{
	if (!efi)
		return;
	free(efi->boot_order);
	if (efi->entries)
		for (size_t i = 0; i < efi->nentries; i++)
			sc_efi_entry_clear(&efi->entries[i]);
	free(efi->entries);
	for (size_t i = 0; i < efi->nproblems; i++)
		free(efi->problems[i]);
	free(efi->problems);
	free(efi);
}
