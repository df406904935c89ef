/*
 * US Social Security numbers: the printed form and the ranges the SSA never
 * issues. Pure functions; context words are dlp.c's business.
 */
#include "config.h"

#include <stdio.h>
#include <string.h>

#include "dlp.h"

/* Numbers published as examples (wallet cards, advertising, docs). */
static const char *const dlp_ssn_examples[] = {
	"078051120", "219099999", "123456789", "111223333",
};

/*
 * Parse "AAA-GG-SSSS" or "AAA GG SSSS" (len 11) into 9 digits plus NUL.
 * Returns 0, or -1 when s is not written that way.
 */
int
dlp_ssn_parse(const char *s, size_t len, char *digits)
{
	static const char	shape[] = "ddd-dd-dddd";
	size_t			i, n = 0;

	if (len != sizeof shape - 1 || (s[3] != '-' && s[3] != ' ') ||
	    s[6] != s[3])
		return -1;
	for (i = 0; i < len; i++) {
		if (shape[i] == '-')
			continue;
		if (s[i] < '0' || s[i] > '9')
			return -1;
		digits[n++] = s[i];
	}
	digits[n] = '\0';
	return 0;
}

/* True unless the area, group or serial is one never issued. */
bool
dlp_ssn_valid(const char *digits)
{
	unsigned	area, group, serial;
	size_t		i;

	if (sscanf(digits, "%3u%2u%4u", &area, &group, &serial) != 3)
		return false;
	if (area == 0 || area == 666 || area >= 900 || group == 0 ||
	    serial == 0)
		return false;
	for (i = 0; i < sizeof dlp_ssn_examples / sizeof dlp_ssn_examples[0];
	    i++) {
		if (strcmp(digits, dlp_ssn_examples[i]) == 0)
			return false;
	}
	return true;
}

/* The logged form: "***-**-" and the last four digits. */
void
dlp_ssn_mask(const char *digits, char *out, size_t outlen)
{
	snprintf(out, outlen, "***-**-%s", digits + 5);
}
