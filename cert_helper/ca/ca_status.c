/*
 * status: the intermediate, every issuing CA with its expiry and how many
 * leaves it issued and had revoked, and when the next CRL is due; then
 * how healthy that is, as the exit status a monitoring system reads:
 * critical when bumping breaks soon (the current issuing CA expires within
 * a day, the intermediate within a week, a CRL is overdue), warning when
 * something that should run has stopped (rotation has missed half an
 * issuing CA's life, a CRL is due within a day, the intermediate expires
 * within 30 days, crl-url was never set).
 */
#include "config.h"

#include <dirent.h>
#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <openssl/err.h>
#include <openssl/pem.h>
#include <openssl/x509.h>

#include "ca.h"
#include "cahealth.h"
#include "cause.h"
#include "issued.h"

struct ca_status_ca {
	char	kid[CA_KEYID_MAX + 1];
	char	node[CA_NODE_MAX + 1];	/* "" when not a node's */
	char	serial[CA_SERIAL_MAX + 1];
	time_t	not_before;
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

static time_t
ca_status_not_before(X509 *x)
{
	struct tm	tm;

	if (ASN1_TIME_to_tm(X509_get0_notBefore(x), &tm) != 1)
		return 0;
	return timegm(&tm);
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
		(void)ca_node_of(st, ca->kid, ca->node, sizeof ca->node);
		ca->not_after = ca_x509_not_after(x);
		ca->not_before = ca_status_not_before(x);
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
			if ((p = ca_store_path(st, "crl/%s",
			    de->d_name)) == NULL)
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
ca_status_state(struct ca_store *st, const struct ca_status_ca *ca,
    time_t now)
{
	if (ca->ca_revoked)
		return "revoked";
	if (ca->not_after <= now)
		return "expired";
	return ca_node_is_current(st, ca->kid) ? "current" : "valid";
}

/* The health of the current issuing CA: the rule of cahealth.h. */
enum ca_health
ca_status_issuing(time_t nb, time_t na, time_t now, long warn, long critical)
{
	switch (cahealth_issuing(nb, na, now, warn, critical)) {
	case CAHEALTH_CRITICAL:
		return CA_HEALTH_CRITICAL;
	case CAHEALTH_WARNING:
		return CA_HEALTH_WARNING;
	default:
		return CA_HEALTH_OK;
	}
}

/* Add a finding to the report; the worst level so far is kept. */
static void
ca_status_flag(enum ca_health *h, enum ca_health level, const char *fmt, ...)
    PRINTF(3, 4);

static void
ca_status_flag(enum ca_health *h, enum ca_health level, const char *fmt, ...)
{
	va_list	ap;

	printf("%s: ", level == CA_HEALTH_CRITICAL ? "CRITICAL" : "WARNING");
	va_start(ap, fmt);
	vprintf(fmt, ap);
	va_end(ap);
	putchar('\n');
	if (level > *h)
		*h = level;
}

/* How long from now to t, as "3 days 4 hours" or "5 hours". */
static void
ca_status_left(time_t t, time_t now, char *buf, size_t len)
{
	long	h = (long)((t - now) / 3600);

	if (t <= now)
		snprintf(buf, len, "expired");
	else if (h >= 48)
		snprintf(buf, len, "in %ld days %ld hours", h / 24, h % 24);
	else
		snprintf(buf, len, "in %ld hours", h);
}

/*
 * The health of one bundle's issuing CA: DIR's (node NULL) or a node's.
 * Critical when there is none, it is revoked, or it expires soon.
 */
static void
ca_status_bundle(const struct ca_store *st, const struct ca_status_run *run,
    const char *node, const struct ca_status_opts *o, time_t now,
    enum ca_health *h)
{
	const struct ca_status_ca	*ca = NULL;
	enum ca_health			 l;
	char				 cur[CA_KEYID_MAX + 1], left[64];
	char				 who[CA_NODE_MAX + 16];
	char				 fix[CA_NODE_MAX + 32];
	size_t				 i;

	snprintf(who, sizeof who, "%s%s%s", node != NULL ? "node " : "",
	    node != NULL ? node : "", node != NULL ? ": " : "");
	snprintf(fix, sizeof fix, "sslinspect-ca rotate%s%s", node != NULL ?
	    " --node " : "", node != NULL ? node : "");
	if (ca_node_current(st, node, cur, sizeof cur) == 0) {
		for (i = 0; i < run->ncas; i++)
			if (strcmp(run->cas[i].kid, cur) == 0)
				ca = &run->cas[i];
	}
	if (ca == NULL)
		ca_status_flag(h, CA_HEALTH_CRITICAL, "%sno current issuing "
		    "CA; run %s", who, fix);
	else if (ca->ca_revoked)
		ca_status_flag(h, CA_HEALTH_CRITICAL, "%sthe current issuing "
		    "CA %s is revoked: clients that check revocation refuse "
		    "every inspected site; run %s", who, ca->kid, fix);
	else if ((l = ca_status_issuing(ca->not_before, ca->not_after, now,
	    o->warn_hours, o->critical_hours)) != CA_HEALTH_OK) {
		ca_status_left(ca->not_after, now, left, sizeof left);
		ca_status_flag(h, l, "%sthe current issuing CA %s expires "
		    "%s: rotation has stopped (sslinspect-rotate.timer or the "
		    "cron job); inspected HTTPS fails when it expires", who,
		    ca->kid, left);
	}
}

struct ca_status_nodes {
	const struct ca_status_run	*run;
	const struct ca_status_opts	*o;
	time_t				 now;
	enum ca_health			*h;
	size_t				 n;
};

static int
ca_status_node_cb(const struct ca_store *cst, const char *name, void *arg,
    char **cause)
{
	struct ca_status_nodes	*sn = arg;

	(void)cause;
	sn->n++;
	ca_status_bundle(cst, sn->run, name, sn->o, sn->now, sn->h);
	return 0;
}

/* The health findings after the report; returns the worst level. */
static enum ca_health
ca_status_health(struct ca_store *st, const struct ca_status_run *run,
    X509 *inter, time_t due, const struct ca_status_opts *o, time_t now)
{
	struct ca_status_nodes	 sn = { run, o, now, NULL, 0 };
	enum ca_health		 h = CA_HEALTH_OK;
	char			 left[64], cur[CA_KEYID_MAX + 1];
	time_t			 t;

	sn.h = &h;
	(void)ca_node_foreach(st, ca_status_node_cb, &sn, NULL);
	/* A directory that serves nodes only has no bundle of its own. */
	if (sn.n == 0 || ca_node_current(st, NULL, cur, sizeof cur) == 0)
		ca_status_bundle(st, run, NULL, o, now, &h);
	t = ca_x509_not_after(inter);
	if (t - now < 30 * 86400) {
		ca_status_left(t, now, left, sizeof left);
		ca_status_flag(&h, t - now < 7 * 86400 ? CA_HEALTH_CRITICAL :
		    CA_HEALTH_WARNING, "the intermediate expires %s: have the "
		    "organization's root sign a new one (sslinspect-ca csr)",
		    left);
	}
	if (due == 0)
		ca_status_flag(&h, CA_HEALTH_WARNING, "no CRL written yet; run "
		    "sslinspect-ca crl");
	else if (due <= now)
		ca_status_flag(&h, CA_HEALTH_CRITICAL, "the CRLs are overdue: "
		    "clients that check revocation refuse the certificates; is "
		    "sslinspect-crl.timer (or the cron job) running?");
	else if (due - now < 86400)
		ca_status_flag(&h, CA_HEALTH_WARNING,
		    "the CRLs are due within a "
		    "day; is sslinspect-crl.timer (or the cron job) running?");
	if (strstr(st->conf.crl_url, ".invalid/") != NULL)
		ca_status_flag(&h, CA_HEALTH_WARNING, "crl-url is %s, which no "
		    "client can reach; set it with the setup command's "
		    "--crl-url",
		    st->conf.crl_url);
	printf("status: %s\n", h == CA_HEALTH_OK ? "OK" : h ==
	    CA_HEALTH_WARNING ? "WARNING" : "CRITICAL");
	return h;
}

/*
 * Print the status report on stdout. Returns its health (CA_HEALTH_*), or
 * -1 with a cause when the directory cannot be read.
 */
int
ca_status(struct ca_store *st, const struct ca_status_opts *o, char **cause)
{
	const char		*issued = o->issued;
	struct ca_status_run	 run;
	X509			*inter = NULL;
	char			 t[32], *rpath = NULL;
	size_t			 i;
	time_t			 now = time(NULL), due;
	int			 rv = -1;

	memset(&run, 0, sizeof run);
	if (ca_issue_load_intermediate(st, &inter, NULL, cause) == -1)
		goto out;
	(void)ca_x509_keyid(inter, run.ikid, sizeof run.ikid);
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
		printf("  %s %-7s expires %s issued %zu revoked %zu%s%s\n",
		    run.cas[i].kid, ca_status_state(st, &run.cas[i], now), t,
		    run.cas[i].issued, run.cas[i].revoked, run.cas[i].node[0] !=
		    '\0' ? " node " : "", run.cas[i].node);
	}
	printf("certificates issued: %zu (%s)\n", run.issued, issued);
	printf("certificates revoked: %zu\n", run.revoked);
	if ((due = ca_status_crl_due(st)) == 0)
		printf("next CRL due: now (no CRL written yet)\n");
	else {
		ca_x509_fmt_time(due, t, sizeof t);
		printf("next CRL due: %s%s\n", t,
		    due <= now ? " (overdue)" : "");
	}
	rv = (int)ca_status_health(st, &run, inter, due, o, now);
out:
	free(run.cas);
	free(rpath);
	X509_free(inter);
	return rv;
}
