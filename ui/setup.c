/*
 * Scan setup: which volumes and disks (all by default), whether the disks'
 * boot areas are read, the size cap and the worker count. Enter starts.
 */
#include <curses.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "ui.h"

/* Rows: the targets, then the disks. */
static size_t nrows(const struct ui *u)
{
	return u->cfg->ntargets + u->cfg->ndisks;
}

static int *row_flag(struct ui *u, size_t i)
{
	return i < u->cfg->ntargets ? &u->use_target[i]
				    : &u->use_disk[i - u->cfg->ntargets];
}

static void draw(struct ui *u)
{
	struct ui_list *l = &u->list[UI_SETUP];
	int y = ui_body_top(), rows = ui_body_rows() - 6;
	size_t n = nrows(u);
	char cap[32];

	ui_heading(y++, "Scan these (Space toggles, a all, n none)");
	ui_list_fit(l, n, rows);
	for (size_t i = l->top; i < n && y < ui_body_top() + 1 + rows; i++, y++) {
		int on = *row_flag(u, i), cur = i == l->sel;
		const char *name = i < u->cfg->ntargets
					   ? u->cfg->targets[i]
					   : u->cfg->disks[i - u->cfg->ntargets];

		if (cur)
			attron(ui_attr(ROLE_SELECTED));
		mvhline(y, 1, ' ', COLS - 2);
		ui_printf(y, 2, 12, "[%c] %s", on ? 'x' : ' ',
			  i < u->cfg->ntargets ? "volume" : "disk");
		ui_put(u, y, 14, COLS - 16, name, SIZE_MAX);
		if (i >= u->cfg->ntargets && !u->boot_areas)
			ui_printf(y, COLS - 24, 22, "(boot areas off)");
		if (cur)
			attroff(ui_attr(ROLE_SELECTED));
	}
	if (!n)
		ui_printf(y++, 3, COLS - 4, "nothing to scan: no volume mounted "
			  "and no disk found");
	y = ui_body_top() + ui_body_rows() - 4;
	ui_heading(y++, "Options");
	if (u->max_size)
		ui_bytes(u->max_size, cap);
	else
		snprintf(cap, sizeof(cap), "none");
	ui_printf(y++, 3, COLS - 4, "boot areas of the disks (b): %s",
		  u->boot_areas ? "scanned" : "not scanned");
	ui_printf(y++, 3, COLS - 4, "size cap (m): %s    jobs (j): %u%s", cap,
		  u->jobs, u->jobs ? "" : " (one per CPU)");
}

static uint64_t parse_size(const char *s, int *ok)
{
	char *end;
	unsigned long long v = strtoull(s, &end, 10);
	uint64_t mul = 1;

	*ok = end != s;
	if (*end == 'K' || *end == 'k')
		mul = 1024, end++;
	else if (*end == 'M' || *end == 'm')
		mul = 1024 * 1024, end++;
	else if (*end == 'G' || *end == 'g')
		mul = 1024ull * 1024 * 1024, end++;
	if (*end)
		*ok = 0;
	return (uint64_t)v * mul;
}

static int act(struct ui *u, enum ui_act a)
{
	struct ui_list *l = &u->list[UI_SETUP];
	size_t n = nrows(u);
	char buf[32];
	int ok;

	if (ui_list_move(l, a, n, ui_body_rows() - 6))
		return 1;
	switch (a) {
	case A_TOGGLE:
		if (n)
			*row_flag(u, l->sel) = !*row_flag(u, l->sel);
		return 1;
	case A_ALL:
	case A_NONE_SEL:
		for (size_t i = 0; i < n; i++)
			*row_flag(u, i) = a == A_ALL;
		return 1;
	case A_BOOTAREAS:
		u->boot_areas = !u->boot_areas;
		return 1;
	case A_SIZECAP:
		snprintf(buf, sizeof(buf), "256M");
		if (!ui_prompt(u, "Size cap (bytes, K/M/G; 0 for none):", buf,
			       sizeof(buf))) {
			uint64_t v = parse_size(buf, &ok);

			if (ok)
				u->max_size = v;
			else
				ui_say(u, ROLE_WARN, "not a size: '%s'", buf);
		}
		return 1;
	case A_JOBS:
		snprintf(buf, sizeof(buf), "%u", u->jobs);
		if (!ui_prompt(u, "Worker processes (0: one per CPU, at most 64):",
			       buf, sizeof(buf))) {
			uint64_t v = parse_size(buf, &ok);

			if (ok && v <= 64)
				u->jobs = (unsigned)v;
			else
				ui_say(u, ROLE_WARN, "want 0 to 64, not '%s'", buf);
		}
		return 1;
	case A_START:
		ok = 0;
		for (size_t i = 0; i < u->cfg->ntargets; i++)
			ok |= u->use_target[i];
		for (size_t i = 0; u->boot_areas && i < u->cfg->ndisks; i++)
			ok |= u->use_disk[i];
		if (!ok) {
			ui_say(u, ROLE_WARN, "nothing chosen to scan");
			return 1;
		}
		ui_pop(u);
		ui_push(u, UI_PROGRESS);
		ui_scan_start(u);
		ui_pop(u);
		ui_push(u, UI_RESULTS);
		return 1;
	default:
		return 0;
	}
}

const struct ui_screen ui_setup = { "Scan setup", NULL, draw, act };
