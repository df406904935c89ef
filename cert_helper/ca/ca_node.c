/*
 * Proxy nodes: one issuing CA per named Squid node under the one
 * intermediate, so that a node holds only its own issuing key and losing
 * one node costs the revocation of its issuing CAs alone.
 *
 * The central CA directory keeps every issuing CA in issuing/ (so "crl"
 * writes the CRLs of all nodes in one place) with issuing/<keyid>.node
 * naming the node it was minted for, and one directory per node:
 *   nodes/<name>/squid-bundle.pem	the node's issuing CA and key
 *   nodes/<name>/current		its key id
 *   nodes/<name>/ca.conf		the settings (certgen reads crl-url)
 *   nodes/<name>/revoked.tsv		the central revocations
 * which is what the node needs and nothing more: copied to the node's own
 * CA directory, sslinspect-certgen and Squid find it where they expect.
 */
#include "config.h"

#include <dirent.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "ca.h"
#include "cause.h"

/*
 * A node name: 1..CA_NODE_MAX of lowercase letters, digits, '-', '.', '_',
 * starting with a letter or digit; so it is a safe path component, a safe
 * word in a shell command's environment, and fits the issuing CA's CN.
 */
int
ca_node_name_ok(const char *name, char **cause)
{
	size_t	i, n = strlen(name);

	if (n == 0 || n > CA_NODE_MAX) {
		cause_set(cause, "node name \"%.80s\" must have 1 to %d "
		    "characters", name, CA_NODE_MAX);
		return -1;
	}
	for (i = 0; i < n; i++) {
		if ((name[i] >= 'a' && name[i] <= 'z') ||
		    (name[i] >= '0' && name[i] <= '9') ||
		    (i > 0 && strchr("-._", name[i]) != NULL))
			continue;
		cause_set(cause, "node name \"%s\": character %zu is not a "
		    "lowercase letter, a digit, or (after the first) '-', '.' "
		    "or '_'", name, i + 1);
		return -1;
	}
	return 0;
}

/*
 * The first line of a small file of DIR (a key id or a node name) into
 * buf; 0, or -1 when the file is missing, empty or the line too long.
 * Takes path (NULL when it could not be made) and frees it.
 */
static int
ca_node_line(char *path, char *buf, size_t len)
{
	char	*text = NULL;
	size_t	 n;
	int	 rv = -1;

	if (path != NULL && ca_store_exists(path) &&
	    ca_store_read(path, &text, &n, NULL) == 0) {
		n = strcspn(text, "\n");
		if (n > 0 && n < len) {
			memcpy(buf, text, n);
			buf[n] = '\0';
			rv = 0;
		}
	}
	free(text);
	free(path);
	return rv;
}

/* The node an issuing CA was minted for into buf; 0, or -1 for none. */
int
ca_node_of(const struct ca_store *st, const char *kid, char *buf, size_t len)
{
	if (ca_node_line(ca_store_path(st, "issuing/%s.node", kid), buf,
	    len) == -1)
		return -1;
	return ca_node_name_ok(buf, NULL);
}

/* Record that the issuing CA kid belongs to node name. */
int
ca_node_mark(const struct ca_store *st, const char *kid, const char *name,
    char **cause)
{
	char	*p, line[CA_NODE_MAX + 2];
	int	 rv = -1;

	snprintf(line, sizeof line, "%s\n", name);
	if ((p = ca_store_path(st, "issuing/%s.node", kid)) != NULL)
		rv = ca_store_write(p, line, strlen(line), 0644, (uid_t)-1,
		    (gid_t)-1, cause);
	free(p);
	return rv;
}

/* The key id in a "current" file (DIR/current or a node's) into buf. */
int
ca_node_current(const struct ca_store *st, const char *name, char *buf,
    size_t len)
{
	return ca_node_line(name != NULL ?
	    ca_store_path(st, "nodes/%s/current", name) :
	    ca_store_path(st, "current"), buf, len);
}

/* Is kid the issuing CA in the bundle it was minted for (DIR's, a node's)? */
int
ca_node_is_current(const struct ca_store *st, const char *kid)
{
	char	cur[CA_KEYID_MAX + 1], node[CA_NODE_MAX + 1];
	int	of = ca_node_of(st, kid, node, sizeof node) == 0;

	return ca_node_current(st, of ? node : NULL, cur, sizeof cur) == 0 &&
	    strcmp(cur, kid) == 0;
}

/* DIR/nodes/<name>, made when missing. The caller frees. */
char *
ca_node_dir(const struct ca_store *st, const char *name, char **cause)
{
	char	*top, *dir;

	top = ca_store_path(st, "nodes");
	dir = ca_store_path(st, "nodes/%s", name);
	if (top == NULL || dir == NULL) {
		cause_set(cause, "nodes/%s: out of memory", name);
		goto fail;
	}
	if (ca_store_mkdir(top, 0755, cause) == -1 ||
	    ca_store_mkdir(dir, 0755, cause) == -1)
		goto fail;
	free(top);
	return dir;
fail:
	free(top);
	free(dir);
	return NULL;
}

/* Copy one small file of DIR into a node's directory (empty if missing). */
static int
ca_node_copy(const struct ca_store *st, const char *name, const char *file,
    char **cause)
{
	char	*from, *to, *text = NULL;
	size_t	 n = 0;
	int	 rv = -1;

	from = ca_store_path(st, "%s", file);
	to = ca_store_path(st, "nodes/%s/%s", name, file);
	if (from == NULL || to == NULL) {
		cause_set(cause, "%s: out of memory", file);
		goto out;
	}
	if (ca_store_exists(from) &&
	    ca_store_read(from, &text, &n, cause) == -1)
		goto out;
	rv = ca_store_write(to, text != NULL ? text : "", n, 0644, (uid_t)-1,
	    (gid_t)-1, cause);
out:
	free(text);
	free(to);
	free(from);
	return rv;
}

/*
 * Bring a node's directory up to date with the central one: its settings
 * and the revocations, so its sslinspect-certgen never serves a revoked
 * leaf and names CRLs the same way.
 */
int
ca_node_publish(const struct ca_store *st, const char *name, char **cause)
{
	char	*conf, *p;
	int	 rv = -1;

	if ((p = ca_node_dir(st, name, cause)) == NULL)
		return -1;
	free(p);
	conf = ca_conf_format(&st->conf);
	p = ca_store_path(st, "nodes/%s/ca.conf", name);
	if (conf == NULL || p == NULL)
		cause_set(cause, "nodes/%s/ca.conf: out of memory", name);
	else if (ca_store_write(p, conf, strlen(conf), 0644, (uid_t)-1,
	    (gid_t)-1, cause) == 0)
		rv = ca_node_copy(st, name, REVOKED_FILE, cause);
	free(p);
	free(conf);
	return rv;
}

/*
 * Call cb for every node of DIR/nodes (none when there is no such
 * directory); stops at the first cb that fails.
 */
int
ca_node_foreach(const struct ca_store *st,
    int (*cb)(const struct ca_store *, const char *, void *, char **),
    void *arg, char **cause)
{
	DIR		*d;
	struct dirent	*de;
	char		*dir;
	int		 rv = 0;

	if ((dir = ca_store_path(st, "nodes")) == NULL)
		return -1;
	if ((d = opendir(dir)) == NULL) {
		if (errno != ENOENT) {
			cause_set(cause, "%s: %s", dir, strerror(errno));
			rv = -1;
		}
		free(dir);
		return rv;
	}
	while (rv == 0 && (de = readdir(d)) != NULL) {
		if (ca_node_name_ok(de->d_name, NULL) == 0)
			rv = cb(st, de->d_name, arg, cause);
	}
	closedir(d);
	free(dir);
	return rv;
}

static int
ca_node_publish_cb(const struct ca_store *st, const char *name, void *arg,
    char **cause)
{
	(void)arg;
	return ca_node_publish(st, name, cause);
}

/* After a revocation: every node's copy of the record. */
int
ca_node_publish_all(const struct ca_store *st, char **cause)
{
	return ca_node_foreach(st, ca_node_publish_cb, NULL, cause);
}
