/*
 * The CA directory: paths, an exclusive lock while a command changes it,
 * and atomic file writes (temporary file, fsync, rename), so a failed
 * command never leaves a file half-written.
 */
#include "config.h"

#include <sys/file.h>
#include <sys/stat.h>

#include <errno.h>
#include <fcntl.h>
#include <pwd.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <openssl/crypto.h>

#include "ca.h"
#include "cause.h"

/* DIR/<formatted name>; the caller frees. Aborts nothing: NULL on ENOMEM. */
char *
ca_store_path(const struct ca_store *st, const char *fmt, ...)
{
	va_list	 ap;
	char	*name = NULL, *path = NULL;

	va_start(ap, fmt);
	if (vasprintf(&name, fmt, ap) == -1)
		name = NULL;
	va_end(ap);
	if (name == NULL)
		return NULL;
	if (asprintf(&path, "%s/%s", st->dir, name) == -1)
		path = NULL;
	free(name);
	return path;
}

int
ca_store_exists(const char *path)
{
	struct stat	sb;

	return stat(path, &sb) == 0;
}

/* mkdir that accepts an existing directory. */
int
ca_store_mkdir(const char *path, mode_t mode, char **cause)
{
	struct stat	sb;

	if (mkdir(path, mode) == 0)
		return 0;
	if (errno == EEXIST && stat(path, &sb) == 0 && S_ISDIR(sb.st_mode))
		return 0;
	cause_set(cause, "%s: %s", path, strerror(errno));
	return -1;
}

/* mkdir -p for the CA directory and its parents, each 0755. */
static int
ca_store_mkdirs(const char *dir, char **cause)
{
	char	*copy, *p;
	int	 rv = 0;

	if ((copy = strdup(dir)) == NULL)
		return -1;
	for (p = copy + 1; rv == 0 && (p = strchr(p, '/')) != NULL; p++) {
		*p = '\0';
		if (p[-1] != '/')
			rv = ca_store_mkdir(copy, 0755, cause);
		*p = '/';
	}
	free(copy);
	return rv == 0 ? ca_store_mkdir(dir, 0755, cause) : -1;
}

/* Look up a user for chown; -1 with a cause when it does not exist. */
int
ca_store_user(const char *user, uid_t *uid, gid_t *gid, char **cause)
{
	struct passwd	*pw;

	if ((pw = getpwnam(user)) == NULL) {
		cause_set(cause, "user \"%s\" does not exist (squid-user)",
		    user);
		return -1;
	}
	*uid = pw->pw_uid;
	*gid = pw->pw_gid;
	return 0;
}

/*
 * Open the CA directory: with create, make it first (0755: Squid and the
 * web server must reach files inside; the keys are 0600 and issuing/ is
 * 0700). Takes an exclusive lock (DIR/.lock) held until ca_store_close,
 * and reads ca.conf.
 * Returns 0, or -1 with a cause naming the directory or file.
 */
int
ca_store_open(struct ca_store *st, const char *dir, int create, char **cause)
{
	char	*path = NULL, *buf = NULL, *why = NULL;
	size_t	 len;
	int	 rv = -1;

	memset(st, 0, sizeof *st);
	st->lockfd = -1;
	ca_conf_defaults(&st->conf);
	if ((st->dir = strdup(dir)) == NULL) {
		cause_set(cause, "out of memory");
		return -1;
	}
	if (create && ca_store_mkdirs(dir, cause) == -1)
		goto out;
	if ((path = ca_store_path(st, ".lock")) == NULL)
		goto out;
	st->lockfd = open(path, O_RDWR | O_CREAT | O_CLOEXEC, 0644);
	if (st->lockfd == -1 && errno == EACCES)	/* status as non-root */
		st->lockfd = open(path, O_RDONLY | O_CLOEXEC);
	if (st->lockfd == -1) {
		cause_set(cause, "%s: %s", errno == ENOENT ? dir : path,
		    strerror(errno));
		goto out;
	}
	if (flock(st->lockfd, LOCK_EX) == -1) {
		cause_set(cause, "%s: lock: %s", path, strerror(errno));
		goto out;
	}
	free(path);
	if ((path = ca_store_path(st, "ca.conf")) == NULL)
		goto out;
	if (ca_store_exists(path)) {
		if (ca_store_read(path, &buf, &len, cause) == -1)
			goto out;
		if (ca_conf_parse(&st->conf, buf, len, &why) == -1) {
			cause_set(cause, "%s: %s", path, why);
			goto out;
		}
	}
	rv = 0;
out:
	free(why);
	free(buf);
	free(path);
	if (rv == -1)
		ca_store_close(st);
	return rv;
}

void
ca_store_close(struct ca_store *st)
{
	if (st->lockfd != -1)
		close(st->lockfd);
	st->lockfd = -1;
	free(st->dir);
	st->dir = NULL;
}

/* Write ca.conf from st->conf. */
int
ca_store_save_conf(struct ca_store *st, char **cause)
{
	char	*path, *text;
	int	 rv = -1;

	path = ca_store_path(st, "ca.conf");
	text = ca_conf_format(&st->conf);
	if (path != NULL && text != NULL)
		rv = ca_store_write(path, text, strlen(text), 0644, (uid_t)-1,
		    (gid_t)-1, cause);
	else
		cause_set(cause, "out of memory");
	free(text);
	free(path);
	return rv;
}

/* fsync the directory holding path, so a rename survives a crash. */
static void
ca_store_sync_dir(const char *path)
{
	char		*dir, *slash;
	const char	*d = ".";
	int		 fd;

	if ((dir = strdup(path)) == NULL)
		return;
	if ((slash = strrchr(dir, '/')) != NULL) {
		*slash = '\0';
		d = slash == dir ? "/" : dir;
	}
	if ((fd = open(d, O_RDONLY | O_DIRECTORY | O_CLOEXEC)) != -1) {
		(void)fsync(fd);
		close(fd);
	}
	free(dir);
}

/*
 * Replace path atomically with len bytes of data, mode and (when uid is
 * not -1 and we are root) owner set before the rename, so the file is never
 * visible with the wrong permissions or half its content.
 */
int
ca_store_write(const char *path, const void *data, size_t len, mode_t mode,
    uid_t uid, gid_t gid, char **cause)
{
	char		*tmp = NULL;
	const char	*p = data;
	ssize_t		 n;
	int		 fd = -1, rv = -1;

	if (asprintf(&tmp, "%s.tmpXXXXXX", path) == -1) {
		cause_set(cause, "out of memory");
		return -1;
	}
	if ((fd = mkstemp(tmp)) == -1) {
		cause_set(cause, "%s: %s", path, strerror(errno));
		free(tmp);
		return -1;
	}
	if (fchmod(fd, mode) == -1 || (uid != (uid_t)-1 && geteuid() == 0 &&
	    fchown(fd, uid, gid) == -1)) {
		cause_set(cause, "%s: %s", path, strerror(errno));
		goto out;
	}
	while (len > 0) {
		if ((n = write(fd, p, len)) == -1) {
			if (errno == EINTR)
				continue;
			cause_set(cause, "%s: %s", path, strerror(errno));
			goto out;
		}
		p += n;
		len -= (size_t)n;
	}
	if (fsync(fd) == -1 || close(fd) == -1) {
		fd = -1;
		cause_set(cause, "%s: %s", path, strerror(errno));
		goto out;
	}
	fd = -1;
	if (rename(tmp, path) == -1) {
		cause_set(cause, "%s: %s", path, strerror(errno));
		goto out;
	}
	ca_store_sync_dir(path);
	rv = 0;
out:
	if (fd != -1)
		close(fd);
	if (rv == -1)
		unlink(tmp);
	free(tmp);
	return rv;
}

/*
 * Read a whole (small) file into a NUL-terminated buffer the caller frees;
 * the caller cleanses it when it holds a key.
 */
int
ca_store_read(const char *path, char **out, size_t *outlen, char **cause)
{
	struct stat	 sb;
	char		*buf = NULL;
	size_t		 got = 0;
	ssize_t		 n;
	int		 fd;

	if ((fd = open(path, O_RDONLY | O_CLOEXEC)) == -1) {
		cause_set(cause, "%s: %s", path, strerror(errno));
		return -1;
	}
	if (fstat(fd, &sb) == -1 || !S_ISREG(sb.st_mode) ||
	    sb.st_size > 16 * 1024 * 1024) {
		cause_set(cause, "%s: %s", path, S_ISREG(sb.st_mode) ?
		    "too large" : "not a regular file");
		close(fd);
		return -1;
	}
	if ((buf = malloc((size_t)sb.st_size + 1)) == NULL) {
		cause_set(cause, "%s: out of memory", path);
		close(fd);
		return -1;
	}
	while (got < (size_t)sb.st_size) {
		n = read(fd, buf + got, (size_t)sb.st_size - got);
		if (n == -1 && errno == EINTR)
			continue;
		if (n <= 0) {
			cause_set(cause, "%s: %s", path, n == 0 ?
			    "file shrank while read" : strerror(errno));
			OPENSSL_cleanse(buf, got);
			free(buf);
			close(fd);
			return -1;
		}
		got += (size_t)n;
	}
	close(fd);
	buf[got] = '\0';
	*out = buf;
	*outlen = got;
	return 0;
}
