/* The helpers' "name value" configuration files; see conffile.h. */
#include "config.h"

#include <ctype.h>
#include <errno.h>
#include <stdbool.h>
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
 * A value as c-icap reads it (its split_args: words parted by white space,
 * a word in double quotes kept whole with \" for a quote in it, braces
 * {a, b} kept together) and srv_sslinspect joins its words again, with one
 * blank: rewritten in place, never longer.
 */
static void
conffile_cicap_value(char *value)
{
	char	*in = value, *out = value;
	bool	 brace, first = true;

	while (*in != '\0') {
		if (!first)
			*out++ = ' ';
		first = false;
		if (*in == '"') {
			for (in++; *in != '\0' && *in != '"'; in++) {
				if (*in == '\\' && in[1] == '"')
					in++;
				*out++ = *in;
			}
			if (*in == '"')
				in++;
		} else {
			for (brace = false; *in != '\0' &&
			    (brace || !isspace((unsigned char)*in)); in++) {
				if (*in == '{')
					brace = true;
				else if (*in == '}')
					brace = false;
				*out++ = *in;
			}
		}
		while (isspace((unsigned char)*in))
			in++;
	}
	*out = '\0';
}

/*
 * Hand every option line of path to cb, in order, until one fails; flags:
 * CONFFILE_CICAP. 0, or -1 with a cause naming the file (and the line,
 * when one was refused).
 */
int
conffile_read(const char *path, int flags, conffile_cb cb, void *arg,
    char **cause)
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
		if (!(flags & CONFFILE_CICAP) &&
		    (p = strchr(line, '#')) != NULL)
			*p = '\0';
		name = conffile_trim(line);
		if (*name == '\0' || *name == '#')
			continue;
		value = name + strcspn(name, " \t");
		if (*value != '\0')
			*value++ = '\0';
		value = conffile_trim(value);
		if (flags & CONFFILE_CICAP)
			conffile_cicap_value(value);
		if (cb(arg, name, value, cause) == -1) {
			cause_prefix(cause, "%s:%lu", path, lineno);
			rv = -1;
		}
	}
	fclose(f);
	return rv;
}
