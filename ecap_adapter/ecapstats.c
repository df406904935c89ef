/*
 * The eCAP front end's counters: those srv_sslinspect keeps on c-icap's
 * info page (xact.c names them), here per Squid worker, since the adapter
 * runs in each. ecapsvc.c writes them to cache.log as one key=value line
 * every StatsInterval seconds, with the spool's gauges, for the admin and
 * for monitoring that reads the log.
 */
#include "config.h"

#include <stdarg.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "ecapstats.h"

static uint64_t	ecapstats_n[XS_COUNT];

/* xact.c's counting hook: any thread. */
void
ecapstats_inc(enum xact_stat s, int n)
{
	if ((unsigned)s < XS_COUNT && n > 0)
		__atomic_fetch_add(&ecapstats_n[s], (uint64_t)n,
		    __ATOMIC_RELAXED);
}

/* The counters so far, each read whole (not all at one instant). */
void
ecapstats_get(uint64_t v[XS_COUNT])
{
	int	i;

	for (i = 0; i < XS_COUNT; i++)
		v[i] = __atomic_load_n(&ecapstats_n[i], __ATOMIC_RELAXED);
}

/* Append to a buffer that ends the line when it is full. */
static void
ecapstats_add(char *buf, size_t len, size_t *at, const char *fmt, ...)
{
	va_list	ap;
	int	n;

	if (*at >= len)
		return;
	va_start(ap, fmt);
	n = vsnprintf(buf + *at, len - *at, fmt, ap);
	va_end(ap);
	*at = n < 0 ? len : *at + (size_t)n;
}

/*
 * The line for counters v and gauges g, into buf (always terminated):
 * "sslinspect: counters: requests=N allowed=N ... under_way=N ...".
 */
void
ecapstats_line(char *buf, size_t len, const uint64_t v[XS_COUNT],
    const struct ecapstats_gauges *g)
{
	size_t	at = 0;
	int	i;

	if (len == 0)
		return;
	buf[0] = '\0';
	ecapstats_add(buf, len, &at, "sslinspect: counters:");
	for (i = 0; i < XS_COUNT; i++)
		ecapstats_add(buf, len, &at, " %s=%llu", xact_stat_key(i),
		    (unsigned long long)v[i]);
	ecapstats_add(buf, len, &at, " under_way=%llu unscanned_bytes=%llu "
	    "backlog_waits=%llu", (unsigned long long)g->under_way,
	    (unsigned long long)g->unscanned, (unsigned long long)g->waits);
}
