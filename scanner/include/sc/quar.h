/*
 * The quarantine store: files taken off a suspect disk, kept so that each
 * can be put back exactly as it was.
 *
 * The store is a directory on the rescue stick (never on the suspect disk):
 * one directory per item holding the payload, encrypted with a key of its
 * own (AES-256-CTR; the key is in the manifest: the point is that the sample
 * cannot run and other scanners do not flag the store, not secrecy), and a
 * JSON manifest with everything a restore needs: the volume by filesystem
 * UUID, the path inside it as raw bytes, size, hashes, mode, owner, times and
 * extended attributes (NTFS attributes on ntfs3), and the detections.
 *
 * Every change follows a journal kept on the store, so a power cut at any
 * moment leaves each file either in place or in quarantine, never lost and
 * never both. Quarantine: copy -> fsync -> verify the hash -> journal
 * "copied" -> make the source volume writable for this action only ->
 * remove the original -> journal "done" -> back to read-only. Restore:
 * journal "restoring" -> write a temporary file beside the target -> fsync
 * -> verify -> rename into place -> journal "done" -> drop the item.
 * sc_quar_open finishes or undoes whatever an earlier run left half done.
 *
 * Refusals change nothing and come with a plain sentence: a hibernated,
 * dirty or Fast-Startup volume, a full store, a file that changed since the
 * scan, a path through a symbolic link or junction (every component is
 * opened with O_NOFOLLOW from its parent's descriptor), a critical system
 * file without force.
 */
#ifndef SC_QUAR_H
#define SC_QUAR_H

#include <stddef.h>
#include <stdint.h>

#include "sc/scan.h"

struct sc_quar;
struct sc_rules;

enum sc_quar_state {
	SC_QUAR_PENDING,     /* copied; the journal has not closed the move */
	SC_QUAR_QUARANTINED, /* moved: the original was removed */
	SC_QUAR_KEPT,        /* copied only: the original was left in place */
};

struct sc_quar_detection {
	char *ns, *rule, *set;
	uint64_t set_version;   /* 0 for "local" rules */
	int64_t set_created;    /* the set's date (Unix time), 0 if unknown */
	size_t nmeta;
	struct sc_meta *meta;   /* strings owned by the item */
};

struct sc_quar_xattr {
	char *name;
	unsigned char *value;
	size_t len;
};

struct sc_quar_time {
	int64_t sec;
	long nsec;
};

struct sc_quar_item {
	char id[32];
	char *time;          /* when it was quarantined, UTC "...Z" */
	char *reason;
	enum sc_quar_state state;
	int critical;        /* a protected system file (quarantined with force) */
	/* Where it came from. */
	char *path;          /* absolute path, raw bytes */
	size_t path_len;
	char *vpath;         /* path inside its volume ("" when unknown) */
	size_t vpath_len;
	char *mountpoint;
	char *uuid, *fstype, *label, *device, *disk, *serial, *part_uuid;
	unsigned partition;
	/* The file. */
	uint64_t size;
	char sha256[65], sha1[41], md5[33];
	uint32_t mode, uid, gid;
	struct sc_quar_time atime, mtime, ctime;
	size_t nxattr;
	struct sc_quar_xattr *xattr;
	uint32_t ntfs_attrib;  /* DOS attributes (ntfs3); has_ntfs_attrib */
	int has_ntfs_attrib;
	size_t ndet;
	struct sc_quar_detection *det;
	/* The last rescan (rescan_time NULL if none). */
	char *rescan_time;
	char *rescan_defs;   /* the definitions it ran with, "core v2, ..." */
	int rescan_detected; /* still detected */
	int likely_fp;       /* no longer detected: likely a false positive */
	/* The payload key, from the manifest. */
	unsigned char key[32], iv[16];
	int has_key;
};

/* What an operation did, or why it was refused. */
struct sc_quar_result {
	char id[32];          /* the item made, restored or concerned */
	int kept;             /* quarantine: the original was left in place */
	int critical;         /* quarantine: a protected system file */
	char *where;          /* restore: the path written (malloc'd) */
	char *displaced;      /* restore --overwrite: item id of the old file */
	char why[512];        /* SC_EREFUSED and other errors: a sentence */
};

void sc_quar_result_free(struct sc_quar_result *r);

/*
 * What the recovery at open found and did, one entry per interrupted
 * operation (see sc_quar_open).
 */
struct sc_quar_recovery {
	char id[32];
	const char *op;     /* "quarantine", "restore", "copy" */
	const char *outcome;/* "rolled-forward", "rolled-back", "unresolved" */
	char detail[256];
};

/*
 * Opens the store in dir, creating it when create is set, and takes its
 * lock (another process using the store gives SC_EBUSY). Then finishes or
 * undoes what an interrupted run left: see the top of this file. What it
 * did goes to *rec and *nrec (may be NULL; free *rec with free()).
 */
int sc_quar_open(const char *dir, int create, struct sc_quar **out,
		 struct sc_quar_recovery **rec, size_t *nrec);
void sc_quar_close(struct sc_quar *q);

/* The store's directory. */
const char *sc_quar_dir(const struct sc_quar *q);

struct sc_quar_req {
	const char *path;        /* the file (absolute or from the cwd) */
	const char *reason;      /* "detected", "manual", ... */
	const struct sc_quar_detection *det; /* the detections (may be none) */
	size_t ndet;
	const char *sha256;      /* what the scan saw, or NULL */
	uint64_t size;           /* with sha256 */
	int force;               /* move critical system files too */
	int copy;                /* copy only, leave the original */
};

/*
 * Quarantines one file. Critical system files (sc_quar_is_critical) are
 * copied and left in place unless force. SC_EREFUSED with res->why when a
 * rule above forbids it; nothing has changed then.
 */
int sc_quar_add(struct sc_quar *q, const struct sc_quar_req *req,
		struct sc_quar_result *res);

struct sc_quar_restore_opts {
	const char *to;    /* a directory to restore into instead, or NULL */
	int overwrite;     /* replace a different existing file (kept first) */
};

/*
 * Puts an item back, byte-exact, with its mode, owner, times and extended
 * attributes, on the volume with the recorded filesystem UUID (wherever it
 * is mounted now), then drops it from the store. A different file in the
 * way is refused unless overwrite, which first quarantines it (copy).
 */
int sc_quar_restore(struct sc_quar *q, const char *id,
		    const struct sc_quar_restore_opts *o,
		    struct sc_quar_result *res);

/*
 * Deep copies of a scan item's matches, to keep them past the callback
 * (*out malloc'd; free with sc_quar_detections_free).
 */
int sc_quar_detections_copy(const struct sc_match *m, size_t n,
			    struct sc_quar_detection **out);
void sc_quar_detections_free(struct sc_quar_detection *d, size_t n);

/* Removes an item and its payload for good. */
int sc_quar_delete(struct sc_quar *q, const char *id);

/* All items, oldest first. Free with sc_quar_items_free. */
int sc_quar_list(struct sc_quar *q, struct sc_quar_item ***items, size_t *n);
void sc_quar_items_free(struct sc_quar_item **items, size_t n);

/* One item by id (or unique id prefix). SC_EINVAL if none. */
int sc_quar_get(struct sc_quar *q, const char *id, struct sc_quar_item **out);
void sc_quar_item_free(struct sc_quar_item *it);

/*
 * The decrypted payload, in memory, after checking its SHA-256 against the
 * manifest (SC_EFORMAT if it does not match).
 */
int sc_quar_payload(struct sc_quar *q, const struct sc_quar_item *it,
		    unsigned char **data, size_t *len);

/*
 * Scans every item's payload (in memory, in a child process) with rules and
 * records the outcome in its manifest: items no longer detected are marked
 * likely false positives, with the definitions that cleared them (defs, e.g.
 * "core v3"). cb, if not NULL, is called per item after it is updated.
 */
int sc_quar_rescan(struct sc_quar *q, const struct sc_rules *rules,
		   const char *defs, unsigned timeout,
		   void (*cb)(const struct sc_quar_item *it, void *ctx),
		   void *ctx);

/* 1 if path is a Windows system file, a boot loader or a driver. */
int sc_quar_is_critical(const char *path, size_t len);

const char *sc_quar_state_name(enum sc_quar_state s);

/*
 * Writes an item as JSON (the manifest without the payload key) to the
 * FILE* f. Used by "quarantine list --json" and the UI.
 */
int sc_quar_item_write_json(const struct sc_quar_item *it, void *f);

#endif
