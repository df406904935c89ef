/*
 * libFuzzer target: the multipart/form-data parser (multipart.c), nested
 * parts and transfer encodings included, and the urlencoded/JSON
 * normalisers (form.c). The first byte chooses the feed size; the body
 * uses boundary "b". Seeds: tests/fuzz/corpus/multipart/.
 */
#include "config.h"

#include <stdint.h>
#include <string.h>

#include "svc.h"

int LLVMFuzzerTestOneInput(const uint8_t *, size_t);

struct counts {
	unsigned open;
	size_t	 bytes;
};

static int
pbegin(void *arg, const struct mp_part *p)
{
	struct counts *c = arg;

	if (c->open || strlen(p->name) >= sizeof p->name)
		__builtin_trap();
	c->open = 1;
	return 0;
}

static int
pdata(void *arg, const void *buf, size_t len)
{
	struct counts *c = arg;

	if (!c->open)
		__builtin_trap();
	c->bytes += len;
	return 0;
}

static int
pend(void *arg)
{
	struct counts *c = arg;

	if (!c->open)
		__builtin_trap();
	c->open = 0;
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
	static const struct mp_callbacks cb = { pbegin, pdata, pend };
	struct svc_limits lim = { 1 << 20, 4 << 20, 50, 3, 64, 2048, 5 };
	struct counts c = { 0, 0 };
	struct multipart *m;
	enum mp_status st = MP_OK;
	struct form *f;
	size_t off, n, step;
	char b[80];

	if (size < 1)
		return 0;
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
	f = form_new(data[0] & 1 ? FORM_JSON : FORM_URLENCODED, fsink, NULL);
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
