/*
 * The revocation record (DIR/revoked.tsv): formatting, parsing and reading.
 * The format is described in revoked.h.
 */
#include "config.h"

#include <errno.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cause.h"
#include "revoked.h"
#include "tsv.h"

/* One record as a line with its newline; the length or -1. */
int
revoked_format(const struct revoked_rec *r, char *buf, size_t len)
{
	int	n;

	if (r->serial[0] == '\0' || r->issuer_keyid[0] == '\0' ||
	    strpbrk(r->label, "\t\r\n") != NULL)
		return -1;
	n = snprintf(buf, len, "v1\t%" PRId64 "\t%s\t%s\t%d\t%" PRId64 "\t%s\n",
	    r->revoked, r->issuer_keyid, r->serial, r->reason, r->not_after,
	    r->label[0] != '\0' ? r->label : "-");
	if (n < 0 || (size_t)n >= len)
		return -1;
	return n;
}

/* Parse one line into r; 0, or -1 with a cause naming the field. */
int
revoked_parse(const char *line, size_t len, struct revoked_rec *r,
    char **cause)
{
	const char	*f[7];
	size_t		 fl[7];
	int64_t		 reason;

	memset(r, 0, sizeof *r);
	if (tsv_split(line, len, f, fl, 7) == -1 || fl[0] != 2 ||
	    memcmp(f[0], "v1", 2)) {
		cause_set(cause, "expected v1 and 7 tab-separated fields");
		return -1;
	}
	if (tsv_num(f[1], fl[1], 0, &r->revoked) == -1 ||
	    tsv_hex(f[2], fl[2], r->issuer_keyid, REVOKED_KEYID_MAX) == -1 ||
	    tsv_hex(f[3], fl[3], r->serial, REVOKED_SERIAL_MAX) == -1 ||
	    tsv_num(f[4], fl[4], -1, &reason) == -1 || reason > 10 ||
	    tsv_num(f[5], fl[5], 0, &r->not_after) == -1 ||
	    fl[6] == 0 || fl[6] >= sizeof r->label) {
		cause_set(cause, "bad field");
		return -1;
	}
	r->reason = (int)reason;
	memcpy(r->label, f[6], fl[6]);
	r->label[fl[6]] = '\0';
	return 0;
}

struct revoked_walk {
	revoked_cb	 cb;
	void		*arg;
};

static int
revoked_line(const char *line, size_t len, void *arg, char **why)
{
	struct revoked_walk	*w = arg;
	struct revoked_rec	 r;

	if (revoked_parse(line, len, &r, why) == -1)
		return -1;
	return w->cb(&r, w->arg);
}

/*
 * Call cb for every record of path in order (a missing file is empty); a
 * malformed line stops with -1 naming the file and line, since a CRL must
 * never silently drop a revocation.
 */
int
revoked_foreach(const char *path, revoked_cb cb, void *arg, char **cause)
{
	struct revoked_walk	w = { cb, arg };

	return tsv_foreach(path, 0, revoked_line, &w, cause);
}
