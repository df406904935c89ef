/*
 * Keeping bytes of a body: the spool for engines without a streaming API
 * (memory first, then an unlinked temporary file, never more than its
 * limit), and the short tail a streaming matcher keeps of earlier chunks.
 */
#include "config.h"

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <unistd.h>

#include "cause.h"
#include "engine_int.h"

int
engine_spool_init(struct engine_spool *sp, uint64_t limit)
{
	memset(sp, 0, sizeof *sp);
	sp->fd = -1;
	sp->limit = limit;
	return 0;
}

static int
engine_spool_write(int fd, const void *buf, size_t len, char **cause)
{
	const unsigned char	*p = buf;
	ssize_t			 n;

	while (len > 0) {
		n = write(fd, p, len);
		if (n == -1 && errno == EINTR)
			continue;
		if (n <= 0) {
			cause_set(cause, "spool: %s", strerror(errno));
			return -1;
		}
		p += n;
		len -= (size_t)n;
	}
	return 0;
}

/* Move the in-memory part to a new unlinked file under tmpdir. */
static int
engine_spool_to_file(struct engine_spool *sp, const char *tmpdir, char **cause)
{
	char	path[4096];

	if (tmpdir == NULL || *tmpdir == '\0')
		tmpdir = "/tmp";
	snprintf(path, sizeof path, "%s/sslinspect-spool.XXXXXX", tmpdir);
	if ((sp->fd = mkostemp(path, O_CLOEXEC)) == -1) {
		cause_set(cause, "spool: %s: %s", tmpdir, strerror(errno));
		return -1;
	}
	unlink(path);
	if (engine_spool_write(sp->fd, sp->mem, sp->len, cause) != 0)
		return -1;
	free(sp->mem);
	sp->mem = NULL;
	sp->len = sp->cap = 0;
	return 0;
}

/* Append; beyond the limit the bytes are dropped and sp->over is set. */
int
engine_spool_add(struct engine_spool *sp, const char *tmpdir, const void *buf,
    size_t len, char **cause)
{
	unsigned char	*m;
	size_t		 cap;

	if (sp->size + len > sp->limit) {
		sp->over = true;
		len = (size_t)(sp->limit - sp->size);
	}
	if (len == 0)
		return 0;
	if (sp->fd == -1 && sp->len + len > ENGINE_SPOOL_MEM &&
	    engine_spool_to_file(sp, tmpdir, cause) != 0)
		return -1;
	if (sp->fd != -1) {
		if (engine_spool_write(sp->fd, buf, len, cause) != 0)
			return -1;
	} else {
		if (sp->len + len > sp->cap) {
			cap = sp->cap == 0 ? 16384 : sp->cap;
			while (cap < sp->len + len)
				cap *= 2;
			if ((m = realloc(sp->mem, cap)) == NULL) {
				cause_set(cause, "spool: out of memory");
				return -1;
			}
			sp->mem = m;
			sp->cap = cap;
		}
		memcpy(sp->mem + sp->len, buf, len);
		sp->len += len;
	}
	sp->size += len;
	return 0;
}

/*
 * Up to len bytes from spool offset off: in memory *at points into the
 * spool, else they are read into buf (and *at is buf). Returns how many,
 * 0 at the end, -1 on a read error.
 */
ssize_t
engine_spool_read(const struct engine_spool *sp, uint64_t off, void *buf,
    size_t len, const void **at)
{
	ssize_t	n;

	if (off >= sp->size)
		return 0;
	if (len > sp->size - off)
		len = (size_t)(sp->size - off);
	if (sp->fd == -1) {
		*at = sp->mem + off;
		return (ssize_t)len;
	}
	do
		n = pread(sp->fd, buf, len, (off_t)off);
	while (n == -1 && errno == EINTR);
	*at = buf;
	return n;
}

/*
 * The whole spool as one block (for libraries that want a buffer): the
 * memory, or a read-only mapping of the file, unmapped by
 * engine_spool_free. NULL with *cause on failure.
 */
const void *
engine_spool_map(struct engine_spool *sp, char **cause)
{
	void	*p;

	if (sp->fd == -1)
		return sp->mem != NULL ? sp->mem : (const void *)"";
	if (sp->map != NULL)
		return sp->map;
	if (sp->size == 0)
		return "";
	p = mmap(NULL, (size_t)sp->size, PROT_READ, MAP_PRIVATE, sp->fd, 0);
	if (p == MAP_FAILED) {
		cause_set(cause, "spool: mmap: %s", strerror(errno));
		return NULL;
	}
	sp->map = p;
	return p;
}

void
engine_spool_free(struct engine_spool *sp)
{
	free(sp->mem);
	if (sp->map != NULL)
		munmap(sp->map, (size_t)sp->size);
	if (sp->fd != -1)
		close(sp->fd);
	engine_spool_init(sp, 0);
}

/*
 * Make buf (cap bytes, *n in use) hold the last cap bytes of its old
 * contents followed by data (len bytes).
 */
void
engine_tail_keep(unsigned char *buf, size_t *n, size_t cap, const void *data,
    size_t len)
{
	size_t	old;

	if (len >= cap) {
		memcpy(buf, (const unsigned char *)data + len - cap, cap);
		*n = cap;
		return;
	}
	old = *n + len > cap ? cap - len : *n;
	memmove(buf, buf + *n - old, old);
	memcpy(buf + old, data, len);
	*n = old + len;
}
