/*
 * Audit records to a central syslog collector, as RFC 5424 messages over
 * UDP (RFC 5426), alongside the audit file: the decisions of every proxy
 * node in one place. A message carries the decision's key fields as
 * structured data, so that a collector can select blocks or one incident
 * without parsing JSON, and the audit JSON line as its message.
 *
 * Sending never holds a transaction up: one non-blocking send(2) on a
 * connected UDP socket. A datagram the network drops is still in the
 * audit file, which stays the record of reference. Formatting
 * (auditsys_format) is pure; auditsys_open and auditsys_send do the I/O.
 */
#include "config.h"

#include <sys/socket.h>

#include <errno.h>
#include <netdb.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "cause.h"
#include "svc.h"

/* RFC 5424 field limits. */
#define AUDITSYS_HOST_MAX	255
#define AUDITSYS_SDNAME_MAX	32
/* The largest datagram sent; a longer JSON line is cut (the file has it). */
#define AUDITSYS_MSG_MAX	65000

static int	auditsys_fd = -1;
static char	auditsys_host[AUDITSYS_HOST_MAX + 1] = "-";
static char	auditsys_sdid[AUDITSYS_SDNAME_MAX + 1];

/*
 * A PARAM-VALUE (RFC 5424 6.3.3): '"', '\' and ']' escaped with '\'.
 * Anything outside printable ASCII becomes '?': the values come from the
 * request (its host, say), and the collector must get valid UTF-8.
 */
static void
auditsys_value(char *buf, size_t size, const char *v)
{
	size_t	o = 0;

	if (v == NULL)
		v = "";
	for (; *v != '\0' && o + 3 < size; v++) {
		if (*v == '"' || *v == '\\' || *v == ']')
			buf[o++] = '\\';
		buf[o++] = (*v >= 0x20 && *v <= 0x7e) ? *v : '?';
	}
	buf[o] = '\0';
}

/*
 * Whether s may be an SD-ID: 1 to 32 printable ASCII characters other than
 * '=', ' ', ']' and '"' (RFC 5424 6.3.2), with the "name@number" form
 * that names not registered with IANA must have.
 */
int
auditsys_sdid_ok(const char *s)
{
	const char	*at = strchr(s, '@');
	size_t		 i, n = strlen(s);

	if (n == 0 || n > AUDITSYS_SDNAME_MAX || at == NULL || at == s ||
	    at[1] == '\0')
		return 0;
	for (i = 0; i < n; i++) {
		if (s[i] < 0x21 || s[i] > 0x7e || s[i] == '=' ||
		    s[i] == ']' || s[i] == '"')
			return 0;
	}
	for (at++; *at != '\0'; at++) {
		if (*at < '0' || *at > '9')
			return 0;
	}
	return 1;
}

/*
 * The RFC 5424 message for record r, whose JSON line (without its newline)
 * is json: facility daemon, severity notice for a block and info for the
 * rest, APP-NAME sslinspect, MSGID audit, one SD-ELEMENT sdid with the
 * incident, verdict, direction, host and rule, then a BOM and the JSON.
 * malloc'd, its length in *len; NULL when out of memory.
 */
char *
auditsys_format(const struct audit_record *r, const char *json,
    size_t jsonlen, const char *hostname, long pid, const char *sdid,
    size_t *len)
{
	char		 t[32], inc[64], verdict[64], host[600], rule[512];
	char		*s;
	struct tm	 tm;
	int		 pri, n;

	pri = 3 * 8 + (r->verdict != NULL && strcmp(r->verdict, "block") == 0 ?
	    5 : 6);
	gmtime_r(&r->when, &tm);
	strftime(t, sizeof t, "%Y-%m-%dT%H:%M:%SZ", &tm);
	auditsys_value(inc, sizeof inc, r->incident);
	auditsys_value(verdict, sizeof verdict, r->verdict);
	auditsys_value(host, sizeof host, r->host);
	auditsys_value(rule, sizeof rule, r->rule);
	if (jsonlen > AUDITSYS_MSG_MAX)
		jsonlen = AUDITSYS_MSG_MAX;
	n = asprintf(&s, "<%d>1 %s %s sslinspect %ld audit [%s incident=\"%s\" "
	    "verdict=\"%s\" direction=\"%s\" host=\"%s\" rule=\"%s\"] "
	    "\xef\xbb\xbf%.*s", pri, t, hostname, pid, sdid, inc, verdict,
	    audit_direction(r->direction, r->bodiless), host, rule,
	    (int)jsonlen, json);
	if (n < 0)
		return NULL;
	*len = (size_t)n;
	return s;
}

/* Split "udp://HOST:PORT" (HOST may be [v6]); 0, or -1 with a cause. */
static int
auditsys_target(const char *spec, char *host, size_t hsize, char *port,
    size_t psize, char **cause)
{
	const char	*h, *colon, *end;

	if (strncmp(spec, "udp://", 6) != 0) {
		cause_set(cause, "%s: not udp://HOST:PORT", spec);
		return -1;
	}
	h = spec + 6;
	if (*h == '[') {
		if ((end = strchr(h, ']')) == NULL || end[1] != ':') {
			cause_set(cause, "%s: not udp://[ADDRESS]:PORT", spec);
			return -1;
		}
		h++;
		colon = end + 1;
	} else if ((colon = strrchr(h, ':')) == NULL) {
		cause_set(cause, "%s: no port (udp://HOST:PORT)", spec);
		return -1;
	} else
		end = colon;
	if (end == h || (size_t)(end - h) >= hsize ||
	    strlen(colon + 1) == 0 || strlen(colon + 1) >= psize ||
	    strspn(colon + 1, "0123456789") != strlen(colon + 1)) {
		cause_set(cause, "%s: not udp://HOST:PORT", spec);
		return -1;
	}
	memcpy(host, h, (size_t)(end - h));
	host[end - h] = '\0';
	snprintf(port, psize, "%s", colon + 1);
	return 0;
}

/*
 * Send to spec ("udp://HOST:PORT"; NULL, "" or "off" for nowhere) with
 * SD-ID sdid. The previous socket is closed first. 0, or -1 with a cause.
 */
int
auditsys_open(const char *spec, const char *sdid, char **cause)
{
	struct addrinfo	 hints, *res = NULL, *ai;
	char		 host[AUDITSYS_HOST_MAX + 1], port[8];
	int		 fd = -1, e;

	auditsys_close();
	if (spec == NULL || *spec == '\0' || strcmp(spec, "off") == 0)
		return 0;
	if (!auditsys_sdid_ok(sdid)) {
		cause_set(cause, "AuditSyslogId %s: not NAME@NUMBER (RFC 5424 "
		    "SD-ID, the number a private enterprise number)", sdid);
		return -1;
	}
	if (auditsys_target(spec, host, sizeof host, port, sizeof port,
	    cause) == -1)
		return -1;
	memset(&hints, 0, sizeof hints);
	hints.ai_socktype = SOCK_DGRAM;
	if ((e = getaddrinfo(host, port, &hints, &res)) != 0) {
		cause_set(cause, "%s: %s", spec, gai_strerror(e));
		return -1;
	}
	for (ai = res; ai != NULL && fd < 0; ai = ai->ai_next) {
		fd = socket(ai->ai_family, ai->ai_socktype | SOCK_CLOEXEC,
		    ai->ai_protocol);
		if (fd >= 0 && connect(fd, ai->ai_addr, ai->ai_addrlen) != 0) {
			close(fd);
			fd = -1;
		}
	}
	freeaddrinfo(res);
	if (fd < 0) {
		cause_set(cause, "%s: %s", spec, strerror(errno));
		return -1;
	}
	auditsys_fd = fd;
	snprintf(auditsys_sdid, sizeof auditsys_sdid, "%s", sdid);
	if (gethostname(auditsys_host, sizeof auditsys_host) != 0 ||
	    auditsys_host[0] == '\0' || strpbrk(auditsys_host, " \t") != NULL)
		snprintf(auditsys_host, sizeof auditsys_host, "-");
	auditsys_host[sizeof auditsys_host - 1] = '\0';
	return 0;
}

/* Whether a collector is set (audit_write skips formatting otherwise). */
bool
auditsys_active(void)
{
	return auditsys_fd >= 0;
}

/* Send r (its JSON line json, with its newline) if a collector is set. */
void
auditsys_send(const struct audit_record *r, const char *json, size_t len)
{
	char	*m;
	size_t	 mlen;

	if (auditsys_fd < 0)
		return;
	if (len > 0 && json[len - 1] == '\n')
		len--;
	if ((m = auditsys_format(r, json, len, auditsys_host, (long)getpid(),
	    auditsys_sdid, &mlen)) == NULL)
		return;
	/* A refused or dropped datagram is lost here only: the file has it. */
	(void)send(auditsys_fd, m, mlen, MSG_DONTWAIT | MSG_NOSIGNAL);
	free(m);
}

void
auditsys_close(void)
{
	if (auditsys_fd >= 0)
		close(auditsys_fd);
	auditsys_fd = -1;
}
