/*
 * The helpers' configuration files (certgen.conf, certverify.conf): one
 * option a line, its name, white space, then its value (none for a flag);
 * "#" starts a comment that runs to the end of the line.
 */
#ifndef SSLINSPECT_CONFFILE_H
#define SSLINSPECT_CONFFILE_H

#include "attrib.h"

/*
 * Called for each option line with its name and value ("" when there is
 * none): 0, or -1 with a cause, which conffile_read prefixes with the
 * file and line.
 */
typedef int (*conffile_cb)(void *, const char *, const char *, char **);

int	conffile_read(const char *, conffile_cb, void *, char **)
	    NONNULL(1, 2);
char   *conffile_trim(char *) NONNULL(1);

#endif
