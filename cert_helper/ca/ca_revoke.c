/*
 * Revocation: the revoke command, which finds certificates in the
 * issued-certificate record that sslinspect-certgen keeps (or among the
 * issuing CAs, all of a node's included) and adds them to the revocation
 * record (common/revoked.c), of which every node gets a copy.
 */
#include "config.h"

#include <ctype.h>
#include <dirent.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <time.h>

#include "ca.h"
#include "cause.h"
#include "issued.h"

/* CRLReason codes an admin may give (BR 7.2.2: never unspecified/hold). */
static const struct {
	const char	*name;
	int		 code;
} ca_revoke_reasons[] = {
	{ "keyCompromise", 1 },
	{ "cACompromise", 2 },
	{ "affiliationChanged", 3 },
	{ "superseded", 4 },
	{ "cessationOfOperation", 5 },
	{ "privilegeWithdrawn", 9 },
};
#define CA_REVOKE_NREASONS ( \
    sizeof ca_revoke_reasons / sizeof ca_revoke_reasons[0])

/* The reason code for a name (case-insensitive), or -1. */
int
ca_revoke_reason(const char *name)
{
	size_t	i;

	for (i = 0; i < CA_REVOKE_NREASONS; i++) {
		if (strcasecmp(name, ca_revoke_reasons[i].name) == 0)
			return ca_revoke_reasons[i].code;
	}
	return -1;
}

const char *
ca_revoke_reason_name(int code)
{
	size_t	i;

	for (i = 0; i < CA_REVOKE_NREASONS; i++) {
		if (ca_revoke_reasons[i].code == code)
			return ca_revoke_reasons[i].name;
	}
	return "-";
}

/* What the revoke command collects before writing anything. */
struct ca_revoke_run {
	const struct ca_revoke_opts *o;
	char			 serial[CA_SERIAL_MAX + 1];
	struct revoked_rec	*old;
	size_t			 nold;
	struct revoked_rec	*new;
	size_t			 nnew;
	size_t			 found;
	time_t			 now;
};

static int
ca_revoke_known(const struct ca_revoke_run *run, const char *kid,
    const char *serial)
{
	size_t	i;

	for (i = 0; i < run->nold; i++) {
		if (strcmp(run->old[i].issuer_keyid, kid) == 0 &&
		    strcmp(run->old[i].serial, serial) == 0)
			return 1;
	}
	for (i = 0; i < run->nnew; i++) {
		if (strcmp(run->new[i].issuer_keyid, kid) == 0 &&
		    strcmp(run->new[i].serial, serial) == 0)
			return 1;
	}
	return 0;
}

/* Add a revocation unless the certificate is revoked already. */
static int
ca_revoke_add(struct ca_revoke_run *run, const char *kid, const char *serial,
    int64_t not_after, const char *label)
{
	struct revoked_rec	*r, *grown;

	run->found++;
	if (ca_revoke_known(run, kid, serial))
		return 0;
	grown = reallocarray(run->new, run->nnew + 1, sizeof *run->new);
	if (grown == NULL)
		return -1;
	run->new = grown;
	r = &run->new[run->nnew++];
	memset(r, 0, sizeof *r);
	r->revoked = run->now;
	r->not_after = not_after;
	r->reason = run->o->reason;
	snprintf(r->issuer_keyid, sizeof r->issuer_keyid, "%s", kid);
	snprintf(r->serial, sizeof r->serial, "%s", serial);
	snprintf(r->label, sizeof r->label, "%s", label);
	return 0;
}

static int
ca_revoke_old_cb(const struct revoked_rec *r, void *arg)
{
	struct ca_revoke_run	*run = arg;
	struct revoked_rec	*grown;

	grown = reallocarray(run->old, run->nold + 1, sizeof *run->old);
	if (grown == NULL)
		return -1;
	run->old = grown;
	run->old[run->nold++] = *r;
	return 0;
}

/* Match one issued record against --serial or --host. */
static int
ca_revoke_issued_cb(const struct issued_rec *rec, void *arg)
{
	struct ca_revoke_run	*run = arg;
	char			 serial[CA_SERIAL_MAX + 1];

	if (serial_norm(rec->serial, serial, sizeof serial) == -1)
		return 0;
	if (run->o->serial != NULL && strcmp(serial, run->serial) != 0)
		return 0;
	if (run->o->host != NULL && strcasecmp(rec->host, run->o->host) != 0)
		return 0;
	return ca_revoke_add(run, rec->issuer_keyid, serial, rec->not_after,
	    rec->host);
}

/*
 * Put the issuing CA DIR/issuing/<kid>.pem on the intermediate's CRL
 * (ikid). Expired ones are skipped when skip_expired: no verifier takes
 * them any more.
 */
static int
ca_revoke_ca(struct ca_store *st, struct ca_revoke_run *run, const char *ikid,
    const char *kid, int skip_expired, char **cause)
{
	X509	*x;
	char	 serial[CA_SERIAL_MAX + 1], *p;
	int	 rv = -1;

	if ((p = ca_store_path(st, "issuing/%s.pem", kid)) == NULL)
		return -1;
	if (!ca_store_exists(p)) {
		cause_set(cause, "%s: no such issuing CA", p);
		free(p);
		return -1;
	}
	if ((x = ca_x509_load(p, cause)) == NULL)
		goto out;
	if (ca_x509_serial(x, serial, sizeof serial) == -1) {
		cause_set(cause, "%s: no serial", p);
		goto out;
	}
	rv = 0;
	if (skip_expired && ca_x509_not_after(x) <= run->now)
		goto out;
	rv = ca_revoke_add(run, ikid, serial, (int64_t)ca_x509_not_after(x),
	    "issuing-ca");
	if (rv != 0 || !ca_node_is_current(st, kid))
		goto out;
	if (run->o->node != NULL)
		fprintf(stderr, "sslinspect-ca: warning: %s is the issuing CA "
		    "in the node's bundle; rotate --node %s when the node is "
		    "trusted again\n", kid, run->o->node);
	else
		fprintf(stderr, "sslinspect-ca: warning: %s is the issuing CA "
		    "in squid-bundle.pem; run rotate now\n", kid);
out:
	X509_free(x);
	free(p);
	return rv;
}

/* The intermediate's key id, the issuer of every issuing CA. */
static int
ca_revoke_ikid(struct ca_store *st, char *ikid, size_t len, char **cause)
{
	X509	*inter = NULL;
	int	 rv;

	if (ca_issue_load_intermediate(st, &inter, NULL, cause) == -1)
		return -1;
	if ((rv = ca_x509_keyid(inter, ikid, len)) == -1)
		cause_set(cause, "%s/intermediate.pem: no subjectKeyIdentifier",
		    st->dir);
	X509_free(inter);
	return rv;
}

/* --issuing-ca KEYID: the issuing CA goes on the intermediate's CRL. */
static int
ca_revoke_issuing(struct ca_store *st, struct ca_revoke_run *run,
    char **cause)
{
	char	kid[CA_KEYID_MAX + 1], ikid[CA_KEYID_MAX + 1];
	size_t	i;

	snprintf(kid, sizeof kid, "%s", run->o->issuing_ca);
	for (i = 0; kid[i] != '\0'; i++) {
		if (!isxdigit((unsigned char)kid[i])) {
			cause_set(cause, "issuing CA key id \"%s\" is not hex",
			    run->o->issuing_ca);
			return -1;
		}
		kid[i] = (char)tolower((unsigned char)kid[i]);
	}
	if (ca_revoke_ikid(st, ikid, sizeof ikid, cause) == -1)
		return -1;
	return ca_revoke_ca(st, run, ikid, kid, 0, cause);
}

/*
 * --node NAME: every issuing CA minted for that node that has not expired,
 * so a lost or compromised node is cut off while the others keep theirs.
 */
static int
ca_revoke_node(struct ca_store *st, struct ca_revoke_run *run, char **cause)
{
	DIR		*d;
	struct dirent	*de;
	char		 ikid[CA_KEYID_MAX + 1], kid[CA_KEYID_MAX + 1];
	char		 node[CA_NODE_MAX + 1], *dir;
	size_t		 n;
	int		 rv = 0;

	if (ca_node_name_ok(run->o->node, cause) == -1 ||
	    ca_revoke_ikid(st, ikid, sizeof ikid, cause) == -1)
		return -1;
	if ((dir = ca_store_path(st, "issuing")) == NULL)
		return -1;
	if ((d = opendir(dir)) == NULL) {
		cause_set(cause, "%s: %s", dir, strerror(errno));
		free(dir);
		return -1;
	}
	while (rv == 0 && (de = readdir(d)) != NULL) {
		n = strlen(de->d_name);
		if (n < 6 || n - 5 > CA_KEYID_MAX ||
		    strcmp(de->d_name + n - 5, ".node") != 0)
			continue;
		snprintf(kid, sizeof kid, "%.*s", (int)(n - 5), de->d_name);
		if (ca_node_of(st, kid, node, sizeof node) == 0 &&
		    strcmp(node, run->o->node) == 0)
			rv = ca_revoke_ca(st, run, ikid, kid, 1, cause);
	}
	closedir(d);
	free(dir);
	if (rv == 0 && run->found == 0) {
		cause_set(cause, "%s/issuing: no issuing CA of node %s that "
		    "has not expired", st->dir, run->o->node);
		rv = -1;
	}
	return rv;
}

/* Rewrite revoked.tsv with the old and new records, atomically. */
static int
ca_revoke_save(const char *path, const struct ca_revoke_run *run,
    char **cause)
{
	char	*buf = NULL, line[1024];
	size_t	 len = 0, i;
	FILE	*f;
	int	 n, rv;

	if ((f = open_memstream(&buf, &len)) == NULL)
		return -1;
	for (i = 0; i < run->nold + run->nnew; i++) {
		n = revoked_format(i < run->nold ? &run->old[i] :
		    &run->new[i - run->nold], line, sizeof line);
		if (n > 0)
			fwrite(line, 1, (size_t)n, f);
	}
	if (fclose(f) != 0) {
		free(buf);
		cause_set(cause, "%s: out of memory", path);
		return -1;
	}
	rv = ca_store_write(path, buf, len, 0644, (uid_t)-1, (gid_t)-1, cause);
	free(buf);
	return rv;
}

/*
 * revoke: record the certificates chosen by serial, host or issuing CA and
 * write fresh CRLs. Nothing is written unless at least one matched.
 */
int
ca_revoke(struct ca_store *st, const struct ca_revoke_opts *o, char **cause)
{
	struct ca_revoke_run	 run;
	char			*path = NULL;
	int			 rv = -1;

	memset(&run, 0, sizeof run);
	run.o = o;
	run.now = time(NULL);
	if ((path = ca_store_path(st, REVOKED_FILE)) == NULL ||
	    revoked_foreach(path, ca_revoke_old_cb, &run, cause) == -1)
		goto out;
	if (o->issuing_ca != NULL || o->node != NULL) {
		if ((o->node != NULL ? ca_revoke_node(st, &run, cause) :
		    ca_revoke_issuing(st, &run, cause)) == -1)
			goto out;
	} else {
		if (o->serial != NULL && serial_norm(o->serial,
		    run.serial, sizeof run.serial) == -1) {
			cause_set(cause, "serial \"%s\" is not hex", o->serial);
			goto out;
		}
		if (issued_foreach(o->issued, ca_revoke_issued_cb, &run,
		    cause) == -1)
			goto out;
		if (run.found == 0) {
			cause_set(cause, "%s: no certificate with %s %s",
			    o->issued, o->serial != NULL ? "serial" : "host",
			    o->serial != NULL ? o->serial : o->host);
			goto out;
		}
	}
	if (run.nnew > 0 && ca_revoke_save(path, &run, cause) == -1)
		goto out;
	printf("revoked %zu certificate(s), %zu already revoked\n", run.nnew,
	    run.found - run.nnew);
	if (run.nnew > 0 && ca_node_publish_all(st, cause) == -1)
		goto out;
	rv = ca_crl_write_all(st, NULL, 1, cause);
out:
	free(run.old);
	free(run.new);
	free(path);
	return rv;
}
