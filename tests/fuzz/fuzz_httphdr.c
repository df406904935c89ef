/*
 * libFuzzer target: header lines as clients read them (httphdr.c). The
 * input is split into lines at '\n'; the first is a URL (or a status
 * line), the rest header lines. Joined values stay within their buffer,
 * and the request text holds nothing that was not in the input besides
 * one separator per line and field. The names a body is saved under
 * (httphdr_script_named) are read from the same input.
 */
#include "config.h"

#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "svc.h"

int LLVMFuzzerTestOneInput(const uint8_t *, size_t);

#define MAXLINES	64

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	const char	*lines[MAXLINES];
	char		*copy, *p, *nl, out[128];
	size_t		 n = 0, len;
	char		*text;
	int		 rc;

	if ((copy = malloc(size + 1)) == NULL)
		return 0;
	memcpy(copy, data, size);
	copy[size] = '\0';
	for (p = copy; n < MAXLINES && p != NULL; p = nl) {
		if ((nl = strchr(p, '\n')) != NULL)
			*nl++ = '\0';
		lines[n++] = p;
	}
	rc = httphdr_join(lines + 1, n - 1, "Content-Encoding", out,
	    sizeof out);
	if (strlen(out) >= sizeof out || rc > (int)n)
		__builtin_trap();
	httphdr_conflict(lines + 1, n - 1, "Content-Type");
	/* The URL as a path, a header value as a Content-Disposition. */
	(void)httphdr_script_named(lines[0], httphdr_get(lines + 1, n - 1,
	    "Content-Disposition"));
	httphdr_partial(lines + 1, n - 1, httphdr_status(lines[0]));
	if ((text = httphdr_request_text(lines[0], lines + 1, n - 1,
	    &len)) != NULL) {
		if (strlen(text) != len ||
		    len > size + 2 * strlen(copy) + 4 * n)
			__builtin_trap();
		free(text);
	}
	free(copy);
	return 0;
}
