/*
 * The audit log: one JSON object per line per decision, appended with one
 * write(2) on an O_APPEND descriptor (so lines from several threads and
 * processes never interleave), or sent to syslog. On by default, so that
 * the incident id a block page shows leads somewhere; a file that cannot
 * be opened falls back to syslog rather than to nothing.
 *
 * Nothing unmasked is logged: findings carry the engines' masked samples
 * only, nothing else from the body is logged, and runs of nine or more
 * digits in the URL (a card or account number in a search or a GET form,
 * which no engine sees) keep only their last four. The line is valid
 * UTF-8 whatever the request held.
 * audit_open runs in c-icap's post-init (again on every reconfigure),
 * before threads exist. Processes that outlive a reconfigure (children
 * still serving persistent connections) notice a rotated file themselves:
 * at most once a second a writer compares the path's inode with its own.
 */
#include "config.h"

#include <sys/random.h>
#include <sys/stat.h>

#include <errno.h>
#include <fcntl.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <syslog.h>
#include <unistd.h>

#include "cause.h"
#include "svc.h"

static int	audit_fd = -1;
static int	audit_syslog;
static char	*audit_path;
static time_t	audit_checked;
static pthread_mutex_t audit_mtx = PTHREAD_MUTEX_INITIALIZER;

/*
 * The length of the well-formed UTF-8 sequence at s (1 to 4), or 0 when
 * it is not one (a stray continuation byte, an overlong form, a surrogate,
 * beyond U+10FFFF, or cut short).
 */
static size_t
utf8_len(const unsigned char *s)
{
	size_t	n, i;

	if (s[0] < 0x80)
		return 1;
	if (s[0] >= 0xc2 && s[0] <= 0xdf)
		n = 2;
	else if (s[0] >= 0xe0 && s[0] <= 0xef)
		n = 3;
	else if (s[0] >= 0xf0 && s[0] <= 0xf4)
		n = 4;
	else
		return 0;
	for (i = 1; i < n; i++)
		if ((s[i] & 0xc0) != 0x80)
			return 0;
	if ((s[0] == 0xe0 && s[1] < 0xa0) || (s[0] == 0xed && s[1] >= 0xa0) ||
	    (s[0] == 0xf0 && s[1] < 0x90) || (s[0] == 0xf4 && s[1] >= 0x90))
		return 0;
	return n;
}

/*
 * Write v as a quoted JSON string ("null" for NULL) into buf, truncating
 * at a character boundary. Bytes that are not UTF-8 become U+FFFD.
 */
void
audit_json_string(char *buf, size_t len, const char *v)
{
	static const char	 hex[] = "0123456789abcdef";
	const unsigned char	*p = (const unsigned char *)v;
	size_t			 o = 0, n;

	if (v == NULL) {
		snprintf(buf, len, "null");
		return;
	}
	buf[o++] = '"';
	for (; *p != '\0' && o + 8 < len; p += n) {
		if ((n = utf8_len(p)) == 0) {
			o += (size_t)snprintf(buf + o, len - o, "\\ufffd");
			n = 1;
		} else if (n > 1) {
			if (o + n + 2 >= len)
				break;
			memcpy(buf + o, p, n);
			o += n;
		} else if (*p == '"' || *p == '\\') {
			buf[o++] = '\\';
			buf[o++] = (char)*p;
		} else if (*p < 0x20 || *p == 0x7f) {
			o += (size_t)snprintf(buf + o, len - o, "\\u00%c%c",
			    hex[*p >> 4], hex[*p & 15]);
		} else
			buf[o++] = (char)*p;
	}
	buf[o++] = '"';
	buf[o] = '\0';
}

/* A digit, or a "%3N" escape of one; the length of it, or 0. */
static size_t
mask_digit(const char *p)
{
	if (*p >= '0' && *p <= '9')
		return 1;
	if (p[0] == '%' && p[1] == '3' && p[2] >= '0' && p[2] <= '9')
		return 3;
	return 0;
}

/* A separator inside a number: blank, '-', '.', '+', or "%20"/"%2D"/"%2E". */
static size_t
mask_sep(const char *p)
{
	if (*p == ' ' || *p == '-' || *p == '.' || *p == '+')
		return 1;
	if (p[0] == '%' && p[1] == '2' && (p[2] == '0' || p[2] == 'D' ||
	    p[2] == 'd' || p[2] == 'E' || p[2] == 'e'))
		return 3;
	return 0;
}

/*
 * Mask, in place, every run of AUDIT_MASK_MIN or more digits (single
 * separators allowed between them, percent-encoded or not) except its last
 * four: "4111 1111 1111 1111" becomes "**** **** **** 1111". Written for
 * URLs, where no engine looks.
 */
void
audit_mask_digits(char *s)
{
	char	*p = s, *start, *q;
	size_t	 n, digits, keep;

	while (*p != '\0') {
		if (mask_digit(p) == 0) {
			p++;
			continue;
		}
		start = q = p;
		digits = 0;
		for (;;) {
			if ((n = mask_digit(q)) != 0) {
				digits++;
				q += n;
				p = q;		/* the run ends after a digit */
			} else if ((n = mask_sep(q)) != 0 &&
			    mask_digit(q + n) != 0)
				q += n;
			else
				break;
		}
		if (digits < AUDIT_MASK_MIN)
			continue;
		keep = digits - 4;
		for (q = start; keep > 0; ) {
			if ((n = mask_digit(q)) != 0) {
				memset(q, '*', n);
				keep--;
				q += n;
			} else
				q += mask_sep(q);
		}
	}
}

/* One finding as a JSON object; malloc'd or NULL. */
static char *
finding_json(const struct audit_record *r, size_t i)
{
	const struct engine_finding	*f = &r->findings[i];
	char				 type[128], eng[64], sample[160], *s;

	audit_json_string(eng, sizeof eng, f->engine);
	audit_json_string(type, sizeof type, f->type);
	audit_json_string(sample, sizeof sample, f->sample);
	if (asprintf(&s, "{\"engine\":%s,\"type\":%s,\"count\":%u,"
	    "\"severity\":%d,\"sample\":%s}", eng, type, f->count,
	    f->severity, sample) < 0)
		return NULL;
	return s;
}

/*
 * What an engine did not look at, as a JSON object; malloc'd or NULL. The
 * member name comes from the body, so its long digit runs are masked as
 * a URL's are.
 */
static char *
skip_json(const struct audit_record *r, size_t i)
{
	const struct engine_skip	*k = &r->skips[i];
	char				 eng[64], what[160], why[160], m[48];
	char				*s;

	snprintf(m, sizeof m, "%s", k->what);
	audit_mask_digits(m);
	audit_json_string(eng, sizeof eng, k->engine);
	audit_json_string(what, sizeof what, m);
	audit_json_string(why, sizeof why, k->why);
	if (asprintf(&s, "{\"engine\":%s,\"what\":%s,\"why\":%s,"
	    "\"count\":%u}", eng, what, why, k->count) < 0)
		return NULL;
	return s;
}

/* A JSON array of n objects that item() makes; malloc'd or NULL. */
static char *
json_array(const struct audit_record *r, size_t n,
    char *(*item)(const struct audit_record *, size_t))
{
	char	*s, *ns, *it;
	size_t	 i;

	if ((s = strdup("[")) == NULL)
		return NULL;
	for (i = 0; i < n; i++) {
		if ((it = item(r, i)) == NULL ||
		    asprintf(&ns, "%s%s%s", s, i ? "," : "", it) < 0) {
			free(it);
			free(s);
			return NULL;
		}
		free(it);
		free(s);
		s = ns;
	}
	if (asprintf(&ns, "%s]", s) < 0)
		ns = NULL;
	free(s);
	return ns;
}

/*
 * "download" for a response, "upload" for a request with a body, and
 * "request" for one without (a GET): policy rules with direction upload
 * match only requests with a body, and the log says the same.
 */
const char *
audit_direction(enum engine_direction dir, bool bodiless)
{
	if (dir == ENGINE_DOWNLOAD)
		return "download";
	return bodiless ? "request" : "upload";
}

/* The JSON line for a record, with its newline; malloc'd or NULL. */
char *
audit_format(const struct audit_record *r, size_t *len)
{
	char		 ip[96], user[384], method[48], host[600], path[2048],
	    verdict[48];
	char		 rule[256], cat[256], reason[512], engine[64],
	    inc[64], t[32], *f, *k, *s;
	char		*masked;
	struct tm	 tm;
	int		 n;

	gmtime_r(&r->when, &tm);
	strftime(t, sizeof t, "%Y-%m-%dT%H:%M:%SZ", &tm);
	audit_json_string(ip, sizeof ip, r->client_ip);
	audit_json_string(user, sizeof user, r->user);
	audit_json_string(method, sizeof method, r->method);
	audit_json_string(host, sizeof host, r->host);
	if (r->path != NULL && (masked = strdup(r->path)) != NULL) {
		audit_mask_digits(masked);
		audit_json_string(path, sizeof path, masked);
		free(masked);
	} else
		audit_json_string(path, sizeof path,
		    r->path == NULL ? NULL : "");
	audit_json_string(verdict, sizeof verdict, r->verdict);
	audit_json_string(rule, sizeof rule, r->rule);
	audit_json_string(cat, sizeof cat, r->category);
	audit_json_string(reason, sizeof reason, r->reason);
	audit_json_string(engine, sizeof engine, r->engine);
	audit_json_string(inc, sizeof inc, r->incident);
	if ((f = json_array(r, r->nfindings, finding_json)) == NULL)
		return NULL;
	if ((k = json_array(r, r->nskips, skip_json)) == NULL) {
		free(f);
		return NULL;
	}
	n = asprintf(&s, "{\"time\":\"%s\",\"client_ip\":%s,\"user\":%s,"
	    "\"method\":%s,\"host\":%s,\"path\":%s,\"direction\":\"%s\","
	    "\"verdict\":%s,\"rule\":%s,\"reason\":%s,\"category\":%s,"
	    "\"engine\":%s,\"findings\":%s,\"skipped\":%s,"
	    "\"bytes\":%llu,\"ms\":%llu,\"incident\":%s}\n",
	    t, ip, user, method, host, path,
	    audit_direction(r->direction, r->bodiless), verdict, rule,
	    reason, cat, engine, f, k, (unsigned long long)r->bytes,
	    (unsigned long long)r->msec, inc);
	free(f);
	free(k);
	if (n < 0)
		return NULL;
	*len = (size_t)n;
	return s;
}

static int
audit_open_path(const char *path)
{
	return open(path,
	    O_WRONLY | O_APPEND | O_CREAT | O_CLOEXEC | O_NOFOLLOW, 0640);
}

static void
audit_open_syslog(void)
{
	openlog("sslinspect", LOG_PID, LOG_DAEMON);
	audit_syslog = 1;
}

/*
 * Open the log: a file path, "syslog", or NULL, "" or "off" for none. The
 * previous destination is closed first. 0, or -1 with *cause when the file
 * cannot be opened: the lines then go to syslog, and *cause says so.
 */
int
audit_open(const char *spec, char **cause)
{
	int	fd;

	audit_close();
	if (spec == NULL || *spec == '\0' || strcmp(spec, "off") == 0)
		return 0;
	if (strcmp(spec, "syslog") == 0) {
		audit_open_syslog();
		return 0;
	}
	if ((fd = audit_open_path(spec)) < 0) {
		cause_set(cause, "%s: %s; audit lines go to syslog instead",
		    spec,
		    strerror(errno));
		audit_open_syslog();
		return -1;
	}
	audit_fd = fd;
	free(audit_path);
	audit_path = strdup(spec);
	audit_checked = time(NULL);
	return 0;
}

/* Reopen the file if it was rotated (the path names another inode). */
static void
audit_check_rotated(void)
{
	struct stat	a, b;
	time_t		now = time(NULL);
	int		fd;

	pthread_mutex_lock(&audit_mtx);
	if (audit_path != NULL && now != audit_checked) {
		audit_checked = now;
		if (fstat(audit_fd, &a) == 0 && stat(audit_path, &b) == 0 &&
		    (a.st_ino != b.st_ino || a.st_dev != b.st_dev) &&
		    (fd = audit_open_path(audit_path)) >= 0) {
			/* atomic for concurrent writers */
			dup2(fd, audit_fd);
			close(fd);
		}
	}
	pthread_mutex_unlock(&audit_mtx);
}

void
audit_write(const struct audit_record *r)
{
	char	*line;
	size_t	 len;

	if (audit_fd < 0 && !audit_syslog && !auditsys_active())
		return;
	if ((line = audit_format(r, &len)) == NULL)
		return;
	auditsys_send(r, line, len);
	if (audit_syslog)
		syslog(LOG_INFO, "%.*s", (int)(len - 1), line);
	else if (audit_fd >= 0) {
		audit_check_rotated();
		if (write(audit_fd, line, len) < 0) {
			/*
			 * Nothing sensible to do: the decision itself stands.
			 */
		}
	}
	free(line);
}

void
audit_close(void)
{
	if (audit_fd >= 0)
		close(audit_fd);
	audit_fd = -1;
	free(audit_path);
	audit_path = NULL;
	if (audit_syslog)
		closelog();
	audit_syslog = 0;
}

/* A fresh incident id: 16 hex digits from the kernel's random source. */
void
audit_incident(char *buf, size_t len)
{
	unsigned char	r[8];
	size_t		i;

	if (getrandom(r, sizeof r, GRND_NONBLOCK) != (ssize_t)sizeof r) {
		struct timespec ts;

		clock_gettime(CLOCK_REALTIME, &ts);
		memcpy(r, &ts.tv_nsec, 4);
		memcpy(r + 4, &ts.tv_sec, 4);
	}
	for (i = 0; i < sizeof r && 2 * i + 2 < len; i++)
		snprintf(buf + 2 * i, 3, "%02x", r[i]);
}
