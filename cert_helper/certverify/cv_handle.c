/*
 * One batch of input: frame each request, validate it, apply the policy,
 * append the answers. No I/O here; main.c reads and writes.
 */
#include "config.h"

#include <stdlib.h>
#include <string.h>

#include "certverify.h"

/*
 * Keep the findings the policy blocks for host (in place); their number
 * goes to *nblock. Returns how many were allowed.
 */
int
cv_handle_decide(const struct cv_policy *pol, const char *host,
    struct cv_finding *f, size_t nf, size_t *nblock)
{
	size_t	i, k = 0;
	int	allowed = 0;

	for (i = 0; i < nf; i++) {
		if (cv_policy_blocks(pol, f[i].cls, host)) {
			if (k != i)
				f[k] = f[i];
			k++;
		} else
			allowed++;
	}
	*nblock = k;
	return allowed;
}

/* Say in cache.log what was found and what was done with it. */
static void
cv_handle_log(const struct cv_req *req, const struct cv_finding *all, size_t n,
    const struct cv_policy *pol)
{
	char	line[900];
	size_t	i, o = 0;
	int	w;

	if (n == 0) {
		log_debug("%s: valid", req->host[0] ? req->host : "-");
		return;
	}
	for (i = 0; i < n && o < sizeof line; i++) {
		w = snprintf(line + o, sizeof line - o, "%s%s %s (%s)",
		    i > 0 ? "; " : "",
		    cv_policy_blocks(pol, all[i].cls, req->host) ?
		    "blocked" : "allowed", cv_policy_class_name(all[i].cls),
		    all[i].reason);
		if (w < 0)
			break;
		o += (size_t)w;
	}
	log_info("%s: %s", req->host[0] ? req->host : "-", line);
}

/*
 * Validate one framed request and append its answer. Worker threads call
 * this at once: c is only read.
 */
int
cv_handle_request(const struct cv_ctx *c, const struct helper_frame *fr,
    time_t now, struct cbuf *out)
{
	struct cv_req		 req;
	struct cv_finding	 f[CV_FINDINGS_MAX];
	size_t			 nf = 0, nb = 0;
	char			*cause = NULL;
	int			 rv;

	if (cv_proto_parse(fr->body, fr->body_len, &req, &cause) == -1 ||
	    cv_verify(&c->v, &req, now, f, CV_FINDINGS_MAX, &nf,
	    &cause) == -1) {
		log_warnx("refused a request: %s",
		    cause != NULL ? cause : "out of memory");
		rv = cv_proto_reply_bh(out, fr, cause != NULL ? cause :
		    "out of memory");
		free(cause);
		return rv;
	}
	cv_handle_log(&req, f, nf, &c->pol);
	(void)cv_handle_decide(&c->pol, req.host, f, nf, &nb);
	return cv_proto_reply(out, fr, f, nb);
}

/*
 * Handle every complete request in buf (len bytes); answers are appended
 * to out. Returns how many bytes of buf were used.
 */
size_t
cv_handle(struct cv_ctx *c, const char *buf, size_t len, time_t now,
    struct cbuf *out)
{
	struct helper_frame	 fr;
	char			*cause = NULL;
	size_t			 used = 0, n;

	for (;;) {
		if (c->skip > 0) {
			n = c->skip < len - used ? c->skip : len - used;
			c->skip -= n;
			used += n;
			if (c->skip > 0)
				return used;
		}
		switch (cv_proto_frame(buf + used, len - used, &fr)) {
		case HELPER_NEED:
			return used + fr.consumed;
		case HELPER_OK:
			if (c->pool == NULL || !fr.has_id)
				(void)cv_handle_request(c, &fr, now, out);
			else if (cv_pool_submit(c->pool, &fr, &cause) ==
			    -1) {
				(void)cv_proto_reply_bh(out, &fr,
				    cause != NULL ? cause : "out of memory");
				free(cause);
				cause = NULL;
			}
			used += fr.consumed;
			break;
		case HELPER_SKIP:
			log_warnx("refused a request: %s", fr.reason);
			(void)cv_proto_reply_bh(out, &fr, fr.reason);
			c->skip = fr.consumed;
			break;
		case HELPER_BAD:
			/* No frame, so no answer can be matched to it. */
			log_warnx("dropped input: %s", fr.reason);
			used += fr.consumed;
			break;
		}
	}
}
