/* Tab-separated record fields; see tsv.h. */
#include "config.h"

#include <ctype.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cause.h"
#include "tsv.h"

/*
 * Split line (a trailing newline is ignored) into exactly want fields.
 * Returns 0, or -1 when the line has fewer or more fields.
 */
int
tsv_split(const char *line, size_t len, const char **f, size_t *fl,
    size_t want)
{
	size_t	i, start = 0, nf = 0;

	if (len > 0 && line[len - 1] == '\n')
		len--;
	for (i = 0; i <= len && nf < want; i++) {
		if (i == len || line[i] == '\t') {
			f[nf] = line + start;
			fl[nf++] = i - start;
			start = i + 1;
		}
	}
	return nf == want && start > len ? 0 : -1;
}

/* Copy a lowercase-hex field of 1 to max digits into dst; 0 or -1. */
int
tsv_hex(const char *s, size_t n, char *dst, size_t max)
{
	size_t	i;

	if (n == 0 || n > max)
		return -1;
	for (i = 0; i < n; i++) {
		if (!isxdigit((unsigned char)s[i]) ||
		    isupper((unsigned char)s[i]))
			return -1;
	}
	memcpy(dst, s, n);
	dst[n] = '\0';
	return 0;
}

/* Parse a decimal field of at least min into *out; 0 or -1. */
int
tsv_num(const char *s, size_t n, int64_t min, int64_t *out)
{
	char	 tmp[24], *end;

	if (n == 0 || n >= sizeof tmp)
		return -1;
	memcpy(tmp, s, n);
	tmp[n] = '\0';
	errno = 0;
	*out = strtoll(tmp, &end, 10);
	return errno != 0 || *end != '\0' || *out < min ? -1 : 0;
}

/*
 * Call cb for every non-empty line of path, in file order; a missing file
 * has no lines. With appending, a last line without its newline is a
 * record still being written and is left out. A malformed line stops with
 * -1 and a cause naming path and line number: a record must never be
 * silently dropped.
 */
int
tsv_foreach(const char *path, int appending, tsv_line_cb cb, void *arg,
    char **cause)
{
	FILE		*f;
	char		*line = NULL, *why = NULL;
	size_t		 cap = 0;
	ssize_t		 n;
	unsigned long	 lineno = 0;
	int		 rv = 0;

	if ((f = fopen(path, "re")) == NULL) {
		if (errno == ENOENT)
			return 0;
		cause_set(cause, "%s: %s", path, strerror(errno));
		return -1;
	}
	while ((n = getline(&line, &cap, f)) != -1) {
		lineno++;
		if (n == 0 || (n == 1 && line[0] == '\n'))
			continue;
		if (appending && line[n - 1] != '\n' && feof(f))
			break;
		if ((rv = cb(line, (size_t)n, arg, &why)) != 0) {
			if (rv == -1 && why != NULL)
				cause_set(cause, "%s:%lu: %s", path, lineno,
				    why);
			break;
		}
	}
	if (rv == 0 && ferror(f)) {
		cause_set(cause, "%s: %s", path, strerror(errno));
		rv = -1;
	}
	free(why);
	free(line);
	fclose(f);
	return rv;
}
