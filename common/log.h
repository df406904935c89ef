/*
 * Messages on stderr, one line each: Squid copies a helper's stderr into
 * cache.log. Never pass key material or request bodies here.
 */
#ifndef SSLINSPECT_LOG_H
#define SSLINSPECT_LOG_H

#include "attrib.h"

extern int	log_debug_enabled;
void		log_init(const char *);
void		log_set_writer(void (*)(int, const char *));
void		log_warnx(const char *, ...) PRINTF(1, 2);
void		log_info(const char *, ...) PRINTF(1, 2);
void		log_debug(const char *, ...) PRINTF(1, 2);

#endif
