/*
 * Running a scan under the UI: the engine scans in its worker processes and
 * calls back here for each item and for progress; the progress callback
 * redraws and reads keys without waiting, so the screen stays responsive,
 * pauses (by not returning until resumed: no new work is handed out) and
 * cancels. Afterwards the storm guard and the allowlist mark the hits, the
 * reports are saved, and the plan is applied from here too.
 */
#include <curses.h>
#include <errno.h>
#include <ftw.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/statvfs.h>
#include <time.h>
#include <unistd.h>

#include "ui.h"

static struct ui *scan_ui; /* the UI a running scan reports to */

static char *dup_bytes(const char *p, size_t n)
{
	char *d = malloc(n + 1);

	if (d) {
		memcpy(d, p, n);
		d[n] = '\0';
	}
	return d;
}

static void keep_hit(struct ui *u, const struct sc_item *it)
{
	struct ui_hit *h = realloc(u->hits, (u->nhits + 1) * sizeof(*h));
	size_t ns = 0;

	if (!h)
		return;
	u->hits = h;
	h = &h[u->nhits];
	memset(h, 0, sizeof(*h));
	h->path = dup_bytes(it->path, it->path_len);
	h->len = it->path_len;
	h->area = it->area ? dup_bytes(it->area, strlen(it->area)) : NULL;
	h->filetype = dup_bytes(it->filetype ? it->filetype : "",
				strlen(it->filetype ? it->filetype : ""));
	snprintf(h->sha256, sizeof(h->sha256), "%s", it->sha256 ? it->sha256 : "");
	h->size = it->size;
	if (!h->path || sc_quar_detections_copy(it->matches, it->nmatches,
						&h->det)) {
		free(h->path);
		free(h->area);
		free(h->filetype);
		return;
	}
	h->ndet = it->nmatches;
	for (size_t m = 0; m < it->nmatches; m++)
		ns += it->matches[m].nstrings;
	h->strs = calloc(ns ? ns : 1, sizeof(*h->strs));
	for (size_t m = 0; h->strs && m < it->nmatches; m++) {
		const struct sc_match *mt = &it->matches[m];

		for (size_t s = 0; s < mt->nstrings; s++) {
			const struct sc_string_match *sm = &mt->strings[s];
			struct ui_string *x = &h->strs[h->nstrs++];

			x->id = dup_bytes(sm->id, strlen(sm->id));
			x->match = m;
			x->offset = sm->offset;
			x->length = sm->length;
			x->dlen = sm->data_len < sizeof(x->data) ? sm->data_len
								  : sizeof(x->data);
			memcpy(x->data, sm->data, x->dlen);
		}
		for (size_t k = 0; k < mt->nmeta; k++)
			if (!strcmp(mt->meta[k].key, "severity") &&
			    mt->meta[k].type == SC_META_INTEGER &&
			    mt->meta[k].num > h->severity)
				h->severity = (int)mt->meta[k].num;
	}
	if (!it->area)
		h->critical = sc_quar_is_critical(it->path, it->path_len);
	u->nhits++;
}

static void keep_skip(struct ui *u, const struct sc_item *it)
{
	struct ui_skip *k = realloc(u->skips, (u->nskips + 1) * sizeof(*k));

	if (!k)
		return;
	u->skips = k;
	k = &k[u->nskips];
	memset(k, 0, sizeof(*k));
	k->path = dup_bytes(it->path, it->path_len);
	k->len = it->path_len;
	k->area = it->area ? dup_bytes(it->area, strlen(it->area)) : NULL;
	k->reason = it->reason;
	k->detail = it->detail ? dup_bytes(it->detail, strlen(it->detail)) : NULL;
	k->size = it->size;
	if (k->path)
		u->nskips++;
}

static int on_item(const struct sc_item *it, void *ctx)
{
	struct ui *u = ctx;
	char *d;

	sc_report_item(u->report, it);
	if (it->status == SC_ITEM_MATCH)
		keep_hit(u, it);
	else if (it->status == SC_ITEM_SKIPPED)
		keep_skip(u, it);
	d = sc_display_name(it->path, it->path_len);
	if (d) {
		snprintf(u->cur_path, sizeof(u->cur_path), "%s%s%s", d,
			 it->area ? " " : "", it->area ? it->area : "");
		free(d);
	}
	return u->canceled ? SC_ABORT : SC_CONTINUE;
}

static void on_layout(const char *target, const struct sc_layout *l, void *ctx)
{
	struct ui *u = ctx;

	sc_report_layout(u->report, target, l);
}

static double now(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

/* Reads the keys that came in; p pauses (and waits here), c cancels. */
static void poll_keys(struct ui *u, int wait)
{
	int key;

	timeout(wait ? 250 : 0);
	while ((key = getch()) != ERR) {
		enum ui_act a = ui_key_action(UI_PROGRESS, key);

		if (a == A_PAUSE) {
			u->paused = !u->paused;
			ui_say(u, ROLE_NORMAL, u->paused ? "paused: p resumes"
						      : "resumed");
		} else if (a == A_CANCEL) {
			int was = u->paused;

			u->paused = 1;
			ui_redraw(u);
			if (ui_confirm(u, "Cancel the scan?",
				       "What was scanned so far is kept and "
				       "reported as a partial scan.")) {
				u->canceled = 1;
				was = 0;
				ui_say(u, ROLE_WARN, "cancelling...");
			}
			u->paused = was;
		} else if (a == A_HELP) {
			ui_message(u, "While scanning",
				   "p pauses or resumes, c cancels (asks). The "
				   "scan runs in worker processes; the screen "
				   "stays live.");
		}
		ui_redraw(u);
		if (!wait)
			timeout(0);
	}
	timeout(-1);
}

static int on_progress(const struct sc_progress *p, void *ctx)
{
	struct ui *u = ctx;
	static double last;
	double t = now();

	u->prog = *p;
	if (t - last >= 0.2) {
		last = t;
		ui_redraw(u);
		poll_keys(u, 0);
	}
	while (u->paused && !u->canceled) {
		ui_redraw(u);
		poll_keys(u, 1);
	}
	return u->canceled ? SC_ABORT : SC_CONTINUE;
}

/* Bytes used under one directory: the filesystem's count when it is a
 * mount point (instant), else a walk of the sizes. */
static uint64_t counted;

static int count_one(const char *path, const struct stat *st, int type,
		     struct FTW *f)
{
	(void)path;
	(void)f;
	if (type == FTW_F && S_ISREG(st->st_mode))
		counted += (uint64_t)st->st_size;
	return 0;
}

static uint64_t estimate(const char *dir)
{
	struct sc_volume v;
	struct statvfs sv;

	if (sc_volume_of_path(dir, &v) == SC_OK && !strcmp(v.mountpoint, dir) &&
	    !statvfs(dir, &sv))
		return (uint64_t)(sv.f_blocks - sv.f_bfree) * sv.f_frsize;
	counted = 0;
	nftw(dir, count_one, 16, FTW_PHYS);
	return counted;
}

static void save_reports(struct ui *u)
{
	char stamp[32];
	time_t t = time(NULL);
	struct tm tm;
	FILE *f;

	u->report_json[0] = u->report_txt[0] = '\0';
	if (!u->cfg->reports_dir)
		return;
	mkdir(u->cfg->reports_dir, 0755);
	gmtime_r(&t, &tm);
	strftime(stamp, sizeof(stamp), "%Y%m%d-%H%M%S", &tm);
	/* report-STAMP.json, or report-STAMP-N.json when that exists. */
	for (int i = 1; i < 1000; i++) {
		char suffix[16] = "";

		if (i > 1)
			snprintf(suffix, sizeof(suffix), "-%d", i);
		snprintf(u->report_json, sizeof(u->report_json),
			 "%s/report-%s%s.json", u->cfg->reports_dir, stamp,
			 suffix);
		snprintf(u->report_txt, sizeof(u->report_txt),
			 "%s/report-%s%s.txt", u->cfg->reports_dir, stamp,
			 suffix);
		f = fopen(u->report_json, "wx");
		if (f || errno != EEXIST)
			break;
	}
	if (!f || sc_report_write_json(u->report, f) || fclose(f)) {
		ui_say(u, ROLE_WARN, "cannot save the report in '%s': %s",
		       u->cfg->reports_dir, strerror(errno));
		u->report_json[0] = u->report_txt[0] = '\0';
		return;
	}
	f = fopen(u->report_txt, "wx");
	if (!f || sc_report_write_text(u->report, f, 0) || fclose(f))
		u->report_txt[0] = '\0';
	sync();
}

void ui_results_free(struct ui *u)
{
	for (size_t i = 0; i < u->nhits; i++) {
		struct ui_hit *h = &u->hits[i];

		free(h->path);
		free(h->area);
		free(h->filetype);
		sc_quar_detections_free(h->det, h->ndet);
		for (size_t s = 0; s < h->nstrs; s++)
			free(h->strs[s].id);
		free(h->strs);
		free(h->outcome);
	}
	free(u->hits);
	for (size_t i = 0; i < u->nskips; i++) {
		free(u->skips[i].path);
		free(u->skips[i].area);
		free(u->skips[i].detail);
	}
	free(u->skips);
	u->hits = NULL;
	u->skips = NULL;
	u->nhits = u->nskips = 0;
	sc_report_destroy(u->report);
	u->report = NULL;
}

/* Marks each hit held / allowed once the scan's counts are final. */
static void mark_hits(struct ui *u)
{
	const struct sc_storm *storm = sc_report_storm(u->report);

	u->n_held = u->n_allowed = 0;
	for (size_t i = 0; i < u->nhits; i++) {
		struct ui_hit *h = &u->hits[i];
		size_t allowed = 0;

		for (size_t k = 0; k < h->ndet; k++) {
			h->held |= sc_storm_is_held(storm, h->det[k].ns,
						    h->det[k].rule);
			allowed += u->allow && sc_allow_match(u->allow,
							      h->sha256,
							      h->det[k].ns,
							      h->det[k].rule);
		}
		h->allowed = h->ndet && allowed == h->ndet;
		u->n_held += (uint64_t)h->held;
		u->n_allowed += (uint64_t)h->allowed;
	}
}

void ui_scan_start(struct ui *u)
{
	struct sc_scan_opts opts;
	struct sc_scan_cb cb = { on_item, on_progress, on_layout, u };
	struct sc_storm_opts storm;
	struct sc_scan *scan;
	int err;

	ui_results_free(u);
	memset(&u->prog, 0, sizeof(u->prog));
	u->scanned = u->canceled = u->paused = 0;
	u->cur_path[0] = '\0';
	sc_scan_opts_init(&opts);
	opts.jobs = u->jobs;
	opts.max_size = u->max_size;
	opts.mount_errors = u->cfg->mount_errors;
	opts.nmount_errors = u->cfg->nmount_errors;
	if (sc_report_create("rescue", u->cfg->product, &u->report)) {
		ui_say(u, ROLE_DANGER, "out of memory");
		return;
	}
	if (u->allow)
		sc_report_set_allowlist(u->report, u->allow);
	sc_report_set_rules(u->report, u->cfg->rules);
	sc_report_mark_stale(u->report, 30);
	/* The fast pre-count, for the bar and the ETA. */
	u->estimate = 0;
	snprintf(u->cur_path, sizeof(u->cur_path), "counting...");
	ui_redraw(u);
	for (size_t i = 0; i < u->cfg->ntargets; i++)
		if (u->use_target[i])
			u->estimate += estimate(u->cfg->targets[i]);
	err = sc_scan_create(u->cfg->rules, &opts, &cb, &scan);
	if (err) {
		ui_say(u, ROLE_DANGER, "cannot start the scan: %s", sc_strerror(err));
		return;
	}
	sc_report_set_options(u->report, &opts, sc_scan_jobs(scan));
	scan_ui = u;
	u->scanning = 1;
	sc_report_start(u->report);
	for (size_t i = 0; i < u->cfg->ntargets && !u->canceled; i++) {
		struct sc_target_stats ts;
		struct sc_volume v;

		if (!u->use_target[i])
			continue;
		u->current = u->cfg->targets[i];
		if (sc_volume_of_path(u->current, &v) == SC_OK)
			sc_report_volume(u->report, u->current, &v);
		sc_scan_target(scan, u->current, SC_TARGET_AUTO, &ts);
		sc_report_target(u->report, u->current, &ts);
	}
	for (size_t i = 0; i < u->cfg->ndisks && u->boot_areas && !u->canceled;
	     i++) {
		struct sc_target_stats ts;

		if (!u->use_disk[i])
			continue;
		u->current = u->cfg->disks[i];
		sc_scan_target(scan, u->current, SC_TARGET_DISK, &ts);
		sc_report_target(u->report, u->current, &ts);
	}
	sc_report_finish(u->report);
	sc_storm_opts_init(&storm);
	sc_report_apply_holds(u->report, &storm);
	sc_scan_destroy(scan);
	u->scanning = 0;
	u->scanned = 1;
	u->current = NULL;
	scan_ui = NULL;
	mark_hits(u);
	save_reports(u);
	if (u->canceled)
		ui_say(u, ROLE_WARN, "scan cancelled: the results are partial");
	else if (!u->msg[0])
		ui_say(u, u->nhits ? ROLE_WARN : ROLE_OK,
		       "scan finished: %zu with detections, %zu not scanned%s%s",
		       u->nhits, u->nskips, u->report_json[0] ? "; report: " : "",
		       u->report_json);
}
