/*
 * The audit log: one JSON object per line per decision, appended with one
 * write(2) on an O_APPEND descriptor (so lines from several threads and
 * processes never interleave), or sent to syslog. Findings carry the
 * engines' masked samples only; nothing else from the body is logged.
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

/* Write v as a quoted JSON string ("null" for NULL) into buf, truncating. */
void
audit_json_string(char *buf, size_t len, const char *v)
{
	static const char hex[] = "0123456789abcdef";
	size_t o = 0;
	unsigned char c;

	if (v == NULL) {
		snprintf(buf, len, "null");
		return;
	}
	buf[o++] = '"';
	for (; (c = (unsigned char)*v) != '\0' && o + 8 < len; v++) {
		if (c == '"' || c == '\\') {
			buf[o++] = '\\';
			buf[o++] = (char)c;
		} else if (c < 0x20 || c == 0x7f) {
			o += (size_t)snprintf(buf + o, len - o, "\\u00%c%c",
			    hex[c >> 4], hex[c & 15]);
		} else
			buf[o++] = (char)c;
	}
	buf[o++] = '"';
	buf[o] = '\0';
}

static char *
findings_json(const struct audit_record *r)
{
	char type[128], eng[64], sample[160], *s = NULL, *ns;
	size_t i;

	if ((s = strdup("[")) == NULL)
		return NULL;
	for (i = 0; i < r->nfindings; i++) {
		audit_json_string(eng, sizeof eng, r->findings[i].engine);
		audit_json_string(type, sizeof type, r->findings[i].type);
		audit_json_string(sample, sizeof sample, r->findings[i].sample);
		if (asprintf(&ns, "%s%s{\"engine\":%s,\"type\":%s,\"count\":%u,"
		    "\"severity\":%d,\"sample\":%s}", s, i ? "," : "", eng, type,
		    r->findings[i].count, r->findings[i].severity, sample) < 0) {
			free(s);
			return NULL;
		}
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
	char ip[96], user[384], method[48], host[600], path[2048], verdict[48];
	char rule[256], reason[512], engine[64], inc[64], t[32], *f, *s;
	struct tm tm;
	int n;

	gmtime_r(&r->when, &tm);
	strftime(t, sizeof t, "%Y-%m-%dT%H:%M:%SZ", &tm);
	audit_json_string(ip, sizeof ip, r->client_ip);
	audit_json_string(user, sizeof user, r->user);
	audit_json_string(method, sizeof method, r->method);
	audit_json_string(host, sizeof host, r->host);
	audit_json_string(path, sizeof path, r->path);
	audit_json_string(verdict, sizeof verdict, r->verdict);
	audit_json_string(rule, sizeof rule, r->rule);
	audit_json_string(reason, sizeof reason, r->reason);
	audit_json_string(engine, sizeof engine, r->engine);
	audit_json_string(inc, sizeof inc, r->incident);
	if ((f = findings_json(r)) == NULL)
		return NULL;
	n = asprintf(&s, "{\"time\":\"%s\",\"client_ip\":%s,\"user\":%s,"
	    "\"method\":%s,\"host\":%s,\"path\":%s,\"direction\":\"%s\","
	    "\"verdict\":%s,\"rule\":%s,\"reason\":%s,\"engine\":%s,"
	    "\"findings\":%s,\"bytes\":%llu,\"ms\":%llu,\"incident\":%s}\n",
	    t, ip, user, method, host, path,
	    audit_direction(r->direction, r->bodiless), verdict, rule,
	    reason, engine, f, (unsigned long long)r->bytes,
	    (unsigned long long)r->msec, inc);
	free(f);
	if (n < 0)
		return NULL;
	*len = (size_t)n;
	return s;
}

static int
audit_open_path(const char *path)
{
	return open(path, O_WRONLY | O_APPEND | O_CREAT | O_CLOEXEC | O_NOFOLLOW, 0640);
}

/*
 * Open the log: a file path, "syslog", or NULL/"" for none. The previous
 * destination is closed first. 0, or -1 with *cause.
 */
int
audit_open(const char *spec, char **cause)
{
	int fd;

	audit_close();
	if (spec == NULL || *spec == '\0')
		return 0;
	if (strcmp(spec, "syslog") == 0) {
		openlog("sslinspect", LOG_PID, LOG_DAEMON);
		audit_syslog = 1;
		return 0;
	}
	if ((fd = audit_open_path(spec)) < 0) {
		cause_set(cause, "%s: %s", spec, strerror(errno));
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
	struct stat a, b;
	time_t now = time(NULL);
	int fd;

	pthread_mutex_lock(&audit_mtx);
	if (audit_path != NULL && now != audit_checked) {
		audit_checked = now;
		if (fstat(audit_fd, &a) == 0 && stat(audit_path, &b) == 0 &&
		    (a.st_ino != b.st_ino || a.st_dev != b.st_dev) &&
		    (fd = audit_open_path(audit_path)) >= 0) {
			dup2(fd, audit_fd);	/* atomic for concurrent writers */
			close(fd);
		}
	}
	pthread_mutex_unlock(&audit_mtx);
}

void
audit_write(const struct audit_record *r)
{
	char *line;
	size_t len;

	if (audit_fd < 0 && !audit_syslog)
		return;
	if ((line = audit_format(r, &len)) == NULL)
		return;
	if (audit_syslog)
		syslog(LOG_INFO, "%.*s", (int)(len - 1), line);
	else {
		audit_check_rotated();
		if (write(audit_fd, line, len) < 0) {
			/* Nothing sensible to do: the decision itself stands. */
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
	unsigned char r[8];
	size_t i;

	if (getrandom(r, sizeof r, GRND_NONBLOCK) != (ssize_t)sizeof r) {
		struct timespec ts;

		clock_gettime(CLOCK_REALTIME, &ts);
		memcpy(r, &ts.tv_nsec, 4);
		memcpy(r + 4, &ts.tv_sec, 4);
	}
	for (i = 0; i < sizeof r && 2 * i + 2 < len; i++)
		snprintf(buf + 2 * i, 3, "%02x", r[i]);
}
