/* TEMPORARY build aid while screens are written in parallel: weak
 * placeholders, overridden by each screen's own file. Delete when all
 * screens exist. */
#include <curses.h>

#include "ui.h"

static void draw_pending(struct ui *u)
{
	(void)u;
	mvaddstr(2, 2, "this screen is being written");
}

#define PENDING(sym, title) \
	__attribute__((weak)) const struct ui_screen sym = { title, NULL, draw_pending, NULL }

PENDING(ui_results, "Results");
PENDING(ui_detail, "Detection");
PENDING(ui_plan, "Plan");
PENDING(ui_quarantine, "Quarantine");
PENDING(ui_allowscr, "Allowlist");
PENDING(ui_defs, "Definitions");
PENDING(ui_log, "Reports and logs");
