/*
 * libFuzzer target for the text the engines extract and the number runs
 * DLP reads: the first byte picks XML text (libxml2 through text_xml.c),
 * UTF-16 in one of its three modes (text_utf16.c), or a run of digits
 * and separators split into groups and searched for cards and SSNs
 * (dlp_card.c). The rest is the input, fed in pieces.
 */
#include "config.h"

#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "dlp.h"
#include "text.h"

static size_t	fuzz_out;

static int
fuzz_sink(void *arg, const char *p, size_t n)
{
	fuzz_out += n;
	if (n > 0)
		(void)p[n - 1];
	return 0;
}

static void
fuzz_run(const uint8_t *data, size_t size)
{
	struct dlp_run		r;
	struct dlp_card		c[16];
	struct dlp_ssn_hit	h[8];
	size_t			n, i;

	if (size > 256)
		size = 256;
	dlp_run_split(data, size, size > 0 && data[0] & 1, -1, &r);
	if (r.ngroups > DLP_RUN_GROUPS || r.ndigits > sizeof r.digits)
		abort();
	for (i = 0; i < r.ngroups; i++) {
		if (r.groups[i].end > size ||
		    r.groups[i].off >= r.groups[i].end)
			abort();
	}
	n = dlp_card_find(&r, c, 16);
	for (i = 0; i < n; i++) {
		if (c[i].ndigits < 13 || c[i].ndigits > DLP_CARD_DIGITS_MAX ||
		    strlen(c[i].digits) != c[i].ndigits)
			abort();
	}
	dlp_run_ssns(&r, h, 8);
}

int	LLVMFuzzerTestOneInput(const uint8_t *, size_t);

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct text_xml		*x;
	struct text_utf16	 u;
	size_t			 off;

	if (size < 1)
		return 0;
	fuzz_out = 0;
	switch (data[0] % 5) {
	case 0:
		if ((x = text_xml_new(fuzz_sink, NULL)) == NULL)
			abort();
		for (off = 1; off < size; off += 97)
			if (text_xml_feed(x, data + off, size - off < 97 ?
			    size - off : 97) != 0)
				break;
		text_xml_end(x);
		text_xml_free(x);
		break;
	case 1:
	case 2:
	case 3:
		text_utf16_init(&u, (enum text_utf16_mode)(data[0] % 5));
		for (off = 1; off < size; off += 13)
			text_utf16_feed(&u, data + off, size - off < 13 ?
			    size - off : 13, fuzz_sink, NULL);
		text_utf16_end(&u, fuzz_sink, NULL);
		if (fuzz_out > 2 * size + 8)
			abort();
		break;
	default:
		fuzz_run(data + 1, size - 1);
		break;
	}
	return 0;
}
