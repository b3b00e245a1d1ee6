/*
 * The scan engine: worker pool, tree walk and boot-area jobs; see sc/scan.h.
 *
 * The calling process never runs libyara on target data. It walks with
 * openat/fdopendir and fstatat(AT_SYMLINK_NOFOLLOW), decides what is not
 * scanned (and says why), and sends each regular file or boot area to an
 * idle worker. Results come back over a socket per worker; poll() with a
 * deadline per job catches hangs, end-of-file catches crashes.
 */
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <fnmatch.h>
#include <poll.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "internal.h"
#include "sc/error.h"
#include "sc/rules.h"
#include "sc/scan.h"
#include "sc/volume.h"
#include "worker.h"

/* Deeper trees are reported, not walked: each level holds a descriptor. */
#define MAX_DEPTH 256

struct job {
	uint8_t type;
	char *path;
	size_t path_len;
	uint64_t offset, length;
	char *area;
	const char *filetype;
};

/*
 * Jobs sent to a worker and not answered yet, oldest first. Keeping a
 * second job queued spares the worker a round trip through us between
 * files; the worker answers in order, so q[0] is always the one it is on,
 * and a crash or hang is charged to q[0] alone.
 */
#define QDEPTH 2

struct worker {
	pid_t pid;
	int fd;
	unsigned nq;
	struct job q[QDEPTH];
	double deadline; /* for q[0] */
};

struct sc_scan {
	const struct sc_rules *rules;
	struct sc_scan_opts opts;
	struct sc_scan_cb cb;
	struct worker *w;
	unsigned nw;
	int canceled;
	int fatal; /* no worker could be started */

	/* The target being scanned. */
	const char *target;
	struct sc_target_stats *st;

	uint64_t files_done, bytes_done, matches;
	double t0;
};

static const struct {
	const char *name, *text;
} reasons[SC_REASON_MAX] = {
	[SC_REASON_NONE] = { "none", "scanned" },
	[SC_REASON_SIZE] = { "size-cap", "larger than the size cap" },
	[SC_REASON_TIMEOUT] = { "timeout", "scan timed out" },
	[SC_REASON_IO] = { "io-error", "read or I/O error" },
	[SC_REASON_PERMISSION] = { "permission", "permission denied" },
	[SC_REASON_CRASH] = { "worker-crash", "scanner process crashed" },
	[SC_REASON_HANG] = { "worker-hang",
			     "scanner process stopped answering" },
	[SC_REASON_SPECIAL] = { "special-file",
				"not a regular file (FIFO, device, socket)" },
	[SC_REASON_EXCLUDED] = { "excluded", "excluded by a pattern" },
	[SC_REASON_OTHER_FS] = { "other-filesystem",
				 "on another filesystem" },
	[SC_REASON_VANISHED] = { "vanished",
				 "removed or replaced during the scan" },
	[SC_REASON_TOO_DEEP] = { "too-deep", "directories nested too deep" },
	[SC_REASON_ERROR] = { "scan-error", "scan engine error" },
	[SC_REASON_GAP_CAP] = { "gap-cap",
				"disk gap larger than the gap cap; the rest "
				"was not scanned" },
	[SC_REASON_ENCRYPTED] = { "encrypted",
				  "encrypted volume; cannot be read without "
				  "its key" },
	[SC_REASON_UNSUPPORTED_FS] = { "unsupported-filesystem",
				       "no filesystem that can be read" },
	[SC_REASON_NOT_MOUNTED] = { "not-mounted",
				    "volume not mounted; its files were not "
				    "scanned" },
	[SC_REASON_MOUNT_FAILED] = { "mount-failed",
				     "the volume could not be mounted "
				     "(damaged or truncated filesystem)" },
};

const char *sc_reason_name(enum sc_reason r)
{
	return (unsigned)r < SC_REASON_MAX ? reasons[r].name : "unknown";
}

const char *sc_reason_text(enum sc_reason r)
{
	return (unsigned)r < SC_REASON_MAX ? reasons[r].text : "unknown";
}

void sc_scan_opts_init(struct sc_scan_opts *o)
{
	memset(o, 0, sizeof(*o));
	o->max_size = 256ull << 20;
	o->timeout = 60;
	o->gap_cap = SC_GAP_CAP_DEFAULT;
}

static double now(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

/* How long a worker may take for one item before it is declared hung. */
static double hang_limit(const struct sc_scan *s)
{
	return s->opts.timeout ? 2.0 * s->opts.timeout + 10.0 : 600.0;
}

static int spawn(struct sc_scan *s, struct worker *w)
{
	int sv[2];
	pid_t pid;

	if (socketpair(AF_UNIX, SOCK_STREAM, 0, sv))
		return SC_EWORKER;
	pid = fork();
	if (pid < 0) {
		close(sv[0]);
		close(sv[1]);
		return SC_EWORKER;
	}
	if (pid == 0) {
		/* Keep only our own end, so siblings see end-of-file. */
		for (unsigned i = 0; i < s->nw; i++)
			if (s->w[i].fd >= 0)
				close(s->w[i].fd);
		close(sv[0]);
		sc_worker_main(sv[1], s->rules, s->opts.timeout);
		_exit(0);
	}
	close(sv[1]);
	fcntl(sv[0], F_SETFD, FD_CLOEXEC);
	w->pid = pid;
	w->fd = sv[0];
	w->nq = 0;
	return SC_OK;
}

static void reap(struct worker *w, int kill_it, int *status)
{
	int st = 0;

	if (w->fd >= 0)
		close(w->fd);
	w->fd = -1;
	if (w->pid > 0) {
		if (kill_it)
			kill(w->pid, SIGKILL);
		while (waitpid(w->pid, &st, 0) < 0 && errno == EINTR)
			;
	}
	w->pid = -1;
	if (status)
		*status = st;
}

static void free_job(struct job *j)
{
	free(j->path);
	free(j->area);
	memset(j, 0, sizeof(*j));
}

static void progress(struct sc_scan *s)
{
	struct sc_progress p;

	if (!s->cb.on_progress || s->canceled)
		return;
	p.target = s->target;
	p.files_done = s->files_done;
	p.bytes_done = s->bytes_done;
	p.matches = s->matches;
	p.seconds = now() - s->t0;
	if (s->cb.on_progress(&p, s->cb.ctx) == SC_ABORT)
		s->canceled = 1;
}

/* Counts an item and hands it to the caller. */
static void deliver(struct sc_scan *s, struct sc_item *it)
{
	struct sc_target_stats *st = s->st;

	it->target = s->target;
	if (it->status == SC_ITEM_SKIPPED) {
		st->files_skipped++;
		st->bytes_skipped += it->size;
	} else {
		st->files_scanned++;
		st->bytes_scanned += it->size;
		s->bytes_done += it->size;
		if (it->status == SC_ITEM_MATCH) {
			st->files_matched++;
			s->matches++;
		}
	}
	s->files_done++;
	if (s->canceled)
		return;
	if (s->cb.on_item && s->cb.on_item(it, s->cb.ctx) == SC_ABORT)
		s->canceled = 1;
	progress(s);
}

static void skip(struct sc_scan *s, const char *path, size_t path_len,
		 uint64_t size, enum sc_reason reason, const char *detail)
{
	struct sc_item it;

	memset(&it, 0, sizeof(it));
	it.path = path;
	it.path_len = path_len;
	it.size = size;
	it.status = SC_ITEM_SKIPPED;
	it.reason = reason;
	it.detail = detail;
	deliver(s, &it);
}

/* Decoded matches of one result; everything malloc'd, freed together. */
struct decoded {
	struct sc_match *m;
	size_t n;
};

static void free_decoded(struct decoded *d)
{
	for (size_t i = 0; i < d->n; i++) {
		struct sc_match *m = &d->m[i];

		free((char *)m->rule);
		free((char *)m->ns);
		for (size_t k = 0; k < m->ntags; k++)
			free((char *)m->tags[k]);
		free((void *)m->tags);
		for (size_t k = 0; k < m->nmeta; k++) {
			free((char *)m->meta[k].key);
			free((char *)m->meta[k].str);
		}
		free((void *)m->meta);
		for (size_t k = 0; k < m->nstrings; k++) {
			free((char *)m->strings[k].id);
			free((void *)m->strings[k].data);
		}
		free((void *)m->strings);
	}
	free(d->m);
	d->m = NULL;
	d->n = 0;
}

/* Caps on counts read from a worker, which is not trusted to be sane. */
#define MAX_DECODE 4096

static int decode_matches(const struct sc_scan *s, struct sc_rd *r,
			  uint32_t n, struct decoded *d)
{
	if (n > MAX_DECODE)
		return -1;
	d->m = calloc(n ? n : 1, sizeof(*d->m));
	if (!d->m)
		return -1;
	for (uint32_t i = 0; i < n && !r->bad; i++) {
		struct sc_match *m = &d->m[i];
		uint32_t k, cnt;
		char **tags;
		struct sc_meta *meta;
		struct sc_string_match *sm;

		uint32_t set;
		const struct sc_rules_set *rs;

		d->n++;
		set = sc_rd_u32(r);
		rs = sc_rules_set(s->rules, set);
		if (!rs)
			return -1;
		m->set = rs->name;
		m->set_version = rs->version;
		m->rule = sc_rd_str(r, NULL);
		m->ns = sc_rd_str(r, NULL);
		cnt = sc_rd_u32(r);
		if (cnt > MAX_DECODE || !(tags = calloc(cnt + 1, sizeof(*tags))))
			return -1;
		m->tags = (const char *const *)tags;
		for (k = 0; k < cnt && !r->bad; k++, m->ntags++)
			tags[k] = sc_rd_str(r, NULL);
		cnt = sc_rd_u32(r);
		if (cnt > MAX_DECODE || !(meta = calloc(cnt + 1, sizeof(*meta))))
			return -1;
		m->meta = meta;
		for (k = 0; k < cnt && !r->bad; k++, m->nmeta++) {
			meta[k].key = sc_rd_str(r, NULL);
			meta[k].type = (enum sc_meta_type)sc_rd_u8(r);
			meta[k].str = sc_rd_str(r, NULL);
			meta[k].num = (int64_t)sc_rd_u64(r);
		}
		cnt = sc_rd_u32(r);
		if (cnt > MAX_DECODE || !(sm = calloc(cnt + 1, sizeof(*sm))))
			return -1;
		m->strings = sm;
		for (k = 0; k < cnt && !r->bad; k++, m->nstrings++) {
			size_t dl;

			sm[k].id = sc_rd_str(r, NULL);
			sm[k].offset = sc_rd_u64(r);
			sm[k].length = sc_rd_u32(r);
			sm[k].data = (unsigned char *)sc_rd_str(r, &dl);
			sm[k].data_len = (uint32_t)dl;
		}
		if (!m->rule || !m->ns)
			return -1;
	}
	return r->bad ? -1 : 0;
}

/* Turns a worker's answer into an item for the caller. */
static void handle_result(struct sc_scan *s, struct worker *w,
			  const unsigned char *msg, size_t len)
{
	struct sc_rd r = { msg, len, 0 };
	struct decoded d = { NULL, 0 };
	struct sc_item it;
	char *detail, *sha, *ftype;
	uint32_t n;

	memset(&it, 0, sizeof(it));
	it.status = (enum sc_status)sc_rd_u8(&r);
	it.reason = (enum sc_reason)sc_rd_u8(&r);
	detail = sc_rd_str(&r, NULL);
	it.size = sc_rd_u64(&r);
	sha = sc_rd_str(&r, NULL);
	ftype = sc_rd_str(&r, NULL);
	n = sc_rd_u32(&r);
	if (r.bad || it.status > SC_ITEM_SKIPPED ||
	    it.reason >= SC_REASON_MAX || decode_matches(s, &r, n, &d)) {
		free_decoded(&d);
		memset(&it, 0, sizeof(it));
		it.status = SC_ITEM_SKIPPED;
		it.reason = SC_REASON_ERROR;
		it.size = w->q[0].length;
		free(detail);
		detail = sc_xstrdup("malformed answer from scanner process");
	}
	it.path = w->q[0].path;
	it.path_len = w->q[0].path_len;
	it.area = w->q[0].area;
	it.filetype = w->q[0].filetype ? w->q[0].filetype : ftype;
	it.detail = detail;
	it.sha256 = sha;
	it.matches = d.m;
	it.nmatches = d.n;
	if (it.status == SC_ITEM_MATCH && !it.nmatches)
		it.status = SC_ITEM_CLEAN;
	deliver(s, &it);
	free_decoded(&d);
	free(detail);
	free(sha);
	free(ftype);
}

static void send_job(struct sc_scan *s, struct worker *w, struct job *job);

/* Drops the answered (or lost) head of a worker's queue. */
static void pop_job(struct sc_scan *s, struct worker *w)
{
	free_job(&w->q[0]);
	for (unsigned i = 1; i < w->nq; i++)
		w->q[i - 1] = w->q[i];
	if (w->nq)
		w->nq--;
	memset(&w->q[w->nq], 0, sizeof(w->q[0]));
	if (w->nq)
		w->deadline = now() + hang_limit(s);
}

/*
 * A worker died or hung: report the item it was on, start a replacement
 * and hand it the jobs that were queued behind.
 */
static void lost(struct sc_scan *s, struct worker *w, int hung)
{
	struct job rest[QDEPTH];
	unsigned nrest = 0;
	char detail[96];
	struct sc_item it;
	int status = 0;

	reap(w, 1, &status);
	if (hung)
		snprintf(detail, sizeof(detail),
			 "no answer after %.0f s; process killed",
			 hang_limit(s));
	else if (WIFSIGNALED(status))
		snprintf(detail, sizeof(detail), "killed by signal %d (%s)",
			 WTERMSIG(status), strsignal(WTERMSIG(status)));
	else
		snprintf(detail, sizeof(detail), "exited with status %d",
			 WIFEXITED(status) ? WEXITSTATUS(status) : -1);
	memset(&it, 0, sizeof(it));
	it.path = w->q[0].path;
	it.path_len = w->q[0].path_len;
	it.area = w->q[0].area;
	it.filetype = w->q[0].filetype;
	it.size = w->q[0].length;
	it.status = SC_ITEM_SKIPPED;
	it.reason = hung ? SC_REASON_HANG : SC_REASON_CRASH;
	it.detail = detail;
	deliver(s, &it);
	for (unsigned i = 1; i < w->nq; i++)
		rest[nrest++] = w->q[i];
	free_job(&w->q[0]);
	memset(w->q, 0, sizeof(w->q));
	w->nq = 0;
	if (spawn(s, w))
		w->pid = -1;
	for (unsigned i = 0; i < nrest; i++) {
		if (w->fd >= 0 && !s->canceled) {
			send_job(s, w, &rest[i]);
		} else {
			memset(&it, 0, sizeof(it));
			it.path = rest[i].path;
			it.path_len = rest[i].path_len;
			it.area = rest[i].area;
			it.size = rest[i].length;
			it.status = SC_ITEM_SKIPPED;
			it.reason = SC_REASON_CRASH;
			it.detail = "scanner process could not be restarted";
			deliver(s, &it);
			free_job(&rest[i]);
		}
	}
}

static unsigned live_workers(const struct sc_scan *s)
{
	unsigned n = 0;

	for (unsigned i = 0; i < s->nw; i++)
		n += s->w[i].fd >= 0;
	return n;
}

/*
 * Waits for results from busy workers and handles them. With block set,
 * waits until at least one worker is free (or a deadline passes).
 */
static void pump(struct sc_scan *s, int block)
{
	struct pollfd pfd[64];
	unsigned idx[64];
	nfds_t n = 0;
	double t = now(), first = -1;
	int timeout_ms, rc;

	for (unsigned i = 0; i < s->nw && n < 64; i++) {
		struct worker *w = &s->w[i];

		if (!w->nq || w->fd < 0)
			continue;
		pfd[n].fd = w->fd;
		pfd[n].events = POLLIN;
		idx[n++] = i;
		if (first < 0 || w->deadline < first)
			first = w->deadline;
	}
	if (!n)
		return;
	if (!block)
		timeout_ms = 0;
	else if (first <= t)
		timeout_ms = 0;
	else
		timeout_ms = (int)((first - t) * 1000.0) + 1;
	rc = poll(pfd, n, timeout_ms);
	if (rc < 0)
		return; /* EINTR: the caller loops */
	t = now();
	for (nfds_t k = 0; k < n; k++) {
		struct worker *w = &s->w[idx[k]];

		if (pfd[k].revents & (POLLIN | POLLHUP | POLLERR)) {
			unsigned char *msg;
			size_t len;

			if (sc_frame_recv(w->fd, &msg, &len)) {
				lost(s, w, 0);
				continue;
			}
			handle_result(s, w, msg, len);
			free(msg);
			pop_job(s, w);
		} else if (w->deadline <= t) {
			lost(s, w, 1);
		}
	}
}

/* The live worker with the shortest queue that has room, or NULL. */
static struct worker *free_worker(struct sc_scan *s)
{
	struct worker *best = NULL;

	for (unsigned i = 0; i < s->nw; i++) {
		struct worker *w = &s->w[i];

		if (w->fd >= 0 && w->nq < QDEPTH && (!best || w->nq < best->nq))
			best = w;
	}
	return best;
}

static int any_busy(const struct sc_scan *s)
{
	for (unsigned i = 0; i < s->nw; i++)
		if (s->w[i].nq)
			return 1;
	return 0;
}

/* Queues a job on a worker; takes ownership of job's strings. */
static void send_job(struct sc_scan *s, struct worker *w, struct job *job)
{
	struct sc_buf b = { 0 };

	sc_buf_u8(&b, job->type);
	sc_buf_str(&b, job->path, job->path_len);
	sc_buf_u64(&b, job->offset);
	sc_buf_u64(&b, job->length);
	sc_buf_cstr(&b, job->area);
	sc_buf_cstr(&b, job->filetype);
	sc_buf_u64(&b, s->opts.max_size);
	if (!w->nq)
		w->deadline = now() + hang_limit(s);
	w->q[w->nq++] = *job;
	memset(job, 0, sizeof(*job));
	if (sc_frame_send(w->fd, &b))
		lost(s, w, 0);
	sc_buf_free(&b);
}

/* Hands a job to a worker; takes ownership of job's strings. */
static void dispatch(struct sc_scan *s, struct job *job)
{
	struct worker *w;

	while (!(w = free_worker(s))) {
		if (!live_workers(s)) {
			s->fatal = 1;
			break;
		}
		pump(s, 1);
	}
	if (!w || s->canceled) {
		free_job(job);
		return;
	}
	send_job(s, w, job);
}

static void drain(struct sc_scan *s)
{
	while (any_busy(s))
		pump(s, 1);
}

static int excluded(const struct sc_scan *s, const char *path,
		    const char *name)
{
	for (size_t i = 0; i < s->opts.nexcludes; i++)
		if (!fnmatch(s->opts.excludes[i], path, 0) ||
		    !fnmatch(s->opts.excludes[i], name, 0))
			return 1;
	return 0;
}

static void file_job(struct sc_scan *s, const char *path, size_t len,
		     uint64_t size)
{
	struct job j;

	memset(&j, 0, sizeof(j));
	j.type = SC_JOB_FILE;
	j.path = sc_xstrndup(path, len);
	j.path_len = len;
	j.length = size;
	if (!j.path) {
		skip(s, path, len, size, SC_REASON_ERROR, "out of memory");
		return;
	}
	dispatch(s, &j);
}

/* Growable path buffer for the walk. */
struct pathbuf {
	char *p;
	size_t len, alloc;
};

static int path_push(struct pathbuf *pb, const char *name)
{
	size_t n = strlen(name);
	int slash = pb->len && pb->p[pb->len - 1] != '/';

	if (pb->len + n + 2 > pb->alloc) {
		size_t na = (pb->len + n + 2) * 2;
		char *q = realloc(pb->p, na);

		if (!q)
			return -1;
		pb->p = q;
		pb->alloc = na;
	}
	if (slash)
		pb->p[pb->len++] = '/';
	memcpy(pb->p + pb->len, name, n + 1);
	pb->len += n;
	return 0;
}

struct frame {
	DIR *d;
	size_t plen;
};

static void walk(struct sc_scan *s, const char *root, dev_t root_dev, int fd)
{
	struct frame stack[MAX_DEPTH];
	struct pathbuf pb = { NULL, 0, 0 };
	int depth = 0;
	DIR *d;

	if (path_push(&pb, root) || !(d = fdopendir(fd))) {
		close(fd);
		free(pb.p);
		s->st->error = SC_ENOMEM;
		return;
	}
	stack[0].d = d;
	stack[0].plen = pb.len;
	depth = 1;
	s->st->dirs++;

	while (depth > 0 && !s->canceled && !s->fatal) {
		struct frame *f = &stack[depth - 1];
		struct dirent *de;
		struct stat st;
		const char *name;

		pb.len = f->plen;
		pb.p[pb.len] = '\0';
		errno = 0;
		de = readdir(f->d);
		if (!de) {
			if (errno)
				skip(s, pb.p, pb.len, 0, SC_REASON_IO,
				     strerror(errno));
			closedir(f->d);
			depth--;
			continue;
		}
		name = de->d_name;
		if (!strcmp(name, ".") || !strcmp(name, ".."))
			continue;
		if (path_push(&pb, name)) {
			skip(s, name, strlen(name), 0, SC_REASON_ERROR,
			     "out of memory");
			continue;
		}
		if (fstatat(dirfd(f->d), name, &st, AT_SYMLINK_NOFOLLOW)) {
			int e = errno;

			skip(s, pb.p, pb.len, 0,
			     e == ENOENT ? SC_REASON_VANISHED
			     : (e == EACCES || e == EPERM) ? SC_REASON_PERMISSION
							    : SC_REASON_IO,
			     strerror(e));
			continue;
		}
		if (S_ISLNK(st.st_mode)) {
			s->st->symlinks++;
			continue;
		}
		if (s->opts.nexcludes && excluded(s, pb.p, name)) {
			skip(s, pb.p, pb.len,
			     S_ISREG(st.st_mode) ? (uint64_t)st.st_size : 0,
			     SC_REASON_EXCLUDED, NULL);
			continue;
		}
		if (S_ISDIR(st.st_mode)) {
			int cfd;

			if (s->opts.one_fs && st.st_dev != root_dev) {
				skip(s, pb.p, pb.len, 0, SC_REASON_OTHER_FS,
				     NULL);
				continue;
			}
			if (depth >= MAX_DEPTH) {
				skip(s, pb.p, pb.len, 0, SC_REASON_TOO_DEEP,
				     NULL);
				continue;
			}
			cfd = openat(dirfd(f->d), name,
				     O_RDONLY | O_DIRECTORY | O_NOFOLLOW |
					     O_NONBLOCK | O_CLOEXEC);
			if (cfd < 0 || !(d = fdopendir(cfd))) {
				int e = errno;

				if (cfd >= 0)
					close(cfd);
				skip(s, pb.p, pb.len, 0,
				     (e == EACCES || e == EPERM)
					     ? SC_REASON_PERMISSION
				     : (e == ENOENT || e == ELOOP ||
					e == ENOTDIR)
					     ? SC_REASON_VANISHED
					     : SC_REASON_IO,
				     strerror(e));
				continue;
			}
			stack[depth].d = d;
			stack[depth].plen = pb.len;
			depth++;
			s->st->dirs++;
		} else if (S_ISREG(st.st_mode)) {
			if (s->opts.max_size &&
			    (uint64_t)st.st_size > s->opts.max_size)
				skip(s, pb.p, pb.len, (uint64_t)st.st_size,
				     SC_REASON_SIZE, NULL);
			else
				file_job(s, pb.p, pb.len,
					 (uint64_t)st.st_size);
		} else {
			skip(s, pb.p, pb.len, 0, SC_REASON_SPECIAL, NULL);
		}
	}
	while (depth > 0)
		closedir(stack[--depth].d);
	free(pb.p);
}

static void area_job(struct sc_scan *s, const char *dev, uint64_t off,
		     uint64_t len, const char *area, const char *filetype)
{
	struct job j;

	memset(&j, 0, sizeof(j));
	j.type = SC_JOB_AREA;
	j.path = sc_xstrdup(dev);
	j.path_len = strlen(dev);
	j.offset = off;
	j.length = len;
	j.area = sc_xstrdup(area);
	j.filetype = filetype;
	if (!j.path || !j.area) {
		free_job(&j);
		skip(s, dev, strlen(dev), len, SC_REASON_ERROR, "out of memory");
		return;
	}
	dispatch(s, &j);
}

/* Says why a partition's files are not in this scan: nobody mounted it. */
static void unmounted(struct sc_scan *s, const char *dev,
		      const struct sc_partition *p, uint64_t bytes)
{
	char path[128], detail[256];
	enum sc_reason reason;
	const char *mount_error = NULL;
	size_t dl = strlen(p->device);

	if (p->device[0])
		snprintf(path, sizeof(path), "%s", p->device);
	else
		snprintf(path, sizeof(path), "%.80s partition %u", dev,
			 p->number);
	for (size_t i = 0; dl && i < s->opts.nmount_errors; i++)
		if (!strncmp(s->opts.mount_errors[i], p->device, dl) &&
		    s->opts.mount_errors[i][dl] == '\t')
			mount_error = s->opts.mount_errors[i] + dl + 1;
	if (mount_error) {
		reason = SC_REASON_MOUNT_FAILED;
		snprintf(detail, sizeof(detail), "%s: %s",
			 p->fstype[0] ? p->fstype : "unknown", mount_error);
	} else if (p->vflags & SC_VOL_ENCRYPTED) {
		reason = SC_REASON_ENCRYPTED;
		snprintf(detail, sizeof(detail), "%s",
			 !strcmp(p->fstype, "crypto_LUKS") ? "LUKS" : p->fstype);
	} else if (!p->fstype[0] || !strcmp(p->fstype, "swap") ||
		   !strcmp(p->fstype, "ambiguous")) {
		reason = SC_REASON_UNSUPPORTED_FS;
		snprintf(detail, sizeof(detail), "%s",
			 !p->fstype[0] ? "no filesystem recognised"
			 : !strcmp(p->fstype, "swap")
				 ? "swap space"
				 : "more than one filesystem signature");
	} else {
		reason = SC_REASON_NOT_MOUNTED;
		snprintf(detail, sizeof(detail),
			 "%s volume is not mounted; mount it and scan the "
			 "directory", p->fstype);
	}
	{
		struct sc_item it;

		memset(&it, 0, sizeof(it));
		it.path = path;
		it.path_len = strlen(path);
		it.size = bytes;
		it.status = SC_ITEM_SKIPPED;
		it.reason = reason;
		it.detail = detail;
		deliver(s, &it);
	}
}

/* Every boot area of a disk, as sc_layout_parse lists them. */
static int scan_disk(struct sc_scan *s, const char *dev)
{
	struct sc_layout *l;
	int err;

	err = sc_layout_open(dev, 0, s->opts.gap_cap, &l);
	if (err) {
		/* "not a disk" says it all; errno adds nothing there. */
		if (err != SC_ENOTDISK)
			s->st->sys_errno = errno;
		return err;
	}
	if (s->cb.on_layout)
		s->cb.on_layout(s->target, l, s->cb.ctx);
	for (size_t i = 0; i < l->nareas && !s->canceled && !s->fatal; i++) {
		const struct sc_area *a = &l->areas[i];

		area_job(s, dev, a->offset, a->length, a->name, a->filetype);
		if (a->capped) {
			struct sc_item it;
			char detail[64];

			snprintf(detail, sizeof(detail),
				 "first %llu bytes scanned",
				 (unsigned long long)a->length);
			memset(&it, 0, sizeof(it));
			it.path = dev;
			it.path_len = strlen(dev);
			it.area = a->name;
			it.filetype = a->filetype;
			it.size = a->capped;
			it.status = SC_ITEM_SKIPPED;
			it.reason = SC_REASON_GAP_CAP;
			it.detail = detail;
			deliver(s, &it);
		}
	}
	/* Volumes whose files no one mounted for this scan. */
	for (size_t i = 0; i < l->nparts && !s->canceled; i++) {
		const struct sc_partition *p = &l->parts[i];
		uint64_t nsect = l->size / l->sector_size, n;

		if (p->flags & SC_PART_EXTENDED || p->start >= nsect ||
		    p->mountpoint[0])
			continue;
		n = nsect - p->start < p->sectors ? nsect - p->start
						  : p->sectors;
		unmounted(s, dev, p, n * l->sector_size);
	}
	sc_layout_free(l);
	return SC_OK;
}

int sc_scan_target(struct sc_scan *s, const char *path,
		   enum sc_target_kind kind, struct sc_target_stats *stats)
{
	struct sc_target_stats local;
	struct stat st;
	double t0 = now();
	int fd, err = SC_OK;

	if (!stats)
		stats = &local;
	memset(stats, 0, sizeof(*stats));
	stats->kind = kind;
	if (!s || !path)
		return stats->error = SC_EINVAL;
	s->target = path;
	s->st = stats;
	if (s->canceled)
		return stats->error = SC_ECANCELED;

	/* The target itself may be a symlink the user named; follow it once. */
	fd = open(path, O_RDONLY | O_NONBLOCK | O_CLOEXEC | O_NOCTTY);
	if (fd < 0 || fstat(fd, &st)) {
		stats->sys_errno = errno;
		if (fd >= 0)
			close(fd);
		stats->seconds = now() - t0;
		return stats->error = SC_EOPEN;
	}
	if (kind == SC_TARGET_AUTO)
		kind = S_ISBLK(st.st_mode) ? SC_TARGET_DISK : SC_TARGET_PATH;
	stats->kind = kind;
	stats->is_dir = kind == SC_TARGET_PATH && S_ISDIR(st.st_mode);

	if (kind == SC_TARGET_DISK) {
		close(fd);
		if (!S_ISBLK(st.st_mode) && !S_ISREG(st.st_mode))
			err = SC_ENOTDISK;
		else
			err = scan_disk(s, path);
	} else if (S_ISDIR(st.st_mode)) {
		walk(s, path, st.st_dev, fd); /* takes fd */
		err = stats->error;
	} else if (S_ISREG(st.st_mode)) {
		close(fd);
		if (s->opts.max_size && (uint64_t)st.st_size > s->opts.max_size)
			skip(s, path, strlen(path), (uint64_t)st.st_size,
			     SC_REASON_SIZE, NULL);
		else
			file_job(s, path, strlen(path), (uint64_t)st.st_size);
	} else {
		close(fd);
		skip(s, path, strlen(path), 0, SC_REASON_SPECIAL, NULL);
	}
	drain(s);
	stats->seconds = now() - t0;
	if (!err && s->fatal)
		err = SC_EWORKER;
	if (!err && s->canceled)
		err = SC_ECANCELED;
	stats->error = err;
	return err;
}

int sc_scan_create(const struct sc_rules *rules,
		   const struct sc_scan_opts *opts, const struct sc_scan_cb *cb,
		   struct sc_scan **out)
{
	struct sc_scan *s;
	long cpus;

	*out = NULL;
	if (!rules || !sc_rules_set_count(rules))
		return SC_ESTATE;
	s = calloc(1, sizeof(*s));
	if (!s)
		return SC_ENOMEM;
	s->rules = rules;
	if (opts)
		s->opts = *opts;
	else
		sc_scan_opts_init(&s->opts);
	if (cb)
		s->cb = *cb;
	s->nw = s->opts.jobs;
	if (!s->nw) {
		cpus = sysconf(_SC_NPROCESSORS_ONLN);
		s->nw = cpus > 0 ? (unsigned)cpus : 1;
	}
	if (s->nw > 64)
		s->nw = 64;
	s->w = calloc(s->nw, sizeof(*s->w));
	if (!s->w) {
		free(s);
		return SC_ENOMEM;
	}
	for (unsigned i = 0; i < s->nw; i++) {
		s->w[i].fd = -1;
		s->w[i].pid = -1;
	}
	for (unsigned i = 0; i < s->nw; i++) {
		if (spawn(s, &s->w[i])) {
			sc_scan_destroy(s);
			return SC_EWORKER;
		}
	}
	s->t0 = now();
	*out = s;
	return SC_OK;
}

unsigned sc_scan_jobs(const struct sc_scan *s)
{
	return s ? s->nw : 0;
}

void sc_scan_destroy(struct sc_scan *s)
{
	if (!s)
		return;
	for (unsigned i = 0; i < s->nw; i++) {
		/* Idle workers exit on end-of-file; busy ones are killed. */
		reap(&s->w[i], s->w[i].nq > 0, NULL);
		for (unsigned k = 0; k < s->w[i].nq; k++)
			free_job(&s->w[i].q[k]);
	}
	free(s->w);
	free(s);
}
