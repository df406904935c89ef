/*
 * Sizes as the command lines and configuration files of every component
 * write them ("4096", "64K", "100M", "4MB", "1g"), parsed by one function
 * so that a value means the same to certgen, the service and the CLIs.
 */
#ifndef SSLINSPECT_SIZE_H
#define SSLINSPECT_SIZE_H

#include <stdint.h>

#include "attrib.h"

int	size_parse(const char *, uint64_t *) NONNULL(2);

#endif
