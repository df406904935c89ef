/* Certificate serial numbers; see serial.h. */
#include "config.h"

#include <sys/random.h>

#include <ctype.h>
#include <string.h>

#include "serial.h"

/*
 * Fill b (len bytes, at least 1) with a new serial in big-endian order
 * from the kernel's CSPRNG: positive (top bit clear) and with the next
 * bit set, so it always takes len bytes and 2 * len hex digits without a
 * leading zero. CA/Browser Forum rules ask for 64 random bits or more.
 * Returns 0, or -1 when no randomness is to be had.
 */
int
serial_new(unsigned char *b, size_t len)
{
	size_t	got = 0;
	ssize_t	n;

	if (len == 0)
		return -1;
	while (got < len) {
		if ((n = getrandom(b + got, len - got, 0)) <= 0)
			return -1;
		got += (size_t)n;
	}
	b[0] = (unsigned char)((b[0] & 0x3f) | 0x40);
	return 0;
}

/*
 * Write the serial whose magnitude is the big-endian bytes b (len bytes,
 * leading zero bytes allowed, as DER has them) into hex (size bytes) in
 * the one spelling. Returns 0, or -1 when it does not fit.
 */
int
serial_hex(const unsigned char *b, size_t len, char *hex, size_t size)
{
	static const char	digits[] = "0123456789abcdef";
	size_t			i, o = 0;

	while (len > 0 && b[0] == 0) {
		b++;
		len--;
	}
	if (len == 0) {
		if (size < 2)
			return -1;
		memcpy(hex, "0", 2);
		return 0;
	}
	if (size < len * 2 + 1 - (b[0] < 0x10))
		return -1;
	for (i = 0; i < len; i++) {
		if (i > 0 || b[0] >= 0x10)
			hex[o++] = digits[b[i] >> 4];
		hex[o++] = digits[b[i] & 0x0f];
	}
	hex[o] = '\0';
	return 0;
}

/*
 * Bring a serial as a person or a tool writes it ("0x00AB:cd", "00ab",
 * "AB") into the one spelling, in buf (size bytes). Returns 0, or -1 when
 * it is not hex (or empty) or does not fit.
 */
int
serial_norm(const char *in, char *buf, size_t size)
{
	size_t	o = 0;
	int	digits = 0;

	if (in[0] == '0' && (in[1] == 'x' || in[1] == 'X'))
		in += 2;
	for (; *in != '\0'; in++) {
		if (*in == ':')
			continue;
		if (!isxdigit((unsigned char)*in))
			return -1;
		digits = 1;
		if (o == 0 && *in == '0')
			continue;
		if (o + 1 >= size)
			return -1;
		buf[o++] = (char)tolower((unsigned char)*in);
	}
	if (!digits)
		return -1;
	if (o == 0) {
		if (size < 2)
			return -1;
		buf[o++] = '0';
	}
	buf[o] = '\0';
	return 0;
}
