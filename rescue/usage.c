/* Messages for the rescue program; see rescue.h. */
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>

#include "rescue.h"

static void (*cleanup)(void);

void usage_set_cleanup(void (*fn)(void))
{
	cleanup = fn;
}

static void vreport(const char *prefix, const char *fmt, va_list ap)
{
	fflush(stdout);
	fputs(prefix, stderr);
	vfprintf(stderr, fmt, ap);
	fputc('\n', stderr);
}

void die(const char *fmt, ...)
{
	va_list ap;

	if (cleanup) {
		void (*fn)(void) = cleanup;

		cleanup = NULL;
		fn();
	}
	va_start(ap, fmt);
	vreport("fatal: ", fmt, ap);
	va_end(ap);
	exit(EXIT_ERROR);
}

int error(const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	vreport("error: ", fmt, ap);
	va_end(ap);
	return -1;
}

void warning(const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	vreport("warning: ", fmt, ap);
	va_end(ap);
}
