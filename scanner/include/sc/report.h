/*
 * Scan reports.
 *
 * A report collects what a scan met: the rules loaded, the options, each
 * target's totals and its not-scanned list, and every detection. The caller
 * forwards the engine's items (sc_report_item) and each target's totals
 * (sc_report_target); the report copies what it keeps. It then writes itself
 * as JSON (schema in docs/report-json.md) or as a human text report to a
 * stream the caller opened. File names that are not valid UTF-8 are written
 * with U+FFFD in "path" and their exact bytes in "path_hex".
 *
 * The report feeds every detection to an FP-storm tally (sc/storm.h); once
 * the scan is over, sc_report_apply_holds decides which rules are held and
 * marks their detections, so the counts it judges are final.
 */
#ifndef SC_REPORT_H
#define SC_REPORT_H

#include <stdint.h>
#include <stdio.h>

#include "sc/allow.h"
#include "sc/disk.h"
#include "sc/efi.h"
#include "sc/scan.h"
#include "sc/storm.h"
#include "sc/volume.h"

struct sc_rules;
struct sc_report;

/* program and version are copied. Free with sc_report_destroy. */
int sc_report_create(const char *program, const char *version,
		     struct sc_report **out);

/* Records the rule count and every source with its load status. */
int sc_report_set_rules(struct sc_report *r, const struct sc_rules *rules);

/*
 * Gives each recorded rule set its age in days and flags the signed sets
 * older than days as stale (call after sc_report_set_rules).
 */
void sc_report_mark_stale(struct sc_report *r, unsigned days);

/* Records a definitions bundle that was refused, and the reason. */
int sc_report_refused(struct sc_report *r, const char *path,
		      const char *why);

/* Records the scan options; jobs is the worker count actually used. */
int sc_report_set_options(struct sc_report *r, const struct sc_scan_opts *o,
			  unsigned jobs);

/* Stamps start and end (UTC wall clock). */
void sc_report_start(struct sc_report *r);
void sc_report_finish(struct sc_report *r);

/* Keeps an item's detections or not-scanned entry; clean items are counted. */
int sc_report_item(struct sc_report *r, const struct sc_item *item);

/*
 * Applies the FP-storm guard with the final counts: decides the holds
 * (sc_storm_decide), marks each detection "held" (with "hold_reason"),
 * lists the holds, released or not, under "holds" and the policy under
 * "storm_guard". Call it after the last sc_report_item, before writing;
 * until it is called nothing is held. May be called again with other
 * options. o is not kept.
 */
int sc_report_apply_holds(struct sc_report *r, const struct sc_storm_opts *o);

/*
 * The report's tally, to ask sc_storm_is_held about a detection (after
 * sc_report_apply_holds). Owned by the report.
 */
const struct sc_storm *sc_report_storm(const struct sc_report *r);

/*
 * Records an action taken (or refused) on a detected file: action is
 * "quarantined", "copied" (quarantined, original left in place), "skipped"
 * or "refused"; id the quarantine item (or NULL); detail a sentence (or
 * NULL). Listed under "actions".
 */
int sc_report_action(struct sc_report *r, const char *path, size_t len,
		     const char *action, const char *id, const char *detail);

/* Records a target's totals and outcome once it is done. */
int sc_report_target(struct sc_report *r, const char *path,
		     const struct sc_target_stats *stats);

/*
 * Records the UEFI boot entries (sc_efi_read); efi NULL records that the
 * system did not boot under UEFI. The report keeps a copy.
 */
int sc_report_uefi(struct sc_report *r, const struct sc_efi *efi);

/* Records the volume a directory target lives on (sc_volume_of_path). */
int sc_report_volume(struct sc_report *r, const char *target,
		     const struct sc_volume *v);

/* Records a disk target's partition table, partitions and problems. */
int sc_report_layout(struct sc_report *r, const char *target,
		     const struct sc_layout *layout);

/*
 * Writes disks as JSON, {"disks": [{"path": ..., "model": ..., ...,
 * "layout": ...}]}, the layout object being the one a scan report holds per
 * disk target. infos may be NULL (image files); a NULL layout is written as
 * null with errors[i] (may be NULL) as "error".
 */
int sc_layout_write_json(const struct sc_layout *const *layouts,
			 const struct sc_disk_info *infos,
			 const char *const *paths, const char *const *errors,
			 size_t n, FILE *f);

/*
 * Detections that an allowlist entry matches are reported as allowed (with
 * the entry), not counted as found, and not counted by the storm guard.
 * a is borrowed and must outlive the report; call before the first item.
 */
void sc_report_set_allowlist(struct sc_report *r, const struct sc_allow *a);
uint64_t sc_report_detections_allowed(const struct sc_report *r);

/* Rule matches recorded so far (one per rule per item), held ones included,
 * allowed ones not. */
uint64_t sc_report_detections(const struct sc_report *r);
/* Of those, how many are held (set by sc_report_apply_holds). */
uint64_t sc_report_detections_held(const struct sc_report *r);
/* Targets recorded with an error. */
unsigned sc_report_failed_targets(const struct sc_report *r);

int sc_report_write_json(const struct sc_report *r, FILE *f);
/* max_list caps the not-scanned lines per target; 0 lists them all. */
int sc_report_write_text(const struct sc_report *r, FILE *f,
			 unsigned max_list);

void sc_report_destroy(struct sc_report *r);

/*
 * A file name made safe to show on a terminal: control bytes and bytes that
 * are not valid UTF-8 become \xNN, a backslash becomes \\. Returns a
 * malloc'd string the caller frees, or NULL when out of memory.
 */
char *sc_display_name(const char *name, size_t len);

#endif
