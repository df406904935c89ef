/*
 * The inspection core (libsvc: the body pipeline and the engines) for
 * tests/load/ecap_hold.cc, the load-run eCAP instrument, behind four
 * calls with no c-icap and no libecap types. The engines load with the
 * service's defaults, the way srv_sslinspect loads them with an empty
 * sslinspect.conf; a body is scanned with the default profile of its
 * direction. Everything a real front end also needs (policy, verdict
 * cache, audit, block page, statistics) is left out: the instrument
 * measures what the inspection costs, and blocks with Squid's own page.
 */
#include "config.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "svc.h"

int	ecap_scan_init(const char *, char *, size_t);
void	*ecap_scan_new(int, const char *, const char *);
void	ecap_scan_feed(void *, const void *, size_t);
int	ecap_scan_end(void *, char *, size_t);

static struct svc_config	 conf;
static struct engine_set	*engines;
static struct engine_profile	 profiles[2];

/* Load the engines (once per process); 0, or -1 with why in err. */
int
ecap_scan_init(const char *tmpdir, char *err, size_t errlen)
{
	struct engine_config	 ec;
	char			*cause = NULL;

	if (engines != NULL)
		return 0;
	svcconf_defaults(&conf);
	svcconf_engine(&conf, &ec);
	ec.tmpdir = tmpdir;
	if ((engines = engine_set_load(&ec, &cause)) == NULL) {
		snprintf(err, errlen, "engines not loaded: %s",
		    cause != NULL ? cause : "?");
		free(cause);
		return -1;
	}
	engine_profile_defaults(&profiles[0], ENGINE_DOWNLOAD);
	engine_profile_defaults(&profiles[1], ENGINE_UPLOAD);
	return 0;
}

/* A body of a download (upload 0) or an upload (1); NULL when out of memory. */
void *
ecap_scan_new(int upload, const char *ctype, const char *cenc)
{
	struct body_params	bp;

	memset(&bp, 0, sizeof bp);
	bp.engines = engines;
	bp.direction = upload ? ENGINE_UPLOAD : ENGINE_DOWNLOAD;
	bp.profile = &profiles[upload ? 1 : 0];
	bp.content_type = ctype != NULL && *ctype != '\0' ? ctype : NULL;
	bp.content_encoding = cenc != NULL && *cenc != '\0' ? cenc : NULL;
	bp.limits = &conf.limits;
	return body_new(&bp);
}

void
ecap_scan_feed(void *b, const void *buf, size_t len)
{
	body_feed(b, buf, len);
}

/*
 * End and free the body: 1 when something was found (reason says what),
 * 0 when not.
 */
int
ecap_scan_end(void *b, char *reason, size_t len)
{
	struct body_outcome	out;
	int			found;

	body_end(b, &out);
	body_free(b);
	found = out.verdict == BODY_FOUND;
	snprintf(reason, len, "%s", found ? out.reason : "");
	return found;
}
