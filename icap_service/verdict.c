/*
 * The service's decisions, apart from the c-icap glue that applies them:
 * the mode a transaction starts in, whether a body is still held, and the
 * final verdict. See verdict.h; the tables in test_verdict walk them.
 */
#include "config.h"

#include <stdio.h>
#include <string.h>

#include "filetype.h"
#include "verdict.h"

enum verdict_start
verdict_start(const struct verdict_start_input *in)
{
	if (in->action == POLICY_BLOCK && !in->pending)
		return START_BLOCK;
	if (in->action == POLICY_ALLOW && !in->pending)
		return START_PASS_POLICY;
	if (!in->inspect)
		return START_PASS_OFF;
	if (!in->hasbody)
		return START_PASS_NOBODY;
	return START_SCAN;
}

const char *
verdict_start_reason(enum verdict_start s)
{
	switch (s) {
	case START_BLOCK:
		return "blocked by policy";
	case START_PASS_POLICY:
		return "allowed by policy";
	case START_PASS_OFF:
		return "inspection off";
	case START_PASS_NOBODY:
		return "no body";
	default:
		return "";
	}
}

bool
verdict_strip_headers(const struct verdict_strip_input *in)
{
	if (!in->present || !in->inspect)
		return false;
	return !(in->action == POLICY_ALLOW && !in->pending);
}

/*
 * Past MaxHoldSize a body is released as it is scanned, so that nobody
 * waits for hundreds of megabytes, unless the Oversize* action says block.
 * Past MaxHoldTime a download is always released that way: its client
 * would otherwise time out, and it is still inspected whole (a slow clean
 * download must not be blocked for its speed). Time alone never releases
 * an upload's body: its client is still sending, and what has left for the
 * origin cannot be called back. Past MaxUploadHoldTime only its request
 * line and headers go on, so that the server connection Squid pinned to the
 * client is in use before the origin closes it for idleness (after which
 * Squid would never answer the upload: srv_sslinspect(5), "The pinned
 * connection"). A range is never released before its verdict:
 * ranges overlap, so what one holds back another would deliver; past
 * MaxHoldSize it is blocked.
 */
enum verdict_hold
verdict_hold(const struct verdict_hold_input *in)
{
	if (in->bytes > in->max_bytes)
		return in->oversize_allow && !in->no_stream ? HOLD_STREAM :
		    HOLD_OVERSIZE;
	if (!in->upload && !in->no_stream && in->max_ms > 0 &&
	    in->held_ms >= in->max_ms)
		return HOLD_STREAM;
	if (in->upload && in->ahead_ms > 0 && in->held_ms >= in->ahead_ms)
		return HOLD_AHEAD;
	return HOLD_KEEP;
}

/*
 * A detection always wins: over a rule that resolved to allow once the
 * type or size was known, and over a later engine failure with FailOpen
 * on. Only a monitoring rule lets found content through, and says so.
 * A range of content is uninspectable unless it is all image or media:
 * EICAR in two ranges is clean in each.
 */
enum verdict
verdict_decide(const struct verdict_input *in)
{
	bool			monitor = in->action == POLICY_MONITOR;
	enum body_verdict	body = in->body;

	if (in->action == POLICY_BLOCK)
		return VERDICT_BLOCK_POLICY;
	if (in->detected || body == BODY_FOUND)
		return monitor ? VERDICT_MONITOR : VERDICT_BLOCK_FOUND;
	if (in->action == POLICY_ALLOW)
		return VERDICT_ALLOW;
	if (in->partial && !in->partial_media && body == BODY_CLEAN)
		body = BODY_UNINSPECTABLE;
	switch (body) {
	case BODY_UNINSPECTABLE:
		if (monitor)
			return VERDICT_MONITOR;
		return in->uninspectable_allow ? VERDICT_ALLOW_UNINSPECTABLE :
		    VERDICT_BLOCK_UNINSPECTABLE;
	case BODY_ERROR:
		if (monitor)
			return VERDICT_MONITOR;
		return in->fail_open ? VERDICT_FAIL_OPEN : VERDICT_BLOCK_FAILED;
	default:
		return VERDICT_ALLOW;
	}
}

bool
verdict_blocks(enum verdict v)
{
	return v >= VERDICT_BLOCK_POLICY && v < VERDICT_COUNT;
}

/*
 * Blocks above passes; among blocks a rule's own block first (as
 * verdict_decide puts it), then a detection; among passes what needs
 * saying (monitor, fail-open) above a plain allow.
 */
int
verdict_rank(enum verdict v)
{
	static const int	ranks[VERDICT_COUNT] = {
		[VERDICT_ALLOW] = 0,
		[VERDICT_ALLOW_UNINSPECTABLE] = 1,
		[VERDICT_FAIL_OPEN] = 2,
		[VERDICT_MONITOR] = 3,
		[VERDICT_BLOCK_FAILED] = 4,
		[VERDICT_BLOCK_UNINSPECTABLE] = 5,
		[VERDICT_BLOCK_FOUND] = 6,
		[VERDICT_BLOCK_POLICY] = 7,
	};

	return v < VERDICT_COUNT ? ranks[v] : ranks[VERDICT_BLOCK_POLICY];
}

bool
verdict_media_types(const char (*types)[32], unsigned n)
{
	const struct filetype	*ft;
	unsigned		 i;

	if (n == 0)
		return false;
	for (i = 0; i < n; i++) {
		if ((ft = filetype_lookup(types[i])) == NULL ||
		    strcmp(ft->name, "svg") == 0 ||
		    (strcmp(ft->group, "image") != 0 && strcmp(ft->group,
		    "media") != 0))
			return false;
	}
	return true;
}

const char *
verdict_name(enum verdict v)
{
	static const char *const names[VERDICT_COUNT] = {
		"allow", "monitor", "allow-uninspectable", "fail-open",
		"block", "block", "block", "block"
	};

	return v < VERDICT_COUNT ? names[v] : "block";
}

int
verdict_cache_key(char *buf, size_t len, const char *url, const char *etag,
    const char *last_modified, int64_t clen)
{
	char	cl[24];
	int	n;

	if (clen >= 0)
		snprintf(cl, sizeof cl, "%lld", (long long)clen);
	else
		snprintf(cl, sizeof cl, "-");
	n = snprintf(buf, len, "%s\n%s\n%s\n%s", url,
	    etag != NULL && *etag != '\0' ? etag : "-",
	    last_modified != NULL &&
	    *last_modified != '\0' ? last_modified : "-",
	    cl);
	return n < 0 || (size_t)n >= len ? -1 : 0;
}

int
verdict_cache_body_key(char *buf, size_t len, const char *host, int64_t clen,
    size_t plen, const char *sha256hex)
{
	int	n;

	if (host == NULL || sha256hex == NULL || strlen(sha256hex) != 64)
		return -1;
	n = snprintf(buf, len, "body\n%s\n%lld\n%zu\n%s", host,
	    (long long)(clen >= 0 ? clen : -1), plen, sha256hex);
	return n < 0 || (size_t)n >= len ? -1 : 0;
}
