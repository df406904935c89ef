/*
 * A growing byte buffer for replies, and the log lines that go to stderr
 * (Squid copies a helper's stderr into cache.log). Never log a request
 * body here.
 */
#include "config.h"

#include <stdarg.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "certverify.h"

int	cv_log_debug;

/* Append n bytes; 0 or -1 (memory). */
int
cv_buf_add(struct cv_buf *b, const void *p, size_t n)
{
	size_t	 cap;
	char	*d;

	if (n > b->cap - b->len) {
		cap = b->cap == 0 ? 4096 : b->cap;
		while (cap - b->len < n) {
			if (cap > SIZE_MAX / 2)
				return -1;
			cap *= 2;
		}
		if ((d = realloc(b->data, cap)) == NULL)
			return -1;
		b->data = d;
		b->cap = cap;
	}
	if (n > 0)
		memcpy(b->data + b->len, p, n);
	b->len += n;
	return 0;
}

int
cv_buf_printf(struct cv_buf *b, const char *fmt, ...)
{
	va_list	 ap;
	char	 small[512], *big;
	int	 n, rv;

	va_start(ap, fmt);
	n = vsnprintf(small, sizeof small, fmt, ap);
	va_end(ap);
	if (n < 0)
		return -1;
	if ((size_t)n < sizeof small)
		return cv_buf_add(b, small, (size_t)n);
	if ((big = malloc((size_t)n + 1)) == NULL)
		return -1;
	va_start(ap, fmt);
	vsnprintf(big, (size_t)n + 1, fmt, ap);
	va_end(ap);
	rv = cv_buf_add(b, big, (size_t)n);
	free(big);
	return rv;
}

void
cv_buf_free(struct cv_buf *b)
{
	free(b->data);
	b->data = NULL;
	b->len = b->cap = 0;
}

static void
cv_log_line(const char *level, const char *fmt, va_list ap)
{
	char	buf[1024];

	vsnprintf(buf, sizeof buf, fmt, ap);
	fprintf(stderr, "sslinspect-certverify[%ld]: %s%s\n", (long)getpid(),
	    level, buf);
}

void
cv_log_warnx(const char *fmt, ...)
{
	va_list	ap;

	va_start(ap, fmt);
	cv_log_line("WARNING: ", fmt, ap);
	va_end(ap);
}

void
cv_log_info(const char *fmt, ...)
{
	va_list	ap;

	va_start(ap, fmt);
	cv_log_line("", fmt, ap);
	va_end(ap);
}

void
cv_log_debugx(const char *fmt, ...)
{
	va_list	ap;

	if (!cv_log_debug)
		return;
	va_start(ap, fmt);
	cv_log_line("debug: ", fmt, ap);
	va_end(ap);
}
