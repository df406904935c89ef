/*
 * Error messages handed back to the caller (the tmux "char **cause" model):
 * a function that fails returns -1 or NULL and, when cause is not NULL,
 * stores a malloc'd one-line message the caller frees.
 */
#ifndef SSLINSPECT_CAUSE_H
#define SSLINSPECT_CAUSE_H

#include "attrib.h"

void	cause_set(char **cause, const char *fmt, ...) PRINTF(2, 3);
void	cause_prefix(char **cause, const char *fmt, ...) PRINTF(2, 3);

#endif
