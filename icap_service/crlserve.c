/*
 * CRL serving: requests for the configured CRL host(s) are answered from
 * sslinspect-ca's crl/ directory (<keyid hex>.crl in DER, .pem beside it),
 * so clients behind the proxy can fetch the CRL named in every minted
 * certificate. Only plain file names in that directory are served.
 */
#include "config.h"

#include <sys/stat.h>

#include <ctype.h>
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <unistd.h>

#include "svc.h"

#define CRL_MAX_FILE	(16 * 1024 * 1024)

/* Is host one of the space- or comma-separated names in hosts? */
bool
crlserve_is_host(const char *hosts, const char *host)
{
	size_t		 hl, l;
	const char	*p = hosts;

	if (hosts == NULL || host == NULL || *host == '\0')
		return false;
	hl = strlen(host);
	while (*p != '\0') {
		p += strspn(p, " ,\t");
		l = strcspn(p, " ,\t");
		if (l == hl && strncasecmp(p, host, l) == 0)
			return true;
		p += l;
	}
	return false;
}

static bool
crl_name_ok(const char *name, size_t len)
{
	size_t	i;

	if (len == 0 || len > 128 || name[0] == '.')
		return false;
	for (i = 0; i < len; i++)
		if (!isalnum((unsigned char)name[i]) && name[i] != '.' &&
		    name[i] != '-' && name[i] != '_')
			return false;
	return true;
}

static int
crl_read(int fd, struct crl_reply *r)
{
	struct stat	st;
	ssize_t		n;
	size_t		got = 0;

	if (fstat(fd, &st) != 0 || !S_ISREG(st.st_mode) ||
	    st.st_size > CRL_MAX_FILE)
		return -1;
	if ((r->body = malloc((size_t)st.st_size + 1)) == NULL)
		return -1;
	while (got < (size_t)st.st_size) {
		n = read(fd, r->body + got, (size_t)st.st_size - got);
		if (n <= 0)
			return -1;
		got += (size_t)n;
	}
	r->len = got;
	r->mtime = st.st_mtime;
	return 0;
}

/*
 * Fill *r for a request path ("/x.crl?..."): status 200 with the file and
 * its content type, or 404. Returns -1 only when the directory is unset.
 */
int
crlserve_lookup(const char *dir, const char *path, struct crl_reply *r)
{
	char		 file[4096];
	const char	*name;
	size_t		 len;
	int		 fd;

	memset(r, 0, sizeof *r);
	r->status = 404;
	r->content_type = "text/plain";
	if (dir == NULL || *dir == '\0')
		return -1;
	name = path + strspn(path, "/");
	len = strcspn(name, "?#");
	if (!crl_name_ok(name, len))
		return 0;
	if (len > 4 && strncasecmp(name + len - 4, ".crl", 4) == 0)
		r->content_type = "application/pkix-crl";
	else if (len > 4 && strncasecmp(name + len - 4, ".pem", 4) == 0)
		r->content_type = "application/x-pem-file";
	else
		return 0;
	snprintf(file, sizeof file, "%s/%.*s", dir, (int)len, name);
	if ((fd = open(file, O_RDONLY | O_NOFOLLOW | O_CLOEXEC)) < 0)
		return 0;
	if (crl_read(fd, r) != 0) {
		free(r->body);
		r->body = NULL;
		r->len = 0;
	} else
		r->status = 200;
	close(fd);
	if (r->status != 200)
		r->content_type = "text/plain";
	return 0;
}

void
crlserve_reply_free(struct crl_reply *r)
{
	free(r->body);
	r->body = NULL;
}
