/*
 * libFuzzer target: the multipart/form-data parser (multipart.c), nested
 * parts, transfer encodings and raw views included, and the form, JSON,
 * text and values normalisers (form.c). The first byte chooses the feed size;
 * the body uses boundary "b". Seeds: tests/fuzz/corpus/multipart/.
 */
#include "config.h"

#include <stdint.h>
#include <string.h>

#include "svc.h"

int LLVMFuzzerTestOneInput(const uint8_t *, size_t);

struct counts {
	unsigned open;
	size_t	 bytes;
	int	 handles[64];	/* 1: open, 2: open, takes raw bytes */
};

static void *
pbegin(void *arg, const struct mp_part *p)
{
	struct counts	*c = arg;
	unsigned	 i;

	if (strlen(p->name) >= sizeof p->name || c->open >= 64)
		__builtin_trap();
	for (i = 0; i < 64 && c->handles[i] != 0; i++)
		;
	c->handles[i] = p->cte != MP_CTE_NONE || p->nested ? 2 : 1;
	c->open++;
	return &c->handles[i];
}

static int
pdata(void *arg, void *h, const void *buf, size_t len)
{
	struct counts	*c = arg;
	int		*slot = h;

	if (*slot == 0)
		__builtin_trap();
	c->bytes += len;
	return 0;
}

static int
praw(void *arg, void *h, const void *buf, size_t len)
{
	int	*slot = h;

	/* Raw bytes only for a labelled or nested part. */
	if (*slot != 2)
		__builtin_trap();
	return 0;
}

static int
pend(void *arg, void *h)
{
	struct counts	*c = arg;
	int		*slot = h;

	if (*slot == 0 || c->open == 0)
		__builtin_trap();
	*slot = 0;
	c->open--;
	return 0;
}

static int
phead(void *arg, const void *buf, size_t len)
{
	return 0;
}

static int
fsink(void *arg, const void *buf, size_t len)
{
	return 0;
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static const struct mp_callbacks	 cb = { pbegin, pdata, praw,
	    pend, phead };
	struct svc_limits			 lim = { 1 << 20, 4 << 20, 50,
	    3, 64, 2048, 5 };
	static struct counts			 c;
	struct multipart			*m;
	enum mp_status				 st = MP_OK;
	struct form				*f;
	size_t					 off, n, step;
	char					 b[80];

	if (size < 1)
		return 0;
	memset(&c, 0, sizeof c);
	step = 1 + data[0];
	if ((m = multipart_new("b", &lim, &cb, &c)) == NULL)
		return 0;
	for (off = 1; off < size; off += n) {
		n = size - off < step ? size - off : step;
		if ((st = multipart_feed(m, data + off, n)) != MP_OK)
			break;
	}
	if (st == MP_OK)
		st = multipart_finish(m);
	/* Every stop has a reason; a clean finish leaves no part open. */
	if ((st != MP_OK) != (multipart_error(m)[0] != '\0'))
		__builtin_trap();
	if (st == MP_OK && c.open)
		__builtin_trap();
	if (multipart_parts(m) > lim.max_parts + 1)
		__builtin_trap();
	multipart_free(m);
	/* Decoding never makes content longer than its input. */
	if (c.bytes > size)
		__builtin_trap();
	f = form_new((enum form_kind)(data[0] % 5), fsink, NULL);
	form_feed(f, data + 1, size - 1);
	form_finish(f);
	form_free(f);
	if (size < 200) {
		char ct[256];

		memcpy(ct, "multipart/form-data; ", 21);
		memcpy(ct + 21, data, size);
		ct[21 + size] = '\0';
		multipart_boundary(ct, b, sizeof b);
	}
	return 0;
}
