/*
 * rescue scan: scans directories, files and disks, prints each detection and
 * a summary, and writes the JSON and text reports.
 */
#include <errno.h>
#include <getopt.h>
#include <limits.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "rescue.h"
#include "sc.h"

const char cmd_scan_usage[] =
	"usage: rescue scan [OPTIONS] PATH...\n"
	"\n"
	"Scans each PATH: a directory (walked without following symlinks), a\n"
	"file, or a disk (a block device, or an image file given with --disk),\n"
	"whose boot areas are read raw and scanned: the MBR, extended boot\n"
	"records, GPT headers and entries, each partition's boot sectors, and\n"
	"every gap between partitions. The built-in definitions are always\n"
	"loaded unless --no-builtin is given.\n"
	"\n"
	"      --defs FILE        load a signed definitions bundle (rescue defs);\n"
	"                         repeatable; a bundle that fails its checks is\n"
	"                         refused, reported, and the scan goes on\n"
	"      --store DIR        also load each enabled set of the definitions\n"
	"                         store DIR (rescue defs install): per set, the\n"
	"                         newest bundle that passes wins\n"

	"      --stale-days N     flag definitions sets older than N days (30)\n"
	"      --unsigned-rules   allow --rules (development: unsigned sources)\n"
	"      --allowlist FILE   report matches on files in this allowlist\n"
	"                         (rescue allow) as allowed, not found\n"
	"  -r, --rules PATH       add YARA rules: a .yar/.yara file or a directory\n"
	"                         of them; repeatable; a broken file is reported\n"
	"                         and skipped\n"
	"      --no-builtin       do not load the built-in definitions\n"
	"  -d, --disk PATH        scan PATH as a disk or disk image; repeatable\n"
	"  -j, --jobs N           worker processes (default: online CPUs)\n"
	"      --max-size BYTES   skip (and list) files larger than this;\n"
	"                         suffixes K, M, G; 0 for no cap (default 256M)\n"
	"      --gap-cap BYTES    scan at most this much of each unpartitioned\n"
	"                         disk gap, listing the rest (default 16M; 0: all)\n"
	"      --timeout SECONDS  rule time per file before it is listed as timed\n"
	"                         out (default 60)\n"
	"  -e, --exclude GLOB     do not scan paths or names matching GLOB;\n"
	"                         repeatable\n"
	"  -x, --one-file-system  stay on the filesystem of each directory\n"
	"      --mount-errors FILE  lines \"DEVICE<TAB>REASON\" for volumes that\n"
	"                         failed to mount: reported with that reason\n"
	"      --json FILE        write the JSON report to FILE ('-': stdout)\n"
	"      --report FILE      write the text report to FILE\n"
	"      --storm-threshold N  hold a rule's detections when it matches\n"
	"                         more than N files (default 50; 0: no limit)\n"
	"      --release-hold NAMESPACE:RULE  report a held rule's detections\n"
	"                         as normal ones (a bare RULE works when only\n"
	"                         one namespace has it); repeatable\n"
	"  -q, --quiet            print nothing but errors\n"
	"\n"
	"FP-storm guard: a rule that matches more files than the threshold, or\n"
	"any Windows system or boot file (Windows/System32, SysWOW64, WinSxS,\n"
	"Windows/Boot, explorer.exe, bootmgr, EFI boot loaders), looks like a\n"
	"bad definitions update: all its detections are held, listed under HELD\n"
	"with the reason, and never acted on until released. Held detections\n"
	"are a question, not a verdict: they still count as found.\n"
	"\n"
	"Exit status: 0 nothing found, 1 something found (held detections\n"
	"included), 2 error (a target could not be read, no rules could be\n"
	"loaded, bad usage, canceled).\n";

struct scan_state {
	struct sc_report *report;
	int quiet;
	int progress;          /* draw a progress line on stderr */
	double last_draw;
	int drawn;
};

static volatile sig_atomic_t interrupted;

static void on_sigint(int sig)
{
	(void)sig;
	interrupted = 1;
}

static void on_diag(const struct sc_diag *d, void *ctx)
{
	(void)ctx;
	if (d->level == SC_DIAG_ERROR)
		error("%s:%d: %s", d->file, d->line, d->message);
	else
		warning("%s:%d: %s", d->file, d->line, d->message);
}

static void clear_progress(struct scan_state *st)
{
	if (st->drawn) {
		fputs("\r\033[K", stderr);
		st->drawn = 0;
	}
}

/* Prints a file name with control bytes and bad UTF-8 escaped. */
static void put_path(FILE *f, const char *p, size_t n)
{
	char *d = sc_display_name(p, n);

	fputs(d ? d : "?", f);
	free(d);
}

static int on_item(const struct sc_item *it, void *ctx)
{
	struct scan_state *st = ctx;

	if (sc_report_item(st->report, it))
		error("out of memory recording '%s'", it->path);
	/*
	 * Whether a rule is held is only known once the scan is over (its
	 * file count is still growing), so these live lines carry no "held"
	 * mark; the summary and the reports written at the end are the
	 * authority on holds.
	 */
	if (it->status == SC_ITEM_MATCH && !st->quiet) {
		clear_progress(st);
		for (size_t i = 0; i < it->nmatches; i++) {
			put_path(stdout, it->path, it->path_len);
			if (it->area)
				printf(" [%s]", it->area);
			printf(": %s:%s FOUND\n", it->matches[i].ns,
			       it->matches[i].rule);
		}
		fflush(stdout);
	}
	return interrupted ? SC_ABORT : SC_CONTINUE;
}

static void on_layout(const char *target, const struct sc_layout *l, void *ctx)
{
	struct scan_state *st = ctx;

	if (sc_report_layout(st->report, target, l))
		error("out of memory recording the layout of '%s'", target);
}

/* A directory target's volume goes in the report; a hibernated or dirty
 * Windows volume is said out loud, since later actions will refuse it. */
static void note_volume(struct scan_state *st, const char *path)
{
	struct sc_volume v;
	struct stat sb;

	if (stat(path, &sb) || !S_ISDIR(sb.st_mode))
		return;
	if (sc_volume_of_path(path, &v) != SC_OK)
		return;
	sc_report_volume(st->report, path, &v);
	if (v.read_only_reason && !st->quiet)
		warning("'%s' (%s): %s", path, v.device, v.read_only_reason);
}

/* The UEFI boot entries, when this system booted under UEFI. */
static void note_uefi(struct scan_state *st)
{
	struct sc_efi *efi;
	int err = sc_efi_read(NULL, &efi);

	if (err == SC_OK) {
		sc_report_uefi(st->report, efi);
		sc_efi_free(efi);
	} else if (!(err == SC_EOPEN && errno == ENOENT)) {
		warning("cannot read the UEFI boot entries: %s: %s",
			sc_strerror(err), strerror(errno));
	}
}

static int on_progress(const struct sc_progress *p, void *ctx)
{
	struct scan_state *st = ctx;

	if (interrupted)
		return SC_ABORT;
	if (!st->progress || p->seconds - st->last_draw < 0.2)
		return SC_CONTINUE;
	st->last_draw = p->seconds;
	fprintf(stderr, "\r\033[K%llu files, %.1f MiB, %.1f MiB/s, %llu found",
		(unsigned long long)p->files_done,
		(double)p->bytes_done / 1048576.0,
		p->seconds > 0 ? (double)p->bytes_done / 1048576.0 / p->seconds
			       : 0.0,
		(unsigned long long)p->matches);
	st->drawn = 1;
	return SC_CONTINUE;
}

/* A --release-hold argument: "RULE" or "NAMESPACE:RULE", both non-empty. */
static int valid_release(const char *s)
{
	const char *colon = strrchr(s, ':');

	if (!*s)
		return 0;
	return !colon || (colon > s && colon[1]);
}

/* Applies the FP-storm guard to the finished report and says what became of
 * each --release-hold. */
static void apply_holds(struct scan_state *st, struct sc_storm_opts *so)
{
	char user[256];
	int err;

	sc_storm_user(user, sizeof(user));
	so->released_by = user;
	err = sc_report_apply_holds(st->report, so);
	if (err)
		die("cannot apply the storm guard: %s", sc_strerror(err));
	for (size_t i = 0; i < so->nrelease; i++) {
		enum sc_storm_release rs =
			sc_storm_release_state(sc_report_storm(st->report), i);

		if (rs == SC_RELEASE_AMBIGUOUS)
			warning("--release-hold '%s' is ambiguous: several "
				"namespaces have that rule held; give "
				"NAMESPACE:RULE",
				so->release[i]);
		else if (rs == SC_RELEASE_NOT_HELD && !st->quiet)
			warning("--release-hold '%s': no such rule was held",
				so->release[i]);
	}
	so->released_by = NULL;
}

/* Parses a byte count with an optional K/M/G suffix (powers of 1024). */
static int parse_size(const char *s, uint64_t *out)
{
	char *end;
	unsigned long long v;
	unsigned shift = 0;

	errno = 0;
	v = strtoull(s, &end, 10);
	if (errno || end == s || *s == '-')
		return -1;
	switch (*end) {
	case '\0':
		break;
	case 'k': case 'K': shift = 10; end++; break;
	case 'm': case 'M': shift = 20; end++; break;
	case 'g': case 'G': shift = 30; end++; break;
	default:
		return -1;
	}
	if (*end == 'i' || *end == 'B')
		end += *end == 'i' ? (end[1] == 'B' ? 2 : 1) : 1;
	if (*end || (shift && v > (UINT64_MAX >> shift)))
		return -1;
	*out = (uint64_t)v << shift;
	return 0;
}

static int parse_uint(const char *s, unsigned max, unsigned *out)
{
	char *end;
	unsigned long v;

	errno = 0;
	v = strtoul(s, &end, 10);
	if (errno || end == s || *end || *s == '-' || v > max)
		return -1;
	*out = (unsigned)v;
	return 0;
}

struct list {
	const char **v;
	size_t n;
};

static void list_add(struct list *l, const char *s)
{
	const char **p = realloc(l->v, (l->n + 1) * sizeof(*p));

	if (!p)
		die("out of memory");
	l->v = p;
	l->v[l->n++] = s;
}

/* Adds each non-empty line of a file to l (malloc'd copies). */
static void read_lines(const char *path, struct list *l)
{
	FILE *f = fopen(path, "r");
	char line[1024];

	if (!f)
		die("cannot open '%s': %s", path, strerror(errno));
	while (fgets(line, sizeof(line), f)) {
		size_t n = strlen(line);
		char *copy;

		while (n && (line[n - 1] == '\n' || line[n - 1] == '\r'))
			line[--n] = '\0';
		if (!n)
			continue;
		copy = malloc(n + 1);
		if (!copy)
			die("out of memory");
		memcpy(copy, line, n + 1);
		list_add(l, copy);
	}
	fclose(f);
}

static FILE *open_out(const char *path)
{
	FILE *f;

	if (!strcmp(path, "-"))
		return stdout;
	f = fopen(path, "w");
	if (!f)
		error("cannot open '%s': %s", path, strerror(errno));
	return f;
}

static int close_out(FILE *f, const char *path)
{
	if (f == stdout)
		return fflush(f) ? error("cannot write '%s': %s", path,
					 strerror(errno))
				 : 0;
	if (fclose(f))
		return error("cannot write '%s': %s", path, strerror(errno));
	return 0;
}

/*
 * Definitions candidates: the bundles named with --defs (the image's own,
 * the floor) and, with --store, each enabled set's installed versions from
 * the active one down. Sorted newest first per set, so that the newest
 * bundle that passes its checks is used and a tampered newer one leaves
 * the older one in force.
 */
struct candidate {
	char *path;
	char set[SC_DEFS_SET_MAX + 1]; /* "" when the header does not parse */
	uint64_t version;
};

static struct candidate *cands;
static size_t ncands;

static const char *set_of(const char *path)
{
	for (size_t i = 0; i < ncands; i++)
		if (cands[i].path == path)
			return cands[i].set[0] ? cands[i].set : NULL;
	return NULL;
}

static void add_candidate(const char *path, const char *set, uint64_t v)
{
	struct candidate *c = realloc(cands, (ncands + 1) * sizeof(*c));

	if (!c)
		die("out of memory");
	cands = c;
	c = &cands[ncands++];
	memset(c, 0, sizeof(*c));
	c->path = malloc(strlen(path) + 1);
	if (!c->path)
		die("out of memory");
	strcpy(c->path, path);
	snprintf(c->set, sizeof(c->set), "%s", set ? set : "");
	c->version = v;
}

/* Set and version from a bundle's header; unchecked, only for ordering. */
static void candidate_from_file(const char *path)
{
	struct sc_defs_info info;
	const char *why;

	if (sc_defs_read_header(path, &info, &why) == SC_OK)
		add_candidate(path, info.set, info.version);
	else
		add_candidate(path, NULL, 0); /* refused, with its reason, later */
}

static int cmp_candidate(const void *a, const void *b)
{
	const struct candidate *x = a, *y = b;
	int c = strcmp(x->set, y->set);

	if (c)
		return c;
	return x->version > y->version ? -1 : x->version < y->version;
}

/* Fills the candidate list; returns the paths in order in l. */
static void gather_bundles(const struct list *defs, const char *store,
			   struct list *l)
{
	struct sc_defstore_set *sets = NULL;
	size_t nsets = 0;

	for (size_t i = 0; i < defs->n; i++)
		candidate_from_file(defs->v[i]);
	if (store) {
		int err = sc_defstore_list(store, trusted_keys,
					   trusted_keys_count, &sets, &nsets);

		if (err && errno != ENOENT)
			warning("cannot read the definitions store '%s': %s",
				store, strerror(errno));
	}
	for (size_t i = 0; i < nsets; i++) {
		const struct sc_defstore_set *st = &sets[i];

		if (st->disabled) {
			/* A disabled set is not loaded from anywhere. */
			for (size_t k = 0; k < ncands; k++)
				if (!strcmp(cands[k].set, st->name))
					cands[k].set[0] = '\1';
			continue;
		}
		for (size_t k = st->nversions; k-- > 0;) {
			char path[4400];

			if (st->versions[k] > st->active)
				continue;
			snprintf(path, sizeof(path), "%s/%s/v%llu.rdefs", store,
				 st->name, (unsigned long long)st->versions[k]);
			add_candidate(path, st->name, st->versions[k]);
		}
	}
	free(sets);
	if (ncands)
		qsort(cands, ncands, sizeof(*cands), cmp_candidate);
	for (size_t i = 0; i < ncands; i++)
		if (cands[i].set[0] != '\1')
			list_add(l, cands[i].path);
}

static void free_candidates(void)
{
	for (size_t i = 0; i < ncands; i++)
		free(cands[i].path);
	free(cands);
	cands = NULL;
	ncands = 0;
}

/* A bundle that was refused, and why: it goes in the report. */
struct refusal {
	const char *path;
	const char *why;
};

static int load_rules(struct list *rules_paths, struct list *bundles,
		      int builtin, struct sc_rules **out,
		      struct refusal *refused, size_t *nrefused)
{
	struct sc_rules *rules;
	int err;

	err = sc_rules_create(on_diag, NULL, &rules);
	if (err)
		die("cannot set up the rule compiler: %s", sc_strerror(err));
	if (builtin)
		for (size_t i = 0; i < builtin_defs_count; i++) {
			err = sc_rules_add_source(rules, builtin_defs[i].name,
						  "builtin",
						  builtin_defs[i].text);
			if (err)
				error("built-in definitions '%s': %s",
				      builtin_defs[i].name, sc_strerror(err));
		}
	for (size_t i = 0; i < rules_paths->n; i++) {
		err = sc_rules_add_path(rules, rules_paths->v[i]);
		if (err == SC_EOPEN)
			error("cannot read rules '%s': %s", rules_paths->v[i],
			      strerror(errno));
		else if (err == SC_ENOMEM)
			die("out of memory loading rules");
		else if (err && err != SC_ERULES) /* SC_ERULES: already said */
			error("rules '%s' not loaded: %s", rules_paths->v[i],
			      sc_strerror(err));
	}
	char (*loaded)[SC_DEFS_SET_MAX + 1];
	size_t nloaded = 0;

	*nrefused = 0;
	loaded = calloc(bundles->n ? bundles->n : 1, sizeof(*loaded));
	if (!loaded)
		die("out of memory");
	for (size_t i = 0; i < bundles->n; i++) {
		struct sc_defs_info info;
		const char *why = NULL;
		const char *set = set_of(bundles->v[i]);
		int done = 0;

		/* Candidates come newest first per set: the first that
		 * passes wins, the older ones are not needed. */
		for (size_t k = 0; set && k < nloaded; k++)
			done |= !strcmp(loaded[k], set);
		if (done)
			continue;
		err = sc_rules_add_bundle(rules, bundles->v[i], trusted_keys,
					  trusted_keys_count, &info, &why);
		if (err == SC_ENOMEM)
			die("out of memory loading definitions");
		if (!err) {
			snprintf(loaded[nloaded++], sizeof(loaded[0]), "%s",
				 info.set);
			continue;
		}
		if (!why)
			why = err == SC_EOPEN || err == SC_EREAD
				      ? strerror(errno)
				      : sc_strerror(err);
		/* Refused bundles change nothing; the scan goes on without. */
		error("definitions '%s' refused: %s", bundles->v[i], why);
		refused[*nrefused].path = bundles->v[i];
		refused[(*nrefused)++].why = why;
	}
	free(loaded);
	err = sc_rules_compile(rules);
	if (err) {
		sc_rules_destroy(rules);
		return error("no usable rules: %s", sc_strerror(err));
	}
	*out = rules;
	return 0;
}

int cmd_scan(int argc, char **argv)
{
	static const struct option longopts[] = {
		{ "rules", required_argument, NULL, 'r' },
		{ "defs", required_argument, NULL, 'D' },
		{ "unsigned-rules", no_argument, NULL, 'U' },
		{ "allowlist", required_argument, NULL, 'W' },
		{ "stale-days", required_argument, NULL, 'A' },
		{ "store", required_argument, NULL, 'K' },
		{ "no-builtin", no_argument, NULL, 'B' },
		{ "disk", required_argument, NULL, 'd' },
		{ "jobs", required_argument, NULL, 'j' },
		{ "max-size", required_argument, NULL, 'S' },
		{ "gap-cap", required_argument, NULL, 'G' },
		{ "timeout", required_argument, NULL, 'T' },
		{ "exclude", required_argument, NULL, 'e' },
		{ "one-file-system", no_argument, NULL, 'x' },
		{ "json", required_argument, NULL, 'J' },
		{ "mount-errors", required_argument, NULL, 'M' },
		{ "report", required_argument, NULL, 'R' },
		{ "quiet", no_argument, NULL, 'q' },
		{ "storm-threshold", required_argument, NULL, 'H' },
		{ "release-hold", required_argument, NULL, 'L' },
		{ NULL, 0, NULL, 0 },
	};
	struct list rules_paths = { 0 }, excludes = { 0 }, disks = { 0 };
	struct list bundles = { 0 }, defs = { 0 };
	const char *store = NULL;
	int unsigned_ok = 0;
	const char *allow_path = NULL;
	struct sc_allow *allow = NULL;
	unsigned stale_days = 30;
	struct refusal *refused;
	size_t nrefused = 0;
	struct list mount_errors = { 0 }, releases = { 0 };
	struct sc_storm_opts storm;
	struct scan_state st = { 0 };
	struct sc_scan_opts opts;
	struct sc_rules *rules = NULL;
	struct sc_scan_cb cb = { on_item, on_progress, on_layout, &st };
	struct sc_scan *scan = NULL;
	const char *json_path = NULL, *text_path = NULL;
	int builtin = 1, c, err, status = EXIT_CLEAN, canceled = 0;
	struct sigaction sa, old_int, old_term;

	sc_scan_opts_init(&opts);
	sc_storm_opts_init(&storm);
	optind = 1;
	while ((c = getopt_long(argc, argv, "r:d:j:e:xq", longopts, NULL)) !=
	       -1) {
		switch (c) {
		case 'r': list_add(&rules_paths, optarg); break;
		case 'D': list_add(&defs, optarg); break;
		case 'U': unsigned_ok = 1; break;
		case 'W': allow_path = optarg; break;
		case 'A':
			if (parse_uint(optarg, 36500, &stale_days))
				die("invalid --stale-days '%s'", optarg);
			break;
		case 'K': store = optarg; break;
		case 'B': builtin = 0; break;
		case 'd': list_add(&disks, optarg); break;
		case 'j':
			if (parse_uint(optarg, 64, &opts.jobs) || !opts.jobs)
				die("invalid --jobs '%s': want 1 to 64", optarg);
			break;
		case 'S':
			if (parse_size(optarg, &opts.max_size))
				die("invalid --max-size '%s'", optarg);
			break;
		case 'G':
			if (parse_size(optarg, &opts.gap_cap))
				die("invalid --gap-cap '%s'", optarg);
			break;
		case 'T':
			if (parse_uint(optarg, 86400, &opts.timeout) ||
			    !opts.timeout)
				die("invalid --timeout '%s': want 1 to 86400 seconds",
				    optarg);
			break;
		case 'e': list_add(&excludes, optarg); break;
		case 'x': opts.one_fs = 1; break;
		case 'J': json_path = optarg; break;
		case 'M': read_lines(optarg, &mount_errors); break;
		case 'R': text_path = optarg; break;
		case 'q': st.quiet = 1; break;
		case 'H': {
			unsigned n;

			if (parse_uint(optarg, UINT_MAX, &n))
				die("invalid --storm-threshold '%s': want a "
				    "number of files, 0 for no limit",
				    optarg);
			storm.threshold = n;
			break;
		}
		case 'L':
			if (!valid_release(optarg))
				die("invalid --release-hold '%s': want "
				    "NAMESPACE:RULE or RULE",
				    optarg);
			list_add(&releases, optarg);
			break;
		default:
			fputs(cmd_scan_usage, stderr);
			return EXIT_ERROR;
		}
	}
	if (optind >= argc && !disks.n) {
		error("nothing to scan: give at least one PATH");
		fputs(cmd_scan_usage, stderr);
		return EXIT_ERROR;
	}
	if (rules_paths.n && !unsigned_ok)
		die("--rules loads unsigned YARA source, a development option: "
		    "add --unsigned-rules, or build a signed bundle with "
		    "'rescue defs build' and use --defs");
	opts.excludes = excludes.v;
	opts.nexcludes = excludes.n;
	opts.mount_errors = mount_errors.v;
	opts.nmount_errors = mount_errors.n;
	storm.release = releases.v;
	storm.nrelease = releases.n;
	st.progress = !st.quiet && isatty(STDERR_FILENO);

	gather_bundles(&defs, store, &bundles);
	refused = calloc(bundles.n ? bundles.n : 1, sizeof(*refused));
	if (!refused)
		die("out of memory");
	if (load_rules(&rules_paths, &bundles, builtin, &rules, refused,
		       &nrefused))
		return EXIT_ERROR;
	err = sc_report_create("rescue", RESCUE_VERSION, &st.report);
	if (err)
		die("%s", sc_strerror(err));
	if (allow_path) {
		err = sc_allow_load(allow_path, &allow);
		if (err)
			/* Scan without it: detections show as found, not lost. */
			error("allowlist '%s' not used: %s", allow_path,
			      err == SC_EFORMAT ? "not a valid allowlist"
						: sc_strerror(err));
		else
			sc_report_set_allowlist(st.report, allow);
	}
	sc_report_set_rules(st.report, rules);
	sc_report_mark_stale(st.report, stale_days);
	for (size_t i = 0; i < nrefused; i++)
		sc_report_refused(st.report, refused[i].path, refused[i].why);

	err = sc_scan_create(rules, &opts, &cb, &scan);
	if (err)
		die("cannot start the scan: %s", sc_strerror(err));
	sc_report_set_options(st.report, &opts, sc_scan_jobs(scan));

	/* Ctrl-C stops the scan cleanly; the reports still say what was done. */
	memset(&sa, 0, sizeof(sa));
	sa.sa_handler = on_sigint;
	sigemptyset(&sa.sa_mask);
	sigaction(SIGINT, &sa, &old_int);
	sigaction(SIGTERM, &sa, &old_term);

	sc_report_start(st.report);
	note_uefi(&st);
	for (int pass = 0; pass < 2 && !canceled; pass++) {
		size_t n = pass ? disks.n : (size_t)(argc - optind);

		for (size_t i = 0; i < n && !canceled; i++) {
			const char *path = pass ? disks.v[i] : argv[optind + (int)i];
			struct sc_target_stats ts;

			if (!pass)
				note_volume(&st, path);
			err = sc_scan_target(scan, path,
					     pass ? SC_TARGET_DISK : SC_TARGET_AUTO,
					     &ts);
			sc_report_target(st.report, path, &ts);
			clear_progress(&st);
			if (err == SC_ECANCELED) {
				canceled = 1;
			} else if (err) {
				error("cannot scan '%s': %s%s%s", path,
				      sc_strerror(err), ts.sys_errno ? ": " : "",
				      ts.sys_errno ? strerror(ts.sys_errno) : "");
				status = EXIT_ERROR;
			}
		}
	}
	sc_report_finish(st.report);
	apply_holds(&st, &storm);
	sc_scan_destroy(scan);
	sigaction(SIGINT, &old_int, NULL);
	sigaction(SIGTERM, &old_term, NULL);
	clear_progress(&st);

	if (canceled) {
		error("scan canceled; the reports cover what was scanned");
		status = EXIT_ERROR;
	} else if (status != EXIT_ERROR && sc_report_detections(st.report)) {
		/* Held detections included: held is not clean. */
		status = EXIT_FOUND;
	}
	if (!st.quiet) {
		fputc('\n', stdout);
		sc_report_write_text(st.report, stdout, 20);
	}
	if (json_path) {
		FILE *f = open_out(json_path);

		if (!f || sc_report_write_json(st.report, f) ||
		    close_out(f, json_path))
			status = EXIT_ERROR;
	}
	if (text_path) {
		FILE *f = open_out(text_path);

		if (!f || sc_report_write_text(st.report, f, 0) ||
		    close_out(f, text_path))
			status = EXIT_ERROR;
	}
	sc_report_destroy(st.report);
	sc_allow_free(allow);
	sc_rules_destroy(rules);
	free(rules_paths.v);
	free(bundles.v);
	free(defs.v);
	free(refused);
	free_candidates();
	free(excludes.v);
	free(disks.v);
	free(releases.v);
	for (size_t i = 0; i < mount_errors.n; i++)
		free((char *)mount_errors.v[i]);
	free(mount_errors.v);
	return status;
}
