/*
 * libFuzzer target for the MIME reader of mail messages (mime.c): the
 * input is a message, fed in chunks whose sizes come from its first
 * bytes. The sink checks that parts nest properly (begin, data, end) and
 * that no part gives out more bytes than the message had.
 */
#include "config.h"

#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "mime.h"

struct fuzz_sink {
	int	open;
	size_t	out;
	size_t	in;
};

static int
fuzz_begin(void *arg, const char *name, char **cause)
{
	struct fuzz_sink	*f = arg;

	if (f->open || strlen(name) == 0)
		abort();
	f->open = 1;
	return 0;
}

static int
fuzz_data(void *arg, const void *p, size_t n, char **cause)
{
	struct fuzz_sink	*f = arg;

	if (!f->open || n == 0)
		abort();
	f->out += n;
	if (f->out > f->in)
		abort();
	(void)((const unsigned char *)p)[n - 1];
	return 0;
}

static int
fuzz_end(void *arg, char **cause)
{
	struct fuzz_sink	*f = arg;

	if (!f->open)
		abort();
	f->open = 0;
	return 0;
}

int	LLVMFuzzerTestOneInput(const uint8_t *, size_t);

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct fuzz_sink	 f = { 0, 0, size };
	struct mime_sink	 sink = { fuzz_begin, fuzz_data, fuzz_end, &f };
	struct mime		*m;
	char			*cause = NULL;
	size_t			 off = 0, n, k = 0;

	if ((m = mime_new(&sink)) == NULL)
		abort();
	while (off < size) {
		n = 1 + (size > 8 ? data[k++ % 8] * 7 : 0);
		if (n > size - off)
			n = size - off;
		if (mime_feed(m, data + off, n, &cause) != 0)
			abort();
		off += n;
	}
	if (mime_end(m, &cause) != 0 || f.open)
		abort();
	mime_free(m);
	return 0;
}
