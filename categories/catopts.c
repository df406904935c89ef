/*
 * The command lines of sslinspect-lists and sslinspect-category-acl as
 * tables: each program builds its getopt_long table and its --help from
 * its table, and the unit test (tests/unit/test_categories.c) renders the
 * OPTIONS of its man page from it, so program, usage and page cannot
 * drift apart.
 */
#include "config.h"

#include <getopt.h>
#include <stdio.h>
#include <string.h>

#include "categories.h"

const struct catopt catopts_lists[] = {
	{ "db", 'd', "FILE", CATDB_PATH, "the database" },
	{ "only", 'o', "CAT,...", NULL, "update: install only these "
	  "categories (an alias needs its target named too)" },
	{ "strict", 's', NULL, NULL, "update: a bad line fails the update "
	  "and nothing is installed (without it, bad lines are reported and "
	  "skipped)" },
	{ "quiet", 'q', NULL, NULL, "update: print only errors" },
	{ "help", 'h', NULL, NULL, "print this help and exit" },
	{ NULL, 0, NULL, NULL, NULL }
};

const struct catopt catopts_acl[] = {
	{ "channel", 'c', NULL, NULL, "lines start with Squid's channel id "
	  "(concurrency= above 0, as the bump snippet sets it)" },
	{ "db", 'd', "FILE", CATDB_PATH, "the database" },
	{ "help", 'h', NULL, NULL, "print this help and exit" },
	{ NULL, 0, NULL, NULL, NULL }
};

/*
 * getopt_long's tables from t: lo holds CATOPTS_MAX entries, so
 * 2 * CATOPTS_MAX characters. A table past CATOPTS_MAX is cut short
 * rather than overrun (the unit test sees that none is).
 */
void
catopts_getopt(const struct catopt *t, struct option *lo, char *so)
{
	size_t	i;

	for (i = 0; t[i].name != NULL && i < CATOPTS_MAX - 1; i++) {
		lo[i].name = t[i].name;
		lo[i].has_arg = t[i].arg != NULL ? required_argument :
		    no_argument;
		lo[i].flag = NULL;
		lo[i].val = t[i].shortopt;
		*so++ = (char)t[i].shortopt;
		if (t[i].arg != NULL)
			*so++ = ':';
	}
	memset(&lo[i], 0, sizeof lo[i]);
	*so = '\0';
}

/* The synopsis (lines, each ending in a newline), then every option. */
void
catopts_usage(FILE *f, const char *synopsis, const struct catopt *t)
{
	char	s[64];

	fputs(synopsis, f);
	for (; t->name != NULL; t++) {
		snprintf(s, sizeof s, "-%c, --%s%s%s", t->shortopt, t->name,
		    t->arg != NULL ? " " : "", t->arg != NULL ? t->arg : "");
		fprintf(f, "  %-22s %s", s, t->help);
		if (t->dflt != NULL)
			fprintf(f, " (default %s)", t->dflt);
		fputc('\n', f);
	}
}
