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
	"      --action ACTION    what to do with detected files: report (the\n"
	"                         default) or quarantine: move each one that is\n"
	"                         neither held nor allowed into the quarantine\n"
	"                         (critical system files are copied and left in\n"
	"                         place unless --force); every action is reported\n"
	"      --quarantine DIR   the quarantine for --action quarantine\n"
	"                         (default " RESCUE_QUARANTINE ")\n"
	"      --force            --action quarantine moves critical files too\n"
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

/* A detected file, kept for --action quarantine once holds are known. */
struct found {
	char *path;
	size_t len;
	char sha256[65];
	uint64_t size;
	struct sc_quar_detection *det;
	size_t ndet;
};

struct scan_state {
	struct sc_report *report;
	struct found *found;
	size_t nfound;
	int keep_found;
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

static void keep_found(struct scan_state *st, const struct sc_item *it)
{
	struct found *f = realloc(st->found, (st->nfound + 1) * sizeof(*f));

	if (!f)
		die("out of memory");
	st->found = f;
	f = &f[st->nfound];
	memset(f, 0, sizeof(*f));
	f->path = malloc(it->path_len + 1);
	if (!f->path ||
	    sc_quar_detections_copy(it->matches, it->nmatches, &f->det))
		die("out of memory");
	memcpy(f->path, it->path, it->path_len);
	f->path[it->path_len] = '\0';
	f->len = it->path_len;
	f->ndet = it->nmatches;
	f->size = it->size;
	snprintf(f->sha256, sizeof(f->sha256), "%s", it->sha256 ? it->sha256 : "");
	st->nfound++;
}

static void free_found(struct scan_state *st)
{
	for (size_t i = 0; i < st->nfound; i++) {
		free(st->found[i].path);
		sc_quar_detections_free(st->found[i].det, st->found[i].ndet);
	}
	free(st->found);
}

static int on_item(const struct sc_item *it, void *ctx)
{
	struct scan_state *st = ctx;

	if (sc_report_item(st->report, it))
		error("out of memory recording '%s'", it->path);
	if (st->keep_found && it->status == SC_ITEM_MATCH && !it->area)
		keep_found(st, it);
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

/*
 * --action quarantine: every detected file that is not held by the storm
 * guard and not allowed goes to the quarantine; critical system files are
 * copied and left in place unless --force. Each outcome goes in the report.
 */
static void act_quarantine(struct scan_state *st, const char *dir,
			   const struct sc_allow *allow, int force)
{
	const struct sc_storm *storm = sc_report_storm(st->report);
	struct sc_quar_recovery *rec;
	struct sc_quar *q;
	size_t nrec;
	int err = sc_quar_open(dir, 1, &q, &rec, &nrec);

	if (err) {
		error("cannot open the quarantine '%s': %s%s%s", dir,
		      sc_strerror(err), errno ? ": " : "",
		      errno ? strerror(errno) : "");
		for (size_t i = 0; i < st->nfound; i++)
			sc_report_action(st->report, st->found[i].path,
					 st->found[i].len, "skipped", NULL,
					 "the quarantine could not be opened");
		return;
	}
	quar_say_recovery(stderr, rec, nrec);
	free(rec);
	for (size_t i = 0; i < st->nfound; i++) {
		struct found *f = &st->found[i];
		struct sc_quar_req req = { 0 };
		struct sc_quar_result res;
		size_t held = 0, allowed = 0;

		for (size_t k = 0; k < f->ndet; k++) {
			held += sc_storm_is_held(storm, f->det[k].ns,
						 f->det[k].rule);
			allowed += allow && sc_allow_match(allow, f->sha256,
							   f->det[k].ns,
							   f->det[k].rule);
		}
		if (held) {
			sc_report_action(st->report, f->path, f->len, "skipped",
					 NULL, "held by the FP-storm guard");
			continue;
		}
		if (allowed == f->ndet) {
			sc_report_action(st->report, f->path, f->len, "skipped",
					 NULL, "allowed by the allowlist");
			continue;
		}
		req.path = f->path;
		req.reason = "detected";
		req.det = f->det;
		req.ndet = f->ndet;
		req.sha256 = f->sha256[0] ? f->sha256 : NULL;
		req.size = f->size;
		req.force = force;
		err = sc_quar_add(q, &req, &res);
		if (err) {
			sc_report_action(st->report, f->path, f->len, "refused",
					 NULL, res.why[0] ? res.why
							  : sc_strerror(err));
			if (!st->quiet)
				error("not quarantined: %s", res.why[0] ? res.why : sc_strerror(err));
		} else {
			sc_report_action(
				st->report, f->path, f->len,
				res.kept ? "copied" : "quarantined", res.id,
				res.kept ? "a critical system file: copied to "
					   "the quarantine and left in place "
					   "(--force moves it)"
					 : NULL);
			if (!st->quiet) {
				put_path(stdout, f->path, f->len);
				printf(": %s as %s\n",
				       res.kept ? "copied to the quarantine (critical file, left in place)"
						: "quarantined",
				       res.id);
			}
		}
		sc_quar_result_free(&res);
	}
	sc_quar_close(q);
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
		{ "action", required_argument, NULL, 'a' },
		{ "quarantine", required_argument, NULL, 'Q' },
		{ "force", no_argument, NULL, 'F' },
		{ NULL, 0, NULL, 0 },
	};
	struct rules_src src = { .builtin = 1 };
	struct list excludes = { 0 }, disks = { 0 };
	const char *allow_path = NULL, *action = "report";
	const char *quar_dir = RESCUE_QUARANTINE;
	int force = 0;
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
	int c, err, status = EXIT_CLEAN, canceled = 0;
	struct sigaction sa, old_int, old_term;

	sc_scan_opts_init(&opts);
	sc_storm_opts_init(&storm);
	optind = 1;
	while ((c = getopt_long(argc, argv, "r:d:j:e:xq", longopts, NULL)) !=
	       -1) {
		switch (c) {
		case 'r': list_add(&src.rules, optarg); break;
		case 'D': list_add(&src.defs, optarg); break;
		case 'U': src.unsigned_ok = 1; break;
		case 'a':
			if (strcmp(optarg, "report") && strcmp(optarg, "quarantine"))
				die("invalid --action '%s': want report or "
				    "quarantine", optarg);
			action = optarg;
			break;
		case 'Q': quar_dir = optarg; break;
		case 'F': force = 1; break;
		case 'W': allow_path = optarg; break;
		case 'A':
			if (parse_uint(optarg, 36500, &stale_days))
				die("invalid --stale-days '%s'", optarg);
			break;
		case 'K': src.store = optarg; break;
		case 'B': src.builtin = 0; break;
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
		case 'M': list_read_lines(optarg, &mount_errors); break;
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
	opts.excludes = excludes.v;
	opts.nexcludes = excludes.n;
	opts.mount_errors = mount_errors.v;
	opts.nmount_errors = mount_errors.n;
	storm.release = releases.v;
	storm.nrelease = releases.n;
	st.progress = !st.quiet && isatty(STDERR_FILENO);
	st.keep_found = !strcmp(action, "quarantine");

	if (rules_load(&src, &rules, &refused, &nrefused))
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
	if (!canceled && !strcmp(action, "quarantine"))
		act_quarantine(&st, quar_dir, allow, force);
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
	rules_src_free(&src);
	free(refused);
	free_found(&st);
	free(excludes.v);
	free(disks.v);
	free(releases.v);
	for (size_t i = 0; i < mount_errors.n; i++)
		free((char *)mount_errors.v[i]);
	free(mount_errors.v);
	return status;
}
