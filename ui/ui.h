/*
 * The ncurses front end: a state machine of screens, one file each
 * (ui/<screen>.c), keys bound in one table (keys.c), drawing helpers and
 * colour roles in draw.c, the terminal's lifecycle in main.c.
 *
 * The UI calls only the scanner library's public headers. What it needs
 * from the program (compiled rules, where things live) comes in struct
 * ui_config, filled by `rescue ui` (rescue/cmd-ui.c).
 *
 * Each screen has draw (paints rows 1..LINES-2; the frame, title and key
 * bar are drawn around it) and act (handles one action; returns 1 if it did,
 * 0 to let the global bindings have it). Screens are pushed and popped;
 * destructive choices go through ui_confirm, whose default is No.
 */
#ifndef UI_H
#define UI_H

#include <stddef.h>
#include <stdint.h>

#include "sc.h"

/* What the program hands the UI. */
struct ui_config {
	const char *product;         /* "rescue 0.1.0" */
	const char *quarantine_dir;  /* the quarantine store */
	const char *allowlist;       /* the allowlist file */
	const char *defs_store;      /* the definitions store (may be NULL) */
	const char *reports_dir;     /* where reports are saved (may be NULL) */
	const char *const *targets;  /* directories to scan (mounted volumes) */
	size_t ntargets;
	const char *const *disks;    /* disks whose boot areas are scanned */
	size_t ndisks;
	const char *const *mount_errors; /* "DEVICE\tREASON" (scan.h) */
	size_t nmount_errors;
	struct sc_rules *rules;      /* compiled; the UI may replace them */
	/*
	 * Recompiles the rules after a definitions change (rollback, enable):
	 * frees *rules and sets a new set, or leaves it and returns -1 with
	 * a sentence in why. May be NULL.
	 */
	int (*reload_rules)(struct sc_rules **rules, char *why, size_t n,
			    void *ctx);
	void *ctx;
	int shell;                   /* a key may drop to a shell */
	const struct sc_defs_key *keys; /* trusted definitions keys */
	size_t nkeys;
};

enum ui_scr {
	UI_HOME,
	UI_SETUP,
	UI_PROGRESS,
	UI_RESULTS,
	UI_DETAIL,
	UI_PLAN,
	UI_QUARANTINE,
	UI_ALLOW,
	UI_DEFS,
	UI_LOG,
	UI_HELP,
	UI_NSCREENS,
	UI_ANY = -1, /* a binding valid on every screen */
};

/* Actions the keys are bound to (keys.c). */
enum ui_act {
	A_NONE,
	A_QUIT, A_BACK, A_HELP, A_SHELL, A_REDRAW,
	A_UP, A_DOWN, A_PGUP, A_PGDN, A_FIRST, A_LAST, A_ENTER, A_TOGGLE,
	A_ALL, A_NONE_SEL,
	A_SCAN, A_SETUP, A_START, A_BOOTAREAS, A_SIZECAP, A_JOBS,
	A_PAUSE, A_CANCEL,
	A_FILTER, A_SORT, A_TAB, A_NOTSCANNED,
	A_QUARANTINE, A_IGNORE, A_ALLOW, A_EXPORT, A_CLEAR,
	A_PLAN, A_APPLY,
	A_QSCREEN, A_ASCREEN, A_DSCREEN, A_LSCREEN,
	A_RESTORE, A_DELETE, A_RESCAN, A_ROLLBACK, A_ENABLE, A_REMOVE,
	A_NACTS
};

struct ui_key {
	int screen;        /* enum ui_scr, or UI_ANY */
	int key;           /* curses key code or character */
	enum ui_act act;
	const char *label; /* shown in the key bar ("F1", "Enter"), or NULL */
	const char *help;  /* one line for the help screen */
};

extern const struct ui_key ui_keys[];
extern const size_t ui_nkeys;

/* The action a key means on a screen (its own bindings first). */
enum ui_act ui_key_action(int screen, int key);

/* Colour roles; monochrome terminals get bold/reverse/underline. */
enum ui_role {
	ROLE_NORMAL, ROLE_TITLE, ROLE_BAR, ROLE_SELECTED, ROLE_OK, ROLE_WARN, ROLE_DANGER,
	ROLE_DIM, ROLE_HEADING, ROLE_NROLES
};

/* A detection as the UI keeps it: copies, valid after the scan. */
struct ui_string {
	char *id;            /* "$a" */
	size_t match;        /* index into the hit's det */
	uint64_t offset;
	uint32_t length;
	unsigned char data[64];
	uint32_t dlen;
};

enum ui_plan { PLAN_NONE, PLAN_QUARANTINE, PLAN_IGNORE, PLAN_ALLOW };

struct ui_hit {
	char *path;          /* bytes, NUL-terminated */
	size_t len;
	char *area;          /* boot area name, or NULL for a file */
	char *filetype;
	char sha256[65];
	uint64_t size;
	struct sc_quar_detection *det;
	size_t ndet;
	struct ui_string *strs;
	size_t nstrs;
	int held;            /* a rule of it is held by the storm guard */
	int allowed;         /* every detection allowed by the allowlist */
	int critical;        /* a protected system file */
	int severity;        /* meta "severity" (0 when none) */
	enum ui_plan plan;
	char *outcome;       /* after apply: what was done, or why not */
	int outcome_ok;
};

struct ui_skip {
	char *path;
	size_t len;
	char *area;
	enum sc_reason reason;
	char *detail;
	uint64_t size;
};

/* A list's cursor and scroll position. */
struct ui_list {
	size_t sel, top;
};

struct ui {
	struct ui_config *cfg;
	int stack[16];
	int depth;
	int quit;
	int mono;             /* no colours */
	int utf8;             /* the terminal shows UTF-8 */
	char msg[256];        /* status line, cleared on the next key */
	int msg_role;

	/* Scan setup. */
	int *use_target, *use_disk; /* chosen (1) or not, per cfg entry */
	int boot_areas;
	uint64_t max_size;
	unsigned jobs;

	/* Scan progress (valid while scanning and after). */
	int scanning, paused, canceled, scanned;
	struct sc_progress prog;
	uint64_t estimate;    /* bytes expected (fast pre-count) */
	const char *current;  /* target being scanned */
	char cur_path[512];   /* last item seen, display form */
	uint64_t n_held, n_allowed, n_skipped;

	/* Results. */
	struct sc_report *report;
	struct sc_allow *allow;
	struct ui_hit *hits;
	size_t nhits;
	struct ui_skip *skips;
	size_t nskips;
	char report_json[512], report_txt[512]; /* saved reports, or "" */

	/* Per-screen state. */
	struct ui_list list[UI_NSCREENS];
	size_t detail;        /* the hit shown by UI_DETAIL */
	int filter;           /* results: 0 all, 1 to act on, 2 held, 3 allowed */
	int sort;             /* results: 0 path, 1 rule, 2 severity */
	int tab;              /* results: 0 detections, 1 not scanned */
	int help_of;          /* the screen UI_HELP describes */
	char log_path[512];   /* UI_LOG: the file shown */
};

/* --- screens (one file each) --- */
struct ui_screen {
	const char *title;
	void (*enter)(struct ui *u);
	void (*draw)(struct ui *u);
	int (*act)(struct ui *u, enum ui_act a);
};

extern const struct ui_screen ui_home, ui_setup, ui_progress, ui_results,
	ui_detail, ui_plan, ui_quarantine, ui_allowscr, ui_defs, ui_log,
	ui_help;

/* --- main.c --- */
int ui_run(struct ui_config *cfg);
/* Gives the terminal back (for the program's die() hook); idempotent. */
void ui_restore_terminal(void);
void ui_push(struct ui *u, int screen);
void ui_pop(struct ui *u);
int ui_top(const struct ui *u);
/* Draws the whole screen now (frame and the current screen). */
void ui_redraw(struct ui *u);
/* Sets the status line (printf-style). */
void ui_say(struct ui *u, int role, const char *fmt, ...)
	__attribute__((format(printf, 3, 4)));
/* Leaves curses, runs a shell on the terminal, comes back. */
void ui_shell(struct ui *u);

/* --- draw.c --- */
void ui_colors_init(struct ui *u);
int ui_attr(enum ui_role r);
/* Rows available to a screen body: first row and count. */
int ui_body_top(void);
int ui_body_rows(void);
/*
 * Prints s (n bytes; n SIZE_MAX: a C string) at y,x in at most w columns:
 * control bytes and invalid UTF-8 escaped as \xNN (every non-ASCII byte
 * when the terminal is not UTF-8), shortened in the middle with "..."
 * when too long. Returns the columns used.
 */
int ui_put(struct ui *u, int y, int x, int w, const char *s, size_t n);
/* printf into at most w columns at y,x (ASCII text of ours). */
void ui_printf(int y, int x, int w, const char *fmt, ...)
	__attribute__((format(printf, 4, 5)));
/* A heading line across the body. */
void ui_heading(int y, const char *text);
/* Moves a list's cursor for an action over n rows shown in rows lines;
 * returns 1 if the action was a movement. */
int ui_list_move(struct ui_list *l, enum ui_act a, size_t n, int rows);
/* Keeps the cursor in view; call before drawing. */
void ui_list_fit(struct ui_list *l, size_t n, int rows);
/* y/N question in a box; the default (Enter, Esc) is No. */
int ui_confirm(struct ui *u, const char *question, const char *detail);
/* A message box until a key. */
void ui_message(struct ui *u, const char *title, const char *text);
/* Asks for a line of text; 0 and buf filled, or -1 if cancelled. */
int ui_prompt(struct ui *u, const char *question, char *buf, size_t n);
/* A progress bar of w columns at y,x. */
void ui_bar(int y, int x, int w, double fraction);
/* Human sizes: "12.3 MiB". */
void ui_bytes(uint64_t n, char out[32]);
/* Hex and ASCII of data, 16 bytes a row, offsets from base, from row y;
 * bytes [hl, hl+hn) highlighted. Returns rows used (at most rows). */
int ui_hexdump(int y, int rows, const unsigned char *data, size_t n,
	       uint64_t base, size_t hl, size_t hn);

/*
 * --- log.c: a read-only text view (the log viewer, item details) ---
 * Lines are kept as raw bytes and drawn with ui_put, so text from files
 * and manifests is shown escaped; long lines wrap. Scrolls with the list
 * actions.
 */
struct ui_pager;
struct ui_pager *ui_pager_new(void);
void ui_pager_free(struct ui_pager *p);
/* Adds one line of n bytes (n SIZE_MAX: a C string), newlines included. */
void ui_pager_add(struct ui_pager *p, const char *s, size_t n);
/* Adds a line of our own text (printf-style). */
void ui_pager_addf(struct ui_pager *p, const char *fmt, ...)
	__attribute__((format(printf, 2, 3)));
/* Splits text into lines at '\n' (a final '\r' dropped) and adds them. */
void ui_pager_text(struct ui_pager *p, const char *s, size_t n);
size_t ui_pager_lines(const struct ui_pager *p);
/* Draws rows rows from y; ^ and v in the right margin where more is. */
void ui_pager_draw(struct ui *u, struct ui_pager *p, int y, int rows);
/* Scrolls for a movement action over rows lines; 1 if it was one. */
int ui_pager_move(struct ui_pager *p, enum ui_act a, int rows);

/* --- scan.c: running a scan for the progress screen --- */
void ui_scan_start(struct ui *u);
void ui_results_free(struct ui *u);
/* Applies the plan (quarantine, allow); outcomes into each hit. */
void ui_apply_plan(struct ui *u);
/* The vendor package for hit i into the reports directory; says where. */
void ui_export_hit(struct ui *u, size_t i);

/* --- plan.c: the plan, shared by results, detail and plan --- */
/* Plans action p for hit i, or refuses with a sentence on the status line
 * (a held hit, a boot area, a file already quarantined); 0 if planned. */
int ui_plan_set(struct ui *u, size_t i, enum ui_plan p);
/* The plan's mark in lists: "[Q]", "[I]", "[A]", or blanks. */
const char *ui_plan_mark(enum ui_plan p);
/* A hit's file name, or "AREA of DISK", safely in at most w columns;
 * returns the columns used. */
int ui_put_hit(struct ui *u, int y, int x, int w, const struct ui_hit *h);
/*
 * For wrapping text that may hold any byte: how many of the n bytes at s
 * surely fit in w columns of ui_put (every non-ASCII byte counted as \xNN,
 * the worst case), cut between characters, after a space when there is
 * one in the second half. At least one character when n > 0.
 */
size_t ui_wrap_cut(const char *s, size_t n, int w);

#endif
