/*
 * Every key binding of the UI, in one table: the key bar, the help screen
 * and the dispatch all read it. A screen's own bindings win over the
 * global ones (UI_ANY). Labels appear in the key bar; the help text up to
 * its colon is the bar's word for it.
 */
#include <curses.h>

#include "ui.h"

#define CTRL(c) ((c) & 0x1f)

const struct ui_key ui_keys[] = {
	/* Home */
	{ UI_HOME, 's', A_SETUP, "s", "scan: choose what to scan, then start" },
	{ UI_HOME, '\r', A_SETUP, NULL, "scan: choose what to scan" },
	{ UI_HOME, KEY_ENTER, A_SETUP, NULL, NULL },
	{ UI_HOME, 'r', A_PLAN, "r", "results: the last scan's detections" },
	{ UI_HOME, 'q', A_QUIT, "q", "quit: leave the rescue screen (asks)" },

	/* Scan setup */
	{ UI_SETUP, ' ', A_TOGGLE, "Space", "toggle: scan this one or not" },
	{ UI_SETUP, 'a', A_ALL, "a", "all: choose everything" },
	{ UI_SETUP, 'n', A_NONE_SEL, "n", "none: choose nothing" },
	{ UI_SETUP, 'b', A_BOOTAREAS, "b", "boot areas: scan disks' boot areas or not" },
	{ UI_SETUP, 'm', A_SIZECAP, "m", "max size: files larger are listed, not scanned" },
	{ UI_SETUP, 'j', A_JOBS, "j", "jobs: worker processes (0: one per CPU)" },
	{ UI_SETUP, '\r', A_START, "Enter", "start: start the scan" },
	{ UI_SETUP, KEY_ENTER, A_START, NULL, NULL },
	{ UI_SETUP, KEY_F(5), A_START, NULL, "start the scan (F5)" },

	/* Scan progress */
	{ UI_PROGRESS, 'p', A_PAUSE, "p", "pause: pause or resume the scan" },
	{ UI_PROGRESS, 'c', A_CANCEL, "c", "cancel: stop the scan (asks)" },
	{ UI_PROGRESS, 27, A_CANCEL, NULL, "cancel the scan (asks)" },

	/* Results (f, o and Tab are named on the screen, not in the bar:
	 * at 80 columns it keeps room for the actions and for q) */
	{ UI_RESULTS, '\r', A_ENTER, "Enter", "details: the detection in full" },
	{ UI_RESULTS, KEY_ENTER, A_ENTER, NULL, NULL },
	{ UI_RESULTS, 'P', A_PLAN, "P", "plan: review and apply the actions" },
	{ UI_RESULTS, 'u', A_QUARANTINE, "u", "quarantine: plan to quarantine it" },
	{ UI_RESULTS, 'i', A_IGNORE, "i", "ignore: ignore it this time" },
	{ UI_RESULTS, 'w', A_ALLOW, "w", "allow: always allow this file" },
	{ UI_RESULTS, 'c', A_CLEAR, NULL, "clear the planned action" },
	{ UI_RESULTS, 'f', A_FILTER, NULL, "filter: all, to act on, held, allowed" },
	{ UI_RESULTS, 'o', A_SORT, NULL, "order: by path, rule or severity" },
	{ UI_RESULTS, '\t', A_TAB, NULL, "not scanned: switch to the not-scanned list and back" },

	/* Detection detail */
	{ UI_DETAIL, 'u', A_QUARANTINE, "u", "quarantine: plan to quarantine it" },
	{ UI_DETAIL, 'i', A_IGNORE, "i", "ignore: ignore it this time" },
	{ UI_DETAIL, 'w', A_ALLOW, "w", "allow: always allow this file" },
	{ UI_DETAIL, 'c', A_CLEAR, "c", "clear: no action for it" },
	{ UI_DETAIL, 'e', A_EXPORT, "e", "export: the vendor false-positive package" },
	{ UI_DETAIL, 'P', A_PLAN, "P", "plan: review and apply the actions" },

	/* Plan */
	{ UI_PLAN, 'a', A_APPLY, "a", "apply: carry out the plan (asks once)" },
	{ UI_PLAN, '\r', A_ENTER, "Enter", "details: the detection in full" },
	{ UI_PLAN, KEY_ENTER, A_ENTER, NULL, NULL },
	{ UI_PLAN, 'c', A_CLEAR, "c", "clear: drop this action from the plan" },

	/* Quarantine manager */
	{ UI_QUARANTINE, 'r', A_RESTORE, "r", "restore: put it back where it was (asks)" },
	{ UI_QUARANTINE, 'd', A_DELETE, "d", "delete: remove it for good (asks)" },
	{ UI_QUARANTINE, 's', A_RESCAN, "s", "rescan: every item with the current rules" },
	{ UI_QUARANTINE, 'e', A_EXPORT, "e", "export: the vendor false-positive package" },
	{ UI_QUARANTINE, '\r', A_ENTER, "Enter", "details: the item in full" },
	{ UI_QUARANTINE, KEY_ENTER, A_ENTER, NULL, NULL },

	/* Allowlist */
	{ UI_ALLOW, 'd', A_REMOVE, "d", "remove: take the entry off the list (asks)" },

	/* Definitions */
	{ UI_DEFS, 'r', A_ROLLBACK, "r", "rollback: the previous version of the set (asks)" },
	{ UI_DEFS, 'e', A_ENABLE, "e", "enable: enable or disable the set (asks)" },

	/* Log viewer */
	{ UI_LOG, '\r', A_ENTER, "Enter", "show: the file's text, scrolled" },
	{ UI_LOG, KEY_ENTER, A_ENTER, NULL, NULL },
	{ UI_LOG, '\t', A_TAB, "Tab", "next file: the next report or log" },

	/* Everywhere */
	{ UI_ANY, KEY_UP, A_UP, NULL, "up: move up" },
	{ UI_ANY, 'k', A_UP, NULL, NULL },
	{ UI_ANY, KEY_DOWN, A_DOWN, NULL, "down: move down" },
	{ UI_ANY, 'j', A_DOWN, NULL, NULL },
	{ UI_ANY, KEY_PPAGE, A_PGUP, NULL, "PgUp: a page up" },
	{ UI_ANY, KEY_NPAGE, A_PGDN, NULL, "PgDn: a page down" },
	{ UI_ANY, KEY_HOME, A_FIRST, NULL, "Home: to the first line" },
	{ UI_ANY, KEY_END, A_LAST, NULL, "End: to the last line" },
	{ UI_ANY, KEY_F(1), A_HELP, "F1", "help: the keys of this screen" },
	{ UI_ANY, '?', A_HELP, NULL, "help: the keys of this screen" },
	{ UI_ANY, 'q', A_BACK, "q", "back: the previous screen" },
	{ UI_ANY, 27, A_BACK, NULL, "back: the previous screen (Esc)" },
	{ UI_ANY, KEY_LEFT, A_BACK, NULL, NULL },
	{ UI_ANY, 'Q', A_QSCREEN, "Q", "quarantine: the quarantine manager" },
	{ UI_ANY, 'A', A_ASCREEN, "A", "allowlist: files always allowed" },
	{ UI_ANY, 'D', A_DSCREEN, "D", "definitions: sets, versions, rollback" },
	{ UI_ANY, 'L', A_LSCREEN, "L", "reports: the saved reports and logs" },
	{ UI_ANY, '!', A_SHELL, "!", "shell: a shell; 'exit' comes back" },
	{ UI_ANY, KEY_F(10), A_QUIT, NULL, "quit: leave the rescue screen (asks)" },
	{ UI_ANY, CTRL('l'), A_REDRAW, NULL, "redraw the screen (Ctrl-L)" },
};

const size_t ui_nkeys = sizeof(ui_keys) / sizeof(*ui_keys);

enum ui_act ui_key_action(int screen, int key)
{
	if (key == '\n')
		key = '\r';
	for (size_t i = 0; i < ui_nkeys; i++)
		if (ui_keys[i].screen == screen && ui_keys[i].key == key)
			return ui_keys[i].act;
	for (size_t i = 0; i < ui_nkeys; i++)
		if (ui_keys[i].screen == UI_ANY && ui_keys[i].key == key)
			return ui_keys[i].act;
	return A_NONE;
}
