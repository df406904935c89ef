/*
 * Generated parts of the man pages. A page marks each part it takes from
 * a table (options, settings, policy keys, file types) with
 *
 *	.\" BEGIN GENERATED name (tests/unit/test_X.c; make update-man)
 *	...
 *	.\" END GENERATED name
 *
 * and the unit test of that table renders the part again and compares:
 * a table that changes without its page fails make check. "make
 * update-man" runs the same tests with SSLINSPECT_UPDATE_MAN=1, which
 * rewrites the parts in the source tree instead.
 *
 * Paths in defaults are shown as the Debian package installs them, not as
 * this build was configured (MAN_LOCALSTATEDIR, MAN_SYSCONFDIR given by
 * the Makefile), so the pages do not depend on ./configure flags.
 */
#ifndef SSLINSPECT_MANPAGE_H
#define SSLINSPECT_MANPAGE_H

#include <check.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* A growing string; the test aborts when memory runs out. */
struct manbuf {
	char	*s;
	size_t	 len;
};

static inline void __attribute__((format(printf, 2, 3)))
man_add(struct manbuf *b, const char *fmt, ...)
{
	va_list	 ap;
	char	*piece;
	int	 n;

	va_start(ap, fmt);
	n = vasprintf(&piece, fmt, ap);
	va_end(ap);
	ck_assert_int_ge(n, 0);
	b->s = realloc(b->s, b->len + (size_t)n + 1);
	ck_assert_ptr_nonnull(b->s);
	memcpy(b->s + b->len, piece, (size_t)n + 1);
	b->len += (size_t)n;
	free(piece);
}

/*
 * Text for roff: backslashes doubled, "-" as \-, a leading "." or "'" guarded.
 */
static inline void
man_text(struct manbuf *b, const char *s)
{
	if (*s == '.' || *s == '\'')
		man_add(b, "\\&");
	for (; *s != '\0'; s++) {
		if (*s == '\\')
			man_add(b, "\\e");
		else if (*s == '-')
			man_add(b, "\\-");
		else
			man_add(b, "%c", *s);
	}
}

/* A default as the package installs it (see the top of this file). */
static inline const char *
man_path(const char *v, char *buf, size_t len)
{
#if defined(MAN_LOCALSTATEDIR) && defined(MAN_SYSCONFDIR)
	size_t	l;

	l = strlen(MAN_LOCALSTATEDIR);
	if (strncmp(v, MAN_LOCALSTATEDIR "/", l + 1) == 0) {
		snprintf(buf, len, "/var%s", v + l);
		return buf;
	}
	l = strlen(MAN_SYSCONFDIR);
	if (strncmp(v, MAN_SYSCONFDIR "/", l + 1) == 0) {
		snprintf(buf, len, "/etc%s", v + l);
		return buf;
	}
#endif
	(void)buf;
	(void)len;
	return v;
}

static inline char *
man_slurp(const char *path)
{
	FILE	*f;
	char	*buf;
	long	 n;

	if ((f = fopen(path, "r")) == NULL)
		return NULL;
	fseek(f, 0, SEEK_END);
	n = ftell(f);
	rewind(f);
	buf = malloc((size_t)n + 1);
	ck_assert_ptr_nonnull(buf);
	ck_assert_int_eq(fread(buf, 1, (size_t)n, f), n);
	buf[n] = '\0';
	fclose(f);
	return buf;
}

/*
 * Compare the part NAME of the page REL (relative to top_srcdir) with
 * WANT, or with SSLINSPECT_UPDATE_MAN set, write WANT into the page.
 */
static inline void
man_check(const char *rel, const char *name, const char *want)
{
	const char	*top = getenv("top_srcdir");
	char		 path[4096], begin[128], end[128], *page, *b, *e, *body;
	FILE		*f;

	snprintf(path, sizeof path, "%s/%s", top != NULL ? top : "..", rel);
	page = man_slurp(path);
	ck_assert_msg(page != NULL, "cannot read %s", path);
	snprintf(begin, sizeof begin, ".\\\" BEGIN GENERATED %s ", name);
	snprintf(end, sizeof end, ".\\\" END GENERATED %s\n", name);
	b = strstr(page, begin);
	ck_assert_msg(b != NULL, "%s: no \"%s\" line", rel, begin);
	body = strchr(b, '\n');
	ck_assert_ptr_nonnull(body);
	body++;
	e = strstr(body, end);
	ck_assert_msg(e != NULL, "%s: no \"%s\" line", rel, end);
	if (getenv("SSLINSPECT_UPDATE_MAN") != NULL &&
	    ((size_t)(e - body) != strlen(want) ||
	    strncmp(body, want, strlen(want)) != 0)) {
		f = fopen(path, "w");
		ck_assert_msg(f != NULL, "cannot write %s", path);
		fwrite(page, 1, (size_t)(body - page), f);
		fputs(want, f);
		fputs(e, f);
		ck_assert_int_eq(fclose(f), 0);
		fprintf(stderr, "%s: part %s rewritten\n", rel, name);
	} else
		ck_assert_msg((size_t)(e - body) == strlen(want) &&
		    strncmp(body, want, strlen(want)) == 0,
		    "%s: the part \"%s\" differs from its table; run "
		    "\"make update-man\" and review the diff. It should "
		    "read:\n%s",
		    rel, name, want);
	free(page);
}

#endif
