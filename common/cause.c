/* Error message plumbing; see cause.h. */
#include "config.h"

#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cause.h"

/* Replace *cause with a formatted message. Allocation failure leaves NULL. */
void
cause_set(char **cause, const char *fmt, ...)
{
	va_list	ap;

	if (cause == NULL)
		return;
	free(*cause);
	*cause = NULL;
	va_start(ap, fmt);
	if (vasprintf(cause, fmt, ap) == -1)
		*cause = NULL;
	va_end(ap);
}

/* Put "<formatted>: " in front of an existing message (or set it alone). */
void
cause_prefix(char **cause, const char *fmt, ...)
{
	va_list	 ap;
	char	*head = NULL, *joined = NULL;

	if (cause == NULL)
		return;
	va_start(ap, fmt);
	if (vasprintf(&head, fmt, ap) == -1)
		head = NULL;
	va_end(ap);
	if (head == NULL)
		return;
	if (*cause == NULL) {
		*cause = head;
		return;
	}
	if (asprintf(&joined, "%s: %s", head, *cause) == -1)
		joined = NULL;
	free(head);
	if (joined != NULL) {
		free(*cause);
		*cause = joined;
	}
}
