/* Reading a whole file; see slurp.h. */
#include "config.h"

#include <sys/stat.h>

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cause.h"
#include "slurp.h"

/* Room for at least one more byte than *cap holds, up to max + 1. */
static int
slurp_grow(char **buf, size_t *cap, size_t max)
{
	size_t	 ncap = *cap < 4096 ? 4096 : *cap * 2;
	char	*nb;

	if (ncap > max + 1)
		ncap = max + 1;
	if ((nb = realloc(*buf, ncap + 1)) == NULL)
		return -1;
	*buf = nb;
	*cap = ncap;
	return 0;
}

/*
 * Read PATH whole, at most max bytes, NUL-terminated; *len is its length.
 * The first buffer is the file's size (plus one byte, to see it end), so a
 * regular file is read into one allocation of its own size. Returns NULL
 * with *cause naming the file when it cannot be read or is larger.
 */
char *
slurp_file(const char *path, size_t max, size_t *len, char **cause)
{
	FILE		*f;
	struct stat	 st;
	char		*buf = NULL;
	const char	*why = NULL;
	size_t		 cap = 0, got = 0, n;

	if ((f = fopen(path, "r")) == NULL) {
		cause_set(cause, "%s: %s", path, strerror(errno));
		return NULL;
	}
	if (fstat(fileno(f), &st) == 0 && S_ISREG(st.st_mode))
		cap = (size_t)st.st_size < max ? (size_t)st.st_size + 1 :
		    max + 1;
	if (cap > 0 && (buf = malloc(cap + 1)) == NULL)
		why = "out of memory";
	while (why == NULL) {
		if (got == cap) {
			if (cap == max + 1) {
				why = "too large";
				break;
			}
			if (slurp_grow(&buf, &cap, max) != 0) {
				why = "out of memory";
				break;
			}
		}
		if ((n = fread(buf + got, 1, cap - got, f)) == 0)
			break;
		got += n;
	}
	if (why == NULL && ferror(f))
		why = "read error";
	fclose(f);
	if (why != NULL) {
		cause_set(cause, "%s: %s", path, why);
		free(buf);
		return NULL;
	}
	buf[got] = '\0';
	*len = got;
	return buf;
}
