/*
 * libFuzzer target: the Content-Encoding decoders (decode.c). The first
 * byte picks the coding chain (ambiguous and unsupported lists too), the
 * rest is the body, fed in pieces whose sizes come from the data too.
 * Every input must end in a status, within the limits.
 */
#include "config.h"

#include <stdint.h>
#include <string.h>

#include "svc.h"

int LLVMFuzzerTestOneInput(const uint8_t *, size_t);

static int
sink(void *arg, const void *buf, size_t len)
{
	uint64_t	*total = arg;

	*total += len;
	return 0;
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static const char *const chains[] = { "gzip", "deflate", "br", "zstd",
	    "gzip, br", "br, zstd", "zstd, gzip, deflate", "identity", "x-gzip",
	    "gzip,gzip,gzip,gzip", "gzip, identity", "none, br",
	    "compress, gzip",
	    "UTF-8", "gzip, zstd", "identity, br" };
	struct svc_limits lim = { 1 << 20, 4 << 20, 50, 3, 100, 4096, 5 };
	struct decode_chain *d;
	uint64_t total = 0;
	size_t off, n, step;

	if (size < 2)
		return 0;
	d = decode_new(chains[data[0] % (sizeof chains / sizeof chains[0])],
	    &lim,
	    sink, &total);
	if (d == NULL)
		return 0;
	step = 1 + data[1] * 16;
	for (off = 2; off < size; off += n) {
		n = size - off < step ? size - off : step;
		if (decode_feed(d, data + off, n) != DECODE_OK)
			break;
	}
	decode_finish(d);
	if (decode_out_bytes(d) > lim.max_decoded + 65536)
		__builtin_trap();
	decode_free(d);
	return 0;
}
