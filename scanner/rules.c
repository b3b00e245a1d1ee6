/* Rule loading; see sc/rules.h. */
#include <dirent.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <yara.h>

#include "internal.h"
#include "sc/error.h"
#include "sc/rules.h"

struct set {
	struct sc_rules_set pub;
	YR_RULES *yr;
};

struct sc_rules {
	YR_COMPILER *compiler;
	YR_RULES *compiled;
	struct set *sets;
	size_t nsets;
	int compiled_done;
	sc_diag_fn diag;
	void *ctx;
	struct sc_rules_source *src;
	size_t nsrc, asrc;
	unsigned nrules;
	int yara_up;
};

/* Collects compiler messages of one compilation. */
struct collect {
	struct sc_rules *rules;
	const char *name;  /* used when libyara gives no file name */
	char *first_error; /* malloc'd "file:line: message" */
	int errors;
	int quiet; /* count errors but do not pass messages on */
};

static const char *const externals[] = {
	"filename", "filepath", "extension", "filetype", "owner",
};

static void on_compiler_msg(int level, const char *file, int line,
			    const YR_RULE *rule, const char *message, void *ud)
{
	struct collect *c = ud;
	struct sc_diag d;

	(void)rule;
	d.level = level == YARA_ERROR_LEVEL_ERROR ? SC_DIAG_ERROR
						  : SC_DIAG_WARNING;
	d.file = file ? file : c->name;
	d.line = line;
	d.message = message;
	if (d.level == SC_DIAG_ERROR) {
		c->errors++;
		if (!c->first_error)
			c->first_error = sc_xasprintf("%s:%d: %s", d.file,
						      line, message);
	}
	if (c->rules->diag && !c->quiet)
		c->rules->diag(&d, c->rules->ctx);
}

static int define_externals(YR_COMPILER *comp)
{
	for (size_t i = 0; i < sizeof(externals) / sizeof(*externals); i++)
		if (yr_compiler_define_string_variable(comp, externals[i], ""))
			return SC_EYARA;
	return SC_OK;
}

static int new_compiler(YR_COMPILER **out)
{
	if (yr_compiler_create(out) != ERROR_SUCCESS)
		return SC_ENOMEM;
	if (define_externals(*out)) {
		yr_compiler_destroy(*out);
		return SC_EYARA;
	}
	return SC_OK;
}

int sc_rules_create(sc_diag_fn diag, void *ctx, struct sc_rules **out)
{
	struct sc_rules *r = calloc(1, sizeof(*r));
	int err;

	*out = NULL;
	if (!r)
		return SC_ENOMEM;
	if (yr_initialize() != ERROR_SUCCESS) {
		free(r);
		return SC_EYARA;
	}
	r->yara_up = 1;
	r->diag = diag;
	r->ctx = ctx;
	err = new_compiler(&r->compiler);
	if (err) {
		sc_rules_destroy(r);
		return err;
	}
	*out = r;
	return SC_OK;
}

/* Namespace from a file name: basename without extension, made unique. */
static char *make_ns(struct sc_rules *r, const char *path)
{
	const char *base = strrchr(path, '/');
	char *ns, *dot;
	int n = 1;

	base = base ? base + 1 : path;
	ns = sc_xstrdup(base);
	if (!ns)
		return NULL;
	dot = strrchr(ns, '.');
	if (dot && dot != ns)
		*dot = '\0';
	for (;;) {
		char *cand = n == 1 ? sc_xstrdup(ns)
				    : sc_xasprintf("%s_%d", ns, n);
		int taken = 0;

		if (!cand) {
			free(ns);
			return NULL;
		}
		for (size_t i = 0; i < r->nsrc; i++)
			if (r->src[i].ns && !strcmp(r->src[i].ns, cand))
				taken = 1;
		if (!taken) {
			free(ns);
			return cand;
		}
		free(cand);
		n++;
	}
}

static struct sc_rules_source *new_source(struct sc_rules *r, const char *path,
					  const char *ns)
{
	struct sc_rules_source *s;

	if (r->nsrc == r->asrc) {
		size_t na = r->asrc ? r->asrc * 2 : 8;
		void *p = realloc(r->src, na * sizeof(*r->src));

		if (!p)
			return NULL;
		r->src = p;
		r->asrc = na;
	}
	s = &r->src[r->nsrc];
	memset(s, 0, sizeof(*s));
	s->path = sc_xstrdup(path);
	s->ns = ns ? sc_xstrdup(ns) : make_ns(r, path);
	if (!s->path || !s->ns) {
		free((char *)s->path);
		free((char *)s->ns);
		return NULL;
	}
	r->nsrc++;
	return s;
}

static unsigned count_rules(YR_COMPILER *comp)
{
	YR_RULES *rules;
	YR_RULE *rule;
	unsigned n = 0;

	if (yr_compiler_get_rules(comp, &rules) != ERROR_SUCCESS)
		return 0;
	yr_rules_foreach(rules, rule) n++;
	yr_rules_destroy(rules);
	return n;
}

/*
 * Adds one source: text (if given) or the file at path. The throw-away
 * compile comes first because a libyara compiler that saw an error cannot
 * take more input.
 */
static int add_one(struct sc_rules *r, const char *path, const char *ns,
		   const char *text)
{
	struct sc_rules_source *s;
	struct collect c = { r, path, NULL, 0, 0 };
	YR_COMPILER *trial;
	FILE *f = NULL;
	int err;

	if (!r->compiler || r->compiled_done)
		return SC_ESTATE;
	s = new_source(r, path, ns);
	if (!s)
		return SC_ENOMEM;
	if (!text) {
		f = fopen(path, "r");
		if (!f) {
			s->error = sc_xasprintf("%s: %s", path,
						strerror(errno));
			return SC_EOPEN;
		}
	}
	err = new_compiler(&trial);
	if (err)
		goto out;
	yr_compiler_set_callback(trial, on_compiler_msg, &c);
	if (text)
		yr_compiler_add_string(trial, text, s->ns);
	else
		yr_compiler_add_file(trial, f, s->ns, path);
	if (c.errors) {
		s->error = c.first_error;
		c.first_error = NULL;
		yr_compiler_destroy(trial);
		err = SC_ERULES;
		goto out;
	}
	s->rules = count_rules(trial);
	yr_compiler_destroy(trial);

	/* Warnings were already reported by the trial compile. */
	c.quiet = 1;
	yr_compiler_set_callback(r->compiler, on_compiler_msg, &c);
	if (text) {
		yr_compiler_add_string(r->compiler, text, s->ns);
	} else {
		rewind(f);
		yr_compiler_add_file(r->compiler, f, s->ns, path);
	}
	if (c.errors) {
		/* Cannot happen after a clean trial; keep the set usable. */
		s->error = c.first_error;
		c.first_error = NULL;
		err = SC_EYARA;
		goto out;
	}
	s->loaded = 1;
	r->nrules += s->rules;
out:
	free(c.first_error);
	if (f)
		fclose(f);
	return err;
}

static int has_rule_ext(const char *name)
{
	const char *dot = strrchr(name, '.');

	return dot && dot != name &&
	       (!strcmp(dot, ".yar") || !strcmp(dot, ".yara"));
}

static int cmp_str(const void *a, const void *b)
{
	return strcmp(*(char *const *)a, *(char *const *)b);
}

static int add_dir(struct sc_rules *r, const char *dir, int depth)
{
	DIR *d;
	struct dirent *de;
	char **names = NULL;
	size_t n = 0, alloc = 0;
	int err = SC_OK;

	if (depth > 16)
		return SC_OK;
	d = opendir(dir);
	if (!d)
		return SC_EOPEN;
	while ((de = readdir(d))) {
		if (de->d_name[0] == '.')
			continue;
		if (n == alloc) {
			size_t na = alloc ? alloc * 2 : 16;
			void *p = realloc(names, na * sizeof(*names));

			if (!p) {
				err = SC_ENOMEM;
				break;
			}
			names = p;
			alloc = na;
		}
		names[n] = sc_xasprintf("%s/%s", dir, de->d_name);
		if (!names[n]) {
			err = SC_ENOMEM;
			break;
		}
		n++;
	}
	closedir(d);
	if (!err)
		qsort(names, n, sizeof(*names), cmp_str);
	for (size_t i = 0; i < n; i++) {
		struct stat st;

		if (!err && !lstat(names[i], &st)) {
			if (S_ISDIR(st.st_mode)) {
				int e = add_dir(r, names[i], depth + 1);

				if (e == SC_ENOMEM)
					err = e;
			} else if (S_ISREG(st.st_mode) &&
				   has_rule_ext(names[i])) {
				int e = add_one(r, names[i], NULL, NULL);

				if (e == SC_ENOMEM)
					err = e;
			}
		}
		free(names[i]);
	}
	free(names);
	return err;
}

int sc_rules_add_path(struct sc_rules *r, const char *path)
{
	struct stat st;

	if (!r || !path)
		return SC_EINVAL;
	if (stat(path, &st))
		return SC_EOPEN;
	if (S_ISDIR(st.st_mode))
		return add_dir(r, path, 0);
	return add_one(r, path, NULL, NULL);
}

int sc_rules_add_source(struct sc_rules *r, const char *name, const char *ns,
			const char *text)
{
	if (!r || !name || !text)
		return SC_EINVAL;
	return add_one(r, name, ns, text);
}

static int add_set(struct sc_rules *r, YR_RULES *yr, const char *name,
		   const struct sc_defs_info *info, const struct sc_defs_key *key,
		   const char *path, unsigned count, int first)
{
	struct set *v = realloc(r->sets, (r->nsets + 1) * sizeof(*v));
	struct set *st;

	if (!v)
		return SC_ENOMEM;
	r->sets = v;
	if (first) {
		memmove(v + 1, v, r->nsets * sizeof(*v));
		st = &v[0];
	} else {
		st = &v[r->nsets];
	}
	memset(st, 0, sizeof(*st));
	st->yr = yr;
	st->pub.name = sc_xstrdup(name);
	st->pub.version = info ? info->version : 0;
	st->pub.created = info ? info->created : 0;
	st->pub.key_id = sc_xstrdup(info ? info->key_id : "");
	st->pub.key_name = sc_xstrdup(key && key->name ? key->name : "");
	st->pub.path = sc_xstrdup(path ? path : "");
	st->pub.rules = count;
	r->nsets++;
	if (!st->pub.name || !st->pub.key_id || !st->pub.key_name ||
	    !st->pub.path)
		return SC_ENOMEM;
	return SC_OK;
}

/* libyara reads the compiled rules through a stream: from memory here. */
struct memstream {
	const unsigned char *p;
	size_t left;
	unsigned char *out;
	size_t len, alloc;
	int failed;
};

static size_t mem_read(void *ptr, size_t size, size_t count, void *ud)
{
	struct memstream *m = ud;
	size_t i;

	for (i = 0; i < count && size <= m->left; i++) {
		memcpy((char *)ptr + i * size, m->p, size);
		m->p += size;
		m->left -= size;
	}
	return i;
}

static size_t mem_write(const void *ptr, size_t size, size_t count, void *ud)
{
	struct memstream *m = ud;
	size_t n = size * count;

	if (count && n / count != size)
		return 0;
	if (m->alloc - m->len < n) {
		size_t na = m->alloc ? m->alloc : 65536;
		unsigned char *q;

		while (na - m->len < n)
			na *= 2;
		q = realloc(m->out, na);
		if (!q) {
			m->failed = 1;
			return 0;
		}
		m->out = q;
		m->alloc = na;
	}
	memcpy(m->out + m->len, ptr, n);
	m->len += n;
	return count;
}

int sc_rules_add_bundle(struct sc_rules *r, const char *path,
			const struct sc_defs_key *keys, size_t nkeys,
			struct sc_defs_info *info, const char **why)
{
	const struct sc_defs_key *key;
	struct memstream m = { 0 };
	YR_STREAM stream;
	YR_RULES *yr = NULL;
	YR_RULE *rule;
	unsigned char *data;
	unsigned count = 0;
	size_t n = 0;
	FILE *f;
	long sz;
	int err;

	*why = NULL;
	f = fopen(path, "rb");
	if (!f)
		return SC_EOPEN;
	if (fseek(f, 0, SEEK_END) || (sz = ftell(f)) < 0 ||
	    fseek(f, 0, SEEK_SET)) {
		fclose(f);
		return SC_EREAD;
	}
	if ((unsigned long)sz > SC_DEFS_MAX_SIZE) {
		fclose(f);
		memset(info, 0, sizeof(*info));
		*why = "oversized: larger than any definitions bundle can be";
		return SC_EFORMAT;
	}
	data = malloc(sz ? (size_t)sz : 1);
	if (!data) {
		fclose(f);
		return SC_ENOMEM;
	}
	n = fread(data, 1, (size_t)sz, f);
	fclose(f);
	if (n != (size_t)sz) {
		free(data);
		return SC_EREAD;
	}
	err = sc_defs_verify(data, n, keys, nkeys, info, &key, why);
	if (err) {
		free(data);
		return err;
	}
	for (size_t i = 0; i < r->nsets; i++)
		if (!strcmp(r->sets[i].pub.name, info->set)) {
			free(data);
			*why = "a set of that name is already loaded";
			return SC_EINVAL;
		}
	m.p = data + SC_DEFS_HEADER_SIZE;
	m.left = (size_t)info->rules_size;
	stream.user_data = &m;
	stream.read = mem_read;
	stream.write = NULL;
	err = yr_rules_load_stream(&stream, &yr);
	free(data);
	if (err != ERROR_SUCCESS) {
		*why = "the signed rules could not be loaded by libyara";
		return SC_EFORMAT;
	}
	yr_rules_foreach(yr, rule) count++;
	err = add_set(r, yr, info->set, info, key, path, count, 0);
	if (err)
		return err;
	return SC_OK;
}

int sc_rules_compile(struct sc_rules *r)
{
	int err;

	if (!r || r->compiled_done)
		return SC_ESTATE;
	r->compiled_done = 1;
	if (r->nrules) {
		err = yr_compiler_get_rules(r->compiler, &r->compiled);
		yr_compiler_destroy(r->compiler);
		r->compiler = NULL;
		if (err != ERROR_SUCCESS) {
			r->compiled = NULL;
			return err == ERROR_INSUFFICIENT_MEMORY ? SC_ENOMEM
								: SC_EYARA;
		}
		/* The set owns the rules from here on. */
		err = add_set(r, r->compiled, "local", NULL, NULL, NULL,
			      r->nrules, 1);
		r->compiled = NULL;
		if (err)
			return err;
	} else {
		yr_compiler_destroy(r->compiler);
		r->compiler = NULL;
	}
	return r->nsets ? SC_OK : SC_ENORULES;
}

unsigned sc_rules_count(const struct sc_rules *r)
{
	unsigned n = 0;

	if (!r || !r->compiled_done)
		return 0;
	for (size_t i = 0; i < r->nsets; i++)
		n += r->sets[i].pub.rules;
	return n;
}

size_t sc_rules_source_count(const struct sc_rules *r)
{
	return r ? r->nsrc : 0;
}

const struct sc_rules_source *sc_rules_source(const struct sc_rules *r,
					      size_t i)
{
	return r && i < r->nsrc ? &r->src[i] : NULL;
}

size_t sc_rules_set_count(const struct sc_rules *r)
{
	return r && r->compiled_done ? r->nsets : 0;
}

const struct sc_rules_set *sc_rules_set(const struct sc_rules *r, size_t i)
{
	return r && r->compiled_done && i < r->nsets ? &r->sets[i].pub : NULL;
}

YR_RULES *sc_rules_yara(const struct sc_rules *r, size_t i)
{
	return r && r->compiled_done && i < r->nsets ? r->sets[i].yr : NULL;
}

int sc_rules_save_local(const struct sc_rules *r, void **data, size_t *n)
{
	struct memstream m = { 0 };
	YR_STREAM stream;

	*data = NULL;
	*n = 0;
	if (!r || !r->compiled_done || !r->nsets ||
	    strcmp(r->sets[0].pub.name, "local"))
		return SC_ESTATE;
	stream.user_data = &m;
	stream.read = NULL;
	stream.write = mem_write;
	if (yr_rules_save_stream(r->sets[0].yr, &stream) != ERROR_SUCCESS ||
	    m.failed) {
		free(m.out);
		return SC_ENOMEM;
	}
	*data = m.out;
	*n = m.len;
	return SC_OK;
}

void sc_rules_destroy(struct sc_rules *r)
{
	if (!r)
		return;
	if (r->compiler)
		yr_compiler_destroy(r->compiler);
	if (r->compiled)
		yr_rules_destroy(r->compiled);
	for (size_t i = 0; i < r->nsets; i++) {
		if (r->sets[i].yr)
			yr_rules_destroy(r->sets[i].yr);
		free((char *)r->sets[i].pub.name);
		free((char *)r->sets[i].pub.key_id);
		free((char *)r->sets[i].pub.key_name);
		free((char *)r->sets[i].pub.path);
	}
	free(r->sets);
	for (size_t i = 0; i < r->nsrc; i++) {
		free((char *)r->src[i].path);
		free((char *)r->src[i].ns);
		free((char *)r->src[i].error);
	}
	free(r->src);
	if (r->yara_up)
		yr_finalize();
	free(r);
}
