/*
 * The eCAP front end's core, in C and without libecap types: the adapter's
 * options, the service started once per Squid kid, and each transaction's
 * spool and scan, run on worker threads so that Squid's thread never waits
 * for the engines. sslinspect_ecap.cc is the C++ shim that Squid talks to;
 * every libecap call stays there, on Squid's thread.
 */
#ifndef SSLINSPECT_ECAPSVC_H
#define SSLINSPECT_ECAPSVC_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>

#include "xact.h"

#ifdef __cplusplus
extern "C" {
#endif

struct ecx;

/* What a transaction's worker has come to, for Squid's thread (ecx_news). */
struct ecx_news {
	enum xact_step	 step;		/* since the last look: XA_NONE .. */
	bool		 ended;		/* the body is in and judged */
	uint64_t	 released;	/* spooled bytes the client may have */
};

int	 ecapsvc_option(const char *, const char *, char **);
void	 ecapsvc_configure_begin(void);
void	 ecapsvc_configure_end(void);
int	 ecapsvc_start(bool, char **);
void	 ecapsvc_log_drain(void (*)(int, const char *));
void	 ecapsvc_ready(void (*)(void *));
int	 ecapsvc_wait_ms(void);
bool	 ecapsvc_admit(void);

struct ecx	*ecx_new(const struct xact_head *, void *);
const struct xact *ecx_xact(const struct ecx *);
int		 ecx_begin(struct ecx *);
void		 ecx_feed(struct ecx *, const void *, size_t, bool);
void		 ecx_news(struct ecx *, struct ecx_news *);
ssize_t		 ecx_read(struct ecx *, uint64_t, void *, size_t);
char		*ecx_page(struct ecx *, const char **, size_t *);
char		*ecx_crl(struct ecx *, const char **, size_t *, time_t *);
void		 ecx_cut(struct ecx *);
void		 ecx_cut_late(struct ecx *);
void		 ecx_release(struct ecx *);

/* ecapcache.c: the verdict cache every Squid worker shares. */
int		 ecapcache_open(const char *, unsigned, char **);
bool		 ecapcache_lookup(const char *, struct vcache_entry *);
void		 ecapcache_store(const char *, const struct vcache_entry *);

#ifdef __cplusplus
}
#endif

#endif
