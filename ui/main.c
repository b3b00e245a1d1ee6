/*
 * The UI's lifecycle: the terminal is set up once and restored on every
 * way out (normal exit, die(), fatal signals, Ctrl-C), screens are pushed
 * and popped, and one loop reads keys and dispatches them.
 */
#include <curses.h>
#include <errno.h>
#include <langinfo.h>
#include <locale.h>
#include <signal.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

#include "ui.h"

static const struct ui_screen *const screens[UI_NSCREENS] = {
	[UI_HOME] = &ui_home,	      [UI_SETUP] = &ui_setup,
	[UI_PROGRESS] = &ui_progress, [UI_RESULTS] = &ui_results,
	[UI_DETAIL] = &ui_detail,     [UI_PLAN] = &ui_plan,
	[UI_QUARANTINE] = &ui_quarantine, [UI_ALLOW] = &ui_allowscr,
	[UI_DEFS] = &ui_defs,	      [UI_LOG] = &ui_log,
	[UI_HELP] = &ui_help,
};

static volatile sig_atomic_t curses_up;

/* Fatal signals: give the terminal back, then die of the same signal. */
static void on_fatal(int sig)
{
	if (curses_up)
		endwin();
	signal(sig, SIG_DFL);
	raise(sig);
}

static void install_handlers(void)
{
	static const int fatal[] = { SIGSEGV, SIGBUS, SIGABRT, SIGFPE,
				     SIGILL, SIGTERM, SIGHUP, SIGQUIT };
	struct sigaction sa;

	memset(&sa, 0, sizeof(sa));
	sa.sa_handler = on_fatal;
	sigemptyset(&sa.sa_mask);
	for (size_t i = 0; i < sizeof(fatal) / sizeof(*fatal); i++)
		sigaction(fatal[i], &sa, NULL);
	/* Ctrl-C is a key here (cbreak passes it as a signal): ignore it;
	 * cancelling a scan has its own key and asks first. */
	signal(SIGINT, SIG_IGN);
}

int ui_top(const struct ui *u)
{
	return u->depth ? u->stack[u->depth - 1] : UI_HOME;
}

void ui_push(struct ui *u, int screen)
{
	if (u->depth < (int)(sizeof(u->stack) / sizeof(*u->stack)))
		u->stack[u->depth++] = screen;
	if (screens[screen]->enter)
		screens[screen]->enter(u);
}

void ui_pop(struct ui *u)
{
	if (u->depth > 1)
		u->depth--;
}

void ui_say(struct ui *u, int role, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(u->msg, sizeof(u->msg), fmt, ap);
	va_end(ap);
	u->msg_role = role;
}

/* The key bar: the current screen's labelled keys, then the global ones. */
static void draw_keys(int screen)
{
	int x = 0, y = LINES - 1;

	attrset(ui_attr(ROLE_BAR));
	mvhline(y, 0, ' ', COLS);
	for (int pass = 0; pass < 2; pass++)
		for (size_t i = 0; i < ui_nkeys; i++) {
			const struct ui_key *k = &ui_keys[i];
			int mine = k->screen == screen;
			const char *h, *end;
			int n, len;

			if (!k->label || (pass ? k->screen != UI_ANY : !mine))
				continue;
			if (pass && ui_key_action(screen, k->key) != k->act)
				continue; /* the screen binds that key itself */
			/* The help line's first words: the label's meaning. */
			h = k->help ? k->help : "";
			end = strchr(h, ':');
			len = end ? (int)(end - h) : (int)strlen(h);
			if (len > 14)
				len = 14;
			n = (int)strlen(k->label) + 1 + len;
			if (x + n + 1 > COLS)
				continue;
			attrset(ui_attr(ROLE_BAR) | A_BOLD);
			mvaddstr(y, x, k->label);
			attrset(ui_attr(ROLE_BAR));
			addch(' ');
			addnstr(h, len);
			x += n + 2;
		}
	attrset(ui_attr(ROLE_NORMAL));
}

void ui_redraw(struct ui *u)
{
	int s = ui_top(u);
	char title[160];

	erase();
	attrset(ui_attr(ROLE_TITLE));
	mvhline(0, 0, ' ', COLS);
	snprintf(title, sizeof(title), " %s  |  %s", u->cfg->product,
		 screens[s]->title);
	mvaddnstr(0, 0, title, COLS);
	if (COLS > 20)
		mvaddstr(0, COLS - 12, "F1/? help");
	attrset(ui_attr(ROLE_NORMAL));
	if (COLS < 40 || LINES < 10) {
		mvaddstr(1, 0, "terminal too small");
	} else {
		screens[s]->draw(u);
	}
	attrset(ui_attr(u->msg[0] ? u->msg_role : ROLE_NORMAL));
	mvhline(LINES - 2, 0, ' ', COLS);
	if (u->msg[0])
		ui_put(u, LINES - 2, 1, COLS - 2, u->msg, SIZE_MAX);
	attrset(ui_attr(ROLE_NORMAL));
	draw_keys(s);
	refresh();
}

static void term_up(struct ui *u)
{
	initscr();
	curses_up = 1;
	cbreak();
	noecho();
	nonl();
	keypad(stdscr, TRUE);
	curs_set(0);
	set_escdelay(50);
	ui_colors_init(u);
}

static void term_down(void)
{
	if (curses_up) {
		endwin();
		curses_up = 0;
	}
}

void ui_shell(struct ui *u)
{
	const char *sh = getenv("SHELL");
	pid_t pid;
	int st;

	if (!u->cfg->shell) {
		ui_say(u, ROLE_WARN, "no shell from here in this session");
		return;
	}
	def_prog_mode();
	endwin();
	fputs("\nShell: type 'exit' to go back to the rescue screen.\n",
	      stdout);
	fflush(stdout);
	pid = fork();
	if (pid == 0) {
		/* The program may have sent stderr to a log while the screen
		 * is up: the shell's goes to the terminal. */
		dup2(STDOUT_FILENO, STDERR_FILENO);
		signal(SIGINT, SIG_DFL);
		execl(sh && *sh ? sh : "/bin/sh", "sh", (char *)NULL);
		_exit(127);
	}
	if (pid > 0)
		while (waitpid(pid, &st, 0) < 0 && errno == EINTR)
			;
	reset_prog_mode();
	refresh();
	ui_say(u, ROLE_NORMAL, "back from the shell");
}

static void act_global(struct ui *u, enum ui_act a)
{
	switch (a) {
	case A_HELP:
		u->help_of = ui_top(u);
		if (ui_top(u) != UI_HELP)
			ui_push(u, UI_HELP);
		break;
	case A_BACK:
		if (u->depth > 1)
			ui_pop(u);
		break;
	case A_QUIT:
		if (u->scanning)
			break;
		if (ui_confirm(u, "Leave the rescue screen?",
			       u->cfg->shell ? "The scan results stay in the "
					       "saved reports."
					     : NULL))
			u->quit = 1;
		break;
	case A_SHELL:
		ui_shell(u);
		break;
	case A_QSCREEN: ui_push(u, UI_QUARANTINE); break;
	case A_ASCREEN: ui_push(u, UI_ALLOW); break;
	case A_DSCREEN: ui_push(u, UI_DEFS); break;
	case A_LSCREEN: ui_push(u, UI_LOG); break;
	case A_REDRAW: clearok(curscr, TRUE); break;
	default: break;
	}
}

int ui_run(struct ui_config *cfg)
{
	struct ui u;
	const char *cs;

	memset(&u, 0, sizeof(u));
	u.cfg = cfg;
	u.boot_areas = 1;
	u.max_size = 256ull << 20;
	u.use_target = calloc(cfg->ntargets + 1, sizeof(int));
	u.use_disk = calloc(cfg->ndisks + 1, sizeof(int));
	if (!u.use_target || !u.use_disk)
		return -1;
	for (size_t i = 0; i < cfg->ntargets; i++)
		u.use_target[i] = 1;
	for (size_t i = 0; i < cfg->ndisks; i++)
		u.use_disk[i] = 1;
	if (cfg->allowlist && sc_allow_load(cfg->allowlist, &u.allow))
		u.allow = NULL; /* damaged: shown on the allowlist screen */
	setlocale(LC_ALL, "");
	cs = nl_langinfo(CODESET);
	u.utf8 = cs && !strcmp(cs, "UTF-8");
	install_handlers();
	term_up(&u);
	u.stack[0] = UI_HOME;
	u.depth = 1;
	if (screens[UI_HOME]->enter)
		screens[UI_HOME]->enter(&u);
	while (!u.quit) {
		int key, s;
		enum ui_act a;

		ui_redraw(&u);
		key = getch();
		if (key == ERR || key == KEY_RESIZE)
			continue;
		u.msg[0] = '\0';
		s = ui_top(&u);
		a = ui_key_action(s, key);
		if (a == A_NONE)
			continue;
		if (!screens[s]->act || !screens[s]->act(&u, a))
			act_global(&u, a);
	}
	term_down();
	ui_results_free(&u);
	sc_allow_free(u.allow);
	free(u.use_target);
	free(u.use_disk);
	return 0;
}

void ui_restore_terminal(void)
{
	term_down();
}
