/* The helpers' "name value" configuration files; see conffile.h. */
#include "config.h"

#include <ctype.h>
#include <errno.h>
#include <stdio.h>
#include <string.h>

#include "cause.h"
#include "conffile.h"

#define CONFFILE_LINE_MAX	8192

/* Strip leading and trailing white space in place; returns the start. */
char *
conffile_trim(char *s)
{
	char	*end;

	while (isspace((unsigned char)*s))
		s++;
	end = s + strlen(s);
	while (end > s && isspace((unsigned char)end[-1]))
		*--end = '\0';
	return s;
}

/*
 * Hand every option line of path to cb, in order, until one fails. 0, or
 * -1 with a cause naming the file (and the line, when one was refused).
 */
int
conffile_read(const char *path, conffile_cb cb, void *arg, char **cause)
{
	FILE		*f;
	char		 line[CONFFILE_LINE_MAX], *p, *name, *value;
	unsigned long	 lineno = 0;
	int		 rv = 0;

	if ((f = fopen(path, "re")) == NULL) {
		cause_set(cause, "%s: %s", path, strerror(errno));
		return -1;
	}
	while (rv == 0 && fgets(line, sizeof line, f) != NULL) {
		lineno++;
		if ((p = strchr(line, '#')) != NULL)
			*p = '\0';
		name = conffile_trim(line);
		if (*name == '\0')
			continue;
		value = name + strcspn(name, " \t");
		if (*value != '\0')
			*value++ = '\0';
		value = conffile_trim(value);
		if (cb(arg, name, value, cause) == -1) {
			cause_prefix(cause, "%s:%lu", path, lineno);
			rv = -1;
		}
	}
	fclose(f);
	return rv;
}
