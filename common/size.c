/* The one size parser; see size.h. */
#include "config.h"

#include <ctype.h>
#include <stddef.h>
#include <stdint.h>

#include "size.h"

/*
 * Parse decimal digits, an optional binary unit K, M or G and an optional
 * B, in any case ("123", "4K", "64M", "4MB", "5B"), into bytes. Nothing
 * else is a size: no sign, no space, no fraction, no hex, so that "+5",
 * " 5" or "5 " are refused everywhere alike. Returns 0, or -1 when s is no
 * size or the value does not fit in 64 bits; *out is set only on success.
 */
int
size_parse(const char *s, uint64_t *out)
{
	uint64_t	v = 0, mult = 1, d;

	if (s == NULL || !isdigit((unsigned char)*s))
		return -1;
	for (; isdigit((unsigned char)*s); s++) {
		d = (uint64_t)(*s - '0');
		if (v > (UINT64_MAX - d) / 10)
			return -1;
		v = v * 10 + d;
	}
	switch (*s) {
	case 'k':
	case 'K':
		mult = (uint64_t)1 << 10;
		s++;
		break;
	case 'm':
	case 'M':
		mult = (uint64_t)1 << 20;
		s++;
		break;
	case 'g':
	case 'G':
		mult = (uint64_t)1 << 30;
		s++;
		break;
	}
	if (*s == 'b' || *s == 'B')
		s++;
	if (*s != '\0' || v > UINT64_MAX / mult)
		return -1;
	*out = v * mult;
	return 0;
}
