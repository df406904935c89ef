/* Log lines on stderr; see log.h. */
#include "config.h"

#include <stdarg.h>
#include <stdio.h>
#include <unistd.h>

#include "log.h"

int		 log_debug_enabled;
static const char *log_name = "sslinspect";
static void	(*log_writer)(int, const char *);

/* Set the program name shown in front of every line. */
void
log_init(const char *name)
{
	log_name = name;
}

/*
 * Inside another program's process (the eCAP front end in Squid), where
 * stderr is nobody's: lines go to writer, with level 1 (warning), 2 or 3
 * (debug), and no program name.
 */
void
log_set_writer(void (*writer)(int, const char *))
{
	log_writer = writer;
}

static void
log_vline(const char *level, const char *fmt, va_list ap)
{
	char	buf[1024];

	vsnprintf(buf, sizeof buf, fmt, ap);
	if (log_writer != NULL) {
		log_writer(*level == 'W' ? 1 : *level == 'd' ? 3 : 2, buf);
		return;
	}
	fprintf(stderr, "%s[%ld]: %s%s\n", log_name, (long)getpid(), level,
	    buf);
}

void
log_warnx(const char *fmt, ...)
{
	va_list	ap;

	va_start(ap, fmt);
	log_vline("WARNING: ", fmt, ap);
	va_end(ap);
}

void
log_info(const char *fmt, ...)
{
	va_list	ap;

	va_start(ap, fmt);
	log_vline("", fmt, ap);
	va_end(ap);
}

void
log_debug(const char *fmt, ...)
{
	va_list	ap;

	if (!log_debug_enabled)
		return;
	va_start(ap, fmt);
	log_vline("debug: ", fmt, ap);
	va_end(ap);
}
