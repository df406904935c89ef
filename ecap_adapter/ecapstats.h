/*
 * The eCAP front end's counters (ecapstats.c).
 */
#ifndef ECAPSTATS_H
#define ECAPSTATS_H

#include <stddef.h>
#include <stdint.h>

#include "xact.h"

/* What the spool holds now, beside the counters. */
struct ecapstats_gauges {
	uint64_t	under_way;	/* transactions with a body */
	uint64_t	unscanned;	/* bytes spooled, not scanned yet */
	uint64_t	waits;		/* requests held by MaxBacklog so far */
};

void	ecapstats_inc(enum xact_stat, int);
void	ecapstats_get(uint64_t[XS_COUNT]);
void	ecapstats_line(char *, size_t, const uint64_t[XS_COUNT],
	    const struct ecapstats_gauges *);

#endif
