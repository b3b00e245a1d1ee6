/*
 * The scan engine.
 *
 * sc_scan_create forks worker processes (one per online CPU by default) after
 * the rules are compiled; each worker owns a libyara scanner and scans one
 * item at a time. The calling process walks the targets and hands items out,
 * so a worker that crashes or hangs on a hostile file costs that file only:
 * the worker is killed if needed, replaced, and the file is reported as not
 * scanned with the reason.
 *
 * Targets are directories or single files (walked without following symlinks;
 * only regular files are opened, with O_NOFOLLOW|O_NONBLOCK, so FIFOs,
 * devices and symlink loops cannot hang the scan) or disks and disk images,
 * whose boot areas (see sc/disk.h: MBR, EBRs, GPT, each partition's boot
 * region, every gap) are read into memory and scanned with the external
 * variable "filetype" naming the kind of area ("MBR", "VBR", "GAP", ...).
 *
 * Everything is reported through callbacks; the engine never prints. Every
 * item the engine meets and does not scan is reported with a reason, so "not
 * scanned" never looks like "clean".
 */
#ifndef SC_SCAN_H
#define SC_SCAN_H

#include <stddef.h>
#include <stdint.h>

#include "sc/disk.h"

struct sc_rules;
struct sc_scan;

/* Why an item was not scanned (or SC_REASON_NONE). Stable: used in reports. */
enum sc_reason {
	SC_REASON_NONE = 0,
	SC_REASON_SIZE,       /* larger than the size cap */
	SC_REASON_TIMEOUT,    /* the rules ran past the per-file timeout */
	SC_REASON_IO,         /* read or I/O error */
	SC_REASON_PERMISSION, /* access denied */
	SC_REASON_CRASH,      /* the worker died while scanning it */
	SC_REASON_HANG,       /* the worker stopped answering; it was killed */
	SC_REASON_SPECIAL,    /* FIFO, device or socket: no content to scan */
	SC_REASON_EXCLUDED,   /* matched an exclude pattern */
	SC_REASON_OTHER_FS,   /* on another filesystem (one-filesystem mode) */
	SC_REASON_VANISHED,   /* gone or changed type between listing and open */
	SC_REASON_TOO_DEEP,   /* directory nesting past the depth limit */
	SC_REASON_ERROR,      /* libyara failed on it */
	SC_REASON_GAP_CAP,    /* the part of a disk gap past the gap cap */
	SC_REASON_ENCRYPTED,  /* a BitLocker or LUKS volume */
	SC_REASON_UNSUPPORTED_FS, /* no filesystem we can read */
	SC_REASON_NOT_MOUNTED,    /* a readable filesystem that is not mounted */
	SC_REASON_MOUNT_FAILED,   /* mounting it failed (damaged, truncated) */
	SC_REASON_MAX
};

/* Short stable name ("size-cap", "timeout", ...) and a human sentence. */
const char *sc_reason_name(enum sc_reason reason);
const char *sc_reason_text(enum sc_reason reason);

enum sc_target_kind {
	SC_TARGET_AUTO,  /* directory or file; block device means disk */
	SC_TARGET_PATH,  /* directory or file, walked */
	SC_TARGET_DISK,  /* block device or disk image, boot area read raw */
};

enum sc_status {
	SC_ITEM_CLEAN,    /* scanned, no rule matched */
	SC_ITEM_MATCH,    /* scanned, at least one rule matched */
	SC_ITEM_SKIPPED,  /* not scanned; reason says why */
};

enum sc_meta_type { SC_META_STRING, SC_META_INTEGER, SC_META_BOOLEAN };

struct sc_meta {
	const char *key;
	enum sc_meta_type type;
	const char *str;   /* SC_META_STRING */
	int64_t num;       /* SC_META_INTEGER, SC_META_BOOLEAN (0/1) */
};

struct sc_string_match {
	const char *id;          /* "$a" */
	uint64_t offset;         /* from the start of the file or area */
	uint32_t length;         /* match length */
	const unsigned char *data; /* first data_len matched bytes */
	uint32_t data_len;
};

struct sc_match {
	const char *rule;
	const char *ns;
	size_t ntags;
	const char *const *tags;
	size_t nmeta;
	const struct sc_meta *meta;
	size_t nstrings;
	const struct sc_string_match *strings;
	const char *set;          /* rule set: a bundle's name, or "local" */
	uint64_t set_version;     /* 0 for "local" */
};

/*
 * One file or boot area. Everything it points to is valid only during the
 * callback; copy what you keep.
 */
struct sc_item {
	const char *target;   /* the target as given */
	const char *path;     /* file path, or the disk for an area */
	size_t path_len;      /* bytes in path (names may be any bytes) */
	const char *area;     /* NULL for files; "mbr", "gap@1+2047", ... */
	const char *filetype; /* value given to the rules ("MBR", "EXE", ...) */
	uint64_t size;
	enum sc_status status;
	enum sc_reason reason;  /* for SC_ITEM_SKIPPED */
	const char *detail;     /* more on the reason (errno text...), or NULL */
	const char *sha256;     /* hex; set for SC_ITEM_MATCH */
	size_t nmatches;
	const struct sc_match *matches;
};

/* Totals of one target; filled by sc_scan_target. */
struct sc_target_stats {
	uint64_t files_scanned;   /* files and areas */
	uint64_t bytes_scanned;
	uint64_t files_matched;
	uint64_t files_skipped;   /* reported with a reason */
	uint64_t bytes_skipped;   /* known sizes of skipped items */
	uint64_t symlinks;        /* symbolic links seen and not followed */
	uint64_t dirs;            /* directories entered */
	double seconds;
	enum sc_target_kind kind; /* as resolved: SC_TARGET_PATH or _DISK */
	int is_dir;               /* SC_TARGET_PATH: a directory was walked */
	int error;                /* SC_OK, or why the target failed */
	int sys_errno;            /* errno for SC_EOPEN / SC_EREAD */
};

struct sc_progress {
	const char *target;
	uint64_t files_done;  /* all targets so far, scanned or skipped */
	uint64_t bytes_done;
	uint64_t matches;     /* items with a match */
	double seconds;       /* since sc_scan_create */
};

/* Returned by callbacks. */
enum { SC_CONTINUE = 0, SC_ABORT = 1 };

struct sc_scan_cb {
	int (*on_item)(const struct sc_item *item, void *ctx);
	/* After each item; the callee decides how often to draw. */
	int (*on_progress)(const struct sc_progress *p, void *ctx);
	/* A disk target's layout, before its areas are scanned (may be NULL). */
	void (*on_layout)(const char *target, const struct sc_layout *layout,
			  void *ctx);
	void *ctx;
};

struct sc_scan_opts {
	unsigned jobs;        /* worker processes; 0 = online CPUs */
	uint64_t max_size;    /* files larger are skipped; 0 = no cap */
	unsigned timeout;     /* seconds of rule evaluation per item */
	int one_fs;           /* do not cross into other filesystems */
	uint64_t gap_cap;     /* bytes scanned of each disk gap; 0 = all */
	/*
	 * Volumes whose mount failed, as "DEVICE\tREASON" strings (the
	 * caller mounts, so it knows why): such an unmounted partition is
	 * reported as "mount-failed" with that reason.
	 */
	const char *const *mount_errors;
	size_t nmount_errors;
	const char *const *excludes; /* fnmatch patterns on path or name */
	size_t nexcludes;
};

/*
 * Defaults: jobs 0 (CPUs), max_size 256 MiB, timeout 60 s, crosses
 * filesystems, gap_cap SC_GAP_CAP_DEFAULT.
 */
void sc_scan_opts_init(struct sc_scan_opts *opts);

/*
 * Starts the workers. rules must be compiled and outlive the scan; opts and
 * cb are copied (the exclude strings must outlive the scan). Free with
 * sc_scan_destroy.
 */
int sc_scan_create(const struct sc_rules *rules,
		   const struct sc_scan_opts *opts, const struct sc_scan_cb *cb,
		   struct sc_scan **out);

/*
 * Scans one target, calling back for every item. Fills *stats (may be NULL).
 * Returns SC_OK when the walk completed (items may still have been
 * skipped), SC_ECANCELED if a callback aborted, or the error that made the
 * whole target unreadable (also in stats->error).
 */
int sc_scan_target(struct sc_scan *scan, const char *path,
		   enum sc_target_kind kind, struct sc_target_stats *stats);

/* Number of worker processes in use. */
unsigned sc_scan_jobs(const struct sc_scan *scan);

/* Stops and reaps the workers and frees the scan. */
void sc_scan_destroy(struct sc_scan *scan);

#endif
