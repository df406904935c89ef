/* The issued-certificate record file; format in issued.h. */
#include "config.h"

#include <ctype.h>
#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "cause.h"
#include "issued.h"
#include "tsv.h"

/*
 * Render rec as one line with its newline into buf. Returns the length, or
 * -1 when a field would break the format or buf is too small.
 */
int
issued_format(const struct issued_rec *rec, char *buf, size_t len)
{
	int	n;

	if (strpbrk(rec->host, "\t\r\n") != NULL || rec->host[0] == '\0' ||
	    rec->serial[0] == '\0')
		return -1;
	n = snprintf(buf, len, "v1\t%" PRId64 "\t%s\t%s\t%" PRId64 "\t%"
	    PRId64 "\t%s\n", rec->issued, rec->serial, rec->issuer_keyid,
	    rec->not_before, rec->not_after, rec->host);
	if (n < 0 || (size_t)n >= len)
		return -1;
	return n;
}

/*
 * Parse one line (without or with its trailing newline) into rec. Returns 0,
 * or -1 with a cause naming the bad field.
 */
int
issued_parse(const char *line, size_t len, struct issued_rec *rec,
    char **cause)
{
	static const char	*names[] = { "version", "issued time", "serial",
				    "issuer key id", "not-before", "not-after",
				    "host" };
	const char		*f[7];
	size_t			 fl[7], i;
	int			 bad;

	memset(rec, 0, sizeof *rec);
	if (tsv_split(line, len, f, fl, 7) == -1) {
		cause_set(cause, "expected 7 tab-separated fields");
		return -1;
	}
	for (i = 0; i < 7; i++) {
		switch (i) {
		case 0:
			bad = fl[0] != 2 || memcmp(f[0], "v1", 2) != 0;
			break;
		case 1:
			bad = tsv_num(f[1], fl[1], 0, &rec->issued);
			break;
		case 2:
			bad = tsv_hex(f[2], fl[2], rec->serial,
			    ISSUED_SERIAL_MAX);
			break;
		case 3:
			bad = tsv_hex(f[3], fl[3], rec->issuer_keyid,
			    ISSUED_KEYID_MAX);
			break;
		case 4:
			bad = tsv_num(f[4], fl[4], 0, &rec->not_before);
			break;
		case 5:
			bad = tsv_num(f[5], fl[5], 0, &rec->not_after);
			break;
		default:
			bad = fl[6] == 0 || fl[6] > ISSUED_HOST_MAX ||
			    memchr(f[6], '\r', fl[6]) != NULL;
			if (!bad) {
				memcpy(rec->host, f[6], fl[6]);
				rec->host[fl[6]] = '\0';
			}
			break;
		}
		if (bad) {
			cause_set(cause, "bad %s field", names[i]);
			return -1;
		}
	}
	return 0;
}

/*
 * Open (creating, mode 0640) the record file for appending. Returns the fd,
 * or -1 with a cause.
 */
int
issued_open(const char *path, char **cause)
{
	int	fd;

	fd = open(path, O_WRONLY | O_APPEND | O_CREAT | O_CLOEXEC, 0640);
	if (fd == -1)
		cause_set(cause, "%s: %s", path, strerror(errno));
	return fd;
}

/*
 * Append one record with a single write(2): O_APPEND makes each line land
 * whole even when several helper processes append at once.
 */
int
issued_write(int fd, const struct issued_rec *rec, char **cause)
{
	char	buf[ISSUED_LINE_MAX];
	int	n;
	ssize_t	w;

	n = issued_format(rec, buf, sizeof buf);
	if (n == -1) {
		cause_set(cause, "record for %s cannot be formatted",
		    rec->host);
		return -1;
	}
	w = write(fd, buf, (size_t)n);
	if (w != n) {
		cause_set(cause, "issued record write: %s",
		    w == -1 ? strerror(errno) : "short write");
		return -1;
	}
	return 0;
}

struct issued_walk {
	issued_cb	 cb;
	void		*arg;
};

static int
issued_line(const char *line, size_t len, void *arg, char **why)
{
	struct issued_walk	*w = arg;
	struct issued_rec	 rec;

	if (issued_parse(line, len, &rec, why) == -1)
		return -1;
	return w->cb(&rec, w->arg);
}

/*
 * Call cb for every well-formed line of path, in file order; a cb return
 * other than 0 stops the walk and is returned. A malformed line stops with
 * -1 and a cause naming path and line number, since revocation must not
 * silently miss certificates. A missing file is an empty record; a last
 * line still being appended is left out.
 */
int
issued_foreach(const char *path, issued_cb cb, void *arg, char **cause)
{
	struct issued_walk	w = { cb, arg };

	return tsv_foreach(path, 1, issued_line, &w, cause);
}
