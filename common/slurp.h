/*
 * A whole file read into memory, in a buffer as large as the file: a
 * buffer of the largest size allowed, taken and freed at each read, would
 * also raise glibc's mmap threshold to that size for the life of the
 * process (and of every c-icap child forked after), and every smaller
 * request buffer would then live in malloc's arenas, which do not give
 * memory back.
 */
#ifndef SSLINSPECT_SLURP_H
#define SSLINSPECT_SLURP_H

#include <stddef.h>

char	*slurp_file(const char *path, size_t max, size_t *len, char **cause);

#endif
