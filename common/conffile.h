/*
 * The helpers' configuration files (certgen.conf, certverify.conf): one
 * option a line, its name, white space, then its value (none for a flag);
 * "#" starts a comment that runs to the end of the line. c-icap's files,
 * which the eCAP front end reads too (CONFFILE_CICAP), have comments only
 * on lines of their own: there a "#" inside a value (a URL's fragment) is
 * the value's, as c-icap reads it.
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

#define CONFFILE_CICAP	0x1	/* "#" starts a comment line only */

int	conffile_read(const char *, int, conffile_cb, void *, char **)
	    NONNULL(1, 3);
char   *conffile_trim(char *) NONNULL(1);

#endif
