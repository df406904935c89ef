/* A growing byte buffer; see cbuf.h. */
#include "config.h"

#include <errno.h>
#include <stdarg.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "cbuf.h"

/*
 * Make b's capacity cap (more than it has). A new allocation, the old one
 * wiped: realloc would leave a copy of what b held in freed memory. 0 or
 * -1 (memory).
 */
static int
cbuf_grow(struct cbuf *b, size_t cap)
{
	char	*nd;

	if ((nd = malloc(cap)) == NULL)
		return -1;
	if (b->data != NULL) {
		memcpy(nd, b->data, b->len);
		explicit_bzero(b->data, b->cap);
		free(b->data);
	}
	b->data = nd;
	b->cap = cap;
	return 0;
}

/* Append n bytes to b, growing it. 0 or -1 (memory). */
int
cbuf_add(struct cbuf *b, const void *p, size_t n)
{
	size_t	 cap;

	if (n > b->cap - b->len) {
		cap = b->cap == 0 ? 8192 : b->cap;
		while (cap - b->len < n) {
			if (cap > SIZE_MAX / 2)
				return -1;
			cap *= 2;
		}
		if (cbuf_grow(b, cap) == -1)
			return -1;
	}
	if (n > 0)
		memcpy(b->data + b->len, p, n);
	b->len += n;
	return 0;
}

/* Append a formatted string (without its NUL). 0 or -1 (memory). */
int
cbuf_printf(struct cbuf *b, const char *fmt, ...)
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
		return cbuf_add(b, small, (size_t)n);
	if ((big = malloc((size_t)n + 1)) == NULL)
		return -1;
	va_start(ap, fmt);
	vsnprintf(big, (size_t)n + 1, fmt, ap);
	va_end(ap);
	rv = cbuf_add(b, big, (size_t)n);
	explicit_bzero(big, (size_t)n);
	free(big);
	return rv;
}

/*
 * Read what fd has into the end of b (again after a signal), growing b to
 * at most max bytes. Returns the bytes read, 0 at end of input, or -1 with
 * errno set: ENOBUFS when b already holds max bytes, ENOMEM.
 */
ssize_t
cbuf_read(struct cbuf *b, int fd, size_t max)
{
	size_t	 cap;
	ssize_t	 n;

	if (b->len == b->cap) {
		if (b->cap >= max) {
			errno = ENOBUFS;
			return -1;
		}
		cap = b->cap == 0 ? 65536 : b->cap * 2;
		if (cap > max)
			cap = max;
		if (cbuf_grow(b, cap) == -1) {
			errno = ENOMEM;
			return -1;
		}
	}
	do
		n = read(fd, b->data + b->len, b->cap - b->len);
	while (n == -1 && errno == EINTR);
	if (n > 0)
		b->len += (size_t)n;
	return n;
}

/* Drop the first n bytes of b (n <= b->len), wiping what moves. */
void
cbuf_drop(struct cbuf *b, size_t n)
{
	if (n == 0)
		return;
	memmove(b->data, b->data + n, b->len - n);
	explicit_bzero(b->data + b->len - n, n);
	b->len -= n;
}

/*
 * Write all of b to fd (again after a signal), then wipe and empty b. 0, or
 * -1 with errno set; b is left as it was on error.
 */
int
cbuf_write(struct cbuf *b, int fd)
{
	const char	*p = b->data;
	size_t		 n = b->len;
	ssize_t		 w;

	while (n > 0) {
		if ((w = write(fd, p, n)) == -1) {
			if (errno == EINTR)
				continue;
			return -1;
		}
		p += w;
		n -= (size_t)w;
	}
	if (b->len > 0)
		explicit_bzero(b->data, b->len);
	b->len = 0;
	return 0;
}

/* Wipe (certgen's replies hold leaf keys) and free. */
void
cbuf_free(struct cbuf *b)
{
	if (b->data != NULL)
		explicit_bzero(b->data, b->cap);
	free(b->data);
	memset(b, 0, sizeof *b);
}
