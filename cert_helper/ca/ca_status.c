/*
 * status: the intermediate, every issuing CA with its expiry and how many
 * leaves it issued and had revoked, and when the next CRL is due.
 */
#include "config.h"

#include <dirent.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <openssl/err.h>
#include <openssl/pem.h>
#include <openssl/x509.h>

#include "ca.h"
#include "cause.h"
#include "issued.h"

struct ca_status_ca {
	char	kid[CA_KEYID_MAX + 1];
	char	serial[CA_SERIAL_MAX + 1];
	time_t	not_after;
	size_t	issued;
	size_t	revoked;
	int	ca_revoked;
};

struct ca_status_run {
	struct ca_status_ca	*cas;
	size_t			 ncas;
	size_t			 issued;
	size_t			 revoked;
	char			 ikid[CA_KEYID_MAX + 1];
};

static struct ca_status_ca *
ca_status_find(struct ca_status_run *run, const char *kid)
{
	size_t	i;

	for (i = 0; i < run->ncas; i++) {
		if (strcmp(run->cas[i].kid, kid) == 0)
			return &run->cas[i];
	}
	return NULL;
}

static int
ca_status_issued_cb(const struct issued_rec *rec, void *arg)
{
	struct ca_status_run	*run = arg;
	struct ca_status_ca	*ca;

	run->issued++;
	if ((ca = ca_status_find(run, rec->issuer_keyid)) != NULL)
		ca->issued++;
	return 0;
}

static int
ca_status_revoked_cb(const struct revoked_rec *r, void *arg)
{
	struct ca_status_run	*run = arg;
	struct ca_status_ca	*ca;
	size_t			 i;

	if (strcmp(r->issuer_keyid, run->ikid) == 0) {
		for (i = 0; i < run->ncas; i++) {
			if (strcmp(run->cas[i].serial, r->serial) == 0)
				run->cas[i].ca_revoked = 1;
		}
		return 0;
	}
	run->revoked++;
	if ((ca = ca_status_find(run, r->issuer_keyid)) != NULL)
		ca->revoked++;
	return 0;
}

/* Collect every issuing CA of DIR/issuing/. */
static int
ca_status_collect(struct ca_store *st, struct ca_status_run *run,
    char **cause)
{
	DIR			*d;
	struct dirent		*de;
	struct ca_status_ca	*grown, *ca;
	X509			*x;
	char			*dir, *p;
	size_t			 n;
	int			 missing;

	if ((dir = ca_store_path(st, "issuing")) == NULL)
		return -1;
	if ((d = opendir(dir)) == NULL) {
		missing = errno == ENOENT;
		if (!missing)
			cause_set(cause, "%s: %s", dir, strerror(errno));
		free(dir);
		return missing ? 0 : -1;
	}
	while ((de = readdir(d)) != NULL) {
		n = strlen(de->d_name);
		if (n < 5 || strcmp(de->d_name + n - 4, ".pem") != 0)
			continue;
		if ((p = ca_store_path(st, "issuing/%s", de->d_name)) == NULL)
			break;
		x = ca_x509_load(p, cause);
		free(p);
		if (x == NULL)
			break;
		grown = reallocarray(run->cas, run->ncas + 1, sizeof *grown);
		if (grown == NULL) {
			X509_free(x);
			break;
		}
		run->cas = grown;
		ca = &run->cas[run->ncas++];
		memset(ca, 0, sizeof *ca);
		(void)ca_x509_keyid(x, ca->kid, sizeof ca->kid);
		(void)ca_x509_serial(x, ca->serial, sizeof ca->serial);
		ca->not_after = ca_x509_not_after(x);
		X509_free(x);
	}
	closedir(d);
	free(dir);
	return de == NULL ? 0 : -1;
}

/* The earliest nextUpdate of the PEM CRLs in DIR/crl, or 0 when none. */
static time_t
ca_status_crl_due(struct ca_store *st)
{
	DIR		*d;
	struct dirent	*de;
	X509_CRL	*crl;
	FILE		*f;
	char		*dir, *p;
	size_t		 n;
	time_t		 due = 0, t;
	struct tm	 tm;

	if ((dir = ca_store_path(st, "crl")) == NULL)
		return 0;
	if ((d = opendir(dir)) != NULL) {
		while ((de = readdir(d)) != NULL) {
			n = strlen(de->d_name);
			if (n < 5 || strcmp(de->d_name + n - 4, ".pem") != 0)
				continue;
			if ((p = ca_store_path(st, "crl/%s", de->d_name)) == NULL)
				continue;
			crl = NULL;
			if ((f = fopen(p, "re")) != NULL) {
				crl = PEM_read_X509_CRL(f, NULL, NULL, NULL);
				fclose(f);
			}
			free(p);
			if (crl == NULL)
				continue;
			if (X509_CRL_get0_nextUpdate(crl) != NULL &&
			    ASN1_TIME_to_tm(X509_CRL_get0_nextUpdate(crl),
			    &tm) == 1) {
				t = timegm(&tm);
				if (due == 0 || t < due)
					due = t;
			}
			X509_CRL_free(crl);
		}
		closedir(d);
	}
	ERR_clear_error();
	free(dir);
	return due;
}

static const char *
ca_status_state(const struct ca_status_ca *ca, const char *cur, time_t now)
{
	if (ca->ca_revoked)
		return "revoked";
	if (ca->not_after <= now)
		return "expired";
	return strcmp(ca->kid, cur) == 0 ? "current" : "valid";
}

/* Print the status report on stdout. */
int
ca_status(struct ca_store *st, const char *issued, char **cause)
{
	struct ca_status_run	 run;
	X509			*inter = NULL;
	char			 t[32], cur[CA_KEYID_MAX + 2] = "", *p = NULL;
	char			*buf = NULL, *rpath = NULL;
	size_t			 i, len;
	time_t			 now = time(NULL), due;
	int			 rv = -1;

	memset(&run, 0, sizeof run);
	if (ca_issue_load_intermediate(st, &inter, NULL, cause) == -1)
		goto out;
	(void)ca_x509_keyid(inter, run.ikid, sizeof run.ikid);
	if ((p = ca_store_path(st, "current")) != NULL && ca_store_exists(p) &&
	    ca_store_read(p, &buf, &len, NULL) == 0)
		snprintf(cur, sizeof cur, "%.*s", (int)strcspn(buf, "\n"), buf);
	rpath = ca_store_path(st, REVOKED_FILE);
	if (rpath == NULL || ca_status_collect(st, &run, cause) == -1 ||
	    issued_foreach(issued, ca_status_issued_cb, &run, cause) == -1 ||
	    revoked_foreach(rpath, ca_status_revoked_cb, &run, cause) == -1)
		goto out;
	ca_x509_fmt_time(ca_x509_not_after(inter), t, sizeof t);
	printf("intermediate %s expires %s\n", run.ikid, t);
	printf("issuing CAs: %zu\n", run.ncas);
	for (i = 0; i < run.ncas; i++) {
		ca_x509_fmt_time(run.cas[i].not_after, t, sizeof t);
		printf("  %s %-7s expires %s issued %zu revoked %zu\n",
		    run.cas[i].kid, ca_status_state(&run.cas[i], cur, now), t,
		    run.cas[i].issued, run.cas[i].revoked);
	}
	printf("certificates issued: %zu (%s)\n", run.issued, issued);
	printf("certificates revoked: %zu\n", run.revoked);
	if ((due = ca_status_crl_due(st)) == 0)
		printf("next CRL due: now (no CRL written yet)\n");
	else {
		ca_x509_fmt_time(due, t, sizeof t);
		printf("next CRL due: %s%s\n", t, due <= now ? " (overdue)" : "");
	}
	rv = 0;
out:
	free(run.cas);
	free(buf);
	free(rpath);
	free(p);
	X509_free(inter);
	return rv;
}
