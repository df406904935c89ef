/*
 * When an issuing CA is close enough to its end to say so: one rule for
 * "sslinspect-ca status" (its exit status) and for the warning
 * sslinspect-certgen writes into Squid's cache.log, so both speak up at
 * the same time.
 *
 * Critical below critical_hours left (default 24): bumped HTTPS breaks
 * soon. A warning below warn_hours left (default half the CA's validity):
 * with a daily rotation and 7-day issuing CAs that is three and a half days
 * without a rotation, well before anything breaks.
 */
#ifndef SSLINSPECT_CAHEALTH_H
#define SSLINSPECT_CAHEALTH_H

#include <time.h>

enum cahealth {
	CAHEALTH_OK = 0,
	CAHEALTH_WARNING,
	CAHEALTH_CRITICAL
};

/* The health of a CA valid from nb to na at now; hours < 0: the default. */
static inline enum cahealth
cahealth_issuing(time_t nb, time_t na, time_t now, long warn_hours,
    long critical_hours)
{
	time_t	left = na - now;

	if (critical_hours < 0)
		critical_hours = 24;
	if (warn_hours < 0)
		warn_hours = (long)((na - nb) / 3600 / 2);
	if (left < (time_t)critical_hours * 3600)
		return CAHEALTH_CRITICAL;
	if (left < (time_t)warn_hours * 3600)
		return CAHEALTH_WARNING;
	return CAHEALTH_OK;
}

#endif
