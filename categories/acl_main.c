/*
 * sslinspect-category-acl: Squid's external_acl_type helper that answers
 * splice decisions by category from the compiled database (catacl.c says
 * what it answers). It follows the database file: a new set installed by
 * sslinspect-lists is used within a second, with no reconfigure of Squid.
 * It never exits on a missing or damaged database (Squid would stop after
 * a few helper deaths); it answers ERR and says why on stderr, which Squid
 * writes to cache.log.
 *
 *	sslinspect-category-acl [-c] [-d DB]
 *
 * The options are catopts_acl (catopts.c), which --help and the man page
 * follow.
 */
#include "config.h"

#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "categories.h"

static void
acl_main_usage(FILE *f)
{
	catopts_usage(f, "usage: sslinspect-category-acl [options]\n"
	    "Squid external_acl_type helper: splice decisions by category.\n",
	    catopts_acl);
}

int
main(int argc, char **argv)
{
	struct option	 lo[CATOPTS_MAX];
	struct catwatch	*w;
	struct catdb	*db;
	char		*line = NULL, out[CAT_MAXVALUE + 256], *cause;
	char		 so[2 * CATOPTS_MAX];
	const char	*path = CATDB_PATH;
	size_t		 cap = 0;
	ssize_t		 n;
	bool		 channel = false;
	int		 c;

	catopts_getopt(catopts_acl, lo, so);
	while ((c = getopt_long(argc, argv, so, lo, NULL)) != -1) {
		switch (c) {
		case 'c':
			channel = true;
			break;
		case 'd':
			path = optarg;
			break;
		case 'h':
			/* Asked for: on stdout, and not an error. */
			acl_main_usage(stdout);
			return 0;
		default:
			acl_main_usage(stderr);
			return 2;
		}
	}
	if ((w = catwatch_new(path)) == NULL) {
		fprintf(stderr, "sslinspect-category-acl: out of memory\n");
		return 1;
	}
	setvbuf(stdout, NULL, _IOLBF, 0);
	while ((n = getline(&line, &cap, stdin)) != -1) {
		while (n > 0 && (line[n - 1] == '\n' || line[n - 1] == '\r'))
			line[--n] = '\0';
		db = catwatch_get(w);
		if ((cause = catwatch_cause(w)) != NULL) {
			fprintf(stderr, "sslinspect-category-acl: %s%s\n",
			    cause,
			    db ? " (still using the database open before)" :
			    " (nothing is spliced by category)");
			free(cause);
		}
		if (catacl_answer(db, channel, line, out, sizeof out) != 0)
			snprintf(out, sizeof out, "%s%sBH message=\"answer too "
			    "long\"\n", channel ? line : "",
			    channel ? " " : "");
		catwatch_put(w, db);
		fputs(out, stdout);
	}
	free(line);
	catwatch_free(w);
	return 0;
}
