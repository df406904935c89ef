/*
 * Host names and IP literals as they may appear in a minted certificate:
 * every host Squid sends and every name taken from an origin certificate
 * passes through here before it reaches a subject or a SAN.
 */
#include "config.h"

#include <arpa/inet.h>
#include <ctype.h>
#include <string.h>

#include "certgen.h"

/* Is c allowed inside a DNS label? Letters, digits, hyphen, underscore. */
static int
hostname_label_char(unsigned char c)
{
	return isascii(c) && (isalnum(c) || c == '-' || c == '_');
}

/*
 * Check one DNS name of n bytes: labels of 1..63 allowed bytes, no label
 * starting or ending with a hyphen, at most 253 bytes, a single trailing dot
 * tolerated. With wildcard, a leftmost label of exactly "*" is allowed when
 * at least two labels follow. Returns 1 if valid.
 */
static int
hostname_dns(const char *s, size_t n, int wildcard)
{
	size_t	i, start = 0;
	int	labels = 0, need = 1;

	if (n > 0 && s[n - 1] == '.')
		n--;
	if (n == 0 || n > CERTGEN_HOST_MAX)
		return 0;
	if (wildcard && n > 2 && s[0] == '*' && s[1] == '.') {
		start = 2;
		need = 2;
	}
	for (i = start; i <= n; i++) {
		if (i < n && s[i] != '.') {
			if (!hostname_label_char((unsigned char)s[i]))
				return 0;
			continue;
		}
		if (i == start || i - start > 63)
			return 0;
		if (s[start] == '-' || s[i - 1] == '-')
			return 0;
		labels++;
		start = i + 1;
	}
	return labels >= need;
}

/* Copy n bytes into a NUL-terminated scratch buffer; 0 if too long. */
static int
hostname_copy(const char *s, size_t n, char *dst, size_t size)
{
	if (n >= size)
		return 0;
	memcpy(dst, s, n);
	dst[n] = '\0';
	return 1;
}

/*
 * Classify the n bytes at s as a DNS name, IPv4 or IPv6 literal (IPv6 with
 * or without brackets). wildcard permits a "*." leftmost label.
 */
enum hostname_kind
hostname_check(const char *s, size_t n, int wildcard)
{
	char		tmp[INET6_ADDRSTRLEN + 2];
	unsigned char	addr[16];

	if (n >= 2 && s[0] == '[' && s[n - 1] == ']') {
		if (!hostname_copy(s + 1, n - 2, tmp, sizeof tmp))
			return HOSTNAME_BAD;
		return inet_pton(AF_INET6, tmp, addr) == 1 ? HOSTNAME_IPV6 :
		    HOSTNAME_BAD;
	}
	if (memchr(s, ':', n) != NULL) {
		if (!hostname_copy(s, n, tmp, sizeof tmp))
			return HOSTNAME_BAD;
		return inet_pton(AF_INET6, tmp, addr) == 1 ? HOSTNAME_IPV6 :
		    HOSTNAME_BAD;
	}
	if (hostname_copy(s, n, tmp, sizeof tmp) &&
	    inet_pton(AF_INET, tmp, addr) == 1)
		return HOSTNAME_IPV4;
	return hostname_dns(s, n, wildcard) ? HOSTNAME_DNS : HOSTNAME_BAD;
}

/*
 * Write the canonical form of a valid host into dst: DNS names lowercased
 * without a trailing dot, IPv6 without brackets in inet_ntop form. Returns
 * 0, or -1 when the host is invalid or dst too small.
 */
int
hostname_normalize(const char *s, size_t n, char *dst, size_t size,
    enum hostname_kind *kind)
{
	unsigned char	addr[16];
	char		tmp[INET6_ADDRSTRLEN + 2];
	size_t		i;

	*kind = hostname_check(s, n, 1);
	switch (*kind) {
	case HOSTNAME_BAD:
		return -1;
	case HOSTNAME_IPV6:
		if (s[0] == '[') {
			s++;
			n -= 2;
		}
		if (!hostname_copy(s, n, tmp, sizeof tmp) ||
		    inet_pton(AF_INET6, tmp, addr) != 1 ||
		    inet_ntop(AF_INET6, addr, dst, size) == NULL)
			return -1;
		return 0;
	default:
		if (n > 0 && s[n - 1] == '.' && *kind == HOSTNAME_DNS)
			n--;
		if (!hostname_copy(s, n, dst, size))
			return -1;
		for (i = 0; i < n; i++)
			dst[i] = (char)tolower((unsigned char)dst[i]);
		return 0;
	}
}
